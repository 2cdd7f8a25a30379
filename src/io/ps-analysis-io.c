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

/* ---- provenance ---------------------------------------------------------- */

/* One line per value, whatever the path holds: control characters (a
 * newline in a file name would end the comment line) become \xNN, and a
 * backslash is doubled so the escaping can be undone. */
static char *
prov_escape (const char *v)
{
  g_autofree char *valid = g_utf8_make_valid (v, -1);
  GString *s = g_string_new (NULL);
  for (const unsigned char *p = (const unsigned char *) valid; *p; p++)
    {
      if (*p == '\\')
        g_string_append (s, "\\\\");
      else if (*p < 0x20 || *p == 0x7f)
        g_string_append_printf (s, "\\x%02x", *p);
      else
        g_string_append_c (s, (char) *p);
    }
  return g_string_free (s, FALSE);
}

static void
prov_add (GPtrArray *kv, const char *key, const char *value)
{
  g_ptr_array_add (kv, g_strdup (key));
  g_ptr_array_add (kv, prov_escape (value));
}

static void
prov_num (GString *s, double v)
{
  char buf[64];
  if (isnan (v))
    g_string_append (s, "nan");
  else if (isinf (v))
    g_string_append (s, v > 0 ? "inf" : "-inf");
  else
    g_string_append (s, ps_ascii_dtostr (buf, sizeof buf, v));
}

/* "a b c": space-separated, so no comma splits a spreadsheet cell. */
static void
prov_add_vec3 (GPtrArray *kv, const char *key, double a, double b, double c)
{
  GString *s = g_string_new (NULL);
  prov_num (s, a), g_string_append_c (s, ' ');
  prov_num (s, b), g_string_append_c (s, ' ');
  prov_num (s, c);
  prov_add (kv, key, s->str);
  g_string_free (s, TRUE);
}

static void
prov_add_num (GPtrArray *kv, const char *key, double v)
{
  GString *s = g_string_new (NULL);
  prov_num (s, v);
  prov_add (kv, key, s->str);
  g_string_free (s, TRUE);
}

static void
prov_add_uint (GPtrArray *kv, const char *key, guint64 v)
{
  g_autofree char *t = g_strdup_printf ("%" G_GUINT64_FORMAT, v);
  prov_add (kv, key, t);
}

static const char *smooth_name (PsSmoothKind k);

char **
ps_analysis_provenance (const PsAnalysisResult *r, const PsAnalysisSource *src)
{
  static const PsAnalysisSource none = { 0 };
  if (src == NULL)
    src = &none;
  const PsAnalysisParams *p = &r->params;
  GPtrArray *kv = g_ptr_array_new ();
  prov_add (kv, "program", "Porescope");
  prov_add (kv, "version", PACKAGE_VERSION);
  prov_add (kv, "input", src->input_path ? src->input_path : "unknown");
  prov_add (kv, "input_sha256", src->input_sha256 ? src->input_sha256 : "unavailable");
  if (src->tilt_series_path != NULL)
    prov_add (kv, "tilt_series", src->tilt_series_path);
  if (src->n_tilts > 0)
    {
      GString *t = g_string_new (NULL);
      prov_num (t, src->tilt_first_deg);
      g_string_append_c (t, ' ');
      prov_num (t, src->tilt_last_deg);
      g_string_append_printf (t, " (%" G_GSIZE_FORMAT " images)", src->n_tilts);
      prov_add (kv, "tilt_range_deg", t->str);
      g_string_free (t, TRUE);
    }
  else
    prov_add (kv, "tilt_range_deg", "unknown");
  if (src->recon_method != NULL)
    {
      prov_add (kv, "reconstruction", src->recon_method);
      prov_add_uint (kv, "reconstruction_iterations", (guint64) MAX (src->recon_iterations, 0));
    }
  else
    prov_add (kv, "reconstruction", "unknown");
  prov_add_vec3 (kv, "volume_size_voxels", (double) r->volume_dims[0], (double) r->volume_dims[1],
                 (double) r->volume_dims[2]);
  prov_add_vec3 (kv, "voxel_size_nm", r->spacing[0], r->spacing[1], r->spacing[2]);
  prov_add_vec3 (kv, "subvolume_origin_nm", r->origin_nm[0], r->origin_nm[1], r->origin_nm[2]);
  prov_add_vec3 (kv, "subvolume_size_nm", r->size_nm[0], r->size_nm[1], r->size_nm[2]);
  prov_add_vec3 (kv, "subvolume_origin_voxels", (double) r->box.x0, (double) r->box.y0, (double) r->box.z0);
  prov_add_vec3 (kv, "subvolume_size_voxels", (double) r->box.nx, (double) r->box.ny, (double) r->box.nz);
  prov_add (kv, "smoothing", smooth_name (p->smooth));
  prov_add_num (kv, "smooth_sigma_nm", p->smooth == PS_SMOOTH_GAUSSIAN ? p->smooth_sigma_nm : 0.0);
  prov_add (kv, "threshold_mode", p->threshold_auto ? "otsu" : "manual");
  prov_add_num (kv, "threshold", r->threshold);
  prov_add_num (kv, "h_nm", p->h_nm);
  prov_add_num (kv, "h_carbon_nm", p->h_carbon_nm);
  prov_add_uint (kv, "connectivity", (guint64) p->connectivity);
  prov_add_uint (kv, "seeds_added", p->n_seeds_add);
  prov_add_uint (kv, "seeds_removed", p->n_seeds_remove);
  prov_add_uint (kv, "merges", p->n_merges);
  prov_add_uint (kv, "edits_ignored", r->n_edits_ignored);
  g_ptr_array_add (kv, NULL);
  return (char **) g_ptr_array_free (kv, FALSE);
}

