/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "ps-volume-view"

#include "config.h"

#include <epoxy/gl.h>
#include <glib/gi18n.h>
#include <math.h>

#include "ps-atomic-file.h"
#include "ps-core-glib.h"
#include "ps-error.h"
#include "ps-job.h"
#include "ps-volume-view.h"

/* Pointer idle this long after a drag or scroll: back to full quality. */
#define SETTLE_US (180 * 1000)
#define INTERACTIVE_RESOLUTION 0.5f
#define INTERACTIVE_STEP 2.0f

struct _PsVolumeView
{
  GtkGLArea parent_instance;

  /* Owned: the model's data as last given. */
  PsVolume *volume;
  PsLabels *pores;
  PsLabels *carbon;
  gboolean volume_dirty;      /* volume (and labels) must be prepared again */
  gboolean labels_dirty;      /* labels only */

  /* Owned: GL side (valid between realize and unrealize). */
  PsGlRenderer *renderer;
  PsGlVolumeLimits limits;
  PsGlVolumeData *pending;    /* prepared, waiting for upload in render */
  gboolean data_error;        /* the pane's error is about the data, not GL */

  /* Owned: preparation on the compute pool (the newest job only). */
  PsJob *prep_job;
  gboolean busy;

  PsGlScene scene;
  PsGlCamera camera;
  PsViewPreset preset;
  gboolean camera_fitted;

  /* Interaction. */
  guint tick_id;
  gint64 last_motion_us;
  gboolean interacting;
  double drag_x, drag_y;      /* last pointer position of the drag, px */
  gboolean drag_pan;
};

G_DEFINE_FINAL_TYPE (PsVolumeView, ps_volume_view, GTK_TYPE_GL_AREA)

enum
{
  PROP_0,
  PROP_MODE,
  PROP_VIEW,
  PROP_PERSPECTIVE,
  PROP_NOTICE,
  PROP_BUSY,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

GType
ps_render_mode_get_type (void)
{
  static gsize type = 0;
  if (g_once_init_enter (&type))
    {
      static const GEnumValue values[] = {
        { PS_RENDER_MODE_DVR, "PS_RENDER_MODE_DVR", "dvr" },
        { PS_RENDER_MODE_MIP, "PS_RENDER_MODE_MIP", "mip" },
        { PS_RENDER_MODE_ISO, "PS_RENDER_MODE_ISO", "iso" },
        { PS_RENDER_MODE_LABELS, "PS_RENDER_MODE_LABELS", "labels" },
        { 0, NULL, NULL },
      };
      g_once_init_leave (&type, g_enum_register_static ("PsRenderMode", values));
    }
  return type;
}

GType
ps_view_preset_get_type (void)
{
  static gsize type = 0;
  if (g_once_init_enter (&type))
    {
      static const GEnumValue values[] = {
        { PS_VIEW_FRONT, "PS_VIEW_FRONT", "front" },
        { PS_VIEW_TOP, "PS_VIEW_TOP", "top" },
        { PS_VIEW_RIGHT, "PS_VIEW_RIGHT", "right" },
        { PS_VIEW_ISO, "PS_VIEW_ISO", "iso" },
        { 0, NULL, NULL },
      };
      g_once_init_leave (&type, g_enum_register_static ("PsViewPreset", values));
    }
  return type;
}

/* ---- preparation on a worker thread ------------------------------------- */

typedef struct
{
  PsVolume *volume;
  PsLabels *pores;
  PsLabels *carbon;
  PsGlVolumeData *base;       /* labels-only update: the uploaded geometry */
  PsGlVolumeLimits limits;
} PrepJob;

static void
prep_job_free (gpointer p)
{
  PrepJob *job = p;
  g_clear_pointer (&job->volume, ps_volume_unref);
  g_clear_pointer (&job->pores, ps_labels_unref);
  g_clear_pointer (&job->carbon, ps_labels_unref);
  g_clear_pointer (&job->base, ps_gl_volume_data_free);
  g_free (job);
}

static gpointer
prep_worker (PsJob *job, gpointer data, const PsProgress *progress, GError **error)
{
  PrepJob *pj = data;
  pj->limits.n_threads = ps_job_get_n_threads (job);
  if (pj->base != NULL)
    return ps_gl_volume_data_new_labels (pj->base, pj->pores, pj->carbon, &pj->limits, progress, error);
  return ps_gl_volume_data_new (pj->volume, pj->pores, pj->carbon, &pj->limits, progress, error);
}

static void
set_busy (PsVolumeView *self, gboolean busy)
{
  if (self->busy == busy)
    return;
  self->busy = busy;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_BUSY]);
}

