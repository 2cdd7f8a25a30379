/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "porescope-io"

#include "config.h"

#include "ps-session.h"
#include "ps-session-analysis.h"

#include <gio/gio.h>
#include <glib/gi18n.h>
#include <math.h>
#include <string.h>

#include "ps-atomic-file.h"
#include "ps-error.h"

/* Largest coordinate, size or value accepted anywhere in a session: far
 * beyond any tomogram (1 m in nm), small enough that no later arithmetic
 * overflows. */
#define MAX_ABS 1e9
#define MAX_VOXELS_PER_AXIS (1u << 24)

PsSession *
ps_session_new (void)
{
  PsSession *s = g_new0 (PsSession, 1);
  PsAnalysisParams p;
  ps_analysis_params_init (&p);
  s->seeds_add = g_array_new (FALSE, FALSE, sizeof (double[3]));
  s->seeds_remove = g_array_new (FALSE, FALSE, sizeof (double[3]));
  s->merges = g_array_new (FALSE, FALSE, sizeof (PsMergeEdit));
  G_STATIC_ASSERT (sizeof (PsMergeEdit) == 6 * sizeof (double));
  ps_session_set_params (s, &p);
  s->carbon_rgb = 0x2f6fdb;
  s->pore_rgb = 0x9a9a9a;
  return s;
}

void
ps_session_free (PsSession *s)
{
  if (s == NULL)
    return;
  g_free (s->volume_path);
  g_free (s->tilt_series_path);
  g_free (s->angles);
  g_free (s->recon_method);
  g_free (s->recon_filter);
  g_array_unref (s->seeds_add);
  g_array_unref (s->seeds_remove);
  g_array_unref (s->merges);
  g_free (s);
}

void
ps_session_to_params (const PsSession *s, PsAnalysisParams *p)
{
  ps_analysis_params_init (p);
  p->subvolume = s->subvolume;
  p->smooth = (PsSmoothKind) s->smooth;
  p->smooth_sigma_nm = s->smooth_sigma_nm;
  p->threshold_auto = s->threshold_auto != FALSE;
  p->threshold = s->threshold;
  p->h_nm = s->h_nm;
  p->h_carbon_nm = s->h_carbon_nm;
  p->seeds_add = (const double (*)[3]) (void *) s->seeds_add->data;
  p->n_seeds_add = s->seeds_add->len;
  p->seeds_remove = (const double (*)[3]) (void *) s->seeds_remove->data;
  p->n_seeds_remove = s->seeds_remove->len;
  p->merges = (const PsMergeEdit *) (void *) s->merges->data;
  p->n_merges = s->merges->len;
  p->connectivity = s->connectivity;
  p->local_thickness = s->local_thickness != FALSE;
  p->histogram_bin_nm = s->histogram_bin_nm;
  p->n_threads = 0;
}

void
ps_session_set_params (PsSession *s, const PsAnalysisParams *p)
{
  s->subvolume = p->subvolume;
  s->smooth = (int) p->smooth;
  s->smooth_sigma_nm = p->smooth_sigma_nm;
  s->threshold_auto = p->threshold_auto;
  s->threshold = p->threshold;
  s->h_nm = p->h_nm;
  s->h_carbon_nm = p->h_carbon_nm;
  s->connectivity = p->connectivity;
  s->local_thickness = p->local_thickness;
  s->histogram_bin_nm = p->histogram_bin_nm;
  g_array_set_size (s->seeds_add, 0);
  g_array_set_size (s->seeds_remove, 0);
  g_array_set_size (s->merges, 0);
  if (p->n_seeds_add)
    g_array_append_vals (s->seeds_add, p->seeds_add, (guint) p->n_seeds_add);
  if (p->n_seeds_remove)
    g_array_append_vals (s->seeds_remove, p->seeds_remove, (guint) p->n_seeds_remove);
  if (p->n_merges)
    g_array_append_vals (s->merges, p->merges, (guint) p->n_merges);
}

void
ps_session_to_source (const PsSession *s, PsAnalysisSource *src)
{
  memset (src, 0, sizeof *src);
  src->input_path = s->volume_path ? s->volume_path : s->tilt_series_path;
  if (s->has_reconstruction)
    {
      src->tilt_series_path = s->tilt_series_path;
      src->n_tilts = s->n_tilts;
      src->tilt_first_deg = s->tilt_first_deg;
      src->tilt_last_deg = s->tilt_last_deg;
      src->recon_method = s->recon_method;
      src->recon_iterations = s->recon_iterations;
    }
}

/* ---- paths --------------------------------------------------------------- */

