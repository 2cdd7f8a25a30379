/* SPDX-License-Identifier: GPL-3.0-or-later */
/* porescope-cli reconstruct TILT --angles FILE|A:B:S [--method wbp|sirt|sart]
 *   [--iterations N] [--filter …] [--thickness N] [--tilt-axis DEG|auto]
 *   [--align] [--threads N] -o VOLUME
 *
 * The volume has the aligned images' x (perpendicular to the tilt axis) and
 * y (along it) and z along the beam at 0° (SPEC.md; ps-project.h). */
#define G_LOG_DOMAIN "porescope-cli"

#include "config.h"

#include <glib/gi18n.h>
#include <math.h>
#include <string.h>
#include <time.h>

#include "ps-align.h"
#include "ps-atomic-file.h"
#include "ps-cli-commands.h"
#include "ps-cli-common.h"
#include "ps-error.h"
#include "ps-project.h"
#include "ps-sirt.h"
#include "ps-strtod.h"
#include "ps-volume-io.h"
#include "ps-wbp.h"

static char *opt_angles;
static char *opt_output;
static char *opt_method;
static int opt_iterations;
static double opt_relaxation;
static int opt_subsets;
static char *opt_filter;
static double opt_cutoff;
static int opt_thickness;
static char *opt_tilt_axis;
static gboolean opt_align;
static gboolean opt_no_positivity;
static gboolean opt_reprojection;
static char *opt_alignment_in;
static char *opt_alignment_out;

static const GOptionEntry entries[] = {
  { "angles", 'a', 0, G_OPTION_ARG_STRING, &opt_angles, N_("Tilt angles: a .tlt/.rawtlt file or START:STOP:STEP (default: from the file)"), N_("FILE|A:B:S") },
  { "output", 'o', 0, G_OPTION_ARG_FILENAME, &opt_output, N_("The volume to write (.tif or .mrc)"), N_("VOLUME") },
  { "method", 'm', 0, G_OPTION_ARG_STRING, &opt_method, N_("wbp, sirt or sart (default wbp)"), N_("METHOD") },
  { "iterations", 'i', 0, G_OPTION_ARG_INT, &opt_iterations, N_("SIRT/SART iterations (default 30 / 6)"), N_("N") },
  { "relaxation", 0, 0, G_OPTION_ARG_DOUBLE, &opt_relaxation, N_("SIRT/SART relaxation factor in (0, 2) (default 1.9 / 1)"), N_("F") },
  { "subsets", 0, 0, G_OPTION_ARG_INT, &opt_subsets, N_("SART ordered subsets (default: one per 8 angles)"), N_("N") },
  { "filter", 'f', 0, G_OPTION_ARG_STRING, &opt_filter, N_("WBP filter: ramp, shepp-logan, cosine or hann (default ramp)"), N_("NAME") },
  { "cutoff", 0, 0, G_OPTION_ARG_DOUBLE, &opt_cutoff, N_("WBP filter cut-off as a fraction of Nyquist (default 1)"), N_("F") },
  { "thickness", 't', 0, G_OPTION_ARG_INT, &opt_thickness, N_("Slices along the beam (default: the image width)"), N_("N") },
  { "tilt-axis", 0, 0, G_OPTION_ARG_STRING, &opt_tilt_axis, N_("In-plane tilt-axis direction, degrees counter-clockwise from +y (90 = along x), or “auto” to search it"), N_("DEG|auto") },
  { "align", 0, 0, G_OPTION_ARG_NONE, &opt_align, N_("Align the images (cross-correlation shifts and the tilt-axis offset) first"), NULL },
  { "no-positivity", 0, 0, G_OPTION_ARG_NONE, &opt_no_positivity, N_("SIRT/SART: allow negative densities"), NULL },
  { "reprojection-error", 0, 0, G_OPTION_ARG_NONE, &opt_reprojection, N_("Print ‖A·x − b‖/‖b‖ of the result on stdout"), NULL },
  { "alignment", 0, 0, G_OPTION_ARG_FILENAME, &opt_alignment_in, N_("Use the tilt axis and shifts of an alignment file written by --alignment-out"), N_("FILE") },
  { "alignment-out", 0, 0, G_OPTION_ARG_FILENAME, &opt_alignment_out, N_("Write the tilt axis and per-image shifts used to FILE"), N_("FILE") },
  { NULL }
};

