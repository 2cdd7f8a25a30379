/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "ps-analysis-panel"

#include "config.h"

#include <glib/gi18n.h>
#include <math.h>
#include <string.h>

/* The core's seed type and the document's seed point are both called
 * PsSeed; the core's is renamed inside this file (only its fields are used,
 * never passed to a function that takes the document's). */
#define PsSeed PsCoreSeed
#include "ps-analysis-io.h"
#include "ps-analysis.h"
#include "ps-seed-edits.h"
#include "ps-session-analysis.h"
#undef PsSeed

#include "ps-analysis-panel.h"
#include "ps-error.h"
#include "ps-slice-view.h"
#include "ps-volume-view.h"
#include "ps-render-prep.h"

/* Slider/spin changes become runs after the control has rested this long. */
#define DEBOUNCE_MS 250

/* ---- a shared, reference-counted result ------------------------------------------- */

/* A result may be read by a running (possibly stale, cancelled but not yet
 * finished) worker as its `previous` while the panel has moved on: both
 * hold a reference. */
typedef struct
{
  PsAnalysisResult *r;
} Shared;

static void
shared_clear (gpointer data)
{
  Shared *s = data;
  g_clear_pointer (&s->r, ps_analysis_result_free);
}

static Shared *
shared_ref (Shared *s)
{
  return s ? g_atomic_rc_box_acquire (s) : NULL;
}

static void
shared_unref (Shared *s)
{
  if (s != NULL)
    g_atomic_rc_box_release_full (s, shared_clear);
}

/* ---- statistics rows ------------------------------------------------------------------ */

#define PS_TYPE_OBJECT_ROW (ps_object_row_get_type ())
G_DECLARE_FINAL_TYPE (PsObjectRow, ps_object_row, PS, OBJECT_ROW, GObject)

struct _PsObjectRow
{
  GObject parent_instance;
  PsObjectStats stats;
};

G_DEFINE_FINAL_TYPE (PsObjectRow, ps_object_row, G_TYPE_OBJECT)

static void
ps_object_row_class_init (PsObjectRowClass *klass)
{
}

static void
ps_object_row_init (PsObjectRow *self)
{
}

/* The SPEC.md columns of pores.csv / carbon.csv, in order. */
enum
{
  COL_LABEL,
  COL_VOXELS,
  COL_VOLUME,
  COL_EQDIAM,
  COL_INSCRIBED,
  COL_SURFACE,
  COL_SPHERICITY,
  COL_CX,
  COL_CY,
  COL_CZ,
  COL_BX0,
  COL_BY0,
  COL_BZ0,
  COL_BX1,
  COL_BY1,
  COL_BZ1,
  COL_BORDER,
  COL_OPEN,
  COL_INTENSITY,
  N_COLUMNS
};

static const struct
{
  const char *title;   /* translatable */
  gboolean integer;
} columns[N_COLUMNS] = {
  { N_("Label"), TRUE },
  { N_("Voxels"), TRUE },
  { N_("Volume (nm³)"), FALSE },
  { N_("Eq. diameter (nm)"), FALSE },
  { N_("Inscribed (nm)"), FALSE },
  { N_("Surface (nm²)"), FALSE },
  { N_("Sphericity"), FALSE },
  /* Translators: centroid coordinates */
  { N_("x (nm)"), FALSE },
  { N_("y (nm)"), FALSE },
  { N_("z (nm)"), FALSE },
  /* Translators: bounding box, first and last-plus-one voxel */
  { N_("x0"), TRUE },
  { N_("y0"), TRUE },
  { N_("z0"), TRUE },
  { N_("x1"), TRUE },
  { N_("y1"), TRUE },
  { N_("z1"), TRUE },
  /* Translators: the object touches the subvolume's faces */
  { N_("Cut"), TRUE },
  /* Translators: the pore is connected to the outside */
  { N_("Open"), TRUE },
  { N_("Mean intensity"), FALSE },
};

static double
row_value (const PsObjectStats *o, guint col)
{
  switch (col)
    {
    case COL_LABEL: return o->label;
    case COL_VOXELS: return (double) o->voxels;
    case COL_VOLUME: return o->volume_nm3;
    case COL_EQDIAM: return o->equivalent_diameter_nm;
    case COL_INSCRIBED: return o->inscribed_diameter_nm;
    case COL_SURFACE: return o->surface_area_nm2;
    case COL_SPHERICITY: return o->sphericity;
    case COL_CX: case COL_CY: case COL_CZ: return o->centroid_nm[col - COL_CX];
    case COL_BX0: case COL_BY0: case COL_BZ0: return o->bbox_lo[col - COL_BX0];
    case COL_BX1: case COL_BY1: case COL_BZ1: return o->bbox_hi[col - COL_BX1];
    case COL_BORDER: return o->touches_border;
    case COL_OPEN: return o->open;
    case COL_INTENSITY: return o->mean_intensity;
    default: g_return_val_if_reached (NAN);
    }
}

static int
row_compare (gconstpointer a, gconstpointer b, gpointer user_data)
{
  guint col = GPOINTER_TO_UINT (user_data);
  double va = row_value (&((const PsObjectRow *) a)->stats, col);
  double vb = row_value (&((const PsObjectRow *) b)->stats, col);
  /* NaN sorts last. */
  if (isnan (va) || isnan (vb))
    return isnan (va) - isnan (vb);
  return va < vb ? GTK_ORDERING_SMALLER : va > vb ? GTK_ORDERING_LARGER : GTK_ORDERING_EQUAL;
}

static void
cell_setup (GtkSignalListItemFactory *factory, GtkListItem *item, gpointer user_data)
{
  GtkWidget *label = gtk_label_new (NULL);
  gtk_label_set_xalign (GTK_LABEL (label), 1.0);
  gtk_widget_add_css_class (label, "numeric");
  gtk_list_item_set_child (item, label);
}

static void
cell_bind (GtkSignalListItemFactory *factory, GtkListItem *item, gpointer user_data)
{
  guint col = GPOINTER_TO_UINT (user_data);
  PsObjectRow *row = gtk_list_item_get_item (item);
  double v = row_value (&row->stats, col);
  g_autofree char *text = NULL;

  if (isnan (v))
    text = g_strdup ("–");
  else if (col == COL_BORDER || col == COL_OPEN)
    text = g_strdup (v != 0 ? _("yes") : _("no"));
  else if (columns[col].integer)
    text = g_strdup_printf ("%.0f", v);
  else
    text = g_strdup_printf ("%.4g", v);
  gtk_label_set_text (GTK_LABEL (gtk_list_item_get_child (item)), text);
}

/* ---- seed edits ----------------------------------------------------------------------- */

typedef enum
{
  EDIT_ADD,
  EDIT_REMOVE,
  EDIT_MERGE,
} EditKind;

/* One edit as the user made it; positions nm in the full volume's frame. */
typedef struct
{
  EditKind kind;
  double a[3], b[3];
} Edit;

/* ---- the panel ---------------------------------------------------------------------- */

typedef struct _RunClosure RunClosure;

/* A control whose changes are acted on (its "analysis." action activated
 * with its value) once it has rested for DEBOUNCE_MS. */
enum { DEBOUNCE_THRESHOLD, DEBOUNCE_SMOOTHING, DEBOUNCE_H, N_DEBOUNCE };
typedef struct
{
  struct _PsAnalysisPanel *panel;
  const char *action;
  GtkAdjustment *adjustment;
  guint id;
} Debounce;

struct _PsAnalysisPanel
{
  GtkBox parent_instance;

  PsDocument *document;        /* owned */
  GSimpleActionGroup *actions; /* owned */

  /* Template children. */
  GtkDrawingArea *threshold_area;
  GtkScale *threshold_scale;
  GtkAdjustment *threshold_adjustment;
  GtkSpinButton *smoothing_spin;
  GtkAdjustment *smoothing_adjustment;
  GtkLabel *porosity_label;
  GtkDrawingArea *sweep_area;
  GtkScale *h_scale;
  GtkAdjustment *h_adjustment;
  GtkLabel *count_label;
  GtkLabel *summary_label;
  GtkColumnView *table;
  GtkButton *export_button;
  GtkLabel *export_label;
  GtkLabel *edits_label;
  GtkDrawingArea *size_area;

  /* The parameters the next run uses (subvolume from the document). */
  PsAnalysisParams params;
  guint generation;            /* bumped by every parameter change */
  Shared *result;              /* the last completed run, or NULL */
  guint result_generation;
  RunClosure *running;         /* the run in flight (borrowed; NULL: none) */
  char *pending_export;        /* export when the run in flight completes */
  PsJob *own_job;              /* the last job the panel started (owned) */
  gboolean deferred;           /* a run or export waits for the document's other job */
  guint resume_idle;
  char *last_export;

  /* The readout: live (main thread) or the run's. */
  double shown_threshold;
  double shown_porosity;
  gboolean separated;          /* the overlays show the run's objects */

  GListStore *rows;            /* (element-type PsObjectRow) */
  GtkSortListModel *sorted;
  GtkSingleSelection *selection;
  gboolean table_carbon;

  /* Seed edits: edits[0 .. n_applied) are in effect, the rest can be redone. */
  GArray *edits;               /* (element-type Edit) */
  guint n_applied;
  gboolean seed_mode;          /* clicks in the slices edit seeds */
  gboolean has_merge_first;    /* Shift-clicked one object; the next Shift-click merges */
  double merge_first[3];
  gboolean hide_cut;           /* the table leaves out objects cut by the faces */
  GtkFilter *cut_filter;       /* owned by the filter model */
  GtkFilterListModel *filtered;
  PsVolumeView *volume_view;   /* weak: highlights the clicked object */
  guint subvolume_timeout;

  gboolean updating;           /* setting controls from the state */
  Debounce debounce[N_DEBOUNCE]; /* threshold, smoothing, h: act when the control rests */
  guint table_reset;
};

G_DEFINE_FINAL_TYPE (PsAnalysisPanel, ps_analysis_panel, GTK_TYPE_BOX)

