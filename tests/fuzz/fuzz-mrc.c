/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "fuzz-targets.h"
#include "ps-volume-io.h"

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  GError *error = NULL;
  PsFileInfo *info = NULL;
  PsVolume *vol;

  if (size > PS_FUZZ_MAX_INPUT)
    return 0;
  /* Plain and gzip-compressed MRC go through the same entry point. */
  vol = ps_mrc_load_from_bytes (data, size, "fuzz.mrc", &info, &error);
  g_assert ((vol != NULL) == (error == NULL));
  g_assert (error == NULL || g_str_has_prefix (error->message, "fuzz.mrc"));
  if (vol != NULL)
    g_assert (info != NULL && vol->spacing[0] > 0 && vol->spacing[2] > 0);
  ps_volume_unref (vol);
  ps_file_info_free (info);
  g_clear_error (&error);
  return 0;
}
