/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Edge cases through every kernel: NaN and ±Inf voxels, constant volumes,
 * volumes one voxel thick, 1×1×N columns, tiny tilt series, extreme float
 * ranges, and the size logic of volumes with 2^31 and more voxels (checked
 * without allocating them). Each result is compared with a brute-force
 * computation, or the kernel must refuse with a status. */
#include "config.h"

#include <float.h>
#include <glib.h>
#include <math.h>
#include <string.h>

#include "ps-analysis.h"
#include "ps-edt.h"
#include "ps-grid.h"
#include "ps-label.h"
#include "ps-measure.h"
#include "ps-memory.h"
#include "ps-seeds.h"
#include "ps-sirt.h"
#include "ps-size.h"
#include "ps-stats.h"
#include "ps-test-util.h"
#include "ps-thickness.h"
#include "ps-threshold.h"
#include "ps-tilt-series.h"
#include "ps-volume.h"
#include "ps-watershed.h"
#include "ps-wbp.h"

static PsVolume *
volume (size_t nx, size_t ny, size_t nz, float fill)
{
  PsStatus st;
  PsVolume *v = ps_volume_new (nx, ny, nz, &st);
  g_assert_nonnull (v);
  ps_volume_set_spacing (v, 2.0, 2.0, 2.0);
  for (size_t i = 0; i < nx * ny * nz; i++)
    v->data[i] = fill;
  return v;
}

/* ---- statistics and histograms ------------------------------------------- */

static void
test_stats_nonfinite (void)
{
  float d[] = { NAN, 1.0f, INFINITY, 3.0f, -INFINITY, 5.0f, NAN };
  PsStats s;
  ps_stats_compute (d, G_N_ELEMENTS (d), &s);
  g_assert_cmpuint (s.n, ==, 3);
  g_assert_cmpuint (s.n_nonfinite, ==, 4);
  g_assert_cmpfloat (s.min, ==, 1.0);
  g_assert_cmpfloat (s.max, ==, 5.0);
  g_assert_cmpfloat (s.mean, ==, 3.0);
  g_assert_cmpfloat_with_epsilon (s.sd, sqrt (8.0 / 3.0), 1e-12);

  /* nothing finite */
  float all_nan[5] = { NAN, NAN, INFINITY, NAN, -INFINITY };
  ps_stats_compute (all_nan, 5, &s);
  g_assert_cmpuint (s.n, ==, 0);
  g_assert_cmpuint (s.n_nonfinite, ==, 5);
  g_assert_true (isnan (s.min) && isnan (s.max) && isnan (s.mean) && isnan (s.sd));

  /* constant */
  float c[4] = { 7, 7, 7, 7 };
  ps_stats_compute (c, 4, &s);
  g_assert_cmpfloat (s.min, ==, 7.0);
  g_assert_cmpfloat (s.max, ==, 7.0);
  g_assert_cmpfloat (s.sd, ==, 0.0);

  /* the extremes of float: no overflow in the sums */
  float x[4] = { -FLT_MAX, FLT_MAX, FLT_MAX, -FLT_MAX };
  ps_stats_compute (x, 4, &s);
  g_assert_cmpfloat (s.mean, ==, 0.0);
  g_assert_cmpfloat_with_epsilon (s.sd / FLT_MAX, 1.0, 1e-12);

  /* histogram: non-finite values are not counted anywhere */
  PsHistogram *h = ps_histogram_compute (d, G_N_ELEMENTS (d), 0.0, 6.0, 3);
  g_assert_nonnull (h);
  g_assert_cmpuint (h->total, ==, 3);
  g_assert_cmpuint (h->counts[0] + h->counts[1] + h->counts[2], ==, 3);
  g_assert_cmpuint (h->counts[0], ==, 1);
  g_assert_cmpuint (h->counts[1], ==, 1);
  g_assert_cmpuint (h->counts[2], ==, 1);
  ps_histogram_free (h);
  /* lo ≥ hi (or NaN) means the data's own range; a constant gets [v, v + 1) */
  h = ps_histogram_compute (c, 4, 7.0, 7.0, 10);
  g_assert_nonnull (h);
  g_assert_cmpfloat (h->lo, ==, 7.0);
  g_assert_cmpfloat (h->hi, ==, 8.0);
  g_assert_cmpuint (h->counts[0], ==, 4);
  ps_histogram_free (h);
  h = ps_histogram_compute (d, G_N_ELEMENTS (d), NAN, NAN, 4);
  g_assert_nonnull (h);
  g_assert_cmpfloat (h->lo, ==, 1.0);
  g_assert_cmpfloat (h->hi, ==, 5.0);
  g_assert_cmpuint (h->total, ==, 3);
  ps_histogram_free (h);
  h = ps_histogram_compute (all_nan, 5, 0.0, 0.0, 4);
  g_assert_nonnull (h);
  g_assert_cmpuint (h->total, ==, 0);
  ps_histogram_free (h);
  /* an infinite range is refused */
  g_assert_null (ps_histogram_compute (c, 4, 0.0, INFINITY, 10));
  /* the whole float range in 4 bins */
  h = ps_histogram_compute (x, 4, -FLT_MAX, FLT_MAX, 4);
  g_assert_nonnull (h);
  g_assert_cmpuint (h->counts[0], ==, 2);
  g_assert_cmpuint (h->counts[3], ==, 2);
  ps_histogram_free (h);
}

