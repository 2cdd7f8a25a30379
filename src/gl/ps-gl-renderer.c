/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "ps-gl-renderer"

#include "config.h"

#include <math.h>
#include <pango/pangocairo.h>
#include <string.h>

#include "ps-error.h"
#include "ps-gl-program.h"
#include "ps-gl-renderer.h"

#define TILE_MAX 4096

typedef struct
{
  GLuint tex;
  int width, height;
} TextTexture;

typedef struct
{
  float p0[3], p1[3], color[4];
} Segment;

/* What the proxy geometry depends on. */
typedef struct
{
  guint serial;              /* of the uploaded data */
  int mode;
  float window_lo, threshold;  /* normalised */
  gboolean labels, threshold_carbon, carbon_visible, pore_visible;
  guint highlight_phase;
} ProxyKey;

/* More proxy vertices than this: fall back to the whole box. */
#define PROXY_MAX_VERTICES (6 * 1024 * 1024)

struct _PsGlRenderer
{
  /* Owned GL objects. */
  PsGlProgram *raycast[PS_RENDER_N_MODES][2];   /* [mode][has labels], lazily */
  PsGlProgram *lines;
  PsGlProgram *overlay;
  GLuint vao_empty;
  GLuint vao_lines, vbo_lines;
  GLuint tex_volume, tex_labels, tex_bricks;
  GLuint fbo, fbo_color, fbo_depth;
  int fbo_w, fbo_h;
  GLuint timer;
  gboolean timer_pending;
  PsGlProgram *proxy;
  GLuint vao_proxy, vbo_proxy;
  GLsizei proxy_vertices;                       /* 0: no proxy, march the whole box */
  gboolean proxy_empty;                         /* nothing can contribute */
  ProxyKey proxy_key;
  gboolean proxy_valid;
  GLuint proxy_fbo, proxy_depth[2];
  int proxy_w, proxy_h;
  guint serial;
  GHashTable *text_cache;                       /* key → TextTexture */

  /* Limits of the context. */
  GLint max_3d, max_rb, max_viewport[2];

  /* The uploaded data (CPU copy without the big arrays, plus bricks). */
  PsGlVolumeData *data;
  float extent[3];                              /* texture box, nm */
  float spacing[3];                             /* source voxel size, nm */
};

/* ---- scene ---------------------------------------------------------------- */

gboolean
ps_gl_parse_color (const char *text, float rgba[4])
{
  unsigned r, g, b;
  if (text == NULL || strlen (text) != 7 || text[0] != '#' ||
      sscanf (text + 1, "%2x%2x%2x", &r, &g, &b) != 3)
    return FALSE;
  rgba[0] = r / 255.0f;
  rgba[1] = g / 255.0f;
  rgba[2] = b / 255.0f;
  return TRUE;
}

void
ps_gl_scene_init (PsGlScene *s)
{
  memset (s, 0, sizeof *s);
  s->mode = PS_RENDER_MODE_DVR;
  s->window_lo = NAN;
  s->window_hi = NAN;
  s->threshold = NAN;
  s->threshold_carbon = TRUE;
  ps_gl_parse_color ("#2f6fdb", s->carbon_rgba);
  s->carbon_rgba[3] = 1.0f;
  ps_gl_parse_color ("#9a9a9a", s->pore_rgba);
  s->pore_rgba[3] = 1.0f;
  ps_gl_parse_color ("#ffb000", s->highlight_rgba);
  s->highlight_rgba[3] = 1.0f;
  s->dvr_opacity = 0.08f;
  ps_gl_parse_color ("#1b1d22", s->background_rgba);
  s->background_rgba[3] = 1.0f;
  s->crosshair[0] = s->crosshair[1] = s->crosshair[2] = -1.0;
  s->show_bbox = TRUE;
  s->show_triad = TRUE;
  s->show_scale_bar = TRUE;
  s->show_notice = TRUE;
  s->step_factor = 1.0f;
  s->overlay_scale = 1.0f;
}

static const char *const mode_names[] = { "dvr", "mip", "iso", "labels" };

gboolean
ps_render_mode_from_string (const char *name, PsRenderMode *mode)
{
  for (guint i = 0; i < G_N_ELEMENTS (mode_names); i++)
    if (g_ascii_strcasecmp (name, mode_names[i]) == 0)
      {
        *mode = (PsRenderMode) i;
        return TRUE;
      }
  return FALSE;
}

const char *
ps_render_mode_to_string (PsRenderMode mode)
{
  return (guint) mode < G_N_ELEMENTS (mode_names) ? mode_names[mode] : "dvr";
}

/* ---- life cycle --------------------------------------------------------- */

static void
text_texture_free (gpointer p)
{
  TextTexture *t = p;
  glDeleteTextures (1, &t->tex);
  g_free (t);
}

PsGlRenderer *
ps_gl_renderer_new (GError **error)
{
  g_autoptr(PsGlRenderer) self = g_new0 (PsGlRenderer, 1);

  self->text_cache = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, text_texture_free);
  glGetIntegerv (GL_MAX_3D_TEXTURE_SIZE, &self->max_3d);
  glGetIntegerv (GL_MAX_RENDERBUFFER_SIZE, &self->max_rb);
  glGetIntegerv (GL_MAX_VIEWPORT_DIMS, self->max_viewport);

  glGenVertexArrays (1, &self->vao_empty);
  glGenVertexArrays (1, &self->vao_lines);
  glGenBuffers (1, &self->vbo_lines);
  glBindVertexArray (self->vao_lines);
  glBindBuffer (GL_ARRAY_BUFFER, self->vbo_lines);
  for (GLuint i = 0; i < 3; i++)
    {
      static const GLint sizes[3] = { 3, 3, 4 };
      static const gsize offsets[3] = { G_STRUCT_OFFSET (Segment, p0), G_STRUCT_OFFSET (Segment, p1),
                                        G_STRUCT_OFFSET (Segment, color) };
      glEnableVertexAttribArray (i);
      glVertexAttribPointer (i, sizes[i], GL_FLOAT, GL_FALSE, sizeof (Segment), (void *) offsets[i]);
      glVertexAttribDivisor (i, 1);
    }
  glBindVertexArray (0);
  glBindBuffer (GL_ARRAY_BUFFER, 0);

  self->lines = ps_gl_program_new ("lines.vs.glsl", "lines.fs.glsl", NULL, error);
  if (self->lines == NULL)
    return NULL;
  self->overlay = ps_gl_program_new ("overlay.vs.glsl", "overlay.fs.glsl", NULL, error);
  if (self->overlay == NULL)
    return NULL;
  self->proxy = ps_gl_program_new ("proxy.vs.glsl", "proxy.fs.glsl", NULL, error);
  if (self->proxy == NULL)
    return NULL;
  glGenVertexArrays (1, &self->vao_proxy);
  glGenBuffers (1, &self->vbo_proxy);
  glBindVertexArray (self->vao_proxy);
  glBindBuffer (GL_ARRAY_BUFFER, self->vbo_proxy);
  glEnableVertexAttribArray (0);
  glVertexAttribPointer (0, 3, GL_FLOAT, GL_FALSE, 3 * sizeof (float), NULL);
  glBindVertexArray (0);
  glBindBuffer (GL_ARRAY_BUFFER, 0);
  /* The ray caster is compiled now too, so a broken shader shows at once. */
  const char *const defines[] = { "MODE", "MODE_DVR", "HAVE_LABELS", "0", NULL };
  self->raycast[PS_RENDER_MODE_DVR][0] = ps_gl_program_new ("fullscreen.vs.glsl", "raycast.fs.glsl",
                                                            defines, error);
  if (self->raycast[PS_RENDER_MODE_DVR][0] == NULL)
    return NULL;
  return g_steal_pointer (&self);
}

