/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "ps-session-ui"

#include "config.h"

#include "ps-session-ui.h"

#include <adwaita.h>
#include <glib/gi18n.h>
#include <math.h>
#include <string.h>

/* ---- the analysis panel ------------------------------------------------------ */

#define ANALYSIS_PANEL_KEY "ps-session-ui-analysis-panel"

static void document_gone (gpointer data, GObject *where);

/* Each weak reference drops the other when its object goes. */
static void
panel_gone (gpointer data, GObject *where)
{
  g_object_weak_unref (G_OBJECT (data), document_gone, where);
  g_object_set_data (G_OBJECT (data), ANALYSIS_PANEL_KEY, NULL);
}

static void
document_gone (gpointer data, GObject *where)
{
  g_object_weak_unref (G_OBJECT (data), panel_gone, where);
}

void
ps_session_ui_set_analysis_panel (PsDocument *document, PsAnalysisPanel *panel)
{
  PsAnalysisPanel *old;

  g_return_if_fail (PS_IS_DOCUMENT (document));
  old = g_object_get_data (G_OBJECT (document), ANALYSIS_PANEL_KEY);
  if (old != NULL)
    {
      g_object_weak_unref (G_OBJECT (old), panel_gone, document);
      g_object_weak_unref (G_OBJECT (document), document_gone, old);
    }
  g_object_set_data (G_OBJECT (document), ANALYSIS_PANEL_KEY, panel);
  if (panel != NULL)
    {
      g_object_weak_ref (G_OBJECT (panel), panel_gone, document);
      g_object_weak_ref (G_OBJECT (document), document_gone, panel);
    }
}

static PsAnalysisPanel *
analysis_panel (PsDocument *document)
{
  return g_object_get_data (G_OBJECT (document), ANALYSIS_PANEL_KEY);
}

/* ---- document → session ---------------------------------------------------- */

PsSession *
ps_session_from_document (PsDocument *document, PsVolumeView *view)
{
  GFile *file = ps_document_get_file (document);
  PsVolume *vol = ps_document_get_volume (document);
  g_autofree char *path = file ? g_file_get_path (file) : NULL;
  if (path == NULL || vol == NULL)
    return NULL;

  PsSession *s = ps_session_new ();
  g_autofree char *abs = g_canonicalize_filename (path, NULL);
  if (ps_document_get_tilt_series (document) != NULL)
    s->tilt_series_path = g_steal_pointer (&abs);
  else
    s->volume_path = g_steal_pointer (&abs);

  double spacing[3];
  ps_document_get_spacing (document, spacing);
  PsBox box;
  if (ps_document_get_subvolume (document, &box))
    s->subvolume = box;
  s->has_window = TRUE;
  ps_document_get_window (document, &s->window_lo, &s->window_hi);
  if (!(s->window_lo < s->window_hi))
    s->has_window = FALSE;
  gsize c[3];
  ps_document_get_crosshair (document, c);
  s->has_crosshair = TRUE;
  for (int a = 0; a < 3; a++)
    s->crosshair_nm[a] = ((double) c[a] + 0.5) * spacing[a];   /* the voxel's centre */

  g_autofree char *carbon = NULL, *pores = NULL;
  g_object_get (document, "carbon-color", &carbon, "pore-color", &pores, NULL);
  ps_color_parse (carbon, &s->carbon_rgb);
  ps_color_parse (pores, &s->pore_rgb);

  /* The analysis as the panel has it (parameters, seed edits). */
  if (analysis_panel (document) != NULL)
    ps_analysis_panel_to_session (analysis_panel (document), s);

  if (view != NULL)
    {
      const PsGlCamera *cam = ps_volume_view_get_camera (view);
      s->has_camera = TRUE;
      for (int i = 0; i < 4; i++)
        s->camera_rotation[i] = cam->rotation[i];
      for (int i = 0; i < 3; i++)
        s->camera_target_nm[i] = cam->target[i];
      s->camera_zoom = cam->zoom;
      s->camera_perspective = cam->perspective;
      s->camera_fov_y = cam->fov_y;
      double norm = 0;
      for (int i = 0; i < 4; i++)
        norm += s->camera_rotation[i] * s->camera_rotation[i];
      if (fabs (norm - 1.0) > 1e-4 || !(s->camera_zoom > 0))
        s->has_camera = FALSE;     /* not set up yet */
      else
        for (int i = 0; i < 4; i++)
          s->camera_rotation[i] /= sqrt (norm);
    }
  return s;
}

