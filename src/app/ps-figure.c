/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "ps-figure"

#include "config.h"

#include <cairo-pdf.h>
#include <cairo-svg.h>
#include <gdk-pixbuf/gdk-pixbuf.h>
#include <glib/gi18n.h>
#include <math.h>
#include <pango/pangocairo.h>
#include <stdio.h>
#include <string.h>

#include "ps-atomic-file.h"
#include "ps-core-glib.h"
#include "ps-error.h"
#include "ps-export.h"
#include "ps-figure-layout.h"
#include "ps-figure.h"
#include "ps-strtod.h"

#define PT_PER_MM (72.0 / 25.4)
/* Largest PNG edge and 3D image edge. */
#define MAX_PNG_EDGE 16384
/* How long to wait for the 3D view's textures (ms). */
#define VIEW_WAIT_MS 60000

typedef struct
{
  guint32 *pixels;   /* ARGB32 premultiplied, native order, stride 4·w */
  int w, h;
} Image;

typedef struct
{
  PsLabels *labels;  /* owned ref, or NULL */
  guint32 color;
} Phase;

typedef struct
{
  char *path;
  PsFigureFormat format;
  PsFigureOptions options;
  PsFigureLayout layout;
  double spacing[3];
  gboolean spacing_known;
  gsize crosshair[3];
  Image slice[3];            /* by PsSliceOrientation */
  Image view3d;
  char *view3d_message;      /* why there is no 3D image */
  Phase phase[2];            /* pores, carbon */
  PsFigureHistograms hist;   /* filled by the worker */
  char *title;
  char *input_path;          /* hashed by the worker; NULL when in memory */
  GPtrArray *prov;           /* key, value, key, value… (owned strings) */

  /* Main-thread wait for the 3D view. */
  PsDocument *document;      /* owned ref until captured */
  PsVolumeView *view;        /* owned ref until captured */
  guint wait_id;
  gint64 wait_deadline;
} Figure;

static void
image_clear (Image *img)
{
  g_clear_pointer (&img->pixels, g_free);
}

static void
figure_free (Figure *fig)
{
  g_free (fig->path);
  for (int i = 0; i < 3; i++)
    image_clear (&fig->slice[i]);
  image_clear (&fig->view3d);
  g_free (fig->view3d_message);
  for (int i = 0; i < 2; i++)
    g_clear_pointer (&fig->phase[i].labels, ps_labels_unref);
  ps_figure_histograms_clear (&fig->hist);
  g_free (fig->title);
  g_free (fig->input_path);
  g_clear_pointer (&fig->prov, g_ptr_array_unref);
  g_clear_handle_id (&fig->wait_id, g_source_remove);
  g_clear_object (&fig->document);
  g_clear_object (&fig->view);
  g_free (fig);
}

void
ps_figure_options_init (PsFigureOptions *options)
{
  options->width_mm = 180.0;
  options->height_mm = 0.0;
  options->dpi = 300.0;
}

gboolean
ps_figure_format_from_path (const char *path, PsFigureFormat *format)
{
  g_autofree char *lower = NULL;

  if (path == NULL)
    return FALSE;
  lower = g_ascii_strdown (path, -1);
  if (g_str_has_suffix (lower, ".png"))
    *format = PS_FIGURE_FORMAT_PNG;
  else if (g_str_has_suffix (lower, ".svg"))
    *format = PS_FIGURE_FORMAT_SVG;
  else if (g_str_has_suffix (lower, ".pdf"))
    *format = PS_FIGURE_FORMAT_PDF;
  else
    return FALSE;
  return TRUE;
}

/* ---- provenance --------------------------------------------------------------------------- */

static void
prov_add (Figure *fig, const char *key, char *value)
{
  /* One line each: no control characters in values. */
  for (char *c = value; *c != '\0'; c++)
    if ((guchar) *c < 0x20 || *c == 0x7f)
      *c = ' ';
  g_ptr_array_add (fig->prov, g_strdup (key));
  g_ptr_array_add (fig->prov, value);
}

static char *
format_numbers (const double *v, int n)
{
  GString *s = g_string_new (NULL);
  char buf[64];
  for (int i = 0; i < n; i++)
    {
      if (i > 0)
        g_string_append_c (s, ' ');
      g_string_append (s, ps_ascii_dtostr (buf, sizeof buf, v[i]));
    }
  return g_string_free (s, FALSE);
}

