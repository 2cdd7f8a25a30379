/* SPDX-License-Identifier: GPL-3.0-or-later */
/* ps-seeds.c: seed lists and h-maxima seeds (see ps-seeds.h). */
#include "ps-seeds.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ps-flood-private.h"

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
 * equal values. So instead of flooding, which is memory-latency bound on
 * large components (each level set is a thin shell spread over the whole
 * component), everything here is local and streams through the volume:
 *
 *  1. every region voxel points to its highest neighbour, if strictly
 *     higher (ties: the first in neighbourhood order), in parallel;
 *  2. voxels without a higher neighbour form plateaus: a plateau none of
 *     whose voxels has a higher neighbour is a regional maximum (a basin);
 *     inside the other plateaus, pointers lead to an exit by breadth-first
 *     search, so every chain of pointers climbs to exactly one maximum;
 *  3. pointer chains are resolved to basin numbers (in parallel; a voxel's
 *     basin is unique, so concurrent resolutions write the same value);
 *  4. adjacent voxels of different basins give an edge at level min(key);
 *  5. edges in decreasing level join basins (Kruskal); when two roots join
 *     at level v, the lower peak's undecided maxima get the dynamic P − v
 *     (equal peaks join undecided). The result is the same as flooding:
 *     inside a basin every voxel climbs to its maximum through higher
 *     voxels, so the best bottleneck between two maxima through voxels and
 *     through basin edges is the same, and joins at one level decide the
 *     same maxima in any order.
 *
 * Scratch states: 0 outside; 1 … 26 a pointer (neighbour number + 1);
 * S_CAND a voxel without a higher neighbour; S_RES | basin once resolved;
 * S_VIS marks plateau exploration. */

#define S_RES 0x80000000u
#define S_VIS 0x40000000u
#define S_CAND 27u
#define S_CODE 0x3fu
#define MAX_BASINS (S_VIS - 2)

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

typedef struct
{
  uint32_t level, a, b;
} Edge;

/* Per-slice growable arrays. */
typedef struct
{
  void *items;
  size_t n, cap;
} Vec;

static bool
vec_push (Vec *v, const void *item, size_t size)
{
  if (v->n == v->cap)
    {
      size_t c = v->cap ? v->cap * 2 : 64;
      if (ps_memory_check (c * size) != PS_OK)
        return false;
      void *ni = realloc (v->items, c * size);
      if (ni == NULL)
        return false;
      v->items = ni;
      v->cap = c;
    }
  memcpy ((char *) v->items + v->n * size, item, size);
  v->n++;
  return true;
}

static inline uint32_t
load_relaxed (const uint32_t *p)
{
  return __atomic_load_n (p, __ATOMIC_RELAXED);
}

