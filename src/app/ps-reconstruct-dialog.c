/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "ps-reconstruct-dialog"

#include "config.h"

#include "ps-application-private.h"

#include <glib/gi18n.h>
#include <math.h>
#include <string.h>

#include "ps-reconstruct-dialog.h"
#include "ps-reconstruct.h"
#include "ps-sirt.h"

struct _PsReconstructDialog
{
  AdwWindow parent_instance;

  /* Template widgets. */
  GtkButton *close_button;
  GtkButton *reconstruct_button;
  GtkButton *view_button;
  GtkStack *left_stack;
  GtkButton *choose_button;
  GtkPicture *tilt_picture;
  GtkAdjustment *tilt_adjustment;
  GtkLabel *tilt_label;
  GtkPicture *preview_xy;
  GtkPicture *preview_xz;
  GtkLabel *run_label;
  GtkProgressBar *run_progress;
  GtkButton *cancel_button;
  AdwPreferencesPage *settings_page;
  AdwActionRow *stack_row;
  GtkButton *stack_button;
  AdwEntryRow *angles_row;
  GtkButton *angles_button;
  AdwActionRow *series_row;
  AdwComboRow *method_row;
  AdwComboRow *filter_row;
  AdwActionRow *iterations_row;
  GtkSpinButton *iterations_spin;
  GtkSpinButton *thickness_spin;
  GtkSpinButton *axis_spin;
  GtkSwitch *axis_auto_switch;
  GtkSwitch *align_switch;

  /* Owned. */
  PsDocument *document;
  char *stack;               /* the chosen stack */
  PsVolume *images;          /* its images (z = image) for the scrubber */
  PsFileInfo *info;
  double *angles;            /* parsed from the entry or the file; NULL = none */
  gsize n_angles;
  float lo, hi;              /* display window of the images */
  GCancellable *load_cancellable;
  PsReconRun *run;
  GtkFileChooserNative *chooser;
  GBinding *fraction_binding;
};

G_DEFINE_FINAL_TYPE (PsReconstructDialog, ps_reconstruct_dialog, ADW_TYPE_WINDOW)

static const char *const method_ids[] = { "wbp", "sirt", "sart" };
static const char *const filter_ids[] = { "ramp", "shepp-logan", "hann", "cosine" };

/* ---- pictures --------------------------------------------------------------- */

/* Gray texture of @w × @h floats, @lo … @hi mapped to black … white (row 0
 * at the top, as in the slice views). */
static GdkTexture *
float_texture (const float *data, gsize w, gsize h, float lo, float hi)
{
  g_autoptr (GBytes) bytes = NULL;
  guchar *px = g_malloc (w * h * 3);
  float scale = hi > lo ? 255.0f / (hi - lo) : 0.0f;

  for (gsize i = 0; i < w * h; i++)
    {
      float v = isfinite (data[i]) ? (data[i] - lo) * scale : 0.0f;
      guchar g = (guchar) CLAMP (v + 0.5f, 0.0f, 255.0f);
      px[3 * i] = px[3 * i + 1] = px[3 * i + 2] = g;
    }
  bytes = g_bytes_new_take (px, w * h * 3);
  return gdk_memory_texture_new ((int) w, (int) h, GDK_MEMORY_R8G8B8, bytes, w * 3);
}

static void
finite_range (const float *data, gsize n, float *lo, float *hi)
{
  float a = INFINITY, b = -INFINITY;
  for (gsize i = 0; i < n; i++)
    if (isfinite (data[i]))
      {
        a = MIN (a, data[i]);
        b = MAX (b, data[i]);
      }
  *lo = isfinite (a) ? a : 0.0f;
  *hi = isfinite (b) ? b : 1.0f;
}

