/* SPDX-License-Identifier: GPL-3.0-or-later */
/* ps-thickness.c: exact local thickness by ridge-restricted ball painting
 * (see ps-thickness.h for the definition). */
#include "ps-thickness.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ps-flood-private.h"

void
ps_thickness_params_init (PsThicknessParams *params)
{
  memset (params, 0, sizeof *params);
}

PsStatus
ps_thickness_validate (const PsThicknessParams *params, const PsGrid *grid,
                       const PsDistanceMap *dist)
{
  if (params == NULL || params->n_threads < 0 || dist == NULL ||
      (dist->dist2 == NULL && dist->dist_nm == NULL))
    return PS_ERROR_INVALID_PARAMETER;
  if (dist->dist2 != NULL && !dist->metric.integer)
    return PS_ERROR_INVALID_PARAMETER;
  return ps_grid_validate (grid);
}

/* A ball centre on the distance ridge. */
typedef struct
{
  uint32_t x, y, z;
  uint32_t r;       /* squared radius in unit² (integer path) or float bits of the radius in nm */
} Centre;

typedef struct
{
  const PsGrid *g;
  const uint32_t *d2;       /* integer path */
  const float *dnm;         /* float path */
  uint32_t w[3];            /* integer axis weights */
  double unit;
  double s2[3];             /* squared spacing, nm² (float path) */
} Ctx;

static inline uint64_t
isqrt_u64 (uint64_t v)
{
  uint64_t r = (uint64_t) sqrt ((double) v);
  while (r * r > v)
    r--;
  while ((r + 1) * (r + 1) <= v)
    r++;
  return r;
}

/* Ball templates (integer path). A ball of squared radius a (unit²) covers,
 * in the row at offsets (dz, dy), the voxels |dx| ≤ kx with
 * wx·dx² + wy·dy² + wz·dz² < a. The half-widths depend only on a, so they
 * are computed once per distinct radius: kx for |dz| = 0 … Kz and
 * |dy| = 0 … Ky(|dz|), stored row after row. */
typedef struct
{
  uint32_t a;
  uint32_t kz;          /* largest |dz| */
  size_t first;         /* this template's rows in Templates.start[] */
} Template;

typedef struct
{
  Template *t;          /* sorted by a */
  size_t n;
  size_t *start;        /* per (template, |dz|): offset of its |dy| rows in kx[] */
  uint32_t *ky;         /* per (template, |dz|): largest |dy| */
  int32_t *kx;          /* half-widths */
} Templates;

static void
templates_free (Templates *t)
{
  free (t->t);
  free (t->start);
  free (t->ky);
  free (t->kx);
  memset (t, 0, sizeof *t);
}

static int
cmp_u32 (const void *a, const void *b)
{
  uint32_t x = *(const uint32_t *) a, y = *(const uint32_t *) b;
  return x < y ? -1 : x > y;
}

static const Template *
template_of (const Templates *t, uint32_t a)
{
  size_t lo = 0, hi = t->n;
  while (hi - lo > 1)
    {
      size_t mid = (lo + hi) / 2;
      if (t->t[mid].a <= a)
        lo = mid;
      else
        hi = mid;
    }
  return &t->t[lo];
}

/* True when neighbour c' at squared step @w (unit²) makes c redundant:
 * sqrt(a') ≥ sqrt(a) + sqrt(w), decided exactly in integers. */
static inline bool
covers_int (uint64_t a, uint64_t ap, uint64_t w)
{
  if (ap < a + w)
    return false;
  unsigned __int128 lhs = (unsigned __int128) (ap - a - w) * (ap - a - w);
  return lhs >= (unsigned __int128) 4 * a * w;
}

/* The same in double, with a margin so that rounding can only keep a centre
 * that is redundant, never drop one that is not. */
static inline bool
covers_float (double r, double rp, double step)
{
  return rp - r - step >= 1e-9 * (rp + step);
}

