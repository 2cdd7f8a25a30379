/* SPDX-License-Identifier: GPL-3.0-or-later */
/* ps-filter.c: separable Gaussian and 3×3×3 median (see ps-filter.h). */
#include "ps-filter.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ps-grid.h"
#include "ps-kernel-private.h"
#include "ps-memory.h"
#include "ps-size.h"

#define BLOCK 16   /* columns gathered together in the strided passes */

void
ps_gaussian_params_init (PsGaussianParams *params, double sigma_nm)
{
  memset (params, 0, sizeof *params);
  params->sigma_nm[0] = params->sigma_nm[1] = params->sigma_nm[2] = sigma_nm;
  params->truncate = 4.0;
}

static bool
same_size (const PsVolume *a, const PsVolume *b)
{
  return a->nx == b->nx && a->ny == b->ny && a->nz == b->nz;
}

PsStatus
ps_gaussian_validate (const PsGaussianParams *params, const PsVolume *in, const PsVolume *out)
{
  if (params == NULL || in == NULL || out == NULL || in->data == NULL || out->data == NULL ||
      !same_size (in, out) || params->n_threads < 0 || !(params->truncate > 0.0) ||
      !isfinite (params->truncate))
    return PS_ERROR_INVALID_PARAMETER;
  for (int a = 0; a < 3; a++)
    if (!(params->sigma_nm[a] >= 0.0) || !isfinite (params->sigma_nm[a]) ||
        !(in->spacing[a] > 0.0) || !isfinite (in->spacing[a]))
      return PS_ERROR_INVALID_PARAMETER;
  PsGrid g = ps_grid_from_volume (in);
  return ps_grid_validate (&g);
}

/* scipy.ndimage "reflect" (half-sample symmetric) index into [0, n). */
static inline long
reflect (long i, long n)
{
  long period = 2 * n;
  i %= period;
  if (i < 0)
    i += period;
  return i < n ? i : period - 1 - i;
}

/* Correlate @n samples of @src (stride @stride) with the symmetric kernel
 * w[0 … r] into @dst (stride @stride). @ext holds n + 2r doubles. The sum
 * is w₀·x₀ + Σⱼ wⱼ·(x₋ⱼ + xⱼ) in double, scipy's order for symmetric
 * kernels. */
static void
convolve_line (float *line, size_t n, size_t stride, const double *w, long r, double *ext)
{
  for (long i = -r; i < (long) n + r; i++)
    ext[i + r] = (double) line[(size_t) reflect (i, (long) n) * stride];
  for (size_t i = 0; i < n; i++)
    {
      const double *c = ext + i + (size_t) r;
      double s = c[0] * w[0];
      for (long j = 1; j <= r; j++)
        s += (c[-j] + c[j]) * w[j];
      line[i * stride] = (float) s;
    }
}

