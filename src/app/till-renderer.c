/* till-renderer.c: GTK's cairo renderer where GL would run in software.
 *
 * A self-checkout kiosk is often a box without a GPU. There GTK 4.8 still picks its GL
 * renderer, on Mesa's llvmpipe: every frame is rasterized in software through shaders that
 * LLVM compiles, which costs much memory (libLLVM, the compiled programs, llvmpipe's buffers)
 * and starts slower, for a window of flat colours and text that the cairo renderer draws as
 * well (bench/README.md has the figures). Newer GTK also passes over GL on llvmpipe when it
 * has something better. So: before Till's first window is realized, ask GL who renders; if
 * that is a software rasterizer, the display's windows use cairo.
 *
 * GSK_RENDERER, when set, is the user's choice and always wins. The choice is made through
 * the display's "gsk-renderer" data, which gsk_renderer_new_for_surface() reads before
 * GSK_RENDERER (so it is never set when GSK_RENDERER is): setting the environment variable
 * instead would be a setenv() with GTK's threads already running.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "till-renderer.h"

#include <epoxy/gl.h>
#include <string.h>

/* GL_RENDERER strings of rasterizers in software: Mesa's llvmpipe and softpipe, its old
 * swrast ("Software Rasterizer"), and Windows' WARP under WSL's d3d12 driver. */
static const char *const software_renderers[] = {
  "llvmpipe", "softpipe", "Software Rasterizer", "swrast", "Microsoft Basic Render Driver",
};

/**
 * till_gl_renderer_is_software:
 * @gl_renderer: (nullable): a GL_RENDERER string
 *
 * Returns: whether @gl_renderer names a rasterizer that runs on the CPU
 */
gboolean
till_gl_renderer_is_software (const char *gl_renderer)
{
  if (gl_renderer == NULL)
    return FALSE;

  for (gsize i = 0; i < G_N_ELEMENTS (software_renderers); i++)
    if (strstr (gl_renderer, software_renderers[i]) != NULL)
      return TRUE;

  return FALSE;
}

/**
 * till_renderer_choose:
 * @gsk_renderer_env: (nullable): the value of GSK_RENDERER
 * @gl_renderer: (nullable): the display's GL_RENDERER, %NULL without GL
 *
 * The decision alone, for tests.
 *
 * Returns: (nullable): "cairo", or %NULL to leave GTK's own choice
 */
const char *
till_renderer_choose (const char *gsk_renderer_env, const char *gl_renderer)
{
  if (gsk_renderer_env != NULL && *gsk_renderer_env != '\0')
    return NULL;

  return till_gl_renderer_is_software (gl_renderer) ? "cairo" : NULL;
}

/**
 * till_display_get_gl_renderer:
 * @display: a display
 *
 * Returns: (transfer full) (nullable): GL_RENDERER of a GL context on @display, %NULL if
 *   there is no GL
 */
char *
till_display_get_gl_renderer (GdkDisplay *display)
{
  g_autoptr (GdkGLContext) context = NULL;
  g_autoptr (GError) error = NULL;
  char *renderer;

  context = gdk_display_create_gl_context (display, &error);
  if (context == NULL || !gdk_gl_context_realize (context, &error))
    {
      /* GTK falls back to cairo by itself. */
      g_debug ("No GL on this display: %s", error->message);
      return NULL;
    }

  gdk_gl_context_make_current (context);
  renderer = g_strdup ((const char *) glGetString (GL_RENDERER));
  gdk_gl_context_clear_current ();

  return renderer;
}

static GQuark
till_renderer_asked_quark (void)
{
  return g_quark_from_static_string ("till-renderer-asked");
}

/**
 * till_display_choose_renderer:
 * @display: a display none of whose surfaces has a renderer yet
 *
 * Has @display's windows drawn by cairo if GL there is a software rasterizer and
 * GSK_RENDERER is not set. Asked once per display; what it costs stays (the display keeps
 * its own GL context, so Mesa stays loaded), and bench/catalog's figures include it.
 *
 * Returns: (nullable): the renderer chosen ("cairo"), or %NULL if GTK chooses
 */
const char *
till_display_choose_renderer (GdkDisplay *display)
{
  g_autofree char *gl_renderer = NULL;
  const char      *env, *choice;

  g_return_val_if_fail (GDK_IS_DISPLAY (display), NULL);

  if (g_object_get_qdata (G_OBJECT (display), till_renderer_asked_quark ()) != NULL)
    return g_object_get_data (G_OBJECT (display), "gsk-renderer");
  g_object_set_qdata (G_OBJECT (display), till_renderer_asked_quark (), GINT_TO_POINTER (TRUE));

  env = g_getenv ("GSK_RENDERER");
  if (env == NULL || *env == '\0')
    gl_renderer = till_display_get_gl_renderer (display);
  choice = till_renderer_choose (env, gl_renderer);
  g_debug ("GL renderer: %s; windows drawn by %s", gl_renderer ? gl_renderer : "none",
           choice ? choice : "GTK's choice");
  if (choice != NULL)
    g_object_set_data (G_OBJECT (display), "gsk-renderer", (gpointer) choice);

  return choice;
}