static void start_run (PsAnalysisPanel *self);
static void start_export (PsAnalysisPanel *self, const char *folder);
static void sync_action_state (PsAnalysisPanel *self);
static void clear_highlight (PsAnalysisPanel *self);

static void
emit_error (PsAnalysisPanel *self, const char *title, const char *message)
{
  g_autoptr (GError) error = g_error_new_literal (PS_ERROR, PS_ERROR_CODE_INVALID_PARAMETER, message);
  g_signal_emit_by_name (self->document, "error", title, error);
}

static PsAnalysisResult *
current_result (PsAnalysisPanel *self)
{
  return self->result ? self->result->r : NULL;
}

/* The analysed box: the document's subvolume, or the whole volume. */
static gboolean
analysed_box (PsAnalysisPanel *self, PsBox *box)
{
  PsVolume *vol = ps_document_get_volume (self->document);
  if (vol == NULL)
    return FALSE;
  if (!ps_document_get_subvolume (self->document, box))
    *box = ps_box_full (vol->nx, vol->ny, vol->nz);
  return TRUE;
}

static gboolean
same_box (const PsBox *a, const PsBox *b)
{
  return a->x0 == b->x0 && a->y0 == b->y0 && a->z0 == b->z0 && a->nx == b->nx && a->ny == b->ny && a->nz == b->nz;
}

/* The last result's smoothed subvolume is the one the current parameters
 * would give (same box, same smoothing): thresholds can be previewed on it. */
static gboolean
can_preview (PsAnalysisPanel *self)
{
  PsAnalysisResult *r = current_result (self);
  PsBox box;
  if (r == NULL || !analysed_box (self, &box) || !same_box (&box, &r->box))
    return FALSE;
  if (r->params.smooth != self->params.smooth)
    return FALSE;
  return self->params.smooth != PS_SMOOTH_GAUSSIAN || r->params.smooth_sigma_nm == self->params.smooth_sigma_nm;
}

static void
params_changed (PsAnalysisPanel *self)
{
  self->generation++;
}

/* ---- overlays --------------------------------------------------------------------- */

/* Full-volume label layers (the document's overlays live on the volume's
 * grid), zero outside @box. */
static gboolean
new_layers (const PsVolume *vol, PsLabels **pores, PsLabels **carbon)
{
  PsStatus st;
  *pores = ps_labels_new (vol->nx, vol->ny, vol->nz, &st);
  *carbon = *pores ? ps_labels_new (vol->nx, vol->ny, vol->nz, &st) : NULL;
  if (*carbon == NULL)
    {
      g_clear_pointer (pores, ps_labels_unref);
      return FALSE;
    }
  return TRUE;
}

/* Threshold preview: pores where the smoothed value is below @t, into the
 * layers when given (both or neither). Returns the pore voxel count. */
static guint64
fill_threshold_layers (const PsAnalysisResult *r, double t, PsLabels *pores, PsLabels *carbon)
{
  const PsBox *b = &r->box;
  const float *sm = r->smoothed->data;
  guint64 n = 0;
  size_t snx = r->volume_dims[0], sny = r->volume_dims[1];

  for (size_t z = 0; z < b->nz; z++)
    for (size_t y = 0; y < b->ny; y++)
      {
        const float *src = sm + (z * b->ny + y) * b->nx;
        size_t o = ((b->z0 + z) * sny + (b->y0 + y)) * snx + b->x0;
        uint32_t *p = pores ? pores->data + o : NULL, *c = carbon ? carbon->data + o : NULL;
        for (size_t x = 0; x < b->nx; x++)
          {
            gboolean pore = src[x] < t;
            n += pore;
            if (p != NULL)
              {
                p[x] = pore;
                c[x] = !pore;
              }
          }
      }
  if (pores != NULL)
    {
      pores->n_labels = 1;
      carbon->n_labels = 1;
    }
  return n;
}

/* The run's objects: pore labels (one colour each) and carbon labels (drawn
 * in one colour; the labels let the 3D view highlight a carbon unit). */
static void
fill_result_layers (const PsAnalysisResult *r, PsLabels *pores, PsLabels *carbon)
{
  const PsBox *b = &r->box;
  const uint32_t *lab = r->pores.labels->data;
  const uint32_t *clab = r->carbon.labels->data;

  for (size_t z = 0; z < b->nz; z++)
    for (size_t y = 0; y < b->ny; y++)
      {
        size_t s = (z * b->ny + y) * b->nx;
        size_t o = ((b->z0 + z) * pores->ny + (b->y0 + y)) * pores->nx + b->x0;
        for (size_t x = 0; x < b->nx; x++)
          {
            pores->data[o + x] = lab[s + x];
            carbon->data[o + x] = clab[s + x];
          }
      }
  pores->n_labels = r->pores.labels->n_labels;
  carbon->n_labels = r->carbon.labels->n_labels;
}

/* Every document change reaches every view (and restarts the 3D view's
 * label preparation), so only real changes are made. */
static void
set_title (PsAnalysisPanel *self, const char *name, const char *title)
{
  for (guint i = 0; i < ps_document_get_n_overlays (self->document); i++)
    {
      const PsOverlayLayer *l = ps_document_get_overlay (self->document, i);
      if (g_strcmp0 (l->name, name) == 0 && g_strcmp0 (l->title, title) != 0)
        ps_document_set_overlay_title (self->document, name, title);
    }
}

static void
set_layers (PsAnalysisPanel *self, PsLabels *pores, PsLabels *carbon, gboolean objects)
{
  if (carbon != NULL)
    {
      ps_document_set_overlay (self->document, "carbon", carbon, PS_OVERLAY_SOLID, PS_PHASE_CARBON, 0, -1.0);
      set_title (self, "carbon", _("Carbon"));
    }
  if (pores != NULL)
    {
      ps_document_set_overlay (self->document, "pores", pores, objects ? PS_OVERLAY_PER_LABEL : PS_OVERLAY_SOLID,
                               PS_PHASE_PORES, 0, -1.0);
      set_title (self, "pores", objects ? _("Pores (objects)") : _("Pores"));
    }
}

/* ---- readouts ------------------------------------------------------------------------ */

static char *
fmt (const char *format, double v)
{
  return g_strdup_printf (format, v);
}

static void
update_porosity_label (PsAnalysisPanel *self)
{
  g_autofree char *text = NULL;
  if (isnan (self->shown_porosity))
    text = g_strdup (_("Porosity: press Separate, move the threshold or choose Otsu to segment."));
  else
    {
      g_autofree char *p = fmt ("%.4f", self->shown_porosity);
      g_autofree char *t = fmt ("%.5g", self->shown_threshold);
      /* Translators: porosity (a fraction) at a threshold value */
      text = g_strdup_printf (_("Porosity %s at threshold %s"), p, t);
    }
  gtk_label_set_text (self->porosity_label, text);
  gtk_widget_queue_draw (GTK_WIDGET (self->threshold_area));
  gtk_widget_queue_draw (GTK_WIDGET (self->sweep_area));
}

static void
update_counts (PsAnalysisPanel *self)
{
  PsAnalysisResult *r = current_result (self);
  g_autofree char *text = NULL;

  if (r == NULL)
    text = g_strdup (_("Not separated yet."));
  else if (!self->separated)
    text = g_strdup (_("Objects: waiting for the run at this threshold…"));
  else
    /* Translators: counts of separated objects */
    text = g_strdup_printf (_("%zu pores, %zu carbon units"), r->pores.count, r->carbon.count);
  gtk_label_set_text (self->count_label, text);
}

static void
update_summary (PsAnalysisPanel *self)
{
  PsAnalysisResult *r = current_result (self);
  GString *s;

  gtk_widget_queue_draw (GTK_WIDGET (self->size_area));
  if (r == NULL || !self->separated)
    {
      gtk_label_set_text (self->summary_label, r == NULL ? _("No statistics yet.") : "");
      return;
    }
  s = g_string_new (NULL);
  {
    g_autofree char *p = fmt ("%.4f", r->porosity), *o = fmt ("%.4f", r->open_porosity),
                    *c = fmt ("%.4f", r->closed_porosity);
    g_string_append_printf (s, _("Porosity %s (open %s, closed %s)"), p, o, c);
  }
  g_string_append_c (s, '\n');
  g_string_append_printf (s, _("Pores: %zu (%zu not cut by the faces)"), r->pores.count, r->pores.count_interior);
  g_string_append_c (s, '\n');
  g_string_append_printf (s, _("Carbon units: %zu (%zu not cut by the faces)"), r->carbon.count,
                          r->carbon.count_interior);
  g_string_append_c (s, '\n');
  {
    g_autofree char *m = fmt ("%.4g", r->pores.eqdiam_mean_nm), *e = fmt ("%.4g", r->pores.eqdiam_mean_edge_corrected_nm);
    /* Translators: mean equivalent diameter of the pores, then the edge-corrected mean */
    g_string_append_printf (s, _("Mean pore size %s nm (edge-corrected %s nm)"), m, e);
  }
  g_string_append_c (s, '\n');
  {
    g_autofree char *w = fmt ("%.4g", r->carbon.inscribed_mean_nm);
    /* Translators: mean inscribed diameter of the carbon units */
    g_string_append_printf (s, _("Mean carbon width %s nm"), w);
  }
  gtk_label_set_text (self->summary_label, s->str);
  g_string_free (s, TRUE);
}

static void
update_table (PsAnalysisPanel *self)
{
  PsAnalysisResult *r = current_result (self);
  const PsObjectTable *t = NULL;
  g_autoptr (GPtrArray) items = g_ptr_array_new_with_free_func (g_object_unref);

  if (r != NULL && self->separated)
    t = self->table_carbon ? r->carbon.objects : r->pores.objects;
  if (t != NULL)
    for (size_t i = 0; i < t->n_objects; i++)
      {
        PsObjectRow *row;
        if (t->objects[i].voxels == 0)
          continue;
        row = g_object_new (PS_TYPE_OBJECT_ROW, NULL);
        row->stats = t->objects[i];
        g_ptr_array_add (items, row);
      }
  g_list_store_splice (self->rows, 0, g_list_model_get_n_items (G_LIST_MODEL (self->rows)), items->pdata,
                       items->len);
}

