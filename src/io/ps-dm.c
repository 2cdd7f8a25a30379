/* SPDX-License-Identifier: GPL-3.0-or-later */
/* ps-dm.c: Gatan DigitalMicrograph DM3/DM4 images (read only).
 *
 * A DM file is a tree of tags. Header: version (3 or 4), root length, byte
 * order of the data (1 = little-endian), all big-endian; DM4 widens lengths
 * and counts to 8 bytes. A group: sorted, open, number of tags. A tag: kind
 * (20 group, 21 data), name length (2 bytes BE), name, [DM4: 8-byte tag
 * length], and for data "%%%%", the number of type words and the type words
 * (BE), then the value in the file's data byte order. Type words: a simple
 * type (2 i16, 3 i32, 4 u16, 5 u32, 6 f32, 7 f64, 8 bool, 9 char, 10 u8,
 * 11 i64, 12 u64), 18 string (+ length in UTF-16 units), 15 struct (+ name
 * length, field count, (name length, type) per field), or 20 array (+ element
 * type, or a struct description, then the count).
 *
 * Images live under ImageList/<n>/ImageData: Data (an array), DataType,
 * Dimensions (one integer per axis), Calibrations/Dimension/<axis> with
 * Origin, Scale, Units; calibrated = (index − origin) · scale. We take the
 * largest image (the first is usually a thumbnail). For a 3D stack whose
 * third axis is calibrated in degrees, those are the tilt angles.
 */
#define G_LOG_DOMAIN "ps-dm"

#include "config.h"

#include <gio/gio.h>
#include <glib/gi18n-lib.h>
#include <math.h>
#include <string.h>

#include "ps-error.h"
#include "ps-io-private.h"
#include "ps-memory.h"
#include "ps-size.h"

#define MAX_DEPTH   64
#define MAX_TAGS    (1u << 22)
#define MAX_INFO    (1u << 16)
#define MAX_DM_FILE ((gsize) 1 << 40)

typedef struct DmNode DmNode;
struct DmNode
{
  char *name;          /* NULL for unnamed (list) entries */
  gboolean is_group;
  GPtrArray *children; /* DmNode*, groups only */
  guint64 *info;       /* data only */
  gsize n_info;
  gsize offset, size;  /* data bytes */
};

typedef struct
{
  const guint8 *data;
  gsize len, pos;
  int version;         /* 3 or 4 */
  gboolean data_le;    /* byte order of tag values and image data */
  guint n_tags;
  const char *name;
  GError **error;
} DmReader;

static void
dm_node_free (DmNode *n)
{
  if (n == NULL)
    return;
  g_free (n->name);
  if (n->children)
    g_ptr_array_unref (n->children);
  g_free (n->info);
  g_free (n);
}

static gboolean
corrupt (DmReader *r, const char *what)
{
  if (r->error != NULL && *r->error == NULL)
    g_set_error (r->error, PS_ERROR, PS_ERROR_CODE_CORRUPT_FILE,
                 _("%s: corrupt DM file (%s at byte %zu)"), r->name, what, r->pos);
  return FALSE;
}

static gboolean
rd_be (DmReader *r, gsize bytes, guint64 *out)
{
  if (bytes > r->len || r->pos > r->len - bytes)
    return corrupt (r, "unexpected end");
  guint64 v = 0;
  for (gsize i = 0; i < bytes; i++)
    v = (v << 8) | r->data[r->pos + i];
  r->pos += bytes;
  *out = v;
  return TRUE;
}

static gsize
simple_size (guint64 t)
{
  switch (t)
    {
    case 2: case 4: return 2;
    case 3: case 5: case 6: return 4;
    case 7: case 11: case 12: return 8;
    case 8: case 9: case 10: return 1;
    default: return 0;
    }
}

