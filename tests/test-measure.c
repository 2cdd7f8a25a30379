/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Per-object statistics (ps-measure) against independent references:
 * analytic spheres, brute-force loops over every voxel and voxel pair,
 * Legland et al.'s published Crofton weights, and scikit-image
 * (regionprops + marching_cubes/mesh_surface_area) through the system
 * Python. */
#include "config.h"

#include <glib.h>
#include <glib/gstdio.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "ps-measure-private.h"
#include "ps-measure.h"
#include "ps-test-util.h"

static PsLabels *
new_labels (size_t nx, size_t ny, size_t nz, double dx, double dy, double dz)
{
  PsStatus st;
  PsLabels *l = ps_labels_new (nx, ny, nz, &st);
  g_assert_nonnull (l);
  l->spacing[0] = dx;
  l->spacing[1] = dy;
  l->spacing[2] = dz;
  l->spacing_known = true;
  return l;
}

/* Label voxels whose centre lies in the ball (centre c, radius r, nm). */
static size_t
paint_ball (PsLabels *l, const double c[3], double r, uint32_t value)
{
  size_t n = 0;
  for (size_t z = 0; z < l->nz; z++)
    for (size_t y = 0; y < l->ny; y++)
      for (size_t x = 0; x < l->nx; x++)
        {
          double px = (x + 0.5) * l->spacing[0] - c[0];
          double py = (y + 0.5) * l->spacing[1] - c[1];
          double pz = (z + 0.5) * l->spacing[2] - c[2];
          if (px * px + py * py + pz * pz <= r * r)
            {
              l->data[(z * l->ny + y) * l->nx + x] = value;
              n++;
            }
        }
  return n;
}

/* Brute-force distance map: for each labelled voxel, the distance (nm) to
 * the nearest voxel centre with label 0 (outside the box does not count). */
static float *
brute_distance (const PsLabels *l)
{
  size_t n = l->nx * l->ny * l->nz;
  float *d = g_new0 (float, n);
  GArray *bg = g_array_new (FALSE, FALSE, sizeof (size_t));
  for (size_t i = 0; i < n; i++)
    if (l->data[i] == 0)
      g_array_append_val (bg, i);
  for (size_t i = 0; i < n; i++)
    {
      if (l->data[i] == 0)
        continue;
      size_t x = i % l->nx, y = (i / l->nx) % l->ny, z = i / (l->nx * l->ny);
      double best = INFINITY;
      for (guint k = 0; k < bg->len; k++)
        {
          size_t j = g_array_index (bg, size_t, k);
          double ex = ((double) (j % l->nx) - x) * l->spacing[0];
          double ey = ((double) ((j / l->nx) % l->ny) - y) * l->spacing[1];
          double ez = ((double) (j / (l->nx * l->ny)) - z) * l->spacing[2];
          double dd = ex * ex + ey * ey + ez * ez;
          if (dd < best)
            best = dd;
        }
      d[i] = (float) sqrt (best);
    }
  g_array_unref (bg);
  return d;
}

static PsObjectTable *
measure (const PsLabels *l, const float *intensity, const float *dist, const uint8_t *ext, int threads)
{
  PsMeasureParams p = { 0 };
  PsObjectTable *t = NULL;
  PsDistanceMap map = { .dist_nm = dist };
  p.labels = l;
  p.intensity = intensity;
  p.distance = dist ? &map : NULL;
  p.exterior = ext;
  p.n_threads = threads;
  g_assert_cmpint (ps_measure_run (&p, &t, NULL), ==, PS_OK);
  g_assert_nonnull (t);
  return t;
}

