/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The interactive workflow, part A (issue 7; suite "ui", under Xvfb):
 * reconstruction of the phantom's tilt series through `win.reconstruct`
 * (cancelled once: the old dataset stays; then completed: the result equals
 * ps_wbp_run()/ps_sirt_run() called directly, bit for bit), the main loop's
 * longest stall while SIRT runs, the SIRT preview, and the subvolume actions
 * (nm → voxels as ps_subvolume_resolve() gives them, the extent label,
 * extraction as a new dataset checked voxel by voxel). */
#include "config.h"

#include <glib/gstdio.h>
#include <math.h>
#include <string.h>

#include "ps-application.h"
#include "ps-phantom.h"
#include "ps-reconstruct.h"
#include "ps-sirt.h"
#include "ps-subvolume.h"
#include "ps-subvolume-tool.h"
#include "ps-test-util.h"
#include "ps-volume-io.h"
#include "ps-wbp.h"
#include "ps-window.h"

static PsApplication *app;
static char *stack_path;   /* the phantom's tilt series (TIFF) */
static char *tlt_path;     /* its angles */

/* ---- fixtures --------------------------------------------------------------- */

static void
spin (void)
{
  while (g_main_context_iteration (NULL, FALSE))
    ;
}

static void
wait_idle (PsDocument *doc)
{
  gint64 deadline = g_get_monotonic_time () + 120 * G_USEC_PER_SEC;
  while (ps_document_get_busy (doc))
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_main_context_iteration (NULL, TRUE);
    }
  spin ();
}

/* A 48³ phantom (0.5 nm voxels) and its noise-free tilt series −60:60:4. */
static void
make_tilt_series (void)
{
  PsPhantomParams pp;
  PsTiltSimParams sp;
  g_autoptr (PsVolume) vol = NULL;
  g_autoptr (PsTiltSeries) ts = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree double *angles = NULL;
  gsize n = 0;
  char why[256];

  ps_phantom_params_init (&pp);
  pp.size = 48;
  pp.seed = 5;
  g_assert_cmpint (ps_phantom_generate (&pp, &vol, NULL, NULL, NULL, why, sizeof why), ==, PS_OK);
  angles = ps_angles_from_range ("-60:60:4", &n, &error);
  g_assert_no_error (error);
  ps_tilt_sim_params_init (&sp);
  sp.angles = angles;
  sp.n_angles = n;
  sp.dose = 0.0;
  g_assert_cmpint (ps_phantom_simulate_tilt (&sp, vol, &ts, NULL, why, sizeof why), ==, PS_OK);
  stack_path = ps_test_tmp_path ("phantom-tilt.tif");
  tlt_path = ps_test_tmp_path ("phantom-tilt.tlt");
  g_assert_true (ps_tilt_series_save (ts, stack_path, tlt_path, &error));
  g_assert_no_error (error);
}

static PsVolume *
make_volume (gsize nx, gsize ny, gsize nz, double dx, double dy, double dz)
{
  PsStatus st;
  PsVolume *v = ps_volume_new (nx, ny, nz, &st);
  g_assert_nonnull (v);
  for (gsize i = 0; i < nx * ny * nz; i++)
    v->data[i] = (float) (i % 1013) / 1013.0f;
  ps_volume_set_spacing (v, dx, dy, dz);
  return v;
}

static PsWindow *
new_window_with_volume (PsVolume *vol)
{
  PsWindow *win = ps_window_new (GTK_APPLICATION (app));
  gtk_window_present (GTK_WINDOW (win));
  ps_document_set_volume (ps_window_get_document (win), vol, "fixture", NULL);
  wait_idle (ps_window_get_document (win));
  return win;
}

static gboolean
settled_cb (gpointer data)
{
  *(gboolean *) data = TRUE;
  return G_SOURCE_REMOVE;
}

