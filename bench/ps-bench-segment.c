/* SPDX-License-Identifier: GPL-3.0-or-later */
/* ps-bench-segment: times one segmentation kernel on a raw mask (or float
 * volume) file, for bench/segment-bench.py, which runs the scipy/skimage
 * peers on the same file and checks our output first.
 *
 *   ps-bench-segment KERNEL INPUT NX NY NZ [options]
 *     KERNEL: edt | label | watershed | thickness | gaussian | median
 *     INPUT:  uint8 mask (x fastest), or float32 volume for gaussian/median
 *     --spacing X,Y,Z   nm (default 1,1,1)
 *     --threads N       (default 2)
 *     --repeat R        timed runs after one warm-up (default 5)
 *     --connectivity C  label/watershed (default 26)
 *     --h NM            watershed marker extent (default 1 voxel)
 *     --sigma NM        gaussian sigma (default 1)
 *     --out FILE        write the last run's output (float32 or uint32)
 *     --baseline 1      only read the input and touch the buffers the kernel
 *                       would use (for the memory baseline), then exit
 *
 * Prints one line per run and a summary line "median S min S" in seconds;
 * watershed prints the EDT / seeds / flood split of the median run too.
 */
#include "config.h"

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ps-edt.h"
#include "ps-filter.h"
#include "ps-grid.h"
#include "ps-label.h"
#include "ps-memory.h"
#include "ps-seeds.h"
#include "ps-thickness.h"
#include "ps-watershed.h"

static double
now (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (double) ts.tv_sec + 1e-9 * (double) ts.tv_nsec;
}

static double
cpu_now (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_PROCESS_CPUTIME_ID, &ts);
  return (double) ts.tv_sec + 1e-9 * (double) ts.tv_nsec;
}

static int
cmp_double (const void *a, const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;
  return x < y ? -1 : x > y;
}

static void *
read_file (const char *path, size_t bytes)
{
  FILE *f = fopen (path, "rb");
  if (f == NULL)
    return NULL;
  void *buf = ps_aligned_alloc (bytes);
  if (buf != NULL && fread (buf, 1, bytes, f) != bytes)
    {
      ps_aligned_free (buf);
      buf = NULL;
    }
  fclose (f);
  return buf;
}

static void
die (const char *what, PsStatus st)
{
  fprintf (stderr, "ps-bench-segment: %s: %s\n", what, ps_status_to_string (st));
  exit (1);
}

