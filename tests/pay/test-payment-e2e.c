/* test-payment-e2e.c: a card payment from end to end, typed on a keyboard.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The real till-server in training mode (with its embedded Stripe simulator) runs as a
 * process on loopback. The test creates a checkout over its HTTP API, shows the server's
 * real payment page in TillPaymentView, and types the card with real X key events
 * (xdotool, under Xvfb): the digits (the card number has the focus), Tab to Pay, Enter. The page's
 * result is only a hint; the order's state is what the server says after a sync.
 */
#include "config.h"

#include <gdk/x11/gdkx.h>
#include <locale.h>
#include <string.h>
#include <libsoup/soup.h>

#include "till-core.h"
#include "till-application.h"
#include "till-cart-store.h"
#include "till-catalog.h"
#include "till-checkout.h"
#include "till-product.h"
#include "till-decline-words.h"
#include "till-money-label.h"
#include "till-payment-page.h"
#include "till-window-private.h"
#include "till-payment-view.h"
#include "till-printer-emulator.h"
#include "pay-training-server.h"
#include "../app/till-test-asan.h"

#define DEADLINE_US (30 * G_USEC_PER_SEC)

typedef struct
{
  PayTrainingServer *server;
  /* borrowed from server */
  char            *dir;
  char            *token;
  char            *base; /* http://127.0.0.1:PORT */
  SoupSession     *session;
  char            *publishable_key;
  char            *js_origin;
  GtkWindow       *window;
  TillPaymentView *view;
  TillClient      *client; /* flow tests: the app's client and payment page */
  TillPaymentPage *page;
  guint            finished;
  gboolean         finished_paid;
  guint            loaded;
  guint            ready;
  guint            results;
  guint            load_errors;
  char            *status;
  char            *decline_code;
  guint            refused_navigations;
} Fixture;

/* The fixture's data for a server with [stripe] payment-method-types=automatic. */
static const char automatic_methods[] = "[stripe]\npayment-method-types=automatic\n";
/* A cashier types the customer's card (MOTO), for an account Stripe approved for it. */
static const char moto[] = "[stripe]\nmoto=true\n[training]\nmoto-approved=true\n";

/* The Payment Element's frame, and the tabs it shows ("card ideal"; "card" alone: no tabs). */
#define ELEMENT_FRAME "document.querySelector('iframe[name^=\"__privateStripeFrame\"]')"
#define SHOWN_METHODS ELEMENT_FRAME ".getAttribute('data-payment-methods')"

static char *
server_binary (void)
{
  return g_test_build_filename (G_TEST_BUILT, "..", "src", "server", "till-server", NULL);
}

static JsonObject *
api (Fixture *f, const char *method, const char *path, const char *body, guint expected_status)
{
  g_autoptr (GError) error = NULL;
  guint       status = 0;
  JsonObject *object = pay_training_server_request (f->server, method, path, body, &status, &error);

  g_assert_no_error (error);
  g_assert_cmpuint (status, ==, expected_status);
  return object;
}

static void
on_loaded (TillPaymentView *v, Fixture *f)
{
  f->loaded++;
}
static void
on_ready (TillPaymentView *v, Fixture *f)
{
  f->ready++;
}
static void
on_load_error (TillPaymentView *v, const char *m, Fixture *f)
{
  f->load_errors++;
}

static void
on_blocked (TillPaymentView *view, const char *what, Fixture *f)
{
  if (g_strcmp0 (what, "navigation") == 0)
    f->refused_navigations++;
}

static void
on_finished (TillPaymentPage *page, TillCartModel *cart, gboolean paid, Fixture *f)
{
  f->finished++;
  f->finished_paid = paid;
}

static void
on_result (TillPaymentView *view, TillPayMessage *message, Fixture *f)
{
  f->results++;
  g_free (f->status);
  g_free (f->decline_code);
  f->status = g_strdup (message->status);
  f->decline_code = g_strdup (message->decline_code);
}

typedef struct
{
  GdkTexture *texture;
  gboolean    done;
} Snapshot;

static void
on_snapshot (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Snapshot *snapshot = user_data;

  snapshot->texture = webkit_web_view_get_snapshot_finish (WEBKIT_WEB_VIEW (source), result, NULL);
  snapshot->done = TRUE;
}

/* Saves what the page shows to _build/tests/pay/NAME.png (the source of the screenshots
 * in data/screenshots/). */
static void
save_snapshot (Fixture *f, const char *name)
{
  Snapshot         snapshot = { NULL, FALSE };
  g_autofree char *file = g_strconcat (name, ".png", NULL);
  g_autofree char *path = g_test_build_filename (G_TEST_BUILT, "pay", file, NULL);

  webkit_web_view_get_snapshot (till_payment_view_get_web_view (f->view),
                                WEBKIT_SNAPSHOT_REGION_VISIBLE, WEBKIT_SNAPSHOT_OPTIONS_NONE, NULL,
                                on_snapshot, &snapshot);
  while (!snapshot.done)
    g_main_context_iteration (NULL, TRUE);
  if (snapshot.texture != NULL)
    {
      gdk_texture_save_to_png (snapshot.texture, path);
      g_object_unref (snapshot.texture);
    }
}

static Fixture *current_fixture;

static void
wait_for (guint *counter, guint target, const char *what)
{
  gint64 deadline = g_get_monotonic_time () + DEADLINE_US;

  while (*counter < target)
    {
      if (g_get_monotonic_time () > deadline)
        {
          if (current_fixture != NULL)
            save_snapshot (current_fixture, "timeout");
          g_error ("timed out waiting for %s", what);
        }
      g_main_context_iteration (NULL, TRUE);
    }
}

static void
xdotool (const char *const *args)
{
  g_autoptr (GError) error = NULL;

  pay_xdotool (args, &error);
  g_assert_no_error (error);
}

/* GTK has taken in what xdotool put in the X server's queue. */
static void
settle (void)
{
  pay_take_events ();
}

/* Gives the window the X input focus and the web view GTK's, as a cashier's click would. */
static void
focus_view (Fixture *f)
{
  GdkSurface      *surface = gtk_native_get_surface (GTK_NATIVE (f->window));
  g_autofree char *xid = g_strdup_printf ("%lu", (gulong) gdk_x11_surface_get_xid (surface));

  xdotool ((const char *[]){ "windowfocus", "--sync", xid, NULL });
  gtk_widget_grab_focus (GTK_WIDGET (till_payment_view_get_web_view (f->view)));
  settle ();
  g_assert_true (gtk_window_is_active (f->window));
}

static void
fixture_set_up (Fixture *f, gconstpointer data)
{
  g_autofree char *binary = server_binary ();
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) config = NULL;
  g_autofree char *page = NULL;

  current_fixture = f;
  f->server = pay_training_server_start_with_config (
      binary, data == automatic_methods || data == moto ? data : NULL, &error);
  g_assert_no_error (error);
  f->dir = f->server->dir;
  f->token = f->server->token;
  f->base = f->server->base;
  f->session = f->server->session;
  f->publishable_key = f->server->publishable_key;
  f->js_origin = f->server->js_origin;
  config = api (f, "GET", "/api/v1/config", NULL, 200);
  g_assert_cmpstr (json_object_get_string_member (config, "mode"), ==, "training");

  if (data != NULL && data != automatic_methods)
    {
      /* The app's way: its client, and the payment page that owns the view. */
      gint64 deadline = g_get_monotonic_time () + DEADLINE_US;

      f->client = till_client_new ();
      till_client_set_server (f->client, f->base, f->token);
      while (till_client_get_state (f->client) != TILL_CONNECTION_ONLINE ||
             till_client_get_config (f->client) == NULL)
        {
          g_assert_cmpint (g_get_monotonic_time (), <, deadline);
          g_main_context_iteration (NULL, TRUE);
        }
      f->page = till_payment_page_new (f->client);
      g_signal_connect (f->page, "finished", G_CALLBACK (on_finished), f);
      g_assert_true (till_payment_page_prepare (f->page));
      f->view = till_payment_page_get_view (f->page);
      /* A training server's simulator serves the card issuer from a loopback origin of its
       * own, which the page's view must let into frames. */
      g_assert_true (till_payment_view_allows_frame_uri (f->view, "http://127.0.0.1:9/acs/"));
    }
  else
    {
      const char *origins[] = { f->js_origin, NULL };

      page = g_strconcat (f->base, "/pay/", NULL);
      f->view = till_payment_view_new (page, origins);
      /* As TillPaymentPage does with a training server (checked in the flow tests). */
      till_payment_view_set_training (f->view, TRUE);
    }
  g_signal_connect (f->view, "loaded", G_CALLBACK (on_loaded), f);
  g_signal_connect (f->view, "ready", G_CALLBACK (on_ready), f);
  g_signal_connect (f->view, "result", G_CALLBACK (on_result), f);
  g_signal_connect (f->view, "load-error", G_CALLBACK (on_load_error), f);
  g_signal_connect (f->view, "blocked", G_CALLBACK (on_blocked), f);

  f->window = GTK_WINDOW (gtk_window_new ());
  gtk_window_set_title (f->window, "Till payment e2e");
  gtk_window_set_default_size (f->window, 700, 600);
  gtk_window_set_child (f->window, f->page ? GTK_WIDGET (f->page) : GTK_WIDGET (f->view));
  gtk_window_present (f->window);
  wait_for (&f->loaded, 1, "the payment page");
  focus_view (f);
}

static void
fixture_tear_down (Fixture *f, gconstpointer data)
{
  gtk_window_destroy (f->window);
  g_clear_object (&f->client);
  pay_training_server_stop (f->server);
  g_free (f->status);
  g_free (f->decline_code);
}

/* Creates a checkout of two demo products and returns the order; fills the intent and
 * client secret. */
static JsonObject *
checkout (Fixture *f, char **payment_intent, char **client_secret)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) reply = pay_training_server_checkout (f->server, &error);
  JsonObject *payment;

  g_assert_no_error (error);
  payment = json_object_get_object_member (reply, "payment");
  *payment_intent = g_strdup (json_object_get_string_member (payment, "payment_intent"));
  *client_secret = g_strdup (json_object_get_string_member (payment, "client_secret"));
  return json_object_ref (json_object_get_object_member (reply, "order"));
}

/* Types a card as a person would: the card number has the focus when the form is ready,
 * and each complete field moves on to the next by itself. Then Tab to Pay, and Enter. */