/* Every view has drawn the dataset (the 3D view's first frame included). */
static void
wait_settled (PsWindow *win)
{
  gboolean done = FALSE;
  gint64 deadline = g_get_monotonic_time () + 60 * G_USEC_PER_SEC;
  ps_window_when_settled (win, settled_cb, &done);
  while (!done)
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_main_context_iteration (NULL, TRUE);
    }
}

static void
destroy_window (PsWindow *win)
{
  gtk_window_destroy (GTK_WINDOW (win));
  spin ();
}

static GVariant *
recon_params (const char *method, int iterations, int threads)
{
  GVariantDict d;
  g_variant_dict_init (&d, NULL);
  g_variant_dict_insert (&d, "stack", "s", stack_path);
  g_variant_dict_insert (&d, "angles", "s", tlt_path);
  g_variant_dict_insert (&d, "method", "s", method);
  if (iterations > 0)
    g_variant_dict_insert (&d, "iterations", "i", iterations);
  if (threads > 0)
    g_variant_dict_insert (&d, "threads", "i", threads);
  return g_variant_dict_end (&d);
}

static PsTiltSeries *
load_series (void)
{
  g_autoptr (GError) error = NULL;
  PsTiltSeries *ts = ps_tilt_series_load (stack_path, tlt_path, NULL, &error);
  g_assert_no_error (error);
  return ts;
}

static void
assert_same_volume (const PsVolume *a, const PsVolume *b)
{
  g_assert_cmpuint (a->nx, ==, b->nx);
  g_assert_cmpuint (a->ny, ==, b->ny);
  g_assert_cmpuint (a->nz, ==, b->nz);
  for (int i = 0; i < 3; i++)
    g_assert_cmpfloat (a->spacing[i], ==, b->spacing[i]);
  g_assert_cmpint (memcmp (a->data, b->data, a->nx * a->ny * a->nz * sizeof (float)), ==, 0);
}

/* ---- reconstruction ------------------------------------------------------------ */

/* Cancel a long SIRT through doc.cancel: the old dataset stays, nothing is
 * shown, no provenance; then WBP through the same action completes and
 * equals ps_wbp_run() on the same file with the CLI's defaults. */
static void
test_recon_cancel_then_wbp (void)
{
  g_autoptr (PsVolume) old = make_volume (20, 16, 12, 1, 1, 1);
  PsWindow *win = new_window_with_volume (old);
  PsDocument *doc = ps_window_get_document (win);
  GActionGroup *doc_actions = ps_document_get_actions (doc);
  g_autoptr (PsTiltSeries) ts = load_series ();
  g_autoptr (PsVolume) expected = NULL;
  PsWbpParams wp;
  const PsReconInfo *info;
  PsJob *job;
  char why[256];
  gint64 deadline;

  g_assert_true (ps_document_get_volume (doc) == old);
  gtk_widget_activate_action_variant (GTK_WIDGET (win), "win.reconstruct", recon_params ("sirt", 100000, 1));
  job = ps_document_get_job (doc);
  g_assert_nonnull (job);
  g_object_ref (job);
  /* Let it run a little, then cancel as the Cancel button does. */
  deadline = g_get_monotonic_time () + 60 * G_USEC_PER_SEC;
  while (ps_job_get_fraction (job) <= 0.0)
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_main_context_iteration (NULL, TRUE);
    }
  g_assert_true (g_action_group_get_action_enabled (doc_actions, "cancel"));
  g_action_group_activate_action (doc_actions, "cancel", NULL);
  g_assert_false (ps_document_get_busy (doc));
  /* The worker stops within a slice; wait for it to finish. */
  deadline = g_get_monotonic_time () + 30 * G_USEC_PER_SEC;
  while (ps_job_get_running (job))
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_main_context_iteration (NULL, TRUE);
    }
  g_object_unref (job);
  spin ();
  g_assert_false (ps_document_get_busy (doc));
  g_assert_true (ps_document_get_volume (doc) == old);
  g_assert_null (ps_document_get_recon_info (doc));
  g_assert_null (ps_window_get_error (win));

  gtk_widget_activate_action_variant (GTK_WIDGET (win), "win.reconstruct", recon_params ("wbp", 0, 0));
  wait_idle (doc);
  g_assert_null (ps_window_get_error (win));
  g_assert_true (ps_document_get_volume (doc) != old);
  ps_wbp_params_init (&wp);
  g_assert_cmpint (ps_wbp_run (&wp, ts, &expected, NULL, why, sizeof why), ==, PS_OK);
  assert_same_volume (ps_document_get_volume (doc), expected);
  info = ps_document_get_recon_info (doc);
  g_assert_nonnull (info);
  g_assert_cmpstr (info->method, ==, "wbp");
  g_assert_cmpstr (info->filter, ==, "ramp");
  g_assert_cmpstr (info->source, ==, stack_path);
  g_assert_cmpuint (info->n_angles, ==, 31);
  g_assert_cmpfloat (info->angle_min, ==, -60.0);
  g_assert_cmpfloat (info->angle_max, ==, 60.0);
  g_assert_cmpuint (info->thickness, ==, 48);
  g_assert_cmpstr (ps_document_get_title (doc), ==, "Reconstruction (WBP) of phantom-tilt.tif");

  /* Bad parameters are refused before anything runs, in the banner. */
  {
    GVariantDict d;
    g_variant_dict_init (&d, NULL);
    g_variant_dict_insert (&d, "stack", "s", stack_path);
    g_variant_dict_insert (&d, "method", "s", "art");
    gtk_widget_activate_action_variant (GTK_WIDGET (win), "win.reconstruct", g_variant_dict_end (&d));
    g_assert_false (ps_document_get_busy (doc));
    g_assert_nonnull (ps_window_get_error (win));
    g_assert_nonnull (strstr (ps_window_get_error (win), "art"));
  }
  destroy_window (win);
}

