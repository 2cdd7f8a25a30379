/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The interactive workflow, part B (issue 7; suite "ui", under Xvfb): the
 * Analysis panel driven through its "analysis." actions on a phantom file.
 *
 *  - subvolume by numbers (doc.subvolume-nm), no smoothing, a fixed
 *    threshold: the porosity readout equals a brute-force count of the raw
 *    subvolume's voxels below the threshold, the overlays are the
 *    thresholded subvolume;
 *  - separate and export: every output file equals, byte for byte, what
 *    `porescope-cli analyze` writes for the same file and parameters (same
 *    input path, so the provenance lines are identical; nothing is
 *    normalised); then smoothing, Otsu and h through the actions, exported
 *    again and compared again;
 *  - untouched controls = the CLI's defaults (same files as a CLI run
 *    without options);
 *  - seed edits by clicks (add, Ctrl remove, Shift merge), Undo, Redo: the
 *    export equals the CLI given the same edits as --seeds; a saved session
 *    replays (`porescope-cli run`) to the same files and reopens to them;
 *  - the statistics table: one row per object of pores.csv, sortable,
 *    filterable, a row centres the slices on the object's centroid;
 *  - the live readout on the 128³ demo takes well under 100 ms;
 *  - screenshots (with PORESCOPE_SCREENSHOT_DIR): segment, separate,
 *    statistics. */
#include "config.h"

#include <glib/gstdio.h>
#include <math.h>
#include <string.h>

#include <adwaita.h>

#include "ps-analysis-panel.h"
#include "ps-application.h"
#include "ps-export.h"
#include "ps-phantom.h"
#include "ps-session-ui.h"
#include "ps-test-util.h"
#include "ps-ui-test-util.h"
#include "ps-volume-io.h"
#include "ps-window.h"

static PsApplication *app;
static char *phantom_path;   /* a 64³ phantom (0.5 nm voxels) as TIFF */

/* ---- fixtures --------------------------------------------------------------- */

static void
make_phantom (void)
{
  PsPhantomParams pp;
  g_autoptr (PsVolume) vol = NULL;
  g_autoptr (GError) error = NULL;
  char why[256];

  ps_phantom_params_init (&pp);
  pp.size = 64;
  pp.seed = 3;
  g_assert_cmpint (ps_phantom_generate (&pp, &vol, NULL, NULL, NULL, why, sizeof why), ==, PS_OK);
  phantom_path = ps_test_tmp_path ("phantom.tif");
  g_assert_true (ps_volume_save (vol, phantom_path, NULL, NULL, &error));
  g_assert_no_error (error);
}

static PsWindow *
open_window (const char *path)
{
  PsWindow *win = ps_window_new (GTK_APPLICATION (app));
  PsDocument *doc = ps_window_get_document (win);
  gtk_window_present (GTK_WINDOW (win));
  if (path != NULL)
    {
      g_autoptr (GFile) file = g_file_new_for_path (path);
      ps_document_load_file (doc, file);
    }
  else
    ps_document_load_demo (doc);
  ps_ui_test_wait_idle (doc);
  g_assert_nonnull (ps_document_get_volume (doc));
  return win;
}

static void
destroy_window (PsWindow *win)
{
  gtk_window_destroy (GTK_WINDOW (win));
  ps_ui_test_spin ();
}

static void
activate (PsWindow *win, const char *action, GVariant *param)
{
  g_assert_true (gtk_widget_activate_action_variant (GTK_WIDGET (win), action, param));
}

static PsAnalysisPanel *
panel_of (PsWindow *win)
{
  return PS_ANALYSIS_PANEL (ps_window_get_analysis_panel (win));
}

/* Run `porescope-cli analyze` on the phantom with @extra options into @outdir. */
static void
run_cli (const char *outdir, const char *const *extra)
{
  g_autoptr (GPtrArray) argv = g_ptr_array_new ();
  g_autofree char *out = NULL, *err = NULL;
  int rc;

  g_ptr_array_add (argv, (gpointer) ps_test_cli_path ());
  g_ptr_array_add (argv, (gpointer) "analyze");
  g_ptr_array_add (argv, phantom_path);
  for (int i = 0; extra[i] != NULL; i++)
    g_ptr_array_add (argv, (gpointer) extra[i]);
  g_ptr_array_add (argv, (gpointer) "-q");
  g_ptr_array_add (argv, (gpointer) "-o");
  g_ptr_array_add (argv, (gpointer) outdir);
  g_ptr_array_add (argv, NULL);
  rc = ps_test_spawn (&out, &err, (const char *const *) argv->pdata);
  if (rc != 0)
    g_test_message ("porescope-cli: %s", err);
  g_assert_cmpint (rc, ==, 0);
}

