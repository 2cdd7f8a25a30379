/* SPDX-License-Identifier: GPL-3.0-or-later */
/* ps-seeds.c: seed lists and h-maxima seeds (see ps-seeds.h). */
#include "ps-seeds.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ps-basins-private.h"

/* The marker extent that separated touching pores best on the phantoms, in
 * voxels of the smallest spacing (docs/architecture.md, "Segmentation
 * kernels", default h). */
#define PS_HMAXIMA_DEFAULT_H_VOXELS 0.4

/* ---- the list ------------------------------------------------------------ */

void
ps_seed_list_init (PsSeedList *list)
{
  memset (list, 0, sizeof *list);
}

void
ps_seed_list_clear (PsSeedList *list)
{
  free (list->items);
  memset (list, 0, sizeof *list);
}

static PsStatus
reserve (PsSeedList *list, size_t n)
{
  if (n <= list->capacity)
    return PS_OK;
  size_t cap = list->capacity ? list->capacity : 16, bytes;
  while (cap < n)
    {
      if (!ps_size_mul (cap, 2, &cap))
        return PS_ERROR_TOO_LARGE;
    }
  if (!ps_size_mul (cap, sizeof (PsSeed), &bytes) || ps_memory_check (bytes) != PS_OK)
    return PS_ERROR_TOO_LARGE;
  PsSeed *items = realloc (list->items, bytes);
  if (items == NULL)
    return PS_ERROR_NO_MEMORY;
  list->items = items;
  list->capacity = cap;
  return PS_OK;
}

PsStatus
ps_seed_list_copy (PsSeedList *dst, const PsSeedList *src)
{
  if (dst == src)
    return PS_OK;
  dst->n = 0;
  PsStatus st = reserve (dst, src->n);
  if (st != PS_OK)
    return st;
  if (src->n > 0)
    memcpy (dst->items, src->items, src->n * sizeof (PsSeed));
  dst->n = src->n;
  return PS_OK;
}

PsStatus
ps_seed_list_append (PsSeedList *list, const PsSeed *seed)
{
  PsStatus st = reserve (list, list->n + 1);
  if (st != PS_OK)
    return st;
  list->items[list->n++] = *seed;
  return PS_OK;
}

void
ps_seed_list_remove_index (PsSeedList *list, size_t index)
{
  if (index >= list->n)
    return;
  memmove (list->items + index, list->items + index + 1, (list->n - index - 1) * sizeof (PsSeed));
  list->n--;
}

uint32_t
ps_seed_list_next_group (const PsSeedList *list)
{
  uint32_t g = 0;
  for (size_t i = 0; i < list->n; i++)
    if (list->items[i].group > g)
      g = list->items[i].group;
  return g + 1;
}

bool
ps_grid_voxel_at_nm (const PsGrid *grid, const double pos_nm[3], size_t voxel[3])
{
  const size_t n[3] = { grid->nx, grid->ny, grid->nz };
  for (int a = 0; a < 3; a++)
    {
      double f = floor (pos_nm[a] / grid->spacing[a]);
      if (!(f >= 0.0 && f < (double) n[a]))
        return false;
      voxel[a] = (size_t) f;
    }
  return true;
}

void
ps_grid_voxel_centre_nm (const PsGrid *grid, const size_t voxel[3], double pos_nm[3])
{
  for (int a = 0; a < 3; a++)
    pos_nm[a] = ((double) voxel[a] + 0.5) * grid->spacing[a];
}

static size_t
seed_index (const PsGrid *g, const PsSeed *s)
{
  return ((size_t) s->z * g->ny + s->y) * g->nx + s->x;
}

PsStatus
ps_seed_list_add_nm (PsSeedList *list, const PsGrid *grid, const double pos_nm[3],
                     const PsDistanceMap *dist, size_t *index)
{
  size_t v[3];
  if (list == NULL || grid == NULL || pos_nm == NULL || ps_grid_validate (grid) != PS_OK ||
      !ps_grid_voxel_at_nm (grid, pos_nm, v))
    return PS_ERROR_INVALID_PARAMETER;
  PsSeed s;
  memset (&s, 0, sizeof s);
  s.x = (uint32_t) v[0];
  s.y = (uint32_t) v[1];
  s.z = (uint32_t) v[2];
  s.group = ps_seed_list_next_group (list);
  s.dist_nm = NAN;
  s.dynamic_nm = NAN;
  s.origin = PS_SEED_MANUAL;
  if (dist != NULL)
    s.dist_nm = (float) ps_distance_map_nm (dist, (v[2] * grid->ny + v[1]) * grid->nx + v[0]);
  PsStatus st = ps_seed_list_append (list, &s);
  if (st == PS_OK && index != NULL)
    *index = list->n - 1;
  return st;
}