static void
test_crofton_weights (void)
{
  /* Legland, Kiêu & Devaux 2007 (and MorphoLibJ's IntrinsicVolumes3D):
   * Voronoi solid-angle fractions of the 13 directions of the cubic grid,
   * per half-sphere: 0.04577789120476 (axes), 0.03698062787608 (face
   * diagonals), 0.03519563978232 (body diagonals). Ours sum to 1 over the
   * whole sphere, hence ×2. */
  const double iso[3] = { 1, 1, 1 };
  double w[PS_MEASURE_N_DIRECTIONS], sum = 0;
  ps_measure_crofton_weights (iso, w);
  for (int d = 0; d < PS_MEASURE_N_DIRECTIONS; d++)
    {
      int nz = 0;
      for (int a = 0; a < 3; a++)
        nz += ps_measure_directions[d][a] != 0;
      double ref = nz == 1 ? 2 * 0.04577789120476 : nz == 2 ? 2 * 0.03698062787608 : 2 * 0.03519563978232;
      g_assert_cmpfloat_with_epsilon (w[d], ref, 3e-4);
      sum += w[d];
    }
  g_assert_cmpfloat_with_epsilon (sum, 1.0, 1e-12);

  /* Scaling all axes alike changes nothing. Stretching x (dx = 2) tilts the
   * oblique directions towards x, which shrinks the x axis's Voronoi cell
   * and widens those of y and z. */
  const double s2[3] = { 3, 3, 3 }, ax[3] = { 2, 1, 1 };
  double w2[PS_MEASURE_N_DIRECTIONS], wa[PS_MEASURE_N_DIRECTIONS];
  ps_measure_crofton_weights (s2, w2);
  ps_measure_crofton_weights (ax, wa);
  for (int d = 0; d < PS_MEASURE_N_DIRECTIONS; d++)
    g_assert_cmpfloat (w2[d], ==, w[d]);
  g_assert_cmpfloat (wa[0], <, w[0]);
  g_assert_cmpfloat (wa[1], >, w[1]);
  g_assert_cmpfloat (wa[4], >, w[4]);
}

/* An isolated digital sphere: volume, equivalent diameter, surface area and
 * sphericity against the analytic values; centroid, bbox, inscribed
 * diameter against exact/brute-force values. */
static void
check_sphere (double dx, double dy, double dz, double r_nm, double area_tol)
{
  size_t n[3];
  const double sp[3] = { dx, dy, dz };
  double c[3];
  for (int a = 0; a < 3; a++)
    {
      n[a] = (size_t) ceil (2 * r_nm / sp[a]) + 6;
      /* Off-grid centre so the digitisation is not symmetric. */
      c[a] = n[a] * sp[a] / 2 + 0.31 * sp[a] * (a + 1) / 3;
    }
  PsLabels *l = new_labels (n[0], n[1], n[2], dx, dy, dz);
  paint_ball (l, c, r_nm, 1);
  l->n_labels = 1;
  PsObjectTable *t = measure (l, NULL, NULL, NULL, 2);
  const PsObjectStats *o = &t->objects[0];
  double v_true = 4.0 / 3.0 * M_PI * pow (r_nm, 3);
  double s_true = 4.0 * M_PI * r_nm * r_nm;

  g_test_message ("r = %.2f nm, spacing %.2f/%.2f/%.2f: V %.4f, D %.4f, S %.4f, sphericity %.4f (ratios to analytic)",
                  r_nm, dx, dy, dz, o->volume_nm3 / v_true, o->equivalent_diameter_nm / (2 * r_nm),
                  o->surface_area_nm2 / s_true, o->sphericity);
  g_assert_cmpfloat (fabs (o->volume_nm3 / v_true - 1), <, 0.01);
  g_assert_cmpfloat (fabs (o->equivalent_diameter_nm / (2 * r_nm) - 1), <, 0.004);
  g_assert_cmpfloat (fabs (o->surface_area_nm2 / s_true - 1), <, area_tol);
  g_assert_cmpfloat (fabs (o->sphericity - 1), <, area_tol + 0.01);
  g_assert_false (o->touches_border);
  g_assert_true (isnan (o->inscribed_diameter_nm));
  g_assert_true (isnan (o->mean_intensity));

  /* Centroid and bounding box: brute force. */
  double s[3] = { 0 };
  size_t cnt = 0, lo[3] = { SIZE_MAX, SIZE_MAX, SIZE_MAX }, hi[3] = { 0 };
  for (size_t z = 0; z < n[2]; z++)
    for (size_t y = 0; y < n[1]; y++)
      for (size_t x = 0; x < n[0]; x++)
        if (l->data[(z * n[1] + y) * n[0] + x])
          {
            size_t p[3] = { x, y, z };
            cnt++;
            for (int a = 0; a < 3; a++)
              {
                s[a] += (p[a] + 0.5) * sp[a];
                lo[a] = MIN (lo[a], p[a]);
                hi[a] = MAX (hi[a], p[a] + 1);
              }
          }
  g_assert_cmpuint (o->voxels, ==, cnt);
  for (int a = 0; a < 3; a++)
    {
      g_assert_cmpfloat_with_epsilon (o->centroid_nm[a], s[a] / cnt, 1e-9);
      /* The digital centroid is near the true centre. */
      g_assert_cmpfloat (fabs (o->centroid_nm[a] - c[a]), <, 0.05 * sp[a]);
      g_assert_cmpuint (o->bbox_lo[a], ==, lo[a]);
      g_assert_cmpuint (o->bbox_hi[a], ==, hi[a]);
    }
  ps_object_table_free (t);
  ps_labels_unref (l);
}

