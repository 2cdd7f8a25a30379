/* SPDX-License-Identifier: GPL-3.0-or-later */
/* PsVolumeView in a real window (Xvfb + Mesa llvmpipe): a broken shader is
 * shown in the pane and the program goes on; the offscreen export at 4× the
 * window size has that size and the picture on screen; the widget is
 * finalised when its window goes. Set PS_TEST_PNG_DIR to keep the images. */
#include "config.h"

#include <gtk/gtk.h>
#include <math.h>
#include <string.h>

#include "ps-core-glib.h"
#include "ps-gl-test-util.h"
#include "ps-test-util.h"
#include "ps-volume-io.h"
#include "ps-volume-pane.h"
#include "ps-volume-view.h"

#define WIN_W 240
#define WIN_H 180

static gboolean have_display;

static gboolean
wait_for (gboolean (*cond) (gpointer), gpointer data, double seconds)
{
  gint64 end = g_get_monotonic_time () + (gint64) (seconds * G_USEC_PER_SEC);
  while (!cond (data))
    {
      if (g_get_monotonic_time () > end)
        return FALSE;
      g_main_context_iteration (NULL, FALSE);
      g_usleep (1000);
    }
  return TRUE;
}

static void
spin (double seconds)
{
  gint64 end = g_get_monotonic_time () + (gint64) (seconds * G_USEC_PER_SEC);
  while (g_get_monotonic_time () < end)
    {
      g_main_context_iteration (NULL, FALSE);
      g_usleep (1000);
    }
}

static gboolean
is_realized (gpointer w)
{
  return gtk_widget_get_realized (w) && gtk_widget_get_width (w) > 0;
}

static gboolean
not_busy (gpointer w)
{
  return !ps_volume_view_get_busy (w);
}

static GtkWidget *
make_window (GtkWidget **view_out)
{
  GtkWidget *win = gtk_window_new ();
  GtkWidget *view = ps_volume_view_new ();
  gtk_window_set_default_size (GTK_WINDOW (win), WIN_W, WIN_H);
  gtk_window_set_child (GTK_WINDOW (win), view);
  gtk_window_present (GTK_WINDOW (win));
  g_assert_true (wait_for (is_realized, view, 20));
  *view_out = view;
  return win;
}

static void
save_texture (GdkTexture *tex, const char *name)
{
  const char *dir = g_getenv ("PS_TEST_PNG_DIR");
  g_autofree char *path = NULL;
  if (dir == NULL)
    return;
  path = g_build_filename (dir, name, NULL);
  gdk_texture_save_to_png (tex, path);
}

static void
test_shader_error (void)
{
  g_autofree char *dir = NULL;
  g_autofree char *path = NULL;
  GtkWidget *win, *view;
  const GError *error;
  gpointer weak;

  if (!have_display)
    {
      g_test_skip ("no display");
      return;
    }
  dir = ps_test_tmp_path ("broken");
  g_mkdir_with_parents (dir, 0755);
  path = g_build_filename (dir, "raycast.fs.glsl", NULL);
  g_assert_true (g_file_set_contents (path, "out vec4 frag_color;\nvoid main ()\n{\n  undeclared_thing = 1.0;\n}\n",
                                      -1, NULL));
  g_setenv ("PORESCOPE_SHADER_DIR", dir, TRUE);

  win = make_window (&view);
  spin (0.3);
  error = gtk_gl_area_get_error (GTK_GL_AREA (view));
  g_assert_nonnull (error);
  g_test_message ("error shown in the pane: %.200s", error->message);
  g_assert_nonnull (strstr (error->message, "raycast.fs.glsl"));
  g_assert_nonnull (strstr (error->message, "undeclared_thing = 1.0;"));
  g_assert_nonnull (strstr (error->message, " | "));
  /* The program goes on: the view takes data and redraws without crashing. */
  {
    g_autoptr(PsVolume) vol = NULL;
    g_autoptr(PsLabels) pores = NULL;
    g_autoptr(GError) export_error = NULL;
    ps_gl_test_scene (&vol, &pores);
    ps_volume_view_set_volume (PS_VOLUME_VIEW (view), vol);
    ps_volume_view_set_mode (PS_VOLUME_VIEW (view), PS_RENDER_MODE_LABELS);
    spin (0.2);
    g_assert_null (ps_volume_view_render_texture (PS_VOLUME_VIEW (view), 64, 64, &export_error));
    g_assert_nonnull (export_error);
  }
  g_unsetenv ("PORESCOPE_SHADER_DIR");

  weak = view;
  g_object_add_weak_pointer (G_OBJECT (view), &weak);
  gtk_window_destroy (GTK_WINDOW (win));
  spin (0.1);
  g_assert_null (weak);
}

