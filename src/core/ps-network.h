/* SPDX-License-Identifier: GPL-3.0-or-later */
/* ps-network.h: the pore network model of a separated pore label volume.
 *
 * A node per pore object (label l ↔ node l − 1, 0-based as in OpenPNM), a
 * throat per pair of objects that share at least one voxel face (6-adjacency:
 * objects meeting only along an edge or at a corner share no area and get no
 * throat). Per throat:
 * - area_nm2: the summed area of the shared voxel faces (a face normal to x
 *   counts dy·dz, and so on). This is the area of the staircase interface; on
 *   an oblique flat interface it over-estimates the true area by the factor
 *   |n_x| + |n_y| + |n_z| ≤ √3 (1 on axis-aligned necks).
 * - inscribed_diameter_nm: twice the largest distance to the other phase on
 *   the interface. At a shared face between voxels p and q the distance at the
 *   face centre is taken as (D(p) + D(q)) / 2, D the phase's distance map
 *   (nm); the throat's value is 2 × the maximum over its faces. For a neck of
 *   radius r between two spheres this is ≈ 2r. NaN without a distance map.
 * - length_nm: the distance between the two objects' centroids.
 * The coordination number of a node is the number of its throats.
 *
 * Throats are sorted by (node_a, node_b), node_a < node_b. Reductions are
 * exact (integer sums, maxima), so the result does not depend on threads.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "ps-edt.h"
#include "ps-measure.h"
#include "ps-status.h"
#include "ps-volume.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct
{
  uint32_t label_a, label_b;      /* label_a < label_b; nodes are label − 1 */
  uint64_t faces[3];              /* shared faces normal to x, y, z */
  double area_nm2;
  double inscribed_diameter_nm;
  double length_nm;
} PsThroat;

typedef struct
{
  size_t n_nodes;                 /* = labels->n_labels */
  uint32_t *coordination;         /* n_nodes */
  size_t n_throats;
  PsThroat *throats;
} PsNetwork;

typedef struct
{
  const PsLabels *labels;         /* required */
  const PsDistanceMap *distance;  /* nullable: the phase's distance map */
  const PsObjectTable *objects;   /* nullable: centroids for length_nm (else NaN) */
  int n_threads;                  /* 0 = all */
} PsNetworkParams;

PsStatus ps_network_validate (const PsNetworkParams *params);
PsStatus ps_network_run (const PsNetworkParams *params, PsNetwork **out, const PsProgress *progress);
void ps_network_free (PsNetwork *network);

#ifdef __cplusplus
}
#endif
