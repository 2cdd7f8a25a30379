/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "ps-application"

#include "config.h"

#include <glib/gi18n.h>
#include <stdio.h>

#include "ps-application-private.h"
#include "ps-application.h"
#include "ps-figure.h"
#include "ps-movie.h"
#include "ps-job.h"
#include "ps-memory.h"
#include "ps-preferences-window.h"
#include "ps-resources.h"
#include "ps-window.h"

/* A --screenshot that has not settled after this long gives up (s). */
#define SCREENSHOT_TIMEOUT_S 300

/* What the command line asked for once the window is up. */
typedef enum
{
  PS_STARTUP_INTERACTIVE,
  PS_STARTUP_EXIT_AFTER_STARTUP,
  PS_STARTUP_SCREENSHOT,
  PS_STARTUP_FIGURE,
  PS_STARTUP_MOVIE,
} PsStartupMode;

struct _PsApplication
{
  AdwApplication parent_instance;

  /* Owned. */
  GSettings *settings;
  char *screenshot_path;
  char *figure_path;
  PsFigureOptions figure_options;
  char *movie_path;
  char *movie_kind;
  PsMovieOptions movie_options;
  char *angles;

  PsStartupMode mode;
  gboolean demo;
  int exit_status;
  guint timeout_id;
};

G_DEFINE_FINAL_TYPE (PsApplication, ps_application, ADW_TYPE_APPLICATION)

/* ---- Command line ----------------------------------------------------------
 * Options are parsed in handle-local-options (in the launching process);
 * anything that needs a window is stored and applied in activate/open. To add
 * a mode: an entry here, a PsStartupMode, a case in startup_mode_begin(). */

static const GOptionEntry option_entries[] = {
  { "version", 'v', 0, G_OPTION_ARG_NONE, NULL, N_("Show the version and exit"), NULL },
  { "demo", 0, 0, G_OPTION_ARG_NONE, NULL, N_("Open the demo dataset (a simulated hard-carbon particle)"), NULL },
  { "angles", 0, 0, G_OPTION_ARG_STRING, NULL,
    N_("Open FILE as a tilt series with these angles (a .tlt file or START:STOP:STEP)"), N_("SPEC") },
  { "screenshot", 0, 0, G_OPTION_ARG_FILENAME, NULL,
    N_("Write a PNG of the window once FILE (or the welcome page) is shown, then exit"), N_("OUT.png") },
  { "figure", 0, 0, G_OPTION_ARG_FILENAME, NULL,
    N_("Write a figure of FILE (orthoslices, 3D view, size histograms) as PNG, SVG or PDF, then exit"),
    N_("OUT.png|OUT.svg|OUT.pdf") },
  { "figure-width", 0, 0, G_OPTION_ARG_DOUBLE, NULL, N_("Figure width in mm (default 180)"), N_("MM") },
  { "figure-height", 0, 0, G_OPTION_ARG_DOUBLE, NULL, N_("Figure height in mm (default: as the panels need)"),
    N_("MM") },
  { "figure-dpi", 0, 0, G_OPTION_ARG_DOUBLE, NULL, N_("Figure resolution for PNG (default 300)"), N_("DPI") },
  { "movie", 0, 0, G_OPTION_ARG_FILENAME, NULL,
    N_("Write a movie of FILE (a .webm video, or PNG frames into a new folder), then exit"), N_("OUT") },
  { "movie-kind", 0, 0, G_OPTION_ARG_STRING, NULL, N_("rotate (the 3D view, 360°) or sweep (xy slices through z)"),
    N_("KIND") },
  { "movie-frames", 0, 0, G_OPTION_ARG_INT, NULL, N_("Number of frames (default 72)"), N_("N") },
  { "movie-fps", 0, 0, G_OPTION_ARG_INT, NULL, N_("Frames per second of the video (default 24)"), N_("N") },
  { "movie-overlay", 0, 0, G_OPTION_ARG_NONE, NULL, N_("Show the segmentation in the movie"), NULL },
  /* Handled in main() before GApplication (ps-render-3d.c); listed for --help. */
  { "render-3d", 0, 0, G_OPTION_ARG_FILENAME, NULL,
    N_("Render the 3D view of FILE to a PNG and exit (more: porescope --render-3d OUT.png --help)"), N_("OUT.png") },
  { "exit-after-startup", 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_NONE, NULL,
    N_("Quit as soon as the window has been drawn (for tests)"), NULL },
  { NULL }
};

