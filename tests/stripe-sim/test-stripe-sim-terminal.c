/* test-stripe-sim-terminal.c: the simulator's Stripe Terminal (server-driven smart readers)
 * over real HTTP on loopback.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include "sim-test-util.h"
#include "till-stripe-sim-private.h"

#define WEBHOOK_SECRET "whsec_test_terminal_0123456789"
#define PRESENT "/v1/test_helpers/terminal/readers/%s/present_payment_method"

typedef struct
{
  TillStripeSim *sim;
  SoupSession   *session;
  const char    *base;
} Fixture;

static void
fixture_set_up (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;

  f->sim = till_stripe_sim_new (NULL, &error);
  g_assert_no_error (error);
  till_stripe_sim_set_faults_enabled (f->sim, GPOINTER_TO_INT (data));
  till_stripe_sim_listen (f->sim, "127.0.0.1", 0, &error);
  g_assert_no_error (error);
  f->base = till_stripe_sim_get_base_uri (f->sim);
  f->session = soup_session_new ();
}

static void
fixture_tear_down (Fixture *f, gconstpointer data)
{
  g_clear_object (&f->session);
  g_clear_object (&f->sim);
}

static SimResponse *
api_with (Fixture    *f,
          const char *method,
          const char *path,
          const char *form,
          const char *header,
          const char *value)
{
  g_autofree char *uri = g_strconcat (f->base, path + 1, NULL);

  return sim_request (f->session, method, uri, SIM_TEST_KEY, form, header, value, NULL);
}

static SimResponse *
api (Fixture *f, const char *method, const char *path, const char *form)
{
  return api_with (f, method, path, form, NULL, NULL);
}

static SimResponse *G_GNUC_PRINTF (4, 5)
    apif (Fixture *f, const char *method, const char *form, const char *path_format, ...)
{
  g_autofree char *path = NULL;
  va_list          args;

  va_start (args, path_format);
  path = g_strdup_vprintf (path_format, args);
  va_end (args);
  return api (f, method, path, form);
}

static void
assert_status (SimResponse *r, guint status)
{
  g_assert_no_error (r->error);
  if (r->status != status)
    g_printerr ("unexpected answer %u: %.*s\n", r->status, (int) g_bytes_get_size (r->body),
                (const char *) g_bytes_get_data (r->body, NULL));
  g_assert_cmpuint (r->status, ==, status);
  g_assert_nonnull (r->json);
}

static void
assert_error (SimResponse *r, guint status, const char *code, const char *param)
{
  assert_status (r, status);
  g_assert_cmpstr (sim_json_string (r->json, "error.type"), ==, "invalid_request_error");
  g_assert_nonnull (sim_json_string (r->json, "error.message"));
  g_assert_cmpstr (sim_json_string (r->json, "error.code"), ==, code);
  g_assert_cmpstr (sim_json_string (r->json, "error.param"), ==, param);
}

static char *
create_location (Fixture *f)
{
  g_autoptr (SimResponse) r = api (f, "POST", "/v1/terminal/locations",
                                   "display_name=Counter&address[line1]=Atat%C3%BCrk+Blv+1&"
                                   "address[city]=Ankara&address[postal_code]=06100&"
                                   "address[country]=TR");

  assert_status (r, 200);
  return g_strdup (sim_json_string (r->json, "id"));
}

static char *
register_reader (Fixture *f, const char *form)
{
  g_autoptr (SimResponse) r = api (f, "POST", "/v1/terminal/readers", form);

  assert_status (r, 200);
  g_assert_true (sim_json_is_null (r->json, "action"));
  g_assert_cmpstr (sim_json_string (r->json, "status"), ==, "online");
  return g_strdup (sim_json_string (r->json, "id"));
}

static char *
create_intent (Fixture *f, const char *extra)
{
  g_autofree char *form =
      g_strconcat ("amount=1250&currency=usd&payment_method_types[]=card_present", extra ? "&" : "",
                   extra, NULL);
  g_autoptr (SimResponse) r = api (f, "POST", "/v1/payment_intents", form);

  assert_status (r, 200);
  return g_strdup (sim_json_string (r->json, "id"));
}

static SimResponse *
process (Fixture *f, const char *reader, const char *intent)
{
  g_autofree char *form = g_strdup_printf ("payment_intent=%s", intent);

  return apif (f, "POST", form, "/v1/terminal/readers/%s/process_payment_intent", reader);
}

static void
process_ok (Fixture *f, const char *reader, const char *intent)
{
  g_autoptr (SimResponse) r = process (f, reader, intent);

  assert_status (r, 200);
  g_assert_cmpstr (sim_json_string (r->json, "action.type"), ==, "process_payment_intent");
  g_assert_cmpstr (sim_json_string (r->json, "action.status"), ==, "in_progress");
  g_assert_cmpstr (sim_json_string (r->json, "action.process_payment_intent.payment_intent"), ==,
                   intent);
  g_assert_true (sim_json_is_null (r->json, "action.failure_code"));
}

static SimResponse *
present (Fixture *f, const char *reader, const char *form)
{
  return apif (f, "POST", form, PRESENT, reader);
}

static SimResponse *
get_intent (Fixture *f, const char *intent)
{
  g_autoptr (SimResponse) r = apif (f, "GET", NULL, "/v1/payment_intents/%s", intent);

  assert_status (r, 200);
  return g_steal_pointer (&r);
}

static guint
list_length (SimResponse *r)
{
  return json_array_get_length (json_node_get_array (sim_json_path (r->json, "data")));
}

/* --- locations ---------------------------------------------------------------------- */

