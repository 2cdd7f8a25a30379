/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The GPU ray caster on a synthetic scene (ps-gl-test-util.h): pixel colours
 * against an analytic ray cast of the same geometry, view orientation,
 * every mode, empty-space skipping against no skipping, downsampling, and
 * shader errors. Needs a display (the gl suite runs under xvfb-run with
 * Mesa llvmpipe); skips without one. Set PS_TEST_PNG_DIR to keep the renders. */
#include "config.h"

#include <gtk/gtk.h>
#include <math.h>
#include <string.h>

#include "ps-core-glib.h"
#include "ps-error.h"
#include "ps-gl-program.h"
#include "ps-gl-renderer.h"
#include "ps-gl-test-util.h"
#include "ps-render-prep.h"
#include "ps-test-util.h"

#define W 256
#define H 256

static GdkGLContext *context;
static const guint8 bg[3] = { 0x1b, 0x1d, 0x22 };

static gboolean
need_gl (void)
{
  if (context == NULL)
    {
      g_test_skip ("no display with OpenGL 3.3 (run under xvfb-run)");
      return FALSE;
    }
  gdk_gl_context_make_current (context);
  return TRUE;
}

static void
save_png (const char *name, const guint8 *px, int w, int h)
{
  const char *dir = g_getenv ("PS_TEST_PNG_DIR");
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(GdkTexture) tex = NULL;
  g_autofree char *path = NULL;
  if (dir == NULL)
    return;
  bytes = g_bytes_new (px, (gsize) w * h * 4);
  tex = gdk_memory_texture_new (w, h, GDK_MEMORY_R8G8B8A8, bytes, (gsize) w * 4);
  path = g_build_filename (dir, name, NULL);
  gdk_texture_save_to_png (tex, path);
}

typedef struct
{
  PsGlRenderer *renderer;
  PsGlVolumeData *data;
  PsGlScene scene;
  PsGlCamera cam;
} Fixture;

static void
fixture_setup (Fixture *f, gconstpointer user_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PsVolume) vol = NULL;
  g_autoptr(PsLabels) pores = NULL;
  PsGlVolumeLimits limits;
  float extent[3];

  memset (f, 0, sizeof *f);
  if (context == NULL)
    return;
  gdk_gl_context_make_current (context);
  f->renderer = ps_gl_renderer_new (&error);
  g_assert_no_error (error);
  ps_gl_test_scene (&vol, &pores);
  ps_gl_renderer_get_limits (f->renderer, &limits);
  f->data = ps_gl_volume_data_new (vol, pores, NULL, &limits, NULL, &error);
  g_assert_no_error (error);
  g_assert_null (f->data->notice);
  g_assert_true (ps_gl_renderer_upload (f->renderer, f->data, &error));
  g_assert_no_error (error);
  ps_gl_scene_init (&f->scene);
  f->scene.threshold = 0.5;
  ps_gl_renderer_get_extent (f->renderer, extent);
  ps_gl_camera_init (&f->cam, extent);
}

static void
fixture_teardown (Fixture *f, gconstpointer user_data)
{
  if (context != NULL)
    gdk_gl_context_make_current (context);
  g_clear_pointer (&f->renderer, ps_gl_renderer_free);
  g_clear_pointer (&f->data, ps_gl_volume_data_free);
}

static guint8 *
render (Fixture *f, const char *png)
{
  g_autoptr(GError) error = NULL;
  guint8 *px = ps_gl_renderer_render_offscreen (f->renderer, &f->scene, &f->cam, W, H, &error);
  g_assert_no_error (error);
  g_assert_nonnull (px);
  save_png (png, px, W, H);
  return px;
}

/* The world point (voxel coordinates) where the ray through pixel (px, py)
 * (image rows top first, pixel centres) enters, and its direction. */
