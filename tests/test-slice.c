/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Orthoslice extraction and slice rendering, checked against brute-force
 * index arithmetic written out from the layouts documented in ps-slice.h and
 * the mapping in ps-slice-render.h. */
#include "config.h"

#include <glib.h>
#include <math.h>
#include <string.h>

#include "ps-memory.h"
#include "ps-slice-render.h"
#include "ps-slice.h"
#include "ps-test-util.h"

/* Value of voxel (x, y, z) in the test pattern, unique per voxel for the
 * sizes used here (and different in every byte that matters). */
static guint64
pattern (size_t x, size_t y, size_t z)
{
  return (guint64) x * 0x9E3779B1u + (guint64) y * 0x85EBCA77u * 3 + (guint64) z * 0xC2B2AE3Du * 7 + 1;
}

static void *
make_grid (size_t elem, size_t nx, size_t ny, size_t nz)
{
  guint8 *d = g_malloc (nx * ny * nz * elem);
  for (size_t z = 0; z < nz; z++)
    for (size_t y = 0; y < ny; y++)
      for (size_t x = 0; x < nx; x++)
        {
          guint64 v = pattern (x, y, z);
          memcpy (d + ((z * ny + y) * nx + x) * elem, &v, elem); /* little-endian low bytes */
        }
  return d;
}

/* Expected value at output (col, row) of slice @index: straight from the
 * table in ps-slice.h. */
static guint64
expected (PsSliceOrientation o, size_t index, size_t col, size_t row)
{
  switch (o)
    {
    case PS_SLICE_XY: return pattern (col, row, index);
    case PS_SLICE_XZ: return pattern (col, index, row);
    case PS_SLICE_YZ: return pattern (index, row, col);
    default: g_assert_not_reached ();
    }
}

static void
check_slice (const guint8 *out, size_t elem, PsSliceOrientation o, size_t index, size_t w, size_t h)
{
  for (size_t row = 0; row < h; row++)
    for (size_t col = 0; col < w; col++)
      {
        guint64 want = expected (o, index, col, row), got = 0;
        memcpy (&got, out + (row * w + col) * elem, elem);
        if (elem < 8)
          want &= (G_GUINT64_CONSTANT (1) << (8 * elem)) - 1;
        if (got != want)
          g_error ("orientation %d index %zu elem %zu: (%zu, %zu) = %" G_GUINT64_FORMAT
                   " instead of %" G_GUINT64_FORMAT, o, index, elem, col, row, got, want);
      }
}

static void
test_extract_all (void)
{
  static const size_t sizes[][3] = { { 1, 1, 1 }, { 7, 5, 3 }, { 37, 29, 23 }, { 16, 33, 17 } };
  static const size_t elems[] = { 1, 2, 4, 8 };

  for (gsize s = 0; s < G_N_ELEMENTS (sizes); s++)
    for (gsize e = 0; e < G_N_ELEMENTS (elems); e++)
      {
        size_t nx = sizes[s][0], ny = sizes[s][1], nz = sizes[s][2], elem = elems[e];
        g_autofree guint8 *grid = make_grid (elem, nx, ny, nz);
        for (int o = PS_SLICE_XY; o <= PS_SLICE_YZ; o++)
          {
            size_t w, h, n_axis = o == PS_SLICE_XY ? nz : o == PS_SLICE_XZ ? ny : nx;
            g_assert_true (ps_slice_size (o, nx, ny, nz, &w, &h));
            g_autofree guint8 *out = g_malloc (w * h * elem);
            for (size_t i = 0; i < n_axis; i++)
              {
                memset (out, 0xAB, w * h * elem);
                g_assert_cmpint (ps_slice_extract (grid, elem, nx, ny, nz, o, i, out, 1), ==, PS_OK);
                check_slice (out, elem, o, i, w, h);
              }
          }
      }
}

/* Big enough that the threaded paths run (≥ 1 Mi values per yz slice,
 * ≥ 8 MiB per xy or xz slice): the result must not depend on the team. */
