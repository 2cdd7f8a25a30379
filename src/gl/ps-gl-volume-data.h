/* SPDX-License-Identifier: GPL-3.0-or-later */
/* ps-gl-volume-data.h: CPU-side contents of the 3D view's textures.
 *
 * Made from a PsVolume (and optionally pore/carbon labels) on any thread
 * (ps-render-prep.h does the work); uploaded by PsGlRenderer on the GL thread.
 * Holds the reduction factor chosen against the GPU's 3D texture limit and a
 * memory budget, and the notice telling the user about it.
 */
#pragma once

#include <glib.h>

#include "ps-render-prep.h"
#include "ps-volume.h"

G_BEGIN_DECLS

typedef struct
{
  gsize max_3d_size;        /* GL_MAX_3D_TEXTURE_SIZE */
  gsize budget_bytes;       /* intensity + labels textures together */
  PsRenderTexFormat format; /* preferred intensity format (U16 normally) */
  int n_threads;            /* 0 = all */
  gboolean auto_u8;         /* U16 requested but the data are 8-bit integers: use U8 */
} PsGlVolumeLimits;

typedef struct
{
  /* Source geometry. */
  gsize src_dims[3];
  double src_spacing[3];    /* nm */
  gboolean spacing_known;
  /* Texture geometry. */
  int factor;               /* ≥ 1: texture voxel = factor³ source voxels */
  gsize dims[3];
  PsRenderTexFormat format;
  double lo, hi;            /* raw values mapped to 0 and 1 */
  double data_min, data_max;/* finite range of the data (default window) */
  gpointer intensity;       /* dims voxels of format; NULL when only labels were made */
  gsize code_size;          /* 0: no labels */
  gpointer codes;
  gsize brick_dims[3];
  guint16 *bricks;          /* 4 per brick */
  char *notice;             /* non-NULL when reduced: what and why, for the user */
} PsGlVolumeData;

/* The budget used when the caller gives none: $PORESCOPE_GL_BUDGET (bytes,
 * K/M/G suffix) if set, else min(2 GiB, a third of the available memory). */
gsize ps_gl_default_texture_budget (void);

/* Make everything for @vol with optional labels (same size as @vol).
 * Fails with PS_ERROR TOO_LARGE when nothing fits, G_IO_ERROR_CANCELLED when
 * @progress's flag is set. */
PsGlVolumeData *ps_gl_volume_data_new (const PsVolume *vol, const PsLabels *pores,
                                       const PsLabels *carbon, const PsGlVolumeLimits *limits,
                                       const PsProgress *progress, GError **error);

/* Labels only, for a volume already prepared as @base (factor, dims, bricks
 * are taken from it). @pores and @carbon may both be NULL (labels removed). */
PsGlVolumeData *ps_gl_volume_data_new_labels (const PsGlVolumeData *base, const PsLabels *pores,
                                              const PsLabels *carbon, const PsGlVolumeLimits *limits,
                                              const PsProgress *progress, GError **error);

void ps_gl_volume_data_free (PsGlVolumeData *data);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PsGlVolumeData, ps_gl_volume_data_free)

G_END_DECLS
