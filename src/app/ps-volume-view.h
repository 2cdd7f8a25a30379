/* SPDX-License-Identifier: GPL-3.0-or-later */
/* ps-volume-view.h: the 3D pane — a GtkGLArea (GL 3.3 core) showing the
 * volume ray cast on the GPU (src/gl), with the segmentation's carbon in
 * blue and pores in gray, orthoslices at the crosshair, the subvolume box,
 * an axis triad and an nm scale bar.
 *
 * Mouse: drag rotates (trackball), shift+drag or the middle/right button
 * pans, the wheel zooms. While the pointer moves the view renders at lower
 * sampling and resolution; it renders at full quality once it stops.
 *
 * Volume and label textures are prepared on a worker thread; "busy" is TRUE
 * until they are on the GPU. Volumes beyond the GPU's 3D texture limit or
 * the texture budget are shown downsampled, and the "notice" property (also
 * drawn in the view and in exports) says so.
 *
 * Errors (no GL 3.3, a shader that does not compile, a texture the GPU
 * refuses) are shown in the pane with gtk_gl_area_set_error(); the
 * application keeps running.
 */
#pragma once

#include <gtk/gtk.h>

#include "ps-gl-camera.h"
#include "ps-gl-renderer.h"
#include "ps-volume.h"

G_BEGIN_DECLS

#define PS_TYPE_VOLUME_VIEW (ps_volume_view_get_type ())
G_DECLARE_FINAL_TYPE (PsVolumeView, ps_volume_view, PS, VOLUME_VIEW, GtkGLArea)

#define PS_TYPE_RENDER_MODE (ps_render_mode_get_type ())
GType ps_render_mode_get_type (void);
#define PS_TYPE_VIEW_PRESET (ps_view_preset_get_type ())
GType ps_view_preset_get_type (void);

GtkWidget *ps_volume_view_new (void);

/* The volume (nullable: clears the view) and the raw intensities shown
 * black and white (NaN, NaN: the data range). */
void ps_volume_view_set_volume (PsVolumeView *self, PsVolume *volume);
void ps_volume_view_set_window (PsVolumeView *self, double lo, double hi);
/* Raw intensity of the isosurface, and the carbon/pore split where no carbon
 * labels are given (NaN: the middle of the data range). */
void ps_volume_view_set_threshold (PsVolumeView *self, double threshold);

/* Segmentation: labelled pore and carbon objects (each nullable; the size of
 * the volume). Without carbon labels, unlabelled voxels at or above the
 * threshold are carbon. */
void ps_volume_view_set_labels (PsVolumeView *self, PsLabels *pores, PsLabels *carbon);
/* Colour and opacity (0…1) of a phase (PS_RENDER_PHASE_CARBON or _PORE). */
void ps_volume_view_set_phase_style (PsVolumeView *self, guint phase, const GdkRGBA *color, double opacity);
/* Highlight one object (@phase 0 or @label 0: none). */
void ps_volume_view_set_highlight (PsVolumeView *self, guint phase, guint32 label);

/* Crosshair in voxel coordinates; the three orthoslices are drawn through it
 * when @show_slices. */
void ps_volume_view_set_crosshair (PsVolumeView *self, double x, double y, double z, gboolean show_slices);
/* Subvolume box (nullable: none), drawn as a box; @clip limits rendering to it. */
void ps_volume_view_set_subvolume (PsVolumeView *self, const PsBox *box, gboolean clip);

void ps_volume_view_set_mode (PsVolumeView *self, PsRenderMode mode);
PsRenderMode ps_volume_view_get_mode (PsVolumeView *self);
void ps_volume_view_set_view (PsVolumeView *self, PsViewPreset preset);
void ps_volume_view_set_perspective (PsVolumeView *self, gboolean perspective);
gboolean ps_volume_view_get_perspective (PsVolumeView *self);
void ps_volume_view_set_overlays (PsVolumeView *self, gboolean bbox, gboolean triad, gboolean scale_bar);

/* The downsampling notice, or NULL. */
const char *ps_volume_view_get_notice (PsVolumeView *self);
gboolean ps_volume_view_get_busy (PsVolumeView *self);

/* Direct access for the application and tests (borrowed; changes take
 * effect on the next ps_volume_view_queue_redraw()). */
PsGlScene *ps_volume_view_get_scene (PsVolumeView *self);
PsGlCamera *ps_volume_view_get_camera (PsVolumeView *self);
void ps_volume_view_queue_redraw (PsVolumeView *self);

/* Render the current view offscreen at @width × @height (≤ 8192), overlays
 * scaled by @height / the widget's height so the picture matches the
 * screen. The widget must be realized. */
GdkTexture *ps_volume_view_render_texture (PsVolumeView *self, int width, int height, GError **error);
/* The same, written atomically as PNG. */
gboolean ps_volume_view_export_png (PsVolumeView *self, const char *path, int width, int height,
                                    GError **error);

G_END_DECLS