static inline void
store_relaxed (uint32_t *p, uint32_t v)
{
  __atomic_store_n (p, v, __ATOMIC_RELAXED);
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

  const size_t nx = grid->nx, ny = grid->ny, nz = grid->nz;
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
  size_t *plateau = NULL, plateau_cap = 0;
  Vec *cand = NULL, *edges = NULL;
  Edge *sorted = NULL;
  size_t *level_first = NULL;
  bool failed = false;

  st = _ps_flood_map_init (&map, dist, mask, n, nt, &max_key);
  if (st != PS_OK)
    goto out;
  _ps_nbhd_init (&nb, grid, params->connectivity);
  cand = calloc (nz, sizeof *cand);
  edges = calloc (nz, sizeof *edges);
  if (cand == NULL || edges == NULL)
    {
      st = PS_ERROR_NO_MEMORY;
      goto out;
    }

  /* 1. Pointers to the highest neighbour (strictly higher only; the first
   * in neighbour order among equals). Interior rows of an integer map
   * without a mask take a row-wise form the compiler vectorises: the raw
   * squared distances order like the keys (PS_EDT_INFINITE is the largest
   * value, as inf_key is the largest key) and a neighbour outside the
   * region (d² = 0) is never higher, so no region test is needed. */
  const bool rows = map.mask == NULL && map.d2 != NULL && nx > 2;
  _PsWork w1;
  _ps_work_init (&w1, progress, "Finding seeds", 0.0, 0.3, nz);
#pragma omp parallel num_threads(nt) reduction(|:failed)
  {
    uint32_t *rbest = NULL, *rcode = NULL;
    if (rows && ((rbest = malloc (nx * sizeof *rbest)) == NULL || (rcode = malloc (nx * sizeof *rcode)) == NULL))
      failed = true;
#pragma omp for schedule(dynamic, 1)
    for (size_t z = 0; z < nz; z++)
      {
        if (failed || _ps_work_stop (&w1))
          continue;
        Vec cz = { NULL, 0, 0 };   /* filled here, stored once: neighbouring slices' Vecs share cache lines */
        for (size_t y = 0; y < ny && !failed; y++)
          {
            const size_t row = (z * ny + y) * nx;
            const bool fast = rows && y > 0 && z > 0 && y + 1 < ny && z + 1 < nz;
            if (fast)
              {
                const uint32_t *c = map.d2 + row;
                for (size_t x = 1; x + 1 < nx; x++)
                  {
                    rbest[x] = c[x];
                    rcode[x] = S_CAND;
                  }
                for (int t = 0; t < nb.n; t++)
                  {
                    const uint32_t *q = c + nb.lin[t];
                    const uint32_t code_t = (uint32_t) t + 1;
                    for (size_t x = 1; x + 1 < nx; x++)
                      {
                        const uint32_t kr = q[x], b = rbest[x];
                        const bool g = kr > b;
                        rbest[x] = g ? kr : b;
                        rcode[x] = g ? code_t : rcode[x];
                      }
                  }
              }
            for (size_t x = 0; x < nx; x++)
              {
                const size_t i = row + x;
                uint32_t code;
                if (fast && x > 0 && x + 1 < nx)
                  {
                    if (map.d2[i] == 0)
                      {
                        S[i] = 0;
                        continue;
                      }
                    code = rcode[x];
                  }
                else
                  {
                    if (!_ps_flood_in_region (&map, i))
                      {
                        S[i] = 0;
                        continue;
                      }
                    const uint32_t k = _ps_flood_key (&map, i);
                    const bool inner = x > 0 && y > 0 && z > 0 && x + 1 < nx && y + 1 < ny && z + 1 < nz;
                    uint32_t best = k;
                    code = S_CAND;
                    for (int t = 0; t < nb.n; t++)
                      {
                        if (!inner)
                          {
                            long xx = (long) x + nb.off[t][0], yy = (long) y + nb.off[t][1];
                            long zz = (long) z + nb.off[t][2];
                            if (xx < 0 || yy < 0 || zz < 0 || xx >= (long) nx || yy >= (long) ny ||
                                zz >= (long) nz)
                              continue;
                          }
                        size_t r = (size_t) ((long) i + nb.lin[t]);
                        if (!_ps_flood_in_region (&map, r))
                          continue;
                        uint32_t kr = _ps_flood_key (&map, r);
                        if (kr > best)
                          {
                            best = kr;
                            code = (uint32_t) t + 1;
                          }
                      }
                  }
                S[i] = code;
                if (code == S_CAND && !vec_push (&cz, &i, sizeof i))
                  {
                    failed = true;
                    break;
                  }
              }
          }
        cand[z] = cz;
        _ps_work_item_done (&w1);
      }
    free (rbest);
    free (rcode);
  }
  if (failed)
    {
      st = PS_ERROR_NO_MEMORY;
      goto out;
    }
  if (_ps_work_was_cancelled (&w1))
    {
      st = PS_ERROR_CANCELLED;
      goto out;
    }

  /* 2. Plateaus, in raster order of their first voxel: maxima become
   * basins; the others get pointers towards an exit (breadth-first from the
   * voxels that have a higher neighbour). The search walks candidates only:
   * an equal-key neighbour that has a higher neighbour is an exit, recorded
   * but not walked through (walking on through exits explored whole level
   * sets — entire d² = 1 shells — for one small plateau: this step took
   * 1.0 s of a 256³ carbon phase, now 0.03 s, with the same seeds). */
  for (size_t z = 0; z < nz; z++)
    {
      if (ps_progress_cancelled (progress))
        {
          st = PS_ERROR_CANCELLED;
          goto out;
        }
      const size_t *cz = cand[z].items;
      for (size_t ci = 0; ci < cand[z].n; ci++)
        {
          size_t i0 = cz[ci];
          if (S[i0] != S_CAND)
            continue;   /* visited, resolved or pointed already */
          uint32_t k = _ps_flood_key (&map, i0);
          size_t np = 0, head = 0, n_exit = 0;
          if (plateau_cap == 0)
            {
              plateau_cap = 1024;
              plateau = malloc (plateau_cap * sizeof *plateau);
              if (plateau == NULL)
                {
                  st = PS_ERROR_NO_MEMORY;
                  goto out;
                }
            }
          plateau[np++] = i0;
          S[i0] |= S_VIS;
          while (head < np)
            {
              size_t p = plateau[head++], nbr[26];
              if ((S[p] & ~S_VIS) != S_CAND)
                continue;   /* an exit: the plateau is left here, not explored further */
              int c = _ps_nbhd_of (&nb, p, nbr);
              for (int t = 0; t < c; t++)
                {
                  size_t r = nbr[t];
                  uint32_t sr = S[r];
                  if (sr == 0 || (sr & S_VIS) || _ps_flood_key (&map, r) != k)
                    continue;
                  if (np == plateau_cap)
                    {
                      size_t cap2 = plateau_cap * 2;
                      size_t *pp = ps_memory_check (cap2 * sizeof *plateau) == PS_OK
                                     ? realloc (plateau, cap2 * sizeof *plateau) : NULL;
                      if (pp == NULL)
                        {
                          st = PS_ERROR_NO_MEMORY;
                          goto out;
                        }
                      plateau = pp;
                      plateau_cap = cap2;
                    }
                  if (sr != S_CAND)
                    n_exit++;
                  plateau[np++] = r;
                  S[r] |= S_VIS;
                }
            }
          if (n_exit == 0)
            {
              /* A regional maximum; i0 is its first voxel in raster order
               * (all its voxels are candidates, met in raster order). */
              uint32_t id;
              st = basins_add (&B, k, i0, &id);
              if (st != PS_OK)
                goto out;
              for (size_t t = 0; t < np; t++)
                S[plateau[t]] = S_RES | id;
              continue;
            }
          /* Not a maximum: breadth-first from the exits over the rest. */
          size_t q = 0;
          for (size_t t = 0; t < np; t++)
            if ((S[plateau[t]] & ~S_VIS) != S_CAND)
              {
                S[plateau[t]] &= ~S_VIS;        /* an exit keeps its pointer */
                plateau[q++] = plateau[t];
              }
          head = 0;
          while (head < q)
            {
              size_t p = plateau[head++];
              const size_t x = p % nx, y = (p / nx) % ny, zz0 = p / slice;
              for (int t = 0; t < nb.n; t++)
                {
                  long xx = (long) x - nb.off[t][0], yy = (long) y - nb.off[t][1];
                  long zz = (long) zz0 - nb.off[t][2];
                  if (xx < 0 || yy < 0 || zz < 0 || xx >= (long) nx || yy >= (long) ny || zz >= (long) nz)
                    continue;
                  /* r = p − offset t, so r's neighbour t is p */
                  size_t r = (size_t) ((long) p - nb.lin[t]);
                  if (S[r] != (S_CAND | S_VIS))
                    continue;
                  S[r] = (uint32_t) t + 1;
                  plateau[q++] = r;
                }
            }
        }
    }

  /* 3. Resolve pointer chains to basins. */
  _PsWork w3;
  _ps_work_init (&w3, progress, "Finding seeds", 0.3, 0.55, nz);
#pragma omp parallel num_threads(nt) reduction(|:failed)
  {
    size_t *chain = NULL, cap = 0;
#pragma omp for schedule(dynamic, 1)
    for (size_t z = 0; z < nz; z++)
      {
        if (failed || _ps_work_stop (&w3))
          continue;
        for (size_t i = z * slice; i < (z + 1) * slice; i++)
          {
            uint32_t v = load_relaxed (&S[i]);
            if (v == 0 || (v & S_RES))
              continue;
            size_t len = 0, p = i;
            while (!(v & S_RES))
              {
                if (len == cap && !_ps_grow (&chain, &cap, len + 1))
                  {
                    failed = true;
                    break;
                  }
                chain[len++] = p;
                p = (size_t) ((long) p + nb.lin[(v & S_CODE) - 1]);
                v = load_relaxed (&S[p]);
              }
            if (failed)
              break;
            for (size_t t = 0; t < len; t++)
              store_relaxed (&S[chain[t]], v);
          }
        _ps_work_item_done (&w3);
      }
    free (chain);
  }
  if (failed)
    {
      st = PS_ERROR_NO_MEMORY;
      goto out;
    }
  if (_ps_work_was_cancelled (&w3))
    {
      st = PS_ERROR_CANCELLED;
      goto out;
    }

  /* 4. Edges between basins: for each voxel and each later neighbour of
   * another basin, level = the lower key; per voxel only the highest level
   * per neighbouring basin is kept. Most voxels lie inside one basin: in
   * interior rows a vectorised pass over the later neighbour rows marks the
   * few voxels that have a neighbour of another basin, and only those are
   * looked at one by one. */
  _PsWork w4;
  _ps_work_init (&w4, progress, "Finding seeds", 0.55, 0.85, nz);
#pragma omp parallel num_threads(nt) reduction(|:failed)
  {
    uint8_t *mark = nx > 2 ? malloc (nx) : NULL;
    if (nx > 2 && mark == NULL)
      failed = true;
#pragma omp for schedule(dynamic, 1)
    for (size_t z = 0; z < nz; z++)
      {
        if (failed || _ps_work_stop (&w4))
          continue;
        Vec ez = { NULL, 0, 0 };
        for (size_t y = 0; y < ny && !failed; y++)
          {
            const size_t row = (z * ny + y) * nx;
            const bool fast = mark != NULL && y > 0 && y + 1 < ny && z + 1 < nz;
            if (fast)
              {
                const uint32_t *c = S + row;
                memset (mark, 0, nx);
                for (int t = 0; t < nb.n; t++)
                  {
                    if (nb.lin[t] < 0)
                      continue;
                    const uint32_t *q = c + nb.lin[t];
                    for (size_t x = 1; x + 1 < nx; x++)
                      mark[x] |= (uint8_t) ((q[x] != c[x]) & (q[x] != 0));
                  }
              }
            for (size_t i = row; i < row + nx && !failed; i++)
              {
                if (fast && i > row && i + 1 < row + nx && !mark[i - row])
                  continue;
                uint32_t v = S[i];
                if (v == 0)
                  continue;
                const uint32_t bi = v & ~S_RES, k = _ps_flood_key (&map, i);
                const size_t x = i - row;
                Edge e[26];
                int ne = 0;
                for (int t = 0; t < nb.n; t++)
                  {
                    if (nb.lin[t] < 0)
                      continue;   /* each pair once: from its first voxel */
                    long xx = (long) x + nb.off[t][0], yy = (long) y + nb.off[t][1];
                    long zz = (long) z + nb.off[t][2];
                    if (xx < 0 || yy < 0 || xx >= (long) nx || yy >= (long) ny || zz >= (long) nz)
                      continue;
                    size_t r = (size_t) ((long) i + nb.lin[t]);
                    uint32_t vr = S[r];
                    if (vr == 0 || vr == v)
                      continue;
                    uint32_t kr = _ps_flood_key (&map, r), lv = kr < k ? kr : k, br = vr & ~S_RES;
                    int f = 0;
                    while (f < ne && e[f].b != br)
                      f++;
                    if (f == ne)
                      e[ne++] = (Edge) { lv, bi, br };
                    else if (lv > e[f].level)
                      e[f].level = lv;
                  }
                for (int f = 0; f < ne; f++)
                  if (!vec_push (&ez, &e[f], sizeof (Edge)))
                    {
                      failed = true;
                      break;
                    }
              }
          }
        edges[z] = ez;
        _ps_work_item_done (&w4);
      }
    free (mark);
  }
  if (failed)
    {
      st = PS_ERROR_NO_MEMORY;
      goto out;
    }
  if (_ps_work_was_cancelled (&w4))
    {
      st = PS_ERROR_CANCELLED;
      goto out;
    }

  /* 5. Kruskal in decreasing level: a counting sort on the level. */
  size_t n_edges = 0;
  for (size_t z = 0; z < nz; z++)
    n_edges += edges[z].n;
  if (n_edges > 0)
    {
      const size_t n_levels = (size_t) max_key + 2;
      if (!ps_size_mul (n_edges, sizeof (Edge), &bytes) || ps_memory_check (bytes) != PS_OK)
        {
          st = PS_ERROR_TOO_LARGE;
          goto out;
        }
      sorted = malloc (bytes);
      level_first = map.d2 != NULL && max_key < (1u << 26) ? calloc (n_levels + 1, sizeof (size_t)) : NULL;
      if (sorted == NULL)
        {
          st = PS_ERROR_NO_MEMORY;
          goto out;
        }
      if (level_first != NULL)
        {
          for (size_t z = 0; z < nz; z++)
            for (size_t t = 0; t < edges[z].n; t++)
              level_first[max_key + 1 - ((Edge *) edges[z].items)[t].level]++;
          size_t acc = 0;
          for (size_t l = 0; l <= n_levels; l++)
            {
              size_t c = level_first[l];
              level_first[l] = acc;
              acc += c;
            }
          for (size_t z = 0; z < nz; z++)
            for (size_t t = 0; t < edges[z].n; t++)
              {
                Edge e = ((Edge *) edges[z].items)[t];
                sorted[level_first[max_key + 1 - e.level]++] = e;
              }
        }
      else
        {
          /* Float keys: radix sort on the level's bits, highest first. */
          size_t at = 0;
          for (size_t z = 0; z < nz; z++)
            {
              if (edges[z].n > 0)   /* items may be NULL: memcpy's arguments must not be */
                memcpy (sorted + at, edges[z].items, edges[z].n * sizeof (Edge));
              at += edges[z].n;
            }
          Edge *tmp = malloc (bytes);
          if (tmp == NULL)
            {
              st = PS_ERROR_NO_MEMORY;
              goto out;
            }
          Edge *src = sorted, *dst = tmp;
          for (unsigned shift = 0; shift < 32; shift += 8)
            {
              size_t count[257] = { 0 };
              for (size_t t = 0; t < n_edges; t++)
                count[(255 - ((src[t].level >> shift) & 255)) + 1]++;
              for (int d = 0; d < 256; d++)
                count[d + 1] += count[d];
              for (size_t t = 0; t < n_edges; t++)
                dst[count[255 - ((src[t].level >> shift) & 255)]++] = src[t];
              Edge *sw = src;
              src = dst;
              dst = sw;
            }
          /* four passes: the result is back in sorted[] */
          free (tmp);
        }
      for (size_t t = 0; t < n_edges; t++)
        {
          const Edge *e = &sorted[t];
          uint32_t ra = basin_find (&B, e->a), rb = basin_find (&B, e->b);
          if (ra != rb)
            basins_meet (&B, &map, ra, rb, e->level);
        }
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
  if (cand != NULL)
    for (size_t z = 0; z < nz; z++)
      free (cand[z].items);
  if (edges != NULL)
    for (size_t z = 0; z < nz; z++)
      free (edges[z].items);
  free (cand);
  free (edges);
  free (sorted);
  free (level_first);
  free (plateau);
  basins_free (&B);
  ps_aligned_free (owned);
  return st;
}
