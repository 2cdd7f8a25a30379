/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "ps-io"

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <gio/gio.h>
#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>
#include <math.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ps-error.h"
#include "ps-half.h"
#include "ps-io-private.h"
#include "ps-memory.h"
#include "ps-stats.h"

const char *
ps_dtype_to_string (PsDType dtype)
{
  switch (dtype)
    {
    case PS_DTYPE_BIT: return "bit";
    case PS_DTYPE_U8: return "uint8";
    case PS_DTYPE_I8: return "int8";
    case PS_DTYPE_U16: return "uint16";
    case PS_DTYPE_I16: return "int16";
    case PS_DTYPE_U32: return "uint32";
    case PS_DTYPE_I32: return "int32";
    case PS_DTYPE_F16: return "float16";
    case PS_DTYPE_F32: return "float32";
    case PS_DTYPE_F64: return "float64";
    case PS_DTYPE_UNKNOWN:
    default: return "unknown";
    }
}

PsDType
ps_dtype_from_string (const char *text)
{
  static const struct { const char *name; PsDType dtype; } names[] = {
    { "u8", PS_DTYPE_U8 }, { "uint8", PS_DTYPE_U8 },
    { "i8", PS_DTYPE_I8 }, { "int8", PS_DTYPE_I8 },
    { "u16", PS_DTYPE_U16 }, { "uint16", PS_DTYPE_U16 },
    { "i16", PS_DTYPE_I16 }, { "int16", PS_DTYPE_I16 },
    { "u32", PS_DTYPE_U32 }, { "uint32", PS_DTYPE_U32 },
    { "i32", PS_DTYPE_I32 }, { "int32", PS_DTYPE_I32 },
    { "f16", PS_DTYPE_F16 }, { "float16", PS_DTYPE_F16 },
    { "f32", PS_DTYPE_F32 }, { "float32", PS_DTYPE_F32 }, { "float", PS_DTYPE_F32 },
    { "f64", PS_DTYPE_F64 }, { "float64", PS_DTYPE_F64 },
  };
  if (text == NULL)
    return PS_DTYPE_UNKNOWN;
  for (gsize i = 0; i < G_N_ELEMENTS (names); i++)
    if (g_ascii_strcasecmp (text, names[i].name) == 0)
      return names[i].dtype;
  return PS_DTYPE_UNKNOWN;
}

gsize
ps_dtype_size (PsDType dtype)
{
  switch (dtype)
    {
    case PS_DTYPE_U8: case PS_DTYPE_I8: return 1;
    case PS_DTYPE_U16: case PS_DTYPE_I16: case PS_DTYPE_F16: return 2;
    case PS_DTYPE_U32: case PS_DTYPE_I32: case PS_DTYPE_F32: return 4;
    case PS_DTYPE_F64: return 8;
    case PS_DTYPE_BIT: case PS_DTYPE_UNKNOWN: default: return 0;
    }
}

/* ---- conversion ---------------------------------------------------------- */

#define CONVERT_LOOP(T, SWAPFN)                                  \
  G_STMT_START {                                                 \
    const guint8 *s = src;                                       \
    for (gsize i = 0; i < n; i++)                                \
      {                                                          \
        T v;                                                     \
        memcpy (&v, s + i * sizeof (T), sizeof (T));             \
        if (swap) SWAPFN;                                        \
        dst[i] = (float) v;                                      \
      }                                                          \
  } G_STMT_END

