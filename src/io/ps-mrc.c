/* SPDX-License-Identifier: GPL-3.0-or-later */
/* ps-mrc.c: MRC2014 / CCP4 maps in and out, as IMOD and mrcfile use them.
 *
 * Header (1024 bytes, words of 4 bytes): NX NY NZ, MODE, NXSTART.., MX MY MZ,
 * CELLA (Å), CELLB, MAPC MAPR MAPS, DMIN DMAX DMEAN, ISPG, NSYMBT (extended
 * header bytes), EXTRA (EXTTYP at 104, NVERSION at 108; IMOD stamp at 152 and
 * flags at 156), ORIGIN (196), "MAP " (208), MACHST (212), RMS, NLABL, 10
 * labels of 80 bytes. Data follow the extended header: columns fastest.
 *
 * Byte order comes from the machine stamp (0x44 0x44/0x41 little, 0x11 0x11
 * big); files with a missing stamp are recognised by plausible sizes. Voxel
 * size = CELLA / MX (Å → nm). Non-standard axis orders (MAPC/MAPR/MAPS, as
 * crystallographic maps use) are reoriented to x, y, z. Mode 0 is signed
 * (MRC2014) unless IMOD's stamp says its flags mark bytes unsigned.
 * .gz files are read through zlib.
 */
#define G_LOG_DOMAIN "ps-mrc"

#include "config.h"

#include <inttypes.h>

#include <errno.h>
#include <fcntl.h>
#include <gio/gio.h>
#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>
#include <math.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "ps-atomic-file.h"
#include "ps-error.h"
#include "ps-half.h"
#include "ps-io-private.h"
#include "ps-memory.h"
#include "ps-size.h"
#include "ps-stats.h"

#define MRC_HEADER 1024
#define IMOD_STAMP 1146047817

typedef struct
{
  gint32 nx, ny, nz, mode;
  gint32 nstart[3];
  gint32 m[3];
  float cella[3], cellb[3];
  gint32 map[3];
  float dmin, dmax, dmean;
  gint32 ispg, nsymbt;
  char exttyp[5];
  gint32 nversion;
  gint32 imod_stamp, imod_flags;
  float origin[3];
  gboolean has_map_tag;
  guint8 machst[4];
  float rms;
  gint32 nlabl;
  char label0[81];
  gboolean swap;
  PsDType dtype;
} MrcHeader;

static gint32
rd_i32 (const guint8 *p, gboolean swap)
{
  guint32 v;
  memcpy (&v, p, 4);
  if (swap) v = GUINT32_SWAP_LE_BE (v);
  return (gint32) v;
}

static float
rd_f32 (const guint8 *p, gboolean swap)
{
  guint32 v;
  float f;
  memcpy (&v, p, 4);
  if (swap) v = GUINT32_SWAP_LE_BE (v);
  memcpy (&f, &v, 4);
  return f;
}

static gboolean
mode_known (gint32 mode)
{
  return mode == 0 || mode == 1 || mode == 2 || mode == 3 || mode == 4 || mode == 6 ||
         mode == 12 || mode == 101;
}

static gboolean
plausible (const guint8 *h, gboolean swap)
{
  gint32 nx = rd_i32 (h, swap), ny = rd_i32 (h + 4, swap), nz = rd_i32 (h + 8, swap);
  gint32 mode = rd_i32 (h + 12, swap);
  return nx > 0 && ny > 0 && nz > 0 && nx < (1 << 24) && ny < (1 << 24) && nz < (1 << 24) && mode_known (mode);
}

