/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Orthogonal slice extraction; see ps-slice.h for layouts and the cost model. */
#include "ps-slice.h"

#include <string.h>

#include "ps-size.h"
#include "ps-stats.h"

/* Below this many values a single thread is used. Waking a team costs
 * ~10 µs on an idle machine, but when another process keeps a core busy the
 * team waits for a scheduler time slice (4–8 ms measured), so a parallel
 * region only pays off for work of a few milliseconds: 1 Mi strided values. */
#define PS_SLICE_PARALLEL_MIN ((size_t) 1 << 20)

/* Yz tiles: Z_BLOCK output columns per row are gathered from Z_BLOCK planes
 * at once, so every output row segment is written as whole cache lines, and
 * each plane's next rows are prefetched PREFETCH_ROWS ahead (each row of a
 * plane is nx values further on: one new page per access once nx·size ≥ 4 KiB,
 * where the hardware stride prefetcher gives up). */
#define Z_BLOCK 16
#define PREFETCH_ROWS 8

void
ps_slice_axes (PsSliceOrientation orientation, int *col_axis, int *row_axis)
{
  int c = 0, r = 1;
  switch (orientation)
    {
    case PS_SLICE_XY: c = 0; r = 1; break;
    case PS_SLICE_XZ: c = 0; r = 2; break;
    case PS_SLICE_YZ: c = 2; r = 1; break;
    default: break;
    }
  if (col_axis != NULL)
    *col_axis = c;
  if (row_axis != NULL)
    *row_axis = r;
}

bool
ps_slice_size (PsSliceOrientation orientation, size_t nx, size_t ny, size_t nz,
               size_t *width, size_t *height)
{
  size_t w, h;
  switch (orientation)
    {
    case PS_SLICE_XY: w = nx; h = ny; break;
    case PS_SLICE_XZ: w = nx; h = nz; break;
    case PS_SLICE_YZ: w = nz; h = ny; break;
    default: return false;
    }
  if (width != NULL)
    *width = w;
  if (height != NULL)
    *height = h;
  return true;
}

bool
ps_slice_layout (PsSliceOrientation orientation, size_t nx, size_t ny, size_t nz, size_t index,
                 size_t *offset, size_t *col_stride, size_t *row_stride)
{
  size_t off, cs, rs;
  switch (orientation)
    {
    case PS_SLICE_XY:
      if (index >= nz)
        return false;
      off = index * nx * ny; cs = 1; rs = nx;
      break;
    case PS_SLICE_XZ:
      if (index >= ny)
        return false;
      off = index * nx; cs = 1; rs = nx * ny;
      break;
    case PS_SLICE_YZ:
      if (index >= nx)
        return false;
      off = index; cs = nx * ny; rs = nx;
      break;
    default:
      return false;
    }
  if (offset != NULL)
    *offset = off;
  if (col_stride != NULL)
    *col_stride = cs;
  if (row_stride != NULL)
    *row_stride = rs;
  return true;
}

static int
team_size (int n_threads, size_t n_values)
{
  int n = ps_threads_resolve (n_threads);
  if (n_values < PS_SLICE_PARALLEL_MIN || n < 1)
    return 1;
  return n;
}

/* The yz gather, one instantiation per element type. For x = x0 + k,
 * k < count: out[k][y·nz + z] = data[(z·ny + y)·nx + x]. Threads split the
 * z blocks; every output value is written by exactly one thread, so the
 * result is the same for any team size. */
#define DEFINE_YZ_GATHER(T, NAME)                                                        \
  static void                                                                            \
  NAME (const T *restrict data, size_t nx, size_t ny, size_t nz, size_t x0, size_t count, \
        T *restrict out, int n_threads)                                                  \
  {                                                                                      \
    const size_t plane = nx * ny;                                                        \
    const size_t slice = ny * nz;                                                        \
    const size_t n_blocks = (nz + Z_BLOCK - 1) / Z_BLOCK;                                \
    _Pragma ("omp parallel for num_threads(n_threads) schedule(dynamic, 1)")            \
    for (size_t b = 0; b < n_blocks; b++)                                                \
      {                                                                                  \
        const size_t z0 = b * Z_BLOCK;                                                   \
        const size_t nb = nz - z0 < Z_BLOCK ? nz - z0 : Z_BLOCK;                         \
        const T *src = data + z0 * plane + x0;                                           \
        for (size_t y = 0; y < ny; y++)                                                  \
          {                                                                              \
            const T *row = src + y * nx;                                                 \
            if (y + PREFETCH_ROWS < ny)                                                  \
              for (size_t j = 0; j < nb; j++)                                            \
                __builtin_prefetch (row + j * plane + PREFETCH_ROWS * nx);               \
            T *dst = out + y * nz + z0;                                                  \
            if (count == 1)                                                              \
              {                                                                          \
                for (size_t j = 0; j < nb; j++)                                          \
                  dst[j] = row[j * plane];                                               \
              }                                                                          \
            else                                                                         \
              {                                                                          \
                for (size_t j = 0; j < nb; j++)                                          \
                  {                                                                      \
                    const T *v = row + j * plane;                                        \
                    for (size_t k = 0; k < count; k++)                                   \
                      dst[k * slice + j] = v[k];                                         \
                  }                                                                      \
              }                                                                          \
          }                                                                              \
      }                                                                                  \
  }