static void
test_sphere (void)
{
  check_sphere (1, 1, 1, 5.0, 0.02);
  check_sphere (1, 1, 1, 12.5, 0.01);
  check_sphere (0.5, 0.5, 0.5, 7.3, 0.01);
  /* Anisotropic voxels: the weights follow the spacing. */
  check_sphere (2, 1, 1, 14.0, 0.015);
  check_sphere (1, 1, 1.7, 12.0, 0.015);
}

static void
test_inscribed (void)
{
  /* A ball of radius R = 6 voxels: the voxel nearest the centre lies within
   * half a voxel diagonal (√3/2) of it, and the nearest outside voxel centre
   * lies beyond R from the centre but within R + 1 of that voxel, so the
   * inscribed diameter lies in [2(R − √3/2), 2(R + 1)] voxels; it must equal
   * 2 × the brute-force maximum. */
  PsLabels *l = new_labels (18, 18, 18, 0.8, 0.8, 0.8);
  const double c[3] = { 7.3, 7.1, 7.2 };
  paint_ball (l, c, 6 * 0.8, 1);
  l->n_labels = 1;
  float *d = brute_distance (l);
  float dmax = 0;
  for (size_t i = 0; i < 18 * 18 * 18; i++)
    dmax = MAX (dmax, d[i]);
  PsObjectTable *t = measure (l, NULL, d, NULL, 2);
  g_assert_cmpfloat (t->objects[0].inscribed_diameter_nm, ==, 2.0 * dmax);

  /* The same through an exact squared-distance map (ps_edt_run_squared). */
  PsGrid grid = ps_grid_make (18, 18, 18, 0.8);
  PsEdtParams ep;
  ps_edt_params_init (&ep);
  uint8_t *mask = g_new (uint8_t, 18 * 18 * 18);
  uint32_t *d2 = g_new (uint32_t, 18 * 18 * 18);
  for (size_t i = 0; i < 18 * 18 * 18; i++)
    mask[i] = l->data[i] != 0;
  g_assert_cmpint (ps_edt_run_squared (&ep, &grid, mask, d2, NULL), ==, PS_OK);
  PsDistanceMap m2 = { .dist2 = d2, .metric = ps_edt_metric (&grid) };
  PsMeasureParams mp = { .labels = l, .distance = &m2 };
  PsObjectTable *t2 = NULL;
  g_assert_cmpint (ps_measure_run (&mp, &t2, NULL), ==, PS_OK);
  g_assert_cmpfloat_with_epsilon (t2->objects[0].inscribed_diameter_nm, 2.0 * dmax, 1e-5);
  ps_object_table_free (t2);
  g_free (mask);
  g_free (d2);
  g_assert_cmpfloat (t->objects[0].inscribed_diameter_nm, >=, 2 * (6 - sqrt (3) / 2) * 0.8);
  g_assert_cmpfloat (t->objects[0].inscribed_diameter_nm, <=, 2 * 7 * 0.8);
  ps_object_table_free (t);
  g_free (d);
  ps_labels_unref (l);
}

/* Random blobs with random labels (neighbouring objects touch), checked
 * field by field against direct loops; surface area against a direct
 * evaluation of the Crofton sum over every voxel pair. */
static void
fill_random (PsLabels *l, guint64 seed, uint32_t n_labels, int n_blobs)
{
  PsTestRng rng = { seed };
  memset (l->data, 0, l->nx * l->ny * l->nz * sizeof (uint32_t));
  for (int b = 0; b < n_blobs; b++)
    {
      double c[3], r = 1.0 + 4.0 * ps_test_rng_uniform (&rng);
      for (int a = 0; a < 3; a++)
        c[a] = ps_test_rng_uniform (&rng) * l->nx * l->spacing[a];
      uint32_t v = 1 + (uint32_t) (ps_test_rng_next (&rng) % n_labels);
      paint_ball (l, c, r * l->spacing[0], v);
    }
  l->n_labels = n_labels;
}