static gboolean
parse_header (const guint8 *h, gsize len, const char *name, MrcHeader *hd, PsFileInfo *info, GError **error)
{
  gboolean native_le = G_BYTE_ORDER == G_LITTLE_ENDIAN;
  gboolean file_le;

  memset (hd, 0, sizeof *hd);
  if (len < MRC_HEADER)
    {
      g_set_error (error, PS_ERROR, PS_ERROR_CODE_CORRUPT_FILE,
                   _("%s: too short for an MRC file (%zu bytes; the header alone has 1024)"), name, len);
      return FALSE;
    }
  memcpy (hd->machst, h + 212, 4);
  hd->has_map_tag = memcmp (h + 208, "MAP", 3) == 0;
  if (hd->machst[0] == 0x44 || hd->machst[0] == 0x41)
    file_le = TRUE;
  else if (hd->machst[0] == 0x11)
    file_le = FALSE;
  else
    {
      /* No usable stamp: take the byte order that gives plausible sizes. */
      if (plausible (h, !native_le))
        file_le = TRUE;
      else if (plausible (h, native_le))
        file_le = FALSE;
      else
        file_le = TRUE;
      _ps_file_info_note (info, _("No valid machine stamp; the byte order was inferred from the sizes."));
    }
  hd->swap = file_le != native_le;
  /* A stamp that contradicts plausible sizes (some writers get it wrong). */
  if (!plausible (h, hd->swap) && plausible (h, !hd->swap))
    {
      hd->swap = !hd->swap;
      _ps_file_info_note (info, _("The machine stamp disagrees with the header; the other byte order was used."));
    }

  hd->nx = rd_i32 (h, hd->swap);
  hd->ny = rd_i32 (h + 4, hd->swap);
  hd->nz = rd_i32 (h + 8, hd->swap);
  hd->mode = rd_i32 (h + 12, hd->swap);
  for (int i = 0; i < 3; i++)
    {
      hd->nstart[i] = rd_i32 (h + 16 + 4 * i, hd->swap);
      hd->m[i] = rd_i32 (h + 28 + 4 * i, hd->swap);
      hd->cella[i] = rd_f32 (h + 40 + 4 * i, hd->swap);
      hd->cellb[i] = rd_f32 (h + 52 + 4 * i, hd->swap);
      hd->map[i] = rd_i32 (h + 64 + 4 * i, hd->swap);
      hd->origin[i] = rd_f32 (h + 196 + 4 * i, hd->swap);
    }
  hd->dmin = rd_f32 (h + 76, hd->swap);
  hd->dmax = rd_f32 (h + 80, hd->swap);
  hd->dmean = rd_f32 (h + 84, hd->swap);
  hd->ispg = rd_i32 (h + 88, hd->swap);
  hd->nsymbt = rd_i32 (h + 92, hd->swap);
  memcpy (hd->exttyp, h + 104, 4);
  hd->nversion = rd_i32 (h + 108, hd->swap);
  hd->imod_stamp = rd_i32 (h + 152, hd->swap);
  hd->imod_flags = rd_i32 (h + 156, hd->swap);
  hd->rms = rd_f32 (h + 216, hd->swap);
  hd->nlabl = rd_i32 (h + 220, hd->swap);
  memcpy (hd->label0, h + 224, 80);
  for (int i = 79; i >= 0 && (hd->label0[i] == ' ' || hd->label0[i] == '\0'); i--)
    hd->label0[i] = '\0';
  for (int i = 0; i < 4; i++)
    if (!g_ascii_isprint (hd->exttyp[i]))
      hd->exttyp[i] = '\0';

  if (hd->nx <= 0 || hd->ny <= 0 || hd->nz <= 0)
    {
      g_set_error (error, PS_ERROR, PS_ERROR_CODE_CORRUPT_FILE,
                   _("%s: not a valid MRC file (dimensions %d × %d × %d)%s"), name, hd->nx, hd->ny, hd->nz,
                   hd->has_map_tag ? "" : _("; no “MAP ” tag either"));
      return FALSE;
    }
  switch (hd->mode)
    {
    case 0:
      if (hd->imod_stamp == IMOD_STAMP && !(hd->imod_flags & 1))
        {
          hd->dtype = PS_DTYPE_U8;
          _ps_file_info_note (info, _("Mode 0 read as unsigned bytes (IMOD flags)."));
        }
      else
        hd->dtype = PS_DTYPE_I8;
      break;
    case 1: hd->dtype = PS_DTYPE_I16; break;
    case 2: hd->dtype = PS_DTYPE_F32; break;
    case 6: hd->dtype = PS_DTYPE_U16; break;
    case 12: hd->dtype = PS_DTYPE_F16; break;
    case 3: case 4:
      g_set_error (error, PS_ERROR, PS_ERROR_CODE_UNSUPPORTED_FORMAT,
                   _("%s: complex data (MRC mode %d) are not supported"), name, hd->mode);
      return FALSE;
    case 101:
      g_set_error (error, PS_ERROR, PS_ERROR_CODE_UNSUPPORTED_FORMAT,
                   _("%s: 4-bit data (MRC mode 101) are not supported"), name);
      return FALSE;
    default:
      g_set_error (error, PS_ERROR, PS_ERROR_CODE_CORRUPT_FILE,
                   _("%s: not a valid MRC file (unknown mode %d)"), name, hd->mode);
      return FALSE;
    }
  if (hd->nsymbt < 0)
    {
      g_set_error (error, PS_ERROR, PS_ERROR_CODE_CORRUPT_FILE,
                   _("%s: negative extended-header size (%d)"), name, hd->nsymbt);
      return FALSE;
    }
  return TRUE;
}

