/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "ps-slice-view"

#include "config.h"

#include "ps-application-private.h"

#include <glib/gi18n.h>
#include <math.h>
#include <string.h>

#include "ps-format.h"
#include "ps-slice-view-private.h"

/* Empty space around the slice when it is fitted to the canvas (px). */
#define FIT_MARGIN 6.0
#define ZOOM_MIN 0.25
#define VOXEL_PX_MAX 256.0
#define CANVAS_BACKGROUND 0x1c1c1cu
#define NAN_COLOR 0x5a1e5au

struct _PsSliceView
{
  GtkWidget parent_instance;

  /* Template widgets. */
  GtkWidget *header;
  GtkLabel *title_label;
  GtkScale *slice_scale;
  GtkSpinButton *slice_spin;
  GtkLabel *position_label;
  GtkWidget *fit_button;
  GtkWidget *maximize_button;
  GtkDrawingArea *canvas;
  GtkAdjustment *adjustment;

  /* Owned. */
  PsDocument *document;
  gulong changed_handler;
  PsSliceOrientation orientation;

  /* View transform: zoom relative to fit, and the slice point (slice units:
   * pixel (i, j) covers [i, i+1) × [j, j+1)) shown at the canvas centre. */
  double zoom;
  double center_x, center_y;
  gboolean centered;

  gsize width, height;        /* slice size */

  /* Rendered pixels at device resolution. */
  cairo_surface_t *surface;
  gboolean render_dirty;
  gsize rendered_index;

  /* Interaction. */
  double scroll_accum;
  double drag_center_x, drag_center_y;
  gboolean drag_panning;
  double contrast_lo, contrast_hi;
  gboolean updating_adjustment;
};

G_DEFINE_FINAL_TYPE (PsSliceView, ps_slice_view, GTK_TYPE_WIDGET)

