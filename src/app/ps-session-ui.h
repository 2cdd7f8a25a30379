/* SPDX-License-Identifier: GPL-3.0-or-later */
/* ps-session-ui.h: Save Session / Open Session in the application.
 *
 * A session (ps-session.h) is built from the document and the 3D view:
 * the dataset's file, subvolume, window/level, crosshair (nm), colours and
 * the camera; the analysis parameters and seed edits join when the document
 * carries them. Opening one loads its dataset through the document (a
 * job), then applies the rest when the volume has arrived. A session whose
 * data moved asks for the new location (and moves every data path of that
 * folder along); a damaged one shows "FILE: why" and changes nothing.
 */
#pragma once

#include <gtk/gtk.h>

#include "ps-analysis-panel.h"
#include "ps-document.h"
#include "ps-session.h"
#include "ps-volume-view.h"

G_BEGIN_DECLS

/* The Analysis panel whose parameters and seed edits the sessions of
 * @document record and restore (the window sets it; weak; NULL = none). */
void ps_session_ui_set_analysis_panel (PsDocument *document, PsAnalysisPanel *panel);

/* The session describing @document (and @view's camera; nullable). NULL
 * when the document has no dataset file (the demo, an unsaved
 * reconstruction without its tilt series). */
PsSession *ps_session_from_document (PsDocument *document, PsVolumeView *view);

/* Apply the non-data part of @session (subvolume, window, crosshair,
 * colours, camera) to the loaded @document and @view (nullable). */
void ps_session_apply_view (const PsSession *session, PsDocument *document, PsVolumeView *view);

/* Load @session's dataset into @document and apply the rest once loaded
 * (takes @session).
 * The data must exist (ps_session_missing_data() == NULL). */
void ps_session_load_into (PsSession *session, PsDocument *document, PsVolumeView *view);

/* The menu actions: file choosers and dialogs over @parent. */
void ps_session_ui_save (GtkWindow *parent, PsDocument *document, PsVolumeView *view);
void ps_session_ui_open (GtkWindow *parent, PsDocument *document, PsVolumeView *view);
/* Open @path (as the chooser would): errors and moved data as dialogs. */
void ps_session_ui_open_path (GtkWindow *parent, PsDocument *document, PsVolumeView *view, const char *path);
/* Save to @path; FALSE with @error. */
gboolean ps_session_ui_save_path (PsDocument *document, PsVolumeView *view, const char *path, GError **error);

G_END_DECLS
