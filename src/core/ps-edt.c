/* SPDX-License-Identifier: GPL-3.0-or-later */
/* ps-edt.c: exact separable Euclidean distance transform (see ps-edt.h). */
#include "ps-edt.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ps-kernel-private.h"
#include "ps-memory.h"
#include "ps-size.h"

/* x-columns handled together in the strided y and z passes: 16 floats or
 * uint32 = one 64-byte cache line. */
#define EDT_BLOCK 16

void
ps_edt_params_init (PsEdtParams *params)
{
  memset (params, 0, sizeof *params);
}

PsEdtMetric
ps_edt_metric (const PsGrid *grid)
{
  PsEdtMetric m;
  double unit = fmin (grid->spacing[0], fmin (grid->spacing[1], grid->spacing[2]));

  memset (&m, 0, sizeof m);
  m.unit_nm = unit;
  m.integer = unit > 0.0 && isfinite (unit);
  for (int a = 0; a < 3 && m.integer; a++)
    {
      double r = grid->spacing[a] / unit;
      double r2 = r * r;
      double k = nearbyint (r2);
      if (!(k >= 1.0 && k <= 4096.0) || fabs (r2 - k) > 1e-9 * k)
        m.integer = false;
      else
        m.weights[a] = (uint32_t) k;
    }
  if (!m.integer)
    m.weights[0] = m.weights[1] = m.weights[2] = 0;
  return m;
}

/* Largest squared distance (in unit² of @m) a grid can produce, as a double:
 * every axis contributes at most n (the distance to a border voxel). */
static double
max_squared (const PsGrid *g, const PsEdtMetric *m)
{
  double n[3] = { (double) g->nx, (double) g->ny, (double) g->nz };
  double s = 0.0;
  for (int a = 0; a < 3; a++)
    s += (double) m->weights[a] * n[a] * n[a];
  return s;
}

PsStatus
ps_edt_validate (const PsEdtParams *params, const PsGrid *grid)
{
  PsStatus st;

  if (params == NULL || params->n_threads < 0)
    return PS_ERROR_INVALID_PARAMETER;
  st = ps_grid_validate (grid);
  return st;
}

typedef struct
{
  size_t nx, ny, nz;
  double w[3];            /* squared step per axis: nm² (float) or integer weight */
  bool integer;           /* storage is uint32 squared units, else float nm² */
  bool border;            /* outside is background */
  bool invert;
  int n_threads;
} EdtJob;

typedef struct
{
  double *tile;     /* n_max × EDT_BLOCK gathered values */
  double *line;     /* n_max */
  double *zs;       /* n_max + 3 */
  double *fv;       /* n_max + 2 */
  long *v;          /* n_max + 2 */
  int *g;           /* nx: pass-1 distances in voxels, −1 = none */
} EdtBuffers;

static void
edt_buffers_free (EdtBuffers *b)
{
  free (b->tile);
  free (b->line);
  free (b->zs);
  free (b->fv);
  free (b->v);
  free (b->g);
  memset (b, 0, sizeof *b);
}

static bool
edt_buffers_alloc (EdtBuffers *b, size_t n_max, size_t nx)
{
  memset (b, 0, sizeof *b);
  b->tile = malloc (sizeof (double) * n_max * EDT_BLOCK);
  b->line = malloc (sizeof (double) * n_max);
  b->zs = malloc (sizeof (double) * (n_max + 3));
  b->fv = malloc (sizeof (double) * (n_max + 2));
  b->v = malloc (sizeof (long) * (n_max + 2));
  b->g = malloc (sizeof (int) * nx);
  if (!b->tile || !b->line || !b->zs || !b->fv || !b->v || !b->g)
    {
      edt_buffers_free (b);
      return false;
    }
  return true;
}

static inline double
load_value (const EdtJob *j, const void *buf, size_t i)
{
  if (j->integer)
    {
      uint32_t u = ((const uint32_t *) buf)[i];
      return u == PS_EDT_INFINITE ? INFINITY : (double) u;
    }
  return (double) ((const float *) buf)[i];
}

