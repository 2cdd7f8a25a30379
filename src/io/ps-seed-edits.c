/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "porescope-io"

#include "config.h"

#include "ps-seed-edits.h"

#include <gio/gio.h>
#include <glib/gi18n.h>
#include <math.h>
#include <string.h>

#include "ps-atomic-file.h"
#include "ps-error.h"
#include "ps-strtod.h"

PsSeedEdits *
ps_seed_edits_new (void)
{
  PsSeedEdits *e = g_new0 (PsSeedEdits, 1);
  e->add = g_array_new (FALSE, FALSE, sizeof (double[3]));
  e->remove = g_array_new (FALSE, FALSE, sizeof (double[3]));
  e->merges = g_array_new (FALSE, FALSE, sizeof (PsMergeEdit));
  return e;
}

void
ps_seed_edits_free (PsSeedEdits *edits)
{
  if (edits == NULL)
    return;
  g_array_unref (edits->add);
  g_array_unref (edits->remove);
  g_array_unref (edits->merges);
  g_free (edits);
}

/* ---- RFC 4180 records ---------------------------------------------------- */

typedef struct
{
  const char *p, *end;
  guint line;              /* 1-based line of p */
  const char *name;
} Lexer;

static gboolean
fail (GError **error, const Lexer *lx, guint line, const char *format, ...) G_GNUC_PRINTF (4, 5);

static gboolean
fail (GError **error, const Lexer *lx, guint line, const char *format, ...)
{
  va_list args;
  va_start (args, format);
  g_autofree char *why = g_strdup_vprintf (format, args);
  va_end (args);
  g_set_error (error, PS_ERROR, PS_ERROR_CODE_CORRUPT_FILE, "%s:%u: %s", lx->name, line, why);
  return FALSE;
}

/* Skip blank lines and '#' comments. */
static void
skip_ignorable (Lexer *lx)
{
  while (lx->p < lx->end)
    {
      const char *q = lx->p;
      while (q < lx->end && (*q == ' ' || *q == '\t'))
        q++;
      if (q < lx->end && *q == '#')
        while (q < lx->end && *q != '\n')
          q++;
      if (q >= lx->end)
        {
          lx->p = q;
          return;
        }
      if (*q == '\r' && q + 1 < lx->end && q[1] == '\n')
        q++;
      if (*q != '\n')
        return;   /* a record starts here */
      lx->p = q + 1;
      lx->line++;
    }
}

/* One record's fields into @fields (owned strings). FALSE at the end of the
 * text (with *error unset) or on a syntax error (with *error set). */
static gboolean
next_record (Lexer *lx, GPtrArray *fields, guint *record_line, GError **error)
{
  g_ptr_array_set_size (fields, 0);
  skip_ignorable (lx);
  if (lx->p >= lx->end)
    return FALSE;
  *record_line = lx->line;
  for (;;)
    {
      GString *f = g_string_new (NULL);
      if (lx->p < lx->end && *lx->p == '"')
        {
          guint open_line = lx->line;
          lx->p++;
          for (;;)
            {
              if (lx->p >= lx->end)
                {
                  g_string_free (f, TRUE);
                  return fail (error, lx, open_line, _("a quoted field is not closed"));
                }
              char ch = *lx->p++;
              if (ch == '"')
                {
                  if (lx->p < lx->end && *lx->p == '"')
                    {
                      g_string_append_c (f, '"');
                      lx->p++;
                      continue;
                    }
                  break;
                }
              if (ch == '\0')
                {
                  g_string_free (f, TRUE);
                  return fail (error, lx, lx->line, _("the file contains a NUL byte"));
                }
              if (ch == '\n')
                lx->line++;
              g_string_append_c (f, ch);
            }
          while (lx->p < lx->end && (*lx->p == ' ' || *lx->p == '\t'))
            lx->p++;
          if (lx->p < lx->end && *lx->p != ',' && *lx->p != '\n' && *lx->p != '\r')
            {
              g_string_free (f, TRUE);
              return fail (error, lx, lx->line, _("unexpected text after a closing quote"));
            }
        }
      else
        {
          while (lx->p < lx->end && *lx->p != ',' && *lx->p != '\n' && *lx->p != '\r')
            {
              char ch = *lx->p++;
              if (ch == '"')
                {
                  g_string_free (f, TRUE);
                  return fail (error, lx, lx->line, _("a quote inside an unquoted field"));
                }
              if (ch == '\0')
                {
                  g_string_free (f, TRUE);
                  return fail (error, lx, lx->line, _("the file contains a NUL byte"));
                }
              g_string_append_c (f, ch);
            }
        }
      g_ptr_array_add (fields, g_string_free (f, FALSE));
      if (fields->len > 64)
        return fail (error, lx, *record_line, _("too many fields"));
      if (lx->p < lx->end && *lx->p == ',')
        {
          lx->p++;
          continue;
        }
      /* end of record */
      if (lx->p < lx->end && *lx->p == '\r')
        {
          lx->p++;
          if (lx->p < lx->end && *lx->p != '\n')
            return fail (error, lx, lx->line, _("a carriage return that does not end a line"));
        }
      if (lx->p < lx->end && *lx->p == '\n')
        {
          lx->p++;
          lx->line++;
        }
      return TRUE;
    }
}