static void
pixel_ray (const PsGlCamera *cam, double px, double py, double origin[3], double dir[3])
{
  mat4 view, proj, vp, inv;
  vec4 a, b;
  glm_vec4_copy ((vec4) { (float) (2.0 * px / W - 1.0), (float) (1.0 - 2.0 * py / H), -1, 1 }, a);
  glm_vec4_copy ((vec4) { a[0], a[1], 1, 1 }, b);
  ps_gl_camera_matrices (cam, (float) W / H, view, proj);
  glm_mat4_mul (proj, view, vp);
  glm_mat4_inv (vp, inv);
  glm_mat4_mulv (inv, a, a);
  glm_mat4_mulv (inv, b, b);
  for (int i = 0; i < 3; i++)
    {
      origin[i] = a[i] / a[3] + PS_GL_TEST_N / 2.0;
      dir[i] = b[i] / b[3] + PS_GL_TEST_N / 2.0 - origin[i];
    }
  double n = sqrt (dir[0] * dir[0] + dir[1] * dir[1] + dir[2] * dir[2]);
  for (int i = 0; i < 3; i++)
    dir[i] /= n;
}

/* Brute-force reference: march the analytic scene in steps of 0.01 voxel;
 * the first point in the sphere is a pore hit, the first in the slab (and
 * not the sphere) carbon. @carbon_visible FALSE ignores carbon. */
static PsPixelClass
expected_class (const PsGlCamera *cam, double px, double py, gboolean carbon_visible)
{
  double o[3], d[3];
  pixel_ray (cam, px, py, o, d);
  /* Clip the ray to the volume box [0, 64]^3. */
  double t0 = 0.0, t1 = 1e9;
  for (int i = 0; i < 3; i++)
    {
      if (fabs (d[i]) < 1e-12)
        {
          if (o[i] < 0 || o[i] > PS_GL_TEST_N)
            return PS_PIX_BACKGROUND;
          continue;
        }
      double a = (0 - o[i]) / d[i], b = (PS_GL_TEST_N - o[i]) / d[i];
      t0 = MAX (t0, MIN (a, b));
      t1 = MIN (t1, MAX (a, b));
    }
  for (double t = t0; t < t1; t += 0.01)
    {
      double x = o[0] + t * d[0], y = o[1] + t * d[1], z = o[2] + t * d[2];
      if (ps_gl_test_in_sphere (x, y, z))
        return PS_PIX_PORE;
      if (carbon_visible && ps_gl_test_in_slab (x, y, z))
        return PS_PIX_CARBON;
    }
  return PS_PIX_BACKGROUND;
}

/* Compare rendered classes with the reference away from edges (pixels whose
 * neighbourhood of ±@margin px all have the same expected class). */
static void
check_classes (Fixture *f, const guint8 *px, gboolean carbon_visible, guint counts[3])
{
  const double margin = 2.5;
  guint checked = 0, wrong = 0;
  memset (counts, 0, 3 * sizeof (guint));
  for (int y = 0; y < H; y += 2)
    for (int x = 0; x < W; x += 2)
      {
        double cx = x + 0.5, cy = y + 0.5;
        PsPixelClass e = expected_class (&f->cam, cx, cy, carbon_visible);
        gboolean clear = TRUE;
        for (int k = 0; k < 8 && clear; k++)
          {
            double ang = k * G_PI / 4;
            clear = expected_class (&f->cam, cx + margin * cos (ang), cy + margin * sin (ang), carbon_visible) == e;
          }
        if (!clear)
          continue;
        PsPixelClass got = ps_gl_test_classify (px + ((gsize) y * W + x) * 4, bg);
        checked++;
        if (got != e)
          {
            if (wrong < 5)
              g_test_message ("pixel %d,%d: expected %d got %d (rgb %d %d %d)", x, y, e, got,
                              px[((gsize) y * W + x) * 4], px[((gsize) y * W + x) * 4 + 1],
                              px[((gsize) y * W + x) * 4 + 2]);
            wrong++;
          }
        else if (e <= PS_PIX_PORE)
          counts[e]++;
      }
  g_test_message ("%u of %u pixels differ; background %u carbon %u pore %u", wrong, checked, counts[0],
                  counts[1], counts[2]);
  /* The overlays (box edges, triad, scale bar) cover a few pixels. */
  g_assert_cmpuint (wrong, <=, checked / 100);
}

