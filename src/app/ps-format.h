/* SPDX-License-Identifier: GPL-3.0-or-later */
/* ps-format.h: numbers as the user reads them in the window (locale
 * formatting is fine here; files use g_ascii_dtostr). Lengths are always in
 * nm (SPEC.md), written without exponents. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* "12.35", "0.25", "12573000": at most about four significant digits, no
 * trailing zeros. */
char *ps_format_length (double nm);
/* A voxel value: @digits significant digits, "NaN", "∞", "−∞". */
char *ps_format_value  (double value,
                        int    digits);

/* A value shown next to data spanning @range: fixed decimals enough to
 * resolve a thousandth of the range ("0.000" rather than "2.2341e-06" for a
 * percentile of data from 0 to 1.3). */
char *ps_format_value_in_range (double value,
                                double range);

G_END_DECLS