static void
test_locations (Fixture *f, gconstpointer data)
{
  g_autofree char *first = create_location (f);
  g_autofree char *second = create_location (f);

  g_assert_true (g_str_has_prefix (first, "tml_"));
  {
    g_autoptr (SimResponse) r = apif (f, "GET", NULL, "/v1/terminal/locations/%s", first);

    assert_status (r, 200);
    g_assert_cmpstr (sim_json_string (r->json, "object"), ==, "terminal.location");
    g_assert_cmpstr (sim_json_string (r->json, "display_name"), ==, "Counter");
    g_assert_cmpstr (sim_json_string (r->json, "address.country"), ==, "TR");
    g_assert_cmpstr (sim_json_string (r->json, "address.line1"), ==, "Atatürk Blv 1");
    g_assert_true (sim_json_is_null (r->json, "address.state"));
    g_assert_false (sim_json_bool (r->json, "livemode"));
  }
  {
    g_autoptr (SimResponse) r = api (f, "GET", "/v1/terminal/locations?limit=1", NULL);

    assert_status (r, 200);
    g_assert_cmpuint (list_length (r), ==, 1);
    g_assert_cmpstr (sim_json_string (r->json, "data.0.id"), ==, second);
    g_assert_true (sim_json_bool (r->json, "has_more"));
    g_assert_cmpstr (sim_json_string (r->json, "url"), ==, "/v1/terminal/locations");
  }

  /* Stripe's validation. */
  {
    g_autoptr (SimResponse) r = api (f, "POST", "/v1/terminal/locations", "address[country]=TR");

    assert_error (r, 400, "parameter_missing", "display_name");
  }
  {
    g_autoptr (SimResponse) r = api (f, "POST", "/v1/terminal/locations", "display_name=A");

    assert_error (r, 400, "parameter_missing", "address");
  }
  {
    g_autoptr (SimResponse) r =
        api (f, "POST", "/v1/terminal/locations", "display_name=A&address[city]=Ankara");

    assert_error (r, 400, "parameter_missing", "address[country]");
  }
  {
    g_autoptr (SimResponse) r =
        api (f, "POST", "/v1/terminal/locations", "display_name=A&address[country]=Turkey");

    assert_error (r, 400, "parameter_invalid", "address[country]");
  }
  {
    g_autoptr (SimResponse) r =
        api (f, "POST", "/v1/terminal/locations", "display_name=A&address[country]=TR&color=red");

    assert_error (r, 400, "parameter_unknown", "color");
  }
  {
    g_autoptr (SimResponse) r = api (f, "GET", "/v1/terminal/locations/tml_missing", NULL);

    assert_error (r, 404, "resource_missing", "location");
  }
}

/* --- readers ------------------------------------------------------------------------ */

static void
test_readers (Fixture *f, gconstpointer data)
{
  g_autofree char *location = create_location (f);
  g_autofree char *form = g_strdup_printf (
      "registration_code=simulated-wpe&label=Front+counter&location=%s&metadata[till]=1", location);
  g_autofree char *wpe = register_reader (f, form);
  g_autofree char *s700 = register_reader (f, "registration_code=simulated-s700");

  g_assert_true (g_str_has_prefix (wpe, "tmr_"));
  {
    g_autoptr (SimResponse) r = apif (f, "GET", NULL, "/v1/terminal/readers/%s", wpe);

    assert_status (r, 200);
    g_assert_cmpstr (sim_json_string (r->json, "object"), ==, "terminal.reader");
    g_assert_cmpstr (sim_json_string (r->json, "device_type"), ==, "simulated_wisepos_e");
    g_assert_cmpstr (sim_json_string (r->json, "label"), ==, "Front counter");
    g_assert_cmpstr (sim_json_string (r->json, "location"), ==, location);
    g_assert_cmpstr (sim_json_string (r->json, "metadata.till"), ==, "1");
    g_assert_true (g_str_has_prefix (sim_json_string (r->json, "serial_number"), "simulated-wpe-"));
  }
  {
    g_autoptr (SimResponse) r = apif (f, "GET", NULL, "/v1/terminal/readers/%s", s700);

    g_assert_cmpstr (sim_json_string (r->json, "device_type"), ==, "simulated_stripe_s700");
    /* No label given: the serial number. */
    g_assert_cmpstr (sim_json_string (r->json, "label"), ==,
                     sim_json_string (r->json, "serial_number"));
    g_assert_true (sim_json_is_null (r->json, "location"));
  }

  /* Lists and their filters. */
  {
    g_autoptr (SimResponse) all = api (f, "GET", "/v1/terminal/readers", NULL);
    g_autoptr (SimResponse) wpes =
        api (f, "GET", "/v1/terminal/readers?device_type=simulated_wisepos_e", NULL);
    g_autofree char *path = g_strdup_printf ("/v1/terminal/readers?location=%s", location);
    g_autoptr (SimResponse) here = api (f, "GET", path, NULL);
    g_autoptr (SimResponse) offline = api (f, "GET", "/v1/terminal/readers?status=offline", NULL);
    g_autoptr (SimResponse) bad = api (f, "GET", "/v1/terminal/readers?status=asleep", NULL);

    assert_status (all, 200);
    g_assert_cmpuint (list_length (all), ==, 2);
    g_assert_cmpstr (sim_json_string (all->json, "data.0.id"), ==, s700);
    g_assert_cmpuint (list_length (wpes), ==, 1);
    g_assert_cmpstr (sim_json_string (wpes->json, "data.0.id"), ==, wpe);
    g_assert_cmpuint (list_length (here), ==, 1);
    g_assert_cmpuint (list_length (offline), ==, 0);
    assert_error (bad, 400, NULL, "status");
  }

  /* The label changes; an empty one goes back to the serial number. */
  {
    g_autoptr (SimResponse) r = apif (f, "POST", "label=Till+2", "/v1/terminal/readers/%s", wpe);

    assert_status (r, 200);
    g_assert_cmpstr (sim_json_string (r->json, "label"), ==, "Till 2");
  }
  {
    g_autoptr (SimResponse) r = apif (f, "POST", "label=", "/v1/terminal/readers/%s", wpe);

    assert_status (r, 200);
    g_assert_cmpstr (sim_json_string (r->json, "label"), ==,
                     sim_json_string (r->json, "serial_number"));
  }

  /* Registration errors. */
  {
    g_autoptr (SimResponse) r = api (f, "POST", "/v1/terminal/readers", "label=x");

    assert_error (r, 400, "parameter_missing", "registration_code");
  }
  {
    g_autoptr (SimResponse) r =
        api (f, "POST", "/v1/terminal/readers", "registration_code=purple-cat-hat");

    assert_error (r, 400, NULL, "registration_code");
  }
  {
    g_autoptr (SimResponse) r = api (f, "POST", "/v1/terminal/readers",
                                     "registration_code=simulated-wpe&location=tml_nowhere");

    assert_error (r, 400, "resource_missing", "location");
  }
  {
    g_autoptr (SimResponse) r = apif (f, "POST", "serial_number=1", "/v1/terminal/readers/%s", wpe);

    assert_error (r, 400, "parameter_unknown", "serial_number");
  }

  /* Deleted: answered as Stripe does, then gone. */
  {
    g_autoptr (SimResponse) r = apif (f, "DELETE", NULL, "/v1/terminal/readers/%s", s700);

    assert_status (r, 200);
    g_assert_cmpstr (sim_json_string (r->json, "id"), ==, s700);
    g_assert_cmpstr (sim_json_string (r->json, "object"), ==, "terminal.reader");
    g_assert_true (sim_json_bool (r->json, "deleted"));
  }
  {
    g_autoptr (SimResponse) r = apif (f, "GET", NULL, "/v1/terminal/readers/%s", s700);
    g_autoptr (SimResponse) again = apif (f, "DELETE", NULL, "/v1/terminal/readers/%s", s700);
    g_autoptr (SimResponse) unknown =
        apif (f, "DELETE", NULL, "/v1/terminal/readers/%s?color=red", wpe);

    assert_error (r, 404, "resource_missing", "reader");
    assert_error (again, 404, "resource_missing", "reader");
    assert_error (unknown, 400, "parameter_unknown", "color");
  }
}

