/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Core volume type: sizes, crop, axis permutation, statistics, histograms,
 * subvolume specifications, half floats. References are brute-force loops
 * and hand-computed values. */
#include "config.h"

#include <glib.h>
#include <math.h>
#include <string.h>

#include "ps-half.h"
#include "ps-memory.h"
#include "ps-size.h"
#include "ps-stats.h"
#include "ps-strtod.h"
#include "ps-subvolume.h"
#include "ps-tilt-series.h"
#include "ps-volume.h"
#include "ps-test-util.h"

static PsVolume *
make_ramp (size_t nx, size_t ny, size_t nz)
{
  PsStatus st;
  PsVolume *v = ps_volume_new (nx, ny, nz, &st);
  g_assert_nonnull (v);
  g_assert_cmpint (st, ==, PS_OK);
  for (size_t z = 0; z < nz; z++)
    for (size_t y = 0; y < ny; y++)
      for (size_t x = 0; x < nx; x++)
        v->data[ps_volume_index (v, x, y, z)] = (float) (x + 100 * y + 10000 * z);
  return v;
}

static void
test_overflow (void)
{
  size_t out;
  PsStatus st = PS_OK;

  g_assert_true (ps_size_voxels_bytes (1024, 1024, 1024, 4, &out));
  g_assert_cmpuint (out, ==, (size_t) 4 << 30);
  g_assert_false (ps_size_voxels_bytes ((size_t) 1 << 31, (size_t) 1 << 31, (size_t) 1 << 31, 4, &out));
  g_assert_false (ps_size_mul3 (SIZE_MAX / 2, 3, 1, &out));
  /* 2^31+ voxels: the size logic works without allocating. */
  g_assert_true (ps_size_voxels_bytes (2048, 2048, 1024, 4, &out));
  g_assert_cmpuint (out, ==, (size_t) 16 << 30);
  /* Absurd sizes are refused, not wrapped. */
  g_assert_null (ps_volume_new ((size_t) 1 << 40, (size_t) 1 << 40, 16, &st));
  g_assert_cmpint (st, ==, PS_ERROR_TOO_LARGE);
  g_assert_null (ps_volume_new (0, 5, 5, &st));
  g_assert_cmpint (st, ==, PS_ERROR_INVALID_PARAMETER);
}

static void
test_memory_limit (void)
{
  PsStatus st;
  size_t old = ps_memory_get_limit ();

  ps_memory_set_limit (1 << 20);
  g_assert_null (ps_volume_new (128, 128, 128, &st));
  g_assert_cmpint (st, ==, PS_ERROR_TOO_LARGE);
  PsVolume *small = ps_volume_new (32, 32, 32, &st);
  g_assert_nonnull (small);
  ps_volume_unref (small);
  ps_memory_set_limit (old);
}

static void
test_alignment (void)
{
  PsVolume *v = make_ramp (7, 5, 3);
  g_assert_cmpuint ((guintptr) v->data % 64, ==, 0);
  g_assert_false (v->spacing_known);
  g_assert_cmpfloat (v->spacing[0], ==, 1.0);
  ps_volume_set_spacing (v, 0.5, 0.25, 2.0);
  g_assert_true (v->spacing_known);
  ps_volume_set_spacing (v, NAN, 1, 1); /* ignored */
  g_assert_cmpfloat (v->spacing[0], ==, 0.5);
  ps_volume_unref (v);
}

static void
test_crop (void)
{
  PsVolume *v = make_ramp (10, 8, 6);
  PsBox box = { 2, 3, 1, 5, 4, 3 };
  PsBox bad = { 6, 0, 0, 5, 1, 1 };
  PsStatus st;
  PsVolume *c = ps_volume_crop (v, &box, &st);

  g_assert_nonnull (c);
  g_assert_cmpuint (c->nx, ==, 5);
  for (size_t z = 0; z < 3; z++)
    for (size_t y = 0; y < 4; y++)
      for (size_t x = 0; x < 5; x++)
        g_assert_cmpfloat (ps_volume_get (c, x, y, z), ==, ps_volume_get (v, x + 2, y + 3, z + 1));
  g_assert_null (ps_volume_crop (v, &bad, &st));
  g_assert_cmpint (st, ==, PS_ERROR_INVALID_PARAMETER);
  ps_volume_unref (c);
  ps_volume_unref (v);
}

