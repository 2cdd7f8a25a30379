/* SPDX-License-Identifier: GPL-3.0-or-later */
/* ps-threshold.c: Otsu's threshold, the porosity sweep, thresholding. */
#include "ps-threshold.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ps-kernel-private.h"
#include "ps-memory.h"
#include "ps-size.h"

void
ps_otsu_params_init (PsOtsuParams *params)
{
  memset (params, 0, sizeof *params);
  params->n_bins = PS_OTSU_DEFAULT_BINS;
}

void
ps_porosity_sweep_params_init (PsPorositySweepParams *params)
{
  memset (params, 0, sizeof *params);
  params->n_steps = 256;
}

/* Finite min and max; false when there is no finite value. */
static bool
finite_range (const float *data, size_t n, int nt, float *lo, float *hi)
{
  float mn = INFINITY, mx = -INFINITY;
#pragma omp parallel for schedule(static) num_threads(nt) reduction(min:mn) reduction(max:mx)
  for (size_t i = 0; i < n; i++)
    {
      float v = data[i];
      if (isfinite (v))
        {
          mn = v < mn ? v : mn;
          mx = v > mx ? v : mx;
        }
    }
  *lo = mn;
  *hi = mx;
  return mn <= mx;
}

/* Per-thread histograms summed in thread order (integer counts: exact). The
 * bin of a value comes from @bin_of, which returns −1 to skip it. */
typedef long (*BinFunc) (float v, const void *ctx);

static PsStatus
histogram (const float *data, size_t n, int nt, size_t n_bins, BinFunc bin_of, const void *ctx,
           uint64_t *counts)
{
  size_t bytes;
  if (!ps_size_mul3 ((size_t) nt, n_bins, sizeof (uint64_t), &bytes) || ps_memory_check (bytes) != PS_OK)
    return PS_ERROR_TOO_LARGE;
  uint64_t *local = calloc ((size_t) nt * n_bins, sizeof (uint64_t));
  if (local == NULL)
    return PS_ERROR_NO_MEMORY;
#pragma omp parallel num_threads(nt)
  {
    uint64_t *mine = local + (size_t) _ps_thread_id () * n_bins;
#pragma omp for schedule(static)
    for (size_t i = 0; i < n; i++)
      {
        long b = bin_of (data[i], ctx);
        if (b >= 0)
          mine[b]++;
      }
  }
  memset (counts, 0, n_bins * sizeof (uint64_t));
  for (int t = 0; t < nt; t++)
    for (size_t b = 0; b < n_bins; b++)
      counts[b] += local[(size_t) t * n_bins + b];
  free (local);
  return PS_OK;
}

/* numpy.histogram's uniform binning of float32 data over [min, max] of the
 * data (numpy 1.24, lib/histograms.py): edges are linspace computed in
 * double and stored as float32, the index is (v − first)·norm in float32
 * arithmetic, then corrected against the float32 edges. Reproducing it
 * operation for operation makes the Otsu threshold bit-identical to
 * skimage's. */
typedef struct
{
  float first;
  float norm_f;     /* n / (last − first), rounded to float as numpy does */
  long n;
  const float *edges;
} NumpyBins;

static long
numpy_bin (float v, const void *ctx)
{
  const NumpyBins *b = ctx;
  if (!isfinite (v) || v < b->first || v > b->edges[b->n])
    return -1;
  float t = v - b->first;
  float f = t * b->norm_f;
  long idx = (long) f;
  if (idx == b->n)
    idx--;
  if (v < b->edges[idx])
    idx--;
  if (idx != b->n - 1 && v >= b->edges[idx + 1])
    idx++;
  return idx;
}

/* The same bins for ranges numpy's float32 arithmetic cannot scale: a range
 * wider than FLT_MAX (−3e38 … 3e38) overflows last − first, and one a few
 * denormals wide overflows n / (last − first); both would turn the bin index
 * into NaN. Here the estimate is in double and corrected against the same
 * float32 edges. */