/* Sequential input: a plain file, a gzip stream, or memory. */
typedef struct
{
  int fd;
  gzFile gz;
  const guint8 *mem;
  gsize mem_len, mem_pos;
} Source;

static gboolean
source_read (Source *s, void *buf, gsize len, gsize *got)
{
  guint8 *p = buf;
  *got = 0;
  if (s->mem != NULL)
    {
      gsize n = MIN (len, s->mem_len - s->mem_pos);
      memcpy (buf, s->mem + s->mem_pos, n);
      s->mem_pos += n;
      *got = n;
      return TRUE;
    }
  while (len > 0)
    {
      gssize n;
      if (s->gz != NULL)
        {
          unsigned chunk = (unsigned) MIN (len, (gsize) 1 << 30);
          n = gzread (s->gz, p, chunk);
          if (n < 0)
            return FALSE;
        }
      else
        {
          n = read (s->fd, p, MIN (len, (gsize) 1 << 30));
          if (n < 0 && errno == EINTR)
            continue;
          if (n < 0)
            return FALSE;
        }
      if (n == 0)
        break;
      p += n;
      len -= (gsize) n;
      *got += (gsize) n;
    }
  return TRUE;
}

static gboolean
source_skip (Source *s, gsize len, gsize *got)
{
  guint8 buf[65536];
  *got = 0;
  if (s->mem != NULL)
    {
      gsize n = MIN (len, s->mem_len - s->mem_pos);
      s->mem_pos += n;
      *got = n;
      return TRUE;
    }
  if (s->gz == NULL)
    {
      off_t cur = lseek (s->fd, 0, SEEK_CUR);
      off_t end = lseek (s->fd, 0, SEEK_END);
      if (cur < 0 || end < 0)
        return FALSE;
      gsize n = MIN (len, (gsize) (end - cur));
      if (lseek (s->fd, cur + (off_t) n, SEEK_SET) < 0)
        return FALSE;
      *got = n;
      return TRUE;
    }
  while (len > 0)
    {
      gsize n;
      if (!source_read (s, buf, MIN (len, sizeof buf), &n))
        return FALSE;
      if (n == 0)
        break;
      len -= n;
      *got += n;
    }
  return TRUE;
}

/* ---- volumes larger than the memory budget ------------------------------- */

typedef struct
{
  void *base;
  gsize len;
} Mapping;

static void
mapping_free (void *data, void *user_data)
{
  Mapping *m = user_data;
  munmap (m->base, m->len);
  g_free (m);
}

/* A float32 file in this machine's byte order and the standard axis order
 * needs no conversion: its data can be shown straight from the page cache.
 * Mapped private and copy-on-write, so nothing is ever written back, and
 * the kernel pages it in and out as views read it. NULL when the file is not
 * such a file (compressed, in memory, another mode or byte order, axes to
 * reorder, data not 64-byte aligned) or the mapping fails. */
static PsVolume *
map_volume (const Source *src, const MrcHeader *hd, gsize nx, gsize ny, gsize nz, gsize data_bytes)
{
  gsize offset = MRC_HEADER + (gsize) hd->nsymbt, len;
  gboolean standard_axes = (hd->map[0] == 1 && hd->map[1] == 2 && hd->map[2] == 3)
                           || (hd->map[0] == 0 && hd->map[1] == 0 && hd->map[2] == 0);
  Mapping *m;
  void *base;

  if (src->fd < 0 || src->gz != NULL || src->mem != NULL || hd->dtype != PS_DTYPE_F32 || hd->swap
      || !standard_axes || offset % 64 != 0 || !ps_size_add (offset, data_bytes, &len))
    return NULL;
  base = mmap (NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE, src->fd, 0);
  if (base == MAP_FAILED)
    return NULL;
  madvise (base, len, MADV_RANDOM);
  m = g_new (Mapping, 1);
  m->base = base;
  m->len = len;
  return ps_volume_new_wrap (nx, ny, nz, (float *) ((guint8 *) base + offset), mapping_free, m);
}

