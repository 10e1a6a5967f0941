/* test-payment-view.c: the payment page in real WebKit, and what the view refuses.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A SoupServer on loopback serves the real page (data/pay); a second one plays another
 * origin and counts every request that reaches it, which must stay at zero. Stripe.js is
 * not served here (the simulator's stand-in is tested with it elsewhere), so the page's
 * start() reports load_error: that is enough to see the bridge and the view at work.
 */
#include "config.h"

#include <libsoup/soup.h>

#include "pay-training-server.h"
#include "till-payment-view.h"
#include "till-test-util.h"

#define PI "pi_3TestIntent"
#define DEADLINE_US (20 * G_USEC_PER_SEC)

typedef struct
{
  SoupServer      *server;
  SoupServer      *other;
  char            *base; /* http://127.0.0.1:PORT */
  char            *other_base;
  guint            other_hits;
  GtkWindow       *window;
  TillPaymentView *view;
  guint            loaded;
  guint            ready;
  guint            results;
  guint            load_errors;
  guint            crashed;
  GPtrArray       *blocked;
  char            *last_status;
} Fixture;

static char *
read_page_file (const char *name)
{
  g_autofree char *path = g_test_build_filename (G_TEST_DIST, "..", "data", "pay", name, NULL);
  g_autoptr (GError) error = NULL;
  char *contents = NULL;

  g_file_get_contents (path, &contents, NULL, &error);
  g_assert_no_error (error);
  return contents;
}

static void
serve (SoupServerMessage *msg, const char *type, char *body)
{
  soup_server_message_set_status (msg, 200, NULL);
  soup_server_message_set_response (msg, type, SOUP_MEMORY_TAKE, body, strlen (body));
}

static void
on_request (SoupServer        *server,
            SoupServerMessage *msg,
            const char        *path,
            GHashTable        *query,
            gpointer           user_data)
{
  Fixture *f = user_data;

  if (g_str_equal (path, "/pay/"))
    {
      g_autofree char *html = read_page_file ("index.html");
      g_autofree char *stripe = g_strconcat (f->base, "/no-stripe-here.js", NULL);
      g_autoptr (GString) page = g_string_new (html);

      g_string_replace (page, "@STRIPE_JS_URL@", stripe, 0);
      serve (msg, "text/html; charset=utf-8", g_string_free (g_steal_pointer (&page), FALSE));
    }
  else if (g_str_equal (path, "/pay/pay.js"))
    serve (msg, "text/javascript", read_page_file ("pay.js"));
  else if (g_str_equal (path, "/pay/pay.css"))
    serve (msg, "text/css", read_page_file ("pay.css"));
  else if (g_str_equal (path, "/pay/download"))
    {
      soup_message_headers_append (soup_server_message_get_response_headers (msg),
                                   "Content-Disposition", "attachment; filename=\"orders.bin\"");
      serve (msg, "application/octet-stream", g_strdup ("\x01\x02\x03"));
    }
  else
    soup_server_message_set_status (msg, 404, NULL);
}

static void
on_other_request (SoupServer        *server,
                  SoupServerMessage *msg,
                  const char        *path,
                  GHashTable        *query,
                  gpointer           user_data)
{
  Fixture *f = user_data;

  f->other_hits++;
  serve (msg, "text/html", g_strdup ("<p>elsewhere</p>"));
}

static char *
listen_loopback (SoupServer *server)
{
  g_autoptr (GError) error = NULL;
  GSList *uris;
  char   *base;

  soup_server_listen_local (server, 0, SOUP_SERVER_LISTEN_IPV4_ONLY, &error);
  g_assert_no_error (error);
  uris = soup_server_get_uris (server);
  base = g_uri_to_string (uris->data);
  g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);
  if (g_str_has_suffix (base, "/"))
    base[strlen (base) - 1] = '\0';
  return base;
}

