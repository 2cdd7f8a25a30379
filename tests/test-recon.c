/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Reconstruction kernels against independent references: the FFT against a
 * direct double-precision DFT; the projector against analytic line integrals
 * of a Gaussian blob and of a slab, and its back-projector against the exact
 * adjoint (⟨Ax, y⟩ = ⟨x, Aᵀy⟩); the WBP filter against the Kak–Slaney
 * formula; WBP of analytic Gaussian projections against the Gaussian; SIRT,
 * SART and WBP of the noise-free phantom against the phantom; the tilt-axis
 * direction and per-image shifts against exactly rotated/shifted series;
 * alignment against known shifts; 1 vs N threads; cancellation; progress;
 * bad input. (scikit-image peers: tests/py/test-recon-peers.py.) */
#include "config.h"

#include <glib.h>
#include <math.h>
#include <stdatomic.h>
#include <string.h>

#include "ps-align.h"
#include "ps-fft.h"
#include "ps-phantom.h"
#include "ps-project.h"
#include "ps-recon-private.h"
#include "ps-sirt.h"
#include "ps-test-util.h"
#include "ps-wbp.h"

/* ---- helpers --------------------------------------------------------------- */

static double *
range_angles (double a, double b, double step, size_t *n)
{
  size_t m = (size_t) floor ((b - a) / step + 1e-9) + 1;
  double *ang = g_new (double, m);
  for (size_t i = 0; i < m; i++)
    ang[i] = a + step * (double) i;
  *n = m;
  return ang;
}

/* Pearson r over voxels inside a sphere of radius R about the centre (R ≤ 0:
 * all voxels). */
static double
pearson (const float *a, const float *b, size_t nx, size_t ny, size_t nz, double R)
{
  double cx = 0.5 * (nx - 1), cy = 0.5 * (ny - 1), cz = 0.5 * (nz - 1);
  double sa = 0, sb = 0, saa = 0, sbb = 0, sab = 0;
  size_t k = 0;
  for (size_t z = 0; z < nz; z++)
    for (size_t y = 0; y < ny; y++)
      for (size_t x = 0; x < nx; x++)
        {
          double dx = x - cx, dy = y - cy, dz = z - cz;
          if (R > 0 && dx * dx + dy * dy + dz * dz > R * R)
            continue;
          size_t i = (z * ny + y) * nx + x;
          double p = a[i], q = b[i];
          sa += p;
          sb += q;
          saa += p * p;
          sbb += q * q;
          sab += p * q;
          k++;
        }
  double cov = sab / k - (sa / k) * (sb / k);
  double va = saa / k - (sa / k) * (sa / k), vb = sbb / k - (sb / k) * (sb / k);
  return cov / sqrt (va * vb);
}

typedef struct
{
  PsVolume *vol;
  PsLabels *pores;
  PsPhantomTruth truth;
  PsTiltSeries *ts;     /* ±75° step 3, noise-free unless dose given */
  double R;             /* particle radius, voxels */
} Phantom;

static void
phantom_make (Phantom *p, size_t size, double dose, double step)
{
  PsPhantomParams pp;
  PsTiltSimParams sp;
  size_t n;
  char why[256] = "";
  g_autofree double *ang = range_angles (-75, 75, step, &n);

  ps_phantom_params_init (&pp);
  pp.size = size;
  g_assert_cmpint (ps_phantom_generate (&pp, &p->vol, &p->pores, &p->truth, NULL, why, sizeof why), ==, PS_OK);
  ps_tilt_sim_params_init (&sp);
  sp.angles = ang;
  sp.n_angles = n;
  sp.dose = dose;
  g_assert_cmpint (ps_phantom_simulate_tilt (&sp, p->vol, &p->ts, NULL, why, sizeof why), ==, PS_OK);
  p->R = p->truth.particle_radius_nm / p->truth.voxel_nm;
}

static void
phantom_clear (Phantom *p)
{
  ps_volume_unref (p->vol);
  ps_labels_unref (p->pores);
  ps_tilt_series_unref (p->ts);
}

static PsTiltSeries *
series_copy (const PsTiltSeries *ts)
{
  PsStatus st;
  PsTiltSeries *c = ps_tilt_series_new (ts->nx, ts->ny, ts->n, &st);
  g_assert_nonnull (c);
  memcpy (c->data, ts->data, ts->nx * ts->ny * ts->n * sizeof (float));
  memcpy (c->angles, ts->angles, ts->n * sizeof (double));
  memcpy (c->shift_x, ts->shift_x, ts->n * sizeof (double));
  memcpy (c->shift_y, ts->shift_y, ts->n * sizeof (double));
  c->tilt_axis_deg = ts->tilt_axis_deg;
  c->pixel_size[0] = ts->pixel_size[0];
  c->pixel_size[1] = ts->pixel_size[1];
  c->spacing_known = ts->spacing_known;
  return c;
}

static PsVolume *
run_wbp (const PsTiltSeries *ts, int threads)
{
  PsWbpParams wp;
  PsVolume *v = NULL;
  char why[256] = "";
  ps_wbp_params_init (&wp);
  wp.n_threads = threads;
  g_assert_cmpint (ps_wbp_run (&wp, ts, &v, NULL, why, sizeof why), ==, PS_OK);
  return v;
}

/* ---- FFT ------------------------------------------------------------------- */

static void
test_fft (void)
{
  const size_t sizes[] = { 2, 8, 64, 256 };
  PsTestRng rng = { 7 };
  for (size_t s = 0; s < G_N_ELEMENTS (sizes); s++)
    {
      const size_t n = sizes[s], L = PS_FFT_LANES;
      PsFft *plan = ps_fft_new (n);
      g_assert_nonnull (plan);
      float *re = g_new (float, n * L), *im = g_new (float, n * L);
      double *xr = g_new (double, n * L), *xi = g_new (double, n * L);
      for (size_t k = 0; k < n * L; k++)
        {
          xr[k] = re[k] = (float) (ps_test_rng_uniform (&rng) - 0.5);
          xi[k] = im[k] = (float) (ps_test_rng_uniform (&rng) - 0.5);
        }
      ps_fft_lanes (plan, re, im, false);
      double maxerr = 0, maxval = 0;
      for (size_t l = 0; l < L; l++)
        for (size_t k = 0; k < n; k++)
          {
            double ar = 0, ai = 0;
            for (size_t j = 0; j < n; j++)
              {
                double ph = -2.0 * M_PI * (double) ((j * k) % n) / (double) n;
                ar += xr[j * L + l] * cos (ph) - xi[j * L + l] * sin (ph);
                ai += xr[j * L + l] * sin (ph) + xi[j * L + l] * cos (ph);
              }
            maxerr = fmax (maxerr, fmax (fabs (ar - re[k * L + l]), fabs (ai - im[k * L + l])));
            maxval = fmax (maxval, hypot (ar, ai));
          }
      g_assert_cmpfloat (maxerr / maxval, <, 1e-5);
      /* The inverse (unscaled) brings the input back times n. */
      ps_fft_lanes (plan, re, im, true);
      for (size_t k = 0; k < n * L; k++)
        {
          g_assert_cmpfloat_with_epsilon (re[k] / n, xr[k], 1e-5);
          g_assert_cmpfloat_with_epsilon (im[k] / n, xi[k], 1e-5);
        }
      ps_fft_free (plan);
      g_free (re);
      g_free (im);
      g_free (xr);
      g_free (xi);
    }
  /* The fused filter (DIF, product in bit-reversed order, DIT) against
   * the plain transforms, for signals whose upper half is zero. */
  {
    const size_t n = 128, L = PS_FFT_LANES;
    PsFft *plan = ps_fft_new (n);
    float *re = g_new0 (float, n * L), *im = g_new0 (float, n * L), *r2 = g_new0 (float, n * L),
          *i2 = g_new0 (float, n * L), *H = g_new (float, n), *Hr = g_new (float, n);
    for (size_t k = 0; k < n; k++)
      H[k] = (float) (0.5 + 0.5 * cos (2 * M_PI * k / n));
    ps_fft_bitrev_permute (plan, H, Hr);
    for (size_t k = 0; k < n / 2 * L; k++)
      {
        r2[k] = re[k] = (float) (ps_test_rng_uniform (&rng) - 0.5);
        i2[k] = im[k] = (float) (ps_test_rng_uniform (&rng) - 0.5);
      }
    ps_fft_filter_lanes (plan, re, im, Hr);
    ps_fft_lanes (plan, r2, i2, false);
    for (size_t k = 0; k < n; k++)
      for (size_t l = 0; l < L; l++)
        {
          r2[k * L + l] *= H[k];
          i2[k * L + l] *= H[k];
        }
    ps_fft_lanes (plan, r2, i2, true);
    for (size_t k = 0; k < n / 2 * L; k++)
      {
        g_assert_cmpfloat_with_epsilon (re[k], r2[k], 1e-4);
        g_assert_cmpfloat_with_epsilon (im[k], i2[k], 1e-4);
      }
    ps_fft_free (plan);
    g_free (re);
    g_free (im);
    g_free (r2);
    g_free (i2);
    g_free (H);
    g_free (Hr);
  }
  g_assert_null (ps_fft_new (12));
  g_assert_null (ps_fft_new (1));
  g_assert_cmpuint (ps_fft_next_pow2 (513), ==, 1024);
}