enum
{
  PROP_0,
  PROP_DOCUMENT,
  PROP_ORIENTATION,
  PROP_ZOOM,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static const char *const orientation_names[] = { "xy", "xz", "yz" };

guint32
ps_slice_view_orientation_color (PsSliceOrientation orientation)
{
  /* The colour of the axis normal to the view (x red, y green, z blue), as
   * in 3D Slicer and most volume viewers: an xy view is tagged blue, and its
   * vertical crosshair line (the yz plane) is red. */
  switch (orientation)
    {
    case PS_SLICE_XY: return 0x3584e4;
    case PS_SLICE_XZ: return 0x2ec27e;
    case PS_SLICE_YZ: return 0xe01b24;
    default: return 0xffffff;
    }
}

static void
set_source_rgb (cairo_t *cr, guint32 rgb, double alpha)
{
  cairo_set_source_rgba (cr, ((rgb >> 16) & 0xff) / 255.0, ((rgb >> 8) & 0xff) / 255.0,
                         (rgb & 0xff) / 255.0, alpha);
}

static PsVolume *
get_volume (PsSliceView *self)
{
  return self->document ? ps_document_get_volume (self->document) : NULL;
}

static void
activate_doc_action (PsSliceView *self, const char *name, GVariant *param)
{
  if (self->document == NULL)
    {
      if (param != NULL)
        g_variant_unref (g_variant_ref_sink (param));
      return;
    }
  g_action_group_activate_action (ps_document_get_actions (self->document), name, param);
}

/* ---- geometry ------------------------------------------------------------ */

typedef struct
{
  int col_axis, row_axis, normal_axis;
  double sc, sr;        /* nm per slice pixel along columns / rows */
  double width, height; /* canvas, logical px */
  double scale;         /* logical px per nm */
} Geometry;

static gboolean
get_geometry (PsSliceView *self, Geometry *g)
{
  PsVolume *vol = get_volume (self);
  double spacing[3];
  gsize w, h;

  if (vol == NULL)
    return FALSE;
  ps_slice_axes (self->orientation, &g->col_axis, &g->row_axis);
  g->normal_axis = ps_slice_normal_axis (self->orientation);
  ps_document_get_spacing (self->document, spacing);
  g->sc = spacing[g->col_axis];
  g->sr = spacing[g->row_axis];
  g->width = gtk_widget_get_width (GTK_WIDGET (self->canvas));
  g->height = gtk_widget_get_height (GTK_WIDGET (self->canvas));
  if (g->width < 1 || g->height < 1)
    return FALSE;
  ps_slice_size (self->orientation, vol->nx, vol->ny, vol->nz, &w, &h);
  double fit = fmin (fmax (g->width - 2 * FIT_MARGIN, 1.0) / (w * g->sc),
                     fmax (g->height - 2 * FIT_MARGIN, 1.0) / (h * g->sr));
  g->scale = fit * self->zoom;
  if (!self->centered)
    {
      self->center_x = w / 2.0;
      self->center_y = h / 2.0;
    }
  return TRUE;
}

static void
slice_to_widget (PsSliceView *self, const Geometry *g, double sx, double sy, double *wx, double *wy)
{
  *wx = g->width / 2 + (sx - self->center_x) * g->scale * g->sc;
  *wy = g->height / 2 + (sy - self->center_y) * g->scale * g->sr;
}

static void
widget_to_slice (PsSliceView *self, const Geometry *g, double wx, double wy, double *sx, double *sy)
{
  *sx = self->center_x + (wx - g->width / 2) / (g->scale * g->sc);
  *sy = self->center_y + (wy - g->height / 2) / (g->scale * g->sr);
}

gboolean
ps_slice_view_voxel_to_widget (PsSliceView *self, const double voxel[3], double *wx, double *wy)
{
  Geometry g;

  g_return_val_if_fail (PS_IS_SLICE_VIEW (self), FALSE);
  if (!get_geometry (self, &g))
    return FALSE;
  slice_to_widget (self, &g, voxel[g.col_axis] + 0.5, voxel[g.row_axis] + 0.5, wx, wy);
  return TRUE;
}

gboolean
ps_slice_view_widget_to_voxel (PsSliceView *self, double wx, double wy, double voxel[3])
{
  Geometry g;
  double sx, sy;

  g_return_val_if_fail (PS_IS_SLICE_VIEW (self), FALSE);
  if (!get_geometry (self, &g))
    return FALSE;
  widget_to_slice (self, &g, wx, wy, &sx, &sy);
  voxel[g.col_axis] = sx - 0.5;
  voxel[g.row_axis] = sy - 0.5;
  voxel[g.normal_axis] = (double) ps_document_get_slice (self->document, self->orientation);
  return TRUE;
}

/* The voxel index under a widget point, or FALSE outside the volume. */
static gboolean
widget_to_voxel_index (PsSliceView *self, double wx, double wy, gsize idx[3])
{
  PsVolume *vol = get_volume (self);
  double v[3];
  gsize n[3];

  if (vol == NULL || !ps_slice_view_widget_to_voxel (self, wx, wy, v))
    return FALSE;
  n[0] = vol->nx;
  n[1] = vol->ny;
  n[2] = vol->nz;
  for (int a = 0; a < 3; a++)
    {
      double f = floor (v[a] + 0.5);
      if (!(f >= 0) || f >= (double) n[a])
        return FALSE;
      idx[a] = (gsize) f;
    }
  return TRUE;
}

static void
clamp_center (PsSliceView *self)
{
  if (self->width == 0)
    return;
  self->center_x = CLAMP (self->center_x, 0.0, (double) self->width);
  self->center_y = CLAMP (self->center_y, 0.0, (double) self->height);
}

static void
queue_render (PsSliceView *self)
{
  self->render_dirty = TRUE;
  gtk_widget_queue_draw (GTK_WIDGET (self->canvas));
}

/* ---- slice source ---------------------------------------------------------
 * The view renders straight from the volume: ps_slice_layout() gives where
 * the slice lies in the volume's storage, and ps_slice_render() reads only
 * the voxels under the canvas's pixels. A yz slice of a 1024³ volume fitted
 * into a 460 × 310 pane reads 140 000 voxels instead of copying 1 048 576,
 * so stepping through yz costs a few milliseconds, not a full extraction. */

static gboolean
slice_source (PsSliceView *self, const float **data, gsize *offset, gsize *col_stride, gsize *row_stride)
{
  PsVolume *vol = get_volume (self);
  gsize index;

  if (vol == NULL)
    return FALSE;
  index = ps_document_get_slice (self->document, self->orientation);
  ps_slice_size (self->orientation, vol->nx, vol->ny, vol->nz, &self->width, &self->height);
  if (!ps_slice_layout (self->orientation, vol->nx, vol->ny, vol->nz, index, offset, col_stride, row_stride))
    return FALSE;
  *data = vol->data + *offset;
  return TRUE;
}

/* The overlay layers to blend, laid out like the slice. */
static gsize
overlay_sources (PsSliceView *self, gsize offset, PsSliceOverlay *out)
{
  gsize n = 0;
  guint n_layers;

  if (self->document == NULL || !ps_document_get_show_overlays (self->document))
    return 0;
  n_layers = MIN (ps_document_get_n_overlays (self->document), PS_SLICE_MAX_OVERLAYS);
  for (guint i = 0; i < n_layers; i++)
    {
      const PsOverlayLayer *layer = ps_document_get_overlay (self->document, i);
      if (!layer->visible)
        continue;
      out[n].labels = layer->labels->data + offset;
      out[n].mode = layer->mode;
      out[n].color = ps_document_get_overlay_color (self->document, layer);
      out[n].alpha = (float) ps_document_get_overlay_alpha (self->document, layer);
      n++;
    }
  return n;
}

/* ---- drawing --------------------------------------------------------------- */

static gboolean
render_surface (PsSliceView *self, const Geometry *g, int scale_factor)
{
  const float *slice;
  gsize offset, col_stride, row_stride;
  PsSliceOverlay overlays[PS_SLICE_MAX_OVERLAYS];
  int dw = (int) ceil (g->width * scale_factor), dh = (int) ceil (g->height * scale_factor);
  double lo, hi;

  if (!slice_source (self, &slice, &offset, &col_stride, &row_stride))
    return FALSE;
  if (self->surface == NULL || cairo_image_surface_get_width (self->surface) != dw
      || cairo_image_surface_get_height (self->surface) != dh)
    {
      g_clear_pointer (&self->surface, cairo_surface_destroy);
      self->surface = cairo_image_surface_create (CAIRO_FORMAT_ARGB32, dw, dh);
      self->render_dirty = TRUE;
    }
  cairo_surface_set_device_scale (self->surface, scale_factor, scale_factor);
  if (!self->render_dirty)
    return TRUE;

  ps_document_get_window (self->document, &lo, &hi);
  double px_per_slice_x = g->scale * g->sc * scale_factor;
  double px_per_slice_y = g->scale * g->sr * scale_factor;
  PsSliceRender r = {
    .slice = slice,
    .width = self->width,
    .height = self->height,
    .col_stride = col_stride,
    .row_stride = row_stride,
    .dx = 1.0 / px_per_slice_x,
    .dy = 1.0 / px_per_slice_y,
    .x0 = self->center_x - (g->width / 2) / (g->scale * g->sc),
    .y0 = self->center_y - (g->height / 2) / (g->scale * g->sr),
    .lo = (float) lo,
    .hi = (float) hi,
    .colormap = ps_document_get_colormap (self->document),
    .interpolation = ps_document_get_interpolation (self->document),
    .background = CANVAS_BACKGROUND,
    .nan_color = NAN_COLOR,
    .overlays = overlays,
  };
  r.n_overlays = overlay_sources (self, offset, overlays);
  cairo_surface_flush (self->surface);
  gint64 t0 = g_get_monotonic_time ();
  if (ps_slice_render (&r, (uint32_t *) (gpointer) cairo_image_surface_get_data (self->surface),
                       (size_t) dw, (size_t) dh,
                       (size_t) cairo_image_surface_get_stride (self->surface) / 4,
                       ps_job_get_default_n_threads ()) != PS_OK)
    return FALSE;
  /* G_MESSAGES_DEBUG=ps-slice-view shows what each frame's pixels cost. */
  g_debug ("%s: rendered %d × %d px in %.2f ms", orientation_names[self->orientation], dw, dh,
           (g_get_monotonic_time () - t0) / 1000.0);
  cairo_surface_mark_dirty (self->surface);
  self->render_dirty = FALSE;
  self->rendered_index = ps_document_get_slice (self->document, self->orientation);
  return TRUE;
}

/* Crisp 1-px lines: put coordinates on pixel centres. */
static double
crisp (double v)
{
  return floor (v) + 0.5;
}

static void
draw_crosshair (PsSliceView *self, cairo_t *cr, const Geometry *g)
{
  gsize pos[3];
  double wx, wy;
  const double gap = 7.0;
  PsSliceOrientation col_plane, row_plane;

  ps_document_get_crosshair (self->document, pos);
  slice_to_widget (self, g, pos[g->col_axis] + 0.5, pos[g->row_axis] + 0.5, &wx, &wy);
  wx = crisp (wx);
  wy = crisp (wy);
  /* The vertical line is the plane normal to the column axis. */
  col_plane = g->col_axis == 0 ? PS_SLICE_YZ : g->col_axis == 1 ? PS_SLICE_XZ : PS_SLICE_XY;
  row_plane = g->row_axis == 0 ? PS_SLICE_YZ : g->row_axis == 1 ? PS_SLICE_XZ : PS_SLICE_XY;

  cairo_set_line_width (cr, 1.0);
  set_source_rgb (cr, ps_slice_view_orientation_color (col_plane), 0.85);
  cairo_move_to (cr, wx, 0);
  cairo_line_to (cr, wx, wy - gap);
  cairo_move_to (cr, wx, wy + gap);
  cairo_line_to (cr, wx, g->height);
  cairo_stroke (cr);
  set_source_rgb (cr, ps_slice_view_orientation_color (row_plane), 0.85);
  cairo_move_to (cr, 0, wy);
  cairo_line_to (cr, wx - gap, wy);
  cairo_move_to (cr, wx + gap, wy);
  cairo_line_to (cr, g->width, wy);
  cairo_stroke (cr);
}

static void
draw_subvolume (PsSliceView *self, cairo_t *cr, const Geometry *g)
{
  PsBox box;
  gsize origin[3], size[3], index;
  double x0, y0, x1, y1;
  gboolean inside;

  if (!ps_document_get_subvolume (self->document, &box))
    return;
  origin[0] = box.x0; origin[1] = box.y0; origin[2] = box.z0;
  size[0] = box.nx; size[1] = box.ny; size[2] = box.nz;
  index = ps_document_get_slice (self->document, self->orientation);
  inside = index >= origin[g->normal_axis] && index < origin[g->normal_axis] + size[g->normal_axis];
  slice_to_widget (self, g, origin[g->col_axis], origin[g->row_axis], &x0, &y0);
  slice_to_widget (self, g, origin[g->col_axis] + size[g->col_axis],
                   origin[g->row_axis] + size[g->row_axis], &x1, &y1);
  cairo_rectangle (cr, crisp (x0), crisp (y0), round (x1 - x0), round (y1 - y0));
  if (inside)
    {
      cairo_set_line_width (cr, 1.5);
      set_source_rgb (cr, 0xf6d32d, 0.95);
    }
  else
    {
      static const double dash[] = { 4.0, 4.0 };
      cairo_set_dash (cr, dash, 2, 0);
      cairo_set_line_width (cr, 1.0);
      set_source_rgb (cr, 0xf6d32d, 0.6);
    }
  cairo_stroke (cr);
  cairo_set_dash (cr, NULL, 0, 0);
  if (inside)
    {
      /* Handles of the subvolume tool (ps-subvolume-tool.c): corners and
       * edge midpoints resize, the centre moves. */
      double xs[3] = { x0, (x0 + x1) / 2, x1 }, ys[3] = { y0, (y0 + y1) / 2, y1 };
      for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++)
          cairo_rectangle (cr, round (xs[i]) - 3, round (ys[j]) - 3, 6, 6);
      set_source_rgb (cr, 0xf6d32d, 0.95);
      cairo_fill (cr);
    }
}