static void
test_extract_threads (void)
{
  static const struct { size_t nx, ny, nz; PsSliceOrientation o; } cases[] = {
    { 8, 1030, 1030, PS_SLICE_YZ },
    { 2100, 1000, 2, PS_SLICE_XY },
    { 2100, 2, 1000, PS_SLICE_XZ },
  };
  const size_t elem = 4;
  for (gsize c = 0; c < G_N_ELEMENTS (cases); c++)
    {
      size_t nx = cases[c].nx, ny = cases[c].ny, nz = cases[c].nz, w, h;
      PsSliceOrientation o = cases[c].o;
      g_autofree guint8 *grid = make_grid (elem, nx, ny, nz);
      ps_slice_size (o, nx, ny, nz, &w, &h);
      g_autofree guint8 *a = g_malloc (w * h * elem);
      g_autofree guint8 *b = g_malloc (w * h * elem);
      size_t idx[] = { 0, 1, (o == PS_SLICE_XY ? nz : o == PS_SLICE_XZ ? ny : nx) - 1 };
      for (gsize k = 0; k < G_N_ELEMENTS (idx); k++)
        {
          g_assert_cmpint (ps_slice_extract (grid, elem, nx, ny, nz, o, idx[k], a, 1), ==, PS_OK);
          g_assert_cmpint (ps_slice_extract (grid, elem, nx, ny, nz, o, idx[k], b, 4), ==, PS_OK);
          g_assert_cmpmem (a, w * h * elem, b, w * h * elem);
          check_slice (a, elem, o, idx[k], w, h);
        }
    }
}

static void
test_extract_slab (void)
{
  const size_t nx = 40, ny = 23, nz = 19;
  for (gsize e = 1; e <= 8; e *= 2)
    {
      g_autofree guint8 *grid = make_grid (e, nx, ny, nz);
      for (int o = PS_SLICE_XY; o <= PS_SLICE_YZ; o++)
        {
          size_t w, h, count = 7, start = 3;
          ps_slice_size (o, nx, ny, nz, &w, &h);
          g_autofree guint8 *slab = g_malloc (count * w * h * e);
          g_assert_cmpint (ps_slice_extract_slab (grid, e, nx, ny, nz, o, start, count, slab, 2), ==, PS_OK);
          for (size_t k = 0; k < count; k++)
            check_slice (slab + k * w * h * e, e, o, start + k, w, h);
          /* Past the end of the axis. */
          size_t n_axis = o == PS_SLICE_XY ? nz : o == PS_SLICE_XZ ? ny : nx;
          g_assert_cmpint (ps_slice_extract_slab (grid, e, nx, ny, nz, o, n_axis - 2, 3, slab, 1), ==,
                           PS_ERROR_INVALID_PARAMETER);
        }
    }
}

static void
test_extract_invalid (void)
{
  float grid[24] = { 0 }, out[24];
  g_assert_cmpint (ps_slice_extract (grid, 4, 2, 3, 4, PS_SLICE_XY, 4, out, 1), ==, PS_ERROR_INVALID_PARAMETER);
  g_assert_cmpint (ps_slice_extract (grid, 4, 2, 3, 4, PS_SLICE_XZ, 3, out, 1), ==, PS_ERROR_INVALID_PARAMETER);
  g_assert_cmpint (ps_slice_extract (grid, 4, 2, 3, 4, PS_SLICE_YZ, 2, out, 1), ==, PS_ERROR_INVALID_PARAMETER);
  g_assert_cmpint (ps_slice_extract (grid, 3, 2, 3, 4, PS_SLICE_XY, 0, out, 1), ==, PS_ERROR_INVALID_PARAMETER);
  g_assert_cmpint (ps_slice_extract (NULL, 4, 2, 3, 4, PS_SLICE_XY, 0, out, 1), ==, PS_ERROR_INVALID_PARAMETER);
  g_assert_cmpint (ps_slice_extract (grid, 4, 0, 3, 4, PS_SLICE_XY, 0, out, 1), ==, PS_ERROR_INVALID_PARAMETER);
  g_assert_cmpint (ps_slice_extract (grid, 4, 2, 3, 4, (PsSliceOrientation) 7, 0, out, 1), ==, PS_ERROR_INVALID_PARAMETER);
  g_assert_cmpint (ps_slice_extract (grid, 4, SIZE_MAX / 2, 3, 4, PS_SLICE_XY, 0, out, 1), ==, PS_ERROR_INVALID_PARAMETER);
  g_assert_cmpint (ps_slice_extract (grid, 4, 2, 3, 4, PS_SLICE_XY, 3, out, 1), ==, PS_OK);
}