/* ---- projector ------------------------------------------------------------- */

/* Line integral of exp(−r²/2s²) through (x0, y0, z0) along the beam of angle
 * θ, sampled at detector u and row y: √(2π)·s·exp(−((u−u0)² + (y−y0)²)/2s²). */
static void
test_project_gaussian (void)
{
  const size_t nx = 64, ny = 3, nz = 48;
  const double x0 = 40.3, y0 = 1.0, z0 = 15.7, s = 2.5;
  const double angles[] = { -90, -89, -75, -60, -46, -45, -30, -10, 0, 7, 33, 44, 45.5, 60, 75, 88, 90 };
  const size_t na = G_N_ELEMENTS (angles);
  PsStatus st;
  PsVolume *v = ps_volume_new (nx, ny, nz, &st);
  PsTiltSeries *ts = NULL;
  PsProjectParams pp = { angles, na, 2 };
  char why[256] = "";

  for (size_t z = 0; z < nz; z++)
    for (size_t y = 0; y < ny; y++)
      for (size_t x = 0; x < nx; x++)
        {
          double r2 = (x - x0) * (x - x0) + (y - y0) * (y - y0) + (z - z0) * (z - z0);
          v->data[(z * ny + y) * nx + x] = (float) exp (-r2 / (2 * s * s));
        }
  g_assert_cmpint (ps_project_run (&pp, v, &ts, NULL, why, sizeof why), ==, PS_OK);
  const double cx = 0.5 * (nx - 1), cz = 0.5 * (nz - 1);
  for (size_t i = 0; i < na; i++)
    {
      double th = angles[i] * M_PI / 180.0;
      double u0 = (x0 - cx) * cos (th) + (z0 - cz) * sin (th) + cx;
      double maxerr = 0, peak = 0, m0 = 0, m1 = 0;
      const float *row = ps_tilt_series_image (ts, i) + 1 * nx;
      for (size_t x = 0; x < nx; x++)
        {
          double a = sqrt (2 * M_PI) * s * exp (-(x - u0) * (x - u0) / (2 * s * s));
          maxerr = fmax (maxerr, fabs (row[x] - a));
          peak = fmax (peak, a);
          m0 += row[x];
          m1 += row[x] * (double) x;
        }
      /* Linear interpolation blurs by ≤ 1/3 px², i.e. ≤ 3 % of the peak of
       * this blob; the centroid (the projected position) is exact. */
      g_assert_cmpfloat (maxerr / peak, <, 0.03);
      g_assert_cmpfloat (fabs (m1 / m0 - u0), <, 0.01);
      g_assert_cmpfloat (fabs (m0 / (2 * M_PI * s * s) - 1.0), <, 0.005);
    }
  ps_tilt_series_unref (ts);
  ps_volume_unref (v);
}

/* A uniform block of density 1: the central ray at θ crosses the slab's
 * top and bottom faces, a path of nz / cos θ (|θ| < 45°) or nx / |sin θ|. */
static void
test_project_slab (void)
{
  const size_t nx = 96, ny = 2, nz = 24;
  const double angles[] = { -70, -30, 0, 12, 40, 80 };
  PsStatus st;
  PsVolume *v = ps_volume_new (nx, ny, nz, &st);
  PsTiltSeries *ts = NULL;
  PsProjectParams pp = { angles, G_N_ELEMENTS (angles), 1 };
  char why[256] = "";

  for (size_t i = 0; i < nx * ny * nz; i++)
    v->data[i] = 1.0f;
  g_assert_cmpint (ps_project_run (&pp, v, &ts, NULL, why, sizeof why), ==, PS_OK);
  for (size_t i = 0; i < G_N_ELEMENTS (angles); i++)
    {
      double th = angles[i] * M_PI / 180.0;
      /* Voxel centres span nz − 1 between the first and last row; the
       * interpolated density falls off over the half voxel outside, so the
       * path is nz (centres ± ½) over cos θ. */
      double expect = fmin ((double) nz / fabs (cos (th)), (double) nx / fabs (sin (th)));
      float got = ps_tilt_series_image (ts, i)[nx / 2];
      g_assert_cmpfloat (fabs (got - expect) / expect, <, 2e-3);
    }
  ps_tilt_series_unref (ts);
  ps_volume_unref (v);
}

/* A = diag(n) Lᵀ J and Aᵀ = Jᵀ L diag(n): ⟨A x, y⟩ = ⟨x, Aᵀ y⟩. */
static void
test_project_adjoint (void)
{
  const size_t nx = 37, nz = 23;
  size_t na;
  g_autofree double *ang = range_angles (-88, 88, 7.3, &na);
  PsSliceGeom g;
  PsTestRng rng = { 11 };

  g_assert_cmpint (ps_slice_geom_init (&g, nx, nx, nz, ang, na, 1), ==, PS_OK);
  float *X = g_new0 (float, nx * nz), *XT = g_new0 (float, nx * nz);
  float *Y = g_new0 (float, na * nx), *AX = g_new0 (float, na * nx), *W = g_new0 (float, na * nx);
  float *Q = g_new0 (float, na * g.stride), *U = g_new0 (float, nx * nz), *UT = g_new0 (float, nx * nz);
  for (size_t i = 0; i < nx * nz; i++)
    X[i] = (float) ps_test_rng_uniform (&rng);
  for (size_t i = 0; i < na * nx; i++)
    Y[i] = (float) ps_test_rng_uniform (&rng);
  ps_transpose (X, nz, nx, XT);
  ps_slice_forward (&g, X, XT, NULL, na, Q, AX);
  for (size_t i = 0; i < na; i++)
    {
      for (size_t d = 0; d < nx; d++)
        W[i * nx + d] = Y[i * nx + d] * g.fwd_norm[i * nx + d];
      ps_slice_stretch (&g, i, W + i * nx, 1.0f, Q + i * g.stride);
    }
  ps_slice_back (&g, Q, NULL, na, U, UT, false);
  ps_transpose_add (UT, nz, nx, U);
  double lhs = 0, rhs = 0;
  for (size_t i = 0; i < na * nx; i++)
    lhs += (double) AX[i] * Y[i];
  for (size_t i = 0; i < nx * nz; i++)
    rhs += (double) X[i] * U[i];
  g_assert_cmpfloat (fabs (lhs - rhs) / fabs (lhs), <, 1e-5);
  ps_slice_geom_clear (&g);
  g_free (X);
  g_free (XT);
  g_free (Y);
  g_free (AX);
  g_free (W);
  g_free (Q);
  g_free (U);
  g_free (UT);
}

