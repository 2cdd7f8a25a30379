/* SPDX-License-Identifier: GPL-3.0-or-later */
/* SIRT and OS-SART; see ps-sirt.h. */
#include "ps-sirt.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ps-memory.h"
#include "ps-project.h"
#include "ps-recon-private.h"
#include "ps-size.h"

void
ps_sirt_params_init (PsSirtParams *params, PsIterativeMethod method)
{
  memset (params, 0, sizeof *params);
  params->method = method;
  params->nonnegative = true;
}

const char *
ps_iterative_method_to_string (PsIterativeMethod method)
{
  return method == PS_ITERATIVE_SART ? "sart" : "sirt";
}

static int
effective_iterations (const PsSirtParams *p)
{
  if (p->iterations > 0)
    return p->iterations;
  return p->method == PS_ITERATIVE_SART ? PS_SART_DEFAULT_ITERATIONS : PS_SIRT_DEFAULT_ITERATIONS;
}

static double
effective_relaxation (const PsSirtParams *p)
{
  if (p->relaxation > 0)
    return p->relaxation;
  return p->method == PS_ITERATIVE_SART ? PS_SART_DEFAULT_RELAXATION : PS_SIRT_DEFAULT_RELAXATION;
}

static size_t
effective_subsets (const PsSirtParams *p, size_t n_angles)
{
  size_t m;
  if (p->method != PS_ITERATIVE_SART)
    return 1;
  if (p->subsets > 0)
    m = (size_t) p->subsets;
  else
    m = (n_angles + PS_SART_ANGLES_PER_SUBSET - 1) / PS_SART_ANGLES_PER_SUBSET;
  if (m < 1)
    m = 1;
  if (m > n_angles)
    m = n_angles;
  return m;
}

PsStatus
ps_sirt_validate (const PsSirtParams *params, const PsTiltSeries *ts, char *why, size_t why_len)
{
  PsStatus st;
  size_t nx, ny, nz, bytes;

  if (params == NULL)
    {
      ps_set_why (why, why_len, "no parameters");
      return PS_ERROR_INVALID_PARAMETER;
    }
  if (params->method != PS_ITERATIVE_SIRT && params->method != PS_ITERATIVE_SART)
    {
      ps_set_why (why, why_len, "unknown iterative method");
      return PS_ERROR_INVALID_PARAMETER;
    }
  if (params->iterations < 0 || params->iterations > 100000)
    {
      ps_set_why (why, why_len, "the number of iterations must lie in 1…100000, not %d", params->iterations);
      return PS_ERROR_INVALID_PARAMETER;
    }
  if (params->relaxation != 0.0 && !(params->relaxation > 0.0 && params->relaxation < 2.0))
    {
      ps_set_why (why, why_len, "the relaxation factor must lie in (0, 2), not %g", params->relaxation);
      return PS_ERROR_INVALID_PARAMETER;
    }
  if (params->subsets < 0)
    {
      ps_set_why (why, why_len, "the number of subsets must be positive");
      return PS_ERROR_INVALID_PARAMETER;
    }
  if ((st = ps_recon_check_series (ts, why, why_len)) != PS_OK)
    return st;
  ps_recon_frame_size (ts, &nx, &ny);
  nz = params->thickness ? params->thickness : nx;
  if (params->initial != NULL &&
      (params->initial->nx != nx || params->initial->ny != ny || params->initial->nz != nz))
    {
      ps_set_why (why, why_len, "the starting volume is %zu × %zu × %zu but the reconstruction is %zu × %zu × %zu",
                  params->initial->nx, params->initial->ny, params->initial->nz, nx, ny, nz);
      return PS_ERROR_INVALID_PARAMETER;
    }
  if (!ps_size_voxels_bytes (nx, ny, nz, sizeof (float), &bytes) || ps_memory_check (bytes) != PS_OK)
    {
      ps_set_why (why, why_len, "a %zu × %zu × %zu volume does not fit in the memory available", nx, ny, nz);
      return PS_ERROR_TOO_LARGE;
    }
  return PS_OK;
}

void
ps_recon_preview_slices (const PsVolume *vol, float *xy, float *xz)
{
  if (vol == NULL)
    return;
  if (xy != NULL)
    memcpy (xy, vol->data + (vol->nz / 2) * vol->nx * vol->ny, vol->nx * vol->ny * sizeof (float));
  if (xz != NULL)
    for (size_t z = 0; z < vol->nz; z++)
      memcpy (xz + z * vol->nx, vol->data + (z * vol->ny + vol->ny / 2) * vol->nx, vol->nx * sizeof (float));
}

