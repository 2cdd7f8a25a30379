/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The reconstruction frame (tilt-axis rotation and shifts) and the forward
 * projector; see ps-project.h and ps-recon-private.h. */
#include "ps-project.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ps-memory.h"
#include "ps-recon-private.h"
#include "ps-size.h"

void
ps_cos_sin_deg (double deg, double *c, double *s)
{
  double r = fmod (deg, 360.0);
  if (r < 0)
    r += 360.0;
  if (r == 0.0) { *c = 1; *s = 0; return; }
  if (r == 90.0) { *c = 0; *s = 1; return; }
  if (r == 180.0) { *c = -1; *s = 0; return; }
  if (r == 270.0) { *c = 0; *s = -1; return; }
  *c = cos (deg * (M_PI / 180.0));
  *s = sin (deg * (M_PI / 180.0));
}

void
ps_recon_frame_size (const PsTiltSeries *ts, size_t *nx, size_t *ny)
{
  double c, s;
  ps_cos_sin_deg (ts->tilt_axis_deg, &c, &s);
  if (fabs (c) >= fabs (s))
    {
      *nx = ts->nx;
      *ny = ts->ny;
    }
  else
    {
      *nx = ts->ny;
      *ny = ts->nx;
    }
}

bool
ps_recon_frame_is_identity (const PsTiltSeries *ts)
{
  double c, s;
  ps_cos_sin_deg (ts->tilt_axis_deg, &c, &s);
  if (c != 1.0 || s != 0.0)
    return false;
  for (size_t i = 0; i < ts->n; i++)
    if (ts->shift_x[i] != 0.0 || ts->shift_y[i] != 0.0)
      return false;
  return true;
}

void
ps_recon_aligned_row (const PsTiltSeries *ts, size_t i, size_t y, float *dst)
{
  size_t nxa, nya;
  double c, s;
  const float *img = ps_tilt_series_image (ts, i);

  ps_recon_frame_size (ts, &nxa, &nya);
  ps_cos_sin_deg (ts->tilt_axis_deg, &c, &s);
  const double cx = 0.5 * (double) (ts->nx - 1), cy = 0.5 * (double) (ts->ny - 1);
  const double cxa = 0.5 * (double) (nxa - 1), cya = 0.5 * (double) (nya - 1);
  const double py = (double) y - cya;
  const double sx = ts->shift_x[i], sy = ts->shift_y[i];

  if (c == 1.0 && s == 0.0 && sx == 0.0 && sy == 0.0)
    {
      memcpy (dst, img + y * ts->nx, ts->nx * sizeof (float));
      return;
    }
  for (size_t x = 0; x < nxa; x++)
    {
      double px = (double) x - cxa;
      double X = cx + c * px - s * py + sx;
      double Y = cy + s * px + c * py + sy;
      dst[x] = ps_sample_clamped (img, ts->nx, ts->ny, X, Y);
    }
}

void
ps_recon_aligned_image (const PsTiltSeries *ts, size_t i, float *dst)
{
  size_t nxa, nya;
  ps_recon_frame_size (ts, &nxa, &nya);
  for (size_t y = 0; y < nya; y++)
    ps_recon_aligned_row (ts, i, y, dst + y * nxa);
}

/* ---- forward projector ---------------------------------------------------- */

