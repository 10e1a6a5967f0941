/* test-server-cli-crash.c: till-server killed (kill -9) right after a checkout's answer and
 * in the middle of one, and the restart that reconciles with Stripe.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <sqlite3.h>

#include "till-database.h"

#include "till-test-cli.h"

typedef struct
{
  SoupSession *session;
  const char  *url;
  const char  *token;
  const char  *want;
} Poll;

static gboolean
order_has_status (gpointer user_data)
{
  Poll            *poll = user_data;
  g_autofree char *authorization = g_strconcat ("Bearer ", poll->token, NULL);
  const char      *headers[] = { "Authorization", authorization, NULL };
  g_autoptr (TillTestResponse) response =
      till_test_request_full (poll->session, "GET", poll->url, headers, NULL, NULL, 0);

  return response->status == 200 &&
         g_strcmp0 (json_object_get_string_member (response->json, "status"), poll->want) == 0;
}

typedef struct
{
  TillTestSim *sim;
} SimPoll;

static gboolean
sim_has_delayed_request (gpointer user_data)
{
  SimPoll *poll = user_data;
  g_autoptr (TillTestResponse) faults = till_test_sim_call (poll->sim, "GET", "/_sim/faults", NULL);

  return json_object_get_int_member (faults->json, "delayed_requests") > 0;
}

static gboolean
sim_has_no_delayed_request (gpointer user_data)
{
  return !sim_has_delayed_request (user_data);
}

static char *
find_intent_of_order (TillTestSim *sim, gint64 order_id)
{
  g_autoptr (TillTestResponse) events =
      till_test_sim_call (sim, "GET", "/v1/events?type=payment_intent.created&limit=100", NULL);
  JsonArray       *data = json_object_get_array_member (events->json, "data");
  g_autofree char *wanted = g_strdup_printf ("%" G_GINT64_FORMAT, order_id);

  for (guint i = 0; i < json_array_get_length (data); i++)
    {
      JsonObject *intent = json_object_get_object_member (
          json_object_get_object_member (json_array_get_object_element (data, i), "data"),
          "object");

      if (g_strcmp0 (json_object_get_string_member (
                         json_object_get_object_member (intent, "metadata"), "till_order_id"),
                     wanted) == 0)
        return g_strdup (json_object_get_string_member (intent, "id"));
    }
  return NULL;
}

static gint64
count_payments_with (CliFixture *fixture, const char *intent)
{
  g_autoptr (TillDatabase) db = till_database_open (fixture->db, NULL);
  sqlite3_stmt *stmt;
  gint64        count;

  g_assert_nonnull (db);
  stmt =
      till_database_prepare (db, "SELECT count (*) FROM payments WHERE payment_intent = ?", NULL);
  till_database_bind_text (stmt, 1, intent);
  g_assert_cmpint (till_database_step (db, stmt, NULL), ==, SQLITE_ROW);
  count = sqlite3_column_int64 (stmt, 0);
  sqlite3_reset (stmt);
  return count;
}

/* A checkout's answer carries the client secret a till charges with: the intent it names is
 * in the database before the answer leaves, so a kill -9 right after the answer (or a power
 * cut) never leaves an order a card was charged for without its intent. */
