/* SPDX-License-Identifier: GPL-3.0-or-later */
/* ps-application.h: the Porescope application (io.github.porescope.Porescope).
 *
 * Command line: FILE… opens each file in a window; --demo opens the demo
 * dataset; --angles SPEC opens FILE as a tilt series; --screenshot OUT.png
 * writes the settled window and exits (0, or 2 when FILE cannot be opened);
 * --exit-after-startup quits once the window has drawn (a smoke test);
 * --version. New modes add an option entry and a PsStartupMode (see
 * ps-application.c, "Command line"). */
#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

#define PS_TYPE_APPLICATION (ps_application_get_type ())
G_DECLARE_FINAL_TYPE (PsApplication, ps_application, PS, APPLICATION, AdwApplication)

PsApplication *ps_application_new             (void);
GSettings     *ps_application_get_settings    (PsApplication *self);
/* The status main() returns (set by --screenshot on failure). */
int            ps_application_get_exit_status (PsApplication *self);

G_END_DECLS