static PsVolume *
mrc_read (Source *src, const char *name, guint64 file_size, gboolean compressed, PsFileInfo **info_out,
          const PsProgress *progress, GError **error)
{
  guint8 h[MRC_HEADER];
  MrcHeader hd;
  PsFileInfo *info = _ps_file_info_new (PS_FORMAT_MRC, "MRC");
  PsVolume *vol = NULL;
  gsize got, plane, elsize, data_bytes, nx, ny, nz;
  g_autofree guint8 *buf = NULL;
  PsStatus st;

  info->file_size = file_size;
  if (!source_read (src, h, MRC_HEADER, &got))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, _("%s: read error"), name);
      goto fail;
    }
  if (got < MRC_HEADER && compressed)
    {
      g_set_error (error, PS_ERROR, PS_ERROR_CODE_CORRUPT_FILE,
                   _("%s: the compressed stream ends inside the MRC header (%zu bytes)"), name, got);
      goto fail;
    }
  if (!parse_header (h, got, name, &hd, info, error))
    goto fail;

  nx = (gsize) hd.nx;
  ny = (gsize) hd.ny;
  nz = (gsize) hd.nz;
  elsize = ps_dtype_size (hd.dtype);
  if (!ps_size_voxels_bytes (nx, ny, nz, elsize, &data_bytes))
    {
      g_set_error (error, PS_ERROR, PS_ERROR_CODE_TOO_LARGE,
                   _("%s: %zu × %zu × %zu voxels is too large"), name, nx, ny, nz);
      goto fail;
    }
  if (!compressed && file_size > 0)
    {
      guint64 need = (guint64) MRC_HEADER + (guint64) hd.nsymbt + data_bytes;
      if ((guint64) MRC_HEADER + (guint64) hd.nsymbt > file_size)
        {
          g_set_error (error, PS_ERROR, PS_ERROR_CODE_CORRUPT_FILE,
                       _("%s: the extended header (%d bytes) runs past the end of the file (%" PRIu64 " bytes)"),
                       name, hd.nsymbt, file_size);
          goto fail;
        }
      if (need > file_size)
        {
          g_set_error (error, PS_ERROR, PS_ERROR_CODE_CORRUPT_FILE,
                       _("%s: truncated: the header describes %zu × %zu × %zu voxels of %s (%" PRIu64 " bytes from byte %" PRIu64 "), but the file has only %" PRIu64 " bytes"),
                       name, nx, ny, nz, ps_dtype_to_string (hd.dtype), (guint64) data_bytes,
                       (guint64) MRC_HEADER + hd.nsymbt, file_size);
          goto fail;
        }
      if (need < file_size)
        _ps_file_info_note (info, _("%" PRIu64 " bytes after the image data were ignored."), file_size - need);
    }
  if (ps_memory_check (nx * ny * nz * sizeof (float)) != PS_OK)
    {
      /* Larger than memory: show it from the file, or say what it needs. */
      vol = map_volume (src, &hd, nx, ny, nz, data_bytes);
      if (vol == NULL)
        {
          _ps_check_alloc (nx * ny * nz * sizeof (float), name, error);
          goto fail;
        }
      g_autofree char *size = g_format_size_full ((guint64) data_bytes, G_FORMAT_SIZE_IEC_UNITS);
      _ps_file_info_note (info, _("Larger than the memory available (%s): shown read-only from the file "
                                  "(memory-mapped). Crop a subvolume to analyse it."), size);
      info->mapped = TRUE;
      goto header_done;
    }

  if (!source_skip (src, (gsize) hd.nsymbt, &got) || got < (gsize) hd.nsymbt)
    {
      g_set_error (error, PS_ERROR, PS_ERROR_CODE_CORRUPT_FILE,
                   _("%s: truncated inside the extended header"), name);
      goto fail;
    }
  vol = ps_volume_new_uninit (nx, ny, nz, &st);
  if (vol == NULL)
    {
      ps_set_error_from_status (error, st, name);
      goto fail;
    }
  plane = nx * ny;
  if (!(hd.dtype == PS_DTYPE_F32 && !hd.swap))
    {
      buf = g_try_malloc (plane * elsize);
      if (buf == NULL)
        {
          ps_set_error_too_large (error, name, plane * elsize);
          goto fail;
        }
    }
  for (gsize z = 0; z < nz; z++)
    {
      float *dst = vol->data + z * plane;
      void *target = buf ? (void *) buf : (void *) dst;
      if (ps_progress_cancelled (progress))
        {
          ps_set_error_from_status (error, PS_ERROR_CANCELLED, name);
          goto fail;
        }
      if (!source_read (src, target, plane * elsize, &got))
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, _("%s: read error in section %zu"), name, z + 1);
          goto fail;
        }
      if (got < plane * elsize)
        {
          g_set_error (error, PS_ERROR, PS_ERROR_CODE_CORRUPT_FILE,
                       _("%s: truncated: the data end in section %zu of %zu"), name, z + 1, nz);
          goto fail;
        }
      if (buf)
        _ps_convert_to_float (hd.dtype, buf, plane, hd.swap, dst);
      ps_progress_report (progress, (double) (z + 1) / (double) nz, NULL);
    }

