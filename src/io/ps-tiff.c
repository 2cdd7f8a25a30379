/* SPDX-License-Identifier: GPL-3.0-or-later */
/* ps-tiff.c: TIFF stacks in and out.
 *
 * Reading goes through libtiff (every codec it decodes, strips and tiles,
 * both byte orders, BigTIFF), with per-handle error handlers that write into
 * the load's GError and a cap on libtiff's single allocations. Before we
 * allocate the volume, a first pass over all directories validates every
 * page (size, sample format, strip/tile extents inside the file, a plausible
 * compression ratio), so hostile files are refused cheaply.
 *
 * Writing does not use libtiff: ImageJ reads an ImageJ stack ("images=N" in
 * the description) by taking the first page's data offset and assuming the
 * N images follow contiguously, ignoring later IFDs. libtiff interleaves
 * image data and directories, which ImageJ would misread, so we lay the file
 * out ourselves the way ImageJ does: header, first-IFD extras, all image data
 * contiguous, then the directories. tifffile and libtiff read it too.
 */
#define G_LOG_DOMAIN "ps-tiff"

#include "config.h"

#include <inttypes.h>

#include <errno.h>
#include <fcntl.h>
#include <gio/gio.h>
#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>
#include <math.h>
#include <string.h>
#include <sys/stat.h>
#include <tiffio.h>
#include <unistd.h>

#include "ps-atomic-file.h"
#include "ps-error.h"
#include "ps-io-private.h"
#include "ps-memory.h"
#include "ps-size.h"
#include "ps-stats.h"

/* Limits that keep hostile files cheap to refuse. */
#define MAX_PAGES            (1u << 20)
#define MAX_STRILES_PER_PAGE (1u << 24)
#define MAX_CODEC_RATIO      10000.0    /* decoded / compressed bytes */
#define LIBTIFF_MAX_ALLOC    ((tmsize_t) 1 << 30)

/* ---- libtiff plumbing -------------------------------------------------------- */

typedef struct
{
  char *first_error;
} TiffLog;

static int
tiff_error_handler (TIFF *tif, void *user_data, const char *module, const char *fmt, va_list ap)
{
  TiffLog *log = user_data;
  if (log != NULL && log->first_error == NULL)
    log->first_error = g_strdup_vprintf (fmt, ap);
  return 1;
}

static int
tiff_warning_handler (TIFF *tif, void *user_data, const char *module, const char *fmt, va_list ap)
{
  return 1; /* swallow: warnings are about tags we do not use */
}

typedef struct
{
  const guint8 *data;
  gsize len;
  toff_t pos;
} MemSource;

static tmsize_t
mem_read (thandle_t h, void *buf, tmsize_t size)
{
  MemSource *m = (MemSource *) h;
  if (size < 0 || m->pos >= m->len)
    return 0;
  gsize n = MIN ((gsize) size, m->len - (gsize) m->pos);
  memcpy (buf, m->data + m->pos, n);
  m->pos += n;
  return (tmsize_t) n;
}

static tmsize_t
mem_write (thandle_t h, void *buf, tmsize_t size)
{
  return 0;
}

static toff_t
mem_seek (thandle_t h, toff_t off, int whence)
{
  MemSource *m = (MemSource *) h;
  guint64 base = whence == SEEK_SET ? 0 : whence == SEEK_CUR ? m->pos : m->len;
  guint64 np = base + off;
  if (whence != SEEK_SET && (gint64) off < 0 && (guint64) (-(gint64) off) > base)
    return (toff_t) -1;
  m->pos = np;
  return np;
}

static int
mem_close (thandle_t h)
{
  return 0;
}

static toff_t
mem_size (thandle_t h)
{
  return ((MemSource *) h)->len;
}

static int
mem_map (thandle_t h, void **base, toff_t *size)
{
  MemSource *m = (MemSource *) h;
  *base = (void *) m->data;
  *size = m->len;
  return 1;
}

static void
mem_unmap (thandle_t h, void *base, toff_t size)
{
}

static TIFFOpenOptions *
make_options (TiffLog *log)
{
  TIFFOpenOptions *opts = TIFFOpenOptionsAlloc ();
  TIFFOpenOptionsSetErrorHandlerExtR (opts, tiff_error_handler, log);
  TIFFOpenOptionsSetWarningHandlerExtR (opts, tiff_warning_handler, log);
  TIFFOpenOptionsSetMaxSingleMemAlloc (opts, LIBTIFF_MAX_ALLOC);
  return opts;
}

/* ---- reading ------------------------------------------------------------------ */

typedef struct
{
  guint64 dir_offset;
  guint32 width, height;
  guint16 bps, spp, format, photometric, planar, compression;
  gboolean tiled;
  guint32 tile_w, tile_h, rows_per_strip;
  gsize first_strile;        /* index into TiffRead.striles (raw pages only) */
  gboolean raw;              /* uncompressed whole-byte strips: read directly */
} PageInfo;

typedef struct
{
  guint64 offset, count;
} Strile;

typedef struct
{
  const char *name;          /* for messages */
  TIFF *tif;
  TiffLog *log;
  guint64 file_size;
  int fd;                    /* raw access for the ImageJ >4 GiB layout, or -1 */
  const guint8 *mem;         /* or raw access from memory */
  gsize mem_len;
  gboolean want_labels;
  PsFileInfo *info;
  GArray *pages;             /* PageInfo */
  GArray *striles;           /* Strile, recorded for raw pages in pass 1 */
  /* ImageJ description */
  gboolean imagej;
  char *ij_version;
  guint ij_images, ij_slices, ij_frames, ij_channels;
  double ij_spacing;
  char *ij_unit;
  /* outputs */
  float *fdata;
  guint32 *udata;
  gboolean label_range_error;
} TiffRead;

static gboolean
fail (GError **error, TiffRead *r, int code, const char *format, ...) G_GNUC_PRINTF (4, 5);

static gboolean
fail (GError **error, TiffRead *r, int code, const char *format, ...)
{
  va_list args;
  g_autofree char *msg = NULL;
  va_start (args, format);
  msg = g_strdup_vprintf (format, args);
  va_end (args);
  if (r->log->first_error != NULL && code == PS_ERROR_CODE_CORRUPT_FILE)
    g_set_error (error, PS_ERROR, code, "%s: %s (libtiff: %s)", r->name, msg, r->log->first_error);
  else
    g_set_error (error, PS_ERROR, code, "%s: %s", r->name, msg);
  return FALSE;
}

static const char *
photometric_name (guint16 p)
{
  switch (p)
    {
    case PHOTOMETRIC_MINISWHITE: return "MinIsWhite";
    case PHOTOMETRIC_MINISBLACK: return "MinIsBlack";
    case PHOTOMETRIC_RGB: return "RGB";
    case PHOTOMETRIC_PALETTE: return "palette";
    case PHOTOMETRIC_MASK: return "transparency mask";
    case PHOTOMETRIC_SEPARATED: return "CMYK";
    case PHOTOMETRIC_YCBCR: return "YCbCr";
    case PHOTOMETRIC_CIELAB: return "CIE L*a*b*";
    case PHOTOMETRIC_LOGL: return "LogL (HDR)";
    case PHOTOMETRIC_LOGLUV: return "LogLuv (HDR)";
    default: return "unknown";
    }
}

