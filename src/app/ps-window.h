/* SPDX-License-Identifier: GPL-3.0-or-later */
/* ps-window.h: the main window — header bar, welcome page, the quad of
 * orthoslice views and the 3D pane, the contrast/display/dataset sidebar,
 * the status readout, progress and error banners.
 *
 * Window actions ("win."): open, open-tilt-series, open-file (s: a URI),
 * save-as, export-slice (s: "xy" | "xz" | "yz"), export-screenshot,
 * export-figure (s: a .png/.svg/.pdf path; "" asks with a file chooser),
 * export-movie (a{sv}: kind, frames, overlay, width, height, fps, path —
 * see ps-movie.h; no path asks with a file chooser),
 * dismiss-error, show-sidebar (b), zoom-fit. The document's actions are
 * inserted as "doc." (see ps-document.h), the analysis panel's as
 * "analysis." (see ps-analysis-panel.h).
 */
#pragma once

#include <adwaita.h>

#include "ps-document.h"
#include "ps-figure.h"
#include "ps-movie.h"
#include "ps-slice-view.h"

G_BEGIN_DECLS

#define PS_TYPE_WINDOW (ps_window_get_type ())
G_DECLARE_FINAL_TYPE (PsWindow, ps_window, PS, WINDOW, AdwApplicationWindow)

PsWindow    *ps_window_new               (GtkApplication     *application);
PsDocument  *ps_window_get_document      (PsWindow           *self);
PsSliceView *ps_window_get_slice_view    (PsWindow           *self,
                                          PsSliceOrientation  orientation);
GtkWidget   *ps_window_get_histogram     (PsWindow           *self);
/* The sidebar's PsAnalysisPanel (its actions are also the window's "analysis."). */
GtkWidget   *ps_window_get_analysis_panel (PsWindow          *self);
/* The container the 3D view goes into (a vertical GtkBox under its header). */
GtkBox      *ps_window_get_volume_pane   (PsWindow           *self);
/* "welcome" or "views". */
const char  *ps_window_get_page          (PsWindow           *self);
/* The status-bar readout and the shown error (NULL when none). */
const char  *ps_window_get_readout       (PsWindow           *self);
const char  *ps_window_get_error         (PsWindow           *self);

/* Open files as the command line and drag and drop do. */
void         ps_window_open_file         (PsWindow           *self,
                                          GFile              *file,
                                          const char         *angles_spec);

/* Call @callback once the document is idle (no job) and the window has
 * drawn the current state (two frames after). For --screenshot. */
void         ps_window_when_settled      (PsWindow           *self,
                                          GSourceFunc         callback,
                                          gpointer            user_data);

/* Write the whole window as a PNG. */
gboolean     ps_window_save_screenshot   (PsWindow           *self,
                                          const char         *path,
                                          GError            **error);

/* Write the figure (ps-figure.h) of what the window shows to @path, with
 * @options (NULL: the last chosen in the dialog, else the defaults). A new
 * call cancels one still running. */
void         ps_window_export_figure     (PsWindow           *self,
                                          const char         *path,
                                          const PsFigureOptions *options,
                                          GAsyncReadyCallback callback,
                                          gpointer            user_data);
gboolean     ps_window_export_figure_finish (PsWindow        *self,
                                          GAsyncResult       *result,
                                          GError            **error);

/* Write a movie (ps-movie.h) of the window's document and 3D view. */
void         ps_window_export_movie      (PsWindow           *self,
                                          const char         *path,
                                          const PsMovieOptions *options,
                                          GAsyncReadyCallback callback,
                                          gpointer            user_data);

G_END_DECLS