char *
ps_path_relative_to (const char *path, const char *dir)
{
  g_return_val_if_fail (g_path_is_absolute (path) && g_path_is_absolute (dir), NULL);
  g_autofree char *cp = g_canonicalize_filename (path, NULL);
  g_autofree char *cd = g_canonicalize_filename (dir, NULL);
  g_auto(GStrv) a = g_strsplit (cp, G_DIR_SEPARATOR_S, -1);
  g_auto(GStrv) b = g_strsplit (cd, G_DIR_SEPARATOR_S, -1);
  /* Both start with "" (the root); skip empty components ("/" alone). */
  guint na = g_strv_length (a), nb = g_strv_length (b);
  if (nb > 0 && b[nb - 1][0] == '\0')
    nb--;
  guint common = 0;
  while (common < na && common < nb && g_str_equal (a[common], b[common]))
    common++;
  if (common <= 1 && nb > 1)
    return NULL;        /* only the root in common: keep the absolute path */
  if (common == na)
    return NULL;        /* @path is @dir or above it */
  GString *r = g_string_new (NULL);
  for (guint i = common; i < nb; i++)
    g_string_append (r, ".." G_DIR_SEPARATOR_S);
  for (guint i = common; i < na; i++)
    {
      g_string_append (r, a[i]);
      if (i + 1 < na)
        g_string_append_c (r, G_DIR_SEPARATOR);
    }
  return g_string_free (r, FALSE);
}

const char *
ps_session_missing_data (const PsSession *s)
{
  const char *paths[] = { s->volume_path, s->tilt_series_path, s->angles_is_range ? NULL : s->angles };
  for (gsize i = 0; i < G_N_ELEMENTS (paths); i++)
    if (paths[i] != NULL && !g_file_test (paths[i], G_FILE_TEST_IS_REGULAR))
      return paths[i];
  return NULL;
}

static void
relocate_one (char **path, const char *old_dir, const char *new_dir, const char *old_path, const char *new_path)
{
  if (*path == NULL)
    return;
  if (g_str_equal (*path, old_path))
    {
      g_free (*path);
      *path = g_canonicalize_filename (new_path, NULL);
      return;
    }
  gsize n = strlen (old_dir);
  if (strncmp (*path, old_dir, n) == 0 && (*path)[n] == G_DIR_SEPARATOR)
    {
      char *moved = g_build_filename (new_dir, *path + n + 1, NULL);
      g_free (*path);
      *path = moved;
    }
}

void
ps_session_relocate (PsSession *s, const char *old_path, const char *new_path)
{
  g_autofree char *old_dir = g_path_get_dirname (old_path);
  g_autofree char *new_abs = g_canonicalize_filename (new_path, NULL);
  g_autofree char *new_dir = g_path_get_dirname (new_abs);
  g_autofree char *old_copy = g_strdup (old_path);
  relocate_one (&s->volume_path, old_dir, new_dir, old_copy, new_abs);
  relocate_one (&s->tilt_series_path, old_dir, new_dir, old_copy, new_abs);
  if (!s->angles_is_range)
    relocate_one (&s->angles, old_dir, new_dir, old_copy, new_abs);
}

/* ---- writing ------------------------------------------------------------- */

static void
add_path (JsonBuilder *b, const char *key, const char *path, const char *session_dir)
{
  json_builder_set_member_name (b, key);
  if (path == NULL)
    {
      json_builder_add_null_value (b);
      return;
    }
  g_autofree char *rel = session_dir ? ps_path_relative_to (path, session_dir) : NULL;
  json_builder_add_string_value (b, rel ? rel : path);
  g_autofree char *abs_key = g_strconcat (key, "_absolute", NULL);
  json_builder_set_member_name (b, abs_key);
  json_builder_add_string_value (b, path);
}

static void
add_dvec (JsonBuilder *b, const char *key, const double *v, int n)
{
  if (key)
    json_builder_set_member_name (b, key);
  json_builder_begin_array (b);
  for (int i = 0; i < n; i++)
    json_builder_add_double_value (b, v[i]);
  json_builder_end_array (b);
}

static void
add_d (JsonBuilder *b, const char *key, double v)
{
  json_builder_set_member_name (b, key);
  json_builder_add_double_value (b, v);
}

static void
add_i (JsonBuilder *b, const char *key, gint64 v)
{
  json_builder_set_member_name (b, key);
  json_builder_add_int_value (b, v);
}

static void
add_bool (JsonBuilder *b, const char *key, gboolean v)
{
  json_builder_set_member_name (b, key);
  json_builder_add_boolean_value (b, v);
}

static void
add_str (JsonBuilder *b, const char *key, const char *v)
{
  json_builder_set_member_name (b, key);
  if (v)
    json_builder_add_string_value (b, v);
  else
    json_builder_add_null_value (b);
}

static void
add_color (JsonBuilder *b, const char *key, guint32 rgb)
{
  char text[8];
  g_snprintf (text, sizeof text, "#%06x", rgb & 0xffffff);
  add_str (b, key, text);
}

static const char *const smooth_names[] = { "none", "gaussian", "median3" };

