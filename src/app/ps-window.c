/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "ps-window"

#include "config.h"

#include "ps-application-private.h"

#include <glib/gi18n.h>
#include <math.h>

#include "ps-application.h"
#include "ps-export.h"
#include "ps-figure.h"
#include "ps-movie.h"
#include "ps-format.h"
#include "ps-histogram-view.h"
#include "ps-memory.h"
#include "ps-reconstruct-dialog.h"
#include "ps-reconstruct.h"
#include "ps-subvolume-tool.h"
#include "ps-analysis-panel.h"
#include "ps-volume-pane.h"
#include "ps-session-ui.h"
#include "ps-window.h"

/* How many recent files the menu and the welcome page list. */
#define N_RECENT 6

struct _PsWindow
{
  AdwApplicationWindow parent_instance;

  /* Template widgets. */
  AdwToastOverlay *toast_overlay;
  AdwHeaderBar *header_bar;
  AdwWindowTitle *window_title;
  GtkMenuButton *primary_menu_button;
  GMenu *recent_section;
  GtkRevealer *error_revealer;
  GtkLabel *error_title;
  GtkLabel *error_label;
  GtkRevealer *progress_revealer;
  GtkLabel *progress_title;
  GtkLabel *progress_message;
  GtkProgressBar *progress_bar;
  GtkStack *main_stack;
  GtkWidget *recent_heading;
  GtkListBox *recent_list;
  GtkPaned *paned;
  PsSliceView *xy_view;
  PsSliceView *xz_view;
  PsSliceView *yz_view;
  GtkBox *volume_pane;
  GtkWidget *volume_title;
  GtkWidget *volume_header;
  GtkWidget *volume_maximize_button;
  GtkWidget *sidebar;
  PsHistogramView *histogram;
  GtkLabel *window_lo_label;
  GtkLabel *window_hi_label;
  GtkBox *legend_box;
  PsAnalysisPanel *analysis_panel;
  GtkGrid *info_grid;
  GtkWidget *status_bar;
  GtkWidget *sidebar_button;
  GtkLabel *readout_label;
  GtkLabel *status_label;

  /* Owned. */
  PsDocument *document;
  GSettings *settings;
  GBinding *fraction_binding;
  GBinding *message_binding;
  GtkFileChooserNative *chooser;
  char *pending_angles;       /* for the tilt-series chooser */
  GCancellable *figure_cancellable; /* the figure being written */
  PsFigureOptions figure_options;   /* last chosen in the figure dialog */

  /* Borrowed. */
  GtkRecentManager *recent;
};

G_DEFINE_FINAL_TYPE (PsWindow, ps_window, ADW_TYPE_APPLICATION_WINDOW)

static const char *const volume_patterns[] = {
  "*.tif", "*.tiff", "*.TIF", "*.TIFF",
  "*.mrc", "*.mrcs", "*.rec", "*.st", "*.ali", "*.map", "*.ccp4", "*.preali",
  "*.mrc.gz", "*.rec.gz", "*.map.gz", "*.ccp4.gz", "*.st.gz",
  "*.dm3", "*.dm4", "*.DM3", "*.DM4",
  NULL
};

/* ---- helpers ---------------------------------------------------------------- */

/* ---- status, title, sidebar ------------------------------------------------------ */

static void
update_readout (PsWindow *self)
{
  PsVolume *vol = ps_document_get_volume (self->document);
  double pointer[3], spacing[3];
  gsize idx[3];
  gboolean hover;
  g_autofree char *value = NULL;
  g_autofree char *text = NULL;
  g_autofree char *xs = NULL, *ys = NULL, *zs = NULL;
  PsTiltSeries *ts = ps_document_get_tilt_series (self->document);

  if (vol == NULL)
    {
      gtk_label_set_text (self->readout_label, "");
      return;
    }
  hover = ps_document_get_pointer (self->document, pointer);
  if (hover)
    for (int a = 0; a < 3; a++)
      idx[a] = (gsize) MAX (0.0, floor (pointer[a] + 0.5));
  else
    ps_document_get_crosshair (self->document, idx);
  ps_document_get_spacing (self->document, spacing);
  value = ps_format_value (ps_document_get_value (self->document, idx[0], idx[1], idx[2]), 6);
  /* Voxel centres, nm from the volume's corner. */
  xs = ps_format_length ((idx[0] + 0.5) * spacing[0]);
  ys = ps_format_length ((idx[1] + 0.5) * spacing[1]);
  zs = ps_format_length ((idx[2] + 0.5) * spacing[2]);
  if (ts != NULL && idx[2] < ts->n)
    /* Translators: readout for a tilt series: pointer or crosshair, voxel x y, image number, tilt angle, value */
    text = g_strdup_printf (_("%s   x %zu  y %zu  image %zu (%+.1f°)   (%s, %s) nm   value %s"),
                            hover ? _("Pointer") : _("Crosshair"), idx[0], idx[1], idx[2] + 1,
                            ts->angles[idx[2]], xs, ys, value);
  else
    /* Translators: readout: pointer or crosshair, voxel x y z, position x y z in nm, value */
    text = g_strdup_printf (_("%s   x %zu  y %zu  z %zu   (%s, %s, %s) nm   value %s"),
                            hover ? _("Pointer") : _("Crosshair"), idx[0], idx[1], idx[2], xs, ys, zs,
                            value);
  gtk_label_set_text (self->readout_label, text);
}

static void
update_window_labels (PsWindow *self)
{
  double lo, hi;
  g_autofree char *a = NULL, *b = NULL, *la = NULL, *lb = NULL;

  const PsStats *st = ps_document_get_stats (self->document);
  double range = st != NULL && st->n > 0 ? st->max - st->min : 0.0;

  ps_document_get_window (self->document, &lo, &hi);
  a = ps_format_value_in_range (lo, range);
  b = ps_format_value_in_range (hi, range);
  /* Translators: lower / upper limit of the display window */
  la = g_strdup_printf (_("Black %s"), a);
  lb = g_strdup_printf (_("White %s"), b);
  gtk_label_set_text (self->window_lo_label, ps_document_get_volume (self->document) ? la : "");
  gtk_label_set_text (self->window_hi_label, ps_document_get_volume (self->document) ? lb : "");
}

static void
info_add_row (PsWindow *self, int row, const char *name, const char *value)
{
  GtkWidget *k = gtk_label_new (name);
  GtkWidget *v = gtk_label_new (value);

  gtk_label_set_xalign (GTK_LABEL (k), 0);
  gtk_label_set_yalign (GTK_LABEL (k), 0);
  gtk_widget_add_css_class (k, "dim-label");
  gtk_label_set_xalign (GTK_LABEL (v), 0);
  gtk_label_set_wrap (GTK_LABEL (v), TRUE);
  gtk_label_set_wrap_mode (GTK_LABEL (v), PANGO_WRAP_WORD_CHAR);
  gtk_label_set_selectable (GTK_LABEL (v), TRUE);
  gtk_widget_set_hexpand (v, TRUE);
  gtk_widget_add_css_class (v, "numeric");
  gtk_grid_attach (self->info_grid, k, 0, row, 1, 1);
  gtk_grid_attach (self->info_grid, v, 1, row, 1, 1);
}

static void
update_info (PsWindow *self)
{
  PsVolume *vol = ps_document_get_volume (self->document);
  const PsFileInfo *info = ps_document_get_file_info (self->document);
  const PsStats *st = ps_document_get_stats (self->document);
  PsTiltSeries *ts = ps_document_get_tilt_series (self->document);
  GtkWidget *child;
  int row = 0;
  char bytes[32];

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->info_grid))) != NULL)
    gtk_grid_remove (self->info_grid, child);
  if (vol == NULL)
    return;

  {
    g_autofree char *dims = g_strdup_printf ("%zu × %zu × %zu", vol->nx, vol->ny, vol->nz);
    info_add_row (self, row++, _("Voxels"), dims);
  }
  {
    g_autofree char *ex = ps_format_length (vol->nx * vol->spacing[0]);
    g_autofree char *ey = ps_format_length (vol->ny * vol->spacing[1]);
    g_autofree char *ez = ps_format_length (vol->nz * vol->spacing[2]);
    g_autofree char *ext = g_strdup_printf ("%s × %s × %s nm", ex, ey, ez);
    if (ps_document_get_tilt_series (self->document) == NULL)
      info_add_row (self, row++, _("Extent"), ext);
  }
  {
    g_autofree char *vox = NULL;
    g_autofree char *sx = ps_format_length (vol->spacing[0]);
    g_autofree char *sy = ps_format_length (vol->spacing[1]);
    g_autofree char *sz = ps_format_length (vol->spacing[2]);
    if (!vol->spacing_known)
      vox = g_strdup (_("unknown (1 nm assumed)"));
    else if (ps_document_get_tilt_series (self->document) != NULL)
      vox = g_strdup_printf ("%s × %s nm", sx, sy);
    else
      vox = g_strdup_printf ("%s × %s × %s nm", sx, sy, sz);
    info_add_row (self, row++, ps_document_get_tilt_series (self->document) ? _("Pixel size") : _("Voxel size"),
                  vox);
  }
  if (ts != NULL)
    {
      g_autofree char *angles = g_strdup_printf (_("%zu images, %+.1f° … %+.1f°"), ts->n, ts->angles[0],
                                                 ts->angles[ts->n - 1]);
      info_add_row (self, row++, _("Tilt series"), angles);
    }
  if (info != NULL)
    {
      g_autofree char *fmt = g_strdup_printf ("%s, %s", info->format_name ? info->format_name : "?",
                                              ps_dtype_to_string (info->dtype));
      info_add_row (self, row++, _("Format"), fmt);
      if (info->spacing_source != NULL)
        info_add_row (self, row++, _("Voxel size from"), info->spacing_source);
    }
  if (st != NULL && st->n > 0)
    {
      g_autofree char *mn = ps_format_value (st->min, 5), *mx = ps_format_value (st->max, 5);
      g_autofree char *mean = ps_format_value (st->mean, 5), *sd = ps_format_value (st->sd, 4);
      g_autofree char *range = g_strdup_printf ("%s … %s", mn, mx);
      g_autofree char *ms = g_strdup_printf ("%s ± %s", mean, sd);
      info_add_row (self, row++, _("Range"), range);
      info_add_row (self, row++, _("Mean ± SD"), ms);
      if (st->n_nonfinite > 0)
        {
          g_autofree char *nf = g_strdup_printf ("%" G_GUINT64_FORMAT, st->n_nonfinite);
          info_add_row (self, row++, _("Not finite"), nf);
        }
    }
  ps_format_bytes ((guint64) ps_volume_n_voxels (vol) * sizeof (float), bytes, sizeof bytes);
  info_add_row (self, row++, _("In memory"), bytes);
  if (ps_document_get_file (self->document) != NULL)
    {
      g_autofree char *path = g_file_get_path (ps_document_get_file (self->document));
      if (path != NULL)
        info_add_row (self, row++, _("File"), path);
    }
}

