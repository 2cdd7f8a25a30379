/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "ps-error"

#include "config.h"

#include <gio/gio.h>
#include <glib/gi18n-lib.h>

#include "ps-error.h"
#include "ps-memory.h"

G_DEFINE_QUARK (ps-error-quark, ps_error)

gboolean
ps_set_error_from_status (GError **error, PsStatus status, const char *what)
{
  const char *why;
  GQuark domain = PS_ERROR;
  int code = PS_ERROR_CODE_FAILED;

  switch (status)
    {
    case PS_OK:
      return TRUE;
    case PS_ERROR_CANCELLED:
      domain = G_IO_ERROR;
      code = G_IO_ERROR_CANCELLED;
      why = _("Cancelled");
      break;
    case PS_ERROR_INVALID_PARAMETER:
      code = PS_ERROR_CODE_INVALID_PARAMETER;
      why = _("invalid parameter");
      break;
    case PS_ERROR_TOO_LARGE:
      code = PS_ERROR_CODE_TOO_LARGE;
      why = _("the data are too large for the available memory; crop or bin them first");
      break;
    case PS_ERROR_NO_MEMORY:
      code = PS_ERROR_CODE_TOO_LARGE;
      why = _("out of memory");
      break;
    case PS_ERROR_FAILED:
    default:
      why = _("operation failed");
      break;
    }
  if (what != NULL)
    g_set_error (error, domain, code, "%s: %s", what, why);
  else
    g_set_error_literal (error, domain, code, why);
  return FALSE;
}

void
ps_error_prefix_file (GError **error, const char *what)
{
  if (error == NULL || *error == NULL || what == NULL)
    return;
  if (g_str_has_prefix ((*error)->message, what))
    return;
  g_prefix_error (error, "%s: ", what);
}

gboolean
ps_set_error_too_large (GError **error, const char *what, guint64 bytes_needed)
{
  char need[32], avail[32];
  gsize a = ps_memory_available ();
  gsize limit = ps_memory_get_limit ();

  if (limit != 0 && (a == G_MAXSIZE || limit < a))
    a = limit;
  ps_format_bytes (bytes_needed, need, sizeof need);
  if (a == G_MAXSIZE)
    g_set_error (error, PS_ERROR, PS_ERROR_CODE_TOO_LARGE,
                 _("%s: needs %s of memory, more than can be allocated; crop or bin the data first"),
                 what ? what : "", need);
  else
    g_set_error (error, PS_ERROR, PS_ERROR_CODE_TOO_LARGE,
                 _("%s: needs %s of memory but only %s is available; crop or bin the data first"),
                 what ? what : "", need, ps_format_bytes (a, avail, sizeof avail));
  return FALSE;
}