static void
test_permute (void)
{
  PsVolume *v = make_ramp (4, 3, 5);
  PsStatus st;
  ps_volume_set_spacing (v, 1, 2, 3);
  PsVolume *s = ps_volume_swap_yz (v, &st);
  g_assert_cmpuint (s->nx, ==, 4);
  g_assert_cmpuint (s->ny, ==, 5);
  g_assert_cmpuint (s->nz, ==, 3);
  g_assert_cmpfloat (s->spacing[1], ==, 3);
  g_assert_cmpfloat (s->spacing[2], ==, 2);
  for (size_t z = 0; z < 3; z++)
    for (size_t y = 0; y < 5; y++)
      for (size_t x = 0; x < 4; x++)
        g_assert_cmpfloat (ps_volume_get (s, x, y, z), ==, ps_volume_get (v, x, z, y));
  /* Swapping twice is the identity. */
  PsVolume *back = ps_volume_swap_yz (s, &st);
  g_assert_cmpmem (back->data, 4 * 3 * 5 * sizeof (float), v->data, 4 * 3 * 5 * sizeof (float));

  /* A general permutation: out axes = (z, x, y) of the input. */
  int order[3] = { 2, 0, 1 };
  PsVolume *p = ps_volume_permute (v, order, &st);
  g_assert_cmpuint (p->nx, ==, 5);
  g_assert_cmpuint (p->ny, ==, 4);
  g_assert_cmpuint (p->nz, ==, 3);
  for (size_t c = 0; c < 3; c++)
    for (size_t b = 0; b < 4; b++)
      for (size_t a = 0; a < 5; a++)
        g_assert_cmpfloat (ps_volume_get (p, a, b, c), ==, ps_volume_get (v, b, c, a));
  int bad[3] = { 0, 0, 1 };
  g_assert_null (ps_volume_permute (v, bad, &st));
  ps_volume_unref (p);
  ps_volume_unref (back);
  ps_volume_unref (s);
  ps_volume_unref (v);
}

