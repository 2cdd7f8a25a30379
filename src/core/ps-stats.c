/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "ps-stats.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#ifdef _OPENMP
#include <omp.h>
#endif

int
ps_threads_resolve (int requested)
{
  if (requested > 0)
    return requested;
#ifdef _OPENMP
  return omp_get_max_threads ();
#else
  return 1;
#endif
}

typedef struct
{
  uint64_t n, nonfinite;
  double min, max, sum;
} Partial;

/* Fixed block size so partial sums do not depend on the thread count. */
#define BLOCK 65536

static void
partial_init (Partial *p)
{
  p->n = 0;
  p->nonfinite = 0;
  p->min = INFINITY;
  p->max = -INFINITY;
  p->sum = 0.0;
}

static void
partial_add_run (Partial *p, const float *data, size_t n)
{
  for (size_t i = 0; i < n; i++)
    {
      float v = data[i];
      if (!isfinite (v))
        {
          p->nonfinite++;
          continue;
        }
      p->n++;
      p->sum += v;
      if (v < p->min) p->min = v;
      if (v > p->max) p->max = v;
    }
}

static void
finish (PsStats *stats, const Partial *blocks, size_t n_blocks,
        const float *const *runs, const size_t *run_len, size_t n_runs)
{
  Partial t;
  partial_init (&t);
  for (size_t b = 0; b < n_blocks; b++)
    {
      t.n += blocks[b].n;
      t.nonfinite += blocks[b].nonfinite;
      t.sum += blocks[b].sum;
      if (blocks[b].min < t.min) t.min = blocks[b].min;
      if (blocks[b].max > t.max) t.max = blocks[b].max;
    }
  stats->n = t.n;
  stats->n_nonfinite = t.nonfinite;
  if (t.n == 0)
    {
      stats->min = stats->max = stats->mean = stats->sd = NAN;
      return;
    }
  stats->min = t.min;
  stats->max = t.max;
  stats->mean = t.sum / (double) t.n;

  /* Second pass for the variance (numerically stable), same blocking. */
  double *ss = calloc (n_runs ? n_runs : 1, sizeof *ss);
  double mean = stats->mean;
  if (ss == NULL)
    {
      stats->sd = NAN;
      return;
    }
#pragma omp parallel for schedule(dynamic, 4)
  for (size_t r = 0; r < n_runs; r++)
    {
      double acc = 0.0;
      for (size_t i = 0; i < run_len[r]; i++)
        {
          float v = runs[r][i];
          if (isfinite (v))
            acc += (v - mean) * (v - mean);
        }
      ss[r] = acc;
    }
  double total = 0.0;
  for (size_t r = 0; r < n_runs; r++)
    total += ss[r];
  free (ss);
  stats->sd = sqrt (total / (double) t.n);
}

/* Split a volume box into runs of contiguous rows; each run is a block. */
static void
stats_runs (const float *const *runs, const size_t *run_len, size_t n_runs, PsStats *stats)
{
  Partial *blocks = malloc ((n_runs ? n_runs : 1) * sizeof *blocks);
  if (blocks == NULL)
    {
      memset (stats, 0, sizeof *stats);
      stats->min = stats->max = stats->mean = stats->sd = NAN;
      return;
    }
#pragma omp parallel for schedule(dynamic, 4)
  for (size_t r = 0; r < n_runs; r++)
    {
      partial_init (&blocks[r]);
      partial_add_run (&blocks[r], runs[r], run_len[r]);
    }
  finish (stats, blocks, n_runs, runs, run_len, n_runs);
  free (blocks);
}

