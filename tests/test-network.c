/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Pore network (ps-network) against known geometry and brute force:
 * two overlapping spheres split at their mid-plane (one throat whose area,
 * inscribed diameter and length follow from the geometry), a chain of N
 * touching spheres (N − 1 throats, coordinations 1, 2, …, 2, 1), and random
 * label volumes against a direct scan of every voxel face. */
#include "config.h"

#include <glib.h>
#include <math.h>
#include <string.h>

#include "ps-measure.h"
#include "ps-network.h"
#include "ps-test-util.h"

static PsLabels *
new_labels (size_t nx, size_t ny, size_t nz, double s)
{
  PsStatus st;
  PsLabels *l = ps_labels_new (nx, ny, nz, &st);
  g_assert_nonnull (l);
  l->spacing[0] = l->spacing[1] = l->spacing[2] = s;
  return l;
}

/* Spheres (centres c[k], radius r, nm); a voxel in several gets the label of
 * the nearest centre (what a watershed of the distance map gives for equal
 * spheres). */
static void
paint_spheres (PsLabels *l, const double (*c)[3], int n, double r)
{
  for (size_t z = 0; z < l->nz; z++)
    for (size_t y = 0; y < l->ny; y++)
      for (size_t x = 0; x < l->nx; x++)
        {
          double p[3] = { (x + 0.5) * l->spacing[0], (y + 0.5) * l->spacing[1], (z + 0.5) * l->spacing[2] };
          double best = INFINITY;
          uint32_t lab = 0;
          for (int k = 0; k < n; k++)
            {
              double d2 = 0;
              for (int a = 0; a < 3; a++)
                d2 += (p[a] - c[k][a]) * (p[a] - c[k][a]);
              if (d2 <= r * r && d2 < best)
                {
                  best = d2;
                  lab = (uint32_t) k + 1;
                }
            }
          l->data[(z * l->ny + y) * l->nx + x] = lab;
        }
  l->n_labels = (uint32_t) n;
}

/* Brute-force distance (nm) to the nearest label-0 voxel centre. */
static float *
brute_distance (const PsLabels *l)
{
  size_t n = l->nx * l->ny * l->nz;
  float *d = g_new0 (float, n);
  GArray *bg = g_array_new (FALSE, FALSE, sizeof (guint32));
  for (size_t i = 0; i < n; i++)
    if (l->data[i] == 0)
      {
        guint32 v = (guint32) i;
        g_array_append_val (bg, v);
      }
  for (size_t i = 0; i < n; i++)
    {
      if (l->data[i] == 0)
        continue;
      long x = (long) (i % l->nx), y = (long) ((i / l->nx) % l->ny), z = (long) (i / (l->nx * l->ny));
      long best = LONG_MAX;
      for (guint k = 0; k < bg->len; k++)
        {
          size_t j = g_array_index (bg, guint32, k);
          long ex = (long) (j % l->nx) - x, ey = (long) ((j / l->nx) % l->ny) - y, ez = (long) (j / (l->nx * l->ny)) - z;
          long dd = ex * ex + ey * ey + ez * ez;
          if (dd < best)
            best = dd;
        }
      d[i] = (float) (sqrt ((double) best) * l->spacing[0]);
    }
  g_array_unref (bg);
  return d;
}

static PsObjectTable *
measure (const PsLabels *l)
{
  PsMeasureParams mp = { .labels = l, .n_threads = 2 };
  PsObjectTable *t = NULL;
  g_assert_cmpint (ps_measure_run (&mp, &t, NULL), ==, PS_OK);
  return t;
}