typedef struct
{
  PsJob *job;        /* gaps count while it runs */
  gint64 last;
  gint64 max_gap;
  guint ticks;
  gint64 after_gap;  /* longest gap once it stopped (reported only) */
} Ticker;

static gboolean
tick_cb (gpointer data)
{
  Ticker *t = data;
  gint64 now = g_get_monotonic_time ();
  if (t->last != 0 && ps_job_get_running (t->job))
    t->max_gap = MAX (t->max_gap, now - t->last);
  else if (t->last != 0)
    t->after_gap = MAX (t->after_gap, now - t->last);
  t->last = now;
  t->ticks++;
  return G_SOURCE_CONTINUE;
}

static void
count_preview (PsReconRun *run, gpointer data)
{
  const float *xy, *xz;
  gsize size[3];
  int it, n;
  double res;
  g_assert_true (ps_recon_run_get_preview (run, &xy, &xz, size, &it, &n, &res));
  g_assert_cmpuint (size[0], ==, 48);
  g_assert_cmpuint (size[2], ==, 48);
  g_assert_cmpint (it, >=, 1);
  g_assert_cmpint (it, <=, n);
  g_assert_true (isfinite (res));
  (*(int *) data)++;
}

/* SIRT (150 iterations, ~1 s) with previews: the main loop keeps ticking (no gap > 100 ms between
 * 10 ms timeouts while the job runs), previews arrive, and the result equals
 * ps_sirt_run() with the same parameters. */
