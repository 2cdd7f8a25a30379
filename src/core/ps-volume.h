/* SPDX-License-Identifier: GPL-3.0-or-later */
/* ps-volume.h: the 3D scalar volume, its label companion and boxes.
 *
 * Geometry (SPEC.md): a volume is indexed (x, y, z), x fastest, z slowest.
 * spacing[] is the voxel size in nanometres along x, y, z. Voxel (i, j, k)
 * covers [i·dx, (i+1)·dx) × … in nm measured from the volume's corner, so its
 * centre is at ((i + ½)·dx, …). Data are float32, 64-byte aligned.
 */
#pragma once

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ps-status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef void (*PsDataFree) (void *data, void *user_data);

typedef struct PsVolume
{
  atomic_int ref_count;
  size_t nx, ny, nz;
  double spacing[3];      /* nm per voxel along x, y, z */
  bool spacing_known;     /* false: the file had no voxel size; spacing is 1 nm */
  float *data;            /* nx*ny*nz, x fastest */
  /* How to release data: NULL = ps_aligned_free. */
  PsDataFree data_free;
  void *data_free_user;
} PsVolume;

typedef struct PsLabels
{
  atomic_int ref_count;
  size_t nx, ny, nz;
  double spacing[3];
  bool spacing_known;
  uint32_t n_labels;      /* labels are 1..n_labels; 0 = background */
  uint32_t *data;
} PsLabels;

/* An axis-aligned box of voxels: origin (x0, y0, z0), size (nx, ny, nz). */
typedef struct
{
  size_t x0, y0, z0;
  size_t nx, ny, nz;
} PsBox;

/* ---- PsVolume ---------------------------------------------------------- */

/* A new zero-filled volume with 1 nm unknown spacing. NULL on failure, with
 * *status set (TOO_LARGE when the size overflows or exceeds the memory
 * budget, NO_MEMORY when the allocation fails). @status may be NULL. */
PsVolume *ps_volume_new (size_t nx, size_t ny, size_t nz, PsStatus *status);
/* As ps_volume_new() but the data are not cleared. */
PsVolume *ps_volume_new_uninit (size_t nx, size_t ny, size_t nz, PsStatus *status);
/* Wrap caller-provided data (e.g. an mmap); @free_func releases it. */
PsVolume *ps_volume_new_wrap (size_t nx, size_t ny, size_t nz, float *data,
                              PsDataFree free_func, void *free_user);
PsVolume *ps_volume_ref (PsVolume *vol);
void ps_volume_unref (PsVolume *vol);

static inline size_t
ps_volume_n_voxels (const PsVolume *vol)
{
  return vol->nx * vol->ny * vol->nz;
}

static inline size_t
ps_volume_index (const PsVolume *vol, size_t x, size_t y, size_t z)
{
  return (z * vol->ny + y) * vol->nx + x;
}

static inline float
ps_volume_get (const PsVolume *vol, size_t x, size_t y, size_t z)
{
  return vol->data[ps_volume_index (vol, x, y, z)];
}

/* Set the voxel size in nm (all > 0 and finite) and mark it known. */
void ps_volume_set_spacing (PsVolume *vol, double dx, double dy, double dz);

/* A copy of the data inside @box (which must lie inside @vol). */
PsVolume *ps_volume_crop (const PsVolume *vol, const PsBox *box, PsStatus *status);

/* A copy with y and z exchanged (IMOD writes reconstructions as x, z, y). */
PsVolume *ps_volume_swap_yz (const PsVolume *vol, PsStatus *status);

/* A copy with axes permuted: output axis a is input axis order[a]
 * (order is a permutation of {0, 1, 2}). Spacing is permuted along. */
PsVolume *ps_volume_permute (const PsVolume *vol, const int order[3], PsStatus *status);

/* A full copy. */
PsVolume *ps_volume_copy (const PsVolume *vol, PsStatus *status);

/* Copy spacing and its known flag from @src to @dst. */
void ps_volume_copy_geometry (PsVolume *dst, const PsVolume *src);

/* ---- PsLabels ---------------------------------------------------------- */

PsLabels *ps_labels_new (size_t nx, size_t ny, size_t nz, PsStatus *status);
PsLabels *ps_labels_ref (PsLabels *labels);
void ps_labels_unref (PsLabels *labels);
/* Recompute n_labels as the maximum label. */
void ps_labels_update_count (PsLabels *labels);

/* ---- PsBox --------------------------------------------------------------- */

/* True when @box is non-empty and lies within nx × ny × nz. */
bool ps_box_inside (const PsBox *box, size_t nx, size_t ny, size_t nz);
static inline PsBox
ps_box_full (size_t nx, size_t ny, size_t nz)
{
  PsBox b = { 0, 0, 0, nx, ny, nz };
  return b;
}

#ifdef __cplusplus
}
#endif