static void
type_card (Fixture *f, const char *number)
{
  g_autoptr (GError) error = NULL;

  pay_type_card_fields (number, 30, &error);
  g_assert_no_error (error);
  if (g_str_equal (number, "4242424242424242"))
    save_snapshot (f, "pay-form");
  pay_press_pay (&error);
  g_assert_no_error (error);
}

static void
start_form (Fixture *f, const char *payment_intent, const char *client_secret, gint64 total)
{
  g_autofree char *label = till_money_format (total, till_currency_lookup ("EUR"), "en_US");
  TillPaymentArgs  args = {
     .payment_intent = payment_intent,
     .client_secret = client_secret,
     .publishable_key = f->publishable_key,
     .amount_label = label,
     .stripe_amount = total,
     .currency = "EUR",
  };
  guint ready = f->ready;

  till_payment_view_start (f->view, &args);
  wait_for (&f->ready, ready + 1, "the card form");
}

static JsonObject *
sync_order (Fixture *f, gint64 id)
{
  g_autofree char *path = g_strdup_printf ("/api/v1/orders/%" G_GINT64_FORMAT "/sync", id);

  return api (f, "POST", path, NULL, 200);
}

static void
test_card_paid (Fixture *f, gconstpointer data)
{
  g_autofree char *pi = NULL;
  g_autofree char *secret = NULL;
  g_autoptr (JsonObject) order = checkout (f, &pi, &secret);
  g_autoptr (JsonObject) synced = NULL;
  JsonObject *payment;

  g_assert_cmpstr (json_object_get_string_member (order, "status"), ==, "pending_payment");
  start_form (f, pi, secret, json_object_get_int_member (order, "total"));
  type_card (f, "4242424242424242");
  wait_for (&f->results, 1, "the payment result");
  g_assert_cmpstr (f->status, ==, "succeeded");
  save_snapshot (f, "pay-paid");

  synced = sync_order (f, json_object_get_int_member (order, "id"));
  g_assert_cmpstr (json_object_get_string_member (synced, "status"), ==, "paid");
  payment = json_object_get_object_member (synced, "payment");
  g_assert_cmpstr (json_object_get_string_member (payment, "card_last4"), ==, "4242");
  g_assert_cmpstr (json_object_get_string_member (payment, "card_brand"), ==, "visa");
}

static void
test_decline_then_other_card (Fixture *f, gconstpointer data)
{
  g_autofree char *pi = NULL;
  g_autofree char *secret = NULL;
  g_autoptr (JsonObject) order = checkout (f, &pi, &secret);
  g_autoptr (JsonObject) declined = NULL;
  g_autoptr (JsonObject) paid = NULL;
  gint64 id = json_object_get_int_member (order, "id");
  gint64 total = json_object_get_int_member (order, "total");

  start_form (f, pi, secret, total);
  type_card (f, "4000000000009995");
  wait_for (&f->results, 1, "the decline");
  g_assert_cmpstr (f->status, ==, "requires_payment_method");
  g_assert_cmpstr (f->decline_code, ==, "insufficient_funds");

  declined = sync_order (f, id);
  g_assert_cmpstr (json_object_get_string_member (declined, "status"), ==, "pending_payment");

  /* Another card, on the same order and the same PaymentIntent. */
  start_form (f, pi, secret, total);
  type_card (f, "5555555555554444");
  wait_for (&f->results, 2, "the second result");
  g_assert_cmpstr (f->status, ==, "succeeded");
  paid = sync_order (f, id);
  g_assert_cmpstr (json_object_get_string_member (paid, "status"), ==, "paid");
  g_assert_cmpstr (
      json_object_get_string_member (json_object_get_object_member (paid, "payment"), "card_last4"),
      ==, "4444");
}

/* Asks the page @expression until it is true (no sleeping: each answer is awaited). */
static void
wait_for_page (Fixture *f, const char *expression, const char *what)
{
  gint64 deadline = g_get_monotonic_time () + DEADLINE_US;

  for (;;)
    {
      if (pay_page_says (till_payment_view_get_web_view (f->view), expression))
        return;
      if (g_get_monotonic_time () > deadline)
        {
          save_snapshot (f, "timeout");
          g_error ("timed out waiting for %s", what);
        }
      settle ();
    }
}

static void
test_generic_decline (Fixture *f, gconstpointer data)
{
  g_autofree char *pi = NULL;
  g_autofree char *secret = NULL;
  g_autoptr (JsonObject) order = checkout (f, &pi, &secret);
  g_autoptr (JsonObject) synced = NULL;
  JsonObject *payment;

  start_form (f, pi, secret, json_object_get_int_member (order, "total"));
  type_card (f, "4000000000000002");
  wait_for (&f->results, 1, "the decline");
  g_assert_cmpstr (f->status, ==, "requires_payment_method");
  g_assert_cmpstr (f->decline_code, ==, "generic_decline");
  save_snapshot (f, "pay-declined");

  synced = sync_order (f, json_object_get_int_member (order, "id"));
  g_assert_cmpstr (json_object_get_string_member (synced, "status"), ==, "pending_payment");
  payment = json_object_get_object_member (synced, "payment");
  g_assert_cmpstr (json_object_get_string_member (payment, "decline_code"), ==, "generic_decline");
}

/* Under Stripe's own "Your card was declined.", the form says what the decline means and
 * what to do, in the app's words: chosen by the decline code, else the error code. */
static void
test_decline_explained (Fixture *f, gconstpointer data)
{
  static const struct
  {
    const char *number;
    const char *code;
  } declines[] = {
    { "4000000000009995", "insufficient_funds" },     /* card_declined / insufficient_funds */
    { "4000000000009979", "stolen_card" },            /* card_declined / stolen_card */
    { "4000000000000069", "expired_card" },           /* expired_card, no decline code */
    { "4100000000000019", "fraudulent" },             /* Radar's block */
    { "4000000000006975", "card_velocity_exceeded" }, /* card_declined / card_velocity_exceeded */
  };
  g_autofree char *pi = NULL;
  g_autofree char *secret = NULL;
  g_autoptr (JsonObject) order = checkout (f, &pi, &secret);
  gint64 total = json_object_get_int_member (order, "total");

  for (guint i = 0; i < G_N_ELEMENTS (declines); i++)
    {
      const char      *words = till_decline_words_lookup (declines[i].code);
      g_autofree char *shown = NULL;

      g_assert_nonnull (words);
      g_assert_null (strchr (words, '\''));
      g_test_message ("%s: %s", declines[i].number, words);
      start_form (f, pi, secret, total);
      g_assert_true (pay_page_says (till_payment_view_get_web_view (f->view),
                                    "document.getElementById('explanation').hidden"));
      type_card (f, declines[i].number);
      wait_for (&f->results, i + 1, "the decline");
      g_assert_cmpstr (f->status, ==, "requires_payment_method");
      shown = g_strdup_printf ("!document.getElementById('explanation').hidden && "
                               "document.getElementById('explanation').textContent === '%s' && "
                               "document.getElementById('message').textContent !== ''",
                               words);
      wait_for_page (f, shown, "the decline explained");
      if (i == 0)
        save_snapshot (f, "pay-decline-explained");
    }
}

static void
on_resource_finished (WebKitWebResource *resource, gboolean *loaded)
{
  *loaded = TRUE;
}

typedef struct
{
  GPtrArray *uris;             /* every address the page and its frames loaded, in order */
  gboolean   challenge_loaded; /* the issuer's challenge script */
} Resources;

static void
on_resource_started (WebKitWebView     *web_view,
                     WebKitWebResource *resource,
                     WebKitURIRequest  *request,
                     Resources         *resources)
{
  const char *uri = webkit_uri_request_get_uri (request);

  g_ptr_array_add (resources->uris, g_strdup (uri));
  if (g_str_has_suffix (uri, "/acs/challenge.js"))
    g_signal_connect (resource, "finished", G_CALLBACK (on_resource_finished),
                      &resources->challenge_loaded);
}

static char *
origin_of (const char *uri)
{
  g_autoptr (GUri) parsed = g_uri_parse (uri, G_URI_FLAGS_NONE, NULL);

  g_assert_nonnull (parsed);
  return g_strdup_printf ("%s://%s:%d", g_uri_get_scheme (parsed), g_uri_get_host (parsed),
                          g_uri_get_port (parsed));
}

/* The index of the first address loaded that starts with @origin and contains @part. */
static int
find_loaded (Resources *resources, const char *origin, const char *part)
{
  for (guint i = 0; i < resources->uris->len; i++)
    {
      const char *uri = g_ptr_array_index (resources->uris, i);

      if ((origin == NULL || g_str_has_prefix (uri, origin)) && strstr (uri, part) != NULL)
        return (int) i;
    }
  return -1;
}

static void
test_three_d_secure (Fixture *f, gconstpointer data)
{
  Resources        resources = { g_ptr_array_new_with_free_func (g_free), FALSE };
  g_autofree char *pi = NULL;
  g_autofree char *secret = NULL;
  g_autofree char *issuer = NULL;
  g_autofree char *signals = NULL;
  g_autofree char *acs_page = NULL;
  g_autoptr (JsonObject) order = checkout (f, &pi, &secret);
  g_autoptr (JsonObject) synced = NULL;
  int method, challenge, signals_frame;

  g_signal_connect (till_payment_view_get_web_view (f->view), "resource-load-started",
                    G_CALLBACK (on_resource_started), &resources);
  start_form (f, pi, secret, json_object_get_int_member (order, "total"));
  type_card (f, "4000002500003155");
  /* The bank's challenge opens over the page, inside Stripe's frame and from the bank's own
   * origin; its first button completes it, once its script is there. */
  wait_for_page (f, "document.querySelector('[aria-modal=\"true\"] iframe') !== null",
                 "the 3-D Secure challenge");
  g_assert_true (till_test_wait_for (&resources.challenge_loaded, DEADLINE_US / 1000));
  settle ();
  save_snapshot (f, "pay-3ds-challenge");
  xdotool ((const char *[]){ "key", "--delay", "40", "Tab", "Return", NULL });
  wait_for (&f->results, 1, "the result after the challenge");
  g_assert_cmpstr (f->status, ==, "succeeded");

  /* A third origin, neither the server's nor Stripe's: its hidden method page came first,
   * then its challenge. */
  issuer = origin_of (
      g_ptr_array_index (resources.uris, find_loaded (&resources, NULL, "/acs/challenge.js")));
  g_assert_cmpstr (issuer, !=, f->js_origin);
  g_assert_false (g_str_has_prefix (f->base, issuer));
  acs_page = g_strdup_printf ("/acs/%s/", pi);
  method = find_loaded (&resources, issuer, "/method");
  challenge = find_loaded (&resources, issuer, "?embedded=1");
  g_assert_cmpint (method, >=, 0);
  g_assert_cmpint (challenge, >, method);
  g_assert_nonnull (strstr (g_ptr_array_index (resources.uris, challenge), acs_page));
  /* Stripe.js's fraud signals, from a fourth origin. */
  signals_frame = find_loaded (&resources, NULL, "/inner.html");
  g_assert_cmpint (signals_frame, >=, 0);
  signals = origin_of (g_ptr_array_index (resources.uris, signals_frame));
  g_assert_cmpstr (signals, !=, f->js_origin);
  g_assert_cmpstr (signals, !=, issuer);
  g_assert_false (g_str_has_prefix (f->base, signals));

  synced = sync_order (f, json_object_get_int_member (order, "id"));
  g_assert_cmpstr (json_object_get_string_member (synced, "status"), ==, "paid");
  g_signal_handlers_disconnect_by_data (till_payment_view_get_web_view (f->view), &resources);
  g_ptr_array_unref (resources.uris);
}