/* Per-thread buffers. */
typedef struct
{
  float *X, *XT;    /* current slice and its transpose */
  float *U, *UT;    /* update accumulators */
  float *P;         /* n_angles × nd */
  float *Q;         /* n_angles × stride */
} SirtBuffers;

static void
sirt_buffers_free (SirtBuffers *b)
{
  ps_aligned_free (b->X);
  ps_aligned_free (b->XT);
  ps_aligned_free (b->U);
  ps_aligned_free (b->UT);
  ps_aligned_free (b->P);
  ps_aligned_free (b->Q);
}

static bool
sirt_buffers_alloc (SirtBuffers *b, const PsSliceGeom *g)
{
  size_t slice = g->nx * g->nz * sizeof (float);
  memset (b, 0, sizeof *b);
  b->X = ps_aligned_alloc (slice);
  b->U = ps_aligned_alloc (slice);
  if (g->any_b)
    {
      b->XT = ps_aligned_alloc (slice);
      b->UT = ps_aligned_alloc (slice);
    }
  b->P = ps_aligned_alloc (g->n_angles * g->nd * sizeof (float));
  b->Q = ps_aligned_alloc (g->n_angles * g->stride * sizeof (float));
  return b->X && b->U && (!g->any_b || (b->XT && b->UT)) && b->P && b->Q;
}

/* Aᵀ·w for the selected angles into U (nz × nx), using UT as scratch:
 * stretch w·n per angle, back-project, fold the transposed part in. */
static void
back_weighted (const PsSliceGeom *g, const float *w, const size_t *sel, size_t n_sel,
               SirtBuffers *b, bool has_b)
{
  const size_t nd = g->nd, slice = g->nx * g->nz;
  for (size_t s = 0; s < n_sel; s++)
    {
      size_t i = sel[s];
      ps_slice_stretch (g, i, w + i * nd, 1.0f, b->Q + i * g->stride);
    }
  (void) slice;
  ps_slice_back (g, b->Q, sel, n_sel, b->U, has_b ? b->UT : NULL, true);
  if (has_b)
    ps_transpose_add (b->UT, g->nz, g->nx, b->U);
}

/* The angles of a subset, and whether any is of case B. */
typedef struct
{
  size_t *idx;
  size_t n;
  bool has_b;
} Subset;

/* Bit-reversed order of 0 … m−1, so that consecutive subsets are far apart. */
static void
bit_reversed_order (size_t m, size_t *order)
{
  size_t p = 1, k = 0;
  unsigned bits = 0;
  while (p < m)
    {
      p *= 2;
      bits++;
    }
  for (size_t i = 0; i < p && k < m; i++)
    {
      size_t r = 0;
      for (unsigned bit = 0; bit < bits; bit++)
        if (i & ((size_t) 1 << bit))
          r |= (size_t) 1 << (bits - 1 - bit);
      if (r < m)
        order[k++] = r;
    }
}