int
main (int argc, char **argv)
{
  if (argc < 6)
    {
      fprintf (stderr, "usage: ps-bench-segment KERNEL INPUT NX NY NZ [options]\n");
      return 2;
    }
  const char *kernel = argv[1], *input = argv[2], *out_path = NULL;
  PsGrid grid = ps_grid_make (strtoull (argv[3], NULL, 10), strtoull (argv[4], NULL, 10),
                              strtoull (argv[5], NULL, 10), 1.0);
  int threads = 2, repeat = 5, connectivity = 26;
  double h = -1.0, sigma = 1.0;
  bool baseline = false;
  for (int i = 6; i + 1 < argc; i += 2)
    {
      if (strcmp (argv[i], "--spacing") == 0)
        sscanf (argv[i + 1], "%lf,%lf,%lf", &grid.spacing[0], &grid.spacing[1], &grid.spacing[2]);
      else if (strcmp (argv[i], "--threads") == 0)
        threads = atoi (argv[i + 1]);
      else if (strcmp (argv[i], "--repeat") == 0)
        repeat = atoi (argv[i + 1]);
      else if (strcmp (argv[i], "--connectivity") == 0)
        connectivity = atoi (argv[i + 1]);
      else if (strcmp (argv[i], "--h") == 0)
        h = atof (argv[i + 1]);
      else if (strcmp (argv[i], "--sigma") == 0)
        sigma = atof (argv[i + 1]);
      else if (strcmp (argv[i], "--out") == 0)
        out_path = argv[i + 1];
      else if (strcmp (argv[i], "--baseline") == 0)
        baseline = atoi (argv[i + 1]) != 0;
      else
        {
          fprintf (stderr, "ps-bench-segment: unknown option %s\n", argv[i]);
          return 2;
        }
    }
  if (ps_grid_validate (&grid) != PS_OK || repeat < 1)
    {
      fprintf (stderr, "ps-bench-segment: bad size\n");
      return 2;
    }
  const size_t n = ps_grid_n_voxels (&grid);
  const bool float_input = strcmp (kernel, "gaussian") == 0 || strcmp (kernel, "median") == 0;
  void *in = read_file (input, n * (float_input ? 4 : 1));
  if (in == NULL)
    {
      fprintf (stderr, "ps-bench-segment: cannot read %s\n", input);
      return 1;
    }
  /* Output (and for the watershed, the distance map) allocated once. */
  void *out = ps_aligned_alloc (n * 4);
  void *dist = strcmp (kernel, "watershed") == 0 || strcmp (kernel, "thickness") == 0
                 ? ps_aligned_alloc (n * 4) : NULL;
  PsVolume *vin = NULL, *vout = NULL;
  if (float_input)
    {
      vin = ps_volume_new_wrap (grid.nx, grid.ny, grid.nz, in, NULL, NULL);
      vout = ps_volume_new_wrap (grid.nx, grid.ny, grid.nz, out, NULL, NULL);
      ps_volume_set_spacing (vin, grid.spacing[0], grid.spacing[1], grid.spacing[2]);
      ps_volume_set_spacing (vout, grid.spacing[0], grid.spacing[1], grid.spacing[2]);
    }
  if (out == NULL || ((strcmp (kernel, "watershed") == 0 || strcmp (kernel, "thickness") == 0) && dist == NULL))
    {
      fprintf (stderr, "ps-bench-segment: out of memory\n");
      return 1;
    }
  if (baseline)
    {
      memset (out, 0, n * 4);
      if (dist != NULL)
        memset (dist, 0, n * 4);
      printf ("baseline\n");
      return 0;
    }
  PsEdtMetric metric = ps_edt_metric (&grid);
  if (h < 0)
    h = ps_hmaxima_default_h_nm (&grid);

  double *times = calloc ((size_t) repeat + 1, sizeof (double));
  double *cpus = calloc ((size_t) repeat + 1, sizeof (double));
  double split[3] = { 0 };
  double *splits = calloc (3 * ((size_t) repeat + 1), sizeof (double));
  uint32_t count = 0;
  size_t n_seeds = 0;
  for (int r = 0; r <= repeat; r++)
    {
      double t0 = now ();
      double c0 = cpu_now ();
      PsStatus st = PS_OK;
      if (strcmp (kernel, "edt") == 0)
        {
          PsEdtParams p;
          ps_edt_params_init (&p);
          p.n_threads = threads;
          st = ps_edt_run (&p, &grid, in, out, NULL);
        }
      else if (strcmp (kernel, "label") == 0)
        {
          PsLabelParams p;
          ps_label_params_init (&p);
          p.n_threads = threads;
          p.connectivity = connectivity;
          st = ps_label_run (&p, &grid, in, out, &count, NULL);
        }
      else if (strcmp (kernel, "watershed") == 0 || strcmp (kernel, "thickness") == 0)
        {
          /* The whole step as the pipeline runs it: exact squared EDT when
           * the metric allows it, else float distances. */
          PsEdtParams ep;
          ps_edt_params_init (&ep);
          ep.n_threads = threads;
          PsDistanceMap map = { NULL, NULL, metric };
          if (metric.integer)
            {
              st = ps_edt_run_squared (&ep, &grid, in, dist, NULL);
              map.dist2 = dist;
            }
          else
            {
              st = ps_edt_run (&ep, &grid, in, dist, NULL);
              map.dist_nm = dist;
            }
          if (st != PS_OK)
            die ("edt", st);
          double t1 = now ();
          if (strcmp (kernel, "thickness") == 0)
            {
              PsThicknessParams tp;
              ps_thickness_params_init (&tp);
              tp.n_threads = threads;
              st = ps_thickness_run (&tp, &grid, &map, out, NULL);
              splits[3 * r] = t1 - t0;
              splits[3 * r + 1] = now () - t1;
            }
          else
            {
              PsSeedList seeds;
              ps_seed_list_init (&seeds);
              PsHMaximaParams hp;
              ps_hmaxima_params_init (&hp);
              hp.h_nm = h;
              hp.connectivity = connectivity;
              hp.n_threads = threads;
              st = ps_seeds_hmaxima (&hp, &grid, &map, NULL, out, &seeds, NULL);
              if (st != PS_OK)
                die ("seeds", st);
              double t2 = now ();
              PsWatershedParams wp;
              ps_watershed_params_init (&wp);
              wp.connectivity = connectivity;
              wp.n_threads = threads;
              st = ps_watershed_run (&wp, &grid, &map, NULL, &seeds, out, &count, NULL);
              n_seeds = seeds.n;
              ps_seed_list_clear (&seeds);
              splits[3 * r] = t1 - t0;
              splits[3 * r + 1] = t2 - t1;
              splits[3 * r + 2] = now () - t2;
            }
        }
      else if (strcmp (kernel, "gaussian") == 0)
        {
          PsGaussianParams p;
          ps_gaussian_params_init (&p, sigma);
          p.n_threads = threads;
          st = ps_gaussian_run (&p, vin, vout, NULL);
        }
      else if (strcmp (kernel, "median") == 0)
        {
          PsMedianParams p;
          ps_median_params_init (&p);
          p.n_threads = threads;
          st = ps_median3_run (&p, vin, vout, NULL);
        }
      else
        {
          fprintf (stderr, "ps-bench-segment: unknown kernel %s\n", kernel);
          return 2;
        }
      if (st != PS_OK)
        die (kernel, st);
      times[r] = now () - t0;
      cpus[r] = cpu_now () - c0;
      printf ("run %d%s: %.4f s (CPU %.4f s)\n", r, r == 0 ? " (warm-up)" : "", times[r], cpus[r]);
    }
  /* Median of the timed runs (the warm-up is run 0). */
  double *sorted = calloc ((size_t) repeat, sizeof (double));
  memcpy (sorted, times + 1, (size_t) repeat * sizeof (double));
  qsort (sorted, (size_t) repeat, sizeof (double), cmp_double);
  double med = sorted[repeat / 2];
  double cpu_med = 0.0;
  for (int r = 1; r <= repeat; r++)
    if (times[r] == med)
      {
        memcpy (split, splits + 3 * r, sizeof split);
        cpu_med = cpus[r];
      }
  /* CPU time (all threads) of the median run: on a shared machine the
   * CPU-time ratio against the single-threaded peer is the steadier one. */
  printf ("median %.4f min %.4f cpu %.4f", med, sorted[0], cpu_med);
  if (strcmp (kernel, "watershed") == 0)
    printf (" edt %.4f seeds %.4f flood %.4f seeds_n %zu labels %u h %.17g", split[0], split[1],
            split[2], n_seeds, count, h);
  else if (strcmp (kernel, "thickness") == 0)
    printf (" edt %.4f paint %.4f", split[0], split[1]);
  else if (strcmp (kernel, "label") == 0)
    printf (" labels %u", count);
  printf ("\n");
  if (out_path != NULL)
    {
      FILE *f = fopen (out_path, "wb");
      if (f == NULL || fwrite (out, 4, n, f) != n || fclose (f) != 0)
        {
          fprintf (stderr, "ps-bench-segment: cannot write %s\n", out_path);
          return 1;
        }
    }
  free (sorted);
  free (times);
  free (cpus);
  free (splits);
  return 0;
}
