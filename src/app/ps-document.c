/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "ps-document"

#include "config.h"

#include <glib/gi18n.h>
#include <math.h>
#include <string.h>

#include "ps-core-glib.h"
#include "ps-document.h"
#include "ps-subvolume-tool.h"
#include "ps-error.h"
#include "ps-memory.h"
#include "ps-phantom.h"

/* The fine histogram behind Auto contrast and the histogram view: 4096 bins
 * over [min, max] put the 0.5 / 99.5 percentiles within 1/4096 of the range. */
#define HISTOGRAM_BINS 4096
#define AUTO_LO 0.005
#define AUTO_HI 0.995

struct _PsDocument
{
  GObject parent_instance;

  /* Owned: the dataset. */
  PsVolume *volume;
  PsTiltSeries *tilt_series;
  PsFileInfo *info;
  PsHistogram *histogram;
  PsStats stats;
  GFile *file;
  char *title;
  gboolean is_demo;

  /* Owned: the running job and what to do with its result. */
  PsJob *job;
  GCancellable *job_cancellable;

  /* Viewing state. */
  double lo, hi;
  PsColormap colormap;
  PsInterpolation interpolation;
  gboolean show_crosshair;
  gboolean show_overlays;
  gsize crosshair[3];
  gboolean has_pointer;
  double pointer[3];
  gboolean has_subvolume;
  PsBox subvolume;
  GPtrArray *overlays;   /* (element-type PsOverlayLayer) */
  GArray *seeds;         /* (element-type PsSeed) */
  guint32 carbon_color;
  guint32 pore_color;
  double overlay_opacity;

  /* Owned. */
  GSimpleActionGroup *actions;
  gboolean updating_actions;

  /* Owned: reconstruction provenance, valid while volume == recon_volume. */
  PsReconInfo *recon_info;
  PsVolume *recon_volume;
};

G_DEFINE_FINAL_TYPE (PsDocument, ps_document, G_TYPE_OBJECT)

enum
{
  PROP_0,
  PROP_TITLE,
  PROP_BUSY,
  PROP_JOB,
  PROP_HAS_VOLUME,
  PROP_INTERPOLATION,
  PROP_COLORMAP,
  PROP_SHOW_CROSSHAIR,
  PROP_CARBON_COLOR,
  PROP_PORE_COLOR,
  PROP_OVERLAY_OPACITY,
  N_PROPS
};