PsStatus
ps_project_validate (const PsProjectParams *params, const PsVolume *vol, char *why, size_t why_len)
{
  char reason[160];

  if (params == NULL || vol == NULL || vol->data == NULL)
    {
      ps_set_why (why, why_len, "no volume to project");
      return PS_ERROR_INVALID_PARAMETER;
    }
  if (params->n_angles == 0 || params->angles == NULL)
    {
      ps_set_why (why, why_len, "no tilt angles given");
      return PS_ERROR_INVALID_PARAMETER;
    }
  if (!ps_angles_check (params->angles, params->n_angles, reason, sizeof reason))
    {
      ps_set_why (why, why_len, "%s", reason);
      return PS_ERROR_INVALID_PARAMETER;
    }
  if (vol->nx < 2)
    {
      ps_set_why (why, why_len, "the volume is only %zu voxel wide", vol->nx);
      return PS_ERROR_INVALID_PARAMETER;
    }
  const size_t total = ps_volume_n_voxels (vol);
  size_t first = SIZE_MAX;
#pragma omp parallel for reduction(min : first) schedule(static)
  for (size_t i = 0; i < total; i++)
    if (!isfinite (vol->data[i]) && i < first)
      first = i;
  if (first != SIZE_MAX)
    {
      ps_set_why (why, why_len, "the volume has a non-finite voxel (NaN or infinity) at x = %zu, y = %zu, z = %zu",
                  first % vol->nx, (first / vol->nx) % vol->ny, first / (vol->nx * vol->ny));
      return PS_ERROR_INVALID_PARAMETER;
    }
  return PS_OK;
}

/* Per-thread buffers for forward projection of one slice. */
typedef struct
{
  float *S, *T, *Q, *P;
} FwdBuffers;

static bool
fwd_buffers_alloc (FwdBuffers *b, const PsSliceGeom *g)
{
  size_t slice = g->nx * g->nz;
  b->S = ps_aligned_alloc (slice * sizeof (float));
  b->T = g->any_b ? ps_aligned_alloc (slice * sizeof (float)) : NULL;
  b->Q = ps_aligned_alloc (g->n_angles * g->stride * sizeof (float));
  b->P = ps_aligned_alloc (g->n_angles * g->nd * sizeof (float));
  return b->S && (b->T || !g->any_b) && b->Q && b->P;
}

static void
fwd_buffers_free (FwdBuffers *b)
{
  ps_aligned_free (b->S);
  ps_aligned_free (b->T);
  ps_aligned_free (b->Q);
  ps_aligned_free (b->P);
}

/* Copy slice y of @vol into S (nz × nx) and, when needed, its transpose. */
static void
load_slice (const PsVolume *vol, size_t y, const PsSliceGeom *g, FwdBuffers *b)
{
  for (size_t z = 0; z < vol->nz; z++)
    memcpy (b->S + z * vol->nx, vol->data + (z * vol->ny + y) * vol->nx, vol->nx * sizeof (float));
  if (g->any_b)
    ps_transpose (b->S, vol->nz, vol->nx, b->T);
}

PsStatus
ps_project_run (const PsProjectParams *params, const PsVolume *vol, PsTiltSeries **out,
                const PsProgress *progress, char *why, size_t why_len)
{
  PsSliceGeom g;
  PsStatus st;
  PsTiltSeries *ts;
  PsProgressCounter counter;
  int failed = 0;

  *out = NULL;
  if ((st = ps_project_validate (params, vol, why, why_len)) != PS_OK)
    return st;
  if ((st = ps_slice_geom_init (&g, vol->nx, vol->nx, vol->nz, params->angles, params->n_angles, 1)) != PS_OK)
    return st;
  ts = ps_tilt_series_new (vol->nx, vol->ny, params->n_angles, &st);
  if (ts == NULL)
    {
      ps_slice_geom_clear (&g);
      return st;
    }
  memcpy (ts->angles, params->angles, params->n_angles * sizeof (double));
  ts->pixel_size[0] = vol->spacing[0];
  ts->pixel_size[1] = vol->spacing[1];
  ts->spacing_known = vol->spacing_known;

  ps_progress_counter_init (&counter, progress, vol->ny, "projecting");
#pragma omp parallel num_threads(ps_recon_threads (params->n_threads))
  {
    FwdBuffers b;
    bool ok = fwd_buffers_alloc (&b, &g);
    if (!ok)
      {
#pragma omp atomic write
        failed = PS_ERROR_NO_MEMORY;
      }
#pragma omp for schedule(dynamic, 1)
    for (size_t y = 0; y < vol->ny; y++)
      {
        int f;
#pragma omp atomic read
        f = failed;
        if (f || !ok)
          continue;
        if (ps_progress_cancelled (progress))
          {
#pragma omp atomic write
            failed = PS_ERROR_CANCELLED;
            continue;
          }
        load_slice (vol, y, &g, &b);
        ps_slice_forward (&g, b.S, b.T, NULL, g.n_angles, b.Q, b.P);
        for (size_t i = 0; i < g.n_angles; i++)
          memcpy (ps_tilt_series_image (ts, i) + y * vol->nx, b.P + i * g.nd, g.nd * sizeof (float));
        ps_progress_counter_add (&counter, 1);
      }
    fwd_buffers_free (&b);
  }
  ps_slice_geom_clear (&g);
  if (failed)
    {
      ps_tilt_series_unref (ts);
      if (failed == PS_ERROR_NO_MEMORY)
        ps_set_why (why, why_len, "out of memory");
      return (PsStatus) failed;
    }
  *out = ts;
  return PS_OK;
}