static void
test_recon_sirt_responsive (void)
{
  g_autoptr (PsVolume) old = make_volume (20, 16, 12, 1, 1, 1);
  PsWindow *win = new_window_with_volume (old);
  PsDocument *doc = ps_window_get_document (win);
  g_autoptr (PsTiltSeries) ts = load_series ();
  g_autoptr (PsVolume) expected = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (PsReconRun) run = NULL;
  Ticker ticker = { 0 };
  PsSirtParams sp;
  int previews = 0;
  guint source;
  char why[256];

  /* A new window's first frames (software GL under Xvfb draws the 3D pane
   * in 100–500 ms) are not the reconstruction's: start once it is drawn. */
  wait_settled (win);
  run = ps_reconstruct_start (doc, recon_params ("sirt", 150, 1), NULL, &error);
  g_assert_no_error (error);
  g_signal_connect (run, "preview", G_CALLBACK (count_preview), &previews);
  ticker.job = ps_recon_run_get_job (run);
  source = g_timeout_add (10, tick_cb, &ticker);
  wait_idle (doc);
  g_source_remove (source);
  g_test_message ("main loop: %u ticks, longest gap %.1f ms while reconstructing, %.1f ms after (opening "
                  "the result)", ticker.ticks, ticker.max_gap / 1000.0, ticker.after_gap / 1000.0);
  g_assert_cmpint (ticker.max_gap, <, 100000);
  g_assert_cmpuint (ticker.ticks, >, 2);
  g_assert_true (ps_recon_run_get_done (run));
  g_assert_cmpint (previews, >=, 1);

  ps_sirt_params_init (&sp, PS_ITERATIVE_SIRT);
  sp.iterations = 150;
  sp.n_threads = 1;
  g_assert_cmpint (ps_sirt_run (&sp, ts, &expected, NULL, NULL, why, sizeof why), ==, PS_OK);
  assert_same_volume (ps_document_get_volume (doc), expected);
  g_assert_cmpstr (ps_document_get_recon_info (doc)->method, ==, "sirt");
  g_assert_cmpint (ps_document_get_recon_info (doc)->iterations, ==, 150);
  g_assert_cmpfloat (ps_document_get_recon_info (doc)->relaxation, ==, PS_SIRT_DEFAULT_RELAXATION);
  destroy_window (win);
}

/* ---- subvolume ------------------------------------------------------------------- */

/* doc.subvolume-nm: 23.9 × 29.6 × 33.1 nm at (10, 12, 8) nm on a
 * 0.5 × 0.5 × 1 nm volume resolves as ps_subvolume_resolve() says; the
 * state of doc.subvolume and the extent text follow; extraction as a new
 * dataset gives the crop voxel for voxel. */
