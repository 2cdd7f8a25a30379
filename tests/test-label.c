/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Connected components: a breadth-first flood fill reference on random
 * volumes (6/18/26, both phases, thin volumes), thread independence, and
 * scipy.ndimage.label (same labels, same numbering). */
#include "config.h"

#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ps-label.h"
#include "ps-label-private.h"
#include "ps-test-util.h"

static uint8_t *
random_mask (size_t n, double density, guint64 seed)
{
  uint8_t *m = g_malloc (n);
  PsTestRng rng = { seed };
  for (size_t i = 0; i < n; i++)
    m[i] = ps_test_rng_uniform (&rng) < density ? 1 + (ps_test_rng_next (&rng) % 200) : 0;
  return m;
}

/* Flood fill in raster order of seeds: numbering by first voxel. */
static uint32_t
reference_label (const PsGrid *g, const uint8_t *m, int conn, bool invert, uint32_t *out)
{
  size_t n = ps_grid_n_voxels (g);
  size_t *queue = g_malloc (n * sizeof (size_t));
  uint32_t count = 0;
  memset (out, 0, n * 4);
  for (size_t s = 0; s < n; s++)
    {
      if (((m[s] != 0) == invert) || out[s])
        continue;
      size_t head = 0, tail = 0;
      out[s] = ++count;
      queue[tail++] = s;
      while (head < tail)
        {
          size_t i = queue[head++];
          long x = i % g->nx, y = (i / g->nx) % g->ny, z = i / (g->nx * g->ny);
          for (int dz = -1; dz <= 1; dz++)
            for (int dy = -1; dy <= 1; dy++)
              for (int dx = -1; dx <= 1; dx++)
                {
                  int l1 = abs (dx) + abs (dy) + abs (dz);
                  if (l1 == 0 || (conn == 6 && l1 > 1) || (conn == 18 && l1 > 2))
                    continue;
                  long xx = x + dx, yy = y + dy, zz = z + dz;
                  if (xx < 0 || yy < 0 || zz < 0 || xx >= (long) g->nx || yy >= (long) g->ny ||
                      zz >= (long) g->nz)
                    continue;
                  size_t j = ((size_t) zz * g->ny + (size_t) yy) * g->nx + (size_t) xx;
                  if (((m[j] != 0) != invert) && !out[j])
                    {
                      out[j] = count;
                      queue[tail++] = j;
                    }
                }
        }
    }
  g_free (queue);
  return count;
}

static void
test_reference (void)
{
  const size_t dims[][3] = { { 23, 17, 11 }, { 1, 30, 20 }, { 40, 1, 1 }, { 7, 9, 31 }, { 64, 3, 5 } };
  const double densities[] = { 0.2, 0.35, 0.5, 0.7, 0.95 };
  const int conns[] = { 6, 18, 26 };
  guint64 seed = 5;
  for (size_t d = 0; d < G_N_ELEMENTS (dims); d++)
    for (size_t r = 0; r < G_N_ELEMENTS (densities); r++)
      for (size_t c = 0; c < 3; c++)
        for (int inv = 0; inv < 2; inv++)
          {
            PsGrid g = ps_grid_make (dims[d][0], dims[d][1], dims[d][2], 1.0);
            size_t n = ps_grid_n_voxels (&g);
            uint8_t *m = random_mask (n, densities[r], seed++);
            uint32_t *a = g_malloc (n * 4), *ref = g_malloc (n * 4), *b = g_malloc (n * 4);
            PsLabelParams p;
            ps_label_params_init (&p);
            p.connectivity = conns[c];
            p.invert = inv;
            p.n_threads = 3;
            uint32_t na = 0, nb = 0;
            g_assert_cmpint (ps_label_run (&p, &g, m, a, &na, NULL), ==, PS_OK);
            uint32_t nref = reference_label (&g, m, conns[c], inv, ref);
            g_assert_cmpuint (na, ==, nref);
            g_assert_cmpmem (a, n * 4, ref, n * 4);
            p.n_threads = 1;
            g_assert_cmpint (ps_label_run (&p, &g, m, b, &nb, NULL), ==, PS_OK);
            g_assert_cmpmem (a, n * 4, b, n * 4);
            g_free (a);
            g_free (b);
            g_free (ref);
            g_free (m);
          }
}

/* The open-pore query: voxels whose component reaches one of the six
 * faces, as bits, against the reference labelling. Odd sizes so rows and
 * slices straddle 64-bit words; 1 and 3 threads. */
