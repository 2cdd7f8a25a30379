/* SPDX-License-Identifier: GPL-3.0-or-later */
/* bench-scroll: how long one wheel step through the slices takes in the real
 * window — from the step (doc.step-slice, as the wheel sends it) until the
 * view has drawn the new slice — on an N³ float32 volume.
 *
 *   xvfb-run -a -s "-screen 0 1600x1000x24" build/bench/bench-scroll [--size 1024] [--steps 60]
 *
 * Prints the median and 95th percentile per orientation. Under Xvfb with
 * GSK_RENDERER=cairo everything, including compositing the window, runs on
 * the CPU, so this is an upper bound for a desktop with a GPU. */
#include "config.h"

#include <adwaita.h>
#include <stdio.h>

#include "ps-document.h"
#include "ps-slice-view.h"
#include "ps-window.h"

static int size = 1024;
static int steps = 60;
static gboolean no_3d = FALSE;

static const GOptionEntry entries[] = {
  { "size", 0, 0, G_OPTION_ARG_INT, &size, "Edge length N of the N³ volume", "N" },
  { "steps", 0, 0, G_OPTION_ARG_INT, &steps, "Wheel steps per orientation", "S" },
  { "no-3d", 0, 0, G_OPTION_ARG_NONE, &no_3d, "Hide the 3D pane (time the slice views alone)", NULL },
  { NULL }
};

static int
cmp_double (const void *a, const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;
  return x < y ? -1 : x > y;
}

static gboolean
settled_cb (gpointer data)
{
  *(gboolean *) data = TRUE;
  return G_SOURCE_REMOVE;
}

int
main (int argc, char **argv)
{
  g_autoptr (GOptionContext) ctx = g_option_context_new ("- scrolling benchmark");
  g_autoptr (GError) error = NULL;
  static const char *names[] = { "xy", "xz", "yz" };
  PsStatus st;
  gboolean done = FALSE;

  g_setenv ("GSETTINGS_BACKEND", "memory", FALSE);
  g_setenv ("GTK_A11Y", "none", FALSE);
  g_setenv ("GSK_RENDERER", "cairo", FALSE);
  g_option_context_add_main_entries (ctx, entries, NULL);
  if (!g_option_context_parse (ctx, &argc, &argv, &error) || size < 16 || steps < 4)
    {
      g_printerr ("bench-scroll: %s\n", error ? error->message : "bad --size or --steps");
      return 2;
    }
  gtk_init ();
  adw_init ();

  PsVolume *vol = ps_volume_new_uninit ((size_t) size, (size_t) size, (size_t) size, &st);
  if (vol == NULL)
    {
      g_printerr ("bench-scroll: cannot allocate %d³ floats: %s\n", size, ps_status_to_string (st));
      return 1;
    }
  /* A smooth pattern with structure on every axis. */
#pragma omp parallel for schedule(static)
  for (size_t z = 0; z < (size_t) size; z++)
    for (size_t y = 0; y < (size_t) size; y++)
      for (size_t x = 0; x < (size_t) size; x++)
        vol->data[(z * size + y) * size + x] = (float) ((x * 3 + y * 5 + z * 7) % 251);
  ps_volume_set_spacing (vol, 0.5, 0.5, 0.5);

  PsWindow *win = ps_window_new (NULL);
  PsDocument *doc = ps_window_get_document (win);
  if (no_3d)
    gtk_widget_set_visible (GTK_WIDGET (ps_window_get_volume_pane (win)), FALSE);
  gtk_window_present (GTK_WINDOW (win));
  gint64 t0 = g_get_monotonic_time ();
  ps_document_set_volume (doc, vol, "bench", NULL);
  ps_volume_unref (vol);
  ps_window_when_settled (win, settled_cb, &done);
  while (!done)
    g_main_context_iteration (NULL, TRUE);
  printf ("size %d³ float32, %d steps per orientation; statistics and first draw: %.2f s\n", size, steps,
          (g_get_monotonic_time () - t0) / 1e6);
  printf ("| orientation | median ms/step | 95th percentile | max |\n|---|---|---|---|\n");

  GActionGroup *actions = ps_document_get_actions (doc);
  for (int o = PS_SLICE_XY; o <= PS_SLICE_YZ; o++)
    {
      GtkWidget *canvas = ps_slice_view_get_canvas (ps_window_get_slice_view (win, o));
      double *t = g_new (double, steps);
      for (int i = 0; i < steps; i++)
        {
          gint64 s0 = g_get_monotonic_time ();
          g_action_group_activate_action (actions, "step-slice", g_variant_new ("(si)", names[o], i < steps / 2 ? 1 : -1));
          gtk_test_widget_wait_for_draw (canvas);
          t[i] = (g_get_monotonic_time () - s0) / 1000.0;
        }
      qsort (t, steps, sizeof *t, cmp_double);
      printf ("| %s | %.2f | %.2f | %.2f |\n", names[o], t[steps / 2], t[(int) (steps * 0.95)], t[steps - 1]);
      g_free (t);
    }
  gtk_window_destroy (GTK_WINDOW (win));
  return 0;
}