static void
delete_texture (GLuint *tex)
{
  if (*tex != 0)
    glDeleteTextures (1, tex);
  *tex = 0;
}

void
ps_gl_renderer_free (PsGlRenderer *self)
{
  if (self == NULL)
    return;
  for (int m = 0; m < PS_RENDER_N_MODES; m++)
    for (int l = 0; l < 2; l++)
      g_clear_pointer (&self->raycast[m][l], ps_gl_program_free);
  g_clear_pointer (&self->lines, ps_gl_program_free);
  g_clear_pointer (&self->overlay, ps_gl_program_free);
  g_clear_pointer (&self->proxy, ps_gl_program_free);
  if (self->vao_proxy)
    glDeleteVertexArrays (1, &self->vao_proxy);
  if (self->vbo_proxy)
    glDeleteBuffers (1, &self->vbo_proxy);
  if (self->proxy_fbo)
    glDeleteFramebuffers (1, &self->proxy_fbo);
  if (self->proxy_depth[0])
    glDeleteTextures (2, self->proxy_depth);
  if (self->vao_empty)
    glDeleteVertexArrays (1, &self->vao_empty);
  if (self->vao_lines)
    glDeleteVertexArrays (1, &self->vao_lines);
  if (self->vbo_lines)
    glDeleteBuffers (1, &self->vbo_lines);
  delete_texture (&self->tex_volume);
  delete_texture (&self->tex_labels);
  delete_texture (&self->tex_bricks);
  if (self->fbo)
    glDeleteFramebuffers (1, &self->fbo);
  if (self->fbo_color)
    glDeleteRenderbuffers (1, &self->fbo_color);
  if (self->fbo_depth)
    glDeleteRenderbuffers (1, &self->fbo_depth);
  if (self->timer)
    glDeleteQueries (1, &self->timer);
  g_clear_pointer (&self->text_cache, g_hash_table_unref);
  g_clear_pointer (&self->data, ps_gl_volume_data_free);
  g_free (self);
}

void
ps_gl_renderer_get_limits (PsGlRenderer *self, PsGlVolumeLimits *limits)
{
  GLint kb[4] = { 0 };
  gsize budget = ps_gl_default_texture_budget ();

  memset (limits, 0, sizeof *limits);
  limits->max_3d_size = self->max_3d > 0 ? (gsize) self->max_3d : 256;
  /* Dedicated video memory where the driver tells (NVIDIA, AMD); 70 % of it
   * leaves room for the framebuffers and the desktop. */
  if (epoxy_has_gl_extension ("GL_NVX_gpu_memory_info"))
    {
      glGetIntegerv (0x9047 /* GL_GPU_MEMORY_INFO_DEDICATED_VIDMEM_NVX */, kb);
      if (kb[0] > 0)
        budget = MIN (budget, (gsize) kb[0] * 1024 / 10 * 7);
    }
  else if (epoxy_has_gl_extension ("GL_ATI_meminfo"))
    {
      glGetIntegerv (0x87FC /* GL_TEXTURE_FREE_MEMORY_ATI */, kb);
      if (kb[0] > 0)
        budget = MIN (budget, (gsize) kb[0] * 1024 / 10 * 7);
    }
  while (glGetError () != GL_NO_ERROR)
    ;
  limits->budget_bytes = budget;
  limits->format = PS_RENDER_TEX_U16;
  limits->auto_u8 = TRUE;
}

/* ---- upload ------------------------------------------------------------- */

static GLuint
new_texture_3d (GLint internal, gsize w, gsize h, gsize d, GLenum format, GLenum type,
                const void *pixels, gboolean linear)
{
  GLuint tex;
  glGenTextures (1, &tex);
  glBindTexture (GL_TEXTURE_3D, tex);
  glPixelStorei (GL_UNPACK_ALIGNMENT, 1);
  glTexImage3D (GL_TEXTURE_3D, 0, internal, (GLsizei) w, (GLsizei) h, (GLsizei) d, 0, format, type, pixels);
  glTexParameteri (GL_TEXTURE_3D, GL_TEXTURE_MIN_FILTER, linear ? GL_LINEAR : GL_NEAREST);
  glTexParameteri (GL_TEXTURE_3D, GL_TEXTURE_MAG_FILTER, linear ? GL_LINEAR : GL_NEAREST);
  glTexParameteri (GL_TEXTURE_3D, GL_TEXTURE_WRAP_S, GL_CLAMP_TO_EDGE);
  glTexParameteri (GL_TEXTURE_3D, GL_TEXTURE_WRAP_T, GL_CLAMP_TO_EDGE);
  glTexParameteri (GL_TEXTURE_3D, GL_TEXTURE_WRAP_R, GL_CLAMP_TO_EDGE);
  glTexParameteri (GL_TEXTURE_3D, GL_TEXTURE_MAX_LEVEL, 0);
  glBindTexture (GL_TEXTURE_3D, 0);
  return tex;
}

gboolean
ps_gl_renderer_upload (PsGlRenderer *self, const PsGlVolumeData *data, GError **error)
{
  GLenum err;
  PsGlVolumeData *keep;

  g_return_val_if_fail (data != NULL, FALSE);
  if (data->intensity == NULL && self->data == NULL)
    {
      g_set_error (error, PS_ERROR, PS_ERROR_CODE_INVALID_PARAMETER, "3D view: labels without a volume");
      return FALSE;
    }
  while (glGetError () != GL_NO_ERROR)
    ;

  if (data->intensity != NULL)
    {
      static const GLint internal[] = { GL_R8, GL_R16, GL_R32F };
      static const GLenum type[] = { GL_UNSIGNED_BYTE, GL_UNSIGNED_SHORT, GL_FLOAT };
      delete_texture (&self->tex_volume);
      self->tex_volume = new_texture_3d (internal[data->format], data->dims[0], data->dims[1], data->dims[2],
                                         GL_RED, type[data->format], data->intensity, TRUE);
    }
  delete_texture (&self->tex_labels);
  if (data->codes != NULL)
    self->tex_labels = new_texture_3d (data->code_size == 2 ? GL_R16UI : GL_R32UI,
                                       data->dims[0], data->dims[1], data->dims[2], GL_RED_INTEGER,
                                       data->code_size == 2 ? GL_UNSIGNED_SHORT : GL_UNSIGNED_INT,
                                       data->codes, FALSE);
  delete_texture (&self->tex_bricks);
  self->tex_bricks = new_texture_3d (GL_RGBA16UI, data->brick_dims[0], data->brick_dims[1], data->brick_dims[2],
                                     GL_RGBA_INTEGER, GL_UNSIGNED_SHORT, data->bricks, FALSE);
  err = glGetError ();
  if (err != GL_NO_ERROR)
    {
      delete_texture (&self->tex_volume);
      delete_texture (&self->tex_labels);
      delete_texture (&self->tex_bricks);
      g_clear_pointer (&self->data, ps_gl_volume_data_free);
      g_set_error (error, PS_ERROR, err == GL_OUT_OF_MEMORY ? PS_ERROR_CODE_TOO_LARGE : PS_ERROR_CODE_FAILED,
                   "3D view: the GPU refused the volume textures (GL error 0x%04x)", err);
      return FALSE;
    }

  /* Keep the geometry and the bricks (small) for labels-only updates. */
  keep = g_new0 (PsGlVolumeData, 1);
  *keep = *data;
  keep->intensity = NULL;
  keep->codes = NULL;
  keep->notice = g_strdup (data->notice);
  keep->bricks = g_memdup2 (data->bricks, 4 * sizeof (guint16) * data->brick_dims[0] *
                                          data->brick_dims[1] * data->brick_dims[2]);
  g_clear_pointer (&self->data, ps_gl_volume_data_free);
  self->data = keep;
  self->serial++;
  self->proxy_valid = FALSE;
  for (int a = 0; a < 3; a++)
    {
      self->spacing[a] = (float) data->src_spacing[a];
      self->extent[a] = (float) (data->dims[a] * (gsize) data->factor * data->src_spacing[a]);
    }
  return TRUE;
}

