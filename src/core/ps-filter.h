/* SPDX-License-Identifier: GPL-3.0-or-later */
/* ps-filter.h: denoising before thresholding.
 *
 * Gaussian: separable convolution along x, then y, then z, each with the
 * sampled, normalised kernel exp(−t²/2σ²), t = −r … r, r = ⌊truncate·σ + ½⌋
 * voxels, σ = sigma_nm / spacing per axis (anisotropic voxels are handled in
 * nm). Boundary: mirror about the edge ("reflect", … c b a | a b c …), i.e.
 * scipy.ndimage.gaussian_filter(vol, sigma=(σz, σy, σx), mode='reflect',
 * truncate=4.0) on the (z, y, x) array. Sums are in double; each pass
 * rounds to float, as scipy does for float32 input. NaN/Inf propagate to
 * the voxels whose kernel reaches them.
 *
 * Median: the 3×3×3 median with the same "reflect" boundary
 * (scipy.ndimage.median_filter(vol, size=3, mode='reflect')). Values are
 * ordered by their IEEE total order with NaN last (a NaN is larger than
 * +Inf), so a voxel becomes NaN only when 14 or more of its 27 neighbours
 * are NaN. The selection runs on order-preserving integer keys with min/max
 * networks ("forgetful selection", Paeth 1990) vectorised along x.
 *
 * Both run on the caller's threads (one z-slice per work item) and give the
 * same bits for any thread count.
 */
#pragma once

#include "ps-status.h"
#include "ps-volume.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct
{
  double sigma_nm[3];   /* standard deviation along x, y, z in nm; 0 = none along that axis */
  double truncate;      /* kernel half-width in standard deviations (scipy's default 4) */
  int n_threads;        /* 0 = all available */
} PsGaussianParams;

/* Isotropic sigma in nm, truncate 4, all threads. */
void ps_gaussian_params_init (PsGaussianParams *params, double sigma_nm);

/* @in and @out must have the same size; @out may be @in (in place). The
 * spacing of @in converts nm to voxels. */
PsStatus ps_gaussian_validate (const PsGaussianParams *params, const PsVolume *in,
                               const PsVolume *out);
PsStatus ps_gaussian_run (const PsGaussianParams *params, const PsVolume *in, PsVolume *out,
                          const PsProgress *progress);

typedef struct
{
  int n_threads;        /* 0 = all available */
} PsMedianParams;

void ps_median_params_init (PsMedianParams *params);
/* Same size; @out must not be @in. */
PsStatus ps_median3_validate (const PsMedianParams *params, const PsVolume *in,
                              const PsVolume *out);
PsStatus ps_median3_run (const PsMedianParams *params, const PsVolume *in, PsVolume *out,
                         const PsProgress *progress);

#ifdef __cplusplus
}
#endif
