/* SPDX-License-Identifier: GPL-3.0-or-later */
/* ps-watershed.c: marker-controlled watershed by priority flood (see
 * ps-watershed.h). */
#include "ps-watershed.h"

#include <stdlib.h>
#include <string.h>

#include "ps-flood-private.h"
#include "ps-label-private.h"

/* ---- the queue -----------------------------------------------------------
 *
 * A max-priority queue of voxel indices, each carrying its label, FIFO
 * among equal keys. With squared distances the keys are small integers and
 * the queue is a bucket queue: one FIFO of 64-item chunks per key, chunks
 * recycled through a free list — O(1) per operation, memory proportional to
 * the frontier. With float keys it is a binary heap ordered by (key,
 * arrival), O(log n). */

#define _PS_CHUNK 64
#define _PS_NONE UINT32_MAX
/* Bucket queues for keys up to this; beyond it a heap. */
#define _PS_MAX_BUCKETS (1u << 22)

typedef struct
{
  uint32_t next;             /* next chunk of the same bucket */
  uint32_t rd, wr;           /* read and write positions */
  uint32_t item[_PS_CHUNK];
  uint32_t label[_PS_CHUNK]; /* the label the item carries */
} _PsChunk;

typedef struct
{
  uint32_t key;
  uint64_t age;
  uint64_t index;
  uint32_t label;
} _PsHeapItem;

typedef struct
{
  bool buckets;
  size_t count;
  /* bucket queue */
  uint32_t n_keys;
  uint32_t *head, *tail;     /* per key: chunk indices, _PS_NONE = empty */
  _PsChunk *chunks;
  uint32_t n_chunks, cap_chunks, free_list;
  uint32_t cur;              /* no key above cur is non-empty */
  /* heap */
  _PsHeapItem *heap;
  size_t heap_cap;
  uint64_t age;
  bool failed;               /* an allocation failed */
} _PsQueue;

static inline PsStatus
_ps_queue_init (_PsQueue *q, uint32_t max_key, bool integer_keys, size_t n_voxels)
{
  memset (q, 0, sizeof *q);
  q->free_list = _PS_NONE;
  /* Chunks hold 32-bit indices. */
  q->buckets = integer_keys && max_key < _PS_MAX_BUCKETS && n_voxels < UINT32_MAX;
  if (!q->buckets)
    return PS_OK;
  q->n_keys = max_key + 1;
  if (ps_memory_check ((size_t) q->n_keys * 8) != PS_OK)
    {
      q->buckets = false;
      return PS_ERROR_TOO_LARGE;
    }
  q->head = malloc ((size_t) q->n_keys * sizeof (uint32_t));
  q->tail = malloc ((size_t) q->n_keys * sizeof (uint32_t));
  if (q->head == NULL || q->tail == NULL)
    {
      free (q->head);
      free (q->tail);
      q->head = q->tail = NULL;
      return PS_ERROR_NO_MEMORY;
    }
  memset (q->head, 0xff, (size_t) q->n_keys * sizeof (uint32_t));
  memset (q->tail, 0xff, (size_t) q->n_keys * sizeof (uint32_t));
  return PS_OK;
}

static inline void
_ps_queue_free (_PsQueue *q)
{
  free (q->head);
  free (q->tail);
  free (q->chunks);
  free (q->heap);
  memset (q, 0, sizeof *q);
}

static inline uint32_t
_ps_queue_new_chunk (_PsQueue *q)
{
  uint32_t c;
  if (q->free_list != _PS_NONE)
    {
      c = q->free_list;
      q->free_list = q->chunks[c].next;
    }
  else
    {
      if (q->n_chunks == q->cap_chunks)
        {
          size_t cap = q->cap_chunks ? (size_t) q->cap_chunks * 2 : 1024;
          if (cap >= _PS_NONE || ps_memory_check (cap * sizeof (_PsChunk)) != PS_OK)
            return _PS_NONE;
          _PsChunk *nc = realloc (q->chunks, cap * sizeof (_PsChunk));
          if (nc == NULL)
            return _PS_NONE;
          q->chunks = nc;
          q->cap_chunks = (uint32_t) cap;
        }
      c = q->n_chunks++;
    }
  q->chunks[c].next = _PS_NONE;
  q->chunks[c].rd = q->chunks[c].wr = 0;
  return c;
}

