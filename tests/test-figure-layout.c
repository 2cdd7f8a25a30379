/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The figure layout (ps-figure-layout.h): panels inside the page and apart,
 * the slices sharing rows and columns at one scale with the volume's aspect,
 * the 3D view's placement, letters, and the nice numbers of scale bars and
 * ticks against a brute-force search. */
#include "config.h"

#include <glib.h>
#include <math.h>

#include "ps-figure-layout.h"

static gboolean
overlap (const PsFigureRect *a, const PsFigureRect *b)
{
  return a->x < b->x + b->w - 1e-9 && b->x < a->x + a->w - 1e-9 && a->y < b->y + b->h - 1e-9
         && b->y < a->y + a->h - 1e-9;
}

static void
check_layout (const PsFigureLayoutParams *p, const PsFigureLayout *l)
{
  const double *e = p->extent_nm;
  const PsFigureRect *xy = &l->panel[PS_FIGURE_PANEL_XY];
  const PsFigureRect *yz = &l->panel[PS_FIGURE_PANEL_YZ];
  const PsFigureRect *xz = &l->panel[PS_FIGURE_PANEL_XZ];

  g_assert_cmpfloat (l->page_width, ==, p->page_width);
  if (p->page_height > 0)
    g_assert_cmpfloat (l->page_height, ==, p->page_height);
  for (int i = 0; i < PS_FIGURE_N_PANELS; i++)
    {
      const PsFigureRect *r = &l->panel[i];
      if (!l->present[i])
        {
          g_assert_cmpint (l->letter[i], ==, 0);
          continue;
        }
      g_assert_cmpfloat (r->w, >, 0);
      g_assert_cmpfloat (r->h, >, 0);
      g_assert_cmpfloat (r->x, >=, p->margin - 1e-9);
      g_assert_cmpfloat (r->y, >=, p->margin - 1e-9);
      g_assert_cmpfloat (r->x + r->w, <=, l->page_width - p->margin + 1e-9);
      g_assert_cmpfloat (r->y + r->h, <=, l->page_height - p->margin + 1e-9);
      for (int j = 0; j < i; j++)
        if (l->present[j])
          g_assert_false (overlap (r, &l->panel[j]));
    }
  /* One scale: w = scale · extent; yz shares xy's rows, xz its columns. */
  g_assert_cmpfloat_with_epsilon (xy->w, l->scale * e[0], 1e-9);
  g_assert_cmpfloat_with_epsilon (xy->h, l->scale * e[1], 1e-9);
  g_assert_cmpfloat_with_epsilon (yz->w, l->scale * e[2], 1e-9);
  g_assert_cmpfloat_with_epsilon (xz->h, l->scale * e[2], 1e-9);
  g_assert_cmpfloat (yz->y, ==, xy->y);
  g_assert_cmpfloat (yz->h, ==, xy->h);
  g_assert_cmpfloat (xz->x, ==, xy->x);
  g_assert_cmpfloat (xz->w, ==, xy->w);
  g_assert_cmpfloat_with_epsilon (yz->x, xy->x + xy->w + p->gap, 1e-9);
  g_assert_cmpfloat_with_epsilon (xz->y, xy->y + xy->h + p->gap, 1e-9);
  /* Letters a, b, c… in panel order. */
  char want = 'a';
  for (int i = 0; i < PS_FIGURE_N_PANELS; i++)
    if (l->present[i])
      g_assert_cmpint (l->letter[i], ==, want++);
  g_assert_cmpint (l->present[PS_FIGURE_PANEL_HIST_PORES], ==, p->histogram[0]);
  g_assert_cmpint (l->present[PS_FIGURE_PANEL_HIST_CARBON], ==, p->histogram[1]);
}

