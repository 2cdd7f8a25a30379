/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Cancellation storm: 200 reconstruction (WBP, SIRT, SART) and analysis
 * jobs started one after another on the compute pool, each cancelled after a
 * seeded random delay from another thread (or from the main thread, or
 * replaced by the next job while it still runs, or not at all). Checks: no
 * crash; a cancelled job finishes with G_IO_ERROR_CANCELLED and no result,
 * even when its kernel had already completed (its result is freed, never
 * delivered); a kernel that saw the cancel returns PS_ERROR_CANCELLED; a job
 * that was not cancelled delivers the same result as a direct run; every
 * result made is freed or delivered (and LeakSanitizer checks the rest when
 * this runs in the ASan pass).
 *
 * PS_STORM_ROUNDS and PS_STORM_SEED override the 200 rounds and the seed. */
#include "config.h"

#include <gio/gio.h>
#include <math.h>
#include <stdatomic.h>
#include <string.h>

#include "ps-analysis.h"
#include "ps-job.h"
#include "ps-project.h"
#include "ps-sirt.h"
#include "ps-test-util.h"
#include "ps-wbp.h"

enum { KIND_WBP, KIND_SIRT, KIND_SART, KIND_ANALYSIS, N_KINDS };
static const char *const kind_names[N_KINDS] = { "WBP", "SIRT", "SART", "analysis" };

static PsTiltSeries *series;
static PsVolume *sample;
static double reference[N_KINDS];     /* checksum of a direct run */

static atomic_int results_made, results_freed;
static atomic_int kernel_cancelled, kernel_completed;

typedef struct
{
  int kind;
  double checksum;
  gpointer payload;   /* PsVolume or PsAnalysisResult */
} Result;

static void
result_free (gpointer data)
{
  Result *r = data;
  if (r->kind == KIND_ANALYSIS)
    ps_analysis_result_free (r->payload);
  else
    ps_volume_unref (r->payload);
  g_free (r);
  atomic_fetch_add (&results_freed, 1);
}

static double
volume_checksum (const PsVolume *v)
{
  double s = 0.0;
  for (size_t i = 0; i < ps_volume_n_voxels (v); i++)
    s += fabs ((double) v->data[i]) * (1.0 + (double) (i % 7));
  return s;
}

static double
analysis_checksum (const PsAnalysisResult *r)
{
  return r->porosity * 1e6 + (double) r->pores.count * 1e3 + (double) r->carbon.count;
}

/* Runs kind's kernel; PS_ERROR_CANCELLED when @progress's flag was seen. */
static PsStatus
run_kernel (int kind, const PsProgress *progress, Result **out)
{
  char why[256];
  PsStatus st;
  gpointer payload = NULL;
  double sum = 0.0;

  if (kind == KIND_WBP)
    {
      PsWbpParams p;
      ps_wbp_params_init (&p);
      p.n_threads = 2;
      PsVolume *v = NULL;
      st = ps_wbp_run (&p, series, &v, progress, why, sizeof why);
      if (st == PS_OK)
        sum = volume_checksum (v), payload = v;
    }
  else if (kind == KIND_SIRT || kind == KIND_SART)
    {
      PsSirtParams p;
      ps_sirt_params_init (&p, kind == KIND_SIRT ? PS_ITERATIVE_SIRT : PS_ITERATIVE_SART);
      p.iterations = 6;
      p.n_threads = 2;
      PsVolume *v = NULL;
      st = ps_sirt_run (&p, series, &v, NULL, progress, why, sizeof why);
      if (st == PS_OK)
        sum = volume_checksum (v), payload = v;
    }
  else
    {
      PsAnalysisParams p;
      ps_analysis_params_init (&p);
      p.n_threads = 2;
      PsAnalysisResult *r = NULL;
      st = ps_analysis_run (&p, sample, NULL, &r, progress);
      if (st == PS_OK)
        sum = analysis_checksum (r), payload = r;
    }
  if (st != PS_OK)
    {
      g_assert_null (payload);
      return st;
    }
  Result *res = g_new0 (Result, 1);
  res->kind = kind;
  res->checksum = sum;
  res->payload = payload;
  atomic_fetch_add (&results_made, 1);
  *out = res;
  return PS_OK;
}

static gpointer
storm_worker (PsJob *job, gpointer data, const PsProgress *progress, GError **error)
{
  Result *res = NULL;
  PsStatus st = run_kernel (GPOINTER_TO_INT (data), progress, &res);
  if (st == PS_ERROR_CANCELLED)
    {
      /* only ever when a cancel was requested */
      g_assert_true (ps_job_is_cancelled (job));
      atomic_fetch_add (&kernel_cancelled, 1);
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_CANCELLED, "cancelled");
      return NULL;
    }
  g_assert_cmpint (st, ==, PS_OK);
  atomic_fetch_add (&kernel_completed, 1);
  return res;
}

