/* SPDX-License-Identifier: GPL-3.0-or-later */
/* ps-core-glib.h: GLib glue for the plain-C core types (g_autoptr support).
 * Kept out of the core headers so src/core stays free of GLib. */
#pragma once

#include <glib.h>

#include "ps-stats.h"
#include "ps-tilt-series.h"
#include "ps-volume.h"

G_DEFINE_AUTOPTR_CLEANUP_FUNC (PsVolume, ps_volume_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PsLabels, ps_labels_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PsTiltSeries, ps_tilt_series_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PsHistogram, ps_histogram_free)
