/* SPDX-License-Identifier: GPL-3.0-or-later */
/* ps-volume-io.h: load and save volumes, labels and tilt series.
 *
 * Formats: TIFF (libtiff: stacks, strips/tiles, every codec libtiff decodes,
 * BigTIFF, ImageJ metadata), MRC2014/CCP4 (+ .gz), Gatan DM3/DM4 (read).
 * Every loader names the file in its errors, validates sizes before it
 * allocates, and checks the memory budget. Voxel sizes are converted to nm.
 */
#pragma once

#include <glib.h>

#include "ps-core-glib.h"
#include "ps-status.h"
#include "ps-tilt-series.h"
#include "ps-volume.h"

G_BEGIN_DECLS

typedef enum
{
  PS_FORMAT_UNKNOWN,
  PS_FORMAT_TIFF,
  PS_FORMAT_MRC,
  PS_FORMAT_DM,
} PsFileFormat;

/* Sample types as stored in files. */
typedef enum
{
  PS_DTYPE_UNKNOWN,
  PS_DTYPE_BIT,  /* 1-bit bilevel */
  PS_DTYPE_U8,
  PS_DTYPE_I8,
  PS_DTYPE_U16,
  PS_DTYPE_I16,
  PS_DTYPE_U32,
  PS_DTYPE_I32,
  PS_DTYPE_F16,
  PS_DTYPE_F32,
  PS_DTYPE_F64,
} PsDType;

const char *ps_dtype_to_string (PsDType dtype);      /* "uint8", "float32", … */
/* Parse "u8", "uint8", "u16", "f32", "float32", …; UNKNOWN if not recognised. */
PsDType ps_dtype_from_string (const char *text);
gsize ps_dtype_size (PsDType dtype);

/* What a loader found out about a file (for `info` and the GUI). */
typedef struct
{
  PsFileFormat format;
  char *format_name;      /* "TIFF", "MRC", "DM3", … */
  char *details;          /* one line: byte order, compression, BigTIFF, mode … */
  PsDType dtype;          /* stored sample type */
  gsize nx, ny, nz;       /* as loaded (x, y, z) */
  double spacing[3];      /* nm */
  gboolean spacing_known;
  char *spacing_source;   /* where the voxel size came from, or why unknown */
  guint64 file_size;      /* bytes on disk */
  GPtrArray *notes;       /* (element-type utf8) extra facts worth telling a user */
  double *angles;         /* tilt angles found in the file (DM), or NULL */
  gsize n_angles;
  gboolean mapped;        /* larger than memory: the data are the file, mapped read-only */
} PsFileInfo;

void ps_file_info_free (PsFileInfo *info);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PsFileInfo, ps_file_info_free)

/* Detect the format from the content (and, for MRC, the name). */
PsFileFormat ps_file_format_detect (const char *path, GError **error);

/* Load any supported volume file as float32. @info (nullable, out) receives
 * the facts; @progress (nullable) reports and cancels. */
PsVolume *ps_volume_load (const char *path, PsFileInfo **info,
                          const PsProgress *progress, GError **error);

typedef struct
{
  PsDType dtype;          /* U8, U16, F32 (TIFF also U32, I16; MRC also I16, F16) */
  gboolean rescale;       /* integer dtype: map [min, max] linearly onto the type's
                             range when values are not already integers in range */
  gboolean tilt_series;   /* MRC: write ispg 0 (image stack) instead of 1 */
} PsSaveOptions;

/* Save by the file name's extension (.tif/.tiff → TIFF, .mrc/.st/.ali/.rec/.map
 * → MRC). Atomic. @options may be NULL (float32). */
gboolean ps_volume_save (const PsVolume *vol, const char *path,
                         const PsSaveOptions *options, const PsProgress *progress,
                         GError **error);

/* Labels: uint32 TIFF with ImageJ metadata (Fiji, tifffile, napari read it). */
gboolean ps_labels_save (const PsLabels *labels, const char *path, GError **error);
PsLabels *ps_labels_load (const char *path, GError **error);

/* ---- format-specific entry points (used by the above and by fuzzers) ---- */
PsVolume *ps_tiff_load (const char *path, PsFileInfo **info, const PsProgress *progress, GError **error);
/* Parse a TIFF from memory (fuzzing). @name is used in messages. */
PsVolume *ps_tiff_load_from_bytes (const guint8 *data, gsize len, const char *name,
                                   PsFileInfo **info, GError **error);
gboolean ps_tiff_save (const PsVolume *vol, const char *path, const PsSaveOptions *options,
                       const PsProgress *progress, GError **error);
PsVolume *ps_mrc_load (const char *path, PsFileInfo **info, const PsProgress *progress, GError **error);
/* Parse an MRC image from memory (fuzzing, .gz after inflation). @name is
 * used in messages. */
PsVolume *ps_mrc_load_from_bytes (const guint8 *data, gsize len, const char *name,
                                  PsFileInfo **info, GError **error);
gboolean ps_mrc_save (const PsVolume *vol, const char *path, const PsSaveOptions *options,
                      const PsProgress *progress, GError **error);
PsVolume *ps_dm_load (const char *path, PsFileInfo **info, const PsProgress *progress, GError **error);
PsVolume *ps_dm_load_from_bytes (const guint8 *data, gsize len, const char *name,
                                 PsFileInfo **info, GError **error);

/* ---- tilt angles (SPEC.md) --------------------------------------------- */

/* Read an IMOD .tlt/.rawtlt file: one angle in degrees per line. */
double *ps_angles_load (const char *path, gsize *n_angles, GError **error);
double *ps_angles_parse (const char *text, gsize len, const char *name, gsize *n_angles, GError **error);
/* Parse "START:STOP:STEP" (e.g. "-75:75:2" → 76 angles). */
double *ps_angles_from_range (const char *spec, gsize *n_angles, GError **error);
/* A file name or a range. */
double *ps_angles_from_spec (const char *spec, gsize *n_angles, GError **error);
/* Write a .tlt file (atomic; "%.2f" per line, as IMOD does, '.' decimal). */
gboolean ps_angles_save (const char *path, const double *angles, gsize n, GError **error);

/* Load a tilt series: the stack (any volume format; each z slice is one image)
 * plus its angles from @angles_spec (a .tlt/.rawtlt file or a range; NULL
 * takes angles stored in the file, e.g. DM). A count mismatch is an error. */
PsTiltSeries *ps_tilt_series_load (const char *path, const char *angles_spec,
                                   const PsProgress *progress, GError **error);
/* Save the images as a stack (TIFF or MRC by extension) and, when
 * @tlt_path is non-NULL, the angles. */
gboolean ps_tilt_series_save (const PsTiltSeries *ts, const char *path, const char *tlt_path,
                              GError **error);

G_END_DECLS