/* ---- WBP ------------------------------------------------------------------- */

static void
test_wbp_filter (void)
{
  const size_t n = 1024;
  double *H = g_new (double, n), *S = g_new (double, n), *C = g_new (double, n), *W = g_new (double, n);
  ps_wbp_filter_response (PS_FILTER_RAMP, 1.0, n, H);
  /* The band-limited ramp: H(k) ≈ |k|/n away from 0, H(0) ≈ 2/(π² n)
   * (the tail of Σ 1/(πm)² the finite kernel leaves out). */
  for (size_t k = 16; k <= n / 2; k += 64)
    g_assert_cmpfloat (fabs (H[k] - (double) k / n) / ((double) k / n), <, 0.01);
  g_assert_cmpfloat (fabs (H[0] - 2.0 / (M_PI * M_PI * n)) / (2.0 / (M_PI * M_PI * n)), <, 0.05);
  for (size_t k = 1; k < n / 2; k++)
    g_assert_cmpfloat (H[k], ==, H[n - k]);
  ps_wbp_filter_response (PS_FILTER_SHEPP_LOGAN, 1.0, n, S);
  ps_wbp_filter_response (PS_FILTER_COSINE, 1.0, n, C);
  ps_wbp_filter_response (PS_FILTER_HANN, 1.0, n, W);
  for (size_t k = 1; k < n / 2; k += 37)
    {
      double nu = (double) k / n;
      g_assert_cmpfloat_with_epsilon (S[k], H[k] * sin (M_PI * nu) / (M_PI * nu), 1e-12);
      g_assert_cmpfloat_with_epsilon (C[k], H[k] * cos (M_PI * nu), 1e-12);
      g_assert_cmpfloat_with_epsilon (W[k], H[k] * 0.5 * (1 + cos (2 * M_PI * nu)), 1e-12);
    }
  /* A cut-off at half Nyquist zeroes the upper half of the band. */
  ps_wbp_filter_response (PS_FILTER_RAMP, 0.5, n, S);
  g_assert_cmpfloat (S[n / 4 - 1], >, 0.0);
  g_assert_cmpfloat (S[n / 4 + 1], ==, 0.0);
  g_free (H);
  g_free (S);
  g_free (C);
  g_free (W);
}

static void
test_wbp_weights (void)
{
  double w[91];
  size_t n;
  g_autofree double *a = range_angles (-60, 60, 2, &n);
  ps_angle_weights (a, n, w);
  for (size_t i = 0; i < n; i++)
    g_assert_cmpfloat_with_epsilon (w[i], 2 * M_PI / 180, 1e-12);
  /* −90…90: both ends are one view; the total is π. */
  g_autofree double *b = range_angles (-90, 90, 2, &n);
  ps_angle_weights (b, n, w);
  double sum = 0;
  for (size_t i = 0; i < n; i++)
    sum += w[i];
  g_assert_cmpfloat_with_epsilon (sum, M_PI, 1e-12);
  /* Uneven spacing: half the gaps on each side. */
  const double c[] = { -50, -20, 0, 5, 30 };
  ps_angle_weights (c, 5, w);
  g_assert_cmpfloat_with_epsilon (w[1], 25 * M_PI / 180, 1e-12);
  g_assert_cmpfloat_with_epsilon (w[3], 15 * M_PI / 180, 1e-12);
  g_assert_cmpfloat_with_epsilon (w[0], 30 * M_PI / 180, 1e-12);
}

/* Analytic projections of a Gaussian blob over 180°: WBP gives the blob. */
static void
test_wbp_gaussian (void)
{
  const size_t nx = 65, ny = 1, nz = 65, na = 180;
  const double x0 = 40.0, z0 = 25.0, s = 3.0;
  PsStatus st;
  PsTiltSeries *ts = ps_tilt_series_new (nx, ny, na, &st);
  const double c = 0.5 * (nx - 1);
  for (size_t i = 0; i < na; i++)
    {
      ts->angles[i] = -90.0 + (double) i;
      double th = ts->angles[i] * M_PI / 180.0, u0 = (x0 - c) * cos (th) + (z0 - c) * sin (th) + c;
      for (size_t x = 0; x < nx; x++)
        ps_tilt_series_image (ts, i)[x] = (float) (sqrt (2 * M_PI) * s * exp (-(x - u0) * (x - u0) / (2 * s * s)));
    }
  PsVolume *v = run_wbp (ts, 2);
  float *truth = g_new (float, nx * nz);
  for (size_t z = 0; z < nz; z++)
    for (size_t x = 0; x < nx; x++)
      truth[z * nx + x] = (float) exp (-((x - x0) * (x - x0) + (z - z0) * (z - z0)) / (2 * s * s));
  g_assert_cmpfloat (pearson (v->data, truth, nx, 1, nz, 0), >, 0.995);
  float peak = v->data[(size_t) z0 * nx + (size_t) x0];
  g_assert_cmpfloat (fabs (peak - 1.0f), <, 0.06);
  g_free (truth);
  ps_volume_unref (v);
  ps_tilt_series_unref (ts);
}

/* ---- the phantom ------------------------------------------------------------ */

/* Truth recounted from the labels with independent code (flood fill of
 * pore space from the exterior; face-adjacency pairs). */
