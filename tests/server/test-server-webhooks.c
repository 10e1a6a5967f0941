/* test-server-webhooks.c: Stripe's webhooks: signatures, order of events, duplicates, lost intents,
 * events from the simulator itself.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "till-test-fixture.h"
#include "till-stripe-sim.h"
#include "till-webhooks.h"

/* ---------------------------------------------------------------------------------------- */
/* Webhooks */

static TillTestResponse *
send_webhook (Fixture *fixture, const char *payload, const char *signature)
{
  g_autofree char *url = g_strconcat (fixture->server->base, "/stripe/webhook", NULL);
  const char      *headers[] = { "Stripe-Signature", signature, NULL };

  return till_test_request_full (fixture->server->session, "POST", url,
                                 signature != NULL ? headers : NULL, "application/json", payload,
                                 -1);
}

static char *
event_json (const char *event_id, const char *type, JsonObject *intent)
{
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  g_autoptr (JsonNode) root = NULL;
  g_autoptr (JsonNode) object = json_node_new (JSON_NODE_OBJECT);

  json_node_set_object (object, intent);
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "id");
  json_builder_add_string_value (builder, event_id);
  json_builder_set_member_name (builder, "object");
  json_builder_add_string_value (builder, "event");
  json_builder_set_member_name (builder, "type");
  json_builder_add_string_value (builder, type);
  json_builder_set_member_name (builder, "created");
  json_builder_add_int_value (builder, g_get_real_time () / G_USEC_PER_SEC);
  json_builder_set_member_name (builder, "data");
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "object");
  json_builder_add_value (builder, json_node_ref (object));
  json_builder_end_object (builder);
  json_builder_end_object (builder);
  root = json_builder_get_root (builder);
  return json_to_string (root, FALSE);
}

static char *
sign_now (const char *payload, gint64 offset)
{
  return till_webhook_sign ((const guint8 *) payload, strlen (payload), TILL_TEST_WEBHOOK_SECRET,
                            g_get_real_time () / G_USEC_PER_SEC + offset);
}

static void
test_webhook_signatures (Fixture *fixture, gconstpointer data)
{
  g_autofree char *reference = till_test_new_reference ();
  g_autofree char *body = cart_body (fixture, reference);
  g_autoptr (TillTestResponse) created = checkout (fixture, body);
  g_autoptr (TillTestResponse) intent_response = NULL;
  gint64           order_id = json_object_get_int_member (order_of (created), "id");
  g_autofree char *payload = NULL;
  g_autofree char *status = NULL;
  JsonObject      *intent;

  g_assert_cmpuint (till_test_sim_confirm (fixture->sim, intent_of (created), "pm_card_visa"), ==,
                    200);
  intent = sim_intent (fixture, intent_of (created), &intent_response);
  payload = event_json ("evt_test_1", "payment_intent.succeeded", intent);

  {
    /* No signature, a forged one, one with the wrong secret, a stale one, a tampered body. */
    g_autofree char *forged =
        g_strdup_printf ("t=%" G_GINT64_FORMAT ",v1=%064d", g_get_real_time () / G_USEC_PER_SEC, 0);
    g_autofree char *wrong_secret =
        till_webhook_sign ((const guint8 *) payload, strlen (payload), "whsec_other",
                           g_get_real_time () / G_USEC_PER_SEC);
    g_autofree char *stale = sign_now (payload, -301);
    g_autofree char *future = sign_now (payload, 400);
    g_autofree char *good = sign_now (payload, 0);
    g_autofree char *tampered = g_strdup (payload);
    const char *bad[] = { NULL, forged, wrong_secret, stale, future, "t=abc,v1=00", "v1=", "" };

    *strstr (tampered, "succeeded") = 'S';
    for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
      {
        g_autoptr (TillTestResponse) refused = send_webhook (fixture, payload, bad[i]);
        g_assert_cmpuint (refused->status, ==, 400);
      }
    {
      g_autoptr (TillTestResponse) refused = send_webhook (fixture, tampered, good);
      g_assert_cmpuint (refused->status, ==, 400);
    }
    g_assert_cmpstr (order_status (fixture, order_id, &status), ==, "pending_payment");
  }
  {
    /* Several v1 values and a v0: any matching v1 passes. */
    g_autofree char *good = sign_now (payload, -299);
    g_autofree char *header = g_strdup_printf ("%s,v1=%064d,v0=abc", good, 1);
    g_autoptr (TillTestResponse) accepted = send_webhook (fixture, payload, header);

    g_assert_cmpuint (accepted->status, ==, 200);
    g_assert_false (json_object_get_boolean_member (accepted->json, "duplicate"));
    g_clear_pointer (&status, g_free);
    g_assert_cmpstr (order_status (fixture, order_id, &status), ==, "paid");
  }
  {
    /* Replayed: seen before, nothing happens. */
    g_autofree char *good = sign_now (payload, 0);
    g_autoptr (TillTestResponse) replayed = send_webhook (fixture, payload, good);

    g_assert_cmpuint (replayed->status, ==, 200);
    g_assert_true (json_object_get_boolean_member (replayed->json, "duplicate"));
  }
}