char *
ps_session_to_json (const PsSession *s, const char *session_path)
{
  g_autofree char *abs = session_path ? g_canonicalize_filename (session_path, NULL) : NULL;
  g_autofree char *dir = abs ? g_path_get_dirname (abs) : NULL;
  g_autoptr(JsonBuilder) b = json_builder_new ();
  json_builder_begin_object (b);
  add_str (b, "format", PS_SESSION_FORMAT);
  add_i (b, "version", PS_SESSION_VERSION);
  add_str (b, "program_version", PACKAGE_VERSION);

  json_builder_set_member_name (b, "data");
  json_builder_begin_object (b);
  add_path (b, "volume", s->volume_path, dir);
  add_path (b, "tilt_series", s->tilt_series_path, dir);
  if (s->angles_is_range)
    add_str (b, "angles_range", s->angles);
  else
    add_path (b, "angles", s->angles, dir);
  add_bool (b, "swap_yz", s->swap_yz);
  json_builder_set_member_name (b, "voxel_size_nm");
  if (s->has_voxel_size)
    add_dvec (b, NULL, s->voxel_size_nm, 3);
  else
    json_builder_add_null_value (b);
  json_builder_end_object (b);

  json_builder_set_member_name (b, "reconstruction");
  if (s->has_reconstruction)
    {
      json_builder_begin_object (b);
      add_str (b, "method", s->recon_method);
      add_i (b, "iterations", s->recon_iterations);
      add_str (b, "filter", s->recon_filter);
      add_i (b, "thickness", s->recon_thickness);
      add_i (b, "n_tilts", (gint64) s->n_tilts);
      double range[2] = { s->tilt_first_deg, s->tilt_last_deg };
      add_dvec (b, "tilt_range_deg", range, 2);
      json_builder_end_object (b);
    }
  else
    json_builder_add_null_value (b);

  json_builder_set_member_name (b, "analysis");
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "subvolume_voxels");
  json_builder_begin_array (b);
  const size_t box[6] = { s->subvolume.x0, s->subvolume.y0, s->subvolume.z0,
                          s->subvolume.nx, s->subvolume.ny, s->subvolume.nz };
  for (int i = 0; i < 6; i++)
    json_builder_add_int_value (b, (gint64) box[i]);
  json_builder_end_array (b);
  add_str (b, "smoothing", smooth_names[s->smooth >= 0 && s->smooth < 3 ? s->smooth : 0]);
  add_d (b, "smooth_sigma_nm", s->smooth_sigma_nm);
  json_builder_set_member_name (b, "threshold");
  if (s->threshold_auto)
    json_builder_add_string_value (b, "otsu");
  else
    json_builder_add_double_value (b, s->threshold);
  add_d (b, "h_nm", s->h_nm);
  add_d (b, "h_carbon_nm", s->h_carbon_nm);
  add_i (b, "connectivity", s->connectivity);
  add_bool (b, "local_thickness", s->local_thickness);
  add_d (b, "histogram_bin_nm", s->histogram_bin_nm);
  json_builder_set_member_name (b, "seeds_add");
  json_builder_begin_array (b);
  for (guint i = 0; i < s->seeds_add->len; i++)
    add_dvec (b, NULL, (const double *) (void *) s->seeds_add->data + 3 * i, 3);
  json_builder_end_array (b);
  json_builder_set_member_name (b, "seeds_remove");
  json_builder_begin_array (b);
  for (guint i = 0; i < s->seeds_remove->len; i++)
    add_dvec (b, NULL, (const double *) (void *) s->seeds_remove->data + 3 * i, 3);
  json_builder_end_array (b);
  json_builder_set_member_name (b, "merges");
  json_builder_begin_array (b);
  for (guint i = 0; i < s->merges->len; i++)
    {
      const PsMergeEdit *m = &g_array_index (s->merges, PsMergeEdit, i);
      double v[6] = { m->a_nm[0], m->a_nm[1], m->a_nm[2], m->b_nm[0], m->b_nm[1], m->b_nm[2] };
      add_dvec (b, NULL, v, 6);
    }
  json_builder_end_array (b);
  json_builder_end_object (b);

  json_builder_set_member_name (b, "view");
  json_builder_begin_object (b);
  add_color (b, "carbon_color", s->carbon_rgb);
  add_color (b, "pore_color", s->pore_rgb);
  json_builder_set_member_name (b, "window");
  if (s->has_window)
    {
      double w[2] = { s->window_lo, s->window_hi };
      add_dvec (b, NULL, w, 2);
    }
  else
    json_builder_add_null_value (b);
  json_builder_set_member_name (b, "crosshair_nm");
  if (s->has_crosshair)
    add_dvec (b, NULL, s->crosshair_nm, 3);
  else
    json_builder_add_null_value (b);
  json_builder_set_member_name (b, "camera");
  if (s->has_camera)
    {
      json_builder_begin_object (b);
      add_dvec (b, "rotation", s->camera_rotation, 4);
      add_dvec (b, "target_nm", s->camera_target_nm, 3);
      add_d (b, "zoom", s->camera_zoom);
      add_bool (b, "perspective", s->camera_perspective);
      add_d (b, "fov_y", s->camera_fov_y);
      json_builder_end_object (b);
    }
  else
    json_builder_add_null_value (b);
  json_builder_end_object (b);
  json_builder_end_object (b);

  g_autoptr(JsonNode) root = json_builder_get_root (b);
  return ps_json_to_string (root);
}

