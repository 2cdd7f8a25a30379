/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "ps-volume-pane"

#include "config.h"

#include <glib/gi18n.h>
#include <math.h>

#include "ps-volume-pane.h"

struct _PsVolumePane
{
  GtkBox parent_instance;

  /* Child widgets (the toolbar may live in a header outside the pane). */
  GtkWidget *toolbar;
  GtkWidget *scroller;
  PsVolumeView *view;
  GtkDropDown *mode;
  GtkWidget *perspective;   /* GtkCheckButton */
  GtkWidget *clip;
  GtkWidget *slices;
  GtkAdjustment *carbon_opacity;
  GtkAdjustment *pore_opacity;

  /* Borrowed: the document (weak; its signal handlers are ours). */
  PsDocument *document;
  gulong changed_id;
  gboolean labels_seen;
};

G_DEFINE_FINAL_TYPE (PsVolumePane, ps_volume_pane, GTK_TYPE_BOX)

static void
rgba_of (guint32 rgb, GdkRGBA *c)
{
  c->red = ((rgb >> 16) & 0xff) / 255.0f;
  c->green = ((rgb >> 8) & 0xff) / 255.0f;
  c->blue = (rgb & 0xff) / 255.0f;
  c->alpha = 1.0f;
}

static void
update_labels (PsVolumePane *self)
{
  PsLabels *pores = NULL, *carbon = NULL;
  guint n = ps_document_get_n_overlays (self->document);

  for (guint i = 0; i < n; i++)
    {
      const PsOverlayLayer *layer = ps_document_get_overlay (self->document, i);
      GdkRGBA c;
      if (!layer->visible || layer->labels == NULL)
        continue;
      rgba_of (ps_document_get_overlay_color (self->document, layer), &c);
      if (layer->phase == PS_PHASE_PORES && pores == NULL)
        {
          pores = layer->labels;
          ps_volume_view_set_phase_style (self->view, PS_RENDER_PHASE_PORE, &c,
                                          gtk_adjustment_get_value (self->pore_opacity));
        }
      else if (layer->phase == PS_PHASE_CARBON && carbon == NULL)
        {
          carbon = layer->labels;
          ps_volume_view_set_phase_style (self->view, PS_RENDER_PHASE_CARBON, &c,
                                          gtk_adjustment_get_value (self->carbon_opacity));
        }
    }
  ps_volume_view_set_labels (self->view, pores, carbon);
  /* The first segmentation switches to its surfaces. */
  if ((pores || carbon) && !self->labels_seen)
    gtk_drop_down_set_selected (self->mode, PS_RENDER_MODE_LABELS);
  self->labels_seen = pores || carbon;
}

static void
update_window (PsVolumePane *self)
{
  double lo, hi;
  ps_document_get_window (self->document, &lo, &hi);
  ps_volume_view_set_window (self->view, lo, hi);
  ps_volume_view_set_threshold (self->view, isfinite (lo) && isfinite (hi) ? 0.5 * (lo + hi) : NAN);
}

static void
update_crosshair (PsVolumePane *self)
{
  gsize pos[3];
  ps_document_get_crosshair (self->document, pos);
  ps_volume_view_set_crosshair (self->view, pos[0], pos[1], pos[2],
                                gtk_check_button_get_active (GTK_CHECK_BUTTON (self->slices)) &&
                                  ps_document_get_show_crosshair (self->document));
}

static void
update_subvolume (PsVolumePane *self)
{
  PsBox box;
  if (ps_document_get_subvolume (self->document, &box))
    ps_volume_view_set_subvolume (self->view, &box, gtk_check_button_get_active (GTK_CHECK_BUTTON (self->clip)));
  else
    ps_volume_view_set_subvolume (self->view, NULL, FALSE);
  gtk_widget_set_sensitive (self->clip, ps_document_get_subvolume (self->document, NULL));
}

