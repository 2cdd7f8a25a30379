/* SPDX-License-Identifier: GPL-3.0-or-later */
/* ps-label.c: run-based connected-component labelling (see ps-label.h). */
#include "ps-label.h"

#include <stdlib.h>
#include <string.h>

#include "ps-kernel-private.h"
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

/* Union keeping the smaller run number as the root: the root of a component
 * is then its first run in raster order. */
static inline void
uf_union (uint32_t *parent, uint32_t a, uint32_t b)
{
  a = uf_find (parent, a);
  b = uf_find (parent, b);
  if (a < b)
    parent[b] = a;
  else if (b < a)
    parent[a] = b;
}

typedef struct
{
  size_t nx, ny, nz;
  uint8_t on;           /* the mask value of the phase, as a boolean */
  const uint8_t *mask;
  uint32_t *labels;
  uint32_t *parent;
  const uint64_t *row_start;   /* first run number of each row (ny·nz + 1) */
  RowNeighbour nb[4];
  int n_nb;
} LabelJob;

static inline bool
phase (const LabelJob *j, size_t i)
{
  return (j->mask[i] != 0) == j->on;
}

/* Unite the runs of row (y, z) with those of the previous rows listed in
 * j->nb; with @only_dz_minus, just the rows of slice z − 1 (slab stitching). */