static void
test_front_labels (Fixture *f, gconstpointer data)
{
  g_autofree guint8 *px = NULL;
  guint counts[3];
  if (!need_gl ())
    return;
  f->scene.mode = PS_RENDER_MODE_LABELS;
  f->scene.show_bbox = FALSE;
  f->scene.show_triad = FALSE;
  f->scene.show_scale_bar = FALSE;
  ps_gl_camera_set_preset (&f->cam, PS_VIEW_FRONT);
  px = render (f, "front-labels.png");
  check_classes (f, px, TRUE, counts);
  /* All three appear in quantity. */
  g_assert_cmpuint (counts[PS_PIX_BACKGROUND], >, 1000);
  g_assert_cmpuint (counts[PS_PIX_CARBON], >, 1000);
  g_assert_cmpuint (counts[PS_PIX_PORE], >, 100);
}

/* Centroid of the pore-coloured pixels, in image pixels. */
static void
pore_centroid (const guint8 *px, double *cx, double *cy, guint *n)
{
  double sx = 0, sy = 0;
  *n = 0;
  for (int y = 0; y < H; y++)
    for (int x = 0; x < W; x++)
      if (ps_gl_test_classify (px + ((gsize) y * W + x) * 4, bg) == PS_PIX_PORE)
        {
          sx += x + 0.5;
          sy += y + 0.5;
          (*n)++;
        }
  *cx = *n ? sx / *n : NAN;
  *cy = *n ? sy / *n : NAN;
}

/* Pixel of a world point in voxel coordinates. */
static void
project (const PsGlCamera *cam, const double p[3], double *x, double *y)
{
  mat4 view, proj, vp;
  vec4 c = { (float) (p[0] - PS_GL_TEST_N / 2.0), (float) (p[1] - PS_GL_TEST_N / 2.0),
             (float) (p[2] - PS_GL_TEST_N / 2.0), 1 };
  ps_gl_camera_matrices (cam, (float) W / H, view, proj);
  glm_mat4_mul (proj, view, vp);
  glm_mat4_mulv (vp, c, c);
  *x = (c[0] / c[3] + 1) * 0.5 * W;
  *y = (1 - c[1] / c[3]) * 0.5 * H;
}

static void
check_view_geometry (Fixture *f, PsViewPreset preset, const char *png, double sign_x, double sign_y)
{
  g_autofree guint8 *px = NULL;
  double cx, cy, ex, ey;
  guint n, counts[3];
  f->scene.mode = PS_RENDER_MODE_LABELS;
  f->scene.carbon_rgba[3] = 0.0f;   /* pores only */
  f->scene.show_bbox = FALSE;
  f->scene.show_triad = FALSE;
  f->scene.show_scale_bar = FALSE;
  ps_gl_camera_set_preset (&f->cam, preset);
  px = render (f, png);
  check_classes (f, px, FALSE, counts);
  pore_centroid (px, &cx, &cy, &n);
  project (&f->cam, ps_gl_test_sphere_c, &ex, &ey);
  g_test_message ("%s: pore centroid %.1f, %.1f (%u px); sphere centre projects to %.1f, %.1f", png, cx, cy, n,
                  ex, ey);
  g_assert_cmpuint (n, >, 1000);
  g_assert_cmpfloat_with_epsilon (cx, ex, 1.5);
  g_assert_cmpfloat_with_epsilon (cy, ey, 1.5);
  /* Independent of the camera code: which side of the image centre the
   * sphere lies on, from the view's definition (ps-gl-camera.h). */
  g_assert_cmpfloat ((cx - W / 2.0) * sign_x, >, 5.0);
  g_assert_cmpfloat ((cy - H / 2.0) * sign_y, >, 5.0);
}

static void
test_views (Fixture *f, gconstpointer data)
{
  if (!need_gl ())
    return;
  /* Sphere at (22, 28, 36) in a 64³ box centred at 32.
   * front: x right (22 < 32: left), y down (28 < 32: up).
   * top: x right (left), z up (36 > 32: up).
   * right: z right (36: right), y down (up). */
  check_view_geometry (f, PS_VIEW_FRONT, "front-pores.png", -1, -1);
  check_view_geometry (f, PS_VIEW_TOP, "top-pores.png", -1, -1);
  check_view_geometry (f, PS_VIEW_RIGHT, "right-pores.png", +1, -1);
}

