/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "ps-atomic-file"

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <gio/gio.h>
#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ps-atomic-file.h"

struct _PsAtomicFile
{
  char *path;       /* the target */
  char *temp_path;  /* NULL when writing in place */
  int fd;
};

static gboolean
set_errno_error (GError **error, int errsv, const char *path, const char *doing)
{
  g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errsv),
               "%s: %s: %s", path, doing, g_strerror (errsv));
  return FALSE;
}

PsAtomicFile *
ps_atomic_file_open (const char *path, GError **error)
{
  PsAtomicFile *file;
  struct stat st;

  g_return_val_if_fail (path != NULL, NULL);

  file = g_new0 (PsAtomicFile, 1);
  file->path = g_strdup (path);
  file->fd = -1;

  if (stat (path, &st) == 0 && !S_ISREG (st.st_mode))
    {
      if (S_ISDIR (st.st_mode))
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_IS_DIRECTORY,
                       _("%s: is a folder, not a file"), path);
          ps_atomic_file_abort (file);
          return NULL;
        }
      /* A device or FIFO: write in place. */
      file->fd = g_open (path, O_WRONLY | O_CLOEXEC, 0);
      if (file->fd < 0)
        {
          set_errno_error (error, errno, path, _("cannot open for writing"));
          ps_atomic_file_abort (file);
          return NULL;
        }
      return file;
    }

  file->temp_path = g_strdup_printf ("%s.part-XXXXXX", path);
  file->fd = g_mkstemp_full (file->temp_path, O_WRONLY | O_CLOEXEC, 0666);
  if (file->fd < 0)
    {
      int errsv = errno;
      g_autofree char *dir = g_path_get_dirname (path);
      if (errsv == ENOENT)
        g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                     _("%s: cannot write: the folder %s does not exist"), path, dir);
      else
        set_errno_error (error, errsv, path, _("cannot create file"));
      g_clear_pointer (&file->temp_path, g_free);
      ps_atomic_file_abort (file);
      return NULL;
    }
  /* mkstemp gives 0600; give the file the mode a plain creat() would. */
  {
    mode_t mask = umask (0);
    umask (mask);
    if (fchmod (file->fd, 0666 & ~mask) != 0)
      { /* not fatal */ }
  }
  return file;
}

int
ps_atomic_file_get_fd (PsAtomicFile *file)
{
  return file->fd;
}

const char *
ps_atomic_file_get_temp_path (PsAtomicFile *file)
{
  return file->temp_path ? file->temp_path : file->path;
}

static void
atomic_file_free (PsAtomicFile *file)
{
  if (file->fd >= 0)
    close (file->fd);
  if (file->temp_path != NULL)
    g_unlink (file->temp_path);
  g_free (file->temp_path);
  g_free (file->path);
  g_free (file);
}

gboolean
ps_atomic_file_commit (PsAtomicFile *file, GError **error)
{
  int fd = file->fd;

  g_return_val_if_fail (file != NULL, FALSE);

  file->fd = -1;
  if (file->temp_path == NULL)
    {
      /* In-place write to a device: close reports deferred errors. */
      if (close (fd) != 0)
        {
          set_errno_error (error, errno, file->path, _("write failed"));
          atomic_file_free (file);
          return FALSE;
        }
      atomic_file_free (file);
      return TRUE;
    }
  if (fsync (fd) != 0 && errno != EINVAL)
    {
      int errsv = errno;
      close (fd);
      set_errno_error (error, errsv, file->path, _("write failed"));
      atomic_file_free (file);
      return FALSE;
    }
  if (close (fd) != 0)
    {
      set_errno_error (error, errno, file->path, _("write failed"));
      atomic_file_free (file);
      return FALSE;
    }
  if (g_rename (file->temp_path, file->path) != 0)
    {
      set_errno_error (error, errno, file->path, _("cannot replace the file"));
      atomic_file_free (file);
      return FALSE;
    }
  g_clear_pointer (&file->temp_path, g_free);
  atomic_file_free (file);
  return TRUE;
}

void
ps_atomic_file_abort (PsAtomicFile *file)
{
  if (file != NULL)
    atomic_file_free (file);
}

static gboolean
write_all (int fd, const void *data, gsize len, const char *path, GError **error)
{
  const guint8 *p = data;
  while (len > 0)
    {
      gssize n = write (fd, p, MIN (len, (gsize) 1 << 30));
      if (n < 0)
        {
          if (errno == EINTR)
            continue;
          return set_errno_error (error, errno, path, _("write failed"));
        }
      if (n == 0)
        return set_errno_error (error, ENOSPC, path, _("write failed"));
      p += n;
      len -= (gsize) n;
    }
  return TRUE;
}

gboolean
ps_write_file_atomic (const char *path, const void *data, gsize len, GError **error)
{
  PsAtomicFile *file = ps_atomic_file_open (path, error);
  if (file == NULL)
    return FALSE;
  if (!write_all (file->fd, data, len, path, error))
    {
      ps_atomic_file_abort (file);
      return FALSE;
    }
  return ps_atomic_file_commit (file, error);
}
