/* SPDX-License-Identifier: GPL-3.0-or-later */
/* ps-slice.h: orthogonal slices of a volume (or of labels) into caller
 * buffers, for the orthoslice views, figure export and benchmarks.
 *
 * Orientation and layout of the output (row-major, `width` values per row):
 *
 *   PS_SLICE_XY  normal z, at z = index:  width nx (x →), height ny (y ↓)
 *   PS_SLICE_XZ  normal y, at y = index:  width nx (x →), height nz (z ↓)
 *   PS_SLICE_YZ  normal x, at x = index:  width nz (z →), height ny (y ↓)
 *
 * This is the classic quad layout of ImageJ's Orthogonal Views and 3dmod's
 * XYZ window: the YZ view sits right of XY and shares its rows (y), the XZ
 * view sits below XY and shares its columns (x).
 *
 * Cost model (1024³ float32, see docs/performance.md "Orthoslices"): an xy
 * slice is one contiguous copy; an xz slice is nz contiguous runs of nx; a yz
 * slice touches one value per cache line and, for nx·4 ≥ 4096, one value per
 * 4 KiB page, so it is bound by TLB misses and memory latency, not bandwidth.
 * The yz path therefore splits the work over threads (more misses in flight)
 * and prefetches a few rows ahead; ps_slice_extract_slab() amortises the lines
 * over several adjacent slices for scrolling.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ps-status.h"
#include "ps-volume.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum
{
  PS_SLICE_XY = 0,
  PS_SLICE_XZ = 1,
  PS_SLICE_YZ = 2,
} PsSliceOrientation;

/* The volume axis normal to slices of @orientation (0 = x, 1 = y, 2 = z). */
static inline int
ps_slice_normal_axis (PsSliceOrientation orientation)
{
  switch (orientation)
    {
    case PS_SLICE_XY: return 2;
    case PS_SLICE_XZ: return 1;
    case PS_SLICE_YZ: return 0;
    default: return -1;
    }
}

/* The volume axes along the output's columns (@col_axis) and rows
 * (@row_axis), each 0 = x, 1 = y, 2 = z. */
void ps_slice_axes (PsSliceOrientation orientation, int *col_axis, int *row_axis);

/* Size of a slice of an nx × ny × nz grid. False for a bad orientation. */
bool ps_slice_size (PsSliceOrientation orientation, size_t nx, size_t ny, size_t nz,
                    size_t *width, size_t *height);

/* Where the slice at @index lies inside the volume's own storage: element
 * (col, row) of the slice is data[offset + col·col_stride + row·row_stride].
 * Renderers that need only some of a slice's values (a view showing a yz
 * slice of 1024² at 460 × 310 pixels) read them in place this way instead of
 * copying the whole slice. False for a bad orientation or index. */
bool ps_slice_layout (PsSliceOrientation orientation, size_t nx, size_t ny, size_t nz, size_t index,
                      size_t *offset, size_t *col_stride, size_t *row_stride);

/* Copy the slice at @index (along the normal axis) of an nx × ny × nz grid of
 * @elem_size-byte values (1, 2, 4 or 8; x fastest) into @out, which holds
 * width × height values (see ps_slice_size). @n_threads ≤ 0 uses all.
 * The copy is bit-exact and independent of the thread count.
 * Returns INVALID_PARAMETER for a bad size, orientation or index. */
PsStatus ps_slice_extract (const void *data, size_t elem_size,
                           size_t nx, size_t ny, size_t nz,
                           PsSliceOrientation orientation, size_t index,
                           void *out, int n_threads);

/* Copy @count adjacent slices (index, index + 1, …) in one pass into @out,
 * slice after slice (count × width × height values). For yz slices this reads
 * each cache line once for up to 64 / elem_size slices, which is what makes
 * scrolling through yz cheap. index + count must not exceed the axis. */
PsStatus ps_slice_extract_slab (const void *data, size_t elem_size,
                                size_t nx, size_t ny, size_t nz,
                                PsSliceOrientation orientation, size_t index, size_t count,
                                void *out, int n_threads);

/* Typed conveniences. */
static inline PsStatus
ps_slice_extract_volume (const PsVolume *vol, PsSliceOrientation orientation, size_t index,
                         float *out, int n_threads)
{
  if (vol == NULL)
    return PS_ERROR_INVALID_PARAMETER;
  return ps_slice_extract (vol->data, sizeof (float), vol->nx, vol->ny, vol->nz,
                           orientation, index, out, n_threads);
}

static inline PsStatus
ps_slice_extract_labels (const PsLabels *labels, PsSliceOrientation orientation, size_t index,
                         uint32_t *out, int n_threads)
{
  if (labels == NULL)
    return PS_ERROR_INVALID_PARAMETER;
  return ps_slice_extract (labels->data, sizeof (uint32_t), labels->nx, labels->ny, labels->nz,
                           orientation, index, out, n_threads);
}

#ifdef __cplusplus
}
#endif
