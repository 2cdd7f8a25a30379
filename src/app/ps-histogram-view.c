/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "ps-histogram-view"

#include "config.h"

#include <glib/gi18n.h>
#include <math.h>

#include "ps-histogram-view.h"

/* Pixels around a limit that grab it. */
#define GRAB_PX 6.0
#define PAD 4.0

typedef enum
{
  DRAG_NONE,
  DRAG_LO,
  DRAG_HI,
  DRAG_MOVE,
} DragTarget;

struct _PsHistogramView
{
  GtkWidget parent_instance;

  /* Owned. */
  PsDocument *document;
  gulong changed_handler;

  /* Drag state. */
  DragTarget target;
  double drag_lo, drag_hi;
};

G_DEFINE_FINAL_TYPE (PsHistogramView, ps_histogram_view, GTK_TYPE_WIDGET)

enum
{
  PROP_0,
  PROP_DOCUMENT,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* The value range the x axis spans: the data range, widened to include the
 * window, with a little room either side. */
static gboolean
axis_range (PsHistogramView *self, double *lo, double *hi)
{
  const PsHistogram *h;
  double wlo, whi, a, b;

  if (self->document == NULL || (h = ps_document_get_histogram (self->document)) == NULL)
    return FALSE;
  ps_document_get_window (self->document, &wlo, &whi);
  a = fmin (h->lo, wlo);
  b = fmax (h->hi, whi);
  if (!(b > a))
    b = a + 1.0;
  *lo = a - 0.02 * (b - a);
  *hi = b + 0.02 * (b - a);
  return TRUE;
}

double
ps_histogram_view_value_to_x (PsHistogramView *self, double value)
{
  double lo, hi, w = gtk_widget_get_width (GTK_WIDGET (self)) - 2 * PAD;
  if (!axis_range (self, &lo, &hi))
    return 0.0;
  return PAD + (value - lo) / (hi - lo) * w;
}

double
ps_histogram_view_x_to_value (PsHistogramView *self, double x)
{
  double lo, hi, w = gtk_widget_get_width (GTK_WIDGET (self)) - 2 * PAD;
  if (!axis_range (self, &lo, &hi) || w <= 0)
    return 0.0;
  return lo + (x - PAD) / w * (hi - lo);
}

static void
get_color (GtkWidget *widget, GdkRGBA *rgba)
{
  /* The foreground colour of the theme, so the plot follows light/dark. */
  GtkStyleContext *ctx = gtk_widget_get_style_context (widget);
  G_GNUC_BEGIN_IGNORE_DEPRECATIONS
  gtk_style_context_get_color (ctx, rgba);
  G_GNUC_END_IGNORE_DEPRECATIONS
}

static void
ps_histogram_view_snapshot (GtkWidget *widget, GtkSnapshot *snapshot)
{
  PsHistogramView *self = PS_HISTOGRAM_VIEW (widget);
  const PsHistogram *h;
  double width = gtk_widget_get_width (widget), height = gtk_widget_get_height (widget);
  double lo, hi, wlo, whi, x_lo, x_hi, plot_h = height - 2 * PAD;
  GdkRGBA fg;
  cairo_t *cr;
  int n_cols;

  if (width < 2 * PAD + 2 || height < 2 * PAD + 2 || !axis_range (self, &lo, &hi))
    return;
  h = ps_document_get_histogram (self->document);
  ps_document_get_window (self->document, &wlo, &whi);
  get_color (widget, &fg);
  cr = gtk_snapshot_append_cairo (snapshot, &GRAPHENE_RECT_INIT (0, 0, width, height));

  /* Rebin the fine histogram to one column per pixel: column c covers
   * values [v(c), v(c+1)); bins are assigned by their centres. Integer data
   * (u8, u16 files) with fewer values than pixels would leave empty columns
   * between the values — a comb — so there each value gets a bar one value
   * wide instead. */
  n_cols = (int) (width - 2 * PAD);
  double *cols = g_new0 (double, n_cols);
  double bin_w = (h->hi - h->lo) / (double) h->n_bins, peak = 0;
  double step = ps_document_get_value_step (self->document);
  double px_per_value = n_cols / (hi - lo);
  if (step > 0 && px_per_value * step > 1.0)
    {
      for (size_t i = 0; i < h->n_bins; i++)
        {
          if (h->counts[i] == 0)
            continue;
          double centre = h->lo + (i + 0.5) * bin_w;
          double v = round (centre / step) * step;
          int c0 = (int) floor ((v - step / 2 - lo) / (hi - lo) * n_cols);
          int c1 = (int) ceil ((v + step / 2 - lo) / (hi - lo) * n_cols);
          for (int c = MAX (c0, 0); c < MIN (c1, n_cols); c++)
            cols[c] += (double) h->counts[i];
        }
    }
  else
    for (size_t i = 0; i < h->n_bins; i++)
      {
        double centre = h->lo + (i + 0.5) * bin_w;
        int c = (int) floor ((centre - lo) / (hi - lo) * n_cols);
        if (c >= 0 && c < n_cols)
          cols[c] += (double) h->counts[i];
      }
  for (int c = 0; c < n_cols; c++)
    {
      cols[c] = log1p (cols[c]);
      peak = fmax (peak, cols[c]);
    }

  /* Window region. */
  x_lo = ps_histogram_view_value_to_x (self, wlo);
  x_hi = ps_histogram_view_value_to_x (self, whi);
  cairo_set_source_rgba (cr, 0.21, 0.52, 0.89, 0.18);
  cairo_rectangle (cr, x_lo, PAD, x_hi - x_lo, plot_h);
  cairo_fill (cr);

  /* Bars. */
  if (peak > 0)
    {
      cairo_set_source_rgba (cr, fg.red, fg.green, fg.blue, 0.55);
      cairo_move_to (cr, PAD, PAD + plot_h);
      for (int c = 0; c < n_cols; c++)
        {
          double y = PAD + plot_h - cols[c] / peak * plot_h;
          cairo_line_to (cr, PAD + c, y);
          cairo_line_to (cr, PAD + c + 1, y);
        }
      cairo_line_to (cr, PAD + n_cols, PAD + plot_h);
      cairo_close_path (cr);
      cairo_fill (cr);
    }
  g_free (cols);

  /* The transfer ramp: gray level across the window. */
  gboolean inverted = ps_document_get_colormap (self->document) == PS_COLORMAP_GRAY_INVERTED;
  cairo_set_source_rgba (cr, 0.21, 0.52, 0.89, 0.9);
  cairo_set_line_width (cr, 1.5);
  cairo_move_to (cr, PAD, inverted ? PAD : PAD + plot_h);
  cairo_line_to (cr, x_lo, inverted ? PAD : PAD + plot_h);
  cairo_line_to (cr, x_hi, inverted ? PAD + plot_h : PAD);
  cairo_line_to (cr, width - PAD, inverted ? PAD + plot_h : PAD);
  cairo_stroke (cr);

  /* Limits with grips. */
  for (int k = 0; k < 2; k++)
    {
      double x = floor (k == 0 ? x_lo : x_hi) + 0.5;
      cairo_set_source_rgba (cr, 0.21, 0.52, 0.89, 1.0);
      cairo_set_line_width (cr, 2.0);
      cairo_move_to (cr, x, PAD);
      cairo_line_to (cr, x, PAD + plot_h);
      cairo_stroke (cr);
      cairo_rectangle (cr, x - 3, PAD + plot_h / 2 - 8, 6, 16);
      cairo_fill (cr);
    }
  cairo_destroy (cr);
}

static void
ps_histogram_view_measure (GtkWidget *widget, GtkOrientation orientation, int for_size,
                           int *minimum, int *natural, int *minimum_baseline, int *natural_baseline)
{
  if (orientation == GTK_ORIENTATION_HORIZONTAL)
    {
      *minimum = 120;
      *natural = 240;
    }
  else
    {
      *minimum = 60;
      *natural = 96;
    }
}

static void
drag_begin (GtkGestureDrag *gesture, double x, double y, PsHistogramView *self)
{
  double x_lo, x_hi;

  self->target = DRAG_NONE;
  if (self->document == NULL || ps_document_get_volume (self->document) == NULL)
    return;
  ps_document_get_window (self->document, &self->drag_lo, &self->drag_hi);
  x_lo = ps_histogram_view_value_to_x (self, self->drag_lo);
  x_hi = ps_histogram_view_value_to_x (self, self->drag_hi);
  if (fabs (x - x_lo) <= GRAB_PX && fabs (x - x_lo) <= fabs (x - x_hi))
    self->target = DRAG_LO;
  else if (fabs (x - x_hi) <= GRAB_PX)
    self->target = DRAG_HI;
  else if (x > x_lo && x < x_hi)
    self->target = DRAG_MOVE;
  else
    /* Outside the window: grab the nearer limit and move it here. */
    self->target = x < x_lo ? DRAG_LO : DRAG_HI;
  if (self->target == DRAG_LO || self->target == DRAG_HI)
    {
      double v = ps_histogram_view_x_to_value (self, x);
      if (self->target == DRAG_LO && (x < x_lo - GRAB_PX))
        self->drag_lo = v;
      if (self->target == DRAG_HI && (x > x_hi + GRAB_PX))
        self->drag_hi = v;
    }
  gtk_gesture_set_state (GTK_GESTURE (gesture), GTK_EVENT_SEQUENCE_CLAIMED);
}

static void
drag_update (GtkGestureDrag *gesture, double dx, double dy, PsHistogramView *self)
{
  double dv = ps_histogram_view_x_to_value (self, dx) - ps_histogram_view_x_to_value (self, 0);
  double lo = self->drag_lo, hi = self->drag_hi, min_width = (self->drag_hi - self->drag_lo) * 1e-3;

  switch (self->target)
    {
    case DRAG_LO:
      lo = fmin (self->drag_lo + dv, hi - min_width);
      break;
    case DRAG_HI:
      hi = fmax (self->drag_hi + dv, lo + min_width);
      break;
    case DRAG_MOVE:
      lo += dv;
      hi += dv;
      break;
    case DRAG_NONE:
    default:
      return;
    }
  g_action_group_activate_action (ps_document_get_actions (self->document), "window",
                                  g_variant_new ("(dd)", lo, hi));
}

static void
pressed (GtkGestureClick *gesture, int n_press, double x, double y, PsHistogramView *self)
{
  if (n_press == 2 && self->document != NULL)
    g_action_group_activate_action (ps_document_get_actions (self->document), "auto-contrast", NULL);
}

static void
motion (GtkEventControllerMotion *controller, double x, double y, PsHistogramView *self)
{
  double lo, hi;
  const char *cursor = NULL;

  if (self->document != NULL && ps_document_get_volume (self->document) != NULL)
    {
      ps_document_get_window (self->document, &lo, &hi);
      double x_lo = ps_histogram_view_value_to_x (self, lo), x_hi = ps_histogram_view_value_to_x (self, hi);
      if (fabs (x - x_lo) <= GRAB_PX || fabs (x - x_hi) <= GRAB_PX)
        cursor = "col-resize";
      else if (x > x_lo && x < x_hi)
        cursor = "grab";
    }
  gtk_widget_set_cursor_from_name (GTK_WIDGET (self), cursor);
}

static void
document_changed (PsDocument *document, guint flags, PsHistogramView *self)
{
  if (flags & (PS_DOCUMENT_CHANGED_VOLUME | PS_DOCUMENT_CHANGED_CONTRAST))
    gtk_widget_queue_draw (GTK_WIDGET (self));
}

/**
 * ps_histogram_view_get_document:
 *
 * Returns: (transfer none) (nullable):
 */
PsDocument *
ps_histogram_view_get_document (PsHistogramView *self)
{
  g_return_val_if_fail (PS_IS_HISTOGRAM_VIEW (self), NULL);
  return self->document;
}

void
ps_histogram_view_set_document (PsHistogramView *self, PsDocument *document)
{
  g_return_if_fail (PS_IS_HISTOGRAM_VIEW (self));
  g_return_if_fail (document == NULL || PS_IS_DOCUMENT (document));

  if (self->document == document)
    return;
  if (self->document != NULL)
    g_clear_signal_handler (&self->changed_handler, self->document);
  g_set_object (&self->document, document);
  if (document != NULL)
    self->changed_handler = g_signal_connect (document, "changed", G_CALLBACK (document_changed), self);
  gtk_widget_queue_draw (GTK_WIDGET (self));
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_DOCUMENT]);
}