static void
collect_provenance (Figure *fig, PsDocument *doc, PsVolumeView *view)
{
  PsVolume *vol = ps_document_get_volume (doc);
  GFile *file = ps_document_get_file (doc);
  const PsReconInfo *recon = ps_document_get_recon_info (doc);
  double lo, hi, v[3];
  GString *layers = g_string_new (NULL);

  prov_add (fig, "program", g_strdup ("porescope"));
  prov_add (fig, "version", g_strdup (PACKAGE_VERSION));
  g_autofree char *path = file != NULL ? g_file_get_path (file) : NULL;

  if (path != NULL)
    {
      fig->input_path = g_canonicalize_filename (path, NULL);
      prov_add (fig, "input", g_strdup (fig->input_path));
      prov_add (fig, "input_sha256", g_strdup (""));   /* the worker fills it */
    }
  else
    prov_add (fig, "input", g_strdup (ps_document_is_demo (doc) ? "demo dataset (generated)" : "in memory"));
  prov_add (fig, "dataset", g_strdup (fig->title));
  if (recon != NULL)
    {
      if (recon->source != NULL)
        prov_add (fig, "tilt_series", g_strdup (recon->source));
      char a0[64], a1[64];
      prov_add (fig, "tilt_range_deg",
                g_strdup_printf ("%s %s (%zu images)", ps_ascii_dtostr (a0, sizeof a0, recon->angle_min),
                                 ps_ascii_dtostr (a1, sizeof a1, recon->angle_max), recon->n_angles));
      prov_add (fig, "reconstruction", g_strdup (recon->method));
      if (recon->iterations > 0)
        prov_add (fig, "reconstruction_iterations", g_strdup_printf ("%d", recon->iterations));
    }
  prov_add (fig, "volume_size_voxels", g_strdup_printf ("%zu %zu %zu", vol->nx, vol->ny, vol->nz));
  prov_add (fig, "voxel_size_nm", g_strconcat (format_numbers (fig->spacing, 3),
                                               fig->spacing_known ? "" : " (unknown, 1 nm assumed)", NULL));
  for (int a = 0; a < 3; a++)
    v[a] = (double) fig->crosshair[a];
  prov_add (fig, "slices_voxels", format_numbers (v, 3));
  for (int a = 0; a < 3; a++)
    v[a] = (fig->crosshair[a] + 0.5) * fig->spacing[a];
  prov_add (fig, "slices_nm", format_numbers (v, 3));
  ps_document_get_window (doc, &lo, &hi);
  v[0] = lo;
  v[1] = hi;
  prov_add (fig, "display_window", format_numbers (v, 2));
  prov_add (fig, "colormap",
            g_strdup (ps_document_get_colormap (doc) == PS_COLORMAP_GRAY_INVERTED ? "inverted" : "gray"));
  if (ps_document_get_show_overlays (doc))
    for (guint i = 0; i < ps_document_get_n_overlays (doc); i++)
      {
        const PsOverlayLayer *layer = ps_document_get_overlay (doc, i);
        if (!layer->visible)
          continue;
        if (layers->len > 0)
          g_string_append_c (layers, ' ');
        g_string_append (layers, layer->name);
      }
  prov_add (fig, "overlays", g_string_free (layers, layers->len == 0) ?: g_strdup ("none"));
  if (view != NULL)
    prov_add (fig, "view_3d", g_strdup (ps_render_mode_to_string (ps_volume_view_get_mode (view))));
  {
    char w[32], h[32], d[32];
    /* '.' decimals whatever the locale. */
    prov_add (fig, "figure_size_mm",
              g_strdup_printf ("%s %s", ps_ascii_formatd (w, sizeof w, "%.1f", fig->layout.page_width / PT_PER_MM),
                               ps_ascii_formatd (h, sizeof h, "%.1f", fig->layout.page_height / PT_PER_MM)));
    if (fig->format == PS_FIGURE_FORMAT_PNG)
      prov_add (fig, "figure_dpi", g_strdup (ps_ascii_formatd (d, sizeof d, "%g", fig->options.dpi)));
  }
}

static const char *
prov_get (Figure *fig, const char *key)
{
  for (guint i = 0; i + 1 < fig->prov->len; i += 2)
    if (g_str_equal (g_ptr_array_index (fig->prov, i), key))
      return g_ptr_array_index (fig->prov, i + 1);
  return NULL;
}

static char *
prov_lines (Figure *fig, const char *separator)
{
  GString *s = g_string_new (NULL);
  for (guint i = 0; i + 1 < fig->prov->len; i += 2)
    {
      if (i > 0)
        g_string_append (s, separator);
      g_string_append_printf (s, "%s: %s", (char *) g_ptr_array_index (fig->prov, i),
                              (char *) g_ptr_array_index (fig->prov, i + 1));
    }
  return g_string_free (s, FALSE);
}

/* ---- worker helpers ------------------------------------------------------------------------ */

/* SHA-256 of a file in 4 MiB blocks, as the CSV provenance records it. */
static char *
file_sha256 (const char *path, GCancellable *cancellable)
{
  g_autoptr (GChecksum) sum = g_checksum_new (G_CHECKSUM_SHA256);
  g_autofree guchar *buf = g_malloc (4 << 20);
  FILE *f = fopen (path, "rb");
  size_t n;

  if (f == NULL)
    return NULL;
  while ((n = fread (buf, 1, 4 << 20, f)) > 0)
    {
      g_checksum_update (sum, buf, n);
      if (g_cancellable_is_cancelled (cancellable))
        break;
    }
  if (ferror (f) || g_cancellable_is_cancelled (cancellable))
    {
      fclose (f);
      return NULL;
    }
  fclose (f);
  return g_strdup (g_checksum_get_string (sum));
}

/* ---- drawing ------------------------------------------------------------------------------- */

typedef enum
{
  TEXT_PLAIN = 0,
  TEXT_BOLD = 1 << 0,
  TEXT_OUTLINE = 1 << 1,   /* white with a dark outline, for text over images */
} TextStyle;

/* A layout of @text in Sans at @size (device units), unhinted so that the
 * same text has the same width at every DPI; measured and drawn alike. */
