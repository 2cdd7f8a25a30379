/* SPDX-License-Identifier: GPL-3.0-or-later */
/* ps-reconstruct.h: reconstruction in the application (issue 7).
 *
 * ps_reconstruct_start() runs WBP, SIRT or SART on a tilt series as the
 * document's job (progress bar, Cancel, a newer job cancels it) and opens
 * the result as the dataset, with the parameters kept on the document
 * (ps_document_get_recon_info()). The parameters are a GVariant dictionary
 * (a{sv}), the parameter of the window action `win.reconstruct`, so tests
 * and sessions drive it without the dialog. Keys (all optional unless said):
 *
 *   "stack"          s  the tilt-series file (TIFF/MRC/DM); required unless
 *                       a series is given to ps_reconstruct_start() or the
 *                       document shows one
 *   "angles"         s  .tlt/.rawtlt file or START:STOP:STEP (default: the
 *                       file's own angles)
 *   "method"         s  "wbp" (default) | "sirt" | "sart"
 *   "filter"         s  WBP: "ramp" (default) | "shepp-logan" | "cosine" | "hann"
 *   "cutoff"         d  WBP filter cut-off, fraction of Nyquist (default 1)
 *   "iterations"     i  SIRT/SART (0 = default: 30 / 6)
 *   "relaxation"     d  SIRT/SART λ (0 = default: 1.9 / 1)
 *   "subsets"        i  SART ordered subsets (0 = one per 8 angles)
 *   "positivity"     b  SIRT/SART non-negativity (default true)
 *   "thickness"      i  slices along the beam (0 = image width)
 *   "tilt-axis"      d  in-plane tilt-axis direction, degrees CCW from +y (0)
 *   "tilt-axis-auto" b  search the tilt-axis direction (default false)
 *   "align"          b  align shifts and the axis offset first (default false)
 *   "threads"        i  OpenMP threads (0 = the job default)
 *
 * Defaults are those of `porescope-cli reconstruct`: both start from the
 * core's ps_wbp_params_init() / ps_sirt_params_init() / ps_align_params_init()
 * and change only what the user set.
 *
 * SIRT/SART hand a preview after every iteration: the worker copies the
 * central xy and xz slices (ps_recon_preview_slices()) and the main thread
 * receives them through PsReconRun's "preview" signal.
 */
#pragma once

#include <gio/gio.h>

#include "ps-document.h"

G_BEGIN_DECLS

#define PS_TYPE_RECON_RUN (ps_recon_run_get_type ())
G_DECLARE_FINAL_TYPE (PsReconRun, ps_recon_run, PS, RECON_RUN, GObject)

/* The latest preview (main thread, after "preview"): the central xy slice
 * (nx × ny floats) and xz slice (nx × nz). Returns FALSE before the first. */
gboolean ps_recon_run_get_preview (PsReconRun   *self,
                                   const float **xy,
                                   const float **xz,
                                   gsize         size[3],
                                   int          *iteration,
                                   int          *n_iterations,
                                   double       *residual);
/* The job running the reconstruction. */
PsJob   *ps_recon_run_get_job     (PsReconRun   *self);
/* TRUE once the result was handed to the document; FALSE when it failed or
 * was cancelled ("finished" tells which, with its boolean). */
gboolean ps_recon_run_get_done    (PsReconRun   *self);

/* Check @params (a{sv}) and fill a PsReconInfo from it (no I/O). */
gboolean ps_reconstruct_parse     (GVariant     *params,
                                   PsReconInfo  *info,
                                   GError      **error);

/* Start a reconstruction as @doc's job. @series (nullable, transfer none):
 * an already loaded tilt series to use instead of "stack" (it is not
 * modified). Returns (transfer full) the run, or NULL with @error when the
 * parameters are invalid. */
PsReconRun *ps_reconstruct_start  (PsDocument   *doc,
                                   GVariant     *params,
                                   PsTiltSeries *series,
                                   GError      **error);

G_END_DECLS
