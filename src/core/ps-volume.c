/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "ps-volume.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ps-memory.h"
#include "ps-size.h"

static void
set_status (PsStatus *status, PsStatus value)
{
  if (status != NULL)
    *status = value;
}

static PsVolume *
volume_alloc (size_t nx, size_t ny, size_t nz, bool clear, PsStatus *status)
{
  PsVolume *vol;
  size_t bytes;

  if (nx == 0 || ny == 0 || nz == 0)
    {
      set_status (status, PS_ERROR_INVALID_PARAMETER);
      return NULL;
    }
  if (!ps_size_voxels_bytes (nx, ny, nz, sizeof (float), &bytes) ||
      ps_memory_check (bytes) != PS_OK)
    {
      set_status (status, PS_ERROR_TOO_LARGE);
      return NULL;
    }
  vol = calloc (1, sizeof *vol);
  if (vol == NULL)
    {
      set_status (status, PS_ERROR_NO_MEMORY);
      return NULL;
    }
  vol->data = clear ? ps_aligned_calloc (bytes) : ps_aligned_alloc (bytes);
  if (vol->data == NULL)
    {
      free (vol);
      set_status (status, PS_ERROR_NO_MEMORY);
      return NULL;
    }
  atomic_init (&vol->ref_count, 1);
  vol->nx = nx;
  vol->ny = ny;
  vol->nz = nz;
  vol->spacing[0] = vol->spacing[1] = vol->spacing[2] = 1.0;
  vol->spacing_known = false;
  set_status (status, PS_OK);
  return vol;
}

PsVolume *
ps_volume_new (size_t nx, size_t ny, size_t nz, PsStatus *status)
{
  return volume_alloc (nx, ny, nz, true, status);
}

PsVolume *
ps_volume_new_uninit (size_t nx, size_t ny, size_t nz, PsStatus *status)
{
  return volume_alloc (nx, ny, nz, false, status);
}

PsVolume *
ps_volume_new_wrap (size_t nx, size_t ny, size_t nz, float *data,
                    PsDataFree free_func, void *free_user)
{
  PsVolume *vol = calloc (1, sizeof *vol);
  if (vol == NULL)
    return NULL;
  atomic_init (&vol->ref_count, 1);
  vol->nx = nx;
  vol->ny = ny;
  vol->nz = nz;
  vol->spacing[0] = vol->spacing[1] = vol->spacing[2] = 1.0;
  vol->data = data;
  vol->data_free = free_func;
  vol->data_free_user = free_user;
  return vol;
}

PsVolume *
ps_volume_ref (PsVolume *vol)
{
  if (vol != NULL)
    atomic_fetch_add (&vol->ref_count, 1);
  return vol;
}

void
ps_volume_unref (PsVolume *vol)
{
  if (vol == NULL)
    return;
  if (atomic_fetch_sub (&vol->ref_count, 1) != 1)
    return;
  if (vol->data_free != NULL)
    vol->data_free (vol->data, vol->data_free_user);
  else
    ps_aligned_free (vol->data);
  free (vol);
}

void
ps_volume_set_spacing (PsVolume *vol, double dx, double dy, double dz)
{
  if (!(isfinite (dx) && dx > 0 && isfinite (dy) && dy > 0 && isfinite (dz) && dz > 0))
    return;
  vol->spacing[0] = dx;
  vol->spacing[1] = dy;
  vol->spacing[2] = dz;
  vol->spacing_known = true;
}

void
ps_volume_copy_geometry (PsVolume *dst, const PsVolume *src)
{
  memcpy (dst->spacing, src->spacing, sizeof dst->spacing);
  dst->spacing_known = src->spacing_known;
}

bool
ps_box_inside (const PsBox *box, size_t nx, size_t ny, size_t nz)
{
  return box->nx > 0 && box->ny > 0 && box->nz > 0 &&
         box->x0 < nx && box->y0 < ny && box->z0 < nz &&
         box->nx <= nx - box->x0 && box->ny <= ny - box->y0 && box->nz <= nz - box->z0;
}

PsVolume *
ps_volume_crop (const PsVolume *vol, const PsBox *box, PsStatus *status)
{
  PsVolume *out;

  if (vol == NULL || box == NULL || !ps_box_inside (box, vol->nx, vol->ny, vol->nz))
    {
      set_status (status, PS_ERROR_INVALID_PARAMETER);
      return NULL;
    }
  out = ps_volume_new_uninit (box->nx, box->ny, box->nz, status);
  if (out == NULL)
    return NULL;
  ps_volume_copy_geometry (out, vol);
#pragma omp parallel for schedule(static)
  for (size_t z = 0; z < box->nz; z++)
    for (size_t y = 0; y < box->ny; y++)
      memcpy (out->data + (z * box->ny + y) * box->nx,
              vol->data + ps_volume_index (vol, box->x0, box->y0 + y, box->z0 + z),
              box->nx * sizeof (float));
  return out;
}

