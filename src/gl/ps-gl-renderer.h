/* SPDX-License-Identifier: GPL-3.0-or-later */
/* ps-gl-renderer.h: the 3D view's GPU ray caster and its overlays.
 *
 * Main thread only, with a current GL 3.3 core context (a GtkGLArea's, or
 * one made with gdk_display_create_gl_context() for headless export). All GL
 * objects are created in ps_gl_renderer_new() or lazily in draws and deleted
 * in ps_gl_renderer_free(), which must run with the same context current.
 *
 * One frame: a full-screen ray-casting pass (shaders/raycast.fs.glsl) writes
 * colour and the depth of the first visible hit; thick lines (bounding box,
 * subvolume box, orthoslice outlines) are depth-tested against it; the axis
 * triad, the nm scale bar and any notice are drawn on top in image pixels.
 * Offscreen export renders the same frame into framebuffer objects, in tiles
 * when the image is larger than the GL allows in one piece.
 */
#pragma once

#include <epoxy/gl.h>
#include <glib.h>

#include "ps-gl-camera.h"
#include "ps-gl-volume-data.h"

G_BEGIN_DECLS

typedef enum
{
  PS_RENDER_MODE_DVR,
  PS_RENDER_MODE_MIP,
  PS_RENDER_MODE_ISO,
  PS_RENDER_MODE_LABELS,
  PS_RENDER_N_MODES
} PsRenderMode;

gboolean ps_render_mode_from_string (const char *name, PsRenderMode *mode);
const char *ps_render_mode_to_string (PsRenderMode mode);

#define PS_GL_MAX_EXPORT_SIZE 8192

/* Everything a frame shows besides the volume data and the camera. */
typedef struct
{
  PsRenderMode mode;
  double window_lo, window_hi;  /* raw intensity shown black … white */
  double threshold;             /* raw intensity: isosurface, carbon without labels */
  gboolean threshold_carbon;    /* unlabelled voxels ≥ threshold are carbon */
  float carbon_rgba[4];         /* colour and opacity (default #2f6fdb, 1) */
  float pore_rgba[4];           /* default #9a9a9a, 1 */
  float highlight_rgba[4];
  guint highlight_phase;        /* PS_RENDER_PHASE_CARBON / _PORE; 0 = none */
  guint32 highlight_label;
  float dvr_opacity;            /* DVR opacity per voxel at the window's top */
  float background_rgba[4];

  gboolean show_slices;
  double crosshair[3];          /* voxel coordinates (source volume) */
  gboolean show_subvolume;
  PsBox subvolume;              /* source voxels */
  gboolean clip;                /* limit rays to the subvolume */
  gboolean show_bbox;
  gboolean show_triad;
  gboolean show_scale_bar;
  gboolean show_notice;

  float step_factor;            /* samples every 0.5·step_factor voxels (1 = full quality) */
  float overlay_scale;          /* size of lines, text, scale bar (1 on screen) */
} PsGlScene;

/* Defaults: DVR, window = data range, labels coloured carbon blue and pore
 * gray, box, triad and scale bar on. */
void ps_gl_scene_init (PsGlScene *scene);
/* Parse "#rrggbb" into rgb (alpha unchanged). */
gboolean ps_gl_parse_color (const char *text, float rgba[4]);

typedef struct _PsGlRenderer PsGlRenderer;

/* Compiles the shared programs. On a shader error returns NULL with the
 * line-numbered source in @error. */
PsGlRenderer *ps_gl_renderer_new (GError **error);
void ps_gl_renderer_free (PsGlRenderer *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PsGlRenderer, ps_gl_renderer_free)

/* Limits of the current context for ps_gl_volume_data_new(). */
void ps_gl_renderer_get_limits (PsGlRenderer *self, PsGlVolumeLimits *limits);

/* Upload @data (intensity + labels + bricks, or labels only when
 * data->intensity is NULL). Copies what it needs; @data may be freed after. */
gboolean ps_gl_renderer_upload (PsGlRenderer *self, const PsGlVolumeData *data, GError **error);
gboolean ps_gl_renderer_has_volume (PsGlRenderer *self);
/* The CPU copy kept for labels-only updates (NULL before an upload). */
const PsGlVolumeData *ps_gl_renderer_get_data (PsGlRenderer *self);
/* The volume box in nm (for the camera). */
void ps_gl_renderer_get_extent (PsGlRenderer *self, float extent[3]);
/* The downsampling notice (NULL when shown at full resolution). */
const char *ps_gl_renderer_get_notice (PsGlRenderer *self);

/* Draw a frame into @fbo (0 = default framebuffer) at @width × @height.
 * @resolution < 1 renders at that fraction of the size and scales up (fast
 * interaction). Fails only when a shader variant does not compile. */
gboolean ps_gl_renderer_draw (PsGlRenderer *self, const PsGlScene *scene, const PsGlCamera *cam,
                              GLuint fbo, int width, int height, float resolution, GError **error);

/* Render @width × @height (≤ PS_GL_MAX_EXPORT_SIZE) offscreen. Returns RGBA8
 * rows top first (stride 4·width), g_free() it. */
guint8 *ps_gl_renderer_render_offscreen (PsGlRenderer *self, const PsGlScene *scene,
                                         const PsGlCamera *cam, int width, int height,
                                         GError **error);

/* Wall time of the GPU work of the last draw in ms (GL_TIME_ELAPSED), or a
 * negative value when unavailable. Blocks until the result is ready. */
double ps_gl_renderer_last_gpu_ms (PsGlRenderer *self);

G_END_DECLS