/* ---- session → document ---------------------------------------------------- */

void
ps_session_apply_view (const PsSession *s, PsDocument *document, PsVolumeView *view)
{
  PsVolume *vol = ps_document_get_volume (document);
  if (vol == NULL)
    return;
  const PsBox *b = &s->subvolume;
  if (b->nx > 0 && b->ny > 0 && b->nz > 0 && b->x0 + b->nx <= vol->nx && b->y0 + b->ny <= vol->ny
      && b->z0 + b->nz <= vol->nz)
    ps_document_set_subvolume (document, b);
  if (s->has_window)
    ps_document_set_window (document, s->window_lo, s->window_hi);
  if (s->has_crosshair)
    {
      double spacing[3];
      gsize n[3] = { vol->nx, vol->ny, vol->nz }, c[3];
      ps_document_get_spacing (document, spacing);
      for (int a = 0; a < 3; a++)
        {
          double i = floor (s->crosshair_nm[a] / spacing[a]);
          c[a] = i < 0 ? 0 : i >= (double) n[a] ? n[a] - 1 : (gsize) i;
        }
      ps_document_set_crosshair (document, c[0], c[1], c[2]);
    }
  g_autofree char *carbon = ps_color_to_string (s->carbon_rgb);
  g_autofree char *pores = ps_color_to_string (s->pore_rgb);
  g_object_set (document, "carbon-color", carbon, "pore-color", pores, NULL);
  if (analysis_panel (document) != NULL)
    ps_analysis_panel_from_session (analysis_panel (document), s);
  if (view != NULL && s->has_camera)
    {
      PsGlCamera *cam = ps_volume_view_get_camera (view);
      for (int i = 0; i < 4; i++)
        cam->rotation[i] = (float) s->camera_rotation[i];
      for (int i = 0; i < 3; i++)
        cam->target[i] = (float) s->camera_target_nm[i];
      cam->zoom = (float) s->camera_zoom;
      cam->perspective = s->camera_perspective;
      cam->fov_y = (float) s->camera_fov_y;
      ps_volume_view_queue_redraw (view);
    }
}

typedef struct
{
  PsSession *session;
  PsDocument *document;          /* weak */
  PsVolumeView *view;            /* weak */
  gulong changed_id, error_id;
} Pending;

static void
pending_free (Pending *p)
{
  if (p->document != NULL)
    {
      g_clear_signal_handler (&p->changed_id, p->document);
      g_clear_signal_handler (&p->error_id, p->document);
      g_object_remove_weak_pointer (G_OBJECT (p->document), (gpointer *) &p->document);
    }
  if (p->view != NULL)
    g_object_remove_weak_pointer (G_OBJECT (p->view), (gpointer *) &p->view);
  ps_session_free (p->session);
  g_free (p);
}

static void
pending_changed (PsDocument *document, guint flags, gpointer data)
{
  Pending *p = data;
  if (!(flags & PS_DOCUMENT_CHANGED_VOLUME) || ps_document_get_volume (document) == NULL)
    return;
  ps_session_apply_view (p->session, document, p->view);
  pending_free (p);
}

static void
pending_error (PsDocument *document, const char *title, const GError *error, gpointer data)
{
  pending_free (data);
}

void
ps_session_load_into (PsSession *session, PsDocument *document, PsVolumeView *view)
{
  Pending *p = g_new0 (Pending, 1);
  p->session = session;
  p->document = document;
  g_object_add_weak_pointer (G_OBJECT (document), (gpointer *) &p->document);
  if (view != NULL)
    {
      p->view = view;
      g_object_add_weak_pointer (G_OBJECT (view), (gpointer *) &p->view);
    }
  p->changed_id = g_signal_connect_after (document, "changed", G_CALLBACK (pending_changed), p);
  p->error_id = g_signal_connect (document, "error", G_CALLBACK (pending_error), p);
  if (session->volume_path != NULL)
    {
      g_autoptr(GFile) f = g_file_new_for_path (session->volume_path);
      ps_document_load_file (document, f);
    }
  else
    {
      g_autoptr(GFile) f = g_file_new_for_path (session->tilt_series_path);
      ps_document_load_tilt_series (document, f, session->angles);
    }
}

