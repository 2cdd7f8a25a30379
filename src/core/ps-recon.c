/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The slice engine shared by the projector, WBP and SIRT/SART; see
 * ps-recon-private.h for the geometry and the method. */
#include "ps-recon-private.h"

#include <math.h>
#include <limits.h>
#include <stdint.h>
#include <sys/mman.h>
#include <omp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ps-memory.h"
#include "ps-project.h"
#include "ps-size.h"

/* Rows per cache block: a block of the slice (32 rows, 64 KiB at 512
 * wide) and the parts of all angles' stretched rows it reads (~270 KiB at
 * 61 angles) stay in L2 while every angle is added to it; smaller blocks
 * re-read the stretched rows from L3 more often (measured: 8 rows ~10 %
 * slower at 512², 64 rows no better). */
#define ROW_BLOCK 32

void
ps_set_why (char *why, size_t why_len, const char *format, ...)
{
  va_list args;
  if (why == NULL || why_len == 0)
    return;
  va_start (args, format);
  vsnprintf (why, why_len, format, args);
  va_end (args);
}

void
ps_recon_advise_huge (void *ptr, size_t bytes)
{
#if defined(MADV_HUGEPAGE)
  /* Transparent huge pages for big volumes: 512× fewer page faults when
   * the kernel first touches them (THP mode "madvise"). Advice only. */
  uintptr_t a = ((uintptr_t) ptr + 4095) & ~(uintptr_t) 4095;
  uintptr_t e = ((uintptr_t) ptr + bytes) & ~(uintptr_t) 4095;
  if (e > a + (2u << 20))
    madvise ((void *) a, e - a, MADV_HUGEPAGE);
#else
  (void) ptr;
  (void) bytes;
#endif
}

int
ps_recon_threads (int requested)
{
  if (requested > 0)
    return requested;
  int n = omp_get_max_threads ();
  return n > 0 ? n : 1;
}

PsStatus
ps_slice_geom_init (PsSliceGeom *g, size_t nd, size_t nx, size_t nz,
                    const double *angles_deg, size_t n_angles, int q)
{
  size_t stride = 0, bytes;

  memset (g, 0, sizeof *g);
  if (nd == 0 || nx == 0 || nz == 0 || n_angles == 0 || (q != 1 && q != 2))
    return PS_ERROR_INVALID_PARAMETER;
  g->nd = nd;
  g->nx = nx;
  g->nz = nz;
  g->n_angles = n_angles;
  g->q = q;
  g->ang = calloc (n_angles, sizeof *g->ang);
  if (g->ang == NULL)
    return PS_ERROR_NO_MEMORY;
  for (size_t i = 0; i < n_angles; i++)
    {
      PsAngleGeom *A = &g->ang[i];
      double c, s;
      size_t nr;

      ps_cos_sin_deg (angles_deg[i], &c, &s);
      if (fabs (s) <= fabs (c))
        {
          A->transposed = false;
          A->a = c;
          A->b = s;
          A->cr = 0.5 * (double) (nx - 1);
          A->ck = 0.5 * (double) (nz - 1);
          nr = nx;
          g->any_a = true;
        }
      else
        {
          A->transposed = true;
          A->a = s;
          A->b = c;
          A->cr = 0.5 * (double) (nz - 1);
          A->ck = 0.5 * (double) (nx - 1);
          nr = nz;
          g->any_b = true;
        }
      A->ratio = A->b / A->a;
      double tmax = A->ck * fabs (A->ratio);
      A->s0 = (long) floor (-tmax) - 1;
      /* + 6: room for the 4-row fused forward loop, which may touch up to
       * three samples beyond the last one a single row reaches. */
      A->ns = nr + (size_t) ceil (tmax) + (size_t) (-A->s0) + 6;
      if ((size_t) q * A->ns > stride)
        stride = (size_t) q * A->ns;
    }
  g->stride = (stride + 15) & ~(size_t) 15;

  if (q == 1)
    {
      if (!ps_size_mul3 (n_angles, nd, sizeof (float), &bytes))
        {
          ps_slice_geom_clear (g);
          return PS_ERROR_TOO_LARGE;
        }
      g->fwd_norm = ps_aligned_calloc (bytes);
      double *D = calloc (nd, sizeof (double));
      if (g->fwd_norm == NULL || D == NULL)
        {
          free (D);
          ps_slice_geom_clear (g);
          return PS_ERROR_NO_MEMORY;
        }
      const double cu = 0.5 * (double) (nd - 1);
      for (size_t i = 0; i < n_angles; i++)
        {
          const PsAngleGeom *A = &g->ang[i];
          memset (D, 0, nd * sizeof (double));
          for (size_t j = 0; j < A->ns; j++)
            {
              double u = cu + ((double) A->s0 + (double) j - A->cr) * A->a;
              if (!(u >= 0.0 && u <= (double) (nd - 1)))
                continue;
              size_t i0 = (size_t) u;
              double f = u - (double) i0;
              if (i0 >= nd - 1)
                D[nd - 1] += 1.0;
              else
                {
                  D[i0] += 1.0 - f;
                  D[i0 + 1] += f;
                }
            }
          for (size_t d = 0; d < nd; d++)
            g->fwd_norm[i * nd + d] = D[d] > 1e-6 ? (float) (1.0 / (fabs (A->a) * D[d])) : 0.0f;
        }
      free (D);
    }
  return PS_OK;
}