size_t
ps_seed_list_nearest (const PsSeedList *list, const PsGrid *grid, const double pos_nm[3],
                      double max_dist_nm)
{
  size_t best = SIZE_MAX;
  double best_d2 = max_dist_nm * max_dist_nm;
  for (size_t i = 0; i < list->n; i++)
    {
      const PsSeed *s = &list->items[i];
      size_t v[3] = { s->x, s->y, s->z };
      double c[3], d2 = 0.0;
      ps_grid_voxel_centre_nm (grid, v, c);
      for (int a = 0; a < 3; a++)
        d2 += (c[a] - pos_nm[a]) * (c[a] - pos_nm[a]);
      if (d2 <= best_d2 && (best == SIZE_MAX || d2 < best_d2))
        {
          best = i;
          best_d2 = d2;
        }
    }
  return best;
}

bool
ps_seed_list_remove_nm (PsSeedList *list, const PsGrid *grid, const double pos_nm[3],
                        double max_dist_nm)
{
  size_t i = ps_seed_list_nearest (list, grid, pos_nm, max_dist_nm);
  if (i == SIZE_MAX)
    return false;
  ps_seed_list_remove_index (list, i);
  return true;
}

void
ps_seed_list_merge_groups (PsSeedList *list, uint32_t a, uint32_t b)
{
  for (size_t i = 0; i < list->n; i++)
    if (list->items[i].group == b)
      list->items[i].group = a;
}

/* The group of the first seed lying on a voxel labelled @label, or 0. */
static uint32_t
group_of_label (const PsSeedList *list, const PsGrid *grid, const uint32_t *labels, uint32_t label)
{
  size_t n = ps_grid_n_voxels (grid);
  for (size_t i = 0; i < list->n; i++)
    {
      const PsSeed *s = &list->items[i];
      if (s->x >= grid->nx || s->y >= grid->ny || s->z >= grid->nz)
        continue;
      size_t idx = seed_index (grid, s);
      if (idx < n && labels[idx] == label)
        return s->group;
    }
  return 0;
}

PsStatus
ps_seed_list_merge_at (PsSeedList *list, const PsGrid *grid, const uint32_t *labels,
                       const double pos_a_nm[3], const double pos_b_nm[3])
{
  size_t va[3], vb[3];
  if (list == NULL || grid == NULL || labels == NULL || ps_grid_validate (grid) != PS_OK ||
      !ps_grid_voxel_at_nm (grid, pos_a_nm, va) || !ps_grid_voxel_at_nm (grid, pos_b_nm, vb))
    return PS_ERROR_INVALID_PARAMETER;
  uint32_t la = labels[(va[2] * grid->ny + va[1]) * grid->nx + va[0]];
  uint32_t lb = labels[(vb[2] * grid->ny + vb[1]) * grid->nx + vb[0]];
  if (la == 0 || lb == 0)
    return PS_ERROR_INVALID_PARAMETER;
  if (la == lb)
    return PS_OK;
  uint32_t ga = group_of_label (list, grid, labels, la);
  if (ga == 0)
    {
      size_t idx;
      PsStatus st = ps_seed_list_add_nm (list, grid, pos_a_nm, NULL, &idx);
      if (st != PS_OK)
        return st;
      ga = list->items[idx].group;
    }
  uint32_t gb = group_of_label (list, grid, labels, lb);
  if (gb == 0)
    {
      size_t idx;
      PsStatus st = ps_seed_list_add_nm (list, grid, pos_b_nm, NULL, &idx);
      if (st != PS_OK)
        return st;
      list->items[idx].group = ga;
      return PS_OK;
    }
  ps_seed_list_merge_groups (list, ga, gb);
  return PS_OK;
}

/* ---- h-maxima -------------------------------------------------------------- */

void
ps_hmaxima_params_init (PsHMaximaParams *params)
{
  memset (params, 0, sizeof *params);
  PsGrid g = ps_grid_make (1, 1, 1, 1.0);
  params->h_nm = ps_hmaxima_default_h_nm (&g);
  params->connectivity = 26;
}

double
ps_hmaxima_default_h_nm (const PsGrid *grid)
{
  double unit = fmin (grid->spacing[0], fmin (grid->spacing[1], grid->spacing[2]));
  return PS_HMAXIMA_DEFAULT_H_VOXELS * unit;
}