/* ---- the threshold preview ------------------------------------------------------------- */

/* Porosity and overlays for threshold @t from the last run's smoothed
 * subvolume, on the main thread. */
static void
preview_threshold (PsAnalysisPanel *self, double t)
{
  PsAnalysisResult *r = current_result (self);
  PsVolume *vol = ps_document_get_volume (self->document);
  g_autoptr (PsLabels) pores = NULL;
  g_autoptr (PsLabels) carbon = NULL;
  guint64 n;

  if (!can_preview (self) || vol == NULL)
    return;
  clear_highlight (self);
  new_layers (vol, &pores, &carbon);
  n = fill_threshold_layers (r, t, pores, carbon);
  self->shown_threshold = t;
  self->shown_porosity = r->n_voxels ? (double) n / (double) r->n_voxels : NAN;
  self->separated = FALSE;
  if (pores != NULL)
    set_layers (self, pores, carbon, FALSE);
  {
    gsize n_seeds = 0;
    ps_document_get_seeds (self->document, &n_seeds);
    if (n_seeds > 0)
      ps_document_set_seeds (self->document, NULL, 0);
  }
  update_porosity_label (self);
  update_counts (self);
  update_summary (self);
  update_table (self);
  sync_action_state (self);
}

/* ---- runs ----------------------------------------------------------------------------- */

typedef struct
{
  PsAnalysisParams params;     /* edit arrays point into @edits */
  PsSeedEdits *edits;
  PsVolume *volume;
  Shared *previous;
} RunRequest;

static void
run_request_free (gpointer data)
{
  RunRequest *req = data;
  g_clear_pointer (&req->edits, ps_seed_edits_free);
  ps_volume_unref (req->volume);
  shared_unref (req->previous);
  g_free (req);
}

typedef struct
{
  Shared *result;
  PsLabels *pores, *carbon;    /* full-volume overlay layers (NULL: too large) */
} RunResult;

static void
run_result_free (gpointer data)
{
  RunResult *res = data;
  shared_unref (res->result);
  g_clear_pointer (&res->pores, ps_labels_unref);
  g_clear_pointer (&res->carbon, ps_labels_unref);
  g_free (res);
}

static gpointer
run_worker (PsJob *job, gpointer data, const PsProgress *progress, GError **error)
{
  RunRequest *req = data;
  PsAnalysisResult *out = NULL;
  PsProgress sub = ps_progress_sub (progress, 0.0, 0.95);
  RunResult *res;
  PsStatus st;

  req->params.n_threads = ps_job_get_n_threads (job);
  st = ps_analysis_run (&req->params, req->volume, req->previous ? req->previous->r : NULL, &out, &sub);
  if (st != PS_OK)
    {
      ps_set_error_from_status (error, st, NULL);
      return NULL;
    }
  res = g_new0 (RunResult, 1);
  res->result = g_atomic_rc_box_new0 (Shared);
  res->result->r = out;
  ps_progress_report (progress, 0.95, _("Preparing the overlays"));
  if (new_layers (req->volume, &res->pores, &res->carbon))
    fill_result_layers (out, res->pores, res->carbon);
  ps_progress_report (progress, 1.0, NULL);
  return res;
}

struct _RunClosure
{
  PsAnalysisPanel *panel;      /* a reference */
  guint generation;
};

static void
run_closure_free (gpointer data)
{
  RunClosure *c = data;
  if (c->panel->running == c)
    c->panel->running = NULL;
  g_object_unref (c->panel);
  g_free (c);
}

static void
set_document_seeds (PsAnalysisPanel *self, const PsAnalysisResult *r)
{
  const PsSeedList *list = &r->pores.seeds;
  g_autofree PsSeed *seeds = g_new0 (PsSeed, list->n + 1);

  for (size_t i = 0; i < list->n; i++)
    {
      const PsCoreSeed *s = &list->items[i];
      seeds[i].x = (double) (r->box.x0 + s->x);
      seeds[i].y = (double) (r->box.y0 + s->y);
      seeds[i].z = (double) (r->box.z0 + s->z);
      seeds[i].label = r->pores.labels->data[((size_t) s->z * r->box.ny + s->y) * r->box.nx + s->x];
    }
  ps_document_set_seeds (self->document, seeds, list->n);
}

static void
sync_controls (PsAnalysisPanel *self)
{
  PsAnalysisResult *r = current_result (self);

  self->updating = TRUE;
  if (r != NULL && r->sweep_n >= 2)
    {
      double lo = r->sweep_thresholds[0], hi = r->sweep_thresholds[r->sweep_n - 1];
      double t = isnan (self->shown_threshold) ? r->threshold : self->shown_threshold;
      if (!(hi > lo))
        hi = lo + 1.0;
      gtk_adjustment_configure (self->threshold_adjustment, CLAMP (t, lo, hi), lo, hi, (hi - lo) / 1000.0,
                                (hi - lo) / 50.0, 0.0);
      gtk_widget_set_sensitive (GTK_WIDGET (self->threshold_scale), TRUE);
    }
  if (r != NULL && self->params.h_nm < 0)
    gtk_adjustment_set_value (self->h_adjustment, r->params.h_nm);
  self->updating = FALSE;
}

static void
clear_highlight (PsAnalysisPanel *self)
{
  if (self->volume_view != NULL)
    ps_volume_view_set_highlight (self->volume_view, 0, 0);
}

static void
run_done (PsDocument *doc, gpointer result, gpointer user_data)
{
  RunClosure *c = user_data;
  PsAnalysisPanel *self = c->panel;
  RunResult *res = result;
  PsAnalysisResult *r = res->result->r;

  if (self->document == NULL)
    {
      /* The panel was disposed (its window closed) while the run finished. */
      run_result_free (res);
      return;
    }
  {
    /* A result for a volume that is no longer shown (never expected: a new
     * volume cancels the run) is dropped rather than drawn on the wrong grid. */
    PsVolume *vol = ps_document_get_volume (self->document);
    if (vol == NULL || (res->pores != NULL && (res->pores->nx != vol->nx || res->pores->ny != vol->ny
                                               || res->pores->nz != vol->nz)))
      {
        g_warning ("analysis: dropped a result computed for another volume");
        run_result_free (res);
        return;
      }
  }
  clear_highlight (self);
  shared_unref (self->result);
  self->result = shared_ref (res->result);
  self->result_generation = c->generation;
  self->separated = TRUE;
  self->shown_threshold = r->threshold;
  self->shown_porosity = r->porosity;
  if (res->pores != NULL)
    set_layers (self, res->pores, res->carbon, TRUE);
  set_document_seeds (self, r);
  sync_controls (self);
  update_porosity_label (self);
  update_counts (self);
  update_summary (self);
  update_table (self);
  sync_action_state (self);
  run_result_free (res);

  if (self->pending_export != NULL && self->result_generation == self->generation)
    {
      g_autofree char *folder = g_steal_pointer (&self->pending_export);
      start_export (self, folder);
    }
}

/* The edits in effect, in the order they were made within each kind (as a
 * --seeds file written from them lists them; the core applies them by
 * kind). */
static PsSeedEdits *
edits_in_effect (PsAnalysisPanel *self)
{
  PsSeedEdits *edits = ps_seed_edits_new ();
  for (guint i = 0; i < self->n_applied; i++)
    {
      const Edit *e = &g_array_index (self->edits, Edit, i);
      if (e->kind == EDIT_ADD)
        g_array_append_vals (edits->add, e->a, 1);
      else if (e->kind == EDIT_REMOVE)
        g_array_append_vals (edits->remove, e->a, 1);
      else
        {
          PsMergeEdit m;
          memcpy (m.a_nm, e->a, sizeof m.a_nm);
          memcpy (m.b_nm, e->b, sizeof m.b_nm);
          g_array_append_val (edits->merges, m);
        }
    }
  return edits;
}

/* Runs and exports never cancel the document's other jobs — a load, a save,
 * a reconstruction, a movie: they wait until the document is idle
 * (document_busy_changed) and are dropped if that job replaces the volume
 * (reset). Only the panel's own stale run or export is replaced. */
static gboolean
defer_while_busy (PsAnalysisPanel *self)
{
  PsJob *current = ps_document_get_job (self->document);

  if (current == NULL || current == self->own_job)
    return FALSE;
  self->deferred = TRUE;
  return TRUE;
}

static void
start_run (PsAnalysisPanel *self)
{
  PsVolume *vol = ps_document_get_volume (self->document);
  g_autoptr (PsJob) job = NULL;
  RunRequest *req;
  RunClosure *c;
  char why[256] = "";
  PsBox box;

  if (vol == NULL || ps_document_get_tilt_series (self->document) != NULL || !analysed_box (self, &box))
    return;
  if (self->running != NULL && self->running->generation == self->generation)
    return;   /* this very run is already in flight */
  if (defer_while_busy (self))
    return;
  req = g_new0 (RunRequest, 1);
  req->params = self->params;
  req->params.subvolume = box;
  req->edits = edits_in_effect (self);
  ps_seed_edits_to_params (req->edits, &req->params);
  if (ps_analysis_validate (&req->params, vol, why, sizeof why) != PS_OK)
    {
      ps_seed_edits_free (req->edits);
      g_free (req);
      emit_error (self, _("Could not analyse"), why);
      return;
    }
  req->volume = ps_volume_ref (vol);
  /* Resume from the last run only if it was on this very volume. */
  if (self->result != NULL && self->result->r->volume_dims[0] == vol->nx)
    req->previous = shared_ref (self->result);
  c = g_new0 (RunClosure, 1);
  c->panel = g_object_ref (self);
  c->generation = self->generation;
  self->running = c;
  job = ps_job_new (_("Analysing"), run_worker, req, run_request_free, run_result_free);
  g_set_object (&self->own_job, job);
  ps_document_run_job (self->document, job, _("Could not analyse"), run_done, c, run_closure_free);
}

/* ---- export ------------------------------------------------------------------------ */

