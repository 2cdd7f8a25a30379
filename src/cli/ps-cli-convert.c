/* SPDX-License-Identifier: GPL-3.0-or-later */
/* porescope-cli convert IN OUT [--dtype u8|u16|f32] [--swap-yz]
 *
 * TIFF ⇄ MRC (and DM3/DM4 → either). The output format follows OUT's name.
 * Integer output types: values that are already whole numbers within the
 * type's range are copied exactly; otherwise [min, max] is mapped linearly
 * onto the type's range, and the command says so. */
#define G_LOG_DOMAIN "porescope-cli"

#include "config.h"

#include <inttypes.h>

#include <glib/gi18n.h>

#include "ps-cli-commands.h"
#include "ps-cli-common.h"
#include "ps-io-private.h"
#include "ps-error.h"
#include "ps-volume-io.h"

static char *opt_dtype;
static gboolean opt_swap_yz;
static gboolean opt_no_rescale;

static const GOptionEntry entries[] = {
  { "dtype", 0, 0, G_OPTION_ARG_STRING, &opt_dtype, N_("Output sample type: u8, u16 or f32 (default f32)"), N_("TYPE") },
  { "swap-yz", 0, 0, G_OPTION_ARG_NONE, &opt_swap_yz, N_("Exchange y and z (IMOD writes reconstructions as x, z, y)"), NULL },
  { "no-rescale", 0, 0, G_OPTION_ARG_NONE, &opt_no_rescale, N_("Clamp instead of rescaling values that do not fit an integer type"), NULL },
  { NULL }
};

int
ps_cli_convert (int argc, char **argv)
{
  g_autoptr(GOptionContext) ctx = g_option_context_new (_("IN OUT — convert between TIFF and MRC"));
  g_autoptr(GError) error = NULL;
  g_autoptr(PsVolume) vol = NULL;
  PsSaveOptions opts = { PS_DTYPE_F32, TRUE, FALSE };
  const char *in, *out;

  g_option_context_add_main_entries (ctx, entries, GETTEXT_PACKAGE);
  g_option_context_add_main_entries (ctx, ps_cli_common_entries, GETTEXT_PACKAGE);
  g_option_context_set_summary (ctx, _("The output format follows OUT's extension: .tif/.tiff, or .mrc/.st/.ali/.rec/.map.\n"
                                       "Integer types: exact when the values fit, else [min, max] is rescaled to the type's range."));
  if (!ps_cli_parse (ctx, &argc, &argv, "convert"))
    return PS_CLI_EXIT_USAGE;
  if (argc != 3)
    return ps_cli_fail (PS_CLI_EXIT_USAGE, "convert", _("expected IN and OUT"));
  in = argv[1];
  out = argv[2];
  if (opt_dtype != NULL)
    {
      opts.dtype = ps_dtype_from_string (opt_dtype);
      if (opts.dtype != PS_DTYPE_U8 && opts.dtype != PS_DTYPE_U16 && opts.dtype != PS_DTYPE_F32)
        return ps_cli_fail (PS_CLI_EXIT_USAGE, "convert", _("--dtype must be u8, u16 or f32, not “%s”"), opt_dtype);
    }
  opts.rescale = !opt_no_rescale;

  vol = ps_volume_load (in, NULL, ps_cli_progress_begin (_("Reading")), &error);
  ps_cli_progress_end ();
  if (vol == NULL)
    return ps_cli_fail_error (ps_cli_input_error_code (error), error);
  if (opt_swap_yz)
    {
      PsStatus st;
      PsVolume *s = ps_volume_swap_yz (vol, &st);
      if (s == NULL)
        return ps_cli_fail (PS_CLI_EXIT_FAILURE, in, "%s", ps_status_to_string (st));
      ps_volume_unref (vol);
      vol = s;
    }
  if (opts.dtype != PS_DTYPE_F32)
    {
      PsSampleMap map;
      _ps_sample_map_plan (vol, opts.dtype, opts.rescale, &map);
      if (map.rescaled)
        {
          char a[G_ASCII_DTOSTR_BUF_SIZE], b[G_ASCII_DTOSTR_BUF_SIZE];
          ps_cli_message (_("%s: values %s … %s rescaled linearly to the %s range"), out,
                          g_ascii_formatd (a, sizeof a, "%.6g", map.in_min),
                          g_ascii_formatd (b, sizeof b, "%.6g", map.in_max), ps_dtype_to_string (opts.dtype));
        }
      if (map.n_clamped > 0)
        ps_cli_message (_("%s: %" PRIu64 " values outside the %s range were clamped"), out,
                        map.n_clamped, ps_dtype_to_string (opts.dtype));
      if (map.n_nonfinite > 0)
        ps_cli_message (_("%s: %" PRIu64 " NaN/infinite values were written as 0"), out, map.n_nonfinite);
    }
  if (!ps_volume_save (vol, out, &opts, ps_cli_progress_begin (_("Writing")), &error))
    {
      ps_cli_progress_end ();
      /* A bad OUT name or type is a usage error; a failing disk is not. */
      return ps_cli_fail_error (error->domain == PS_ERROR && error->code == PS_ERROR_CODE_INVALID_PARAMETER
                                  ? PS_CLI_EXIT_USAGE : PS_CLI_EXIT_FAILURE, error);
    }
  ps_cli_progress_end ();
  return PS_CLI_EXIT_OK;
}