void
ps_slice_geom_clear (PsSliceGeom *g)
{
  free (g->ang);
  ps_aligned_free (g->fwd_norm);
  memset (g, 0, sizeof *g);
}

/* Linear interpolation of @det (nd samples, zero outside [0, nd − 1]) at
 * u = u0 + j·du for j in [0, n), into out[j]·scale. */
static void
interp_line (const float *det, size_t nd, double u0, double du, size_t n, float scale, float *out)
{
  /* The j whose u lies inside [0, nd − 1]: everything else is zero, so the
   * loop over the inside needs no bounds test. */
  const double top = (double) (nd - 1);
  size_t j0 = 0, j1 = n;
  if (du > 0)
    {
      double a = ceil (-u0 / du), b = floor ((top - u0) / du);
      j0 = a > 0 ? (a < (double) n ? (size_t) a : n) : 0;
      j1 = b + 1 > 0 ? (b + 1 < (double) n ? (size_t) (b + 1) : n) : 0;
    }
  else if (du < 0)
    {
      double a = ceil ((top - u0) / du), b = floor (-u0 / du);
      j0 = a > 0 ? (a < (double) n ? (size_t) a : n) : 0;
      j1 = b + 1 > 0 ? (b + 1 < (double) n ? (size_t) (b + 1) : n) : 0;
    }
  else if (!(u0 >= 0 && u0 <= top))
    j0 = j1 = 0;
  /* Rounding at the edges of the range: re-check the end points. */
  while (j0 < j1 && !(u0 + (double) j0 * du >= 0.0 && u0 + (double) j0 * du <= top))
    j0++;
  while (j1 > j0 && !(u0 + (double) (j1 - 1) * du >= 0.0 && u0 + (double) (j1 - 1) * du <= top))
    j1--;
  if (j1 < j0)
    j1 = j0;
  for (size_t j = 0; j < j0; j++)
    out[j] = 0.0f;
  for (size_t j = j1; j < n; j++)
    out[j] = 0.0f;
  for (size_t j = j0; j < j1; j++)
    {
      double u = u0 + (double) j * du;
      size_t i0 = (size_t) u;
      float f = (float) (u - (double) i0);
      /* i0 = nd − 1 only at u = nd − 1 exactly, where f = 0. */
      size_t i1 = i0 + 1 < nd ? i0 + 1 : i0;
      out[j] = scale * (det[i0] + f * (det[i1] - det[i0]));
    }
}