/* Push voxel @index with @key and @label; false when memory ran out
 * (q->failed). */
static inline bool
_ps_queue_push (_PsQueue *q, uint32_t key, size_t index, uint32_t label)
{
  if (q->buckets)
    {
      uint32_t t = q->tail[key];
      if (t == _PS_NONE || q->chunks[t].wr == _PS_CHUNK)
        {
          uint32_t c = _ps_queue_new_chunk (q);
          if (c == _PS_NONE)
            {
              q->failed = true;
              return false;
            }
          if (t == _PS_NONE)
            q->head[key] = c;
          else
            q->chunks[t].next = c;
          q->tail[key] = t = c;
        }
      q->chunks[t].label[q->chunks[t].wr] = label;
      q->chunks[t].item[q->chunks[t].wr++] = (uint32_t) index;
      if (q->count == 0 || key > q->cur)
        q->cur = key;
      q->count++;
      return true;
    }
  if (q->count == q->heap_cap)
    {
      size_t cap = q->heap_cap ? q->heap_cap * 2 : 4096;
      if (ps_memory_check (cap * sizeof (_PsHeapItem)) != PS_OK)
        {
          q->failed = true;
          return false;
        }
      _PsHeapItem *nh = realloc (q->heap, cap * sizeof (_PsHeapItem));
      if (nh == NULL)
        {
          q->failed = true;
          return false;
        }
      q->heap = nh;
      q->heap_cap = cap;
    }
  _PsHeapItem it = { key, q->age++, index, label };
  size_t i = q->count++;
  while (i > 0)
    {
      size_t p = (i - 1) / 2;
      _PsHeapItem *pp = &q->heap[p];
      /* parent before it: larger key, or same key and older */
      if (pp->key > it.key || (pp->key == it.key && pp->age < it.age))
        break;
      q->heap[i] = *pp;
      i = p;
    }
  q->heap[i] = it;
  return true;
}

/* The voxel @ahead places behind the next one to pop, when it sits in the
 * same chunk of the top bucket (SIZE_MAX otherwise). */
static inline size_t
_ps_queue_peek (const _PsQueue *q, uint32_t ahead)
{
  if (!q->buckets || q->count == 0)
    return SIZE_MAX;
  uint32_t h = q->head[q->cur];
  if (h == _PS_NONE)
    return SIZE_MAX;
  const _PsChunk *c = &q->chunks[h];
  uint32_t pos = c->rd + ahead;
  if (pos < c->wr)
    return c->item[pos];
  if (c->next == _PS_NONE)
    return SIZE_MAX;
  pos -= c->wr;
  c = &q->chunks[c->next];
  return pos < c->wr ? c->item[pos] : SIZE_MAX;
}

static inline bool
_ps_queue_pop (_PsQueue *q, size_t *index, uint32_t *label)
{
  if (q->count == 0)
    return false;
  if (q->buckets)
    {
      while (q->head[q->cur] == _PS_NONE)
        q->cur--;
      uint32_t h = q->head[q->cur];
      _PsChunk *c = &q->chunks[h];
      *label = c->label[c->rd];
      *index = c->item[c->rd++];
      if (c->rd == c->wr)
        {
          /* Chunk drained: it is either full (the next one follows) or the
           * tail (the bucket is now empty). Recycle it. */
          q->head[q->cur] = c->next;
          if (c->next == _PS_NONE)
            q->tail[q->cur] = _PS_NONE;
          c->next = q->free_list;
          q->free_list = h;
        }
      q->count--;
      return true;
    }
  _PsHeapItem top = q->heap[0];
  _PsHeapItem last = q->heap[--q->count];
  size_t i = 0, n = q->count;
  for (;;)
    {
      size_t l = 2 * i + 1, r = l + 1, b = i;
      _PsHeapItem *best = &last;
      if (l < n && (q->heap[l].key > best->key || (q->heap[l].key == best->key && q->heap[l].age < best->age)))
        {
          b = l;
          best = &q->heap[l];
        }
      if (r < n && (q->heap[r].key > best->key || (q->heap[r].key == best->key && q->heap[r].age < best->age)))
        {
          b = r;
          best = &q->heap[r];
        }
      if (b == i)
        break;
      q->heap[i] = *best;
      i = b;
    }
  if (n > 0)
    q->heap[i] = last;
  *index = (size_t) top.index;
  *label = top.label;
  return true;
}