static void
on_loaded (TillPaymentView *view, Fixture *f)
{
  f->loaded++;
}
static void
on_ready (TillPaymentView *view, Fixture *f)
{
  f->ready++;
}
static void
on_load_error (TillPaymentView *view, const char *message, Fixture *f)
{
  f->load_errors++;
}
static void
on_crashed (TillPaymentView *view, Fixture *f)
{
  f->crashed++;
}

static void
on_result (TillPaymentView *view, TillPayMessage *message, Fixture *f)
{
  f->results++;
  g_free (f->last_status);
  f->last_status = g_strdup (message->status);
}

static void
on_blocked (TillPaymentView *view, const char *what, Fixture *f)
{
  g_ptr_array_add (f->blocked, g_strdup (what));
}

/* Iterates the main loop until *counter reaches target, or fails at the deadline. */
static void
wait_for (guint *counter, guint target, const char *what)
{
  gint64 deadline = g_get_monotonic_time () + DEADLINE_US;

  while (*counter < target)
    {
      if (g_get_monotonic_time () > deadline)
        g_error ("timed out waiting for %s", what);
      g_main_context_iteration (NULL, TRUE);
    }
}

static void
run_js (Fixture *f, const char *script)
{
  webkit_web_view_evaluate_javascript (till_payment_view_get_web_view (f->view), script, -1, NULL,
                                       NULL, NULL, NULL, NULL);
}

static guint
count_blocked (Fixture *f, const char *what)
{
  guint n = 0;

  for (guint i = 0; i < f->blocked->len; i++)
    if (g_str_equal (g_ptr_array_index (f->blocked, i), what))
      n++;
  return n;
}

/* Runs a script and waits until the view has refused @n more things of kind @what. */
static void
run_js_expect_blocked_at (
    Fixture *f, const char *script, const char *what, guint n, GLogLevelFlags level)
{
  guint  target = count_blocked (f, what) + n;
  gint64 deadline = g_get_monotonic_time () + DEADLINE_US;

  if (g_str_equal (what, "message"))
    for (guint i = 0; i < n; i++)
      g_test_expect_message ("till-pay", level, "Dropped a message*");

  run_js (f, script);
  while (count_blocked (f, what) < target)
    {
      if (g_get_monotonic_time () > deadline)
        g_error ("timed out waiting for %u refusals of %s", n, what);
      g_main_context_iteration (NULL, TRUE);
    }
  g_test_assert_expected_messages ();
}

static void
run_js_expect_blocked (Fixture *f, const char *script, const char *what, guint n)
{
  run_js_expect_blocked_at (f, script, what, n, G_LOG_LEVEL_WARNING);
}

static void
fixture_set_up (Fixture *f, gconstpointer data)
{
  f->blocked = g_ptr_array_new_with_free_func (g_free);
  f->server = soup_server_new (NULL, NULL);
  soup_server_add_handler (f->server, NULL, on_request, f, NULL);
  f->base = listen_loopback (f->server);
  f->other = soup_server_new (NULL, NULL);
  soup_server_add_handler (f->other, NULL, on_other_request, f, NULL);
  f->other_base = listen_loopback (f->other);

  {
    g_autofree char *page = g_strconcat (f->base, "/pay/", NULL);
    f->view = till_payment_view_new (page, NULL);
  }
  g_signal_connect (f->view, "loaded", G_CALLBACK (on_loaded), f);
  g_signal_connect (f->view, "ready", G_CALLBACK (on_ready), f);
  g_signal_connect (f->view, "result", G_CALLBACK (on_result), f);
  g_signal_connect (f->view, "load-error", G_CALLBACK (on_load_error), f);
  g_signal_connect (f->view, "crashed", G_CALLBACK (on_crashed), f);
  g_signal_connect (f->view, "blocked", G_CALLBACK (on_blocked), f);

  f->window = GTK_WINDOW (gtk_window_new ());
  gtk_window_set_default_size (f->window, 800, 600);
  gtk_window_set_child (f->window, GTK_WIDGET (f->view));
  gtk_window_present (f->window);

  wait_for (&f->loaded, 1, "the page to load");
  g_assert_true (till_payment_view_get_loaded (f->view));
}