/* --- payments ----------------------------------------------------------------------- */

static void
test_payment (Fixture *f, gconstpointer data)
{
  g_autofree char *reader = register_reader (f, "registration_code=simulated-wpe");
  g_autofree char *intent = create_intent (f, NULL);

  process_ok (f, reader, intent);
  /* Asynchronous: nothing happens until a card is presented. */
  {
    g_autoptr (SimResponse) pi = get_intent (f, intent);
    g_autoptr (SimResponse) r = apif (f, "GET", NULL, "/v1/terminal/readers/%s", reader);

    g_assert_cmpstr (sim_json_string (pi->json, "status"), ==, "requires_payment_method");
    g_assert_cmpstr (sim_json_string (r->json, "action.status"), ==, "in_progress");
  }
  {
    g_autoptr (SimResponse) r = present (f, reader, "card_present[number]=4242424242424242");

    assert_status (r, 200);
    g_assert_cmpstr (sim_json_string (r->json, "action.status"), ==, "succeeded");
    g_assert_true (sim_json_is_null (r->json, "action.failure_code"));
  }
  {
    g_autoptr (SimResponse) pi = get_intent (f, intent);
    JsonNode *cp;

    g_assert_cmpstr (sim_json_string (pi->json, "status"), ==, "succeeded");
    g_assert_cmpint (sim_json_int (pi->json, "amount_received"), ==, 1250);
    g_assert_cmpstr (sim_json_string (pi->json, "charges.data.0.payment_method_details.type"), ==,
                     "card_present");
    cp = sim_json_path (pi->json, "charges.data.0.payment_method_details.card_present");
    g_assert_nonnull (cp);
    g_assert_cmpstr (sim_json_string (cp, "brand"), ==, "visa");
    g_assert_cmpstr (sim_json_string (cp, "last4"), ==, "4242");
    g_assert_cmpstr (sim_json_string (cp, "read_method"), ==, "contactless_emv");
    g_assert_cmpint (sim_json_int (cp, "amount_authorized"), ==, 1250);
    g_assert_cmpstr (sim_json_string (cp, "receipt.application_preferred_name"), ==, "Visa Credit");
    g_assert_cmpstr (sim_json_string (cp, "receipt.dedicated_file_name"), ==, "A0000000031010");
    g_assert_cmpstr (sim_json_string (cp, "receipt.account_type"), ==, "credit");
    g_assert_cmpstr (sim_json_string (cp, "receipt.authorization_response_code"), ==, "3030");
    g_assert_nonnull (sim_json_string (cp, "receipt.authorization_code"));
    g_assert_cmpstr (sim_json_string (cp, "receipt.transaction_status_information"), ==, "0000");
    g_assert_nonnull (sim_json_string (cp, "receipt.terminal_verification_results"));
  }
  /* Its PaymentMethod is a card_present one. */
  {
    g_autoptr (SimResponse) pi =
        apif (f, "GET", NULL, "/v1/payment_intents/%s?expand[]=payment_method", intent);

    g_assert_cmpstr (sim_json_string (pi->json, "payment_method.type"), ==, "card_present");
    g_assert_cmpstr (sim_json_string (pi->json, "payment_method.card_present.last4"), ==, "4242");
  }
  /* The action is over: nothing left to present to or cancel. */
  {
    g_autoptr (SimResponse) again = present (f, reader, NULL);
    g_autoptr (SimResponse) cancel =
        apif (f, "POST", NULL, "/v1/terminal/readers/%s/cancel_action", reader);

    assert_error (again, 400, NULL, NULL);
    assert_error (cancel, 400, NULL, NULL);
  }
  /* A card-present payment is refunded like any other. */
  {
    g_autofree char *form = g_strdup_printf ("payment_intent=%s&amount=500", intent);
    g_autoptr (SimResponse) r = api (f, "POST", "/v1/refunds", form);
    g_autoptr (SimResponse) pi = get_intent (f, intent);

    assert_status (r, 200);
    g_assert_cmpstr (sim_json_string (r->json, "status"), ==, "succeeded");
    g_assert_cmpint (sim_json_int (pi->json, "charges.data.0.amount_refunded"), ==, 500);
  }
  /* A paid intent is not processed again. */
  {
    g_autoptr (SimResponse) r = process (f, reader, intent);

    assert_error (r, 400, "intent_invalid_state", "payment_intent");
  }
}

/* A decline leaves the intent in requires_payment_method: the same intent is processed again,
 * and a tip given on the reader is added to what is charged. */
static void
test_decline_then_success (Fixture *f, gconstpointer data)
{
  g_autofree char *reader = register_reader (f, "registration_code=simulated-s700");
  g_autofree char *intent = create_intent (f, NULL);

  process_ok (f, reader, intent);
  {
    g_autoptr (SimResponse) r = present (f, reader, "card_present[number]=4000000000009995");

    assert_status (r, 200);
    g_assert_cmpstr (sim_json_string (r->json, "action.status"), ==, "failed");
    g_assert_cmpstr (sim_json_string (r->json, "action.failure_code"), ==, "card_declined");
    g_assert_cmpstr (sim_json_string (r->json, "action.failure_message"), ==,
                     "Your card has insufficient funds.");
  }
  {
    g_autoptr (SimResponse) pi = get_intent (f, intent);

    g_assert_cmpstr (sim_json_string (pi->json, "status"), ==, "requires_payment_method");
    g_assert_cmpstr (sim_json_string (pi->json, "last_payment_error.decline_code"), ==,
                     "insufficient_funds");
    g_assert_cmpstr (sim_json_string (pi->json, "charges.data.0.status"), ==, "failed");
    g_assert_cmpstr (sim_json_string (pi->json,
                                      "charges.data.0.payment_method_details.card_present.receipt."
                                      "authorization_response_code"),
                     ==, "3035");
  }

  process_ok (f, reader, intent);
  {
    g_autoptr (SimResponse) r = present (f, reader, "type=card_present&amount_tip=150");

    assert_status (r, 200);
    g_assert_cmpstr (sim_json_string (r->json, "action.status"), ==, "succeeded");
  }
  {
    g_autoptr (SimResponse) pi = get_intent (f, intent);

    g_assert_cmpstr (sim_json_string (pi->json, "status"), ==, "succeeded");
    g_assert_cmpint (sim_json_int (pi->json, "amount"), ==, 1400);
    g_assert_cmpint (sim_json_int (pi->json, "amount_received"), ==, 1400);
    g_assert_cmpint (sim_json_int (pi->json, "amount_details.tip.amount"), ==, 150);
    g_assert_cmpstr (sim_json_string (pi->json, "charges.data.0.status"), ==, "succeeded");
    g_assert_true (sim_json_is_null (pi->json, "last_payment_error"));
  }
}