static void
legend_toggled (GtkCheckButton *check, PsWindow *self)
{
  const char *name = g_object_get_data (G_OBJECT (check), "layer");
  g_action_group_activate_action (ps_document_get_actions (self->document), "overlay-visible",
                                  g_variant_new ("(sb)", name, gtk_check_button_get_active (check)));
}

static void
update_legend (PsWindow *self)
{
  GtkWidget *child;
  guint n = ps_document_get_n_overlays (self->document);

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->legend_box))) != NULL)
    gtk_box_remove (self->legend_box, child);
  for (guint i = 0; i < n; i++)
    {
      const PsOverlayLayer *layer = ps_document_get_overlay (self->document, i);
      g_autofree char *color = ps_color_to_string (ps_document_get_overlay_color (self->document, layer));
      g_autofree char *markup = NULL;
      const char *name = layer->title != NULL               ? layer->title
                         : layer->phase == PS_PHASE_CARBON ? _("Carbon")
                         : layer->phase == PS_PHASE_PORES  ? _("Pores")
                                                           : layer->name;
      if (layer->mode == PS_OVERLAY_PER_LABEL)
        {
          /* Translators: an overlay layer that colours each object differently */
          g_autofree char *text = g_strdup_printf (_("%s (one colour per object)"), name);
          markup = g_markup_printf_escaped ("<span foreground=\"#e5a50a\">■</span><span foreground=\"#26a269\">■</span>"
                                            "<span foreground=\"#813d9c\">■</span>  %s", text);
        }
      else
        markup = g_markup_printf_escaped ("<span foreground=\"%s\">■</span>  %s", color, name);
      /* A check button per layer, through doc.overlay-visible. */
      GtkWidget *check = gtk_check_button_new ();
      GtkWidget *label = gtk_label_new (NULL);
      gtk_label_set_markup (GTK_LABEL (label), markup);
      gtk_label_set_xalign (GTK_LABEL (label), 0);
      gtk_check_button_set_child (GTK_CHECK_BUTTON (check), label);
      gtk_check_button_set_active (GTK_CHECK_BUTTON (check), layer->visible);
      g_object_set_data_full (G_OBJECT (check), "layer", g_strdup (layer->name), g_free);
      g_signal_connect (check, "toggled", G_CALLBACK (legend_toggled), self);
      gtk_box_append (self->legend_box, check);
    }
}

static void
update_title (PsWindow *self)
{
  const char *title = ps_document_get_title (self->document);
  PsVolume *vol = ps_document_get_volume (self->document);
  GFile *file = ps_document_get_file (self->document);
  g_autofree char *subtitle = NULL;
  g_autofree char *wm_title = NULL;

  if (vol == NULL)
    {
      adw_window_title_set_title (self->window_title, "Porescope");
      adw_window_title_set_subtitle (self->window_title, "");
      gtk_window_set_title (GTK_WINDOW (self), "Porescope");
      return;
    }
  if (file != NULL)
    {
      g_autoptr (GFile) parent = g_file_get_parent (file);
      g_autofree char *dir = parent ? g_file_get_path (parent) : NULL;
      const char *home = g_get_home_dir ();
      if (dir != NULL && home != NULL && g_str_has_prefix (dir, home))
        subtitle = g_strconcat ("~", dir + strlen (home), NULL);
      else
        subtitle = g_strdup (dir);
    }
  else if (ps_document_is_demo (self->document))
    subtitle = g_strdup (_("Simulated, generated on this computer"));
  adw_window_title_set_title (self->window_title, title ? title : _("Untitled volume"));
  adw_window_title_set_subtitle (self->window_title, subtitle ? subtitle : "");
  wm_title = g_strdup_printf ("%s — Porescope", title ? title : _("Untitled volume"));
  gtk_window_set_title (GTK_WINDOW (self), wm_title);
}

static void
update_status (PsWindow *self)
{
  PsVolume *vol = ps_document_get_volume (self->document);
  g_autofree char *text = NULL;

  if (vol == NULL)
    {
      gtk_label_set_text (self->status_label, "");
      return;
    }
  if (ps_document_get_tilt_series (self->document) != NULL)
    {
      g_autofree char *px = ps_format_length (vol->spacing[0]);
      text = g_strdup_printf (_("Tilt series of %zu images, %zu × %zu pixels of %s nm"), vol->nz, vol->nx,
                              vol->ny, px);
    }
  else if (vol->spacing_known)
    {
      g_autofree char *sx = ps_format_length (vol->spacing[0]);
      g_autofree char *sy = ps_format_length (vol->spacing[1]);
      g_autofree char *sz = ps_format_length (vol->spacing[2]);
      text = g_strdup_printf (_("%zu × %zu × %zu voxels of %s × %s × %s nm"), vol->nx, vol->ny, vol->nz, sx, sy, sz);
    }
  else
    text = g_strdup_printf (_("%zu × %zu × %zu voxels, voxel size unknown (1 nm assumed)"), vol->nx, vol->ny,
                            vol->nz);
  gtk_label_set_text (self->status_label, text);
}

static void
update_actions (PsWindow *self)
{
  gboolean has = ps_document_get_volume (self->document) != NULL;

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.save-as", has);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.save-session", has);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.export-slice", has);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.export-figure", has);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.export-movie", has);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.zoom-fit", has);
}

static void
document_changed (PsDocument *document, guint flags, PsWindow *self)
{
  if (flags & PS_DOCUMENT_CHANGED_VOLUME)
    {
      gboolean has = ps_document_get_volume (document) != NULL;
      gtk_stack_set_visible_child_name (self->main_stack, has ? "views" : "welcome");
      gtk_widget_set_visible (self->status_bar, has);
      gtk_widget_set_visible (self->sidebar_button, has);
      update_title (self);
      update_info (self);
      update_status (self);
      update_actions (self);
      if (has)
        gtk_revealer_set_reveal_child (self->error_revealer, FALSE);
    }
  if (flags & (PS_DOCUMENT_CHANGED_VOLUME | PS_DOCUMENT_CHANGED_POINTER | PS_DOCUMENT_CHANGED_CROSSHAIR))
    update_readout (self);
  if (flags & (PS_DOCUMENT_CHANGED_VOLUME | PS_DOCUMENT_CHANGED_CONTRAST))
    update_window_labels (self);
  if (flags & (PS_DOCUMENT_CHANGED_VOLUME | PS_DOCUMENT_CHANGED_OVERLAY))
    update_legend (self);
}

/* ---- progress and errors ---------------------------------------------------------- */

static void
document_job_changed (PsDocument *document, GParamSpec *pspec, PsWindow *self)
{
  PsJob *job = ps_document_get_job (document);

  g_clear_pointer (&self->fraction_binding, g_binding_unbind);
  g_clear_pointer (&self->message_binding, g_binding_unbind);
  if (job != NULL)
    {
      gtk_label_set_text (self->progress_title, ps_job_get_title (job));
      self->fraction_binding = g_object_bind_property (job, "fraction", self->progress_bar, "fraction",
                                                       G_BINDING_SYNC_CREATE);
      self->message_binding = g_object_bind_property (job, "message", self->progress_message, "label",
                                                      G_BINDING_SYNC_CREATE);
    }
  gtk_revealer_set_reveal_child (self->progress_revealer, job != NULL);
}

static void
show_error (PsWindow *self, const char *title, const char *message)
{
  gtk_label_set_text (self->error_title, title);
  gtk_label_set_text (self->error_label, message);
  gtk_revealer_set_reveal_child (self->error_revealer, TRUE);
}