static void
fixture_tear_down (Fixture *f, gconstpointer data)
{
  gtk_window_destroy (f->window);
  soup_server_disconnect (f->server);
  soup_server_disconnect (f->other);
  g_clear_object (&f->server);
  g_clear_object (&f->other);
  g_free (f->base);
  g_free (f->other_base);
  g_free (f->last_status);
  g_ptr_array_unref (f->blocked);
}

static void
start_payment (Fixture *f)
{
  TillPaymentArgs args = {
    .payment_intent = PI,
    .client_secret = PI "_secret_abc",
    .publishable_key = "pk_test_123",
    .amount_label = "$12.50",
    .stripe_amount = 1250,
    .currency = "USD",
  };
  guint before = f->load_errors;

  till_payment_view_start (f->view, &args);
  /* No Stripe.js in this test: the page says so, through the bridge. */
  wait_for (&f->load_errors, before + 1, "start() to reach the page");
}

static gboolean
page_says (Fixture *f, const char *expression)
{
  return pay_page_says (till_payment_view_get_web_view (f->view), expression);
}

/* Asks the page until @expression is true, or fails at the deadline. */
static void
wait_page_says (Fixture *f, const char *expression, const char *what)
{
  gint64 deadline = g_get_monotonic_time () + DEADLINE_US;

  while (!page_says (f, expression))
    {
      if (g_get_monotonic_time () > deadline)
        g_error ("timed out waiting for %s", what);
      g_main_context_iteration (NULL, FALSE);
    }
}

static void
test_allowed_uris (Fixture *f, gconstpointer data)
{
  g_autofree char *own = g_strconcat (f->base, "/pay/?payment_intent=" PI, NULL);
  g_autofree char *own_file = g_strconcat (f->base, "/pay/pay.js", NULL);
  g_autofree char *own_api = g_strconcat (f->base, "/api/v1/orders", NULL);
  g_autofree char *own_escape = g_strconcat (f->base, "/pay/../api/v1/orders", NULL);
  g_autofree char *other = g_strconcat (f->other_base, "/pay/", NULL);
  /* Never in a frame, training or not. */
  const char *refused[] = {
    "http://js.stripe.com/v3/",
    "http://acs.examplebank.com/challenge",
    "http://192.168.1.20/",
    "file:///etc/passwd",
    "data:text/html,<p>hi</p>",
    "blob:https://js.stripe.com/0d9c",
    "javascript:alert(1)",
    "ftp://127.0.0.1/",
    "till-pay://127.0.0.1/",
    "https:///nohost",
    "",
    "not a uri",
  };
  /* Any frame may load these: Stripe's hosts, a card issuer's challenge on any HTTPS host,
   * fraud signals and captchas, and the blank documents frames start with. */
  const char *frames[] = {
    "https://js.stripe.com/v3/",
    "https://b.js.stripe.com/v3/elements-inner.html",
    "https://hooks.stripe.com/3d_secure_2/hosted",
    "https://acs.examplebank.com:8443/3ds/challenge?id=1",
    "https://m.stripe.network/inner.html",
    "https://newassets.hcaptcha.com/captcha/v1/",
    "about:blank",
    "about:srcdoc",
  };

  /* The main frame shows the payment page only. */
  g_assert_true (till_payment_view_allows_page_uri (f->view, own));
  g_assert_true (till_payment_view_allows_page_uri (f->view, own_file));
  g_assert_false (till_payment_view_allows_page_uri (f->view, own_api));
  g_assert_false (till_payment_view_allows_page_uri (f->view, own_escape));
  g_assert_false (till_payment_view_allows_page_uri (f->view, other));
  for (guint i = 0; i < G_N_ELEMENTS (frames); i++)
    if (!g_str_has_prefix (frames[i], "about:"))
      g_assert_false (till_payment_view_allows_page_uri (f->view, frames[i]));
  for (guint i = 0; i < G_N_ELEMENTS (refused); i++)
    g_assert_false (till_payment_view_allows_page_uri (f->view, refused[i]));

  g_assert_true (till_payment_view_allows_frame_uri (f->view, own));
  for (guint i = 0; i < G_N_ELEMENTS (frames); i++)
    g_assert_true (till_payment_view_allows_frame_uri (f->view, frames[i]));
  for (guint i = 0; i < G_N_ELEMENTS (refused); i++)
    g_assert_false (till_payment_view_allows_frame_uri (f->view, refused[i]));
  /* http: on loopback (the simulator's origins) in training only. */
  g_assert_false (till_payment_view_allows_frame_uri (f->view, other));
  g_assert_false (till_payment_view_allows_frame_uri (f->view, "http://localhost:9/"));
  till_payment_view_set_training (f->view, TRUE);
  g_assert_true (till_payment_view_allows_frame_uri (f->view, other));
  g_assert_true (till_payment_view_allows_frame_uri (f->view, "http://localhost:9/"));
  g_assert_true (till_payment_view_allows_frame_uri (f->view, "http://127.0.0.2:9/acs"));
  g_assert_true (till_payment_view_allows_frame_uri (f->view, "http://[::1]:9/"));
  g_assert_false (till_payment_view_allows_page_uri (f->view, other));
  for (guint i = 0; i < G_N_ELEMENTS (refused); i++)
    g_assert_false (till_payment_view_allows_frame_uri (f->view, refused[i]));
}

