/* SPDX-License-Identifier: GPL-3.0-or-later */
/* ps-network.c: throats between touching objects of a label volume.
 * See ps-network.h for the definitions. */
#include "ps-network.h"

#include <math.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#ifdef _OPENMP
#include <omp.h>
#endif
#if defined(__AVX2__)
#include <immintrin.h>
#endif

#include "ps-memory.h"
#include "ps-size.h"
#include "ps-stats.h"

typedef struct
{
  uint64_t key;                   /* (a << 32) | b, a < b; 0 = empty slot */
  uint64_t faces[3];
  float maxsum;                   /* max of D(p) + D(q) over the faces */
} Entry;

/* Open-addressing hash map, one per thread (two cache lines apart: no
 * false sharing of n). */
typedef struct
{
  _Alignas (64)
  Entry *slots;
  size_t cap;                     /* power of two */
  size_t n;
  bool failed;
} Map;

static inline uint64_t
hash64 (uint64_t k)
{
  k ^= k >> 33;
  k *= 0xff51afd7ed558ccdull;
  k ^= k >> 33;
  k *= 0xc4ceb9fe1a85ec53ull;
  k ^= k >> 33;
  return k;
}

static bool
map_grow (Map *m)
{
  size_t cap = m->cap ? m->cap * 2 : 1024;
  Entry *ns = calloc (cap, sizeof *ns);
  if (ns == NULL)
    return false;
  for (size_t i = 0; i < m->cap; i++)
    if (m->slots[i].key != 0)
      {
        size_t j = hash64 (m->slots[i].key) & (cap - 1);
        while (ns[j].key != 0)
          j = (j + 1) & (cap - 1);
        ns[j] = m->slots[i];
      }
  free (m->slots);
  m->slots = ns;
  m->cap = cap;
  return true;
}

static void
map_add (Map *m, uint32_t a, uint32_t b, int axis, float dsum)
{
  if (m->failed)
    return;
  if (a > b)
    {
      uint32_t t = a;
      a = b;
      b = t;
    }
  uint64_t key = ((uint64_t) a << 32) | b;
  if ((m->n + 1) * 2 > m->cap && !map_grow (m))
    {
      m->failed = true;
      return;
    }
  size_t j = hash64 (key) & (m->cap - 1);
  while (m->slots[j].key != 0 && m->slots[j].key != key)
    j = (j + 1) & (m->cap - 1);
  Entry *e = &m->slots[j];
  if (e->key == 0)
    {
      e->key = key;
      e->maxsum = -INFINITY;
      m->n++;
    }
  e->faces[axis]++;
  if (dsum > e->maxsum)
    e->maxsum = dsum;
}

/* D(p) + D(q) in nm for voxel indices @p, @q. */
static inline float
dsum (const PsDistanceMap *D, size_t p, size_t q)
{
  if (D == NULL)
    return 0.0f;
  return (float) (ps_distance_map_nm (D, p) + ps_distance_map_nm (D, q));
}

/* Pairs (a[i], b[i]) with a[i] != b[i], both non-zero: a shared face. @ia
 * and @ib are the voxel indices of a[0] and b[0] (for the distance map). */
static void
face_rows (Map *m, const uint32_t *a, const uint32_t *b, const PsDistanceMap *D, size_t ia,
           size_t ib, size_t n, int axis)
{
  size_t i = 0;
#if defined(__AVX2__)
  for (; i + 8 <= n; i += 8)
    {
      __m256i va = _mm256_loadu_si256 ((const __m256i *) (a + i));
      __m256i vb = _mm256_loadu_si256 ((const __m256i *) (b + i));
      /* lanes with a == b, a == 0 or b == 0 are no shared face */
      const __m256i zero = _mm256_setzero_si256 ();
      __m256i skip = _mm256_or_si256 (_mm256_cmpeq_epi32 (va, vb),
                                      _mm256_or_si256 (_mm256_cmpeq_epi32 (va, zero),
                                                       _mm256_cmpeq_epi32 (vb, zero)));
      unsigned hit = ~(unsigned) _mm256_movemask_ps (_mm256_castsi256_ps (skip)) & 0xffu;
      while (hit != 0)
        {
          int k = __builtin_ctz (hit);
          map_add (m, a[i + k], b[i + k], axis, dsum (D, ia + i + k, ib + i + k));
          hit &= hit - 1;
        }
    }
#endif
  for (; i < n; i++)
    {
      uint32_t la = a[i], lb = b[i];
      if (la != lb && la != 0 && lb != 0)
        map_add (m, la, lb, axis, dsum (D, ia + i, ib + i));
    }
}

