/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "ps-movie"

#include "config.h"

#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <math.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#ifdef PS_HAVE_GSTREAMER
#include <gst/app/gstappsrc.h>
#include <gst/gst.h>
#endif

#include "ps-error.h"
#include "ps-export.h"
#include "ps-movie.h"

#define MAX_FRAMES 10000
/* Sweep frames: the slice magnified by an integer factor up to this edge. */
#define SWEEP_EDGE 720
/* Frames queued for the encoder before rendering waits. */
#define QUEUE_FRAMES 4

/* Shared with the job's worker, which only waits for the end (so the window's
 * progress banner and Cancel apply). */
typedef struct
{
  GMutex mutex;
  GCond cond;
  gboolean finished;
} Sync;

typedef struct
{
  GTask *task;                 /* owned while running */
  PsDocument *document;
  PsVolumeView *view;          /* rotation only */
  PsMovieOptions options;
  char *path;
  char *tmp_path;              /* file (WebM) or folder (PNG) beside @path */
  gboolean webm;
  PsJob *job;
  Sync *sync;
  guint frame;
  guint source_id;
  int fw, fh;                  /* frame size */
  versor rotation0;            /* camera at the start */
  gboolean has_labels;
  gboolean eos_pending;
#ifdef PS_HAVE_GSTREAMER
  GstElement *pipeline;
  GstElement *appsrc;
  guint bus_watch;
#endif
} Movie;

static void movie_schedule (Movie *m, guint delay_ms);

void
ps_movie_options_init (PsMovieOptions *o)
{
  o->kind = PS_MOVIE_ROTATE;
  o->n_frames = 72;
  o->overlay = FALSE;
  o->width = 960;
  o->height = 720;
  o->fps = 24;
}

gboolean
ps_movie_have_webm (void)
{
#ifdef PS_HAVE_GSTREAMER
  return TRUE;
#else
  return FALSE;
#endif
}

static gboolean
lookup_int (GVariantDict *dict, const char *key, gint64 *value)
{
  g_autoptr (GVariant) v = g_variant_dict_lookup_value (dict, key, NULL);
  if (v == NULL)
    return FALSE;
  if (g_variant_is_of_type (v, G_VARIANT_TYPE_INT32))
    *value = g_variant_get_int32 (v);
  else if (g_variant_is_of_type (v, G_VARIANT_TYPE_UINT32))
    *value = g_variant_get_uint32 (v);
  else if (g_variant_is_of_type (v, G_VARIANT_TYPE_INT64))
    *value = g_variant_get_int64 (v);
  else
    *value = G_MININT64;
  return TRUE;
}

gboolean
ps_movie_options_from_variant (GVariant *dict_variant, PsMovieOptions *o, char **path, GError **error)
{
  g_autoptr (GVariantDict) dict = g_variant_dict_new (dict_variant);
  const char *kind = NULL, *p = NULL;
  gint64 v;

  ps_movie_options_init (o);
  if (g_variant_dict_lookup (dict, "kind", "&s", &kind))
    {
      if (g_str_equal (kind, "rotate"))
        o->kind = PS_MOVIE_ROTATE;
      else if (g_str_equal (kind, "sweep"))
        o->kind = PS_MOVIE_SWEEP;
      else
        {
          g_set_error (error, PS_ERROR, PS_ERROR_CODE_INVALID_PARAMETER,
                       _("Unknown movie kind “%s” (rotate or sweep)"), kind);
          return FALSE;
        }
    }
  if (lookup_int (dict, "frames", &v))
    {
      if (v < 1 || v > MAX_FRAMES)
        {
          g_set_error (error, PS_ERROR, PS_ERROR_CODE_INVALID_PARAMETER,
                       _("A movie has 1 to %d frames"), MAX_FRAMES);
          return FALSE;
        }
      o->n_frames = (guint) v;
    }
  if (lookup_int (dict, "fps", &v))
    {
      if (v < 1 || v > 120)
        {
          g_set_error_literal (error, PS_ERROR, PS_ERROR_CODE_INVALID_PARAMETER,
                               _("The frame rate must be 1 to 120 frames per second"));
          return FALSE;
        }
      o->fps = (guint) v;
    }
  if (lookup_int (dict, "width", &v))
    o->width = v < 2 || v > PS_GL_MAX_EXPORT_SIZE ? -1 : (int) v;
  if (lookup_int (dict, "height", &v))
    o->height = v < 2 || v > PS_GL_MAX_EXPORT_SIZE ? -1 : (int) v;
  if (o->width < 0 || o->height < 0)
    {
      g_set_error (error, PS_ERROR, PS_ERROR_CODE_INVALID_PARAMETER,
                   _("Movie frames are 2 to %d pixels wide and high"), PS_GL_MAX_EXPORT_SIZE);
      return FALSE;
    }
  g_variant_dict_lookup (dict, "overlay", "b", &o->overlay);
  if (path != NULL)
    {
      if (!g_variant_dict_lookup (dict, "path", "&s", &p) || p[0] == '\0')
        {
          g_set_error_literal (error, PS_ERROR, PS_ERROR_CODE_INVALID_PARAMETER, _("The movie needs a path"));
          return FALSE;
        }
      *path = g_strdup (p);
    }
  return TRUE;
}

