/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "ps-half.h"

#include <string.h>

float
ps_half_to_float (uint16_t h)
{
  uint32_t sign = (uint32_t) (h & 0x8000) << 16;
  uint32_t exp = (h >> 10) & 0x1f;
  uint32_t mant = h & 0x3ff;
  uint32_t bits;
  float f;

  if (exp == 0)
    {
      if (mant == 0)
        bits = sign;
      else
        {
          /* subnormal: normalise */
          int e = -1;
          do
            {
              e++;
              mant <<= 1;
            }
          while ((mant & 0x400) == 0);
          mant &= 0x3ff;
          bits = sign | ((uint32_t) (127 - 15 - e) << 23) | (mant << 13);
        }
    }
  else if (exp == 31)
    bits = sign | 0x7f800000u | (mant << 13);
  else
    bits = sign | ((exp + 127 - 15) << 23) | (mant << 13);
  memcpy (&f, &bits, sizeof f);
  return f;
}

uint16_t
ps_float_to_half (float f)
{
  uint32_t x;
  memcpy (&x, &f, sizeof x);
  uint32_t sign = (x >> 16) & 0x8000;
  uint32_t exp = (x >> 23) & 0xff;
  uint32_t mant = x & 0x7fffff;

  if (exp == 0xff)
    return (uint16_t) (sign | 0x7c00 | (mant ? 0x200 | (mant >> 13) : 0));
  int e = (int) exp - 127 + 15;
  if (e >= 31)
    return (uint16_t) (sign | 0x7c00);
  if (e <= 0)
    {
      if (e < -10)
        return (uint16_t) sign;
      mant |= 0x800000;
      uint32_t shift = (uint32_t) (14 - e);
      uint32_t half = mant >> shift;
      uint32_t rem = mant & ((1u << shift) - 1);
      uint32_t mid = 1u << (shift - 1);
      if (rem > mid || (rem == mid && (half & 1)))
        half++;
      return (uint16_t) (sign | half);
    }
  uint32_t half = sign | ((uint32_t) e << 10) | (mant >> 13);
  uint32_t rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem == 0x1000 && (half & 1)))
    half++; /* may carry into the exponent, which is correct */
  return (uint16_t) half;
}