static double
mean_abs_diff (const guint8 *a, const guint8 *b, gsize n)
{
  double s = 0;
  for (gsize i = 0; i < n; i++)
    s += abs ((int) a[i] - (int) b[i]);
  return s / n;
}

static void
test_modes (Fixture *f, gconstpointer data)
{
  if (!need_gl ())
    return;
  f->scene.show_triad = FALSE;
  f->scene.show_scale_bar = FALSE;
  f->scene.show_bbox = FALSE;
  ps_gl_camera_set_preset (&f->cam, PS_VIEW_ISO);
  for (int m = 0; m < PS_RENDER_N_MODES; m++)
    {
      g_autofree char *name = g_strdup_printf ("iso-%s.png", ps_render_mode_to_string (m));
      g_autofree guint8 *px = NULL;
      guint n_bg = 0, n_fg = 0;
      f->scene.mode = m;
      px = render (f, name);
      for (gsize i = 0; i < (gsize) W * H; i++)
        {
          if (ps_gl_test_classify (px + 4 * i, bg) == PS_PIX_BACKGROUND)
            n_bg++;
          else
            n_fg++;
        }
      g_test_message ("%s: %u background, %u foreground", name, n_bg, n_fg);
      /* The slab covers a good part of the view, and not all of it. */
      g_assert_cmpuint (n_fg, >, W * H / 8);
      g_assert_cmpuint (n_bg, >, W * H / 8);
    }

  /* MIP of a 0/1 volume: white where the ray crosses the slab. */
  {
    g_autofree guint8 *px = NULL;
    f->scene.mode = PS_RENDER_MODE_MIP;
    ps_gl_camera_set_preset (&f->cam, PS_VIEW_FRONT);
    px = render (f, "front-mip.png");
    const guint8 *centre = px + ((gsize) (H / 2) * W + W / 2 + 30) * 4;
    g_assert_cmpuint (centre[0], >=, 250);
    g_assert_cmpuint (px[((gsize) 2 * W + 2) * 4], ==, bg[0]);
  }
}

/* Empty-space skipping must not change the picture: the same frame with a
 * brick grid that allows no skipping. */
static void
test_skipping (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  if (!need_gl ())
    return;
  f->scene.show_triad = FALSE;
  f->scene.show_scale_bar = FALSE;
  ps_gl_camera_set_preset (&f->cam, PS_VIEW_ISO);
  ps_gl_camera_trackball (&f->cam, 1.0f, 0.0f, 0.0f, 0.21f, 0.13f);
  for (int m = 0; m < PS_RENDER_N_MODES; m++)
    {
      g_autofree guint8 *skip = NULL, *full = NULL;
      g_autofree guint16 *saved = NULL;
      gsize nb = f->data->brick_dims[0] * f->data->brick_dims[1] * f->data->brick_dims[2];
      f->scene.mode = m;
      skip = render (f, "skip.png");
      saved = g_memdup2 (f->data->bricks, nb * 8);
      for (gsize i = 0; i < nb; i++)
        {
          f->data->bricks[4 * i] = 0;
          f->data->bricks[4 * i + 1] = 65535;
          f->data->bricks[4 * i + 2] = 7;
        }
      g_assert_true (ps_gl_renderer_upload (f->renderer, f->data, &error));
      full = render (f, "noskip.png");
      memcpy (f->data->bricks, saved, nb * 8);
      g_assert_true (ps_gl_renderer_upload (f->renderer, f->data, &error));
      double diff = mean_abs_diff (skip, full, (gsize) W * H * 4);
      guint n_diff = 0;
      for (gsize i = 0; i < (gsize) W * H * 4; i++)
        n_diff += abs ((int) skip[i] - (int) full[i]) > 2;
      g_test_message ("%s: skipping vs none: mean |diff| %.4f, %u values differ by > 2",
                      ps_render_mode_to_string (m), diff, n_diff);
      g_assert_cmpuint (n_diff, <=, 20);
    }
}

