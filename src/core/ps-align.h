/* SPDX-License-Identifier: GPL-3.0-or-later */
/* ps-align.h: tilt-series alignment.
 *
 * 1. Optional search of the in-plane tilt-axis direction φ (tilt_axis_deg):
 *    each candidate is scored by how consistent the series is with a
 *    single-axis rotation about it — the relative residual ‖b − A·x‖/‖b‖ of
 *    a short SIRT on binned data after steps 2–3 for that φ (a wrong
 *    direction leaves the projections mutually inconsistent). Coarse 10°
 *    grid over (−90°, 90°], then finer steps around the best. φ and φ + 180°
 *    fit equally well (they give mirror-image volumes); the one in
 *    (−90°, 90°] is returned.
 * 2. Shifts: each image is cross-correlated with its neighbour towards the
 *    image nearest 0° (which stays fixed), after stretching it
 *    perpendicular to the axis by cos θ_ref / cos θ (IMOD tiltxcorr's cosine
 *    stretch; Mastronarde, J. Struct. Biol. 120:343, 1997), on tapered,
 *    band-pass filtered, binned images; the shifts are accumulated outwards.
 * 3. Tilt-axis offset (centre of rotation): a common shift δ perpendicular to
 *    the axis, first estimated from the images' centres of mass (a
 *    least-squares fit of X·cos θ + Z·sin θ + δ), then refined by walking
 *    downhill on the SIRT consistency residual (40 iterations, so that it
 *    measures consistency rather than convergence) on a subset of slices,
 *    with a parabola through the last three points.
 * 4. Projection matching (default 2 rounds): every image is registered
 *    against the reprojection of a SIRT reconstruction from the current
 *    alignment (same parallax, less noise than its neighbour), then the
 *    offset is searched again.
 * Results go into ts->shift_x/shift_y (raw-image pixels, see ps-project.h)
 * and ts->tilt_axis_deg. Shifts already in @ts are replaced.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "ps-status.h"
#include "ps-tilt-series.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct
{
  bool shifts;          /* cross-correlation of neighbours (default true) */
  bool axis_offset;     /* search the offset of the axis (default true) */
  bool axis_angle;      /* search the in-plane direction of the axis (default false) */
  size_t max_size;      /* bin images to at most this many pixels (default 256) */
  int refine_rounds;    /* projection-matching rounds after the cross-correlation (default 2) */
  int n_threads;        /* ≤ 0: all */
} PsAlignParams;

typedef struct
{
  double tilt_axis_deg;   /* the direction used (found when searched) */
  double axis_offset_px;  /* axis position relative to the image centre, full-resolution
                             pixels along the aligned x axis (+: towards +x) */
  double max_shift_px;    /* largest |shift| (raw pixels) */
  double rms_shift_px;
  int bin;                /* binning used for the searches */
  double residual_before; /* consistency residual with no alignment */
  double residual_after;  /* … after alignment (same slices and iterations) */
} PsAlignResult;

void ps_align_params_init (PsAlignParams *params);

PsStatus ps_align_run (const PsAlignParams *params, PsTiltSeries *ts, PsAlignResult *result,
                       const PsProgress *progress, char *why, size_t why_len);

/* The consistency residual used by the searches, exposed for tests and
 * reports: SIRT with @iterations iterations on @n_slices slices (spread over
 * the aligned image height; 0 = all) of @ts binned by @bin, thickness =
 * width; returns ‖b − A·x‖/‖b‖ of the last iteration. */
PsStatus ps_align_consistency (const PsTiltSeries *ts, int bin, size_t n_slices, int iterations,
                               int n_threads, double *residual);

#ifdef __cplusplus
}
#endif
