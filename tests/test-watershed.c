/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Seeds and watershed: h-maxima against skimage.morphology.h_maxima, the
 * flood against skimage.segmentation.watershed with the same markers,
 * overlapping and touching spheres, seed edits, thread and queue
 * independence. */
#include "config.h"

#include <glib.h>
#include <math.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "ps-edt.h"
#include "ps-seeds.h"
#include "ps-watershed.h"
#include "ps-test-util.h"

typedef struct
{
  double c[3], r;
} Ball;

static uint8_t *
balls_mask (const PsGrid *g, const Ball *balls, size_t n_balls)
{
  uint8_t *m = g_malloc0 (ps_grid_n_voxels (g));
  for (size_t z = 0; z < g->nz; z++)
    for (size_t y = 0; y < g->ny; y++)
      for (size_t x = 0; x < g->nx; x++)
        {
          /* Ball coordinates in nm, voxel centres at (i + ½)·spacing. */
          double p[3] = { (x + 0.5) * g->spacing[0], (y + 0.5) * g->spacing[1], (z + 0.5) * g->spacing[2] };
          for (size_t b = 0; b < n_balls; b++)
            {
              double d2 = 0;
              for (int a = 0; a < 3; a++)
                d2 += (p[a] - balls[b].c[a]) * (p[a] - balls[b].c[a]);
              if (d2 < balls[b].r * balls[b].r)
                {
                  m[(z * g->ny + y) * g->nx + x] = 1;
                  break;
                }
            }
        }
  return m;
}

static Ball *
random_balls (const PsGrid *g, size_t n, double rmin, double rmax, guint64 seed)
{
  Ball *b = g_new (Ball, n);
  PsTestRng r = { seed };
  for (size_t i = 0; i < n; i++)
    {
      b[i].c[0] = ps_test_rng_uniform (&r) * g->nx * g->spacing[0];
      b[i].c[1] = ps_test_rng_uniform (&r) * g->ny * g->spacing[1];
      b[i].c[2] = ps_test_rng_uniform (&r) * g->nz * g->spacing[2];
      b[i].r = rmin + (rmax - rmin) * ps_test_rng_uniform (&r);
    }
  return b;
}

/* A distance map of @m: exact squared (when @squared and the metric allows)
 * or float nm. Owns its buffer. */
typedef struct
{
  PsDistanceMap map;
  void *buf;
} Dist;

static Dist
make_dist (const PsGrid *g, const uint8_t *m, bool squared)
{
  Dist d = { { NULL, NULL, ps_edt_metric (g) }, g_malloc (ps_grid_n_voxels (g) * 4) };
  PsEdtParams p;
  ps_edt_params_init (&p);
  p.n_threads = 2;
  if (squared)
    {
      g_assert_true (d.map.metric.integer);
      g_assert_cmpint (ps_edt_run_squared (&p, g, m, d.buf, NULL), ==, PS_OK);
      d.map.dist2 = d.buf;
    }
  else
    {
      g_assert_cmpint (ps_edt_run (&p, g, m, d.buf, NULL), ==, PS_OK);
      d.map.dist_nm = d.buf;
    }
  return d;
}

static void
seeds_and_labels (const PsGrid *g, const Dist *d, double h, int conn, int threads,
                  PsSeedList *seeds, uint32_t *labels, uint32_t *n_labels)
{
  PsHMaximaParams hp;
  ps_hmaxima_params_init (&hp);
  hp.h_nm = h;
  hp.connectivity = conn;
  hp.n_threads = threads;
  g_assert_cmpint (ps_seeds_hmaxima (&hp, g, &d->map, NULL, labels, seeds, NULL), ==, PS_OK);
  PsWatershedParams wp;
  ps_watershed_params_init (&wp);
  wp.connectivity = conn;
  wp.n_threads = threads;
  g_assert_cmpint (ps_watershed_run (&wp, g, &d->map, NULL, seeds, labels, n_labels, NULL), ==, PS_OK);
}

