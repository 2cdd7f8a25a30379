/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "ps-subvolume.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ps-strtod.h"

static void
say (char *why, size_t why_len, const char *fmt, const char *arg)
{
  if (why != NULL && why_len > 0)
    snprintf (why, why_len, fmt, arg);
}

/* Parse "a<sep>b<sep>c[unit]"; unit "vox" or "nm" or nothing. */
static bool
parse_triple (const char *s, const char *end, char sep, double out[3], bool *in_voxels)
{
  const char *p = s;
  *in_voxels = false;
  for (int i = 0; i < 3; i++)
    {
      char *num_end;
      while (p < end && isspace ((unsigned char) *p))
        p++;
      out[i] = ps_ascii_strtod (p, &num_end);
      if (num_end == p || num_end > end || !isfinite (out[i]))
        return false;
      p = num_end;
      while (p < end && isspace ((unsigned char) *p))
        p++;
      if (i < 2)
        {
          /* Accept 'x' or 'X' for sizes, ',' for origins. */
          if (p >= end || !(*p == sep || (sep == 'x' && *p == 'X')))
            return false;
          p++;
        }
    }
  size_t rest = (size_t) (end - p);
  if (rest == 3 && strncmp (p, "vox", 3) == 0)
    *in_voxels = true;
  else if (rest == 2 && strncmp (p, "nm", 2) == 0)
    *in_voxels = false;
  else if (rest != 0)
    return false;
  return true;
}

bool
ps_subvolume_parse (const char *text, bool centred, PsSubvolumeSpec *spec,
                    char *why, size_t why_len)
{
  const char *colon;
  const char *end;

  memset (spec, 0, sizeof *spec);
  if (text == NULL || *text == '\0')
    {
      say (why, why_len, "%s", "empty subvolume specification");
      return false;
    }
  end = text + strlen (text);
  spec->centred = centred;
  if (centred)
    {
      if (!parse_triple (text, end, 'x', spec->size, &spec->size_in_voxels))
        {
          say (why, why_len, "'%s' is not SXxSYxSZ (nm, or voxels with a 'vox' suffix)", text);
          return false;
        }
    }
  else
    {
      colon = strchr (text, ':');
      if (colon == NULL ||
          !parse_triple (text, colon, ',', spec->origin, &spec->origin_in_voxels) ||
          !parse_triple (colon + 1, end, 'x', spec->size, &spec->size_in_voxels))
        {
          say (why, why_len,
               "'%s' is not X,Y,Z:SXxSYxSZ (nm, or voxels with a 'vox' suffix)", text);
          return false;
        }
      for (int i = 0; i < 3; i++)
        if (spec->origin[i] < 0)
          {
            say (why, why_len, "'%s': the origin must not be negative", text);
            return false;
          }
    }
  for (int i = 0; i < 3; i++)
    if (!(spec->size[i] > 0))
      {
        say (why, why_len, "'%s': every size must be positive", text);
        return false;
      }
  return true;
}

bool
ps_subvolume_resolve (const PsSubvolumeSpec *spec, size_t nx, size_t ny, size_t nz,
                      const double spacing[3], PsBox *box, char *why, size_t why_len)
{
  const size_t n[3] = { nx, ny, nz };
  size_t origin[3], size[3];
  static const char axis[3] = { 'x', 'y', 'z' };

  for (int i = 0; i < 3; i++)
    {
      double s = spec->size_in_voxels ? spec->size[i] : spec->size[i] / spacing[i];
      double rs = floor (s + 0.5);
      if (rs < 1)
        rs = 1;
      if (rs > (double) n[i])
        {
          if (why != NULL)
            snprintf (why, why_len,
                      "the subvolume is %.0f voxels along %c but the volume has only %zu",
                      rs, axis[i], n[i]);
          return false;
        }
      size[i] = (size_t) rs;
      if (spec->centred)
        origin[i] = (n[i] - size[i]) / 2;
      else
        {
          double o = spec->origin_in_voxels ? spec->origin[i] : spec->origin[i] / spacing[i];
          double ro = floor (o + 0.5);
          if (ro + (double) size[i] > (double) n[i])
            {
              if (why != NULL)
                snprintf (why, why_len,
                          "the subvolume ends at voxel %.0f along %c but the volume has %zu voxels",
                          ro + (double) size[i], axis[i], n[i]);
              return false;
            }
          origin[i] = (size_t) ro;
        }
    }
  box->x0 = origin[0];
  box->y0 = origin[1];
  box->z0 = origin[2];
  box->nx = size[0];
  box->ny = size[1];
  box->nz = size[2];
  return true;
}