/* Cards only (the server's default): the form shows the card and no tabs, as Stripe's does. */
static void
test_card_only_no_tabs (Fixture *f, gconstpointer data)
{
  g_autofree char *pi = NULL;
  g_autofree char *secret = NULL;
  g_autoptr (JsonObject) order = checkout (f, &pi, &secret);

  start_form (f, pi, secret, json_object_get_int_member (order, "total"));
  wait_for_page (f, SHOWN_METHODS " !== null", "the form's payment methods");
  g_assert_true (
      pay_page_says (till_payment_view_get_web_view (f->view), SHOWN_METHODS " === 'card'"));
}

/* Automatic payment methods in euros: the form offers iDEAL, a bank redirect, beside the
 * card. Confirming with it would send the whole page to the bank: the view refuses, the
 * page tells the customer, and the card tab still takes the payment. */
static void
test_redirect_refused (Fixture *f, gconstpointer data)
{
  WebKitWebView   *web_view = till_payment_view_get_web_view (f->view);
  g_autofree char *page = g_strdup (webkit_web_view_get_uri (web_view));
  g_autofree char *pi = NULL;
  g_autofree char *secret = NULL;
  g_autoptr (JsonObject) order = checkout (f, &pi, &secret);
  g_autoptr (JsonObject) synced = NULL;
  JsonObject *payment;

  start_form (f, pi, secret, json_object_get_int_member (order, "total"));
  wait_for_page (f, SHOWN_METHODS " === 'card ideal'", "the iDEAL tab");
  save_snapshot (f, "pay-tabs");
  /* The form has the keyboard: Tab to the tabs (Card), on to iDEAL, Tab to Pay, Enter. */
  xdotool ((const char *[]){ "key", "--delay", "40", "Tab", "Right", "Tab", "Return", NULL });
  wait_for_page (f,
                 "!document.getElementById('message').hidden && "
                 "document.getElementById('message').textContent.indexOf("
                 "'would leave this screen') >= 0",
                 "the message that the method would leave the screen");
  g_assert_cmpuint (f->refused_navigations, >=, 1);
  g_assert_cmpstr (webkit_web_view_get_uri (web_view), ==, page);
  g_assert_cmpuint (f->results, ==, 0);
  save_snapshot (f, "pay-redirect-refused");

  /* Back to the card tab, and pay by card. */
  xdotool ((const char *[]){ "key", "--delay", "40", "shift+Tab", "Left", "Tab", NULL });
  settle ();
  type_card (f, "4242424242424242");
  wait_for (&f->results, 1, "the payment result");
  g_assert_cmpstr (f->status, ==, "succeeded");
  g_assert_cmpstr (webkit_web_view_get_uri (web_view), ==, page);

  synced = sync_order (f, json_object_get_int_member (order, "id"));
  g_assert_cmpstr (json_object_get_string_member (synced, "status"), ==, "paid");
  payment = json_object_get_object_member (synced, "payment");
  g_assert_cmpstr (json_object_get_string_member (payment, "card_last4"), ==, "4242");
}

/* An app older than the server's payment page hands over only the intent (no amount_minor
 * or currency): the page mounts the form for the intent, as before, and it pays. */
static void
test_older_app (Fixture *f, gconstpointer data)
{
  WebKitWebView   *web_view = till_payment_view_get_web_view (f->view);
  g_autofree char *pi = NULL;
  g_autofree char *secret = NULL;
  g_autoptr (JsonObject) order = checkout (f, &pi, &secret);
  g_autofree char *script = g_strdup_printf (
      "window.tillPay.start({payment_intent: '%s', client_secret: '%s', publishable_key: '%s', "
      "amount: '€2.25', dark: false, kiosk: false, labels: {pay: 'Pay', processing: '…'}, "
      "declines: {codes: {}, generic: ''}})",
      pi, secret, f->publishable_key);
  gint64 deadline = g_get_monotonic_time () + DEADLINE_US;

  g_assert_true (pay_page_says (web_view, script));
  wait_for_page (f, "window.tillPay.isReady()", "the form mounted for the intent");
  type_card (f, "4242424242424242");
  for (;;)
    {
      g_autoptr (JsonObject) synced = sync_order (f, json_object_get_int_member (order, "id"));

      if (g_strcmp0 (json_object_get_string_member (synced, "status"), "paid") == 0)
        break;
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      settle ();
    }
}

/* A server older than the app serves a page without prepare (): the form is mounted when the
 * intent is handed over, as before, and pays. */
static void
test_older_server (Fixture *f, gconstpointer data)
{
  WebKitWebView   *web_view = till_payment_view_get_web_view (f->view);
  g_autofree char *pi = NULL;
  g_autofree char *secret = NULL;
  g_autoptr (JsonObject) order = checkout (f, &pi, &secret);
  g_autoptr (JsonObject) synced = NULL;
  gint64          total = json_object_get_int_member (order, "total");
  TillPaymentArgs args = {
    .publishable_key = f->publishable_key,
    .amount_label = "€2.25",
    .stripe_amount = total,
    .currency = "EUR",
  };

  g_assert_true (pay_page_says (web_view, "delete window.tillPay.prepare"));
  till_payment_view_prepare (f->view, &args);
  start_form (f, pi, secret, total);
  type_card (f, "4242424242424242");
  wait_for (&f->results, 1, "the payment result");
  g_assert_cmpstr (f->status, ==, "succeeded");
  synced = sync_order (f, json_object_get_int_member (order, "id"));
  g_assert_cmpstr (json_object_get_string_member (synced, "status"), ==, "paid");
}

/* The app's payment page: the server's verdict shown natively. */

static void
wait_for_state (Fixture *f, const char *state)
{
  gint64 deadline = g_get_monotonic_time () + DEADLINE_US;

  while (g_strcmp0 (till_payment_page_get_state (f->page), state) != 0)
    {
      if (g_get_monotonic_time () > deadline)
        {
          save_snapshot (f, "timeout");
          g_error ("timed out waiting for the page to show “%s” (it shows “%s”)", state,
                   till_payment_page_get_state (f->page));
        }
      g_main_context_iteration (NULL, TRUE);
    }
}

/* Saves the whole window (the native pages) to _build/tests/pay/NAME.png. */
static void
save_window (Fixture *f, const char *name)
{
  g_autoptr (GdkPaintable) paintable = gtk_widget_paintable_new (GTK_WIDGET (f->window));
  g_autoptr (GtkSnapshot) snapshot = gtk_snapshot_new ();
  g_autoptr (GskRenderNode) node = NULL;
  g_autoptr (GdkTexture) texture = NULL;
  g_autofree char *file = g_strconcat (name, ".png", NULL);
  g_autofree char *path = g_test_build_filename (G_TEST_BUILT, "pay", file, NULL);
  int              width = gtk_widget_get_width (GTK_WIDGET (f->window));
  int              height = gtk_widget_get_height (GTK_WIDGET (f->window));

  settle ();
  gdk_paintable_snapshot (paintable, snapshot, width, height);
  node = gtk_snapshot_to_node (snapshot);
  if (node == NULL)
    return;
  texture = gsk_renderer_render_texture (gtk_native_get_renderer (GTK_NATIVE (f->window)), node,
                                         &GRAPHENE_RECT_INIT (0, 0, width, height));
  gdk_texture_save_to_png (texture, path);
}

static TillOrder *
begin_sale (Fixture *f)
{
  g_autoptr (TillCheckoutResponse) response = g_new0 (TillCheckoutResponse, 1);
  g_autoptr (JsonObject) order = checkout (f, &response->payment_intent, &response->client_secret);
  g_autoptr (TillCartModel) cart = till_cart_model_new ("EUR", TRUE);
  guint ready = f->ready;

  response->order = till_order_from_json (order, NULL);
  g_assert_nonnull (response->order);
  till_payment_page_begin (f->page, cart, response);
  g_assert_cmpstr (till_payment_page_get_state (f->page), ==, "form");
  wait_for (&f->ready, ready + 1, "the card form");
  return till_order_from_json (order, NULL);
}

static char *
order_status (Fixture *f, gint64 id)
{
  g_autofree char *path = g_strdup_printf ("/api/v1/orders/%" G_GINT64_FORMAT, id);
  g_autoptr (JsonObject) order = api (f, "GET", path, NULL, 200);

  return g_strdup (json_object_get_string_member (order, "status"));
}

/* What a click on the dialog's @response button does. */
static void
answer_dialog (AdwMessageDialog *dialog, const char *response)
{
  adw_message_dialog_response (dialog, response);
  gtk_window_destroy (GTK_WINDOW (dialog));
}

/* Activates payment.email and returns the dialog it opens; answer it with answer_dialog(). */
static AdwMessageDialog *
open_email_dialog (Fixture *f)
{
  GListModel *toplevels = gtk_window_get_toplevels ();
  gint64      deadline = g_get_monotonic_time () + DEADLINE_US;

  gtk_widget_activate_action (GTK_WIDGET (f->page), "payment.email", NULL);
  for (;;)
    {
      for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
        {
          g_autoptr (GObject) window = g_list_model_get_item (toplevels, i);

          if (ADW_IS_MESSAGE_DIALOG (window) && gtk_widget_get_visible (GTK_WIDGET (window)))
            return ADW_MESSAGE_DIALOG (window);
        }
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_main_context_iteration (NULL, TRUE);
    }
}

