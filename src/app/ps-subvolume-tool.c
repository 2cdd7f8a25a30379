/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "ps-subvolume-tool"

#include "config.h"

#include <glib/gi18n.h>
#include <math.h>

#include "ps-error.h"
#include "ps-subvolume-tool.h"
#include "ps-subvolume.h"

/* ---- helpers ------------------------------------------------------------------- */

static void
emit_error (PsDocument *doc, const char *title, const char *message)
{
  g_autoptr (GError) error = g_error_new_literal (PS_ERROR, PS_ERROR_CODE_INVALID_PARAMETER, message);
  g_signal_emit_by_name (doc, "error", title, error);
}

static char *
fmt_nm (double v)
{
  /* Six significant digits: exact for boundaries of any realistic voxel
   * size, without float noise (0.1 × 3 = 0.30000000000000004). */
  return g_strdup_printf ("%.6g", v);
}

char *
ps_subvolume_tool_format_extent (PsDocument *doc, const PsBox *box)
{
  double s[3];
  gsize o[3] = { box->x0, box->y0, box->z0 }, n[3] = { box->nx, box->ny, box->nz };
  /* Not g_autofree: on an array it frees only the first element. */
  char *lo[3], *hi[3], *sz[3], *text;

  ps_document_get_spacing (doc, s);
  for (int a = 0; a < 3; a++)
    {
      lo[a] = fmt_nm ((double) o[a] * s[a]);
      hi[a] = fmt_nm ((double) (o[a] + n[a]) * s[a]);
      sz[a] = fmt_nm ((double) n[a] * s[a]);
    }
  /* Translators: the subvolume's exact extent: from – to along x, y, z in nm, then its size in nm and voxels */
  text = g_strdup_printf (_("%s – %s × %s – %s × %s – %s nm (%s × %s × %s nm; %zu × %zu × %zu voxels)"), lo[0], hi[0],
                          lo[1], hi[1], lo[2], hi[2], sz[0], sz[1], sz[2], n[0], n[1], n[2]);
  for (int a = 0; a < 3; a++)
    {
      g_free (lo[a]);
      g_free (hi[a]);
      g_free (sz[a]);
    }
  return text;
}

/* ---- actions ------------------------------------------------------------------------- */

static GSimpleAction *
lookup (PsDocument *doc, const char *name)
{
  return G_SIMPLE_ACTION (g_action_map_lookup_action (G_ACTION_MAP (ps_document_get_actions (doc)), name));
}

static void
sync_actions (PsDocument *doc, guint flags, gpointer user_data)
{
  PsBox b = { 0 };
  gboolean has = ps_document_get_subvolume (doc, &b);
  gboolean vol = ps_document_get_volume (doc) != NULL;

  if (!(flags & (PS_DOCUMENT_CHANGED_VOLUME | PS_DOCUMENT_CHANGED_SUBVOLUME)))
    return;
  g_simple_action_set_state (lookup (doc, "subvolume"),
                             g_variant_new ("(iiiiii)", (gint32) b.x0, (gint32) b.y0, (gint32) b.z0,
                                            (gint32) b.nx, (gint32) b.ny, (gint32) b.nz));
  g_simple_action_set_enabled (lookup (doc, "subvolume"), vol);
  g_simple_action_set_enabled (lookup (doc, "subvolume-nm"), vol);
  g_simple_action_set_enabled (lookup (doc, "clear-subvolume"), has);
  g_simple_action_set_enabled (lookup (doc, "extract-subvolume"), has);
}

static void
subvolume_change_state (GSimpleAction *action, GVariant *value, gpointer user_data)
{
  PsDocument *doc = user_data;
  PsVolume *vol = ps_document_get_volume (doc);
  gint32 v[6];
  PsBox box;

  g_variant_get (value, "(iiiiii)", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5]);
  if (v[3] == 0 && v[4] == 0 && v[5] == 0)
    {
      ps_document_set_subvolume (doc, NULL);
      return;
    }
  for (int i = 0; i < 6; i++)
    if (v[i] < 0 || (i >= 3 && v[i] == 0))
      goto bad;
  box = (PsBox) { (gsize) v[0], (gsize) v[1], (gsize) v[2], (gsize) v[3], (gsize) v[4], (gsize) v[5] };
  if (vol == NULL || !ps_box_inside (&box, vol->nx, vol->ny, vol->nz))
    goto bad;
  ps_document_set_subvolume (doc, &box);
  return;