/* A webhook that comes while another process holds the write lock waits for it, paused,
 * and is applied once the lock is free; the loop answers reads meanwhile. */
static void
test_webhook_database_locked (Fixture *fixture, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (TillDatabase) other = open_elsewhere (fixture);
  g_autofree char *reference = till_test_new_reference ();
  g_autofree char *body = cart_body (fixture, reference);
  g_autoptr (TillTestResponse) created = checkout (fixture, body);
  gint64 order_id = json_object_get_int_member (order_of (created), "id");
  g_autoptr (TillTestResponse) paid_response = NULL;
  g_autoptr (TillTestResponse) read = NULL;
  g_autofree char *payload = NULL;
  g_autofree char *signature = NULL;
  guint            status = 0;

  g_assert_cmpuint (till_test_sim_confirm (fixture->sim, intent_of (created), "pm_card_visa"), ==,
                    200);
  payload = event_json ("evt_locked", "payment_intent.succeeded",
                        sim_intent (fixture, intent_of (created), &paid_response));
  signature = sign_now (payload, 0);

  g_assert_true (till_database_begin (other, &error));
  post_async (fixture, "/stripe/webhook", (const char *[]){ "Stripe-Signature", signature, NULL },
              payload, &status);
  g_assert_true (till_test_wait_until (one_waiting_write, fixture, 20000));
  read = get_order (fixture, order_id);
  g_assert_cmpuint (read->status, ==, 200);
  g_assert_cmpstr (json_object_get_string_member (read->json, "status"), ==, "pending_payment");
  g_assert_cmpuint (status, ==, 0);

  g_assert_true (till_database_commit (other, &error));
  g_assert_true (till_test_wait_until (status_known, &status, 20000));
  g_assert_cmpuint (status, ==, 200);
  g_clear_pointer (&read, till_test_response_free);
  read = get_order (fixture, order_id);
  g_assert_cmpstr (json_object_get_string_member (read->json, "status"), ==, "paid");
}

static void
test_webhook_out_of_order (Fixture *fixture, gconstpointer data)
{
  g_autofree char *reference = till_test_new_reference ();
  g_autofree char *body = cart_body (fixture, reference);
  g_autoptr (TillTestResponse) created = checkout (fixture, body);
  gint64 order_id = json_object_get_int_member (order_of (created), "id");
  g_autoptr (TillTestResponse) declined_response = NULL;
  g_autoptr (TillTestResponse) paid_response = NULL;
  g_autofree char *failed_payload = NULL;
  g_autofree char *succeeded_payload = NULL;
  g_autofree char *status = NULL;

  /* A decline, then a success: capture each intent state. */
  g_assert_cmpuint (
      till_test_sim_confirm (fixture->sim, intent_of (created), "pm_card_chargeDeclined"), ==, 402);
  failed_payload = event_json ("evt_failed", "payment_intent.payment_failed",
                               sim_intent (fixture, intent_of (created), &declined_response));
  g_assert_cmpuint (till_test_sim_confirm (fixture->sim, intent_of (created), "pm_card_visa"), ==,
                    200);
  succeeded_payload = event_json ("evt_succeeded", "payment_intent.succeeded",
                                  sim_intent (fixture, intent_of (created), &paid_response));

  /* Delivered the other way round, and the success twice. */
  {
    g_autofree char *signature = sign_now (succeeded_payload, 0);
    g_autoptr (TillTestResponse) first = send_webhook (fixture, succeeded_payload, signature);
    g_autoptr (TillTestResponse) second = send_webhook (fixture, succeeded_payload, signature);

    g_assert_cmpuint (first->status, ==, 200);
    g_assert_cmpuint (second->status, ==, 200);
    g_assert_true (json_object_get_boolean_member (second->json, "duplicate"));
  }
  {
    g_autofree char *signature = sign_now (failed_payload, 0);
    g_autoptr (TillTestResponse) late = send_webhook (fixture, failed_payload, signature);

    g_assert_cmpuint (late->status, ==, 200);
  }
  {
    g_autoptr (TillTestResponse) order = get_order (fixture, order_id);

    g_assert_cmpstr (json_object_get_string_member (order->json, "status"), ==, "paid");
    g_assert_cmpstr (payment_member (order->json, "card_last4"), ==, "4242");
    g_assert_null (payment_member (order->json, "decline_code"));
  }
  /* An event about an intent that is not ours changes nothing. */
  {
    g_autofree char *foreign = g_strdup (succeeded_payload);
    char            *id = strstr (foreign, intent_of (created));
    g_autofree char *signature = NULL;
    g_autoptr (TillTestResponse) answer = NULL;

    g_assert_nonnull (id);
    id[3] = id[3] == 'x' ? 'y' : 'x';
    *strstr (foreign, "evt_succeeded") = 'E';
    signature = sign_now (foreign, 0);
    answer = send_webhook (fixture, foreign, signature);
    g_assert_cmpuint (answer->status, ==, 200);
  }
  g_assert_cmpstr (order_status (fixture, order_id, &status), ==, "paid");
}