void
ps_slice_stretch (const PsSliceGeom *g, size_t i, const float *det, float scale, float *Q)
{
  const PsAngleGeom *A = &g->ang[i];
  const size_t nd = g->nd, ns = A->ns;
  const double cu = 0.5 * (double) (nd - 1);
  const double u0 = cu + ((double) A->s0 - A->cr) * A->a;

  if (g->q == 1)
    interp_line (det, nd, u0, A->a, ns, scale, Q);
  else
    {
      /* Even phase at σ = s0 + m, odd phase at σ = s0 + m + ½. */
      interp_line (det, nd, u0, A->a, ns, scale, Q);
      interp_line (det, nd, u0 + 0.5 * A->a, A->a, ns, scale, Q + ns);
    }
}

/* How a back-projection pass meets its output row: SET writes the sum
 * (the first angles of a row: no need to clear the slice), ADD adds it, TO
 * writes src + sum elsewhere (the last angles of a row go straight into the
 * volume: no separate copy). */
enum { ROW_SET, ROW_ADD, ROW_TO };

/* dst (op) w0·p0[r] + w1·p1[r]: the whole inner loop of back-projection. */
static inline void
axpy2 (float *dst, const float *src, const float *restrict p0, const float *restrict p1,
       float w0, float w1, size_t n, int mode)
{
  if (mode == ROW_SET)
    {
      float *restrict d = dst;
      for (size_t r = 0; r < n; r++)
        d[r] = w0 * p0[r] + w1 * p1[r];
    }
  else if (mode == ROW_ADD)
    {
      float *restrict d = dst;
      for (size_t r = 0; r < n; r++)
        d[r] += w0 * p0[r] + w1 * p1[r];
    }
  else
    {
      float *restrict d = dst;
      const float *restrict q = src;
      for (size_t r = 0; r < n; r++)
        d[r] = q[r] + (w0 * p0[r] + w1 * p1[r]);
    }
}

/* Where row @k reads the stretched row of angle @A: P0/P1 and the weights. */
static inline void
row_taps (const PsAngleGeom *A, int q, size_t k, const float *Q,
          const float **p0, const float **p1, float *w0, float *w1)
{
  double t = ((double) k - A->ck) * A->ratio;
  if (q == 1)
    {
      double H = t - (double) A->s0;
      long I = (long) floor (H);
      float f = (float) (H - (double) I);
      *p0 = Q + I;
      *p1 = Q + I + 1;
      *w0 = 1.0f - f;
      *w1 = f;
    }
  else
    {
      const float *E = Q, *O = Q + A->ns;
      double H = 2.0 * (t - (double) A->s0);
      long I = (long) floor (H);
      float f = (float) (H - (double) I);
      if ((I & 1) == 0)
        {
          *p0 = E + I / 2;
          *p1 = O + I / 2;
        }
      else
        {
          *p0 = O + (I - 1) / 2;
          *p1 = E + (I + 1) / 2;
        }
      *w0 = 1.0f - f;
      *w1 = f;
    }
}

/* Four angles at once: the output row is loaded and stored once per four
 * voxel·angle updates. */
static inline void
axpy8 (float *dst, const float *src, const float *const *restrict p, const float *restrict w, size_t n, int mode)
{
  const float *restrict p0 = p[0], *restrict p1 = p[1], *restrict p2 = p[2], *restrict p3 = p[3];
  const float *restrict p4 = p[4], *restrict p5 = p[5], *restrict p6 = p[6], *restrict p7 = p[7];
  const float w0 = w[0], w1 = w[1], w2 = w[2], w3 = w[3], w4 = w[4], w5 = w[5], w6 = w[6], w7 = w[7];
#define SUM8(r) (((w0 * p0[r] + w1 * p1[r]) + (w2 * p2[r] + w3 * p3[r])) + \
                 ((w4 * p4[r] + w5 * p5[r]) + (w6 * p6[r] + w7 * p7[r])))
  if (mode == ROW_SET)
    {
      float *restrict d = dst;
      for (size_t r = 0; r < n; r++)
        d[r] = SUM8 (r);
    }
  else if (mode == ROW_ADD)
    {
      float *restrict d = dst;
      for (size_t r = 0; r < n; r++)
        d[r] += SUM8 (r);
    }
  else
    {
      float *restrict d = dst;
      const float *restrict q = src;
      for (size_t r = 0; r < n; r++)
        d[r] = q[r] + SUM8 (r);
    }
#undef SUM8
}