static void
show_tilt_image (PsReconstructDialog *self)
{
  gsize i, n;
  g_autoptr (GdkTexture) tex = NULL;
  g_autofree char *text = NULL;

  if (self->images == NULL)
    return;
  n = self->images->nz;
  i = (gsize) CLAMP (round (gtk_adjustment_get_value (self->tilt_adjustment)), 0, (double) (n - 1));
  tex = float_texture (self->images->data + i * self->images->nx * self->images->ny, self->images->nx,
                       self->images->ny, self->lo, self->hi);
  gtk_picture_set_paintable (self->tilt_picture, GDK_PAINTABLE (tex));
  if (self->angles != NULL && self->n_angles == n)
    {
      char angle[G_ASCII_DTOSTR_BUF_SIZE];
      g_snprintf (angle, sizeof angle, "%.2f", self->angles[i]);
      /* Translators: the tilt-image scrubber: image i of n, its tilt angle in degrees */
      text = g_strdup_printf (_("Image %zu of %zu · %s°"), i + 1, n, angle);
    }
  else
    /* Translators: the tilt-image scrubber without angles */
    text = g_strdup_printf (_("Image %zu of %zu"), i + 1, n);
  gtk_label_set_text (self->tilt_label, text);
}

/* ---- state ---------------------------------------------------------------------- */

static gboolean
angles_ok (PsReconstructDialog *self)
{
  return self->images != NULL && self->angles != NULL && self->n_angles == self->images->nz;
}

static void
update_sensitivity (PsReconstructDialog *self)
{
  gboolean running = self->run != NULL;
  guint method = adw_combo_row_get_selected (self->method_row);

  gtk_widget_set_sensitive (GTK_WIDGET (self->reconstruct_button), angles_ok (self) && !running);
  gtk_widget_set_sensitive (GTK_WIDGET (self->view_button), self->images != NULL && !running);
  gtk_widget_set_sensitive (GTK_WIDGET (self->settings_page), !running);
  gtk_widget_set_visible (GTK_WIDGET (self->filter_row), method == 0);
  gtk_widget_set_visible (GTK_WIDGET (self->iterations_row), method != 0);
}

static void
update_series_row (PsReconstructDialog *self)
{
  g_autofree char *text = NULL;

  if (self->images == NULL)
    text = g_strdup (self->stack ? _("Loading…") : "");
  else
    {
      gsize n = self->images->nz;
      g_autofree char *size = g_strdup_printf (_("%zu images of %zu × %zu pixels"), n, self->images->nx,
                                               self->images->ny);
      if (self->angles == NULL)
        text = g_strdup_printf ("%s\n%s", size, _("Give the tilt angles"));
      else if (self->n_angles != n)
        text = g_strdup_printf ("%s\n%s", size, _("The number of angles does not match the images"));
      else
        {
          double a = self->angles[0], b = self->angles[n - 1];
          text = g_strdup_printf ("%s\n%.1f° … %.1f°", size, MIN (a, b), MAX (a, b));
        }
    }
  adw_action_row_set_subtitle (self->series_row, text);
}

/* The entry: a file (.tlt/.rawtlt) or a range; empty = the file's own. */
static void
parse_angles (PsReconstructDialog *self)
{
  const char *spec = gtk_editable_get_text (GTK_EDITABLE (self->angles_row));
  g_autoptr (GError) error = NULL;

  g_clear_pointer (&self->angles, g_free);
  self->n_angles = 0;
  if (spec[0] != '\0')
    self->angles = ps_angles_from_spec (spec, &self->n_angles, &error);
  else if (self->info != NULL && self->info->angles != NULL)
    {
      self->angles = g_memdup2 (self->info->angles, self->info->n_angles * sizeof (double));
      self->n_angles = self->info->n_angles;
    }
  if (error != NULL)
    gtk_widget_add_css_class (GTK_WIDGET (self->angles_row), "error");
  else
    gtk_widget_remove_css_class (GTK_WIDGET (self->angles_row), "error");
  update_series_row (self);
  update_sensitivity (self);
  show_tilt_image (self);
}

/* ---- loading the images ------------------------------------------------------------ */

typedef struct
{
  PsVolume *volume;
  PsFileInfo *info;
} Loaded;

