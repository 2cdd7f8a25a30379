/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Tilt-series alignment; see ps-align.h. */
#include "ps-align.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ps-fft.h"
#include "ps-memory.h"
#include "ps-project.h"
#include "ps-recon-private.h"
#include "ps-sirt.h"

void
ps_align_params_init (PsAlignParams *p)
{
  memset (p, 0, sizeof *p);
  p->shifts = true;
  p->axis_offset = true;
  p->axis_angle = false;
  p->max_size = 256;
  p->refine_rounds = 2;
}

/* ---- binned, aligned images ------------------------------------------------ */

/* The aligned frame of @ts for direction @phi (degrees), binned by @b:
 * pixel (X, Y) averages b × b samples of the raw image at
 * c + R(φ)·(b·(X − c_b) + k − (b−1)/2, …) + s_i, so binning keeps the
 * geometric centre exactly. @sx, @sy: raw-pixel shifts per image. */
static PsTiltSeries *
binned_series (const PsTiltSeries *ts, double phi, const double *sx, const double *sy, int b,
               int n_threads, PsStatus *st)
{
  double c, s;
  size_t nxa, nya;
  ps_cos_sin_deg (phi, &c, &s);
  if (fabs (c) >= fabs (s))
    {
      nxa = ts->nx;
      nya = ts->ny;
    }
  else
    {
      nxa = ts->ny;
      nya = ts->nx;
    }
  const size_t nxb = nxa / (size_t) b, nyb = nya / (size_t) b;
  if (nxb < 2 || nyb < 1)
    {
      *st = PS_ERROR_INVALID_PARAMETER;
      return NULL;
    }
  PsTiltSeries *out = ps_tilt_series_new (nxb, nyb, ts->n, st);
  if (out == NULL)
    return NULL;
  memcpy (out->angles, ts->angles, ts->n * sizeof (double));
  out->pixel_size[0] = ts->pixel_size[0] * b;
  out->pixel_size[1] = ts->pixel_size[1] * b;
  const double cx = 0.5 * (double) (ts->nx - 1), cy = 0.5 * (double) (ts->ny - 1);
  const double cbx = 0.5 * (double) (nxb - 1), cby = 0.5 * (double) (nyb - 1);
  const double off = 0.5 * (double) (b - 1);
  const float norm = 1.0f / (float) (b * b);
#pragma omp parallel for num_threads(n_threads) schedule(dynamic, 1)
  for (size_t i = 0; i < ts->n; i++)
    {
      const float *img = ps_tilt_series_image (ts, i);
      float *dst = ps_tilt_series_image (out, i);
      const double ox = sx ? sx[i] : 0.0, oy = sy ? sy[i] : 0.0;
      for (size_t Y = 0; Y < nyb; Y++)
        for (size_t X = 0; X < nxb; X++)
          {
            float acc = 0.0f;
            for (int l = 0; l < b; l++)
              for (int k = 0; k < b; k++)
                {
                  double px = (double) b * ((double) X - cbx) + k - off;
                  double py = (double) b * ((double) Y - cby) + l - off;
                  acc += ps_sample_clamped (img, ts->nx, ts->ny, cx + c * px - s * py + ox,
                                            cy + s * px + c * py + oy);
                }
            dst[Y * nxb + X] = acc * norm;
          }
    }
  *st = PS_OK;
  return out;
}

/* ---- 2D FFT (power-of-two sizes), on separate re/im planes ------------------ */

typedef struct
{
  size_t w, h;
  PsFft *fw, *fh;
} Fft2;

static bool
fft2_init (Fft2 *f, size_t w, size_t h)
{
  f->w = w;
  f->h = h;
  f->fw = ps_fft_new (w);
  f->fh = ps_fft_new (h);
  return f->fw && f->fh;
}

static void
fft2_clear (Fft2 *f)
{
  ps_fft_free (f->fw);
  ps_fft_free (f->fh);
}

