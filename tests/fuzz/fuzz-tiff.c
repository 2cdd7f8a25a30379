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
  vol = ps_tiff_load_from_bytes (data, size, "fuzz.tif", &info, &error);
  /* Either a volume with facts, or an error that names the input. */
  g_assert ((vol != NULL) == (error == NULL));
  g_assert (error == NULL || g_str_has_prefix (error->message, "fuzz.tif"));
  if (vol != NULL)
    g_assert (info != NULL && info->nx == vol->nx && info->nz == vol->nz);
  ps_volume_unref (vol);
  ps_file_info_free (info);
  g_clear_error (&error);
  return 0;
}
