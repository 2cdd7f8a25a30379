/* SPDX-License-Identifier: GPL-3.0-or-later */
/* bench-measure: time per-object statistics (ps_measure_run) and the pore
 * network (ps_network_run) on a label volume of touching spheres, the
 * shape a watershed of a porous material gives.
 *
 *   bench-measure --size 512 --threads 2 --repeat 5 --outdir DIR
 *
 * writes DIR/labels.u32 and DIR/intensity.f32 (raw, x fastest) for the peer
 * script (bench/bench-measure.py), DIR/ours.csv (label, voxels, centroid in
 * voxel indices z,y,x, bbox) for its correctness gate, and prints one JSON
 * line of timings (median and min of --repeat runs after one warm-up).
 */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ps-measure.h"
#include "ps-memory.h"
#include "ps-network.h"

static double
now (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static double
cpu_now (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_PROCESS_CPUTIME_ID, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static uint64_t rng_state = 12345;
static double
uniform (void)
{
  uint64_t z = (rng_state += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return (double) ((z ^ (z >> 31)) >> 11) * (1.0 / 9007199254740992.0);
}

static int
cmp_double (const void *a, const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;
  return x < y ? -1 : x > y;
}

/* Spheres with log-normal radii (median 6 voxels) until ~40 % is covered;
 * a voxel in several spheres goes to the one whose surface is farthest
 * (max of r − |p − c|): the partition a distance-map watershed gives. */
static PsLabels *
make_labels (size_t n, float **intensity_out)
{
  PsStatus st;
  PsLabels *lab = ps_labels_new (n, n, n, &st);
  float *best = ps_aligned_alloc (n * n * n * sizeof (float));
  float *inten = ps_aligned_alloc (n * n * n * sizeof (float));
  if (lab == NULL || best == NULL || inten == NULL)
    {
      fprintf (stderr, "bench-measure: out of memory\n");
      exit (1);
    }
  for (size_t i = 0; i < n * n * n; i++)
    best[i] = 0.0f;
  double target = 0.4 * (double) n * n * n, covered = 0;
  uint32_t count = 0;
  while (covered < target)
    {
      double r = 6.0 * exp (0.35 * sqrt (-2 * log (uniform () + 1e-12)) * cos (2 * M_PI * uniform ()));
      if (r < 1.5)
        r = 1.5;
      double c[3] = { uniform () * n, uniform () * n, uniform () * n };
      uint32_t l = ++count;
      long lo[3], hi[3];
      for (int a = 0; a < 3; a++)
        {
          lo[a] = (long) floor (c[a] - r);
          hi[a] = (long) ceil (c[a] + r);
          if (lo[a] < 0) lo[a] = 0;
          if (hi[a] > (long) n - 1) hi[a] = (long) n - 1;
        }
      for (long z = lo[2]; z <= hi[2]; z++)
        for (long y = lo[1]; y <= hi[1]; y++)
          for (long x = lo[0]; x <= hi[0]; x++)
            {
              double dx = x + 0.5 - c[0], dy = y + 0.5 - c[1], dz = z + 0.5 - c[2];
              double depth = r - sqrt (dx * dx + dy * dy + dz * dz);
              size_t i = ((size_t) z * n + (size_t) y) * n + (size_t) x;
              if (depth >= 0 && (float) depth + 1e-6f > best[i])
                {
                  if (lab->data[i] == 0)
                    covered++;
                  best[i] = (float) depth + 1e-6f;
                  lab->data[i] = l;
                }
            }
    }
  lab->n_labels = count;
  /* Intensity: dark pores, bright carbon, some texture. */
  for (size_t i = 0; i < n * n * n; i++)
    inten[i] = (lab->data[i] ? 40.0f : 200.0f) + (float) (20.0 * uniform ());
  ps_aligned_free (best);
  *intensity_out = inten;
  return lab;
}

int
main (int argc, char **argv)
{
  size_t n = 256;
  int threads = 2, repeat = 5;
  const char *outdir = NULL;
  for (int i = 1; i < argc; i++)
    {
      if (strcmp (argv[i], "--size") == 0 && i + 1 < argc)
        n = (size_t) atol (argv[++i]);
      else if (strcmp (argv[i], "--threads") == 0 && i + 1 < argc)
        threads = atoi (argv[++i]);
      else if (strcmp (argv[i], "--repeat") == 0 && i + 1 < argc)
        repeat = atoi (argv[++i]);
      else if (strcmp (argv[i], "--outdir") == 0 && i + 1 < argc)
        outdir = argv[++i];
      else
        {
          fprintf (stderr, "usage: bench-measure [--size N] [--threads T] [--repeat R] [--outdir DIR]\n");
          return 2;
        }
    }
  if (repeat < 1 || repeat > 100)
    repeat = 5;

  float *inten;
  double t0 = now ();
  PsLabels *lab = make_labels (n, &inten);
  fprintf (stderr, "bench-measure: %zu³, %u labels, generated in %.1f s\n", n, lab->n_labels, now () - t0);

  PsMeasureParams mp = { .labels = lab, .intensity = inten, .n_threads = threads };
  PsNetworkParams np = { .labels = lab, .n_threads = threads };
  double tm[101], tn[101], cm[101];
  PsObjectTable *table = NULL;
  PsNetwork *net = NULL;
  for (int r = 0; r <= repeat; r++)
    {
      ps_object_table_free (table);
      ps_network_free (net);
      double ca = cpu_now ();
      double a = now ();
      if (ps_measure_run (&mp, &table, NULL) != PS_OK)
        return 1;
      double b = now ();
      double cb = cpu_now ();
      np.objects = table;
      if (ps_network_run (&np, &net, NULL) != PS_OK)
        return 1;
      double c = now ();
      if (r > 0)
        {
          tm[r - 1] = b - a;
          cm[r - 1] = cb - ca;
          tn[r - 1] = c - b;
        }
    }
  qsort (tm, (size_t) repeat, sizeof (double), cmp_double);
  qsort (tn, (size_t) repeat, sizeof (double), cmp_double);
  qsort (cm, (size_t) repeat, sizeof (double), cmp_double);

  if (outdir != NULL)
    {
      char path[4096];
      snprintf (path, sizeof path, "%s/labels.u32", outdir);
      FILE *f = fopen (path, "wb");
      if (f == NULL || fwrite (lab->data, 4, n * n * n, f) != n * n * n || fclose (f) != 0)
        return 1;
      snprintf (path, sizeof path, "%s/intensity.f32", outdir);
      f = fopen (path, "wb");
      if (f == NULL || fwrite (inten, 4, n * n * n, f) != n * n * n || fclose (f) != 0)
        return 1;
      snprintf (path, sizeof path, "%s/ours.csv", outdir);
      f = fopen (path, "w");
      if (f == NULL)
        return 1;
      for (size_t i = 0; i < table->n_objects; i++)
        {
          const PsObjectStats *o = &table->objects[i];
          if (o->voxels == 0)
            continue;
          /* centroid back in voxel indices (spacing 1, origin 0) */
          fprintf (f, "%u,%llu,%.10g,%.10g,%.10g,%u,%u,%u,%u,%u,%u,%.10g,%.6g\n", o->label,
                   (unsigned long long) o->voxels, o->centroid_nm[2] - 0.5, o->centroid_nm[1] - 0.5,
                   o->centroid_nm[0] - 0.5, o->bbox_lo[2], o->bbox_lo[1], o->bbox_lo[0], o->bbox_hi[2],
                   o->bbox_hi[1], o->bbox_hi[0], o->mean_intensity, o->surface_area_nm2);
        }
      if (fclose (f) != 0)
        return 1;
    }
  double nvox = (double) n * n * n;
  printf ("{\"size\": %zu, \"labels\": %u, \"threads\": %d, \"repeat\": %d, "
          "\"measure_median_s\": %.4f, \"measure_min_s\": %.4f, \"measure_cpu_s\": %.4f, \"measure_mvox_s\": %.1f, "
          "\"network_median_s\": %.4f, \"network_min_s\": %.4f, \"throats\": %zu}\n",
          n, lab->n_labels, threads, repeat, tm[repeat / 2], tm[0], cm[repeat / 2], nvox / tm[repeat / 2] / 1e6,
          tn[repeat / 2], tn[0], net->n_throats);
  ps_object_table_free (table);
  ps_network_free (net);
  ps_labels_unref (lab);
  ps_aligned_free (inten);
  return 0;
}
