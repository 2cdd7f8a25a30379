/* SPDX-License-Identifier: GPL-3.0-or-later */
/* ps-document.h: the model behind a window.
 *
 * A PsDocument holds the dataset (a PsVolume, or a tilt series shown as a
 * stack), what is known about it (file, format, voxel size, statistics and a
 * histogram), and the viewing state every widget shares: display window
 * (lo, hi) and colour map, magnification filter, the crosshair (the voxel
 * where the three orthoslices meet), the voxel under the pointer, the
 * subvolume box, label overlay layers and seed points.
 *
 * Widgets observe the one `changed` signal, whose flags say what changed,
 * and never talk to each other. Every user-visible change is also a GAction
 * in ps_document_get_actions() (inserted into the window as "doc."), so
 * menus, shortcuts, widgets and tests take the same path:
 *
 *   doc.crosshair        (iii)  stateful: the crosshair voxel x, y, z
 *   doc.step-slice       (si)   move the slice of "xy"/"xz"/"yz" by n
 *   doc.window           (dd)   stateful: display window lo, hi
 *   doc.auto-contrast           window = 0.5 / 99.5 percentiles
 *   doc.reset-contrast          window = data min / max
 *   doc.colormap         s      stateful: "gray" | "inverted"
 *   doc.interpolation    s      stateful: "nearest" | "linear"
 *   doc.show-overlays    b      stateful
 *   doc.show-crosshair   b      stateful
 *   doc.overlay-visible  (sb)   show or hide the named overlay layer
 *   doc.open-demo               load the demo dataset
 *   doc.swap-yz                 exchange y and z (IMOD-style files)
 *   doc.cancel                  cancel the running job
 *
 * Long work (loading, statistics, saving, axis swaps) runs as a PsJob;
 * `job` is the running one (bind a progress bar to its `fraction`). A new
 * request cancels the previous one and only the newest result is applied.
 * A failure emits `error` with a message that names the file; the previous
 * dataset stays.
 */
#pragma once

#include <gio/gio.h>

#include "ps-job.h"
#include "ps-slice-render.h"
#include "ps-slice.h"
#include "ps-stats.h"
#include "ps-tilt-series.h"
#include "ps-volume-io.h"
#include "ps-volume.h"

G_BEGIN_DECLS

#define PS_TYPE_DOCUMENT (ps_document_get_type ())
G_DECLARE_FINAL_TYPE (PsDocument, ps_document, PS, DOCUMENT, GObject)

typedef enum
{
  PS_DOCUMENT_CHANGED_VOLUME    = 1 << 0, /* dataset replaced (everything else too) */
  PS_DOCUMENT_CHANGED_CROSSHAIR = 1 << 1,
  PS_DOCUMENT_CHANGED_CONTRAST  = 1 << 2, /* window or colour map */
  PS_DOCUMENT_CHANGED_DISPLAY   = 1 << 3, /* interpolation, crosshair/overlay visibility */
  PS_DOCUMENT_CHANGED_SUBVOLUME = 1 << 4,
  PS_DOCUMENT_CHANGED_OVERLAY   = 1 << 5, /* layers added, removed, recoloured, relabelled */
  PS_DOCUMENT_CHANGED_SEEDS     = 1 << 6,
  PS_DOCUMENT_CHANGED_POINTER   = 1 << 7, /* voxel under the pointer */
  PS_DOCUMENT_CHANGED_ALL       = 0xff,
} PsDocumentChange;

/* Which phase a layer shows; phase layers take their colour from the
 * document's carbon-color / pore-color (Preferences). */
typedef enum
{
  PS_PHASE_NONE = 0,
  PS_PHASE_CARBON,
  PS_PHASE_PORES,
} PsPhase;

typedef struct
{
  char *name;            /* unique key, e.g. "pores", "carbon", "objects" */
  char *title;           /* shown in the legend (NULL: the phase or the name) */
  PsLabels *labels;      /* same grid as the volume; 0 = transparent */
  PsOverlayMode mode;    /* SOLID: one colour; PER_LABEL: one colour per object */
  PsPhase phase;
  guint32 color;         /* 0xRRGGBB for SOLID layers without a phase */
  double alpha;          /* 0 … 1; < 0 = the document's overlay-opacity */
  gboolean visible;
} PsOverlayLayer;