/* Every file of an analysis is byte-identical in both folders. */
static void
assert_same_files (const char *gui_dir, const char *cli_dir)
{
  static const char *const names[] = {
    "pores.tif", "carbon.tif", "pores.csv", "carbon.csv", "network_nodes.csv", "network_throats.csv",
    "histogram_pores.csv", "histogram_carbon.csv", "porosity_vs_threshold.csv", "summary.json",
  };
  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      g_autofree char *a = g_build_filename (gui_dir, names[i], NULL);
      g_autofree char *b = g_build_filename (cli_dir, names[i], NULL);
      g_autofree char *ca = NULL, *cb = NULL;
      gsize na = 0, nb = 0;
      g_autoptr (GError) error = NULL;

      g_assert_true (g_file_get_contents (a, &ca, &na, &error));
      g_assert_no_error (error);
      g_assert_true (g_file_get_contents (b, &cb, &nb, &error));
      g_assert_no_error (error);
      if (na != nb || memcmp (ca, cb, na) != 0)
        g_error ("%s differs between the GUI export (%zu bytes) and porescope-cli analyze (%zu bytes)%s%s%s%s",
                 names[i], na, nb, g_str_has_suffix (names[i], ".tif") ? "" : ":\n--- GUI\n",
                 g_str_has_suffix (names[i], ".tif") ? "" : ca, g_str_has_suffix (names[i], ".tif") ? "" : "\n--- CLI\n",
                 g_str_has_suffix (names[i], ".tif") ? "" : cb);
    }
}

/* Data rows (not provenance, not the header) of a CSV. */
static guint
csv_rows (const char *path)
{
  g_autofree char *text = NULL;
  g_auto (GStrv) lines = NULL;
  guint n = 0;
  gboolean header = FALSE;

  g_assert_true (g_file_get_contents (path, &text, NULL, NULL));
  lines = g_strsplit (text, "\r\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      if (lines[i][0] == '#' || lines[i][0] == '\0')
        continue;
      if (!header)
        header = TRUE;
      else
        n++;
    }
  return n;
}

static char *
fmt17 (double v)
{
  char buf[G_ASCII_DTOSTR_BUF_SIZE];
  return g_strdup (g_ascii_formatd (buf, sizeof buf, "%.17g", v));
}

/* ---- segment, separate, export ----------------------------------------------- */