typedef struct
{
  Shared *result;
  char *folder;
  char *input_path;
  char *tilt_series_path;
  char *recon_method;
  PsAnalysisSource source;
} ExportRequest;

static void
export_request_free (gpointer data)
{
  ExportRequest *req = data;
  shared_unref (req->result);
  g_free (req->folder);
  g_free (req->input_path);
  g_free (req->tilt_series_path);
  g_free (req->recon_method);
  g_free (req);
}

static gpointer
export_worker (PsJob *job, gpointer data, const PsProgress *progress, GError **error)
{
  ExportRequest *req = data;
  if (!ps_analysis_write (req->result->r, &req->source, req->folder, progress, error))
    return NULL;
  return g_strdup (req->folder);
}

static void
export_done (PsDocument *doc, gpointer result, gpointer user_data)
{
  PsAnalysisPanel *self = user_data;
  g_autofree char *folder = result;
  g_autofree char *text = NULL;

  if (self->document == NULL)
    return;
  g_free (self->last_export);
  self->last_export = g_strdup (folder);
  /* Translators: %s is a folder */
  text = g_strdup_printf (_("Written to %s"), folder);
  gtk_label_set_text (self->export_label, text);
}

/* The provenance `porescope-cli analyze` (or `run`) records for the same
 * data: the canonical input path, and the reconstruction when this session
 * made the volume (ps_session_to_source()). */
static void
export_source (PsAnalysisPanel *self, ExportRequest *req)
{
  GFile *file = ps_document_get_file (self->document);
  const PsReconInfo *info = ps_document_get_recon_info (self->document);
  g_autofree char *path = file ? g_file_get_path (file) : NULL;

  if (path != NULL)
    req->input_path = g_canonicalize_filename (path, NULL);
  if (info != NULL)
    {
      if (info->source != NULL)
        req->tilt_series_path = g_canonicalize_filename (info->source, NULL);
      if (req->input_path == NULL)
        req->input_path = g_strdup (req->tilt_series_path);
      req->recon_method = g_strdup (info->method);
      req->source.n_tilts = info->n_angles;
      req->source.tilt_first_deg = info->angle_min;
      req->source.tilt_last_deg = info->angle_max;
      req->source.recon_iterations = info->iterations;
    }
  req->source.input_path = req->input_path;
  req->source.tilt_series_path = req->tilt_series_path;
  req->source.recon_method = req->recon_method;
}

static void
start_export (PsAnalysisPanel *self, const char *folder)
{
  g_autoptr (PsJob) job = NULL;
  ExportRequest *req;

  if (self->result == NULL)
    return;
  req = g_new0 (ExportRequest, 1);
  req->result = shared_ref (self->result);
  req->folder = g_strdup (folder);
  export_source (self, req);
  job = ps_job_new (_("Writing the statistics"), export_worker, req, export_request_free, g_free);
  g_set_object (&self->own_job, job);
  ps_document_run_job (self->document, job, _("Could not export the statistics"), export_done,
                       g_object_ref (self), g_object_unref);
}

/* ---- actions ---------------------------------------------------------------------- */

static void
threshold_activate (GSimpleAction *action, GVariant *param, gpointer user_data)
{
  PsAnalysisPanel *self = user_data;
  double t = g_variant_get_double (param);

  if (!isfinite (t))
    return;
  g_clear_handle_id (&self->debounce[DEBOUNCE_THRESHOLD].id, g_source_remove);
  self->params.threshold_auto = false;
  self->params.threshold = t;
  params_changed (self);
  self->updating = TRUE;
  gtk_adjustment_set_value (self->threshold_adjustment, t);
  self->updating = FALSE;
  preview_threshold (self, t);
  start_run (self);
}

static void
otsu_activate (GSimpleAction *action, GVariant *param, gpointer user_data)
{
  PsAnalysisPanel *self = user_data;
  PsAnalysisResult *r = current_result (self);

  g_clear_handle_id (&self->debounce[DEBOUNCE_THRESHOLD].id, g_source_remove);
  self->params.threshold_auto = true;
  params_changed (self);
  if (can_preview (self) && isfinite (r->otsu_threshold))
    {
      self->updating = TRUE;
      gtk_adjustment_set_value (self->threshold_adjustment, r->otsu_threshold);
      self->updating = FALSE;
      preview_threshold (self, r->otsu_threshold);
    }
  else
    self->shown_threshold = NAN;
  start_run (self);
}

static void
smoothing_activate (GSimpleAction *action, GVariant *param, gpointer user_data)
{
  PsAnalysisPanel *self = user_data;
  double sigma = g_variant_get_double (param);

  if (!(sigma >= 0) || !isfinite (sigma))
    return;
  g_clear_handle_id (&self->debounce[DEBOUNCE_SMOOTHING].id, g_source_remove);
  self->params.smooth = sigma > 0 ? PS_SMOOTH_GAUSSIAN : PS_SMOOTH_NONE;
  self->params.smooth_sigma_nm = sigma;
  params_changed (self);
  self->updating = TRUE;
  gtk_adjustment_set_value (self->smoothing_adjustment, sigma);
  self->updating = FALSE;
  start_run (self);
}

static void
h_activate (GSimpleAction *action, GVariant *param, gpointer user_data)
{
  PsAnalysisPanel *self = user_data;
  double h = g_variant_get_double (param);

  if (!(h >= 0) || !isfinite (h))
    return;
  g_clear_handle_id (&self->debounce[DEBOUNCE_H].id, g_source_remove);
  self->params.h_nm = h;
  self->params.h_carbon_nm = -1.0;
  params_changed (self);
  self->updating = TRUE;
  if (h > gtk_adjustment_get_upper (self->h_adjustment))
    gtk_adjustment_set_upper (self->h_adjustment, h);
  gtk_adjustment_set_value (self->h_adjustment, h);
  self->updating = FALSE;
  start_run (self);
}

static void
separate_activate (GSimpleAction *action, GVariant *param, gpointer user_data)
{
  start_run (user_data);
}

static void
table_phase_change_state (GSimpleAction *action, GVariant *value, gpointer user_data)
{
  PsAnalysisPanel *self = user_data;
  const char *phase = g_variant_get_string (value, NULL);

  if (g_strcmp0 (phase, "pores") != 0 && g_strcmp0 (phase, "carbon") != 0)
    return;
  g_simple_action_set_state (action, value);
  self->table_carbon = g_strcmp0 (phase, "carbon") == 0;
  clear_highlight (self);
  update_table (self);
}

static void
hide_cut_change_state (GSimpleAction *action, GVariant *value, gpointer user_data)
{
  PsAnalysisPanel *self = user_data;
  g_simple_action_set_state (action, value);
  self->hide_cut = g_variant_get_boolean (value);
  gtk_filter_changed (self->cut_filter, self->hide_cut ? GTK_FILTER_CHANGE_MORE_STRICT : GTK_FILTER_CHANGE_LESS_STRICT);
}

static gboolean
cut_filter_match (gpointer item, gpointer user_data)
{
  PsAnalysisPanel *self = user_data;
  return !self->hide_cut || !PS_OBJECT_ROW (item)->stats.touches_border;
}

static void
show_object_activate (GSimpleAction *action, GVariant *param, gpointer user_data)
{
  PsAnalysisPanel *self = user_data;
  gint32 i = g_variant_get_int32 (param);
  PsVolume *vol = ps_document_get_volume (self->document);
  g_autoptr (PsObjectRow) row = NULL;
  double s[3];
  gsize n[3], v[3];

  if (vol == NULL || i < 0 || (guint) i >= g_list_model_get_n_items (G_LIST_MODEL (self->sorted)))
    return;
  row = g_list_model_get_item (G_LIST_MODEL (self->sorted), (guint) i);
  ps_document_get_spacing (self->document, s);
  n[0] = vol->nx;
  n[1] = vol->ny;
  n[2] = vol->nz;
  /* Centroids are nm in the full volume's frame; voxel i covers [i·dx, (i+1)·dx). */
  for (int a = 0; a < 3; a++)
    {
      double f = floor (row->stats.centroid_nm[a] / s[a]);
      v[a] = (gsize) CLAMP (f, 0.0, (double) (n[a] - 1));
    }
  ps_document_set_crosshair (self->document, v[0], v[1], v[2]);
  gtk_single_selection_set_selected (self->selection, (guint) i);
  if (self->volume_view != NULL && self->separated)
    ps_volume_view_set_highlight (self->volume_view,
                                  self->table_carbon ? PS_RENDER_PHASE_CARBON : PS_RENDER_PHASE_PORE,
                                  row->stats.label);
}

static void
export_activate (GSimpleAction *action, GVariant *param, gpointer user_data)
{
  PsAnalysisPanel *self = user_data;
  const char *folder = g_variant_get_string (param, NULL);

  if (folder[0] == '\0' || ps_document_get_volume (self->document) == NULL)
    return;
  if (defer_while_busy (self))
    {
      g_free (self->pending_export);
      self->pending_export = g_strdup (folder);
      return;
    }
  if (self->result != NULL && self->result_generation == self->generation && self->running == NULL
      && can_preview (self))
    {
      start_export (self, folder);
      return;
    }
  /* Bring the analysis up to date first. */
  g_free (self->pending_export);
  self->pending_export = g_strdup (folder);
  if (self->running == NULL || self->running->generation != self->generation)
    start_run (self);
}

static void
update_edits_label (PsAnalysisPanel *self)
{
  guint n_add = 0, n_remove = 0, n_merge = 0;
  g_autofree char *text = NULL;

  for (guint i = 0; i < self->n_applied; i++)
    {
      const Edit *e = &g_array_index (self->edits, Edit, i);
      n_add += e->kind == EDIT_ADD;
      n_remove += e->kind == EDIT_REMOVE;
      n_merge += e->kind == EDIT_MERGE;
    }
  if (self->has_merge_first)
    text = g_strdup (_("Shift-click the object to merge with."));
  else if (self->n_applied == 0)
    text = g_strdup (self->seed_mode ? _("Click a pore or a carbon unit to add a seed, Ctrl-click an object to "
                                         "remove its seeds, Shift-click two objects to merge them.")
                                     : _("No seed edits."));
  else
    /* Translators: counts of seed edits in effect */
    text = g_strdup_printf (_("Seed edits: %u added, %u removed, %u merged"), n_add, n_remove, n_merge);
  gtk_label_set_text (self->edits_label, text);
}

