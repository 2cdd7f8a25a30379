/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ps-analysis.h"
#include "ps-figure-layout.h"

/* The right column's share of the width, and its panels' heights relative to
 * its width when the page height is automatic. */
#define COLUMN_FRACTION 0.34
#define COLUMN_FRACTION_3D_ONLY 0.40
#define HIST_ASPECT 0.62
#define VIEW_3D_ASPECT 0.85
/* Smallest column width that still holds a histogram's axes (points). */
#define MIN_COLUMN_WIDTH 40.0

void
ps_figure_layout_params_init (PsFigureLayoutParams *params)
{
  memset (params, 0, sizeof *params);
  params->page_width = 180.0 / 25.4 * 72.0;
  params->extent_nm[0] = params->extent_nm[1] = params->extent_nm[2] = 1.0;
  params->margin = 8.0;
  params->gap = 6.0;
}

static bool
positive (double v)
{
  return isfinite (v) && v > 0.0;
}

PsStatus
ps_figure_layout_compute (const PsFigureLayoutParams *p, PsFigureLayout *out)
{
  PsFigureLayout l;
  double m, g, W, H, X, Y, Z, avail_w, col_w = 0.0, quad_avail_w, s, quad_w, quad_h, x0, y0;
  int n_col, n_hist;
  bool in_cell, hist;
  char next = 'a';

  if (p == NULL || out == NULL)
    return PS_ERROR_INVALID_PARAMETER;
  memset (&l, 0, sizeof l);
  m = p->margin;
  g = p->gap;
  W = p->page_width;
  H = p->page_height;
  X = p->extent_nm[0];
  Y = p->extent_nm[1];
  Z = p->extent_nm[2];
  if (!positive (W) || !isfinite (H) || H < 0.0 || !positive (X) || !positive (Y) || !positive (Z)
      || !isfinite (m) || m < 0.0 || !isfinite (g) || g < 0.0)
    return PS_ERROR_INVALID_PARAMETER;

  in_cell = Z >= 0.5 * fmax (X, Y);
  n_hist = (p->histogram[0] ? 1 : 0) + (p->histogram[1] ? 1 : 0);
  hist = n_hist > 0;
  n_col = n_hist + (in_cell ? 0 : 1);
  avail_w = W - 2.0 * m;
  if (n_col > 0)
    col_w = avail_w * (hist ? COLUMN_FRACTION : COLUMN_FRACTION_3D_ONLY);
  quad_avail_w = avail_w - (n_col > 0 ? col_w + g : 0.0);
  s = (quad_avail_w - g) / (X + Z);
  if (H == 0.0)
    {
      double col_h = 0.0;
      if (n_col > 0)
        col_h = n_hist * HIST_ASPECT * col_w + (in_cell ? 0.0 : VIEW_3D_ASPECT * col_w)
                + (n_col - 1) * g;
      H = 2.0 * m + fmax (s * (Y + Z) + g, col_h);
    }
  else
    s = fmin (s, (H - 2.0 * m - g) / (Y + Z));
  if (!positive (s) || !positive (H - 2.0 * m))
    return PS_ERROR_INVALID_PARAMETER;

  quad_w = s * (X + Z) + g;
  quad_h = s * (Y + Z) + g;
  x0 = m;
  y0 = m;
  if (n_col == 0)
    x0 = m + (avail_w - quad_w) / 2.0;

  l.page_width = W;
  l.page_height = H;
  l.scale = s;
  l.view_3d_in_column = !in_cell;
  l.panel[PS_FIGURE_PANEL_XY] = (PsFigureRect) { x0, y0, s * X, s * Y };
  l.panel[PS_FIGURE_PANEL_YZ] = (PsFigureRect) { x0 + s * X + g, y0, s * Z, s * Y };
  l.panel[PS_FIGURE_PANEL_XZ] = (PsFigureRect) { x0, y0 + s * Y + g, s * X, s * Z };
  l.present[PS_FIGURE_PANEL_XY] = l.present[PS_FIGURE_PANEL_YZ] = l.present[PS_FIGURE_PANEL_XZ] = true;
  l.present[PS_FIGURE_PANEL_3D] = true;
  if (in_cell)
    l.panel[PS_FIGURE_PANEL_3D] = (PsFigureRect) { x0 + s * X + g, y0 + s * Y + g, s * Z, s * Z };

  if (n_col > 0)
    {
      /* The column takes what the quad leaves (more when the height limits it). */
      double cx = x0 + quad_w + g, cw = W - m - cx, ch = H - 2.0 * m - (n_col - 1) * g, y = y0;
      double w3d = in_cell ? 0.0 : VIEW_3D_ASPECT, wh = HIST_ASPECT;
      double unit;
      if (cw < MIN_COLUMN_WIDTH || ch <= 0.0)
        return PS_ERROR_INVALID_PARAMETER;
      unit = ch / (w3d + n_hist * wh);
      /* Panels no taller than 1.25 × their natural aspect; the column is
       * then centred on the page's height. */
      if (unit > 1.25 * cw)
        {
          double used = 1.25 * cw * (w3d + n_hist * wh);
          unit = 1.25 * cw;
          y += (ch - used) / 2.0;
        }
      if (!in_cell)
        {
          l.panel[PS_FIGURE_PANEL_3D] = (PsFigureRect) { cx, y, cw, unit * w3d };
          y += unit * w3d + g;
        }
      for (int k = 0; k < 2; k++)
        if (p->histogram[k])
          {
            int panel = k == 0 ? PS_FIGURE_PANEL_HIST_PORES : PS_FIGURE_PANEL_HIST_CARBON;
            l.panel[panel] = (PsFigureRect) { cx, y, cw, unit * wh };
            l.present[panel] = true;
            y += unit * wh + g;
          }
    }
  (void) quad_h;

  for (int i = 0; i < PS_FIGURE_N_PANELS; i++)
    if (l.present[i])
      l.letter[i] = next++;
  *out = l;
  return PS_OK;
}