PsVolume *
ps_volume_copy (const PsVolume *vol, PsStatus *status)
{
  PsBox box = ps_box_full (vol->nx, vol->ny, vol->nz);
  return ps_volume_crop (vol, &box, status);
}

PsVolume *
ps_volume_permute (const PsVolume *vol, const int order[3], PsStatus *status)
{
  size_t in_n[3] = { vol->nx, vol->ny, vol->nz };
  size_t in_stride[3] = { 1, vol->nx, vol->nx * vol->ny };
  size_t n[3], stride[3];
  PsVolume *out;
  int seen = 0;

  for (int a = 0; a < 3; a++)
    {
      if (order[a] < 0 || order[a] > 2 || (seen & (1 << order[a])))
        {
          set_status (status, PS_ERROR_INVALID_PARAMETER);
          return NULL;
        }
      seen |= 1 << order[a];
      n[a] = in_n[order[a]];
      stride[a] = in_stride[order[a]];
    }
  out = ps_volume_new_uninit (n[0], n[1], n[2], status);
  if (out == NULL)
    return NULL;
  for (int a = 0; a < 3; a++)
    out->spacing[a] = vol->spacing[order[a]];
  out->spacing_known = vol->spacing_known;

  /* Tile over (y, z) rows; the x loop strides through the input. For the
   * common yz swap (order 0 2 1) the inner loop is contiguous. */
#pragma omp parallel for schedule(static)
  for (size_t z = 0; z < n[2]; z++)
    for (size_t y = 0; y < n[1]; y++)
      {
        const float *src = vol->data + z * stride[2] + y * stride[1];
        float *dst = out->data + (z * n[1] + y) * n[0];
        if (stride[0] == 1)
          memcpy (dst, src, n[0] * sizeof (float));
        else
          for (size_t x = 0; x < n[0]; x++)
            dst[x] = src[x * stride[0]];
      }
  return out;
}

PsVolume *
ps_volume_swap_yz (const PsVolume *vol, PsStatus *status)
{
  static const int order[3] = { 0, 2, 1 };
  return ps_volume_permute (vol, order, status);
}

/* ---- labels ---------------------------------------------------------- */

PsLabels *
ps_labels_new (size_t nx, size_t ny, size_t nz, PsStatus *status)
{
  PsLabels *labels;
  size_t bytes;

  if (nx == 0 || ny == 0 || nz == 0)
    {
      set_status (status, PS_ERROR_INVALID_PARAMETER);
      return NULL;
    }
  if (!ps_size_voxels_bytes (nx, ny, nz, sizeof (uint32_t), &bytes) ||
      ps_memory_check (bytes) != PS_OK)
    {
      set_status (status, PS_ERROR_TOO_LARGE);
      return NULL;
    }
  labels = calloc (1, sizeof *labels);
  if (labels == NULL)
    {
      set_status (status, PS_ERROR_NO_MEMORY);
      return NULL;
    }
  labels->data = ps_aligned_calloc (bytes);
  if (labels->data == NULL)
    {
      free (labels);
      set_status (status, PS_ERROR_NO_MEMORY);
      return NULL;
    }
  atomic_init (&labels->ref_count, 1);
  labels->nx = nx;
  labels->ny = ny;
  labels->nz = nz;
  labels->spacing[0] = labels->spacing[1] = labels->spacing[2] = 1.0;
  set_status (status, PS_OK);
  return labels;
}

PsLabels *
ps_labels_ref (PsLabels *labels)
{
  if (labels != NULL)
    atomic_fetch_add (&labels->ref_count, 1);
  return labels;
}

void
ps_labels_unref (PsLabels *labels)
{
  if (labels == NULL)
    return;
  if (atomic_fetch_sub (&labels->ref_count, 1) != 1)
    return;
  ps_aligned_free (labels->data);
  free (labels);
}

void
ps_labels_update_count (PsLabels *labels)
{
  size_t n = labels->nx * labels->ny * labels->nz;
  uint32_t max = 0;
#pragma omp parallel for reduction(max:max) schedule(static)
  for (size_t i = 0; i < n; i++)
    if (labels->data[i] > max)
      max = labels->data[i];
  labels->n_labels = max;
}