static void
test_threshold_separate_export (void)
{
  PsWindow *win = open_window (phantom_path);
  PsDocument *doc = ps_window_get_document (win);
  PsAnalysisPanel *panel = panel_of (win);
  PsVolume *vol = ps_document_get_volume (doc);
  g_autofree char *gui_a = ps_test_tmp_path ("gui-a");
  g_autofree char *cli_a = ps_test_tmp_path ("cli-a");
  g_autofree char *gui_b = ps_test_tmp_path ("gui-b");
  g_autofree char *cli_b = ps_test_tmp_path ("cli-b");
  g_autofree char *t_text = NULL;
  gsize n_pores = 0, n_carbon = 0;
  guint64 below = 0;
  double t, otsu;
  PsBox box;

  g_assert_false (ps_analysis_panel_is_current (panel));
  g_assert_true (isnan (ps_analysis_panel_get_porosity (panel)));

  /* The subvolume by numbers: 4, 5, 6 nm; 20 × 22 × 24 nm = voxels 8, 10, 12; 40 × 44 × 48. */
  g_action_group_activate_action (ps_document_get_actions (doc), "subvolume-nm",
                                  g_variant_new ("(dddddd)", 4.0, 5.0, 6.0, 20.0, 22.0, 24.0));
  g_assert_true (ps_document_get_subvolume (doc, &box));
  g_assert_cmpuint (box.x0, ==, 8);
  g_assert_cmpuint (box.nz, ==, 48);

  /* No smoothing: the first run (Otsu) gives the data to preview on. */
  activate (win, "analysis.smoothing", g_variant_new_double (0.0));
  g_assert_true (ps_document_get_busy (doc));
  ps_ui_test_wait_idle (doc);
  g_assert_true (ps_analysis_panel_is_current (panel));
  otsu = ps_analysis_panel_get_threshold (panel);
  g_assert_true (isfinite (otsu));

  /* A fixed threshold a little below Otsu's: the readout at once (before
   * the run finishes) equals a brute-force count on the raw subvolume. */
  t = otsu * 0.97;
  activate (win, "analysis.threshold", g_variant_new_double (t));
  for (gsize z = box.z0; z < box.z0 + box.nz; z++)
    for (gsize y = box.y0; y < box.y0 + box.ny; y++)
      for (gsize x = box.x0; x < box.x0 + box.nx; x++)
        below += vol->data[(z * vol->ny + y) * vol->nx + x] < t;
  g_assert_cmpfloat (ps_analysis_panel_get_threshold (panel), ==, t);
  g_assert_cmpfloat (ps_analysis_panel_get_porosity (panel), ==,
                     (double) below / (double) (box.nx * box.ny * box.nz));
  {
    g_autofree char *p = g_strdup_printf ("%.4f", (double) below / (double) (box.nx * box.ny * box.nz));
    g_assert_nonnull (strstr (ps_analysis_panel_get_porosity_text (panel), p));
  }
  /* The overlays: pores exactly the voxels below t inside the box. */
  {
    const PsOverlayLayer *pores = NULL, *carbon = NULL;
    for (guint i = 0; i < ps_document_get_n_overlays (doc); i++)
      {
        const PsOverlayLayer *l = ps_document_get_overlay (doc, i);
        if (g_strcmp0 (l->name, "pores") == 0)
          pores = l;
        else if (g_strcmp0 (l->name, "carbon") == 0)
          carbon = l;
      }
    g_assert_nonnull (pores);
    g_assert_nonnull (carbon);
    g_assert_cmpint (pores->phase, ==, PS_PHASE_PORES);
    g_assert_cmpint (carbon->phase, ==, PS_PHASE_CARBON);
    for (gsize i = 0, n = vol->nx * vol->ny * vol->nz; i < n; i++)
      {
        gsize x = i % vol->nx, y = (i / vol->nx) % vol->ny, z = i / (vol->nx * vol->ny);
        gboolean in = x >= box.x0 && x < box.x0 + box.nx && y >= box.y0 && y < box.y0 + box.ny && z >= box.z0
                      && z < box.z0 + box.nz;
        gboolean pore = in && vol->data[i] < t;
        g_assert_cmpuint (pores->labels->data[i] != 0, ==, pore);
        g_assert_cmpuint (carbon->labels->data[i] != 0, ==, in && !pore);
      }
  }
  ps_ui_test_wait_idle (doc);
  g_assert_true (ps_analysis_panel_is_current (panel));
  g_assert_true (ps_analysis_panel_get_counts (panel, &n_pores, &n_carbon));
  g_assert_cmpuint (n_pores, >, 0);
  g_assert_cmpuint (n_carbon, >, 0);
  /* After the run the readout is the run's: the same count. */
  g_assert_cmpfloat (ps_analysis_panel_get_porosity (panel), ==,
                     (double) below / (double) (box.nx * box.ny * box.nz));
  /* The seeds are drawn: one per seed the watershed used, inside the box. */
  {
    gsize n_seeds = 0;
    const PsSeed *seeds = ps_document_get_seeds (doc, &n_seeds);
    g_assert_cmpuint (n_seeds, >=, n_pores);
    for (gsize i = 0; i < n_seeds; i++)
      {
        g_assert_cmpfloat (seeds[i].x, >=, box.x0);
        g_assert_cmpfloat (seeds[i].x, <, box.x0 + box.nx);
        g_assert_cmpuint (seeds[i].label, >, 0);
      }
  }

  /* Export A = the CLI with the same parameters. */
  activate (win, "analysis.export", g_variant_new_string (gui_a));
  ps_ui_test_wait_idle (doc);
  g_assert_cmpstr (ps_analysis_panel_get_last_export (panel), ==, gui_a);
  t_text = fmt17 (t);
  {
    const char *const extra[] = { "--subvolume", "4,5,6:20x22x24", "--smooth", "0", "--threshold", t_text, NULL };
    run_cli (cli_a, extra);
  }
  assert_same_files (gui_a, cli_a);

  /* The statistics table: one row per pores.csv row, 19 columns. */
  {
    g_autofree char *csv = g_build_filename (gui_a, "pores.csv", NULL);
    GtkColumnView *table = GTK_COLUMN_VIEW (ps_analysis_panel_get_table (panel));
    g_assert_cmpuint (g_list_model_get_n_items (gtk_column_view_get_columns (table)), ==, 19);
    g_assert_cmpuint (g_list_model_get_n_items (ps_analysis_panel_get_table_model (panel)), ==, csv_rows (csv));
    g_assert_cmpuint (g_list_model_get_n_items (ps_analysis_panel_get_table_model (panel)), ==, n_pores);
  }

  /* Smoothing, Otsu and h through the actions, then export B = the CLI. */
  activate (win, "analysis.smoothing", g_variant_new_double (0.3));
  activate (win, "analysis.otsu", NULL);
  activate (win, "analysis.h", g_variant_new_double (0.35));
  ps_ui_test_wait_idle (doc);
  g_assert_true (ps_analysis_panel_is_current (panel));
  activate (win, "analysis.h", g_variant_new_double (0.6));
  /* Export while the run for h = 0.6 is in flight: it waits for it. */
  activate (win, "analysis.export", g_variant_new_string (gui_b));
  ps_ui_test_wait_idle (doc);
  ps_ui_test_wait_idle (doc);
  g_assert_cmpstr (ps_analysis_panel_get_last_export (panel), ==, gui_b);
  {
    const char *const extra[] = { "--subvolume", "4,5,6:20x22x24", "--smooth", "0.3", "--threshold", "otsu",
                                  "--h", "0.6", NULL };
    run_cli (cli_b, extra);
  }
  assert_same_files (gui_b, cli_b);
  destroy_window (win);
}

/* Seed edits through a click in the XY view (seed mode), Ctrl-click, Undo
 * and Redo, a merge by two Shift-clicks; the export equals the CLI given
 * the same edits as --seeds. */
