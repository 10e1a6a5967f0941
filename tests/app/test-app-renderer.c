/* test-app-renderer.c: cairo where GL would be drawn in software, GSK_RENDERER respected.
 *
 * Runs with the display's real GL (llvmpipe under Xvfb), so not through
 * till_test_init_gtk(), which avoids it. The sanitizer run disables GL (GDK_DEBUG, see
 * tests/meson.build): there the display has none, and GTK's own choice is checked.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <adwaita.h>

#include "till-renderer.h"

static void
test_software_names (void)
{
  g_assert_true (till_gl_renderer_is_software ("llvmpipe (LLVM 15.0.6, 256 bits)"));
  g_assert_true (till_gl_renderer_is_software ("softpipe"));
  g_assert_true (till_gl_renderer_is_software ("Software Rasterizer"));
  g_assert_true (till_gl_renderer_is_software ("D3D12 (Microsoft Basic Render Driver)"));
  g_assert_false (till_gl_renderer_is_software ("Mesa Intel(R) UHD Graphics 620 (KBL GT2)"));
  g_assert_false (till_gl_renderer_is_software (
      "AMD Radeon RX 580 Series (polaris10, LLVM 15.0.6, DRM 3.49, 6.1.0-13-amd64)"));
  g_assert_false (till_gl_renderer_is_software ("NVIDIA GeForce GTX 1050/PCIe/SSE2"));
  g_assert_false (till_gl_renderer_is_software ("V3D 4.2"));
  g_assert_false (till_gl_renderer_is_software (NULL));
}

static void
test_choice (void)
{
  g_assert_cmpstr (till_renderer_choose (NULL, "llvmpipe (LLVM 15.0.6, 256 bits)"), ==, "cairo");
  g_assert_cmpstr (till_renderer_choose ("", "llvmpipe (LLVM 15.0.6, 256 bits)"), ==, "cairo");
  /* The user's choice wins, even GL in software. */
  g_assert_null (till_renderer_choose ("gl", "llvmpipe (LLVM 15.0.6, 256 bits)"));
  g_assert_null (till_renderer_choose ("cairo", "Mesa Intel(R) UHD Graphics 620 (KBL GT2)"));
  /* A GPU, or no GL at all (GTK then uses cairo by itself): GTK's choice. */
  g_assert_null (till_renderer_choose (NULL, "Mesa Intel(R) UHD Graphics 620 (KBL GT2)"));
  g_assert_null (till_renderer_choose (NULL, NULL));
}

static GskRenderer *
present_window (GtkWidget **window)
{
  GskRenderer *renderer = NULL;
  gint64       deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;

  *window = gtk_window_new ();
  gtk_window_set_child (GTK_WINDOW (*window), gtk_label_new ("Till"));
  gtk_window_present (GTK_WINDOW (*window));
  while (renderer == NULL && g_get_monotonic_time () < deadline)
    {
      g_main_context_iteration (NULL, FALSE);
      renderer = gtk_native_get_renderer (GTK_NATIVE (*window));
    }
  g_assert_nonnull (renderer);

  return renderer;
}

/* The display's own GL decides: in software (llvmpipe under Xvfb), the window is drawn by
 * cairo; on a GPU, by what GTK picks. */
static void
test_display (void)
{
  GdkDisplay      *display = gdk_display_get_default ();
  g_autofree char *gl_renderer = till_display_get_gl_renderer (display);
  const char      *choice;
  GtkWidget       *window;
  GskRenderer     *renderer;

  g_test_message ("GL renderer: %s", gl_renderer ? gl_renderer : "none");
  choice = till_display_choose_renderer (display);
  /* Asked once per display. */
  g_assert_cmpstr (till_display_choose_renderer (display), ==, choice);

  renderer = present_window (&window);
  if (till_gl_renderer_is_software (gl_renderer))
    {
      g_assert_cmpstr (choice, ==, "cairo");
      g_assert_true (GSK_IS_CAIRO_RENDERER (renderer));
    }
  else
    {
      g_assert_null (choice);
    }
  gtk_window_destroy (GTK_WINDOW (window));
}

static void
test_env_respected (void)
{
  g_autofree char *gl_renderer = NULL;

  if (g_test_subprocess ())
    {
      GtkWidget   *window;
      GskRenderer *renderer;

      /* main() set GSK_RENDERER=gl for this child. */
      g_assert_null (till_display_choose_renderer (gdk_display_get_default ()));
      renderer = present_window (&window);
      g_assert_false (GSK_IS_CAIRO_RENDERER (renderer));
      gtk_window_destroy (GTK_WINDOW (window));
      return;
    }

  gl_renderer = till_display_get_gl_renderer (gdk_display_get_default ());
  if (gl_renderer == NULL)
    {
      g_test_skip ("no GL on this display");
      return;
    }
  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_INHERIT_STDERR);
  g_test_trap_assert_passed ();
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  /* The test's environment may carry GSK_RENDERER (the other widget tests set it). */
  if (g_test_subprocess ())
    g_setenv ("GSK_RENDERER", "gl", TRUE);
  else
    g_unsetenv ("GSK_RENDERER");
  gtk_init ();
  adw_init ();

  g_test_add_func ("/renderer/software-names", test_software_names);
  g_test_add_func ("/renderer/choice", test_choice);
  g_test_add_func ("/renderer/display", test_display);
  g_test_add_func ("/renderer/env-respected", test_env_respected);

  return g_test_run ();
}