/* ---- thresholds ----------------------------------------------------------- */

static double
otsu (const float *d, size_t n, PsStatus *st)
{
  PsOtsuParams p;
  ps_otsu_params_init (&p);
  double t = NAN;
  *st = ps_threshold_otsu (&p, d, n, &t);
  return t;
}

/* Brute-force Otsu over the midpoints of the sorted distinct values: the
 * best split of two-valued data must fall between the values. */
static void
test_threshold_edges (void)
{
  PsStatus st;
  /* non-finite voxels are ignored: same threshold as without them */
  float clean[8] = { 1, 1, 1, 2, 9, 9, 10, 10 };
  float dirty[12] = { 1, NAN, 1, 1, INFINITY, 2, 9, -INFINITY, 9, 10, NAN, 10 };
  double t_clean = otsu (clean, 8, &st);
  g_assert_cmpint (st, ==, PS_OK);
  double t_dirty = otsu (dirty, 12, &st);
  g_assert_cmpint (st, ==, PS_OK);
  g_assert_cmpfloat (t_clean, ==, t_dirty);
  g_assert_cmpfloat (t_clean, >, 2.0);
  g_assert_cmpfloat (t_clean, <, 9.0);

  /* all NaN: refused; constant: the value itself (everything is carbon) */
  float nan4[4] = { NAN, NAN, NAN, NAN };
  otsu (nan4, 4, &st);
  g_assert_cmpint (st, ==, PS_ERROR_INVALID_PARAMETER);
  float c[5] = { 3, 3, 3, 3, 3 };
  g_assert_cmpfloat (otsu (c, 5, &st), ==, 3.0);
  g_assert_cmpint (st, ==, PS_OK);
  size_t n_pore = 99;
  uint8_t mask[12];
  g_assert_cmpint (ps_threshold_apply (c, 5, 3.0, mask, 0, &n_pore), ==, PS_OK);
  g_assert_cmpuint (n_pore, ==, 0);
  /* NaN voxels are never pore; a NaN threshold is refused */
  g_assert_cmpint (ps_threshold_apply (dirty, 12, 5.0, mask, 0, &n_pore), ==, PS_OK);
  g_assert_cmpuint (n_pore, ==, 5);   /* 1, 1, 1, 2, −Inf */
  g_assert_cmpint (mask[1], ==, 0);
  g_assert_cmpint (ps_threshold_apply (dirty, 12, NAN, mask, 0, &n_pore), ==, PS_ERROR_INVALID_PARAMETER);

  /* extreme ranges: the whole float range, and two values a denormal apart
   * (n_bins / range overflows float) */
  float wide[6] = { -FLT_MAX, -FLT_MAX, -FLT_MAX, FLT_MAX, FLT_MAX, FLT_MAX };
  double t = otsu (wide, 6, &st);
  g_assert_cmpint (st, ==, PS_OK);
  g_assert_true (t > -FLT_MAX && t < FLT_MAX);
  float tiny[6] = { 0, 0, 0, 1e-40f, 1e-40f, 1e-40f };
  t = otsu (tiny, 6, &st);
  g_assert_cmpint (st, ==, PS_OK);
  g_assert_true (t >= 0.0 && t < 1e-40);
  g_assert_cmpint (ps_threshold_apply (tiny, 6, t, mask, 0, &n_pore), ==, PS_OK);
  g_assert_cmpuint (n_pore, ==, 3);

  /* the sweep: constant data → one threshold repeated, porosity 0 */
  PsPorositySweepParams sp;
  ps_porosity_sweep_params_init (&sp);
  sp.n_steps = 4;
  double th[5], por[5];
  g_assert_cmpint (ps_porosity_sweep (&sp, c, 5, th, por), ==, PS_OK);
  for (int i = 0; i < 5; i++)
    {
      g_assert_cmpfloat (th[i], ==, 3.0);
      g_assert_cmpfloat (por[i], ==, 0.0);
    }
  /* with NaN: porosity counts finite voxels only */
  g_assert_cmpint (ps_porosity_sweep (&sp, dirty, 12, th, por), ==, PS_OK);
  g_assert_cmpfloat (th[0], ==, 1.0);
  g_assert_cmpfloat (th[4], ==, 10.0);
  g_assert_cmpfloat (por[0], ==, 0.0);
  g_assert_cmpfloat_with_epsilon (por[2], 4.0 / 8.0, 1e-12);   /* below 5.5: 1, 1, 1, 2 */
  g_assert_cmpint (ps_porosity_sweep (&sp, nan4, 4, th, por), ==, PS_ERROR_INVALID_PARAMETER);
  g_assert_cmpint (ps_porosity_sweep (&sp, wide, 6, th, por), ==, PS_OK);
  g_assert_cmpfloat_with_epsilon (por[2], 0.5, 1e-12);
}

