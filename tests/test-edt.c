/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Exact Euclidean distance transform: brute force on small random volumes
 * (isotropic, integer-anisotropic, non-integer-anisotropic; faces as
 * background or not; both phases), thread-count independence, edge cases,
 * and scipy.ndimage.distance_transform_edt on 128³. */
#include "config.h"

#include <glib.h>
#include <math.h>
#include <stdatomic.h>
#include <string.h>

#include "ps-edt.h"
#include "ps-test-util.h"

static uint8_t *
random_mask (const PsGrid *g, double density, guint64 seed)
{
  size_t n = ps_grid_n_voxels (g);
  uint8_t *m = g_malloc (n);
  PsTestRng rng = { seed };
  for (size_t i = 0; i < n; i++)
    m[i] = ps_test_rng_uniform (&rng) < density;
  return m;
}

/* d² by brute force in nm²: the nearest non-phase voxel, or a face when the
 * faces are background. */
static double
brute_d2 (const PsGrid *g, const uint8_t *m, bool invert, bool border, size_t x, size_t y, size_t z)
{
  const double *s = g->spacing;
  double best = INFINITY;
  if (((m[(z * g->ny + y) * g->nx + x] != 0) == invert))
    return 0.0;
  for (size_t k = 0; k < g->nz; k++)
    for (size_t j = 0; j < g->ny; j++)
      for (size_t i = 0; i < g->nx; i++)
        if ((m[(k * g->ny + j) * g->nx + i] != 0) == invert)
          {
            double dx = ((double) i - (double) x) * s[0];
            double dy = ((double) j - (double) y) * s[1];
            double dz = ((double) k - (double) z) * s[2];
            double d2 = dx * dx + dy * dy + dz * dz;
            if (d2 < best)
              best = d2;
          }
  if (border)
    {
      size_t p[3] = { x, y, z }, n[3] = { g->nx, g->ny, g->nz };
      for (int a = 0; a < 3; a++)
        {
          double lo = ((double) p[a] + 1) * s[a], hi = ((double) (n[a] - p[a])) * s[a];
          best = fmin (best, fmin (lo * lo, hi * hi));
        }
    }
  return best;
}

static void
check_against_brute (const PsGrid *g, double density, guint64 seed, bool invert, bool border)
{
  size_t n = ps_grid_n_voxels (g);
  uint8_t *m = random_mask (g, density, seed);
  float *d = g_malloc (n * sizeof (float));
  PsEdtParams p;
  ps_edt_params_init (&p);
  p.invert = invert;
  p.border_is_background = border;
  p.n_threads = 2;
  g_assert_cmpint (ps_edt_run (&p, g, m, d, NULL), ==, PS_OK);

  PsEdtMetric metric = ps_edt_metric (g);
  uint32_t *d2 = NULL;
  if (metric.integer)
    {
      d2 = g_malloc (n * sizeof (uint32_t));
      g_assert_cmpint (ps_edt_run_squared (&p, g, m, d2, NULL), ==, PS_OK);
    }
  for (size_t z = 0; z < g->nz; z++)
    for (size_t y = 0; y < g->ny; y++)
      for (size_t x = 0; x < g->nx; x++)
        {
          size_t i = (z * g->ny + y) * g->nx + x;
          double ref2 = brute_d2 (g, m, invert, border, x, y, z);
          double ref = sqrt (ref2);
          if (isinf (ref))
            g_assert_true (isinf (d[i]) && d[i] > 0);
          else
            g_assert_cmpfloat_with_epsilon (d[i], ref, 1e-6 * (1.0 + ref));
          if (d2 != NULL)
            {
              if (isinf (ref2))
                g_assert_cmpuint (d2[i], ==, PS_EDT_INFINITE);
              else
                {
                  /* Exact: the integer squared distance in unit² equals the
                   * brute-force nm² divided by unit². */
                  double u2 = metric.unit_nm * metric.unit_nm;
                  g_assert_cmpfloat (fabs ((double) d2[i] * u2 - ref2), <=, 1e-9 * (1.0 + ref2));
                }
            }
        }
  g_free (d2);
  g_free (d);
  g_free (m);
}

