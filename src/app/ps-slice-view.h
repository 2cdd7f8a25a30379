/* SPDX-License-Identifier: GPL-3.0-or-later */
/* ps-slice-view.h: one orthoslice of the document's volume (xy, xz or yz).
 *
 * Draws the slice at the document's crosshair through its window/level and
 * colour map, with nearest or linear magnification, the aspect ratio of the
 * voxel size, label overlay layers, the crosshair lines of the other two
 * views, the subvolume box, seed points and a scale bar in nm.
 *
 * Input: click sets the crosshair; drag (or middle-drag) pans; right-drag
 * changes the window (horizontal: width, vertical: level); wheel and
 * PageUp/PageDown/↑/↓ step the slice; Ctrl+wheel zooms about the pointer;
 * Ctrl+plus/minus/0 zoom; Home/End go to the first/last slice. Every change
 * of the document goes through its "doc." actions.
 *
 * Coordinates: "voxel coordinates" have voxel centres at integers (the
 * crosshair voxel (i, j, k) is at (i, j, k)); widget coordinates are the
 * canvas's logical pixels.
 */
#pragma once

#include <gtk/gtk.h>

#include "ps-document.h"

G_BEGIN_DECLS

#define PS_TYPE_SLICE_VIEW (ps_slice_view_get_type ())
G_DECLARE_FINAL_TYPE (PsSliceView, ps_slice_view, PS, SLICE_VIEW, GtkWidget)

GtkWidget          *ps_slice_view_new              (PsSliceOrientation orientation);
PsSliceOrientation  ps_slice_view_get_orientation  (PsSliceView *self);
void                ps_slice_view_set_orientation  (PsSliceView *self,
                                                    PsSliceOrientation orientation);
PsDocument         *ps_slice_view_get_document     (PsSliceView *self);
void                ps_slice_view_set_document     (PsSliceView *self,
                                                    PsDocument  *document);

/* Zoom relative to "fit the whole slice" (1.0). */
double              ps_slice_view_get_zoom         (PsSliceView *self);
void                ps_slice_view_zoom_fit         (PsSliceView *self);
/* Multiply the zoom by @factor keeping the point under widget coordinates
 * (@wx, @wy) fixed. */
void                ps_slice_view_zoom_at          (PsSliceView *self,
                                                    double       factor,
                                                    double       wx,
                                                    double       wy);

/* The drawing area (for snapshots in tests and exports). */
GtkWidget          *ps_slice_view_get_canvas       (PsSliceView *self);

/* Map between voxel coordinates and canvas coordinates. The voxel's
 * component along the view's normal is ignored / set to the current slice.
 * Return FALSE when there is nothing to map (no volume, no size yet). */
gboolean            ps_slice_view_voxel_to_widget  (PsSliceView  *self,
                                                    const double  voxel[3],
                                                    double       *wx,
                                                    double       *wy);
gboolean            ps_slice_view_widget_to_voxel  (PsSliceView  *self,
                                                    double        wx,
                                                    double        wy,
                                                    double        voxel[3]);

/* Colour (0xRRGGBB) that tags views and crosshair lines of an orientation. */
guint32             ps_slice_view_orientation_color (PsSliceOrientation orientation);

G_END_DECLS
