/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Denoising: Gaussian against scipy.ndimage.gaussian_filter (mode
 * 'reflect', truncate 4, anisotropic voxels, thin volumes), 3×3×3 median
 * against scipy.ndimage.median_filter (bit-identical), NaN ordering, thread
 * independence, in-place use. */
#include "config.h"

#include <glib.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "ps-filter.h"
#include "ps-test-util.h"

static PsVolume *
random_volume (size_t nx, size_t ny, size_t nz, guint64 seed)
{
  PsVolume *v = ps_volume_new (nx, ny, nz, NULL);
  PsTestRng r = { seed };
  for (size_t i = 0; i < ps_volume_n_voxels (v); i++)
    v->data[i] = (float) (100.0 * ps_test_rng_uniform (&r) - 20.0);
  /* a few exact ties, which the median must handle */
  for (size_t i = 0; i < ps_volume_n_voxels (v); i += 7)
    v->data[i] = 5.0f;
  return v;
}

typedef struct
{
  size_t nx, ny, nz;
  double spacing[3], sigma_nm;
} Case;

static void
test_scipy (void)
{
  const Case cases[] = {
    { 40, 33, 27, { 1, 1, 2 }, 1.5 },
    { 25, 20, 1, { 0.5, 0.5, 0.5 }, 0.8 },
    { 12, 9, 10, { 1, 1, 1 }, 4.0 },      /* kernel wider than the volume */
    { 1, 30, 7, { 2, 1, 1 }, 1.0 },
  };
  char *in_path = ps_test_tmp_path ("filter-in.f32"), *g_path = ps_test_tmp_path ("filter-g.f32");
  char *m_path = ps_test_tmp_path ("filter-m.f32");
  for (size_t c = 0; c < G_N_ELEMENTS (cases); c++)
    {
      const Case *k = &cases[c];
      PsVolume *in = random_volume (k->nx, k->ny, k->nz, 40 + c);
      ps_volume_set_spacing (in, k->spacing[0], k->spacing[1], k->spacing[2]);
      size_t n = ps_volume_n_voxels (in);
      PsVolume *g = ps_volume_new (k->nx, k->ny, k->nz, NULL), *g1 = ps_volume_new (k->nx, k->ny, k->nz, NULL);
      PsVolume *m = ps_volume_new (k->nx, k->ny, k->nz, NULL), *m1 = ps_volume_new (k->nx, k->ny, k->nz, NULL);
      PsGaussianParams gp;
      ps_gaussian_params_init (&gp, k->sigma_nm);
      gp.n_threads = 3;
      g_assert_cmpint (ps_gaussian_run (&gp, in, g, NULL), ==, PS_OK);
      gp.n_threads = 1;
      g_assert_cmpint (ps_gaussian_run (&gp, in, g1, NULL), ==, PS_OK);
      g_assert_cmpmem (g->data, n * 4, g1->data, n * 4);
      /* In place gives the same. */
      PsVolume *ip = ps_volume_copy (in, NULL);
      g_assert_cmpint (ps_gaussian_run (&gp, ip, ip, NULL), ==, PS_OK);
      g_assert_cmpmem (g->data, n * 4, ip->data, n * 4);
      ps_volume_unref (ip);

      PsMedianParams mp;
      ps_median_params_init (&mp);
      mp.n_threads = 3;
      g_assert_cmpint (ps_median3_run (&mp, in, m, NULL), ==, PS_OK);
      mp.n_threads = 1;
      g_assert_cmpint (ps_median3_run (&mp, in, m1, NULL), ==, PS_OK);
      g_assert_cmpmem (m->data, n * 4, m1->data, n * 4);

      g_assert_true (g_file_set_contents (in_path, (const char *) in->data, n * 4, NULL));
      g_assert_true (g_file_set_contents (g_path, (const char *) g->data, n * 4, NULL));
      g_assert_true (g_file_set_contents (m_path, (const char *) m->data, n * 4, NULL));
      char shape[64], sig[3][32];
      g_snprintf (shape, sizeof shape, "%zu,%zu,%zu", k->nz, k->ny, k->nx);
      for (int a = 0; a < 3; a++)
        g_ascii_dtostr (sig[a], sizeof sig[a], k->sigma_nm / k->spacing[a]);
      char *out = NULL, *err = NULL;
      int rc = ps_test_python (&out, &err,
        "import sys, numpy as np\n"
        "from scipy import ndimage as ndi\n"
        "shape = tuple(int(v) for v in sys.argv[4].split(','))\n"
        "v = np.fromfile(sys.argv[1], np.float32).reshape(shape)\n"
        "g = np.fromfile(sys.argv[2], np.float32).reshape(shape)\n"
        "m = np.fromfile(sys.argv[3], np.float32).reshape(shape)\n"
        "sx, sy, sz = map(float, sys.argv[5:8])\n"
        "rg = ndi.gaussian_filter(v, sigma=(sz, sy, sx), mode='reflect', truncate=4.0)\n"
        "rm = ndi.median_filter(v, size=3, mode='reflect')\n"
        "print(repr(float(np.abs(g - rg).max() / np.ptp(v))), int(np.count_nonzero(m != rm)))\n",
        in_path, g_path, m_path, shape, sig[0], sig[1], sig[2], NULL);
      if (rc < 0)
        {
          g_test_skip ("no /usr/bin/python3 with scipy");
          c = G_N_ELEMENTS (cases);
        }
      else
        {
          if (rc != 0)
            g_printerr ("%s", err);
          g_assert_cmpint (rc, ==, 0);
          char gs[64] = "";
          unsigned mdiff = 1;
          g_assert_cmpint (sscanf (out, "%63s %u", gs, &mdiff), ==, 2);
          double gerr = g_ascii_strtod (gs, NULL);
          g_test_message ("%zux%zux%zu sigma %g nm: gaussian max |diff|/range %g, median %u voxels differ",
                          k->nx, k->ny, k->nz, k->sigma_nm, gerr, mdiff);
          g_assert_cmpfloat (gerr, <=, 1e-6);
          g_assert_cmpuint (mdiff, ==, 0);
        }
      g_free (out);
      g_free (err);
      ps_volume_unref (in);
      ps_volume_unref (g);
      ps_volume_unref (g1);
      ps_volume_unref (m);
      ps_volume_unref (m1);
    }
  g_free (in_path);
  g_free (g_path);
  g_free (m_path);
}