/* Back-project the selected angles of one case into @out (n_rows rows of
 * row_len). @assign: the first angles write instead of add. @final (may be
 * NULL): the last angles write out + their sum to final + k·final_stride
 * instead of updating @out. */
static void
back_case (const PsSliceGeom *g, const float *Q, const size_t *sel, size_t n_sel,
           bool transposed, float *out, size_t n_rows, size_t row_len, bool assign,
           float *final, size_t final_stride)
{
  size_t *list = __builtin_alloca ((n_sel + 1) * sizeof (size_t));
  size_t n = 0;

  for (size_t s = 0; s < n_sel; s++)
    {
      size_t i = sel ? sel[s] : s;
      if (g->ang[i].transposed == transposed)
        list[n++] = i;
    }
  const size_t n4 = n / 4 * 4;   /* angles in groups of four; the rest one by one */
  for (size_t k0 = 0; k0 < n_rows; k0 += ROW_BLOCK)
    {
      size_t k1 = k0 + ROW_BLOCK < n_rows ? k0 + ROW_BLOCK : n_rows;
      size_t s = 0;
      for (; s < n4; s += 4)
        {
          bool first = s == 0, last = s + 4 == n;
          for (size_t k = k0; k < k1; k++)
            {
              const float *p[8];
              float w[8];
              for (int a = 0; a < 4; a++)
                row_taps (&g->ang[list[s + a]], g->q, k, Q + list[s + a] * g->stride, &p[2 * a], &p[2 * a + 1],
                          &w[2 * a], &w[2 * a + 1]);
              float *row = out + k * row_len;
              if (final != NULL && last)
                axpy8 (final + k * final_stride, row, p, w, row_len, first && assign ? ROW_SET : ROW_TO);
              else
                axpy8 (row, row, p, w, row_len, first && assign ? ROW_SET : ROW_ADD);
            }
        }
      for (; s < n; s++)
        {
          bool first = s == 0, last = s + 1 == n;
          const PsAngleGeom *A = &g->ang[list[s]];
          const float *Qi = Q + list[s] * g->stride;
          for (size_t k = k0; k < k1; k++)
            {
              const float *p0, *p1;
              float w0, w1;
              row_taps (A, g->q, k, Qi, &p0, &p1, &w0, &w1);
              float *row = out + k * row_len;
              if (final != NULL && last)
                axpy2 (final + k * final_stride, row, p0, p1, w0, w1, row_len, first && assign ? ROW_SET : ROW_TO);
              else
                axpy2 (row, row, p0, p1, w0, w1, row_len, first && assign ? ROW_SET : ROW_ADD);
            }
        }
    }
  if (n == 0)
    {
      if (assign)
        memset (out, 0, n_rows * row_len * sizeof (float));
      if (final != NULL)
        for (size_t k = 0; k < n_rows; k++)
          memcpy (final + k * final_stride, out + k * row_len, row_len * sizeof (float));
    }
}

void
ps_slice_back (const PsSliceGeom *g, const float *Q, const size_t *sel, size_t n_sel,
               float *S, float *T, bool assign)
{
  if (S != NULL && (g->any_a || assign))
    back_case (g, Q, sel, n_sel, false, S, g->nz, g->nx, assign, NULL, 0);
  if (g->any_b && T != NULL)
    back_case (g, Q, sel, n_sel, true, T, g->nx, g->nz, assign, NULL, 0);
}

void
ps_slice_back_store (const PsSliceGeom *g, const float *Q, float *S, float *T, float *dst, size_t dst_stride)
{
  /* Case B first, folded into S by a plain transpose; then case A on top,
   * its last pass writing the volume's rows. */
  bool have_s = false;
  if (g->any_b)
    {
      back_case (g, Q, NULL, g->n_angles, true, T, g->nx, g->nz, true, NULL, 0);
      ps_transpose (T, g->nx, g->nz, S);
      have_s = true;
    }
  back_case (g, Q, NULL, g->n_angles, false, S, g->nz, g->nx, !have_s, dst, dst_stride);
}

/* Q[m] += w0·v[m] + w1·v[m − 1] for m in [0, n]: the transpose of axpy2 on
 * one row (q = 1). */
