/* SPDX-License-Identifier: GPL-3.0-or-later */
/* ps-cli-subvolume.h: --subvolume / --subvolume-center for crop and analyze. */
#pragma once

#include <glib.h>

#include "ps-volume.h"

G_BEGIN_DECLS

/* Resolve the options (at most one may be set; neither = the whole volume)
 * against @vol into @box. On bad input prints the error ("porescope-cli:
 * COMMAND: why") and returns FALSE: the caller exits with 2. */
gboolean ps_cli_subvolume_resolve (const char *command, const char *subvolume, const char *centre,
                                   const PsVolume *vol, PsBox *box);

/* "origin 12,12,8 voxels = 6,6,4 nm; size 64x64x64 voxels = 32x32x32 nm" */
char *ps_cli_subvolume_describe (const PsBox *box, const double spacing[3]);

G_END_DECLS