static void
test_volume_wrappers (void)
{
  PsStatus st;
  PsVolume *v = ps_volume_new (5, 4, 3, &st);
  PsLabels *l = ps_labels_new (5, 4, 3, &st);
  float fo[15];
  uint32_t lo[15];
  for (size_t i = 0; i < 60; i++)
    {
      v->data[i] = (float) i * 0.5f;
      l->data[i] = (uint32_t) i;
    }
  g_assert_cmpint (ps_slice_extract_volume (v, PS_SLICE_YZ, 2, fo, 0), ==, PS_OK);
  g_assert_cmpint (ps_slice_extract_labels (l, PS_SLICE_YZ, 2, lo, 0), ==, PS_OK);
  /* yz: width nz = 3, height ny = 4; (col z, row y) = voxel (2, y, z). */
  for (size_t y = 0; y < 4; y++)
    for (size_t z = 0; z < 3; z++)
      {
        g_assert_cmpfloat (fo[y * 3 + z], ==, ps_volume_get (v, 2, y, z));
        g_assert_cmpuint (lo[y * 3 + z], ==, (z * 4 + y) * 5 + 2);
      }
  g_assert_cmpint (ps_slice_extract_volume (NULL, PS_SLICE_XY, 0, fo, 0), ==, PS_ERROR_INVALID_PARAMETER);
  ps_volume_unref (v);
  ps_labels_unref (l);
}

/* ---- rendering ---------------------------------------------------------- */

static guint8
ref_gray (double v, double lo, double hi, gboolean invert)
{
  double t = hi > lo ? (v - lo) / (hi - lo) : (v >= lo ? 1.0 : 0.0);
  t = CLAMP (t, 0.0, 1.0);
  int g = (int) floor (255.0 * t + 0.5);
  return (guint8) (invert ? 255 - g : g);
}

static void
test_render_nearest (void)
{
  const size_t w = 9, h = 6, zoom = 3;
  float slice[54];
  for (size_t i = 0; i < w * h; i++)
    slice[i] = (float) i * 1.7f - 20.0f;
  PsSliceRender r = {
    .slice = slice, .width = w, .height = h,
    .x0 = -1.0, .y0 = -2.0, .dx = 1.0 / zoom, .dy = 1.0 / zoom,
    .lo = -5.0f, .hi = 60.0f, .colormap = PS_COLORMAP_GRAY,
    .interpolation = PS_INTERPOLATION_NEAREST, .background = 0x123456, .nan_color = 0xff00ff,
  };
  size_t ow = (w + 2) * zoom, oh = (h + 4) * zoom, stride = ow + 5;
  g_autofree guint32 *out = g_new0 (guint32, stride * oh);
  for (int invert = 0; invert <= 1; invert++)
    {
      r.colormap = invert ? PS_COLORMAP_GRAY_INVERTED : PS_COLORMAP_GRAY;
      g_assert_cmpint (ps_slice_render (&r, out, ow, oh, stride, 1), ==, PS_OK);
      for (size_t v = 0; v < oh; v++)
        for (size_t u = 0; u < ow; u++)
          {
            /* Output pixel (u, v) shows slice pixel (u/zoom − 1, v/zoom − 2). */
            long i = (long) (u / zoom) - 1, j = (long) (v / zoom) - 2;
            guint32 want;
            if (i < 0 || j < 0 || i >= (long) w || j >= (long) h)
              want = 0xff123456;
            else
              {
                guint8 g = ref_gray (slice[j * w + i], -5.0, 60.0, invert);
                want = 0xff000000u | g << 16 | g << 8 | g;
              }
            g_assert_cmphex (out[v * stride + u], ==, want);
          }
    }
}

/* A plane v = a·i + b·j sampled at pixel centres is reproduced exactly by
 * bilinear interpolation away from the clamped border. */
