/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "porescope-io"

#include "config.h"

#include "ps-analysis-io.h"

#include <errno.h>
#include <fcntl.h>
#include <gio/gio.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <math.h>
#include <string.h>
#include <unistd.h>

#include "ps-atomic-file.h"
#include "ps-error.h"
#include "ps-strtod.h"
#include "ps-volume-io.h"

const char *const ps_analysis_file_names[] = {
  "pores.tif", "carbon.tif", "pores.csv", "carbon.csv", "network_nodes.csv", "network_throats.csv",
  "histogram_pores.csv", "histogram_carbon.csv", "porosity_vs_threshold.csv", "summary.json", NULL,
};

/* ---- CSV ----------------------------------------------------------------- */

static void
csv_num (GString *s, double v)
{
  char buf[64];
  if (isnan (v))
    return;                       /* empty field */
  if (isinf (v))
    g_string_append (s, v > 0 ? "inf" : "-inf");
  else
    g_string_append (s, ps_ascii_dtostr (buf, sizeof buf, v));
}

static void
csv_uint (GString *s, guint64 v)
{
  g_string_append_printf (s, "%" G_GUINT64_FORMAT, v);
}

#define SEP(s) g_string_append_c ((s), ',')
#define EOL(s) g_string_append ((s), "\r\n")

static const PsAnalysisPhase *
phase_of (const PsAnalysisResult *r, PsAnalysisPhaseId id)
{
  return id == PS_ANALYSIS_PHASE_PORES ? &r->pores : &r->carbon;
}

char *
ps_analysis_format_objects_csv (const PsAnalysisResult *r, PsAnalysisPhaseId id)
{
  const PsObjectTable *t = phase_of (r, id)->objects;
  GString *s = g_string_new ("label,voxels,volume_nm3,equivalent_diameter_nm,inscribed_diameter_nm,"
                             "surface_area_nm2,sphericity,centroid_x_nm,centroid_y_nm,centroid_z_nm,"
                             "bbox_x0,bbox_y0,bbox_z0,bbox_x1,bbox_y1,bbox_z1,touches_border,open,"
                             "mean_intensity\r\n");
  for (size_t i = 0; t != NULL && i < t->n_objects; i++)
    {
      const PsObjectStats *o = &t->objects[i];
      if (o->voxels == 0)
        continue;
      csv_uint (s, o->label), SEP (s);
      csv_uint (s, o->voxels), SEP (s);
      csv_num (s, o->volume_nm3), SEP (s);
      csv_num (s, o->equivalent_diameter_nm), SEP (s);
      csv_num (s, o->inscribed_diameter_nm), SEP (s);
      csv_num (s, o->surface_area_nm2), SEP (s);
      csv_num (s, o->sphericity), SEP (s);
      for (int a = 0; a < 3; a++)
        csv_num (s, o->centroid_nm[a]), SEP (s);
      for (int a = 0; a < 3; a++)
        csv_uint (s, o->bbox_lo[a]), SEP (s);
      for (int a = 0; a < 3; a++)
        csv_uint (s, o->bbox_hi[a]), SEP (s);
      csv_uint (s, o->touches_border), SEP (s);
      csv_uint (s, id == PS_ANALYSIS_PHASE_PORES && o->open), SEP (s);
      csv_num (s, o->mean_intensity);
      EOL (s);
    }
  return g_string_free (s, FALSE);
}

char *
ps_analysis_format_nodes_csv (const PsAnalysisResult *r)
{
  const PsObjectTable *t = r->pores.objects;
  const PsNetwork *net = r->network;
  GString *s = g_string_new ("node,label,x_nm,y_nm,z_nm,volume_nm3,inscribed_diameter_nm,coordination\r\n");
  for (size_t i = 0; t != NULL && i < t->n_objects; i++)
    {
      const PsObjectStats *o = &t->objects[i];
      if (o->voxels == 0)
        continue;
      csv_uint (s, i), SEP (s);
      csv_uint (s, o->label), SEP (s);
      for (int a = 0; a < 3; a++)
        csv_num (s, o->centroid_nm[a]), SEP (s);
      csv_num (s, o->volume_nm3), SEP (s);
      csv_num (s, o->inscribed_diameter_nm), SEP (s);
      csv_uint (s, net && i < net->n_nodes ? net->coordination[i] : 0);
      EOL (s);
    }
  return g_string_free (s, FALSE);
}

