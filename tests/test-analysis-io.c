/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The analysis output files: SPEC.md's columns, values that read back
 * exactly, '.' decimals under a comma-decimal locale (byte-identical
 * output), summary.json keys, label TIFFs, and the folder's all-or-nothing
 * behaviour when a write fails or is cancelled. */
#include "config.h"

#include <glib.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <locale.h>
#include <math.h>
#include <string.h>

#include "ps-analysis-io.h"
#include "ps-core-glib.h"
#include "ps-test-util.h"
#include "ps-volume-io.h"

static PsVolume *
make_volume (void)
{
  PsStatus st;
  PsVolume *v = ps_volume_new (40, 36, 32, &st);
  ps_volume_set_spacing (v, 0.7, 0.7, 1.1);
  for (size_t z = 0; z < 32; z++)
    for (size_t y = 0; y < 36; y++)
      for (size_t x = 0; x < 40; x++)
        {
          const double c[4][4] = { { 10, 10, 10, 5 }, { 27, 12, 12, 6 }, { 36, 12, 12, 4.5 }, { 15, 26, 22, 5 } };
          float val = 200.0f + (float) ((x * 7 + y * 13 + z * 3) % 11);
          for (int k = 0; k < 4; k++)
            {
              double dx = x + 0.5 - c[k][0], dy = y + 0.5 - c[k][1], dz = (z + 0.5 - c[k][2]) * 1.1 / 0.7;
              if (dx * dx + dy * dy + dz * dz <= c[k][3] * c[k][3])
                val = 40.0f + (float) (x % 3);
            }
          v->data[ps_volume_index (v, x, y, z)] = val;
        }
  return v;
}

static PsAnalysisResult *
analyse (const PsVolume *v, double h)
{
  PsAnalysisParams p;
  ps_analysis_params_init (&p);
  p.local_thickness = false;
  p.h_nm = h;
  p.n_threads = 2;
  PsAnalysisResult *r = NULL;
  g_assert_cmpint (ps_analysis_run (&p, v, NULL, &r, NULL), ==, PS_OK);
  return r;
}

static GPtrArray *
csv_rows (const char *text)
{
  GPtrArray *rows = g_ptr_array_new_with_free_func ((GDestroyNotify) g_strfreev);
  g_auto(GStrv) lines = g_strsplit (text, "\r\n", -1);
  guint n = g_strv_length (lines);
  g_assert_cmpuint (n, >=, 2);
  g_assert_cmpstr (lines[n - 1], ==, "");   /* every record ends with CRLF */
  for (guint i = 0; i + 1 < n; i++)
    {
      g_assert_null (strchr (lines[i], '\n'));
      g_ptr_array_add (rows, g_strsplit (lines[i], ",", -1));
    }
  return rows;
}

static double
num (const char *field)
{
  if (*field == '\0')
    return NAN;
  char *end;
  double v = g_ascii_strtod (field, &end);
  g_assert_true (*end == '\0');
  return v;
}

static void
assert_same (double a, double b)
{
  if (isnan (a) || isnan (b))
    g_assert_true (isnan (a) && isnan (b));
  else
    g_assert_cmpfloat (a, ==, b);
}

