/* SPDX-License-Identifier: GPL-3.0-or-later */
/* ps-analysis.h: THE analysis pipeline. The CLI (`porescope-cli analyze`),
 * the GUI and `porescope-cli run` all call ps_analysis_run(), so the numbers
 * and files they produce are identical for identical parameters.
 *
 *   volume ─crop─▶ subvolume ─smooth─▶ smoothed ─threshold─▶ pore mask
 *        │                                   └──────────▶ porosity sweep
 *        └─smooth+threshold (full volume, slabs)─▶ label ─▶ exterior (open pores)
 *   pore mask ─EDT─▶ distance maps (pores, carbon) ─▶ local thickness (both)
 *   distance ─h-maxima + seed edits─▶ seeds ─watershed─▶ labels (per phase)
 *   labels ─▶ object tables (ps-measure), pore network (ps-network),
 *             histograms, porosities, summary numbers
 *
 * Frames and units (SPEC.md): positions a person gives or reads (seed edits,
 * centroids, network nodes) are nm in the *full volume's* frame (voxel i
 * covers [i·dx, (i+1)·dx) from the loaded volume's corner), so they survive
 * moving the subvolume. Voxel indices in the results (labels, masks,
 * bounding boxes, PsSeed x/y/z) are those of the subvolume (pores.tif);
 * add box.x0/y0/z0 for the full volume's indices.
 *
 * Phases: pore = smoothed value < threshold, carbon = the rest (NaN is
 * carbon). Porosity = pore voxels / subvolume voxels; open porosity = pore
 * voxels connected through face-adjacent pore voxels (6-connectivity,
 * whatever params.connectivity says: a channel must be at least one voxel
 * face wide) to the outer faces of the FULL volume, computed on the full volume smoothed and
 * thresholded exactly like the subvolume (so a pore that leaves the
 * subvolume and reaches the sample surface elsewhere is open); closed
 * porosity = porosity − open porosity. A subvolume that includes vacuum
 * around a particle counts the vacuum as pore space: choose the subvolume
 * inside the material.
 *
 * Seed edits are applied per phase — the phase at the edit's position
 * decides which — in this order: adds (a new object each), then, on the
 * watershed of the seeds so far, merges (the objects containing a and b
 * become one) and removes (every seed of the object containing the point
 * is dropped; its volume is flooded by the neighbours, or keeps a label of
 * its own if it is an isolated component), then the watershed again. Edits
 * outside the subvolume, or merges across phases, are counted in
 * n_edits_ignored and otherwise ignored.
 *
 * Resuming (what makes the GUI's sliders live): ps_analysis_run() takes the
 * previous result and reuses every stage whose inputs did not change. The
 * stages and what invalidates them:
 *
 *   stage            recomputed when any of these changed
 *   CROP/SMOOTH      volume (pointer), subvolume, smoothing
 *   SWEEP            the above, sweep_steps
 *   MASK             the above, threshold (mode or value)
 *   EXTERIOR         volume, smoothing, threshold (NOT the subvolume: the
 *                    full-volume exterior is kept and cropped)
 *   DISTANCE         MASK
 *   THICKNESS        DISTANCE, local_thickness
 *   PORES / CARBON   DISTANCE, connectivity, that phase's h, that phase's
 *                    edits (each phase separately)
 *   MEASURE/NETWORK  the phase's labels, EXTERIOR (pores)
 *   HISTOGRAMS       always (cheap)
 *
 * So moving the h slider recomputes only seeds → watershed → measure of
 * that phase; a seed click only that phase's; the threshold slider
 * everything from MASK on but not the smoothing. n_threads never
 * invalidates anything: every stage gives the same bits for any thread
 * count. The previous result is only read (shared buffers are reference
 * counted and immutable), so the GUI may keep displaying it while the next
 * run works, and free it in any order.
 *
 * Memory: about 30 bytes per subvolume voxel (raw and smoothed float, mask,
 * exterior, two distance maps, two label volumes, local thickness) plus,
 * while EXTERIOR runs, 5 bytes per full-volume voxel (mask + labels) and the
 * smoothing of one slab; checked with ps_memory_check() before allocating.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ps-edt.h"
#include "ps-measure.h"
#include "ps-network.h"
#include "ps-seeds.h"
#include "ps-status.h"
#include "ps-volume.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum
{
  PS_SMOOTH_NONE = 0,
  PS_SMOOTH_GAUSSIAN,      /* anisotropic Gaussian, sigma in nm (ps-filter.h) */
  PS_SMOOTH_MEDIAN,        /* 3×3×3 median */
} PsSmoothKind;