/* In place; @lr/@li are scratch of max(w, h) × PS_FFT_LANES floats. */
static void
fft2 (const Fft2 *f, float *re, float *im, bool inverse, float *lr, float *li)
{
  const size_t w = f->w, h = f->h, L = PS_FFT_LANES;
  for (size_t y0 = 0; y0 < h; y0 += L)
    {
      for (size_t l = 0; l < L; l++)
        for (size_t x = 0; x < w; x++)
          {
            size_t y = y0 + l;
            lr[x * L + l] = y < h ? re[y * w + x] : 0.0f;
            li[x * L + l] = y < h ? im[y * w + x] : 0.0f;
          }
      ps_fft_lanes (f->fw, lr, li, inverse);
      for (size_t l = 0; l < L && y0 + l < h; l++)
        for (size_t x = 0; x < w; x++)
          {
            re[(y0 + l) * w + x] = lr[x * L + l];
            im[(y0 + l) * w + x] = li[x * L + l];
          }
    }
  for (size_t x0 = 0; x0 < w; x0 += L)
    {
      for (size_t y = 0; y < h; y++)
        for (size_t l = 0; l < L; l++)
          {
            size_t x = x0 + l;
            lr[y * L + l] = x < w ? re[y * w + x] : 0.0f;
            li[y * L + l] = x < w ? im[y * w + x] : 0.0f;
          }
      ps_fft_lanes (f->fh, lr, li, inverse);
      for (size_t y = 0; y < h; y++)
        for (size_t l = 0; l < L && x0 + l < w; l++)
          {
            re[y * w + x0 + l] = lr[y * L + l];
            im[y * w + x0 + l] = li[y * L + l];
          }
    }
}

/* ---- cross-correlation --------------------------------------------------------- */

typedef struct
{
  Fft2 fft;
  size_t nx, ny;          /* image size */
  float *filter;          /* w × h band-pass */
  float *ar, *ai, *br, *bi, *lr, *li;
} Xcorr;

static void
xcorr_clear (Xcorr *x)
{
  fft2_clear (&x->fft);
  ps_aligned_free (x->filter);
  ps_aligned_free (x->ar);
  ps_aligned_free (x->ai);
  ps_aligned_free (x->br);
  ps_aligned_free (x->bi);
  ps_aligned_free (x->lr);
  ps_aligned_free (x->li);
  memset (x, 0, sizeof *x);
}

static bool
xcorr_init (Xcorr *x, size_t nx, size_t ny)
{
  memset (x, 0, sizeof *x);
  size_t w = ps_fft_next_pow2 (nx + nx / 2), h = ps_fft_next_pow2 (ny + ny / 2);
  if (w < 8) w = 8;
  if (h < 8) h = 8;
  x->nx = nx;
  x->ny = ny;
  if (!fft2_init (&x->fft, w, h))
    return false;
  size_t plane = w * h * sizeof (float), line = (w > h ? w : h) * PS_FFT_LANES * sizeof (float);
  x->filter = ps_aligned_alloc (plane);
  x->ar = ps_aligned_alloc (plane);
  x->ai = ps_aligned_alloc (plane);
  x->br = ps_aligned_alloc (plane);
  x->bi = ps_aligned_alloc (plane);
  x->lr = ps_aligned_alloc (line);
  x->li = ps_aligned_alloc (line);
  if (!x->filter || !x->ar || !x->ai || !x->br || !x->bi || !x->lr || !x->li)
    return false;
  /* Band-pass in cycles per pixel: Gaussian low-pass (σ = 0.12) against
   * noise, Gaussian high-pass (σ = 0.01) against slow intensity gradients. */
  for (size_t ky = 0; ky < h; ky++)
    for (size_t kx = 0; kx < w; kx++)
      {
        double fx = (double) (kx <= w / 2 ? kx : w - kx) / (double) w;
        double fy = (double) (ky <= h / 2 ? ky : h - ky) / (double) h;
        double f2 = fx * fx + fy * fy;
        x->filter[ky * w + kx] = (float) (exp (-f2 / (2 * 0.12 * 0.12)) * (1.0 - exp (-f2 / (2 * 0.01 * 0.01))));
      }
  return true;
}

/* Mean-free, edge-tapered copy of @img into the padded planes. */
static void
xcorr_load (const Xcorr *x, const float *img, float *re, float *im)
{
  const size_t w = x->fft.w, h = x->fft.h, nx = x->nx, ny = x->ny;
  double mean = 0.0;
  for (size_t i = 0; i < nx * ny; i++)
    mean += img[i];
  mean /= (double) (nx * ny);
  memset (re, 0, w * h * sizeof (float));
  memset (im, 0, w * h * sizeof (float));
  const double tx = fmax (1.0, 0.1 * (double) nx), ty = fmax (1.0, 0.1 * (double) ny);
  for (size_t y = 0; y < ny; y++)
    {
      double dy = fmin ((double) y + 0.5, (double) ny - 0.5 - (double) y);
      double wy = dy < ty ? 0.5 - 0.5 * cos (M_PI * dy / ty) : 1.0;
      for (size_t xx = 0; xx < nx; xx++)
        {
          double dx = fmin ((double) xx + 0.5, (double) nx - 0.5 - (double) xx);
          double wx = dx < tx ? 0.5 - 0.5 * cos (M_PI * dx / tx) : 1.0;
          re[y * w + xx] = (float) (((double) img[y * nx + xx] - mean) * wx * wy);
        }
    }
}