static void
document_error (PsDocument *document, const char *title, GError *error, PsWindow *self)
{
  show_error (self, title, error->message);
}

static void
document_saved (PsDocument *document, GFile *file, PsWindow *self)
{
  g_autofree char *uri = g_file_get_uri (file);
  g_autofree char *name = g_file_get_basename (file);
  /* Translators: %s is a file name */
  g_autofree char *text = g_strdup_printf (_("Saved “%s”"), name);

  gtk_recent_manager_add_item (self->recent, uri);
  update_title (self);
  update_info (self);
  adw_toast_overlay_add_toast (self->toast_overlay, adw_toast_new (text));
}

/* A successful load goes into the recent list. */
static void
document_title_changed (PsDocument *document, GParamSpec *pspec, PsWindow *self)
{
  GFile *file = ps_document_get_file (document);
  if (file != NULL && ps_document_get_volume (document) != NULL)
    {
      g_autofree char *uri = g_file_get_uri (file);
      gtk_recent_manager_add_item (self->recent, uri);
    }
}

/* ---- recent files ------------------------------------------------------------------ */

static int
compare_recent (gconstpointer a, gconstpointer b)
{
  GDateTime *ma = gtk_recent_info_get_modified ((GtkRecentInfo *) a);
  GDateTime *mb = gtk_recent_info_get_modified ((GtkRecentInfo *) b);
  return -g_date_time_compare (ma, mb);
}

static void
recent_row_activated (GtkListBox *box, GtkListBoxRow *row, PsWindow *self)
{
  const char *uri = g_object_get_data (G_OBJECT (row), "uri");
  if (uri != NULL)
    gtk_widget_activate_action (GTK_WIDGET (self), "win.open-file", "s", uri);
}

static void
update_recent (PsWindow *self)
{
  GList *items = gtk_recent_manager_get_items (self->recent);
  const char *app_name = g_get_application_name () ? g_get_application_name () : g_get_prgname ();
  GtkWidget *child;
  int n = 0;

  g_menu_remove_all (self->recent_section);
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->recent_list))) != NULL)
    gtk_list_box_remove (self->recent_list, child);

  /* Newest first; only files this application opened that still exist. */
  items = g_list_sort (items, compare_recent);
  for (GList *l = items; l != NULL && n < N_RECENT; l = l->next)
    {
      GtkRecentInfo *info = l->data;
      const char *uri = gtk_recent_info_get_uri (info);
      if ((app_name != NULL && !gtk_recent_info_has_application (info, app_name)) || !gtk_recent_info_exists (info))
        continue;
      g_autoptr (GFile) file = g_file_new_for_uri (uri);
      g_autofree char *name = g_file_get_basename (file);
      g_autoptr (GFile) parent = g_file_get_parent (file);
      g_autofree char *dir = parent ? g_file_get_path (parent) : NULL;
      g_autoptr (GMenuItem) item = g_menu_item_new (name, NULL);
      GtkWidget *row;

      g_menu_item_set_action_and_target_value (item, "win.open-file", g_variant_new_string (uri));
      g_menu_append_item (self->recent_section, item);

      row = adw_action_row_new ();
      adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), name);
      adw_action_row_set_subtitle (ADW_ACTION_ROW (row), dir ? dir : "");
      gtk_list_box_row_set_activatable (GTK_LIST_BOX_ROW (row), TRUE);
      adw_action_row_add_suffix (ADW_ACTION_ROW (row), gtk_image_new_from_icon_name ("go-next-symbolic"));
      g_object_set_data_full (G_OBJECT (row), "uri", g_strdup (uri), g_free);
      gtk_list_box_append (self->recent_list, row);
      n++;
    }
  g_list_free_full (items, (GDestroyNotify) gtk_recent_info_unref);
  gtk_widget_set_visible (self->recent_heading, n > 0);
  gtk_widget_set_visible (GTK_WIDGET (self->recent_list), n > 0);
}

/* ---- opening -------------------------------------------------------------------------- */

/* Angles for a tilt series: a .tlt/.rawtlt beside the stack, or none (the
 * file's own, e.g. DM). */
static char *
find_angles_beside (GFile *file)
{
  g_autofree char *path = g_file_get_path (file);
  static const char *const exts[] = { ".tlt", ".rawtlt" };
  char *dot;

  if (path == NULL)
    return NULL;
  if (g_str_has_suffix (path, ".gz"))
    path[strlen (path) - 3] = '\0';
  dot = strrchr (path, '.');
  if (dot != NULL && strchr (dot, G_DIR_SEPARATOR) == NULL)
    *dot = '\0';
  for (gsize i = 0; i < G_N_ELEMENTS (exts); i++)
    {
      g_autofree char *candidate = g_strconcat (path, exts[i], NULL);
      if (g_file_test (candidate, G_FILE_TEST_IS_REGULAR))
        return g_steal_pointer (&candidate);
    }
  return NULL;
}

void
ps_window_open_file (PsWindow *self, GFile *file, const char *angles_spec)
{
  g_return_if_fail (PS_IS_WINDOW (self));
  g_return_if_fail (G_IS_FILE (file));

  gtk_revealer_set_reveal_child (self->error_revealer, FALSE);
  if (angles_spec != NULL)
    ps_document_load_tilt_series (self->document, file, angles_spec);
  else
    ps_document_load_file (self->document, file);
}

static GtkFileFilter *
make_filter (const char *name, const char *const *patterns)
{
  GtkFileFilter *filter = gtk_file_filter_new ();
  gtk_file_filter_set_name (filter, name);
  for (const char *const *p = patterns; *p != NULL; p++)
    gtk_file_filter_add_pattern (filter, *p);
  return filter;
}

static void
add_volume_filters (GtkFileChooser *chooser)
{
  static const char *const tiff[] = { "*.tif", "*.tiff", "*.TIF", "*.TIFF", NULL };
  static const char *const mrc[] = { "*.mrc", "*.mrcs", "*.rec", "*.st", "*.ali", "*.map", "*.ccp4",
                                     "*.preali", "*.mrc.gz", "*.rec.gz", "*.map.gz", "*.ccp4.gz",
                                     "*.st.gz", NULL };
  static const char *const dm[] = { "*.dm3", "*.dm4", "*.DM3", "*.DM4", NULL };
  static const char *const all[] = { "*", NULL };
  g_autoptr (GtkFileFilter) f0 = make_filter (_("All Supported Volumes"), volume_patterns);
  g_autoptr (GtkFileFilter) f1 = make_filter (_("TIFF Stacks"), tiff);
  g_autoptr (GtkFileFilter) f2 = make_filter (_("MRC and CCP4 (IMOD .rec, .st, .ali; .gz)"), mrc);
  g_autoptr (GtkFileFilter) f3 = make_filter (_("Gatan DM3 and DM4"), dm);
  g_autoptr (GtkFileFilter) f4 = make_filter (_("All Files"), all);

  gtk_file_chooser_add_filter (chooser, f0);
  gtk_file_chooser_add_filter (chooser, f1);
  gtk_file_chooser_add_filter (chooser, f2);
  gtk_file_chooser_add_filter (chooser, f3);
  gtk_file_chooser_add_filter (chooser, f4);
  gtk_file_chooser_set_filter (chooser, f0);
}

static void
remember_folder (PsWindow *self, GFile *file)
{
  g_autoptr (GFile) parent = g_file_get_parent (file);
  g_autofree char *uri = parent ? g_file_get_uri (parent) : NULL;
  if (uri != NULL && self->settings != NULL)
    g_settings_set_string (self->settings, "last-folder", uri);
}

static void
set_start_folder (PsWindow *self, GtkFileChooser *chooser)
{
  g_autofree char *uri = self->settings ? g_settings_get_string (self->settings, "last-folder") : NULL;
  if (uri != NULL && uri[0] != '\0')
    {
      g_autoptr (GFile) folder = g_file_new_for_uri (uri);
      gtk_file_chooser_set_current_folder (chooser, folder, NULL);
    }
}

static void
open_response (GtkNativeDialog *dialog, int response, PsWindow *self)
{
  gboolean tilt = GPOINTER_TO_INT (g_object_get_data (G_OBJECT (dialog), "tilt-series"));

  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr (GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog));
      remember_folder (self, file);
      if (tilt)
        {
          g_autofree char *angles = find_angles_beside (file);
          const char *spec = gtk_file_chooser_get_choice (GTK_FILE_CHOOSER (dialog), "angles");
          /* A range picked in the chooser wins over a file found beside it;
           * with neither, the angles stored in the file (DM) are used. */
          gtk_revealer_set_reveal_child (self->error_revealer, FALSE);
          ps_document_load_tilt_series (self->document, file,
                                        spec != NULL && !g_str_equal (spec, "auto") ? spec : angles);
        }
      else
        ps_window_open_file (self, file, NULL);
    }
  gtk_native_dialog_destroy (dialog);
  g_clear_object (&self->chooser);
}