static void
test_manual_capture (Fixture *f, gconstpointer data)
{
  g_autofree char *reader = register_reader (f, "registration_code=simulated-wpe");
  g_autofree char *intent = create_intent (f, "capture_method=manual");

  process_ok (f, reader, intent);
  {
    g_autoptr (SimResponse) r = present (f, reader, "card_present[number]=5555555555554444");

    assert_status (r, 200);
    g_assert_cmpstr (sim_json_string (r->json, "action.status"), ==, "succeeded");
  }
  {
    g_autoptr (SimResponse) pi = get_intent (f, intent);
    JsonNode *cp = sim_json_path (pi->json, "charges.data.0.payment_method_details.card_present");

    /* Authorized, not captured: the reconciler's requires_capture. */
    g_assert_cmpstr (sim_json_string (pi->json, "status"), ==, "requires_capture");
    g_assert_cmpint (sim_json_int (pi->json, "amount_capturable"), ==, 1250);
    g_assert_false (sim_json_bool (pi->json, "charges.data.0.captured"));
    g_assert_cmpstr (sim_json_string (cp, "brand"), ==, "mastercard");
    g_assert_cmpstr (sim_json_string (cp, "receipt.dedicated_file_name"), ==, "A0000000041010");
    g_assert_cmpint (sim_json_int (cp, "capture_before"), >,
                     sim_json_int (pi->json, "charges.data.0.created"));
  }
  {
    g_autoptr (SimResponse) r = apif (f, "POST", NULL, "/v1/payment_intents/%s/capture", intent);

    assert_status (r, 200);
    g_assert_cmpstr (sim_json_string (r->json, "status"), ==, "succeeded");
    g_assert_cmpint (sim_json_int (r->json, "amount_received"), ==, 1250);
  }
}

/* An action in progress makes the reader busy; one intent goes to one reader at a time. */
static void
test_busy (Fixture *f, gconstpointer data)
{
  g_autofree char *reader = register_reader (f, "registration_code=simulated-wpe");
  g_autofree char *other = register_reader (f, "registration_code=simulated-wpe");
  g_autofree char *intent = create_intent (f, NULL);
  g_autofree char *second = create_intent (f, NULL);

  process_ok (f, reader, intent);
  {
    g_autoptr (SimResponse) same = process (f, reader, intent);
    g_autoptr (SimResponse) next = process (f, reader, second);
    g_autoptr (SimResponse) display =
        apif (f, "POST",
              "type=cart&cart[currency]=usd&cart[line_items][0][description]=Tea&"
              "cart[line_items][0][amount]=250&cart[line_items][0][quantity]=1&cart[total]=250",
              "/v1/terminal/readers/%s/set_reader_display", reader);
    g_autoptr (SimResponse) elsewhere = process (f, other, intent);

    assert_error (same, 409, "terminal_reader_busy", NULL);
    g_assert_cmpstr (soup_message_headers_get_one (same->headers, "Stripe-Should-Retry"), ==,
                     "false");
    assert_error (next, 409, "terminal_reader_busy", NULL);
    assert_error (display, 409, "terminal_reader_busy", NULL);
    assert_error (elsewhere, 400, "intent_invalid_state", "payment_intent");
  }
  /* Busy is not kept for replays: the same key runs once the reader is free. */
  {
    g_autofree char *form = g_strdup_printf ("payment_intent=%s", second);
    g_autofree char *path =
        g_strdup_printf ("/v1/terminal/readers/%s/process_payment_intent", other);
    g_autoptr (SimResponse) busy = NULL;
    g_autoptr (SimResponse) later = NULL;

    process_ok (f, other, second);
    {
      g_autofree char *uri = g_strconcat (f->base, path + 1, NULL);

      busy = sim_request (f->session, "POST", uri, SIM_TEST_KEY, form, "Idempotency-Key", "busy-1",
                          NULL);
      assert_error (busy, 409, "terminal_reader_busy", NULL);
      {
        g_autoptr (SimResponse) cancel =
            apif (f, "POST", NULL, "/v1/terminal/readers/%s/cancel_action", other);

        assert_status (cancel, 200);
      }
      later = sim_request (f->session, "POST", uri, SIM_TEST_KEY, form, "Idempotency-Key", "busy-1",
                           NULL);
      assert_status (later, 200);
      g_assert_null (soup_message_headers_get_one (later->headers, "Idempotent-Replayed"));
    }
  }
  /* The first action is untouched. */
  {
    g_autoptr (SimResponse) r = apif (f, "GET", NULL, "/v1/terminal/readers/%s", reader);

    g_assert_cmpstr (sim_json_string (r->json, "action.process_payment_intent.payment_intent"), ==,
                     intent);
    g_assert_cmpstr (sim_json_string (r->json, "action.status"), ==, "in_progress");
  }
}