static void
test_objects_csv (void)
{
  g_autoptr(PsVolume) v = make_volume ();
  PsAnalysisResult *r = analyse (v, 0.3);
  for (int ph = 0; ph < 2; ph++)
    {
      g_autofree char *text = ps_analysis_format_objects_csv (r, ph);
      g_autoptr(GPtrArray) rows = csv_rows (text);
      g_autofree char *header = g_strjoinv (",", rows->pdata[0]);
      g_assert_cmpstr (header, ==, "label,voxels,volume_nm3,equivalent_diameter_nm,inscribed_diameter_nm,"
                                   "surface_area_nm2,sphericity,centroid_x_nm,centroid_y_nm,centroid_z_nm,"
                                   "bbox_x0,bbox_y0,bbox_z0,bbox_x1,bbox_y1,bbox_z1,touches_border,open,"
                                   "mean_intensity");
      const PsObjectTable *t = ph == 0 ? r->pores.objects : r->carbon.objects;
      g_assert_cmpuint (rows->len - 1, ==, t->n_objects);
      for (guint i = 1; i < rows->len; i++)
        {
          char **f = rows->pdata[i];
          g_assert_cmpuint (g_strv_length (f), ==, 19);
          const PsObjectStats *o = &t->objects[i - 1];
          g_assert_cmpuint (num (f[0]), ==, o->label);
          g_assert_cmpuint (num (f[1]), ==, o->voxels);
          assert_same (num (f[2]), o->volume_nm3);
          assert_same (num (f[3]), o->equivalent_diameter_nm);
          assert_same (num (f[4]), o->inscribed_diameter_nm);
          assert_same (num (f[5]), o->surface_area_nm2);
          assert_same (num (f[6]), o->sphericity);
          for (int a = 0; a < 3; a++)
            {
              assert_same (num (f[7 + a]), o->centroid_nm[a]);
              g_assert_cmpuint (num (f[10 + a]), ==, o->bbox_lo[a]);
              g_assert_cmpuint (num (f[13 + a]), ==, o->bbox_hi[a]);
            }
          g_assert_cmpuint (num (f[16]), ==, o->touches_border);
          g_assert_cmpuint (num (f[17]), ==, ph == 0 && o->open);
          assert_same (num (f[18]), o->mean_intensity);
        }
    }
  /* network */
  g_autofree char *nodes = ps_analysis_format_nodes_csv (r);
  g_autofree char *throats = ps_analysis_format_throats_csv (r);
  g_autoptr(GPtrArray) nr = csv_rows (nodes);
  g_autoptr(GPtrArray) tr = csv_rows (throats);
  g_autofree char *nh = g_strjoinv (",", nr->pdata[0]);
  g_autofree char *th = g_strjoinv (",", tr->pdata[0]);
  g_assert_cmpstr (nh, ==, "node,label,x_nm,y_nm,z_nm,volume_nm3,inscribed_diameter_nm,coordination");
  g_assert_cmpstr (th, ==, "throat,node_a,node_b,area_nm2,inscribed_diameter_nm,length_nm");
  g_assert_cmpuint (nr->len - 1, ==, r->pores.count);
  g_assert_cmpuint (tr->len - 1, ==, r->network->n_throats);
  g_assert_cmpuint (r->network->n_throats, >=, 1);
  guint coord_sum = 0;
  for (guint i = 1; i < nr->len; i++)
    coord_sum += (guint) num (((char **) nr->pdata[i])[7]);
  g_assert_cmpuint (coord_sum, ==, 2 * r->network->n_throats);
  for (guint i = 1; i < tr->len; i++)
    {
      char **f = tr->pdata[i];
      const PsThroat *t = &r->network->throats[i - 1];
      g_assert_cmpuint (num (f[1]), ==, t->label_a - 1);
      g_assert_cmpuint (num (f[2]), ==, t->label_b - 1);
      assert_same (num (f[3]), t->area_nm2);
      assert_same (num (f[5]), t->length_nm);
    }
  /* histograms and sweep */
  for (int ph = 0; ph < 2; ph++)
    {
      g_autofree char *text = ps_analysis_format_histogram_csv (r, ph);
      g_autoptr(GPtrArray) rows = csv_rows (text);
      g_autofree char *header = g_strjoinv (",", rows->pdata[0]);
      g_assert_true (g_str_has_prefix (header, "bin_lo_nm,bin_hi_nm,count,volume_fraction,"));
      g_assert_cmpuint (rows->len - 1, ==, r->n_bins);
      guint64 total = 0;
      for (guint i = 1; i < rows->len; i++)
        {
          char **f = rows->pdata[i];
          g_assert_cmpfloat_with_epsilon (num (f[1]) - num (f[0]), r->bin_width_nm, 1e-12);
          total += (guint64) num (f[2]);
        }
      g_assert_cmpuint (total, ==, ph == 0 ? r->pores.count : r->carbon.count);
    }
  g_autofree char *sweep = ps_analysis_format_sweep_csv (r);
  g_autoptr(GPtrArray) sr = csv_rows (sweep);
  g_assert_cmpuint (sr->len - 1, ==, r->sweep_n);
  ps_analysis_result_free (r);
}

