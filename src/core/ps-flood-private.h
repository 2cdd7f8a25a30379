/* SPDX-License-Identifier: GPL-3.0-or-later */
/* ps-flood-private.h: what the seeds and watershed floods share (not public).
 *
 * Keys. Flooding order comes from a uint32 key per voxel, larger = earlier:
 * the exact squared distance (PsDistanceMap.dist2), or the bit pattern of
 * the float distance, which orders non-negative floats like their values.
 * PS_EDT_INFINITE (a phase with no background) maps to one past the largest
 * finite key.
 *
 * Queue. A max-priority queue of voxel indices, FIFO among equal keys. With
 * squared distances the keys are small integers and the queue is a bucket
 * queue: one FIFO of 64-index chunks per key, chunks recycled through a free
 * list — O(1) per operation, memory proportional to the frontier. With
 * float keys it is a binary heap ordered by (key, arrival), O(log n).
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

/* ---- the queue ----------------------------------------------------------- */

#define _PS_CHUNK 64
#define _PS_NONE UINT32_MAX
/* Bucket queues for keys up to this; beyond it a heap. */
#define _PS_MAX_BUCKETS (1u << 22)

typedef struct
{
  uint32_t next;             /* next chunk of the same bucket */
  uint32_t rd, wr;           /* read and write positions */
  uint32_t item[_PS_CHUNK];
} _PsChunk;

typedef struct
{
  uint32_t key;
  uint64_t age;
  uint64_t index;
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

/* Push voxel @index with @key; false when memory ran out (q->failed). */
static inline bool
_ps_queue_push (_PsQueue *q, uint32_t key, size_t index)
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
  _PsHeapItem it = { key, q->age++, index };
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
 * same chunk of the top bucket (SIZE_MAX otherwise): floods prefetch its
 * neighbourhood, since their cost is memory latency, not arithmetic. */
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
  return pos < c->wr ? c->item[pos] : SIZE_MAX;
}

/* Prefetch the rows of voxel @i's 3×3×3 neighbourhood in @S (for writing)
 * and in the key array @keys (4-byte values). */
static inline void
_ps_prefetch_nbhd (const _PsNbhd *nb, size_t i, const uint32_t *S, const void *keys)
{
  if (i == SIZE_MAX)
    return;
  const long sx = (long) nb->nx, sxy = (long) (nb->nx * nb->ny);
  for (int dz = -1; dz <= 1; dz++)
    for (int dy = -1; dy <= 1; dy++)
      {
        long j = (long) i + dz * sxy + dy * sx;
        if (j < 0 || j >= sxy * (long) nb->nz)
          continue;
        __builtin_prefetch (S + j, 1, 1);
        __builtin_prefetch ((const uint32_t *) keys + j, 0, 1);
      }
}

