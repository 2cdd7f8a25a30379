/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "ps-preferences"

#include "config.h"

#include "ps-application-private.h"

#include <glib/gi18n.h>

#include "ps-document.h"
#include "ps-preferences-window.h"

struct _PsPreferencesWindow
{
  AdwPreferencesWindow parent_instance;

  /* Template widgets. */
  AdwComboRow *color_scheme_row;
  AdwComboRow *interpolation_row;
  AdwComboRow *colormap_row;
  GtkSwitch *crosshair_switch;
  GtkColorButton *carbon_button;
  GtkColorButton *pore_button;
  GtkAdjustment *opacity_adjustment;
  AdwActionRow *threads_row;
  GtkAdjustment *threads_adjustment;
  GtkAdjustment *memory_adjustment;

  /* Owned. */
  GSettings *settings;
};

G_DEFINE_FINAL_TYPE (PsPreferencesWindow, ps_preferences_window, ADW_TYPE_PREFERENCES_WINDOW)

enum
{
  PROP_0,
  PROP_SETTINGS,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* String keys with <choices> ⇄ a combo row's index. */
static const char *const color_schemes[] = { "default", "light", "dark", NULL };
static const char *const interpolations[] = { "nearest", "linear", NULL };
static const char *const colormaps[] = { "gray", "inverted", NULL };

static gboolean
choice_get (GValue *value, GVariant *variant, gpointer user_data)
{
  const char *const *choices = user_data;
  const char *s = g_variant_get_string (variant, NULL);
  for (guint i = 0; choices[i] != NULL; i++)
    if (g_str_equal (s, choices[i]))
      {
        g_value_set_uint (value, i);
        return TRUE;
      }
  g_value_set_uint (value, 0);
  return TRUE;
}

static GVariant *
choice_set (const GValue *value, const GVariantType *type, gpointer user_data)
{
  const char *const *choices = user_data;
  guint i = g_value_get_uint (value);
  if (i >= g_strv_length ((char **) choices))
    return NULL;
  return g_variant_new_string (choices[i]);
}

static gboolean
color_get (GValue *value, GVariant *variant, gpointer user_data)
{
  GdkRGBA rgba;
  if (!gdk_rgba_parse (&rgba, g_variant_get_string (variant, NULL)))
    return FALSE;
  g_value_set_boxed (value, &rgba);
  return TRUE;
}

static GVariant *
color_set (const GValue *value, const GVariantType *type, gpointer user_data)
{
  const GdkRGBA *rgba = g_value_get_boxed (value);
  g_autofree char *text = NULL;
  if (rgba == NULL)
    return NULL;
  text = ps_color_to_string (((guint32) (rgba->red * 255 + 0.5) << 16) | ((guint32) (rgba->green * 255 + 0.5) << 8)
                             | (guint32) (rgba->blue * 255 + 0.5));
  return g_variant_new_string (text);
}

static gboolean
number_get (GValue *value, GVariant *variant, gpointer user_data)
{
  if (g_variant_is_of_type (variant, G_VARIANT_TYPE_INT32))
    g_value_set_double (value, g_variant_get_int32 (variant));
  else if (g_variant_is_of_type (variant, G_VARIANT_TYPE_UINT32))
    g_value_set_double (value, g_variant_get_uint32 (variant));
  else
    return FALSE;
  return TRUE;
}

static GVariant *
number_set (const GValue *value, const GVariantType *type, gpointer user_data)
{
  double v = g_value_get_double (value);
  if (g_variant_type_equal (type, G_VARIANT_TYPE_INT32))
    return g_variant_new_int32 ((gint32) v);
  return g_variant_new_uint32 ((guint32) MAX (v, 0));
}

static void
restore_colors (GtkButton *button, PsPreferencesWindow *self)
{
  g_settings_reset (self->settings, "carbon-color");
  g_settings_reset (self->settings, "pore-color");
  g_settings_reset (self->settings, "overlay-opacity");
}

static void
bind_settings (PsPreferencesWindow *self)
{
  GSettings *s = self->settings;
  g_autofree char *threads_hint = NULL;

  g_settings_bind_with_mapping (s, "color-scheme", self->color_scheme_row, "selected", G_SETTINGS_BIND_DEFAULT,
                                choice_get, choice_set, (gpointer) color_schemes, NULL);
  g_settings_bind_with_mapping (s, "interpolation", self->interpolation_row, "selected", G_SETTINGS_BIND_DEFAULT,
                                choice_get, choice_set, (gpointer) interpolations, NULL);
  g_settings_bind_with_mapping (s, "colormap", self->colormap_row, "selected", G_SETTINGS_BIND_DEFAULT,
                                choice_get, choice_set, (gpointer) colormaps, NULL);
  g_settings_bind (s, "show-crosshair", self->crosshair_switch, "active", G_SETTINGS_BIND_DEFAULT);
  g_settings_bind_with_mapping (s, "carbon-color", self->carbon_button, "rgba", G_SETTINGS_BIND_DEFAULT,
                                color_get, color_set, NULL, NULL);
  g_settings_bind_with_mapping (s, "pore-color", self->pore_button, "rgba", G_SETTINGS_BIND_DEFAULT,
                                color_get, color_set, NULL, NULL);
  g_settings_bind (s, "overlay-opacity", self->opacity_adjustment, "value", G_SETTINGS_BIND_DEFAULT);
  g_settings_bind_with_mapping (s, "threads", self->threads_adjustment, "value", G_SETTINGS_BIND_DEFAULT,
                                number_get, number_set, NULL, NULL);
  g_settings_bind_with_mapping (s, "memory-limit", self->memory_adjustment, "value", G_SETTINGS_BIND_DEFAULT,
                                number_get, number_set, NULL, NULL);

  /* Translators: %u is the number of processor cores */
  threads_hint = g_strdup_printf (_("For the compute kernels; 0 uses all %u cores"), g_get_num_processors ());
  adw_action_row_set_subtitle (self->threads_row, threads_hint);
}

GtkWidget *
ps_preferences_window_new (GSettings *settings)
{
  g_return_val_if_fail (G_IS_SETTINGS (settings), NULL);
  return g_object_new (PS_TYPE_PREFERENCES_WINDOW, "settings", settings, NULL);
}

static void
ps_preferences_window_constructed (GObject *object)
{
  PsPreferencesWindow *self = PS_PREFERENCES_WINDOW (object);

  G_OBJECT_CLASS (ps_preferences_window_parent_class)->constructed (object);
  if (self->settings != NULL)
    bind_settings (self);
}

static void
ps_preferences_window_dispose (GObject *object)
{
  PsPreferencesWindow *self = PS_PREFERENCES_WINDOW (object);

  gtk_widget_dispose_template (GTK_WIDGET (self), PS_TYPE_PREFERENCES_WINDOW);
  g_clear_object (&self->settings);

  G_OBJECT_CLASS (ps_preferences_window_parent_class)->dispose (object);
}

static void
ps_preferences_window_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  PsPreferencesWindow *self = PS_PREFERENCES_WINDOW (object);