static void
test_phantom_truth (void)
{
  Phantom p;
  PsPhantomParams pp;
  char why[256] = "";
  ps_phantom_params_init (&pp);
  pp.size = 64;
  memset (&p, 0, sizeof p);
  g_assert_cmpint (ps_phantom_generate (&pp, &p.vol, &p.pores, &p.truth, NULL, why, sizeof why), ==, PS_OK);
  const size_t n = 64, N = n * n * n;
  const PsPhantomTruth *t = &p.truth;
  const double c = 0.5 * (n - 1), R = t->particle_radius_nm / t->voxel_nm;
  size_t particle = 0, pore = 0;
  uint32_t maxl = 0;
  gboolean *inside = g_new0 (gboolean, N);
  for (size_t z = 0; z < n; z++)
    for (size_t y = 0; y < n; y++)
      for (size_t x = 0; x < n; x++)
        {
          size_t v = (z * n + y) * n + x;
          inside[v] = (x - c) * (x - c) + (y - c) * (y - c) + (z - c) * (z - c) <= R * R;
          particle += inside[v];
          uint32_t l = p.pores->data[v];
          if (l)
            {
              g_assert_true (inside[v]);
              pore++;
              maxl = MAX (maxl, l);
              /* Pore voxels are dark, in partial-volume terms. */
              g_assert_cmpfloat (p.vol->data[v], <, 0.5f * (1.0f + 6 * (float) pp.texture));
            }
        }
  g_assert_cmpuint (particle, ==, t->particle_voxels);
  g_assert_cmpuint (pore, ==, t->pore_voxels);
  g_assert_cmpuint (maxl, ==, t->pore_count);
  g_assert_cmpfloat_with_epsilon (t->porosity, (double) pore / particle, 1e-12);
  g_assert_cmpfloat (fabs (t->porosity - 0.39), <, 0.002);
  g_assert_cmpfloat (fabs (t->eqdiam_mean_nm - 2.5) / 2.5, <, 0.08);

  /* Equivalent diameters and open/closed, recounted. */
  size_t *count = g_new0 (size_t, maxl + 1);
  for (size_t v = 0; v < N; v++)
    count[p.pores->data[v]]++;
  double sum = 0;
  for (uint32_t l = 1; l <= maxl; l++)
    {
      g_assert_cmpuint (count[l], >, 0);
      sum += cbrt (6.0 * count[l] * pow (t->voxel_nm, 3) / M_PI);
    }
  g_assert_cmpfloat_with_epsilon (sum / maxl, t->eqdiam_mean_nm, 1e-9);
  /* Dark space = pores ∪ outside the particle; flood it from the faces. */
  guint8 *reached = g_new0 (guint8, N);
  GArray *stack = g_array_new (FALSE, FALSE, sizeof (size_t));
  for (size_t v = 0; v < N; v++)
    {
      size_t x = v % n, y = (v / n) % n, z = v / (n * n);
      if ((x == 0 || y == 0 || z == 0 || x == n - 1 || y == n - 1 || z == n - 1) && !inside[v])
        {
          reached[v] = 1;
          g_array_append_val (stack, v);
        }
    }
  while (stack->len)
    {
      size_t v = g_array_index (stack, size_t, stack->len - 1);
      g_array_set_size (stack, stack->len - 1);
      size_t x = v % n, y = (v / n) % n, z = v / (n * n);
      size_t nb[6], k = 0;
      if (x) nb[k++] = v - 1;
      if (x < n - 1) nb[k++] = v + 1;
      if (y) nb[k++] = v - n;
      if (y < n - 1) nb[k++] = v + n;
      if (z) nb[k++] = v - n * n;
      if (z < n - 1) nb[k++] = v + n * n;
      for (size_t m = 0; m < k; m++)
        if (!reached[nb[m]] && (!inside[nb[m]] || p.pores->data[nb[m]]))
          {
            reached[nb[m]] = 1;
            g_array_append_val (stack, nb[m]);
          }
    }
  guint8 *open = g_new0 (guint8, maxl + 1);
  for (size_t v = 0; v < N; v++)
    if (reached[v] && p.pores->data[v])
      open[p.pores->data[v]] = 1;
  uint32_t n_open = 0;
  for (uint32_t l = 1; l <= maxl; l++)
    n_open += open[l];
  g_assert_cmpuint (n_open, ==, t->open_count);
  g_assert_cmpuint (t->closed_count + t->open_count, ==, t->pore_count);
  g_assert_cmpuint (t->closed_count, >, t->open_count);  /* mostly closed */
  g_assert_cmpuint (t->touching_pores, >, 0);            /* some touching … */
  g_assert_cmpuint (t->touching_pores, <, t->pore_count / 2); /* … not most */
  g_test_message ("64³ phantom: %u pores (%u closed, %u open), %u touching, eq. diameter %.3f nm, wall %.3f nm",
                  t->pore_count, t->closed_count, t->open_count, t->touching_pores, t->eqdiam_mean_nm,
                  t->wall_thickness_nm);
  g_array_unref (stack);
  g_free (reached);
  g_free (open);
  g_free (count);
  g_free (inside);
  ps_volume_unref (p.vol);
  ps_labels_unref (p.pores);
}

static void
test_poisson (void)
{
  const double means[] = { 0.5, 3.0, 25.0, 400.0 };
  uint64_t state = 99;
  for (size_t m = 0; m < G_N_ELEMENTS (means); m++)
    {
      const int N = 200000;
      double s = 0, s2 = 0;
      for (int i = 0; i < N; i++)
        {
          double k = ps_poisson_sample (&state, means[m]);
          g_assert_cmpfloat (k, ==, floor (k));
          g_assert_cmpfloat (k, >=, 0);
          s += k;
          s2 += k * k;
        }
      double mean = s / N, var = s2 / N - mean * mean;
      g_assert_cmpfloat (fabs (mean - means[m]) / means[m], <, 0.01);
      g_assert_cmpfloat (fabs (var - means[m]) / means[m], <, 0.03);
    }
  g_assert_cmpfloat (ps_poisson_sample (&state, 0.0), ==, 0.0);
}

/* Noise-free images are the projected thickness in nm; with a dose the mean
 * count is D·a·t/λ. */
static void
test_phantom_tilt (void)
{
  PsPhantomParams pp;
  PsTiltSimParams sp;
  PsVolume *v = NULL;
  PsTiltSeries *t0 = NULL, *t1 = NULL, *pr = NULL;
  const double ang[] = { -40, 0, 40 };
  char why[256] = "";
  ps_phantom_params_init (&pp);
  pp.size = 40;
  g_assert_cmpint (ps_phantom_generate (&pp, &v, NULL, NULL, NULL, why, sizeof why), ==, PS_OK);
  ps_tilt_sim_params_init (&sp);
  sp.angles = ang;
  sp.n_angles = 3;
  sp.dose = 0;
  g_assert_cmpint (ps_phantom_simulate_tilt (&sp, v, &t0, NULL, why, sizeof why), ==, PS_OK);
  sp.dose = 1e6;
  g_assert_cmpint (ps_phantom_simulate_tilt (&sp, v, &t1, NULL, why, sizeof why), ==, PS_OK);
  PsProjectParams pj = { ang, 3, 1 };
  g_assert_cmpint (ps_project_run (&pj, v, &pr, NULL, why, sizeof why), ==, PS_OK);
  double s0 = 0, s1 = 0;
  const double k = sp.dose * 0.5 * 0.5 / sp.haadf_length_nm;
  for (size_t i = 0; i < 3 * 40 * 40; i++)
    {
      g_assert_cmpfloat_with_epsilon (t0->data[i], pr->data[i] * 0.5f, 1e-4);
      s0 += t0->data[i];
      s1 += t1->data[i];
    }
  g_assert_cmpfloat (fabs (s1 / (k * s0) - 1.0), <, 0.005);
  ps_volume_unref (v);
  ps_tilt_series_unref (t0);
  ps_tilt_series_unref (t1);
  ps_tilt_series_unref (pr);
}

/* ---- iterative reconstruction ----------------------------------------------- */

typedef struct
{
  int calls;
  double last_residual;
  gboolean monotonic;
  int stop_after;
  float *xy, *xz;
} IterLog;

static bool
iter_log (const PsIterationInfo *info, void *user_data)
{
  IterLog *log = user_data;
  log->calls++;
  g_assert_cmpint (info->iteration, ==, log->calls);
  if (log->calls > 1 && !(info->residual < log->last_residual))
    log->monotonic = FALSE;
  log->last_residual = info->residual;
  if (log->xy)
    ps_recon_preview_slices (info->volume, log->xy, log->xz);
  return log->stop_after == 0 || log->calls < log->stop_after;
}

/* The acceptance test of the issue: noise-free phantom, ±75°: SIRT and SART
 * reach Pearson r ≥ 0.9 inside the particle; SIRT's residual decreases at
 * every iteration; WBP correlates too. */
