/* SPDX-License-Identifier: GPL-3.0-or-later */
/* ps-io-private.h: helpers shared by the format readers and writers. */
#pragma once

#include <glib.h>

#include "ps-volume-io.h"

G_BEGIN_DECLS

/* Sample conversion. @swap: the source is in the other byte order. */
void _ps_convert_to_float (PsDType dtype, const void *src, gsize n, gboolean swap, float *dst);
/* Convert integer samples to uint32 labels; FALSE if a value is negative or
 * does not fit (floats must be whole numbers). */
gboolean _ps_convert_to_u32 (PsDType dtype, const void *src, gsize n, gboolean swap, guint32 *dst);

/* The linear map from float voxels to an integer output type:
 * out = clamp(round(v * scale + offset)). */
typedef struct
{
  double scale, offset;
  double lo, hi;            /* the output type's range */
  gboolean rescaled;        /* scale/offset are not identity */
  double in_min, in_max;    /* the input range that was mapped */
  guint64 n_clamped;        /* values outside the type's range (identity map) */
  guint64 n_nonfinite;      /* NaN/Inf written as 0 */
} PsSampleMap;

/* Decide how to store @vol as @dtype (see PsSaveOptions.rescale). */
void _ps_sample_map_plan (const PsVolume *vol, PsDType dtype, gboolean rescale, PsSampleMap *map);
/* Convert @n floats to @dtype (little-endian, host order) into @dst. */
void _ps_sample_map_apply (const PsSampleMap *map, PsDType dtype, const float *src, gsize n, void *dst);

PsFileInfo *_ps_file_info_new (PsFileFormat format, const char *format_name);
void _ps_file_info_note (PsFileInfo *info, const char *format, ...) G_GNUC_PRINTF (2, 3);

/* Length unit name → nm per unit; 0 if unknown ("pixel", ""). */
double _ps_unit_to_nm (const char *unit);

/* Read a whole file into memory, refusing more than @max_bytes. */
guint8 *_ps_read_file (const char *path, gsize max_bytes, gsize *len, GError **error);

gboolean _ps_check_alloc (gsize bytes, const char *what, GError **error);

/* Best rational approximation num/den of @value with num, den < 2^32. */
void _ps_rational_approx (double value, guint32 *num, guint32 *den);

/* TIFF pieces used by the dispatcher. */
PsLabels *_ps_tiff_load_labels (const char *path, GError **error);
gboolean _ps_tiff_save_labels (const PsLabels *labels, const char *path, GError **error);

/* A small buffered little-endian writer on a file descriptor; the first
 * error is stored in *error and later writes are ignored. */
typedef struct
{
  int fd;
  const char *path;
  guint8 *buf;
  gsize len, cap;
  guint64 written;
  GError **error;
  gboolean failed;
} PsBufWriter;

gboolean _ps_buf_writer_flush (PsBufWriter *w);
void _ps_buf_writer_put (PsBufWriter *w, const void *data, gsize len);
void _ps_buf_writer_pad (PsBufWriter *w, gsize align);
void _ps_buf_writer_u16 (PsBufWriter *w, guint16 v);
void _ps_buf_writer_u32 (PsBufWriter *w, guint32 v);
void _ps_buf_writer_u64 (PsBufWriter *w, guint64 v);

G_END_DECLS
