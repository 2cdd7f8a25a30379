/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Replays a fuzz corpus without libFuzzer (CI has no clang): every file in
 * the folders given on the command line goes through the target once.
 * Speaks TAP: one test point per folder. */
#include "config.h"

#include <glib.h>
#include <stdio.h>

#include "fuzz-targets.h"

static int
replay_dir (const char *path, guint *count)
{
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;
  if (dir == NULL)
    return 1;
  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *file = g_build_filename (path, name, NULL);
      g_autofree char *data = NULL;
      gsize len;
      if (g_file_test (file, G_FILE_TEST_IS_DIR))
        {
          if (replay_dir (file, count) != 0)
            return 1;
          continue;
        }
      if (!g_file_get_contents (file, &data, &len, NULL))
        return 1;
      LLVMFuzzerTestOneInput ((const uint8_t *) data, len);
      (*count)++;
    }
  return 0;
}

int
main (int argc, char **argv)
{
  int failed = 0;
  LLVMFuzzerInitialize (&argc, &argv);
  for (int i = 1; i < argc; i++)
    {
      guint count = 0;
      if (g_file_test (argv[i], G_FILE_TEST_IS_DIR))
        {
          if (replay_dir (argv[i], &count) != 0)
            {
              printf ("not ok %d - %s: cannot read the corpus\n", i, argv[i]);
              failed = 1;
              continue;
            }
        }
      else
        {
          /* A missing optional folder (e.g. ../shared data) is skipped. */
          printf ("ok %d - %s # SKIP not present\n", i, argv[i]);
          continue;
        }
      /* Reaching here means no input crashed or failed an assertion. */
      printf ("ok %d - %s: %u inputs replayed\n", i, argv[i], count);
      fflush (stdout);
    }
  printf ("1..%d\n", argc - 1);
  return failed;
}
