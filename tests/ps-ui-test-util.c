/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "ps-ui-test-util.h"
#include "ps-test-util.h"

PsApplication *
ps_ui_test_init (int *argc, char ***argv)
{
  g_autoptr (GError) error = NULL;
  PsApplication *app;

  /* Everything from the build tree, nothing from the user's session. */
  g_setenv ("GSETTINGS_BACKEND", "memory", TRUE);
  g_setenv ("GTK_A11Y", "none", TRUE);
  if (g_getenv ("GSK_RENDERER") == NULL)
    g_setenv ("GSK_RENDERER", "cairo", TRUE);
  g_setenv ("XDG_DATA_HOME", ps_test_tmpdir (), TRUE);
  gtk_test_init (argc, argv, NULL);

  app = ps_application_new ();
  g_application_set_flags (G_APPLICATION (app), G_APPLICATION_NON_UNIQUE);
  g_assert_true (g_application_register (G_APPLICATION (app), NULL, &error));
  g_assert_no_error (error);
  return app;
}

void
ps_ui_test_spin (void)
{
  while (g_main_context_iteration (NULL, FALSE))
    ;
}

void
ps_ui_test_wait_idle (PsDocument *doc)
{
  gint64 deadline = g_get_monotonic_time () + 240 * G_USEC_PER_SEC;

  while (ps_document_get_busy (doc))
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_main_context_iteration (NULL, TRUE);
    }
  ps_ui_test_spin ();
}

static gboolean
settled_cb (gpointer data)
{
  *(gboolean *) data = TRUE;
  return G_SOURCE_REMOVE;
}

void
ps_ui_test_wait_settled (PsWindow *win)
{
  gboolean done = FALSE;
  gint64 deadline = g_get_monotonic_time () + 120 * G_USEC_PER_SEC;

  ps_window_when_settled (win, settled_cb, &done);
  while (!done)
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_main_context_iteration (NULL, TRUE);
    }
}