static PangoLayout *
text_layout (cairo_t *cr, const char *text, double size, TextStyle style)
{
  PangoLayout *layout = pango_cairo_create_layout (cr);
  PangoFontDescription *desc = pango_font_description_from_string ("Sans");
  cairo_font_options_t *fo = cairo_font_options_create ();

  cairo_font_options_set_hint_metrics (fo, CAIRO_HINT_METRICS_OFF);
  cairo_font_options_set_hint_style (fo, CAIRO_HINT_STYLE_NONE);
  pango_cairo_context_set_font_options (pango_layout_get_context (layout), fo);
  pango_layout_context_changed (layout);
  cairo_font_options_destroy (fo);
  pango_font_description_set_absolute_size (desc, size * PANGO_SCALE);
  if (style & TEXT_BOLD)
    pango_font_description_set_weight (desc, PANGO_WEIGHT_BOLD);
  pango_layout_set_font_description (layout, desc);
  pango_font_description_free (desc);
  pango_layout_set_text (layout, text, -1);
  return layout;
}

/* Draw @text with its top-left (ax = 0), centre (0.5) or right (1) at x, y. */
static void
draw_text (cairo_t *cr, double x, double y, double ax, const char *text, double size, TextStyle style,
           double angle)
{
  g_autoptr (PangoLayout) layout = text_layout (cr, text, size, style);
  int w, h;

  pango_layout_get_size (layout, &w, &h);
  cairo_save (cr);
  cairo_translate (cr, x, y);
  cairo_rotate (cr, angle);
  cairo_move_to (cr, -ax * w / (double) PANGO_SCALE, 0);
  if (style & TEXT_OUTLINE)
    {
      pango_cairo_layout_path (cr, layout);
      cairo_set_source_rgba (cr, 0, 0, 0, 0.85);
      cairo_set_line_width (cr, size * 0.22);
      cairo_set_line_join (cr, CAIRO_LINE_JOIN_ROUND);
      cairo_stroke_preserve (cr);
      cairo_set_source_rgb (cr, 1, 1, 1);
      cairo_fill (cr);
    }
  else
    {
      cairo_set_source_rgb (cr, 0, 0, 0);
      pango_cairo_show_layout (cr, layout);
    }
  cairo_restore (cr);
}

static double
text_width (cairo_t *cr, const char *text, double size, TextStyle style)
{
  g_autoptr (PangoLayout) layout = text_layout (cr, text, size, style);
  int w, h;

  pango_layout_get_size (layout, &w, &h);
  return w / (double) PANGO_SCALE;
}

static void
paint_image (cairo_t *cr, const PsFigureRect *r, const Image *img, cairo_filter_t filter)
{
  cairo_surface_t *surface;
  cairo_pattern_t *pattern;

  surface = cairo_image_surface_create_for_data ((guchar *) img->pixels, CAIRO_FORMAT_ARGB32, img->w, img->h,
                                                 img->w * 4);
  cairo_save (cr);
  cairo_rectangle (cr, r->x, r->y, r->w, r->h);
  cairo_clip (cr);
  cairo_translate (cr, r->x, r->y);
  cairo_scale (cr, r->w / img->w, r->h / img->h);
  pattern = cairo_pattern_create_for_surface (surface);
  cairo_pattern_set_filter (pattern, filter);
  cairo_pattern_set_extend (pattern, CAIRO_EXTEND_PAD);
  cairo_set_source (cr, pattern);
  cairo_paint (cr);
  cairo_restore (cr);
  cairo_pattern_destroy (pattern);
  cairo_surface_destroy (surface);
}

static char *
format_length (double nm, gboolean known)
{
  char buf[64];
  return g_strdup_printf ("%s %s", ps_ascii_formatd (buf, sizeof buf, "%g", nm), known ? "nm" : _("voxels"));
}

static void
draw_letter (cairo_t *cr, const PsFigureRect *r, char letter, const char *caption, gboolean over_image)
{
  char text[2] = { letter, 0 };
  double pad = over_image ? 3.0 : 0.0;

  draw_text (cr, r->x + pad, r->y + pad, 0, text, 10.0, TEXT_BOLD | (over_image ? TEXT_OUTLINE : 0), 0);
  if (caption != NULL)
    draw_text (cr, r->x + pad + text_width (cr, text, 10.0, TEXT_BOLD) + 4.0, r->y + pad + 2.2, 0, caption, 7.0,
               over_image ? TEXT_OUTLINE : TEXT_PLAIN, 0);
}

static void
draw_scale_bar (cairo_t *cr, const PsFigureRect *r, double scale, gboolean known)
{
  double width_nm = r->w / scale;
  double len_nm = ps_figure_nice_length (0.25 * width_nm);
  double len = len_nm * scale, bh = 2.5, x1 = r->x + r->w - 6.0, y1 = r->y + r->h - 6.0;
  g_autofree char *label = format_length (len_nm, known);

  if (len_nm <= 0)
    return;
  cairo_save (cr);
  cairo_rectangle (cr, x1 - len, y1 - bh, len, bh);
  cairo_set_source_rgb (cr, 1, 1, 1);
  cairo_fill_preserve (cr);
  cairo_set_source_rgba (cr, 0, 0, 0, 0.85);
  cairo_set_line_width (cr, 0.6);
  cairo_stroke (cr);
  cairo_restore (cr);
  draw_text (cr, x1 - len / 2.0, y1 - bh - 10.0, 0.5, label, 7.0, TEXT_OUTLINE, 0);
}

