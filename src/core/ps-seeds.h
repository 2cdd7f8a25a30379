/* SPDX-License-Identifier: GPL-3.0-or-later */
/* ps-seeds.h: watershed seeds — h-maxima of the distance map plus edits.
 *
 * A seed is one voxel and a *group*: the watershed floods all seeds of one
 * group into one object, so merging two objects is giving their seeds one
 * group, and an edited seed list (add, remove, merge) is all the GUI and the
 * pipeline need to keep. Lists are plain arrays the caller may edit.
 *
 * h-maxima ("marker extent" h, nm). The distance map d is restricted to the
 * region R = {d > 0} (or a given mask); outside R it counts as −∞, so each
 * connected component of R is a separate landscape. A regional maximum
 * plateau M at level P survives when the connected component of
 * {x ∈ R : d(x) > P − h} that contains M has no value above P — equivalently,
 * when its dynamic (P minus the highest level at which M can reach a higher
 * maximum; Grimaud 1992) is ≥ h. Equal maxima joined above P − h both
 * survive. For h > 0 this is exactly skimage.morphology.h_maxima(d, h,
 * footprint) restricted to R, with one deliberate difference: the highest
 * maximum of every component of R always survives (its dynamic is infinite),
 * so no pore is left without a seed even when its radius is below h
 * (skimage compares with the whole image, including d = 0 outside R, and
 * returns nothing at all when h exceeds the image's range). h = 0 keeps every
 * regional maximum.
 *
 * Algorithm (no flood: a flood is memory-latency bound on large components,
 * whose level sets are thin shells over the whole component): (1) every
 * voxel points to its strictly highest neighbour (parallel); (2) plateaus
 * without a higher neighbour are the regional maxima, the other plateaus
 * get pointers to an exit by breadth-first search; (3) pointer chains are
 * resolved to basins (parallel); (4) neighbouring voxels of different
 * basins give an edge at level min(d); (5) edges in decreasing level join
 * basins (union-find, Kruskal); when two roots join at level v the one with
 * the lower peak P has its undecided maxima decided with dynamic P − v
 * (survive iff ≥ h; h = 0: iff > 0), equal peaks join undecided. This gives
 * exactly the flooding definition above: within a basin every voxel climbs
 * to its maximum through higher voxels, so bottlenecks between maxima are
 * the same through voxels and through basin edges, and joins at one level
 * decide the same maxima in any order. Exact on integer squared distances
 * (counting sort of the edges), float distances use a radix sort. Memory:
 * the caller's uint32 scratch volume (the watershed's label buffer can be
 * lent) plus ~12 bytes per basin-boundary voxel for the edges.
 *
 * Seeds come out in raster order of their voxel, one per surviving plateau
 * (its first voxel in raster order — flooding from any plateau voxel floods
 * the whole plateau first, so the watershed does not depend on the choice),
 * with groups 1, 2, 3, … in that order.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ps-edt.h"
#include "ps-grid.h"
#include "ps-status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum
{
  PS_SEED_AUTO = 0,     /* from h-maxima */
  PS_SEED_MANUAL = 1,   /* added by the user (GUI click, --seeds CSV) */
} PsSeedOrigin;

typedef struct
{
  uint32_t x, y, z;     /* voxel */
  uint32_t group;       /* ≥ 1; seeds sharing a group become one object */
  float dist_nm;        /* distance-map value at the seed (NaN when unknown) */
  float dynamic_nm;     /* h-maxima: the maximum's dynamic, INFINITY for the
                         * highest maximum of its component; manual: NaN */
  uint8_t origin;       /* PsSeedOrigin */
} PsSeed;

typedef struct
{
  PsSeed *items;
  size_t n;
  size_t capacity;
} PsSeedList;

/* ---- the list --------------------------------------------------------- */