static void
link_row (const LabelJob *j, size_t y, size_t z, bool within_slab_first, bool only_dz_minus)
{
  const size_t nx = j->nx;
  const uint32_t *row = j->labels + (z * j->ny + y) * nx;

  for (int k = 0; k < j->n_nb; k++)
    {
      const RowNeighbour *n = &j->nb[k];
      if (only_dz_minus && n->dz == 0)
        continue;
      if (!only_dz_minus && n->dz != 0 && within_slab_first)
        continue;
      long yy = (long) y + n->dy, zz = (long) z + n->dz;
      if (yy < 0 || yy >= (long) j->ny || zz < 0)
        continue;
      const uint32_t *other = j->labels + ((size_t) zz * j->ny + (size_t) yy) * nx;
      size_t x = 0;
      while (x < nx)
        {
          if (row[x] == 0)
            {
              x++;
              continue;
            }
          uint32_t me = row[x] - 1;
          size_t x0 = x;
          while (x < nx && row[x] != 0)
            x++;
          /* Run [x0, x); neighbour voxels in [x0 − w, x − 1 + w]. */
          size_t a = x0 >= (size_t) n->widen ? x0 - (size_t) n->widen : 0;
          size_t b = x + (size_t) n->widen < nx ? x + (size_t) n->widen : nx;
          uint32_t last = 0;
          for (size_t t = a; t < b; t++)
            {
              uint32_t l = other[t];
              if (l != 0 && l != last)
                {
                  uf_union (j->parent, me, l - 1);
                  last = l;
                }
            }
        }
    }
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

  const size_t nx = grid->nx, ny = grid->ny, nz = grid->nz, n_rows = ny * nz;
  const int nt = ps_threads_resolve (params->n_threads);
  size_t bytes;
  LabelJob j = { nx, ny, nz, params->invert ? 0 : 1, mask, labels, NULL, NULL, { { 0 } }, 0 };
  j.n_nb = row_neighbours (params->connectivity, j.nb);

  if (!ps_size_mul (n_rows + 1, sizeof (uint64_t), &bytes) || ps_memory_check (bytes) != PS_OK)
    return PS_ERROR_TOO_LARGE;
  uint64_t *row_start = malloc (bytes);
  if (row_start == NULL)
    return PS_ERROR_NO_MEMORY;
  j.row_start = row_start;

  _PsWork w0, w1, w2;
  _ps_work_init (&w0, progress, "Labelling", 0.0, 0.15, nz);

  /* Pass 0: runs per row. */
#pragma omp parallel for schedule(static) num_threads(nt)
  for (size_t z = 0; z < nz; z++)
    {
      if (_ps_work_stop (&w0))
        continue;
      for (size_t y = 0; y < ny; y++)
        {
          const size_t base = (z * ny + y) * nx;
          uint64_t runs = 0;
          bool prev = false;
          for (size_t x = 0; x < nx; x++)
            {
              bool cur = phase (&j, base + x);
              runs += cur && !prev;
              prev = cur;
            }
          row_start[z * ny + y + 1] = runs;
        }
      _ps_work_item_done (&w0);
    }
  if (_ps_work_was_cancelled (&w0))
    {
      free (row_start);
      return PS_ERROR_CANCELLED;
    }
  row_start[0] = 0;
  for (size_t r = 0; r < n_rows; r++)
    row_start[r + 1] += row_start[r];
  const uint64_t n_runs = row_start[n_rows];
  if (n_runs >= UINT32_MAX)
    {
      free (row_start);
      return PS_ERROR_TOO_LARGE;
    }
  if (!ps_size_mul ((size_t) n_runs + 1, sizeof (uint32_t), &bytes) || ps_memory_check (bytes) != PS_OK)
    {
      free (row_start);
      return PS_ERROR_TOO_LARGE;
    }
  uint32_t *parent = malloc (bytes);
  if (parent == NULL)
    {
      free (row_start);
      return PS_ERROR_NO_MEMORY;
    }
  j.parent = parent;

  /* Pass 1: provisional labels (run number + 1) and unions inside z-slabs.
   * Slabs are contiguous ranges of slices; a few per thread balance load. */
  size_t n_slabs = (size_t) nt * 4;
  if (n_slabs > nz)
    n_slabs = nz;
  _ps_work_init (&w1, progress, "Labelling", 0.15, 0.7, nz);
#pragma omp parallel for schedule(dynamic, 1) num_threads(nt)
  for (size_t s = 0; s < n_slabs; s++)
    {
      size_t z0 = nz * s / n_slabs, z1 = nz * (s + 1) / n_slabs;
      for (size_t z = z0; z < z1; z++)
        {
          if (_ps_work_stop (&w1))
            break;
          for (size_t y = 0; y < ny; y++)
            {
              const size_t base = (z * ny + y) * nx;
              uint32_t run = (uint32_t) row_start[z * ny + y];
              size_t x = 0;
              while (x < nx)
                {
                  if (!phase (&j, base + x))
                    {
                      labels[base + x] = 0;
                      x++;
                      continue;
                    }
                  parent[run] = run;
                  uint32_t l = run + 1;
                  while (x < nx && phase (&j, base + x))
                    labels[base + x++] = l;
                  run++;
                }
              link_row (&j, y, z, z == z0, false);
            }
          _ps_work_item_done (&w1);
        }
    }
  if (_ps_work_was_cancelled (&w1))
    {
      free (parent);
      free (row_start);
      return PS_ERROR_CANCELLED;
    }

  /* Stitch the slabs: unions across each slab's first slice, in order. */
  for (size_t s = 1; s < n_slabs; s++)
    {
      size_t z0 = nz * s / n_slabs;
      for (size_t y = 0; y < ny; y++)
        link_row (&j, y, z0, true, true);
    }

  /* Final numbers: roots are first runs, so counting roots in run order
   * numbers components by their first voxel in raster order. parent[] is
   * overwritten with the final label as it goes: a non-root's parent is
   * smaller, hence already final. */
  uint32_t count = 0;
  for (uint32_t r = 0; r < (uint32_t) n_runs; r++)
    parent[r] = parent[r] == r ? ++count : parent[parent[r]];

  /* Pass 2: provisional → final. */
  _ps_work_init (&w2, progress, "Labelling", 0.7, 1.0, nz);
#pragma omp parallel for schedule(static) num_threads(nt)
  for (size_t z = 0; z < nz; z++)
    {
      if (_ps_work_stop (&w2))
        continue;
      uint32_t *sl = labels + z * ny * nx;
      for (size_t i = 0; i < ny * nx; i++)
        {
          uint32_t l = sl[i];
          if (l != 0)
            sl[i] = parent[l - 1];
        }
      _ps_work_item_done (&w2);
    }
  free (parent);
  free (row_start);
  if (_ps_work_was_cancelled (&w2))
    return PS_ERROR_CANCELLED;
  if (n_labels != NULL)
    *n_labels = count;
  ps_progress_report (progress, 1.0, "Labelling");
  return PS_OK;
}