/* Size in bytes of the value described by info[from..]; 0 on error. */
static gboolean
value_size (const guint64 *info, gsize n, gsize *size)
{
  guint64 t;
  if (n == 0)
    return FALSE;
  t = info[0];
  if (simple_size (t))
    {
      *size = simple_size (t);
      return TRUE;
    }
  if (t == 18)
    {
      if (n < 2 || info[1] > G_MAXUINT32)
        return FALSE;
      *size = (gsize) info[1] * 2;
      return TRUE;
    }
  if (t == 15)
    {
      if (n < 3 || info[2] > MAX_INFO || 3 + 2 * info[2] > n)
        return FALSE;
      gsize s = 0;
      for (guint64 f = 0; f < info[2]; f++)
        {
          gsize fs = simple_size (info[3 + 2 * f + 1]);
          if (fs == 0)
            return FALSE;
          s += fs;
        }
      *size = s;
      return TRUE;
    }
  if (t == 20)
    {
      gsize elem, count_at;
      if (n < 3)
        return FALSE;
      if (info[1] == 15)
        {
          if (n < 4 || info[3] > MAX_INFO || 4 + 2 * info[3] >= n)
            return FALSE;
          elem = 0;
          for (guint64 f = 0; f < info[3]; f++)
            {
              gsize fs = simple_size (info[4 + 2 * f + 1]);
              if (fs == 0)
                return FALSE;
              elem += fs;
            }
          count_at = 4 + 2 * (gsize) info[3];
        }
      else
        {
          elem = simple_size (info[1]);
          if (elem == 0)
            return FALSE;
          count_at = 2;
        }
      if (count_at >= n || info[count_at] > ((guint64) 1 << 50))
        return FALSE;
      return ps_size_mul (elem, (gsize) info[count_at], size);
    }
  return FALSE;
}

static gboolean read_group (DmReader *r, DmNode *group, int depth);

static gboolean
read_tag (DmReader *r, DmNode *parent, int depth)
{
  guint64 kind, name_len, tmp;
  DmNode *node;
  gsize wide = r->version == 4 ? 8 : 4;

  if (++r->n_tags > MAX_TAGS)
    return corrupt (r, "too many tags");
  if (!rd_be (r, 1, &kind) || !rd_be (r, 2, &name_len))
    return FALSE;
  if (kind == 0)
    return TRUE; /* end marker some writers emit */
  if (kind != 20 && kind != 21)
    return corrupt (r, "unknown tag kind");
  if (name_len > r->len - r->pos)
    return corrupt (r, "tag name past the end");
  node = g_new0 (DmNode, 1);
  if (name_len > 0)
    node->name = g_strndup ((const char *) r->data + r->pos, name_len);
  r->pos += name_len;
  g_ptr_array_add (parent->children, node);
  if (r->version == 4 && !rd_be (r, 8, &tmp))
    return FALSE;
  if (kind == 20)
    {
      node->is_group = TRUE;
      node->children = g_ptr_array_new_with_free_func ((GDestroyNotify) dm_node_free);
      return read_group (r, node, depth + 1);
    }
  if (r->pos + 4 > r->len || memcmp (r->data + r->pos, "%%%%", 4) != 0)
    return corrupt (r, "missing %%%% before tag data");
  r->pos += 4;
  guint64 n_info;
  if (!rd_be (r, wide, &n_info))
    return FALSE;
  if (n_info == 0 || n_info > MAX_INFO)
    return corrupt (r, "bad type description");
  node->info = g_new (guint64, n_info);
  node->n_info = (gsize) n_info;
  for (gsize i = 0; i < n_info; i++)
    if (!rd_be (r, wide, &node->info[i]))
      return FALSE;
  if (!value_size (node->info, node->n_info, &node->size))
    return corrupt (r, "unknown data type");
  if (node->size > r->len - r->pos)
    return corrupt (r, "tag data past the end");
  node->offset = r->pos;
  r->pos += node->size;
  return TRUE;
}

static gboolean
read_group (DmReader *r, DmNode *group, int depth)
{
  guint64 sorted, open, n;
  if (depth > MAX_DEPTH)
    return corrupt (r, "tags nested too deeply");
  if (!rd_be (r, 1, &sorted) || !rd_be (r, 1, &open) || !rd_be (r, r->version == 4 ? 8 : 4, &n))
    return FALSE;
  if (n > MAX_TAGS)
    return corrupt (r, "too many tags");
  for (guint64 i = 0; i < n; i++)
    if (!read_tag (r, group, depth))
      return FALSE;
  return TRUE;
}