static inline void
joseph_row (float *restrict Q, const float *restrict v, float w0, float w1, size_t n)
{
  Q[0] += w0 * v[0];
  for (size_t m = 1; m < n; m++)
    Q[m] += w0 * v[m] + w1 * v[m - 1];
  Q[n] += w1 * v[n - 1];
}

/* Rows padded with FWD_PAD zeros on each side, so that four rows whose
 * offsets differ by up to 3 can be summed in one loop without edge cases. */
#define FWD_PAD 4

/* Four rows at once (the same angle): Q[base + m] += Σ_j w0_j·v_j[m − d_j]
 * + w1_j·v_j[m − d_j − 1], m in [0, n + 3], v_j padded; one load and store
 * of Q per four voxel·angle updates. */
static inline void
joseph_row4 (float *restrict Q, const float *const *restrict v, const int *d, const float *w, size_t n)
{
  const float *restrict a0 = v[0] - d[0], *restrict a1 = v[1] - d[1];
  const float *restrict a2 = v[2] - d[2], *restrict a3 = v[3] - d[3];
  const float w0 = w[0], w1 = w[1], w2 = w[2], w3 = w[3], w4 = w[4], w5 = w[5], w6 = w[6], w7 = w[7];
  for (size_t m = 0; m < n + 4; m++)
    Q[m] += ((w0 * a0[m] + w1 * a0[m - 1]) + (w2 * a1[m] + w3 * a1[m - 1])) +
            ((w4 * a2[m] + w5 * a2[m - 1]) + (w6 * a3[m] + w7 * a3[m - 1]));
}

static void
forward_case (const PsSliceGeom *g, const float *in, const size_t *sel, size_t n_sel,
              bool transposed, float *Q, size_t n_rows, size_t row_len)
{
  const size_t pstride = row_len + 2 * FWD_PAD;
  float *pad = malloc ((ROW_BLOCK * pstride + 16) * sizeof (float));
  if (pad == NULL)
    {
      /* Out of memory for a few hundred KiB: fall back on single rows. */
      for (size_t s = 0; s < n_sel; s++)
        {
          size_t i = sel ? sel[s] : s;
          const PsAngleGeom *A = &g->ang[i];
          if (A->transposed != transposed)
            continue;
          for (size_t k = 0; k < n_rows; k++)
            {
              double H = ((double) k - A->ck) * A->ratio - (double) A->s0;
              long I = (long) floor (H);
              float f = (float) (H - (double) I);
              joseph_row (Q + i * g->stride + I, in + k * row_len, 1.0f - f, f, row_len);
            }
        }
      return;
    }

  for (size_t k0 = 0; k0 < n_rows; k0 += ROW_BLOCK)
    {
      size_t k1 = k0 + ROW_BLOCK < n_rows ? k0 + ROW_BLOCK : n_rows;
      /* The block's rows, padded with zeros. */
      for (size_t k = k0; k < k1; k++)
        {
          float *row = pad + (k - k0) * pstride;
          for (int z = 0; z < FWD_PAD; z++)
            row[z] = row[FWD_PAD + row_len + z] = 0.0f;
          memcpy (row + FWD_PAD, in + k * row_len, row_len * sizeof (float));
        }
      for (size_t s = 0; s < n_sel; s++)
        {
          size_t i = sel ? sel[s] : s;
          const PsAngleGeom *A = &g->ang[i];
          if (A->transposed != transposed)
            continue;
          float *Qi = Q + i * g->stride;
          size_t k = k0;
          for (; k + 3 < k1; k += 4)
            {
              long I[4];
              float w[8];
              const float *v[4];
              int d[4];
              long base = LONG_MAX;
              for (int j = 0; j < 4; j++)
                {
                  double H = ((double) (k + j) - A->ck) * A->ratio - (double) A->s0;
                  I[j] = (long) floor (H);
                  float f = (float) (H - (double) I[j]);
                  w[2 * j] = 1.0f - f;
                  w[2 * j + 1] = f;
                  v[j] = pad + (k + j - k0) * pstride + FWD_PAD;
                  if (I[j] < base)
                    base = I[j];
                }
              for (int j = 0; j < 4; j++)
                d[j] = (int) (I[j] - base);
              joseph_row4 (Qi + base, v, d, w, row_len);
            }
          for (; k < k1; k++)
            {
              double H = ((double) k - A->ck) * A->ratio - (double) A->s0;
              long I = (long) floor (H);
              float f = (float) (H - (double) I);
              joseph_row (Qi + I, in + k * row_len, 1.0f - f, f, row_len);
            }
        }
    }
  free (pad);
}

