/* SPDX-License-Identifier: GPL-3.0-or-later */
/* porescope-cli project VOLUME --angles FILE|A:B:S -o TILT
 *
 * Forward projection with the single tilt axis along the volume's y axis
 * (SPEC.md): image i is the line integral of the volume at angle i, in the
 * volume's units × voxels. */
#define G_LOG_DOMAIN "porescope-cli"

#include "config.h"

#include <glib/gi18n.h>

#include "ps-cli-commands.h"
#include "ps-cli-common.h"
#include "ps-error.h"
#include "ps-project.h"
#include "ps-volume-io.h"

static char *opt_angles;
static char *opt_output;
static char *opt_tlt;

static const GOptionEntry entries[] = {
  { "angles", 'a', 0, G_OPTION_ARG_STRING, &opt_angles, N_("Tilt angles: a .tlt/.rawtlt file or START:STOP:STEP"), N_("FILE|A:B:S") },
  { "output", 'o', 0, G_OPTION_ARG_FILENAME, &opt_output, N_("The tilt series to write (.tif or .mrc)"), N_("TILT") },
  { "tlt", 0, 0, G_OPTION_ARG_FILENAME, &opt_tlt, N_("Also write the angles to this .tlt file"), N_("FILE") },
  { NULL }
};

int
ps_cli_project (int argc, char **argv)
{
  g_autoptr(GOptionContext) ctx = g_option_context_new (_("VOLUME — forward-project a volume into a tilt series"));
  g_autoptr(GError) error = NULL;
  g_autoptr(PsVolume) vol = NULL;
  g_autoptr(PsTiltSeries) ts = NULL;
  g_autofree double *angles = NULL;
  gsize n_angles = 0;
  PsProjectParams params = { 0 };
  char why[256] = "";
  PsStatus st;

  g_option_context_add_main_entries (ctx, entries, GETTEXT_PACKAGE);
  g_option_context_add_main_entries (ctx, ps_cli_common_entries, GETTEXT_PACKAGE);
  g_option_context_set_summary (ctx, _("Parallel beam, tilt axis along the volume's y axis through its centre;\n"
                                       "detector coordinate u = x·cos θ + z·sin θ (SPEC.md)."));
  if (!ps_cli_parse (ctx, &argc, &argv, "project"))
    return PS_CLI_EXIT_USAGE;
  if (argc != 2)
    return ps_cli_fail (PS_CLI_EXIT_USAGE, "project", _("expected one VOLUME"));
  if (opt_angles == NULL)
    return ps_cli_fail (PS_CLI_EXIT_USAGE, "project", _("--angles is required"));
  if (opt_output == NULL)
    return ps_cli_fail (PS_CLI_EXIT_USAGE, "project", _("-o TILT is required"));

  angles = ps_angles_from_spec (opt_angles, &n_angles, &error);
  if (angles == NULL)
    return ps_cli_fail_error (PS_CLI_EXIT_USAGE, error);
  vol = ps_volume_load (argv[1], NULL, ps_cli_progress_begin (_("Reading")), &error);
  ps_cli_progress_end ();
  if (vol == NULL)
    return ps_cli_fail_error (ps_cli_input_error_code (error), error);

  params.angles = angles;
  params.n_angles = n_angles;
  params.n_threads = ps_cli_threads;
  st = ps_project_run (&params, vol, &ts, ps_cli_progress_begin (_("Projecting")), why, sizeof why);
  ps_cli_progress_end ();
  if (st != PS_OK)
    return ps_cli_fail (st == PS_ERROR_INVALID_PARAMETER ? PS_CLI_EXIT_USAGE : PS_CLI_EXIT_FAILURE, argv[1], "%s",
                        why[0] ? why : ps_status_to_string (st));
  if (!ps_tilt_series_save (ts, opt_output, opt_tlt, &error))
    return ps_cli_fail_error (PS_CLI_EXIT_FAILURE, error);
  return PS_CLI_EXIT_OK;
}