/* Box-average @f×@f blocks of RGBA8 rows. */
static guint8 *
reduce (const guint8 *px, int w, int h, int f)
{
  int rw = w / f, rh = h / f;
  guint8 *out = g_new (guint8, (gsize) rw * rh * 4);
  for (int y = 0; y < rh; y++)
    for (int x = 0; x < rw; x++)
      for (int c = 0; c < 4; c++)
        {
          int s = 0;
          for (int j = 0; j < f; j++)
            for (int i = 0; i < f; i++)
              s += px[((gsize) (y * f + j) * w + x * f + i) * 4 + c];
          out[((gsize) y * rw + x) * 4 + c] = (guint8) ((s + f * f / 2) / (f * f));
        }
  return out;
}

static guint8 *
download_rgba (GdkTexture *tex)
{
  int w = gdk_texture_get_width (tex), h = gdk_texture_get_height (tex);
  guint8 *px = g_new (guint8, (gsize) w * h * 4);
  /* Cairo order (premultiplied BGRA in memory); opaque here. */
  gdk_texture_download (tex, px, (gsize) w * 4);
  for (gsize i = 0; i < (gsize) w * h; i++)
    {
      guint8 t = px[4 * i];
      px[4 * i] = px[4 * i + 2];
      px[4 * i + 2] = t;
    }
  return px;
}

