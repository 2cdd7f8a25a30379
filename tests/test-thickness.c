/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Local thickness: exact against brute-force ball painting over every phase
 * voxel (no ridge), isotropic / integer-anisotropic / float anisotropic,
 * faces as background or not, both phases; a slab's analytic thickness;
 * thread independence; histograms on shared bins. */
#include "config.h"

#include <glib.h>
#include <math.h>
#include <string.h>

#include "ps-edt.h"
#include "ps-thickness.h"
#include "ps-test-util.h"

static uint8_t *
random_balls_mask (const PsGrid *g, int n_balls, double rmin, double rmax, guint64 seed)
{
  size_t n = ps_grid_n_voxels (g);
  uint8_t *m = g_malloc0 (n);
  PsTestRng r = { seed };
  for (int b = 0; b < n_balls; b++)
    {
      double c[3] = { ps_test_rng_uniform (&r) * g->nx, ps_test_rng_uniform (&r) * g->ny,
                      ps_test_rng_uniform (&r) * g->nz };
      double rad = rmin + (rmax - rmin) * ps_test_rng_uniform (&r);
      for (size_t z = 0; z < g->nz; z++)
        for (size_t y = 0; y < g->ny; y++)
          for (size_t x = 0; x < g->nx; x++)
            {
              double dx = x - c[0], dy = y - c[1], dz = z - c[2];
              if (dx * dx + dy * dy + dz * dz < rad * rad)
                m[(z * g->ny + y) * g->nx + x] = 1;
            }
    }
  return m;
}

/* t(x) = 2·max{ d(c) : ‖x − c‖ < d(c) } over all phase voxels c. The
 * comparison is the kernel's documented one: exact integers on integer
 * metrics, ((dx·sx)² + (dy·sy)²) + (dz·sz)² < r² in double otherwise. */
static void
brute_thickness (const PsGrid *g, const PsDistanceMap *map, float *t)
{
  size_t n = ps_grid_n_voxels (g);
  const PsEdtMetric *m = &map->metric;
  memset (t, 0, n * sizeof (float));
  for (size_t c = 0; c < n; c++)
    {
      size_t cx = c % g->nx, cy = (c / g->nx) % g->ny, cz = c / (g->nx * g->ny);
      float val;
      int64_t a = 0;
      double r2 = 0;
      if (map->dist2 != NULL)
        {
          a = map->dist2[c];
          if (a == 0)
            continue;
          val = (float) (2.0 * sqrt ((double) a) * m->unit_nm);
        }
      else
        {
          double r = map->dist_nm[c];
          if (!(r > 0))
            continue;
          r2 = r * r;
          val = (float) (2.0 * r);
        }
      for (size_t x = 0; x < n; x++)
        {
          bool phase = map->dist2 ? map->dist2[x] != 0 : map->dist_nm[x] > 0;
          if (!phase || t[x] >= val)
            continue;
          long dx = (long) (x % g->nx) - (long) cx, dy = (long) ((x / g->nx) % g->ny) - (long) cy;
          long dz = (long) (x / (g->nx * g->ny)) - (long) cz;
          bool inside;
          if (map->dist2 != NULL)
            inside = (int64_t) m->weights[0] * dx * dx + (int64_t) m->weights[1] * dy * dy +
                       (int64_t) m->weights[2] * dz * dz < a;
          else
            {
              double ex = dx * g->spacing[0], ey = dy * g->spacing[1], ez = dz * g->spacing[2];
              inside = (ex * ex + ey * ey) + ez * ez < r2;
            }
          if (inside)
            t[x] = val;
        }
    }
}

