/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The analysis pipeline (ps_analysis_run) on volumes whose answer is known:
 * painted spheres (porosity by counting, closed/open by construction, sizes
 * analytic), sealed and drilled hollow spheres (closed vs open, also seen
 * through a subvolume), seed edits, stage reuse (resumed results equal fresh
 * ones and only the invalidated stages run), thread independence, and the
 * PuMA FiberForm micro-CT stack (published porosity 0.83286 at threshold 90). */
#include "config.h"

#include <glib.h>
#include <math.h>
#include <string.h>

#include "ps-analysis.h"
#include "ps-core-glib.h"
#include "ps-test-util.h"
#include "ps-volume-io.h"

#define CARBON 200.0f
#define PORE 50.0f

static PsVolume *
new_volume (size_t n, double s, float fill)
{
  PsStatus st;
  PsVolume *v = ps_volume_new (n, n, n, &st);
  g_assert_nonnull (v);
  ps_volume_set_spacing (v, s, s, s);
  for (size_t i = 0; i < n * n * n; i++)
    v->data[i] = fill;
  return v;
}

/* Voxels whose centre is within @r voxels of @c (voxel units) get @value. */
static void
paint_ball (PsVolume *v, double cx, double cy, double cz, double r, float value)
{
  for (size_t z = 0; z < v->nz; z++)
    for (size_t y = 0; y < v->ny; y++)
      for (size_t x = 0; x < v->nx; x++)
        {
          double dx = x + 0.5 - cx, dy = y + 0.5 - cy, dz = z + 0.5 - cz;
          if (dx * dx + dy * dy + dz * dz <= r * r)
            v->data[ps_volume_index (v, x, y, z)] = value;
        }
}

/* A cylinder along x from x0 to x1 (voxel units) of radius r at (cy, cz). */
static void
paint_rod_x (PsVolume *v, double x0, double x1, double cy, double cz, double r, float value)
{
  for (size_t z = 0; z < v->nz; z++)
    for (size_t y = 0; y < v->ny; y++)
      for (size_t x = 0; x < v->nx; x++)
        {
          double dy = y + 0.5 - cy, dz = z + 0.5 - cz;
          if (x + 0.5 >= x0 && x + 0.5 <= x1 && dy * dy + dz * dz <= r * r)
            v->data[ps_volume_index (v, x, y, z)] = value;
        }
}

static PsAnalysisResult *
run (const PsAnalysisParams *p, const PsVolume *v, const PsAnalysisResult *prev)
{
  PsAnalysisResult *r = NULL;
  char why[256] = "";
  g_assert_cmpint (ps_analysis_validate (p, v, why, sizeof why), ==, PS_OK);
  g_assert_cmpint (ps_analysis_run (p, v, prev, &r, NULL), ==, PS_OK);
  g_assert_nonnull (r);
  return r;
}

static void
base_params (PsAnalysisParams *p)
{
  ps_analysis_params_init (p);
  p->smooth = PS_SMOOTH_NONE;
  p->threshold_auto = false;
  p->threshold = 125;
  p->h_nm = 0.5;
  p->local_thickness = false;  /* slow on the big carbon matrix; tested on its own */
  p->n_threads = 2;
}

/* Label (pores) at voxel (x, y, z) of the subvolume. */
static uint32_t
pore_label (const PsAnalysisResult *r, size_t x, size_t y, size_t z)
{
  const PsLabels *l = r->pores.labels;
  return l->data[(z * l->ny + y) * l->nx + x];
}

/* 64³ at 0.5 nm: an isolated sphere A, two overlapping spheres B + C, and a
 * sphere D drilled to the +x face. */
static PsVolume *
make_spheres (void)
{
  PsVolume *v = new_volume (64, 0.5, CARBON);
  paint_ball (v, 16, 16, 16, 6, PORE);        /* A */
  paint_ball (v, 38, 20, 40, 6, PORE);        /* B */
  paint_ball (v, 48, 20, 40, 5.5, PORE);      /* C: 10 from B; neck radius 2.84 */
  paint_ball (v, 16, 46, 46, 5, PORE);        /* D */
  paint_rod_x (v, 16, 64, 46, 46, 1.6, PORE); /* D's channel to the x = 63 face */
  return v;
}