static void
push_edit (PsAnalysisPanel *self, const Edit *e)
{
  g_array_set_size (self->edits, self->n_applied);   /* a new edit drops the redo history */
  g_array_append_vals (self->edits, e, 1);
  self->n_applied = self->edits->len;
  params_changed (self);
  update_edits_label (self);
  sync_action_state (self);
  start_run (self);
}

static gboolean
position_of (GVariant *param, double nm[3])
{
  g_variant_get (param, "(ddd)", &nm[0], &nm[1], &nm[2]);
  return isfinite (nm[0]) && isfinite (nm[1]) && isfinite (nm[2]);
}

static void
add_seed_activate (GSimpleAction *action, GVariant *param, gpointer user_data)
{
  Edit e = { EDIT_ADD };
  if (position_of (param, e.a))
    push_edit (user_data, &e);
}

static void
remove_seed_activate (GSimpleAction *action, GVariant *param, gpointer user_data)
{
  Edit e = { EDIT_REMOVE };
  if (position_of (param, e.a))
    push_edit (user_data, &e);
}

static void
merge_activate (GSimpleAction *action, GVariant *param, gpointer user_data)
{
  Edit e = { EDIT_MERGE };
  g_variant_get (param, "(dddddd)", &e.a[0], &e.a[1], &e.a[2], &e.b[0], &e.b[1], &e.b[2]);
  for (int i = 0; i < 3; i++)
    if (!isfinite (e.a[i]) || !isfinite (e.b[i]))
      return;
  push_edit (user_data, &e);
}

static void
undo_redo (PsAnalysisPanel *self, gboolean redo)
{
  if (redo ? self->n_applied >= self->edits->len : self->n_applied == 0)
    return;
  self->n_applied += redo ? 1 : -1;
  params_changed (self);
  update_edits_label (self);
  sync_action_state (self);
  start_run (self);
}

static void
undo_activate (GSimpleAction *action, GVariant *param, gpointer user_data)
{
  undo_redo (user_data, FALSE);
}

static void
redo_activate (GSimpleAction *action, GVariant *param, gpointer user_data)
{
  undo_redo (user_data, TRUE);
}

static void
seed_mode_change_state (GSimpleAction *action, GVariant *value, gpointer user_data)
{
  PsAnalysisPanel *self = user_data;
  g_simple_action_set_state (action, value);
  self->seed_mode = g_variant_get_boolean (value);
  self->has_merge_first = FALSE;
  update_edits_label (self);
}

static void
sync_action_state (PsAnalysisPanel *self)
{
  gboolean vol = ps_document_get_volume (self->document) != NULL
                 && ps_document_get_tilt_series (self->document) == NULL;
  static const char *const names[] = { "threshold", "otsu", "smoothing", "h", "separate", "export",
                                       "add-seed", "remove-seed", "merge-objects", "seed-mode" };

  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    g_simple_action_set_enabled (
      G_SIMPLE_ACTION (g_action_map_lookup_action (G_ACTION_MAP (self->actions), names[i])), vol);
  g_simple_action_set_enabled (G_SIMPLE_ACTION (g_action_map_lookup_action (G_ACTION_MAP (self->actions),
                                                                             "show-object")),
                               vol && self->separated);
  g_simple_action_set_enabled (G_SIMPLE_ACTION (g_action_map_lookup_action (G_ACTION_MAP (self->actions), "undo-seed")),
                               vol && self->n_applied > 0);
  g_simple_action_set_enabled (G_SIMPLE_ACTION (g_action_map_lookup_action (G_ACTION_MAP (self->actions), "redo-seed")),
                               vol && self->n_applied < self->edits->len);
  gtk_widget_set_sensitive (GTK_WIDGET (self->export_button), vol);
}

/* ---- controls --------------------------------------------------------------------- */

static gboolean
debounce_cb (gpointer data)
{
  Debounce *d = data;
  d->id = 0;
  g_action_group_activate_action (G_ACTION_GROUP (d->panel->actions), d->action,
                                  g_variant_new_double (gtk_adjustment_get_value (d->adjustment)));
  return G_SOURCE_REMOVE;
}

static void
debounce_restart (Debounce *d)
{
  g_clear_handle_id (&d->id, g_source_remove);
  d->id = g_timeout_add (DEBOUNCE_MS, debounce_cb, d);
}

static void
threshold_value_changed (GtkAdjustment *adj, PsAnalysisPanel *self)
{
  if (self->updating)
    return;
  /* Live: the readout and overlays now, the run when the slider rests. */
  preview_threshold (self, gtk_adjustment_get_value (adj));
  debounce_restart (&self->debounce[DEBOUNCE_THRESHOLD]);
}

static void
h_value_changed (GtkAdjustment *adj, PsAnalysisPanel *self)
{
  if (self->updating)
    return;
  debounce_restart (&self->debounce[DEBOUNCE_H]);
}

static void
smoothing_value_changed (GtkAdjustment *adj, PsAnalysisPanel *self)
{
  if (self->updating)
    return;
  debounce_restart (&self->debounce[DEBOUNCE_SMOOTHING]);
}

static void
export_chooser_response (GtkNativeDialog *chooser, int response, PsAnalysisPanel *self)
{
  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr (GFile) dir = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (chooser));
      g_autofree char *path = dir ? g_file_get_path (dir) : NULL;
      if (path != NULL)
        g_action_group_activate_action (G_ACTION_GROUP (self->actions), "export", g_variant_new_string (path));
    }
  gtk_native_dialog_destroy (chooser);
  g_object_unref (chooser);
  g_object_unref (self);
}

static void
export_clicked (GtkButton *button, PsAnalysisPanel *self)
{
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));
  GtkFileChooserNative *chooser
    = gtk_file_chooser_native_new (_("Export Statistics"), GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL,
                                   GTK_FILE_CHOOSER_ACTION_SELECT_FOLDER, _("_Export"), _("_Cancel"));
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (chooser), TRUE);
  g_signal_connect (chooser, "response", G_CALLBACK (export_chooser_response), g_object_ref (self));
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (chooser));
}

/* After a click on a header, show the top of the new order (the list would
 * otherwise keep its anchor row in view wherever the sort moved it). GTK
 * 4.8 has no gtk_column_view_scroll_to(): setting the model again resets
 * the view. */
static gboolean
table_reset_idle (gpointer data)
{
  PsAnalysisPanel *self = data;
  self->table_reset = 0;
  gtk_column_view_set_model (self->table, NULL);
  gtk_column_view_set_model (self->table, GTK_SELECTION_MODEL (self->selection));
  return G_SOURCE_REMOVE;
}

static void
table_sorter_changed (GtkSorter *sorter, GtkSorterChange change, PsAnalysisPanel *self)
{
  if (self->table_reset == 0)
    self->table_reset = g_idle_add (table_reset_idle, self);
}

static void
table_activate (GtkColumnView *view, guint position, PsAnalysisPanel *self)
{
  g_action_group_activate_action (G_ACTION_GROUP (self->actions), "show-object",
                                  g_variant_new_int32 ((gint32) position));
}

/* ---- drawing ---------------------------------------------------------------------- */

static void
source_color (PsAnalysisPanel *self, cairo_t *cr, const char *property, double alpha)
{
  g_autofree char *text = NULL;
  guint32 rgb = 0x808080;
  g_object_get (self->document, property, &text, NULL);
  ps_color_parse (text, &rgb);
  cairo_set_source_rgba (cr, ((rgb >> 16) & 0xff) / 255.0, ((rgb >> 8) & 0xff) / 255.0, (rgb & 0xff) / 255.0,
                         alpha);
}

static void
source_fg (GtkWidget *widget, cairo_t *cr, double alpha)
{
  GdkRGBA fg;
  /* The theme's foreground, so the plots follow light/dark. */
  G_GNUC_BEGIN_IGNORE_DEPRECATIONS
  gtk_style_context_get_color (gtk_widget_get_style_context (widget), &fg);
  G_GNUC_END_IGNORE_DEPRECATIONS
  cairo_set_source_rgba (cr, fg.red, fg.green, fg.blue, fg.alpha * alpha);
}

/* A plot's caption, dimmed, at its top left. */
static void
draw_caption (GtkDrawingArea *area, cairo_t *cr, const char *text)
{
  g_autoptr (PangoLayout) layout = gtk_widget_create_pango_layout (GTK_WIDGET (area), text);

  source_fg (GTK_WIDGET (area), cr, 0.6);
  cairo_move_to (cr, 4, 2);
  pango_cairo_show_layout (cr, layout);
}

/* The smoothed subvolume's histogram (the sweep's differences: the sweep is
 * its cumulative distribution), pores left of the threshold in the pore
 * colour, carbon right of it in the carbon colour, and the threshold. */
static void
draw_threshold (GtkDrawingArea *area, cairo_t *cr, int width, int height, gpointer user_data)
{
  PsAnalysisPanel *self = user_data;
  PsAnalysisResult *r = current_result (self);
  double lo, hi, t, peak = 0;
  size_t n;

  if (r == NULL || r->sweep_n < 3)
    return;
  n = r->sweep_n;
  lo = r->sweep_thresholds[0];
  hi = r->sweep_thresholds[n - 1];
  if (!(hi > lo))
    return;
  t = isnan (self->shown_threshold) ? r->threshold : self->shown_threshold;
  for (size_t i = 0; i + 1 < n; i++)
    peak = MAX (peak, r->sweep_porosity[i + 1] - r->sweep_porosity[i]);
  if (peak <= 0)
    return;
  for (size_t i = 0; i + 1 < n; i++)
    {
      double f = (r->sweep_porosity[i + 1] - r->sweep_porosity[i]) / peak;
      double x0 = (r->sweep_thresholds[i] - lo) / (hi - lo) * width;
      double x1 = (r->sweep_thresholds[i + 1] - lo) / (hi - lo) * width;
      double hgt = f * (height - 4);
      source_color (self, cr, r->sweep_thresholds[i + 1] <= t ? "pore-color" : "carbon-color", 0.9);
      cairo_rectangle (cr, x0, height - hgt, MAX (x1 - x0, 1.0), hgt);
      cairo_fill (cr);
    }
  source_fg (GTK_WIDGET (area), cr, 0.9);
  cairo_set_line_width (cr, 2.0);
  cairo_move_to (cr, round ((t - lo) / (hi - lo) * width) + 0.5, 0);
  cairo_rel_line_to (cr, 0, height);
  cairo_stroke (cr);
}