/* skimage comparison of one volume: h_maxima markers and watershed labels. */
static void
compare_skimage (const PsGrid *g, const Dist *d, double h, int conn, const char *tag)
{
  size_t n = ps_grid_n_voxels (g);
  PsSeedList seeds;
  ps_seed_list_init (&seeds);
  uint32_t *labels = g_malloc (n * 4), nl = 0;
  seeds_and_labels (g, d, h, conn, 2, &seeds, labels, &nl);
  g_assert_cmpuint (seeds.n, >, 1);

  double *dd = g_malloc (n * sizeof (double));
  for (size_t i = 0; i < n; i++)
    dd[i] = ps_distance_map_nm (&d->map, i);
  uint32_t *sd = g_malloc (seeds.n * 2 * 4);
  for (size_t s = 0; s < seeds.n; s++)
    {
      const PsSeed *x = &seeds.items[s];
      sd[2 * s] = (x->z * g->ny + x->y) * g->nx + x->x;
      sd[2 * s + 1] = x->group;
    }
  char *dpath = ps_test_tmp_path ("ws-dist.f64"), *spath = ps_test_tmp_path ("ws-seeds.u32");
  char *lpath = ps_test_tmp_path ("ws-labels.u32");
  g_assert_true (g_file_set_contents (dpath, (const char *) dd, n * 8, NULL));
  g_assert_true (g_file_set_contents (spath, (const char *) sd, seeds.n * 8, NULL));
  g_assert_true (g_file_set_contents (lpath, (const char *) labels, n * 4, NULL));
  char dims[64], hs[32], cs[8];
  g_snprintf (dims, sizeof dims, "%zu,%zu,%zu", g->nz, g->ny, g->nx);
  g_ascii_dtostr (hs, sizeof hs, h);
  g_snprintf (cs, sizeof cs, "%d", conn);
  char *out = NULL, *err = NULL;
  int rc = ps_test_python (&out, &err,
    "import sys, numpy as np\n"
    "from scipy import ndimage as ndi\n"
    "from skimage.morphology import h_maxima\n"
    "from skimage.segmentation import watershed\n"
    "shape = tuple(int(v) for v in sys.argv[4].split(','))\n"
    "d = np.fromfile(sys.argv[1], np.float64).reshape(shape)\n"
    "sd = np.fromfile(sys.argv[2], np.uint32).reshape(-1, 2)\n"
    "ours = np.fromfile(sys.argv[3], np.uint32).reshape(shape)\n"
    "h = float(sys.argv[5]); conn = int(sys.argv[6])\n"
    "st = ndi.generate_binary_structure(3, 1 if conn == 6 else 3)\n"
    "hm = h_maxima(d, h, footprint=st)\n"
    "mk, nmk = ndi.label(hm, structure=st)\n"
    "at = mk.ravel()[sd[:, 0]]\n"
    "inside = int(np.count_nonzero(at))\n"
    "distinct = len(set(at[at > 0].tolist()))\n"
    "markers = np.zeros(shape, np.int32)\n"
    "markers.ravel()[sd[:, 0]] = sd[:, 1]\n"
    "ws = watershed(-d, markers, mask=d > 0, connectivity=1 if conn == 6 else 3)\n"
    "region = d > 0\n"
    "agree = float(np.mean(ws[region] == ours[region]))\n"
    "print(nmk, inside, distinct, len(np.unique(ws[region])), repr(agree))\n",
    dpath, spath, lpath, dims, hs, cs, NULL);
  if (rc < 0)
    g_test_skip ("no /usr/bin/python3 with scikit-image");
  else
    {
      if (rc != 0)
        g_printerr ("%s", err);
      g_assert_cmpint (rc, ==, 0);
      unsigned nmk = 0, inside = 0, distinct = 0, nregions = 0;
      char agree_s[64] = "";
      g_assert_cmpint (sscanf (out, "%u %u %u %u %63s", &nmk, &inside, &distinct, &nregions, agree_s), ==, 5);
      double agree = g_ascii_strtod (agree_s, NULL);
      g_test_message ("%s: h %s conn %d: %zu seeds, skimage %u h-maxima (%u of ours inside, %u distinct); "
                      "%u regions (skimage %u), voxel agreement %.6f",
                      tag, hs, conn, seeds.n, nmk, inside, distinct, nl, nregions, agree);
      /* Same h-maxima: every seed lies on a distinct skimage maximum and
       * every skimage maximum got one seed. */
      g_assert_cmpuint (seeds.n, ==, nmk);
      g_assert_cmpuint (inside, ==, seeds.n);
      g_assert_cmpuint (distinct, ==, seeds.n);
      /* Same regions; voxels differ only on ties. */
      g_assert_cmpuint (nl, ==, nregions);
      g_assert_cmpfloat (agree, >=, 0.995);
    }
  g_free (out);
  g_free (err);
  g_free (dpath);
  g_free (spath);
  g_free (lpath);
  g_free (sd);
  g_free (dd);
  g_free (labels);
  ps_seed_list_clear (&seeds);
}