/* In training, a frame from another origin (as the simulator's card issuer is) loads, and
 * nothing is refused. */
static void
test_frames_from_other_origins (Fixture *f, gconstpointer data)
{
  g_autofree char *frame =
      g_strdup_printf ("var i = document.createElement('iframe'); i.src = '%s/acs/challenge';"
                       "document.body.appendChild(i);",
                       f->other_base);

  till_payment_view_set_training (f->view, TRUE);
  start_payment (f);
  run_js (f, frame);
  wait_for (&f->other_hits, 1, "the frame from another origin");
  g_assert_cmpuint (count_blocked (f, "navigation"), ==, 0);
}

/* The main frame never leaves the page, even for an origin frames may load; the page then
 * says why in plain words. */
static void
test_refuses_leaving_page (Fixture *f, gconstpointer data)
{
  g_autofree char *top = g_strdup_printf ("location.href = '%s/bank/redirect';", f->other_base);
  g_autofree char *page = g_strconcat (f->base, "/pay/", NULL);
  WebKitWebView   *web_view = till_payment_view_get_web_view (f->view);

  till_payment_view_set_training (f->view, TRUE);
  start_payment (f);
  run_js_expect_blocked (f, top, "navigation", 1);
  g_assert_cmpstr (webkit_web_view_get_uri (web_view), ==, page);
  /* The page is still ours, and tells the customer. */
  wait_page_says (f, "!document.getElementById('message').hidden", "the page's message");
  g_assert_true (page_says (
      f, "document.getElementById('message').textContent.indexOf('Please pay by card') >= 0"));

  /* The same for a pop-up. */
  run_js (f, "document.getElementById('message').hidden = true;");
  webkit_settings_set_javascript_can_open_windows_automatically (
      webkit_web_view_get_settings (web_view), TRUE);
  run_js_expect_blocked (f, "window.open('https://wallet.example/pay');", "new-window", 1);
  wait_page_says (f, "!document.getElementById('message').hidden", "the message after a pop-up");
}