static void
test_render_linear (void)
{
  const size_t w = 16, h = 12;
  float slice[192];
  for (size_t j = 0; j < h; j++)
    for (size_t i = 0; i < w; i++)
      slice[j * w + i] = (float) (4.0 * i + 10.0 * j);
  PsSliceRender r = {
    .slice = slice, .width = w, .height = h, .x0 = 0, .y0 = 0, .dx = 0.25, .dy = 0.25,
    .lo = 0.0f, .hi = 255.0f, .interpolation = PS_INTERPOLATION_LINEAR,
  };
  size_t ow = w * 4, oh = h * 4;
  g_autofree guint32 *out = g_new0 (guint32, ow * oh);
  g_assert_cmpint (ps_slice_render (&r, out, ow, oh, ow, 2), ==, PS_OK);
  for (size_t v = 2; v < oh - 2; v++)
    for (size_t u = 2; u < ow - 2; u++)
      {
        double sx = (u + 0.5) * 0.25 - 0.5, sy = (v + 0.5) * 0.25 - 0.5;
        double val = 4.0 * sx + 10.0 * sy;
        guint8 g = ref_gray (val, 0, 255, FALSE);
        guint32 got = out[v * ow + u] & 0xff;
        /* ≤ 1 level: the reference rounds the exact value, the renderer the
         * interpolated float samples. */
        g_assert_cmpint (ABS ((int) got - (int) g), <=, 1);
      }
  /* The clamped border repeats the edge voxel: the top-left pixel samples
   * (0.125, 0.125), left of and above the first centre. */
  g_assert_cmphex (out[0] & 0xff, ==, ref_gray (slice[0], 0, 255, FALSE));
}

static void
test_render_overlay_nan (void)
{
  float slice[4] = { 0.0f, NAN, 100.0f, 50.0f };
  guint32 pores[4] = { 0, 0, 3, 1 };
  guint32 objs[4] = { 5, 0, 0, 2 };
  PsSliceOverlay ov[2] = {
    { .labels = pores, .mode = PS_OVERLAY_SOLID, .color = 0x9a9a9a, .alpha = 0.5f },
    { .labels = objs, .mode = PS_OVERLAY_PER_LABEL, .alpha = 1.0f },
  };
  PsSliceRender r = {
    .slice = slice, .width = 2, .height = 2, .dx = 1, .dy = 1, .lo = 0, .hi = 100,
    .nan_color = 0xff0000, .overlays = ov, .n_overlays = 2,
  };
  guint32 out[4];
  g_assert_cmpint (ps_slice_render (&r, out, 2, 2, 2, 1), ==, PS_OK);
  g_assert_cmphex (out[0], ==, 0xff000000u | ps_overlay_label_color (5));
  g_assert_cmphex (out[1], ==, 0xffff0000u);
  /* 255 blended half with 0x9a = 154: (255 + 154) / 2 = 204.5 → 205 = 0xcd. */
  g_assert_cmphex (out[2], ==, 0xffcdcdcdu);
  g_assert_cmphex (out[3], ==, 0xff000000u | ps_overlay_label_color (2));
  g_assert_cmphex (ps_color_blend (0x000000, 0x2f6fdb, 0.5f), ==, 0x18386e);
  /* Distinct colours for neighbouring labels. */
  for (guint32 l = 1; l < 50; l++)
    g_assert_cmphex (ps_overlay_label_color (l), !=, ps_overlay_label_color (l + 1));
  /* hi ≤ lo: a step at lo. */
  g_assert_cmpuint (ps_slice_gray (4.0f, 5.0f, 5.0f, PS_COLORMAP_GRAY), ==, 0);
  g_assert_cmpuint (ps_slice_gray (5.0f, 5.0f, 5.0f, PS_COLORMAP_GRAY), ==, 255);
  g_assert_cmpuint (ps_slice_gray (5.0f, 5.0f, 5.0f, PS_COLORMAP_GRAY_INVERTED), ==, 0);
  g_assert_cmpuint (ps_slice_gray (INFINITY, 0.0f, 1.0f, PS_COLORMAP_GRAY), ==, 255);
}

static void
test_render_threads_invalid (void)
{
  const size_t w = 301, h = 257;
  g_autofree float *slice = g_new (float, w * h);
  PsTestRng rng = { 7 };
  for (size_t i = 0; i < w * h; i++)
    slice[i] = (float) ps_test_rng_uniform (&rng);
  PsSliceRender r = { .slice = slice, .width = w, .height = h, .x0 = 3.3, .y0 = -7.1,
                      .dx = 0.61, .dy = 0.59, .lo = 0.2f, .hi = 0.9f,
                      .interpolation = PS_INTERPOLATION_LINEAR };
  size_t ow = 1100, oh = 1000; /* ≥ 1 Mi pixels: the threaded path */
  g_autofree guint32 *a = g_new (guint32, ow * oh);
  g_autofree guint32 *b = g_new (guint32, ow * oh);
  g_assert_cmpint (ps_slice_render (&r, a, ow, oh, ow, 1), ==, PS_OK);
  g_assert_cmpint (ps_slice_render (&r, b, ow, oh, ow, 3), ==, PS_OK);
  g_assert_cmpmem (a, ow * oh * 4, b, ow * oh * 4);

  r.dx = 0;
  g_assert_cmpint (ps_slice_render (&r, a, ow, oh, ow, 1), ==, PS_ERROR_INVALID_PARAMETER);
  r.dx = 1;
  g_assert_cmpint (ps_slice_render (&r, a, ow, oh, ow - 1, 1), ==, PS_ERROR_INVALID_PARAMETER);
  r.n_overlays = 1;
  g_assert_cmpint (ps_slice_render (&r, a, ow, oh, ow, 1), ==, PS_ERROR_INVALID_PARAMETER);
}