static void
draw_seeds (PsSliceView *self, cairo_t *cr, const Geometry *g)
{
  gsize n, index = ps_document_get_slice (self->document, self->orientation);
  const PsSeed *seeds = ps_document_get_seeds (self->document, &n);

  for (gsize i = 0; i < n; i++)
    {
      double v[3] = { seeds[i].x, seeds[i].y, seeds[i].z };
      double d = fabs (v[g->normal_axis] - (double) index);
      double wx, wy;
      if (d > 3.0)
        continue;
      slice_to_widget (self, g, v[g->col_axis] + 0.5, v[g->row_axis] + 0.5, &wx, &wy);
      guint32 color = seeds[i].label ? ps_overlay_label_color (seeds[i].label) : 0xf6d32d;
      cairo_new_sub_path (cr);
      cairo_arc (cr, wx, wy, d <= 0.5 ? 4.0 : 2.5, 0, 2 * G_PI);
      if (d <= 0.5)
        {
          set_source_rgb (cr, color, 1.0);
          cairo_fill_preserve (cr);
          set_source_rgb (cr, 0x000000, 0.8);
          cairo_set_line_width (cr, 1.0);
          cairo_stroke (cr);
        }
      else
        {
          set_source_rgb (cr, color, 0.7);
          cairo_set_line_width (cr, 1.0);
          cairo_stroke (cr);
        }
    }
}

