/* SPDX-License-Identifier: GPL-3.0-or-later */
/* PsJob: results, errors, throttled progress in the caller's main context,
 * cancellation through the kernel flag, stale results dropped, the pool's
 * thread limit, and finalization. */
#include "config.h"

#include <gio/gio.h>
#include <stdatomic.h>

#include "ps-job.h"
#include "ps-test-util.h"

typedef struct
{
  int value;
  atomic_int *freed;
} Result;

static void
result_free (gpointer data)
{
  Result *r = data;
  if (r->freed != NULL)
    atomic_fetch_add (r->freed, 1);
  g_free (r);
}

typedef struct
{
  int steps;
  int sleep_us;
  gboolean until_cancelled;
  gboolean fail;
  atomic_int *freed;
  atomic_int *running;   /* concurrency probe */
  atomic_int *max_running;
  GThread *main_thread;
  GThread *worker_thread;   /* atomic: workers of one Work may run at once */
} Work;

static gpointer
worker (PsJob *job, gpointer data, const PsProgress *progress, GError **error)
{
  Work *w = data;
  Result *r;

  g_atomic_pointer_set (&w->worker_thread, g_thread_self ());
  if (w->running != NULL)
    {
      int now = atomic_fetch_add (w->running, 1) + 1;
      int seen = atomic_load (w->max_running);
      while (now > seen && !atomic_compare_exchange_weak (w->max_running, &seen, now))
        ;
    }
  for (int i = 0; w->until_cancelled || i < w->steps; i++)
    {
      if (ps_progress_cancelled (progress))
        {
          if (w->running != NULL)
            atomic_fetch_sub (w->running, 1);
          g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_CANCELLED, "cancelled");
          return NULL;
        }
      ps_progress_report (progress, w->steps > 0 ? (double) (i + 1) / w->steps : 0.5,
                          i % 2 ? "odd step" : "even step");
      if (w->sleep_us > 0)
        g_usleep (w->sleep_us);
    }
  if (w->running != NULL)
    atomic_fetch_sub (w->running, 1);
  if (w->fail)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "data.mrc: broken");
      return NULL;
    }
  r = g_new0 (Result, 1);
  r->value = 42;
  r->freed = w->freed;
  return r;
}

static void
test_result (void)
{
  Work w = { .steps = 10 };
  g_autoptr (GError) error = NULL;
  g_autoptr (PsJob) job = ps_job_new ("test", worker, &w, NULL, result_free);
  Result *r = ps_job_run_sync (job, NULL, &error);

  g_assert_no_error (error);
  g_assert_nonnull (r);
  g_assert_cmpint (r->value, ==, 42);
  g_assert_false (ps_job_get_running (job));
  g_assert_cmpfloat (ps_job_get_fraction (job), ==, 1.0);
  g_assert_true (g_atomic_pointer_get (&w.worker_thread) != g_thread_self ());
  result_free (r);
}