double
ps_figure_nice_length (double max)
{
  double p, best = 0.0;
  static const double mult[] = { 1.0, 2.0, 5.0 };

  if (!positive (max))
    return 0.0;
  p = pow (10.0, floor (log10 (max)));
  /* p ≤ max < 10 p up to rounding: look one decade either side. */
  for (int d = -1; d <= 1; d++)
    for (int i = 0; i < 3; i++)
      {
        double v = mult[i] * p * pow (10.0, d);
        if (v <= max * (1.0 + 1e-12) && v > best)
          best = v;
      }
  return best;
}

double
ps_figure_tick_step (double max, int max_ticks)
{
  double target, p;
  static const double mult[] = { 1.0, 2.0, 5.0, 10.0 };

  if (!positive (max) || max_ticks < 1)
    return 0.0;
  target = max / max_ticks;
  p = pow (10.0, floor (log10 (target)));
  for (int d = -1; d <= 1; d++)
    for (int i = 0; i < 4; i++)
      {
        double v = mult[i] * p * pow (10.0, d);
        if (v >= target * (1.0 - 1e-12))
          return v;
      }
  return 10.0 * p;
}

void
ps_figure_histograms_clear (PsFigureHistograms *h)
{
  for (int p = 0; p < 2; p++)
    {
      free (h->counts[p]);
      h->counts[p] = NULL;
    }
}

PsStatus
ps_figure_histograms_compute (const PsLabels *pores, const PsLabels *carbon, const double spacing[3],
                              const atomic_int *cancel, PsFigureHistograms *out)
{
  const PsLabels *phases[2] = { pores, carbon };
  double *diam[2] = { NULL, NULL }, max_d = 0.0, voxel;
  uint64_t n_diam[2] = { 0, 0 };
  PsStatus st = PS_OK;

  memset (out, 0, sizeof *out);
  if (spacing == NULL || !positive (spacing[0]) || !positive (spacing[1]) || !positive (spacing[2]))
    return PS_ERROR_INVALID_PARAMETER;
  voxel = spacing[0] * spacing[1] * spacing[2];
  for (int p = 0; p < 2 && st == PS_OK; p++)
    {
      const PsLabels *labels = phases[p];
      uint64_t *counts;
      size_t n, plane;

      if (labels == NULL)
        continue;
      n = (size_t) labels->n_labels + 1;
      counts = calloc (n, sizeof *counts);
      diam[p] = malloc (n * sizeof *diam[p]);
      if (counts == NULL || diam[p] == NULL)
        {
          free (counts);
          st = PS_ERROR_NO_MEMORY;
          break;
        }
      plane = labels->nx * labels->ny;
      for (size_t z = 0; z < labels->nz; z++)
        {
          const uint32_t *d = labels->data + z * plane;
          if (cancel != NULL && atomic_load (cancel))
            {
              st = PS_ERROR_CANCELLED;
              break;
            }
          for (size_t i = 0; i < plane; i++)
            if (d[i] != 0 && d[i] < n)
              counts[d[i]]++;
        }
      for (size_t l = 1; l < n; l++)
        if (counts[l] > 0)
          {
            double dd = cbrt (6.0 * (double) counts[l] * voxel / M_PI);
            diam[p][n_diam[p]++] = dd;
            max_d = fmax (max_d, dd);
          }
      free (counts);
      out->n_objects[p] = n_diam[p];
    }
  if (st == PS_OK)
    {
      ps_analysis_bins (spacing, 0.0, max_d, &out->bin_width_nm, &out->n_bins);
      if (out->n_bins == 0)
        out->n_bins = 1;
      for (int p = 0; p < 2; p++)
        {
          if (phases[p] == NULL)
            continue;
          out->counts[p] = calloc (out->n_bins, sizeof (uint64_t));
          if (out->counts[p] == NULL)
            {
              st = PS_ERROR_NO_MEMORY;
              break;
            }
          for (uint64_t i = 0; i < n_diam[p]; i++)
            {
              size_t b = (size_t) floor (diam[p][i] / out->bin_width_nm);
              out->counts[p][b < out->n_bins ? b : out->n_bins - 1]++;
            }
        }
    }
  free (diam[0]);
  free (diam[1]);
  if (st != PS_OK)
    ps_figure_histograms_clear (out);
  return st;
}