/* 1, 2 or 5 × 10^k nm, as long as fits in @max_px at @px_per_nm. */
static double
nice_length (double px_per_nm, double max_px)
{
  double best = 0;
  for (int e = -3; e <= 9; e++)
    for (int m = 0; m < 3; m++)
      {
        static const double mant[] = { 1, 2, 5 };
        double len = mant[m] * pow (10, e);
        if (len * px_per_nm <= max_px)
          best = len;
      }
  return best;
}

/* Scale bar label: nm as everywhere in the UI (SPEC.md); voxels when the
 * file had no voxel size. */
static char *
format_length (double nm, gboolean known)
{
  g_autofree char *num = ps_format_length (nm);
  if (!known)
    /* Translators: a scale bar of N voxels, for data without a voxel size */
    return g_strdup_printf (_("%s vox"), num);
  return g_strdup_printf ("%s nm", num);
}

static void
draw_scale_bar (PsSliceView *self, cairo_t *cr, const Geometry *g)
{
  PsVolume *vol = get_volume (self);
  double px_per_nm = g->scale;
  double len = nice_length (px_per_nm, MIN (160.0, g->width * 0.3));
  g_autofree char *text = NULL;
  PangoLayout *layout;
  int tw, th;
  double bar, x = 12, y;

  if (len <= 0 || g->width < 80 || g->height < 50)
    return;
  bar = round (len * px_per_nm);
  text = format_length (len, vol->spacing_known);
  layout = gtk_widget_create_pango_layout (GTK_WIDGET (self->canvas), text);
  pango_layout_get_pixel_size (layout, &tw, &th);
  y = g->height - 12;

  /* A dark halo keeps the bar legible on white and black alike. */
  set_source_rgb (cr, 0x000000, 0.55);
  cairo_rectangle (cr, x - 1, y - 5, bar + 2, 6);
  cairo_fill (cr);
  set_source_rgb (cr, 0xffffff, 1.0);
  cairo_rectangle (cr, x, y - 4, bar, 4);
  cairo_fill (cr);

  cairo_move_to (cr, x + (bar - tw) / 2, y - 6 - th);
  pango_cairo_layout_path (cr, layout);
  set_source_rgb (cr, 0x000000, 0.6);
  cairo_set_line_width (cr, 3.0);
  cairo_set_line_join (cr, CAIRO_LINE_JOIN_ROUND);
  cairo_stroke (cr);
  cairo_move_to (cr, x + (bar - tw) / 2, y - 6 - th);
  set_source_rgb (cr, 0xffffff, 1.0);
  pango_cairo_show_layout (cr, layout);
  g_object_unref (layout);
}

static void
draw_func (GtkDrawingArea *area, cairo_t *cr, int width, int height, gpointer user_data)
{
  PsSliceView *self = PS_SLICE_VIEW (user_data);
  Geometry g;

  set_source_rgb (cr, CANVAS_BACKGROUND, 1.0);
  cairo_paint (cr);
  if (!get_geometry (self, &g))
    return;
  if (!render_surface (self, &g, gtk_widget_get_scale_factor (GTK_WIDGET (area))))
    return;
  cairo_save (cr);
  cairo_set_source_surface (cr, self->surface, 0, 0);
  cairo_pattern_set_filter (cairo_get_source (cr), CAIRO_FILTER_NEAREST);
  cairo_paint (cr);
  cairo_restore (cr);

  draw_subvolume (self, cr, &g);
  draw_seeds (self, cr, &g);
  if (ps_document_get_show_crosshair (self->document))
    draw_crosshair (self, cr, &g);
  draw_scale_bar (self, cr, &g);
}

/* ---- header ------------------------------------------------------------------ */

static void
update_header (PsSliceView *self)
{
  PsVolume *vol = get_volume (self);
  static const char *const names[] = { N_("XY"), N_("XZ"), N_("YZ") };
  static const char *const axis_names[] = { "x", "y", "z" };
  g_autofree char *markup = NULL;
  g_autofree char *color = ps_color_to_string (ps_slice_view_orientation_color (self->orientation));
  int axis = ps_slice_normal_axis (self->orientation);

  markup = g_strdup_printf ("<span foreground=\"%s\">●</span> %s", color, _(names[self->orientation]));
  gtk_label_set_markup (self->title_label, markup);
  /* The window lays the views out; this view only asks for itself. */
  gtk_actionable_set_action_target (GTK_ACTIONABLE (self->maximize_button), "s",
                                    orientation_names[self->orientation]);

  self->updating_adjustment = TRUE;
  if (vol != NULL)
    {
      gsize n[3] = { vol->nx, vol->ny, vol->nz };
      gsize index = ps_document_get_slice (self->document, self->orientation);
      double spacing[3];
      g_autofree char *pos = NULL;
      g_autofree char *tip = NULL;

      ps_document_get_spacing (self->document, spacing);
      gtk_adjustment_configure (self->adjustment, (double) index, 0, (double) (n[axis] - 1), 1,
                                MAX (1.0, round (n[axis] / 20.0)), 0);
      /* Position of the slice centre along the normal, nm from the corner;
       * for a tilt series the xy "slice" is an image and z its angle. */
      PsTiltSeries *ts = ps_document_get_tilt_series (self->document);
      if (ts != NULL && axis == 2 && index < ts->n)
        pos = g_strdup_printf ("%+.1f°", ts->angles[index]);
      else
        {
          g_autofree char *len = ps_format_length ((index + 0.5) * spacing[axis]);
          pos = g_strdup_printf ("%s %s nm", axis_names[axis], len);
        }
      gtk_label_set_text (self->position_label, pos);
      tip = g_strdup_printf (_("Slice %zu of %zu along %s"), index + 1, n[axis], axis_names[axis]);
      gtk_widget_set_tooltip_text (GTK_WIDGET (self->slice_scale), tip);
    }
  else
    {
      gtk_adjustment_configure (self->adjustment, 0, 0, 0, 1, 1, 0);
      gtk_label_set_text (self->position_label, "");
    }
  gtk_widget_set_sensitive (self->header, vol != NULL);
  self->updating_adjustment = FALSE;
}

