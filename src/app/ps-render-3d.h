/* SPDX-License-Identifier: GPL-3.0-or-later */
/* ps-render-3d.h: `porescope --render-3d OUT.png [--view front|top|right|iso]
 * [--mode dvr|mip|iso|labels] [--size WxH] [--labels LABELS.tif] VOLUME`.
 *
 * Renders one figure of the 3D view offscreen (no window is shown) and
 * writes it atomically as PNG, with the same renderer, colours, axis triad
 * and nm scale bar as the 3D pane. Needs a display (or Xvfb) for the GL
 * context. Exit status: 0 written, 1 failure while running (no display, no
 * OpenGL 3.3, GPU error, write error), 2 bad usage or bad input.
 *
 * The application's command-line handling calls ps_render_3d_wanted() first
 * and hands the whole argv to ps_render_3d_run() when it is TRUE.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

gboolean ps_render_3d_wanted (int argc, char **argv);
int ps_render_3d_run (int argc, char **argv);

G_END_DECLS
