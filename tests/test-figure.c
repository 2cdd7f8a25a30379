/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Figures (suite "ui", under Xvfb): the window's figure as PNG, SVG and PDF.
 * The PNG has the size the DPI gives and its provenance in tEXt chunks (read
 * back with PIL), and its xy panel shows the volume's slice at the crosshair
 * through the window mapping of ps-slice-render.h written out here; the SVG
 * parses as XML with Dublin Core and per-key provenance metadata; the PDF has
 * its Title and Creator; `porescope --figure` writes a figure of a file with
 * the file's SHA-256 (computed here) and refuses unknown extensions. */
#include "config.h"

#include <adwaita.h>
#include <glib/gstdio.h>
#include <math.h>
#include <string.h>

#include "ps-application.h"
#include "ps-core-glib.h"
#include "ps-export.h"
#include "ps-figure-layout.h"
#include "ps-figure.h"
#include "ps-movie.h"
#include "ps-test-util.h"
#include "ps-ui-test-util.h"
#include "ps-volume-io.h"
#include "ps-window.h"

#define NX 40
#define NY 32
#define NZ 24

static PsApplication *app;

static float
pattern (gsize x, gsize y, gsize z)
{
  return (float) ((x * 7 + y * 13 + z * 29) % 97) / 96.0f;
}

static PsVolume *
make_volume (void)
{
  PsStatus st;
  PsVolume *v = ps_volume_new (NX, NY, NZ, &st);
  g_assert_nonnull (v);
  for (gsize z = 0; z < NZ; z++)
    for (gsize y = 0; y < NY; y++)
      for (gsize x = 0; x < NX; x++)
        v->data[ps_volume_index (v, x, y, z)] = pattern (x, y, z);
  ps_volume_set_spacing (v, 0.5, 0.5, 1.0);
  return v;
}

/* Pores: boxes of 2 × 2 × 2 voxels on a 5-voxel lattice, one label each. */
static PsLabels *
make_pores (guint32 *n_objects)
{
  PsStatus st;
  PsLabels *l = ps_labels_new (NX, NY, NZ, &st);
  guint32 next = 0;
  g_assert_nonnull (l);
  for (gsize z = 0; z + 2 <= NZ; z += 5)
    for (gsize y = 0; y + 2 <= NY; y += 5)
      for (gsize x = 0; x + 2 <= NX; x += 5)
        {
          next++;
          for (gsize k = 0; k < 8; k++)
            l->data[((z + k / 4) * NY + (y + (k / 2) % 2)) * NX + x + k % 2] = next;
        }
  l->n_labels = next;
  *n_objects = next;
  return l;
}

static PsWindow *
new_window_with_volume (void)
{
  PsWindow *win = ps_window_new (GTK_APPLICATION (app));
  g_autoptr (PsVolume) vol = make_volume ();

  gtk_window_present (GTK_WINDOW (win));
  ps_document_set_volume (ps_window_get_document (win), vol, "pattern", NULL);
  ps_ui_test_wait_settled (win);
  return win;
}

static void
exported_cb (GObject *source, GAsyncResult *result, gpointer data)
{
  GError **error = data;
  if (!ps_window_export_figure_finish (PS_WINDOW (source), result, error))
    g_assert_nonnull (*error);
  else
    *error = (GError *) 1;   /* done, no error */
}

static void
export_figure (PsWindow *win, const char *path, const PsFigureOptions *options)
{
  GError *error = NULL;
  gint64 deadline = g_get_monotonic_time () + 120 * G_USEC_PER_SEC;
  ps_window_export_figure (win, path, options, exported_cb, &error);
  while (error == NULL)
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_main_context_iteration (NULL, TRUE);
    }
  if (error != (GError *) 1)
    g_error ("%s", error->message);
}

/* @needle in binary @data (g_strstr_len stops at a NUL byte). */
static gboolean
contains (const char *data, gsize len, const char *needle)
{
  gsize n = strlen (needle);
  for (gsize i = 0; i + n <= len; i++)
    if (memcmp (data + i, needle, n) == 0)
      return TRUE;
  return FALSE;
}

static guint8
expected_gray (double v, double lo, double hi)
{
  double t = CLAMP ((v - lo) / (hi - lo), 0.0, 1.0);
  return (guint8) floor (255.0 * t + 0.5);
}

