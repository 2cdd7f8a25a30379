/* SPDX-License-Identifier: GPL-3.0-or-later */
/* ps-angles.c: tilt angles from IMOD .tlt/.rawtlt files and ranges. */
#define G_LOG_DOMAIN "ps-angles"

#include "config.h"

#include <gio/gio.h>
#include <glib/gi18n-lib.h>
#include <math.h>
#include <string.h>

#include "ps-atomic-file.h"
#include "ps-error.h"
#include "ps-io-private.h"
#include "ps-volume-io.h"

#define MAX_ANGLES 100000
#define MAX_TLT_BYTES (16u << 20)

double *
ps_angles_parse (const char *text, gsize len, const char *name, gsize *n_angles, GError **error)
{
  GArray *a = g_array_new (FALSE, FALSE, sizeof (double));
  gsize pos = 0, line = 0;

  while (pos < len)
    {
      gsize end = pos;
      while (end < len && text[end] != '\n' && text[end] != '\r')
        end++;
      line++;
      g_autofree char *l = g_strndup (text + pos, end - pos);
      g_strstrip (l);
      if (memchr (text + pos, '\0', end - pos) != NULL)
        {
          g_set_error (error, PS_ERROR, PS_ERROR_CODE_CORRUPT_FILE,
                       _("%s: line %zu contains a NUL byte; not a text file of angles"), name, line);
          g_array_unref (a);
          return NULL;
        }
      if (l[0] != '\0' && l[0] != '#')
        {
          char *num_end = NULL;
          double v = g_ascii_strtod (l, &num_end);
          while (num_end != NULL && g_ascii_isspace (*num_end))
            num_end++;
          if (num_end == l || (num_end != NULL && *num_end != '\0'))
            {
              g_autofree char *shown = g_utf8_make_valid (l, MIN (strlen (l), 40));
              g_set_error (error, PS_ERROR, PS_ERROR_CODE_CORRUPT_FILE,
                           _("%s: line %zu: “%s” is not an angle in degrees"), name, line, shown);
              g_array_unref (a);
              return NULL;
            }
          if (!isfinite (v) || fabs (v) > 90.0 + 1e-9)
            {
              g_set_error (error, PS_ERROR, PS_ERROR_CODE_CORRUPT_FILE,
                           _("%s: line %zu: the angle %g° is outside −90…90°"), name, line, v);
              g_array_unref (a);
              return NULL;
            }
          if (a->len >= MAX_ANGLES)
            {
              g_set_error (error, PS_ERROR, PS_ERROR_CODE_TOO_LARGE, _("%s: more than %u angles"), name, MAX_ANGLES);
              g_array_unref (a);
              return NULL;
            }
          g_array_append_val (a, v);
        }
      pos = end;
      if (pos < len && text[pos] == '\r')
        pos++;
      if (pos < len && text[pos] == '\n')
        pos++;
    }
  if (a->len == 0)
    {
      g_set_error (error, PS_ERROR, PS_ERROR_CODE_CORRUPT_FILE, _("%s: no angles in the file"), name);
      g_array_unref (a);
      return NULL;
    }
  *n_angles = a->len;
  return (double *) g_array_free (a, FALSE);
}

double *
ps_angles_load (const char *path, gsize *n_angles, GError **error)
{
  gsize len;
  g_autofree guint8 *text = _ps_read_file (path, MAX_TLT_BYTES, &len, error);
  if (text == NULL)
    return NULL;
  return ps_angles_parse ((const char *) text, len, path, n_angles, error);
}

double *
ps_angles_from_range (const char *spec, gsize *n_angles, GError **error)
{
  g_auto(GStrv) parts = NULL;
  double v[3];
  double *angles;
  gsize n;

  parts = g_strsplit (spec, ":", 0);
  if (g_strv_length (parts) != 3)
    {
      g_set_error (error, PS_ERROR, PS_ERROR_CODE_INVALID_PARAMETER,
                   _("“%s” is not a START:STOP:STEP range (e.g. -75:75:2)"), spec);
      return NULL;
    }
  for (int i = 0; i < 3; i++)
    {
      char *end;
      g_strstrip (parts[i]);
      v[i] = g_ascii_strtod (parts[i], &end);
      if (end == parts[i] || *end != '\0' || !isfinite (v[i]))
        {
          g_set_error (error, PS_ERROR, PS_ERROR_CODE_INVALID_PARAMETER,
                       _("“%s” is not a START:STOP:STEP range (e.g. -75:75:2)"), spec);
          return NULL;
        }
    }
  if (v[2] == 0 || (v[1] - v[0]) * v[2] < 0)
    {
      g_set_error (error, PS_ERROR, PS_ERROR_CODE_INVALID_PARAMETER,
                   _("the range “%s” never reaches its end (check the sign of the step)"), spec);
      return NULL;
    }
  if (fabs (v[0]) > 90 + 1e-9 || fabs (v[1]) > 90 + 1e-9)
    {
      g_set_error (error, PS_ERROR, PS_ERROR_CODE_INVALID_PARAMETER,
                   _("the range “%s” goes beyond −90…90°"), spec);
      return NULL;
    }
  double steps = floor ((v[1] - v[0]) / v[2] + 1e-6);
  if (steps + 1 > MAX_ANGLES)
    {
      g_set_error (error, PS_ERROR, PS_ERROR_CODE_INVALID_PARAMETER, _("the range “%s” has too many angles"), spec);
      return NULL;
    }
  n = (gsize) steps + 1;
  angles = g_new (double, n);
  for (gsize i = 0; i < n; i++)
    angles[i] = v[0] + (double) i * v[2];
  *n_angles = n;
  return angles;
}

static gboolean
looks_like_range (const char *spec)
{
  int colons = 0;
  for (const char *p = spec; *p; p++)
    {
      if (*p == ':')
        colons++;
      else if (!g_ascii_isdigit (*p) && *p != '.' && *p != '-' && *p != '+' && *p != ' ' && *p != 'e' && *p != 'E')
        return FALSE;
    }
  return colons == 2;
}

double *
ps_angles_from_spec (const char *spec, gsize *n_angles, GError **error)
{
  g_return_val_if_fail (spec != NULL, NULL);
  if (looks_like_range (spec) && !g_file_test (spec, G_FILE_TEST_EXISTS))
    return ps_angles_from_range (spec, n_angles, error);
  if (!g_file_test (spec, G_FILE_TEST_EXISTS))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                   _("%s: no such angle file, and not a START:STOP:STEP range"), spec);
      return NULL;
    }
  return ps_angles_load (spec, n_angles, error);
}

gboolean
ps_angles_save (const char *path, const double *angles, gsize n, GError **error)
{
  GString *s = g_string_new (NULL);
  gboolean ok;
  for (gsize i = 0; i < n; i++)
    {
      char buf[G_ASCII_DTOSTR_BUF_SIZE];
      g_string_append_printf (s, "%s\n", g_ascii_formatd (buf, sizeof buf, "%.2f", angles[i]));
    }
  ok = ps_write_file_atomic (path, s->str, s->len, error);
  g_string_free (s, TRUE);
  return ok;
}