PsStatus
ps_sirt_run (const PsSirtParams *params, const PsTiltSeries *ts, PsVolume **out,
             double *residuals, const PsProgress *progress, char *why, size_t why_len)
{
  PsStatus st;
  size_t nx, ny, nz, n_sub = 1;
  PsSliceGeom g;
  float *stack = NULL, *R = NULL, *C = NULL;
  double *resid_y = NULL, *norm_y = NULL;
  Subset *subsets = NULL;
  size_t *order = NULL;
  PsVolume *vol = NULL;
  int n_it;
  double lambda, b_norm = 0.0;
  PsProgressCounter counter;
  int failed = 0;

  *out = NULL;
  if ((st = ps_sirt_validate (params, ts, why, why_len)) != PS_OK)
    return st;
  n_it = effective_iterations (params);
  lambda = effective_relaxation (params);
  if (residuals != NULL)
    for (int i = 0; i < n_it; i++)
      residuals[i] = NAN;
  ps_recon_frame_size (ts, &nx, &ny);
  nz = params->thickness ? params->thickness : nx;
  const size_t slice = nx * nz, nd = nx, na = ts->n;
  const int n_threads = ps_recon_threads (params->n_threads);

  if ((st = ps_slice_geom_init (&g, nd, nx, nz, ts->angles, na, 1)) != PS_OK)
    return st;

  /* Subsets: angle i goes to subset i mod M (each subset spans the range). */
  n_sub = effective_subsets (params, na);
  subsets = calloc (n_sub, sizeof *subsets);
  order = calloc (n_sub, sizeof *order);
  if (subsets == NULL || order == NULL)
    {
      st = PS_ERROR_NO_MEMORY;
      goto out;
    }
  for (size_t m = 0; m < n_sub; m++)
    {
      subsets[m].idx = calloc ((na + n_sub - 1) / n_sub, sizeof (size_t));
      if (subsets[m].idx == NULL)
        {
          st = PS_ERROR_NO_MEMORY;
          goto out;
        }
    }
  for (size_t i = 0; i < na; i++)
    {
      Subset *sub = &subsets[i % n_sub];
      sub->idx[sub->n++] = i;
      if (g.ang[i].transposed)
        sub->has_b = true;
    }
  bit_reversed_order (n_sub, order);

  /* Geometry-only weights, from one slice of ones: R = 1/(A·1) per ray and
   * C_m = 1/(A_mᵀ·1) per voxel and subset. */
  {
    size_t bytes_c;
    if (!ps_size_mul3 (n_sub, slice, sizeof (float), &bytes_c) || ps_memory_check (bytes_c) != PS_OK)
      {
        st = PS_ERROR_TOO_LARGE;
        goto out;
      }
    R = ps_aligned_alloc (na * nd * sizeof (float));
    C = ps_aligned_alloc (bytes_c);
    SirtBuffers b;
    bool ok = sirt_buffers_alloc (&b, &g);
    if (!ok || R == NULL || C == NULL)
      {
        sirt_buffers_free (&b);
        st = PS_ERROR_NO_MEMORY;
        goto out;
      }
    size_t *all = malloc (na * sizeof (size_t));
    if (all == NULL)
      {
        sirt_buffers_free (&b);
        st = PS_ERROR_NO_MEMORY;
        goto out;
      }
    for (size_t i = 0; i < na; i++)
      all[i] = i;
    for (size_t v = 0; v < slice; v++)
      b.X[v] = 1.0f;
    if (g.any_b)
      for (size_t v = 0; v < slice; v++)
        b.XT[v] = 1.0f;
    ps_slice_forward (&g, b.X, b.XT, all, na, b.Q, b.P);
    for (size_t k = 0; k < na * nd; k++)
      R[k] = b.P[k] > 1e-6f ? 1.0f / b.P[k] : 0.0f;
    /* Aᵀ·1 = Jᵀ L n: back-project the per-detector normalisation. */
    for (size_t m = 0; m < n_sub; m++)
      {
        back_weighted (&g, g.fwd_norm, subsets[m].idx, subsets[m].n, &b, subsets[m].has_b);
        float *Cm = C + m * slice;
        for (size_t v = 0; v < slice; v++)
          Cm[v] = b.U[v] > 1e-6f ? 1.0f / b.U[v] : 0.0f;
      }
    free (all);
    sirt_buffers_free (&b);
  }

  stack = ps_recon_aligned_stack (ts, params->n_threads, &st);
  if (st != PS_OK)
    goto out;
  if (params->initial != NULL)
    {
      vol = ps_volume_copy (params->initial, &st);
      if (vol != NULL && params->nonnegative)
        for (size_t v = 0; v < ps_volume_n_voxels (vol); v++)
          if (!(vol->data[v] > 0.0f))
            vol->data[v] = 0.0f;
    }
  else
    {
      vol = ps_volume_new_uninit (nx, ny, nz, &st);
      if (vol != NULL)
        {
          /* Huge pages, and the first touch spread over the threads. */
          ps_recon_advise_huge (vol->data, ps_volume_n_voxels (vol) * sizeof (float));
#pragma omp parallel for num_threads(n_threads) schedule(static)
          for (size_t z = 0; z < nz; z++)
            memset (vol->data + z * ny * nx, 0, ny * nx * sizeof (float));
        }
    }
  if (vol == NULL)
    goto out;
  resid_y = calloc (ny, sizeof (double));
  norm_y = calloc (ny, sizeof (double));
  if (resid_y == NULL || norm_y == NULL)
    {
      st = PS_ERROR_NO_MEMORY;
      goto out;
    }
  /* ‖b‖², summed per slice then in order (thread-count independent). */
#pragma omp parallel for num_threads(n_threads) schedule(static)
  for (size_t y = 0; y < ny; y++)
    {
      double acc = 0;
      for (size_t i = 0; i < na; i++)
        {
          const float *row = stack ? stack + (i * ny + y) * nx : ps_tilt_series_image (ts, i) + y * nx;
          for (size_t x = 0; x < nx; x++)
            acc += (double) row[x] * (double) row[x];
        }
      norm_y[y] = acc;
    }
  for (size_t y = 0; y < ny; y++)
    b_norm += norm_y[y];
  b_norm = sqrt (b_norm);

  ps_progress_counter_init (&counter, progress, (size_t) n_it * ny,
                            params->method == PS_ITERATIVE_SART ? "SART" : "SIRT");
  const float lam = (float) lambda;
  for (int it = 0; it < n_it && !failed; it++)
    {
#pragma omp parallel num_threads(n_threads)
      {
        SirtBuffers b;
        bool ok = sirt_buffers_alloc (&b, &g);
        if (!ok)
          {
#pragma omp atomic write
            failed = PS_ERROR_NO_MEMORY;
          }
#pragma omp for schedule(dynamic, 1)
        for (size_t y = 0; y < ny; y++)
          {
            int f;
#pragma omp atomic read
            f = failed;
            if (f || !ok)
              continue;
            if (ps_progress_cancelled (progress))
              {
#pragma omp atomic write
                failed = PS_ERROR_CANCELLED;
                continue;
              }
            for (size_t z = 0; z < nz; z++)
              memcpy (b.X + z * nx, vol->data + (z * ny + y) * nx, nx * sizeof (float));
            double acc = 0.0;
            for (size_t s = 0; s < n_sub; s++)
              {
                const Subset *sub = &subsets[order[s]];
                const float *Cm = C + order[s] * slice;
                if (sub->has_b)
                  ps_transpose (b.X, nz, nx, b.XT);
                ps_slice_forward (&g, b.X, b.XT, sub->idx, sub->n, b.Q, b.P);
                /* Residual, weighted by R (per ray); Aᵀ applies n itself via
                 * back_weighted's stretch of w·n, so fold n in here. */
                for (size_t k = 0; k < sub->n; k++)
                  {
                    size_t i = sub->idx[k];
                    const float *bi = stack ? stack + (i * ny + y) * nx : ps_tilt_series_image (ts, i) + y * nx;
                    float *p = b.P + i * nd;
                    const float *Ri = R + i * nd, *ni = g.fwd_norm + i * nd;
                    for (size_t d = 0; d < nd; d++)
                      {
                        float r = bi[d] - p[d];
                        acc += (double) r * (double) r;
                        p[d] = r * Ri[d] * ni[d];
                      }
                  }
                back_weighted (&g, b.P, sub->idx, sub->n, &b, sub->has_b);
                if (params->nonnegative)
                  for (size_t v = 0; v < slice; v++)
                    {
                      float x = b.X[v] + lam * Cm[v] * b.U[v];
                      b.X[v] = x > 0.0f ? x : 0.0f;
                    }
                else
                  for (size_t v = 0; v < slice; v++)
                    b.X[v] += lam * Cm[v] * b.U[v];
              }
            for (size_t z = 0; z < nz; z++)
              memcpy (vol->data + (z * ny + y) * nx, b.X + z * nx, nx * sizeof (float));
            resid_y[y] = acc;
            ps_progress_counter_add (&counter, 1);
          }
        sirt_buffers_free (&b);
      }
      if (failed)
        break;
      double r2 = 0.0;
      for (size_t y = 0; y < ny; y++)
        r2 += resid_y[y];
      double rel = b_norm > 0 ? sqrt (r2) / b_norm : sqrt (r2);
      if (residuals != NULL)
        residuals[it] = rel;
      if (params->iteration_func != NULL)
        {
          PsIterationInfo info = { it + 1, n_it, rel, vol };
          if (!params->iteration_func (&info, params->iteration_data))
            break;
        }
    }
  if (failed)
    {
      st = (PsStatus) failed;
      if (st == PS_ERROR_NO_MEMORY)
        ps_set_why (why, why_len, "out of memory");
      goto out;
    }
  {
    double c, s;
    ps_cos_sin_deg (ts->tilt_axis_deg, &c, &s);
    bool swapped = fabs (c) < fabs (s);
    double dx = ts->pixel_size[swapped ? 1 : 0], dy = ts->pixel_size[swapped ? 0 : 1];
    if (ts->spacing_known)
      ps_volume_set_spacing (vol, dx, dy, dx);
    else
      {
        vol->spacing[0] = vol->spacing[2] = dx;
        vol->spacing[1] = dy;
        vol->spacing_known = false;
      }
  }
  *out = vol;
  vol = NULL;
  st = PS_OK;

out:
  ps_volume_unref (vol);
  ps_aligned_free (stack);
  ps_aligned_free (R);
  ps_aligned_free (C);
  free (resid_y);
  free (norm_y);
  if (subsets != NULL)
    for (size_t m = 0; m < n_sub; m++)
      free (subsets[m].idx);
  free (subsets);
  free (order);
  ps_slice_geom_clear (&g);
  return st;
}