static void
test_seed_edits (void)
{
  PsWindow *win = open_window (phantom_path);
  PsDocument *doc = ps_window_get_document (win);
  PsAnalysisPanel *panel = panel_of (win);
  GActionGroup *actions = ps_analysis_panel_get_actions (panel);
  PsVolume *vol = ps_document_get_volume (doc);
  PsSliceView *xy = ps_window_get_slice_view (win, PS_SLICE_XY);
  g_autofree char *gui = ps_test_tmp_path ("gui-seeds");
  g_autofree char *cli = ps_test_tmp_path ("cli-seeds");
  g_autofree char *seeds_csv = ps_test_tmp_path ("seeds.csv");
  g_autofree char *t_text = NULL;
  g_autoptr (GError) error = NULL;
  gsize n0 = 0, n = 0, nc = 0, pick[3] = { 0 };
  gboolean found = FALSE;
  double t, wx, wy;
  PsBox box;

  g_action_group_activate_action (ps_document_get_actions (doc), "subvolume-nm",
                                  g_variant_new ("(dddddd)", 4.0, 5.0, 6.0, 20.0, 22.0, 24.0));
  g_assert_true (ps_document_get_subvolume (doc, &box));
  activate (win, "analysis.smoothing", g_variant_new_double (0.0));
  ps_ui_test_wait_idle (doc);
  t = ps_analysis_panel_get_threshold (panel) * 0.97;
  activate (win, "analysis.threshold", g_variant_new_double (t));
  ps_ui_test_wait_idle (doc);
  g_assert_true (ps_analysis_panel_get_counts (panel, &n0, &nc));

  /* A pore voxel near the box's centre (no smoothing: raw < t). */
  for (gsize r = 0; r < 8 && !found; r++)
    for (gsize d = 0; d < 27 && !found; d++)
      {
        gsize x = box.x0 + box.nx / 2 + (d % 3) * r, y = box.y0 + box.ny / 2 + (d / 3 % 3) * r;
        gsize z = box.z0 + box.nz / 2 + (d / 9) * r;
        if (vol->data[(z * vol->ny + y) * vol->nx + x] < t)
          {
            pick[0] = x;
            pick[1] = y;
            pick[2] = z;
            found = TRUE;
          }
      }
  g_assert_true (found);
  ps_document_set_crosshair (doc, pick[0], pick[1], pick[2]);
  gtk_test_widget_wait_for_draw (GTK_WIDGET (xy));
  {
    double v[3] = { (double) pick[0], (double) pick[1], (double) pick[2] };
    g_assert_true (ps_slice_view_voxel_to_widget (xy, v, &wx, &wy));
  }

  /* Not in seed mode: a click is not the seed tool's. */
  g_assert_false (_ps_analysis_panel_click (panel, xy, wx, wy, 0));
  g_action_group_change_action_state (actions, "seed-mode", g_variant_new_boolean (TRUE));
  g_assert_true (_ps_analysis_panel_click (panel, xy, wx, wy, 0));
  g_assert_cmpuint (ps_analysis_panel_get_n_edits (panel), ==, 1);
  ps_ui_test_wait_idle (doc);
  g_assert_true (ps_analysis_panel_get_counts (panel, &n, NULL));
  g_assert_cmpuint (n, ==, n0 + 1);
  /* The manual seed is drawn where it was clicked. */
  {
    gsize n_seeds = 0;
    gboolean seen = FALSE;
    const PsSeed *seeds = ps_document_get_seeds (doc, &n_seeds);
    for (gsize i = 0; i < n_seeds; i++)
      seen |= seeds[i].x == pick[0] && seeds[i].y == pick[1] && seeds[i].z == pick[2];
    g_assert_true (seen);
  }

  /* Ctrl-click: the object there loses its seeds. */
  g_assert_true (_ps_analysis_panel_click (panel, xy, wx, wy, GDK_CONTROL_MASK));
  ps_ui_test_wait_idle (doc);
  g_assert_true (ps_analysis_panel_get_counts (panel, &n, NULL));
  g_assert_cmpuint (n, ==, n0);
  g_assert_cmpuint (ps_analysis_panel_get_n_edits (panel), ==, 2);

  /* Undo, Redo, Undo. */
  activate (win, "analysis.undo-seed", NULL);
  ps_ui_test_wait_idle (doc);
  g_assert_true (ps_analysis_panel_get_counts (panel, &n, NULL));
  g_assert_cmpuint (n, ==, n0 + 1);
  activate (win, "analysis.redo-seed", NULL);
  ps_ui_test_wait_idle (doc);
  g_assert_true (ps_analysis_panel_get_counts (panel, &n, NULL));
  g_assert_cmpuint (n, ==, n0);
  activate (win, "analysis.undo-seed", NULL);
  ps_ui_test_wait_idle (doc);
  g_assert_cmpuint (ps_analysis_panel_get_n_edits (panel), ==, 1);
  g_assert_true (ps_analysis_panel_get_counts (panel, &n, NULL));
  g_assert_cmpuint (n, ==, n0 + 1);

  /* Shift-click two touching pores in one XY slice: they merge. */
  {
    const PsOverlayLayer *pores = NULL;
    gsize a[3] = { 0 }, b[3] = { 0 };
    gboolean pair = FALSE;
    double ax, ay, bx, by;
    for (guint i = 0; i < ps_document_get_n_overlays (doc); i++)
      if (g_strcmp0 (ps_document_get_overlay (doc, i)->name, "pores") == 0)
        pores = ps_document_get_overlay (doc, i);
    g_assert_nonnull (pores);
    g_assert_cmpint (pores->mode, ==, PS_OVERLAY_PER_LABEL);
    for (gsize z = box.z0 + 2; z < box.z0 + box.nz - 2 && !pair; z++)
      for (gsize y = box.y0 + 2; y < box.y0 + box.ny - 2 && !pair; y++)
        for (gsize x = box.x0 + 2; x + 1 < box.x0 + box.nx - 2 && !pair; x++)
          {
            guint32 la = pores->labels->data[(z * vol->ny + y) * vol->nx + x];
            guint32 lb = pores->labels->data[(z * vol->ny + y) * vol->nx + x + 1];
            if (la != 0 && lb != 0 && la != lb)
              {
                a[0] = x, a[1] = y, a[2] = z;
                b[0] = x + 1, b[1] = y, b[2] = z;
                pair = TRUE;
              }
          }
    g_assert_true (pair);
    ps_document_set_crosshair (doc, a[0], a[1], a[2]);
    gtk_test_widget_wait_for_draw (GTK_WIDGET (xy));
    {
      double va[3] = { (double) a[0], (double) a[1], (double) a[2] };
      double vb[3] = { (double) b[0], (double) b[1], (double) b[2] };
      g_assert_true (ps_slice_view_voxel_to_widget (xy, va, &ax, &ay));
      g_assert_true (ps_slice_view_voxel_to_widget (xy, vb, &bx, &by));
    }
    g_assert_true (_ps_analysis_panel_click (panel, xy, ax, ay, GDK_SHIFT_MASK));
    g_assert_cmpuint (ps_analysis_panel_get_n_edits (panel), ==, 1);   /* waits for the second object */
    g_assert_true (_ps_analysis_panel_click (panel, xy, bx, by, GDK_SHIFT_MASK));
    g_assert_cmpuint (ps_analysis_panel_get_n_edits (panel), ==, 2);
    ps_ui_test_wait_idle (doc);
    g_assert_true (ps_analysis_panel_get_counts (panel, &n, NULL));
    g_assert_cmpuint (n, ==, n0);
    pores = NULL;
    for (guint i = 0; i < ps_document_get_n_overlays (doc); i++)
      if (g_strcmp0 (ps_document_get_overlay (doc, i)->name, "pores") == 0)
        pores = ps_document_get_overlay (doc, i);
    g_assert_cmpuint (pores->labels->data[(a[2] * vol->ny + a[1]) * vol->nx + a[0]], ==,
                      pores->labels->data[(b[2] * vol->ny + b[1]) * vol->nx + b[0]]);
  }

  /* Export = the CLI with the same edits as a --seeds file. */
  activate (win, "analysis.export", g_variant_new_string (gui));
  ps_ui_test_wait_idle (doc);
  g_assert_cmpstr (ps_analysis_panel_get_last_export (panel), ==, gui);
  g_assert_true (ps_analysis_panel_save_edits (panel, seeds_csv, &error));
  g_assert_no_error (error);
  t_text = fmt17 (t);
  {
    const char *const extra[] = { "--subvolume", "4,5,6:20x22x24", "--smooth", "0", "--threshold", t_text,
                                  "--seeds", seeds_csv, NULL };
    run_cli (cli, extra);
  }
  assert_same_files (gui, cli);

  /* A saved session records the panel's parameters and edits: `porescope-cli
   * run` replays it to the same files, and opening it in a new window
   * restores them (the export there is the same again). */
  {
    g_autofree char *session = ps_test_tmp_path ("analysis.porescope");
    g_autofree char *replay = ps_test_tmp_path ("cli-run");
    g_autofree char *gui2 = ps_test_tmp_path ("gui-session");
    g_autofree char *out = NULL, *err = NULL;
    const char *argv[] = { ps_test_cli_path (), "run", session, "-q", "-o", replay, NULL };
    PsWindow *win2 = ps_window_new (GTK_APPLICATION (app));
    PsDocument *doc2 = ps_window_get_document (win2);
    PsAnalysisPanel *panel2 = panel_of (win2);
    int rc;

    g_assert_true (ps_session_ui_save_path (doc, NULL, session, &error));
    g_assert_no_error (error);
    rc = ps_test_spawn (&out, &err, argv);
    if (rc != 0)
      g_test_message ("porescope-cli run: %s", err);
    g_assert_cmpint (rc, ==, 0);
    assert_same_files (gui, replay);

    gtk_window_present (GTK_WINDOW (win2));
    ps_session_ui_open_path (GTK_WINDOW (win2), doc2, NULL, session);
    ps_ui_test_wait_idle (doc2);
    g_assert_nonnull (ps_document_get_volume (doc2));
    g_assert_cmpuint (ps_analysis_panel_get_n_edits (panel2), ==, 2);
    g_assert_false (ps_analysis_panel_is_current (panel2));
    activate (win2, "analysis.export", g_variant_new_string (gui2));
    ps_ui_test_wait_idle (doc2);
    ps_ui_test_wait_idle (doc2);
    g_assert_cmpstr (ps_analysis_panel_get_last_export (panel2), ==, gui2);
    assert_same_files (gui, gui2);
    destroy_window (win2);
  }
  destroy_window (win);
}