static void
prep_done_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(PsVolumeView) self = user_data;   /* the ref taken at the start */
  PsJob *job = PS_JOB (source);
  gboolean labels_only = GPOINTER_TO_INT (g_object_get_data (source, "labels-only"));
  g_autoptr(GError) error = NULL;
  PsGlVolumeData *data = ps_job_run_finish (job, result, &error);

  if (job != self->prep_job || g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      /* Superseded by a newer request (or the widget went away). */
      g_clear_pointer (&data, ps_gl_volume_data_free);
      return;
    }
  g_clear_object (&self->prep_job);
  set_busy (self, FALSE);
  if (data == NULL)
    {
      if (labels_only)
        {
          /* Labels that cannot be shown: keep showing the volume. */
          g_warning ("%s", error->message);
          return;
        }
      /* A volume that cannot be shown at all: say why in the pane. */
      gtk_gl_area_set_error (GTK_GL_AREA (self), error);
      self->data_error = TRUE;
      return;
    }
  if (self->data_error)
    {
      gtk_gl_area_set_error (GTK_GL_AREA (self), NULL);
      self->data_error = FALSE;
    }
  g_clear_pointer (&self->pending, ps_gl_volume_data_free);
  self->pending = data;
  gtk_gl_area_queue_render (GTK_GL_AREA (self));
}

static void
start_prep (PsVolumeView *self)
{
  PrepJob *job;
  const PsGlVolumeData *uploaded;
  gboolean labels_only;

  if (self->renderer == NULL || (!self->volume_dirty && !self->labels_dirty))
    return;
  if (self->prep_job != NULL)
    ps_job_cancel (self->prep_job);
  g_clear_object (&self->prep_job);

  if (self->volume == NULL)
    {
      /* Nothing to show: drop the textures by recreating the renderer state. */
      self->volume_dirty = self->labels_dirty = FALSE;
      g_clear_pointer (&self->pending, ps_gl_volume_data_free);
      set_busy (self, FALSE);
      gtk_gl_area_queue_render (GTK_GL_AREA (self));
      return;
    }

  job = g_new0 (PrepJob, 1);
  job->limits = self->limits;
  job->limits.n_threads = 0;
  job->pores = self->pores ? ps_labels_ref (self->pores) : NULL;
  job->carbon = self->carbon ? ps_labels_ref (self->carbon) : NULL;
  uploaded = self->pending ? self->pending : ps_gl_renderer_get_data (self->renderer);
  if (!self->volume_dirty && uploaded != NULL && uploaded->bricks != NULL)
    {
      job->base = g_new0 (PsGlVolumeData, 1);
      *job->base = *uploaded;
      job->base->intensity = NULL;
      job->base->codes = NULL;
      job->base->notice = g_strdup (uploaded->notice);
      job->base->bricks = g_memdup2 (uploaded->bricks, 4 * sizeof (guint16) * uploaded->brick_dims[0] *
                                                       uploaded->brick_dims[1] * uploaded->brick_dims[2]);
    }
  else
    job->volume = ps_volume_ref (self->volume);
  self->volume_dirty = self->labels_dirty = FALSE;
  labels_only = job->base != NULL;

  self->prep_job = ps_job_new (_("Preparing the 3D view"), prep_worker, job, prep_job_free,
                               (GDestroyNotify) ps_gl_volume_data_free);
  g_object_set_data (G_OBJECT (self->prep_job), "labels-only", GINT_TO_POINTER (labels_only));
  set_busy (self, TRUE);
  ps_job_run_async (self->prep_job, NULL, prep_done_cb, g_object_ref (self));
}

/* ---- GL life cycle ------------------------------------------------------ */

static void
ps_volume_view_realize (GtkWidget *widget)
{
  PsVolumeView *self = PS_VOLUME_VIEW (widget);
  GtkGLArea *area = GTK_GL_AREA (widget);
  g_autoptr(GError) error = NULL;

  GTK_WIDGET_CLASS (ps_volume_view_parent_class)->realize (widget);
  gtk_gl_area_make_current (area);
  if (gtk_gl_area_get_error (area) != NULL)
    return;
  self->renderer = ps_gl_renderer_new (&error);
  if (self->renderer == NULL)
    {
      gtk_gl_area_set_error (area, error);
      return;
    }
  ps_gl_renderer_get_limits (self->renderer, &self->limits);
  if (self->volume != NULL)
    {
      self->volume_dirty = TRUE;
      start_prep (self);
    }
}