static void
test_spheres (void)
{
  g_autoptr(PsVolume) v = make_spheres ();
  PsAnalysisParams p;
  base_params (&p);
  PsAnalysisResult *r = run (&p, v, NULL);

  /* Porosity by counting. */
  size_t n = 64 * 64 * 64, n_pore = 0;
  for (size_t i = 0; i < n; i++)
    n_pore += v->data[i] < 125;
  g_assert_cmpuint (r->n_voxels, ==, n);
  g_assert_cmpuint (r->n_pore_voxels, ==, n_pore);
  g_assert_cmpfloat (r->porosity, ==, (double) n_pore / n);
  g_assert_cmpfloat (r->threshold, ==, 125);

  /* Four pores; D (with its channel) is the only open one. */
  g_assert_cmpuint (r->pores.count, ==, 4);
  uint32_t la = pore_label (r, 16, 16, 16), lb = pore_label (r, 36, 20, 40), lc = pore_label (r, 50, 20, 40),
           ld = pore_label (r, 16, 46, 46);
  g_assert_cmpuint (la * lb * lc * ld, !=, 0);
  g_assert_cmpuint (lb, !=, lc);
  g_assert_cmpuint (pore_label (r, 60, 46, 46), ==, ld);
  const PsObjectStats *oa = &r->pores.objects->objects[la - 1];
  const PsObjectStats *od = &r->pores.objects->objects[ld - 1];
  g_assert_false (oa->open);
  g_assert_false (r->pores.objects->objects[lb - 1].open);
  g_assert_false (r->pores.objects->objects[lc - 1].open);
  g_assert_true (od->open);
  g_assert_true (od->touches_border);
  g_assert_false (oa->touches_border);
  g_assert_cmpfloat (r->open_porosity, ==, (double) od->voxels / n);
  g_assert_cmpfloat_with_epsilon (r->closed_porosity, r->porosity - r->open_porosity, 1e-15);

  /* A: analytic sphere of radius 3 nm. */
  double rr = 3.0;
  g_assert_cmpfloat (fabs (oa->volume_nm3 / (4.0 / 3.0 * M_PI * rr * rr * rr) - 1), <, 0.03);
  g_assert_cmpfloat (fabs (oa->equivalent_diameter_nm / (2 * rr) - 1), <, 0.01);
  g_assert_cmpfloat (fabs (oa->surface_area_nm2 / (4 * M_PI * rr * rr) - 1), <, 0.03);
  for (int a = 0; a < 3; a++)
    g_assert_cmpfloat (fabs (oa->centroid_nm[a] - 8.0), <, 0.01);
  g_assert_cmpfloat (oa->mean_intensity, ==, PORE);
  /* inscribed: 2 × (distance from the centre voxel to the first carbon voxel centre) */
  g_assert_cmpfloat (fabs (oa->inscribed_diameter_nm - 2 * rr), <=, 2 * 0.5);

  /* One throat, between B and C. */
  g_assert_nonnull (r->network);
  g_assert_cmpuint (r->network->n_throats, ==, 1);
  const PsThroat *t = &r->network->throats[0];
  g_assert_cmpuint (t->label_a, ==, MIN (lb, lc));
  g_assert_cmpuint (t->label_b, ==, MAX (lb, lc));
  g_assert_cmpfloat (fabs (t->length_nm - 5.0), <, 0.5);
  /* The neck: where the spheres' surfaces meet, x = 5.2875 voxels from B's
   * centre, radius √(36 − 5.2875²) = 2.836 voxels. */
  g_assert_cmpfloat (fabs (t->inscribed_diameter_nm - 2 * sqrt (36 - 5.2875 * 5.2875) * 0.5), <, 2 * 0.5);

  /* Summary numbers agree with the table. */
  double sum = 0;
  for (size_t i = 0; i < r->pores.objects->n_objects; i++)
    sum += r->pores.objects->objects[i].equivalent_diameter_nm;
  g_assert_cmpfloat_with_epsilon (r->pores.eqdiam_mean_nm, sum / 4, 1e-12);
  g_assert_cmpuint (r->pores.count_interior, ==, 3);
  /* Histograms: 4 pores counted, volume fractions sum to 1. */
  guint64 cnt = 0;
  double vf = 0;
  for (size_t b = 0; b < r->n_bins; b++)
    {
      cnt += r->pores.histogram.objects[b];
      vf += r->pores.histogram.object_volume_fraction[b];
    }
  g_assert_cmpuint (cnt, ==, 4);
  g_assert_cmpfloat_with_epsilon (vf, 1.0, 1e-12);
  g_assert_null (r->pores.histogram.thickness_volume_fraction);
  /* Porosity sweep: monotone, and the porosity at any threshold between the
   * two grey levels is the painted fraction. */
  for (size_t i = 1; i < r->sweep_n; i++)
    g_assert_cmpfloat (r->sweep_porosity[i], >=, r->sweep_porosity[i - 1]);
  ps_analysis_result_free (r);
}

