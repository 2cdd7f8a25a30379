/* SPDX-License-Identifier: GPL-3.0-or-later */
/* bench-3d: frame time of the 3D view's ray caster (PsGlRenderer) on a
 * porous-carbon phantom with pore labels, every mode, several sizes.
 *
 *   bench-3d [--n 512] [--sizes 640x360,1280x720] [--frames 5]
 *            [--dir DIR] [--write-volume] [--interactive]
 *
 * With --write-volume it writes DIR/volume.u8 (N³ bytes, x fastest) and
 * DIR/poses.json (the camera of every timed frame, for bench-3d.py to give
 * VTK exactly the same views) and reads nothing; otherwise it reads
 * DIR/volume.u8 if present so both renderers see the same bytes.
 * Each frame is timed as wall time of the draw plus glFinish (llvmpipe) and
 * GL_TIME_ELAPSED where the driver has it; one warm-up frame per size and
 * mode, then --frames orbit poses; prints one JSON object per line.
 * Needs a display (xvfb-run with LIBGL_ALWAYS_SOFTWARE=1 for llvmpipe).
 *
 * bench-3d-egl is the same program built without GTK (PS_BENCH_EGL): it gets
 * its OpenGL 3.3 core context from EGL without any display server — the
 * first EGL device (EGL_EXT_platform_device: a GPU, or Mesa's software
 * device), else Mesa's surfaceless platform — so it runs on a headless GPU
 * machine where neither X nor GTK is installed.
 */
#include "config.h"

#ifdef PS_BENCH_EGL
#include <epoxy/egl.h>
#include <epoxy/gl.h>
#include <gio/gio.h>
#else
#include <gtk/gtk.h>
#endif
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "ps-core-glib.h"
#include "ps-gl-renderer.h"

#define CARBON 200
#define PORE 40
#define EXTERIOR 10
#define THRESHOLD 120.0

static guint32
hash3 (guint32 x, guint32 y, guint32 z)
{
  guint32 h = x * 73856093u ^ y * 19349663u ^ z * 83492791u;
  h ^= h >> 13;
  h *= 0x5bd1e995u;
  h ^= h >> 15;
  return h;
}

/* A hard-carbon-like particle: a ball of carbon (radius 0.45 N) holding
 * closed spherical pores of radius 0.01–0.04 N, each labelled, plus ±8 of
 * deterministic noise. u8 intensities. */
static void
make_phantom (int n, guint8 *vol, guint32 *labels, guint *n_pores)
{
  const double c = (n - 1) / 2.0, rp = 0.45 * n;
  guint64 rng = 12345;
  guint k = 0;
  memset (labels, 0, sizeof (guint32) * n * n * n);
#pragma omp parallel for schedule(static)
  for (int z = 0; z < n; z++)
    for (int y = 0; y < n; y++)
      for (int x = 0; x < n; x++)
        {
          double dx = x - c, dy = y - c, dz = (z - c) * 1.15;
          gboolean in = dx * dx + dy * dy + dz * dz < rp * rp;
          int v = (in ? CARBON : EXTERIOR) + (int) (hash3 (x, y, z) % 17) - 8;
          vol[((gsize) z * n + y) * n + x] = (guint8) CLAMP (v, 0, 255);
        }
  for (guint i = 0; i < 400; i++)
    {
      double u[4];
      for (int j = 0; j < 4; j++)
        {
          rng = rng * 6364136223846793005ull + 1442695040888963407ull;
          u[j] = (double) (rng >> 11) / 9007199254740992.0;
        }
      double r = (0.01 + 0.03 * u[3]) * n;
      double px = c + (u[0] * 2 - 1) * 0.6 * rp, py = c + (u[1] * 2 - 1) * 0.6 * rp, pz = c + (u[2] * 2 - 1) * 0.5 * rp;
      k++;
      for (int z = MAX (0, (int) (pz - r)); z <= MIN (n - 1, (int) (pz + r) + 1); z++)
        for (int y = MAX (0, (int) (py - r)); y <= MIN (n - 1, (int) (py + r) + 1); y++)
          for (int x = MAX (0, (int) (px - r)); x <= MIN (n - 1, (int) (px + r) + 1); x++)
            if ((x - px) * (x - px) + (y - py) * (y - py) + (z - pz) * (z - pz) < r * r)
              {
                gsize idx = ((gsize) z * n + y) * n + x;
                labels[idx] = k;
                vol[idx] = (guint8) CLAMP (PORE + (int) (hash3 (x, y, z) % 17) - 8, 0, 255);
              }
    }
  *n_pores = k;
}