/* ---- the job that carries progress and Cancel ------------------------------------------------ */

static void
sync_clear (gpointer data)
{
  Sync *s = data;
  g_mutex_clear (&s->mutex);
  g_cond_clear (&s->cond);
}

static void
sync_release (gpointer data)
{
  g_atomic_rc_box_release_full (data, sync_clear);
}

static gpointer
movie_worker (PsJob *job, gpointer data, const PsProgress *progress, GError **error)
{
  Sync *s = data;
  gboolean finished;

  g_mutex_lock (&s->mutex);
  while (!s->finished && !ps_job_is_cancelled (job))
    g_cond_wait_until (&s->cond, &s->mutex, g_get_monotonic_time () + 50 * G_TIME_SPAN_MILLISECOND);
  finished = s->finished;
  g_mutex_unlock (&s->mutex);
  if (!finished)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_CANCELLED, _("Cancelled"));
      return NULL;
    }
  return GINT_TO_POINTER (1);
}

static void
job_done (PsDocument *document, gpointer result, gpointer user_data)
{
}

/* ---- ending --------------------------------------------------------------------------------- */

static void
remove_tmp (Movie *m)
{
  if (m->tmp_path == NULL)
    return;
  if (g_file_test (m->tmp_path, G_FILE_TEST_IS_DIR))
    {
      g_autoptr (GDir) dir = g_dir_open (m->tmp_path, 0, NULL);
      const char *name;
      while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
        {
          g_autofree char *f = g_build_filename (m->tmp_path, name, NULL);
          g_unlink (f);
        }
      g_rmdir (m->tmp_path);
    }
  else
    g_unlink (m->tmp_path);
}

static void
movie_free (Movie *m)
{
  g_clear_handle_id (&m->source_id, g_source_remove);
#ifdef PS_HAVE_GSTREAMER
  g_clear_handle_id (&m->bus_watch, g_source_remove);
  if (m->pipeline != NULL)
    gst_element_set_state (m->pipeline, GST_STATE_NULL);
  g_clear_object (&m->appsrc);
  g_clear_object (&m->pipeline);
#endif
  if (m->sync != NULL)
    {
      g_mutex_lock (&m->sync->mutex);
      m->sync->finished = TRUE;
      g_cond_broadcast (&m->sync->cond);
      g_mutex_unlock (&m->sync->mutex);
      sync_release (m->sync);
    }
  g_clear_object (&m->job);
  g_clear_object (&m->document);
  g_clear_object (&m->view);
  g_free (m->path);
  g_free (m->tmp_path);
  g_free (m);
}

/* Finish with @error (taken) or success. */
static void
movie_end (Movie *m, GError *error)
{
  GTask *task = m->task;

  m->task = NULL;
  g_clear_handle_id (&m->source_id, g_source_remove);
#ifdef PS_HAVE_GSTREAMER
  g_clear_handle_id (&m->bus_watch, g_source_remove);
  if (m->pipeline != NULL)
    gst_element_set_state (m->pipeline, GST_STATE_NULL);
#endif
  if (error == NULL)
    {
      /* Into place: an empty folder at the target is replaced. */
      if (!m->webm && g_file_test (m->path, G_FILE_TEST_IS_DIR))
        g_rmdir (m->path);
      if (g_rename (m->tmp_path, m->path) != 0)
        {
          int errsv = errno;
          error = g_error_new (G_FILE_ERROR, g_file_error_from_errno (errsv), "%s: %s", m->path,
                               g_strerror (errsv));
        }
      else
        g_clear_pointer (&m->tmp_path, g_free);
    }
  if (error != NULL)
    {
      remove_tmp (m);
      g_task_return_error (task, error);
    }
  else
    {
      ps_job_set_progress (m->job, 1.0, NULL);
      g_task_return_int (task, m->options.n_frames);
    }
  g_object_unref (task);   /* frees m (task data) */
}

