/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Weighted back-projection; see ps-wbp.h. */
#include "ps-wbp.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ps-fft.h"
#include "ps-memory.h"
#include "ps-project.h"
#include "ps-recon-private.h"
#include "ps-size.h"

static const char *const filter_names[] = { "ramp", "shepp-logan", "cosine", "hann" };

const char *
ps_filter_type_to_string (PsFilterType type)
{
  if ((unsigned) type < sizeof filter_names / sizeof filter_names[0])
    return filter_names[type];
  return NULL;
}

bool
ps_filter_type_from_string (const char *name, PsFilterType *type)
{
  if (name == NULL)
    return false;
  for (unsigned i = 0; i < sizeof filter_names / sizeof filter_names[0]; i++)
    if (strcmp (name, filter_names[i]) == 0)
      {
        *type = (PsFilterType) i;
        return true;
      }
  if (strcmp (name, "shepp_logan") == 0 || strcmp (name, "shepplogan") == 0)
    {
      *type = PS_FILTER_SHEPP_LOGAN;
      return true;
    }
  if (strcmp (name, "hanning") == 0)
    {
      *type = PS_FILTER_HANN;
      return true;
    }
  return false;
}

void
ps_wbp_params_init (PsWbpParams *params)
{
  memset (params, 0, sizeof *params);
  params->filter = PS_FILTER_RAMP;
  params->cutoff = 1.0;
}

size_t
ps_wbp_fft_length (size_t width)
{
  size_t n = ps_fft_next_pow2 (2 * width);
  return n < 64 ? 64 : n;
}

void
ps_wbp_filter_response (PsFilterType type, double cutoff, size_t n, double *H)
{
  if (!(cutoff > 0.0 && cutoff <= 1.0))
    cutoff = 1.0;
  /* Ramp: the DFT of the band-limited spatial kernel (Kak & Slaney eq. 3.61),
   * an even sequence, so H[k] = h0 + 2 Σ_{m odd < n/2} h(m) cos(2πkm/n). */
  for (size_t k = 0; k <= n / 2; k++)
    {
      double acc = 0.25;
      for (size_t m = 1; m < n / 2; m += 2)
        acc += 2.0 * (-1.0 / (M_PI * M_PI * (double) m * (double) m)) *
               cos (2.0 * M_PI * (double) ((k * m) % n) / (double) n);
      H[k] = acc;
    }
  for (size_t k = n / 2 + 1; k < n; k++)
    H[k] = H[n - k];

  /* Apodisation as a function of ν = |frequency| in cycles per pixel
   * (0 … 0.5), stretched so that it reaches its end at cutoff × 0.5. */
  for (size_t k = 0; k < n; k++)
    {
      double nu = (double) (k <= n / 2 ? k : n - k) / (double) n;
      double x = nu / cutoff; /* 0 … 0.5 inside the band */
      double w;
      if (x > 0.5 + 1e-12)
        w = 0.0;
      else
        switch (type)
          {
          case PS_FILTER_SHEPP_LOGAN:
            w = x > 0 ? sin (M_PI * x) / (M_PI * x) : 1.0;
            break;
          case PS_FILTER_COSINE:
            w = cos (M_PI * x);
            break;
          case PS_FILTER_HANN:
            w = 0.5 * (1.0 + cos (2.0 * M_PI * x));
            break;
          case PS_FILTER_RAMP:
          default:
            w = 1.0;
            break;
          }
      H[k] *= w;
    }
}

PsStatus
ps_wbp_validate (const PsWbpParams *params, const PsTiltSeries *ts, char *why, size_t why_len)
{
  PsStatus st;
  size_t nx, ny, nz, bytes;

  if (params == NULL)
    {
      ps_set_why (why, why_len, "no parameters");
      return PS_ERROR_INVALID_PARAMETER;
    }
  if (ps_filter_type_to_string (params->filter) == NULL)
    {
      ps_set_why (why, why_len, "unknown filter");
      return PS_ERROR_INVALID_PARAMETER;
    }
  if (params->cutoff != 0.0 && !(params->cutoff > 0.0 && params->cutoff <= 1.0))
    {
      ps_set_why (why, why_len, "the filter cut-off must lie in (0, 1] (a fraction of Nyquist), not %g",
                  params->cutoff);
      return PS_ERROR_INVALID_PARAMETER;
    }
  if ((st = ps_recon_check_series (ts, why, why_len)) != PS_OK)
    return st;
  ps_recon_frame_size (ts, &nx, &ny);
  nz = params->thickness ? params->thickness : nx;
  if (!ps_size_voxels_bytes (nx, ny, nz, sizeof (float), &bytes) || ps_memory_check (bytes) != PS_OK)
    {
      ps_set_why (why, why_len, "a %zu × %zu × %zu volume does not fit in the memory available", nx, ny, nz);
      return PS_ERROR_TOO_LARGE;
    }
  return PS_OK;
}