DEFINE_YZ_GATHER (uint8_t, yz_gather_u8)
DEFINE_YZ_GATHER (uint16_t, yz_gather_u16)
DEFINE_YZ_GATHER (uint32_t, yz_gather_u32)
DEFINE_YZ_GATHER (uint64_t, yz_gather_u64)

static void
yz_gather (const void *data, size_t elem_size, size_t nx, size_t ny, size_t nz,
           size_t x0, size_t count, void *out, int n_threads)
{
  switch (elem_size)
    {
    case 1: yz_gather_u8 (data, nx, ny, nz, x0, count, out, n_threads); break;
    case 2: yz_gather_u16 (data, nx, ny, nz, x0, count, out, n_threads); break;
    case 4: yz_gather_u32 (data, nx, ny, nz, x0, count, out, n_threads); break;
    case 8: yz_gather_u64 (data, nx, ny, nz, x0, count, out, n_threads); break;
    default: break;
    }
}

static PsStatus
validate (const void *data, size_t elem_size, size_t nx, size_t ny, size_t nz,
          PsSliceOrientation orientation, size_t index, size_t count, const void *out,
          size_t *width, size_t *height)
{
  size_t bytes;
  if (data == NULL || out == NULL || count == 0)
    return PS_ERROR_INVALID_PARAMETER;
  if (elem_size != 1 && elem_size != 2 && elem_size != 4 && elem_size != 8)
    return PS_ERROR_INVALID_PARAMETER;
  if (nx == 0 || ny == 0 || nz == 0 || !ps_size_voxels_bytes (nx, ny, nz, elem_size, &bytes))
    return PS_ERROR_INVALID_PARAMETER;
  if (!ps_slice_size (orientation, nx, ny, nz, width, height))
    return PS_ERROR_INVALID_PARAMETER;
  size_t n_axis = orientation == PS_SLICE_XY ? nz : orientation == PS_SLICE_XZ ? ny : nx;
  if (index >= n_axis || count > n_axis - index)
    return PS_ERROR_INVALID_PARAMETER;
  return PS_OK;
}

static void
extract_one_contiguous (const unsigned char *data, size_t elem_size, size_t nx, size_t ny,
                        size_t nz, PsSliceOrientation orientation, size_t index,
                        unsigned char *out, int n_threads)
{
  const size_t row = nx * elem_size;
  if (orientation == PS_SLICE_XY)
    {
      /* One contiguous block: memcpy already runs at the copy bandwidth of
       * one core, and a second thread only helps for slices that do not fit
       * in the last-level cache. */
      const unsigned char *src = data + index * ny * row;
      size_t total = ny * row;
      int team = team_size (n_threads, nx * ny);
      if (team == 1 || total < ((size_t) 8 << 20))
        {
          memcpy (out, src, total);
          return;
        }
#pragma omp parallel for num_threads(team) schedule(static)
      for (size_t y = 0; y < ny; y++)
        memcpy (out + y * row, src + y * row, row);
    }
  else
    {
      /* nz runs of nx contiguous values, one plane (nx·ny values) apart. */
      int team = team_size (n_threads, nx * nz);
      const unsigned char *src = data + index * row;
      const size_t plane = ny * row;
      if (team == 1 || nx * nz * elem_size < ((size_t) 8 << 20))
        {
          for (size_t z = 0; z < nz; z++)
            memcpy (out + z * row, src + z * plane, row);
          return;
        }
#pragma omp parallel for num_threads(team) schedule(static)
      for (size_t z = 0; z < nz; z++)
        memcpy (out + z * row, src + z * plane, row);
    }
}

PsStatus
ps_slice_extract (const void *data, size_t elem_size, size_t nx, size_t ny, size_t nz,
                  PsSliceOrientation orientation, size_t index, void *out, int n_threads)
{
  return ps_slice_extract_slab (data, elem_size, nx, ny, nz, orientation, index, 1, out,
                                n_threads);
}

PsStatus
ps_slice_extract_slab (const void *data, size_t elem_size, size_t nx, size_t ny, size_t nz,
                       PsSliceOrientation orientation, size_t index, size_t count, void *out,
                       int n_threads)
{
  size_t width, height;
  PsStatus st = validate (data, elem_size, nx, ny, nz, orientation, index, count, out, &width,
                          &height);
  if (st != PS_OK)
    return st;

  if (orientation == PS_SLICE_YZ)
    {
      size_t values;
      if (!ps_size_mul3 (width, height, count, &values))
        return PS_ERROR_INVALID_PARAMETER;
      yz_gather (data, elem_size, nx, ny, nz, index, count, out,
                 team_size (n_threads, values));
      return PS_OK;
    }

  const size_t slice_bytes = width * height * elem_size;
  for (size_t k = 0; k < count; k++)
    extract_one_contiguous (data, elem_size, nx, ny, nz, orientation, index + k,
                            (unsigned char *) out + k * slice_bytes, n_threads);
  return PS_OK;
}
