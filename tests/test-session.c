/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Session files (.porescope): save → load gives back every field bit for
 * bit and the same text again; data paths relative to the session survive
 * moving the folder, the absolute path survives moving the session file;
 * moved data is reported and relocated; damaged files (every truncation,
 * wrong types, huge numbers, unknown keys, newer versions, deep nesting,
 * binary junk) are rejected with "FILE: why" and never crash. */
#include "config.h"

#include <glib.h>
#include <glib/gstdio.h>
#include <math.h>
#include <string.h>

#include "ps-error.h"
#include "ps-session-analysis.h"
#include "ps-test-util.h"

static PsSession *
make_session (const char *dir)
{
  PsSession *s = ps_session_new ();
  s->volume_path = g_build_filename (dir, "data", "vol.tif", NULL);
  s->tilt_series_path = g_build_filename (dir, "data", "tilt.mrc", NULL);
  s->angles = g_build_filename (dir, "data", "tilt.tlt", NULL);
  s->swap_yz = TRUE;
  s->has_voxel_size = TRUE;
  s->voxel_size_nm[0] = 0.1 + 0.2;      /* not exactly representable in short decimal */
  s->voxel_size_nm[1] = 1.0 / 3.0;
  s->voxel_size_nm[2] = 2.5e-3;
  s->has_reconstruction = TRUE;
  s->recon_method = g_strdup ("sirt");
  s->recon_iterations = 30;
  s->recon_filter = g_strdup ("hann");
  s->recon_thickness = 120;
  s->n_tilts = 76;
  s->tilt_first_deg = -75;
  s->tilt_last_deg = 74.9;
  s->subvolume = (PsBox) { 3, 4, 5, 20, 21, 22 };
  s->smooth = PS_SMOOTH_MEDIAN;
  s->smooth_sigma_nm = 0.77;
  s->threshold_auto = FALSE;
  s->threshold = 123.456789012345;
  s->h_nm = 0.41;
  s->h_carbon_nm = -1;
  s->connectivity = 6;
  s->local_thickness = TRUE;
  s->histogram_bin_nm = 2.5;
  double a[2][3] = { { 1.5, 2.25, 3.125 }, { -0.0, 1e-300, 7 } };
  g_array_append_vals (s->seeds_add, a, 2);
  g_array_append_vals (s->seeds_remove, a[1], 1);
  PsMergeEdit m = { { 1, 2, 3 }, { 4.000000000000001, 5, 6 } };
  g_array_append_val (s->merges, m);
  s->carbon_rgb = 0x123456;
  s->pore_rgb = 0xabcdef;
  s->has_window = TRUE;
  s->window_lo = -1.5;
  s->window_hi = 1234.5;
  s->has_crosshair = TRUE;
  s->crosshair_nm[0] = 10.1, s->crosshair_nm[1] = 20.2, s->crosshair_nm[2] = 30.3;
  s->has_camera = TRUE;
  double q[4] = { 0.1, 0.2, 0.3, 0 };
  q[3] = sqrt (1 - 0.01 - 0.04 - 0.09);
  memcpy (s->camera_rotation, q, sizeof q);
  s->camera_target_nm[0] = 5, s->camera_target_nm[1] = 6, s->camera_target_nm[2] = 7.5;
  s->camera_zoom = 1.75;
  s->camera_perspective = TRUE;
  s->camera_fov_y = 0.6;
  return s;
}

#define SAME_D(a, b) g_assert_cmpmem (&(a), sizeof (double), &(b), sizeof (double))