static inline void
store_value (const EdtJob *j, void *buf, size_t i, double v, bool final_sqrt)
{
  if (j->integer)
    ((uint32_t *) buf)[i] = isinf (v) ? PS_EDT_INFINITE : (uint32_t) v;
  else
    ((float *) buf)[i] = (float) (final_sqrt ? sqrt (v) : v);
}

/* Pass 1: distance along x to the nearest background voxel of the row. */
static void
edt_row (const EdtJob *j, const uint8_t *mask, void *out, size_t row, int *g)
{
  const size_t nx = j->nx;
  const uint8_t *m = mask + row * nx;
  const uint8_t phase_nonzero = j->invert ? 0 : 1;
  long last = j->border ? -1 : -2;   /* −2: none seen yet */

  for (size_t x = 0; x < nx; x++)
    {
      bool fg = (m[x] != 0) == phase_nonzero;
      if (!fg)
        {
          last = (long) x;
          g[x] = 0;
        }
      else
        g[x] = last == -2 ? -1 : (int) ((long) x - last);
    }
  long next = j->border ? (long) nx : -2;
  for (size_t xi = nx; xi-- > 0;)
    {
      if (g[xi] == 0)
        {
          next = (long) xi;
          continue;
        }
      if (next != -2)
        {
          int d = (int) (next - (long) xi);
          if (g[xi] < 0 || d < g[xi])
            g[xi] = d;
        }
    }
  size_t base = row * nx;
  if (j->integer)
    {
      uint32_t *o = (uint32_t *) out + base;
      uint32_t w = (uint32_t) j->w[0];
      for (size_t x = 0; x < nx; x++)
        o[x] = g[x] < 0 ? PS_EDT_INFINITE : (uint32_t) g[x] * (uint32_t) g[x] * w;
    }
  else
    {
      float *o = (float *) out + base;
      for (size_t x = 0; x < nx; x++)
        o[x] = g[x] < 0 ? INFINITY : (float) ((double) g[x] * (double) g[x] * j->w[0]);
    }
}

/* Lower envelope of the parabolas f(p) + w·(q − p)², p = 0 … n−1 (plus
 * f = 0 at p = −1 and p = n when the border is background); f(p) = ∞ are
 * skipped. Felzenszwalb & Huttenlocher 2012, algorithm DT(f). Writes
 * min_p to out[q]. Returns false when there was no finite parabola (out is
 * then untouched and the line stays infinite). */
static bool
edt_envelope (const double *f, size_t fstride, size_t n, double w, bool border,
              double *out, long *v, double *zs, double *fv)
{
  long k = -1;
  long q0 = border ? -1 : 0;
  long q1 = border ? (long) n : (long) n - 1;

  for (long q = q0; q <= q1; q++)
    {
      double fq = (q < 0 || q >= (long) n) ? 0.0 : f[(size_t) q * fstride];
      if (isinf (fq))
        continue;
      if (k < 0)
        {
          k = 0;
          v[0] = q;
          fv[0] = fq;
          zs[0] = -INFINITY;
          continue;
        }
      double hq = fq + w * (double) q * (double) q;
      double s;
      for (;;)
        {
          double vk = (double) v[k];
          s = (hq - (fv[k] + w * vk * vk)) / (2.0 * w * ((double) q - vk));
          if (s <= zs[k])
            k--;
          else
            break;
        }
      k++;
      v[k] = q;
      fv[k] = fq;
      zs[k] = s;
    }
  if (k < 0)
    return false;
  zs[k + 1] = INFINITY;
  long jj = 0;
  for (size_t q = 0; q < n; q++)
    {
      while (zs[jj + 1] < (double) q)
        jj++;
      double dq = (double) q - (double) v[jj];
      out[q] = w * dq * dq + fv[jj];
    }
  return true;
}

/* One strided pass over @ncols (≤ EDT_BLOCK) adjacent columns starting at
 * @base, @n samples @stride apart. */
