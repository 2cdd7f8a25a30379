/* SPDX-License-Identifier: GPL-3.0-or-later */
/* ps-analysis.c: the analysis pipeline with stage reuse. See ps-analysis.h. */
#include "ps-analysis.h"

#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef _OPENMP
#include <omp.h>
#endif

#include "ps-edt.h"
#include "ps-filter.h"
#include "ps-grid.h"
#include "ps-label.h"
#include "ps-label-private.h"
#include "ps-memory.h"
#include "ps-seeds.h"
#include "ps-size.h"
#include "ps-stats.h"
#include "ps-thickness.h"
#include "ps-threshold.h"
#include "ps-watershed.h"

const char *const ps_analysis_stage_names[PS_ANALYSIS_N_STAGES] = {
  "smooth", "sweep", "mask", "exterior", "distance", "thickness", "pores", "carbon",
};

static double
wtime (void)
{
#ifdef _OPENMP
  return omp_get_wtime ();
#else
  return 0.0;
#endif
}

/* ---- shared, immutable buffers ------------------------------------------ */

typedef struct
{
  atomic_int ref;
  size_t bytes;
  void *data;
} Blob;

static Blob *
blob_new (size_t n, size_t elem, bool clear, PsStatus *st)
{
  size_t bytes;
  if (!ps_size_mul (n ? n : 1, elem, &bytes))
    {
      *st = PS_ERROR_TOO_LARGE;
      return NULL;
    }
  if ((*st = ps_memory_check (bytes)) != PS_OK)
    return NULL;
  Blob *b = calloc (1, sizeof *b);
  if (b != NULL)
    b->data = clear ? ps_aligned_calloc (bytes) : ps_aligned_alloc (bytes);
  if (b == NULL || b->data == NULL)
    {
      free (b);
      *st = PS_ERROR_NO_MEMORY;
      return NULL;
    }
  atomic_init (&b->ref, 1);
  b->bytes = bytes;
  *st = PS_OK;
  return b;
}

static Blob *
blob_ref (Blob *b)
{
  if (b != NULL)
    atomic_fetch_add (&b->ref, 1);
  return b;
}

static void
blob_unref (Blob *b)
{
  if (b != NULL && atomic_fetch_sub (&b->ref, 1) == 1)
    {
      ps_aligned_free (b->data);
      free (b);
    }
}

/* One phase's separation: seeds, labels, objects (+ network for pores),
 * and the key it was computed with. Shared between results. */
typedef struct
{
  atomic_int ref;
  PsLabels *labels;
  PsSeedList seeds;
  PsObjectTable *objects;
  PsNetwork *network;
  size_t n_edits;
  /* key */
  double h_nm;
  int connectivity;
  double *edits;                /* this phase's edits, flattened (see phase_edits) */
  size_t n_edit_values;
} PhaseStage;

static void
phase_stage_unref (PhaseStage *p)
{
  if (p == NULL || atomic_fetch_sub (&p->ref, 1) != 1)
    return;
  if (p->labels)
    ps_labels_unref (p->labels);
  ps_seed_list_clear (&p->seeds);
  ps_object_table_free (p->objects);
  ps_network_free (p->network);
  free (p->edits);
  free (p);
}

static PhaseStage *
phase_stage_ref (PhaseStage *p)
{
  if (p != NULL)
    atomic_fetch_add (&p->ref, 1);
  return p;
}

struct _PsAnalysisPrivate
{
  const PsVolume *volume;       /* identity only (the caller keeps it alive) */
  double (*add)[3];
  double (*remove)[3];
  PsMergeEdit *merges;

  PsVolume *raw, *smoothed;
  Blob *sweep;                  /* thresholds then porosities */
  Blob *mask;
  Blob *exterior_full;          /* bit per full-volume voxel */
  Blob *exterior;
  Blob *dist[2];                /* pores, carbon: uint32 squared or float nm */
  Blob *thickness[2];
  PhaseStage *phase[2];
  /* Histogram arrays (not shared; recomputed each run). */
  void *hist_mem;

  /* keys of the shared stages */
  PsSmoothKind smooth;
  double sigma_nm;
  double threshold;
  bool threshold_auto;
  int ext_connectivity;
  PsSmoothKind ext_smooth;
  double ext_sigma_nm;
  double ext_threshold;
  bool dist_integer;
};

/* ---- parameters -------------------------------------------------------- */

void
ps_analysis_params_init (PsAnalysisParams *params)
{
  memset (params, 0, sizeof *params);
  params->smooth = PS_SMOOTH_GAUSSIAN;
  params->smooth_sigma_nm = -1.0;
  params->threshold_auto = true;
  params->threshold = NAN;
  params->h_nm = -1.0;
  params->h_carbon_nm = -1.0;
  params->connectivity = 26;
  params->local_thickness = false;  /* opt-in: see PsAnalysisParams */
  params->histogram_bin_nm = 0.0;
  params->sweep_steps = 256;
  params->n_threads = 0;
}

static void
say (char *why, size_t why_len, const char *msg)
{
  if (why != NULL && why_len > 0)
    snprintf (why, why_len, "%s", msg);
}

static bool
finite3 (const double v[3])
{
  return isfinite (v[0]) && isfinite (v[1]) && isfinite (v[2]);
}

static PsBox
resolve_box (const PsAnalysisParams *p, const PsVolume *vol)
{
  if (p->subvolume.nx == 0 && p->subvolume.ny == 0 && p->subvolume.nz == 0)
    return ps_box_full (vol->nx, vol->ny, vol->nz);
  return p->subvolume;
}

PsStatus
ps_analysis_validate (const PsAnalysisParams *p, const PsVolume *vol, char *why, size_t why_len)
{
  if (p == NULL || vol == NULL || vol->data == NULL)
    {
      say (why, why_len, "no parameters or no volume");
      return PS_ERROR_INVALID_PARAMETER;
    }
  PsGrid g = ps_grid_from_volume (vol);
  PsStatus st = ps_grid_validate (&g);
  if (st != PS_OK)
    {
      say (why, why_len, "the volume's size or voxel size is not usable");
      return st;
    }
  PsBox box = resolve_box (p, vol);
  if (!ps_box_inside (&box, vol->nx, vol->ny, vol->nz))
    {
      say (why, why_len, "the subvolume lies outside the volume");
      return PS_ERROR_INVALID_PARAMETER;
    }
  if (p->smooth != PS_SMOOTH_NONE && p->smooth != PS_SMOOTH_GAUSSIAN && p->smooth != PS_SMOOTH_MEDIAN)
    {
      say (why, why_len, "unknown smoothing");
      return PS_ERROR_INVALID_PARAMETER;
    }
  if (p->smooth == PS_SMOOTH_GAUSSIAN && !(p->smooth_sigma_nm < 1e6) )
    {
      say (why, why_len, "the smoothing sigma must be a finite number of nm");
      return PS_ERROR_INVALID_PARAMETER;
    }
  if (!p->threshold_auto && !isfinite (p->threshold))
    {
      say (why, why_len, "the threshold must be a finite number");
      return PS_ERROR_INVALID_PARAMETER;
    }
  if (!(p->h_nm < INFINITY) || !(p->h_carbon_nm < INFINITY) || isnan (p->h_nm) || isnan (p->h_carbon_nm))
    {
      say (why, why_len, "h must be a finite number of nm");
      return PS_ERROR_INVALID_PARAMETER;
    }
  if (p->connectivity != 6 && p->connectivity != 26)
    {
      say (why, why_len, "the connectivity must be 6 or 26");
      return PS_ERROR_INVALID_PARAMETER;
    }
  if (!(p->histogram_bin_nm < INFINITY) || isnan (p->histogram_bin_nm))
    {
      say (why, why_len, "the histogram bin width must be finite");
      return PS_ERROR_INVALID_PARAMETER;
    }
  if (p->sweep_steps < 1 || p->sweep_steps > 100000)
    {
      say (why, why_len, "the porosity sweep needs 1 to 100000 steps");
      return PS_ERROR_INVALID_PARAMETER;
    }
  if ((p->n_seeds_add && !p->seeds_add) || (p->n_seeds_remove && !p->seeds_remove) ||
      (p->n_merges && !p->merges))
    {
      say (why, why_len, "seed edits are missing");
      return PS_ERROR_INVALID_PARAMETER;
    }
  for (size_t i = 0; i < p->n_seeds_add; i++)
    if (!finite3 (p->seeds_add[i]))
      {
        say (why, why_len, "a seed position is not finite");
        return PS_ERROR_INVALID_PARAMETER;
      }
  for (size_t i = 0; i < p->n_seeds_remove; i++)
    if (!finite3 (p->seeds_remove[i]))
      {
        say (why, why_len, "a seed position is not finite");
        return PS_ERROR_INVALID_PARAMETER;
      }
  for (size_t i = 0; i < p->n_merges; i++)
    if (!finite3 (p->merges[i].a_nm) || !finite3 (p->merges[i].b_nm))
      {
        say (why, why_len, "a merge position is not finite");
        return PS_ERROR_INVALID_PARAMETER;
      }
  return PS_OK;
}