/* Local thickness on a small volume: a pore ball of radius 5 voxels in a
 * thin carbon box: every pore voxel's thickness is the ball's inscribed
 * diameter, so the pore thickness histogram has one bin; both phases share
 * the bins; resuming with thickness switched off and on again reuses it. */
static void
test_thickness (void)
{
  g_autoptr(PsVolume) v = new_volume (16, 1.0, CARBON);
  paint_ball (v, 8, 8, 8, 5, PORE);
  PsAnalysisParams p;
  base_params (&p);
  p.local_thickness = true;
  p.histogram_bin_nm = 1.0;
  PsAnalysisResult *r = run (&p, v, NULL);
  g_assert_nonnull (r->pores.thickness_nm);
  g_assert_nonnull (r->carbon.thickness_nm);
  double tmax = 0;
  for (size_t i = 0; i < 16 * 16 * 16; i++)
    {
      if (r->pore_mask[i])
        {
          g_assert_cmpfloat (r->carbon.thickness_nm[i], ==, 0);
          tmax = fmax (tmax, r->pores.thickness_nm[i]);
        }
      else
        g_assert_cmpfloat (r->pores.thickness_nm[i], ==, 0);
    }
  /* thickness is stored as float */
  g_assert_cmpfloat_with_epsilon (tmax, r->pores.objects->objects[0].inscribed_diameter_nm, 1e-5);
  double tf = 0, tc = 0;
  size_t b_max = (size_t) floor (tmax / r->bin_width_nm);
  for (size_t b = 0; b < r->n_bins; b++)
    {
      tf += r->pores.histogram.thickness_volume_fraction[b];
      tc += r->carbon.histogram.thickness_volume_fraction[b];
    }
  g_assert_cmpfloat_with_epsilon (tf, 1.0, 1e-12);
  g_assert_cmpfloat_with_epsilon (tc, 1.0, 1e-12);
  /* most of the ball is covered by the central ball */
  g_assert_cmpfloat (r->pores.histogram.thickness_volume_fraction[b_max], >, 0.5);
  g_assert_cmpfloat (r->bin_width_nm, ==, 1.0);
  PsAnalysisResult *r2 = run (&p, v, r);
  g_assert_cmpuint (r2->stages_run, ==, 0);
  g_assert_true (r2->pores.thickness_nm == r->pores.thickness_nm);
  ps_analysis_result_free (r);
  ps_analysis_result_free (r2);
}

static void
test_otsu_and_smoothing (void)
{
  g_autoptr(PsVolume) v = make_spheres ();
  PsAnalysisParams p;
  base_params (&p);
  p.threshold_auto = true;
  p.smooth = PS_SMOOTH_GAUSSIAN;
  p.smooth_sigma_nm = 0.5;
  PsAnalysisResult *r = run (&p, v, NULL);
  g_assert_cmpfloat (r->threshold, >, PORE);
  g_assert_cmpfloat (r->threshold, <, CARBON);
  g_assert_cmpfloat (r->otsu_threshold, ==, r->threshold);
  g_assert_cmpuint (r->pores.count, ==, 4);
  /* A blur of one voxel moves the surface of these small spheres inwards
   * (by ~σ²/R) and Otsu need not sit midway: porosity within 10 %. */
  size_t n_pore = 0;
  for (size_t i = 0; i < 64 * 64 * 64; i++)
    n_pore += v->data[i] < 125;
  g_assert_cmpfloat (fabs (r->porosity / (n_pore / 262144.0) - 1), <, 0.1);

  /* A subvolume's smoothed values equal the full volume's smoothed values
   * there (the margin makes cropping commute with smoothing). */
  PsAnalysisParams q = p;
  q.subvolume = (PsBox) { 10, 12, 14, 30, 28, 26 };
  PsAnalysisResult *rs = run (&q, v, NULL);
  for (size_t z = 0; z < 26; z++)
    for (size_t y = 0; y < 28; y++)
      for (size_t x = 0; x < 30; x++)
        g_assert_cmpfloat (rs->smoothed->data[(z * 28 + y) * 30 + x], ==,
                           r->smoothed->data[ps_volume_index (r->smoothed, x + 10, y + 12, z + 14)]);
  ps_analysis_result_free (rs);
  p.smooth = PS_SMOOTH_MEDIAN;
  PsAnalysisResult *rm = run (&p, v, NULL);
  g_assert_cmpuint (rm->pores.count, ==, 4);
  ps_analysis_result_free (rm);
  ps_analysis_result_free (r);
}