bad:
  emit_error (doc, _("Could not set the subvolume"), _("The box must have a size and lie inside the volume"));
}

static void
subvolume_nm_activate (GSimpleAction *action, GVariant *param, gpointer user_data)
{
  PsDocument *doc = user_data;
  PsVolume *vol = ps_document_get_volume (doc);
  PsSubvolumeSpec spec = { 0 };
  double spacing[3];
  char why[256] = "";
  PsBox box;

  if (vol == NULL)
    return;
  g_variant_get (param, "(dddddd)", &spec.origin[0], &spec.origin[1], &spec.origin[2], &spec.size[0],
                 &spec.size[1], &spec.size[2]);
  ps_document_get_spacing (doc, spacing);
  if (!ps_subvolume_resolve (&spec, vol->nx, vol->ny, vol->nz, spacing, &box, why, sizeof why))
    {
      emit_error (doc, _("Could not set the subvolume"), why);
      return;
    }
  ps_document_set_subvolume (doc, &box);
}

static void
clear_activate (GSimpleAction *action, GVariant *param, gpointer user_data)
{
  ps_document_set_subvolume (user_data, NULL);
}

typedef struct
{
  PsVolume *volume;
  PsBox box;
} CropRequest;

static void
crop_request_free (gpointer data)
{
  CropRequest *r = data;
  ps_volume_unref (r->volume);
  g_free (r);
}

static gpointer
crop_worker (PsJob *job, gpointer data, const PsProgress *progress, GError **error)
{
  CropRequest *r = data;
  PsStatus st = PS_OK;
  PsVolume *out = ps_volume_crop (r->volume, &r->box, &st);
  if (out == NULL)
    g_set_error (error, PS_ERROR, PS_ERROR_CODE_TOO_LARGE, "%s", ps_status_to_string (st));
  return out;
}

static void
crop_done (PsDocument *doc, gpointer result, gpointer user_data)
{
  g_autoptr (PsVolume) crop = result;
  /* Translators: %s is the dataset's title */
  g_autofree char *title = g_strdup_printf (_("%s (subvolume)"), ps_document_get_title (doc));
  ps_document_set_volume (doc, crop, title, NULL);
}

static void
extract_activate (GSimpleAction *action, GVariant *param, gpointer user_data)
{
  PsDocument *doc = user_data;
  g_autoptr (PsJob) job = NULL;
  CropRequest *r;
  PsBox box;

  if (!ps_document_get_subvolume (doc, &box) || ps_document_get_volume (doc) == NULL)
    return;
  r = g_new0 (CropRequest, 1);
  r->volume = ps_volume_ref (ps_document_get_volume (doc));
  r->box = box;
  job = ps_job_new (_("Extracting the subvolume"), crop_worker, r, crop_request_free,
                    (GDestroyNotify) ps_volume_unref);
  ps_document_run_job (doc, job, _("Could not extract the subvolume"), crop_done, NULL, NULL);
}

void
ps_subvolume_tool_add_actions (PsDocument *doc)
{
  static const GActionEntry entries[] = {
    { "subvolume", NULL, "(iiiiii)", "(0,0,0,0,0,0)", subvolume_change_state },
    { "subvolume-nm", subvolume_nm_activate, "(dddddd)" },
    { "clear-subvolume", clear_activate },
    { "extract-subvolume", extract_activate },
  };

  g_return_if_fail (PS_IS_DOCUMENT (doc));
  g_action_map_add_action_entries (G_ACTION_MAP (ps_document_get_actions (doc)), entries, G_N_ELEMENTS (entries),
                                   doc);
  g_signal_connect (doc, "changed", G_CALLBACK (sync_actions), NULL);
  sync_actions (doc, PS_DOCUMENT_CHANGED_ALL, NULL);
}

/* ---- the sidebar panel ------------------------------------------------------------------ */

typedef struct
{
  PsDocument *doc;          /* borrowed (the window's) */
  GtkSpinButton *origin[3];
  GtkSpinButton *size[3];
  GtkLabel *extent;
} Panel;