/* "KEY name = value" lines from the Python helpers into a table. */
static GHashTable *
parse_keys (const char *out, const char *prefix)
{
  GHashTable *t = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_auto (GStrv) lines = g_strsplit (out, "\n", -1);
  for (char **l = lines; *l != NULL; l++)
    if (g_str_has_prefix (*l, prefix))
      {
        const char *rest = *l + strlen (prefix);
        const char *eq = strstr (rest, " = ");
        g_assert_nonnull (eq);
        g_hash_table_insert (t, g_strndup (rest, eq - rest), g_strdup (eq + 3));
      }
  return t;
}

static const char png_script[] =
  "import sys\n"
  "from PIL import Image\n"
  "im = Image.open(sys.argv[1]); im.load()\n"
  "print('SIZE', im.size[0], im.size[1], im.mode)\n"
  "print('DPI', round(im.info['dpi'][0]), round(im.info['dpi'][1]))\n"
  "for k in sorted(im.text): print('KEY', k, '=', im.text[k].replace('\\n', '|'))\n";

static const char svg_script[] =
  "import sys, xml.etree.ElementTree as ET\n"
  "r = ET.parse(sys.argv[1]).getroot()\n"
  "ns = {'svg': 'http://www.w3.org/2000/svg', 'dc': 'http://purl.org/dc/elements/1.1/'}\n"
  "assert r.tag == '{http://www.w3.org/2000/svg}svg', r.tag\n"
  "m = r.find('svg:metadata', ns)\n"
  "print('KEY dc:title =', m.find('.//dc:title', ns).text)\n"
  "print('KEY dc:creator =', m.find('.//dc:creator', ns).text)\n"
  "for e in m.iter('{https://github.com/porescope/porescope/provenance}entry'):\n"
  "    print('ENTRY', e.get('key'), '=', e.text or '')\n"
  "w = r.get('width'); assert w.endswith('pt'), w\n"
  "print('KEY width_mm =', round(float(w[:-2]) * 25.4 / 72, 3))\n"
  "print('KEY images =', len(r.findall('.//svg:image', ns)))\n";