static void
ps_volume_view_unrealize (GtkWidget *widget)
{
  PsVolumeView *self = PS_VOLUME_VIEW (widget);
  GtkGLArea *area = GTK_GL_AREA (widget);

  if (self->prep_job != NULL)
    ps_job_cancel (self->prep_job);
  g_clear_object (&self->prep_job);
  set_busy (self, FALSE);
  g_clear_pointer (&self->pending, ps_gl_volume_data_free);
  if (self->renderer != NULL)
    {
      gtk_gl_area_make_current (area);
      g_clear_pointer (&self->renderer, ps_gl_renderer_free);
    }
  if (self->tick_id != 0)
    {
      gtk_widget_remove_tick_callback (widget, self->tick_id);
      self->tick_id = 0;
    }
  GTK_WIDGET_CLASS (ps_volume_view_parent_class)->unrealize (widget);
}

/* Upload what the worker prepared; needs the context current. */
static gboolean
flush_pending (PsVolumeView *self, GError **error)
{
  g_autoptr(PsGlVolumeData) data = g_steal_pointer (&self->pending);
  float extent[3];
  if (data == NULL)
    return TRUE;
  if (!ps_gl_renderer_upload (self->renderer, data, error))
    return FALSE;
  ps_gl_renderer_get_extent (self->renderer, extent);
  if (!self->camera_fitted || data->intensity != NULL)
    {
      gboolean persp = self->camera.perspective;
      ps_gl_camera_init (&self->camera, extent);
      self->camera.perspective = persp;
      ps_gl_camera_set_preset (&self->camera, self->preset);
      self->camera_fitted = TRUE;
    }
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_NOTICE]);
  return TRUE;
}

static gboolean
ps_volume_view_render (GtkGLArea *area, GdkGLContext *context)
{
  PsVolumeView *self = PS_VOLUME_VIEW (area);
  g_autoptr(GError) error = NULL;
  GtkWidget *widget = GTK_WIDGET (area);
  int scale = gtk_widget_get_scale_factor (widget);
  int w = gtk_widget_get_width (widget) * scale;
  int h = gtk_widget_get_height (widget) * scale;
  GLint fbo = 0;
  PsGlScene scene;

  if (self->renderer == NULL)
    return TRUE;
  if (!flush_pending (self, &error))
    {
      /* The GPU refused the textures: a smaller volume may still work. */
      gtk_gl_area_set_error (area, error);
      self->data_error = TRUE;
      return TRUE;
    }
  glGetIntegerv (GL_DRAW_FRAMEBUFFER_BINDING, &fbo);
  scene = self->scene;
  scene.overlay_scale = self->scene.overlay_scale * scale;
  if (self->interacting)
    scene.step_factor = self->scene.step_factor * INTERACTIVE_STEP;
  if (!ps_gl_renderer_draw (self->renderer, &scene, &self->camera, (GLuint) fbo, w, h,
                            self->interacting ? INTERACTIVE_RESOLUTION : 1.0f, &error))
    gtk_gl_area_set_error (area, error);
  return TRUE;
}

/* ---- interaction ---------------------------------------------------------- */

static gboolean
tick_cb (GtkWidget *widget, GdkFrameClock *clock, gpointer user_data)
{
  PsVolumeView *self = PS_VOLUME_VIEW (widget);
  if (self->interacting && g_get_monotonic_time () - self->last_motion_us > SETTLE_US)
    {
      /* The pointer stopped: one frame at full quality. */
      self->interacting = FALSE;
      gtk_gl_area_queue_render (GTK_GL_AREA (self));
    }
  if (!self->interacting)
    {
      self->tick_id = 0;
      return G_SOURCE_REMOVE;
    }
  return G_SOURCE_CONTINUE;
}

static void
interaction (PsVolumeView *self)
{
  self->interacting = TRUE;
  self->last_motion_us = g_get_monotonic_time ();
  if (self->tick_id == 0)
    self->tick_id = gtk_widget_add_tick_callback (GTK_WIDGET (self), tick_cb, NULL, NULL);
  gtk_gl_area_queue_render (GTK_GL_AREA (self));
}