/* ---- components ---------------------------------------------------------- */

/* Voxel states in the label/scratch buffer during a flood: 0 outside the
 * region, the component number c (< 2^29) while unlabelled, and
 * _PS_LABELLED | id once a seed's or basin's flood reached it. */
#define _PS_LABELLED 0x80000000u
#define _PS_COMP_MASK 0x1fffffffu

/* Connected components of the flood region into @S (numbers in raster
 * order of first voxel) with their sizes (malloc'ed, n + 1 entries). The
 * floods never cross components, so each can be flooded on its own:
 * cache-local for the pores, and spread over threads. */
static inline PsStatus
_ps_flood_components (const PsGrid *g, const _PsFloodMap *m, int connectivity, int nt,
                      uint32_t *S, uint32_t *n_comp, uint64_t **sizes, const PsProgress *progress)
{
  _PsRegion r;
  if (m->mask != NULL)
    r = (_PsRegion) { _PS_REGION_MASK, m->mask, false };
  else if (m->d2 != NULL)
    r = (_PsRegion) { _PS_REGION_U32, m->d2, false };
  else
    r = (_PsRegion) { _PS_REGION_F32, m->dnm, false };
  PsStatus st = _ps_label_region (g, &r, connectivity, nt, S, n_comp, sizes, progress);
  if (st == PS_OK && *n_comp > _PS_COMP_MASK)
    {
      free (*sizes);
      *sizes = NULL;
      return PS_ERROR_TOO_LARGE;
    }
  return st;
}

typedef struct
{
  uint64_t size;
  uint32_t comp;
} _PsCompOrder;

static inline int
_ps_comp_order_cmp (const void *a, const void *b)
{
  const _PsCompOrder *x = a, *y = b;
  if (x->size != y->size)
    return x->size > y->size ? -1 : 1;
  return x->comp < y->comp ? -1 : x->comp > y->comp;
}


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

/* ---- the frontier bitmap ----------------------------------------------------
 *
 * One bit per voxel, set while the voxel is in the region and not yet
 * labelled, in rows padded by one voxel on every side (so a neighbourhood
 * needs no bounds tests). Testing the 26 neighbours reads 9 words that stay
 * in cache (1/32 of the label array), where reading the labels themselves
 * fetched 9 rows of the label array from memory for every voxel: only the
 * voxels actually labelled touch the label and distance arrays. Floods of
 * different components may share a word, so bits are cleared atomically. */

typedef struct
{
  uint64_t *bits;
  size_t W;                  /* words per padded row */
  size_t ny2;                /* ny + 2 */
  int row[26], col[26];      /* per neighbour: row 0 … 8 (dz, dy) and bit 0 … 2 (dx) */
  uint32_t order[9][8];      /* a row's 3 bits → those neighbours' bits in neighbour order */
} Frontier;

static inline uint64_t *
frontier_row (const Frontier *f, size_t y, size_t z)
{
  /* the padded row of voxel row (y − 1, z − 1) */
  return f->bits + (z * f->ny2 + y) * f->W;
}

/* Clear voxel (x, y, z)'s bit. A plain load and store, not an atomic
 * read-modify-write (a locked instruction waits for every pending store —
 * the label writes that miss the cache — and took 14 % of the flood): a
 * concurrent flood of another component clearing a bit of the same word may
 * thus set this bit again, so a set bit only means "maybe unlabelled" and
 * the label array decides; a clear bit is always right, since no bit is
 * ever set after the start. */
static inline void
frontier_clear (const Frontier *f, size_t x, size_t y, size_t z)
{
  uint64_t *w = frontier_row (f, y + 1, z + 1) + ((x + 1) >> 6);
  uint64_t v = __atomic_load_n (w, __ATOMIC_RELAXED);
  __atomic_store_n (w, v & ~(1ull << ((x + 1) & 63)), __ATOMIC_RELAXED);
}