enum
{
  CHANGED,
  ERROR,
  SAVED,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

static void update_actions (PsDocument *self);

/* ---- helpers ------------------------------------------------------------ */

static void
emit_changed (PsDocument *self, guint flags)
{
  update_actions (self);
  g_signal_emit (self, signals[CHANGED], 0, flags);
}

static void
overlay_layer_free (gpointer data)
{
  PsOverlayLayer *layer = data;
  g_free (layer->name);
  g_free (layer->title);
  g_clear_pointer (&layer->labels, ps_labels_unref);
  g_free (layer);
}

gboolean
ps_color_parse (const char *text, guint32 *rgb)
{
  guint32 v = 0;
  if (text == NULL || text[0] != '#' || strlen (text) != 7)
    return FALSE;
  for (int i = 1; i < 7; i++)
    {
      int d = g_ascii_xdigit_value (text[i]);
      if (d < 0)
        return FALSE;
      v = (v << 4) | (guint32) d;
    }
  if (rgb != NULL)
    *rgb = v;
  return TRUE;
}

char *
ps_color_to_string (guint32 rgb)
{
  return g_strdup_printf ("#%06x", rgb & 0xffffff);
}

static const char *
colormap_to_string (PsColormap c)
{
  return c == PS_COLORMAP_GRAY_INVERTED ? "inverted" : "gray";
}

static const char *
interpolation_to_string (PsInterpolation i)
{
  return i == PS_INTERPOLATION_LINEAR ? "linear" : "nearest";
}

/* ---- jobs --------------------------------------------------------------- */

/* What a loading job hands back to the main thread. */
typedef struct
{
  PsVolume *volume;
  PsTiltSeries *tilt_series;
  PsFileInfo *info;
  PsHistogram *histogram;
  PsStats stats;
  char *title;
  GFile *file;
  gboolean is_demo;
  gboolean keep_view;    /* keep crosshair/contrast (e.g. after swap-yz) */
  PsLabels *truth_pores; /* demo: the phantom's pores, as a hidden overlay */
} LoadResult;

static void
load_result_free (gpointer data)
{
  LoadResult *r = data;
  g_clear_pointer (&r->volume, ps_volume_unref);
  g_clear_pointer (&r->tilt_series, ps_tilt_series_unref);
  g_clear_pointer (&r->info, ps_file_info_free);
  g_clear_pointer (&r->histogram, ps_histogram_free);
  g_clear_pointer (&r->truth_pores, ps_labels_unref);
  g_free (r->title);
  g_clear_object (&r->file);
  g_free (r);
}

typedef struct
{
  GFile *file;
  char *angles;
  PsVolume *volume;      /* for set_volume / swap-yz */
  char *title;
  gboolean tilt_series;
  gboolean keep_view;
} LoadRequest;

static void
load_request_free (gpointer data)
{
  LoadRequest *r = data;
  g_clear_object (&r->file);
  g_free (r->angles);
  g_clear_pointer (&r->volume, ps_volume_unref);
  g_free (r->title);
  g_free (r);
}

/* Worker: statistics and the fine histogram of a loaded volume. */
static gboolean
compute_stats (LoadResult *r, const PsProgress *progress, GError **error)
{
  ps_progress_report (progress, 0.0, _("Computing statistics"));
  ps_stats_volume (r->volume, NULL, &r->stats);
  if (ps_progress_cancelled (progress))
    return ps_set_error_from_status (error, PS_ERROR_CANCELLED, NULL);
  ps_progress_report (progress, 0.5, _("Computing the histogram"));
  if (r->stats.n > 0)
    r->histogram = ps_histogram_volume (r->volume, NULL, r->stats.min,
                                        r->stats.max > r->stats.min ? r->stats.max : r->stats.min + 1.0,
                                        HISTOGRAM_BINS);
  ps_progress_report (progress, 1.0, NULL);
  return TRUE;
}

static gpointer
load_file_worker (PsJob *job, gpointer data, const PsProgress *progress, GError **error)
{
  LoadRequest *req = data;
  g_autofree char *path = g_file_get_path (req->file);
  LoadResult *r;
  PsProgress sub = ps_progress_sub (progress, 0.0, 0.85);

  if (path == NULL)
    {
      g_autofree char *uri = g_file_get_uri (req->file);
      g_set_error (error, PS_ERROR, PS_ERROR_CODE_FAILED, _("%s: only local files can be opened"), uri);
      return NULL;
    }
  r = g_new0 (LoadResult, 1);
  r->file = g_object_ref (req->file);
  r->title = g_file_get_basename (req->file);
  if (req->tilt_series)
    {
      /* A tilt series: the images become a stack the views can browse. */
      r->tilt_series = ps_tilt_series_load (path, req->angles, &sub, error);
      if (r->tilt_series == NULL)
        goto fail;
      PsTiltSeries *ts = r->tilt_series;
      r->volume = ps_volume_new_wrap (ts->nx, ts->ny, ts->n, ts->data,
                                      (PsDataFree) ps_tilt_series_unref, ps_tilt_series_ref (ts));
      if (r->volume == NULL)
        {
          ps_set_error_from_status (error, PS_ERROR_NO_MEMORY, path);
          goto fail;
        }
      if (ts->spacing_known)
        ps_volume_set_spacing (r->volume, ts->pixel_size[0], ts->pixel_size[1],
                               (ts->pixel_size[0] + ts->pixel_size[1]) / 2);
    }
  else
    {
      r->volume = ps_volume_load (path, &r->info, &sub, error);
      if (r->volume == NULL)
        goto fail;
    }
  {
    PsProgress rest = ps_progress_sub (progress, 0.85, 1.0);
    if (!compute_stats (r, &rest, error))
      goto fail;
  }
  return r;

fail:
  load_result_free (r);
  return NULL;
}

static gpointer
adopt_volume_worker (PsJob *job, gpointer data, const PsProgress *progress, GError **error)
{
  LoadRequest *req = data;
  LoadResult *r = g_new0 (LoadResult, 1);

  r->volume = ps_volume_ref (req->volume);
  r->title = g_strdup (req->title);
  r->file = req->file ? g_object_ref (req->file) : NULL;
  r->keep_view = req->keep_view;
  if (!compute_stats (r, progress, error))
    {
      load_result_free (r);
      return NULL;
    }
  return r;
}

static gpointer
swap_yz_worker (PsJob *job, gpointer data, const PsProgress *progress, GError **error)
{
  LoadRequest *req = data;
  PsStatus st;
  LoadResult *r;
  PsVolume *swapped;

  ps_progress_report (progress, 0.0, _("Swapping y and z"));
  swapped = ps_volume_swap_yz (req->volume, &st);
  if (swapped == NULL)
    {
      ps_set_error_from_status (error, st, req->title);
      return NULL;
    }
  r = g_new0 (LoadResult, 1);
  r->volume = swapped;
  r->title = g_strdup (req->title);
  r->file = req->file ? g_object_ref (req->file) : NULL;
  PsProgress rest = ps_progress_sub (progress, 0.5, 1.0);
  if (!compute_stats (r, &rest, error))
    {
      load_result_free (r);
      return NULL;
    }
  return r;
}

/* The demo dataset: the reconstruction work's phantom (ps-phantom.h) — a
 * hard-carbon-like particle of 64 nm in a 128³ box of 0.5 nm voxels, its
 * pores the cells of a closed-cell foam (porosity 0.39, 2.5 nm mean pore
 * diameter, a few open to the outside, a few touching). Its truth labels come
 * along as a hidden "pores (truth)" overlay. */
static gpointer
demo_worker (PsJob *job, gpointer data, const PsProgress *progress, GError **error)
{
  LoadResult *r = g_new0 (LoadResult, 1);
  PsPhantomParams params;
  PsPhantomTruth truth;
  PsStatus st;
  char why[256] = "";
  PsProgress sub = ps_progress_sub (progress, 0.0, 0.85);

  ps_phantom_params_init (&params);
  params.n_threads = ps_job_get_n_threads (job);
  ps_progress_report (progress, 0.0, _("Generating the demo particle"));
  st = ps_phantom_generate (&params, &r->volume, &r->truth_pores, &truth, &sub, why, sizeof why);
  if (st != PS_OK)
    {
      if (st == PS_ERROR_CANCELLED || why[0] == '\0')
        ps_set_error_from_status (error, st, _("Demo dataset"));
      else
        g_set_error (error, PS_ERROR, PS_ERROR_CODE_FAILED, "%s: %s", _("Demo dataset"), why);
      load_result_free (r);
      return NULL;
    }
  r->title = g_strdup (_("Demo: hard-carbon particle"));
  r->is_demo = TRUE;
  PsProgress rest = ps_progress_sub (progress, 0.85, 1.0);
  if (!compute_stats (r, &rest, error))
    {
      load_result_free (r);
      return NULL;
    }
  return r;
}

typedef struct
{
  PsVolume *volume;
  GFile *file;
} SaveRequest;

static void
save_request_free (gpointer data)
{
  SaveRequest *r = data;
  g_clear_pointer (&r->volume, ps_volume_unref);
  g_clear_object (&r->file);
  g_free (r);
}

static gpointer
save_worker (PsJob *job, gpointer data, const PsProgress *progress, GError **error)
{
  SaveRequest *req = data;
  g_autofree char *path = g_file_get_path (req->file);

  if (path == NULL)
    {
      g_set_error_literal (error, PS_ERROR, PS_ERROR_CODE_FAILED, _("Only local files can be written"));
      return NULL;
    }
  if (!ps_volume_save (req->volume, path, NULL, progress, error))
    return NULL;
  return g_object_ref (req->file);
}

typedef void (*ApplyFunc) (PsDocument *self, gpointer result);

typedef struct
{
  PsDocument *self;
  ApplyFunc apply;
  char *error_title;   /* what the user reads above the message */
  /* For ps_document_run_job(). */
  PsDocumentJobDone done;
  gpointer user_data;
  GDestroyNotify user_data_free;
} JobClosure;

static void
set_job (PsDocument *self, PsJob *job, GCancellable *cancellable)
{
  gboolean was_busy = self->job != NULL;

  g_set_object (&self->job, job);
  g_set_object (&self->job_cancellable, cancellable);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_JOB]);
  if (was_busy != (job != NULL))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_BUSY]);
  update_actions (self);
}

static void
job_done_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  JobClosure *c = user_data;
  PsDocument *self = c->self;
  PsJob *job = PS_JOB (source);
  g_autoptr (GError) error = NULL;
  gpointer value = ps_job_run_finish (job, result, &error);

  /* Only the newest job may touch the document; an older one was cancelled
   * and GTask already dropped its result. */
  if (self->job == job)
    set_job (self, NULL, NULL);
  if (error != NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_signal_emit (self, signals[ERROR], 0, c->error_title, error);
    }
  else if (c->done != NULL)
    c->done (self, value, c->user_data);
  else
    c->apply (self, value);
  if (c->user_data_free != NULL)
    c->user_data_free (c->user_data);
  g_object_unref (self);
  g_free (c->error_title);
  g_free (c);
}

static JobClosure *
start_job (PsDocument *self, PsJob *job, ApplyFunc apply, char *error_title)
{
  g_autoptr (GCancellable) cancellable = g_cancellable_new ();
  JobClosure *c = g_new0 (JobClosure, 1);

  ps_document_cancel (self);
  c->self = g_object_ref (self);
  c->apply = apply;
  c->error_title = error_title;
  set_job (self, job, cancellable);
  ps_job_run_async (job, cancellable, job_done_cb, c);
  return c;
}