static void
show_chooser (PsWindow *self, gboolean tilt_series)
{
  GtkFileChooserNative *chooser;

  if (self->chooser != NULL)
    gtk_native_dialog_destroy (GTK_NATIVE_DIALOG (self->chooser));
  g_clear_object (&self->chooser);
  chooser = gtk_file_chooser_native_new (tilt_series ? _("Open Tilt Series") : _("Open Volume"),
                                         GTK_WINDOW (self), GTK_FILE_CHOOSER_ACTION_OPEN, _("_Open"),
                                         _("_Cancel"));
  add_volume_filters (GTK_FILE_CHOOSER (chooser));
  set_start_folder (self, GTK_FILE_CHOOSER (chooser));
  if (tilt_series)
    {
      /* The common IMOD ranges, or the angles file beside the stack. */
      static const char *ids[] = { "auto", "-60:60:2", "-60:60:1", "-70:70:2", "-75:75:2", "-90:90:2", NULL };
      const char *labels[] = { _("From a .tlt file beside the stack, or the file"), "−60° … +60°, 2°",
                               "−60° … +60°, 1°", "−70° … +70°, 2°", "−75° … +75°, 2°",
                               "−90° … +90°, 2°", NULL };
      gtk_file_chooser_add_choice (GTK_FILE_CHOOSER (chooser), "angles", _("Tilt angles"), ids, labels);
      gtk_file_chooser_set_choice (GTK_FILE_CHOOSER (chooser), "angles", "auto");
    }
  g_object_set_data (G_OBJECT (chooser), "tilt-series", GINT_TO_POINTER (tilt_series));
  g_signal_connect (chooser, "response", G_CALLBACK (open_response), self);
  self->chooser = chooser;
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (chooser));
}

static void
action_open (GtkWidget *widget, const char *name, GVariant *param)
{
  show_chooser (PS_WINDOW (widget), FALSE);
}

/* Open Tilt Series…: the reconstruction dialog (which can also just view
 * the images). */
static void
action_open_tilt_series (GtkWidget *widget, const char *name, GVariant *param)
{
  PsWindow *self = PS_WINDOW (widget);
  gtk_window_present (GTK_WINDOW (ps_reconstruct_dialog_new (GTK_WINDOW (self), self->document)));
}

/* win.reconstruct a{sv}: the keys of ps-reconstruct.h; no dialog. */
static void
action_reconstruct (GtkWidget *widget, const char *name, GVariant *param)
{
  PsWindow *self = PS_WINDOW (widget);
  g_autoptr (GError) error = NULL;
  g_autoptr (PsReconRun) run = NULL;

  gtk_revealer_set_reveal_child (self->error_revealer, FALSE);
  run = ps_reconstruct_start (self->document, param, NULL, &error);
  if (run == NULL)
    g_signal_emit_by_name (self->document, "error", _("Could not reconstruct"), error);
}

static void
action_open_file (GtkWidget *widget, const char *name, GVariant *param)
{
  g_autoptr (GFile) file = g_file_new_for_uri (g_variant_get_string (param, NULL));
  ps_window_open_file (PS_WINDOW (widget), file, NULL);
}

/* ---- saving and exporting ------------------------------------------------------------------ */

static void
save_response (GtkNativeDialog *dialog, int response, PsWindow *self)
{
  const char *what = g_object_get_data (G_OBJECT (dialog), "what");

  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr (GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog));
      g_autofree char *path = g_file_get_path (file);
      g_autoptr (GError) error = NULL;
      g_autofree char *name = g_file_get_basename (file);

      remember_folder (self, file);
      if (g_str_equal (what, "volume"))
        ps_document_save (self->document, file);
      else
        {
          gboolean ok;
          if (g_str_equal (what, "screenshot"))
            ok = ps_window_save_screenshot (self, path, &error);
          else
            {
              PsSliceOrientation o = g_str_equal (what, "xz") ? PS_SLICE_XZ
                                     : g_str_equal (what, "yz") ? PS_SLICE_YZ
                                                               : PS_SLICE_XY;
              ok = ps_export_slice_png (self->document, o, path, &error);
            }
          if (ok)
            {
              /* Translators: %s is a file name */
              g_autofree char *text = g_strdup_printf (_("Exported “%s”"), name);
              adw_toast_overlay_add_toast (self->toast_overlay, adw_toast_new (text));
            }
          else
            {
              g_autofree char *title = g_strdup_printf (_("Could not export “%s”"), name);
              show_error (self, title, error->message);
            }
        }
    }
  gtk_native_dialog_destroy (dialog);
  g_clear_object (&self->chooser);
}

static void
show_save_chooser (PsWindow *self, const char *what, const char *title, const char *suggested)
{
  GtkFileChooserNative *chooser;

  if (self->chooser != NULL)
    gtk_native_dialog_destroy (GTK_NATIVE_DIALOG (self->chooser));
  g_clear_object (&self->chooser);
  chooser = gtk_file_chooser_native_new (title, GTK_WINDOW (self), GTK_FILE_CHOOSER_ACTION_SAVE, _("_Save"),
                                         _("_Cancel"));
  set_start_folder (self, GTK_FILE_CHOOSER (chooser));
  gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (chooser), suggested);
  if (g_str_equal (what, "volume"))
    {
      static const char *const tiff[] = { "*.tif", "*.tiff", NULL };
      static const char *const mrc[] = { "*.mrc", "*.rec", "*.map", NULL };
      g_autoptr (GtkFileFilter) f1 = make_filter (_("TIFF Stack (float32)"), tiff);
      g_autoptr (GtkFileFilter) f2 = make_filter (_("MRC (float32)"), mrc);
      gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (chooser), f1);
      gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (chooser), f2);
    }
  else
    {
      static const char *const png[] = { "*.png", NULL };
      g_autoptr (GtkFileFilter) f = make_filter (_("PNG Images"), png);
      gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (chooser), f);
    }
  g_object_set_data_full (G_OBJECT (chooser), "what", g_strdup (what), g_free);
  g_signal_connect (chooser, "response", G_CALLBACK (save_response), self);
  self->chooser = chooser;
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (chooser));
}

static char *
suggested_name (PsWindow *self, const char *suffix)
{
  const char *title = ps_document_get_title (self->document);
  g_autofree char *base = g_strdup (title && !ps_document_is_demo (self->document) ? title : "porescope");
  char *dot;

  if (g_str_has_suffix (base, ".gz"))
    base[strlen (base) - 3] = '\0';
  dot = strrchr (base, '.');
  if (dot != NULL && dot != base)
    *dot = '\0';
  return g_strconcat (base, suffix, NULL);
}

static void
action_save_as (GtkWidget *widget, const char *name, GVariant *param)
{
  PsWindow *self = PS_WINDOW (widget);
  g_autofree char *suggested = suggested_name (self, ".tif");
  show_save_chooser (self, "volume", _("Save Volume As"), suggested);
}

static void
action_export_slice (GtkWidget *widget, const char *name, GVariant *param)
{
  PsWindow *self = PS_WINDOW (widget);
  const char *which = g_variant_get_string (param, NULL);
  g_autofree char *suffix = NULL;
  g_autofree char *suggested = NULL;
  PsSliceOrientation o = g_str_equal (which, "xz") ? PS_SLICE_XZ : g_str_equal (which, "yz") ? PS_SLICE_YZ
                                                                                              : PS_SLICE_XY;
  static const char axis[] = { 'z', 'y', 'x' };

  suffix = g_strdup_printf ("-%s-%c%zu.png", which, axis[o], ps_document_get_slice (self->document, o));
  suggested = suggested_name (self, suffix);
  show_save_chooser (self, which, _("Export Slice"), suggested);
}

static void
action_export_screenshot (GtkWidget *widget, const char *name, GVariant *param)
{
  PsWindow *self = PS_WINDOW (widget);
  g_autofree char *suggested = suggested_name (self, "-window.png");
  show_save_chooser (self, "screenshot", _("Save Window Screenshot"), suggested);
}

/* The 3D view inside the volume pane (NULL before it is built). */
static PsVolumeView *
window_volume_view (PsWindow *self)
{
  for (GtkWidget *c = gtk_widget_get_first_child (GTK_WIDGET (self->volume_pane)); c != NULL;
       c = gtk_widget_get_next_sibling (c))
    if (PS_IS_VOLUME_PANE (c))
      return ps_volume_pane_get_view (PS_VOLUME_PANE (c));
  return NULL;
}

/* ---- figures ----------------------------------------------------------------------------------- */

static void
figure_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  GTask *outer = user_data;
  PsWindow *self = g_task_get_source_object (outer);
  g_autoptr (GError) error = NULL;

  if (!ps_figure_export_finish (result, &error))
    g_task_return_error (outer, g_steal_pointer (&error));
  else
    g_task_return_boolean (outer, TRUE);
  if (self->figure_cancellable == g_task_get_cancellable (outer))
    g_clear_object (&self->figure_cancellable);
  g_object_unref (outer);
}

void
ps_window_export_figure (PsWindow *self, const char *path, const PsFigureOptions *options,
                         GAsyncReadyCallback callback, gpointer user_data)
{
  GTask *outer;

  g_return_if_fail (PS_IS_WINDOW (self));
  g_return_if_fail (path != NULL);

  /* A new figure replaces one still being written. */
  if (self->figure_cancellable != NULL)
    g_cancellable_cancel (self->figure_cancellable);
  g_clear_object (&self->figure_cancellable);
  self->figure_cancellable = g_cancellable_new ();
  outer = g_task_new (self, self->figure_cancellable, callback, user_data);
  ps_figure_export_async (self->document, window_volume_view (self), path,
                          options != NULL ? options : &self->figure_options, self->figure_cancellable, figure_done,
                          outer);
}

