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
 * many chunks (few partial records: 8 slices of 512²), small enough to
 * balance threads (64 chunks at 512³). The chunking depends only on the
 * volume's size, never on the thread count. */
size_t _ps_measure_chunk_voxels = (size_t) 1 << 21;
#define CHUNK_VOXELS (_ps_measure_chunk_voxels > 0 ? _ps_measure_chunk_voxels : 1)

/* Partial statistics of one label within one chunk. */
typedef struct
{
  uint64_t voxels;
  uint64_t sx, sy, sz;          /* sums of voxel indices */
  uint64_t n_finite;            /* finite intensities */
  double isum;                  /* their sum, in raster order within the chunk */
  double area;                  /* Crofton surface area (nm²), raster order */
  uint32_t lo[3], hi[3];        /* inclusive bounds; lo > hi while empty */
  uint32_t label;
  float maxdist;                /* float maps: max distance (nm) */
  uint32_t maxd2;               /* integer maps: max squared distance */
  uint8_t open;
} Acc;

/* Per-thread scratch: label → index into accs for the current chunk.
 * Aligned to two cache lines so threads never share one (false sharing on
 * n and the pointers cost more than the work itself). */
typedef struct
{
  _Alignas (64)
  int32_t *slot;                /* n_labels + 1 entries, -1 = absent */
  uint32_t max_label;           /* n_labels: larger values are invalid input */
  Acc *accs;
  size_t n, cap;
  Acc *arena;                   /* partial sums of this thread's chunks */
  size_t arena_n, arena_cap;
  float *frow;                  /* nx floats: f(x) of the current row */
  uint64_t *bits;               /* ⌈nx/64⌉ + 1 words: run starts of the row */
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

static void
acc_merge (Acc *dst, const Acc *src)
{
  dst->voxels += src->voxels;
  dst->sx += src->sx;
  dst->sy += src->sy;
  dst->sz += src->sz;
  dst->n_finite += src->n_finite;
  dst->isum += src->isum;
  dst->area += src->area;
  for (int a = 0; a < 3; a++)
    {
      if (src->lo[a] < dst->lo[a]) dst->lo[a] = src->lo[a];
      if (src->hi[a] > dst->hi[a]) dst->hi[a] = src->hi[a];
    }
  if (src->maxdist > dst->maxdist)
    dst->maxdist = src->maxdist;
  if (src->maxd2 > dst->maxd2)
    dst->maxd2 = src->maxd2;
  dst->open |= src->open;
}

/* The 26 neighbour offsets and the area each mismatch stands for.
 *
 * Crofton (ps-measure.h): S(l) = Σ_d a_d · N_d(l) with a_d = 2 c_d v / |d|
 * and N_d(l) the pairs (p, p ± d) with exactly one voxel in l. Counting each
 * pair from the object's side, N_d(l) = Σ_{p ∈ l} ([L(p+d) ≠ l] + [L(p−d) ≠ l]),
 * so S(l) = Σ_{p ∈ l} f(p) with f(p) = Σ_e a_e [L(p+e) ≠ L(p)] over the 26
 * neighbours e inside the box. f is a gather (SIMD-friendly, no scatter per
 * crossing); its float sum runs in a fixed order, so it is deterministic. */
typedef struct
{
  int dx, dy, dz;
  float area;
} Neighbour;

typedef struct
{
  Neighbour nb[26];
} Kernel;

static void
kernel_init (Kernel *k, const double spacing[3])
{
  double w[N_DIR];
  const double vox = spacing[0] * spacing[1] * spacing[2];
  ps_measure_crofton_weights (spacing, w);
  int n = 0;
  for (int d = 0; d < N_DIR; d++)
    {
      double len = 0.0;
      for (int a = 0; a < 3; a++)
        len += pow (ps_measure_directions[d][a] * spacing[a], 2);
      float area = (float) (2.0 * w[d] * vox / sqrt (len));
      for (int sgn = 1; sgn >= -1; sgn -= 2)
        {
          k->nb[n].dx = sgn * ps_measure_directions[d][0];
          k->nb[n].dy = sgn * ps_measure_directions[d][1];
          k->nb[n].dz = sgn * ps_measure_directions[d][2];
          k->nb[n].area = area;
          n++;
        }
    }
}

/* f(x) for one row (see Kernel); @nrow[e] is the row of neighbour e
 * (nrow[e][x + dx_e] = L(p + e)), or NULL when that row is outside the box. Values where the row's label is 0 are not needed and may be 0. */
static void
surface_row (const Kernel *k, const uint32_t *row, const uint32_t *const nrow[26], size_t nx, float *f)
{
  size_t x = 0;
  /* x = 0 and x = nx − 1 need bounds checks; the inside is vectorised. */
  for (;;)
    {
      bool edge = x == 0 || x + 1 >= nx;
      if (!edge)
        {
#if defined(__AVX2__)
          bool all_rows = true;
          for (int e = 0; e < 26; e++)
            all_rows &= nrow[e] != NULL;
          if (all_rows)
            {
              /* Interior rows: every neighbour row exists. Fully unrolled so
               * the 26 row pointers and 13 weights stay in registers. */
              const uint32_t *q[26];
              __m256 w[13];
              for (int e = 0; e < 26; e++)
                q[e] = nrow[e] + k->nb[e].dx;
              for (int d = 0; d < 13; d++)
                w[d] = _mm256_set1_ps (k->nb[2 * d].area);
              for (; x + 8 < nx; x += 8)
                {
                  __m256i c = _mm256_loadu_si256 ((const __m256i *) (row + x));
                  __m256 acc = _mm256_setzero_ps ();
                  if (!_mm256_testz_si256 (c, c))
                    {
#define PS_NB(e)                                                                              \
  acc = _mm256_add_ps (acc, _mm256_andnot_ps (_mm256_castsi256_ps (_mm256_cmpeq_epi32 (        \
                                                c, _mm256_loadu_si256 ((const __m256i *) (q[e] + x)))), \
                                              w[(e) / 2]))
                      PS_NB (0); PS_NB (1); PS_NB (2); PS_NB (3); PS_NB (4); PS_NB (5);
                      PS_NB (6); PS_NB (7); PS_NB (8); PS_NB (9); PS_NB (10); PS_NB (11);
                      PS_NB (12); PS_NB (13); PS_NB (14); PS_NB (15); PS_NB (16); PS_NB (17);
                      PS_NB (18); PS_NB (19); PS_NB (20); PS_NB (21); PS_NB (22); PS_NB (23);
                      PS_NB (24); PS_NB (25);
#undef PS_NB
                    }
                  _mm256_storeu_ps (f + x, acc);
                }
            }
          for (; x + 8 < nx; x += 8)
            {
              __m256i c = _mm256_loadu_si256 ((const __m256i *) (row + x));
              __m256 acc = _mm256_setzero_ps ();
              if (_mm256_testz_si256 (c, c))
                {
                  _mm256_storeu_ps (f + x, acc);
                  continue;
                }
              for (int e = 0; e < 26; e++)
                {
                  if (nrow[e] == NULL)
                    continue;
                  __m256i n = _mm256_loadu_si256 ((const __m256i *) (nrow[e] + x + k->nb[e].dx));
                  __m256 eq = _mm256_castsi256_ps (_mm256_cmpeq_epi32 (c, n));
                  acc = _mm256_add_ps (acc, _mm256_andnot_ps (eq, _mm256_set1_ps (k->nb[e].area)));
                }
              _mm256_storeu_ps (f + x, acc);
            }
#endif
          for (; x + 1 < nx; x++)
            {
              uint32_t c = row[x];
              float acc = 0.0f;
              if (c != 0)
                for (int e = 0; e < 26; e++)
                  if (nrow[e] != NULL)
                    acc += nrow[e][x + k->nb[e].dx] != c ? k->nb[e].area : 0.0f;
              f[x] = acc;
            }
        }
      if (x >= nx)
        break;
      /* An edge voxel: neighbours beyond x = 0 or x = nx − 1 do not count. */
      uint32_t c = row[x];
      float acc = 0.0f;
      if (c != 0)
        for (int e = 0; e < 26; e++)
          {
            long xn = (long) x + k->nb[e].dx;
            if (nrow[e] == NULL || xn < 0 || xn >= (long) nx)
              continue;
            acc += nrow[e][xn] != c ? k->nb[e].area : 0.0f;
          }
      f[x] = acc;
      x++;
      if (x >= nx)
        break;
    }
}

/* Bit x of @bits (⌈nx/64⌉ words) is set where a run of equal labels starts:
 * x = 0 or row[x] != row[x − 1]. */
static void
run_starts (const uint32_t *row, size_t nx, uint64_t *bits)
{
  const size_t n_words = (nx + 63) / 64;
  memset (bits, 0, n_words * sizeof *bits);
  bits[0] = 1;
  size_t x = 1;
#if defined(__AVX2__)
  for (; x + 8 <= nx; x += 8)
    {
      __m256i a = _mm256_loadu_si256 ((const __m256i *) (row + x));
      __m256i b = _mm256_loadu_si256 ((const __m256i *) (row + x - 1));
      uint64_t ne = ~(unsigned) _mm256_movemask_ps (_mm256_castsi256_ps (_mm256_cmpeq_epi32 (a, b))) & 0xffu;
      if (ne == 0)
        continue;
      /* 8 bits starting at x may straddle two words */
      size_t wi = x / 64, sh = x % 64;
      bits[wi] |= ne << sh;
      if (sh > 56)
        bits[wi + 1] |= ne >> (64 - sh);
    }
#endif
  for (; x < nx; x++)
    if (row[x] != row[x - 1])
      bits[x / 64] |= (uint64_t) 1 << (x % 64);
}

/* Add the run [x0, x1) of row (y, z) to @a. */
static inline void
run_add (Acc *a, size_t x0, size_t x1, size_t y, size_t z, const float *f,
         const float *vi, const float *vd, const uint32_t *vd2, const uint8_t *ve)
{
  uint64_t len = x1 - x0;
  a->voxels += len;
  a->sx += (uint64_t) (x0 + x1 - 1) * len / 2;
  a->sy += (uint64_t) y * len;
  a->sz += (uint64_t) z * len;
  /* hi starts at 0, which max() handles: an object has voxels. */
  if ((uint32_t) x0 < a->lo[0]) a->lo[0] = (uint32_t) x0;
  if ((uint32_t) (x1 - 1) > a->hi[0]) a->hi[0] = (uint32_t) (x1 - 1);
  if ((uint32_t) y < a->lo[1]) a->lo[1] = (uint32_t) y;
  if ((uint32_t) y > a->hi[1]) a->hi[1] = (uint32_t) y;
  if ((uint32_t) z < a->lo[2]) a->lo[2] = (uint32_t) z;
  if ((uint32_t) z > a->hi[2]) a->hi[2] = (uint32_t) z;

  /* Four interleaved accumulators (x − x0 mod 4): a fixed order, so results
   * stay deterministic, and a quarter of the add-latency chain. */
  float s0 = 0.0f, s1 = 0.0f, s2 = 0.0f, s3 = 0.0f;
  size_t i = x0;
  for (; i + 3 < x1; i += 4)
    {
      s0 += f[i];
      s1 += f[i + 1];
      s2 += f[i + 2];
      s3 += f[i + 3];
    }
  for (; i < x1; i++)
    s0 += f[i];
  a->area += ((double) s0 + (double) s1) + ((double) s2 + (double) s3);

  if (vi != NULL)
    {
      double t0 = 0.0, t1 = 0.0, t2 = 0.0, t3 = 0.0;
      uint64_t n = 0;
      for (i = x0; i + 3 < x1; i += 4)
        {
          bool ok0 = isfinite (vi[i]), ok1 = isfinite (vi[i + 1]);
          bool ok2 = isfinite (vi[i + 2]), ok3 = isfinite (vi[i + 3]);
          t0 += ok0 ? vi[i] : 0.0f;
          t1 += ok1 ? vi[i + 1] : 0.0f;
          t2 += ok2 ? vi[i + 2] : 0.0f;
          t3 += ok3 ? vi[i + 3] : 0.0f;
          n += (uint64_t) ok0 + ok1 + ok2 + ok3;
        }
      for (; i < x1; i++)
        if (isfinite (vi[i]))
          {
            t0 += vi[i];
            n++;
          }
      a->isum += (t0 + t1) + (t2 + t3);
      a->n_finite += n;
    }
  if (vd != NULL)
    {
      float m = a->maxdist;
      for (i = x0; i < x1; i++)
        m = vd[i] > m ? vd[i] : m;
      a->maxdist = m;
    }
  if (vd2 != NULL)
    {
      uint32_t m = a->maxd2;
      for (i = x0; i < x1; i++)
        m = vd2[i] > m ? vd2[i] : m;
      a->maxd2 = m;
    }
  if (ve != NULL && !a->open)
    {
      uint8_t any = 0;
      for (i = x0; i < x1; i++)
        any |= ve[i];
      a->open = any != 0;
    }
}

/* Process rows [r0, r1) (row r = z·ny + y) into the scratch accumulators.
 * @f is a scratch row of nx floats. */
static void
measure_rows (const PsMeasureParams *p, const Kernel *k, Scratch *s, float *f, size_t r0, size_t r1)
{
  const PsLabels *lab = p->labels;
  const size_t nx = lab->nx, ny = lab->ny, nz = lab->nz;
  const uint32_t *L = lab->data;

  for (size_t r = r0; r < r1 && !s->failed; r++)
    {
      const size_t y = r % ny, z = r / ny;
      const size_t off = r * nx;
      const uint32_t *row = L + off;
      const uint32_t *nrow[26];

      for (int e = 0; e < 26; e++)
        {
          long yn = (long) y + k->nb[e].dy, zn = (long) z + k->nb[e].dz;
          if (yn < 0 || yn >= (long) ny || zn < 0 || zn >= (long) nz)
            nrow[e] = NULL;
          else
            nrow[e] = L + ((size_t) zn * ny + (size_t) yn) * nx;
        }
      surface_row (k, row, nrow, nx, f);

      /* Runs of equal labels: counts, index sums and bounds once per run;
       * run starts come from a SIMD-built bit mask so long runs (the other
       * phase, label 0) cost nothing per voxel. */
      run_starts (row, nx, s->bits);
      const float *vi = p->intensity ? p->intensity + off : NULL;
      const float *vd = p->distance && !p->distance->dist2 ? p->distance->dist_nm + off : NULL;
      const uint32_t *vd2 = p->distance && p->distance->dist2 ? p->distance->dist2 + off : NULL;
      const uint8_t *ve = p->exterior ? p->exterior + off : NULL;
      const size_t n_words = (nx + 63) / 64;
      size_t x = 0, w = 0;
      uint64_t word = s->bits[0] & ~(uint64_t) 1;  /* bit 0 (x = 0) is the first start */
      while (x < nx)
        {
          /* next run start after x */
          while (word == 0 && ++w < n_words)
            word = s->bits[w];
          size_t x1 = word ? w * 64 + (size_t) __builtin_ctzll (word) : nx;
          word &= word - 1;
          uint32_t l = row[x];
          if (l != 0)
            {
              Acc *a = scratch_get (s, l);
              if (a == NULL)
                return;
              run_add (a, x, x1, y, z, f, vi, vd, vd2, ve);
            }
          x = x1;
        }
    }
}

static void
crofton_weights_compute (const double spacing[3], double weights[N_DIR])
{
  /* The 26 directions ±d come in sign variants of 7 patterns (|dx|, |dy|,
   * |dz|); reflecting an axis maps the lattice onto itself for any
   * spacing, so every variant of a pattern gets the same weight and the
   * positive octant suffices. There a point's nearest direction is the
   * variant with its own signs, i.e. the pattern maximising p·|u_d|. */
  double u[8][3] = { { 0 } };
  int n_variants[8] = { 0 };
  for (int d = 0; d < N_DIR; d++)
    {
      int key = 0;
      for (int a = 0; a < 3; a++)
        key |= (ps_measure_directions[d][a] != 0) << a;
      n_variants[key]++;
      double n2 = 0.0;
      for (int a = 0; a < 3; a++)
        {
          u[key][a] = (ps_measure_directions[d][a] != 0) * spacing[a];
          n2 += u[key][a] * u[key][a];
        }
      for (int a = 0; a < 3; a++)
        u[key][a] /= sqrt (n2);
    }
  /* Equal-area midpoint grid on the octant (Archimedes: z uniform and φ
   * uniform is uniform on the sphere); 512² cells give the weights to
   * ~5e-5 (checked against Legland et al.'s closed-form isotropic values). */
  enum { M = 512 };
  uint32_t votes[8] = { 0 };
  for (int i = 0; i < M; i++)
    {
      double phi = (i + 0.5) * (M_PI / 2) / M;
      double cp = cos (phi), sp = sin (phi);
      for (int j = 0; j < M; j++)
        {
          double zc = (j + 0.5) / M, rr = sqrt (1.0 - zc * zc);
          double p[3] = { rr * cp, rr * sp, zc };
          int best = 1;
          double best_dot = -1.0;
          for (int key = 1; key < 8; key++)
            {
              double dot = p[0] * u[key][0] + p[1] * u[key][1] + p[2] * u[key][2];
              if (dot > best_dot)
                {
                  best_dot = dot;
                  best = key;
                }
            }
          votes[best]++;
        }
    }
  for (int d = 0; d < N_DIR; d++)
    {
      int key = 0;
      for (int a = 0; a < 3; a++)
        key |= (ps_measure_directions[d][a] != 0) << a;
      weights[d] = (double) votes[key] / ((double) M * M * n_variants[key]);
    }
}

void
ps_measure_crofton_weights (const double spacing[3], double weights[N_DIR])
{
  /* One cached entry: an analysis measures both phases with one spacing. */
  static double cached_spacing[3] = { 0, 0, 0 };
  static double cached[N_DIR];
  bool hit = false;
#pragma omp critical(ps_crofton_cache)
  {
    if (memcmp (cached_spacing, spacing, sizeof cached_spacing) == 0)
      {
        memcpy (weights, cached, sizeof cached);
        hit = true;
      }
  }
  if (hit)
    return;
  crofton_weights_compute (spacing, weights);
#pragma omp critical(ps_crofton_cache)
  {
    memcpy (cached, weights, sizeof cached);
    memcpy (cached_spacing, spacing, sizeof cached_spacing);
  }
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
   * label → slot map plus the accumulators of one chunk (grown as needed,
   * at most one per label met). */
  size_t bytes_table, bytes_glob, bytes_slots, need;
  if (!ps_size_mul (n_labels + 1, sizeof (PsObjectStats), &bytes_table) ||
      !ps_size_mul (n_labels + 1, sizeof (Acc), &bytes_glob) ||
      !ps_size_mul3 (n_labels + 1, sizeof (int32_t), (size_t) n_threads, &bytes_slots) ||
      !ps_size_add (bytes_table, bytes_glob, &need) || !ps_size_add (need, bytes_slots, &need))
    return PS_ERROR_TOO_LARGE;
  if ((st = ps_memory_check (need)) != PS_OK)
    return st;

  Scratch *scratch = ps_aligned_calloc ((size_t) n_threads * sizeof *scratch);
  Acc *glob = malloc ((n_labels + 1) * sizeof *glob);
  PsObjectTable *table = calloc (1, sizeof *table);
  bool failed = scratch == NULL || glob == NULL || table == NULL;
  if (!failed)
    {
      table->objects = calloc (n_labels ? n_labels : 1, sizeof *table->objects);
      failed = table->objects == NULL;
    }
  for (int t = 0; !failed && t < n_threads; t++)
    {
      scratch[t].max_label = (uint32_t) n_labels;
      scratch[t].slot = malloc ((n_labels + 1) * sizeof (int32_t));
      scratch[t].frow = malloc (nx * sizeof (float));
      scratch[t].bits = malloc (((nx + 63) / 64 + 1) * sizeof (uint64_t));
      if (scratch[t].slot == NULL || scratch[t].frow == NULL || scratch[t].bits == NULL)
        failed = true;
      else
        memset (scratch[t].slot, 0xff, (n_labels + 1) * sizeof (int32_t));
    }
  if (!failed)
    for (size_t l = 0; l <= n_labels; l++)
      acc_init (&glob[l], (uint32_t) l);

  struct
  {
    int thread;
    size_t off, n;
  } *where = calloc (n_chunks, sizeof *where);
  failed |= where == NULL;
  Kernel kernel;
  kernel_init (&kernel, lab->spacing);
  atomic_int stop = failed ? 1 : 0;
  atomic_size_t done = 0;
  ps_progress_report (progress, 0.0, "Measuring objects");

  /* Chunks are measured in parallel; each thread appends its chunks'
   * partial sums to its own arena, and they are added to the global
   * accumulators afterwards in chunk order, so the floating-point sums do
   * not depend on the thread count. (An OpenMP ordered merge would avoid the
   * arenas but serialises libgomp's dynamic schedule.) */
  if (!failed)
    {
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
            if (atomic_load (&stop) != 0)
              continue;
            if (ps_progress_cancelled (progress))
              {
                atomic_store (&stop, 2);
                continue;
              }
            size_t r0 = c * rows_per_chunk;
            size_t r1 = r0 + rows_per_chunk < n_rows ? r0 + rows_per_chunk : n_rows;
            s->n = 0;
            measure_rows (params, &kernel, s, s->frow, r0, r1);
            if (!s->failed && s->arena_n + s->n > s->arena_cap)
              {
                size_t cap = s->arena_cap ? s->arena_cap : 1024;
                while (cap < s->arena_n + s->n)
                  cap *= 2;
                Acc *na = realloc (s->arena, cap * sizeof *na);
                if (na == NULL)
                  s->failed = true;
                else
                  {
                    s->arena = na;
                    s->arena_cap = cap;
                  }
              }
            if (!s->failed)
              {
                if (s->n > 0)
                  memcpy (s->arena + s->arena_n, s->accs, s->n * sizeof (Acc));
                where[c].thread = tid;
                where[c].off = s->arena_n;
                where[c].n = s->n;
                s->arena_n += s->n;
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
    }
  if (atomic_load (&stop) == 0)
    for (size_t c = 0; c < n_chunks; c++)
      {
        const Acc *recs = scratch[where[c].thread].arena + where[c].off;
        for (size_t i = 0; i < where[c].n; i++)
          acc_merge (&glob[recs[i].label], &recs[i]);
      }

  int stopped = atomic_load (&stop);
  if (stopped == 0)
    {
      const double *sp = lab->spacing;
      const double vox = sp[0] * sp[1] * sp[2];
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
              o->inscribed_diameter_nm = NAN;
              o->sphericity = NAN;
              o->mean_intensity = NAN;
              for (int k = 0; k < 3; k++)
                o->centroid_nm[k] = NAN;
              continue;
            }
          o->volume_nm3 = (double) a->voxels * vox;
          o->equivalent_diameter_nm = ps_measure_equivalent_diameter (o->volume_nm3);
          if (params->distance == NULL)
            o->inscribed_diameter_nm = NAN;
          else if (params->distance->dist2 != NULL)
            o->inscribed_diameter_nm = a->maxd2 == PS_EDT_INFINITE
                                         ? INFINITY
                                         : 2.0 * sqrt ((double) a->maxd2) * params->distance->metric.unit_nm;
          else
            o->inscribed_diameter_nm = 2.0 * (double) a->maxdist;
          double area = a->area;
          o->surface_area_nm2 = area;

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
          /* A cut object's surface lacks its cut faces: no sphericity. */
          o->sphericity = area > 0.0 && !border ? cbrt (M_PI) * pow (6.0 * o->volume_nm3, 2.0 / 3.0) / area : NAN;
          o->open = a->open != 0;
          o->mean_intensity = a->n_finite > 0 ? a->isum / (double) a->n_finite : NAN;
        }
      ps_progress_report (progress, 1.0, "Measuring objects");
    }

  for (int t = 0; scratch != NULL && t < n_threads; t++)
    {
      free (scratch[t].slot);
      free (scratch[t].frow);
      free (scratch[t].bits);
      free (scratch[t].accs);
      free (scratch[t].arena);
    }
  ps_aligned_free (scratch);
  free (where);
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
