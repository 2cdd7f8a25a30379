/* SPDX-License-Identifier: GPL-3.0-or-later */
/* ps-wbp.h: weighted (filtered) back-projection.
 *
 * Each aligned projection row is filtered with a ramp (Kak & Slaney,
 * "Principles of Computerized Tomographic Imaging", 1988, eq. 3.61: the
 * band-limited spatial ramp kernel h(0) = 1/4, h(n odd) = −1/(πn)², h(n even)
 * = 0, which gets the zero frequency right), optionally apodised
 * (Shepp–Logan sinc, cosine, Hann), after zero padding to a power of two
 * ≥ 2·nx (at least 64, as scikit-image's iradon), then back-projected with the
 * cosine-stretched engine, each angle weighted by the angular interval it
 * represents (ps_angle_weights), so unevenly spaced series are handled. The
 * result is in the units of the projections per pixel length: for
 * noise-free projections of a density f with full angular coverage, WBP ≈ f.
 */
#pragma once

#include <stddef.h>

#include "ps-status.h"
#include "ps-tilt-series.h"
#include "ps-volume.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum
{
  PS_FILTER_RAMP,
  PS_FILTER_SHEPP_LOGAN,
  PS_FILTER_COSINE,
  PS_FILTER_HANN,
} PsFilterType;

/* "ramp", "shepp-logan", "cosine", "hann"; NULL when unknown. */
const char *ps_filter_type_to_string (PsFilterType type);
/* Returns false when @name is not a filter name. */
bool ps_filter_type_from_string (const char *name, PsFilterType *type);

typedef struct
{
  PsFilterType filter;
  double cutoff;      /* apodisation reaches zero at cutoff × Nyquist; (0, 1]; 0 = 1 */
  size_t thickness;   /* nz of the reconstruction; 0 = aligned image width */
  int n_threads;      /* ≤ 0: all */
} PsWbpParams;

/* Defaults: ramp, cutoff 1, thickness = width, all threads. */
void ps_wbp_params_init (PsWbpParams *params);

PsStatus ps_wbp_validate (const PsWbpParams *params, const PsTiltSeries *ts, char *why, size_t why_len);

/* Reconstruct @ts into a new volume (*out: aligned nx × ny × thickness,
 * spacing = pixel size). Identical output for any thread count. Polls
 * cancellation per slice. */
PsStatus ps_wbp_run (const PsWbpParams *params, const PsTiltSeries *ts, PsVolume **out,
                     const PsProgress *progress, char *why, size_t why_len);

/* The filter's frequency response: @n_fft values (a power of two ≥ 2),
 * DFT order (index k is frequency k/n_fft cycles per pixel, k > n_fft/2
 * negative), real and even. Exposed for tests. */
void ps_wbp_filter_response (PsFilterType type, double cutoff, size_t n_fft, double *response);

/* FFT length used for rows of @width pixels. */
size_t ps_wbp_fft_length (size_t width);

#ifdef __cplusplus
}
#endif