gboolean
ps_window_export_figure_finish (PsWindow *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
figure_exported (GObject *source, GAsyncResult *result, gpointer user_data)
{
  PsWindow *self = PS_WINDOW (source);
  g_autoptr (GError) error = NULL;
  g_autofree char *path = user_data;
  g_autofree char *name = g_path_get_basename (path);

  if (ps_window_export_figure_finish (self, result, &error))
    {
      /* Translators: %s is a file name */
      g_autofree char *text = g_strdup_printf (_("Exported “%s”"), name);
      adw_toast_overlay_add_toast (self->toast_overlay, adw_toast_new (text));
    }
  else if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      g_autofree char *title = g_strdup_printf (_("Could not export “%s”"), name);
      show_error (self, title, error->message);
    }
}

static void
figure_response (GtkNativeDialog *dialog, int response, PsWindow *self)
{
  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr (GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog));
      g_autofree char *path = g_file_get_path (file);
      const char *width = gtk_file_chooser_get_choice (GTK_FILE_CHOOSER (dialog), "width");
      const char *dpi = gtk_file_chooser_get_choice (GTK_FILE_CHOOSER (dialog), "dpi");
      PsFigureFormat format;

      remember_folder (self, file);
      if (width != NULL)
        self->figure_options.width_mm = g_ascii_strtod (width, NULL);
      if (dpi != NULL)
        self->figure_options.dpi = g_ascii_strtod (dpi, NULL);
      if (path != NULL && !ps_figure_format_from_path (path, &format))
        {
          /* No known extension: PNG. */
          char *with = g_strconcat (path, ".png", NULL);
          g_free (path);
          path = with;
        }
      if (path != NULL)
        ps_window_export_figure (self, path, NULL, figure_exported, g_strdup (path));
    }
  gtk_native_dialog_destroy (dialog);
  g_clear_object (&self->chooser);
}

/* win.export-figure (s): write the figure to the path (format from its
 * extension: .png, .svg, .pdf); "" asks for the file, size and resolution. */
static void
action_export_figure (GtkWidget *widget, const char *name, GVariant *param)
{
  PsWindow *self = PS_WINDOW (widget);
  const char *path = g_variant_get_string (param, NULL);
  GtkFileChooserNative *chooser;
  g_autofree char *suggested = NULL;
  static const char *const png[] = { "*.png", NULL };
  static const char *const svg[] = { "*.svg", NULL };
  static const char *const pdf[] = { "*.pdf", NULL };
  /* The current value first: GTK 4.8's fallback dialog shows the first
   * option whatever gtk_file_chooser_set_choice() asked for. */
  gboolean narrow = fabs (self->figure_options.width_mm - 85.0) < 0.5;
  int dpi_first = fabs (self->figure_options.dpi - 150.0) < 0.5 ? 0 : fabs (self->figure_options.dpi - 600.0) < 0.5 ? 2 : 1;
  static const char *all_dpis[] = { "150", "300", "600" };
  const char *all_dpi_labels[] = { _("150 dpi"), _("300 dpi"), _("600 dpi") };
  const char *widths[] = { narrow ? "85" : "180", narrow ? "180" : "85", NULL };
  const char *width_labels[] = { narrow ? _("Single column (85 mm)") : _("Double column (180 mm)"),
                                 narrow ? _("Double column (180 mm)") : _("Single column (85 mm)"), NULL };
  const char *dpis[4] = { NULL }, *dpi_labels[4] = { NULL };
  for (int i = 0, n = 0; i < 3; i++)
    {
      int k = i == 0 ? dpi_first : (i <= dpi_first ? i - 1 : i);
      dpis[n] = all_dpis[k];
      dpi_labels[n++] = all_dpi_labels[k];
    }

  if (path[0] != '\0')
    {
      ps_window_export_figure (self, path, NULL, figure_exported, g_strdup (path));
      return;
    }
  if (self->chooser != NULL)
    gtk_native_dialog_destroy (GTK_NATIVE_DIALOG (self->chooser));
  g_clear_object (&self->chooser);
  chooser = gtk_file_chooser_native_new (_("Export Figure"), GTK_WINDOW (self), GTK_FILE_CHOOSER_ACTION_SAVE,
                                         _("_Export"), _("_Cancel"));
  set_start_folder (self, GTK_FILE_CHOOSER (chooser));
  suggested = suggested_name (self, "-figure.png");
  gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (chooser), suggested);
  {
    g_autoptr (GtkFileFilter) f1 = make_filter (_("PNG Images"), png);
    g_autoptr (GtkFileFilter) f2 = make_filter (_("SVG Drawings"), svg);
    g_autoptr (GtkFileFilter) f3 = make_filter (_("PDF Documents"), pdf);
    gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (chooser), f1);
    gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (chooser), f2);
    gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (chooser), f3);
  }
  gtk_file_chooser_add_choice (GTK_FILE_CHOOSER (chooser), "width", _("Width"), widths, width_labels);
  gtk_file_chooser_add_choice (GTK_FILE_CHOOSER (chooser), "dpi", _("PNG resolution"), dpis, dpi_labels);
  g_signal_connect (chooser, "response", G_CALLBACK (figure_response), self);
  self->chooser = chooser;
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (chooser));
  gtk_file_chooser_set_choice (GTK_FILE_CHOOSER (chooser), "width", widths[0]);
  gtk_file_chooser_set_choice (GTK_FILE_CHOOSER (chooser), "dpi", dpis[0]);
}

/* ---- movies ------------------------------------------------------------------------------------ */

void
ps_window_export_movie (PsWindow *self, const char *path, const PsMovieOptions *options,
                        GAsyncReadyCallback callback, gpointer user_data)
{
  g_return_if_fail (PS_IS_WINDOW (self));
  ps_movie_export_async (self->document, window_volume_view (self), path, options, callback, user_data);
}

typedef struct
{
  PsWindow *self;   /* owned ref */
  char *path;
} MovieClosure;

static void
movie_exported (GObject *source, GAsyncResult *result, gpointer user_data)
{
  MovieClosure *c = user_data;
  g_autoptr (GError) error = NULL;

  if (ps_movie_export_finish (result, &error) > 0)
    {
      g_autofree char *name = g_path_get_basename (c->path);
      /* Translators: %s is a file name */
      g_autofree char *text = g_strdup_printf (_("Exported “%s”"), name);
      adw_toast_overlay_add_toast (c->self->toast_overlay, adw_toast_new (text));
    }
  else if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    show_error (c->self, _("Could not write the movie"), error->message);
  g_object_unref (c->self);
  g_free (c->path);
  g_free (c);
}

static void
start_movie (PsWindow *self, const char *path, const PsMovieOptions *options)
{
  MovieClosure *c = g_new0 (MovieClosure, 1);
  c->self = g_object_ref (self);
  c->path = g_strdup (path);
  ps_window_export_movie (self, path, options, movie_exported, c);
}

static void
movie_response (GtkNativeDialog *dialog, int response, PsWindow *self)
{
  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr (GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog));
      g_autofree char *path = g_file_get_path (file);
      PsMovieOptions *options = g_object_get_data (G_OBJECT (dialog), "options");
      const char *frames = gtk_file_chooser_get_choice (GTK_FILE_CHOOSER (dialog), "frames");
      const char *overlay = gtk_file_chooser_get_choice (GTK_FILE_CHOOSER (dialog), "overlay");

      remember_folder (self, file);
      if (frames != NULL)
        options->n_frames = (guint) g_ascii_strtoull (frames, NULL, 10);
      if (overlay != NULL)
        options->overlay = g_str_equal (overlay, "true");
      if (path != NULL)
        start_movie (self, path, options);
    }
  gtk_native_dialog_destroy (dialog);
  g_clear_object (&self->chooser);
}

/* win.export-movie (a{sv}): kind ("rotate" | "sweep"), frames, overlay,
 * width, height, fps, path (".webm": a video; else a folder of PNG frames).
 * Without a path, asks for one. */
