/* SPDX-License-Identifier: GPL-3.0-or-later */
/* ps-measure.c: one pass over a label volume → per-object statistics.
 * See ps-measure.h for the definitions, frames and references. */
#include "ps-measure.h"

#include <math.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#ifdef _OPENMP
#include <omp.h>
#endif
#if defined(__AVX2__)
#include <immintrin.h>
#endif

#include "ps-measure-private.h"
#include "ps-memory.h"
#include "ps-size.h"
#include "ps-stats.h"

const int ps_measure_directions[PS_MEASURE_N_DIRECTIONS][3] = {
  { 1, 0, 0 }, { 0, 1, 0 }, { 1, 1, 0 }, { -1, 1, 0 },
  { 0, 0, 1 }, { 1, 0, 1 }, { -1, 0, 1 }, { 0, 1, 1 },
  { 1, 1, 1 }, { -1, 1, 1 }, { 0, -1, 1 }, { 1, -1, 1 }, { -1, -1, 1 },
};

#define N_DIR PS_MEASURE_N_DIRECTIONS

/* About this many voxels per chunk: big enough that a label rarely spans
 * many chunks (few partial records), small enough to balance threads. The
 * chunking depends only on the volume's size, never on the thread count. */
size_t _ps_measure_chunk_voxels = (size_t) 1 << 22;
#define CHUNK_VOXELS (_ps_measure_chunk_voxels > 0 ? _ps_measure_chunk_voxels : 1)

/* Partial statistics of one label within one chunk. */
typedef struct
{
  uint64_t voxels;
  uint64_t sx, sy, sz;          /* sums of voxel indices */
  uint64_t n_finite;            /* finite intensities */
  double isum;                  /* their sum, in raster order within the chunk */
  uint64_t cross[N_DIR];        /* surface crossings per direction */
  uint32_t lo[3], hi[3];        /* inclusive bounds; lo > hi while empty */
  uint32_t label;
  float maxdist;
  uint8_t open;
} Acc;

typedef struct
{
  Acc *recs;
  size_t n;
} ChunkOut;

/* Per-thread scratch: label → index into accs for the current chunk. */
typedef struct
{
  int32_t *slot;                /* n_labels + 1 entries, -1 = absent */
  uint32_t max_label;           /* n_labels: larger values are invalid input */
  Acc *accs;
  size_t n, cap;
  bool failed;
  bool bad_label;
} Scratch;

static void
acc_init (Acc *a, uint32_t label)
{
  memset (a, 0, sizeof *a);
  a->label = label;
  a->lo[0] = a->lo[1] = a->lo[2] = UINT32_MAX;
  a->maxdist = -INFINITY;
}

static Acc *
scratch_get (Scratch *s, uint32_t label)
{
  if (label > s->max_label)
    {
      s->failed = s->bad_label = true;
      return NULL;
    }
  int32_t i = s->slot[label];
  if (i >= 0)
    return &s->accs[i];
  if (s->n == s->cap)
    {
      size_t cap = s->cap ? s->cap * 2 : 256;
      Acc *na = realloc (s->accs, cap * sizeof *na);
      if (na == NULL)
        {
          s->failed = true;
          return NULL;
        }
      s->accs = na;
      s->cap = cap;
    }
  s->slot[label] = (int32_t) s->n;
  acc_init (&s->accs[s->n], label);
  return &s->accs[s->n++];
}

/* Count one crossing of direction @d between labels @a != @b. */
static inline void
cross_pair (Scratch *s, uint32_t a, uint32_t b, int d)
{
  if (a != 0)
    {
      Acc *acc = scratch_get (s, a);
      if (acc != NULL)
        acc->cross[d]++;
    }
  if (b != 0)
    {
      Acc *acc = scratch_get (s, b);
      if (acc != NULL)
        acc->cross[d]++;
    }
}