static void
test_intent_stored_before_answer (CliFixture *fixture, gconstpointer data)
{
  g_autoptr (TillTestSim) sim = till_test_sim_new ();
  g_autofree char *token = cli_add_terminal (fixture, "till", "cashier");
  g_autofree char *catalog = cli_write_file (fixture, "catalog.csv",
                                             "sku,barcode,name,price,currency,tax_rate,category\n"
                                             "A,,Ayran,1.40,USD,8,Drinks\n",
                                             0644);
  g_autofree char *contents =
      g_strdup_printf ("[store]\ncurrency=USD\n[server]\nlisten=127.0.0.1:0\ndatabase=%s\n"
                       "[reconciler]\ninterval=3600\n"
                       "[stripe]\napi-base=%s\nsecret-key=%s\n",
                       fixture->db, sim->base, TILL_TEST_SECRET_KEY);
  g_autofree char *config = cli_write_file (fixture, "till.conf", contents, 0600);
  const char      *argv[] = { "--config", config, NULL };
  g_autofree char *authorization = g_strconcat ("Bearer ", token, NULL);
  const char      *headers[] = { "Authorization", authorization, NULL };
  g_autoptr (SoupSession) session = soup_session_new_with_options ("timeout", 30, NULL);
  g_autoptr (GPtrArray) answered = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *url = NULL;
  TillTestCli     *running;

  {
    const char *import[] = { "--config", config, "catalog", "import", catalog, NULL };
    g_assert_cmpint (cli_run (import, NULL, NULL, NULL), ==, 0);
  }
  running = cli_start (argv, NULL);
  url = g_strconcat (running->base, "/api/v1/checkouts", NULL);
  for (guint i = 1; i <= 3; i++)
    {
      g_autofree char *body = g_strdup_printf ("{\"client_reference\": \"kill-%u\","
                                               " \"currency\": \"USD\", \"lines\": ["
                                               "{\"product_id\": 1, \"quantity\": %u}]}",
                                               i, i);
      g_autoptr (TillTestResponse) created =
          till_test_request_full (session, "POST", url, headers, "application/json", body, -1);

      g_assert_cmpuint (created->status, ==, 201);
      g_ptr_array_add (answered, g_strdup (json_object_get_string_member (
                                     json_object_get_object_member (created->json, "payment"),
                                     "payment_intent")));
      /* Committed by the time the answer is read (another connection sees it). */
      g_assert_cmpint (count_payments_with (fixture, answered->pdata[i - 1]), ==, 1);
    }
  /* And after a kill -9 at once. */
  cli_stop (running, TRUE);
  for (guint i = 0; i < answered->len; i++)
    g_assert_cmpint (count_payments_with (fixture, answered->pdata[i]), ==, 1);
}