static void
test_refund_events (Fixture *fixture, gconstpointer data)
{
  gint64 order_id = paid_order (fixture, NULL);
  g_autoptr (TillTestResponse) refunded = refund (fixture, order_id, "ev-1", "{\"amount\": 500}");
  JsonObject *refund_json = json_object_get_object_member (refunded->json, "refund");
  g_autoptr (JsonObject) event_object = json_object_new ();
  g_autofree char *payload = NULL;
  g_autofree char *signature = NULL;

  g_assert_cmpuint (refunded->status, ==, 201);
  json_object_set_string_member (event_object, "id",
                                 json_object_get_string_member (refund_json, "refund"));
  json_object_set_string_member (event_object, "object", "refund");
  json_object_set_string_member (event_object, "status", "failed");
  payload = event_json ("evt_refund_failed", "refund.updated", event_object);
  signature = sign_now (payload, 0);
  {
    g_autoptr (TillTestResponse) answer = send_webhook (fixture, payload, signature);
    g_autoptr (TillTestResponse) order = get_order (fixture, order_id);
    JsonObject *stored =
        json_array_get_object_element (json_object_get_array_member (order->json, "refunds"), 0);

    g_assert_cmpuint (answer->status, ==, 200);
    g_assert_cmpstr (json_object_get_string_member (stored, "status"), ==, "failed");
    /* The money did not go back; the order still never moves backwards. */
    g_assert_cmpint (json_object_get_int_member (order->json, "refunded"), ==, 0);
    g_assert_cmpstr (json_object_get_string_member (order->json, "status"), ==,
                     "partially_refunded");
  }
  {
    /* The same event again changes nothing. */
    g_autoptr (TillTestResponse) answer = send_webhook (fixture, payload, signature);
    g_assert_true (json_object_get_boolean_member (answer->json, "duplicate"));
  }
}

/* The intent's answer never reached till-server; its webhook finds the order by metadata,
 * but only when the intent was made by this database. */