static void
document_changed (PsDocument *document, guint flags, PsVolumePane *self)
{
  if (flags & PS_DOCUMENT_CHANGED_VOLUME)
    ps_volume_view_set_volume (self->view, ps_document_get_volume (document));
  if (flags & (PS_DOCUMENT_CHANGED_VOLUME | PS_DOCUMENT_CHANGED_CONTRAST))
    update_window (self);
  if (flags & (PS_DOCUMENT_CHANGED_VOLUME | PS_DOCUMENT_CHANGED_CROSSHAIR | PS_DOCUMENT_CHANGED_DISPLAY))
    update_crosshair (self);
  if (flags & (PS_DOCUMENT_CHANGED_VOLUME | PS_DOCUMENT_CHANGED_SUBVOLUME))
    update_subvolume (self);
  if (flags & (PS_DOCUMENT_CHANGED_VOLUME | PS_DOCUMENT_CHANGED_OVERLAY))
    update_labels (self);
}

static void
view_clicked (GtkButton *button, PsVolumePane *self)
{
  ps_volume_view_set_view (self->view, GPOINTER_TO_INT (g_object_get_data (G_OBJECT (button), "preset")));
}

static void
mode_selected (GtkDropDown *dd, GParamSpec *pspec, PsVolumePane *self)
{
  ps_volume_view_set_mode (self->view, (PsRenderMode) gtk_drop_down_get_selected (dd));
}

static void
perspective_toggled (GtkCheckButton *button, PsVolumePane *self)
{
  ps_volume_view_set_perspective (self->view, gtk_check_button_get_active (button));
}

static void
clip_toggled (GtkCheckButton *button, PsVolumePane *self)
{
  if (self->document != NULL)
    update_subvolume (self);
}

static void
slices_toggled (GtkCheckButton *button, PsVolumePane *self)
{
  if (self->document != NULL)
    update_crosshair (self);
}

static void
opacity_changed (GtkAdjustment *adj, PsVolumePane *self)
{
  PsGlScene *scene = ps_volume_view_get_scene (self->view);
  scene->carbon_rgba[3] = (float) gtk_adjustment_get_value (self->carbon_opacity);
  scene->pore_rgba[3] = (float) gtk_adjustment_get_value (self->pore_opacity);
  ps_volume_view_queue_redraw (self->view);
}

/* The view draws the downsampling notice (so exports carry it); the tooltip
 * repeats it for assistive technologies. */
static void
notice_changed (PsVolumeView *view, GParamSpec *pspec, PsVolumePane *self)
{
  gtk_widget_set_tooltip_text (GTK_WIDGET (view), ps_volume_view_get_notice (view));
}

static void
export_response (GtkNativeDialog *dialog, int response, PsVolumePane *self)
{
  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr(GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog));
      g_autofree char *path = file ? g_file_get_path (file) : NULL;
      g_autoptr(GError) error = NULL;
      int w = gtk_widget_get_width (GTK_WIDGET (self->view));
      int h = gtk_widget_get_height (GTK_WIDGET (self->view));
      /* Four times the pane, the figure matching what is on screen. */
      int scale = MAX (1, MIN (4, PS_GL_MAX_EXPORT_SIZE / MAX (1, MAX (w, h))));
      if (path != NULL && !ps_volume_view_export_png (self->view, path, scale * w, scale * h, &error))
        {
          g_warning ("%s", error->message);
          gtk_widget_error_bell (GTK_WIDGET (self));
        }
    }
  gtk_native_dialog_destroy (dialog);
  g_object_unref (dialog);
}

static void
export_clicked (GtkButton *button, PsVolumePane *self)
{
  GtkNative *native = gtk_widget_get_native (GTK_WIDGET (self));
  GtkFileChooserNative *dialog =
    gtk_file_chooser_native_new (_("Export 3D Figure"), GTK_IS_WINDOW (native) ? GTK_WINDOW (native) : NULL,
                                 GTK_FILE_CHOOSER_ACTION_SAVE, _("_Export"), _("_Cancel"));
  gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (dialog), "porescope-3d.png");
  g_signal_connect (dialog, "response", G_CALLBACK (export_response), self);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (dialog));
}

