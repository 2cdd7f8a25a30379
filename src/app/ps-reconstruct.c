/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "ps-reconstruct"

#include "config.h"

#include <glib/gi18n.h>
#include <math.h>
#include <string.h>

#include "ps-align.h"
#include "ps-error.h"
#include "ps-project.h"
#include "ps-reconstruct.h"
#include "ps-sirt.h"
#include "ps-wbp.h"

/* ---- PsReconRun -------------------------------------------------------------- */

struct _PsReconRun
{
  GObject parent_instance;

  /* Owned. */
  PsJob *job;
  GMutex lock;             /* guards the pending preview (worker → main) */
  float *pending_xy, *pending_xz;
  int pending_iteration, pending_n;
  double pending_residual;
  gboolean idle_queued;
  /* Main thread only. */
  float *xy, *xz;
  gsize size[3];
  int iteration, n_iterations;
  double residual;
  gboolean done;
};

G_DEFINE_FINAL_TYPE (PsReconRun, ps_recon_run, G_TYPE_OBJECT)

enum
{
  PREVIEW,
  FINISHED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void
ps_recon_run_finalize (GObject *object)
{
  PsReconRun *self = PS_RECON_RUN (object);

  g_clear_object (&self->job);
  g_free (self->pending_xy);
  g_free (self->pending_xz);
  g_free (self->xy);
  g_free (self->xz);
  g_mutex_clear (&self->lock);
  G_OBJECT_CLASS (ps_recon_run_parent_class)->finalize (object);
}

static void
ps_recon_run_class_init (PsReconRunClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = ps_recon_run_finalize;

  /* Emitted in the main thread after a SIRT/SART iteration. */
  signals[PREVIEW] = g_signal_new ("preview", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                                   NULL, G_TYPE_NONE, 0);
  /* @success: the result was handed to the document. */
  signals[FINISHED] = g_signal_new ("finished", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                                    NULL, G_TYPE_NONE, 1, G_TYPE_BOOLEAN);
}

static void
ps_recon_run_init (PsReconRun *self)
{
  g_mutex_init (&self->lock);
}

gboolean
ps_recon_run_get_preview (PsReconRun *self, const float **xy, const float **xz, gsize size[3], int *iteration,
                          int *n_iterations, double *residual)
{
  g_return_val_if_fail (PS_IS_RECON_RUN (self), FALSE);
  if (self->xy == NULL)
    return FALSE;
  if (xy) *xy = self->xy;
  if (xz) *xz = self->xz;
  if (size) memcpy (size, self->size, sizeof self->size);
  if (iteration) *iteration = self->iteration;
  if (n_iterations) *n_iterations = self->n_iterations;
  if (residual) *residual = self->residual;
  return TRUE;
}

PsJob *
ps_recon_run_get_job (PsReconRun *self)
{
  g_return_val_if_fail (PS_IS_RECON_RUN (self), NULL);
  return self->job;
}

gboolean
ps_recon_run_get_done (PsReconRun *self)
{
  g_return_val_if_fail (PS_IS_RECON_RUN (self), FALSE);
  return self->done;
}

/* Main thread: take the newest pending preview. */
static gboolean
preview_idle (gpointer data)
{
  PsReconRun *self = data;

  g_mutex_lock (&self->lock);
  self->idle_queued = FALSE;
  if (self->pending_xy != NULL)
    {
      g_free (self->xy);
      g_free (self->xz);
      self->xy = g_steal_pointer (&self->pending_xy);
      self->xz = g_steal_pointer (&self->pending_xz);
      self->iteration = self->pending_iteration;
      self->n_iterations = self->pending_n;
      self->residual = self->pending_residual;
    }
  g_mutex_unlock (&self->lock);
  g_signal_emit (self, signals[PREVIEW], 0);
  return G_SOURCE_REMOVE;
}

/* ---- the request and the worker ----------------------------------------------------- */

typedef struct
{
  PsReconInfo info;
  PsTiltSeries *series;     /* preloaded, not modified (nullable) */
  PsReconRun *run;          /* owned reference */
  PsDocument *doc;          /* weak: only for the title */
} ReconRequest;

typedef struct
{
  PsVolume *volume;
  PsReconInfo info;
} ReconResult;

static void
recon_request_free (gpointer data)
{
  ReconRequest *req = data;
  g_free (req->info.source);
  g_free (req->info.angles);
  g_clear_pointer (&req->series, ps_tilt_series_unref);
  g_clear_object (&req->run);
  g_free (req);
}

static void
recon_result_free (gpointer data)
{
  ReconResult *r = data;
  g_clear_pointer (&r->volume, ps_volume_unref);
  g_free (r->info.source);
  g_free (r->info.angles);
  g_free (r);
}

static gboolean
lookup_string (GVariantDict *d, const char *key, char **out, GError **error)
{
  GVariant *v = g_variant_dict_lookup_value (d, key, NULL);
  if (v == NULL)
    return TRUE;
  if (!g_variant_is_of_type (v, G_VARIANT_TYPE_STRING))
    {
      g_set_error (error, PS_ERROR, PS_ERROR_CODE_INVALID_PARAMETER, _("reconstruction parameter “%s” must be a string"),
                   key);
      g_variant_unref (v);
      return FALSE;
    }
  *out = g_variant_dup_string (v, NULL);
  g_variant_unref (v);
  return TRUE;
}

static gboolean
lookup_typed (GVariantDict *d, const char *key, const GVariantType *type, GVariant **out, GError **error)
{
  *out = g_variant_dict_lookup_value (d, key, NULL);
  if (*out != NULL && !g_variant_is_of_type (*out, type))
    {
      g_set_error (error, PS_ERROR, PS_ERROR_CODE_INVALID_PARAMETER,
                   _("reconstruction parameter “%s” must be of type %s"), key, g_variant_type_peek_string (type));
      g_clear_pointer (out, g_variant_unref);
      return FALSE;
    }
  return TRUE;
}

#define GET_TYPED(key, type, getter, dest)                                        \
  G_STMT_START {                                                                  \
    GVariant *v_;                                                                 \
    if (!lookup_typed (&d, key, type, &v_, error))                                \
      goto fail;                                                                  \
    if (v_ != NULL)                                                               \
      {                                                                           \
        dest = getter (v_);                                                       \
        g_variant_unref (v_);                                                     \
      }                                                                           \
  } G_STMT_END

gboolean
ps_reconstruct_parse (GVariant *params, PsReconInfo *info, GError **error)
{
  GVariantDict d;
  g_autofree char *method = NULL, *filter = NULL;
  int iterations = 0, subsets = 0, thickness = 0, threads = 0;
  double cutoff = 0.0, relaxation = 0.0, axis = 0.0;
  gboolean positivity = TRUE, axis_auto = FALSE, align = FALSE;
  PsFilterType ftype = PS_FILTER_RAMP;

  g_return_val_if_fail (params == NULL || g_variant_is_of_type (params, G_VARIANT_TYPE_VARDICT), FALSE);
  memset (info, 0, sizeof *info);
  g_variant_dict_init (&d, params);
  if (!lookup_string (&d, "stack", &info->source, error) || !lookup_string (&d, "angles", &info->angles, error)
      || !lookup_string (&d, "method", &method, error) || !lookup_string (&d, "filter", &filter, error))
    goto fail;
  GET_TYPED ("cutoff", G_VARIANT_TYPE_DOUBLE, g_variant_get_double, cutoff);
  GET_TYPED ("iterations", G_VARIANT_TYPE_INT32, g_variant_get_int32, iterations);
  GET_TYPED ("relaxation", G_VARIANT_TYPE_DOUBLE, g_variant_get_double, relaxation);
  GET_TYPED ("subsets", G_VARIANT_TYPE_INT32, g_variant_get_int32, subsets);
  GET_TYPED ("positivity", G_VARIANT_TYPE_BOOLEAN, g_variant_get_boolean, positivity);
  GET_TYPED ("thickness", G_VARIANT_TYPE_INT32, g_variant_get_int32, thickness);
  GET_TYPED ("tilt-axis", G_VARIANT_TYPE_DOUBLE, g_variant_get_double, axis);
  GET_TYPED ("tilt-axis-auto", G_VARIANT_TYPE_BOOLEAN, g_variant_get_boolean, axis_auto);
  GET_TYPED ("align", G_VARIANT_TYPE_BOOLEAN, g_variant_get_boolean, align);
  GET_TYPED ("threads", G_VARIANT_TYPE_INT32, g_variant_get_int32, threads);

  if (method == NULL || g_str_equal (method, "wbp") || g_str_equal (method, "fbp"))
    g_strlcpy (info->method, "wbp", sizeof info->method);
  else if (g_str_equal (method, "sirt") || g_str_equal (method, "sart"))
    g_strlcpy (info->method, method, sizeof info->method);
  else
    {
      g_set_error (error, PS_ERROR, PS_ERROR_CODE_INVALID_PARAMETER, _("the method must be wbp, sirt or sart, not “%s”"),
                   method);
      goto fail;
    }
  if (filter != NULL && !ps_filter_type_from_string (filter, &ftype))
    {
      g_set_error (error, PS_ERROR, PS_ERROR_CODE_INVALID_PARAMETER,
                   _("the filter must be ramp, shepp-logan, cosine or hann, not “%s”"), filter);
      goto fail;
    }
  if (iterations < 0 || subsets < 0 || thickness < 0 || !isfinite (axis) || !(cutoff >= 0.0 && cutoff <= 1.0)
      || !(relaxation >= 0.0 && relaxation < 2.0))
    {
      g_set_error (error, PS_ERROR, PS_ERROR_CODE_INVALID_PARAMETER,
                   _("iterations, subsets and thickness must not be negative, the cut-off in [0, 1] and the "
                     "relaxation in [0, 2)"));
      goto fail;
    }
  if (g_str_equal (info->method, "wbp"))
    {
      g_strlcpy (info->filter, ps_filter_type_to_string (ftype), sizeof info->filter);
      info->cutoff = cutoff > 0.0 ? cutoff : 1.0;
    }
  else
    {
      gboolean sart = g_str_equal (info->method, "sart");
      info->iterations = iterations > 0 ? iterations : sart ? PS_SART_DEFAULT_ITERATIONS : PS_SIRT_DEFAULT_ITERATIONS;
      info->relaxation = relaxation > 0.0 ? relaxation : sart ? PS_SART_DEFAULT_RELAXATION : PS_SIRT_DEFAULT_RELAXATION;
      info->subsets = sart ? subsets : 0;
      info->positivity = positivity;
    }
  info->thickness = (gsize) thickness;
  info->tilt_axis_deg = axis;
  info->tilt_axis_auto = axis_auto;
  info->aligned = align;
  info->n_threads = threads;
  g_variant_dict_clear (&d);
  return TRUE;

fail:
  g_variant_dict_clear (&d);
  g_clear_pointer (&info->source, g_free);
  g_clear_pointer (&info->angles, g_free);
  return FALSE;
}

/* SIRT/SART: after every iteration, on the thread that runs ps_sirt_run(). */
static bool
iteration_cb (const PsIterationInfo *it, void *user_data)
{
  PsReconRun *run = user_data;
  const PsVolume *v = it->volume;
  float *xy = g_try_new (float, v->nx * v->ny);
  float *xz = g_try_new (float, v->nx * v->nz);

  if (xy == NULL || xz == NULL)
    {
      g_free (xy);
      g_free (xz);
      return true;
    }
  ps_recon_preview_slices (v, xy, xz);
  g_mutex_lock (&run->lock);
  g_free (run->pending_xy);
  g_free (run->pending_xz);
  run->pending_xy = xy;
  run->pending_xz = xz;
  run->pending_iteration = it->iteration;
  run->pending_n = it->n_iterations;
  run->pending_residual = it->residual;
  /* Written before the idle runs; read only on the main thread after it. */
  run->size[0] = v->nx;
  run->size[1] = v->ny;
  run->size[2] = v->nz;
  if (!run->idle_queued)
    {
      run->idle_queued = TRUE;
      g_idle_add_full (G_PRIORITY_DEFAULT_IDLE, preview_idle, g_object_ref (run), g_object_unref);
    }
  g_mutex_unlock (&run->lock);
  return true;
}

static gboolean
status_error (PsStatus st, const char *name, const char *why, GError **error)
{
  if (st == PS_ERROR_CANCELLED)
    g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_CANCELLED, _("Cancelled"));
  else
    g_set_error (error, PS_ERROR, st == PS_ERROR_INVALID_PARAMETER ? PS_ERROR_CODE_INVALID_PARAMETER : PS_ERROR_CODE_FAILED,
                 "%s: %s", name, why != NULL && why[0] ? why : ps_status_to_string (st));
  return FALSE;
}

