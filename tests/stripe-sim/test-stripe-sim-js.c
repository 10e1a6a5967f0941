/* test-stripe-sim-js.c: the Stripe.js stand-in in a real browser engine (WebKitGTK, Xvfb).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A page served by this test (its own origin) loads the stand-in from the simulator (another
 * origin), mounts the Payment Element and calls stripe.confirmPayment(). What is simulated,
 * and how:
 *   - Typing: a user script injected into every frame by this harness (never shipped) listens,
 *     inside the card iframe, for {tillTest: "type"} messages from the test page and enters
 *     each character by setting the input's value and dispatching an `input` event, then
 *     blurs the field: the form's own validation and formatting code runs as for a person.
 *     Real key events are not synthesized.
 *   - 3-D Secure: the same user script, inside the challenge iframe of the modal, clicks the
 *     Complete or Fail button when the test page asks it to.
 * Everything else (the stand-in, the iframe, postMessage, the API calls, the modal) is the
 * real code path. The test page reports events to the harness through a script message
 * handler; the harness waits by iterating the main loop with a deadline.
 */
#include "config.h"

#include <gtk/gtk.h>
#include <string.h>
#include <webkit/webkit.h>

#include "sim-test-util.h"

#define DEADLINE_MS 20000

typedef struct
{
  char          *page;    /* js-page.html with the simulator's address */
  char          *harness; /* js-harness.js */
  TillStripeSim *sim;
  SoupServer    *pages;
  char          *pages_base;
  SoupSession   *session;
  GtkWidget     *window;
  WebKitWebView *view;
  GPtrArray     *events; /* JsonNode */
  guint          seen;   /* events consumed */
} Fixture;

static void
on_page (SoupServer        *server,
         SoupServerMessage *msg,
         const char        *path,
         GHashTable        *query,
         gpointer           user_data)
{
  Fixture *f = user_data;
  char    *html = g_strdup (f->page);

  soup_server_message_set_status (msg, 200, NULL);
  soup_server_message_set_response (msg, "text/html; charset=utf-8", SOUP_MEMORY_TAKE, html,
                                    strlen (html));
}

static void
on_done_page (SoupServer        *server,
              SoupServerMessage *msg,
              const char        *path,
              GHashTable        *query,
              gpointer           user_data)
{
  static const char html[] =
      "<!DOCTYPE html><html><body><script>"
      "window.webkit.messageHandlers.test.postMessage(JSON.stringify({ event: 'returned', "
      "query: Object.fromEntries(new URLSearchParams(location.search)) }));"
      "</script></body></html>";

  soup_server_message_set_status (msg, 200, NULL);
  soup_server_message_set_response (msg, "text/html; charset=utf-8", SOUP_MEMORY_STATIC, html,
                                    strlen (html));
}

static void
on_script_message (WebKitUserContentManager *manager, JSCValue *value, gpointer user_data)
{
  Fixture         *f = user_data;
  g_autofree char *text = jsc_value_to_string (value);
  g_autoptr (JsonParser) parser = json_parser_new ();

  g_assert_true (json_parser_load_from_data (parser, text, -1, NULL));
  g_test_message ("page: %.160s", text);
  g_ptr_array_add (f->events, json_node_copy (json_parser_get_root (parser)));
}

static char *
read_source (const char *name)
{
  g_autofree char *path = g_build_filename (SIM_TEST_SRCDIR, name, NULL);
  g_autoptr (GError) error = NULL;
  char *contents = NULL;

  g_file_get_contents (path, &contents, NULL, &error);
  g_assert_no_error (error);
  return contents;
}