static void
test_layouts (void)
{
  static const double extents[][3] = {
    { 20, 16, 24 }, { 100, 100, 100 }, { 200, 150, 40 }, { 10, 300, 5 }, { 300, 10, 300 }, { 1, 1, 0.01 },
  };
  static const double widths[] = { 85 / 25.4 * 72, 180 / 25.4 * 72, 1000 };
  static const double heights[] = { 0, 300, 900 };

  for (gsize e = 0; e < G_N_ELEMENTS (extents); e++)
    for (gsize w = 0; w < G_N_ELEMENTS (widths); w++)
      for (gsize h = 0; h < G_N_ELEMENTS (heights); h++)
        for (int hists = 0; hists < 4; hists++)
          {
            gboolean hist = hists != 0;
            PsFigureLayoutParams p;
            PsFigureLayout l;
            ps_figure_layout_params_init (&p);
            p.page_width = widths[w];
            p.page_height = heights[h];
            for (int a = 0; a < 3; a++)
              p.extent_nm[a] = extents[e][a];
            p.histogram[0] = hists & 1;
            p.histogram[1] = (hists >> 1) & 1;
            g_assert_cmpint (ps_figure_layout_compute (&p, &l), ==, PS_OK);
            check_layout (&p, &l);
            /* The 3D view sits in the quad's free cell exactly when z ≥ ½ max(x, y). */
            gboolean in_cell = extents[e][2] >= 0.5 * fmax (extents[e][0], extents[e][1]);
            g_assert_cmpint (l.view_3d_in_column, ==, !in_cell);
            if (in_cell)
              {
                const PsFigureRect *r = &l.panel[PS_FIGURE_PANEL_3D];
                g_assert_cmpfloat (r->x, ==, l.panel[PS_FIGURE_PANEL_YZ].x);
                g_assert_cmpfloat (r->y, ==, l.panel[PS_FIGURE_PANEL_XZ].y);
              }
            /* Automatic height: the quad fills the width it is given. */
            if (heights[h] == 0)
              {
                double used = l.panel[PS_FIGURE_PANEL_YZ].x + l.panel[PS_FIGURE_PANEL_YZ].w;
                double right = (hist || !in_cell) ? l.panel[PS_FIGURE_PANEL_3D].x : p.page_width - p.margin;
                if (hist)
                  right = l.panel[(hists & 1) ? PS_FIGURE_PANEL_HIST_PORES : PS_FIGURE_PANEL_HIST_CARBON].x - p.gap;
                else if (!in_cell)
                  right -= p.gap;
                g_assert_cmpfloat_with_epsilon (used, right, 1e-6);
              }
          }
}

static void
test_invalid (void)
{
  PsFigureLayoutParams p;
  PsFigureLayout l;

  ps_figure_layout_params_init (&p);
  p.extent_nm[1] = 0;
  g_assert_cmpint (ps_figure_layout_compute (&p, &l), ==, PS_ERROR_INVALID_PARAMETER);
  ps_figure_layout_params_init (&p);
  p.extent_nm[2] = NAN;
  g_assert_cmpint (ps_figure_layout_compute (&p, &l), ==, PS_ERROR_INVALID_PARAMETER);
  ps_figure_layout_params_init (&p);
  p.page_width = 10; /* less than the margins and gaps */
  g_assert_cmpint (ps_figure_layout_compute (&p, &l), ==, PS_ERROR_INVALID_PARAMETER);
  ps_figure_layout_params_init (&p);
  p.page_height = -1;
  g_assert_cmpint (ps_figure_layout_compute (&p, &l), ==, PS_ERROR_INVALID_PARAMETER);
  ps_figure_layout_params_init (&p);
  p.histogram[0] = p.histogram[1] = true;
  p.page_width = 100; /* no room for a histogram column */
  g_assert_cmpint (ps_figure_layout_compute (&p, &l), ==, PS_ERROR_INVALID_PARAMETER);
}

/* Brute force: every 1/2/5 × 10^k for k in −6…6. */
static double
nice_brute (double max, gboolean at_most)
{
  double best = at_most ? 0 : INFINITY;
  for (int k = -6; k <= 6; k++)
    for (int m = 0; m < 3; m++)
      {
        double v = (m == 0 ? 1 : m == 1 ? 2 : 5) * pow (10, k);
        if (at_most && v <= max * (1 + 1e-12) && v > best)
          best = v;
        if (!at_most && v >= max * (1 - 1e-12) && v < best)
          best = v;
      }
  return best;
}

static void
test_nice_numbers (void)
{
  for (double x = 0.00137; x < 90000; x *= 1.0731)
    {
      g_assert_cmpfloat_with_epsilon (ps_figure_nice_length (x) / nice_brute (x, TRUE), 1.0, 1e-12);
      for (int n = 1; n <= 8; n++)
        g_assert_cmpfloat_with_epsilon (ps_figure_tick_step (x, n) / nice_brute (x / n, FALSE), 1.0, 1e-12);
    }
  /* Exact powers and multiples land on themselves. */
  g_assert_cmpfloat (ps_figure_nice_length (10), ==, 10);
  g_assert_cmpfloat (ps_figure_nice_length (5), ==, 5);
  g_assert_cmpfloat (ps_figure_nice_length (0.2), ==, 0.2);
  g_assert_cmpfloat (ps_figure_nice_length (4.99), ==, 2);
  g_assert_cmpfloat (ps_figure_tick_step (10, 5), ==, 2);
  g_assert_cmpfloat (ps_figure_nice_length (0), ==, 0);
  g_assert_cmpfloat (ps_figure_nice_length (NAN), ==, 0);
  g_assert_cmpfloat (ps_figure_tick_step (-1, 3), ==, 0);
}