void
_ps_convert_to_float (PsDType dtype, const void *src, gsize n, gboolean swap, float *dst)
{
  switch (dtype)
    {
    case PS_DTYPE_U8: CONVERT_LOOP (guint8, (void) 0); break;
    case PS_DTYPE_I8: CONVERT_LOOP (gint8, (void) 0); break;
    case PS_DTYPE_U16: CONVERT_LOOP (guint16, v = GUINT16_SWAP_LE_BE (v)); break;
    case PS_DTYPE_I16: CONVERT_LOOP (gint16, v = (gint16) GUINT16_SWAP_LE_BE ((guint16) v)); break;
    case PS_DTYPE_U32: CONVERT_LOOP (guint32, v = GUINT32_SWAP_LE_BE (v)); break;
    case PS_DTYPE_I32: CONVERT_LOOP (gint32, v = (gint32) GUINT32_SWAP_LE_BE ((guint32) v)); break;
    case PS_DTYPE_F16:
      {
        const guint8 *s = src;
        for (gsize i = 0; i < n; i++)
          {
            guint16 h;
            memcpy (&h, s + 2 * i, 2);
            if (swap) h = GUINT16_SWAP_LE_BE (h);
            dst[i] = ps_half_to_float (h);
          }
      }
      break;
    case PS_DTYPE_F32:
      if (!swap)
        {
          memcpy (dst, src, n * sizeof (float));
          break;
        }
      {
        const guint8 *s = src;
        for (gsize i = 0; i < n; i++)
          {
            guint32 u;
            memcpy (&u, s + 4 * i, 4);
            if (swap) u = GUINT32_SWAP_LE_BE (u);
            memcpy (&dst[i], &u, 4);
          }
      }
      break;
    case PS_DTYPE_F64:
      {
        const guint8 *s = src;
        for (gsize i = 0; i < n; i++)
          {
            guint64 u;
            double d;
            memcpy (&u, s + 8 * i, 8);
            if (swap) u = GUINT64_SWAP_LE_BE (u);
            memcpy (&d, &u, 8);
            dst[i] = (float) d;
          }
      }
      break;
    case PS_DTYPE_BIT:
    case PS_DTYPE_UNKNOWN:
    default:
      memset (dst, 0, n * sizeof (float));
      break;
    }
}

gboolean
_ps_convert_to_u32 (PsDType dtype, const void *src, gsize n, gboolean swap, guint32 *dst)
{
  const guint8 *s = src;
  for (gsize i = 0; i < n; i++)
    {
      gint64 v;
      switch (dtype)
        {
        case PS_DTYPE_U8: v = s[i]; break;
        case PS_DTYPE_I8: v = (gint8) s[i]; break;
        case PS_DTYPE_U16: { guint16 t; memcpy (&t, s + 2 * i, 2); if (swap) t = GUINT16_SWAP_LE_BE (t); v = t; } break;
        case PS_DTYPE_I16: { guint16 t; memcpy (&t, s + 2 * i, 2); if (swap) t = GUINT16_SWAP_LE_BE (t); v = (gint16) t; } break;
        case PS_DTYPE_U32: { guint32 t; memcpy (&t, s + 4 * i, 4); if (swap) t = GUINT32_SWAP_LE_BE (t); v = t; } break;
        case PS_DTYPE_I32: { guint32 t; memcpy (&t, s + 4 * i, 4); if (swap) t = GUINT32_SWAP_LE_BE (t); v = (gint32) t; } break;
        case PS_DTYPE_F32:
          {
            guint32 t;
            float f;
            memcpy (&t, s + 4 * i, 4);
            if (swap) t = GUINT32_SWAP_LE_BE (t);
            memcpy (&f, &t, 4);
            if (!(f >= 0 && f <= 4294967295.0f) || f != floorf (f))
              return FALSE;
            v = (gint64) f;
          }
          break;
        default:
          return FALSE;
        }
      if (v < 0 || v > G_MAXUINT32)
        return FALSE;
      dst[i] = (guint32) v;
    }
  return TRUE;
}

static void
dtype_range (PsDType dtype, double *lo, double *hi)
{
  switch (dtype)
    {
    case PS_DTYPE_U8: *lo = 0; *hi = 255; break;
    case PS_DTYPE_I8: *lo = -128; *hi = 127; break;
    case PS_DTYPE_U16: *lo = 0; *hi = 65535; break;
    case PS_DTYPE_I16: *lo = -32768; *hi = 32767; break;
    case PS_DTYPE_U32: *lo = 0; *hi = 4294967295.0; break;
    case PS_DTYPE_I32: *lo = -2147483648.0; *hi = 2147483647.0; break;
    default: *lo = -INFINITY; *hi = INFINITY; break;
    }
}