static void
test_skimage (void)
{
  /* Isotropic, exact squared distances. */
  PsGrid g = ps_grid_make (48, 40, 36, 1.0);
  Ball *b = random_balls (&g, 60, 4.0, 8.0, 11);
  uint8_t *m = balls_mask (&g, b, 60);
  Dist d = make_dist (&g, m, true);
  compare_skimage (&g, &d, 1.5, 26, "iso");
  compare_skimage (&g, &d, 0.75, 6, "iso");
  g_free (d.buf);
  g_free (m);
  g_free (b);

  /* Non-integer anisotropy: float distances and the heap. */
  PsGrid a = { 44, 40, 30, { 0.8, 1.1, 1.3 } };
  b = random_balls (&a, 50, 4.0, 7.0, 12);
  m = balls_mask (&a, b, 50);
  d = make_dist (&a, m, false);
  compare_skimage (&a, &d, 1.3, 26, "aniso");
  g_free (d.buf);
  g_free (m);
  g_free (b);
}

static void
test_threads_and_queues (void)
{
  PsGrid g = ps_grid_make (40, 36, 32, 1.0);
  Ball *b = random_balls (&g, 50, 3.0, 7.0, 21);
  uint8_t *m = balls_mask (&g, b, 50);
  Dist sq = make_dist (&g, m, true), fl = make_dist (&g, m, false);
  size_t n = ps_grid_n_voxels (&g);
  uint32_t *l1 = g_malloc (n * 4), *l2 = g_malloc (n * 4), *l3 = g_malloc (n * 4), n1, n2, n3;
  PsSeedList s1, s2, s3;
  ps_seed_list_init (&s1);
  ps_seed_list_init (&s2);
  ps_seed_list_init (&s3);
  seeds_and_labels (&g, &sq, 1.0, 26, 1, &s1, l1, &n1);
  seeds_and_labels (&g, &sq, 1.0, 26, 3, &s2, l2, &n2);
  /* Float keys (heap) order voxels as squared keys (buckets) do. */
  seeds_and_labels (&g, &fl, 1.0, 26, 2, &s3, l3, &n3);
  g_assert_cmpuint (s1.n, ==, s2.n);
  g_assert_cmpuint (s1.n, ==, s3.n);
  for (size_t i = 0; i < s1.n; i++)
    {
      g_assert_cmpuint (s1.items[i].x, ==, s2.items[i].x);
      g_assert_cmpuint (s1.items[i].y, ==, s2.items[i].y);
      g_assert_cmpuint (s1.items[i].z, ==, s2.items[i].z);
      g_assert_cmpuint (s1.items[i].group, ==, s2.items[i].group);
      g_assert_cmpfloat (s1.items[i].dynamic_nm, ==, s2.items[i].dynamic_nm);
    }
  for (size_t i = 0; i < s1.n; i++)
    {
      g_assert_cmpuint (s1.items[i].x, ==, s3.items[i].x);
      g_assert_cmpuint (s1.items[i].y, ==, s3.items[i].y);
      g_assert_cmpuint (s1.items[i].z, ==, s3.items[i].z);
    }
  g_assert_cmpuint (n1, ==, n2);
  g_assert_cmpmem (l1, n * 4, l2, n * 4);
  g_assert_cmpmem (l1, n * 4, l3, n * 4);
  ps_seed_list_clear (&s1);
  ps_seed_list_clear (&s2);
  ps_seed_list_clear (&s3);
  g_free (l1);
  g_free (l2);
  g_free (l3);
  g_free (sq.buf);
  g_free (fl.buf);
  g_free (m);
  g_free (b);
}

