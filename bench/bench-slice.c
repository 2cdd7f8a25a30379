/* SPDX-License-Identifier: GPL-3.0-or-later */
/* bench-slice: time orthoslice extraction (ps_slice_extract) on an N³
 * volume of float32 or uint16, after checking every orientation against
 * brute-force indexing. Prints one JSON object per line; bench/bench-slice.py
 * runs it side by side with NumPy and prints the table for
 * docs/performance.md.
 *
 *   bench-slice [--size N] [--dtype f32|u16] [--threads T] [--reps R]
 *
 * Voxel i (linear index, x fastest) holds i mod 65521, so NumPy can build the
 * same volume and the checksums of the copies can be compared. */
#include "config.h"

#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ps-memory.h"
#include "ps-slice-render.h"
#include "ps-slice.h"

static int size = 1024;
static char *dtype = NULL;
static int threads = 2;
static int reps = 5;

static const GOptionEntry entries[] = {
  { "size", 0, 0, G_OPTION_ARG_INT, &size, "Edge length N of the N³ volume", "N" },
  { "dtype", 0, 0, G_OPTION_ARG_STRING, &dtype, "f32 or u16", "TYPE" },
  { "threads", 0, 0, G_OPTION_ARG_INT, &threads, "Threads", "T" },
  { "reps", 0, 0, G_OPTION_ARG_INT, &reps, "Timed repetitions (after one warm-up)", "R" },
  { NULL }
};

/* Σ value[k]·(k + 1) mod 2⁶⁴ over the slice: order-sensitive, cheap to
 * compute in NumPy with uint64 wrap-around. */
static guint64
checksum (const void *buf, size_t elem, size_t n)
{
  guint64 s = 0;
  for (size_t k = 0; k < n; k++)
    {
      guint64 v = elem == 2 ? ((const guint16 *) buf)[k] : (guint64) ((const float *) buf)[k];
      s += v * (guint64) (k + 1);
    }
  return s;
}

static int
cmp_double (const void *a, const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;
  return x < y ? -1 : x > y;
}

static double
value_at (const void *data, size_t elem, size_t i)
{
  return elem == 2 ? ((const guint16 *) data)[i] : ((const float *) data)[i];
}

