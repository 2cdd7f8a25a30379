/* SPDX-License-Identifier: GPL-3.0-or-later */
/* ps-label.c: run-based connected-component labelling (see ps-label.h). */
#include "ps-label.h"

#include <stdlib.h>
#include <string.h>

#include "ps-kernel-private.h"
#include "ps-label-private.h"
#include "ps-memory.h"
#include "ps-size.h"

void
ps_label_params_init (PsLabelParams *params)
{
  memset (params, 0, sizeof *params);
  params->connectivity = 26;
}

PsStatus
ps_label_validate (const PsLabelParams *params, const PsGrid *grid)
{
  if (params == NULL || params->n_threads < 0 ||
      (params->connectivity != 6 && params->connectivity != 18 && params->connectivity != 26))
    return PS_ERROR_INVALID_PARAMETER;
  return ps_grid_validate (grid);
}

/* A previous row a run may touch: offset (dy, dz) and how far the x overlap
 * is widened (1 when diagonal steps in x are allowed). */
typedef struct
{
  int dy, dz, widen;
} RowNeighbour;

static int
row_neighbours (int connectivity, RowNeighbour nb[4])
{
  switch (connectivity)
    {
    case 6:
      nb[0] = (RowNeighbour) { -1, 0, 0 };
      nb[1] = (RowNeighbour) { 0, -1, 0 };
      return 2;
    case 18:
      nb[0] = (RowNeighbour) { -1, 0, 1 };
      nb[1] = (RowNeighbour) { 0, -1, 1 };
      nb[2] = (RowNeighbour) { -1, -1, 0 };
      nb[3] = (RowNeighbour) { 1, -1, 0 };
      return 4;
    default:
      nb[0] = (RowNeighbour) { -1, 0, 1 };
      nb[1] = (RowNeighbour) { 0, -1, 1 };
      nb[2] = (RowNeighbour) { -1, -1, 1 };
      nb[3] = (RowNeighbour) { 1, -1, 1 };
      return 4;
    }
}

static inline uint32_t
uf_find (uint32_t *parent, uint32_t a)
{
  while (parent[a] != a)
    {
      parent[a] = parent[parent[a]];   /* path halving; parents only decrease */
      a = parent[a];
    }
  return a;
}

typedef struct
{
  uint32_t x0, x1;      /* [x0, x1) */
} Run;

typedef struct
{
  size_t nx, ny, nz;
  _PsRegion region;
  const uint64_t *row_start;   /* first run number of each row (ny·nz + 1) */
  uint32_t *parent;
  RowNeighbour nb[4];
  int n_nb;
} LabelJob;

/* The row as bits (bit x of word x/64; bits past nx are 0). Masks are
 * packed eight bytes at a time: fold every byte onto its lowest bit, then
 * gather the eight lowest bits with one multiplication. Distance maps are
 * first compared into bytes (a loop the compiler vectorises). */
static inline uint64_t
pack8 (const uint8_t *p)
{
  uint64_t v;
  memcpy (&v, p, 8);
  v |= v >> 4;
  v |= v >> 2;
  v |= v >> 1;
  v &= 0x0101010101010101ull;
  return (v * 0x0102040810204080ull) >> 56;
}

static void
row_words (const LabelJob *j, size_t row, uint8_t *tmp, uint64_t *w)
{
  const size_t nx = j->nx, base = row * nx, nw = (nx + 63) / 64;
  const uint8_t *bytes;
  switch (j->region.kind)
    {
    case _PS_REGION_MASK:
      bytes = (const uint8_t *) j->region.data + base;
      break;
    case _PS_REGION_U32:
      {
        const uint32_t *m = (const uint32_t *) j->region.data + base;
        for (size_t x = 0; x < nx; x++)
          tmp[x] = m[x] != 0;
        bytes = tmp;
      }
      break;
    default:
      {
        const float *m = (const float *) j->region.data + base;
        for (size_t x = 0; x < nx; x++)
          tmp[x] = m[x] > 0.0f;
        bytes = tmp;
      }
      break;
    }
  size_t x = 0;
  for (size_t k = 0; k < nw; k++)
    {
      uint64_t word = 0;
      if (x + 64 <= nx)
        {
          for (int b = 0; b < 8; b++)
            word |= pack8 (bytes + x + 8 * b) << (8 * b);
          x += 64;
        }
      else
        {
          for (int b = 0; x < nx; x++, b++)
            word |= (uint64_t) (bytes[x] != 0) << b;
        }
      w[k] = word;
    }
  if (j->region.kind == _PS_REGION_MASK && j->region.invert)
    {
      for (size_t k = 0; k < nw; k++)
        w[k] = ~w[k];
      if (nx % 64)
        w[nw - 1] &= (1ull << (nx % 64)) - 1;
    }
}

