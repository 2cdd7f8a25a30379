/* SPDX-License-Identifier: GPL-3.0-or-later */
/* ps-test-util.h: helpers shared by the test programs. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Path of a file under ../shared/data (or $PS_SHARED_DATA), or NULL when the
 * shared data are not present: the caller then calls g_test_skip(). */
char *ps_test_shared_path (const char *first, ...) G_GNUC_NULL_TERMINATED;

/* A fresh temporary folder for this test program, removed at exit. */
const char *ps_test_tmpdir (void);
/* A path inside ps_test_tmpdir(). */
char *ps_test_tmp_path (const char *name);

/* Path of the built porescope-cli ($PORESCOPE_CLI). */
const char *ps_test_cli_path (void);

/* Run a command (argv NULL-terminated), capturing stdout and stderr; returns
 * the exit status (or -1 when it could not start). */
int ps_test_spawn (char **out, char **err, const char *const *argv);

/* Run the system Python (/usr/bin/python3, which has numpy, scipy, skimage,
 * tifffile, mrcfile) on @code with extra arguments; returns the exit status.
 * Skips (returns -1) when no such Python exists. */
int ps_test_python (char **out, char **err, const char *code, ...) G_GNUC_NULL_TERMINATED;

/* Pseudo-random numbers that do not depend on GLib's version. */
typedef struct { guint64 s; } PsTestRng;
static inline guint64
ps_test_rng_next (PsTestRng *r)
{
  /* splitmix64 */
  guint64 z = (r->s += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}
static inline double
ps_test_rng_uniform (PsTestRng *r)
{
  return (double) (ps_test_rng_next (r) >> 11) * (1.0 / 9007199254740992.0);
}

G_END_DECLS