int
main (int argc, char **argv)
{
  g_autoptr (GOptionContext) ctx = g_option_context_new ("- orthoslice extraction benchmark");
  g_autoptr (GError) error = NULL;
  static const char *names[] = { "xy", "xz", "yz" };

  g_option_context_add_main_entries (ctx, entries, NULL);
  if (!g_option_context_parse (ctx, &argc, &argv, &error))
    {
      g_printerr ("bench-slice: %s\n", error->message);
      return 2;
    }
  if (dtype == NULL)
    dtype = g_strdup ("f32");
  size_t elem = g_str_equal (dtype, "u16") ? 2 : g_str_equal (dtype, "f32") ? 4 : 0;
  if (elem == 0 || size < 16 || reps < 1)
    {
      g_printerr ("bench-slice: bad --dtype, --size or --reps\n");
      return 2;
    }
  size_t n = (size_t) size, n3 = n * n * n;
  void *data = ps_aligned_alloc (n3 * elem);
  void *out = ps_aligned_alloc (n * n * 64); /* a slab of 64 / elem slices */
  if (data == NULL || out == NULL)
    {
      g_printerr ("bench-slice: cannot allocate %zu bytes\n", n3 * elem);
      return 1;
    }
#pragma omp parallel for num_threads(threads) schedule(static)
  for (size_t z = 0; z < n; z++)
    for (size_t i = z * n * n; i < (z + 1) * n * n; i++)
      {
        if (elem == 2)
          ((guint16 *) data)[i] = (guint16) (i % 65521);
        else
          ((float *) data)[i] = (float) (i % 65521);
      }

  for (int o = PS_SLICE_XY; o <= PS_SLICE_YZ; o++)
    {
      /* Correctness gate: three positions against brute force. */
      size_t pos[] = { 0, 13, n - 1 };
      for (int p = 0; p < 3; p++)
        {
          if (ps_slice_extract (data, elem, n, n, n, o, pos[p], out, threads) != PS_OK)
            return 1;
          for (size_t r = 0; r < n; r++)
            for (size_t c = 0; c < n; c++)
              {
                size_t x, y, z;
                if (o == PS_SLICE_XY) { x = c; y = r; z = pos[p]; }
                else if (o == PS_SLICE_XZ) { x = c; y = pos[p]; z = r; }
                else { x = pos[p]; y = r; z = c; }
                double want = value_at (data, elem, (z * n + y) * n + x);
                if (value_at (out, elem, r * n + c) != want)
                  {
                    g_printerr ("bench-slice: %s slice %zu wrong at (%zu, %zu)\n", names[o], pos[p], c, r);
                    return 1;
                  }
              }
        }
      guint64 sum = checksum (out, elem, n * n); /* slice n − 1 */

      double *t = g_new (double, reps);
      ps_slice_extract (data, elem, n, n, n, o, 5, out, threads); /* warm-up */
      for (int r = 0; r < reps; r++)
        {
          size_t idx = ((size_t) r * 97 + 13) % n;
          gint64 t0 = g_get_monotonic_time ();
          ps_slice_extract (data, elem, n, n, n, o, idx, out, threads);
          t[r] = (g_get_monotonic_time () - t0) / 1000.0;
        }
      qsort (t, reps, sizeof *t, cmp_double);
      printf ("{\"impl\": \"porescope\", \"op\": \"%s\", \"dtype\": \"%s\", \"size\": %zu, "
              "\"threads\": %d, \"median_ms\": %.3f, \"min_ms\": %.3f, \"checksum_last\": %" G_GUINT64_FORMAT "}\n",
              names[o], dtype, n, threads, t[reps / 2], t[0], sum);
      g_free (t);
    }

  /* Scrolling through yz: slabs of one cache line of x (64 B) per pass. */
  {
    size_t k = 64 / elem, n_slabs = (size_t) reps;
    double *t = g_new (double, n_slabs);
    for (size_t r = 0; r < n_slabs; r++)
      {
        size_t x0 = ((r * 97 + 13) % (n / k)) * k;
        gint64 t0 = g_get_monotonic_time ();
        ps_slice_extract_slab (data, elem, n, n, n, PS_SLICE_YZ, x0, k, out, threads);
        t[r] = (g_get_monotonic_time () - t0) / 1000.0 / (double) k;
      }
    qsort (t, n_slabs, sizeof *t, cmp_double);
    printf ("{\"impl\": \"porescope\", \"op\": \"yz-scroll\", \"dtype\": \"%s\", \"size\": %zu, "
            "\"threads\": %d, \"median_ms\": %.3f, \"min_ms\": %.3f, \"slab\": %zu}\n",
            dtype, n, threads, t[n_slabs / 2], t[0], k);
    g_free (t);
  }

  /* What a view does per frame: render a yz slice fitted into a 460 × 310
   * pane straight from the volume (ps_slice_layout strides, no copy). */
  if (elem == 4)
    {
      const size_t pw = 460, ph = 310;
      guint32 *px = ps_aligned_alloc (pw * ph * 4);
      double *t = g_new (double, reps);
      double step = (double) n / (double) ph; /* fit: the slice's n rows into ph pixels */
      for (int r = -1; r < reps; r++)
        {
          size_t x = ((size_t) (r < 0 ? 0 : r) * 97 + 13) % n, off, cs, rs;
          ps_slice_layout (PS_SLICE_YZ, n, n, n, x, &off, &cs, &rs);
          PsSliceRender rr = { .slice = (const float *) data + off, .width = n, .height = n,
                               .col_stride = cs, .row_stride = rs,
                               .x0 = -((double) pw * step - n) / 2, .y0 = 0, .dx = step, .dy = step,
                               .lo = 100, .hi = 60000 };
          gint64 t0 = g_get_monotonic_time ();
          ps_slice_render (&rr, px, pw, ph, pw, threads);
          if (r >= 0)
            t[r] = (g_get_monotonic_time () - t0) / 1000.0;
        }
      qsort (t, reps, sizeof *t, cmp_double);
      printf ("{\"impl\": \"porescope\", \"op\": \"yz-view\", \"dtype\": \"%s\", \"size\": %zu, "
              "\"threads\": %d, \"median_ms\": %.3f, \"min_ms\": %.3f}\n",
              dtype, n, threads, t[reps / 2], t[0]);
      g_free (t);
      ps_aligned_free (px);
    }

  /* Rendering one slice to screen pixels at 1:1 (window/level, gray). */
  if (elem == 4)
    {
      guint32 *px = ps_aligned_alloc (n * n * 4);
      float *slice = ps_aligned_alloc (n * n * 4);
      ps_slice_extract (data, elem, n, n, n, PS_SLICE_XY, 7, slice, threads);
      PsSliceRender rr = { .slice = slice, .width = n, .height = n, .dx = 1, .dy = 1,
                           .lo = 100, .hi = 60000 };
      double *t = g_new (double, reps);
      ps_slice_render (&rr, px, n, n, n, threads);
      for (int r = 0; r < reps; r++)
        {
          gint64 t0 = g_get_monotonic_time ();
          ps_slice_render (&rr, px, n, n, n, threads);
          t[r] = (g_get_monotonic_time () - t0) / 1000.0;
        }
      qsort (t, reps, sizeof *t, cmp_double);
      printf ("{\"impl\": \"porescope\", \"op\": \"render\", \"dtype\": \"%s\", \"size\": %zu, "
              "\"threads\": %d, \"median_ms\": %.3f, \"min_ms\": %.3f}\n",
              dtype, n, threads, t[reps / 2], t[0]);
      g_free (t);
      ps_aligned_free (px);
      ps_aligned_free (slice);
    }

  ps_aligned_free (data);
  ps_aligned_free (out);
  g_free (dtype);
  return 0;
}