static void
fixture_set_up (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (WebKitUserScript) script = NULL;
  WebKitUserContentManager *manager;
  GSList                   *uris;

  f->sim = till_stripe_sim_new (NULL, &error);
  g_assert_no_error (error);
  till_stripe_sim_listen (f->sim, "127.0.0.1", 0, &error);
  g_assert_no_error (error);

  f->page = read_source ("js-page.html");
  {
    g_autoptr (GString) page = g_string_new (f->page);

    g_string_replace (page, "@SIM@", till_stripe_sim_get_base_uri (f->sim), 0);
    g_free (f->page);
    f->page = g_string_free (g_steal_pointer (&page), FALSE);
  }
  f->harness = read_source ("js-harness.js");

  f->pages = soup_server_new (NULL, NULL);
  soup_server_add_handler (f->pages, "/pay", on_page, f, NULL);
  soup_server_add_handler (f->pages, "/done", on_done_page, f, NULL);
  soup_server_listen_local (f->pages, 0, SOUP_SERVER_LISTEN_IPV4_ONLY, &error);
  g_assert_no_error (error);
  uris = soup_server_get_uris (f->pages);
  f->pages_base = g_strdup_printf ("http://127.0.0.1:%d/", g_uri_get_port (uris->data));
  g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);

  f->session = soup_session_new ();
  f->events = g_ptr_array_new_with_free_func ((GDestroyNotify) json_node_unref);

  f->view = WEBKIT_WEB_VIEW (webkit_web_view_new ());
  webkit_settings_set_hardware_acceleration_policy (webkit_web_view_get_settings (f->view),
                                                    WEBKIT_HARDWARE_ACCELERATION_POLICY_NEVER);
  manager = webkit_web_view_get_user_content_manager (f->view);
  g_signal_connect (manager, "script-message-received::test", G_CALLBACK (on_script_message), f);
  g_assert_true (
      webkit_user_content_manager_register_script_message_handler (manager, "test", NULL));
  script = webkit_user_script_new (f->harness, WEBKIT_USER_CONTENT_INJECT_ALL_FRAMES,
                                   WEBKIT_USER_SCRIPT_INJECT_AT_DOCUMENT_END, NULL, NULL);
  webkit_user_content_manager_add_script (manager, script);

  f->window = gtk_window_new ();
  gtk_window_set_default_size (GTK_WINDOW (f->window), 520, 560);
  gtk_window_set_child (GTK_WINDOW (f->window), GTK_WIDGET (f->view));
  gtk_window_present (GTK_WINDOW (f->window));
}

static void
fixture_tear_down (Fixture *f, gconstpointer data)
{
  gtk_window_destroy (GTK_WINDOW (f->window));
  g_ptr_array_unref (f->events);
  g_clear_object (&f->session);
  soup_server_disconnect (f->pages);
  g_clear_object (&f->pages);
  g_free (f->pages_base);
  g_clear_object (&f->sim);
  g_free (f->page);
  g_free (f->harness);
}

typedef struct
{
  Fixture    *f;
  const char *name;
  JsonNode   *found;
} EventWait;

static gboolean
event_arrived (gpointer data)
{
  EventWait *wait = data;
  Fixture   *f = wait->f;

  while (wait->found == NULL && f->seen < f->events->len)
    {
      JsonNode *event = g_ptr_array_index (f->events, f->seen++);

      if (g_strcmp0 (sim_json_string (event, "event"), wait->name) == 0)
        wait->found = event;
    }
  return wait->found != NULL;
}

/* The next event @name the page reports (earlier other events are skipped). */
static JsonNode *
wait_event (Fixture *f, const char *name)
{
  EventWait wait = { f, name, NULL };

  if (!till_test_wait_until (event_arrived, &wait, DEADLINE_MS))
    g_error ("the page never reported “%s”", name);
  return wait.found;
}

static void
on_evaluated (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (JSCValue) value G_GNUC_UNUSED =
      webkit_web_view_evaluate_javascript_finish (WEBKIT_WEB_VIEW (source), result, &error);

  g_assert_no_error (error);
  *(gboolean *) user_data = TRUE;
}

static void
run_js (Fixture *f, const char *script)
{
  gboolean done = FALSE;

  webkit_web_view_evaluate_javascript (f->view, script, -1, NULL, NULL, NULL, on_evaluated, &done);
  g_assert_true (till_test_wait_for (&done, DEADLINE_MS));
}

/* A fresh PaymentIntent and the page, ready for typing. */
static char *
open_page_with (Fixture *f, const char *extra)
{
  g_autofree char *uri =
      g_strconcat (till_stripe_sim_get_base_uri (f->sim), "v1/payment_intents", NULL);
  g_autoptr (SimResponse) r =
      sim_request (f->session, "POST", uri, SIM_TEST_KEY,
                   "amount=1250&currency=usd&automatic_payment_methods[enabled]=true", NULL);
  g_autofree char *escaped = NULL;
  g_autofree char *page = NULL;

  g_assert_cmpuint (r->status, ==, 200);
  escaped = g_uri_escape_string (sim_json_string (r->json, "client_secret"), NULL, FALSE);
  page = g_strdup_printf ("%spay?cs=%s%s", f->pages_base, escaped, extra ? extra : "");
  f->seen = f->events->len;
  webkit_web_view_load_uri (f->view, page);
  wait_event (f, "ready");
  wait_event (f, "frame-card");
  return g_strdup (sim_json_string (r->json, "id"));
}