void
ps_analysis_bins (const double spacing[3], double bin_width_nm, double max_nm,
                  double *width_nm, size_t *n_bins)
{
  double w = bin_width_nm;
  if (!(w > 0.0))
    {
      double smin = fmin (spacing[0], fmin (spacing[1], spacing[2]));
      double target = fmax (smin, (isfinite (max_nm) ? max_nm : 0.0) / 50.0);
      double p10 = pow (10.0, floor (log10 (target)));
      static const double steps[4] = { 1.0, 2.0, 5.0, 10.0 };
      w = 10.0 * p10;
      for (int i = 0; i < 4; i++)
        if (steps[i] * p10 >= target * (1 - 1e-12))
          {
            w = steps[i] * p10;
            break;
          }
    }
  double n = isfinite (max_nm) && max_nm > 0 ? floor (max_nm / w) + 1 : 1;
  if (n > 100000)
    n = 100000;
  *width_nm = w;
  *n_bins = (size_t) n;
}

/* ---- the result ------------------------------------------------------- */

void
ps_analysis_result_free (PsAnalysisResult *r)
{
  if (r == NULL)
    return;
  PsAnalysisPrivate *p = r->priv;
  if (p != NULL)
    {
      free (p->add);
      free (p->remove);
      free (p->merges);
      if (p->raw)
        ps_volume_unref (p->raw);
      if (p->smoothed)
        ps_volume_unref (p->smoothed);
      blob_unref (p->sweep);
      blob_unref (p->mask);
      blob_unref (p->exterior_full);
      blob_unref (p->exterior);
      for (int k = 0; k < 2; k++)
        {
          blob_unref (p->dist[k]);
          blob_unref (p->thickness[k]);
          phase_stage_unref (p->phase[k]);
        }
      free (p->hist_mem);
      free (p);
    }
  free (r);
}

/* ---- stages ------------------------------------------------------------- */

typedef struct
{
  const PsAnalysisParams *p;    /* resolved */
  const PsVolume *vol;
  PsBox box;
  PsGrid grid;                  /* the subvolume */
  size_t n;                     /* subvolume voxels */
  int threads;
} Ctx;

static bool
same_box (const PsBox *a, const PsBox *b)
{
  return a->x0 == b->x0 && a->y0 == b->y0 && a->z0 == b->z0 && a->nx == b->nx && a->ny == b->ny &&
         a->nz == b->nz;
}

/* Kernel half-width of the smoothing along each axis, voxels. */
static void
smooth_margin (PsSmoothKind kind, double sigma_nm, const double spacing[3], size_t margin[3])
{
  for (int a = 0; a < 3; a++)
    {
      if (kind == PS_SMOOTH_MEDIAN)
        margin[a] = 1;
      else if (kind == PS_SMOOTH_GAUSSIAN && sigma_nm > 0)
        margin[a] = (size_t) floor (4.0 * sigma_nm / spacing[a] + 0.5) + 1;
      else
        margin[a] = 0;
    }
}

static PsStatus
smooth_volume (PsSmoothKind kind, double sigma_nm, const PsVolume *in, PsVolume *out, int threads,
               const PsProgress *progress)
{
  if (kind == PS_SMOOTH_GAUSSIAN)
    {
      PsGaussianParams gp;
      ps_gaussian_params_init (&gp, sigma_nm);
      gp.n_threads = threads;
      return ps_gaussian_run (&gp, in, out, progress);
    }
  PsMedianParams mp;
  ps_median_params_init (&mp);
  mp.n_threads = threads;
  return ps_median3_run (&mp, in, out, progress);
}

/* For volumes that only borrow their data. */
static void
keep_data (void *data, void *user)
{
  (void) data;
  (void) user;
}

/* Smooth slices [lo, hi) of @vol into @out (nx·ny·(hi − lo) floats),
 * reading them in place: whole slices are contiguous, so nothing is
 * cropped or copied. */
static PsStatus
smooth_slices (PsSmoothKind kind, double sigma_nm, const PsVolume *vol, size_t lo, size_t hi, float *out,
               int threads, const PsProgress *progress)
{
  const size_t slice = vol->nx * vol->ny;
  PsVolume *vin = ps_volume_new_wrap (vol->nx, vol->ny, hi - lo, (float *) vol->data + lo * slice, keep_data, NULL);
  PsVolume *vout = ps_volume_new_wrap (vol->nx, vol->ny, hi - lo, out, keep_data, NULL);
  PsStatus st = PS_ERROR_NO_MEMORY;
  if (vin != NULL && vout != NULL)
    {
      ps_volume_copy_geometry (vin, vol);
      ps_volume_copy_geometry (vout, vol);
      st = smooth_volume (kind, sigma_nm, vin, vout, threads, progress);
    }
  ps_volume_unref (vin);
  ps_volume_unref (vout);
  return st;
}

/* Smooth @box of @vol exactly as smoothing the whole volume would: crop the
 * box plus the kernel's half-width on every side (where the volume has it),
 * filter, and keep the box. Inside the box every kernel tap then reads real
 * data, and at the volume's faces the filter's own boundary rule applies —
 * the same values the full volume gives. */
