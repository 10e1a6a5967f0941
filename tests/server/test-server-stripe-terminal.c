/* test-server-stripe-terminal.c: till-server's requests of Stripe Terminal's server-driven
 * integration, and its reading of the answers, against the simulator over real HTTP.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "till-core.h"
#include "till-stripe-sim.h"
#include "till-stripe-terminal.h"
#include "till-test-server.h"

typedef struct
{
  TillStripeSim    *sim;
  TillStripeClient *client;
  char             *dir;
  TillDatabase     *db;
} Fixture;

static void
fixture_set_up (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *path = NULL;

  f->sim = till_stripe_sim_new (TILL_TEST_SECRET_KEY, &error);
  g_assert_no_error (error);
  till_stripe_sim_listen (f->sim, "127.0.0.1", 0, &error);
  g_assert_no_error (error);
  f->client = till_stripe_client_new (till_stripe_sim_get_base_uri (f->sim), TILL_TEST_SECRET_KEY);
  till_stripe_client_set_retries (f->client, 2, 10);
  till_stripe_client_set_timeouts (f->client, 2000, 5000);
  f->dir = till_test_make_tmpdir ("till-stripe-terminal-test");
  path = g_build_filename (f->dir, "till.db", NULL);
  f->db = till_database_open (path, &error);
  g_assert_no_error (error);
}

static void
fixture_tear_down (Fixture *f, gconstpointer data)
{
  g_clear_object (&f->db);
  g_clear_object (&f->client);
  g_clear_object (&f->sim);
  till_test_remove_tree (f->dir);
  g_free (f->dir);
}

static TillStripeResponse *
call (Fixture             *f,
      TillStripeReaderCall what,
      const char          *reader,
      TillStripeForm      *form,
      const char          *key)
{
  g_autoptr (GAsyncResult) result = NULL;
  g_autoptr (GError) error = NULL;
  TillStripeResponse *response;

  till_stripe_reader_call_async (f->client, what, reader, form, key, NULL, till_test_store_result,
                                 &result);
  g_assert_nonnull (till_test_wait_result (&result, TILL_TEST_DEADLINE_MS));
  response = till_stripe_client_request_finish (f->client, result, &error);
  g_assert_no_error (error);
  return response;
}

static TillStripeReader *
reader_of (TillStripeResponse *response)
{
  g_autoptr (GError) error = NULL;
  TillStripeReader *reader;

  g_assert_cmpuint (response->status, ==, 200);
  reader = till_stripe_reader_parse (response->body, &error);
  g_assert_no_error (error);
  return reader;
}

/* Asynchronous: the simulator answers in this thread's main context. */
static TillStripeResponse *
request (Fixture *f, const char *method, const char *path, TillStripeForm *form, const char *key)
{
  g_autoptr (GAsyncResult) result = NULL;
  g_autoptr (GError) error = NULL;
  TillStripeResponse *response;

  till_stripe_client_request_async (f->client, method, path, form, key, NULL,
                                    till_test_store_result, &result);
  g_assert_nonnull (till_test_wait_result (&result, TILL_TEST_DEADLINE_MS));
  response = till_stripe_client_request_finish (f->client, result, &error);
  g_assert_no_error (error);
  return response;
}

static TillStripeResponse *
post (Fixture *f, const char *path, TillStripeForm *form, const char *key)
{
  return request (f, "POST", path, form, key);
}

static TillOrder *
make_order (void)
{
  TillOrder     *order = till_order_new ();
  TillOrderLine *tea = till_order_line_new ();
  TillOrderLine *simit = till_order_line_new ();

  order->id = 42;
  order->number = g_strdup ("T-000042");
  order->currency = g_strdup ("TRY");
  tea->name = g_strdup ("Çay");
  tea->quantity = 2;
  tea->unit_amount = 1500;
  simit->name = g_strdup ("Simit");
  simit->quantity = 1;
  simit->unit_amount = 25; /* below Stripe's minimum charge: shown all the same */
  g_ptr_array_add (order->lines, tea);
  g_ptr_array_add (order->lines, simit);
  order->tax = 300;
  order->total = 3025;
  order->created_at = g_date_time_new_now_utc ();
  return order;
}