/* A seed point in voxel coordinates (x, y, z; voxel centres at integers),
 * with the label it seeds (0 = none yet). */
typedef struct
{
  double x, y, z;
  guint32 label;
} PsSeed;

PsDocument   *ps_document_new              (void);
GActionGroup *ps_document_get_actions      (PsDocument      *self);

/* ---- dataset ---------------------------------------------------------- */
void          ps_document_load_file        (PsDocument      *self,
                                            GFile           *file);
void          ps_document_load_tilt_series (PsDocument      *self,
                                            GFile           *file,
                                            const char      *angles_spec);
void          ps_document_load_demo        (PsDocument      *self);
/* Adopt an in-memory volume (a reconstruction, a test fixture). Statistics
 * are computed in a job; the volume replaces the current one when done. */
void          ps_document_set_volume       (PsDocument      *self,
                                            PsVolume        *volume,
                                            const char      *title,
                                            GFile           *file);
/* Run other long work (reconstruction, analysis) as the document's job. */
typedef void (*PsDocumentJobDone) (PsDocument *self, gpointer result, gpointer user_data);
void          ps_document_run_job          (PsDocument      *self,
                                            PsJob           *job,
                                            const char      *error_title,
                                            PsDocumentJobDone done,
                                            gpointer         user_data,
                                            GDestroyNotify   user_data_free);
void          ps_document_save             (PsDocument      *self,
                                            GFile           *file);
void          ps_document_swap_yz          (PsDocument      *self);
void          ps_document_cancel           (PsDocument      *self);

PsVolume     *ps_document_get_volume       (PsDocument      *self);
PsTiltSeries *ps_document_get_tilt_series  (PsDocument      *self);
const char   *ps_document_get_title        (PsDocument      *self);
GFile        *ps_document_get_file         (PsDocument      *self);
const PsFileInfo *ps_document_get_file_info (PsDocument     *self);
const PsStats *ps_document_get_stats       (PsDocument      *self);
const PsHistogram *ps_document_get_histogram (PsDocument    *self);
gboolean      ps_document_get_busy         (PsDocument      *self);
PsJob        *ps_document_get_job          (PsDocument      *self);
gboolean      ps_document_is_demo          (PsDocument      *self);
/* Voxel size in nm along x, y, z (1 nm when unknown). */
void          ps_document_get_spacing      (PsDocument      *self,
                                            double           spacing[3]);
/* The spacing of the values the file can hold: 1 for integer sample types
 * (u8, u16, i16, …), 0 for float data or unknown. */
double        ps_document_get_value_step   (PsDocument      *self);
float         ps_document_get_value        (PsDocument      *self,
                                            gsize            x,
                                            gsize            y,
                                            gsize            z);

/* ---- contrast and display ---------------------------------------------- */
void          ps_document_get_window       (PsDocument      *self,
                                            double          *lo,
                                            double          *hi);
void          ps_document_set_window       (PsDocument      *self,
                                            double           lo,
                                            double           hi);
void          ps_document_auto_contrast    (PsDocument      *self);
void          ps_document_reset_contrast   (PsDocument      *self);
PsColormap    ps_document_get_colormap     (PsDocument      *self);
void          ps_document_set_colormap     (PsDocument      *self,
                                            PsColormap       colormap);
PsInterpolation ps_document_get_interpolation (PsDocument   *self);
void          ps_document_set_interpolation (PsDocument     *self,
                                            PsInterpolation  interpolation);
gboolean      ps_document_get_show_crosshair (PsDocument    *self);
gboolean      ps_document_get_show_overlays (PsDocument     *self);

/* ---- crosshair and pointer --------------------------------------------- */
void          ps_document_get_crosshair    (PsDocument      *self,
                                            gsize            pos[3]);
void          ps_document_set_crosshair    (PsDocument      *self,
                                            gsize            x,
                                            gsize            y,
                                            gsize            z);
gsize         ps_document_get_slice        (PsDocument      *self,
                                            PsSliceOrientation orientation);
