/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The application under Xvfb (suite "ui"): the window on a generated volume,
 * its actions, readouts and widget state; every orthoslice view rendered to
 * a texture and compared pixel by pixel with the volume's slice at the
 * crosshair; the crosshair linking the views; contrast; overlays; a
 * malformed file that leaves the old data; export; finalization; and the
 * `porescope` command line (--help, --version, --exit-after-startup,
 * --screenshot). Expected pixels come from the volume and the mapping in
 * ps-slice-render.h, written out here, not from the renderer. */
#include "config.h"

#include <adwaita.h>
#include <glib/gstdio.h>
#include <math.h>
#include <string.h>

#include "ps-application.h"
#include "ps-core-glib.h"
#include "ps-export.h"
#include "ps-histogram-view.h"
#include "ps-preferences-window.h"
#include "ps-session-ui.h"
#include "ps-slice-view-private.h"
#include "ps-test-util.h"
#include "ps-ui-test-util.h"
#include "ps-memory.h"
#include "ps-volume-io.h"
#include "ps-window.h"

#define NX 40
#define NY 32
#define NZ 24

static PsApplication *app;

/* ---- fixtures --------------------------------------------------------------- */

static float
pattern (gsize x, gsize y, gsize z)
{
  return (float) ((x * 7 + y * 13 + z * 29) % 97) / 96.0f;
}

/* A 40 × 32 × 24 volume, voxels 0.5 × 0.5 × 1 nm: anisotropic, so aspect
 * errors show. */
static PsVolume *
make_volume (void)
{
  PsStatus st;
  PsVolume *v = ps_volume_new (NX, NY, NZ, &st);
  g_assert_nonnull (v);
  for (gsize z = 0; z < NZ; z++)
    for (gsize y = 0; y < NY; y++)
      for (gsize x = 0; x < NX; x++)
        v->data[ps_volume_index (v, x, y, z)] = pattern (x, y, z);
  ps_volume_set_spacing (v, 0.5, 0.5, 1.0);
  return v;
}

static PsWindow *
new_window_with_volume (void)
{
  PsWindow *win = ps_window_new (GTK_APPLICATION (app));
  g_autoptr (PsVolume) vol = make_volume ();

  gtk_window_present (GTK_WINDOW (win));
  ps_document_set_volume (ps_window_get_document (win), vol, "pattern", NULL);
  ps_ui_test_wait_idle (ps_window_get_document (win));
  ps_ui_test_wait_settled (win);
  return win;
}

static void
activate (PsWindow *win, const char *action, GVariant *param)
{
  GActionGroup *group = ps_document_get_actions (ps_window_get_document (win));
  g_assert_true (g_action_group_get_action_enabled (group, action));
  /* Boolean toggles take no parameter: set their state instead. */
  if (param != NULL && g_action_group_get_action_parameter_type (group, action) == NULL)
    g_action_group_change_action_state (group, action, param);
  else
    g_action_group_activate_action (group, action, param);
}

/* The canvas of @view as ARGB32 pixels (B, G, R, A bytes), stride = width. */
static guint32 *
snapshot_canvas (PsSliceView *view, int *width, int *height)
{
  GtkWidget *canvas = ps_slice_view_get_canvas (view);
  g_autoptr (GError) error = NULL;
  g_autoptr (GdkTexture) tex = NULL;
  guint32 *px;

  /* The paintable shows the widget's last frame: draw one first. */
  gtk_widget_queue_draw (canvas);
  gtk_test_widget_wait_for_draw (canvas);
  tex = ps_export_widget_texture (canvas, &error);
  g_assert_no_error (error);
  *width = gdk_texture_get_width (tex);
  *height = gdk_texture_get_height (tex);
  px = g_new (guint32, (gsize) *width * *height);
  gdk_texture_download (tex, (guchar *) px, (gsize) *width * 4);
  return px;
}

static guint8
expected_gray (double v, double lo, double hi, gboolean inverted)
{
  double t = CLAMP ((v - lo) / (hi - lo), 0.0, 1.0);
  int g = (int) floor (255.0 * t + 0.5);
  return (guint8) (inverted ? 255 - g : g);
}

static guint8
blend (guint8 under, guint8 over, double alpha)
{
  return (guint8) floor ((1.0 - alpha) * under + alpha * over + 0.5);
}

typedef enum
{
  CHECK_GRAY,
  CHECK_INVERTED,
  CHECK_PORE_OVERLAY,   /* x < NX/2 blended half with #9a9a9a */
  CHECK_LABELS,         /* check_labels ≠ 0 blended half with #9a9a9a */
} CheckMode;

static PsLabels *check_labels;

/* Every voxel of the slice at the crosshair must show its expected colour at
 * the pixel under its centre (away from the scale bar). */
static void
check_view_pixels (PsWindow *win, PsSliceOrientation o, CheckMode mode)
{
  PsDocument *doc = ps_window_get_document (win);
  PsSliceView *view = ps_window_get_slice_view (win, o);
  PsVolume *vol = ps_document_get_volume (doc);
  int w, h, col_axis, row_axis, normal = ps_slice_normal_axis (o);
  gsize pos[3], n[3] = { vol->nx, vol->ny, vol->nz }, checked = 0;
  double lo, hi;
  g_autofree guint32 *px = snapshot_canvas (view, &w, &h);

  ps_slice_axes (o, &col_axis, &row_axis);
  ps_document_get_crosshair (doc, pos);
  ps_document_get_window (doc, &lo, &hi);
  for (gsize r = 0; r < n[row_axis]; r++)
    for (gsize c = 0; c < n[col_axis]; c++)
      {
        double voxel[3], wx, wy;
        gsize v[3];
        v[normal] = pos[normal];
        v[col_axis] = c;
        v[row_axis] = r;
        for (int a = 0; a < 3; a++)
          voxel[a] = (double) v[a];
        g_assert_true (ps_slice_view_voxel_to_widget (view, voxel, &wx, &wy));
        int ix = (int) floor (wx), iy = (int) floor (wy);
        if (ix < 0 || iy < 0 || ix >= w || iy >= h)
          {
            /* Fitted, the whole slice is on the canvas. */
            g_assert_cmpfloat (ps_slice_view_get_zoom (view), >, 1.0);
            continue;
          }
        if (ix < 200 && iy > h - 45)
          continue; /* the scale bar */
        double value = ps_volume_get (vol, v[0], v[1], v[2]);
        if (mode != CHECK_LABELS)
          g_assert_cmpfloat (value, ==, pattern (v[0], v[1], v[2]));
        guint8 g = expected_gray (value, lo, hi, mode == CHECK_INVERTED);
        guint32 want;
        if ((mode == CHECK_PORE_OVERLAY && v[0] < NX / 2)
            || (mode == CHECK_LABELS && check_labels->data[(v[2] * n[1] + v[1]) * n[0] + v[0]] != 0))
          {
            guint8 b = blend (g, 0x9a, 0.5);
            want = 0xff000000u | (guint32) b << 16 | (guint32) b << 8 | b;
          }
        else
          want = 0xff000000u | (guint32) g << 16 | (guint32) g << 8 | g;
        if (px[(gsize) iy * w + ix] != want)
          g_error ("%s view, voxel (%zu, %zu, %zu) at pixel (%d, %d): %08x instead of %08x",
                   o == PS_SLICE_XY ? "xy" : o == PS_SLICE_XZ ? "xz" : "yz", v[0], v[1], v[2], ix, iy,
                   px[(gsize) iy * w + ix], want);
        checked++;
      }
  g_assert_cmpuint (checked, >, n[col_axis] * n[row_axis] / 4);
}