static void
apply_load (PsDocument *self, gpointer data)
{
  LoadResult *r = data;
  gboolean keep = r->keep_view && self->volume != NULL;
  double lo = self->lo, hi = self->hi;

  g_clear_pointer (&self->volume, ps_volume_unref);
  g_clear_pointer (&self->tilt_series, ps_tilt_series_unref);
  g_clear_pointer (&self->info, ps_file_info_free);
  g_clear_pointer (&self->histogram, ps_histogram_free);
  g_clear_object (&self->file);
  g_free (self->title);

  self->volume = g_steal_pointer (&r->volume);
  self->tilt_series = g_steal_pointer (&r->tilt_series);
  /* Provenance belongs to the reconstructed volume only (and is not kept
   * alive, with its volume, past it). */
  if (self->volume != self->recon_volume)
    {
      g_clear_pointer (&self->recon_info, ps_recon_info_free);
      g_clear_pointer (&self->recon_volume, ps_volume_unref);
    }
  self->info = g_steal_pointer (&r->info);
  self->histogram = g_steal_pointer (&r->histogram);
  self->stats = r->stats;
  self->file = g_steal_pointer (&r->file);
  self->title = g_steal_pointer (&r->title);
  self->is_demo = r->is_demo;
  g_autoptr (PsLabels) truth = g_steal_pointer (&r->truth_pores);
  load_result_free (r);

  /* A new dataset starts clean: centred crosshair, no overlays or seeds. */
  self->crosshair[0] = (self->volume->nx - 1) / 2;
  self->crosshair[1] = (self->volume->ny - 1) / 2;
  self->crosshair[2] = (self->volume->nz - 1) / 2;
  self->has_pointer = FALSE;
  self->has_subvolume = FALSE;
  g_ptr_array_set_size (self->overlays, 0);
  g_array_set_size (self->seeds, 0);
  if (keep)
    {
      self->lo = lo;
      self->hi = hi;
    }
  else
    {
      self->lo = self->hi = 0;
      ps_document_auto_contrast (self);
    }

  if (truth != NULL)
    {
      PsOverlayLayer *layer = g_new0 (PsOverlayLayer, 1);
      layer->name = g_strdup ("pores-truth");
      /* Translators: the demo's known pores, shown as an overlay */
      layer->title = g_strdup (_("Pores (simulation truth)"));
      layer->labels = g_steal_pointer (&truth);
      layer->mode = PS_OVERLAY_SOLID;
      layer->phase = PS_PHASE_PORES;
      layer->alpha = -1.0;
      layer->visible = FALSE;
      g_ptr_array_add (self->overlays, layer);
    }

  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TITLE]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_HAS_VOLUME]);
  emit_changed (self, PS_DOCUMENT_CHANGED_ALL);
}

static void
apply_saved (PsDocument *self, gpointer data)
{
  g_autoptr (GFile) file = data;

  g_set_object (&self->file, file);
  g_free (self->title);
  self->title = g_file_get_basename (file);
  self->is_demo = FALSE;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TITLE]);
  g_signal_emit (self, signals[SAVED], 0, file);
}

/* ---- public API: dataset -------------------------------------------------- */

/**
 * ps_document_load_file:
 *
 * Loads @file (TIFF, MRC family, DM3/DM4) in a job. On success the dataset
 * is replaced and `changed` carries PS_DOCUMENT_CHANGED_ALL; on failure
 * `error` is emitted and the current dataset stays.
 */
void
ps_document_load_file (PsDocument *self, GFile *file)
{
  g_autoptr (PsJob) job = NULL;
  g_autofree char *name = NULL;
  g_autofree char *title = NULL;
  LoadRequest *req;

  g_return_if_fail (PS_IS_DOCUMENT (self));
  g_return_if_fail (G_IS_FILE (file));

  req = g_new0 (LoadRequest, 1);
  req->file = g_object_ref (file);
  name = g_file_get_basename (file);
  /* Translators: %s is a file name */
  title = g_strdup_printf (_("Opening “%s”"), name);
  job = ps_job_new (title, load_file_worker, req, load_request_free, load_result_free);
  /* Translators: %s is a file name */
  start_job (self, job, apply_load, g_strdup_printf (_("Could not open “%s”"), name));
}

/**
 * ps_document_load_tilt_series:
 * @angles_spec: (nullable): a .tlt/.rawtlt file or START:STOP:STEP; NULL
 *   uses angles stored in the file
 */
void
ps_document_load_tilt_series (PsDocument *self, GFile *file, const char *angles_spec)
{
  g_autoptr (PsJob) job = NULL;
  g_autofree char *name = NULL;
  g_autofree char *title = NULL;
  LoadRequest *req;

  g_return_if_fail (PS_IS_DOCUMENT (self));
  g_return_if_fail (G_IS_FILE (file));

  req = g_new0 (LoadRequest, 1);
  req->file = g_object_ref (file);
  req->angles = g_strdup (angles_spec);
  req->tilt_series = TRUE;
  name = g_file_get_basename (file);
  title = g_strdup_printf (_("Opening tilt series “%s”"), name);
  job = ps_job_new (title, load_file_worker, req, load_request_free, load_result_free);
  start_job (self, job, apply_load, g_strdup_printf (_("Could not open the tilt series “%s”"), name));
}

void
ps_document_load_demo (PsDocument *self)
{
  g_autoptr (PsJob) job = NULL;

  g_return_if_fail (PS_IS_DOCUMENT (self));

  job = ps_job_new (_("Preparing the demo dataset"), demo_worker, NULL, NULL, load_result_free);
  start_job (self, job, apply_load, g_strdup (_("Could not prepare the demo dataset")));
}

/**
 * ps_document_set_volume:
 * @volume: (transfer none): the new dataset
 * @title: shown in the header bar
 * @file: (nullable): where it came from
 */
void
ps_document_set_volume (PsDocument *self, PsVolume *volume, const char *title, GFile *file)
{
  g_autoptr (PsJob) job = NULL;
  LoadRequest *req;

  g_return_if_fail (PS_IS_DOCUMENT (self));
  g_return_if_fail (volume != NULL);

  req = g_new0 (LoadRequest, 1);
  req->volume = ps_volume_ref (volume);
  req->title = g_strdup (title ? title : _("Untitled volume"));
  req->file = file ? g_object_ref (file) : NULL;
  job = ps_job_new (_("Computing statistics"), adopt_volume_worker, req, load_request_free,
                    load_result_free);
  start_job (self, job, apply_load, g_strdup (_("Could not show the volume")));
}

/**
 * ps_document_save:
 *
 * Writes the volume to @file (TIFF or MRC by its extension, float32,
 * atomically). Emits `saved` or `error`.
 */
