/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "ps-gl-program"

#include "config.h"

#include <gio/gio.h>
#include <string.h>

#include "ps-error.h"
#include "ps-gl-program.h"

struct _PsGlProgram
{
  GLuint id;
  GHashTable *uniforms;   /* name → GINT_TO_POINTER (location + 2) */
};

static char *
load_source (const char *name, GError **error)
{
  const char *dir = g_getenv ("PORESCOPE_SHADER_DIR");
  g_autofree char *resource = NULL;
  g_autoptr(GBytes) bytes = NULL;

  if (dir != NULL && *dir != '\0')
    {
      g_autofree char *path = g_build_filename (dir, name, NULL);
      char *text = NULL;
      if (g_file_test (path, G_FILE_TEST_EXISTS))
        {
          if (!g_file_get_contents (path, &text, NULL, error))
            return NULL;
          return text;
        }
    }
  resource = g_strconcat (PS_GL_SHADER_RESOURCE_PATH, name, NULL);
  bytes = g_resources_lookup_data (resource, G_RESOURCE_LOOKUP_FLAGS_NONE, NULL);
  if (bytes == NULL)
    {
      g_set_error (error, PS_ERROR, PS_ERROR_CODE_FAILED, "%s: shader not found in the resources", name);
      return NULL;
    }
  return g_strndup (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));
}

char *
ps_gl_shader_assemble (const char *name, const char *const *defines, GError **error)
{
  g_autofree char *preamble = NULL;
  g_autofree char *body = NULL;
  GString *s;

  preamble = load_source ("preamble.glsl", error);
  if (preamble == NULL)
    return NULL;
  body = load_source (name, error);
  if (body == NULL)
    return NULL;

  s = g_string_new ("#version 330 core\n");
  for (guint i = 0; defines != NULL && defines[i] != NULL && defines[i + 1] != NULL; i += 2)
    g_string_append_printf (s, "#define %s %s\n", defines[i], defines[i + 1]);
  g_string_append_printf (s, "// ---- preamble.glsl\n%s\n// ---- %s\n%s\n", preamble, name, body);
  return g_string_free (s, FALSE);
}

char *
ps_gl_number_lines (const char *source)
{
  g_auto(GStrv) lines = g_strsplit (source, "\n", -1);
  GString *s = g_string_new (NULL);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      if (lines[i + 1] == NULL && lines[i][0] == '\0')
        break;
      g_string_append_printf (s, "%4u | %s\n", i + 1, lines[i]);
    }
  return g_string_free (s, FALSE);
}

static GLuint
compile_stage (GLenum type, const char *name, const char *const *defines, GError **error)
{
  g_autofree char *source = ps_gl_shader_assemble (name, defines, error);
  GLuint shader;
  GLint ok = GL_FALSE;

  if (source == NULL)
    return 0;
  shader = glCreateShader (type);
  glShaderSource (shader, 1, (const GLchar *const *) &source, NULL);
  glCompileShader (shader);
  glGetShaderiv (shader, GL_COMPILE_STATUS, &ok);
  if (!ok)
    {
      GLint len = 0;
      g_autofree char *log = NULL;
      g_autofree char *numbered = ps_gl_number_lines (source);
      glGetShaderiv (shader, GL_INFO_LOG_LENGTH, &len);
      log = g_malloc0 (len > 0 ? len + 1 : 1);
      if (len > 0)
        glGetShaderInfoLog (shader, len, NULL, log);
      g_set_error (error, PS_ERROR, PS_ERROR_CODE_FAILED,
                   "%s: shader failed to compile:\n%s\nSource (line numbers as in the log):\n%s",
                   name, g_strstrip (log), numbered);
      glDeleteShader (shader);
      return 0;
    }
  return shader;
}

PsGlProgram *
ps_gl_program_new (const char *vertex, const char *fragment, const char *const *defines,
                   GError **error)
{
  GLuint vs, fs, prog;
  GLint ok = GL_FALSE;
  PsGlProgram *self;

  vs = compile_stage (GL_VERTEX_SHADER, vertex, defines, error);
  if (vs == 0)
    return NULL;
  fs = compile_stage (GL_FRAGMENT_SHADER, fragment, defines, error);
  if (fs == 0)
    {
      glDeleteShader (vs);
      return NULL;
    }
  prog = glCreateProgram ();
  glAttachShader (prog, vs);
  glAttachShader (prog, fs);
  glBindAttribLocation (prog, 0, "a_pos");
  glBindFragDataLocation (prog, 0, "frag_color");
  glLinkProgram (prog);
  glDetachShader (prog, vs);
  glDetachShader (prog, fs);
  glDeleteShader (vs);
  glDeleteShader (fs);
  glGetProgramiv (prog, GL_LINK_STATUS, &ok);
  if (!ok)
    {
      GLint len = 0;
      g_autofree char *log = NULL;
      glGetProgramiv (prog, GL_INFO_LOG_LENGTH, &len);
      log = g_malloc0 (len > 0 ? len + 1 : 1);
      if (len > 0)
        glGetProgramInfoLog (prog, len, NULL, log);
      g_set_error (error, PS_ERROR, PS_ERROR_CODE_FAILED, "%s + %s: shaders failed to link:\n%s",
                   vertex, fragment, g_strstrip (log));
      glDeleteProgram (prog);
      return NULL;
    }
  self = g_new0 (PsGlProgram, 1);
  self->id = prog;
  self->uniforms = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  return self;
}

void
ps_gl_program_free (PsGlProgram *self)
{
  if (self == NULL)
    return;
  if (self->id != 0)
    glDeleteProgram (self->id);
  g_hash_table_unref (self->uniforms);
  g_free (self);
}

GLuint
ps_gl_program_get_id (const PsGlProgram *self)
{
  return self->id;
}

GLint
ps_gl_program_uniform (PsGlProgram *self, const char *name)
{
  gpointer v;
  GLint loc;
  if (g_hash_table_lookup_extended (self->uniforms, name, NULL, &v))
    return GPOINTER_TO_INT (v) - 2;
  loc = glGetUniformLocation (self->id, name);
  g_hash_table_insert (self->uniforms, g_strdup (name), GINT_TO_POINTER (loc + 2));
  return loc;
}
