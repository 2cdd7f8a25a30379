/* SPDX-License-Identifier: GPL-3.0-or-later */
/* ps-gl-camera.h: the 3D view's camera (cglm).
 *
 * World frame: nanometres, origin at the centre of the volume's box, axes
 * along the volume's x, y, z (x fastest in memory). Images put y downwards
 * (row 0 at the top, as Fiji shows a TIFF page), so the preset views are:
 *
 *   front  looks along +z, x to the right, y down  (the xy slice as an image)
 *   top    looks along +y (from the y = 0 face), x right, z up
 *   right  looks along −x (from the x = max face), z right, y down
 *   iso    from the right-top-front corner (+x, −y, −z), y down on screen
 *
 * which is a third-angle drawing: the top view sits above the front view and
 * the right view to its right, with shared edges lined up.
 *
 * The orientation is a unit quaternion taking view-space vectors to world
 * vectors (view space: x right, y up, z towards the eye). Orthographic and
 * perspective projections frame the volume's bounding sphere at zoom 1, so
 * every rotation keeps it in view.
 */
#pragma once

#include <cglm/cglm.h>
#include <glib.h>

G_BEGIN_DECLS

typedef enum
{
  PS_VIEW_FRONT,
  PS_VIEW_TOP,
  PS_VIEW_RIGHT,
  PS_VIEW_ISO,
} PsViewPreset;

typedef struct
{
  vec3 extent;          /* the volume box size in nm */
  versor rotation;      /* view → world */
  vec3 target;          /* world point at the centre of the view (nm) */
  float zoom;           /* 1: the bounding sphere fits the view */
  gboolean perspective;
  float fov_y;          /* perspective vertical field of view, radians */
} PsGlCamera;

/* Reset to the front view of a box of @extent nm, zoom 1, target at the centre. */
void ps_gl_camera_init (PsGlCamera *cam, const float extent[3]);
/* Change the box size keeping orientation (zoom and target reset). */
void ps_gl_camera_set_extent (PsGlCamera *cam, const float extent[3]);
void ps_gl_camera_set_preset (PsGlCamera *cam, PsViewPreset preset);
gboolean ps_view_preset_from_string (const char *name, PsViewPreset *preset);
const char *ps_view_preset_to_string (PsViewPreset preset);

/* View and projection matrices for a viewport of @aspect = width / height. */
void ps_gl_camera_matrices (const PsGlCamera *cam, float aspect, mat4 view, mat4 proj);

/* Virtual trackball (Shoemake's arcball, Graphics Interface 1992): rotate the
 * volume as if the pointer dragged a sphere filling the view from (x0, y0)
 * to (x1, y1), in normalised device coordinates (−1…1, y up). */
void ps_gl_camera_trackball (PsGlCamera *cam, float aspect, float x0, float y0, float x1, float y1);
/* Move the target so the scene follows the pointer by (dx, dy) NDC. */
void ps_gl_camera_pan (PsGlCamera *cam, float aspect, float dx, float dy);
/* Multiply the zoom by @factor (clamped to 0.05 … 200). */
void ps_gl_camera_zoom (PsGlCamera *cam, float factor);

/* Nanometres per pixel at the target plane for a viewport @height px tall
 * (exact for orthographic; at the target depth for perspective). */
double ps_gl_camera_nm_per_pixel (const PsGlCamera *cam, float aspect, int height);

G_END_DECLS
