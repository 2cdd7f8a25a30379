/* SPDX-License-Identifier: GPL-3.0-or-later */
/* ps-tilt-series.h: a stack of 2D projections with their tilt angles.
 *
 * Geometry (SPEC.md): images are (x, y), x fastest, in file order. By default
 * the single tilt axis is parallel to the image y axis through the image
 * centre ((nx−1)/2, (ny−1)/2); tilt_axis_deg rotates it in the image plane,
 * counter-clockwise from +y (IMOD's convention: 90 = axis along x). Per-image
 * shifts (pixels) are what alignment found: image i is read at (x + shift_x[i],
 * y + shift_y[i]). */
#pragma once

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

#include "ps-status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct PsTiltSeries
{
  atomic_int ref_count;
  size_t nx, ny;          /* image size in pixels */
  size_t n;               /* number of images */
  double pixel_size[2];   /* nm along x, y */
  bool spacing_known;
  float *data;            /* n × ny × nx, x fastest */
  double *angles;         /* degrees, n */
  double tilt_axis_deg;   /* in-plane axis direction, CCW from +y */
  double *shift_x;        /* pixels, n (zero until aligned) */
  double *shift_y;
} PsTiltSeries;

/* New zeroed series with angles/shifts zeroed. */
PsTiltSeries *ps_tilt_series_new (size_t nx, size_t ny, size_t n, PsStatus *status);
PsTiltSeries *ps_tilt_series_ref (PsTiltSeries *ts);
void ps_tilt_series_unref (PsTiltSeries *ts);

static inline float *
ps_tilt_series_image (const PsTiltSeries *ts, size_t i)
{
  return ts->data + i * ts->nx * ts->ny;
}

/* Check that the angles are finite, within [−90, 90] and strictly monotonic
 * (increasing or decreasing). Returns false with a reason in @why. */
bool ps_angles_check (const double *angles, size_t n, char *why, size_t why_len);

#ifdef __cplusplus
}
#endif
