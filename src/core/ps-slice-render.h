/* SPDX-License-Identifier: GPL-3.0-or-later */
/* ps-slice-render.h: turn a float slice (plus label overlays) into screen
 * pixels: window/level, gray or inverted gray, nearest or bilinear
 * magnification, and label layers blended on top.
 *
 * The orthoslice views render exactly the device pixels they show, so what is
 * on screen (and in a test's snapshot, or an exported figure) is a known
 * function of the voxel values:
 *
 *   t    = clamp ((v − lo) / (hi − lo), 0, 1)       (hi ≤ lo: t = v ≥ lo)
 *   gray = ⌊255·t + ½⌋,  inverted: 255 − gray
 *   out  = round ((1 − α)·out + α·colour)  for every overlay whose label ≠ 0
 *
 * Coordinates: slice pixel (i, j) covers [i, i+1) × [j, j+1) in "slice
 * units"; output pixel (u, v) samples the point
 * (x0 + (u + ½)·dx, y0 + (v + ½)·dy). Nearest takes the pixel containing
 * that point; linear interpolates between pixel centres (i + ½), clamping at
 * the edges. Labels are never interpolated. Points outside the slice get the
 * background colour, NaN voxels the NaN colour.
 *
 * Output pixels are 32-bit 0xAARRGGBB in native byte order, opaque: the
 * layout of CAIRO_FORMAT_ARGB32 and of GDK_MEMORY_DEFAULT.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ps-status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum
{
  PS_INTERPOLATION_NEAREST = 0,
  PS_INTERPOLATION_LINEAR = 1,
} PsInterpolation;

typedef enum
{
  PS_COLORMAP_GRAY = 0,
  PS_COLORMAP_GRAY_INVERTED = 1,
} PsColormap;

typedef enum
{
  /* Every non-zero label in the layer's colour (a phase: carbon, pores). */
  PS_OVERLAY_SOLID = 0,
  /* Each label its own colour from ps_overlay_label_color() (separated
   * objects); the layer colour is ignored. */
  PS_OVERLAY_PER_LABEL = 1,
} PsOverlayMode;

/* At most this many overlay layers are blended per render. */
#define PS_SLICE_MAX_OVERLAYS 8

typedef struct
{
  const uint32_t *labels;   /* laid out like the slice (same strides); 0 = transparent */
  PsOverlayMode mode;
  uint32_t color;           /* 0xRRGGBB (SOLID) */
  float alpha;              /* 0 … 1 */
} PsSliceOverlay;

typedef struct
{
  const float *slice;       /* width × height values */
  size_t width, height;
  /* Elements between neighbouring columns and rows; 0, 0 means a packed
   * row-major slice (1, width). With ps_slice_layout() a view renders
   * straight from the volume and reads only the voxels it shows. */
  size_t col_stride, row_stride;
  double x0, y0;            /* slice point at the output's top-left corner */
  double dx, dy;            /* slice units per output pixel (> 0) */
  float lo, hi;             /* display window */
  PsColormap colormap;
  PsInterpolation interpolation;
  uint32_t background;      /* 0xRRGGBB outside the slice */
  uint32_t nan_color;       /* 0xRRGGBB for NaN voxels */
  const PsSliceOverlay *overlays;
  size_t n_overlays;
} PsSliceRender;

/* Render @out_width × @out_height pixels into @out (rows @out_stride pixels
 * apart). Identical output for any @n_threads (≤ 0: all). */
PsStatus ps_slice_render (const PsSliceRender *render, uint32_t *out, size_t out_width,
                          size_t out_height, size_t out_stride, int n_threads);

/* The gray level (0…255) a value maps to under [lo, hi] and @colormap. */
uint8_t ps_slice_gray (float value, float lo, float hi, PsColormap colormap);

/* The colour (0xRRGGBB) of @label in PER_LABEL overlays: hues spaced by the
 * golden angle, so neighbouring labels differ clearly. */
uint32_t ps_overlay_label_color (uint32_t label);

/* Blend 0xRRGGBB @over onto 0xRRGGBB @under with @alpha, rounding. */
uint32_t ps_color_blend (uint32_t under, uint32_t over, float alpha);

#ifdef __cplusplus
}
#endif