static void
test_figure_formats (void)
{
  PsWindow *win = new_window_with_volume ();
  PsDocument *doc = ps_window_get_document (win);
  GActionGroup *actions = ps_document_get_actions (doc);
  g_autofree char *png = ps_test_tmp_path ("figure.png");
  g_autofree char *svg = ps_test_tmp_path ("figure.svg");
  g_autofree char *pdf = ps_test_tmp_path ("figure.pdf");
  g_autofree char *out = NULL, *err = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GdkTexture) tex = NULL;
  g_autoptr (GHashTable) keys = NULL;
  g_autofree guint32 *px = NULL;
  g_autofree char *pdf_data = NULL;
  g_autoptr (PsLabels) pores = NULL;
  guint32 n_pores;
  PsFigureOptions options;
  PsFigureLayoutParams lp;
  PsFigureLayout layout;
  gsize z = ps_document_get_slice (doc, PS_SLICE_XY), pdf_len, checked = 0;
  int w, h, rc;

  /* A pore label layer (histogram), hidden in the slices. */
  pores = make_pores (&n_pores);
  ps_document_set_overlay (doc, "pores", pores, PS_OVERLAY_PER_LABEL, PS_PHASE_PORES, 0, -1);
  g_action_group_change_action_state (actions, "show-overlays", g_variant_new_boolean (FALSE));
  g_action_group_activate_action (actions, "window", g_variant_new ("(dd)", 0.0, 1.0));
  ps_ui_test_spin ();

  ps_figure_options_init (&options);
  options.dpi = 150;
  export_figure (win, png, &options);

  /* The layout the figure must have: 180 mm wide, automatic height. */
  ps_figure_layout_params_init (&lp);
  lp.page_width = 180.0 / 25.4 * 72.0;
  lp.extent_nm[0] = NX * 0.5;
  lp.extent_nm[1] = NY * 0.5;
  lp.extent_nm[2] = NZ * 1.0;
  lp.histogram[0] = TRUE;
  g_assert_cmpint (ps_figure_layout_compute (&lp, &layout), ==, PS_OK);
  g_assert_true (layout.present[PS_FIGURE_PANEL_HIST_PORES]);
  g_assert_false (layout.present[PS_FIGURE_PANEL_HIST_CARBON]);

  /* PIL: size at 150 dpi, the pHYs resolution and the text chunks. */
  rc = ps_test_python (&out, &err, png_script, png, NULL);
  if (rc < 0)
    {
      g_test_skip ("no /usr/bin/python3");
      gtk_window_destroy (GTK_WINDOW (win));
      return;
    }
  g_assert_cmpint (rc, ==, 0);
  w = (int) lround (lp.page_width * 150.0 / 72.0);
  h = (int) lround (layout.page_height * 150.0 / 72.0);
  g_assert_cmpint (w, ==, 1063);
  {
    g_autofree char *want = g_strdup_printf ("SIZE %d %d RGB\nDPI 150 150\n", w, h);
    g_assert_true (g_str_has_prefix (out, want));
  }
  keys = parse_keys (out, "KEY ");
  g_assert_cmpstr (g_hash_table_lookup (keys, "Title"), ==, "pattern");
  g_assert_cmpstr (g_hash_table_lookup (keys, "Software"), ==, "Porescope " PACKAGE_VERSION);
  g_assert_cmpstr (g_hash_table_lookup (keys, "program"), ==, "porescope");
  g_assert_cmpstr (g_hash_table_lookup (keys, "version"), ==, PACKAGE_VERSION);
  g_assert_cmpstr (g_hash_table_lookup (keys, "volume_size_voxels"), ==, "40 32 24");
  g_assert_cmpstr (g_hash_table_lookup (keys, "voxel_size_nm"), ==, "0.5 0.5 1");
  g_assert_cmpstr (g_hash_table_lookup (keys, "display_window"), ==, "0 1");
  g_assert_cmpstr (g_hash_table_lookup (keys, "overlays"), ==, "none");
  g_assert_cmpstr (g_hash_table_lookup (keys, "figure_dpi"), ==, "150");
  {
    gsize c[3];
    ps_document_get_crosshair (doc, c);
    g_autofree char *want = g_strdup_printf ("%zu %zu %zu", c[0], c[1], c[2]);
    g_assert_cmpstr (g_hash_table_lookup (keys, "slices_voxels"), ==, want);
  }
  g_assert_nonnull (strstr (g_hash_table_lookup (keys, "Description"), "voxel_size_nm: 0.5 0.5 1|"));

  /* The xy panel: every figure pixel whose centre is not within 2 % of a
   * voxel edge shows that voxel through the window (0, 1), away from the
   * letter and caption (top 8 pt) and the scale bar (bottom 20 pt). */
  tex = gdk_texture_new_from_filename (png, &error);
  g_assert_no_error (error);
  g_assert_cmpint (gdk_texture_get_width (tex), ==, w);
  px = g_new (guint32, (gsize) w * h);
  gdk_texture_download (tex, (guchar *) px, (gsize) w * 4);
  {
    const PsFigureRect *r = &layout.panel[PS_FIGURE_PANEL_XY];
    double k = w / lp.page_width;   /* pixels per point */
    for (int v = 0; v < h; v++)
      for (int u = 0; u < w; u++)
        {
          double xp = (u + 0.5) / k, yp = (v + 0.5) / k;
          double fx = (xp - r->x) / r->w * NX, fy = (yp - r->y) / r->h * NY;
          if (xp < r->x || xp >= r->x + r->w || yp < r->y + 18.0 || yp >= r->y + r->h - 20.0)
            continue;
          if (fx - floor (fx) < 0.02 || fx - floor (fx) > 0.98 || fy - floor (fy) < 0.02 || fy - floor (fy) > 0.98)
            continue;
          guint8 g = expected_gray (pattern ((gsize) fx, (gsize) fy, z), 0.0, 1.0);
          guint32 want = 0xff000000u | (guint32) g << 16 | (guint32) g << 8 | g;
          if (px[(gsize) v * w + u] != want)
            g_error ("xy panel pixel (%d, %d) = %08x, voxel (%d, %d, %zu) wants %08x", u, v, px[(gsize) v * w + u],
                     (int) fx, (int) fy, z, want);
          checked++;
        }
    g_assert_cmpuint (checked, >, 20000);
    /* The 3D panel holds a rendering, not the gray "unavailable" box. */
    const PsFigureRect *r3 = &layout.panel[PS_FIGURE_PANEL_3D];
    guint32 c = px[(gsize) lround ((r3->y + r3->h * 0.1) * k) * w + (gsize) lround ((r3->x + r3->w * 0.9) * k)];
    g_assert_cmphex (c, !=, 0xffd9d9d9u);
  }

  /* SVG: XML with Dublin Core and the provenance, three slices + 3D as images. */
  export_figure (win, svg, &options);
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (ps_test_python (&out, &err, svg_script, svg, NULL), ==, 0);
  g_clear_pointer (&keys, g_hash_table_unref);
  keys = parse_keys (out, "KEY ");
  g_assert_cmpstr (g_hash_table_lookup (keys, "dc:title"), ==, "pattern");
  g_assert_cmpstr (g_hash_table_lookup (keys, "dc:creator"), ==, "Porescope " PACKAGE_VERSION);
  g_assert_cmpstr (g_hash_table_lookup (keys, "width_mm"), ==, "180.0");
  g_assert_cmpstr (g_hash_table_lookup (keys, "images"), ==, "4");
  g_clear_pointer (&keys, g_hash_table_unref);
  keys = parse_keys (out, "ENTRY ");
  g_assert_cmpstr (g_hash_table_lookup (keys, "voxel_size_nm"), ==, "0.5 0.5 1");
  g_assert_null (g_hash_table_lookup (keys, "figure_dpi"));

  /* PDF: a PDF with Title and Creator in its information dictionary. */
  export_figure (win, pdf, &options);
  g_assert_true (g_file_get_contents (pdf, &pdf_data, &pdf_len, NULL));
  g_assert_true (g_str_has_prefix (pdf_data, "%PDF-"));
  g_assert_true (contains (pdf_data, pdf_len, "/Title (Porescope figure: pattern)"));
  g_assert_true (contains (pdf_data, pdf_len, "/Creator (Porescope " PACKAGE_VERSION ")"));
  g_assert_true (contains (pdf_data + pdf_len - 8, 8, "%%EOF"));

  gtk_window_destroy (GTK_WINDOW (win));
  ps_ui_test_spin ();
}