static void
test_cancel (Fixture *f, gconstpointer data)
{
  g_autofree char *reader = register_reader (f, "registration_code=simulated-wpe");
  g_autofree char *intent = create_intent (f, NULL);

  /* Nothing runs: an error. */
  {
    g_autoptr (SimResponse) r =
        apif (f, "POST", NULL, "/v1/terminal/readers/%s/cancel_action", reader);

    assert_error (r, 400, NULL, NULL);
  }
  process_ok (f, reader, intent);
  {
    g_autoptr (SimResponse) r =
        apif (f, "POST", NULL, "/v1/terminal/readers/%s/cancel_action", reader);

    assert_status (r, 200);
    g_assert_cmpstr (sim_json_string (r->json, "action.status"), ==, "failed");
    g_assert_cmpstr (sim_json_string (r->json, "action.failure_code"), ==, "canceled");
  }
  {
    g_autoptr (SimResponse) pi = get_intent (f, intent);
    g_autoptr (SimResponse) late = present (f, reader, NULL);

    g_assert_cmpstr (sim_json_string (pi->json, "status"), ==, "requires_payment_method");
    g_assert_cmpuint (
        json_array_get_length (json_node_get_array (sim_json_path (pi->json, "charges.data"))), ==,
        0);
    assert_error (late, 400, NULL, NULL);
  }
  /* And the intent can go to the reader again. */
  process_ok (f, reader, intent);
}

static void
test_validation (Fixture *f, gconstpointer data)
{
  g_autofree char *reader = register_reader (f, "registration_code=simulated-wpe");
  g_autofree char *card_only = NULL;
  g_autofree char *intent = create_intent (f, NULL);

  {
    g_autoptr (SimResponse) r = api (f, "POST", "/v1/payment_intents", "amount=1250&currency=usd");

    card_only = g_strdup (sim_json_string (r->json, "id"));
  }
  {
    g_autoptr (SimResponse) r = process (f, reader, card_only);

    assert_error (r, 400, "payment_intent_invalid_parameter", "payment_intent");
  }
  {
    g_autoptr (SimResponse) r = process (f, reader, "pi_missing");

    assert_error (r, 400, "resource_missing", "payment_intent");
  }
  {
    g_autoptr (SimResponse) r =
        apif (f, "POST", NULL, "/v1/terminal/readers/%s/process_payment_intent", reader);

    assert_error (r, 400, "parameter_missing", "payment_intent");
  }
  {
    g_autoptr (SimResponse) r = process (f, "tmr_missing", intent);

    assert_error (r, 404, "resource_missing", "reader");
  }
  {
    g_autofree char *form = g_strdup_printf ("payment_intent=%s&process_config[tip]=1", intent);
    g_autoptr (SimResponse) r =
        apif (f, "POST", form, "/v1/terminal/readers/%s/process_payment_intent", reader);

    assert_error (r, 400, "parameter_unknown", "process_config[tip]");
  }
  /* A card_present intent takes no card typed in. */
  {
    g_autoptr (SimResponse) r =
        apif (f, "POST", "payment_method=pm_card_visa", "/v1/payment_intents/%s/confirm", intent);

    assert_error (r, 400, "payment_intent_incompatible_payment_method", "payment_method");
  }
  {
    g_autoptr (SimResponse) r = api (f, "POST", "/v1/payment_intents",
                                     "amount=1250&currency=usd&payment_method_types[]=cash");

    assert_error (r, 400, "payment_intent_invalid_parameter", "payment_method_types[0]");
  }

  process_ok (f, reader, intent);
  {
    g_autoptr (SimResponse) r = present (f, reader, "card_present[number]=4111111111111112");

    assert_error (r, 400, "parameter_invalid", "card_present[number]");
  }
  {
    g_autoptr (SimResponse) r = present (f, reader, "type=interac_present");

    assert_error (r, 400, "parameter_invalid", "type");
  }
  {
    g_autoptr (SimResponse) r = present (f, reader, "type=cheque");

    assert_error (r, 400, NULL, "type");
  }
  {
    g_autoptr (SimResponse) r = present (f, reader, "amount_tip=-5");

    assert_error (r, 400, "parameter_invalid_integer", "amount_tip");
  }
  {
    g_autoptr (SimResponse) r = present (f, reader, "amount_tip=lots");

    assert_error (r, 400, "parameter_invalid_integer", "amount_tip");
  }
  /* None of it touched the action. */
  {
    g_autoptr (SimResponse) r = apif (f, "GET", NULL, "/v1/terminal/readers/%s", reader);

    g_assert_cmpstr (sim_json_string (r->json, "action.status"), ==, "in_progress");
  }
}

static void
test_display (Fixture *f, gconstpointer data)
{
  g_autofree char *reader = register_reader (f, "registration_code=simulated-wpe");
  const char      *path_format = "/v1/terminal/readers/%s/set_reader_display";

  {
    g_autoptr (SimResponse) r =
        apif (f, "POST",
              "type=cart&cart[currency]=try&cart[line_items][0][description]=%C3%87ay&"
              "cart[line_items][0][amount]=1500&cart[line_items][0][quantity]=2&"
              "cart[line_items][1][description]=Simit&cart[line_items][1][amount]=1000&"
              "cart[line_items][1][quantity]=1&cart[tax]=400&cart[total]=4000",
              path_format, reader);
    JsonNode *cart;

    assert_status (r, 200);
    g_assert_cmpstr (sim_json_string (r->json, "action.type"), ==, "set_reader_display");
    g_assert_cmpstr (sim_json_string (r->json, "action.status"), ==, "succeeded");
    g_assert_cmpstr (sim_json_string (r->json, "action.set_reader_display.type"), ==, "cart");
    cart = sim_json_path (r->json, "action.set_reader_display.cart");
    g_assert_cmpstr (sim_json_string (cart, "currency"), ==, "try");
    g_assert_cmpint (sim_json_int (cart, "total"), ==, 4000);
    g_assert_cmpint (sim_json_int (cart, "tax"), ==, 400);
    g_assert_cmpstr (sim_json_string (cart, "line_items.0.description"), ==, "Çay");
    g_assert_cmpint (sim_json_int (cart, "line_items.0.amount"), ==, 1500);
    g_assert_cmpint (sim_json_int (cart, "line_items.0.quantity"), ==, 2);
    g_assert_cmpint (sim_json_int (cart, "line_items.1.amount"), ==, 1000);
  }
  /* Shown at once: the cart changes as the cashier scans, and a payment may follow. */
  {
    g_autoptr (SimResponse) r =
        apif (f, "POST",
              "type=cart&cart[currency]=try&cart[line_items][0][description]=Tea&"
              "cart[line_items][0][amount]=1500&cart[line_items][0][quantity]=1&cart[total]=1500",
              path_format, reader);

    assert_status (r, 200);
    g_assert_true (sim_json_is_null (r->json, "action.set_reader_display.cart.tax"));
  }
  {
    g_autoptr (SimResponse) missing = apif (f, "POST", "type=cart", path_format, reader);
    g_autoptr (SimResponse) no_type = apif (f, "POST", NULL, path_format, reader);
    g_autoptr (SimResponse) wrong_type = apif (f, "POST", "type=video", path_format, reader);
    g_autoptr (SimResponse) no_total =
        apif (f, "POST",
              "type=cart&cart[currency]=try&cart[line_items][0][description]=Tea&"
              "cart[line_items][0][amount]=1500&cart[line_items][0][quantity]=1",
              path_format, reader);
    g_autoptr (SimResponse) no_quantity =
        apif (f, "POST",
              "type=cart&cart[currency]=try&cart[line_items][0][description]=Tea&"
              "cart[line_items][0][amount]=1500&cart[total]=1500",
              path_format, reader);
    g_autoptr (SimResponse) currency =
        apif (f, "POST",
              "type=cart&cart[currency]=xyz&cart[line_items][0][description]=Tea&"
              "cart[line_items][0][amount]=1500&cart[line_items][0][quantity]=1&cart[total]=1500",
              path_format, reader);
    g_autoptr (SimResponse) negative =
        apif (f, "POST",
              "type=cart&cart[currency]=try&cart[line_items][0][description]=Tea&"
              "cart[line_items][0][amount]=1500&cart[line_items][0][quantity]=0&cart[total]=1500",
              path_format, reader);

    assert_error (missing, 400, "parameter_missing", "cart");
    assert_error (no_type, 400, "parameter_missing", "type");
    assert_error (wrong_type, 400, NULL, "type");
    assert_error (no_total, 400, "parameter_missing", "cart[total]");
    assert_error (no_quantity, 400, "parameter_missing", "cart[line_items][0][quantity]");
    assert_error (currency, 400, NULL, "cart[currency]");
    assert_error (negative, 400, "parameter_invalid_integer", "cart[line_items][0]");
  }
  /* A cart is bounded: the simulator keeps it. */
  {
    g_autoptr (GString) form = g_string_new ("type=cart&cart[currency]=try&cart[total]=1");
    g_autoptr (SimResponse) r = NULL;

    for (guint i = 0; i < 101; i++)
      g_string_append_printf (form,
                              "&cart[line_items][%u][description]=x&cart[line_items][%u][amount]=1"
                              "&cart[line_items][%u][quantity]=1",
                              i, i, i);
    r = apif (f, "POST", form->str, path_format, reader);
    assert_error (r, 400, "parameter_invalid", "cart[line_items]");
  }
}