/* A carbon shell (inner radius 10, outer 13 voxels) in a pore-filled box:
 * its inside is a closed pore; drilled, it is open — also when only a box
 * inside the shell is analysed, so the channel is outside the subvolume. */
static void
test_hollow_sphere (void)
{
  for (int drilled = 0; drilled <= 1; drilled++)
    {
      g_autoptr(PsVolume) v = new_volume (40, 1.0, PORE);
      paint_ball (v, 20, 20, 20, 13, CARBON);
      paint_ball (v, 20, 20, 20, 10, PORE);
      if (drilled)
        paint_rod_x (v, 20, 40, 20, 20, 1.5, PORE);
      PsAnalysisParams p;
      base_params (&p);
      p.h_nm = 2;
      PsAnalysisResult *r = run (&p, v, NULL);
      uint32_t in = pore_label (r, 20, 20, 20), out = pore_label (r, 1, 1, 1);
      g_assert_cmpuint (in, !=, 0);
      g_assert_cmpuint (out, !=, 0);
      g_assert_cmpint (r->pores.objects->objects[in - 1].open, ==, drilled);
      g_assert_true (r->pores.objects->objects[out - 1].open);
      /* closed porosity = the sealed cavity (or nothing) */
      size_t cavity = 0;
      for (size_t i = 0; i < 40 * 40 * 40; i++)
        cavity += r->pore_mask[i] && !r->exterior[i];
      g_assert_cmpuint (cavity, ==, drilled ? 0 : r->pores.objects->objects[in - 1].voxels);
      ps_analysis_result_free (r);

      /* Inside the shell only: the channel leaves the box but still opens it. */
      p.subvolume = (PsBox) { 14, 14, 14, 12, 12, 12 };
      PsAnalysisResult *rs = run (&p, v, NULL);
      g_assert_cmpuint (rs->pores.count, ==, 1);
      g_assert_cmpint (rs->pores.objects->objects[0].open, ==, drilled);
      g_assert_true (rs->pores.objects->objects[0].touches_border);
      g_assert_cmpfloat (rs->porosity, ==, 1.0);
      g_assert_cmpfloat (rs->open_porosity, ==, drilled ? 1.0 : 0.0);
      g_assert_cmpfloat (rs->closed_porosity, ==, drilled ? 0.0 : 1.0);
      /* nm extent reported back */
      g_assert_cmpfloat (rs->origin_nm[0], ==, 14.0);
      g_assert_cmpfloat (rs->size_nm[2], ==, 12.0);
      /* centroids in the full volume's frame */
      g_assert_cmpfloat (fabs (rs->pores.objects->objects[0].centroid_nm[0] - 20.0), <, 1e-9);
      ps_analysis_result_free (rs);
    }
}

static gboolean
results_equal (const PsAnalysisResult *a, const PsAnalysisResult *b)
{
  const PsAnalysisPhase *pa[2] = { &a->pores, &a->carbon }, *pb[2] = { &b->pores, &b->carbon };
  for (int k = 0; k < 2; k++)
    {
      const PsLabels *la = pa[k]->labels, *lb = pb[k]->labels;
      if (la->n_labels != lb->n_labels || memcmp (la->data, lb->data, la->nx * la->ny * la->nz * 4) != 0)
        return FALSE;
      if (pa[k]->objects->n_objects != pb[k]->objects->n_objects ||
          memcmp (pa[k]->objects->objects, pb[k]->objects->objects,
                  pa[k]->objects->n_objects * sizeof (PsObjectStats)) != 0)
        return FALSE;
    }
  if (a->network->n_throats != b->network->n_throats ||
      memcmp (a->network->throats, b->network->throats, a->network->n_throats * sizeof (PsThroat)) != 0)
    return FALSE;
  return a->porosity == b->porosity && a->open_porosity == b->open_porosity && a->n_bins == b->n_bins;
}