static void
test_figure_bad_path (void)
{
  PsWindow *win = new_window_with_volume ();
  g_autofree char *path = ps_test_tmp_path ("figure.bmp");
  GError *error = NULL;
  gint64 deadline = g_get_monotonic_time () + 30 * G_USEC_PER_SEC;

  ps_window_export_figure (win, path, NULL, exported_cb, &error);
  while (error == NULL)
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_main_context_iteration (NULL, TRUE);
    }
  g_assert_true (error != (GError *) 1);
  g_assert_nonnull (strstr (error->message, "figure.bmp"));
  g_error_free (error);
  g_assert_false (g_file_test (path, G_FILE_TEST_EXISTS));
  gtk_window_destroy (GTK_WINDOW (win));
  ps_ui_test_spin ();
}

static void
test_figure_cli (void)
{
  const char *app_path = g_getenv ("PORESCOPE_APP");
  g_autofree char *tif = ps_test_tmp_path ("figure-input.tif");
  g_autofree char *svg = ps_test_tmp_path ("cli.svg");
  g_autofree char *bad = ps_test_tmp_path ("cli.jpeg");
  g_autofree char *out = NULL, *err = NULL, *data = NULL, *sha = NULL;
  g_autoptr (PsVolume) vol = make_volume ();
  g_autoptr (GError) error = NULL;
  g_autoptr (GHashTable) entries = NULL;
  gsize len;

  g_assert_nonnull (app_path);
  g_assert_true (ps_volume_save (vol, tif, NULL, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (g_file_get_contents (tif, &data, &len, NULL));
  sha = g_compute_checksum_for_data (G_CHECKSUM_SHA256, (const guchar *) data, len);

  {
    const char *argv[] = { app_path, "--figure", svg, "--figure-width", "85", tif, NULL };
    g_assert_cmpint (ps_test_spawn (&out, &err, argv), ==, 0);
  }
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  if (ps_test_python (&out, &err, svg_script, svg, NULL) < 0)
    {
      g_test_skip ("no /usr/bin/python3");
      return;
    }
  entries = parse_keys (out, "ENTRY ");
  g_assert_cmpstr (g_hash_table_lookup (entries, "input_sha256"), ==, sha);
  {
    g_autofree char *canonical = g_canonicalize_filename (tif, NULL);
    g_assert_cmpstr (g_hash_table_lookup (entries, "input"), ==, canonical);
  }
  g_assert_nonnull (strstr (out, "KEY width_mm = 85.0\n"));

  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  {
    const char *argv[] = { app_path, "--figure", bad, tif, NULL };
    g_assert_cmpint (ps_test_spawn (&out, &err, argv), ==, 2);
  }
  g_assert_nonnull (strstr (err, "cli.jpeg"));
  g_assert_false (g_file_test (bad, G_FILE_TEST_EXISTS));
}

/* ---- movies ------------------------------------------------------------------------------ */

typedef struct
{
  gboolean done;
  guint frames;
  GError *error;
} MovieWait;

static void
movie_cb (GObject *source, GAsyncResult *result, gpointer data)
{
  MovieWait *w = data;
  w->frames = ps_movie_export_finish (result, &w->error);
  w->done = TRUE;
}

static void
wait_movie (MovieWait *w)
{
  gint64 deadline = g_get_monotonic_time () + 240 * G_USEC_PER_SEC;
  while (!w->done)
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_main_context_iteration (NULL, TRUE);
    }
}

static int
compare_names (gconstpointer a, gconstpointer b)
{
  return strcmp (*(char *const *) a, *(char *const *) b);
}

/* The entries of a folder, sorted. */
static GPtrArray *
list_dir (const char *path)
{
  GPtrArray *names = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GDir) dir = g_dir_open (path, 0, NULL);
  const char *n;
  g_assert_nonnull (dir);
  while ((n = g_dir_read_name (dir)) != NULL)
    g_ptr_array_add (names, g_strdup (n));
  g_ptr_array_sort (names, compare_names);
  return names;
}

