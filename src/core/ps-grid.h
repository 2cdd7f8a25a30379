/* SPDX-License-Identifier: GPL-3.0-or-later */
/* ps-grid.h: the geometry the segmentation kernels share.
 *
 * The analysis kernels (EDT, seeds, watershed, labelling, local thickness)
 * work on plain caller-owned buffers — uint8 masks, float distances, uint32
 * labels — laid out like PsVolume: index (z·ny + y)·nx + x, x fastest.
 * A PsGrid carries their size and voxel spacing (nm along x, y, z).
 */
#pragma once

#include <math.h>
#include <stdbool.h>
#include <stddef.h>

#include "ps-size.h"
#include "ps-status.h"
#include "ps-volume.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct
{
  size_t nx, ny, nz;
  double spacing[3];     /* nm per voxel along x, y, z; each > 0 and finite */
} PsGrid;

static inline PsGrid
ps_grid_from_volume (const PsVolume *vol)
{
  PsGrid g = { vol->nx, vol->ny, vol->nz, { vol->spacing[0], vol->spacing[1], vol->spacing[2] } };
  return g;
}

/* A grid of nx × ny × nz voxels with isotropic spacing @s nm. */
static inline PsGrid
ps_grid_make (size_t nx, size_t ny, size_t nz, double s)
{
  PsGrid g = { nx, ny, nz, { s, s, s } };
  return g;
}

/* PS_OK when the grid is non-empty, its voxel count and a uint32/float buffer
 * of it fit in size_t, each axis is < 2^31 and the spacing is positive and
 * finite; PS_ERROR_INVALID_PARAMETER or PS_ERROR_TOO_LARGE otherwise. */
static inline PsStatus
ps_grid_validate (const PsGrid *g)
{
  size_t bytes;
  if (g == NULL || g->nx == 0 || g->ny == 0 || g->nz == 0)
    return PS_ERROR_INVALID_PARAMETER;
  for (int a = 0; a < 3; a++)
    if (!(g->spacing[a] > 0.0) || !isfinite (g->spacing[a]))
      return PS_ERROR_INVALID_PARAMETER;
  if (g->nx >= ((size_t) 1 << 31) || g->ny >= ((size_t) 1 << 31) || g->nz >= ((size_t) 1 << 31) ||
      !ps_size_voxels_bytes (g->nx, g->ny, g->nz, 8, &bytes))
    return PS_ERROR_TOO_LARGE;
  return PS_OK;
}

static inline size_t
ps_grid_n_voxels (const PsGrid *g)
{
  return g->nx * g->ny * g->nz;
}

#ifdef __cplusplus
}
#endif
