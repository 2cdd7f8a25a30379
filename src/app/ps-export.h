/* SPDX-License-Identifier: GPL-3.0-or-later */
/* ps-export.h: pictures of what is on screen — an orthoslice at the
 * volume's own resolution (window/level, colour map and overlays as shown),
 * or a widget (the whole window) as rendered by GTK. Everything is written
 * atomically. Figures, CSVs and sessions of the analysis will join here
 * (issue 7), so what is exported is what is shown. */
#pragma once

#include <gtk/gtk.h>

#include "ps-document.h"

G_BEGIN_DECLS

/* The slice of @orientation at the document's crosshair, one output pixel
 * per voxel along the finer axis (anisotropic voxels are stretched so the
 * picture has the true aspect ratio). */
GdkTexture *ps_export_render_slice  (PsDocument         *document,
                                     PsSliceOrientation  orientation,
                                     GError            **error);
/* The same at one pixel per voxel (w × h of ps_slice_size), for callers
 * that scale it themselves (figures: nearest-neighbour, true aspect). */
GdkTexture *ps_export_render_slice_voxels (PsDocument         *document,
                                           PsSliceOrientation  orientation,
                                           GError            **error);
/* Slice @index (not the crosshair's) with the true aspect ratio, with the
 * visible label layers when @overlays, whatever the document shows
 * (movies). */
GdkTexture *ps_export_render_slice_at (PsDocument         *document,
                                       PsSliceOrientation  orientation,
                                       gsize               index,
                                       gboolean            overlays,
                                       GError            **error);
gboolean    ps_export_slice_png     (PsDocument         *document,
                                     PsSliceOrientation  orientation,
                                     const char         *path,
                                     GError            **error);

/* Render @widget (realized, allocated) with its native's renderer, clipped
 * to its allocation. */
GdkTexture *ps_export_widget_texture (GtkWidget         *widget,
                                      GError           **error);

gboolean    ps_export_texture_png   (GdkTexture         *texture,
                                     const char         *path,
                                     GError            **error);

G_END_DECLS