static void
panel_update (PsDocument *doc, guint flags, GtkWidget *widget)
{
  Panel *p = g_object_get_data (G_OBJECT (widget), "panel");
  PsVolume *vol = ps_document_get_volume (doc);
  gsize n[3];
  double s[3];
  PsBox box;
  gboolean has;

  if (!(flags & (PS_DOCUMENT_CHANGED_VOLUME | PS_DOCUMENT_CHANGED_SUBVOLUME)))
    return;
  gtk_widget_set_sensitive (widget, vol != NULL);
  if (vol == NULL)
    return;
  n[0] = vol->nx;
  n[1] = vol->ny;
  n[2] = vol->nz;
  ps_document_get_spacing (doc, s);
  has = ps_document_get_subvolume (doc, &box);
  if (!has)
    box = ps_box_full (vol->nx, vol->ny, vol->nz);
  {
    gsize o[3] = { box.x0, box.y0, box.z0 }, z[3] = { box.nx, box.ny, box.nz };
    for (int a = 0; a < 3; a++)
      {
        gtk_spin_button_set_range (p->origin[a], 0.0, (double) (n[a] - 1) * s[a]);
        gtk_spin_button_set_range (p->size[a], s[a], (double) n[a] * s[a]);
        gtk_spin_button_set_increments (p->origin[a], s[a], 10 * s[a]);
        gtk_spin_button_set_increments (p->size[a], s[a], 10 * s[a]);
        gtk_spin_button_set_value (p->origin[a], (double) o[a] * s[a]);
        gtk_spin_button_set_value (p->size[a], (double) z[a] * s[a]);
      }
  }
  if (has)
    {
      g_autofree char *text = ps_subvolume_tool_format_extent (doc, &box);
      gtk_label_set_text (p->extent, text);
    }
  else
    gtk_label_set_text (p->extent, _("None: the whole volume is analysed. Shift-drag in a slice to draw a box."));
}

static void
apply_clicked (GtkWidget *button, Panel *p)
{
  double v[6];
  for (int a = 0; a < 3; a++)
    {
      v[a] = gtk_spin_button_get_value (p->origin[a]);
      v[3 + a] = gtk_spin_button_get_value (p->size[a]);
    }
  g_action_group_activate_action (ps_document_get_actions (p->doc), "subvolume-nm",
                                  g_variant_new ("(dddddd)", v[0], v[1], v[2], v[3], v[4], v[5]));
}

static GtkSpinButton *
nm_spin (void)
{
  GtkWidget *spin = gtk_spin_button_new_with_range (0.0, 1.0, 0.1);
  gtk_spin_button_set_digits (GTK_SPIN_BUTTON (spin), 2);
  gtk_spin_button_set_numeric (GTK_SPIN_BUTTON (spin), TRUE);
  gtk_widget_set_hexpand (spin, TRUE);
  gtk_editable_set_width_chars (GTK_EDITABLE (spin), 6);
  return GTK_SPIN_BUTTON (spin);
}