char *
ps_analysis_format_throats_csv (const PsAnalysisResult *r)
{
  const PsNetwork *net = r->network;
  GString *s = g_string_new ("throat,node_a,node_b,area_nm2,inscribed_diameter_nm,length_nm\r\n");
  for (size_t i = 0; net != NULL && i < net->n_throats; i++)
    {
      const PsThroat *t = &net->throats[i];
      csv_uint (s, i), SEP (s);
      csv_uint (s, t->label_a - 1), SEP (s);
      csv_uint (s, t->label_b - 1), SEP (s);
      csv_num (s, t->area_nm2), SEP (s);
      csv_num (s, t->inscribed_diameter_nm), SEP (s);
      csv_num (s, t->length_nm);
      EOL (s);
    }
  return g_string_free (s, FALSE);
}

char *
ps_analysis_format_histogram_csv (const PsAnalysisResult *r, PsAnalysisPhaseId id)
{
  const PsAnalysisHistogram *h = &phase_of (r, id)->histogram;
  GString *s = g_string_new ("bin_lo_nm,bin_hi_nm,count,volume_fraction,count_interior,"
                             "count_edge_corrected,thickness_volume_fraction\r\n");
  for (size_t b = 0; h->objects != NULL && b < r->n_bins; b++)
    {
      csv_num (s, (double) b * r->bin_width_nm), SEP (s);
      csv_num (s, (double) (b + 1) * r->bin_width_nm), SEP (s);
      csv_uint (s, h->objects[b]), SEP (s);
      csv_num (s, h->object_volume_fraction[b]), SEP (s);
      csv_uint (s, h->objects_interior[b]), SEP (s);
      csv_num (s, h->objects_edge_corrected[b]), SEP (s);
      if (h->thickness_volume_fraction != NULL)
        csv_num (s, h->thickness_volume_fraction[b]);
      EOL (s);
    }
  return g_string_free (s, FALSE);
}

char *
ps_analysis_format_sweep_csv (const PsAnalysisResult *r)
{
  GString *s = g_string_new ("threshold,porosity\r\n");
  for (size_t i = 0; i < r->sweep_n; i++)
    {
      if (isnan (r->sweep_thresholds[i]))
        continue;
      csv_num (s, r->sweep_thresholds[i]), SEP (s);
      csv_num (s, r->sweep_porosity[i]);
      EOL (s);
    }
  return g_string_free (s, FALSE);
}

/* ---- JSON ---------------------------------------------------------------- */

/* json-glib builds the tree; it is printed here so that numbers appear in
 * their shortest round-trip form (json-glib prints %.17g: 0.83286 would read
 * 0.83286000000000004) and NaN/Inf, which JSON lacks, become null. */
static void
json_string (GString *s, const char *str)
{
  g_string_append_c (s, '"');
  for (const unsigned char *p = (const unsigned char *) str; *p; p++)
    {
      switch (*p)
        {
        case '"': g_string_append (s, "\\\""); break;
        case '\\': g_string_append (s, "\\\\"); break;
        case '\n': g_string_append (s, "\\n"); break;
        case '\r': g_string_append (s, "\\r"); break;
        case '\t': g_string_append (s, "\\t"); break;
        default:
          if (*p < 0x20)
            g_string_append_printf (s, "\\u%04x", *p);
          else
            g_string_append_c (s, (char) *p);
        }
    }
  g_string_append_c (s, '"');
}

static void
json_indent (GString *s, int depth)
{
  g_string_append_c (s, '\n');
  for (int i = 0; i < depth; i++)
    g_string_append (s, "  ");
}