/* A tiny texture budget forces a reduction, which is announced. */
static void
test_downsample (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PsVolume) vol = NULL;
  g_autoptr(PsLabels) pores = NULL;
  g_autoptr(PsGlRenderer) renderer = NULL;
  g_autoptr(PsGlVolumeData) data = NULL;
  g_autofree guint8 *px = NULL;
  PsGlVolumeLimits limits;
  PsGlScene scene;
  PsGlCamera cam;
  float extent[3];
  double cx, cy;
  guint n;

  if (!need_gl ())
    return;
  renderer = ps_gl_renderer_new (&error);
  g_assert_no_error (error);
  ps_gl_test_scene (&vol, &pores);
  ps_gl_renderer_get_limits (renderer, &limits);
  limits.budget_bytes = 64 * 64 * 64 * 4 / 8;   /* half the volume's 4 B/voxel */
  data = ps_gl_volume_data_new (vol, pores, NULL, &limits, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (data->factor, ==, 2);
  g_assert_cmpuint (data->dims[0], ==, 32);
  g_assert_nonnull (data->notice);
  g_assert_nonnull (strstr (data->notice, "downsampled 2×"));
  g_assert_true (ps_gl_renderer_upload (renderer, data, &error));
  g_assert_cmpstr (ps_gl_renderer_get_notice (renderer), ==, data->notice);
  /* The GPU's own limit is honoured the same way. */
  {
    g_autoptr(PsGlVolumeData) d2 = NULL;
    PsGlVolumeLimits l2 = limits;
    l2.max_3d_size = 20;
    l2.budget_bytes = (gsize) 1 << 30;
    d2 = ps_gl_volume_data_new (vol, NULL, NULL, &l2, NULL, &error);
    g_assert_no_error (error);
    g_assert_cmpint (d2->factor, ==, 4);
    g_assert_nonnull (d2->notice);
  }
  ps_gl_scene_init (&scene);
  scene.mode = PS_RENDER_MODE_LABELS;
  scene.threshold = 0.5;
  scene.carbon_rgba[3] = 0.0f;
  scene.show_triad = scene.show_scale_bar = scene.show_bbox = FALSE;
  scene.show_notice = TRUE;
  ps_gl_renderer_get_extent (renderer, extent);
  ps_gl_camera_init (&cam, extent);
  px = ps_gl_renderer_render_offscreen (renderer, &scene, &cam, W, H, &error);
  g_assert_no_error (error);
  save_png ("downsampled.png", px, W, H);
  /* The pore is still where it was. */
  pore_centroid (px, &cx, &cy, &n);
  g_assert_cmpuint (n, >, 800);
  g_assert_cmpfloat (cx, <, W / 2.0 - 5);
  g_assert_cmpfloat (cy, <, H / 2.0 - 5);
  /* The notice is drawn (yellow text in the top-left corner). */
  {
    guint yellow = 0;
    for (int y = 0; y < 30; y++)
      for (int x = 0; x < W; x++)
        {
          const guint8 *p = px + ((gsize) y * W + x) * 4;
          yellow += p[0] > 200 && p[1] > 150 && p[2] < 120;
        }
    g_assert_cmpuint (yellow, >, 20);
  }
}

