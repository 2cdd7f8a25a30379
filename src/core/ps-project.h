/* SPDX-License-Identifier: GPL-3.0-or-later */
/* ps-project.h: the reconstruction frame and the forward projector.
 *
 * ## The reconstruction frame
 * Reconstruction happens in the frame of the *aligned* tilt series: each
 * image is rotated so that its tilt axis is parallel to +y and shifted by the
 * per-image shifts. With the raw image centre c = ((nx−1)/2, (ny−1)/2), the
 * aligned image centre c' = ((nx'−1)/2, (ny'−1)/2) and R(φ) the rotation by
 * φ = tilt_axis_deg counter-clockwise (in the mathematical sense, x right and
 * y up, as IMOD displays images):
 *
 *     aligned_i(p') = raw_i(c + R(φ)·(p' − c') + s_i),   s_i = (shift_x[i], shift_y[i])
 *
 * i.e. the tilt axis runs along R(φ)·(0, 1) = (−sin φ, cos φ) in the raw
 * image (φ = 0: along +y; φ = 90: along −x), and the shifts are in raw-image
 * pixels: the feature that belongs at p' is found at raw position
 * c + R(φ)(p' − c') + s_i. The aligned size is (nx, ny) when |cos φ| ≥ |sin φ|
 * and (ny, nx) otherwise. Samples outside the raw image take the nearest
 * edge pixel. Pixels are sampled bilinearly; with φ a multiple of 90° and
 * integer shifts the resampling is exact.
 *
 * The reconstructed volume has the aligned frame's x and y (x perpendicular
 * to the axis, y along it) and z along the beam at θ = 0; a point at (x, z)
 * relative to the volume centre projects onto u = x·cos θ + z·sin θ (SPEC.md).
 * φ and φ + 180° give mirror-image volumes: which one is right depends on the
 * sign convention of the tilt angles, which the images cannot tell.
 *
 * ## Projector
 * Parallel beam, tilt axis along y, detector width = volume nx, image height
 * = volume ny. Line integrals in voxel units (a uniform density of 1 along a
 * path of L voxels projects to L). See ps-recon-private.h for the method
 * (Joseph's method on cosine-stretched rows).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "ps-status.h"
#include "ps-tilt-series.h"
#include "ps-volume.h"

#ifdef __cplusplus
extern "C" {
#endif

/* cos and sin of @deg, exact (0, ±1) at multiples of 90°. */
void ps_cos_sin_deg (double deg, double *c, double *s);

/* Validate a tilt series for reconstruction: non-empty images at least 2
 * pixels wide, angles finite, within ±90° and strictly monotonic (no
 * duplicates), finite pixels, shifts and axis. A reason goes to @why. */
PsStatus ps_recon_check_series (const PsTiltSeries *ts, char *why, size_t why_len);

/* Size of the aligned frame (see above). */
void ps_recon_frame_size (const PsTiltSeries *ts, size_t *nx, size_t *ny);

/* True when the aligned frame is the raw images (axis along +y, all shifts
 * zero): no resampling needed. */
bool ps_recon_frame_is_identity (const PsTiltSeries *ts);

/* Row @y of aligned image @i into @dst (frame nx floats). */
void ps_recon_aligned_row (const PsTiltSeries *ts, size_t i, size_t y, float *dst);

/* Aligned image @i into @dst (frame nx × ny floats). */
void ps_recon_aligned_image (const PsTiltSeries *ts, size_t i, float *dst);

typedef struct
{
  const double *angles;   /* degrees, n_angles */
  size_t n_angles;
  int n_threads;          /* ≤ 0: all */
} PsProjectParams;

PsStatus ps_project_validate (const PsProjectParams *params, const PsVolume *vol,
                              char *why, size_t why_len);

/* Project @vol into a new tilt series (*out: vol->nx × vol->ny × n_angles,
 * axis along y, pixel size = voxel size x, y). Output is identical for any
 * thread count. */
PsStatus ps_project_run (const PsProjectParams *params, const PsVolume *vol,
                         PsTiltSeries **out, const PsProgress *progress,
                         char *why, size_t why_len);

/* Reprojection error of a reconstruction @vol (aligned frame nx × ny × any
 * nz) against the measured series @ts (its angles, axis and shifts):
 * ‖A·vol − b‖₂ / ‖b‖₂ over all aligned images b. @rel_err receives it. */
PsStatus ps_reprojection_error (const PsVolume *vol, const PsTiltSeries *ts, int n_threads,
                                double *rel_err, const PsProgress *progress,
                                char *why, size_t why_len);

#ifdef __cplusplus
}
#endif