static void
assert_same (const PsSession *a, const PsSession *b)
{
  g_assert_cmpstr (a->volume_path, ==, b->volume_path);
  g_assert_cmpstr (a->tilt_series_path, ==, b->tilt_series_path);
  g_assert_cmpstr (a->angles, ==, b->angles);
  g_assert_cmpint (a->angles_is_range, ==, b->angles_is_range);
  g_assert_cmpint (a->swap_yz, ==, b->swap_yz);
  g_assert_cmpint (a->has_voxel_size, ==, b->has_voxel_size);
  g_assert_cmpmem (a->voxel_size_nm, sizeof a->voxel_size_nm, b->voxel_size_nm, sizeof b->voxel_size_nm);
  g_assert_cmpint (a->has_reconstruction, ==, b->has_reconstruction);
  g_assert_cmpstr (a->recon_method, ==, b->recon_method);
  g_assert_cmpint (a->recon_iterations, ==, b->recon_iterations);
  g_assert_cmpstr (a->recon_filter, ==, b->recon_filter);
  g_assert_cmpuint (a->recon_thickness, ==, b->recon_thickness);
  g_assert_cmpuint (a->n_tilts, ==, b->n_tilts);
  SAME_D (a->tilt_first_deg, b->tilt_first_deg);
  SAME_D (a->tilt_last_deg, b->tilt_last_deg);
  g_assert_cmpmem (&a->subvolume, sizeof a->subvolume, &b->subvolume, sizeof b->subvolume);
  g_assert_cmpint (a->smooth, ==, b->smooth);
  SAME_D (a->smooth_sigma_nm, b->smooth_sigma_nm);
  g_assert_cmpint (a->threshold_auto, ==, b->threshold_auto);
  if (!a->threshold_auto)
    SAME_D (a->threshold, b->threshold);
  SAME_D (a->h_nm, b->h_nm);
  SAME_D (a->h_carbon_nm, b->h_carbon_nm);
  g_assert_cmpint (a->connectivity, ==, b->connectivity);
  g_assert_cmpint (a->local_thickness, ==, b->local_thickness);
  SAME_D (a->histogram_bin_nm, b->histogram_bin_nm);
  g_assert_cmpmem (a->seeds_add->data, a->seeds_add->len * 24, b->seeds_add->data, b->seeds_add->len * 24);
  g_assert_cmpmem (a->seeds_remove->data, a->seeds_remove->len * 24, b->seeds_remove->data, b->seeds_remove->len * 24);
  g_assert_cmpmem (a->merges->data, a->merges->len * sizeof (PsMergeEdit), b->merges->data,
                   b->merges->len * sizeof (PsMergeEdit));
  g_assert_cmphex (a->carbon_rgb, ==, b->carbon_rgb);
  g_assert_cmphex (a->pore_rgb, ==, b->pore_rgb);
  g_assert_cmpint (a->has_window, ==, b->has_window);
  SAME_D (a->window_lo, b->window_lo);
  SAME_D (a->window_hi, b->window_hi);
  g_assert_cmpint (a->has_crosshair, ==, b->has_crosshair);
  g_assert_cmpmem (a->crosshair_nm, 24, b->crosshair_nm, 24);
  g_assert_cmpint (a->has_camera, ==, b->has_camera);
  g_assert_cmpmem (a->camera_rotation, 32, b->camera_rotation, 32);
  g_assert_cmpmem (a->camera_target_nm, 24, b->camera_target_nm, 24);
  SAME_D (a->camera_zoom, b->camera_zoom);
  g_assert_cmpint (a->camera_perspective, ==, b->camera_perspective);
  SAME_D (a->camera_fov_y, b->camera_fov_y);
}

static void
test_round_trip (void)
{
  g_autofree char *dir = ps_test_tmp_path ("rt");
  g_autofree char *sessions = g_build_filename (dir, "sessions", NULL);
  g_assert_cmpint (g_mkdir_with_parents (sessions, 0755), ==, 0);
  g_autoptr(PsSession) s = make_session (dir);
  g_autofree char *path = g_build_filename (sessions, "a.porescope", NULL);
  g_autoptr(GError) error = NULL;
  g_assert_true (ps_session_save (s, path, &error));
  g_assert_no_error (error);
  g_autofree char *text = NULL;
  g_assert_true (g_file_get_contents (path, &text, NULL, NULL));
  /* Relative paths, the absolute ones alongside. */
  g_assert_nonnull (strstr (text, "\"volume\": \"../data/vol.tif\""));
  g_assert_nonnull (strstr (text, "\"volume_absolute\": \""));
  g_autoptr(PsSession) back = ps_session_load (path, &error);
  g_assert_no_error (error);
  assert_same (s, back);
  /* Saving the loaded session gives the same text. */
  g_autofree char *text2 = ps_session_to_json (back, path);
  g_assert_cmpstr (text, ==, text2);

  /* Defaults survive too (Otsu, no window, no camera, no reconstruction). */
  g_autoptr(PsSession) d = ps_session_new ();
  d->volume_path = g_strdup ("/abs/elsewhere/v.mrc");
  d->angles = g_strdup ("-60:60:2");
  d->angles_is_range = TRUE;
  g_assert_true (ps_session_save (d, path, &error));
  g_autoptr(PsSession) d2 = ps_session_load (path, &error);
  g_assert_no_error (error);
  assert_same (d, d2);

  /* Params in and out. */
  PsAnalysisParams p;
  ps_session_to_params (s, &p);
  g_assert_cmpuint (p.n_seeds_add, ==, 2);
  g_assert_cmpfloat (p.seeds_add[1][2], ==, 7);
  g_assert_cmpfloat (p.merges[0].b_nm[0], ==, 4.000000000000001);
  g_assert_cmpint (p.connectivity, ==, 6);
  g_autoptr(PsSession) e = ps_session_new ();
  ps_session_set_params (e, &p);
  PsAnalysisParams p2;
  ps_session_to_params (e, &p2);
  g_assert_cmpmem (p2.seeds_add, 48, p.seeds_add, 48);
  g_assert_cmpfloat (p2.threshold, ==, p.threshold);
  g_assert_cmpint (p2.smooth, ==, p.smooth);
}