static DmNode *
child (const DmNode *n, const char *name)
{
  if (n == NULL || !n->is_group)
    return NULL;
  for (guint i = 0; i < n->children->len; i++)
    {
      DmNode *c = g_ptr_array_index (n->children, i);
      if (c->name != NULL && g_str_equal (c->name, name))
        return c;
    }
  return NULL;
}

static DmNode *
path (const DmNode *n, const char *const *names)
{
  for (; *names != NULL && n != NULL; names++)
    n = child (n, *names);
  return (DmNode *) n;
}

/* A simple numeric value as double. */
static gboolean
number (const DmReader *r, const DmNode *n, double *out)
{
  if (n == NULL || n->is_group || n->n_info != 1 || simple_size (n->info[0]) == 0)
    return FALSE;
  const guint8 *p = r->data + n->offset;
  gsize s = simple_size (n->info[0]);
  guint64 u = 0;
  for (gsize i = 0; i < s; i++)
    u |= (guint64) p[i] << (r->data_le ? 8 * i : 8 * (s - 1 - i));
  switch (n->info[0])
    {
    case 2: *out = (gint16) u; break;
    case 3: *out = (gint32) u; break;
    case 4: *out = (guint16) u; break;
    case 5: *out = (guint32) u; break;
    case 6: { guint32 v = (guint32) u; float f; memcpy (&f, &v, 4); *out = f; } break;
    case 7: { double d; memcpy (&d, &u, 8); *out = d; } break;
    case 8: case 10: *out = (guint8) u; break;
    case 9: *out = (gint8) u; break;
    case 11: *out = (double) (gint64) u; break;
    case 12: *out = (double) u; break;
    default: return FALSE;
    }
  return TRUE;
}

/* A string stored as an array of UTF-16 units (type 4) or type 18. */
static char *
string_value (const DmReader *r, const DmNode *n)
{
  gsize units;
  if (n == NULL || n->is_group)
    return NULL;
  if (n->n_info == 3 && n->info[0] == 20 && n->info[1] == 4)
    units = (gsize) n->info[2];
  else if (n->n_info == 2 && n->info[0] == 18)
    units = (gsize) n->info[1];
  else
    return NULL;
  gunichar2 *u = g_new (gunichar2, units + 1);
  for (gsize i = 0; i < units; i++)
    {
      const guint8 *p = r->data + n->offset + 2 * i;
      u[i] = r->data_le ? (gunichar2) (p[0] | p[1] << 8) : (gunichar2) (p[0] << 8 | p[1]);
    }
  u[units] = 0;
  char *s = g_utf16_to_utf8 (u, (glong) units, NULL, NULL, NULL);
  g_free (u);
  return s;
}

typedef struct
{
  const DmNode *data;
  gsize dims[3];
  int n_dims;
  gint64 data_type;
  PsDType dtype;
  gsize count;
  const DmNode *image_data;
} DmImage;

static PsDType
array_dtype (guint64 elem)
{
  switch (elem)
    {
    case 2: return PS_DTYPE_I16;
    case 3: return PS_DTYPE_I32;
    case 4: return PS_DTYPE_U16;
    case 5: return PS_DTYPE_U32;
    case 6: return PS_DTYPE_F32;
    case 7: return PS_DTYPE_F64;
    case 9: return PS_DTYPE_I8;
    case 8: case 10: return PS_DTYPE_U8;
    default: return PS_DTYPE_UNKNOWN;
    }
}