static int
cmp_double (const void *a, const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;
  return x < y ? -1 : x > y;
}

#ifdef PS_BENCH_EGL
/* A current OpenGL 3.3 core context without a surface (we draw into FBOs). */
static gboolean
make_egl_context (GError **error)
{
  EGLDisplay dpy = EGL_NO_DISPLAY;
  EGLint major, minor, n_configs = 0;
  EGLConfig config;
  EGLContext ctx;
  const EGLint config_attribs[] = { EGL_SURFACE_TYPE, EGL_PBUFFER_BIT, EGL_RENDERABLE_TYPE, EGL_OPENGL_BIT,
                                    EGL_RED_SIZE, 8, EGL_GREEN_SIZE, 8, EGL_BLUE_SIZE, 8, EGL_NONE };
  const EGLint context_attribs[] = { EGL_CONTEXT_MAJOR_VERSION, 3, EGL_CONTEXT_MINOR_VERSION, 3,
                                     EGL_CONTEXT_OPENGL_PROFILE_MASK, EGL_CONTEXT_OPENGL_CORE_PROFILE_BIT,
                                     EGL_NONE };
  const char *client_ext = eglQueryString (EGL_NO_DISPLAY, EGL_EXTENSIONS);

  if (client_ext != NULL && strstr (client_ext, "EGL_EXT_platform_device") != NULL)
    {
      EGLDeviceEXT devices[8];
      EGLint n_devices = 0;
      if (eglQueryDevicesEXT (G_N_ELEMENTS (devices), devices, &n_devices) && n_devices > 0)
        dpy = eglGetPlatformDisplayEXT (EGL_PLATFORM_DEVICE_EXT, devices[0], NULL);
    }
  if (dpy == EGL_NO_DISPLAY && client_ext != NULL && strstr (client_ext, "EGL_MESA_platform_surfaceless") != NULL)
    dpy = eglGetPlatformDisplayEXT (EGL_PLATFORM_SURFACELESS_MESA, EGL_DEFAULT_DISPLAY, NULL);
  if (dpy == EGL_NO_DISPLAY || !eglInitialize (dpy, &major, &minor))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED, "no EGL display (error 0x%x)", eglGetError ());
      return FALSE;
    }
  if (!eglBindAPI (EGL_OPENGL_API) || !eglChooseConfig (dpy, config_attribs, &config, 1, &n_configs) ||
      n_configs < 1)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED, "EGL %d.%d has no OpenGL config (error 0x%x)",
                   major, minor, eglGetError ());
      return FALSE;
    }
  ctx = eglCreateContext (dpy, config, EGL_NO_CONTEXT, context_attribs);
  if (ctx == EGL_NO_CONTEXT || !eglMakeCurrent (dpy, EGL_NO_SURFACE, EGL_NO_SURFACE, ctx))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED, "no surfaceless OpenGL 3.3 core context (error 0x%x)",
                   eglGetError ());
      return FALSE;
    }
  g_print ("{\"egl_vendor\": \"%s\", \"egl_version\": \"%d.%d\"}\n", eglQueryString (dpy, EGL_VENDOR), major, minor);
  return TRUE;
}
#endif