#ifdef PS_HAVE_GSTREAMER
static gboolean
bus_cb (GstBus *bus, GstMessage *msg, gpointer data)
{
  Movie *m = data;

  switch (GST_MESSAGE_TYPE (msg))
    {
    case GST_MESSAGE_EOS:
      m->bus_watch = 0;
      movie_end (m, NULL);
      return G_SOURCE_REMOVE;
    case GST_MESSAGE_ERROR:
      {
        g_autoptr (GError) gst_error = NULL;
        g_autofree char *debug = NULL;
        gst_message_parse_error (msg, &gst_error, &debug);
        m->bus_watch = 0;
        movie_end (m, g_error_new (PS_ERROR, PS_ERROR_CODE_FAILED, "%s: %s", m->path, gst_error->message));
        return G_SOURCE_REMOVE;
      }
    default:
      return G_SOURCE_CONTINUE;
    }
}

static gboolean
start_pipeline (Movie *m, GError **error)
{
  g_autoptr (GstCaps) caps = NULL;
  g_autoptr (GstBus) bus = NULL;
  g_autoptr (GstElement) sink = NULL;
  GError *parse_error = NULL;

  if (!gst_init_check (NULL, NULL, error))
    return FALSE;
  m->pipeline = gst_parse_launch ("appsrc name=src format=time ! videoconvert ! "
                                  "vp8enc deadline=1 cpu-used=4 target-bitrate=4000000 keyframe-max-dist=60 ! "
                                  "webmmux ! filesink name=sink",
                                  &parse_error);
  if (m->pipeline == NULL || parse_error != NULL)
    {
      g_set_error (error, PS_ERROR, PS_ERROR_CODE_FAILED, _("%s: GStreamer cannot encode WebM (%s)"), m->path,
                   parse_error ? parse_error->message : "?");
      g_clear_error (&parse_error);
      return FALSE;
    }
  gst_object_ref_sink (m->pipeline);
  m->appsrc = gst_bin_get_by_name (GST_BIN (m->pipeline), "src");
  sink = gst_bin_get_by_name (GST_BIN (m->pipeline), "sink");
  caps = gst_caps_new_simple ("video/x-raw", "format", G_TYPE_STRING, "BGRA", "width", G_TYPE_INT, m->fw, "height",
                              G_TYPE_INT, m->fh, "framerate", GST_TYPE_FRACTION, (int) m->options.fps, 1, NULL);
  gst_app_src_set_caps (GST_APP_SRC (m->appsrc), caps);
  g_object_set (sink, "location", m->tmp_path, NULL);
  bus = gst_element_get_bus (m->pipeline);
  m->bus_watch = gst_bus_add_watch (bus, bus_cb, m);
  if (gst_element_set_state (m->pipeline, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE)
    {
      g_set_error (error, PS_ERROR, PS_ERROR_CODE_FAILED, _("%s: GStreamer cannot encode WebM"), m->path);
      return FALSE;
    }
  return TRUE;
}
#endif

/* ---- frames --------------------------------------------------------------------------------- */

/* The frame as BGRA (premultiplied ARGB32 in native order), fw × fh. */
static guint8 *
render_frame (Movie *m, GError **error)
{
  guint8 *out = g_try_malloc ((gsize) m->fw * m->fh * 4);

  if (out == NULL)
    {
      ps_set_error_too_large (error, _("Movie"), (guint64) m->fw * m->fh * 4);
      return NULL;
    }
  if (m->options.kind == PS_MOVIE_ROTATE)
    {
      PsGlCamera *cam = ps_volume_view_get_camera (m->view);
      PsGlScene *scene = ps_volume_view_get_scene (m->view);
      PsGlCamera saved = *cam;
      PsRenderMode mode = scene->mode;
      g_autoptr (GdkTexture) texture = NULL;
      versor q;
      vec3 axis, up = { 0.0f, 1.0f, 0.0f };
      float angle = (float) (2.0 * G_PI * m->frame / m->options.n_frames);

      /* A turntable: about the volume axis nearest the screen's vertical. */
      glm_quat_rotatev (m->rotation0, up, axis);
      {
        int k = 0;
        for (int a = 1; a < 3; a++)
          if (fabsf (axis[a]) > fabsf (axis[k]))
            k = a;
        vec3 e = { 0.0f, 0.0f, 0.0f };
        e[k] = axis[k] < 0 ? -1.0f : 1.0f;
        glm_vec3_copy (e, axis);
      }
      glm_quatv (q, angle, axis);
      glm_quat_mul (q, m->rotation0, cam->rotation);
      glm_quat_normalize (cam->rotation);
      if (m->options.overlay && m->has_labels)
        scene->mode = PS_RENDER_MODE_LABELS;
      else if (!m->options.overlay && mode == PS_RENDER_MODE_LABELS)
        scene->mode = PS_RENDER_MODE_DVR;
      texture = ps_volume_view_render_texture (m->view, m->fw, m->fh, error);
      *cam = saved;
      scene->mode = mode;
      if (texture == NULL)
        {
          g_free (out);
          return NULL;
        }
      gdk_texture_download (texture, out, (gsize) m->fw * 4);
    }
  else
    {
      PsVolume *vol = ps_document_get_volume (m->document);
      gsize z = (gsize) ((guint64) m->frame * vol->nz / m->options.n_frames);
      g_autoptr (GdkTexture) texture = ps_export_render_slice_at (m->document, PS_SLICE_XY, z, m->options.overlay,
                                                                  error);
      g_autofree guint8 *slice = NULL;
      cairo_surface_t *src, *dst;
      cairo_t *cr;
      int sw, sh, k;

      if (texture == NULL)
        {
          g_free (out);
          return NULL;
        }
      sw = gdk_texture_get_width (texture);
      sh = gdk_texture_get_height (texture);
      k = MAX (1, SWEEP_EDGE / MAX (sw, sh));
      slice = g_malloc ((gsize) sw * sh * 4);
      gdk_texture_download (texture, slice, (gsize) sw * 4);
      src = cairo_image_surface_create_for_data (slice, CAIRO_FORMAT_ARGB32, sw, sh, sw * 4);
      dst = cairo_image_surface_create_for_data (out, CAIRO_FORMAT_ARGB32, m->fw, m->fh, m->fw * 4);
      cr = cairo_create (dst);
      cairo_set_source_rgb (cr, 0, 0, 0);
      cairo_paint (cr);
      cairo_scale (cr, k, k);
      cairo_set_source_surface (cr, src, 0, 0);
      cairo_pattern_set_filter (cairo_get_source (cr), CAIRO_FILTER_NEAREST);
      cairo_paint (cr);
      cairo_destroy (cr);
      cairo_surface_flush (dst);
      cairo_surface_destroy (dst);
      cairo_surface_destroy (src);
    }
  return out;
}

static gboolean
write_frame (Movie *m, guint8 *pixels, GError **error)
{
  if (!m->webm)
    {
      g_autoptr (GBytes) bytes = g_bytes_new_take (pixels, (gsize) m->fw * m->fh * 4);
      g_autoptr (GdkTexture) texture = gdk_memory_texture_new (m->fw, m->fh, GDK_MEMORY_DEFAULT, bytes,
                                                               (gsize) m->fw * 4);
      g_autoptr (GBytes) png = gdk_texture_save_to_png_bytes (texture);
      g_autofree char *name = g_strdup_printf ("frame-%04u.png", m->frame);
      g_autofree char *file = g_build_filename (m->tmp_path, name, NULL);
      return g_file_set_contents (file, g_bytes_get_data (png, NULL), g_bytes_get_size (png), error);
    }
#ifdef PS_HAVE_GSTREAMER
  {
    GstBuffer *buffer = gst_buffer_new_wrapped (pixels, (gsize) m->fw * m->fh * 4);
    GST_BUFFER_PTS (buffer) = gst_util_uint64_scale (m->frame, GST_SECOND, m->options.fps);
    GST_BUFFER_DURATION (buffer) = gst_util_uint64_scale (m->frame + 1, GST_SECOND, m->options.fps)
                                   - GST_BUFFER_PTS (buffer);
    if (gst_app_src_push_buffer (GST_APP_SRC (m->appsrc), buffer) != GST_FLOW_OK)
      {
        g_set_error (error, PS_ERROR, PS_ERROR_CODE_FAILED, _("%s: the encoder stopped"), m->path);
        return FALSE;
      }
  }
#endif
  return TRUE;
}

static gboolean
movie_step (gpointer data)
{
  Movie *m = data;
  GError *error = NULL;
  guint8 *pixels;
  g_autofree char *message = NULL;

  m->source_id = 0;
  if (ps_job_is_cancelled (m->job))
    {
      movie_end (m, g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED, _("Cancelled")));
      return G_SOURCE_REMOVE;
    }
  if (m->eos_pending)
    return G_SOURCE_REMOVE;
  if (m->options.kind == PS_MOVIE_ROTATE && ps_volume_view_get_busy (m->view))
    {
      movie_schedule (m, 50);
      return G_SOURCE_REMOVE;
    }
#ifdef PS_HAVE_GSTREAMER
  if (m->webm && gst_app_src_get_current_level_bytes (GST_APP_SRC (m->appsrc))
                     > (guint64) QUEUE_FRAMES * m->fw * m->fh * 4)
    {
      movie_schedule (m, 10);
      return G_SOURCE_REMOVE;
    }
#endif
  pixels = render_frame (m, &error);
  if (pixels == NULL || !write_frame (m, pixels, &error))
    {
      movie_end (m, error);
      return G_SOURCE_REMOVE;
    }
  m->frame++;
  message = g_strdup_printf (_("Frame %u of %u"), m->frame, m->options.n_frames);
  ps_job_set_progress (m->job, 0.98 * m->frame / m->options.n_frames, message);
  if (m->frame < m->options.n_frames)
    {
      movie_schedule (m, 0);
      return G_SOURCE_REMOVE;
    }
  if (!m->webm)
    {
      movie_end (m, NULL);
      return G_SOURCE_REMOVE;
    }
#ifdef PS_HAVE_GSTREAMER
  m->eos_pending = TRUE;
  gst_app_src_end_of_stream (GST_APP_SRC (m->appsrc));
  /* Keep polling for Cancel while the encoder drains. */
  movie_schedule (m, 50);
#endif
  return G_SOURCE_REMOVE;
}

