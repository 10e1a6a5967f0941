/* payment-bench.c: how fast Charge shows a ready card form, and how long a payment takes,
 * with the app's own payment page, as a customer and a cashier feel it.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 *   xvfb-run -a -s '-screen 0 1920x1080x24' dbus-run-session -- \
 *     _build/bench/payment/payment-bench [ROUNDS [LATENCY_MS]]
 *
 * Without LATENCY_MS it starts the real till-server --training. With it, till-server runs
 * in test mode against a till-stripe-sim of its own that delays every API call (the
 * server's and the page's) by LATENCY_MS, as the round trip to api.stripe.com does, and
 * counts them (a "delay" fault given to every request, GET /_sim/faults).
 *
 * It connects the app's client and creates the payment page once (the page loads and stays
 * warm, as the window does at start-up). Then, per round, the clock runs from Charge — the
 * card form mounted for the cart's total (till_payment_page_prepare_sale ()) and the checkout
 * sent through the app's client, as the window does — through till_payment_page_begin()
 * with its answer to the form's "ready" (Charge → form ready; the part from begin () is also
 * shown), and from the moment the window gets the Return key on Pay to the native "Paid" page
 * on screen, its transition over and drawn (Pay → result shown). The card is typed with real
 * key events (xdotool, 1 ms a key), and Pay pressed only once the form has taken them all;
 * the whole payment leaves out the typing. The Stripe API calls made in each of the two spans
 * are counted.
 */
#include "config.h"

#include <gdk/x11/gdkx.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/prctl.h>

#include "till-checkout.h"
#include "till-core.h"
#include "till-payment-page.h"
#include "till-renderer.h"
#include "pay-training-server.h"

static guint  ready_count;
static gint64 return_pressed; /* when the window got the Return key on Pay, or 0 */

/* The clock of Pay → result starts when the app gets the key, as the cashier presses it. */
static gboolean
on_key_pressed (GtkEventControllerKey *controller,
                guint                  keyval,
                guint                  keycode,
                GdkModifierType        state,
                gpointer               user_data)
{
  if (keyval == GDK_KEY_Return && return_pressed == 0)
    return_pressed = g_get_monotonic_time ();
  return FALSE;
}

static gboolean
return_seen (gpointer unused)
{
  return return_pressed != 0;
}

static gboolean wait_until (gboolean (*check) (gpointer), gpointer data, gint64 timeout_ms);

static void
on_async_answer (GObject *source, GAsyncResult *result, gpointer user_data)
{
  *(GAsyncResult **) user_data = g_object_ref (result);
}

static gboolean
answered (gpointer answer)
{
  return *(GAsyncResult **) answer != NULL;
}

typedef struct
{
  TillPaymentPage *page;
  const char      *js;
} PageQuestion;

/* Asked again until true: each time a round trip to the web process. */
static gboolean
page_says (gpointer data)
{
  PageQuestion *question = data;

  return pay_page_says (
      till_payment_view_get_web_view (till_payment_page_get_view (question->page)), question->js);
}

/* Waits until the page's script finds @js true. */
static gboolean
wait_page (TillPaymentPage *page, const char *js, gint64 timeout_ms)
{
  PageQuestion question = { page, js };

  return wait_until (page_says, &question, timeout_ms);
}

/* The card frame tells the stand-in of Stripe.js when the card is complete; the bench listens
 * in on that (the simulator's own protocol, as the test harness does) to know that the web
 * process has taken every key typed, before Pay: keys queue up there while it works. */
static const char listen_for_complete[] = "window.benchComplete = false;"
                                          "window.addEventListener('message', function (event) {"
                                          "  var d = event.data || {};"
                                          "  if (d.source === 'till-sim-card' && d.type === "
                                          "'change') window.benchComplete = !!d.complete;"
                                          "});"
                                          "true";

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

/* The "Paid" page is on screen: chosen, any transition to it over, and a frame drawn since
 * (one asked for, so this may count up to a frame more than the eye would). */
static gboolean painted;
static gboolean armed;

static void
on_after_paint (GdkFrameClock *clock, gpointer unused)
{
  painted = TRUE;
}

