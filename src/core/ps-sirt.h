/* SPDX-License-Identifier: GPL-3.0-or-later */
/* ps-sirt.h: iterative reconstruction — SIRT and ordered-subsets SART.
 *
 * Both solve A·x = b for the aligned tilt series b with the matched
 * projector pair of ps-recon-private.h, in the normalised form of Gregor &
 * Benson (IEEE TMI 27:918, 2008):
 *
 *   SIRT (Gilbert, J. Theor. Biol. 36:105, 1972):
 *       x ← x + λ · C · Aᵀ · R · (b − A·x)
 *   with R = 1 / (A·1) (per ray) and C = 1 / (Aᵀ·1) (per voxel); it converges
 *   for 0 < λ < 2. One iteration = one forward and one back-projection of
 *   every angle.
 *
 *   SART (Andersen & Kak, Ultrason. Imaging 6:81, 1984), here with ordered
 *   subsets (OS-SART): the angles are dealt into M interleaved subsets and
 *   the same update is applied per subset, with C_m = 1 / (A_mᵀ·1); one
 *   iteration visits every subset once (same cost as a SIRT iteration), in
 *   bit-reversed order so consecutive subsets differ. M = number of angles is
 *   classic SART.
 *
 * Non-negativity (default on) clamps x ≥ 0 after every update — the
 * projection onto the constraint in SIRT's C-weighted metric.
 *
 * Every slice along the tilt axis iterates independently, so slices run in
 * parallel and the result is identical for any thread count. Iterations are
 * the outer loop, so after each one the whole volume is a consistent
 * estimate: the iteration callback may read it (for a preview) while the
 * kernel waits.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "ps-status.h"
#include "ps-tilt-series.h"
#include "ps-volume.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum
{
  PS_ITERATIVE_SIRT,
  PS_ITERATIVE_SART,
} PsIterativeMethod;

typedef struct
{
  int iteration;          /* iterations completed so far (1-based) */
  int n_iterations;       /* iterations requested */
  /* Relative residual ‖b − A·x‖₂ / ‖b‖₂ measured during this iteration:
   * SIRT — of the estimate before this iteration's update; SART — summed
   * over the subsets as they were visited (each before its own update). */
  double residual;
  /* The current estimate (the volume that will be returned). Read-only, and
   * only valid during the callback. */
  const PsVolume *volume;
} PsIterationInfo;

/* Called after every iteration on the thread that called ps_sirt_run(),
 * while no worker touches the volume: copy what a preview needs (e.g. with
 * ps_recon_preview_slices()) and return quickly. Return false to stop early:
 * the run then returns PS_OK with the estimate so far. */
typedef bool (*PsIterationFunc) (const PsIterationInfo *info, void *user_data);

typedef struct
{
  PsIterativeMethod method;
  int iterations;         /* 0: the method's default */
  double relaxation;      /* λ; 0: the method's default */
  int subsets;            /* SART: number of ordered subsets; 0: default */
  bool nonnegative;       /* clamp x ≥ 0 after each update */
  size_t thickness;       /* nz; 0 = aligned image width */
  int n_threads;          /* ≤ 0: all */
  const PsVolume *initial;/* optional starting estimate (aligned nx × ny × thickness) */
  PsIterationFunc iteration_func;
  void *iteration_data;
} PsSirtParams;

/* Defaults for a ±75° series, chosen on the phantom at the default dose
 * (docs/performance.md, "Reconstruction"): with noise both methods
 * semi-converge (Pearson r with the truth peaks, then falls as noise is
 * fitted): SIRT peaks near 25–35 iterations at λ = 1.9, SART near 5–6
 * iterations at λ = 1 with one subset per 8 angles. Noise-free data keep
 * improving with more iterations. Non-negativity on. */
#define PS_SIRT_DEFAULT_ITERATIONS 30
#define PS_SIRT_DEFAULT_RELAXATION 1.9
#define PS_SART_DEFAULT_ITERATIONS 6
#define PS_SART_DEFAULT_RELAXATION 1.0
#define PS_SART_ANGLES_PER_SUBSET 8

void ps_sirt_params_init (PsSirtParams *params, PsIterativeMethod method);

/* "sirt", "sart". */
const char *ps_iterative_method_to_string (PsIterativeMethod method);

PsStatus ps_sirt_validate (const PsSirtParams *params, const PsTiltSeries *ts, char *why, size_t why_len);

/* Reconstruct @ts into a new volume *out (aligned nx × ny × thickness).
 * @residuals (nullable) receives one value per iteration (see
 * PsIterationInfo.residual; NaN for iterations not run). Progress is
 * monotonic over all iterations; cancellation is polled per slice. */
PsStatus ps_sirt_run (const PsSirtParams *params, const PsTiltSeries *ts, PsVolume **out,
                      double *residuals, const PsProgress *progress, char *why, size_t why_len);

/* Copy the central xy slice (z = nz/2; nx × ny floats) and the central xz
 * slice (y = ny/2; nx × nz floats) of @vol; either destination may be NULL. */
void ps_recon_preview_slices (const PsVolume *vol, float *xy, float *xz);

#ifdef __cplusplus
}
#endif
