/* test-server-orders.c: orders after their checkout: sync after a decline, cancel, refunds, the
 * order list's filters, the daily report and the CSV export.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "till-test-fixture.h"

static void
test_decline_and_retry (Fixture *fixture, gconstpointer data)
{
  g_autofree char *reference = till_test_new_reference ();
  g_autofree char *body = cart_body (fixture, reference);
  g_autoptr (TillTestResponse) created = checkout (fixture, body);
  gint64 order_id = json_object_get_int_member (order_of (created), "id");

  g_assert_cmpuint (till_test_sim_confirm (fixture->sim, intent_of (created),
                                           "pm_card_chargeDeclinedInsufficientFunds"),
                    ==, 402);
  {
    g_autoptr (TillTestResponse) synced =
        post_order (fixture, order_id, "sync", fixture->server->cashier_token, NULL);
    g_assert_cmpuint (synced->status, ==, 200);
    g_assert_cmpstr (json_object_get_string_member (synced->json, "status"), ==, "pending_payment");
    g_assert_cmpstr (payment_member (synced->json, "decline_code"), ==, "insufficient_funds");
    g_assert_cmpstr (payment_member (synced->json, "decline_message"), ==,
                     "The card has insufficient funds.");
  }
  /* Another card on the same intent. */
  g_assert_cmpuint (till_test_sim_confirm (fixture->sim, intent_of (created), "pm_card_mastercard"),
                    ==, 200);
  {
    g_autoptr (TillTestResponse) synced =
        post_order (fixture, order_id, "sync", fixture->server->cashier_token, NULL);
    g_assert_cmpstr (json_object_get_string_member (synced->json, "status"), ==, "paid");
    g_assert_cmpstr (payment_member (synced->json, "card_brand"), ==, "mastercard");
    g_assert_cmpstr (payment_member (synced->json, "card_last4"), ==, "4444");
    g_assert_null (payment_member (synced->json, "decline_code"));
  }
}

/* An ISO 8601 time member of @object, which must be there. */
static GDateTime *
time_member (JsonObject *object, const char *member)
{
  const char *text = json_object_get_string_member_with_default (object, member, NULL);
  GDateTime  *time;

  g_assert_nonnull (text);
  time = g_date_time_new_from_iso8601 (text, NULL);
  g_assert_nonnull (time);
  return time;
}

static void
test_cancel (Fixture *fixture, gconstpointer data)
{
  g_autofree char *reference = till_test_new_reference ();
  g_autofree char *body = cart_body (fixture, reference);
  g_autoptr (TillTestResponse) created = checkout (fixture, body);
  g_autoptr (TillTestResponse) intent_response = NULL;
  g_autoptr (GDateTime) created_at = time_member (order_of (created), "created_at");
  g_autoptr (GDateTime) canceled_at = NULL;
  g_autoptr (GDateTime) before = g_date_time_new_now_utc ();
  gint64 order_id = json_object_get_int_member (order_of (created), "id");

  g_assert_true (json_object_get_null_member (order_of (created), "canceled_at"));
  for (guint i = 0; i < 2; i++)
    {
      g_autoptr (TillTestResponse) canceled =
          post_order (fixture, order_id, "cancel", fixture->server->cashier_token, NULL);
      g_autoptr (GDateTime) at = NULL;

      g_assert_cmpuint (canceled->status, ==, 200);
      g_assert_cmpstr (json_object_get_string_member (canceled->json, "status"), ==, "canceled");
      /* When it was canceled: after it was made, and the same when asked again. */
      at = time_member (canceled->json, "canceled_at");
      if (canceled_at == NULL)
        canceled_at = g_date_time_ref (at);
      g_assert_true (g_date_time_equal (at, canceled_at));
      g_assert_cmpint (g_date_time_compare (canceled_at, created_at), >=, 0);
      g_assert_cmpint (g_date_time_to_unix (canceled_at), >=, g_date_time_to_unix (before));
    }
  {
    g_autoptr (TillTestResponse) got = get_order (fixture, order_id);
    g_autoptr (GDateTime) at = NULL;

    g_assert_cmpuint (got->status, ==, 200);
    at = time_member (got->json, "canceled_at");
    g_assert_true (g_date_time_equal (at, canceled_at));
  }
  g_assert_cmpstr (json_object_get_string_member (
                       sim_intent (fixture, intent_of (created), &intent_response), "status"),
                   ==, "canceled");
  /* Nothing moves it back: not a sync, not a refund. */
  {
    g_autoptr (TillTestResponse) synced =
        post_order (fixture, order_id, "sync", fixture->server->cashier_token, NULL);
    g_assert_cmpstr (json_object_get_string_member (synced->json, "status"), ==, "canceled");
  }
  {
    g_autoptr (TillTestResponse) refund =
        post_order (fixture, order_id, "refunds", fixture->server->admin_token, NULL);
    g_assert_cmpuint (refund->status, ==, 409);
  }
}