static PsVolume *
smooth_box (PsSmoothKind kind, double sigma_nm, const PsVolume *vol, const PsBox *box, int threads,
            const PsProgress *progress, PsStatus *st)
{
  size_t m[3];
  smooth_margin (kind, sigma_nm, vol->spacing, m);
  const size_t o[3] = { box->x0, box->y0, box->z0 }, s[3] = { box->nx, box->ny, box->nz };
  const size_t n[3] = { vol->nx, vol->ny, vol->nz };
  size_t lo[3], hi[3];
  for (int a = 0; a < 3; a++)
    {
      lo[a] = o[a] > m[a] ? o[a] - m[a] : 0;
      hi[a] = o[a] + s[a] + m[a] < n[a] ? o[a] + s[a] + m[a] : n[a];
    }
  PsBox outer = { lo[0], lo[1], lo[2], hi[0] - lo[0], hi[1] - lo[1], hi[2] - lo[2] };
  PsVolume *f = ps_volume_new_uninit (outer.nx, outer.ny, outer.nz, st);
  if (f == NULL)
    return NULL;
  ps_volume_copy_geometry (f, vol);
  if (outer.nx == n[0] && outer.ny == n[1])
    *st = smooth_slices (kind, sigma_nm, vol, lo[2], hi[2], f->data, threads, progress);
  else
    {
      PsVolume *tmp = ps_volume_crop (vol, &outer, st);
      *st = tmp != NULL ? smooth_volume (kind, sigma_nm, tmp, f, threads, progress) : *st;
      ps_volume_unref (tmp);
    }
  if (*st != PS_OK)
    {
      ps_volume_unref (f);
      return NULL;
    }
  PsBox inner = { o[0] - lo[0], o[1] - lo[1], o[2] - lo[2], s[0], s[1], s[2] };
  if (inner.x0 == 0 && inner.y0 == 0 && inner.z0 == 0 && inner.nx == outer.nx && inner.ny == outer.ny &&
      inner.nz == outer.nz)
    return f;
  PsVolume *out = ps_volume_crop (f, &inner, st);
  ps_volume_unref (f);
  return out;
}

/* The full volume's pore mask, smoothed and thresholded slab by slab (a
 * slab of z-slices plus the kernel's margin at a time), so the full
 * volume's smoothed copy is never held. */
static PsStatus
full_pore_mask (const Ctx *c, uint8_t *mask, const PsProgress *progress)
{
  const PsVolume *vol = c->vol;
  const size_t nx = vol->nx, ny = vol->ny, nz = vol->nz, slice = nx * ny;
  const PsAnalysisParams *p = c->p;
  PsStatus st = PS_OK;

  if (p->smooth == PS_SMOOTH_NONE)
    return ps_threshold_apply (vol->data, slice * nz, p->threshold, mask, c->threads, NULL);

  /* Slabs of whole slices, each smoothed with the kernel's margin of
   * slices around it (what smooth_box does, but into one buffer that all
   * slabs reuse — fresh buffers per slab had the kernel zero ~1.8 GB of
   * pages for a 512³ volume). */
  size_t slab = slice > 0 ? ((size_t) 1 << 23) / slice : 1;
  if (slab < 8)
    slab = 8;
  if (slab > nz)
    slab = nz;
  size_t m[3];
  smooth_margin (p->smooth, p->smooth_sigma_nm, vol->spacing, m);
  const size_t mz = m[2] < nz ? m[2] : nz;
  size_t cap = slab + 2 * mz < nz ? slab + 2 * mz : nz, bytes;
  if (!ps_size_mul3 (slice, cap, sizeof (float), &bytes) || ps_memory_check (bytes) != PS_OK)
    return PS_ERROR_TOO_LARGE;
  float *buf = ps_aligned_alloc (bytes);
  if (buf == NULL)
    return PS_ERROR_NO_MEMORY;
  for (size_t z0 = 0; z0 < nz && st == PS_OK; z0 += slab)
    {
      if (ps_progress_cancelled (progress))
        {
          st = PS_ERROR_CANCELLED;
          break;
        }
      size_t z1 = z0 + slab < nz ? z0 + slab : nz;
      size_t lo = z0 > mz ? z0 - mz : 0, hi = z1 + mz < nz ? z1 + mz : nz;
      st = smooth_slices (p->smooth, p->smooth_sigma_nm, vol, lo, hi, buf, c->threads, NULL);
      if (st == PS_OK)
        st = ps_threshold_apply (buf + (z0 - lo) * slice, slice * (z1 - z0), p->threshold, mask + z0 * slice,
                                 c->threads, NULL);
      ps_progress_report (progress, (double) z1 / (double) nz, "Open pores");
    }
  ps_aligned_free (buf);
  return st;
}

/* Bit i of the result: full-volume voxel i is pore connected through pore
 * space to one of the volume's six faces. */
static Blob *
exterior_full (const Ctx *c, const uint8_t *sub_mask, bool sub_is_full, const PsProgress *progress,
               PsStatus *st)
{
  const PsVolume *vol = c->vol;
  const size_t nx = vol->nx, ny = vol->ny, nz = vol->nz;
  const size_t n = nx * ny * nz;
  size_t need;
  /* the full mask, and at most one run (4 bytes) per two voxels */
  if (!ps_size_mul (n, 3, &need))
    {
      *st = PS_ERROR_TOO_LARGE;
      return NULL;
    }
  if ((*st = ps_memory_check (need)) != PS_OK)
    return NULL;
  Blob *bits = blob_new ((n + 63) / 64, sizeof (uint64_t), false, st);
  if (bits == NULL)
    return NULL;
  uint8_t *mask = NULL;
  if (!sub_is_full)
    {
      mask = ps_aligned_alloc (n);
      if (mask == NULL)
        {
          *st = PS_ERROR_NO_MEMORY;
          goto fail;
        }
      PsProgress sub = ps_progress_sub (progress, 0.0, 0.5);
      if ((*st = full_pore_mask (c, mask, &sub)) != PS_OK)
        goto fail;
    }
  /* Face adjacency: a pore is open through a channel at least one voxel
   * face wide. 26-adjacency would let pore voxels meeting only at an edge
   * or a corner — a wall one voxel thick seen diagonally — leak, and a
   * closed-cell foam would read as open (tested on the phantom, whose truth
   * uses 6-adjacency too). The components touching a face are marked run
   * by run, without a label array (4 bytes per voxel of the full volume). */
  PsGrid g = ps_grid_from_volume (vol);
  _PsRegion region = { _PS_REGION_MASK, sub_is_full ? sub_mask : mask, false };
  PsProgress sub = ps_progress_sub (progress, 0.5, 0.95);
  if ((*st = _ps_label_region_faces (&g, &region, 6, c->threads, bits->data, &sub)) != PS_OK)
    goto fail;
  ps_aligned_free (mask);
  ps_progress_report (progress, 1.0, "Open pores");
  return bits;

fail:
  ps_aligned_free (mask);
  blob_unref (bits);
  return NULL;
}

/* The subvolume's part of the exterior bits, as bytes. */
static Blob *
exterior_crop (const Ctx *c, const Blob *full, PsStatus *st)
{
  Blob *out = blob_new (c->n, 1, false, st);
  if (out == NULL)
    return NULL;
  const uint64_t *b = full->data;
  uint8_t *e = out->data;
  const PsVolume *v = c->vol;
  const PsBox *bx = &c->box;
#pragma omp parallel for num_threads(c->threads) schedule(static)
  for (size_t z = 0; z < bx->nz; z++)
    for (size_t y = 0; y < bx->ny; y++)
      {
        size_t src = ((bx->z0 + z) * v->ny + bx->y0 + y) * v->nx + bx->x0;
        uint8_t *dst = e + (z * bx->ny + y) * bx->nx;
        for (size_t x = 0; x < bx->nx; x++)
          dst[x] = (uint8_t) ((b[(src + x) / 64] >> ((src + x) % 64)) & 1);
      }
  return out;
}

static PsDistanceMap
make_map (const Blob *b, bool integer, const PsGrid *g)
{
  PsDistanceMap m = { 0 };
  if (b == NULL)
    return m;
  if (integer)
    {
      m.dist2 = b->data;
      m.metric = ps_edt_metric (g);
    }
  else
    m.dist_nm = b->data;
  return m;
}

/* Per-phase edit lists, flattened for comparison: for each edit in the
 * phase, a tag (1 add, 2 merge, 3 remove) and its coordinates (sub frame).
 * Edits outside the subvolume or across phases count as ignored. */
typedef struct
{
  double *v;
  size_t n, cap;
} Flat;