/* The show-object action centres the crosshair on the row's centroid (nm in
 * the full volume's frame: voxel ⌊c / dx⌋), read from the exported CSV. */
static void
test_show_object (void)
{
  PsWindow *win = open_window (phantom_path);
  PsDocument *doc = ps_window_get_document (win);
  PsAnalysisPanel *panel = panel_of (win);
  g_autofree char *dir = ps_test_tmp_path ("gui-c");
  g_autofree char *csv = NULL;
  g_autofree char *text = NULL;
  g_auto (GStrv) lines = NULL;
  double s[3];
  gsize c[3];
  guint row = 0;

  g_action_group_activate_action (ps_document_get_actions (doc), "subvolume-nm",
                                  g_variant_new ("(dddddd)", 8.0, 8.0, 8.0, 16.0, 16.0, 16.0));
  activate (win, "analysis.separate", NULL);
  ps_ui_test_wait_idle (doc);
  activate (win, "analysis.export", g_variant_new_string (dir));
  ps_ui_test_wait_idle (doc);
  /* Untouched controls are the CLI's defaults (smoothing 0.6 voxel, Otsu,
   * the default h): the same files as a CLI run without options. */
  {
    g_autofree char *cli = ps_test_tmp_path ("cli-c");
    const char *const extra[] = { "--subvolume", "8,8,8:16x16x16", NULL };
    run_cli (cli, extra);
    assert_same_files (dir, cli);
  }
  csv = g_build_filename (dir, "pores.csv", NULL);
  g_assert_true (g_file_get_contents (csv, &text, NULL, NULL));
  lines = g_strsplit (text, "\r\n", -1);
  ps_document_get_spacing (doc, s);
  /* The table is sorted by label (the CSV's order) until a header is clicked. */
  for (guint i = 0; lines[i] != NULL; i++)
    {
      g_auto (GStrv) f = NULL;
      if (lines[i][0] == '#' || lines[i][0] == '\0' || g_str_has_prefix (lines[i], "label"))
        continue;
      f = g_strsplit (lines[i], ",", -1);
      activate (win, "analysis.show-object", g_variant_new_int32 ((gint32) row));
      ps_document_get_crosshair (doc, c);
      for (int a = 0; a < 3; a++)
        g_assert_cmpuint (c[a], ==, (gsize) floor (g_ascii_strtod (f[7 + a], NULL) / s[a]));
      row++;
    }
  g_assert_cmpuint (row, ==, g_list_model_get_n_items (ps_analysis_panel_get_table_model (panel)));
  g_assert_cmpuint (row, >, 0);
  /* Sorted by equivalent diameter (column 4 of the CSV), largest first: row
   * 0 is the largest object (the first by label among equals: the sort is
   * stable). */
  {
    GtkColumnView *table = GTK_COLUMN_VIEW (ps_analysis_panel_get_table (panel));
    g_autoptr (GtkColumnViewColumn) eqd = g_list_model_get_item (gtk_column_view_get_columns (table), 3);
    double best = -1;
    gsize want[3] = { 0 };
    for (guint i = 0; lines[i] != NULL; i++)
      {
        g_auto (GStrv) f = NULL;
        double d;
        if (lines[i][0] == '#' || lines[i][0] == '\0' || g_str_has_prefix (lines[i], "label"))
          continue;
        f = g_strsplit (lines[i], ",", -1);
        d = g_ascii_strtod (f[3], NULL);
        if (d > best)
          {
            best = d;
            for (int a = 0; a < 3; a++)
              want[a] = (gsize) floor (g_ascii_strtod (f[7 + a], NULL) / s[a]);
          }
      }
    gtk_column_view_sort_by_column (table, eqd, GTK_SORT_DESCENDING);
    ps_ui_test_spin ();
    activate (win, "analysis.show-object", g_variant_new_int32 (0));
    ps_document_get_crosshair (doc, c);
    for (int a = 0; a < 3; a++)
      g_assert_cmpuint (c[a], ==, want[a]);
  }
  /* Hide the objects cut by the faces: the rows with touches_border = 0. */
  {
    guint inside = 0;
    for (guint i = 0; lines[i] != NULL; i++)
      {
        g_auto (GStrv) f = NULL;
        if (lines[i][0] == '#' || lines[i][0] == '\0' || g_str_has_prefix (lines[i], "label"))
          continue;
        f = g_strsplit (lines[i], ",", -1);
        inside += strcmp (f[16], "0") == 0;
      }
    g_assert_cmpuint (inside, >, 0);
    g_assert_cmpuint (inside, <, row);
    g_action_group_change_action_state (ps_analysis_panel_get_actions (panel), "hide-cut",
                                        g_variant_new_boolean (TRUE));
    g_assert_cmpuint (g_list_model_get_n_items (ps_analysis_panel_get_table_model (panel)), ==, inside);
    g_action_group_change_action_state (ps_analysis_panel_get_actions (panel), "hide-cut",
                                        g_variant_new_boolean (FALSE));
    g_assert_cmpuint (g_list_model_get_n_items (ps_analysis_panel_get_table_model (panel)), ==, row);
  }
  /* The carbon table. */
  activate (win, "analysis.table-phase", g_variant_new_string ("carbon"));
  {
    gsize np, nc;
    g_assert_true (ps_analysis_panel_get_counts (panel, &np, &nc));
    g_assert_cmpuint (g_list_model_get_n_items (ps_analysis_panel_get_table_model (panel)), ==, nc);
  }
  destroy_window (win);
}