/* Shift (dx, dy) that best maps @b onto @a: b(x + dx, y + dy) ≈ a(x, y),
 * searched within ±max_shift pixels; sub-pixel by parabolas. */
static void
xcorr_shift (Xcorr *x, const float *a, const float *b, double max_shift, double *dx, double *dy)
{
  const size_t w = x->fft.w, h = x->fft.h;
  xcorr_load (x, a, x->ar, x->ai);
  xcorr_load (x, b, x->br, x->bi);
  fft2 (&x->fft, x->ar, x->ai, false, x->lr, x->li);
  fft2 (&x->fft, x->br, x->bi, false, x->lr, x->li);
  /* B · conj(A): its inverse peaks at the displacement of b relative to a. */
  for (size_t k = 0; k < w * h; k++)
    {
      float r = x->br[k] * x->ar[k] + x->bi[k] * x->ai[k];
      float i = x->bi[k] * x->ar[k] - x->br[k] * x->ai[k];
      x->br[k] = r * x->filter[k];
      x->bi[k] = i * x->filter[k];
    }
  fft2 (&x->fft, x->br, x->bi, true, x->lr, x->li);
  long m = (long) max_shift;
  if (m > (long) w / 2 - 2) m = (long) w / 2 - 2;
  if (m > (long) h / 2 - 2 && h > 4) m = (long) h / 2 - 2;
  if (m < 1) m = 1;
  long bx = 0, by = 0;
  float best = -INFINITY;
#define CC(X, Y) (x->br[(((Y) + (long) h) % (long) h) * (long) w + (((X) + (long) w) % (long) w)])
  for (long yy = -m; yy <= m; yy++)
    for (long xx = -m; xx <= m; xx++)
      if (CC (xx, yy) > best)
        {
          best = CC (xx, yy);
          bx = xx;
          by = yy;
        }
  double fx = 0.0, fy = 0.0;
  {
    double l = CC (bx - 1, by), c = CC (bx, by), r = CC (bx + 1, by);
    double den = l - 2 * c + r;
    if (den < 0)
      fx = 0.5 * (l - r) / den;
    l = CC (bx, by - 1);
    r = CC (bx, by + 1);
    den = l - 2 * c + r;
    if (den < 0)
      fy = 0.5 * (l - r) / den;
  }
#undef CC
  /* IFFT(B·conj A)(τ) = Σ_x a(x)·b(x + τ): it peaks at the τ = d with
   * b(x + d) ≈ a(x). */
  *dx = (double) bx + fmax (-0.5, fmin (0.5, fx));
  *dy = (double) by + fmax (-0.5, fmin (0.5, fy));
}

/* Neighbour shifts on a binned aligned series: per image (t, u) in binned
 * pixels such that image_j(x + t_j, y + u_j) is drift-free. */