static char *
register_reader (Fixture *f)
{
  g_autoptr (TillStripeForm) location_form =
      till_stripe_terminal_location_form ("Counter", "Atatürk Blv 1", "Ankara", "06100", "TR");
  g_autoptr (TillStripeResponse) location = post (f, "/v1/terminal/locations", location_form, NULL);
  g_autoptr (TillStripeForm) form = NULL;
  g_autoptr (TillStripeResponse) response = NULL;
  g_autoptr (TillStripeReader) reader = NULL;

  g_assert_cmpuint (location->status, ==, 200);
  form = till_stripe_terminal_register_form ("simulated-wpe", "Till 1",
                                             json_object_get_string_member (location->body, "id"));
  response = post (f, "/v1/terminal/readers", form, NULL);
  reader = reader_of (response);
  g_assert_cmpstr (reader->label, ==, "Till 1");
  g_assert_cmpstr (reader->device_type, ==, "simulated_wisepos_e");
  g_assert_cmpstr (reader->location, ==, json_object_get_string_member (location->body, "id"));
  g_assert_true (reader->online);
  g_assert_null (reader->action_type);
  g_assert_cmpint (reader->action_status, ==, TILL_STRIPE_READER_ACTION_NONE);
  return g_strdup (reader->id);
}

/* An order's card-present sale: the cart on the reader, the intent, the hand-over, a
 * decline, a new hand-over (a new key), the card, the receipt's details. */