/* The unlabelled neighbours of voxel (x, y, z) as a mask with bit k for
 * neighbour k (neighbourhood order): the 3 bits around x in each of the 9
 * rows around (y, z), mapped by a table, so the flood visits only the
 * neighbours that are there, in order, without a branch per neighbour. */
static inline uint32_t
frontier_nbhd (const Frontier *f, size_t x, size_t y, size_t z)
{
  uint32_t mask = 0;
  const size_t w0 = x >> 6, sh = x & 63;   /* padded bit x = voxel x − 1 */
  for (int r = 0; r < 9; r++)
    {
      const uint64_t *row = frontier_row (f, y + (size_t) (r % 3), z + (size_t) (r / 3));
      uint64_t v = __atomic_load_n (&row[w0], __ATOMIC_RELAXED) >> sh;
      if (sh > 61)
        v |= __atomic_load_n (&row[w0 + 1], __ATOMIC_RELAXED) << (64 - sh);
      mask |= f->order[r][v & 7];
    }
  return mask;
}

/* Division by an invariant divisor through a 64×64→128-bit multiply with
 * m = ⌈2^64 / d⌉, exact for dividends and divisors below 2^32 (plain
 * division beyond): the flood decodes three voxel positions per step. */
typedef struct
{
  uint64_t m;                /* 0: divide plainly */
  size_t d;
} Divider;

static inline Divider
divider_make (size_t d, size_t n)
{
  Divider v = { d > 1 && n <= UINT32_MAX ? UINT64_MAX / d + 1 : 0, d };
  return v;
}

static inline size_t
divide (Divider v, size_t i)
{
  return v.m != 0 ? (size_t) (((unsigned __int128) i * v.m) >> 64) : i / v.d;
}

/* Prefetch distances, in queue places: the frontier words of the voxel
 * PREFETCH_FAR ahead, then the label and key lines of the frontier voxels
 * around the one PREFETCH_NEAR ahead (what it will label), as plain read
 * prefetches (a write prefetch was slower). Measured on a 256³ carbon
 * phase: 3–8 / 16–32 within noise of each other; 12 / 40 and longer were
 * slower (the prefetches then wait for free fill buffers). */
#define PREFETCH_NEAR 4
#define PREFETCH_FAR 16