void
ps_slice_forward (const PsSliceGeom *g, const float *S, const float *T,
                  const size_t *sel, size_t n_sel, float *Q, float *sino)
{
  const size_t nd = g->nd;
  const double cu = 0.5 * (double) (nd - 1);

  for (size_t s = 0; s < n_sel; s++)
    {
      size_t i = sel ? sel[s] : s;
      memset (Q + i * g->stride, 0, g->stride * sizeof (float));
    }
  if (g->any_a && S != NULL)
    forward_case (g, S, sel, n_sel, false, Q, g->nz, g->nx);
  if (g->any_b && T != NULL)
    forward_case (g, T, sel, n_sel, true, Q, g->nx, g->nz);

  for (size_t s = 0; s < n_sel; s++)
    {
      size_t i = sel ? sel[s] : s;
      const PsAngleGeom *A = &g->ang[i];
      const float *Qi = Q + i * g->stride;
      const float *norm = g->fwd_norm + i * nd;
      float *det = sino + i * nd;
      const double u0 = cu + ((double) A->s0 - A->cr) * A->a;

      memset (det, 0, nd * sizeof (float));
      for (size_t j = 0; j < A->ns; j++)
        {
          double u = u0 + (double) j * A->a;
          if (!(u >= 0.0 && u <= (double) (nd - 1)))
            continue;
          size_t i0 = (size_t) u;
          if (i0 >= nd - 1)
            det[nd - 1] += Qi[j];
          else
            {
              float f = (float) (u - (double) i0);
              det[i0] += (1.0f - f) * Qi[j];
              det[i0 + 1] += f * Qi[j];
            }
        }
      for (size_t d = 0; d < nd; d++)
        det[d] *= norm[d];
    }
}

#define TILE 32

#if defined(__AVX__)
#include <immintrin.h>

/* Transpose the 8×8 block at @src (row stride @ss) into @dst (row stride
 * @ds); add the block at @addend (row stride @as) when it is non-NULL. */
static inline void
transpose8 (const float *src, size_t ss, float *dst, size_t ds, const float *addend, size_t as)
{
  __m256 r0 = _mm256_loadu_ps (src + 0 * ss), r1 = _mm256_loadu_ps (src + 1 * ss);
  __m256 r2 = _mm256_loadu_ps (src + 2 * ss), r3 = _mm256_loadu_ps (src + 3 * ss);
  __m256 r4 = _mm256_loadu_ps (src + 4 * ss), r5 = _mm256_loadu_ps (src + 5 * ss);
  __m256 r6 = _mm256_loadu_ps (src + 6 * ss), r7 = _mm256_loadu_ps (src + 7 * ss);
  __m256 t0 = _mm256_unpacklo_ps (r0, r1), t1 = _mm256_unpackhi_ps (r0, r1);
  __m256 t2 = _mm256_unpacklo_ps (r2, r3), t3 = _mm256_unpackhi_ps (r2, r3);
  __m256 t4 = _mm256_unpacklo_ps (r4, r5), t5 = _mm256_unpackhi_ps (r4, r5);
  __m256 t6 = _mm256_unpacklo_ps (r6, r7), t7 = _mm256_unpackhi_ps (r6, r7);
  __m256 u0 = _mm256_shuffle_ps (t0, t2, 0x44), u1 = _mm256_shuffle_ps (t0, t2, 0xEE);
  __m256 u2 = _mm256_shuffle_ps (t1, t3, 0x44), u3 = _mm256_shuffle_ps (t1, t3, 0xEE);
  __m256 u4 = _mm256_shuffle_ps (t4, t6, 0x44), u5 = _mm256_shuffle_ps (t4, t6, 0xEE);
  __m256 u6 = _mm256_shuffle_ps (t5, t7, 0x44), u7 = _mm256_shuffle_ps (t5, t7, 0xEE);
  __m256 c[8];
  c[0] = _mm256_permute2f128_ps (u0, u4, 0x20);
  c[1] = _mm256_permute2f128_ps (u1, u5, 0x20);
  c[2] = _mm256_permute2f128_ps (u2, u6, 0x20);
  c[3] = _mm256_permute2f128_ps (u3, u7, 0x20);
  c[4] = _mm256_permute2f128_ps (u0, u4, 0x31);
  c[5] = _mm256_permute2f128_ps (u1, u5, 0x31);
  c[6] = _mm256_permute2f128_ps (u2, u6, 0x31);
  c[7] = _mm256_permute2f128_ps (u3, u7, 0x31);
  for (int i = 0; i < 8; i++)
    {
      __m256 v = c[i];
      if (addend != NULL)
        v = _mm256_add_ps (_mm256_loadu_ps (addend + i * as), v);
      _mm256_storeu_ps (dst + i * ds, v);
    }
}
#endif