static void
json_node (GString *s, JsonNode *node, int depth)
{
  switch (json_node_get_node_type (node))
    {
    case JSON_NODE_OBJECT:
      {
        JsonObject *o = json_node_get_object (node);
        GList *members = json_object_get_members (o);  /* insertion order */
        g_string_append_c (s, '{');
        for (GList *m = members; m != NULL; m = m->next)
          {
            json_indent (s, depth + 1);
            json_string (s, m->data);
            g_string_append (s, ": ");
            json_node (s, json_object_get_member (o, m->data), depth + 1);
            if (m->next)
              g_string_append_c (s, ',');
          }
        if (members)
          json_indent (s, depth);
        g_string_append_c (s, '}');
        g_list_free (members);
        break;
      }
    case JSON_NODE_ARRAY:
      {
        JsonArray *a = json_node_get_array (node);
        guint n = json_array_get_length (a);
        gboolean flat = TRUE;
        for (guint i = 0; i < n; i++)
          flat &= json_node_get_node_type (json_array_get_element (a, i)) == JSON_NODE_VALUE;
        g_string_append_c (s, '[');
        for (guint i = 0; i < n; i++)
          {
            if (!flat)
              json_indent (s, depth + 1);
            json_node (s, json_array_get_element (a, i), depth + 1);
            if (i + 1 < n)
              g_string_append (s, flat ? ", " : ",");
          }
        if (!flat && n)
          json_indent (s, depth);
        g_string_append_c (s, ']');
        break;
      }
    case JSON_NODE_NULL:
      g_string_append (s, "null");
      break;
    case JSON_NODE_VALUE:
      switch (json_node_get_value_type (node))
        {
        case G_TYPE_BOOLEAN:
          g_string_append (s, json_node_get_boolean (node) ? "true" : "false");
          break;
        case G_TYPE_INT64:
          g_string_append_printf (s, "%" G_GINT64_FORMAT, json_node_get_int (node));
          break;
        case G_TYPE_DOUBLE:
          {
            double v = json_node_get_double (node);
            char buf[64];
            if (!isfinite (v))
              g_string_append (s, "null");
            else
              {
                ps_ascii_dtostr (buf, sizeof buf, v);
                g_string_append (s, buf);
                /* keep it a JSON float so readers do not take it for an int */
                if (strpbrk (buf, ".eE") == NULL)
                  g_string_append (s, ".0");
              }
            break;
          }
        case G_TYPE_STRING:
          json_string (s, json_node_get_string (node));
          break;
        default:
          g_string_append (s, "null");
        }
      break;
    }
}

static void
add_double (JsonBuilder *b, const char *name, double v)
{
  json_builder_set_member_name (b, name);
  if (isfinite (v))
    json_builder_add_double_value (b, v);
  else
    json_builder_add_null_value (b);
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
  if (v != NULL)
    {
      g_autofree char *valid = g_utf8_make_valid (v, -1);
      json_builder_add_string_value (b, valid);
    }
  else
    json_builder_add_null_value (b);
}

static void
add_vec3 (JsonBuilder *b, const char *name, const double v[3])
{
  json_builder_set_member_name (b, name);
  json_builder_begin_array (b);
  for (int a = 0; a < 3; a++)
    json_builder_add_double_value (b, v[a]);
  json_builder_end_array (b);
}

static void
add_uvec3 (JsonBuilder *b, const char *name, size_t x, size_t y, size_t z)
{
  json_builder_set_member_name (b, name);
  json_builder_begin_array (b);
  json_builder_add_int_value (b, (gint64) x);
  json_builder_add_int_value (b, (gint64) y);
  json_builder_add_int_value (b, (gint64) z);
  json_builder_end_array (b);
}

static const char *
smooth_name (PsSmoothKind k)
{
  switch (k)
    {
    case PS_SMOOTH_GAUSSIAN: return "gaussian";
    case PS_SMOOTH_MEDIAN: return "median3";
    case PS_SMOOTH_NONE:
    default: return "none";
    }
}

static void
add_phase (JsonBuilder *b, const char *prefix, const PsAnalysisPhase *ph)
{
  char key[96];
#define K(suffix) (g_snprintf (key, sizeof key, "%s_%s", prefix, suffix), key)
  add_int (b, K ("count_interior"), (gint64) ph->count_interior);
  add_int (b, K ("count_border"), (gint64) (ph->count - ph->count_interior));
  add_double (b, K ("eqdiam_mean_edge_corrected_nm"), ph->eqdiam_mean_edge_corrected_nm);
#undef K
}