static void
test_brute (void)
{
  const size_t nx = 31, ny = 26, nz = 23;
  PsLabels *l = new_labels (nx, ny, nz, 0.7, 0.9, 1.3);
  fill_random (l, 42, 17, 40);
  size_t n = nx * ny * nz;
  float *inten = g_new (float, n);
  float *dist = g_new (float, n);
  uint8_t *ext = g_new0 (uint8_t, n);
  PsTestRng rng = { 7 };
  for (size_t i = 0; i < n; i++)
    {
      inten[i] = (float) (100 * ps_test_rng_uniform (&rng));
      dist[i] = (float) (10 * ps_test_rng_uniform (&rng));
    }
  inten[5] = NAN;          /* a NaN intensity is skipped in the mean */
  inten[n / 2] = INFINITY;
  for (size_t i = 0; i < 40; i++)
    ext[(i * 7919) % n] = 1;
  const double origin[3] = { 10.0, -3.5, 2.25 };

  PsDistanceMap map = { .dist_nm = dist };
  PsMeasureParams p = { .labels = l, .intensity = inten, .distance = &map, .exterior = ext, .n_threads = 3 };
  memcpy (p.origin_nm, origin, sizeof origin);
  PsObjectTable *t = NULL;
  g_assert_cmpint (ps_measure_run (&p, &t, NULL), ==, PS_OK);
  g_assert_cmpuint (t->n_objects, ==, 17);

  double w[PS_MEASURE_N_DIRECTIONS];
  ps_measure_crofton_weights (l->spacing, w);
  const double vox = 0.7 * 0.9 * 1.3;
  for (uint32_t lab = 1; lab <= 17; lab++)
    {
      uint64_t cnt = 0, fin = 0;
      double s[3] = { 0 }, isum = 0, area = 0;
      float dmax = -INFINITY;
      gboolean open = FALSE, border = FALSE;
      size_t lo[3] = { SIZE_MAX, SIZE_MAX, SIZE_MAX }, hi[3] = { 0 };
      for (size_t z = 0; z < nz; z++)
        for (size_t y = 0; y < ny; y++)
          for (size_t x = 0; x < nx; x++)
            {
              size_t i = (z * ny + y) * nx + x;
              size_t pp[3] = { x, y, z };
              /* Crofton: each pair (p, p+d) inside the box with exactly one
               * voxel in the object. */
              for (int d = 0; d < PS_MEASURE_N_DIRECTIONS; d++)
                {
                  long q[3];
                  gboolean inside = TRUE;
                  for (int a = 0; a < 3; a++)
                    {
                      q[a] = (long) pp[a] + ps_measure_directions[d][a];
                      if (q[a] < 0 || q[a] >= (long) (a == 0 ? nx : a == 1 ? ny : nz))
                        inside = FALSE;
                    }
                  if (!inside)
                    continue;
                  uint32_t lq = l->data[((size_t) q[2] * ny + (size_t) q[1]) * nx + (size_t) q[0]];
                  if ((l->data[i] == lab) != (lq == lab))
                    {
                      double len = 0;
                      for (int a = 0; a < 3; a++)
                        len += pow (ps_measure_directions[d][a] * l->spacing[a], 2);
                      area += 2 * w[d] * vox / sqrt (len);
                    }
                }
              if (l->data[i] != lab)
                continue;
              cnt++;
              for (int a = 0; a < 3; a++)
                {
                  s[a] += pp[a];
                  lo[a] = MIN (lo[a], pp[a]);
                  hi[a] = MAX (hi[a], pp[a] + 1);
                }
              if (isfinite (inten[i]))
                {
                  isum += inten[i];
                  fin++;
                }
              dmax = MAX (dmax, dist[i]);
              open |= ext[i] != 0;
            }
      const PsObjectStats *o = &t->objects[lab - 1];
      g_assert_cmpuint (o->label, ==, lab);
      g_assert_cmpuint (o->voxels, ==, cnt);
      if (cnt == 0)
        continue;
      g_assert_cmpfloat_with_epsilon (o->volume_nm3, cnt * vox, 1e-9);
      g_assert_cmpfloat_with_epsilon (o->equivalent_diameter_nm, cbrt (6 * cnt * vox / M_PI), 1e-9);
      /* f is summed in float per voxel: agreement to float precision. */
      g_assert_cmpfloat_with_epsilon (o->surface_area_nm2, area, 1e-6 * area);
      g_assert_cmpfloat (o->inscribed_diameter_nm, ==, 2.0 * dmax);
      g_assert_cmpfloat_with_epsilon (o->mean_intensity, isum / fin, 1e-9);
      g_assert_cmpint (o->open, ==, open);
      for (int a = 0; a < 3; a++)
        {
          g_assert_cmpfloat_with_epsilon (o->centroid_nm[a], origin[a] + (s[a] / cnt + 0.5) * l->spacing[a], 1e-9);
          g_assert_cmpuint (o->bbox_lo[a], ==, lo[a]);
          g_assert_cmpuint (o->bbox_hi[a], ==, hi[a]);
          border |= lo[a] == 0 || hi[a] == (a == 0 ? nx : a == 1 ? ny : nz);
        }
      g_assert_cmpint (o->touches_border, ==, border);
      if (border || area == 0)
        g_assert_true (isnan (o->sphericity));
      else
        g_assert_cmpfloat_with_epsilon (o->sphericity, cbrt (M_PI) * pow (6 * cnt * vox, 2.0 / 3.0) / area, 1e-5);
      if (border)
        g_assert_cmpfloat (o->edge_weight, ==, 0.0);
      else
        {
          double wt = 1;
          const size_t dims[3] = { nx, ny, nz };
          for (int a = 0; a < 3; a++)
            wt *= (double) dims[a] / (double) (dims[a] - (hi[a] - lo[a]) - 1);
          g_assert_cmpfloat_with_epsilon (o->edge_weight, wt, 1e-12);
        }
    }
  ps_object_table_free (t);
  g_free (inten);
  g_free (dist);
  g_free (ext);
  ps_labels_unref (l);
}

