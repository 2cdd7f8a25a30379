/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "ps-render-3d"

#include "config.h"

#include <gtk/gtk.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "ps-atomic-file.h"
#include "ps-core-glib.h"
#include "ps-error.h"
#include "ps-gl-renderer.h"
#include "ps-render-3d.h"
#include "ps-volume-io.h"

#define PROG "porescope"

enum
{
  EXIT_OK = 0,
  EXIT_FAILURE_RUN = 1,
  EXIT_USAGE = 2,
};

static int G_GNUC_PRINTF (2, 3)
fail (int code, const char *format, ...)
{
  va_list args;
  g_autofree char *msg = NULL;
  va_start (args, format);
  msg = g_strdup_vprintf (format, args);
  va_end (args);
  fprintf (stderr, PROG ": %s\n", msg);
  return code;
}

/* Bad input (missing, unreadable, malformed files; bad parameters) → 2. */
static int
input_error_code (const GError *error)
{
  if (error->domain == G_FILE_ERROR)
    return EXIT_USAGE;
  if (error->domain == G_IO_ERROR)
    return error->code == G_IO_ERROR_CANCELLED ? EXIT_FAILURE_RUN : EXIT_USAGE;
  if (error->domain == PS_ERROR)
    return error->code == PS_ERROR_CODE_FAILED ? EXIT_FAILURE_RUN : EXIT_USAGE;
  return EXIT_FAILURE_RUN;
}

gboolean
ps_render_3d_wanted (int argc, char **argv)
{
  for (int i = 1; i < argc; i++)
    {
      if (strcmp (argv[i], "--") == 0)
        break;
      if (strcmp (argv[i], "--render-3d") == 0 || g_str_has_prefix (argv[i], "--render-3d="))
        return TRUE;
    }
  return FALSE;
}

static gboolean
parse_size (const char *text, int *w, int *h)
{
  char *end = NULL;
  gint64 a, b;
  if (text == NULL)
    return FALSE;
  a = g_ascii_strtoll (text, &end, 10);
  if (end == text || (*end != 'x' && *end != 'X'))
    return FALSE;
  text = end + 1;
  b = g_ascii_strtoll (text, &end, 10);
  if (end == text || *end != '\0')
    return FALSE;
  if (a < 1 || b < 1 || a > PS_GL_MAX_EXPORT_SIZE || b > PS_GL_MAX_EXPORT_SIZE)
    return FALSE;
  *w = (int) a;
  *h = (int) b;
  return TRUE;
}

static gboolean
parse_window (const char *text, double *lo, double *hi)
{
  g_auto(GStrv) parts = g_strsplit (text, ":", 2);
  char *end;
  if (g_strv_length (parts) != 2)
    return FALSE;
  *lo = g_ascii_strtod (parts[0], &end);
  if (end == parts[0] || *end != '\0')
    return FALSE;
  *hi = g_ascii_strtod (parts[1], &end);
  if (end == parts[1] || *end != '\0')
    return FALSE;
  return isfinite (*lo) && isfinite (*hi) && *hi > *lo;
}