/* Porosity against threshold (0 … 1 bottom to top), the current point. */
static void
draw_sweep (GtkDrawingArea *area, cairo_t *cr, int width, int height, gpointer user_data)
{
  PsAnalysisPanel *self = user_data;
  PsAnalysisResult *r = current_result (self);
  double lo, hi, pad = 6;
  size_t n;

  if (r == NULL || r->sweep_n < 2)
    return;
  n = r->sweep_n;
  lo = r->sweep_thresholds[0];
  hi = r->sweep_thresholds[n - 1];
  if (!(hi > lo))
    return;
  /* Grid: porosity 0.25, 0.5, 0.75. */
  source_fg (GTK_WIDGET (area), cr, 0.15);
  cairo_set_line_width (cr, 1.0);
  for (int k = 1; k < 4; k++)
    {
      double y = round (pad + (height - 2 * pad) * (1.0 - k / 4.0)) + 0.5;
      cairo_move_to (cr, 0, y);
      cairo_line_to (cr, width, y);
    }
  cairo_stroke (cr);
  source_color (self, cr, "carbon-color", 1.0);
  cairo_set_line_width (cr, 1.5);
  for (size_t i = 0; i < n; i++)
    {
      double x = (r->sweep_thresholds[i] - lo) / (hi - lo) * width;
      double y = pad + (height - 2 * pad) * (1.0 - r->sweep_porosity[i]);
      if (i == 0)
        cairo_move_to (cr, x, y);
      else
        cairo_line_to (cr, x, y);
    }
  cairo_stroke (cr);
  if (!isnan (self->shown_porosity))
    {
      double x = (self->shown_threshold - lo) / (hi - lo) * width;
      double y = pad + (height - 2 * pad) * (1.0 - self->shown_porosity);
      source_fg (GTK_WIDGET (area), cr, 1.0);
      cairo_arc (cr, x, y, 3.5, 0, 2 * G_PI);
      cairo_fill (cr);
    }
  draw_caption (area, cr, _("porosity vs threshold"));
}

/* Object counts by equivalent diameter on the run's shared bins (the
 * histogram CSVs' `count`): pores and carbon side by side in each bin, the
 * count axis linear from 0 to the largest bin, nm ticks below. */
static void
draw_sizes (GtkDrawingArea *area, cairo_t *cr, int width, int height, gpointer user_data)
{
  PsAnalysisPanel *self = user_data;
  PsAnalysisResult *r = current_result (self);
  const uint64_t *hp, *hc;
  double peak = 0, bottom = height - 16, top = 18, bw;
  size_t n, last = 0;

  if (r == NULL || !self->separated || r->n_bins == 0)
    return;
  hp = r->pores.histogram.objects;
  hc = r->carbon.histogram.objects;
  if (hp == NULL || hc == NULL)
    return;
  for (size_t i = 0; i < r->n_bins; i++)
    {
      peak = MAX (peak, (double) MAX (hp[i], hc[i]));
      if (hp[i] || hc[i])
        last = i;
    }
  if (peak <= 0)
    return;
  n = last + 1;   /* the empty tail is not drawn */
  bw = (double) width / (double) n;
  for (size_t i = 0; i < n; i++)
    {
      double hgt;
      hgt = (double) hp[i] / peak * (bottom - top);
      source_color (self, cr, "pore-color", 1.0);
      cairo_rectangle (cr, i * bw + 1, bottom - hgt, MAX (bw / 2 - 1, 1.0), hgt);
      cairo_fill (cr);
      hgt = (double) hc[i] / peak * (bottom - top);
      source_color (self, cr, "carbon-color", 1.0);
      cairo_rectangle (cr, i * bw + bw / 2, bottom - hgt, MAX (bw / 2 - 1, 1.0), hgt);
      cairo_fill (cr);
    }
  /* nm ticks: about four labels. */
  {
    double max_nm = (double) n * r->bin_width_nm;
    double step = pow (10.0, floor (log10 (max_nm / 4.0)));
    if (max_nm / step > 8)
      step *= max_nm / step > 16 ? 5 : 2;
    source_fg (GTK_WIDGET (area), cr, 0.6);
    for (double v = 0; v <= max_nm + 1e-9; v += step)
      {
        g_autofree char *text = g_strdup_printf ("%g", v);
        PangoLayout *layout = gtk_widget_create_pango_layout (GTK_WIDGET (area), text);
        int tw, th;
        double x = v / max_nm * width;
        pango_layout_get_pixel_size (layout, &tw, &th);
        cairo_move_to (cr, CLAMP (x - tw / 2.0, 0, width - tw), height - th);
        pango_cairo_show_layout (cr, layout);
        g_object_unref (layout);
      }
  }
  /* Translators: the size histogram's legend (short: the plot is about 300 px wide) */
  draw_caption (area, cr, _("objects by eq. diameter (nm)"));
}

/* ---- document --------------------------------------------------------------------- */

static void
reset (PsAnalysisPanel *self)
{
  PsVolume *vol = ps_document_get_volume (self->document);
  double s[3], smin;

  shared_unref (self->result);
  self->result = NULL;
  g_clear_pointer (&self->pending_export, g_free);
  self->deferred = FALSE;
  ps_analysis_params_init (&self->params);
  g_array_set_size (self->edits, 0);
  self->n_applied = 0;
  self->generation++;
  self->shown_threshold = NAN;
  self->shown_porosity = NAN;
  self->separated = FALSE;
  ps_document_get_spacing (self->document, s);
  smin = MIN (s[0], MIN (s[1], s[2]));
  /* The default smoothing, resolved (0.6 voxel: ps_analysis_params_init). */
  self->params.smooth = PS_SMOOTH_GAUSSIAN;
  self->params.smooth_sigma_nm = PS_ANALYSIS_DEFAULT_SIGMA_VOXELS * smin;
  self->updating = TRUE;
  gtk_adjustment_configure (self->smoothing_adjustment, self->params.smooth_sigma_nm, 0.0, 20.0 * smin,
                            0.05 * smin, smin, 0.0);
  if (vol != NULL)
    {
      PsGrid grid = ps_grid_from_volume (vol);
      for (int a = 0; a < 3; a++)
        grid.spacing[a] = s[a];
      gtk_adjustment_configure (self->h_adjustment, ps_hmaxima_default_h_nm (&grid), 0.0, 8.0 * smin,
                                0.05 * smin, smin, 0.0);
    }
  gtk_widget_set_sensitive (GTK_WIDGET (self->threshold_scale), FALSE);
  self->updating = FALSE;
  gtk_label_set_text (self->export_label, "");
  update_edits_label (self);
  update_porosity_label (self);
  update_counts (self);
  update_summary (self);
  update_table (self);
}

static gboolean
subvolume_timeout_cb (gpointer data)
{
  PsAnalysisPanel *self = data;
  self->subvolume_timeout = 0;
  start_run (self);
  return G_SOURCE_REMOVE;
}

static void
document_changed (PsDocument *doc, guint flags, PsAnalysisPanel *self)
{
  if (flags & PS_DOCUMENT_CHANGED_VOLUME)
    reset (self);
  else if ((flags & PS_DOCUMENT_CHANGED_SUBVOLUME) && self->result != NULL)
    {
      /* A new region: analyse it when the box rests (a handle drag changes
       * it on every motion); the smoothing is recomputed, the full-volume
       * exterior reused. */
      params_changed (self);
      g_clear_handle_id (&self->subvolume_timeout, g_source_remove);
      self->subvolume_timeout = g_timeout_add (DEBOUNCE_MS, subvolume_timeout_cb, self);
    }
  if (flags & (PS_DOCUMENT_CHANGED_VOLUME | PS_DOCUMENT_CHANGED_SUBVOLUME))
    sync_action_state (self);
}

/* ---- GObject ------------------------------------------------------------------------- */

static void
ps_analysis_panel_dispose (GObject *object)
{
  PsAnalysisPanel *self = PS_ANALYSIS_PANEL (object);

  g_clear_handle_id (&self->debounce[DEBOUNCE_THRESHOLD].id, g_source_remove);
  g_clear_handle_id (&self->debounce[DEBOUNCE_H].id, g_source_remove);
  g_clear_handle_id (&self->debounce[DEBOUNCE_SMOOTHING].id, g_source_remove);
  g_clear_handle_id (&self->subvolume_timeout, g_source_remove);
  g_clear_handle_id (&self->resume_idle, g_source_remove);
  if (self->volume_view != NULL)
    g_object_remove_weak_pointer (G_OBJECT (self->volume_view), (gpointer *) &self->volume_view);
  self->volume_view = NULL;
  if (self->table != NULL)
    g_signal_handlers_disconnect_by_data (gtk_column_view_get_sorter (self->table), self);
  g_clear_handle_id (&self->table_reset, g_source_remove);
  if (self->document != NULL)
    g_signal_handlers_disconnect_by_data (self->document, self);
  g_clear_object (&self->document);
  shared_unref (self->result);
  self->result = NULL;
  gtk_widget_dispose_template (GTK_WIDGET (self), PS_TYPE_ANALYSIS_PANEL);
  G_OBJECT_CLASS (ps_analysis_panel_parent_class)->dispose (object);
}

