/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Slice rendering: window/level, colour map, magnification, label overlays.
 * See ps-slice-render.h for the exact mapping. */
#include "ps-slice-render.h"

#include <math.h>
#include <stdlib.h>

#include "ps-size.h"
#include "ps-stats.h"

#define OPAQUE 0xff000000u
/* How far ahead the column walk prefetches voxels (pixels). */
#define PREFETCH_PIXELS 16

/* Window/level as a scale and offset in double precision, so the gray level
 * of a voxel does not depend on float rounding of the window. */
typedef struct
{
  double lo, scale;   /* t = (v − lo)·scale */
  bool step;          /* hi ≤ lo: t = v ≥ lo */
  bool invert;
} Mapping;

static inline uint8_t
map_value (const Mapping *m, double v)
{
  double t;
  int g;
  if (m->step)
    t = v >= m->lo ? 1.0 : 0.0;
  else
    {
      t = (v - m->lo) * m->scale;
      t = t < 0.0 ? 0.0 : t > 1.0 ? 1.0 : t;
    }
  g = (int) floor (255.0 * t + 0.5);
  return (uint8_t) (m->invert ? 255 - g : g);
}

static void
mapping_init (Mapping *m, float lo, float hi, PsColormap colormap)
{
  m->lo = lo;
  m->step = !(hi > lo) || !isfinite ((double) hi - (double) lo);
  m->scale = m->step ? 0.0 : 1.0 / ((double) hi - (double) lo);
  m->invert = colormap == PS_COLORMAP_GRAY_INVERTED;
}

uint8_t
ps_slice_gray (float value, float lo, float hi, PsColormap colormap)
{
  Mapping m;
  mapping_init (&m, lo, hi, colormap);
  return map_value (&m, value);
}

uint32_t
ps_color_blend (uint32_t under, uint32_t over, float alpha)
{
  uint32_t out = 0;
  double a = alpha < 0.0f ? 0.0 : alpha > 1.0f ? 1.0 : alpha;
  for (int shift = 0; shift <= 16; shift += 8)
    {
      double u = (under >> shift) & 0xff, o = (over >> shift) & 0xff;
      uint32_t c = (uint32_t) floor ((1.0 - a) * u + a * o + 0.5);
      out |= (c > 255 ? 255 : c) << shift;
    }
  return out;
}

uint32_t
ps_overlay_label_color (uint32_t label)
{
  /* Hue = label × golden angle; saturation 0.65, value 0.95: bright enough
   * to read on dark and light gray. HSV → RGB with integer sectors. */
  double h = fmod ((double) label * 137.50776405003785, 360.0) / 60.0;
  double s = 0.65, v = 0.95;
  int sector = (int) h;
  double f = h - sector;
  double p = v * (1 - s), q = v * (1 - s * f), t = v * (1 - s * (1 - f));
  double r, g, b;
  switch (sector)
    {
    case 0: r = v; g = t; b = p; break;
    case 1: r = q; g = v; b = p; break;
    case 2: r = p; g = v; b = t; break;
    case 3: r = p; g = q; b = v; break;
    case 4: r = t; g = p; b = v; break;
    default: r = v; g = p; b = q; break;
    }
  return ((uint32_t) lround (r * 255) << 16) | ((uint32_t) lround (g * 255) << 8)
         | (uint32_t) lround (b * 255);
}

/* Per output column (or row): the nearest slice index (or -1 outside), and
 * for linear sampling the two neighbours and the weight of the second. */
typedef struct
{
  long nearest;
  long i0, i1;
  double w;
} Tap;

static void
make_taps (Tap *taps, size_t n_out, double origin, double step, size_t n_in)
{
  for (size_t u = 0; u < n_out; u++)
    {
      double s = origin + ((double) u + 0.5) * step;
      Tap *t = &taps[u];
      if (!(s >= 0.0) || s >= (double) n_in)
        {
          t->nearest = -1;
          t->i0 = t->i1 = 0;
          t->w = 0.0;
          continue;
        }
      t->nearest = (long) floor (s);
      if (t->nearest >= (long) n_in)
        t->nearest = (long) n_in - 1;
      double f = s - 0.5;
      double fl = floor (f);
      long i0 = (long) fl;
      t->w = f - fl;
      t->i0 = i0 < 0 ? 0 : i0 >= (long) n_in ? (long) n_in - 1 : i0;
      t->i1 = i0 + 1 < 0 ? 0 : i0 + 1 >= (long) n_in ? (long) n_in - 1 : i0 + 1;
    }
}

/* Everything one pixel needs besides its taps. */
typedef struct
{
  const PsSliceRender *r;
  const Mapping *m;
  bool linear;
  uint32_t nan_color, background;
  size_t rs;
} Shader;

/* Neighbouring pixels mostly share a label: remember the last colour. */
typedef struct
{
  uint32_t label[PS_SLICE_MAX_OVERLAYS];
  uint32_t color[PS_SLICE_MAX_OVERLAYS];
} LabelCache;