PsStatus
ps_reprojection_error (const PsVolume *vol, const PsTiltSeries *ts, int n_threads,
                       double *rel_err, const PsProgress *progress, char *why, size_t why_len)
{
  PsSliceGeom g;
  PsStatus st;
  size_t nxa, nya;
  double *num, *den;
  PsProgressCounter counter;
  int failed = 0;

  *rel_err = NAN;
  if ((st = ps_recon_check_series (ts, why, why_len)) != PS_OK)
    return st;
  ps_recon_frame_size (ts, &nxa, &nya);
  if (vol == NULL || vol->nx != nxa || vol->ny != nya)
    {
      ps_set_why (why, why_len, "the volume (%zu × %zu) does not match the aligned tilt series (%zu × %zu)",
                  vol ? vol->nx : 0, vol ? vol->ny : 0, nxa, nya);
      return PS_ERROR_INVALID_PARAMETER;
    }
  if ((st = ps_slice_geom_init (&g, nxa, nxa, vol->nz, ts->angles, ts->n, 1)) != PS_OK)
    return st;
  num = calloc (nya, sizeof (double));
  den = calloc (nya, sizeof (double));
  if (num == NULL || den == NULL)
    {
      free (num);
      free (den);
      ps_slice_geom_clear (&g);
      return PS_ERROR_NO_MEMORY;
    }
  ps_progress_counter_init (&counter, progress, nya, "reprojecting");
#pragma omp parallel num_threads(ps_recon_threads (n_threads))
  {
    FwdBuffers b;
    float *row = ps_aligned_alloc (nxa * sizeof (float));
    bool ok = fwd_buffers_alloc (&b, &g) && row != NULL;
    if (!ok)
      {
#pragma omp atomic write
        failed = PS_ERROR_NO_MEMORY;
      }
#pragma omp for schedule(dynamic, 1)
    for (size_t y = 0; y < nya; y++)
      {
        int f;
#pragma omp atomic read
        f = failed;
        if (f || !ok)
          continue;
        if (ps_progress_cancelled (progress))
          {
#pragma omp atomic write
            failed = PS_ERROR_CANCELLED;
            continue;
          }
        load_slice (vol, y, &g, &b);
        ps_slice_forward (&g, b.S, b.T, NULL, g.n_angles, b.Q, b.P);
        double sn = 0, sd = 0;
        for (size_t i = 0; i < ts->n; i++)
          {
            ps_recon_aligned_row (ts, i, y, row);
            const float *p = b.P + i * nxa;
            for (size_t x = 0; x < nxa; x++)
              {
                double d = (double) p[x] - (double) row[x];
                sn += d * d;
                sd += (double) row[x] * (double) row[x];
              }
          }
        num[y] = sn;
        den[y] = sd;
        ps_progress_counter_add (&counter, 1);
      }
    fwd_buffers_free (&b);
    ps_aligned_free (row);
  }
  ps_slice_geom_clear (&g);
  if (!failed)
    {
      double sn = 0, sd = 0;
      for (size_t y = 0; y < nya; y++)
        {
          sn += num[y];
          sd += den[y];
        }
      *rel_err = sd > 0 ? sqrt (sn / sd) : (sn > 0 ? INFINITY : 0.0);
    }
  free (num);
  free (den);
  return (PsStatus) failed;
}