static PsStatus
neighbour_shifts (const PsTiltSeries *bs, double *t, double *u, const PsProgress *progress)
{
  Xcorr x;
  const size_t nx = bs->nx, ny = bs->ny, n = bs->n;
  size_t ref = 0;
  float *stretched = malloc (nx * ny * sizeof (float));
  PsStatus st = PS_OK;

  if (!xcorr_init (&x, nx, ny) || stretched == NULL)
    {
      xcorr_clear (&x);
      free (stretched);
      return PS_ERROR_NO_MEMORY;
    }
  for (size_t i = 1; i < n; i++)
    if (fabs (bs->angles[i]) < fabs (bs->angles[ref]))
      ref = i;
  t[ref] = u[ref] = 0.0;
  const double c = 0.5 * (double) (nx - 1);
  const double max_shift = 0.25 * (double) (nx > ny ? nx : ny);
  for (int dir = -1; dir <= 1; dir += 2)
    for (long j = (long) ref + dir; j >= 0 && j < (long) n; j += dir)
      {
        size_t i = (size_t) (j - dir);
        if (ps_progress_cancelled (progress))
          {
            st = PS_ERROR_CANCELLED;
            goto out;
          }
        double ci = cos (bs->angles[i] * M_PI / 180.0), cj = cos (bs->angles[(size_t) j] * M_PI / 180.0);
        double s = (cj > 0.05 && ci > 0.05) ? ci / cj : 1.0;
        if (s < 0.5) s = 0.5;
        if (s > 2.0) s = 2.0;
        /* Stretch image j about the centre so its content matches image i. */
        const float *img = ps_tilt_series_image (bs, (size_t) j);
        for (size_t y = 0; y < ny; y++)
          for (size_t xx = 0; xx < nx; xx++)
            stretched[y * nx + xx] = ps_sample_clamped (img, nx, ny, c + ((double) xx - c) / s, (double) y);
        /* Compare with image i as corrected so far. */
        double dx, dy;
        xcorr_shift (&x, ps_tilt_series_image (bs, i), stretched, max_shift, &dx, &dy);
        /* Stretched(x + dx) ≈ A_i(x); see the derivation in the docs:
         * t_j = (t_i + dx)/s, u_j = u_i + dy. */
        t[j] = (t[i] + dx) / s;
        u[j] = u[i] + dy;
      }
out:
  xcorr_clear (&x);
  free (stretched);
  return st;
}

/* ---- the consistency residual -------------------------------------------- */

/* Rows @rows of the binned series @bs, every image shifted by
 * (t_i + delta, u_i) binned pixels (bilinear, clamped edges). */
static PsTiltSeries *
shifted_rows (const PsTiltSeries *bs, const double *t, const double *u, double delta, const size_t *rows,
              size_t n_rows, PsStatus *st)
{
  PsTiltSeries *mini = ps_tilt_series_new (bs->nx, n_rows, bs->n, st);
  if (mini == NULL)
    return NULL;
  memcpy (mini->angles, bs->angles, bs->n * sizeof (double));
  for (size_t i = 0; i < bs->n; i++)
    {
      const float *img = ps_tilt_series_image (bs, i);
      float *dst = ps_tilt_series_image (mini, i);
      for (size_t r = 0; r < n_rows; r++)
        for (size_t x = 0; x < bs->nx; x++)
          dst[r * bs->nx + x] = ps_sample_clamped (img, bs->nx, bs->ny, (double) x + (t ? t[i] : 0.0) + delta,
                                                   (double) (rows ? rows[r] : r) + (u ? u[i] : 0.0));
    }
  return mini;
}

/* SIRT on rows @rows of the binned series @bs with every image shifted by
 * (t_i + delta, u_i) binned pixels; returns the last relative residual. */
static PsStatus
consistency (const PsTiltSeries *bs, const double *t, const double *u, double delta,
             const size_t *rows, size_t n_rows, int iterations, int n_threads, double *residual)
{
  PsStatus st;
  PsTiltSeries *mini = shifted_rows (bs, t, u, delta, rows, n_rows, &st);
  if (mini == NULL)
    return st;
  PsSirtParams sp;
  ps_sirt_params_init (&sp, PS_ITERATIVE_SIRT);
  sp.iterations = iterations;
  sp.n_threads = n_threads;
  /* No positivity: real HAADF data carry contrast the linear model cannot
   * hold (diffraction, background), and clamping it away makes the residual
   * depend on how much of that there is rather than on the geometry. */
  sp.nonnegative = false;
  double *res = malloc ((size_t) iterations * sizeof (double));
  PsVolume *vol = NULL;
  if (res == NULL)
    {
      ps_tilt_series_unref (mini);
      return PS_ERROR_NO_MEMORY;
    }
  st = ps_sirt_run (&sp, mini, &vol, res, NULL, NULL, 0);
  if (st == PS_OK)
    *residual = res[iterations - 1];
  ps_volume_unref (vol);
  free (res);
  ps_tilt_series_unref (mini);
  return st;
}

/* Projection matching (e.g. Dengler, Ultramicroscopy 30:337, 1989): each
 * image is registered against the reprojection of a reconstruction from
 * the current alignment, which has the same parallax as the image, unlike
 * its neighbour. One round: SIRT (15 iterations) of the whole binned
 * series, reproject, cross-correlate, update (t, u). */