gboolean
ps_gl_renderer_has_volume (PsGlRenderer *self)
{
  return self->tex_volume != 0;
}

const PsGlVolumeData *
ps_gl_renderer_get_data (PsGlRenderer *self)
{
  return self->data;
}

void
ps_gl_renderer_get_extent (PsGlRenderer *self, float extent[3])
{
  for (int a = 0; a < 3; a++)
    extent[a] = self->data ? self->extent[a] : 1.0f;
}

const char *
ps_gl_renderer_get_notice (PsGlRenderer *self)
{
  return self->data ? self->data->notice : NULL;
}

/* ---- text ---------------------------------------------------------------- */

/* White (or @rgb) text with a dark halo, readable on any background. */
static TextTexture *
text_texture (PsGlRenderer *self, const char *text, double px, const float rgb[3], int wrap_width)
{
  g_autofree char *key = g_strdup_printf ("%.1f|%.3f,%.3f,%.3f|%d|%s", px, rgb[0], rgb[1], rgb[2], wrap_width,
                                          text);
  TextTexture *t = g_hash_table_lookup (self->text_cache, key);
  cairo_surface_t *surface;
  cairo_t *cr;
  PangoLayout *layout;
  PangoFontDescription *font;
  PangoRectangle ink, logical;
  int pad, w, h;

  if (t != NULL)
    return t;
  if (g_hash_table_size (self->text_cache) > 64)
    g_hash_table_remove_all (self->text_cache);

  /* Measure. */
  surface = cairo_image_surface_create (CAIRO_FORMAT_ARGB32, 1, 1);
  cr = cairo_create (surface);
  layout = pango_cairo_create_layout (cr);
  font = pango_font_description_from_string ("Sans");
  pango_font_description_set_absolute_size (font, px * PANGO_SCALE);
  pango_layout_set_font_description (layout, font);
  pango_layout_set_text (layout, text, -1);
  if (wrap_width > 0)
    {
      pango_layout_set_width (layout, wrap_width * PANGO_SCALE);
      pango_layout_set_wrap (layout, PANGO_WRAP_WORD_CHAR);
    }
  pango_layout_get_pixel_extents (layout, &ink, &logical);
  pad = (int) ceil (px * 0.15) + 1;
  w = logical.width + 2 * pad;
  h = logical.height + 2 * pad;
  g_object_unref (layout);
  cairo_destroy (cr);
  cairo_surface_destroy (surface);

  surface = cairo_image_surface_create (CAIRO_FORMAT_ARGB32, w, h);
  cr = cairo_create (surface);
  layout = pango_cairo_create_layout (cr);
  pango_layout_set_font_description (layout, font);
  pango_layout_set_text (layout, text, -1);
  if (wrap_width > 0)
    {
      pango_layout_set_width (layout, wrap_width * PANGO_SCALE);
      pango_layout_set_wrap (layout, PANGO_WRAP_WORD_CHAR);
    }
  cairo_move_to (cr, pad, pad);
  pango_cairo_layout_path (cr, layout);
  cairo_set_line_width (cr, MAX (2.0, px * 0.18));
  cairo_set_line_join (cr, CAIRO_LINE_JOIN_ROUND);
  cairo_set_source_rgba (cr, 0, 0, 0, 0.75);
  cairo_stroke_preserve (cr);
  cairo_set_source_rgb (cr, rgb[0], rgb[1], rgb[2]);
  cairo_fill (cr);
  cairo_surface_flush (surface);

  t = g_new0 (TextTexture, 1);
  t->width = w;
  t->height = h;
  glGenTextures (1, &t->tex);
  glBindTexture (GL_TEXTURE_2D, t->tex);
  glPixelStorei (GL_UNPACK_ALIGNMENT, 4);
  glPixelStorei (GL_UNPACK_ROW_LENGTH, cairo_image_surface_get_stride (surface) / 4);
  /* Cairo's ARGB32 is premultiplied, native-endian 0xAARRGGBB = BGRA bytes. */
  glTexImage2D (GL_TEXTURE_2D, 0, GL_RGBA8, w, h, 0, GL_BGRA, GL_UNSIGNED_INT_8_8_8_8_REV,
                cairo_image_surface_get_data (surface));
  glPixelStorei (GL_UNPACK_ROW_LENGTH, 0);
  glTexParameteri (GL_TEXTURE_2D, GL_TEXTURE_MIN_FILTER, GL_LINEAR);
  glTexParameteri (GL_TEXTURE_2D, GL_TEXTURE_MAG_FILTER, GL_LINEAR);
  glTexParameteri (GL_TEXTURE_2D, GL_TEXTURE_WRAP_S, GL_CLAMP_TO_EDGE);
  glTexParameteri (GL_TEXTURE_2D, GL_TEXTURE_WRAP_T, GL_CLAMP_TO_EDGE);
  glBindTexture (GL_TEXTURE_2D, 0);

  pango_font_description_free (font);
  g_object_unref (layout);
  cairo_destroy (cr);
  cairo_surface_destroy (surface);
  g_hash_table_insert (self->text_cache, g_steal_pointer (&key), t);
  return t;
}

/* ---- frame ---------------------------------------------------------------- */

typedef struct
{
  int full_w, full_h;
  int tile_x, tile_y, tile_w, tile_h;
  mat4 tile;          /* full-image clip → tile clip */
  mat4 view, proj, vp, inv_vp;
  float scale;        /* overlay scale */
} Frame;

static void
frame_setup (Frame *f, const PsGlCamera *cam, int full_w, int full_h, int tx, int ty, int tw, int th,
             float scale)
{
  f->full_w = full_w;
  f->full_h = full_h;
  f->tile_x = tx;
  f->tile_y = ty;
  f->tile_w = tw;
  f->tile_h = th;
  f->scale = scale;
  ps_gl_camera_matrices (cam, (float) full_w / (float) full_h, f->view, f->proj);
  glm_mat4_mul (f->proj, f->view, f->vp);
  glm_mat4_inv (f->vp, f->inv_vp);
  glm_mat4_identity (f->tile);
  f->tile[0][0] = (float) full_w / (float) tw;
  f->tile[1][1] = (float) full_h / (float) th;
  f->tile[3][0] = (float) (full_w - 2 * tx - tw) / (float) tw;
  f->tile[3][1] = (float) (full_h - 2 * ty - th) / (float) th;
}

static PsGlProgram *
raycast_program (PsGlRenderer *self, PsRenderMode mode, gboolean labels, GError **error)
{
  static const char *const mode_defs[] = { "MODE_DVR", "MODE_MIP", "MODE_ISO", "MODE_LABELS" };
  PsGlProgram **slot = &self->raycast[mode][labels ? 1 : 0];
  if (*slot == NULL)
    {
      const char *const defines[] = { "MODE", mode_defs[mode], "HAVE_LABELS", labels ? "1" : "0", NULL };
      *slot = ps_gl_program_new ("fullscreen.vs.glsl", "raycast.fs.glsl", defines, error);
    }
  return *slot;
}

/* Normalised intensity of a raw value. */
static float
norm_value (const PsGlVolumeData *d, double raw)
{
  return (float) ((raw - d->lo) / (d->hi - d->lo));
}

static void
tex_of_voxel (PsGlRenderer *self, const double voxel[3], float out[3])
{
  for (int a = 0; a < 3; a++)
    out[a] = (float) (voxel[a] / (double) (self->data->dims[a] * (gsize) self->data->factor));
}