/* ---- distance transform and labels on thin grids ---------------------------- */

/* Brute-force EDT (nm) of the phase mask != 0. */
static double
brute_edt (const PsGrid *g, const uint8_t *mask, bool border_bg, size_t x, size_t y, size_t z)
{
  double best = INFINITY;
  if (!mask[(z * g->ny + y) * g->nx + x])
    return 0.0;
  for (size_t k = 0; k < g->nz; k++)
    for (size_t j = 0; j < g->ny; j++)
      for (size_t i = 0; i < g->nx; i++)
        if (!mask[(k * g->ny + j) * g->nx + i])
          {
            double dx = ((double) i - x) * g->spacing[0], dy = ((double) j - y) * g->spacing[1],
                   dz = ((double) k - z) * g->spacing[2];
            best = fmin (best, sqrt (dx * dx + dy * dy + dz * dz));
          }
  if (border_bg)
    {
      size_t c[3] = { x, y, z }, n[3] = { g->nx, g->ny, g->nz };
      for (int a = 0; a < 3; a++)
        {
          best = fmin (best, (double) (c[a] + 1) * g->spacing[a]);
          best = fmin (best, (double) (n[a] - c[a]) * g->spacing[a]);
        }
    }
  return best;
}

static void
check_edt (const PsGrid *g, const uint8_t *mask)
{
  size_t n = ps_grid_n_voxels (g);
  float *d = g_new (float, n);
  for (int border = 0; border < 2; border++)
    {
      PsEdtParams p;
      ps_edt_params_init (&p);
      p.border_is_background = border;
      g_assert_cmpint (ps_edt_run (&p, g, mask, d, NULL), ==, PS_OK);
      for (size_t z = 0; z < g->nz; z++)
        for (size_t y = 0; y < g->ny; y++)
          for (size_t x = 0; x < g->nx; x++)
            {
              double want = brute_edt (g, mask, border, x, y, z);
              double got = d[(z * g->ny + y) * g->nx + x];
              if (isinf (want))
                g_assert_true (isinf (got) && got > 0);
              else
                g_assert_cmpfloat_with_epsilon (got, want, 1e-4 * (1 + want));
            }
    }
  g_free (d);
}

/* Brute-force 6-connected component count (flood fill). */
static uint32_t
brute_count6 (const PsGrid *g, const uint8_t *mask)
{
  size_t n = ps_grid_n_voxels (g);
  uint8_t *seen = g_new0 (uint8_t, n);
  size_t *stack = g_new (size_t, n);
  uint32_t count = 0;
  for (size_t s = 0; s < n; s++)
    {
      if (!mask[s] || seen[s])
        continue;
      count++;
      size_t top = 0;
      stack[top++] = s;
      seen[s] = 1;
      while (top > 0)
        {
          size_t i = stack[--top];
          size_t x = i % g->nx, y = (i / g->nx) % g->ny, z = i / (g->nx * g->ny);
          long nb[6][3] = { { -1, 0, 0 }, { 1, 0, 0 }, { 0, -1, 0 }, { 0, 1, 0 }, { 0, 0, -1 }, { 0, 0, 1 } };
          for (int k = 0; k < 6; k++)
            {
              long xx = (long) x + nb[k][0], yy = (long) y + nb[k][1], zz = (long) z + nb[k][2];
              if (xx < 0 || yy < 0 || zz < 0 || xx >= (long) g->nx || yy >= (long) g->ny || zz >= (long) g->nz)
                continue;
              size_t j = ((size_t) zz * g->ny + (size_t) yy) * g->nx + (size_t) xx;
              if (mask[j] && !seen[j])
                {
                  seen[j] = 1;
                  stack[top++] = j;
                }
            }
        }
    }
  g_free (seen);
  g_free (stack);
  return count;
}

