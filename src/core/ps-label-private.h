/* SPDX-License-Identifier: GPL-3.0-or-later */
/* ps-label-private.h: connected components of a region given by a mask or a
 * distance map (used by ps_label_run and, on {d > 0}, by the seeds and
 * watershed floods, which work one component at a time). Not public API. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "ps-grid.h"
#include "ps-status.h"

typedef enum
{
  _PS_REGION_MASK,      /* u8: (mask != 0) != invert */
  _PS_REGION_U32,       /* u32: value != 0 */
  _PS_REGION_F32,       /* float: value > 0 */
} _PsRegionKind;

typedef struct
{
  _PsRegionKind kind;
  const void *data;
  bool invert;          /* _PS_REGION_MASK only */
} _PsRegion;

/* Labels 1 … n in raster order of first voxel; 0 outside the region. With
 * @sizes non-NULL, *sizes receives a malloc'ed array of n + 1 voxel counts
 * (index = label; the caller frees it). */
PsStatus _ps_label_region (const PsGrid *grid, const _PsRegion *region, int connectivity,
                           int n_threads, uint32_t *labels, uint32_t *n_labels,
                           uint64_t **sizes, const PsProgress *progress);

/* Bit i of @bits ((nx·ny·nz + 63) / 64 words, overwritten): voxel i lies in
 * the region and its component has a voxel on one of the grid's six faces.
 * The components are not numbered voxel by voxel: no label array. */
PsStatus _ps_label_region_faces (const PsGrid *grid, const _PsRegion *region, int connectivity,
                                 int n_threads, uint64_t *bits, const PsProgress *progress);