/* Columns run along the slice's column axis, rows along its row axis, and
 * a nanometre is as long across as down (aspect from the voxel size). */
static void
check_view_geometry (PsWindow *win, PsSliceOrientation o)
{
  PsSliceView *view = ps_window_get_slice_view (win, o);
  double spacing[3] = { 0.5, 0.5, 1.0 };
  int col_axis, row_axis;
  double a[3] = { 10, 10, 10 }, b[3] = { 10, 10, 10 }, c[3] = { 10, 10, 10 };
  double ax, ay, bx, by, cx, cy;

  ps_slice_axes (o, &col_axis, &row_axis);
  b[col_axis] += 4;
  c[row_axis] += 4;
  g_assert_true (ps_slice_view_voxel_to_widget (view, a, &ax, &ay));
  g_assert_true (ps_slice_view_voxel_to_widget (view, b, &bx, &by));
  g_assert_true (ps_slice_view_voxel_to_widget (view, c, &cx, &cy));
  g_assert_cmpfloat (bx, >, ax);
  g_assert_cmpfloat_with_epsilon (by, ay, 1e-9);
  g_assert_cmpfloat (cy, >, ay);
  g_assert_cmpfloat_with_epsilon (cx, ax, 1e-9);
  g_assert_cmpfloat_with_epsilon ((bx - ax) / (4 * spacing[col_axis]), (cy - ay) / (4 * spacing[row_axis]), 1e-9);
  /* The layout of the quad: yz shows z across, xz shows z down. */
  if (o == PS_SLICE_YZ)
    g_assert_cmpint (col_axis, ==, 2);
  if (o == PS_SLICE_XZ)
    g_assert_cmpint (row_axis, ==, 2);
}

static void
destroy_window (PsWindow *win)
{
  gtk_window_destroy (GTK_WINDOW (win));
  ps_ui_test_spin ();
}

/* ---- tests ---------------------------------------------------------------------- */

static void
test_welcome (void)
{
  PsWindow *win = ps_window_new (GTK_APPLICATION (app));
  GActionGroup *doc_actions = ps_document_get_actions (ps_window_get_document (win));

  gtk_window_present (GTK_WINDOW (win));
  ps_ui_test_wait_settled (win);
  g_assert_cmpstr (ps_window_get_page (win), ==, "welcome");
  g_assert_null (ps_document_get_volume (ps_window_get_document (win)));
  g_assert_false (g_action_group_get_action_enabled (doc_actions, "crosshair"));
  g_assert_true (g_action_group_get_action_enabled (doc_actions, "open-demo"));
  g_assert_cmpstr (ps_window_get_readout (win), ==, "");
  g_assert_null (ps_window_get_error (win));
  /* Menus, shortcuts window, about and preferences are wired. */
  g_assert_true (g_action_group_has_action (G_ACTION_GROUP (win), "show-help-overlay"));
  g_assert_true (g_action_group_has_action (G_ACTION_GROUP (app), "preferences"));
  g_assert_true (g_action_group_has_action (G_ACTION_GROUP (app), "about"));
  /* The 3D pane is there for the volume renderer, under its header. */
  g_assert_true (GTK_IS_BOX (ps_window_get_volume_pane (win)));
  destroy_window (win);
}

static void
test_views_show_slices (void)
{
  PsWindow *win = new_window_with_volume ();
  PsDocument *doc = ps_window_get_document (win);
  GActionGroup *group = ps_document_get_actions (doc);
  g_autoptr (GVariant) state = NULL;
  gsize pos[3];

  g_assert_cmpstr (ps_window_get_page (win), ==, "views");
  g_assert_nonnull (ps_document_get_volume (doc));
  /* The crosshair starts in the middle; its action state says so. */
  ps_document_get_crosshair (doc, pos);
  g_assert_cmpuint (pos[0], ==, (NX - 1) / 2);
  g_assert_cmpuint (pos[1], ==, (NY - 1) / 2);
  g_assert_cmpuint (pos[2], ==, (NZ - 1) / 2);
  state = g_action_group_get_action_state (group, "crosshair");
  g_assert_true (g_variant_equal (state, g_variant_new ("(iii)", (NX - 1) / 2, (NY - 1) / 2, (NZ - 1) / 2)));

  activate (win, "show-crosshair", g_variant_new_boolean (FALSE));
  activate (win, "window", g_variant_new ("(dd)", 0.0, 1.0));
  for (int o = PS_SLICE_XY; o <= PS_SLICE_YZ; o++)
    {
      check_view_geometry (win, o);
      check_view_pixels (win, o, CHECK_GRAY);
    }

  /* Another crosshair: every view shows its new slice. */
  activate (win, "crosshair", g_variant_new ("(iii)", 3, 30, 1));
  for (int o = PS_SLICE_XY; o <= PS_SLICE_YZ; o++)
    check_view_pixels (win, o, CHECK_GRAY);

  /* A narrower window and the inverted map. */
  activate (win, "window", g_variant_new ("(dd)", 0.25, 0.75));
  activate (win, "colormap", g_variant_new_string ("inverted"));
  check_view_pixels (win, PS_SLICE_XZ, CHECK_INVERTED);
  activate (win, "colormap", g_variant_new_string ("gray"));
  check_view_pixels (win, PS_SLICE_YZ, CHECK_GRAY);
  destroy_window (win);
}