static void
test_resume (void)
{
  g_autoptr(PsVolume) v = make_spheres ();
  PsAnalysisParams p;
  base_params (&p);
  p.smooth = PS_SMOOTH_GAUSSIAN;
  p.smooth_sigma_nm = 0.5;
  PsAnalysisResult *r0 = run (&p, v, NULL);
  g_assert_cmpuint (r0->stages_run, ==, 0xff & ~PS_ANALYSIS_STAGE_THICKNESS);

  /* Same parameters: nothing runs. */
  PsAnalysisResult *r1 = run (&p, v, r0);
  g_assert_cmpuint (r1->stages_run, ==, 0);
  g_assert_true (results_equal (r0, r1));

  /* Pores' h only. */
  PsAnalysisParams q = p;
  q.h_carbon_nm = p.h_nm;
  q.h_nm = 4.0;
  PsAnalysisResult *r2 = run (&q, v, r1);
  g_assert_cmpuint (r2->stages_run, ==, PS_ANALYSIS_STAGE_PORES);
  PsAnalysisResult *f2 = run (&q, v, NULL);
  g_assert_true (results_equal (r2, f2));
  g_assert_cmpuint (r2->pores.count, ==, 3);   /* B and C are one at h = 4 nm */

  /* A seed in C splits them again; only the pores run. */
  const double add[1][3] = { { 48 * 0.5, 20 * 0.5, 40 * 0.5 } };
  q.seeds_add = add;
  q.n_seeds_add = 1;
  PsAnalysisResult *r3 = run (&q, v, r2);
  g_assert_cmpuint (r3->stages_run, ==, PS_ANALYSIS_STAGE_PORES);
  g_assert_cmpuint (r3->pores.count, ==, 4);
  PsAnalysisResult *f3 = run (&q, v, NULL);
  g_assert_true (results_equal (r3, f3));

  /* Threshold: mask and everything after, not the smoothing. */
  q.threshold = 110;
  PsAnalysisResult *r4 = run (&q, v, r3);
  g_assert_cmpuint (r4->stages_run & PS_ANALYSIS_STAGE_SMOOTH, ==, 0);
  g_assert_cmpuint (r4->stages_run & PS_ANALYSIS_STAGE_MASK, !=, 0);
  g_assert_cmpuint (r4->stages_run & PS_ANALYSIS_STAGE_EXTERIOR, !=, 0);
  PsAnalysisResult *f4 = run (&q, v, NULL);
  g_assert_true (results_equal (r4, f4));

  /* Threads change nothing (and invalidate nothing). */
  q.n_threads = 1;
  PsAnalysisResult *r5 = run (&q, v, r4);
  g_assert_cmpuint (r5->stages_run, ==, 0);
  PsAnalysisResult *f5 = run (&q, v, NULL);
  g_assert_true (results_equal (f5, f4));

  /* Results stay valid in any freeing order. */
  ps_analysis_result_free (r0);
  ps_analysis_result_free (r2);
  ps_analysis_result_free (r4);
  g_assert_cmpuint (r5->pores.count, ==, f5->pores.count);
  ps_analysis_result_free (r1);
  ps_analysis_result_free (r3);
  ps_analysis_result_free (r5);
  ps_analysis_result_free (f2);
  ps_analysis_result_free (f3);
  ps_analysis_result_free (f4);
  ps_analysis_result_free (f5);
}