/* dst[c][r] = src[r][c] (+ addend[c][r]) for src rows × cols; dst and
 * addend have row strides @ds and @as. */
static void
transpose_generic (const float *src, size_t rows, size_t cols, float *dst, size_t ds, const float *addend, size_t as)
{
  for (size_t r0 = 0; r0 < rows; r0 += TILE)
    for (size_t c0 = 0; c0 < cols; c0 += TILE)
      {
        size_t r1 = r0 + TILE < rows ? r0 + TILE : rows;
        size_t c1 = c0 + TILE < cols ? c0 + TILE : cols;
#if defined(__AVX__)
        if (r1 - r0 == TILE && c1 - c0 == TILE)
          {
            for (size_t r = r0; r < r1; r += 8)
              for (size_t c = c0; c < c1; c += 8)
                transpose8 (src + r * cols + c, cols, dst + c * ds + r, ds, addend ? addend + c * as + r : NULL, as);
            continue;
          }
#endif
        for (size_t r = r0; r < r1; r++)
          for (size_t c = c0; c < c1; c++)
            dst[c * ds + r] = src[r * cols + c] + (addend ? addend[c * as + r] : 0.0f);
      }
}

void
ps_transpose (const float *src, size_t rows, size_t cols, float *dst)
{
  transpose_generic (src, rows, cols, dst, rows, NULL, 0);
}

void
ps_transpose_add (const float *src, size_t rows, size_t cols, float *dst)
{
  /* dst is rows × cols; src is cols × rows. */
  transpose_generic (src, cols, rows, dst, cols, dst, cols);
}

void
ps_transpose_add_store (const float *T, size_t rows, size_t cols, const float *S, float *dst, size_t dst_stride)
{
  /* dst[r][c] = S[r][c] + T[c][r]; T is cols × rows. */
  transpose_generic (T, cols, rows, dst, dst_stride, S, cols);
}

void
ps_angle_weights (const double *angles_deg, size_t n, double *weights)
{
  const double rad = M_PI / 180.0;
  double total = 0.0;

  if (n == 1)
    {
      weights[0] = M_PI;
      return;
    }
  for (size_t i = 0; i < n; i++)
    {
      double w;
      if (i == 0)
        w = fabs (angles_deg[1] - angles_deg[0]);
      else if (i == n - 1)
        w = fabs (angles_deg[n - 1] - angles_deg[n - 2]);
      else
        w = 0.5 * fabs (angles_deg[i + 1] - angles_deg[i - 1]);
      weights[i] = w * rad;
      total += weights[i];
    }
  if (total > M_PI)
    {
      double cut = 0.5 * (total - M_PI);
      weights[0] = fmax (0.0, weights[0] - cut);
      weights[n - 1] = fmax (0.0, weights[n - 1] - cut);
    }
}