static bool
flat_push (Flat *f, const double *vals, size_t k)
{
  if (f->n + k > f->cap)
    {
      size_t cap = f->cap ? f->cap * 2 : 64;
      while (cap < f->n + k)
        cap *= 2;
      double *nv = realloc (f->v, cap * sizeof *nv);
      if (nv == NULL)
        return false;
      f->v = nv;
      f->cap = cap;
    }
  memcpy (f->v + f->n, vals, k * sizeof *vals);
  f->n += k;
  return true;
}

/* Phase (0 pore, 1 carbon) of the voxel at @pos (sub frame nm), −1 outside. */
static int
phase_at (const Ctx *c, const uint8_t *mask, const double pos[3], size_t vox[3])
{
  size_t v[3];
  if (!ps_grid_voxel_at_nm (&c->grid, pos, v))
    return -1;
  if (vox != NULL)
    memcpy (vox, v, sizeof v);
  return mask[(v[2] * c->grid.ny + v[1]) * c->grid.nx + v[0]] ? 0 : 1;
}

static PsStatus
phase_edits (const Ctx *c, const uint8_t *mask, const double origin_nm[3], Flat out[2], size_t *ignored)
{
  const PsAnalysisParams *p = c->p;
  *ignored = 0;
  for (size_t i = 0; i < p->n_seeds_add; i++)
    {
      double v[4] = { 1 };
      for (int a = 0; a < 3; a++)
        v[1 + a] = p->seeds_add[i][a] - origin_nm[a];
      int ph = phase_at (c, mask, v + 1, NULL);
      if (ph < 0)
        (*ignored)++;
      else if (!flat_push (&out[ph], v, 4))
        return PS_ERROR_NO_MEMORY;
    }
  for (size_t i = 0; i < p->n_merges; i++)
    {
      double v[7] = { 2 };
      for (int a = 0; a < 3; a++)
        {
          v[1 + a] = p->merges[i].a_nm[a] - origin_nm[a];
          v[4 + a] = p->merges[i].b_nm[a] - origin_nm[a];
        }
      int pa = phase_at (c, mask, v + 1, NULL), pb = phase_at (c, mask, v + 4, NULL);
      if (pa < 0 || pa != pb)
        (*ignored)++;
      else if (!flat_push (&out[pa], v, 7))
        return PS_ERROR_NO_MEMORY;
    }
  for (size_t i = 0; i < p->n_seeds_remove; i++)
    {
      double v[4] = { 3 };
      for (int a = 0; a < 3; a++)
        v[1 + a] = p->seeds_remove[i][a] - origin_nm[a];
      int ph = phase_at (c, mask, v + 1, NULL);
      if (ph < 0)
        (*ignored)++;
      else if (!flat_push (&out[ph], v, 4))
        return PS_ERROR_NO_MEMORY;
    }
  return PS_OK;
}

/* ---- running the two phases side by side ----------------------------- */

/* The watershed is one flood per connected component, and the carbon
 * matrix is usually one component, so the phases are run concurrently, each
 * with half the threads: wall time ≈ max instead of sum (the larger phase's
 * seeds, which are parallel, first with all threads). Each kernel gives the
 * same bits for any thread count, so this changes nothing in the results. */

typedef struct
{
  const PsProgress *parent;     /* nullable */
  pthread_mutex_t mutex;
  double f[2], w[2], last;
} ProgressPair;

typedef struct
{
  ProgressPair *pair;
  int index;
} ProgressSlot;

static void
progress_pair_cb (double fraction, const char *message, void *user)
{
  ProgressSlot *slot = user;
  ProgressPair *pp = slot->pair;
  pthread_mutex_lock (&pp->mutex);
  pp->f[slot->index] = fraction;
  double total = pp->w[0] * pp->f[0] + pp->w[1] * pp->f[1];
  if (total > pp->last)
    {
      pp->last = total;
      ps_progress_report (pp->parent, total, message);
    }
  pthread_mutex_unlock (&pp->mutex);
}

/* Progress objects for two concurrent jobs whose fractions, weighted by
 * @w0 and @w1 (sum 1), make up @parent's range. */
static void
progress_pair_init (ProgressPair *pp, ProgressSlot slots[2], PsProgress out[2], const PsProgress *parent,
                    double w0, double w1)
{
  memset (pp, 0, sizeof *pp);
  pthread_mutex_init (&pp->mutex, NULL);
  pp->parent = parent;
  pp->w[0] = w0;
  pp->w[1] = w1;
  for (int k = 0; k < 2; k++)
    {
      slots[k].pair = pp;
      slots[k].index = k;
      memset (&out[k], 0, sizeof out[k]);
      out[k].func = parent && parent->func ? progress_pair_cb : NULL;
      out[k].user_data = &slots[k];
      out[k].cancel = parent ? parent->cancel : NULL;
    }
}

typedef struct
{
  void (*fn) (void *);
  void *arg;
} Job;

static void *
job_main (void *p)
{
  Job *j = p;
  j->fn (j->arg);
  return NULL;
}

/* fa(a) and fb(b), concurrently when @concurrent (fb on a new thread). */
static void
run_two (void (*fa) (void *), void *a, void (*fb) (void *), void *b, bool concurrent)
{
  pthread_t t;
  Job jb = { fb, b };
  if (concurrent && pthread_create (&t, NULL, job_main, &jb) == 0)
    {
      fa (a);
      pthread_join (t, NULL);
      return;
    }
  fa (a);
  fb (b);
}

/* One phase, part 1: its label buffer, the h-maxima seeds and the seeds
 * the edits add; *relabel when merges or removals follow the watershed. */
static PhaseStage *
phase_seeds (const Ctx *c, double h_nm, const PsDistanceMap *dist, const Flat *edits,
             const PsProgress *progress, bool *relabel, PsStatus *st)
{
  PhaseStage *ps = calloc (1, sizeof *ps);
  if (ps == NULL)
    {
      *st = PS_ERROR_NO_MEMORY;
      return NULL;
    }
  atomic_init (&ps->ref, 1);
  ps_seed_list_init (&ps->seeds);
  ps->h_nm = h_nm;
  ps->connectivity = c->p->connectivity;
  if (edits->n > 0)
    {
      ps->edits = malloc (edits->n * sizeof (double));
      if (ps->edits == NULL)
        {
          *st = PS_ERROR_NO_MEMORY;
          goto fail;
        }
      memcpy (ps->edits, edits->v, edits->n * sizeof (double));
      ps->n_edit_values = edits->n;
    }

  ps->labels = ps_labels_new (c->grid.nx, c->grid.ny, c->grid.nz, st);
  if (ps->labels == NULL)
    goto fail;
  memcpy (ps->labels->spacing, c->grid.spacing, sizeof ps->labels->spacing);
  ps->labels->spacing_known = c->vol->spacing_known;

  PsHMaximaParams hp = { .h_nm = h_nm, .connectivity = c->p->connectivity, .n_threads = c->threads };
  PsProgress sp = ps_progress_sub (progress, 0.0, 0.35);
  if ((*st = ps_seeds_hmaxima (&hp, &c->grid, dist, NULL, ps->labels->data, &ps->seeds, &sp)) != PS_OK)
    goto fail;

  *relabel = false;
  for (size_t i = 0; i < edits->n;)
    {
      const double *e = edits->v + i;
      if (e[0] == 1)
        {
          if ((*st = ps_seed_list_add_nm (&ps->seeds, &c->grid, e + 1, dist, NULL)) != PS_OK)
            goto fail;
          ps->n_edits++;
          i += 4;
        }
      else
        {
          *relabel = true;
          i += e[0] == 2 ? 7 : 4;
        }
    }
  return ps;

fail:
  phase_stage_unref (ps);
  return NULL;
}