static void
test_subvolume_nm_and_extract (void)
{
  g_autoptr (PsVolume) vol = make_volume (120, 100, 60, 0.5, 0.5, 1.0);
  PsWindow *win = new_window_with_volume (vol);
  PsDocument *doc = ps_window_get_document (win);
  GActionGroup *actions = ps_document_get_actions (doc);
  g_autoptr (GVariant) state = NULL;
  g_autofree char *extent = NULL;
  PsSubvolumeSpec spec;
  PsBox expect, box;
  gint32 b[6];
  char why[256];

  g_assert_true (ps_subvolume_parse ("10,12,8:23.9x29.6x33.1", false, &spec, why, sizeof why));
  g_assert_true (ps_subvolume_resolve (&spec, 120, 100, 60, vol->spacing, &expect, why, sizeof why));

  g_action_group_activate_action (actions, "subvolume-nm",
                                  g_variant_new ("(dddddd)", 10.0, 12.0, 8.0, 23.9, 29.6, 33.1));
  g_assert_true (ps_document_get_subvolume (doc, &box));
  g_assert_cmpmem (&box, sizeof box, &expect, sizeof expect);
  g_assert_cmpuint (box.x0, ==, 20);
  g_assert_cmpuint (box.nx, ==, 48);
  g_assert_cmpuint (box.ny, ==, 59);
  g_assert_cmpuint (box.nz, ==, 33);
  state = g_action_group_get_action_state (actions, "subvolume");
  g_variant_get (state, "(iiiiii)", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5]);
  g_assert_cmpint (b[0], ==, (gint32) expect.x0);
  g_assert_cmpint (b[1], ==, (gint32) expect.y0);
  g_assert_cmpint (b[2], ==, (gint32) expect.z0);
  g_assert_cmpint (b[3], ==, (gint32) expect.nx);
  g_assert_cmpint (b[4], ==, (gint32) expect.ny);
  g_assert_cmpint (b[5], ==, (gint32) expect.nz);
  /* The exact extent used: origin·spacing and size·spacing. */
  extent = ps_subvolume_tool_format_extent (doc, &box);
  g_assert_cmpstr (extent, ==, "10 – 34 × 12 – 41.5 × 8 – 41 nm (24 × 29.5 × 33 nm; 48 × 59 × 33 voxels)");

  /* A box that leaves the volume is refused, with the reason in the banner. */
  g_action_group_activate_action (actions, "subvolume-nm",
                                  g_variant_new ("(dddddd)", 50.0, 0.0, 0.0, 20.0, 1.0, 1.0));
  g_assert_nonnull (ps_window_get_error (win));
  g_assert_true (ps_document_get_subvolume (doc, &box));
  g_assert_cmpmem (&box, sizeof box, &expect, sizeof expect);

  /* Voxels directly; all zero sizes clear it. */
  g_action_group_change_action_state (actions, "subvolume", g_variant_new ("(iiiiii)", 3, 4, 5, 10, 11, 12));
  g_assert_true (ps_document_get_subvolume (doc, &box));
  g_assert_cmpuint (box.x0, ==, 3);
  g_assert_cmpuint (box.nz, ==, 12);
  g_action_group_change_action_state (actions, "subvolume", g_variant_new ("(iiiiii)", 0, 0, 0, 0, 0, 0));
  g_assert_false (ps_document_get_subvolume (doc, NULL));
  g_assert_false (g_action_group_get_action_enabled (actions, "extract-subvolume"));

  /* Extract as a new dataset: the crop, with the spacing, voxel for voxel. */
  ps_document_set_subvolume (doc, &expect);
  g_assert_true (g_action_group_get_action_enabled (actions, "extract-subvolume"));
  g_action_group_activate_action (actions, "extract-subvolume", NULL);
  wait_idle (doc);
  {
    PsVolume *crop = ps_document_get_volume (doc);
    g_assert_cmpuint (crop->nx, ==, expect.nx);
    g_assert_cmpuint (crop->ny, ==, expect.ny);
    g_assert_cmpuint (crop->nz, ==, expect.nz);
    g_assert_cmpfloat (crop->spacing[0], ==, 0.5);
    g_assert_cmpfloat (crop->spacing[2], ==, 1.0);
    for (gsize z = 0; z < crop->nz; z++)
      for (gsize y = 0; y < crop->ny; y++)
        for (gsize x = 0; x < crop->nx; x++)
          g_assert_cmpfloat (crop->data[ps_volume_index (crop, x, y, z)], ==,
                             vol->data[ps_volume_index (vol, x + expect.x0, y + expect.y0, z + expect.z0)]);
    g_assert_false (ps_document_get_subvolume (doc, NULL));
  }
  destroy_window (win);
}

int
main (int argc, char **argv)
{
  g_autoptr (GError) error = NULL;
  int status;

  g_setenv ("GSETTINGS_BACKEND", "memory", TRUE);
  g_setenv ("GTK_A11Y", "none", TRUE);
  if (g_getenv ("GSK_RENDERER") == NULL)
    g_setenv ("GSK_RENDERER", "cairo", TRUE);
  g_setenv ("XDG_DATA_HOME", ps_test_tmpdir (), TRUE);
  gtk_test_init (&argc, &argv, NULL);

  app = ps_application_new ();
  g_application_set_flags (G_APPLICATION (app), G_APPLICATION_NON_UNIQUE);
  g_assert_true (g_application_register (G_APPLICATION (app), NULL, &error));
  g_assert_no_error (error);
  make_tilt_series ();

  g_test_add_func ("/ui/recon/cancel-then-wbp", test_recon_cancel_then_wbp);
  g_test_add_func ("/ui/recon/sirt-responsive", test_recon_sirt_responsive);
  g_test_add_func ("/ui/subvolume/nm-and-extract", test_subvolume_nm_and_extract);
  status = g_test_run ();
  g_clear_object (&app);
  g_free (stack_path);
  g_free (tlt_path);
  return status;
}