static void
test_crosshair_links_views (void)
{
  PsWindow *win = new_window_with_volume ();
  PsDocument *doc = ps_window_get_document (win);
  PsSliceView *xy = ps_window_get_slice_view (win, PS_SLICE_XY);
  PsSliceView *xz = ps_window_get_slice_view (win, PS_SLICE_XZ);
  PsSliceView *yz = ps_window_get_slice_view (win, PS_SLICE_YZ);
  double voxel[3] = { 7, 9, 0 }, wx, wy;
  gsize pos[3], z0;

  activate (win, "show-crosshair", g_variant_new_boolean (FALSE));
  activate (win, "window", g_variant_new ("(dd)", 0.0, 1.0));
  z0 = ps_document_get_slice (doc, PS_SLICE_XY);

  /* Click voxel (7, 9) in the xy view: the yz view moves to x = 7, the xz
   * view to y = 9, and xy stays at its z. */
  g_assert_true (ps_slice_view_voxel_to_widget (xy, voxel, &wx, &wy));
  _ps_slice_view_click (xy, wx, wy);
  ps_document_get_crosshair (doc, pos);
  g_assert_cmpuint (pos[0], ==, 7);
  g_assert_cmpuint (pos[1], ==, 9);
  g_assert_cmpuint (pos[2], ==, z0);
  g_assert_cmpuint (ps_document_get_slice (doc, PS_SLICE_YZ), ==, 7);
  g_assert_cmpuint (ps_document_get_slice (doc, PS_SLICE_XZ), ==, 9);
  check_view_pixels (win, PS_SLICE_YZ, CHECK_GRAY);
  check_view_pixels (win, PS_SLICE_XZ, CHECK_GRAY);

  /* Click in the yz view at (y 20, z 5): xy goes to z = 5, xz to y = 20. */
  double v2[3] = { 0, 20, 5 };
  g_assert_true (ps_slice_view_voxel_to_widget (yz, v2, &wx, &wy));
  _ps_slice_view_click (yz, wx, wy);
  ps_document_get_crosshair (doc, pos);
  g_assert_cmpuint (pos[0], ==, 7);
  g_assert_cmpuint (pos[1], ==, 20);
  g_assert_cmpuint (pos[2], ==, 5);
  check_view_pixels (win, PS_SLICE_XY, CHECK_GRAY);
  check_view_pixels (win, PS_SLICE_XZ, CHECK_GRAY);

  /* A click outside the volume changes nothing. */
  _ps_slice_view_click (xz, 1, 1);
  ps_document_get_crosshair (doc, pos);
  g_assert_cmpuint (pos[1], ==, 20);

  /* The wheel and the keys step slices, clamped at the ends. */
  _ps_slice_view_scroll (xy, 3, FALSE, 0, 0);
  g_assert_cmpuint (ps_document_get_slice (doc, PS_SLICE_XY), ==, 8);
  _ps_slice_view_scroll (xy, 0.5, FALSE, 0, 0);
  g_assert_cmpuint (ps_document_get_slice (doc, PS_SLICE_XY), ==, 8);
  _ps_slice_view_scroll (xy, 0.5, FALSE, 0, 0);
  g_assert_cmpuint (ps_document_get_slice (doc, PS_SLICE_XY), ==, 9);
  gtk_widget_activate_action (GTK_WIDGET (xz), "view.step", "i", -1);
  g_assert_cmpuint (ps_document_get_slice (doc, PS_SLICE_XZ), ==, 19);
  gtk_widget_activate_action (GTK_WIDGET (yz), "view.step", "i", 1000);
  g_assert_cmpuint (ps_document_get_slice (doc, PS_SLICE_YZ), ==, NX - 1);
  activate (win, "step-slice", g_variant_new ("(si)", "xy", -100));
  g_assert_cmpuint (ps_document_get_slice (doc, PS_SLICE_XY), ==, 0);
  check_view_pixels (win, PS_SLICE_XY, CHECK_GRAY);
  check_view_pixels (win, PS_SLICE_YZ, CHECK_GRAY);

  /* The slider/spin button and the crosshair follow each other. */
  GtkAdjustment *adj = _ps_slice_view_get_adjustment (xz);
  g_assert_cmpfloat (gtk_adjustment_get_value (adj), ==, ps_document_get_slice (doc, PS_SLICE_XZ));
  g_assert_cmpfloat (gtk_adjustment_get_upper (adj), ==, NY - 1);
  gtk_adjustment_set_value (adj, 4);
  g_assert_cmpuint (ps_document_get_slice (doc, PS_SLICE_XZ), ==, 4);
  check_view_pixels (win, PS_SLICE_XZ, CHECK_GRAY);
  activate (win, "crosshair", g_variant_new ("(iii)", 1, 2, 3));
  g_assert_cmpfloat (gtk_adjustment_get_value (_ps_slice_view_get_adjustment (xy)), ==, 3);
  g_assert_cmpfloat (gtk_adjustment_get_value (_ps_slice_view_get_adjustment (yz)), ==, 1);

  /* Ctrl+wheel zooms about the pointer: the voxel under it stays put. */
  double before[3], after[3];
  g_assert_true (ps_slice_view_widget_to_voxel (xy, 50, 40, before));
  _ps_slice_view_scroll (xy, -2, TRUE, 50, 40);
  g_assert_cmpfloat_with_epsilon (ps_slice_view_get_zoom (xy), 1.44, 1e-9);
  g_assert_true (ps_slice_view_widget_to_voxel (xy, 50, 40, after));
  g_assert_cmpfloat_with_epsilon (before[0], after[0], 1e-9);
  g_assert_cmpfloat_with_epsilon (before[1], after[1], 1e-9);
  check_view_pixels (win, PS_SLICE_XY, CHECK_GRAY);
  gtk_widget_activate_action (GTK_WIDGET (xy), "view.zoom-fit", NULL);
  g_assert_cmpfloat (ps_slice_view_get_zoom (xy), ==, 1.0);
  destroy_window (win);
}

static void
test_maximize_view (void)
{
  PsWindow *win = new_window_with_volume ();
  GtkWidget *xy = GTK_WIDGET (ps_window_get_slice_view (win, PS_SLICE_XY));
  GtkWidget *yz = GTK_WIDGET (ps_window_get_slice_view (win, PS_SLICE_YZ));
  GtkWidget *pane = GTK_WIDGET (ps_window_get_volume_pane (win));
  g_autoptr (GVariant) state = NULL;

  /* The view's own header button asks the window for it. */
  gtk_widget_activate_action (yz, "win.maximize-view", "s", "yz");
  g_assert_true (gtk_widget_get_visible (yz));
  g_assert_false (gtk_widget_get_visible (xy));
  g_assert_false (gtk_widget_get_visible (pane));
  state = g_action_group_get_action_state (G_ACTION_GROUP (win), "maximize-view");
  g_assert_cmpstr (g_variant_get_string (state, NULL), ==, "yz");
  gtk_test_widget_wait_for_draw (yz);
  g_assert_cmpint (gtk_widget_get_width (yz), >, 2 * gtk_widget_get_width (ps_window_get_histogram (win)));
  /* Asking again restores the quad. */
  gtk_widget_activate_action (yz, "win.maximize-view", "s", "yz");
  g_assert_true (gtk_widget_get_visible (xy));
  g_assert_true (gtk_widget_get_visible (pane));
  destroy_window (win);
}

static void
test_readout (void)
{
  PsWindow *win = new_window_with_volume ();
  PsSliceView *xz = ps_window_get_slice_view (win, PS_SLICE_XZ);
  PsDocument *doc = ps_window_get_document (win);
  double voxel[3] = { 3, 0, 17 }, wx, wy;
  gsize y = ps_document_get_slice (doc, PS_SLICE_XZ);
  g_autofree char *want = NULL;
  g_autofree char *value = g_strdup_printf ("%.6g", (double) pattern (3, y, 17));

  /* Hovering voxel (3, y, 17): voxels, nm of the voxel centre, value. */
  g_assert_true (ps_slice_view_voxel_to_widget (xz, voxel, &wx, &wy));
  _ps_slice_view_hover (xz, wx, wy);
  want = g_strdup_printf ("Pointer   x 3  y %zu  z 17   (1.75, %g, 17.5) nm   value %s", y, (y + 0.5) * 0.5,
                          value);
  g_assert_cmpstr (ps_window_get_readout (win), ==, want);

  /* Leaving the view shows the crosshair voxel again. */
  _ps_slice_view_hover (xz, NAN, NAN);
  g_assert_true (g_str_has_prefix (ps_window_get_readout (win), "Crosshair   x 19  y 15  z 11   (9.75, 7.75, 11.5) nm"));
  destroy_window (win);
}