header_done:
  /* Reorient non-standard axis orders to x, y, z. */
  {
    int map[3] = { hd.map[0], hd.map[1], hd.map[2] };
    gboolean valid = TRUE;
    int seen = 0;
    for (int i = 0; i < 3; i++)
      {
        if (map[i] < 1 || map[i] > 3 || (seen & (1 << map[i])))
          valid = FALSE;
        else
          seen |= 1 << map[i];
      }
    if (!valid)
      {
        if (!(map[0] == 0 && map[1] == 0 && map[2] == 0))
          _ps_file_info_note (info, _("Invalid axis order MAPC/MAPR/MAPS = %d %d %d; assuming 1 2 3."),
                              map[0], map[1], map[2]);
      }
    else if (!(map[0] == 1 && map[1] == 2 && map[2] == 3))
      {
        int order[3];
        static const char axis_name[3] = { 'x', 'y', 'z' };
        for (int s = 0; s < 3; s++)
          order[map[s] - 1] = s;
        PsVolume *p = ps_volume_permute (vol, order, &st);
        if (p == NULL)
          {
            ps_set_error_from_status (error, st, name);
            goto fail;
          }
        _ps_file_info_note (info,
                            _("Stored axis order (columns, rows, sections) = (%c, %c, %c): reoriented to x, y, z; stored dimensions were %zu × %zu × %zu."),
                            axis_name[map[0] - 1], axis_name[map[1] - 1], axis_name[map[2] - 1], nx, ny, nz);
        ps_volume_unref (vol);
        vol = p;
      }
  }

  /* Voxel size from the cell and the sampling, in the reoriented frame. */
  {
    double sp[3];
    gboolean known[3];
    gboolean negative = FALSE;
    gsize n[3] = { vol->nx, vol->ny, vol->nz };
    for (int a = 0; a < 3; a++)
      {
        double c = hd.cella[a];
        gint32 m = hd.m[a];
        if (c < 0)
          {
            negative = TRUE;
            c = -c;
          }
        known[a] = isfinite (c) && c > 0 && m > 0;
        sp[a] = known[a] ? c / m / 10.0 : 1.0;
      }
    if (negative)
      _ps_file_info_note (info, _("The cell dimensions are negative; their absolute values were used."));
    /* Image stacks (ISPG 0, MZ 1) and single images carry no z sampling. */
    if (known[0] && (!known[2] || (hd.ispg == 0 && hd.m[2] <= 1 && n[2] > 1)))
      {
        if (n[2] > 1)
          _ps_file_info_note (info, _("No z spacing (image stack); using the x pixel size for z."));
        sp[2] = sp[0];
        known[2] = TRUE;
      }
    if (known[0] && !known[1])
      {
        sp[1] = sp[0];
        known[1] = TRUE;
      }
    if (known[0] && known[1] && known[2])
      {
        ps_volume_set_spacing (vol, sp[0], sp[1], sp[2]);
        info->spacing_source = g_strdup (_("MRC cell / grid (CELLA / MX)"));
      }
    else
      info->spacing_source = g_strdup (_("none in the header (cell or grid sampling is zero); assuming 1 nm"));
  }

  info->dtype = hd.dtype;
  info->nx = vol->nx;
  info->ny = vol->ny;
  info->nz = vol->nz;
  memcpy (info->spacing, vol->spacing, sizeof info->spacing);
  info->spacing_known = vol->spacing_known;
  {
    GString *d = g_string_new (NULL);
    gboolean le = (G_BYTE_ORDER == G_LITTLE_ENDIAN) != hd.swap;
    if (hd.nversion >= 20140 && hd.nversion < 20500)
      g_string_append_printf (d, "MRC2014 (version %d)", hd.nversion);
    else
      g_string_append (d, hd.has_map_tag ? "MRC/CCP4 (pre-2014 header)" : "MRC (old header, no MAP tag)");
    g_string_append_printf (d, ", %s, mode %d, ISPG %d", le ? "little-endian" : "big-endian", hd.mode, hd.ispg);
    if (hd.nsymbt > 0)
      g_string_append_printf (d, ", extended header %d bytes%s%s", hd.nsymbt,
                              hd.exttyp[0] ? " " : "", hd.exttyp);
    if (compressed)
      g_string_append (d, ", gzip-compressed");
    info->details = g_string_free (d, FALSE);
    if (hd.label0[0] != '\0' && g_utf8_validate (hd.label0, -1, NULL))
      _ps_file_info_note (info, _("Label: %s"), hd.label0);
    if (hd.origin[0] != 0 || hd.origin[1] != 0 || hd.origin[2] != 0)
      _ps_file_info_note (info, _("Origin (Å): %g, %g, %g"), hd.origin[0], hd.origin[1], hd.origin[2]);
  }
  if (compressed)
    {
      /* Trailing garbage after the data in a .gz is harmless; report it. */
    }
  if (info_out)
    *info_out = info;
  else
    ps_file_info_free (info);
  return vol;