static PsStatus
projection_matching (const PsTiltSeries *bs, double *t, double *u, int n_threads, const PsProgress *progress)
{
  PsStatus st;
  PsTiltSeries *cur = shifted_rows (bs, t, u, 0.0, NULL, bs->ny, &st);
  PsVolume *vol = NULL;
  PsTiltSeries *proj = NULL;
  Xcorr x;
  memset (&x, 0, sizeof x);
  if (cur == NULL)
    return st;
  PsSirtParams sp;
  ps_sirt_params_init (&sp, PS_ITERATIVE_SIRT);
  sp.iterations = 15;
  sp.n_threads = n_threads;
  if ((st = ps_sirt_run (&sp, cur, &vol, NULL, progress, NULL, 0)) != PS_OK)
    goto out;
  PsProjectParams pp = { bs->angles, bs->n, n_threads };
  if ((st = ps_project_run (&pp, vol, &proj, progress, NULL, 0)) != PS_OK)
    goto out;
  if (!xcorr_init (&x, bs->nx, bs->ny))
    {
      st = PS_ERROR_NO_MEMORY;
      goto out;
    }
  for (size_t i = 0; i < bs->n; i++)
    {
      double dx, dy;
      xcorr_shift (&x, ps_tilt_series_image (proj, i), ps_tilt_series_image (cur, i), 0.1 * (double) bs->nx + 2,
                   &dx, &dy);
      /* cur_i(x) = A_i(x + t_i); cur_i(x + d) ≈ proj_i(x). */
      t[i] += dx;
      u[i] += dy;
    }
out:
  xcorr_clear (&x);
  ps_volume_unref (vol);
  ps_tilt_series_unref (proj);
  ps_tilt_series_unref (cur);
  return st;
}

/* @n rows spread evenly over the central 80 % of @ny. */
static size_t
pick_rows (size_t ny, size_t n, size_t *rows)
{
  if (n == 0 || n >= ny)
    {
      for (size_t r = 0; r < ny; r++)
        rows[r] = r;
      return ny;
    }
  size_t lo = ny / 10, hi = ny - 1 - ny / 10;
  for (size_t k = 0; k < n; k++)
    rows[k] = lo + (size_t) llround ((double) (hi - lo) * ((double) k + 0.5) / (double) n);
  return n;
}

PsStatus
ps_align_consistency (const PsTiltSeries *ts, int bin, size_t n_slices, int iterations, int n_threads,
                      double *residual)
{
  PsStatus st;
  if (bin < 1 || iterations < 1)
    return PS_ERROR_INVALID_PARAMETER;
  PsTiltSeries *bs = binned_series (ts, ts->tilt_axis_deg, ts->shift_x, ts->shift_y, bin,
                                    ps_recon_threads (n_threads), &st);
  if (bs == NULL)
    return st;
  size_t *rows = malloc (bs->ny * sizeof (size_t));
  if (rows == NULL)
    {
      ps_tilt_series_unref (bs);
      return PS_ERROR_NO_MEMORY;
    }
  size_t n = pick_rows (bs->ny, n_slices, rows);
  st = consistency (bs, NULL, NULL, 0.0, rows, n, iterations, n_threads, residual);
  free (rows);
  ps_tilt_series_unref (bs);
  return st;
}

/* First estimate of the axis offset from the projections' centres of mass
 * (Helgason–Ludwig order 1): after drift correction the centre of mass of
 * image i lies at c + X·cos θ_i + Z·sin θ_i + δ for an object centred at
 * (X, Z) relative to an axis δ pixels off the centre; a least-squares fit
 * of (X, Z, δ) over all angles separates δ from the sinusoid whenever the
 * range is wide enough for cos θ to vary. The background (a low percentile
 * of each image) is subtracted first. Returns false when the fit is
 * ill-conditioned (then δ = 0). */