static void
test_export (void)
{
  g_autoptr(PsVolume) vol = NULL;
  g_autoptr(PsLabels) pores = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GdkTexture) big = NULL;
  g_autoptr(GdkTexture) screen = NULL;
  g_autofree guint8 *big_px = NULL, *screen_px = NULL, *small = NULL;
  g_autofree char *png = NULL;
  GtkWidget *win, *view;
  GdkPaintable *paintable;
  GtkSnapshot *snapshot;
  GskRenderNode *node;
  int w, h, classes_equal = 0, classes_total = 0;
  double diff = 0;
  static const guint8 bg[3] = { 0x1b, 0x1d, 0x22 };

  if (!have_display)
    {
      g_test_skip ("no display");
      return;
    }
  win = make_window (&view);
  g_assert_null (gtk_gl_area_get_error (GTK_GL_AREA (view)));
  ps_gl_test_scene (&vol, &pores);
  ps_volume_view_set_volume (PS_VOLUME_VIEW (view), vol);
  ps_volume_view_set_labels (PS_VOLUME_VIEW (view), pores, NULL);
  ps_volume_view_set_threshold (PS_VOLUME_VIEW (view), 0.5);
  ps_volume_view_set_mode (PS_VOLUME_VIEW (view), PS_RENDER_MODE_LABELS);
  ps_volume_view_set_view (PS_VOLUME_VIEW (view), PS_VIEW_ISO);
  g_assert_true (wait_for (not_busy, view, 30));
  spin (0.5);
  g_assert_null (gtk_gl_area_get_error (GTK_GL_AREA (view)));
  g_assert_null (ps_volume_view_get_notice (PS_VOLUME_VIEW (view)));

  w = gtk_widget_get_width (view);
  h = gtk_widget_get_height (view);
  g_test_message ("view is %d × %d", w, h);

  /* What is on screen: the widget's own rendering through GSK. */
  paintable = gtk_widget_paintable_new (view);
  snapshot = gtk_snapshot_new ();
  gdk_paintable_snapshot (paintable, snapshot, w, h);
  node = gtk_snapshot_free_to_node (snapshot);
  g_assert_nonnull (node);
  screen = gsk_renderer_render_texture (gtk_native_get_renderer (gtk_widget_get_native (view)), node,
                                        &GRAPHENE_RECT_INIT (0, 0, w, h));
  gsk_render_node_unref (node);
  g_object_unref (paintable);
  save_texture (screen, "view-screen.png");

  /* The export at 4×. */
  big = ps_volume_view_render_texture (PS_VOLUME_VIEW (view), 4 * w, 4 * h, &error);
  g_assert_no_error (error);
  g_assert_cmpint (gdk_texture_get_width (big), ==, 4 * w);
  g_assert_cmpint (gdk_texture_get_height (big), ==, 4 * h);
  save_texture (big, "view-export-4x.png");
  png = ps_test_tmp_path ("export.png");
  g_assert_true (ps_volume_view_export_png (PS_VOLUME_VIEW (view), png, 4 * w, 4 * h, &error));
  g_assert_no_error (error);
  {
    g_autoptr(GdkTexture) back = gdk_texture_new_from_filename (png, &error);
    g_assert_no_error (error);
    g_assert_cmpint (gdk_texture_get_width (back), ==, 4 * w);
    g_assert_cmpint (gdk_texture_get_height (back), ==, 4 * h);
  }

  /* Same picture: the export reduced 4× against the screen. */
  screen_px = download_rgba (screen);
  big_px = download_rgba (big);
  small = reduce (big_px, 4 * w, 4 * h, 4);
  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++)
      {
        const guint8 *a = screen_px + ((gsize) y * w + x) * 4, *b = small + ((gsize) y * w + x) * 4;
        for (int c = 0; c < 3; c++)
          diff += abs ((int) a[c] - (int) b[c]);
        classes_total++;
        classes_equal += ps_gl_test_classify (a, bg) == ps_gl_test_classify (b, bg);
      }
  diff /= (double) w * h * 3;
  g_test_message ("screen vs 4× export reduced: mean |diff| %.2f / 255, classes agree %.2f %%", diff,
                  100.0 * classes_equal / classes_total);
  g_assert_cmpfloat (diff, <, 4.0);
  /* Thin overlay lines and text antialias differently once reduced. */
  g_assert_cmpfloat ((double) classes_equal / classes_total, >, 0.95);
  /* And it is not an empty picture: blue carbon and gray pore are there. */
  {
    int n_carbon = 0, n_pore = 0;
    for (gsize i = 0; i < (gsize) w * h; i++)
      {
        PsPixelClass c = ps_gl_test_classify (screen_px + 4 * i, bg);
        n_carbon += c == PS_PIX_CARBON;
        n_pore += c == PS_PIX_PORE;
      }
    g_assert_cmpint (n_carbon, >, 1000);
    g_assert_cmpint (n_pore, >, 50);
  }

  /* Interaction keeps working: a redraw at interactive quality, then full. */
  ps_gl_camera_trackball (ps_volume_view_get_camera (PS_VOLUME_VIEW (view)), 1.3f, 0, 0, 0.2f, 0.1f);
  ps_volume_view_queue_redraw (PS_VOLUME_VIEW (view));
  spin (0.3);
  g_assert_null (gtk_gl_area_get_error (GTK_GL_AREA (view)));
  gtk_window_destroy (GTK_WINDOW (win));
  spin (0.1);
}

/* `porescope --render-3d`: a PNG of the requested size with the phases in
 * their colours; exit 2 with a message on bad input. */
