/* SPDX-License-Identifier: GPL-3.0-or-later */
/* ps-error.h: the project's GError domain, and PsStatus → GError. */
#pragma once

#include <glib.h>

#include "ps-status.h"

G_BEGIN_DECLS

#define PS_ERROR (ps_error_quark ())

typedef enum
{
  PS_ERROR_CODE_FAILED,
  PS_ERROR_CODE_UNSUPPORTED_FORMAT,
  PS_ERROR_CODE_CORRUPT_FILE,
  PS_ERROR_CODE_TOO_LARGE,
  PS_ERROR_CODE_INVALID_PARAMETER,
} PsErrorCode;

GQuark ps_error_quark (void);

/* Set @error from a kernel status. @what names the file or operation (it
 * starts the message: "WHAT: why"); may be NULL. A PS_ERROR_CANCELLED status
 * becomes G_IO_ERROR_CANCELLED. Returns FALSE for convenient tail calls. */
gboolean ps_set_error_from_status (GError **error, PsStatus status, const char *what);

/* Prefix an existing error's message with "WHAT: " unless it already starts
 * with it. */
void ps_error_prefix_file (GError **error, const char *what);

/* "needs N but only M is available" for a TOO_LARGE allocation; suggests
 * cropping or binning. Returns FALSE. */
gboolean ps_set_error_too_large (GError **error, const char *what, guint64 bytes_needed);

G_END_DECLS