typedef struct
{
  PsJob *job;
  int kind;
  gboolean cancel_requested;  /* set before the cancel is sent */
  gboolean done;
  gboolean delivered;
  gboolean was_cancelled;
  GThread *canceller;
  gulong delay_us;
  gboolean use_job_cancel;
  GCancellable *cancellable;
  atomic_int sent;            /* the canceller thread has cancelled */
} Round;

static gpointer
canceller_thread (gpointer data)
{
  Round *r = data;
  g_usleep (r->delay_us);
  if (r->use_job_cancel)
    ps_job_cancel (r->job);
  else
    g_cancellable_cancel (r->cancellable);
  atomic_store (&r->sent, 1);
  return NULL;
}

static void
on_done (GObject *source, GAsyncResult *result, gpointer data)
{
  Round *r = data;
  GError *error = NULL;
  /* read before finish(): a cancel that completed earlier must win */
  gboolean cancelled_before = atomic_load (&r->sent) || (r->cancel_requested && r->canceller == NULL);
  Result *res = ps_job_run_finish (PS_JOB (source), result, &error);

  g_assert_false (r->done);
  r->done = TRUE;
  if (res == NULL)
    {
      /* the only failure is the cancel, and only when one was asked for */
      g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
      g_assert_true (r->cancel_requested);
      g_assert_true (ps_job_is_cancelled (r->job));
      r->was_cancelled = TRUE;
      g_error_free (error);
      return;
    }
  g_assert_no_error (error);
  /* a result never reaches the caller once the job was cancelled */
  g_assert_false (cancelled_before);
  g_assert_cmpint (res->kind, ==, r->kind);
  g_assert_cmpfloat_with_epsilon (res->checksum, reference[r->kind], 1e-6 * fabs (reference[r->kind]));
  r->delivered = TRUE;
  result_free (res);
}

static void
make_inputs (void)
{
  PsStatus st;
  char why[256];
  /* a 24³ sample: carbon with a few spherical pores */
  sample = ps_volume_new (24, 24, 24, &st);
  g_assert_nonnull (sample);
  ps_volume_set_spacing (sample, 1.5, 1.5, 1.5);
  const double balls[4][4] = { { 7, 7, 7, 4 }, { 16, 15, 9, 5 }, { 8, 17, 17, 3.5 }, { 17, 6, 18, 4 } };
  for (size_t z = 0; z < 24; z++)
    for (size_t y = 0; y < 24; y++)
      for (size_t x = 0; x < 24; x++)
        {
          float v = 200.0f;
          for (int b = 0; b < 4; b++)
            {
              double dx = x + 0.5 - balls[b][0], dy = y + 0.5 - balls[b][1], dz = z + 0.5 - balls[b][2];
              if (dx * dx + dy * dy + dz * dz <= balls[b][3] * balls[b][3])
                v = 40.0f;
            }
          sample->data[ps_volume_index (sample, x, y, z)] = v + (float) ((x * 7 + y * 3 + z) % 5);
        }
  /* its projections at 41 angles (every 3°, ±60°) */
  double angles[41];
  for (int i = 0; i < 41; i++)
    angles[i] = -60.0 + 3.0 * i;
  PsProjectParams pp = { angles, 41, 2 };
  g_assert_cmpint (ps_project_run (&pp, sample, &series, NULL, why, sizeof why), ==, PS_OK);

  for (int k = 0; k < N_KINDS; k++)
    {
      Result *res = NULL;
      g_assert_cmpint (run_kernel (k, NULL, &res), ==, PS_OK);
      reference[k] = res->checksum;
      g_assert_true (isfinite (reference[k]) && reference[k] > 0);
      result_free (res);
    }
  atomic_store (&results_made, 0);
  atomic_store (&results_freed, 0);
  atomic_store (&kernel_completed, 0);
}

