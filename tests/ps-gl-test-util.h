/* SPDX-License-Identifier: GPL-3.0-or-later */
/* ps-gl-test-util.h: the synthetic scene of the gl tests and pixel helpers.
 *
 * The scene (voxel coordinates, voxel i covers [i, i + 1), 1 nm voxels):
 *   a bright slab (carbon, intensity 1) x ∈ [6, 58), y ∈ [6, 58), z ∈ [26, 52)
 *   in a dark 64³ volume (intensity 0), with a dark sphere (a pore,
 *   intensity 0, pore label 1 for every voxel whose centre is inside it)
 *   centred at (22, 28, 36), radius 14. The sphere pokes out of the slab's
 *   front face (z = 26), so the front view sees a gray cap of radius
 *   √(14² − 10²) ≈ 9.8 inside the blue slab.
 */
#pragma once

#include <glib.h>

#include "ps-volume.h"

G_BEGIN_DECLS

#define PS_GL_TEST_N 64
static const double ps_gl_test_sphere_c[3] = { 22.0, 28.0, 36.0 };
static const double ps_gl_test_sphere_r = 14.0;
static const double ps_gl_test_slab_lo[3] = { 6.0, 6.0, 26.0 };
static const double ps_gl_test_slab_hi[3] = { 58.0, 58.0, 52.0 };

static inline gboolean
ps_gl_test_in_sphere (double x, double y, double z)
{
  double dx = x - ps_gl_test_sphere_c[0], dy = y - ps_gl_test_sphere_c[1], dz = z - ps_gl_test_sphere_c[2];
  return dx * dx + dy * dy + dz * dz < ps_gl_test_sphere_r * ps_gl_test_sphere_r;
}

static inline gboolean
ps_gl_test_in_slab (double x, double y, double z)
{
  return x >= ps_gl_test_slab_lo[0] && x < ps_gl_test_slab_hi[0] && y >= ps_gl_test_slab_lo[1] &&
         y < ps_gl_test_slab_hi[1] && z >= ps_gl_test_slab_lo[2] && z < ps_gl_test_slab_hi[2];
}

/* Make the volume and the pore labels. */
static inline void
ps_gl_test_scene (PsVolume **vol_out, PsLabels **pores_out)
{
  PsStatus st;
  PsVolume *vol = ps_volume_new (PS_GL_TEST_N, PS_GL_TEST_N, PS_GL_TEST_N, &st);
  PsLabels *pores = ps_labels_new (PS_GL_TEST_N, PS_GL_TEST_N, PS_GL_TEST_N, &st);
  g_assert_nonnull (vol);
  g_assert_nonnull (pores);
  ps_volume_set_spacing (vol, 1.0, 1.0, 1.0);
  for (size_t z = 0; z < PS_GL_TEST_N; z++)
    for (size_t y = 0; y < PS_GL_TEST_N; y++)
      for (size_t x = 0; x < PS_GL_TEST_N; x++)
        {
          double cx = x + 0.5, cy = y + 0.5, cz = z + 0.5;
          size_t i = ps_volume_index (vol, x, y, z);
          gboolean sphere = ps_gl_test_in_sphere (cx, cy, cz);
          vol->data[i] = ps_gl_test_in_slab (cx, cy, cz) && !sphere ? 1.0f : 0.0f;
          pores->data[i] = sphere ? 1 : 0;
        }
  pores->n_labels = 1;
  *vol_out = vol;
  *pores_out = pores;
}

typedef enum
{
  PS_PIX_BACKGROUND,
  PS_PIX_CARBON,
  PS_PIX_PORE,
  PS_PIX_OTHER,
} PsPixelClass;

/* Classify an RGBA8 pixel: carbon = blue (#2f6fdb, shaded), pore = gray
 * (#9a9a9a, shaded), background = @bg within 3/255. */
static inline PsPixelClass
ps_gl_test_classify (const guint8 *px, const guint8 bg[3])
{
  int r = px[0], g = px[1], b = px[2];
  if (abs (r - bg[0]) <= 3 && abs (g - bg[1]) <= 3 && abs (b - bg[2]) <= 3)
    return PS_PIX_BACKGROUND;
  if (b > r + 40 && b > g + 20)
    return PS_PIX_CARBON;
  if (abs (r - g) <= 8 && abs (g - b) <= 8 && r > 45)
    return PS_PIX_PORE;
  return PS_PIX_OTHER;
}

G_END_DECLS
