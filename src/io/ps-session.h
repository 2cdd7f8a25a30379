/* SPDX-License-Identifier: GPL-3.0-or-later */
/* ps-session.h: a saved Porescope session (`.porescope`, JSON).
 *
 * What a session holds — everything needed to redo the analysis and to
 * show it again as it was:
 *   data            the volume (and/or tilt series + angles), swap y/z,
 *                   voxel size override
 *   reconstruction  method, iterations, filter, thickness, tilt range
 *                   (provenance; replayed by `run` when there is no volume)
 *   analysis        subvolume (voxels), smoothing, threshold, h (both
 *                   phases), connectivity, local thickness, histogram bin,
 *                   seed edits (add / remove / merge, nm, full-volume frame)
 *   view            colours, window/level, crosshair, 3D camera
 *
 * File format (version 1), a JSON object:
 *   { "format": "porescope-session", "version": 1, "program_version": "…",
 *     "data": { "volume": "rel/or/abs", "volume_absolute": "/abs", … },
 *     "reconstruction": { … } | null, "analysis": { … }, "view": { … } }
 * Data paths are written relative to the session file's folder when the data
 * lies in it or below it, or shares a parent with it (`../data/v.tif`), and
 * the absolute path is kept too: on load the relative path wins (the folder
 * was moved as a whole), then the absolute one (the session file was moved).
 *
 * Reading is strict: a wrong type, an unknown key, a number out of range or
 * not finite, a negative or oversized subvolume, more than
 * PS_SESSION_MAX_EDITS edits, a file over PS_SESSION_MAX_BYTES, or a newer
 * format version are errors (PS_ERROR_CODE_CORRUPT_FILE / UNSUPPORTED_FORMAT)
 * whose message starts with the session's file name: "FILE: why". Nothing
 * is checked against the data here (the volume may not be loaded yet):
 * ps_analysis_validate() does that when the analysis runs.
 *
 * Writing is atomic (ps_write_file_atomic): a failed save keeps the old
 * session. Numbers are written in shortest round-trip form, so save → load
 * gives back the same doubles bit for bit.
 */
#pragma once

#include <glib.h>

#include "ps-volume.h"

G_BEGIN_DECLS

#define PS_SESSION_FORMAT "porescope-session"
#define PS_SESSION_VERSION 1
#define PS_SESSION_MAX_BYTES (16u << 20)
#define PS_SESSION_MAX_EDITS 1000000u
#define PS_SESSION_EXTENSION ".porescope"

typedef struct
{
  /* data (absolute paths after loading; NULL = none) */
  char *volume_path;
  char *tilt_series_path;
  char *angles;                 /* an angles file (absolute path) or a range "A:B:S" */
  gboolean angles_is_range;
  gboolean swap_yz;
  gboolean has_voxel_size;      /* override the file's voxel size */
  double voxel_size_nm[3];

  /* reconstruction (has_reconstruction = FALSE: the volume came as a file) */
  gboolean has_reconstruction;
  char *recon_method;           /* "wbp", "sirt", "sart" */
  int recon_iterations;         /* SIRT/SART; 0 for WBP */
  char *recon_filter;           /* WBP filter name; nullable */
  guint recon_thickness;        /* voxels; 0 = image width */
  gsize n_tilts;                /* 0 = unknown */
  double tilt_first_deg, tilt_last_deg;

  /* analysis */
  PsBox subvolume;              /* voxels; all zero = the whole volume */
  int smooth;                   /* PsSmoothKind */
  double smooth_sigma_nm;       /* ≤ 0 = the default */
  gboolean threshold_auto;
  double threshold;
  double h_nm, h_carbon_nm;     /* < 0 = the default */
  int connectivity;
  gboolean local_thickness;
  double histogram_bin_nm;      /* ≤ 0 = automatic */
  GArray *seeds_add;            /* double[3] each, nm */
  GArray *seeds_remove;         /* double[3] each, nm */
  GArray *merges;               /* double[6] each: a then b, nm (PsMergeEdit's layout) */

  /* view */
  guint32 carbon_rgb, pore_rgb; /* 0xRRGGBB */
  gboolean has_window;
  double window_lo, window_hi;
  gboolean has_crosshair;
  double crosshair_nm[3];
  gboolean has_camera;
  double camera_rotation[4];    /* versor x, y, z, w (view → world) */
  double camera_target_nm[3];
  double camera_zoom;
  gboolean camera_perspective;
  double camera_fov_y;          /* radians */
} PsSession;

/* A session with the defaults of a new analysis (ps_analysis_params_init)
 * and the default colours. The analysis side (PsAnalysisParams,
 * PsAnalysisSource) is in ps-session-analysis.h, so this header can be used
 * next to the application's own types. */
PsSession *ps_session_new (void);
void ps_session_free (PsSession *session);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PsSession, ps_session_free)

/* Parse @data (@len bytes) as a session; @name is the file name for
 * messages; relative data paths resolve against @base_dir (nullable: the
 * current folder). */
PsSession *ps_session_parse (const char *data, gsize len, const char *name, const char *base_dir,
                             GError **error);
PsSession *ps_session_load (const char *path, GError **error);

/* The JSON text, data paths made relative to @session_path's folder. */
char *ps_session_to_json (const PsSession *session, const char *session_path);
gboolean ps_session_save (const PsSession *session, const char *path, GError **error);

/* The first data file the session names that does not exist (volume, tilt
 * series, angles file), or NULL when all are there. */
const char *ps_session_missing_data (const PsSession *session);

/* The data moved: @old_path (one of the session's data paths) is now
 * @new_path. Every data path in the same folder as @old_path, or below it,
 * moves along, so a moved dataset folder is fixed with one question. */
void ps_session_relocate (PsSession *session, const char *old_path, const char *new_path);

/* "a/b" relative to folder @dir ("../x/y" allowed), or NULL when the two
 * share no folder but the root. Both absolute. */
char *ps_path_relative_to (const char *path, const char *dir);

G_END_DECLS