void
ps_document_save (PsDocument *self, GFile *file)
{
  g_autoptr (PsJob) job = NULL;
  g_autofree char *name = NULL;
  g_autofree char *title = NULL;
  SaveRequest *req;

  g_return_if_fail (PS_IS_DOCUMENT (self));
  g_return_if_fail (G_IS_FILE (file));
  g_return_if_fail (self->volume != NULL);

  req = g_new0 (SaveRequest, 1);
  req->volume = ps_volume_ref (self->volume);
  req->file = g_object_ref (file);
  name = g_file_get_basename (file);
  title = g_strdup_printf (_("Saving “%s”"), name);
  job = ps_job_new (title, save_worker, req, save_request_free, g_object_unref);
  start_job (self, job, apply_saved, g_strdup_printf (_("Could not save “%s”"), name));
}

void
ps_document_swap_yz (PsDocument *self)
{
  g_autoptr (PsJob) job = NULL;
  LoadRequest *req;

  g_return_if_fail (PS_IS_DOCUMENT (self));
  if (self->volume == NULL)
    return;

  req = g_new0 (LoadRequest, 1);
  req->volume = ps_volume_ref (self->volume);
  req->title = g_strdup (self->title);
  req->file = self->file ? g_object_ref (self->file) : NULL;
  req->keep_view = TRUE;
  job = ps_job_new (_("Swapping y and z"), swap_yz_worker, req, load_request_free, load_result_free);
  start_job (self, job, apply_load, g_strdup (_("Could not swap y and z")));
}

/**
 * ps_document_run_job:
 * @job: (transfer none): a job that has not run yet
 * @error_title: what the user reads above a failure ("Could not reconstruct")
 * @done: called in the main thread with the job's result (transfer full)
 *   when it succeeded and is still the document's newest job
 * @user_data_free: (nullable): frees @user_data afterwards, in every case
 *
 * Runs @job as the document's job: it replaces (cancels) the running one,
 * the window shows its progress and Cancel, a failure emits `error`, and a
 * cancelled or superseded job's result is dropped.
 */
void
ps_document_run_job (PsDocument *self, PsJob *job, const char *error_title, PsDocumentJobDone done,
                     gpointer user_data, GDestroyNotify user_data_free)
{
  JobClosure *c;

  g_return_if_fail (PS_IS_DOCUMENT (self));
  g_return_if_fail (PS_IS_JOB (job));
  g_return_if_fail (done != NULL);

  c = start_job (self, job, NULL, g_strdup (error_title));
  c->done = done;
  c->user_data = user_data;
  c->user_data_free = user_data_free;
}

void
ps_document_cancel (PsDocument *self)
{
  g_return_if_fail (PS_IS_DOCUMENT (self));

  if (self->job != NULL)
    {
      g_cancellable_cancel (self->job_cancellable);
      set_job (self, NULL, NULL);
    }
}

/**
 * ps_document_get_volume:
 *
 * Returns: (transfer none) (nullable): the dataset
 */
PsVolume *
ps_document_get_volume (PsDocument *self)
{
  g_return_val_if_fail (PS_IS_DOCUMENT (self), NULL);
  return self->volume;
}

/**
 * ps_document_get_tilt_series:
 *
 * Returns: (transfer none) (nullable): the tilt series when one was opened
 */
PsTiltSeries *
ps_document_get_tilt_series (PsDocument *self)
{
  g_return_val_if_fail (PS_IS_DOCUMENT (self), NULL);
  return self->tilt_series;
}

const char *
ps_document_get_title (PsDocument *self)
{
  g_return_val_if_fail (PS_IS_DOCUMENT (self), NULL);
  return self->title;
}

/**
 * ps_document_get_file:
 *
 * Returns: (transfer none) (nullable):
 */
GFile *
ps_document_get_file (PsDocument *self)
{
  g_return_val_if_fail (PS_IS_DOCUMENT (self), NULL);
  return self->file;
}

const PsFileInfo *
ps_document_get_file_info (PsDocument *self)
{
  g_return_val_if_fail (PS_IS_DOCUMENT (self), NULL);
  return self->info;
}

const PsStats *
ps_document_get_stats (PsDocument *self)
{
  g_return_val_if_fail (PS_IS_DOCUMENT (self), NULL);
  return self->volume ? &self->stats : NULL;
}

const PsHistogram *
ps_document_get_histogram (PsDocument *self)
{
  g_return_val_if_fail (PS_IS_DOCUMENT (self), NULL);
  return self->histogram;
}

gboolean
ps_document_get_busy (PsDocument *self)
{
  g_return_val_if_fail (PS_IS_DOCUMENT (self), FALSE);
  return self->job != NULL;
}

/**
 * ps_document_get_job:
 *
 * Returns: (transfer none) (nullable): the running job
 */
PsJob *
ps_document_get_job (PsDocument *self)
{
  g_return_val_if_fail (PS_IS_DOCUMENT (self), NULL);
  return self->job;
}

gboolean
ps_document_is_demo (PsDocument *self)
{
  g_return_val_if_fail (PS_IS_DOCUMENT (self), FALSE);
  return self->is_demo;
}

void
ps_document_get_spacing (PsDocument *self, double spacing[3])
{
  g_return_if_fail (PS_IS_DOCUMENT (self));
  for (int a = 0; a < 3; a++)
    spacing[a] = self->volume ? self->volume->spacing[a] : 1.0;
}

double
ps_document_get_value_step (PsDocument *self)
{
  g_return_val_if_fail (PS_IS_DOCUMENT (self), 0.0);
  if (self->info == NULL)
    return 0.0;
  switch (self->info->dtype)
    {
    case PS_DTYPE_BIT:
    case PS_DTYPE_U8:
    case PS_DTYPE_I8:
    case PS_DTYPE_U16:
    case PS_DTYPE_I16:
    case PS_DTYPE_U32:
    case PS_DTYPE_I32:
      return 1.0;
    default:
      return 0.0;
    }
}

float
ps_document_get_value (PsDocument *self, gsize x, gsize y, gsize z)
{
  g_return_val_if_fail (PS_IS_DOCUMENT (self), NAN);
  if (self->volume == NULL || x >= self->volume->nx || y >= self->volume->ny || z >= self->volume->nz)
    return NAN;
  return ps_volume_get (self->volume, x, y, z);
}

/* ---- contrast and display --------------------------------------------------- */

void
ps_document_get_window (PsDocument *self, double *lo, double *hi)
{
  g_return_if_fail (PS_IS_DOCUMENT (self));
  if (lo != NULL)
    *lo = self->lo;
  if (hi != NULL)
    *hi = self->hi;
}

void
ps_document_set_window (PsDocument *self, double lo, double hi)
{
  g_return_if_fail (PS_IS_DOCUMENT (self));

  if (!isfinite (lo) || !isfinite (hi))
    return;
  if (hi < lo)
    {
      double t = lo;
      lo = hi;
      hi = t;
    }
  if (hi == lo)
    hi = lo + fmax (fabs (lo) * 1e-6, 1e-12);
  if (lo == self->lo && hi == self->hi)
    return;
  self->lo = lo;
  self->hi = hi;
  emit_changed (self, PS_DOCUMENT_CHANGED_CONTRAST);
}