typedef struct
{
  double first, scale;
  long n;
  const float *edges;
} WideBins;

static long
wide_bin (float v, const void *ctx)
{
  const WideBins *b = ctx;
  if (!isfinite (v) || v < b->edges[0] || v > b->edges[b->n])
    return -1;
  double f = ((double) v - b->first) * b->scale;
  long idx = f <= 0.0 ? 0 : f >= (double) (b->n - 1) ? b->n - 1 : (long) f;
  while (idx > 0 && v < b->edges[idx])
    idx--;
  while (idx < b->n - 1 && v >= b->edges[idx + 1])
    idx++;
  return idx;
}

PsStatus
ps_threshold_otsu (const PsOtsuParams *params, const float *data, size_t n, double *threshold)
{
  if (params == NULL || data == NULL || threshold == NULL || params->n_bins < 2 ||
      params->n_bins > ((size_t) 1 << 24) || params->n_threads < 0 || n == 0)
    return PS_ERROR_INVALID_PARAMETER;
  int nt = ps_threads_resolve (params->n_threads);
  float lo, hi;
  if (!finite_range (data, n, nt, &lo, &hi))
    return PS_ERROR_INVALID_PARAMETER;
  if (lo == hi)
    {
      /* One value: skimage returns it; everything is then carbon. */
      *threshold = lo;
      return PS_OK;
    }

  const size_t nb = params->n_bins;
  float *edges = malloc ((nb + 1) * sizeof (float));
  uint64_t *counts = malloc (nb * sizeof (uint64_t));
  double *w1 = malloc (nb * sizeof (double)), *w2 = malloc (nb * sizeof (double));
  double *m1 = malloc (nb * sizeof (double)), *m2 = malloc (nb * sizeof (double));
  float *centres = malloc (nb * sizeof (float));
  PsStatus st = PS_ERROR_NO_MEMORY;
  if (!edges || !counts || !w1 || !w2 || !m1 || !m2 || !centres)
    goto out;

  /* np.linspace(first, last, nb + 1, dtype=float32) promotes its ends to
   * double: step = (last − first) / nb and y = i·step + first in double,
   * rounded to float; the last edge is exact. The binning scale is
   * nb / (last − first) with the difference taken in float32. */
  double step = ((double) hi - (double) lo) / (double) nb;
  for (size_t i = 0; i < nb; i++)
    edges[i] = (float) ((double) i * step + (double) lo);
  edges[nb] = hi;
  float delta = hi - lo;
  NumpyBins bins = { lo, (float) ((double) nb / (double) delta), (long) nb, edges };
  if (isfinite (delta) && isfinite (bins.norm_f))
    st = histogram (data, n, nt, nb, numpy_bin, &bins, counts);
  else
    {
      WideBins wide = { lo, (double) nb / ((double) hi - (double) lo), (long) nb, edges };
      st = histogram (data, n, nt, nb, wide_bin, &wide, counts);
    }
  if (st != PS_OK)
    goto out;

  for (size_t i = 0; i < nb; i++)
    {
      centres[i] = (edges[i] + edges[i + 1]) / 2.0f;
      if (!isfinite (centres[i]))   /* the float sum overflowed near ±FLT_MAX */
        centres[i] = (float) (((double) edges[i] + (double) edges[i + 1]) / 2.0);
    }
  /* skimage.filters.threshold_otsu, in its order of operations. */
  double cw = 0.0, cm = 0.0;
  for (size_t i = 0; i < nb; i++)
    {
      cw += (double) counts[i];
      cm += (double) counts[i] * (double) centres[i];
      w1[i] = cw;
      m1[i] = cm / cw;
    }
  cw = 0.0;
  cm = 0.0;
  for (size_t k = 0; k < nb; k++)
    {
      size_t i = nb - 1 - k;
      cw += (double) counts[i];
      cm += (double) counts[i] * (double) centres[i];
      w2[i] = cw;
      m2[i] = cm / cw;
    }
  size_t best = 0;
  double best_v = -INFINITY;
  for (size_t i = 0; i + 1 < nb; i++)
    {
      double diff = m1[i] - m2[i + 1];
      double v = w1[i] * w2[i + 1] * (diff * diff);
      /* np.argmax: the first maximum; NaN (an empty class) never wins
       * unless everything is NaN. */
      if (v > best_v)
        {
          best_v = v;
          best = i;
        }
    }
  *threshold = (double) centres[best];
  st = PS_OK;

out:
  free (edges);
  free (counts);
  free (w1);
  free (w2);
  free (m1);
  free (m2);
  free (centres);
  return st;
}