/* ---- dialogs ---------------------------------------------------------------- */

static void
show_message (GtkWindow *parent, const char *heading, const char *body)
{
  GtkWidget *dialog = adw_message_dialog_new (parent, heading, body);
  adw_message_dialog_add_response (ADW_MESSAGE_DIALOG (dialog), "close", _("_Close"));
  gtk_window_present (GTK_WINDOW (dialog));
}

static GtkFileFilter *
session_filter (void)
{
  GtkFileFilter *f = gtk_file_filter_new ();
  gtk_file_filter_set_name (f, _("Porescope Sessions"));
  gtk_file_filter_add_pattern (f, "*" PS_SESSION_EXTENSION);
  return f;
}

gboolean
ps_session_ui_save_path (PsDocument *document, PsVolumeView *view, const char *path, GError **error)
{
  g_autoptr(PsSession) s = ps_session_from_document (document, view);
  if (s == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                   _("%s: only a dataset that was opened from a file or saved can be kept in a session"), path);
      return FALSE;
    }
  return ps_session_save (s, path, error);
}

static void
save_response (GtkNativeDialog *dialog, int response, gpointer data)
{
  GtkWindow *parent = gtk_native_dialog_get_transient_for (dialog);
  PsDocument *document = g_object_get_data (G_OBJECT (dialog), "document");
  PsVolumeView *view = g_object_get_data (G_OBJECT (dialog), "view");
  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr(GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog));
      g_autofree char *path = file ? g_file_get_path (file) : NULL;
      g_autoptr(GError) error = NULL;
      if (path != NULL && !g_str_has_suffix (path, PS_SESSION_EXTENSION))
        {
          char *with = g_strconcat (path, PS_SESSION_EXTENSION, NULL);
          g_free (path);
          path = with;
        }
      if (path != NULL && !ps_session_ui_save_path (document, view, path, &error))
        show_message (parent, _("Could not save the session"), error->message);
    }
  g_object_unref (dialog);
}

void
ps_session_ui_save (GtkWindow *parent, PsDocument *document, PsVolumeView *view)
{
  GtkFileChooserNative *chooser = gtk_file_chooser_native_new (_("Save Session"), parent,
                                                               GTK_FILE_CHOOSER_ACTION_SAVE, _("_Save"), _("_Cancel"));
  g_autoptr(GtkFileFilter) f = session_filter ();
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (chooser), f);
  GFile *data = ps_document_get_file (document);
  g_autofree char *base = data ? g_file_get_basename (data) : g_strdup ("porescope");
  char *dot = strrchr (base, '.');
  if (dot != NULL && dot != base)
    *dot = '\0';
  g_autofree char *suggested = g_strconcat (base, PS_SESSION_EXTENSION, NULL);
  gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (chooser), suggested);
  g_object_set_data_full (G_OBJECT (chooser), "document", g_object_ref (document), g_object_unref);
  if (view != NULL)
    g_object_set_data_full (G_OBJECT (chooser), "view", g_object_ref (view), g_object_unref);
  g_signal_connect (chooser, "response", G_CALLBACK (save_response), NULL);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (chooser));
}

typedef struct
{
  GtkWindow *parent;
  PsDocument *document;
  PsVolumeView *view;
  PsSession *session;
  char *session_path;
  char *missing;
} Opening;

static void
opening_free (Opening *o)
{
  g_clear_object (&o->parent);
  g_clear_object (&o->document);
  g_clear_object (&o->view);
  if (o->session)
    ps_session_free (o->session);
  g_free (o->session_path);
  g_free (o->missing);
  g_free (o);
}

static void opening_continue (Opening *o);