static void
draw_histogram (cairo_t *cr, Figure *fig, int p, const PsFigureRect *r, char letter)
{
  const Phase *ph = &fig->phase[p];
  const guint64 *bins = fig->hist.counts[p];
  guint64 n_objects = fig->hist.n_objects[p];
  double bin_w = fig->hist.bin_width_nm;
  gsize n_bins = fig->hist.n_bins;
  double left = 30.0, top = 16.0, bottom = 24.0, right = 6.0;
  double px = r->x + left, py = r->y + top, pw = r->w - left - right, phh = r->h - top - bottom;
  double xmax = bin_w * n_bins, ymax, ystep, xstep;
  guint64 maxc = 0;
  g_autofree char *title = NULL;
  double rr = ((ph->color >> 16) & 0xff) / 255.0, gg = ((ph->color >> 8) & 0xff) / 255.0,
         bb = (ph->color & 0xff) / 255.0;
  char buf[64];

  if (bins == NULL)
    title = g_strdup (p == 0 ? _("Pores: no label volume") : _("Carbon: no label volume"));
  else
    {
      char count[32];
      g_snprintf (count, sizeof count, "%" G_GUINT64_FORMAT, n_objects);
      title = g_strdup_printf (p == 0 ? g_dngettext (GETTEXT_PACKAGE, "Pores (%s object)", "Pores (%s objects)",
                                                     n_objects)
                                      : g_dngettext (GETTEXT_PACKAGE, "Carbon (%s object)", "Carbon (%s objects)",
                                                     n_objects),
                               count);
    }
  draw_letter (cr, r, letter, title, FALSE);
  if (bins == NULL || pw <= 4 || phh <= 4)
    return;

  for (gsize i = 0; i < n_bins; i++)
    maxc = MAX (maxc, bins[i]);
  ystep = ps_figure_tick_step (MAX (maxc, 1), 4);
  ymax = ceil (MAX (maxc, 1) / ystep) * ystep;
  xstep = ps_figure_tick_step (xmax, 5);

  /* Bars. */
  cairo_save (cr);
  for (gsize i = 0; i < n_bins; i++)
    {
      double x0 = px + pw * (i * bin_w) / xmax, x1 = px + pw * ((i + 1) * bin_w) / xmax;
      double h = phh * bins[i] / ymax;
      if (bins[i] == 0)
        continue;
      cairo_rectangle (cr, x0, py + phh - h, x1 - x0, h);
      cairo_set_source_rgb (cr, rr, gg, bb);
      cairo_fill_preserve (cr);
      cairo_set_source_rgb (cr, rr * 0.55, gg * 0.55, bb * 0.55);
      cairo_set_line_width (cr, 0.4);
      cairo_stroke (cr);
    }
  /* Axes and ticks. */
  cairo_set_source_rgb (cr, 0, 0, 0);
  cairo_set_line_width (cr, 0.6);
  cairo_move_to (cr, px, py);
  cairo_line_to (cr, px, py + phh);
  cairo_line_to (cr, px + pw, py + phh);
  for (double t = 0; t <= xmax * (1 + 1e-9); t += xstep)
    {
      double x = px + pw * t / xmax;
      cairo_move_to (cr, x, py + phh);
      cairo_line_to (cr, x, py + phh + 2.0);
    }
  for (double t = 0; t <= ymax * (1 + 1e-9); t += ystep)
    {
      double y = py + phh - phh * t / ymax;
      cairo_move_to (cr, px, y);
      cairo_line_to (cr, px - 2.0, y);
    }
  cairo_stroke (cr);
  cairo_restore (cr);
  for (double t = 0; t <= xmax * (1 + 1e-9); t += xstep)
    draw_text (cr, px + pw * t / xmax, py + phh + 3.0, 0.5, ps_ascii_formatd (buf, sizeof buf, "%g", t), 6.0,
               TEXT_PLAIN, 0);
  for (double t = 0; t <= ymax * (1 + 1e-9); t += ystep)
    draw_text (cr, px - 3.0 - text_width (cr, ps_ascii_formatd (buf, sizeof buf, "%g", t), 6.0, TEXT_PLAIN),
               py + phh - phh * t / ymax - 4.0, 0, buf, 6.0, TEXT_PLAIN, 0);
  draw_text (cr, px + pw / 2.0, py + phh + 12.0, 0.5,
             fig->spacing_known ? _("Equivalent diameter (nm)") : _("Equivalent diameter (voxels)"), 6.5,
             TEXT_PLAIN, 0);
  draw_text (cr, r->x + 2.0, py + phh / 2.0, 0.5, _("Objects"), 6.5, TEXT_PLAIN, -G_PI / 2.0);
}