/* ---- fields ------------------------------------------------------------- */

enum { COL_X, COL_Y, COL_Z, COL_ACTION, COL_X2, COL_Y2, COL_Z2, N_COLS };
static const char *const col_names[N_COLS] = { "x_nm", "y_nm", "z_nm", "action", "x2_nm", "y2_nm", "z2_nm" };

/* A plain decimal number: [+-]digits[.digits][(e|E)[+-]digits], finite. */
static gboolean
parse_number (const char *text, double *out)
{
  g_autofree char *t = g_strstrip (g_strdup (text));
  const char *p = t;
  gboolean digits = FALSE;
  if (*p == '+' || *p == '-')
    p++;
  while (g_ascii_isdigit (*p))
    p++, digits = TRUE;
  if (*p == '.')
    {
      p++;
      while (g_ascii_isdigit (*p))
        p++, digits = TRUE;
    }
  if (!digits)
    return FALSE;
  if (*p == 'e' || *p == 'E')
    {
      p++;
      if (*p == '+' || *p == '-')
        p++;
      if (!g_ascii_isdigit (*p))
        return FALSE;
      while (g_ascii_isdigit (*p))
        p++;
    }
  if (*p != '\0')
    return FALSE;
  char *end = NULL;
  double v = g_ascii_strtod (t, &end);
  if (end == NULL || *end != '\0' || !isfinite (v))
    return FALSE;
  *out = v;
  return TRUE;
}

static int
column_of (const char *header_name)
{
  g_autofree char *t = g_strstrip (g_strdup (header_name));
  g_autofree char *n = g_ascii_strdown (t, -1);
  static const char *const alt[N_COLS] = { "x", "y", "z", "action", "x2", "y2", "z2" };
  for (int c = 0; c < N_COLS; c++)
    if (strcmp (n, col_names[c]) == 0 || strcmp (n, alt[c]) == 0)
      return c;
  return -1;
}

/* Quote a field for messages: at most 40 characters, valid UTF-8. */
static char *
shown (const char *field)
{
  g_autofree char *valid = g_utf8_make_valid (field, -1);
  if (g_utf8_strlen (valid, -1) > 40)
    {
      g_autofree char *cut = g_utf8_substring (valid, 0, 40);
      return g_strdup_printf ("“%s…”", cut);
    }
  return g_strdup_printf ("“%s”", valid);
}