static void
test_error (void)
{
  Work w = { .steps = 3, .fail = TRUE };
  g_autoptr (GError) error = NULL;
  g_autoptr (PsJob) job = ps_job_new ("test", worker, &w, NULL, result_free);

  g_assert_null (ps_job_run_sync (job, NULL, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
  g_assert_cmpstr (error->message, ==, "data.mrc: broken");
}

typedef struct
{
  int n_fraction;
  int n_message;
  gboolean wrong_thread;
  GThread *main_thread;
  double last_fraction;
  GAsyncResult *result;
} Observer;

static void
on_fraction (GObject *object, GParamSpec *pspec, gpointer data)
{
  Observer *o = data;
  double f = ps_job_get_fraction (PS_JOB (object));
  o->n_fraction++;
  if (g_thread_self () != o->main_thread)
    o->wrong_thread = TRUE;
  g_assert_cmpfloat (f, >=, o->last_fraction); /* monotonic as reported */
  o->last_fraction = f;
}

static void
on_message (GObject *object, GParamSpec *pspec, gpointer data)
{
  ((Observer *) data)->n_message++;
}

static void
on_done (GObject *source, GAsyncResult *result, gpointer data)
{
  Observer *o = data;
  o->result = g_object_ref (result);
}

/* 400 progress reports over ~0.4 s must arrive in the main thread as at most
 * ~10 notifications per second (plus the final one), not 400. */
static void
test_progress_throttled (void)
{
  Work w = { .steps = 400, .sleep_us = 1000 };
  Observer o = { .main_thread = g_thread_self () };
  g_autoptr (PsJob) job = ps_job_new ("test", worker, &w, NULL, result_free);
  g_autoptr (GError) error = NULL;
  gint64 t0 = g_get_monotonic_time ();

  g_signal_connect (job, "notify::fraction", G_CALLBACK (on_fraction), &o);
  g_signal_connect (job, "notify::message", G_CALLBACK (on_message), &o);
  ps_job_run_async (job, NULL, on_done, &o);
  g_assert_true (ps_job_get_running (job));
  while (o.result == NULL)
    g_main_context_iteration (NULL, TRUE);
  double seconds = (g_get_monotonic_time () - t0) / 1e6;
  Result *r = ps_job_run_finish (job, o.result, &error);
  g_assert_no_error (error);
  result_free (r);
  g_object_unref (o.result);

  g_assert_false (o.wrong_thread);
  g_assert_cmpint (o.n_fraction, >=, 2);
  g_assert_cmpint (o.n_fraction, <=, (int) (seconds * 10) + 3);
  g_assert_cmpint (o.n_message, <=, (int) (seconds * 10) + 3);
  g_assert_cmpfloat (o.last_fraction, ==, 1.0);
}

static gboolean
cancel_later (gpointer data)
{
  ps_job_cancel (PS_JOB (data));
  return G_SOURCE_REMOVE;
}

static void
test_cancel (void)
{
  Work w = { .until_cancelled = TRUE, .sleep_us = 500 };
  Observer o = { .main_thread = g_thread_self () };
  g_autoptr (PsJob) job = ps_job_new ("test", worker, &w, NULL, result_free);
  g_autoptr (GError) error = NULL;

  ps_job_run_async (job, NULL, on_done, &o);
  g_timeout_add (50, cancel_later, job);
  while (o.result == NULL)
    g_main_context_iteration (NULL, TRUE);
  g_assert_null (ps_job_run_finish (job, o.result, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_true (ps_job_is_cancelled (job));
  g_assert_false (ps_job_get_running (job));
  g_object_unref (o.result);
}

static void
test_cancel_before_start (void)
{
  atomic_int ran = 0, max_running = 0;   /* (clang has no atomic compound literals) */
  Work w = { .steps = 1, .running = &ran, .max_running = &max_running };
  g_autoptr (GCancellable) c = g_cancellable_new ();
  g_autoptr (PsJob) job = ps_job_new ("test", worker, &w, NULL, result_free);
  g_autoptr (GError) error = NULL;

  g_cancellable_cancel (c);
  g_assert_null (ps_job_run_sync (job, c, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_null (g_atomic_pointer_get (&w.worker_thread)); /* the worker function never ran */
}

/* The worker finishes with a result, but the request was cancelled before
 * the main loop picked it up: the result is freed, never delivered. */
static gboolean
cancel_when_done (gpointer data)
{
  PsJob *job = data;
  g_cancellable_cancel (ps_job_get_cancellable (job));
  return G_SOURCE_REMOVE;
}

static void
test_stale_result_dropped (void)
{
  atomic_int freed = 0;
  Work w = { .steps = 1, .freed = &freed };
  Observer o = { .main_thread = g_thread_self () };
  g_autoptr (PsJob) job = ps_job_new ("test", worker, &w, NULL, result_free);
  g_autoptr (GError) error = NULL;

  ps_job_run_async (job, NULL, on_done, &o);
  /* Wait until the worker has produced its result (completion queued at
   * G_PRIORITY_DEFAULT but not dispatched), then cancel from a higher
   * priority source that runs first. */
  while (g_atomic_pointer_get (&w.worker_thread) == NULL || !g_main_context_pending (NULL))
    g_usleep (1000);
  g_usleep (20000);
  GSource *s = g_idle_source_new ();
  g_source_set_priority (s, G_PRIORITY_HIGH);
  g_source_set_callback (s, cancel_when_done, job, NULL);
  g_source_attach (s, NULL);
  g_source_unref (s);
  while (o.result == NULL)
    g_main_context_iteration (NULL, TRUE);
  g_assert_null (ps_job_run_finish (job, o.result, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_object_unref (o.result);
  g_assert_cmpint (atomic_load (&freed), ==, 1);
}

typedef struct
{
  int pending;
} Many;

static void
on_many_done (GObject *source, GAsyncResult *result, gpointer data)
{
  Many *m = data;
  g_autoptr (GError) error = NULL;
  Result *r = ps_job_run_finish (PS_JOB (source), result, &error);
  g_assert_no_error (error);
  result_free (r);
  m->pending--;
}

static void
test_pool_limit (void)
{
  atomic_int running = 0, max_running = 0;
  Work w = { .steps = 20, .sleep_us = 2000, .running = &running, .max_running = &max_running };
  Many m = { 0 };

  ps_job_pool_set_max_threads (2);
  g_assert_cmpint (ps_job_pool_get_max_threads (), ==, 2);
  for (int i = 0; i < 6; i++)
    {
      g_autoptr (PsJob) job = ps_job_new ("test", worker, &w, NULL, result_free);
      m.pending++;
      ps_job_run_async (job, NULL, on_many_done, &m);
    }
  while (m.pending > 0)
    g_main_context_iteration (NULL, TRUE);
  g_assert_cmpint (atomic_load (&max_running), <=, 2);
  g_assert_cmpint (atomic_load (&max_running), >=, 1);
  ps_job_pool_set_max_threads (0);
}

static void
test_finalize_and_threads (void)
{
  Work w = { .steps = 2 };
  PsJob *job = ps_job_new ("title", worker, g_memdup2 (&w, sizeof w), g_free, result_free);
  g_autoptr (GError) error = NULL;

  ps_job_set_default_n_threads (3);
  g_assert_cmpint (ps_job_get_default_n_threads (), ==, 3);
  PsJob *job2 = ps_job_new ("t2", worker, NULL, NULL, NULL);
  g_assert_cmpint (ps_job_get_n_threads (job2), ==, 3);
  g_object_unref (job2);
  ps_job_set_default_n_threads (0);

  g_assert_cmpstr (ps_job_get_title (job), ==, "title");
  g_object_add_weak_pointer (G_OBJECT (job), (gpointer *) &job);
  result_free (ps_job_run_sync (job, NULL, &error));
  g_assert_no_error (error);
  /* Let the progress source (which holds a reference) go. */
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_object_unref (job);
  g_assert_null (job);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/jobs/job/result", test_result);
  g_test_add_func ("/jobs/job/error", test_error);
  g_test_add_func ("/jobs/job/progress-throttled", test_progress_throttled);
  g_test_add_func ("/jobs/job/cancel", test_cancel);
  g_test_add_func ("/jobs/job/cancel-before-start", test_cancel_before_start);
  g_test_add_func ("/jobs/job/stale-result-dropped", test_stale_result_dropped);
  g_test_add_func ("/jobs/job/pool-limit", test_pool_limit);
  g_test_add_func ("/jobs/job/finalize", test_finalize_and_threads);
  return g_test_run ();
}