static char *
open_page (Fixture *f)
{
  return open_page_with (f, NULL);
}

/* Types into the card form; returns the last change event it caused. */
static JsonNode *
type_card (Fixture *f, const char *number, const char *expiry, const char *cvc)
{
  g_autofree char *script = g_strdup_printf (
      "tillTest.type({ number: '%s', expiry: '%s', cvc: '%s' });", number, expiry, cvc);
  guint     start = f->seen;
  JsonNode *change = NULL;

  run_js (f, script);
  wait_event (f, "typed");
  for (guint i = start; i < f->seen; i++)
    {
      JsonNode *event = g_ptr_array_index (f->events, i);

      if (g_strcmp0 (sim_json_string (event, "event"), "change") == 0)
        change = event;
    }
  g_assert_nonnull (change);
  return change;
}

static JsonNode *
pay (Fixture *f)
{
  run_js (f, "tillTest.pay();");
  return wait_event (f, "result");
}

typedef struct
{
  const char *number;
  const char *status; /* paymentIntent.status, or NULL for an error */
  const char *code;
  const char *decline_code;
  const char *challenge; /* "complete", "fail" or NULL */
} JsCase;

static void
test_cards (Fixture *f, gconstpointer data)
{
  static const JsCase cases[] = {
    { "4242424242424242", "succeeded", NULL, NULL, NULL },
    { "5555555555554444", "succeeded", NULL, NULL, NULL },
    { "4000000000000002", NULL, "card_declined", "generic_decline", NULL },
    { "4000000000009995", NULL, "card_declined", "insufficient_funds", NULL },
    { "4000002500003155", "succeeded", NULL, NULL, "complete" },
    { "4000002760003184", "succeeded", NULL, NULL, "complete" },
    { "4000002760003184", NULL, "payment_intent_authentication_failure", NULL, "fail" },
    { "4000002500003155", NULL, "payment_intent_authentication_failure", NULL, "fail" },
    { "4111111111111111", NULL, "incorrect_number", NULL, NULL },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      const JsCase    *c = &cases[i];
      g_autofree char *id = open_page (f);
      JsonNode        *result;
      JsonNode        *change;

      g_test_message ("browser case %u: %s", i, c->number);
      change = type_card (f, c->number, "1234", "123");
      /* The last change says the form is complete. */
      g_assert_true (sim_json_bool (change, "complete"));

      run_js (f, "tillTest.pay();");
      if (c->challenge != NULL)
        {
          g_autofree char *script = g_strdup_printf ("tillTest.challenge('%s');", c->challenge);

          wait_event (f, "frame-challenge");
          run_js (f, script);
        }
      result = wait_event (f, "result");

      if (c->status != NULL)
        {
          g_assert_null (sim_json_path (result, "result.error"));
          g_assert_cmpstr (sim_json_string (result, "result.paymentIntent.id"), ==, id);
          g_assert_cmpstr (sim_json_string (result, "result.paymentIntent.status"), ==, c->status);
          g_assert_cmpstr (sim_json_string (result, "result.paymentIntent.object"), ==,
                           "payment_intent");
        }
      else
        {
          g_assert_null (sim_json_path (result, "result.paymentIntent"));
          g_assert_cmpstr (sim_json_string (result, "result.error.type"), ==, "card_error");
          g_assert_cmpstr (sim_json_string (result, "result.error.code"), ==, c->code);
          g_assert_cmpstr (sim_json_string (result, "result.error.decline_code"), ==,
                           c->decline_code);
          g_assert_nonnull (sim_json_string (result, "result.error.message"));
          if (g_strcmp0 (c->code, "incorrect_number") != 0)
            g_assert_cmpstr (sim_json_string (result, "result.error.payment_intent.status"), ==,
                             "requires_payment_method");
        }

      /* The page's answer agrees with the API. */
      run_js (f, "tillTest.retrieve();");
      result = wait_event (f, "retrieved");
      g_assert_cmpstr (sim_json_string (result, "result.paymentIntent.status"), ==,
                       c->status ? c->status : "requires_payment_method");
    }
}