char *
ps_analysis_format_summary_json (const PsAnalysisResult *r, const PsAnalysisSource *source)
{
  const PsAnalysisParams *p = &r->params;
  g_autoptr(JsonBuilder) b = json_builder_new ();
  json_builder_begin_object (b);
  add_string (b, "program", "Porescope");
  add_string (b, "version", PACKAGE_VERSION);
  add_string (b, "input", source ? source->input_path : NULL);

  /* Every parameter used, defaults resolved. */
  json_builder_set_member_name (b, "parameters");
  json_builder_begin_object (b);
  add_string (b, "smoothing", smooth_name (p->smooth));
  add_double (b, "smooth_sigma_nm", p->smooth_sigma_nm);
  add_string (b, "threshold_mode", p->threshold_auto ? "otsu" : "manual");
  add_double (b, "threshold", r->threshold);
  add_double (b, "h_nm", p->h_nm);
  add_double (b, "h_carbon_nm", p->h_carbon_nm);
  add_int (b, "connectivity", p->connectivity);
  json_builder_set_member_name (b, "local_thickness");
  json_builder_add_boolean_value (b, p->local_thickness);
  add_double (b, "histogram_bin_nm", r->bin_width_nm);
  add_int (b, "sweep_steps", (gint64) p->sweep_steps);
  json_builder_set_member_name (b, "seed_edits");
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "add");
  json_builder_begin_array (b);
  for (size_t i = 0; i < p->n_seeds_add; i++)
    {
      json_builder_begin_array (b);
      for (int a = 0; a < 3; a++)
        json_builder_add_double_value (b, p->seeds_add[i][a]);
      json_builder_end_array (b);
    }
  json_builder_end_array (b);
  json_builder_set_member_name (b, "remove");
  json_builder_begin_array (b);
  for (size_t i = 0; i < p->n_seeds_remove; i++)
    {
      json_builder_begin_array (b);
      for (int a = 0; a < 3; a++)
        json_builder_add_double_value (b, p->seeds_remove[i][a]);
      json_builder_end_array (b);
    }
  json_builder_end_array (b);
  json_builder_set_member_name (b, "merge");
  json_builder_begin_array (b);
  for (size_t i = 0; i < p->n_merges; i++)
    {
      json_builder_begin_array (b);
      for (int a = 0; a < 3; a++)
        json_builder_add_double_value (b, p->merges[i].a_nm[a]);
      for (int a = 0; a < 3; a++)
        json_builder_add_double_value (b, p->merges[i].b_nm[a]);
      json_builder_end_array (b);
    }
  json_builder_end_array (b);
  add_int (b, "ignored", (gint64) r->n_edits_ignored);
  json_builder_end_object (b);
  json_builder_end_object (b);

  add_uvec3 (b, "volume_size_voxels", r->volume_dims[0], r->volume_dims[1], r->volume_dims[2]);
  add_vec3 (b, "voxel_size_nm", r->spacing);
  add_uvec3 (b, "subvolume_origin_voxels", r->box.x0, r->box.y0, r->box.z0);
  add_uvec3 (b, "subvolume_size_voxels", r->box.nx, r->box.ny, r->box.nz);
  add_vec3 (b, "subvolume_origin_nm", r->origin_nm);
  add_vec3 (b, "subvolume_size_nm", r->size_nm);
  add_double (b, "threshold", r->threshold);
  add_double (b, "otsu_threshold", r->otsu_threshold);
  add_double (b, "porosity", r->porosity);
  add_double (b, "closed_porosity", r->closed_porosity);
  add_double (b, "open_porosity", r->open_porosity);
  add_int (b, "pore_count", (gint64) r->pores.count);
  add_double (b, "pore_eqdiam_mean_nm", r->pores.eqdiam_mean_nm);
  add_double (b, "pore_eqdiam_median_nm", r->pores.eqdiam_median_nm);
  add_double (b, "pore_eqdiam_sd_nm", r->pores.eqdiam_sd_nm);
  add_double (b, "pore_inscribed_mean_nm", r->pores.inscribed_mean_nm);
  add_int (b, "carbon_count", (gint64) r->carbon.count);
  add_double (b, "carbon_eqdiam_mean_nm", r->carbon.eqdiam_mean_nm);
  add_double (b, "carbon_inscribed_mean_nm", r->carbon.inscribed_mean_nm);
  add_phase (b, "pore", &r->pores);
  add_phase (b, "carbon", &r->carbon);
  size_t n_throats = r->network ? r->network->n_throats : 0;
  add_int (b, "throat_count", (gint64) n_throats);
  add_double (b, "mean_coordination", r->pores.count ? 2.0 * (double) n_throats / (double) r->pores.count : NAN);
  json_builder_end_object (b);

  g_autoptr(JsonNode) root = json_builder_get_root (b);
  GString *s = g_string_new (NULL);
  json_node (s, root, 0);
  g_string_append_c (s, '\n');
  return g_string_free (s, FALSE);
}

/* ---- the folder ---------------------------------------------------------- */

static void
remove_dir_tree (const char *dir)
{
  GDir *d = g_dir_open (dir, 0, NULL);
  const char *name;
  if (d != NULL)
    {
      while ((name = g_dir_read_name (d)) != NULL)
        {
          g_autofree char *path = g_build_filename (dir, name, NULL);
          g_unlink (path);
        }
      g_dir_close (d);
    }
  g_rmdir (dir);
}

static gboolean
sync_dir (const char *dir, GError **error)
{
  int fd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    return TRUE;   /* cannot open: nothing to sync */
  int rc = fsync (fd);
  int e = errno;
  close (fd);
  if (rc != 0 && e != EINVAL && e != EROFS)
    {
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (e), "%s: %s", dir, g_strerror (e));
      return FALSE;
    }
  return TRUE;
}

