/* SPDX-License-Identifier: GPL-3.0-or-later */
/* ps-seed-edits.h: seed edits (add / remove / merge) and their CSV file,
 * `porescope-cli analyze --seeds FILE.csv`.
 *
 * The file is RFC 4180 CSV (UTF-8, optional BOM, LF or CRLF, quoted fields
 * with "" escapes). Lines starting with '#' and blank lines are ignored.
 * Columns, by header or by position:
 *
 *   x_nm, y_nm, z_nm [, action [, x2_nm, y2_nm, z2_nm]]
 *
 * Positions are nm in the full volume's frame (the frame of the GUI's
 * crosshair and of pores.csv's centroids). action is add (the default when
 * the column is absent or empty), remove, or merge (which needs the second
 * point). A first line whose first field is not a number is a header; its
 * names (x_nm or x, y_nm or y, z_nm or z, action, x2_nm or x2, …) may come
 * in any order, and unknown columns are refused (a typo should not silently
 * drop a coordinate). Every error names the file and the line:
 * "seeds.csv:12: “abc” is not a number (column z_nm)".
 */
#pragma once

#include <glib.h>

#include "ps-analysis.h"

G_BEGIN_DECLS

/* Limits: a bigger file is refused before it is read. */
#define PS_SEED_EDITS_MAX_BYTES (64u << 20)
#define PS_SEED_EDITS_MAX_EDITS 1000000u

typedef struct
{
  GArray *add;      /* (element-type double[3]) */
  GArray *remove;   /* (element-type double[3]) */
  GArray *merges;   /* (element-type PsMergeEdit) */
} PsSeedEdits;

PsSeedEdits *ps_seed_edits_new (void);
void ps_seed_edits_free (PsSeedEdits *edits);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PsSeedEdits, ps_seed_edits_free)

/* Append the edits of @text (@len bytes; need not be NUL-terminated) to
 * @edits. @name is used in messages. On error @edits is unchanged. */
gboolean ps_seed_edits_parse (PsSeedEdits *edits, const char *text, gsize len, const char *name,
                              GError **error);
gboolean ps_seed_edits_load (PsSeedEdits *edits, const char *path, GError **error);

/* The CSV text of @edits (with a header; shortest round-trip numbers). */
char *ps_seed_edits_format (const PsSeedEdits *edits);
/* Write it atomically. */
gboolean ps_seed_edits_save (const PsSeedEdits *edits, const char *path, GError **error);

/* Point @params' edit arrays at @edits (borrowed: keep @edits alive while
 * @params is used). */
void ps_seed_edits_to_params (const PsSeedEdits *edits, PsAnalysisParams *params);

G_END_DECLS