static void
test_brute (void)
{
  const double spacings[][3] = {
    { 1, 1, 1 }, { 2, 1, 1 }, { 0.5, 0.5, 1.5 }, { 0.7, 1.3, 2.1 }, { 3, 1, 2 },
  };
  const size_t dims[][3] = { { 9, 7, 5 }, { 13, 6, 8 }, { 1, 11, 9 }, { 10, 1, 1 }, { 17, 16, 3 } };
  const double densities[] = { 0.97, 0.85, 0.5, 0.1 };
  guint64 seed = 1;

  for (size_t si = 0; si < G_N_ELEMENTS (spacings); si++)
    for (size_t di = 0; di < G_N_ELEMENTS (dims); di++)
      for (size_t ri = 0; ri < G_N_ELEMENTS (densities); ri++)
        for (int flags = 0; flags < 4; flags++)
          {
            PsGrid g = { dims[di][0], dims[di][1], dims[di][2],
                         { spacings[si][0], spacings[si][1], spacings[si][2] } };
            check_against_brute (&g, densities[ri], seed++, flags & 1, (flags & 2) != 0);
          }
}

static void
test_metric (void)
{
  PsGrid g = ps_grid_make (4, 4, 4, 0.37);
  PsEdtMetric m = ps_edt_metric (&g);
  g_assert_true (m.integer);
  g_assert_cmpfloat (m.unit_nm, ==, 0.37);
  g_assert_cmpuint (m.weights[0], ==, 1);

  PsGrid a = { 4, 4, 4, { 2.0, 1.0, 1.0 } };
  m = ps_edt_metric (&a);
  g_assert_true (m.integer);
  g_assert_cmpuint (m.weights[0], ==, 4);
  g_assert_cmpuint (m.weights[1], ==, 1);

  PsGrid b = { 4, 4, 4, { 1.0, 1.3, 1.0 } };
  m = ps_edt_metric (&b);
  g_assert_false (m.integer);
  PsEdtParams p;
  ps_edt_params_init (&p);
  uint8_t mask[64] = { 0 };
  uint32_t d2[64];
  g_assert_cmpint (ps_edt_run_squared (&p, &b, mask, d2, NULL), ==, PS_ERROR_INVALID_PARAMETER);
}

static void
test_threads (void)
{
  const double spacings[][3] = { { 1, 1, 1 }, { 0.7, 1.3, 2.1 } };
  PsGrid g = { 37, 29, 23, { 1, 1, 1 } };
  size_t n = ps_grid_n_voxels (&g);
  uint8_t *m = random_mask (&g, 0.9, 42);
  float *a = g_malloc (n * 4), *b = g_malloc (n * 4);

  for (size_t s = 0; s < G_N_ELEMENTS (spacings); s++)
    {
      memcpy (g.spacing, spacings[s], sizeof g.spacing);
      PsEdtParams p;
      ps_edt_params_init (&p);
      p.n_threads = 1;
      g_assert_cmpint (ps_edt_run (&p, &g, m, a, NULL), ==, PS_OK);
      p.n_threads = 4;
      g_assert_cmpint (ps_edt_run (&p, &g, m, b, NULL), ==, PS_OK);
      g_assert_cmpmem (a, n * 4, b, n * 4);
    }
  g_free (a);
  g_free (b);
  g_free (m);
}