GtkWidget *
ps_subvolume_panel_new (PsDocument *doc)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 6);
  GtkWidget *heading = gtk_label_new (_("Subvolume"));
  GtkWidget *grid = gtk_grid_new ();
  GtkWidget *buttons = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
  GtkWidget *apply, *clear, *extract, *label;
  static const char *const axes[] = { "x", "y", "z" };
  Panel *p = g_new0 (Panel, 1);

  p->doc = doc;
  gtk_widget_set_name (box, "subvolume-panel");
  gtk_widget_set_margin_top (heading, 12);
  gtk_label_set_xalign (GTK_LABEL (heading), 0);
  gtk_widget_add_css_class (heading, "heading");
  gtk_box_append (GTK_BOX (box), heading);

  gtk_grid_set_row_spacing (GTK_GRID (grid), 4);
  gtk_grid_set_column_spacing (GTK_GRID (grid), 6);
  label = gtk_label_new (_("Origin (nm)"));
  gtk_widget_add_css_class (label, "dim-label");
  gtk_grid_attach (GTK_GRID (grid), label, 1, 0, 1, 1);
  label = gtk_label_new (_("Size (nm)"));
  gtk_widget_add_css_class (label, "dim-label");
  gtk_grid_attach (GTK_GRID (grid), label, 2, 0, 1, 1);
  for (int a = 0; a < 3; a++)
    {
      label = gtk_label_new (axes[a]);
      gtk_grid_attach (GTK_GRID (grid), label, 0, a + 1, 1, 1);
      p->origin[a] = nm_spin ();
      p->size[a] = nm_spin ();
      gtk_grid_attach (GTK_GRID (grid), GTK_WIDGET (p->origin[a]), 1, a + 1, 1, 1);
      gtk_grid_attach (GTK_GRID (grid), GTK_WIDGET (p->size[a]), 2, a + 1, 1, 1);
      /* Enter applies (GtkSpinButton has no "activate" before GTK 4.14: its text has). */
      g_signal_connect (gtk_editable_get_delegate (GTK_EDITABLE (p->origin[a])), "activate",
                        G_CALLBACK (apply_clicked), p);
      g_signal_connect (gtk_editable_get_delegate (GTK_EDITABLE (p->size[a])), "activate",
                        G_CALLBACK (apply_clicked), p);
    }
  gtk_box_append (GTK_BOX (box), grid);

  p->extent = GTK_LABEL (gtk_label_new (NULL));
  gtk_label_set_wrap (p->extent, TRUE);
  gtk_label_set_xalign (p->extent, 0);
  gtk_label_set_selectable (p->extent, TRUE);
  gtk_widget_add_css_class (GTK_WIDGET (p->extent), "caption");
  gtk_box_append (GTK_BOX (box), GTK_WIDGET (p->extent));

  apply = gtk_button_new_with_mnemonic (_("_Apply"));
  gtk_widget_set_tooltip_text (apply, _("Use this box as the analysed region"));
  clear = gtk_button_new_with_mnemonic (_("C_lear"));
  gtk_actionable_set_action_name (GTK_ACTIONABLE (clear), "doc.clear-subvolume");
  extract = gtk_button_new_with_mnemonic (_("E_xtract"));
  gtk_widget_set_tooltip_text (extract, _("Open the subvolume as a new dataset"));
  gtk_actionable_set_action_name (GTK_ACTIONABLE (extract), "doc.extract-subvolume");
  g_signal_connect (apply, "clicked", G_CALLBACK (apply_clicked), p);
  gtk_box_append (GTK_BOX (buttons), apply);
  gtk_box_append (GTK_BOX (buttons), clear);
  gtk_box_append (GTK_BOX (buttons), extract);
  gtk_box_set_homogeneous (GTK_BOX (buttons), TRUE);
  gtk_box_append (GTK_BOX (box), buttons);

  g_object_set_data_full (G_OBJECT (box), "panel", p, g_free);
  g_signal_connect_object (doc, "changed", G_CALLBACK (panel_update), box, 0);
  panel_update (doc, PS_DOCUMENT_CHANGED_ALL, box);
  return box;
}

/* ---- drawing and handles in the slice views ------------------------------------------------- */

#define HANDLE_PX 7.0

enum
{
  EDGE_LO_C = 1 << 0,   /* low end along the view's column axis */
  EDGE_HI_C = 1 << 1,
  EDGE_LO_R = 1 << 2,   /* … row axis */
  EDGE_HI_R = 1 << 3,
  MOVE = 1 << 4,
  DRAW = 1 << 5,
};

typedef struct
{
  PsSliceView *view;      /* borrowed: the gesture's widget's owner */
  guint mode;
  int col, row, normal;
  PsBox start;            /* the box when the drag began */
  double start_voxel[3];  /* voxel coordinates under the press */
} Tool;

static void
box_to_arrays (const PsBox *b, gsize o[3], gsize n[3])
{
  o[0] = b->x0; o[1] = b->y0; o[2] = b->z0;
  n[0] = b->nx; n[1] = b->ny; n[2] = b->nz;
}

static PsBox
arrays_to_box (const gsize o[3], const gsize n[3])
{
  return (PsBox) { o[0], o[1], o[2], n[0], n[1], n[2] };
}

/* Widget position of the voxel boundary @b along the view's column (or row). */
static double
boundary_widget (PsSliceView *view, int axis, double b, gboolean row)
{
  double v[3] = { 0, 0, 0 }, wx = 0, wy = 0;
  v[axis] = b - 0.5;
  ps_slice_view_voxel_to_widget (view, v, &wx, &wy);
  return row ? wy : wx;
}