static void
adjustment_value_changed (GtkAdjustment *adjustment, PsSliceView *self)
{
  gsize pos[3];
  int axis = ps_slice_normal_axis (self->orientation);
  double v = gtk_adjustment_get_value (adjustment);

  if (self->updating_adjustment || get_volume (self) == NULL)
    return;
  ps_document_get_crosshair (self->document, pos);
  pos[axis] = (gsize) MAX (0.0, round (v));
  activate_doc_action (self, "crosshair",
                       g_variant_new ("(iii)", (gint32) pos[0], (gint32) pos[1], (gint32) pos[2]));
}

/* ---- document ------------------------------------------------------------------ */

static void
document_changed (PsDocument *document, guint flags, PsSliceView *self)
{
  if (flags & PS_DOCUMENT_CHANGED_VOLUME)
    {
      self->zoom = 1.0;
      self->centered = FALSE;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ZOOM]);
      queue_render (self);
    }
  if (flags & (PS_DOCUMENT_CHANGED_CONTRAST | PS_DOCUMENT_CHANGED_DISPLAY | PS_DOCUMENT_CHANGED_OVERLAY))
    queue_render (self);
  if (flags & PS_DOCUMENT_CHANGED_CROSSHAIR)
    {
      /* Another slice: new pixels. Same slice: only the lines move. */
      if (ps_document_get_slice (document, self->orientation) != self->rendered_index)
        self->render_dirty = TRUE;
      gtk_widget_queue_draw (GTK_WIDGET (self->canvas));
    }
  if (flags & (PS_DOCUMENT_CHANGED_SUBVOLUME | PS_DOCUMENT_CHANGED_SEEDS))
    gtk_widget_queue_draw (GTK_WIDGET (self->canvas));
  if (flags & (PS_DOCUMENT_CHANGED_VOLUME | PS_DOCUMENT_CHANGED_CROSSHAIR))
    update_header (self);
}

/* ---- input ---------------------------------------------------------------------- */

static void
step_slice (PsSliceView *self, int delta)
{
  activate_doc_action (self, "step-slice",
                       g_variant_new ("(si)", orientation_names[self->orientation], delta));
}

void
_ps_slice_view_scroll (PsSliceView *self, double dy, gboolean zoom, double x, double y)
{
  if (get_volume (self) == NULL)
    return;
  if (zoom)
    {
      ps_slice_view_zoom_at (self, pow (1.2, -dy), x, y);
      return;
    }
  /* Wheel notches give ±1; touchpads give fractions: step by whole units.
   * Scrolling down (away) moves to higher slice numbers, as in 3dmod. */
  self->scroll_accum += dy;
  int steps = (int) trunc (self->scroll_accum);
  if (steps != 0)
    {
      self->scroll_accum -= steps;
      step_slice (self, steps);
    }
}

static gboolean
scroll_cb (GtkEventControllerScroll *controller, double dx, double dy, PsSliceView *self)
{
  GdkModifierType mods = gtk_event_controller_get_current_event_state (GTK_EVENT_CONTROLLER (controller));
  double x = gtk_widget_get_width (GTK_WIDGET (self->canvas)) / 2.0;
  double y = gtk_widget_get_height (GTK_WIDGET (self->canvas)) / 2.0;

  if (get_volume (self) == NULL)
    return FALSE;
  if (mods & GDK_CONTROL_MASK)
    {
      GdkEvent *event = gtk_event_controller_get_current_event (GTK_EVENT_CONTROLLER (controller));
      double ex, ey;
      if (event != NULL && gdk_event_get_position (event, &ex, &ey))
        {
          /* Event positions are in surface coordinates; make them canvas-local. */
          GtkNative *native = gtk_widget_get_native (GTK_WIDGET (self));
          double nx, ny, cx, cy;
          gtk_native_get_surface_transform (native, &nx, &ny);
          if (gtk_widget_translate_coordinates (GTK_WIDGET (native), GTK_WIDGET (self->canvas), ex - nx, ey - ny,
                                                &cx, &cy))
            {
              x = cx;
              y = cy;
            }
        }
    }
  _ps_slice_view_scroll (self, dy, (mods & GDK_CONTROL_MASK) != 0, x, y);
  return TRUE;
}

void
_ps_slice_view_hover (PsSliceView *self, double x, double y)
{
  double v[3];
  gsize idx[3];

  if (self->document == NULL)
    return;
  if (!isnan (x) && widget_to_voxel_index (self, x, y, idx) && ps_slice_view_widget_to_voxel (self, x, y, v))
    ps_document_set_pointer (self->document, v);
  else
    ps_document_set_pointer (self->document, NULL);
}