static bool
flood_component (const _PsFloodMap *map, const _PsNbhd *nb, const Frontier *F, uint32_t *S,
                 _PsQueue *q, uint32_t comp, const SeedRef *refs, size_t n, _PsWork *work)
{
  const size_t nx = nb->nx, ny = nb->ny;
  const Divider dx = divider_make (nx, nx * ny * nb->nz), dy = divider_make (ny, nx * ny * nb->nz);
  const void *keys = map->d2 ? (const void *) map->d2 : (const void *) map->dnm;
  for (size_t s = 0; s < n; s++)
    {
      size_t idx = refs[s].index;
      if (S[idx] != comp)
        continue;   /* two seeds on one voxel: the first in list order wins */
      size_t t = idx / nx;
      frontier_clear (F, idx % nx, t % ny, t / ny);
      uint32_t l = _PS_LABELLED | refs[s].group;
      S[idx] = l;
      if (!_ps_queue_push (q, _ps_flood_key (map, idx), idx, l))
        return false;
    }
  size_t popped = 0, p;
  uint32_t l;
  /* The neighbourhood masks read for the voxels looked ahead at, by voxel:
   * popped a few steps later, a voxel reuses its mask. Bits only go from
   * set to clear meanwhile (a voxel's bit clears when it is labelled), so
   * the old mask holds every neighbour still unlabelled, and the label
   * check below drops the rest. */
  size_t seen_idx[8] = { SIZE_MAX, SIZE_MAX, SIZE_MAX, SIZE_MAX, SIZE_MAX, SIZE_MAX, SIZE_MAX, SIZE_MAX };
  uint32_t seen_mask[8] = { 0 };
  while (_ps_queue_pop (q, &p, &l))
    {
      if ((++popped & 0xffff) == 0 && _ps_work_stop (work))
        {
          while (_ps_queue_pop (q, &p, &l))
            ;
          return true;
        }
      /* The voxels the flood will label a few pops ahead are (mostly) the
       * frontier around the voxel queued there: fetch their label and key
       * lines now, since the flood's cost is waiting for them. */
      size_t a2 = _ps_queue_peek (q, PREFETCH_FAR);
      if (a2 != SIZE_MAX)
        {
          size_t at = divide (dx, a2), ax = a2 - at * nx, az = divide (dy, at), ay = at - az * ny;
          for (int r = 0; r < 9; r++)
            __builtin_prefetch (frontier_row (F, ay + (size_t) (r % 3), az + (size_t) (r / 3)) + (ax >> 6), 0, 3);
        }
      size_t a = _ps_queue_peek (q, PREFETCH_NEAR);
      if (a != SIZE_MAX)
        {
          size_t at = divide (dx, a), az = divide (dy, at);
          uint32_t ma = frontier_nbhd (F, a - at * nx, at - az * ny, az);
          seen_idx[a & 7] = a;
          seen_mask[a & 7] = ma;
          for (uint32_t m = ma; m != 0; m &= m - 1)
            {
              size_t r = (size_t) ((long) a + nb->lin[__builtin_ctz (m)]);
              __builtin_prefetch (S + r, 0, 3);
              __builtin_prefetch ((const uint32_t *) keys + r, 0, 3);
            }
        }
      const size_t t = divide (dx, p), x = p - t * nx, z = divide (dy, t), y = t - z * ny;
      const uint32_t mp = seen_idx[p & 7] == p ? seen_mask[p & 7] : frontier_nbhd (F, x, y, z);
      for (uint32_t m = mp; m != 0; m &= m - 1)
        {
          const int k = __builtin_ctz (m);
          size_t r = (size_t) ((long) p + nb->lin[k]);
          if (S[r] != comp)
            continue;   /* labelled since the mask was read, or its bit set again by a neighbouring flood */
          frontier_clear (F, x + (size_t) F->col[k] - 1, y + (size_t) (F->row[k] % 3) - 1,
                          z + (size_t) (F->row[k] / 3) - 1);
          S[r] = l;
          if (!_ps_queue_push (q, _ps_flood_key (map, r), r, l))
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
  Frontier F;
  memset (&F, 0, sizeof F);
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

  /* The frontier: every region voxel, before any is labelled. */
  const size_t nx = grid->nx, ny = grid->ny, nz = grid->nz;
  size_t fbytes;
  F.W = (nx + 2 + 63) / 64;
  F.ny2 = ny + 2;
  if (!ps_size_mul3 (F.W * 8, ny + 2, nz + 2, &fbytes) || ps_memory_check (fbytes) != PS_OK)
    {
      st = PS_ERROR_TOO_LARGE;
      goto out;
    }
  F.bits = ps_aligned_alloc (fbytes);
  if (F.bits == NULL)
    {
      st = PS_ERROR_NO_MEMORY;
      goto out;
    }
  for (int k = 0; k < nb.n; k++)
    {
      F.row[k] = (nb.off[k][2] + 1) * 3 + (nb.off[k][1] + 1);
      F.col[k] = nb.off[k][0] + 1;
    }
  for (int r = 0; r < 9; r++)
    for (int bits = 0; bits < 8; bits++)
      {
        F.order[r][bits] = 0;
        for (int k = 0; k < nb.n; k++)
          if (F.row[k] == r && ((bits >> F.col[k]) & 1))
            F.order[r][bits] |= 1u << k;
      }
#pragma omp parallel for schedule(static) num_threads(nt)
  for (size_t zz = 0; zz < nz + 2; zz++)
    for (size_t yy = 0; yy < ny + 2; yy++)
      {
        uint64_t *row = F.bits + (zz * (ny + 2) + yy) * F.W;
        memset (row, 0, F.W * 8);
        if (zz == 0 || yy == 0 || zz > nz || yy > ny)
          continue;
        const uint32_t *s = S + ((zz - 1) * ny + (yy - 1)) * nx;
        for (size_t x = 0; x < nx; x++)
          if (s[x] != 0)
            row[(x + 1) >> 6] |= 1ull << ((x + 1) & 63);
      }

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
        if (!flood_component (&map, &nb, &F, S, &q, c, refs + seed_first[c],
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
  ps_aligned_free (F.bits);
  free (refs);
  free (groups);
  free (seed_first);
  free (rank);
  free (order);
  free (sizes);
  return st;
}