static void
test_render_3d_cli (void)
{
  const char *app = g_getenv ("PORESCOPE_APP");
  g_autoptr(PsVolume) vol = NULL;
  g_autoptr(PsLabels) pores = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *vol_path = ps_test_tmp_path ("volume.tif");
  g_autofree char *lab_path = ps_test_tmp_path ("pores.tif");
  g_autofree char *small_path = ps_test_tmp_path ("small.tif");
  g_autofree char *png = ps_test_tmp_path ("render.png");
  g_autoptr(GdkTexture) tex = NULL;
  g_autofree guint8 *px = NULL;
  static const guint8 bg[3] = { 0x1b, 0x1d, 0x22 };
  int n_carbon = 0, n_pore = 0;

  if (app == NULL || !have_display)
    {
      g_test_skip ("no porescope binary or no display");
      return;
    }
  ps_gl_test_scene (&vol, &pores);
  g_assert_true (ps_volume_save (vol, vol_path, NULL, NULL, &error));
  g_assert_true (ps_labels_save (pores, lab_path, &error));
  {
    g_autoptr(PsVolume) small = ps_volume_new (8, 8, 8, NULL);
    g_assert_true (ps_volume_save (small, small_path, NULL, NULL, &error));
  }

  {
    const char *argv[] = { app, "--render-3d", png, "--view", "front", "--mode", "labels", "--size", "320x200",
                           "--labels", lab_path, "--threshold", "0.5", vol_path, NULL };
    g_autofree char *out = NULL, *err = NULL;
    int rc = ps_test_spawn (&out, &err, argv);
    g_test_message ("render-3d: rc %d, stderr: %s", rc, err);
    g_assert_cmpint (rc, ==, 0);
  }
  tex = gdk_texture_new_from_filename (png, &error);
  g_assert_no_error (error);
  g_assert_cmpint (gdk_texture_get_width (tex), ==, 320);
  g_assert_cmpint (gdk_texture_get_height (tex), ==, 200);
  save_texture (tex, "cli-front-labels.png");
  px = download_rgba (tex);
  for (gsize i = 0; i < 320 * 200; i++)
    {
      PsPixelClass c = ps_gl_test_classify (px + 4 * i, bg);
      n_carbon += c == PS_PIX_CARBON;
      n_pore += c == PS_PIX_PORE;
    }
  g_test_message ("render-3d: %d carbon, %d pore pixels", n_carbon, n_pore);
  g_assert_cmpint (n_carbon, >, 2000);
  g_assert_cmpint (n_pore, >, 150);

  /* Bad input: exit status 2 and a message naming the problem. */
  {
    const char *bad[][16] = {
      { app, "--render-3d", png, "--view", "sideways", vol_path, NULL },
      { app, "--render-3d", png, "--mode", "xray", vol_path, NULL },
      { app, "--render-3d", png, "--size", "0x10", vol_path, NULL },
      { app, "--render-3d", png, "--size", "9000x10", vol_path, NULL },
      { app, "--render-3d", png, "/nonexistent/volume.tif", NULL },
      { app, "--render-3d", png, NULL },
      { app, "--render-3d", png, "--labels", lab_path, small_path, NULL },
      { app, "--render-3d", png, "--threshold", "abc", vol_path, NULL },
    };
    for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
      {
        g_autofree char *out = NULL, *err = NULL;
        int rc = ps_test_spawn (&out, &err, bad[i]);
        g_test_message ("bad input %u: rc %d: %s", i, rc, err);
        g_assert_cmpint (rc, ==, 2);
        g_assert_true (g_str_has_prefix (err, "porescope: "));
      }
  }
}

static gboolean
pane_view_has_volume (gpointer pane)
{
  PsVolumeView *view = ps_volume_pane_get_view (pane);
  return !ps_volume_view_get_busy (view) && ps_volume_view_get_scene (view) != NULL &&
         gtk_widget_get_realized (GTK_WIDGET (view));
}

/* The pane follows the document: volume, window, crosshair, subvolume and
 * label layers reach the view; it renders without error. */
