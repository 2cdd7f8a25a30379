/* SPDX-License-Identifier: GPL-3.0-or-later */
/* porescope: the desktop application. */
#define G_LOG_DOMAIN "porescope"

#include "config.h"

#include <glib/gi18n.h>
#include <locale.h>

#include "ps-application.h"
#include "ps-render-3d.h"

/* Translations: the installed catalogue, or the build tree's when running
 * uninstalled (./run.sh) and nothing is installed. */
static void
setup_gettext (void)
{
  const char *localedir = LOCALEDIR;
  g_autofree char *installed = g_build_filename (LOCALEDIR, "zh_CN", "LC_MESSAGES", GETTEXT_PACKAGE ".mo", NULL);
  g_autofree char *built = g_build_filename (PS_BUILD_LOCALEDIR, "zh_CN", "LC_MESSAGES", GETTEXT_PACKAGE ".mo", NULL);

  if (!g_file_test (installed, G_FILE_TEST_EXISTS) && g_file_test (built, G_FILE_TEST_EXISTS))
    localedir = PS_BUILD_LOCALEDIR;
  bindtextdomain (GETTEXT_PACKAGE, localedir);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);
}

int
main (int argc, char **argv)
{
  g_autoptr (PsApplication) app = NULL;
  int status;

  setlocale (LC_ALL, "");
  setup_gettext ();
  g_set_application_name ("Porescope");

  /* Headless figure of the 3D view (no window, no GApplication). */
  if (ps_render_3d_wanted (argc, argv))
    return ps_render_3d_run (argc, argv);

  app = ps_application_new ();
  status = g_application_run (G_APPLICATION (app), argc, argv);
  return status != 0 ? status : ps_application_get_exit_status (app);
}