PsStatus
ps_gaussian_run (const PsGaussianParams *params, const PsVolume *in, PsVolume *out,
                 const PsProgress *progress)
{
  PsStatus st = ps_gaussian_validate (params, in, out);
  if (st != PS_OK)
    return st;
  const size_t nx = in->nx, ny = in->ny, nz = in->nz, n = nx * ny * nz;
  const int nt = ps_threads_resolve (params->n_threads);
  if (out != in)
    memcpy (out->data, in->data, n * sizeof (float));

  /* Kernels per axis: σ in voxels, radius ⌊truncate·σ + ½⌋ (scipy). */
  double *w[3] = { NULL, NULL, NULL };
  long r[3] = { 0, 0, 0 };
  size_t dims[3] = { nx, ny, nz }, longest = 0;
  for (int a = 0; a < 3; a++)
    {
      double sigma = params->sigma_nm[a] / in->spacing[a];
      if (!(sigma > 0.0))
        continue;
      double rr = floor (params->truncate * sigma + 0.5);
      if (rr > 1e6)
        {
          st = PS_ERROR_INVALID_PARAMETER;
          goto out;
        }
      r[a] = (long) rr;
      w[a] = malloc ((size_t) (r[a] + 1) * sizeof (double));
      if (w[a] == NULL)
        {
          st = PS_ERROR_NO_MEMORY;
          goto out;
        }
      double sum = 0.0;
      for (long k = -r[a]; k <= r[a]; k++)
        sum += exp (-0.5 / (sigma * sigma) * (double) k * (double) k);
      for (long k = 0; k <= r[a]; k++)
        w[a][k] = exp (-0.5 / (sigma * sigma) * (double) k * (double) k) / sum;
      size_t need = dims[a] + 2 * (size_t) r[a];
      longest = need > longest ? need : longest;
    }
  if (longest == 0)
    goto out;   /* σ = 0 on every axis: a copy */

  _PsWork work;
  int n_axes = (w[0] != NULL) + (w[1] != NULL) + (w[2] != NULL), done_axes = 0;
  for (int a = 0; a < 3; a++)
    {
      if (w[a] == NULL)
        continue;
      size_t items = a == 2 ? ny : nz;
      _ps_work_init (&work, progress, "Gaussian", (double) done_axes / n_axes,
                     (double) (done_axes + 1) / n_axes, items);
      done_axes++;
      float *data = out->data;
      bool failed = false;
#pragma omp parallel num_threads(nt) reduction(|:failed)
      {
        double *ext = malloc (longest * sizeof (double));
        float *tile = malloc (dims[a] * BLOCK * sizeof (float));
        if (ext == NULL || tile == NULL)
          failed = true;
#pragma omp for schedule(dynamic, 1)
        for (size_t it = 0; it < items; it++)
          {
            if (failed || _ps_work_stop (&work))
              continue;
            if (a == 0)
              {
                /* Rows of slice z = it. */
                for (size_t y = 0; y < ny; y++)
                  convolve_line (data + (it * ny + y) * nx, nx, 1, w[0], r[0], ext);
              }
            else
              {
                /* Columns along y (slice z = it) or z (row y = it), 16 at a
                 * time through a contiguous tile. */
                size_t base0 = a == 1 ? it * nx * ny : it * nx;
                size_t stride = a == 1 ? nx : nx * ny, len = dims[a];
                for (size_t x0 = 0; x0 < nx; x0 += BLOCK)
                  {
                    size_t nc = nx - x0 < BLOCK ? nx - x0 : BLOCK;
                    for (size_t p = 0; p < len; p++)
                      for (size_t c = 0; c < nc; c++)
                        tile[c * len + p] = data[base0 + p * stride + x0 + c];
                    for (size_t c = 0; c < nc; c++)
                      convolve_line (tile + c * len, len, 1, w[a], r[a], ext);
                    for (size_t p = 0; p < len; p++)
                      for (size_t c = 0; c < nc; c++)
                        data[base0 + p * stride + x0 + c] = tile[c * len + p];
                  }
              }
            _ps_work_item_done (&work);
          }
        free (ext);
        free (tile);
      }
      if (failed)
        {
          st = PS_ERROR_NO_MEMORY;
          goto out;
        }
      if (_ps_work_was_cancelled (&work))
        {
          st = PS_ERROR_CANCELLED;
          goto out;
        }
    }
  ps_progress_report (progress, 1.0, "Gaussian");

out:
  for (int a = 0; a < 3; a++)
    free (w[a]);
  return st;
}

/* ---- median ---------------------------------------------------------------- */

void
ps_median_params_init (PsMedianParams *params)
{
  memset (params, 0, sizeof *params);
}

PsStatus
ps_median3_validate (const PsMedianParams *params, const PsVolume *in, const PsVolume *out)
{
  if (params == NULL || in == NULL || out == NULL || in->data == NULL || out->data == NULL ||
      in == out || in->data == out->data || !same_size (in, out) || params->n_threads < 0)
    return PS_ERROR_INVALID_PARAMETER;
  PsGrid g = ps_grid_from_volume (in);
  g.spacing[0] = g.spacing[1] = g.spacing[2] = 1.0;
  return ps_grid_validate (&g);
}

/* Order-preserving keys: IEEE total order, NaN (made positive) above +Inf. */
static inline uint32_t
to_key (float f)
{
  uint32_t u;
  if (isnan (f))
    f = NAN;
  memcpy (&u, &f, 4);
  return (u & 0x80000000u) ? ~u : (u | 0x80000000u);
}

static inline float
from_key (uint32_t k)
{
  uint32_t u = (k & 0x80000000u) ? (k & 0x7fffffffu) : ~k;
  float f;
  memcpy (&f, &u, 4);
  return f;
}

