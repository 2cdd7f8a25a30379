/* SPDX-License-Identifier: GPL-3.0-or-later */
/* ps-edt.c: exact separable Euclidean distance transform (see ps-edt.h). */
#include "ps-edt.h"

#include <limits.h>
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
  uint64_t *words;  /* the row as bits */
} EdtBuffers;

static void
edt_buffers_free (EdtBuffers *b)
{
  free (b->tile);
  free (b->line);
  free (b->zs);
  free (b->fv);
  free (b->v);
  free (b->words);
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
  b->words = malloc (sizeof (uint64_t) * ((nx + 63) / 64));
  if (!b->tile || !b->line || !b->zs || !b->fv || !b->v || !b->words)
    {
      edt_buffers_free (b);
      return false;
    }
  return true;
}

/* Pass 1: distance along x to the nearest background voxel of the row.
 * The row is packed into bits (eight mask bytes at a time: fold each byte
 * onto its lowest bit, gather the eight with one multiplication), runs of
 * phase voxels are found with count-trailing-zeros, and each run [a, b) is
 * filled with min(x − a + 1, b − x) — a vectorised loop — using only the
 * ends that exist (a − 1 ≥ 0 or b < nx, or faces as background). */
static inline uint64_t
pack8 (const uint8_t *p)
{
  uint64_t v;
  memcpy (&v, p, 8);
  v |= v >> 4;
  v |= v >> 2;
  v |= v >> 1;
  v &= 0x0101010101010101ull;
  return (v * 0x0102040810204080ull) >> 56;
}

static inline void
fill_run (const EdtJob *j, void *out, size_t base, long a, long b, bool left, bool right)
{
  if (j->integer)
    {
      uint32_t *o = (uint32_t *) out + base;
      const uint32_t w = (uint32_t) j->w[0];
      if (!left && !right)
        {
          for (long x = a; x < b; x++)
            o[x] = PS_EDT_INFINITE;
          return;
        }
      for (long x = a; x < b; x++)
        {
          uint32_t dl = left ? (uint32_t) (x - a + 1) : UINT32_MAX / 2;
          uint32_t dr = right ? (uint32_t) (b - x) : UINT32_MAX / 2;
          uint32_t d = dl < dr ? dl : dr;
          o[x] = d * d * w;
        }
    }
  else
    {
      float *o = (float *) out + base;
      const double w = j->w[0];
      if (!left && !right)
        {
          for (long x = a; x < b; x++)
            o[x] = INFINITY;
          return;
        }
      for (long x = a; x < b; x++)
        {
          long dl = left ? x - a + 1 : LONG_MAX / 4;
          long dr = right ? b - x : LONG_MAX / 4;
          double d = (double) (dl < dr ? dl : dr);
          o[x] = (float) (d * d * w);
        }
    }
}

static void
edt_row (const EdtJob *j, const uint8_t *mask, void *out, size_t row, uint64_t *words)
{
  const size_t nx = j->nx, nw = (nx + 63) / 64, base = row * nx;
  const uint8_t *m = mask + base;
  size_t x = 0;
  for (size_t k = 0; k < nw; k++)
    {
      uint64_t word = 0;
      if (x + 64 <= nx)
        {
          for (int q = 0; q < 8; q++)
            word |= pack8 (m + x + 8 * q) << (8 * q);
          x += 64;
        }
      else
        for (int q = 0; x < nx; x++, q++)
          word |= (uint64_t) (m[x] != 0) << q;
      words[k] = word;
    }
  if (j->invert)
    {
      for (size_t k = 0; k < nw; k++)
        words[k] = ~words[k];
      if (nx % 64)
        words[nw - 1] &= (1ull << (nx % 64)) - 1;
    }
  /* Runs of phase voxels; background in between gets 0. */
  long done = 0, a = 0;
  uint64_t carry = 0;
  for (size_t k = 0; k < nw; k++)
    {
      uint64_t v = words[k], prev = (v << 1) | carry;
      uint64_t edges = (v & ~prev) | (~v & prev);
      while (edges)
        {
          unsigned bit = (unsigned) __builtin_ctzll (edges);
          long pos = (long) (64 * k + bit);
          if ((v >> bit) & 1)
            a = pos;
          else
            {
              if (j->integer)
                memset ((uint32_t *) out + base + done, 0, (size_t) (a - done) * 4);
              else
                for (long t = done; t < a; t++)
                  ((float *) out)[base + (size_t) t] = 0.0f;
              /* An end at nx is the padding after a partial last word:
               * the row's end, background only with faces as background. */
              fill_run (j, out, base, a, pos, a > 0 || j->border, pos < (long) nx || j->border);
              done = pos;
            }
          edges &= edges - 1;
        }
      carry = v >> 63;
    }
  if (carry)
    {
      if (j->integer)
        memset ((uint32_t *) out + base + done, 0, (size_t) (a - done) * 4);
      else
        for (long t = done; t < a; t++)
          ((float *) out)[base + (size_t) t] = 0.0f;
      fill_run (j, out, base, a, (long) nx, a > 0 || j->border, j->border);
      done = (long) nx;
    }
  if (j->integer)
    memset ((uint32_t *) out + base + done, 0, (nx - (size_t) done) * 4);
  else
    for (size_t t = (size_t) done; t < nx; t++)
      ((float *) out)[base + t] = 0.0f;
}

