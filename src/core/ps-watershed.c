/* SPDX-License-Identifier: GPL-3.0-or-later */
/* ps-watershed.c: marker-controlled watershed by priority flood (see
 * ps-watershed.h). */
#include "ps-watershed.h"

#include <stdlib.h>
#include <string.h>

#include "ps-flood-private.h"

void
ps_watershed_params_init (PsWatershedParams *params)
{
  memset (params, 0, sizeof *params);
  params->connectivity = 26;
  params->label_unseeded = true;
}

PsStatus
ps_watershed_validate (const PsWatershedParams *params, const PsGrid *grid,
                       const PsDistanceMap *dist)
{
  if (params == NULL || params->n_threads < 0 ||
      (params->connectivity != 6 && params->connectivity != 18 && params->connectivity != 26) ||
      dist == NULL || (dist->dist2 == NULL && dist->dist_nm == NULL))
    return PS_ERROR_INVALID_PARAMETER;
  if (dist->dist2 != NULL && !dist->metric.integer)
    return PS_ERROR_INVALID_PARAMETER;
  return ps_grid_validate (grid);
}

typedef struct
{
  size_t index;
  uint32_t group;
  size_t order;
} SeedRef;

static int
cmp_seed_ref (const void *a, const void *b)
{
  const SeedRef *x = a, *y = b;
  if (x->index != y->index)
    return x->index < y->index ? -1 : 1;
  return x->order < y->order ? -1 : x->order > y->order;
}

static int
cmp_u32 (const void *a, const void *b)
{
  uint32_t x = *(const uint32_t *) a, y = *(const uint32_t *) b;
  return x < y ? -1 : x > y;
}

