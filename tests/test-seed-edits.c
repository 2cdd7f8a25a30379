/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The seed-edit CSV (--seeds): RFC 4180 details, headers in any order,
 * comments, BOM, CRLF, and clear "FILE:LINE: why" errors for every kind
 * of bad input; format → parse round trip; atomic save. */
#include "config.h"

#include <glib.h>
#include <glib/gstdio.h>
#include <locale.h>
#include <string.h>

#include "ps-error.h"
#include "ps-seed-edits.h"
#include "ps-test-util.h"

static PsSeedEdits *
parse_ok (const char *text)
{
  g_autoptr(GError) error = NULL;
  PsSeedEdits *e = ps_seed_edits_new ();
  if (!ps_seed_edits_parse (e, text, strlen (text), "s.csv", &error))
    g_error ("unexpected failure on %s: %s", text, error->message);
  return e;
}

static void
parse_fails (const char *text, const char *expect)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PsSeedEdits) e = ps_seed_edits_new ();
  g_assert_false (ps_seed_edits_parse (e, text, strlen (text), "s.csv", &error));
  g_assert_nonnull (error);
  g_assert_true (error->domain == PS_ERROR);
  if (strstr (error->message, expect) == NULL)
    g_error ("message “%s” lacks “%s”", error->message, expect);
  /* nothing is appended on failure */
  g_assert_cmpuint (e->add->len + e->remove->len + e->merges->len, ==, 0);
}

static const double *
at (GArray *a, guint i)
{
  return (const double *) a->data + 3 * i;
}

static void
test_plain (void)
{
  g_autoptr(PsSeedEdits) e = parse_ok ("1,2,3\n4.5,-6e1,+7.25\n");
  g_assert_cmpuint (e->add->len, ==, 2);
  g_assert_cmpfloat (at (e->add, 1)[0], ==, 4.5);
  g_assert_cmpfloat (at (e->add, 1)[1], ==, -60.0);
  g_assert_cmpfloat (at (e->add, 1)[2], ==, 7.25);
  g_assert_cmpuint (e->remove->len + e->merges->len, ==, 0);
}

static void
test_header_actions (void)
{
  const char *text =
    "\xEF\xBB\xBF# seeds exported by hand\r\n"
    "\r\n"
    "Action, z_nm ,y,x_nm,X2,y2_nm,z2_nm\r\n"
    "add,3,2,1,,,\r\n"
    "REMOVE,30,20,10,,,\r\n"
    "  # a comment in between\r\n"
    "merge,1,1,1,2,2,2\r\n"
    "\"merge\",\"1.5\",1,1,\"5\",6,7\r\n"
    ",9,8,7,,,\r\n";
  g_autoptr(PsSeedEdits) e = parse_ok (text);
  g_assert_cmpuint (e->add->len, ==, 2);
  g_assert_cmpfloat (at (e->add, 0)[0], ==, 1);
  g_assert_cmpfloat (at (e->add, 0)[2], ==, 3);
  g_assert_cmpfloat (at (e->add, 1)[0], ==, 7);
  g_assert_cmpuint (e->remove->len, ==, 1);
  g_assert_cmpfloat (at (e->remove, 0)[1], ==, 20);
  g_assert_cmpuint (e->merges->len, ==, 2);
  const PsMergeEdit *m = &g_array_index (e->merges, PsMergeEdit, 1);
  g_assert_cmpfloat (m->a_nm[2], ==, 1.5);
  g_assert_cmpfloat (m->b_nm[0], ==, 5);
  g_assert_cmpfloat (m->b_nm[2], ==, 7);
}