static void
test_webhook_lost_intent (Fixture *fixture, gconstpointer data)
{
  g_autofree char *reference = till_test_new_reference ();
  g_autofree char *body = cart_body (fixture, reference);
  g_autofree char *intent_id = NULL;
  g_autofree char *status = NULL;
  g_autoptr (TillTestResponse) intent_response = NULL;
  g_autoptr (TillTestResponse) events = NULL;
  JsonObject *intent;
  gint64      order_id;

  till_test_sim_fault (fixture->sim, "drop-after", 1);
  till_test_sim_fault (fixture->sim, "500", 8);
  {
    g_autoptr (TillTestResponse) failed = checkout (fixture, body);
    g_assert_cmpuint (failed->status, ==, 503);
  }
  till_test_sim_clear_faults (fixture->sim);
  events = till_test_sim_call (fixture->sim, "GET",
                               "/v1/events?type=payment_intent.created&limit=1", NULL);
  intent = json_object_get_object_member (
      json_object_get_object_member (
          json_array_get_object_element (json_object_get_array_member (events->json, "data"), 0),
          "data"),
      "object");
  intent_id = g_strdup (json_object_get_string_member (intent, "id"));
  order_id =
      g_ascii_strtoll (json_object_get_string_member (
                           json_object_get_object_member (intent, "metadata"), "till_order_id"),
                       NULL, 10);
  g_assert_cmpuint (till_test_sim_confirm (fixture->sim, intent_id, "pm_card_visa"), ==, 200);
  intent = sim_intent (fixture, intent_id, &intent_response);

  {
    /* From another till on the same account: same order id, another instance. */
    g_autoptr (JsonObject) foreign = json_object_ref (intent);
    g_autofree char *payload = NULL;
    g_autofree char *signature = NULL;
    g_autoptr (TillTestResponse) answer = NULL;
    JsonObject      *metadata = json_object_get_object_member (foreign, "metadata");
    g_autofree char *instance =
        g_strdup (json_object_get_string_member (metadata, "till_instance"));

    json_object_set_string_member (metadata, "till_instance", "another-till");
    payload = event_json ("evt_foreign", "payment_intent.succeeded", foreign);
    json_object_set_string_member (metadata, "till_instance", instance);
    signature = sign_now (payload, 0);
    answer = send_webhook (fixture, payload, signature);
    g_assert_cmpuint (answer->status, ==, 200);
    g_assert_cmpstr (order_status (fixture, order_id, &status), ==, "pending_payment");
    g_clear_pointer (&status, g_free);
  }
  {
    g_autofree char *payload = event_json ("evt_ours", "payment_intent.succeeded", intent);
    g_autofree char *signature = sign_now (payload, 0);
    g_autoptr (TillTestResponse) answer = send_webhook (fixture, payload, signature);
    g_autoptr (TillTestResponse) order = NULL;

    g_assert_cmpuint (answer->status, ==, 200);
    order = get_order (fixture, order_id);
    g_assert_cmpstr (json_object_get_string_member (order->json, "status"), ==, "paid");
    g_assert_cmpstr (payment_member (order->json, "payment_intent"), ==, intent_id);
  }
}

typedef struct
{
  Fixture    *fixture;
  gint64      order_id;
  const char *want;
} WaitStatus;

static gboolean
status_reached (gpointer user_data)
{
  WaitStatus      *wait = user_data;
  g_autofree char *status = NULL;

  return g_strcmp0 (order_status (wait->fixture, wait->order_id, &status), wait->want) == 0;
}

static void
test_webhook_from_simulator (Fixture *fixture, gconstpointer data)
{
  g_autofree char *reference = till_test_new_reference ();
  g_autofree char *body = cart_body (fixture, reference);
  g_autoptr (TillTestResponse) created = checkout (fixture, body);
  WaitStatus wait = { fixture, json_object_get_int_member (order_of (created), "id"), "paid" };

  /* No sync: the simulator's signed webhook alone pays the order. */
  g_assert_cmpuint (till_test_sim_confirm (fixture->sim, intent_of (created), "pm_card_visa"), ==,
                    200);
  g_assert_true (till_test_wait_until (status_reached, &wait, 10000));
}

/* Sends @payload, signed now: whether it was a duplicate. */
static gboolean
deliver (Fixture *fixture, const char *payload)
{
  g_autofree char *signature = sign_now (payload, 0);
  g_autoptr (TillTestResponse) answer = send_webhook (fixture, payload, signature);

  g_assert_cmpuint (answer->status, ==, 200);
  return json_object_get_boolean_member_with_default (answer->json, "duplicate", FALSE);
}

/* The card the order of @order_id records: "brand last4". */
static char *
order_card (Fixture *fixture, gint64 order_id)
{
  g_autoptr (TillTestResponse) response = get_order (fixture, order_id);

  g_assert_cmpuint (response->status, ==, 200);
  return g_strdup_printf ("%s %s", payment_member (response->json, "card_brand"),
                          payment_member (response->json, "card_last4"));
}

