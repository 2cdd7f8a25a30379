/* SPDX-License-Identifier: GPL-3.0-or-later */
/* ps-job.h: run one piece of long work (loading, reconstruction, analysis) on
 * the compute thread pool, with progress and cancellation.
 *
 * A PsJob wraps a worker function and its data. ps_job_run_async() queues it
 * on a dedicated GThreadPool (≈ cores − 1 threads, not GIO's shared pool);
 * the worker gets a PsProgress whose callback updates the job's `fraction`
 * and `message` properties and whose cancel flag is set when the job's
 * GCancellable is cancelled, so core kernels need no GLib. Property
 * notifications arrive in the main context that started the job, throttled
 * to about 10 Hz by one pending G_PRIORITY_LOW source at a time; bind a
 * GtkProgressBar to them directly.
 *
 * Results: the worker returns a pointer (transfer full, freed with the
 * job's result_free when nobody takes it) or NULL with @error set. When the
 * cancellable was cancelled — even after the worker finished — finish()
 * returns G_IO_ERROR_CANCELLED and the result is freed: a stale result never
 * reaches its caller. The usual pattern for "a new request replaces the old
 * one" is therefore: cancel the old job, start the new one, and apply a
 * result only in the new job's callback.
 *
 *   static gpointer
 *   load_worker (PsJob *job, gpointer data, const PsProgress *progress, GError **error)
 *   {
 *     return ps_volume_load (data, NULL, progress, error);   // runs in a worker
 *   }
 *
 *   job = ps_job_new (_("Loading"), load_worker, g_strdup (path), g_free,
 *                     (GDestroyNotify) ps_volume_unref);
 *   g_object_bind_property (job, "fraction", bar, "fraction", G_BINDING_SYNC_CREATE);
 *   ps_job_run_async (job, cancellable, on_loaded, self);
 *   …
 *   vol = ps_job_run_finish (job, result, &error);           // main thread
 *
 * Each job runs once. ps_job_run_sync() spins its own GMainContext, for the
 * CLI and tests.
 */
#pragma once

#include <gio/gio.h>

#include "ps-status.h"

G_BEGIN_DECLS

#define PS_TYPE_JOB (ps_job_get_type ())
G_DECLARE_FINAL_TYPE (PsJob, ps_job, PS, JOB, GObject)

/* Runs in a worker thread. Report through @progress (or ps_job_set_progress)
 * and poll ps_progress_cancelled (@progress) per slice/angle/level. Returns
 * the result (transfer full) or NULL with @error set; NULL without an error is
 * a valid empty result. Use ps_job_get_n_threads (@job) for OpenMP kernels. */
typedef gpointer (*PsJobFunc) (PsJob            *job,
                               gpointer          data,
                               const PsProgress *progress,
                               GError          **error);

PsJob      *ps_job_new               (const char          *title,
                                      PsJobFunc            func,
                                      gpointer             data,
                                      GDestroyNotify       data_free,
                                      GDestroyNotify       result_free);
const char *ps_job_get_title         (PsJob               *job);
double      ps_job_get_fraction      (PsJob               *job);
char       *ps_job_dup_message       (PsJob               *job);
gboolean    ps_job_get_running       (PsJob               *job);
int         ps_job_get_n_threads     (PsJob               *job);
void        ps_job_set_n_threads     (PsJob               *job,
                                      int                  n_threads);

/* Thread-safe: store progress (fraction < 0 keeps the fraction; NULL keeps
 * the message) and schedule one throttled notification. */
void        ps_job_set_progress      (PsJob               *job,
                                      double               fraction,
                                      const char          *message);

/* Thread-safe. */
void        ps_job_cancel            (PsJob               *job);
gboolean    ps_job_is_cancelled      (PsJob               *job);
GCancellable *ps_job_get_cancellable (PsJob               *job);

void        ps_job_run_async         (PsJob               *job,
                                      GCancellable        *cancellable,
                                      GAsyncReadyCallback  callback,
                                      gpointer             user_data);
gpointer    ps_job_run_finish        (PsJob               *job,
                                      GAsyncResult        *result,
                                      GError             **error);
gpointer    ps_job_run_sync          (PsJob               *job,
                                      GCancellable        *cancellable,
                                      GError             **error);

/* Threads in the compute pool (default max (1, cores − 1)) and the default
 * OpenMP team size for new jobs (0 = all cores; Preferences → Threads). */
void        ps_job_pool_set_max_threads (int n_threads);
int         ps_job_pool_get_max_threads (void);
void        ps_job_set_default_n_threads (int n_threads);
int         ps_job_get_default_n_threads (void);

G_END_DECLS