static void
loaded_free (gpointer data)
{
  Loaded *l = data;
  g_clear_pointer (&l->volume, ps_volume_unref);
  g_clear_pointer (&l->info, ps_file_info_free);
  g_free (l);
}

static gpointer
load_worker (PsJob *job, gpointer data, const PsProgress *progress, GError **error)
{
  Loaded *l = g_new0 (Loaded, 1);
  l->volume = ps_volume_load (data, &l->info, progress, error);
  if (l->volume == NULL)
    {
      loaded_free (l);
      return NULL;
    }
  return l;
}

static void
load_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (PsReconstructDialog) self = user_data;
  g_autoptr (GError) error = NULL;
  Loaded *l = ps_job_run_finish (PS_JOB (source), result, &error);

  if (error != NULL && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  g_clear_object (&self->load_cancellable);
  if (l == NULL)
    {
      adw_action_row_set_subtitle (self->series_row, error->message);
      gtk_stack_set_visible_child_name (self->left_stack, "empty");
      return;
    }
  self->images = g_steal_pointer (&l->volume);
  self->info = g_steal_pointer (&l->info);
  loaded_free (l);
  finite_range (self->images->data, self->images->nx * self->images->ny * self->images->nz, &self->lo, &self->hi);
  gtk_adjustment_set_upper (self->tilt_adjustment, (double) (self->images->nz - 1));
  parse_angles (self);
  /* Start at the image nearest 0°. */
  if (angles_ok (self))
    {
      gsize best = 0;
      for (gsize i = 1; i < self->n_angles; i++)
        if (fabs (self->angles[i]) < fabs (self->angles[best]))
          best = i;
      gtk_adjustment_set_value (self->tilt_adjustment, (double) best);
    }
  else
    gtk_adjustment_set_value (self->tilt_adjustment, (double) (self->images->nz / 2));
  gtk_stack_set_visible_child_name (self->left_stack, "tilt");
  show_tilt_image (self);
  update_sensitivity (self);
}

static char *
find_angles_beside (const char *stack)
{
  g_autofree char *base = g_strdup (stack);
  char *dot;
  static const char *const exts[] = { ".tlt", ".rawtlt" };

  if (g_str_has_suffix (base, ".gz"))
    base[strlen (base) - 3] = '\0';
  dot = strrchr (base, '.');
  if (dot != NULL && strchr (dot, G_DIR_SEPARATOR) == NULL)
    *dot = '\0';
  for (gsize i = 0; i < G_N_ELEMENTS (exts); i++)
    {
      g_autofree char *candidate = g_strconcat (base, exts[i], NULL);
      if (g_file_test (candidate, G_FILE_TEST_IS_REGULAR))
        return g_steal_pointer (&candidate);
    }
  return NULL;
}

void
ps_reconstruct_dialog_set_stack (PsReconstructDialog *self, const char *path, const char *angles)
{
  g_autoptr (PsJob) job = NULL;
  g_autofree char *beside = NULL;
  g_autofree char *name = NULL;

  g_return_if_fail (PS_IS_RECONSTRUCT_DIALOG (self));
  g_return_if_fail (path != NULL);

  if (self->load_cancellable != NULL)
    g_cancellable_cancel (self->load_cancellable);
  g_clear_object (&self->load_cancellable);
  g_clear_pointer (&self->images, ps_volume_unref);
  g_clear_pointer (&self->info, ps_file_info_free);
  g_free (self->stack);
  self->stack = g_strdup (path);
  name = g_path_get_basename (path);
  adw_action_row_set_subtitle (self->stack_row, name);
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->stack_row), path);
  if (angles == NULL)
    angles = beside = find_angles_beside (path);
  gtk_editable_set_text (GTK_EDITABLE (self->angles_row), angles ? angles : "");
  update_series_row (self);
  update_sensitivity (self);

  self->load_cancellable = g_cancellable_new ();
  job = ps_job_new (_("Loading the tilt images"), load_worker, g_strdup (path), g_free, loaded_free);
  ps_job_run_async (job, self->load_cancellable, load_done, g_object_ref (self));
}