static void
edt_columns (const EdtJob *j, void *buf, size_t base, size_t stride, size_t n,
             size_t ncols, double w, bool final_sqrt, EdtBuffers *b)
{
  double *tile = b->tile;
  bool any_nonzero = false, any_finite = j->border;

  for (size_t p = 0; p < n; p++)
    for (size_t c = 0; c < ncols; c++)
      {
        double val = load_value (j, buf, base + p * stride + c);
        tile[p * EDT_BLOCK + c] = val;
        any_nonzero |= val != 0.0;
        any_finite |= !isinf (val);
      }
  /* A block of zeros stays zero; without a border, one of infinities stays
   * infinite. Anything else needs the envelopes. */
  bool any_work = any_nonzero && any_finite;
  if (!any_work && !final_sqrt)
    return;
  for (size_t c = 0; c < ncols && any_work; c++)
    {
      if (edt_envelope (tile + c, EDT_BLOCK, n, w, j->border, b->line, b->v, b->zs, b->fv))
        for (size_t p = 0; p < n; p++)
          tile[p * EDT_BLOCK + c] = b->line[p];
    }
  for (size_t p = 0; p < n; p++)
    for (size_t c = 0; c < ncols; c++)
      store_value (j, buf, base + p * stride + c, tile[p * EDT_BLOCK + c], final_sqrt);
}

static PsStatus
edt_core (const EdtJob *j, const uint8_t *mask, void *out, const PsProgress *progress)
{
  const size_t nx = j->nx, ny = j->ny, nz = j->nz;
  const size_t n_max = nx > ny ? (nx > nz ? nx : nz) : (ny > nz ? ny : nz);
  const bool final_sqrt = !j->integer;
  _PsWork w1, w2, w3;
  atomic_int alloc_failed;
  size_t scratch;

  /* Per-thread line buffers: ~ (16 + 4) doubles per sample of the longest axis. */
  if (!ps_size_mul3 (n_max + 3, sizeof (double) * (EDT_BLOCK + 5), (size_t) j->n_threads, &scratch) ||
      ps_memory_check (scratch) != PS_OK)
    return PS_ERROR_TOO_LARGE;

  atomic_init (&alloc_failed, 0);
  _ps_work_init (&w1, progress, "Distance transform", 0.0, 0.2, nz);
  _ps_work_init (&w2, progress, "Distance transform", 0.2, 0.55, nz);
  _ps_work_init (&w3, progress, "Distance transform", 0.55, 1.0, ny);

#pragma omp parallel num_threads(j->n_threads)
  {
    EdtBuffers b;
    bool ok = edt_buffers_alloc (&b, n_max, nx);
    if (!ok)
      atomic_store (&alloc_failed, 1);
#pragma omp barrier
    bool go = atomic_load (&alloc_failed) == 0;

    /* Pass 1: rows along x, one z-slice per work item. */
#pragma omp for schedule(dynamic, 1)
    for (size_t z = 0; z < nz; z++)
      {
        if (!go || _ps_work_stop (&w1))
          continue;
        for (size_t y = 0; y < ny; y++)
          edt_row (j, mask, out, z * ny + y, b.g);
        _ps_work_item_done (&w1);
      }

    /* Pass 2: columns along y, one z-slice per work item. */
#pragma omp for schedule(dynamic, 1)
    for (size_t z = 0; z < nz; z++)
      {
        if (!go || _ps_work_stop (&w2))
          continue;
        for (size_t x0 = 0; x0 < nx; x0 += EDT_BLOCK)
          {
            size_t nc = nx - x0 < EDT_BLOCK ? nx - x0 : EDT_BLOCK;
            edt_columns (j, out, z * nx * ny + x0, nx, ny, nc, j->w[1], false, &b);
          }
        _ps_work_item_done (&w2);
      }

    /* Pass 3: columns along z, one y-row of columns per work item. */
#pragma omp for schedule(dynamic, 1)
    for (size_t y = 0; y < ny; y++)
      {
        if (!go || _ps_work_stop (&w3))
          continue;
        for (size_t x0 = 0; x0 < nx; x0 += EDT_BLOCK)
          {
            size_t nc = nx - x0 < EDT_BLOCK ? nx - x0 : EDT_BLOCK;
            edt_columns (j, out, y * nx + x0, nx * ny, nz, nc, j->w[2], final_sqrt, &b);
          }
        _ps_work_item_done (&w3);
      }
    if (ok)
      edt_buffers_free (&b);
  }

  if (atomic_load (&alloc_failed))
    return PS_ERROR_NO_MEMORY;
  if (_ps_work_was_cancelled (&w1) || _ps_work_was_cancelled (&w2) || _ps_work_was_cancelled (&w3))
    return PS_ERROR_CANCELLED;
  ps_progress_report (progress, 1.0, "Distance transform");
  return PS_OK;
}