/* A broken shader: a GError naming the file with a line-numbered listing. */
static void
test_shader_error (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = NULL;
  g_autofree char *path = NULL;
  PsGlProgram *program;
  const char *old = g_getenv ("PORESCOPE_SHADER_DIR");

  if (!need_gl ())
    return;
  dir = ps_test_tmp_path ("broken-shaders");
  g_mkdir_with_parents (dir, 0755);
  path = g_build_filename (dir, "raycast.fs.glsl", NULL);
  g_assert_true (g_file_set_contents (path, "out vec4 frag_color;\nvoid main ()\n{\n  frag_color = vec4 (1.0) +;\n}\n",
                                      -1, NULL));
  g_setenv ("PORESCOPE_SHADER_DIR", dir, TRUE);
  program = ps_gl_program_new ("fullscreen.vs.glsl", "raycast.fs.glsl", NULL, &error);
  g_assert_null (program);
  g_assert_error (error, PS_ERROR, PS_ERROR_CODE_FAILED);
  g_assert_nonnull (strstr (error->message, "raycast.fs.glsl"));
  g_assert_nonnull (strstr (error->message, "frag_color = vec4 (1.0) +;"));
  g_assert_nonnull (strstr (error->message, " | "));
  g_clear_error (&error);
  g_assert_null (ps_gl_renderer_new (&error));
  g_assert_nonnull (error);
  if (old)
    g_setenv ("PORESCOPE_SHADER_DIR", old, TRUE);
  else
    g_unsetenv ("PORESCOPE_SHADER_DIR");
  /* Good shaders still work afterwards. */
  g_clear_error (&error);
  g_autoptr(PsGlRenderer) ok = ps_gl_renderer_new (&error);
  g_assert_no_error (error);
  g_assert_nonnull (ok);
}

/* Tiled export: the same picture whatever the tile size. */
static void
test_offscreen_sizes (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autofree guint8 *big = NULL;
  if (!need_gl ())
    return;
  big = ps_gl_renderer_render_offscreen (f->renderer, &f->scene, &f->cam, 8193, 16, &error);
  g_assert_null (big);
  g_assert_error (error, PS_ERROR, PS_ERROR_CODE_INVALID_PARAMETER);
}

/* A desktop without D-Bus (CI, Xvfb) is not a failure of the 3D view. */
static gboolean
ignore_environment_warnings (const char *domain, GLogLevelFlags level, const char *message, gpointer data)
{
  return strstr (message, "session bus") == NULL && strstr (message, "dbus") == NULL;
}

/* Highlight: the pore object drawn in the highlight colour instead of gray. */
static void
test_highlight (Fixture *f, gconstpointer data)
{
  g_autofree guint8 *px = NULL;
  guint orange = 0, gray = 0;
  if (!need_gl ())
    return;
  f->scene.mode = PS_RENDER_MODE_LABELS;
  f->scene.show_triad = f->scene.show_scale_bar = f->scene.show_bbox = FALSE;
  f->scene.highlight_phase = PS_RENDER_PHASE_PORE;
  f->scene.highlight_label = 1;
  ps_gl_camera_set_preset (&f->cam, PS_VIEW_FRONT);
  px = render (f, "front-highlight.png");
  for (gsize i = 0; i < (gsize) W * H; i++)
    {
      const guint8 *p = px + 4 * i;
      orange += p[0] > 150 && p[0] > p[2] + 80 && p[1] > p[2] + 30;
      gray += ps_gl_test_classify (p, bg) == PS_PIX_PORE;
    }
  g_test_message ("highlight: %u orange, %u gray pixels", orange, gray);
  g_assert_cmpuint (orange, >, 200);
  g_assert_cmpuint (gray, <, 20);
  /* Another id highlights nothing. */
  f->scene.highlight_label = 2;
  g_free (px);
  px = render (f, "front-highlight-none.png");
  orange = 0;
  for (gsize i = 0; i < (gsize) W * H; i++)
    orange += px[4 * i] > 150 && px[4 * i] > px[4 * i + 2] + 80;
  g_assert_cmpuint (orange, ==, 0);
}

