/* SPDX-License-Identifier: GPL-3.0-or-later */
/* ps-size.h: overflow-checked size arithmetic. Every buffer size in Porescope
 * goes through these, so a hostile header (2^31 x 2^31 x 2^31) is refused
 * instead of wrapping around to a small allocation. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* *out = a * b; false on overflow. */
static inline bool
ps_size_mul (size_t a, size_t b, size_t *out)
{
  return !__builtin_mul_overflow (a, b, out);
}

static inline bool
ps_size_add (size_t a, size_t b, size_t *out)
{
  return !__builtin_add_overflow (a, b, out);
}

/* *out = a * b * c; false on overflow. */
static inline bool
ps_size_mul3 (size_t a, size_t b, size_t c, size_t *out)
{
  size_t ab;
  return ps_size_mul (a, b, &ab) && ps_size_mul (ab, c, out);
}

/* Number of elements of an nx*ny*nz grid times @elem_size bytes. */
static inline bool
ps_size_voxels_bytes (size_t nx, size_t ny, size_t nz, size_t elem_size, size_t *out)
{
  size_t n;
  return ps_size_mul3 (nx, ny, nz, &n) && ps_size_mul (n, elem_size, out);
}