static int
cmp_float (gconstpointer a, gconstpointer b)
{
  float x = *(const float *) a, y = *(const float *) b;
  return x < y ? -1 : x > y;
}

static void
test_contrast (void)
{
  PsWindow *win = new_window_with_volume ();
  PsDocument *doc = ps_window_get_document (win);
  PsVolume *vol = ps_document_get_volume (doc);
  gsize n = ps_volume_n_voxels (vol);
  g_autofree float *sorted = g_memdup2 (vol->data, n * sizeof (float));
  double lo, hi, ref_lo, ref_hi, range;
  PsHistogramView *hist = PS_HISTOGRAM_VIEW (ps_window_get_histogram (win));

  /* Reference percentiles by sorting (linear between order statistics). */
  qsort (sorted, n, sizeof (float), cmp_float);
  ref_lo = sorted[(gsize) floor (0.005 * (n - 1))];
  ref_hi = sorted[(gsize) ceil (0.995 * (n - 1))];
  range = sorted[n - 1] - sorted[0];

  activate (win, "reset-contrast", NULL);
  ps_document_get_window (doc, &lo, &hi);
  g_assert_cmpfloat (lo, ==, sorted[0]);
  g_assert_cmpfloat (hi, ==, sorted[n - 1]);
  activate (win, "auto-contrast", NULL);
  ps_document_get_window (doc, &lo, &hi);
  /* The histogram has 4096 bins over the range: within two bins. */
  g_assert_cmpfloat (fabs (lo - ref_lo), <=, 2 * range / 4096 + 1.0 / 96);
  g_assert_cmpfloat (fabs (hi - ref_hi), <=, 2 * range / 4096 + 1.0 / 96);
  g_assert_cmpfloat (lo, <, hi);

  /* The histogram's axis maps values to x and back. */
  double x = ps_histogram_view_value_to_x (hist, 0.3);
  g_assert_cmpfloat_with_epsilon (ps_histogram_view_x_to_value (hist, x), 0.3, 1e-9);
  g_assert_cmpfloat (ps_histogram_view_value_to_x (hist, lo), <, ps_histogram_view_value_to_x (hist, hi));

  /* The window action keeps lo < hi whatever it is given. */
  activate (win, "window", g_variant_new ("(dd)", 0.8, 0.2));
  ps_document_get_window (doc, &lo, &hi);
  g_assert_cmpfloat (lo, ==, 0.2);
  g_assert_cmpfloat (hi, ==, 0.8);
  destroy_window (win);
}

static void
test_overlay (void)
{
  PsWindow *win = new_window_with_volume ();
  PsDocument *doc = ps_window_get_document (win);
  PsStatus st;
  g_autoptr (PsLabels) labels = ps_labels_new (NX, NY, NZ, &st);

  for (gsize z = 0; z < NZ; z++)
    for (gsize y = 0; y < NY; y++)
      for (gsize x = 0; x < NX / 2; x++)
        labels->data[(z * NY + y) * NX + x] = 1;
  activate (win, "show-crosshair", g_variant_new_boolean (FALSE));
  activate (win, "window", g_variant_new ("(dd)", 0.0, 1.0));
  ps_document_set_overlay (doc, "pores", labels, PS_OVERLAY_SOLID, PS_PHASE_PORES, 0, 0.5);
  g_assert_cmpuint (ps_document_get_n_overlays (doc), ==, 1);
  g_assert_cmphex (ps_document_get_overlay_color (doc, ps_document_get_overlay (doc, 0)), ==, 0x9a9a9a);
  check_view_pixels (win, PS_SLICE_XY, CHECK_PORE_OVERLAY);
  check_view_pixels (win, PS_SLICE_XZ, CHECK_PORE_OVERLAY);
  /* A hidden layer, or all layers hidden, leave the gray image. */
  activate (win, "overlay-visible", g_variant_new ("(sb)", "pores", FALSE));
  g_assert_false (ps_document_get_overlay (doc, 0)->visible);
  check_view_pixels (win, PS_SLICE_XZ, CHECK_GRAY);
  activate (win, "overlay-visible", g_variant_new ("(sb)", "pores", TRUE));
  check_view_pixels (win, PS_SLICE_XZ, CHECK_PORE_OVERLAY);
  activate (win, "show-overlays", g_variant_new_boolean (FALSE));
  check_view_pixels (win, PS_SLICE_XY, CHECK_GRAY);
  activate (win, "show-overlays", g_variant_new_boolean (TRUE));
  g_assert_true (ps_document_remove_overlay (doc, "pores"));
  check_view_pixels (win, PS_SLICE_XZ, CHECK_GRAY);
  destroy_window (win);
}

/* The subvolume box is drawn in yellow (#f6d32d) along its edges in the
 * slices it cuts; seeds as dots. */
static void
test_subvolume_and_seeds (void)
{
  PsWindow *win = new_window_with_volume ();
  PsDocument *doc = ps_window_get_document (win);
  PsSliceView *xy = ps_window_get_slice_view (win, PS_SLICE_XY);
  PsBox box = { 4, 6, 2, 20, 16, 10 };
  PsBox got;
  double corner[3] = { 4 - 0.5, 6 + 7, 0 }, wx, wy;
  int w, h;
  PsSeed seed = { 30, 20, 5, 0 };

  activate (win, "show-crosshair", g_variant_new_boolean (FALSE));
  activate (win, "crosshair", g_variant_new ("(iii)", 10, 10, 5));
  ps_document_set_subvolume (doc, &box);
  g_assert_true (ps_document_get_subvolume (doc, &got));
  g_assert_cmpuint (got.nx, ==, 20);
  ps_document_set_seeds (doc, &seed, 1);

  /* The left edge of the box (x = 4 − ½ in voxel coordinates), half way down. */
  g_assert_true (ps_slice_view_voxel_to_widget (xy, corner, &wx, &wy));
  g_autofree guint32 *px = snapshot_canvas (xy, &w, &h);
  guint32 edge = px[(gsize) floor (wy) * w + (gsize) floor (wx)] & 0xffffff;
  g_assert_cmpuint ((edge >> 16) & 0xff, >, 0xc0); /* yellow: much red and green, */
  g_assert_cmpuint ((edge >> 8) & 0xff, >, 0xa0);
  g_assert_cmpuint (edge & 0xff, <, 0x80);         /* little blue */
  /* The seed on this slice: a yellow dot at its centre. */
  double sv[3] = { 30, 20, 5 };
  g_assert_true (ps_slice_view_voxel_to_widget (xy, sv, &wx, &wy));
  guint32 dot = px[(gsize) floor (wy) * w + (gsize) floor (wx)] & 0xffffff;
  g_assert_cmphex (dot, ==, 0xf6d32d);

  ps_document_set_subvolume (doc, NULL);
  g_assert_false (ps_document_get_subvolume (doc, NULL));
  destroy_window (win);
}