static gboolean
write_text (const char *dir, const char *name, char *text, GError **error)
{
  g_autofree char *path = g_build_filename (dir, name, NULL);
  gboolean ok = ps_write_file_atomic (path, text, strlen (text), error);
  g_free (text);
  return ok;
}

gboolean
ps_analysis_write (const PsAnalysisResult *r, const PsAnalysisSource *source, const char *outdir,
                   const PsProgress *progress, GError **error)
{
  g_return_val_if_fail (r != NULL && outdir != NULL, FALSE);

  if (g_mkdir_with_parents (outdir, 0777) != 0)
    {
      int e = errno;
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (e), "%s: %s", outdir, g_strerror (e));
      return FALSE;
    }
  g_autofree char *tmpl = g_build_filename (outdir, ".porescope-partial-XXXXXX", NULL);
  if (g_mkdtemp (tmpl) == NULL)
    {
      int e = errno;
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (e), "%s: %s", outdir, g_strerror (e));
      return FALSE;
    }
  const char *stage = tmpl;
  gboolean ok = TRUE;
  struct
  {
    const char *name;
    int kind;
  } steps[] = {
    { "pores.tif", 0 }, { "carbon.tif", 1 }, { "pores.csv", 2 }, { "carbon.csv", 3 },
    { "network_nodes.csv", 4 }, { "network_throats.csv", 5 }, { "histogram_pores.csv", 6 },
    { "histogram_carbon.csv", 7 }, { "porosity_vs_threshold.csv", 8 }, { "summary.json", 9 },
  };
  const size_t n_steps = G_N_ELEMENTS (steps);
  for (size_t i = 0; ok && i < n_steps; i++)
    {
      if (ps_progress_cancelled (progress))
        {
          ok = ps_set_error_from_status (error, PS_ERROR_CANCELLED, outdir);
          break;
        }
      ps_progress_report (progress, (double) i / (double) (n_steps + 1), steps[i].name);
      g_autofree char *path = g_build_filename (stage, steps[i].name, NULL);
      switch (steps[i].kind)
        {
        case 0: ok = ps_labels_save (r->pores.labels, path, error); break;
        case 1: ok = ps_labels_save (r->carbon.labels, path, error); break;
        case 2: ok = write_text (stage, steps[i].name, ps_analysis_format_objects_csv (r, PS_ANALYSIS_PHASE_PORES), error); break;
        case 3: ok = write_text (stage, steps[i].name, ps_analysis_format_objects_csv (r, PS_ANALYSIS_PHASE_CARBON), error); break;
        case 4: ok = write_text (stage, steps[i].name, ps_analysis_format_nodes_csv (r), error); break;
        case 5: ok = write_text (stage, steps[i].name, ps_analysis_format_throats_csv (r), error); break;
        case 6: ok = write_text (stage, steps[i].name, ps_analysis_format_histogram_csv (r, PS_ANALYSIS_PHASE_PORES), error); break;
        case 7: ok = write_text (stage, steps[i].name, ps_analysis_format_histogram_csv (r, PS_ANALYSIS_PHASE_CARBON), error); break;
        case 8: ok = write_text (stage, steps[i].name, ps_analysis_format_sweep_csv (r), error); break;
        case 9: ok = write_text (stage, steps[i].name, ps_analysis_format_summary_json (r, source), error); break;
        default: g_assert_not_reached ();
        }
    }
  /* A target that is a folder would fail half-way through the renames:
   * refuse before the first one. */
  for (size_t i = 0; ok && i < n_steps; i++)
    {
      g_autofree char *to = g_build_filename (outdir, steps[i].name, NULL);
      if (g_file_test (to, G_FILE_TEST_IS_DIR))
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_IS_DIRECTORY, _("%s: is a folder, not a file"), to);
          ok = FALSE;
        }
    }
  /* Everything is complete and synced: move it into place, summary last. */
  for (size_t i = 0; ok && i < n_steps; i++)
    {
      g_autofree char *from = g_build_filename (stage, steps[i].name, NULL);
      g_autofree char *to = g_build_filename (outdir, steps[i].name, NULL);
      if (g_rename (from, to) != 0)
        {
          int e = errno;
          g_set_error (error, G_IO_ERROR, g_io_error_from_errno (e), "%s: %s", to, g_strerror (e));
          ok = FALSE;
        }
    }
  remove_dir_tree (stage);
  if (ok)
    ok = sync_dir (outdir, error);
  if (ok)
    ps_progress_report (progress, 1.0, NULL);
  return ok;
}