/* ---- empty-space skipping by proxy geometry --------------------------------- */

/* Can brick @b change the picture? The same tests as the shader's, so a
 * brick left out holds nothing the ray caster would draw. */
static gboolean
brick_contributes (const guint16 *b, const ProxyKey *k)
{
  float bmax = b[1] / 65535.0f;
  guint occ = b[2];
  gboolean carbon, pore;
  switch (k->mode)
    {
    case PS_RENDER_MODE_DVR:
      return bmax > k->window_lo || (k->labels && (occ & PS_RENDER_OCC_PORE) && k->pore_visible) ||
             (k->highlight_phase == PS_RENDER_PHASE_CARBON && (occ & PS_RENDER_OCC_CARBON)) ||
             (k->highlight_phase == PS_RENDER_PHASE_PORE && (occ & PS_RENDER_OCC_PORE));
    case PS_RENDER_MODE_MIP:
      return bmax > k->window_lo;
    case PS_RENDER_MODE_ISO:
      return bmax >= k->threshold;
    case PS_RENDER_MODE_LABELS:
    default:
      carbon = (occ & PS_RENDER_OCC_CARBON) ||
               (k->threshold_carbon && (occ & PS_RENDER_OCC_NONE) && bmax >= k->threshold);
      pore = (occ & PS_RENDER_OCC_PORE) != 0;
      return (carbon && (k->carbon_visible || k->highlight_phase == PS_RENDER_PHASE_CARBON)) ||
             (pore && (k->pore_visible || k->highlight_phase == PS_RENDER_PHASE_PORE));
    }
}

static void
proxy_key_of (PsGlRenderer *self, const PsGlScene *sc, gboolean labels, float wlo, float thr, ProxyKey *k)
{
  memset (k, 0, sizeof *k);
  k->serial = self->serial;
  k->mode = sc->mode;
  k->window_lo = wlo;
  k->threshold = thr;
  k->labels = labels;
  k->threshold_carbon = sc->threshold_carbon;
  k->carbon_visible = sc->carbon_rgba[3] > 0.0f;
  k->pore_visible = sc->pore_rgba[3] > 0.0f;
  k->highlight_phase = k->labels ? sc->highlight_phase : 0;
}

/* The faces between contributing bricks and the rest, as triangles in
 * texture space. */
static void
build_proxy (PsGlRenderer *self, const ProxyKey *key)
{
  const PsGlVolumeData *d = self->data;
  const gsize bx = d->brick_dims[0], by = d->brick_dims[1], bz = d->brick_dims[2];
  g_autofree guint8 *on = g_malloc (bx * by * bz);
  g_autoptr(GArray) v = g_array_new (FALSE, FALSE, 3 * sizeof (float));
  gsize n_on = 0;

  for (gsize i = 0; i < bx * by * bz; i++)
    n_on += on[i] = brick_contributes (d->bricks + 4 * i, key);
  self->proxy_empty = n_on == 0;
  self->proxy_vertices = 0;
  self->proxy_key = *key;
  self->proxy_valid = TRUE;
  if (n_on == 0)
    return;

  for (gsize z = 0; z < bz; z++)
    for (gsize y = 0; y < by; y++)
      for (gsize x = 0; x < bx; x++)
        {
          gsize idx[3] = { x, y, z };
          if (!on[(z * by + y) * bx + x])
            continue;
          for (int axis = 0; axis < 3; axis++)
            for (int side = 0; side < 2; side++)
              {
                gsize nb[3] = { x, y, z };
                gboolean open;
                float lo[3], hi[3], quad[4][3];
                if (side == 0)
                  open = idx[axis] == 0 || (nb[axis]--, !on[(nb[2] * by + nb[1]) * bx + nb[0]]);
                else
                  open = idx[axis] + 1 >= d->brick_dims[axis] || (nb[axis]++, !on[(nb[2] * by + nb[1]) * bx + nb[0]]);
                if (!open)
                  continue;
                for (int a = 0; a < 3; a++)
                  {
                    lo[a] = (float) (idx[a] * PS_RENDER_BRICK) / (float) d->dims[a];
                    hi[a] = (float) MIN ((idx[a] + 1) * PS_RENDER_BRICK, d->dims[a]) / (float) d->dims[a];
                  }
                int a1 = (axis + 1) % 3, a2 = (axis + 2) % 3;
                for (int c = 0; c < 4; c++)
                  {
                    quad[c][axis] = side ? hi[axis] : lo[axis];
                    quad[c][a1] = (c == 1 || c == 2) ? hi[a1] : lo[a1];
                    quad[c][a2] = c >= 2 ? hi[a2] : lo[a2];
                  }
                static const int tri[6] = { 0, 1, 2, 0, 2, 3 };
                for (int t = 0; t < 6; t++)
                  g_array_append_val (v, quad[tri[t]]);
              }
          if (v->len > PROXY_MAX_VERTICES)
            {
              /* Too fragmented to pay off: march the whole box. */
              self->proxy_vertices = 0;
              return;
            }
        }
  glBindBuffer (GL_ARRAY_BUFFER, self->vbo_proxy);
  glBufferData (GL_ARRAY_BUFFER, (GLsizeiptr) v->len * 3 * sizeof (float), v->data, GL_STATIC_DRAW);
  glBindBuffer (GL_ARRAY_BUFFER, 0);
  self->proxy_vertices = (GLsizei) v->len;
}

static gboolean
ensure_proxy_fbo (PsGlRenderer *self, int w, int h)
{
  if (self->proxy_fbo != 0 && self->proxy_w == w && self->proxy_h == h)
    return TRUE;
  if (self->proxy_fbo == 0)
    {
      glGenFramebuffers (1, &self->proxy_fbo);
      glGenTextures (2, self->proxy_depth);
    }
  for (int i = 0; i < 2; i++)
    {
      glBindTexture (GL_TEXTURE_2D, self->proxy_depth[i]);
      glTexImage2D (GL_TEXTURE_2D, 0, GL_DEPTH_COMPONENT32F, w, h, 0, GL_DEPTH_COMPONENT, GL_FLOAT, NULL);
      glTexParameteri (GL_TEXTURE_2D, GL_TEXTURE_MIN_FILTER, GL_NEAREST);
      glTexParameteri (GL_TEXTURE_2D, GL_TEXTURE_MAG_FILTER, GL_NEAREST);
      glTexParameteri (GL_TEXTURE_2D, GL_TEXTURE_COMPARE_MODE, GL_NONE);
    }
  glBindTexture (GL_TEXTURE_2D, 0);
  self->proxy_w = w;
  self->proxy_h = h;
  return TRUE;
}