int
main (int argc, char **argv)
{
  int n = 512, frames = 5;
  g_autofree char *sizes_text = g_strdup ("640x360,1280x720");
  g_autofree char *dir = g_strdup ("bench/out");
  gboolean write_volume = FALSE, interactive = FALSE, no_labels = FALSE;
  g_autofree char *modes_text = g_strdup ("dvr,mip,iso,labels");
  g_autofree char *format_text = NULL;
  GOptionEntry entries[] = {
    { "n", 0, 0, G_OPTION_ARG_INT, &n, "Volume size N (N³ voxels)", "N" },
    { "sizes", 0, 0, G_OPTION_ARG_STRING, &sizes_text, "Image sizes", "WxH,…" },
    { "frames", 0, 0, G_OPTION_ARG_INT, &frames, "Timed frames per case", "K" },
    { "dir", 0, 0, G_OPTION_ARG_FILENAME, &dir, "Folder for volume.u8, poses.json and images", "DIR" },
    { "write-volume", 0, 0, G_OPTION_ARG_NONE, &write_volume, "Write the phantom and the poses, then exit", NULL },
    { "modes", 0, 0, G_OPTION_ARG_STRING, &modes_text, "Modes to time", "dvr,mip,iso,labels" },
    { "format", 0, 0, G_OPTION_ARG_STRING, &format_text, "Intensity texture format (default: automatic)", "u8|u16|f32" },
    { "no-labels", 0, 0, G_OPTION_ARG_NONE, &no_labels, "Render without the pore labels", NULL },
    { "interactive", 0, 0, G_OPTION_ARG_NONE, &interactive,
      "Also time interaction quality (half resolution, double step)", NULL },
    { NULL },
  };
  g_autoptr(GOptionContext) ctx = g_option_context_new ("— 3D view frame times");
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) sizes = NULL;
  g_autofree guint8 *raw = NULL;
  g_autofree guint32 *lab = NULL;
  g_autofree char *raw_path = NULL;
  g_autoptr(PsVolume) vol = NULL;
  g_autoptr(PsLabels) pores = NULL;
#ifndef PS_BENCH_EGL
  g_autoptr(GdkGLContext) context = NULL;
#endif
  g_autoptr(PsGlRenderer) renderer = NULL;
  g_autoptr(PsGlVolumeData) data = NULL;
  PsGlVolumeLimits limits;
  guint n_pores = 0;
  gsize nv;
  gint64 t0;

  g_option_context_add_main_entries (ctx, entries, NULL);
  if (!g_option_context_parse (ctx, &argc, &argv, &error) || n < 16 || frames < 1)
    {
      g_printerr ("bench-3d: %s\n", error ? error->message : "bad --n or --frames");
      return 2;
    }
  sizes = g_strsplit (sizes_text, ",", -1);
  g_mkdir_with_parents (dir, 0755);
  nv = (gsize) n * n * n;
  raw = g_malloc (nv);
  lab = g_malloc (nv * 4);
  make_phantom (n, raw, lab, &n_pores);
  raw_path = g_build_filename (dir, "volume.u8", NULL);

  if (write_volume)
    {
      g_autofree char *lab_path = g_build_filename (dir, "labels.u32", NULL);
      g_autofree char *poses_path = g_build_filename (dir, "poses.json", NULL);
      GString *js = g_string_new ("{\n");
      if (!g_file_set_contents (raw_path, (const char *) raw, nv, &error) ||
          !g_file_set_contents (lab_path, (const char *) lab, nv * 4, &error))
        {
          g_printerr ("bench-3d: %s\n", error->message);
          return 1;
        }
      /* The poses per size: an orbit about the iso view's vertical axis. */
      g_string_append_printf (js, "  \"n\": %d, \"threshold\": %g, \"window\": [0, 255], \"dvr_opacity\": 0.08,\n",
                              n, THRESHOLD);
      g_string_append (js, "  \"poses\": {\n");
      for (guint s = 0; sizes[s] != NULL; s++)
        {
          int w, h;
          PsGlCamera cam;
          float extent[3] = { (float) n, (float) n, (float) n };
          if (sscanf (sizes[s], "%dx%d", &w, &h) != 2)
            return 2;
          ps_gl_camera_init (&cam, extent);
          ps_gl_camera_set_preset (&cam, PS_VIEW_ISO);
          g_string_append_printf (js, "    \"%s\": [\n", sizes[s]);
          for (int f = 0; f <= frames; f++)
            {
              mat4 view, proj, inv;
              vec4 eye = { 0, 0, 0, 1 }, up = { 0, 1, 0, 0 };
              float r = 0.5f * glm_vec3_norm (cam.extent);
              ps_gl_camera_matrices (&cam, (float) w / h, view, proj);
              glm_mat4_inv (view, inv);
              glm_mat4_mulv (inv, eye, eye);
              glm_mat4_mulv (inv, up, up);
              /* World is centred on the volume; VTK's is its corner at voxel
               * centres 0…N−1, so shift by (N − 1)/2 … and N/2 for the box. */
              g_string_append_printf (js,
                                      "      {\"eye\": [%.6f, %.6f, %.6f], \"up\": [%.6f, %.6f, %.6f], "
                                      "\"target\": [%.6f, %.6f, %.6f], \"parallel_scale\": %.6f}%s\n",
                                      eye[0], eye[1], eye[2], up[0], up[1], up[2], cam.target[0], cam.target[1],
                                      cam.target[2], (w >= h ? r : r * h / w) / cam.zoom, f < frames ? "," : "");
              ps_gl_camera_trackball (&cam, (float) w / h, 0.0f, 0.0f, 0.12f, 0.0f);
            }
          g_string_append_printf (js, "    ]%s\n", sizes[s + 1] ? "," : "");
        }
      g_string_append (js, "  }\n}\n");
      if (!g_file_set_contents (poses_path, js->str, js->len, &error))
        return 1;
      g_string_free (js, TRUE);
      g_print ("{\"wrote\": \"%s\", \"n\": %d, \"pores\": %u}\n", dir, n, n_pores);
      return 0;
    }

  if (g_file_test (raw_path, G_FILE_TEST_EXISTS))
    {
      g_autofree char *contents = NULL;
      gsize len = 0;
      if (!g_file_get_contents (raw_path, &contents, &len, &error) || len != nv)
        {
          g_printerr ("bench-3d: %s: not %d³ bytes\n", raw_path, n);
          return 2;
        }
      memcpy (raw, contents, nv);
    }
  vol = ps_volume_new_uninit (n, n, n, NULL);
  pores = ps_labels_new (n, n, n, NULL);
  if (vol == NULL || pores == NULL)
    return 1;
  ps_volume_set_spacing (vol, 1, 1, 1);
  for (gsize i = 0; i < nv; i++)
    vol->data[i] = raw[i];
  memcpy (pores->data, lab, nv * 4);
  pores->n_labels = n_pores;
  g_clear_pointer (&raw, g_free);
  g_clear_pointer (&lab, g_free);