/* ---- the flood's definition, written plainly ---------------------------- */

/* One FIFO per key (the squared distance), always the highest non-empty
 * key first, a voxel labelled by the first popped neighbour (neighbours in
 * the order faces, edges, corners, raster order within each), seeds pushed
 * in voxel order (the first in list order wins a voxel); groups → labels
 * 1 … G in group order, then one label per seedless component in raster
 * order of its first voxel. Nothing of ps-watershed.c's queue, components
 * or frontier bitmap: a reference for its exact output. */
typedef struct
{
  size_t *v;
  size_t len, rd, cap;
} Fifo;

static void
fifo_push (Fifo *f, size_t i)
{
  if (f->len == f->cap)
    {
      f->cap = f->cap ? 2 * f->cap : 16;
      f->v = g_renew (size_t, f->v, f->cap);
    }
  f->v[f->len++] = i;
}

static int
cmp_u32 (const void *a, const void *b)
{
  uint32_t x = *(const uint32_t *) a, y = *(const uint32_t *) b;
  return x < y ? -1 : x > y;
}

static int
cmp_size_pair (const void *a, const void *b)
{
  const size_t *x = a, *y = b;
  if (x[0] != y[0])
    return x[0] < y[0] ? -1 : 1;
  return x[1] < y[1] ? -1 : x[1] > y[1];
}