/* Clipping to a subvolume: nothing is drawn outside the box. */
static void
test_clip (Fixture *f, gconstpointer data)
{
  g_autofree guint8 *px = NULL;
  PsBox box = { 0, 0, 0, 20, 64, 64 };
  double x0, y0, x1, y1, lo[3] = { 20, 32, 32 }, hi[3] = { 14, 32, 32 };
  guint outside_fg = 0, inside_carbon = 0;
  if (!need_gl ())
    return;
  f->scene.mode = PS_RENDER_MODE_LABELS;
  f->scene.show_triad = f->scene.show_scale_bar = f->scene.show_bbox = FALSE;
  f->scene.subvolume = box;
  f->scene.clip = TRUE;
  f->scene.show_subvolume = FALSE;
  ps_gl_camera_set_preset (&f->cam, PS_VIEW_FRONT);
  px = render (f, "front-clip.png");
  project (&f->cam, lo, &x0, &y0);   /* the clip face x = 20 */
  project (&f->cam, hi, &x1, &y1);
  for (int y = 0; y < H; y++)
    for (int x = 0; x < W; x++)
      {
        PsPixelClass c = ps_gl_test_classify (px + ((gsize) y * W + x) * 4, bg);
        if (x > x0 + 2)
          outside_fg += c != PS_PIX_BACKGROUND;
        else if (x < x1 && c == PS_PIX_CARBON)
          inside_carbon++;
      }
  g_test_message ("clip: %u foreground pixels beyond x = 20, %u carbon before", outside_fg, inside_carbon);
  g_assert_cmpuint (outside_fg, ==, 0);
  g_assert_cmpuint (inside_carbon, >, 300);
}

/* Orthoslices: a plane in front of the slab hides it; the slice shows the
 * (windowed) intensity there, black for the empty z = 10 plane. */
static void
test_slices (Fixture *f, gconstpointer data)
{
  g_autofree guint8 *px = NULL;
  guint black = 0, blue = 0;
  if (!need_gl ())
    return;
  f->scene.mode = PS_RENDER_MODE_LABELS;
  f->scene.show_triad = f->scene.show_scale_bar = f->scene.show_bbox = FALSE;
  f->scene.show_slices = TRUE;
  f->scene.crosshair[0] = 63;   /* x and y planes at the far faces: edge-on */
  f->scene.crosshair[1] = 63;
  f->scene.crosshair[2] = 10;
  ps_gl_camera_set_preset (&f->cam, PS_VIEW_FRONT);
  px = render (f, "front-slice-z10.png");
  /* Inside the box's image (x, y ≈ 52…203 px), away from the plane's outline. */
  for (int y = 60; y < 196; y++)
    for (int x = 60; x < 196; x++)
      {
        const guint8 *p = px + ((gsize) y * W + x) * 4;
        black += p[0] < 4 && p[1] < 4 && p[2] < 4;
        blue += ps_gl_test_classify (p, bg) == PS_PIX_CARBON;
      }
  g_test_message ("slice at z = 10: %u black, %u blue", black, blue);
  g_assert_cmpuint (black, ==, 136 * 136);
  g_assert_cmpuint (blue, ==, 0);
  /* Behind the slab's front face the slab is in front of the plane again. */
  f->scene.crosshair[2] = 40;
  g_free (px);
  px = render (f, "front-slice-z40.png");
  blue = 0;
  for (gsize i = 0; i < (gsize) W * H; i++)
    blue += ps_gl_test_classify (px + 4 * i, bg) == PS_PIX_CARBON;
  g_assert_cmpuint (blue, >, 5000);
}

/* The scale bar's length in pixels is its label's nm at the camera's nm per
 * pixel: 64³ of 1 nm voxels, front view, 256 px high → 2·32√3 nm / 256 px
 * = 0.433 nm/px; the bar is the 1-2-5 length below 18 % of the width
 * (19.95 nm) → 10 nm = 23.1 px. */
static void
test_scale_bar (Fixture *f, gconstpointer data)
{
  g_autofree guint8 *px = NULL;
  int best_len = 0;
  double nm_px = 2.0 * 32.0 * sqrt (3.0) / H;
  if (!need_gl ())
    return;
  f->scene.show_triad = f->scene.show_bbox = FALSE;
  f->scene.show_scale_bar = TRUE;
  f->scene.mode = PS_RENDER_MODE_MIP;
  ps_gl_camera_set_preset (&f->cam, PS_VIEW_FRONT);
  g_assert_cmpfloat_with_epsilon (ps_gl_camera_nm_per_pixel (&f->cam, 1.0f, H), nm_px, 1e-6);
  px = render (f, "scale-bar.png");
  /* The longest run of pure white in the bottom 30 rows, right half. */
  for (int y = H - 30; y < H; y++)
    {
      int run = 0;
      for (int x = W / 2; x < W; x++)
        {
          const guint8 *p = px + ((gsize) y * W + x) * 4;
          run = (p[0] == 255 && p[1] == 255 && p[2] == 255) ? run + 1 : 0;
          best_len = MAX (best_len, run);
        }
    }
  g_test_message ("scale bar %d px, expected %.1f", best_len, 10.0 / nm_px);
  g_assert_cmpfloat (fabs (best_len - 10.0 / nm_px), <=, 1.5);
}