gboolean
ps_reconstruct_dialog_get_busy (PsReconstructDialog *self)
{
  g_return_val_if_fail (PS_IS_RECONSTRUCT_DIALOG (self), FALSE);
  return self->load_cancellable != NULL;
}

/* ---- choosers ------------------------------------------------------------------------ */

static void
chooser_response (GtkNativeDialog *dialog, int response, PsReconstructDialog *self)
{
  gboolean angles = GPOINTER_TO_INT (g_object_get_data (G_OBJECT (dialog), "angles"));

  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr (GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog));
      g_autofree char *path = g_file_get_path (file);
      if (path != NULL && angles)
        gtk_editable_set_text (GTK_EDITABLE (self->angles_row), path);
      else if (path != NULL)
        ps_reconstruct_dialog_set_stack (self, path, NULL);
    }
  gtk_native_dialog_destroy (dialog);
  g_clear_object (&self->chooser);
}

static void
add_filter (GtkFileChooser *chooser, const char *name, const char *const *patterns)
{
  g_autoptr (GtkFileFilter) filter = gtk_file_filter_new ();
  gtk_file_filter_set_name (filter, name);
  for (const char *const *p = patterns; *p != NULL; p++)
    gtk_file_filter_add_pattern (filter, *p);
  gtk_file_chooser_add_filter (chooser, filter);
}

static void
show_chooser (PsReconstructDialog *self, gboolean angles)
{
  static const char *const stacks[] = { "*.tif", "*.tiff", "*.TIF", "*.TIFF", "*.mrc", "*.mrcs", "*.st",
                                        "*.ali", "*.preali", "*.mrc.gz", "*.st.gz", "*.dm3", "*.dm4",
                                        "*.DM3", "*.DM4", NULL };
  static const char *const tlt[] = { "*.tlt", "*.rawtlt", "*.txt", NULL };
  static const char *const all[] = { "*", NULL };

  if (self->chooser != NULL)
    gtk_native_dialog_destroy (GTK_NATIVE_DIALOG (self->chooser));
  g_clear_object (&self->chooser);
  self->chooser = gtk_file_chooser_native_new (angles ? _("Choose Tilt Angles") : _("Choose a Tilt Series"),
                                               GTK_WINDOW (self), GTK_FILE_CHOOSER_ACTION_OPEN, _("_Open"),
                                               _("_Cancel"));
  if (angles)
    add_filter (GTK_FILE_CHOOSER (self->chooser), _("Tilt angles (.tlt, .rawtlt)"), tlt);
  else
    add_filter (GTK_FILE_CHOOSER (self->chooser), _("Tilt series (TIFF, MRC, DM3/DM4)"), stacks);
  add_filter (GTK_FILE_CHOOSER (self->chooser), _("All Files"), all);
  if (self->stack != NULL)
    {
      g_autoptr (GFile) file = g_file_new_for_path (self->stack);
      g_autoptr (GFile) parent = g_file_get_parent (file);
      if (parent != NULL)
        gtk_file_chooser_set_current_folder (GTK_FILE_CHOOSER (self->chooser), parent, NULL);
    }
  g_object_set_data (G_OBJECT (self->chooser), "angles", GINT_TO_POINTER (angles));
  g_signal_connect (self->chooser, "response", G_CALLBACK (chooser_response), self);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (self->chooser));
}

static void
choose_stack (PsReconstructDialog *self)
{
  show_chooser (self, FALSE);
}

static void
choose_angles (PsReconstructDialog *self)
{
  show_chooser (self, TRUE);
}

/* ---- running ------------------------------------------------------------------------------- */