void
ps_stats_compute (const float *data, size_t n, PsStats *stats)
{
  size_t n_runs = (n + BLOCK - 1) / BLOCK;
  const float **runs = malloc ((n_runs ? n_runs : 1) * sizeof *runs);
  size_t *len = malloc ((n_runs ? n_runs : 1) * sizeof *len);
  if (runs == NULL || len == NULL)
    {
      free (runs);
      free (len);
      memset (stats, 0, sizeof *stats);
      stats->min = stats->max = stats->mean = stats->sd = NAN;
      return;
    }
  for (size_t r = 0; r < n_runs; r++)
    {
      runs[r] = data + r * BLOCK;
      len[r] = (r + 1) * BLOCK <= n ? BLOCK : n - r * BLOCK;
    }
  stats_runs (runs, len, n_runs, stats);
  free (runs);
  free (len);
}

void
ps_stats_volume (const PsVolume *vol, const PsBox *box, PsStats *stats)
{
  PsBox full = ps_box_full (vol->nx, vol->ny, vol->nz);
  if (box == NULL || (box->x0 == 0 && box->nx == vol->nx && box->y0 == 0 && box->ny == vol->ny))
    {
      const PsBox *b = box ? box : &full;
      ps_stats_compute (vol->data + b->z0 * vol->nx * vol->ny, vol->nx * vol->ny * b->nz, stats);
      return;
    }
  /* One run per z slice of the box, rows gathered slice by slice. */
  size_t n_runs = box->nz * box->ny;
  const float **runs = malloc (n_runs * sizeof *runs);
  size_t *len = malloc (n_runs * sizeof *len);
  if (runs == NULL || len == NULL)
    {
      free (runs);
      free (len);
      memset (stats, 0, sizeof *stats);
      stats->min = stats->max = stats->mean = stats->sd = NAN;
      return;
    }
  for (size_t z = 0; z < box->nz; z++)
    for (size_t y = 0; y < box->ny; y++)
      {
        runs[z * box->ny + y] = vol->data + ps_volume_index (vol, box->x0, box->y0 + y, box->z0 + z);
        len[z * box->ny + y] = box->nx;
      }
  stats_runs (runs, len, n_runs, stats);
  free (runs);
  free (len);
}

/* ---- histogram ---------------------------------------------------------- */

static PsHistogram *
hist_new (double lo, double hi, size_t n_bins)
{
  PsHistogram *h;
  if (n_bins == 0 || n_bins > (1u << 26) || !(hi > lo) || !isfinite (lo) || !isfinite (hi))
    return NULL;
  h = calloc (1, sizeof *h);
  if (h == NULL)
    return NULL;
  h->counts = calloc (n_bins, sizeof *h->counts);
  if (h->counts == NULL)
    {
      free (h);
      return NULL;
    }
  h->lo = lo;
  h->hi = hi;
  h->n_bins = n_bins;
  return h;
}

static void
hist_add_run (PsHistogram *h, uint64_t *counts, uint64_t *below, uint64_t *above,
              const float *data, size_t n)
{
  const double scale = (double) h->n_bins / (h->hi - h->lo);
  const double lo = h->lo, hi = h->hi;
  const size_t last = h->n_bins - 1;
  for (size_t i = 0; i < n; i++)
    {
      double v = data[i];
      if (!isfinite (v))
        continue;
      if (v < lo) { (*below)++; continue; }
      if (v > hi) { (*above)++; continue; }
      size_t b = (size_t) ((v - lo) * scale);
      counts[b > last ? last : b]++;
    }
}

/* Runs are histogrammed into per-thread arrays and summed; integer counts
 * make this independent of the thread count. */
static PsHistogram *
hist_runs (double lo, double hi, size_t n_bins, const float *const *runs,
           const size_t *len, size_t n_runs)
{
  PsHistogram *h = hist_new (lo, hi, n_bins);
  if (h == NULL)
    return NULL;
  int n_threads = ps_threads_resolve (0);
  uint64_t *local = calloc ((size_t) n_threads * (n_bins + 2), sizeof *local);
  if (local == NULL)
    {
      ps_histogram_free (h);
      return NULL;
    }
#pragma omp parallel num_threads(n_threads)
  {
#ifdef _OPENMP
    int t = omp_get_thread_num ();
#else
    int t = 0;
#endif
    uint64_t *mine = local + (size_t) t * (n_bins + 2);
#pragma omp for schedule(dynamic, 8)
    for (size_t r = 0; r < n_runs; r++)
      hist_add_run (h, mine, mine + n_bins, mine + n_bins + 1, runs[r], len[r]);
  }
  for (int t = 0; t < n_threads; t++)
    {
      uint64_t *mine = local + (size_t) t * (n_bins + 2);
      for (size_t b = 0; b < n_bins; b++)
        h->counts[b] += mine[b];
      h->below += mine[n_bins];
      h->above += mine[n_bins + 1];
    }
  free (local);
  h->total = h->below + h->above;
  for (size_t b = 0; b < n_bins; b++)
    h->total += h->counts[b];
  return h;
}

