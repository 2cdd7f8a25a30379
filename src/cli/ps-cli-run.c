/* SPDX-License-Identifier: GPL-3.0-or-later */
/* porescope-cli run SESSION.porescope [-o OUTDIR]
 *
 * Replays a saved session headless: loads its volume (swap y/z and voxel
 * size override as saved) — or, when the session has no volume file but a
 * tilt series and a reconstruction, reconstructs it with the saved method,
 * iterations, filter and thickness — then runs ps_analysis_run() with the
 * session's subvolume, smoothing, threshold, h, connectivity and seed edits
 * and writes the analysis folder with ps_analysis_write() and the session's
 * provenance (ps_session_to_source), which is exactly what the GUI's export
 * does: the files are byte-identical.
 *
 * Without -o the folder is SESSION's name without ".porescope" plus
 * "-analysis", next to the session file. */
#define G_LOG_DOMAIN "porescope-cli"

#include "config.h"

#include <glib/gi18n.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "ps-analysis-io.h"
#include "ps-analysis.h"
#include "ps-core-glib.h"
#include "ps-cli-commands.h"
#include "ps-cli-common.h"
#include "ps-error.h"
#include "ps-session-analysis.h"
#include "ps-sirt.h"
#include "ps-strtod.h"
#include "ps-volume-io.h"
#include "ps-wbp.h"

static char *opt_output;

static const GOptionEntry entries[] = {
  { "output", 'o', 0, G_OPTION_ARG_FILENAME, &opt_output,
    N_("Output folder (default: the session's name with “-analysis”, next to it)"), N_("OUTDIR") },
  { "out", 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_FILENAME, &opt_output, N_("Output folder"), N_("OUTDIR") },
  { NULL }
};

/* The volume the session describes, or NULL with @error. */
static PsVolume *
session_volume (const PsSession *s, int *code, GError **error)
{
  g_autoptr(PsVolume) vol = NULL;
  PsStatus st;
  char why[256] = "";
  *code = PS_CLI_EXIT_FAILURE;
  if (s->volume_path != NULL)
    {
      vol = ps_volume_load (s->volume_path, NULL, ps_cli_progress_begin (_("Reading")), error);
      ps_cli_progress_end ();
      if (vol == NULL)
        {
          *code = ps_cli_input_error_code (*error);
          return NULL;
        }
    }
  else if (s->has_reconstruction && s->tilt_series_path != NULL)
    {
      g_autoptr(PsTiltSeries) ts = ps_tilt_series_load (s->tilt_series_path, s->angles,
                                                        ps_cli_progress_begin (_("Reading")), error);
      ps_cli_progress_end ();
      if (ts == NULL)
        {
          *code = ps_cli_input_error_code (*error);
          return NULL;
        }
      if (g_str_equal (s->recon_method, "wbp"))
        {
          PsWbpParams wp;
          ps_wbp_params_init (&wp);
          if (s->recon_filter != NULL && !ps_filter_type_from_string (s->recon_filter, &wp.filter))
            {
              g_set_error (error, PS_ERROR, PS_ERROR_CODE_INVALID_PARAMETER, _("unknown filter “%s”"), s->recon_filter);
              *code = PS_CLI_EXIT_USAGE;
              return NULL;
            }
          wp.thickness = s->recon_thickness;
          wp.n_threads = ps_cli_threads;
          st = ps_wbp_run (&wp, ts, &vol, ps_cli_progress_begin ("WBP"), why, sizeof why);
        }
      else
        {
          gboolean sart = g_str_equal (s->recon_method, "sart");
          PsSirtParams sp;
          ps_sirt_params_init (&sp, sart ? PS_ITERATIVE_SART : PS_ITERATIVE_SIRT);
          sp.iterations = s->recon_iterations;
          sp.thickness = s->recon_thickness;
          sp.n_threads = ps_cli_threads;
          st = ps_sirt_run (&sp, ts, &vol, NULL, ps_cli_progress_begin (sart ? "SART" : "SIRT"), why, sizeof why);
        }
      ps_cli_progress_end ();
      if (st != PS_OK)
        {
          g_set_error (error, PS_ERROR, PS_ERROR_CODE_FAILED, "%s: %s", s->tilt_series_path,
                       why[0] ? why : ps_status_to_string (st));
          return NULL;
        }
    }
  else
    {
      g_set_error (error, PS_ERROR, PS_ERROR_CODE_INVALID_PARAMETER,
                   _("the session has a tilt series but no reconstruction to replay"));
      *code = PS_CLI_EXIT_USAGE;
      return NULL;
    }
  if (s->swap_yz)
    {
      PsVolume *swapped = ps_volume_swap_yz (vol, &st);
      if (swapped == NULL)
        {
          ps_set_error_from_status (error, st, s->volume_path ? s->volume_path : s->tilt_series_path);
          return NULL;
        }
      g_clear_pointer (&vol, ps_volume_unref);
      vol = swapped;
    }
  if (s->has_voxel_size)
    ps_volume_set_spacing (vol, s->voxel_size_nm[0], s->voxel_size_nm[1], s->voxel_size_nm[2]);
  return g_steal_pointer (&vol);
}