static uint32_t
reference_flood (const PsGrid *g, const uint32_t *d2, int conn, const PsSeedList *seeds, uint32_t *lab)
{
  const size_t nx = g->nx, ny = g->ny, nz = g->nz, n = ps_grid_n_voxels (g);
  int off[26][3], nn = 0, maxl1 = conn == 6 ? 1 : conn == 18 ? 2 : 3;
  for (int l1 = 1; l1 <= maxl1; l1++)
    for (int dz = -1; dz <= 1; dz++)
      for (int dy = -1; dy <= 1; dy++)
        for (int dx = -1; dx <= 1; dx++)
          if (abs (dx) + abs (dy) + abs (dz) == l1)
            {
              off[nn][0] = dx;
              off[nn][1] = dy;
              off[nn][2] = dz;
              nn++;
            }
  uint32_t mk = 0;
  for (size_t i = 0; i < n; i++)
    if (d2[i] != PS_EDT_INFINITE && d2[i] > mk)
      mk = d2[i];
#define KEY(i) (d2[i] == PS_EDT_INFINITE ? mk + 1 : d2[i])
  /* groups present in the region → 1 … G */
  uint32_t *groups = g_new (uint32_t, seeds->n + 1), ng = 0;
  size_t (*order)[2] = g_malloc ((seeds->n + 1) * sizeof *order), no = 0;
  for (size_t s = 0; s < seeds->n; s++)
    {
      const PsSeed *sd = &seeds->items[s];
      if (sd->group == 0 || sd->x >= nx || sd->y >= ny || sd->z >= nz)
        continue;
      size_t i = (sd->z * ny + sd->y) * nx + sd->x;
      if (d2[i] == 0)
        continue;
      groups[ng++] = sd->group;
      order[no][0] = i;
      order[no][1] = s;
      no++;
    }
  qsort (groups, ng, sizeof *groups, cmp_u32);
  uint32_t G = 0;
  for (uint32_t k = 0; k < ng; k++)
    if (G == 0 || groups[G - 1] != groups[k])
      groups[G++] = groups[k];
  qsort (order, no, sizeof *order, cmp_size_pair);
  Fifo *q = g_new0 (Fifo, mk + 2);
  uint32_t cur = 0;
  size_t count = 0;
  memset (lab, 0, n * 4);
  for (size_t k = 0; k < no; k++)
    {
      size_t i = order[k][0];
      if (lab[i] != 0)
        continue;
      uint32_t gr = seeds->items[order[k][1]].group, l = 0;
      while (groups[l] != gr)
        l++;
      lab[i] = l + 1;
      fifo_push (&q[KEY (i)], i);
      cur = MAX (cur, KEY (i));
      count++;
    }
  while (count > 0)
    {
      while (q[cur].rd == q[cur].len)
        cur--;
      size_t p = q[cur].v[q[cur].rd++];
      count--;
      size_t x = p % nx, y = (p / nx) % ny, z = p / (nx * ny);
      for (int k = 0; k < nn; k++)
        {
          long xx = (long) x + off[k][0], yy = (long) y + off[k][1], zz = (long) z + off[k][2];
          if (xx < 0 || yy < 0 || zz < 0 || xx >= (long) nx || yy >= (long) ny || zz >= (long) nz)
            continue;
          size_t r = ((size_t) zz * ny + (size_t) yy) * nx + (size_t) xx;
          if (d2[r] == 0 || lab[r] != 0)
            continue;
          lab[r] = lab[p];
          fifo_push (&q[KEY (r)], r);
          cur = MAX (cur, KEY (r));
          count++;
        }
    }
  /* seedless components */
  uint32_t next = G;
  size_t *stack = g_new (size_t, n);
  for (size_t i0 = 0; i0 < n; i0++)
    {
      if (d2[i0] == 0 || lab[i0] != 0)
        continue;
      size_t sp = 0;
      lab[i0] = ++next;
      stack[sp++] = i0;
      while (sp > 0)
        {
          size_t p = stack[--sp], x = p % nx, y = (p / nx) % ny, z = p / (nx * ny);
          for (int k = 0; k < nn; k++)
            {
              long xx = (long) x + off[k][0], yy = (long) y + off[k][1], zz = (long) z + off[k][2];
              if (xx < 0 || yy < 0 || zz < 0 || xx >= (long) nx || yy >= (long) ny || zz >= (long) nz)
                continue;
              size_t r = ((size_t) zz * ny + (size_t) yy) * nx + (size_t) xx;
              if (d2[r] != 0 && lab[r] == 0)
                {
                  lab[r] = next;
                  stack[sp++] = r;
                }
            }
        }
    }
#undef KEY
  for (uint32_t k = 0; k < mk + 2; k++)
    g_free (q[k].v);
  g_free (q);
  g_free (stack);
  g_free (groups);
  g_free (order);
  return next;
}

/* Odd sizes (rows that cross 64-bit words, a row of 130), every
 * connectivity, 1 and 3 threads, h-maxima seeds plus manual ones: off the
 * maxima, two on one voxel, two of one group, one outside the region, and
 * a seedless component (a ball far from any seed whose seeds were removed). */