static void
test_edge_cases (void)
{
  PsGrid g = ps_grid_make (5, 4, 3, 2.0);
  uint8_t m[60];
  float d[60];
  PsEdtParams p;
  ps_edt_params_init (&p);

  /* All phase, no background anywhere: infinite. */
  memset (m, 1, sizeof m);
  g_assert_cmpint (ps_edt_run (&p, &g, m, d, NULL), ==, PS_OK);
  for (int i = 0; i < 60; i++)
    g_assert_true (isinf (d[i]) && d[i] > 0);
  /* ... unless the faces are background: distance to the nearest face,
   * counting the face as the centre of the voxel just outside. */
  p.border_is_background = true;
  g_assert_cmpint (ps_edt_run (&p, &g, m, d, NULL), ==, PS_OK);
  g_assert_cmpfloat (d[0], ==, 2.0f);
  g_assert_cmpfloat (d[(1 * 4 + 1) * 5 + 2], ==, 4.0f);
  /* No phase at all: zeros. */
  p.border_is_background = false;
  memset (m, 0, sizeof m);
  g_assert_cmpint (ps_edt_run (&p, &g, m, d, NULL), ==, PS_OK);
  for (int i = 0; i < 60; i++)
    g_assert_cmpfloat (d[i], ==, 0.0f);
  /* The inverted phase of an empty mask is everything. */
  p.invert = true;
  g_assert_cmpint (ps_edt_run (&p, &g, m, d, NULL), ==, PS_OK);
  g_assert_true (isinf (d[7]));

  /* A single voxel. */
  PsGrid one = ps_grid_make (1, 1, 1, 1.0);
  uint8_t m1 = 1;
  float d1;
  p.invert = false;
  p.border_is_background = true;
  g_assert_cmpint (ps_edt_run (&p, &one, &m1, &d1, NULL), ==, PS_OK);
  g_assert_cmpfloat (d1, ==, 1.0f);

  /* Bad input is refused, not crashed on. */
  PsGrid bad = ps_grid_make (0, 4, 4, 1.0);
  g_assert_cmpint (ps_edt_run (&p, &bad, m, d, NULL), ==, PS_ERROR_INVALID_PARAMETER);
  PsGrid nan = ps_grid_make (5, 4, 3, NAN);
  g_assert_cmpint (ps_edt_run (&p, &nan, m, d, NULL), ==, PS_ERROR_INVALID_PARAMETER);
  PsGrid huge = ps_grid_make ((size_t) 1 << 30, (size_t) 1 << 30, (size_t) 1 << 30, 1.0);
  g_assert_cmpint (ps_edt_run (&p, &huge, m, d, NULL), ==, PS_ERROR_TOO_LARGE);
  g_assert_cmpint (ps_edt_run (&p, &g, NULL, d, NULL), ==, PS_ERROR_INVALID_PARAMETER);
  p.n_threads = -1;
  g_assert_cmpint (ps_edt_run (&p, &g, m, d, NULL), ==, PS_ERROR_INVALID_PARAMETER);
}

static void
count_progress (double fraction, const char *message, void *user_data)
{
  double *last = user_data;
  g_assert_cmpfloat (fraction, >=, *last);
  *last = fraction;
}

static void
test_progress_cancel (void)
{
  PsGrid g = ps_grid_make (20, 20, 20, 1.0);
  uint8_t *m = random_mask (&g, 0.8, 3);
  float *d = g_malloc (8000 * 4);
  atomic_int cancel = 0;
  double last = 0.0;
  PsProgress prog = { count_progress, &last, &cancel, 0, 0 };
  PsEdtParams p;
  ps_edt_params_init (&p);
  p.n_threads = 2;
  g_assert_cmpint (ps_edt_run (&p, &g, m, d, &prog), ==, PS_OK);
  g_assert_cmpfloat (last, >, 0.99);
  atomic_store (&cancel, 1);
  g_assert_cmpint (ps_edt_run (&p, &g, m, d, &prog), ==, PS_ERROR_CANCELLED);
  g_free (d);
  g_free (m);
}