static void
ps_analysis_panel_finalize (GObject *object)
{
  PsAnalysisPanel *self = PS_ANALYSIS_PANEL (object);

  g_clear_object (&self->actions);
  g_clear_object (&self->rows);
  g_clear_object (&self->selection);
  g_clear_object (&self->sorted);
  g_clear_object (&self->filtered);
  g_free (self->pending_export);
  g_free (self->last_export);
  g_clear_object (&self->own_job);
  g_array_unref (self->edits);
  G_OBJECT_CLASS (ps_analysis_panel_parent_class)->finalize (object);
}

static void
ps_analysis_panel_class_init (PsAnalysisPanelClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = ps_analysis_panel_dispose;
  object_class->finalize = ps_analysis_panel_finalize;
  gtk_widget_class_set_template_from_resource (widget_class, "/io/github/porescope/Porescope/ui/ps-analysis-panel.ui");
  gtk_widget_class_bind_template_child (widget_class, PsAnalysisPanel, threshold_area);
  gtk_widget_class_bind_template_child (widget_class, PsAnalysisPanel, threshold_scale);
  gtk_widget_class_bind_template_child (widget_class, PsAnalysisPanel, threshold_adjustment);
  gtk_widget_class_bind_template_child (widget_class, PsAnalysisPanel, smoothing_spin);
  gtk_widget_class_bind_template_child (widget_class, PsAnalysisPanel, smoothing_adjustment);
  gtk_widget_class_bind_template_child (widget_class, PsAnalysisPanel, porosity_label);
  gtk_widget_class_bind_template_child (widget_class, PsAnalysisPanel, sweep_area);
  gtk_widget_class_bind_template_child (widget_class, PsAnalysisPanel, h_scale);
  gtk_widget_class_bind_template_child (widget_class, PsAnalysisPanel, h_adjustment);
  gtk_widget_class_bind_template_child (widget_class, PsAnalysisPanel, count_label);
  gtk_widget_class_bind_template_child (widget_class, PsAnalysisPanel, summary_label);
  gtk_widget_class_bind_template_child (widget_class, PsAnalysisPanel, table);
  gtk_widget_class_bind_template_child (widget_class, PsAnalysisPanel, export_button);
  gtk_widget_class_bind_template_child (widget_class, PsAnalysisPanel, export_label);
  gtk_widget_class_bind_template_child (widget_class, PsAnalysisPanel, edits_label);
  gtk_widget_class_bind_template_child (widget_class, PsAnalysisPanel, size_area);
}

static void
ps_analysis_panel_init (PsAnalysisPanel *self)
{
  static const GActionEntry entries[] = {
    { "threshold", threshold_activate, "d" },
    { "otsu", otsu_activate },
    { "smoothing", smoothing_activate, "d" },
    { "h", h_activate, "d" },
    { "separate", separate_activate },
    { "table-phase", NULL, "s", "'pores'", table_phase_change_state },
    { "show-object", show_object_activate, "i" },
    { "export", export_activate, "s" },
    { "add-seed", add_seed_activate, "(ddd)" },
    { "remove-seed", remove_seed_activate, "(ddd)" },
    { "merge-objects", merge_activate, "(dddddd)" },
    { "undo-seed", undo_activate },
    { "redo-seed", redo_activate },
    { "seed-mode", NULL, NULL, "false", seed_mode_change_state },
    { "hide-cut", NULL, NULL, "false", hide_cut_change_state },
  };

  gtk_widget_init_template (GTK_WIDGET (self));
  self->debounce[DEBOUNCE_THRESHOLD] = (Debounce) { self, "threshold", self->threshold_adjustment, 0 };
  self->debounce[DEBOUNCE_SMOOTHING] = (Debounce) { self, "smoothing", self->smoothing_adjustment, 0 };
  self->debounce[DEBOUNCE_H] = (Debounce) { self, "h", self->h_adjustment, 0 };
  gtk_widget_set_name (GTK_WIDGET (self), "analysis-panel");
  self->shown_threshold = NAN;
  self->shown_porosity = NAN;
  ps_analysis_params_init (&self->params);
  self->edits = g_array_new (FALSE, FALSE, sizeof (Edit));

  self->actions = g_simple_action_group_new ();
  g_action_map_add_action_entries (G_ACTION_MAP (self->actions), entries, G_N_ELEMENTS (entries), self);
  /* The panel's own buttons find the group here; the window inserts it too. */
  gtk_widget_insert_action_group (GTK_WIDGET (self), "analysis", G_ACTION_GROUP (self->actions));

  gtk_drawing_area_set_draw_func (self->threshold_area, draw_threshold, self, NULL);
  gtk_drawing_area_set_draw_func (self->sweep_area, draw_sweep, self, NULL);
  gtk_drawing_area_set_draw_func (self->size_area, draw_sizes, self, NULL);
  g_signal_connect (self->threshold_adjustment, "value-changed", G_CALLBACK (threshold_value_changed), self);
  g_signal_connect (self->h_adjustment, "value-changed", G_CALLBACK (h_value_changed), self);
  g_signal_connect (self->smoothing_adjustment, "value-changed", G_CALLBACK (smoothing_value_changed), self);
  g_signal_connect (self->export_button, "clicked", G_CALLBACK (export_clicked), self);

  /* The statistics table: one column per SPEC.md column, each sortable. */
  self->rows = g_list_store_new (PS_TYPE_OBJECT_ROW);
  for (guint c = 0; c < N_COLUMNS; c++)
    {
      GtkListItemFactory *factory = gtk_signal_list_item_factory_new ();
      GtkColumnViewColumn *column;
      GtkSorter *sorter;
      g_signal_connect (factory, "setup", G_CALLBACK (cell_setup), NULL);
      g_signal_connect (factory, "bind", G_CALLBACK (cell_bind), GUINT_TO_POINTER (c));
      column = gtk_column_view_column_new (_(columns[c].title), factory);
      sorter = GTK_SORTER (gtk_custom_sorter_new (row_compare, GUINT_TO_POINTER (c), NULL));
      gtk_column_view_column_set_sorter (column, sorter);
      gtk_column_view_column_set_resizable (column, TRUE);
      gtk_column_view_append_column (self->table, column);
      g_object_unref (sorter);
      g_object_unref (column);
    }
  self->cut_filter = GTK_FILTER (gtk_custom_filter_new (cut_filter_match, self, NULL));
  self->filtered = gtk_filter_list_model_new (G_LIST_MODEL (g_object_ref (self->rows)), self->cut_filter);
  self->sorted = gtk_sort_list_model_new (G_LIST_MODEL (g_object_ref (self->filtered)),
                                          g_object_ref (gtk_column_view_get_sorter (self->table)));
  self->selection = gtk_single_selection_new (G_LIST_MODEL (g_object_ref (self->sorted)));
  gtk_single_selection_set_autoselect (self->selection, FALSE);
  gtk_single_selection_set_can_unselect (self->selection, TRUE);
  gtk_column_view_set_model (self->table, GTK_SELECTION_MODEL (self->selection));
  gtk_column_view_set_single_click_activate (self->table, TRUE);
  g_signal_connect (self->table, "activate", G_CALLBACK (table_activate), self);
  g_signal_connect (gtk_column_view_get_sorter (self->table), "changed", G_CALLBACK (table_sorter_changed), self);
}

static void
redraw_plots (PsAnalysisPanel *self)
{
  gtk_widget_queue_draw (GTK_WIDGET (self->threshold_area));
  gtk_widget_queue_draw (GTK_WIDGET (self->sweep_area));
  gtk_widget_queue_draw (GTK_WIDGET (self->size_area));
}

/* The document's other job ended: what waited for it starts now — from an
 * idle callback, because the document reports "not busy" before it applies
 * the job's result (a new volume resets the panel and drops the wait). */
static gboolean
resume_deferred (gpointer data)
{
  PsAnalysisPanel *self = data;

  self->resume_idle = 0;
  if (!self->deferred || ps_document_get_busy (self->document))
    return G_SOURCE_REMOVE;
  self->deferred = FALSE;
  if (self->pending_export != NULL && self->result != NULL && self->result_generation == self->generation
      && self->running == NULL)
    {
      g_autofree char *folder = g_steal_pointer (&self->pending_export);
      start_export (self, folder);
    }
  else
    start_run (self);
  return G_SOURCE_REMOVE;
}

static void
document_busy_changed (PsAnalysisPanel *self)
{
  if (self->deferred && !ps_document_get_busy (self->document) && self->resume_idle == 0)
    self->resume_idle = g_idle_add (resume_deferred, self);
}

GtkAdjustment *
_ps_analysis_panel_get_adjustment (PsAnalysisPanel *self, const char *control)
{
  g_return_val_if_fail (PS_IS_ANALYSIS_PANEL (self), NULL);
  for (int i = 0; i < N_DEBOUNCE; i++)
    if (g_str_equal (self->debounce[i].action, control))
      return self->debounce[i].adjustment;
  g_return_val_if_reached (NULL);
}

GtkWidget *
ps_analysis_panel_new (PsDocument *document)
{
  PsAnalysisPanel *self;

  g_return_val_if_fail (PS_IS_DOCUMENT (document), NULL);
  self = g_object_new (PS_TYPE_ANALYSIS_PANEL, NULL);
  self->document = g_object_ref (document);
  g_signal_connect (document, "changed", G_CALLBACK (document_changed), self);
  g_signal_connect_swapped (document, "notify::busy", G_CALLBACK (document_busy_changed), self);
  /* The plots use the segmentation colours (Preferences). */
  g_signal_connect_swapped (document, "notify::carbon-color", G_CALLBACK (redraw_plots), self);
  g_signal_connect_swapped (document, "notify::pore-color", G_CALLBACK (redraw_plots), self);
  reset (self);
  sync_action_state (self);
  return GTK_WIDGET (self);
}

GActionGroup *
ps_analysis_panel_get_actions (PsAnalysisPanel *self)
{
  g_return_val_if_fail (PS_IS_ANALYSIS_PANEL (self), NULL);
  return G_ACTION_GROUP (self->actions);
}

double
ps_analysis_panel_get_threshold (PsAnalysisPanel *self)
{
  g_return_val_if_fail (PS_IS_ANALYSIS_PANEL (self), NAN);
  return self->shown_threshold;
}