/* All i in [0, n) with a[i] != b[i]: count a crossing of direction @d. */
static void
cross_rows (Scratch *s, const uint32_t *a, const uint32_t *b, size_t n, int d)
{
  size_t i = 0;
#if defined(__AVX2__)
  for (; i + 8 <= n; i += 8)
    {
      __m256i va = _mm256_loadu_si256 ((const __m256i *) (a + i));
      __m256i vb = _mm256_loadu_si256 ((const __m256i *) (b + i));
      unsigned eq = (unsigned) _mm256_movemask_ps (_mm256_castsi256_ps (_mm256_cmpeq_epi32 (va, vb)));
      unsigned ne = ~eq & 0xffu;
      while (ne != 0)
        {
          int k = __builtin_ctz (ne);
          cross_pair (s, a[i + k], b[i + k], d);
          ne &= ne - 1;
        }
    }
#else
  /* Portable: skip equal blocks of 8 with a cheap OR of XORs. */
  for (; i + 8 <= n; i += 8)
    {
      uint32_t diff = 0;
      for (int k = 0; k < 8; k++)
        diff |= a[i + k] ^ b[i + k];
      if (diff == 0)
        continue;
      for (int k = 0; k < 8; k++)
        if (a[i + k] != b[i + k])
          cross_pair (s, a[i + k], b[i + k], d);
    }
#endif
  for (; i < n; i++)
    if (a[i] != b[i])
      cross_pair (s, a[i], b[i], d);
}

static void
acc_merge (Acc *dst, const Acc *src)
{
  dst->voxels += src->voxels;
  dst->sx += src->sx;
  dst->sy += src->sy;
  dst->sz += src->sz;
  dst->n_finite += src->n_finite;
  dst->isum += src->isum;
  for (int d = 0; d < N_DIR; d++)
    dst->cross[d] += src->cross[d];
  for (int a = 0; a < 3; a++)
    {
      if (src->lo[a] < dst->lo[a]) dst->lo[a] = src->lo[a];
      if (src->hi[a] > dst->hi[a]) dst->hi[a] = src->hi[a];
    }
  if (src->maxdist > dst->maxdist)
    dst->maxdist = src->maxdist;
  dst->open |= src->open;
}

/* Process rows [r0, r1) (row r = z·ny + y) into the scratch accumulators. */
static void
measure_rows (const PsMeasureParams *p, Scratch *s, size_t r0, size_t r1)
{
  const PsLabels *lab = p->labels;
  const size_t nx = lab->nx, ny = lab->ny, nz = lab->nz;
  const uint32_t *L = lab->data;

  for (size_t r = r0; r < r1 && !s->failed; r++)
    {
      const size_t y = r % ny, z = r / ny;
      const size_t off = r * nx;
      const uint32_t *row = L + off;

      /* Runs of equal labels: counts, index sums and bounds once per run. */
      for (size_t x = 0; x < nx;)
        {
          uint32_t l = row[x];
          size_t x1 = x + 1;
          while (x1 < nx && row[x1] == l)
            x1++;
          if (l != 0)
            {
              Acc *a = scratch_get (s, l);
              if (a == NULL)
                return;
              uint64_t len = x1 - x;
              a->voxels += len;
              a->sx += (uint64_t) (x + x1 - 1) * len / 2;
              a->sy += (uint64_t) y * len;
              a->sz += (uint64_t) z * len;
              /* hi starts at 0, which max() handles: an object has voxels. */
              if ((uint32_t) x < a->lo[0]) a->lo[0] = (uint32_t) x;
              if ((uint32_t) (x1 - 1) > a->hi[0]) a->hi[0] = (uint32_t) (x1 - 1);
              if ((uint32_t) y < a->lo[1]) a->lo[1] = (uint32_t) y;
              if ((uint32_t) y > a->hi[1]) a->hi[1] = (uint32_t) y;
              if ((uint32_t) z < a->lo[2]) a->lo[2] = (uint32_t) z;
              if ((uint32_t) z > a->hi[2]) a->hi[2] = (uint32_t) z;
              if (p->intensity != NULL)
                {
                  const float *v = p->intensity + off;
                  double sum = 0.0;
                  uint64_t n = 0;
                  for (size_t i = x; i < x1; i++)
                    if (isfinite (v[i]))
                      {
                        sum += v[i];
                        n++;
                      }
                  a->isum += sum;
                  a->n_finite += n;
                }
              if (p->distance != NULL)
                {
                  const float *v = p->distance + off;
                  float m = a->maxdist;
                  for (size_t i = x; i < x1; i++)
                    m = v[i] > m ? v[i] : m;
                  a->maxdist = m;
                }
              if (p->exterior != NULL && !a->open)
                {
                  const uint8_t *v = p->exterior + off;
                  uint8_t any = 0;
                  for (size_t i = x; i < x1; i++)
                    any |= v[i];
                  a->open = any != 0;
                }
            }
          x = x1;
        }

      /* Surface crossings along the 13 forward directions. Pairs that would
       * leave the box are no surface (the box faces are not material). */
      for (int d = 0; d < N_DIR; d++)
        {
          const int ddx = ps_measure_directions[d][0];
          const int ddy = ps_measure_directions[d][1];
          const int ddz = ps_measure_directions[d][2];
          if ((ddz == 1 && z + 1 >= nz) || (ddy == 1 && y + 1 >= ny) || (ddy == -1 && y == 0))
            continue;
          if (nx < 2 && ddx != 0)
            continue;
          const uint32_t *nrow = L + ((z + (size_t) ddz) * ny + (size_t) ((ptrdiff_t) y + ddy)) * nx;
          if (ddx == 0)
            cross_rows (s, row, nrow, nx, d);
          else if (ddx == 1)
            cross_rows (s, row, nrow + 1, nx - 1, d);
          else
            cross_rows (s, row + 1, nrow, nx - 1, d);
        }
    }
}

