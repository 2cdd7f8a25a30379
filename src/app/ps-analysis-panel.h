/* SPDX-License-Identifier: GPL-3.0-or-later */
/* ps-analysis-panel.h: the interactive analysis in the sidebar (issue 7):
 * Segment, Separate, Statistics, Export.
 *
 * The panel drives ps_analysis_run() — the function `porescope-cli analyze`
 * calls — on the document's volume and subvolume, in the document's job
 * (progress, Cancel; a new run cancels a stale one), and passes each run the
 * previous result so only the stages whose inputs changed are recomputed
 * (moving h reuses the distance map; ps-analysis.h). While the threshold
 * slider moves, the porosity readout and the phase overlays are updated on
 * the main thread from the last run's smoothed subvolume (a count of voxels
 * below the threshold: ~2 ms for 128³); the full run follows when the slider
 * rests. Export writes with ps_analysis_write(), so the files equal the
 * CLI's for the same parameters and input.
 *
 * Actions (group "analysis", inserted into the window):
 *
 *   analysis.threshold   d   a fixed threshold (pore = smoothed value below it)
 *   analysis.otsu            Otsu's threshold (the default)
 *   analysis.smoothing   d   Gaussian sigma in nm; 0 = no smoothing
 *   analysis.h           d   marker extent in nm (both phases)
 *   analysis.separate        run the analysis now with the current parameters
 *   analysis.table-phase s   stateful: "pores" | "carbon" (the table's phase)
 *   analysis.show-object i   centre the slices on row i of the table (as sorted
 *                            and filtered) and highlight the object in 3D
 *   analysis.hide-cut    b   stateful: the table leaves out objects cut by the
 *                            subvolume's faces
 *   analysis.export      s   write every output file into the folder (a path)
 *   analysis.seed-mode   b   stateful: clicks in the slices edit seeds
 *   analysis.add-seed    (ddd)     a seed at x, y, z nm (full volume's frame)
 *   analysis.remove-seed (ddd)     drop every seed of the object at x, y, z nm
 *   analysis.merge-objects (dddddd) the objects at a and b become one
 *   analysis.undo-seed, analysis.redo-seed
 *
 * Seed edits are those of `porescope-cli analyze --seeds` (ps-seed-edits.h)
 * and apply in ps_analysis_run()'s order (adds, then merges and removes);
 * Undo/Redo step through them in the order they were made, and each step
 * re-runs only the seeds and watershed of the phases involved. In seed
 * mode a click in a slice adds a seed at the voxel's centre, Ctrl-click
 * removes the object there, Shift-click on two objects merges them.
 *
 * Overlays (document layers): "carbon" (carbon phase, solid) and "pores"
 * (pore phase: solid while segmenting, one colour per object once
 * separated), on the volume's grid, zero outside the subvolume; the seeds of
 * the pores are the document's seed points.
 */
#pragma once

#include <gtk/gtk.h>

#include "ps-document.h"
#include "ps-session.h"
#include "ps-slice-view.h"
#include "ps-volume-view.h"

G_BEGIN_DECLS

#define PS_TYPE_ANALYSIS_PANEL (ps_analysis_panel_get_type ())
G_DECLARE_FINAL_TYPE (PsAnalysisPanel, ps_analysis_panel, PS, ANALYSIS_PANEL, GtkBox)

GtkWidget    *ps_analysis_panel_new          (PsDocument      *document);
GActionGroup *ps_analysis_panel_get_actions  (PsAnalysisPanel *self);

/* For tests and the window. */
/* The threshold in effect (Otsu's once known); NaN before the first run. */
double        ps_analysis_panel_get_threshold (PsAnalysisPanel *self);
/* The porosity the readout shows (NaN: none yet). */
double        ps_analysis_panel_get_porosity (PsAnalysisPanel *self);
/* The readout's text. */
const char   *ps_analysis_panel_get_porosity_text (PsAnalysisPanel *self);
/* Objects of the last completed run (pores, carbon); FALSE without one. */
gboolean      ps_analysis_panel_get_counts   (PsAnalysisPanel *self,
                                              gsize           *n_pores,
                                              gsize           *n_carbon);
/* TRUE while the last run matches the current parameters. */
gboolean      ps_analysis_panel_is_current   (PsAnalysisPanel *self);
/* Rows in the statistics table. */
GListModel   *ps_analysis_panel_get_table_model (PsAnalysisPanel *self);
/* The statistics table (a GtkColumnView). */
GtkWidget    *ps_analysis_panel_get_table    (PsAnalysisPanel *self);
/* The live preview of threshold @t (readout, overlays) without starting a
 * run, as while the slider is being dragged. FALSE when no run of the
 * current subvolume and smoothing exists yet. */
gboolean      ps_analysis_panel_preview_threshold (PsAnalysisPanel *self,
                                              double           t);
/* Seed clicks in @view (a capture-phase gesture on its canvas). */
void          ps_analysis_panel_attach_view  (PsAnalysisPanel *self,
                                              PsSliceView     *view);
/* The 3D view that highlights the object of a clicked row (weak; nullable). */
void          ps_analysis_panel_set_volume_view (PsAnalysisPanel *self,
                                              PsVolumeView    *view);
/* Seed edits in effect, and the same edits as a --seeds CSV. */
guint         ps_analysis_panel_get_n_edits  (PsAnalysisPanel *self);
gboolean      ps_analysis_panel_save_edits   (PsAnalysisPanel *self,
                                              const char      *path,
                                              GError         **error);
/* Sessions: record the panel's analysis parameters and seed edits in
 * @session (with the document's subvolume), or restore them from it (the
 * subvolume is restored by ps_session_apply_view; nothing runs until an
 * analysis action). */
void          ps_analysis_panel_to_session   (PsAnalysisPanel *self,
                                              PsSession       *session);
void          ps_analysis_panel_from_session (PsAnalysisPanel *self,
                                              const PsSession *session);
/* For tests: a primary click at canvas (@x, @y) of @view with modifiers
 * @state, as the gesture handles it; FALSE when not in seed mode or outside
 * the volume. */
gboolean      _ps_analysis_panel_click       (PsAnalysisPanel *self,
                                              PsSliceView     *view,
                                              double           x,
                                              double           y,
                                              GdkModifierType  state);
/* For tests: the adjustment of the threshold, smoothing or h control
 * ("threshold", "smoothing", "h"), as a user moves it. */
GtkAdjustment *_ps_analysis_panel_get_adjustment (PsAnalysisPanel *self,
                                                  const char      *control);
/* The folder of the last successful export (NULL: none). */
const char   *ps_analysis_panel_get_last_export (PsAnalysisPanel *self);

G_END_DECLS