static void
test_sale (Fixture *f, gconstpointer data)
{
  g_autofree char *reader_id = register_reader (f);
  g_autoptr (TillOrder) order = make_order ();
  g_autoptr (GError) error = NULL;
  g_autoptr (TillStripeForm) intent_form =
      till_stripe_terminal_intent_form (f->db, order, "Köşe Büfe", TRUE, &error);
  g_autofree char *intent_key = till_stripe_terminal_intent_key (f->db, order->id);
  g_autoptr (TillStripeResponse) intent = NULL;
  g_autofree char *intent_id = NULL;

  g_assert_no_error (error);
  {
    g_autoptr (TillStripeForm) form = till_stripe_terminal_display_form (order, &error);
    g_autoptr (TillStripeResponse) response = NULL;

    g_assert_no_error (error);
    response = call (f, TILL_STRIPE_READER_SET_READER_DISPLAY, reader_id, form, NULL);
    g_assert_cmpuint (response->status, ==, 200);
    {
      JsonObject *action = json_object_get_object_member (response->body, "action");
      JsonObject *cart = json_object_get_object_member (
          json_object_get_object_member (action, "set_reader_display"), "cart");
      JsonArray *items = json_object_get_array_member (cart, "line_items");

      g_assert_cmpint (json_object_get_int_member (cart, "total"), ==, 3025);
      g_assert_cmpint (json_object_get_int_member (cart, "tax"), ==, 300);
      g_assert_cmpuint (json_array_get_length (items), ==, 2);
      g_assert_cmpstr (
          json_object_get_string_member (json_array_get_object_element (items, 0), "description"),
          ==, "Çay");
      g_assert_cmpint (
          json_object_get_int_member (json_array_get_object_element (items, 1), "amount"), ==, 25);
    }
  }

  intent = post (f, "/v1/payment_intents", intent_form, intent_key);
  g_assert_cmpuint (intent->status, ==, 200);
  intent_id = g_strdup (json_object_get_string_member (intent->body, "id"));
  g_assert_cmpstr (json_object_get_string_member (intent->body, "capture_method"), ==, "manual");
  g_assert_cmpstr (json_object_get_string_member (
                       json_object_get_object_member (intent->body, "metadata"), "till_order_id"),
                   ==, "42");
  /* The same key answers the same intent. */
  {
    g_autoptr (TillStripeResponse) again = post (f, "/v1/payment_intents", intent_form, intent_key);

    g_assert_true (again->replayed);
    g_assert_cmpstr (json_object_get_string_member (again->body, "id"), ==, intent_id);
  }

  /* Handed to the reader; a lost answer's retry with the same key is the same action. */
  {
    g_autoptr (TillStripeForm) form = till_stripe_terminal_process_form (intent_id);
    g_autofree char *key = till_stripe_terminal_process_key (f->db, order->id, 1);
    g_autoptr (TillStripeResponse) first =
        call (f, TILL_STRIPE_READER_PROCESS_PAYMENT_INTENT, reader_id, form, key);
    g_autoptr (TillStripeResponse) retry =
        call (f, TILL_STRIPE_READER_PROCESS_PAYMENT_INTENT, reader_id, form, key);
    g_autoptr (TillStripeReader) reader = reader_of (first);

    g_assert_cmpstr (reader->action_type, ==, "process_payment_intent");
    g_assert_cmpint (reader->action_status, ==, TILL_STRIPE_READER_ACTION_IN_PROGRESS);
    g_assert_cmpstr (reader->action_payment_intent, ==, intent_id);
    g_assert_true (retry->replayed);
  }
  /* Another hand-over while it waits: busy, in the cashier's words. */
  {
    g_autoptr (TillStripeForm) form = till_stripe_terminal_process_form (intent_id);
    g_autofree char *key = till_stripe_terminal_process_key (f->db, order->id, 99);
    g_autoptr (TillStripeResponse) busy =
        call (f, TILL_STRIPE_READER_PROCESS_PAYMENT_INTENT, reader_id, form, key);
    JsonObject      *stripe_error = till_stripe_response_get_error (busy);
    g_autofree char *words = NULL;

    g_assert_cmpuint (busy->status, ==, 409);
    /* Told at once, not retried: the reader stays busy until the card or a cancel. */
    g_assert_cmpuint (busy->attempts, ==, 1);
    g_assert_nonnull (stripe_error);
    words = till_stripe_terminal_describe_failure (
        json_object_get_string_member (stripe_error, "code"));
    g_assert_cmpstr (words, ==, "The card reader is busy with another payment.");
  }

  /* Declined. */
  {
    g_autoptr (TillStripeForm) form = till_stripe_form_new ();
    g_autoptr (TillStripeResponse) response = NULL;
    g_autoptr (TillStripeReader) reader = NULL;
    g_autofree char *words = NULL;

    till_stripe_form_add (form, "card_present[number]", "4000000000000002");
    response = call (f, TILL_STRIPE_READER_PRESENT_PAYMENT_METHOD, reader_id, form, NULL);
    reader = reader_of (response);
    g_assert_cmpint (reader->action_status, ==, TILL_STRIPE_READER_ACTION_FAILED);
    g_assert_cmpstr (reader->failure_code, ==, "card_declined");
    g_assert_nonnull (reader->failure_message);
    words = till_stripe_terminal_describe_failure (reader->failure_code);
    g_assert_cmpstr (words, ==, "The card was declined.");
  }
  /* A second hand-over needs a new key: the first one's would replay the old answer. */
  {
    g_autoptr (TillStripeForm) form = till_stripe_terminal_process_form (intent_id);
    g_autofree char *first_key = till_stripe_terminal_process_key (f->db, order->id, 1);
    g_autofree char *key = till_stripe_terminal_process_key (f->db, order->id, 2);
    g_autoptr (TillStripeResponse) response =
        call (f, TILL_STRIPE_READER_PROCESS_PAYMENT_INTENT, reader_id, form, key);
    g_autoptr (TillStripeReader) reader = reader_of (response);

    g_assert_cmpstr (first_key, !=, key);
    g_assert_cmpint (reader->action_status, ==, TILL_STRIPE_READER_ACTION_IN_PROGRESS);
  }
  {
    g_autoptr (TillStripeForm) form = till_stripe_form_new ();
    g_autoptr (TillStripeResponse) response = NULL;
    g_autoptr (TillStripeReader) reader = NULL;

    till_stripe_form_add (form, "card_present[number]", "5555555555554444");
    response = call (f, TILL_STRIPE_READER_PRESENT_PAYMENT_METHOD, reader_id, form, NULL);
    g_assert_cmpuint (response->status, ==, 200);
  }
  /* Polling, the webhook's fallback: the reader says succeeded. */
  {
    g_autoptr (TillStripeResponse) response =
        call (f, TILL_STRIPE_READER_RETRIEVE, reader_id, NULL, NULL);
    g_autoptr (TillStripeReader) reader = reader_of (response);

    g_assert_cmpint (reader->action_status, ==, TILL_STRIPE_READER_ACTION_SUCCEEDED);
    g_assert_cmpstr (reader->action_payment_intent, ==, intent_id);
  }
  /* The intent waits for its capture; the receipt's details are on its charge. */
  {
    g_autofree char *path = g_strdup_printf ("/v1/payment_intents/%s", intent_id);
    g_autoptr (TillStripeResponse) response = request (f, "GET", path, NULL, NULL);
    g_autoptr (TillCardPresent) details = NULL;

    g_assert_cmpstr (json_object_get_string_member (response->body, "status"), ==,
                     "requires_capture");
    details = till_card_present_parse (response->body, &error);
    g_assert_no_error (error);
    g_assert_cmpstr (details->brand, ==, "mastercard");
    g_assert_cmpstr (details->last4, ==, "4444");
    g_assert_cmpstr (details->read_method, ==, "contactless_emv");
    g_assert_cmpstr (details->application_name, ==, "Mastercard");
    g_assert_cmpstr (details->application_id, ==, "A0000000041010");
    g_assert_cmpstr (details->account_type, ==, "credit");
    g_assert_nonnull (details->authorization_code);
    g_assert_cmpstr (details->authorization_response_code, ==, "3030");
  }
}