/* A merge edit: the objects containing @a_nm and @b_nm become one. */
typedef struct
{
  double a_nm[3];
  double b_nm[3];
} PsMergeEdit;

/* Default Gaussian σ in voxels of the smallest spacing: the value that
 * reproduced the true porosity best on reconstructions (SIRT and WBP) of the
 * phantom (docs/architecture.md, "Default smoothing"). */
#define PS_ANALYSIS_DEFAULT_SIGMA_VOXELS 0.6

typedef struct
{
  PsBox subvolume;          /* voxels of the input; an all-zero box = the whole volume */
  PsSmoothKind smooth;
  double smooth_sigma_nm;   /* Gaussian σ in nm; ≤ 0 = PS_ANALYSIS_DEFAULT_SIGMA_VOXELS voxels */
  bool threshold_auto;      /* Otsu on the smoothed subvolume (default) */
  double threshold;         /* used when !threshold_auto */
  double h_nm;              /* marker extent for pores; < 0 = ps_hmaxima_default_h_nm() */
  double h_carbon_nm;       /* for carbon; < 0 = the pores' value */
  /* Seed edits, nm in the full volume's frame (borrowed; copied into the result). */
  const double (*seeds_add)[3];
  size_t n_seeds_add;
  const double (*seeds_remove)[3];
  size_t n_seeds_remove;
  const PsMergeEdit *merges;
  size_t n_merges;
  int connectivity;         /* 6 or 26: seeds and watershed (open pores: always 6) */
  bool local_thickness;     /* compute local thickness of both phases (histograms). Off by
                             * default: on large phases (the vacuum around a particle, a
                             * connected matrix) ball painting costs far more than the
                             * rest of the analysis together */
  double histogram_bin_nm;  /* ≤ 0: automatic (see ps_analysis_bins) */
  size_t sweep_steps;       /* porosity_vs_threshold rows − 1 */
  int n_threads;            /* 0 = all available */
} PsAnalysisParams;

/* The defaults `porescope-cli analyze` and the GUI start from: whole volume,
 * Gaussian smoothing of 0.6 voxel, Otsu, the measured default h (both
 * phases), connectivity 26, no local thickness, automatic bins, 256 sweep
 * steps, all threads. */
void ps_analysis_params_init (PsAnalysisParams *params);

/* Stages, for PsAnalysisResult.stages_run. */
enum
{
  PS_ANALYSIS_STAGE_SMOOTH = 1 << 0,
  PS_ANALYSIS_STAGE_SWEEP = 1 << 1,
  PS_ANALYSIS_STAGE_MASK = 1 << 2,
  PS_ANALYSIS_STAGE_EXTERIOR = 1 << 3,
  PS_ANALYSIS_STAGE_DISTANCE = 1 << 4,
  PS_ANALYSIS_STAGE_THICKNESS = 1 << 5,
  PS_ANALYSIS_STAGE_PORES = 1 << 6,     /* seeds, watershed, measure, network */
  PS_ANALYSIS_STAGE_CARBON = 1 << 7,    /* seeds, watershed, measure */
};
#define PS_ANALYSIS_N_STAGES 8

/* Stage names for messages and timings, indexed by bit number. */
extern const char *const ps_analysis_stage_names[PS_ANALYSIS_N_STAGES];

/* Histogram rows on bins shared by both phases: bin i = [i·w, (i+1)·w) nm. */
typedef struct
{
  uint64_t *objects;            /* objects by equivalent diameter (all, incl. border) */
  double *object_volume_fraction; /* their volume / the phase's volume */
  uint64_t *objects_interior;   /* objects not touching the subvolume faces */
  double *objects_edge_corrected; /* Σ Miles–Lantuéjoul weights of the interior objects */
  double *thickness_volume_fraction; /* phase volume by local thickness; NULL without it */
} PsAnalysisHistogram;

