/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "ps-export"

#include "config.h"

#include <glib/gi18n.h>
#include <math.h>

#include "ps-atomic-file.h"
#include "ps-error.h"
#include "ps-export.h"
#include "ps-memory.h"

/* Largest exported edge: beyond this a PNG is unwieldy and the anisotropy
 * stretch of a degenerate voxel size could explode the pixel count. */
#define MAX_EDGE 16384

static GdkTexture *
render_slice (PsDocument *document, PsSliceOrientation orientation, gsize index, int with_overlays, gboolean stretch,
              GError **error)
{
  PsVolume *vol = ps_document_get_volume (document);
  PsSliceOverlay overlays[PS_SLICE_MAX_OVERLAYS];
  g_autofree float *slice = NULL;
  g_autofree guint32 *pixels = NULL;
  guint32 *labels[PS_SLICE_MAX_OVERLAYS] = { NULL };
  gsize w, h, n_overlays = 0;
  double spacing[3], lo, hi;
  int col_axis, row_axis;
  GdkTexture *texture = NULL;

  g_return_val_if_fail (PS_IS_DOCUMENT (document), NULL);

  if (vol == NULL)
    {
      g_set_error_literal (error, PS_ERROR, PS_ERROR_CODE_INVALID_PARAMETER, _("There is no volume to export"));
      return NULL;
    }
  ps_slice_size (orientation, vol->nx, vol->ny, vol->nz, &w, &h);
  ps_slice_axes (orientation, &col_axis, &row_axis);
  ps_document_get_spacing (document, spacing);
  double unit = fmin (spacing[col_axis], spacing[row_axis]);
  gsize ow = stretch ? (gsize) llround (w * spacing[col_axis] / unit) : w;
  gsize oh = stretch ? (gsize) llround (h * spacing[row_axis] / unit) : h;
  if (ow == 0 || oh == 0 || ow > MAX_EDGE || oh > MAX_EDGE)
    {
      g_set_error (error, PS_ERROR, PS_ERROR_CODE_TOO_LARGE,
                   _("A %zu × %zu pixel picture is too large to export"), ow, oh);
      return NULL;
    }

  slice = g_try_new (float, w * h);
  pixels = g_try_new (guint32, ow * oh);
  if (slice == NULL || pixels == NULL)
    {
      ps_set_error_too_large (error, _("Export"), (guint64) (w * h + ow * oh) * 4);
      return NULL;
    }
  {
    gsize nmax = orientation == PS_SLICE_XY ? vol->nz : orientation == PS_SLICE_XZ ? vol->ny : vol->nx;
    if (index >= nmax)
      {
        g_set_error (error, PS_ERROR, PS_ERROR_CODE_INVALID_PARAMETER, _("Slice %zu is outside the volume"), index);
        return NULL;
      }
  }
  ps_slice_extract_volume (vol, orientation, index, slice, 0);

  if (with_overlays > 0 || (with_overlays < 0 && ps_document_get_show_overlays (document)))
    for (guint i = 0; i < ps_document_get_n_overlays (document) && n_overlays < PS_SLICE_MAX_OVERLAYS; i++)
      {
        const PsOverlayLayer *layer = ps_document_get_overlay (document, i);
        if (!layer->visible)
          continue;
        labels[n_overlays] = g_try_new (guint32, w * h);
        if (labels[n_overlays] == NULL)
          break;
        ps_slice_extract_labels (layer->labels, orientation, index, labels[n_overlays], 0);
        overlays[n_overlays].labels = labels[n_overlays];
        overlays[n_overlays].mode = layer->mode;
        overlays[n_overlays].color = ps_document_get_overlay_color (document, layer);
        overlays[n_overlays].alpha = (float) ps_document_get_overlay_alpha (document, layer);
        n_overlays++;
      }

  ps_document_get_window (document, &lo, &hi);
  PsSliceRender r = {
    .slice = slice,
    .width = w,
    .height = h,
    .x0 = 0,
    .y0 = 0,
    .dx = (double) w / ow,
    .dy = (double) h / oh,
    .lo = (float) lo,
    .hi = (float) hi,
    .colormap = ps_document_get_colormap (document),
    .interpolation = ps_document_get_interpolation (document),
    .background = 0,
    .nan_color = 0x5a1e5a,
    .overlays = overlays,
    .n_overlays = n_overlays,
  };
  if (ps_slice_render (&r, pixels, ow, oh, ow, 0) == PS_OK)
    {
      g_autoptr (GBytes) bytes = g_bytes_new_take (g_steal_pointer (&pixels), ow * oh * 4);
      texture = gdk_memory_texture_new ((int) ow, (int) oh, GDK_MEMORY_DEFAULT, bytes, ow * 4);
    }
  else
    g_set_error_literal (error, PS_ERROR, PS_ERROR_CODE_FAILED, _("The slice could not be rendered"));
  for (gsize i = 0; i < n_overlays; i++)
    g_free (labels[i]);
  return texture;
}

