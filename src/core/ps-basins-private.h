/* SPDX-License-Identifier: GPL-3.0-or-later */
/* ps-basins-private.h: catchment basins of a key map by steepest ascent
 * (not public; shared by the h-maxima seeds and the watershed).
 *
 * Every region voxel is given the basin of the regional maximum that its
 * steepest-ascent path climbs to, without flooding: flooding is memory-
 * latency bound on large components (each level set is a thin shell spread
 * over the whole component), while everything here streams through the
 * volume in raster order:
 *
 *  1. every region voxel points to its highest neighbour, if strictly
 *     higher (ties: the first in neighbourhood order), in parallel;
 *  2. voxels without a higher neighbour ("candidates") form plateaus; a
 *     plateau reaches no voxel with a higher neighbour and holds no root is
 *     a regional maximum and becomes a new basin; inside the other plateaus,
 *     pointers lead breadth-first to an exit (an equal-key voxel that has a
 *     higher neighbour, or a root), so every chain climbs to one basin. The
 *     search walks candidates only: an exit is recorded, not walked through
 *     (walking on through exits explored whole level sets — entire d² = 1
 *     shells — for one small plateau);
 *  3. pointer chains are resolved to basin numbers (in parallel; a voxel's
 *     basin is unique, so concurrent resolutions write the same value);
 *  4. optionally, adjacent voxels of different basins give an edge at level
 *     min(key) — per voxel and neighbouring basin the highest level — and
 *     the edges are sorted by decreasing level (stable: raster order).
 *
 * Roots: voxels given a basin number before step 2 (the watershed's seeds);
 * they end their chains like a maximum does. Deterministic and the same for
 * any thread count: new basins are numbered in raster order of the
 * plateau's first voxel, edges are collected per slice in raster order.
 *
 * Scratch states in S: 0 outside; 1 … 26 a pointer (neighbour number + 1);
 * _PS_B_CAND a candidate; _PS_B_RES | basin once resolved; _PS_B_VIS marks
 * plateau exploration. On return S holds 0 or _PS_B_RES | basin. */
#pragma once

#include "ps-flood-private.h"

#define _PS_B_RES 0x80000000u
#define _PS_B_VIS 0x40000000u
#define _PS_B_CAND 27u
#define _PS_B_CODE 0x3fu
#define _PS_B_MAX_ID (_PS_B_VIS - 2)

typedef struct
{
  uint32_t level, a, b;
} _PsBasinEdge;

/* A regional maximum without a root, at @key, first voxel @first (raster
 * order): give it a basin number (1 … _PS_B_MAX_ID) through @id. */
typedef PsStatus (*_PsNewBasin) (void *ctx, uint32_t key, size_t first, uint32_t *id);

typedef struct
{
  const _PsFloodMap *map;
  const PsGrid *grid;
  const _PsNbhd *nb;
  int n_threads;
  uint32_t max_key;             /* largest key in the region */
  const size_t *root_index;     /* region voxels resolved beforehand; */
  const uint32_t *root_id;      /* a voxel listed twice keeps its first id */
  size_t n_roots;
  _PsNewBasin new_basin;
  void *ctx;
  bool want_edges;
  const PsProgress *progress;   /* reported over [p0, p1] */
  double p0, p1;
  const char *message;
} _PsBasinJob;

/* Run steps 1–3 (and 4 with want_edges: *edges malloc'ed, sorted by
 * decreasing level; NULL when there are none) into @S. */
PsStatus _ps_basins_run (const _PsBasinJob *job, uint32_t *S, _PsBasinEdge **edges,
                         size_t *n_edges);