/* Identical tables (bit for bit) for 1, 2 and 5 threads when the volume is
 * cut into many small chunks. */
static void
test_threads (void)
{
  PsLabels *l = new_labels (40, 37, 35, 1, 1, 1);
  fill_random (l, 99, 60, 150);
  size_t n = 40 * 37 * 35;
  float *inten = g_new (float, n);
  PsTestRng rng = { 3 };
  for (size_t i = 0; i < n; i++)
    inten[i] = (float) (1e3 * ps_test_rng_uniform (&rng) + 1e-3);
  size_t old = _ps_measure_chunk_voxels;
  _ps_measure_chunk_voxels = 500;
  PsObjectTable *t1 = measure (l, inten, inten, NULL, 1);
  PsObjectTable *t2 = measure (l, inten, inten, NULL, 2);
  PsObjectTable *t5 = measure (l, inten, inten, NULL, 5);
  _ps_measure_chunk_voxels = old;
  PsObjectTable *tbig = measure (l, inten, inten, NULL, 1);
  g_assert_cmpuint (t1->n_objects, ==, 60);
  g_assert_cmpmem (t1->objects, 60 * sizeof (PsObjectStats), t2->objects, 60 * sizeof (PsObjectStats));
  g_assert_cmpmem (t1->objects, 60 * sizeof (PsObjectStats), t5->objects, 60 * sizeof (PsObjectStats));
  /* A different chunking changes at most the last bits of the sums. */
  for (int i = 0; i < 60; i++)
    {
      g_assert_cmpuint (t1->objects[i].voxels, ==, tbig->objects[i].voxels);
      if (t1->objects[i].voxels)
        g_assert_cmpfloat_with_epsilon (t1->objects[i].mean_intensity, tbig->objects[i].mean_intensity,
                                        1e-9 * fabs (tbig->objects[i].mean_intensity));
    }
  ps_object_table_free (t1);
  ps_object_table_free (t2);
  ps_object_table_free (t5);
  ps_object_table_free (tbig);
  g_free (inten);
  ps_labels_unref (l);
}