static gboolean
page_paid (gpointer page)
{
  GtkWidget *stack = adw_bin_get_child (ADW_BIN (page));

  if (g_strcmp0 (till_payment_page_get_state (page), "paid") != 0 ||
      (GTK_IS_STACK (stack) && gtk_stack_get_transition_running (GTK_STACK (stack))))
    {
      armed = FALSE;
      return FALSE;
    }
  if (!armed)
    {
      armed = TRUE;
      painted = FALSE;
      gtk_widget_queue_draw (GTK_WIDGET (page));
      return FALSE;
    }
  return painted;
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
report_calls (const char *what, GArray *calls)
{
  guint *v = (guint *) calls->data;
  guint  lo = G_MAXUINT, hi = 0;

  for (guint i = 0; i < calls->len; i++)
    lo = MIN (lo, v[i]), hi = MAX (hi, v[i]);
  if (lo == hi)
    g_print ("%-28s Stripe API calls per round: %u\n", what, lo);
  else
    g_print ("%-28s Stripe API calls per round: %u to %u\n", what, lo, hi);
}

static void
die (const char *what, GError *error)
{
  g_printerr ("payment-bench: %s%s%s\n", what, error ? ": " : "", error ? error->message : "");
  exit (1);
}

static void
die_with_parent (gpointer user_data)
{
  prctl (PR_SET_PDEATHSIG, SIGTERM);
}

#define BENCH_SECRET_KEY "sk_test_payment_bench_0123456789"

/* The simulator of a latency run, and what it has delayed so far. */
typedef struct
{
  GSubprocess *process;
  char        *base; /* http://127.0.0.1:PORT/ */
  char        *kind; /* "delay=N" */
  SoupSession *session;
} LatencySim;

static guint
sim_calls (LatencySim *sim)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *url = NULL;
  g_autoptr (SoupMessage) msg = NULL;
  g_autoptr (GBytes) body = NULL;
  g_autoptr (JsonParser) parser = json_parser_new ();
  JsonObject *injected;

  if (sim == NULL)
    return 0;
  url = g_strconcat (sim->base, "_sim/faults", NULL);
  msg = soup_message_new ("GET", url);
  soup_message_headers_replace (soup_message_get_request_headers (msg), "Authorization",
                                "Bearer " BENCH_SECRET_KEY);
  body = soup_session_send_and_read (sim->session, msg, NULL, &error);
  if (body == NULL || !json_parser_load_from_data (parser, g_bytes_get_data (body, NULL),
                                                   (gssize) g_bytes_get_size (body), &error))
    die ("GET /_sim/faults", error);
  injected = json_object_get_object_member (json_node_get_object (json_parser_get_root (parser)),
                                            "injected");
  return (guint) json_object_get_int_member (injected, sim->kind);
}

/* till-stripe-sim delaying every API call by @latency_ms, and till-server in test mode
 * against it (Stripe.js from it too), with a cashier terminal. No webhooks: nothing the
 * customer waits for goes through them. */
static PayTrainingServer *
start_with_latency (guint latency_ms, LatencySim *sim, GError **error)
{
  PayTrainingServer *server = g_new0 (PayTrainingServer, 1);
  g_autoptr (GSubprocessLauncher) sim_launcher =
      till_test_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE);
  g_autoptr (GSubprocessLauncher) launcher =
      till_test_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE);
  g_autofree char *out = NULL;
  g_autofree char *js = NULL;
  g_autofree char *conf = NULL;
  g_auto (GStrv) lines = NULL;
  guint n;

  server->dir = till_test_make_tmpdir ("till-payment-bench");
  server->db = g_build_filename (server->dir, "till.db", NULL);
  server->session = soup_session_new ();
  /* The checkouts are in euros, as in training. */
  conf = g_build_filename (server->dir, "till-server.conf", NULL);
  if (!g_file_set_contents (conf, "[store]\ncurrency=EUR\n", -1, error))
    return NULL;
  sim->session = soup_session_new ();
  sim->kind = g_strdup_printf ("delay=%u", latency_ms);
  g_subprocess_launcher_set_child_setup (sim_launcher, die_with_parent, NULL, NULL);
  g_subprocess_launcher_set_child_setup (launcher, die_with_parent, NULL, NULL);
  {
    const char *argv[] = { TILL_STRIPE_SIM_PROGRAM, "--listen", "127.0.0.1:0", "--fault-rate", "1",
                           "--fault-kinds",         sim->kind,  NULL };
    sim->process = till_test_spawn (sim_launcher, argv, &sim->base, NULL, error);
    if (sim->process == NULL || sim->base == NULL)
      return NULL;
  }
  {
    const char *argv[] = { TILL_SERVER_PROGRAM, "--config", conf,    "--db", server->db,
                           "terminal",          "add",      "bench", NULL };
    if ((out = till_test_run_program (argv, error)) == NULL)
      return NULL;
    lines = g_strsplit (g_strstrip (out), "\n", -1);
    n = g_strv_length (lines);
    server->token = g_strdup (lines[n - 1]);
  }
  {
    /* Test mode starts with no catalog. */
    g_autofree char *csv = g_build_filename (server->dir, "catalog.csv", NULL);
    const char      *argv[] = { TILL_SERVER_PROGRAM, "--config", conf, "--db", server->db,
                                "catalog",           "import",   csv,  NULL };
    g_autofree char *imported = NULL;

    if (!g_file_set_contents (csv,
                              "sku,barcode,name,price,currency,tax_rate,category\n"
                              "B-1,,Simit,1.50,EUR,0,Bakery\nB-2,,Ayran,2.00,EUR,0,Drinks\n",
                              -1, error) ||
        (imported = till_test_run_program (argv, error)) == NULL)
      return NULL;
  }
  js = g_strconcat (sim->base, "v3/", NULL);
  g_subprocess_launcher_setenv (launcher, "TILL_STRIPE_SECRET_KEY", BENCH_SECRET_KEY, TRUE);
  g_subprocess_launcher_setenv (launcher, "TILL_STRIPE_PUBLISHABLE_KEY",
                                "pk_test_payment_bench_0123456789", TRUE);
  g_subprocess_launcher_setenv (launcher, "TILL_STRIPE_API_BASE", sim->base, TRUE);
  g_subprocess_launcher_setenv (launcher, "TILL_STRIPE_JS_URL", js, TRUE);
  g_subprocess_launcher_unsetenv (launcher, "TILL_STRIPE_WEBHOOK_SECRET");
  {
    const char *argv[] = { TILL_SERVER_PROGRAM, "--config", conf,       "--listen",
                           "127.0.0.1:0",       "--db",     server->db, NULL };
    server->process = till_test_spawn (launcher, argv, &server->base, NULL, error);
    if (server->process == NULL || server->base == NULL)
      return NULL;
  }
  if (g_str_has_suffix (server->base, "/"))
    server->base[strlen (server->base) - 1] = '\0';
  return server;
}