PsStatus
ps_hmaxima_validate (const PsHMaximaParams *params, const PsGrid *grid, const PsDistanceMap *dist)
{
  if (params == NULL || !(params->h_nm >= 0.0) || params->n_threads < 0 ||
      (params->connectivity != 6 && params->connectivity != 18 && params->connectivity != 26) ||
      dist == NULL || (dist->dist2 == NULL && dist->dist_nm == NULL))
    return PS_ERROR_INVALID_PARAMETER;
  if (dist->dist2 != NULL && !dist->metric.integer)
    return PS_ERROR_INVALID_PARAMETER;
  return ps_grid_validate (grid);
}

/* ---- h-maxima by basins and a merge tree -----------------------------------
 *
 * The dynamics only depend on the levels at which the maxima's basins join
 * (the component tree of the distance map), not on how a flood would order
 * equal values. So instead of flooding, the basins of every regional maximum
 * are found by steepest ascent with the edges between them
 * (ps-basins-private.h), then:
 *
 *  5. edges in decreasing level join basins (Kruskal); when two roots join
 *     at level v, the lower peak's undecided maxima get the dynamic P − v
 *     (equal peaks join undecided). The result is the same as flooding:
 *     inside a basin every voxel climbs to its maximum through higher
 *     voxels, so the best bottleneck between two maxima through voxels and
 *     through basin edges is the same, and joins at one level decide the
 *     same maxima in any order.
 */

#define MAX_BASINS _PS_B_MAX_ID

typedef struct
{
  uint32_t *parent;     /* union-find over basins */
  uint32_t *peak;       /* key of the basin's highest maximum (roots) */
  uint32_t *head;       /* undecided maxima of a root: a list through next[] */
  uint32_t *tail;
  uint32_t *next;
  double *dynamic;      /* per maximum: NaN = undecided */
  size_t *rep;          /* per maximum: its first plateau voxel */
  uint32_t n, cap;
} Basins;

static void
basins_free (Basins *b)
{
  free (b->parent);
  free (b->peak);
  free (b->head);
  free (b->tail);
  free (b->next);
  free (b->dynamic);
  free (b->rep);
  memset (b, 0, sizeof *b);
}

static PsStatus
basins_add (Basins *b, uint32_t key, size_t rep, uint32_t *id)
{
  if (b->n + 2 >= b->cap)
    {
      size_t cap = b->cap ? (size_t) b->cap * 2 : 1024;
      if (cap >= MAX_BASINS)
        return PS_ERROR_TOO_LARGE;
      if (ps_memory_check (cap * 48) != PS_OK)
        return PS_ERROR_TOO_LARGE;
#define GROW(field)                                              \
      do                                                         \
        {                                                        \
          void *p_ = realloc (b->field, cap * sizeof *b->field); \
          if (p_ == NULL)                                        \
            return PS_ERROR_NO_MEMORY;                           \
          b->field = p_;                                         \
        }                                                        \
      while (0)
      GROW (parent);
      GROW (peak);
      GROW (head);
      GROW (tail);
      GROW (next);
      GROW (dynamic);
      GROW (rep);
#undef GROW
      b->cap = (uint32_t) cap;
    }
  uint32_t i = ++b->n;
  b->parent[i] = i;
  b->peak[i] = key;
  b->head[i] = b->tail[i] = i;
  b->next[i] = 0;
  b->dynamic[i] = NAN;
  b->rep[i] = rep;
  *id = i;
  return PS_OK;
}

static inline uint32_t
basin_find (Basins *b, uint32_t a)
{
  while (b->parent[a] != a)
    {
      b->parent[a] = b->parent[b->parent[a]];
      a = b->parent[a];
    }
  return a;
}

/* Roots @a and @c join at level @kv: decide the lower one's maxima. */
static void
basins_meet (Basins *b, const _PsFloodMap *map, uint32_t a, uint32_t c, uint32_t kv)
{
  if (b->peak[a] == b->peak[c])
    {
      /* Equal peaks: both stay undecided; keep the older basin as root. */
      uint32_t r = a < c ? a : c, o = a < c ? c : a;
      b->parent[o] = r;
      if (b->head[o] != 0)
        {
          if (b->head[r] != 0)
            b->next[b->tail[r]] = b->head[o];
          else
            b->head[r] = b->head[o];
          b->tail[r] = b->tail[o];
        }
      return;
    }
  uint32_t lo = b->peak[a] < b->peak[c] ? a : c, hi = lo == a ? c : a;
  double dyn = _ps_flood_key_nm (map, b->peak[lo]) - _ps_flood_key_nm (map, kv);
  for (uint32_t m = b->head[lo]; m != 0; m = b->next[m])
    b->dynamic[m] = dyn;
  b->head[lo] = b->tail[lo] = 0;
  b->parent[lo] = hi;
}