static void
test_validation_as_typed (Fixture *f, gconstpointer data)
{
  struct
  {
    const char *number, *expiry, *cvc, *code;
  } cases[] = {
    { "4242424242424241", "1234", "123", "invalid_number" },
    { "42424242", "1234", "123", "incomplete_number" },
    { "4242424242424242", "1220", "123", "invalid_expiry_year_past" },
    { "4242424242424242", "1334", "123", "invalid_expiry_month" },
    { "4242424242424242", "12", "123", "incomplete_expiry" },
    { "4242424242424242", "1234", "1", "incomplete_cvc" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      JsonNode *result;
      JsonNode *change;

      g_free (open_page (f));
      g_test_message ("validation case %u", i);
      change = type_card (f, cases[i].number, cases[i].expiry, cases[i].cvc);
      /* The form flags it as typed, in its change events. */
      g_assert_cmpstr (sim_json_string (change, "error"), ==, cases[i].code);
      g_assert_false (sim_json_bool (change, "complete"));

      run_js (f, "tillTest.submit();");
      result = wait_event (f, "submitted");
      g_assert_cmpstr (sim_json_string (result, "result.error.type"), ==, "validation_error");
      g_assert_cmpstr (sim_json_string (result, "result.error.code"), ==, cases[i].code);

      result = pay (f);
      g_assert_cmpstr (sim_json_string (result, "result.error.code"), ==, cases[i].code);
      g_assert_null (sim_json_path (result, "result.paymentIntent"));
    }
}

/* Stripe({locale: 'tr'}): the form and its messages in Turkish. */
static void
test_locale (Fixture *f, gconstpointer data)
{
  JsonNode *result;

  g_free (open_page_with (f, "&locale=tr"));
  type_card (f, "4242424242424241", "1234", "123");
  result = pay (f);
  g_assert_cmpstr (sim_json_string (result, "result.error.code"), ==, "invalid_number");
  g_assert_cmpstr (sim_json_string (result, "result.error.message"), ==,
                   "Kart numaranız geçersiz.");
}

static void
test_isolation_and_keys (Fixture *f, gconstpointer data)
{
  JsonNode *probe;

  g_free (open_page (f));
  run_js (f, "tillTest.probe();");
  probe = wait_event (f, "probe");
  /* The page cannot read the card frame, and Stripe() refuses live keys. */
  g_assert_false (sim_json_bool (probe, "readable"));
  g_assert_true (g_str_has_prefix (sim_json_string (probe, "live"), "IntegrationError"));
}

static void
test_redirect_and_deferred (Fixture *f, gconstpointer data)
{
  g_autofree char *id = NULL;
  g_autofree char *script = NULL;
  JsonNode        *event;

  /* redirect: 'always' needs a return_url… */
  id = open_page (f);
  type_card (f, "4242424242424242", "1234", "123");
  run_js (f, "tillTest.payWithoutReturnUrl();");
  event = wait_event (f, "rejected");
  g_assert_true (g_str_has_prefix (sim_json_string (event, "message"), "IntegrationError"));

  /* …and goes there after a payment, through 3-D Secure too, as Stripe.js does. */
  g_clear_pointer (&id, g_free);
  id = open_page (f);
  type_card (f, "4000002500003155", "1234", "123");
  script = g_strdup_printf ("tillTest.payAndReturn('%sdone?from=test');", f->pages_base);
  run_js (f, script);
  wait_event (f, "frame-challenge");
  run_js (f, "tillTest.challenge('complete');");
  event = wait_event (f, "returned");
  g_assert_cmpstr (sim_json_string (event, "query.from"), ==, "test");
  g_assert_cmpstr (sim_json_string (event, "query.payment_intent"), ==, id);
  g_assert_cmpstr (sim_json_string (event, "query.redirect_status"), ==, "succeeded");
  g_assert_true (
      g_str_has_prefix (sim_json_string (event, "query.payment_intent_client_secret"), id));

  /* The deferred flow: elements() without a client secret, elements.submit(), then
   * confirmPayment() with it. */
  g_clear_pointer (&id, g_free);
  id = open_page_with (f, "&deferred=1");
  type_card (f, "5555555555554444", "1234", "123");
  event = pay (f);
  g_assert_cmpstr (sim_json_string (event, "result.paymentIntent.id"), ==, id);
  g_assert_cmpstr (sim_json_string (event, "result.paymentIntent.status"), ==, "succeeded");
}

static const char *
rejected (Fixture *f, const char *script)
{
  run_js (f, script);
  return sim_json_string (wait_event (f, "rejected"), "message");
}

static const char *
elements_answer (Fixture *f, const char *options)
{
  g_autofree char *script = g_strdup_printf ("tillTest.makeElements(%s);", options);

  run_js (f, script);
  return sim_json_string (wait_event (f, "elements"), "message");
}

/* Deferred-intent Elements misused, as Stripe.js answers: with IntegrationErrors, and nothing
 * sent to the API (the intent stays unpaid, and then pays). */
static void
test_deferred_misuse (Fixture *f, gconstpointer data)
{
  g_autofree char *id = open_page_with (f, "&deferred=1");
  g_autofree char *uri = NULL;
  g_autoptr (SimResponse) r = NULL;
  const char *message;
  JsonNode   *event;

  /* elements() in payment mode needs a currency and a positive whole amount. */
  g_assert_cmpstr (elements_answer (f, "{ mode: 'payment', amount: 1250 }"), ==,
                   "IntegrationError: Missing value for elements(): currency should be a string.");
  g_assert_true (g_str_has_prefix (elements_answer (f, "{ mode: 'payment', currency: 'usd' }"),
                                   "IntegrationError: Missing value for elements(): amount"));
  g_assert_true (
      g_str_has_prefix (elements_answer (f, "{ mode: 'payment', amount: 12.5, currency: 'usd' }"),
                        "IntegrationError: Invalid value for elements(): amount"));
  g_assert_true (
      g_str_has_prefix (elements_answer (f, "{ mode: 'payment', amount: 1250, currency: 'USD' }"),
                        "IntegrationError: Invalid value for elements(): currency"));
  g_assert_true (g_str_has_prefix (elements_answer (f, "{ mode: 'setup', currency: 'usd' }"),
                                   "IntegrationError: Invalid value for elements(): mode"));
  g_assert_cmpstr (elements_answer (f, "{ mode: 'payment', amount: 1250, currency: 'usd' }"), ==,
                   "made");

  type_card (f, "4242424242424242", "1234", "123");
  /* A confirmation without elements.submit() first… */
  message = rejected (f, "tillTest.payWithoutSubmit();");
  g_assert_true (g_str_has_prefix (
      message, "IntegrationError: elements.submit() must be called before "
               "stripe.confirmPayment(). Call elements.submit() as soon as your customer "
               "presses pay, prior to any asynchronous work."));
  /* …or without the client secret… */
  message = rejected (f, "tillTest.payWithoutSecret();");
  g_assert_true (g_str_has_prefix (message, "IntegrationError: stripe.confirmPayment(): the "
                                            "`clientSecret` argument is required"));
  /* …and a second confirmation on one submit. */
  message = rejected (f, "tillTest.payTwiceAfterOneSubmit();");
  g_assert_true (g_str_has_prefix (message, "IntegrationError: elements.submit() must be called"));
  wait_event (f, "result");

  /* The first of the two was the one confirmation: the intent is paid once. */
  uri = g_strdup_printf ("%sv1/payment_intents/%s", till_stripe_sim_get_base_uri (f->sim), id);
  r = sim_request (f->session, "GET", uri, SIM_TEST_KEY, NULL, NULL);
  g_assert_cmpuint (r->status, ==, 200);
  g_assert_cmpstr (sim_json_string (r->json, "status"), ==, "succeeded");

  /* The amount can be updated in deferred mode only. */
  run_js (f, "tillTest.updateAmount(1300);");
  wait_event (f, "updated");
  g_clear_pointer (&id, g_free);
  id = open_page (f);
  run_js (f, "tillTest.updateAmount(1300);");
  event = wait_event (f, "update-refused");
  g_assert_true (
      g_str_has_prefix (sim_json_string (event, "message"), "IntegrationError: elements.update()"));

  /* An amount in Elements that is not the intent's is no error: Stripe's SDKs stopped checking
   * it (amounts may change between the form and the confirmation), and the intent's amount
   * is what is charged. */
  g_clear_pointer (&id, g_free);
  id = open_page_with (f, "&deferred=1&amount=999");
  type_card (f, "4242424242424242", "1234", "123");
  event = pay (f);
  g_assert_cmpstr (sim_json_string (event, "result.paymentIntent.id"), ==, id);
  g_assert_cmpstr (sim_json_string (event, "result.paymentIntent.status"), ==, "succeeded");
  g_assert_cmpint (sim_json_int (event, "result.paymentIntent.amount"), ==, 1250);
}

typedef struct
{
  const char *name;
  gboolean    done;
} Snapshot;

static void
on_snapshot (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Snapshot *snapshot = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (GdkTexture) texture =
      webkit_web_view_get_snapshot_finish (WEBKIT_WEB_VIEW (source), result, &error);
  g_autofree char *path = g_test_build_filename (G_TEST_BUILT, snapshot->name, NULL);

  g_assert_no_error (error);
  g_assert_true (gdk_texture_save_to_png (texture, path));
  g_test_message ("screenshot: %s", path);
  snapshot->done = TRUE;
}

static void
take_snapshot (Fixture *f, const char *name)
{
  Snapshot snapshot = { name, FALSE };

  webkit_web_view_get_snapshot (f->view, WEBKIT_SNAPSHOT_REGION_VISIBLE,
                                WEBKIT_SNAPSHOT_OPTIONS_NONE, NULL, on_snapshot, &snapshot);
  g_assert_true (till_test_wait_for (&snapshot.done, DEADLINE_MS));
}

/* The card form filled in (data/screenshots/sim-card-form.png comes from here), the form in
 * the night theme at kiosk sizes showing an error, and the 3-D Secure modal, for people to
 * look at. */
/* How many messages of @type went from the card frame to the page ("sent") or from the page
 * to the frame ("received"), so far. */
static gint64
frame_messages (JsonNode *counts, const char *direction, const char *type)
{
  g_autofree char *path = g_strdup_printf ("%s.%s", direction, type);
  JsonNode        *count = sim_json_path (counts, path);

  return count != NULL ? json_node_get_int (count) : 0;
}

/* What lies between the keys and the result is work for the page: a keystroke that changes
 * nothing of the form's height sends no resize, and Pay sends the frame one message, the
 * confirmation (the frame validates before it calls the API). */
static void
test_messages (Fixture *f, gconstpointer data)
{
  JsonNode *before, *typed, *paid, *result;
  gint64    resizes;

  g_free (open_page (f));
  run_js (f, "tillTest.counts();");
  before = wait_event (f, "counts");
  resizes = frame_messages (before, "sent", "resize");
  g_assert_cmpint (resizes, >=, 1);

  type_card (f, "4242424242424242", "1234", "123");
  run_js (f, "tillTest.counts();");
  typed = wait_event (f, "counts");
  g_assert_cmpint (frame_messages (typed, "sent", "change"), >,
                   frame_messages (before, "sent", "change"));
  g_assert_cmpint (frame_messages (typed, "sent", "resize"), ==, resizes);

  result = pay (f);
  g_assert_cmpstr (sim_json_string (result, "result.paymentIntent.status"), ==, "succeeded");
  run_js (f, "tillTest.counts();");
  paid = wait_event (f, "counts");
  g_assert_cmpint (frame_messages (paid, "received", "confirm"), ==, 1);
  g_assert_cmpint (frame_messages (paid, "received", "validate"), ==, 0);

  /* A validation error still comes back from that one message, with nothing sent to Stripe. */
  g_free (open_page (f));
  type_card (f, "4242424242424242", "12", "123");
  result = pay (f);
  g_assert_cmpstr (sim_json_string (result, "result.error.type"), ==, "validation_error");
  g_assert_cmpstr (sim_json_string (result, "result.error.code"), ==, "incomplete_expiry");
}

static void
test_screenshot (Fixture *f, gconstpointer data)
{
  g_autofree char *id = open_page (f);
  JsonNode        *change;

  change = type_card (f, "4242424242424242", "1234", "123");
  g_assert_true (sim_json_bool (change, "complete"));
  take_snapshot (f, "sim-card-form.png");

  g_clear_pointer (&id, g_free);
  id = open_page_with (f, "&dark=1");
  run_js (f, "document.documentElement.classList.add('dark');");
  type_card (f, "4242424242424241", "1234", "123");
  take_snapshot (f, "sim-card-form-night.png");

  g_clear_pointer (&id, g_free);
  id = open_page (f);
  type_card (f, "4000002760003184", "1234", "123");
  run_js (f, "tillTest.pay();");
  wait_event (f, "frame-challenge");
  take_snapshot (f, "sim-3ds-challenge.png");
  run_js (f, "tillTest.challenge('complete');");
  change = wait_event (f, "result");
  g_assert_cmpstr (sim_json_string (change, "result.paymentIntent.status"), ==, "succeeded");
}

/* stripe.createPaymentMethod({elements}): the typed card becomes a PaymentMethod the page
 * sees only as its id and last four digits; nothing is confirmed. A bad card: {error}. */
static void
test_create_payment_method (Fixture *f, gconstpointer data)
{
  g_autofree char *id = open_page (f);
  g_autofree char *pm = NULL;
  JsonNode        *result;

  type_card (f, "4000002500003155", "1234", "123");
  run_js (f, "tillTest.createPaymentMethod();");
  result = wait_event (f, "created");
  g_assert_null (sim_json_path (result, "result.error"));
  g_assert_true (g_str_has_prefix (sim_json_string (result, "result.paymentMethod.id"), "pm_"));
  g_assert_cmpstr (sim_json_string (result, "result.paymentMethod.card.last4"), ==, "3155");
  g_assert_null (sim_json_path (result, "result.paymentMethod.card.number"));
  pm = g_strdup (sim_json_string (result, "result.paymentMethod.id"));

  /* The server confirms with it: the bank asks for 3-D Secure for this card. */
  {
    g_autofree char *uri = g_strdup_printf ("%sv1/payment_intents/%s/confirm",
                                            till_stripe_sim_get_base_uri (f->sim), id);
    g_autofree char *form = g_strdup_printf ("payment_method=%s", pm);
    g_autoptr (SimResponse) r = sim_request (f->session, "POST", uri, SIM_TEST_KEY, form, NULL);

    g_assert_cmpuint (r->status, ==, 200);
    g_assert_cmpstr (sim_json_string (r->json, "status"), ==, "requires_action");
    g_assert_cmpstr (sim_json_string (r->json, "payment_method"), ==, pm);
  }

  g_free (open_page (f));
  type_card (f, "4242424242424241", "1234", "123");
  run_js (f, "tillTest.createPaymentMethod();");
  result = wait_event (f, "created");
  g_assert_cmpstr (sim_json_string (result, "result.error.code"), ==, "invalid_number");
  g_assert_null (sim_json_path (result, "result.paymentMethod"));
}

static void
add (const char *path, void (*func) (Fixture *, gconstpointer))
{
  g_test_add (path, Fixture, NULL, fixture_set_up, func, fixture_tear_down);
}

int
main (int argc, char **argv)
{
  /* WebKit's sandbox needs user namespaces that CI containers may lack. */
  g_setenv ("WEBKIT_DISABLE_SANDBOX_THIS_IS_DANGEROUS", "1", TRUE);
  g_setenv ("GSK_RENDERER", "cairo", FALSE);

  g_test_init (&argc, &argv, NULL);

  if (!gtk_init_check ())
    {
      g_test_skip ("no display (run under xvfb-run)");
      return g_test_run ();
    }

  add ("/sim/stripe-js/isolation-and-keys", test_isolation_and_keys);
  add ("/sim/stripe-js/cards", test_cards);
  add ("/sim/stripe-js/validation", test_validation_as_typed);
  add ("/sim/stripe-js/redirect-and-deferred", test_redirect_and_deferred);
  add ("/sim/stripe-js/deferred-misuse", test_deferred_misuse);
  add ("/sim/stripe-js/locale", test_locale);
  add ("/sim/stripe-js/messages", test_messages);
  add ("/sim/stripe-js/create-payment-method", test_create_payment_method);
  add ("/sim/stripe-js/screenshot", test_screenshot);

  return g_test_run ();
}