/* --- webhooks ----------------------------------------------------------------------- */

static JsonNode *
parse_body (GBytes *body)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GError) error = NULL;

  json_parser_load_from_data (parser, g_bytes_get_data (body, NULL), g_bytes_get_size (body),
                              &error);
  g_assert_no_error (error);
  return json_node_copy (json_parser_get_root (parser));
}

static gboolean
sim_idle (gpointer data)
{
  return till_stripe_sim_get_pending_webhooks (data) == 0;
}

/* The deliveries of @type, verified against the endpoint's secret. */
static GPtrArray *
deliveries_of (SimReceiver *receiver, const char *type)
{
  GPtrArray *found = g_ptr_array_new_with_free_func ((GDestroyNotify) json_node_unref);

  for (guint i = 0; i < receiver->bodies->len; i++)
    {
      GBytes     *body = g_ptr_array_index (receiver->bodies, i);
      const char *header = g_ptr_array_index (receiver->signatures, i);
      g_autoptr (JsonNode) event = parse_body (body);
      g_auto (GStrv) items = g_strsplit (header, ",", -1);
      g_autoptr (GString) payload = g_string_new (NULL);
      g_autofree char *expected = NULL;
      gboolean         signed_ok = FALSE;

      g_string_append_printf (payload, "%s.", items[0] + 2);
      g_string_append_len (payload, g_bytes_get_data (body, NULL), g_bytes_get_size (body));
      expected = g_compute_hmac_for_data (G_CHECKSUM_SHA256, (const guchar *) WEBHOOK_SECRET,
                                          strlen (WEBHOOK_SECRET), (const guchar *) payload->str,
                                          payload->len);
      g_assert_true (g_str_has_prefix (items[0], "t="));
      for (guint j = 1; items[j] != NULL; j++)
        signed_ok |= g_str_has_prefix (items[j], "v1=") && g_str_equal (items[j] + 3, expected);
      g_assert_true (signed_ok);
      if (g_str_equal (sim_json_string (event, "type"), type))
        g_ptr_array_add (found, g_steal_pointer (&event));
    }
  return found;
}

static void
test_webhooks (Fixture *f, gconstpointer data)
{
  g_autoptr (SimReceiver) receiver = sim_receiver_new ();
  g_autoptr (GError) error = NULL;
  g_autofree char *reader = register_reader (f, "registration_code=simulated-wpe");
  g_autofree char *intent = create_intent (f, NULL);
  g_autoptr (GPtrArray) failed = NULL;
  g_autoptr (GPtrArray) succeeded = NULL;

  g_assert_true (till_stripe_sim_set_webhook (f->sim, receiver->url, WEBHOOK_SECRET, &error));
  g_assert_no_error (error);

  process_ok (f, reader, intent);
  {
    g_autoptr (SimResponse) r = present (f, reader, "card_present[number]=4000000000000002");

    assert_status (r, 200);
  }
  process_ok (f, reader, intent);
  {
    g_autoptr (SimResponse) r = present (f, reader, NULL);

    assert_status (r, 200);
  }
  g_assert_true (till_test_wait_until (sim_idle, f->sim, SIM_TEST_DEADLINE_MS));

  failed = deliveries_of (receiver, "terminal.reader.action_failed");
  succeeded = deliveries_of (receiver, "terminal.reader.action_succeeded");
  g_assert_cmpuint (failed->len, ==, 1);
  g_assert_cmpuint (succeeded->len, ==, 1);
  {
    JsonNode *event = g_ptr_array_index (failed, 0);

    g_assert_cmpstr (sim_json_string (event, "data.object.id"), ==, reader);
    g_assert_cmpstr (sim_json_string (event, "data.object.object"), ==, "terminal.reader");
    g_assert_cmpstr (sim_json_string (event, "data.object.action.type"), ==,
                     "process_payment_intent");
    g_assert_cmpstr (sim_json_string (event, "data.object.action.status"), ==, "failed");
    g_assert_cmpstr (sim_json_string (event, "data.object.action.failure_code"), ==,
                     "card_declined");
    g_assert_cmpstr (
        sim_json_string (event, "data.object.action.process_payment_intent.payment_intent"), ==,
        intent);
  }
  {
    JsonNode *event = g_ptr_array_index (succeeded, 0);

    g_assert_cmpstr (sim_json_string (event, "data.object.action.status"), ==, "succeeded");
    g_assert_cmpstr (
        sim_json_string (event, "data.object.action.process_payment_intent.payment_intent"), ==,
        intent);
  }
  /* The intent's own events too, with the card_present charge. */
  {
    g_autoptr (GPtrArray) paid = deliveries_of (receiver, "payment_intent.succeeded");
    g_autoptr (GPtrArray) declined = deliveries_of (receiver, "payment_intent.payment_failed");

    g_assert_cmpuint (paid->len, ==, 1);
    g_assert_cmpuint (declined->len, ==, 1);
    g_assert_cmpstr (sim_json_string (g_ptr_array_index (paid, 0), "data.object.id"), ==, intent);
  }
  /* And /v1/events lists them. */
  {
    g_autoptr (SimResponse) r =
        api (f, "GET", "/v1/events?type=terminal.reader.action_succeeded", NULL);

    assert_status (r, 200);
    g_assert_cmpuint (list_length (r), ==, 1);
  }
}

