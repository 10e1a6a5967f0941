/* till-window.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gi18n.h>

#include "till-window.h"

struct _TillWindow
{
  AdwApplicationWindow parent_instance;
};

G_DEFINE_FINAL_TYPE (TillWindow, till_window, ADW_TYPE_APPLICATION_WINDOW)

static void
till_window_class_init (TillWindowClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/tillpos/Till/till-window.ui");
}

static void
till_window_init (TillWindow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}

TillWindow *
till_window_new (TillApplication *application)
{
  return g_object_new (TILL_TYPE_WINDOW, "application", application, NULL);
}