static void
test_sirt_phantom (void)
{
  Phantom p;
  char why[256] = "";
  phantom_make (&p, 64, 0.0, 2.0);
  const size_t n = 64;

  PsVolume *w = run_wbp (p.ts, 0);
  double r_wbp = pearson (w->data, p.vol->data, n, n, n, p.R);
  g_assert_cmpfloat (r_wbp, >=, 0.8);

  PsSirtParams sp;
  IterLog log = { 0, 0, TRUE, 0, NULL, NULL };
  PsVolume *s = NULL;
  double res[100];
  ps_sirt_params_init (&sp, PS_ITERATIVE_SIRT);
  sp.iterations = 100;
  sp.iteration_func = iter_log;
  sp.iteration_data = &log;
  g_assert_cmpint (ps_sirt_run (&sp, p.ts, &s, res, NULL, why, sizeof why), ==, PS_OK);
  g_assert_cmpint (log.calls, ==, 100);
  g_assert_true (log.monotonic);
  for (int i = 1; i < 100; i++)
    g_assert_cmpfloat (res[i], <, res[i - 1]);
  double r_sirt = pearson (s->data, p.vol->data, n, n, n, p.R);
  g_assert_cmpfloat (r_sirt, >=, 0.9);

  PsVolume *a = NULL;
  ps_sirt_params_init (&sp, PS_ITERATIVE_SART);
  sp.iterations = 30;
  g_assert_cmpint (ps_sirt_run (&sp, p.ts, &a, NULL, NULL, why, sizeof why), ==, PS_OK);
  double r_sart = pearson (a->data, p.vol->data, n, n, n, p.R);
  g_assert_cmpfloat (r_sart, >=, 0.9);

  double e_wbp, e_sirt;
  g_assert_cmpint (ps_reprojection_error (w, p.ts, 0, &e_wbp, NULL, why, sizeof why), ==, PS_OK);
  g_assert_cmpint (ps_reprojection_error (s, p.ts, 0, &e_sirt, NULL, why, sizeof why), ==, PS_OK);
  /* The reprojection error of SIRT's result is its last residual, measured
   * one update later. */
  g_assert_cmpfloat (e_sirt, <, res[99]);
  g_assert_cmpfloat (e_sirt, <, e_wbp);
  g_test_message ("64³ phantom ±75°/2°: Pearson r in the particle WBP %.4f, SIRT(100) %.4f, SART(30) %.4f; "
                  "reprojection error WBP %.4f SIRT %.4f", r_wbp, r_sirt, r_sart, e_wbp, e_sirt);
  ps_volume_unref (w);
  ps_volume_unref (s);
  ps_volume_unref (a);
  phantom_clear (&p);
}

/* The callback sees the volume being built; returning false stops early. */
static void
test_sirt_preview (void)
{
  Phantom p;
  char why[256] = "";
  phantom_make (&p, 32, 0.0, 5.0);
  PsSirtParams sp;
  float *xy = g_new (float, 32 * 32), *xz = g_new (float, 32 * 32);
  IterLog log = { 0, 0, TRUE, 4, xy, xz };
  PsVolume *s = NULL;
  double res[10];
  ps_sirt_params_init (&sp, PS_ITERATIVE_SIRT);
  sp.iterations = 10;
  sp.iteration_func = iter_log;
  sp.iteration_data = &log;
  g_assert_cmpint (ps_sirt_run (&sp, p.ts, &s, res, NULL, why, sizeof why), ==, PS_OK);
  g_assert_cmpint (log.calls, ==, 4);
  g_assert_true (isnan (res[4]));
  g_assert_false (isnan (res[3]));
  g_assert_cmpmem (xy, 32 * 32 * sizeof (float), s->data + 16 * 32 * 32, 32 * 32 * sizeof (float));
  for (size_t z = 0; z < 32; z++)
    g_assert_cmpmem (xz + z * 32, 32 * sizeof (float), s->data + (z * 32 + 16) * 32, 32 * sizeof (float));
  g_free (xy);
  g_free (xz);
  ps_volume_unref (s);
  phantom_clear (&p);
}

/* ---- threads ------------------------------------------------------------------ */

static void
test_threads (void)
{
  Phantom p;
  char why[256] = "";
  phantom_make (&p, 40, 1e4, 5.0);
  const size_t bytes = 40 * 40 * 40 * sizeof (float);
  PsVolume *ref_w = NULL, *ref_s = NULL, *ref_a = NULL;
  PsTiltSeries *ref_p = NULL;
  for (int threads = 1; threads <= 3; threads++)
    {
      PsVolume *w = run_wbp (p.ts, threads), *s = NULL, *a = NULL;
      PsSirtParams sp;
      ps_sirt_params_init (&sp, PS_ITERATIVE_SIRT);
      sp.iterations = 3;
      sp.n_threads = threads;
      g_assert_cmpint (ps_sirt_run (&sp, p.ts, &s, NULL, NULL, why, sizeof why), ==, PS_OK);
      ps_sirt_params_init (&sp, PS_ITERATIVE_SART);
      sp.iterations = 2;
      sp.n_threads = threads;
      g_assert_cmpint (ps_sirt_run (&sp, p.ts, &a, NULL, NULL, why, sizeof why), ==, PS_OK);
      PsProjectParams pj = { p.ts->angles, p.ts->n, threads };
      PsTiltSeries *pr = NULL;
      g_assert_cmpint (ps_project_run (&pj, p.vol, &pr, NULL, why, sizeof why), ==, PS_OK);
      if (threads == 1)
        {
          ref_w = w;
          ref_s = s;
          ref_a = a;
          ref_p = pr;
          continue;
        }
      g_assert_cmpmem (w->data, bytes, ref_w->data, bytes);
      g_assert_cmpmem (s->data, bytes, ref_s->data, bytes);
      g_assert_cmpmem (a->data, bytes, ref_a->data, bytes);
      g_assert_cmpmem (pr->data, 40 * 40 * p.ts->n * sizeof (float), ref_p->data, 40 * 40 * p.ts->n * sizeof (float));
      ps_volume_unref (w);
      ps_volume_unref (s);
      ps_volume_unref (a);
      ps_tilt_series_unref (pr);
    }
  /* The phantom and the alignment, too. */
  PsPhantomParams pp;
  ps_phantom_params_init (&pp);
  pp.size = 40;
  PsVolume *v1 = NULL, *v2 = NULL;
  PsLabels *l1 = NULL, *l2 = NULL;
  pp.n_threads = 1;
  g_assert_cmpint (ps_phantom_generate (&pp, &v1, &l1, NULL, NULL, why, sizeof why), ==, PS_OK);
  pp.n_threads = 2;
  g_assert_cmpint (ps_phantom_generate (&pp, &v2, &l2, NULL, NULL, why, sizeof why), ==, PS_OK);
  g_assert_cmpmem (v1->data, bytes, v2->data, bytes);
  g_assert_cmpmem (l1->data, bytes, l2->data, bytes);
  PsTiltSeries *a1 = series_copy (p.ts), *a2 = series_copy (p.ts);
  PsAlignParams ap;
  ps_align_params_init (&ap);
  ap.n_threads = 1;
  g_assert_cmpint (ps_align_run (&ap, a1, NULL, NULL, why, sizeof why), ==, PS_OK);
  ap.n_threads = 2;
  g_assert_cmpint (ps_align_run (&ap, a2, NULL, NULL, why, sizeof why), ==, PS_OK);
  g_assert_cmpmem (a1->shift_x, p.ts->n * sizeof (double), a2->shift_x, p.ts->n * sizeof (double));
  g_assert_cmpmem (a1->shift_y, p.ts->n * sizeof (double), a2->shift_y, p.ts->n * sizeof (double));
  ps_tilt_series_unref (a1);
  ps_tilt_series_unref (a2);
  ps_volume_unref (v1);
  ps_volume_unref (v2);
  ps_labels_unref (l1);
  ps_labels_unref (l2);
  ps_volume_unref (ref_w);
  ps_volume_unref (ref_s);
  ps_volume_unref (ref_a);
  ps_tilt_series_unref (ref_p);
  phantom_clear (&p);
}

/* ---- cancellation and progress ------------------------------------------------ */