static void
test_cancel (Fixture *f, gconstpointer data)
{
  g_autofree char *reader_id = register_reader (f);
  g_autoptr (TillOrder) order = make_order ();
  g_autoptr (TillStripeForm) intent_form =
      till_stripe_terminal_intent_form (f->db, order, "Shop", FALSE, NULL);
  g_autoptr (TillStripeResponse) intent = post (f, "/v1/payment_intents", intent_form, NULL);
  const char *intent_id = json_object_get_string_member (intent->body, "id");
  g_autoptr (TillStripeForm) form = till_stripe_terminal_process_form (intent_id);
  g_autoptr (TillStripeResponse) process =
      call (f, TILL_STRIPE_READER_PROCESS_PAYMENT_INTENT, reader_id, form, NULL);
  g_autoptr (TillStripeResponse) cancel =
      call (f, TILL_STRIPE_READER_CANCEL_ACTION, reader_id, NULL, NULL);
  g_autoptr (TillStripeReader) reader = reader_of (cancel);
  g_autofree char *words = till_stripe_terminal_describe_failure (reader->failure_code);

  g_assert_cmpuint (process->status, ==, 200);
  g_assert_cmpint (reader->action_status, ==, TILL_STRIPE_READER_ACTION_FAILED);
  g_assert_cmpstr (words, ==, "The payment on the card reader was canceled.");
}

/* A webhook endpoint that keeps the bodies of terminal.reader events. */
static void
on_webhook (SoupServer        *server,
            SoupServerMessage *msg,
            const char        *path,
            GHashTable        *query,
            gpointer           user_data)
{
  GPtrArray *events = user_data;
  g_autoptr (GBytes) body = soup_message_body_flatten (soup_server_message_get_request_body (msg));
  g_autoptr (JsonObject) event =
      till_json_parse_object (g_bytes_get_data (body, NULL), g_bytes_get_size (body), NULL);

  if (event != NULL &&
      g_str_has_prefix (json_object_get_string_member_with_default (event, "type", ""),
                        "terminal.reader."))
    g_ptr_array_add (events, g_steal_pointer (&event));
  soup_server_message_set_status (msg, 200, NULL);
}

static gboolean
has_events (gpointer data)
{
  return ((GPtrArray *) data)->len >= 2;
}

/* The outcome by webhook, in the endpoint's (current) API version: the event's reader reads
 * as the API's does. */
