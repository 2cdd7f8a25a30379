/* SPDX-License-Identifier: GPL-3.0-or-later */
/* ps-histogram-view.h: the histogram of the document's volume with its
 * display window. Drag a limit to move it, drag inside the window to shift
 * both (the level), double-click for Auto. Counts are drawn on a log scale so
 * the small pore peak stays visible next to the carbon peak.
 *
 * (The name avoids the core's PsHistogram, the data it draws.)
 */
#pragma once

#include <gtk/gtk.h>

#include "ps-document.h"

G_BEGIN_DECLS

#define PS_TYPE_HISTOGRAM_VIEW (ps_histogram_view_get_type ())
G_DECLARE_FINAL_TYPE (PsHistogramView, ps_histogram_view, PS, HISTOGRAM_VIEW, GtkWidget)

GtkWidget  *ps_histogram_view_new          (void);
PsDocument *ps_histogram_view_get_document (PsHistogramView *self);
void        ps_histogram_view_set_document (PsHistogramView *self,
                                            PsDocument      *document);
/* The data value at widget x, and back (for tests and the drag logic). */
double      ps_histogram_view_x_to_value   (PsHistogramView *self,
                                            double           x);
double      ps_histogram_view_value_to_x   (PsHistogramView *self,
                                            double           value);

G_END_DECLS