typedef struct
{
  double lo, scale;
  long n_steps;
  const double *t;   /* n_steps + 1 thresholds */
} SweepBins;

/* Bin k of the sweep holds [t_k, t_{k+1}) for k < n_steps, and bin n_steps
 * holds v ≥ t_{n_steps}. The estimate from the scale is corrected with the
 * very thresholds reported, so the counts are exact. */
static long
sweep_bin (float v, const void *ctx)
{
  const SweepBins *b = ctx;
  if (!isfinite (v))
    return -1;
  double dv = (double) v;
  double f = (dv - b->lo) * b->scale;
  long k = f <= 0.0 ? 0 : f >= (double) b->n_steps ? b->n_steps : (long) f;
  while (k > 0 && dv < b->t[k])
    k--;
  while (k < b->n_steps && dv >= b->t[k + 1])
    k++;
  return k;
}

PsStatus
ps_porosity_sweep (const PsPorositySweepParams *params, const float *data, size_t n,
                   double *thresholds, double *porosity)
{
  if (params == NULL || data == NULL || thresholds == NULL || porosity == NULL ||
      params->n_steps < 1 || params->n_steps > ((size_t) 1 << 24) || params->n_threads < 0 || n == 0)
    return PS_ERROR_INVALID_PARAMETER;
  int nt = ps_threads_resolve (params->n_threads);
  float lo, hi;
  if (!finite_range (data, n, nt, &lo, &hi))
    return PS_ERROR_INVALID_PARAMETER;

  const size_t ns = params->n_steps;
  for (size_t i = 0; i <= ns; i++)
    thresholds[i] = (double) lo + ((double) hi - (double) lo) * (double) i / (double) ns;
  thresholds[ns] = hi;
  uint64_t *counts = malloc ((ns + 1) * sizeof (uint64_t));
  if (counts == NULL)
    return PS_ERROR_NO_MEMORY;
  SweepBins bins = { lo, hi > lo ? (double) ns / ((double) hi - (double) lo) : 0.0, (long) ns, thresholds };
  PsStatus st = histogram (data, n, nt, ns + 1, sweep_bin, &bins, counts);
  if (st == PS_OK)
    {
      uint64_t total = 0, below = 0;
      for (size_t i = 0; i <= ns; i++)
        total += counts[i];
      for (size_t i = 0; i <= ns; i++)
        {
          porosity[i] = (double) below / (double) total;
          below += counts[i];
        }
    }
  free (counts);
  return st;
}

PsStatus
ps_threshold_apply (const float *data, size_t n, double threshold, uint8_t *mask,
                    int n_threads, size_t *n_pore)
{
  if (data == NULL || mask == NULL || n_threads < 0 || isnan (threshold))
    return PS_ERROR_INVALID_PARAMETER;
  int nt = ps_threads_resolve (n_threads);
  size_t count = 0;
#pragma omp parallel for schedule(static) num_threads(nt) reduction(+:count)
  for (size_t i = 0; i < n; i++)
    {
      uint8_t p = (double) data[i] < threshold;
      mask[i] = p;
      count += p;
    }
  if (n_pore != NULL)
    *n_pore = count;
  return PS_OK;
}