static void
test_refunds (Fixture *fixture, gconstpointer data)
{
  gint64 order_id = paid_order (fixture, NULL);
  gint64 first_refund;

  {
    g_autoptr (TillTestResponse) forbidden = post_order (
        fixture, order_id, "refunds", fixture->server->cashier_token, "{\"amount\": 100}");
    g_assert_cmpuint (forbidden->status, ==, 403);
  }
  {
    g_autoptr (TillTestResponse) bad =
        refund (fixture, order_id, "r-bad", "{\"amount\": 100, \"reason\": \"because\"}");
    g_assert_cmpuint (bad->status, ==, 400);
  }
  {
    g_autoptr (TillTestResponse) partial = refund (
        fixture, order_id, "r-1", "{\"amount\": 300, \"reason\": \"requested_by_customer\"}");
    JsonObject *order;

    g_assert_cmpuint (partial->status, ==, 201);
    order = order_of (partial);
    g_assert_cmpstr (json_object_get_string_member (order, "status"), ==, "partially_refunded");
    g_assert_cmpint (json_object_get_int_member (order, "refunded"), ==, 300);
    g_assert_true (json_object_get_null_member (order, "canceled_at"));
    first_refund =
        json_object_get_int_member (json_object_get_object_member (partial->json, "refund"), "id");
  }
  {
    /* The same request again: the same refund, nothing more refunded. */
    g_autoptr (TillTestResponse) repeated = refund (
        fixture, order_id, "r-1", "{\"amount\": 300, \"reason\": \"requested_by_customer\"}");
    g_assert_cmpuint (repeated->status, ==, 200);
    g_assert_cmpint (
        json_object_get_int_member (json_object_get_object_member (repeated->json, "refund"), "id"),
        ==, first_refund);
    g_assert_cmpint (json_object_get_int_member (order_of (repeated), "refunded"), ==, 300);
  }
  {
    /* More than what remains (1039 − 300 = 739). */
    g_autoptr (TillTestResponse) too_much = refund (fixture, order_id, "r-2", "{\"amount\": 740}");
    g_assert_cmpuint (too_much->status, ==, 409);
    g_assert_cmpstr (till_test_error_code (too_much), ==, "invalid_state");
  }
  {
    /* No body at all: the rest. */
    g_autoptr (TillTestResponse) rest = refund (fixture, order_id, "r-3", NULL);
    g_assert_cmpuint (rest->status, ==, 201);
    g_assert_cmpstr (json_object_get_string_member (order_of (rest), "status"), ==, "refunded");
    g_assert_cmpint (json_object_get_int_member (order_of (rest), "refunded"), ==, 1039);
    g_assert_cmpuint (
        json_array_get_length (json_object_get_array_member (order_of (rest), "refunds")), ==, 2);
  }
  {
    g_autoptr (TillTestResponse) nothing_left =
        refund (fixture, order_id, "r-4", "{\"amount\": 1}");
    g_assert_cmpuint (nothing_left->status, ==, 409);
  }
  {
    /* Nothing moves a refunded order back. */
    g_autoptr (TillTestResponse) synced =
        post_order (fixture, order_id, "sync", fixture->server->cashier_token, NULL);
    g_assert_cmpstr (json_object_get_string_member (synced->json, "status"), ==, "refunded");
  }
}

/* ---------------------------------------------------------------------------------------- */
/* Reports */