PsStatus
ps_watershed_run (const PsWatershedParams *params, const PsGrid *grid, const PsDistanceMap *dist,
                  const uint8_t *mask, const PsSeedList *seeds, uint32_t *labels,
                  uint32_t *n_labels, const PsProgress *progress)
{
  PsStatus st = ps_watershed_validate (params, grid, dist);
  if (st != PS_OK)
    return st;
  if (labels == NULL)
    return PS_ERROR_INVALID_PARAMETER;

  const size_t n = ps_grid_n_voxels (grid);
  const int nt = ps_threads_resolve (params->n_threads);
  const size_t n_seeds = seeds != NULL ? seeds->n : 0;
  _PsFloodMap map;
  uint32_t max_key = 0;
  _PsNbhd nb;
  _PsQueue q;
  SeedRef *refs = NULL;
  uint32_t *groups = NULL;
  size_t *stack = NULL;
  memset (&q, 0, sizeof q);

  st = _ps_flood_map_init (&map, dist, mask, n, nt, &max_key);
  if (st != PS_OK)
    return st;
  _ps_nbhd_init (&nb, grid, params->connectivity);
  st = _ps_queue_init (&q, max_key, map.d2 != NULL, n);
  if (st != PS_OK)
    return st;

  /* Seeds inside the region, in raster order (ties: list order). */
  size_t n_in = 0;
  if (n_seeds > 0)
    {
      refs = malloc (n_seeds * sizeof *refs);
      groups = malloc (n_seeds * sizeof *groups);
      if (refs == NULL || groups == NULL)
        {
          st = PS_ERROR_NO_MEMORY;
          goto out;
        }
      for (size_t s = 0; s < n_seeds; s++)
        {
          const PsSeed *sd = &seeds->items[s];
          if (sd->x >= grid->nx || sd->y >= grid->ny || sd->z >= grid->nz || sd->group == 0)
            continue;
          size_t idx = ((size_t) sd->z * grid->ny + sd->y) * grid->nx + sd->x;
          if (!_ps_flood_in_region (&map, idx))
            continue;
          refs[n_in] = (SeedRef) { idx, sd->group, s };
          groups[n_in] = sd->group;
          n_in++;
        }
      qsort (refs, n_in, sizeof *refs, cmp_seed_ref);
      qsort (groups, n_in, sizeof *groups, cmp_u32);
    }
  /* Groups → labels 1 … G in increasing group order. */
  size_t n_groups = 0;
  for (size_t s = 0; s < n_in; s++)
    if (n_groups == 0 || groups[n_groups - 1] != groups[s])
      groups[n_groups++] = groups[s];

#pragma omp parallel for schedule(static) num_threads(nt)
  for (size_t i = 0; i < n; i++)
    labels[i] = 0;

  for (size_t s = 0; s < n_in; s++)
    {
      size_t idx = refs[s].index;
      if (labels[idx] != 0)
        continue;   /* two seeds on one voxel: the first in list order wins */
      uint32_t *g = bsearch (&refs[s].group, groups, n_groups, sizeof *groups, cmp_u32);
      labels[idx] = (uint32_t) (g - groups) + 1;
      if (!_ps_queue_push (&q, _ps_flood_key (&map, idx), idx))
        {
          st = PS_ERROR_NO_MEMORY;
          goto out;
        }
    }

  /* The flood: label at push time, as skimage does without watershed
   * lines (a voxel cannot be reached at a better priority later). */
  size_t popped = 0, p;
  uint32_t kp;
  while (_ps_queue_pop (&q, &p, &kp))
    {
      if ((++popped & 0xffff) == 0)
        {
          if (ps_progress_cancelled (progress))
            {
              st = PS_ERROR_CANCELLED;
              goto out;
            }
          ps_progress_report (progress, 0.9 * (double) popped / (double) n, "Watershed");
        }
      uint32_t l = labels[p];
      size_t nbr[26];
      int c = _ps_nbhd_of (&nb, p, nbr);
      for (int t = 0; t < c; t++)
        {
          size_t r = nbr[t];
          if (labels[r] != 0 || !_ps_flood_in_region (&map, r))
            continue;
          labels[r] = l;
          if (!_ps_queue_push (&q, _ps_flood_key (&map, r), r))
            {
              st = PS_ERROR_NO_MEMORY;
              goto out;
            }
        }
    }

  /* Components no seed reached: one label each, in raster order. */
  uint32_t count = (uint32_t) n_groups;
  if (params->label_unseeded)
    {
      size_t cap = 0;
      for (size_t i0 = 0; i0 < n; i0++)
        {
          if (labels[i0] != 0 || !_ps_flood_in_region (&map, i0))
            continue;
          if (count == UINT32_MAX)
            {
              st = PS_ERROR_TOO_LARGE;
              goto out;
            }
          uint32_t l = ++count;
          size_t top = 0;
          if (cap == 0)
            {
              cap = 4096;
              stack = malloc (cap * sizeof *stack);
              if (stack == NULL)
                {
                  st = PS_ERROR_NO_MEMORY;
                  goto out;
                }
            }
          labels[i0] = l;
          stack[top++] = i0;
          while (top > 0)
            {
              size_t v = stack[--top], nbr[26];
              int c = _ps_nbhd_of (&nb, v, nbr);
              for (int t = 0; t < c; t++)
                {
                  size_t r = nbr[t];
                  if (labels[r] != 0 || !_ps_flood_in_region (&map, r))
                    continue;
                  if (top == cap)
                    {
                      size_t *ns = ps_memory_check (2 * cap * sizeof *stack) == PS_OK
                                     ? realloc (stack, 2 * cap * sizeof *stack) : NULL;
                      if (ns == NULL)
                        {
                          st = PS_ERROR_NO_MEMORY;
                          goto out;
                        }
                      stack = ns;
                      cap *= 2;
                    }
                  labels[r] = l;
                  stack[top++] = r;
                }
            }
        }
    }
  if (n_labels != NULL)
    *n_labels = count;
  ps_progress_report (progress, 1.0, "Watershed");
  st = PS_OK;

out:
  free (stack);
  free (refs);
  free (groups);
  _ps_queue_free (&q);
  return st;
}
