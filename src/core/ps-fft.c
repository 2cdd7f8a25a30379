/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Iterative radix-2 decimation-in-time FFT (Cooley & Tukey 1965) over
 * PS_FFT_LANES interleaved signals; see ps-fft.h. */
#include "ps-fft.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include "ps-memory.h"

struct PsFft
{
  size_t n;
  unsigned log2n;
  float *cos_tw;     /* n/2: cos(2πj/n) */
  float *sin_tw;     /* n/2: sin(2πj/n) */
  uint32_t *rev;     /* bit-reversal permutation */
};

size_t
ps_fft_next_pow2 (size_t n)
{
  size_t p = 2;
  while (p < n)
    {
      if (p > SIZE_MAX / 2)
        return 0;
      p *= 2;
    }
  return p;
}

PsFft *
ps_fft_new (size_t n)
{
  PsFft *plan;
  unsigned bits = 0;

  if (n < 2 || n > ((size_t) 1 << 26) || (n & (n - 1)) != 0)
    return NULL;
  while (((size_t) 1 << bits) < n)
    bits++;
  plan = calloc (1, sizeof *plan);
  if (plan == NULL)
    return NULL;
  plan->n = n;
  plan->log2n = bits;
  plan->cos_tw = ps_aligned_alloc (n / 2 * sizeof (float));
  plan->sin_tw = ps_aligned_alloc (n / 2 * sizeof (float));
  plan->rev = malloc (n * sizeof (uint32_t));
  if (plan->cos_tw == NULL || plan->sin_tw == NULL || plan->rev == NULL)
    {
      ps_fft_free (plan);
      return NULL;
    }
  for (size_t j = 0; j < n / 2; j++)
    {
      double phi = 2.0 * M_PI * (double) j / (double) n;
      plan->cos_tw[j] = (float) cos (phi);
      plan->sin_tw[j] = (float) sin (phi);
    }
  for (size_t i = 0; i < n; i++)
    {
      uint32_t r = 0;
      for (unsigned b = 0; b < bits; b++)
        if (i & ((size_t) 1 << b))
          r |= (uint32_t) 1 << (bits - 1 - b);
      plan->rev[i] = r;
    }
  return plan;
}

void
ps_fft_free (PsFft *plan)
{
  if (plan == NULL)
    return;
  ps_aligned_free (plan->cos_tw);
  ps_aligned_free (plan->sin_tw);
  free (plan->rev);
  free (plan);
}

size_t
ps_fft_size (const PsFft *plan)
{
  return plan->n;
}

#define L PS_FFT_LANES

void
ps_fft_lanes (const PsFft *plan, float *re, float *im, bool inverse)
{
  const size_t n = plan->n;
  const float sgn = inverse ? 1.0f : -1.0f;

  for (size_t i = 0; i < n; i++)
    {
      size_t j = plan->rev[i];
      if (j > i)
        for (int l = 0; l < L; l++)
          {
            float tr = re[i * L + l], ti = im[i * L + l];
            re[i * L + l] = re[j * L + l];
            im[i * L + l] = im[j * L + l];
            re[j * L + l] = tr;
            im[j * L + l] = ti;
          }
    }

  /* First stage: twiddle 1, no multiplications. */
  for (size_t s = 0; s < n; s += 2)
    {
      float *restrict ar = re + s * L, *restrict ai = im + s * L;
      for (int l = 0; l < L; l++)
        {
          float xr = ar[L + l], xi = ai[L + l];
          ar[L + l] = ar[l] - xr;
          ai[L + l] = ai[l] - xi;
          ar[l] += xr;
          ai[l] += xi;
        }
    }

  for (size_t len = 4; len <= n; len *= 2)
    {
      const size_t half = len / 2, step = n / len;
      for (size_t s = 0; s < n; s += len)
        for (size_t j = 0; j < half; j++)
          {
            const float wr = plan->cos_tw[j * step];
            const float wi = sgn * plan->sin_tw[j * step];
            float *restrict ar = re + (s + j) * L, *restrict ai = im + (s + j) * L;
            float *restrict br = re + (s + j + half) * L, *restrict bi = im + (s + j + half) * L;
            for (int l = 0; l < L; l++)
              {
                float xr = br[l] * wr - bi[l] * wi;
                float xi = br[l] * wi + bi[l] * wr;
                br[l] = ar[l] - xr;
                bi[l] = ai[l] - xi;
                ar[l] += xr;
                ai[l] += xi;
              }
          }
    }
}