/* Rasterise the proxy's nearest and farthest depths for this tile. */
static void
draw_proxy_depths (PsGlRenderer *self, const Frame *f, GLint target_fbo)
{
  PsGlProgram *p = self->proxy;
  mat4 model, mvp;

  ensure_proxy_fbo (self, f->tile_w, f->tile_h);
  glm_mat4_identity (model);
  glm_translate (model, (vec3) { -0.5f * self->extent[0], -0.5f * self->extent[1], -0.5f * self->extent[2] });
  glm_scale (model, (vec3) { self->extent[0], self->extent[1], self->extent[2] });
  glm_mat4_mul ((vec4 *) f->tile, (vec4 *) f->vp, mvp);
  glm_mat4_mul (mvp, model, mvp);

  glBindFramebuffer (GL_FRAMEBUFFER, self->proxy_fbo);
  glViewport (0, 0, f->tile_w, f->tile_h);
  glDrawBuffer (GL_NONE);
  glReadBuffer (GL_NONE);
  glUseProgram (ps_gl_program_get_id (p));
  glUniformMatrix4fv (ps_gl_program_uniform (p, "u_mvp"), 1, GL_FALSE, (float *) mvp);
  glDisable (GL_BLEND);
  glDisable (GL_CULL_FACE);
  glEnable (GL_DEPTH_TEST);
  glEnable (GL_DEPTH_CLAMP);   /* faces behind the near plane start rays at it */
  glDepthMask (GL_TRUE);
  glBindVertexArray (self->vao_proxy);
  for (int i = 0; i < 2; i++)
    {
      glFramebufferTexture2D (GL_FRAMEBUFFER, GL_DEPTH_ATTACHMENT, GL_TEXTURE_2D, self->proxy_depth[i], 0);
      glClearDepth (i == 0 ? 1.0 : 0.0);
      glClear (GL_DEPTH_BUFFER_BIT);
      glDepthFunc (i == 0 ? GL_LESS : GL_GREATER);
      if (!self->proxy_empty)
        glDrawArrays (GL_TRIANGLES, 0, self->proxy_vertices);
    }
  glBindVertexArray (0);
  glDisable (GL_DEPTH_CLAMP);
  glClearDepth (1.0);
  glDepthFunc (GL_LESS);
  glBindFramebuffer (GL_FRAMEBUFFER, (GLuint) target_fbo);
  glViewport (0, 0, f->tile_w, f->tile_h);
}

static gboolean
draw_raycast (PsGlRenderer *self, const PsGlScene *sc, const PsGlCamera *cam, const Frame *f,
              GError **error)
{
  const PsGlVolumeData *d = self->data;
  /* Labels are sampled where they change the picture: the surface modes,
   * and DVR only for a highlighted object (DVR shows intensities; the
   * segmentation is the labels mode). MIP never needs them. */
  gboolean labels = self->tex_labels != 0 && (sc->mode == PS_RENDER_MODE_ISO || sc->mode == PS_RENDER_MODE_LABELS ||
                                              (sc->mode == PS_RENDER_MODE_DVR && sc->highlight_phase != 0));
  PsGlProgram *prog = raycast_program (self, sc->mode, labels, error);
  float clip_lo[3] = { 0, 0, 0 }, clip_hi[3], slice[3], dims[3], bscale[3];
  float min_spacing = MIN (self->spacing[0], MIN (self->spacing[1], self->spacing[2]));
  float tex_spacing = min_spacing * d->factor;
  double wlo = sc->window_lo, whi = sc->window_hi, thr = sc->threshold;
  GLuint id;

  if (prog == NULL)
    return FALSE;
  if (!isfinite (wlo) || !isfinite (whi) || !(whi > wlo))
    {
      wlo = d->data_min;
      whi = d->data_max;
    }
  if (!isfinite (thr))
    thr = 0.5 * (d->data_min + d->data_max);
  {
    ProxyKey key;
    GLint target = 0;
    proxy_key_of (self, sc, labels, norm_value (d, wlo), norm_value (d, thr), &key);
    if (!self->proxy_valid || memcmp (&key, &self->proxy_key, sizeof key) != 0)
      build_proxy (self, &key);
    glGetIntegerv (GL_DRAW_FRAMEBUFFER_BINDING, &target);
    if (self->proxy_vertices > 0 || self->proxy_empty)
      draw_proxy_depths (self, f, target);
  }
  id = ps_gl_program_get_id (prog);
  glUseProgram (id);

  for (int a = 0; a < 3; a++)
    {
      clip_hi[a] = (float) d->src_dims[a] / (float) (d->dims[a] * (gsize) d->factor);
      dims[a] = (float) d->dims[a];
      bscale[a] = dims[a] / PS_RENDER_BRICK;
    }
  if (sc->clip && sc->subvolume.nx > 0 && sc->subvolume.ny > 0 && sc->subvolume.nz > 0)
    {
      double lo[3] = { sc->subvolume.x0, sc->subvolume.y0, sc->subvolume.z0 };
      double hi[3] = { sc->subvolume.x0 + sc->subvolume.nx, sc->subvolume.y0 + sc->subvolume.ny,
                       sc->subvolume.z0 + sc->subvolume.nz };
      float l[3], h[3];
      tex_of_voxel (self, lo, l);
      tex_of_voxel (self, hi, h);
      for (int a = 0; a < 3; a++)
        {
          clip_lo[a] = MAX (clip_lo[a], l[a]);
          clip_hi[a] = MIN (clip_hi[a], h[a]);
        }
    }
  {
    double c[3];
    for (int a = 0; a < 3; a++)
      c[a] = sc->crosshair[a] + 0.5;   /* voxel centre */
    tex_of_voxel (self, c, slice);
  }
  glUniformMatrix4fv (ps_gl_program_uniform (prog, "u_inv_view_proj"), 1, GL_FALSE, (float *) f->inv_vp);
  glUniformMatrix4fv (ps_gl_program_uniform (prog, "u_view_proj"), 1, GL_FALSE, (float *) f->vp);
  glUniform2f (ps_gl_program_uniform (prog, "u_full_size"), (float) f->full_w, (float) f->full_h);
  glUniform2f (ps_gl_program_uniform (prog, "u_tile_offset"), (float) f->tile_x, (float) f->tile_y);
  glUniform3fv (ps_gl_program_uniform (prog, "u_extent"), 1, self->extent);
  glUniform3fv (ps_gl_program_uniform (prog, "u_dims"), 1, dims);
  glUniform3fv (ps_gl_program_uniform (prog, "u_brick_scale"), 1, bscale);
  glUniform3i (ps_gl_program_uniform (prog, "u_brick_count"), (GLint) d->brick_dims[0],
               (GLint) d->brick_dims[1], (GLint) d->brick_dims[2]);
  glUniform3fv (ps_gl_program_uniform (prog, "u_clip_lo"), 1, clip_lo);
  glUniform3fv (ps_gl_program_uniform (prog, "u_clip_hi"), 1, clip_hi);
  /* Half a (texture) voxel per sample at full quality. */
  glUniform1f (ps_gl_program_uniform (prog, "u_step"), 0.5f * tex_spacing * MAX (sc->step_factor, 0.25f));
  glUniform1f (ps_gl_program_uniform (prog, "u_unit"), min_spacing);
  glUniform2f (ps_gl_program_uniform (prog, "u_window"), norm_value (d, wlo), norm_value (d, whi));
  glUniform1f (ps_gl_program_uniform (prog, "u_threshold"), norm_value (d, thr));
  glUniform1i (ps_gl_program_uniform (prog, "u_threshold_carbon"), sc->threshold_carbon);
  glUniform4fv (ps_gl_program_uniform (prog, "u_carbon"), 1, sc->carbon_rgba);
  glUniform4fv (ps_gl_program_uniform (prog, "u_pore"), 1, sc->pore_rgba);
  glUniform4fv (ps_gl_program_uniform (prog, "u_highlight_color"), 1, sc->highlight_rgba);
  glUniform1ui (ps_gl_program_uniform (prog, "u_highlight"), sc->highlight_label);
  glUniform1ui (ps_gl_program_uniform (prog, "u_highlight_phase"), labels ? sc->highlight_phase : 0);
  {
    /* DVR colours: the carbon colour from dark to a lightened tone. */
    float dark[3], light[3];
    for (int i = 0; i < 3; i++)
      {
        dark[i] = 0.25f * sc->carbon_rgba[i];
        light[i] = 0.6f * sc->carbon_rgba[i] + 0.4f;
      }
    glUniform3fv (ps_gl_program_uniform (prog, "u_dvr_dark"), 1, dark);
    glUniform3fv (ps_gl_program_uniform (prog, "u_dvr_light"), 1, light);
  }
  glUniform1f (ps_gl_program_uniform (prog, "u_dvr_opacity"), sc->dvr_opacity);
  glUniform1i (ps_gl_program_uniform (prog, "u_slices"),
               sc->show_slices && sc->crosshair[0] >= 0 && sc->crosshair[1] >= 0 && sc->crosshair[2] >= 0);
  glUniform3fv (ps_gl_program_uniform (prog, "u_slice_pos"), 1, slice);
  glUniform4fv (ps_gl_program_uniform (prog, "u_background"), 1, sc->background_rgba);
  {
    /* Light from the viewer's upper left, fixed to the camera. */
    vec3 l;
    glm_quat_rotatev ((float *) cam->rotation, (vec3) { -0.35f, 0.45f, 1.0f }, l);
    glm_vec3_normalize (l);
    glUniform3fv (ps_gl_program_uniform (prog, "u_light_dir"), 1, l);
  }

  glActiveTexture (GL_TEXTURE0);
  glBindTexture (GL_TEXTURE_3D, self->tex_volume);
  glUniform1i (ps_gl_program_uniform (prog, "u_volume"), 0);
  glActiveTexture (GL_TEXTURE1);
  glBindTexture (GL_TEXTURE_3D, self->tex_bricks);
  glUniform1i (ps_gl_program_uniform (prog, "u_bricks"), 1);
  if (labels)
    {
      glActiveTexture (GL_TEXTURE2);
      glBindTexture (GL_TEXTURE_3D, self->tex_labels);
      glUniform1i (ps_gl_program_uniform (prog, "u_labels"), 2);
    }
  glUniform1i (ps_gl_program_uniform (prog, "u_use_proxy"), self->proxy_vertices > 0 || self->proxy_empty);
  glActiveTexture (GL_TEXTURE3);
  glBindTexture (GL_TEXTURE_2D, self->proxy_depth[0]);
  glUniform1i (ps_gl_program_uniform (prog, "u_entry_depth"), 3);
  glActiveTexture (GL_TEXTURE4);
  glBindTexture (GL_TEXTURE_2D, self->proxy_depth[1]);
  glUniform1i (ps_gl_program_uniform (prog, "u_exit_depth"), 4);

  glDisable (GL_BLEND);
  glEnable (GL_DEPTH_TEST);
  glDepthFunc (GL_ALWAYS);
  glDepthMask (GL_TRUE);
  glBindVertexArray (self->vao_empty);
  glDrawArrays (GL_TRIANGLES, 0, 3);
  glBindVertexArray (0);
  for (int u = 4; u >= 0; u--)
    {
      glActiveTexture (GL_TEXTURE0 + u);
      glBindTexture (GL_TEXTURE_3D, 0);
      glBindTexture (GL_TEXTURE_2D, 0);
    }
  return TRUE;
}