static void
test_refuses_other_origins (Fixture *f, gconstpointer data)
{
  g_autofree char *top = g_strdup_printf ("location.href = '%s/evil';", f->other_base);
  g_autofree char *frame = g_strdup_printf (
      "var i = document.createElement('iframe'); i.src = '%s/frame'; document.body.appendChild(i);",
      f->other_base);
  g_autofree char *page = g_strconcat (f->base, "/pay/", NULL);
  WebKitWebView   *web_view = till_payment_view_get_web_view (f->view);

  start_payment (f);
  run_js_expect_blocked (f, top, "navigation", 1);
  run_js_expect_blocked (f, frame, "navigation", 1);

  g_assert_cmpuint (f->other_hits, ==, 0);
  g_assert_cmpstr (webkit_web_view_get_uri (web_view), ==, page);
}

static void
test_refuses_new_windows (Fixture *f, gconstpointer data)
{
  g_autofree char *script =
      g_strdup_printf ("window.open('%s/popup'); window.open('/pay/');", f->other_base);
  WebKitSettings *settings =
      webkit_web_view_get_settings (till_payment_view_get_web_view (f->view));

  /* Let WebKit's own pop-up blocker through, to show the view refuses windows itself. */
  webkit_settings_set_javascript_can_open_windows_automatically (settings, TRUE);
  start_payment (f);
  run_js_expect_blocked (f, script, "new-window", 2);

  g_assert_cmpuint (f->other_hits, ==, 0);
  /* Only our own window exists. */
  g_assert_cmpuint (g_list_model_get_n_items (gtk_window_get_toplevels ()), ==, 1);
}

static void
test_refuses_downloads (Fixture *f, gconstpointer data)
{
  g_autofree char *page = g_strconcat (f->base, "/pay/", NULL);

  start_payment (f);
  run_js_expect_blocked (f, "location.href = '/pay/download';", "download", 1);
  g_assert_cmpstr (webkit_web_view_get_uri (till_payment_view_get_web_view (f->view)), ==, page);
}

static void
test_forged_messages (Fixture *f, gconstpointer data)
{
  const char *forged[] = {
    "{type: 'result', status: 'succeeded', payment_intent: 'pi_someoneElse', error: null}",
    "{type: 'result', status: 'succeeded', payment_intent: '" PI "', error: null, amount: 1}",
    "{type: 'result', status: 'succeeded', payment_intent: '" PI "'}",
    "{type: 'result', status: 'paid', payment_intent: '" PI "', error: null}",
    "{type: 'result', status: 'succeeded', payment_intent: '" PI "',"
    " error: {code: null, decline_code: null, message: null, card: '4242424242424242'}}",
    "'succeeded'",
    "42",
    /* a well-formed PaymentMethod, for a payment not started as MOTO */
    "{type: 'payment_method', status: null, payment_intent: '" PI "', error: null,"
    " payment_method: 'pm_1Xy2Zw'}",
  };

  /* Before any payment, even a well-formed result is dropped (as a late word would be). */
  run_js_expect_blocked_at (f,
                            "window.webkit.messageHandlers.till.postMessage({type: 'result',"
                            " status: 'succeeded', payment_intent: '" PI "', error: null});",
                            "message", 1, G_LOG_LEVEL_MESSAGE);
  g_assert_cmpuint (f->results, ==, 0);

  start_payment (f);
  for (guint i = 0; i < G_N_ELEMENTS (forged); i++)
    {
      g_autofree char *script =
          g_strdup_printf ("window.webkit.messageHandlers.till.postMessage(%s);", forged[i]);
      g_test_message ("forged message %u", i);
      /* The first names another PaymentIntent: refused too, but as a late word from an
       * earlier sale's page would be, without a warning. */
      run_js_expect_blocked_at (f, script, "message", 1,
                                i == 0 ? G_LOG_LEVEL_MESSAGE : G_LOG_LEVEL_WARNING);
      g_assert_cmpuint (f->results, ==, 0);
    }

  /* A well-formed one for the intent in progress goes through, as a hint. */
  run_js (f, "window.webkit.messageHandlers.till.postMessage({type: 'result',"
             " status: 'requires_payment_method', payment_intent: '" PI "',"
             " error: {code: 'card_declined', decline_code: 'generic_decline',"
             " message: 'Your card was declined.'}});");
  wait_for (&f->results, 1, "the valid result");
  g_assert_cmpstr (f->last_status, ==, "requires_payment_method");

  /* After reset, nothing is in progress any more. */
  till_payment_view_reset (f->view);
  g_assert_null (till_payment_view_get_payment_intent (f->view));
}