typedef enum
{
  SHAPE_CHARGES_LIST,     /* 2020-08-27: the charges list, latest_charge an id */
  SHAPE_EXPANDED,         /* any version: latest_charge expanded */
  SHAPE_LATEST_CHARGE_ID, /* 2022-11-15 and later: latest_charge an id, no charges list */
  SHAPE_CHARGE_UNKNOWN,   /* the same, naming a charge Stripe does not know */
} Shape;

/* A paid intent's payment_intent.succeeded event in @shape, delivered by hand: the order is
 * paid with its card's brand and last 4 whatever the shape (for a charge Stripe does not know:
 * paid, without them). */
static void
test_webhook_shapes (Fixture *fixture, gconstpointer data)
{
  for (Shape shape = SHAPE_CHARGES_LIST; shape <= SHAPE_CHARGE_UNKNOWN; shape++)
    {
      g_autofree char *reference = till_test_new_reference ();
      g_autofree char *body = cart_body (fixture, reference);
      g_autoptr (TillTestResponse) created = checkout (fixture, body);
      gint64 order_id = json_object_get_int_member (order_of (created), "id");
      g_autoptr (TillTestResponse) intent_response = NULL;
      g_autofree char *path = NULL;
      g_autofree char *payload = NULL;
      g_autofree char *event_id = g_strdup_printf ("evt_shape_%d", shape);
      g_autofree char *status = NULL;
      g_autofree char *card = NULL;
      JsonObject      *intent;

      g_test_message ("shape %d", shape);
      g_assert_cmpuint (till_test_sim_confirm (fixture->sim, intent_of (created), "pm_card_visa"),
                        ==, 200);
      path = g_strdup_printf ("/v1/payment_intents/%s%s", intent_of (created),
                              shape == SHAPE_EXPANDED ? "?expand[]=latest_charge" : "");
      intent_response = till_test_sim_call (fixture->sim, "GET", path, NULL);
      g_assert_cmpuint (intent_response->status, ==, 200);
      intent = intent_response->json;
      if (shape != SHAPE_CHARGES_LIST)
        json_object_remove_member (intent, "charges");
      if (shape == SHAPE_CHARGE_UNKNOWN)
        json_object_set_string_member (intent, "latest_charge", "ch_unknown0123456789");
      payload = event_json (event_id, "payment_intent.succeeded", intent);

      g_assert_false (deliver (fixture, payload));
      g_assert_cmpstr (order_status (fixture, order_id, &status), ==, "paid");
      card = order_card (fixture, order_id);
      g_assert_cmpstr (card, ==, shape == SHAPE_CHARGE_UNKNOWN ? "(null) (null)" : "visa 4242");
      /* Delivered again: a duplicate, and nothing fetched or changed. */
      g_assert_true (deliver (fixture, payload));
    }
}

/* Stripe cannot be reached for the charge: the delivery is refused (503), so that Stripe sends
 * it again, and nothing of it is remembered; the next delivery pays the order with its card. */
static void
test_webhook_charge_unreachable (Fixture *fixture, gconstpointer data)
{
  g_autofree char *reference = till_test_new_reference ();
  g_autofree char *body = cart_body (fixture, reference);
  g_autoptr (TillTestResponse) created = checkout (fixture, body);
  gint64 order_id = json_object_get_int_member (order_of (created), "id");
  g_autoptr (TillTestResponse) intent_response = NULL;
  g_autoptr (TillTestResponse) refused = NULL;
  g_autofree char *payload = NULL;
  g_autofree char *signature = NULL;
  g_autofree char *status = NULL;
  g_autofree char *card = NULL;
  JsonObject      *intent;

  g_assert_cmpuint (till_test_sim_confirm (fixture->sim, intent_of (created), "pm_card_visa"), ==,
                    200);
  intent = sim_intent (fixture, intent_of (created), &intent_response);
  json_object_remove_member (intent, "charges");
  payload = event_json ("evt_unreachable", "payment_intent.succeeded", intent);

  /* More 503s than the server's retries. */
  till_test_sim_fault (fixture->sim, "503", 10);
  signature = sign_now (payload, 0);
  refused = send_webhook (fixture, payload, signature);
  assert_json_error (refused, 503, "payment_provider_unavailable");
  till_test_sim_clear_faults (fixture->sim);
  g_assert_cmpint (
      count_rows (fixture, "SELECT count (*) FROM stripe_events WHERE id = ?", "evt_unreachable"),
      ==, 0);
  g_assert_cmpstr (order_status (fixture, order_id, &status), ==, "pending_payment");

  g_assert_false (deliver (fixture, payload));
  card = order_card (fixture, order_id);
  g_assert_cmpstr (card, ==, "visa 4242");
}

