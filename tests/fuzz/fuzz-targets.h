/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <stddef.h>
#include <stdint.h>

/* Inputs larger than this are ignored: every parser must reject a hostile
 * header long before reading megabytes. */
#define PS_FUZZ_MAX_INPUT (1 << 20)

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);
int LLVMFuzzerInitialize (int *argc, char ***argv);