/* Draws @text in @font from (@x, @y) of a white @width × @height (in pixels) page, and
 * saves it to _build/tests/pay/NAME.png (the sources of data/screenshots/receipt-*.png). */
static void
save_text_page (const char                 *text,
                const PangoFontDescription *font,
                int                         width,
                int                         height,
                double                      x,
                double                      y,
                const char                 *name)
{
  g_autofree char *file = g_strconcat (name, ".png", NULL);
  g_autofree char *path = g_test_build_filename (G_TEST_BUILT, "pay", file, NULL);
  cairo_surface_t *surface = cairo_image_surface_create (CAIRO_FORMAT_RGB24, width, height);
  cairo_t         *cr = cairo_create (surface);
  PangoLayout     *layout = pango_cairo_create_layout (cr);

  cairo_set_source_rgb (cr, 1, 1, 1);
  cairo_paint (cr);
  cairo_set_source_rgb (cr, 0, 0, 0);
  pango_layout_set_font_description (layout, font);
  pango_layout_set_text (layout, text, -1);
  cairo_move_to (cr, x, y);
  pango_cairo_show_layout (cr, layout);
  g_assert_cmpint (cairo_surface_write_to_png (surface, path), ==, CAIRO_STATUS_SUCCESS);
  g_object_unref (layout);
  cairo_destroy (cr);
  cairo_surface_destroy (surface);
}

/* The receipt of paid order @id as Print Receipt formats it, on an 80 mm thermal roll (72 mm
 * printed at 203 dpi: 576 dots for TILL_RECEIPT_WIDTH columns, the text's own height). The
 * A4 one is Print Receipt's own PDF (save_pdf_page ()). */
static void
save_receipts (Fixture *f, gint64 id)
{
  g_autofree char *path = g_strdup_printf ("/api/v1/orders/%" G_GINT64_FORMAT, id);
  g_autoptr (JsonObject) json = api (f, "GET", path, NULL, 200);
  g_autoptr (TillOrder) order = till_order_from_json (json, NULL);
  g_autofree char *text =
      till_payment_page_format_receipt (order, till_client_get_config (f->client), NULL);
  g_autoptr (PangoFontDescription) font = pango_font_description_from_string ("Monospace");
  PangoFontMap *map = pango_cairo_font_map_get_default ();
  g_autoptr (GObject) context = G_OBJECT (pango_font_map_create_context (map));
  g_autoptr (PangoLayout) probe = NULL;
  g_autofree char *columns = g_strnfill (TILL_RECEIPT_WIDTH, 'M');
  g_auto (GStrv) lines = g_strsplit (text, "\n", -1);
  guint n_lines = g_strv_length (lines);
  int   probe_width, probe_height, line_height;

  g_assert_nonnull (order);
  g_assert_cmpint (order->status, ==, TILL_ORDER_PAID);
  /* The font size that puts TILL_RECEIPT_WIDTH columns on 576 dots. */
  pango_cairo_context_set_resolution (PANGO_CONTEXT (context), 96);
  pango_font_description_set_absolute_size (font, 20 * PANGO_SCALE);
  probe = pango_layout_new (PANGO_CONTEXT (context));
  pango_layout_set_font_description (probe, font);
  pango_layout_set_text (probe, columns, -1);
  pango_layout_get_pixel_size (probe, &probe_width, &probe_height);
  pango_font_description_set_absolute_size (font, 20.0 * PANGO_SCALE * 576 / probe_width);
  line_height = (int) (probe_height * 576.0 / probe_width) + 2;
  save_text_page (text, font, 576 + 2 * 24, (int) n_lines * line_height + 2 * 24, 24, 24,
                  "receipt-80mm");
}

/* The first page of @pdf at 150 dpi, as _build/tests/pay/NAME.png (pdftoppm, from
 * poppler-utils; without it, no picture and a message). */
static void
save_pdf_page (const char *pdf, const char *name)
{
  g_autofree char *program = g_find_program_in_path ("pdftoppm");
  g_autofree char *prefix = g_test_build_filename (G_TEST_BUILT, "pay", name, NULL);
  g_autoptr (GError) error = NULL;
  int status;

  if (program == NULL)
    {
      g_test_message ("pdftoppm (poppler-utils) is not installed: no %s.png", name);
      return;
    }
  g_assert_true (
      g_spawn_sync (NULL,
                    (char *[]){ program, (char *) "-png", (char *) "-r", (char *) "150",
                                (char *) "-singlefile", (char *) "-f", (char *) "1", (char *) "-l",
                                (char *) "1", (char *) pdf, prefix, NULL },
                    NULL, G_SPAWN_DEFAULT, NULL, NULL, NULL, NULL, &status, &error));
  g_assert_no_error (error);
  g_assert_true (g_spawn_check_wait_status (status, &error));
  g_assert_no_error (error);
}

static void
test_flow_paid (Fixture *f, gconstpointer data)
{
  g_autoptr (TillOrder) order = begin_sale (f);
  g_autofree char *status = NULL;

  /* The amount as the cart shows it (the training store's euros; not ICU's "€ 2.25" of the
   * C locale). */
  g_assert_true (pay_page_says (till_payment_view_get_web_view (f->view),
                                "document.getElementById('amount').textContent === '€2.25'"));
  type_card (f, "4242424242424242");
  wait_for_state (f, "paid");
  /* The outcome is there at once, not faded in over the form. */
  g_assert_false (
      gtk_stack_get_transition_running (GTK_STACK (adw_bin_get_child (ADW_BIN (f->page)))));
  status = order_status (f, order->id);
  g_assert_cmpstr (status, ==, "paid");
  save_window (f, "payment-paid");
  save_receipts (f, order->id);
  g_assert_cmpuint (f->finished, ==, 0);

  /* Print Receipt, here into a PDF. */
  {
    g_autofree char *pdf = g_build_filename (f->dir, "receipt.pdf", NULL);
    g_autofree char *contents = NULL;
    g_autoptr (GError) error = NULL;
    gsize length = 0;

    g_assert_true (till_payment_page_print_receipt (f->page, pdf, &error));
    g_assert_no_error (error);
    g_assert_true (g_file_get_contents (pdf, &contents, &length, &error));
    g_assert_cmpuint (length, >, 500);
    g_assert_true (g_str_has_prefix (contents, "%PDF"));
    /* The source of data/screenshots/receipt-a4.png: the paper of the test's locale (C:
     * A4), as a printer would get it. */
    save_pdf_page (pdf, "receipt-a4");
  }

  /* Email Receipt: the server hands the address to Stripe (receipt_email), which sends its
   * receipt. Read back from the embedded simulator with training mode's test key. */
  {
    g_autofree char *path =
        g_strdup_printf ("/api/v1/orders/%" G_GINT64_FORMAT "/receipt", order->id);
    g_autoptr (JsonObject) sent = api (f, "POST", path, "{\"email\": \"ayse@example.com\"}", 200);
    g_autoptr (JsonObject) bad = api (f, "POST", path, "{\"email\": \"not an address\"}", 400);
    g_autoptr (JsonObject) extra =
        api (f, "POST", path, "{\"email\": \"a@example.com\", \"cc\": \"x\"}", 400);
    g_autofree char *uri =
        g_strdup_printf ("%s/v1/payment_intents/%s", f->js_origin, order->payment_intent);
    g_autoptr (SoupMessage) msg = soup_message_new ("GET", uri);
    g_autoptr (GBytes) reply = NULL;
    g_autoptr (JsonObject) intent = NULL;
    g_autoptr (GError) error = NULL;

    g_assert_cmpstr (json_object_get_string_member (sent, "status"), ==, "paid");
    soup_message_headers_replace (soup_message_get_request_headers (msg), "Authorization",
                                  "Bearer sk_test_till_training_mode");
    reply = soup_session_send_and_read (f->session, msg, NULL, &error);
    g_assert_no_error (error);
    intent =
        till_json_parse_object (g_bytes_get_data (reply, NULL), g_bytes_get_size (reply), &error);
    g_assert_no_error (error);
    g_assert_cmpstr (json_object_get_string_member (intent, "receipt_email"), ==,
                     "ayse@example.com");
  }

  /* The same from the page, through its Email Receipt dialog: Send needs an address, and
   * after a failure the address typed is there to correct, not to type again. */
  {
    gint64            deadline = g_get_monotonic_time () + DEADLINE_US;
    AdwMessageDialog *dialog = open_email_dialog (f);
    GtkEditable      *entry = GTK_EDITABLE (adw_message_dialog_get_extra_child (dialog));

    g_assert_false (adw_message_dialog_get_response_enabled (dialog, "send"));
    gtk_editable_set_text (entry, "  not an address ");
    g_assert_false (adw_message_dialog_get_response_enabled (dialog, "send"));
    /* Looks like one to the app; the server refuses it. */
    gtk_editable_set_text (entry, " ayse,x@example.com ");
    g_assert_true (adw_message_dialog_get_response_enabled (dialog, "send"));
    answer_dialog (dialog, "send");
    while (g_strcmp0 (till_payment_page_get_receipt_status (f->page), "failed") != 0)
      {
        g_assert_cmpint (g_get_monotonic_time (), <, deadline);
        g_main_context_iteration (NULL, TRUE);
      }
    dialog = open_email_dialog (f);
    entry = GTK_EDITABLE (adw_message_dialog_get_extra_child (dialog));
    g_assert_cmpstr (gtk_editable_get_text (entry), ==, "ayse,x@example.com");
    gtk_editable_set_text (entry, "ayse@example.com");
    answer_dialog (dialog, "send");
    while (g_strcmp0 (till_payment_page_get_receipt_status (f->page), "sent") != 0)
      {
        g_assert_cmpint (g_get_monotonic_time (), <, deadline);
        g_main_context_iteration (NULL, TRUE);
      }
    save_window (f, "payment-paid-receipt");
  }

  /* New Sale: the sale is over, and paid. */
  gtk_widget_activate_action (GTK_WIDGET (f->page), "payment.done", NULL);
  g_assert_cmpuint (f->finished, ==, 1);
  g_assert_true (f->finished_paid);
}

static void
wait_for_print_status (Fixture *f, const char *status)
{
  gint64 deadline = g_get_monotonic_time () + DEADLINE_US;

  while (g_strcmp0 (till_payment_page_get_print_status (f->page), status) != 0)
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_main_context_iteration (NULL, TRUE);
    }
}