static gboolean
dtype_is_integer (PsDType dtype)
{
  return dtype == PS_DTYPE_U8 || dtype == PS_DTYPE_I8 || dtype == PS_DTYPE_U16 ||
         dtype == PS_DTYPE_I16 || dtype == PS_DTYPE_U32 || dtype == PS_DTYPE_I32;
}

void
_ps_sample_map_plan (const PsVolume *vol, PsDType dtype, gboolean rescale, PsSampleMap *map)
{
  PsStats st;
  gsize n = ps_volume_n_voxels (vol);
  gboolean all_integer = TRUE;

  memset (map, 0, sizeof *map);
  map->scale = 1.0;
  map->offset = 0.0;
  dtype_range (dtype, &map->lo, &map->hi);
  if (!dtype_is_integer (dtype))
    return;

  ps_stats_volume (vol, NULL, &st);
  map->n_nonfinite = st.n_nonfinite;
  map->in_min = st.min;
  map->in_max = st.max;
  if (st.n == 0)
    return;
  for (gsize i = 0; i < n && all_integer; i++)
    {
      float v = vol->data[i];
      if (isfinite (v) && v != floorf (v))
        all_integer = FALSE;
    }
  if (all_integer && st.min >= map->lo && st.max <= map->hi)
    return; /* exact copy */
  if (!rescale)
    {
      /* Identity with rounding; count what must be clamped. */
      for (gsize i = 0; i < n; i++)
        {
          float v = vol->data[i];
          if (isfinite (v) && (v < map->lo - 0.5 || v > map->hi + 0.5))
            map->n_clamped++;
        }
      return;
    }
  /* Linear map [min, max] → [lo, hi] (for 32-bit types a 16-bit span is
   * plenty and keeps values exact in float). */
  double hi = map->hi, lo = map->lo;
  if (dtype == PS_DTYPE_U32 || dtype == PS_DTYPE_I32)
    {
      lo = 0;
      hi = 65535;
    }
  if (st.max > st.min)
    {
      map->scale = (hi - lo) / (st.max - st.min);
      map->offset = lo - st.min * map->scale;
    }
  else
    {
      map->scale = 0;
      map->offset = lo;
    }
  map->rescaled = TRUE;
}

#define APPLY_INT(T)                                             \
  G_STMT_START {                                                 \
    T *d = dst;                                                  \
    for (gsize i = 0; i < n; i++)                                \
      {                                                          \
        double v = src[i];                                       \
        if (!isfinite (v)) { d[i] = 0; continue; }               \
        v = v * map->scale + map->offset;                        \
        v = nearbyint (v);                                       \
        if (v < map->lo) v = map->lo;                            \
        if (v > map->hi) v = map->hi;                            \
        d[i] = (T) v;                                            \
      }                                                          \
  } G_STMT_END

void
_ps_sample_map_apply (const PsSampleMap *map, PsDType dtype, const float *src, gsize n, void *dst)
{
  switch (dtype)
    {
    case PS_DTYPE_U8: APPLY_INT (guint8); break;
    case PS_DTYPE_I8: APPLY_INT (gint8); break;
    case PS_DTYPE_U16: APPLY_INT (guint16); break;
    case PS_DTYPE_I16: APPLY_INT (gint16); break;
    case PS_DTYPE_U32: APPLY_INT (guint32); break;
    case PS_DTYPE_I32: APPLY_INT (gint32); break;
    case PS_DTYPE_F16:
      {
        guint16 *d = dst;
        for (gsize i = 0; i < n; i++)
          d[i] = ps_float_to_half (src[i]);
      }
      break;
    case PS_DTYPE_F64:
      {
        double *d = dst;
        for (gsize i = 0; i < n; i++)
          d[i] = src[i];
      }
      break;
    case PS_DTYPE_F32:
    default:
      memcpy (dst, src, n * sizeof (float));
      break;
    }
}

/* ---- file info ------------------------------------------------------------ */

PsFileInfo *
_ps_file_info_new (PsFileFormat format, const char *format_name)
{
  PsFileInfo *info = g_new0 (PsFileInfo, 1);
  info->format = format;
  info->format_name = g_strdup (format_name);
  info->notes = g_ptr_array_new_with_free_func (g_free);
  info->spacing[0] = info->spacing[1] = info->spacing[2] = 1.0;
  return info;
}