static const char *
compression_name (guint16 c)
{
  switch (c)
    {
    case COMPRESSION_NONE: return "uncompressed";
    case COMPRESSION_LZW: return "LZW";
    case COMPRESSION_ADOBE_DEFLATE: case COMPRESSION_DEFLATE: return "Deflate";
    case COMPRESSION_PACKBITS: return "PackBits";
    case COMPRESSION_JPEG: return "JPEG";
    case COMPRESSION_OJPEG: return "old-style JPEG";
    case COMPRESSION_CCITTRLE: case COMPRESSION_CCITTFAX3: case COMPRESSION_CCITTFAX4: return "CCITT fax";
    case COMPRESSION_ZSTD: return "Zstandard";
    case COMPRESSION_LZMA: return "LZMA";
    case COMPRESSION_WEBP: return "WebP";
    case COMPRESSION_JBIG: return "JBIG";
    case COMPRESSION_THUNDERSCAN: return "ThunderScan";
    case COMPRESSION_NEXT: return "NeXT";
    case COMPRESSION_SGILOG: case COMPRESSION_SGILOG24: return "SGILog";
    case COMPRESSION_PIXARLOG: return "PixarLog";
    default: return "other";
    }
}

static PsDType
page_dtype (const PageInfo *p)
{
  switch (p->format)
    {
    case SAMPLEFORMAT_IEEEFP:
      return p->bps == 16 ? PS_DTYPE_F16 : p->bps == 32 ? PS_DTYPE_F32 : PS_DTYPE_F64;
    case SAMPLEFORMAT_INT:
      return p->bps == 8 ? PS_DTYPE_I8 : p->bps == 16 ? PS_DTYPE_I16 : PS_DTYPE_I32;
    default:
      if (p->bps == 1)
        return PS_DTYPE_BIT;
      return p->bps <= 8 ? PS_DTYPE_U8 : p->bps <= 16 ? PS_DTYPE_U16 : PS_DTYPE_U32;
    }
}

/* Parse ImageJ's "key=value" description. */
static void
parse_imagej (TiffRead *r, const char *desc)
{
  g_auto(GStrv) lines = NULL;
  if (desc == NULL || !g_str_has_prefix (desc, "ImageJ="))
    return;
  r->imagej = TRUE;
  lines = g_strsplit (desc, "\n", 200);
  for (int i = 0; lines[i] != NULL; i++)
    {
      char *eq = strchr (lines[i], '=');
      if (eq == NULL)
        continue;
      *eq = '\0';
      const char *key = lines[i], *val = eq + 1;
      guint64 u;
      /* Keys may repeat in a damaged description: the last one wins. */
      if (g_str_equal (key, "ImageJ"))
        {
          g_free (r->ij_version);
          r->ij_version = g_strdup (val);
        }
      else if (g_str_equal (key, "images") && g_ascii_string_to_unsigned (val, 10, 1, G_MAXUINT32, &u, NULL))
        r->ij_images = (guint) u;
      else if (g_str_equal (key, "slices") && g_ascii_string_to_unsigned (val, 10, 1, G_MAXUINT32, &u, NULL))
        r->ij_slices = (guint) u;
      else if (g_str_equal (key, "frames") && g_ascii_string_to_unsigned (val, 10, 1, G_MAXUINT32, &u, NULL))
        r->ij_frames = (guint) u;
      else if (g_str_equal (key, "channels") && g_ascii_string_to_unsigned (val, 10, 1, G_MAXUINT32, &u, NULL))
        r->ij_channels = (guint) u;
      else if (g_str_equal (key, "spacing"))
        r->ij_spacing = g_ascii_strtod (val, NULL);
      else if (g_str_equal (key, "unit"))
        {
          g_free (r->ij_unit);
          r->ij_unit = g_strdup (val);
        }
    }
}

static gboolean
read_page_info (TiffRead *r, PageInfo *p, guint index, GError **error)
{
  guint32 w = 0, h = 0;
  guint16 v16;

  memset (p, 0, sizeof *p);
  p->dir_offset = TIFFCurrentDirOffset (r->tif);
  if (!TIFFGetField (r->tif, TIFFTAG_IMAGEWIDTH, &w) || !TIFFGetField (r->tif, TIFFTAG_IMAGELENGTH, &h) ||
      w == 0 || h == 0)
    return fail (error, r, PS_ERROR_CODE_CORRUPT_FILE, _("page %u has no valid image size"), index + 1);
  p->width = w;
  p->height = h;
  TIFFGetFieldDefaulted (r->tif, TIFFTAG_BITSPERSAMPLE, &p->bps);
  TIFFGetFieldDefaulted (r->tif, TIFFTAG_SAMPLESPERPIXEL, &p->spp);
  TIFFGetFieldDefaulted (r->tif, TIFFTAG_SAMPLEFORMAT, &p->format);
  TIFFGetFieldDefaulted (r->tif, TIFFTAG_PLANARCONFIG, &p->planar);
  TIFFGetFieldDefaulted (r->tif, TIFFTAG_COMPRESSION, &p->compression);
  if (!TIFFGetField (r->tif, TIFFTAG_PHOTOMETRIC, &v16))
    v16 = PHOTOMETRIC_MINISBLACK;
  p->photometric = v16;
  p->tiled = TIFFIsTiled (r->tif);
  if (p->format == SAMPLEFORMAT_VOID)
    p->format = SAMPLEFORMAT_UINT;

  if (p->spp != 1)
    {
      const char *kind = p->photometric == PHOTOMETRIC_RGB ? "RGB" :
                         p->photometric == PHOTOMETRIC_YCBCR ? "YCbCr" :
                         p->photometric == PHOTOMETRIC_SEPARATED ? "CMYK" : NULL;
      if (kind != NULL)
        return fail (error, r, PS_ERROR_CODE_UNSUPPORTED_FORMAT,
                     _("page %u is a %s colour image with %u samples per pixel; Porescope reads single-channel (grayscale) images only"),
                     index + 1, kind, p->spp);
      return fail (error, r, PS_ERROR_CODE_UNSUPPORTED_FORMAT,
                   _("page %u has %u samples per pixel (channels); Porescope reads single-channel (grayscale) images only"),
                   index + 1, p->spp);
    }
  switch (p->photometric)
    {
    case PHOTOMETRIC_MINISBLACK:
    case PHOTOMETRIC_MINISWHITE:
    case PHOTOMETRIC_PALETTE:
      break;
    default:
      return fail (error, r, PS_ERROR_CODE_UNSUPPORTED_FORMAT,
                   _("page %u is a %s image, not a grayscale one"), index + 1, photometric_name (p->photometric));
    }
  switch (p->format)
    {
    case SAMPLEFORMAT_UINT:
      if (p->bps == 0 || (p->bps > 32 && p->bps != 64))
        return fail (error, r, PS_ERROR_CODE_UNSUPPORTED_FORMAT,
                     _("page %u has %u-bit unsigned samples, which are not supported"), index + 1, p->bps);
      break;
    case SAMPLEFORMAT_INT:
      if (p->bps != 8 && p->bps != 16 && p->bps != 32 && p->bps != 64)
        return fail (error, r, PS_ERROR_CODE_UNSUPPORTED_FORMAT,
                     _("page %u has %u-bit signed samples; 8, 16, 32 and 64 bits are supported"), index + 1, p->bps);
      break;
    case SAMPLEFORMAT_IEEEFP:
      if (p->bps != 16 && p->bps != 32 && p->bps != 64)
        return fail (error, r, PS_ERROR_CODE_UNSUPPORTED_FORMAT,
                     _("page %u has %u-bit floating-point samples; 16, 32 and 64 bits are supported"), index + 1, p->bps);
      break;
    default:
      return fail (error, r, PS_ERROR_CODE_UNSUPPORTED_FORMAT,
                   _("page %u has complex or unknown sample format %u"), index + 1, p->format);
    }
  if (!TIFFIsCODECConfigured (p->compression))
    return fail (error, r, PS_ERROR_CODE_UNSUPPORTED_FORMAT,
                 _("page %u uses compression %u (%s), which this libtiff cannot decode"),
                 index + 1, p->compression, compression_name (p->compression));
  if (p->tiled)
    {
      if (!TIFFGetField (r->tif, TIFFTAG_TILEWIDTH, &p->tile_w) ||
          !TIFFGetField (r->tif, TIFFTAG_TILELENGTH, &p->tile_h) || p->tile_w == 0 || p->tile_h == 0)
        return fail (error, r, PS_ERROR_CODE_CORRUPT_FILE, _("page %u has invalid tile sizes"), index + 1);
    }
  else
    {
      guint32 rps = 0;
      TIFFGetFieldDefaulted (r->tif, TIFFTAG_ROWSPERSTRIP, &rps);
      if (rps == 0 || rps > h)
        rps = h;
      p->rows_per_strip = rps;
    }

  /* Every strip or tile must lie inside the file, and the compressed data
   * must be able to hold the decoded page. */
  guint32 n = p->tiled ? TIFFNumberOfTiles (r->tif) : TIFFNumberOfStrips (r->tif);
  guint64 expected_n;
  if (p->tiled)
    expected_n = ((guint64) (w + p->tile_w - 1) / p->tile_w) * ((h + p->tile_h - 1) / p->tile_h);
  else
    expected_n = ((guint64) h + p->rows_per_strip - 1) / p->rows_per_strip;
  if (n == 0 || n > MAX_STRILES_PER_PAGE || n < expected_n)
    return fail (error, r, PS_ERROR_CODE_CORRUPT_FILE,
                 _("page %u has %u strips or tiles where %" PRIu64 " are needed"),
                 index + 1, n, expected_n);
  guint64 compressed = 0;
  p->raw = p->compression == COMPRESSION_NONE && !p->tiled && p->bps % 8 == 0 && p->bps != 24;
  p->first_strile = r->striles->len;
  for (guint32 s = 0; s < expected_n; s++)
    {
      int err = 0;
      guint64 off = TIFFGetStrileOffsetWithErr (r->tif, s, &err);
      guint64 cnt = err ? 0 : TIFFGetStrileByteCountWithErr (r->tif, s, &err);
      if (err)
        return fail (error, r, PS_ERROR_CODE_CORRUPT_FILE, _("page %u: cannot read the strip/tile table"), index + 1);
      if (cnt == 0 && p->compression == COMPRESSION_NONE)
        return fail (error, r, PS_ERROR_CODE_CORRUPT_FILE, _("page %u: strip/tile %u is empty"), index + 1, s + 1);
      if (off > r->file_size || cnt > r->file_size - off)
        return fail (error, r, PS_ERROR_CODE_CORRUPT_FILE,
                     _("page %u: its data end at byte %" PRIu64 " but the file has only %" PRIu64 " bytes (truncated?)"),
                     index + 1, off + cnt, r->file_size);
      compressed += cnt;
      if (p->raw)
        {
          Strile st = { off, cnt };
          g_array_append_val (r->striles, st);
        }
    }
  guint64 decoded;
  if (p->tiled)
    decoded = (guint64) TIFFTileSize64 (r->tif) * expected_n;
  else
    decoded = (guint64) TIFFScanlineSize64 (r->tif) * h;
  if (decoded == 0)
    return fail (error, r, PS_ERROR_CODE_CORRUPT_FILE, _("page %u: invalid sample layout"), index + 1);
  if (p->compression == COMPRESSION_NONE ? compressed + 64 < decoded / 2
                                         : (double) decoded > (double) compressed * MAX_CODEC_RATIO + 1e6)
    return fail (error, r, PS_ERROR_CODE_CORRUPT_FILE,
                 _("page %u declares %" PRIu64 " bytes of pixels but holds only %" PRIu64 " bytes of data"),
                 index + 1, decoded, compressed);
  return TRUE;
}