char *
ps_analysis_format_csv_provenance (const PsAnalysisResult *r, const PsAnalysisSource *source)
{
  g_auto(GStrv) kv = ps_analysis_provenance (r, source);
  GString *s = g_string_new (NULL);
  for (size_t i = 0; kv[i] != NULL && kv[i + 1] != NULL; i += 2)
    g_string_append_printf (s, "# %s: %s\r\n", kv[i], kv[i + 1]);
  return g_string_free (s, FALSE);
}

char *
ps_file_sha256 (const char *path, const PsProgress *progress, GError **error)
{
  g_autoptr(GFile) file = g_file_new_for_path (path);
  g_autoptr(GFileInputStream) in = g_file_read (file, NULL, error);
  if (in == NULL)
    return NULL;
  g_autoptr(GFileInfo) info = g_file_input_stream_query_info (in, G_FILE_ATTRIBUTE_STANDARD_SIZE, NULL, NULL);
  goffset total = info ? g_file_info_get_size (info) : 0;
  g_autoptr(GChecksum) sum = g_checksum_new (G_CHECKSUM_SHA256);
  const gsize block = 4u << 20;
  g_autofree guchar *buf = g_malloc (block);
  goffset done = 0;
  for (;;)
    {
      if (ps_progress_cancelled (progress))
        {
          ps_set_error_from_status (error, PS_ERROR_CANCELLED, path);
          return NULL;
        }
      GError *local = NULL;
      gssize n = g_input_stream_read (G_INPUT_STREAM (in), buf, block, NULL, &local);
      if (n < 0)
        {
          g_set_error (error, local->domain, local->code, "%s: %s", path, local->message);
          g_error_free (local);
          return NULL;
        }
      if (n == 0)
        break;
      g_checksum_update (sum, buf, (gsize) n);
      done += n;
      if (total > 0)
        ps_progress_report (progress, MIN (1.0, (double) done / (double) total), NULL);
    }
  return g_strdup (g_checksum_get_string (sum));
}

