/* SPDX-License-Identifier: GPL-3.0-or-later */
/* ps-subvolume-tool.h: picking the subvolume (issue 7).
 *
 * Document actions (added to ps_document_get_actions(), so "doc."):
 *
 *   doc.subvolume          (iiiiii) stateful: x0, y0, z0, nx, ny, nz in voxels;
 *                                   (0,0,0,0,0,0) = none. change-state sets it
 *                                   (all sizes 0 removes it).
 *   doc.subvolume-nm       (dddddd) origin x, y, z and size x, y, z in nm, resolved
 *                                   by SPEC.md's rules (ps_subvolume_resolve():
 *                                   sizes to whole voxels, the origin to the
 *                                   nearest voxel boundary)
 *   doc.clear-subvolume             no subvolume (the whole volume is analysed)
 *   doc.extract-subvolume           a new dataset: the crop of the subvolume
 *
 * The document's subvolume is the analysed region. A box that leaves the
 * volume is refused with the reason in the error banner.
 *
 * In the slice views (ps_subvolume_tool_attach()): Shift-drag draws a new
 * box in the view's plane (keeping the box's extent along the normal, or the
 * whole depth); dragging an edge or corner of the box resizes it, dragging
 * its centre handle (or Shift-dragging inside it) moves it. Every change goes
 * through doc.subvolume.
 */
#pragma once

#include <gtk/gtk.h>

#include "ps-document.h"
#include "ps-slice-view.h"

G_BEGIN_DECLS

void       ps_subvolume_tool_add_actions   (PsDocument  *doc);
void       ps_subvolume_tool_attach        (PsSliceView *view);
/* The sidebar panel: origin and size in nm, Apply, Clear, Extract, and the
 * exact extent used. */
GtkWidget *ps_subvolume_panel_new          (PsDocument  *doc);
/* "x0 – x1 × y0 – y1 × z0 – z1 nm (sx × sy × sz nm; nx × ny × nz voxels)",
 * numbers in the locale. */
char      *ps_subvolume_tool_format_extent (PsDocument  *doc,
                                            const PsBox *box);

/* For tests: a primary-button drag from canvas (x0, y0) to (x1, y1), as the
 * gesture runs it; FALSE when the press is not the tool's (the view pans). */
gboolean   _ps_subvolume_tool_drag         (PsSliceView *view,
                                            double       x0,
                                            double       y0,
                                            double       x1,
                                            double       y1,
                                            gboolean     shift);

G_END_DECLS
