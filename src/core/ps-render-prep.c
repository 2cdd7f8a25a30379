/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "ps-render-prep.h"

#include <math.h>
#include <stdatomic.h>
#include <string.h>

#include "ps-size.h"
#include "ps-stats.h"

size_t
ps_render_tex_format_size (PsRenderTexFormat format)
{
  switch (format)
    {
    case PS_RENDER_TEX_U8: return 1;
    case PS_RENDER_TEX_U16: return 2;
    case PS_RENDER_TEX_F32: return 4;
    default: return 0;
    }
}

int
ps_render_choose_factor (size_t nx, size_t ny, size_t nz, size_t max_dim,
                         size_t bytes_per_voxel, size_t budget_bytes)
{
  size_t biggest = nx > ny ? nx : ny;
  biggest = biggest > nz ? biggest : nz;
  if (nx == 0 || ny == 0 || nz == 0 || max_dim == 0 || bytes_per_voxel == 0)
    return 0;
  for (size_t f = 1; f <= biggest; f++)
    {
      size_t rx = ps_render_reduced (nx, (int) f), ry = ps_render_reduced (ny, (int) f);
      size_t rz = ps_render_reduced (nz, (int) f), bytes;
      if (f > 1024)
        return 0;
      if (rx > max_dim || ry > max_dim || rz > max_dim)
        continue;
      if (!ps_size_voxels_bytes (rx, ry, rz, bytes_per_voxel, &bytes))
        continue;
      if (bytes <= budget_bytes)
        return (int) f;
    }
  return 0;
}

/* Progress from a parallel loop over slices: every thread counts the slices
 * it finished; whoever finishes one reports the count so far, which only
 * grows, under a critical section so reports stay ordered. */
typedef struct
{
  atomic_size_t done;
  size_t total;
  const PsProgress *progress;
  atomic_int stop;
} SliceProgress;

static void
slice_done (SliceProgress *sp)
{
  atomic_fetch_add (&sp->done, 1);
  if (ps_progress_cancelled (sp->progress))
    atomic_store (&sp->stop, 1);
  if (sp->progress != NULL && sp->progress->func != NULL)
    {
#pragma omp critical (ps_render_progress)
      ps_progress_report (sp->progress, (double) atomic_load (&sp->done) / (double) sp->total,
                          "Preparing 3D view");
    }
}

bool
ps_render_volume_fits_u8 (const PsVolume *vol, double min, double max, int n_threads)
{
  int ok = 1;
  if (vol == NULL || vol->data == NULL || !(max - min <= 255.0) || !isfinite (min))
    return false;
  const size_t n = ps_volume_n_voxels (vol);
  const float *data = vol->data;
#pragma omp parallel for reduction(&& : ok) schedule(static) num_threads(ps_threads_resolve (n_threads))
  for (size_t i = 0; i < n; i++)
    ok = ok && (!isfinite (data[i]) || data[i] == floorf (data[i]));
  return ok != 0;
}

PsStatus
ps_render_volume_validate (const PsRenderVolumeParams *p)
{
  size_t bytes;
  if (p == NULL || p->volume == NULL || p->volume->data == NULL)
    return PS_ERROR_INVALID_PARAMETER;
  if (p->factor < 1 || ps_render_tex_format_size (p->format) == 0)
    return PS_ERROR_INVALID_PARAMETER;
  if (!(p->hi > p->lo) || !isfinite (p->lo) || !isfinite (p->hi))
    return PS_ERROR_INVALID_PARAMETER;
  if (!ps_size_voxels_bytes (ps_render_reduced (p->volume->nx, p->factor),
                             ps_render_reduced (p->volume->ny, p->factor),
                             ps_render_reduced (p->volume->nz, p->factor),
                             ps_render_tex_format_size (p->format), &bytes))
    return PS_ERROR_TOO_LARGE;
  return PS_OK;
}