/* Part 2: watershed (→ merges and removals → watershed) → measure
 * (→ network); false on failure (*st says why). */
static bool
phase_separate (PhaseStage *ps, const Ctx *c, int phase, const PsDistanceMap *dist, const Flat *edits,
                bool relabel, const PsVolume *raw, const uint8_t *exterior, const double origin_nm[3],
                const PsProgress *progress, PsStatus *st)
{
  PsProgress sp;
  PsWatershedParams wp;
  ps_watershed_params_init (&wp);
  wp.connectivity = c->p->connectivity;
  wp.n_threads = c->threads;
  uint32_t n_labels = 0;
  sp = ps_progress_sub (progress, 0.35, relabel ? 0.5 : 0.65);
  if ((*st = ps_watershed_run (&wp, &c->grid, dist, NULL, &ps->seeds, ps->labels->data, &n_labels, &sp)) != PS_OK)
    return false;

  if (relabel)
    {
      /* Merges, then removes, on this watershed's labels. */
      for (size_t i = 0; i < edits->n;)
        {
          const double *e = edits->v + i;
          if (e[0] == 2)
            {
              *st = ps_seed_list_merge_at (&ps->seeds, &c->grid, ps->labels->data, e + 1, e + 4);
              if (*st == PS_ERROR_NO_MEMORY)
                return false;
              ps->n_edits += *st == PS_OK;
              i += 7;
            }
          else
            i += 4;
        }
      for (size_t i = 0; i < edits->n;)
        {
          const double *e = edits->v + i;
          if (e[0] == 3)
            {
              size_t v[3];
              if (ps_grid_voxel_at_nm (&c->grid, e + 1, v))
                {
                  uint32_t l = ps->labels->data[(v[2] * c->grid.ny + v[1]) * c->grid.nx + v[0]];
                  for (size_t k = ps->seeds.n; l != 0 && k-- > 0;)
                    {
                      const PsSeed *s = &ps->seeds.items[k];
                      if (ps->labels->data[((size_t) s->z * c->grid.ny + s->y) * c->grid.nx + s->x] == l)
                        ps_seed_list_remove_index (&ps->seeds, k);
                    }
                  ps->n_edits++;
                }
              i += 4;
            }
          else
            i += e[0] == 2 ? 7 : 4;
        }
      sp = ps_progress_sub (progress, 0.5, 0.65);
      if ((*st = ps_watershed_run (&wp, &c->grid, dist, NULL, &ps->seeds, ps->labels->data, &n_labels, &sp)) != PS_OK)
        return false;
    }
  ps->labels->n_labels = n_labels;

  PsMeasureParams mp = {
    .labels = ps->labels,
    .intensity = raw->data,
    .distance = dist,
    .exterior = exterior,
    .n_threads = c->threads,
  };
  memcpy (mp.origin_nm, origin_nm, sizeof mp.origin_nm);
  sp = ps_progress_sub (progress, 0.65, phase == 0 ? 0.85 : 1.0);
  if ((*st = ps_measure_run (&mp, &ps->objects, &sp)) != PS_OK)
    return false;
  if (phase == 0)
    {
      PsNetworkParams np = { .labels = ps->labels, .distance = dist, .objects = ps->objects, .n_threads = c->threads };
      sp = ps_progress_sub (progress, 0.85, 1.0);
      if ((*st = ps_network_run (&np, &ps->network, &sp)) != PS_OK)
        return false;
    }
  *st = PS_OK;
  return true;
}

/* Seeds → watershed (→ edits → watershed) → measure (→ network) of one phase. */
static PhaseStage *
run_phase (const Ctx *c, int phase, double h_nm, const PsDistanceMap *dist, const Flat *edits,
           const PsVolume *raw, const uint8_t *exterior, const double origin_nm[3],
           const PsProgress *progress, PsStatus *st)
{
  bool relabel;
  PhaseStage *ps = phase_seeds (c, h_nm, dist, edits, progress, &relabel, st);
  if (ps != NULL &&
      !phase_separate (ps, c, phase, dist, edits, relabel, raw, exterior, origin_nm, progress, st))
    {
      phase_stage_unref (ps);
      ps = NULL;
    }
  return ps;
}

typedef struct
{
  Ctx c;                        /* with this job's thread count */
  int phase;
  double h_nm;
  const PsDistanceMap *dist;
  const Flat *edits;
  const PsVolume *raw;
  const uint8_t *exterior;
  const double *origin_nm;
  PsProgress progress;
  bool skip;                    /* reused: nothing to do */
  PhaseStage *seeded;           /* seeds found already (phase_seeds), or NULL */
  bool relabel;                 /* with seeded: phase_seeds' *relabel */
  PhaseStage *out;
  PsStatus st;
  double seconds;
} PhaseJob;

static void
phase_job (void *p)
{
  PhaseJob *j = p;
  if (j->skip)
    return;
  double t = wtime ();
  if (j->seeded != NULL)
    {
      j->out = j->seeded;
      j->seeded = NULL;
      if (!phase_separate (j->out, &j->c, j->phase, j->dist, j->edits, j->relabel, j->raw, j->exterior,
                           j->origin_nm, &j->progress, &j->st))
        {
          phase_stage_unref (j->out);
          j->out = NULL;
        }
    }
  else
    j->out = run_phase (&j->c, j->phase, j->h_nm, j->dist, j->edits, j->raw, j->exterior, j->origin_nm,
                        &j->progress, &j->st);
  j->seconds += wtime () - t;
}

typedef struct
{
  const PsGrid *grid;
  const PsDistanceMap *dist;
  float *out;
  int threads;
  PsProgress progress;
  PsStatus st;
} ThicknessJob;

static void
thickness_job (void *p)
{
  ThicknessJob *j = p;
  PsThicknessParams tp;
  ps_thickness_params_init (&tp);
  tp.n_threads = j->threads;
  j->st = ps_thickness_run (&tp, j->grid, j->dist, j->out, &j->progress);
}

static int
cmp_double (const void *a, const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;
  return x < y ? -1 : x > y;
}

/* Counts, means, median and sd of one phase's objects. */
static PsStatus
phase_summary (PsAnalysisPhase *ph)
{
  const PsObjectTable *t = ph->objects;
  size_t n = 0, ni = 0;
  double sum = 0, sum_ins = 0, wsum = 0, wdsum = 0;
  double *d = malloc ((t->n_objects ? t->n_objects : 1) * sizeof *d);
  if (d == NULL)
    return PS_ERROR_NO_MEMORY;
  for (size_t i = 0; i < t->n_objects; i++)
    {
      const PsObjectStats *o = &t->objects[i];
      if (o->voxels == 0)
        continue;
      d[n++] = o->equivalent_diameter_nm;
      sum += o->equivalent_diameter_nm;
      sum_ins += o->inscribed_diameter_nm;
      if (!o->touches_border)
        {
          ni++;
          wsum += o->edge_weight;
          wdsum += o->edge_weight * o->equivalent_diameter_nm;
        }
    }
  ph->count = n;
  ph->count_interior = ni;
  ph->eqdiam_mean_nm = n ? sum / n : NAN;
  ph->inscribed_mean_nm = n ? sum_ins / n : NAN;
  ph->eqdiam_mean_edge_corrected_nm = wsum > 0 ? wdsum / wsum : NAN;
  double var = 0;
  for (size_t i = 0; i < n; i++)
    var += (d[i] - ph->eqdiam_mean_nm) * (d[i] - ph->eqdiam_mean_nm);
  ph->eqdiam_sd_nm = n ? sqrt (var / n) : NAN;
  qsort (d, n, sizeof *d, cmp_double);
  ph->eqdiam_median_nm = n == 0 ? NAN : n % 2 ? d[n / 2] : 0.5 * (d[n / 2 - 1] + d[n / 2]);
  free (d);
  return PS_OK;
}

