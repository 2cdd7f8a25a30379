/* SPDX-License-Identifier: GPL-3.0-or-later */
/* bench-io FILE [N]: load FILE N times (default 1) with Porescope's loader
 * and print one line per run: seconds, and the sum of the voxels (so the
 * peer script can check both sides read the same numbers). */
#include "config.h"

#include <glib.h>
#include <stdio.h>

#include "ps-stats.h"
#include "ps-volume-io.h"

int
main (int argc, char **argv)
{
  int runs = argc > 2 ? atoi (argv[2]) : 1;
  if (argc < 2)
    {
      fprintf (stderr, "usage: bench-io FILE [RUNS]\n");
      return 2;
    }
  for (int r = 0; r < runs; r++)
    {
      g_autoptr(GError) error = NULL;
      gint64 t0 = g_get_monotonic_time ();
      g_autoptr(PsVolume) v = ps_volume_load (argv[1], NULL, NULL, &error);
      gint64 t1 = g_get_monotonic_time ();
      if (v == NULL)
        {
          fprintf (stderr, "%s\n", error->message);
          return 1;
        }
      double sum = 0;
      for (gsize i = 0; i < ps_volume_n_voxels (v); i += 4096)
        sum += v->data[i];
      printf ("%.4f %.6e\n", (double) (t1 - t0) / 1e6, sum);
    }
  return 0;
}