typedef struct
{
  atomic_int cancel;
  double cancel_at;        /* set the flag when progress reaches this */
  double last;
  gboolean monotonic;
  int reports_after;       /* progress reports after the flag was set */
  gint64 cancel_time;
} CancelLog;

static void
cancel_progress (double fraction, const char *message, void *user_data)
{
  CancelLog *c = user_data;
  /* Called under the kernel's lock, so plain fields are safe. */
  if (fraction < c->last)
    c->monotonic = FALSE;
  c->last = fraction;
  if (atomic_load (&c->cancel))
    c->reports_after++;
  else if (fraction >= c->cancel_at)
    {
      c->cancel_time = g_get_monotonic_time ();
      atomic_store (&c->cancel, 1);
    }
}

static void
test_cancel (void)
{
  Phantom p;
  char why[256] = "";
  phantom_make (&p, 48, 1e4, 3.0);
  for (int kernel = 0; kernel < 3; kernel++)
    {
      CancelLog log = { 0 };
      log.cancel_at = 0.3;
      log.monotonic = TRUE;
      PsProgress prog = { cancel_progress, &log, &log.cancel, 0, 1 };
      PsVolume *v = NULL;
      PsStatus st;
      if (kernel == 0)
        {
          PsSirtParams sp;
          ps_sirt_params_init (&sp, PS_ITERATIVE_SIRT);
          sp.iterations = 20;
          sp.n_threads = 2;
          st = ps_sirt_run (&sp, p.ts, &v, NULL, &prog, why, sizeof why);
        }
      else if (kernel == 1)
        {
          PsWbpParams wp;
          ps_wbp_params_init (&wp);
          wp.n_threads = 2;
          st = ps_wbp_run (&wp, p.ts, &v, &prog, why, sizeof why);
        }
      else
        {
          PsSirtParams sp;
          ps_sirt_params_init (&sp, PS_ITERATIVE_SART);
          sp.iterations = 20;
          sp.n_threads = 2;
          st = ps_sirt_run (&sp, p.ts, &v, NULL, &prog, why, sizeof why);
        }
      gint64 latency = g_get_monotonic_time () - log.cancel_time;
      g_assert_cmpint (st, ==, PS_ERROR_CANCELLED);
      g_assert_null (v);
      g_assert_true (log.monotonic);
      /* Each of the 2 threads finishes at most the slice it was on: one
       * slice each, i.e. milliseconds, whatever the volume. */
      g_assert_cmpint (log.reports_after, <=, 2);
      g_test_message ("kernel %d: cancelled %.1f ms after the request", kernel, latency / 1000.0);
    }
  /* The phantom polls too. */
  {
    atomic_int flag = 1;
    PsProgress prog = { NULL, NULL, &flag, 0, 1 };
    PsPhantomParams pp;
    PsVolume *v = NULL;
    ps_phantom_params_init (&pp);
    pp.size = 32;
    g_assert_cmpint (ps_phantom_generate (&pp, &v, NULL, NULL, &prog, why, sizeof why), ==, PS_ERROR_CANCELLED);
    g_assert_null (v);
  }
  phantom_clear (&p);
}

static void
record_progress (double fraction, const char *message, void *user_data)
{
  GArray *a = user_data;
  g_array_append_val (a, fraction);
}

static void
test_progress (void)
{
  Phantom p;
  char why[256] = "";
  phantom_make (&p, 32, 1e4, 5.0);
  GArray *a = g_array_new (FALSE, FALSE, sizeof (double));
  PsProgress prog = { record_progress, a, NULL, 0, 1 };
  PsSirtParams sp;
  PsVolume *v = NULL;
  ps_sirt_params_init (&sp, PS_ITERATIVE_SIRT);
  sp.iterations = 5;
  g_assert_cmpint (ps_sirt_run (&sp, p.ts, &v, NULL, &prog, why, sizeof why), ==, PS_OK);
  g_assert_cmpuint (a->len, >, 5);
  for (guint i = 1; i < a->len; i++)
    g_assert_cmpfloat (g_array_index (a, double, i), >=, g_array_index (a, double, i - 1));
  g_assert_cmpfloat (g_array_index (a, double, a->len - 1), ==, 1.0);
  ps_volume_unref (v);
  g_array_unref (a);
  phantom_clear (&p);
}

/* ---- geometry: tilt-axis direction and shifts ---------------------------------- */

/* Raw images made by rotating every image exactly by 90° (or −90°) with
 * tilt_axis_deg saying so reconstruct bit-for-bit like the originals. */
static void
test_axis_rot90 (void)
{
  Phantom p;
  phantom_make (&p, 32, 1e4, 5.0);
  const size_t n = 32;
  PsVolume *ref = run_wbp (p.ts, 2);
  for (int sign = -1; sign <= 1; sign += 2)
    {
      PsTiltSeries *r = series_copy (p.ts);
      for (size_t i = 0; i < r->n; i++)
        {
          const float *src = ps_tilt_series_image (p.ts, i);
          float *dst = ps_tilt_series_image (r, i);
          /* φ = +90: raw(p) = orig(R(−90)(p − c) + c), i.e.
           * raw[y][x] = orig[n−1−x][y]; φ = −90: raw[y][x] = orig[x][n−1−y]. */
          for (size_t y = 0; y < n; y++)
            for (size_t x = 0; x < n; x++)
              dst[y * n + x] = sign > 0 ? src[(n - 1 - x) * n + y] : src[x * n + (n - 1 - y)];
        }
      r->tilt_axis_deg = 90.0 * sign;
      PsVolume *v = run_wbp (r, 2);
      g_assert_cmpmem (v->data, n * n * n * sizeof (float), ref->data, n * n * n * sizeof (float));
      ps_volume_unref (v);
      ps_tilt_series_unref (r);
    }
  ps_volume_unref (ref);
  phantom_clear (&p);
}

/* Images shifted by known whole pixels, with the shifts recorded, give the
 * same slices away from the clamped edges; a 30° axis made by resampling is
 * reconstructed nearly as well as the original. */
static void
test_axis_shifts (void)
{
  Phantom p;
  phantom_make (&p, 48, 0.0, 3.0);
  const size_t n = 48;
  /* Clear a 3-pixel frame (where the particle's rim may project at high
   * tilt), so shifting by up to 2 pixels with clamped edges loses nothing. */
  for (size_t i = 0; i < p.ts->n; i++)
    for (size_t y = 0; y < n; y++)
      for (size_t x = 0; x < n; x++)
        if (x < 3 || y < 3 || x >= n - 3 || y >= n - 3)
          ps_tilt_series_image (p.ts, i)[y * n + x] = 0.0f;
  PsVolume *ref = run_wbp (p.ts, 2);
  PsTiltSeries *s = series_copy (p.ts);
  for (size_t i = 0; i < s->n; i++)
    {
      long dx = (long) (i % 5) - 2, dy = (long) (i % 3) - 1;
      const float *src = ps_tilt_series_image (p.ts, i);
      float *dst = ps_tilt_series_image (s, i);
      /* raw(p) = orig(p − d): the feature at p' is found at p' + d. */
      for (long y = 0; y < (long) n; y++)
        for (long x = 0; x < (long) n; x++)
          {
            long sx = CLAMP (x - dx, 0, (long) n - 1), sy = CLAMP (y - dy, 0, (long) n - 1);
            dst[y * n + x] = src[sy * n + sx];
          }
      s->shift_x[i] = (double) dx;
      s->shift_y[i] = (double) dy;
    }
  PsVolume *v = run_wbp (s, 2);
  /* The phantom is zero near the borders, so the clamped edges do not
   * matter: the volumes agree to rounding. */
  double maxdiff = 0;
  for (size_t i = 0; i < n * n * n; i++)
    maxdiff = fmax (maxdiff, fabs (v->data[i] - ref->data[i]));
  g_assert_cmpfloat (maxdiff, <, 1e-4);
  ps_volume_unref (v);
  ps_tilt_series_unref (s);

  /* 30°: rotate each image by resampling (bilinear, from the original). */
  PsTiltSeries *r = series_copy (p.ts);
  const double phi = 30.0 * M_PI / 180.0, c = 0.5 * (n - 1);
  for (size_t i = 0; i < r->n; i++)
    {
      const float *src = ps_tilt_series_image (p.ts, i);
      float *dst = ps_tilt_series_image (r, i);
      for (size_t y = 0; y < n; y++)
        for (size_t x = 0; x < n; x++)
          {
            /* raw(q) = orig(R(−φ)(q − c) + c) */
            double qx = x - c, qy = y - c;
            double ox = cos (phi) * qx + sin (phi) * qy + c, oy = -sin (phi) * qx + cos (phi) * qy + c;
            dst[y * n + x] = ps_sample_clamped (src, n, n, ox, oy);
          }
    }
  r->tilt_axis_deg = 30.0;
  v = run_wbp (r, 2);
  double rr = pearson (v->data, ref->data, n, n, n, p.R * 0.8);
  g_assert_cmpfloat (rr, >, 0.9);
  g_test_message ("30° axis by double resampling: r = %.4f against the unrotated reconstruction", rr);
  ps_volume_unref (v);
  ps_tilt_series_unref (r);
  ps_volume_unref (ref);
  phantom_clear (&p);
}