static char *
fmt (double v, const char *format)
{
  char buf[G_ASCII_DTOSTR_BUF_SIZE];
  return g_strdup (g_ascii_formatd (buf, sizeof buf, format, v));
}

/* The alignment file: comment lines, "tilt_axis_deg PHI", then one line
 * per image "ANGLE SHIFT_X SHIFT_Y" (raw-image pixels, see ps-project.h). */
static gboolean
save_alignment (const char *path, const PsTiltSeries *ts, GError **error)
{
  g_autoptr(GString) s = g_string_new (NULL);
  char a[G_ASCII_DTOSTR_BUF_SIZE], b[G_ASCII_DTOSTR_BUF_SIZE], c[G_ASCII_DTOSTR_BUF_SIZE];
  g_string_append (s, "# porescope alignment: the aligned image i at p' is raw image i at\n"
                      "# c + R(tilt_axis_deg)·(p' − c') + (shift_x, shift_y); pixels of the raw images\n");
  g_string_append_printf (s, "tilt_axis_deg %s\n", g_ascii_formatd (a, sizeof a, "%.4f", ts->tilt_axis_deg));
  for (size_t i = 0; i < ts->n; i++)
    g_string_append_printf (s, "%s %s %s\n", g_ascii_formatd (a, sizeof a, "%.3f", ts->angles[i]),
                            g_ascii_formatd (b, sizeof b, "%.4f", ts->shift_x[i]),
                            g_ascii_formatd (c, sizeof c, "%.4f", ts->shift_y[i]));
  return ps_write_file_atomic (path, s->str, s->len, error);
}

static gboolean
load_alignment (const char *path, PsTiltSeries *ts, GError **error)
{
  g_autofree char *text = NULL;
  g_auto(GStrv) lines = NULL;
  size_t k = 0;
  gboolean have_axis = FALSE;

  if (!g_file_get_contents (path, &text, NULL, error))
    return FALSE;
  lines = g_strsplit (text, "\n", -1);
  for (char **l = lines; *l != NULL; l++)
    {
      char *line = g_strstrip (*l), *end;
      if (line[0] == '\0' || line[0] == '#')
        continue;
      if (g_str_has_prefix (line, "tilt_axis_deg"))
        {
          ts->tilt_axis_deg = g_ascii_strtod (line + strlen ("tilt_axis_deg"), &end);
          if (!isfinite (ts->tilt_axis_deg) || *g_strstrip (end) != '\0')
            break;
          have_axis = TRUE;
          continue;
        }
      double v[3];
      char *p = line;
      int m;
      for (m = 0; m < 3; m++)
        {
          v[m] = g_ascii_strtod (p, &end);
          if (end == p || !isfinite (v[m]))
            break;
          p = end;
        }
      if (m < 3 || *g_strstrip (p) != '\0')
        {
          g_set_error (error, PS_ERROR, PS_ERROR_CODE_CORRUPT_FILE, _("%s: cannot read “%s”"), path, line);
          return FALSE;
        }
      if (k >= ts->n || fabs (v[0] - ts->angles[k]) > 0.01)
        {
          g_set_error (error, PS_ERROR, PS_ERROR_CODE_INVALID_PARAMETER,
                       _("%s: image %zu does not match the series (angle %g°)"), path, k + 1, v[0]);
          return FALSE;
        }
      ts->shift_x[k] = v[1];
      ts->shift_y[k] = v[2];
      k++;
    }
  if (!have_axis || k != ts->n)
    {
      g_set_error (error, PS_ERROR, PS_ERROR_CODE_INVALID_PARAMETER,
                   _("%s: expected tilt_axis_deg and %zu images, found %zu"), path, ts->n, k);
      return FALSE;
    }
  return TRUE;
}

static int
status_exit (PsStatus st)
{
  return st == PS_ERROR_INVALID_PARAMETER ? PS_CLI_EXIT_USAGE : PS_CLI_EXIT_FAILURE;
}

