/* SPDX-License-Identifier: GPL-3.0-or-later */
/* porescope-cli phantom OUTDIR: the hard-carbon test particle (also the
 * app's demo dataset) with its truth and a simulated HAADF tilt series.
 *
 * Writes OUTDIR/volume.tif (float32 density, carbon ≈ 1), pores.tif (uint32
 * truth labels), tilt.tif (float32 images), tilt.tlt and truth.json. */
#define G_LOG_DOMAIN "porescope-cli"

#include "config.h"

#include <errno.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <string.h>
#include <json-glib/json-glib.h>

#include "ps-atomic-file.h"
#include "ps-cli-commands.h"
#include "ps-cli-common.h"
#include "ps-error.h"
#include "ps-phantom.h"
#include "ps-volume-io.h"

static int opt_size = 128;
static double opt_voxel = 0.5;
static double opt_porosity = 0.39;
static double opt_diameter = 2.5;
static double opt_sigma = 0.3;
static double opt_touching = 0.04;
static double opt_open = 0.15;
static double opt_texture = 0.06;
static gint64 opt_seed = 1;
static char *opt_tilt;
static double opt_dose = PS_PHANTOM_DEFAULT_DOSE;

static const GOptionEntry entries[] = {
  { "size", 0, 0, G_OPTION_ARG_INT, &opt_size, N_("Edge of the cubic volume in voxels (default 128)"), N_("N") },
  { "voxel", 0, 0, G_OPTION_ARG_DOUBLE, &opt_voxel, N_("Voxel size in nm (default 0.5)"), N_("NM") },
  { "porosity", 0, 0, G_OPTION_ARG_DOUBLE, &opt_porosity, N_("Pore volume / particle volume (default 0.39)"), N_("F") },
  { "pore-diameter", 0, 0, G_OPTION_ARG_DOUBLE, &opt_diameter, N_("Mean equivalent pore diameter in nm (default 2.5)"), N_("NM") },
  { "pore-sigma", 0, 0, G_OPTION_ARG_DOUBLE, &opt_sigma, N_("σ of the log-normal cell size (default 0.3)"), N_("S") },
  { "touching", 0, 0, G_OPTION_ARG_DOUBLE, &opt_touching, N_("Fraction of neighbouring pores joined by a neck (default 0.04)"), N_("F") },
  { "open-fraction", 0, 0, G_OPTION_ARG_DOUBLE, &opt_open, N_("Fraction of surface pores open to the outside (default 0.15)"), N_("F") },
  { "texture", 0, 0, G_OPTION_ARG_DOUBLE, &opt_texture, N_("Relative texture of the carbon (default 0.06)"), N_("F") },
  { "seed", 0, 0, G_OPTION_ARG_INT64, &opt_seed, N_("Random seed (default 1)"), N_("S") },
  { "tilt", 0, 0, G_OPTION_ARG_STRING, &opt_tilt, N_("Tilt angles: START:STOP:STEP or a .tlt file (default -75:75:2)"), N_("A:B:S") },
  { "dose", 0, 0, G_OPTION_ARG_DOUBLE, &opt_dose, N_("Electrons per nm² per image; 0 = noise-free (default 10000)"), N_("D") },
  { NULL }
};

static void
add_double (JsonBuilder *b, const char *name, double v)
{
  json_builder_set_member_name (b, name);
  json_builder_add_double_value (b, v);
}

static void
add_int (JsonBuilder *b, const char *name, gint64 v)
{
  json_builder_set_member_name (b, name);
  json_builder_add_int_value (b, v);
}

static void
add_string (JsonBuilder *b, const char *name, const char *v)
{
  json_builder_set_member_name (b, name);
  json_builder_add_string_value (b, v);
}