static inline uint32_t
shade (const Shader *sh, const Tap *row, const Tap *col, const size_t *co, LabelCache *cache)
{
  const PsSliceRender *r = sh->r;
  double value;
  uint32_t px;

  if (row->nearest < 0 || col->nearest < 0)
    return sh->background;
  const size_t line_off = (size_t) row->nearest * sh->rs;
  if (sh->linear)
    {
      const float *l0 = r->slice + (size_t) row->i0 * sh->rs;
      const float *l1 = r->slice + (size_t) row->i1 * sh->rs;
      double a = l0[co[1]] + col->w * ((double) l0[co[2]] - l0[co[1]]);
      double b = l1[co[1]] + col->w * ((double) l1[co[2]] - l1[co[1]]);
      value = a + row->w * (b - a);
    }
  else
    value = r->slice[line_off + co[0]];
  if (isnan (value))
    px = sh->nan_color;
  else
    {
      uint32_t g = map_value (sh->m, value);
      px = OPAQUE | (g << 16) | (g << 8) | g;
    }
  for (size_t k = 0; k < r->n_overlays; k++)
    {
      const PsSliceOverlay *o = &r->overlays[k];
      uint32_t label = o->labels[line_off + co[0]];
      if (label == 0 || !(o->alpha > 0.0f))
        continue;
      uint32_t c = o->color;
      if (o->mode == PS_OVERLAY_PER_LABEL)
        {
          if (label != cache->label[k])
            {
              cache->label[k] = label;
              cache->color[k] = ps_overlay_label_color (label);
            }
          c = cache->color[k];
        }
      px = OPAQUE | ps_color_blend (px & 0xffffff, c & 0xffffff, o->alpha);
    }
  return px;
}

PsStatus
ps_slice_render (const PsSliceRender *r, uint32_t *out, size_t out_width, size_t out_height,
                 size_t out_stride, int n_threads)
{
  size_t n_pixels;
  Mapping m;

  if (r == NULL || out == NULL || r->slice == NULL || out_width == 0 || out_height == 0)
    return PS_ERROR_INVALID_PARAMETER;
  if (r->width == 0 || r->height == 0 || out_stride < out_width)
    return PS_ERROR_INVALID_PARAMETER;
  if (!(r->dx > 0.0) || !(r->dy > 0.0) || !isfinite (r->dx) || !isfinite (r->dy)
      || !isfinite (r->x0) || !isfinite (r->y0))
    return PS_ERROR_INVALID_PARAMETER;
  if (!ps_size_mul (out_width, out_height, &n_pixels) || r->n_overlays > PS_SLICE_MAX_OVERLAYS
      || (r->n_overlays > 0 && r->overlays == NULL))
    return PS_ERROR_INVALID_PARAMETER;
  for (size_t k = 0; k < r->n_overlays; k++)
    if (r->overlays[k].labels == NULL)
      return PS_ERROR_INVALID_PARAMETER;

  Tap *cols = malloc (out_width * sizeof *cols);
  Tap *rows = malloc (out_height * sizeof *rows);
  if (cols == NULL || rows == NULL)
    {
      free (cols);
      free (rows);
      return PS_ERROR_NO_MEMORY;
    }
  make_taps (cols, out_width, r->x0, r->dx, r->width);
  make_taps (rows, out_height, r->y0, r->dy, r->height);
  mapping_init (&m, r->lo, r->hi, r->colormap);

  const size_t cs = r->col_stride ? r->col_stride : 1;
  const size_t rs = r->row_stride ? r->row_stride : r->width;
  /* Column offsets once per render: no multiplication per pixel. */
  size_t *col_off = malloc (out_width * 3 * sizeof *col_off);
  if (col_off == NULL)
    {
      free (cols);
      free (rows);
      return PS_ERROR_NO_MEMORY;
    }
  for (size_t u = 0; u < out_width; u++)
    {
      col_off[3 * u] = cols[u].nearest >= 0 ? (size_t) cols[u].nearest * cs : 0;
      col_off[3 * u + 1] = (size_t) cols[u].i0 * cs;
      col_off[3 * u + 2] = (size_t) cols[u].i1 * cs;
    }

  const uint32_t background = OPAQUE | (r->background & 0xffffff);
  const uint32_t nan_color = OPAQUE | (r->nan_color & 0xffffff);
  const bool linear = r->interpolation == PS_INTERPOLATION_LINEAR;
  int team = ps_threads_resolve (n_threads);
  /* ~2 ns per pixel: below 1 Mi pixels one thread finishes before a busy
   * machine would schedule a second one (see ps-slice.c). */
  if (n_pixels < ((size_t) 1 << 20))
    team = 1;

  /* Visit pixels in the order that walks memory most gently: along output
   * rows when slice rows are contiguous (xy, xz), down output columns when
   * slice columns are the far-apart ones (yz: z across, 4 MiB apart in a
   * 1024³ volume, y down, 4 KiB apart) — consecutive reads then hit
   * neighbouring pages, whose translations share cache lines. */
  const bool by_columns = cs > rs;
  Shader sh = { .r = r, .m = &m, .linear = linear, .nan_color = nan_color, .background = background,
                .rs = rs };
  if (!by_columns)
    {
#pragma omp parallel for num_threads(team) schedule(static)
      for (size_t v = 0; v < out_height; v++)
        {
          uint32_t *dst = out + v * out_stride;
          LabelCache cache = { { 0 }, { 0 } };
          for (size_t u = 0; u < out_width; u++)
            dst[u] = shade (&sh, &rows[v], &cols[u], &col_off[3 * u], &cache);
        }
    }
  else
    {
#pragma omp parallel for num_threads(team) schedule(static)
      for (size_t u = 0; u < out_width; u++)
        {
          LabelCache cache = { { 0 }, { 0 } };
          const size_t co = col_off[3 * u];
          for (size_t v = 0; v < out_height; v++)
            {
              /* Each pixel here is a cache miss (often a TLB miss too) and
               * the shading is long enough that the core keeps few loads in
               * flight on its own: fetch PREFETCH_PIXELS ahead. */
              if (v + PREFETCH_PIXELS < out_height && rows[v + PREFETCH_PIXELS].nearest >= 0)
                __builtin_prefetch (r->slice + (size_t) rows[v + PREFETCH_PIXELS].nearest * rs + co);
              out[v * out_stride + u] = shade (&sh, &rows[v], &cols[u], &col_off[3 * u], &cache);
            }
        }
    }

  free (col_off);
  free (cols);
  free (rows);
  return PS_OK;
}