static void
test_seed_edits (void)
{
  g_autoptr(PsVolume) v = make_spheres ();
  PsAnalysisParams p;
  base_params (&p);
  PsAnalysisResult *r = run (&p, v, NULL);
  g_assert_cmpuint (r->pores.count, ==, 4);
  /* Merge B and C. */
  PsMergeEdit m = { { 38 * 0.5, 20 * 0.5, 40 * 0.5 }, { 48 * 0.5, 20 * 0.5, 40 * 0.5 } };
  p.merges = &m;
  p.n_merges = 1;
  PsAnalysisResult *rm = run (&p, v, r);
  g_assert_cmpuint (rm->pores.count, ==, 3);
  g_assert_cmpuint (rm->pores.n_edits, ==, 1);
  g_assert_cmpuint (rm->network->n_throats, ==, 0);
  uint32_t lb = pore_label (rm, 36, 20, 40);
  g_assert_cmpuint (pore_label (rm, 50, 20, 40), ==, lb);
  /* Remove C's seed instead: B floods C. */
  const double rem[1][3] = { { 48 * 0.5, 20 * 0.5, 40 * 0.5 } };
  p.merges = NULL;
  p.n_merges = 0;
  p.seeds_remove = rem;
  p.n_seeds_remove = 1;
  PsAnalysisResult *rr = run (&p, v, rm);
  g_assert_cmpuint (rr->pores.count, ==, 3);
  g_assert_true (results_equal (rr, rm));
  /* Removing A's seed: A is a component of its own and keeps a label. */
  const double rem_a[1][3] = { { 8, 8, 8 } };
  p.seeds_remove = rem_a;
  PsAnalysisResult *ra = run (&p, v, rr);
  g_assert_cmpuint (ra->pores.count, ==, 4);
  /* Edits outside the subvolume or across phases are counted and ignored. */
  const double far[2][3] = { { 1000, 1, 1 }, { 1, 1, -1 } };
  PsMergeEdit across = { { 8, 8, 8 }, { 31, 31, 1 } };
  p.seeds_remove = NULL;
  p.n_seeds_remove = 0;
  p.seeds_add = far;
  p.n_seeds_add = 2;
  p.merges = &across;
  p.n_merges = 1;
  PsAnalysisResult *ri = run (&p, v, ra);
  g_assert_cmpuint (ri->n_edits_ignored, ==, 3);
  g_assert_cmpuint (ri->pores.count, ==, 4);
  /* A seed added in carbon changes only the carbon. */
  const double in_carbon[1][3] = { { 1, 1, 1 } };
  p.seeds_add = in_carbon;
  p.n_seeds_add = 1;
  p.merges = NULL;
  p.n_merges = 0;
  PsAnalysisResult *rc = run (&p, v, ri);
  g_assert_cmpuint (rc->stages_run, ==, PS_ANALYSIS_STAGE_CARBON);
  g_assert_cmpuint (rc->carbon.n_edits, ==, 1);
  ps_analysis_result_free (r);
  ps_analysis_result_free (rm);
  ps_analysis_result_free (rr);
  ps_analysis_result_free (ra);
  ps_analysis_result_free (ri);
  ps_analysis_result_free (rc);
}

static void
test_threads (void)
{
  g_autoptr(PsVolume) v = make_spheres ();
  PsAnalysisParams p;
  base_params (&p);
  p.smooth = PS_SMOOTH_GAUSSIAN;
  p.threshold_auto = true;
  p.n_threads = 1;
  PsAnalysisResult *a = run (&p, v, NULL);
  p.n_threads = 4;
  PsAnalysisResult *b = run (&p, v, NULL);
  g_assert_true (results_equal (a, b));
  ps_analysis_result_free (a);
  ps_analysis_result_free (b);
}

static void
test_validate (void)
{
  g_autoptr(PsVolume) v = new_volume (8, 1.0, CARBON);
  PsAnalysisParams p;
  base_params (&p);
  char why[256];
  p.subvolume = (PsBox) { 4, 0, 0, 8, 8, 8 };
  g_assert_cmpint (ps_analysis_validate (&p, v, why, sizeof why), ==, PS_ERROR_INVALID_PARAMETER);
  g_assert_nonnull (strstr (why, "subvolume"));
  base_params (&p);
  p.connectivity = 18;
  g_assert_cmpint (ps_analysis_validate (&p, v, why, sizeof why), ==, PS_ERROR_INVALID_PARAMETER);
  base_params (&p);
  p.threshold = NAN;
  g_assert_cmpint (ps_analysis_validate (&p, v, why, sizeof why), ==, PS_ERROR_INVALID_PARAMETER);
  base_params (&p);
  const double bad[1][3] = { { 1, NAN, 1 } };
  p.seeds_add = bad;
  p.n_seeds_add = 1;
  g_assert_cmpint (ps_analysis_validate (&p, v, why, sizeof why), ==, PS_ERROR_INVALID_PARAMETER);

  /* All carbon, all pore, constant and NaN volumes run and give sensible
   * numbers. */
  base_params (&p);
  PsAnalysisResult *r = run (&p, v, NULL);
  g_assert_cmpfloat (r->porosity, ==, 0.0);
  g_assert_cmpuint (r->pores.count, ==, 0);
  g_assert_cmpuint (r->carbon.count, ==, 1);
  ps_analysis_result_free (r);
  for (size_t i = 0; i < 512; i++)
    v->data[i] = PORE;
  r = run (&p, v, NULL);
  g_assert_cmpfloat (r->porosity, ==, 1.0);
  g_assert_cmpfloat (r->open_porosity, ==, 1.0);
  g_assert_cmpuint (r->pores.count, ==, 1);
  g_assert_true (isinf (r->pores.objects->objects[0].inscribed_diameter_nm));
  ps_analysis_result_free (r);
  p.threshold_auto = true;
  r = run (&p, v, NULL);   /* constant data: Otsu gives the value, all carbon */
  g_assert_cmpfloat (r->porosity, ==, 0.0);
  ps_analysis_result_free (r);
  for (size_t i = 0; i < 512; i += 3)
    v->data[i] = NAN;
  r = run (&p, v, NULL);
  g_assert_cmpfloat (r->porosity, ==, 0.0);
  ps_analysis_result_free (r);
  /* One voxel thick. */
  PsStatus st;
  g_autoptr(PsVolume) flat = ps_volume_new (16, 16, 1, &st);
  for (size_t i = 0; i < 256; i++)
    flat->data[i] = (i / 16 + i % 16) % 5 ? CARBON : PORE;
  base_params (&p);
  r = run (&p, flat, NULL);
  g_assert_cmpuint (r->n_voxels, ==, 256);
  g_assert_cmpuint (r->n_pore_voxels, >, 0);
  ps_analysis_result_free (r);

  /* Cancellation. */
  atomic_int cancel = 1;
  PsProgress prog = { .cancel = &cancel };
  PsAnalysisResult *rc = NULL;
  g_autoptr(PsVolume) big = make_spheres ();
  g_assert_cmpint (ps_analysis_run (&p, big, NULL, &rc, &prog), ==, PS_ERROR_CANCELLED);
  g_assert_null (rc);
}