static void
test_storm (void)
{
  const char *env = g_getenv ("PS_STORM_ROUNDS");
  int rounds = env ? atoi (env) : 200;
  env = g_getenv ("PS_STORM_SEED");
  PsTestRng rng = { env ? g_ascii_strtoull (env, NULL, 10) : 20261207 };
  int counts[N_KINDS] = { 0 }, cancelled = 0, delivered = 0, replaced = 0;
  gint64 t0 = g_get_monotonic_time ();

  make_inputs ();
  ps_job_pool_set_max_threads (3);

  Round *prev = NULL;
  GPtrArray *all = g_ptr_array_new ();
  for (int i = 0; i < rounds; i++)
    {
      Round *r = g_new0 (Round, 1);
      r->kind = (int) (ps_test_rng_next (&rng) % N_KINDS);
      counts[r->kind]++;
      r->job = ps_job_new (kind_names[r->kind], storm_worker, GINT_TO_POINTER (r->kind), NULL, result_free);
      r->cancellable = g_cancellable_new ();
      g_ptr_array_add (all, r);

      /* How this one ends: 0–6 cancel from a thread after 0–8 ms; 7 cancel
       * from the main thread before it starts; 8 is replaced by the next
       * job (cancelled when that one starts); 9 runs to the end. */
      int fate = (int) (ps_test_rng_next (&rng) % 10);
      r->delay_us = (gulong) (ps_test_rng_next (&rng) % 8000);
      r->use_job_cancel = ps_test_rng_next (&rng) & 1;

      /* The replace pattern: cancel the old job, then start the new one. */
      if (prev != NULL)
        {
          prev->cancel_requested = TRUE;
          ps_job_cancel (prev->job);
          replaced++;
          prev = NULL;
        }
      if (fate == 7)
        {
          r->cancel_requested = TRUE;
          g_cancellable_cancel (r->cancellable);
        }
      ps_job_run_async (r->job, r->cancellable, on_done, r);
      if (fate <= 6)
        {
          r->cancel_requested = TRUE;
          r->canceller = g_thread_new ("canceller", canceller_thread, r);
        }
      else if (fate == 8)
        prev = r;

      /* Let the main loop run a while; jobs of several rounds overlap. */
      gint64 until = g_get_monotonic_time () + (gint64) (ps_test_rng_next (&rng) % 3000);
      while (g_get_monotonic_time () < until)
        g_main_context_iteration (NULL, FALSE);
      if (i == rounds - 1)
        prev = NULL;   /* the last one is not replaced: it must deliver */
      if (i % 8 == 7 || i == rounds - 1)
        {
          /* Drain: every job of these rounds reports exactly once (the one
           * to be replaced by the next round is kept until then). */
          for (guint k = 0; k < all->len; k++)
            {
              Round *q = all->pdata[k];
              if (q == prev)
                continue;
              while (!q->done)
                g_main_context_iteration (NULL, TRUE);
            }
          for (guint k = 0; k < all->len;)
            {
              Round *q = all->pdata[k];
              if (!q->done || q == prev)
                {
                  k++;
                  continue;
                }
              if (q->canceller != NULL)
                g_thread_join (q->canceller);
              cancelled += q->was_cancelled;
              delivered += q->delivered;
              g_assert_true (q->was_cancelled != q->delivered);
              if (!q->cancel_requested)
                g_assert_true (q->delivered);
              g_object_unref (q->job);
              g_object_unref (q->cancellable);
              g_free (q);
              g_ptr_array_remove_index (all, k);
            }
        }
    }
  g_assert_cmpuint (all->len, ==, 0);
  g_ptr_array_unref (all);
  /* pending throttled notifications of finished jobs */
  while (g_main_context_iteration (NULL, FALSE))
    ;

  /* Every result a kernel made was delivered and freed, or freed as stale. */
  g_assert_cmpint (atomic_load (&results_made), ==, atomic_load (&kernel_completed));
  g_assert_cmpint (atomic_load (&results_freed), ==, atomic_load (&results_made));
  g_assert_cmpint (cancelled + delivered, ==, rounds);
  g_test_message ("%d rounds in %.1f s: %d WBP, %d SIRT, %d SART, %d analysis; %d cancelled (%d inside a "
                  "kernel, %d stale results dropped), %d replaced, %d delivered",
                  rounds, (g_get_monotonic_time () - t0) / 1e6, counts[KIND_WBP], counts[KIND_SIRT],
                  counts[KIND_SART], counts[KIND_ANALYSIS], cancelled, atomic_load (&kernel_cancelled),
                  atomic_load (&kernel_completed) - delivered, replaced, delivered);
  if (rounds >= 50)
    {
      /* the storm really hit the kernels mid-run */
      g_assert_cmpint (atomic_load (&kernel_cancelled), >, 0);
      g_assert_cmpint (delivered, >, 0);
    }

  ps_tilt_series_unref (series);
  ps_volume_unref (sample);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/jobs/storm/cancel-200", test_storm);
  return g_test_run ();
}
