/* SPDX-License-Identifier: GPL-3.0-or-later */
/* ps-subvolume.h: subvolume specifications as SPEC.md writes them.
 *
 *   ORIGIN:SIZE   e.g. "10,12,8:23.9x29.6x33.1"       (nm)
 *                      "0,0,0vox:64x64x64vox"          (voxels)
 *   SIZE alone, centred (--subvolume-center): "23.9x29.6x33.1"
 *
 * Each part is in nm unless it ends in "vox" ("nm" may be written). Sizes
 * round to the nearest whole voxel (at least 1); an origin in nm rounds to the
 * nearest voxel boundary. A centred box of s voxels on an axis of n starts at
 * floor((n − s) / 2). The resolved box's exact extent in nm is
 * origin_vox·spacing and size_vox·spacing, which callers report back.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "ps-volume.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct
{
  bool centred;          /* no origin given: centre the box */
  double origin[3];      /* x, y, z */
  bool origin_in_voxels;
  double size[3];
  bool size_in_voxels;
} PsSubvolumeSpec;

/* Parse @text into @spec; @centred selects the SIZE-only form. On failure
 * returns false and writes a reason into @why (may be NULL). */
bool ps_subvolume_parse (const char *text, bool centred, PsSubvolumeSpec *spec,
                         char *why, size_t why_len);

/* Resolve @spec against a volume of nx × ny × nz with @spacing (nm) into a
 * voxel box. Fails (with a reason) when the box leaves the volume. */
bool ps_subvolume_resolve (const PsSubvolumeSpec *spec, size_t nx, size_t ny, size_t nz,
                           const double spacing[3], PsBox *box, char *why, size_t why_len);

#ifdef __cplusplus
}
#endif