static void
test_puma (void)
{
  g_autofree char *path = ps_test_shared_path ("puma-fiberform", "100_fiberform.tif", NULL);
  if (path == NULL)
    {
      g_test_skip ("shared data not present");
      return;
    }
  g_autoptr(GError) error = NULL;
  g_autoptr(PsVolume) v = ps_volume_load (path, NULL, NULL, &error);
  g_assert_no_error (error);
  PsAnalysisParams p;
  ps_analysis_params_init (&p);
  p.smooth = PS_SMOOTH_NONE;
  p.threshold_auto = false;
  p.threshold = 90;
  p.local_thickness = false;
  PsAnalysisResult *r = run (&p, v, NULL);
  /* NASA PuMA: porosity 0.83286 (solid = grey 90..255) of 10^6 voxels. */
  g_assert_cmpuint (r->n_pore_voxels, ==, 832860);
  g_assert_cmpfloat (r->porosity, ==, 0.83286);
  /* FiberForm's pore space is one open network. */
  g_assert_cmpfloat (r->open_porosity, >, 0.83);
  /* PuMA's sub-block tests (import3dtiff_test.cpp): x 50..99 → 0.702066,
   * y 50..99 → 0.837194, z 50..99 → 0.829498. Resumed from r: only the
   * subvolume changes. */
  const PsBox boxes[3] = { { 50, 0, 0, 50, 100, 100 }, { 0, 50, 0, 100, 50, 100 }, { 0, 0, 50, 100, 100, 50 } };
  const double expect[3] = { 0.702066, 0.837194, 0.829498 };
  for (int k = 0; k < 3; k++)
    {
      p.subvolume = boxes[k];
      PsAnalysisResult *rk = run (&p, v, r);
      g_assert_cmpuint (rk->stages_run & PS_ANALYSIS_STAGE_EXTERIOR, ==, 0);
      g_assert_cmpuint (rk->n_pore_voxels, ==, (guint64) llround (expect[k] * 500000));
      ps_analysis_result_free (rk);
    }
  ps_analysis_result_free (r);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/core/analysis/spheres", test_spheres);
  g_test_add_func ("/core/analysis/otsu-smoothing", test_otsu_and_smoothing);
  g_test_add_func ("/core/analysis/thickness", test_thickness);
  g_test_add_func ("/core/analysis/hollow-sphere", test_hollow_sphere);
  g_test_add_func ("/core/analysis/resume", test_resume);
  g_test_add_func ("/core/analysis/seed-edits", test_seed_edits);
  g_test_add_func ("/core/analysis/threads", test_threads);
  g_test_add_func ("/core/analysis/validate", test_validate);
  g_test_add_func ("/core/analysis/puma", test_puma);
  return g_test_run ();
}