static void
locate_response (GtkNativeDialog *dialog, int response, gpointer data)
{
  Opening *o = data;
  g_autoptr(GFile) file = response == GTK_RESPONSE_ACCEPT ? gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog)) : NULL;
  g_autofree char *path = file ? g_file_get_path (file) : NULL;
  g_object_unref (dialog);
  if (path == NULL)
    {
      opening_free (o);
      return;
    }
  ps_session_relocate (o->session, o->missing, path);
  opening_continue (o);
}

static void
missing_response (AdwMessageDialog *dialog, const char *response, gpointer data)
{
  Opening *o = data;
  if (!g_str_equal (response, "locate"))
    {
      opening_free (o);
      return;
    }
  g_autofree char *title = g_path_get_basename (o->missing);
  /* Translators: %s is the data file the session refers to */
  g_autofree char *heading = g_strdup_printf (_("Locate “%s”"), title);
  GtkFileChooserNative *chooser = gtk_file_chooser_native_new (heading, o->parent, GTK_FILE_CHOOSER_ACTION_OPEN,
                                                               _("_Open"), _("_Cancel"));
  g_signal_connect (chooser, "response", G_CALLBACK (locate_response), o);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (chooser));
}

static void
opening_continue (Opening *o)
{
  const char *missing = ps_session_missing_data (o->session);
  if (missing != NULL)
    {
      g_free (o->missing);
      o->missing = g_strdup (missing);
      /* Translators: %s is a file name */
      g_autofree char *body = g_strdup_printf (_("The session’s data file %s is no longer there. "
                                                 "Was it moved? Show Porescope where it is now."), missing);
      GtkWidget *dialog = adw_message_dialog_new (o->parent, _("Data Not Found"), body);
      adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog), "cancel", _("_Cancel"), "locate",
                                        _("_Locate…"), NULL);
      adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "locate",
                                                  ADW_RESPONSE_SUGGESTED);
      adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "locate");
      adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
      g_signal_connect (dialog, "response", G_CALLBACK (missing_response), o);
      gtk_window_present (GTK_WINDOW (dialog));
      return;
    }
  ps_session_load_into (g_steal_pointer (&o->session), o->document, o->view);
  opening_free (o);
}

void
ps_session_ui_open_path (GtkWindow *parent, PsDocument *document, PsVolumeView *view, const char *path)
{
  g_autoptr(GError) error = NULL;
  PsSession *s = ps_session_load (path, &error);
  if (s == NULL)
    {
      show_message (parent, _("Could not open the session"), error->message);
      return;
    }
  Opening *o = g_new0 (Opening, 1);
  o->parent = parent ? g_object_ref (parent) : NULL;
  o->document = g_object_ref (document);
  o->view = view ? g_object_ref (view) : NULL;
  o->session = s;
  o->session_path = g_strdup (path);
  opening_continue (o);
}

static void
open_response (GtkNativeDialog *dialog, int response, gpointer data)
{
  GtkWindow *parent = gtk_native_dialog_get_transient_for (dialog);
  PsDocument *document = g_object_get_data (G_OBJECT (dialog), "document");
  PsVolumeView *view = g_object_get_data (G_OBJECT (dialog), "view");
  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr(GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog));
      g_autofree char *path = file ? g_file_get_path (file) : NULL;
      if (path != NULL)
        ps_session_ui_open_path (parent, document, view, path);
    }
  g_object_unref (dialog);
}

void
ps_session_ui_open (GtkWindow *parent, PsDocument *document, PsVolumeView *view)
{
  GtkFileChooserNative *chooser = gtk_file_chooser_native_new (_("Open Session"), parent,
                                                               GTK_FILE_CHOOSER_ACTION_OPEN, _("_Open"), _("_Cancel"));
  g_autoptr(GtkFileFilter) f = session_filter ();
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (chooser), f);
  g_object_set_data_full (G_OBJECT (chooser), "document", g_object_ref (document), g_object_unref);
  if (view != NULL)
    g_object_set_data_full (G_OBJECT (chooser), "view", g_object_ref (view), g_object_unref);
  g_signal_connect (chooser, "response", G_CALLBACK (open_response), NULL);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (chooser));
}
