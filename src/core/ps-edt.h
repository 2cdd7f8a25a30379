/* SPDX-License-Identifier: GPL-3.0-or-later */
/* ps-edt.h: exact Euclidean distance transform with anisotropic voxels.
 *
 * Definition. For every voxel of the *phase* (mask != 0, or mask == 0 with
 * @invert) the distance is the Euclidean distance in nm, between voxel
 * centres, to the nearest voxel *not* in the phase:
 *
 *   d(x) = min { ‖(x − y) ⊙ spacing‖ : y not in the phase }
 *
 * and 0 outside the phase. This is scipy.ndimage.distance_transform_edt's
 * definition (with sampling = spacing, axes reversed to scipy's (z, y, x)).
 * Beyond the volume's faces there is nothing: the faces are *not* background
 * unless @border_is_background is set, in which case the voxels just outside
 * the volume (index −1 and n on every axis) count as background. A phase
 * voxel with no background voxel anywhere gets +INFINITY (dist_nm) or
 * PS_EDT_INFINITE (squared form).
 *
 * Algorithm: separable exact transform, one 1D pass per axis, linear time.
 * x: two sweeps giving the distance to the nearest background voxel in the
 * row (Rosenfeld & Pfaltz 1966); y and z: the lower envelope of parabolas
 * f(p) + w·(q − p)² (Felzenszwalb & Huttenlocher, "Distance transforms of
 * sampled functions", Theory of Computing 8:415, 2012), with w the squared
 * voxel size along the axis, so anisotropy is exact. The z pass works on
 * blocks of 16 x-columns at a time so each cache line read is used fully.
 * Every line is independent; lines are spread over the caller's threads, so
 * the output does not depend on the thread count.
 *
 * Exact integer form. When every squared spacing is an integer multiple of
 * the smallest one (isotropic voxels; (2, 1, 1) nm gives weights (4, 1, 1)),
 * squared distances are integers in units of unit_nm² and are computed
 * exactly in uint32 (ps_edt_run_squared). The seeds, watershed and local
 * thickness kernels then use exact bucket queues and exact comparisons.
 * ps_edt_run uses that integer path internally when it applies, so its float
 * output is sqrt(integer)·unit rounded once to float.
 *
 * Memory: no volume-sized temporaries; each thread holds a few line buffers.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ps-grid.h"
#include "ps-status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Squared distance of a phase voxel with no background voxel anywhere. */
#define PS_EDT_INFINITE UINT32_MAX

typedef struct
{
  bool invert;                /* false: phase = mask != 0; true: phase = mask == 0 */
  bool border_is_background;  /* the voxels just outside the volume are background */
  int n_threads;              /* 0 = all available */
} PsEdtParams;

/* Defaults: phase = nonzero, faces are not background, all threads. */
void ps_edt_params_init (PsEdtParams *params);

/* How squared distances are represented on a grid. */
typedef struct
{
  bool integer;          /* squared spacings are integer multiples of unit_nm² */
  double unit_nm;        /* the smallest spacing; d = sqrt(d2) · unit_nm */
  uint32_t weights[3];   /* (spacing[a] / unit_nm)², integers when @integer */
} PsEdtMetric;

/* The metric of @grid. Integer when every (spacing / min spacing)² is within
 * 1e-9 (relative) of an integer ≤ 4096. */
PsEdtMetric ps_edt_metric (const PsGrid *grid);

/* PS_OK, or INVALID_PARAMETER / TOO_LARGE (grid, or, for the squared form,
 * the largest possible squared distance does not fit below PS_EDT_INFINITE). */
PsStatus ps_edt_validate (const PsEdtParams *params, const PsGrid *grid);

/* Distances in nm into @dist_nm (nx·ny·nz floats, caller-owned; 0 outside the
 * phase). */
PsStatus ps_edt_run (const PsEdtParams *params, const PsGrid *grid, const uint8_t *mask,
                     float *dist_nm, const PsProgress *progress);

/* Exact squared distances in units of metric.unit_nm² into @dist2 (uint32,
 * caller-owned), for an integer metric only (else INVALID_PARAMETER). */
PsStatus ps_edt_run_squared (const PsEdtParams *params, const PsGrid *grid, const uint8_t *mask,
                             uint32_t *dist2, const PsProgress *progress);

/* Convert squared distances (units unit_nm²) to nm: out[i] = sqrt(d2[i])·unit,
 * PS_EDT_INFINITE → +INFINITY. @buf holds n uint32 on entry and n floats on
 * return (in place; both are 4 bytes). */
void ps_edt_squared_to_nm_inplace (void *buf, size_t n, double unit_nm, int n_threads);

/* A distance map as the seeds, watershed and thickness kernels take it:
 * either exact squared distances (dist2 != NULL, with its metric) or float
 * distances in nm. The region those kernels work on is {d > 0}. */
typedef struct
{
  const uint32_t *dist2;     /* squared distances in metric.unit_nm², or NULL */
  const float *dist_nm;      /* used when dist2 == NULL */
  PsEdtMetric metric;        /* required with dist2 */
} PsDistanceMap;

/* Distance in nm of voxel @i. */
static inline double
ps_distance_map_nm (const PsDistanceMap *map, size_t i)
{
  if (map->dist2 != NULL)
    {
      uint32_t d2 = map->dist2[i];
      return d2 == PS_EDT_INFINITE ? (double) INFINITY : sqrt ((double) d2) * map->metric.unit_nm;
    }
  return (double) map->dist_nm[i];
}

#ifdef __cplusplus
}
#endif