static void
test_median_nan (void)
{
  /* 3×3×3 volume: the centre's neighbourhood is the whole volume. */
  PsVolume *in = ps_volume_new (3, 3, 3, NULL), *out = ps_volume_new (3, 3, 3, NULL);
  PsMedianParams mp;
  ps_median_params_init (&mp);
  for (int i = 0; i < 27; i++)
    in->data[i] = i < 13 ? NAN : (float) i;   /* 13 NaN: the median is finite */
  g_assert_cmpint (ps_median3_run (&mp, in, out, NULL), ==, PS_OK);
  g_assert_cmpfloat (out->data[13], ==, 26.0f);  /* 14th smallest of 13..26 then NaN×13 */
  in->data[13] = -NAN;                           /* 14 NaN (one negative): NaN */
  g_assert_cmpint (ps_median3_run (&mp, in, out, NULL), ==, PS_OK);
  g_assert_true (isnan (out->data[13]));
  /* -Inf and -0 order correctly. */
  for (int i = 0; i < 27; i++)
    in->data[i] = i < 14 ? -INFINITY : 0.0f;
  in->data[20] = -0.0f;
  g_assert_cmpint (ps_median3_run (&mp, in, out, NULL), ==, PS_OK);
  g_assert_true (isinf (out->data[13]) && out->data[13] < 0);
  /* Bad input. */
  g_assert_cmpint (ps_median3_run (&mp, in, in, NULL), ==, PS_ERROR_INVALID_PARAMETER);
  PsGaussianParams gp;
  ps_gaussian_params_init (&gp, -1.0);
  g_assert_cmpint (ps_gaussian_run (&gp, in, out, NULL), ==, PS_ERROR_INVALID_PARAMETER);
  ps_gaussian_params_init (&gp, 0.0);   /* σ = 0: a copy */
  g_assert_cmpint (ps_gaussian_run (&gp, in, out, NULL), ==, PS_OK);
  g_assert_cmpmem (in->data, 27 * 4, out->data, 27 * 4);
  ps_volume_unref (in);
  ps_volume_unref (out);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/core/filter/scipy", test_scipy);
  g_test_add_func ("/core/filter/median-nan", test_median_nan);
  return g_test_run ();
}