static void
test_fifo_reference (void)
{
  const size_t dims[2][3] = { { 67, 45, 33 }, { 130, 9, 11 } };
  for (int v = 0; v < 2; v++)
    {
      PsGrid g = ps_grid_make (dims[v][0], dims[v][1], dims[v][2], 1.0);
      size_t n = ps_grid_n_voxels (&g);
      Ball *b = random_balls (&g, 40, 2.0, 6.0, 5 + v);
      uint8_t *m = balls_mask (&g, b, 40);
      Dist sq = make_dist (&g, m, true);
      const uint32_t *d2 = sq.map.dist2;
      uint32_t *ref = g_malloc (n * 4), *got = g_malloc (n * 4);
      for (int ci = 0; ci < 3; ci++)
        {
          const int conn = ci == 0 ? 6 : ci == 1 ? 18 : 26;
          PsSeedList seeds;
          ps_seed_list_init (&seeds);
          PsHMaximaParams hp;
          ps_hmaxima_params_init (&hp);
          hp.h_nm = 0.5;
          hp.connectivity = conn;
          g_assert_cmpint (ps_seeds_hmaxima (&hp, &g, &sq.map, NULL, got, &seeds, NULL), ==, PS_OK);
          g_assert_cmpuint (seeds.n, >, 3);
          /* drop the last seed: its component may now be seedless */
          seeds.n--;
          PsTestRng r = { 77 + (guint64) ci };
          uint32_t gnext = ps_seed_list_next_group (&seeds);
          for (int k = 0; k < 12; k++)
            {
              PsSeed sd = { 0 };
              sd.x = (uint32_t) (ps_test_rng_uniform (&r) * g.nx);
              sd.y = (uint32_t) (ps_test_rng_uniform (&r) * g.ny);
              sd.z = (uint32_t) (ps_test_rng_uniform (&r) * g.nz);
              sd.group = k % 4 == 3 ? gnext - 1 : gnext++;   /* some join an existing group */
              g_assert_cmpint (ps_seed_list_append (&seeds, &sd), ==, PS_OK);
            }
          PsSeed dup = seeds.items[0];
          dup.group = gnext++;                               /* a second seed on seed 0's voxel */
          g_assert_cmpint (ps_seed_list_append (&seeds, &dup), ==, PS_OK);
          uint32_t nref = reference_flood (&g, d2, conn, &seeds, ref);
          for (int threads = 1; threads <= 3; threads += 2)
            {
              PsWatershedParams wp;
              ps_watershed_params_init (&wp);
              wp.connectivity = conn;
              wp.n_threads = threads;
              uint32_t nl = 0;
              g_assert_cmpint (ps_watershed_run (&wp, &g, &sq.map, NULL, &seeds, got, &nl, NULL), ==, PS_OK);
              g_assert_cmpuint (nl, ==, nref);
              g_assert_cmpmem (got, n * 4, ref, n * 4);
            }
          ps_seed_list_clear (&seeds);
        }
      g_free (ref);
      g_free (got);
      g_free (sq.buf);
      g_free (m);
      g_free (b);
    }
}

/* Objects of a label volume that hold at least @min voxels. */
static uint32_t
count_objects (const uint32_t *l, size_t n, uint32_t n_labels, size_t min)
{
  size_t *c = g_new0 (size_t, n_labels + 1);
  for (size_t i = 0; i < n; i++)
    c[l[i]]++;
  uint32_t k = 0;
  for (uint32_t i = 1; i <= n_labels; i++)
    k += c[i] >= min;
  g_free (c);
  return k;
}

