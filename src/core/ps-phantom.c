/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The hard-carbon phantom and its HAADF tilt series; see ps-phantom.h. */
#include "ps-phantom.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ps-memory.h"
#include "ps-project.h"
#include "ps-recon-private.h"
#include "ps-size.h"

void
ps_phantom_params_init (PsPhantomParams *p)
{
  memset (p, 0, sizeof *p);
  p->size = 128;
  p->voxel_nm = 0.5;
  p->porosity = 0.39;
  p->pore_diameter_nm = 2.5;
  p->pore_diameter_sigma = 0.3;
  p->particle_fraction = 0.9;
  p->touching = 0.04;
  p->open_fraction = 0.15;
  p->texture = 0.06;
  p->texture_nm = 1.0;
  p->seed = 1;
}

void
ps_tilt_sim_params_init (PsTiltSimParams *p)
{
  memset (p, 0, sizeof *p);
  p->dose = PS_PHANTOM_DEFAULT_DOSE;
  p->haadf_length_nm = PS_PHANTOM_DEFAULT_HAADF_LENGTH_NM;
  p->seed = 1;
}

/* ---- random numbers (splitmix64: tiny, seedable, reproducible) ----------- */

static inline uint64_t
rng_next (uint64_t *s)
{
  uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

/* Uniform in [0, 1). */
static inline double
rng_uniform (uint64_t *s)
{
  return (double) (rng_next (s) >> 11) * (1.0 / 9007199254740992.0);
}

static double
rng_normal (uint64_t *s)
{
  /* Box–Muller; one value per call keeps the stream simple. */
  double u1 = rng_uniform (s), u2 = rng_uniform (s);
  if (u1 < 1e-300)
    u1 = 1e-300;
  return sqrt (-2.0 * log (u1)) * cos (2.0 * M_PI * u2);
}

double
ps_poisson_sample (uint64_t *state, double mean)
{
  if (!(mean > 0.0))
    return 0.0;
  if (mean < 10.0)
    {
      /* Knuth: multiply uniforms until the product drops below e^−mean. */
      double L = exp (-mean), p = 1.0;
      double k = 0.0;
      for (;;)
        {
          p *= rng_uniform (state);
          if (p <= L)
            return k;
          k += 1.0;
        }
    }
  /* Hörmann, "The transformed rejection method for generating Poisson
   * random variables", Insurance: Math. and Econ. 12:39 (1993), PTRS. */
  const double slam = sqrt (mean), loglam = log (mean);
  const double b = 0.931 + 2.53 * slam;
  const double a = -0.059 + 0.02483 * b;
  const double invalpha = 1.1239 + 1.1328 / (b - 3.4);
  const double vr = 0.9277 - 3.6224 / (b - 2.0);
  for (;;)
    {
      double U = rng_uniform (state) - 0.5;
      double V = rng_uniform (state);
      double us = 0.5 - fabs (U);
      double k = floor ((2.0 * a / us + b) * U + mean + 0.43);
      if (us >= 0.07 && V <= vr)
        return k;
      if (k < 0.0 || (us < 0.013 && V > us))
        continue;
      if (log (V) + log (invalpha) - log (a / (us * us) + b) <= -mean + k * loglam - lgamma (k + 1.0))
        return k;
    }
}

/* ---- validation ------------------------------------------------------------ */

PsStatus
ps_phantom_validate (const PsPhantomParams *p, char *why, size_t why_len)
{
  size_t bytes;
  if (p == NULL)
    {
      ps_set_why (why, why_len, "no parameters");
      return PS_ERROR_INVALID_PARAMETER;
    }
  if (p->size < 8 || p->size > 4096)
    {
      ps_set_why (why, why_len, "the size must lie in 8…4096 voxels, not %zu", p->size);
      return PS_ERROR_INVALID_PARAMETER;
    }
  if (!(p->voxel_nm > 0.0 && p->voxel_nm < 1e6))
    {
      ps_set_why (why, why_len, "the voxel size must be a positive number of nm");
      return PS_ERROR_INVALID_PARAMETER;
    }
  if (!(p->porosity >= 0.0 && p->porosity <= 0.9))
    {
      ps_set_why (why, why_len, "the porosity must lie in 0…0.9, not %g",
                  p->porosity);
      return PS_ERROR_INVALID_PARAMETER;
    }
  if (!(p->pore_diameter_nm > 0.0) || p->pore_diameter_nm / p->voxel_nm < 1.0)
    {
      ps_set_why (why, why_len, "the mean pore diameter (%g nm) must be at least one voxel (%g nm)",
                  p->pore_diameter_nm, p->voxel_nm);
      return PS_ERROR_INVALID_PARAMETER;
    }
  if (p->pore_diameter_nm / p->voxel_nm > 0.25 * (double) p->size * p->particle_fraction)
    {
      ps_set_why (why, why_len, "pores of %g nm are too large for a %zu-voxel box of %g nm voxels",
                  p->pore_diameter_nm, p->size, p->voxel_nm);
      return PS_ERROR_INVALID_PARAMETER;
    }
  if (!(p->pore_diameter_sigma >= 0.0 && p->pore_diameter_sigma <= 1.0) ||
      !(p->particle_fraction > 0.1 && p->particle_fraction <= 1.0) ||
      !(p->touching >= 0.0 && p->touching <= 1.0) ||
      !(p->open_fraction >= 0.0 && p->open_fraction <= 1.0) ||
      !(p->texture >= 0.0 && p->texture <= 0.5) ||
      !(p->texture_nm >= 0.0 && p->texture_nm < 1e6))
    {
      ps_set_why (why, why_len, "a phantom parameter is out of range");
      return PS_ERROR_INVALID_PARAMETER;
    }
  /* volume, labels, three float fields and the quantile scratch */
  if (!ps_size_voxels_bytes (p->size, p->size, p->size, 24, &bytes) || ps_memory_check (bytes) != PS_OK)
    {
      ps_set_why (why, why_len, "a %zu³ phantom does not fit in the memory available", p->size);
      return PS_ERROR_TOO_LARGE;
    }
  return PS_OK;
}

/* ---- foam seeds ------------------------------------------------------------ */

typedef struct
{
  double x, y, z, r;   /* voxel units; r is the power-diagram weight radius */
} Seed;

typedef struct
{
  size_t n, cap;
  uint32_t *items;
} IdList;

typedef struct
{
  double cell;
  size_t nc;           /* cells per axis */
  IdList *cells;
} Grid;

static bool
idlist_push (IdList *l, uint32_t v)
{
  if (l->n == l->cap)
    {
      size_t cap = l->cap ? 2 * l->cap : 8;
      uint32_t *items = realloc (l->items, cap * sizeof *items);
      if (items == NULL)
        return false;
      l->items = items;
      l->cap = cap;
    }
  l->items[l->n++] = v;
  return true;
}

static void
grid_clear (Grid *g)
{
  if (g->cells != NULL)
    for (size_t i = 0; i < g->nc * g->nc * g->nc; i++)
      free (g->cells[i].items);
  free (g->cells);
  memset (g, 0, sizeof *g);
}

static inline size_t
grid_coord (const Grid *g, double v)
{
  double c = floor (v / g->cell);
  if (c < 0)
    return 0;
  if (c >= (double) g->nc)
    return g->nc - 1;
  return (size_t) c;
}

static bool
grid_init (Grid *g, double cell, size_t n)
{
  g->cell = cell;
  g->nc = (size_t) ceil ((double) n / cell);
  if (g->nc < 1)
    g->nc = 1;
  g->cells = calloc (g->nc * g->nc * g->nc, sizeof (IdList));
  return g->cells != NULL;
}

/* No placed seed's sphere overlaps a sphere at (x, y, z) of radius r. */
static bool
grid_fits (const Grid *g, const Seed *seeds, double x, double y, double z, double r)
{
  size_t cx = grid_coord (g, x), cy = grid_coord (g, y), cz = grid_coord (g, z);
  for (size_t k = cz > 0 ? cz - 1 : 0; k <= cz + 1 && k < g->nc; k++)
    for (size_t j = cy > 0 ? cy - 1 : 0; j <= cy + 1 && j < g->nc; j++)
      for (size_t i = cx > 0 ? cx - 1 : 0; i <= cx + 1 && i < g->nc; i++)
        {
          const IdList *l = &g->cells[(k * g->nc + j) * g->nc + i];
          for (size_t m = 0; m < l->n; m++)
            {
              const Seed *s = &seeds[l->items[m]];
              double dx = s->x - x, dy = s->y - y, dz = s->z - z;
              double min = s->r + r;
              if (dx * dx + dy * dy + dz * dz < min * min)
                return false;
            }
        }
  return true;
}

static int
cmp_desc (const void *a, const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;
  return (x < y) - (x > y);
}

static int
cmp_double (const void *a, const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;
  return (x > y) - (x < y);
}

static int
cmp_u64 (const void *a, const void *b)
{
  uint64_t x = *(const uint64_t *) a, y = *(const uint64_t *) b;
  return (x > y) - (x < y);
}

/* Log-normal radius with the requested mean (μ = ln(mean) − σ²/2),
 * truncated to [0.5, 2] × mean by redrawing. */
static double
draw_radius (uint64_t *rng, double mean, double sigma)
{
  double mu = log (mean) - 0.5 * sigma * sigma;
  for (int tries = 0; tries < 1000; tries++)
    {
      double r = exp (mu + sigma * rng_normal (rng));
      if (r >= 0.5 * mean && r <= 2.0 * mean)
        return r;
    }
  return mean;
}

/* Seeds for the foam: radii with the given mean, enough that their spheres
 * fill 35 % of the particle, placed largest first without overlap (random
 * sequential addition) with centres inside the particle. */
static PsStatus
place_seeds (uint64_t seed, double mean_r, double sigma, double c, double R, size_t n,
             Seed **out, size_t *n_out, Grid *grid)
{
  uint64_t rng = seed;
  const double fill = 0.35, target = fill * 4.0 / 3.0 * M_PI * R * R * R;
  size_t cap = 1024, m = 0, placed = 0;
  double sum = 0.0;
  double *radii = malloc (cap * sizeof (double));
  Seed *seeds = NULL;

  if (radii == NULL)
    return PS_ERROR_NO_MEMORY;
  while (sum < target)
    {
      if (m == cap)
        {
          double *r = realloc (radii, 2 * cap * sizeof (double));
          if (r == NULL)
            {
              free (radii);
              return PS_ERROR_NO_MEMORY;
            }
          radii = r;
          cap *= 2;
        }
      double r = draw_radius (&rng, mean_r, sigma);
      radii[m++] = r;
      sum += 4.0 / 3.0 * M_PI * r * r * r;
    }
  qsort (radii, m, sizeof (double), cmp_desc);
  seeds = malloc (m * sizeof (Seed));
  if (seeds == NULL || !grid_init (grid, fmax (2.0, 3.5 * mean_r), n))
    {
      free (radii);
      free (seeds);
      return PS_ERROR_NO_MEMORY;
    }
  for (size_t i = 0; i < m; i++)
    {
      const double r = radii[i];
      for (int a = 0; a < 200; a++)
        {
          double x, y, z;
          do
            {
              x = (2.0 * rng_uniform (&rng) - 1.0) * R;
              y = (2.0 * rng_uniform (&rng) - 1.0) * R;
              z = (2.0 * rng_uniform (&rng) - 1.0) * R;
            }
          while (x * x + y * y + z * z > R * R);
          x += c;
          y += c;
          z += c;
          if (!grid_fits (grid, seeds, x, y, z, r))
            continue;
          seeds[placed] = (Seed) { x, y, z, r };
          IdList *cell = &grid->cells[(grid_coord (grid, z) * grid->nc + grid_coord (grid, y)) * grid->nc +
                                      grid_coord (grid, x)];
          if (!idlist_push (cell, (uint32_t) placed))
            {
              free (radii);
              free (seeds);
              return PS_ERROR_NO_MEMORY;
            }
          placed++;
          break;
        }
    }
  free (radii);
  *out = seeds;
  *n_out = placed;
  return PS_OK;
}

static inline uint64_t
mix64 (uint64_t z)
{
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

/* A reproducible coin with probability @p for a pair of seeds (or one). */
static inline bool
pair_coin (uint64_t seed, uint32_t a, uint32_t b, double p)
{
  uint32_t lo = a < b ? a : b, hi = a < b ? b : a;
  uint64_t h = mix64 (seed ^ mix64 (((uint64_t) lo << 32) | hi));
  return (double) (h >> 11) * (1.0 / 9007199254740992.0) < p;
}

/* For every voxel: the seed owning it (power distance |p − c|² − r²) and the
 * distance to its cell's walls (the power bisectors with all nearby seeds,
 * except inside a neck joining a "touching" pair; plus the particle surface
 * unless the cell is one opened to the outside), with roughness added.
 * Voxels are visited grid cell by grid cell, so the candidate seeds (those
 * in the 27 surrounding cells) are gathered once per cell into flat arrays
 * and the per-voxel loops vectorise. */
#define MAX_CAND 2048

static void
foam_distances (const Seed *seeds, const Grid *grid, size_t n, double c, double R,
                const float *rough, float rough_amp, uint64_t coin_seed, double touching,
                double open_fraction, uint32_t *owner, float *dist, int n_threads)
{
  const size_t nc = grid->nc;
  const size_t cell = (size_t) ceil (grid->cell);

#pragma omp parallel num_threads(n_threads)
  {
    double *cx = malloc (MAX_CAND * sizeof (double)), *cy = malloc (MAX_CAND * sizeof (double));
    double *cz = malloc (MAX_CAND * sizeof (double)), *cr2 = malloc (MAX_CAND * sizeof (double));
    double *pw = malloc (MAX_CAND * sizeof (double)), *wd = malloc (MAX_CAND * sizeof (double));
    uint32_t *ids = malloc (MAX_CAND * sizeof (uint32_t));
    bool ok = cx && cy && cz && cr2 && pw && wd && ids;

#pragma omp for schedule(dynamic, 1) collapse(2)
    for (size_t gz = 0; gz < nc; gz++)
      for (size_t gy = 0; gy < nc; gy++)
        for (size_t gx = 0; gx < nc && ok; gx++)
          {
            size_t m = 0;
            for (size_t k = gz > 0 ? gz - 1 : 0; k <= gz + 1 && k < nc; k++)
              for (size_t j = gy > 0 ? gy - 1 : 0; j <= gy + 1 && j < nc; j++)
                for (size_t i = gx > 0 ? gx - 1 : 0; i <= gx + 1 && i < nc; i++)
                  {
                    const IdList *l = &grid->cells[(k * nc + j) * nc + i];
                    for (size_t q = 0; q < l->n && m < MAX_CAND; q++)
                      {
                        const Seed *sd = &seeds[l->items[q]];
                        ids[m] = l->items[q];
                        cx[m] = sd->x;
                        cy[m] = sd->y;
                        cz[m] = sd->z;
                        cr2[m] = sd->r * sd->r;
                        m++;
                      }
                  }
            /* The voxels whose grid cell is (gx, gy, gz). */
            size_t x0 = (size_t) ceil ((double) gx * grid->cell), x1 = (size_t) ceil ((double) (gx + 1) * grid->cell);
            size_t y0 = (size_t) ceil ((double) gy * grid->cell), y1 = (size_t) ceil ((double) (gy + 1) * grid->cell);
            size_t z0 = (size_t) ceil ((double) gz * grid->cell), z1 = (size_t) ceil ((double) (gz + 1) * grid->cell);
            if (gx == nc - 1) x1 = n;
            if (gy == nc - 1) y1 = n;
            if (gz == nc - 1) z1 = n;
            if (x1 > n) x1 = n;
            if (y1 > n) y1 = n;
            if (z1 > n) z1 = n;
            (void) cell;
            for (size_t z = z0; z < z1; z++)
              for (size_t y = y0; y < y1; y++)
                for (size_t x = x0; x < x1; x++)
                  {
                    const size_t v = (z * n + y) * n + x;
                    const double px = (double) x, py = (double) y, pz = (double) z;
                    const double rp = sqrt ((px - c) * (px - c) + (py - c) * (py - c) + (pz - c) * (pz - c));
                    if (rp > R + 1.0 || m == 0)
                      {
                        owner[v] = UINT32_MAX;
                        dist[v] = -1e30f;
                        continue;
                      }
                    for (size_t q = 0; q < m; q++)
                      {
                        double dx = px - cx[q], dy = py - cy[q], dz = pz - cz[q];
                        pw[q] = dx * dx + dy * dy + dz * dz - cr2[q];
                      }
                    size_t b = 0;
                    for (size_t q = 1; q < m; q++)
                      if (pw[q] < pw[b] || (pw[q] == pw[b] && ids[q] < ids[b]))
                        b = q;
                    const double bx = cx[b], by = cy[b], bz = cz[b], pb = pw[b];
                    for (size_t q = 0; q < m; q++)
                      {
                        double ex = cx[q] - bx, ey = cy[q] - by, ez = cz[q] - bz;
                        double d2 = ex * ex + ey * ey + ez * ez;
                        wd[q] = d2 > 0 ? (pw[q] - pb) / (2.0 * sqrt (d2)) : INFINITY;
                      }
                    /* The nearest wall, skipping walls with a neck at this
                     * voxel. */
                    double wall;
                    for (;;)
                      {
                        size_t w = 0;
                        for (size_t q = 1; q < m; q++)
                          if (wd[q] < wd[w])
                            w = q;
                        wall = wd[w];
                        if (!isfinite (wall) || touching <= 0 || !pair_coin (coin_seed, ids[b], ids[w], touching))
                          break;
                        double ex = cx[w] - bx, ey = cy[w] - by, ez = cz[w] - bz;
                        double dij = sqrt (ex * ex + ey * ey + ez * ez);
                        double qx = px - bx, qy = py - by, qz = pz - bz;
                        double along = (qx * ex + qy * ey + qz * ez) / dij;
                        double perp2 = qx * qx + qy * qy + qz * qz - along * along;
                        double neck = fmax (1.0, 0.35 * fmin (sqrt (cr2[b]), sqrt (cr2[w])));
                        if (perp2 >= neck * neck)
                          break;
                        wd[w] = INFINITY;
                      }
                    bool open = open_fraction > 0 && pair_coin (coin_seed ^ 0x5EEDull, ids[b], ids[b], open_fraction);
                    /* The particle's skin is a whole wall thick (as if a
                     * mirror cell lay outside), unless this cell is open. */
                    if (!open && 0.5 * (R - rp) < wall)
                      wall = 0.5 * (R - rp);
                    owner[v] = ids[b];
                    dist[v] = (float) wall + rough_amp * rough[v];
                  }
          }
    free (cx);
    free (cy);
    free (cz);
    free (cr2);
    free (pw);
    free (wd);
    free (ids);
  }
}

/* The k-th smallest of a[0 … n) (0-based); reorders a. Hoare selection with
 * a median-of-three pivot: deterministic. */
static float
select_kth (float *a, size_t n, size_t k)
{
  size_t lo = 0, hi = n - 1;
  while (hi > lo)
    {
      size_t mid = lo + (hi - lo) / 2;
      float x = a[lo], y = a[mid], z = a[hi];
      float pivot = (x < y) ? ((y < z) ? y : (x < z ? z : x)) : ((x < z) ? x : (y < z ? z : y));
      size_t i = lo, j = hi;
      while (i <= j)
        {
          while (a[i] < pivot)
            i++;
          while (a[j] > pivot)
            j--;
          if (i <= j)
            {
              float t = a[i];
              a[i] = a[j];
              a[j] = t;
              i++;
              if (j == 0)
                break;
              j--;
            }
        }
      if (k <= j)
        hi = j;
      else if (k >= i)
        lo = i;
      else
        return a[k];
    }
  return a[k];
}

/* ---- texture ----------------------------------------------------------------- */

static inline float
hash_uniform (uint64_t seed, size_t i)
{
  uint64_t s = seed ^ ((uint64_t) i * 0xD1B54A32D192ED03ull);
  return (float) ((double) (rng_next (&s) >> 11) * (1.0 / 9007199254740992.0) - 0.5);
}

/* Two passes of a centred box blur of half-width h along one axis, edges
 * replicated: an approximately Gaussian low-pass. */
static void
box_blur_line (float *line, float *tmp, size_t n, size_t h)
{
  for (int pass = 0; pass < 2; pass++)
    {
      double acc = 0.0;
      const double norm = 1.0 / (double) (2 * h + 1);
      for (long k = -(long) h; k <= (long) h; k++)
        acc += line[k < 0 ? 0 : (k >= (long) n ? n - 1 : (size_t) k)];
      for (size_t i = 0; i < n; i++)
        {
          tmp[i] = (float) (acc * norm);
          long add = (long) i + (long) h + 1, sub = (long) i - (long) h;
          acc += line[add >= (long) n ? n - 1 : (size_t) add];
          acc -= line[sub < 0 ? 0 : (size_t) sub];
        }
      memcpy (line, tmp, n * sizeof (float));
    }
}

static void
make_texture (float *tex, size_t n, size_t h, uint64_t seed, int n_threads)
{
  const size_t plane = n * n;
#pragma omp parallel for num_threads(n_threads) schedule(static)
  for (size_t z = 0; z < n; z++)
    for (size_t i = z * plane; i < (z + 1) * plane; i++)
      tex[i] = hash_uniform (seed, i);
  if (h == 0)
    return;
  /* x, then y, then z; each line independent. */
#pragma omp parallel num_threads(n_threads)
  {
    float *line = malloc (n * sizeof (float)), *tmp = malloc (n * sizeof (float));
    if (line != NULL && tmp != NULL)
      {
#pragma omp for schedule(static)
        for (size_t r = 0; r < plane; r++)
          box_blur_line (tex + r * n, tmp, n, h);
#pragma omp for schedule(static)
        for (size_t zx = 0; zx < plane; zx++)
          {
            size_t z = zx / n, x = zx % n;
            for (size_t y = 0; y < n; y++)
              line[y] = tex[(z * n + y) * n + x];
            box_blur_line (line, tmp, n, h);
            for (size_t y = 0; y < n; y++)
              tex[(z * n + y) * n + x] = line[y];
          }
#pragma omp for schedule(static)
        for (size_t yx = 0; yx < plane; yx++)
          {
            for (size_t z = 0; z < n; z++)
              line[z] = tex[z * plane + yx];
            box_blur_line (line, tmp, n, h);
            for (size_t z = 0; z < n; z++)
              tex[z * plane + yx] = line[z];
          }
      }
    free (line);
    free (tmp);
  }
}

/* ---- open pores, touching pairs, statistics -------------------------------- */

/* Mark pores connected to the exterior through pore voxels (6-connected):
 * breadth-first from every pore voxel that touches the exterior or a face. */
static bool
find_open (const uint32_t *label, size_t n, double c, double R, uint8_t *open_label, size_t n_labels)
{
  const size_t total = n * n * n;
  uint8_t *seen = calloc (total, 1);
  size_t cap = 1 << 16, head = 0, tail = 0;
  size_t *queue = malloc (cap * sizeof (size_t));
  if (seen == NULL || queue == NULL)
    {
      free (seen);
      free (queue);
      return false;
    }
  (void) n_labels;
#define EXTERIOR(x, y, z) \
  ((((double) (x) - c) * ((double) (x) - c) + ((double) (y) - c) * ((double) (y) - c) + \
    ((double) (z) - c) * ((double) (z) - c)) > R * R)
  for (size_t z = 0; z < n; z++)
    for (size_t y = 0; y < n; y++)
      for (size_t x = 0; x < n; x++)
        {
          size_t v = (z * n + y) * n + x;
          if (label[v] == 0)
            continue;
          bool seed = x == 0 || y == 0 || z == 0 || x == n - 1 || y == n - 1 || z == n - 1;
          if (!seed)
            seed = (EXTERIOR (x - 1, y, z) && label[v - 1] == 0) || (EXTERIOR (x + 1, y, z) && label[v + 1] == 0) ||
                   (EXTERIOR (x, y - 1, z) && label[v - n] == 0) || (EXTERIOR (x, y + 1, z) && label[v + n] == 0) ||
                   (EXTERIOR (x, y, z - 1) && label[v - n * n] == 0) ||
                   (EXTERIOR (x, y, z + 1) && label[v + n * n] == 0);
          if (!seed)
            continue;
          if (tail == cap)
            {
              size_t *q = realloc (queue, 2 * cap * sizeof (size_t));
              if (q == NULL)
                goto fail;
              queue = q;
              cap *= 2;
            }
          seen[v] = 1;
          queue[tail++] = v;
        }
#undef EXTERIOR
  while (head < tail)
    {
      size_t v = queue[head++];
      open_label[label[v] - 1] = 1;
      size_t x = v % n, y = (v / n) % n, z = v / (n * n);
      size_t nb[6];
      int k = 0;
      if (x > 0) nb[k++] = v - 1;
      if (x < n - 1) nb[k++] = v + 1;
      if (y > 0) nb[k++] = v - n;
      if (y < n - 1) nb[k++] = v + n;
      if (z > 0) nb[k++] = v - n * n;
      if (z < n - 1) nb[k++] = v + n * n;
      for (int m = 0; m < k; m++)
        if (label[nb[m]] != 0 && !seen[nb[m]])
          {
            if (tail == cap)
              {
                /* Compact the consumed head before growing. */
                memmove (queue, queue + head, (tail - head) * sizeof (size_t));
                tail -= head;
                head = 0;
                if (tail == cap)
                  {
                    size_t *q = realloc (queue, 2 * cap * sizeof (size_t));
                    if (q == NULL)
                      goto fail;
                    queue = q;
                    cap *= 2;
                  }
              }
            seen[nb[m]] = 1;
            queue[tail++] = nb[m];
          }
    }
  free (seen);
  free (queue);
  return true;
fail:
  free (seen);
  free (queue);
  return false;
}

static void
normalise_field (float *f, size_t total, int n_threads)
{
  /* Sequential sums: the result does not depend on the thread count. */
  double s = 0, s2 = 0;
  for (size_t i = 0; i < total; i++)
    {
      s += f[i];
      s2 += (double) f[i] * f[i];
    }
  double mean = s / (double) total, sd = sqrt (fmax (0.0, s2 / (double) total - mean * mean));
  float m = (float) mean, k = sd > 0 ? (float) (1.0 / sd) : 0.0f;
#pragma omp parallel for num_threads(n_threads) schedule(static)
  for (size_t i = 0; i < total; i++)
    f[i] = (f[i] - m) * k;
}

PsStatus
ps_phantom_generate (const PsPhantomParams *params, PsVolume **volume, PsLabels **pores,
                     PsPhantomTruth *truth, const PsProgress *progress, char *why, size_t why_len)
{
  PsStatus st;
  Grid grid = { 0 };
  Seed *seeds = NULL;
  size_t n_seeds = 0;
  PsVolume *vol = NULL;
  PsLabels *lab = NULL;
  float *tex = NULL, *rough = NULL, *dist = NULL, *tmp = NULL;
  uint32_t *remap = NULL;
  size_t *count = NULL;
  uint8_t *open_pore = NULL;
  uint64_t *pairs = NULL;
  PsPhantomTruth t = { 0 };
  float thr = 0.0f;

  if (volume) *volume = NULL;
  if (pores) *pores = NULL;
  if ((st = ps_phantom_validate (params, why, why_len)) != PS_OK)
    return st;
  const size_t n = params->size, total = n * n * n;
  const double vox = params->voxel_nm;
  const int n_threads = ps_recon_threads (params->n_threads);
  const double c = 0.5 * (double) (n - 1);
  const double R = 0.5 * params->particle_fraction * (double) n - 0.5;
  const double D = params->pore_diameter_nm / vox;   /* wanted mean eq. diameter, voxels */

  vol = ps_volume_new (n, n, n, &st);
  if (vol == NULL)
    goto out;
  lab = ps_labels_new (n, n, n, &st);
  if (lab == NULL)
    goto out;
  tex = ps_aligned_alloc (total * sizeof (float));
  rough = ps_aligned_alloc (total * sizeof (float));
  dist = ps_aligned_alloc (total * sizeof (float));
  if (tex == NULL || rough == NULL || dist == NULL)
    {
      st = PS_ERROR_NO_MEMORY;
      goto out;
    }

  size_t particle = 0;
#pragma omp parallel for num_threads(n_threads) reduction(+ : particle) schedule(static)
  for (size_t z = 0; z < n; z++)
    for (size_t y = 0; y < n; y++)
      for (size_t x = 0; x < n; x++)
        {
          double dx = (double) x - c, dy = (double) y - c, dz = (double) z - c;
          if (dx * dx + dy * dy + dz * dz <= R * R)
            particle++;
        }
  const size_t pore_target = (size_t) llround (params->porosity * (double) particle);
  tmp = malloc ((particle ? particle : 1) * sizeof (float));
  if (tmp == NULL)
    {
      st = PS_ERROR_NO_MEMORY;
      goto out;
    }

  ps_progress_report (progress, 0.0, "texture");
  {
    size_t h = (size_t) llround (0.5 * params->texture_nm / vox);
    make_texture (tex, n, h, params->seed ^ 0xA5A5A5A5DEADBEEFull, n_threads);
    normalise_field (tex, total, n_threads);
    make_texture (rough, n, h > 0 ? h : 1, params->seed ^ 0x1234567887654321ull, n_threads);
    normalise_field (rough, total, n_threads);
  }
  if (ps_progress_cancelled (progress))
    {
      st = PS_ERROR_CANCELLED;
      goto out;
    }

  /* Calibrate the seed radius so the mean pore equivalent diameter comes
   * out as requested: a first guess from the geometry of a 35 % seed
   * packing, then rescale by wanted/measured (the relation is nearly
   * linear) at most twice. */
  double mean_r = 0.48 * D;
  const uint64_t seed_rng = params->seed * 0x9E3779B97F4A7C15ull + 12345u;
  for (int pass = 0; pass < 3; pass++)
    {
      ps_progress_report (progress, 0.1 + 0.2 * pass, "growing pores");
      free (seeds);
      seeds = NULL;
      grid_clear (&grid);
      if ((st = place_seeds (seed_rng, mean_r, params->pore_diameter_sigma, c, R, n, &seeds, &n_seeds, &grid)) != PS_OK)
        goto out;
      foam_distances (seeds, &grid, n, c, R, rough, 0.15f, params->seed ^ 0xC0FFEEull, params->touching,
                      params->open_fraction, lab->data, dist, n_threads);
      if (ps_progress_cancelled (progress))
        {
          st = PS_ERROR_CANCELLED;
          goto out;
        }
      /* Threshold: the pore_target largest wall distances of particle
       * voxels are pore. */
      size_t k = 0;
      for (size_t z = 0; z < n; z++)
        for (size_t y = 0; y < n; y++)
          for (size_t x = 0; x < n; x++)
            {
              double dx = (double) x - c, dy = (double) y - c, dz = (double) z - c;
              if (dx * dx + dy * dy + dz * dz <= R * R)
                tmp[k++] = dist[(z * n + y) * n + x];
            }
      if (pore_target == 0)
        thr = INFINITY;
      else if (pore_target >= particle)
        thr = -INFINITY;
      else
        thr = select_kth (tmp, particle, particle - pore_target - 1);

      /* Mean equivalent diameter of the pores this gives. */
      free (count);
      count = calloc (n_seeds + 1, sizeof (size_t));
      if (count == NULL)
        {
          st = PS_ERROR_NO_MEMORY;
          goto out;
        }
      for (size_t z = 0; z < n; z++)
        for (size_t y = 0; y < n; y++)
          for (size_t x = 0; x < n; x++)
            {
              size_t v = (z * n + y) * n + x;
              double dx = (double) x - c, dy = (double) y - c, dz = (double) z - c;
              if (dx * dx + dy * dy + dz * dz <= R * R && dist[v] > thr && lab->data[v] != UINT32_MAX)
                count[lab->data[v]]++;
            }
      double sum = 0.0;
      size_t m = 0;
      for (size_t i = 0; i < n_seeds; i++)
        if (count[i] > 0)
          {
            sum += cbrt (6.0 * (double) count[i] / M_PI);
            m++;
          }
      double measured = m ? sum / (double) m : D;
      t.calibration_passes = pass + 1;
      if (pass == 2 || fabs (measured / D - 1.0) < 0.02 || pore_target == 0)
        break;
      mean_r *= D / measured;
    }
  ps_progress_report (progress, 0.75, "voxel values");

  /* Labels (seed + 1 for pore voxels, for now) and voxel values: particle
   * partial volume × (1 − pore coverage) × (1 + texture). */
  {
    const float ftex = (float) params->texture;
    const float fthr = thr;
#pragma omp parallel for num_threads(n_threads) schedule(static)
    for (size_t z = 0; z < n; z++)
      for (size_t y = 0; y < n; y++)
        for (size_t x = 0; x < n; x++)
          {
            size_t v = (z * n + y) * n + x;
            double dx = (double) x - c, dy = (double) y - c, dz = (double) z - c;
            double rp = sqrt (dx * dx + dy * dy + dz * dz);
            float pc = (float) fmin (1.0, fmax (0.0, R - rp + 0.5));
            float cov = 0.0f;
            if (lab->data[v] != UINT32_MAX && isfinite (fthr))
              cov = fminf (1.0f, fmaxf (0.0f, dist[v] - fthr + 0.5f));
            else if (fthr == -INFINITY && lab->data[v] != UINT32_MAX)
              cov = 1.0f;
            bool pore = rp <= R && lab->data[v] != UINT32_MAX && dist[v] > fthr;
            lab->data[v] = pore ? lab->data[v] + 1 : 0;
            float value = pc * (1.0f - cov) * (1.0f + ftex * tex[v]);
            vol->data[v] = value > 0.0f ? value : 0.0f;
          }
  }
  ps_aligned_free (tex);
  ps_aligned_free (rough);
  ps_aligned_free (dist);
  tex = rough = dist = NULL;
  ps_progress_report (progress, 0.85, "statistics");

  /* Relabel the seeds that own pore voxels to 1…pore_count in seed order. */
  free (count);
  count = calloc (n_seeds + 1, sizeof (size_t));
  remap = calloc (n_seeds + 1, sizeof (uint32_t));
  if (count == NULL || remap == NULL)
    {
      st = PS_ERROR_NO_MEMORY;
      goto out;
    }
  for (size_t v = 0; v < total; v++)
    if (lab->data[v])
      count[lab->data[v]]++;
  uint32_t n_pores = 0;
  for (size_t s2 = 1; s2 <= n_seeds; s2++)
    if (count[s2] > 0)
      {
        count[n_pores + 1] = count[s2];
        remap[s2] = ++n_pores;
      }
  for (size_t v = 0; v < total; v++)
    if (lab->data[v])
      lab->data[v] = remap[lab->data[v]];
  lab->n_labels = n_pores;

  open_pore = calloc ((size_t) n_pores + 1, 1);
  if (open_pore == NULL || !find_open (lab->data, n, c, R, open_pore, n_pores))
    {
      st = PS_ERROR_NO_MEMORY;
      goto out;
    }

  /* Touching pairs: distinct labels in face-adjacent voxels. */
  {
    size_t n_pairs = 0, cap = 1024;
    pairs = malloc (cap * sizeof (uint64_t));
    if (pairs == NULL)
      {
        st = PS_ERROR_NO_MEMORY;
        goto out;
      }
    const size_t step[3] = { 1, n, n * n };
    for (size_t z = 0; z < n; z++)
      for (size_t y = 0; y < n; y++)
        for (size_t x = 0; x < n; x++)
          {
            size_t v = (z * n + y) * n + x;
            uint32_t a = lab->data[v];
            if (a == 0)
              continue;
            const bool ok[3] = { x + 1 < n, y + 1 < n, z + 1 < n };
            for (int k = 0; k < 3; k++)
              {
                if (!ok[k])
                  continue;
                uint32_t c2 = lab->data[v + step[k]];
                if (c2 == 0 || c2 == a)
                  continue;
                uint64_t key = a < c2 ? ((uint64_t) a << 32) | c2 : ((uint64_t) c2 << 32) | a;
                if (n_pairs == cap)
                  {
                    qsort (pairs, n_pairs, sizeof (uint64_t), cmp_u64);
                    size_t u = 0;
                    for (size_t i = 0; i < n_pairs; i++)
                      if (u == 0 || pairs[i] != pairs[u - 1])
                        pairs[u++] = pairs[i];
                    n_pairs = u;
                    if (n_pairs > cap / 2)
                      {
                        uint64_t *p = realloc (pairs, 2 * cap * sizeof (uint64_t));
                        if (p == NULL)
                          {
                            st = PS_ERROR_NO_MEMORY;
                            goto out;
                          }
                        pairs = p;
                        cap *= 2;
                      }
                  }
                pairs[n_pairs++] = key;
              }
          }
    qsort (pairs, n_pairs, sizeof (uint64_t), cmp_u64);
    size_t u = 0;
    for (size_t i = 0; i < n_pairs; i++)
      if (u == 0 || pairs[i] != pairs[u - 1])
        pairs[u++] = pairs[i];
    t.touching_pairs = u;
    uint8_t *touch = calloc ((size_t) n_pores + 1, 1);
    if (touch == NULL)
      {
        st = PS_ERROR_NO_MEMORY;
        goto out;
      }
    for (size_t i = 0; i < u; i++)
      {
        touch[pairs[i] >> 32] = 1;
        touch[pairs[i] & 0xFFFFFFFFu] = 1;
      }
    for (uint32_t l = 1; l <= n_pores; l++)
      t.touching_pores += touch[l];
    free (touch);
  }

  /* Statistics. */
  {
    double *eq = malloc (((size_t) n_pores + 1) * sizeof (double));
    if (eq == NULL)
      {
        st = PS_ERROR_NO_MEMORY;
        goto out;
      }
    double sum = 0, sum2 = 0;
    for (uint32_t l = 1; l <= n_pores; l++)
      {
        double V = (double) count[l] * vox * vox * vox;
        double d = cbrt (6.0 * V / M_PI);
        eq[l - 1] = d;
        sum += d;
        sum2 += d * d;
        t.pore_voxels += count[l];
        if (open_pore[l - 1])
          {
            t.open_count++;
            t.open_pore_voxels += count[l];
          }
        else
          {
            t.closed_count++;
            t.closed_pore_voxels += count[l];
          }
      }
    const uint32_t k = n_pores;
    if (k > 0)
      {
        qsort (eq, k, sizeof (double), cmp_double);
        t.eqdiam_mean_nm = sum / k;
        t.eqdiam_median_nm = (k % 2) ? eq[k / 2] : 0.5 * (eq[k / 2 - 1] + eq[k / 2]);
        t.eqdiam_sd_nm = k > 1 ? sqrt (fmax (0.0, (sum2 - sum * sum / k) / (k - 1))) : 0.0;
      }
    free (eq);
  }
  t.size = n;
  t.voxel_nm = vox;
  t.particle_center_nm[0] = t.particle_center_nm[1] = t.particle_center_nm[2] = (c + 0.5) * vox;
  t.particle_radius_nm = R * vox;
  t.particle_voxels = particle;
  t.porosity_target = params->porosity;
  t.porosity = particle ? (double) t.pore_voxels / (double) particle : 0.0;
  t.closed_porosity = particle ? (double) t.closed_pore_voxels / (double) particle : 0.0;
  t.open_porosity = particle ? (double) t.open_pore_voxels / (double) particle : 0.0;
  t.porosity_box = (double) t.pore_voxels / (double) total;
  t.pore_count = n_pores;
  t.seeds = n_seeds;
  t.wall_thickness_nm = isfinite (thr) ? 2.0 * thr * vox : 0.0;

  ps_volume_set_spacing (vol, vox, vox, vox);
  lab->spacing[0] = lab->spacing[1] = lab->spacing[2] = vox;
  lab->spacing_known = true;
  if (truth)
    *truth = t;
  if (volume)
    {
      *volume = vol;
      vol = NULL;
    }
  if (pores)
    {
      *pores = lab;
      lab = NULL;
    }
  ps_progress_report (progress, 1.0, NULL);
  st = PS_OK;

out:
  if (st == PS_ERROR_NO_MEMORY)
    ps_set_why (why, why_len, "out of memory");
  ps_volume_unref (vol);
  ps_labels_unref (lab);
  ps_aligned_free (tex);
  ps_aligned_free (rough);
  ps_aligned_free (dist);
  free (tmp);
  free (remap);
  free (count);
  free (open_pore);
  free (pairs);
  free (seeds);
  grid_clear (&grid);
  return st;
}

/* ---- tilt series ----------------------------------------------------------- */

PsStatus
ps_phantom_simulate_tilt (const PsTiltSimParams *params, const PsVolume *volume,
                          PsTiltSeries **out, const PsProgress *progress, char *why, size_t why_len)
{
  PsStatus st;
  PsProjectParams pp = { 0 };
  PsTiltSeries *ts = NULL;

  *out = NULL;
  if (params == NULL || volume == NULL)
    {
      ps_set_why (why, why_len, "nothing to simulate");
      return PS_ERROR_INVALID_PARAMETER;
    }
  if (!(params->dose >= 0.0 && params->dose < 1e12) || !(params->haadf_length_nm > 0.0))
    {
      ps_set_why (why, why_len, "the dose must be ≥ 0 electrons/nm² and the scattering length > 0");
      return PS_ERROR_INVALID_PARAMETER;
    }
  pp.angles = params->angles;
  pp.n_angles = params->n_angles;
  pp.n_threads = params->n_threads;
  PsProgress sub = ps_progress_sub (progress, 0.0, 0.9);
  if ((st = ps_project_run (&pp, volume, &ts, progress ? &sub : NULL, why, why_len)) != PS_OK)
    return st;

  /* Voxel units → nm of carbon; then counts. */
  const double dx = volume->spacing[0], dy = volume->spacing[1];
  const double to_nm = dx;
  const double per_nm = params->dose * dx * dy / params->haadf_length_nm;
  const size_t plane = ts->nx * ts->ny;
#pragma omp parallel for num_threads(ps_recon_threads (params->n_threads)) schedule(dynamic, 1)
  for (size_t i = 0; i < ts->n; i++)
    {
      float *img = ps_tilt_series_image (ts, i);
      uint64_t state = (params->seed + 1) * 0xD1B54A32D192ED03ull ^ ((uint64_t) (i + 1) * 0x9E3779B97F4A7C15ull);
      for (size_t p = 0; p < plane; p++)
        {
          double t = fmax (0.0, (double) img[p] * to_nm);
          img[p] = params->dose > 0.0 ? (float) ps_poisson_sample (&state, t * per_nm) : (float) t;
        }
    }
  ts->pixel_size[0] = dx;
  ts->pixel_size[1] = dy;
  ts->spacing_known = volume->spacing_known;
  ps_progress_report (progress, 1.0, NULL);
  *out = ts;
  return PS_OK;
}