/* Perspective keeps the geometry's sides. */
static void
test_perspective (Fixture *f, gconstpointer data)
{
  g_autofree guint8 *px = NULL;
  double cx, cy, ex, ey;
  guint n;
  if (!need_gl ())
    return;
  f->scene.mode = PS_RENDER_MODE_LABELS;
  f->scene.carbon_rgba[3] = 0.0f;
  f->scene.show_triad = f->scene.show_scale_bar = f->scene.show_bbox = FALSE;
  ps_gl_camera_set_preset (&f->cam, PS_VIEW_TOP);
  f->cam.perspective = TRUE;
  px = render (f, "top-perspective.png");
  pore_centroid (px, &cx, &cy, &n);
  project (&f->cam, ps_gl_test_sphere_c, &ex, &ey);
  g_test_message ("perspective: centroid %.1f, %.1f; centre projects to %.1f, %.1f", cx, cy, ex, ey);
  g_assert_cmpuint (n, >, 1000);
  g_assert_cmpfloat (cx, <, W / 2.0 - 5);
  g_assert_cmpfloat (cy, <, H / 2.0 - 5);
  /* A sphere's outline projects around its centre's image (within a pixel
   * or two under perspective foreshortening). */
  g_assert_cmpfloat_with_epsilon (cx, ex, 3.0);
  g_assert_cmpfloat_with_epsilon (cy, ey, 3.0);
}

int
main (int argc, char **argv)
{
  g_autoptr(GError) error = NULL;
  g_test_init (&argc, &argv, NULL);
  g_test_log_set_fatal_handler (ignore_environment_warnings, NULL);
  if (gtk_init_check ())
    {
      context = gdk_display_create_gl_context (gdk_display_get_default (), &error);
      if (context != NULL)
        {
          gdk_gl_context_set_required_version (context, 3, 3);
          if (!gdk_gl_context_realize (context, &error))
            g_clear_object (&context);
        }
      if (context == NULL)
        g_printerr ("# no GL context: %s\n", error ? error->message : "?");
    }

  g_test_add ("/gl/render/front-labels", Fixture, NULL, fixture_setup, test_front_labels, fixture_teardown);
  g_test_add ("/gl/render/views", Fixture, NULL, fixture_setup, test_views, fixture_teardown);
  g_test_add ("/gl/render/modes", Fixture, NULL, fixture_setup, test_modes, fixture_teardown);
  g_test_add ("/gl/render/skipping", Fixture, NULL, fixture_setup, test_skipping, fixture_teardown);
  g_test_add ("/gl/render/size-limit", Fixture, NULL, fixture_setup, test_offscreen_sizes, fixture_teardown);
  g_test_add ("/gl/render/highlight", Fixture, NULL, fixture_setup, test_highlight, fixture_teardown);
  g_test_add ("/gl/render/clip", Fixture, NULL, fixture_setup, test_clip, fixture_teardown);
  g_test_add ("/gl/render/slices", Fixture, NULL, fixture_setup, test_slices, fixture_teardown);
  g_test_add ("/gl/render/scale-bar", Fixture, NULL, fixture_setup, test_scale_bar, fixture_teardown);
  g_test_add ("/gl/render/perspective", Fixture, NULL, fixture_setup, test_perspective, fixture_teardown);
  g_test_add_func ("/gl/render/downsample", test_downsample);
  g_test_add_func ("/gl/program/error", test_shader_error);
  return g_test_run ();
}