static GtkWidget *
find_button (GtkWidget *widget, const char *action)
{
  if (GTK_IS_BUTTON (widget) &&
      g_strcmp0 (gtk_actionable_get_action_name (GTK_ACTIONABLE (widget)), action) == 0)
    return widget;
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = find_button (child, action);

      if (found != NULL)
        return found;
    }
  return NULL;
}

/* With a receipt printer chosen, the receipt prints by itself once paid, without waiting
 * for it to finish the sale. A printer that is off says so, and Reprint prints once it is on
 * again. */
static void
test_flow_receipt_printer (Fixture *f, gconstpointer data)
{
  g_autoptr (TillPrinterEmulator) printer = till_printer_emulator_new ();
  g_autoptr (GSettings) settings = g_settings_new (TILL_APP_ID);
  g_autoptr (GError) error = NULL;
  guint16          port = till_printer_emulator_listen (printer, "127.0.0.1", 0, &error);
  g_autofree char *address = g_strdup_printf ("127.0.0.1:%u", port);
  g_autoptr (TillOrder) order = NULL;
  g_autofree char *text = NULL;
  g_autofree char *number = NULL;
  GtkWidget       *print_button;

  g_assert_no_error (error);
  /* The picture of the paid page, not of its transition from "checking". */
  g_object_set (gtk_settings_get_default (), "gtk-enable-animations", FALSE, NULL);
  g_settings_set_string (settings, "receipt-printer", address);
  order = begin_sale (f);
  type_card (f, "4242424242424242");
  wait_for_state (f, "paid");
  wait_for_print_status (f, "printed");
  g_assert_cmpuint (till_printer_emulator_get_n_jobs (printer), ==, 1);
  text = till_printer_emulator_get_text (printer, 0);
  number = g_strdup_printf ("[QR: %s]", order->number);
  g_assert_nonnull (strstr (text, number));
  g_assert_nonnull (strstr (text, "**** 4242"));
  print_button = find_button (GTK_WIDGET (f->page), "payment.print");
  g_assert_nonnull (print_button);
  g_assert_cmpstr (gtk_button_get_label (GTK_BUTTON (print_button)), ==, "_Print Receipt");

  /* Off: a message and Reprint; the sale is still there to finish. */
  till_printer_emulator_stop (printer);
  gtk_widget_activate_action (GTK_WIDGET (f->page), "payment.print", NULL);
  wait_for_print_status (f, "failed");
  g_assert_cmpstr (gtk_button_get_label (GTK_BUTTON (print_button)), ==, "_Reprint Receipt");
  g_assert_cmpstr (till_payment_page_get_state (f->page), ==, "paid");
  save_window (f, "payment-printer-off");

  g_assert_cmpuint (till_printer_emulator_listen (printer, "127.0.0.1", port, NULL), ==, port);
  gtk_widget_activate_action (GTK_WIDGET (f->page), "payment.print", NULL);
  wait_for_print_status (f, "printed");
  g_assert_cmpuint (till_printer_emulator_get_n_jobs (printer), ==, 2);

  gtk_widget_activate_action (GTK_WIDGET (f->page), "payment.done", NULL);
  g_assert_cmpuint (f->finished, ==, 1);
  g_assert_true (f->finished_paid);
  g_settings_reset (settings, "receipt-printer");
  g_object_set (gtk_settings_get_default (), "gtk-enable-animations", TRUE, NULL);
}

/* Pay on an empty card form: the form says what is missing and stays, for the customer to
 * go on typing; no result goes to the app, so no "Not Paid" page covers the form. */
static void
test_flow_empty_form (Fixture *f, gconstpointer data)
{
  g_autoptr (TillOrder) order = begin_sale (f);
  WebKitWebView   *web_view = till_payment_view_get_web_view (f->view);
  g_autofree char *status = NULL;

  g_assert_true (pay_page_says (web_view, "document.getElementById('submit').click(), true"));
  wait_for_page (f,
                 "document.getElementById('message').textContent !== '' && "
                 "!document.getElementById('submit').disabled",
                 "the form's message");
  g_assert_true (pay_page_says (web_view, "document.getElementById('message').textContent === "
                                          "'Your card number is incomplete.'"));
  /* The page's answers come in order: a result posted before would be here by now. */
  g_assert_cmpuint (f->results, ==, 0);
  g_assert_cmpstr (till_payment_page_get_state (f->page), ==, "form");

  /* The customer types the card (the form still has the keyboard), and pays. */
  type_card (f, "4242424242424242");
  wait_for_state (f, "paid");
  g_assert_cmpuint (f->results, ==, 1);
  status = order_status (f, order->id);
  g_assert_cmpstr (status, ==, "paid");
}

static void
test_flow_declined_then_paid (Fixture *f, gconstpointer data)
{
  g_autoptr (TillOrder) order = begin_sale (f);
  g_autofree char *status = NULL;
  guint            ready;

  type_card (f, "4000000000009995");
  wait_for_state (f, "declined");
  save_window (f, "payment-declined");
  status = order_status (f, order->id);
  g_assert_cmpstr (status, ==, "pending_payment");
  g_clear_pointer (&status, g_free);

  /* Try Again: the same order and PaymentIntent, another card. */
  ready = f->ready;
  gtk_widget_activate_action (GTK_WIDGET (f->page), "payment.try-again", NULL);
  g_assert_cmpstr (till_payment_page_get_state (f->page), ==, "form");
  wait_for (&f->ready, ready + 1, "the card form again");
  type_card (f, "4242424242424242");
  wait_for_state (f, "paid");
  status = order_status (f, order->id);
  g_assert_cmpstr (status, ==, "paid");
}

static void
test_flow_kiosk (Fixture *f, gconstpointer data)
{
  g_autoptr (TillOrder) order = NULL;

  /* A self-checkout kiosk: the form has the large, touch-friendly layout. */
  till_payment_page_set_kiosk (f->page, TRUE);
  order = begin_sale (f);
  wait_for_page (f, "document.documentElement.classList.contains('kiosk')", "the kiosk layout");
  save_window (f, "payment-kiosk");
}

#define CHALLENGE_SHOWN "document.querySelector('[aria-modal=\"true\"] iframe') !== null"

/* With [stripe] moto, a card the cashier types is confirmed by the server as a mail or
 * telephone order: a card that asks its holder for 3-D Secure pays with no challenge. */
static void
test_flow_moto (Fixture *f, gconstpointer data)
{
  g_autoptr (TillOrder) order = NULL;
  g_autofree char *status = NULL;

  g_assert_true (till_client_get_config (f->client)->moto);
  order = begin_sale (f);
  type_card (f, "4000002500003155");
  wait_for_state (f, "paid");
  g_assert_false (pay_page_says (till_payment_view_get_web_view (f->view), CHALLENGE_SHOWN));
  /* No confirmPayment() in the page: the server confirmed it. */
  g_assert_cmpuint (f->results, ==, 0);
  status = order_status (f, order->id);
  g_assert_cmpstr (status, ==, "paid");
}

/* A declined MOTO card is shown as after a sync, and Try Again takes another card. */
static void
test_flow_moto_declined (Fixture *f, gconstpointer data)
{
  g_autoptr (TillOrder) order = begin_sale (f);
  g_autofree char *status = NULL;
  guint            ready;

  type_card (f, "4000000000009995");
  wait_for_state (f, "declined");
  status = order_status (f, order->id);
  g_assert_cmpstr (status, ==, "pending_payment");
  g_clear_pointer (&status, g_free);

  ready = f->ready;
  gtk_widget_activate_action (GTK_WIDGET (f->page), "payment.try-again", NULL);
  wait_for (&f->ready, ready + 1, "the card form again");
  type_card (f, "4242424242424242");
  wait_for_state (f, "paid");
  g_assert_cmpuint (f->results, ==, 0);
  status = order_status (f, order->id);
  g_assert_cmpstr (status, ==, "paid");
}

/* A kiosk's customers type their own cards: never MOTO, so the bank's challenge appears. */
static void
test_flow_moto_kiosk (Fixture *f, gconstpointer data)
{
  g_autoptr (TillOrder) order = NULL;
  g_autofree char *status = NULL;

  till_payment_page_set_kiosk (f->page, TRUE);
  order = begin_sale (f);
  type_card (f, "4000002500003155");
  wait_for_page (f, CHALLENGE_SHOWN, "the 3-D Secure challenge");
  status = order_status (f, order->id);
  g_assert_cmpstr (status, ==, "pending_payment");
}

static void
test_flow_cancel (Fixture *f, gconstpointer data)
{
  g_autoptr (TillOrder) order = begin_sale (f);
  g_autofree char *status = NULL;

  gtk_widget_activate_action (GTK_WIDGET (f->page), "payment.cancel", NULL);
  wait_for (&f->finished, 1, "the sale to be canceled");
  g_assert_false (f->finished_paid);
  status = order_status (f, order->id);
  g_assert_cmpstr (status, ==, "canceled");
}

/* Issue 22, point 11: the card number has the keyboard when the form appears. The keyboard
 * was elsewhere in the window; nothing clicks into the form and no Tab enters it: the
 * digits, then the expiry and CVC (each field moves on by itself), go where they belong. */
static void
test_flow_card_number_focused (Fixture *f, gconstpointer data)
{
  WebKitWebView *web_view = till_payment_view_get_web_view (f->view);
  g_autoptr (TillOrder) order = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *status = NULL;

  gtk_window_set_focus (f->window, NULL);
  g_assert_false (gtk_widget_has_focus (GTK_WIDGET (web_view)));
  order = begin_sale (f);
  g_assert_true (gtk_widget_has_focus (GTK_WIDGET (web_view)));
  /* The page gave the focus to the card form's frame, not to its own amount. */
  g_assert_true (pay_page_says (web_view, "document.activeElement.tagName === 'IFRAME'"));

  g_assert_true (pay_type_card_fields ("4242424242424242", 30, &error));
  g_assert_no_error (error);
  g_assert_true (pay_press_pay (&error));
  g_assert_no_error (error);
  wait_for_state (f, "paid");
  status = order_status (f, order->id);
  g_assert_cmpstr (status, ==, "paid");
}

