/* SPDX-License-Identifier: GPL-3.0-or-later */
/* ps-threshold.h: global thresholds and the porosity-vs-threshold sweep.
 *
 * Phases (SPEC.md): pore = voxels strictly below the threshold, carbon = at or
 * above it. Non-finite values (NaN, ±Inf) are ignored by Otsu and the sweep;
 * ps_threshold_apply puts NaN in the carbon phase (it is not "below").
 *
 * Otsu (IEEE Trans. SMC 9:62, 1979): the finite values are binned into
 * n_bins equal bins over [min, max] exactly as numpy.histogram bins them
 * (bin i = [lo + i·w, lo + (i+1)·w), the last bin closed); the threshold is
 * the centre of the bin ending the lower class that maximises the
 * between-class variance w₀·w₁·(μ₀ − μ₁)², first maximum on ties. This is
 * skimage.filters.threshold_otsu(data, nbins) — the same number.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "ps-status.h"

#ifdef __cplusplus
extern "C" {
#endif

#define PS_OTSU_DEFAULT_BINS 256

typedef struct
{
  size_t n_bins;        /* ≥ 2; default 256 */
  int n_threads;        /* 0 = all available */
} PsOtsuParams;

void ps_otsu_params_init (PsOtsuParams *params);

/* Otsu's threshold of @n values. Constant data (one distinct finite value)
 * give that value (everything is carbon); no finite value gives
 * INVALID_PARAMETER. */
PsStatus ps_threshold_otsu (const PsOtsuParams *params, const float *data, size_t n,
                            double *threshold);

typedef struct
{
  size_t n_steps;       /* ≥ 1; the sweep has n_steps + 1 thresholds. Default 256 */
  int n_threads;
} PsPorositySweepParams;

void ps_porosity_sweep_params_init (PsPorositySweepParams *params);

/* thresholds[i] = lo + i·(hi − lo)/n_steps for i = 0 … n_steps over the finite
 * range [lo, hi] of the data; porosity[i] = (finite values < thresholds[i]) /
 * (finite values), counted exactly (porosity[0] = 0; porosity[n_steps] is the
 * fraction below the maximum). Both arrays hold n_steps + 1 doubles
 * (caller-owned). */
PsStatus ps_porosity_sweep (const PsPorositySweepParams *params, const float *data, size_t n,
                            double *thresholds, double *porosity);

/* mask[i] = 1 where data[i] < threshold (pore), else 0. Optionally counts the
 * pore voxels into *n_pore. */
PsStatus ps_threshold_apply (const float *data, size_t n, double threshold, uint8_t *mask,
                             int n_threads, size_t *n_pore);

#ifdef __cplusplus
}
#endif