/* The live readout on the 128³ demo (whole volume = the analysed region):
 * the threshold action's own work (count, overlays) well under 100 ms. */
static void
test_live_speed (void)
{
  PsWindow *win = open_window (NULL);
  PsDocument *doc = ps_window_get_document (win);
  PsAnalysisPanel *panel = panel_of (win);
  PsVolume *vol = ps_document_get_volume (doc);
  double best = INFINITY, t0;

  g_assert_cmpuint (vol->nx * vol->ny * vol->nz, ==, 128 * 128 * 128);
  activate (win, "analysis.separate", NULL);
  ps_ui_test_wait_idle (doc);
  t0 = ps_analysis_panel_get_threshold (panel);
  for (int k = 0; k < 5; k++)
    {
      gint64 start = g_get_monotonic_time ();
      g_assert_true (ps_analysis_panel_preview_threshold (panel, t0 * (0.9 + 0.05 * k)));
      best = MIN (best, (double) (g_get_monotonic_time () - start) / 1000.0);
      ps_ui_test_spin ();
    }
  g_test_message ("threshold preview on 128³: %.1f ms (best of 5)", best);
  g_assert_cmpfloat (best, <, 100.0);
  destroy_window (win);
}

/* The sliders as a user moves them: nothing runs while they move, and the
 * value they rest at becomes the analysis parameter (one run, current). */