/* Objects of known voxel counts: labels 1…n in z-runs of a 3D grid, plus a
 * label number that never occurs (skipped) and one beyond n_labels
 * (ignored). Expected diameters and bins computed here from the definitions. */
static void
test_histograms (void)
{
  const size_t nx = 30, ny = 20, nz = 10;
  const double spacing[3] = { 0.5, 0.5, 1.0 };
  PsStatus st;
  PsLabels *pores = ps_labels_new (nx, ny, nz, &st);
  PsLabels *carbon = ps_labels_new (nx, ny, nz, &st);
  PsFigureHistograms h;
  size_t sizes[] = { 1, 7, 40, 300, 999, 2000 };
  uint64_t want[2][64] = { { 0 } };
  double max_d = 0, voxel = 0.25, w = 0;
  size_t pos = 0;

  g_assert_nonnull (pores);
  g_assert_nonnull (carbon);
  /* Pores: label i+1 gets sizes[i] voxels in raster order; label 7 skipped. */
  for (size_t i = 0; i < G_N_ELEMENTS (sizes); i++)
    for (size_t k = 0; k < sizes[i]; k++)
      pores->data[pos++] = (uint32_t) (i + 1);
  pores->n_labels = 7;
  pores->data[pos++] = 99; /* beyond n_labels: ignored */
  /* Carbon: one object of the rest of the volume. */
  for (size_t i = 0; i < nx * ny * nz; i++)
    carbon->data[i] = pores->data[i] == 0 ? 1 : 0;
  carbon->n_labels = 1;

  g_assert_cmpint (ps_figure_histograms_compute (pores, carbon, spacing, NULL, &h), ==, PS_OK);
  g_assert_cmpuint (h.n_objects[0], ==, G_N_ELEMENTS (sizes));
  g_assert_cmpuint (h.n_objects[1], ==, 1);
  double d_carbon = cbrt (6.0 * (nx * ny * nz - pos) * voxel / G_PI);
  max_d = d_carbon;
  for (size_t i = 0; i < G_N_ELEMENTS (sizes); i++)
    max_d = fmax (max_d, cbrt (6.0 * sizes[i] * voxel / G_PI));
  /* Width: the smallest 1/2/5 × 10^k ≥ max (0.5 nm, max_d / 50). */
  w = nice_brute (fmax (0.5, max_d / 50), FALSE);
  g_assert_cmpfloat_with_epsilon (h.bin_width_nm, w, 1e-12);
  g_assert_cmpuint (h.n_bins, ==, (size_t) floor (max_d / w) + 1);
  for (size_t i = 0; i < G_N_ELEMENTS (sizes); i++)
    want[0][(size_t) floor (cbrt (6.0 * sizes[i] * voxel / G_PI) / w)]++;
  want[1][(size_t) floor (d_carbon / w)]++;
  for (int p = 0; p < 2; p++)
    for (size_t b = 0; b < h.n_bins; b++)
      g_assert_cmpuint (h.counts[p][b], ==, want[p][b]);
  ps_figure_histograms_clear (&h);

  /* One phase only; cancellation. */
  g_assert_cmpint (ps_figure_histograms_compute (pores, NULL, spacing, NULL, &h), ==, PS_OK);
  g_assert_null (h.counts[1]);
  g_assert_nonnull (h.counts[0]);
  ps_figure_histograms_clear (&h);
  atomic_int cancel = 1;
  g_assert_cmpint (ps_figure_histograms_compute (pores, carbon, spacing, &cancel, &h), ==, PS_ERROR_CANCELLED);
  g_assert_null (h.counts[0]);
  ps_labels_unref (pores);
  ps_labels_unref (carbon);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/figure-layout/layouts", test_layouts);
  g_test_add_func ("/figure-layout/invalid", test_invalid);
  g_test_add_func ("/figure-layout/nice-numbers", test_nice_numbers);
  g_test_add_func ("/figure-layout/histograms", test_histograms);
  return g_test_run ();
}
