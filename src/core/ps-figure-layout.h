/* SPDX-License-Identifier: GPL-3.0-or-later */
/* ps-figure-layout.h: where the panels of a publication figure go.
 *
 * A figure shows the three orthoslices as the window does (xy top left, yz
 * to its right sharing its rows, xz below it sharing its columns), the 3D
 * view and, when there is a segmentation, the pore and carbon size
 * histograms. Everything is in points (1/72 in) from the page's top-left
 * corner; the PNG writer multiplies by dpi / 72.
 *
 * The slices share one scale (points per nm), so the three panels line up
 * and have the true aspect ratio of the volume's extent in nm. The 3D view
 * takes the quad's free bottom-right cell when the volume is not much
 * thinner than it is wide (z ≥ ½·max(x, y)); otherwise it joins the
 * histograms in a column on the right. Panel letters run a, b, c… in the
 * order of PsFigurePanel over the panels present.
 *
 * Plain C (no GLib) so it can be tested on its own.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ps-status.h"
#include "ps-volume.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum
{
  PS_FIGURE_PANEL_XY = 0,
  PS_FIGURE_PANEL_YZ,
  PS_FIGURE_PANEL_XZ,
  PS_FIGURE_PANEL_3D,
  PS_FIGURE_PANEL_HIST_PORES,
  PS_FIGURE_PANEL_HIST_CARBON,
  PS_FIGURE_N_PANELS
} PsFigurePanel;

typedef struct
{
  double x, y, w, h;   /* points, top-left origin */
} PsFigureRect;

typedef struct
{
  double page_width;       /* points (> 0) */
  double page_height;      /* points; 0 = as tall as the content needs */
  double extent_nm[3];     /* the volume's x, y, z extent in nm (> 0) */
  bool histogram[2];       /* add the pore (0) / carbon (1) histogram panel */
  double margin;           /* points around everything (default 8) */
  double gap;              /* points between panels (default 6) */
} PsFigureLayoutParams;

typedef struct
{
  double page_width, page_height;          /* points (height resolved) */
  double scale;                            /* points per nm in the slice panels */
  bool present[PS_FIGURE_N_PANELS];
  PsFigureRect panel[PS_FIGURE_N_PANELS];
  char letter[PS_FIGURE_N_PANELS];         /* 'a'…; 0 when absent */
  bool view_3d_in_column;                  /* the 3D view is in the right column */
} PsFigureLayout;

void ps_figure_layout_params_init (PsFigureLayoutParams *params);

/* PS_OK, or PS_ERROR_INVALID_PARAMETER for non-finite or non-positive
 * sizes, or a page too small to hold the panels. */
PsStatus ps_figure_layout_compute (const PsFigureLayoutParams *params, PsFigureLayout *layout);

/* The largest 1, 2 or 5 × 10^k not above @max (> 0); 0 for anything else.
 * Scale bars use ps_figure_nice_length (¼ of the panel's width in nm). */
double ps_figure_nice_length (double max);
/* The smallest 1, 2 or 5 × 10^k step that divides [0, @max] into at most
 * @max_ticks intervals (axis ticks); 0 for max ≤ 0 or max_ticks < 1. */
double ps_figure_tick_step (double max, int max_ticks);

/* The histogram panels: objects (labels 1…n_labels present in the volume)
 * by equivalent diameter (6V/π)^⅓ in nm, V = voxels · dx·dy·dz, on bins
 * shared by both phases from ps_analysis_bins() (automatic width over the
 * largest diameter of both). A phase without labels (NULL) has counts NULL.
 * Labels beyond n_labels are ignored. @cancel (nullable) is polled per
 * slice. */
typedef struct
{
  double bin_width_nm;
  size_t n_bins;
  uint64_t n_objects[2];   /* pores, carbon */
  uint64_t *counts[2];     /* n_bins each, or NULL */
} PsFigureHistograms;

PsStatus ps_figure_histograms_compute (const PsLabels *pores, const PsLabels *carbon, const double spacing[3],
                                       const atomic_int *cancel, PsFigureHistograms *out);
void ps_figure_histograms_clear (PsFigureHistograms *histograms);

#ifdef __cplusplus
}
#endif