/* Histograms on shared bins: objects by equivalent diameter (all, interior,
 * Miles–Lantuéjoul weighted) and volume fractions; local thickness. */
static PsStatus
histograms (PsAnalysisResult *r, const Ctx *c)
{
  double max_nm = 0;
  PsAnalysisPhase *ph[2] = { &r->pores, &r->carbon };
  for (int k = 0; k < 2; k++)
    {
      const PsObjectTable *t = ph[k]->objects;
      for (size_t i = 0; i < t->n_objects; i++)
        if (t->objects[i].voxels > 0)
          max_nm = fmax (max_nm, t->objects[i].equivalent_diameter_nm);
      if (ph[k]->thickness_nm != NULL)
        for (size_t i = 0; i < c->n; i++)
          if (isfinite (ph[k]->thickness_nm[i]))
            max_nm = fmax (max_nm, ph[k]->thickness_nm[i]);
    }
  ps_analysis_bins (c->grid.spacing, c->p->histogram_bin_nm, max_nm, &r->bin_width_nm, &r->n_bins);
  const size_t nb = r->n_bins;
  /* per phase: objects, interior (u64); volume, edge, thickness (double) */
  size_t per = nb * (2 * sizeof (uint64_t) + 3 * sizeof (double));
  char *mem = calloc (2, per);
  if (mem == NULL)
    return PS_ERROR_NO_MEMORY;
  r->priv->hist_mem = mem;
  for (int k = 0; k < 2; k++)
    {
      char *base = mem + k * per;
      PsAnalysisHistogram *h = &ph[k]->histogram;
      h->objects = (uint64_t *) base;
      h->objects_interior = (uint64_t *) (base + nb * sizeof (uint64_t));
      h->object_volume_fraction = (double *) (base + 2 * nb * sizeof (uint64_t));
      h->objects_edge_corrected = h->object_volume_fraction + nb;
      h->thickness_volume_fraction = ph[k]->thickness_nm ? h->objects_edge_corrected + nb : NULL;
      const PsObjectTable *t = ph[k]->objects;
      double phase_volume = 0;
      for (size_t i = 0; i < t->n_objects; i++)
        phase_volume += t->objects[i].volume_nm3;
      for (size_t i = 0; i < t->n_objects; i++)
        {
          const PsObjectStats *o = &t->objects[i];
          if (o->voxels == 0)
            continue;
          size_t b = (size_t) floor (o->equivalent_diameter_nm / r->bin_width_nm);
          if (b >= nb)
            b = nb - 1;
          h->objects[b]++;
          h->object_volume_fraction[b] += phase_volume > 0 ? o->volume_nm3 / phase_volume : 0;
          if (!o->touches_border)
            {
              h->objects_interior[b]++;
              h->objects_edge_corrected[b] += o->edge_weight;
            }
        }
      if (h->thickness_volume_fraction != NULL)
        {
          uint64_t *counts = calloc (nb, sizeof *counts), total = 0;
          if (counts == NULL)
            return PS_ERROR_NO_MEMORY;
          PsThicknessBins tb = { r->bin_width_nm, nb };
          PsStatus st = ps_thickness_histogram (ph[k]->thickness_nm, c->n, &tb, counts, &total);
          if (st != PS_OK)
            {
              free (counts);
              return st;
            }
          for (size_t b = 0; b < nb; b++)
            h->thickness_volume_fraction[b] = total ? (double) counts[b] / (double) total : 0.0;
          free (counts);
        }
    }
  return PS_OK;
}

static bool
same_edits (const PhaseStage *s, const Flat *f)
{
  return s->n_edit_values == f->n && (f->n == 0 || memcmp (s->edits, f->v, f->n * sizeof (double)) == 0);
}