static void
motion_cb (GtkEventControllerMotion *controller, double x, double y, PsSliceView *self)
{
  _ps_slice_view_hover (self, x, y);
}

static void
leave_cb (GtkEventControllerMotion *controller, PsSliceView *self)
{
  _ps_slice_view_hover (self, NAN, NAN);
}

static void
primary_drag_begin (GtkGestureDrag *gesture, double x, double y, PsSliceView *self)
{
  self->drag_center_x = self->center_x;
  self->drag_center_y = self->center_y;
  self->drag_panning = FALSE;
  gtk_widget_grab_focus (GTK_WIDGET (self->canvas));
}

static void
pan_to (PsSliceView *self, double dx, double dy)
{
  Geometry g;
  if (!get_geometry (self, &g))
    return;
  self->center_x = self->drag_center_x - dx / (g.scale * g.sc);
  self->center_y = self->drag_center_y - dy / (g.scale * g.sr);
  self->centered = TRUE;
  clamp_center (self);
  queue_render (self);
}

static void
primary_drag_update (GtkGestureDrag *gesture, double dx, double dy, PsSliceView *self)
{
  if (!self->drag_panning
      && !gtk_drag_check_threshold (GTK_WIDGET (self->canvas), 0, 0, (int) dx, (int) dy))
    return;
  self->drag_panning = TRUE;
  gtk_widget_set_cursor_from_name (GTK_WIDGET (self->canvas), "grabbing");
  pan_to (self, dx, dy);
}

void
_ps_slice_view_click (PsSliceView *self, double x, double y)
{
  gsize idx[3];

  /* Move the crosshair here, which moves the other two views. */
  if (widget_to_voxel_index (self, x, y, idx))
    activate_doc_action (self, "crosshair",
                         g_variant_new ("(iii)", (gint32) idx[0], (gint32) idx[1], (gint32) idx[2]));
}

static void
primary_drag_end (GtkGestureDrag *gesture, double dx, double dy, PsSliceView *self)
{
  double x, y;

  gtk_widget_set_cursor (GTK_WIDGET (self->canvas), NULL);
  if (!self->drag_panning && gtk_gesture_drag_get_start_point (gesture, &x, &y))
    _ps_slice_view_click (self, x, y);
}

static void
middle_drag_update (GtkGestureDrag *gesture, double dx, double dy, PsSliceView *self)
{
  gtk_widget_set_cursor_from_name (GTK_WIDGET (self->canvas), "grabbing");
  pan_to (self, dx, dy);
}

static void
contrast_drag_begin (GtkGestureDrag *gesture, double x, double y, PsSliceView *self)
{
  if (self->document != NULL)
    ps_document_get_window (self->document, &self->contrast_lo, &self->contrast_hi);
}

/* Right-drag: horizontal changes the window width (×e per 200 px), vertical
 * moves the level (one width per canvas height, up = brighter). */
static void
contrast_drag_update (GtkGestureDrag *gesture, double dx, double dy, PsSliceView *self)
{
  double width = self->contrast_hi - self->contrast_lo;
  double center = (self->contrast_hi + self->contrast_lo) / 2;
  double h = MAX (gtk_widget_get_height (GTK_WIDGET (self->canvas)), 1);

  if (get_volume (self) == NULL || !(width > 0))
    return;
  width *= exp (dx / 200.0);
  center += dy / h * (self->contrast_hi - self->contrast_lo);
  activate_doc_action (self, "window", g_variant_new ("(dd)", center - width / 2, center + width / 2));
}

static void
drag_end_reset_cursor (GtkGestureDrag *gesture, double dx, double dy, PsSliceView *self)
{
  gtk_widget_set_cursor (GTK_WIDGET (self->canvas), NULL);
}

static void
header_pressed (GtkGestureClick *gesture, int n_press, double x, double y, PsSliceView *self)
{
  if (n_press == 2)
    gtk_widget_activate_action (GTK_WIDGET (self), "win.maximize-view", "s", orientation_names[self->orientation]);
}

static void
canvas_resize (GtkDrawingArea *area, int width, int height, PsSliceView *self)
{
  self->render_dirty = TRUE;
}

/* ---- zoom --------------------------------------------------------------------- */

double
ps_slice_view_get_zoom (PsSliceView *self)
{
  g_return_val_if_fail (PS_IS_SLICE_VIEW (self), 1.0);
  return self->zoom;
}

void
ps_slice_view_zoom_fit (PsSliceView *self)
{
  g_return_if_fail (PS_IS_SLICE_VIEW (self));
  self->zoom = 1.0;
  self->centered = FALSE;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ZOOM]);
  queue_render (self);
}

void
ps_slice_view_zoom_at (PsSliceView *self, double factor, double wx, double wy)
{
  Geometry g;
  double sx, sy, zoom_max;

  g_return_if_fail (PS_IS_SLICE_VIEW (self));
  if (!get_geometry (self, &g) || !(factor > 0))
    return;
  widget_to_slice (self, &g, wx, wy, &sx, &sy);
  /* Limit: one voxel at most VOXEL_PX_MAX pixels across. */
  zoom_max = VOXEL_PX_MAX / (g.scale / self->zoom * fmin (g.sc, g.sr));
  self->zoom = CLAMP (self->zoom * factor, ZOOM_MIN, MAX (zoom_max, 1.0));
  get_geometry (self, &g);
  self->center_x = sx - (wx - g.width / 2) / (g.scale * g.sc);
  self->center_y = sy - (wy - g.height / 2) / (g.scale * g.sr);
  self->centered = TRUE;
  clamp_center (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ZOOM]);
  queue_render (self);
}

