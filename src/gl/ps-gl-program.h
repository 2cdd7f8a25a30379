/* SPDX-License-Identifier: GPL-3.0-or-later */
/* ps-gl-program.h: GLSL programs assembled from GResource (GSK's pattern).
 *
 * Each stage's source is: the version line ("#version 330 core"), one
 * "#define NAME VALUE" per define, the shared preamble (shaders/preamble.glsl)
 * and the stage body (shaders/NAME). Shaders are stored without a #version
 * line so one body can be compiled with different defines.
 *
 * Sources come from the resource path PS_GL_SHADER_RESOURCE_PATH; when the
 * environment variable PORESCOPE_SHADER_DIR names a folder, files found there
 * win (edit shaders without rebuilding; tests inject broken shaders this way).
 *
 * A compile or link failure becomes a GError (PS_ERROR, FAILED) whose message
 * names the file, quotes the driver's log and lists the assembled source with
 * line numbers, so the log's line numbers can be read against it.
 */
#pragma once

#include <epoxy/gl.h>
#include <glib.h>

G_BEGIN_DECLS

#define PS_GL_SHADER_RESOURCE_PATH "/io/github/porescope/Porescope/shaders/"

typedef struct _PsGlProgram PsGlProgram;

/* Compile and link @vertex and @fragment (file names such as
 * "raycast.vs.glsl") with @defines (NULL-terminated "NAME", "VALUE" pairs;
 * may be NULL). Needs a current GL context. */
PsGlProgram *ps_gl_program_new (const char *vertex, const char *fragment,
                                const char *const *defines, GError **error);
void ps_gl_program_free (PsGlProgram *program);

GLuint ps_gl_program_get_id (const PsGlProgram *program);
/* Cached glGetUniformLocation (−1 when the uniform is unused). */
GLint ps_gl_program_uniform (PsGlProgram *program, const char *name);

/* The assembled source of one stage (for tests and error messages). */
char *ps_gl_shader_assemble (const char *name, const char *const *defines, GError **error);

/* "   1 | first line\n   2 | …" */
char *ps_gl_number_lines (const char *source);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (PsGlProgram, ps_gl_program_free)

G_END_DECLS