PsHistogram *
ps_histogram_compute (const float *data, size_t n, double lo, double hi, size_t n_bins)
{
  if (!(hi > lo))
    {
      PsStats s;
      ps_stats_compute (data, n, &s);
      lo = s.min;
      hi = s.max;
      if (s.n == 0)
        lo = 0, hi = 1;
      else if (!(hi > lo))
        hi = lo + 1.0;
    }
  size_t n_runs = (n + BLOCK - 1) / BLOCK;
  const float **runs = malloc ((n_runs ? n_runs : 1) * sizeof *runs);
  size_t *len = malloc ((n_runs ? n_runs : 1) * sizeof *len);
  PsHistogram *h = NULL;
  if (runs != NULL && len != NULL)
    {
      for (size_t r = 0; r < n_runs; r++)
        {
          runs[r] = data + r * BLOCK;
          len[r] = (r + 1) * BLOCK <= n ? BLOCK : n - r * BLOCK;
        }
      h = hist_runs (lo, hi, n_bins, runs, len, n_runs);
    }
  free (runs);
  free (len);
  return h;
}

PsHistogram *
ps_histogram_volume (const PsVolume *vol, const PsBox *box, double lo, double hi, size_t n_bins)
{
  PsBox full = ps_box_full (vol->nx, vol->ny, vol->nz);
  if (box == NULL)
    box = &full;
  if (!ps_box_inside (box, vol->nx, vol->ny, vol->nz))
    return NULL;
  if (!(hi > lo))
    {
      PsStats s;
      ps_stats_volume (vol, box, &s);
      lo = s.min;
      hi = s.max;
      if (s.n == 0)
        lo = 0, hi = 1;
      else if (!(hi > lo))
        hi = lo + 1.0;
    }
  size_t n_runs = box->nz * box->ny;
  const float **runs = malloc (n_runs * sizeof *runs);
  size_t *len = malloc (n_runs * sizeof *len);
  PsHistogram *h = NULL;
  if (runs != NULL && len != NULL)
    {
      for (size_t z = 0; z < box->nz; z++)
        for (size_t y = 0; y < box->ny; y++)
          {
            runs[z * box->ny + y] = vol->data + ps_volume_index (vol, box->x0, box->y0 + y, box->z0 + z);
            len[z * box->ny + y] = box->nx;
          }
      h = hist_runs (lo, hi, n_bins, runs, len, n_runs);
    }
  free (runs);
  free (len);
  return h;
}

void
ps_histogram_free (PsHistogram *hist)
{
  if (hist == NULL)
    return;
  free (hist->counts);
  free (hist);
}

double
ps_histogram_quantile (const PsHistogram *h, double q)
{
  if (h == NULL || h->total == 0)
    return NAN;
  if (q <= 0)
    return h->lo;
  if (q >= 1)
    return h->hi;
  double target = q * (double) h->total;
  double acc = (double) h->below;
  double w = (h->hi - h->lo) / (double) h->n_bins;
  if (target <= acc)
    return h->lo;
  for (size_t b = 0; b < h->n_bins; b++)
    {
      double c = (double) h->counts[b];
      if (acc + c >= target && c > 0)
        return h->lo + w * ((double) b + (target - acc) / c);
      acc += c;
    }
  return h->hi;
}