static void
action_export_movie (GtkWidget *widget, const char *name, GVariant *param)
{
  PsWindow *self = PS_WINDOW (widget);
  g_autoptr (GError) error = NULL;
  g_autofree char *path = NULL;
  PsMovieOptions options;
  GtkFileChooserNative *chooser;
  g_autofree char *suggested = NULL;
  /* The default first (see action_export_figure). */
  static const char *frames[] = { "72", "36", "180", "360", NULL };
  const char *frame_labels[] = { _("72 frames"), _("36 frames"), _("180 frames"), _("360 frames"), NULL };

  if (!ps_movie_options_from_variant (param, &options, NULL, &error))
    {
      show_error (self, _("Could not write the movie"), error->message);
      return;
    }
  if (g_variant_lookup (param, "path", "s", &path) && path[0] != '\0')
    {
      start_movie (self, path, &options);
      return;
    }
  if (self->chooser != NULL)
    gtk_native_dialog_destroy (GTK_NATIVE_DIALOG (self->chooser));
  g_clear_object (&self->chooser);
  chooser = gtk_file_chooser_native_new (options.kind == PS_MOVIE_ROTATE ? _("Export Rotation Movie")
                                                                         : _("Export Slice Sweep Movie"),
                                         GTK_WINDOW (self), GTK_FILE_CHOOSER_ACTION_SAVE, _("_Export"),
                                         _("_Cancel"));
  set_start_folder (self, GTK_FILE_CHOOSER (chooser));
  suggested = suggested_name (self, options.kind == PS_MOVIE_ROTATE
                                        ? (ps_movie_have_webm () ? "-rotation.webm" : "-rotation-frames")
                                        : (ps_movie_have_webm () ? "-sweep.webm" : "-sweep-frames"));
  gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (chooser), suggested);
  gtk_file_chooser_add_choice (GTK_FILE_CHOOSER (chooser), "frames", _("Frames"), frames, frame_labels);
  gtk_file_chooser_add_choice (GTK_FILE_CHOOSER (chooser), "overlay", _("Show the segmentation"), NULL, NULL);
  g_object_set_data_full (G_OBJECT (chooser), "options", g_memdup2 (&options, sizeof options), g_free);
  g_signal_connect (chooser, "response", G_CALLBACK (movie_response), self);
  self->chooser = chooser;
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (chooser));
  gtk_file_chooser_set_choice (GTK_FILE_CHOOSER (chooser), "frames", "72");
  gtk_file_chooser_set_choice (GTK_FILE_CHOOSER (chooser), "overlay", options.overlay ? "true" : "false");
}

static void
action_save_session (GtkWidget *widget, const char *name, GVariant *param)
{
  PsWindow *self = PS_WINDOW (widget);
  ps_session_ui_save (GTK_WINDOW (self), self->document, window_volume_view (self));
}

static void
action_open_session (GtkWidget *widget, const char *name, GVariant *param)
{
  PsWindow *self = PS_WINDOW (widget);
  ps_session_ui_open (GTK_WINDOW (self), self->document, window_volume_view (self));
}

static void
action_dismiss_error (GtkWidget *widget, const char *name, GVariant *param)
{
  gtk_revealer_set_reveal_child (PS_WINDOW (widget)->error_revealer, FALSE);
}

static void
action_zoom_fit (GtkWidget *widget, const char *name, GVariant *param)
{
  PsWindow *self = PS_WINDOW (widget);
  ps_slice_view_zoom_fit (self->xy_view);
  ps_slice_view_zoom_fit (self->xz_view);
  ps_slice_view_zoom_fit (self->yz_view);
}

/* ---- layout: one view or four ------------------------------------------------------------------ */

/* win.maximize-view (s, stateful): "" shows the quad; "xy", "xz", "yz" or
 * "3d" shows that pane alone. Asking again for the shown pane restores the
 * quad, so the header toggle buttons work as on/off switches. */
static void
maximize_view_change_state (GSimpleAction *action, GVariant *value, gpointer user_data)
{
  PsWindow *self = user_data;
  g_autoptr (GVariant) old = g_action_get_state (G_ACTION (action));
  const char *want = g_variant_get_string (value, NULL);
  const char *shown;
  struct { const char *name; GtkWidget *pane; } panes[] = {
    { "xy", GTK_WIDGET (self->xy_view) }, { "xz", GTK_WIDGET (self->xz_view) },
    { "yz", GTK_WIDGET (self->yz_view) }, { "3d", GTK_WIDGET (self->volume_pane) },
  };

  shown = g_str_equal (want, g_variant_get_string (old, NULL)) ? "" : want;
  for (gsize i = 0; i < G_N_ELEMENTS (panes); i++)
    gtk_widget_set_visible (panes[i].pane, shown[0] == '\0' || g_str_equal (shown, panes[i].name));
  g_simple_action_set_state (action, g_variant_new_string (shown));
}

static void
volume_header_pressed (GtkGestureClick *gesture, int n_press, double x, double y, PsWindow *self)
{
  if (n_press == 2)
    g_action_group_activate_action (G_ACTION_GROUP (self), "maximize-view", g_variant_new_string ("3d"));
}

/* ---- drag and drop ----------------------------------------------------------------------------- */

static gboolean
drop_cb (GtkDropTarget *target, const GValue *value, double x, double y, PsWindow *self)
{
  GSList *files;

  if (!G_VALUE_HOLDS (value, GDK_TYPE_FILE_LIST))
    return FALSE;
  files = g_value_get_boxed (value);
  if (files == NULL)
    return FALSE;
  /* One dataset per window: the first file. */
  ps_window_open_file (self, G_FILE (files->data), NULL);
  return TRUE;
}

/* ---- screenshots and settling ------------------------------------------------------------------ */

typedef struct
{
  PsWindow *self;
  GSourceFunc callback;
  gpointer user_data;
  int frames;
  guint tick_id;
  int width, height;     /* the content size to reach */
  gboolean resized;
} Settle;

static gboolean
settle_tick (GtkWidget *widget, GdkFrameClock *clock, gpointer data)
{
  Settle *s = data;
  PsWindow *self = s->self;
  GtkWidget *content = adw_application_window_get_content (ADW_APPLICATION_WINDOW (self));
  int cw = gtk_widget_get_width (content), ch = gtk_widget_get_height (content);

  /* The default size is the surface's; when the platform frames the window
   * (X11 without a compositor draws a solid resize border), grow it once so
   * the window's content, which screenshots show, gets the asked size. */
  if (!s->resized && cw > 0 && (cw != s->width || ch != s->height))
    {
      int dw, dh;
      s->resized = TRUE;
      gtk_window_get_default_size (GTK_WINDOW (self), &dw, &dh);
      gtk_window_set_default_size (GTK_WINDOW (self), dw + s->width - cw, dh + s->height - ch);
      s->frames = 0;
      return G_SOURCE_CONTINUE;
    }

  /* Wait for the document to be idle and the stack transition to end, then
   * let two more frames pass so every view has drawn the final state. */
  if (ps_document_get_busy (self->document) || gtk_stack_get_transition_running (self->main_stack)
      || gtk_revealer_get_child_revealed (self->progress_revealer)
      || (gtk_revealer_get_reveal_child (self->error_revealer)
          != gtk_revealer_get_child_revealed (self->error_revealer)))
    {
      s->frames = 0;
      return G_SOURCE_CONTINUE;
    }
  if (++s->frames < 3)
    {
      gtk_widget_queue_draw (GTK_WIDGET (self));
      return G_SOURCE_CONTINUE;
    }
  s->callback (s->user_data);
  return G_SOURCE_REMOVE;
}