static int
cmp_entry (const void *pa, const void *pb)
{
  uint64_t a = ((const Entry *) pa)->key, b = ((const Entry *) pb)->key;
  return a < b ? -1 : a > b;
}

PsStatus
ps_network_validate (const PsNetworkParams *params)
{
  if (params == NULL || params->labels == NULL || params->labels->data == NULL)
    return PS_ERROR_INVALID_PARAMETER;
  const PsLabels *lab = params->labels;
  if (lab->nx == 0 || lab->ny == 0 || lab->nz == 0)
    return PS_ERROR_INVALID_PARAMETER;
  for (int k = 0; k < 3; k++)
    if (!(lab->spacing[k] > 0.0) || !isfinite (lab->spacing[k]))
      return PS_ERROR_INVALID_PARAMETER;
  if (params->objects != NULL && params->objects->n_objects != lab->n_labels)
    return PS_ERROR_INVALID_PARAMETER;
  size_t n;
  if (!ps_size_mul3 (lab->nx, lab->ny, lab->nz, &n))
    return PS_ERROR_TOO_LARGE;
  return PS_OK;
}

void
ps_network_free (PsNetwork *network)
{
  if (network == NULL)
    return;
  free (network->coordination);
  free (network->throats);
  free (network);
}

PsStatus
ps_network_run (const PsNetworkParams *params, PsNetwork **out, const PsProgress *progress)
{
  PsStatus st = ps_network_validate (params);
  if (st != PS_OK)
    return st;
  if (out == NULL)
    return PS_ERROR_INVALID_PARAMETER;
  *out = NULL;

  const PsLabels *lab = params->labels;
  const size_t nx = lab->nx, ny = lab->ny, nz = lab->nz;
  const size_t n_rows = ny * nz;
  const uint32_t *L = lab->data;
  const PsDistanceMap *D = params->distance;
  const int n_threads = ps_threads_resolve (params->n_threads);
  size_t need;
  if (!ps_size_mul ((size_t) lab->n_labels + 1, sizeof (uint32_t), &need))
    return PS_ERROR_TOO_LARGE;
  if ((st = ps_memory_check (need)) != PS_OK)
    return st;

  Map *maps = ps_aligned_calloc ((size_t) n_threads * sizeof *maps);
  if (maps == NULL)
    return PS_ERROR_NO_MEMORY;
  atomic_int stop = 0;
  atomic_size_t done = 0;
  ps_progress_report (progress, 0.0, "Finding throats");

#pragma omp parallel num_threads(n_threads)
  {
#ifdef _OPENMP
    Map *m = &maps[omp_get_thread_num ()];
#else
    Map *m = &maps[0];
#endif
    /* One z slice per iteration: polls cancellation, reports progress. */
#pragma omp for schedule(dynamic, 1)
    for (size_t z = 0; z < nz; z++)
      {
        if (atomic_load (&stop) || m->failed)
          continue;
        if (ps_progress_cancelled (progress))
          {
            atomic_store (&stop, 2);
            continue;
          }
        for (size_t y = 0; y < ny; y++)
          {
            size_t off = (z * ny + y) * nx;
            const uint32_t *row = L + off;
            if (nx > 1)
              face_rows (m, row, row + 1, D, off, off + 1, nx - 1, 0);
            if (y + 1 < ny)
              face_rows (m, row, row + nx, D, off, off + nx, nx, 1);
            if (z + 1 < nz)
              face_rows (m, row, row + nx * ny, D, off, off + nx * ny, nx, 2);
          }
        if (m->failed)
          atomic_store (&stop, 1);
        size_t k = atomic_fetch_add (&done, 1) + 1;
#ifdef _OPENMP
        if (omp_get_thread_num () == 0)
#endif
          ps_progress_report (progress, 0.9 * (double) k / (double) nz, "Finding throats");
      }
  }
  (void) n_rows;

  int stopped = atomic_load (&stop);
  PsNetwork *net = NULL;
  Entry *all = NULL;
  size_t n_all = 0, n_unique = 0;
  if (stopped == 0)
    {
      for (int t = 0; t < n_threads; t++)
        n_all += maps[t].n;
      all = malloc ((n_all ? n_all : 1) * sizeof *all);
      net = calloc (1, sizeof *net);
      if (net != NULL)
        net->coordination = calloc ((size_t) lab->n_labels + 1, sizeof (uint32_t));
      if (all == NULL || net == NULL || net->coordination == NULL)
        stopped = 1;
    }
  if (stopped == 0)
    {
      size_t k = 0;
      for (int t = 0; t < n_threads; t++)
        for (size_t i = 0; i < maps[t].cap; i++)
          if (maps[t].slots[i].key != 0)
            all[k++] = maps[t].slots[i];
      qsort (all, n_all, sizeof *all, cmp_entry);
      /* Reduce equal keys (exact: integer sums and maxima). */
      for (size_t i = 0; i < n_all; i++)
        {
          if (n_unique > 0 && all[n_unique - 1].key == all[i].key)
            {
              Entry *e = &all[n_unique - 1];
              for (int a = 0; a < 3; a++)
                e->faces[a] += all[i].faces[a];
              if (all[i].maxsum > e->maxsum)
                e->maxsum = all[i].maxsum;
            }
          else
            all[n_unique++] = all[i];
          /* A label above n_labels is bad input, not a reason to overrun. */
          if ((all[i].key & 0xffffffffu) > lab->n_labels)
            stopped = 3;
        }
    }
  if (stopped == 0)
    {
      net->n_nodes = lab->n_labels;
      net->n_throats = n_unique;
      net->throats = calloc (n_unique ? n_unique : 1, sizeof *net->throats);
      if (net->throats == NULL)
        stopped = 1;
      else
        {
          const double *sp = lab->spacing;
          const double face_area[3] = { sp[1] * sp[2], sp[0] * sp[2], sp[0] * sp[1] };
          for (size_t i = 0; i < n_unique; i++)
            {
              PsThroat *t = &net->throats[i];
              t->label_a = (uint32_t) (all[i].key >> 32);
              t->label_b = (uint32_t) (all[i].key & 0xffffffffu);
              t->area_nm2 = 0.0;
              for (int a = 0; a < 3; a++)
                {
                  t->faces[a] = all[i].faces[a];
                  t->area_nm2 += (double) all[i].faces[a] * face_area[a];
                }
              /* 2 × (D(p) + D(q)) / 2 */
              t->inscribed_diameter_nm = D ? (double) all[i].maxsum : NAN;
              t->length_nm = NAN;
              if (params->objects != NULL)
                {
                  const PsObjectStats *oa = &params->objects->objects[t->label_a - 1];
                  const PsObjectStats *ob = &params->objects->objects[t->label_b - 1];
                  double d2 = 0.0;
                  for (int a = 0; a < 3; a++)
                    d2 += (oa->centroid_nm[a] - ob->centroid_nm[a]) * (oa->centroid_nm[a] - ob->centroid_nm[a]);
                  t->length_nm = sqrt (d2);
                }
              net->coordination[t->label_a - 1]++;
              net->coordination[t->label_b - 1]++;
            }
          ps_progress_report (progress, 1.0, "Finding throats");
        }
    }

  for (int t = 0; t < n_threads; t++)
    free (maps[t].slots);
  ps_aligned_free (maps);
  free (all);
  if (stopped != 0)
    {
      ps_network_free (net);
      return stopped == 2 ? PS_ERROR_CANCELLED
           : stopped == 3 ? PS_ERROR_INVALID_PARAMETER
                          : PS_ERROR_NO_MEMORY;
    }
  *out = net;
  return PS_OK;
}
