/* SPDX-License-Identifier: GPL-3.0-or-later */
/* ps-atomic-file.h: every output is written atomically.
 *
 * Data go to a temporary file beside the target, which is flushed, synced and
 * renamed over the target only when everything was written. A failed or
 * cancelled write removes the temporary and leaves any old file intact. When
 * the target exists and is not a regular file (/dev/full, a FIFO,
 * /dev/stdout) it is written in place, since renaming over it would replace
 * the device node. */
#pragma once

#include <glib.h>
#include <stdio.h>

G_BEGIN_DECLS

typedef struct _PsAtomicFile PsAtomicFile;

PsAtomicFile *ps_atomic_file_open (const char *path, GError **error);
/* The descriptor to write to (owned by the PsAtomicFile). */
int ps_atomic_file_get_fd (PsAtomicFile *file);
/* The path actually being written (the temporary). */
const char *ps_atomic_file_get_temp_path (PsAtomicFile *file);
/* fsync, close, rename; frees @file in every case. */
gboolean ps_atomic_file_commit (PsAtomicFile *file, GError **error);
/* Remove the temporary; frees @file. NULL is ignored. */
void ps_atomic_file_abort (PsAtomicFile *file);

/* Write @len bytes atomically to @path. */
gboolean ps_write_file_atomic (const char *path, const void *data, gsize len, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (PsAtomicFile, ps_atomic_file_abort)

G_END_DECLS