static void
test_open_file_and_malformed (void)
{
  PsWindow *win = ps_window_new (GTK_APPLICATION (app));
  PsDocument *doc = ps_window_get_document (win);
  g_autoptr (PsVolume) vol = make_volume ();
  g_autofree char *good = ps_test_tmp_path ("pattern.tif");
  g_autofree char *bad = ps_test_tmp_path ("broken.mrc");
  g_autoptr (GError) error = NULL;
  g_autoptr (GFile) good_file = g_file_new_for_path (good);
  g_autoptr (GFile) bad_file = g_file_new_for_path (bad);
  PsVolume *loaded;
  static const char garbage[] = "MRC? no: this is not a volume file at all";

  gtk_window_present (GTK_WINDOW (win));
  g_assert_true (ps_volume_save (vol, good, NULL, NULL, &error));
  g_assert_no_error (error);
  ps_window_open_file (win, good_file, NULL);
  ps_ui_test_wait_idle (doc);
  ps_ui_test_wait_settled (win);
  loaded = ps_document_get_volume (doc);
  g_assert_nonnull (loaded);
  g_assert_cmpuint (loaded->nx, ==, NX);
  g_assert_cmpuint (loaded->ny, ==, NY);
  g_assert_cmpuint (loaded->nz, ==, NZ);
  g_assert_cmpfloat (ps_volume_get (loaded, 5, 6, 7), ==, pattern (5, 6, 7));
  g_assert_cmpstr (ps_document_get_title (doc), ==, "pattern.tif");
  g_assert_null (ps_window_get_error (win));

  /* A malformed file: an error naming it, and the old dataset stays. */
  g_assert_true (g_file_set_contents (bad, garbage, sizeof garbage, NULL));
  ps_window_open_file (win, bad_file, NULL);
  ps_ui_test_wait_idle (doc);
  ps_ui_test_wait_settled (win);
  g_assert_nonnull (ps_window_get_error (win));
  g_assert_nonnull (strstr (ps_window_get_error (win), "broken.mrc"));
  g_assert_true (ps_document_get_volume (doc) == loaded);
  g_assert_cmpstr (ps_document_get_title (doc), ==, "pattern.tif");
  g_assert_cmpstr (ps_window_get_page (win), ==, "views");
  activate (win, "show-crosshair", g_variant_new_boolean (FALSE));
  activate (win, "window", g_variant_new ("(dd)", 0.0, 1.0));
  check_view_pixels (win, PS_SLICE_YZ, CHECK_GRAY);

  /* A missing file too. */
  g_autoptr (GFile) missing = g_file_new_for_path ("/nonexistent/absent.tif");
  ps_window_open_file (win, missing, NULL);
  ps_ui_test_wait_idle (doc);
  g_assert_nonnull (strstr (ps_window_get_error (win), "absent.tif"));
  g_assert_true (ps_document_get_volume (doc) == loaded);
  /* Opening a good file clears the error. */
  ps_window_open_file (win, good_file, NULL);
  ps_ui_test_wait_idle (doc);
  g_assert_null (ps_window_get_error (win));
  destroy_window (win);
}

/* A float32 MRC larger than the memory limit opens read-only from the file
 * (memory-mapped): the views show its voxels, no error; a 16-bit one, which
 * would need converting, is refused with what it needs and the mapped one
 * stays. */
static void
test_open_larger_than_memory (void)
{
  PsWindow *win = ps_window_new (GTK_APPLICATION (app));
  PsDocument *doc = ps_window_get_document (win);
  g_autoptr (PsVolume) vol = make_volume ();
  g_autofree char *f32 = ps_test_tmp_path ("huge-f32.mrc");
  g_autofree char *u16 = ps_test_tmp_path ("huge-u16.mrc");
  g_autoptr (GFile) f32_file = g_file_new_for_path (f32);
  g_autoptr (GFile) u16_file = g_file_new_for_path (u16);
  g_autoptr (GError) error = NULL;
  PsSaveOptions as_u16 = { PS_DTYPE_U16, TRUE, FALSE };
  size_t old = ps_memory_get_limit ();
  PsVolume *loaded;

  gtk_window_present (GTK_WINDOW (win));
  g_assert_true (ps_volume_save (vol, f32, NULL, NULL, &error));
  g_assert_true (ps_volume_save (vol, u16, &as_u16, NULL, &error));
  g_assert_no_error (error);

  ps_memory_set_limit (64 * 1024);    /* the volume is 120 KiB */
  ps_window_open_file (win, f32_file, NULL);
  ps_ui_test_wait_idle (doc);
  ps_ui_test_wait_settled (win);
  loaded = ps_document_get_volume (doc);
  g_assert_nonnull (loaded);
  g_assert_null (ps_window_get_error (win));
  g_assert_cmpuint (loaded->nx, ==, NX);
  g_assert_cmpfloat (ps_volume_get (loaded, 5, 6, 7), ==, pattern (5, 6, 7));
  activate (win, "show-crosshair", g_variant_new_boolean (FALSE));
  activate (win, "window", g_variant_new ("(dd)", 0.0, 1.0));
  check_view_pixels (win, PS_SLICE_XY, CHECK_GRAY);
  check_view_pixels (win, PS_SLICE_YZ, CHECK_GRAY);

  ps_window_open_file (win, u16_file, NULL);
  ps_ui_test_wait_idle (doc);
  g_assert_nonnull (ps_window_get_error (win));
  g_assert_nonnull (strstr (ps_window_get_error (win), "huge-u16.mrc"));
  g_assert_true (ps_document_get_volume (doc) == loaded);
  ps_memory_set_limit (old);
  destroy_window (win);
}

/* The message dialog over @win (NULL if none); closes it when @close. */
static AdwMessageDialog *
find_message_dialog (PsWindow *win)
{
  GListModel *tops = gtk_window_get_toplevels ();
  for (guint i = 0; i < g_list_model_get_n_items (tops); i++)
    {
      g_autoptr (GObject) w = g_list_model_get_item (tops, i);
      if (ADW_IS_MESSAGE_DIALOG (w) && gtk_window_get_transient_for (GTK_WINDOW (w)) == GTK_WINDOW (win)
          && gtk_widget_get_visible (GTK_WIDGET (w)))
        return ADW_MESSAGE_DIALOG (w);
    }
  return NULL;
}

/* Save Session → Open Session in a new window gives the same dataset,
 * subvolume, window/level, crosshair and colours; a damaged session shows
 * "FILE: why" and changes nothing; moved data asks for its new place. */