GVariant *
ps_reconstruct_dialog_dup_params (PsReconstructDialog *self)
{
  GVariantDict d;
  const char *angles;
  guint method, filter;

  g_return_val_if_fail (PS_IS_RECONSTRUCT_DIALOG (self), NULL);

  g_variant_dict_init (&d, NULL);
  if (self->stack != NULL)
    g_variant_dict_insert (&d, "stack", "s", self->stack);
  angles = gtk_editable_get_text (GTK_EDITABLE (self->angles_row));
  if (angles[0] != '\0')
    g_variant_dict_insert (&d, "angles", "s", angles);
  method = MIN (adw_combo_row_get_selected (self->method_row), G_N_ELEMENTS (method_ids) - 1);
  g_variant_dict_insert (&d, "method", "s", method_ids[method]);
  if (method == 0)
    {
      filter = MIN (adw_combo_row_get_selected (self->filter_row), G_N_ELEMENTS (filter_ids) - 1);
      g_variant_dict_insert (&d, "filter", "s", filter_ids[filter]);
    }
  else
    g_variant_dict_insert (&d, "iterations", "i", gtk_spin_button_get_value_as_int (self->iterations_spin));
  g_variant_dict_insert (&d, "thickness", "i", gtk_spin_button_get_value_as_int (self->thickness_spin));
  g_variant_dict_insert (&d, "tilt-axis", "d", gtk_spin_button_get_value (self->axis_spin));
  g_variant_dict_insert (&d, "tilt-axis-auto", "b", gtk_switch_get_active (self->axis_auto_switch));
  g_variant_dict_insert (&d, "align", "b", gtk_switch_get_active (self->align_switch));
  return g_variant_dict_end (&d);
}

void
ps_reconstruct_dialog_set_params (PsReconstructDialog *self, GVariant *params)
{
  GVariantDict d;
  const char *s;
  gint32 i;
  double v;
  gboolean b;

  g_return_if_fail (PS_IS_RECONSTRUCT_DIALOG (self));
  g_return_if_fail (g_variant_is_of_type (params, G_VARIANT_TYPE_VARDICT));

  g_variant_dict_init (&d, params);
  if (g_variant_dict_lookup (&d, "method", "&s", &s))
    for (guint k = 0; k < G_N_ELEMENTS (method_ids); k++)
      if (g_str_equal (s, method_ids[k]))
        adw_combo_row_set_selected (self->method_row, k);
  if (g_variant_dict_lookup (&d, "filter", "&s", &s))
    for (guint k = 0; k < G_N_ELEMENTS (filter_ids); k++)
      if (g_str_equal (s, filter_ids[k]))
        adw_combo_row_set_selected (self->filter_row, k);
  if (g_variant_dict_lookup (&d, "iterations", "i", &i) && i > 0)
    gtk_spin_button_set_value (self->iterations_spin, i);
  if (g_variant_dict_lookup (&d, "thickness", "i", &i))
    gtk_spin_button_set_value (self->thickness_spin, i);
  if (g_variant_dict_lookup (&d, "tilt-axis", "d", &v))
    gtk_spin_button_set_value (self->axis_spin, v);
  if (g_variant_dict_lookup (&d, "tilt-axis-auto", "b", &b))
    gtk_switch_set_active (self->axis_auto_switch, b);
  if (g_variant_dict_lookup (&d, "align", "b", &b))
    gtk_switch_set_active (self->align_switch, b);
  g_variant_dict_clear (&d);
}

static void
run_preview (PsReconRun *run, PsReconstructDialog *self)
{
  const float *xy, *xz;
  gsize size[3];
  int it, n;
  double residual;
  float lo, hi;
  g_autoptr (GdkTexture) a = NULL;
  g_autoptr (GdkTexture) b = NULL;
  g_autofree char *text = NULL;

  if (!ps_recon_run_get_preview (run, &xy, &xz, size, &it, &n, &residual))
    return;
  /* One window for both slices, so they compare. */
  finite_range (xy, size[0] * size[1], &lo, &hi);
  {
    float lo2, hi2;
    finite_range (xz, size[0] * size[2], &lo2, &hi2);
    lo = MIN (lo, lo2);
    hi = MAX (hi, hi2);
  }
  a = float_texture (xy, size[0], size[1], lo, hi);
  b = float_texture (xz, size[0], size[2], lo, hi);
  gtk_picture_set_paintable (self->preview_xy, GDK_PAINTABLE (a));
  gtk_picture_set_paintable (self->preview_xz, GDK_PAINTABLE (b));
  /* Translators: live preview of an iterative reconstruction */
  text = g_strdup_printf (_("Iteration %d of %d · residual %.4f"), it, n, residual);
  gtk_label_set_text (self->run_label, text);
}