int
ps_cli_reconstruct (int argc, char **argv)
{
  g_autoptr(GOptionContext) ctx = g_option_context_new (_("TILT — reconstruct a volume from a tilt series"));
  g_autoptr(GError) error = NULL;
  g_autoptr(PsTiltSeries) ts = NULL;
  g_autoptr(PsVolume) vol = NULL;
  char why[256] = "";
  PsStatus st;
  enum { WBP, SIRT, SART } method = WBP;
  PsFilterType filter = PS_FILTER_RAMP;
  gboolean axis_auto = FALSE;
  double axis = 0.0;
  const char *input;
  gint64 t0;

  g_option_context_add_main_entries (ctx, entries, GETTEXT_PACKAGE);
  g_option_context_add_main_entries (ctx, ps_cli_common_entries, GETTEXT_PACKAGE);
  g_option_context_set_summary (ctx, _("Single tilt axis (along y unless --tilt-axis says otherwise); HAADF intensity is taken\n"
                                       "as proportional to projected density (no logarithm). The volume has the aligned\n"
                                       "images' x and y and z along the beam at 0°."));
  if (!ps_cli_parse (ctx, &argc, &argv, "reconstruct"))
    return PS_CLI_EXIT_USAGE;
  if (argc != 2)
    return ps_cli_fail (PS_CLI_EXIT_USAGE, "reconstruct", _("expected one TILT series"));
  input = argv[1];
  if (opt_output == NULL)
    return ps_cli_fail (PS_CLI_EXIT_USAGE, "reconstruct", _("-o VOLUME is required"));
  if (opt_method != NULL)
    {
      if (g_strcmp0 (opt_method, "wbp") == 0 || g_strcmp0 (opt_method, "fbp") == 0)
        method = WBP;
      else if (g_strcmp0 (opt_method, "sirt") == 0)
        method = SIRT;
      else if (g_strcmp0 (opt_method, "sart") == 0)
        method = SART;
      else
        return ps_cli_fail (PS_CLI_EXIT_USAGE, "reconstruct", _("--method must be wbp, sirt or sart, not “%s”"), opt_method);
    }
  if (opt_filter != NULL && !ps_filter_type_from_string (opt_filter, &filter))
    return ps_cli_fail (PS_CLI_EXIT_USAGE, "reconstruct",
                        _("--filter must be ramp, shepp-logan, cosine or hann, not “%s”"), opt_filter);
  if (opt_thickness < 0)
    return ps_cli_fail (PS_CLI_EXIT_USAGE, "reconstruct", _("--thickness must be positive"));
  if (opt_iterations < 0)
    return ps_cli_fail (PS_CLI_EXIT_USAGE, "reconstruct", _("--iterations must be positive"));
  if (opt_tilt_axis != NULL)
    {
      if (g_strcmp0 (opt_tilt_axis, "auto") == 0)
        axis_auto = TRUE;
      else
        {
          char *end = NULL;
          axis = g_ascii_strtod (opt_tilt_axis, &end);
          if (end == opt_tilt_axis || *end != '\0' || !isfinite (axis))
            return ps_cli_fail (PS_CLI_EXIT_USAGE, "reconstruct", _("--tilt-axis must be a number of degrees or “auto”, not “%s”"),
                                opt_tilt_axis);
        }
    }

  ts = ps_tilt_series_load (input, opt_angles, ps_cli_progress_begin (_("Reading")), &error);
  ps_cli_progress_end ();
  if (ts == NULL)
    return ps_cli_fail_error (ps_cli_input_error_code (error), error);
  ts->tilt_axis_deg = axis;
  if (opt_alignment_in != NULL)
    {
      if (opt_align || opt_tilt_axis != NULL)
        return ps_cli_fail (PS_CLI_EXIT_USAGE, "reconstruct", _("--alignment replaces --align and --tilt-axis"));
      if (!load_alignment (opt_alignment_in, ts, &error))
        return ps_cli_fail_error (ps_cli_input_error_code (error), error);
    }
  if ((st = ps_recon_check_series (ts, why, sizeof why)) != PS_OK)
    return ps_cli_fail (status_exit (st), input, "%s", why);

  if (opt_align || axis_auto)
    {
      PsAlignParams ap;
      PsAlignResult ar;
      ps_align_params_init (&ap);
      ap.shifts = opt_align;
      ap.axis_offset = opt_align;
      ap.axis_angle = axis_auto;
      ap.n_threads = ps_cli_threads;
      st = ps_align_run (&ap, ts, &ar, ps_cli_progress_begin (_("Aligning")), why, sizeof why);
      ps_cli_progress_end ();
      if (st != PS_OK)
        return ps_cli_fail (status_exit (st), input, "%s", why[0] ? why : ps_status_to_string (st));
      g_autofree char *a = fmt (ar.tilt_axis_deg, "%.2f"), *o = fmt (ar.axis_offset_px, "%.2f");
      g_autofree char *m = fmt (ar.max_shift_px, "%.2f"), *r = fmt (ar.rms_shift_px, "%.2f");
      g_autofree char *r0 = fmt (ar.residual_before, "%.4f"), *r1 = fmt (ar.residual_after, "%.4f");
      /* Reported even with --quiet: it is the result of a search. */
      g_printerr (_("alignment: tilt axis %s° (%s), axis offset %s px, shifts max %s px / rms %s px, "
                    "consistency residual %s → %s (bin %d)\n"),
                  a, axis_auto ? _("searched") : _("given"), o, m, r, r0, r1, ar.bin);
    }

  if (opt_alignment_out != NULL && !save_alignment (opt_alignment_out, ts, &error))
    return ps_cli_fail_error (PS_CLI_EXIT_FAILURE, error);

  t0 = g_get_monotonic_time ();
  struct timespec c0, c1;
  clock_gettime (CLOCK_PROCESS_CPUTIME_ID, &c0);
  if (method == WBP)
    {
      PsWbpParams wp;
      ps_wbp_params_init (&wp);
      wp.filter = filter;
      wp.cutoff = opt_cutoff;
      wp.thickness = (size_t) opt_thickness;
      wp.n_threads = ps_cli_threads;
      st = ps_wbp_run (&wp, ts, &vol, ps_cli_progress_begin (_("WBP")), why, sizeof why);
    }
  else
    {
      PsSirtParams sp;
      ps_sirt_params_init (&sp, method == SART ? PS_ITERATIVE_SART : PS_ITERATIVE_SIRT);
      sp.iterations = opt_iterations;
      sp.relaxation = opt_relaxation;
      sp.subsets = opt_subsets;
      sp.nonnegative = !opt_no_positivity;
      sp.thickness = (size_t) opt_thickness;
      sp.n_threads = ps_cli_threads;
      st = ps_sirt_run (&sp, ts, &vol, NULL, ps_cli_progress_begin (method == SART ? "SART" : "SIRT"), why, sizeof why);
    }
  ps_cli_progress_end ();
  if (st != PS_OK)
    return ps_cli_fail (status_exit (st), input, "%s", why[0] ? why : ps_status_to_string (st));
  {
    clock_gettime (CLOCK_PROCESS_CPUTIME_ID, &c1);
    g_autofree char *secs = fmt ((g_get_monotonic_time () - t0) / 1e6, "%.3f");
    g_autofree char *cpu = fmt ((double) (c1.tv_sec - c0.tv_sec) + 1e-9 * (double) (c1.tv_nsec - c0.tv_nsec), "%.3f");
    ps_cli_message (_("%s: %zu × %zu × %zu volume in %s s (CPU time %s s)"), opt_output, vol->nx, vol->ny, vol->nz,
                    secs, cpu);
  }

  if (opt_reprojection)
    {
      double e;
      st = ps_reprojection_error (vol, ts, ps_cli_threads, &e, ps_cli_progress_begin (_("Reprojecting")), why, sizeof why);
      ps_cli_progress_end ();
      if (st != PS_OK)
        return ps_cli_fail (PS_CLI_EXIT_FAILURE, input, "%s", why[0] ? why : ps_status_to_string (st));
      g_autofree char *s = fmt (e, "%.6f");
      g_print ("reprojection_error %s\n", s);
    }

  if (!ps_volume_save (vol, opt_output, NULL, ps_cli_progress_begin (_("Writing")), &error))
    {
      ps_cli_progress_end ();
      return ps_cli_fail_error (error->domain == PS_ERROR && error->code == PS_ERROR_CODE_INVALID_PARAMETER
                                  ? PS_CLI_EXIT_USAGE : PS_CLI_EXIT_FAILURE, error);
    }
  ps_cli_progress_end ();
  return PS_CLI_EXIT_OK;
}