static PsStatus
squared_validate (const PsEdtParams *params, const PsGrid *grid, PsEdtMetric *m)
{
  PsStatus st = ps_edt_validate (params, grid);
  if (st != PS_OK)
    return st;
  *m = ps_edt_metric (grid);
  if (!m->integer)
    return PS_ERROR_INVALID_PARAMETER;
  if (max_squared (grid, m) >= (double) PS_EDT_INFINITE)
    return PS_ERROR_TOO_LARGE;
  return PS_OK;
}

PsStatus
ps_edt_run_squared (const PsEdtParams *params, const PsGrid *grid, const uint8_t *mask,
                    uint32_t *dist2, const PsProgress *progress)
{
  PsEdtMetric m;
  PsStatus st = squared_validate (params, grid, &m);
  if (st != PS_OK)
    return st;
  if (mask == NULL || dist2 == NULL)
    return PS_ERROR_INVALID_PARAMETER;
  EdtJob j = {
    grid->nx, grid->ny, grid->nz,
    { m.weights[0], m.weights[1], m.weights[2] },
    true, params->border_is_background, params->invert,
    ps_threads_resolve (params->n_threads),
  };
  return edt_core (&j, mask, dist2, progress);
}

void
ps_edt_squared_to_nm_inplace (void *buf, size_t n, double unit_nm, int n_threads)
{
  unsigned char *bytes = buf;
  int nt = ps_threads_resolve (n_threads);

  /* Element i is read as uint32 and written back as float at the same
   * address; memcpy keeps that well-defined. */
#pragma omp parallel for schedule(static) num_threads(nt)
  for (size_t i = 0; i < n; i++)
    {
      uint32_t u;
      float f;
      memcpy (&u, bytes + 4 * i, 4);
      f = u == PS_EDT_INFINITE ? INFINITY : (float) (sqrt ((double) u) * unit_nm);
      memcpy (bytes + 4 * i, &f, 4);
    }
}

PsStatus
ps_edt_run (const PsEdtParams *params, const PsGrid *grid, const uint8_t *mask,
            float *dist_nm, const PsProgress *progress)
{
  PsEdtMetric m;
  PsStatus st = ps_edt_validate (params, grid);
  if (st != PS_OK)
    return st;
  if (mask == NULL || dist_nm == NULL)
    return PS_ERROR_INVALID_PARAMETER;

  int nt = ps_threads_resolve (params->n_threads);
  if (squared_validate (params, grid, &m) == PS_OK)
    {
      /* Exact integer path into the output's memory, then sqrt in place. */
      EdtJob j = {
        grid->nx, grid->ny, grid->nz,
        { m.weights[0], m.weights[1], m.weights[2] },
        true, params->border_is_background, params->invert, nt,
      };
      st = edt_core (&j, mask, dist_nm, progress);
      if (st == PS_OK)
        ps_edt_squared_to_nm_inplace (dist_nm, ps_grid_n_voxels (grid), m.unit_nm, nt);
      return st;
    }

  EdtJob j = {
    grid->nx, grid->ny, grid->nz,
    { grid->spacing[0] * grid->spacing[0], grid->spacing[1] * grid->spacing[1],
      grid->spacing[2] * grid->spacing[2] },
    false, params->border_is_background, params->invert, nt,
  };
  return edt_core (&j, mask, dist_nm, progress);
}