fail:
  if (vol)
    ps_volume_unref (vol);
  ps_file_info_free (info);
  return NULL;
}

static gboolean
is_gzip (int fd)
{
  guint8 magic[2];
  gboolean gz = pread (fd, magic, 2, 0) == 2 && magic[0] == 0x1f && magic[1] == 0x8b;
  return gz;
}

PsVolume *
ps_mrc_load (const char *path, PsFileInfo **info, const PsProgress *progress, GError **error)
{
  Source src = { .fd = -1 };
  struct stat st;
  PsVolume *vol;
  gboolean gz;
  int fd;

  g_return_val_if_fail (path != NULL, NULL);
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
  gz = is_gzip (fd);
  if (gz)
    {
      src.gz = gzdopen (fd, "rb");
      if (src.gz == NULL)
        {
          close (fd);
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, _("%s: cannot open the gzip stream"), path);
          return NULL;
        }
      gzbuffer (src.gz, 1 << 20);
    }
  else
    src.fd = fd;
  vol = mrc_read (&src, path, (guint64) st.st_size, gz, info, progress, error);
  if (gz)
    {
      int zerr = Z_OK;
      const char *msg = gzerror (src.gz, &zerr);
      if (vol != NULL && zerr != Z_OK && zerr != Z_STREAM_END)
        {
          /* Data complete but the stream reported an error (e.g. CRC). */
          g_set_error (error, PS_ERROR, PS_ERROR_CODE_CORRUPT_FILE, _("%s: corrupt gzip stream: %s"), path, msg);
          g_clear_pointer (&vol, ps_volume_unref);
          if (info && *info)
            g_clear_pointer (info, ps_file_info_free);
        }
      gzclose (src.gz);
    }
  else
    close (fd);
  return vol;
}

