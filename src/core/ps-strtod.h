/* SPDX-License-Identifier: GPL-3.0-or-later */
/* ps-strtod.h: locale-independent number parsing and formatting for core.
 * (core has no GLib, so no g_ascii_strtod; the GUI calls setlocale().) */
#pragma once

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* strtod with '.' as the decimal separator whatever the locale. */
double ps_ascii_strtod (const char *nptr, char **endptr);

/* Shortest round-trip representation of @value ("%.17g" trimmed), with '.'.
 * Writes at most @len bytes including NUL; returns @buf. */
char *ps_ascii_dtostr (char *buf, size_t len, double value);

/* printf-style "%.<digits>f" / "%.<digits>g" with '.' whatever the locale. */
char *ps_ascii_formatd (char *buf, size_t len, const char *format, double value);

#ifdef __cplusplus
}
#endif
