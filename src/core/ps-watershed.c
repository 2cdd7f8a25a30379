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
  uint32_t comp;
  size_t order;
} SeedRef;

/* By component, then raster order, then list order. */
static int
cmp_seed_ref (const void *a, const void *b)
{
  const SeedRef *x = a, *y = b;
  if (x->comp != y->comp)
    return x->comp < y->comp ? -1 : 1;
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

/* Flood one component from its seeds (refs[0 … n), their groups already
 * mapped to output labels): highest distance first, FIFO among equal
 * distances, a voxel labelled when first queued (as skimage does without
 * watershed lines: a voxel cannot be reached at a better priority later).
 * FIFO keeps the tie order skimage's (value, age) heap has; the cost is
 * memory latency, so the neighbourhood of a voxel a few places ahead in the
 * queue is prefetched. */
static bool
flood_component (const _PsFloodMap *map, const _PsNbhd *nb, uint32_t *S, _PsQueue *q,
                 uint32_t comp, const SeedRef *refs, size_t n, _PsWork *work)
{
  const void *keys = map->d2 ? (const void *) map->d2 : (const void *) map->dnm;
  for (size_t s = 0; s < n; s++)
    {
      size_t idx = refs[s].index;
      if (S[idx] != comp)
        continue;   /* two seeds on one voxel: the first in list order wins */
      S[idx] = _PS_LABELLED | refs[s].group;
      if (!_ps_queue_push (q, _ps_flood_key (map, idx), idx))
        return false;
    }
  size_t popped = 0, p;
  uint32_t kp;
  while (_ps_queue_pop (q, &p, &kp))
    {
      if ((++popped & 0xffff) == 0 && _ps_work_stop (work))
        {
          while (_ps_queue_pop (q, &p, &kp))
            ;
          return true;
        }
      _ps_prefetch_nbhd (nb, _ps_queue_peek (q, 6), S, keys);
      uint32_t l = S[p];
      size_t nbr[26];
      int c = _ps_nbhd_of (nb, p, nbr);
      for (int t = 0; t < c; t++)
        {
          size_t r = nbr[t];
          if (S[r] != comp)
            continue;
          S[r] = l;
          if (!_ps_queue_push (q, _ps_flood_key (map, r), r))
            return false;
        }
    }
  return true;
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
  uint32_t *S = labels;
  _PsFloodMap map;
  uint32_t max_key = 0, n_comp = 0;
  _PsNbhd nb;
  SeedRef *refs = NULL;
  uint32_t *groups = NULL, *seed_first = NULL, *rank = NULL;
  uint64_t *sizes = NULL;
  _PsCompOrder *order = NULL;
  bool failed = false;

  st = _ps_flood_map_init (&map, dist, mask, n, nt, &max_key);
  if (st != PS_OK)
    return st;
  _ps_nbhd_init (&nb, grid, params->connectivity);

  /* Components of the region, into the label buffer. */
  PsProgress sub = ps_progress_sub (progress, 0.0, 0.25);
  st = _ps_flood_components (grid, &map, params->connectivity, nt, S, &n_comp, &sizes,
                             progress ? &sub : NULL);
  if (st != PS_OK)
    goto out;

  /* Seeds inside the region, by component; groups → labels 1 … G in
   * increasing group order. */
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
          if (S[idx] == 0)
            continue;
          refs[n_in] = (SeedRef) { idx, sd->group, S[idx], s };
          groups[n_in] = sd->group;
          n_in++;
        }
      qsort (refs, n_in, sizeof *refs, cmp_seed_ref);
      qsort (groups, n_in, sizeof *groups, cmp_u32);
    }
  size_t n_groups = 0;
  for (size_t s = 0; s < n_in; s++)
    if (n_groups == 0 || groups[n_groups - 1] != groups[s])
      groups[n_groups++] = groups[s];
  for (size_t s = 0; s < n_in; s++)
    {
      uint32_t *g = bsearch (&refs[s].group, groups, n_groups, sizeof *groups, cmp_u32);
      refs[s].group = (uint32_t) (g - groups) + 1;
    }

  /* Seeds per component; seeded components largest first; the unseeded
   * ones numbered after the groups, in raster order of their first voxel. */
  seed_first = calloc ((size_t) n_comp + 2, sizeof *seed_first);
  rank = calloc ((size_t) n_comp + 1, sizeof *rank);
  order = malloc (((size_t) n_comp + 1) * sizeof *order);
  if (seed_first == NULL || rank == NULL || order == NULL)
    {
      st = PS_ERROR_NO_MEMORY;
      goto out;
    }
  for (size_t s = 0; s < n_in; s++)
    seed_first[refs[s].comp + 1]++;
  for (uint32_t c = 0; c <= n_comp; c++)
    seed_first[c + 1] += seed_first[c];
  size_t n_order = 0;
  uint64_t count = n_groups;
  for (uint32_t c = 1; c <= n_comp; c++)
    {
      if (seed_first[c + 1] > seed_first[c])
        order[n_order++] = (_PsCompOrder) { sizes[c], c };
      else if (params->label_unseeded)
        rank[c] = (uint32_t) ++count;
    }
  if (count >= _PS_LABELLED)
    {
      st = PS_ERROR_TOO_LARGE;
      goto out;
    }
  qsort (order, n_order, sizeof *order, _ps_comp_order_cmp);

  _PsWork work;
  _ps_work_init (&work, progress, "Watershed", 0.25, 0.95, n_order);
#pragma omp parallel num_threads(nt) reduction(|:failed)
  {
    _PsQueue q;
    if (_ps_queue_init (&q, max_key, map.d2 != NULL, n) != PS_OK)
      failed = true;
#pragma omp for schedule(dynamic, 1)
    for (size_t o = 0; o < n_order; o++)
      {
        if (failed || _ps_work_stop (&work))
          continue;
        uint32_t c = order[o].comp;
        if (!flood_component (&map, &nb, S, &q, c, refs + seed_first[c],
                              seed_first[c + 1] - seed_first[c], &work))
          failed = true;
        _ps_work_item_done (&work);
      }
    _ps_queue_free (&q);
  }
  if (failed)
    {
      st = PS_ERROR_NO_MEMORY;
      goto out;
    }
  if (_ps_work_was_cancelled (&work))
    {
      st = PS_ERROR_CANCELLED;
      goto out;
    }

  /* Final labels: flooded voxels drop the flag; unseeded components take
   * their rank (0 without label_unseeded). */
#pragma omp parallel for schedule(static) num_threads(nt)
  for (size_t i = 0; i < n; i++)
    {
      uint32_t v = S[i];
      S[i] = (v & _PS_LABELLED) ? (v & ~_PS_LABELLED) : rank[v];
    }
  if (n_labels != NULL)
    *n_labels = (uint32_t) count;
  ps_progress_report (progress, 1.0, "Watershed");
  st = PS_OK;

out:
  free (refs);
  free (groups);
  free (seed_first);
  free (rank);
  free (order);
  free (sizes);
  return st;
}