static int
ps_application_handle_local_options (GApplication *app, GVariantDict *options)
{
  PsApplication *self = PS_APPLICATION (app);

  if (g_variant_dict_contains (options, "version"))
    {
      g_print ("porescope %s\n", PACKAGE_VERSION);
      return 0;
    }
  g_variant_dict_lookup (options, "screenshot", "^ay", &self->screenshot_path);
  g_variant_dict_lookup (options, "angles", "s", &self->angles);
  g_variant_dict_lookup (options, "figure", "^ay", &self->figure_path);
  g_variant_dict_lookup (options, "figure-width", "d", &self->figure_options.width_mm);
  g_variant_dict_lookup (options, "figure-height", "d", &self->figure_options.height_mm);
  g_variant_dict_lookup (options, "figure-dpi", "d", &self->figure_options.dpi);
  self->demo = g_variant_dict_contains (options, "demo");
  g_variant_dict_lookup (options, "movie", "^ay", &self->movie_path);
  g_variant_dict_lookup (options, "movie-kind", "s", &self->movie_kind);
  {
    int n;
    if (g_variant_dict_lookup (options, "movie-frames", "i", &n))
      self->movie_options.n_frames = n < 1 ? 0 : (guint) n;
    if (g_variant_dict_lookup (options, "movie-fps", "i", &n))
      self->movie_options.fps = n < 1 ? 0 : (guint) n;
  }
  self->movie_options.overlay = g_variant_dict_contains (options, "movie-overlay");
  if (self->movie_kind != NULL)
    {
      if (g_str_equal (self->movie_kind, "rotate"))
        self->movie_options.kind = PS_MOVIE_ROTATE;
      else if (g_str_equal (self->movie_kind, "sweep"))
        self->movie_options.kind = PS_MOVIE_SWEEP;
      else
        {
          g_printerr ("porescope: --movie-kind: %s\n", _("rotate or sweep"));
          return 2;
        }
    }
  if (self->movie_path != NULL)
    {
      if (self->movie_options.n_frames < 1 || self->movie_options.n_frames > 10000 || self->movie_options.fps < 1
          || self->movie_options.fps > 120)
        {
          g_printerr ("porescope: %s\n", _("--movie-frames must be 1 to 10000 and --movie-fps 1 to 120"));
          return 2;
        }
      self->mode = PS_STARTUP_MOVIE;
    }
  else if (self->figure_path != NULL)
    {
      PsFigureFormat format;
      if (!ps_figure_format_from_path (self->figure_path, &format))
        {
          g_printerr ("porescope: --figure: %s: %s\n", self->figure_path,
                      _("the figure must be a .png, .svg or .pdf file"));
          return 2;
        }
      self->mode = PS_STARTUP_FIGURE;
    }
  else if (self->screenshot_path != NULL)
    self->mode = PS_STARTUP_SCREENSHOT;
  else if (g_variant_dict_contains (options, "exit-after-startup"))
    self->mode = PS_STARTUP_EXIT_AFTER_STARTUP;

  /* Automated runs must not hand their work to an instance already running
   * (or need a session bus at all). */
  if (self->mode != PS_STARTUP_INTERACTIVE)
    g_application_set_flags (app, g_application_get_flags (app) | G_APPLICATION_NON_UNIQUE);
  /* Let GApplication turn the remaining arguments into "open". */
  return -1;
}

static gboolean
screenshot_settled (gpointer user_data)
{
  PsWindow *window = user_data;
  PsApplication *self = PS_APPLICATION (gtk_window_get_application (GTK_WINDOW (window)));
  g_autoptr (GError) error = NULL;

  if (self->exit_status == 0 && !ps_window_save_screenshot (window, self->screenshot_path, &error))
    {
      g_printerr ("porescope: %s\n", error->message);
      self->exit_status = 1;
    }
  g_application_quit (G_APPLICATION (self));
  return G_SOURCE_REMOVE;
}

/* --figure and --movie: the export ends the process, its failure sets the
 * exit status. */
static void
batch_export_done (PsApplication *self, gboolean ok, const GError *error)
{
  if (!ok)
    {
      g_printerr ("porescope: %s\n", error->message);
      if (self->exit_status == 0)
        self->exit_status = 1;
    }
  g_application_quit (G_APPLICATION (self));
  g_application_release (G_APPLICATION (self));
}

/* The window has settled: start the export unless opening the file failed. */
static PsApplication *
batch_export_start (PsWindow *window)
{
  PsApplication *self = PS_APPLICATION (gtk_window_get_application (GTK_WINDOW (window)));

  if (self->exit_status != 0)
    {
      g_application_quit (G_APPLICATION (self));
      return NULL;
    }
  g_application_hold (G_APPLICATION (self));
  return self;
}