void
ps_measure_crofton_weights (const double spacing[3], double weights[N_DIR])
{
  /* Unit vectors of the 13 directions in physical units. */
  double u[N_DIR][3];
  for (int d = 0; d < N_DIR; d++)
    {
      double n2 = 0.0;
      for (int a = 0; a < 3; a++)
        {
          u[d][a] = ps_measure_directions[d][a] * spacing[a];
          n2 += u[d][a] * u[d][a];
        }
      double n = sqrt (n2);
      for (int a = 0; a < 3; a++)
        u[d][a] /= n;
    }
  /* A Fibonacci lattice on the sphere: near-uniform, deterministic points
   * (González, Math. Geosci. 42:49, 2010). Each point votes for the
   * direction (±) at the smallest angle; by symmetry a hemisphere suffices,
   * but the full sphere keeps the point set unbiased. 2^18 points give the
   * weights to about 1e-4. */
  const int n_pts = 1 << 18;
  const double golden = (1.0 + sqrt (5.0)) / 2.0;
  uint32_t votes[N_DIR] = { 0 };
  for (int i = 0; i < n_pts; i++)
    {
      double zc = 1.0 - (2.0 * i + 1.0) / n_pts;
      double rr = sqrt (1.0 - zc * zc);
      double phi = 2.0 * M_PI * fmod (i / golden, 1.0);
      double p[3] = { rr * cos (phi), rr * sin (phi), zc };
      int best = 0;
      double best_dot = -1.0;
      for (int d = 0; d < N_DIR; d++)
        {
          double dot = fabs (p[0] * u[d][0] + p[1] * u[d][1] + p[2] * u[d][2]);
          if (dot > best_dot)
            {
              best_dot = dot;
              best = d;
            }
        }
      votes[best]++;
    }
  for (int d = 0; d < N_DIR; d++)
    weights[d] = (double) votes[d] / n_pts;
}

double
ps_measure_equivalent_diameter (double volume_nm3)
{
  return cbrt (6.0 * volume_nm3 / M_PI);
}

PsStatus
ps_measure_validate (const PsMeasureParams *params)
{
  if (params == NULL || params->labels == NULL || params->labels->data == NULL)
    return PS_ERROR_INVALID_PARAMETER;
  const PsLabels *lab = params->labels;
  if (lab->nx == 0 || lab->ny == 0 || lab->nz == 0)
    return PS_ERROR_INVALID_PARAMETER;
  if (lab->nx > UINT32_MAX || lab->ny > UINT32_MAX || lab->nz > UINT32_MAX)
    return PS_ERROR_TOO_LARGE;
  if (lab->n_labels >= (uint32_t) INT32_MAX)
    return PS_ERROR_TOO_LARGE;
  for (int a = 0; a < 3; a++)
    if (!(lab->spacing[a] > 0.0) || !isfinite (lab->spacing[a]) || !isfinite (params->origin_nm[a]))
      return PS_ERROR_INVALID_PARAMETER;
  size_t n;
  if (!ps_size_mul3 (lab->nx, lab->ny, lab->nz, &n))
    return PS_ERROR_TOO_LARGE;
  return PS_OK;
}

void
ps_object_table_free (PsObjectTable *table)
{
  if (table == NULL)
    return;
  free (table->objects);
  free (table);
}