static bool
cm_offset (const PsTiltSeries *bs, const double *t, double *delta)
{
  const size_t nx = bs->nx, ny = bs->ny, n = bs->n;
  double M[3][3] = { { 0 } }, v[3] = { 0 };
  float *sorted = malloc (nx * ny * sizeof (float));
  if (sorted == NULL)
    return false;
  for (size_t i = 0; i < n; i++)
    {
      const float *img = ps_tilt_series_image (bs, i);
      memcpy (sorted, img, nx * ny * sizeof (float));
      /* 5th percentile as the background level. */
      size_t k = (nx * ny) / 20;
      float lo = sorted[0];
      {
        /* partial selection by a simple nth-element */
        size_t l = 0, r = nx * ny - 1;
        while (l < r)
          {
            float pivot = sorted[(l + r) / 2];
            size_t a = l, b = r;
            while (a <= b)
              {
                while (sorted[a] < pivot) a++;
                while (sorted[b] > pivot) b--;
                if (a <= b)
                  {
                    float tmp = sorted[a];
                    sorted[a] = sorted[b];
                    sorted[b] = tmp;
                    a++;
                    if (b == 0) break;
                    b--;
                  }
              }
            if (k <= b) r = b;
            else if (k >= a) l = a;
            else break;
          }
        lo = sorted[k];
      }
      double m0 = 0, m1 = 0;
      for (size_t y = 0; y < ny; y++)
        for (size_t x = 0; x < nx; x++)
          {
            double w = (double) img[y * nx + x] - lo;
            if (w > 0)
              {
                m0 += w;
                m1 += w * (double) x;
              }
          }
      if (!(m0 > 0))
        continue;
      double cm = m1 / m0 - 0.5 * (double) (nx - 1) - t[i];
      double th = bs->angles[i] * M_PI / 180.0;
      double f[3] = { cos (th), sin (th), 1.0 };
      for (int r = 0; r < 3; r++)
        {
          v[r] += f[r] * cm;
          for (int c = 0; c < 3; c++)
            M[r][c] += f[r] * f[c];
        }
    }
  free (sorted);
  /* Solve the 3 × 3 normal equations (Cramer). */
  double det = M[0][0] * (M[1][1] * M[2][2] - M[1][2] * M[2][1]) - M[0][1] * (M[1][0] * M[2][2] - M[1][2] * M[2][0]) +
               M[0][2] * (M[1][0] * M[2][1] - M[1][1] * M[2][0]);
  double scale = M[0][0] * M[1][1] * M[2][2];
  if (!(fabs (det) > 1e-6 * fabs (scale)))
    {
      *delta = 0.0;
      return false;
    }
  double d3 = M[0][0] * (M[1][1] * v[2] - v[1] * M[2][1]) - M[0][1] * (M[1][0] * v[2] - v[1] * M[2][0]) +
              v[0] * (M[1][0] * M[2][1] - M[1][1] * M[2][0]);
  *delta = d3 / det;
  return isfinite (*delta);
}

/* Minimise J(δ) by walking downhill in steps of @step from @start (at most
 * ±@range), then a parabola through the best three. */
static PsStatus
search_offset (const PsTiltSeries *bs, const double *t, const double *u, const size_t *rows, size_t n_rows,
               int iterations, int n_threads, double start, double range, double step,
               double *best_delta, double *best_value, const PsProgress *progress)
{
  PsStatus st;
  double vals[3], centre = start;
  for (int k = -1; k <= 1; k++)
    {
      if (ps_progress_cancelled (progress))
        return PS_ERROR_CANCELLED;
      if ((st = consistency (bs, t, u, centre + k * step, rows, n_rows, iterations, n_threads, &vals[k + 1])) != PS_OK)
        return st;
    }
  for (int moves = 0; moves < 64; moves++)
    {
      int dir = 0;
      if (vals[0] < vals[1] && vals[0] <= vals[2])
        dir = -1;
      else if (vals[2] < vals[1])
        dir = 1;
      if (dir == 0 || fabs (centre + dir * step - start) > range)
        break;
      centre += dir * step;
      if (dir < 0)
        {
          vals[2] = vals[1];
          vals[1] = vals[0];
        }
      else
        {
          vals[0] = vals[1];
          vals[1] = vals[2];
        }
      if (ps_progress_cancelled (progress))
        return PS_ERROR_CANCELLED;
      int k = dir < 0 ? 0 : 2;
      if ((st = consistency (bs, t, u, centre + dir * step, rows, n_rows, iterations, n_threads, &vals[k])) != PS_OK)
        return st;
    }
  double den = vals[0] - 2 * vals[1] + vals[2];
  double frac = den > 0 ? 0.5 * (vals[0] - vals[2]) / den : 0.0;
  if (frac > 0.5) frac = 0.5;
  if (frac < -0.5) frac = -0.5;
  *best_delta = centre + frac * step;
  *best_value = vals[1] - 0.25 * (vals[0] - vals[2]) * frac;
  return PS_OK;
}