static PsStatus
new_basin (void *ctx, uint32_t key, size_t first, uint32_t *id)
{
  return basins_add (ctx, key, first, id);
}

PsStatus
ps_seeds_hmaxima (const PsHMaximaParams *params, const PsGrid *grid, const PsDistanceMap *dist,
                  const uint8_t *mask, uint32_t *scratch, PsSeedList *seeds,
                  const PsProgress *progress)
{
  PsStatus st = ps_hmaxima_validate (params, grid, dist);
  if (st != PS_OK)
    return st;
  if (seeds == NULL)
    return PS_ERROR_INVALID_PARAMETER;

  const size_t nx = grid->nx, ny = grid->ny;
  const size_t n = ps_grid_n_voxels (grid), slice = nx * ny;
  const int nt = ps_threads_resolve (params->n_threads);
  const double h = params->h_nm;
  uint32_t *S = scratch, *owned = NULL;
  size_t bytes;
  if (S == NULL)
    {
      if (!ps_size_mul (n, sizeof (uint32_t), &bytes) || ps_memory_check (bytes) != PS_OK)
        return PS_ERROR_TOO_LARGE;
      S = owned = ps_aligned_alloc (bytes);
      if (S == NULL)
        return PS_ERROR_NO_MEMORY;
    }

  _PsFloodMap map;
  uint32_t max_key = 0;
  _PsNbhd nb;
  Basins B;
  memset (&B, 0, sizeof B);
  _PsBasinEdge *sorted = NULL;
  size_t n_edges = 0;

  st = _ps_flood_map_init (&map, dist, mask, n, nt, &max_key);
  if (st != PS_OK)
    goto out;
  _ps_nbhd_init (&nb, grid, params->connectivity);

  /* 1–4. Basins of every regional maximum, and the edges between them. */
  _PsBasinJob job = {
    .map = &map, .grid = grid, .nb = &nb, .n_threads = nt, .max_key = max_key,
    .new_basin = new_basin, .ctx = &B, .want_edges = true,
    .progress = progress, .p0 = 0.0, .p1 = 0.95, .message = "Finding seeds",
  };
  st = _ps_basins_run (&job, S, &sorted, &n_edges);
  if (st != PS_OK)
    goto out;

  /* 5. Kruskal in decreasing level. */
  if (ps_progress_cancelled (progress))
    {
      st = PS_ERROR_CANCELLED;
      goto out;
    }
  for (size_t t = 0; t < n_edges; t++)
    {
      const _PsBasinEdge *e = &sorted[t];
      uint32_t ra = basin_find (&B, e->a), rb = basin_find (&B, e->b);
      if (ra != rb)
        basins_meet (&B, &map, ra, rb, e->level);
    }

  /* 6. Survivors: undecided maxima (the top of their component) and those
   * whose dynamic reached h, in raster order of their first voxel. */
  seeds->n = 0;
  for (uint32_t m = 1; m <= B.n; m++)
    {
      double dyn = B.dynamic[m];
      bool keep = isnan (dyn) || (h > 0.0 ? dyn >= h : dyn > 0.0);
      if (!keep)
        continue;
      size_t i = B.rep[m];
      PsSeed sd;
      memset (&sd, 0, sizeof sd);   /* padding too: lists compare with memcmp */
      sd.x = (uint32_t) (i % nx);
      sd.y = (uint32_t) ((i / nx) % ny);
      sd.z = (uint32_t) (i / slice);
      sd.group = (uint32_t) seeds->n + 1;
      sd.dist_nm = (float) _ps_flood_key_nm (&map, B.peak[m]);
      sd.dynamic_nm = isnan (dyn) ? INFINITY : (float) dyn;
      sd.origin = PS_SEED_AUTO;
      st = ps_seed_list_append (seeds, &sd);
      if (st != PS_OK)
        goto out;
    }
  ps_progress_report (progress, 1.0, "Finding seeds");
  st = PS_OK;

out:
  free (sorted);
  basins_free (&B);
  ps_aligned_free (owned);
  return st;
}