gboolean
ps_session_save (const PsSession *s, const char *path, GError **error)
{
  g_autofree char *text = ps_session_to_json (s, path);
  return ps_write_file_atomic (path, text, strlen (text), error);
}

/* ---- reading ------------------------------------------------------------- */

typedef struct
{
  const char *name;     /* the file, for messages */
  const char *base_dir;
  GError **error;
  gboolean failed;
} Reader;

G_GNUC_PRINTF (3, 4) static void
fail (Reader *r, const char *where, const char *fmt, ...)
{
  if (r->failed)
    return;
  r->failed = TRUE;
  va_list ap;
  va_start (ap, fmt);
  g_autofree char *why = g_strdup_vprintf (fmt, ap);
  va_end (ap);
  g_set_error (r->error, PS_ERROR, PS_ERROR_CODE_CORRUPT_FILE, "%s: %s%s%s", r->name, where ? where : "",
               where ? ": " : "", why);
}

/* Every key of @o must be one of @known (NULL-terminated). */
static void
check_keys (Reader *r, JsonObject *o, const char *where, const char *const *known)
{
  GList *members = json_object_get_members (o);
  for (GList *m = members; m != NULL && !r->failed; m = m->next)
    if (!g_strv_contains (known, m->data))
      {
        g_autofree char *k = g_utf8_make_valid (m->data, (gssize) strnlen (m->data, 64));
        fail (r, where, _("unknown key “%s”"), k);
      }
  g_list_free (members);
}

static JsonNode *
member (Reader *r, JsonObject *o, const char *where, const char *key, gboolean required)
{
  JsonNode *n = o ? json_object_get_member (o, key) : NULL;
  if (n == NULL && required)
    fail (r, where, _("“%s” is missing"), key);
  return n;
}

static gboolean
is_null (JsonNode *n)
{
  return n == NULL || JSON_NODE_HOLDS_NULL (n);
}

static gboolean
node_number (JsonNode *n, double *v)
{
  if (n == NULL || !JSON_NODE_HOLDS_VALUE (n))
    return FALSE;
  GType t = json_node_get_value_type (n);
  if (t == G_TYPE_DOUBLE)
    *v = json_node_get_double (n);
  else if (t == G_TYPE_INT64)
    *v = (double) json_node_get_int (n);
  else
    return FALSE;
  return TRUE;
}

static double
get_double (Reader *r, JsonObject *o, const char *where, const char *key, double lo, double hi, double dflt)
{
  JsonNode *n = member (r, o, where, key, FALSE);
  double v;
  if (n == NULL)
    return dflt;
  if (!node_number (n, &v))
    {
      fail (r, where, _("“%s” must be a number"), key);
      return dflt;
    }
  if (!isfinite (v) || v < lo || v > hi)
    {
      fail (r, where, _("“%s” is out of range"), key);
      return dflt;
    }
  return v;
}

static gint64
get_int (Reader *r, JsonObject *o, const char *where, const char *key, gint64 lo, gint64 hi, gint64 dflt)
{
  JsonNode *n = member (r, o, where, key, FALSE);
  if (n == NULL)
    return dflt;
  if (!JSON_NODE_HOLDS_VALUE (n) || json_node_get_value_type (n) != G_TYPE_INT64)
    {
      fail (r, where, _("“%s” must be a whole number"), key);
      return dflt;
    }
  gint64 v = json_node_get_int (n);
  if (v < lo || v > hi)
    {
      fail (r, where, _("“%s” is out of range"), key);
      return dflt;
    }
  return v;
}

static gboolean
get_bool (Reader *r, JsonObject *o, const char *where, const char *key, gboolean dflt)
{
  JsonNode *n = member (r, o, where, key, FALSE);
  if (n == NULL)
    return dflt;
  if (!JSON_NODE_HOLDS_VALUE (n) || json_node_get_value_type (n) != G_TYPE_BOOLEAN)
    {
      fail (r, where, _("“%s” must be true or false"), key);
      return dflt;
    }
  return json_node_get_boolean (n);
}

/* A string member, NULL when absent or null; must be valid UTF-8 without
 * control characters, at most 4096 bytes. */