/* A sweep of 7 PNG frames: frame i is slice z = ⌊i·24/7⌋, the 40 × 32 slice
 * of 0.5 nm voxels magnified 18× (720 × 576) without interpolation. */
static void
test_movie_sweep_png (void)
{
  PsWindow *win = new_window_with_volume ();
  PsDocument *doc = ps_window_get_document (win);
  g_autofree char *dir = ps_test_tmp_path ("sweep-frames");
  g_autoptr (GPtrArray) names = NULL;
  PsMovieOptions o;
  MovieWait w = { 0 };

  g_action_group_activate_action (ps_document_get_actions (doc), "window", g_variant_new ("(dd)", 0.0, 1.0));
  ps_ui_test_spin ();
  ps_movie_options_init (&o);
  o.kind = PS_MOVIE_SWEEP;
  o.n_frames = 7;
  ps_window_export_movie (win, dir, &o, movie_cb, &w);
  wait_movie (&w);
  g_assert_no_error (w.error);
  g_assert_cmpuint (w.frames, ==, 7);
  names = list_dir (dir);
  g_assert_cmpuint (names->len, ==, 7);
  for (guint i = 0; i < 7; i++)
    {
      g_autofree char *want = g_strdup_printf ("frame-%04u.png", i);
      g_autofree char *file = g_build_filename (dir, want, NULL);
      g_autoptr (GError) error = NULL;
      g_autoptr (GdkTexture) tex = NULL;
      g_autofree guint32 *px = NULL;
      gsize z = (gsize) i * NZ / 7;

      g_assert_cmpstr (g_ptr_array_index (names, i), ==, want);
      tex = gdk_texture_new_from_filename (file, &error);
      g_assert_no_error (error);
      g_assert_cmpint (gdk_texture_get_width (tex), ==, 720);
      g_assert_cmpint (gdk_texture_get_height (tex), ==, 576);
      px = g_new (guint32, 720 * 576);
      gdk_texture_download (tex, (guchar *) px, 720 * 4);
      for (int v = 0; v < 576; v += 7)
        for (int u = 0; u < 720; u += 5)
          {
            guint8 g = expected_gray (pattern (u / 18, v / 18, z), 0.0, 1.0);
            g_assert_cmphex (px[v * 720 + u], ==, 0xff000000u | (guint32) g << 16 | (guint32) g << 8 | g);
          }
    }

  /* With the segmentation: a solid pore layer over x < 20 blended in its
   * colour and opacity, the rest unchanged. */
  {
    g_autofree char *dir2 = ps_test_tmp_path ("sweep-overlay");
    g_autofree char *file = g_build_filename (dir2, "frame-0001.png", NULL);
    g_autoptr (PsLabels) half = ps_labels_new (NX, NY, NZ, NULL);
    g_autoptr (GdkTexture) tex = NULL;
    g_autoptr (GError) error = NULL;
    g_autofree guint32 *px = g_new (guint32, 720 * 576);
    MovieWait w2 = { 0 };
    const PsOverlayLayer *layer;
    guint32 color;
    double alpha;
    gsize z = (gsize) 1 * NZ / 2;

    for (gsize i = 0; i < (gsize) NX * NY * NZ; i++)
      half->data[i] = i % NX < NX / 2;
    half->n_labels = 1;
    ps_document_set_overlay (doc, "pores", half, PS_OVERLAY_SOLID, PS_PHASE_PORES, 0, -1);
    /* Shown in the movie even though the views hide overlays. */
    g_action_group_change_action_state (ps_document_get_actions (doc), "show-overlays",
                                        g_variant_new_boolean (FALSE));
    layer = ps_document_get_overlay (doc, 0);
    color = ps_document_get_overlay_color (doc, layer);
    alpha = ps_document_get_overlay_alpha (doc, layer);
    o.n_frames = 2;
    o.overlay = TRUE;
    ps_window_export_movie (win, dir2, &o, movie_cb, &w2);
    wait_movie (&w2);
    g_assert_no_error (w2.error);
    tex = gdk_texture_new_from_filename (file, &error);
    g_assert_no_error (error);
    gdk_texture_download (tex, (guchar *) px, 720 * 4);
    for (int v = 0; v < 576; v += 7)
      for (int u = 0; u < 720; u += 5)
        {
          guint8 g = expected_gray (pattern (u / 18, v / 18, z), 0.0, 1.0);
          guint32 want = 0xff000000u;
          for (int c = 0; c < 3; c++)
            {
              guint8 over = (color >> (16 - 8 * c)) & 0xff;
              guint8 out = u / 18 < NX / 2 ? (guint8) floor ((1.0 - alpha) * g + alpha * over + 0.5) : g;
              want |= (guint32) out << (16 - 8 * c);
            }
          g_assert_cmphex (px[v * 720 + u], ==, want);
        }
  }
  gtk_window_destroy (GTK_WINDOW (win));
  ps_ui_test_spin ();
}