PsStatus
ps_measure_run (const PsMeasureParams *params, PsObjectTable **out, const PsProgress *progress)
{
  PsStatus st = ps_measure_validate (params);
  if (st != PS_OK)
    return st;
  if (out == NULL)
    return PS_ERROR_INVALID_PARAMETER;
  *out = NULL;

  const PsLabels *lab = params->labels;
  const size_t nx = lab->nx, ny = lab->ny, nz = lab->nz;
  const size_t n_labels = lab->n_labels;
  const size_t n_rows = ny * nz;
  const size_t rows_per_chunk = nx >= CHUNK_VOXELS ? 1 : (CHUNK_VOXELS + nx - 1) / nx;
  const size_t n_chunks = (n_rows + rows_per_chunk - 1) / rows_per_chunk;
  const int n_threads_req = ps_threads_resolve (params->n_threads);
  const int n_threads = (size_t) n_threads_req > n_chunks ? (int) n_chunks : n_threads_req;

  /* Memory: the table, one global accumulator per label, and per thread a
   * label → slot map. Partial records are bounded by the labels met per
   * chunk and are checked as they are made. */
  size_t bytes_table, bytes_glob, bytes_slots, need;
  if (!ps_size_mul (n_labels + 1, sizeof (PsObjectStats), &bytes_table) ||
      !ps_size_mul (n_labels + 1, sizeof (Acc), &bytes_glob) ||
      !ps_size_mul3 (n_labels + 1, sizeof (int32_t), (size_t) n_threads, &bytes_slots) ||
      !ps_size_add (bytes_table, bytes_glob, &need) || !ps_size_add (need, bytes_slots, &need))
    return PS_ERROR_TOO_LARGE;
  if ((st = ps_memory_check (need)) != PS_OK)
    return st;

  ChunkOut *chunks = calloc (n_chunks, sizeof *chunks);
  Scratch *scratch = calloc ((size_t) n_threads, sizeof *scratch);
  if (chunks == NULL || scratch == NULL)
    {
      free (chunks);
      free (scratch);
      return PS_ERROR_NO_MEMORY;
    }
  bool failed = false;
  for (int t = 0; t < n_threads; t++)
    {
      scratch[t].max_label = (uint32_t) n_labels;
      scratch[t].slot = malloc ((n_labels + 1) * sizeof (int32_t));
      if (scratch[t].slot == NULL)
        failed = true;
      else
        memset (scratch[t].slot, 0xff, (n_labels + 1) * sizeof (int32_t));
    }

  atomic_size_t done = 0;
  atomic_int stop = failed ? 1 : 0;
  ps_progress_report (progress, 0.0, "Measuring objects");

#pragma omp parallel num_threads(n_threads)
  {
#ifdef _OPENMP
    const int tid = omp_get_thread_num ();
#else
    const int tid = 0;
#endif
    Scratch *s = &scratch[tid];
#pragma omp for schedule(dynamic, 1)
    for (size_t c = 0; c < n_chunks; c++)
      {
        if (atomic_load (&stop))
          continue;
        if (ps_progress_cancelled (progress))
          {
            atomic_store (&stop, 2);
            continue;
          }
        size_t r0 = c * rows_per_chunk;
        size_t r1 = r0 + rows_per_chunk < n_rows ? r0 + rows_per_chunk : n_rows;
        s->n = 0;
        measure_rows (params, s, r0, r1);
        if (!s->failed && s->n > 0)
          {
            chunks[c].recs = malloc (s->n * sizeof (Acc));
            if (chunks[c].recs == NULL)
              s->failed = true;
            else
              {
                memcpy (chunks[c].recs, s->accs, s->n * sizeof (Acc));
                chunks[c].n = s->n;
              }
          }
        for (size_t i = 0; i < s->n; i++)
          s->slot[s->accs[i].label] = -1;
        if (s->failed)
          {
            atomic_store (&stop, s->bad_label ? 3 : 1);
            continue;
          }
        size_t k = atomic_fetch_add (&done, 1) + 1;
        if (tid == 0)
          ps_progress_report (progress, 0.9 * (double) k / (double) n_chunks, "Measuring objects");
      }
  }

  int stopped = atomic_load (&stop);
  PsObjectTable *table = NULL;
  Acc *glob = NULL;
  if (stopped == 0)
    {
      table = calloc (1, sizeof *table);
      glob = malloc ((n_labels + 1) * sizeof *glob);
      if (table != NULL)
        table->objects = calloc (n_labels ? n_labels : 1, sizeof *table->objects);
      if (table == NULL || glob == NULL || table->objects == NULL)
        stopped = 1;
    }
  if (stopped == 0)
    {
      for (size_t l = 0; l <= n_labels; l++)
        acc_init (&glob[l], (uint32_t) l);
      /* Chunk order: the floating-point sums do not depend on threads. */
      for (size_t c = 0; c < n_chunks; c++)
        for (size_t i = 0; i < chunks[c].n; i++)
          acc_merge (&glob[chunks[c].recs[i].label], &chunks[c].recs[i]);

      double w[N_DIR], line_area[N_DIR];
      const double *sp = lab->spacing;
      const double vox = sp[0] * sp[1] * sp[2];
      ps_measure_crofton_weights (sp, w);
      for (int d = 0; d < N_DIR; d++)
        {
          double len = 0.0;
          for (int a = 0; a < 3; a++)
            len += pow (ps_measure_directions[d][a] * sp[a], 2);
          /* 2 · c_d · (area per lattice line = v / |d|) */
          line_area[d] = 2.0 * w[d] * vox / sqrt (len);
        }
      const size_t dims[3] = { nx, ny, nz };
      table->n_objects = n_labels;
      memcpy (table->dims, dims, sizeof dims);
      memcpy (table->spacing, sp, sizeof table->spacing);
      for (size_t l = 1; l <= n_labels; l++)
        {
          const Acc *a = &glob[l];
          PsObjectStats *o = &table->objects[l - 1];
          o->label = (uint32_t) l;
          o->voxels = a->voxels;
          if (a->voxels == 0)
            {
              o->equivalent_diameter_nm = 0.0;
              o->inscribed_diameter_nm = NAN;
              o->sphericity = NAN;
              o->mean_intensity = NAN;
              for (int k = 0; k < 3; k++)
                o->centroid_nm[k] = NAN;
              continue;
            }
          o->volume_nm3 = (double) a->voxels * vox;
          o->equivalent_diameter_nm = ps_measure_equivalent_diameter (o->volume_nm3);
          o->inscribed_diameter_nm = params->distance != NULL ? 2.0 * (double) a->maxdist : NAN;
          double area = 0.0;
          for (int d = 0; d < N_DIR; d++)
            area += line_area[d] * (double) a->cross[d];
          o->surface_area_nm2 = area;
          o->sphericity = area > 0.0 ? cbrt (M_PI) * pow (6.0 * o->volume_nm3, 2.0 / 3.0) / area : NAN;
          const uint64_t s3[3] = { a->sx, a->sy, a->sz };
          bool border = false;
          double weight = 1.0;
          for (int k = 0; k < 3; k++)
            {
              o->centroid_nm[k] = params->origin_nm[k] +
                                  ((double) s3[k] / (double) a->voxels + 0.5) * sp[k];
              o->bbox_lo[k] = a->lo[k];
              o->bbox_hi[k] = a->hi[k] + 1;
              if (a->lo[k] == 0 || (size_t) a->hi[k] + 1 == dims[k])
                border = true;
              else
                weight *= (double) dims[k] / (double) (dims[k] - (o->bbox_hi[k] - o->bbox_lo[k]) - 1);
            }
          o->touches_border = border;
          o->edge_weight = border ? 0.0 : weight;
          o->open = a->open != 0;
          o->mean_intensity = a->n_finite > 0 ? a->isum / (double) a->n_finite : NAN;
        }
      ps_progress_report (progress, 1.0, "Measuring objects");
    }

  for (size_t c = 0; c < n_chunks; c++)
    free (chunks[c].recs);
  free (chunks);
  for (int t = 0; t < n_threads; t++)
    {
      free (scratch[t].slot);
      free (scratch[t].accs);
    }
  free (scratch);
  free (glob);

  if (stopped != 0)
    {
      ps_object_table_free (table);
      return stopped == 2 ? PS_ERROR_CANCELLED
           : stopped == 3 ? PS_ERROR_INVALID_PARAMETER
                          : PS_ERROR_NO_MEMORY;
    }
  *out = table;
  return PS_OK;
}