void
ps_document_auto_contrast (PsDocument *self)
{
  g_return_if_fail (PS_IS_DOCUMENT (self));

  if (self->histogram != NULL && self->histogram->total > 0)
    {
      double lo = ps_histogram_quantile (self->histogram, AUTO_LO);
      double hi = ps_histogram_quantile (self->histogram, AUTO_HI);
      if (hi > lo)
        {
          ps_document_set_window (self, lo, hi);
          return;
        }
    }
  ps_document_reset_contrast (self);
}

void
ps_document_reset_contrast (PsDocument *self)
{
  g_return_if_fail (PS_IS_DOCUMENT (self));

  if (self->volume != NULL && self->stats.n > 0)
    ps_document_set_window (self, self->stats.min,
                            self->stats.max > self->stats.min ? self->stats.max : self->stats.min + 1.0);
  else
    ps_document_set_window (self, 0.0, 1.0);
}

PsColormap
ps_document_get_colormap (PsDocument *self)
{
  g_return_val_if_fail (PS_IS_DOCUMENT (self), PS_COLORMAP_GRAY);
  return self->colormap;
}

void
ps_document_set_colormap (PsDocument *self, PsColormap colormap)
{
  g_return_if_fail (PS_IS_DOCUMENT (self));
  if (self->colormap == colormap)
    return;
  self->colormap = colormap;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_COLORMAP]);
  emit_changed (self, PS_DOCUMENT_CHANGED_CONTRAST);
}

PsInterpolation
ps_document_get_interpolation (PsDocument *self)
{
  g_return_val_if_fail (PS_IS_DOCUMENT (self), PS_INTERPOLATION_NEAREST);
  return self->interpolation;
}

void
ps_document_set_interpolation (PsDocument *self, PsInterpolation interpolation)
{
  g_return_if_fail (PS_IS_DOCUMENT (self));
  if (self->interpolation == interpolation)
    return;
  self->interpolation = interpolation;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_INTERPOLATION]);
  emit_changed (self, PS_DOCUMENT_CHANGED_DISPLAY);
}

gboolean
ps_document_get_show_crosshair (PsDocument *self)
{
  g_return_val_if_fail (PS_IS_DOCUMENT (self), TRUE);
  return self->show_crosshair;
}

static void
set_show_crosshair (PsDocument *self, gboolean show)
{
  if (self->show_crosshair == !!show)
    return;
  self->show_crosshair = !!show;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SHOW_CROSSHAIR]);
  emit_changed (self, PS_DOCUMENT_CHANGED_DISPLAY);
}

gboolean
ps_document_get_show_overlays (PsDocument *self)
{
  g_return_val_if_fail (PS_IS_DOCUMENT (self), TRUE);
  return self->show_overlays;
}

/* ---- crosshair and pointer ---------------------------------------------------- */

void
ps_document_get_crosshair (PsDocument *self, gsize pos[3])
{
  g_return_if_fail (PS_IS_DOCUMENT (self));
  memcpy (pos, self->crosshair, sizeof self->crosshair);
}

void
ps_document_set_crosshair (PsDocument *self, gsize x, gsize y, gsize z)
{
  g_return_if_fail (PS_IS_DOCUMENT (self));

  if (self->volume == NULL)
    return;
  x = MIN (x, self->volume->nx - 1);
  y = MIN (y, self->volume->ny - 1);
  z = MIN (z, self->volume->nz - 1);
  if (x == self->crosshair[0] && y == self->crosshair[1] && z == self->crosshair[2])
    return;
  self->crosshair[0] = x;
  self->crosshair[1] = y;
  self->crosshair[2] = z;
  emit_changed (self, PS_DOCUMENT_CHANGED_CROSSHAIR);
}

gsize
ps_document_get_slice (PsDocument *self, PsSliceOrientation orientation)
{
  int axis = ps_slice_normal_axis (orientation);
  g_return_val_if_fail (PS_IS_DOCUMENT (self), 0);
  g_return_val_if_fail (axis >= 0, 0);
  return self->crosshair[axis];
}

gboolean
ps_document_get_pointer (PsDocument *self, double pos[3])
{
  g_return_val_if_fail (PS_IS_DOCUMENT (self), FALSE);
  if (self->has_pointer && pos != NULL)
    memcpy (pos, self->pointer, sizeof self->pointer);
  return self->has_pointer;
}

void
ps_document_set_pointer (PsDocument *self, const double *pos)
{
  g_return_if_fail (PS_IS_DOCUMENT (self));

  if (pos == NULL)
    {
      if (!self->has_pointer)
        return;
      self->has_pointer = FALSE;
    }
  else
    {
      if (self->has_pointer && memcmp (pos, self->pointer, sizeof self->pointer) == 0)
        return;
      self->has_pointer = TRUE;
      memcpy (self->pointer, pos, sizeof self->pointer);
    }
  g_signal_emit (self, signals[CHANGED], 0, PS_DOCUMENT_CHANGED_POINTER);
}

/* ---- subvolume, overlays, seeds ------------------------------------------------ */

gboolean
ps_document_get_subvolume (PsDocument *self, PsBox *box)
{
  g_return_val_if_fail (PS_IS_DOCUMENT (self), FALSE);
  if (self->has_subvolume && box != NULL)
    *box = self->subvolume;
  return self->has_subvolume;
}

void
ps_document_set_subvolume (PsDocument *self, const PsBox *box)
{
  g_return_if_fail (PS_IS_DOCUMENT (self));

  if (box != NULL)
    {
      g_return_if_fail (self->volume != NULL);
      g_return_if_fail (ps_box_inside (box, self->volume->nx, self->volume->ny, self->volume->nz));
      self->subvolume = *box;
      self->has_subvolume = TRUE;
    }
  else
    self->has_subvolume = FALSE;
  emit_changed (self, PS_DOCUMENT_CHANGED_SUBVOLUME);
}

static int
find_overlay (PsDocument *self, const char *name)
{
  for (guint i = 0; i < self->overlays->len; i++)
    {
      PsOverlayLayer *l = g_ptr_array_index (self->overlays, i);
      if (g_str_equal (l->name, name))
        return (int) i;
    }
  return -1;
}

/**
 * ps_document_set_overlay:
 * @name: the layer's key; an existing layer of that name is replaced
 * @labels: (transfer none): labels on the volume's grid
 * @phase: a phase takes its colour from Preferences (@color is ignored)
 * @alpha: opacity 0 … 1, or < 0 for the document's overlay-opacity
 *
 * Adds or replaces a label layer. Layers are drawn in the order they were
 * first added, over the gray image.
 */