int
ps_render_3d_run (int argc, char **argv)
{
  g_autofree char *out = NULL;
  g_autofree char *view_name = NULL;
  g_autofree char *mode_name = NULL;
  g_autofree char *size_text = NULL;
  g_autofree char *labels_path = NULL;
  g_autofree char *carbon_path = NULL;
  g_autofree char *threshold_text = NULL;
  g_autofree char *window_text = NULL;
  g_autofree char *background = NULL;
  g_auto(GStrv) rest = NULL;
  gboolean perspective = FALSE, no_overlays = FALSE;
  GOptionEntry entries[] = {
    { "render-3d", 0, 0, G_OPTION_ARG_FILENAME, &out, "Render the 3D view to a PNG file", "OUT.png" },
    { "view", 0, 0, G_OPTION_ARG_STRING, &view_name, "front, top, right or iso (default iso)", "VIEW" },
    { "mode", 0, 0, G_OPTION_ARG_STRING, &mode_name,
      "dvr, mip, iso or labels (default labels with --labels, else dvr)", "MODE" },
    { "size", 0, 0, G_OPTION_ARG_STRING, &size_text, "Image size in pixels, up to 8192 (default 1280x720)", "WxH" },
    { "labels", 0, 0, G_OPTION_ARG_FILENAME, &labels_path, "Pore labels (uint32 TIFF, 0 = not a pore)", "LABELS.tif" },
    { "carbon-labels", 0, 0, G_OPTION_ARG_FILENAME, &carbon_path,
      "Carbon labels (else carbon = intensity at or above the threshold)", "CARBON.tif" },
    { "threshold", 0, 0, G_OPTION_ARG_STRING, &threshold_text,
      "Isosurface / carbon threshold in raw units (default: the middle of the data range)", "VALUE" },
    { "window", 0, 0, G_OPTION_ARG_STRING, &window_text, "Intensities shown black and white (default: data range)",
      "LO:HI" },
    { "background", 0, 0, G_OPTION_ARG_STRING, &background, "Background colour (default #1b1d22)", "#RRGGBB" },
    { "perspective", 0, 0, G_OPTION_ARG_NONE, &perspective, "Perspective instead of orthographic projection", NULL },
    { "no-overlays", 0, 0, G_OPTION_ARG_NONE, &no_overlays, "No box, axis triad or scale bar", NULL },
    { G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &rest, NULL, "VOLUME" },
    { NULL },
  };
  g_autoptr(GOptionContext) ctx = g_option_context_new ("— render the 3D view to a PNG (needs a display or xvfb-run)");
  g_autoptr(GError) error = NULL;
  g_autoptr(PsVolume) vol = NULL;
  g_autoptr(PsLabels) pores = NULL;
  g_autoptr(PsLabels) carbon = NULL;
  g_autoptr(GdkGLContext) context = NULL;
  g_autoptr(PsGlRenderer) renderer = NULL;
  g_autoptr(PsGlVolumeData) data = NULL;
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(GdkTexture) texture = NULL;
  g_autoptr(GBytes) png = NULL;
  g_autofree guint8 *pixels = NULL;
  PsViewPreset preset = PS_VIEW_ISO;
  PsRenderMode mode = PS_RENDER_MODE_DVR;
  PsGlVolumeLimits limits;
  PsGlScene scene;
  PsGlCamera cam;
  float extent[3];
  int width = 1280, height = 720;
  char **args = g_strdupv (argv);
  int n_args = argc;

  ps_gl_scene_init (&scene);
  g_option_context_add_main_entries (ctx, entries, NULL);
  if (!g_option_context_parse (ctx, &n_args, &args, &error))
    {
      g_strfreev (args);
      return fail (EXIT_USAGE, "%s (see --help)", error->message);
    }
  g_strfreev (args);
  if (out == NULL || *out == '\0')
    return fail (EXIT_USAGE, "--render-3d: an output file is needed");
  if (rest == NULL || g_strv_length (rest) != 1)
    return fail (EXIT_USAGE, "--render-3d: give exactly one VOLUME file");
  if (view_name != NULL && !ps_view_preset_from_string (view_name, &preset))
    return fail (EXIT_USAGE, "--view: unknown view '%s' (front, top, right, iso)", view_name);
  if (mode_name != NULL && !ps_render_mode_from_string (mode_name, &mode))
    return fail (EXIT_USAGE, "--mode: unknown mode '%s' (dvr, mip, iso, labels)", mode_name);
  if (mode_name == NULL && (labels_path != NULL || carbon_path != NULL))
    mode = PS_RENDER_MODE_LABELS;
  if (size_text != NULL && !parse_size (size_text, &width, &height))
    return fail (EXIT_USAGE, "--size: '%s' is not WxH with 1 to %d pixels each", size_text, PS_GL_MAX_EXPORT_SIZE);
  if (threshold_text != NULL)
    {
      char *end;
      scene.threshold = g_ascii_strtod (threshold_text, &end);
      if (end == threshold_text || *end != '\0' || !isfinite (scene.threshold))
        return fail (EXIT_USAGE, "--threshold: '%s' is not a number", threshold_text);
    }
  if (window_text != NULL && !parse_window (window_text, &scene.window_lo, &scene.window_hi))
    return fail (EXIT_USAGE, "--window: '%s' is not LO:HI with LO < HI", window_text);
  if (background != NULL && !ps_gl_parse_color (background, scene.background_rgba))
    return fail (EXIT_USAGE, "--background: '%s' is not #RRGGBB", background);
  if (!g_str_has_suffix (out, ".png") && !g_str_has_suffix (out, ".PNG"))
    return fail (EXIT_USAGE, "--render-3d: %s: the output must be a .png file", out);

  /* Input first: bad files are bad input (2) whatever the display. */
  vol = ps_volume_load (rest[0], NULL, NULL, &error);
  if (vol == NULL)
    return fail (input_error_code (error), "%s", error->message);
  if (labels_path != NULL)
    {
      pores = ps_labels_load (labels_path, &error);
      if (pores == NULL)
        return fail (input_error_code (error), "%s", error->message);
      if (pores->nx != vol->nx || pores->ny != vol->ny || pores->nz != vol->nz)
        return fail (EXIT_USAGE, "%s: labels are %zu × %zu × %zu but the volume is %zu × %zu × %zu", labels_path,
                     pores->nx, pores->ny, pores->nz, vol->nx, vol->ny, vol->nz);
    }
  if (carbon_path != NULL)
    {
      carbon = ps_labels_load (carbon_path, &error);
      if (carbon == NULL)
        return fail (input_error_code (error), "%s", error->message);
      if (carbon->nx != vol->nx || carbon->ny != vol->ny || carbon->nz != vol->nz)
        return fail (EXIT_USAGE, "%s: labels are %zu × %zu × %zu but the volume is %zu × %zu × %zu", carbon_path,
                     carbon->nx, carbon->ny, carbon->nz, vol->nx, vol->ny, vol->nz);
    }
  scene.threshold_carbon = carbon == NULL;

  if (!gtk_init_check ())
    return fail (EXIT_FAILURE_RUN, "--render-3d needs a display for OpenGL (run it under xvfb-run)");
  context = gdk_display_create_gl_context (gdk_display_get_default (), &error);
  if (context != NULL)
    {
      gdk_gl_context_set_required_version (context, 3, 3);
      if (!gdk_gl_context_realize (context, &error))
        g_clear_object (&context);
    }
  if (context == NULL)
    return fail (EXIT_FAILURE_RUN, "OpenGL 3.3 is not available: %s", error->message);
  gdk_gl_context_make_current (context);

  renderer = ps_gl_renderer_new (&error);
  if (renderer == NULL)
    return fail (EXIT_FAILURE_RUN, "%s", error->message);
  ps_gl_renderer_get_limits (renderer, &limits);
  data = ps_gl_volume_data_new (vol, pores, carbon, &limits, NULL, &error);
  if (data == NULL)
    return fail (EXIT_FAILURE_RUN, "%s: %s", rest[0], error->message);
  if (data->notice != NULL)
    fprintf (stderr, PROG ": %s\n", data->notice);
  if (!ps_gl_renderer_upload (renderer, data, &error))
    return fail (EXIT_FAILURE_RUN, "%s", error->message);

  scene.mode = mode;
  if (no_overlays)
    scene.show_bbox = scene.show_triad = scene.show_scale_bar = FALSE;
  /* Overlays sized for a 720-pixel-high figure, larger for larger ones. */
  scene.overlay_scale = MAX (1.0f, (float) height / 720.0f);
  ps_gl_renderer_get_extent (renderer, extent);
  ps_gl_camera_init (&cam, extent);
  ps_gl_camera_set_preset (&cam, preset);
  cam.perspective = perspective;

  pixels = ps_gl_renderer_render_offscreen (renderer, &scene, &cam, width, height, &error);
  if (pixels == NULL)
    return fail (EXIT_FAILURE_RUN, "%s", error->message);
  bytes = g_bytes_new_take (g_steal_pointer (&pixels), (gsize) width * height * 4);
  texture = gdk_memory_texture_new (width, height, GDK_MEMORY_R8G8B8A8, bytes, (gsize) width * 4);
  png = gdk_texture_save_to_png_bytes (texture);
  if (!ps_write_file_atomic (out, g_bytes_get_data (png, NULL), g_bytes_get_size (png), &error))
    return fail (EXIT_FAILURE_RUN, "%s", error->message);
  g_clear_pointer (&renderer, ps_gl_renderer_free);   /* while the context is current */
  return EXIT_OK;
}