static void
run_finished (PsReconRun *run, gboolean success, PsReconstructDialog *self)
{
  g_clear_object (&self->fraction_binding);
  g_clear_object (&self->run);
  if (success)
    {
      gtk_window_destroy (GTK_WINDOW (self));
      return;
    }
  gtk_stack_set_visible_child_name (self->left_stack, self->images ? "tilt" : "empty");
  update_sensitivity (self);
}

void
ps_reconstruct_dialog_start (PsReconstructDialog *self)
{
  g_autoptr (GError) error = NULL;
  GVariant *params;
  PsReconRun *run;

  g_return_if_fail (PS_IS_RECONSTRUCT_DIALOG (self));
  if (self->run != NULL || !angles_ok (self))
    return;
  params = ps_reconstruct_dialog_dup_params (self);
  g_variant_ref_sink (params);
  run = ps_reconstruct_start (self->document, params, NULL, &error);
  g_variant_unref (params);
  if (run == NULL)
    {
      adw_action_row_set_subtitle (self->series_row, error->message);
      return;
    }
  self->run = run;
  g_signal_connect_object (run, "preview", G_CALLBACK (run_preview), self, 0);
  g_signal_connect_object (run, "finished", G_CALLBACK (run_finished), self, 0);
  self->fraction_binding = g_object_ref (g_object_bind_property (ps_recon_run_get_job (run), "fraction",
                                                                 self->run_progress, "fraction",
                                                                 G_BINDING_SYNC_CREATE));
  gtk_picture_set_paintable (self->preview_xy, NULL);
  gtk_picture_set_paintable (self->preview_xz, NULL);
  gtk_label_set_text (self->run_label, adw_combo_row_get_selected (self->method_row) == 0
                                         ? _("Weighted back-projection…")
                                         : _("The central slices appear after the first iteration"));
  gtk_stack_set_visible_child_name (self->left_stack, "run");
  update_sensitivity (self);
}

static void
cancel_clicked (PsReconstructDialog *self)
{
  if (self->run != NULL && ps_document_get_job (self->document) == ps_recon_run_get_job (self->run))
    ps_document_cancel (self->document);
}

static void
view_clicked (PsReconstructDialog *self)
{
  const char *angles = gtk_editable_get_text (GTK_EDITABLE (self->angles_row));
  g_autoptr (GFile) file = NULL;

  if (self->stack == NULL)
    return;
  file = g_file_new_for_path (self->stack);
  ps_document_load_tilt_series (self->document, file, angles[0] ? angles : NULL);
  gtk_window_destroy (GTK_WINDOW (self));
}

static void
method_changed (PsReconstructDialog *self)
{
  guint method = adw_combo_row_get_selected (self->method_row);
  if (method == 1)
    gtk_spin_button_set_value (self->iterations_spin, PS_SIRT_DEFAULT_ITERATIONS);
  else if (method == 2)
    gtk_spin_button_set_value (self->iterations_spin, PS_SART_DEFAULT_ITERATIONS);
  update_sensitivity (self);
}

/* ---- GObject ---------------------------------------------------------------------------------- */

static void
ps_reconstruct_dialog_dispose (GObject *object)
{
  PsReconstructDialog *self = PS_RECONSTRUCT_DIALOG (object);

  if (self->load_cancellable != NULL)
    g_cancellable_cancel (self->load_cancellable);
  g_clear_object (&self->load_cancellable);
  if (self->chooser != NULL)
    gtk_native_dialog_destroy (GTK_NATIVE_DIALOG (self->chooser));
  g_clear_object (&self->chooser);
  g_clear_object (&self->fraction_binding);
  g_clear_object (&self->run);
  g_clear_object (&self->document);
  gtk_widget_dispose_template (GTK_WIDGET (self), PS_TYPE_RECONSTRUCT_DIALOG);
  G_OBJECT_CLASS (ps_reconstruct_dialog_parent_class)->dispose (object);
}