/* Number of runs in a row of bits. */
static size_t
count_runs (const uint64_t *w, size_t nw)
{
  size_t n = 0;
  uint64_t carry = 0;
  for (size_t k = 0; k < nw; k++)
    {
      uint64_t v = w[k];
      n += (size_t) __builtin_popcountll (v & ~((v << 1) | carry));
      carry = v >> 63;
    }
  return n;
}

/* Runs of a row of bits; returns their number. */
static size_t
words_runs (const uint64_t *w, size_t nx, Run *runs)
{
  const size_t nw = (nx + 63) / 64;
  size_t n = 0;
  uint64_t carry = 0;
  uint32_t x0 = 0;
  for (size_t k = 0; k < nw; k++)
    {
      uint64_t v = w[k], prev = (v << 1) | carry;
      uint64_t edges = (v & ~prev) | (~v & prev);   /* starts and ends alternate */
      while (edges)
        {
          unsigned b = (unsigned) __builtin_ctzll (edges);
          uint32_t x = (uint32_t) (64 * k + b);
          if ((v >> b) & 1)
            x0 = x;
          else
            runs[n++] = (Run) { x0, x };
          edges &= edges - 1;
        }
      carry = v >> 63;
    }
  if (carry)
    runs[n++] = (Run) { x0, (uint32_t) nx };
  return n;
}

static size_t
row_runs (const LabelJob *j, size_t row, uint8_t *tmp, uint64_t *w, Run *runs)
{
  row_words (j, row, tmp, w);
  return words_runs (w, j->nx, runs);
}

/* Unite the runs @a (numbers from @na0) with the touching runs @b (from
 * @nb0), x overlap widened by @w: a merge walk over two sorted lists. Union
 * keeps the smaller run number as the root, so the root of a component is
 * its first run in raster order. */
static void
link_runs (uint32_t *parent, const Run *a, size_t na, uint32_t na0, const Run *b, size_t nb,
           uint32_t nb0, uint32_t w)
{
  size_t i = 0, k = 0;
  uint32_t ra = UINT32_MAX;   /* root of run a[i], once known */
  while (i < na && k < nb)
    {
      if (b[k].x1 + w <= a[i].x0)
        k++;
      else if (a[i].x1 + w <= b[k].x0)
        {
          i++;
          ra = UINT32_MAX;
        }
      else
        {
          if (ra == UINT32_MAX)
            ra = uf_find (parent, na0 + (uint32_t) i);
          uint32_t rb = uf_find (parent, nb0 + (uint32_t) k);
          if (rb < ra)
            {
              parent[ra] = rb;
              ra = rb;
            }
          else if (ra < rb)
            parent[rb] = ra;
          if (a[i].x1 < b[k].x1)
            {
              i++;
              ra = UINT32_MAX;
            }
          else
            k++;
        }
    }
}

/* Passes 0 and 1 and the final numbering, shared by both outputs: the
 * runs of every row (*j's row_start) and each run's component number 1 … n
 * in raster order of first voxel (*j's parent); the caller frees both. */