/* Blobby 128³ mask (random balls, porosity ~0.5): meaningful distances. */
static uint8_t *
blob_mask (const PsGrid *g, guint64 seed)
{
  size_t n = ps_grid_n_voxels (g);
  uint8_t *m = g_malloc0 (n);
  PsTestRng rng = { seed };
  for (int b = 0; b < 160; b++)
    {
      double cx = ps_test_rng_uniform (&rng) * g->nx, cy = ps_test_rng_uniform (&rng) * g->ny;
      double cz = ps_test_rng_uniform (&rng) * g->nz, r = 4 + 12 * ps_test_rng_uniform (&rng);
      long x0 = MAX (0, (long) (cx - r)), x1 = MIN ((long) g->nx - 1, (long) (cx + r) + 1);
      long y0 = MAX (0, (long) (cy - r)), y1 = MIN ((long) g->ny - 1, (long) (cy + r) + 1);
      long z0 = MAX (0, (long) (cz - r)), z1 = MIN ((long) g->nz - 1, (long) (cz + r) + 1);
      for (long z = z0; z <= z1; z++)
        for (long y = y0; y <= y1; y++)
          for (long x = x0; x <= x1; x++)
            {
              double dx = x - cx, dy = y - cy, dz = z - cz;
              if (dx * dx + dy * dy + dz * dz < r * r)
                m[(z * g->ny + y) * g->nx + x] = 1;
            }
    }
  /* Sprinkle isolated background voxels too. */
  for (size_t i = 0; i < n; i++)
    if (ps_test_rng_uniform (&rng) < 0.002)
      m[i] = 0;
  return m;
}

static void
test_scipy (void)
{
  const double spacings[][3] = { { 1, 1, 1 }, { 2, 1, 1 }, { 0.8, 1.1, 1.7 } };
  PsGrid g = ps_grid_make (128, 128, 128, 1.0);
  size_t n = ps_grid_n_voxels (&g);
  uint8_t *m = blob_mask (&g, 7);
  float *d = g_malloc (n * 4);
  char *mask_path = ps_test_tmp_path ("edt-mask.u8");
  char *dist_path = ps_test_tmp_path ("edt-dist.f32");
  g_assert_true (g_file_set_contents (mask_path, (const char *) m, n, NULL));

  for (size_t s = 0; s < G_N_ELEMENTS (spacings); s++)
    {
      memcpy (g.spacing, spacings[s], sizeof g.spacing);
      PsEdtParams p;
      ps_edt_params_init (&p);
      p.n_threads = 2;
      g_assert_cmpint (ps_edt_run (&p, &g, m, d, NULL), ==, PS_OK);
      g_assert_true (g_file_set_contents (dist_path, (const char *) d, n * 4, NULL));
      char sx[32], sy[32], sz[32];
      g_ascii_dtostr (sx, sizeof sx, g.spacing[0]);
      g_ascii_dtostr (sy, sizeof sy, g.spacing[1]);
      g_ascii_dtostr (sz, sizeof sz, g.spacing[2]);
      char *out = NULL, *err = NULL;
      int rc = ps_test_python (&out, &err,
        "import sys, numpy as np\n"
        "from scipy import ndimage as ndi\n"
        "m = np.fromfile(sys.argv[1], np.uint8).reshape(128, 128, 128)\n"
        "d = np.fromfile(sys.argv[2], np.float32).reshape(128, 128, 128)\n"
        "sx, sy, sz = map(float, sys.argv[3:6])\n"
        "ref = ndi.distance_transform_edt(m, sampling=(sz, sy, sx))\n"
        "rel = np.abs(d - ref) / np.maximum(ref, 1e-30)\n"
        "rel[ref == 0] = np.abs(d[ref == 0])\n"
        "print(float(rel.max()), float(ref.max()))\n",
        mask_path, dist_path, sx, sy, sz, NULL);
      if (rc < 0)
        {
          g_test_skip ("no /usr/bin/python3 with scipy");
          break;
        }
      if (rc != 0)
        g_printerr ("%s\n", err);
      g_assert_cmpint (rc, ==, 0);
      double relmax = g_ascii_strtod (out, NULL);
      g_test_message ("spacing %s,%s,%s: max relative error vs scipy %g (%s)", sx, sy, sz, relmax, out);
      g_assert_cmpfloat (relmax, <=, 1e-5);
      g_free (out);
      g_free (err);
    }
  g_free (mask_path);
  g_free (dist_path);
  g_free (d);
  g_free (m);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/core/edt/brute", test_brute);
  g_test_add_func ("/core/edt/metric", test_metric);
  g_test_add_func ("/core/edt/threads", test_threads);
  g_test_add_func ("/core/edt/edge-cases", test_edge_cases);
  g_test_add_func ("/core/edt/progress-cancel", test_progress_cancel);
  g_test_add_func ("/core/edt/scipy", test_scipy);
  return g_test_run ();
}
