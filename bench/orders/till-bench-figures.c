/* till-bench-figures.c: the day's figures page, drawn, against a till-server filled by
 * till-bench-orders (bench/README.md). Not a test.
 *
 *   till-bench-figures URL TOKEN [ROUNDS]
 *
 * Each round shows yesterday's figures as the window's action does (the report and the
 * 7-day trend asked anew) and times it from the call to the end of the first frame painted
 * with the figures: what a cashier waits after the click.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <adwaita.h>

#include "till-figures-page-private.h"
#include "till-renderer.h"

static gboolean painted;
static gboolean report_painted;

static void
on_after_paint (GdkFrameClock *clock, gpointer user_data)
{
  if (till_figures_page_is_report_shown (TILL_FIGURES_PAGE (user_data)))
    report_painted = TRUE;
  if (till_figures_page_is_loaded (TILL_FIGURES_PAGE (user_data)))
    painted = TRUE;
}

static int
compare (gconstpointer a, gconstpointer b)
{
  double x = *(const double *) a, y = *(const double *) b;

  return x < y ? -1 : x > y;
}

int
main (int argc, char *argv[])
{
  g_autoptr (TillClient) client = NULL;
  g_autoptr (GDateTime) now = NULL;
  g_autoptr (GDateTime) yesterday = NULL;
  int                rounds = argc > 3 ? atoi (argv[3]) : 10;
  g_autofree double *times = NULL;
  g_autofree double *loads = NULL;
  g_autofree double *reports = NULL;
  TillFiguresPage   *page;
  GtkWidget         *window;
  GdkFrameClock     *clock;
  GDate              day;

  if (argc < 3 || rounds < 1)
    {
      g_printerr ("Usage: %s URL TOKEN [ROUNDS]\n", argv[0]);
      return 2;
    }
  adw_init ();
  /* As the app draws: cairo where GL would be software. */
  till_display_choose_renderer (gdk_display_get_default ());
  client = till_client_new ();
  till_client_set_server (client, argv[1], argv[2]);
  while (till_client_get_state (client) != TILL_CONNECTION_ONLINE)
    g_main_context_iteration (NULL, TRUE);

  page = till_figures_page_new (client);
  window = gtk_window_new ();
  gtk_window_set_default_size (GTK_WINDOW (window), 1024, 768);
  gtk_window_set_child (GTK_WINDOW (window), GTK_WIDGET (page));
  gtk_window_present (GTK_WINDOW (window));
  while (!gtk_widget_get_mapped (window))
    g_main_context_iteration (NULL, TRUE);
  clock = gtk_widget_get_frame_clock (window);
  g_signal_connect (clock, "after-paint", G_CALLBACK (on_after_paint), page);

  now = g_date_time_new_now_local ();
  yesterday = g_date_time_add_days (now, -1);
  g_date_clear (&day, 1);
  g_date_set_dmy (&day, (GDateDay) g_date_time_get_day_of_month (yesterday),
                  (GDateMonth) g_date_time_get_month (yesterday),
                  (GDateYear) g_date_time_get_year (yesterday));
  times = g_new0 (double, rounds);
  loads = g_new0 (double, rounds);
  reports = g_new0 (double, rounds);
  for (int i = 0; i < rounds; i++)
    {
      gint64 start = g_get_monotonic_time ();

      painted = report_painted = FALSE;
      reports[i] = loads[i] = 0;
      till_figures_page_show_day (page, &day);
      while (!painted)
        {
          g_main_context_iteration (NULL, TRUE);
          if (reports[i] == 0 && report_painted)
            reports[i] = (g_get_monotonic_time () - start) / 1000.0;
          if (loads[i] == 0 && till_figures_page_is_loaded (page))
            loads[i] = (g_get_monotonic_time () - start) / 1000.0;
        }
      times[i] = (g_get_monotonic_time () - start) / 1000.0;
      if (reports[i] == 0)
        reports[i] = times[i];
      if (i == 0)
        g_print ("%" G_GINT64_FORMAT " sales on %s\n",
                 json_object_get_int_member (till_figures_page_get_report (page), "count"),
                 json_object_get_string_member (till_figures_page_get_report (page), "date"));
    }
  qsort (times, rounds, sizeof *times, compare);
  qsort (loads, rounds, sizeof *loads, compare);
  qsort (reports, rounds, sizeof *reports, compare);
  g_print ("the day's figures drawn after the click: median %.1f ms, max %.1f ms\n",
           reports[rounds / 2], reports[rounds - 1]);
  g_print ("both answers in and shown: median %.1f ms, max %.1f ms\n", loads[rounds / 2],
           loads[rounds - 1]);
  g_print ("figures drawn after the click: median %.1f ms, max %.1f ms (%d rounds)\n",
           times[rounds / 2], times[rounds - 1], rounds);
  gtk_window_destroy (GTK_WINDOW (window));
  return 0;
}
