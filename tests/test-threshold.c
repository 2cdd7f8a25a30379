/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Thresholds: Otsu against skimage.filters.threshold_otsu (bit-identical),
 * the porosity sweep against direct counting, thresholding, edge cases. */
#include "config.h"

#include <glib.h>
#include <math.h>
#include <string.h>

#include "ps-threshold.h"
#include "ps-test-util.h"

static double
gauss (PsTestRng *r)
{
  double u = ps_test_rng_uniform (r), v = ps_test_rng_uniform (r);
  return sqrt (-2.0 * log (u + 1e-300)) * cos (2 * G_PI * v);
}

/* Bimodal "tomogram": dark pores and bright carbon with noise. */
static float *
bimodal (size_t n, double porosity, double m0, double m1, double sd, guint64 seed)
{
  float *d = g_malloc (n * sizeof (float));
  PsTestRng r = { seed };
  for (size_t i = 0; i < n; i++)
    d[i] = (float) ((ps_test_rng_uniform (&r) < porosity ? m0 : m1) + sd * gauss (&r));
  return d;
}

static void
test_otsu_skimage (void)
{
  const struct { size_t n; double por, m0, m1, sd; size_t bins; } cases[] = {
    { 100000, 0.3, 10, 60, 8, 256 },
    { 65536, 0.6, -1.5, 2.25, 0.9, 256 },
    { 50000, 0.5, 1000, 1300, 120, 100 },
    { 4096, 0.1, 0.001, 0.002, 0.0004, 256 },
    { 30000, 0.45, 0, 1, 0.05, 17 },
  };
  char *path = ps_test_tmp_path ("otsu.f32");
  for (size_t c = 0; c < G_N_ELEMENTS (cases); c++)
    {
      float *d = bimodal (cases[c].n, cases[c].por, cases[c].m0, cases[c].m1, cases[c].sd, 100 + c);
      PsOtsuParams p;
      ps_otsu_params_init (&p);
      p.n_bins = cases[c].bins;
      p.n_threads = 2;
      double t;
      g_assert_cmpint (ps_threshold_otsu (&p, d, cases[c].n, &t), ==, PS_OK);
      g_assert_true (g_file_set_contents (path, (const char *) d, cases[c].n * 4, NULL));
      char nb[32];
      g_snprintf (nb, sizeof nb, "%zu", cases[c].bins);
      char *out = NULL, *err = NULL;
      int rc = ps_test_python (&out, &err,
        "import sys, numpy as np\n"
        "from skimage.filters import threshold_otsu\n"
        "d = np.fromfile(sys.argv[1], np.float32)\n"
        "print(repr(float(threshold_otsu(d, nbins=int(sys.argv[2])))))\n",
        path, nb, NULL);
      if (rc < 0)
        {
          g_test_skip ("no /usr/bin/python3 with scikit-image");
          g_free (d);
          break;
        }
      if (rc != 0)
        g_printerr ("%s", err);
      g_assert_cmpint (rc, ==, 0);
      double ref = g_ascii_strtod (out, NULL);
      g_test_message ("case %zu: ours %.9g skimage %.9g", c, t, ref);
      g_assert_cmpfloat (t, ==, ref);
      /* 1 and 3 threads agree (integer counts). */
      double t1;
      p.n_threads = 1;
      g_assert_cmpint (ps_threshold_otsu (&p, d, cases[c].n, &t1), ==, PS_OK);
      g_assert_cmpfloat (t1, ==, t);
      g_free (out);
      g_free (err);
      g_free (d);
    }
  g_free (path);
}

static void
test_otsu_edge (void)
{
  PsOtsuParams p;
  ps_otsu_params_init (&p);
  double t;
  float c[5] = { 3, 3, 3, 3, 3 };
  g_assert_cmpint (ps_threshold_otsu (&p, c, 5, &t), ==, PS_OK);
  g_assert_cmpfloat (t, ==, 3.0);
  /* NaN and Inf are ignored. */
  float m[8] = { NAN, 0, 0, 0, INFINITY, 10, 10, -INFINITY };
  g_assert_cmpint (ps_threshold_otsu (&p, m, 8, &t), ==, PS_OK);
  g_assert_cmpfloat (t, >, 0.0);
  g_assert_cmpfloat (t, <, 10.0);
  float nan[2] = { NAN, NAN };
  g_assert_cmpint (ps_threshold_otsu (&p, nan, 2, &t), ==, PS_ERROR_INVALID_PARAMETER);
  p.n_bins = 1;
  g_assert_cmpint (ps_threshold_otsu (&p, m, 8, &t), ==, PS_ERROR_INVALID_PARAMETER);
}

static void
test_sweep (void)
{
  size_t n = 20000;
  float *d = bimodal (n, 0.4, 0, 100, 20, 9);
  /* Put values exactly on thresholds too: multiples of the step. */
  for (size_t i = 0; i < 200; i++)
    d[i] = (float) i;
  d[0] = NAN;
  PsPorositySweepParams p;
  ps_porosity_sweep_params_init (&p);
  p.n_steps = 64;
  p.n_threads = 3;
  double t[65], por[65];
  g_assert_cmpint (ps_porosity_sweep (&p, d, n, t, por), ==, PS_OK);
  float lo = INFINITY, hi = -INFINITY;
  size_t finite = 0;
  for (size_t i = 0; i < n; i++)
    if (isfinite (d[i]))
      {
        lo = MIN (lo, d[i]);
        hi = MAX (hi, d[i]);
        finite++;
      }
  g_assert_cmpfloat (t[0], ==, lo);
  g_assert_cmpfloat (t[64], ==, hi);
  for (int k = 0; k <= 64; k++)
    {
      size_t below = 0;
      for (size_t i = 0; i < n; i++)
        below += isfinite (d[i]) && (double) d[i] < t[k];
      g_assert_cmpfloat (por[k], ==, (double) below / (double) finite);
      if (k > 0)
        g_assert_cmpfloat (por[k], >=, por[k - 1]);
      /* ps_threshold_apply counts the same voxels (NaN is carbon). */
      uint8_t *mask = g_malloc (n);
      size_t np;
      g_assert_cmpint (ps_threshold_apply (d, n, t[k], mask, 2, &np), ==, PS_OK);
      g_assert_cmpuint (np, ==, below);
      g_assert_cmpuint (mask[0], ==, 0);
      g_free (mask);
    }
  g_free (d);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/core/threshold/otsu-skimage", test_otsu_skimage);
  g_test_add_func ("/core/threshold/otsu-edge", test_otsu_edge);
  g_test_add_func ("/core/threshold/sweep", test_sweep);
  return g_test_run ();
}