static void
test_spheres (void)
{
  /* Two overlapping spheres (r 10 voxels, centres 14 apart): two objects,
   * split at the neck, with the default h. */
  PsGrid g = ps_grid_make (48, 30, 30, 1.0);
  Ball two[2] = { { { 16, 15, 15 }, 10 }, { { 30, 15, 15 }, 10 } };
  uint8_t *m = balls_mask (&g, two, 2);
  Dist d = make_dist (&g, m, true);
  size_t n = ps_grid_n_voxels (&g);
  uint32_t *l = g_malloc (n * 4), nl;
  PsSeedList s;
  ps_seed_list_init (&s);
  seeds_and_labels (&g, &d, ps_hmaxima_default_h_nm (&g), 26, 2, &s, l, &nl);
  g_assert_cmpuint (nl, ==, 2);
  g_assert_cmpuint (l[(15 * 30 + 15) * 48 + 16], !=, l[(15 * 30 + 15) * 48 + 30]);
  /* The split is at the neck (x between 22 and 24 on the axis). */
  g_assert_cmpuint (l[(15 * 30 + 15) * 48 + 21], ==, l[(15 * 30 + 15) * 48 + 16]);
  g_assert_cmpuint (l[(15 * 30 + 15) * 48 + 25], ==, l[(15 * 30 + 15) * 48 + 30]);

  /* Merge the two objects through the API the GUI uses; then remove a seed
   * and add one back. */
  double pa[3] = { 16.5, 15.5, 15.5 }, pb[3] = { 30.5, 15.5, 15.5 };
  g_assert_cmpint (ps_seed_list_merge_at (&s, &g, l, pa, pb), ==, PS_OK);
  PsWatershedParams wp;
  ps_watershed_params_init (&wp);
  g_assert_cmpint (ps_watershed_run (&wp, &g, &d.map, NULL, &s, l, &nl, NULL), ==, PS_OK);
  g_assert_cmpuint (nl, ==, 1);
  /* Remove every seed: the unseeded component still gets one label, or
   * none when label_unseeded is off. */
  while (s.n > 0)
    ps_seed_list_remove_index (&s, 0);
  g_assert_cmpint (ps_watershed_run (&wp, &g, &d.map, NULL, &s, l, &nl, NULL), ==, PS_OK);
  g_assert_cmpuint (nl, ==, 1);
  g_assert_cmpuint (l[(15 * 30 + 15) * 48 + 16], ==, 1);
  wp.label_unseeded = false;
  g_assert_cmpint (ps_watershed_run (&wp, &g, &d.map, NULL, &s, l, &nl, NULL), ==, PS_OK);
  g_assert_cmpuint (nl, ==, 0);
  g_assert_cmpuint (l[(15 * 30 + 15) * 48 + 16], ==, 0);
  /* Two manual seeds split it again. */
  g_assert_cmpint (ps_seed_list_add_nm (&s, &g, pa, &d.map, NULL), ==, PS_OK);
  g_assert_cmpint (ps_seed_list_add_nm (&s, &g, pb, &d.map, NULL), ==, PS_OK);
  g_assert_cmpuint (s.items[1].group, ==, 2);
  g_assert_cmpfloat (s.items[0].dist_nm, >, 9.0);
  g_assert_cmpint (ps_watershed_run (&wp, &g, &d.map, NULL, &s, l, &nl, NULL), ==, PS_OK);
  g_assert_cmpuint (nl, ==, 2);
  g_assert_true (ps_seed_list_remove_nm (&s, &g, pb, 2.0));
  g_assert_false (ps_seed_list_remove_nm (&s, &g, pb, 2.0));
  g_assert_cmpuint (s.n, ==, 1);
  ps_seed_list_clear (&s);
  g_free (l);
  g_free (d.buf);
  g_free (m);

  /* Chains of N touching spheres (r 6, centres 11 apart, anisotropic
   * voxels too): N objects each. */
  for (int N = 2; N <= 6; N += 2)
    for (int aniso = 0; aniso < 2; aniso++)
      {
        PsGrid c = { (size_t) (11 * N + 14), 18, aniso ? 9 : 18, { 1, 1, aniso ? 2.0 : 1.0 } };
        Ball *chain = g_new (Ball, N);
        for (int k = 0; k < N; k++)
          chain[k] = (Ball) { { 12.0 + 11.0 * k, 9, 9 }, 6.0 };
        m = balls_mask (&c, chain, N);
        d = make_dist (&c, m, true);
        n = ps_grid_n_voxels (&c);
        l = g_malloc (n * 4);
        ps_seed_list_init (&s);
        seeds_and_labels (&c, &d, ps_hmaxima_default_h_nm (&c), 26, 2, &s, l, &nl);
        g_test_message ("chain of %d (spacing z %g): %u objects, %zu seeds", N, c.spacing[2], nl, s.n);
        g_assert_cmpuint (nl, ==, (uint32_t) N);
        g_assert_cmpuint (count_objects (l, n, nl, 100), ==, (uint32_t) N);
        ps_seed_list_clear (&s);
        g_free (l);
        g_free (d.buf);
        g_free (m);
        g_free (chain);
      }
}