static const char *
get_string (Reader *r, JsonObject *o, const char *where, const char *key)
{
  JsonNode *n = member (r, o, where, key, FALSE);
  if (is_null (n))
    return NULL;
  if (!JSON_NODE_HOLDS_VALUE (n) || json_node_get_value_type (n) != G_TYPE_STRING)
    {
      fail (r, where, _("“%s” must be a string"), key);
      return NULL;
    }
  const char *v = json_node_get_string (n);
  gsize len = strlen (v);
  if (len == 0 || len > 4096 || !g_utf8_validate (v, -1, NULL))
    {
      fail (r, where, _("“%s” is not a usable text"), key);
      return NULL;
    }
  for (const char *p = v; *p; p++)
    if ((unsigned char) *p < 0x20)
      {
        fail (r, where, _("“%s” contains a control character"), key);
        return NULL;
      }
  return v;
}

/* A fixed-length array of finite numbers within ±MAX_ABS. */
static gboolean
read_dvec (Reader *r, JsonNode *n, const char *where, const char *key, double *out, guint len)
{
  if (n == NULL || !JSON_NODE_HOLDS_ARRAY (n) || json_array_get_length (json_node_get_array (n)) != len)
    {
      fail (r, where, _("“%s” must be an array of %u numbers"), key, len);
      return FALSE;
    }
  JsonArray *a = json_node_get_array (n);
  for (guint i = 0; i < len; i++)
    if (!node_number (json_array_get_element (a, i), &out[i]) || !isfinite (out[i]) || fabs (out[i]) > MAX_ABS)
      {
        fail (r, where, _("“%s” must be an array of %u numbers"), key, len);
        return FALSE;
      }
  return TRUE;
}

static gboolean
get_dvec (Reader *r, JsonObject *o, const char *where, const char *key, double *out, guint len)
{
  JsonNode *n = member (r, o, where, key, FALSE);
  if (is_null (n))
    return FALSE;
  return read_dvec (r, n, where, key, out, len);
}

static JsonObject *
get_object (Reader *r, JsonObject *o, const char *key, gboolean required)
{
  JsonNode *n = member (r, o, NULL, key, required);
  if (is_null (n))
    {
      if (n != NULL && required)
        fail (r, NULL, _("“%s” must be an object"), key);
      return NULL;
    }
  if (!JSON_NODE_HOLDS_OBJECT (n))
    {
      fail (r, NULL, _("“%s” must be an object"), key);
      return NULL;
    }
  return json_node_get_object (n);
}

static char *
resolve_path (Reader *r, JsonObject *o, const char *key)
{
  const char *where = "data";
  const char *rel = get_string (r, o, where, key);
  g_autofree char *abs_key = g_strconcat (key, "_absolute", NULL);
  const char *abs = get_string (r, o, where, abs_key);
  if (abs != NULL && !g_path_is_absolute (abs))
    fail (r, where, _("“%s” must be an absolute path"), abs_key);
  if (r->failed || (rel == NULL && abs == NULL))
    return NULL;
  if (rel == NULL)
    return g_canonicalize_filename (abs, NULL);
  char *from_rel = g_canonicalize_filename (rel, r->base_dir);
  if (abs == NULL || g_path_is_absolute (rel) || g_file_test (from_rel, G_FILE_TEST_EXISTS)
      || !g_file_test (abs, G_FILE_TEST_EXISTS))
    return from_rel;    /* the folder moved as a whole, or neither is there: report the relative one */
  g_free (from_rel);
  return g_canonicalize_filename (abs, NULL);
}

static gboolean
parse_color (const char *text, guint32 *rgb)
{
  if (text == NULL || strlen (text) != 7 || text[0] != '#')
    return FALSE;
  guint32 v = 0;
  for (int i = 1; i < 7; i++)
    {
      int d = g_ascii_xdigit_value (text[i]);
      if (d < 0)
        return FALSE;
      v = v << 4 | (guint32) d;
    }
  *rgb = v;
  return TRUE;
}

static void
read_points (Reader *r, JsonObject *o, const char *key, GArray *out, guint width)
{
  JsonNode *n = member (r, o, "analysis", key, FALSE);
  if (is_null (n))
    return;
  if (!JSON_NODE_HOLDS_ARRAY (n))
    {
      fail (r, "analysis", _("“%s” must be an array"), key);
      return;
    }
  JsonArray *a = json_node_get_array (n);
  guint len = json_array_get_length (a);
  if (len > PS_SESSION_MAX_EDITS)
    {
      fail (r, "analysis", _("“%s” has more than %u entries"), key, PS_SESSION_MAX_EDITS);
      return;
    }
  for (guint i = 0; i < len && !r->failed; i++)
    {
      double v[6];
      if (read_dvec (r, json_array_get_element (a, i), "analysis", key, v, width))
        {
          if (width == 3)
            g_array_append_vals (out, v, 1);
          else
            {
              PsMergeEdit m = { { v[0], v[1], v[2] }, { v[3], v[4], v[5] } };
              g_array_append_val (out, m);
            }
        }
    }
}