void ps_seed_list_init (PsSeedList *list);
/* Frees the items and empties the list. */
void ps_seed_list_clear (PsSeedList *list);
PsStatus ps_seed_list_copy (PsSeedList *dst, const PsSeedList *src);
PsStatus ps_seed_list_append (PsSeedList *list, const PsSeed *seed);
void ps_seed_list_remove_index (PsSeedList *list, size_t index);
/* One more than the largest group in use (1 for an empty list). */
uint32_t ps_seed_list_next_group (const PsSeedList *list);

/* The voxel containing the point @pos_nm (volume frame: voxel i covers
 * [i·dx, (i+1)·dx) nm); false when the point lies outside the grid. */
bool ps_grid_voxel_at_nm (const PsGrid *grid, const double pos_nm[3], size_t voxel[3]);
/* Centre of @voxel in nm: ((i + ½)·dx, …). */
void ps_grid_voxel_centre_nm (const PsGrid *grid, const size_t voxel[3], double pos_nm[3]);

/* ---- edits ------------------------------------------------------------ */

/* Add a manual seed at @pos_nm as a new object (a new group). @dist may be
 * NULL (dist_nm is then NaN). INVALID_PARAMETER when outside the grid.
 * The index of the new seed goes to *index (may be NULL). */
PsStatus ps_seed_list_add_nm (PsSeedList *list, const PsGrid *grid, const double pos_nm[3],
                              const PsDistanceMap *dist, size_t *index);

/* Index of the seed whose voxel centre is nearest to @pos_nm (Euclidean, nm),
 * if within @max_dist_nm; SIZE_MAX otherwise. Ties: the lowest index. */
size_t ps_seed_list_nearest (const PsSeedList *list, const PsGrid *grid,
                             const double pos_nm[3], double max_dist_nm);

/* Remove the seed nearest to @pos_nm within @max_dist_nm; false when none. */
bool ps_seed_list_remove_nm (PsSeedList *list, const PsGrid *grid, const double pos_nm[3],
                             double max_dist_nm);

/* All seeds of group @b join group @a. */
void ps_seed_list_merge_groups (PsSeedList *list, uint32_t a, uint32_t b);

/* Merge the two objects of a watershed result (@labels from ps_watershed_run
 * with this list) that contain the points @pos_a_nm and @pos_b_nm: every seed
 * lying in b's object joins the group of a's. An object without a seed (an
 * unseeded component) first gets a manual seed at the given point.
 * INVALID_PARAMETER when a point is outside the grid or on label 0; merging
 * an object with itself is a no-op. */
PsStatus ps_seed_list_merge_at (PsSeedList *list, const PsGrid *grid, const uint32_t *labels,
                                const double pos_a_nm[3], const double pos_b_nm[3]);

/* ---- h-maxima --------------------------------------------------------- */

typedef struct
{
  double h_nm;          /* marker extent (minimum dynamic) in nm, ≥ 0 */
  int connectivity;     /* 6, 18 or 26: adjacency of plateaus and of the flood */
  int n_threads;        /* 0 = all available */
} PsHMaximaParams;

/* h = ps_hmaxima_default_h_nm() of a 1 nm grid, connectivity 26, all threads. */
void ps_hmaxima_params_init (PsHMaximaParams *params);

/* The default marker extent for @grid, in nm: the h that separated touching
 * pores best on phantoms (measured; see docs/architecture.md, "Segmentation
 * kernels"), expressed in voxels of the smallest spacing. */
double ps_hmaxima_default_h_nm (const PsGrid *grid);

PsStatus ps_hmaxima_validate (const PsHMaximaParams *params, const PsGrid *grid,
                              const PsDistanceMap *dist);

/* Replace @seeds' contents with the h-maxima seeds of @dist inside @mask
 * (nonzero = region; NULL = {d > 0}). @scratch: nx·ny·nz uint32 the kernel
 * may overwrite (e.g. the label buffer later given to ps_watershed_run), or
 * NULL to allocate one internally. */
PsStatus ps_seeds_hmaxima (const PsHMaximaParams *params, const PsGrid *grid,
                           const PsDistanceMap *dist, const uint8_t *mask, uint32_t *scratch,
                           PsSeedList *seeds, const PsProgress *progress);

#ifdef __cplusplus
}
#endif
