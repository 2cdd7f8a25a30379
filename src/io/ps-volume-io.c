/* SPDX-License-Identifier: GPL-3.0-or-later */
/* ps-volume-io.c: format detection and dispatch; labels; tilt series. */
#define G_LOG_DOMAIN "ps-volume-io"

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <gio/gio.h>
#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

#include "ps-error.h"
#include "ps-io-private.h"
#include "ps-volume-io.h"

#if G_BYTE_ORDER != G_LITTLE_ENDIAN
#error "The writers emit host-order samples into little-endian files."
#endif

static const char *const mrc_suffixes[] = {
  ".mrc", ".mrcs", ".st", ".ali", ".rec", ".map", ".ccp4", ".preali", ".mrc.gz", ".map.gz",
  ".ccp4.gz", ".rec.gz", ".st.gz", ".ali.gz", NULL
};

static gboolean
has_suffix_ci (const char *path, const char *suffix)
{
  gsize pl = strlen (path), sl = strlen (suffix);
  return pl >= sl && g_ascii_strcasecmp (path + pl - sl, suffix) == 0;
}

static gboolean
is_mrc_name (const char *path)
{
  for (int i = 0; mrc_suffixes[i] != NULL; i++)
    if (has_suffix_ci (path, mrc_suffixes[i]))
      return TRUE;
  return FALSE;
}

PsFileFormat
ps_file_format_detect (const char *path, GError **error)
{
  guint8 head[256] = { 0 };
  gssize n;
  int fd = g_open (path, O_RDONLY | O_CLOEXEC, 0);

  if (fd < 0)
    {
      int errsv = errno;
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errsv), "%s: %s", path, g_strerror (errsv));
      return PS_FORMAT_UNKNOWN;
    }
  n = read (fd, head, sizeof head);
  close (fd);
  if (n < 0)
    {
      int errsv = errno;
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errsv), "%s: %s", path, g_strerror (errsv));
      return PS_FORMAT_UNKNOWN;
    }
  if (n >= 4 && ((head[0] == 'I' && head[1] == 'I' && (head[2] == 42 || head[2] == 43) && head[3] == 0) ||
                 (head[0] == 'M' && head[1] == 'M' && head[2] == 0 && (head[3] == 42 || head[3] == 43))))
    return PS_FORMAT_TIFF;
  if (n >= 12 && head[0] == 0 && head[1] == 0 && head[2] == 0 && (head[3] == 3 || head[3] == 4) &&
      (has_suffix_ci (path, ".dm3") || has_suffix_ci (path, ".dm4") ||
       (head[3] == 3 && head[8] == 0 && head[9] == 0 && head[10] == 0 && head[11] <= 1)))
    return PS_FORMAT_DM;
  if (n >= 212 && memcmp (head + 208, "MAP", 3) == 0)
    return PS_FORMAT_MRC;
  if (is_mrc_name (path))
    return PS_FORMAT_MRC;
  if (n >= 8 && memcmp (head, "\x89PNG\r\n\x1a\n", 8) == 0)
    g_set_error (error, PS_ERROR, PS_ERROR_CODE_UNSUPPORTED_FORMAT,
                 _("%s: a PNG image, not a volume (Porescope reads TIFF stacks, MRC and DM3/DM4)"), path);
  else if (n >= 2 && head[0] == 0x1f && head[1] == 0x8b)
    g_set_error (error, PS_ERROR, PS_ERROR_CODE_UNSUPPORTED_FORMAT,
                 _("%s: a gzip file whose name does not say MRC (.mrc.gz, .map.gz, …)"), path);
  else
    g_set_error (error, PS_ERROR, PS_ERROR_CODE_UNSUPPORTED_FORMAT,
                 _("%s: unknown file format (Porescope reads TIFF stacks, MRC/CCP4 and DM3/DM4)"), path);
  return PS_FORMAT_UNKNOWN;
}

PsVolume *
ps_volume_load (const char *path, PsFileInfo **info, const PsProgress *progress, GError **error)
{
  g_return_val_if_fail (path != NULL, NULL);
  if (info)
    *info = NULL;
  switch (ps_file_format_detect (path, error))
    {
    case PS_FORMAT_TIFF:
      return ps_tiff_load (path, info, progress, error);
    case PS_FORMAT_MRC:
      return ps_mrc_load (path, info, progress, error);
    case PS_FORMAT_DM:
      return ps_dm_load (path, info, progress, error);
    case PS_FORMAT_UNKNOWN:
    default:
      return NULL;
    }
}

static PsFileFormat
format_for_writing (const char *path, GError **error)
{
  if (has_suffix_ci (path, ".tif") || has_suffix_ci (path, ".tiff"))
    return PS_FORMAT_TIFF;
  if (has_suffix_ci (path, ".gz"))
    {
      g_set_error (error, PS_ERROR, PS_ERROR_CODE_INVALID_PARAMETER,
                   _("%s: Porescope does not write compressed files; drop the .gz"), path);
      return PS_FORMAT_UNKNOWN;
    }
  if (is_mrc_name (path))
    return PS_FORMAT_MRC;
  g_set_error (error, PS_ERROR, PS_ERROR_CODE_INVALID_PARAMETER,
               _("%s: cannot tell the output format from the name; use .tif or .mrc (.st .ali .rec .map)"), path);
  return PS_FORMAT_UNKNOWN;
}