static void
check_labels (const PsGrid *g, const uint8_t *mask)
{
  size_t n = ps_grid_n_voxels (g);
  uint32_t *lab = g_new (uint32_t, n);
  PsLabelParams p;
  ps_label_params_init (&p);
  p.connectivity = 6;
  uint32_t n_labels = 12345;
  g_assert_cmpint (ps_label_run (&p, g, mask, lab, &n_labels, NULL), ==, PS_OK);
  g_assert_cmpuint (n_labels, ==, brute_count6 (g, mask));
  for (size_t i = 0; i < n; i++)
    {
      g_assert_true ((lab[i] != 0) == (mask[i] != 0));
      g_assert_cmpuint (lab[i], <=, n_labels);
    }
  g_free (lab);
}

static void
test_thin_grids (void)
{
  PsTestRng rng = { 42 };
  const size_t shapes[][3] = { { 1, 1, 1 }, { 1, 1, 37 }, { 37, 1, 1 }, { 1, 29, 1 }, { 13, 11, 1 },
                               { 1, 12, 9 }, { 10, 1, 8 }, { 2, 1, 40 } };
  const double spacings[][3] = { { 1, 1, 1 }, { 0.5, 2, 3.5 } };
  for (size_t s = 0; s < G_N_ELEMENTS (shapes); s++)
    for (size_t sp = 0; sp < G_N_ELEMENTS (spacings); sp++)
      for (int fill = 0; fill < 3; fill++)   /* random, all phase, no phase */
        {
          PsGrid g = { shapes[s][0], shapes[s][1], shapes[s][2],
                       { spacings[sp][0], spacings[sp][1], spacings[sp][2] } };
          size_t n = ps_grid_n_voxels (&g);
          uint8_t *mask = g_new (uint8_t, n);
          for (size_t i = 0; i < n; i++)
            mask[i] = fill == 0 ? ps_test_rng_uniform (&rng) < 0.6 : fill == 1;
          check_edt (&g, mask);
          check_labels (&g, mask);
          g_free (mask);
        }
}

/* Watershed with seeds on a 1×1×N column: each run of phase voxels is one
 * basin; every seed's run gets that seed's label. */
static void
test_column_watershed (void)
{
  const size_t n = 30;
  PsGrid g = ps_grid_make (1, 1, n, 1.0);
  uint8_t mask[30];
  for (size_t i = 0; i < n; i++)
    mask[i] = !(i == 0 || i == 9 || i == 10 || i == 20);
  float dist[30];
  PsEdtParams ep;
  ps_edt_params_init (&ep);
  g_assert_cmpint (ps_edt_run (&ep, &g, mask, dist, NULL), ==, PS_OK);
  PsDistanceMap dm = { NULL, dist, { 0 } };

  /* seeds by h-maxima: one per run (runs 1–8, 11–19, 21–29) */
  PsHMaximaParams hp;
  ps_hmaxima_params_init (&hp);
  hp.h_nm = 0.5;
  hp.connectivity = 6;
  PsSeedList seeds;
  ps_seed_list_init (&seeds);
  uint32_t scratch[30];
  g_assert_cmpint (ps_seeds_hmaxima (&hp, &g, &dm, mask, scratch, &seeds, NULL), ==, PS_OK);
  g_assert_cmpuint (seeds.n, >=, 3);

  PsWatershedParams wp;
  ps_watershed_params_init (&wp);
  wp.connectivity = 6;
  uint32_t labels[30], n_labels = 0;
  g_assert_cmpint (ps_watershed_run (&wp, &g, &dm, mask, &seeds, labels, &n_labels, NULL), ==, PS_OK);
  g_assert_cmpuint (n_labels, >=, 3);
  for (size_t i = 0; i < n; i++)
    g_assert_true ((labels[i] != 0) == (mask[i] != 0));
  /* voxels of different runs never share a label */
  g_assert_cmpuint (labels[5], !=, labels[15]);
  g_assert_cmpuint (labels[15], !=, labels[25]);
  ps_seed_list_clear (&seeds);

  /* a constant distance map (all phase, no border): one plateau, one seed */
  uint8_t all[30];
  memset (all, 1, sizeof all);
  float flat[30];
  for (size_t i = 0; i < n; i++)
    flat[i] = 3.0f;
  PsDistanceMap fm = { NULL, flat, { 0 } };
  ps_seed_list_init (&seeds);
  g_assert_cmpint (ps_seeds_hmaxima (&hp, &g, &fm, all, scratch, &seeds, NULL), ==, PS_OK);
  g_assert_cmpuint (seeds.n, ==, 1);
  g_assert_cmpint (ps_watershed_run (&wp, &g, &fm, all, &seeds, labels, &n_labels, NULL), ==, PS_OK);
  g_assert_cmpuint (n_labels, ==, 1);
  for (size_t i = 0; i < n; i++)
    g_assert_cmpuint (labels[i], ==, 1);
  ps_seed_list_clear (&seeds);
}