/* Paint centre @c (template @t, diameter @val nm) into output slice @z. */
static inline void
paint_int (const PsGrid *g, const Templates *T, const Template *t, const Centre *c, float val,
           size_t z, float *out)
{
  const int64_t dz = z >= c->z ? (int64_t) (z - c->z) : (int64_t) (c->z - z);
  if (dz > (int64_t) t->kz)
    return;
  const size_t row = t->first + (size_t) dz;
  const int64_t ky = T->ky[row];
  const int32_t *kxs = T->kx + T->start[row];
  int64_t y0 = (int64_t) c->y - ky, y1 = (int64_t) c->y + ky;
  if (y0 < 0)
    y0 = 0;
  if (y1 >= (int64_t) g->ny)
    y1 = (int64_t) g->ny - 1;
  for (int64_t y = y0; y <= y1; y++)
    {
      int64_t dy = y - (int64_t) c->y;
      int64_t kx = kxs[dy < 0 ? -dy : dy];
      int64_t x0 = (int64_t) c->x - kx, x1 = (int64_t) c->x + kx;
      if (x0 < 0)
        x0 = 0;
      if (x1 >= (int64_t) g->nx)
        x1 = (int64_t) g->nx - 1;
      float *rowp = out + ((size_t) y * g->nx);
      for (int64_t i = x0; i <= x1; i++)
        rowp[i] = rowp[i] > val ? rowp[i] : val;
    }
}

/* Templates for the distinct squared radii of @centres. */
static PsStatus
templates_build (Templates *T, const Ctx *x, const Centre *centres, size_t n)
{
  memset (T, 0, sizeof *T);
  if (n == 0)
    return PS_OK;
  /* Distinct squared radii, ascending: a presence table when the largest is
   * moderate (the usual case), else a sort. */
  uint32_t amax = 0;
  for (size_t i = 0; i < n; i++)
    amax = centres[i].r > amax ? centres[i].r : amax;
  uint32_t *as = NULL;
  size_t nd = 0;
  if (amax < (1u << 24))
    {
      uint8_t *seen = calloc ((size_t) amax + 1, 1);
      if (seen == NULL)
        return PS_ERROR_NO_MEMORY;
      for (size_t i = 0; i < n; i++)
        seen[centres[i].r] = 1;
      for (size_t a = 0; a <= amax; a++)
        nd += seen[a];
      as = malloc ((nd + 1) * sizeof *as);
      if (as == NULL)
        {
          free (seen);
          return PS_ERROR_NO_MEMORY;
        }
      nd = 0;
      for (size_t a = 0; a <= amax; a++)
        if (seen[a])
          as[nd++] = (uint32_t) a;
      free (seen);
    }
  else
    {
      as = malloc (n * sizeof *as);
      if (as == NULL)
        return PS_ERROR_NO_MEMORY;
      for (size_t i = 0; i < n; i++)
        as[i] = centres[i].r;
      qsort (as, n, sizeof *as, cmp_u32);
      for (size_t i = 0; i < n; i++)
        if (nd == 0 || as[nd - 1] != as[i])
          as[nd++] = as[i];
    }
  const uint64_t wx = x->w[0], wy = x->w[1], wz = x->w[2];
  size_t n_rows = 0, n_kx = 0;
  for (size_t i = 0; i < nd; i++)
    {
      uint64_t kz = isqrt_u64 ((as[i] - 1) / wz);
      n_rows += kz + 1;
      for (uint64_t dz = 0; dz <= kz; dz++)
        n_kx += isqrt_u64 ((as[i] - 1 - wz * dz * dz) / wy) + 1;
    }
  if (ps_memory_check (nd * sizeof (Template) + n_rows * 16 + n_kx * 4) != PS_OK)
    {
      free (as);
      return PS_ERROR_TOO_LARGE;
    }
  T->t = malloc (nd * sizeof (Template));
  T->start = malloc (n_rows * sizeof (size_t));
  T->ky = malloc (n_rows * sizeof (uint32_t));
  T->kx = malloc (n_kx * sizeof (int32_t));
  if (T->t == NULL || T->start == NULL || T->ky == NULL || T->kx == NULL)
    {
      free (as);
      templates_free (T);
      return PS_ERROR_NO_MEMORY;
    }
  size_t row = 0, k = 0;
  for (size_t i = 0; i < nd; i++)
    {
      const uint64_t a = as[i], kz = isqrt_u64 ((a - 1) / wz);
      T->t[i] = (Template) { (uint32_t) a, (uint32_t) kz, row };
      for (uint64_t dz = 0; dz <= kz; dz++, row++)
        {
          const uint64_t remz = a - wz * dz * dz;   /* > 0 */
          const uint64_t ky = isqrt_u64 ((remz - 1) / wy);
          T->start[row] = k;
          T->ky[row] = (uint32_t) ky;
          for (uint64_t dy = 0; dy <= ky; dy++)
            T->kx[k++] = (int32_t) isqrt_u64 ((remz - wy * dy * dy - 1) / wx);
        }
    }
  T->n = nd;
  free (as);
  return PS_OK;
}