static void
test_two_spheres (void)
{
  /* Radius 8 voxels, centres 12 voxels apart along x: the neck is the disc
   * of radius r = √(8² − 6²) = 5.29 voxels in the mid-plane, which falls
   * between two voxel layers, so the throat is exactly the faces of that
   * disc's lattice points: area = (number of (y, z) centres in the disc) × s². */
  const double s = 0.5;
  PsLabels *l = new_labels (40, 24, 24, s);
  const double c[2][3] = { { 14 * s, 12 * s, 12 * s }, { 26 * s, 12 * s, 12 * s } };
  paint_spheres (l, c, 2, 8 * s);
  float *d = brute_distance (l);
  PsObjectTable *t = measure (l);
  PsDistanceMap map = { .dist_nm = d };
  PsNetworkParams np = { .labels = l, .distance = &map, .objects = t, .n_threads = 2 };
  PsNetwork *net = NULL;
  g_assert_cmpint (ps_network_run (&np, &net, NULL), ==, PS_OK);
  g_assert_cmpuint (net->n_nodes, ==, 2);
  g_assert_cmpuint (net->n_throats, ==, 1);
  const PsThroat *th = &net->throats[0];
  g_assert_cmpuint (th->label_a, ==, 1);
  g_assert_cmpuint (th->label_b, ==, 2);

  /* The faces between voxel columns 19 and 20 (centres 5.5 voxels from the
   * nearer sphere centre) exist where both voxels are in the union. */
  size_t disc = 0;
  for (int z = 0; z < 24; z++)
    for (int y = 0; y < 24; y++)
      {
        double ey = y + 0.5 - 12, ez = z + 0.5 - 12;
        if (5.5 * 5.5 + ey * ey + ez * ez <= 64)
          disc++;
      }
  g_assert_cmpuint (th->faces[0], ==, disc);
  g_assert_cmpuint (th->faces[1] + th->faces[2], ==, 0);
  g_assert_cmpfloat_with_epsilon (th->area_nm2, disc * s * s, 1e-12);
  /* So the face area is the neck's cross-section half a voxel off the
   * mid-plane: π (R² − (D/2 − s/2)²), not the mid-plane's π (R² − (D/2)²). */
  double r_neck = sqrt (64.0 - 36.0) * s, r_face = sqrt (64.0 - 5.5 * 5.5) * s;
  g_test_message ("throat area %.3f nm² (π r² at the faces = %.3f, at the mid-plane %.3f), "
                  "inscribed %.3f nm (2r = %.3f), length %.3f",
                  th->area_nm2, M_PI * r_face * r_face, M_PI * r_neck * r_neck,
                  th->inscribed_diameter_nm, 2 * r_neck, th->length_nm);
  g_assert_cmpfloat (fabs (th->area_nm2 / (M_PI * r_face * r_face) - 1), <, 0.06);
  g_assert_cmpfloat (fabs (th->inscribed_diameter_nm - 2 * r_neck), <, 2 * s);
  /* Centre distance: by symmetry the centroids are ±(mean x) apart. */
  g_assert_cmpfloat_with_epsilon (th->length_nm, t->objects[1].centroid_nm[0] - t->objects[0].centroid_nm[0], 1e-9);
  g_assert_cmpfloat (fabs (th->length_nm - 12 * s), <, 1.5 * s);
  g_assert_cmpuint (net->coordination[0], ==, 1);
  g_assert_cmpuint (net->coordination[1], ==, 1);
  ps_network_free (net);
  ps_object_table_free (t);
  g_free (d);
  ps_labels_unref (l);
}

static void
test_chain (void)
{
  /* N spheres of radius 5 in a row, 9 apart: each touches only its
   * neighbours. */
  enum { N = 6 };
  PsLabels *l = new_labels (9 * N + 4, 14, 14, 1.0);
  double c[N][3];
  for (int k = 0; k < N; k++)
    {
      c[k][0] = 6.5 + 9 * k;
      c[k][1] = 7;
      c[k][2] = 7;
    }
  paint_spheres (l, (const double (*)[3]) c, N, 5.0);
  PsObjectTable *t = measure (l);
  PsNetworkParams np = { .labels = l, .objects = t, .n_threads = 3 };
  PsNetwork *net = NULL;
  g_assert_cmpint (ps_network_run (&np, &net, NULL), ==, PS_OK);
  g_assert_cmpuint (net->n_throats, ==, N - 1);
  for (int k = 0; k < N - 1; k++)
    {
      g_assert_cmpuint (net->throats[k].label_a, ==, k + 1);
      g_assert_cmpuint (net->throats[k].label_b, ==, k + 2);
      g_assert_cmpfloat (fabs (net->throats[k].length_nm - 9.0), <, 0.3);
      g_assert_true (isnan (net->throats[k].inscribed_diameter_nm));
    }
  for (int k = 0; k < N; k++)
    g_assert_cmpuint (net->coordination[k], ==, (k == 0 || k == N - 1) ? 1 : 2);
  ps_network_free (net);
  ps_object_table_free (t);
  ps_labels_unref (l);
}