static void
test_errors (void)
{
  parse_fails ("1,2\n", "s.csv:1:");
  parse_fails ("1,2,3\n1,2,abc\n", "s.csv:2: “abc” is not a number (column z_nm)");
  parse_fails ("1,2,3\n1,2,nan\n", "is not a number");
  parse_fails ("1,2,3\n1,2,inf\n", "is not a number");
  parse_fails ("1,2,3\n1,2,1e999\n", "is not a number");
  parse_fails ("1,2,3\n1,2,0x10\n", "is not a number");
  parse_fails ("x,y,w\n", "unknown column “w”");
  parse_fails ("x,y,y\n", "appears twice");
  parse_fails ("x,action\n", "needs the columns");
  parse_fails ("x,y,z\n1,2\n", "s.csv:2: 2 fields, but the header has 3");
  parse_fails ("1,2,3,add,4,5,6,7\n", "8 fields");
  parse_fails ("1,2,3,explode\n", "unknown action “explode”");
  parse_fails ("1,2,3,merge\n", "needs a second point");
  parse_fails ("1,2,3,merge,4,5\n", "needs a second point");
  parse_fails ("1,2,3,add,4,5,6\n", "only used by “merge”");
  parse_fails ("1,2,\n", "column z_nm is empty");
  parse_fails ("\"1,2,3\n", "s.csv:1: a quoted field is not closed");
  parse_fails ("1,2,3\n1,\"2\"x,3\n", "s.csv:2: unexpected text after a closing quote");
  parse_fails ("1,2\"5,3\n", "a quote inside an unquoted field");
  parse_fails ("1,2,3\r4,5,6\n", "carriage return");
  const char nul[] = "1,2,3\n4,\0,6\n";
  g_autoptr(GError) error = NULL;
  g_autoptr(PsSeedEdits) e = ps_seed_edits_new ();
  g_assert_false (ps_seed_edits_parse (e, nul, sizeof nul - 1, "s.csv", &error));
  g_assert_nonnull (strstr (error->message, "s.csv:2: the file contains a NUL byte"));
  /* Line numbers count lines inside quoted fields. */
  parse_fails ("x,y,z\n\"1\n\",2,3\nq,2,3\n", "s.csv:4:");
  /* A very long bad field is shortened in the message. */
  g_autofree char *longf = g_strnfill (500, 'a');
  g_autofree char *text = g_strdup_printf ("1,2,%s\n", longf);
  parse_fails (text, "…”");
}

static void
test_empty (void)
{
  g_autoptr(PsSeedEdits) e = parse_ok ("");
  g_autoptr(PsSeedEdits) e2 = parse_ok ("# nothing\n\n   \n");
  g_autoptr(PsSeedEdits) e3 = parse_ok ("x_nm,y_nm,z_nm\n");
  g_assert_cmpuint (e->add->len + e2->add->len + e3->add->len, ==, 0);
}

static void
test_round_trip (void)
{
  g_autoptr(PsSeedEdits) e = ps_seed_edits_new ();
  PsTestRng rng = { 77 };
  for (int i = 0; i < 50; i++)
    {
      double v[3] = { ps_test_rng_uniform (&rng) * 1e3, -ps_test_rng_uniform (&rng), 0.1 * i };
      g_array_append_val (i % 3 ? e->add : e->remove, v);
    }
  PsMergeEdit m = { { 0.1, 0.2, 0.3 }, { 1e-9, 12345.678, 1.0 / 3.0 } };
  g_array_append_val (e->merges, m);
  /* A comma-decimal locale must not leak into the file. */
  const char *old = setlocale (LC_NUMERIC, NULL);
  g_autofree char *saved = g_strdup (old);
  gboolean de = setlocale (LC_NUMERIC, "de_DE.UTF-8") != NULL;
  g_autofree char *text = ps_seed_edits_format (e);
  g_autofree char *path = ps_test_tmp_path ("seeds.csv");
  g_autoptr(GError) error = NULL;
  g_assert_true (ps_seed_edits_save (e, path, &error));
  g_autoptr(PsSeedEdits) back = ps_seed_edits_new ();
  g_assert_true (ps_seed_edits_load (back, path, &error));
  setlocale (LC_NUMERIC, saved);
  if (!de)
    g_test_message ("de_DE.UTF-8 not installed: checked in the C locale only");
  g_assert_null (strstr (text, ";"));
  g_assert_cmpuint (back->add->len, ==, e->add->len);
  g_assert_cmpuint (back->remove->len, ==, e->remove->len);
  g_assert_cmpmem (back->add->data, e->add->len * 24, e->add->data, e->add->len * 24);
  g_assert_cmpmem (back->remove->data, e->remove->len * 24, e->remove->data, e->remove->len * 24);
  g_assert_cmpmem (back->merges->data, sizeof m, &m, sizeof m);

  PsAnalysisParams p;
  ps_analysis_params_init (&p);
  ps_seed_edits_to_params (back, &p);
  g_assert_cmpuint (p.n_seeds_add, ==, back->add->len);
  g_assert_cmpfloat (p.seeds_add[1][0], ==, at (back->add, 1)[0]);
  g_assert_cmpuint (p.n_merges, ==, 1);
}