static void
test_edge_cases (void)
{
  PsMeasureParams p = { 0 };
  PsObjectTable *t = NULL;
  /* Missing labels. */
  g_assert_cmpint (ps_measure_run (&p, &t, NULL), ==, PS_ERROR_INVALID_PARAMETER);
  g_assert_null (t);

  /* A label above n_labels is refused, not written out of bounds. */
  PsLabels *l = new_labels (9, 8, 7, 1, 1, 1);
  l->data[100] = 5;
  l->n_labels = 3;
  p.labels = l;
  g_assert_cmpint (ps_measure_run (&p, &t, NULL), ==, PS_ERROR_INVALID_PARAMETER);
  g_assert_null (t);

  /* No objects at all: an empty table. */
  memset (l->data, 0, 9 * 8 * 7 * 4);
  l->n_labels = 0;
  g_assert_cmpint (ps_measure_run (&p, &t, NULL), ==, PS_OK);
  g_assert_cmpuint (t->n_objects, ==, 0);
  ps_object_table_free (t);

  /* One object filling the box: touches the border, no inner surface. */
  for (size_t i = 0; i < 9 * 8 * 7; i++)
    l->data[i] = 1;
  l->n_labels = 2;  /* label 2 has no voxel */
  g_assert_cmpint (ps_measure_run (&p, &t, NULL), ==, PS_OK);
  g_assert_cmpuint (t->objects[0].voxels, ==, 9 * 8 * 7);
  g_assert_true (t->objects[0].touches_border);
  g_assert_cmpfloat (t->objects[0].surface_area_nm2, ==, 0.0);
  g_assert_true (isnan (t->objects[0].sphericity));
  g_assert_cmpuint (t->objects[1].voxels, ==, 0);
  ps_object_table_free (t);

  /* Bad spacing. */
  l->spacing[1] = 0;
  g_assert_cmpint (ps_measure_run (&p, &t, NULL), ==, PS_ERROR_INVALID_PARAMETER);
  l->spacing[1] = NAN;
  g_assert_cmpint (ps_measure_run (&p, &t, NULL), ==, PS_ERROR_INVALID_PARAMETER);
  l->spacing[1] = 1;

  /* A one-voxel-thick volume and a single voxel. */
  PsLabels *flat = new_labels (12, 10, 1, 1, 1, 1);
  flat->data[5 * 12 + 5] = 1;
  flat->n_labels = 1;
  p.labels = flat;
  g_assert_cmpint (ps_measure_run (&p, &t, NULL), ==, PS_OK);
  g_assert_cmpuint (t->objects[0].voxels, ==, 1);
  g_assert_true (t->objects[0].touches_border);  /* every voxel lies on a z face */
  ps_object_table_free (t);
  ps_labels_unref (flat);

  /* Cancellation. */
  atomic_int cancel = 1;
  PsProgress prog = { .cancel = &cancel };
  p.labels = l;
  g_assert_cmpint (ps_measure_run (&p, &t, &prog), ==, PS_ERROR_CANCELLED);
  g_assert_null (t);
  ps_labels_unref (l);
}

static void
progress_cb (double f, const char *msg, void *user)
{
  double *last = user;
  g_assert_cmpfloat (f, >=, *last);
  *last = f;
}

static void
test_progress (void)
{
  PsLabels *l = new_labels (30, 30, 30, 1, 1, 1);
  fill_random (l, 5, 10, 20);
  double last = -1;
  PsProgress prog = { .func = progress_cb, .user_data = &last };
  size_t old = _ps_measure_chunk_voxels;
  _ps_measure_chunk_voxels = 1000;
  PsMeasureParams p = { .labels = l, .n_threads = 2 };
  PsObjectTable *t = NULL;
  g_assert_cmpint (ps_measure_run (&p, &t, &prog), ==, PS_OK);
  _ps_measure_chunk_voxels = old;
  g_assert_cmpfloat (last, ==, 1.0);
  ps_object_table_free (t);
  ps_labels_unref (l);
}

/* scikit-image as the peer: regionprops (area, centroid, bbox) must agree
 * exactly; marching cubes on each object's binary mask gives the
 * well-known staircase over-estimate (≈ 1.06–1.09 × ours on balls of radius
 * 4–10 voxels), so we check that ratio, and check that marching cubes on
 * a smooth field (the signed distance to the true sphere) agrees with our
 * area on the digital ball within 2 %. */
