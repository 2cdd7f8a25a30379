/* SPDX-License-Identifier: GPL-3.0-or-later */
/* ps-kernel-private.h: helpers shared by the analysis kernels (not public API).
 *
 * Threads: every kernel resolves the caller's thread count once and passes
 * it to num_threads(). Progress: worker loops bump an atomic counter of
 * finished work items; only OpenMP thread 0 calls the progress callback, so
 * the fractions it reports are monotonic. Cancellation: the flag is polled
 * once per work item (a slice, a line block or a level); once seen, the
 * remaining items are skipped and the kernel returns PS_ERROR_CANCELLED.
 */
#pragma once

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#ifdef _OPENMP
#include <omp.h>
#endif

#include "ps-stats.h"
#include "ps-status.h"

static inline int
_ps_thread_id (void)
{
#ifdef _OPENMP
  return omp_get_thread_num ();
#else
  return 0;
#endif
}

typedef struct
{
  const PsProgress *progress;
  const char *message;
  double lo, hi;          /* this stage's share of the kernel's [0, 1] */
  size_t total;           /* work items in the stage */
  atomic_size_t done;
  atomic_int cancelled;
} _PsWork;

static inline void
_ps_work_init (_PsWork *w, const PsProgress *p, const char *message,
               double lo, double hi, size_t total)
{
  w->progress = p;
  w->message = message;
  w->lo = lo;
  w->hi = hi;
  w->total = total > 0 ? total : 1;
  atomic_init (&w->done, 0);
  atomic_init (&w->cancelled, ps_progress_cancelled (p) ? 1 : 0);
}

/* True when the remaining items should be skipped. Polls the cancel flag. */
static inline bool
_ps_work_stop (_PsWork *w)
{
  if (atomic_load_explicit (&w->cancelled, memory_order_relaxed))
    return true;
  if (ps_progress_cancelled (w->progress))
    {
      atomic_store (&w->cancelled, 1);
      return true;
    }
  return false;
}

/* One item finished; thread 0 reports. */
static inline void
_ps_work_item_done (_PsWork *w)
{
  size_t d = atomic_fetch_add_explicit (&w->done, 1, memory_order_relaxed) + 1;
  if (w->progress != NULL && w->progress->func != NULL && _ps_thread_id () == 0)
    ps_progress_report (w->progress, w->lo + (w->hi - w->lo) * (double) d / (double) w->total,
                        w->message);
}

static inline bool
_ps_work_was_cancelled (_PsWork *w)
{
  return atomic_load (&w->cancelled) != 0;
}

/* Voxel offsets of the 6-, 18- or 26-neighbourhood, ordered by city-block
 * distance (faces, then edges, then corners) and, within one distance, in
 * raster order. Returns the count (0 for a bad @connectivity). */
static inline int
_ps_neighbour_offsets (int connectivity, int off[26][3])
{
  int n = 0;
  int maxl1 = connectivity == 6 ? 1 : connectivity == 18 ? 2 : connectivity == 26 ? 3 : 0;
  for (int l1 = 1; l1 <= maxl1; l1++)
    for (int dz = -1; dz <= 1; dz++)
      for (int dy = -1; dy <= 1; dy++)
        for (int dx = -1; dx <= 1; dx++)
          if (abs (dx) + abs (dy) + abs (dz) == l1)
            {
              off[n][0] = dx;
              off[n][1] = dy;
              off[n][2] = dz;
              n++;
            }
  return n;
}