static void
test_stats (void)
{
  PsTestRng rng = { 42 };
  PsStatus st;
  PsVolume *v = ps_volume_new (37, 29, 23, &st);
  size_t n = ps_volume_n_voxels (v);
  double sum = 0, mn = INFINITY, mx = -INFINITY;
  PsStats s;

  for (size_t i = 0; i < n; i++)
    v->data[i] = (float) (ps_test_rng_uniform (&rng) * 200.0 - 50.0);
  v->data[5] = NAN;
  v->data[77] = INFINITY;
  for (size_t i = 0; i < n; i++)
    if (isfinite (v->data[i]))
      {
        sum += v->data[i];
        mn = MIN (mn, v->data[i]);
        mx = MAX (mx, v->data[i]);
      }
  double mean = sum / (double) (n - 2), ss = 0;
  for (size_t i = 0; i < n; i++)
    if (isfinite (v->data[i]))
      ss += (v->data[i] - mean) * (v->data[i] - mean);
  ps_stats_volume (v, NULL, &s);
  g_assert_cmpuint (s.n, ==, n - 2);
  g_assert_cmpuint (s.n_nonfinite, ==, 2);
  g_assert_cmpfloat (s.min, ==, mn);
  g_assert_cmpfloat (s.max, ==, mx);
  g_assert_cmpfloat_with_epsilon (s.mean, mean, 1e-9);
  g_assert_cmpfloat_with_epsilon (s.sd, sqrt (ss / (double) (n - 2)), 1e-9);

  /* Box statistics equal the statistics of the crop. */
  PsBox box = { 3, 4, 5, 20, 11, 9 };
  PsVolume *c = ps_volume_crop (v, &box, &st);
  PsStats sb, sc;
  ps_stats_volume (v, &box, &sb);
  ps_stats_compute (c->data, ps_volume_n_voxels (c), &sc);
  g_assert_cmpuint (sb.n, ==, sc.n);
  g_assert_cmpfloat (sb.min, ==, sc.min);
  g_assert_cmpfloat (sb.max, ==, sc.max);
  g_assert_cmpfloat_with_epsilon (sb.mean, sc.mean, 1e-9);
  g_assert_cmpfloat_with_epsilon (sb.sd, sc.sd, 1e-9);

  /* Histogram: counts match a brute-force binning. */
  PsHistogram *h = ps_histogram_volume (v, NULL, -50, 150, 20);
  guint64 ref[20] = { 0 };
  for (size_t i = 0; i < n; i++)
    if (isfinite (v->data[i]))
      {
        int b = (int) ((v->data[i] + 50.0) / 10.0);
        ref[MIN (b, 19)]++;
      }
  for (int b = 0; b < 20; b++)
    g_assert_cmpuint (h->counts[b], ==, ref[b]);
  g_assert_cmpuint (h->total, ==, n - 2);
  /* Uniform data: the median is near the middle of the range. */
  g_assert_cmpfloat_with_epsilon (ps_histogram_quantile (h, 0.5), 50.0, 2.0);
  ps_histogram_free (h);

  /* All-NaN and constant data do not crash. */
  float nan3[3] = { NAN, NAN, NAN };
  ps_stats_compute (nan3, 3, &s);
  g_assert_cmpuint (s.n, ==, 0);
  g_assert_true (isnan (s.mean));
  float k[4] = { 7, 7, 7, 7 };
  ps_stats_compute (k, 4, &s);
  g_assert_cmpfloat (s.sd, ==, 0);
  h = ps_histogram_compute (k, 4, 0, 0, 10);
  g_assert_nonnull (h);
  g_assert_cmpuint (h->total, ==, 4);
  ps_histogram_free (h);
  ps_volume_unref (c);
  ps_volume_unref (v);
}

static void
test_subvolume (void)
{
  PsSubvolumeSpec spec;
  PsBox box;
  char why[256];
  double sp[3] = { 0.5, 0.5, 0.5 };

  g_assert_true (ps_subvolume_parse ("10,12,8:23.9x29.6x33.1", FALSE, &spec, why, sizeof why));
  g_assert_true (ps_subvolume_resolve (&spec, 200, 200, 200, sp, &box, why, sizeof why));
  /* 23.9 / 0.5 = 47.8 → 48 voxels; origin 10 nm → voxel 20. */
  g_assert_cmpuint (box.x0, ==, 20);
  g_assert_cmpuint (box.y0, ==, 24);
  g_assert_cmpuint (box.z0, ==, 16);
  g_assert_cmpuint (box.nx, ==, 48);
  g_assert_cmpuint (box.ny, ==, 59);
  g_assert_cmpuint (box.nz, ==, 66);

  g_assert_true (ps_subvolume_parse ("23.9x29.6x33.1", TRUE, &spec, why, sizeof why));
  g_assert_true (ps_subvolume_resolve (&spec, 101, 100, 100, sp, &box, why, sizeof why));
  g_assert_cmpuint (box.x0, ==, (101 - 48) / 2);
  g_assert_cmpuint (box.y0, ==, (100 - 59) / 2);

  g_assert_true (ps_subvolume_parse ("1,2,3vox:4x5x6vox", FALSE, &spec, why, sizeof why));
  g_assert_true (ps_subvolume_resolve (&spec, 10, 10, 10, sp, &box, why, sizeof why));
  g_assert_cmpuint (box.x0, ==, 1);
  g_assert_cmpuint (box.nz, ==, 6);

  /* Too big, malformed, negative. */
  g_assert_true (ps_subvolume_parse ("0,0,0:100x1x1", FALSE, &spec, why, sizeof why));
  g_assert_false (ps_subvolume_resolve (&spec, 10, 10, 10, sp, &box, why, sizeof why));
  g_assert_nonnull (strstr (why, "along x"));
  g_assert_false (ps_subvolume_parse ("1,2:3x4x5", FALSE, &spec, why, sizeof why));
  g_assert_false (ps_subvolume_parse ("1,2,3:3x4", FALSE, &spec, why, sizeof why));
  g_assert_false (ps_subvolume_parse ("-1,2,3:3x4x5", FALSE, &spec, why, sizeof why));
  g_assert_false (ps_subvolume_parse ("1,2,3:0x4x5", FALSE, &spec, why, sizeof why));
  g_assert_false (ps_subvolume_parse ("1,2,3:3x4x5furlongs", FALSE, &spec, why, sizeof why));
  g_assert_false (ps_subvolume_parse ("nanxnanxnan", TRUE, &spec, why, sizeof why));
}

