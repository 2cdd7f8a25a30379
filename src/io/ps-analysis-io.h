/* SPDX-License-Identifier: GPL-3.0-or-later */
/* ps-analysis-io.h: the files of an analysis (SPEC.md, "Output files").
 *
 *   pores.tif, carbon.tif          uint32 labels (ps_labels_save)
 *   pores.csv, carbon.csv          one row per object
 *   network_nodes.csv, network_throats.csv
 *   histogram_pores.csv, histogram_carbon.csv
 *   porosity_vs_threshold.csv
 *   summary.json                   provenance + headline numbers
 *
 * CSV: a preamble of `# key: value` provenance lines (ps_analysis_provenance),
 * then RFC 4180 (CRLF line ends, a header row), '.' decimals in every
 * locale, numbers in their shortest round-trip form (ps_ascii_dtostr); NaN
 * is an empty field, infinities are "inf"/"-inf"; booleans are 0/1.
 *
 * The object CSVs: positions (centroid_*_nm) are nm in the full volume's
 * frame; bbox_* are voxel indices of the label TIFFs (lo inclusive, hi
 * exclusive); `open` is always 0 for carbon (only pores are classified).
 *
 * The histograms share their bins between the phases: bin i covers
 * [bin_lo_nm, bin_hi_nm). Columns after the SPEC.md ones:
 *   count            objects of the phase whose equivalent diameter is in the
 *                    bin, all of them (including those cut by the faces)
 *   volume_fraction  their summed volume / the phase's volume
 *   count_interior   those not touching the subvolume's faces
 *   count_edge_corrected  Σ Miles–Lantuéjoul weights of the interior ones,
 *                    w = Π_i n_i / (n_i − b_i − 1) (ps-measure.h): the
 *                    unbiased number of objects of that size per subvolume
 *   thickness_volume_fraction  fraction of the phase's volume whose local
 *                    thickness (Hildebrand–Rüegsegger diameter) is in the bin
 *
 * Writing a folder: every file is first written (and synced) into a hidden
 * staging folder inside OUTDIR; only when all of them are complete are they
 * renamed into OUTDIR one by one, summary.json last, and the staging folder
 * removed. A failure or cancellation before that point leaves OUTDIR's
 * previous files untouched and removes the staging folder. Each rename is
 * atomic, so every file is always either the old or the new version; a
 * crash in the short rename phase could leave a mix of old and new files,
 * recognisable because summary.json (renamed last) is then the old one.
 */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

#include "ps-analysis.h"
#include "ps-status.h"

G_BEGIN_DECLS

/* Provenance that the core does not know. Nothing here may depend on who
 * runs the analysis (CLI, GUI or `porescope-cli run`), so their files are
 * byte-identical: pass the input as an absolute, canonical path
 * (g_canonicalize_filename; the CLI does), and no seed-file name — the
 * edits themselves are recorded. A zero-initialised struct means "nothing
 * known"; every field is optional. */
typedef struct
{
  const char *input_path;       /* the analysed file (nullable) */
  const char *input_sha256;     /* lowercase hex of the file's SHA-256; NULL: ps_analysis_write()
                                 * computes it from input_path */
  /* The reconstruction, when the volume was reconstructed by Porescope in
   * this session (GUI or a session file); unknown otherwise. */
  const char *tilt_series_path; /* nullable */
  size_t n_tilts;               /* 0 = tilt range unknown */
  double tilt_first_deg, tilt_last_deg;
  const char *recon_method;     /* "wbp", "sirt", "sart"; NULL = unknown */
  int recon_iterations;         /* SIRT/SART iterations; 0 = none (WBP) */
} PsAnalysisSource;

/* The provenance of @result as ordered (key, value) pairs in a
 * NULL-terminated vector (key0, value0, key1, value1, …, NULL): program
 * and version, input file and SHA-256, tilt range and reconstruction,
 * voxel size, subvolume in nm and voxels, threshold, smoothing, h,
 * connectivity and the seed edits. Keys are ASCII identifiers; values are
 * single-line UTF-8 (control characters escaped), numbers in '.'-decimal
 * shortest round-trip form. The same pairs head every CSV (as `# key:
 * value` lines) and go into figures (PNG text chunks, SVG <metadata>). */
char **ps_analysis_provenance (const PsAnalysisResult *result, const PsAnalysisSource *source);

/* The CSV preamble: one `# key: value` line per pair above (CRLF), which
 * pandas (`comment='#'`), R (`comment.char='#'`) and numpy skip. */
char *ps_analysis_format_csv_provenance (const PsAnalysisResult *result, const PsAnalysisSource *source);

/* SHA-256 of a file as lowercase hex, read in 4 MiB blocks (about 0.5-1 s
 * per GB); NULL with @error ("FILE: why") when it cannot be read. */
char *ps_file_sha256 (const char *path, const PsProgress *progress, GError **error);

/* The complete content of output file @name (one of ps_analysis_file_names
 * except the TIFFs): CSVs with the provenance preamble, exactly what
 * ps_analysis_write() writes for the same @source. */
char *ps_analysis_format_file (const PsAnalysisResult *result, const PsAnalysisSource *source, const char *name);

typedef enum
{
  PS_ANALYSIS_PHASE_PORES,
  PS_ANALYSIS_PHASE_CARBON,
} PsAnalysisPhaseId;

/* Each file's data as a string: the header row and the records, without
 * the provenance preamble (tests compare them; ps_analysis_format_file()
 * adds the preamble). */
char *ps_analysis_format_objects_csv (const PsAnalysisResult *result, PsAnalysisPhaseId phase);
char *ps_analysis_format_nodes_csv (const PsAnalysisResult *result);
char *ps_analysis_format_throats_csv (const PsAnalysisResult *result);
char *ps_analysis_format_histogram_csv (const PsAnalysisResult *result, PsAnalysisPhaseId phase);
char *ps_analysis_format_sweep_csv (const PsAnalysisResult *result);
char *ps_analysis_format_summary_json (const PsAnalysisResult *result, const PsAnalysisSource *source);

/* Write every file into @outdir (created if needed) as described above. */
gboolean ps_analysis_write (const PsAnalysisResult *result, const PsAnalysisSource *source,
                            const char *outdir, const PsProgress *progress, GError **error);

/* @node as indented JSON text with numbers in shortest round-trip form
 * (json-glib's own printer uses %.17g) and NaN/Inf as null; ends in '\n'. */
char *ps_json_to_string (JsonNode *node);

/* File names written by ps_analysis_write(), NULL-terminated. */
extern const char *const ps_analysis_file_names[];

G_END_DECLS