void
_ps_file_info_note (PsFileInfo *info, const char *format, ...)
{
  va_list args;
  if (info == NULL)
    return;
  va_start (args, format);
  g_ptr_array_add (info->notes, g_strdup_vprintf (format, args));
  va_end (args);
}

void
ps_file_info_free (PsFileInfo *info)
{
  if (info == NULL)
    return;
  g_free (info->format_name);
  g_free (info->details);
  g_free (info->spacing_source);
  g_clear_pointer (&info->notes, g_ptr_array_unref);
  g_free (info->angles);
  g_free (info);
}

/* ---- units ------------------------------------------------------------------ */

double
_ps_unit_to_nm (const char *unit)
{
  g_autofree char *u = NULL;
  if (unit == NULL)
    return 0;
  u = g_strstrip (g_strdup (unit));
  /* ImageJ writes µ as the escape \u00B5 in its description. */
  if (g_str_equal (u, "nm") || g_ascii_strcasecmp (u, "nanometer") == 0 ||
      g_ascii_strcasecmp (u, "nanometers") == 0 || g_ascii_strcasecmp (u, "nanometre") == 0 ||
      g_ascii_strcasecmp (u, "nanometres") == 0)
    return 1.0;
  if (g_str_equal (u, "um") || g_str_equal (u, "µm") || g_str_equal (u, "μm") ||
      g_str_equal (u, "\\u00B5m") || g_str_equal (u, "\xb5m") || g_ascii_strcasecmp (u, "micron") == 0 ||
      g_ascii_strcasecmp (u, "microns") == 0 || g_ascii_strcasecmp (u, "micrometer") == 0 ||
      g_ascii_strcasecmp (u, "micrometre") == 0)
    return 1000.0;
  if (g_str_equal (u, "A") || g_str_equal (u, "Å") || g_str_equal (u, "\\u00C5") ||
      g_str_equal (u, "\xc5") || g_ascii_strcasecmp (u, "angstrom") == 0 ||
      g_ascii_strcasecmp (u, "angstroms") == 0 || g_str_equal (u, "Å"))
    return 0.1;
  if (g_str_equal (u, "mm") || g_ascii_strcasecmp (u, "millimeter") == 0 || g_ascii_strcasecmp (u, "millimetre") == 0)
    return 1e6;
  if (g_str_equal (u, "cm") || g_ascii_strcasecmp (u, "centimeter") == 0 || g_ascii_strcasecmp (u, "centimetre") == 0)
    return 1e7;
  if (g_str_equal (u, "m") || g_ascii_strcasecmp (u, "meter") == 0 || g_ascii_strcasecmp (u, "metre") == 0)
    return 1e9;
  if (g_ascii_strcasecmp (u, "inch") == 0 || g_ascii_strcasecmp (u, "inches") == 0 || g_str_equal (u, "in"))
    return 2.54e7;
  if (g_str_equal (u, "pm") || g_ascii_strcasecmp (u, "picometer") == 0)
    return 1e-3;
  return 0;
}

/* ---- files ------------------------------------------------------------------ */

gboolean
_ps_check_alloc (gsize bytes, const char *what, GError **error)
{
  if (ps_memory_check (bytes) != PS_OK)
    return ps_set_error_too_large (error, what, bytes);
  return TRUE;
}