static void
test_half (void)
{
  /* Every half value round-trips exactly through float. */
  for (guint32 h = 0; h < 65536; h++)
    {
      float f = ps_half_to_float ((guint16) h);
      guint16 back = ps_float_to_half (f);
      if (isnan (f))
        g_assert_true (isnan (ps_half_to_float (back)));
      else
        g_assert_cmpuint (back, ==, h);
    }
  g_assert_cmpfloat (ps_half_to_float (0x3c00), ==, 1.0f);
  g_assert_cmpfloat (ps_half_to_float (0xc000), ==, -2.0f);
  g_assert_cmpfloat (ps_half_to_float (0x7bff), ==, 65504.0f);
  g_assert_cmpuint (ps_float_to_half (1e6f), ==, 0x7c00);
  /* Round to nearest even: 1 + 2^-11 is halfway between 1 and 1 + 2^-10. */
  g_assert_cmpuint (ps_float_to_half (1.0f + 1.0f / 2048.0f), ==, 0x3c00);
  g_assert_cmpuint (ps_float_to_half (1.0f + 3.0f / 2048.0f), ==, 0x3c02);
}

static void
test_strtod (void)
{
  char buf[64];
  g_assert_cmpfloat (ps_ascii_strtod ("2.5", NULL), ==, 2.5);
  ps_ascii_dtostr (buf, sizeof buf, 0.1);
  g_assert_cmpstr (buf, ==, "0.1");
  ps_ascii_dtostr (buf, sizeof buf, 1.0 / 3.0);
  g_assert_cmpfloat (ps_ascii_strtod (buf, NULL), ==, 1.0 / 3.0);
  ps_ascii_dtostr (buf, sizeof buf, 2.5);
  g_assert_cmpstr (buf, ==, "2.5");
}

static void
test_angles (void)
{
  char why[256];
  double ok[] = { -60, -58, 0, 60 };
  double dup[] = { -2, 0, 0, 2 };
  double nonmono[] = { -2, 0, -1, 2 };
  double outside[] = { -95, 0 };
  double nan_[] = { 0, NAN };
  g_assert_true (ps_angles_check (ok, 4, why, sizeof why));
  g_assert_false (ps_angles_check (dup, 4, why, sizeof why));
  g_assert_nonnull (strstr (why, "duplicated"));
  g_assert_false (ps_angles_check (nonmono, 4, why, sizeof why));
  g_assert_nonnull (strstr (why, "monotonic"));
  g_assert_false (ps_angles_check (outside, 2, why, sizeof why));
  g_assert_false (ps_angles_check (nan_, 2, why, sizeof why));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/core/volume/overflow", test_overflow);
  g_test_add_func ("/core/volume/memory-limit", test_memory_limit);
  g_test_add_func ("/core/volume/alignment", test_alignment);
  g_test_add_func ("/core/volume/crop", test_crop);
  g_test_add_func ("/core/volume/permute", test_permute);
  g_test_add_func ("/core/stats/brute-force", test_stats);
  g_test_add_func ("/core/subvolume/parse-resolve", test_subvolume);
  g_test_add_func ("/core/half/round-trip", test_half);
  g_test_add_func ("/core/strtod/c-locale", test_strtod);
  g_test_add_func ("/core/angles/check", test_angles);
  return g_test_run ();
}
