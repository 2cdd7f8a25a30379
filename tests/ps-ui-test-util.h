/* SPDX-License-Identifier: GPL-3.0-or-later */
/* ps-ui-test-util.h: what every ui test does — a registered application with
 * nothing from the user's session, and waiting for the main loop. */
#pragma once

#include <gtk/gtk.h>

#include "ps-application.h"
#include "ps-document.h"
#include "ps-window.h"

G_BEGIN_DECLS

/* Memory GSettings, no accessibility bus, the cairo renderer unless
 * GSK_RENDERER says otherwise, a private XDG_DATA_HOME (no recent files);
 * gtk_test_init(); a non-unique PsApplication, registered. */
PsApplication *ps_ui_test_init (int *argc, char ***argv);

/* Dispatch everything pending, without blocking. */
void ps_ui_test_spin (void);

/* Iterate until @doc has no job (at most 4 minutes), then spin. */
void ps_ui_test_wait_idle (PsDocument *doc);

/* Iterate until every view of @win has drawn its dataset, the 3D view's
 * first frame included (ps_window_when_settled; at most 2 minutes). */
void ps_ui_test_wait_settled (PsWindow *win);

G_END_DECLS