static void
draw_figure (cairo_t *cr, Figure *fig)
{
  const PsFigureLayout *l = &fig->layout;
  static const struct { PsFigurePanel panel; PsSliceOrientation o; int normal; const char *name; } slices[] = {
    { PS_FIGURE_PANEL_XY, PS_SLICE_XY, 2, "xy" },
    { PS_FIGURE_PANEL_YZ, PS_SLICE_YZ, 0, "yz" },
    { PS_FIGURE_PANEL_XZ, PS_SLICE_XZ, 1, "xz" },
  };
  static const char axis_name[] = { 'x', 'y', 'z' };

  cairo_set_source_rgb (cr, 1, 1, 1);
  cairo_paint (cr);

  for (gsize i = 0; i < G_N_ELEMENTS (slices); i++)
    {
      const PsFigureRect *r = &l->panel[slices[i].panel];
      int a = slices[i].normal;
      g_autofree char *pos = format_length ((fig->crosshair[a] + 0.5) * fig->spacing[a], fig->spacing_known);
      g_autofree char *caption = g_strdup_printf ("%s  %c = %s", slices[i].name, axis_name[a], pos);
      paint_image (cr, r, &fig->slice[slices[i].o], CAIRO_FILTER_NEAREST);
      draw_scale_bar (cr, r, l->scale, fig->spacing_known);
      draw_letter (cr, r, l->letter[slices[i].panel], caption, TRUE);
    }

  {
    const PsFigureRect *r = &l->panel[PS_FIGURE_PANEL_3D];
    if (fig->view3d.pixels != NULL)
      paint_image (cr, r, &fig->view3d, CAIRO_FILTER_GOOD);
    else
      {
        cairo_rectangle (cr, r->x, r->y, r->w, r->h);
        cairo_set_source_rgb (cr, 0.85, 0.85, 0.85);
        cairo_fill (cr);
        draw_text (cr, r->x + r->w / 2.0, r->y + r->h / 2.0 - 4.0, 0.5,
                   fig->view3d_message ? fig->view3d_message : _("No 3D view"), 6.0, TEXT_PLAIN, 0);
      }
    draw_letter (cr, r, l->letter[PS_FIGURE_PANEL_3D], NULL, TRUE);
  }

  if (l->present[PS_FIGURE_PANEL_HIST_PORES])
    draw_histogram (cr, fig, 0, &l->panel[PS_FIGURE_PANEL_HIST_PORES], l->letter[PS_FIGURE_PANEL_HIST_PORES]);
  if (l->present[PS_FIGURE_PANEL_HIST_CARBON])
    draw_histogram (cr, fig, 1, &l->panel[PS_FIGURE_PANEL_HIST_CARBON], l->letter[PS_FIGURE_PANEL_HIST_CARBON]);
}

/* ---- encoding (worker) --------------------------------------------------------------------- */

static cairo_status_t
append_bytes (void *closure, const unsigned char *data, unsigned int length)
{
  g_byte_array_append (closure, data, length);
  return CAIRO_STATUS_SUCCESS;
}

static GBytes *
encode_png (Figure *fig, GError **error)
{
  double sx = fig->options.dpi / 72.0;
  int w = (int) lround (fig->layout.page_width * sx), h = (int) lround (fig->layout.page_height * sx);
  cairo_surface_t *surface;
  cairo_t *cr;
  g_autoptr (GdkPixbuf) pixbuf = NULL;
  g_autoptr (GPtrArray) keys = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GPtrArray) values = g_ptr_array_new_with_free_func (g_free);
  gchar *buffer = NULL;
  gsize size = 0;
  guchar *dst;
  const guchar *src;
  int dst_stride, src_stride;

  if (w < 1 || h < 1 || w > MAX_PNG_EDGE || h > MAX_PNG_EDGE)
    {
      g_set_error (error, PS_ERROR, PS_ERROR_CODE_TOO_LARGE, _("A %d × %d pixel picture is too large to export"), w,
                   h);
      return NULL;
    }
  surface = cairo_image_surface_create (CAIRO_FORMAT_RGB24, w, h);
  if (cairo_surface_status (surface) != CAIRO_STATUS_SUCCESS)
    {
      cairo_surface_destroy (surface);
      ps_set_error_too_large (error, _("Figure"), (guint64) w * h * 4);
      return NULL;
    }
  cr = cairo_create (surface);
  cairo_scale (cr, w / fig->layout.page_width, h / fig->layout.page_height);
  draw_figure (cr, fig);
  cairo_destroy (cr);
  cairo_surface_flush (surface);

  pixbuf = gdk_pixbuf_new (GDK_COLORSPACE_RGB, FALSE, 8, w, h);
  if (pixbuf == NULL)
    {
      cairo_surface_destroy (surface);
      ps_set_error_too_large (error, _("Figure"), (guint64) w * h * 3);
      return NULL;
    }
  dst = gdk_pixbuf_get_pixels (pixbuf);
  dst_stride = gdk_pixbuf_get_rowstride (pixbuf);
  src = cairo_image_surface_get_data (surface);
  src_stride = cairo_image_surface_get_stride (surface);
  for (int y = 0; y < h; y++)
    {
      const guint32 *s = (const guint32 *) (src + (gsize) y * src_stride);
      guchar *d = dst + (gsize) y * dst_stride;
      for (int x = 0; x < w; x++)
        {
          d[3 * x] = (s[x] >> 16) & 0xff;
          d[3 * x + 1] = (s[x] >> 8) & 0xff;
          d[3 * x + 2] = s[x] & 0xff;
        }
    }
  cairo_surface_destroy (surface);

  g_ptr_array_add (keys, g_strdup ("tEXt::Title"));
  g_ptr_array_add (values, g_strdup (prov_get (fig, "dataset")));
  g_ptr_array_add (keys, g_strdup ("tEXt::Software"));
  g_ptr_array_add (values, g_strdup ("Porescope " PACKAGE_VERSION));
  g_ptr_array_add (keys, g_strdup ("tEXt::Source"));
  g_ptr_array_add (values, g_strdup (prov_get (fig, "input")));
  g_ptr_array_add (keys, g_strdup ("tEXt::Description"));
  g_ptr_array_add (values, prov_lines (fig, "\n"));
  for (guint i = 0; i + 1 < fig->prov->len; i += 2)
    {
      g_ptr_array_add (keys, g_strconcat ("tEXt::", (char *) g_ptr_array_index (fig->prov, i), NULL));
      g_ptr_array_add (values, g_strdup (g_ptr_array_index (fig->prov, i + 1)));
    }
  g_ptr_array_add (keys, g_strdup ("x-dpi"));
  g_ptr_array_add (values, g_strdup_printf ("%d", (int) lround (fig->options.dpi)));
  g_ptr_array_add (keys, g_strdup ("y-dpi"));
  g_ptr_array_add (values, g_strdup_printf ("%d", (int) lround (fig->options.dpi)));
  g_ptr_array_add (keys, NULL);
  g_ptr_array_add (values, NULL);
  if (!gdk_pixbuf_save_to_bufferv (pixbuf, &buffer, &size, "png", (char **) keys->pdata, (char **) values->pdata,
                                   error))
    return NULL;
  return g_bytes_new_take (buffer, size);
}

