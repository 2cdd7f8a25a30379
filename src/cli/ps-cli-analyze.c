/* SPDX-License-Identifier: GPL-3.0-or-later */
/* porescope-cli analyze VOLUME [--subvolume …|--subvolume-center …]
 *     [--smooth SIGMA_NM|none|median] [--threshold otsu|VALUE] [--h NM]
 *     [--h-carbon NM] [--seeds FILE.csv] [--connectivity 6|26]
 *     [--thickness] [--bin-width NM] -o OUTDIR
 *
 * Runs ps_analysis_run() — the same function the GUI calls — and writes
 * every output file (ps-analysis-io.h). Defaults (ps_analysis_params_init):
 * Gaussian smoothing of 0.6 voxel, Otsu, the measured default h (0.4 voxel),
 * 26-connectivity — measured on reconstructed phantoms. */
#define G_LOG_DOMAIN "porescope-cli"

#include "config.h"

#include <glib/gi18n.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "ps-analysis-io.h"
#include "ps-analysis.h"
#include "ps-cli-commands.h"
#include "ps-cli-common.h"
#include "ps-cli-subvolume.h"
#include "ps-error.h"
#include "ps-seed-edits.h"
#include "ps-strtod.h"
#include "ps-volume-io.h"

static char *opt_subvolume;
static char *opt_centre;
static char *opt_smooth;
static char *opt_threshold;
static char *opt_h;
static char *opt_h_carbon;
static char *opt_seeds;
static int opt_connectivity = 26;
static gboolean opt_no_thickness;
static gboolean opt_thickness;
static char *opt_bin_width;
static char *opt_output;

static const GOptionEntry entries[] = {
  { "subvolume", 0, 0, G_OPTION_ARG_STRING, &opt_subvolume,
    N_("Analyse this box: X,Y,Z:SXxSYxSZ in nm (or voxels with a “vox” suffix)"), N_("BOX") },
  { "subvolume-center", 0, 0, G_OPTION_ARG_STRING, &opt_centre,
    N_("Analyse a centred box of this size: SXxSYxSZ"), N_("SIZE") },
  { "smooth", 0, 0, G_OPTION_ARG_STRING, &opt_smooth,
    N_("Gaussian sigma in nm before thresholding; 0 or “none” for none, “median” for a 3×3×3 median "
       "(default: 0.6 voxel)"), N_("SIGMA_NM") },
  { "threshold", 0, 0, G_OPTION_ARG_STRING, &opt_threshold,
    N_("“otsu” (default) or a value: pore = below it"), N_("otsu|VALUE") },
  { "h", 0, 0, G_OPTION_ARG_STRING, &opt_h,
    N_("Marker extent (h-maxima dynamic) in nm for separating pores (default: measured best)"), N_("NM") },
  { "h-carbon", 0, 0, G_OPTION_ARG_STRING, &opt_h_carbon,
    N_("Marker extent for carbon building units (default: as --h)"), N_("NM") },
  { "seeds", 0, 0, G_OPTION_ARG_FILENAME, &opt_seeds,
    N_("Seed edits: CSV of x_nm,y_nm,z_nm[,add|remove|merge[,x2_nm,y2_nm,z2_nm]]"), N_("FILE.csv") },
  { "connectivity", 0, 0, G_OPTION_ARG_INT, &opt_connectivity, N_("6 or 26 (default 26)"), N_("N") },
  { "thickness", 0, 0, G_OPTION_ARG_NONE, &opt_thickness,
    N_("Also compute local thickness of both phases (thickness_volume_fraction in the histograms; slow on "
       "large phases)"), NULL },
  { "no-thickness", 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_NONE, &opt_no_thickness, N_("No local thickness (the default)"), NULL },
  { "bin-width", 0, 0, G_OPTION_ARG_STRING, &opt_bin_width, N_("Histogram bin width in nm (default: automatic)"), N_("NM") },
  { "output", 'o', 0, G_OPTION_ARG_FILENAME, &opt_output, N_("Output folder"), N_("OUTDIR") },
  { NULL }
};

/* A finite number (all of @text). */
static gboolean
parse_double (const char *text, double *out)
{
  char *end = NULL;
  g_autofree char *t = g_strstrip (g_strdup (text));
  if (*t == '\0')
    return FALSE;
  double v = g_ascii_strtod (t, &end);
  if (end == NULL || *end != '\0' || !isfinite (v))
    return FALSE;
  *out = v;
  return TRUE;
}

