/* SPDX-License-Identifier: GPL-3.0-or-later */
/* ps-recon-private.h: the slice engine shared by the forward projector, WBP
 * and SIRT/SART. Not public API.
 *
 * Geometry (SPEC.md): single tilt axis parallel to y. In one x–z slice a
 * voxel (x, z) projects at tilt θ onto the detector coordinate
 *     u = (x − cx)·cos θ + (z − cz)·sin θ + cu,
 * with the geometric centres cx = (nx − 1)/2, cz = (nz − 1)/2, cu = (nd − 1)/2.
 *
 * Cosine stretching (IMOD `tilt`; Mastronarde's man page): for |θ| ≤ 45° we
 * walk the slice in rows of constant z ("case A": row coordinate r = x, row
 * index k = z, a = cos θ, b = sin θ); for |θ| > 45° in rows of constant x of
 * a transposed copy ("case B": r = z, k = x, a = sin θ, b = cos θ). In both
 *     u = (r − cr)·a + (k − ck)·b + cu,   |a| ≥ 1/√2.
 * Define the stretched coordinate σ = (u − cu)/a + cr = r + t_k with
 * t_k = (k − ck)·b/a. A detector row resampled once onto a grid in σ (the
 * "stretched row") is then in register with every slice row: row k reads it
 * at r + t_k, i.e. at one constant fractional offset for the whole row, so
 * the inner loop is a contiguous two-tap axpy (2 FMA + 2 loads per voxel and
 * angle) instead of a per-voxel gather.
 *
 * Back-projection (A^T for SIRT; WBP): stretch = linear interpolation of the
 * detector row at u(σ_j) (zero outside [0, nd − 1], as scikit-image's
 * iradon), then per row linear interpolation of the stretched row. The
 * stretched grid has spacing 1/q in σ; WBP uses q = 2 so the second
 * interpolation blurs half as much, SIRT uses q = 1.
 *
 * Forward projection (A, q = 1 only) is the exact transpose of that
 * back-projection, apart from a per-detector-element normalisation n_i:
 *   J: Joseph's method (Joseph 1982, IEEE TMI 1:192): ray σ_j sums the
 *      linearly interpolated voxel values of every row (the transpose of the
 *      per-row interpolation above); the path length per row is 1/|a|.
 *   L^T: each ray splats onto its two nearest detector elements with the
 *      interpolation weights of the stretch (the transpose of the stretch).
 *   n_i = 1 / (|a| · Σ_j L_ji) turns the weighted sum of rays into an average
 *      line integral, so a uniform slab projects to its true path length
 *      whatever the angle.
 * so A = diag(n) L^T J and A^T = J^T L diag(n): SIRT applies the fast
 * back-projector to n ⊙ (residual) and has an exactly matched pair.
 */
#pragma once

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

#include "ps-status.h"
#include "ps-tilt-series.h"

typedef struct
{
  bool transposed;  /* case B: rows along z of the transposed slice */
  double a, b;      /* see above */
  double ratio;     /* b / a */
  double cr, ck;    /* centres of the row coordinate and the row index */
  long s0;          /* σ of stretched sample 0 */
  size_t ns;        /* samples per stretched array (per phase for q = 2) */
} PsAngleGeom;

typedef struct
{
  size_t nd;          /* detector elements (= nx) */
  size_t nx, nz;      /* slice size */
  size_t n_angles;
  int q;              /* stretched-grid oversampling: 1 or 2 */
  PsAngleGeom *ang;
  size_t stride;      /* floats reserved per angle in a stretched work buffer */
  float *fwd_norm;    /* n_angles × nd: n_i (q = 1 only) */
  bool any_a, any_b;  /* some angles of case A / case B */
} PsSliceGeom;

/* Set up the geometry for angles in degrees. @q = 1 also computes fwd_norm. */
PsStatus ps_slice_geom_init (PsSliceGeom *g, size_t nd, size_t nx, size_t nz,
                             const double *angles_deg, size_t n_angles, int q);
void ps_slice_geom_clear (PsSliceGeom *g);

/* Stretch the detector row @det (nd) for angle @i, scaled by @scale, into
 * @Q (g->stride floats). */
void ps_slice_stretch (const PsSliceGeom *g, size_t i, const float *det, float scale, float *Q);