static inline bool
_ps_queue_pop (_PsQueue *q, size_t *index, uint32_t *key)
{
  if (q->count == 0)
    return false;
  if (q->buckets)
    {
      while (q->head[q->cur] == _PS_NONE)
        q->cur--;
      uint32_t h = q->head[q->cur];
      _PsChunk *c = &q->chunks[h];
      *index = c->item[c->rd++];
      *key = q->cur;
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
  *key = top.key;
  return true;
}

/* ---- components ---------------------------------------------------------- */

#include "ps-label-private.h"

/* Voxel states in the label/scratch buffer during a flood: 0 outside the
 * region, the component number c (< 2^29) while unlabelled, and
 * _PS_LABELLED | id once a seed's or basin's flood reached it. */
#define _PS_LABELLED 0x80000000u
#define _PS_NOTMAX 0x40000000u      /* h-maxima: has a strictly higher neighbour */
#define _PS_VISITED 0x20000000u     /* h-maxima: plateau explored */
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

/* ---- the flood engine ------------------------------------------------------
 *
 * A priority flood that always processes the highest key first. Among equal
 * keys it works in *rounds*: all queued voxels of the top key are taken out
 * at once, sorted by voxel index and processed in that order (a raster sweep
 * over the level set, so neighbourhoods stay in cache and the hardware
 * prefetcher helps); voxels queued at the same key meanwhile form the next
 * round. A voxel queued above the level being processed (a flood climbing
 * into an unseeded maximum) is handled first: its level is processed,
 * recursively, before the interrupted round continues. Deterministic, the
 * same with buckets and the heap, and independent of the thread count. */

typedef struct
{
  size_t *items;
  size_t len, pos, cap;
  uint32_t key;
} _PsRound;

typedef struct
{
  _PsQueue q;
  _PsRound *stack;       /* rounds in progress, innermost last */
  size_t depth, cap_depth;
  size_t *tmp;           /* radix sort buffer */
  size_t cap_tmp;
} _PsFlood;

static inline PsStatus
_ps_flood_init (_PsFlood *f, uint32_t max_key, bool integer_keys, size_t n_voxels)
{
  memset (f, 0, sizeof *f);
  return _ps_queue_init (&f->q, max_key, integer_keys, n_voxels);
}

static inline void
_ps_flood_free (_PsFlood *f)
{
  _ps_queue_free (&f->q);
  for (size_t i = 0; i < f->cap_depth; i++)
    free (f->stack[i].items);
  free (f->stack);
  free (f->tmp);
  memset (f, 0, sizeof *f);
}

/* Largest key in the queue (the queue must not be empty). */
static inline uint32_t
_ps_queue_top_key (_PsQueue *q)
{
  if (q->buckets)
    {
      while (q->head[q->cur] == _PS_NONE)
        q->cur--;
      return q->cur;
    }
  return q->heap[0].key;
}

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

/* Sort @n indices ascending: insertion sort when short, else LSD radix sort
 * on 11-bit digits up to the highest bit present. */
static inline bool
_ps_sort_indices (size_t *a, size_t n, size_t **tmp, size_t *cap_tmp)
{
  if (n < 48)
    {
      for (size_t i = 1; i < n; i++)
        {
          size_t v = a[i], j = i;
          while (j > 0 && a[j - 1] > v)
            {
              a[j] = a[j - 1];
              j--;
            }
          a[j] = v;
        }
      return true;
    }
  if (!_ps_grow (tmp, cap_tmp, n))
    return false;
  size_t mx = 0;
  for (size_t i = 0; i < n; i++)
    mx = a[i] > mx ? a[i] : mx;
  size_t *src = a, *dst = *tmp;
  unsigned shift = 0;
  while (shift < 64 && (mx >> shift) != 0)
    {
      size_t count[2049] = { 0 };
      for (size_t i = 0; i < n; i++)
        count[((src[i] >> shift) & 2047) + 1]++;
      for (int d = 0; d < 2048; d++)
        count[d + 1] += count[d];
      for (size_t i = 0; i < n; i++)
        dst[count[(src[i] >> shift) & 2047]++] = src[i];
      size_t *t = src;
      src = dst;
      dst = t;
      shift += 11;
    }
  if (src != a)
    memcpy (a, src, n * sizeof (size_t));
  return true;
}

/* Take every queued voxel of key @key into a new round (sorted). */
static inline bool
_ps_flood_open_round (_PsFlood *f, uint32_t key)
{
  if (f->depth == f->cap_depth)
    {
      size_t c = f->cap_depth ? f->cap_depth * 2 : 8;
      _PsRound *ns = realloc (f->stack, c * sizeof (_PsRound));
      if (ns == NULL)
        return false;
      memset (ns + f->cap_depth, 0, (c - f->cap_depth) * sizeof (_PsRound));
      f->stack = ns;
      f->cap_depth = c;
    }
  _PsRound *r = &f->stack[f->depth];
  r->len = r->pos = 0;
  r->key = key;
  size_t idx;
  uint32_t k;
  while (f->q.count > 0 && _ps_queue_top_key (&f->q) == key)
    {
      _ps_queue_pop (&f->q, &idx, &k);
      if (!_ps_grow (&r->items, &r->cap, r->len + 1))
        return false;
      r->items[r->len++] = idx;
    }
  if (!_ps_sort_indices (r->items, r->len, &f->tmp, &f->cap_tmp))
    return false;
  f->depth++;
  return true;
}

/* Run the flood until the queue is empty. @visit(ctx, p, key) processes one
 * voxel (it queues neighbours through _ps_queue_push (&f->q, …)) and returns
 * false on failure. Cancellation is polled every 64 Ki voxels. */
typedef bool (*_PsVisit) (void *ctx, size_t p, uint32_t key);

static inline bool
_ps_flood_run (_PsFlood *f, _PsVisit visit, void *ctx, const _PsNbhd *nb, const uint32_t *S,
               const void *keys, _PsWork *work, bool *cancelled)
{
  size_t done = 0;
  *cancelled = false;
  while (f->q.count > 0 || f->depth > 0)
    {
      if (f->depth == 0)
        {
          if (!_ps_flood_open_round (f, _ps_queue_top_key (&f->q)))
            return false;
          continue;
        }
      _PsRound *r = &f->stack[f->depth - 1];
      if (r->pos == r->len)
        {
          f->depth--;
          continue;
        }
      /* A climb above this round's level comes first. */
      if (f->q.count > 0 && _ps_queue_top_key (&f->q) > r->key)
        {
          if (!_ps_flood_open_round (f, _ps_queue_top_key (&f->q)))
            return false;
          continue;
        }
      if (r->pos + 8 < r->len)
        _ps_prefetch_nbhd (nb, r->items[r->pos + 8], S, keys);
      size_t p = r->items[r->pos++];
      if (!visit (ctx, p, r->key))
        return false;
      if ((++done & 0xffff) == 0 && work != NULL && _ps_work_stop (work))
        {
          *cancelled = true;
          /* leave the engine empty for the next component */
          size_t i;
          uint32_t k;
          while (_ps_queue_pop (&f->q, &i, &k))
            ;
          f->depth = 0;
          return true;
        }
    }
  return true;
}