static void
to_ndc (PsVolumeView *self, double x, double y, float *nx, float *ny)
{
  int w = MAX (1, gtk_widget_get_width (GTK_WIDGET (self)));
  int h = MAX (1, gtk_widget_get_height (GTK_WIDGET (self)));
  *nx = (float) (2.0 * x / w - 1.0);
  *ny = (float) (1.0 - 2.0 * y / h);
}

static void
drag_begin_cb (GtkGestureDrag *gesture, double x, double y, PsVolumeView *self)
{
  GdkModifierType mods = gtk_event_controller_get_current_event_state (GTK_EVENT_CONTROLLER (gesture));
  guint button = gtk_gesture_single_get_current_button (GTK_GESTURE_SINGLE (gesture));
  self->drag_x = x;
  self->drag_y = y;
  self->drag_pan = button != GDK_BUTTON_PRIMARY || (mods & GDK_SHIFT_MASK) != 0;
}

static void
drag_update_cb (GtkGestureDrag *gesture, double dx, double dy, PsVolumeView *self)
{
  double sx, sy, x, y;
  float x0, y0, x1, y1;
  float aspect = (float) MAX (1, gtk_widget_get_width (GTK_WIDGET (self))) /
                 (float) MAX (1, gtk_widget_get_height (GTK_WIDGET (self)));

  gtk_gesture_drag_get_start_point (gesture, &sx, &sy);
  x = sx + dx;
  y = sy + dy;
  to_ndc (self, self->drag_x, self->drag_y, &x0, &y0);
  to_ndc (self, x, y, &x1, &y1);
  if (self->drag_pan)
    ps_gl_camera_pan (&self->camera, aspect, x1 - x0, y1 - y0);
  else
    ps_gl_camera_trackball (&self->camera, aspect, x0, y0, x1, y1);
  self->drag_x = x;
  self->drag_y = y;
  interaction (self);
}

static gboolean
scroll_cb (GtkEventControllerScroll *controller, double dx, double dy, PsVolumeView *self)
{
  ps_gl_camera_zoom (&self->camera, powf (1.15f, (float) -dy));
  interaction (self);
  return TRUE;
}

/* ---- GObject ------------------------------------------------------------- */

static void
ps_volume_view_dispose (GObject *object)
{
  PsVolumeView *self = PS_VOLUME_VIEW (object);
  if (self->prep_job != NULL)
    ps_job_cancel (self->prep_job);
  g_clear_object (&self->prep_job);
  g_clear_pointer (&self->volume, ps_volume_unref);
  g_clear_pointer (&self->pores, ps_labels_unref);
  g_clear_pointer (&self->carbon, ps_labels_unref);
  g_clear_pointer (&self->pending, ps_gl_volume_data_free);
  G_OBJECT_CLASS (ps_volume_view_parent_class)->dispose (object);
}

