/* SPDX-License-Identifier: GPL-3.0-or-later */
/* ps-slice-view-private.h: the input paths of PsSliceView, callable without
 * synthesising events (the event controllers call exactly these). */
#pragma once

#include "ps-slice-view.h"

G_BEGIN_DECLS

/* A click at canvas coordinates: moves the crosshair there. */
void _ps_slice_view_click (PsSliceView *self,
                           double       x,
                           double       y);
/* The pointer at canvas coordinates (NaN: it left). */
void _ps_slice_view_hover (PsSliceView *self,
                           double       x,
                           double       y);
/* A scroll of @dy wheel units; with @zoom, about canvas point (x, y). */
void _ps_slice_view_scroll (PsSliceView *self,
                            double       dy,
                            gboolean     zoom,
                            double       x,
                            double       y);

/* The adjustment behind the slice slider and spin button. */
GtkAdjustment *_ps_slice_view_get_adjustment (PsSliceView *self);

G_END_DECLS