static void
test_reports (Fixture *fixture, gconstpointer data)
{
  gint64 first = paid_order (fixture, NULL);
  gint64 second = paid_order (fixture, NULL);
  g_autoptr (GTimeZone) tz = g_time_zone_new_identifier ("Europe/Istanbul");
  g_autoptr (GDateTime) now = g_date_time_new_now (tz);
  g_autofree char *day = g_date_time_format (now, "%Y-%m-%d");
  g_autofree char *path = g_strdup_printf ("/api/v1/reports/daily?date=%s", day);
  g_autofree char *reference = till_test_new_reference ();
  g_autofree char *body = cart_body (fixture, reference);
  g_autoptr (TillTestResponse) pending = checkout (fixture, body);
  g_autofree char *by_intent = g_strconcat ("?q=", intent_of (pending), NULL);
  g_autofree char *by_reference = g_strconcat ("?q=", reference, NULL);

  {
    g_autoptr (TillTestResponse) refunded =
        refund (fixture, second, "report-refund", "{\"amount\": 39}");
    g_assert_cmpuint (refunded->status, ==, 201);
  }
  {
    g_autoptr (TillTestResponse) report =
        till_test_request (fixture->server, "GET", path, fixture->server->cashier_token, NULL);
    JsonArray *hours;
    gint64     sum = 0;

    g_assert_cmpuint (report->status, ==, 200);
    g_assert_cmpint (json_object_get_int_member (report->json, "gross"), ==, 2 * 1039);
    g_assert_cmpint (json_object_get_int_member (report->json, "refunds"), ==, 39);
    g_assert_cmpint (json_object_get_int_member (report->json, "net"), ==, 2 * 1039 - 39);
    g_assert_cmpint (json_object_get_int_member (report->json, "count"), ==, 2);
    g_assert_cmpint (json_object_get_int_member (report->json, "average"), ==, 1039);
    g_assert_cmpint (
        json_object_get_int_member (json_object_get_object_member (report->json, "by_status"),
                                    "pending_payment"),
        ==, 1);
    hours = json_object_get_array_member (report->json, "by_hour");
    for (guint i = 0; i < json_array_get_length (hours); i++)
      sum += json_object_get_int_member (json_array_get_object_element (hours, i), "gross");
    g_assert_cmpint (sum, ==, 2 * 1039);
    g_assert_cmpint (
        json_object_get_int_member (
            json_array_get_object_element (hours, g_date_time_get_hour (now)), "count"),
        >=, 1);
  }
  {
    /* By method (both Visa) and by tax rate: the rates' totals are the lines' of the sales,
     * which add up to the gross (no rounding in this currency). */
    g_autoptr (TillTestResponse) report =
        till_test_request (fixture->server, "GET", path, fixture->server->cashier_token, NULL);
    JsonArray  *methods = json_object_get_array_member (report->json, "by_method");
    JsonArray  *rates = json_object_get_array_member (report->json, "by_tax_rate");
    JsonObject *visa;
    gint64      total = 0, tax = 0;

    g_assert_cmpuint (json_array_get_length (methods), ==, 1);
    visa = json_array_get_object_element (methods, 0);
    g_assert_cmpstr (json_object_get_string_member (visa, "method"), ==, "card");
    g_assert_cmpstr (json_object_get_string_member (visa, "brand"), ==, "visa");
    g_assert_cmpint (json_object_get_int_member (visa, "count"), ==, 2);
    g_assert_cmpint (json_object_get_int_member (visa, "gross"), ==, 2 * 1039);
    g_assert_cmpint (json_object_get_int_member (visa, "refunds"), ==, 39);
    g_assert_cmpuint (json_array_get_length (rates), >=, 1);
    for (guint i = 0; i < json_array_get_length (rates); i++)
      {
        JsonObject *rate = json_array_get_object_element (rates, i);

        if (i > 0)
          g_assert_cmpint (json_object_get_int_member (rate, "tax_rate"), >,
                           json_object_get_int_member (json_array_get_object_element (rates, i - 1),
                                                       "tax_rate"));
        total += json_object_get_int_member (rate, "total");
        tax += json_object_get_int_member (rate, "tax");
      }
    g_assert_cmpint (total, ==, 2 * 1039);
    g_assert_cmpint (tax, >, 0);
  }
  {
    /* The days up to today: the last is today's, the same numbers as the daily report. */
    g_autofree char *days_path = g_strdup_printf ("/api/v1/reports/days?date=%s&days=30", day);
    g_autoptr (TillTestResponse) days =
        till_test_request (fixture->server, "GET", days_path, fixture->server->cashier_token, NULL);
    g_autoptr (TillTestResponse) default_days = till_test_request (
        fixture->server, "GET", "/api/v1/reports/days", fixture->server->cashier_token, NULL);
    g_autoptr (TillTestResponse) too_many =
        till_test_request (fixture->server, "GET", "/api/v1/reports/days?days=32",
                           fixture->server->cashier_token, NULL);
    g_autoptr (TillTestResponse) bad_date =
        till_test_request (fixture->server, "GET", "/api/v1/reports/days?date=2026-02-30",
                           fixture->server->cashier_token, NULL);
    JsonArray  *list;
    JsonObject *today;

    g_assert_cmpuint (days->status, ==, 200);
    list = json_object_get_array_member (days->json, "days");
    g_assert_cmpuint (json_array_get_length (list), ==, 30);
    today = json_array_get_object_element (list, 29);
    g_assert_cmpstr (json_object_get_string_member (today, "date"), ==, day);
    g_assert_cmpint (json_object_get_int_member (today, "count"), ==, 2);
    g_assert_cmpint (json_object_get_int_member (today, "gross"), ==, 2 * 1039);
    g_assert_cmpint (json_object_get_int_member (today, "refunds"), ==, 39);
    g_assert_cmpint (json_object_get_int_member (today, "net"), ==, 2 * 1039 - 39);
    g_assert_cmpint (json_object_get_int_member (json_array_get_object_element (list, 28), "count"),
                     ==, 0);
    g_assert_cmpuint (default_days->status, ==, 200);
    g_assert_cmpuint (
        json_array_get_length (json_object_get_array_member (default_days->json, "days")), ==, 7);
    g_assert_cmpuint (too_many->status, ==, 400);
    g_assert_cmpuint (bad_date->status, ==, 400);
  }
  {
    /* The order list's filters. The search goes through indexes: a number or its beginning
     * (as typed or in capitals), a number's digits, an intent, a client reference, a card's
     * last 4, a total; GLOB's own characters are taken as they are. */
    const struct
    {
      const char *query;
      guint       count;
    } filters[] = {
      { "", 3 },
      { "?q=t-000002", 1 },
      { "?q=3", 1 },
      { "?q=000003", 1 },
      { by_intent, 1 },
      { "?q=pi_NoSuchIntent", 0 },
      { "?q=pi_a%2Fb", 0 },
      { by_reference, 1 },
      { "?q=T-00000%3F", 0 },
      { "?q=T-*", 0 },
      { "?status=paid", 1 },
      { "?status=partially_refunded", 1 },
      { "?status=pending_payment", 1 },
      { "?q=T-000002", 1 },
      { "?q=T-0000", 3 },
      { "?q=crash", 0 },
      { "?q=4242", 2 },
      { "?q=0000", 0 },
      { "?q=10.39", 3 },
      { "?q=10,39", 3 },
      { "?q=10.40", 0 },
      { "?q=10.391", 0 },
      { "?from=2000-01-01T00:00:00Z", 3 },
      { "?from=2999-01-01T00:00:00Z", 0 },
      { "?to=2000-01-01T00:00:00Z", 0 },
      { "?from=2000-01-01T00:00:00%2B03:00&to=2999-01-01T00:00:00Z&status=paid", 1 },
    };

    for (guint i = 0; i < G_N_ELEMENTS (filters); i++)
      {
        g_autofree char *list_path = g_strconcat ("/api/v1/orders", filters[i].query, NULL);
        g_autoptr (TillTestResponse) list = till_test_request (
            fixture->server, "GET", list_path, fixture->server->cashier_token, NULL);

        g_test_message ("%s", list_path);
        g_assert_cmpuint (list->status, ==, 200);
        g_assert_cmpuint (
            json_array_get_length (json_object_get_array_member (list->json, "orders")), ==,
            filters[i].count);
      }
    {
      g_autoptr (TillTestResponse) bad =
          till_test_request (fixture->server, "GET", "/api/v1/orders?from=yesterday",
                             fixture->server->cashier_token, NULL);
      g_assert_cmpuint (bad->status, ==, 400);
    }
    {
      /* A client secret is not an intent's id: nothing is asked of Stripe (whose failed
       * requests are logged with their path: server-secrets-in-logs would find it). Not
       * printed here either, unlike the filters above. */
      g_autofree char *escaped = g_uri_escape_string (secret_of (pending), NULL, FALSE);
      g_autofree char *list_path = g_strconcat ("/api/v1/orders?q=", escaped, NULL);
      g_autoptr (TillTestResponse) list = till_test_request (fixture->server, "GET", list_path,
                                                             fixture->server->cashier_token, NULL);

      g_assert_cmpuint (list->status, ==, 200);
      g_assert_cmpuint (json_array_get_length (json_object_get_array_member (list->json, "orders")),
                        ==, 0);
    }
    {
      /* A search by an intent's id needs no Stripe: the database's index of intents finds
       * the order while Stripe cannot be reached too. */
      g_autofree char *list_path = g_strconcat ("/api/v1/orders", by_intent, NULL);
      g_autoptr (TillTestResponse) offline = NULL;

      till_test_sim_fault (fixture->sim, "500", 8);
      offline = till_test_request (fixture->server, "GET", list_path,
                                   fixture->server->cashier_token, NULL);
      till_test_sim_clear_faults (fixture->sim);
      g_assert_cmpuint (offline->status, ==, 200);
      g_assert_cmpuint (
          json_array_get_length (json_object_get_array_member (offline->json, "orders")), ==, 1);
    }
  }
  {
    g_autoptr (TillTestResponse) csv =
        till_test_request (fixture->server, "GET", "/api/v1/orders.csv?status=paid",
                           fixture->server->admin_token, NULL);
    const char *text = g_bytes_get_data (csv->body, NULL);

    g_assert_cmpuint (csv->status, ==, 200);
    g_assert_nonnull (strstr (text, "T-000001,"));
    g_assert_null (strstr (text, "T-000002,"));
    g_assert_nonnull (strstr (text, ",USD,9.20,0.00,1.19,0.00,10.39,0.00,pi_"));
    g_assert_nonnull (strstr (text, ",visa,4242\r\n"));
  }
  {
    /* A range of days (read through the index): today's has the paid order, tomorrow's
     * none, with a status too. */
    g_autoptr (GTimeZone) tz = g_time_zone_new_identifier ("Europe/Istanbul");
    g_autoptr (GDateTime) now = g_date_time_new_now (tz);
    g_autoptr (GDateTime) tomorrow = g_date_time_add_days (now, 1);
    g_autofree char *today_text = g_date_time_format (now, "%Y-%m-%d");
    g_autofree char *tomorrow_text = g_date_time_format (tomorrow, "%Y-%m-%d");
    g_autofree char *today_path =
        g_strdup_printf ("/api/v1/orders.csv?status=paid&from=%sT00:00:00&to=%sT00:00:00",
                         today_text, tomorrow_text);
    g_autofree char *tomorrow_path =
        g_strdup_printf ("/api/v1/orders.csv?from=%sT00:00:00", tomorrow_text);
    g_autoptr (TillTestResponse) today =
        till_test_request (fixture->server, "GET", today_path, fixture->server->admin_token, NULL);
    g_autoptr (TillTestResponse) later = till_test_request (fixture->server, "GET", tomorrow_path,
                                                            fixture->server->admin_token, NULL);
    g_autofree char *today_body =
        g_strndup (g_bytes_get_data (today->body, NULL), g_bytes_get_size (today->body));
    g_autofree char *later_body =
        g_strndup (g_bytes_get_data (later->body, NULL), g_bytes_get_size (later->body));
    g_auto (GStrv) later_lines = NULL;

    g_assert_cmpuint (today->status, ==, 200);
    g_assert_nonnull (strstr (today_body, "T-000001,"));
    g_assert_null (strstr (today_body, "T-000002,"));
    g_assert_cmpuint (later->status, ==, 200);
    later_lines = g_strsplit (later_body, "\r\n", -1);
    g_assert_cmpuint (g_strv_length (later_lines), ==, 2); /* the header, and "" */
  }
  (void) first;
}

