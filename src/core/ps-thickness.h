/* SPDX-License-Identifier: GPL-3.0-or-later */
/* ps-thickness.h: local thickness (Hildebrand & Rüegsegger, J. Microsc.
 * 185:67, 1997) of one phase, as a diameter in nm per voxel.
 *
 * Definition implemented (on the grid, exactly). With d the EDT of the phase
 * (ps-edt.h: nm from a voxel centre to the nearest background voxel centre)
 * and c, x voxel centres in nm,
 *
 *   t(x) = 2 · max { d(c) : c in the phase, ‖x − c‖ < d(c) }
 *
 * i.e. the diameter of the largest ball that is centred on a phase voxel,
 * contains no background voxel centre (open ball of radius d(c)) and
 * contains x. Every phase voxel is inside its own ball, so t(x) ≥ 2·d(x);
 * outside the phase t = 0. The inequality is strict and is evaluated
 * exactly on integer squared distances (isotropic voxels and integer
 * anisotropy ratios), in double otherwise. This is the ball-painting
 * definition of BoneJ and of Dougherty & Kunzelmann (Microsc. Microanal. 13
 * (S02), 2007) without their quantisation; PoreSpy's default 25-radius
 * recipe approximates it from below.
 *
 * Algorithm. (1) Ridge: a centre c is dropped when some neighbour c′ of its
 * 26-neighbourhood satisfies d(c′) ≥ d(c) + ‖c − c′‖ — then c's ball lies
 * inside c′'s and can never give the maximum (tested exactly in integers
 * when possible, with a safety margin in double otherwise). (2) Every
 * remaining ball is painted row by row: for each row (y, z) it crosses, the
 * x-interval |x − cx|·dx < sqrt(d² − Δy² − Δz²) gets t = max(t, 2d), a
 * contiguous vectorisable max; on integer metrics the half-widths come from
 * one template per distinct squared radius. Threads own output z-slices and
 * paint the part of every ball that falls in them; max is order-
 * independent, so the result is the same for any thread count.
 * Balls are clipped to the volume; the distance map decides how the faces
 * count (see PsEdtParams.border_is_background).
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "ps-edt.h"
#include "ps-grid.h"
#include "ps-status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct
{
  int n_threads;        /* 0 = all available */
} PsThicknessParams;

void ps_thickness_params_init (PsThicknessParams *params);

PsStatus ps_thickness_validate (const PsThicknessParams *params, const PsGrid *grid,
                                const PsDistanceMap *dist);

/* Local thickness (diameter, nm) of the phase {d > 0} of @dist into
 * @thickness_nm (nx·ny·nz floats, caller-owned). Voxels with d = +Inf (a
 * phase without any background) get +Inf. */
PsStatus ps_thickness_run (const PsThicknessParams *params, const PsGrid *grid,
                           const PsDistanceMap *dist, float *thickness_nm,
                           const PsProgress *progress);

/* Shared histogram bins for the thickness of both phases: bin i covers
 * [i·w, (i+1)·w) nm, n_bins of them, so that the largest diameter falls in
 * the last one. */
typedef struct
{
  double bin_width_nm;
  size_t n_bins;
} PsThicknessBins;

/* Bins of @bin_width_nm (≤ 0: the smallest voxel spacing of @grid) covering
 * [0, max_diameter_nm]; use the larger of the two phases' maxima. */
PsThicknessBins ps_thickness_bins (const PsGrid *grid, double bin_width_nm,
                                   double max_diameter_nm);

/* Count the voxels with t > 0 of @thickness_nm (n values) into counts[n_bins]
 * (zeroed first); values beyond the last bin (or +Inf) go to the last bin.
 * *total (may be NULL) receives the number counted. */
PsStatus ps_thickness_histogram (const float *thickness_nm, size_t n,
                                 const PsThicknessBins *bins, uint64_t *counts,
                                 uint64_t *total);

#ifdef __cplusplus
}
#endif