static char *
svg_metadata (Figure *fig)
{
  GString *s = g_string_new ("\n<metadata>\n<rdf:RDF xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\" "
                             "xmlns:dc=\"http://purl.org/dc/elements/1.1/\">\n<rdf:Description>\n");
  g_autofree char *title = g_markup_escape_text (prov_get (fig, "dataset"), -1);
  g_autofree char *source = g_markup_escape_text (prov_get (fig, "input"), -1);

  g_string_append_printf (s, "<dc:title>%s</dc:title>\n<dc:creator>Porescope %s</dc:creator>\n"
                             "<dc:source>%s</dc:source>\n</rdf:Description>\n</rdf:RDF>\n",
                          title, PACKAGE_VERSION, source);
  g_string_append (s, "<porescope:provenance xmlns:porescope=\"https://github.com/porescope/porescope/provenance\">\n");
  for (guint i = 0; i + 1 < fig->prov->len; i += 2)
    {
      g_autofree char *k = g_markup_escape_text (g_ptr_array_index (fig->prov, i), -1);
      g_autofree char *v = g_markup_escape_text (g_ptr_array_index (fig->prov, i + 1), -1);
      g_string_append_printf (s, "<porescope:entry key=\"%s\">%s</porescope:entry>\n", k, v);
    }
  g_string_append (s, "</porescope:provenance>\n</metadata>\n");
  /* Voxels stay squares when viewers scale the slice images (cairo's SVG
   * has no filter attribute; the 3D image is at the figure's resolution). */
  g_string_append (s, "<style type=\"text/css\">image { image-rendering: optimizeSpeed; "
                      "image-rendering: pixelated; }</style>");
  return g_string_free (s, FALSE);
}

static GBytes *
encode_vector (Figure *fig, GError **error)
{
  GByteArray *out = g_byte_array_new ();
  cairo_surface_t *surface;
  cairo_t *cr;
  cairo_status_t status;

  if (fig->format == PS_FIGURE_FORMAT_SVG)
    {
      surface = cairo_svg_surface_create_for_stream (append_bytes, out, fig->layout.page_width,
                                                     fig->layout.page_height);
      cairo_svg_surface_set_document_unit (surface, CAIRO_SVG_UNIT_PT);
    }
  else
    {
      g_autofree char *subject = prov_lines (fig, "; ");
      g_autofree char *title = g_strdup_printf ("Porescope figure: %s", prov_get (fig, "dataset"));
      surface = cairo_pdf_surface_create_for_stream (append_bytes, out, fig->layout.page_width,
                                                     fig->layout.page_height);
      cairo_pdf_surface_set_metadata (surface, CAIRO_PDF_METADATA_TITLE, title);
      cairo_pdf_surface_set_metadata (surface, CAIRO_PDF_METADATA_CREATOR, "Porescope " PACKAGE_VERSION);
      cairo_pdf_surface_set_metadata (surface, CAIRO_PDF_METADATA_SUBJECT, subject);
      cairo_pdf_surface_set_metadata (surface, CAIRO_PDF_METADATA_KEYWORDS,
                                      "electron tomography, porosity, Porescope");
    }
  cr = cairo_create (surface);
  draw_figure (cr, fig);
  cairo_show_page (cr);
  cairo_destroy (cr);
  cairo_surface_finish (surface);
  status = cairo_surface_status (surface);
  cairo_surface_destroy (surface);
  if (status != CAIRO_STATUS_SUCCESS)
    {
      g_byte_array_unref (out);
      g_set_error (error, PS_ERROR, PS_ERROR_CODE_FAILED, "%s: %s", fig->path, cairo_status_to_string (status));
      return NULL;
    }
  if (fig->format == PS_FIGURE_FORMAT_SVG)
    {
      /* <metadata> goes first inside <svg …>. */
      const char *data = (const char *) out->data;
      const char *svg = g_strstr_len (data, out->len, "<svg");
      const char *end = svg ? memchr (svg, '>', out->len - (svg - data)) : NULL;
      g_autofree char *meta = svg_metadata (fig);
      if (end == NULL)
        {
          g_byte_array_unref (out);
          g_set_error (error, PS_ERROR, PS_ERROR_CODE_FAILED, "%s: cairo wrote no <svg> element", fig->path);
          return NULL;
        }
      {
        gsize at = (gsize) (end - data) + 1;
        GByteArray *with = g_byte_array_sized_new (out->len + strlen (meta));
        g_byte_array_append (with, out->data, at);
        g_byte_array_append (with, (const guint8 *) meta, strlen (meta));
        g_byte_array_append (with, out->data + at, out->len - at);
        g_byte_array_unref (out);
        out = with;
      }
    }
  return g_byte_array_free_to_bytes (out);
}