static void
test_session_round_trip (void)
{
  PsWindow *win = ps_window_new (GTK_APPLICATION (app));
  PsDocument *doc = ps_window_get_document (win);
  g_autoptr (PsVolume) vol = make_volume ();
  g_autofree char *dir = ps_test_tmp_path ("session-ui");
  g_autofree char *data_dir = g_build_filename (dir, "data", NULL);
  g_assert_cmpint (g_mkdir_with_parents (data_dir, 0755), ==, 0);
  g_autofree char *good = g_build_filename (data_dir, "pattern.tif", NULL);
  g_autofree char *session = g_build_filename (dir, "study.porescope", NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (GFile) good_file = g_file_new_for_path (good);

  gtk_window_present (GTK_WINDOW (win));
  g_assert_true (ps_volume_save (vol, good, NULL, NULL, &error));
  ps_window_open_file (win, good_file, NULL);
  ps_ui_test_wait_idle (doc);
  ps_ui_test_wait_settled (win);
  PsBox box = { 2, 3, 4, 20, 16, 10 };
  ps_document_set_subvolume (doc, &box);
  ps_document_set_window (doc, 0.125, 0.75);
  ps_document_set_crosshair (doc, 7, 9, 11);
  g_object_set (doc, "carbon-color", "#123456", "pore-color", "#abcdef", NULL);
  g_assert_true (ps_session_ui_save_path (doc, NULL, session, &error));
  g_assert_no_error (error);
  g_object_set (doc, "carbon-color", "#2f6fdb", "pore-color", "#9a9a9a", NULL);

  PsWindow *win2 = ps_window_new (GTK_APPLICATION (app));
  PsDocument *doc2 = ps_window_get_document (win2);
  gtk_window_present (GTK_WINDOW (win2));
  ps_session_ui_open_path (GTK_WINDOW (win2), doc2, NULL, session);
  ps_ui_test_wait_idle (doc2);
  ps_ui_test_wait_settled (win2);
  PsVolume *loaded = ps_document_get_volume (doc2);
  g_assert_nonnull (loaded);
  g_assert_cmpfloat (ps_volume_get (loaded, 5, 6, 7), ==, pattern (5, 6, 7));
  PsBox box2;
  g_assert_true (ps_document_get_subvolume (doc2, &box2));
  g_assert_cmpmem (&box, sizeof box, &box2, sizeof box2);
  double lo, hi;
  ps_document_get_window (doc2, &lo, &hi);
  g_assert_cmpfloat (lo, ==, 0.125);
  g_assert_cmpfloat (hi, ==, 0.75);
  gsize c[3];
  ps_document_get_crosshair (doc2, c);
  g_assert_cmpuint (c[0], ==, 7);
  g_assert_cmpuint (c[1], ==, 9);
  g_assert_cmpuint (c[2], ==, 11);
  g_autofree char *carbon = NULL;
  g_object_get (doc2, "carbon-color", &carbon, NULL);
  g_assert_cmpstr (carbon, ==, "#123456");
  g_object_set (doc2, "carbon-color", "#2f6fdb", "pore-color", "#9a9a9a", NULL);
  /* Saving the reopened session gives the same file. */
  g_autofree char *session2 = g_build_filename (dir, "again.porescope", NULL);
  g_autofree char *t1 = NULL, *t2 = NULL;
  g_object_set (doc2, "carbon-color", "#123456", "pore-color", "#abcdef", NULL);
  g_assert_true (ps_session_ui_save_path (doc2, NULL, session2, &error));
  g_object_set (doc2, "carbon-color", "#2f6fdb", "pore-color", "#9a9a9a", NULL);
  g_assert_true (g_file_get_contents (session, &t1, NULL, NULL));
  g_assert_true (g_file_get_contents (session2, &t2, NULL, NULL));
  g_assert_cmpstr (t1, ==, t2);

  /* A damaged session: an error dialog naming the file, nothing changes. */
  g_autofree char *bad = g_build_filename (dir, "bad.porescope", NULL);
  g_assert_true (g_file_set_contents (bad, t1, (gssize) strlen (t1) / 2, NULL));
  ps_session_ui_open_path (GTK_WINDOW (win2), doc2, NULL, bad);
  ps_ui_test_spin ();
  AdwMessageDialog *dialog = find_message_dialog (win2);
  g_assert_nonnull (dialog);
  g_assert_true (g_str_has_prefix (adw_message_dialog_get_body (dialog), bad));
  g_assert_true (ps_document_get_volume (doc2) == loaded);
  gtk_window_destroy (GTK_WINDOW (dialog));
  ps_ui_test_spin ();

  /* The data moved: the session asks where it is now. */
  g_autofree char *moved = g_build_filename (dir, "moved", NULL);
  g_assert_cmpint (g_rename (data_dir, moved), ==, 0);
  ps_session_ui_open_path (GTK_WINDOW (win2), doc2, NULL, session);
  ps_ui_test_spin ();
  dialog = find_message_dialog (win2);
  g_assert_nonnull (dialog);
  g_assert_nonnull (strstr (adw_message_dialog_get_body (dialog), "pattern.tif"));
  g_assert_true (adw_message_dialog_has_response (dialog, "locate"));
  adw_message_dialog_response (dialog, "cancel");
  ps_ui_test_spin ();
  g_assert_true (ps_document_get_volume (doc2) == loaded);
  destroy_window (win2);
  destroy_window (win);
}

static void
test_cancel_load (void)
{
  PsWindow *win = new_window_with_volume ();
  PsDocument *doc = ps_window_get_document (win);
  PsVolume *before = ps_document_get_volume (doc);
  g_autoptr (PsVolume) other = make_volume ();

  /* Cancelling a running job keeps the current dataset and shows no error. */
  ps_document_set_volume (doc, other, "other", NULL);
  g_assert_true (ps_document_get_busy (doc));
  g_assert_nonnull (ps_document_get_job (doc));
  activate (win, "cancel", NULL);
  g_assert_false (ps_document_get_busy (doc));
  ps_ui_test_wait_settled (win);
  g_assert_true (ps_document_get_volume (doc) == before);
  g_assert_null (ps_window_get_error (win));
  destroy_window (win);
}

typedef struct
{
  int done;
  int freed;
  int value;
} JobProbe;

static gpointer
slow_worker (PsJob *job, gpointer data, const PsProgress *progress, GError **error)
{
  int n = GPOINTER_TO_INT (data);
  for (int i = 0; i < 200; i++)
    {
      if (ps_progress_cancelled (progress))
        {
          g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_CANCELLED, "cancelled");
          return NULL;
        }
      ps_progress_report (progress, i / 200.0, NULL);
      g_usleep (500);
    }
  if (n < 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "kernel.c: %d is negative", n);
      return NULL;
    }
  return g_memdup2 (&n, sizeof n);
}

static void
probe_done (PsDocument *doc, gpointer result, gpointer user_data)
{
  JobProbe *p = user_data;
  p->done++;
  p->value = *(int *) result;
  g_free (result);
}

static void
probe_free (gpointer user_data)
{
  ((JobProbe *) user_data)->freed++;
}