/* Lower envelope of the parabolas f(p) + w·(q − p)² over one segment of a
 * line (Felzenszwalb & Huttenlocher 2012, algorithm DT(f)), evaluated in
 * place on q ∈ [a, b).
 *
 * A line is cut at its background voxels (f = 0): for q on one side of a
 * zero at p₀, every parabola from beyond p₀ is ≥ w·(q − p)² > w·(q − p₀)²,
 * the zero's own parabola. So each maximal run [a, b) of phase voxels only
 * needs its own parabolas plus the zeros at a − 1 and b (those that exist:
 * inside the line, or just outside it when the faces are background), and
 * the cost is proportional to the phase voxels, not the line. f = ∞ (no
 * background in the row so far) are skipped; a segment with no finite
 * parabola stays infinite.
 *
 * The line is read in its storage type with stride EDT_BLOCK (a column of a
 * tile of 16 adjacent columns); arithmetic is in double, exact on integers
 * (intersections are compared as num ≤ z·den, den > 0). */
#define EDT_DEFINE_LINE(SUFFIX, T, IS_INF, TO_D, FROM_D)                                   \
  static void                                                                               \
  edt_segment_##SUFFIX (T *f, long a, long b, bool left_zero, bool right_zero, double w,    \
                        double *out, long *v, double *zs, double *fv)                       \
  {                                                                                         \
    long k = -1;                                                                            \
    long q0 = left_zero ? a - 1 : a;                                                        \
    long q1 = right_zero ? b : b - 1;                                                       \
    for (long q = q0; q <= q1; q++)                                                         \
      {                                                                                     \
        double fq;                                                                          \
        if (q < a || q >= b)                                                                \
          fq = 0.0;                                                                         \
        else                                                                                \
          {                                                                                 \
            T raw = f[q * EDT_BLOCK];                                                       \
            if (IS_INF (raw))                                                               \
              continue;                                                                     \
            fq = TO_D (raw);                                                                \
          }                                                                                 \
        if (k < 0)                                                                          \
          {                                                                                 \
            k = 0;                                                                          \
            v[0] = q;                                                                       \
            fv[0] = fq;                                                                     \
            zs[0] = -INFINITY;                                                              \
            continue;                                                                       \
          }                                                                                 \
        double hq = fq + w * (double) q * (double) q;                                       \
        double num, den;                                                                    \
        for (;;)                                                                            \
          {                                                                                 \
            double vk = (double) v[k];                                                      \
            num = hq - (fv[k] + w * vk * vk);                                               \
            den = 2.0 * w * ((double) q - vk);                                              \
            if (num <= zs[k] * den)                                                         \
              k--;                                                                          \
            else                                                                            \
              break;                                                                        \
          }                                                                                 \
        k++;                                                                                \
        v[k] = q;                                                                           \
        fv[k] = fq;                                                                         \
        zs[k] = num / den;                                                                  \
      }                                                                                     \
    if (k < 0)                                                                              \
      return;                                                                               \
    zs[k + 1] = INFINITY;                                                                   \
    long jj = 0;                                                                            \
    for (long q = a; q < b; q++)                                                            \
      {                                                                                     \
        while (zs[jj + 1] < (double) q)                                                     \
          jj++;                                                                             \
        double dq = (double) q - (double) v[jj];                                            \
        out[q - a] = w * dq * dq + fv[jj];                                                  \
      }                                                                                     \
    for (long q = a; q < b; q++)                                                            \
      f[q * EDT_BLOCK] = FROM_D (out[q - a]);                                               \
  }                                                                                         \
                                                                                            \
  /* The whole column f[0 … n) (stride EDT_BLOCK): each run of non-zero values             \
   * is a segment. */                                                                       \
  static void                                                                               \
  edt_line_##SUFFIX (T *f, size_t n, double w, bool border, EdtBuffers *b)                  \
  {                                                                                         \
    long q = 0, nn = (long) n;                                                              \
    while (q < nn)                                                                          \
      {                                                                                     \
        if (f[q * EDT_BLOCK] == 0)                                                          \
          {                                                                                 \
            q++;                                                                            \
            continue;                                                                       \
          }                                                                                 \
        long a = q;                                                                         \
        while (q < nn && f[q * EDT_BLOCK] != 0)                                             \
          q++;                                                                              \
        edt_segment_##SUFFIX (f, a, q, a > 0 || border, q < nn || border, w, b->line, b->v, \
                              b->zs, b->fv);                                                \
      }                                                                                     \
  }