/* ---- the whole analysis on degenerate volumes ------------------------------------ */

static PsStatus
analyse_with (PsVolume *v, PsSmoothKind smooth, PsAnalysisResult **r)
{
  PsAnalysisParams p;
  ps_analysis_params_init (&p);
  p.smooth = smooth;
  p.n_threads = 2;
  p.local_thickness = true;
  return ps_analysis_run (&p, v, NULL, r, NULL);
}

static PsStatus
analyse (PsVolume *v, PsAnalysisResult **r)
{
  return analyse_with (v, PS_SMOOTH_GAUSSIAN, r);
}

/* Porosity must equal the brute-force count of the voxels of the thresholded
 * volume (the smoothed one; NaN is never pore) below the reported threshold. */
static void
check_result (const PsVolume *v, const PsAnalysisResult *r)
{
  uint64_t pore = 0, n = ps_volume_n_voxels (v);
  g_assert_nonnull (r->smoothed);
  g_assert_cmpuint (ps_volume_n_voxels (r->smoothed), ==, n);
  if (r->params.smooth == PS_SMOOTH_NONE)
    g_assert_true (memcmp (r->smoothed->data, v->data, n * sizeof (float)) == 0);
  for (size_t i = 0; i < n; i++)
    pore += (double) r->smoothed->data[i] < r->threshold;
  g_assert_true (isfinite (r->threshold));
  g_assert_cmpuint (r->n_voxels, ==, n);
  g_assert_cmpuint (r->n_pore_voxels, ==, pore);
  g_assert_cmpfloat_with_epsilon (r->porosity, (double) pore / (double) n, 1e-12);
  g_assert_true (isfinite (r->open_porosity) && isfinite (r->closed_porosity));
  g_assert_cmpfloat_with_epsilon (r->open_porosity + r->closed_porosity, r->porosity, 1e-12);
  const PsAnalysisPhase *ph[2] = { &r->pores, &r->carbon };
  for (int k = 0; k < 2; k++)
    {
      g_assert_nonnull (ph[k]->objects);
      g_assert_cmpuint (ph[k]->count, ==, ph[k]->objects->n_objects);
      uint64_t vox = 0;
      for (size_t i = 0; i < ph[k]->objects->n_objects; i++)
        vox += ph[k]->objects->objects[i].voxels;
      g_assert_cmpuint (vox, ==, k == 0 ? pore : n - pore);
      if (ph[k]->count > 0)
        g_assert_true (isfinite (ph[k]->eqdiam_mean_nm) && ph[k]->eqdiam_mean_nm > 0);
    }
}

