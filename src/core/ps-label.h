/* SPDX-License-Identifier: GPL-3.0-or-later */
/* ps-label.h: connected-component labelling of a binary mask.
 *
 * The phase (mask != 0, or mask == 0 with @invert) is split into connected
 * components under 6- (faces), 18- (faces + edges) or 26-adjacency (faces,
 * edges, corners). Labels are 1 … n in raster order of each component's first
 * voxel (x fastest, z slowest); other voxels are 0. The partition equals
 * scipy.ndimage.label(mask, structure=generate_binary_structure(3, c)), c = 1,
 * 2, 3, and so does the numbering.
 *
 * Algorithm: run-based two-pass union-find (cf. He, Chao & Suzuki, "Fast
 * connected-component labeling", Pattern Recognition 42:1977, 2009, and the
 * run-based variant of Lacassagne & Zavidovique 2011). Pass 1 cuts every
 * row into runs of phase voxels, gives each run a provisional label (its
 * global run number, so labels are already in raster order) and unites it
 * with the runs it touches in the previous row of the slice and in the
 * previous slice; z-slabs are done in parallel and then stitched at their
 * boundaries; union always keeps the smaller run number as the root, so the
 * root of a component is its first run and the final numbering is a
 * prefix count of roots. Pass 2 rewrites provisional labels, in parallel.
 * Memory beyond the output: 4 bytes per run.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ps-grid.h"
#include "ps-status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct
{
  int connectivity;     /* 6, 18 or 26 */
  bool invert;          /* false: phase = mask != 0; true: phase = mask == 0 */
  int n_threads;        /* 0 = all available */
} PsLabelParams;

/* Connectivity 26, phase = nonzero, all threads. */
void ps_label_params_init (PsLabelParams *params);

PsStatus ps_label_validate (const PsLabelParams *params, const PsGrid *grid);

/* Label @mask (nx·ny·nz bytes) into @labels (nx·ny·nz uint32, caller-owned);
 * the component count goes to *n_labels. TOO_LARGE when the mask has 2^32 − 1
 * or more runs. The grid's spacing is not used. */
PsStatus ps_label_run (const PsLabelParams *params, const PsGrid *grid, const uint8_t *mask,
                       uint32_t *labels, uint32_t *n_labels, const PsProgress *progress);

#ifdef __cplusplus
}
#endif