static void
figure_written (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GError) error = NULL;
  gboolean ok = ps_window_export_figure_finish (PS_WINDOW (source), result, &error);

  batch_export_done (user_data, ok, error);
}

static gboolean
figure_settled (gpointer user_data)
{
  PsApplication *self = batch_export_start (user_data);

  if (self != NULL)
    ps_window_export_figure (user_data, self->figure_path, &self->figure_options, figure_written, self);
  return G_SOURCE_REMOVE;
}

static void
movie_written (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GError) error = NULL;
  gboolean ok = ps_movie_export_finish (result, &error) != 0;

  batch_export_done (user_data, ok, error);
}

static gboolean
movie_settled (gpointer user_data)
{
  PsApplication *self = batch_export_start (user_data);

  if (self != NULL)
    ps_window_export_movie (user_data, self->movie_path, &self->movie_options, movie_written, self);
  return G_SOURCE_REMOVE;
}

static gboolean
exit_settled (gpointer user_data)
{
  PsWindow *window = user_data;
  g_application_quit (G_APPLICATION (gtk_window_get_application (GTK_WINDOW (window))));
  return G_SOURCE_REMOVE;
}

/* In --screenshot mode a file that cannot be opened ends the run with 2. */
static void
screenshot_error (PsDocument *document, const char *title, GError *error, PsWindow *window)
{
  PsApplication *self = PS_APPLICATION (gtk_window_get_application (GTK_WINDOW (window)));

  g_printerr ("porescope: %s\n", error->message);
  self->exit_status = 2;
  g_application_quit (G_APPLICATION (self));
}

static gboolean
startup_timeout (gpointer user_data)
{
  PsApplication *self = user_data;
  g_printerr ("porescope: %s\n", _("gave up waiting for the window to settle"));
  self->exit_status = 1;
  self->timeout_id = 0;
  g_application_quit (G_APPLICATION (self));
  return G_SOURCE_REMOVE;
}

static void
startup_mode_begin (PsApplication *self, PsWindow *window)
{
  /* Pictures and smoke tests get the documented size, not the last one. */
  if (self->mode != PS_STARTUP_INTERACTIVE)
    {
      gtk_window_unmaximize (GTK_WINDOW (window));
      gtk_window_set_default_size (GTK_WINDOW (window), 1280, 800);
    }
  switch (self->mode)
    {
    case PS_STARTUP_SCREENSHOT:
      g_signal_connect_object (ps_window_get_document (window), "error", G_CALLBACK (screenshot_error), window, 0);
      ps_window_when_settled (window, screenshot_settled, window);
      self->timeout_id = g_timeout_add_seconds (SCREENSHOT_TIMEOUT_S, startup_timeout, self);
      break;
    case PS_STARTUP_FIGURE:
      g_signal_connect_object (ps_window_get_document (window), "error", G_CALLBACK (screenshot_error), window, 0);
      ps_window_when_settled (window, figure_settled, window);
      self->timeout_id = g_timeout_add_seconds (SCREENSHOT_TIMEOUT_S, startup_timeout, self);
      break;
    case PS_STARTUP_MOVIE:
      g_signal_connect_object (ps_window_get_document (window), "error", G_CALLBACK (screenshot_error), window, 0);
      ps_window_when_settled (window, movie_settled, window);
      /* No overall time limit: a long movie takes as long as it takes. */
      break;
    case PS_STARTUP_EXIT_AFTER_STARTUP:
      ps_window_when_settled (window, exit_settled, window);
      self->timeout_id = g_timeout_add_seconds (SCREENSHOT_TIMEOUT_S, startup_timeout, self);
      break;
    case PS_STARTUP_INTERACTIVE:
    default:
      break;
    }
}

static PsWindow *
new_window (PsApplication *self)
{
  PsWindow *window = ps_window_new (GTK_APPLICATION (self));
  gtk_window_present (GTK_WINDOW (window));
  return window;
}

static void
ps_application_activate (GApplication *app)
{
  PsApplication *self = PS_APPLICATION (app);
  GtkWindow *window = gtk_application_get_active_window (GTK_APPLICATION (app));
  gboolean fresh = window == NULL;

  if (window == NULL)
    window = GTK_WINDOW (new_window (self));
  else
    gtk_window_present (window);
  if (self->demo)
    {
      ps_document_load_demo (ps_window_get_document (PS_WINDOW (window)));
      self->demo = FALSE;
    }
  if (fresh)
    startup_mode_begin (self, PS_WINDOW (window));
}