static void
ps_volume_view_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  PsVolumeView *self = PS_VOLUME_VIEW (object);
  switch (prop_id)
    {
    case PROP_MODE:
      g_value_set_enum (value, self->scene.mode);
      break;
    case PROP_VIEW:
      g_value_set_enum (value, self->preset);
      break;
    case PROP_PERSPECTIVE:
      g_value_set_boolean (value, self->camera.perspective);
      break;
    case PROP_NOTICE:
      g_value_set_string (value, ps_volume_view_get_notice (self));
      break;
    case PROP_BUSY:
      g_value_set_boolean (value, self->busy);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ps_volume_view_set_property (GObject *object, guint prop_id, const GValue *value, GParamSpec *pspec)
{
  PsVolumeView *self = PS_VOLUME_VIEW (object);
  switch (prop_id)
    {
    case PROP_MODE:
      ps_volume_view_set_mode (self, g_value_get_enum (value));
      break;
    case PROP_VIEW:
      ps_volume_view_set_view (self, g_value_get_enum (value));
      break;
    case PROP_PERSPECTIVE:
      ps_volume_view_set_perspective (self, g_value_get_boolean (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ps_volume_view_class_init (PsVolumeViewClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  GtkGLAreaClass *area_class = GTK_GL_AREA_CLASS (klass);

  object_class->dispose = ps_volume_view_dispose;
  object_class->get_property = ps_volume_view_get_property;
  object_class->set_property = ps_volume_view_set_property;
  widget_class->realize = ps_volume_view_realize;
  widget_class->unrealize = ps_volume_view_unrealize;
  area_class->render = ps_volume_view_render;

  properties[PROP_MODE] = g_param_spec_enum ("mode", NULL, NULL, PS_TYPE_RENDER_MODE, PS_RENDER_MODE_DVR,
                                             G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_VIEW] = g_param_spec_enum ("view", NULL, NULL, PS_TYPE_VIEW_PRESET, PS_VIEW_FRONT,
                                             G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_PERSPECTIVE] = g_param_spec_boolean ("perspective", NULL, NULL, FALSE,
                                                       G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY |
                                                       G_PARAM_STATIC_STRINGS);
  properties[PROP_NOTICE] = g_param_spec_string ("notice", NULL, NULL, NULL,
                                                 G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_BUSY] = g_param_spec_boolean ("busy", NULL, NULL, FALSE,
                                                G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_css_name (widget_class, "psvolumeview");
}

static void
ps_volume_view_init (PsVolumeView *self)
{
  GtkGesture *drag;
  GtkEventController *scroll;
  static const float unit[3] = { 1, 1, 1 };

  gtk_gl_area_set_required_version (GTK_GL_AREA (self), 3, 3);
  gtk_gl_area_set_has_depth_buffer (GTK_GL_AREA (self), TRUE);
  gtk_gl_area_set_auto_render (GTK_GL_AREA (self), TRUE);
  gtk_widget_set_hexpand (GTK_WIDGET (self), TRUE);
  gtk_widget_set_vexpand (GTK_WIDGET (self), TRUE);
  gtk_widget_set_size_request (GTK_WIDGET (self), 160, 120);

  ps_gl_scene_init (&self->scene);
  ps_gl_camera_init (&self->camera, unit);
  self->preset = PS_VIEW_FRONT;
  self->limits.max_3d_size = 2048;
  self->limits.format = PS_RENDER_TEX_U16;
  self->limits.auto_u8 = TRUE;

  drag = gtk_gesture_drag_new ();
  gtk_gesture_single_set_button (GTK_GESTURE_SINGLE (drag), 0);
  g_signal_connect (drag, "drag-begin", G_CALLBACK (drag_begin_cb), self);
  g_signal_connect (drag, "drag-update", G_CALLBACK (drag_update_cb), self);
  gtk_widget_add_controller (GTK_WIDGET (self), GTK_EVENT_CONTROLLER (drag));

  scroll = gtk_event_controller_scroll_new (GTK_EVENT_CONTROLLER_SCROLL_VERTICAL);
  g_signal_connect (scroll, "scroll", G_CALLBACK (scroll_cb), self);
  gtk_widget_add_controller (GTK_WIDGET (self), scroll);
}

/* ---- public API ------------------------------------------------------------ */

GtkWidget *
ps_volume_view_new (void)
{
  return g_object_new (PS_TYPE_VOLUME_VIEW, NULL);
}

void
ps_volume_view_queue_redraw (PsVolumeView *self)
{
  g_return_if_fail (PS_IS_VOLUME_VIEW (self));
  gtk_gl_area_queue_render (GTK_GL_AREA (self));
}

void
ps_volume_view_set_volume (PsVolumeView *self, PsVolume *volume)
{
  g_return_if_fail (PS_IS_VOLUME_VIEW (self));
  if (volume == self->volume)
    return;
  g_clear_pointer (&self->volume, ps_volume_unref);
  self->volume = volume ? ps_volume_ref (volume) : NULL;
  /* Labels belong to the old volume unless they match the new one. */
  if (self->pores != NULL && (volume == NULL || self->pores->nx != volume->nx || self->pores->ny != volume->ny ||
                              self->pores->nz != volume->nz))
    g_clear_pointer (&self->pores, ps_labels_unref);
  if (self->carbon != NULL && (volume == NULL || self->carbon->nx != volume->nx ||
                               self->carbon->ny != volume->ny || self->carbon->nz != volume->nz))
    g_clear_pointer (&self->carbon, ps_labels_unref);
  self->volume_dirty = TRUE;
  self->camera_fitted = FALSE;
  if (volume == NULL && self->renderer != NULL)
    {
      /* Drop the textures: a fresh renderer (the context is ours). */
      g_autoptr(GError) error = NULL;
      gtk_gl_area_make_current (GTK_GL_AREA (self));
      g_clear_pointer (&self->renderer, ps_gl_renderer_free);
      self->renderer = ps_gl_renderer_new (&error);
      if (self->renderer == NULL)
        gtk_gl_area_set_error (GTK_GL_AREA (self), error);
    }
  start_prep (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_NOTICE]);
  gtk_gl_area_queue_render (GTK_GL_AREA (self));
}

void
ps_volume_view_set_window (PsVolumeView *self, double lo, double hi)
{
  g_return_if_fail (PS_IS_VOLUME_VIEW (self));
  self->scene.window_lo = lo;
  self->scene.window_hi = hi;
  gtk_gl_area_queue_render (GTK_GL_AREA (self));
}

void
ps_volume_view_set_threshold (PsVolumeView *self, double threshold)
{
  g_return_if_fail (PS_IS_VOLUME_VIEW (self));
  self->scene.threshold = threshold;
  gtk_gl_area_queue_render (GTK_GL_AREA (self));
}

void
ps_volume_view_set_labels (PsVolumeView *self, PsLabels *pores, PsLabels *carbon)
{
  g_return_if_fail (PS_IS_VOLUME_VIEW (self));
  if (pores == self->pores && carbon == self->carbon)
    return;
  if (pores != NULL)
    ps_labels_ref (pores);
  if (carbon != NULL)
    ps_labels_ref (carbon);
  g_clear_pointer (&self->pores, ps_labels_unref);
  g_clear_pointer (&self->carbon, ps_labels_unref);
  self->pores = pores;
  self->carbon = carbon;
  /* Without carbon labels, carbon is what reaches the threshold. */
  self->scene.threshold_carbon = carbon == NULL;
  self->labels_dirty = TRUE;
  start_prep (self);
}

void
ps_volume_view_set_phase_style (PsVolumeView *self, guint phase, const GdkRGBA *color, double opacity)
{
  float *rgba;
  g_return_if_fail (PS_IS_VOLUME_VIEW (self));
  g_return_if_fail (phase == PS_RENDER_PHASE_CARBON || phase == PS_RENDER_PHASE_PORE);
  rgba = phase == PS_RENDER_PHASE_CARBON ? self->scene.carbon_rgba : self->scene.pore_rgba;
  if (color != NULL)
    {
      rgba[0] = color->red;
      rgba[1] = color->green;
      rgba[2] = color->blue;
    }
  rgba[3] = (float) CLAMP (opacity, 0.0, 1.0);
  gtk_gl_area_queue_render (GTK_GL_AREA (self));
}

void
ps_volume_view_set_highlight (PsVolumeView *self, guint phase, guint32 label)
{
  g_return_if_fail (PS_IS_VOLUME_VIEW (self));
  self->scene.highlight_phase = label != 0 ? phase : 0;
  self->scene.highlight_label = label;
  gtk_gl_area_queue_render (GTK_GL_AREA (self));
}

void
ps_volume_view_set_crosshair (PsVolumeView *self, double x, double y, double z, gboolean show_slices)
{
  g_return_if_fail (PS_IS_VOLUME_VIEW (self));
  self->scene.crosshair[0] = x;
  self->scene.crosshair[1] = y;
  self->scene.crosshair[2] = z;
  self->scene.show_slices = show_slices;
  gtk_gl_area_queue_render (GTK_GL_AREA (self));
}

void
ps_volume_view_set_subvolume (PsVolumeView *self, const PsBox *box, gboolean clip)
{
  g_return_if_fail (PS_IS_VOLUME_VIEW (self));
  if (box != NULL)
    self->scene.subvolume = *box;
  else
    memset (&self->scene.subvolume, 0, sizeof self->scene.subvolume);
  self->scene.show_subvolume = box != NULL;
  self->scene.clip = box != NULL && clip;
  gtk_gl_area_queue_render (GTK_GL_AREA (self));
}

void
ps_volume_view_set_mode (PsVolumeView *self, PsRenderMode mode)
{
  g_return_if_fail (PS_IS_VOLUME_VIEW (self));
  g_return_if_fail ((guint) mode < PS_RENDER_N_MODES);
  if (self->scene.mode == mode)
    return;
  self->scene.mode = mode;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MODE]);
  gtk_gl_area_queue_render (GTK_GL_AREA (self));
}

PsRenderMode
ps_volume_view_get_mode (PsVolumeView *self)
{
  g_return_val_if_fail (PS_IS_VOLUME_VIEW (self), PS_RENDER_MODE_DVR);
  return self->scene.mode;
}

void
ps_volume_view_set_view (PsVolumeView *self, PsViewPreset preset)
{
  g_return_if_fail (PS_IS_VOLUME_VIEW (self));
  self->preset = preset;
  ps_gl_camera_set_preset (&self->camera, preset);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_VIEW]);
  gtk_gl_area_queue_render (GTK_GL_AREA (self));
}

void
ps_volume_view_set_perspective (PsVolumeView *self, gboolean perspective)
{
  g_return_if_fail (PS_IS_VOLUME_VIEW (self));
  perspective = !!perspective;
  if (self->camera.perspective == perspective)
    return;
  self->camera.perspective = perspective;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PERSPECTIVE]);
  gtk_gl_area_queue_render (GTK_GL_AREA (self));
}