typedef struct
{
  float *re, *im;     /* n_fft × PS_FFT_LANES */
  float *rows;        /* n_angles × nd: filtered rows */
  float *Q;           /* n_angles × stride: stretched rows */
  float *S, *T;       /* slice accumulators */
} WbpBuffers;

static void
wbp_buffers_free (WbpBuffers *b)
{
  ps_aligned_free (b->re);
  ps_aligned_free (b->im);
  ps_aligned_free (b->rows);
  ps_aligned_free (b->Q);
  ps_aligned_free (b->S);
  ps_aligned_free (b->T);
}

static bool
wbp_buffers_alloc (WbpBuffers *b, const PsSliceGeom *g, size_t n_fft)
{
  memset (b, 0, sizeof *b);
  b->re = ps_aligned_alloc (n_fft * PS_FFT_LANES * sizeof (float));
  b->im = ps_aligned_alloc (n_fft * PS_FFT_LANES * sizeof (float));
  b->rows = ps_aligned_alloc (g->n_angles * g->nd * sizeof (float));
  b->Q = ps_aligned_alloc (g->n_angles * g->stride * sizeof (float));
  b->S = ps_aligned_alloc (g->nx * g->nz * sizeof (float));
  b->T = g->any_b ? ps_aligned_alloc (g->nx * g->nz * sizeof (float)) : NULL;
  return b->re && b->im && b->rows && b->Q && b->S && (b->T || !g->any_b);
}

/* Filter n rows of nd samples in place: two real rows per complex lane
 * (H is real and even, so filtering a + ib gives filt(a) + i·filt(b)). */
static void
filter_rows (const PsFft *fft, const float *H_rev, float *rows, size_t n, size_t nd, float *re, float *im)
{
  const size_t N = ps_fft_size (fft);
  const float scale = 1.0f / (float) N;
  const size_t per_batch = 2 * PS_FFT_LANES;

  for (size_t r0 = 0; r0 < n; r0 += per_batch)
    {
      /* Only the lower half is read by the transform's first stage; the
       * zero padding beyond nd up to N/2 must be written. */
      memset (re, 0, N / 2 * PS_FFT_LANES * sizeof (float));
      memset (im, 0, N / 2 * PS_FFT_LANES * sizeof (float));
      for (size_t l = 0; l < PS_FFT_LANES; l++)
        {
          size_t ra = r0 + 2 * l, rb = ra + 1;
          if (ra < n)
            for (size_t x = 0; x < nd; x++)
              re[x * PS_FFT_LANES + l] = rows[ra * nd + x];
          if (rb < n)
            for (size_t x = 0; x < nd; x++)
              im[x * PS_FFT_LANES + l] = rows[rb * nd + x];
        }
      ps_fft_filter_lanes (fft, re, im, H_rev);
      for (size_t l = 0; l < PS_FFT_LANES; l++)
        {
          size_t ra = r0 + 2 * l, rb = ra + 1;
          if (ra < n)
            for (size_t x = 0; x < nd; x++)
              rows[ra * nd + x] = re[x * PS_FFT_LANES + l] * scale;
          if (rb < n)
            for (size_t x = 0; x < nd; x++)
              rows[rb * nd + x] = im[x * PS_FFT_LANES + l] * scale;
        }
    }
}

