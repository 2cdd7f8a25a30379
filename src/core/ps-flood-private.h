/* SPDX-License-Identifier: GPL-3.0-or-later */
/* ps-flood-private.h: what the seeds and the watershed share (not
 * public): keys, regions and neighbourhoods on a distance map.
 *
 * Keys. Flooding order comes from a uint32 key per voxel, larger = earlier:
 * the exact squared distance (PsDistanceMap.dist2), or the bit pattern of
 * the float distance, which orders non-negative floats like their values.
 * PS_EDT_INFINITE (a phase with no background) maps to one past the largest
 * finite key.
 */
#pragma once

#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ps-edt.h"
#include "ps-grid.h"
#include "ps-kernel-private.h"
#include "ps-memory.h"
#include "ps-size.h"

typedef struct
{
  const uint32_t *d2;        /* or NULL */
  const float *dnm;          /* when d2 == NULL */
  const uint8_t *mask;       /* region; NULL = d > 0 */
  uint32_t inf_key;          /* key of an infinite distance */
  double unit_nm;
} _PsFloodMap;

static inline uint32_t
_ps_float_key (float f)
{
  uint32_t u;
  if (!(f > 0.0f))           /* 0, negative, NaN: the lowest key */
    return 0;
  memcpy (&u, &f, 4);
  return u;
}

static inline bool
_ps_flood_in_region (const _PsFloodMap *m, size_t i)
{
  if (m->mask != NULL)
    return m->mask[i] != 0;
  return m->d2 != NULL ? m->d2[i] != 0 : m->dnm[i] > 0.0f;
}

static inline uint32_t
_ps_flood_key (const _PsFloodMap *m, size_t i)
{
  if (m->d2 != NULL)
    {
      uint32_t v = m->d2[i];
      return v == PS_EDT_INFINITE ? m->inf_key : v;
    }
  return _ps_float_key (m->dnm[i]);
}

/* Distance in nm that a key stands for. */
static inline double
_ps_flood_key_nm (const _PsFloodMap *m, uint32_t key)
{
  if (m->d2 != NULL)
    return key == m->inf_key ? INFINITY : sqrt ((double) key) * m->unit_nm;
  float f;
  memcpy (&f, &key, 4);
  return (double) f;
}

/* Set up @m from a public distance map; returns the largest key in the
 * region (through *max_key) so the queue can size its buckets. */
static inline PsStatus
_ps_flood_map_init (_PsFloodMap *m, const PsDistanceMap *dist, const uint8_t *mask, size_t n,
                    int nt, uint32_t *max_key)
{
  memset (m, 0, sizeof *m);
  if (dist == NULL || (dist->dist2 == NULL && dist->dist_nm == NULL))
    return PS_ERROR_INVALID_PARAMETER;
  m->d2 = dist->dist2;
  m->dnm = dist->dist2 ? NULL : dist->dist_nm;
  m->mask = mask;
  m->unit_nm = dist->metric.unit_nm;
  if (m->d2 != NULL && !(m->unit_nm > 0.0 && isfinite (m->unit_nm)))
    return PS_ERROR_INVALID_PARAMETER;
  uint32_t mk = 0;
  if (m->d2 != NULL)
    {
      const uint32_t *d2 = m->d2;
#pragma omp parallel for schedule(static) num_threads(nt) reduction(max:mk)
      for (size_t i = 0; i < n; i++)
        if (d2[i] != PS_EDT_INFINITE && d2[i] > mk)
          mk = d2[i];
      m->inf_key = mk + 1;
      *max_key = mk + 1;
    }
  else
    {
      const float *d = m->dnm;
#pragma omp parallel for schedule(static) num_threads(nt) reduction(max:mk)
      for (size_t i = 0; i < n; i++)
        {
          uint32_t k = _ps_float_key (d[i]);
          if (k > mk)
            mk = k;
        }
      m->inf_key = _ps_float_key (INFINITY);
      *max_key = mk;
    }
  return PS_OK;
}

/* ---- neighbourhoods ------------------------------------------------------ */

typedef struct
{
  size_t nx, ny, nz;
  int n;                     /* 6, 18 or 26 */
  int off[26][3];
  long lin[26];              /* linear offsets */
} _PsNbhd;

static inline void
_ps_nbhd_init (_PsNbhd *nb, const PsGrid *g, int connectivity)
{
  nb->nx = g->nx;
  nb->ny = g->ny;
  nb->nz = g->nz;
  nb->n = _ps_neighbour_offsets (connectivity, nb->off);
  for (int k = 0; k < nb->n; k++)
    nb->lin[k] = ((long) nb->off[k][2] * (long) g->ny + nb->off[k][1]) * (long) g->nx + nb->off[k][0];
}

/* Neighbours of voxel @i inside the grid, into @out (≤ 26); returns count. */
static inline int
_ps_nbhd_of (const _PsNbhd *nb, size_t i, size_t *out)
{
  size_t x = i % nb->nx, t = i / nb->nx, y = t % nb->ny, z = t / nb->ny;
  int c = 0;
  if (x > 0 && y > 0 && z > 0 && x + 1 < nb->nx && y + 1 < nb->ny && z + 1 < nb->nz)
    {
      for (int k = 0; k < nb->n; k++)
        out[c++] = (size_t) ((long) i + nb->lin[k]);
      return c;
    }
  for (int k = 0; k < nb->n; k++)
    {
      long xx = (long) x + nb->off[k][0], yy = (long) y + nb->off[k][1], zz = (long) z + nb->off[k][2];
      if (xx < 0 || yy < 0 || zz < 0 || xx >= (long) nb->nx || yy >= (long) nb->ny || zz >= (long) nb->nz)
        continue;
      out[c++] = (size_t) ((long) i + nb->lin[k]);
    }
  return c;
}

/* Grow *buf to hold at least @need items (doubling; checked against the
 * memory budget). */
static inline bool
_ps_grow (size_t **buf, size_t *cap, size_t need)
{
  if (need <= *cap)
    return true;
  size_t c = *cap ? *cap : 256;
  while (c < need)
    c *= 2;
  if (ps_memory_check (c * sizeof (size_t)) != PS_OK)
    return false;
  size_t *nb = realloc (*buf, c * sizeof (size_t));
  if (nb == NULL)
    return false;
  *buf = nb;
  *cap = c;
  return true;
}
