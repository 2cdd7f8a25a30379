/* SPDX-License-Identifier: GPL-3.0-or-later */
/* porescope-cli info FILE: what a file holds, as Porescope reads it. */
#define G_LOG_DOMAIN "porescope-cli"

#include "config.h"

#include <glib/gi18n.h>
#include <json-glib/json-glib.h>
#include <math.h>

#include "ps-cli-commands.h"
#include "ps-cli-common.h"
#include "ps-memory.h"
#include "ps-stats.h"
#include "ps-volume-io.h"

static gboolean opt_json;

static const GOptionEntry entries[] = {
  { "json", 0, 0, G_OPTION_ARG_NONE, &opt_json, N_("Print the facts as JSON"), NULL },
  { NULL }
};

static char *
fmt_num (double v)
{
  char buf[G_ASCII_DTOSTR_BUF_SIZE];
  if (!isfinite (v))
    return g_strdup ("nan");
  /* %.6g: enough for a person, and locale-independent. */
  return g_strdup (g_ascii_formatd (buf, sizeof buf, "%.6g", v));
}

static void
print_text (const char *path, const PsFileInfo *info, const PsVolume *vol, const PsStats *st)
{
  char b1[32], b2[32], b3[32];
  g_autofree char *dx = fmt_num (info->spacing[0]), *dy = fmt_num (info->spacing[1]), *dz = fmt_num (info->spacing[2]);
  g_autofree char *mn = fmt_num (st->min), *mx = fmt_num (st->max), *me = fmt_num (st->mean), *sd = fmt_num (st->sd);
  guint64 mem = (guint64) ps_volume_n_voxels (vol) * sizeof (float);

  g_print ("%-12s %s\n", _("File:"), path);
  g_print ("%-12s %s (%s)\n", _("Format:"), info->format_name, info->details ? info->details : "");
  g_print ("%-12s %zu × %zu × %zu (x, y, z)\n", _("Dimensions:"), vol->nx, vol->ny, vol->nz);
  g_print ("%-12s %s\n", _("Type:"), ps_dtype_to_string (info->dtype));
  if (info->spacing_known)
    g_print ("%-12s %s × %s × %s nm — %s\n", _("Voxel size:"), dx, dy, dz, info->spacing_source);
  else
    g_print ("%-12s %s (%s)\n", _("Voxel size:"), _("unknown, 1 nm assumed"), info->spacing_source);
  g_print ("%-12s %s × %s × %s nm\n", _("Extent:"),
           g_ascii_formatd (b1, sizeof b1, "%.4g", vol->nx * vol->spacing[0]),
           g_ascii_formatd (b2, sizeof b2, "%.4g", vol->ny * vol->spacing[1]),
           g_ascii_formatd (b3, sizeof b3, "%.4g", vol->nz * vol->spacing[2]));
  g_print ("%-12s min %s, max %s, mean %s, sd %s\n", _("Values:"), mn, mx, me, sd);
  if (st->n_nonfinite > 0)
    g_print ("%-12s %" G_GUINT64_FORMAT " %s\n", "", st->n_nonfinite, _("voxels are NaN or infinite"));
  g_print ("%-12s %s %" G_GUINT64_FORMAT " (%s), %s %s\n", _("Bytes:"), _("file"), info->file_size,
           ps_format_bytes (info->file_size, b1, sizeof b1), info->mapped ? _("mapped from the file") : _("in memory"),
           ps_format_bytes (mem, b2, sizeof b2));
  if (info->angles != NULL)
    {
      g_autofree char *a0 = fmt_num (info->angles[0]), *a1 = fmt_num (info->angles[info->n_angles - 1]);
      g_print ("%-12s %zu, %s° … %s°\n", _("Tilt angles:"), info->n_angles, a0, a1);
    }
  for (guint i = 0; i < info->notes->len; i++)
    g_print ("%-12s %s\n", i == 0 ? _("Notes:") : "", (const char *) g_ptr_array_index (info->notes, i));
}

