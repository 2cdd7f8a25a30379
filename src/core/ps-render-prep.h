/* SPDX-License-Identifier: GPL-3.0-or-later */
/* ps-render-prep.h: CPU preparation of the 3D view's textures.
 *
 * The GPU ray caster (src/gl) samples three 3D textures; these kernels make
 * their contents on the CPU so a worker thread can do it while the GL thread
 * only uploads:
 *
 *  - the intensity texture: the float volume mapped linearly from the data
 *    range [lo, hi] onto [0, 1] and stored as u8, u16 (normalised) or f32.
 *    Window/level is applied in the shader, so changing it never re-uploads.
 *  - the label-code texture: one unsigned code per voxel combining the phase
 *    (bits 0–1: 0 none, 1 carbon, 2 pore) and the object label (bits 2…),
 *    so the shader colours phases and finds a highlighted object with one
 *    nearest-neighbour fetch. Label ids are never interpolated.
 *  - the brick grid used for empty-space skipping (Krüger & Westermann, "Acceleration
 *    techniques for GPU-based volume rendering", IEEE Visualization 2003): per
 *    brick of PS_RENDER_BRICK³ texture voxels the minimum and maximum of the
 *    normalised intensity over the brick grown by one voxel on every side
 *    (trilinear sampling inside a brick reads its neighbours' first voxel)
 *    and which phases occur.
 *
 * Volumes larger than the GPU allows are reduced by an integer factor f:
 * intensities by the mean of each f³ block (clipped at the far faces), labels by
 * the voxel nearest the block's centre (ids stay valid). The caller picks f with
 * ps_render_choose_factor() and must tell the user (never silently).
 *
 * Output is identical for any thread count (every output voxel is computed
 * from its own block by a fixed loop order).
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "ps-status.h"
#include "ps-volume.h"

#ifdef __cplusplus
extern "C" {
#endif

#define PS_RENDER_BRICK 8

typedef enum
{
  PS_RENDER_TEX_U8,
  PS_RENDER_TEX_U16,
  PS_RENDER_TEX_F32,
} PsRenderTexFormat;

enum
{
  PS_RENDER_PHASE_NONE = 0,
  PS_RENDER_PHASE_CARBON = 1,
  PS_RENDER_PHASE_PORE = 2,
};

/* Brick occupancy bits (the brick texture's third channel). */
enum
{
  PS_RENDER_OCC_NONE = 1,   /* a voxel with code 0 */
  PS_RENDER_OCC_CARBON = 2, /* a carbon-labelled voxel */
  PS_RENDER_OCC_PORE = 4,   /* a pore-labelled voxel */
};

size_t ps_render_tex_format_size (PsRenderTexFormat format);

/* Output size along an axis of @n voxels reduced by @factor: ceil(n / factor). */
static inline size_t
ps_render_reduced (size_t n, int factor)
{
  return (n + (size_t) factor - 1) / (size_t) factor;
}

/* The smallest factor f ≥ 1 such that every reduced dimension is ≤ @max_dim
 * and the reduced textures (@bytes_per_voxel bytes per reduced voxel, the sum
 * over intensity and labels) take ≤ @budget_bytes. Returns 0 when even
 * f = max(nx, ny, nz) does not fit. */
int ps_render_choose_factor (size_t nx, size_t ny, size_t nz, size_t max_dim,
                             size_t bytes_per_voxel, size_t budget_bytes);

/* True when every finite value of @vol is an integer and max − min ≤ 255:
 * an 8-bit texture over [min, min + 255] then holds the data exactly (8-bit
 * files, the common case, sample half the memory). */
bool ps_render_volume_fits_u8 (const PsVolume *vol, double min, double max, int n_threads);

typedef struct
{
  const PsVolume *volume;
  int factor;               /* ≥ 1 */
  PsRenderTexFormat format;
  double lo, hi;            /* raw value mapped to 0 and 1 (hi > lo); NaN → 0 */
  int n_threads;            /* 0 = all */
} PsRenderVolumeParams;

PsStatus ps_render_volume_validate (const PsRenderVolumeParams *params);
/* Writes reduced nx·ny·nz values of the format into @out (caller-owned,
 * x fastest). */
PsStatus ps_render_volume_run (const PsRenderVolumeParams *params, void *out,
                               const PsProgress *progress);

typedef struct
{
  const PsLabels *pores;    /* nullable: label > 0 = pore object */
  const PsLabels *carbon;   /* nullable: label > 0 = carbon object */
  int factor;
  size_t code_size;         /* 2 (u16 codes, ids < 2^14) or 4 (u32, ids < 2^30) */
  int n_threads;
} PsRenderLabelsParams;

/* Bytes per code needed for the largest label of @pores/@carbon (2 or 4);
 * 0 if an id does not fit in 30 bits. */
size_t ps_render_labels_code_size (const PsLabels *pores, const PsLabels *carbon);
PsStatus ps_render_labels_validate (const PsRenderLabelsParams *params);
/* Pores win where both are labelled. */
PsStatus ps_render_labels_run (const PsRenderLabelsParams *params, void *out,
                               const PsProgress *progress);

static inline uint32_t
ps_render_code (uint32_t phase, uint32_t label)
{
  return (label << 2) | phase;
}

typedef struct
{
  const void *intensity;    /* the reduced intensity texture data; NULL: keep the
                               min/max already in @out, update occupancy only */
  PsRenderTexFormat format;
  const void *codes;        /* nullable: the reduced label codes */
  size_t code_size;
  size_t nx, ny, nz;        /* reduced (texture) size */
  int n_threads;
} PsRenderBricksParams;

static inline size_t
ps_render_n_bricks (size_t n)
{
  return (n + PS_RENDER_BRICK - 1) / PS_RENDER_BRICK;
}

/* @out holds 4 uint16 per brick: min and max of the normalised intensity in
 * 1/65535 units (floor and ceiling, so comparisons stay conservative), the
 * occupancy bits, 0. Bricks are x fastest. */
PsStatus ps_render_bricks_run (const PsRenderBricksParams *params, uint16_t *out);

#ifdef __cplusplus
}
#endif