static void
add_box (GArray *segs, const float lo[3], const float hi[3], const float color[4])
{
  for (int e = 0; e < 12; e++)
    {
      /* Edge e runs along axis e / 4; the other two axes take the bits of e % 4. */
      int axis = e / 4, a1 = (axis + 1) % 3, a2 = (axis + 2) % 3;
      Segment s;
      s.p0[axis] = lo[axis];
      s.p1[axis] = hi[axis];
      s.p0[a1] = s.p1[a1] = (e & 1) ? hi[a1] : lo[a1];
      s.p0[a2] = s.p1[a2] = (e & 2) ? hi[a2] : lo[a2];
      memcpy (s.color, color, sizeof s.color);
      g_array_append_val (segs, s);
    }
}

static void
add_rect (GArray *segs, int axis, float pos, const float lo[3], const float hi[3], const float color[4])
{
  int a1 = (axis + 1) % 3, a2 = (axis + 2) % 3;
  float c[4][3];
  for (int i = 0; i < 4; i++)
    {
      c[i][axis] = pos;
      c[i][a1] = (i == 1 || i == 2) ? hi[a1] : lo[a1];
      c[i][a2] = (i >= 2) ? hi[a2] : lo[a2];
    }
  for (int i = 0; i < 4; i++)
    {
      Segment s;
      memcpy (s.p0, c[i], sizeof s.p0);
      memcpy (s.p1, c[(i + 1) % 4], sizeof s.p1);
      memcpy (s.color, color, sizeof s.color);
      g_array_append_val (segs, s);
    }
}

static void
draw_segments (PsGlRenderer *self, GArray *segs, mat4 mvp, const Frame *f, float width, gboolean depth)
{
  PsGlProgram *p = self->lines;
  if (segs->len == 0)
    return;
  glUseProgram (ps_gl_program_get_id (p));
  glUniformMatrix4fv (ps_gl_program_uniform (p, "u_mvp"), 1, GL_FALSE, (float *) mvp);
  glUniform2f (ps_gl_program_uniform (p, "u_viewport"), (float) f->tile_w, (float) f->tile_h);
  glUniform1f (ps_gl_program_uniform (p, "u_width"), width);
  glUniform1f (ps_gl_program_uniform (p, "u_depth_bias"), 2e-4f);
  glBindBuffer (GL_ARRAY_BUFFER, self->vbo_lines);
  glBufferData (GL_ARRAY_BUFFER, segs->len * sizeof (Segment), segs->data, GL_STREAM_DRAW);
  glBindBuffer (GL_ARRAY_BUFFER, 0);
  if (depth)
    {
      glEnable (GL_DEPTH_TEST);
      glDepthFunc (GL_LEQUAL);
    }
  else
    glDisable (GL_DEPTH_TEST);
  glDepthMask (GL_FALSE);
  glEnable (GL_BLEND);
  glBlendFunc (GL_ONE, GL_ONE_MINUS_SRC_ALPHA);
  glBindVertexArray (self->vao_lines);
  glDrawArraysInstanced (GL_TRIANGLE_STRIP, 0, 4, (GLsizei) segs->len);
  glBindVertexArray (0);
}

static void
world_of_tex (PsGlRenderer *self, const float t[3], float w[3])
{
  for (int a = 0; a < 3; a++)
    w[a] = (t[a] - 0.5f) * self->extent[a];
}

static void
draw_lines (PsGlRenderer *self, const PsGlScene *sc, const Frame *f)
{
  g_autoptr(GArray) segs = g_array_new (FALSE, FALSE, sizeof (Segment));
  const PsGlVolumeData *d = self->data;
  float lo[3], hi[3], t_lo[3] = { 0, 0, 0 }, t_hi[3];
  mat4 mvp;
  static const float bbox_color[4] = { 0.75f, 0.77f, 0.8f, 0.8f };
  static const float sub_color[4] = { 1.0f, 0.62f, 0.1f, 1.0f };
  static const float axis_color[3][4] = { { 0.95f, 0.3f, 0.3f, 0.9f }, { 0.35f, 0.85f, 0.35f, 0.9f },
                                          { 0.35f, 0.55f, 1.0f, 0.9f } };

  for (int a = 0; a < 3; a++)
    t_hi[a] = (float) d->src_dims[a] / (float) (d->dims[a] * (gsize) d->factor);
  world_of_tex (self, t_lo, lo);
  world_of_tex (self, t_hi, hi);
  if (sc->show_bbox)
    add_box (segs, lo, hi, bbox_color);
  if ((sc->show_subvolume || sc->clip) && sc->subvolume.nx > 0 && sc->subvolume.ny > 0 && sc->subvolume.nz > 0)
    {
      double vlo[3] = { sc->subvolume.x0, sc->subvolume.y0, sc->subvolume.z0 };
      double vhi[3] = { sc->subvolume.x0 + sc->subvolume.nx, sc->subvolume.y0 + sc->subvolume.ny,
                        sc->subvolume.z0 + sc->subvolume.nz };
      float tl[3], th[3], wl[3], wh[3];
      tex_of_voxel (self, vlo, tl);
      tex_of_voxel (self, vhi, th);
      world_of_tex (self, tl, wl);
      world_of_tex (self, th, wh);
      add_box (segs, wl, wh, sub_color);
      if (sc->clip)
        {
          memcpy (lo, wl, sizeof lo);
          memcpy (hi, wh, sizeof hi);
        }
    }
  if (sc->show_slices && sc->crosshair[0] >= 0 && sc->crosshair[1] >= 0 && sc->crosshair[2] >= 0)
    {
      double c[3] = { sc->crosshair[0] + 0.5, sc->crosshair[1] + 0.5, sc->crosshair[2] + 0.5 };
      float tc[3], wc[3];
      tex_of_voxel (self, c, tc);
      world_of_tex (self, tc, wc);
      for (int a = 0; a < 3; a++)
        if (wc[a] >= lo[a] && wc[a] <= hi[a])
          add_rect (segs, a, wc[a], lo, hi, axis_color[a]);
    }
  glm_mat4_mul ((vec4 *) f->tile, (vec4 *) f->vp, mvp);
  draw_segments (self, segs, mvp, f, 1.5f * f->scale, TRUE);
}

