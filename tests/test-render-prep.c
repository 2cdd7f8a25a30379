/* SPDX-License-Identifier: GPL-3.0-or-later */
/* 3D view texture preparation (ps-render-prep.h) against brute-force loops:
 * block means, nearest-centre labels, brick min/max/occupancy, the factor
 * choice, and identical output for 1 and 2 threads. */
#include "config.h"

#include <glib.h>
#include <math.h>
#include <string.h>

#include "ps-memory.h"
#include "ps-render-prep.h"
#include "ps-test-util.h"

static PsVolume *
random_volume (size_t nx, size_t ny, size_t nz, guint64 seed)
{
  PsTestRng rng = { seed };
  PsVolume *v = ps_volume_new (nx, ny, nz, NULL);
  g_assert_nonnull (v);
  for (size_t i = 0; i < nx * ny * nz; i++)
    v->data[i] = (float) (ps_test_rng_uniform (&rng) * 10.0 - 3.0);
  return v;
}

static void
test_factor (void)
{
  g_assert_cmpint (ps_render_choose_factor (512, 512, 512, 2048, 4, (size_t) 1 << 30), ==, 1);
  g_assert_cmpint (ps_render_choose_factor (512, 512, 512, 256, 4, (size_t) 1 << 30), ==, 2);
  /* 4 B/voxel of 512³ = 512 MiB; a 100 MiB budget needs f = 2 (64 MiB). */
  g_assert_cmpint (ps_render_choose_factor (512, 512, 512, 2048, 4, (size_t) 100 << 20), ==, 2);
  g_assert_cmpint (ps_render_choose_factor (3000, 10, 10, 2048, 2, (size_t) 1 << 30), ==, 2);
  g_assert_cmpint (ps_render_choose_factor (0, 10, 10, 2048, 2, 1000), ==, 0);
  g_assert_cmpint (ps_render_choose_factor (10, 10, 10, 2048, 2, 1), ==, 0);
}

static void
test_volume_reduce (void)
{
  g_autoptr(GError) unused = NULL;
  const size_t nx = 13, ny = 7, nz = 9;
  PsVolume *v = random_volume (nx, ny, nz, 11);
  v->data[5] = NAN;
  for (int f = 1; f <= 3; f++)
    {
      size_t rx = ps_render_reduced (nx, f), ry = ps_render_reduced (ny, f), rz = ps_render_reduced (nz, f);
      float *out1 = g_new (float, rx * ry * rz), *out2 = g_new (float, rx * ry * rz);
      guint16 *u16 = g_new (guint16, rx * ry * rz);
      PsRenderVolumeParams p = { v, f, PS_RENDER_TEX_F32, -3.0, 7.0, 1 };
      g_assert_cmpint (ps_render_volume_run (&p, out1, NULL), ==, PS_OK);
      p.n_threads = 2;
      g_assert_cmpint (ps_render_volume_run (&p, out2, NULL), ==, PS_OK);
      g_assert_cmpmem (out1, rx * ry * rz * 4, out2, rx * ry * rz * 4);
      p.format = PS_RENDER_TEX_U16;
      g_assert_cmpint (ps_render_volume_run (&p, u16, NULL), ==, PS_OK);
      for (size_t z = 0; z < rz; z++)
        for (size_t y = 0; y < ry; y++)
          for (size_t x = 0; x < rx; x++)
            {
              double s = 0;
              int n = 0;
              for (size_t k = z * f; k < MIN (nz, z * f + f); k++)
                for (size_t j = y * f; j < MIN (ny, y * f + f); j++)
                  for (size_t i = x * f; i < MIN (nx, x * f + f); i++)
                    if (isfinite (ps_volume_get (v, i, j, k)))
                      {
                        s += ps_volume_get (v, i, j, k);
                        n++;
                      }
              double want = n ? (s / n + 3.0) / 10.0 : 0.0;
              size_t o = (z * ry + y) * rx + x;
              g_assert_cmpfloat_with_epsilon (out1[o], want, 1e-6);
              g_assert_cmpfloat_with_epsilon (u16[o] / 65535.0, want, 0.5 / 65535.0 + 1e-9);
            }
      g_free (out1);
      g_free (out2);
      g_free (u16);
    }
  /* Bad parameters are refused, not crashed on. */
  {
    float out[4];
    PsRenderVolumeParams bad = { v, 0, PS_RENDER_TEX_F32, 0, 1, 1 };
    g_assert_cmpint (ps_render_volume_run (&bad, out, NULL), ==, PS_ERROR_INVALID_PARAMETER);
    bad.factor = 1;
    bad.hi = 0;
    g_assert_cmpint (ps_render_volume_run (&bad, out, NULL), ==, PS_ERROR_INVALID_PARAMETER);
  }
  ps_volume_unref (v);
}