static void
test_faces (void)
{
  const size_t dims[][3] = { { 23, 17, 11 }, { 67, 5, 9 }, { 1, 30, 20 }, { 130, 3, 4 }, { 9, 9, 40 } };
  const double densities[] = { 0.25, 0.45, 0.7 };
  const int conns[] = { 6, 26 };
  guint64 seed = 91;
  for (size_t d = 0; d < G_N_ELEMENTS (dims); d++)
    for (size_t r = 0; r < G_N_ELEMENTS (densities); r++)
      for (size_t c = 0; c < 2; c++)
        {
          PsGrid g = ps_grid_make (dims[d][0], dims[d][1], dims[d][2], 1.0);
          size_t n = ps_grid_n_voxels (&g), nw = (n + 63) / 64;
          uint8_t *m = random_mask (n, densities[r], seed++);
          uint32_t *ref = g_malloc (n * 4);
          uint32_t nref = reference_label (&g, m, conns[c], false, ref);
          uint8_t *face = g_malloc0 (nref + 1);
          for (size_t z = 0; z < g.nz; z++)
            for (size_t y = 0; y < g.ny; y++)
              for (size_t x = 0; x < g.nx; x++)
                if (x == 0 || y == 0 || z == 0 || x + 1 == g.nx || y + 1 == g.ny || z + 1 == g.nz)
                  face[ref[(z * g.ny + y) * g.nx + x]] = 1;
          face[0] = 0;
          uint64_t *want = g_malloc0 (nw * 8), *got = g_malloc (nw * 8);
          size_t n_open = 0;
          for (size_t i = 0; i < n; i++)
            if (face[ref[i]])
              {
                want[i / 64] |= 1ull << (i % 64);
                n_open++;
              }
          _PsRegion region = { _PS_REGION_MASK, m, false };
          for (int threads = 1; threads <= 3; threads += 2)
            {
              memset (got, 0xa5, nw * 8);   /* the call overwrites every word */
              g_assert_cmpint (_ps_label_region_faces (&g, &region, conns[c], threads, got, NULL), ==, PS_OK);
              g_assert_cmpmem (got, nw * 8, want, nw * 8);
            }
          g_test_message ("%zu×%zu×%zu density %.2f conn %d: %zu of %zu voxels open", dims[d][0], dims[d][1],
                          dims[d][2], densities[r], conns[c], n_open, n);
          g_free (want);
          g_free (got);
          g_free (face);
          g_free (ref);
          g_free (m);
        }
}

static void
test_edge (void)
{
  PsGrid g = ps_grid_make (4, 4, 4, 1.0);
  uint8_t m[64];
  uint32_t l[64], n = 99;
  PsLabelParams p;
  ps_label_params_init (&p);
  memset (m, 0, sizeof m);
  g_assert_cmpint (ps_label_run (&p, &g, m, l, &n, NULL), ==, PS_OK);
  g_assert_cmpuint (n, ==, 0);
  memset (m, 1, sizeof m);
  g_assert_cmpint (ps_label_run (&p, &g, m, l, &n, NULL), ==, PS_OK);
  g_assert_cmpuint (n, ==, 1);
  g_assert_cmpuint (l[63], ==, 1);
  p.connectivity = 8;
  g_assert_cmpint (ps_label_run (&p, &g, m, l, &n, NULL), ==, PS_ERROR_INVALID_PARAMETER);
  p.connectivity = 6;
  g_assert_cmpint (ps_label_run (&p, &g, NULL, l, &n, NULL), ==, PS_ERROR_INVALID_PARAMETER);
}

static void
test_scipy (void)
{
  PsGrid g = ps_grid_make (96, 80, 64, 1.0);
  size_t n = ps_grid_n_voxels (&g);
  uint8_t *m = random_mask (n, 0.3, 77);
  uint32_t *l = g_malloc (n * 4);
  char *mpath = ps_test_tmp_path ("label-mask.u8");
  g_assert_true (g_file_set_contents (mpath, (const char *) m, n, NULL));
  const int conns[] = { 6, 18, 26 };
  for (int c = 0; c < 3; c++)
    {
      PsLabelParams p;
      ps_label_params_init (&p);
      p.connectivity = conns[c];
      p.n_threads = 2;
      uint32_t nl;
      g_assert_cmpint (ps_label_run (&p, &g, m, l, &nl, NULL), ==, PS_OK);
      char *lpath = ps_test_tmp_path ("label-out.u32");
      g_assert_true (g_file_set_contents (lpath, (const char *) l, n * 4, NULL));
      char cs[8];
      g_snprintf (cs, sizeof cs, "%d", c + 1);
      char *out = NULL, *err = NULL;
      int rc = ps_test_python (&out, &err,
        "import sys, numpy as np\n"
        "from scipy import ndimage as ndi\n"
        "m = np.fromfile(sys.argv[1], np.uint8).reshape(64, 80, 96)\n"
        "l = np.fromfile(sys.argv[2], np.uint32).reshape(64, 80, 96)\n"
        "ref, n = ndi.label(m, structure=ndi.generate_binary_structure(3, int(sys.argv[3])))\n"
        "print(n, int(np.count_nonzero(ref != l)))\n",
        mpath, lpath, cs, NULL);
      if (rc < 0)
        {
          g_test_skip ("no /usr/bin/python3 with scipy");
          g_free (lpath);
          break;
        }
      if (rc != 0)
        g_printerr ("%s", err);
      g_assert_cmpint (rc, ==, 0);
      unsigned ref_n = 0, diff = 1;
      g_assert_cmpint (sscanf (out, "%u %u", &ref_n, &diff), ==, 2);
      g_test_message ("%d-connectivity: %u components (scipy %u), %u voxels differ",
                      conns[c], nl, ref_n, diff);
      g_assert_cmpuint (nl, ==, ref_n);
      g_assert_cmpuint (diff, ==, 0);
      g_free (out);
      g_free (err);
      g_free (lpath);
    }
  g_free (mpath);
  g_free (l);
  g_free (m);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/core/label/reference", test_reference);
  g_test_add_func ("/core/label/edge", test_edge);
  g_test_add_func ("/core/label/faces", test_faces);
  g_test_add_func ("/core/label/scipy", test_scipy);
  return g_test_run ();
}
