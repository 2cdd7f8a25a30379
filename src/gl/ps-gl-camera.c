/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "ps-gl-camera"

#include "config.h"

#include <math.h>
#include <string.h>

#include "ps-gl-camera.h"

static float
sphere_radius (const PsGlCamera *cam)
{
  float r = 0.5f * glm_vec3_norm ((float *) cam->extent);
  return r > 0.0f ? r : 1.0f;
}

void
ps_gl_camera_init (PsGlCamera *cam, const float extent[3])
{
  memset (cam, 0, sizeof *cam);
  cam->fov_y = glm_rad (30.0f);
  ps_gl_camera_set_extent (cam, extent);
  ps_gl_camera_set_preset (cam, PS_VIEW_FRONT);
}

void
ps_gl_camera_set_extent (PsGlCamera *cam, const float extent[3])
{
  for (int i = 0; i < 3; i++)
    cam->extent[i] = extent[i] > 0.0f && isfinite (extent[i]) ? extent[i] : 1.0f;
  glm_vec3_zero (cam->target);
  cam->zoom = 1.0f;
}

/* The rotation whose columns are the view's right, up and back (towards the
 * eye) directions in world coordinates. */
static void
set_basis (PsGlCamera *cam, const vec3 right, const vec3 up, const vec3 back)
{
  mat4 m = GLM_MAT4_IDENTITY_INIT;
  glm_vec3_copy ((float *) right, m[0]);
  glm_vec3_copy ((float *) up, m[1]);
  glm_vec3_copy ((float *) back, m[2]);
  glm_mat4_quat (m, cam->rotation);
  glm_quat_normalize (cam->rotation);
}

void
ps_gl_camera_set_preset (PsGlCamera *cam, PsViewPreset preset)
{
  vec3 right, up, back;
  switch (preset)
    {
    case PS_VIEW_TOP:
      /* Looks along +y: back (to the eye) is −y. */
      glm_vec3_copy ((vec3) { 1, 0, 0 }, right);
      glm_vec3_copy ((vec3) { 0, 0, 1 }, up);
      glm_vec3_copy ((vec3) { 0, -1, 0 }, back);
      break;
    case PS_VIEW_RIGHT:
      glm_vec3_copy ((vec3) { 0, 0, 1 }, right);
      glm_vec3_copy ((vec3) { 0, -1, 0 }, up);
      glm_vec3_copy ((vec3) { 1, 0, 0 }, back);
      break;
    case PS_VIEW_ISO:
      {
        /* Eye towards (+x, −y, −z); up is −y made orthogonal to the view. */
        vec3 y_down = { 0, -1, 0 };
        glm_vec3_copy ((vec3) { 1, -1, -1 }, back);
        glm_vec3_normalize (back);
        glm_vec3_cross (y_down, back, right);
        glm_vec3_normalize (right);
        glm_vec3_cross (back, right, up);
        glm_vec3_normalize (up);
      }
      break;
    case PS_VIEW_FRONT:
    default:
      glm_vec3_copy ((vec3) { 1, 0, 0 }, right);
      glm_vec3_copy ((vec3) { 0, -1, 0 }, up);
      glm_vec3_copy ((vec3) { 0, 0, -1 }, back);
      break;
    }
  set_basis (cam, right, up, back);
  glm_vec3_zero (cam->target);
  cam->zoom = 1.0f;
}

static const char *const preset_names[] = { "front", "top", "right", "iso" };

gboolean
ps_view_preset_from_string (const char *name, PsViewPreset *preset)
{
  for (guint i = 0; i < G_N_ELEMENTS (preset_names); i++)
    if (g_ascii_strcasecmp (name, preset_names[i]) == 0)
      {
        *preset = (PsViewPreset) i;
        return TRUE;
      }
  return FALSE;
}

const char *
ps_view_preset_to_string (PsViewPreset preset)
{
  return (guint) preset < G_N_ELEMENTS (preset_names) ? preset_names[preset] : "front";
}

/* Half height and half width of the view at the target plane (nm). */
static void
half_sizes (const PsGlCamera *cam, float aspect, float *hw, float *hh, float *dist)
{
  float r = sphere_radius (cam) / cam->zoom;
  if (aspect >= 1.0f)
    {
      *hh = r;
      *hw = r * aspect;
    }
  else
    {
      *hw = r;
      *hh = r / aspect;
    }
  /* Perspective: the eye sits where the half height subtends fov/2. */
  *dist = cam->perspective ? *hh / tanf (0.5f * cam->fov_y) : 3.0f * sphere_radius (cam);
}