GtkWidget *
ps_histogram_view_new (void)
{
  return g_object_new (PS_TYPE_HISTOGRAM_VIEW, NULL);
}

static void
ps_histogram_view_dispose (GObject *object)
{
  PsHistogramView *self = PS_HISTOGRAM_VIEW (object);

  if (self->document != NULL)
    g_clear_signal_handler (&self->changed_handler, self->document);
  g_clear_object (&self->document);

  G_OBJECT_CLASS (ps_histogram_view_parent_class)->dispose (object);
}

static void
ps_histogram_view_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  PsHistogramView *self = PS_HISTOGRAM_VIEW (object);

  switch (prop_id)
    {
    case PROP_DOCUMENT:
      g_value_set_object (value, self->document);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ps_histogram_view_set_property (GObject *object, guint prop_id, const GValue *value, GParamSpec *pspec)
{
  PsHistogramView *self = PS_HISTOGRAM_VIEW (object);

  switch (prop_id)
    {
    case PROP_DOCUMENT:
      ps_histogram_view_set_document (self, g_value_get_object (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ps_histogram_view_class_init (PsHistogramViewClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = ps_histogram_view_dispose;
  object_class->get_property = ps_histogram_view_get_property;
  object_class->set_property = ps_histogram_view_set_property;
  widget_class->snapshot = ps_histogram_view_snapshot;
  widget_class->measure = ps_histogram_view_measure;

  properties[PROP_DOCUMENT] =
    g_param_spec_object ("document", NULL, NULL, PS_TYPE_DOCUMENT,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_css_name (widget_class, "ps-histogram");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_IMG);
}

static void
ps_histogram_view_init (PsHistogramView *self)
{
  GtkGesture *drag = gtk_gesture_drag_new ();
  GtkGesture *click = gtk_gesture_click_new ();
  GtkEventController *move = gtk_event_controller_motion_new ();

  g_signal_connect (drag, "drag-begin", G_CALLBACK (drag_begin), self);
  g_signal_connect (drag, "drag-update", G_CALLBACK (drag_update), self);
  gtk_widget_add_controller (GTK_WIDGET (self), GTK_EVENT_CONTROLLER (drag));
  g_signal_connect (click, "pressed", G_CALLBACK (pressed), self);
  gtk_widget_add_controller (GTK_WIDGET (self), GTK_EVENT_CONTROLLER (click));
  g_signal_connect (move, "motion", G_CALLBACK (motion), self);
  gtk_widget_add_controller (GTK_WIDGET (self), move);
  gtk_widget_set_tooltip_text (GTK_WIDGET (self),
                               _("Drag a limit to change the display window; drag inside to shift it; "
                                 "double-click for Auto"));
}