/* Back-project the stretched rows Q[i·stride …] of the @n_sel angles
 * @sel (NULL = all) into @S (nz × nx, case-A angles) and @T (nx × nz, case-B
 * angles), adding to what they hold — or, with @assign, replacing it (then
 * S is zero when no case-A angle is selected; T is untouched when no case-B
 * angle exists at all, and must then not be read). */
void ps_slice_back (const PsSliceGeom *g, const float *Q, const size_t *sel, size_t n_sel,
                    float *S, float *T, bool assign);

/* Back-project all angles and write the slice (S + Tᵀ) to rows
 * dst + z·dst_stride (z < nz) without clearing or copying: S and T are
 * scratch. */
void ps_slice_back_store (const PsSliceGeom *g, const float *Q, float *S, float *T, float *dst, size_t dst_stride);

/* Forward-project (q = 1): slice @S (nz × nx) and its transpose @T (nx × nz,
 * needed only when case-B angles are selected) onto detector rows
 * sino[i·nd …] for the selected angles. @Q is scratch (n_angles × stride). */
void ps_slice_forward (const PsSliceGeom *g, const float *S, const float *T,
                       const size_t *sel, size_t n_sel, float *Q, float *sino);

/* dst (nx × nz) = transpose of src (nz × nx). */
void ps_transpose (const float *src, size_t rows, size_t cols, float *dst);
/* dst (rows × cols) += transpose of src (cols × rows). */
void ps_transpose_add (const float *src, size_t rows, size_t cols, float *dst);
/* dst[r·dst_stride + c] = S[r·cols + c] + T[c·rows + r] (rows × cols). */
void ps_transpose_add_store (const float *T, size_t rows, size_t cols, const float *S, float *dst,
                             size_t dst_stride);

/* madvise(MADV_HUGEPAGE) on a big buffer before it is first touched. */
void ps_recon_advise_huge (void *ptr, size_t bytes);

/* Angular weights (radians) for WBP: each projection stands for the interval
 * half-way to its neighbours; the end ones for one whole gap. When the
 * series covers more than 180° (e.g. −90…+90, where both ends are the same
 * view mirrored) the end weights are trimmed so the total is π. */
void ps_angle_weights (const double *angles_deg, size_t n, double *weights);

/* Threads to use: @requested > 0, else all OpenMP threads. */
int ps_recon_threads (int requested);

/* The aligned stack (n × ny' × nx') when the series needs resampling, else
 * NULL with *status PS_OK (then read ts->data directly). */
float *ps_recon_aligned_stack (const PsTiltSeries *ts, int n_threads, PsStatus *status);

/* Monotonic progress from parallel loops: count finished work items and
 * report at most every 1/1000 (and at the end), under a lock, never
 * backwards. */
typedef struct
{
  const PsProgress *progress;
  atomic_size_t done;
  size_t total;
  double last;
  const char *message;
} PsProgressCounter;

void ps_progress_counter_init (PsProgressCounter *c, const PsProgress *progress, size_t total,
                               const char *message);
void ps_progress_counter_add (PsProgressCounter *c, size_t n);

/* Bilinear sample of @img (nx × ny) at (X, Y), positions clamped to the
 * image (edge pixels extend outwards); exact at integer positions. */
static inline float
ps_sample_clamped (const float *img, size_t nx, size_t ny, double X, double Y)
{
  if (!(X > 0.0)) X = 0.0;
  if (!(Y > 0.0)) Y = 0.0;
  if (X > (double) (nx - 1)) X = (double) (nx - 1);
  if (Y > (double) (ny - 1)) Y = (double) (ny - 1);
  size_t x0 = (size_t) X, y0 = (size_t) Y;
  size_t x1 = x0 + 1 < nx ? x0 + 1 : x0, y1 = y0 + 1 < ny ? y0 + 1 : y0;
  float fx = (float) (X - (double) x0), fy = (float) (Y - (double) y0);
  const float *r0 = img + y0 * nx, *r1 = img + y1 * nx;
  float top = fx == 0.0f ? r0[x0] : (1.0f - fx) * r0[x0] + fx * r0[x1];
  float bot = fx == 0.0f ? r1[x0] : (1.0f - fx) * r1[x0] + fx * r1[x1];
  return fy == 0.0f ? top : (1.0f - fy) * top + fy * bot;
}

/* Write a "why" message (printf-style) when @why is non-NULL. */
void ps_set_why (char *why, size_t why_len, const char *format, ...) __attribute__ ((format (printf, 3, 4)));
