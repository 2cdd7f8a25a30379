/* SPDX-License-Identifier: GPL-3.0-or-later */
/* ps-volume-pane.h: the main window's 3D pane — a toolbar (front, top,
 * right and iso views; render mode; orthographic/perspective; clip to the
 * subvolume; phase opacities; figure export) above a PsVolumeView that
 * follows a PsDocument: volume, display window, crosshair (orthoslices, when
 * the Slices toggle is on),
 * subvolume box, and the pore/carbon label layers (carbon blue, pores gray
 * by default, from the document's colours).
 *
 * Until the document holds a segmentation threshold, the isosurface and
 * the carbon of unlabelled data sit at the middle of the display window, so
 * the contrast controls move them.
 */
#pragma once

#include <gtk/gtk.h>

#include "ps-document.h"
#include "ps-volume-view.h"

G_BEGIN_DECLS

#define PS_TYPE_VOLUME_PANE (ps_volume_pane_get_type ())
G_DECLARE_FINAL_TYPE (PsVolumePane, ps_volume_pane, PS, VOLUME_PANE, GtkBox)

GtkWidget *ps_volume_pane_new (void);
void ps_volume_pane_set_document (PsVolumePane *self, PsDocument *document);
PsVolumeView *ps_volume_pane_get_view (PsVolumePane *self);
/* Put the toolbar at the end of @header (the window's pane header row). */
void ps_volume_pane_move_toolbar (PsVolumePane *self, GtkBox *header);

G_END_DECLS