/* Other long work through the document: progress, replacement, errors. */
static void
test_run_job (void)
{
  PsWindow *win = new_window_with_volume ();
  PsDocument *doc = ps_window_get_document (win);
  JobProbe first = { 0 }, second = { 0 }, failing = { 0 };
  g_autoptr (PsJob) a = ps_job_new ("first", slow_worker, GINT_TO_POINTER (1), NULL, g_free);
  g_autoptr (PsJob) b = ps_job_new ("second", slow_worker, GINT_TO_POINTER (2), NULL, g_free);
  g_autoptr (PsJob) c = ps_job_new ("failing", slow_worker, GINT_TO_POINTER (-3), NULL, g_free);

  ps_document_run_job (doc, a, "Could not run the first", probe_done, &first, probe_free);
  g_assert_true (ps_document_get_job (doc) == a);
  /* A second job replaces the first: only its result arrives. */
  ps_document_run_job (doc, b, "Could not run the second", probe_done, &second, probe_free);
  ps_ui_test_wait_idle (doc);
  while (first.freed == 0)
    g_main_context_iteration (NULL, TRUE);
  g_assert_cmpint (first.done, ==, 0);
  g_assert_cmpint (first.freed, ==, 1);
  g_assert_cmpint (second.done, ==, 1);
  g_assert_cmpint (second.value, ==, 2);
  g_assert_cmpint (second.freed, ==, 1);
  g_assert_null (ps_window_get_error (win));

  ps_document_run_job (doc, c, "Could not run the failing one", probe_done, &failing, probe_free);
  ps_ui_test_wait_idle (doc);
  g_assert_cmpint (failing.done, ==, 0);
  g_assert_cmpint (failing.freed, ==, 1);
  g_assert_cmpstr (ps_window_get_error (win), ==, "kernel.c: -3 is negative");
  g_assert_nonnull (ps_document_get_volume (doc));
  destroy_window (win);
}

/* A real HAADF tilt series (shared test data): shown as a stack of images
 * whose readout names the image and its angle. */
static void
test_tilt_series (void)
{
  g_autofree char *stack = ps_test_shared_path ("etspy-haadf-tilt-series", "HAADF_tiltseries.tif", NULL);
  g_autofree char *tlt = ps_test_shared_path ("etspy-haadf-tilt-series", "HAADF.tlt", NULL);
  PsWindow *win;
  PsDocument *doc;
  PsTiltSeries *ts;

  if (stack == NULL || tlt == NULL)
    {
      g_test_skip ("the shared HAADF tilt series is not available");
      return;
    }
  win = ps_window_new (GTK_APPLICATION (app));
  doc = ps_window_get_document (win);
  gtk_window_present (GTK_WINDOW (win));
  g_autoptr (GFile) file = g_file_new_for_path (stack);
  ps_window_open_file (win, file, tlt);
  ps_ui_test_wait_idle (doc);
  ps_ui_test_wait_settled (win);
  g_assert_null (ps_window_get_error (win));
  ts = ps_document_get_tilt_series (doc);
  g_assert_nonnull (ts);
  g_assert_cmpuint (ps_document_get_volume (doc)->nz, ==, ts->n);
  /* Every image of the stack is the volume's z slice. */
  g_assert_cmpfloat (ps_volume_get (ps_document_get_volume (doc), 3, 4, ts->n - 1), ==,
                     ps_tilt_series_image (ts, ts->n - 1)[4 * ts->nx + 3]);
  activate (win, "crosshair", g_variant_new ("(iii)", 1, 2, 0));
  g_autofree char *want = g_strdup_printf ("Crosshair   x 1  y 2  image 1 (%+.1f°)", ts->angles[0]);
  g_assert_true (g_str_has_prefix (ps_window_get_readout (win), want));
  destroy_window (win);
}

/* The demo: the reconstruction work's phantom, with its truth pores as a
 * hidden overlay that shows the pores in the preferences' gray. */
static void
test_demo (void)
{
  PsWindow *win = ps_window_new (GTK_APPLICATION (app));
  PsDocument *doc = ps_window_get_document (win);
  const PsOverlayLayer *layer;
  PsVolume *vol;
  gsize pore_voxels = 0;

  gtk_window_present (GTK_WINDOW (win));
  activate (win, "open-demo", NULL);
  ps_ui_test_wait_idle (doc);
  ps_ui_test_wait_settled (win);
  vol = ps_document_get_volume (doc);
  g_assert_nonnull (vol);
  g_assert_true (ps_document_is_demo (doc));
  g_assert_cmpuint (vol->nx, ==, 128);
  g_assert_true (vol->spacing_known);
  g_assert_cmpfloat (vol->spacing[0], ==, 0.5);
  g_assert_cmpuint (ps_document_get_n_overlays (doc), ==, 1);
  layer = ps_document_get_overlay (doc, 0);
  g_assert_false (layer->visible);
  g_assert_cmpint (layer->phase, ==, PS_PHASE_PORES);
  check_labels = layer->labels;
  for (gsize i = 0; i < ps_volume_n_voxels (vol); i++)
    pore_voxels += check_labels->data[i] != 0;
  /* About 0.39 of the particle (a sphere of 0.9 of the box) is pore. */
  g_assert_cmpfloat ((double) pore_voxels / ps_volume_n_voxels (vol), >, 0.05);
  activate (win, "show-crosshair", g_variant_new_boolean (FALSE));
  activate (win, "overlay-visible", g_variant_new ("(sb)", "pores-truth", TRUE));
  check_view_pixels (win, PS_SLICE_XY, CHECK_LABELS);
  check_view_pixels (win, PS_SLICE_YZ, CHECK_LABELS);
  check_labels = NULL;
  destroy_window (win);
}

static void
test_export_slice (void)
{
  PsWindow *win = new_window_with_volume ();
  PsDocument *doc = ps_window_get_document (win);
  g_autofree char *path = ps_test_tmp_path ("xz.png");
  g_autoptr (GError) error = NULL;
  g_autoptr (GdkTexture) tex = NULL;
  g_autofree guint32 *px = NULL;
  gsize y = ps_document_get_slice (doc, PS_SLICE_XZ);

  activate (win, "window", g_variant_new ("(dd)", 0.0, 1.0));
  g_assert_true (ps_export_slice_png (doc, PS_SLICE_XZ, path, &error));
  g_assert_no_error (error);
  tex = gdk_texture_new_from_filename (path, &error);
  g_assert_no_error (error);
  /* x: 40 voxels of 0.5 nm; z: 24 of 1 nm → 40 × 48 pixels of 0.5 nm. */
  g_assert_cmpint (gdk_texture_get_width (tex), ==, NX);
  g_assert_cmpint (gdk_texture_get_height (tex), ==, 2 * NZ);
  px = g_new (guint32, NX * 2 * NZ);
  gdk_texture_download (tex, (guchar *) px, NX * 4);
  for (gsize j = 0; j < 2 * NZ; j++)
    for (gsize i = 0; i < NX; i++)
      {
        guint8 g = expected_gray (pattern (i, y, j / 2), 0.0, 1.0, FALSE);
        g_assert_cmphex (px[j * NX + i], ==, 0xff000000u | (guint32) g << 16 | (guint32) g << 8 | g);
      }
  destroy_window (win);
}