/* A WebM rotation of 10 frames at 10 fps lasts 1 s (gst-discoverer) and
 * holds 10 video frames (demuxed and counted by gst-launch). */
static void
test_movie_rotate_webm (void)
{
  PsWindow *win = new_window_with_volume ();
  g_autofree char *webm = ps_test_tmp_path ("rotate.webm");
  g_autofree char *location = NULL;
  g_autofree char *out = NULL, *err = NULL;
  g_autofree char *discoverer = NULL, *launch = NULL;
  PsMovieOptions o;
  MovieWait w = { 0 };
  int chains = 0;

  if (!ps_movie_have_webm ())
    {
      g_test_skip ("built without GStreamer");
      gtk_window_destroy (GTK_WINDOW (win));
      return;
    }
  ps_movie_options_init (&o);
  o.kind = PS_MOVIE_ROTATE;
  o.n_frames = 10;
  o.fps = 10;
  o.width = 320;
  o.height = 240;
  ps_window_export_movie (win, webm, &o, movie_cb, &w);
  wait_movie (&w);
  g_assert_no_error (w.error);
  g_assert_cmpuint (w.frames, ==, 10);
  gtk_window_destroy (GTK_WINDOW (win));
  ps_ui_test_spin ();

  discoverer = g_find_program_in_path ("gst-discoverer-1.0");
  launch = g_find_program_in_path ("gst-launch-1.0");
  if (discoverer == NULL || launch == NULL)
    {
      g_test_skip ("gst-discoverer-1.0 or gst-launch-1.0 missing (scripts/deps.sh test installs them)");
      return;
    }
  {
    const char *argv[] = { discoverer, webm, NULL };
    g_assert_cmpint (ps_test_spawn (&out, &err, argv), ==, 0);
  }
  g_assert_nonnull (strstr (out, "Duration: 0:00:01.000000000"));
  g_assert_nonnull (strstr (out, "VP8"));
  g_assert_nonnull (strstr (out, "Width: 320"));
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  location = g_strconcat ("location=", webm, NULL);
  {
    const char *argv[] = { launch, "-v", "filesrc", location, "!", "matroskademux", "!", "vp8dec", "!",
                           "fakesink", "silent=false", NULL };
    g_assert_cmpint (ps_test_spawn (&out, &err, argv), ==, 0);
  }
  for (const char *p = out; (p = strstr (p, "chain ")) != NULL; p++)
    chains++;
  g_assert_cmpint (chains, ==, 10);
}