static void
test_webhook (Fixture *f, gconstpointer data)
{
  g_autoptr (GPtrArray) events =
      g_ptr_array_new_with_free_func ((GDestroyNotify) json_object_unref);
  g_autoptr (SoupServer) server = soup_server_new (NULL, NULL);
  g_autoptr (GError) error = NULL;
  g_autofree char *reader_id = register_reader (f);
  g_autoptr (TillOrder) order = make_order ();
  g_autoptr (TillStripeForm) intent_form =
      till_stripe_terminal_intent_form (f->db, order, "Shop", FALSE, NULL);
  g_autoptr (TillStripeResponse) intent = post (f, "/v1/payment_intents", intent_form, NULL);
  const char      *intent_id = json_object_get_string_member (intent->body, "id");
  g_autofree char *url = NULL;
  GSList          *uris;

  soup_server_add_handler (server, NULL, on_webhook, events, NULL);
  g_assert_true (soup_server_listen_local (server, 0, SOUP_SERVER_LISTEN_IPV4_ONLY, &error));
  uris = soup_server_get_uris (server);
  url = g_uri_to_string (uris->data);
  g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);
  g_assert_true (
      till_stripe_sim_set_webhook (f->sim, url, "whsec_test_terminal_webhook_0123", &error));

  for (guint i = 0; i < 2; i++)
    {
      g_autoptr (TillStripeForm) form = till_stripe_terminal_process_form (intent_id);
      g_autoptr (TillStripeForm) card = till_stripe_form_new ();
      g_autoptr (TillStripeResponse) process =
          call (f, TILL_STRIPE_READER_PROCESS_PAYMENT_INTENT, reader_id, form, NULL);
      g_autoptr (TillStripeResponse) presented = NULL;

      g_assert_cmpuint (process->status, ==, 200);
      till_stripe_form_add (card, "card_present[number]",
                            i == 0 ? "4000000000009995" : "4242424242424242");
      presented = call (f, TILL_STRIPE_READER_PRESENT_PAYMENT_METHOD, reader_id, card, NULL);
      g_assert_cmpuint (presented->status, ==, 200);
    }
  g_assert_true (till_test_wait_until (has_events, events, TILL_TEST_DEADLINE_MS));

  for (guint i = 0; i < events->len; i++)
    {
      JsonObject *event = g_ptr_array_index (events, i);
      JsonObject *object =
          json_object_get_object_member (json_object_get_object_member (event, "data"), "object");
      g_autoptr (TillStripeReader) reader = till_stripe_reader_parse (object, &error);
      gboolean failed = g_str_equal (json_object_get_string_member (event, "type"),
                                     "terminal.reader.action_failed");

      g_assert_no_error (error);
      g_assert_cmpstr (reader->id, ==, reader_id);
      g_assert_cmpstr (reader->action_payment_intent, ==, intent_id);
      g_assert_cmpint (reader->action_status, ==,
                       failed ? TILL_STRIPE_READER_ACTION_FAILED
                              : TILL_STRIPE_READER_ACTION_SUCCEEDED);
      if (failed)
        g_assert_cmpstr (reader->failure_code, ==, "card_declined");
    }
}

/* What is not a reader, or a reader we cannot read, is refused; an intent without a
 * card-present charge has no details. */
static void
test_parse (void)
{
  const char *bad[] = {
    "{\"object\": \"payment_intent\", \"id\": \"pi_1\"}",
    "{\"object\": \"terminal.reader\", \"device_type\": \"simulated_wisepos_e\"}",
    "{\"object\": \"terminal.reader\", \"id\": \"tmr_1\", \"device_type\": \"x\", "
    "\"action\": {\"type\": \"process_payment_intent\", \"status\": \"thinking\"}}",
    "{\"object\": \"terminal.reader\", \"id\": \"tmr_1\", \"device_type\": \"x\", "
    "\"action\": {\"type\": \"process_payment_intent\", \"status\": \"in_progress\", "
    "\"process_payment_intent\": {}}}",
  };

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (JsonObject) object = till_json_parse_object (bad[i], -1, &error);
      g_autoptr (TillStripeReader) reader = NULL;

      g_assert_no_error (error);
      reader = till_stripe_reader_parse (object, &error);
      g_assert_null (reader);
      g_assert_nonnull (error);
    }
  {
    g_autoptr (GError) error = NULL;
    g_autoptr (JsonObject) object = till_json_parse_object (
        "{\"object\": \"payment_intent\", \"id\": \"pi_1\", \"charges\": {\"data\": []}}", -1,
        &error);
    g_autoptr (TillCardPresent) details = till_card_present_parse (object, &error);

    g_assert_null (details);
    g_assert_error (error, TILL_JSON_ERROR, TILL_JSON_ERROR_MISSING);
  }
  {
    g_autoptr (GError) error = NULL;
    g_autoptr (JsonObject) object = till_json_parse_object (
        "{\"object\": \"charge\", \"payment_method_details\": {\"type\": \"card\", \"card\": {}}}",
        -1, &error);
    g_autoptr (TillCardPresent) details = till_card_present_parse (object, &error);

    g_assert_null (details);
    g_assert_error (error, TILL_JSON_ERROR, TILL_JSON_ERROR_MISSING);
  }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  till_test_capture_logs ("test-server-stripe-terminal");

  g_test_add_func ("/server/stripe-terminal/parse", test_parse);
  g_test_add ("/server/stripe-terminal/sale", Fixture, NULL, fixture_set_up, test_sale,
              fixture_tear_down);
  g_test_add ("/server/stripe-terminal/cancel", Fixture, NULL, fixture_set_up, test_cancel,
              fixture_tear_down);
  g_test_add ("/server/stripe-terminal/webhook", Fixture, NULL, fixture_set_up, test_webhook,
              fixture_tear_down);

  return g_test_run ();
}