PsVolume *
ps_mrc_load_from_bytes (const guint8 *data, gsize len, const char *name, PsFileInfo **info, GError **error)
{
  Source src = { .fd = -1, .mem = data, .mem_len = len };

  if (len >= 2 && data[0] == 0x1f && data[1] == 0x8b)
    {
      /* Inflate through zlib into memory, bounded by the header's promise. */
      z_stream zs = { 0 };
      guint8 hdr[MRC_HEADER];
      GByteArray *out;
      PsVolume *vol;
      if (inflateInit2 (&zs, 15 + 16) != Z_OK)
        {
          g_set_error (error, PS_ERROR, PS_ERROR_CODE_CORRUPT_FILE, _("%s: bad gzip stream"), name);
          return NULL;
        }
      zs.next_in = (Bytef *) data;
      zs.avail_in = (uInt) MIN (len, G_MAXUINT);
      zs.next_out = hdr;
      zs.avail_out = sizeof hdr;
      int rc = inflate (&zs, Z_SYNC_FLUSH);
      gsize have = sizeof hdr - zs.avail_out;
      MrcHeader hd;
      gsize limit = MRC_HEADER;
      if (have == MRC_HEADER && parse_header (hdr, have, name, &hd, NULL, NULL))
        {
          gsize db;
          if (ps_size_voxels_bytes ((gsize) hd.nx, (gsize) hd.ny, (gsize) hd.nz, ps_dtype_size (hd.dtype), &db) &&
              db < ((gsize) 1 << 32))
            limit = MRC_HEADER + (gsize) hd.nsymbt + db;
        }
      out = g_byte_array_new ();
      g_byte_array_append (out, hdr, (guint) have);
      while (rc == Z_OK && out->len < limit)
        {
          guint8 chunk[65536];
          zs.next_out = chunk;
          zs.avail_out = (uInt) MIN (sizeof chunk, limit - out->len);
          rc = inflate (&zs, Z_NO_FLUSH);
          g_byte_array_append (out, chunk, (guint) (zs.next_out - chunk));
          if (zs.next_out == chunk && rc == Z_OK && zs.avail_in == 0)
            break;
        }
      inflateEnd (&zs);
      src.mem = out->data;
      src.mem_len = out->len;
      vol = mrc_read (&src, name, len, TRUE, info, NULL, error);
      g_byte_array_unref (out);
      return vol;
    }
  return mrc_read (&src, name, len, FALSE, info, NULL, error);
}

/* ---- writing ------------------------------------------------------------------ */