static void
test_analysis_degenerate (void)
{
  PsAnalysisResult *r = NULL;

  /* constant: Otsu gives the value, everything is carbon, one object */
  PsVolume *v = volume (8, 8, 8, 100.0f);
  g_assert_cmpint (analyse (v, &r), ==, PS_OK);
  g_assert_cmpfloat (r->threshold, ==, 100.0);
  g_assert_cmpfloat (r->porosity, ==, 0.0);
  check_result (v, r);
  g_assert_cmpuint (r->pores.count, ==, 0);
  g_assert_cmpuint (r->carbon.count, ==, 1);
  ps_analysis_result_free (r);
  ps_volume_unref (v);

  /* all NaN: nothing to threshold, refused */
  v = volume (6, 6, 6, NAN);
  r = NULL;
  g_assert_cmpint (analyse (v, &r), !=, PS_OK);
  g_assert_null (r);
  ps_volume_unref (v);

  /* a two-phase cube with NaN and ±Inf voxels sprinkled in */
  PsTestRng rng = { 7 };
  v = volume (12, 12, 12, 200.0f);
  for (size_t z = 3; z < 9; z++)
    for (size_t y = 3; y < 9; y++)
      for (size_t x = 3; x < 9; x++)
        v->data[ps_volume_index (v, x, y, z)] = 50.0f;
  for (int i = 0; i < 40; i++)
    {
      size_t k = ps_test_rng_next (&rng) % ps_volume_n_voxels (v);
      v->data[k] = i % 3 == 0 ? NAN : i % 3 == 1 ? INFINITY : -INFINITY;
    }
  for (int k = 0; k < 3; k++)
    {
      /* Gaussian (as scipy: a NaN or Inf reaches the voxels whose kernel
       * covers it), median (a NaN wins only a majority), none */
      PsSmoothKind sm[3] = { PS_SMOOTH_GAUSSIAN, PS_SMOOTH_MEDIAN, PS_SMOOTH_NONE };
      r = NULL;
      g_assert_cmpint (analyse_with (v, sm[k], &r), ==, PS_OK);
      g_assert_cmpfloat (r->threshold, >, 50.0);
      g_assert_cmpfloat (r->threshold, <, 200.0);
      check_result (v, r);
      g_assert_cmpuint (r->pores.count, >=, 1);
      ps_analysis_result_free (r);
    }
  ps_volume_unref (v);

  /* one voxel thick, 1×1×N, and a single voxel */
  const size_t shapes[][3] = { { 16, 12, 1 }, { 1, 14, 10 }, { 1, 1, 40 }, { 40, 1, 1 }, { 1, 1, 1 } };
  for (size_t s = 0; s < G_N_ELEMENTS (shapes); s++)
    {
      v = volume (shapes[s][0], shapes[s][1], shapes[s][2], 200.0f);
      size_t n = ps_volume_n_voxels (v);
      for (size_t i = 0; i < n; i++)
        v->data[i] = (i / 3) % 2 ? 50.0f : 200.0f;
      r = NULL;
      PsStatus st = analyse (v, &r);
      if (g_test_verbose ())
        g_printerr ("%zu×%zu×%zu: %s\n", v->nx, v->ny, v->nz, ps_status_to_string (st));
      g_assert_cmpint (st, ==, PS_OK);
      check_result (v, r);
      ps_analysis_result_free (r);
      ps_volume_unref (v);
    }
}

/* ---- reconstruction of tiny tilt series ------------------------------------------ */

static PsTiltSeries *
series (size_t nx, size_t ny, size_t n, float fill)
{
  PsStatus st;
  PsTiltSeries *ts = ps_tilt_series_new (nx, ny, n, &st);
  g_assert_nonnull (ts);
  for (size_t i = 0; i < nx * ny * n; i++)
    ts->data[i] = fill;
  for (size_t i = 0; i < n; i++)
    ts->angles[i] = n == 1 ? 0.0 : -60.0 + 120.0 * (double) i / (double) (n - 1);
  return ts;
}

static void
check_volume_finite (const PsVolume *v)
{
  for (size_t i = 0; i < ps_volume_n_voxels (v); i++)
    g_assert_true (isfinite (v->data[i]));
}