/* Least squares of e(θ) = X·cos θ + Z·sin θ + δ: a translation (X, Z) of
 * the object is invisible to any alignment (the volume just moves), δ is
 * the error in the axis offset. Returns δ; *rms gets the rms residual. */
static double
fit_null_space (const double *angles, const double *e, size_t n, double *rms)
{
  double M[3][3] = { { 0 } }, v[3] = { 0 }, sol[3];
  for (size_t i = 0; i < n; i++)
    {
      double th = angles[i] * M_PI / 180, f[3] = { cos (th), sin (th), 1.0 };
      for (int r = 0; r < 3; r++)
        {
          v[r] += f[r] * e[i];
          for (int c = 0; c < 3; c++)
            M[r][c] += f[r] * f[c];
        }
    }
  /* Gaussian elimination. */
  for (int c = 0; c < 3; c++)
    for (int r = c + 1; r < 3; r++)
      {
        double k = M[r][c] / M[c][c];
        for (int j = c; j < 3; j++)
          M[r][j] -= k * M[c][j];
        v[r] -= k * v[c];
      }
  for (int r = 2; r >= 0; r--)
    {
      double acc = v[r];
      for (int j = r + 1; j < 3; j++)
        acc -= M[r][j] * sol[j];
      sol[r] = acc / M[r][r];
    }
  double s2 = 0;
  for (size_t i = 0; i < n; i++)
    {
      double th = angles[i] * M_PI / 180;
      double d = e[i] - (sol[0] * cos (th) + sol[1] * sin (th) + sol[2]);
      s2 += d * d;
    }
  *rms = sqrt (s2 / n);
  return sol[2];
}

/* Alignment recovers random sub-pixel shifts up to what no alignment can
 * see (a translation of the object: X·cos θ + Z·sin θ across x, a constant
 * along the axis), including the axis offset (the centre of rotation). */
static void
test_align_shifts (void)
{
  Phantom p;
  char why[256] = "";
  phantom_make (&p, 64, 1e4, 2.0);
  const size_t n = 64;
  PsTiltSeries *s = series_copy (p.ts);
  PsTestRng rng = { 5 };
  double *tx = g_new (double, s->n), *ty = g_new (double, s->n), *ex = g_new (double, s->n);
  for (size_t i = 0; i < s->n; i++)
    {
      tx[i] = 6.0 * (ps_test_rng_uniform (&rng) - 0.5);
      ty[i] = 6.0 * (ps_test_rng_uniform (&rng) - 0.5);
      const float *src = ps_tilt_series_image (p.ts, i);
      float *dst = ps_tilt_series_image (s, i);
      for (size_t y = 0; y < n; y++)
        for (size_t x = 0; x < n; x++)
          dst[y * n + x] = ps_sample_clamped (src, n, n, x - tx[i], y - ty[i]);
    }
  PsAlignParams ap;
  PsAlignResult ar;
  ps_align_params_init (&ap);
  g_assert_cmpint (ps_align_run (&ap, s, &ar, NULL, why, sizeof why), ==, PS_OK);
  double mean_dy = 0, max_ey = 0, rms_x;
  for (size_t i = 0; i < s->n; i++)
    {
      mean_dy += (s->shift_y[i] - ty[i]) / s->n;
      ex[i] = s->shift_x[i] - tx[i];
    }
  for (size_t i = 0; i < s->n; i++)
    max_ey = fmax (max_ey, fabs (s->shift_y[i] - ty[i] - mean_dy));
  double axis_err = fit_null_space (s->angles, ex, s->n, &rms_x);
  g_test_message ("alignment: x error beyond an object translation: rms %.3f px, axis offset error %.3f px; "
                  "y error max %.3f px (after the common %.3f); residual %.4f → %.4f", rms_x, axis_err, max_ey,
                  mean_dy, ar.residual_before, ar.residual_after);
  g_assert_cmpfloat (rms_x, <, 0.35);
  g_assert_cmpfloat (fabs (axis_err), <, 0.5);
  g_assert_cmpfloat (max_ey, <, 0.75);
  g_assert_cmpfloat (ar.residual_after, <, ar.residual_before);
  /* … and the aligned series reconstructs about as well as the unshifted,
   * once the invisible translation is taken out of the shifts. */
  for (size_t i = 0; i < s->n; i++)
    s->shift_y[i] -= mean_dy;
  {
    /* Remove X·cos θ + Z·sin θ (keep the axis-offset error in). */
    double rms;
    double *e2 = g_new (double, s->n);
    for (size_t i = 0; i < s->n; i++)
      e2[i] = ex[i];
    double d0 = fit_null_space (s->angles, e2, s->n, &rms);
    for (size_t i = 0; i < s->n; i++)
      e2[i] = ex[i] - d0;
    /* Refit without the constant: least squares of X, Z on e − δ. */
    double a11 = 0, a12 = 0, a22 = 0, b1 = 0, b2 = 0;
    for (size_t i = 0; i < s->n; i++)
      {
        double th = s->angles[i] * M_PI / 180, c = cos (th), sn = sin (th);
        a11 += c * c;
        a12 += c * sn;
        a22 += sn * sn;
        b1 += c * e2[i];
        b2 += sn * e2[i];
      }
    double det = a11 * a22 - a12 * a12, X = (b1 * a22 - b2 * a12) / det, Z = (a11 * b2 - a12 * b1) / det;
    for (size_t i = 0; i < s->n; i++)
      {
        double th = s->angles[i] * M_PI / 180;
        s->shift_x[i] -= X * cos (th) + Z * sin (th);
      }
    g_free (e2);
  }
  PsVolume *ref = run_wbp (p.ts, 2), *v = run_wbp (s, 2);
  double r_ref = pearson (ref->data, p.vol->data, n, n, n, p.R), r_al = pearson (v->data, p.vol->data, n, n, n, p.R);
  g_test_message ("Pearson r with the truth: unshifted %.4f, shifted and aligned %.4f", r_ref, r_al);
  g_assert_cmpfloat (r_al, >, r_ref - 0.03);
  ps_volume_unref (ref);
  ps_volume_unref (v);
  g_free (tx);
  g_free (ty);
  g_free (ex);
  ps_tilt_series_unref (s);
  phantom_clear (&p);
}