static void
zoom_action (GtkWidget *widget, const char *name, GVariant *param)
{
  PsSliceView *self = PS_SLICE_VIEW (widget);
  double w = gtk_widget_get_width (GTK_WIDGET (self->canvas)) / 2.0;
  double h = gtk_widget_get_height (GTK_WIDGET (self->canvas)) / 2.0;

  if (g_str_equal (name, "view.zoom-in"))
    ps_slice_view_zoom_at (self, 1.25, w, h);
  else if (g_str_equal (name, "view.zoom-out"))
    ps_slice_view_zoom_at (self, 0.8, w, h);
  else
    ps_slice_view_zoom_fit (self);
}

static void
step_action (GtkWidget *widget, const char *name, GVariant *param)
{
  PsSliceView *self = PS_SLICE_VIEW (widget);
  PsVolume *vol = get_volume (self);
  gint32 delta = g_variant_get_int32 (param);

  if (vol == NULL)
    return;
  /* ±G_MAXINT32 jumps to the ends (Home/End). */
  step_slice (self, delta);
}

/* ---- GObject ------------------------------------------------------------------- */

PsSliceOrientation
ps_slice_view_get_orientation (PsSliceView *self)
{
  g_return_val_if_fail (PS_IS_SLICE_VIEW (self), PS_SLICE_XY);
  return self->orientation;
}

void
ps_slice_view_set_orientation (PsSliceView *self, PsSliceOrientation orientation)
{
  g_return_if_fail (PS_IS_SLICE_VIEW (self));
  g_return_if_fail (orientation >= PS_SLICE_XY && orientation <= PS_SLICE_YZ);

  if (self->orientation == orientation)
    return;
  self->orientation = orientation;
  self->zoom = 1.0;
  self->centered = FALSE;
  update_header (self);
  queue_render (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ORIENTATION]);
}

/**
 * ps_slice_view_get_document:
 *
 * Returns: (transfer none) (nullable):
 */
PsDocument *
ps_slice_view_get_document (PsSliceView *self)
{
  g_return_val_if_fail (PS_IS_SLICE_VIEW (self), NULL);
  return self->document;
}

void
ps_slice_view_set_document (PsSliceView *self, PsDocument *document)
{
  g_return_if_fail (PS_IS_SLICE_VIEW (self));
  g_return_if_fail (document == NULL || PS_IS_DOCUMENT (document));

  if (self->document == document)
    return;
  if (self->document != NULL)
    {
      g_clear_signal_handler (&self->changed_handler, self->document);
      ps_document_set_pointer (self->document, NULL);
    }
  g_set_object (&self->document, document);
  if (document != NULL)
    self->changed_handler = g_signal_connect (document, "changed", G_CALLBACK (document_changed), self);
  document_changed (document, PS_DOCUMENT_CHANGED_ALL, self);
  update_header (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_DOCUMENT]);
}

GtkAdjustment *
_ps_slice_view_get_adjustment (PsSliceView *self)
{
  g_return_val_if_fail (PS_IS_SLICE_VIEW (self), NULL);
  return self->adjustment;
}

/**
 * ps_slice_view_get_canvas:
 *
 * Returns: (transfer none):
 */
GtkWidget *
ps_slice_view_get_canvas (PsSliceView *self)
{
  g_return_val_if_fail (PS_IS_SLICE_VIEW (self), NULL);
  return GTK_WIDGET (self->canvas);
}

GtkWidget *
ps_slice_view_new (PsSliceOrientation orientation)
{
  return g_object_new (PS_TYPE_SLICE_VIEW, "orientation", orientation, NULL);
}

static void
ps_slice_view_dispose (GObject *object)
{
  PsSliceView *self = PS_SLICE_VIEW (object);

  if (self->document != NULL)
    g_clear_signal_handler (&self->changed_handler, self->document);
  g_clear_object (&self->document);
  gtk_widget_dispose_template (GTK_WIDGET (self), PS_TYPE_SLICE_VIEW);

  G_OBJECT_CLASS (ps_slice_view_parent_class)->dispose (object);
}

static void
ps_slice_view_finalize (GObject *object)
{
  PsSliceView *self = PS_SLICE_VIEW (object);

  g_clear_pointer (&self->surface, cairo_surface_destroy);

  G_OBJECT_CLASS (ps_slice_view_parent_class)->finalize (object);
}

