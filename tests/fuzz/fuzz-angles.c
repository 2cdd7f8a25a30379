/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <math.h>
#include <string.h>

#include "fuzz-targets.h"
#include "ps-volume-io.h"

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  GError *error = NULL;
  gsize n = 0;
  double *a;
  char *text;

  if (size > PS_FUZZ_MAX_INPUT)
    return 0;
  /* As a .tlt file … */
  a = ps_angles_parse ((const char *) data, size, "fuzz.tlt", &n, &error);
  g_assert ((a != NULL) == (error == NULL));
  for (gsize i = 0; a != NULL && i < n; i++)
    g_assert (isfinite (a[i]) && fabs (a[i]) <= 90.0 + 1e-9);
  g_free (a);
  g_clear_error (&error);
  /* … and as a START:STOP:STEP range. */
  text = g_strndup ((const char *) data, MIN (size, 256));
  a = ps_angles_from_range (text, &n, &error);
  g_assert ((a != NULL) == (error == NULL));
  g_assert (a == NULL || (n >= 1 && n <= 100000));
  g_free (a);
  g_free (text);
  g_clear_error (&error);
  return 0;
}
