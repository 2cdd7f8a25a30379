/* SPDX-License-Identifier: GPL-3.0-or-later */
/* ps-basins.c: catchment basins by steepest ascent (see ps-basins-private.h). */
#include "ps-basins-private.h"

#include <stdlib.h>
#include <string.h>

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
_ps_basins_run (const _PsBasinJob *job, uint32_t *S, _PsBasinEdge **edges_out, size_t *n_edges_out)
{
  const _PsFloodMap *map = job->map;
  const _PsNbhd *nb = job->nb;
  const PsGrid *grid = job->grid;
  const PsProgress *progress = job->progress;
  const size_t nx = grid->nx, ny = grid->ny, nz = grid->nz, slice = nx * ny;
  const int nt = job->n_threads;
  const uint32_t max_key = job->max_key;
#define P(f) (job->p0 + (job->p1 - job->p0) * (f))
  PsStatus st = PS_OK;
  size_t *plateau = NULL, plateau_cap = 0, bytes;
  Vec *cand = NULL, *edges = NULL;
  _PsBasinEdge *sorted = NULL;
  size_t *level_first = NULL;
  bool failed = false;

  if (edges_out != NULL)
    *edges_out = NULL;
  if (n_edges_out != NULL)
    *n_edges_out = 0;
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
  const bool rows = map->mask == NULL && map->d2 != NULL && nx > 2;
  _PsWork w1;
  _ps_work_init (&w1, progress, job->message, P (0.0), P (0.3), nz);
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
        for (size_t y = 0; y < ny && !failed; y++)
          {
            const size_t row = (z * ny + y) * nx;
            const bool fast = rows && y > 0 && z > 0 && y + 1 < ny && z + 1 < nz;
            if (fast)
              {
                const uint32_t *c = map->d2 + row;
                for (size_t x = 1; x + 1 < nx; x++)
                  {
                    rbest[x] = c[x];
                    rcode[x] = _PS_B_CAND;
                  }
                for (int t = 0; t < nb->n; t++)
                  {
                    const uint32_t *q = c + nb->lin[t];
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
                    if (map->d2[i] == 0)
                      {
                        S[i] = 0;
                        continue;
                      }
                    code = rcode[x];
                  }
                else
                  {
                    if (!_ps_flood_in_region (map, i))
                      {
                        S[i] = 0;
                        continue;
                      }
                    const uint32_t k = _ps_flood_key (map, i);
                    const bool inner = x > 0 && y > 0 && z > 0 && x + 1 < nx && y + 1 < ny && z + 1 < nz;
                    uint32_t best = k;
                    code = _PS_B_CAND;
                    for (int t = 0; t < nb->n; t++)
                      {
                        if (!inner)
                          {
                            long xx = (long) x + nb->off[t][0], yy = (long) y + nb->off[t][1];
                            long zz = (long) z + nb->off[t][2];
                            if (xx < 0 || yy < 0 || zz < 0 || xx >= (long) nx || yy >= (long) ny ||
                                zz >= (long) nz)
                              continue;
                          }
                        size_t r = (size_t) ((long) i + nb->lin[t]);
                        if (!_ps_flood_in_region (map, r))
                          continue;
                        uint32_t kr = _ps_flood_key (map, r);
                        if (kr > best)
                          {
                            best = kr;
                            code = (uint32_t) t + 1;
                          }
                      }
                  }
                S[i] = code;
                if (code == _PS_B_CAND && !vec_push (&cand[z], &i, sizeof i))
                  {
                    failed = true;
                    break;
                  }
              }
          }
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

  /* Roots end chains: resolved before the plateaus are searched. */
  for (size_t r = 0; r < job->n_roots; r++)
    {
      size_t i = job->root_index[r];
      if (S[i] != 0 && !(S[i] & _PS_B_RES))
        S[i] = _PS_B_RES | job->root_id[r];
    }

  /* 2. Plateaus, in raster order of their first voxel (serial). */
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
          if (S[i0] != _PS_B_CAND)
            continue;   /* visited, resolved or pointed already */
          uint32_t k = _ps_flood_key (map, i0);
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
          S[i0] |= _PS_B_VIS;
          while (head < np)
            {
              size_t p = plateau[head++], nbr[26];
              if ((S[p] & ~_PS_B_VIS) != _PS_B_CAND)
                continue;   /* an exit: the plateau is left here, not explored further */
              int c = _ps_nbhd_of (nb, p, nbr);
              for (int t = 0; t < c; t++)
                {
                  size_t r = nbr[t];
                  uint32_t sr = S[r];
                  if (sr == 0 || (sr & _PS_B_VIS) || _ps_flood_key (map, r) != k)
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
                  if (sr != _PS_B_CAND)
                    n_exit++;
                  plateau[np++] = r;
                  S[r] |= _PS_B_VIS;
                }
            }
          if (n_exit == 0)
            {
              /* A regional maximum; i0 is its first voxel in raster order
               * (all its voxels are candidates, met in raster order). */
              uint32_t id;
              st = job->new_basin (job->ctx, k, i0, &id);
              if (st != PS_OK)
                goto out;
              if (id == 0 || id > _PS_B_MAX_ID)
                {
                  st = PS_ERROR_TOO_LARGE;
                  goto out;
                }
              for (size_t t = 0; t < np; t++)
                S[plateau[t]] = _PS_B_RES | id;
              continue;
            }
          /* Not a maximum: breadth-first from the exits over the rest. */
          size_t q = 0;
          for (size_t t = 0; t < np; t++)
            if ((S[plateau[t]] & ~_PS_B_VIS) != _PS_B_CAND)
              {
                S[plateau[t]] &= ~_PS_B_VIS;        /* an exit keeps its pointer */
                plateau[q++] = plateau[t];
              }
          head = 0;
          while (head < q)
            {
              size_t p = plateau[head++];
              const size_t x = p % nx, y = (p / nx) % ny, zz0 = p / slice;
              for (int t = 0; t < nb->n; t++)
                {
                  long xx = (long) x - nb->off[t][0], yy = (long) y - nb->off[t][1];
                  long zz = (long) zz0 - nb->off[t][2];
                  if (xx < 0 || yy < 0 || zz < 0 || xx >= (long) nx || yy >= (long) ny || zz >= (long) nz)
                    continue;
                  /* r = p − offset t, so r's neighbour t is p */
                  size_t r = (size_t) ((long) p - nb->lin[t]);
                  if (S[r] != (_PS_B_CAND | _PS_B_VIS))
                    continue;
                  S[r] = (uint32_t) t + 1;
                  plateau[q++] = r;
                }
            }
        }
    }

  /* 3. Resolve pointer chains to basins. */
  _PsWork w3;
  _ps_work_init (&w3, progress, job->message, P (0.3), P (0.55), nz);
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
            if (v == 0 || (v & _PS_B_RES))
              continue;
            size_t len = 0, p = i;
            while (!(v & _PS_B_RES))
              {
                if (len == cap && !_ps_grow (&chain, &cap, len + 1))
                  {
                    failed = true;
                    break;
                  }
                chain[len++] = p;
                p = (size_t) ((long) p + nb->lin[(v & _PS_B_CODE) - 1]);
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

  if (!job->want_edges)
    goto out;

  /* 4. Edges between basins: for each voxel and each later neighbour of
   * another basin, level = the lower key; per voxel only the highest level
   * per neighbouring basin is kept. */
  _PsWork w4;
  _ps_work_init (&w4, progress, job->message, P (0.55), P (0.85), nz);
#pragma omp parallel for schedule(dynamic, 1) num_threads(nt) reduction(|:failed)
  for (size_t z = 0; z < nz; z++)
    {
      if (failed || _ps_work_stop (&w4))
        continue;
      for (size_t i = z * slice; i < (z + 1) * slice && !failed; i++)
        {
          uint32_t v = S[i];
          if (v == 0)
            continue;
          const uint32_t bi = v & ~_PS_B_RES, k = _ps_flood_key (map, i);
          const size_t x = i % nx, y = (i / nx) % ny;
          _PsBasinEdge e[26];
          int ne = 0;
          for (int t = 0; t < nb->n; t++)
            {
              if (nb->lin[t] < 0)
                continue;   /* each pair once: from its first voxel */
              long xx = (long) x + nb->off[t][0], yy = (long) y + nb->off[t][1];
              long zz = (long) z + nb->off[t][2];
              if (xx < 0 || yy < 0 || xx >= (long) nx || yy >= (long) ny || zz >= (long) nz)
                continue;
              size_t r = (size_t) ((long) i + nb->lin[t]);
              uint32_t vr = S[r];
              if (vr == 0 || vr == v)
                continue;
              uint32_t kr = _ps_flood_key (map, r), lv = kr < k ? kr : k, br = vr & ~_PS_B_RES;
              int f = 0;
              while (f < ne && e[f].b != br)
                f++;
              if (f == ne)
                e[ne++] = (_PsBasinEdge) { lv, bi, br };
              else if (lv > e[f].level)
                e[f].level = lv;
            }
          for (int f = 0; f < ne; f++)
            if (!vec_push (&edges[z], &e[f], sizeof (_PsBasinEdge)))
              {
                failed = true;
                break;
              }
        }
      _ps_work_item_done (&w4);
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
  /* Sorted by decreasing level: a counting sort on integer levels, else a
   * radix sort on the level's bits; stable, so raster order among equals. */
  size_t n_edges = 0;
  for (size_t z = 0; z < nz; z++)
    n_edges += edges[z].n;
  if (n_edges > 0)
    {
      const size_t n_levels = (size_t) max_key + 2;
      if (!ps_size_mul (n_edges, sizeof (_PsBasinEdge), &bytes) || ps_memory_check (bytes) != PS_OK)
        {
          st = PS_ERROR_TOO_LARGE;
          goto out;
        }
      sorted = malloc (bytes);
      level_first = map->d2 != NULL && max_key < (1u << 26) ? calloc (n_levels + 1, sizeof (size_t)) : NULL;
      if (sorted == NULL)
        {
          st = PS_ERROR_NO_MEMORY;
          goto out;
        }
      if (level_first != NULL)
        {
          for (size_t z = 0; z < nz; z++)
            for (size_t t = 0; t < edges[z].n; t++)
              level_first[max_key + 1 - ((_PsBasinEdge *) edges[z].items)[t].level]++;
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
                _PsBasinEdge e = ((_PsBasinEdge *) edges[z].items)[t];
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
                memcpy (sorted + at, edges[z].items, edges[z].n * sizeof (_PsBasinEdge));
              at += edges[z].n;
            }
          _PsBasinEdge *tmp = malloc (bytes);
          if (tmp == NULL)
            {
              st = PS_ERROR_NO_MEMORY;
              goto out;
            }
          _PsBasinEdge *src = sorted, *dst = tmp;
          for (unsigned shift = 0; shift < 32; shift += 8)
            {
              size_t count[257] = { 0 };
              for (size_t t = 0; t < n_edges; t++)
                count[(255 - ((src[t].level >> shift) & 255)) + 1]++;
              for (int d = 0; d < 256; d++)
                count[d + 1] += count[d];
              for (size_t t = 0; t < n_edges; t++)
                dst[count[255 - ((src[t].level >> shift) & 255)]++] = src[t];
              _PsBasinEdge *sw = src;
              src = dst;
              dst = sw;
            }
          /* four passes: the result is back in sorted[] */
          free (tmp);
        }
    }
  if (edges_out != NULL)
    {
      *edges_out = sorted;
      sorted = NULL;
    }
  if (n_edges_out != NULL)
    *n_edges_out = n_edges;

out:
#undef P
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
  return st;
}
