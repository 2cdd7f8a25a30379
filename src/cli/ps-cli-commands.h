/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib/gi18n.h>

#define PS_CLI_COMMAND(name, func, summary) int func (int argc, char **argv);
#include "ps-cli-commands.def"
#undef PS_CLI_COMMAND