static void
test_sliders_rest (void)
{
  PsWindow *win = open_window (phantom_path);
  PsDocument *doc = ps_window_get_document (win);
  PsAnalysisPanel *panel = panel_of (win);
  GtkAdjustment *t = _ps_analysis_panel_get_adjustment (panel, "threshold");
  GtkAdjustment *h = _ps_analysis_panel_get_adjustment (panel, "h");
  double lo = gtk_adjustment_get_lower (t), hi = gtk_adjustment_get_upper (t);
  double want_t = lo + 0.37 * (hi - lo), want_h = 0.4;

  activate (win, "analysis.smoothing", g_variant_new_double (0.0));
  activate (win, "analysis.separate", NULL);
  ps_ui_test_wait_idle (doc);
  for (int k = 0; k < 5; k++)
    gtk_adjustment_set_value (t, lo + (0.2 + 0.05 * k) * (hi - lo));
  gtk_adjustment_set_value (t, want_t);
  gtk_adjustment_set_value (h, 0.1);
  gtk_adjustment_set_value (h, want_h);
  g_assert_false (ps_document_get_busy (doc));   /* still moving: no run yet */
  for (gint64 end = g_get_monotonic_time () + 30 * G_USEC_PER_SEC;
       !ps_analysis_panel_is_current (panel) || ps_document_get_busy (doc);)
    {
      g_assert_cmpint (g_get_monotonic_time (), <, end);
      g_main_context_iteration (NULL, TRUE);
    }
  g_assert_cmpfloat_with_epsilon (ps_analysis_panel_get_threshold (panel), want_t, 1e-9);
  {
    g_autoptr (PsSession) session = ps_session_new ();
    ps_analysis_panel_to_session (panel, session);
    g_assert_false (session->threshold_auto);
    g_assert_cmpfloat_with_epsilon (session->threshold, want_t, 1e-9);
    g_assert_cmpfloat_with_epsilon (session->h_nm, want_h, 1e-9);
  }
  destroy_window (win);
}

/* Separate or Export pressed while a file is loading, or while a save runs,
 * waits for that job instead of cancelling it: the file opens, the save
 * lands, and the request then runs on what the document shows. */
static void
test_waits_for_document_jobs (void)
{
  PsWindow *win = open_window (phantom_path);
  PsDocument *doc = ps_window_get_document (win);
  PsAnalysisPanel *panel = panel_of (win);
  g_autofree char *saved = ps_test_tmp_path ("waits-saved.mrc");
  g_autofree char *dir = ps_test_tmp_path ("waits-export");
  g_autofree char *summary = g_build_filename (dir, "summary.json", NULL);
  g_autoptr (GFile) save_file = g_file_new_for_path (saved);
  gsize n = 0;

  /* A load in flight (the demo), then Separate on the volume being replaced. */
  ps_document_load_demo (doc);
  g_assert_true (ps_document_get_busy (doc));
  activate (win, "analysis.separate", NULL);
  ps_ui_test_wait_idle (doc);
  g_assert_true (ps_document_is_demo (doc));
  g_assert_cmpuint (ps_document_get_volume (doc)->nx, ==, 128);
  /* the request belonged to the replaced volume: dropped, nothing separated */
  g_assert_false (ps_analysis_panel_get_counts (panel, &n, NULL));

  /* A save in flight, then Export: the file is written, then the export. */
  g_assert_cmpint (g_mkdir_with_parents (dir, 0755), ==, 0);
  ps_document_save (doc, save_file);
  g_assert_true (ps_document_get_busy (doc));
  activate (win, "analysis.export", g_variant_new_string (dir));
  ps_ui_test_wait_idle (doc);
  for (gint64 end = g_get_monotonic_time () + 60 * G_USEC_PER_SEC;
       !g_file_test (summary, G_FILE_TEST_IS_REGULAR) && g_get_monotonic_time () < end;)
    {
      g_main_context_iteration (NULL, TRUE);
      ps_ui_test_wait_idle (doc);
    }
  g_assert_true (g_file_test (saved, G_FILE_TEST_IS_REGULAR));
  g_assert_true (g_file_test (summary, G_FILE_TEST_IS_REGULAR));
  g_assert_true (ps_analysis_panel_get_counts (panel, &n, NULL));
  g_assert_cmpuint (n, >, 0);
  destroy_window (win);
}

/* ---- screenshots --------------------------------------------------------------- */

/* Scroll the sidebar so @widget is at its top. (Call wait_settled() once
 * per window: it grows the window by the X11 frame each time.) */