gboolean
ps_volume_view_get_perspective (PsVolumeView *self)
{
  g_return_val_if_fail (PS_IS_VOLUME_VIEW (self), FALSE);
  return self->camera.perspective;
}

void
ps_volume_view_set_overlays (PsVolumeView *self, gboolean bbox, gboolean triad, gboolean scale_bar)
{
  g_return_if_fail (PS_IS_VOLUME_VIEW (self));
  self->scene.show_bbox = bbox;
  self->scene.show_triad = triad;
  self->scene.show_scale_bar = scale_bar;
  gtk_gl_area_queue_render (GTK_GL_AREA (self));
}

const char *
ps_volume_view_get_notice (PsVolumeView *self)
{
  g_return_val_if_fail (PS_IS_VOLUME_VIEW (self), NULL);
  if (self->pending != NULL)
    return self->pending->notice;
  return self->renderer ? ps_gl_renderer_get_notice (self->renderer) : NULL;
}

gboolean
ps_volume_view_get_busy (PsVolumeView *self)
{
  g_return_val_if_fail (PS_IS_VOLUME_VIEW (self), FALSE);
  return self->busy;
}

PsGlScene *
ps_volume_view_get_scene (PsVolumeView *self)
{
  g_return_val_if_fail (PS_IS_VOLUME_VIEW (self), NULL);
  return &self->scene;
}

