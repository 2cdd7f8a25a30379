/* SPDX-License-Identifier: GPL-3.0-or-later */
#define _GNU_SOURCE
#include "ps-strtod.h"

#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A "C" locale object, created once; newlocale is thread-safe and uselocale
 * is per thread, so this works from worker threads too. */
static locale_t
c_locale (void)
{
  static locale_t loc = (locale_t) 0;
  static int init = 0;
  if (!__atomic_load_n (&init, __ATOMIC_ACQUIRE))
    {
      locale_t l = newlocale (LC_ALL_MASK, "C", (locale_t) 0);
      locale_t expected = (locale_t) 0;
      if (!__atomic_compare_exchange_n (&loc, &expected, l, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
        freelocale (l);
      __atomic_store_n (&init, 1, __ATOMIC_RELEASE);
    }
  return loc;
}

double
ps_ascii_strtod (const char *nptr, char **endptr)
{
  return strtod_l (nptr, endptr, c_locale ());
}

char *
ps_ascii_formatd (char *buf, size_t len, const char *format, double value)
{
  locale_t old = uselocale (c_locale ());
  snprintf (buf, len, format, value);
  uselocale (old);
  return buf;
}

char *
ps_ascii_dtostr (char *buf, size_t len, double value)
{
  /* Shortest of %.15g..%.17g that round-trips. */
  for (int prec = 15; prec <= 17; prec++)
    {
      char fmt[8];
      snprintf (fmt, sizeof fmt, "%%.%dg", prec);
      ps_ascii_formatd (buf, len, fmt, value);
      if (ps_ascii_strtod (buf, NULL) == value)
        break;
    }
  return buf;
}