/* --- readers that fail -------------------------------------------------------------- */

static SimResponse *
set_status (Fixture *f, const char *reader, const char *status)
{
  g_autofree char *path = g_strdup_printf ("/_sim/readers/%s", reader);
  g_autofree char *form = g_strdup_printf ("status=%s", status);

  return api (f, "POST", path, form);
}

static void
test_offline (Fixture *f, gconstpointer data)
{
  g_autofree char *reader = register_reader (f, "registration_code=simulated-wpe");
  g_autofree char *intent = create_intent (f, NULL);

  {
    g_autoptr (SimResponse) r = set_status (f, reader, "offline");

    assert_status (r, 200);
    g_assert_cmpstr (sim_json_string (r->json, "status"), ==, "offline");
  }
  {
    g_autoptr (SimResponse) r = process (f, reader, intent);
    g_autoptr (SimResponse) display =
        apif (f, "POST",
              "type=cart&cart[currency]=usd&cart[line_items][0][description]=Tea&"
              "cart[line_items][0][amount]=250&cart[line_items][0][quantity]=1&cart[total]=250",
              "/v1/terminal/readers/%s/set_reader_display", reader);
    g_autoptr (SimResponse) listed = api (f, "GET", "/v1/terminal/readers?status=offline", NULL);
    g_autoptr (SimResponse) got = apif (f, "GET", NULL, "/v1/terminal/readers/%s", reader);

    assert_error (r, 400, "terminal_reader_offline", NULL);
    assert_error (display, 400, "terminal_reader_offline", NULL);
    g_assert_cmpuint (list_length (listed), ==, 1);
    g_assert_cmpstr (sim_json_string (got->json, "status"), ==, "offline");
    g_assert_true (sim_json_is_null (got->json, "action"));
  }
  {
    g_autoptr (SimResponse) back = set_status (f, reader, "online");
    g_autoptr (SimResponse) bad = set_status (f, reader, "sleeping");
    g_autoptr (SimResponse) missing = set_status (f, "tmr_missing", "offline");

    assert_status (back, 200);
    assert_status (bad, 400);
    assert_status (missing, 404);
  }
  process_ok (f, reader, intent);
}

static void
test_offline_needs_faults (Fixture *f, gconstpointer data)
{
  g_autofree char *reader = register_reader (f, "registration_code=simulated-wpe");
  g_autoptr (SimResponse) r = set_status (f, reader, "offline");

  assert_status (r, 404);
}

typedef struct
{
  Fixture    *f;
  const char *reader;
} ReaderWait;

static gboolean
action_over (gpointer data)
{
  ReaderWait *wait = data;
  g_autoptr (SimResponse) r = apif (wait->f, "GET", NULL, "/v1/terminal/readers/%s", wait->reader);

  return g_strcmp0 (sim_json_string (r->json, "action.status"), "in_progress") != 0;
}

/* The reader never answers: the action fails with terminal_reader_timeout, by webhook. */
static void
test_timeout (Fixture *f, gconstpointer data)
{
  g_autoptr (SimReceiver) receiver = sim_receiver_new ();
  g_autofree char *reader = register_reader (f, "registration_code=simulated-wpe");
  g_autofree char *intent = create_intent (f, NULL);
  g_autofree char *form = g_strdup_printf ("payment_intent=%s", intent);
  g_autofree char *path =
      g_strdup_printf ("/v1/terminal/readers/%s/process_payment_intent", reader);
  ReaderWait wait = { f, reader };

  g_assert_true (till_stripe_sim_set_webhook (f->sim, receiver->url, WEBHOOK_SECRET, NULL));
  {
    g_autoptr (SimResponse) r =
        api_with (f, "POST", path, form, "Till-Sim-Fault", "reader-timeout=50");

    assert_status (r, 200);
    g_assert_cmpstr (sim_json_string (r->json, "action.status"), ==, "in_progress");
  }
  g_assert_true (till_test_wait_until (action_over, &wait, SIM_TEST_DEADLINE_MS));
  {
    g_autoptr (SimResponse) r = apif (f, "GET", NULL, "/v1/terminal/readers/%s", reader);
    g_autoptr (SimResponse) pi = get_intent (f, intent);
    g_autoptr (GPtrArray) failed = NULL;

    g_assert_cmpstr (sim_json_string (r->json, "action.status"), ==, "failed");
    g_assert_cmpstr (sim_json_string (r->json, "action.failure_code"), ==,
                     "terminal_reader_timeout");
    g_assert_cmpstr (sim_json_string (pi->json, "status"), ==, "requires_payment_method");
    g_assert_true (till_test_wait_until (sim_idle, f->sim, SIM_TEST_DEADLINE_MS));
    failed = deliveries_of (receiver, "terminal.reader.action_failed");
    g_assert_cmpuint (failed->len, ==, 1);
    g_assert_cmpstr (
        sim_json_string (g_ptr_array_index (failed, 0), "data.object.action.failure_code"), ==,
        "terminal_reader_timeout");
  }
  /* A timeout meant for an action that ended first does nothing to the next one. */
  {
    g_autoptr (SimResponse) r =
        api_with (f, "POST", path, form, "Till-Sim-Fault", "reader-timeout=30000");
    g_autoptr (SimResponse) cancel =
        apif (f, "POST", NULL, "/v1/terminal/readers/%s/cancel_action", reader);

    assert_status (r, 200);
    assert_status (cancel, 200);
  }
  process_ok (f, reader, intent);
  {
    g_autoptr (SimResponse) r = present (f, reader, NULL);

    g_assert_cmpstr (sim_json_string (r->json, "action.status"), ==, "succeeded");
  }
  {
    g_autoptr (SimResponse) r =
        api_with (f, "POST", path, form, "Till-Sim-Fault", "reader-timeout=x");

    assert_status (r, 400);
  }
}