static void
print_json (const char *path, const PsFileInfo *info, const PsVolume *vol, const PsStats *st)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonGenerator) gen = json_generator_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *text = NULL;

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "file");
  json_builder_add_string_value (b, path);
  json_builder_set_member_name (b, "format");
  json_builder_add_string_value (b, info->format_name);
  json_builder_set_member_name (b, "details");
  json_builder_add_string_value (b, info->details ? info->details : "");
  json_builder_set_member_name (b, "dimensions");
  json_builder_begin_array (b);
  json_builder_add_int_value (b, (gint64) vol->nx);
  json_builder_add_int_value (b, (gint64) vol->ny);
  json_builder_add_int_value (b, (gint64) vol->nz);
  json_builder_end_array (b);
  json_builder_set_member_name (b, "dtype");
  json_builder_add_string_value (b, ps_dtype_to_string (info->dtype));
  json_builder_set_member_name (b, "voxel_size_nm");
  json_builder_begin_array (b);
  for (int i = 0; i < 3; i++)
    json_builder_add_double_value (b, info->spacing[i]);
  json_builder_end_array (b);
  json_builder_set_member_name (b, "voxel_size_known");
  json_builder_add_boolean_value (b, info->spacing_known);
  json_builder_set_member_name (b, "voxel_size_source");
  json_builder_add_string_value (b, info->spacing_source ? info->spacing_source : "");
  json_builder_set_member_name (b, "min");
  json_builder_add_double_value (b, isfinite (st->min) ? st->min : 0);
  json_builder_set_member_name (b, "max");
  json_builder_add_double_value (b, isfinite (st->max) ? st->max : 0);
  json_builder_set_member_name (b, "mean");
  json_builder_add_double_value (b, isfinite (st->mean) ? st->mean : 0);
  json_builder_set_member_name (b, "sd");
  json_builder_add_double_value (b, isfinite (st->sd) ? st->sd : 0);
  json_builder_set_member_name (b, "nonfinite_voxels");
  json_builder_add_int_value (b, (gint64) st->n_nonfinite);
  json_builder_set_member_name (b, "file_bytes");
  json_builder_add_int_value (b, (gint64) info->file_size);
  json_builder_set_member_name (b, "memory_bytes");
  json_builder_add_int_value (b, (gint64) (ps_volume_n_voxels (vol) * sizeof (float)));
  if (info->angles != NULL)
    {
      json_builder_set_member_name (b, "tilt_angles");
      json_builder_begin_array (b);
      for (gsize i = 0; i < info->n_angles; i++)
        json_builder_add_double_value (b, info->angles[i]);
      json_builder_end_array (b);
    }
  json_builder_set_member_name (b, "notes");
  json_builder_begin_array (b);
  for (guint i = 0; i < info->notes->len; i++)
    json_builder_add_string_value (b, g_ptr_array_index (info->notes, i));
  json_builder_end_array (b);
  json_builder_end_object (b);
  root = json_builder_get_root (b);
  json_generator_set_root (gen, root);
  json_generator_set_pretty (gen, TRUE);
  text = json_generator_to_data (gen, NULL);
  g_print ("%s\n", text);
}

int
ps_cli_info (int argc, char **argv)
{
  g_autoptr(GOptionContext) ctx = g_option_context_new (_("FILE — describe a volume or tilt series"));
  g_autoptr(GError) error = NULL;
  g_autoptr(PsFileInfo) info = NULL;
  g_autoptr(PsVolume) vol = NULL;
  PsStats st;

  g_option_context_add_main_entries (ctx, entries, GETTEXT_PACKAGE);
  g_option_context_add_main_entries (ctx, ps_cli_common_entries, GETTEXT_PACKAGE);
  g_option_context_set_summary (ctx, _("Prints dimensions, sample type, voxel size (nm), value statistics and sizes."));
  if (!ps_cli_parse (ctx, &argc, &argv, "info"))
    return PS_CLI_EXIT_USAGE;
  if (argc != 2)
    return ps_cli_fail (PS_CLI_EXIT_USAGE, "info", _("expected exactly one FILE"));

  vol = ps_volume_load (argv[1], &info, ps_cli_progress_begin (_("Reading")), &error);
  ps_cli_progress_end ();
  if (vol == NULL)
    return ps_cli_fail_error (ps_cli_input_error_code (error), error);
  ps_stats_volume (vol, NULL, &st);
  if (opt_json)
    print_json (argv[1], info, vol, &st);
  else
    print_text (argv[1], info, vol, &st);
  return PS_CLI_EXIT_OK;
}