static char *
all_text (const PsAnalysisResult *r)
{
  PsAnalysisSource src = { "/data/in.tif" };
  GString *s = g_string_new (NULL);
  for (int ph = 0; ph < 2; ph++)
    {
      g_autofree char *a = ps_analysis_format_objects_csv (r, ph);
      g_autofree char *b = ps_analysis_format_histogram_csv (r, ph);
      g_string_append (s, a);
      g_string_append (s, b);
    }
  g_autofree char *c = ps_analysis_format_nodes_csv (r);
  g_autofree char *d = ps_analysis_format_throats_csv (r);
  g_autofree char *e = ps_analysis_format_sweep_csv (r);
  g_autofree char *f = ps_analysis_format_summary_json (r, &src);
  g_string_append (s, c);
  g_string_append (s, d);
  g_string_append (s, e);
  g_string_append (s, f);
  return g_string_free (s, FALSE);
}

static void
test_locale (void)
{
  g_autoptr(PsVolume) v = make_volume ();
  PsAnalysisResult *r = analyse (v, 0.3);
  g_autofree char *c_text = all_text (r);
  g_autofree char *saved = g_strdup (setlocale (LC_ALL, NULL));
  if (setlocale (LC_ALL, "de_DE.UTF-8") == NULL && setlocale (LC_ALL, "de_DE.utf8") == NULL)
    {
      ps_analysis_result_free (r);
      g_test_skip ("de_DE.UTF-8 is not installed (scripts/deps.sh test generates it)");
      return;
    }
  char probe[16];
  g_snprintf (probe, sizeof probe, "%.1f", 0.5);
  g_assert_cmpstr (probe, ==, "0,5");   /* the locale is really comma-decimal */
  g_autofree char *de_text = all_text (r);
  setlocale (LC_ALL, saved);
  g_assert_cmpstr (de_text, ==, c_text);
  ps_analysis_result_free (r);
}

static void
test_summary (void)
{
  g_autoptr(PsVolume) v = make_volume ();
  PsAnalysisResult *r = analyse (v, 0.3);
  PsAnalysisSource src = { "/dir/in \"quoted\".tif" };
  g_autofree char *text = ps_analysis_format_summary_json (r, &src);
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  g_assert_true (json_parser_load_from_data (parser, text, -1, &error));
  JsonObject *o = json_node_get_object (json_parser_get_root (parser));
  const char *keys[] = { "version", "parameters", "voxel_size_nm", "subvolume_origin_nm", "subvolume_size_nm",
                         "subvolume_origin_voxels", "subvolume_size_voxels", "threshold", "porosity",
                         "closed_porosity", "open_porosity", "pore_count", "pore_eqdiam_mean_nm",
                         "pore_eqdiam_median_nm", "pore_eqdiam_sd_nm", "carbon_count", "carbon_eqdiam_mean_nm",
                         "carbon_inscribed_mean_nm", NULL };
  for (int i = 0; keys[i]; i++)
    if (!json_object_has_member (o, keys[i]))
      g_error ("summary.json lacks %s", keys[i]);
  g_assert_cmpstr (json_object_get_string_member (o, "version"), ==, PACKAGE_VERSION);
  g_assert_cmpstr (json_object_get_string_member (o, "input"), ==, "/dir/in \"quoted\".tif");
  g_assert_cmpfloat (json_object_get_double_member (o, "porosity"), ==, r->porosity);
  g_assert_cmpfloat (json_object_get_double_member (o, "threshold"), ==, r->threshold);
  g_assert_cmpint (json_object_get_int_member (o, "pore_count"), ==, (gint64) r->pores.count);
  g_assert_cmpfloat (json_object_get_double_member (o, "pore_eqdiam_median_nm"), ==, r->pores.eqdiam_median_nm);
  JsonObject *params = json_object_get_object_member (o, "parameters");
  g_assert_cmpstr (json_object_get_string_member (params, "smoothing"), ==, "gaussian");
  g_assert_cmpfloat (json_object_get_double_member (params, "smooth_sigma_nm"), ==,
                     PS_ANALYSIS_DEFAULT_SIGMA_VOXELS * 0.7);
  g_assert_cmpstr (json_object_get_string_member (params, "threshold_mode"), ==, "otsu");
  g_assert_cmpfloat (json_object_get_double_member (params, "h_nm"), ==, 0.3);
  g_assert_cmpint (json_object_get_int_member (params, "connectivity"), ==, 26);
  JsonArray *vs = json_object_get_array_member (o, "voxel_size_nm");
  g_assert_cmpfloat (json_array_get_double_element (vs, 2), ==, 1.1);
  /* shortest round-trip numbers: 1.1 is written as 1.1 */
  g_assert_nonnull (strstr (text, "[0.7, 0.7, 1.1]"));
  ps_analysis_result_free (r);
}

