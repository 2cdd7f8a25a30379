/* SPDX-License-Identifier: GPL-3.0-or-later */
/* GUI soak (suite "ui"): seeded random sequences of what a user does, through
 * the document's GActions and the window's entry points — open good, thin,
 * broken and missing files, replace the volume, move the crosshair and step
 * slices, change the window, contrast, colour map, interpolation and the
 * overlays, set and clear the subvolume, export a slice as PNG, save, and
 * cancel — without waiting for the jobs they start, so loads overlap and
 * replace each other. Every few actions a checkpoint waits until the
 * document is idle and checks: the dataset is the one last asked for (an
 * older load that finished late never wins), a broken file named in the
 * error leaves the old dataset, the crosshair and subvolume lie inside the
 * volume. Any GLib warning or critical fails the test (g_test_init makes them
 * fatal).
 *
 * PS_SOAK_SECONDS (default 20) and PS_SOAK_SEED choose the length and the
 * sequence; a failure prints the seed and the action count to replay.
 * PS_SOAK_ACTIONS=open,cancel,… restricts the actions (to bisect a leak). */
#include "config.h"

#include <adwaita.h>
#include <glib/gstdio.h>
#include <string.h>

#include "ps-application.h"
#include "ps-export.h"
#include "ps-test-util.h"
#include "ps-ui-test-util.h"
#include "ps-volume-io.h"
#include "ps-window.h"

static PsApplication *app;

typedef struct
{
  const char *name;
  size_t nx, ny, nz;
  gboolean good;
  char *path;
} SoakFile;

static SoakFile files[] = {
  { "pattern.tif", 40, 32, 24, TRUE },
  { "small.mrc", 17, 9, 5, TRUE },
  { "thin.mrc", 12, 10, 1, TRUE },
  { "column.tif", 1, 1, 30, TRUE },
  { "broken.mrc", 0, 0, 0, FALSE },
  { "absent.tif", 0, 0, 0, FALSE },
};

enum
{
  A_CROSSHAIR, A_STEP, A_WINDOW, A_CONTRAST, A_DISPLAY, A_TOGGLE, A_SUBVOLUME, A_OPEN, A_SET_VOLUME,
  A_CANCEL, A_EXPORT, A_SAVE, A_SPIN, A_CHECKPOINT, A_SEGMENT, A_SEPARATE, A_SEEDS, A_STATISTICS,
  A_ANALYSIS_EXPORT, N_ACTIONS
};
static const char *const action_names[N_ACTIONS] = {
  "crosshair", "step-slice", "window", "contrast", "colormap/interpolation", "toggles", "subvolume",
  "open", "set-volume", "cancel", "export-png", "save", "spin", "checkpoint",
  "segment", "separate", "seeds", "statistics", "analysis-export",
};

/* What the document must show once idle. */
typedef struct
{
  gboolean known;          /* FALSE after a cancel: either the old or nothing new */
  size_t nx, ny, nz;
  char *title;
  char *error_names;       /* a broken file asked for last: the error names it */
} Expect;

static PsVolume *
make_volume (size_t nx, size_t ny, size_t nz, guint64 salt)
{
  PsStatus st;
  PsVolume *v = ps_volume_new (nx, ny, nz, &st);
  g_assert_nonnull (v);
  for (size_t i = 0; i < nx * ny * nz; i++)
    v->data[i] = (float) ((i * 7 + salt) % 97) / 96.0f;
  ps_volume_set_spacing (v, 0.5, 0.5, 1.0);
  return v;
}

static void
write_files (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (files); i++)
    {
      SoakFile *f = &files[i];
      f->path = ps_test_tmp_path (f->name);
      if (f->good)
        {
          g_autoptr (PsVolume) v = make_volume (f->nx, f->ny, f->nz, i);
          g_autoptr (GError) error = NULL;
          g_assert_true (ps_volume_save (v, f->path, NULL, NULL, &error));
          g_assert_no_error (error);
        }
      else if (g_str_has_suffix (f->name, ".mrc"))
        g_assert_true (g_file_set_contents (f->path, "MRC? not a volume at all", -1, NULL));
    }
}