static void
test_flow_web_process_killed (Fixture *f, gconstpointer data)
{
  g_autoptr (TillOrder) order = begin_sale (f);
  g_autofree char *status = NULL;
  guint            ready = f->ready;

  g_test_expect_message ("till-pay", G_LOG_LEVEL_WARNING, "*web process ended*");
  webkit_web_view_terminate_web_process (till_payment_view_get_web_view (f->view));
  /* The form comes back by itself, for the same order. */
  wait_for (&f->ready, ready + 1, "the card form after the crash");
  g_test_assert_expected_messages ();
  g_assert_cmpstr (till_payment_page_get_state (f->page), ==, "form");
  type_card (f, "4242424242424242");
  wait_for_state (f, "paid");
  status = order_status (f, order->id);
  g_assert_cmpstr (status, ==, "paid");
}

static void
test_flow_forged_success (Fixture *f, gconstpointer data)
{
  g_autoptr (TillOrder) order = begin_sale (f);
  g_autofree char *script = NULL;
  g_autofree char *status = NULL;
  const char      *pi = till_payment_view_get_payment_intent (f->view);

  /* A well-formed "succeeded" for an intent nobody paid: the app asks the server. */
  script = g_strdup_printf ("window.webkit.messageHandlers.till.postMessage({type: 'result',"
                            " status: 'succeeded', payment_intent: '%s', error: null});",
                            pi);
  webkit_web_view_evaluate_javascript (till_payment_view_get_web_view (f->view), script, -1, NULL,
                                       NULL, NULL, NULL, NULL);
  wait_for_state (f, "error");
  status = order_status (f, order->id);
  g_assert_cmpstr (status, ==, "pending_payment");
  g_assert_cmpuint (f->finished, ==, 0);
}

/* After New Sale the store holds one cart: empty, not parked, and not @paid. */
static void
assert_next_sale_cart (GListModel *carts, TillCartModel *paid)
{
  g_autoptr (TillCartModel) next = NULL;

  g_assert_cmpuint (g_list_model_get_n_items (carts), ==, 1);
  next = g_list_model_get_item (carts, 0);
  g_assert_true (next != paid);
  g_assert_true (till_cart_model_is_empty (next));
  g_assert_false (till_cart_model_get_parked (next));
}

/* The app is killed after the card was confirmed: on restart it finds the order, syncs it
 * and shows it paid; the cart goes only then. */

typedef struct
{
  GAsyncResult *result;
} Waiter;

static void
on_async (GObject *source, GAsyncResult *result, gpointer user_data)
{
  ((Waiter *) user_data)->result = g_object_ref (result);
}

static void
wait_result (Waiter *waiter)
{
  gint64 deadline = g_get_monotonic_time () + DEADLINE_US;

  while (waiter->result == NULL)
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_main_context_iteration (NULL, TRUE);
    }
}

static void
wait_store_idle (TillCartStore *store)
{
  while (till_cart_store_is_busy (store))
    g_main_context_iteration (NULL, TRUE);
}

/* What the browser does when the customer presses Pay: confirm with the publishable key and
 * the client secret, straight at Stripe (here the server's embedded simulator). */
static void
confirm_at_stripe (Fixture *f, const char *payment_intent, const char *client_secret)
{
  g_autofree char *uri =
      g_strdup_printf ("%s/v1/payment_intents/%s/confirm", f->js_origin, payment_intent);
  g_autoptr (SoupMessage) msg = soup_message_new ("POST", uri);
  g_autofree char *auth = g_strconcat ("Bearer ", f->publishable_key, NULL);
  g_autofree char *form =
      soup_form_encode ("payment_method", "pm_card_visa", "client_secret", client_secret, NULL);
  gsize length = strlen (form);
  g_autoptr (GBytes) body = g_bytes_new_take (g_steal_pointer (&form), length);
  g_autoptr (GBytes) reply = NULL;
  g_autoptr (GError) error = NULL;

  soup_message_headers_replace (soup_message_get_request_headers (msg), "Authorization", auth);
  soup_message_set_request_body_from_bytes (msg, "application/x-www-form-urlencoded", body);
  reply = soup_session_send_and_read (f->session, msg, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (soup_message_get_status (msg), ==, 200);
}

/* The training server restarts with a sale on the card form (issue 22): its simulator has
 * forgotten the PaymentIntent. The form moves to the new simulator's Stripe.js; Check Again
 * gets the order canceled (not a 502), and the cart goes on, once and without asking, as a
 * new order that is then paid. */

static gboolean
config_has_js (Fixture *f)
{
  const TillStoreConfig *config = till_client_get_config (f->client);

  return config != NULL && config->stripe_js_url != NULL &&
         g_str_has_prefix (config->stripe_js_url, f->js_origin);
}

static void
test_flow_server_restart (Fixture *f, gconstpointer data)
{
  g_autoptr (TillCartModel) cart = till_cart_model_new ("EUR", TRUE);
  g_autoptr (GPtrArray) products = NULL;
  g_autoptr (TillCheckoutResult) checkout_result = NULL;
  g_autofree char *etag = NULL;
  gint64           order_id;
  Waiter           waiter = { NULL };
  g_autofree char *binary = server_binary ();
  g_autofree char *status = NULL;
  g_autoptr (GError) error = NULL;
  TillPaymentView *old_view = f->view;
  gint64           deadline;
  guint            ready;

  /* A cart of the catalog, charged: its order's form is on screen. */
  till_client_fetch_products_async (f->client, NULL, NULL, on_async, &waiter);
  wait_result (&waiter);
  g_assert_true (
      till_client_fetch_products_finish (f->client, waiter.result, &products, &etag, &error));
  g_clear_object (&waiter.result);
  g_assert_cmpint (till_cart_model_add_product (cart, g_ptr_array_index (products, 0), 2, &error),
                   ==, 0);
  till_checkout_start_async (f->client, cart, NULL, on_async, &waiter);
  wait_result (&waiter);
  checkout_result = till_checkout_start_finish (waiter.result, &error);
  g_assert_no_error (error);
  g_clear_object (&waiter.result);
  order_id = checkout_result->response->order->id;
  ready = f->ready;
  till_payment_page_begin (f->page, cart, checkout_result->response);
  wait_for (&f->ready, ready + 1, "the card form");

  g_assert_true (pay_training_server_restart (f->server, binary, &error));
  g_assert_no_error (error);
  f->js_origin = f->server->js_origin; /* borrowed, as at the start */
  f->publishable_key = f->server->publishable_key;
  till_client_reconnect (f->client);
  deadline = g_get_monotonic_time () + DEADLINE_US;
  while (!config_has_js (f))
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_main_context_iteration (NULL, TRUE);
    }

  /* As the window does when the configuration changes: the form is made again for the new
   * Stripe.js (the old view would show a blank box), for the same sale. */
  g_assert_true (till_payment_page_prepare (f->page));
  f->view = till_payment_page_get_view (f->page);
  g_assert_true (f->view != old_view);
  ready = f->ready;
  g_signal_connect (f->view, "ready", G_CALLBACK (on_ready), f);
  g_signal_connect (f->view, "result", G_CALLBACK (on_result), f);

  /* Check Again: Stripe does not know the intent; the order is canceled and a new one made
   * for the same cart, whose form comes up. */
  gtk_widget_activate_action (GTK_WIDGET (f->page), "payment.check", NULL);
  wait_for (&f->ready, ready + 1, "the new order's card form");
  g_assert_cmpstr (till_payment_page_get_state (f->page), ==, "form");
  status = order_status (f, order_id);
  g_assert_cmpstr (status, ==, "canceled");
  g_clear_pointer (&status, g_free);
  g_assert_cmpuint (f->finished, ==, 0);

  type_card (f, "4242424242424242");
  wait_for_state (f, "paid");
  {
    g_autoptr (JsonObject) orders = api (f, "GET", "/api/v1/orders", NULL, 200);
    JsonArray  *list = json_object_get_array_member (orders, "orders");
    JsonObject *newest = json_array_get_object_element (list, 0);

    g_assert_cmpuint (json_array_get_length (list), ==, 2);
    g_assert_cmpint (json_object_get_int_member (newest, "id"), !=, order_id);
    g_assert_cmpstr (json_object_get_string_member (newest, "status"), ==, "paid");
  }
}

static void
test_restart_shows_paid (Fixture *f, gconstpointer data)
{
  g_autofree char *carts_dir = g_build_filename (f->dir, "carts", NULL);
  g_autoptr (GFile) directory = g_file_new_for_path (carts_dir);
  g_autoptr (TillCartStore) store = till_cart_store_new (directory);
  g_autoptr (TillCartStore) restarted = NULL;
  g_autoptr (TillClient) client = NULL;
  g_autoptr (TillCatalog) catalog = till_catalog_new ();
  g_autoptr (GPtrArray) products = NULL;
  g_autoptr (TillCheckoutResult) checkout_result = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *etag = NULL;
  g_autofree char *status = NULL;
  TillCartModel   *cart;
  TillWindow      *window;
  Waiter           waiter = { NULL };
  gint64           order_id;
  gint64           deadline;

  /* Before the crash: a cart, its checkout, and the card confirmed in the browser. */
  till_client_fetch_products_async (f->client, NULL, NULL, on_async, &waiter);
  wait_result (&waiter);
  g_assert_true (
      till_client_fetch_products_finish (f->client, waiter.result, &products, &etag, &error));
  g_clear_object (&waiter.result);
  cart = till_cart_store_new_cart (store, "EUR", TRUE);
  g_assert_cmpint (till_cart_model_add_product (cart, g_ptr_array_index (products, 0), 2, &error),
                   ==, 0);
  till_checkout_start_async (f->client, cart, NULL, on_async, &waiter);
  wait_result (&waiter);
  checkout_result = till_checkout_start_finish (waiter.result, &error);
  g_assert_no_error (error);
  g_clear_object (&waiter.result);
  order_id = checkout_result->response->order->id;
  confirm_at_stripe (f, checkout_result->response->payment_intent,
                     checkout_result->response->client_secret);
  wait_store_idle (store);
  g_clear_object (&store); /* the app is gone; its carts stay on disk */

  /* The restart: the saved cart, a new client, a new window. */
  restarted = till_cart_store_new (directory);
  till_cart_store_load_async (restarted, NULL, on_async, &waiter);
  wait_result (&waiter);
  g_assert_true (till_cart_store_load_finish (restarted, waiter.result, &error));
  g_clear_object (&waiter.result);
  g_assert_cmpuint (g_list_model_get_n_items (till_cart_store_get_carts (restarted)), ==, 1);

  client = till_client_new ();
  window = till_window_new (NULL, catalog, restarted, client);
  gtk_window_present (GTK_WINDOW (window));
  till_client_set_server (client, f->base, f->token);

  deadline = g_get_monotonic_time () + DEADLINE_US;
  while (g_strcmp0 (till_window_get_mode (window), "pay") != 0 ||
         g_strcmp0 (till_payment_page_get_state (till_window_get_payment_page (window)), "paid") !=
             0)
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_main_context_iteration (NULL, TRUE);
    }
  status = order_status (f, order_id);
  g_assert_cmpstr (status, ==, "paid");

  /* New Sale: now, and only now, the cart goes. */
  g_assert_cmpuint (g_list_model_get_n_items (till_cart_store_get_carts (restarted)), ==, 1);
  gtk_widget_activate_action (GTK_WIDGET (till_window_get_payment_page (window)), "payment.done",
                              NULL);
  g_assert_cmpstr (till_window_get_mode (window), ==, "sell");
  /* The paid cart is gone; the next sale has an empty cart. */
  assert_next_sale_cart (till_cart_store_get_carts (restarted), NULL);
  wait_store_idle (restarted);
  gtk_window_destroy (GTK_WINDOW (window));
}

