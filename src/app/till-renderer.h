/* till-renderer.h: GTK's cairo renderer where GL would run in software.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

gboolean    till_gl_renderer_is_software (const char *gl_renderer);
const char *till_renderer_choose (const char *gsk_renderer_env, const char *gl_renderer);
char       *till_display_get_gl_renderer (GdkDisplay *display);
const char *till_display_choose_renderer (GdkDisplay *display);

G_END_DECLS