PsStatus
ps_render_volume_run (const PsRenderVolumeParams *p, void *out, const PsProgress *progress)
{
  PsStatus st = ps_render_volume_validate (p);
  if (st != PS_OK)
    return st;
  if (out == NULL)
    return PS_ERROR_INVALID_PARAMETER;

  const PsVolume *v = p->volume;
  const size_t f = (size_t) p->factor;
  const size_t rx = ps_render_reduced (v->nx, p->factor);
  const size_t ry = ps_render_reduced (v->ny, p->factor);
  const size_t rz = ps_render_reduced (v->nz, p->factor);
  const double scale = 1.0 / (p->hi - p->lo);
  const double lo = p->lo;
  const PsRenderTexFormat format = p->format;
  SliceProgress sp = { .total = rz, .progress = progress };
  atomic_init (&sp.done, 0);
  atomic_init (&sp.stop, 0);

#pragma omp parallel for schedule(dynamic, 1) num_threads(ps_threads_resolve (p->n_threads))
  for (size_t z = 0; z < rz; z++)
    {
      if (atomic_load_explicit (&sp.stop, memory_order_relaxed))
        continue;
      size_t z0 = z * f, z1 = z0 + f < v->nz ? z0 + f : v->nz;
      for (size_t y = 0; y < ry; y++)
        {
          size_t y0 = y * f, y1 = y0 + f < v->ny ? y0 + f : v->ny;
          size_t out_row = (z * ry + y) * rx;
          for (size_t x = 0; x < rx; x++)
            {
              size_t x0 = x * f, x1 = x0 + f < v->nx ? x0 + f : v->nx;
              double sum = 0.0;
              size_t n = 0;
              if (f == 1)
                {
                  float s = v->data[ps_volume_index (v, x, y, z)];
                  if (isfinite (s))
                    {
                      sum = s;
                      n = 1;
                    }
                }
              else
                {
                  for (size_t k = z0; k < z1; k++)
                    for (size_t j = y0; j < y1; j++)
                      {
                        const float *row = v->data + ps_volume_index (v, 0, j, k);
                        for (size_t i = x0; i < x1; i++)
                          if (isfinite (row[i]))
                            {
                              sum += row[i];
                              n++;
                            }
                      }
                }
              double t = n > 0 ? (sum / (double) n - lo) * scale : 0.0;
              t = t < 0.0 ? 0.0 : (t > 1.0 ? 1.0 : t);
              switch (format)
                {
                case PS_RENDER_TEX_U8:
                  ((uint8_t *) out)[out_row + x] = (uint8_t) lrint (t * 255.0);
                  break;
                case PS_RENDER_TEX_U16:
                  ((uint16_t *) out)[out_row + x] = (uint16_t) lrint (t * 65535.0);
                  break;
                case PS_RENDER_TEX_F32:
                default:
                  ((float *) out)[out_row + x] = (float) t;
                  break;
                }
            }
        }
      slice_done (&sp);
    }
  if (atomic_load (&sp.stop) || ps_progress_cancelled (progress))
    return PS_ERROR_CANCELLED;
  return PS_OK;
}

size_t
ps_render_labels_code_size (const PsLabels *pores, const PsLabels *carbon)
{
  uint32_t m = 0;
  if (pores != NULL && pores->n_labels > m)
    m = pores->n_labels;
  if (carbon != NULL && carbon->n_labels > m)
    m = carbon->n_labels;
  if (m < (1u << 14))
    return 2;
  if (m < (1u << 30))
    return 4;
  return 0;
}

static int
same_geometry (const PsLabels *a, const PsLabels *b)
{
  return a->nx == b->nx && a->ny == b->ny && a->nz == b->nz;
}

PsStatus
ps_render_labels_validate (const PsRenderLabelsParams *p)
{
  const PsLabels *ref;
  size_t bytes;
  if (p == NULL || (p->pores == NULL && p->carbon == NULL) || p->factor < 1)
    return PS_ERROR_INVALID_PARAMETER;
  if (p->pores != NULL && p->carbon != NULL && !same_geometry (p->pores, p->carbon))
    return PS_ERROR_INVALID_PARAMETER;
  if (p->code_size != 2 && p->code_size != 4)
    return PS_ERROR_INVALID_PARAMETER;
  if (ps_render_labels_code_size (p->pores, p->carbon) == 0 ||
      ps_render_labels_code_size (p->pores, p->carbon) > p->code_size)
    return PS_ERROR_INVALID_PARAMETER;
  ref = p->pores != NULL ? p->pores : p->carbon;
  if (ref->data == NULL || (p->carbon != NULL && p->carbon->data == NULL))
    return PS_ERROR_INVALID_PARAMETER;
  if (!ps_size_voxels_bytes (ps_render_reduced (ref->nx, p->factor),
                             ps_render_reduced (ref->ny, p->factor),
                             ps_render_reduced (ref->nz, p->factor), p->code_size, &bytes))
    return PS_ERROR_TOO_LARGE;
  return PS_OK;
}

PsStatus
ps_render_labels_run (const PsRenderLabelsParams *p, void *out, const PsProgress *progress)
{
  PsStatus st = ps_render_labels_validate (p);
  if (st != PS_OK)
    return st;
  if (out == NULL)
    return PS_ERROR_INVALID_PARAMETER;

  const PsLabels *ref = p->pores != NULL ? p->pores : p->carbon;
  const size_t f = (size_t) p->factor;
  const size_t nx = ref->nx, ny = ref->ny, nz = ref->nz;
  const size_t rx = ps_render_reduced (nx, p->factor);
  const size_t ry = ps_render_reduced (ny, p->factor);
  const size_t rz = ps_render_reduced (nz, p->factor);
  const uint32_t *pores = p->pores ? p->pores->data : NULL;
  const uint32_t *carbon = p->carbon ? p->carbon->data : NULL;
  const size_t code_size = p->code_size;
  SliceProgress sp = { .total = rz, .progress = progress };
  atomic_init (&sp.done, 0);
  atomic_init (&sp.stop, 0);

#pragma omp parallel for schedule(dynamic, 1) num_threads(ps_threads_resolve (p->n_threads))
  for (size_t z = 0; z < rz; z++)
    {
      if (atomic_load_explicit (&sp.stop, memory_order_relaxed))
        continue;
      /* The source voxel nearest the block centre, clipped at the far face. */
      size_t sz = z * f + f / 2;
      sz = sz < nz ? sz : nz - 1;
      for (size_t y = 0; y < ry; y++)
        {
          size_t sy = y * f + f / 2;
          sy = sy < ny ? sy : ny - 1;
          for (size_t x = 0; x < rx; x++)
            {
              size_t sx = x * f + f / 2;
              sx = sx < nx ? sx : nx - 1;
              size_t src = (sz * ny + sy) * nx + sx;
              size_t dst = (z * ry + y) * rx + x;
              uint32_t code = 0;
              if (pores != NULL && pores[src] != 0)
                code = ps_render_code (PS_RENDER_PHASE_PORE, pores[src]);
              else if (carbon != NULL && carbon[src] != 0)
                code = ps_render_code (PS_RENDER_PHASE_CARBON, carbon[src]);
              if (code_size == 2)
                ((uint16_t *) out)[dst] = (uint16_t) code;
              else
                ((uint32_t *) out)[dst] = code;
            }
        }
      slice_done (&sp);
    }
  if (atomic_load (&sp.stop) || ps_progress_cancelled (progress))
    return PS_ERROR_CANCELLED;
  return PS_OK;
}