static gboolean
find_image (const DmReader *r, const DmNode *root, DmImage *best, GError **error, const char *name)
{
  const DmNode *list = child (root, "ImageList");
  gboolean found = FALSE, colour = FALSE;

  memset (best, 0, sizeof *best);
  if (list == NULL || !list->is_group)
    {
      g_set_error (error, PS_ERROR, PS_ERROR_CODE_CORRUPT_FILE, _("%s: DM file without an image list"), name);
      return FALSE;
    }
  for (guint i = 0; i < list->children->len; i++)
    {
      const DmNode *entry = g_ptr_array_index (list->children, i);
      const DmNode *idata = child (entry, "ImageData");
      const DmNode *data = child (idata, "Data");
      const DmNode *dims = child (idata, "Dimensions");
      double dt = 0;
      DmImage im = { 0 };

      if (data == NULL || dims == NULL || !dims->is_group || data->is_group || data->n_info != 3 ||
          data->info[0] != 20)
        continue;
      number (r, child (idata, "DataType"), &dt);
      im.data_type = (gint64) dt;
      if (im.data_type == 3 || im.data_type == 5 || im.data_type == 13 || im.data_type == 8 ||
          im.data_type == 23 || im.data_type == 4)
        {
          colour = TRUE; /* complex or RGB(A) */
          continue;
        }
      im.dtype = array_dtype (data->info[1]);
      if (im.dtype == PS_DTYPE_UNKNOWN)
        continue;
      im.n_dims = (int) MIN (dims->children->len, 3u);
      if (dims->children->len < 1 || dims->children->len > 3)
        continue;
      gsize count = 1;
      gboolean ok = TRUE;
      for (int d = 0; d < im.n_dims; d++)
        {
          double v;
          if (!number (r, g_ptr_array_index (dims->children, d), &v) || !(v >= 1) || v > (double) (1u << 30))
            ok = FALSE;
          else
            {
              im.dims[d] = (gsize) v;
              if (!ps_size_mul (count, im.dims[d], &count))
                ok = FALSE;
            }
        }
      for (int d = im.n_dims; d < 3; d++)
        im.dims[d] = 1;
      if (!ok || count != (gsize) data->info[2])
        continue;
      im.count = count;
      im.data = data;
      im.image_data = idata;
      if (!found || im.count > best->count)
        *best = im;
      found = TRUE;
    }
  if (!found)
    {
      if (colour)
        g_set_error (error, PS_ERROR, PS_ERROR_CODE_UNSUPPORTED_FORMAT,
                     _("%s: the DM image is complex or RGB; Porescope reads real grayscale images only"), name);
      else
        g_set_error (error, PS_ERROR, PS_ERROR_CODE_CORRUPT_FILE, _("%s: no readable image in the DM file"), name);
      return FALSE;
    }
  return TRUE;
}