#define U32_IS_INF(v) ((v) == PS_EDT_INFINITE)
#define U32_TO_D(v) ((double) (v))
#define U32_FROM_D(d) ((uint32_t) (d))
#define F32_IS_INF(v) (isinf (v))
#define F32_TO_D(v) ((double) (v))
#define F32_FROM_D(d) ((float) (d))
EDT_DEFINE_LINE (u32, uint32_t, U32_IS_INF, U32_TO_D, U32_FROM_D)
EDT_DEFINE_LINE (f32, float, F32_IS_INF, F32_TO_D, F32_FROM_D)

/* One strided pass over @ncols (≤ EDT_BLOCK) adjacent columns starting at
 * @base, @n samples @stride apart: copy the n cache-line rows into a tile
 * (no transposition), transform each column in place, copy back. */
static void
edt_columns (const EdtJob *j, void *buf, size_t base, size_t stride, size_t n,
             size_t ncols, double w, bool final_sqrt, EdtBuffers *b)
{
  uint32_t *tile = (uint32_t *) b->tile;   /* n × EDT_BLOCK values */
  uint32_t *mem = (uint32_t *) buf + base;  /* 4-byte values, float or uint32 */
  /* Fixed-size copies (vectorised; memcpy of 64 bytes compiles to a slow
   * rep movs here). */
  if (ncols == EDT_BLOCK)
    for (size_t p = 0; p < n; p++)
      for (size_t c = 0; c < EDT_BLOCK; c++)
        tile[p * EDT_BLOCK + c] = mem[p * stride + c];
  else
    for (size_t p = 0; p < n; p++)
      for (size_t c = 0; c < ncols; c++)
        tile[p * EDT_BLOCK + c] = mem[p * stride + c];
  if (j->integer)
    for (size_t c = 0; c < ncols; c++)
      edt_line_u32 (tile + c, n, w, j->border, b);
  else
    {
      for (size_t c = 0; c < ncols; c++)
        edt_line_f32 ((float *) tile + c, n, w, j->border, b);
      if (final_sqrt)
        {
          float *t = (float *) tile;
          for (size_t p = 0; p < n; p++)
            for (size_t c = 0; c < ncols; c++)
              t[p * EDT_BLOCK + c] = sqrtf (t[p * EDT_BLOCK + c]);
        }
    }
  if (ncols == EDT_BLOCK)
    for (size_t p = 0; p < n; p++)
      for (size_t c = 0; c < EDT_BLOCK; c++)
        mem[p * stride + c] = tile[p * EDT_BLOCK + c];
  else
    for (size_t p = 0; p < n; p++)
      for (size_t c = 0; c < ncols; c++)
        mem[p * stride + c] = tile[p * EDT_BLOCK + c];
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
          edt_row (j, mask, out, z * ny + y, b.words);
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