char *
ps_analysis_format_file (const PsAnalysisResult *r, const PsAnalysisSource *source, const char *name)
{
  char *data;
  if (g_str_equal (name, "summary.json"))
    return ps_analysis_format_summary_json (r, source);
  else if (g_str_equal (name, "pores.csv"))
    data = ps_analysis_format_objects_csv (r, PS_ANALYSIS_PHASE_PORES);
  else if (g_str_equal (name, "carbon.csv"))
    data = ps_analysis_format_objects_csv (r, PS_ANALYSIS_PHASE_CARBON);
  else if (g_str_equal (name, "network_nodes.csv"))
    data = ps_analysis_format_nodes_csv (r);
  else if (g_str_equal (name, "network_throats.csv"))
    data = ps_analysis_format_throats_csv (r);
  else if (g_str_equal (name, "histogram_pores.csv"))
    data = ps_analysis_format_histogram_csv (r, PS_ANALYSIS_PHASE_PORES);
  else if (g_str_equal (name, "histogram_carbon.csv"))
    data = ps_analysis_format_histogram_csv (r, PS_ANALYSIS_PHASE_CARBON);
  else if (g_str_equal (name, "porosity_vs_threshold.csv"))
    data = ps_analysis_format_sweep_csv (r);
  else
    g_return_val_if_reached (NULL);
  char *head = ps_analysis_format_csv_provenance (r, source);
  char *all = g_strconcat (head, data, NULL);
  g_free (head);
  g_free (data);
  return all;
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
  add_string (b, "input_sha256", source ? source->input_sha256 : NULL);
  json_builder_set_member_name (b, "reconstruction");
  if (source != NULL && (source->recon_method != NULL || source->n_tilts > 0 || source->tilt_series_path != NULL))
    {
      json_builder_begin_object (b);
      add_string (b, "tilt_series", source->tilt_series_path);
      add_int (b, "n_tilts", (gint64) source->n_tilts);
      if (source->n_tilts > 0)
        {
          double range[3] = { source->tilt_first_deg, source->tilt_last_deg, 0 };
          json_builder_set_member_name (b, "tilt_range_deg");
          json_builder_begin_array (b);
          json_builder_add_double_value (b, range[0]);
          json_builder_add_double_value (b, range[1]);
          json_builder_end_array (b);
        }
      add_string (b, "method", source->recon_method);
      add_int (b, "iterations", source->recon_iterations);
      json_builder_end_object (b);
    }
  else
    json_builder_add_null_value (b);

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
  return ps_json_to_string (root);
}

char *
ps_json_to_string (JsonNode *node)
{
  GString *s = g_string_new (NULL);
  json_node (s, node, 0);
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
  /* The input's checksum, once for every file. A file that cannot be read
   * (moved since it was loaded) is recorded as "unavailable" rather than
   * failing the export of results already computed. */
  PsAnalysisSource src = source ? *source : (PsAnalysisSource) { 0 };
  g_autofree char *sha = NULL;
  if (src.input_path != NULL && src.input_sha256 == NULL)
    {
      g_autoptr(GError) sha_error = NULL;
      sha = ps_file_sha256 (src.input_path, NULL, &sha_error);
      if (sha == NULL && g_error_matches (sha_error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          g_propagate_error (error, g_steal_pointer (&sha_error));
          remove_dir_tree (stage);
          return FALSE;
        }
      if (sha == NULL)
        g_debug ("%s", sha_error->message);
      src.input_sha256 = sha;
    }
  source = &src;
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
        case 2: ok = write_text (stage, steps[i].name, ps_analysis_format_file (r, source, steps[i].name), error); break;
        case 3: ok = write_text (stage, steps[i].name, ps_analysis_format_file (r, source, steps[i].name), error); break;
        case 4: ok = write_text (stage, steps[i].name, ps_analysis_format_file (r, source, steps[i].name), error); break;
        case 5: ok = write_text (stage, steps[i].name, ps_analysis_format_file (r, source, steps[i].name), error); break;
        case 6: ok = write_text (stage, steps[i].name, ps_analysis_format_file (r, source, steps[i].name), error); break;
        case 7: ok = write_text (stage, steps[i].name, ps_analysis_format_file (r, source, steps[i].name), error); break;
        case 8: ok = write_text (stage, steps[i].name, ps_analysis_format_file (r, source, steps[i].name), error); break;
        case 9: ok = write_text (stage, steps[i].name, ps_analysis_format_file (r, source, steps[i].name), error); break;
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