static void
test_recon_tiny (void)
{
  char why[256];
  const size_t shapes[][3] = { { 1, 1, 1 }, { 1, 1, 5 }, { 2, 1, 3 }, { 1, 4, 7 }, { 3, 2, 2 }, { 4, 3, 1 }, { 2, 2, 1 } };
  for (size_t s = 0; s < G_N_ELEMENTS (shapes); s++)
    {
      PsTiltSeries *ts = series (shapes[s][0], shapes[s][1], shapes[s][2], 1.0f);
      PsVolume *out = NULL;
      PsWbpParams wp;
      ps_wbp_params_init (&wp);
      wp.n_threads = 2;
      PsStatus st = ps_wbp_run (&wp, ts, &out, NULL, why, sizeof why);
      if (g_test_verbose ())
        g_printerr ("WBP %zu×%zu×%zu: %s %s\n", shapes[s][0], shapes[s][1], shapes[s][2],
                    ps_status_to_string (st), st ? why : "");
      /* one pixel wide: refused with a reason; otherwise a finite volume,
       * even from a single image */
      if (shapes[s][0] == 1)
        {
          g_assert_cmpint (st, ==, PS_ERROR_INVALID_PARAMETER);
          g_assert_null (out);
          g_assert_nonnull (strstr (why, "1 pixel wide"));
        }
      else
        {
          g_assert_cmpint (st, ==, PS_OK);
          g_assert_cmpuint (out->nx, ==, shapes[s][0]);
          g_assert_cmpuint (out->ny, ==, shapes[s][1]);
          check_volume_finite (out);
          ps_volume_unref (out);
        }

      for (int m = 0; m < 2; m++)
        {
          PsSirtParams sp;
          ps_sirt_params_init (&sp, m ? PS_ITERATIVE_SART : PS_ITERATIVE_SIRT);
          sp.iterations = 3;
          sp.n_threads = 2;
          double res[3];
          out = NULL;
          st = ps_sirt_run (&sp, ts, &out, res, NULL, why, sizeof why);
          if (g_test_verbose ())
            g_printerr ("%s %zu×%zu×%zu: %s %s\n", ps_iterative_method_to_string (sp.method), shapes[s][0],
                        shapes[s][1], shapes[s][2], ps_status_to_string (st), st ? why : "");
          if (shapes[s][0] == 1)
            {
              g_assert_cmpint (st, ==, PS_ERROR_INVALID_PARAMETER);
              g_assert_null (out);
              g_assert_nonnull (strstr (why, "1 pixel wide"));
            }
          else
            {
              g_assert_cmpint (st, ==, PS_OK);
              check_volume_finite (out);
              for (int i = 0; i < 3; i++)
                g_assert_true (isfinite (res[i]) && res[i] >= 0);
              ps_volume_unref (out);
            }
        }
      ps_tilt_series_unref (ts);
    }

  /* NaN or Inf in a projection: refused, naming the image and the pixel */
  PsTiltSeries *ts = series (8, 4, 5, 1.0f);
  ts->data[17] = NAN;
  ts->data[40] = INFINITY;
  PsWbpParams wp;
  ps_wbp_params_init (&wp);
  PsVolume *out = NULL;
  PsStatus st = ps_wbp_run (&wp, ts, &out, NULL, why, sizeof why);
  g_assert_cmpint (st, ==, PS_ERROR_INVALID_PARAMETER);
  g_assert_null (out);
  g_assert_nonnull (strstr (why, "non-finite pixel"));
  PsSirtParams sp;
  ps_sirt_params_init (&sp, PS_ITERATIVE_SIRT);
  sp.iterations = 2;
  out = NULL;
  st = ps_sirt_run (&sp, ts, &out, NULL, NULL, why, sizeof why);
  g_assert_cmpint (st, ==, PS_ERROR_INVALID_PARAMETER);
  g_assert_null (out);
  g_assert_nonnull (strstr (why, "image 1 has a non-finite pixel"));
  ps_tilt_series_unref (ts);
}

/* ---- 2^31+ voxels: the size logic, never allocated ---------------------------------- */