static GtkWidget *
opacity_row (const char *label, GtkAdjustment *adj)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
  GtkWidget *l = gtk_label_new (label);
  GtkWidget *scale = gtk_scale_new (GTK_ORIENTATION_HORIZONTAL, adj);
  gtk_label_set_xalign (GTK_LABEL (l), 0);
  gtk_widget_set_size_request (l, 60, -1);
  gtk_widget_set_size_request (scale, 140, -1);
  gtk_box_append (GTK_BOX (box), l);
  gtk_box_append (GTK_BOX (box), scale);
  return box;
}

static void
ps_volume_pane_dispose (GObject *object)
{
  PsVolumePane *self = PS_VOLUME_PANE (object);
  if (self->document != NULL)
    {
      g_clear_signal_handler (&self->changed_id, self->document);
      g_object_remove_weak_pointer (G_OBJECT (self->document), (gpointer *) &self->document);
      self->document = NULL;
    }
  G_OBJECT_CLASS (ps_volume_pane_parent_class)->dispose (object);
}

static void
ps_volume_pane_class_init (PsVolumePaneClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = ps_volume_pane_dispose;
  gtk_widget_class_set_css_name (GTK_WIDGET_CLASS (klass), "psvolumepane");
}

static void
ps_volume_pane_init (PsVolumePane *self)
{
  static const char *const views[] = { N_("Front"), N_("Top"), N_("Right"), N_("Iso") };
  static const char *const tips[] = { N_("Look along z (the xy slice)"), N_("Look down along y"),
                                      N_("Look along −x"), N_("Isometric view") };
  const char *modes[] = { _("Volume"), _("MIP"), _("Isosurface"), _("Phases"), NULL };
  GtkWidget *group, *menu_button, *popover_box, *popover, *export, *scroller;

  gtk_orientable_set_orientation (GTK_ORIENTABLE (self), GTK_ORIENTATION_VERTICAL);
  gtk_widget_set_hexpand (GTK_WIDGET (self), TRUE);
  gtk_widget_set_vexpand (GTK_WIDGET (self), TRUE);

  self->toolbar = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
  gtk_widget_set_margin_start (self->toolbar, 6);
  gtk_widget_set_margin_end (self->toolbar, 6);
  gtk_widget_set_margin_top (self->toolbar, 3);
  gtk_widget_set_margin_bottom (self->toolbar, 3);

  group = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 0);
  gtk_widget_add_css_class (group, "linked");
  for (guint i = 0; i < G_N_ELEMENTS (views); i++)
    {
      GtkWidget *b = gtk_button_new_with_label (_(views[i]));
      gtk_widget_set_tooltip_text (b, _(tips[i]));
      gtk_widget_add_css_class (b, "flat");
      g_object_set_data (G_OBJECT (b), "preset", GINT_TO_POINTER (i));
      g_signal_connect (b, "clicked", G_CALLBACK (view_clicked), self);
      gtk_box_append (GTK_BOX (group), b);
    }
  gtk_box_append (GTK_BOX (self->toolbar), group);

  self->mode = GTK_DROP_DOWN (gtk_drop_down_new_from_strings (modes));
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->mode), _("Rendering"));
  g_signal_connect (self->mode, "notify::selected", G_CALLBACK (mode_selected), self);
  gtk_box_append (GTK_BOX (self->toolbar), GTK_WIDGET (self->mode));

  gtk_widget_set_hexpand (GTK_WIDGET (self->mode), FALSE);
  /* Everything else in one menu, so the pane stays narrow in the quad view. */
  popover_box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 6);
  self->perspective = (gtk_check_button_new_with_label (_("Perspective")));
  g_signal_connect (self->perspective, "toggled", G_CALLBACK (perspective_toggled), self);
  gtk_box_append (GTK_BOX (popover_box), self->perspective);
  self->slices = (gtk_check_button_new_with_label (_("Orthoslices at the crosshair")));
  g_signal_connect (self->slices, "toggled", G_CALLBACK (slices_toggled), self);
  gtk_box_append (GTK_BOX (popover_box), self->slices);
  self->clip = (gtk_check_button_new_with_label (_("Clip to the subvolume")));
  gtk_widget_set_sensitive (self->clip, FALSE);
  g_signal_connect (self->clip, "toggled", G_CALLBACK (clip_toggled), self);
  gtk_box_append (GTK_BOX (popover_box), self->clip);

  self->carbon_opacity = gtk_adjustment_new (1.0, 0.0, 1.0, 0.05, 0.1, 0.0);
  self->pore_opacity = gtk_adjustment_new (1.0, 0.0, 1.0, 0.05, 0.1, 0.0);
  g_signal_connect (self->carbon_opacity, "value-changed", G_CALLBACK (opacity_changed), self);
  g_signal_connect (self->pore_opacity, "value-changed", G_CALLBACK (opacity_changed), self);
  gtk_box_append (GTK_BOX (popover_box), opacity_row (_("Carbon"), self->carbon_opacity));
  gtk_box_append (GTK_BOX (popover_box), opacity_row (_("Pores"), self->pore_opacity));

  export = gtk_button_new_with_label (_("Export Figure…"));
  gtk_widget_set_tooltip_text (export, _("PNG at 4× the pane, as shown, with the scale bar"));
  g_signal_connect (export, "clicked", G_CALLBACK (export_clicked), self);
  gtk_box_append (GTK_BOX (popover_box), export);

  popover = gtk_popover_new ();
  gtk_popover_set_child (GTK_POPOVER (popover), popover_box);
  menu_button = gtk_menu_button_new ();
  gtk_menu_button_set_icon_name (GTK_MENU_BUTTON (menu_button), "view-more-symbolic");
  gtk_widget_set_tooltip_text (menu_button, _("3D view options"));
  gtk_menu_button_set_popover (GTK_MENU_BUTTON (menu_button), popover);
  gtk_widget_add_css_class (menu_button, "flat");
  gtk_box_append (GTK_BOX (self->toolbar), menu_button);

  gtk_widget_add_css_class (GTK_WIDGET (self->mode), "flat");
  scroller = self->scroller = gtk_scrolled_window_new ();
  gtk_widget_set_hexpand (scroller, TRUE);
  gtk_scrolled_window_set_policy (GTK_SCROLLED_WINDOW (scroller), GTK_POLICY_EXTERNAL, GTK_POLICY_NEVER);
  gtk_scrolled_window_set_propagate_natural_height (GTK_SCROLLED_WINDOW (scroller), TRUE);
  gtk_scrolled_window_set_child (GTK_SCROLLED_WINDOW (scroller), self->toolbar);
  gtk_box_append (GTK_BOX (self), scroller);

  self->view = PS_VOLUME_VIEW (ps_volume_view_new ());
  g_signal_connect (self->view, "notify::notice", G_CALLBACK (notice_changed), self);
  gtk_box_append (GTK_BOX (self), GTK_WIDGET (self->view));
  ps_volume_view_set_view (self->view, PS_VIEW_ISO);
}