typedef struct
{
  PsLabels *labels;             /* separated objects 1..n, 0 = other phase (subvolume) */
  PsSeedList seeds;             /* seeds used, after edits (subvolume voxels) */
  PsObjectTable *objects;       /* objects[i] = label i + 1 */
  PsDistanceMap distance;       /* the phase's distance map (nm from the other phase) */
  const float *thickness_nm;    /* local thickness (diameter, nm), 0 elsewhere; or NULL */
  PsAnalysisHistogram histogram;
  size_t n_edits;               /* edits applied to this phase */
  /* Summary over the objects of this phase in the subvolume. */
  size_t count, count_interior; /* all objects; those not touching the faces */
  double eqdiam_mean_nm, eqdiam_median_nm, eqdiam_sd_nm; /* all objects (population sd) */
  double eqdiam_mean_edge_corrected_nm;  /* Σ w·d / Σ w over interior objects */
  double inscribed_mean_nm;
} PsAnalysisPhase;

typedef struct _PsAnalysisPrivate PsAnalysisPrivate;

typedef struct
{
  /* The parameters actually used (defaults resolved: sigma, h, threshold).
   * Edit arrays point into the result's own copies. */
  PsAnalysisParams params;
  size_t volume_dims[3];        /* the full volume */
  double spacing[3];            /* nm */
  PsBox box;                    /* the subvolume (voxels of the volume) */
  double origin_nm[3];          /* box.x0·dx, … : exact nm extent used */
  double size_nm[3];            /* box.nx·dx, … */

  const PsVolume *raw;          /* the subvolume as loaded (mean intensity) */
  const PsVolume *smoothed;     /* after smoothing (== raw without smoothing) */
  double threshold;             /* pore = smoothed < threshold */
  double otsu_threshold;        /* Otsu of the smoothed subvolume (always computed) */
  size_t sweep_n;               /* rows of porosity_vs_threshold */
  const double *sweep_thresholds;
  const double *sweep_porosity;

  const uint8_t *pore_mask;     /* subvolume: 1 = pore */
  const uint8_t *exterior;      /* subvolume: 1 = pore connected to the full volume's faces */
  PsAnalysisPhase pores, carbon;
  const PsNetwork *network;     /* pore network (node = pore label − 1) */

  double bin_width_nm;          /* shared histogram bins */
  size_t n_bins;

  size_t n_edits_ignored;       /* edits outside the subvolume, or merges across phases */
  uint64_t n_voxels, n_pore_voxels, n_open_voxels;
  double porosity, open_porosity, closed_porosity;

  unsigned stages_run;          /* PS_ANALYSIS_STAGE_* computed by this call */
  double stage_seconds[PS_ANALYSIS_N_STAGES]; /* wall time of each stage in this call (0 if reused) */
  double total_seconds;         /* the whole call, histograms and summaries included */
  PsAnalysisPrivate *priv;
} PsAnalysisResult;

/* PS_OK or INVALID_PARAMETER (with the offending field named in @why when
 * non-NULL): box outside the volume, bad connectivity, non-finite values. */
PsStatus ps_analysis_validate (const PsAnalysisParams *params, const PsVolume *volume,
                               char *why, size_t why_len);

/* Run the analysis of @volume with @params. @previous (nullable) is an
 * earlier result of the SAME volume object; its unchanged stages are
 * reused (never modified). On success *out owns a new result. */
PsStatus ps_analysis_run (const PsAnalysisParams *params, const PsVolume *volume,
                          const PsAnalysisResult *previous, PsAnalysisResult **out,
                          const PsProgress *progress);

void ps_analysis_result_free (PsAnalysisResult *result);

/* Shared histogram bins for both phases covering [0, max_nm]: width
 * @bin_width_nm, or when ≤ 0 the smallest "nice" width (1, 2 or 5 × 10^k nm)
 * that is at least the smallest voxel spacing and gives at most 50 bins. */
void ps_analysis_bins (const double spacing[3], double bin_width_nm, double max_nm,
                       double *width_nm, size_t *n_bins);

#ifdef __cplusplus
}
#endif