/* Convert one row of @count decoded samples. Bits are MSB first for
 * non-byte depths (TIFF FillOrder 1); multi-byte samples are already in host
 * order (libtiff swabs them) unless @swap. */
static gboolean
convert_row (TiffRead *r, const PageInfo *p, const guint8 *src, gsize count, gboolean swap,
             float *fdst, guint32 *udst)
{
  /* MinIsWhite only says how to display: the stored numbers are kept, as
   * tifffile and ImageJ (which shows them with an inverted LUT) do. */
  PsDType dt = page_dtype (p);

  if (p->format == SAMPLEFORMAT_UINT && (p->bps % 8 != 0 || p->bps == 24))
    {
      /* Generic unpacking: 1..31-bit samples. */
      for (gsize i = 0; i < count; i++)
        {
          guint64 v = 0;
          if (p->bps == 24)
            {
              const guint8 *s = src + 3 * i;
              v = swap ? ((guint32) s[0] << 16 | (guint32) s[1] << 8 | s[2])
                       : ((guint32) s[2] << 16 | (guint32) s[1] << 8 | s[0]);
            }
          else
            {
              guint64 bit = (guint64) i * p->bps;
              for (guint b = 0; b < p->bps; b++, bit++)
                v = (v << 1) | ((src[bit >> 3] >> (7 - (bit & 7))) & 1);
            }
          if (fdst) fdst[i] = (float) v;
          if (udst) udst[i] = (guint32) v;
        }
      return TRUE;
    }
  if (p->bps == 64)
    {
      for (gsize i = 0; i < count; i++)
        {
          guint64 u;
          memcpy (&u, src + 8 * i, 8);
          if (swap) u = GUINT64_SWAP_LE_BE (u);
          double d;
          if (p->format == SAMPLEFORMAT_IEEEFP)
            memcpy (&d, &u, 8);
          else if (p->format == SAMPLEFORMAT_INT)
            d = (double) (gint64) u;
          else
            d = (double) u;
          if (fdst) fdst[i] = (float) d;
          if (udst)
            {
              if (!(d >= 0 && d <= 4294967295.0 && d == floor (d)))
                return FALSE;
              udst[i] = (guint32) d;
            }
        }
      return TRUE;
    }
  if (fdst)
    {
      _ps_convert_to_float (dt, src, count, swap, fdst);
    }
  if (udst)
    {
      if (!_ps_convert_to_u32 (dt, src, count, swap, udst))
        return FALSE;
    }
  return TRUE;
}

static gboolean
raw_read_at (TiffRead *r, guint64 offset, void *buf, gsize len)
{
  if (r->mem != NULL)
    {
      if (offset > r->mem_len || len > r->mem_len - offset)
        return FALSE;
      memcpy (buf, r->mem + offset, len);
      return TRUE;
    }
  guint8 *p = buf;
  while (len > 0)
    {
      gssize n = pread (r->fd, p, len, (off_t) offset);
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        return FALSE;
      p += n;
      len -= (gsize) n;
      offset += (guint64) n;
    }
  return TRUE;
}

/* Uncompressed strips of whole-byte samples: read the file's bytes straight
 * into the volume (native float32) or through one buffer, bypassing
 * libtiff's decode copies. Returns FALSE with *handled = FALSE when the page
 * does not qualify. */