int
main (int argc, char **argv)
{
  guint    rounds = argc > 1 ? (guint) atoi (argv[1]) : 20;
  gboolean latency = argc > 2;
  guint    latency_ms = latency ? (guint) atoi (argv[2]) : 0;
  g_autoptr (GError) error = NULL;
  g_autoptr (GArray) form_ready = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr (GArray) begin_ready = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr (GArray) pay_result = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr (GArray) whole = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr (GArray) form_calls = g_array_new (FALSE, FALSE, sizeof (guint));
  g_autoptr (GArray) pay_calls = g_array_new (FALSE, FALSE, sizeof (guint));
  g_autoptr (TillClient) client = NULL;
  g_autoptr (GAsyncResult) products_answer = NULL;
  g_autoptr (GPtrArray) products = NULL;
  g_autofree char   *etag = NULL;
  LatencySim         sim = { 0 };
  PayTrainingServer *server;
  TillPaymentPage   *page;
  GtkWindow         *window;
  g_autofree char   *xid = NULL;

  if (rounds == 0 || (latency && latency_ms > 30000))
    die ("usage: payment-bench [ROUNDS [LATENCY_MS (0 to 30000)]]", NULL);
  gtk_init ();
  adw_init ();
  /* As TillApplication's startup does. */
  till_display_choose_renderer (gdk_display_get_default ());
  if (!GDK_IS_X11_DISPLAY (gdk_display_get_default ()))
    die ("needs an X display (run it under xvfb-run)", NULL);

  if (latency)
    server = start_with_latency (latency_ms, &sim, &error);
  else
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
  {
    GtkEventController *keys = gtk_event_controller_key_new ();

    gtk_event_controller_set_propagation_phase (keys, GTK_PHASE_CAPTURE);
    g_signal_connect (keys, "key-pressed", G_CALLBACK (on_key_pressed), NULL);
    gtk_widget_add_controller (GTK_WIDGET (window), keys);
  }
  gtk_window_present (window);
  g_signal_connect (gtk_widget_get_frame_clock (GTK_WIDGET (window)), "after-paint",
                    G_CALLBACK (on_after_paint), NULL);
  if (!till_payment_page_prepare (page) || !wait_until (page_loaded, page, 30000))
    die ("the card form did not load", NULL);
  g_signal_connect (till_payment_page_get_view (page), "ready", G_CALLBACK (on_ready), NULL);
  if (!wait_page (page, listen_for_complete, 10000))
    die ("the payment page did not answer", NULL);

  till_client_fetch_products_async (client, NULL, NULL, on_async_answer, &products_answer);
  if (!wait_until (answered, &products_answer, 20000) ||
      !till_client_fetch_products_finish (client, products_answer, &products, &etag, &error) ||
      products->len < 2)
    die ("the catalog", error);

  xid = g_strdup_printf (
      "%lu", (gulong) gdk_x11_surface_get_xid (gtk_native_get_surface (GTK_NATIVE (window))));
  if (!pay_xdotool ((const char *[]){ "windowfocus", "--sync", xid, NULL }, &error))
    die ("xdotool", error);
  gtk_widget_grab_focus (
      GTK_WIDGET (till_payment_view_get_web_view (till_payment_page_get_view (page))));
  pay_take_events ();

  for (guint round = 0; round < rounds; round++)
    {
      g_autoptr (TillCheckoutResult) checkout = NULL;
      g_autoptr (TillCartModel) cart = till_cart_model_new ("EUR", TRUE);
      g_autoptr (GAsyncResult) answer = NULL;
      gint64 start, begin, ready, typed_from, pressed, paid;
      guint  calls_start, calls_ready, calls_pressed, calls_paid;
      double ms;

      /* Two of the first product and one of the second, as the window's cart would be. */
      if (till_cart_model_add_product (cart, g_ptr_array_index (products, 0), 2, &error) < 0 ||
          till_cart_model_add_product (cart, g_ptr_array_index (products, 1), 1, &error) < 0)
        die ("the cart", error);

      /* What Charge does: the card form is mounted for the cart's total while the checkout
       * makes the order and its PaymentIntent. */
      calls_start = sim_calls (latency ? &sim : NULL);
      start = g_get_monotonic_time ();
      till_payment_page_prepare_sale (page, cart);
      till_checkout_start_async (client, cart, NULL, on_async_answer, &answer);
      if (!wait_until (answered, &answer, 10000 + 20 * latency_ms))
        die ("the checkout did not answer", NULL);
      checkout = till_checkout_start_finish (answer, &error);
      if (checkout == NULL)
        die ("checkout", error);

      begin = g_get_monotonic_time ();
      till_payment_page_begin (page, cart, checkout->response);
      if (!wait_until (ready_reached, GUINT_TO_POINTER (round + 1), 10000 + 20 * latency_ms))
        die ("the form was not ready", NULL);
      ready = g_get_monotonic_time ();
      calls_ready = sim_calls (latency ? &sim : NULL);
      ms = (ready - start) / 1000.0;
      g_array_append_val (form_ready, ms);
      ms = (ready - begin) / 1000.0;
      g_array_append_val (begin_ready, ms);
      calls_ready -= calls_start;
      g_array_append_val (form_calls, calls_ready);

      if (!wait_page (page, "window.benchComplete = false, true", 10000))
        die ("the payment page did not answer", NULL);
      typed_from = g_get_monotonic_time ();
      if (!pay_type_card_fields ("4242424242424242", 1, &error))
        die ("typing", error);
      /* Tab to Pay once every key is in, then Return: the clock starts when the app gets it. */
      if (!wait_page (page, "window.benchComplete === true", 10000))
        die ("the card form did not take the card", NULL);
      if (!pay_xdotool ((const char *[]){ "key", "Tab", NULL }, &error))
        die ("pressing Tab", error);
      pay_take_events ();
      if (!wait_page (page, "document.activeElement === document.getElementById('submit')", 10000))
        die ("Tab did not reach Pay", NULL);
      calls_pressed = sim_calls (latency ? &sim : NULL);
      return_pressed = 0;
      if (!pay_xdotool ((const char *[]){ "key", "Return", NULL }, &error))
        die ("pressing Pay", error);
      if (!wait_until (return_seen, NULL, 10000))
        die ("the window did not get Return", NULL);
      pressed = return_pressed;
      if (!wait_until (page_paid, page, 20000 + 20 * latency_ms))
        die ("the payment did not go through", NULL);
      paid = g_get_monotonic_time ();
      calls_paid = sim_calls (latency ? &sim : NULL) - calls_pressed;
      ms = (paid - pressed) / 1000.0;
      g_array_append_val (pay_result, ms);
      g_array_append_val (pay_calls, calls_paid);
      ms = ((paid - start) - (pressed - typed_from)) / 1000.0;
      g_array_append_val (whole, ms);

      gtk_widget_activate_action (GTK_WIDGET (page), "payment.done", NULL);
    }

  if (latency)
    g_print ("till-server (test mode) against till-stripe-sim, %u ms per API call\n", latency_ms);
  else
    g_print ("till-server --training\n");
  report ("Charge → form ready", form_ready);
  report ("  of which begin () → ready", begin_ready);
  report ("Pay → result shown", pay_result);
  report ("whole payment (no typing)", whole);
  if (latency)
    {
      report_calls ("Charge → form ready", form_calls);
      report_calls ("Pay → result shown", pay_calls);
    }

  gtk_window_destroy (window);
  pay_training_server_stop (server);
  if (sim.process != NULL)
    {
      g_subprocess_send_signal (sim.process, SIGTERM);
      g_subprocess_wait (sim.process, NULL, NULL);
      g_object_unref (sim.process);
      g_object_unref (sim.session);
      g_free (sim.base);
      g_free (sim.kind);
    }
  return 0;
}