static gboolean
drain_poll (gpointer data)
{
  Movie *m = data;
  m->source_id = 0;
  if (ps_job_is_cancelled (m->job))
    movie_end (m, g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED, _("Cancelled")));
  else
    movie_schedule (m, 50);
  return G_SOURCE_REMOVE;
}

static void
movie_schedule (Movie *m, guint delay_ms)
{
  g_clear_handle_id (&m->source_id, g_source_remove);
  if (m->eos_pending)
    m->source_id = g_timeout_add (delay_ms, drain_poll, m);
  else if (delay_ms == 0)
    /* Below the job's progress notifications (G_PRIORITY_LOW), which would
     * otherwise never run between frames. */
    m->source_id = g_idle_add_full (G_PRIORITY_LOW + 10, movie_step, m, NULL);
  else
    m->source_id = g_timeout_add (delay_ms, movie_step, m);
}

/* ---- start ---------------------------------------------------------------------------------- */

static char *
make_tmp (const char *path, gboolean folder, GError **error)
{
  g_autofree char *dir = g_path_get_dirname (path);
  g_autofree char *base = g_path_get_basename (path);
  g_autofree char *tmpl = g_strdup_printf ("%s/.%s.partial-XXXXXX", dir, base);

  if (folder)
    {
      if (g_mkdtemp (tmpl) == NULL)
        {
          int errsv = errno;
          g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (errsv), "%s: %s", path, g_strerror (errsv));
          return NULL;
        }
    }
  else
    {
      int fd = g_mkstemp (tmpl);
      if (fd < 0)
        {
          int errsv = errno;
          g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (errsv), "%s: %s", path, g_strerror (errsv));
          return NULL;
        }
      close (fd);
    }
  {
    /* mkstemp/mkdtemp make it private; the result gets the usual mode. */
    mode_t mask = umask (0);
    umask (mask);
    g_chmod (tmpl, (folder ? 0777 : 0666) & ~mask);
  }
  return g_steal_pointer (&tmpl);
}