static gboolean
no_export_running (gpointer user_data)
{
  return till_api_get_running_exports () == 0;
}

typedef struct
{
  GAsyncResult *result;
  gboolean      done;
} Awaited;

static void
on_awaited (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Awaited *awaited = user_data;

  awaited->result = g_object_ref (result);
  awaited->done = TRUE;
}

static gboolean
awaited_done (gpointer user_data)
{
  return ((Awaited *) user_data)->done;
}

/* Orders E-@first … E-@last of 10.80 USD, pending, written straight into the database. */
static void
insert_orders (TillDatabase *db, guint first, guint last)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *sql = g_strdup_printf (
      "WITH RECURSIVE n (i) AS (SELECT %u UNION ALL SELECT i + 1 FROM n WHERE i < %u)"
      " INSERT INTO orders (number, client_reference, status, currency, subtotal, discount, tax,"
      "                     rounding, total, created_at, updated_at)"
      " SELECT 'E-' || i, 'export-' || i, 'pending_payment', 'USD', 1000, 0, 80, 0, 1080,"
      "        1795000000000000 + i, 1795000000000000 + i FROM n",
      first, last);

  g_assert_true (till_database_exec (db, sql, &error));
  g_assert_no_error (error);
}

/* Reads what @stream gives next, running the main loop meanwhile; 0 at its end. */
static gssize
read_some (GInputStream *stream, char *buffer, gsize size)
{
  g_autoptr (GError) error = NULL;
  Awaited awaited = { NULL, FALSE };
  gssize  got;

  g_input_stream_read_async (stream, buffer, size, G_PRIORITY_DEFAULT, NULL, on_awaited, &awaited);
  g_assert_true (till_test_wait_until (awaited_done, &awaited, 20000));
  got = g_input_stream_read_finish (stream, awaited.result, &error);
  g_clear_object (&awaited.result);
  /* A connection cut short may also end with a reset. */
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED))
    return 0;
  g_assert_no_error (error);
  return got;
}