/* Injected faults on these routes as on the others: a 503 changes nothing, an answer lost
 * after the action started is replayed with its Idempotency-Key, a lost webhook is lost. */
static void
test_faults (Fixture *f, gconstpointer data)
{
  g_autoptr (SimReceiver) receiver = sim_receiver_new ();
  g_autofree char *reader = register_reader (f, "registration_code=simulated-wpe");
  g_autofree char *intent = create_intent (f, NULL);
  g_autofree char *form = g_strdup_printf ("payment_intent=%s", intent);
  g_autofree char *path =
      g_strdup_printf ("/v1/terminal/readers/%s/process_payment_intent", reader);
  g_autofree char *present_path = g_strdup_printf (PRESENT, reader);

  g_assert_true (till_stripe_sim_set_webhook (f->sim, receiver->url, WEBHOOK_SECRET, NULL));
  {
    g_autoptr (SimResponse) r = api_with (f, "POST", path, form, "Till-Sim-Fault", "503");
    g_autoptr (SimResponse) got = apif (f, "GET", NULL, "/v1/terminal/readers/%s", reader);

    g_assert_cmpuint (r->status, ==, 503);
    g_assert_true (sim_json_is_null (got->json, "action"));
  }
  {
    g_autofree char *uri = g_strconcat (f->base, path + 1, NULL);
    g_autoptr (SimResponse) lost =
        sim_request (f->session, "POST", uri, SIM_TEST_KEY, form, "Till-Sim-Fault", "drop-after",
                     "Idempotency-Key", "process-1", NULL);
    g_autoptr (SimResponse) replay = sim_request (f->session, "POST", uri, SIM_TEST_KEY, form,
                                                  "Idempotency-Key", "process-1", NULL);

    g_assert_nonnull (lost->error);
    assert_status (replay, 200);
    g_assert_cmpstr (soup_message_headers_get_one (replay->headers, "Idempotent-Replayed"), ==,
                     "true");
    g_assert_cmpstr (sim_json_string (replay->json, "action.status"), ==, "in_progress");
  }
  {
    g_autoptr (SimResponse) r =
        api_with (f, "POST", present_path, NULL, "Till-Sim-Fault", "lose-webhook");

    assert_status (r, 200);
  }
  g_assert_true (till_test_wait_until (sim_idle, f->sim, SIM_TEST_DEADLINE_MS));
  {
    g_autoptr (GPtrArray) succeeded = deliveries_of (receiver, "terminal.reader.action_succeeded");
    g_autoptr (SimResponse) undelivered =
        api (f, "GET", "/v1/events?delivery_success=false&type=terminal.reader.*", NULL);

    g_assert_cmpuint (succeeded->len, ==, 0);
    assert_status (undelivered, 200);
    g_assert_cmpuint (list_length (undelivered), ==, 1);
  }
  /* The fault's value is checked. */
  {
    g_autoptr (SimResponse) r = api (f, "POST", "/_sim/faults", "fault=reader-timeout%3D99999999");

    assert_status (r, 400);
  }
}

/* Like intents, readers and locations are bounded: the newest max_intents of each. */
static void
test_retention (Fixture *f, gconstpointer data)
{
  char               *readers[3] = { NULL };
  char               *locations[3] = { NULL };
  TillStripeSimCounts counts;

  till_stripe_sim_set_retention (f->sim, 0, 2, 0, 0);
  for (guint i = 0; i < G_N_ELEMENTS (readers); i++)
    {
      readers[i] = register_reader (f, "registration_code=simulated-wpe");
      locations[i] = create_location (f);
    }
  till_stripe_sim_get_counts (f->sim, &counts);
  g_assert_cmpuint (counts.readers, ==, 2);
  g_assert_cmpuint (counts.locations, ==, 2);
  {
    g_autoptr (SimResponse) old = apif (f, "GET", NULL, "/v1/terminal/readers/%s", readers[0]);
    g_autoptr (SimResponse) kept = apif (f, "GET", NULL, "/v1/terminal/readers/%s", readers[2]);
    g_autoptr (SimResponse) old_location =
        apif (f, "GET", NULL, "/v1/terminal/locations/%s", locations[0]);

    assert_error (old, 404, "resource_missing", "reader");
    assert_status (kept, 200);
    assert_error (old_location, 404, "resource_missing", "location");
  }
  /* Never by age: a reader is registered once and used for years. */
  till_stripe_sim_set_retention (f->sim, 60, 2, 0, 0);
  till_stripe_sim_advance_clock (f->sim, 3600);
  {
    g_autoptr (SimResponse) kept = apif (f, "GET", NULL, "/v1/terminal/readers/%s", readers[2]);

    assert_status (kept, 200);
  }
  for (guint i = 0; i < G_N_ELEMENTS (readers); i++)
    {
      g_free (readers[i]);
      g_free (locations[i]);
    }
}

static void
add (const char *path, gboolean faults, void (*func) (Fixture *, gconstpointer))
{
  g_test_add (path, Fixture, GINT_TO_POINTER (faults), fixture_set_up, func, fixture_tear_down);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  add ("/sim/terminal/locations", FALSE, test_locations);
  add ("/sim/terminal/readers", FALSE, test_readers);
  add ("/sim/terminal/payment", FALSE, test_payment);
  add ("/sim/terminal/decline-then-success", FALSE, test_decline_then_success);
  add ("/sim/terminal/manual-capture", FALSE, test_manual_capture);
  add ("/sim/terminal/busy", FALSE, test_busy);
  add ("/sim/terminal/cancel", FALSE, test_cancel);
  add ("/sim/terminal/validation", FALSE, test_validation);
  add ("/sim/terminal/display", FALSE, test_display);
  add ("/sim/terminal/webhooks", FALSE, test_webhooks);
  add ("/sim/terminal/offline", TRUE, test_offline);
  add ("/sim/terminal/offline/needs-faults", FALSE, test_offline_needs_faults);
  add ("/sim/terminal/timeout", TRUE, test_timeout);
  add ("/sim/terminal/faults", TRUE, test_faults);
  add ("/sim/terminal/retention", FALSE, test_retention);

  return g_test_run ();
}