static gboolean
decode_page_raw (TiffRead *r, const PageInfo *p, guint index, gsize z, gboolean *handled, GError **error)
{
  const gsize w = p->width, h = p->height;
  const gsize bytes = p->bps / 8;
  const gsize line = w * bytes;
  const gboolean swap = TIFFIsByteSwapped (r->tif);
  float *fplane = r->fdata ? r->fdata + z * w * h : NULL;
  guint32 *uplane = r->udata ? r->udata + z * w * h : NULL;
  g_autofree guint8 *buf = NULL;

  /* The strip table was recorded in pass 1: no directory is re-read (with
   * libtiff, re-entering directory k walks the chain from the start). */
  *handled = FALSE;
  if (!p->raw)
    return FALSE;
  *handled = TRUE;
  gboolean direct = fplane != NULL && p->format == SAMPLEFORMAT_IEEEFP && p->bps == 32 && !swap;
  if (!direct)
    {
      buf = g_try_malloc (line * p->rows_per_strip);
      if (buf == NULL)
        return ps_set_error_too_large (error, r->name, line * p->rows_per_strip);
    }
  for (gsize y0 = 0, s = 0; y0 < h; y0 += p->rows_per_strip, s++)
    {
      gsize rows = MIN ((gsize) p->rows_per_strip, h - y0);
      const Strile *st = &g_array_index (r->striles, Strile, p->first_strile + s);
      guint64 off = st->offset, cnt = st->count;
      if (cnt < rows * line)
        return fail (error, r, PS_ERROR_CODE_CORRUPT_FILE,
                     _("page %u: strip %zu is truncated"), index + 1, s + 1);
      if (direct)
        {
          /* Strips that follow each other in the file are read at once
           * (writers such as tifffile use strips of a few rows). */
          gsize run_rows = rows, s_end = s + 1;
          while (y0 + run_rows < h)
            {
              const Strile *nx = &g_array_index (r->striles, Strile, p->first_strile + s_end);
              gsize nrows = MIN ((gsize) p->rows_per_strip, h - y0 - run_rows);
              if (nx->offset != off + run_rows * line || nx->count < nrows * line)
                break;
              run_rows += nrows;
              s_end++;
            }
          if (!raw_read_at (r, off, fplane + y0 * w, run_rows * line))
            return fail (error, r, PS_ERROR_CODE_CORRUPT_FILE,
                         _("page %u: strip %zu is truncated"), index + 1, s + 1);
          y0 += run_rows - rows;
          s = s_end - 1;
          continue;
        }
      if (!raw_read_at (r, off, buf, rows * line))
        return fail (error, r, PS_ERROR_CODE_CORRUPT_FILE,
                     _("page %u: strip %zu is truncated"), index + 1, s + 1);
      for (gsize y = 0; y < rows; y++)
        {
          gsize o = (y0 + y) * w;
          if (!convert_row (r, p, buf + y * line, w, swap, fplane ? fplane + o : NULL, uplane ? uplane + o : NULL))
            {
              r->label_range_error = TRUE;
              return FALSE;
            }
        }
    }
  return TRUE;
}

static gboolean
decode_page (TiffRead *r, const PageInfo *p, guint index, gsize z, GError **error)
{
  const gsize w = p->width, h = p->height;
  const gsize plane = w * h;
  float *fplane = r->fdata ? r->fdata + z * plane : NULL;
  guint32 *uplane = r->udata ? r->udata + z * plane : NULL;
  g_autofree guint8 *buf = NULL;

  gboolean handled;
  gboolean ok = decode_page_raw (r, p, index, z, &handled, error);
  if (handled)
    return ok;
  if (!TIFFSetSubDirectory (r->tif, p->dir_offset))
    return fail (error, r, PS_ERROR_CODE_CORRUPT_FILE, _("cannot read page %u"), index + 1);

  if (p->tiled)
    {
      tmsize_t tsize = TIFFTileSize (r->tif);
      tmsize_t rowbytes = TIFFTileRowSize (r->tif);
      if (tsize <= 0 || rowbytes <= 0 || tsize > LIBTIFF_MAX_ALLOC)
        return fail (error, r, PS_ERROR_CODE_CORRUPT_FILE, _("page %u: invalid tile size"), index + 1);
      buf = g_try_malloc ((gsize) tsize);
      if (buf == NULL)
        return ps_set_error_too_large (error, r->name, (guint64) tsize);
      for (gsize ty = 0; ty < h; ty += p->tile_h)
        for (gsize tx = 0; tx < w; tx += p->tile_w)
          {
            ttile_t t = TIFFComputeTile (r->tif, (guint32) tx, (guint32) ty, 0, 0);
            if (TIFFReadEncodedTile (r->tif, t, buf, tsize) < 0)
              return fail (error, r, PS_ERROR_CODE_CORRUPT_FILE,
                           _("page %u: tile %u cannot be decoded"), index + 1, (guint) t + 1);
            gsize cw = MIN ((gsize) p->tile_w, w - tx);
            for (gsize y = 0; y < p->tile_h && ty + y < h; y++)
              {
                gsize o = (ty + y) * w + tx;
                if (!convert_row (r, p, buf + y * (gsize) rowbytes, cw, FALSE,
                                  fplane ? fplane + o : NULL, uplane ? uplane + o : NULL))
                  {
                    r->label_range_error = TRUE;
                    return FALSE;
                  }
              }
          }
      return TRUE;
    }

  tmsize_t linebytes = TIFFScanlineSize (r->tif);
  if (linebytes <= 0 || (guint64) linebytes * p->rows_per_strip > (guint64) LIBTIFF_MAX_ALLOC)
    return fail (error, r, PS_ERROR_CODE_CORRUPT_FILE, _("page %u: invalid strip size"), index + 1);
  gsize strip_bytes = (gsize) linebytes * p->rows_per_strip;
  buf = g_try_malloc (strip_bytes);
  if (buf == NULL)
    return ps_set_error_too_large (error, r->name, strip_bytes);
  for (gsize y0 = 0, s = 0; y0 < h; y0 += p->rows_per_strip, s++)
    {
      gsize rows = MIN ((gsize) p->rows_per_strip, h - y0);
      tmsize_t want = (tmsize_t) (rows * (gsize) linebytes);
      tmsize_t got = TIFFReadEncodedStrip (r->tif, (guint32) s, buf, want);
      if (got < want)
        return fail (error, r, PS_ERROR_CODE_CORRUPT_FILE,
                     _("page %u: strip %zu is truncated or cannot be decoded"), index + 1, s + 1);
      for (gsize y = 0; y < rows; y++)
        {
          gsize o = (y0 + y) * w;
          if (!convert_row (r, p, buf + y * (gsize) linebytes, w, FALSE,
                            fplane ? fplane + o : NULL, uplane ? uplane + o : NULL))
            {
              r->label_range_error = TRUE;
              return FALSE;
            }
        }
    }
  return TRUE;
}

static void
set_spacing (TiffRead *r, double dx, double dy, double dz, const char *source)
{
  PsFileInfo *info = r->info;
  if (!(isfinite (dx) && dx > 1e-6 && dx < 1e13 && isfinite (dy) && dy > 1e-6 && dy < 1e13 &&
        isfinite (dz) && dz > 1e-6 && dz < 1e13))
    {
      _ps_file_info_note (info, _("The stored voxel size is not plausible; using 1 nm."));
      return;
    }
  info->spacing[0] = dx;
  info->spacing[1] = dy;
  info->spacing[2] = dz;
  info->spacing_known = TRUE;
  g_free (info->spacing_source);
  info->spacing_source = g_strdup (source);
}