void
ps_document_set_overlay (PsDocument *self, const char *name, PsLabels *labels, PsOverlayMode mode,
                         PsPhase phase, guint32 color, double alpha)
{
  PsOverlayLayer *layer;
  int index;

  g_return_if_fail (PS_IS_DOCUMENT (self));
  g_return_if_fail (name != NULL);
  g_return_if_fail (labels != NULL);
  g_return_if_fail (self->volume != NULL);
  g_return_if_fail (labels->nx == self->volume->nx && labels->ny == self->volume->ny
                    && labels->nz == self->volume->nz);

  index = find_overlay (self, name);
  if (index < 0)
    {
      g_return_if_fail (self->overlays->len < PS_SLICE_MAX_OVERLAYS);
      layer = g_new0 (PsOverlayLayer, 1);
      layer->name = g_strdup (name);
      layer->visible = TRUE;
      g_ptr_array_add (self->overlays, layer);
    }
  else
    layer = g_ptr_array_index (self->overlays, index);
  ps_labels_ref (labels);
  g_clear_pointer (&layer->labels, ps_labels_unref);
  layer->labels = labels;
  layer->mode = mode;
  layer->phase = phase;
  layer->color = color & 0xffffff;
  layer->alpha = alpha;
  emit_changed (self, PS_DOCUMENT_CHANGED_OVERLAY);
}

gboolean
ps_document_remove_overlay (PsDocument *self, const char *name)
{
  int index;

  g_return_val_if_fail (PS_IS_DOCUMENT (self), FALSE);
  g_return_val_if_fail (name != NULL, FALSE);

  index = find_overlay (self, name);
  if (index < 0)
    return FALSE;
  g_ptr_array_remove_index (self->overlays, (guint) index);
  emit_changed (self, PS_DOCUMENT_CHANGED_OVERLAY);
  return TRUE;
}

void
ps_document_set_overlay_visible (PsDocument *self, const char *name, gboolean visible)
{
  int index;
  PsOverlayLayer *layer;

  g_return_if_fail (PS_IS_DOCUMENT (self));
  index = find_overlay (self, name);
  g_return_if_fail (index >= 0);
  layer = g_ptr_array_index (self->overlays, index);
  if (layer->visible == !!visible)
    return;
  layer->visible = !!visible;
  emit_changed (self, PS_DOCUMENT_CHANGED_OVERLAY);
}

/**
 * ps_document_set_overlay_title:
 * @title: (nullable): what the legend calls the layer; NULL: its phase or name
 */
void
ps_document_set_overlay_title (PsDocument *self, const char *name, const char *title)
{
  int index;
  PsOverlayLayer *layer;

  g_return_if_fail (PS_IS_DOCUMENT (self));
  index = find_overlay (self, name);
  g_return_if_fail (index >= 0);
  layer = g_ptr_array_index (self->overlays, index);
  g_free (layer->title);
  layer->title = g_strdup (title);
  emit_changed (self, PS_DOCUMENT_CHANGED_OVERLAY);
}

guint
ps_document_get_n_overlays (PsDocument *self)
{
  g_return_val_if_fail (PS_IS_DOCUMENT (self), 0);
  return self->overlays->len;
}

const PsOverlayLayer *
ps_document_get_overlay (PsDocument *self, guint index)
{
  g_return_val_if_fail (PS_IS_DOCUMENT (self), NULL);
  g_return_val_if_fail (index < self->overlays->len, NULL);
  return g_ptr_array_index (self->overlays, index);
}

guint32
ps_document_get_overlay_color (PsDocument *self, const PsOverlayLayer *layer)
{
  g_return_val_if_fail (PS_IS_DOCUMENT (self), 0);
  switch (layer->phase)
    {
    case PS_PHASE_CARBON: return self->carbon_color;
    case PS_PHASE_PORES: return self->pore_color;
    case PS_PHASE_NONE:
    default: return layer->color;
    }
}

double
ps_document_get_overlay_alpha (PsDocument *self, const PsOverlayLayer *layer)
{
  g_return_val_if_fail (PS_IS_DOCUMENT (self), 0.0);
  return layer->alpha >= 0.0 ? CLAMP (layer->alpha, 0.0, 1.0) : self->overlay_opacity;
}

void
ps_document_set_seeds (PsDocument *self, const PsSeed *seeds, gsize n_seeds)
{
  g_return_if_fail (PS_IS_DOCUMENT (self));
  g_return_if_fail (seeds != NULL || n_seeds == 0);

  g_array_set_size (self->seeds, 0);
  g_array_append_vals (self->seeds, seeds, (guint) n_seeds);
  emit_changed (self, PS_DOCUMENT_CHANGED_SEEDS);
}

const PsSeed *
ps_document_get_seeds (PsDocument *self, gsize *n_seeds)
{
  g_return_val_if_fail (PS_IS_DOCUMENT (self), NULL);
  if (n_seeds != NULL)
    *n_seeds = self->seeds->len;
  return (const PsSeed *) (gpointer) self->seeds->data;
}

/* ---- actions -------------------------------------------------------------------- */

static void
set_action_state (PsDocument *self, const char *name, GVariant *state)
{
  GAction *action = g_action_map_lookup_action (G_ACTION_MAP (self->actions), name);
  g_simple_action_set_state (G_SIMPLE_ACTION (action), state);
}

static void
set_action_enabled (PsDocument *self, const char *name, gboolean enabled)
{
  GAction *action = g_action_map_lookup_action (G_ACTION_MAP (self->actions), name);
  g_simple_action_set_enabled (G_SIMPLE_ACTION (action), enabled);
}

static void
update_actions (PsDocument *self)
{
  gboolean has = self->volume != NULL;

  if (self->actions == NULL)
    return;
  self->updating_actions = TRUE;
  set_action_state (self, "crosshair",
                    g_variant_new ("(iii)", (gint32) self->crosshair[0], (gint32) self->crosshair[1],
                                   (gint32) self->crosshair[2]));
  set_action_state (self, "window", g_variant_new ("(dd)", self->lo, self->hi));
  set_action_state (self, "colormap", g_variant_new_string (colormap_to_string (self->colormap)));
  set_action_state (self, "interpolation",
                    g_variant_new_string (interpolation_to_string (self->interpolation)));
  set_action_state (self, "show-overlays", g_variant_new_boolean (self->show_overlays));
  set_action_state (self, "show-crosshair", g_variant_new_boolean (self->show_crosshair));
  for (const char *const *n = (const char *const[]) { "crosshair", "step-slice", "window", "auto-contrast",
                                                      "reset-contrast", "swap-yz", NULL };
       *n != NULL; n++)
    set_action_enabled (self, *n, has);
  set_action_enabled (self, "cancel", self->job != NULL);
  self->updating_actions = FALSE;
}

static void
action_crosshair (GSimpleAction *action, GVariant *param, gpointer user_data)
{
  PsDocument *self = user_data;
  gint32 x, y, z;
  g_variant_get (param, "(iii)", &x, &y, &z);
  ps_document_set_crosshair (self, MAX (x, 0), MAX (y, 0), MAX (z, 0));
}