PsStatus
ps_recon_check_series (const PsTiltSeries *ts, char *why, size_t why_len)
{
  char reason[160];

  if (ts == NULL)
    {
      ps_set_why (why, why_len, "no tilt series");
      return PS_ERROR_INVALID_PARAMETER;
    }
  if (ts->nx == 0 || ts->ny == 0 || ts->n == 0 || ts->data == NULL)
    {
      ps_set_why (why, why_len, "the tilt series is empty (%zu images of %zu × %zu pixels)",
                  ts->n, ts->nx, ts->ny);
      return PS_ERROR_INVALID_PARAMETER;
    }
  if (ts->nx < 2)
    {
      ps_set_why (why, why_len, "images are only %zu pixel wide; reconstruction needs at least 2", ts->nx);
      return PS_ERROR_INVALID_PARAMETER;
    }
  if (!ps_angles_check (ts->angles, ts->n, reason, sizeof reason))
    {
      ps_set_why (why, why_len, "%s", reason);
      return PS_ERROR_INVALID_PARAMETER;
    }
  if (!isfinite (ts->tilt_axis_deg))
    {
      ps_set_why (why, why_len, "the tilt-axis direction is not a finite number");
      return PS_ERROR_INVALID_PARAMETER;
    }
  for (size_t i = 0; i < ts->n; i++)
    if (!isfinite (ts->shift_x[i]) || !isfinite (ts->shift_y[i]))
      {
        ps_set_why (why, why_len, "the shift of image %zu is not finite", i + 1);
        return PS_ERROR_INVALID_PARAMETER;
      }

  /* Non-finite pixels: find the first one (lowest index) in parallel. */
  const size_t total = ts->n * ts->nx * ts->ny;
  size_t first = SIZE_MAX;
#pragma omp parallel for reduction(min : first) schedule(static)
  for (size_t i = 0; i < total; i++)
    if (!isfinite (ts->data[i]) && i < first)
      first = i;
  if (first != SIZE_MAX)
    {
      size_t img = first / (ts->nx * ts->ny), rem = first % (ts->nx * ts->ny);
      ps_set_why (why, why_len, "image %zu has a non-finite pixel (NaN or infinity) at x = %zu, y = %zu",
                  img + 1, rem % ts->nx, rem / ts->nx);
      return PS_ERROR_INVALID_PARAMETER;
    }
  return PS_OK;
}

float *
ps_recon_aligned_stack (const PsTiltSeries *ts, int n_threads, PsStatus *status)
{
  size_t nx, ny, bytes;
  float *stack;

  *status = PS_OK;
  if (ps_recon_frame_is_identity (ts))
    return NULL;
  ps_recon_frame_size (ts, &nx, &ny);
  if (!ps_size_voxels_bytes (nx, ny, ts->n, sizeof (float), &bytes) || ps_memory_check (bytes) != PS_OK)
    {
      *status = PS_ERROR_TOO_LARGE;
      return NULL;
    }
  stack = ps_aligned_alloc (bytes);
  if (stack == NULL)
    {
      *status = PS_ERROR_NO_MEMORY;
      return NULL;
    }
#pragma omp parallel for num_threads(ps_recon_threads (n_threads)) schedule(dynamic, 1)
  for (size_t i = 0; i < ts->n; i++)
    ps_recon_aligned_image (ts, i, stack + i * nx * ny);
  return stack;
}

void
ps_progress_counter_init (PsProgressCounter *c, const PsProgress *progress, size_t total,
                          const char *message)
{
  c->progress = progress;
  atomic_init (&c->done, 0);
  c->total = total > 0 ? total : 1;
  c->last = -1.0;
  c->message = message;
}

void
ps_progress_counter_add (PsProgressCounter *c, size_t n)
{
  size_t done = atomic_fetch_add (&c->done, n) + n;
  if (c->progress == NULL || c->progress->func == NULL)
    return;
  double f = (double) done / (double) c->total;
  if (f > 1.0)
    f = 1.0;
#pragma omp critical(ps_progress_counter)
  {
    if (f >= c->last + 1e-3 || (f >= 1.0 && c->last < 1.0))
      {
        c->last = f;
        ps_progress_report (c->progress, f, c->message);
      }
  }
}