static void
read_data (Reader *r, PsSession *s, JsonObject *o)
{
  static const char *const known[] = { "volume", "volume_absolute", "tilt_series", "tilt_series_absolute", "angles",
                                       "angles_absolute", "angles_range", "swap_yz", "voxel_size_nm", NULL };
  check_keys (r, o, "data", known);
  s->volume_path = resolve_path (r, o, "volume");
  s->tilt_series_path = resolve_path (r, o, "tilt_series");
  s->angles = resolve_path (r, o, "angles");
  const char *range = get_string (r, o, "data", "angles_range");
  if (range != NULL)
    {
      if (s->angles != NULL)
        fail (r, "data", _("both “angles” and “angles_range” are given"));
      g_free (s->angles);
      s->angles = g_strdup (range);
      s->angles_is_range = TRUE;
    }
  s->swap_yz = get_bool (r, o, "data", "swap_yz", FALSE);
  s->has_voxel_size = get_dvec (r, o, "data", "voxel_size_nm", s->voxel_size_nm, 3);
  for (int a = 0; s->has_voxel_size && a < 3; a++)
    if (!(s->voxel_size_nm[a] > 0))
      fail (r, "data", _("“voxel_size_nm” must be positive"));
  if (!r->failed && s->volume_path == NULL && s->tilt_series_path == NULL)
    fail (r, "data", _("neither a volume nor a tilt series is given"));
}

static void
read_reconstruction (Reader *r, PsSession *s, JsonObject *o)
{
  static const char *const known[] = { "method", "iterations", "filter", "thickness", "n_tilts", "tilt_range_deg", NULL };
  const char *w = "reconstruction";
  check_keys (r, o, w, known);
  s->has_reconstruction = TRUE;
  const char *method = get_string (r, o, w, "method");
  if (method == NULL || !(g_str_equal (method, "wbp") || g_str_equal (method, "sirt") || g_str_equal (method, "sart")))
    fail (r, w, _("“method” must be “wbp”, “sirt” or “sart”"));
  s->recon_method = g_strdup (method);
  s->recon_iterations = (int) get_int (r, o, w, "iterations", 0, 100000, 0);
  s->recon_filter = g_strdup (get_string (r, o, w, "filter"));
  s->recon_thickness = (guint) get_int (r, o, w, "thickness", 0, MAX_VOXELS_PER_AXIS, 0);
  s->n_tilts = (gsize) get_int (r, o, w, "n_tilts", 0, 100000, 0);
  double range[2] = { 0, 0 };
  if (get_dvec (r, o, w, "tilt_range_deg", range, 2) && (fabs (range[0]) > 90 || fabs (range[1]) > 90))
    fail (r, w, _("“tilt_range_deg” must lie within ±90°"));
  s->tilt_first_deg = range[0];
  s->tilt_last_deg = range[1];
}

static void
read_analysis (Reader *r, PsSession *s, JsonObject *o)
{
  static const char *const known[] = { "subvolume_voxels", "smoothing", "smooth_sigma_nm", "threshold", "h_nm",
                                       "h_carbon_nm", "connectivity", "local_thickness", "histogram_bin_nm",
                                       "seeds_add", "seeds_remove", "merges", NULL };
  const char *w = "analysis";
  check_keys (r, o, w, known);
  JsonNode *n = member (r, o, w, "subvolume_voxels", FALSE);
  if (!is_null (n))
    {
      double v[6];
      if (read_dvec (r, n, w, "subvolume_voxels", v, 6))
        {
          for (int i = 0; i < 6; i++)
            if (v[i] < 0 || v[i] > MAX_VOXELS_PER_AXIS || v[i] != floor (v[i]))
              fail (r, w, _("“subvolume_voxels” must be 6 whole numbers ≥ 0"));
          if (!r->failed)
            s->subvolume = (PsBox) { (size_t) v[0], (size_t) v[1], (size_t) v[2],
                                     (size_t) v[3], (size_t) v[4], (size_t) v[5] };
        }
    }
  const char *smooth = get_string (r, o, w, "smoothing");
  if (smooth != NULL)
    {
      gboolean found = FALSE;
      for (gsize i = 0; i < G_N_ELEMENTS (smooth_names); i++)
        if (g_str_equal (smooth, smooth_names[i]))
          s->smooth = (int) i, found = TRUE;
      if (!found)
        fail (r, w, _("“smoothing” must be “none”, “gaussian” or “median3”"));
    }
  s->smooth_sigma_nm = get_double (r, o, w, "smooth_sigma_nm", -MAX_ABS, MAX_ABS, s->smooth_sigma_nm);
  n = member (r, o, w, "threshold", FALSE);
  if (n != NULL)
    {
      double v;
      if (JSON_NODE_HOLDS_VALUE (n) && json_node_get_value_type (n) == G_TYPE_STRING
          && g_str_equal (json_node_get_string (n), "otsu"))
        s->threshold_auto = TRUE;
      else if (node_number (n, &v) && isfinite (v) && fabs (v) <= 1e30)
        s->threshold_auto = FALSE, s->threshold = v;
      else
        fail (r, w, _("“threshold” must be “otsu” or a number"));
    }
  s->h_nm = get_double (r, o, w, "h_nm", -MAX_ABS, MAX_ABS, s->h_nm);
  s->h_carbon_nm = get_double (r, o, w, "h_carbon_nm", -MAX_ABS, MAX_ABS, s->h_carbon_nm);
  s->connectivity = (int) get_int (r, o, w, "connectivity", 0, 26, s->connectivity);
  if (s->connectivity != 6 && s->connectivity != 26)
    fail (r, w, _("“connectivity” must be 6 or 26"));
  s->local_thickness = get_bool (r, o, w, "local_thickness", s->local_thickness);
  s->histogram_bin_nm = get_double (r, o, w, "histogram_bin_nm", -MAX_ABS, MAX_ABS, s->histogram_bin_nm);
  read_points (r, o, "seeds_add", s->seeds_add, 3);
  read_points (r, o, "seeds_remove", s->seeds_remove, 3);
  read_points (r, o, "merges", s->merges, 6);
}