static void
test_brute (void)
{
  const size_t nx = 29, ny = 23, nz = 21;
  PsLabels *l = new_labels (nx, ny, nz, 1.0);
  l->spacing[0] = 0.6;
  l->spacing[2] = 1.4;
  PsTestRng rng = { 11 };
  const uint32_t nl = 12;
  for (size_t i = 0; i < nx * ny * nz; i++)
    {
      /* blocks of labels so that faces between labels are common */
      size_t x = i % nx, y = (i / nx) % ny, z = i / (nx * ny);
      uint32_t v = (uint32_t) (((x / 4) * 7 + (y / 3) * 3 + (z / 5) * 5) % (nl + 2));
      if (ps_test_rng_uniform (&rng) < 0.1)
        v = 0;
      l->data[i] = v > nl ? 0 : v;
    }
  l->n_labels = nl;
  float *d = g_new (float, nx * ny * nz);
  for (size_t i = 0; i < nx * ny * nz; i++)
    d[i] = (float) (5 * ps_test_rng_uniform (&rng));

  /* Brute force: a dense (a, b) table. */
  guint64 faces[nl + 1][nl + 1][3];
  float maxsum[nl + 1][nl + 1];
  memset (faces, 0, sizeof faces);
  for (uint32_t a = 0; a <= nl; a++)
    for (uint32_t b = 0; b <= nl; b++)
      maxsum[a][b] = -INFINITY;
  for (size_t z = 0; z < nz; z++)
    for (size_t y = 0; y < ny; y++)
      for (size_t x = 0; x < nx; x++)
        {
          size_t i = (z * ny + y) * nx + x;
          const size_t nb[3] = { x + 1 < nx ? i + 1 : i, y + 1 < ny ? i + nx : i, z + 1 < nz ? i + nx * ny : i };
          for (int ax = 0; ax < 3; ax++)
            {
              uint32_t a = l->data[i], b = l->data[nb[ax]];
              if (a == 0 || b == 0 || a == b)
                continue;
              if (a > b)
                {
                  uint32_t tt = a;
                  a = b;
                  b = tt;
                }
              faces[a][b][ax]++;
              maxsum[a][b] = MAX (maxsum[a][b], d[i] + d[nb[ax]]);
            }
        }
  PsDistanceMap map = { .dist_nm = d };
  PsNetworkParams np = { .labels = l, .distance = &map, .n_threads = 4 };
  PsNetwork *net = NULL, *net1 = NULL;
  g_assert_cmpint (ps_network_run (&np, &net, NULL), ==, PS_OK);
  np.n_threads = 1;
  g_assert_cmpint (ps_network_run (&np, &net1, NULL), ==, PS_OK);
  g_assert_cmpuint (net->n_throats, ==, net1->n_throats);
  g_assert_cmpmem (net->throats, net->n_throats * sizeof (PsThroat), net1->throats, net1->n_throats * sizeof (PsThroat));
  size_t k = 0;
  guint coord[nl + 1];
  memset (coord, 0, sizeof coord);
  for (uint32_t a = 1; a <= nl; a++)
    for (uint32_t b = a + 1; b <= nl; b++)
      {
        if (faces[a][b][0] + faces[a][b][1] + faces[a][b][2] == 0)
          continue;
        g_assert_cmpuint (k, <, net->n_throats);
        const PsThroat *th = &net->throats[k++];
        g_assert_cmpuint (th->label_a, ==, a);
        g_assert_cmpuint (th->label_b, ==, b);
        for (int ax = 0; ax < 3; ax++)
          g_assert_cmpuint (th->faces[ax], ==, faces[a][b][ax]);
        g_assert_cmpfloat_with_epsilon (th->area_nm2,
                                        faces[a][b][0] * 1.0 * 1.4 + faces[a][b][1] * 0.6 * 1.4 + faces[a][b][2] * 0.6 * 1.0,
                                        1e-9);
        g_assert_cmpfloat (th->inscribed_diameter_nm, ==, maxsum[a][b]);
        g_assert_true (isnan (th->length_nm));
        coord[a]++;
        coord[b]++;
      }
  g_assert_cmpuint (k, ==, net->n_throats);
  for (uint32_t a = 1; a <= nl; a++)
    g_assert_cmpuint (net->coordination[a - 1], ==, coord[a]);
  ps_network_free (net);
  ps_network_free (net1);
  g_free (d);
  ps_labels_unref (l);
}

static void
test_errors (void)
{
  PsNetworkParams np = { 0 };
  PsNetwork *net = NULL;
  g_assert_cmpint (ps_network_run (&np, &net, NULL), ==, PS_ERROR_INVALID_PARAMETER);
  PsLabels *l = new_labels (6, 5, 4, 1.0);
  l->data[10] = 7;
  l->data[11] = 2;
  l->n_labels = 3;  /* 7 is out of range */
  np.labels = l;
  g_assert_cmpint (ps_network_run (&np, &net, NULL), ==, PS_ERROR_INVALID_PARAMETER);
  g_assert_null (net);
  l->n_labels = 7;
  g_assert_cmpint (ps_network_run (&np, &net, NULL), ==, PS_OK);
  g_assert_cmpuint (net->n_throats, ==, 1);
  g_assert_cmpuint (net->coordination[1], ==, 1);
  g_assert_cmpuint (net->coordination[6], ==, 1);
  ps_network_free (net);
  atomic_int cancel = 1;
  PsProgress prog = { .cancel = &cancel };
  g_assert_cmpint (ps_network_run (&np, &net, &prog), ==, PS_ERROR_CANCELLED);
  ps_labels_unref (l);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/core/network/two-spheres", test_two_spheres);
  g_test_add_func ("/core/network/chain", test_chain);
  g_test_add_func ("/core/network/brute-force", test_brute);
  g_test_add_func ("/core/network/errors", test_errors);
  return g_test_run ();
}