gboolean      ps_document_get_pointer      (PsDocument      *self,
                                            double           pos[3]);
/* @pos: (nullable): voxel coordinates under the pointer; NULL = none. */
void          ps_document_set_pointer      (PsDocument      *self,
                                            const double    *pos);

/* ---- subvolume, overlays, seeds ------------------------------------------ */
gboolean      ps_document_get_subvolume    (PsDocument      *self,
                                            PsBox           *box);
/* @box: (nullable): must lie inside the volume; NULL removes it. */
void          ps_document_set_subvolume    (PsDocument      *self,
                                            const PsBox     *box);

void          ps_document_set_overlay      (PsDocument      *self,
                                            const char      *name,
                                            PsLabels        *labels,
                                            PsOverlayMode    mode,
                                            PsPhase          phase,
                                            guint32          color,
                                            double           alpha);
gboolean      ps_document_remove_overlay   (PsDocument      *self,
                                            const char      *name);
void          ps_document_set_overlay_visible (PsDocument   *self,
                                            const char      *name,
                                            gboolean         visible);
void          ps_document_set_overlay_title (PsDocument     *self,
                                            const char      *name,
                                            const char      *title);
guint         ps_document_get_n_overlays   (PsDocument      *self);
const PsOverlayLayer *ps_document_get_overlay (PsDocument   *self,
                                            guint            index);
/* The colour (0xRRGGBB) and opacity a layer is drawn with. */
guint32       ps_document_get_overlay_color (PsDocument     *self,
                                            const PsOverlayLayer *layer);
double        ps_document_get_overlay_alpha (PsDocument     *self,
                                            const PsOverlayLayer *layer);

void          ps_document_set_seeds        (PsDocument      *self,
                                            const PsSeed    *seeds,
                                            gsize            n_seeds);
const PsSeed *ps_document_get_seeds        (PsDocument      *self,
                                            gsize           *n_seeds);

/* ---- reconstruction provenance (issue 7; read by sessions and CSVs) ---- */
/* How the dataset was reconstructed (ps-reconstruct.h). Numbers are the
 * resolved ones (defaults filled in). */
typedef struct
{
  char *source;          /* the tilt-series file (NULL: in memory) */
  char *angles;          /* the angles spec given (NULL: from the file) */
  char method[8];        /* "wbp", "sirt", "sart" */
  char filter[16];       /* WBP filter ("ramp", …); "" for SIRT/SART */
  double cutoff;         /* WBP filter cut-off (fraction of Nyquist) */
  int iterations;        /* SIRT/SART iterations run (0 for WBP) */
  double relaxation;     /* SIRT/SART λ */
  int subsets;           /* SART ordered subsets (0 otherwise) */
  gboolean positivity;   /* SIRT/SART non-negativity */
  gsize thickness;       /* slices along the beam (nz of the result) */
  double tilt_axis_deg;  /* in-plane axis direction used */
  gboolean tilt_axis_auto; /* … found by the search */
  gboolean aligned;      /* shifts and axis offset aligned first */
  gsize n_angles;
  double angle_min, angle_max; /* degrees */
  int n_threads;         /* 0 = the job default */
} PsReconInfo;

PsReconInfo  *ps_recon_info_copy           (const PsReconInfo *info);
void          ps_recon_info_free           (PsReconInfo     *info);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PsReconInfo, ps_recon_info_free)

/* The reconstruction that produced the current dataset, or NULL (another
 * dataset is shown). @volume ties @info to that volume: the info is reported
 * only while ps_document_get_volume() is @volume, so it can be set right
 * after ps_document_set_volume() (whose statistics job is still running). */
const PsReconInfo *ps_document_get_recon_info (PsDocument   *self);
void          ps_document_set_recon_info   (PsDocument      *self,
                                            PsVolume        *volume,
                                            const PsReconInfo *info);

/* "#rrggbb" ⇄ 0xRRGGBB (FALSE for anything else). */
gboolean      ps_color_parse               (const char      *text,
                                            guint32         *rgb);
char         *ps_color_to_string           (guint32          rgb);

G_END_DECLS
