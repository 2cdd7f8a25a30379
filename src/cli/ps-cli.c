/* SPDX-License-Identifier: GPL-3.0-or-later */
/* porescope-cli: the headless front end. Each subcommand lives in its own
 * ps-cli-NAME.c and is listed in the table below. */
#define G_LOG_DOMAIN "porescope-cli"

#include "config.h"

#include <glib/gi18n.h>
#include <locale.h>
#include <stdio.h>
#include <string.h>

#include "ps-cli-commands.h"
#include "ps-cli-common.h"

static const PsCliCommand commands[] = {
#define PS_CLI_COMMAND(name, func, summary) { name, summary, func },
#include "ps-cli-commands.def"
#undef PS_CLI_COMMAND
};

static void
print_usage (FILE *out)
{
  fprintf (out, "%s", _("Usage: porescope-cli COMMAND [OPTIONS…] [ARGS…]\n\n"
                        "Electron tomography of porous materials, headless.\n\n"
                        "Commands:\n"));
  for (gsize i = 0; i < G_N_ELEMENTS (commands); i++)
    fprintf (out, "  %-12s %s\n", commands[i].name, _(commands[i].summary));
  fprintf (out, "%s", _("\nRun “porescope-cli COMMAND --help” for a command's options.\n"));
}

int
main (int argc, char **argv)
{
  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);
  g_set_prgname ("porescope-cli");

  if (argc < 2)
    {
      print_usage (stderr);
      return PS_CLI_EXIT_USAGE;
    }
  if (strcmp (argv[1], "--help") == 0 || strcmp (argv[1], "-h") == 0 || strcmp (argv[1], "help") == 0)
    {
      print_usage (stdout);
      return PS_CLI_EXIT_OK;
    }
  if (strcmp (argv[1], "--version") == 0)
    {
      printf ("porescope-cli %s\n", PACKAGE_VERSION);
      return PS_CLI_EXIT_OK;
    }
  for (gsize i = 0; i < G_N_ELEMENTS (commands); i++)
    if (strcmp (argv[1], commands[i].name) == 0)
      return commands[i].run (argc - 1, argv + 1);

  g_printerr ("porescope-cli: %s: %s\n", argv[1], _("unknown command"));
  print_usage (stderr);
  return PS_CLI_EXIT_USAGE;
}
