/* SPDX-License-Identifier: GPL-3.0-or-later */
/* ps-status.h: result codes and progress/cancellation for the compute kernels.
 *
 * src/core is plain C11 + libm + OpenMP: no GLib. Kernels report failure with a
 * PsStatus; the io/jobs layers turn it into a GError exactly once.
 */
#pragma once

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum
{
  PS_OK = 0,
  PS_ERROR_FAILED,            /* anything else */
  PS_ERROR_INVALID_PARAMETER, /* a parameter is out of range or inconsistent */
  PS_ERROR_TOO_LARGE,         /* a size overflows or exceeds the memory budget */
  PS_ERROR_NO_MEMORY,         /* an allocation failed */
  PS_ERROR_CANCELLED,         /* the caller's cancel flag was set */
} PsStatus;

/* A static English description of @status. */
const char *ps_status_to_string (PsStatus status);

/* Progress callback: @fraction in [0, 1], monotonic within one operation;
 * @message is a short static or transient description (may be NULL).
 * Called from worker threads: the callee must be thread-safe. */
typedef void (*PsProgressFunc) (double fraction, const char *message, void *user_data);

/* Progress + cancellation, passed by pointer to every long kernel. All fields
 * may be NULL/0: a zeroed PsProgress (or a NULL pointer) means "no reporting,
 * never cancelled". */
typedef struct
{
  PsProgressFunc func;
  void *user_data;
  atomic_int *cancel;   /* non-zero = cancel requested; polled per slice/angle/level */
  /* Sub-range mapping so a pipeline can hand a kernel [lo, hi] of its bar. */
  double lo, hi;
} PsProgress;

static inline bool
ps_progress_cancelled (const PsProgress *p)
{
  return p != NULL && p->cancel != NULL && atomic_load_explicit (p->cancel, memory_order_relaxed) != 0;
}

static inline void
ps_progress_report (const PsProgress *p, double fraction, const char *message)
{
  if (p == NULL || p->func == NULL)
    return;
  if (fraction < 0.0) fraction = 0.0;
  if (fraction > 1.0) fraction = 1.0;
  double lo = p->lo, hi = p->hi;
  if (!(hi > lo)) { lo = 0.0; hi = 1.0; }
  p->func (lo + (hi - lo) * fraction, message, p->user_data);
}

/* A PsProgress covering [lo, hi] of @parent's range (for pipelines). */
static inline PsProgress
ps_progress_sub (const PsProgress *parent, double lo, double hi)
{
  PsProgress sub = { 0 };
  if (parent == NULL)
    return sub;
  sub = *parent;
  double plo = parent->lo, phi = parent->hi;
  if (!(phi > plo)) { plo = 0.0; phi = 1.0; }
  sub.lo = plo + (phi - plo) * lo;
  sub.hi = plo + (phi - plo) * hi;
  return sub;
}

#ifdef __cplusplus
}
#endif