static char *
read_all (const char *dir, const char *name)
{
  g_autofree char *path = g_build_filename (dir, name, NULL);
  char *text = NULL;
  g_assert_true (g_file_get_contents (path, &text, NULL, NULL));
  return text;
}

static guint
count_entries (const char *dir)
{
  GDir *d = g_dir_open (dir, 0, NULL);
  guint n = 0;
  while (g_dir_read_name (d) != NULL)
    n++;
  g_dir_close (d);
  return n;
}

static void
test_write_folder (void)
{
  g_autoptr(PsVolume) v = make_volume ();
  PsAnalysisResult *r1 = analyse (v, 0.3);
  PsAnalysisResult *r2 = analyse (v, 3.0);
  g_autofree char *dir = ps_test_tmp_path ("out/nested");
  g_autoptr(GError) error = NULL;
  PsAnalysisSource src = { "/data/in.tif" };
  g_assert_true (ps_analysis_write (r1, &src, dir, NULL, &error));
  g_assert_no_error (error);
  for (int i = 0; ps_analysis_file_names[i]; i++)
    {
      g_autofree char *p = g_build_filename (dir, ps_analysis_file_names[i], NULL);
      g_assert_true (g_file_test (p, G_FILE_TEST_IS_REGULAR));
    }
  g_assert_cmpuint (count_entries (dir), ==, 10);   /* no staging folder left */

  /* The label TIFFs read back as the labels. */
  g_autofree char *tif = g_build_filename (dir, "pores.tif", NULL);
  g_autoptr(PsLabels) back = ps_labels_load (tif, &error);
  g_assert_no_error (error);
  g_assert_cmpmem (back->data, 40 * 36 * 32 * 4, r1->pores.labels->data, 40 * 36 * 32 * 4);
  g_assert_cmpfloat_with_epsilon (back->spacing[2], 1.1, 1e-6);

  g_autofree char *old_csv = read_all (dir, "pores.csv");
  g_autofree char *old_json = read_all (dir, "summary.json");

  /* A failure before the renames: one target is a folder. Nothing changes. */
  g_autofree char *blocker = g_build_filename (dir, "porosity_vs_threshold.csv", NULL);
  g_assert_cmpint (g_unlink (blocker), ==, 0);
  g_assert_cmpint (g_mkdir (blocker, 0755), ==, 0);
  g_assert_false (ps_analysis_write (r2, &src, dir, NULL, &error));
  g_assert_nonnull (error);
  g_clear_error (&error);
  g_autofree char *csv_after = read_all (dir, "pores.csv");
  g_autofree char *json_after = read_all (dir, "summary.json");
  g_assert_cmpstr (csv_after, ==, old_csv);
  g_assert_cmpstr (json_after, ==, old_json);
  g_assert_cmpuint (count_entries (dir), ==, 10);
  g_assert_cmpint (g_rmdir (blocker), ==, 0);

  /* Cancelled: nothing changes. */
  atomic_int cancel = 1;
  PsProgress prog = { .cancel = &cancel };
  g_assert_false (ps_analysis_write (r2, &src, dir, &prog, &error));
  g_assert_true (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED));
  g_clear_error (&error);
  g_autofree char *csv_after2 = read_all (dir, "pores.csv");
  g_assert_cmpstr (csv_after2, ==, old_csv);
  g_assert_cmpuint (count_entries (dir), ==, 9);

  /* And a successful overwrite replaces everything. */
  g_assert_true (ps_analysis_write (r2, &src, dir, NULL, &error));
  g_autofree char *csv_new = read_all (dir, "pores.csv");
  g_autofree char *expect = ps_analysis_format_file (r2, &src, "pores.csv");
  g_assert_cmpstr (csv_new, ==, expect);
  g_autofree char *data = ps_analysis_format_objects_csv (r2, PS_ANALYSIS_PHASE_PORES);
  g_assert_true (g_str_has_suffix (csv_new, data));
  g_assert_nonnull (strstr (csv_new, "# input_sha256: unavailable\r\n"));   /* /data/in.tif does not exist */
  g_assert_cmpuint (count_entries (dir), ==, 10);

  /* An output "folder" that is a file. */
  g_autofree char *file = ps_test_tmp_path ("plainfile");
  g_assert_true (g_file_set_contents (file, "x", 1, NULL));
  g_assert_false (ps_analysis_write (r2, &src, file, NULL, &error));
  g_assert_nonnull (strstr (error->message, "plainfile"));
  ps_analysis_result_free (r1);
  ps_analysis_result_free (r2);
}