PsVolume *
ps_dm_load_from_bytes (const guint8 *data, gsize len, const char *name, PsFileInfo **info_out, GError **error)
{
  DmReader r = { data, len, 0, 0, TRUE, 0, name, error };
  DmNode root = { 0 };
  DmImage im;
  guint64 version, rootlen, order;
  PsVolume *vol = NULL;
  PsFileInfo *info = NULL;
  PsStatus st;

  root.is_group = TRUE;
  root.children = g_ptr_array_new_with_free_func ((GDestroyNotify) dm_node_free);
  if (!rd_be (&r, 4, &version) || (version != 3 && version != 4))
    {
      g_clear_error (error);
      g_set_error (error, PS_ERROR, PS_ERROR_CODE_UNSUPPORTED_FORMAT, _("%s: not a DM3/DM4 file"), name);
      goto out;
    }
  r.version = (int) version;
  if (!rd_be (&r, version == 4 ? 8 : 4, &rootlen) || !rd_be (&r, 4, &order))
    goto out;
  r.data_le = order == 1;
  if (!read_group (&r, &root, 0))
    goto out;
  if (!find_image (&r, &root, &im, error, name))
    goto out;

  info = _ps_file_info_new (PS_FORMAT_DM, version == 4 ? "DM4" : "DM3");
  info->file_size = len;
  {
    gsize bytes;
    if (!ps_size_voxels_bytes (im.dims[0], im.dims[1], im.dims[2], sizeof (float), &bytes) ||
        !_ps_check_alloc (bytes, name, error))
      goto out;
  }
  vol = ps_volume_new_uninit (im.dims[0], im.dims[1], im.dims[2], &st);
  if (vol == NULL)
    {
      ps_set_error_from_status (error, st, name);
      goto out;
    }
  _ps_convert_to_float (im.dtype, data + im.data->offset, im.count,
                        r.data_le != (G_BYTE_ORDER == G_LITTLE_ENDIAN), vol->data);
  info->dtype = im.dtype;
  info->nx = im.dims[0];
  info->ny = im.dims[1];
  info->nz = im.dims[2];
  info->details = g_strdup_printf ("%s data, DataType %" G_GINT64_FORMAT ", %d dimensions",
                                   r.data_le ? "little-endian" : "big-endian", im.data_type, im.n_dims);

  /* Calibrations. */
  {
    static const char *const cal_path[] = { "Calibrations", "Dimension", NULL };
    const DmNode *cal = path (im.image_data, cal_path);
    double sp[3] = { 1, 1, 1 };
    gboolean known[3] = { FALSE, FALSE, FALSE };
    for (int d = 0; cal != NULL && cal->is_group && d < 3 && (guint) d < cal->children->len; d++)
      {
        const DmNode *c = g_ptr_array_index (cal->children, d);
        double scale = 0, origin = 0;
        g_autofree char *units = string_value (&r, child (c, "Units"));
        number (&r, child (c, "Scale"), &scale);
        number (&r, child (c, "Origin"), &origin);
        double per = _ps_unit_to_nm (units);
        if (per > 0 && isfinite (scale) && scale != 0)
          {
            sp[d] = fabs (scale) * per;
            known[d] = TRUE;
          }
        else if (d == 2 && units != NULL && im.dims[2] > 1 &&
                 (strstr (units, "deg") != NULL || strstr (units, "°") != NULL) && isfinite (scale) && scale != 0)
          {
            info->n_angles = im.dims[2];
            info->angles = g_new (double, im.dims[2]);
            for (gsize k = 0; k < im.dims[2]; k++)
              info->angles[k] = ((double) k - origin) * scale;
            _ps_file_info_note (info, _("Tilt angles from the third axis' calibration: %g° to %g° in steps of %g°."),
                                info->angles[0], info->angles[im.dims[2] - 1], scale);
          }
      }
    if (known[0])
      {
        if (!known[1])
          sp[1] = sp[0];
        if (!known[2])
          sp[2] = sp[0];
        ps_volume_set_spacing (vol, sp[0], sp[1], sp[2]);
        info->spacing_source = g_strdup (_("DM calibration"));
      }
    else
      info->spacing_source = g_strdup (_("none in the file; assuming 1 nm"));
  }
  memcpy (info->spacing, vol->spacing, sizeof info->spacing);
  info->spacing_known = vol->spacing_known;

out:
  g_ptr_array_unref (root.children);
  if (error != NULL && *error != NULL)
    {
      g_clear_pointer (&vol, ps_volume_unref);
      g_clear_pointer (&info, ps_file_info_free);
      return NULL;
    }
  if (vol == NULL)
    {
      g_clear_pointer (&info, ps_file_info_free);
      if (error != NULL && *error == NULL)
        g_set_error (error, PS_ERROR, PS_ERROR_CODE_CORRUPT_FILE, _("%s: corrupt DM file"), name);
      return NULL;
    }
  if (info_out)
    *info_out = info;
  else
    ps_file_info_free (info);
  return vol;
}

PsVolume *
ps_dm_load (const char *path, PsFileInfo **info, const PsProgress *progress, GError **error)
{
  gsize len;
  g_autofree guint8 *data = NULL;
  PsVolume *vol;

  data = _ps_read_file (path, MAX_DM_FILE, &len, error);
  if (data == NULL)
    return NULL;
  if (!_ps_check_alloc (len, path, error))
    return NULL;
  vol = ps_dm_load_from_bytes (data, len, path, info, error);
  if (vol != NULL)
    ps_progress_report (progress, 1.0, NULL);
  return vol;
}