static void
read_spacing (TiffRead *r, gsize nz)
{
  float xres = 0, yres = 0;
  guint16 resunit = RESUNIT_INCH;
  gboolean have_res;

  TIFFSetSubDirectory (r->tif, g_array_index (r->pages, PageInfo, 0).dir_offset);
  have_res = TIFFGetField (r->tif, TIFFTAG_XRESOLUTION, &xres) && xres > 0;
  if (!TIFFGetField (r->tif, TIFFTAG_YRESOLUTION, &yres) || !(yres > 0))
    yres = xres;
  TIFFGetFieldDefaulted (r->tif, TIFFTAG_RESOLUTIONUNIT, &resunit);

  if (r->imagej && r->ij_unit != NULL)
    {
      double per = _ps_unit_to_nm (r->ij_unit);
      if (per > 0 && have_res)
        {
          double dx = per / xres, dy = per / yres, dz;
          g_autofree char *src = NULL;
          if (r->ij_spacing > 0)
            dz = per * r->ij_spacing;
          else
            {
              dz = dx;
              if (nz > 1)
                _ps_file_info_note (r->info, _("The file gives no z spacing; assuming cubic voxels."));
            }
          src = g_strdup_printf (_("ImageJ metadata (unit=%s)"), r->ij_unit);
          set_spacing (r, dx, dy, dz, src);
          return;
        }
      if (per == 0 && g_ascii_strcasecmp (r->ij_unit, "pixel") != 0 && r->ij_unit[0] != '\0')
        _ps_file_info_note (r->info, _("Unknown length unit “%s” in the ImageJ metadata."), r->ij_unit);
    }
  if (!have_res)
    return;
  if (resunit == RESUNIT_INCH || resunit == RESUNIT_CENTIMETER)
    {
      double per = resunit == RESUNIT_INCH ? 2.54e7 : 1e7;
      if (resunit == RESUNIT_INCH && fabs (xres - 72.0) < 1e-6 && fabs (yres - 72.0) < 1e-6)
        {
          _ps_file_info_note (r->info, _("The resolution tags say 72 dpi, a software default rather than a pixel size."));
          return;
        }
      set_spacing (r, per / xres, per / yres, per / xres,
                   resunit == RESUNIT_INCH ? _("TIFF resolution tags (pixels per inch)")
                                           : _("TIFF resolution tags (pixels per cm)"));
      if (nz > 1)
        _ps_file_info_note (r->info, _("TIFF stores no z spacing; assuming cubic voxels."));
    }
}

static void
tiff_read_clear (TiffRead *r)
{
  g_clear_pointer (&r->pages, g_array_unref);
  g_clear_pointer (&r->striles, g_array_unref);
  g_clear_pointer (&r->ij_version, g_free);
  g_clear_pointer (&r->ij_unit, g_free);
}