static void
draw_rect (PsGlRenderer *self, const Frame *f, float x, float y, float w, float h, const float rgba[4],
           GLuint tex)
{
  PsGlProgram *p = self->overlay;
  float premul[4] = { rgba[0] * rgba[3], rgba[1] * rgba[3], rgba[2] * rgba[3], rgba[3] };
  glUseProgram (ps_gl_program_get_id (p));
  glUniform4f (ps_gl_program_uniform (p, "u_rect"), x, y, w, h);
  glUniformMatrix4fv (ps_gl_program_uniform (p, "u_tile"), 1, GL_FALSE, (float *) f->tile);
  glUniform2f (ps_gl_program_uniform (p, "u_full_size"), (float) f->full_w, (float) f->full_h);
  glUniform4fv (ps_gl_program_uniform (p, "u_color"), 1, premul);
  glUniform1i (ps_gl_program_uniform (p, "u_use_texture"), tex != 0);
  glActiveTexture (GL_TEXTURE0);
  glBindTexture (GL_TEXTURE_2D, tex);
  glUniform1i (ps_gl_program_uniform (p, "u_texture"), 0);
  glBindVertexArray (self->vao_empty);
  glDrawArrays (GL_TRIANGLE_STRIP, 0, 4);
  glBindVertexArray (0);
  glBindTexture (GL_TEXTURE_2D, 0);
}

/* Text with its anchor: ax, ay in 0…1 of the text box (0, 0 = bottom left). */
static void
draw_text (PsGlRenderer *self, const Frame *f, const char *text, double px, const float rgb[3], float x,
           float y, float ax, float ay, int wrap_width)
{
  static const float white[4] = { 1, 1, 1, 1 };
  TextTexture *t = text_texture (self, text, px, rgb, wrap_width);
  draw_rect (self, f, roundf (x - ax * t->width), roundf (y - ay * t->height), (float) t->width,
             (float) t->height, white, t->tex);
}

/* 1, 2 or 5 × 10^k nm closest below @target. */
static double
nice_length (double target)
{
  double p = pow (10.0, floor (log10 (target)));
  double m = target / p;
  return (m >= 5.0 ? 5.0 : m >= 2.0 ? 2.0 : 1.0) * p;
}

static void
draw_overlays (PsGlRenderer *self, const PsGlScene *sc, const PsGlCamera *cam, const Frame *f)
{
  static const float white[3] = { 1, 1, 1 };
  static const float notice_rgb[3] = { 1.0f, 0.82f, 0.3f };
  const float s = f->scale;
  const float margin = 16.0f * s;

  glDisable (GL_DEPTH_TEST);
  glDepthMask (GL_FALSE);
  glEnable (GL_BLEND);
  glBlendFunc (GL_ONE, GL_ONE_MINUS_SRC_ALPHA);

  if (sc->show_triad)
    {
      g_autoptr(GArray) segs = g_array_new (FALSE, FALSE, sizeof (Segment));
      static const char *const names[3] = { "x", "y", "z" };
      static const float colors[3][4] = { { 0.95f, 0.3f, 0.3f, 1 }, { 0.35f, 0.85f, 0.35f, 1 },
                                          { 0.4f, 0.6f, 1.0f, 1 } };
      float len = 34.0f * s, cx = margin + len + 6.0f * s, cy = margin + len + 6.0f * s;
      mat4 rot, m, mvp;
      versor qi;
      /* World axis → pixels: the view rotation, then a scale and a shift,
       * then pixels → full-image NDC. */
      glm_quat_inv ((float *) cam->rotation, qi);
      glm_quat_mat4 (qi, rot);
      glm_mat4_identity (m);
      m[0][0] = 2.0f / f->full_w;
      m[1][1] = 2.0f / f->full_h;
      m[2][2] = 0.01f;
      m[3][0] = 2.0f * cx / f->full_w - 1.0f;
      m[3][1] = 2.0f * cy / f->full_h - 1.0f;
      glm_scale_uni (m, len);
      glm_mat4_mul (m, rot, m);
      glm_mat4_mul ((vec4 *) f->tile, m, mvp);
      for (int a = 0; a < 3; a++)
        {
          Segment seg = { { 0, 0, 0 }, { 0, 0, 0 }, { 0 } };
          seg.p1[a] = 1.0f;
          memcpy (seg.color, colors[a], sizeof seg.color);
          g_array_append_val (segs, seg);
        }
      draw_segments (self, segs, mvp, f, 2.5f * s, FALSE);
      for (int a = 0; a < 3; a++)
        {
          vec3 axis = { 0, 0, 0 }, v;
          axis[a] = 1.0f;
          glm_mat4_mulv3 (rot, axis, 0.0f, v);
          draw_text (self, f, names[a], 13.0 * s, colors[a], cx + v[0] * (len + 8.0f * s),
                     cy + v[1] * (len + 8.0f * s), 0.5f, 0.5f, 0);
        }
    }

  if (sc->show_scale_bar && self->data != NULL)
    {
      double nm_px = ps_gl_camera_nm_per_pixel (cam, (float) f->full_w / f->full_h, f->full_h);
      if (nm_px > 0.0 && isfinite (nm_px))
        {
          double length_nm = nice_length (0.18 * f->full_w * nm_px);
          float bar = (float) (length_nm / nm_px);
          float h = 4.0f * s, x1 = f->full_w - margin, y = margin;
          static const float shadow[4] = { 0, 0, 0, 0.7f };
          static const float bar_rgba[4] = { 1, 1, 1, 1 };
          g_autofree char *label = NULL;
          char num[32];
          if (length_nm >= 1000.0)
            label = g_strdup_printf ("%s µm", g_ascii_formatd (num, sizeof num, "%g", length_nm / 1000.0));
          else
            label = g_strdup_printf ("%s nm", g_ascii_formatd (num, sizeof num, "%g", length_nm));
          if (!self->data->spacing_known)
            {
              char *t = g_strconcat (label, " (voxel size unknown: 1 nm assumed)", NULL);
              g_free (label);
              label = t;
            }
          draw_rect (self, f, x1 - bar - s, y - s, bar + 2 * s, h + 2 * s, shadow, 0);
          draw_rect (self, f, x1 - bar, y, bar, h, bar_rgba, 0);
          draw_text (self, f, label, 13.0 * s, white, x1 - 0.5f * bar, y + h + 2.0f * s, 0.5f, 0.0f, 0);
        }
    }

  if (sc->show_notice && self->data != NULL && self->data->notice != NULL)
    draw_text (self, f, self->data->notice, 12.0 * s, notice_rgb, margin * 0.5f, f->full_h - margin * 0.5f,
               0.0f, 1.0f, (int) (f->full_w - margin * 1.5f));
  glDisable (GL_BLEND);
}