static void
print_result (const PsAnalysisResult *r, const char *outdir)
{
  char a[40], b[40], c[40], d[40], e[40];
  g_autofree char *box = ps_cli_subvolume_describe (&r->box, r->spacing);
  printf ("subvolume: %s\n", box);
  printf ("threshold: %s%s\n", ps_ascii_dtostr (a, sizeof a, r->threshold),
          r->params.threshold_auto ? " (Otsu)" : "");
  printf ("porosity: %s (open %s, closed %s)\n", ps_ascii_formatd (a, sizeof a, "%.5f", r->porosity),
          ps_ascii_formatd (b, sizeof b, "%.5f", r->open_porosity),
          ps_ascii_formatd (c, sizeof c, "%.5f", r->closed_porosity));
  printf ("pores: %zu (%zu inside the box), equivalent diameter mean %s nm, median %s nm, sd %s nm, "
          "edge-corrected mean %s nm\n",
          r->pores.count, r->pores.count_interior, ps_ascii_formatd (a, sizeof a, "%.4g", r->pores.eqdiam_mean_nm),
          ps_ascii_formatd (b, sizeof b, "%.4g", r->pores.eqdiam_median_nm),
          ps_ascii_formatd (c, sizeof c, "%.4g", r->pores.eqdiam_sd_nm),
          ps_ascii_formatd (d, sizeof d, "%.4g", r->pores.eqdiam_mean_edge_corrected_nm));
  printf ("carbon units: %zu, equivalent diameter mean %s nm, inscribed mean %s nm\n", r->carbon.count,
          ps_ascii_formatd (a, sizeof a, "%.4g", r->carbon.eqdiam_mean_nm),
          ps_ascii_formatd (e, sizeof e, "%.4g", r->carbon.inscribed_mean_nm));
  printf ("throats: %zu\n", r->network ? r->network->n_throats : 0);
  if (r->n_edits_ignored > 0)
    printf ("seed edits ignored (outside the subvolume or across phases): %zu\n", r->n_edits_ignored);
  printf ("written to %s\n", outdir);
}