/* Shifts and axis offset for one direction φ at binning @b; fills t, u
 * (binned aligned pixels, offset included) and the residual reached. */
static PsStatus
align_direction (const PsTiltSeries *ts, double phi, int b, bool do_shifts, bool do_offset, bool walk,
                 size_t n_slices, int iterations, int refine_rounds, int n_threads, double *t, double *u, double *delta_out, double *residual,
                 const PsProgress *progress)
{
  PsStatus st;
  PsTiltSeries *bs = binned_series (ts, phi, NULL, NULL, b, n_threads, &st);
  if (bs == NULL)
    return st;
  for (size_t i = 0; i < ts->n; i++)
    t[i] = u[i] = 0.0;
  if (do_shifts && (st = neighbour_shifts (bs, t, u, progress)) != PS_OK)
    goto out;
  size_t *rows = malloc (bs->ny * sizeof (size_t));
  if (rows == NULL)
    {
      st = PS_ERROR_NO_MEMORY;
      goto out;
    }
  size_t nr = pick_rows (bs->ny, n_slices, rows);
  double delta = 0.0, value;
  const double range = fmax (3.0, floor ((double) bs->nx / 6.0));
  if (do_offset)
    {
      double start = 0.0;
      cm_offset (bs, t, &start);
      if (fabs (start) > range)
        start = 0.0;
      if (walk)
        st = search_offset (bs, t, u, rows, nr, iterations, n_threads, start, range, 1.0, &delta, &value, progress);
      else
        {
          delta = start;
          st = consistency (bs, t, u, delta, rows, nr, iterations, n_threads, &value);
        }
    }
  else
    st = consistency (bs, t, u, 0.0, rows, nr, iterations, n_threads, &value);
  /* Refine the shifts by projection matching, then the offset again (the
   * reference of the shifts may have moved). */
  for (int round = 0; st == PS_OK && do_shifts && round < refine_rounds; round++)
    {
      for (size_t i = 0; i < ts->n; i++)
        t[i] += delta;
      if ((st = projection_matching (bs, t, u, n_threads, progress)) != PS_OK)
        break;
      for (size_t i = 0; i < ts->n; i++)
        t[i] -= delta;
      if (do_offset)
        st = search_offset (bs, t, u, rows, nr, iterations, n_threads, delta, range, 1.0, &delta, &value, progress);
      else
        st = consistency (bs, t, u, 0.0, rows, nr, iterations, n_threads, &value);
    }
  free (rows);
  if (st != PS_OK)
    goto out;
  for (size_t i = 0; i < ts->n; i++)
    t[i] += delta;
  *delta_out = delta;
  *residual = value;
out:
  ps_tilt_series_unref (bs);
  return st;
}