static void
check_case (const PsGrid *g, const uint8_t *mask, bool invert, bool border, bool squared)
{
  size_t n = ps_grid_n_voxels (g);
  void *buf = g_malloc (n * 4);
  PsEdtParams ep;
  ps_edt_params_init (&ep);
  ep.invert = invert;
  ep.border_is_background = border;
  PsDistanceMap map = { NULL, NULL, ps_edt_metric (g) };
  if (squared)
    {
      g_assert_cmpint (ps_edt_run_squared (&ep, g, mask, buf, NULL), ==, PS_OK);
      map.dist2 = buf;
    }
  else
    {
      g_assert_cmpint (ps_edt_run (&ep, g, mask, buf, NULL), ==, PS_OK);
      map.dist_nm = buf;
    }
  float *t = g_malloc (n * 4), *ref = g_malloc (n * 4), *t1 = g_malloc (n * 4);
  PsThicknessParams tp;
  ps_thickness_params_init (&tp);
  tp.n_threads = 3;
  g_assert_cmpint (ps_thickness_run (&tp, g, &map, t, NULL), ==, PS_OK);
  tp.n_threads = 1;
  g_assert_cmpint (ps_thickness_run (&tp, g, &map, t1, NULL), ==, PS_OK);
  g_assert_cmpmem (t, n * 4, t1, n * 4);
  brute_thickness (g, &map, ref);
  for (size_t i = 0; i < n; i++)
    if (t[i] != ref[i])
      g_error ("voxel %zu: thickness %.9g, brute force %.9g", i, t[i], ref[i]);
  g_free (t);
  g_free (t1);
  g_free (ref);
  g_free (buf);
}

static void
test_brute (void)
{
  const double spacings[][3] = { { 1, 1, 1 }, { 2, 1, 1 }, { 0.9, 1.3, 1.7 } };
  guint64 seed = 3;
  for (size_t s = 0; s < G_N_ELEMENTS (spacings); s++)
    for (int variant = 0; variant < 4; variant++)
      {
        PsGrid g = { 22, 19, 17, { spacings[s][0], spacings[s][1], spacings[s][2] } };
        uint8_t *m = random_balls_mask (&g, 14, 2.0, 6.0, seed++);
        bool squared = ps_edt_metric (&g).integer && (variant & 1);
        check_case (&g, m, (variant & 2) != 0, variant == 1, squared);
        g_free (m);
      }
}

static void
test_slab (void)
{
  /* A phase slab 7 voxels thick along z, full in x and y, faces not
   * background: d = 1, 2, 3, 4, 3, 2, 1 nm; the centre ball (radius 4)
   * reaches the voxels at |dz| < 4, i.e. all seven: t = 8 nm everywhere. */
  PsGrid g = ps_grid_make (12, 10, 11, 1.0);
  size_t n = ps_grid_n_voxels (&g);
  uint8_t *m = g_malloc0 (n);
  for (size_t z = 2; z < 9; z++)
    memset (m + z * 120, 1, 120);
  uint32_t *d2 = g_malloc (n * 4);
  PsEdtParams ep;
  ps_edt_params_init (&ep);
  g_assert_cmpint (ps_edt_run_squared (&ep, &g, m, d2, NULL), ==, PS_OK);
  PsDistanceMap map = { d2, NULL, ps_edt_metric (&g) };
  float *t = g_malloc (n * 4);
  PsThicknessParams tp;
  ps_thickness_params_init (&tp);
  g_assert_cmpint (ps_thickness_run (&tp, &g, &map, t, NULL), ==, PS_OK);
  for (size_t i = 0; i < n; i++)
    g_assert_cmpfloat (t[i], ==, m[i] ? 8.0f : 0.0f);

  /* Histogram on shared bins of 1 nm: all 840 voxels in [8, 9). */
  PsThicknessBins bins = ps_thickness_bins (&g, 0.0, 8.0);
  g_assert_cmpfloat (bins.bin_width_nm, ==, 1.0);
  g_assert_cmpuint (bins.n_bins, ==, 9);
  uint64_t counts[9], total;
  g_assert_cmpint (ps_thickness_histogram (t, n, &bins, counts, &total), ==, PS_OK);
  g_assert_cmpuint (total, ==, 7 * 120);
  g_assert_cmpuint (counts[8], ==, 7 * 120);

  /* No background at all: infinite thickness. */
  memset (m, 1, n);
  g_assert_cmpint (ps_edt_run_squared (&ep, &g, m, d2, NULL), ==, PS_OK);
  g_assert_cmpint (ps_thickness_run (&tp, &g, &map, t, NULL), ==, PS_OK);
  g_assert_true (isinf (t[0]));
  g_assert_cmpint (ps_thickness_histogram (t, n, &bins, counts, &total), ==, PS_OK);
  g_assert_cmpuint (counts[8], ==, n);
  g_free (t);
  g_free (d2);
  g_free (m);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/core/thickness/brute", test_brute);
  g_test_add_func ("/core/thickness/slab", test_slab);
  return g_test_run ();
}
