/* SPDX-License-Identifier: GPL-3.0-or-later */
/* ps-measure-private.h: knobs for tests only. */
#pragma once

#include <stddef.h>

/* Voxels per chunk of the measurement pass (default 4 Mi). Tests lower it to
 * check that chunked partial sums are identical for any thread count. Not
 * thread-safe: set it before measuring. */
extern size_t _ps_measure_chunk_voxels;