PsStatus
ps_analysis_run (const PsAnalysisParams *params, const PsVolume *vol, const PsAnalysisResult *previous,
                 PsAnalysisResult **out, const PsProgress *progress)
{
  PsStatus st = ps_analysis_validate (params, vol, NULL, 0);
  if (st != PS_OK)
    return st;
  if (out == NULL)
    return PS_ERROR_INVALID_PARAMETER;
  *out = NULL;
  if (previous != NULL && (previous->priv == NULL || previous->priv->volume != vol))
    previous = NULL;  /* another volume: nothing can be reused */
  const PsAnalysisPrivate *pp = previous ? previous->priv : NULL;

  PsAnalysisResult *r = calloc (1, sizeof *r);
  PsAnalysisPrivate *pv = calloc (1, sizeof *pv);
  if (r == NULL || pv == NULL)
    {
      free (r);
      free (pv);
      return PS_ERROR_NO_MEMORY;
    }
  r->priv = pv;
  pv->volume = vol;
  Flat edits[2] = { { 0 } };

  /* Resolved parameters, with the edit arrays copied. */
  PsAnalysisParams p = *params;
  PsGrid vg = ps_grid_from_volume (vol);
  const double smin = fmin (vol->spacing[0], fmin (vol->spacing[1], vol->spacing[2]));
  if (p.smooth == PS_SMOOTH_GAUSSIAN && !(p.smooth_sigma_nm > 0))
    p.smooth_sigma_nm = PS_ANALYSIS_DEFAULT_SIGMA_VOXELS * smin;
  if (p.smooth != PS_SMOOTH_GAUSSIAN)
    p.smooth_sigma_nm = 0;
  if (p.h_nm < 0)
    p.h_nm = ps_hmaxima_default_h_nm (&vg);
  if (p.h_carbon_nm < 0)
    p.h_carbon_nm = p.h_nm;
  p.subvolume = resolve_box (params, vol);
  if (p.n_seeds_add)
    {
      pv->add = malloc (p.n_seeds_add * sizeof *pv->add);
      if (pv->add == NULL)
        goto oom;
      memcpy (pv->add, params->seeds_add, p.n_seeds_add * sizeof *pv->add);
    }
  if (p.n_seeds_remove)
    {
      pv->remove = malloc (p.n_seeds_remove * sizeof *pv->remove);
      if (pv->remove == NULL)
        goto oom;
      memcpy (pv->remove, params->seeds_remove, p.n_seeds_remove * sizeof *pv->remove);
    }
  if (p.n_merges)
    {
      pv->merges = malloc (p.n_merges * sizeof *pv->merges);
      if (pv->merges == NULL)
        goto oom;
      memcpy (pv->merges, params->merges, p.n_merges * sizeof *pv->merges);
    }
  p.seeds_add = (const double (*)[3]) pv->add;
  p.seeds_remove = (const double (*)[3]) pv->remove;
  p.merges = pv->merges;

  r->params = p;
  Ctx c = { .p = &r->params, .vol = vol, .box = p.subvolume, .threads = ps_threads_resolve (p.n_threads) };
  c.grid = (PsGrid) { c.box.nx, c.box.ny, c.box.nz, { vol->spacing[0], vol->spacing[1], vol->spacing[2] } };
  c.n = c.box.nx * c.box.ny * c.box.nz;
  r->volume_dims[0] = vol->nx;
  r->volume_dims[1] = vol->ny;
  r->volume_dims[2] = vol->nz;
  memcpy (r->spacing, vol->spacing, sizeof r->spacing);
  r->box = c.box;
  const size_t bo[3] = { c.box.x0, c.box.y0, c.box.z0 }, bs[3] = { c.box.nx, c.box.ny, c.box.nz };
  for (int a = 0; a < 3; a++)
    {
      r->origin_nm[a] = (double) bo[a] * vol->spacing[a];
      r->size_nm[a] = (double) bs[a] * vol->spacing[a];
    }
  r->n_voxels = c.n;

  const double t_start = wtime ();
  double t_stage = t_start;
#define STAGE_DONE(bit, index)                          \
  do                                                    \
    {                                                   \
      r->stages_run |= (bit);                           \
      r->stage_seconds[(index)] = wtime () - t_stage;   \
    }                                                   \
  while (0)

  /* ---- SMOOTH ---- */
  bool smooth_dirty = pp == NULL || !same_box (&previous->box, &c.box) || pp->smooth != p.smooth ||
                      pp->sigma_nm != p.smooth_sigma_nm;
  pv->smooth = p.smooth;
  pv->sigma_nm = p.smooth_sigma_nm;
  ps_progress_report (progress, 0.0, "Smoothing");
  if (!smooth_dirty)
    {
      pv->raw = ps_volume_ref (pp->raw);
      pv->smoothed = ps_volume_ref (pp->smoothed);
    }
  else
    {
      pv->raw = ps_volume_crop (vol, &c.box, &st);
      if (pv->raw == NULL)
        goto fail;
      if (p.smooth == PS_SMOOTH_NONE)
        pv->smoothed = ps_volume_ref (pv->raw);
      else
        {
          PsProgress sp = ps_progress_sub (progress, 0.0, 0.1);
          pv->smoothed = smooth_box (p.smooth, p.smooth_sigma_nm, vol, &c.box, c.threads, &sp, &st);
          if (pv->smoothed == NULL)
            goto fail;
        }
      STAGE_DONE (PS_ANALYSIS_STAGE_SMOOTH, 0);
    }
  r->raw = pv->raw;
  r->smoothed = pv->smoothed;

  /* ---- threshold ---- */
  /* Otsu's threshold is always computed (a reference next to a fixed
   * threshold, and what the GUI's Otsu button previews), so a result never
   * depends on whether an earlier run computed it: resumed = fresh. */
  r->otsu_threshold = NAN;
  if (!smooth_dirty && !isnan (previous->otsu_threshold))
    r->otsu_threshold = previous->otsu_threshold;
  else
    {
      PsOtsuParams op;
      ps_otsu_params_init (&op);
      op.n_threads = c.threads;
      if ((st = ps_threshold_otsu (&op, pv->smoothed->data, c.n, &r->otsu_threshold)) != PS_OK)
        {
          /* No finite value: fatal only when Otsu's threshold is the one used. */
          r->otsu_threshold = NAN;
          if (p.threshold_auto || st != PS_ERROR_INVALID_PARAMETER)
            goto fail;
          st = PS_OK;
        }
    }
  if (p.threshold_auto)
    p.threshold = r->otsu_threshold;
  r->threshold = p.threshold;
  r->params = p;
  pv->threshold = p.threshold;
  pv->threshold_auto = p.threshold_auto;

  /* ---- SWEEP ---- */
  t_stage = wtime ();
  if (!smooth_dirty && previous->params.sweep_steps == p.sweep_steps)
    pv->sweep = blob_ref (pp->sweep);
  else
    {
      if ((pv->sweep = blob_new (2 * (p.sweep_steps + 1), sizeof (double), false, &st)) == NULL)
        goto fail;
      PsPorositySweepParams sw;
      ps_porosity_sweep_params_init (&sw);
      sw.n_steps = p.sweep_steps;
      sw.n_threads = c.threads;
      double *t = pv->sweep->data;
      st = ps_porosity_sweep (&sw, pv->smoothed->data, c.n, t, t + p.sweep_steps + 1);
      if (st == PS_ERROR_INVALID_PARAMETER)
        {
          /* no finite value at all: an empty sweep */
          for (size_t i = 0; i < 2 * (p.sweep_steps + 1); i++)
            t[i] = NAN;
          st = PS_OK;
        }
      if (st != PS_OK)
        goto fail;
      STAGE_DONE (PS_ANALYSIS_STAGE_SWEEP, 1);
    }
  r->sweep_n = p.sweep_steps + 1;
  r->sweep_thresholds = pv->sweep->data;
  r->sweep_porosity = (const double *) pv->sweep->data + p.sweep_steps + 1;
  if (ps_progress_cancelled (progress))
    {
      st = PS_ERROR_CANCELLED;
      goto fail;
    }

  /* ---- MASK ---- */
  t_stage = wtime ();
  bool mask_dirty = smooth_dirty || pp->threshold != p.threshold;
  size_t n_pore = 0;
  if (!mask_dirty)
    {
      pv->mask = blob_ref (pp->mask);
      n_pore = previous->n_pore_voxels;
    }
  else
    {
      if ((pv->mask = blob_new (c.n, 1, false, &st)) == NULL)
        goto fail;
      if ((st = ps_threshold_apply (pv->smoothed->data, c.n, p.threshold, pv->mask->data, c.threads, &n_pore)) != PS_OK)
        goto fail;
      STAGE_DONE (PS_ANALYSIS_STAGE_MASK, 2);
    }
  r->pore_mask = pv->mask->data;
  r->n_pore_voxels = n_pore;
  ps_progress_report (progress, 0.12, "Open pores");

  /* ---- EXTERIOR ---- */
  t_stage = wtime ();
  pv->ext_connectivity = 6;
  pv->ext_smooth = p.smooth;
  pv->ext_sigma_nm = p.smooth_sigma_nm;
  pv->ext_threshold = p.threshold;
  bool ext_full_dirty = pp == NULL || pp->exterior_full == NULL || pp->ext_connectivity != 6 ||
                        pp->ext_smooth != p.smooth || pp->ext_sigma_nm != p.smooth_sigma_nm ||
                        pp->ext_threshold != p.threshold;
  if (!ext_full_dirty)
    pv->exterior_full = blob_ref (pp->exterior_full);
  else
    {
      bool sub_is_full = c.box.nx == vol->nx && c.box.ny == vol->ny && c.box.nz == vol->nz;
      PsProgress sp = ps_progress_sub (progress, 0.12, 0.25);
      pv->exterior_full = exterior_full (&c, pv->mask->data, sub_is_full, &sp, &st);
      if (pv->exterior_full == NULL)
        goto fail;
      STAGE_DONE (PS_ANALYSIS_STAGE_EXTERIOR, 3);
    }
  if (!ext_full_dirty && !mask_dirty && pp->exterior != NULL)
    pv->exterior = blob_ref (pp->exterior);
  else if ((pv->exterior = exterior_crop (&c, pv->exterior_full, &st)) == NULL)
    goto fail;
  r->exterior = pv->exterior->data;
  {
    uint64_t n_open = 0;
    const uint8_t *e = r->exterior, *m = r->pore_mask;
#pragma omp parallel for num_threads(c.threads) reduction(+ : n_open) schedule(static)
    for (size_t i = 0; i < c.n; i++)
      n_open += e[i] & m[i];
    r->n_open_voxels = n_open;
  }
  r->porosity = c.n ? (double) r->n_pore_voxels / (double) c.n : NAN;
  r->open_porosity = c.n ? (double) r->n_open_voxels / (double) c.n : NAN;
  r->closed_porosity = c.n ? (double) (r->n_pore_voxels - r->n_open_voxels) / (double) c.n : NAN;
  ps_progress_report (progress, 0.25, "Distance maps");

  /* ---- DISTANCE ---- */
  t_stage = wtime ();
  PsEdtMetric metric = ps_edt_metric (&c.grid);
  PsEdtParams ep;
  ps_edt_params_init (&ep);
  ep.n_threads = c.threads;
  bool integer = metric.integer && ps_edt_validate (&ep, &c.grid) == PS_OK;
  pv->dist_integer = integer;
  if (!mask_dirty)
    for (int k = 0; k < 2; k++)
      pv->dist[k] = blob_ref (pp->dist[k]);
  else
    {
      for (int k = 0; k < 2; k++)
        {
          if ((pv->dist[k] = blob_new (c.n, 4, false, &st)) == NULL)
            goto fail;
          ep.invert = k == 1;
          PsProgress sp = ps_progress_sub (progress, 0.25 + 0.05 * k, 0.30 + 0.05 * k);
          st = integer ? ps_edt_run_squared (&ep, &c.grid, pv->mask->data, pv->dist[k]->data, &sp)
                       : ps_edt_run (&ep, &c.grid, pv->mask->data, pv->dist[k]->data, &sp);
          if (st != PS_OK)
            goto fail;
        }
      STAGE_DONE (PS_ANALYSIS_STAGE_DISTANCE, 4);
    }
  r->pores.distance = make_map (pv->dist[0], integer, &c.grid);
  r->carbon.distance = make_map (pv->dist[1], integer, &c.grid);

  /* ---- THICKNESS ---- */
  t_stage = wtime ();
  if (p.local_thickness)
    {
      if (!mask_dirty && pp->thickness[0] != NULL)
        for (int k = 0; k < 2; k++)
          pv->thickness[k] = blob_ref (pp->thickness[k]);
      else
        {
          for (int k = 0; k < 2; k++)
            if ((pv->thickness[k] = blob_new (c.n, sizeof (float), false, &st)) == NULL)
              goto fail;
          PsProgress tsub = ps_progress_sub (progress, 0.35, 0.55);
          ProgressPair pair;
          ProgressSlot slots[2];
          PsProgress tp[2];
          /* weights: the phases' shares of the volume */
          double wp = c.n ? (double) r->n_pore_voxels / (double) c.n : 0.5;
          progress_pair_init (&pair, slots, tp, &tsub, wp, 1.0 - wp);
          const int t0 = c.threads > 1 ? c.threads / 2 : 1, t1 = c.threads > 1 ? c.threads - t0 : 1;
          ThicknessJob tj[2] = {
            { &c.grid, &r->pores.distance, pv->thickness[0]->data, t0, tp[0], PS_OK },
            { &c.grid, &r->carbon.distance, pv->thickness[1]->data, t1, tp[1], PS_OK },
          };
          run_two (thickness_job, &tj[0], thickness_job, &tj[1], c.threads > 1);
          pthread_mutex_destroy (&pair.mutex);
          for (int k = 0; k < 2; k++)
            if (tj[k].st != PS_OK)
              {
                st = tj[k].st;
                goto fail;
              }
          STAGE_DONE (PS_ANALYSIS_STAGE_THICKNESS, 5);
        }
      r->pores.thickness_nm = pv->thickness[0]->data;
      r->carbon.thickness_nm = pv->thickness[1]->data;
    }
  ps_progress_report (progress, 0.55, "Separating pores");

  /* ---- PORES / CARBON ---- */
  if ((st = phase_edits (&c, pv->mask->data, r->origin_nm, edits, &r->n_edits_ignored)) != PS_OK)
    goto fail;
  const double hs[2] = { p.h_nm, p.h_carbon_nm };
  PsAnalysisPhase *phs[2] = { &r->pores, &r->carbon };
  PhaseJob jobs[2];
  bool dirty[2];
  for (int k = 0; k < 2; k++)
    {
      const PhaseStage *old = pp ? pp->phase[k] : NULL;
      dirty[k] = mask_dirty || old == NULL || old->h_nm != hs[k] || old->connectivity != p.connectivity ||
                 !same_edits (old, &edits[k]) || (k == 0 && ext_full_dirty);
      if (!dirty[k])
        pv->phase[k] = phase_stage_ref ((PhaseStage *) old);
    }
  {
    const bool both = dirty[0] && dirty[1] && c.threads > 1;
    PsProgress psub = ps_progress_sub (progress, 0.55, 0.97);
    ProgressPair pair;
    ProgressSlot slots[2];
    PsProgress jp[2];
    progress_pair_init (&pair, slots, jp, &psub, dirty[1] ? 0.5 : 1.0, dirty[0] ? 0.5 : 1.0);
    for (int k = 0; k < 2; k++)
      {
        jobs[k] = (PhaseJob) {
          .c = c, .phase = k, .h_nm = hs[k], .dist = k == 0 ? &r->pores.distance : &r->carbon.distance,
          .edits = &edits[k], .raw = pv->raw, .exterior = k == 0 ? r->exterior : NULL,
          .origin_nm = r->origin_nm, .progress = jp[k], .skip = !dirty[k], .st = PS_OK,
        };
      }
    if (both)
      {
        /* The larger phase's watershed is the long pole: its flood of one
         * giant component runs on one thread. So its seeds (parallel) come
         * first with every thread; then its watershed runs beside the whole
         * of the other phase, one thread each. */
        const int big = 2 * r->n_pore_voxels > c.n ? 0 : 1;
        PhaseJob *jb = &jobs[big];
        double t = wtime ();
        jb->seeded = phase_seeds (&jb->c, jb->h_nm, jb->dist, jb->edits, &jb->progress, &jb->relabel,
                                  &jb->st);
        jb->seconds = wtime () - t;
        if (jb->seeded == NULL)
          jb->skip = true;
        for (int k = 0; k < 2; k++)
          jobs[k].c.threads = k == big ? c.threads / 2 : c.threads - c.threads / 2;
      }
    run_two (phase_job, &jobs[0], phase_job, &jobs[1], both);
    pthread_mutex_destroy (&pair.mutex);
  }
  for (int k = 0; k < 2; k++)
    if (dirty[k])
      {
        pv->phase[k] = jobs[k].out;
        if (pv->phase[k] == NULL && st == PS_OK)
          st = jobs[k].st;
        r->stages_run |= k == 0 ? PS_ANALYSIS_STAGE_PORES : PS_ANALYSIS_STAGE_CARBON;
        r->stage_seconds[6 + k] = jobs[k].seconds;
      }
  if (st != PS_OK || pv->phase[0] == NULL || pv->phase[1] == NULL)
    {
      if (st == PS_OK)
        st = PS_ERROR_FAILED;
      goto fail;
    }
  for (int k = 0; k < 2; k++)
    {
      phs[k]->labels = pv->phase[k]->labels;
      phs[k]->seeds = pv->phase[k]->seeds;   /* shallow: owned by the stage */
      phs[k]->objects = pv->phase[k]->objects;
      phs[k]->n_edits = pv->phase[k]->n_edits;
      if ((st = phase_summary (phs[k])) != PS_OK)
        goto fail;
    }
  r->network = pv->phase[0]->network;

  /* ---- HISTOGRAMS ---- */
  if ((st = histograms (r, &c)) != PS_OK)
    goto fail;
  free (edits[0].v);
  free (edits[1].v);
#undef STAGE_DONE
  r->total_seconds = wtime () - t_start;
  ps_progress_report (progress, 1.0, "Done");
  *out = r;
  return PS_OK;

oom:
  st = PS_ERROR_NO_MEMORY;
fail:
  free (edits[0].v);
  free (edits[1].v);
  ps_analysis_result_free (r);
  return st;
}
