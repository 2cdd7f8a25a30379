/* SPDX-License-Identifier: GPL-3.0-or-later */
/* ps-memory.h: aligned allocation and the memory budget.
 *
 * Before any large allocation (a volume, labels, a reconstruction) callers ask
 * ps_memory_check() whether it fits: the need is compared with the memory the
 * kernel reports available (MemAvailable, capped by a cgroup limit) and with a
 * user-set limit, so Porescope refuses with a message instead of being killed
 * by the OOM killer. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "ps-status.h"

#ifdef __cplusplus
extern "C" {
#endif

#define PS_ALIGNMENT 64

/* 64-byte aligned allocation; NULL on failure or size 0. Free with ps_aligned_free(). */
void *ps_aligned_alloc (size_t bytes);
void *ps_aligned_calloc (size_t bytes);
void ps_aligned_free (void *ptr);

/* Bytes the system could still give us (MemAvailable, cgroup limit), or
 * SIZE_MAX when unknown. */
size_t ps_memory_available (void);

/* User limit in bytes (0 = none). Also read once from $PORESCOPE_MEMORY_LIMIT
 * (bytes, or with a K/M/G suffix). Thread-safe. */
void ps_memory_set_limit (size_t bytes);
size_t ps_memory_get_limit (void);

/* PS_OK when @bytes more can be allocated within the budget, else
 * PS_ERROR_TOO_LARGE. */
PsStatus ps_memory_check (size_t bytes);

/* Human-readable size ("1.5 GiB") into @buf. Returns @buf. */
char *ps_format_bytes (uint64_t bytes, char *buf, size_t buf_len);

#ifdef __cplusplus
}
#endif