/* Rendering in place from the volume (ps_slice_layout strides) gives the
 * same pixels as rendering the extracted slice, overlays included. */
static void
test_render_strided (void)
{
  const size_t nx = 23, ny = 17, nz = 11;
  PsStatus st;
  PsVolume *v = ps_volume_new (nx, ny, nz, &st);
  PsLabels *l = ps_labels_new (nx, ny, nz, &st);
  PsTestRng rng = { 3 };

  for (size_t i = 0; i < nx * ny * nz; i++)
    {
      v->data[i] = (float) ps_test_rng_uniform (&rng);
      l->data[i] = (uint32_t) (ps_test_rng_next (&rng) % 4);
    }
  for (int o = PS_SLICE_XY; o <= PS_SLICE_YZ; o++)
    for (int interp = 0; interp <= 1; interp++)
      {
        size_t w, h, off, cs, rs, index = 5;
        ps_slice_size (o, nx, ny, nz, &w, &h);
        g_assert_true (ps_slice_layout (o, nx, ny, nz, index, &off, &cs, &rs));
        g_autofree float *slice = g_new (float, w * h);
        g_autofree uint32_t *labels = g_new (uint32_t, w * h);
        ps_slice_extract_volume (v, o, index, slice, 1);
        ps_slice_extract_labels (l, o, index, labels, 1);
        PsSliceOverlay ov = { .labels = labels, .mode = PS_OVERLAY_PER_LABEL, .alpha = 0.4f };
        PsSliceRender r = { .slice = slice, .width = w, .height = h, .x0 = -1.3, .y0 = 0.7,
                            .dx = 0.37, .dy = 0.29, .lo = 0.1f, .hi = 0.8f,
                            .interpolation = interp ? PS_INTERPOLATION_LINEAR : PS_INTERPOLATION_NEAREST,
                            .overlays = &ov, .n_overlays = 1 };
        size_t ow = 90, oh = 70;
        g_autofree guint32 *a = g_new (guint32, ow * oh);
        g_autofree guint32 *b = g_new (guint32, ow * oh);
        g_assert_cmpint (ps_slice_render (&r, a, ow, oh, ow, 1), ==, PS_OK);
        PsSliceOverlay ov2 = { .labels = l->data + off, .mode = PS_OVERLAY_PER_LABEL, .alpha = 0.4f };
        r.slice = v->data + off;
        r.col_stride = cs;
        r.row_stride = rs;
        r.overlays = &ov2;
        g_assert_cmpint (ps_slice_render (&r, b, ow, oh, ow, 1), ==, PS_OK);
        g_assert_cmpmem (a, ow * oh * 4, b, ow * oh * 4);
      }
  g_assert_false (ps_slice_layout (PS_SLICE_YZ, nx, ny, nz, nx, NULL, NULL, NULL));
  ps_volume_unref (v);
  ps_labels_unref (l);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/core/slice/extract/all", test_extract_all);
  g_test_add_func ("/core/slice/extract/threads", test_extract_threads);
  g_test_add_func ("/core/slice/extract/slab", test_extract_slab);
  g_test_add_func ("/core/slice/extract/invalid", test_extract_invalid);
  g_test_add_func ("/core/slice/extract/volume", test_volume_wrappers);
  g_test_add_func ("/core/slice/render/nearest", test_render_nearest);
  g_test_add_func ("/core/slice/render/linear", test_render_linear);
  g_test_add_func ("/core/slice/render/overlay-nan", test_render_overlay_nan);
  g_test_add_func ("/core/slice/render/threads-invalid", test_render_threads_invalid);
  g_test_add_func ("/core/slice/render/strided", test_render_strided);
  return g_test_run ();
}