static char *
truth_json (const PsPhantomParams *p, const PsPhantomTruth *t, const PsTiltSimParams *sim,
            const char *tilt_spec)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonGenerator) gen = json_generator_new ();
  g_autoptr(JsonNode) root = NULL;

  json_builder_begin_object (b);
  add_string (b, "generator", "porescope-cli phantom");
  add_string (b, "version", PACKAGE_VERSION);

  json_builder_set_member_name (b, "parameters");
  json_builder_begin_object (b);
  add_int (b, "size", (gint64) p->size);
  add_double (b, "voxel_size_nm", p->voxel_nm);
  add_double (b, "porosity_target", p->porosity);
  add_double (b, "pore_diameter_mean_nm", p->pore_diameter_nm);
  add_double (b, "pore_size_sigma_ln", p->pore_diameter_sigma);
  add_double (b, "particle_fraction", p->particle_fraction);
  add_double (b, "touching", p->touching);
  add_double (b, "open_fraction", p->open_fraction);
  add_double (b, "texture", p->texture);
  add_double (b, "texture_length_nm", p->texture_nm);
  add_int (b, "seed", (gint64) p->seed);
  add_string (b, "tilt", tilt_spec);
  add_int (b, "tilt_images", (gint64) sim->n_angles);
  add_double (b, "dose_e_per_nm2_per_image", sim->dose);
  add_double (b, "haadf_length_nm", sim->haadf_length_nm);
  json_builder_end_object (b);

  add_string (b, "porosity_definition",
              "pore voxels / particle voxels, where the particle is every voxel whose centre lies within "
              "particle_radius_nm of particle_center_nm (porosity_box: pore voxels / all voxels)");
  add_double (b, "porosity", t->porosity);
  add_double (b, "closed_porosity", t->closed_porosity);
  add_double (b, "open_porosity", t->open_porosity);
  add_double (b, "porosity_box", t->porosity_box);
  add_double (b, "particle_radius_nm", t->particle_radius_nm);
  json_builder_set_member_name (b, "particle_center_nm");
  json_builder_begin_array (b);
  for (int i = 0; i < 3; i++)
    json_builder_add_double_value (b, t->particle_center_nm[i]);
  json_builder_end_array (b);
  add_int (b, "particle_voxels", (gint64) t->particle_voxels);
  add_int (b, "pore_voxels", (gint64) t->pore_voxels);
  add_int (b, "pore_count", t->pore_count);
  add_string (b, "open_definition",
              "a pore is open when its voxels connect (6-connectivity, through pore voxels) to a voxel "
              "outside the particle or to a face of the volume; otherwise closed");
  add_int (b, "closed_count", t->closed_count);
  add_int (b, "open_count", t->open_count);
  add_int (b, "touching_pairs", (gint64) t->touching_pairs);
  add_int (b, "touching_pores", t->touching_pores);
  add_string (b, "eqdiam_definition", "equivalent diameter (6 V / π)^(1/3), V = voxels × voxel³");
  add_double (b, "pore_eqdiam_mean_nm", t->eqdiam_mean_nm);
  add_double (b, "pore_eqdiam_median_nm", t->eqdiam_median_nm);
  add_double (b, "pore_eqdiam_sd_nm", t->eqdiam_sd_nm);
  add_double (b, "wall_thickness_nm", t->wall_thickness_nm);
  add_int (b, "foam_cells", (gint64) t->seeds);
  add_string (b, "volume_units", "carbon density (carbon = 1 ± texture, vacuum = 0), partial volumes at surfaces");
  add_string (b, "tilt_units", sim->dose > 0 ? "detected HAADF counts per pixel (Poisson)"
                                             : "projected carbon thickness in nm (noise-free)");
  add_string (b, "tilt_geometry", "single tilt axis along the image y axis through the image centre");
  json_builder_set_member_name (b, "files");
  json_builder_begin_object (b);
  add_string (b, "volume", "volume.tif");
  add_string (b, "pores", "pores.tif");
  add_string (b, "tilt_series", "tilt.tif");
  add_string (b, "tilt_angles", "tilt.tlt");
  json_builder_end_object (b);
  json_builder_end_object (b);

  root = json_builder_get_root (b);
  json_generator_set_root (gen, root);
  json_generator_set_pretty (gen, TRUE);
  return json_generator_to_data (gen, NULL);
}