gboolean
ps_seed_edits_parse (PsSeedEdits *edits, const char *text, gsize len, const char *name, GError **error)
{
  g_return_val_if_fail (edits != NULL, FALSE);
  g_return_val_if_fail (text != NULL || len == 0, FALSE);
  Lexer lx = { text, text + len, 1, name ? name : "seeds" };
  g_autoptr(GPtrArray) fields = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(PsSeedEdits) got = ps_seed_edits_new ();
  int map[64];               /* field index → column */
  guint n_header = 0;
  gboolean first = TRUE;
  guint line = 0;
  GError *err = NULL;

  if (len > PS_SEED_EDITS_MAX_BYTES)
    {
      g_set_error (error, PS_ERROR, PS_ERROR_CODE_TOO_LARGE, _("%s: a seed file of more than %u MiB is refused"),
                   lx.name, PS_SEED_EDITS_MAX_BYTES >> 20);
      return FALSE;
    }
  if (len >= 3 && memcmp (text, "\xEF\xBB\xBF", 3) == 0)
    lx.p += 3;

  while (next_record (&lx, fields, &line, &err))
    {
      double v[N_COLS] = { 0 };
      gboolean have[N_COLS] = { FALSE };
      const char *action = NULL;

      if (first)
        {
          first = FALSE;
          double dummy;
          if (!parse_number (fields->pdata[0], &dummy))
            {
              /* a header */
              int seen = 0;
              for (guint i = 0; i < fields->len; i++)
                {
                  int c = column_of (fields->pdata[i]);
                  if (c < 0)
                    {
                      g_autofree char *s = shown (fields->pdata[i]);
                      return fail (error, &lx, line,
                                   _("unknown column %s (expected x_nm, y_nm, z_nm, action, x2_nm, y2_nm, z2_nm)"), s);
                    }
                  if (seen & (1 << c))
                    return fail (error, &lx, line, _("column %s appears twice"), col_names[c]);
                  seen |= 1 << c;
                  map[i] = c;
                }
              if ((seen & 7) != 7)
                return fail (error, &lx, line, _("the header needs the columns x_nm, y_nm and z_nm"));
              n_header = fields->len;
              continue;
            }
          for (int i = 0; i < N_COLS; i++)
            map[i] = i;
        }

      guint n_expected = n_header ? n_header : N_COLS;
      if (fields->len > n_expected || (n_header && fields->len != n_header))
        {
          if (n_header)
            return fail (error, &lx, line, _("%u fields, but the header has %u"), fields->len, n_header);
          return fail (error, &lx, line, _("%u fields; expected x_nm, y_nm, z_nm [, action [, x2_nm, y2_nm, z2_nm]]"),
                       fields->len);
        }
      if (!n_header && fields->len < 3)
        return fail (error, &lx, line, _("%u fields; expected at least x_nm, y_nm, z_nm"), fields->len);

      for (guint i = 0; i < fields->len; i++)
        {
          const char *f = fields->pdata[i];
          int c = map[i];
          if (c == COL_ACTION)
            {
              action = f;
              continue;
            }
          g_autofree char *t = g_strstrip (g_strdup (f));
          if (*t == '\0')
            continue;  /* empty: absent */
          if (!parse_number (t, &v[c]))
            {
              g_autofree char *s = shown (f);
              return fail (error, &lx, line, _("%s is not a number (column %s)"), s, col_names[c]);
            }
          have[c] = TRUE;
        }
      for (int c = COL_X; c <= COL_Z; c++)
        if (!have[c])
          return fail (error, &lx, line, _("column %s is empty"), col_names[c]);

      g_autofree char *act_t = g_strstrip (g_strdup (action ? action : ""));
      g_autofree char *act = g_ascii_strdown (act_t, -1);
      gboolean second = have[COL_X2] || have[COL_Y2] || have[COL_Z2];
      if (edits->add->len + edits->remove->len + edits->merges->len + got->add->len + got->remove->len +
          got->merges->len >= PS_SEED_EDITS_MAX_EDITS)
        return fail (error, &lx, line, _("more than %u seed edits"), PS_SEED_EDITS_MAX_EDITS);
      if (*act == '\0' || strcmp (act, "add") == 0 || strcmp (act, "remove") == 0)
        {
          if (second)
            return fail (error, &lx, line, _("x2_nm, y2_nm, z2_nm are only used by “merge”"));
          g_array_append_val (strcmp (act, "remove") == 0 ? got->remove : got->add, v);
        }
      else if (strcmp (act, "merge") == 0)
        {
          if (!(have[COL_X2] && have[COL_Y2] && have[COL_Z2]))
            return fail (error, &lx, line, _("“merge” needs a second point (x2_nm, y2_nm, z2_nm)"));
          PsMergeEdit m = { { v[COL_X], v[COL_Y], v[COL_Z] }, { v[COL_X2], v[COL_Y2], v[COL_Z2] } };
          g_array_append_val (got->merges, m);
        }
      else
        {
          g_autofree char *s = shown (action);
          return fail (error, &lx, line, _("unknown action %s (add, remove or merge)"), s);
        }
    }
  if (err != NULL)
    {
      g_propagate_error (error, err);
      return FALSE;
    }
  g_array_append_vals (edits->add, got->add->data, got->add->len);
  g_array_append_vals (edits->remove, got->remove->data, got->remove->len);
  g_array_append_vals (edits->merges, got->merges->data, got->merges->len);
  return TRUE;
}

