/* SPDX-License-Identifier: GPL-3.0-or-later */
/* porescope-cli crop VOLUME --subvolume …|--subvolume-center … -o OUT
 *
 * Cuts a subvolume (SPEC.md: nm by default, voxels with a "vox" suffix;
 * sizes round to whole voxels, a centred box starts at ⌊(n − s)/2⌋) and
 * reports the exact extent used, in voxels and nm. The output format follows
 * OUT's extension; integer sample types are kept exactly. */
#define G_LOG_DOMAIN "porescope-cli"

#include "config.h"

#include <glib/gi18n.h>
#include <stdio.h>

#include "ps-cli-commands.h"
#include "ps-cli-common.h"
#include "ps-cli-subvolume.h"
#include "ps-error.h"
#include "ps-strtod.h"
#include "ps-subvolume.h"
#include "ps-volume-io.h"

gboolean
ps_cli_subvolume_resolve (const char *command, const char *subvolume, const char *centre,
                          const PsVolume *vol, PsBox *box)
{
  PsSubvolumeSpec spec;
  char why[256];

  if (subvolume != NULL && centre != NULL)
    {
      ps_cli_fail (PS_CLI_EXIT_USAGE, command, _("give --subvolume or --subvolume-center, not both"));
      return FALSE;
    }
  if (subvolume == NULL && centre == NULL)
    {
      *box = ps_box_full (vol->nx, vol->ny, vol->nz);
      return TRUE;
    }
  if (!ps_subvolume_parse (subvolume ? subvolume : centre, centre != NULL, &spec, why, sizeof why))
    {
      ps_cli_fail (PS_CLI_EXIT_USAGE, command, "%s", why);
      return FALSE;
    }
  if (!ps_subvolume_resolve (&spec, vol->nx, vol->ny, vol->nz, vol->spacing, box, why, sizeof why))
    {
      ps_cli_fail (PS_CLI_EXIT_USAGE, command, "%s", why);
      return FALSE;
    }
  return TRUE;
}

char *
ps_cli_subvolume_describe (const PsBox *box, const double spacing[3])
{
  char o[3][40], s[3][40];
  const size_t org[3] = { box->x0, box->y0, box->z0 }, size[3] = { box->nx, box->ny, box->nz };
  for (int a = 0; a < 3; a++)
    {
      ps_ascii_dtostr (o[a], sizeof o[a], (double) org[a] * spacing[a]);
      ps_ascii_dtostr (s[a], sizeof s[a], (double) size[a] * spacing[a]);
    }
  return g_strdup_printf ("origin %zu,%zu,%zu voxels = %s,%s,%s nm; size %zux%zux%zu voxels = %sx%sx%s nm",
                          org[0], org[1], org[2], o[0], o[1], o[2], size[0], size[1], size[2],
                          s[0], s[1], s[2]);
}

static char *opt_subvolume;
static char *opt_centre;
static char *opt_output;

static const GOptionEntry entries[] = {
  { "subvolume", 0, 0, G_OPTION_ARG_STRING, &opt_subvolume,
    N_("Origin and size, nm (or voxels with a “vox” suffix): X,Y,Z:SXxSYxSZ"), N_("BOX") },
  { "subvolume-center", 0, 0, G_OPTION_ARG_STRING, &opt_centre,
    N_("A centred box of this size: SXxSYxSZ (nm, or voxels with “vox”)"), N_("SIZE") },
  { "output", 'o', 0, G_OPTION_ARG_FILENAME, &opt_output, N_("The cropped volume (.tif or .mrc)"), N_("OUT") },
  { NULL }
};

int
ps_cli_crop (int argc, char **argv)
{
  g_autoptr(GOptionContext) ctx = g_option_context_new (_("VOLUME — cut a subvolume"));
  g_autoptr(GError) error = NULL;
  g_autoptr(PsFileInfo) info = NULL;
  g_autoptr(PsVolume) vol = NULL;
  g_autoptr(PsVolume) out = NULL;
  PsBox box;
  PsStatus st;

  g_option_context_add_main_entries (ctx, entries, GETTEXT_PACKAGE);
  g_option_context_add_main_entries (ctx, ps_cli_common_entries, GETTEXT_PACKAGE);
  g_option_context_set_summary (ctx, _("Sizes round to whole voxels; the exact extent used is printed.\n"
                                       "Examples: --subvolume 10,12,8:23.9x29.6x33.1   "
                                       "--subvolume 0,0,0vox:64x64x64vox   --subvolume-center 50x50x50"));
  if (!ps_cli_parse (ctx, &argc, &argv, "crop"))
    return PS_CLI_EXIT_USAGE;
  if (argc != 2)
    return ps_cli_fail (PS_CLI_EXIT_USAGE, "crop", _("expected one VOLUME"));
  if (opt_output == NULL)
    return ps_cli_fail (PS_CLI_EXIT_USAGE, "crop", _("-o OUT is required"));
  if (opt_subvolume == NULL && opt_centre == NULL)
    return ps_cli_fail (PS_CLI_EXIT_USAGE, "crop", _("--subvolume or --subvolume-center is required"));

  vol = ps_volume_load (argv[1], &info, ps_cli_progress_begin (_("Reading")), &error);
  ps_cli_progress_end ();
  if (vol == NULL)
    return ps_cli_fail_error (ps_cli_input_error_code (error), error);
  if (!ps_cli_subvolume_resolve ("crop", opt_subvolume, opt_centre, vol, &box))
    return PS_CLI_EXIT_USAGE;

  out = ps_volume_crop (vol, &box, &st);
  if (out == NULL)
    return ps_cli_fail (PS_CLI_EXIT_FAILURE, argv[1], "%s", ps_status_to_string (st));
  out->spacing_known = vol->spacing_known;

  /* Keep integer sample types exactly; anything else is written as float32. */
  PsSaveOptions opts = { PS_DTYPE_F32, FALSE, FALSE };
  if (info != NULL && (info->dtype == PS_DTYPE_U8 || info->dtype == PS_DTYPE_U16 || info->dtype == PS_DTYPE_I16))
    opts.dtype = info->dtype;
  if (!ps_volume_save (out, opt_output, &opts, ps_cli_progress_begin (_("Writing")), &error))
    {
      ps_cli_progress_end ();
      return ps_cli_fail_error (PS_CLI_EXIT_FAILURE, error);
    }
  ps_cli_progress_end ();
  if (!ps_cli_quiet)
    {
      g_autofree char *d = ps_cli_subvolume_describe (&box, vol->spacing);
      printf ("%s: %s\n", opt_output, d);
    }
  return PS_CLI_EXIT_OK;
}