void
ps_gl_camera_matrices (const PsGlCamera *cam, float aspect, mat4 view, mat4 proj)
{
  float hw, hh, dist;
  float R = sphere_radius (cam);
  float reach;
  mat4 rot_inv, t;
  versor qi;

  if (!(aspect > 0.0f) || !isfinite (aspect))
    aspect = 1.0f;
  half_sizes (cam, aspect, &hw, &hh, &dist);

  /* view = T(0, 0, −dist) · R⁻¹ · T(−target) */
  glm_quat_inv ((float *) cam->rotation, qi);
  glm_quat_mat4 (qi, rot_inv);
  glm_mat4_identity (view);
  glm_translate_z (view, -dist);
  glm_mat4_mul (view, rot_inv, view);
  glm_mat4_identity (t);
  glm_translate (t, (vec3) { -cam->target[0], -cam->target[1], -cam->target[2] });
  glm_mat4_mul (view, t, view);

  /* Near and far enclose the bounding sphere wherever the target went. */
  reach = R + glm_vec3_norm ((float *) cam->target);
  if (cam->perspective)
    {
      float n = fmaxf (dist - reach, dist * 0.01f);
      float f = dist + reach;
      glm_perspective (cam->fov_y, aspect, n, f, proj);
      /* glm_perspective derives the width from fov_y; re-derive so narrow
       * views fit the sphere horizontally too. */
      proj[0][0] = dist / hw;
      proj[1][1] = dist / hh;
    }
  else
    glm_ortho (-hw, hw, -hh, hh, dist - reach - 1.0f, dist + reach + 1.0f, proj);
}

/* A point on the arcball sphere (or its hyperbolic rim, Bell's variant). */
static void
ball_point (float x, float y, vec3 out)
{
  float d2 = x * x + y * y;
  out[0] = x;
  out[1] = y;
  out[2] = d2 <= 0.5f ? sqrtf (1.0f - d2) : 0.5f / sqrtf (d2);
  glm_vec3_normalize (out);
}

void
ps_gl_camera_trackball (PsGlCamera *cam, float aspect, float x0, float y0, float x1, float y1)
{
  vec3 a, b, axis;
  versor r, rinv;
  float angle;

  if (aspect > 1.0f)
    {
      x0 *= aspect;
      x1 *= aspect;
    }
  else if (aspect > 0.0f)
    {
      y0 /= aspect;
      y1 /= aspect;
    }
  ball_point (x0, y0, a);
  ball_point (x1, y1, b);
  glm_vec3_cross (a, b, axis);
  if (glm_vec3_norm (axis) < 1e-7f)
    return;
  glm_vec3_normalize (axis);
  angle = acosf (glm_clamp (glm_vec3_dot (a, b), -1.0f, 1.0f));
  /* Rotating the scene by r in view space = rotating the camera by r⁻¹. */
  glm_quatv (r, angle, axis);
  glm_quat_inv (r, rinv);
  glm_quat_mul (cam->rotation, rinv, cam->rotation);
  glm_quat_normalize (cam->rotation);
}

void
ps_gl_camera_pan (PsGlCamera *cam, float aspect, float dx, float dy)
{
  float hw, hh, dist;
  vec3 right, up;
  half_sizes (cam, aspect > 0.0f ? aspect : 1.0f, &hw, &hh, &dist);
  glm_quat_rotatev (cam->rotation, (vec3) { 1, 0, 0 }, right);
  glm_quat_rotatev (cam->rotation, (vec3) { 0, 1, 0 }, up);
  glm_vec3_muladds (right, -dx * hw, cam->target);
  glm_vec3_muladds (up, -dy * hh, cam->target);
}

void
ps_gl_camera_zoom (PsGlCamera *cam, float factor)
{
  if (!(factor > 0.0f) || !isfinite (factor))
    return;
  cam->zoom = glm_clamp (cam->zoom * factor, 0.05f, 200.0f);
}

double
ps_gl_camera_nm_per_pixel (const PsGlCamera *cam, float aspect, int height)
{
  float hw, hh, dist;
  half_sizes (cam, aspect > 0.0f ? aspect : 1.0f, &hw, &hh, &dist);
  return height > 0 ? 2.0 * hh / height : 0.0;
}