static void
set_box (PsDocument *doc, const PsBox *b)
{
  g_action_group_change_action_state (ps_document_get_actions (doc), "subvolume",
                                      g_variant_new ("(iiiiii)", (gint32) b->x0, (gint32) b->y0, (gint32) b->z0,
                                                     (gint32) b->nx, (gint32) b->ny, (gint32) b->nz));
}

/* A press at canvas (x, y): decide what the drag does; FALSE = not ours. */
static gboolean
tool_begin (Tool *t, double x, double y, gboolean shift)
{
  PsDocument *doc = ps_slice_view_get_document (t->view);
  PsVolume *vol = doc ? ps_document_get_volume (doc) : NULL;
  gboolean has;
  gsize o[3], n[3];

  t->mode = 0;
  if (vol == NULL || ps_document_get_tilt_series (doc) != NULL
      || !ps_slice_view_widget_to_voxel (t->view, x, y, t->start_voxel))
    return FALSE;
  ps_slice_axes (ps_slice_view_get_orientation (t->view), &t->col, &t->row);
  t->normal = ps_slice_normal_axis (ps_slice_view_get_orientation (t->view));
  has = ps_document_get_subvolume (doc, &t->start);
  if (has)
    {
      double c0, c1, r0, r1, cc, rc;
      box_to_arrays (&t->start, o, n);
      c0 = boundary_widget (t->view, t->col, (double) o[t->col], FALSE);
      c1 = boundary_widget (t->view, t->col, (double) (o[t->col] + n[t->col]), FALSE);
      r0 = boundary_widget (t->view, t->row, (double) o[t->row], TRUE);
      r1 = boundary_widget (t->view, t->row, (double) (o[t->row] + n[t->row]), TRUE);
      cc = (c0 + c1) / 2;
      rc = (r0 + r1) / 2;
      if (fabs (x - cc) <= HANDLE_PX && fabs (y - rc) <= HANDLE_PX)
        t->mode = MOVE;
      else if (x >= c0 - HANDLE_PX && x <= c1 + HANDLE_PX && y >= r0 - HANDLE_PX && y <= r1 + HANDLE_PX)
        {
          if (fabs (x - c0) <= HANDLE_PX)
            t->mode |= EDGE_LO_C;
          else if (fabs (x - c1) <= HANDLE_PX)
            t->mode |= EDGE_HI_C;
          if (fabs (y - r0) <= HANDLE_PX)
            t->mode |= EDGE_LO_R;
          else if (fabs (y - r1) <= HANDLE_PX)
            t->mode |= EDGE_HI_R;
          if (t->mode == 0 && shift)
            t->mode = MOVE;
        }
    }
  if (t->mode == 0 && shift)
    {
      t->mode = DRAW;
      if (!has)
        t->start = ps_box_full (vol->nx, vol->ny, vol->nz);
    }
  if (t->mode == 0)
    return FALSE;
  gtk_widget_set_cursor_from_name (ps_slice_view_get_canvas (t->view), t->mode == MOVE ? "move" : "crosshair");
  return TRUE;
}