static void
ps_reconstruct_dialog_finalize (GObject *object)
{
  PsReconstructDialog *self = PS_RECONSTRUCT_DIALOG (object);

  g_clear_pointer (&self->images, ps_volume_unref);
  g_clear_pointer (&self->info, ps_file_info_free);
  g_clear_pointer (&self->angles, g_free);
  g_clear_pointer (&self->stack, g_free);
  G_OBJECT_CLASS (ps_reconstruct_dialog_parent_class)->finalize (object);
}

static void
ps_reconstruct_dialog_class_init (PsReconstructDialogClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = ps_reconstruct_dialog_dispose;
  object_class->finalize = ps_reconstruct_dialog_finalize;

  _ps_application_ensure_resources ();
  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/porescope/Porescope/ui/ps-reconstruct-dialog.ui");
#define BIND(name) gtk_widget_class_bind_template_child (widget_class, PsReconstructDialog, name)
  BIND (close_button);
  BIND (reconstruct_button);
  BIND (view_button);
  BIND (left_stack);
  BIND (choose_button);
  BIND (tilt_picture);
  BIND (tilt_adjustment);
  BIND (tilt_label);
  BIND (preview_xy);
  BIND (preview_xz);
  BIND (run_label);
  BIND (run_progress);
  BIND (cancel_button);
  BIND (settings_page);
  BIND (stack_row);
  BIND (stack_button);
  BIND (angles_row);
  BIND (angles_button);
  BIND (series_row);
  BIND (method_row);
  BIND (filter_row);
  BIND (iterations_row);
  BIND (iterations_spin);
  BIND (thickness_spin);
  BIND (axis_spin);
  BIND (axis_auto_switch);
  BIND (align_switch);
#undef BIND
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);
}

static void
ps_reconstruct_dialog_init (PsReconstructDialog *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  g_signal_connect_swapped (self->close_button, "clicked", G_CALLBACK (gtk_window_close), self);
  g_signal_connect_swapped (self->reconstruct_button, "clicked", G_CALLBACK (ps_reconstruct_dialog_start), self);
  g_signal_connect_swapped (self->view_button, "clicked", G_CALLBACK (view_clicked), self);
  g_signal_connect_swapped (self->cancel_button, "clicked", G_CALLBACK (cancel_clicked), self);
  g_signal_connect_swapped (self->choose_button, "clicked", G_CALLBACK (choose_stack), self);
  g_signal_connect_swapped (self->stack_button, "clicked", G_CALLBACK (choose_stack), self);
  g_signal_connect_swapped (self->angles_button, "clicked", G_CALLBACK (choose_angles), self);
  g_signal_connect_swapped (self->angles_row, "changed", G_CALLBACK (parse_angles), self);
  g_signal_connect_swapped (self->tilt_adjustment, "value-changed", G_CALLBACK (show_tilt_image), self);
  g_signal_connect_swapped (self->method_row, "notify::selected", G_CALLBACK (method_changed), self);
  update_series_row (self);
  update_sensitivity (self);
}

PsReconstructDialog *
ps_reconstruct_dialog_new (GtkWindow *parent, PsDocument *document)
{
  PsReconstructDialog *self;

  g_return_val_if_fail (PS_IS_DOCUMENT (document), NULL);
  self = g_object_new (PS_TYPE_RECONSTRUCT_DIALOG, "transient-for", parent, NULL);
  self->document = g_object_ref (document);
  /* A tilt series shown in the window is the natural choice. */
  if (ps_document_get_tilt_series (document) != NULL && ps_document_get_file (document) != NULL)
    {
      g_autofree char *path = g_file_get_path (ps_document_get_file (document));
      if (path != NULL)
        ps_reconstruct_dialog_set_stack (self, path, NULL);
    }
  return self;
}
