/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "ps-gl-volume-data"

#include "config.h"

#include <gio/gio.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ps-error.h"
#include "ps-gl-volume-data.h"
#include "ps-memory.h"
#include "ps-size.h"
#include "ps-stats.h"

gsize
ps_gl_default_texture_budget (void)
{
  const char *env = g_getenv ("PORESCOPE_GL_BUDGET");
  gsize avail = ps_memory_available ();
  gsize budget = (gsize) 2 << 30;

  if (env != NULL && *env != '\0')
    {
      char *end = NULL;
      double v = g_ascii_strtod (env, &end);
      if (end != NULL && (*end == 'k' || *end == 'K'))
        v *= 1024.0;
      else if (end != NULL && (*end == 'm' || *end == 'M'))
        v *= 1024.0 * 1024.0;
      else if (end != NULL && (*end == 'g' || *end == 'G'))
        v *= 1024.0 * 1024.0 * 1024.0;
      if (v > 0 && v < 1e18)
        return (gsize) v;
    }
  if (avail != SIZE_MAX && avail / 3 < budget)
    budget = avail / 3;
  return budget;
}

void
ps_gl_volume_data_free (PsGlVolumeData *data)
{
  if (data == NULL)
    return;
  ps_aligned_free (data->intensity);
  ps_aligned_free (data->codes);
  g_free (data->bricks);
  g_free (data->notice);
  g_free (data);
}

static gboolean
status_to_error (PsStatus st, const char *what, GError **error)
{
  if (st == PS_OK)
    return TRUE;
  return ps_set_error_from_status (error, st, what);
}

static gboolean
make_codes (PsGlVolumeData *d, const PsLabels *pores, const PsLabels *carbon,
            const PsGlVolumeLimits *limits, const PsProgress *progress, GError **error)
{
  const PsLabels *ref = pores != NULL ? pores : carbon;
  PsRenderLabelsParams lp = { 0 };
  gsize bytes = 0;
  PsStatus st;

  if (ref == NULL)
    return TRUE;
  if (ref->nx != d->src_dims[0] || ref->ny != d->src_dims[1] || ref->nz != d->src_dims[2] ||
      (pores != NULL && carbon != NULL &&
       (carbon->nx != pores->nx || carbon->ny != pores->ny || carbon->nz != pores->nz)))
    {
      g_set_error (error, PS_ERROR, PS_ERROR_CODE_INVALID_PARAMETER,
                   "3D view: the labels are not the size of the volume (%zu × %zu × %zu)",
                   d->src_dims[0], d->src_dims[1], d->src_dims[2]);
      return FALSE;
    }
  lp.pores = pores;
  lp.carbon = carbon;
  lp.factor = d->factor;
  lp.code_size = ps_render_labels_code_size (pores, carbon);
  lp.n_threads = limits ? limits->n_threads : 0;
  if (lp.code_size == 0)
    {
      g_set_error (error, PS_ERROR, PS_ERROR_CODE_TOO_LARGE,
                   "3D view: too many labelled objects to show (more than 2^30)");
      return FALSE;
    }
  if (!ps_size_voxels_bytes (d->dims[0], d->dims[1], d->dims[2], lp.code_size, &bytes) ||
      ps_memory_check (bytes) != PS_OK)
    return ps_set_error_too_large (error, "3D view labels", bytes);
  d->codes = ps_aligned_alloc (bytes);
  if (d->codes == NULL)
    return ps_set_error_too_large (error, "3D view labels", bytes);
  d->code_size = lp.code_size;
  st = ps_render_labels_run (&lp, d->codes, progress);
  return status_to_error (st, "3D view labels", error);
}

static gboolean
make_bricks (PsGlVolumeData *d, const PsGlVolumeLimits *limits)
{
  PsRenderBricksParams bp = { 0 };
  bp.intensity = d->intensity;
  bp.format = d->format;
  bp.codes = d->codes;
  bp.code_size = d->code_size;
  bp.nx = d->dims[0];
  bp.ny = d->dims[1];
  bp.nz = d->dims[2];
  bp.n_threads = limits ? limits->n_threads : 0;
  return ps_render_bricks_run (&bp, d->bricks) == PS_OK;
}