static gboolean
render_frame (PsGlRenderer *self, const PsGlScene *sc, const PsGlCamera *cam, const Frame *f, GError **error)
{
  glViewport (0, 0, f->tile_w, f->tile_h);
  glDisable (GL_SCISSOR_TEST);
  glClearColor (sc->background_rgba[0], sc->background_rgba[1], sc->background_rgba[2], 1.0f);
  glClearDepth (1.0);
  glDepthMask (GL_TRUE);
  glClear (GL_COLOR_BUFFER_BIT | GL_DEPTH_BUFFER_BIT);
  if (self->data == NULL || self->tex_volume == 0)
    return TRUE;
  if (!draw_raycast (self, sc, cam, f, error))
    return FALSE;
  draw_lines (self, sc, f);
  draw_overlays (self, sc, cam, f);
  glUseProgram (0);
  return TRUE;
}

static gboolean
ensure_fbo (PsGlRenderer *self, int w, int h, GError **error)
{
  if (self->fbo != 0 && self->fbo_w == w && self->fbo_h == h)
    return TRUE;
  if (self->fbo == 0)
    {
      glGenFramebuffers (1, &self->fbo);
      glGenRenderbuffers (1, &self->fbo_color);
      glGenRenderbuffers (1, &self->fbo_depth);
    }
  glBindRenderbuffer (GL_RENDERBUFFER, self->fbo_color);
  glRenderbufferStorage (GL_RENDERBUFFER, GL_RGBA8, w, h);
  glBindRenderbuffer (GL_RENDERBUFFER, self->fbo_depth);
  glRenderbufferStorage (GL_RENDERBUFFER, GL_DEPTH_COMPONENT24, w, h);
  glBindRenderbuffer (GL_RENDERBUFFER, 0);
  glBindFramebuffer (GL_FRAMEBUFFER, self->fbo);
  glFramebufferRenderbuffer (GL_FRAMEBUFFER, GL_COLOR_ATTACHMENT0, GL_RENDERBUFFER, self->fbo_color);
  glFramebufferRenderbuffer (GL_FRAMEBUFFER, GL_DEPTH_ATTACHMENT, GL_RENDERBUFFER, self->fbo_depth);
  if (glCheckFramebufferStatus (GL_FRAMEBUFFER) != GL_FRAMEBUFFER_COMPLETE)
    {
      g_set_error (error, PS_ERROR, PS_ERROR_CODE_FAILED,
                   "3D view: could not create a %d × %d offscreen framebuffer", w, h);
      self->fbo_w = self->fbo_h = 0;
      return FALSE;
    }
  self->fbo_w = w;
  self->fbo_h = h;
  return TRUE;
}

gboolean
ps_gl_renderer_draw (PsGlRenderer *self, const PsGlScene *scene, const PsGlCamera *cam, GLuint fbo,
                     int width, int height, float resolution, GError **error)
{
  Frame f;
  gboolean ok;

  if (width <= 0 || height <= 0)
    return TRUE;
  if (self->timer == 0)
    glGenQueries (1, &self->timer);
  if (self->timer_pending)
    {
      GLuint64 ns;
      glGetQueryObjectui64v (self->timer, GL_QUERY_RESULT, &ns);
      self->timer_pending = FALSE;
    }
  glBeginQuery (GL_TIME_ELAPSED, self->timer);
  if (!(resolution > 0.0f) || resolution >= 1.0f)
    {
      glBindFramebuffer (GL_FRAMEBUFFER, fbo);
      frame_setup (&f, cam, width, height, 0, 0, width, height, scene->overlay_scale);
      ok = render_frame (self, scene, cam, &f, error);
    }
  else
    {
      int w = MAX (1, (int) lroundf (width * resolution));
      int h = MAX (1, (int) lroundf (height * resolution));
      ok = ensure_fbo (self, w, h, error);
      if (ok)
        {
          glBindFramebuffer (GL_FRAMEBUFFER, self->fbo);
          frame_setup (&f, cam, w, h, 0, 0, w, h, scene->overlay_scale * resolution);
          ok = render_frame (self, scene, cam, &f, error);
          glBindFramebuffer (GL_READ_FRAMEBUFFER, self->fbo);
          glBindFramebuffer (GL_DRAW_FRAMEBUFFER, fbo);
          glBlitFramebuffer (0, 0, w, h, 0, 0, width, height, GL_COLOR_BUFFER_BIT, GL_LINEAR);
        }
      glBindFramebuffer (GL_FRAMEBUFFER, fbo);
    }
  glEndQuery (GL_TIME_ELAPSED);
  self->timer_pending = TRUE;
  return ok;
}

double
ps_gl_renderer_last_gpu_ms (PsGlRenderer *self)
{
  GLuint64 ns = 0;
  if (!self->timer_pending)
    return -1.0;
  glGetQueryObjectui64v (self->timer, GL_QUERY_RESULT, &ns);
  self->timer_pending = FALSE;
  return ns / 1e6;
}

guint8 *
ps_gl_renderer_render_offscreen (PsGlRenderer *self, const PsGlScene *scene, const PsGlCamera *cam, int width,
                                 int height, GError **error)
{
  g_autofree guint8 *pixels = NULL;
  g_autofree guint8 *tile_px = NULL;
  GLint prev_fbo = 0;
  int tile = TILE_MAX;
  gsize bytes;

  if (width < 1 || height < 1 || width > PS_GL_MAX_EXPORT_SIZE || height > PS_GL_MAX_EXPORT_SIZE)
    {
      g_set_error (error, PS_ERROR, PS_ERROR_CODE_INVALID_PARAMETER,
                   "3D export: %d × %d is not a size between 1 and %d pixels", width, height,
                   PS_GL_MAX_EXPORT_SIZE);
      return NULL;
    }
  tile = MIN (tile, self->max_rb > 0 ? self->max_rb : 1024);
  tile = MIN (tile, self->max_viewport[0] > 0 ? self->max_viewport[0] : 1024);
  tile = MIN (tile, self->max_viewport[1] > 0 ? self->max_viewport[1] : 1024);
  bytes = (gsize) width * (gsize) height * 4;
  pixels = g_try_malloc (bytes);
  tile_px = g_try_malloc ((gsize) tile * (gsize) tile * 4);
  if (pixels == NULL || tile_px == NULL)
    {
      ps_set_error_too_large (error, "3D export", bytes);
      return NULL;
    }
  glGetIntegerv (GL_DRAW_FRAMEBUFFER_BINDING, &prev_fbo);
  if (!ensure_fbo (self, MIN (tile, width), MIN (tile, height), error))
    return NULL;

  for (int ty = 0; ty < height; ty += tile)
    for (int tx = 0; tx < width; tx += tile)
      {
        int tw = MIN (tile, width - tx), th = MIN (tile, height - ty);
        Frame f;
        glBindFramebuffer (GL_FRAMEBUFFER, self->fbo);
        frame_setup (&f, cam, width, height, tx, ty, tw, th, scene->overlay_scale);
        if (!render_frame (self, scene, cam, &f, error))
          {
            glBindFramebuffer (GL_FRAMEBUFFER, (GLuint) prev_fbo);
            return NULL;
          }
        glPixelStorei (GL_PACK_ALIGNMENT, 1);
        glReadPixels (0, 0, tw, th, GL_RGBA, GL_UNSIGNED_BYTE, tile_px);
        /* GL rows are bottom first; the image is top first. */
        for (int r = 0; r < th; r++)
          memcpy (pixels + ((gsize) (height - 1 - (ty + r)) * width + tx) * 4, tile_px + (gsize) r * tw * 4,
                  (gsize) tw * 4);
      }
  glBindFramebuffer (GL_FRAMEBUFFER, (GLuint) prev_fbo);
  return g_steal_pointer (&pixels);
}
