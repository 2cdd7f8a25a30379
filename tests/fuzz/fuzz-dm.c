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
  vol = ps_dm_load_from_bytes (data, size, "fuzz.dm3", &info, &error);
  g_assert ((vol != NULL) == (error == NULL));
  g_assert (error == NULL || g_str_has_prefix (error->message, "fuzz.dm3"));
  if (vol != NULL && info->angles != NULL)
    g_assert (info->n_angles == vol->nz);
  ps_volume_unref (vol);
  ps_file_info_free (info);
  g_clear_error (&error);
  return 0;
}