static void
ps_slice_view_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  PsSliceView *self = PS_SLICE_VIEW (object);

  switch (prop_id)
    {
    case PROP_DOCUMENT:
      g_value_set_object (value, self->document);
      break;
    case PROP_ORIENTATION:
      g_value_set_int (value, self->orientation);
      break;
    case PROP_ZOOM:
      g_value_set_double (value, self->zoom);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ps_slice_view_set_property (GObject *object, guint prop_id, const GValue *value, GParamSpec *pspec)
{
  PsSliceView *self = PS_SLICE_VIEW (object);

  switch (prop_id)
    {
    case PROP_DOCUMENT:
      ps_slice_view_set_document (self, g_value_get_object (value));
      break;
    case PROP_ORIENTATION:
      ps_slice_view_set_orientation (self, g_value_get_int (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ps_slice_view_class_init (PsSliceViewClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = ps_slice_view_dispose;
  object_class->finalize = ps_slice_view_finalize;
  object_class->get_property = ps_slice_view_get_property;
  object_class->set_property = ps_slice_view_set_property;

  properties[PROP_DOCUMENT] =
    g_param_spec_object ("document", NULL, NULL, PS_TYPE_DOCUMENT,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  /* A PsSliceOrientation (0 xy, 1 xz, 2 yz): a plain int keeps templates simple. */
  properties[PROP_ORIENTATION] =
    g_param_spec_int ("orientation", NULL, NULL, PS_SLICE_XY, PS_SLICE_YZ, PS_SLICE_XY,
                      G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_ZOOM] =
    g_param_spec_double ("zoom", NULL, NULL, 0.0, G_MAXDOUBLE, 1.0,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  _ps_application_ensure_resources ();
  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/porescope/Porescope/ui/ps-slice-view.ui");
  gtk_widget_class_bind_template_child (widget_class, PsSliceView, header);
  gtk_widget_class_bind_template_child (widget_class, PsSliceView, title_label);
  gtk_widget_class_bind_template_child (widget_class, PsSliceView, slice_scale);
  gtk_widget_class_bind_template_child (widget_class, PsSliceView, slice_spin);
  gtk_widget_class_bind_template_child (widget_class, PsSliceView, position_label);
  gtk_widget_class_bind_template_child (widget_class, PsSliceView, fit_button);
  gtk_widget_class_bind_template_child (widget_class, PsSliceView, maximize_button);
  gtk_widget_class_bind_template_child (widget_class, PsSliceView, canvas);
  gtk_widget_class_bind_template_child (widget_class, PsSliceView, adjustment);
  gtk_widget_class_set_css_name (widget_class, "ps-slice-view");

  gtk_widget_class_install_action (widget_class, "view.zoom-in", NULL, zoom_action);
  gtk_widget_class_install_action (widget_class, "view.zoom-out", NULL, zoom_action);
  gtk_widget_class_install_action (widget_class, "view.zoom-fit", NULL, zoom_action);
  gtk_widget_class_install_action (widget_class, "view.step", "i", step_action);

  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Page_Up, 0, "view.step", "i", -1);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Page_Down, 0, "view.step", "i", 1);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Up, 0, "view.step", "i", -1);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Down, 0, "view.step", "i", 1);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Page_Up, GDK_SHIFT_MASK, "view.step", "i", -10);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Page_Down, GDK_SHIFT_MASK, "view.step", "i", 10);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Home, 0, "view.step", "i", G_MININT32 / 2);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_End, 0, "view.step", "i", G_MAXINT32 / 2);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_plus, GDK_CONTROL_MASK, "view.zoom-in", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_equal, GDK_CONTROL_MASK, "view.zoom-in", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_KP_Add, GDK_CONTROL_MASK, "view.zoom-in", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_minus, GDK_CONTROL_MASK, "view.zoom-out", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_KP_Subtract, GDK_CONTROL_MASK, "view.zoom-out", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_0, GDK_CONTROL_MASK, "view.zoom-fit", NULL);
}

static void
ps_slice_view_init (PsSliceView *self)
{
  GtkEventController *scroll, *motion;
  GtkGesture *primary, *middle, *secondary, *header_click;

  self->zoom = 1.0;
  self->rendered_index = G_MAXSIZE;
  gtk_widget_init_template (GTK_WIDGET (self));
  gtk_drawing_area_set_draw_func (self->canvas, draw_func, self, NULL);
  g_signal_connect (self->canvas, "resize", G_CALLBACK (canvas_resize), self);
  g_signal_connect (self->adjustment, "value-changed", G_CALLBACK (adjustment_value_changed), self);

  scroll = gtk_event_controller_scroll_new (GTK_EVENT_CONTROLLER_SCROLL_VERTICAL);
  g_signal_connect (scroll, "scroll", G_CALLBACK (scroll_cb), self);
  gtk_widget_add_controller (GTK_WIDGET (self->canvas), scroll);

  motion = gtk_event_controller_motion_new ();
  g_signal_connect (motion, "motion", G_CALLBACK (motion_cb), self);
  g_signal_connect (motion, "leave", G_CALLBACK (leave_cb), self);
  gtk_widget_add_controller (GTK_WIDGET (self->canvas), motion);

  primary = gtk_gesture_drag_new ();
  gtk_gesture_single_set_button (GTK_GESTURE_SINGLE (primary), GDK_BUTTON_PRIMARY);
  g_signal_connect (primary, "drag-begin", G_CALLBACK (primary_drag_begin), self);
  g_signal_connect (primary, "drag-update", G_CALLBACK (primary_drag_update), self);
  g_signal_connect (primary, "drag-end", G_CALLBACK (primary_drag_end), self);
  gtk_widget_add_controller (GTK_WIDGET (self->canvas), GTK_EVENT_CONTROLLER (primary));

  middle = gtk_gesture_drag_new ();
  gtk_gesture_single_set_button (GTK_GESTURE_SINGLE (middle), GDK_BUTTON_MIDDLE);
  g_signal_connect (middle, "drag-begin", G_CALLBACK (primary_drag_begin), self);
  g_signal_connect (middle, "drag-update", G_CALLBACK (middle_drag_update), self);
  g_signal_connect (middle, "drag-end", G_CALLBACK (drag_end_reset_cursor), self);
  gtk_widget_add_controller (GTK_WIDGET (self->canvas), GTK_EVENT_CONTROLLER (middle));

  secondary = gtk_gesture_drag_new ();
  gtk_gesture_single_set_button (GTK_GESTURE_SINGLE (secondary), GDK_BUTTON_SECONDARY);
  g_signal_connect (secondary, "drag-begin", G_CALLBACK (contrast_drag_begin), self);
  g_signal_connect (secondary, "drag-update", G_CALLBACK (contrast_drag_update), self);
  gtk_widget_add_controller (GTK_WIDGET (self->canvas), GTK_EVENT_CONTROLLER (secondary));

  header_click = gtk_gesture_click_new ();
  g_signal_connect (header_click, "pressed", G_CALLBACK (header_pressed), self);
  gtk_widget_add_controller (self->header, GTK_EVENT_CONTROLLER (header_click));

  update_header (self);
}