/* Every CSV = `# key: value` preamble + the data unchanged; the preamble
 * names the input with its SHA-256 (checked against GChecksum over the
 * bytes read separately), the reconstruction, voxel size, subvolume,
 * threshold, h and connectivity of the result. */
static void
test_provenance (void)
{
  g_autoptr(PsVolume) v = make_volume ();
  PsAnalysisResult *r = analyse (v, 0.3);
  g_autoptr(GError) error = NULL;
  g_autofree char *input = ps_test_tmp_path ("in\nput.bin");
  const char bytes[] = "not really a volume, but bytes to hash";
  g_assert_true (g_file_set_contents (input, bytes, sizeof bytes - 1, NULL));
  g_autofree char *expect_sha = g_compute_checksum_for_data (G_CHECKSUM_SHA256, (const guchar *) bytes,
                                                             sizeof bytes - 1);
  g_autofree char *sha = ps_file_sha256 (input, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (sha, ==, expect_sha);
  g_assert_null (ps_file_sha256 ("/nonexistent/x.tif", NULL, &error));
  g_assert_nonnull (strstr (error->message, "/nonexistent/x.tif"));
  g_clear_error (&error);

  PsAnalysisSource src = { .input_path = input, .tilt_series_path = "/data/tilt.mrc", .n_tilts = 76,
                           .tilt_first_deg = -75, .tilt_last_deg = 75, .recon_method = "sirt",
                           .recon_iterations = 30 };
  g_autofree char *dir = ps_test_tmp_path ("prov");
  g_assert_true (ps_analysis_write (r, &src, dir, NULL, &error));
  g_assert_no_error (error);
  for (int i = 0; ps_analysis_file_names[i]; i++)
    {
      const char *name = ps_analysis_file_names[i];
      if (!g_str_has_suffix (name, ".csv"))
        continue;
      g_autofree char *text = read_all (dir, name);
      g_auto(GStrv) lines = g_strsplit (text, "\r\n", -1);
      GHashTable *kv = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
      guint n = 0;
      for (; lines[n] != NULL && lines[n][0] == '#'; n++)
        {
          g_assert_true (g_str_has_prefix (lines[n], "# "));
          const char *colon = strstr (lines[n], ": ");
          g_assert_nonnull (colon);
          g_assert_null (strchr (lines[n], '\n'));
          g_hash_table_insert (kv, g_strndup (lines[n] + 2, (gsize) (colon - lines[n] - 2)), g_strdup (colon + 2));
        }
      g_assert_cmpuint (n, >=, 20);
      /* The rest is the data exactly as before the preamble existed. */
      g_autofree char *rest = g_strjoinv ("\r\n", lines + n);
      g_autofree char *data = NULL;
      if (g_str_equal (name, "pores.csv"))
        data = ps_analysis_format_objects_csv (r, PS_ANALYSIS_PHASE_PORES);
      else if (g_str_equal (name, "carbon.csv"))
        data = ps_analysis_format_objects_csv (r, PS_ANALYSIS_PHASE_CARBON);
      else if (g_str_equal (name, "network_nodes.csv"))
        data = ps_analysis_format_nodes_csv (r);
      else if (g_str_equal (name, "network_throats.csv"))
        data = ps_analysis_format_throats_csv (r);
      else if (g_str_equal (name, "histogram_pores.csv"))
        data = ps_analysis_format_histogram_csv (r, PS_ANALYSIS_PHASE_PORES);
      else if (g_str_equal (name, "histogram_carbon.csv"))
        data = ps_analysis_format_histogram_csv (r, PS_ANALYSIS_PHASE_CARBON);
      else
        data = ps_analysis_format_sweep_csv (r);
      g_assert_cmpstr (rest, ==, data);

      g_assert_cmpstr (g_hash_table_lookup (kv, "program"), ==, "Porescope");
      g_assert_cmpstr (g_hash_table_lookup (kv, "version"), ==, PACKAGE_VERSION);
      g_autofree char *escaped = g_strdup (input);
      *strchr (escaped, '\n') = '\0';
      g_autofree char *expect_input = g_strconcat (escaped, "\\x0aput.bin", NULL);
      g_assert_cmpstr (g_hash_table_lookup (kv, "input"), ==, expect_input);
      g_assert_cmpstr (g_hash_table_lookup (kv, "input_sha256"), ==, expect_sha);
      g_assert_cmpstr (g_hash_table_lookup (kv, "tilt_series"), ==, "/data/tilt.mrc");
      g_assert_cmpstr (g_hash_table_lookup (kv, "tilt_range_deg"), ==, "-75 75 (76 images)");
      g_assert_cmpstr (g_hash_table_lookup (kv, "reconstruction"), ==, "sirt");
      g_assert_cmpstr (g_hash_table_lookup (kv, "reconstruction_iterations"), ==, "30");
      g_assert_cmpstr (g_hash_table_lookup (kv, "voxel_size_nm"), ==, "0.7 0.7 1.1");
      g_assert_cmpstr (g_hash_table_lookup (kv, "volume_size_voxels"), ==, "40 36 32");
      g_assert_cmpstr (g_hash_table_lookup (kv, "subvolume_origin_voxels"), ==, "0 0 0");
      g_assert_cmpstr (g_hash_table_lookup (kv, "subvolume_size_voxels"), ==, "40 36 32");
      g_assert_cmpstr (g_hash_table_lookup (kv, "subvolume_origin_nm"), ==, "0 0 0");
      g_assert_cmpstr (g_hash_table_lookup (kv, "subvolume_size_nm"), ==, "28 25.2 35.2");
      g_assert_cmpstr (g_hash_table_lookup (kv, "threshold_mode"), ==, "otsu");
      g_assert_cmpfloat (g_ascii_strtod (g_hash_table_lookup (kv, "threshold"), NULL), ==, r->threshold);
      g_assert_cmpfloat (g_ascii_strtod (g_hash_table_lookup (kv, "h_nm"), NULL), ==, 0.3);
      g_assert_cmpstr (g_hash_table_lookup (kv, "connectivity"), ==, "26");
      g_assert_cmpstr (g_hash_table_lookup (kv, "seeds_added"), ==, "0");
      g_hash_table_unref (kv);
    }
  /* summary.json carries the checksum and the reconstruction too. */
  g_autofree char *json = read_all (dir, "summary.json");
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_assert_true (json_parser_load_from_data (parser, json, -1, &error));
  JsonObject *o = json_node_get_object (json_parser_get_root (parser));
  g_assert_cmpstr (json_object_get_string_member (o, "input_sha256"), ==, expect_sha);
  JsonObject *rec = json_object_get_object_member (o, "reconstruction");
  g_assert_cmpstr (json_object_get_string_member (rec, "method"), ==, "sirt");
  g_assert_cmpint (json_object_get_int_member (rec, "iterations"), ==, 30);
  g_assert_cmpint (json_object_get_int_member (rec, "n_tilts"), ==, 76);
  ps_analysis_result_free (r);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/io/analysis/objects-csv", test_objects_csv);
  g_test_add_func ("/io/analysis/locale", test_locale);
  g_test_add_func ("/io/analysis/summary", test_summary);
  g_test_add_func ("/io/analysis/write-folder", test_write_folder);
  g_test_add_func ("/io/analysis/provenance", test_provenance);
  return g_test_run ();
}
