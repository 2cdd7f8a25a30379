/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Seed-edit CSV files (--seeds): any input is either rejected with a
 * "NAME:LINE: why" error that leaves the edits untouched (never a crash, leak
 * or undefined behaviour) or accepted; accepted edits are finite, and
 * format → parse gives back exactly the same edits (bit for bit) and the same
 * text. */
#include "config.h"

#include <math.h>
#include <string.h>

#include "fuzz-targets.h"
#include "ps-seed-edits.h"

static void
assert_finite (GArray *a, guint n_doubles)
{
  const double *v = (const double *) a->data;
  for (guint i = 0; i < a->len * n_doubles; i++)
    g_assert (isfinite (v[i]));
}

static void
assert_same (GArray *a, GArray *b, gsize elt)
{
  g_assert_cmpuint (a->len, ==, b->len);
  g_assert (a->len == 0 || memcmp (a->data, b->data, a->len * elt) == 0);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  GError *error = NULL;

  if (size > PS_FUZZ_MAX_INPUT)
    return 0;
  PsSeedEdits *e = ps_seed_edits_new ();
  /* One edit already there: a failed parse must keep it, a good one append. */
  double first[3] = { 1.0, 2.0, 3.0 };
  g_array_append_val (e->add, first);
  gboolean ok = ps_seed_edits_parse (e, (const char *) data, size, "fuzz.csv", &error);
  g_assert (ok == (error == NULL));
  if (!ok)
    {
      g_assert (g_str_has_prefix (error->message, "fuzz.csv:"));
      g_assert (g_utf8_validate (error->message, -1, NULL));
      g_assert_cmpuint (e->add->len, ==, 1);
      g_assert_cmpuint (e->remove->len + e->merges->len, ==, 0);
      g_error_free (error);
      ps_seed_edits_free (e);
      return 0;
    }
  g_assert (memcmp (e->add->data, first, sizeof first) == 0);
  assert_finite (e->add, 3);
  assert_finite (e->remove, 3);
  assert_finite (e->merges, 6);
  g_assert_cmpuint (e->add->len + e->remove->len + e->merges->len, <=, PS_SEED_EDITS_MAX_EDITS);

  char *csv = ps_seed_edits_format (e);
  PsSeedEdits *back = ps_seed_edits_new ();
  if (!ps_seed_edits_parse (back, csv, strlen (csv), "fuzz.csv", &error))
    g_error ("written seed edits do not read back: %s\n%s", error->message, csv);
  assert_same (e->add, back->add, sizeof (double[3]));
  assert_same (e->remove, back->remove, sizeof (double[3]));
  assert_same (e->merges, back->merges, sizeof (PsMergeEdit));
  char *csv2 = ps_seed_edits_format (back);
  g_assert_cmpstr (csv, ==, csv2);
  g_free (csv);
  g_free (csv2);
  ps_seed_edits_free (back);
  ps_seed_edits_free (e);
  return 0;
}
