/* SPDX-License-Identifier: GPL-3.0-or-later */
/* ps-phantom.h: a hard-carbon-like test particle and its simulated HAADF
 * tilt series — the test phantom and the app's built-in demo dataset.
 *
 * The particle is a sphere of carbon (density 1, with a mild correlated
 * texture) filling most of a cubic box, in vacuum (0). Its pores are the
 * cells of a closed-cell foam: seeds with log-normal radii are placed by
 * random sequential addition, every particle voxel belongs to the seed of
 * its Laguerre (power-diagram) cell, and a voxel is pore when it lies more
 * than half a wall thickness inside its cell (walls get a little roughness).
 * The wall thickness is not guessed: it is the quantile of the distances to
 * the cell walls that gives exactly the requested porosity. The seed size is
 * calibrated (up to three passes) so the pores' mean equivalent diameter
 * matches the requested mean. A fraction of neighbouring pore pairs is joined
 * by a small neck through their shared wall ("touching" pores a watershed
 * has to cut), and the particle keeps a skin of wall thickness except over a
 * fraction of the cells cut by its surface, which open to the outside. A
 * sphere packing cannot do this: spheres of 2.5 nm at porosity 0.39 and
 * 0.5 nm voxels touch almost everywhere and percolate.
 *
 * Definitions (also written into truth.json by the CLI):
 * - particle voxels: voxel centres within radius R of the particle centre;
 * - pore voxels: particle voxels within some pore sphere (d ≤ r); each is
 *   labelled with the pore whose normalised distance d/r is smallest;
 * - porosity = pore voxels / particle voxels (relative to the PARTICLE, not
 *   the box; porosity_box is relative to the box);
 * - a pore is open when it connects to the exterior (vacuum outside the
 *   particle or the box faces) through pore voxels, 6-connected; else closed;
 * - equivalent diameter = (6·V/π)^(1/3) with V = voxels × voxel³.
 * Voxel values are partial volumes (a linear ramp over one voxel at every
 * surface), so thresholding at half the carbon density reproduces the truth.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ps-status.h"
#include "ps-tilt-series.h"
#include "ps-volume.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct
{
  size_t size;                 /* cube edge, voxels (default 128) */
  double voxel_nm;             /* voxel size, nm (0.5) */
  double porosity;             /* pore volume / particle volume (0.39) */
  double pore_diameter_nm;     /* mean of the log-normal diameter distribution (2.5) */
  double pore_diameter_sigma;  /* σ of ln(seed radius) (0.3) */
  double particle_fraction;    /* particle diameter / box edge (0.9) */
  double touching;             /* fraction of neighbouring pores joined by a neck (0.04) */
  double open_fraction;        /* fraction of surface-cut pores opened to the outside (0.15) */
  double texture;              /* relative standard deviation of the carbon texture (0.06) */
  double texture_nm;           /* correlation length of the texture, nm (1.0) */
  uint64_t seed;               /* (1) */
  int n_threads;               /* ≤ 0: all */
} PsPhantomParams;

void ps_phantom_params_init (PsPhantomParams *params);

typedef struct
{
  size_t size;
  double voxel_nm;
  double particle_center_nm[3];  /* from the volume corner */
  double particle_radius_nm;
  size_t particle_voxels;
  size_t pore_voxels, closed_pore_voxels, open_pore_voxels;
  double porosity_target;
  double porosity;               /* pore voxels / particle voxels */
  double closed_porosity, open_porosity;  /* also / particle voxels */
  double porosity_box;           /* pore voxels / box voxels */
  uint32_t pore_count, closed_count, open_count;
  size_t touching_pairs;         /* pairs of pores sharing a face */
  uint32_t touching_pores;       /* pores touching at least one other */
  double eqdiam_mean_nm, eqdiam_median_nm, eqdiam_sd_nm;
  double wall_thickness_nm;      /* mean wall thickness (twice the wall quantile) */
  size_t seeds;                  /* foam cells */
  int calibration_passes;
} PsPhantomTruth;

PsStatus ps_phantom_validate (const PsPhantomParams *params, char *why, size_t why_len);

/* Generate the phantom: *volume (size³ float, spacing voxel_nm), *pores
 * (truth labels 1…pore_count; either out-pointer may be NULL if not wanted)
 * and @truth (nullable). Identical for any thread count. */
PsStatus ps_phantom_generate (const PsPhantomParams *params, PsVolume **volume, PsLabels **pores,
                              PsPhantomTruth *truth, const PsProgress *progress,
                              char *why, size_t why_len);

/* HAADF tilt-series simulation. Images are line integrals of the density
 * (ps_project_run), i.e. projected carbon thickness t in nm (voxel units ×
 * voxel size). With dose D > 0 (electrons per nm² per image) each pixel of
 * area a counts Poisson(D · a · t / λ) electrons, λ being the effective
 * HAADF scattering length of full-density carbon (a linear, no-log model as
 * in SPEC.md); with D = 0 the images are the noise-free thickness t in nm. */
typedef struct
{
  const double *angles;        /* degrees */
  size_t n_angles;
  double dose;                 /* e⁻/nm² per image; 0 = noise-free (default 1e4) */
  double haadf_length_nm;      /* λ (1000) */
  uint64_t seed;
  int n_threads;
} PsTiltSimParams;

#define PS_PHANTOM_DEFAULT_DOSE 1.0e4
#define PS_PHANTOM_DEFAULT_HAADF_LENGTH_NM 1000.0

void ps_tilt_sim_params_init (PsTiltSimParams *params);

PsStatus ps_phantom_simulate_tilt (const PsTiltSimParams *params, const PsVolume *volume,
                                   PsTiltSeries **out, const PsProgress *progress,
                                   char *why, size_t why_len);

/* A Poisson deviate with mean @mean from the splitmix64 state @state
 * (exact: inversion for small means, Hörmann's PTRS for large ones). */
double ps_poisson_sample (uint64_t *state, double mean);

#ifdef __cplusplus
}
#endif
