/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Shared set-up: a memory budget so a header that promises gigabytes is
 * refused rather than allocated, and quiet GLib logging. */
#include "config.h"

#include <glib.h>

#include "fuzz-targets.h"
#include "ps-memory.h"

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  ps_memory_set_limit ((size_t) 256 << 20);
  return 0;
}