/* ---- bad input ---------------------------------------------------------------- */

static void
test_bad_input (void)
{
  PsStatus st;
  char why[256];
  PsWbpParams wp;
  PsSirtParams sp;
  PsVolume *v = NULL;
  PsTiltSeries *ts = ps_tilt_series_new (8, 8, 4, &st);
  const double good[] = { -30, -10, 10, 30 };
  ps_wbp_params_init (&wp);
  ps_sirt_params_init (&sp, PS_ITERATIVE_SIRT);

  memcpy (ts->angles, (double[]) { -30, -10, -10, 30 }, sizeof good);
  g_assert_cmpint (ps_wbp_run (&wp, ts, &v, NULL, why, sizeof why), ==, PS_ERROR_INVALID_PARAMETER);
  g_assert_nonnull (strstr (why, "duplicated"));
  memcpy (ts->angles, (double[]) { -30, 10, -10, 30 }, sizeof good);
  g_assert_cmpint (ps_sirt_run (&sp, ts, &v, NULL, NULL, why, sizeof why), ==, PS_ERROR_INVALID_PARAMETER);
  g_assert_nonnull (strstr (why, "monotonic"));
  memcpy (ts->angles, (double[]) { -30, -10, 10, 95 }, sizeof good);
  g_assert_cmpint (ps_wbp_validate (&wp, ts, why, sizeof why), ==, PS_ERROR_INVALID_PARAMETER);
  memcpy (ts->angles, good, sizeof good);
  g_assert_cmpint (ps_wbp_validate (&wp, ts, why, sizeof why), ==, PS_OK);
  ts->data[2 * 64 + 3 * 8 + 5] = NAN;
  g_assert_cmpint (ps_wbp_run (&wp, ts, &v, NULL, why, sizeof why), ==, PS_ERROR_INVALID_PARAMETER);
  g_assert_nonnull (strstr (why, "image 3"));
  g_assert_nonnull (strstr (why, "x = 5, y = 3"));
  ts->data[2 * 64 + 3 * 8 + 5] = INFINITY;
  g_assert_cmpint (ps_sirt_validate (&sp, ts, why, sizeof why), ==, PS_ERROR_INVALID_PARAMETER);
  ts->data[2 * 64 + 3 * 8 + 5] = 0;
  ts->shift_x[1] = NAN;
  g_assert_cmpint (ps_wbp_validate (&wp, ts, why, sizeof why), ==, PS_ERROR_INVALID_PARAMETER);
  ts->shift_x[1] = 0;
  wp.cutoff = 1.5;
  g_assert_cmpint (ps_wbp_validate (&wp, ts, why, sizeof why), ==, PS_ERROR_INVALID_PARAMETER);
  wp.cutoff = 0;
  sp.relaxation = 2.5;
  g_assert_cmpint (ps_sirt_validate (&sp, ts, why, sizeof why), ==, PS_ERROR_INVALID_PARAMETER);
  sp.relaxation = 0;
  sp.iterations = -1;
  g_assert_cmpint (ps_sirt_validate (&sp, ts, why, sizeof why), ==, PS_ERROR_INVALID_PARAMETER);
  sp.iterations = 0;
  /* Zero-size series. */
  PsTiltSeries empty = { 0 };
  empty.angles = (double *) good;
  g_assert_cmpint (ps_recon_check_series (&empty, why, sizeof why), ==, PS_ERROR_INVALID_PARAMETER);
  g_assert_nonnull (strstr (why, "empty"));
  g_assert_null (ps_tilt_series_new (0, 8, 4, &st));
  /* An absurd thickness is refused before allocating. */
  wp.thickness = (size_t) 1 << 40;
  g_assert_cmpint (ps_wbp_validate (&wp, ts, why, sizeof why), ==, PS_ERROR_TOO_LARGE);
  /* Projector: non-finite voxels and bad angles. */
  PsVolume *vol = ps_volume_new (8, 8, 8, &st);
  PsProjectParams pj = { good, 4, 1 };
  PsTiltSeries *out = NULL;
  vol->data[77] = NAN;
  g_assert_cmpint (ps_project_run (&pj, vol, &out, NULL, why, sizeof why), ==, PS_ERROR_INVALID_PARAMETER);
  g_assert_null (out);
  vol->data[77] = 0;
  pj.n_angles = 0;
  g_assert_cmpint (ps_project_validate (&pj, vol, why, sizeof why), ==, PS_ERROR_INVALID_PARAMETER);
  /* Phantom parameters. */
  PsPhantomParams pp;
  ps_phantom_params_init (&pp);
  pp.porosity = 1.5;
  g_assert_cmpint (ps_phantom_validate (&pp, why, sizeof why), ==, PS_ERROR_INVALID_PARAMETER);
  ps_phantom_params_init (&pp);
  pp.pore_diameter_nm = 0.1;
  g_assert_cmpint (ps_phantom_validate (&pp, why, sizeof why), ==, PS_ERROR_INVALID_PARAMETER);
  /* Constant and one-pixel-high images reconstruct without trouble. */
  for (size_t i = 0; i < 8 * 8 * 4; i++)
    ts->data[i] = 3.0f;
  g_assert_cmpint (ps_wbp_run (&wp, ts, &v, NULL, why, sizeof why), ==, PS_ERROR_TOO_LARGE);
  wp.thickness = 0;
  g_assert_cmpint (ps_wbp_run (&wp, ts, &v, NULL, why, sizeof why), ==, PS_OK);
  for (size_t i = 0; i < 8 * 8 * 8; i++)
    g_assert_true (isfinite (v->data[i]));
  ps_volume_unref (v);
  PsTiltSeries *thin = ps_tilt_series_new (16, 1, 4, &st);
  memcpy (thin->angles, good, sizeof good);
  g_assert_cmpint (ps_sirt_run (&sp, thin, &v, NULL, NULL, why, sizeof why), ==, PS_OK);
  g_assert_cmpuint (v->ny, ==, 1);
  ps_volume_unref (v);
  ps_tilt_series_unref (thin);
  ps_volume_unref (vol);
  ps_tilt_series_unref (ts);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/core/recon/fft/dft", test_fft);
  g_test_add_func ("/core/recon/project/gaussian", test_project_gaussian);
  g_test_add_func ("/core/recon/project/slab", test_project_slab);
  g_test_add_func ("/core/recon/project/adjoint", test_project_adjoint);
  g_test_add_func ("/core/recon/wbp/filter", test_wbp_filter);
  g_test_add_func ("/core/recon/wbp/weights", test_wbp_weights);
  g_test_add_func ("/core/recon/wbp/gaussian", test_wbp_gaussian);
  g_test_add_func ("/core/recon/phantom/truth", test_phantom_truth);
  g_test_add_func ("/core/recon/phantom/poisson", test_poisson);
  g_test_add_func ("/core/recon/phantom/tilt", test_phantom_tilt);
  g_test_add_func ("/core/recon/sirt/phantom", test_sirt_phantom);
  g_test_add_func ("/core/recon/sirt/preview", test_sirt_preview);
  g_test_add_func ("/core/recon/threads", test_threads);
  g_test_add_func ("/core/recon/cancel", test_cancel);
  g_test_add_func ("/core/recon/progress", test_progress);
  g_test_add_func ("/core/recon/axis/rot90", test_axis_rot90);
  g_test_add_func ("/core/recon/axis/shifts", test_axis_shifts);
  g_test_add_func ("/core/recon/align/shifts", test_align_shifts);
  g_test_add_func ("/core/recon/bad-input", test_bad_input);
  return g_test_run ();
}