#ifdef PS_BENCH_EGL
  if (!make_egl_context (&error))
    {
      g_printerr ("bench-3d: %s\n", error->message);
      return 1;
    }
#else
  if (!gtk_init_check ())
    {
      g_printerr ("bench-3d: needs a display (xvfb-run)\n");
      return 1;
    }
  context = gdk_display_create_gl_context (gdk_display_get_default (), &error);
  if (context == NULL || (gdk_gl_context_set_required_version (context, 3, 3), !gdk_gl_context_realize (context, &error)))
    {
      g_printerr ("bench-3d: no OpenGL 3.3: %s\n", error ? error->message : "?");
      return 1;
    }
  gdk_gl_context_make_current (context);
#endif
  g_print ("{\"renderer\": \"porescope\", \"gl_renderer\": \"%s\", \"gl_version\": \"%s\"}\n",
           (const char *) glGetString (GL_RENDERER), (const char *) glGetString (GL_VERSION));
  renderer = ps_gl_renderer_new (&error);
  if (renderer == NULL)
    {
      g_printerr ("bench-3d: %s\n", error->message);
      return 1;
    }
  ps_gl_renderer_get_limits (renderer, &limits);
  limits.auto_u8 = format_text == NULL;
  if (format_text != NULL)
    limits.format = g_str_equal (format_text, "u8") ? PS_RENDER_TEX_U8
                  : g_str_equal (format_text, "f32") ? PS_RENDER_TEX_F32 : PS_RENDER_TEX_U16;
  t0 = g_get_monotonic_time ();
  data = ps_gl_volume_data_new (vol, no_labels ? NULL : pores, NULL, &limits, NULL, &error);
  if (data == NULL)
    {
      g_printerr ("bench-3d: %s\n", error->message);
      return 1;
    }
  double prep_ms = (g_get_monotonic_time () - t0) / 1000.0;
  t0 = g_get_monotonic_time ();
  if (!ps_gl_renderer_upload (renderer, data, &error))
    {
      g_printerr ("bench-3d: %s\n", error->message);
      return 1;
    }
  glFinish ();
  g_print ("{\"prepare_ms\": %.1f, \"upload_ms\": %.1f, \"factor\": %d, \"pores\": %u}\n", prep_ms,
           (g_get_monotonic_time () - t0) / 1000.0, data->factor, n_pores);

  for (guint s = 0; sizes[s] != NULL; s++)
    {
      int w, h;
      GLuint fbo, rb[2];
      if (sscanf (sizes[s], "%dx%d", &w, &h) != 2 || w < 1 || h < 1)
        return 2;
      glGenFramebuffers (1, &fbo);
      glGenRenderbuffers (2, rb);
      glBindRenderbuffer (GL_RENDERBUFFER, rb[0]);
      glRenderbufferStorage (GL_RENDERBUFFER, GL_RGBA8, w, h);
      glBindRenderbuffer (GL_RENDERBUFFER, rb[1]);
      glRenderbufferStorage (GL_RENDERBUFFER, GL_DEPTH_COMPONENT24, w, h);
      glBindFramebuffer (GL_FRAMEBUFFER, fbo);
      glFramebufferRenderbuffer (GL_FRAMEBUFFER, GL_COLOR_ATTACHMENT0, GL_RENDERBUFFER, rb[0]);
      glFramebufferRenderbuffer (GL_FRAMEBUFFER, GL_DEPTH_ATTACHMENT, GL_RENDERBUFFER, rb[1]);

      for (int q = 0; q < (interactive ? 2 : 1); q++)
        for (int m = 0; m < PS_RENDER_N_MODES; m++)
          {
            PsGlScene scene;
            g_auto(GStrv) wanted = g_strsplit (modes_text, ",", -1);
            if (!g_strv_contains ((const char *const *) wanted, ps_render_mode_to_string (m)))
              continue;
            PsGlCamera cam;
            float extent[3];
            double ms[64], gpu_ms[64];
            int k = MIN (frames, 64);
            ps_gl_scene_init (&scene);
            scene.mode = m;
            scene.window_lo = 0;
            scene.window_hi = 255;
            scene.threshold = THRESHOLD;
            scene.dvr_opacity = 0.08f;
            scene.show_triad = scene.show_scale_bar = scene.show_bbox = FALSE;
            if (q == 1)
              scene.step_factor = 2.0f;
            ps_gl_renderer_get_extent (renderer, extent);
            ps_gl_camera_init (&cam, extent);
            ps_gl_camera_set_preset (&cam, PS_VIEW_ISO);
            /* Warm-up (compiles the mode's program), and the image for the gate. */
            {
              g_autofree guint8 *px = ps_gl_renderer_render_offscreen (renderer, &scene, &cam, w, h, &error);
              g_autofree char *png = g_strdup_printf ("%s/ours-%s-%s.rgba", dir, ps_render_mode_to_string (m), sizes[s]);
              if (px == NULL)
                {
                  g_printerr ("bench-3d: %s\n", error->message);
                  return 1;
                }
              if (q == 0)
                g_file_set_contents (png, (const char *) px, (gssize) w * h * 4, NULL);
            }
            ps_gl_camera_trackball (&cam, (float) w / h, 0.0f, 0.0f, 0.12f, 0.0f);
            for (int f = 0; f < k; f++)
              {
                gint64 a;
                glFinish ();
                a = g_get_monotonic_time ();
                if (!ps_gl_renderer_draw (renderer, &scene, &cam, fbo, w, h, q == 1 ? 0.5f : 1.0f, &error))
                  {
                    g_printerr ("bench-3d: %s\n", error->message);
                    return 1;
                  }
                glFinish ();
                ms[f] = (g_get_monotonic_time () - a) / 1000.0;
                gpu_ms[f] = ps_gl_renderer_last_gpu_ms (renderer);
                ps_gl_camera_trackball (&cam, (float) w / h, 0.0f, 0.0f, 0.12f, 0.0f);
              }
            g_print ("{\"renderer\": \"porescope\", \"quality\": \"%s\", \"mode\": \"%s\", \"size\": \"%s\", "
                     "\"frame_ms\": [",
                     q == 0 ? "full" : "interactive", ps_render_mode_to_string (m), sizes[s]);
            for (int f = 0; f < k; f++)
              g_print ("%s%.2f", f ? ", " : "", ms[f]);
            g_print ("], \"gpu_ms\": [");
            for (int f = 0; f < k; f++)
              g_print ("%s%.2f", f ? ", " : "", gpu_ms[f]);
            qsort (ms, k, sizeof (double), cmp_double);
            g_print ("], \"median_ms\": %.2f, \"fps\": %.2f}\n", ms[k / 2], 1000.0 / ms[k / 2]);
          }
      glBindFramebuffer (GL_FRAMEBUFFER, 0);
      glDeleteFramebuffers (1, &fbo);
      glDeleteRenderbuffers (2, rb);
    }
  g_clear_pointer (&renderer, ps_gl_renderer_free);
  return 0;
}