/* The whole sale in the app's window: scan, Charge, the card typed, Paid on screen and in
 * the server's database, and the cart gone only then. */
static gboolean
catalog_filled (gpointer catalog)
{
  return till_catalog_get_n_products (catalog) > 0;
}

static void
count_dismissed (guint *count)
{
  (*count)++;
}

static gboolean
widget_mapped (gpointer widget)
{
  return gtk_widget_get_mapped (widget);
}

static void
test_window_sale (Fixture *f, gconstpointer data)
{
  g_autofree char *carts_dir = g_build_filename (f->dir, "window-carts", NULL);
  g_autoptr (GFile) directory = g_file_new_for_path (carts_dir);
  g_autoptr (TillCartStore) store = till_cart_store_new (directory);
  g_autoptr (TillCatalog) catalog = till_catalog_new ();
  g_autoptr (TillClient) client = till_client_new ();
  g_autofree char *xid = NULL;
  g_autofree char *status = NULL;
  TillPaymentPage *page;
  TillCartModel   *cart;
  TillWindow      *window;
  g_autoptr (TillProduct) product = NULL;
  gint64    deadline = g_get_monotonic_time () + DEADLINE_US;
  gint64    order_id;
  guint     ready;
  AdwToast *paid_toast;
  guint     paid_dismissed = 0;

  cart = till_cart_store_new_cart (store, "EUR", TRUE);
  window = till_window_new (NULL, catalog, store, client);
  gtk_window_set_default_size (GTK_WINDOW (window), 1024, 700);
  gtk_window_present (GTK_WINDOW (window));
  /* The cashier's window has the keyboard, as on a till: once it is on screen. */
  g_assert_true (till_test_wait_until (widget_mapped, window, DEADLINE_US / 1000));
  pay_take_events ();
  xid = g_strdup_printf (
      "%lu", (gulong) gdk_x11_surface_get_xid (gtk_native_get_surface (GTK_NATIVE (window))));
  xdotool ((const char *[]){ "windowfocus", "--sync", xid, NULL });
  till_client_set_server (client, f->base, f->token);
  while (!catalog_filled (catalog))
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_main_context_iteration (NULL, TRUE);
    }
  for (guint i = 0; i < till_catalog_get_n_products (catalog) && product == NULL; i++)
    {
      g_autoptr (TillProduct) candidate = till_catalog_dup_product (catalog, i);
      if (till_product_get_barcode (candidate) != NULL)
        product = g_steal_pointer (&candidate);
    }
  g_assert_nonnull (product);

  /* The payment page, loaded at start: the app's calls into it are noted from now on. */
  page = till_window_get_payment_page (window);
  while (till_payment_page_get_view (page) == NULL ||
         !till_payment_view_get_loaded (till_payment_page_get_view (page)))
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_main_context_iteration (NULL, TRUE);
    }
  g_assert_true (pay_page_says (
      till_payment_view_get_web_view (till_payment_page_get_view (page)),
      "(function () { window.tillPayCalls = []; ['prepare', 'start'].forEach(function (name) {"
      "  var call = window.tillPay[name];"
      "  window.tillPay[name] = function (args) { window.tillPayCalls.push(name);"
      "                                           return call(args); }; });"
      "  return true; })()"));

  /* A scan, then Charge. */
  till_window_handle_barcode (window, till_product_get_barcode (product));
  g_assert_cmpuint (till_cart_model_get_n_lines (cart), ==, 1);
  gtk_widget_activate_action (GTK_WIDGET (window), "win.charge", NULL);
  while (g_strcmp0 (till_window_get_mode (window), "pay") != 0 ||
         till_payment_page_get_view (page) == NULL ||
         !till_payment_view_get_loaded (till_payment_page_get_view (page)))
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_main_context_iteration (NULL, TRUE);
    }

  /* The form has the focus (the page gave it); the customer types. */
  f->page = page;
  f->view = till_payment_page_get_view (page);
  g_signal_connect (f->view, "ready", G_CALLBACK (on_ready), f);
  if (!g_str_equal (till_payment_page_get_state (page), "form"))
    g_error ("the payment page shows “%s”", till_payment_page_get_state (page));
  wait_for_page (f, "document.getElementById('submit').disabled === false", "the card form");
  /* Charge mounted the form for the cart before the checkout answered, which then only
   * handed the intent to it. */
  g_assert_true (pay_page_says (till_payment_view_get_web_view (f->view),
                                "window.tillPayCalls.join(' ') === 'prepare start'"));
  /* Typed fast (30 ms a key, like a scanner): the form, not the scanner detector, gets it.
   * First a card the bank declines: the reason is shown and the cart stays. */
  type_card (f, "4000000000000002");
  wait_for_state (f, "declined");
  g_assert_cmpuint (g_list_model_get_n_items (till_cart_store_get_carts (store)), ==, 1);
  g_assert_cmpuint (till_cart_model_get_n_lines (cart), ==, 1);

  /* Try Again, with a good card. */
  ready = f->ready;
  gtk_widget_activate_action (GTK_WIDGET (page), "payment.try-again", NULL);
  wait_for (&f->ready, ready + 1, "the card form again");
  type_card (f, "4242424242424242");
  wait_for_state (f, "paid");
  {
    /* The one order of this server, paid. */
    g_autoptr (JsonObject) orders = api (f, "GET", "/api/v1/orders", NULL, 200);
    JsonArray *list = json_object_get_array_member (orders, "orders");
    g_assert_cmpuint (json_array_get_length (list), ==, 1);
    order_id = json_object_get_int_member (json_array_get_object_element (list, 0), "id");
  }
  status = order_status (f, order_id);
  g_assert_cmpstr (status, ==, "paid");

  /* The cart is still there until New Sale; then it goes. */
  g_assert_cmpuint (g_list_model_get_n_items (till_cart_store_get_carts (store)), ==, 1);
  gtk_widget_activate_action (GTK_WIDGET (page), "payment.done", NULL);
  g_assert_cmpstr (till_window_get_mode (window), ==, "sell");
  assert_next_sale_cart (till_cart_store_get_carts (store), cart);

  /* "Paid." is said until the next customer's payment starts: then it goes, for good. */
  paid_toast = till_window_get_toast (window);
  g_assert_nonnull (paid_toast);
  g_assert_cmpstr (adw_toast_get_title (paid_toast), ==, "Paid. Ready for the next sale.");
  g_object_ref (paid_toast);
  g_signal_connect_swapped (paid_toast, "dismissed", G_CALLBACK (count_dismissed), &paid_dismissed);
  till_window_handle_barcode (window, till_product_get_barcode (product));
  gtk_widget_activate_action (GTK_WIDGET (window), "win.charge", NULL);
  while (g_strcmp0 (till_window_get_mode (window), "pay") != 0)
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_main_context_iteration (NULL, TRUE);
    }
  g_assert_cmpuint (paid_dismissed, ==, 1);
  g_assert_null (till_window_get_toast (window));

  /* Back to the Cart: its own message, and "Paid." does not come back after it. */
  gtk_widget_activate_action (GTK_WIDGET (page), "payment.cancel", NULL);
  while (g_strcmp0 (till_window_get_mode (window), "sell") != 0)
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_main_context_iteration (NULL, TRUE);
    }
  g_assert_nonnull (till_window_get_toast (window));
  g_assert_cmpstr (adw_toast_get_title (till_window_get_toast (window)), ==,
                   "Payment stopped. The cart is back: change it or charge it again.");
  g_assert_cmpuint (paid_dismissed, ==, 1);
  g_object_unref (paid_toast);

  while (till_cart_store_is_busy (store))
    g_main_context_iteration (NULL, TRUE);
  f->page = NULL;
  f->view = NULL;
  gtk_window_destroy (GTK_WINDOW (window));
}

/* A cart of the training catalog: @quantity of its first product. */
static TillCartModel *
catalog_cart (Fixture *f, guint quantity)
{
  TillCartModel *cart = till_cart_model_new ("EUR", TRUE);
  g_autoptr (GPtrArray) products = NULL;
  g_autofree char *etag = NULL;
  g_autoptr (GError) error = NULL;
  Waiter waiter = { NULL };

  till_client_fetch_products_async (f->client, NULL, NULL, on_async, &waiter);
  wait_result (&waiter);
  g_assert_true (
      till_client_fetch_products_finish (f->client, waiter.result, &products, &etag, &error));
  g_clear_object (&waiter.result);
  g_assert_cmpint (
      till_cart_model_add_product (cart, g_ptr_array_index (products, 0), quantity, &error), ==, 0);
  return cart;
}

static TillCheckoutResult *
app_checkout (Fixture *f, TillCartModel *cart)
{
  g_autoptr (GError) error = NULL;
  Waiter              waiter = { NULL };
  TillCheckoutResult *result;

  till_checkout_start_async (f->client, cart, NULL, on_async, &waiter);
  wait_result (&waiter);
  result = till_checkout_start_finish (waiter.result, &error);
  g_assert_no_error (error);
  g_object_unref (waiter.result);
  return result;
}

/* Charge mounts the card form for the cart's total before the checkout answers (Stripe's
 * deferred intent): the form is ready while no PaymentIntent exists yet (no checkout has even
 * been sent), says nothing to the app until it has one, and the checkout's intent is then
 * handed to that same form, which takes the payment. */