static void
test_pane_document (void)
{
  g_autoptr(PsDocument) doc = NULL;
  g_autoptr(PsVolume) vol = NULL;
  g_autoptr(PsLabels) pores = NULL;
  GtkWidget *win, *pane;
  PsVolumeView *view;
  PsGlScene *scene;
  PsBox box = { 4, 4, 4, 40, 40, 40 };
  gint64 end;

  if (!have_display)
    {
      g_test_skip ("no display");
      return;
    }
  doc = ps_document_new ();
  win = gtk_window_new ();
  pane = ps_volume_pane_new ();
  gtk_window_set_default_size (GTK_WINDOW (win), WIN_W, WIN_H + 40);
  gtk_window_set_child (GTK_WINDOW (win), pane);
  ps_volume_pane_set_document (PS_VOLUME_PANE (pane), doc);
  gtk_window_present (GTK_WINDOW (win));
  view = ps_volume_pane_get_view (PS_VOLUME_PANE (pane));
  g_assert_true (wait_for (is_realized, view, 20));

  ps_gl_test_scene (&vol, &pores);
  ps_document_set_volume (doc, vol, "test", NULL);
  end = g_get_monotonic_time () + 20 * G_USEC_PER_SEC;
  while (ps_document_get_volume (doc) != vol && g_get_monotonic_time () < end)
    g_main_context_iteration (NULL, FALSE);
  g_assert_true (ps_document_get_volume (doc) == vol);
  ps_document_set_window (doc, 0.0, 1.0);
  ps_document_set_crosshair (doc, 10, 20, 30);
  ps_document_set_subvolume (doc, &box);
  ps_document_set_overlay (doc, "pores", pores, PS_OVERLAY_SOLID, PS_PHASE_PORES, 0, -1);
  g_assert_true (wait_for (pane_view_has_volume, pane, 30));
  spin (0.5);

  scene = ps_volume_view_get_scene (view);
  g_assert_cmpfloat (scene->window_lo, ==, 0.0);
  g_assert_cmpfloat (scene->window_hi, ==, 1.0);
  g_assert_cmpfloat (scene->threshold, ==, 0.5);
  g_assert_cmpfloat (scene->crosshair[0], ==, 10);
  g_assert_cmpfloat (scene->crosshair[2], ==, 30);
  g_assert_false (scene->show_slices);   /* until the pane's Slices toggle */
  g_assert_cmpuint (scene->subvolume.nx, ==, 40);
  g_assert_true (scene->show_subvolume);
  /* Pore labels switch the view to the phase surfaces. */
  g_assert_cmpint (ps_volume_view_get_mode (view), ==, PS_RENDER_MODE_LABELS);
  g_assert_true (scene->threshold_carbon);
  g_assert_null (gtk_gl_area_get_error (GTK_GL_AREA (view)));
  {
    g_autoptr(GError) error = NULL;
    g_autoptr(GdkTexture) tex = ps_volume_view_render_texture (view, 480, 360, &error);
    g_assert_no_error (error);
    save_texture (tex, "pane.png");
  }
  gtk_window_destroy (GTK_WINDOW (win));
  spin (0.1);
}

/* A desktop without D-Bus (CI, Xvfb) is not a failure of the 3D view. */
static gboolean
ignore_environment_warnings (const char *domain, GLogLevelFlags level, const char *message, gpointer data)
{
  return strstr (message, "session bus") == NULL && strstr (message, "dbus") == NULL;
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_log_set_fatal_handler (ignore_environment_warnings, NULL);
  have_display = gtk_init_check ();
  g_test_add_func ("/gl/view/shader-error", test_shader_error);
  g_test_add_func ("/gl/view/export-4x", test_export);
  g_test_add_func ("/gl/view/pane-document", test_pane_document);
  g_test_add_func ("/gl/view/render-3d-cli", test_render_3d_cli);
  return g_test_run ();
}