/* Float path: the predicate is ((dx·sx)² + (dy·sy)²) + (dz·sz)² < r², in
 * double, in this order (the brute-force reference in the tests uses the
 * same expression). */
static void
paint_float (const Ctx *x, const Centre *c, size_t z, float *out)
{
  const PsGrid *g = x->g;
  float rf;
  memcpy (&rf, &c->r, 4);
  const double r = rf, r2 = r * r;
  const double dzn = ((double) z - (double) c->z) * g->spacing[2];
  const double qz = dzn * dzn;
  if (!(qz < r2))
    return;
  const float val = (float) (2.0 * r);
  const long ky = (long) (sqrt (r2 - qz) / g->spacing[1]) + 1;
  long y0 = (long) c->y - ky, y1 = (long) c->y + ky;
  if (y0 < 0)
    y0 = 0;
  if (y1 >= (long) g->ny)
    y1 = (long) g->ny - 1;
  for (long y = y0; y <= y1; y++)
    {
      const double dyn = ((double) y - (double) c->y) * g->spacing[1];
      const double qy = dyn * dyn;
      if (!(qy + qz < r2))
        continue;
      /* Largest k with ((k·sx)² + qy) + qz < r², from a guess corrected
       * with the predicate itself. */
      long k = (long) (sqrt (r2 - qz - qy) / g->spacing[0]) + 1;
      for (;;)
        {
          double dxn = (double) k * g->spacing[0];
          if (k >= 0 && !((dxn * dxn + qy) + qz < r2))
            k--;
          else
            break;
        }
      if (k < 0)
        continue;
      long x0 = (long) c->x - k, x1 = (long) c->x + k;
      if (x0 < 0)
        x0 = 0;
      if (x1 >= (long) g->nx)
        x1 = (long) g->nx - 1;
      float *row = out + ((size_t) y * g->nx);
      for (long i = x0; i <= x1; i++)
        row[i] = row[i] > val ? row[i] : val;
    }
}

