/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <gio/gio.h>
#include <glib/gstdio.h>
#include <stdarg.h>
#include <stdlib.h>

#include "ps-test-util.h"

char *
ps_test_shared_path (const char *first, ...)
{
  const char *base = g_getenv ("PS_SHARED_DATA");
  g_autofree char *root = NULL;
  GPtrArray *parts = g_ptr_array_new ();
  va_list args;
  char *path;

  root = base ? g_strdup (base) : g_build_filename (PS_SOURCE_DIR, "..", "shared", "data", NULL);
  g_ptr_array_add (parts, root);
  va_start (args, first);
  for (const char *p = first; p != NULL; p = va_arg (args, const char *))
    g_ptr_array_add (parts, (gpointer) p);
  va_end (args);
  g_ptr_array_add (parts, NULL);
  path = g_build_filenamev ((char **) parts->pdata);
  g_ptr_array_free (parts, TRUE);
  if (!g_file_test (path, G_FILE_TEST_EXISTS))
    {
      g_free (path);
      return NULL;
    }
  return path;
}

static char *tmpdir;

static void
remove_tree (const char *path)
{
  GDir *dir = g_dir_open (path, 0, NULL);
  const char *name;
  if (dir != NULL)
    {
      while ((name = g_dir_read_name (dir)) != NULL)
        {
          g_autofree char *child = g_build_filename (path, name, NULL);
          if (g_file_test (child, G_FILE_TEST_IS_DIR) && !g_file_test (child, G_FILE_TEST_IS_SYMLINK))
            remove_tree (child);
          else
            g_unlink (child);
        }
      g_dir_close (dir);
    }
  g_rmdir (path);
}

static void
cleanup_tmpdir (void)
{
  if (tmpdir != NULL && g_getenv ("PS_TEST_KEEP_TMP") == NULL)
    remove_tree (tmpdir);
}

const char *
ps_test_tmpdir (void)
{
  if (tmpdir == NULL)
    {
      g_autoptr(GError) error = NULL;
      tmpdir = g_dir_make_tmp ("porescope-test-XXXXXX", &error);
      g_assert_no_error (error);
      atexit (cleanup_tmpdir);
    }
  return tmpdir;
}

char *
ps_test_tmp_path (const char *name)
{
  return g_build_filename (ps_test_tmpdir (), name, NULL);
}

const char *
ps_test_cli_path (void)
{
  const char *cli = g_getenv ("PORESCOPE_CLI");
  return cli ? cli : PS_BUILD_DIR "/src/cli/porescope-cli";
}

int
ps_test_spawn (char **out, char **err, const char *const *argv)
{
  g_autoptr(GError) error = NULL;
  int status = 0;

  if (!g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, out, err, &status, &error))
    {
      g_test_message ("cannot run %s: %s", argv[0], error->message);
      return -1;
    }
  if (WIFEXITED (status))
    return WEXITSTATUS (status);
  return 128 + (WIFSIGNALED (status) ? WTERMSIG (status) : 0);
}

int
ps_test_python (char **out, char **err, const char *code, ...)
{
  const char *python = g_getenv ("PS_PYTHON");
  GPtrArray *argv = g_ptr_array_new ();
  va_list args;
  int rc;

  if (python == NULL)
    python = "/usr/bin/python3";
  if (!g_file_test (python, G_FILE_TEST_IS_EXECUTABLE))
    {
      g_ptr_array_free (argv, TRUE);
      return -1;
    }
  g_ptr_array_add (argv, (gpointer) python);
  g_ptr_array_add (argv, (gpointer) "-c");
  g_ptr_array_add (argv, (gpointer) code);
  va_start (args, code);
  for (const char *a = va_arg (args, const char *); a != NULL; a = va_arg (args, const char *))
    g_ptr_array_add (argv, (gpointer) a);
  va_end (args);
  g_ptr_array_add (argv, NULL);
  rc = ps_test_spawn (out, err, (const char *const *) argv->pdata);
  g_ptr_array_free (argv, TRUE);
  return rc;
}