static void
action_step_slice (GSimpleAction *action, GVariant *param, gpointer user_data)
{
  PsDocument *self = user_data;
  const char *name;
  gint32 delta;
  int axis;
  gsize pos[3], n[3];

  if (self->volume == NULL)
    return;
  g_variant_get (param, "(&si)", &name, &delta);
  axis = g_str_equal (name, "xy") ? 2 : g_str_equal (name, "xz") ? 1 : g_str_equal (name, "yz") ? 0 : -1;
  if (axis < 0)
    return;
  memcpy (pos, self->crosshair, sizeof pos);
  n[0] = self->volume->nx;
  n[1] = self->volume->ny;
  n[2] = self->volume->nz;
  gint64 v = (gint64) pos[axis] + delta;
  pos[axis] = (gsize) CLAMP (v, 0, (gint64) n[axis] - 1);
  ps_document_set_crosshair (self, pos[0], pos[1], pos[2]);
}

static void
action_window (GSimpleAction *action, GVariant *param, gpointer user_data)
{
  double lo, hi;
  g_variant_get (param, "(dd)", &lo, &hi);
  ps_document_set_window (PS_DOCUMENT (user_data), lo, hi);
}

static void
action_auto_contrast (GSimpleAction *action, GVariant *param, gpointer user_data)
{
  ps_document_auto_contrast (PS_DOCUMENT (user_data));
}

static void
action_reset_contrast (GSimpleAction *action, GVariant *param, gpointer user_data)
{
  ps_document_reset_contrast (PS_DOCUMENT (user_data));
}

static void
action_colormap (GSimpleAction *action, GVariant *param, gpointer user_data)
{
  const char *s = g_variant_get_string (param, NULL);
  ps_document_set_colormap (PS_DOCUMENT (user_data),
                            g_str_equal (s, "inverted") ? PS_COLORMAP_GRAY_INVERTED : PS_COLORMAP_GRAY);
}

static void
action_interpolation (GSimpleAction *action, GVariant *param, gpointer user_data)
{
  const char *s = g_variant_get_string (param, NULL);
  ps_document_set_interpolation (PS_DOCUMENT (user_data),
                                 g_str_equal (s, "linear") ? PS_INTERPOLATION_LINEAR
                                                           : PS_INTERPOLATION_NEAREST);
}

static void
action_show_overlays (GSimpleAction *action, GVariant *param, gpointer user_data)
{
  PsDocument *self = user_data;
  gboolean show = g_variant_get_boolean (param);
  if (self->show_overlays == show)
    return;
  self->show_overlays = show;
  emit_changed (self, PS_DOCUMENT_CHANGED_DISPLAY | PS_DOCUMENT_CHANGED_OVERLAY);
}

static void
action_show_crosshair (GSimpleAction *action, GVariant *param, gpointer user_data)
{
  set_show_crosshair (PS_DOCUMENT (user_data), g_variant_get_boolean (param));
}

static void
action_overlay_visible (GSimpleAction *action, GVariant *param, gpointer user_data)
{
  PsDocument *self = user_data;
  const char *name;
  gboolean visible;

  g_variant_get (param, "(&sb)", &name, &visible);
  if (find_overlay (self, name) >= 0)
    ps_document_set_overlay_visible (self, name, visible);
}

static void
action_open_demo (GSimpleAction *action, GVariant *param, gpointer user_data)
{
  ps_document_load_demo (PS_DOCUMENT (user_data));
}

static void
action_swap_yz (GSimpleAction *action, GVariant *param, gpointer user_data)
{
  ps_document_swap_yz (PS_DOCUMENT (user_data));
}

static void
action_cancel (GSimpleAction *action, GVariant *param, gpointer user_data)
{
  ps_document_cancel (PS_DOCUMENT (user_data));
}

static const GActionEntry action_entries[] = {
  { "crosshair", NULL, "(iii)", "(0,0,0)", action_crosshair },
  { "step-slice", action_step_slice, "(si)" },
  { "window", NULL, "(dd)", "(0.0,1.0)", action_window },
  { "auto-contrast", action_auto_contrast },
  { "reset-contrast", action_reset_contrast },
  { "colormap", NULL, "s", "'gray'", action_colormap },
  { "interpolation", NULL, "s", "'nearest'", action_interpolation },
  { "show-overlays", NULL, NULL, "true", action_show_overlays },
  { "show-crosshair", NULL, NULL, "true", action_show_crosshair },
  { "overlay-visible", action_overlay_visible, "(sb)" },
  { "open-demo", action_open_demo },
  { "swap-yz", action_swap_yz },
  { "cancel", action_cancel },
};

/**
 * ps_document_get_actions:
 *
 * Returns: (transfer none): the "doc." actions listed in ps-document.h
 */
GActionGroup *
ps_document_get_actions (PsDocument *self)
{
  g_return_val_if_fail (PS_IS_DOCUMENT (self), NULL);
  return G_ACTION_GROUP (self->actions);
}

/* ---- GObject ------------------------------------------------------------------------ */

static void
ps_document_dispose (GObject *object)
{
  PsDocument *self = PS_DOCUMENT (object);

  if (self->job_cancellable != NULL)
    g_cancellable_cancel (self->job_cancellable);
  g_clear_object (&self->job);
  g_clear_object (&self->job_cancellable);
  g_clear_object (&self->actions);
  g_clear_object (&self->file);

  G_OBJECT_CLASS (ps_document_parent_class)->dispose (object);
}

static void
ps_document_finalize (GObject *object)
{
  PsDocument *self = PS_DOCUMENT (object);

  g_clear_pointer (&self->volume, ps_volume_unref);
  g_clear_pointer (&self->tilt_series, ps_tilt_series_unref);
  g_clear_pointer (&self->info, ps_file_info_free);
  g_clear_pointer (&self->histogram, ps_histogram_free);
  g_clear_pointer (&self->overlays, g_ptr_array_unref);
  g_clear_pointer (&self->seeds, g_array_unref);
  g_clear_pointer (&self->title, g_free);
  g_clear_pointer (&self->recon_info, ps_recon_info_free);
  g_clear_pointer (&self->recon_volume, ps_volume_unref);

  G_OBJECT_CLASS (ps_document_parent_class)->finalize (object);
}