PsStatus
ps_thickness_run (const PsThicknessParams *params, const PsGrid *grid, const PsDistanceMap *dist,
                  float *thickness_nm, const PsProgress *progress)
{
  PsStatus st = ps_thickness_validate (params, grid, dist);
  if (st != PS_OK)
    return st;
  if (thickness_nm == NULL)
    return PS_ERROR_INVALID_PARAMETER;

  const size_t nx = grid->nx, ny = grid->ny, nz = grid->nz, slice = nx * ny;
  const size_t n = ps_grid_n_voxels (grid);
  const int nt = ps_threads_resolve (params->n_threads);
  Ctx ctx = { grid, dist->dist2, dist->dist2 ? NULL : dist->dist_nm,
              { dist->metric.weights[0], dist->metric.weights[1], dist->metric.weights[2] },
              dist->metric.unit_nm,
              { grid->spacing[0] * grid->spacing[0], grid->spacing[1] * grid->spacing[1],
                grid->spacing[2] * grid->spacing[2] } };
  const bool integer = ctx.d2 != NULL;
  _PsNbhd nb;
  _ps_nbhd_init (&nb, grid, 26);
  /* Length of each neighbour step: squared in unit² and in nm. */
  uint64_t step_w[26];
  double step_nm[26];
  for (int t = 0; t < nb.n; t++)
    {
      step_w[t] = 0;
      double s2 = 0.0;
      for (int ax = 0; ax < 3; ax++)
        {
          long o = nb.off[t][ax];
          step_w[t] += (uint64_t) ctx.w[ax] * (uint64_t) (o * o);
          s2 += (double) (o * o) * ctx.s2[ax];
        }
      step_nm[t] = sqrt (s2);
    }

  /* Per-slice centre lists, then one array in slice order. */
  Centre **lists = calloc (nz, sizeof *lists);
  size_t *counts = calloc (nz + 1, sizeof *counts);
  double *slice_rz = calloc (nz, sizeof *slice_rz);   /* largest radius in z-voxels per slice */
  Centre *centres = NULL;
  Templates T;
  memset (&T, 0, sizeof T);
  uint32_t *ctid = NULL;
  float *cval = NULL;
  bool any_inf = false, failed = false;
  if (lists == NULL || counts == NULL || slice_rz == NULL)
    {
      st = PS_ERROR_NO_MEMORY;
      goto out;
    }

  _PsWork w1, w2;
  _ps_work_init (&w1, progress, "Local thickness", 0.0, 0.3, nz);
#pragma omp parallel for schedule(dynamic, 1) num_threads(nt) reduction(|:any_inf) reduction(|:failed)
  for (size_t z = 0; z < nz; z++)
    {
      if (_ps_work_stop (&w1) || failed)
        continue;
      size_t cap = 0, cnt = 0;
      Centre *list = NULL;
      for (size_t i = z * slice; i < (z + 1) * slice; i++)
        {
          bool redundant = false;
          uint32_t r;
          double rz;
          const size_t xi = (i - z * slice) % nx, yi = (i - z * slice) / nx;
          if (integer)
            {
              uint32_t a = ctx.d2[i];
              if (a == 0)
                continue;
              if (a == PS_EDT_INFINITE)
                {
                  any_inf = true;
                  continue;
                }
              for (int t = 0; t < nb.n && !redundant; t++)
                {
                  long xx = (long) xi + nb.off[t][0], yy = (long) yi + nb.off[t][1];
                  long zz = (long) z + nb.off[t][2];
                  if (xx < 0 || yy < 0 || zz < 0 || xx >= (long) nx || yy >= (long) ny || zz >= (long) nz)
                    continue;
                  uint32_t ap = ctx.d2[(size_t) ((long) i + nb.lin[t])];
                  if (ap == PS_EDT_INFINITE || covers_int (a, ap, step_w[t]))
                    redundant = true;
                }
              r = a;
              rz = sqrt ((double) a / (double) ctx.w[2]);
            }
          else
            {
              float d = ctx.dnm[i];
              if (!(d > 0.0f))
                continue;
              if (isinf (d))
                {
                  any_inf = true;
                  continue;
                }
              for (int t = 0; t < nb.n && !redundant; t++)
                {
                  long xx = (long) xi + nb.off[t][0], yy = (long) yi + nb.off[t][1];
                  long zz = (long) z + nb.off[t][2];
                  if (xx < 0 || yy < 0 || zz < 0 || xx >= (long) nx || yy >= (long) ny || zz >= (long) nz)
                    continue;
                  float dp = ctx.dnm[(size_t) ((long) i + nb.lin[t])];
                  if (isinf (dp) || covers_float (d, dp, step_nm[t]))
                    redundant = true;
                }
              memcpy (&r, &d, 4);
              rz = (double) d / grid->spacing[2];
            }
          if (redundant)
            continue;
          if (cnt == cap)
            {
              size_t ncap = cap ? cap * 2 : 256;
              Centre *nl = ps_memory_check (ncap * sizeof *nl) == PS_OK
                             ? realloc (list, ncap * sizeof *nl) : NULL;
              if (nl == NULL)
                {
                  failed = true;
                  break;
                }
              list = nl;
              cap = ncap;
            }
          size_t rem = i - z * slice;
          list[cnt++] = (Centre) { (uint32_t) (rem % nx), (uint32_t) (rem / nx), (uint32_t) z, r };
          if (rz > slice_rz[z])
            slice_rz[z] = rz;
        }
      lists[z] = list;
      counts[z + 1] = cnt;
      _ps_work_item_done (&w1);
    }
  if (failed)
    {
      st = PS_ERROR_NO_MEMORY;
      goto out;
    }
  if (_ps_work_was_cancelled (&w1))
    {
      st = PS_ERROR_CANCELLED;
      goto out;
    }

  if (any_inf)
    {
      /* No background anywhere: every phase voxel lies in an infinite ball. */
#pragma omp parallel for schedule(static) num_threads(nt)
      for (size_t i = 0; i < n; i++)
        thickness_nm[i] = (integer ? ctx.d2[i] != 0 : ctx.dnm[i] > 0.0f) ? INFINITY : 0.0f;
      st = PS_OK;
      goto out;
    }

  for (size_t z = 0; z < nz; z++)
    counts[z + 1] += counts[z];
  size_t total = counts[nz], bytes;
  if (!ps_size_mul (total + 1, sizeof (Centre), &bytes) || ps_memory_check (bytes) != PS_OK)
    {
      st = PS_ERROR_TOO_LARGE;
      goto out;
    }
  centres = malloc (bytes);
  if (centres == NULL)
    {
      st = PS_ERROR_NO_MEMORY;
      goto out;
    }
  for (size_t z = 0; z < nz; z++)
    {
      if (counts[z + 1] > counts[z])
        memcpy (centres + counts[z], lists[z], (counts[z + 1] - counts[z]) * sizeof (Centre));
      free (lists[z]);
      lists[z] = NULL;
    }
  if (integer)
    {
      /* Each centre's template and diameter, once. */
      st = templates_build (&T, &ctx, centres, total);
      if (st != PS_OK)
        goto out;
      ctid = malloc ((total + 1) * sizeof *ctid);
      cval = malloc ((total + 1) * sizeof *cval);
      if (ctid == NULL || cval == NULL)
        {
          st = PS_ERROR_NO_MEMORY;
          goto out;
        }
#pragma omp parallel for schedule(static) num_threads(nt)
      for (size_t k = 0; k < total; k++)
        {
          ctid[k] = (uint32_t) (template_of (&T, centres[k].r) - T.t);
          cval[k] = (float) (2.0 * sqrt ((double) centres[k].r) * ctx.unit);
        }
    }
  double rz_max = 0.0;
  for (size_t z = 0; z < nz; z++)
    rz_max = slice_rz[z] > rz_max ? slice_rz[z] : rz_max;
  const long reach = (long) ceil (rz_max) + 1;

  /* Paint: one output slice per work item; the centres that can reach it
   * lie within ±reach slices, and whole source slices whose largest ball
   * cannot reach are skipped. */
  _ps_work_init (&w2, progress, "Local thickness", 0.3, 1.0, nz);
#pragma omp parallel for schedule(dynamic, 1) num_threads(nt)
  for (size_t z = 0; z < nz; z++)
    {
      if (_ps_work_stop (&w2))
        continue;
      float *out = thickness_nm + z * slice;
      memset (out, 0, slice * sizeof (float));
      long s0 = (long) z - reach, s1 = (long) z + reach;
      if (s0 < 0)
        s0 = 0;
      if (s1 >= (long) nz)
        s1 = (long) nz - 1;
      for (long s = s0; s <= s1; s++)
        {
          long dz = s - (long) z;
          if (dz < 0)
            dz = -dz;
          if (slice_rz[s] + 1.0 < (double) dz)
            continue;
          for (size_t k = counts[s]; k < counts[s + 1]; k++)
            {
              if (integer)
                paint_int (grid, &T, &T.t[ctid[k]], &centres[k], cval[k], z, out);
              else
                paint_float (&ctx, &centres[k], z, out);
            }
        }
      /* Only phase voxels carry a thickness. */
      for (size_t i = 0; i < slice; i++)
        if (integer ? ctx.d2[z * slice + i] == 0 : !(ctx.dnm[z * slice + i] > 0.0f))
          out[i] = 0.0f;
      _ps_work_item_done (&w2);
    }
  if (_ps_work_was_cancelled (&w2))
    {
      st = PS_ERROR_CANCELLED;
      goto out;
    }
  ps_progress_report (progress, 1.0, "Local thickness");
  st = PS_OK;

out:
  if (lists != NULL)
    for (size_t z = 0; z < nz; z++)
      free (lists[z]);
  free (lists);
  free (counts);
  free (slice_rz);
  free (centres);
  templates_free (&T);
  free (ctid);
  free (cval);
  return st;
}

