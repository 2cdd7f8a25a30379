/* SPDX-License-Identifier: GPL-3.0-or-later */
/* ps-fft.h: a small radix-2 complex FFT that transforms PS_FFT_LANES signals
 * at once.
 *
 * The reconstruction filters thousands of short rows (one per tilt image and
 * slice) and the aligner correlates small images, so instead of one fast
 * transform we run PS_FFT_LANES transforms side by side: element k of lane l
 * lives at re[k * PS_FFT_LANES + l] (and im[…]), so every butterfly is one
 * SIMD operation across the lanes. Sizes are powers of two. The forward
 * transform is X[k] = Σ x[n]·exp(−2πi·nk/N); the inverse uses +i and is not
 * scaled (divide by N yourself). Twiddles are computed in double precision.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "ps-status.h"

#ifdef __cplusplus
extern "C" {
#endif

#define PS_FFT_LANES 8

typedef struct PsFft PsFft;

/* A plan for transforms of length @n (a power of two, 2 ≤ n ≤ 2^26). NULL
 * when @n is not such a power or memory runs out. */
PsFft *ps_fft_new (size_t n);
void ps_fft_free (PsFft *plan);
size_t ps_fft_size (const PsFft *plan);

/* The smallest power of two ≥ @n (and ≥ 2); 0 if that overflows. */
size_t ps_fft_next_pow2 (size_t n);

/* Transform PS_FFT_LANES interleaved complex signals in place. @re and @im
 * hold n × PS_FFT_LANES floats each. */
void ps_fft_lanes (const PsFft *plan, float *re, float *im, bool inverse);

/* Filter PS_FFT_LANES interleaved complex signals whose upper half
 * (elements n/2 … n−1) is zero by a real response, in place:
 * x ← IFFT(FFT(x) · H) / 1 (unscaled), computed as a decimation-in-frequency
 * forward transform (natural order in, bit-reversed out), a product with
 * @H_rev (the response in bit-reversed order, see ps_fft_bitrev_permute)
 * and a decimation-in-time inverse (bit-reversed in, natural out), so no
 * element is ever permuted; the zero upper half skips half the first
 * stage and only the lower half of the result (elements 0 … n/2−1) is
 * computed (the upper half is left undefined). */
void ps_fft_filter_lanes (const PsFft *plan, float *re, float *im, const float *H_rev);

/* dst[k] = src[bitreverse(k)] for k in 0 … n−1. */
void ps_fft_bitrev_permute (const PsFft *plan, const float *src, float *dst);

#ifdef __cplusplus
}
#endif
