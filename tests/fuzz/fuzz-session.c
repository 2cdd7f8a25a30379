/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Session files: any input is either rejected with an error (never a crash,
 * leak or undefined behaviour) or accepted; an accepted session writes JSON
 * that reads back to a session writing the same JSON (save → load is a
 * fixed point), and its analysis parameters are consistent. */
#include "config.h"

#include <string.h>

#include "fuzz-targets.h"
#include "ps-session-analysis.h"

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  GError *error = NULL;

  if (size > PS_FUZZ_MAX_INPUT)
    return 0;
  PsSession *s = ps_session_parse ((const char *) data, size, "/fuzz/s.porescope", "/fuzz", &error);
  g_assert ((s != NULL) == (error == NULL));
  if (s == NULL)
    {
      g_assert (g_str_has_prefix (error->message, "/fuzz/s.porescope: "));
      g_error_free (error);
      return 0;
    }
  PsAnalysisParams p;
  ps_session_to_params (s, &p);
  g_assert (p.connectivity == 6 || p.connectivity == 26);
  g_assert (p.n_seeds_add <= PS_SESSION_MAX_EDITS && p.n_merges <= PS_SESSION_MAX_EDITS);
  (void) ps_session_missing_data (s);

  char *json = ps_session_to_json (s, "/fuzz/s.porescope");
  PsSession *back = ps_session_parse (json, strlen (json), "/fuzz/s.porescope", "/fuzz", &error);
  if (back == NULL)
    g_error ("a written session does not read back: %s\n%s", error->message, json);
  char *json2 = ps_session_to_json (back, "/fuzz/s.porescope");
  g_assert_cmpstr (json, ==, json2);
  g_free (json);
  g_free (json2);
  ps_session_free (back);
  ps_session_free (s);
  return 0;
}