gboolean
ps_mrc_save (const PsVolume *vol, const char *path, const PsSaveOptions *options,
             const PsProgress *progress, GError **error)
{
  PsDType dtype = options && options->dtype != PS_DTYPE_UNKNOWN ? options->dtype : PS_DTYPE_F32;
  gint32 mode;
  PsSampleMap map;
  g_autoptr(PsAtomicFile) file = NULL;
  g_autofree guint8 *page = NULL;
  guint8 h[MRC_HEADER] = { 0 };
  gsize plane = vol->nx * vol->ny, elsize;
  PsBufWriter w = { 0 };

  switch (dtype)
    {
    case PS_DTYPE_F32: mode = 2; break;
    case PS_DTYPE_I16: mode = 1; break;
    case PS_DTYPE_U16: mode = 6; break;
    case PS_DTYPE_F16: mode = 12; break;
    case PS_DTYPE_I8: mode = 0; break;
    case PS_DTYPE_U8:
      g_set_error (error, PS_ERROR, PS_ERROR_CODE_INVALID_PARAMETER,
                   _("%s: MRC has no unsigned 8-bit mode (mode 0 is signed); use u16 or f32, or write a TIFF"),
                   path);
      return FALSE;
    default:
      g_set_error (error, PS_ERROR, PS_ERROR_CODE_INVALID_PARAMETER,
                   _("%s: MRC cannot store %s"), path, ps_dtype_to_string (dtype));
      return FALSE;
    }
  if (vol->nx > G_MAXINT32 || vol->ny > G_MAXINT32 || vol->nz > G_MAXINT32)
    return ps_set_error_from_status (error, PS_ERROR_TOO_LARGE, path);
  elsize = ps_dtype_size (dtype);
  _ps_sample_map_plan (vol, dtype, options ? options->rescale : TRUE, &map);

  /* Statistics of the values as stored. */
  double dmin = INFINITY, dmax = -INFINITY, sum = 0, sum2 = 0;
  guint64 n = 0;
  {
    g_autofree float *tmp = g_try_malloc (plane * sizeof (float));
    g_autofree guint8 *conv = g_try_malloc (plane * elsize);
    if (tmp == NULL || conv == NULL)
      return ps_set_error_too_large (error, path, plane * (sizeof (float) + elsize));
    for (gsize z = 0; z < vol->nz; z++)
      {
        _ps_sample_map_apply (&map, dtype, vol->data + z * plane, plane, conv);
        _ps_convert_to_float (dtype, conv, plane, FALSE, tmp);
        double s = 0, s2 = 0;
        for (gsize i = 0; i < plane; i++)
          {
            double v = tmp[i];
            if (!isfinite (v))
              continue;
            if (v < dmin) dmin = v;
            if (v > dmax) dmax = v;
            s += v;
            s2 += v * v;
            n++;
          }
        sum += s;
        sum2 += s2;
      }
  }
  double dmean = n ? sum / (double) n : 0;
  double rms = n ? sqrt (MAX (0.0, sum2 / (double) n - dmean * dmean)) : 0;
  if (n == 0)
    dmin = dmax = 0;

#define PUT_I32(off, v) G_STMT_START { guint32 _u = GUINT32_TO_LE ((guint32) (gint32) (v)); memcpy (h + (off), &_u, 4); } G_STMT_END
#define PUT_F32(off, v) G_STMT_START { float _f = (float) (v); guint32 _u; memcpy (&_u, &_f, 4); _u = GUINT32_TO_LE (_u); memcpy (h + (off), &_u, 4); } G_STMT_END
  gsize n3[3] = { vol->nx, vol->ny, vol->nz };
  for (int a = 0; a < 3; a++)
    {
      PUT_I32 (4 * a, n3[a]);
      PUT_I32 (28 + 4 * a, n3[a]);     /* MX MY MZ = NX NY NZ */
      PUT_F32 (40 + 4 * a, n3[a] * vol->spacing[a] * 10.0 * (vol->spacing_known ? 1 : 0));
      PUT_F32 (52 + 4 * a, 90.0);
      PUT_I32 (64 + 4 * a, a + 1);
    }
  PUT_I32 (12, mode);
  PUT_F32 (76, dmin);
  PUT_F32 (80, dmax);
  PUT_F32 (84, dmean);
  PUT_I32 (88, options && options->tilt_series ? 0 : 1);
  PUT_I32 (92, 0);
  PUT_I32 (108, 20140);
  if (mode == 0)
    {
      /* IMOD: stamp + flag bit 0 = bytes are signed. */
      PUT_I32 (152, IMOD_STAMP);
      PUT_I32 (156, 1);
    }
  memcpy (h + 208, "MAP ", 4);
  h[212] = 0x44;
  h[213] = 0x44;
  PUT_F32 (216, rms);
  PUT_I32 (220, 1);
  {
    char label[81];
    memset (label, ' ', 80);
    int len = g_snprintf (label, sizeof label, "Porescope %s", PACKAGE_VERSION);
    if (len < 80)
      label[len] = ' ';
    memcpy (h + 224, label, 80);
  }
#undef PUT_I32
#undef PUT_F32

  file = ps_atomic_file_open (path, error);
  if (file == NULL)
    return FALSE;
  page = g_try_malloc (MAX (plane * elsize, 1));
  if (page == NULL)
    return ps_set_error_too_large (error, path, plane * elsize);
  w.fd = ps_atomic_file_get_fd (file);
  w.path = path;
  w.cap = 4 << 20;
  w.buf = g_malloc (w.cap);
  w.error = error;
  _ps_buf_writer_put (&w, h, sizeof h);
  for (gsize z = 0; z < vol->nz && !w.failed; z++)
    {
      if (ps_progress_cancelled (progress))
        {
          g_free (w.buf);
          return ps_set_error_from_status (error, PS_ERROR_CANCELLED, path);
        }
      _ps_sample_map_apply (&map, dtype, vol->data + z * plane, plane, page);
      _ps_buf_writer_put (&w, page, plane * elsize);
      ps_progress_report (progress, (double) (z + 1) / (double) vol->nz, NULL);
    }
  _ps_buf_writer_flush (&w);
  g_free (w.buf);
  if (w.failed)
    return FALSE;
  return ps_atomic_file_commit (g_steal_pointer (&file), error);
}