typedef struct
{
  Fixture *fixture;
  gint64   order_id;
} WaitCard;

static gboolean
card_known (gpointer user_data)
{
  WaitCard        *wait = user_data;
  g_autofree char *card = order_card (wait->fixture, wait->order_id);

  return g_str_equal (card, "visa 4242");
}

/* The simulator's own events, in the version its endpoint is set to (@data: a version, or NULL
 * for its default, a current one), and no sync: the webhook alone pays the order, with the
 * card. */
static void
test_webhook_simulator_versions (Fixture *fixture, gconstpointer data)
{
  static const char *const versions[] = { NULL, "2020-08-27", "2024-06-20", "2024-09-30.acacia" };

  for (guint i = 0; i < G_N_ELEMENTS (versions); i++)
    {
      g_autofree char *reference = till_test_new_reference ();
      g_autofree char *body = NULL;
      g_autoptr (TillTestResponse) created = NULL;
      WaitCard wait = { fixture, 0 };

      g_test_message ("version %s", versions[i] ? versions[i] : "(default)");
      if (versions[i] != NULL)
        g_assert_true (till_stripe_sim_set_webhook_api_version (TILL_STRIPE_SIM (fixture->sim->sim),
                                                                versions[i], NULL));
      body = cart_body (fixture, reference);
      created = checkout (fixture, body);
      wait.order_id = json_object_get_int_member (order_of (created), "id");
      g_assert_cmpuint (till_test_sim_confirm (fixture->sim, intent_of (created), "pm_card_visa"),
                        ==, 200);
      g_assert_true (till_test_wait_until (card_known, &wait, 10000));
    }
}

/* Webhook events are remembered for duplicates TILL_WEBHOOK_EVENTS_KEPT_DAYS, then forgotten
 * by the reconciler's rounds; one delivered again after that is handled again, harmlessly. */
static void
test_webhook_events_forgotten (Fixture *fixture, gconstpointer data)
{
  g_autofree char *reference = till_test_new_reference ();
  g_autofree char *body = cart_body (fixture, reference);
  g_autoptr (TillTestResponse) created = checkout (fixture, body);
  gint64 order_id = json_object_get_int_member (order_of (created), "id");
  g_autoptr (TillTestResponse) intent_response = NULL;
  g_autofree char *old_payload = NULL;
  g_autofree char *recent_payload = NULL;
  g_autofree char *status = NULL;
  g_autofree char *backdate =
      g_strdup_printf ("UPDATE stripe_events SET received_at = received_at - %" G_GINT64_FORMAT,
                       (gint64) (TILL_WEBHOOK_EVENTS_KEPT_DAYS + 1) * G_TIME_SPAN_DAY);
  JsonObject *intent;

  g_assert_cmpuint (till_test_sim_confirm (fixture->sim, intent_of (created), "pm_card_visa"), ==,
                    200);
  intent = sim_intent (fixture, intent_of (created), &intent_response);
  old_payload = event_json ("evt_forgotten", "payment_intent.succeeded", intent);
  recent_payload = event_json ("evt_kept", "payment_intent.succeeded", intent);

  g_assert_false (deliver (fixture, old_payload));
  g_assert_true (deliver (fixture, old_payload));
  g_assert_true (till_database_exec (till_api_get_database (fixture->server->api), backdate, NULL));
  g_assert_false (deliver (fixture, recent_payload));

  reconcile_round (fixture);
  g_assert_cmpint (
      count_rows (fixture, "SELECT count (*) FROM stripe_events WHERE id = ?", "evt_forgotten"), ==,
      0);
  g_assert_cmpint (
      count_rows (fixture, "SELECT count (*) FROM stripe_events WHERE id = ?", "evt_kept"), ==, 1);

  /* Delivered again: handled as new, and the order stays as it was. */
  g_assert_false (deliver (fixture, old_payload));
  g_assert_true (deliver (fixture, recent_payload));
  g_assert_cmpstr (order_status (fixture, order_id, &status), ==, "paid");
}

/* Someone removed the intent's metadata in Stripe's Dashboard: its webhook still pays the
 * order that recorded it (the database's index of intents' ids), and the order is still found
 * by that intent's id. */
