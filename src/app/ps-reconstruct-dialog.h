/* SPDX-License-Identifier: GPL-3.0-or-later */
/* ps-reconstruct-dialog.h: "Open Tilt Series…" — pick the stack and the
 * angles, scrub through the tilt images, choose the parameters, and run
 * ps_reconstruct_start() with a live preview of the central slices and
 * Cancel. The dialog builds the same a{sv} as `win.reconstruct` takes
 * (ps_reconstruct_dialog_dup_params()). */
#pragma once

#include <adwaita.h>

#include "ps-document.h"

G_BEGIN_DECLS

#define PS_TYPE_RECONSTRUCT_DIALOG (ps_reconstruct_dialog_get_type ())
G_DECLARE_FINAL_TYPE (PsReconstructDialog, ps_reconstruct_dialog, PS, RECONSTRUCT_DIALOG, AdwWindow)

PsReconstructDialog *ps_reconstruct_dialog_new        (GtkWindow           *parent,
                                                       PsDocument          *document);
/* Choose the stack (and angles: NULL looks for a .tlt/.rawtlt beside it);
 * the images load in the background ("busy" is TRUE until they are shown). */
void                 ps_reconstruct_dialog_set_stack  (PsReconstructDialog *self,
                                                       const char          *path,
                                                       const char          *angles);
gboolean             ps_reconstruct_dialog_get_busy   (PsReconstructDialog *self);
/* The parameters as `win.reconstruct` takes them (floating reference). */
GVariant            *ps_reconstruct_dialog_dup_params (PsReconstructDialog *self);
/* Set the parameter widgets from an a{sv} of `win.reconstruct` (keys other
 * than "stack" and "angles"; missing keys keep their value). */
void                 ps_reconstruct_dialog_set_params (PsReconstructDialog *self,
                                                       GVariant            *params);
/* Start, as the Reconstruct button does. */
void                 ps_reconstruct_dialog_start      (PsReconstructDialog *self);

G_END_DECLS