/* The whole read. Returns a volume (want_labels = FALSE) or labels. */
static gpointer
tiff_read (TiffRead *r, PsFileInfo **info_out, const PsProgress *progress, GError **error)
{
  PsVolume *vol = NULL;
  PsLabels *labels = NULL;
  guint n_pages;
  gsize nz, w, h;
  const PageInfo *p0;
  gboolean imagej_contiguous = FALSE;
  char *desc = NULL;

  r->info = _ps_file_info_new (PS_FORMAT_TIFF, TIFFIsBigTIFF (r->tif) ? "BigTIFF" : "TIFF");
  r->info->file_size = r->file_size;
  r->pages = g_array_new (FALSE, FALSE, sizeof (PageInfo));
  r->striles = g_array_new (FALSE, FALSE, sizeof (Strile));

  if (TIFFGetField (r->tif, TIFFTAG_IMAGEDESCRIPTION, &desc))
    parse_imagej (r, desc);

  /* Pass 1: validate every page. */
  guint n_reduced = 0;
  do
    {
      guint32 subfile = 0;
      PageInfo p;
      if (ps_progress_cancelled (progress))
        {
          ps_set_error_from_status (error, PS_ERROR_CANCELLED, r->name);
          goto out;
        }
      if (TIFFGetField (r->tif, TIFFTAG_SUBFILETYPE, &subfile) && (subfile & FILETYPE_REDUCEDIMAGE))
        {
          n_reduced++;
          continue;
        }
      if (r->pages->len >= MAX_PAGES)
        {
          fail (error, r, PS_ERROR_CODE_TOO_LARGE, _("more than %u pages"), MAX_PAGES);
          goto out;
        }
      if (!read_page_info (r, &p, r->pages->len, error))
        goto out;
      if (r->pages->len > 0)
        {
          const PageInfo *first = &g_array_index (r->pages, PageInfo, 0);
          if (p.width != first->width || p.height != first->height)
            {
              fail (error, r, PS_ERROR_CODE_UNSUPPORTED_FORMAT,
                    _("page %u is %u × %u pixels but page 1 is %u × %u; all pages of a stack must have the same size"),
                    r->pages->len + 1, p.width, p.height, first->width, first->height);
              goto out;
            }
        }
      g_array_append_val (r->pages, p);
    }
  while (TIFFReadDirectory (r->tif));

  if (r->log->first_error != NULL)
    {
      fail (error, r, PS_ERROR_CODE_CORRUPT_FILE, _("a directory after page %u is corrupt"), r->pages->len);
      goto out;
    }
  if (r->pages->len == 0)
    {
      fail (error, r, PS_ERROR_CODE_CORRUPT_FILE, _("the file holds no image"));
      goto out;
    }
  if (n_reduced > 0)
    _ps_file_info_note (r->info, _("Skipped %u reduced-resolution (thumbnail) pages."), n_reduced);

  if (r->imagej && r->ij_channels > 1 && r->ij_slices <= 1 && r->ij_frames <= 1)
    {
      /* tifffile writes a plain 3D array as "channels=N"; there is no other
       * axis, so these are the slices. */
      _ps_file_info_note (r->info, _("The ImageJ metadata call the %u images channels; they are read as z slices."),
                          r->ij_channels);
      r->ij_channels = 1;
    }
  if (r->imagej && r->ij_channels > 1)
    {
      fail (error, r, PS_ERROR_CODE_UNSUPPORTED_FORMAT,
            _("an ImageJ hyperstack with %u channels; Porescope reads single-channel stacks only (split the channels in Fiji first)"),
            r->ij_channels);
      goto out;
    }
  if (r->imagej && r->ij_slices > 1 && r->ij_frames > 1)
    {
      fail (error, r, PS_ERROR_CODE_UNSUPPORTED_FORMAT,
            _("an ImageJ hyperstack with %u slices × %u time frames (4D); Porescope reads one 3D volume"),
            r->ij_slices, r->ij_frames);
      goto out;
    }
  if (r->imagej && r->ij_frames > 1)
    _ps_file_info_note (r->info, _("ImageJ time frames are read as z slices."));

  n_pages = r->pages->len;
  p0 = &g_array_index (r->pages, PageInfo, 0);
  w = p0->width;
  h = p0->height;
  nz = n_pages;

  /* ImageJ writes stacks over 4 GiB as one IFD followed by contiguous data. */
  if (r->imagej && r->ij_images > n_pages && n_pages == 1 && p0->compression == COMPRESSION_NONE &&
      !p0->tiled && p0->bps % 8 == 0 && p0->bps != 24)
    {
      guint64 page_bytes = (guint64) w * h * (p0->bps / 8);
      guint64 off0;
      int err = 0;
      TIFFSetSubDirectory (r->tif, p0->dir_offset);
      off0 = TIFFGetStrileOffsetWithErr (r->tif, 0, &err);
      gboolean contiguous = !err;
      guint64 expect = off0;
      for (guint32 s = 0; contiguous && s < TIFFNumberOfStrips (r->tif); s++)
        {
          guint64 o = TIFFGetStrileOffsetWithErr (r->tif, s, &err);
          guint64 c = TIFFGetStrileByteCountWithErr (r->tif, s, &err);
          if (err || o != expect)
            contiguous = FALSE;
          expect = o + c;
        }
      if (contiguous && off0 + page_bytes * r->ij_images <= r->file_size)
        {
          imagej_contiguous = TRUE;
          nz = r->ij_images;
          _ps_file_info_note (r->info, _("ImageJ large-stack layout: %u images stored contiguously after one directory."),
                              r->ij_images);
        }
      else
        _ps_file_info_note (r->info, _("The ImageJ metadata announce %u images but the file holds %u."),
                            r->ij_images, n_pages);
    }
  else if (r->imagej && r->ij_images > 0 && r->ij_images != n_pages)
    _ps_file_info_note (r->info, _("The ImageJ metadata announce %u images but the file holds %u."),
                        r->ij_images, n_pages);

  /* Allocate. */
  {
    gsize bytes;
    if (!ps_size_voxels_bytes (w, h, nz, 4, &bytes))
      {
        fail (error, r, PS_ERROR_CODE_TOO_LARGE, _("%zu × %zu × %zu voxels is too large"), w, h, nz);
        goto out;
      }
    if (!_ps_check_alloc (bytes, r->name, error))
      goto out;
    PsStatus st;
    if (r->want_labels)
      {
        labels = ps_labels_new (w, h, nz, &st);
        if (labels != NULL)
          r->udata = labels->data;
      }
    else
      {
        vol = ps_volume_new_uninit (w, h, nz, &st);
        if (vol != NULL)
          r->fdata = vol->data;
      }
    if (vol == NULL && labels == NULL)
      {
        ps_set_error_from_status (error, st, r->name);
        goto out;
      }
  }

  /* Pass 2: decode. */
  if (imagej_contiguous)
    {
      gsize page_bytes = w * h * (p0->bps / 8);
      g_autofree guint8 *buf = g_try_malloc (page_bytes);
      int err = 0;
      guint64 off0 = TIFFGetStrileOffsetWithErr (r->tif, 0, &err);
      gboolean swap = TIFFIsByteSwapped (r->tif);
      if (buf == NULL)
        {
          ps_set_error_too_large (error, r->name, page_bytes);
          goto fail_free;
        }
      for (gsize z = 0; z < nz; z++)
        {
          if (ps_progress_cancelled (progress))
            {
              ps_set_error_from_status (error, PS_ERROR_CANCELLED, r->name);
              goto fail_free;
            }
          if (!raw_read_at (r, off0 + z * page_bytes, buf, page_bytes))
            {
              fail (error, r, PS_ERROR_CODE_CORRUPT_FILE, _("cannot read image %zu"), z + 1);
              goto fail_free;
            }
          for (gsize y = 0; y < h; y++)
            if (!convert_row (r, p0, buf + y * w * (p0->bps / 8), w, swap,
                              r->fdata ? r->fdata + (z * h + y) * w : NULL,
                              r->udata ? r->udata + (z * h + y) * w : NULL))
              {
                r->label_range_error = TRUE;
                goto labels_bad;
              }
          ps_progress_report (progress, (double) (z + 1) / (double) nz, NULL);
        }
    }
  else
    {
      for (guint i = 0; i < n_pages; i++)
        {
          if (ps_progress_cancelled (progress))
            {
              ps_set_error_from_status (error, PS_ERROR_CANCELLED, r->name);
              goto fail_free;
            }
          if (!decode_page (r, &g_array_index (r->pages, PageInfo, i), i, i, error))
            {
              if (r->label_range_error)
                goto labels_bad;
              goto fail_free;
            }
          ps_progress_report (progress, (double) (i + 1) / (double) n_pages, NULL);
        }
    }

  /* Facts. */
  {
    PsFileInfo *info = r->info;
    GString *d = g_string_new (NULL);
    gboolean mixed = FALSE;
    for (guint i = 1; i < n_pages; i++)
      {
        const PageInfo *pi = &g_array_index (r->pages, PageInfo, i);
        if (pi->bps != p0->bps || pi->format != p0->format || pi->photometric != p0->photometric)
          mixed = TRUE;
      }
    info->dtype = page_dtype (p0);
    info->nx = w;
    info->ny = h;
    info->nz = nz;
    g_string_append (d, TIFFIsByteSwapped (r->tif) == (G_BYTE_ORDER == G_LITTLE_ENDIAN) ? "big-endian" : "little-endian");
    g_string_append_printf (d, ", %u page%s", n_pages, n_pages == 1 ? "" : "s");
    if (p0->bps % 8 != 0 || p0->bps == 24)
      g_string_append_printf (d, ", %u-bit", p0->bps);
    g_string_append_printf (d, ", %s, %s", compression_name (p0->compression), p0->tiled ? "tiled" : "strips");
    if (p0->photometric != PHOTOMETRIC_MINISBLACK)
      g_string_append_printf (d, ", %s", photometric_name (p0->photometric));
    if (r->imagej)
      g_string_append_printf (d, ", ImageJ %s", r->ij_version ? r->ij_version : "");
    info->details = g_string_free (d, FALSE);
    if (mixed)
      _ps_file_info_note (info, _("Pages differ in sample type or photometric interpretation; each page was converted on its own."));
    {
      guint n_white = 0;
      for (guint i = 0; i < n_pages; i++)
        if (g_array_index (r->pages, PageInfo, i).photometric == PHOTOMETRIC_MINISWHITE)
          n_white++;
      if (n_white > 0)
        _ps_file_info_note (info, _("%u of %u pages are marked MinIsWhite (display inverted); their values are kept as stored, as ImageJ and tifffile do."),
                            n_white, n_pages);
    }
    if (p0->photometric == PHOTOMETRIC_PALETTE)
      _ps_file_info_note (info, _("Palette images are read as their index values; the colour map is ignored."));
    if (p0->bps == 64 && p0->format != SAMPLEFORMAT_IEEEFP)
      _ps_file_info_note (info, _("64-bit integers were converted to float32 and may have lost precision."));
    read_spacing (r, nz);
    if (!info->spacing_known && info->spacing_source == NULL)
      info->spacing_source = g_strdup (_("none in the file; assuming 1 nm"));
  }

  if (vol != NULL)
    {
      vol->spacing[0] = r->info->spacing[0];
      vol->spacing[1] = r->info->spacing[1];
      vol->spacing[2] = r->info->spacing[2];
      vol->spacing_known = r->info->spacing_known;
    }
  if (labels != NULL)
    {
      memcpy (labels->spacing, r->info->spacing, sizeof labels->spacing);
      labels->spacing_known = r->info->spacing_known;
      ps_labels_update_count (labels);
    }
  if (info_out != NULL)
    *info_out = g_steal_pointer (&r->info);
  g_clear_pointer (&r->info, ps_file_info_free);
  tiff_read_clear (r);
  return vol != NULL ? (gpointer) vol : (gpointer) labels;

labels_bad:
  g_clear_error (error);
  g_set_error (error, PS_ERROR, PS_ERROR_CODE_UNSUPPORTED_FORMAT,
               _("%s: not a label image (labels must be whole numbers from 0 to 4294967295)"), r->name);
fail_free:
  g_clear_pointer (&vol, ps_volume_unref);
  g_clear_pointer (&labels, ps_labels_unref);
out:
  g_clear_pointer (&r->info, ps_file_info_free);
  tiff_read_clear (r);
  return NULL;
}

static gpointer
tiff_load_file (const char *path, gboolean want_labels, PsFileInfo **info, const PsProgress *progress,
                GError **error)
{
  TiffLog log = { NULL };
  TiffRead r = { 0 };
  TIFFOpenOptions *opts;
  struct stat st;
  gpointer result;
  int fd;

  fd = g_open (path, O_RDONLY | O_CLOEXEC, 0);
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
  opts = make_options (&log);
  r.tif = TIFFFdOpenExt (fd, path, "rm", opts);
  TIFFOpenOptionsFree (opts);
  if (r.tif == NULL)
    {
      g_set_error (error, PS_ERROR, PS_ERROR_CODE_CORRUPT_FILE, _("%s: not a readable TIFF file%s%s%s"),
                   path, log.first_error ? " (" : "", log.first_error ? log.first_error : "",
                   log.first_error ? ")" : "");
      g_free (log.first_error);
      close (fd);
      return NULL;
    }
  r.name = path;
  r.log = &log;
  r.file_size = (guint64) st.st_size;
  r.fd = fd;
  r.want_labels = want_labels;
  result = tiff_read (&r, info, progress, error);
  TIFFClose (r.tif); /* closes fd */
  g_free (log.first_error);
  return result;
}

PsVolume *
ps_tiff_load (const char *path, PsFileInfo **info, const PsProgress *progress, GError **error)
{
  g_return_val_if_fail (path != NULL, NULL);
  return tiff_load_file (path, FALSE, info, progress, error);
}