  switch (prop_id)
    {
    case PROP_SETTINGS:
      g_value_set_object (value, self->settings);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ps_preferences_window_set_property (GObject *object, guint prop_id, const GValue *value, GParamSpec *pspec)
{
  PsPreferencesWindow *self = PS_PREFERENCES_WINDOW (object);

  switch (prop_id)
    {
    case PROP_SETTINGS:
      self->settings = g_value_dup_object (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ps_preferences_window_class_init (PsPreferencesWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->constructed = ps_preferences_window_constructed;
  object_class->dispose = ps_preferences_window_dispose;
  object_class->get_property = ps_preferences_window_get_property;
  object_class->set_property = ps_preferences_window_set_property;

  properties[PROP_SETTINGS] =
    g_param_spec_object ("settings", NULL, NULL, G_TYPE_SETTINGS,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  _ps_application_ensure_resources ();
  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/porescope/Porescope/ui/ps-preferences-window.ui");
  gtk_widget_class_bind_template_child (widget_class, PsPreferencesWindow, color_scheme_row);
  gtk_widget_class_bind_template_child (widget_class, PsPreferencesWindow, interpolation_row);
  gtk_widget_class_bind_template_child (widget_class, PsPreferencesWindow, colormap_row);
  gtk_widget_class_bind_template_child (widget_class, PsPreferencesWindow, crosshair_switch);
  gtk_widget_class_bind_template_child (widget_class, PsPreferencesWindow, carbon_button);
  gtk_widget_class_bind_template_child (widget_class, PsPreferencesWindow, pore_button);
  gtk_widget_class_bind_template_child (widget_class, PsPreferencesWindow, opacity_adjustment);
  gtk_widget_class_bind_template_child (widget_class, PsPreferencesWindow, threads_row);
  gtk_widget_class_bind_template_child (widget_class, PsPreferencesWindow, threads_adjustment);
  gtk_widget_class_bind_template_child (widget_class, PsPreferencesWindow, memory_adjustment);
  gtk_widget_class_bind_template_callback (widget_class, restore_colors);
}

static void
ps_preferences_window_init (PsPreferencesWindow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}