static void
test_refuses_zoom_menu_inspector_drops (Fixture *f, gconstpointer data)
{
  WebKitWebView *web_view = till_payment_view_get_web_view (f->view);
  g_autoptr (WebKitContextMenu) menu = webkit_context_menu_new ();
  gboolean handled = FALSE;

  /* Zoom snaps back. */
  webkit_web_view_set_zoom_level (web_view, 2.0);
  g_assert_cmpfloat (webkit_web_view_get_zoom_level (web_view), ==, 1.0);

  /* No inspector, no context menu. */
  g_assert_false (
      webkit_settings_get_enable_developer_extras (webkit_web_view_get_settings (web_view)));
  g_signal_emit_by_name (web_view, "context-menu", menu, NULL, &handled);
  g_assert_true (handled);

  /* A file or link dropped on the page does nothing (the default is prevented). */
  g_assert_true (page_says (f,
                            "(function () {"
                            "  var e = new Event('drop', {bubbles: true, cancelable: true});"
                            "  document.body.dispatchEvent(e); return e.defaultPrevented; })()"));
  g_assert_true (page_says (f,
                            "(function () {"
                            "  var e = new Event('dragover', {bubbles: true, cancelable: true});"
                            "  document.body.dispatchEvent(e); return e.defaultPrevented; })()"));
}

static void
test_crash_recovers (Fixture *f, gconstpointer data)
{
  guint errors;

  start_payment (f);
  errors = f->load_errors;
  g_test_expect_message ("till-pay", G_LOG_LEVEL_WARNING, "*web process ended*");
  webkit_web_view_terminate_web_process (till_payment_view_get_web_view (f->view));
  wait_for (&f->crashed, 1, "the crash to be noticed");
  g_test_assert_expected_messages ();
  wait_for (&f->loaded, 2, "the page to load again");
  /* The payment in progress was handed to the new page, which answered. */
  wait_for (&f->load_errors, errors + 1, "start() on the new page");
  g_assert_cmpstr (till_payment_view_get_payment_intent (f->view), ==, PI);
}

/* TLS: a certificate nobody vouches for is refused, unless it is the pinned one. */

typedef struct
{
  guint loaded;
  guint errors;
} TlsCounts;

static void
on_tls_loaded (TillPaymentView *view, TlsCounts *counts)
{
  counts->loaded++;
}
static void
on_tls_error (TillPaymentView *view, const char *message, TlsCounts *counts)
{
  counts->errors++;
}

static void
run_tls_view (Fixture *f, const char *page, const char *pin, TlsCounts *counts)
{
  TillPaymentView *view = till_payment_view_new (page, NULL);
  GtkWindow       *window = GTK_WINDOW (gtk_window_new ());
  gint64           deadline = g_get_monotonic_time () + DEADLINE_US;

  /* The pin must be known before the first answer: set it, then load again. */
  till_payment_view_set_pinned_certificate (view, pin);
  webkit_web_view_load_uri (till_payment_view_get_web_view (view), page);
  g_signal_connect (view, "loaded", G_CALLBACK (on_tls_loaded), counts);
  g_signal_connect (view, "load-error", G_CALLBACK (on_tls_error), counts);
  gtk_window_set_child (window, GTK_WIDGET (view));
  gtk_window_present (window);
  while (counts->loaded == 0 && counts->errors == 0)
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_main_context_iteration (NULL, TRUE);
    }
  gtk_window_destroy (window);
}