/* A client of GET /api/v1/orders.csv on a socket of its own, which has read the first bytes
 * of the answer (the status line is checked) and reads nothing more until told. */
static GSocketConnection *
start_export_reader (Fixture *fixture, const char *authorization)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GSocketClient) client = g_socket_client_new ();
  g_autoptr (GUri) uri = g_uri_parse (fixture->server->base, G_URI_FLAGS_NONE, &error);
  GSocketConnection *connection;
  g_autofree char   *request = NULL;
  Awaited            awaited = { NULL, FALSE };
  char               buffer[1024] = "";

  g_assert_no_error (error);
  g_socket_client_connect_to_host_async (
      client, g_uri_get_host (uri), (guint16) g_uri_get_port (uri), NULL, on_awaited, &awaited);
  g_assert_true (till_test_wait_until (awaited_done, &awaited, 20000));
  connection = g_socket_client_connect_to_host_finish (client, awaited.result, &error);
  g_assert_no_error (error);
  g_clear_object (&awaited.result);
  /* A few hundred bytes: the socket takes them at once. */
  request = g_strdup_printf ("GET /api/v1/orders.csv HTTP/1.1\r\nHost: %s\r\n"
                             "Authorization: %s\r\n\r\n",
                             g_uri_get_host (uri), authorization);
  g_assert_true (
      g_output_stream_write_all (g_io_stream_get_output_stream (G_IO_STREAM (connection)), request,
                                 strlen (request), NULL, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpint (read_some (g_io_stream_get_input_stream (G_IO_STREAM (connection)), buffer,
                              sizeof buffer - 1),
                   >, 0);
  g_assert_true (g_str_has_prefix (buffer, "HTTP/1.1 200"));
  return connection;
}

typedef struct
{
  guint count;
} RunningExports;

static gboolean
exports_running (gpointer user_data)
{
  return till_api_get_running_exports () == ((RunningExports *) user_data)->count;
}

/* Every order as CSV, sent as it is written (chunked), from a thread: 20,000 orders here. A
 * client that goes away midway stops the export, and so does one that stalls; at most two
 * run at once. */
static void
test_orders_export (Fixture *fixture, gconstpointer data)
{
  TillDatabase *db = till_api_get_database (fixture->server->api);
  g_autoptr (TillTestResponse) csv = NULL;
  g_autofree char *url = g_strconcat (fixture->server->base, "/api/v1/orders.csv", NULL);
  g_autofree char *authorization = g_strconcat ("Bearer ", fixture->server->admin_token, NULL);
  const char      *headers[] = { "Authorization", authorization, NULL };
  g_auto (GStrv) lines = NULL;
  const char *text;

  insert_orders (db, 1, 20000);

  csv = till_test_request_full (fixture->server->session, "GET", url, headers, NULL, NULL, -1);
  g_assert_cmpuint (csv->status, ==, 200);
  g_assert_cmpint (soup_message_headers_get_encoding (csv->headers), ==, SOUP_ENCODING_CHUNKED);
  g_assert_cmpstr (soup_message_headers_get_content_type (csv->headers, NULL), ==, "text/csv");
  text = g_bytes_get_data (csv->body, NULL);
  g_assert_true (g_str_has_prefix (text, "number,created_at,status,"));
  g_assert_true (g_str_has_suffix (text, "\r\n"));
  lines = g_strsplit (text, "\r\n", -1);
  /* The header, 20,000 orders, and the empty string after the last line break. */
  g_assert_cmpuint (g_strv_length (lines), ==, 20002);
  g_assert_true (g_str_has_prefix (lines[1], "E-1,"));
  g_assert_true (g_str_has_prefix (lines[20000], "E-20000,"));
  g_assert_nonnull (strstr (lines[20000], ",pending_payment,USD,10.00,0.00,0.80,0.00,10.80,0.00,"));
  g_assert_true (till_test_wait_until (no_export_running, NULL, 20000));

  /* Clients that read a little of a bigger export (300,000 orders, more than the socket
   * buffers hold) and then nothing: two exports run, waiting for them; a third is refused
   * until one is done. One client goes away: its thread stops. */
  insert_orders (db, 20001, 300000);
  {
    g_autoptr (GSocketConnection) first = start_export_reader (fixture, authorization);
    g_autoptr (GSocketConnection) second = start_export_reader (fixture, authorization);
    g_autoptr (TillTestResponse) refused = NULL;
    RunningExports running = { 2 };

    g_assert_true (till_test_wait_until (exports_running, &running, 20000));
    refused =
        till_test_request_full (fixture->server->session, "GET", url, headers, NULL, NULL, -1);
    g_assert_cmpuint (refused->status, ==, 429);
    g_assert_cmpstr (till_test_error_code (refused), ==, "rate_limited");
    g_assert_cmpstr (soup_message_headers_get_one (refused->headers, "Retry-After"), ==, "10");

    g_io_stream_close (G_IO_STREAM (first), NULL, NULL);
    running.count = 1;
    g_assert_true (till_test_wait_until (exports_running, &running, 20000));
    g_io_stream_close (G_IO_STREAM (second), NULL, NULL);
  }
  g_assert_true (till_test_wait_until (no_export_running, NULL, 20000));

  /* A client that stalls is cut off, without the last chunk: it cannot take what it got for
   * the whole file. */
  till_api_set_export_stall_timeout (fixture->server->api, 300);
  {
    g_autoptr (GSocketConnection) stalled = start_export_reader (fixture, authorization);
    GInputStream *input = g_io_stream_get_input_stream (G_IO_STREAM (stalled));
    g_autoptr (GByteArray) rest = g_byte_array_new ();
    char   buffer[65536];
    gssize got;

    g_assert_true (till_test_wait_until (no_export_running, NULL, 20000));
    while ((got = read_some (input, buffer, sizeof buffer)) > 0)
      g_byte_array_append (rest, (const guint8 *) buffer, (guint) got);
    g_assert_cmpuint (rest->len, >, 0);
    g_assert_cmpuint (rest->len, <, 30000000);
    g_assert_false (rest->len >= 5 && memcmp (rest->data + rest->len - 5, "0\r\n\r\n", 5) == 0);
  }
  {
    g_autoptr (TillTestResponse) products = till_test_request (
        fixture->server, "GET", "/api/v1/products", fixture->server->cashier_token, NULL);
    g_assert_cmpuint (products->status, ==, 200);
  }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  till_test_capture_logs ("test-server-orders");

#define ADD(path, setup, func)                                                                     \
  g_test_add (path, Fixture, setup, fixture_setup, func, fixture_teardown)
  ADD ("/server/orders/decline-and-retry", NULL, test_decline_and_retry);
  ADD ("/server/orders/cancel", NULL, test_cancel);
  ADD ("/server/orders/refunds", NULL, test_refunds);
  ADD ("/server/reports", NULL, test_reports);
  ADD ("/server/orders/export", NULL, test_orders_export);
#undef ADD

  return g_test_run ();
}