/* A private copy the kernels may align (the preloaded series stays as it is). */
static PsTiltSeries *
copy_series (const PsTiltSeries *src, PsStatus *st)
{
  PsTiltSeries *ts = ps_tilt_series_new (src->nx, src->ny, src->n, st);
  if (ts == NULL)
    return NULL;
  memcpy (ts->data, src->data, src->n * src->nx * src->ny * sizeof (float));
  memcpy (ts->angles, src->angles, src->n * sizeof (double));
  memcpy (ts->shift_x, src->shift_x, src->n * sizeof (double));
  memcpy (ts->shift_y, src->shift_y, src->n * sizeof (double));
  ts->pixel_size[0] = src->pixel_size[0];
  ts->pixel_size[1] = src->pixel_size[1];
  ts->spacing_known = src->spacing_known;
  ts->tilt_axis_deg = src->tilt_axis_deg;
  return ts;
}

static gpointer
recon_worker (PsJob *job, gpointer data, const PsProgress *progress, GError **error)
{
  ReconRequest *req = data;
  PsReconInfo *info = &req->info;
  g_autoptr (PsTiltSeries) ts = NULL;
  g_autofree char *name = info->source ? g_path_get_basename (info->source) : g_strdup (_("tilt series"));
  int threads = info->n_threads > 0 ? info->n_threads : ps_job_get_n_threads (job);
  gboolean load = req->series == NULL;
  gboolean align = info->aligned || info->tilt_axis_auto;
  double at = load ? 0.1 : 0.0, bt = align ? at + 0.3 * (1.0 - at) : at;
  char why[256] = "";
  PsStatus st = PS_OK;
  PsVolume *vol = NULL;
  ReconResult *result;

  if (load)
    {
      PsProgress sub = ps_progress_sub (progress, 0.0, at);
      PsTiltSeries *loaded = ps_tilt_series_load (info->source, info->angles, &sub, error);
      if (loaded == NULL)
        return NULL;
      ts = loaded;
    }
  else if (!align && req->series->tilt_axis_deg == info->tilt_axis_deg)
    ts = ps_tilt_series_ref (req->series);   /* read only from here on */
  else if ((ts = copy_series (req->series, &st)) == NULL)
    return status_error (st, name, NULL, error), NULL;
  ts->tilt_axis_deg = info->tilt_axis_deg;
  if ((st = ps_recon_check_series (ts, why, sizeof why)) != PS_OK)
    return status_error (st, name, why, error), NULL;
  if (ps_progress_cancelled (progress))
    return status_error (PS_ERROR_CANCELLED, name, NULL, error), NULL;

  if (align)
    {
      PsAlignParams ap;
      PsAlignResult ar;
      PsProgress sub = ps_progress_sub (progress, at, bt);
      ps_align_params_init (&ap);
      ap.shifts = info->aligned;
      ap.axis_offset = info->aligned;
      ap.axis_angle = info->tilt_axis_auto;
      ap.n_threads = threads;
      if ((st = ps_align_run (&ap, ts, &ar, &sub, why, sizeof why)) != PS_OK)
        return status_error (st, name, why, error), NULL;
      info->tilt_axis_deg = ar.tilt_axis_deg;
    }

  {
    PsProgress sub = ps_progress_sub (progress, bt, 1.0);
    if (g_str_equal (info->method, "wbp"))
      {
        PsWbpParams wp;
        PsFilterType f = PS_FILTER_RAMP;
        ps_wbp_params_init (&wp);
        ps_filter_type_from_string (info->filter, &f);
        wp.filter = f;
        wp.cutoff = info->cutoff;
        wp.thickness = info->thickness;
        wp.n_threads = threads;
        st = ps_wbp_run (&wp, ts, &vol, &sub, why, sizeof why);
      }
    else
      {
        PsSirtParams sp;
        ps_sirt_params_init (&sp, g_str_equal (info->method, "sart") ? PS_ITERATIVE_SART : PS_ITERATIVE_SIRT);
        sp.iterations = info->iterations;
        sp.relaxation = info->relaxation;
        sp.subsets = info->subsets;
        sp.nonnegative = info->positivity;
        sp.thickness = info->thickness;
        sp.n_threads = threads;
        sp.iteration_func = iteration_cb;
        sp.iteration_data = req->run;
        st = ps_sirt_run (&sp, ts, &vol, NULL, &sub, why, sizeof why);
      }
  }
  if (st != PS_OK)
    return status_error (st, name, why, error), NULL;
  if (ps_progress_cancelled (progress))
    {
      ps_volume_unref (vol);
      return status_error (PS_ERROR_CANCELLED, name, NULL, error), NULL;
    }

  result = g_new0 (ReconResult, 1);
  result->volume = vol;
  result->info = *info;
  result->info.source = g_strdup (info->source);
  result->info.angles = g_strdup (info->angles);
  result->info.thickness = vol->nz;
  result->info.n_angles = ts->n;
  result->info.angle_min = result->info.angle_max = ts->angles[0];
  for (gsize i = 1; i < ts->n; i++)
    {
      result->info.angle_min = MIN (result->info.angle_min, ts->angles[i]);
      result->info.angle_max = MAX (result->info.angle_max, ts->angles[i]);
    }
  if (g_str_equal (info->method, "sart") && result->info.subsets == 0)
    result->info.subsets = (int) MAX (1, (ts->n + PS_SART_ANGLES_PER_SUBSET - 1) / PS_SART_ANGLES_PER_SUBSET);
  return result;
}

