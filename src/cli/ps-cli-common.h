/* SPDX-License-Identifier: GPL-3.0-or-later */
/* ps-cli-common.h: shared plumbing for porescope-cli subcommands.
 *
 * Conventions (SPEC.md): exit 0 on success, 1 on a failure while running,
 * 2 on bad usage or bad input; errors on stderr as
 * "porescope-cli: WHAT: WHY"; a progress line on stderr while working when
 * stderr is a terminal; --quiet silences everything but errors. */
#pragma once

#include <glib.h>

#include "ps-status.h"

G_BEGIN_DECLS

enum
{
  PS_CLI_EXIT_OK = 0,
  PS_CLI_EXIT_FAILURE = 1,
  PS_CLI_EXIT_USAGE = 2,
};

typedef struct
{
  const char *name;
  const char *summary;  /* one line for `porescope-cli --help` */
  int (*run) (int argc, char **argv);
} PsCliCommand;

/* Print "porescope-cli: WHAT: WHY" (WHAT may be NULL) and return @code. */
int ps_cli_fail (int code, const char *what, const char *format, ...) G_GNUC_PRINTF (3, 4);

/* Print @error's message (which already names the file) and return @code.
 * Frees nothing. */
int ps_cli_fail_error (int code, const GError *error);

/* The exit code for an error met while reading input: 2 for bad input or
 * usage, 1 for cancellation and other run-time failures. */
int ps_cli_input_error_code (const GError *error);

/* Parse options; on error prints the message and the hint to use --help.
 * Returns FALSE when the command should exit with PS_CLI_EXIT_USAGE. */
gboolean ps_cli_parse (GOptionContext *context, int *argc, char ***argv, const char *command);

/* Common option entries every subcommand adds: --quiet, --threads. */
extern gboolean ps_cli_quiet;
extern int ps_cli_threads;
extern const GOptionEntry ps_cli_common_entries[];

/* Informational message on stderr unless --quiet. */
void ps_cli_message (const char *format, ...) G_GNUC_PRINTF (1, 2);

/* Progress reporting on stderr (a self-erasing line, only when stderr is a
 * terminal and not --quiet); cancellation from SIGINT. The returned
 * PsProgress lives until ps_cli_progress_end(). */
PsProgress *ps_cli_progress_begin (const char *what);
void ps_cli_progress_end (void);

/* True when stdout/stderr are terminals (cached). */
gboolean ps_cli_stderr_is_tty (void);

G_END_DECLS
