/* SPDX-License-Identifier: GPL-3.0-or-later */
/* porescope-view3d: a small window around PsVolumeView for developing and
 * checking the 3D view on its own (view buttons, modes, projection, export),
 * and `--render-3d` for figures from scripts. The application proper embeds
 * the same widget in its 3D pane. */
#define G_LOG_DOMAIN "porescope-view3d"

#include "config.h"

#include <gtk/gtk.h>
#include <math.h>

#include "ps-core-glib.h"
#include "ps-render-3d.h"
#include "ps-volume-io.h"
#include "ps-volume-view.h"

static PsVolume *volume;
static PsLabels *pores;

static void
view_clicked (GtkButton *button, PsVolumeView *view)
{
  ps_volume_view_set_view (view, GPOINTER_TO_INT (g_object_get_data (G_OBJECT (button), "preset")));
}

static void
mode_changed (GtkDropDown *dd, GParamSpec *pspec, PsVolumeView *view)
{
  ps_volume_view_set_mode (view, gtk_drop_down_get_selected (dd));
}

static void
persp_toggled (GtkCheckButton *b, PsVolumeView *view)
{
  ps_volume_view_set_perspective (view, gtk_check_button_get_active (b));
}

static void
export_clicked (GtkButton *b, PsVolumeView *view)
{
  g_autoptr(GError) error = NULL;
  int w = gtk_widget_get_width (GTK_WIDGET (view)), h = gtk_widget_get_height (GTK_WIDGET (view));
  if (!ps_volume_view_export_png (view, "porescope-3d.png", 4 * w, 4 * h, &error))
    g_printerr ("export: %s\n", error->message);
  else
    g_print ("wrote porescope-3d.png (%d × %d)\n", 4 * w, 4 * h);
}

static void
activate (GtkApplication *app, gpointer user_data)
{
  GtkWidget *win = gtk_application_window_new (app);
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 0);
  GtkWidget *bar = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
  GtkWidget *view = ps_volume_view_new ();
  static const char *const names[] = { "Front", "Top", "Right", "Iso" };
  static const char *const modes[] = { "DVR", "MIP", "Isosurface", "Labels", NULL };
  GtkWidget *dd, *persp, *exp;

  gtk_window_set_title (GTK_WINDOW (win), "Porescope 3D view");
  gtk_window_set_default_size (GTK_WINDOW (win), 960, 640);
  for (int i = 0; i < 4; i++)
    {
      GtkWidget *b = gtk_button_new_with_label (names[i]);
      g_object_set_data (G_OBJECT (b), "preset", GINT_TO_POINTER (i));
      g_signal_connect (b, "clicked", G_CALLBACK (view_clicked), view);
      gtk_box_append (GTK_BOX (bar), b);
    }
  dd = gtk_drop_down_new_from_strings (modes);
  g_signal_connect (dd, "notify::selected", G_CALLBACK (mode_changed), view);
  gtk_box_append (GTK_BOX (bar), dd);
  persp = gtk_check_button_new_with_label ("Perspective");
  g_signal_connect (persp, "toggled", G_CALLBACK (persp_toggled), view);
  gtk_box_append (GTK_BOX (bar), persp);
  exp = gtk_button_new_with_label ("Export 4×");
  g_signal_connect (exp, "clicked", G_CALLBACK (export_clicked), view);
  gtk_box_append (GTK_BOX (bar), exp);
  gtk_box_append (GTK_BOX (box), bar);
  gtk_box_append (GTK_BOX (box), view);
  gtk_window_set_child (GTK_WINDOW (win), box);

  ps_volume_view_set_volume (PS_VOLUME_VIEW (view), volume);
  if (pores != NULL)
    {
      ps_volume_view_set_labels (PS_VOLUME_VIEW (view), pores, NULL);
      gtk_drop_down_set_selected (GTK_DROP_DOWN (dd), PS_RENDER_MODE_LABELS);
    }
  ps_volume_view_set_view (PS_VOLUME_VIEW (view), PS_VIEW_ISO);
  ps_volume_view_set_crosshair (PS_VOLUME_VIEW (view), volume->nx / 2.0, volume->ny / 2.0, volume->nz / 2.0,
                                FALSE);
  gtk_window_present (GTK_WINDOW (win));
}

int
main (int argc, char **argv)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GtkApplication) app = NULL;
  char *fake[] = { argv[0], NULL };

  if (ps_render_3d_wanted (argc, argv))
    return ps_render_3d_run (argc, argv);
  if (argc < 2)
    {
      g_printerr ("usage: %s VOLUME [PORES.tif]\n       %s --render-3d OUT.png [options] VOLUME\n", argv[0], argv[0]);
      return 2;
    }
  volume = ps_volume_load (argv[1], NULL, NULL, &error);
  if (volume == NULL)
    {
      g_printerr ("porescope-view3d: %s\n", error->message);
      return 2;
    }
  if (argc > 2)
    {
      pores = ps_labels_load (argv[2], &error);
      if (pores == NULL)
        {
          g_printerr ("porescope-view3d: %s\n", error->message);
          return 2;
        }
    }
  app = gtk_application_new ("io.github.porescope.View3d", G_APPLICATION_NON_UNIQUE);
  g_signal_connect (app, "activate", G_CALLBACK (activate), NULL);
  return g_application_run (G_APPLICATION (app), 1, fake);
}
