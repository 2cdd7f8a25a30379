/* SPDX-License-Identifier: GPL-3.0-or-later */
/* ps-half.h: IEEE 754 binary16 <-> binary32 (MRC mode 12, TIFF fp16). */
#pragma once

#include <stdint.h>

float ps_half_to_float (uint16_t h);
/* Round to nearest even; overflow gives ±Inf, NaN stays NaN. */
uint16_t ps_float_to_half (float f);