PsLabels *
_ps_tiff_load_labels (const char *path, GError **error)
{
  return tiff_load_file (path, TRUE, NULL, NULL, error);
}

PsVolume *
ps_tiff_load_from_bytes (const guint8 *data, gsize len, const char *name, PsFileInfo **info, GError **error)
{
  TiffLog log = { NULL };
  TiffRead r = { 0 };
  MemSource mem = { data, len, 0 };
  TIFFOpenOptions *opts = make_options (&log);
  PsVolume *vol;

  r.tif = TIFFClientOpenExt (name, "rm", (thandle_t) &mem, mem_read, mem_write, mem_seek, mem_close,
                             mem_size, mem_map, mem_unmap, opts);
  TIFFOpenOptionsFree (opts);
  if (r.tif == NULL)
    {
      g_set_error (error, PS_ERROR, PS_ERROR_CODE_CORRUPT_FILE, _("%s: not a readable TIFF file"), name);
      g_free (log.first_error);
      return NULL;
    }
  r.name = name;
  r.log = &log;
  r.file_size = len;
  r.fd = -1;
  r.mem = data;
  r.mem_len = len;
  vol = tiff_read (&r, info, NULL, error);
  TIFFClose (r.tif);
  g_free (log.first_error);
  return vol;
}

/* ---- writing -------------------------------------------------------------------- */

typedef void (*FillPage) (gpointer user, gsize page, void *dst);

typedef struct
{
  PsDType dtype;
  gsize width, height, n_pages;
  double spacing[3];
  gboolean spacing_known;
  double display_min, display_max;
  FillPage fill;
  gpointer user;
} TiffWriteSpec;

typedef PsBufWriter Writer;
#define writer_put _ps_buf_writer_put
#define writer_flush _ps_buf_writer_flush
#define writer_pad _ps_buf_writer_pad
#define put_u16 _ps_buf_writer_u16
#define put_u32 _ps_buf_writer_u32
#define put_u64 _ps_buf_writer_u64

typedef struct
{
  guint16 tag, type;
  guint64 count;
  guint64 value;       /* inline value or offset */
} Entry;

static void
put_entry (Writer *w, gboolean big, const Entry *e)
{
  put_u16 (w, e->tag);
  put_u16 (w, e->type);
  if (big)
    {
      put_u64 (w, e->count);
      /* inline values are left-justified in the 8-byte field */
      if (e->type == TIFF_SHORT && e->count == 1)
        {
          put_u16 (w, (guint16) e->value);
          put_u16 (w, 0);
          put_u32 (w, 0);
        }
      else if (e->type == TIFF_LONG && e->count == 1)
        {
          put_u32 (w, (guint32) e->value);
          put_u32 (w, 0);
        }
      else
        put_u64 (w, e->value);
    }
  else
    {
      put_u32 (w, (guint32) e->count);
      if (e->type == TIFF_SHORT && e->count == 1)
        {
          put_u16 (w, (guint16) e->value);
          put_u16 (w, 0);
        }
      else
        put_u32 (w, (guint32) e->value);
    }
}

static char *
imagej_description (const TiffWriteSpec *spec)
{
  GString *s = g_string_new ("ImageJ=1.11a\n");
  char buf[G_ASCII_DTOSTR_BUF_SIZE];
  if (spec->n_pages > 1)
    {
      g_string_append_printf (s, "images=%zu\n", spec->n_pages);
      g_string_append_printf (s, "slices=%zu\n", spec->n_pages);
    }
  if (spec->spacing_known)
    {
      g_string_append (s, "unit=nm\n");
      if (spec->n_pages > 1)
        g_string_append_printf (s, "spacing=%s\n", g_ascii_dtostr (buf, sizeof buf, spec->spacing[2]));
    }
  if (spec->n_pages > 1)
    g_string_append (s, "loop=false\n");
  if (isfinite (spec->display_min) && isfinite (spec->display_max) && spec->display_max > spec->display_min)
    {
      g_string_append_printf (s, "min=%s\n", g_ascii_dtostr (buf, sizeof buf, spec->display_min));
      g_string_append_printf (s, "max=%s\n", g_ascii_dtostr (buf, sizeof buf, spec->display_max));
    }
  return g_string_free (s, FALSE);
}