void
ps_window_when_settled (PsWindow *self, GSourceFunc callback, gpointer user_data)
{
  Settle *s;

  g_return_if_fail (PS_IS_WINDOW (self));
  g_return_if_fail (callback != NULL);

  s = g_new0 (Settle, 1);
  s->self = self;
  s->callback = callback;
  s->user_data = user_data;
  gtk_window_get_default_size (GTK_WINDOW (self), &s->width, &s->height);
  s->tick_id = gtk_widget_add_tick_callback (GTK_WIDGET (self), settle_tick, s, g_free);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

gboolean
ps_window_save_screenshot (PsWindow *self, const char *path, GError **error)
{
  g_autoptr (GdkTexture) texture = NULL;

  g_return_val_if_fail (PS_IS_WINDOW (self), FALSE);

  texture = ps_export_widget_texture (adw_application_window_get_content (ADW_APPLICATION_WINDOW (self)), error);
  return texture != NULL && ps_export_texture_png (texture, path, error);
}

/* ---- accessors ------------------------------------------------------------------------------------ */

/**
 * ps_window_get_document:
 *
 * Returns: (transfer none):
 */
PsDocument *
ps_window_get_document (PsWindow *self)
{
  g_return_val_if_fail (PS_IS_WINDOW (self), NULL);
  return self->document;
}

/**
 * ps_window_get_analysis_panel:
 *
 * Returns: (transfer none): the sidebar's Analysis panel
 */
GtkWidget *
ps_window_get_analysis_panel (PsWindow *self)
{
  g_return_val_if_fail (PS_IS_WINDOW (self), NULL);
  return GTK_WIDGET (self->analysis_panel);
}

/**
 * ps_window_get_slice_view:
 *
 * Returns: (transfer none):
 */
PsSliceView *
ps_window_get_slice_view (PsWindow *self, PsSliceOrientation orientation)
{
  g_return_val_if_fail (PS_IS_WINDOW (self), NULL);
  switch (orientation)
    {
    case PS_SLICE_XY: return self->xy_view;
    case PS_SLICE_XZ: return self->xz_view;
    case PS_SLICE_YZ: return self->yz_view;
    default: g_return_val_if_reached (NULL);
    }
}

/**
 * ps_window_get_histogram:
 *
 * Returns: (transfer none):
 */
GtkWidget *
ps_window_get_histogram (PsWindow *self)
{
  g_return_val_if_fail (PS_IS_WINDOW (self), NULL);
  return GTK_WIDGET (self->histogram);
}

/**
 * ps_window_get_volume_pane:
 *
 * Returns: (transfer none):
 */
GtkBox *
ps_window_get_volume_pane (PsWindow *self)
{
  g_return_val_if_fail (PS_IS_WINDOW (self), NULL);
  return self->volume_pane;
}

const char *
ps_window_get_page (PsWindow *self)
{
  g_return_val_if_fail (PS_IS_WINDOW (self), NULL);
  return gtk_stack_get_visible_child_name (self->main_stack);
}

const char *
ps_window_get_readout (PsWindow *self)
{
  g_return_val_if_fail (PS_IS_WINDOW (self), NULL);
  return gtk_label_get_text (self->readout_label);
}

const char *
ps_window_get_error (PsWindow *self)
{
  g_return_val_if_fail (PS_IS_WINDOW (self), NULL);
  if (!gtk_revealer_get_reveal_child (self->error_revealer))
    return NULL;
  return gtk_label_get_text (self->error_label);
}

/* ---- GObject ----------------------------------------------------------------------------------------- */

/* "application" is not a construct property, so it arrives after
 * constructed(): bind the settings when it does. */
static void
bind_settings (PsWindow *self)
{
  GtkApplication *app = gtk_window_get_application (GTK_WINDOW (self));

  if (app == NULL || !PS_IS_APPLICATION (app) || self->settings != NULL)
    return;
  self->settings = g_object_ref (ps_application_get_settings (PS_APPLICATION (app)));
  g_settings_bind (self->settings, "interpolation", self->document, "interpolation", G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (self->settings, "colormap", self->document, "colormap", G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (self->settings, "show-crosshair", self->document, "show-crosshair", G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (self->settings, "carbon-color", self->document, "carbon-color", G_SETTINGS_BIND_GET);
  g_settings_bind (self->settings, "pore-color", self->document, "pore-color", G_SETTINGS_BIND_GET);
  g_settings_bind (self->settings, "overlay-opacity", self->document, "overlay-opacity", G_SETTINGS_BIND_GET);
  g_settings_bind (self->settings, "show-sidebar", self->sidebar, "visible", G_SETTINGS_BIND_DEFAULT);
  gtk_window_set_default_size (GTK_WINDOW (self), g_settings_get_int (self->settings, "window-width"),
                               g_settings_get_int (self->settings, "window-height"));
  if (g_settings_get_boolean (self->settings, "window-maximized"))
    gtk_window_maximize (GTK_WINDOW (self));
}

/* Remember the size for the next window. */
static gboolean
ps_window_close_request (GtkWindow *window)
{
  PsWindow *self = PS_WINDOW (window);
  int width, height;

  if (self->settings != NULL)
    {
      gtk_window_get_default_size (window, &width, &height);
      g_settings_set_int (self->settings, "window-width", width);
      g_settings_set_int (self->settings, "window-height", height);
      g_settings_set_boolean (self->settings, "window-maximized", gtk_window_is_maximized (window));
    }
  return GTK_WINDOW_CLASS (ps_window_parent_class)->close_request (window);
}

static void
application_changed (PsWindow *self, GParamSpec *pspec, gpointer user_data)
{
  bind_settings (self);
}

static void
ps_window_dispose (GObject *object)
{
  PsWindow *self = PS_WINDOW (object);

  if (self->chooser != NULL)
    gtk_native_dialog_destroy (GTK_NATIVE_DIALOG (self->chooser));
  g_clear_object (&self->chooser);
  if (self->figure_cancellable != NULL)
    g_cancellable_cancel (self->figure_cancellable);
  g_clear_object (&self->figure_cancellable);
  g_clear_pointer (&self->fraction_binding, g_binding_unbind);
  g_clear_pointer (&self->message_binding, g_binding_unbind);
  if (self->recent != NULL)
    g_signal_handlers_disconnect_by_data (self->recent, self);
  if (self->document != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->document, self);
      ps_document_cancel (self->document);
    }
  /* The property action holds the sidebar: drop it before the template. */
  g_action_map_remove_action (G_ACTION_MAP (self), "show-sidebar");
  gtk_widget_dispose_template (GTK_WIDGET (self), PS_TYPE_WINDOW);
  g_clear_object (&self->document);
  g_clear_object (&self->settings);

  G_OBJECT_CLASS (ps_window_parent_class)->dispose (object);
}

static void
ps_window_finalize (GObject *object)
{
  PsWindow *self = PS_WINDOW (object);

  g_clear_pointer (&self->pending_angles, g_free);

  G_OBJECT_CLASS (ps_window_parent_class)->finalize (object);
}

static void
ps_window_class_init (PsWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = ps_window_dispose;
  object_class->finalize = ps_window_finalize;
  GTK_WINDOW_CLASS (klass)->close_request = ps_window_close_request;

  g_type_ensure (PS_TYPE_SLICE_VIEW);
  g_type_ensure (PS_TYPE_HISTOGRAM_VIEW);
  _ps_application_ensure_resources ();
  gtk_widget_class_set_template_from_resource (widget_class, "/io/github/porescope/Porescope/ui/ps-window.ui");
  gtk_widget_class_bind_template_child (widget_class, PsWindow, toast_overlay);
  gtk_widget_class_bind_template_child (widget_class, PsWindow, header_bar);
  gtk_widget_class_bind_template_child (widget_class, PsWindow, window_title);
  gtk_widget_class_bind_template_child (widget_class, PsWindow, primary_menu_button);
  gtk_widget_class_bind_template_child (widget_class, PsWindow, recent_section);
  gtk_widget_class_bind_template_child (widget_class, PsWindow, error_revealer);
  gtk_widget_class_bind_template_child (widget_class, PsWindow, error_title);
  gtk_widget_class_bind_template_child (widget_class, PsWindow, error_label);
  gtk_widget_class_bind_template_child (widget_class, PsWindow, progress_revealer);
  gtk_widget_class_bind_template_child (widget_class, PsWindow, progress_title);
  gtk_widget_class_bind_template_child (widget_class, PsWindow, progress_message);
  gtk_widget_class_bind_template_child (widget_class, PsWindow, progress_bar);
  gtk_widget_class_bind_template_child (widget_class, PsWindow, main_stack);
  gtk_widget_class_bind_template_child (widget_class, PsWindow, recent_heading);
  gtk_widget_class_bind_template_child (widget_class, PsWindow, recent_list);
  gtk_widget_class_bind_template_child (widget_class, PsWindow, paned);
  gtk_widget_class_bind_template_child (widget_class, PsWindow, xy_view);
  gtk_widget_class_bind_template_child (widget_class, PsWindow, xz_view);
  gtk_widget_class_bind_template_child (widget_class, PsWindow, yz_view);
  gtk_widget_class_bind_template_child (widget_class, PsWindow, volume_pane);
  gtk_widget_class_bind_template_child (widget_class, PsWindow, volume_title);
  gtk_widget_class_bind_template_child (widget_class, PsWindow, volume_header);
  gtk_widget_class_bind_template_child (widget_class, PsWindow, volume_maximize_button);
  gtk_widget_class_bind_template_child (widget_class, PsWindow, sidebar);
  gtk_widget_class_bind_template_child (widget_class, PsWindow, histogram);
  gtk_widget_class_bind_template_child (widget_class, PsWindow, window_lo_label);
  gtk_widget_class_bind_template_child (widget_class, PsWindow, window_hi_label);
  gtk_widget_class_bind_template_child (widget_class, PsWindow, legend_box);
  gtk_widget_class_bind_template_child (widget_class, PsWindow, info_grid);
  gtk_widget_class_bind_template_child (widget_class, PsWindow, status_bar);
  gtk_widget_class_bind_template_child (widget_class, PsWindow, sidebar_button);
  gtk_widget_class_bind_template_child (widget_class, PsWindow, readout_label);
  gtk_widget_class_bind_template_child (widget_class, PsWindow, status_label);

  gtk_widget_class_install_action (widget_class, "win.open", NULL, action_open);
  gtk_widget_class_install_action (widget_class, "win.open-tilt-series", NULL, action_open_tilt_series);
  gtk_widget_class_install_action (widget_class, "win.open-file", "s", action_open_file);
  gtk_widget_class_install_action (widget_class, "win.reconstruct", "a{sv}", action_reconstruct);
  gtk_widget_class_install_action (widget_class, "win.save-as", NULL, action_save_as);
  gtk_widget_class_install_action (widget_class, "win.export-slice", "s", action_export_slice);
  gtk_widget_class_install_action (widget_class, "win.export-screenshot", NULL, action_export_screenshot);
  gtk_widget_class_install_action (widget_class, "win.export-figure", "s", action_export_figure);
  gtk_widget_class_install_action (widget_class, "win.export-movie", "a{sv}", action_export_movie);
  gtk_widget_class_install_action (widget_class, "win.dismiss-error", NULL, action_dismiss_error);
  gtk_widget_class_install_action (widget_class, "win.save-session", NULL, action_save_session);
  gtk_widget_class_install_action (widget_class, "win.open-session", NULL, action_open_session);
  gtk_widget_class_install_action (widget_class, "win.zoom-fit", NULL, action_zoom_fit);

  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_o, GDK_CONTROL_MASK, "win.open", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_o, GDK_CONTROL_MASK | GDK_SHIFT_MASK,
                                       "win.open-tilt-series", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_s, GDK_CONTROL_MASK | GDK_SHIFT_MASK,
                                       "win.save-as", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_e, GDK_CONTROL_MASK, "win.export-slice",
                                       "s", "xy");
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_0, GDK_CONTROL_MASK | GDK_SHIFT_MASK,
                                       "win.zoom-fit", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "doc.cancel", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_a, GDK_CONTROL_MASK | GDK_SHIFT_MASK,
                                       "doc.auto-contrast", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_r, GDK_CONTROL_MASK | GDK_SHIFT_MASK,
                                       "doc.reset-contrast", NULL);
}

/* Ctrl+I: gray ⇄ inverted; Ctrl+L: nearest ⇄ linear — through the actions. */
static gboolean
toggle_colormap (GtkWidget *widget, GVariant *args, gpointer user_data)
{
  PsWindow *self = user_data;
  gboolean inverted = ps_document_get_colormap (self->document) == PS_COLORMAP_GRAY_INVERTED;
  g_action_group_activate_action (ps_document_get_actions (self->document), "colormap",
                                  g_variant_new_string (inverted ? "gray" : "inverted"));
  return TRUE;
}

static gboolean
toggle_linear (GtkWidget *widget, GVariant *args, gpointer user_data)
{
  PsWindow *self = user_data;
  gboolean linear = ps_document_get_interpolation (self->document) == PS_INTERPOLATION_LINEAR;
  g_action_group_activate_action (ps_document_get_actions (self->document), "interpolation",
                                  g_variant_new_string (linear ? "nearest" : "linear"));
  return TRUE;
}

/* GtkWidget actions cannot be stateful, so show-sidebar is a property action
 * on the sidebar's visibility, installed per instance. */
static void
ps_window_init (PsWindow *self)
{
  GtkDropTarget *drop;
  g_autoptr (GPropertyAction) sidebar_action = NULL;
  GtkEventController *shortcuts;

  gtk_widget_init_template (GTK_WIDGET (self));

  ps_figure_options_init (&self->figure_options);
  self->document = ps_document_new ();
  gtk_widget_insert_action_group (GTK_WIDGET (self), "doc", ps_document_get_actions (self->document));
  ps_slice_view_set_document (self->xy_view, self->document);
  ps_slice_view_set_document (self->xz_view, self->document);
  ps_slice_view_set_document (self->yz_view, self->document);
  ps_histogram_view_set_document (self->histogram, self->document);
  ps_subvolume_tool_attach (self->xy_view);
  ps_subvolume_tool_attach (self->xz_view);
  ps_subvolume_tool_attach (self->yz_view);
  {
    GtkWidget *subvolume = ps_subvolume_panel_new (self->document);
    GtkWidget *analysis = ps_analysis_panel_new (self->document);
    gtk_box_insert_child_after (GTK_BOX (gtk_widget_get_parent (GTK_WIDGET (self->legend_box))), subvolume,
                                GTK_WIDGET (self->legend_box));
    gtk_box_insert_child_after (GTK_BOX (gtk_widget_get_parent (GTK_WIDGET (self->legend_box))), analysis,
                                subvolume);
    self->analysis_panel = PS_ANALYSIS_PANEL (analysis);
    ps_session_ui_set_analysis_panel (self->document, self->analysis_panel);
    ps_analysis_panel_attach_view (self->analysis_panel, self->xy_view);
    ps_analysis_panel_attach_view (self->analysis_panel, self->xz_view);
    ps_analysis_panel_attach_view (self->analysis_panel, self->yz_view);
    /* "analysis." for menus, shortcuts and tests on the whole window. */
    gtk_widget_insert_action_group (GTK_WIDGET (self), "analysis",
                                    ps_analysis_panel_get_actions (self->analysis_panel));
  }
  {
    /* The 3D pane (branch gl). */
    GtkWidget *pane = ps_volume_pane_new ();
    GtkWidget *header = gtk_widget_get_first_child (GTK_WIDGET (self->volume_pane));
    ps_volume_pane_set_document (PS_VOLUME_PANE (pane), self->document);
    ps_analysis_panel_set_volume_view (self->analysis_panel, ps_volume_pane_get_view (PS_VOLUME_PANE (pane)));
    if (GTK_IS_BOX (header))
      ps_volume_pane_move_toolbar (PS_VOLUME_PANE (pane), GTK_BOX (header));
    gtk_box_append (self->volume_pane, pane);
    /* The pane's toolbar sits in our header: keep the maximize button last,
     * at the right edge, like the slice views'. */
    gtk_box_reorder_child_after (GTK_BOX (self->volume_header), self->volume_maximize_button,
                                 gtk_widget_get_last_child (self->volume_header));
    gtk_widget_set_hexpand (self->volume_maximize_button, FALSE);
    if (gtk_widget_get_prev_sibling (self->volume_maximize_button) != NULL
        && gtk_widget_get_prev_sibling (self->volume_maximize_button) != GTK_WIDGET (self->volume_title))
      gtk_widget_set_hexpand (gtk_widget_get_prev_sibling (self->volume_maximize_button), TRUE);
  }
  g_signal_connect (self->document, "changed", G_CALLBACK (document_changed), self);
  g_signal_connect (self->document, "notify::job", G_CALLBACK (document_job_changed), self);
  g_signal_connect (self->document, "notify::title", G_CALLBACK (document_title_changed), self);
  g_signal_connect (self->document, "error", G_CALLBACK (document_error), self);
  g_signal_connect (self->document, "saved", G_CALLBACK (document_saved), self);
  g_signal_connect (self, "notify::application", G_CALLBACK (application_changed), NULL);

  sidebar_action = g_property_action_new ("show-sidebar", self->sidebar, "visible");
  g_action_map_add_action (G_ACTION_MAP (self), G_ACTION (sidebar_action));
  {
    g_autoptr (GSimpleAction) maximize = g_simple_action_new_stateful ("maximize-view", G_VARIANT_TYPE_STRING,
                                                                       g_variant_new_string (""));
    GtkGesture *click = gtk_gesture_click_new ();
    g_signal_connect (maximize, "change-state", G_CALLBACK (maximize_view_change_state), self);
    g_action_map_add_action (G_ACTION_MAP (self), G_ACTION (maximize));
    g_signal_connect (click, "pressed", G_CALLBACK (volume_header_pressed), self);
    gtk_widget_add_controller (self->volume_header, GTK_EVENT_CONTROLLER (click));
  }

  shortcuts = gtk_shortcut_controller_new ();
  gtk_shortcut_controller_set_scope (GTK_SHORTCUT_CONTROLLER (shortcuts), GTK_SHORTCUT_SCOPE_MANAGED);
  gtk_shortcut_controller_add_shortcut (GTK_SHORTCUT_CONTROLLER (shortcuts),
                                        gtk_shortcut_new (gtk_keyval_trigger_new (GDK_KEY_F9, 0),
                                                          gtk_named_action_new ("win.show-sidebar")));
  gtk_shortcut_controller_add_shortcut (GTK_SHORTCUT_CONTROLLER (shortcuts),
                                        gtk_shortcut_new (gtk_keyval_trigger_new (GDK_KEY_i, GDK_CONTROL_MASK),
                                                          gtk_callback_action_new (toggle_colormap, self, NULL)));
  gtk_shortcut_controller_add_shortcut (GTK_SHORTCUT_CONTROLLER (shortcuts),
                                        gtk_shortcut_new (gtk_keyval_trigger_new (GDK_KEY_l, GDK_CONTROL_MASK),
                                                          gtk_callback_action_new (toggle_linear, self, NULL)));
  /* Seed edits (bubble phase: a focused text field undoes its own text first). */
  gtk_shortcut_controller_add_shortcut (GTK_SHORTCUT_CONTROLLER (shortcuts),
                                        gtk_shortcut_new (gtk_keyval_trigger_new (GDK_KEY_z, GDK_CONTROL_MASK),
                                                          gtk_named_action_new ("analysis.undo-seed")));
  gtk_shortcut_controller_add_shortcut (
    GTK_SHORTCUT_CONTROLLER (shortcuts),
    gtk_shortcut_new (gtk_alternative_trigger_new (gtk_keyval_trigger_new (GDK_KEY_z, GDK_CONTROL_MASK | GDK_SHIFT_MASK),
                                                   gtk_keyval_trigger_new (GDK_KEY_y, GDK_CONTROL_MASK)),
                      gtk_named_action_new ("analysis.redo-seed")));
  gtk_widget_add_controller (GTK_WIDGET (self), shortcuts);

  drop = gtk_drop_target_new (GDK_TYPE_FILE_LIST, GDK_ACTION_COPY);
  g_signal_connect (drop, "drop", G_CALLBACK (drop_cb), self);
  gtk_widget_add_controller (GTK_WIDGET (self), GTK_EVENT_CONTROLLER (drop));

  self->recent = gtk_recent_manager_get_default ();
  g_signal_connect_swapped (self->recent, "changed", G_CALLBACK (update_recent), self);
  update_recent (self);
  g_signal_connect (self->recent_list, "row-activated", G_CALLBACK (recent_row_activated), self);

  document_changed (self->document, PS_DOCUMENT_CHANGED_ALL, self);
}

PsWindow *
ps_window_new (GtkApplication *application)
{
  return g_object_new (PS_TYPE_WINDOW, "application", application, NULL);
}
