/* SPDX-License-Identifier: GPL-3.0-or-later */
/* ps-measure.h: per-object statistics of a label volume, in one pass.
 *
 * For every label 1..n of a PsLabels (pores or carbon building units) this
 * computes the SPEC.md columns of pores.csv / carbon.csv: voxel count,
 * volume, equivalent diameter, inscribed diameter, surface area, sphericity,
 * centroid, bounding box, touches_border, open, mean intensity — plus the
 * Miles–Lantuéjoul edge-correction weight used by the size distributions.
 *
 * Frames and units
 * - Voxel (i, j, k) of the label volume covers [i·dx, (i+1)·dx) × … (nm) from
 *   the label volume's corner (ps-volume.h). Centroids are reported in nm in
 *   the frame whose origin is @origin_nm below the label volume's corner: the
 *   analysis passes the subvolume's corner position in the full volume, so
 *   centroids (and seeds, network nodes) are in the full volume's frame.
 * - Bounding boxes are voxel indices of the label volume (pores.tif), lo
 *   inclusive, hi exclusive (as scikit-image's regionprops and
 *   scipy.ndimage.find_objects slices).
 *
 * Surface area: Crofton's formula on the 13 lattice directions of the 3×3×3
 * neighbourhood (Ohser & Mücklich, "Statistical Analysis of Microstructures
 * in Materials Science", Wiley 2000, ch. 4; Legland, Kiêu & Devaux, Image
 * Anal. Stereol. 26:83, 2007 — the estimator MorphoLibJ's "Analyze Regions
 * 3D" uses). Along each direction d the number N_d of voxel pairs (p, p+d)
 * with p inside and p+d outside the object (or vice versa) counts the
 * intersections of the object's surface with the lattice lines of direction
 * d, each line standing for an area v/|d| of the perpendicular plane (v the
 * voxel volume, |d| in nm). Cauchy–Crofton then gives
 *     S = 2 · Σ_d c_d · N_d · v / |d|,
 * with c_d the fraction of the unit sphere closer to ±d than to any other
 * direction (Voronoi weights; computed for the actual anisotropic spacing).
 * For any surface whose normals are spread isotropically (a sphere) this is
 * unbiased whatever the weights; on digital spheres of radius ≥ 5 voxels it
 * is within 1 % of 4πR². Marching cubes on the binary mask, by contrast,
 * over-estimates by ≈ 8–9 % (measured with scikit-image, see
 * docs/architecture.md) and costs far more. The surface of an object is its
 * whole boundary — against the other phase and against neighbouring objects
 * of the same phase — except the faces of the analysed box, which are no
 * surface of the material (such objects are flagged touches_border).
 *
 * Inscribed diameter: 2 × the maximum over the object of @distance, the
 * phase's Euclidean distance map (ps-edt.h: nm from a voxel centre to the
 * nearest voxel centre of the other phase; exact squared integers or float
 * nm). NaN when no map is given; +Inf for a phase without any background.
 *
 * Miles–Lantuéjoul weight (Miles 1974; Lantuéjoul 1980): an object that does
 * not touch the box faces and whose bounding box spans b_i voxels of the n_i
 * of axis i could have been placed at n_i − b_i − 1 of n_i positions along
 * that axis without touching a face, so it is counted with weight
 *     w = Π_i n_i / (n_i − b_i − 1);
 * objects touching a face get w = 0. Σ w over a size class estimates the
 * number of such objects per box volume without the bias against large
 * objects that dropping border objects introduces.
 *
 * Determinism: the volume is cut into fixed chunks of rows (independent of
 * the thread count); each chunk accumulates its labels' partial sums in
 * raster order and the partials are combined in chunk order, so the floating
 * point results are identical for 1 and N threads.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ps-edt.h"
#include "ps-status.h"
#include "ps-volume.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The 13 forward lattice directions used for surface area, in this order:
 * (1,0,0) (0,1,0) (1,1,0) (-1,1,0) (0,0,1) (1,0,1) (-1,0,1) (0,1,1)
 * (1,1,1) (-1,1,1) (0,-1,1) (1,-1,1) (-1,-1,1). */
#define PS_MEASURE_N_DIRECTIONS 13
extern const int ps_measure_directions[PS_MEASURE_N_DIRECTIONS][3];

typedef struct
{
  uint32_t label;
  uint64_t voxels;
  double volume_nm3;
  double equivalent_diameter_nm;  /* (6V/π)^(1/3) */
  double inscribed_diameter_nm;   /* 2 × max distance; NaN without a distance map */
  double surface_area_nm2;        /* Crofton, 13 directions; 0 if no boundary inside the box */
  double sphericity;              /* π^(1/3)(6V)^(2/3)/S (Wadell); NaN when S = 0 or
                                   * touches_border (a cut object's S lacks the cut) */
  double centroid_nm[3];          /* in the frame given by PsMeasureParams.origin_nm */
  uint32_t bbox_lo[3];            /* inclusive voxel indices of the label volume */
  uint32_t bbox_hi[3];            /* exclusive */
  bool touches_border;            /* has a voxel on a face of the label volume */
  bool open;                      /* has a voxel marked in PsMeasureParams.exterior */
  double mean_intensity;          /* mean of the finite intensities; NaN if none */
  double edge_weight;             /* Miles–Lantuéjoul weight; 0 when touches_border */
} PsObjectStats;

typedef struct
{
  size_t n_objects;           /* = labels->n_labels; objects[i] is label i + 1 */
  PsObjectStats *objects;     /* labels with no voxel have voxels = 0 */
  size_t dims[3];             /* the label volume's size (voxels) */
  double spacing[3];          /* nm */
} PsObjectTable;

typedef struct
{
  const PsLabels *labels;     /* required; labels 1..n_labels, 0 = not an object */
  const float *intensity;     /* nullable; same geometry (mean_intensity) */
  const PsDistanceMap *distance; /* nullable; the phase's distance map (inscribed diameter) */
  const uint8_t *exterior;    /* nullable; non-zero = connected to the sample exterior (open) */
  double origin_nm[3];        /* the label volume's corner in the reporting frame (nm) */
  int n_threads;              /* 0 = all */
} PsMeasureParams;

PsStatus ps_measure_validate (const PsMeasureParams *params);

/* Measure every label. On success *out owns a new table (free with
 * ps_object_table_free). */
PsStatus ps_measure_run (const PsMeasureParams *params, PsObjectTable **out,
                         const PsProgress *progress);

void ps_object_table_free (PsObjectTable *table);

/* Crofton weights c_d (sum 1) for @spacing (nm): the fraction of the unit
 * sphere nearer (in angle) to ±d than to any other of the 13 directions,
 * d taken in physical units. Deterministic numerical integration (accurate
 * to ~5e-5); the last result is cached. */
void ps_measure_crofton_weights (const double spacing[3], double weights[PS_MEASURE_N_DIRECTIONS]);

/* Equivalent diameter (nm) of a volume in nm³. */
double ps_measure_equivalent_diameter (double volume_nm3);

#ifdef __cplusplus
}
#endif