PsThicknessBins
ps_thickness_bins (const PsGrid *grid, double bin_width_nm, double max_diameter_nm)
{
  PsThicknessBins b = { bin_width_nm, 1 };
  if (!(b.bin_width_nm > 0.0) || !isfinite (b.bin_width_nm))
    b.bin_width_nm = fmin (grid->spacing[0], fmin (grid->spacing[1], grid->spacing[2]));
  if (isfinite (max_diameter_nm) && max_diameter_nm > 0.0)
    {
      double k = floor (max_diameter_nm / b.bin_width_nm) + 1.0;
      b.n_bins = k > 1e7 ? 10000000 : (size_t) k;
    }
  return b;
}

PsStatus
ps_thickness_histogram (const float *thickness_nm, size_t n, const PsThicknessBins *bins,
                        uint64_t *counts, uint64_t *total)
{
  if (thickness_nm == NULL || bins == NULL || counts == NULL || bins->n_bins == 0 ||
      !(bins->bin_width_nm > 0.0))
    return PS_ERROR_INVALID_PARAMETER;
  memset (counts, 0, bins->n_bins * sizeof (uint64_t));
  uint64_t t = 0;
  for (size_t i = 0; i < n; i++)
    {
      float v = thickness_nm[i];
      if (!(v > 0.0f))
        continue;
      double k = floor ((double) v / bins->bin_width_nm);
      size_t b = k >= (double) (bins->n_bins - 1) ? bins->n_bins - 1 : (size_t) k;
      counts[b]++;
      t++;
    }
  if (total != NULL)
    *total = t;
  return PS_OK;
}