int
ps_cli_analyze (int argc, char **argv)
{
  g_autoptr(GOptionContext) ctx = g_option_context_new (_("VOLUME — segment, separate and measure pores and carbon"));
  g_autoptr(GError) error = NULL;
  g_autoptr(PsVolume) vol = NULL;
  g_autoptr(PsSeedEdits) edits = ps_seed_edits_new ();
  PsAnalysisParams params;
  PsAnalysisResult *result = NULL;
  PsBox box;

  ps_analysis_params_init (&params);
  g_option_context_add_main_entries (ctx, entries, GETTEXT_PACKAGE);
  g_option_context_add_main_entries (ctx, ps_cli_common_entries, GETTEXT_PACKAGE);
  g_option_context_set_summary (ctx, _("Writes pores.tif, carbon.tif, pores.csv, carbon.csv, network_nodes.csv, "
                                       "network_throats.csv,\nhistogram_pores.csv, histogram_carbon.csv, "
                                       "porosity_vs_threshold.csv and summary.json into OUTDIR."));
  if (!ps_cli_parse (ctx, &argc, &argv, "analyze"))
    return PS_CLI_EXIT_USAGE;
  if (argc != 2)
    return ps_cli_fail (PS_CLI_EXIT_USAGE, "analyze", _("expected one VOLUME"));
  if (opt_output == NULL)
    return ps_cli_fail (PS_CLI_EXIT_USAGE, "analyze", _("-o OUTDIR is required"));

  /* Options first: bad usage is reported before the volume is read. */
  if (opt_smooth != NULL)
    {
      g_autofree char *t = g_strstrip (g_strdup (opt_smooth));
      g_autofree char *s = g_ascii_strdown (t, -1);
      double sigma;
      if (strcmp (s, "none") == 0)
        params.smooth = PS_SMOOTH_NONE;
      else if (strcmp (s, "median") == 0)
        params.smooth = PS_SMOOTH_MEDIAN;
      else if (parse_double (s, &sigma) && sigma >= 0)
        {
          params.smooth = sigma > 0 ? PS_SMOOTH_GAUSSIAN : PS_SMOOTH_NONE;
          params.smooth_sigma_nm = sigma;
        }
      else
        return ps_cli_fail (PS_CLI_EXIT_USAGE, "analyze",
                            _("--smooth must be a sigma in nm ≥ 0, “none” or “median”, not “%s”"), opt_smooth);
    }
  if (opt_threshold != NULL && g_ascii_strcasecmp (opt_threshold, "otsu") != 0)
    {
      if (!parse_double (opt_threshold, &params.threshold))
        return ps_cli_fail (PS_CLI_EXIT_USAGE, "analyze", _("--threshold must be “otsu” or a number, not “%s”"),
                            opt_threshold);
      params.threshold_auto = false;
    }
  if (opt_h != NULL && (!parse_double (opt_h, &params.h_nm) || params.h_nm < 0))
    return ps_cli_fail (PS_CLI_EXIT_USAGE, "analyze", _("--h must be a number of nm ≥ 0, not “%s”"), opt_h);
  if (opt_h_carbon != NULL && (!parse_double (opt_h_carbon, &params.h_carbon_nm) || params.h_carbon_nm < 0))
    return ps_cli_fail (PS_CLI_EXIT_USAGE, "analyze", _("--h-carbon must be a number of nm ≥ 0, not “%s”"),
                        opt_h_carbon);
  if (opt_connectivity != 6 && opt_connectivity != 26)
    return ps_cli_fail (PS_CLI_EXIT_USAGE, "analyze", _("--connectivity must be 6 or 26"));
  params.connectivity = opt_connectivity;
  if (opt_thickness && opt_no_thickness)
    return ps_cli_fail (PS_CLI_EXIT_USAGE, "analyze", _("--thickness and --no-thickness contradict each other"));
  params.local_thickness = opt_thickness;
  if (opt_bin_width != NULL && (!parse_double (opt_bin_width, &params.histogram_bin_nm) || params.histogram_bin_nm <= 0))
    return ps_cli_fail (PS_CLI_EXIT_USAGE, "analyze", _("--bin-width must be a positive number of nm"));
  if (opt_seeds != NULL)
    {
      if (!ps_seed_edits_load (edits, opt_seeds, &error))
        return ps_cli_fail_error (PS_CLI_EXIT_USAGE, error);
      ps_seed_edits_to_params (edits, &params);
    }
  params.n_threads = ps_cli_threads;

  vol = ps_volume_load (argv[1], NULL, ps_cli_progress_begin (_("Reading")), &error);
  ps_cli_progress_end ();
  if (vol == NULL)
    return ps_cli_fail_error (ps_cli_input_error_code (error), error);
  if (!ps_cli_subvolume_resolve ("analyze", opt_subvolume, opt_centre, vol, &box))
    return PS_CLI_EXIT_USAGE;
  params.subvolume = box;

  char why[256] = "";
  PsStatus st = ps_analysis_validate (&params, vol, why, sizeof why);
  if (st != PS_OK)
    return ps_cli_fail (PS_CLI_EXIT_USAGE, "analyze", "%s", why);
  st = ps_analysis_run (&params, vol, NULL, &result, ps_cli_progress_begin (_("Analysing")));
  ps_cli_progress_end ();
  if (st != PS_OK)
    {
      ps_set_error_from_status (&error, st, argv[1]);
      return ps_cli_fail_error (PS_CLI_EXIT_FAILURE, error);
    }

  g_autofree char *input = g_canonicalize_filename (argv[1], NULL);
  PsAnalysisSource source = { input };
  gboolean ok = ps_analysis_write (result, &source, opt_output, ps_cli_progress_begin (_("Writing")), &error);
  ps_cli_progress_end ();
  if (!ok)
    {
      ps_analysis_result_free (result);
      return ps_cli_fail_error (PS_CLI_EXIT_FAILURE, error);
    }
  if (!ps_cli_quiet)
    print_result (result, opt_output);
  if (g_getenv ("PORESCOPE_TIMING") != NULL)
    {
      /* Stage timings for benchmarks (stderr, even with --quiet). */
      for (int i = 0; i < PS_ANALYSIS_N_STAGES; i++)
        g_printerr ("timing %-10s %.3f s\n", ps_analysis_stage_names[i], result->stage_seconds[i]);
      g_printerr ("timing %-10s %.3f s\n", "analysis", result->total_seconds);
    }
  ps_analysis_result_free (result);
  return PS_CLI_EXIT_OK;
}
