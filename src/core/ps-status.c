/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "ps-status.h"

const char *
ps_status_to_string (PsStatus status)
{
  switch (status)
    {
    case PS_OK: return "success";
    case PS_ERROR_FAILED: return "operation failed";
    case PS_ERROR_INVALID_PARAMETER: return "invalid parameter";
    case PS_ERROR_TOO_LARGE: return "data too large";
    case PS_ERROR_NO_MEMORY: return "out of memory";
    case PS_ERROR_CANCELLED: return "cancelled";
    default: return "unknown error";
    }
}
