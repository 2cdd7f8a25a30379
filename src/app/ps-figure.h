/* SPDX-License-Identifier: GPL-3.0-or-later */
/* ps-figure.h: a publication figure of what the window shows, in one call.
 *
 * Panels (ps-figure-layout.h): the xy, yz and xz orthoslices at the
 * crosshair with the document's window/level, colour map and the label
 * layers when overlays are shown (one image pixel per voxel, scaled without
 * interpolation to the true aspect ratio), the 3D view rendered offscreen by
 * the pane's renderer at the figure's resolution, and — when the document
 * has pore or carbon label layers — the object size histograms (objects by
 * equivalent diameter (6V/π)^⅓ in nm, on the shared bins of
 * ps_analysis_bins()). Each slice panel has an nm scale bar (1, 2 or 5 ×
 * 10^k nm, about a quarter of its width) and every panel a letter.
 *
 * Formats by extension: .png (raster at the DPI; provenance as tEXt chunks,
 * the DPI as pHYs), .svg (<metadata> with Dublin Core title/creator/source
 * and one porescope:entry per provenance key), .pdf (Title, Creator,
 * Subject = the provenance lines, Keywords). Written atomically.
 *
 * Threads: the slice images and the 3D render are taken on the main thread
 * (GL); histograms, the input's SHA-256, drawing and encoding run in a
 * worker thread, so the main loop does not block.
 */
#pragma once

#include <gtk/gtk.h>

#include "ps-document.h"
#include "ps-volume-view.h"

G_BEGIN_DECLS

typedef enum
{
  PS_FIGURE_FORMAT_PNG,
  PS_FIGURE_FORMAT_SVG,
  PS_FIGURE_FORMAT_PDF,
} PsFigureFormat;

typedef struct
{
  double width_mm;    /* page width (default 180 mm, a double column) */
  double height_mm;   /* 0: as tall as the panels need (default) */
  double dpi;         /* PNG resolution and the 3D image's (default 300) */
} PsFigureOptions;

void     ps_figure_options_init        (PsFigureOptions      *options);
/* From "….png", "….svg", "….pdf" (any case); FALSE otherwise. */
gboolean ps_figure_format_from_path    (const char           *path,
                                        PsFigureFormat       *format);

/* Make the figure of @document (with its volume) and @view (nullable, or
 * not realized: the 3D panel then says why it is empty) and write it to
 * @path. Waits (up to a minute) for the 3D view's textures first. */
void     ps_figure_export_async        (PsDocument           *document,
                                        PsVolumeView         *view,
                                        const char           *path,
                                        const PsFigureOptions *options,
                                        GCancellable         *cancellable,
                                        GAsyncReadyCallback   callback,
                                        gpointer              user_data);
gboolean ps_figure_export_finish       (GAsyncResult         *result,
                                        GError              **error);

G_END_DECLS