/* The server is gone as the page loads (stopped, restarting): the view says so through
 * load-error, and a shop's ordinary day is no warning. */
static void
test_server_gone (Fixture *f, gconstpointer data)
{
  g_autofree char *closed = till_test_closed_port_url ();
  g_autofree char *page = g_strconcat (closed, "/pay/", NULL);
  TlsCounts        counts = { 0, 0 };

  run_tls_view (f, page, NULL, &counts);
  g_assert_cmpuint (counts.errors, ==, 1);
  g_assert_cmpuint (counts.loaded, ==, 0);
}

static void
test_tls_pinning (Fixture *f, gconstpointer data)
{
  g_autofree char *cert_path = g_test_build_filename (G_TEST_DIST, "app", "test-cert.pem", NULL);
  g_autofree char *key_path = g_test_build_filename (G_TEST_DIST, "app", "test-key.pem", NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (GTlsCertificate) cert = g_tls_certificate_new_from_files (cert_path, key_path, &error);
  g_autoptr (SoupServer) server = NULL;
  g_autoptr (GByteArray) der = NULL;
  g_autofree char *pin = NULL;
  g_autofree char *page = NULL;
  TlsCounts        refused = { 0, 0 };
  TlsCounts        pinned = { 0, 0 };
  GSList          *uris;

#if defined(__SANITIZE_ADDRESS__)
  /* LeakSanitizer cannot stop the TLS worker threads at exit ("fatal error"); the normal
   * build runs this test. */
  g_test_skip ("TLS threads and LeakSanitizer do not mix");
  return;
#endif
  g_assert_no_error (error);
  server = soup_server_new ("tls-certificate", cert, NULL);
  soup_server_add_handler (server, NULL, on_request, f, NULL);
  soup_server_listen_local (server, 0, SOUP_SERVER_LISTEN_IPV4_ONLY | SOUP_SERVER_LISTEN_HTTPS,
                            &error);
  g_assert_no_error (error);
  uris = soup_server_get_uris (server);
  page = g_strdup_printf ("https://127.0.0.1:%d/pay/", g_uri_get_port (uris->data));
  g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);

  g_test_expect_message ("till-pay", G_LOG_LEVEL_WARNING, "*certificate is not trusted*");
  run_tls_view (f, page, NULL, &refused);
  g_test_assert_expected_messages ();
  g_assert_cmpuint (refused.errors, >, 0);
  g_assert_cmpuint (refused.loaded, ==, 0);

  g_object_get (cert, "certificate", &der, NULL);
  pin = g_compute_checksum_for_data (G_CHECKSUM_SHA256, der->data, der->len);
  run_tls_view (f, page, pin, &pinned);
  g_assert_cmpuint (pinned.loaded, ==, 1);
  g_assert_cmpuint (pinned.errors, ==, 0);
  soup_server_disconnect (server);
}

int
main (int argc, char **argv)
{
  gtk_test_init (&argc, &argv, NULL);
  adw_init ();

#define ADD(path, fn)                                                                              \
  g_test_add ("/pay/view/" path, Fixture, NULL, fixture_set_up, fn, fixture_tear_down)
  ADD ("allowed-uris", test_allowed_uris);
  ADD ("refuses-other-origins", test_refuses_other_origins);
  ADD ("frames-from-other-origins", test_frames_from_other_origins);
  ADD ("refuses-leaving-page", test_refuses_leaving_page);
  ADD ("refuses-new-windows", test_refuses_new_windows);
  ADD ("refuses-downloads", test_refuses_downloads);
  ADD ("forged-messages", test_forged_messages);
  ADD ("server-gone", test_server_gone);
  ADD ("refuses-zoom-menu-inspector-drops", test_refuses_zoom_menu_inspector_drops);
  ADD ("crash-recovers", test_crash_recovers);
  ADD ("tls-pinning", test_tls_pinning);
#undef ADD

  return g_test_run ();
}