PsStatus
ps_align_run (const PsAlignParams *params, PsTiltSeries *ts, PsAlignResult *result,
              const PsProgress *progress, char *why, size_t why_len)
{
  PsStatus st;
  PsAlignResult res = { 0 };
  double *t = NULL, *u = NULL;
  const int n_threads = ps_recon_threads (params ? params->n_threads : 0);

  if (params == NULL)
    return PS_ERROR_INVALID_PARAMETER;
  for (size_t i = 0; ts && i < ts->n; i++)
    ts->shift_x[i] = ts->shift_y[i] = 0.0;
  if ((st = ps_recon_check_series (ts, why, why_len)) != PS_OK)
    return st;
  if (ts->n < 2)
    {
      ps_set_why (why, why_len, "alignment needs at least two images");
      return PS_ERROR_INVALID_PARAMETER;
    }
  size_t max_size = params->max_size ? params->max_size : 256;
  if (max_size < 16)
    max_size = 16;
  size_t big = ts->nx > ts->ny ? ts->nx : ts->ny;
  int b = (int) ((big + max_size - 1) / max_size);
  if (b < 1)
    b = 1;
  if (ts->nx / (size_t) b < 8 || ts->ny / (size_t) b < 8)
    {
      ps_set_why (why, why_len, "images of %zu × %zu pixels are too small to align", ts->nx, ts->ny);
      return PS_ERROR_INVALID_PARAMETER;
    }
  t = calloc (ts->n, sizeof (double));
  u = calloc (ts->n, sizeof (double));
  if (t == NULL || u == NULL)
    {
      free (t);
      free (u);
      return PS_ERROR_NO_MEMORY;
    }
  const size_t n_slices = 16;
  /* SIRT must be close to convergence for its residual to measure the
   * consistency of the data rather than how far it got. */
  const int iterations = 40;
  double phi = ts->tilt_axis_deg, delta = 0.0, value = 0.0;

  if (params->axis_angle)
    {
      /* Coarse: every 10° of (−90, 90] at a coarser binning; then 2° and
       * 0.5° steps around the best. */
      int b2 = (int) ((big + 127) / 128);
      if (b2 < b)
        b2 = b;
      double best_phi = 0.0, best_v = INFINITY;
      const double steps[3] = { 10.0, 2.0, 0.5 };
      const int spans[3] = { 9, 4, 3 };
      const size_t level_slices[3] = { 8, 12, 16 };
      const int level_iterations[3] = { 25, 40, 40 };
      /* The two coarse levels take the axis offset from the centres of
       * mass; only the finest walks the residual for it. */
      const bool level_walk[3] = { false, false, true };
      double centre = 0.0;
      for (int level = 0; level < 3; level++)
        {
          for (int k = -spans[level]; k <= spans[level]; k++)
            {
              double cand = centre + k * steps[level];
              if (level == 0 && k == -spans[level])
                continue;  /* −90 and +90 are the same direction */
              if (ps_progress_cancelled (progress))
                {
                  st = PS_ERROR_CANCELLED;
                  goto out;
                }
              ps_progress_report (progress, 0.6 * (level + (k + spans[level]) / (2.0 * spans[level] + 1)) / 3.0,
                                  "searching the tilt-axis direction");
              double v = INFINITY, d = 0.0;
              st = align_direction (ts, cand, b2, params->shifts, params->axis_offset, level_walk[level], level_slices[level],
                                    level_iterations[level], 0, n_threads, t, u, &d, &v,
                                    progress);
              if (st != PS_OK)
                goto out;
              if (v < best_v)
                {
                  best_v = v;
                  best_phi = cand;
                }
            }
          centre = best_phi;
        }
      phi = remainder (best_phi, 180.0);
      if (phi <= -90.0)
        phi += 180.0;
    }
  ps_progress_report (progress, params->axis_angle ? 0.6 : 0.0, "aligning");

  /* Residual before: no shifts, the initial direction. */
  {
    PsTiltSeries *bs = binned_series (ts, ts->tilt_axis_deg, NULL, NULL, b, n_threads, &st);
    if (bs == NULL)
      goto out;
    size_t *rows = malloc (bs->ny * sizeof (size_t));
    if (rows == NULL)
      {
        ps_tilt_series_unref (bs);
        st = PS_ERROR_NO_MEMORY;
        goto out;
      }
    size_t nr = pick_rows (bs->ny, n_slices, rows);
    st = consistency (bs, NULL, NULL, 0.0, rows, nr, iterations, n_threads, &res.residual_before);
    free (rows);
    ps_tilt_series_unref (bs);
    if (st != PS_OK)
      goto out;
  }

  st = align_direction (ts, phi, b, params->shifts, params->axis_offset, true, n_slices, iterations, params->refine_rounds,
                        n_threads, t, u, &delta, &value, progress);
  if (st != PS_OK)
    goto out;

  /* Binned aligned-frame shifts → raw pixels: s = R(φ)·b·(t, u). */
  {
    double c, s;
    ps_cos_sin_deg (phi, &c, &s);
    double sum2 = 0.0;
    for (size_t i = 0; i < ts->n; i++)
      {
        double ax = b * t[i], ay = b * u[i];
        ts->shift_x[i] = c * ax - s * ay;
        ts->shift_y[i] = s * ax + c * ay;
        double m = hypot (ts->shift_x[i], ts->shift_y[i]);
        sum2 += m * m;
        if (m > res.max_shift_px)
          res.max_shift_px = m;
      }
    res.rms_shift_px = sqrt (sum2 / (double) ts->n);
  }
  ts->tilt_axis_deg = phi;
  res.tilt_axis_deg = phi;
  res.axis_offset_px = b * delta;
  res.bin = b;
  res.residual_after = value;
  ps_progress_report (progress, 1.0, NULL);
  if (result)
    *result = res;
  st = PS_OK;
out:
  if (st != PS_OK)
    for (size_t i = 0; i < ts->n; i++)
      ts->shift_x[i] = ts->shift_y[i] = 0.0;
  free (t);
  free (u);
  return st;
}