PsGlVolumeData *
ps_gl_volume_data_new (const PsVolume *vol, const PsLabels *pores, const PsLabels *carbon,
                       const PsGlVolumeLimits *limits, const PsProgress *progress, GError **error)
{
  g_autoptr(PsGlVolumeData) d = NULL;
  PsGlVolumeLimits lim = { 2048, 0, PS_RENDER_TEX_U16, 0, TRUE };
  PsRenderVolumeParams vp = { 0 };
  PsStats stats;
  gsize bytes = 0, per_voxel, n_bricks;
  PsStatus st;

  g_return_val_if_fail (vol != NULL, NULL);
  if (limits != NULL)
    lim = *limits;
  if (lim.budget_bytes == 0)
    lim.budget_bytes = ps_gl_default_texture_budget ();
  if (lim.max_3d_size == 0)
    lim.max_3d_size = 2048;

  d = g_new0 (PsGlVolumeData, 1);
  d->src_dims[0] = vol->nx;
  d->src_dims[1] = vol->ny;
  d->src_dims[2] = vol->nz;
  memcpy (d->src_spacing, vol->spacing, sizeof d->src_spacing);
  d->spacing_known = vol->spacing_known;
  d->format = lim.format;

  /* Room for u16 label codes is always reserved, so labels arriving later
   * never push the textures over the budget. */
  per_voxel = ps_render_tex_format_size (lim.format) +
              MAX ((gsize) 2, ps_render_labels_code_size (pores, carbon));
  d->factor = ps_render_choose_factor (vol->nx, vol->ny, vol->nz, lim.max_3d_size, per_voxel,
                                       lim.budget_bytes);
  if (d->factor == 0)
    {
      g_set_error (error, PS_ERROR, PS_ERROR_CODE_TOO_LARGE,
                   "3D view: the volume cannot be shown even reduced (GPU limit %zu voxels per axis)",
                   lim.max_3d_size);
      return NULL;
    }
  for (int a = 0; a < 3; a++)
    d->dims[a] = ps_render_reduced (d->src_dims[a], d->factor);
  if (d->factor > 1)
    {
      char need[32], budget[32];
      gsize full = 0;
      ps_size_voxels_bytes (vol->nx, vol->ny, vol->nz, per_voxel, &full);
      ps_format_bytes (full, need, sizeof need);
      ps_format_bytes (lim.budget_bytes, budget, sizeof budget);
      d->notice = g_strdup_printf ("3D view downsampled %d× to %zu × %zu × %zu: the volume (%zu × %zu × %zu, %s) "
                                   "exceeds what the GPU may hold (at most %zu voxels per axis and %s of textures)",
                                   d->factor, d->dims[0], d->dims[1], d->dims[2],
                                   vol->nx, vol->ny, vol->nz, need, lim.max_3d_size, budget);
    }

  /* Normalise over the finite data range; window/level is applied later. */
  ps_stats_volume (vol, NULL, &stats);
  d->lo = stats.n > 0 ? stats.min : 0.0;
  d->hi = stats.n > 0 ? stats.max : 1.0;
  if (!(d->hi > d->lo))
    d->hi = d->lo + 1.0;
  d->data_min = d->lo;
  d->data_max = d->hi;
  /* 8-bit data in a 16-bit texture waste half the memory and bandwidth. */
  if (d->format == PS_RENDER_TEX_U16 && d->factor == 1 && lim.auto_u8 &&
      ps_render_volume_fits_u8 (vol, d->lo, d->hi, lim.n_threads))
    {
      d->format = PS_RENDER_TEX_U8;
      d->hi = d->lo + 255.0;
    }

  if (!ps_size_voxels_bytes (d->dims[0], d->dims[1], d->dims[2], ps_render_tex_format_size (d->format), &bytes) ||
      ps_memory_check (bytes) != PS_OK)
    {
      ps_set_error_too_large (error, "3D view", bytes);
      return NULL;
    }
  d->intensity = ps_aligned_alloc (bytes);
  if (d->intensity == NULL)
    {
      ps_set_error_too_large (error, "3D view", bytes);
      return NULL;
    }
  vp.volume = vol;
  vp.factor = d->factor;
  vp.format = d->format;
  vp.lo = d->lo;
  vp.hi = d->hi;
  vp.n_threads = lim.n_threads;
  {
    PsProgress sub = ps_progress_sub (progress, 0.0, (pores || carbon) ? 0.6 : 0.95);
    st = ps_render_volume_run (&vp, d->intensity, progress ? &sub : NULL);
  }
  if (!status_to_error (st, "3D view", error))
    return NULL;

  if (pores != NULL || carbon != NULL)
    {
      PsProgress sub = ps_progress_sub (progress, 0.6, 0.95);
      if (!make_codes (d, pores, carbon, &lim, progress ? &sub : NULL, error))
        return NULL;
    }

  for (int a = 0; a < 3; a++)
    d->brick_dims[a] = ps_render_n_bricks (d->dims[a]);
  n_bricks = d->brick_dims[0] * d->brick_dims[1] * d->brick_dims[2];
  d->bricks = g_new0 (guint16, 4 * n_bricks);
  make_bricks (d, &lim);
  ps_progress_report (progress, 1.0, NULL);
  return g_steal_pointer (&d);
}

PsGlVolumeData *
ps_gl_volume_data_new_labels (const PsGlVolumeData *base, const PsLabels *pores,
                              const PsLabels *carbon, const PsGlVolumeLimits *limits,
                              const PsProgress *progress, GError **error)
{
  g_autoptr(PsGlVolumeData) d = NULL;
  gsize n_bricks;

  g_return_val_if_fail (base != NULL && base->bricks != NULL, NULL);
  d = g_new0 (PsGlVolumeData, 1);
  memcpy (d->src_dims, base->src_dims, sizeof d->src_dims);
  memcpy (d->src_spacing, base->src_spacing, sizeof d->src_spacing);
  d->spacing_known = base->spacing_known;
  d->factor = base->factor;
  memcpy (d->dims, base->dims, sizeof d->dims);
  d->format = base->format;
  d->lo = base->lo;
  d->hi = base->hi;
  d->data_min = base->data_min;
  d->data_max = base->data_max;
  d->notice = g_strdup (base->notice);
  memcpy (d->brick_dims, base->brick_dims, sizeof d->brick_dims);
  n_bricks = d->brick_dims[0] * d->brick_dims[1] * d->brick_dims[2];
  d->bricks = g_memdup2 (base->bricks, 4 * n_bricks * sizeof (guint16));
  if (!make_codes (d, pores, carbon, limits, progress, error))
    return NULL;
  make_bricks (d, limits);   /* intensity NULL: occupancy only */
  return g_steal_pointer (&d);
}