void
ps_movie_export_async (PsDocument *document, PsVolumeView *view, const char *path, const PsMovieOptions *options,
                       GAsyncReadyCallback callback, gpointer user_data)
{
  Movie *m;
  GTask *task;
  PsVolume *vol;
  GError *error = NULL;
  g_autofree char *lower = NULL;

  g_return_if_fail (PS_IS_DOCUMENT (document));
  g_return_if_fail (path != NULL);

  m = g_new0 (Movie, 1);
  task = g_task_new (document, NULL, callback, user_data);
  g_task_set_source_tag (task, ps_movie_export_async);
  g_task_set_task_data (task, m, (GDestroyNotify) movie_free);
  m->document = g_object_ref (document);
  m->path = g_strdup (path);
  if (options != NULL)
    m->options = *options;
  else
    ps_movie_options_init (&m->options);
  lower = g_ascii_strdown (path, -1);
  m->webm = g_str_has_suffix (lower, ".webm");

  vol = ps_document_get_volume (document);
  if (vol == NULL)
    error = g_error_new_literal (PS_ERROR, PS_ERROR_CODE_INVALID_PARAMETER, _("There is no volume to export"));
  else if (m->options.n_frames < 1 || m->options.n_frames > MAX_FRAMES || m->options.fps < 1)
    error = g_error_new (PS_ERROR, PS_ERROR_CODE_INVALID_PARAMETER, _("A movie has 1 to %d frames"), MAX_FRAMES);
  else if (m->webm && !ps_movie_have_webm ())
    error = g_error_new (PS_ERROR, PS_ERROR_CODE_UNSUPPORTED_FORMAT,
                         _("%s: this Porescope was built without GStreamer; write PNG frames to a folder instead"),
                         path);
  else if (m->options.kind == PS_MOVIE_ROTATE
           && (view == NULL || !gtk_widget_get_realized (GTK_WIDGET (view))))
    error = g_error_new_literal (PS_ERROR, PS_ERROR_CODE_FAILED, _("The 3D view is not shown"));
  else if (!m->webm && g_file_test (path, G_FILE_TEST_EXISTS))
    {
      g_autoptr (GDir) dir = g_dir_open (path, 0, NULL);
      if (dir == NULL || g_dir_read_name (dir) != NULL)
        error = g_error_new (PS_ERROR, PS_ERROR_CODE_INVALID_PARAMETER,
                             _("%s: frames go into a new or empty folder"), path);
    }
  if (error == NULL)
    {
      if (m->options.kind == PS_MOVIE_ROTATE)
        {
          m->fw = m->options.width & ~1;
          m->fh = m->options.height & ~1;
          m->view = g_object_ref (view);
          glm_quat_copy (ps_volume_view_get_camera (view)->rotation, m->rotation0);
          for (guint i = 0; i < ps_document_get_n_overlays (document); i++)
            if (ps_document_get_overlay (document, i)->phase != PS_PHASE_NONE)
              m->has_labels = TRUE;
        }
      else
        {
          double s[3], unit;
          int sw, sh, k;
          ps_document_get_spacing (document, s);
          unit = fmin (s[0], s[1]);
          sw = (int) llround (vol->nx * s[0] / unit);
          sh = (int) llround (vol->ny * s[1] / unit);
          k = MAX (1, SWEEP_EDGE / MAX (sw, sh));
          m->fw = (sw * k + 1) & ~1;
          m->fh = (sh * k + 1) & ~1;
        }
      if (m->fw < 2 || m->fh < 2 || m->fw > 16384 || m->fh > 16384)
        error = g_error_new (PS_ERROR, PS_ERROR_CODE_TOO_LARGE, _("A %d × %d pixel picture is too large to export"),
                             m->fw, m->fh);
    }
  if (error == NULL)
    m->tmp_path = make_tmp (path, !m->webm, &error);
#ifdef PS_HAVE_GSTREAMER
  if (error == NULL && m->webm)
    start_pipeline (m, &error);
#endif
  m->task = task;
  if (error != NULL)
    {
      movie_end (m, error);
      return;
    }

  m->sync = g_atomic_rc_box_new0 (Sync);
  g_mutex_init (&m->sync->mutex);
  g_cond_init (&m->sync->cond);
  m->job = ps_job_new (m->options.kind == PS_MOVIE_ROTATE ? _("Writing the rotation movie")
                                                           : _("Writing the slice sweep movie"),
                       movie_worker, g_atomic_rc_box_acquire (m->sync), sync_release, NULL);
  ps_document_run_job (document, m->job, _("Could not write the movie"), job_done, NULL, NULL);
  movie_schedule (m, 0);
}

guint
ps_movie_export_finish (GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (G_IS_TASK (result), 0);
  gssize n = g_task_propagate_int (G_TASK (result), error);
  return n < 0 ? 0 : (guint) n;
}