guint8 *
_ps_read_file (const char *path, gsize max_bytes, gsize *len, GError **error)
{
  int fd = g_open (path, O_RDONLY | O_CLOEXEC, 0);
  struct stat st;
  guint8 *buf;
  gsize done = 0;

  if (fd < 0)
    {
      int errsv = errno;
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errsv), "%s: %s", path, g_strerror (errsv));
      return NULL;
    }
  if (fstat (fd, &st) != 0 || !S_ISREG (st.st_mode))
    {
      close (fd);
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_REGULAR_FILE, _("%s: not a regular file"), path);
      return NULL;
    }
  if ((guint64) st.st_size > max_bytes)
    {
      close (fd);
      g_set_error (error, PS_ERROR, PS_ERROR_CODE_TOO_LARGE, _("%s: the file is too large (%lld bytes)"),
                   path, (long long) st.st_size);
      return NULL;
    }
  buf = g_try_malloc ((gsize) st.st_size + 1);
  if (buf == NULL)
    {
      close (fd);
      ps_set_error_too_large (error, path, (guint64) st.st_size);
      return NULL;
    }
  while (done < (gsize) st.st_size)
    {
      gssize n = read (fd, buf + done, (gsize) st.st_size - done);
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        {
          int errsv = n < 0 ? errno : EIO;
          close (fd);
          g_free (buf);
          g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errsv), "%s: %s", path, g_strerror (errsv));
          return NULL;
        }
      done += (gsize) n;
    }
  close (fd);
  buf[done] = 0;
  *len = done;
  return buf;
}

void
_ps_rational_approx (double value, guint32 *num, guint32 *den)
{
  /* Continued fractions; keep the last convergent that fits in 32 bits. */
  guint64 h0 = 0, h1 = 1, k0 = 1, k1 = 0;
  double x = value;

  if (!(value > 0) || !isfinite (value))
    {
      *num = 1;
      *den = 1;
      return;
    }
  for (int i = 0; i < 64; i++)
    {
      double a = floor (x);
      if (a > 4294967295.0)
        break;
      guint64 ai = (guint64) a;
      guint64 h2 = ai * h1 + h0, k2 = ai * k1 + k0;
      if (h2 > G_MAXUINT32 || k2 > G_MAXUINT32)
        break;
      h0 = h1; h1 = h2; k0 = k1; k1 = k2;
      double frac = x - a;
      if (frac < 1e-15 || fabs ((double) h1 / (double) k1 - value) <= value * 1e-15)
        break;
      x = 1.0 / frac;
    }
  if (h1 == 0 || k1 == 0)
    {
      /* value below 1/2^32 or above 2^32 */
      if (value < 1)
        { *num = 1; *den = G_MAXUINT32; }
      else
        { *num = G_MAXUINT32; *den = 1; }
      return;
    }
  *num = (guint32) h1;
  *den = (guint32) k1;
}

/* ---- buffered writer ---------------------------------------------------------- */

gboolean
_ps_buf_writer_flush (PsBufWriter *w)
{
  gsize done = 0;
  while (!w->failed && done < w->len)
    {
      gssize n = write (w->fd, w->buf + done, w->len - done);
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        {
          int errsv = n < 0 ? errno : ENOSPC;
          g_set_error (w->error, G_IO_ERROR, g_io_error_from_errno (errsv),
                       _("%s: write failed: %s"), w->path, g_strerror (errsv));
          w->failed = TRUE;
          break;
        }
      done += (gsize) n;
    }
  w->len = 0;
  return !w->failed;
}

void
_ps_buf_writer_put (PsBufWriter *w, const void *data, gsize len)
{
  const guint8 *p = data;
  while (len > 0 && !w->failed)
    {
      gsize n = MIN (len, w->cap - w->len);
      memcpy (w->buf + w->len, p, n);
      w->len += n;
      w->written += n;
      p += n;
      len -= n;
      if (w->len == w->cap)
        _ps_buf_writer_flush (w);
    }
}

void
_ps_buf_writer_pad (PsBufWriter *w, gsize align)
{
  static const guint8 zeros[64] = { 0 };
  gsize pad = (align - (gsize) (w->written % align)) % align;
  _ps_buf_writer_put (w, zeros, pad);
}

void _ps_buf_writer_u16 (PsBufWriter *w, guint16 v) { v = GUINT16_TO_LE (v); _ps_buf_writer_put (w, &v, 2); }
void _ps_buf_writer_u32 (PsBufWriter *w, guint32 v) { v = GUINT32_TO_LE (v); _ps_buf_writer_put (w, &v, 4); }
void _ps_buf_writer_u64 (PsBufWriter *w, guint64 v) { v = GUINT64_TO_LE (v); _ps_buf_writer_put (w, &v, 8); }
