/* payment-bench.c: how fast Charge shows a ready card form, and how long a whole payment
 * takes, in training mode, with the app's own payment page.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 *   xvfb-run -a -s '-screen 0 1920x1080x24' dbus-run-session -- \
 *     _build/bench/payment/payment-bench [ROUNDS]
 *
 * It starts the real till-server --training, connects the app's client, and creates the
 * payment page once (the card form loads and stays warm, as the window does at start-up).
 * Then, per round: a checkout is made through the API (not timed), and the clock runs from
 * till_payment_page_begin() — what Charge calls once the server has answered — to the
 * form's "ready" (form-ready), and on to the native "Paid" page after the card is typed with
 * real key events and Pay pressed (whole payment; typing is done with xdotool at 1 ms a key,
 * and its settling waits are subtracted, so the figure is Till, the simulator and WebKit).
 */
#include "config.h"

#include <gdk/x11/gdkx.h>
#include <stdlib.h>

#include "till-core.h"
#include "till-payment-page.h"
#include "till-renderer.h"
#include "pay-training-server.h"

static guint ready_count;

static void
on_ready (TillPaymentView *view, gpointer user_data)
{
  ready_count++;
}

static gboolean
wait_until (gboolean (*check) (gpointer), gpointer data, gint64 timeout_ms)
{
  gint64 deadline = g_get_monotonic_time () + timeout_ms * 1000;

  while (!check (data))
    {
      if (g_get_monotonic_time () > deadline)
        return FALSE;
      g_main_context_iteration (NULL, TRUE);
    }
  return TRUE;
}

static gboolean
ready_reached (gpointer target)
{
  return ready_count >= GPOINTER_TO_UINT (target);
}

static gboolean
client_ready (gpointer client)
{
  return till_client_get_state (client) == TILL_CONNECTION_ONLINE &&
         till_client_get_config (client) != NULL;
}

static gboolean
page_loaded (gpointer page)
{
  TillPaymentView *view = till_payment_page_get_view (page);
  return view != NULL && till_payment_view_get_loaded (view);
}

static gboolean
page_paid (gpointer page)
{
  return g_strcmp0 (till_payment_page_get_state (page), "paid") == 0;
}

static int
compare_doubles (const void *a, const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;
  return x < y ? -1 : x > y;
}

static void
report (const char *what, GArray *ms)
{
  double *v = (double *) ms->data;

  qsort (v, ms->len, sizeof *v, compare_doubles);
  g_print ("%-28s n=%u  median %.1f ms  p90 %.1f ms  min %.1f ms  max %.1f ms\n", what, ms->len,
           v[ms->len / 2], v[MIN (ms->len - 1, ms->len * 9 / 10)], v[0], v[ms->len - 1]);
}

static void
die (const char *what, GError *error)
{
  g_printerr ("payment-bench: %s%s%s\n", what, error ? ": " : "", error ? error->message : "");
  exit (1);
}

int
main (int argc, char **argv)
{
  guint rounds = argc > 1 ? (guint) atoi (argv[1]) : 20;
  g_autoptr (GError) error = NULL;
  g_autoptr (GArray) form_ready = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr (GArray) whole = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr (TillClient) client = NULL;
  PayTrainingServer *server;
  TillPaymentPage   *page;
  GtkWindow         *window;
  g_autofree char   *xid = NULL;

  gtk_init ();
  adw_init ();
  /* As TillApplication's startup does. */
  till_display_choose_renderer (gdk_display_get_default ());
  if (!GDK_IS_X11_DISPLAY (gdk_display_get_default ()))
    die ("needs an X display (run it under xvfb-run)", NULL);

  server = pay_training_server_start (TILL_SERVER_PROGRAM, &error);
  if (server == NULL)
    die ("till-server did not start", error);

  client = till_client_new ();
  till_client_set_server (client, server->base, server->token);
  if (!wait_until (client_ready, client, 20000))
    die ("the client did not connect", NULL);

  page = till_payment_page_new (client);
  window = GTK_WINDOW (gtk_window_new ());
  gtk_window_set_default_size (window, 800, 700);
  gtk_window_set_child (window, GTK_WIDGET (page));
  gtk_window_present (window);
  if (!till_payment_page_prepare (page) || !wait_until (page_loaded, page, 30000))
    die ("the card form did not load", NULL);
  g_signal_connect (till_payment_page_get_view (page), "ready", G_CALLBACK (on_ready), NULL);

  xid = g_strdup_printf (
      "%lu", (gulong) gdk_x11_surface_get_xid (gtk_native_get_surface (GTK_NATIVE (window))));
  if (!pay_xdotool ((const char *[]){ "windowfocus", "--sync", xid, NULL }, &error))
    die ("xdotool", error);
  gtk_widget_grab_focus (
      GTK_WIDGET (till_payment_view_get_web_view (till_payment_page_get_view (page))));
  pay_take_events ();

  for (guint round = 0; round < rounds; round++)
    {
      g_autoptr (JsonObject) reply = pay_training_server_checkout (server, &error);
      g_autoptr (TillCheckoutResponse) response = g_new0 (TillCheckoutResponse, 1);
      g_autoptr (TillCartModel) cart = till_cart_model_new ("EUR", TRUE);
      JsonObject *payment;
      gint64      start, ready, typed_from, typed_to, paid;
      double      ms;

      if (reply == NULL)
        die ("checkout", error);
      payment = json_object_get_object_member (reply, "payment");
      response->order =
          till_order_from_json (json_object_get_object_member (reply, "order"), &error);
      response->payment_intent =
          g_strdup (json_object_get_string_member (payment, "payment_intent"));
      response->client_secret = g_strdup (json_object_get_string_member (payment, "client_secret"));

      start = g_get_monotonic_time ();
      till_payment_page_begin (page, cart, response);
      if (!wait_until (ready_reached, GUINT_TO_POINTER (round + 1), 10000))
        die ("the form was not ready", NULL);
      ready = g_get_monotonic_time ();
      ms = (ready - start) / 1000.0;
      g_array_append_val (form_ready, ms);

      typed_from = g_get_monotonic_time ();
      if (!pay_type_card_fields ("4242424242424242", 1, &error))
        die ("typing", error);
      typed_to = g_get_monotonic_time ();
      if (!pay_press_pay (&error))
        die ("pressing Pay", error);
      if (!wait_until (page_paid, page, 20000))
        die ("the payment did not go through", NULL);
      paid = g_get_monotonic_time ();
      ms = ((paid - start) - (typed_to - typed_from)) / 1000.0;
      g_array_append_val (whole, ms);

      gtk_widget_activate_action (GTK_WIDGET (page), "payment.done", NULL);
    }

  report ("Charge → form ready", form_ready);
  report ("whole payment (no typing)", whole);

  gtk_window_destroy (window);
  pay_training_server_stop (server);
  return 0;
}