static void
ps_document_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  PsDocument *self = PS_DOCUMENT (object);

  switch (prop_id)
    {
    case PROP_TITLE:
      g_value_set_string (value, self->title);
      break;
    case PROP_BUSY:
      g_value_set_boolean (value, self->job != NULL);
      break;
    case PROP_JOB:
      g_value_set_object (value, self->job);
      break;
    case PROP_HAS_VOLUME:
      g_value_set_boolean (value, self->volume != NULL);
      break;
    case PROP_INTERPOLATION:
      g_value_set_string (value, interpolation_to_string (self->interpolation));
      break;
    case PROP_COLORMAP:
      g_value_set_string (value, colormap_to_string (self->colormap));
      break;
    case PROP_SHOW_CROSSHAIR:
      g_value_set_boolean (value, self->show_crosshair);
      break;
    case PROP_CARBON_COLOR:
      g_value_take_string (value, ps_color_to_string (self->carbon_color));
      break;
    case PROP_PORE_COLOR:
      g_value_take_string (value, ps_color_to_string (self->pore_color));
      break;
    case PROP_OVERLAY_OPACITY:
      g_value_set_double (value, self->overlay_opacity);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
set_phase_color (PsDocument *self, guint32 *field, const char *text, GParamSpec *pspec)
{
  guint32 rgb;
  if (!ps_color_parse (text, &rgb) || rgb == *field)
    return;
  *field = rgb;
  g_object_notify_by_pspec (G_OBJECT (self), pspec);
  emit_changed (self, PS_DOCUMENT_CHANGED_OVERLAY);
}

static void
ps_document_set_property (GObject *object, guint prop_id, const GValue *value, GParamSpec *pspec)
{
  PsDocument *self = PS_DOCUMENT (object);

  switch (prop_id)
    {
    case PROP_INTERPOLATION:
      ps_document_set_interpolation (self, g_strcmp0 (g_value_get_string (value), "linear") == 0
                                               ? PS_INTERPOLATION_LINEAR
                                               : PS_INTERPOLATION_NEAREST);
      break;
    case PROP_COLORMAP:
      ps_document_set_colormap (self, g_strcmp0 (g_value_get_string (value), "inverted") == 0
                                          ? PS_COLORMAP_GRAY_INVERTED
                                          : PS_COLORMAP_GRAY);
      break;
    case PROP_SHOW_CROSSHAIR:
      set_show_crosshair (self, g_value_get_boolean (value));
      break;
    case PROP_CARBON_COLOR:
      set_phase_color (self, &self->carbon_color, g_value_get_string (value), pspec);
      break;
    case PROP_PORE_COLOR:
      set_phase_color (self, &self->pore_color, g_value_get_string (value), pspec);
      break;
    case PROP_OVERLAY_OPACITY:
      {
        double a = CLAMP (g_value_get_double (value), 0.0, 1.0);
        if (a != self->overlay_opacity)
          {
            self->overlay_opacity = a;
            g_object_notify_by_pspec (object, pspec);
            emit_changed (self, PS_DOCUMENT_CHANGED_OVERLAY);
          }
      }
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ps_document_class_init (PsDocumentClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = ps_document_dispose;
  object_class->finalize = ps_document_finalize;
  object_class->get_property = ps_document_get_property;
  object_class->set_property = ps_document_set_property;

  properties[PROP_TITLE] =
    g_param_spec_string ("title", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_BUSY] =
    g_param_spec_boolean ("busy", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_JOB] =
    g_param_spec_object ("job", NULL, NULL, PS_TYPE_JOB,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_HAS_VOLUME] =
    g_param_spec_boolean ("has-volume", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_INTERPOLATION] =
    g_param_spec_string ("interpolation", NULL, NULL, "nearest",
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_COLORMAP] =
    g_param_spec_string ("colormap", NULL, NULL, "gray",
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_SHOW_CROSSHAIR] =
    g_param_spec_boolean ("show-crosshair", NULL, NULL, TRUE,
                          G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_CARBON_COLOR] =
    g_param_spec_string ("carbon-color", NULL, NULL, "#2f6fdb",
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_PORE_COLOR] =
    g_param_spec_string ("pore-color", NULL, NULL, "#9a9a9a",
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_OVERLAY_OPACITY] =
    g_param_spec_double ("overlay-opacity", NULL, NULL, 0.0, 1.0, 0.5,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * PsDocument::changed:
   * @flags: PsDocumentChange bits
   */
  signals[CHANGED] = g_signal_new ("changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                                   NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_UINT);
  /**
   * PsDocument::error:
   * @title: what could not be done ("Could not open “x.mrc”")
   * @error: why; the message names the file
   */
  signals[ERROR] = g_signal_new ("error", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL,
                                 NULL, NULL, G_TYPE_NONE, 2, G_TYPE_STRING, G_TYPE_ERROR);
  /**
   * PsDocument::saved:
   * @file: where the volume was written
   */
  signals[SAVED] = g_signal_new ("saved", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL,
                                 NULL, NULL, G_TYPE_NONE, 1, G_TYPE_FILE);
}

static void
ps_document_init (PsDocument *self)
{
  self->overlays = g_ptr_array_new_with_free_func (overlay_layer_free);
  self->seeds = g_array_new (FALSE, FALSE, sizeof (PsSeed));
  self->lo = 0.0;
  self->hi = 1.0;
  self->show_crosshair = TRUE;
  self->show_overlays = TRUE;
  self->carbon_color = 0x2f6fdb;
  self->pore_color = 0x9a9a9a;
  self->overlay_opacity = 0.5;
  self->actions = g_simple_action_group_new ();
  g_action_map_add_action_entries (G_ACTION_MAP (self->actions), action_entries,
                                   G_N_ELEMENTS (action_entries), self);
  update_actions (self);
  /* doc.subvolume, subvolume-nm, clear-subvolume, extract-subvolume. */
  ps_subvolume_tool_add_actions (self);
}

PsDocument *
ps_document_new (void)
{
  return g_object_new (PS_TYPE_DOCUMENT, NULL);
}

/* ---- reconstruction provenance --------------------------------------------------- */

PsReconInfo *
ps_recon_info_copy (const PsReconInfo *info)
{
  PsReconInfo *copy;

  g_return_val_if_fail (info != NULL, NULL);
  copy = g_memdup2 (info, sizeof *info);
  copy->source = g_strdup (info->source);
  copy->angles = g_strdup (info->angles);
  return copy;
}

void
ps_recon_info_free (PsReconInfo *info)
{
  if (info == NULL)
    return;
  g_free (info->source);
  g_free (info->angles);
  g_free (info);
}

/**
 * ps_document_get_recon_info:
 *
 * Returns: (transfer none) (nullable): how the shown dataset was
 *   reconstructed, or NULL when it was not (or another dataset is shown)
 */
const PsReconInfo *
ps_document_get_recon_info (PsDocument *self)
{
  g_return_val_if_fail (PS_IS_DOCUMENT (self), NULL);
  if (self->recon_info == NULL || self->volume == NULL || self->volume != self->recon_volume)
    return NULL;
  return self->recon_info;
}

/**
 * ps_document_set_recon_info:
 * @volume: (transfer none): the reconstructed volume @info describes
 * @info: (nullable): NULL forgets it
 */
void
ps_document_set_recon_info (PsDocument *self, PsVolume *volume, const PsReconInfo *info)
{
  g_return_if_fail (PS_IS_DOCUMENT (self));

  g_clear_pointer (&self->recon_info, ps_recon_info_free);
  g_clear_pointer (&self->recon_volume, ps_volume_unref);
  if (info != NULL && volume != NULL)
    {
      self->recon_info = ps_recon_info_copy (info);
      self->recon_volume = ps_volume_ref (volume);
    }
}
