/* SPDX-License-Identifier: GPL-3.0-or-later */
/* ps-stats.h: summary statistics and histograms of float data.
 *
 * Non-finite values (NaN, ±Inf) are counted separately and excluded from
 * min/max/mean/sd and histograms. Sums are accumulated in double per fixed
 * block and combined in block order, so the results are identical for any
 * thread count. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "ps-volume.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct
{
  uint64_t n;           /* finite values */
  uint64_t n_nonfinite; /* NaN or ±Inf */
  double min, max;      /* NaN when n == 0 */
  double mean, sd;      /* population sd; NaN when n == 0 */
} PsStats;

/* Statistics of @n floats. */
void ps_stats_compute (const float *data, size_t n, PsStats *stats);
/* Statistics of the voxels of @vol inside @box (NULL = whole volume). */
void ps_stats_volume (const PsVolume *vol, const PsBox *box, PsStats *stats);

typedef struct
{
  double lo, hi;        /* bin i covers [lo + i·w, lo + (i+1)·w), last bin closed */
  size_t n_bins;
  uint64_t *counts;     /* n_bins */
  uint64_t below, above;/* finite values outside [lo, hi] */
  uint64_t total;       /* finite values counted (in bins + below + above) */
} PsHistogram;

/* Histogram of @vol inside @box (NULL = all) over [lo, hi] with @n_bins bins.
 * If lo >= hi, the data range is used. Returns NULL on bad input or no memory. */
PsHistogram *ps_histogram_volume (const PsVolume *vol, const PsBox *box,
                                  double lo, double hi, size_t n_bins);
PsHistogram *ps_histogram_compute (const float *data, size_t n,
                                   double lo, double hi, size_t n_bins);
void ps_histogram_free (PsHistogram *hist);

/* The value below which a fraction @q (0..1) of the counted values lie,
 * interpolated linearly within a bin. */
double ps_histogram_quantile (const PsHistogram *hist, double q);

/* Number of threads to use: @requested if > 0, else all available. */
int ps_threads_resolve (int requested);

#ifdef __cplusplus
}
#endif