static void
scroll_to (GtkWidget *widget)
{
  GtkWidget *sw = gtk_widget_get_ancestor (widget, GTK_TYPE_SCROLLED_WINDOW);
  GtkWidget *child;
  graphene_point_t p = GRAPHENE_POINT_INIT (0, 0), q;

  while (sw != NULL && gtk_widget_get_ancestor (gtk_widget_get_parent (sw), GTK_TYPE_SCROLLED_WINDOW) != NULL
         && gtk_scrolled_window_get_child (GTK_SCROLLED_WINDOW (sw)) != NULL
         && !gtk_widget_is_ancestor (widget, gtk_scrolled_window_get_child (GTK_SCROLLED_WINDOW (sw))))
    sw = gtk_widget_get_ancestor (gtk_widget_get_parent (sw), GTK_TYPE_SCROLLED_WINDOW);
  g_assert_nonnull (sw);
  child = gtk_scrolled_window_get_child (GTK_SCROLLED_WINDOW (sw));
  /* The viewport's content, not the viewport: its coordinates do not move
   * with the scrolling. */
  if (GTK_IS_VIEWPORT (child))
    child = gtk_viewport_get_child (GTK_VIEWPORT (child));
  g_assert_true (gtk_widget_compute_point (widget, child, &p, &q));
  gtk_adjustment_set_value (gtk_scrolled_window_get_vadjustment (GTK_SCROLLED_WINDOW (sw)), q.y);
}

/* The panel's child label reading @text. */
static GtkWidget *
heading (GtkWidget *panel, const char *text)
{
  for (GtkWidget *h = gtk_widget_get_first_child (panel); h != NULL; h = gtk_widget_get_next_sibling (h))
    if (GTK_IS_LABEL (h) && g_strcmp0 (gtk_label_get_label (GTK_LABEL (h)), text) == 0)
      return h;
  g_assert_not_reached ();
}

static void
screenshot (PsWindow *win, const char *name)
{
  const char *dir = g_getenv ("PORESCOPE_SCREENSHOT_DIR");
  GtkWidget *widget = adw_application_window_get_content (ADW_APPLICATION_WINDOW (win));
  g_autoptr (GError) error = NULL;
  g_autoptr (GdkTexture) tex = NULL;
  g_autofree char *path = NULL;

  for (gint64 end = g_get_monotonic_time () + 600000; g_get_monotonic_time () < end;)
    {
      gtk_widget_queue_draw (widget);
      gtk_test_widget_wait_for_draw (widget);
    }
  tex = ps_export_widget_texture (widget, &error);
  g_assert_no_error (error);
  path = g_build_filename (dir, name, NULL);
  g_assert_true (ps_export_texture_png (tex, path, &error));
  g_assert_no_error (error);
}

/* docs/screenshots/segment.png, separate.png, statistics.png: the demo with
 * the subvolume of subvolume.png. */
static void
test_screenshots (void)
{
  PsWindow *win = open_window (NULL);
  PsDocument *doc = ps_window_get_document (win);
  PsAnalysisPanel *panel = panel_of (win);
  GtkWidget *w = GTK_WIDGET (panel);
  double t;

  g_action_group_activate_action (ps_document_get_actions (doc), "subvolume-nm",
                                  g_variant_new ("(dddddd)", 16.0, 18.0, 14.0, 23.9, 29.6, 33.1));
  activate (win, "analysis.separate", NULL);
  ps_ui_test_wait_idle (doc);
  ps_ui_test_wait_settled (win);
  t = ps_analysis_panel_get_threshold (panel);

  /* Segment: the live preview at a threshold a little above Otsu's. */
  g_assert_true (ps_analysis_panel_preview_threshold (panel, t * 1.04));
  scroll_to (w);
  screenshot (win, "segment.png");

  /* Separate: back at Otsu's, the objects. */
  activate (win, "analysis.otsu", NULL);
  ps_ui_test_wait_idle (doc);
  /* The "Separate" heading at the top: the h slider, seeds and counts show. */
  scroll_to (heading (w, "Separate"));
  screenshot (win, "separate.png");

  /* Statistics: the table sorted by size, the largest pore shown. */
  {
    GtkColumnView *table = GTK_COLUMN_VIEW (ps_analysis_panel_get_table (panel));
    g_autoptr (GtkColumnViewColumn) eqd = g_list_model_get_item (gtk_column_view_get_columns (table), 3);
    gtk_column_view_sort_by_column (table, eqd, GTK_SORT_DESCENDING);
    ps_ui_test_spin ();
    activate (win, "analysis.show-object", g_variant_new_int32 (0));
    scroll_to (heading (w, "Statistics"));
  }
  screenshot (win, "statistics.png");
  destroy_window (win);
}

int
main (int argc, char **argv)
{
  int status;

  app = ps_ui_test_init (&argc, &argv);
  make_phantom ();

  g_test_add_func ("/ui/analysis/threshold-separate-export", test_threshold_separate_export);
  g_test_add_func ("/ui/analysis/seed-edits", test_seed_edits);
  g_test_add_func ("/ui/analysis/show-object", test_show_object);
  g_test_add_func ("/ui/analysis/live-speed", test_live_speed);
  g_test_add_func ("/ui/analysis/waits-for-document-jobs", test_waits_for_document_jobs);
  g_test_add_func ("/ui/analysis/sliders-rest", test_sliders_rest);
  if (g_getenv ("PORESCOPE_SCREENSHOT_DIR") != NULL)
    g_test_add_func ("/ui/analysis/screenshots", test_screenshots);
  status = g_test_run ();
  g_clear_object (&app);
  g_free (phantom_path);
  return status;
}