static void
test_flow_prepared_before_checkout (Fixture *f, gconstpointer data)
{
  g_autoptr (TillCartModel) cart = catalog_cart (f, 2);
  g_autoptr (TillCheckoutResult) checkout_result = NULL;
  g_autofree char *status = NULL;
  WebKitWebView   *web_view = till_payment_view_get_web_view (f->view);
  guint            ready = f->ready;

  till_payment_page_prepare_sale (f->page, cart);
  wait_for_page (f, "window.tillPay.isReady()", "the card form prepared before the checkout");
  g_assert_true (pay_page_says (web_view, "window.preparedFrame = " ELEMENT_FRAME ", true"));
  g_assert_null (till_payment_view_get_payment_intent (f->view));
  g_assert_cmpuint (f->ready, ==, ready);
  /* Not payable without an intent. */
  g_assert_true (pay_page_says (web_view, "document.getElementById('submit').disabled"));

  checkout_result = app_checkout (f, cart);
  g_assert_false (checkout_result->price_changed);
  till_payment_page_begin (f->page, cart, checkout_result->response);
  wait_for (&f->ready, ready + 1, "the card form with the checkout's intent");
  g_assert_cmpstr (till_payment_view_get_payment_intent (f->view), ==,
                   checkout_result->response->payment_intent);
  g_assert_true (pay_page_says (web_view, ELEMENT_FRAME " === window.preparedFrame"));
  g_assert_true (pay_page_says (web_view, "!document.getElementById('submit').disabled"));

  type_card (f, "4242424242424242");
  wait_for_state (f, "paid");
  status = order_status (f, checkout_result->response->order->id);
  g_assert_cmpstr (status, ==, "paid");
}

/* The server's total is not the one the form was prepared for (prices changed meanwhile, and
 * the cashier said Charge the new total): the same form takes the intent, shows the server's
 * amount, and the intent's amount is paid. */
static void
test_flow_prepared_other_total (Fixture *f, gconstpointer data)
{
  g_autoptr (TillCartModel) prepared = catalog_cart (f, 3);
  g_autoptr (TillCartModel) cart = catalog_cart (f, 2);
  g_autoptr (TillCheckoutResult) checkout_result = NULL;
  g_autofree char *label = NULL;
  g_autofree char *expression = NULL;
  g_autofree char *status = NULL;
  WebKitWebView   *web_view = till_payment_view_get_web_view (f->view);
  guint            ready = f->ready;

  till_payment_page_prepare_sale (f->page, prepared);
  wait_for_page (f, "window.tillPay.isReady()", "the card form prepared for three");
  g_assert_true (pay_page_says (web_view, "window.preparedFrame = " ELEMENT_FRAME ", true"));

  checkout_result = app_checkout (f, cart);
  till_payment_page_begin (f->page, cart, checkout_result->response);
  wait_for (&f->ready, ready + 1, "the card form with the checkout's intent");
  g_assert_true (pay_page_says (web_view, ELEMENT_FRAME " === window.preparedFrame"));
  label = till_money_label (checkout_result->response->order->total, "EUR");
  expression = g_strdup_printf ("document.getElementById('amount').textContent === '%s'", label);
  g_assert_true (pay_page_says (web_view, expression));

  type_card (f, "4242424242424242");
  wait_for_state (f, "paid");
  status = order_status (f, checkout_result->response->order->id);
  g_assert_cmpstr (status, ==, "paid");
}

/* A split sale, cash first: the cash part is recorded with the order, the card form shows
 * and charges the rest only, and the order is paid when the card is. */
static void
test_flow_split_card_part (Fixture *f, gconstpointer data)
{
  g_autoptr (TillCartModel) cart = catalog_cart (f, 2);
  g_autoptr (TillCheckoutResponse) response = NULL;
  g_autoptr (JsonNode) body = NULL;
  g_autoptr (JsonObject) drawer = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *label = NULL;
  g_autofree char *expression = NULL;
  g_autofree char *status = NULL;
  JsonObject      *cash = json_object_new ();
  Waiter           waiter = { NULL };
  guint            ready = f->ready;

  {
    g_autoptr (JsonNode) open = json_from_string ("{\"float\": 0}", NULL);

    till_client_cash_request_async (f->client, "/api/v1/drawer/open", open, NULL, NULL, on_async,
                                    &waiter);
    wait_result (&waiter);
    drawer = till_client_cash_request_finish (f->client, waiter.result, &error);
    g_assert_no_error (error);
    g_clear_object (&waiter.result);
  }
  till_cart_model_ensure_client_reference (cart);
  body = till_cart_to_checkout_json (till_cart_model_get_cart (cart));
  json_object_set_string_member (json_node_get_object (body), "tender", "split");
  json_object_set_int_member (cash, "amount", 100);
  json_object_set_int_member (cash, "tendered", 100);
  json_object_set_object_member (json_node_get_object (body), "cash", cash);
  till_client_split_checkout_async (f->client, body, NULL, on_async, &waiter);
  wait_result (&waiter);
  response = till_client_create_checkout_finish (f->client, waiter.result, &error);
  g_assert_no_error (error);
  g_clear_object (&waiter.result);
  g_assert_cmpint (response->order->status, ==, TILL_ORDER_PARTIALLY_PAID);

  till_payment_page_begin (f->page, cart, response);
  wait_for (&f->ready, ready + 1, "the card form for the card's part");
  label = till_money_label (response->order->total - 100, "EUR");
  expression = g_strdup_printf ("document.getElementById('amount').textContent === '%s'", label);
  g_assert_true (pay_page_says (till_payment_view_get_web_view (f->view), expression));

  type_card (f, "4242424242424242");
  wait_for_state (f, "paid");
  status = order_status (f, response->order->id);
  g_assert_cmpstr (status, ==, "paid");
}

/* In Turkish, the card form is in Turkish (Stripe Elements' locale is the app's language, not
 * WebKit's). Last, as it changes the process's language. */
static void
test_flow_turkish_card_form (Fixture *f, gconstpointer data)
{
  static const char listen[] =
      "(function () {"
      "  if (window === window.top) {"
      "    window.addEventListener('message', function (e) {"
      "      if (e.data && e.data.tillTestLabel) window.tillTestLabel = e.data.tillTestLabel;"
      "    });"
      "  } else if (document.getElementById('number-label')) {"
      "    window.top.postMessage({ tillTestLabel:"
      "      document.getElementById('number-label').textContent }, '*');"
      "  }"
      "})();";
  g_autofree char *po = g_test_build_filename (G_TEST_BUILT, "..", "po", NULL);
  WebKitWebView   *web_view = till_payment_view_get_web_view (f->view);
  g_autoptr (WebKitUserScript) script =
      webkit_user_script_new (listen, WEBKIT_USER_CONTENT_INJECT_ALL_FRAMES,
                              WEBKIT_USER_SCRIPT_INJECT_AT_DOCUMENT_END, NULL, NULL);
  g_autoptr (TillOrder) order = NULL;
  guint loaded = f->loaded;

  g_setenv ("TILL_LOCALEDIR", po, TRUE);
  g_setenv ("LANGUAGE", "tr", TRUE);
  setlocale (LC_ALL, ""); /* C.UTF-8 in the tests: LANGUAGE counts (not under plain C) */
  till_application_bind_textdomain ();
  g_assert_cmpstr (till_payment_view_get_locale (), ==, "tr");

  /* A test's ear in every frame (the card form's is another origin's), from the next load. */
  webkit_user_content_manager_add_script (webkit_web_view_get_user_content_manager (web_view),
                                          script);
  webkit_web_view_reload (web_view);
  wait_for (&f->loaded, loaded + 1, "the payment page again");

  order = begin_sale (f);
  wait_for_page (f, "window.tillTestLabel === 'Kart numarası'", "the card form's Turkish label");
  save_snapshot (f, "pay-form-tr");
}

int
main (int argc, char **argv)
{
  g_autofree char *xdotool_path = NULL;

  gtk_test_init (&argc, &argv, NULL);
  adw_init ();

  xdotool_path = g_find_program_in_path ("xdotool");
  if (!GDK_IS_X11_DISPLAY (gdk_display_get_default ()) || xdotool_path == NULL)
    {
      g_test_skip ("needs an X display (Xvfb) and xdotool");
      return g_test_run ();
    }

#define ADD(path, fn)                                                                              \
  g_test_add ("/pay/e2e/" path, Fixture, NULL, fixture_set_up, fn, fixture_tear_down)
  ADD ("card-paid", test_card_paid);
  ADD ("decline-then-other-card", test_decline_then_other_card);
  ADD ("generic-decline", test_generic_decline);
  ADD ("decline-explained", test_decline_explained);
  ADD ("three-d-secure", test_three_d_secure);
  ADD ("card-only-no-tabs", test_card_only_no_tabs);
  ADD ("older-app", test_older_app);
  ADD ("older-server", test_older_server);
  g_test_add ("/pay/e2e/redirect-refused", Fixture, automatic_methods, fixture_set_up,
              test_redirect_refused, fixture_tear_down);
#undef ADD
#define FLOW(path, fn)                                                                             \
  g_test_add ("/pay/flow/" path, Fixture, "flow", fixture_set_up, fn, fixture_tear_down)
  FLOW ("paid", test_flow_paid);
  FLOW ("receipt-printer", test_flow_receipt_printer);
  FLOW ("empty-form", test_flow_empty_form);
  FLOW ("declined-then-paid", test_flow_declined_then_paid);
  FLOW ("cancel", test_flow_cancel);
  FLOW ("kiosk", test_flow_kiosk);
  FLOW ("card-number-focused", test_flow_card_number_focused);
  FLOW ("web-process-killed", test_flow_web_process_killed);
  FLOW ("forged-success", test_flow_forged_success);
  FLOW ("restart-shows-paid", test_restart_shows_paid);
  FLOW ("server-restart", test_flow_server_restart);
  FLOW ("window-sale", test_window_sale);
  FLOW ("prepared-before-checkout", test_flow_prepared_before_checkout);
  FLOW ("prepared-other-total", test_flow_prepared_other_total);
  FLOW ("split-card-part", test_flow_split_card_part);
  g_test_add ("/pay/flow/moto", Fixture, moto, fixture_set_up, test_flow_moto, fixture_tear_down);
  g_test_add ("/pay/flow/moto-declined", Fixture, moto, fixture_set_up, test_flow_moto_declined,
              fixture_tear_down);
  g_test_add ("/pay/flow/moto-kiosk", Fixture, moto, fixture_set_up, test_flow_moto_kiosk,
              fixture_tear_down);
  /* Last: it changes the process's language. */
  FLOW ("turkish-card-form", test_flow_turkish_card_form);
#undef FLOW

  return g_test_run ();
}
