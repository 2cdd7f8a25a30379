/* SPDX-License-Identifier: GPL-3.0-or-later */
/* ps-application-private.h: internals shared by the application's classes. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Register the GResource bundle (templates, CSS, icons) once. Every class
 * with a template calls this in class_init, so widgets work without a
 * PsApplication (tests, benchmarks, embedding). */
void _ps_application_ensure_resources (void);

G_END_DECLS