static void
ps_application_open (GApplication *app, GFile **files, int n_files, const char *hint)
{
  PsApplication *self = PS_APPLICATION (app);

  for (int i = 0; i < n_files; i++)
    {
      /* The first file goes into an empty window if there is one. */
      GtkWindow *active = gtk_application_get_active_window (GTK_APPLICATION (app));
      PsWindow *window;
      gboolean fresh = FALSE;

      if (i == 0 && active != NULL && ps_document_get_volume (ps_window_get_document (PS_WINDOW (active))) == NULL)
        window = PS_WINDOW (active);
      else
        {
          window = new_window (self);
          fresh = TRUE;
        }
      ps_window_open_file (window, files[i], self->angles);
      if (fresh && i == 0)
        startup_mode_begin (self, window);
    }
}

/* ---- app actions ------------------------------------------------------------------- */

static void
action_quit (GSimpleAction *action, GVariant *param, gpointer user_data)
{
  g_application_quit (G_APPLICATION (user_data));
}

static void
action_preferences (GSimpleAction *action, GVariant *param, gpointer user_data)
{
  PsApplication *self = user_data;
  GtkWindow *parent = gtk_application_get_active_window (GTK_APPLICATION (self));
  GtkWindow *prefs = GTK_WINDOW (ps_preferences_window_new (self->settings));

  gtk_window_set_transient_for (prefs, parent);
  gtk_window_present (prefs);
}

static void
action_about (GSimpleAction *action, GVariant *param, gpointer user_data)
{
  PsApplication *self = user_data;
  GtkWindow *parent = gtk_application_get_active_window (GTK_APPLICATION (self));
  static const char *developers[] = { "The Porescope developers", NULL };

  adw_show_about_window (parent,
                         "application-name", "Porescope",
                         "application-icon", PS_APP_ID,
                         "version", PACKAGE_VERSION,
                         "developer-name", "The Porescope developers",
                         "developers", developers,
                         "comments", _("Electron tomography of porous materials: from a tilt series to a "
                                       "reconstructed volume, orthoslices, a segmentation and the "
                                       "statistics of every pore."),
                         "website", "https://github.com/porescope/porescope",
                         "issue-url", "https://github.com/porescope/porescope/issues",
                         "license-type", GTK_LICENSE_GPL_3_0,
                         "copyright", "© 2024 The Porescope developers",
                         /* Translators: put your names here, one per line */
                         "translator-credits", _("translator-credits"),
                         NULL);
}

static const GActionEntry app_actions[] = {
  { "quit", action_quit },
  { "preferences", action_preferences },
  { "about", action_about },
};

/* ---- settings that act on the process ---------------------------------------------- */

static void
apply_threads (GSettings *settings, const char *key, PsApplication *self)
{
  ps_job_set_default_n_threads (g_settings_get_int (settings, "threads"));
}

static void
apply_memory_limit (GSettings *settings, const char *key, PsApplication *self)
{
  guint mib = g_settings_get_uint (settings, "memory-limit");
  /* At startup 0 keeps a limit from $PORESCOPE_MEMORY_LIMIT; set to 0 in
   * Preferences (key != NULL), it removes the limit. */
  if (mib > 0 || key != NULL)
    ps_memory_set_limit ((size_t) mib << 20);
}

static void
apply_color_scheme (GSettings *settings, const char *key, PsApplication *self)
{
  g_autofree char *scheme = g_settings_get_string (settings, "color-scheme");
  AdwStyleManager *manager = adw_style_manager_get_default ();

  if (g_str_equal (scheme, "light"))
    adw_style_manager_set_color_scheme (manager, ADW_COLOR_SCHEME_FORCE_LIGHT);
  else if (g_str_equal (scheme, "dark"))
    adw_style_manager_set_color_scheme (manager, ADW_COLOR_SCHEME_FORCE_DARK);
  else
    adw_style_manager_set_color_scheme (manager, ADW_COLOR_SCHEME_DEFAULT);
}

/* The settings schema: installed, or compiled in the build tree when running
 * uninstalled (./run.sh, the tests). */
static GSettings *
create_settings (void)
{
  GSettingsSchemaSource *source = g_settings_schema_source_get_default ();
  g_autoptr (GSettingsSchema) schema = NULL;

  if (source != NULL)
    schema = g_settings_schema_source_lookup (source, PS_APP_ID, TRUE);
  if (schema == NULL)
    {
      g_autoptr (GError) error = NULL;
      g_autofree char *dir = g_build_filename (PS_BUILD_DIR, "resources", NULL);
      g_autoptr (GSettingsSchemaSource) built = g_settings_schema_source_new_from_directory (dir, source, FALSE, &error);
      if (built != NULL)
        schema = g_settings_schema_source_lookup (built, PS_APP_ID, FALSE);
    }
  if (schema == NULL)
    g_error ("The settings schema %s is not installed (and %s/resources has none)", PS_APP_ID, PS_BUILD_DIR);
  return g_settings_new_full (schema, NULL, NULL);
}