static void
test_webhook_without_metadata (Fixture *fixture, gconstpointer data)
{
  g_autofree char *reference = till_test_new_reference ();
  g_autofree char *body = cart_body (fixture, reference);
  g_autoptr (TillTestResponse) created = checkout (fixture, body);
  gint64 order_id = json_object_get_int_member (order_of (created), "id");
  g_autoptr (TillTestResponse) intent_response = NULL;
  g_autofree char *payload = NULL;
  g_autofree char *status = NULL;
  JsonObject      *intent;

  g_assert_cmpuint (till_test_sim_confirm (fixture->sim, intent_of (created), "pm_card_visa"), ==,
                    200);
  intent = sim_intent (fixture, intent_of (created), &intent_response);
  json_object_set_object_member (intent, "metadata", json_object_new ());
  payload = event_json ("evt_no_metadata", "payment_intent.succeeded", intent);
  g_assert_false (deliver (fixture, payload));
  g_assert_cmpstr (order_status (fixture, order_id, &status), ==, "paid");
}

static void
test_webhook_verify (void)
{
  static const char body[] = "{\"id\": \"evt_1\"}";
  const char       *secret = "whsec_unit";
  gint64            now = 1700000000;
  g_autofree char  *good = till_webhook_sign ((const guint8 *) body, strlen (body), secret, now);
  g_autoptr (GError) error = NULL;

  g_assert_true (
      till_webhook_verify (good, (const guint8 *) body, strlen (body), secret, now, 300, &error));
  g_assert_true (till_webhook_verify (good, (const guint8 *) body, strlen (body), secret, now + 300,
                                      300, NULL));
  g_assert_false (till_webhook_verify (good, (const guint8 *) body, strlen (body), secret,
                                       now + 301, 300, NULL));
  g_assert_false (
      till_webhook_verify (good, (const guint8 *) body, strlen (body) - 1, secret, now, 300, NULL));
  g_assert_false (till_webhook_verify (good, (const guint8 *) body, strlen (body), "whsec_other",
                                       now, 300, NULL));
  g_assert_false (
      till_webhook_verify (good, (const guint8 *) body, strlen (body), NULL, now, 300, NULL));
  {
    /* Two timestamps: refused rather than guessed. */
    g_autofree char *twice = g_strdup_printf ("t=1,%s", good);
    g_assert_false (
        till_webhook_verify (twice, (const guint8 *) body, strlen (body), secret, now, 300, NULL));
  }
  {
    /* Upper-case hex is not what Stripe sends. */
    g_autofree char *upper = g_ascii_strup (good, -1);
    g_assert_false (
        till_webhook_verify (upper, (const guint8 *) body, strlen (body), secret, now, 300, NULL));
  }
}

int
main (int argc, char **argv)
{
  static const Setup webhooks = { .webhooks = TRUE };
  static const Setup busy_wait = { .busy_wait_ms = "300" };

  g_test_init (&argc, &argv, NULL);
  till_test_capture_logs ("test-server-webhooks");

#define ADD(path, setup, func)                                                                     \
  g_test_add (path, Fixture, setup, fixture_setup, func, fixture_teardown)
  ADD ("/server/webhooks/signatures", NULL, test_webhook_signatures);
  ADD ("/server/webhooks/out-of-order", NULL, test_webhook_out_of_order);
  ADD ("/server/webhooks/database-locked", &busy_wait, test_webhook_database_locked);
  ADD ("/server/webhooks/from-simulator", &webhooks, test_webhook_from_simulator);
  ADD ("/server/webhooks/lost-intent", NULL, test_webhook_lost_intent);
  ADD ("/server/webhooks/refund-events", NULL, test_refund_events);
  ADD ("/server/webhooks/events-forgotten", NULL, test_webhook_events_forgotten);
  ADD ("/server/webhooks/without-metadata", NULL, test_webhook_without_metadata);
  ADD ("/server/webhooks/shapes", NULL, test_webhook_shapes);
  ADD ("/server/webhooks/charge-unreachable", NULL, test_webhook_charge_unreachable);
  ADD ("/server/webhooks/simulator-versions", &webhooks, test_webhook_simulator_versions);
#undef ADD
  g_test_add_func ("/server/webhook-verify", test_webhook_verify);

  return g_test_run ();
}