double
ps_analysis_panel_get_porosity (PsAnalysisPanel *self)
{
  g_return_val_if_fail (PS_IS_ANALYSIS_PANEL (self), NAN);
  return self->shown_porosity;
}

const char *
ps_analysis_panel_get_porosity_text (PsAnalysisPanel *self)
{
  g_return_val_if_fail (PS_IS_ANALYSIS_PANEL (self), NULL);
  return gtk_label_get_text (self->porosity_label);
}

gboolean
ps_analysis_panel_get_counts (PsAnalysisPanel *self, gsize *n_pores, gsize *n_carbon)
{
  PsAnalysisResult *r;

  g_return_val_if_fail (PS_IS_ANALYSIS_PANEL (self), FALSE);
  r = current_result (self);
  if (r == NULL || !self->separated)
    return FALSE;
  if (n_pores)
    *n_pores = r->pores.count;
  if (n_carbon)
    *n_carbon = r->carbon.count;
  return TRUE;
}

gboolean
ps_analysis_panel_is_current (PsAnalysisPanel *self)
{
  g_return_val_if_fail (PS_IS_ANALYSIS_PANEL (self), FALSE);
  return self->result != NULL && self->result_generation == self->generation && self->running == NULL
         && self->separated;
}

GListModel *
ps_analysis_panel_get_table_model (PsAnalysisPanel *self)
{
  g_return_val_if_fail (PS_IS_ANALYSIS_PANEL (self), NULL);
  return G_LIST_MODEL (self->sorted);
}

const char *
ps_analysis_panel_get_last_export (PsAnalysisPanel *self)
{
  g_return_val_if_fail (PS_IS_ANALYSIS_PANEL (self), NULL);
  return self->last_export;
}

GtkWidget *
ps_analysis_panel_get_table (PsAnalysisPanel *self)
{
  g_return_val_if_fail (PS_IS_ANALYSIS_PANEL (self), NULL);
  return GTK_WIDGET (self->table);
}

gboolean
ps_analysis_panel_preview_threshold (PsAnalysisPanel *self, double t)
{
  g_return_val_if_fail (PS_IS_ANALYSIS_PANEL (self), FALSE);
  if (!can_preview (self) || !isfinite (t))
    return FALSE;
  self->updating = TRUE;
  gtk_adjustment_set_value (self->threshold_adjustment, t);
  self->updating = FALSE;
  preview_threshold (self, t);
  return TRUE;
}

/* ---- seed clicks in the slice views ---------------------------------------------------- */

gboolean
_ps_analysis_panel_click (PsAnalysisPanel *self, PsSliceView *view, double x, double y, GdkModifierType state)
{
  gboolean ctrl = (state & GDK_CONTROL_MASK) != 0, shift = (state & GDK_SHIFT_MASK) != 0;
  PsVolume *vol = ps_document_get_volume (self->document);
  double v[3], s[3], nm[3];
  gsize n[3];

  if (!self->seed_mode || vol == NULL || !ps_slice_view_widget_to_voxel (view, x, y, v))
    return FALSE;
  n[0] = vol->nx;
  n[1] = vol->ny;
  n[2] = vol->nz;
  ps_document_get_spacing (self->document, s);
  for (int a = 0; a < 3; a++)
    {
      /* The voxel under the pointer (centres at integers), as its centre in nm. */
      double f = floor (v[a] + 0.5);
      if (!(f >= 0) || f >= (double) n[a])
        return FALSE;
      nm[a] = (f + 0.5) * s[a];
    }
  if (shift)
    {
      /* Merge: the first Shift-click picks an object, the second merges. */
      if (!self->has_merge_first)
        {
          memcpy (self->merge_first, nm, sizeof nm);
          self->has_merge_first = TRUE;
          update_edits_label (self);
          return TRUE;
        }
      self->has_merge_first = FALSE;
      g_action_group_activate_action (G_ACTION_GROUP (self->actions), "merge-objects",
                                      g_variant_new ("(dddddd)", self->merge_first[0], self->merge_first[1],
                                                     self->merge_first[2], nm[0], nm[1], nm[2]));
      return TRUE;
    }
  self->has_merge_first = FALSE;
  g_action_group_activate_action (G_ACTION_GROUP (self->actions), ctrl ? "remove-seed" : "add-seed",
                                  g_variant_new ("(ddd)", nm[0], nm[1], nm[2]));
  return TRUE;
}

static void
seed_click_pressed (GtkGestureClick *gesture, int n_press, double x, double y, PsAnalysisPanel *self)
{
  PsSliceView *view = g_object_get_data (G_OBJECT (gesture), "view");
  GdkModifierType state = gtk_event_controller_get_current_event_state (GTK_EVENT_CONTROLLER (gesture));

  if (n_press != 1 || !self->seed_mode)
    {
      gtk_gesture_set_state (GTK_GESTURE (gesture), GTK_EVENT_SEQUENCE_DENIED);
      return;
    }
  /* Claimed in the capture phase: the view neither pans nor moves the crosshair. */
  if (_ps_analysis_panel_click (self, view, x, y, state))
    gtk_gesture_set_state (GTK_GESTURE (gesture), GTK_EVENT_SEQUENCE_CLAIMED);
  else
    gtk_gesture_set_state (GTK_GESTURE (gesture), GTK_EVENT_SEQUENCE_DENIED);
}

void
ps_analysis_panel_attach_view (PsAnalysisPanel *self, PsSliceView *view)
{
  GtkGesture *click;

  g_return_if_fail (PS_IS_ANALYSIS_PANEL (self));
  click = gtk_gesture_click_new ();
  gtk_gesture_single_set_button (GTK_GESTURE_SINGLE (click), GDK_BUTTON_PRIMARY);
  gtk_event_controller_set_propagation_phase (GTK_EVENT_CONTROLLER (click), GTK_PHASE_CAPTURE);
  gtk_event_controller_set_name (GTK_EVENT_CONTROLLER (click), "seed-tool");
  g_object_set_data (G_OBJECT (click), "view", view);
  g_signal_connect_object (click, "pressed", G_CALLBACK (seed_click_pressed), self, 0);
  gtk_widget_add_controller (ps_slice_view_get_canvas (view), GTK_EVENT_CONTROLLER (click));
}

guint
ps_analysis_panel_get_n_edits (PsAnalysisPanel *self)
{
  g_return_val_if_fail (PS_IS_ANALYSIS_PANEL (self), 0);
  return self->n_applied;
}

gboolean
ps_analysis_panel_save_edits (PsAnalysisPanel *self, const char *path, GError **error)
{
  g_autoptr (PsSeedEdits) edits = NULL;

  g_return_val_if_fail (PS_IS_ANALYSIS_PANEL (self), FALSE);
  edits = edits_in_effect (self);
  return ps_seed_edits_save (edits, path, error);
}

/* ---- sessions ------------------------------------------------------------------------- */

void
ps_analysis_panel_to_session (PsAnalysisPanel *self, PsSession *session)
{
  g_autoptr (PsSeedEdits) edits = NULL;
  PsAnalysisParams p;

  g_return_if_fail (PS_IS_ANALYSIS_PANEL (self));
  g_return_if_fail (session != NULL);
  p = self->params;
  /* The session's subvolume: the document's, or none (the whole volume). */
  if (!ps_document_get_subvolume (self->document, &p.subvolume))
    memset (&p.subvolume, 0, sizeof p.subvolume);
  edits = edits_in_effect (self);
  ps_seed_edits_to_params (edits, &p);
  ps_session_set_params (session, &p);
}

void
ps_analysis_panel_from_session (PsAnalysisPanel *self, const PsSession *session)
{
  PsAnalysisParams p;

  g_return_if_fail (PS_IS_ANALYSIS_PANEL (self));
  g_return_if_fail (session != NULL);
  ps_session_to_params (session, &p);
  /* The subvolume is the document's (ps_session_apply_view sets it); the
   * edits become the panel's own, in effect and undoable. */
  g_array_set_size (self->edits, 0);
  for (size_t i = 0; i < p.n_seeds_add; i++)
    {
      Edit e = { EDIT_ADD };
      memcpy (e.a, p.seeds_add[i], sizeof e.a);
      g_array_append_val (self->edits, e);
    }
  for (size_t i = 0; i < p.n_seeds_remove; i++)
    {
      Edit e = { EDIT_REMOVE };
      memcpy (e.a, p.seeds_remove[i], sizeof e.a);
      g_array_append_val (self->edits, e);
    }
  for (size_t i = 0; i < p.n_merges; i++)
    {
      Edit e = { EDIT_MERGE };
      memcpy (e.a, p.merges[i].a_nm, sizeof e.a);
      memcpy (e.b, p.merges[i].b_nm, sizeof e.b);
      g_array_append_val (self->edits, e);
    }
  self->n_applied = self->edits->len;
  p.seeds_add = NULL;
  p.seeds_remove = NULL;
  p.merges = NULL;
  p.n_seeds_add = p.n_seeds_remove = p.n_merges = 0;
  memset (&p.subvolume, 0, sizeof p.subvolume);
  self->params = p;
  params_changed (self);
  self->updating = TRUE;
  if (p.smooth != PS_SMOOTH_MEDIAN)
    gtk_adjustment_set_value (self->smoothing_adjustment, p.smooth == PS_SMOOTH_GAUSSIAN ? p.smooth_sigma_nm : 0.0);
  if (p.h_nm >= 0)
    gtk_adjustment_set_value (self->h_adjustment, p.h_nm);
  self->updating = FALSE;
  if (!p.threshold_auto)
    self->shown_threshold = p.threshold;
  update_edits_label (self);
  sync_action_state (self);
}


void
ps_analysis_panel_set_volume_view (PsAnalysisPanel *self, PsVolumeView *view)
{
  g_return_if_fail (PS_IS_ANALYSIS_PANEL (self));
  if (self->volume_view != NULL)
    g_object_remove_weak_pointer (G_OBJECT (self->volume_view), (gpointer *) &self->volume_view);
  self->volume_view = view;
  if (view != NULL)
    g_object_add_weak_pointer (G_OBJECT (view), (gpointer *) &self->volume_view);
}