/* Cancel (the document's Cancel, as the banner's button) stops a long movie
 * early and leaves neither the target nor a temporary file behind. */
static void
test_movie_cancel (void)
{
  PsWindow *win = new_window_with_volume ();
  PsDocument *doc = ps_window_get_document (win);
  g_autofree char *dir = ps_test_tmp_path ("cancel");
  g_autofree char *webm = NULL, *frames = NULL;
  g_autoptr (GPtrArray) names = NULL;
  PsMovieOptions o;
  gint64 deadline = g_get_monotonic_time () + 60 * G_USEC_PER_SEC;

  g_assert_cmpint (g_mkdir (dir, 0755), ==, 0);
  webm = g_build_filename (dir, "sweep.webm", NULL);
  frames = g_build_filename (dir, "frames", NULL);
  ps_movie_options_init (&o);
  o.kind = PS_MOVIE_SWEEP;
  o.n_frames = 5000;
  for (int k = 0; k < 2; k++)
    {
      const char *path = k == 0 ? frames : webm;
      MovieWait w = { 0 };
      if (k == 1 && !ps_movie_have_webm ())
        break;
      ps_window_export_movie (win, path, &o, movie_cb, &w);
      /* Let a few frames through, then Cancel. */
      while (ps_document_get_job (doc) == NULL || ps_job_get_fraction (ps_document_get_job (doc)) < 3.0 / 5000)
        {
          g_assert_cmpint (g_get_monotonic_time (), <, deadline);
          g_main_context_iteration (NULL, TRUE);
        }
      g_assert_false (w.done);
      if (k == 0 && g_getenv ("PORESCOPE_SCREENSHOT_DIR") != NULL)
        {
          /* The progress banner with Cancel, for docs/screenshots. */
          g_autofree char *shot = g_build_filename (g_getenv ("PORESCOPE_SCREENSHOT_DIR"), "movie-progress.png", NULL);
          g_autoptr (GError) shot_error = NULL;
          for (gint64 end = g_get_monotonic_time () + 800000; g_get_monotonic_time () < end;)
            g_main_context_iteration (NULL, TRUE);
          g_assert_true (ps_window_save_screenshot (win, shot, &shot_error));
        }
      g_action_group_activate_action (ps_document_get_actions (doc), "cancel", NULL);
      wait_movie (&w);
      g_assert_error (w.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
      g_clear_error (&w.error);
      g_assert_cmpuint (w.frames, ==, 0);
      g_assert_false (g_file_test (path, G_FILE_TEST_EXISTS));
      names = list_dir (dir);
      g_assert_cmpuint (names->len, ==, 0);
      g_clear_pointer (&names, g_ptr_array_unref);
    }
  gtk_window_destroy (GTK_WINDOW (win));
  ps_ui_test_spin ();
}

/* The window actions: win.export-figure (s) and win.export-movie (a{sv}). */
static void
test_actions (void)
{
  PsWindow *win = new_window_with_volume ();
  g_autofree char *pdf = ps_test_tmp_path ("action.pdf");
  g_autofree char *dir = ps_test_tmp_path ("action-frames");
  g_autoptr (GPtrArray) names = NULL;
  GVariantBuilder b;
  gint64 deadline = g_get_monotonic_time () + 120 * G_USEC_PER_SEC;

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (win), "win.export-figure", "s", pdf));
  while (!g_file_test (pdf, G_FILE_TEST_EXISTS))
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_main_context_iteration (NULL, TRUE);
    }
  g_variant_builder_init (&b, G_VARIANT_TYPE_VARDICT);
  g_variant_builder_add (&b, "{sv}", "kind", g_variant_new_string ("sweep"));
  g_variant_builder_add (&b, "{sv}", "frames", g_variant_new_uint32 (3));
  g_variant_builder_add (&b, "{sv}", "overlay", g_variant_new_boolean (TRUE));
  g_variant_builder_add (&b, "{sv}", "path", g_variant_new_string (dir));
  g_assert_true (gtk_widget_activate_action_variant (GTK_WIDGET (win), "win.export-movie",
                                                     g_variant_builder_end (&b)));
  while (!g_file_test (dir, G_FILE_TEST_IS_DIR))
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_main_context_iteration (NULL, TRUE);
    }
  names = list_dir (dir);
  g_assert_cmpuint (names->len, ==, 3);
  g_assert_null (ps_window_get_error (win));

  /* Without a path they ask with a file chooser (its size, resolution,
   * frame and segmentation choices); the window closes it. */
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (win), "win.export-figure", "s", ""));
  ps_ui_test_spin ();
  if (g_getenv ("PORESCOPE_SCREENSHOT_DIR") != NULL)
    {
      GListModel *tops = gtk_window_get_toplevels ();
      for (guint i = 0; i < g_list_model_get_n_items (tops); i++)
        {
          g_autoptr (GtkWidget) top = g_list_model_get_item (tops, i);
          if (GTK_IS_FILE_CHOOSER (top))
            {
              g_autofree char *shot = g_build_filename (g_getenv ("PORESCOPE_SCREENSHOT_DIR"), "figure-dialog.png",
                                                        NULL);
              g_autoptr (GError) shot_error = NULL;
              g_autoptr (GdkTexture) tex = NULL;
              for (gint64 end = g_get_monotonic_time () + 800000; g_get_monotonic_time () < end;)
                g_main_context_iteration (NULL, FALSE);
              gtk_test_widget_wait_for_draw (top);
              tex = ps_export_widget_texture (top, &shot_error);
              g_assert_no_error (shot_error);
              g_assert_true (ps_export_texture_png (tex, shot, &shot_error));
            }
        }
    }
  g_assert_true (gtk_widget_activate_action_variant (GTK_WIDGET (win), "win.export-movie",
                                                     g_variant_new_parsed ("{'kind': <'rotate'>}")));
  ps_ui_test_spin ();
  g_assert_null (ps_window_get_error (win));
  gtk_window_destroy (GTK_WINDOW (win));
  ps_ui_test_spin ();
}

