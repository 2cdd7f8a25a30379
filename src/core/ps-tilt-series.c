/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "ps-tilt-series.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "ps-memory.h"
#include "ps-size.h"

PsTiltSeries *
ps_tilt_series_new (size_t nx, size_t ny, size_t n, PsStatus *status)
{
  PsTiltSeries *ts;
  size_t bytes;
  PsStatus st = PS_OK;

  if (nx == 0 || ny == 0 || n == 0)
    st = PS_ERROR_INVALID_PARAMETER;
  else if (!ps_size_voxels_bytes (nx, ny, n, sizeof (float), &bytes) || ps_memory_check (bytes) != PS_OK)
    st = PS_ERROR_TOO_LARGE;
  if (st != PS_OK)
    {
      if (status) *status = st;
      return NULL;
    }
  ts = calloc (1, sizeof *ts);
  if (ts != NULL)
    {
      ts->data = ps_aligned_calloc (bytes);
      ts->angles = calloc (n, sizeof (double));
      ts->shift_x = calloc (n, sizeof (double));
      ts->shift_y = calloc (n, sizeof (double));
    }
  if (ts == NULL || ts->data == NULL || ts->angles == NULL || ts->shift_x == NULL || ts->shift_y == NULL)
    {
      if (ts != NULL)
        {
          ps_aligned_free (ts->data);
          free (ts->angles);
          free (ts->shift_x);
          free (ts->shift_y);
          free (ts);
        }
      if (status) *status = PS_ERROR_NO_MEMORY;
      return NULL;
    }
  atomic_init (&ts->ref_count, 1);
  ts->nx = nx;
  ts->ny = ny;
  ts->n = n;
  ts->pixel_size[0] = ts->pixel_size[1] = 1.0;
  if (status) *status = PS_OK;
  return ts;
}

PsTiltSeries *
ps_tilt_series_ref (PsTiltSeries *ts)
{
  if (ts != NULL)
    atomic_fetch_add (&ts->ref_count, 1);
  return ts;
}

void
ps_tilt_series_unref (PsTiltSeries *ts)
{
  if (ts == NULL || atomic_fetch_sub (&ts->ref_count, 1) != 1)
    return;
  ps_aligned_free (ts->data);
  free (ts->angles);
  free (ts->shift_x);
  free (ts->shift_y);
  free (ts);
}

bool
ps_angles_check (const double *angles, size_t n, char *why, size_t why_len)
{
  int direction = 0;

  for (size_t i = 0; i < n; i++)
    {
      if (!isfinite (angles[i]) || fabs (angles[i]) > 90.0 + 1e-9)
        {
          if (why) snprintf (why, why_len, "angle %zu (%g°) is outside −90…90°", i + 1, angles[i]);
          return false;
        }
      if (i == 0)
        continue;
      double d = angles[i] - angles[i - 1];
      if (fabs (d) < 1e-6)
        {
          if (why) snprintf (why, why_len, "angles %zu and %zu are both %g° (duplicated)", i, i + 1, angles[i]);
          return false;
        }
      int dir = d > 0 ? 1 : -1;
      if (direction == 0)
        direction = dir;
      else if (dir != direction)
        {
          if (why)
            snprintf (why, why_len,
                      "angles are not monotonic: angle %zu is %g° after %g°", i + 1, angles[i], angles[i - 1]);
          return false;
        }
    }
  return true;
}