static gboolean
try_activate (PsDocument *doc, const char *action, GVariant *param)
{
  GActionGroup *group = ps_document_get_actions (doc);
  if (!g_action_group_has_action (group, action) || !g_action_group_get_action_enabled (group, action))
    {
      if (param != NULL)
        g_variant_unref (g_variant_ref_sink (param));
      return FALSE;
    }
  if (param != NULL && g_action_group_get_action_parameter_type (group, action) == NULL)
    g_action_group_change_action_state (group, action, param);
  else
    g_action_group_activate_action (group, action, param);
  return TRUE;
}

/* The Analysis panel's "analysis." actions on the window: quietly nothing
 * when the action is disabled (no volume), as a greyed-out control. */
static gboolean
try_analysis (PsWindow *win, const char *action, GVariant *param)
{
  g_autofree char *name = g_strconcat ("analysis.", action, NULL);
  if (param != NULL)
    g_variant_ref_sink (param);
  gboolean ok = gtk_widget_activate_action_variant (GTK_WIDGET (win), name, param);
  if (param != NULL)
    g_variant_unref (param);
  return ok;
}

/* A point in nm inside the volume (or just outside it, sometimes). */
static GVariant *
random_point_nm (PsVolume *v, guint64 r)
{
  return g_variant_new ("(ddd)", ((double) (r % 1000) / 900.0 - 0.05) * v->nx * v->spacing[0],
                        ((double) ((r >> 10) % 1000) / 900.0 - 0.05) * v->ny * v->spacing[1],
                        ((double) ((r >> 20) % 1000) / 900.0 - 0.05) * v->nz * v->spacing[2]);
}

static void
checkpoint (PsWindow *win, PsDocument *doc, const Expect *e)
{
  ps_ui_test_wait_idle (doc);
  PsVolume *v = ps_document_get_volume (doc);
  if (e->error_names != NULL)
    {
      g_assert_nonnull (ps_window_get_error (win));
      g_assert_nonnull (strstr (ps_window_get_error (win), e->error_names));
    }
  else if (e->known)
    {
      g_assert_nonnull (v);
      g_assert_cmpuint (v->nx, ==, e->nx);
      g_assert_cmpuint (v->ny, ==, e->ny);
      g_assert_cmpuint (v->nz, ==, e->nz);
      g_assert_cmpstr (ps_document_get_title (doc), ==, e->title);
    }
  if (v != NULL)
    {
      g_assert_cmpuint (ps_document_get_slice (doc, PS_SLICE_YZ), <, v->nx);
      g_assert_cmpuint (ps_document_get_slice (doc, PS_SLICE_XZ), <, v->ny);
      g_assert_cmpuint (ps_document_get_slice (doc, PS_SLICE_XY), <, v->nz);
      PsBox box;
      if (ps_document_get_subvolume (doc, &box))
        g_assert_true (ps_box_inside (&box, v->nx, v->ny, v->nz));
    }
}

static void
expect_set (Expect *e, size_t nx, size_t ny, size_t nz, const char *title)
{
  e->known = TRUE;
  e->nx = nx, e->ny = ny, e->nz = nz;
  g_free (e->title);
  e->title = g_strdup (title);
  g_clear_pointer (&e->error_names, g_free);
}