static void
test_load_errors (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PsSeedEdits) e = ps_seed_edits_new ();
  g_assert_false (ps_seed_edits_load (e, "/nonexistent/seeds.csv", &error));
  g_assert_nonnull (strstr (error->message, "/nonexistent/seeds.csv"));
  g_clear_error (&error);
  g_autofree char *path = ps_test_tmp_path ("bad.csv");
  g_assert_true (g_file_set_contents (path, "1,2,3\n\n1,2,three\n", -1, NULL));
  g_assert_false (ps_seed_edits_load (e, path, &error));
  g_autofree char *expect = g_strdup_printf ("%s:3: “three” is not a number", path);
  g_assert_nonnull (strstr (error->message, expect));
}

/* Random mutations of a valid file never crash and either parse or give a
 * message naming the file and a line (a small in-test fuzzer). */
static void
test_mutations (void)
{
  const char *base = "x_nm,y_nm,z_nm,action,x2_nm,y2_nm,z2_nm\r\n1,2,3,add,,,\r\n4,5,6,merge,7,8,9\r\n\"1\",2,3,remove,,,\r\n";
  const char alphabet[] = ",\"\r\n#.-+e0123456789 axmz\0\xff";
  PsTestRng rng = { 2024 };
  size_t blen = strlen (base);
  for (int it = 0; it < 3000; it++)
    {
      char buf[256];
      size_t len = blen;
      memcpy (buf, base, blen);
      int n_mut = 1 + (int) (ps_test_rng_next (&rng) % 4);
      for (int k = 0; k < n_mut; k++)
        {
          size_t pos = ps_test_rng_next (&rng) % (len + 1);
          char ch = alphabet[ps_test_rng_next (&rng) % (sizeof alphabet - 1)];
          switch (ps_test_rng_next (&rng) % 3)
            {
            case 0: if (pos < len) buf[pos] = ch; break;
            case 1: if (len < sizeof buf - 1) { memmove (buf + pos + 1, buf + pos, len - pos); buf[pos] = ch; len++; } break;
            default: if (pos < len) { memmove (buf + pos, buf + pos + 1, len - pos - 1); len--; } break;
            }
        }
      g_autoptr(GError) error = NULL;
      g_autoptr(PsSeedEdits) e = ps_seed_edits_new ();
      if (!ps_seed_edits_parse (e, buf, len, "m.csv", &error))
        g_assert_true (g_str_has_prefix (error->message, "m.csv:"));
    }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/io/seed-edits/plain", test_plain);
  g_test_add_func ("/io/seed-edits/header-actions", test_header_actions);
  g_test_add_func ("/io/seed-edits/errors", test_errors);
  g_test_add_func ("/io/seed-edits/empty", test_empty);
  g_test_add_func ("/io/seed-edits/round-trip", test_round_trip);
  g_test_add_func ("/io/seed-edits/load-errors", test_load_errors);
  g_test_add_func ("/io/seed-edits/mutations", test_mutations);
  return g_test_run ();
}