static PsStatus
label_runs (const PsGrid *grid, const _PsRegion *region, int connectivity, int nt,
            const PsProgress *progress, LabelJob *out_job, uint32_t *n_components)
{
  const size_t nx = grid->nx, ny = grid->ny, nz = grid->nz, n_rows = ny * nz;
  size_t bytes;
  LabelJob j = { nx, ny, nz, *region, NULL, NULL, { { 0 } }, 0 };
  j.n_nb = row_neighbours (connectivity, j.nb);
  PsStatus st = PS_OK;
  uint64_t *row_start = NULL;
  uint32_t *parent = NULL;

  if (!ps_size_mul (n_rows + 1, sizeof (uint64_t), &bytes) || ps_memory_check (bytes) != PS_OK)
    return PS_ERROR_TOO_LARGE;
  row_start = malloc (bytes);
  if (row_start == NULL)
    return PS_ERROR_NO_MEMORY;
  j.row_start = row_start;

  _PsWork w0, w1;
  bool failed = false;
  _ps_work_init (&w0, progress, "Labelling", 0.0, 0.2, nz);

  /* Pass 0: runs per row. */
  const size_t nw = (nx + 63) / 64;
#pragma omp parallel num_threads(nt) reduction(|:failed)
  {
    uint8_t *tmp = malloc (nx + 8);
    uint64_t *w = malloc (nw * sizeof (uint64_t));
    if (tmp == NULL || w == NULL)
      failed = true;
#pragma omp for schedule(dynamic, 4)
    for (size_t z = 0; z < nz; z++)
      {
        if (failed || _ps_work_stop (&w0))
          continue;
        for (size_t y = 0; y < ny; y++)
          {
            row_words (&j, z * ny + y, tmp, w);
            row_start[z * ny + y + 1] = count_runs (w, nw);
          }
        _ps_work_item_done (&w0);
      }
    free (tmp);
    free (w);
  }
  if (failed)
    {
      st = PS_ERROR_NO_MEMORY;
      goto out;
    }
  if (_ps_work_was_cancelled (&w0))
    {
      st = PS_ERROR_CANCELLED;
      goto out;
    }
  row_start[0] = 0;
  size_t max_slice_runs = 0;
  for (size_t z = 0; z < nz; z++)
    {
      for (size_t y = 0; y < ny; y++)
        row_start[z * ny + y + 1] += row_start[z * ny + y];
      size_t s = (size_t) (row_start[(z + 1) * ny] - row_start[z * ny]);
      max_slice_runs = s > max_slice_runs ? s : max_slice_runs;
    }
  const uint64_t n_runs = row_start[n_rows];
  if (n_runs >= UINT32_MAX)
    {
      st = PS_ERROR_TOO_LARGE;
      goto out;
    }
  if (!ps_size_mul ((size_t) n_runs + 1, sizeof (uint32_t), &bytes) || ps_memory_check (bytes) != PS_OK)
    {
      st = PS_ERROR_TOO_LARGE;
      goto out;
    }
  parent = malloc (bytes);
  if (parent == NULL)
    {
      st = PS_ERROR_NO_MEMORY;
      goto out;
    }
  j.parent = parent;
  for (uint64_t r = 0; r < n_runs; r++)
    parent[r] = (uint32_t) r;

  /* Pass 1: unions inside z-slabs (contiguous slice ranges, a few per
   * thread), keeping the runs of the current and the previous slice. */
  size_t n_slabs = (size_t) nt * 4;
  if (n_slabs > nz)
    n_slabs = nz;
  _ps_work_init (&w1, progress, "Labelling", 0.2, 0.6, nz);
#pragma omp parallel num_threads(nt) reduction(|:failed)
  {
    uint8_t *bits = malloc (nx + 8);
    uint64_t *w = malloc (nw * sizeof (uint64_t));
    Run *cur = malloc ((max_slice_runs + 1) * sizeof (Run));
    Run *prev = malloc ((max_slice_runs + 1) * sizeof (Run));
    if (bits == NULL || w == NULL || cur == NULL || prev == NULL)
      failed = true;
#pragma omp for schedule(dynamic, 1)
    for (size_t s = 0; s < n_slabs; s++)
      {
        size_t z0 = nz * s / n_slabs, z1 = nz * (s + 1) / n_slabs;
        for (size_t z = z0; z < z1; z++)
          {
            if (failed || _ps_work_stop (&w1))
              break;
            const uint64_t cs = row_start[z * ny];
            const uint64_t ps = z > 0 ? row_start[(z - 1) * ny] : 0;
            for (size_t y = 0; y < ny; y++)
              {
                const size_t row = z * ny + y;
                Run *r = cur + (row_start[row] - cs);
                size_t nr = row_runs (&j, row, bits, w, r);
                for (int k = 0; k < j.n_nb && nr > 0; k++)
                  {
                    const RowNeighbour *nb = &j.nb[k];
                    long yy = (long) y + nb->dy;
                    if (yy < 0 || yy >= (long) ny || (nb->dz != 0 && z == z0))
                      continue;
                    size_t orow = (nb->dz == 0 ? z : z - 1) * ny + (size_t) yy;
                    const Run *o = (nb->dz == 0 ? cur + (row_start[orow] - cs) : prev + (row_start[orow] - ps));
                    size_t no = (size_t) (row_start[orow + 1] - row_start[orow]);
                    link_runs (parent, r, nr, (uint32_t) row_start[row], o, no,
                               (uint32_t) row_start[orow], (uint32_t) nb->widen);
                  }
              }
            Run *t = prev;
            prev = cur;
            cur = t;
            _ps_work_item_done (&w1);
          }
      }
#pragma omp barrier
    /* Stitch the slabs across each slab's first slice. Unions run on one
     * thread; the run lists are rebuilt from the region. */
#pragma omp single
    {
      for (size_t s = 1; s < n_slabs && !failed; s++)
        {
          size_t z = nz * s / n_slabs;
          const uint64_t cs = row_start[z * ny], ps = row_start[(z - 1) * ny];
          for (size_t y = 0; y < ny; y++)
            row_runs (&j, (z - 1) * ny + y, bits, w, prev + (row_start[(z - 1) * ny + y] - ps));
          for (size_t y = 0; y < ny; y++)
            {
              const size_t row = z * ny + y;
              Run *r = cur + (row_start[row] - cs);
              size_t nr = row_runs (&j, row, bits, w, r);
              for (int k = 0; k < j.n_nb && nr > 0; k++)
                {
                  const RowNeighbour *nb = &j.nb[k];
                  long yy = (long) y + nb->dy;
                  if (nb->dz == 0 || yy < 0 || yy >= (long) ny)
                    continue;
                  size_t orow = (z - 1) * ny + (size_t) yy;
                  link_runs (parent, r, nr, (uint32_t) row_start[row], prev + (row_start[orow] - ps),
                             (size_t) (row_start[orow + 1] - row_start[orow]),
                             (uint32_t) row_start[orow], (uint32_t) nb->widen);
                }
            }
        }
    }
    free (bits);
    free (w);
    free (cur);
    free (prev);
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

  /* Final numbers: roots are first runs, so counting roots in run order
   * numbers components by their first voxel in raster order. parent[] is
   * overwritten with the final label as it goes: a non-root's parent is
   * smaller, hence already final. */
  uint32_t count = 0;
  for (uint32_t r = 0; r < (uint32_t) n_runs; r++)
    parent[r] = parent[r] == r ? ++count : parent[parent[r]];

  *n_components = count;
  j.row_start = row_start;
  j.parent = parent;
  *out_job = j;
  return PS_OK;

out:
  free (parent);
  free (row_start);
  return st;
}

PsStatus
_ps_label_region (const PsGrid *grid, const _PsRegion *region, int connectivity, int nt,
                  uint32_t *labels, uint32_t *n_labels, uint64_t **sizes,
                  const PsProgress *progress)
{
  const size_t nx = grid->nx, nz = grid->nz, ny = grid->ny, nw = (nx + 63) / 64;
  LabelJob j;
  uint32_t count = 0;
  uint64_t *size = NULL;
  bool failed = false;
  _PsWork w2;
  if (sizes != NULL)
    *sizes = NULL;
  PsStatus st = label_runs (grid, region, connectivity, nt, progress, &j, &count);
  if (st != PS_OK)
    return st;
  const uint64_t *row_start = j.row_start;
  uint32_t *parent = j.parent;

  if (sizes != NULL)
    {
      size = calloc ((size_t) count + 1, sizeof (uint64_t));
      if (size == NULL)
        {
          st = PS_ERROR_NO_MEMORY;
          goto out;
        }
    }

  /* Pass 2: write the labels, run by run (and count voxels per label). */
  _ps_work_init (&w2, progress, "Labelling", 0.6, 1.0, nz);
#pragma omp parallel num_threads(nt) reduction(|:failed)
  {
    uint8_t *bits = malloc (nx + 8);
    uint64_t *w = malloc (nw * sizeof (uint64_t));
    Run *runs = malloc ((nx / 2 + 2) * sizeof (Run));
    if (bits == NULL || w == NULL || runs == NULL)
      failed = true;
#pragma omp for schedule(dynamic, 4)
    for (size_t z = 0; z < nz; z++)
      {
        if (failed || _ps_work_stop (&w2))
          continue;
        for (size_t y = 0; y < ny; y++)
          {
            const size_t row = z * ny + y;
            uint32_t *out = labels + row * nx;
            size_t nr = row_runs (&j, row, bits, w, runs), x = 0;
            uint32_t first = (uint32_t) row_start[row];
            for (size_t k = 0; k < nr; k++)
              {
                for (; x < runs[k].x0; x++)
                  out[x] = 0;
                uint32_t l = parent[first + k];
                for (; x < runs[k].x1; x++)
                  out[x] = l;
                if (size != NULL)
                  {
#pragma omp atomic
                    size[l] += runs[k].x1 - runs[k].x0;
                  }
              }
            for (; x < nx; x++)
              out[x] = 0;
          }
        _ps_work_item_done (&w2);
      }
    free (bits);
    free (w);
    free (runs);
  }
  if (failed)
    {
      st = PS_ERROR_NO_MEMORY;
      goto out;
    }
  if (_ps_work_was_cancelled (&w2))
    {
      st = PS_ERROR_CANCELLED;
      goto out;
    }
  if (n_labels != NULL)
    *n_labels = count;
  if (sizes != NULL)
    {
      *sizes = size;
      size = NULL;
    }
  ps_progress_report (progress, 1.0, "Labelling");

out:
  free (size);
  free (parent);
  free ((void *) row_start);
  return st;
}

/* Set bits [a, b) of @bits; words shared with another thread's rows are
 * OR-ed atomically. */
static inline void
set_bit_range (uint64_t *bits, size_t a, size_t b)
{
  while (a < b)
    {
      size_t w = a >> 6, e = (w + 1) << 6 < b ? (w + 1) << 6 : b;
      uint64_t m = (e - a == 64 ? ~0ull : ((1ull << (e - a)) - 1)) << (a & 63);
      __atomic_fetch_or (&bits[w], m, __ATOMIC_RELAXED);
      a = e;
    }
}

PsStatus
_ps_label_region_faces (const PsGrid *grid, const _PsRegion *region, int connectivity, int nt,
                        uint64_t *bits, const PsProgress *progress)
{
  const size_t nx = grid->nx, ny = grid->ny, nz = grid->nz, nw = (nx + 63) / 64;
  LabelJob j;
  uint32_t count = 0;
  bool failed = false;
  uint8_t *touch = NULL;
  PsStatus st = label_runs (grid, region, connectivity, nt, progress, &j, &count);
  if (st != PS_OK)
    return st;
  touch = calloc ((size_t) count + 1, 1);
  if (touch == NULL)
    {
      st = PS_ERROR_NO_MEMORY;
      goto out;
    }
  memset (bits, 0, (nx * ny * nz + 63) / 64 * sizeof (uint64_t));

  /* Components with a run on a face: every run of the rows on the y and z
   * faces, the first and last runs of the others. */
  for (int pass = 0; pass < 2 && !failed; pass++)
    {
      _PsWork w;
      _ps_work_init (&w, progress, "Labelling", pass == 0 ? 0.6 : 0.8, pass == 0 ? 0.8 : 1.0, nz);
#pragma omp parallel num_threads(nt) reduction(|:failed)
      {
        uint8_t *tmp = malloc (nx + 8);
        uint64_t *w64 = malloc (nw * sizeof (uint64_t));
        Run *runs = malloc ((nx / 2 + 2) * sizeof (Run));
        if (tmp == NULL || w64 == NULL || runs == NULL)
          failed = true;
#pragma omp for schedule(dynamic, 4)
        for (size_t z = 0; z < nz; z++)
          {
            if (failed || _ps_work_stop (&w))
              continue;
            for (size_t y = 0; y < ny; y++)
              {
                const size_t row = z * ny + y;
                if (j.row_start[row + 1] == j.row_start[row])
                  continue;
                size_t nr = row_runs (&j, row, tmp, w64, runs);
                const uint32_t *lab = j.parent + j.row_start[row];
                if (pass == 0)
                  {
                    const bool face = z == 0 || y == 0 || z + 1 == nz || y + 1 == ny;
                    for (size_t k = 0; k < nr; k++)
                      if (face || runs[k].x0 == 0 || runs[k].x1 == nx)
                        __atomic_store_n (&touch[lab[k]], 1, __ATOMIC_RELAXED);
                  }
                else
                  for (size_t k = 0; k < nr; k++)
                    if (__atomic_load_n (&touch[lab[k]], __ATOMIC_RELAXED))
                      set_bit_range (bits, row * nx + runs[k].x0, row * nx + runs[k].x1);
              }
            _ps_work_item_done (&w);
          }
        free (tmp);
        free (w64);
        free (runs);
      }
      if (!failed && _ps_work_was_cancelled (&w))
        {
          st = PS_ERROR_CANCELLED;
          goto out;
        }
    }
  if (failed)
    {
      st = PS_ERROR_NO_MEMORY;
      goto out;
    }
  ps_progress_report (progress, 1.0, "Labelling");

out:
  free (touch);
  free (j.parent);
  free ((void *) j.row_start);
  return st;
}

PsStatus
ps_label_run (const PsLabelParams *params, const PsGrid *grid, const uint8_t *mask,
              uint32_t *labels, uint32_t *n_labels, const PsProgress *progress)
{
  PsStatus st = ps_label_validate (params, grid);
  if (st != PS_OK)
    return st;
  if (mask == NULL || labels == NULL)
    return PS_ERROR_INVALID_PARAMETER;
  _PsRegion region = { _PS_REGION_MASK, mask, params->invert };
  return _ps_label_region (grid, &region, params->connectivity,
                           ps_threads_resolve (params->n_threads), labels, n_labels, NULL,
                           progress);
}