static inline double
intensity_at (const PsRenderBricksParams *p, size_t i)
{
  switch (p->format)
    {
    case PS_RENDER_TEX_U8: return ((const uint8_t *) p->intensity)[i] * (65535.0 / 255.0);
    case PS_RENDER_TEX_U16: return ((const uint16_t *) p->intensity)[i];
    case PS_RENDER_TEX_F32:
    default: return ((const float *) p->intensity)[i] * 65535.0;
    }
}

PsStatus
ps_render_bricks_run (const PsRenderBricksParams *p, uint16_t *out)
{
  if (p == NULL || out == NULL || p->nx == 0 || p->ny == 0 || p->nz == 0)
    return PS_ERROR_INVALID_PARAMETER;
  if (p->intensity != NULL && ps_render_tex_format_size (p->format) == 0)
    return PS_ERROR_INVALID_PARAMETER;
  if (p->codes != NULL && p->code_size != 2 && p->code_size != 4)
    return PS_ERROR_INVALID_PARAMETER;

  const size_t nx = p->nx, ny = p->ny, nz = p->nz;
  const size_t bx = ps_render_n_bricks (nx), by = ps_render_n_bricks (ny), bz = ps_render_n_bricks (nz);
  const size_t B = PS_RENDER_BRICK;

#pragma omp parallel for schedule(dynamic, 1) num_threads(ps_threads_resolve (p->n_threads))
  for (size_t k = 0; k < bz; k++)
    for (size_t j = 0; j < by; j++)
      for (size_t i = 0; i < bx; i++)
        {
          /* Intensity over the brick grown by one voxel (trilinear reach). */
          size_t x0 = i * B > 0 ? i * B - 1 : 0, x1 = i * B + B + 1 < nx ? i * B + B + 1 : nx;
          size_t y0 = j * B > 0 ? j * B - 1 : 0, y1 = j * B + B + 1 < ny ? j * B + B + 1 : ny;
          size_t z0 = k * B > 0 ? k * B - 1 : 0, z1 = k * B + B + 1 < nz ? k * B + B + 1 : nz;
          double lo = 65535.0, hi = 0.0;
          uint16_t *o = out + 4 * ((k * by + j) * bx + i);
          if (p->intensity == NULL)
            {
              lo = o[0];
              hi = o[1];
              z1 = z0;   /* keep the intensity range computed before */
            }
          for (size_t z = z0; z < z1; z++)
            for (size_t y = y0; y < y1; y++)
              for (size_t x = x0; x < x1; x++)
                {
                  double v = intensity_at (p, (z * ny + y) * nx + x);
                  lo = v < lo ? v : lo;
                  hi = v > hi ? v : hi;
                }
          /* Labels: nearest sampling stays inside the brick. */
          uint16_t occ = 0;
          if (p->codes == NULL)
            occ = PS_RENDER_OCC_NONE;
          else
            {
              size_t cx1 = i * B + B < nx ? i * B + B : nx;
              size_t cy1 = j * B + B < ny ? j * B + B : ny;
              size_t cz1 = k * B + B < nz ? k * B + B : nz;
              for (size_t z = k * B; z < cz1; z++)
                for (size_t y = j * B; y < cy1; y++)
                  for (size_t x = i * B; x < cx1; x++)
                    {
                      size_t idx = (z * ny + y) * nx + x;
                      uint32_t c = p->code_size == 2 ? ((const uint16_t *) p->codes)[idx]
                                                     : ((const uint32_t *) p->codes)[idx];
                      uint32_t ph = c & 3u;
                      occ |= ph == PS_RENDER_PHASE_PORE ? PS_RENDER_OCC_PORE
                           : ph == PS_RENDER_PHASE_CARBON ? PS_RENDER_OCC_CARBON : PS_RENDER_OCC_NONE;
                    }
            }
          o[0] = (uint16_t) floor (lo);
          o[1] = (uint16_t) ceil (hi);
          o[2] = occ;
          o[3] = 0;
        }
  return PS_OK;
}