static void
test_soak (void)
{
  const char *env = g_getenv ("PS_SOAK_SECONDS");
  double seconds = env ? g_ascii_strtod (env, NULL) : 20.0;
  env = g_getenv ("PS_SOAK_SEED");
  guint64 seed = env ? g_ascii_strtoull (env, NULL, 10) : 1207;
  PsTestRng rng = { seed };
  guint counts[N_ACTIONS] = { 0 };
  guint64 n = 0;
  Expect expect = { 0 };
  g_autofree char *png = ps_test_tmp_path ("slice.png");
  g_autofree char *saved = ps_test_tmp_path ("saved.mrc");
  g_autofree char *export_dir = ps_test_tmp_path ("analysis-export");
  static const char *const views[3] = { "xy", "xz", "yz" };
  static const PsSliceOrientation orient[3] = { PS_SLICE_XY, PS_SLICE_XZ, PS_SLICE_YZ };

  write_files ();
  g_assert_cmpint (g_mkdir_with_parents (export_dir, 0755), ==, 0);
  PsWindow *win = ps_window_new (GTK_APPLICATION (app));
  PsDocument *doc = ps_window_get_document (win);
  gtk_window_present (GTK_WINDOW (win));
  {
    g_autoptr (PsVolume) v = make_volume (40, 32, 24, 0);
    ps_document_set_volume (doc, v, "start", NULL);
    expect_set (&expect, 40, 32, 24, "start");
  }

  gboolean allowed[N_ACTIONS];
  env = g_getenv ("PS_SOAK_ACTIONS");
  g_auto (GStrv) only = env ? g_strsplit (env, ",", -1) : NULL;
  for (int a = 0; a < N_ACTIONS; a++)
    allowed[a] = only == NULL || g_strv_contains ((const char *const *) only, action_names[a]);

  gint64 end = g_get_monotonic_time () + (gint64) (seconds * G_USEC_PER_SEC);
  while (g_get_monotonic_time () < end)
    {
      int a = (int) (ps_test_rng_next (&rng) % N_ACTIONS);
      guint64 r = ps_test_rng_next (&rng);
      if (!allowed[a])
        continue;
      PsVolume *v = ps_document_get_volume (doc);
      n++;
      if (g_test_verbose ())
        g_printerr ("%" G_GUINT64_FORMAT ": %s\n", n, action_names[a]);
      switch (a)
        {
        case A_CROSSHAIR:
          if (v != NULL)
            counts[a] += try_activate (doc, "crosshair",
                                       g_variant_new ("(iii)", (int) (r % (v->nx + 2)) - 1,
                                                      (int) ((r >> 16) % (v->ny + 2)) - 1,
                                                      (int) ((r >> 32) % (v->nz + 2)) - 1));
          break;
        case A_STEP:
          counts[a] += try_activate (doc, "step-slice",
                                     g_variant_new ("(si)", views[r % 3], (int) ((r >> 8) % 21) - 10));
          break;
        case A_WINDOW:
          {
            double lo = (double) (r % 1000) / 500.0 - 0.5, w = (double) ((r >> 20) % 1000 + 1) / 400.0;
            counts[a] += try_activate (doc, "window", g_variant_new ("(dd)", lo, lo + w));
          }
          break;
        case A_CONTRAST:
          counts[a] += try_activate (doc, r & 1 ? "auto-contrast" : "reset-contrast", NULL);
          break;
        case A_DISPLAY:
          if (r & 1)
            counts[a] += try_activate (doc, "colormap", g_variant_new_string (r & 2 ? "inverted" : "gray"));
          else
            counts[a] += try_activate (doc, "interpolation", g_variant_new_string (r & 2 ? "linear" : "nearest"));
          break;
        case A_TOGGLE:
          counts[a] += try_activate (doc, r & 1 ? "show-overlays" : "show-crosshair",
                                     g_variant_new_boolean ((r >> 1) & 1));
          break;
        case A_SUBVOLUME:
          if (v != NULL && (r & 3) != 0)
            {
              PsBox b;
              b.x0 = (r >> 2) % v->nx, b.y0 = (r >> 12) % v->ny, b.z0 = (r >> 22) % v->nz;
              b.nx = 1 + (r >> 32) % (v->nx - b.x0);
              b.ny = 1 + (r >> 40) % (v->ny - b.y0);
              b.nz = 1 + (r >> 48) % (v->nz - b.z0);
              ps_document_set_subvolume (doc, &b);
              counts[a]++;
            }
          else
            counts[a] += try_activate (doc, "clear-subvolume", NULL);
          break;
        case A_OPEN:
          {
            SoakFile *f = &files[r % G_N_ELEMENTS (files)];
            g_autoptr (GFile) file = g_file_new_for_path (f->path);
            ps_window_open_file (win, file, NULL);
            if (f->good)
              expect_set (&expect, f->nx, f->ny, f->nz, f->name);
            else
              {
                g_free (expect.error_names);
                expect.error_names = g_strdup (f->name);
              }
            counts[a]++;
          }
          break;
        case A_SET_VOLUME:
          {
            size_t nx = 1 + r % 24, ny = 1 + (r >> 8) % 20, nz = 1 + (r >> 16) % 12;
            g_autoptr (PsVolume) nv = make_volume (nx, ny, nz, r);
            g_autofree char *title = g_strdup_printf ("generated %" G_GUINT64_FORMAT, n);
            ps_document_set_volume (doc, nv, title, NULL);
            expect_set (&expect, nx, ny, nz, title);
            counts[a]++;
          }
          break;
        case A_CANCEL:
          if (try_activate (doc, "cancel", NULL))
            {
              /* the request running (if any) may or may not have landed */
              expect.known = FALSE;
              g_clear_pointer (&expect.error_names, g_free);
              counts[a]++;
            }
          break;
        case A_EXPORT:
          if (v != NULL)
            {
              g_autoptr (GError) error = NULL;
              gboolean ok = ps_export_slice_png (doc, orient[r % 3], png, &error);
              g_assert_no_error (error);
              g_assert_true (ok);
              counts[a]++;
            }
          break;
        case A_SAVE:
          if (v != NULL && !ps_document_get_busy (doc))
            {
              g_autoptr (GFile) file = g_file_new_for_path (saved);
              ps_document_save (doc, file);
              /* a completed save names the document after the file */
              expect_set (&expect, v->nx, v->ny, v->nz, "saved.mrc");
              counts[a]++;
            }
          break;
        case A_SPIN:
          {
            gint64 until = g_get_monotonic_time () + (gint64) (r % 30000);
            while (g_get_monotonic_time () < until)
              g_main_context_iteration (NULL, FALSE);
            counts[a]++;
          }
          break;
        case A_CHECKPOINT:
          checkpoint (win, doc, &expect);
          /* after a checkpoint the dataset is known again */
          if (ps_document_get_volume (doc) != NULL)
            {
              PsVolume *cur = ps_document_get_volume (doc);
              g_autofree char *t = g_strdup (ps_document_get_title (doc));
              gboolean had_error = expect.error_names != NULL;
              g_autofree char *names = g_steal_pointer (&expect.error_names);
              expect_set (&expect, cur->nx, cur->ny, cur->nz, t);
              if (had_error)
                expect.error_names = g_steal_pointer (&names);
            }
          counts[a]++;
          break;
        case A_SEGMENT:
          switch (r % 3)
            {
            case 0:
              counts[a] += try_analysis (win, "threshold", g_variant_new_double ((double) ((r >> 8) % 1200) / 1000.0 - 0.1));
              break;
            case 1:
              counts[a] += try_analysis (win, "otsu", NULL);
              break;
            default:
              counts[a] += try_analysis (win, "smoothing", g_variant_new_double ((double) ((r >> 8) % 4) * 0.25));
              break;
            }
          break;
        case A_SEPARATE:
          if (r & 1)
            counts[a] += try_analysis (win, "h", g_variant_new_double ((double) ((r >> 8) % 100) / 100.0));
          else
            counts[a] += try_analysis (win, "separate", NULL);
          break;
        case A_SEEDS:
          if (v != NULL)
            switch (r % 5)
              {
              case 0:
                counts[a] += try_analysis (win, "add-seed", random_point_nm (v, r >> 3));
                break;
              case 1:
                counts[a] += try_analysis (win, "remove-seed", random_point_nm (v, r >> 3));
                break;
              case 2:
                {
                  GVariant *p = random_point_nm (v, r >> 3), *q = random_point_nm (v, r >> 33);
                  double p0, p1, p2, q0, q1, q2;
                  g_variant_get (p, "(ddd)", &p0, &p1, &p2);
                  g_variant_get (q, "(ddd)", &q0, &q1, &q2);
                  g_variant_unref (g_variant_ref_sink (p));
                  g_variant_unref (g_variant_ref_sink (q));
                  counts[a] += try_analysis (win, "merge-objects", g_variant_new ("(dddddd)", p0, p1, p2, q0, q1, q2));
                }
                break;
              case 3:
                counts[a] += try_analysis (win, "undo-seed", NULL);
                break;
              default:
                counts[a] += try_analysis (win, "redo-seed", NULL);
                break;
              }
          break;
        case A_STATISTICS:
          switch (r % 3)
            {
            case 0:
              counts[a] += try_analysis (win, "table-phase", g_variant_new_string ((r >> 2) & 1 ? "carbon" : "pores"));
              break;
            case 1:
              counts[a] += try_analysis (win, "show-object", g_variant_new_int32 ((gint32) ((r >> 2) % 8)));
              break;
            default:
              counts[a] += try_analysis (win, (r >> 2) & 1 ? "hide-cut" : "seed-mode", NULL);   /* toggles */
              break;
            }
          break;
        case A_ANALYSIS_EXPORT:
          counts[a] += try_analysis (win, "export", g_variant_new_string (export_dir));
          break;
        default:
          g_assert_not_reached ();
        }
      /* let a little of the main loop run between actions, as a user would */
      g_main_context_iteration (NULL, FALSE);
    }
  checkpoint (win, doc, &expect);
  {
    /* Whatever export landed last is whole: the summary is one JSON object. */
    g_autofree char *summary = g_build_filename (export_dir, "summary.json", NULL);
    g_autofree char *text = NULL;
    if (g_file_get_contents (summary, &text, NULL, NULL))
      {
        g_strstrip (text);
        g_assert_true (text[0] == '{' && g_str_has_suffix (text, "}"));
      }
  }

  {
    /* After the storm the panel still works: a fresh volume analyses and
     * exports (no stale run, deferral or edit left in the way). */
    g_autoptr (PsVolume) fresh = make_volume (40, 32, 24, 5);
    g_autofree char *final_dir = ps_test_tmp_path ("analysis-final");
    g_autofree char *summary = g_build_filename (final_dir, "summary.json", NULL);
    g_assert_cmpint (g_mkdir_with_parents (final_dir, 0755), ==, 0);
    ps_document_set_volume (doc, fresh, "final", NULL);
    ps_ui_test_wait_idle (doc);
    g_assert_true (try_analysis (win, "export", g_variant_new_string (final_dir)));
    ps_ui_test_wait_idle (doc);
    g_assert_true (g_file_test (summary, G_FILE_TEST_IS_REGULAR));
  }

  GString *s = g_string_new (NULL);
  for (int a = 0; a < N_ACTIONS; a++)
    g_string_append_printf (s, "%s%s %u", a ? ", " : "", action_names[a], counts[a]);
  g_test_message ("seed %" G_GUINT64_FORMAT ": %" G_GUINT64_FORMAT " actions in %.0f s (%s)", seed, n, seconds,
                  s->str);
  g_string_free (s, TRUE);

  gtk_window_destroy (GTK_WINDOW (win));
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_free (expect.title);
  g_free (expect.error_names);
  for (guint i = 0; i < G_N_ELEMENTS (files); i++)
    g_clear_pointer (&files[i].path, g_free);
}

int
main (int argc, char **argv)
{
  int status;

  app = ps_ui_test_init (&argc, &argv);

  g_test_add_func ("/ui/soak/random-actions", test_soak);
  status = g_test_run ();
  g_clear_object (&app);
  return status;
}