int
ps_cli_phantom (int argc, char **argv)
{
  g_autoptr(GOptionContext) ctx = g_option_context_new (_("OUTDIR — generate the hard-carbon test particle"));
  g_autoptr(GError) error = NULL;
  g_autoptr(PsVolume) vol = NULL;
  g_autoptr(PsLabels) pores = NULL;
  g_autoptr(PsTiltSeries) ts = NULL;
  g_autofree double *angles = NULL;
  g_autofree char *json = NULL;
  g_autofree char *p_vol = NULL, *p_pores = NULL, *p_tilt = NULL, *p_tlt = NULL, *p_truth = NULL;
  PsPhantomParams params;
  PsPhantomTruth truth;
  PsTiltSimParams sim;
  gsize n_angles = 0;
  char why[256] = "";
  const char *outdir, *tilt_spec;
  PsStatus st;

  g_option_context_add_main_entries (ctx, entries, GETTEXT_PACKAGE);
  g_option_context_add_main_entries (ctx, ps_cli_common_entries, GETTEXT_PACKAGE);
  g_option_context_set_summary (ctx, _("A carbon sphere filling most of the box with closed, log-normal foam pores; writes\n"
                                       "volume.tif, pores.tif (truth labels), tilt.tif, tilt.tlt and truth.json.\n"
                                       "Porosity is relative to the particle, not the box (truth.json says so)."));
  if (!ps_cli_parse (ctx, &argc, &argv, "phantom"))
    return PS_CLI_EXIT_USAGE;
  if (argc != 2)
    return ps_cli_fail (PS_CLI_EXIT_USAGE, "phantom", _("expected one OUTDIR"));
  outdir = argv[1];
  tilt_spec = opt_tilt ? opt_tilt : "-75:75:2";
  if (opt_size < 8 || opt_size > 4096)
    return ps_cli_fail (PS_CLI_EXIT_USAGE, "phantom", _("--size must lie in 8…4096, not %d"), opt_size);
  if (opt_seed < 0)
    return ps_cli_fail (PS_CLI_EXIT_USAGE, "phantom", _("--seed must not be negative"));

  ps_phantom_params_init (&params);
  params.size = (size_t) opt_size;
  params.voxel_nm = opt_voxel;
  params.porosity = opt_porosity;
  params.pore_diameter_nm = opt_diameter;
  params.pore_diameter_sigma = opt_sigma;
  params.touching = opt_touching;
  params.open_fraction = opt_open;
  params.texture = opt_texture;
  params.seed = (uint64_t) opt_seed;
  params.n_threads = ps_cli_threads;
  if ((st = ps_phantom_validate (&params, why, sizeof why)) != PS_OK)
    return ps_cli_fail (st == PS_ERROR_TOO_LARGE ? PS_CLI_EXIT_FAILURE : PS_CLI_EXIT_USAGE, "phantom", "%s", why);

  angles = ps_angles_from_spec (tilt_spec, &n_angles, &error);
  if (angles == NULL)
    return ps_cli_fail_error (PS_CLI_EXIT_USAGE, error);
  ps_tilt_sim_params_init (&sim);
  sim.angles = angles;
  sim.n_angles = n_angles;
  sim.dose = opt_dose;
  sim.seed = (uint64_t) opt_seed;
  sim.n_threads = ps_cli_threads;
  if (!(opt_dose >= 0.0))
    return ps_cli_fail (PS_CLI_EXIT_USAGE, "phantom", _("--dose must be ≥ 0"));

  if (g_mkdir_with_parents (outdir, 0777) != 0)
    return ps_cli_fail (PS_CLI_EXIT_FAILURE, outdir, "%s", g_strerror (errno));

  st = ps_phantom_generate (&params, &vol, &pores, &truth, ps_cli_progress_begin (_("Phantom")), why, sizeof why);
  ps_cli_progress_end ();
  if (st != PS_OK)
    return ps_cli_fail (PS_CLI_EXIT_FAILURE, "phantom", "%s", why[0] ? why : ps_status_to_string (st));
  st = ps_phantom_simulate_tilt (&sim, vol, &ts, ps_cli_progress_begin (_("Tilt series")), why, sizeof why);
  ps_cli_progress_end ();
  if (st != PS_OK)
    return ps_cli_fail (st == PS_ERROR_INVALID_PARAMETER ? PS_CLI_EXIT_USAGE : PS_CLI_EXIT_FAILURE, "phantom", "%s",
                        why[0] ? why : ps_status_to_string (st));

  p_vol = g_build_filename (outdir, "volume.tif", NULL);
  p_pores = g_build_filename (outdir, "pores.tif", NULL);
  p_tilt = g_build_filename (outdir, "tilt.tif", NULL);
  p_tlt = g_build_filename (outdir, "tilt.tlt", NULL);
  p_truth = g_build_filename (outdir, "truth.json", NULL);
  if (!ps_volume_save (vol, p_vol, NULL, NULL, &error) || !ps_labels_save (pores, p_pores, &error) ||
      !ps_tilt_series_save (ts, p_tilt, p_tlt, &error))
    return ps_cli_fail_error (PS_CLI_EXIT_FAILURE, error);
  json = truth_json (&params, &truth, &sim, tilt_spec);
  if (!ps_write_file_atomic (p_truth, json, strlen (json), &error))
    return ps_cli_fail_error (PS_CLI_EXIT_FAILURE, error);

  {
    char a[G_ASCII_DTOSTR_BUF_SIZE], d[G_ASCII_DTOSTR_BUF_SIZE];
    ps_cli_message (_("%s: %zu³ voxels of %s nm, porosity %s, %u pores (%u closed, %u open), %zu tilts"),
                    outdir, params.size, g_ascii_formatd (d, sizeof d, "%g", params.voxel_nm),
                    g_ascii_formatd (a, sizeof a, "%.4f", truth.porosity), truth.pore_count, truth.closed_count,
                    truth.open_count, n_angles);
  }
  return PS_CLI_EXIT_OK;
}
