/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "porescope-cli"

#include "config.h"

#include <gio/gio.h>
#include <glib/gi18n.h>
#include <signal.h>
#include <stdio.h>
#include <unistd.h>

#include "ps-cli-common.h"
#include "ps-error.h"

gboolean ps_cli_quiet = FALSE;
int ps_cli_threads = 0;

const GOptionEntry ps_cli_common_entries[] = {
  { "quiet", 'q', 0, G_OPTION_ARG_NONE, &ps_cli_quiet, N_("Print nothing but errors"), NULL },
  { "threads", 0, 0, G_OPTION_ARG_INT, &ps_cli_threads, N_("Worker threads (default: all cores)"), N_("N") },
  { NULL }
};

int
ps_cli_fail (int code, const char *what, const char *format, ...)
{
  va_list args;
  g_autofree char *why = NULL;

  va_start (args, format);
  why = g_strdup_vprintf (format, args);
  va_end (args);
  ps_cli_progress_end ();
  if (what != NULL)
    g_printerr ("porescope-cli: %s: %s\n", what, why);
  else
    g_printerr ("porescope-cli: %s\n", why);
  return code;
}

int
ps_cli_fail_error (int code, const GError *error)
{
  ps_cli_progress_end ();
  g_printerr ("porescope-cli: %s\n", error ? error->message : _("unknown error"));
  return code;
}

int
ps_cli_input_error_code (const GError *error)
{
  if (error == NULL)
    return PS_CLI_EXIT_FAILURE;
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return PS_CLI_EXIT_FAILURE;
  if (error->domain == PS_ERROR)
    return error->code == PS_ERROR_CODE_FAILED ? PS_CLI_EXIT_FAILURE : PS_CLI_EXIT_USAGE;
  /* Missing, unreadable or otherwise bad input files. */
  return PS_CLI_EXIT_USAGE;
}

gboolean
ps_cli_parse (GOptionContext *context, int *argc, char ***argv, const char *command)
{
  g_autoptr(GError) error = NULL;

  if (!g_option_context_parse (context, argc, argv, &error))
    {
      g_printerr ("porescope-cli: %s: %s\n", command, error->message);
      g_printerr (_("Try “porescope-cli %s --help”.\n"), command);
      return FALSE;
    }
  return TRUE;
}

void
ps_cli_message (const char *format, ...)
{
  va_list args;
  g_autofree char *msg = NULL;

  if (ps_cli_quiet)
    return;
  va_start (args, format);
  msg = g_strdup_vprintf (format, args);
  va_end (args);
  ps_cli_progress_end ();
  g_printerr ("%s\n", msg);
}

gboolean
ps_cli_stderr_is_tty (void)
{
  static int cached = -1;
  if (cached < 0)
    cached = isatty (STDERR_FILENO) ? 1 : 0;
  return cached;
}

/* ---- progress ------------------------------------------------------------ */

static atomic_int cancel_flag;
static PsProgress progress;
static GMutex progress_mutex;
static gint64 last_print;
static gboolean line_shown;
static char *progress_what;

static void
on_sigint (int sig)
{
  if (atomic_exchange (&cancel_flag, 1) != 0)
    {
      /* Second Ctrl-C: give up immediately. */
      signal (sig, SIG_DFL);
      raise (sig);
    }
}

static void
progress_func (double fraction, const char *message, void *user_data)
{
  gint64 now = g_get_monotonic_time ();

  if (ps_cli_quiet || !ps_cli_stderr_is_tty ())
    return;
  g_mutex_lock (&progress_mutex);
  if (now - last_print >= 100000 || fraction >= 1.0)
    {
      int width = 30, filled = (int) (fraction * width + 0.5);
      char bar[64];
      for (int i = 0; i < width; i++)
        bar[i] = i < filled ? '#' : '.';
      bar[width] = '\0';
      fprintf (stderr, "\r\033[K%s [%s] %3.0f%%%s%s", progress_what ? progress_what : "",
               bar, fraction * 100.0, message ? "  " : "", message ? message : "");
      fflush (stderr);
      last_print = now;
      line_shown = TRUE;
    }
  g_mutex_unlock (&progress_mutex);
}

PsProgress *
ps_cli_progress_begin (const char *what)
{
  atomic_store (&cancel_flag, 0);
  signal (SIGINT, on_sigint);
  g_free (progress_what);
  progress_what = g_strdup (what);
  progress.func = progress_func;
  progress.user_data = NULL;
  progress.cancel = &cancel_flag;
  progress.lo = 0.0;
  progress.hi = 1.0;
  last_print = 0;
  return &progress;
}

void
ps_cli_progress_end (void)
{
  g_mutex_lock (&progress_mutex);
  if (line_shown)
    {
      fprintf (stderr, "\r\033[K");
      fflush (stderr);
      line_shown = FALSE;
    }
  g_mutex_unlock (&progress_mutex);
}