PsStatus
ps_wbp_run (const PsWbpParams *params, const PsTiltSeries *ts, PsVolume **out,
            const PsProgress *progress, char *why, size_t why_len)
{
  PsStatus st;
  size_t nx, ny, nz, n_fft;
  PsSliceGeom g;
  PsFft *fft = NULL;
  float *H = NULL, *stack = NULL;
  double *Hd = NULL, *weights = NULL;
  PsVolume *vol = NULL;
  PsProgressCounter counter;
  int failed = 0;

  *out = NULL;
  if ((st = ps_wbp_validate (params, ts, why, why_len)) != PS_OK)
    return st;
  ps_recon_frame_size (ts, &nx, &ny);
  nz = params->thickness ? params->thickness : nx;

  if ((st = ps_slice_geom_init (&g, nx, nx, nz, ts->angles, ts->n, 2)) != PS_OK)
    return st;
  n_fft = ps_wbp_fft_length (nx);
  fft = ps_fft_new (n_fft);
  H = malloc (n_fft * sizeof (float));
  Hd = malloc (n_fft * sizeof (double));
  weights = malloc (ts->n * sizeof (double));
  if (fft == NULL || H == NULL || Hd == NULL || weights == NULL)
    {
      st = PS_ERROR_NO_MEMORY;
      goto out;
    }
  ps_wbp_filter_response (params->filter, params->cutoff, n_fft, Hd);
  {
    float *Hf = malloc (n_fft * sizeof (float));
    if (Hf == NULL)
      {
        st = PS_ERROR_NO_MEMORY;
        goto out;
      }
    for (size_t k = 0; k < n_fft; k++)
      Hf[k] = (float) Hd[k];
    ps_fft_bitrev_permute (fft, Hf, H);   /* H is used in bit-reversed order */
    free (Hf);
  }
  ps_angle_weights (ts->angles, ts->n, weights);

  stack = ps_recon_aligned_stack (ts, params->n_threads, &st);
  if (st != PS_OK)
    goto out;
  vol = ps_volume_new_uninit (nx, ny, nz, &st);
  if (vol == NULL)
    goto out;
  ps_recon_advise_huge (vol->data, ps_volume_n_voxels (vol) * sizeof (float));

  ps_progress_counter_init (&counter, progress, ny, "back-projecting");
#pragma omp parallel num_threads(ps_recon_threads (params->n_threads))
  {
    WbpBuffers b;
    bool ok = wbp_buffers_alloc (&b, &g, n_fft);
    if (!ok)
      {
#pragma omp atomic write
        failed = PS_ERROR_NO_MEMORY;
      }
#pragma omp for schedule(dynamic, 1)
    for (size_t y = 0; y < ny; y++)
      {
        int f;
#pragma omp atomic read
        f = failed;
        if (f || !ok)
          continue;
        if (ps_progress_cancelled (progress))
          {
#pragma omp atomic write
            failed = PS_ERROR_CANCELLED;
            continue;
          }
        for (size_t i = 0; i < ts->n; i++)
          {
            const float *src = stack ? stack + (i * ny + y) * nx : ps_tilt_series_image (ts, i) + y * nx;
            memcpy (b.rows + i * nx, src, nx * sizeof (float));
          }
        filter_rows (fft, H, b.rows, ts->n, nx, b.re, b.im);
        for (size_t i = 0; i < ts->n; i++)
          ps_slice_stretch (&g, i, b.rows + i * nx, (float) weights[i], b.Q + i * g.stride);
        /* Slice y of the volume = S + Tᵀ, the last pass writing the
         * volume's rows directly. */
        ps_slice_back_store (&g, b.Q, b.S, b.T, vol->data + y * nx, ny * nx);
        ps_progress_counter_add (&counter, 1);
      }
    wbp_buffers_free (&b);
  }
  if (failed)
    {
      st = (PsStatus) failed;
      if (st == PS_ERROR_NO_MEMORY)
        ps_set_why (why, why_len, "out of memory");
      ps_volume_unref (vol);
      vol = NULL;
      goto out;
    }
  {
    double c, s;
    ps_cos_sin_deg (ts->tilt_axis_deg, &c, &s);
    bool swapped = fabs (c) < fabs (s);
    double dx = ts->pixel_size[swapped ? 1 : 0], dy = ts->pixel_size[swapped ? 0 : 1];
    if (ts->spacing_known)
      ps_volume_set_spacing (vol, dx, dy, dx);
    else
      {
        vol->spacing[0] = vol->spacing[2] = dx;
        vol->spacing[1] = dy;
      }
  }
  *out = vol;
  st = PS_OK;

out:
  ps_aligned_free (stack);
  ps_fft_free (fft);
  free (H);
  free (Hd);
  free (weights);
  ps_slice_geom_clear (&g);
  return st;
}
