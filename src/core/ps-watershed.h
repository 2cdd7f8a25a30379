/* SPDX-License-Identifier: GPL-3.0-or-later */
/* ps-watershed.h: marker-controlled watershed on the negated distance map.
 *
 * Inside the region R = {d > 0} (or a given mask) the seeds flood the
 * landscape −d: a priority flood (Meyer 1991; Beucher & Meyer 1993) that
 * always extends the frontier voxel with the largest d, FIFO among equal d,
 * and labels a voxel when it is first reached (the label of the voxel that
 * reached it). This is skimage.segmentation.watershed(−d, markers, mask=R,
 * connectivity) without watershed lines; the two differ only in the order of
 * voxels with equal d that are reached in the same step (skimage's heap is
 * not FIFO among initial markers), i.e. on plateau ties.
 *
 * Queue: on integer squared distances (PsDistanceMap.dist2) an exact bucket
 * queue — one FIFO per squared distance, linear time; on float distances a
 * binary heap keyed by (d, arrival). Both are deterministic, and each
 * connected component of R is flooded on its own so the components can be
 * spread over threads: the output is the same for any thread count.
 *
 * Labels: seeds of one group flood one object. The groups present in R get
 * labels 1 … G in increasing group order; seeds outside R are ignored. With
 * label_unseeded (the default), each component of R that holds no seed gets
 * one further label (G+1, … in raster order of its first voxel), so no pore
 * or carbon volume silently disappears from the statistics; otherwise such
 * components stay 0. Voxels outside R are 0.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ps-edt.h"
#include "ps-grid.h"
#include "ps-seeds.h"
#include "ps-status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct
{
  int connectivity;      /* 6, 18 or 26 */
  bool label_unseeded;   /* give seedless components a label of their own */
  int n_threads;         /* 0 = all available */
} PsWatershedParams;

/* Connectivity 26, label_unseeded, all threads. */
void ps_watershed_params_init (PsWatershedParams *params);

PsStatus ps_watershed_validate (const PsWatershedParams *params, const PsGrid *grid,
                                const PsDistanceMap *dist);

/* Flood @seeds over −@dist inside @mask (nonzero = region; NULL = {d > 0})
 * into @labels (nx·ny·nz uint32, caller-owned; may be the scratch buffer
 * given to ps_seeds_hmaxima). The number of labels goes to *n_labels. */
PsStatus ps_watershed_run (const PsWatershedParams *params, const PsGrid *grid,
                           const PsDistanceMap *dist, const uint8_t *mask,
                           const PsSeedList *seeds, uint32_t *labels, uint32_t *n_labels,
                           const PsProgress *progress);

#ifdef __cplusplus
}
#endif
