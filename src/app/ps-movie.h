/* SPDX-License-Identifier: GPL-3.0-or-later */
/* ps-movie.h: the two animations of a study — a 360° rotation of the 3D
 * view and an orthoslice sweep through the volume (xy slices from the first
 * to the last z), with or without the segmentation — as a PNG frame
 * sequence or a WebM (VP8) video.
 *
 * Output by @path: "….webm" is a video (GStreamer: appsrc ! videoconvert !
 * vp8enc ! webmmux ! filesink; needs a build with GStreamer, see
 * ps_movie_have_webm()); anything else is a folder that receives
 * frame-0000.png, frame-0001.png, …. Either is written beside the target
 * under a temporary name and renamed into place only when complete, so a
 * cancelled or failed movie leaves nothing at @path (an existing folder
 * must be empty; it is replaced).
 *
 * Frames are rendered on the main thread, one per idle step (GL only there;
 * the 3D view's camera and mode are changed for the frame and restored, so
 * the pane does not move); encoding runs in GStreamer's threads, fed through
 * appsrc with back-pressure. Progress and Cancel are the document's job
 * banner: the movie runs as the document's job (a newer job cancels it).
 *
 * Rotation: about the view's vertical axis, frame i at 360°·i/N, in the
 * view's mode, or Phases when @overlay and the document has label layers
 * (without @overlay a Phases view renders as Volume). Sweep: frame i shows
 * z = ⌊i·nz/N⌋ with the display window, the colour map and (with @overlay)
 * the visible label layers, scaled without interpolation.
 */
#pragma once

#include <gtk/gtk.h>

#include "ps-document.h"
#include "ps-volume-view.h"

G_BEGIN_DECLS

typedef enum
{
  PS_MOVIE_ROTATE,
  PS_MOVIE_SWEEP,
} PsMovieKind;

typedef struct
{
  PsMovieKind kind;
  guint n_frames;     /* 1 … 10000 (default 72) */
  gboolean overlay;   /* show the segmentation */
  int width, height;  /* rotation frame size (default 960 × 720; even) */
  guint fps;          /* WebM frame rate (default 24) */
} PsMovieOptions;

void     ps_movie_options_init (PsMovieOptions *options);
/* Options from the a{sv} of win.export-movie: kind ("rotate" | "sweep"),
 * frames (u or i), overlay (b), width, height, fps (i or u), path (s). */
gboolean ps_movie_options_from_variant (GVariant        *dict,
                                        PsMovieOptions  *options,
                                        char           **path,
                                        GError         **error);
/* Whether WebM output is built in (GStreamer found at build time). */
gboolean ps_movie_have_webm    (void);

void     ps_movie_export_async (PsDocument            *document,
                                PsVolumeView          *view,
                                const char            *path,
                                const PsMovieOptions  *options,
                                GAsyncReadyCallback    callback,
                                gpointer               user_data);
/* Returns the number of frames written, 0 with @error (G_IO_ERROR_CANCELLED
 * when cancelled). */
guint    ps_movie_export_finish (GAsyncResult         *result,
                                 GError              **error);

G_END_DECLS