GtkWidget *
ps_volume_pane_new (void)
{
  return g_object_new (PS_TYPE_VOLUME_PANE, NULL);
}

void
ps_volume_pane_set_document (PsVolumePane *self, PsDocument *document)
{
  g_return_if_fail (PS_IS_VOLUME_PANE (self));
  if (self->document != NULL)
    {
      g_clear_signal_handler (&self->changed_id, self->document);
      g_object_remove_weak_pointer (G_OBJECT (self->document), (gpointer *) &self->document);
    }
  self->document = document;
  if (document == NULL)
    return;
  g_object_add_weak_pointer (G_OBJECT (document), (gpointer *) &self->document);
  self->changed_id = g_signal_connect (document, "changed", G_CALLBACK (document_changed), self);
  document_changed (document, PS_DOCUMENT_CHANGED_ALL, self);
}

void
ps_volume_pane_move_toolbar (PsVolumePane *self, GtkBox *header)
{
  g_return_if_fail (PS_IS_VOLUME_PANE (self));
  g_return_if_fail (GTK_IS_BOX (header));
  g_object_ref (self->scroller);
  gtk_box_remove (GTK_BOX (self), self->scroller);
  gtk_box_append (header, self->scroller);
  g_object_unref (self->scroller);
}

PsVolumeView *
ps_volume_pane_get_view (PsVolumePane *self)
{
  g_return_val_if_fail (PS_IS_VOLUME_PANE (self), NULL);
  return self->view;
}