/* The pointer now at canvas (x, y). */
static void
tool_update (Tool *t, double x, double y)
{
  PsDocument *doc = ps_slice_view_get_document (t->view);
  PsVolume *vol = doc ? ps_document_get_volume (doc) : NULL;
  double v[3];
  gsize o[3], n[3], dim[3];
  PsBox b;

  if (t->mode == 0 || vol == NULL)
    return;
  if (!ps_slice_view_widget_to_voxel (t->view, x, y, v))
    return;
  dim[0] = vol->nx;
  dim[1] = vol->ny;
  dim[2] = vol->nz;
  box_to_arrays (&t->start, o, n);
  if (t->mode == DRAW)
    {
      for (int k = 0; k < 2; k++)
        {
          int a = k == 0 ? t->col : t->row;
          /* Voxel boundaries (centres are at integers) nearest to both ends. */
          double p = CLAMP (floor (t->start_voxel[a] + 1.0), 0.0, (double) dim[a]);
          double q = CLAMP (floor (v[a] + 1.0), 0.0, (double) dim[a]);
          double lo = MIN (p, q), hi = MAX (p, q);
          if (hi - lo < 1.0)
            {
              if (hi < (double) dim[a])
                hi = lo + 1.0;
              else
                lo = hi - 1.0;
            }
          o[a] = (gsize) lo;
          n[a] = (gsize) (hi - lo);
        }
    }
  else if (t->mode == MOVE)
    {
      for (int k = 0; k < 2; k++)
        {
          int a = k == 0 ? t->col : t->row;
          double shift = round (v[a] - t->start_voxel[a]);
          double lo = CLAMP ((double) o[a] + shift, 0.0, (double) (dim[a] - n[a]));
          o[a] = (gsize) lo;
        }
    }
  else
    {
      for (int k = 0; k < 2; k++)
        {
          int a = k == 0 ? t->col : t->row;
          guint lo_flag = k == 0 ? EDGE_LO_C : EDGE_LO_R, hi_flag = k == 0 ? EDGE_HI_C : EDGE_HI_R;
          double lo = (double) o[a], hi = (double) (o[a] + n[a]);
          double edge = round (v[a] + 0.5);
          if (t->mode & lo_flag)
            lo = CLAMP (edge, 0.0, hi - 1.0);
          if (t->mode & hi_flag)
            hi = CLAMP (edge, lo + 1.0, (double) dim[a]);
          o[a] = (gsize) lo;
          n[a] = (gsize) (hi - lo);
        }
    }
  b = arrays_to_box (o, n);
  set_box (doc, &b);
}

static void
tool_end (Tool *t)
{
  if (t->mode != 0)
    gtk_widget_set_cursor (ps_slice_view_get_canvas (t->view), NULL);
  t->mode = 0;
}

static void
tool_drag_begin (GtkGestureDrag *gesture, double x, double y, Tool *t)
{
  GdkModifierType mods = gtk_event_controller_get_current_event_state (GTK_EVENT_CONTROLLER (gesture));
  /* Claiming here, in the capture phase, denies the view's own drag (pan)
   * and click (crosshair) for this press. */
  gtk_gesture_set_state (GTK_GESTURE (gesture), tool_begin (t, x, y, (mods & GDK_SHIFT_MASK) != 0)
                                                  ? GTK_EVENT_SEQUENCE_CLAIMED
                                                  : GTK_EVENT_SEQUENCE_DENIED);
}

static void
tool_drag_update (GtkGestureDrag *gesture, double dx, double dy, Tool *t)
{
  double sx, sy;
  if (gtk_gesture_drag_get_start_point (gesture, &sx, &sy))
    tool_update (t, sx + dx, sy + dy);
}

static void
tool_drag_end (GtkGestureDrag *gesture, double dx, double dy, Tool *t)
{
  tool_end (t);
}

gboolean
_ps_subvolume_tool_drag (PsSliceView *view, double x0, double y0, double x1, double y1, gboolean shift)
{
  Tool *t = g_object_get_data (G_OBJECT (view), "ps-subvolume-tool");
  g_return_val_if_fail (t != NULL, FALSE);
  if (!tool_begin (t, x0, y0, shift))
    return FALSE;
  tool_update (t, (x0 + x1) / 2, (y0 + y1) / 2);
  tool_update (t, x1, y1);
  tool_end (t);
  return TRUE;
}

void
ps_subvolume_tool_attach (PsSliceView *view)
{
  GtkGesture *drag = gtk_gesture_drag_new ();
  Tool *t = g_new0 (Tool, 1);

  t->view = view;
  gtk_gesture_single_set_button (GTK_GESTURE_SINGLE (drag), GDK_BUTTON_PRIMARY);
  gtk_event_controller_set_propagation_phase (GTK_EVENT_CONTROLLER (drag), GTK_PHASE_CAPTURE);
  gtk_event_controller_set_name (GTK_EVENT_CONTROLLER (drag), "subvolume-tool");
  g_signal_connect (drag, "drag-begin", G_CALLBACK (tool_drag_begin), t);
  g_signal_connect (drag, "drag-update", G_CALLBACK (tool_drag_update), t);
  g_signal_connect (drag, "drag-end", G_CALLBACK (tool_drag_end), t);
  g_object_set_data_full (G_OBJECT (drag), "tool", t, g_free);
  g_object_set_data (G_OBJECT (view), "ps-subvolume-tool", t);
  gtk_widget_add_controller (ps_slice_view_get_canvas (view), GTK_EVENT_CONTROLLER (drag));
}
