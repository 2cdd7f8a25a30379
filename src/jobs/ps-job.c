/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "ps-job"

#include "config.h"

#include <glib/gi18n.h>
#include <stdatomic.h>

#include "ps-job.h"

/* Minimum spacing of property notifications (µs): ~10 Hz is smooth for a
 * progress bar and costs the main loop nothing. */
#define NOTIFY_INTERVAL_US (100 * 1000)

struct _PsJob
{
  GObject parent_instance;

  /* Owned, set at construction. */
  char *title;
  PsJobFunc func;
  gpointer data;
  GDestroyNotify data_free;
  GDestroyNotify result_free;
  int n_threads;

  /* Main-thread state. */
  gboolean started;
  gboolean running;
  double fraction;        /* last value notified */
  char *message;          /* last value notified */
  GMainContext *context;  /* where notifications and completion go */
  GCancellable *cancellable;
  gulong cancel_handler;

  /* Shared with the worker, under @lock. */
  GMutex lock;
  double pending_fraction;
  char *pending_message;
  GSource *notify_source;
  gint64 last_notify_us;

  /* Set by the cancellable's handler, polled by kernels. */
  atomic_int cancel_flag;
};

G_DEFINE_FINAL_TYPE (PsJob, ps_job, G_TYPE_OBJECT)

/* ThreadSanitizer does not see GLib's synchronisation (GMutex is a futex,
 * GThreadPool and GMainContext hand data over through it, and libglib is not
 * instrumented), so the job's own hand-overs are annotated: the job lock,
 * the push to the pool (main → worker) and the completion (worker → main).
 * Without TSan these are no-ops. */
#if defined(__SANITIZE_THREAD__)
#define PS_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define PS_TSAN 1
#endif
#endif
#ifdef PS_TSAN
void __tsan_acquire (void *addr);
void __tsan_release (void *addr);
#define tsan_acquire(p) __tsan_acquire ((void *) (p))
#define tsan_release(p) __tsan_release ((void *) (p))
#else
#define tsan_acquire(p) ((void) 0)
#define tsan_release(p) ((void) 0)
#endif

static inline void
job_lock (PsJob *job)
{
  g_mutex_lock (&job->lock);
  tsan_acquire (&job->lock);
}

static inline void
job_unlock (PsJob *job)
{
  tsan_release (&job->lock);
  g_mutex_unlock (&job->lock);
}

enum
{
  PROP_0,
  PROP_TITLE,
  PROP_FRACTION,
  PROP_MESSAGE,
  PROP_RUNNING,
  PROP_N_THREADS,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static GThreadPool *compute_pool;
static int pool_max_threads;
static atomic_int default_n_threads;
G_LOCK_DEFINE_STATIC (pool);

/* Everything the worker produces, handed to the main context. */
typedef struct
{
  GTask *task;
  gpointer result;
  GError *error;
} Completion;

static void
ps_job_dispose (GObject *object)
{
  PsJob *self = PS_JOB (object);

  if (self->cancel_handler != 0)
    {
      g_cancellable_disconnect (self->cancellable, self->cancel_handler);
      self->cancel_handler = 0;
    }
  job_lock (self);
  if (self->notify_source != NULL)
    {
      g_source_destroy (self->notify_source);
      g_clear_pointer (&self->notify_source, g_source_unref);
    }
  job_unlock (self);
  g_clear_object (&self->cancellable);

  G_OBJECT_CLASS (ps_job_parent_class)->dispose (object);
}

static void
ps_job_finalize (GObject *object)
{
  PsJob *self = PS_JOB (object);

  if (self->data_free != NULL && self->data != NULL)
    self->data_free (self->data);
  g_clear_pointer (&self->title, g_free);
  g_clear_pointer (&self->message, g_free);
  g_clear_pointer (&self->pending_message, g_free);
  g_clear_pointer (&self->context, g_main_context_unref);
  g_mutex_clear (&self->lock);

  G_OBJECT_CLASS (ps_job_parent_class)->finalize (object);
}

static void
ps_job_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  PsJob *self = PS_JOB (object);