static void
test_huge_sizes (void)
{
  size_t bytes;
  PsStatus st = PS_OK;

  /* overflow-checked arithmetic */
  g_assert_true (ps_size_voxels_bytes (2048, 2048, 1024, sizeof (float), &bytes));
  g_assert_cmpuint (bytes, ==, (size_t) 1 << 34);
  g_assert_false (ps_size_voxels_bytes ((size_t) 1 << 31, (size_t) 1 << 31, (size_t) 1 << 31, 4, &bytes));
  g_assert_false (ps_size_voxels_bytes (SIZE_MAX / 2, 3, 1, 1, &bytes));
  g_assert_false (ps_size_add (SIZE_MAX, 1, &bytes));

  /* the grid check: 2^32 voxels are a valid grid; 2^31 along one axis is not */
  PsGrid big = ps_grid_make (2048, 2048, 1024, 1.0);
  g_assert_cmpint (ps_grid_validate (&big), ==, PS_OK);
  g_assert_cmpuint (ps_grid_n_voxels (&big), ==, (size_t) 1 << 32);
  PsGrid axis = ps_grid_make ((size_t) 1 << 31, 1, 1, 1.0);
  g_assert_cmpint (ps_grid_validate (&axis), ==, PS_ERROR_TOO_LARGE);
  PsGrid wrap = ps_grid_make ((size_t) 1 << 30, (size_t) 1 << 30, (size_t) 1 << 30, 1.0);
  g_assert_cmpint (ps_grid_validate (&wrap), ==, PS_ERROR_TOO_LARGE);

  /* kernels accept the 2^32-voxel grid's size (the checks do not wrap at
   * 2^31 or 2^32) */
  PsEdtParams ep;
  ps_edt_params_init (&ep);
  g_assert_cmpint (ps_edt_validate (&ep, &big), ==, PS_OK);
  PsLabelParams lp;
  ps_label_params_init (&lp);
  g_assert_cmpint (ps_label_validate (&lp, &big), ==, PS_OK);
  g_assert_cmpint (ps_edt_validate (&ep, &wrap), ==, PS_ERROR_TOO_LARGE);
  g_assert_cmpint (ps_label_validate (&lp, &wrap), ==, PS_ERROR_TOO_LARGE);

  /* the memory budget refuses without allocating */
  size_t old = ps_memory_get_limit ();
  ps_memory_set_limit ((size_t) 1 << 30);
  g_assert_cmpint (ps_memory_check ((size_t) 1 << 34), ==, PS_ERROR_TOO_LARGE);
  g_assert_cmpint (ps_memory_check (SIZE_MAX), ==, PS_ERROR_TOO_LARGE);
  g_assert_null (ps_volume_new (2048, 2048, 1024, &st));
  g_assert_cmpint (st, ==, PS_ERROR_TOO_LARGE);
  st = PS_OK;
  g_assert_null (ps_volume_new_uninit (4096, 4096, 4096, &st));
  g_assert_cmpint (st, ==, PS_ERROR_TOO_LARGE);
  st = PS_OK;
  g_assert_null (ps_labels_new (65536, 65536, 2, &st));
  g_assert_cmpint (st, ==, PS_ERROR_TOO_LARGE);
  st = PS_OK;
  g_assert_null (ps_volume_new ((size_t) 1 << 40, (size_t) 1 << 40, (size_t) 1 << 40, &st));
  g_assert_cmpint (st, ==, PS_ERROR_TOO_LARGE);
  st = PS_OK;
  g_assert_null (ps_tilt_series_new (65536, 65536, 2, &st));
  g_assert_cmpint (st, ==, PS_ERROR_TOO_LARGE);

  /* a reconstruction of 2^32 voxels (a 64 × 64 series, 2^20 slices thick)
   * is refused by its validation, which names the size */
  PsTiltSeries *ts = series (64, 64, 3, 0.0f);
  char why[256] = "";
  PsWbpParams wp;
  ps_wbp_params_init (&wp);
  wp.thickness = (size_t) 1 << 20;
  g_assert_cmpint (ps_wbp_validate (&wp, ts, why, sizeof why), ==, PS_ERROR_TOO_LARGE);
  g_assert_nonnull (strstr (why, "64 × 64 × 1048576"));
  PsVolume *out = NULL;
  g_assert_cmpint (ps_wbp_run (&wp, ts, &out, NULL, why, sizeof why), ==, PS_ERROR_TOO_LARGE);
  g_assert_null (out);
  PsSirtParams sp;
  ps_sirt_params_init (&sp, PS_ITERATIVE_SIRT);
  sp.thickness = (size_t) 1 << 20;
  why[0] = '\0';
  g_assert_cmpint (ps_sirt_validate (&sp, ts, why, sizeof why), ==, PS_ERROR_TOO_LARGE);
  g_assert_true (why[0] != '\0');
  g_assert_cmpint (ps_sirt_run (&sp, ts, &out, NULL, NULL, why, sizeof why), ==, PS_ERROR_TOO_LARGE);
  g_assert_null (out);
  ps_tilt_series_unref (ts);

  ps_memory_set_limit (old);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/core/edge/stats-nonfinite", test_stats_nonfinite);
  g_test_add_func ("/core/edge/threshold", test_threshold_edges);
  g_test_add_func ("/core/edge/thin-grids-edt-labels", test_thin_grids);
  g_test_add_func ("/core/edge/column-watershed", test_column_watershed);
  g_test_add_func ("/core/edge/analysis-degenerate", test_analysis_degenerate);
  g_test_add_func ("/core/edge/recon-tiny", test_recon_tiny);
  g_test_add_func ("/core/edge/huge-sizes", test_huge_sizes);
  return g_test_run ();
}