static void
test_crash_and_reconcile (CliFixture *fixture, gconstpointer data)
{
  g_autoptr (TillTestSim) sim = till_test_sim_new ();
  g_autofree char *token = cli_add_terminal (fixture, "till", "cashier");
  g_autofree char *catalog =
      cli_write_file (fixture, "catalog.csv",
                      "sku,barcode,name,price,currency,tax_rate,category\n"
                      "A,,Ayran,1.40,USD,8,Drinks\nB,,Börek,3.20,USD,8,Deli\n",
                      0644);
  /* The first run never reconciles (nothing may touch the simulator's fault queue but the
   * checkout under test); the second reconciles every second. */
  g_autofree char *contents =
      g_strdup_printf ("[store]\ncurrency=USD\n[server]\nlisten=127.0.0.1:0\ndatabase=%s\n"
                       "[reconciler]\ninterval=3600\nsync-after=1\n"
                       "[stripe]\napi-base=%s\nsecret-key=%s\n",
                       fixture->db, sim->base, TILL_TEST_SECRET_KEY);
  g_autofree char *restart_contents =
      g_strdup_printf ("[store]\ncurrency=USD\n[server]\nlisten=127.0.0.1:0\ndatabase=%s\n"
                       "[reconciler]\ninterval=1\nsync-after=1\n"
                       "[stripe]\napi-base=%s\nsecret-key=%s\n",
                       fixture->db, sim->base, TILL_TEST_SECRET_KEY);
  g_autofree char *config = cli_write_file (fixture, "till.conf", contents, 0600);
  g_autofree char *restart_config =
      cli_write_file (fixture, "restart.conf", restart_contents, 0600);
  const char *argv[] = { "--config", config, NULL };
  const char *restart_argv[] = { "--config", restart_config, NULL };
  const char *env[] = { "TILL_STRIPE_RETRY_BASE_MS=10", NULL };
  g_autoptr (GPtrArray) intents = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *authorization = g_strconcat ("Bearer ", token, NULL);
  const char      *headers[] = { "Authorization", authorization, NULL };
  g_autoptr (SoupSession) session = soup_session_new_with_options ("timeout", 30, NULL);
  g_autofree char *url = NULL;
  TillTestCli     *running;
  SimPoll          sim_poll = { sim };

  {
    const char *import[] = { "--config", config, "catalog", "import", catalog, NULL };
    g_assert_cmpint (cli_run (import, NULL, NULL, NULL), ==, 0);
  }
  running = cli_start (argv, env);
  url = g_strconcat (running->base, "/api/v1/checkouts", NULL);

  /* Five sales; three are paid at Stripe, none synced. */
  for (guint i = 1; i <= 5; i++)
    {
      g_autofree char *body = g_strdup_printf ("{\"client_reference\": \"crash-%u\","
                                               " \"currency\": \"USD\", \"lines\": ["
                                               "{\"product_id\": 1, \"quantity\": %u},"
                                               "{\"product_id\": 2, \"quantity\": 1}]}",
                                               i, i);
      g_autoptr (TillTestResponse) created =
          till_test_request_full (session, "POST", url, headers, "application/json", body, -1);
      const char *intent;

      g_assert_cmpuint (created->status, ==, 201);
      intent = json_object_get_string_member (
          json_object_get_object_member (created->json, "payment"), "payment_intent");
      g_ptr_array_add (intents, g_strdup (intent));
      if (i <= 3)
        g_assert_cmpuint (till_test_sim_confirm (sim, intent, "pm_card_visa"), ==, 200);
    }

  /* The sixth: killed while Stripe is still working on its intent. */
  till_test_sim_fault (sim, "delay=1500", 1);
  {
    g_autoptr (SoupMessage) msg = soup_message_new ("POST", url);
    static const char body[] = "{\"client_reference\": \"crash-6\", \"currency\": \"USD\","
                               " \"lines\": [{\"product_id\": 2, \"quantity\": 4}]}";
    g_autoptr (GBytes) bytes = g_bytes_new_static (body, strlen (body));

    soup_message_headers_replace (soup_message_get_request_headers (msg), "Authorization",
                                  authorization);
    soup_message_set_request_body_from_bytes (msg, "application/json", bytes);
    soup_session_send_and_read_async (session, msg, G_PRIORITY_DEFAULT, NULL, NULL, NULL);
  }
  g_assert_true (till_test_wait_until (sim_has_delayed_request, &sim_poll, 10000));
  cli_stop (running, TRUE);

  /* Stripe finishes the intent anyway, and (say) the customer pays it. */
  {
    g_autofree char *sixth = NULL;

    g_assert_true (till_test_wait_until (sim_has_no_delayed_request, &sim_poll, 10000));
    sixth = find_intent_of_order (sim, 6);
    g_assert_nonnull (sixth);
    g_assert_cmpuint (till_test_sim_confirm (sim, sixth, "pm_card_visa"), ==, 200);
    g_ptr_array_add (intents, g_steal_pointer (&sixth));
  }

  /* Restart: the reconciler finds every succeeded intent and pays its order. */
  running = cli_start (restart_argv, env);
  for (guint i = 0; i < intents->len; i++)
    {
      gint64           order_id = i + 1;
      g_autofree char *order_url =
          g_strdup_printf ("%s/api/v1/orders/%" G_GINT64_FORMAT, running->base, order_id);
      Poll poll = { session, order_url, token, i < 3 || i == 5 ? "paid" : "pending_payment" };

      if (!till_test_wait_until (order_has_status, &poll, 20000))
        g_error ("order %" G_GINT64_FORMAT " did not become %s", order_id, poll.want);
      g_assert_cmpuint (till_test_sim_count_intents (sim, order_id), ==, 1);
    }
  cli_stop (running, FALSE);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  till_test_capture_logs ("test-server-cli-crash");

#define ADD(path, func)                                                                            \
  g_test_add (path, CliFixture, NULL, cli_fixture_setup, func, cli_fixture_teardown)
  ADD ("/server/cli/intent-stored-before-answer", test_intent_stored_before_answer);
  ADD ("/server/cli/crash-and-reconcile", test_crash_and_reconcile);
#undef ADD

  return g_test_run ();
}