  switch (prop_id)
    {
    case PROP_TITLE:
      g_value_set_string (value, self->title);
      break;
    case PROP_FRACTION:
      g_value_set_double (value, self->fraction);
      break;
    case PROP_MESSAGE:
      g_value_set_string (value, self->message);
      break;
    case PROP_RUNNING:
      g_value_set_boolean (value, self->running);
      break;
    case PROP_N_THREADS:
      g_value_set_int (value, self->n_threads);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ps_job_set_property (GObject *object, guint prop_id, const GValue *value, GParamSpec *pspec)
{
  PsJob *self = PS_JOB (object);

  switch (prop_id)
    {
    case PROP_TITLE:
      g_free (self->title);
      self->title = g_value_dup_string (value);
      break;
    case PROP_N_THREADS:
      ps_job_set_n_threads (self, g_value_get_int (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ps_job_class_init (PsJobClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = ps_job_dispose;
  object_class->finalize = ps_job_finalize;
  object_class->get_property = ps_job_get_property;
  object_class->set_property = ps_job_set_property;

  properties[PROP_TITLE] =
    g_param_spec_string ("title", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_FRACTION] =
    g_param_spec_double ("fraction", NULL, NULL, 0.0, 1.0, 0.0,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_MESSAGE] =
    g_param_spec_string ("message", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_RUNNING] =
    g_param_spec_boolean ("running", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_N_THREADS] =
    g_param_spec_int ("n-threads", NULL, NULL, 0, G_MAXINT, 0,
                      G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
ps_job_init (PsJob *self)
{
  g_mutex_init (&self->lock);
  atomic_init (&self->cancel_flag, 0);
  self->pending_fraction = 0.0;
  self->n_threads = atomic_load (&default_n_threads);
}

/**
 * ps_job_new:
 * @title: a short translatable description ("Loading tomo.mrc")
 * @func: the worker function
 * @data: (transfer full): its data
 * @data_free: (nullable): frees @data with the job
 * @result_free: (nullable): frees a result nobody took
 *
 * Returns: (transfer full): a new job, not yet running.
 */
PsJob *
ps_job_new (const char *title, PsJobFunc func, gpointer data, GDestroyNotify data_free,
            GDestroyNotify result_free)
{
  PsJob *self;

  g_return_val_if_fail (func != NULL, NULL);

  self = g_object_new (PS_TYPE_JOB, "title", title, NULL);
  self->func = func;
  self->data = data;
  self->data_free = data_free;
  self->result_free = result_free;
  return self;
}

const char *
ps_job_get_title (PsJob *job)
{
  g_return_val_if_fail (PS_IS_JOB (job), NULL);
  return job->title;
}

double
ps_job_get_fraction (PsJob *job)
{
  g_return_val_if_fail (PS_IS_JOB (job), 0.0);
  return job->fraction;
}

char *
ps_job_dup_message (PsJob *job)
{
  g_return_val_if_fail (PS_IS_JOB (job), NULL);
  return g_strdup (job->message);
}

gboolean
ps_job_get_running (PsJob *job)
{
  g_return_val_if_fail (PS_IS_JOB (job), FALSE);
  return job->running;
}

int
ps_job_get_n_threads (PsJob *job)
{
  g_return_val_if_fail (PS_IS_JOB (job), 0);
  return job->n_threads;
}

void
ps_job_set_n_threads (PsJob *job, int n_threads)
{
  g_return_if_fail (PS_IS_JOB (job));
  g_return_if_fail (!job->started);

  n_threads = MAX (n_threads, 0);
  if (job->n_threads != n_threads)
    {
      job->n_threads = n_threads;
      g_object_notify_by_pspec (G_OBJECT (job), properties[PROP_N_THREADS]);
    }
}

/* Main context: publish the pending progress. */
static void
flush_progress (PsJob *self)
{
  gboolean fraction_changed, message_changed;

  job_lock (self);
  if (self->notify_source != NULL)
    {
      g_source_destroy (self->notify_source);
      g_clear_pointer (&self->notify_source, g_source_unref);
    }
  self->last_notify_us = g_get_monotonic_time ();
  fraction_changed = self->fraction != self->pending_fraction;
  self->fraction = self->pending_fraction;
  message_changed = g_strcmp0 (self->message, self->pending_message) != 0;
  if (message_changed)
    {
      g_free (self->message);
      self->message = g_strdup (self->pending_message);
    }
  job_unlock (self);

  if (fraction_changed)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_FRACTION]);
  if (message_changed)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MESSAGE]);
}

static gboolean
notify_cb (gpointer user_data)
{
  flush_progress (PS_JOB (user_data));
  return G_SOURCE_REMOVE;
}

void
ps_job_set_progress (PsJob *job, double fraction, const char *message)
{
  g_return_if_fail (PS_IS_JOB (job));

  job_lock (job);
  if (fraction >= 0.0)
    job->pending_fraction = CLAMP (fraction, 0.0, 1.0);
  if (message != NULL && g_strcmp0 (message, job->pending_message) != 0)
    {
      g_free (job->pending_message);
      job->pending_message = g_strdup (message);
    }
  if (job->notify_source == NULL && job->context != NULL)
    {
      gint64 wait_us = job->last_notify_us + NOTIFY_INTERVAL_US - g_get_monotonic_time ();
      GSource *source = wait_us > 0 ? g_timeout_source_new ((guint) (wait_us / 1000) + 1)
                                    : g_idle_source_new ();
      g_source_set_priority (source, G_PRIORITY_LOW);
      g_source_set_callback (source, notify_cb, g_object_ref (job), g_object_unref);
      g_source_set_static_name (source, "[porescope] job progress");
      job->notify_source = source;
      g_source_attach (source, job->context);
    }
  job_unlock (job);
}

static void
progress_func (double fraction, const char *message, void *user_data)
{
  ps_job_set_progress (PS_JOB (user_data), fraction, message);
}

static void
cancelled_cb (GCancellable *cancellable, gpointer user_data)
{
  PsJob *self = user_data;
  atomic_store (&self->cancel_flag, 1);
}

void
ps_job_cancel (PsJob *job)
{
  g_return_if_fail (PS_IS_JOB (job));

  atomic_store (&job->cancel_flag, 1);
  if (job->cancellable != NULL)
    g_cancellable_cancel (job->cancellable);
}

gboolean
ps_job_is_cancelled (PsJob *job)
{
  g_return_val_if_fail (PS_IS_JOB (job), FALSE);
  return atomic_load (&job->cancel_flag) != 0;
}

/**
 * ps_job_get_cancellable:
 *
 * Returns: (transfer none) (nullable): the cancellable of the running job
 */
GCancellable *
ps_job_get_cancellable (PsJob *job)
{
  g_return_val_if_fail (PS_IS_JOB (job), NULL);
  return job->cancellable;
}

/* Main context: the worker is done. */
static gboolean
complete_cb (gpointer user_data)
{
  Completion *c = user_data;
  tsan_acquire (c);
  PsJob *self = g_task_get_source_object (c->task);

  if (c->error == NULL && !g_cancellable_is_cancelled (self->cancellable))
    {
      job_lock (self);
      self->pending_fraction = 1.0;
      job_unlock (self);
    }
  flush_progress (self);
  self->running = FALSE;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RUNNING]);

  /* GTask checks the cancellable: a result that arrives after a cancel is
   * freed with result_free and the caller sees G_IO_ERROR_CANCELLED. */
  if (c->error != NULL)
    g_task_return_error (c->task, g_steal_pointer (&c->error));
  else
    g_task_return_pointer (c->task, g_steal_pointer (&c->result), self->result_free);
  return G_SOURCE_REMOVE;
}

static void
completion_free (gpointer data)
{
  Completion *c = data;
  tsan_acquire (c);
  PsJob *self = g_task_get_source_object (c->task);

  if (c->result != NULL && self->result_free != NULL)
    self->result_free (c->result);
  g_clear_error (&c->error);
  g_object_unref (c->task);
  g_free (c);
}

static void
pool_func (gpointer data, gpointer user_data)
{
  Completion *c = g_new0 (Completion, 1);
  PsJob *self;

  c->task = data;  /* the pool's reference */
  self = g_task_get_source_object (c->task);
  tsan_acquire (self);

  if (ps_job_is_cancelled (self))
    g_set_error_literal (&c->error, G_IO_ERROR, G_IO_ERROR_CANCELLED, _("Operation was cancelled"));
  else
    {
      PsProgress progress = {
        .func = progress_func,
        .user_data = self,
        .cancel = &self->cancel_flag,
        .lo = 0.0,
        .hi = 1.0,
      };
      c->result = self->func (self, self->data, &progress, &c->error);
      if (c->error != NULL && c->result != NULL)
        {
          if (self->result_free != NULL)
            self->result_free (c->result);
          c->result = NULL;
        }
    }

  /* Always through a source, never g_main_context_invoke(): that calls
   * complete_cb at once, in this worker thread, whenever the caller's
   * context is the global default one and nobody holds it (a test or tool
   * iterating it by hand between iterations): the callback, the
   * notifications and the result would then reach the caller in the wrong
   * thread. Found by ThreadSanitizer. */
  /* Our own reference on the context until the source is released: once
   * attached, the completion can run, the caller can drop the job and its
   * context (ps_job_run_sync's private one), and g_source_unref() would
   * then lock a freed context — with MALLOC_PERTURB_ a futex on garbage that
   * blocked this pool thread for ever, so the next job never started (a
   * rare hang of test-job under load). */
  GMainContext *context = g_main_context_ref (self->context);
  GSource *source = g_idle_source_new ();
  g_source_set_priority (source, G_PRIORITY_DEFAULT);
  g_source_set_callback (source, complete_cb, c, completion_free);
  g_source_set_static_name (source, "[porescope] job completion");
  tsan_release (c);   /* nothing of the job is touched here after this */
  g_source_attach (source, context);
  g_source_unref (source);
  g_main_context_unref (context);
}

static GThreadPool *
get_pool (void)
{
  GThreadPool *pool;

  G_LOCK (pool);
  if (compute_pool == NULL)
    {
      g_autoptr (GError) error = NULL;
      if (pool_max_threads <= 0)
        pool_max_threads = MAX (1, (int) g_get_num_processors () - 1);
      compute_pool = g_thread_pool_new (pool_func, NULL, pool_max_threads, FALSE, &error);
      if (compute_pool == NULL)
        g_error ("Cannot create the compute thread pool: %s", error->message);
    }
  pool = compute_pool;
  G_UNLOCK (pool);
  return pool;
}

void
ps_job_pool_set_max_threads (int n_threads)
{
  G_LOCK (pool);
  pool_max_threads = n_threads > 0 ? n_threads : MAX (1, (int) g_get_num_processors () - 1);
  if (compute_pool != NULL)
    g_thread_pool_set_max_threads (compute_pool, pool_max_threads, NULL);
  G_UNLOCK (pool);
}

int
ps_job_pool_get_max_threads (void)
{
  int n;
  G_LOCK (pool);
  n = pool_max_threads > 0 ? pool_max_threads : MAX (1, (int) g_get_num_processors () - 1);
  G_UNLOCK (pool);
  return n;
}

void
ps_job_set_default_n_threads (int n_threads)
{
  atomic_store (&default_n_threads, MAX (n_threads, 0));
}

int
ps_job_get_default_n_threads (void)
{
  return atomic_load (&default_n_threads);
}

/**
 * ps_job_run_async:
 * @cancellable: (nullable): cancels the job; NULL gives the job its own
 *
 * Queues the job on the compute pool. @callback runs in the thread-default
 * main context of the caller.
 */
void
ps_job_run_async (PsJob *job, GCancellable *cancellable, GAsyncReadyCallback callback,
                  gpointer user_data)
{
  GTask *task;

  g_return_if_fail (PS_IS_JOB (job));
  g_return_if_fail (!job->started);
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  job->started = TRUE;
  job->context = g_main_context_ref_thread_default ();
  job->cancellable = cancellable != NULL ? g_object_ref (cancellable) : g_cancellable_new ();
  if (atomic_load (&job->cancel_flag))
    g_cancellable_cancel (job->cancellable);
  /* Runs at once when already cancelled. */
  job->cancel_handler = g_cancellable_connect (job->cancellable, G_CALLBACK (cancelled_cb), job, NULL);

  task = g_task_new (job, job->cancellable, callback, user_data);
  g_task_set_source_tag (task, ps_job_run_async);
  g_task_set_name (task, job->title);
  g_task_set_check_cancellable (task, TRUE);

  job->running = TRUE;
  g_object_notify_by_pspec (G_OBJECT (job), properties[PROP_RUNNING]);

  tsan_release (job);
  g_thread_pool_push (get_pool (), task, NULL);
}

/**
 * ps_job_run_finish:
 *
 * Returns: (transfer full) (nullable): the worker's result; NULL with @error
 * set on failure or cancellation
 */
gpointer
ps_job_run_finish (PsJob *job, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (PS_IS_JOB (job), NULL);
  g_return_val_if_fail (g_task_is_valid (result, job), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == ps_job_run_async, NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
sync_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  GAsyncResult **out = user_data;
  *out = g_object_ref (result);
}

/**
 * ps_job_run_sync:
 *
 * Runs the job on the pool and waits, dispatching its notifications in a
 * private main context (for tests and the CLI; not for the GUI thread).
 *
 * Returns: (transfer full) (nullable): as ps_job_run_finish()
 */
gpointer
ps_job_run_sync (PsJob *job, GCancellable *cancellable, GError **error)
{
  g_autoptr (GMainContext) context = g_main_context_new ();
  g_autoptr (GAsyncResult) result = NULL;
  gpointer value;

  g_return_val_if_fail (PS_IS_JOB (job), NULL);

  g_main_context_push_thread_default (context);
  ps_job_run_async (job, cancellable, sync_cb, &result);
  while (result == NULL)
    g_main_context_iteration (context, TRUE);
  value = ps_job_run_finish (job, result, error);
  g_main_context_pop_thread_default (context);
  return value;
}