/* porescope --movie: a sweep of a file into PNG frames; bad options give 2. */
static void
test_movie_cli (void)
{
  const char *app_path = g_getenv ("PORESCOPE_APP");
  g_autofree char *tif = ps_test_tmp_path ("movie-input.tif");
  g_autofree char *dir = ps_test_tmp_path ("cli-frames");
  g_autofree char *out = NULL, *err = NULL;
  g_autoptr (PsVolume) vol = make_volume ();
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) names = NULL;

  g_assert_true (ps_volume_save (vol, tif, NULL, NULL, &error));
  {
    const char *argv[] = { app_path, "--movie", dir, "--movie-kind", "sweep", "--movie-frames", "5", tif, NULL };
    g_assert_cmpint (ps_test_spawn (&out, &err, argv), ==, 0);
  }
  names = list_dir (dir);
  g_assert_cmpuint (names->len, ==, 5);
  g_assert_cmpstr (g_ptr_array_index (names, 4), ==, "frame-0004.png");
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  {
    const char *argv[] = { app_path, "--movie", dir, "--movie-kind", "spin", tif, NULL };
    g_assert_cmpint (ps_test_spawn (&out, &err, argv), ==, 2);
  }
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  {
    /* The folder is not empty now: refused, nothing changed. */
    const char *argv[] = { app_path, "--movie", dir, "--movie-kind", "sweep", "--movie-frames", "2", tif, NULL };
    g_assert_cmpint (ps_test_spawn (&out, &err, argv), ==, 1);
  }
  g_assert_nonnull (strstr (err, "cli-frames"));
  g_clear_pointer (&names, g_ptr_array_unref);
  names = list_dir (dir);
  g_assert_cmpuint (names->len, ==, 5);
}

int
main (int argc, char **argv)
{
  int status;

  app = ps_ui_test_init (&argc, &argv);

  g_test_add_func ("/figure/png-svg-pdf", test_figure_formats);
  g_test_add_func ("/figure/bad-extension", test_figure_bad_path);
  g_test_add_func ("/figure/cli", test_figure_cli);
  g_test_add_func ("/movie/sweep-png", test_movie_sweep_png);
  g_test_add_func ("/movie/rotate-webm", test_movie_rotate_webm);
  g_test_add_func ("/movie/cancel", test_movie_cancel);
  g_test_add_func ("/movie/cli", test_movie_cli);
  g_test_add_func ("/figure/window-actions", test_actions);
  status = g_test_run ();
  g_clear_object (&app);
  return status;
}