static void
read_view (Reader *r, PsSession *s, JsonObject *o)
{
  static const char *const known[] = { "carbon_color", "pore_color", "window", "crosshair_nm", "camera", NULL };
  const char *w = "view";
  check_keys (r, o, w, known);
  const char *c = get_string (r, o, w, "carbon_color");
  if (c != NULL && !parse_color (c, &s->carbon_rgb))
    fail (r, w, _("“carbon_color” must be #rrggbb"));
  c = get_string (r, o, w, "pore_color");
  if (c != NULL && !parse_color (c, &s->pore_rgb))
    fail (r, w, _("“pore_color” must be #rrggbb"));
  double win[2];
  if ((s->has_window = get_dvec (r, o, w, "window", win, 2)))
    {
      s->window_lo = win[0];
      s->window_hi = win[1];
      if (!(win[0] < win[1]))
        fail (r, w, _("“window” must be [low, high] with low < high"));
    }
  s->has_crosshair = get_dvec (r, o, w, "crosshair_nm", s->crosshair_nm, 3);
  JsonNode *n = member (r, o, w, "camera", FALSE);
  if (!is_null (n))
    {
      if (!JSON_NODE_HOLDS_OBJECT (n))
        {
          fail (r, w, _("“camera” must be an object"));
          return;
        }
      JsonObject *cam = json_node_get_object (n);
      static const char *const cam_keys[] = { "rotation", "target_nm", "zoom", "perspective", "fov_y", NULL };
      check_keys (r, cam, "view.camera", cam_keys);
      s->has_camera = TRUE;
      if (!get_dvec (r, cam, "view.camera", "rotation", s->camera_rotation, 4))
        fail (r, "view.camera", _("“rotation” is missing"));
      double norm = 0;
      for (int i = 0; i < 4; i++)
        norm += s->camera_rotation[i] * s->camera_rotation[i];
      if (!r->failed && fabs (norm - 1.0) > 1e-3)
        fail (r, "view.camera", _("“rotation” must be a unit quaternion"));
      if (!get_dvec (r, cam, "view.camera", "target_nm", s->camera_target_nm, 3))
        fail (r, "view.camera", _("“target_nm” is missing"));
      s->camera_zoom = get_double (r, cam, "view.camera", "zoom", 1e-6, 1e6, 1.0);
      s->camera_perspective = get_bool (r, cam, "view.camera", "perspective", FALSE);
      s->camera_fov_y = get_double (r, cam, "view.camera", "fov_y", 1e-3, 3.1, 0.5);
    }
}