int
ps_cli_run (int argc, char **argv)
{
  g_autoptr(GOptionContext) ctx = g_option_context_new (_("SESSION.porescope — replay a saved session headless"));
  g_autoptr(GError) error = NULL;
  g_option_context_add_main_entries (ctx, entries, GETTEXT_PACKAGE);
  g_option_context_add_main_entries (ctx, ps_cli_common_entries, GETTEXT_PACKAGE);
  g_option_context_set_summary (ctx, _("Loads the session's data, runs its analysis and writes the same files "
                                       "as Export in the application."));
  if (!ps_cli_parse (ctx, &argc, &argv, "run"))
    return PS_CLI_EXIT_USAGE;
  if (argc != 2)
    return ps_cli_fail (PS_CLI_EXIT_USAGE, "run", _("expected one SESSION file"));

  const char *path = argv[1];
  g_autoptr(PsSession) s = ps_session_load (path, &error);
  if (s == NULL)
    return ps_cli_fail_error (PS_CLI_EXIT_USAGE, error);
  const char *missing = ps_session_missing_data (s);
  if (missing != NULL)
    return ps_cli_fail (PS_CLI_EXIT_USAGE, path,
                        _("its data file %s is missing (moved? open the session in Porescope to locate it)"),
                        missing);

  g_autofree char *outdir = NULL;
  if (opt_output != NULL)
    outdir = g_strdup (opt_output);
  else
    {
      g_autofree char *stem = g_str_has_suffix (path, PS_SESSION_EXTENSION)
                                ? g_strndup (path, strlen (path) - strlen (PS_SESSION_EXTENSION))
                                : g_strdup (path);
      outdir = g_strconcat (stem, "-analysis", NULL);
    }

  int code;
  g_autoptr(PsVolume) vol = session_volume (s, &code, &error);
  if (vol == NULL)
    return ps_cli_fail_error (code, error);

  PsAnalysisParams params;
  ps_session_to_params (s, &params);
  params.n_threads = ps_cli_threads;
  char why[256] = "";
  PsStatus st = ps_analysis_validate (&params, vol, why, sizeof why);
  if (st != PS_OK)
    return ps_cli_fail (PS_CLI_EXIT_USAGE, path, "%s", why);
  PsAnalysisResult *result = NULL;
  st = ps_analysis_run (&params, vol, NULL, &result, ps_cli_progress_begin (_("Analysing")));
  ps_cli_progress_end ();
  if (st != PS_OK)
    {
      ps_set_error_from_status (&error, st, path);
      return ps_cli_fail_error (PS_CLI_EXIT_FAILURE, error);
    }
  PsAnalysisSource source;
  ps_session_to_source (s, &source);
  gboolean ok = ps_analysis_write (result, &source, outdir, ps_cli_progress_begin (_("Writing")), &error);
  ps_cli_progress_end ();
  if (ok)
    {
      char a[40];
      ps_cli_message (_("%s: porosity %s, %zu pores, %zu carbon units → %s"), path,
                      ps_ascii_formatd (a, sizeof a, "%.5f", result->porosity), result->pores.count,
                      result->carbon.count, outdir);
    }
  ps_analysis_result_free (result);
  if (!ok)
    return ps_cli_fail_error (PS_CLI_EXIT_FAILURE, error);
  return PS_CLI_EXIT_OK;
}