#define MB 64      /* voxels per vectorised batch */

/* Median of 27 per lane by forgetful selection (Paeth, Graphics Gems 1990):
 * keep ⌊27/2⌋ + 2 = 15 candidates, repeatedly drop the smallest and the
 * largest (neither can be the median) and take in the next value; three
 * remain, and their middle one is the median. Only min/max per lane. */
static void
median27 (uint32_t v[27][MB], uint32_t *out)
{
  int lo = 0, hi = 14;   /* candidates are v[lo … hi] */
  int next = 15;
  for (;;)
    {
      /* min to v[lo], max to v[hi] */
      for (int i = lo + 1; i <= hi; i++)
        for (int b = 0; b < MB; b++)
          {
            uint32_t a = v[lo][b], c = v[i][b];
            v[lo][b] = a < c ? a : c;
            v[i][b] = a < c ? c : a;
          }
      for (int i = lo + 1; i < hi; i++)
        for (int b = 0; b < MB; b++)
          {
            uint32_t a = v[i][b], c = v[hi][b];
            v[i][b] = a < c ? a : c;
            v[hi][b] = a < c ? c : a;
          }
      if (next == 27)
        break;
      /* drop both ends; the new value replaces the dropped maximum */
      lo++;
      for (int b = 0; b < MB; b++)
        v[hi][b] = v[next][b];
      next++;
    }
  /* Three left: v[lo] min, v[hi] max, the middle one is the median. */
  for (int b = 0; b < MB; b++)
    out[b] = v[lo + 1][b];
}

PsStatus
ps_median3_run (const PsMedianParams *params, const PsVolume *in, PsVolume *out,
                const PsProgress *progress)
{
  PsStatus st = ps_median3_validate (params, in, out);
  if (st != PS_OK)
    return st;
  const size_t nx = in->nx, ny = in->ny, nz = in->nz;
  const int nt = ps_threads_resolve (params->n_threads);
  _PsWork work;
  _ps_work_init (&work, progress, "Median", 0.0, 1.0, nz);
  bool failed = false;

#pragma omp parallel num_threads(nt) reduction(|:failed)
  {
    /* Nine key rows (y ± 1, z ± 1), each with one reflected voxel per end. */
    uint32_t *rows = malloc (9 * (nx + 2) * sizeof (uint32_t));
    uint32_t (*v)[MB] = malloc (27 * sizeof *v);
    uint32_t res[MB];
    if (rows == NULL || v == NULL)
      failed = true;
#pragma omp for schedule(dynamic, 1)
    for (size_t z = 0; z < nz; z++)
      {
        if (failed || _ps_work_stop (&work))
          continue;
        for (size_t y = 0; y < ny; y++)
          {
            for (int k = 0; k < 9; k++)
              {
                long yy = reflect ((long) y + (k % 3) - 1, (long) ny);
                long zz = reflect ((long) z + (k / 3) - 1, (long) nz);
                const float *src = in->data + ((size_t) zz * ny + (size_t) yy) * nx;
                uint32_t *dst = rows + (size_t) k * (nx + 2);
                dst[0] = to_key (src[0]);
                for (size_t x = 0; x < nx; x++)
                  dst[x + 1] = to_key (src[x]);
                dst[nx + 1] = to_key (src[nx - 1]);
              }
            float *o = out->data + (z * ny + y) * nx;
            for (size_t x0 = 0; x0 < nx; x0 += MB)
              {
                size_t nb = nx - x0 < MB ? nx - x0 : MB;
                for (int k = 0; k < 27; k++)
                  {
                    const uint32_t *row = rows + (size_t) (k / 3) * (nx + 2) + (k % 3);
                    for (size_t b = 0; b < MB; b++)
                      v[k][b] = row[x0 + (b < nb ? b : 0)];
                  }
                median27 (v, res);
                for (size_t b = 0; b < nb; b++)
                  o[x0 + b] = from_key (res[b]);
              }
          }
        _ps_work_item_done (&work);
      }
    free (rows);
    free (v);
  }
  if (failed)
    return PS_ERROR_NO_MEMORY;
  if (_ps_work_was_cancelled (&work))
    return PS_ERROR_CANCELLED;
  ps_progress_report (progress, 1.0, "Median");
  return PS_OK;
}