PsSession *
ps_session_parse (const char *data, gsize len, const char *name, const char *base_dir, GError **error)
{
  Reader r = { name ? name : "session", base_dir, error, FALSE };
  if (len > PS_SESSION_MAX_BYTES)
    {
      g_set_error (error, PS_ERROR, PS_ERROR_CODE_TOO_LARGE, _("%s: too large for a session file"), r.name);
      return NULL;
    }
  if (memchr (data, '\0', len) != NULL || !g_utf8_validate (data, (gssize) len, NULL))
    {
      g_set_error (error, PS_ERROR, PS_ERROR_CODE_CORRUPT_FILE, _("%s: not a session file (not UTF-8 text)"), r.name);
      return NULL;
    }
  /* json-glib parses recursively: bound the nesting first (a session is
   * 4 levels deep; a hostile `[[[[…` must not exhaust the stack). */
  int depth = 0;
  gboolean in_string = FALSE;
  for (gsize i = 0; i < len; i++)
    {
      char c = data[i];
      if (in_string)
        {
          if (c == '\\' && i + 5 < len && g_ascii_strncasecmp (data + i + 1, "u0000", 5) == 0)
            {
              /* json-glib would silently cut the string there. */
              g_set_error (error, PS_ERROR, PS_ERROR_CODE_CORRUPT_FILE, _("%s: not a session file (a NUL character)"),
                           r.name);
              return NULL;
            }
          if (c == '\\')
            i++;
          else if (c == '"')
            in_string = FALSE;
        }
      else if (c == '"')
        in_string = TRUE;
      else if ((c == '[' || c == '{') && ++depth > 32)
        {
          g_set_error (error, PS_ERROR, PS_ERROR_CODE_CORRUPT_FILE, _("%s: not a session file (nested too deeply)"),
                       r.name);
          return NULL;
        }
      else if (c == ']' || c == '}')
        depth--;
    }
  g_autoptr(JsonParser) parser = json_parser_new_immutable ();
  g_autoptr(GError) local = NULL;
  if (!json_parser_load_from_data (parser, data, (gssize) len, &local))
    {
      g_set_error (error, PS_ERROR, PS_ERROR_CODE_CORRUPT_FILE, _("%s: not a session file (%s)"), r.name,
                   local->message);
      return NULL;
    }
  JsonNode *root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    {
      g_set_error (error, PS_ERROR, PS_ERROR_CODE_CORRUPT_FILE, _("%s: not a session file (no JSON object)"), r.name);
      return NULL;
    }
  JsonObject *o = json_node_get_object (root);
  JsonNode *fmt = json_object_get_member (o, "format");
  if (fmt == NULL || !JSON_NODE_HOLDS_VALUE (fmt) || json_node_get_value_type (fmt) != G_TYPE_STRING
      || !g_str_equal (json_node_get_string (fmt), PS_SESSION_FORMAT))
    {
      g_set_error (error, PS_ERROR, PS_ERROR_CODE_UNSUPPORTED_FORMAT,
                   _("%s: not a Porescope session (no \"format\": \"%s\")"), r.name, PS_SESSION_FORMAT);
      return NULL;
    }
  gint64 version = get_int (&r, o, NULL, "version", 1, G_MAXINT, 0);
  if (r.failed)
    return NULL;
  if (version > PS_SESSION_VERSION)
    {
      g_autofree char *v = g_strdup_printf ("%" G_GINT64_FORMAT, version);
      g_set_error (error, PS_ERROR, PS_ERROR_CODE_UNSUPPORTED_FORMAT,
                   _("%s: session format version %s was written by a newer Porescope "
                     "(this one reads version %d)"), r.name, v, PS_SESSION_VERSION);
      return NULL;
    }
  static const char *const known[] = { "format", "version", "program_version", "data", "reconstruction",
                                       "analysis", "view", NULL };
  check_keys (&r, o, NULL, known);
  get_string (&r, o, NULL, "program_version");

  PsSession *s = ps_session_new ();
  JsonObject *sub;
  if ((sub = get_object (&r, o, "data", TRUE)) != NULL)
    read_data (&r, s, sub);
  if (!r.failed && (sub = get_object (&r, o, "reconstruction", FALSE)) != NULL)
    read_reconstruction (&r, s, sub);
  if (!r.failed && (sub = get_object (&r, o, "analysis", FALSE)) != NULL)
    read_analysis (&r, s, sub);
  if (!r.failed && (sub = get_object (&r, o, "view", FALSE)) != NULL)
    read_view (&r, s, sub);
  if (r.failed)
    {
      ps_session_free (s);
      return NULL;
    }
  return s;
}

PsSession *
ps_session_load (const char *path, GError **error)
{
  g_autoptr(GFile) file = g_file_new_for_path (path);
  g_autoptr(GFileInfo) info = g_file_query_info (file, G_FILE_ATTRIBUTE_STANDARD_SIZE "," G_FILE_ATTRIBUTE_STANDARD_TYPE,
                                                 G_FILE_QUERY_INFO_NONE, NULL, NULL);
  if (info != NULL && g_file_info_get_file_type (info) == G_FILE_TYPE_REGULAR
      && g_file_info_get_size (info) > (goffset) PS_SESSION_MAX_BYTES)
    {
      g_set_error (error, PS_ERROR, PS_ERROR_CODE_TOO_LARGE, _("%s: too large for a session file"), path);
      return NULL;
    }
  g_autofree char *data = NULL;
  gsize len = 0;
  GError *local = NULL;
  if (!g_file_get_contents (path, &data, &len, &local))
    {
      /* GLib's message names the file already. */
      g_propagate_error (error, local);
      return NULL;
    }
  g_autofree char *abs = g_canonicalize_filename (path, NULL);
  g_autofree char *dir = g_path_get_dirname (abs);
  return ps_session_parse (data, len, path, dir, error);
}