static void
test_relative_paths (void)
{
  const struct { const char *path, *dir, *expect; } rel[] = {
    { "/a/b/c.tif", "/a/b", "c.tif" },
    { "/a/b/c/d.tif", "/a/b", "c/d.tif" },
    { "/a/x/d.tif", "/a/b/c", "../../x/d.tif" },
  };
  for (gsize i = 0; i < G_N_ELEMENTS (rel); i++)
    {
      g_autofree char *r = ps_path_relative_to (rel[i].path, rel[i].dir);
      g_assert_cmpstr (r, ==, rel[i].expect);
    }
  g_assert_null (ps_path_relative_to ("/x/d.tif", "/a/b"));      /* only the root in common */
  g_assert_null (ps_path_relative_to ("/a", "/a/b"));

  /* Move the whole folder: the relative paths find the data. */
  g_autofree char *dir = ps_test_tmp_path ("move1");
  g_autofree char *data = g_build_filename (dir, "data", NULL);
  g_assert_cmpint (g_mkdir_with_parents (data, 0755), ==, 0);
  g_autoptr(PsSession) s = ps_session_new ();
  s->volume_path = g_build_filename (data, "vol.tif", NULL);
  g_assert_true (g_file_set_contents (s->volume_path, "x", 1, NULL));
  g_autofree char *path = g_build_filename (dir, "s.porescope", NULL);
  g_autoptr(GError) error = NULL;
  g_assert_true (ps_session_save (s, path, &error));
  g_autofree char *dir2 = ps_test_tmp_path ("move1-moved");
  g_assert_cmpint (g_rename (dir, dir2), ==, 0);
  g_autofree char *path2 = g_build_filename (dir2, "s.porescope", NULL);
  g_autoptr(PsSession) l = ps_session_load (path2, &error);
  g_assert_no_error (error);
  g_autofree char *expect = g_build_filename (dir2, "data", "vol.tif", NULL);
  g_assert_cmpstr (l->volume_path, ==, expect);
  g_assert_null (ps_session_missing_data (l));

  /* Move only the session file: the absolute path finds the data. */
  g_autofree char *other = ps_test_tmp_path ("move1-other");
  g_assert_cmpint (g_mkdir_with_parents (other, 0755), ==, 0);
  g_autofree char *path3 = g_build_filename (other, "s.porescope", NULL);
  g_assert_true (ps_session_save (l, path2, &error));
  g_assert_cmpint (g_rename (path2, path3), ==, 0);
  g_autoptr(PsSession) l3 = ps_session_load (path3, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (l3->volume_path, ==, expect);

  /* The data moved away: reported, then relocated along with its neighbours. */
  g_autofree char *dir4 = ps_test_tmp_path ("move1-data-elsewhere");
  g_assert_cmpint (g_rename (dir2, dir4), ==, 0);
  g_autoptr(PsSession) l4 = ps_session_load (path3, &error);
  g_assert_no_error (error);
  g_autofree char *missing = g_strdup (ps_session_missing_data (l4));
  g_assert_cmpstr (missing, ==, l4->volume_path);
  g_autofree char *missing_dir = g_path_get_dirname (missing);
  g_free (l4->angles);
  l4->angles = g_build_filename (missing_dir, "sub", "a.tlt", NULL);   /* a neighbour below the folder */
  g_autofree char *new_vol = g_build_filename (dir4, "data", "vol.tif", NULL);
  ps_session_relocate (l4, missing, new_vol);
  g_assert_cmpstr (l4->volume_path, ==, new_vol);
  g_autofree char *new_angles = g_build_filename (dir4, "data", "sub", "a.tlt", NULL);
  g_assert_cmpstr (l4->angles, ==, new_angles);
}

/* Parse @text; must fail with a message that starts with the file name. */
static void
assert_rejected (const char *text, gssize len, const char *expect_in_message)
{
  g_autoptr(GError) error = NULL;
  gsize n = len < 0 ? strlen (text) : (gsize) len;
  PsSession *s = ps_session_parse (text, n, "/x/bad.porescope", "/x", &error);
  if (s != NULL)
    g_error ("accepted: %.*s", (int) MIN (n, 400), text);
  g_assert_nonnull (error);
  g_assert_true (g_str_has_prefix (error->message, "/x/bad.porescope: "));
  if (expect_in_message != NULL && strstr (error->message, expect_in_message) == NULL)
    g_error ("message “%s” lacks “%s”", error->message, expect_in_message);
}

static char *
replace (const char *text, const char *from, const char *to)
{
  const char *p = strstr (text, from);
  g_assert_nonnull (p);
  return g_strdup_printf ("%.*s%s%s", (int) (p - text), text, to, p + strlen (from));
}

static void
test_damaged (void)
{
  g_autoptr(PsSession) s = make_session ("/x");
  g_autofree char *good = ps_session_to_json (s, "/x/bad.porescope");
  g_autoptr(GError) error = NULL;
  g_autoptr(PsSession) ok = ps_session_parse (good, strlen (good), "/x/bad.porescope", "/x", &error);
  g_assert_no_error (error);

  /* Every truncation (the text ends with "}\n": only the full text and the
   * one without the newline are complete). */
  gsize n = strlen (good);
  for (gsize i = 0; i + 1 < n; i++)
    assert_rejected (good, (gssize) i, NULL);

  struct
  {
    const char *from, *to, *why;
  } cases[] = {
    { "\"version\": 1", "\"version\": 2", "newer" },
    { "\"version\": 1", "\"version\": \"1\"", "version" },
    { "\"version\": 1", "\"version\": 1e999", NULL },
    { "\"format\": \"porescope-session\"", "\"format\": \"x\"", "not a Porescope session" },
    { "\"connectivity\": 6", "\"connectivity\": 18", "connectivity" },
    { "\"connectivity\": 6", "\"connectivity\": 6.5", "connectivity" },
    { "\"connectivity\": 6", "\"connectivity\": 99999999999999999999", NULL },
    { "\"h_nm\": 0.41", "\"h_nm\": \"0.41\"", "h_nm" },
    { "\"h_nm\": 0.41", "\"h_nm\": 1e300", "h_nm" },
    { "\"h_nm\": 0.41", "\"h_nm\": 1e400", NULL },
    { "\"h_nm\": 0.41", "\"h_nm\": null", "h_nm" },
    { "\"swap_yz\": true", "\"swap_yz\": 1", "swap_yz" },
    { "\"threshold\": 123.456789012345", "\"threshold\": \"mean\"", "threshold" },
    { "\"subvolume_voxels\": [3, 4, 5, 20, 21, 22]", "\"subvolume_voxels\": [3, 4, 5, 20, 21]", "subvolume" },
    { "\"subvolume_voxels\": [3, 4, 5, 20, 21, 22]", "\"subvolume_voxels\": [3, 4, -5, 20, 21, 22]", "subvolume" },
    { "\"subvolume_voxels\": [3, 4, 5, 20, 21, 22]", "\"subvolume_voxels\": [3, 4, 5, 2e19, 21, 22]", "subvolume" },
    { "\"subvolume_voxels\": [3, 4, 5, 20, 21, 22]", "\"subvolume_voxels\": [3, 4, 5.5, 20, 21, 22]", "subvolume" },
    { "\"seeds_add\": [", "\"seeds_add\": [[1, 2], ", "seeds_add" },
    { "\"seeds_add\": [", "\"seeds_add\": [[1, 2, \"a\"], ", "seeds_add" },
    { "\"seeds_add\": [", "\"seeds_add\": [[1, 2, 1e200], ", "seeds_add" },
    { "\"merges\": [", "\"merges\": [[1, 2, 3], ", "merges" },
    { "\"carbon_color\": \"#123456\"", "\"carbon_color\": \"blue\"", "carbon_color" },
    { "\"window\": [", "\"window\": [2000, ", "window" },
    { "\"zoom\": 1.75", "\"zoom\": -1", "zoom" },
    { "\"zoom\": 1.75", "\"zoom\": 1.75, \"roll\": 0", "roll" },
    { "\"method\": \"sirt\"", "\"method\": \"fbp\"", "method" },
    { "\"method\": \"sirt\"", "\"method\": 3", "method" },
    { "\"analysis\": {", "\"analysis\": 7, \"x\": {", "unknown key “x”" },
    { "\"data\": {", "\"extra\": 1, \"data\": {", "extra" },
    { "\"voxel_size_nm\": [", "\"voxel_size_nm\": [0, 1, 1], \"x\": [", NULL },
    { "\"voxel_size_nm\": [", "\"voxel_size_nm\": [-1, ", "voxel_size_nm" },
    { "\"volume\": \"data/vol.tif\"", "\"volume\": \"data/\\u0000vol.tif\"", NULL },
    { "\"volume\": \"data/vol.tif\"", "\"volume\": \"data/\\nvol.tif\"", "control" },
    { "\"volume\": \"data/vol.tif\"", "\"volume\": 5", "volume" },
    { "\"volume_absolute\": \"/x/data/vol.tif\"", "\"volume_absolute\": \"rel/vol.tif\"", "absolute" },
    { "\"tilt_range_deg\": [", "\"tilt_range_deg\": [-100, ", "tilt_range" },
  };
  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *bad = replace (good, cases[i].from, cases[i].to);
      assert_rejected (bad, -1, cases[i].why);
    }
  /* No data at all. */
  assert_rejected ("{\"format\": \"porescope-session\", \"version\": 1, \"data\": {}}", -1, "neither");
  assert_rejected ("{\"format\": \"porescope-session\", \"version\": 1}", -1, "data");
  assert_rejected ("{\"format\": \"porescope-session\", \"version\": 1, \"data\": {\"volume\": \"/v\"}, "
                   "\"analysis\": 7}", -1, "“analysis” must be an object");
  assert_rejected ("", 0, NULL);
  assert_rejected ("[]", -1, NULL);
  assert_rejected ("null", -1, NULL);
  assert_rejected ("{\"format\": \"porescope-session\"\x00}", 31, "UTF-8");
  assert_rejected ("\xff\xfe{}", -1, "UTF-8");
  /* Deep nesting is refused before json-glib recurses. */
  GString *deep = g_string_new ("{\"format\": \"porescope-session\", \"version\": 1, \"data\": ");
  for (int i = 0; i < 100000; i++)
    g_string_append_c (deep, '[');
  assert_rejected (deep->str, -1, "nested");
  g_string_free (deep, TRUE);

  /* Files: missing, a folder, too large. */
  g_assert_null (ps_session_load ("/nonexistent/s.porescope", &error));
  g_assert_nonnull (strstr (error->message, "/nonexistent/s.porescope"));
  g_clear_error (&error);
  g_autofree char *dir = ps_test_tmp_path ("dmg");
  g_assert_cmpint (g_mkdir_with_parents (dir, 0755), ==, 0);
  g_assert_null (ps_session_load (dir, &error));
  g_assert_nonnull (strstr (error->message, dir));
  g_clear_error (&error);
  g_autofree char *big = g_build_filename (dir, "big.porescope", NULL);
  FILE *f = fopen (big, "w");
  g_assert_nonnull (f);
  g_assert_cmpint (fseek (f, PS_SESSION_MAX_BYTES + 1, SEEK_SET), ==, 0);
  fputc ('x', f);
  fclose (f);
  g_assert_null (ps_session_load (big, &error));
  g_assert_true (g_str_has_prefix (error->message, big));
  g_clear_error (&error);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/io/session/round-trip", test_round_trip);
  g_test_add_func ("/io/session/relative-paths", test_relative_paths);
  g_test_add_func ("/io/session/damaged", test_damaged);
  return g_test_run ();
}