static gboolean
tiff_write (const char *path, const TiffWriteSpec *spec, const PsProgress *progress, GError **error)
{
  g_autoptr(PsAtomicFile) file = NULL;
  g_autofree char *desc = NULL;
  g_autofree guint8 *page = NULL;
  const char *software = "Porescope " PACKAGE_VERSION;
  gsize bps = ps_dtype_size (spec->dtype);
  gsize page_bytes, data_bytes;
  guint16 format;
  gboolean big;
  guint32 xnum, xden, ynum, yden;
  Writer w = { 0 };

  if (!ps_size_mul3 (spec->width, spec->height, bps, &page_bytes) ||
      !ps_size_mul (page_bytes, spec->n_pages, &data_bytes))
    return ps_set_error_from_status (error, PS_ERROR_TOO_LARGE, path);
  if (spec->width > G_MAXUINT32 || spec->height > G_MAXUINT32)
    return ps_set_error_from_status (error, PS_ERROR_TOO_LARGE, path);
  format = spec->dtype == PS_DTYPE_F32 || spec->dtype == PS_DTYPE_F16 || spec->dtype == PS_DTYPE_F64
             ? SAMPLEFORMAT_IEEEFP
             : (spec->dtype == PS_DTYPE_I8 || spec->dtype == PS_DTYPE_I16 || spec->dtype == PS_DTYPE_I32)
                 ? SAMPLEFORMAT_INT : SAMPLEFORMAT_UINT;

  desc = imagej_description (spec);
  gsize desc_len = strlen (desc) + 1, soft_len = strlen (software) + 1;
  /* Classic TIFF offsets are 32-bit: switch to BigTIFF well before 4 GiB. */
  big = data_bytes + desc_len + soft_len + 64 + spec->n_pages * 256 > (guint64) G_MAXUINT32 - (1u << 20);

  _ps_rational_approx (spec->spacing_known ? 1.0 / spec->spacing[0] : 1.0, &xnum, &xden);
  _ps_rational_approx (spec->spacing_known ? 1.0 / spec->spacing[1] : 1.0, &ynum, &yden);

  file = ps_atomic_file_open (path, error);
  if (file == NULL)
    return FALSE;
  page = g_try_malloc (MAX (page_bytes, 1));
  if (page == NULL)
    return ps_set_error_too_large (error, path, page_bytes);
  w.fd = ps_atomic_file_get_fd (file);
  w.path = path;
  w.cap = 4 << 20;
  w.buf = g_malloc (w.cap);
  w.error = error;

  /* Header, with the first IFD's offset patched in by computing the layout. */
  guint64 header_len = big ? 16 : 8;
  guint64 off_desc = header_len;
  guint64 off_soft = off_desc + desc_len;
  guint64 off_rat = (off_soft + soft_len + 7) & ~(guint64) 7;   /* xres, yres: 16 bytes */
  guint64 off_data = (off_rat + 16 + 15) & ~(guint64) 15;
  guint64 off_ifd = (off_data + data_bytes + 15) & ~(guint64) 15;
  const guint n_entries_first = 16, n_entries_other = 15;
  guint64 ifd_first_len = big ? 8 + 20 * n_entries_first + 8 : 2 + 12 * n_entries_first + 4;
  guint64 ifd_other_len = big ? 8 + 20 * n_entries_other + 8 : 2 + 12 * n_entries_other + 4;

  writer_put (&w, "II", 2);
  if (big)
    {
      put_u16 (&w, 43);
      put_u16 (&w, 8);
      put_u16 (&w, 0);
      put_u64 (&w, off_ifd);
    }
  else
    {
      put_u16 (&w, 42);
      put_u32 (&w, (guint32) off_ifd);
    }
  writer_put (&w, desc, desc_len);
  writer_put (&w, software, soft_len);
  writer_pad (&w, 8);
  put_u32 (&w, xnum);
  put_u32 (&w, xden);
  put_u32 (&w, ynum);
  put_u32 (&w, yden);
  writer_pad (&w, 16);
  g_assert (w.failed || w.written == off_data);

  for (gsize z = 0; z < spec->n_pages && !w.failed; z++)
    {
      if (ps_progress_cancelled (progress))
        {
          ps_set_error_from_status (error, PS_ERROR_CANCELLED, path);
          g_free (w.buf);
          return FALSE;
        }
      spec->fill (spec->user, z, page);
      writer_put (&w, page, page_bytes);
      ps_progress_report (progress, 0.95 * (double) (z + 1) / (double) spec->n_pages, NULL);
    }
  writer_pad (&w, 16);

  for (gsize z = 0; z < spec->n_pages && !w.failed; z++)
    {
      gboolean first = z == 0;
      guint64 this_off = first ? off_ifd : off_ifd + ifd_first_len + (z - 1) * ifd_other_len;
      guint64 next = z + 1 < spec->n_pages
                       ? off_ifd + ifd_first_len + z * ifd_other_len
                       : 0;
      guint n_entries = first ? n_entries_first : n_entries_other;
      Entry e[16];
      guint k = 0;
      g_assert (w.failed || w.written == this_off);
      e[k++] = (Entry) { TIFFTAG_SUBFILETYPE, TIFF_LONG, 1, spec->n_pages > 1 ? FILETYPE_PAGE : 0 };
      e[k++] = (Entry) { TIFFTAG_IMAGEWIDTH, TIFF_LONG, 1, spec->width };
      e[k++] = (Entry) { TIFFTAG_IMAGELENGTH, TIFF_LONG, 1, spec->height };
      e[k++] = (Entry) { TIFFTAG_BITSPERSAMPLE, TIFF_SHORT, 1, bps * 8 };
      e[k++] = (Entry) { TIFFTAG_COMPRESSION, TIFF_SHORT, 1, COMPRESSION_NONE };
      e[k++] = (Entry) { TIFFTAG_PHOTOMETRIC, TIFF_SHORT, 1, PHOTOMETRIC_MINISBLACK };
      if (first)
        e[k++] = (Entry) { TIFFTAG_IMAGEDESCRIPTION, TIFF_ASCII, desc_len, off_desc };
      e[k++] = (Entry) { TIFFTAG_STRIPOFFSETS, big ? TIFF_LONG8 : TIFF_LONG, 1, off_data + z * page_bytes };
      e[k++] = (Entry) { TIFFTAG_SAMPLESPERPIXEL, TIFF_SHORT, 1, 1 };
      e[k++] = (Entry) { TIFFTAG_ROWSPERSTRIP, TIFF_LONG, 1, spec->height };
      e[k++] = (Entry) { TIFFTAG_STRIPBYTECOUNTS, big ? TIFF_LONG8 : TIFF_LONG, 1, page_bytes };
      e[k++] = (Entry) { TIFFTAG_XRESOLUTION, TIFF_RATIONAL, 1, off_rat };
      e[k++] = (Entry) { TIFFTAG_YRESOLUTION, TIFF_RATIONAL, 1, off_rat + 8 };
      e[k++] = (Entry) { TIFFTAG_RESOLUTIONUNIT, TIFF_SHORT, 1, RESUNIT_NONE };
      e[k++] = (Entry) { TIFFTAG_SOFTWARE, TIFF_ASCII, soft_len, off_soft };
      e[k++] = (Entry) { TIFFTAG_SAMPLEFORMAT, TIFF_SHORT, 1, format };
      g_assert (k == n_entries);
      /* Inline ASCII that fits (it never does here) would need special care. */
      if (big)
        put_u64 (&w, n_entries);
      else
        put_u16 (&w, (guint16) n_entries);
      for (guint i = 0; i < k; i++)
        {
          Entry ent = e[i];
          /* A BigTIFF LONG8 count-1 value is inline; classic LONG too. */
          put_entry (&w, big, &ent);
        }
      if (big)
        put_u64 (&w, next);
      else
        put_u32 (&w, (guint32) next);
    }
  writer_flush (&w);
  g_free (w.buf);
  if (w.failed)
    return FALSE;
  if (!ps_atomic_file_commit (g_steal_pointer (&file), error))
    return FALSE;
  ps_progress_report (progress, 1.0, NULL);
  return TRUE;
}

typedef struct
{
  const PsVolume *vol;
  PsSampleMap map;
  PsDType dtype;
} VolumeFill;

static void
fill_volume_page (gpointer user, gsize z, void *dst)
{
  VolumeFill *f = user;
  gsize plane = f->vol->nx * f->vol->ny;
  _ps_sample_map_apply (&f->map, f->dtype, f->vol->data + z * plane, plane, dst);
}

gboolean
ps_tiff_save (const PsVolume *vol, const char *path, const PsSaveOptions *options,
              const PsProgress *progress, GError **error)
{
  TiffWriteSpec spec = { 0 };
  VolumeFill fill = { 0 };
  PsDType dtype = options ? options->dtype : PS_DTYPE_F32;

  g_return_val_if_fail (vol != NULL && path != NULL, FALSE);
  if (dtype == PS_DTYPE_UNKNOWN)
    dtype = PS_DTYPE_F32;
  switch (dtype)
    {
    case PS_DTYPE_U8: case PS_DTYPE_U16: case PS_DTYPE_U32: case PS_DTYPE_I16: case PS_DTYPE_F32:
      break;
    default:
      g_set_error (error, PS_ERROR, PS_ERROR_CODE_INVALID_PARAMETER,
                   _("%s: Porescope writes TIFF as uint8, uint16, uint32, int16 or float32, not %s"),
                   path, ps_dtype_to_string (dtype));
      return FALSE;
    }
  fill.vol = vol;
  fill.dtype = dtype;
  _ps_sample_map_plan (vol, dtype, options ? options->rescale : TRUE, &fill.map);
  spec.dtype = dtype;
  spec.width = vol->nx;
  spec.height = vol->ny;
  spec.n_pages = vol->nz;
  memcpy (spec.spacing, vol->spacing, sizeof spec.spacing);
  spec.spacing_known = vol->spacing_known;
  spec.fill = fill_volume_page;
  spec.user = &fill;
  {
    PsStats st;
    ps_stats_volume (vol, NULL, &st);
    if (dtype == PS_DTYPE_F32)
      {
        spec.display_min = st.min;
        spec.display_max = st.max;
      }
    else
      {
        spec.display_min = nearbyint (st.min * fill.map.scale + fill.map.offset);
        spec.display_max = nearbyint (st.max * fill.map.scale + fill.map.offset);
      }
  }
  return tiff_write (path, &spec, progress, error);
}

static void
fill_labels_page (gpointer user, gsize z, void *dst)
{
  const PsLabels *labels = user;
  gsize plane = labels->nx * labels->ny;
  memcpy (dst, labels->data + z * plane, plane * sizeof (guint32));
}

gboolean
_ps_tiff_save_labels (const PsLabels *labels, const char *path, GError **error)
{
  TiffWriteSpec spec = { 0 };
  spec.dtype = PS_DTYPE_U32;
  spec.width = labels->nx;
  spec.height = labels->ny;
  spec.n_pages = labels->nz;
  memcpy (spec.spacing, labels->spacing, sizeof spec.spacing);
  spec.spacing_known = labels->spacing_known;
  spec.display_min = 0;
  spec.display_max = labels->n_labels;
  spec.fill = fill_labels_page;
  spec.user = (gpointer) labels;
  return tiff_write (path, &spec, NULL, error);
}