void
ps_fft_bitrev_permute (const PsFft *plan, const float *src, float *dst)
{
  for (size_t k = 0; k < plan->n; k++)
    dst[k] = src[plan->rev[k]];
}

void
ps_fft_filter_lanes (const PsFft *plan, float *re, float *im, const float *H_rev)
{
  const size_t n = plan->n;

  /* Forward DIF (Gentleman & Sande 1966). First stage: the upper half is
   * zero, so a + b = a and (a − b)·w = a·w. */
  {
    const size_t half = n / 2;
    for (size_t j = 0; j < half; j++)
      {
        const float wr = plan->cos_tw[j], wi = -plan->sin_tw[j];
        float *restrict ar = re + j * L, *restrict ai = im + j * L;
        float *restrict br = re + (j + half) * L, *restrict bi = im + (j + half) * L;
        for (int l = 0; l < L; l++)
          {
            br[l] = ar[l] * wr - ai[l] * wi;
            bi[l] = ar[l] * wi + ai[l] * wr;
          }
      }
  }
  for (size_t len = n / 2; len >= 2; len /= 2)
    {
      const size_t half = len / 2, step = n / len;
      for (size_t s = 0; s < n; s += len)
        for (size_t j = 0; j < half; j++)
          {
            const float wr = plan->cos_tw[j * step], wi = -plan->sin_tw[j * step];
            float *restrict ar = re + (s + j) * L, *restrict ai = im + (s + j) * L;
            float *restrict br = re + (s + j + half) * L, *restrict bi = im + (s + j + half) * L;
            for (int l = 0; l < L; l++)
              {
                float xr = ar[l] - br[l], xi = ai[l] - bi[l];
                ar[l] += br[l];
                ai[l] += bi[l];
                br[l] = xr * wr - xi * wi;
                bi[l] = xr * wi + xi * wr;
              }
          }
    }
  /* The spectrum is in bit-reversed order, and so is H_rev. */
  for (size_t k = 0; k < n; k++)
    for (int l = 0; l < L; l++)
      {
        re[k * L + l] *= H_rev[k];
        im[k * L + l] *= H_rev[k];
      }
  /* Inverse DIT from bit-reversed order; the last stage only for the lower
   * half of the output. */
  for (size_t len = 2; len < n; len *= 2)
    {
      const size_t half = len / 2, step = n / len;
      for (size_t s = 0; s < n; s += len)
        for (size_t j = 0; j < half; j++)
          {
            const float wr = plan->cos_tw[j * step], wi = plan->sin_tw[j * step];
            float *restrict ar = re + (s + j) * L, *restrict ai = im + (s + j) * L;
            float *restrict br = re + (s + j + half) * L, *restrict bi = im + (s + j + half) * L;
            for (int l = 0; l < L; l++)
              {
                float xr = br[l] * wr - bi[l] * wi;
                float xi = br[l] * wi + bi[l] * wr;
                br[l] = ar[l] - xr;
                bi[l] = ai[l] - xi;
                ar[l] += xr;
                ai[l] += xi;
              }
          }
    }
  {
    const size_t half = n / 2;
    for (size_t j = 0; j < half; j++)
      {
        const float wr = plan->cos_tw[j], wi = plan->sin_tw[j];
        float *restrict ar = re + j * L, *restrict ai = im + j * L;
        const float *restrict br = re + (j + half) * L, *restrict bi = im + (j + half) * L;
        for (int l = 0; l < L; l++)
          {
            ar[l] += br[l] * wr - bi[l] * wi;
            ai[l] += br[l] * wi + bi[l] * wr;
          }
      }
  }
}