static void
figure_worker (GTask *task, gpointer source, gpointer data, GCancellable *cancellable)
{
  Figure *fig = data;
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) bytes = NULL;

  if (fig->input_path != NULL)
    {
      char *sha = file_sha256 (fig->input_path, cancellable);
      for (guint i = 0; i + 1 < fig->prov->len; i += 2)
        if (g_str_equal (g_ptr_array_index (fig->prov, i), "input_sha256"))
          {
            g_free (g_ptr_array_index (fig->prov, i + 1));
            fig->prov->pdata[i + 1] = sha != NULL ? sha : g_strdup ("unavailable");
          }
    }
  if (fig->phase[0].labels != NULL || fig->phase[1].labels != NULL)
    {
      PsStatus st = ps_figure_histograms_compute (fig->phase[0].labels, fig->phase[1].labels, fig->spacing, NULL,
                                                  &fig->hist);
      if (st != PS_OK)
        {
          g_task_return_new_error (task, PS_ERROR, PS_ERROR_CODE_TOO_LARGE, "%s: %s", fig->path,
                                   ps_status_to_string (st));
          return;
        }
    }
  if (g_task_return_error_if_cancelled (task))
    return;
  bytes = fig->format == PS_FIGURE_FORMAT_PNG ? encode_png (fig, &error) : encode_vector (fig, &error);
  if (bytes == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  if (g_task_return_error_if_cancelled (task))
    return;
  if (!ps_write_file_atomic (fig->path, g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes), &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  g_task_return_boolean (task, TRUE);
}

/* ---- capture (main thread) ---------------------------------------------------------------- */

static gboolean
texture_to_image (GdkTexture *texture, Image *img)
{
  img->w = gdk_texture_get_width (texture);
  img->h = gdk_texture_get_height (texture);
  img->pixels = g_try_new (guint32, (gsize) img->w * img->h);
  if (img->pixels == NULL)
    return FALSE;
  gdk_texture_download (texture, (guchar *) img->pixels, (gsize) img->w * 4);
  return TRUE;
}

static void
capture (GTask *task)
{
  Figure *fig = g_task_get_task_data (task);
  PsDocument *doc = fig->document;
  g_autoptr (GError) error = NULL;
  static const PsSliceOrientation orientations[] = { PS_SLICE_XY, PS_SLICE_XZ, PS_SLICE_YZ };

  for (gsize i = 0; i < G_N_ELEMENTS (orientations); i++)
    {
      g_autoptr (GdkTexture) texture = ps_export_render_slice_voxels (doc, orientations[i], &error);
      if (texture == NULL || !texture_to_image (texture, &fig->slice[orientations[i]]))
        {
          if (error == NULL)
            ps_set_error_too_large (&error, _("Figure"), 0);
          g_task_return_error (task, g_steal_pointer (&error));
          g_object_unref (task);
          return;
        }
    }

  if (fig->view != NULL && gtk_widget_get_realized (GTK_WIDGET (fig->view)))
    {
      const PsFigureRect *r = &fig->layout.panel[PS_FIGURE_PANEL_3D];
      double s = fig->options.dpi / 72.0;
      int w = CLAMP ((int) lround (r->w * s), 1, PS_GL_MAX_EXPORT_SIZE);
      int h = CLAMP ((int) lround (r->h * s), 1, PS_GL_MAX_EXPORT_SIZE);
      g_autoptr (GdkTexture) texture = ps_volume_view_render_texture (fig->view, w, h, &error);
      if (texture == NULL || !texture_to_image (texture, &fig->view3d))
        {
          fig->view3d_message = g_strdup (error != NULL ? error->message : _("The 3D view could not be rendered"));
          g_clear_error (&error);
        }
    }
  else
    fig->view3d_message = g_strdup (_("The 3D view is not shown"));

  g_clear_object (&fig->document);
  g_clear_object (&fig->view);
  g_task_run_in_thread (task, figure_worker);
  g_object_unref (task);
}

static gboolean
wait_for_view (gpointer data)
{
  GTask *task = data;
  Figure *fig = g_task_get_task_data (task);

  if (g_task_return_error_if_cancelled (task))
    {
      fig->wait_id = 0;
      g_object_unref (task);
      return G_SOURCE_REMOVE;
    }
  if (ps_volume_view_get_busy (fig->view) && g_get_monotonic_time () < fig->wait_deadline)
    return G_SOURCE_CONTINUE;
  fig->wait_id = 0;
  capture (task);
  return G_SOURCE_REMOVE;
}

void
ps_figure_export_async (PsDocument *document, PsVolumeView *view, const char *path, const PsFigureOptions *options,
                        GCancellable *cancellable, GAsyncReadyCallback callback, gpointer user_data)
{
  GTask *task;
  Figure *fig;
  PsVolume *vol;
  PsFigureLayoutParams params;
  PsStatus st;

  g_return_if_fail (PS_IS_DOCUMENT (document));
  g_return_if_fail (view == NULL || PS_IS_VOLUME_VIEW (view));
  g_return_if_fail (path != NULL);

  task = g_task_new (document, cancellable, callback, user_data);
  g_task_set_source_tag (task, ps_figure_export_async);
  fig = g_new0 (Figure, 1);
  g_task_set_task_data (task, fig, (GDestroyNotify) figure_free);
  fig->path = g_strdup (path);
  fig->prov = g_ptr_array_new_with_free_func (g_free);
  if (options != NULL)
    fig->options = *options;
  else
    ps_figure_options_init (&fig->options);

  vol = ps_document_get_volume (document);
  if (vol == NULL)
    {
      g_task_return_new_error (task, PS_ERROR, PS_ERROR_CODE_INVALID_PARAMETER, _("There is no volume to export"));
      g_object_unref (task);
      return;
    }
  if (!ps_figure_format_from_path (path, &fig->format))
    {
      g_task_return_new_error (task, PS_ERROR, PS_ERROR_CODE_INVALID_PARAMETER,
                               _("%s: a figure is written as .png, .svg or .pdf"), path);
      g_object_unref (task);
      return;
    }
  if (!(fig->options.width_mm > 0 && fig->options.width_mm <= 2000) || !(fig->options.height_mm >= 0)
      || fig->options.height_mm > 2000 || !(fig->options.dpi >= 10 && fig->options.dpi <= 2400))
    {
      g_task_return_new_error (task, PS_ERROR, PS_ERROR_CODE_INVALID_PARAMETER,
                               _("The figure size must be up to 2000 mm and the resolution 10 to 2400 dpi"));
      g_object_unref (task);
      return;
    }

  ps_document_get_spacing (document, fig->spacing);
  fig->spacing_known = vol->spacing_known;
  ps_document_get_crosshair (document, fig->crosshair);
  fig->title = g_strdup (ps_document_get_title (document) ? ps_document_get_title (document) : "porescope");

  /* Label layers for the histograms: per phase, a per-object layer wins
   * over a solid one. */
  for (guint i = 0; i < ps_document_get_n_overlays (document); i++)
    {
      const PsOverlayLayer *layer = ps_document_get_overlay (document, i);
      int p = layer->phase == PS_PHASE_PORES ? 0 : layer->phase == PS_PHASE_CARBON ? 1 : -1;
      if (p < 0 || layer->labels == NULL)
        continue;
      if (fig->phase[p].labels == NULL || layer->mode == PS_OVERLAY_PER_LABEL)
        {
          g_clear_pointer (&fig->phase[p].labels, ps_labels_unref);
          fig->phase[p].labels = ps_labels_ref (layer->labels);
        }
      {
        PsOverlayLayer phase_layer = *layer;
        phase_layer.mode = PS_OVERLAY_SOLID;
        fig->phase[p].color = ps_document_get_overlay_color (document, &phase_layer);
      }
    }
  if (fig->phase[0].color == 0 && fig->phase[1].color == 0)
    fig->phase[0].color = 0x9a9a9a, fig->phase[1].color = 0x2f6fdb;

  ps_figure_layout_params_init (&params);
  params.page_width = fig->options.width_mm * PT_PER_MM;
  params.page_height = fig->options.height_mm * PT_PER_MM;
  params.extent_nm[0] = vol->nx * fig->spacing[0];
  params.extent_nm[1] = vol->ny * fig->spacing[1];
  params.extent_nm[2] = vol->nz * fig->spacing[2];
  params.histogram[0] = fig->phase[0].labels != NULL;
  params.histogram[1] = fig->phase[1].labels != NULL;
  st = ps_figure_layout_compute (&params, &fig->layout);
  if (st != PS_OK)
    {
      g_task_return_new_error (task, PS_ERROR, PS_ERROR_CODE_INVALID_PARAMETER,
                               _("A %.0f mm wide figure is too small for these panels"), fig->options.width_mm);
      g_object_unref (task);
      return;
    }
  collect_provenance (fig, document, view);

  fig->document = g_object_ref (document);
  if (view != NULL)
    fig->view = g_object_ref (view);
  if (fig->view != NULL && ps_volume_view_get_busy (fig->view))
    {
      fig->wait_deadline = g_get_monotonic_time () + VIEW_WAIT_MS * (gint64) 1000;
      fig->wait_id = g_timeout_add (50, wait_for_view, task);
      return;
    }
  capture (task);
}

gboolean
ps_figure_export_finish (GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (G_IS_TASK (result), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == ps_figure_export_async, FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}
