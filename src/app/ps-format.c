/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "ps-format"

#include "config.h"

#include <math.h>
#include <string.h>

#include "ps-format.h"

/* "17.50" → "17.5", "32.00" → "32" (the decimal mark may be ',' or '.'). */
static char *
strip_zeros (char *s)
{
  char *mark = strpbrk (s, ".,");
  if (mark != NULL)
    {
      char *end = s + strlen (s) - 1;
      while (end > mark && *end == '0')
        *end-- = '\0';
      if (end == mark)
        *end = '\0';
    }
  return s;
}

char *
ps_format_length (double nm)
{
  double a = fabs (nm);
  int decimals;

  if (!isfinite (nm))
    return g_strdup ("?");
  if (a >= 1000 || a == 0)
    decimals = 0;
  else if (a >= 100)
    decimals = 1;
  else if (a >= 10)
    decimals = 2;
  else if (a >= 0.001)
    decimals = 3 - (int) floor (log10 (a));
  else
    return g_strdup_printf ("%.3g", nm);
  if (decimals > 6)
    decimals = 6;
  return strip_zeros (g_strdup_printf ("%.*f", decimals, nm));
}

char *
ps_format_value (double value, int digits)
{
  if (isnan (value))
    return g_strdup ("NaN");
  if (isinf (value))
    return g_strdup (value > 0 ? "∞" : "−∞");
  return g_strdup_printf ("%.*g", digits, value);
}

char *
ps_format_value_in_range (double value, double range)
{
  int decimals;

  if (!isfinite (value) || !(range > 0) || !isfinite (range))
    return ps_format_value (value, 5);
  decimals = 3 - (int) floor (log10 (range));
  decimals = CLAMP (decimals, 0, 9);
  if (fabs (value) >= 1e7)
    return ps_format_value (value, 7);
  return g_strdup_printf ("%.*f", decimals, value == 0 ? 0.0 : value);
}