gboolean
ps_volume_save (const PsVolume *vol, const char *path, const PsSaveOptions *options,
                const PsProgress *progress, GError **error)
{
  g_return_val_if_fail (vol != NULL && path != NULL, FALSE);
  switch (format_for_writing (path, error))
    {
    case PS_FORMAT_TIFF:
      return ps_tiff_save (vol, path, options, progress, error);
    case PS_FORMAT_MRC:
      return ps_mrc_save (vol, path, options, progress, error);
    default:
      return FALSE;
    }
}

gboolean
ps_labels_save (const PsLabels *labels, const char *path, GError **error)
{
  g_return_val_if_fail (labels != NULL && path != NULL, FALSE);
  if (!(has_suffix_ci (path, ".tif") || has_suffix_ci (path, ".tiff")))
    {
      g_set_error (error, PS_ERROR, PS_ERROR_CODE_INVALID_PARAMETER,
                   _("%s: label volumes are written as uint32 TIFF; use a .tif name"), path);
      return FALSE;
    }
  return _ps_tiff_save_labels (labels, path, error);
}

PsLabels *
ps_labels_load (const char *path, GError **error)
{
  g_return_val_if_fail (path != NULL, NULL);
  PsFileFormat f = ps_file_format_detect (path, error);
  if (f == PS_FORMAT_UNKNOWN)
    return NULL;
  if (f != PS_FORMAT_TIFF)
    {
      g_set_error (error, PS_ERROR, PS_ERROR_CODE_UNSUPPORTED_FORMAT,
                   _("%s: label volumes must be TIFF (uint8/16/32)"), path);
      return NULL;
    }
  return _ps_tiff_load_labels (path, error);
}

/* ---- tilt series ------------------------------------------------------------- */

PsTiltSeries *
ps_tilt_series_load (const char *path, const char *angles_spec, const PsProgress *progress, GError **error)
{
  g_autoptr(PsFileInfo) info = NULL;
  g_autoptr(PsVolume) vol = NULL;
  g_autofree double *angles = NULL;
  gsize n_angles = 0;
  char why[256];
  PsTiltSeries *ts;
  PsStatus st;

  vol = ps_volume_load (path, &info, progress, error);
  if (vol == NULL)
    return NULL;
  if (angles_spec != NULL)
    {
      angles = ps_angles_from_spec (angles_spec, &n_angles, error);
      if (angles == NULL)
        return NULL;
    }
  else if (info->angles != NULL)
    {
      n_angles = info->n_angles;
      angles = g_memdup2 (info->angles, n_angles * sizeof (double));
    }
  else
    {
      g_set_error (error, PS_ERROR, PS_ERROR_CODE_INVALID_PARAMETER,
                   _("%s: the file stores no tilt angles; give a .tlt/.rawtlt file or a START:STOP:STEP range"),
                   path);
      return NULL;
    }
  if (n_angles != vol->nz)
    {
      g_set_error (error, PS_ERROR, PS_ERROR_CODE_INVALID_PARAMETER,
                   _("%s has %zu images but %s gives %zu angles"), path, vol->nz,
                   angles_spec ? angles_spec : _("its metadata"), n_angles);
      return NULL;
    }
  if (!ps_angles_check (angles, n_angles, why, sizeof why))
    {
      g_set_error (error, PS_ERROR, PS_ERROR_CODE_INVALID_PARAMETER, "%s: %s",
                   angles_spec ? angles_spec : path, why);
      return NULL;
    }
  ts = ps_tilt_series_new (vol->nx, vol->ny, vol->nz, &st);
  if (ts == NULL)
    {
      ps_set_error_from_status (error, st, path);
      return NULL;
    }
  memcpy (ts->data, vol->data, vol->nx * vol->ny * vol->nz * sizeof (float));
  memcpy (ts->angles, angles, n_angles * sizeof (double));
  ts->pixel_size[0] = vol->spacing[0];
  ts->pixel_size[1] = vol->spacing[1];
  ts->spacing_known = vol->spacing_known;
  return ts;
}

static void
borrowed_data_free (void *data, void *user_data)
{
}

gboolean
ps_tilt_series_save (const PsTiltSeries *ts, const char *path, const char *tlt_path, GError **error)
{
  g_autoptr(PsVolume) vol = NULL;
  PsSaveOptions opts = { PS_DTYPE_F32, FALSE, TRUE };

  /* A view on the series' data; the wrapper must not free them. */
  vol = ps_volume_new_wrap (ts->nx, ts->ny, ts->n, ts->data, borrowed_data_free, NULL);
  if (vol == NULL)
    return ps_set_error_from_status (error, PS_ERROR_NO_MEMORY, path);
  if (ts->spacing_known)
    ps_volume_set_spacing (vol, ts->pixel_size[0], ts->pixel_size[1], ts->pixel_size[0]);
  if (!ps_volume_save (vol, path, &opts, NULL, error))
    return FALSE;
  if (tlt_path != NULL && !ps_angles_save (tlt_path, ts->angles, ts->n, error))
    return FALSE;
  return TRUE;
}