PsGlCamera *
ps_volume_view_get_camera (PsVolumeView *self)
{
  g_return_val_if_fail (PS_IS_VOLUME_VIEW (self), NULL);
  return &self->camera;
}

GdkTexture *
ps_volume_view_render_texture (PsVolumeView *self, int width, int height, GError **error)
{
  g_autofree guint8 *pixels = NULL;
  g_autoptr(GBytes) bytes = NULL;
  GtkGLArea *area = GTK_GL_AREA (self);
  PsGlScene scene;
  int wh = gtk_widget_get_height (GTK_WIDGET (self));

  g_return_val_if_fail (PS_IS_VOLUME_VIEW (self), NULL);
  if (!gtk_widget_get_realized (GTK_WIDGET (self)) || self->renderer == NULL)
    {
      const GError *gl_error = gtk_gl_area_get_error (area);
      g_set_error (error, PS_ERROR, PS_ERROR_CODE_FAILED, "3D export: %s",
                   gl_error ? gl_error->message : "the 3D view is not ready");
      return NULL;
    }
  gtk_gl_area_make_current (area);
  if (!flush_pending (self, error))
    return NULL;
  scene = self->scene;
  /* Overlays keep their size relative to the picture. */
  scene.overlay_scale = self->scene.overlay_scale * (wh > 0 ? (float) height / (float) wh : 1.0f);
  pixels = ps_gl_renderer_render_offscreen (self->renderer, &scene, &self->camera, width, height, error);
  if (pixels == NULL)
    return NULL;
  bytes = g_bytes_new_take (g_steal_pointer (&pixels), (gsize) width * height * 4);
  return gdk_memory_texture_new (width, height, GDK_MEMORY_R8G8B8A8, bytes, (gsize) width * 4);
}

gboolean
ps_volume_view_export_png (PsVolumeView *self, const char *path, int width, int height, GError **error)
{
  g_autoptr(GdkTexture) texture = ps_volume_view_render_texture (self, width, height, error);
  g_autoptr(GBytes) png = NULL;
  if (texture == NULL)
    return FALSE;
  png = gdk_texture_save_to_png_bytes (texture);
  return ps_write_file_atomic (path, g_bytes_get_data (png, NULL), g_bytes_get_size (png), error);
}