static void
recon_done (PsDocument *doc, gpointer data, gpointer user_data)
{
  ReconResult *r = data;
  PsReconRun *run = user_data;
  g_autofree char *upper = g_ascii_strup (r->info.method, -1);
  g_autofree char *base = r->info.source ? g_path_get_basename (r->info.source) : NULL;
  g_autofree char *title = NULL;

  if (base != NULL)
    /* Translators: the title of a reconstructed dataset: method (WBP, SIRT, SART) and the tilt-series file */
    title = g_strdup_printf (_("Reconstruction (%s) of %s"), upper, base);
  else
    /* Translators: %s is the method: WBP, SIRT or SART */
    title = g_strdup_printf (_("Reconstruction (%s)"), upper);
  ps_document_set_volume (doc, r->volume, title, NULL);
  ps_document_set_recon_info (doc, r->volume, &r->info);
  run->done = TRUE;
  recon_result_free (r);
}

/* Runs in every case after the job (done or not). */
static void
recon_closure_free (gpointer user_data)
{
  PsReconRun *run = user_data;
  g_signal_emit (run, signals[FINISHED], 0, run->done);
  g_object_unref (run);
}

PsReconRun *
ps_reconstruct_start (PsDocument *doc, GVariant *params, PsTiltSeries *series, GError **error)
{
  ReconRequest *req;
  PsReconRun *run;
  g_autofree char *title = NULL;

  g_return_val_if_fail (PS_IS_DOCUMENT (doc), NULL);

  req = g_new0 (ReconRequest, 1);
  if (!ps_reconstruct_parse (params, &req->info, error))
    {
      g_free (req);
      return NULL;
    }
  if (series != NULL)
    req->series = ps_tilt_series_ref (series);
  else if (req->info.source == NULL)
    {
      PsTiltSeries *shown = ps_document_get_tilt_series (doc);
      GFile *file = ps_document_get_file (doc);
      if (shown == NULL)
        {
          g_set_error_literal (error, PS_ERROR, PS_ERROR_CODE_INVALID_PARAMETER,
                               _("Choose a tilt series to reconstruct"));
          recon_request_free (req);
          return NULL;
        }
      req->series = ps_tilt_series_ref (shown);
      req->info.source = file ? g_file_get_path (file) : NULL;
    }

  run = g_object_new (PS_TYPE_RECON_RUN, NULL);
  req->run = g_object_ref (run);
  {
    g_autofree char *upper = g_ascii_strup (req->info.method, -1);
    /* Translators: %s is WBP, SIRT or SART */
    title = g_strdup_printf (_("Reconstructing (%s)"), upper);
  }
  run->job = ps_job_new (title, recon_worker, req, recon_request_free, recon_result_free);
  if (req->info.n_threads > 0)
    ps_job_set_n_threads (run->job, req->info.n_threads);
  ps_document_run_job (doc, run->job, _("Could not reconstruct"), recon_done, g_object_ref (run),
                       recon_closure_free);
  return run;
}