static void
test_hmaxima_rules (void)
{
  /* A 1D-like ridge: f = distance profile with two maxima of dynamic 2 and
   * one of dynamic 0.5, built directly as a float map. */
  PsGrid g = ps_grid_make (11, 1, 1, 1.0);
  float f[11] = { 1, 2, 3, 2.5, 3, 2, 1, 2, 4, 3, 1 };
  PsDistanceMap map = { NULL, f, { 0 } };
  PsHMaximaParams hp;
  ps_hmaxima_params_init (&hp);
  PsSeedList s;
  ps_seed_list_init (&s);
  uint32_t scratch[11];
  /* h = 0: every regional maximum: x = 2, 4, 8. */
  hp.h_nm = 0.0;
  g_assert_cmpint (ps_seeds_hmaxima (&hp, &g, &map, NULL, scratch, &s, NULL), ==, PS_OK);
  g_assert_cmpuint (s.n, ==, 3);
  g_assert_cmpuint (s.items[0].x, ==, 2);
  g_assert_cmpuint (s.items[1].x, ==, 4);
  g_assert_cmpuint (s.items[2].x, ==, 8);
  /* The equal peaks at x = 2 and 4 meet at 2.5 and stay undecided together
   * until they meet the higher peak 4 at level 1: dynamic 2 each. */
  g_assert_cmpfloat (s.items[0].dynamic_nm, ==, 2.0f);
  g_assert_cmpfloat (s.items[1].dynamic_nm, ==, 2.0f);
  g_assert_true (isinf (s.items[2].dynamic_nm));
  hp.h_nm = 2.0;   /* dynamic ≥ h survives */
  g_assert_cmpint (ps_seeds_hmaxima (&hp, &g, &map, NULL, scratch, &s, NULL), ==, PS_OK);
  g_assert_cmpuint (s.n, ==, 3);
  hp.h_nm = 2.01;
  g_assert_cmpint (ps_seeds_hmaxima (&hp, &g, &map, NULL, scratch, &s, NULL), ==, PS_OK);
  g_assert_cmpuint (s.n, ==, 1);
  g_assert_cmpuint (s.items[0].x, ==, 8);
  g_assert_cmpuint (s.items[0].group, ==, 1);
  /* h larger than every peak: the top of each component survives — both
   * equal tops (x = 2, 4) of the first, x = 8 of the second. */
  hp.h_nm = 100.0;
  f[6] = 0;  /* two components now */
  g_assert_cmpint (ps_seeds_hmaxima (&hp, &g, &map, NULL, scratch, &s, NULL), ==, PS_OK);
  g_assert_cmpuint (s.n, ==, 3);
  f[4] = 2.9f;
  g_assert_cmpint (ps_seeds_hmaxima (&hp, &g, &map, NULL, scratch, &s, NULL), ==, PS_OK);
  g_assert_cmpuint (s.n, ==, 2);
  g_assert_cmpuint (s.items[0].x, ==, 2);
  g_assert_cmpuint (s.items[1].x, ==, 8);
  /* Bad parameters. */
  hp.h_nm = NAN;
  g_assert_cmpint (ps_seeds_hmaxima (&hp, &g, &map, NULL, scratch, &s, NULL), ==, PS_ERROR_INVALID_PARAMETER);
  hp.h_nm = 1;
  hp.connectivity = 4;
  g_assert_cmpint (ps_seeds_hmaxima (&hp, &g, &map, NULL, scratch, &s, NULL), ==, PS_ERROR_INVALID_PARAMETER);
  ps_seed_list_clear (&s);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/core/seeds/rules", test_hmaxima_rules);
  g_test_add_func ("/core/watershed/spheres", test_spheres);
  g_test_add_func ("/core/watershed/threads-queues", test_threads_and_queues);
  g_test_add_func ("/core/watershed/fifo-reference", test_fifo_reference);
  g_test_add_func ("/core/watershed/skimage", test_skimage);
  return g_test_run ();
}