GdkTexture *
ps_export_render_slice (PsDocument *document, PsSliceOrientation orientation, GError **error)
{
  return render_slice (document, orientation, ps_document_get_slice (document, orientation), -1, TRUE, error);
}

GdkTexture *
ps_export_render_slice_voxels (PsDocument *document, PsSliceOrientation orientation, GError **error)
{
  return render_slice (document, orientation, ps_document_get_slice (document, orientation), -1, FALSE, error);
}

GdkTexture *
ps_export_render_slice_at (PsDocument *document, PsSliceOrientation orientation, gsize index, gboolean overlays,
                           GError **error)
{
  return render_slice (document, orientation, index, overlays ? 1 : 0, TRUE, error);
}

gboolean
ps_export_texture_png (GdkTexture *texture, const char *path, GError **error)
{
  g_autoptr (GBytes) png = NULL;

  g_return_val_if_fail (GDK_IS_TEXTURE (texture), FALSE);
  g_return_val_if_fail (path != NULL, FALSE);

  png = gdk_texture_save_to_png_bytes (texture);
  if (png == NULL)
    {
      g_set_error (error, PS_ERROR, PS_ERROR_CODE_FAILED, _("%s: could not encode the PNG"), path);
      return FALSE;
    }
  return ps_write_file_atomic (path, g_bytes_get_data (png, NULL), g_bytes_get_size (png), error);
}

gboolean
ps_export_slice_png (PsDocument *document, PsSliceOrientation orientation, const char *path, GError **error)
{
  g_autoptr (GdkTexture) texture = ps_export_render_slice (document, orientation, error);
  return texture != NULL && ps_export_texture_png (texture, path, error);
}

GdkTexture *
ps_export_widget_texture (GtkWidget *widget, GError **error)
{
  GtkNative *native;
  GskRenderer *renderer;
  g_autoptr (GdkPaintable) paintable = NULL;
  g_autoptr (GtkSnapshot) snapshot = NULL;
  g_autoptr (GskRenderNode) node = NULL;
  int width, height;

  g_return_val_if_fail (GTK_IS_WIDGET (widget), NULL);

  native = gtk_widget_get_native (widget);
  width = gtk_widget_get_width (widget);
  height = gtk_widget_get_height (widget);
  if (native == NULL || (renderer = gtk_native_get_renderer (native)) == NULL || width <= 0 || height <= 0)
    {
      g_set_error_literal (error, PS_ERROR, PS_ERROR_CODE_FAILED, _("The window is not shown yet"));
      return NULL;
    }
  paintable = gtk_widget_paintable_new (widget);
  snapshot = gtk_snapshot_new ();
  gdk_paintable_snapshot (paintable, snapshot, width, height);
  node = gtk_snapshot_free_to_node (g_steal_pointer (&snapshot));
  if (node == NULL)
    {
      g_set_error_literal (error, PS_ERROR, PS_ERROR_CODE_FAILED, _("Nothing was drawn"));
      return NULL;
    }
  return gsk_renderer_render_texture (renderer, node, &GRAPHENE_RECT_INIT (0, 0, width, height));
}