static void
ps_application_startup (GApplication *app)
{
  PsApplication *self = PS_APPLICATION (app);
  static const char *quit_accels[] = { "<Control>q", NULL };
  static const char *close_accels[] = { "<Control>w", NULL };
  static const char *prefs_accels[] = { "<Control>comma", NULL };

  G_APPLICATION_CLASS (ps_application_parent_class)->startup (app);

  g_action_map_add_action_entries (G_ACTION_MAP (app), app_actions, G_N_ELEMENTS (app_actions), app);
  gtk_application_set_accels_for_action (GTK_APPLICATION (app), "app.quit", quit_accels);
  gtk_application_set_accels_for_action (GTK_APPLICATION (app), "window.close", close_accels);
  gtk_application_set_accels_for_action (GTK_APPLICATION (app), "app.preferences", prefs_accels);

  self->settings = create_settings ();
  g_signal_connect (self->settings, "changed::threads", G_CALLBACK (apply_threads), self);
  g_signal_connect (self->settings, "changed::memory-limit", G_CALLBACK (apply_memory_limit), self);
  g_signal_connect (self->settings, "changed::color-scheme", G_CALLBACK (apply_color_scheme), self);
  apply_threads (self->settings, NULL, self);
  apply_memory_limit (self->settings, NULL, self);
  apply_color_scheme (self->settings, NULL, self);
}

/* ---- GObject ------------------------------------------------------------------------ */

static void
ps_application_dispose (GObject *object)
{
  PsApplication *self = PS_APPLICATION (object);

  g_clear_handle_id (&self->timeout_id, g_source_remove);
  g_clear_object (&self->settings);

  G_OBJECT_CLASS (ps_application_parent_class)->dispose (object);
}

static void
ps_application_finalize (GObject *object)
{
  PsApplication *self = PS_APPLICATION (object);

  g_clear_pointer (&self->screenshot_path, g_free);
  g_clear_pointer (&self->figure_path, g_free);
  g_clear_pointer (&self->movie_path, g_free);
  g_clear_pointer (&self->movie_kind, g_free);
  g_clear_pointer (&self->angles, g_free);

  G_OBJECT_CLASS (ps_application_parent_class)->finalize (object);
}

static void
ps_application_class_init (PsApplicationClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GApplicationClass *app_class = G_APPLICATION_CLASS (klass);

  object_class->dispose = ps_application_dispose;
  object_class->finalize = ps_application_finalize;
  app_class->handle_local_options = ps_application_handle_local_options;
  app_class->startup = ps_application_startup;
  app_class->activate = ps_application_activate;
  app_class->open = ps_application_open;
}

static void
ps_application_init (PsApplication *self)
{
  ps_figure_options_init (&self->figure_options);
  ps_movie_options_init (&self->movie_options);
  g_application_add_main_option_entries (G_APPLICATION (self), option_entries);
  g_application_set_option_context_parameter_string (G_APPLICATION (self), _("[FILE…]"));
  g_application_set_option_context_summary (G_APPLICATION (self),
                                            _("View and measure electron tomograms of porous materials."));
  g_application_set_option_context_description (G_APPLICATION (self),
                                                 _("FILE is a TIFF stack, an MRC/CCP4 file (.mrc, .rec, .st, "
                                                   ".ali, .map, also gzipped) or a Gatan DM3/DM4 file.\n"
                                                   "Headless tools: porescope-cli --help"));
}

void
_ps_application_ensure_resources (void)
{
  static gsize done;
  if (g_once_init_enter (&done))
    {
      ps_register_resource ();
      g_once_init_leave (&done, 1);
    }
}

PsApplication *
ps_application_new (void)
{
  _ps_application_ensure_resources ();
  return g_object_new (PS_TYPE_APPLICATION,
                       "application-id", PS_APP_ID,
                       "flags", G_APPLICATION_HANDLES_OPEN,
                       "resource-base-path", "/io/github/porescope/Porescope",
                       NULL);
}

/**
 * ps_application_get_settings:
 *
 * Returns: (transfer none):
 */
GSettings *
ps_application_get_settings (PsApplication *self)
{
  g_return_val_if_fail (PS_IS_APPLICATION (self), NULL);
  return self->settings;
}

int
ps_application_get_exit_status (PsApplication *self)
{
  g_return_val_if_fail (PS_IS_APPLICATION (self), 1);
  return self->exit_status;
}