static void
test_labels_and_bricks (void)
{
  const size_t nx = 21, ny = 18, nz = 10;
  PsLabels *pores = ps_labels_new (nx, ny, nz, NULL);
  PsLabels *carbon = ps_labels_new (nx, ny, nz, NULL);
  PsVolume *v = random_volume (nx, ny, nz, 5);
  PsTestRng rng = { 99 };
  for (size_t i = 0; i < nx * ny * nz; i++)
    {
      double u = ps_test_rng_uniform (&rng);
      pores->data[i] = u < 0.02 ? (uint32_t) (1 + i % 300) : 0;
      carbon->data[i] = u > 0.5 ? (uint32_t) (1 + i % 7) : 0;
    }
  /* Some bricks without pores at all. */
  for (size_t z = 0; z < nz; z++)
    for (size_t y = 0; y < 8; y++)
      for (size_t x = 0; x < 8; x++)
        pores->data[(z * ny + y) * nx + x] = 0;
  ps_labels_update_count (pores);
  ps_labels_update_count (carbon);
  g_assert_cmpuint (ps_render_labels_code_size (pores, carbon), ==, 2);

  for (int f = 1; f <= 2; f++)
    {
      size_t rx = ps_render_reduced (nx, f), ry = ps_render_reduced (ny, f), rz = ps_render_reduced (nz, f);
      guint16 *codes = g_new (guint16, rx * ry * rz);
      guint16 *inten = g_new (guint16, rx * ry * rz);
      PsRenderLabelsParams lp = { pores, carbon, f, 2, 2 };
      PsRenderVolumeParams vp = { v, f, PS_RENDER_TEX_U16, -3.0, 7.0, 2 };
      g_assert_cmpint (ps_render_labels_run (&lp, codes, NULL), ==, PS_OK);
      g_assert_cmpint (ps_render_volume_run (&vp, inten, NULL), ==, PS_OK);
      for (size_t z = 0; z < rz; z++)
        for (size_t y = 0; y < ry; y++)
          for (size_t x = 0; x < rx; x++)
            {
              size_t sx = MIN (nx - 1, x * f + f / 2), sy = MIN (ny - 1, y * f + f / 2), sz = MIN (nz - 1, z * f + f / 2);
              size_t src = (sz * ny + sy) * nx + sx;
              guint want = pores->data[src] ? (pores->data[src] << 2) | 2 : carbon->data[src] ? (carbon->data[src] << 2) | 1 : 0;
              g_assert_cmpuint (codes[(z * ry + y) * rx + x], ==, want);
            }
      size_t bx = ps_render_n_bricks (rx), by = ps_render_n_bricks (ry), bz = ps_render_n_bricks (rz);
      guint16 *bricks = g_new0 (guint16, 4 * bx * by * bz);
      PsRenderBricksParams bp = { inten, PS_RENDER_TEX_U16, codes, 2, rx, ry, rz, 2 };
      g_assert_cmpint (ps_render_bricks_run (&bp, bricks), ==, PS_OK);
      for (size_t k = 0; k < bz; k++)
        for (size_t j = 0; j < by; j++)
          for (size_t i = 0; i < bx; i++)
            {
              guint lo = 65535, hi = 0, occ = 0;
              for (size_t z = 0; z < rz; z++)
                for (size_t y = 0; y < ry; y++)
                  for (size_t x = 0; x < rx; x++)
                    {
                      size_t o = (z * ry + y) * rx + x;
                      gboolean grown = x + 1 >= i * 8 && x <= i * 8 + 8 && y + 1 >= j * 8 && y <= j * 8 + 8 &&
                                       z + 1 >= k * 8 && z <= k * 8 + 8;
                      gboolean inside = x / 8 == i && y / 8 == j && z / 8 == k;
                      if (grown)
                        {
                          lo = MIN (lo, inten[o]);
                          hi = MAX (hi, inten[o]);
                        }
                      if (inside)
                        occ |= (codes[o] & 3) == 2 ? 4 : (codes[o] & 3) == 1 ? 2 : 1;
                    }
              guint16 *b = bricks + 4 * ((k * by + j) * bx + i);
              g_assert_cmpuint (b[0], ==, lo);
              g_assert_cmpuint (b[1], ==, hi);
              g_assert_cmpuint (b[2], ==, occ);
            }
      if (f == 1)
        g_assert_cmpuint (bricks[2] & 4, ==, 0);   /* the pore-free corner */
      g_free (bricks);
      g_free (codes);
      g_free (inten);
    }
  /* Cancellation is honoured. */
  {
    atomic_int cancel;
    atomic_init (&cancel, 1);
    PsProgress progress = { NULL, NULL, &cancel, 0, 1 };
    guint16 *codes = g_new (guint16, nx * ny * nz);
    PsRenderLabelsParams lp = { pores, NULL, 1, 2, 1 };
    g_assert_cmpint (ps_render_labels_run (&lp, codes, &progress), ==, PS_ERROR_CANCELLED);
    g_free (codes);
  }
  ps_labels_unref (pores);
  ps_labels_unref (carbon);
  ps_volume_unref (v);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/core/render-prep/factor", test_factor);
  g_test_add_func ("/core/render-prep/volume", test_volume_reduce);
  g_test_add_func ("/core/render-prep/labels-bricks", test_labels_and_bricks);
  return g_test_run ();
}