static void
test_skimage_peer (void)
{
  const size_t nx = 48, ny = 44, nz = 40;
  PsLabels *l = new_labels (nx, ny, nz, 1, 1, 1);
  const double centres[3][4] = { { 12.2, 12.7, 11.9, 7.0 }, { 33.1, 30.4, 26.6, 9.5 }, { 34.0, 12.0, 12.5, 5.0 } };
  for (int k = 0; k < 3; k++)
    paint_ball (l, centres[k], centres[k][3], (uint32_t) k + 1);
  l->n_labels = 3;
  PsObjectTable *t = measure (l, NULL, NULL, NULL, 2);

  g_autofree char *path = ps_test_tmp_path ("labels.raw");
  g_assert_true (g_file_set_contents (path, (const char *) l->data, (gssize) (nx * ny * nz * 4), NULL));
  const char *code =
    "import sys, numpy as np\n"
    "from skimage.measure import regionprops, marching_cubes, mesh_surface_area\n"
    "lab = np.fromfile(sys.argv[1], dtype=np.uint32).reshape(40, 44, 48)\n"
    "cs = [(12.2,12.7,11.9,7.0),(33.1,30.4,26.6,9.5),(34.0,12.0,12.5,5.0)]\n"
    "for p in regionprops(lab):\n"
    "    m = np.pad(lab == p.label, 2).astype(np.float32)\n"
    "    v, f, _, _ = marching_cubes(m, 0.5)\n"
    "    cx, cy, cz, r = cs[p.label - 1]\n"
    "    z, y, x = np.mgrid[:40, :44, :48] + 0.5\n"
    "    sdf = np.pad(r - np.sqrt((x-cx)**2 + (y-cy)**2 + (z-cz)**2), 2, constant_values=-5)\n"
    "    v2, f2, _, _ = marching_cubes(sdf, 0.0)\n"
    "    c = p.centroid\n"
    "    b = p.bbox\n"
    "    print(p.label, p.area, c[2], c[1], c[0], b[2], b[1], b[0], b[5], b[4], b[3],\n"
    "          mesh_surface_area(v, f), mesh_surface_area(v2, f2))\n";
  g_autofree char *out = NULL, *err = NULL;
  int rc = ps_test_python (&out, &err, code, path, NULL);
  if (rc < 0)
    {
      g_test_skip ("no system Python with scikit-image");
      ps_object_table_free (t);
      ps_labels_unref (l);
      return;
    }
  g_assert_cmpint (rc, ==, 0);
  g_auto(GStrv) lines = g_strsplit (g_strstrip (out), "\n", -1);
  g_assert_cmpuint (g_strv_length (lines), ==, 3);
  for (int k = 0; k < 3; k++)
    {
      double v[13];
      g_auto(GStrv) f = g_strsplit_set (lines[k], " ", -1);
      g_assert_cmpuint (g_strv_length (f), ==, 13);
      for (int i = 0; i < 13; i++)
        v[i] = g_ascii_strtod (f[i], NULL);
      const PsObjectStats *o = &t->objects[(int) v[0] - 1];
      g_assert_cmpuint (o->voxels, ==, (guint64) v[1]);
      for (int a = 0; a < 3; a++)
        {
          /* skimage centroids are voxel indices; ours are centres in nm. */
          g_assert_cmpfloat_with_epsilon (o->centroid_nm[a], v[2 + a] + 0.5, 1e-9);
          g_assert_cmpuint (o->bbox_lo[a], ==, (guint) v[5 + a]);
          g_assert_cmpuint (o->bbox_hi[a], ==, (guint) v[8 + a]);
        }
      double mc_binary = v[11], mc_smooth = v[12], r = centres[(int) v[0] - 1][3];
      g_test_message ("r=%.1f: ours %.2f, analytic %.2f, MC(binary) %.2f (x%.4f), MC(sdf) %.2f (x%.4f)",
                      r, o->surface_area_nm2, 4 * M_PI * r * r, mc_binary, mc_binary / o->surface_area_nm2,
                      mc_smooth, mc_smooth / o->surface_area_nm2);
      g_assert_cmpfloat (mc_binary / o->surface_area_nm2, >, 1.04);
      g_assert_cmpfloat (mc_binary / o->surface_area_nm2, <, 1.11);
      g_assert_cmpfloat (fabs (mc_smooth / o->surface_area_nm2 - 1), <, 0.02);
    }
  ps_object_table_free (t);
  ps_labels_unref (l);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/core/measure/crofton-weights", test_crofton_weights);
  g_test_add_func ("/core/measure/sphere", test_sphere);
  g_test_add_func ("/core/measure/inscribed", test_inscribed);
  g_test_add_func ("/core/measure/brute-force", test_brute);
  g_test_add_func ("/core/measure/threads", test_threads);
  g_test_add_func ("/core/measure/edge-cases", test_edge_cases);
  g_test_add_func ("/core/measure/progress", test_progress);
  g_test_add_func ("/core/measure/skimage-peer", test_skimage_peer);
  return g_test_run ();
}