static void
test_finalize (void)
{
  PsWindow *win = new_window_with_volume ();
  gpointer w = win, doc = ps_window_get_document (win);
  gpointer xy = ps_window_get_slice_view (win, PS_SLICE_XY);
  gpointer yz = ps_window_get_slice_view (win, PS_SLICE_YZ);
  gpointer hist = ps_window_get_histogram (win);
  gpointer side = gtk_widget_get_ancestor (ps_window_get_histogram (win), GTK_TYPE_SCROLLED_WINDOW);
  gpointer box = gtk_widget_get_parent (ps_window_get_histogram (win));
  g_object_add_weak_pointer (side, &side);
  g_object_add_weak_pointer (box, &box);
  GtkWidget *prefs = ps_preferences_window_new (ps_application_get_settings (app));
  gpointer p = prefs;

  g_object_add_weak_pointer (G_OBJECT (win), &w);
  g_object_add_weak_pointer (G_OBJECT (doc), &doc);
  g_object_add_weak_pointer (G_OBJECT (xy), &xy);
  g_object_add_weak_pointer (G_OBJECT (yz), &yz);
  g_object_add_weak_pointer (G_OBJECT (hist), &hist);
  g_object_add_weak_pointer (G_OBJECT (prefs), &p);

  gtk_window_present (GTK_WINDOW (prefs));
  gtk_test_widget_wait_for_draw (prefs);
  gtk_window_destroy (GTK_WINDOW (prefs));
  destroy_window (win);
  for (int i = 0; i < 50 && (w || doc || xy || yz || hist || p || side || box); i++)
    {
      ps_ui_test_spin ();
      g_usleep (2000);
    }
  g_assert_null (w);
  g_assert_null (doc);
  g_assert_null (xy);
  g_assert_null (yz);
  g_assert_null (hist);
  g_assert_null (p);
  g_assert_null (side);
  g_assert_null (box);
}

static void
test_preferences (void)
{
  GSettings *settings = ps_application_get_settings (app);
  PsWindow *win = new_window_with_volume ();
  PsDocument *doc = ps_window_get_document (win);
  g_autofree char *interp = NULL;

  /* Settings flow into the document, and the document's actions back. */
  g_settings_set_string (settings, "interpolation", "linear");
  ps_ui_test_spin ();
  g_assert_cmpint (ps_document_get_interpolation (doc), ==, PS_INTERPOLATION_LINEAR);
  activate (win, "interpolation", g_variant_new_string ("nearest"));
  interp = g_settings_get_string (settings, "interpolation");
  g_assert_cmpstr (interp, ==, "nearest");
  g_settings_set_string (settings, "pore-color", "#102030");
  ps_ui_test_spin ();
  g_autofree char *color = NULL;
  g_object_get (doc, "pore-color", &color, NULL);
  g_assert_cmpstr (color, ==, "#102030");
  g_settings_reset (settings, "pore-color");
  destroy_window (win);
}

/* ---- the porescope program ------------------------------------------------------- */

static const char *
app_path (void)
{
  const char *p = g_getenv ("PORESCOPE_APP");
  g_assert_nonnull (p);
  return p;
}

static void
test_cli_help_version (void)
{
  g_autofree char *out = NULL, *err = NULL, *out2 = NULL, *err2 = NULL;
  const char *help[] = { app_path (), "--help", NULL };
  const char *version[] = { app_path (), "--version", NULL };

  g_assert_cmpint (ps_test_spawn (&out, &err, help), ==, 0);
  g_assert_nonnull (strstr (out, "--screenshot"));
  g_assert_nonnull (strstr (out, "--demo"));
  g_assert_cmpint (ps_test_spawn (&out2, &err2, version), ==, 0);
  g_assert_cmpstr (out2, ==, "porescope " PACKAGE_VERSION "\n");
}

static void
test_cli_exit_after_startup (void)
{
  g_autofree char *out = NULL, *err = NULL;
  const char *argv[] = { app_path (), "--exit-after-startup", NULL };
  g_assert_cmpint (ps_test_spawn (&out, &err, argv), ==, 0);
}

static void
test_cli_screenshot (void)
{
  g_autofree char *out = NULL, *err = NULL;
  g_autofree char *png = ps_test_tmp_path ("shot.png");
  g_autofree char *tif = ps_test_tmp_path ("shot-input.tif");
  g_autofree char *bad = ps_test_tmp_path ("bad.mrc");
  g_autofree char *png2 = ps_test_tmp_path ("never.png");
  g_autoptr (PsVolume) vol = make_volume ();
  g_autoptr (GError) error = NULL;
  g_autoptr (GdkTexture) tex = NULL;
  const char *argv[] = { app_path (), "--screenshot", png, tif, NULL };
  const char *bad_argv[] = { app_path (), "--screenshot", png2, bad, NULL };

  g_assert_true (ps_volume_save (vol, tif, NULL, NULL, &error));
  g_assert_cmpint (ps_test_spawn (&out, &err, argv), ==, 0);
  tex = gdk_texture_new_from_filename (png, &error);
  g_assert_no_error (error);
  g_assert_cmpint (gdk_texture_get_width (tex), ==, 1280);
  g_assert_cmpint (gdk_texture_get_height (tex), ==, 800);

  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  g_assert_true (g_file_set_contents (bad, "nonsense", -1, NULL));
  g_assert_cmpint (ps_test_spawn (&out, &err, bad_argv), ==, 2);
  g_assert_nonnull (strstr (err, "bad.mrc"));
  g_assert_false (g_file_test (png2, G_FILE_TEST_EXISTS));
}

int
main (int argc, char **argv)
{
  int status;

  app = ps_ui_test_init (&argc, &argv);

  g_test_add_func ("/ui/window/welcome", test_welcome);
  g_test_add_func ("/ui/views/slices-at-crosshair", test_views_show_slices);
  g_test_add_func ("/ui/views/crosshair-links-views", test_crosshair_links_views);
  g_test_add_func ("/ui/window/readout", test_readout);
  g_test_add_func ("/ui/window/maximize-view", test_maximize_view);
  g_test_add_func ("/ui/contrast/auto-reset-window", test_contrast);
  g_test_add_func ("/ui/views/overlay", test_overlay);
  g_test_add_func ("/ui/views/subvolume-and-seeds", test_subvolume_and_seeds);
  g_test_add_func ("/ui/window/open-and-malformed-file", test_open_file_and_malformed);
  g_test_add_func ("/ui/window/cancel-load", test_cancel_load);
  g_test_add_func ("/ui/window/larger-than-memory", test_open_larger_than_memory);
  g_test_add_func ("/ui/session/round-trip", test_session_round_trip);
  g_test_add_func ("/ui/window/run-job", test_run_job);
  g_test_add_func ("/ui/window/tilt-series", test_tilt_series);
  g_test_add_func ("/ui/window/demo", test_demo);
  g_test_add_func ("/ui/export/slice-png", test_export_slice);
  g_test_add_func ("/ui/preferences/settings", test_preferences);
  g_test_add_func ("/ui/window/finalize", test_finalize);
  g_test_add_func ("/ui/cli/help-version", test_cli_help_version);
  g_test_add_func ("/ui/cli/exit-after-startup", test_cli_exit_after_startup);
  g_test_add_func ("/ui/cli/screenshot", test_cli_screenshot);
  status = g_test_run ();
  g_clear_object (&app);
  return status;
}