gboolean
ps_seed_edits_load (PsSeedEdits *edits, const char *path, GError **error)
{
  g_autoptr(GFile) file = g_file_new_for_path (path);
  g_autoptr(GFileInfo) info = g_file_query_info (file, G_FILE_ATTRIBUTE_STANDARD_SIZE "," G_FILE_ATTRIBUTE_STANDARD_TYPE,
                                                 G_FILE_QUERY_INFO_NONE, NULL, error);
  if (info == NULL)
    {
      ps_error_prefix_file (error, path);
      return FALSE;
    }
  if (g_file_info_get_file_type (info) == G_FILE_TYPE_REGULAR &&
      g_file_info_get_size (info) > (goffset) PS_SEED_EDITS_MAX_BYTES)
    {
      g_set_error (error, PS_ERROR, PS_ERROR_CODE_TOO_LARGE, _("%s: a seed file of more than %u MiB is refused"),
                   path, PS_SEED_EDITS_MAX_BYTES >> 20);
      return FALSE;
    }
  g_autofree char *text = NULL;
  gsize len = 0;
  if (!g_file_get_contents (path, &text, &len, error))
    {
      ps_error_prefix_file (error, path);
      return FALSE;
    }
  return ps_seed_edits_parse (edits, text, len, path, error);
}

static void
append_number (GString *s, double v)
{
  char buf[64];
  g_string_append (s, ps_ascii_dtostr (buf, sizeof buf, v));
}

char *
ps_seed_edits_format (const PsSeedEdits *edits)
{
  GString *s = g_string_new ("x_nm,y_nm,z_nm,action,x2_nm,y2_nm,z2_nm\r\n");
  GArray *lists[2] = { edits->add, edits->remove };
  const char *names[2] = { "add", "remove" };
  for (int k = 0; k < 2; k++)
    for (guint i = 0; i < lists[k]->len; i++)
      {
        const double *p = (const double *) lists[k]->data + 3 * i;
        for (int a = 0; a < 3; a++)
          {
            append_number (s, p[a]);
            g_string_append_c (s, ',');
          }
        g_string_append_printf (s, "%s,,,\r\n", names[k]);
      }
  for (guint i = 0; i < edits->merges->len; i++)
    {
      const PsMergeEdit *m = &g_array_index (edits->merges, PsMergeEdit, i);
      for (int a = 0; a < 3; a++)
        {
          append_number (s, m->a_nm[a]);
          g_string_append_c (s, ',');
        }
      g_string_append (s, "merge");
      for (int a = 0; a < 3; a++)
        {
          g_string_append_c (s, ',');
          append_number (s, m->b_nm[a]);
        }
      g_string_append (s, "\r\n");
    }
  return g_string_free (s, FALSE);
}

gboolean
ps_seed_edits_save (const PsSeedEdits *edits, const char *path, GError **error)
{
  g_autofree char *text = ps_seed_edits_format (edits);
  return ps_write_file_atomic (path, text, strlen (text), error);
}

void
ps_seed_edits_to_params (const PsSeedEdits *edits, PsAnalysisParams *params)
{
  params->seeds_add = (const double (*)[3]) edits->add->data;
  params->n_seeds_add = edits->add->len;
  params->seeds_remove = (const double (*)[3]) edits->remove->data;
  params->n_seeds_remove = edits->remove->len;
  params->merges = (const PsMergeEdit *) edits->merges->data;
  params->n_merges = edits->merges->len;
}
