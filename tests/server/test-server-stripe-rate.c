/* test-server-stripe-rate.c: Stripe's rate limits, met by till-server's Stripe client.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Stripe allows an account 100 requests a second in live mode and 25 in test mode, answers
 * 429 beyond, and 409 lock_timeout for an object another request holds
 * (docs.stripe.com/rate-limits). The client's own cases run against a stand-in server that
 * answers as told; the server's against the simulator with its limit on, many tills
 * checking out at once.
 */
#include "config.h"

#include "till-stripe-client.h"
#include "till-stripe-sim-private.h"
#include "till-terminals.h"
#include "till-test-fixture.h"

/* ---------------------------------------------------------------------------------------- */
/* The client against a stand-in */

typedef struct
{
  SoupServer *server;
  char       *base;
  guint       requests;
  guint       fail_first;   /* answer this many with status/code below, then 200 */
  guint       fail_status;  /* 409, 429 or 503 */
  const char *should_retry; /* Stripe-Should-Retry of the failures, or NULL */
} StandIn;

static void
on_stand_in_request (SoupServer        *server,
                     SoupServerMessage *msg,
                     const char        *path,
                     GHashTable        *query,
                     gpointer           user_data)
{
  StandIn            *stand_in = user_data;
  SoupMessageHeaders *headers = soup_server_message_get_response_headers (msg);
  const char         *body = "{\"id\": \"pi_standin\", \"object\": \"payment_intent\"}";
  guint               status = 200;

  stand_in->requests++;
  if (stand_in->requests <= stand_in->fail_first)
    {
      status = stand_in->fail_status;
      body = status == 409   ? "{\"error\": {\"type\": \"invalid_request_error\", \"code\": "
                               "\"lock_timeout\", \"message\": \"locked\"}}"
             : status == 429 ? "{\"error\": {\"type\": \"invalid_request_error\", \"code\": "
                               "\"rate_limit\", \"message\": \"too many\"}}"
                             : "{\"error\": {\"type\": \"api_error\", \"message\": \"down\"}}";
      if (stand_in->should_retry != NULL)
        soup_message_headers_replace (headers, "Stripe-Should-Retry", stand_in->should_retry);
    }
  soup_message_headers_replace (headers, "Request-Id", "req_standin");
  soup_server_message_set_status (msg, status, NULL);
  soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_COPY, body, strlen (body));
}

static StandIn *
stand_in_new (void)
{
  StandIn *stand_in = g_new0 (StandIn, 1);
  g_autoptr (GError) error = NULL;
  GSList *uris;

  stand_in->server = soup_server_new (NULL, NULL);
  soup_server_add_handler (stand_in->server, NULL, on_stand_in_request, stand_in, NULL);
  g_assert_true (
      soup_server_listen_local (stand_in->server, 0, SOUP_SERVER_LISTEN_IPV4_ONLY, &error));
  g_assert_no_error (error);
  uris = soup_server_get_uris (stand_in->server);
  stand_in->base = g_uri_to_string (uris->data);
  g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);
  return stand_in;
}

static void
stand_in_free (StandIn *stand_in)
{
  soup_server_disconnect (stand_in->server);
  g_object_unref (stand_in->server);
  g_free (stand_in->base);
  g_free (stand_in);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (StandIn, stand_in_free)

static TillStripeClient *
client_for (StandIn *stand_in)
{
  TillStripeClient *client = till_stripe_client_new (stand_in->base, TILL_TEST_SECRET_KEY);

  till_stripe_client_set_timeouts (client, 2000, 5000);
  till_stripe_client_set_retries (client, 3, 10);
  return client;
}

static TillStripeResponse *
request_async (TillStripeClient *client, GAsyncResult **result)
{
  till_stripe_client_request_async (client, "POST", "/v1/payment_intents", NULL, "key-1", NULL,
                                    till_test_store_result, result);
  return NULL;
}

static TillStripeResponse *
finish (TillStripeClient *client, GAsyncResult **result)
{
  g_autoptr (GError) error = NULL;
  TillStripeResponse *response;

  g_assert_nonnull (till_test_wait_result (result, TILL_TEST_DEADLINE_MS));
  response = till_stripe_client_request_finish (client, *result, &error);
  g_assert_no_error (error);
  g_clear_object (result);
  return response;
}

/* Two turns a second and a wait of 200 ms: of three requests at once, two are sent and the
 * third is answered at once, never sent, with when to ask again. */
static void
test_client_turns (void)
{
  g_autoptr (StandIn) stand_in = stand_in_new ();
  g_autoptr (TillStripeClient) client = client_for (stand_in);
  GAsyncResult *results[3] = { NULL };
  g_autoptr (TillStripeResponse) first = NULL;
  g_autoptr (TillStripeResponse) second = NULL;
  g_autoptr (TillStripeResponse) third = NULL;

  till_stripe_client_set_rate_limit (client, 2, 200);
  for (guint i = 0; i < 3; i++)
    request_async (client, &results[i]);
  first = finish (client, &results[0]);
  second = finish (client, &results[1]);
  third = finish (client, &results[2]);

  g_assert_cmpuint (first->status, ==, 200);
  g_assert_cmpuint (second->status, ==, 200);
  g_assert_cmpuint (stand_in->requests, ==, 2);
  g_assert_cmpuint (third->status, ==, 429);
  g_assert_true (third->throttled);
  g_assert_cmpuint (third->retry_after, ==, 1);
  g_assert_cmpstr (json_object_get_string_member (till_stripe_response_get_error (third), "code"),
                   ==, "rate_limit");
  g_assert_false (first->throttled);
  g_assert_cmpuint (first->retry_after, ==, 0);
  /* The next turn is within the second the first two started in. */
  g_assert_cmpuint (till_stripe_client_get_wait_ms (client), <=, 1000);
}

typedef struct
{
  TillStripeClient   *client;
  TillStripeResponse *responses[3];
  gint64              elapsed_us;
  gboolean            done;
} SyncRun;

static gboolean
on_sync_done (gpointer user_data)
{
  ((SyncRun *) user_data)->done = TRUE;
  return G_SOURCE_REMOVE;
}

static gpointer
sync_thread (gpointer user_data)
{
  SyncRun *run = user_data;
  gint64   started = g_get_monotonic_time ();

  for (guint i = 0; i < 3; i++)
    {
      g_autoptr (GError) error = NULL;

      run->responses[i] = till_stripe_client_request_sync (run->client, "GET", "/v1/events", NULL,
                                                           NULL, NULL, &error);
      g_assert_no_error (error);
    }
  run->elapsed_us = g_get_monotonic_time () - started;
  g_idle_add (on_sync_done, run);
  return NULL;
}

/* A worker thread's blocking requests (the reconciler's) take the same turns. */
static void
test_client_turns_sync (void)
{
  g_autoptr (StandIn) stand_in = stand_in_new ();
  g_autoptr (TillStripeClient) client = client_for (stand_in);
  SyncRun  run = { client };
  GThread *thread;

  till_stripe_client_set_rate_limit (client, 2, 200);
  thread = g_thread_new ("sync-requests", sync_thread, &run);
  g_assert_true (till_test_wait_for (&run.done, TILL_TEST_DEADLINE_MS));
  g_thread_join (thread);

  if (run.elapsed_us >= G_USEC_PER_SEC / 2)
    g_test_skip ("three requests took half a second: the window moved on");
  else
    {
      g_assert_cmpuint (run.responses[0]->status, ==, 200);
      g_assert_cmpuint (run.responses[1]->status, ==, 200);
      g_assert_cmpuint (run.responses[2]->status, ==, 429);
      g_assert_true (run.responses[2]->throttled);
      g_assert_cmpuint (stand_in->requests, ==, 2);
    }
  for (guint i = 0; i < 3; i++)
    till_stripe_response_free (run.responses[i]);
}

/* A 409 lock_timeout or a 429 is retried past max-retries (3) while the next try starts
 * within the wait: Stripe asks for backoff, not for giving up. */
static void
test_client_retries_within_wait (void)
{
  static const guint statuses[] = { 409, 429 };

  for (guint i = 0; i < G_N_ELEMENTS (statuses); i++)
    {
      g_autoptr (StandIn) stand_in = stand_in_new ();
      g_autoptr (TillStripeClient) client = client_for (stand_in);
      GAsyncResult *result = NULL;
      g_autoptr (TillStripeResponse) response = NULL;

      stand_in->fail_first = 6;
      stand_in->fail_status = statuses[i];
      stand_in->should_retry = "true";
      till_stripe_client_set_rate_limit (client, 100, 10000);
      request_async (client, &result);
      response = finish (client, &result);
      g_assert_cmpuint (response->status, ==, 200);
      g_assert_cmpuint (response->attempts, ==, 7);
      g_assert_cmpuint (stand_in->requests, ==, 7);
    }
}

/* A 429 that lasts beyond the wait ends the request with Stripe's answer and when to ask
 * again; the tries stop within the wait. */
static void
test_client_limited_past_wait (void)
{
  g_autoptr (StandIn) stand_in = stand_in_new ();
  g_autoptr (TillStripeClient) client = client_for (stand_in);
  GAsyncResult *result = NULL;
  g_autoptr (TillStripeResponse) response = NULL;

  stand_in->fail_first = G_MAXUINT;
  stand_in->fail_status = 429;
  stand_in->should_retry = "true";
  till_stripe_client_set_rate_limit (client, 100, 300);
  request_async (client, &result);
  response = finish (client, &result);
  g_assert_cmpuint (response->status, ==, 429);
  g_assert_false (response->throttled);
  g_assert_cmpuint (response->retry_after, >=, 1);
  g_assert_cmpstr (response->request_id, ==, "req_standin");
  /* max-retries at least; backoff of 10, 20, 40, 80, 80… ms leaves at most 9 in 300 ms. */
  g_assert_cmpuint (stand_in->requests, >=, 4);
  g_assert_cmpuint (stand_in->requests, <=, 9);
  g_assert_cmpuint (response->attempts, ==, stand_in->requests);
}

/* Stripe-Should-Retry: false is obeyed, even for a status worth a retry otherwise. */
static void
test_client_should_retry_false (void)
{
  g_autoptr (StandIn) stand_in = stand_in_new ();
  g_autoptr (TillStripeClient) client = client_for (stand_in);
  GAsyncResult *result = NULL;
  g_autoptr (TillStripeResponse) response = NULL;

  stand_in->fail_first = G_MAXUINT;
  stand_in->fail_status = 503;
  stand_in->should_retry = "false";
  request_async (client, &result);
  response = finish (client, &result);
  g_assert_cmpuint (response->status, ==, 503);
  g_assert_cmpuint (stand_in->requests, ==, 1);
}

/* ---------------------------------------------------------------------------------------- */
/* till-server and the simulator */

typedef struct
{
  guint sim_limit;    /* the account's limit at "Stripe" (0: none) */
  guint server_limit; /* [stripe] rate-limit */
  guint server_wait;  /* [stripe] rate-limit-wait, seconds */
} RateSetup;

static void
configure_rate (TillServerConfig *config, gpointer user_data)
{
  const RateSetup *setup = user_data;

  config->stripe_rate_limit = (int) setup->server_limit;
  config->stripe_rate_wait = (int) setup->server_wait;
}

static void
rate_setup (Fixture *fixture, gconstpointer data)
{
  const RateSetup *setup = data;
  g_autoptr (GError) error = NULL;

  fixture->sim = till_test_sim_new ();
  fixture->server = till_test_server_new (fixture->sim->base, configure_rate, (gpointer) setup);
  till_api_load_demo_catalog (till_api_get_database (fixture->server->api), "USD", &error);
  g_assert_no_error (error);
  till_stripe_sim_set_rate_limit (TILL_STRIPE_SIM (fixture->sim->sim), setup->sim_limit);
}

static guint
sim_refused (Fixture *fixture)
{
  TillStripeSimCounts counts;

  till_stripe_sim_get_counts (TILL_STRIPE_SIM (fixture->sim->sim), &counts);
  return counts.rate_limited;
}

typedef struct
{
  guint       status;
  char       *retry_after;
  JsonObject *json;
} Answer;

typedef struct
{
  guint   pending;
  Answer *answers;
} Burst;

typedef struct
{
  Burst *burst;
  guint  index;
} Sent;

static void
on_sent (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Sent        *sent = user_data;
  Answer      *answer = &sent->burst->answers[sent->index];
  SoupMessage *msg = soup_session_get_async_result_message (SOUP_SESSION (source), result);
  g_autoptr (GBytes) body = soup_session_send_and_read_finish (SOUP_SESSION (source), result, NULL);
  g_autoptr (JsonParser) parser = json_parser_new ();

  answer->status = soup_message_get_status (msg);
  answer->retry_after = g_strdup (
      soup_message_headers_get_one (soup_message_get_response_headers (msg), "Retry-After"));
  if (body != NULL && json_parser_load_from_data (parser, g_bytes_get_data (body, NULL),
                                                  (gssize) g_bytes_get_size (body), NULL))
    answer->json = json_object_ref (json_node_get_object (json_parser_get_root (parser)));
  sent->burst->pending--;
  g_free (sent);
}

static gboolean
burst_done (gpointer user_data)
{
  return ((Burst *) user_data)->pending == 0;
}

/* Sends every checkout of @bodies at once, body i with token i, and waits for the answers. */
static Answer *
checkout_burst (Fixture *fixture, char **bodies, char **tokens, guint n)
{
  g_autofree char *url = g_strconcat (fixture->server->base, "/api/v1/checkouts", NULL);
  Burst            burst = { 0, g_new0 (Answer, n) };

  for (guint i = 0; i < n; i++)
    {
      g_autoptr (SoupMessage) msg = soup_message_new ("POST", url);
      g_autoptr (GBytes) bytes = g_bytes_new (bodies[i], strlen (bodies[i]));
      g_autofree char *authorization = g_strconcat ("Bearer ", tokens[i], NULL);
      Sent            *sent = g_new0 (Sent, 1);

      sent->burst = &burst;
      sent->index = i;
      soup_message_headers_replace (soup_message_get_request_headers (msg), "Authorization",
                                    authorization);
      soup_message_set_request_body_from_bytes (msg, "application/json", bytes);
      burst.pending++;
      soup_session_send_and_read_async (fixture->server->session, msg, G_PRIORITY_DEFAULT, NULL,
                                        on_sent, sent);
    }
  g_assert_true (till_test_wait_until (burst_done, &burst, 60000));
  return burst.answers;
}

static void
answer_clear (Answer *answer)
{
  g_clear_pointer (&answer->retry_after, g_free);
  g_clear_pointer (&answer->json, json_object_unref);
}

static void
answers_free (Answer *answers, guint n)
{
  for (guint i = 0; i < n; i++)
    answer_clear (&answers[i]);
  g_free (answers);
}

/* @n_tills terminals, and @n checkout bodies spread over them. */
static void
make_checkouts (Fixture *fixture, guint n_tills, guint n, char ***out_bodies, char ***out_tokens)
{
  TillDatabase *db = till_api_get_database (fixture->server->api);
  g_autoptr (GPtrArray) tills = g_ptr_array_new_with_free_func (g_free);
  char **bodies = g_new0 (char *, n + 1);
  char **tokens = g_new0 (char *, n + 1);

  for (guint i = 0; i < n_tills; i++)
    {
      g_autoptr (GError) error = NULL;
      g_autofree char *name = g_strdup_printf ("till-%u", i);

      g_ptr_array_add (tills, till_terminals_add (db, name, TILL_ROLE_CASHIER, NULL, &error));
      g_assert_no_error (error);
    }
  for (guint i = 0; i < n; i++)
    {
      g_autofree char *reference = till_test_new_reference ();

      bodies[i] = cart_body (fixture, reference);
      tokens[i] = g_strdup (tills->pdata[i % n_tills]);
    }
  *out_bodies = bodies;
  *out_tokens = tokens;
}

/* Every checkout of @answers was answered with its order (201, or 200 for one sent again)
 * and has exactly one intent at Stripe. */
static void
assert_all_sold (Fixture *fixture, Answer *answers, guint n)
{
  /* The checks' own calls are not the shop's traffic. */
  till_stripe_sim_set_rate_limit (TILL_STRIPE_SIM (fixture->sim->sim), 0);
  for (guint i = 0; i < n; i++)
    {
      gint64 order_id;

      if (answers[i].status != 201 && answers[i].status != 200)
        g_error (
            "checkout %u answered %u (%s)", i, answers[i].status,
            answers[i].json != NULL
                ? till_json_to_string (json_object_get_member (answers[i].json, "error"), FALSE)
                : "no body");
      order_id = json_object_get_int_member (
          json_object_get_object_member (answers[i].json, "order"), "id");
      g_assert_cmpuint (till_test_sim_count_intents (fixture->sim, order_id), ==, 1);
    }
}

/* Ten tills offer three times the account's limit at once; till-server keeps under it (8 of
 * Stripe's 10 a second here, as 20 of 25 by default), queues the rest, and no sale fails. */
static void
test_under_limit (Fixture *fixture, gconstpointer data)
{
  const guint n = 30;
  g_auto (GStrv) bodies = NULL;
  g_auto (GStrv) tokens = NULL;
  Answer *answers;

  make_checkouts (fixture, 10, n, &bodies, &tokens);
  answers = checkout_burst (fixture, bodies, tokens, n);
  /* Stripe counts arrivals, the client turns it gives out: the first tries' arrivals may
   * bunch up behind new connections, so Stripe may still refuse a few, retried in time. */
  assert_all_sold (fixture, answers, n);
  answers_free (answers, n);
}

/* The same when Stripe refuses some (a web shop on the same account took its share: the
 * server's 15 a second are more than the 10 left): each 429 is retried within the wait. */
static void
test_over_limit (Fixture *fixture, gconstpointer data)
{
  const guint n = 30;
  g_auto (GStrv) bodies = NULL;
  g_auto (GStrv) tokens = NULL;
  Answer *answers;

  make_checkouts (fixture, 10, n, &bodies, &tokens);
  answers = checkout_burst (fixture, bodies, tokens, n);
  g_assert_cmpuint (sim_refused (fixture), >, 0);
  assert_all_sold (fixture, answers, n);
  answers_free (answers, n);
}

/* Stripe's 409 lock_timeout and 429, six in a row, are retried past max-retries (3). */
static void
test_lock_timeout (Fixture *fixture, gconstpointer data)
{
  static const char *const faults[] = { "lock-timeout", "429" };

  for (guint i = 0; i < G_N_ELEMENTS (faults); i++)
    {
      g_autofree char *reference = till_test_new_reference ();
      g_autofree char *body = cart_body (fixture, reference);
      g_autoptr (TillTestResponse) response = NULL;

      till_test_sim_fault (fixture->sim, faults[i], 6);
      response = checkout (fixture, body);
      g_assert_cmpuint (response->status, ==, 201);
      g_assert_cmpuint (till_test_sim_count_intents (
                            fixture->sim, json_object_get_int_member (order_of (response), "id")),
                        ==, 1);
    }
}

/* Two turns a second and a wait of one: of eight checkouts at once some cannot go in time.
 * They are told at once (503 with Retry-After and the same seconds in words); after that
 * long, one sent again goes at once, and every sale gets through with one intent. */
static void
test_told_to_wait (Fixture *fixture, gconstpointer data)
{
  const guint n = 8;
  g_auto (GStrv) bodies = NULL;
  g_auto (GStrv) tokens = NULL;
  Answer *answers;
  guint   made = 0, told = 0;

  make_checkouts (fixture, 4, n, &bodies, &tokens);
  answers = checkout_burst (fixture, bodies, tokens, n);
  for (guint i = 0; i < n; i++)
    {
      guint64          seconds = 0;
      JsonObject      *error;
      g_autofree char *words = NULL;

      if (answers[i].status == 201)
        {
          made++;
          continue;
        }
      g_assert_cmpuint (answers[i].status, ==, 503);
      error = json_object_get_object_member (answers[i].json, "error");
      g_assert_cmpstr (json_object_get_string_member (error, "code"), ==,
                       "payment_provider_unavailable");
      g_assert_nonnull (answers[i].retry_after);
      g_assert_true (
          g_ascii_string_to_unsigned (answers[i].retry_after, 10, 1, 10, &seconds, NULL));
      words = g_strdup_printf ("try again in %" G_GUINT64_FORMAT " second", seconds);
      g_assert_nonnull (strstr (json_object_get_string_member (error, "message"), words));
      told++;
    }
  g_assert_cmpuint (made, >=, 2);
  g_assert_cmpuint (told, >=, 1);
  g_assert_cmpuint (made + told, ==, n);

  /* Each refused one is sent again after the time it was told, one at a time. */
  for (guint i = 0; i < n; i++)
    {
      while (answers[i].status != 201 && answers[i].status != 200)
        {
          guint64 seconds = g_ascii_strtoull (answers[i].retry_after, NULL, 10);
          gint64  deadline = g_get_monotonic_time () + (gint64) seconds * G_USEC_PER_SEC;
          Answer *again;

          g_assert_cmpuint (answers[i].status, ==, 503);
          till_test_wait_until (till_test_time_passed, &deadline, (guint) seconds * 1000 + 1000);
          again = checkout_burst (fixture, &bodies[i], &tokens[i], 1);
          /* Told truthfully: after that long, nothing else waiting, it goes (200: the
           * reference's order, made the first time, now with its intent). */
          g_assert_cmpuint (again[0].status, ==, 200);
          answer_clear (&answers[i]);
          answers[i] = again[0];
          g_free (again);
        }
    }
  assert_all_sold (fixture, answers, n);
  answers_free (answers, n);
}

int
main (int argc, char **argv)
{
  static const RateSetup under = { .sim_limit = 10, .server_limit = 8, .server_wait = 10 };
  static const RateSetup over = { .sim_limit = 10, .server_limit = 15, .server_wait = 10 };
  static const RateSetup slow = { .sim_limit = 0, .server_limit = 2, .server_wait = 1 };
  static const RateSetup plain = { .sim_limit = 0, .server_limit = 0, .server_wait = 10 };

  g_test_init (&argc, &argv, NULL);
  till_test_capture_logs ("test-server-stripe-rate");

  g_test_add_func ("/server/stripe-rate/client/turns", test_client_turns);
  g_test_add_func ("/server/stripe-rate/client/turns-sync", test_client_turns_sync);
  g_test_add_func ("/server/stripe-rate/client/retries-within-wait",
                   test_client_retries_within_wait);
  g_test_add_func ("/server/stripe-rate/client/limited-past-wait", test_client_limited_past_wait);
  g_test_add_func ("/server/stripe-rate/client/should-retry-false", test_client_should_retry_false);
#define ADD(path, setup, func) g_test_add (path, Fixture, setup, rate_setup, func, fixture_teardown)
  ADD ("/server/stripe-rate/under-limit", &under, test_under_limit);
  ADD ("/server/stripe-rate/over-limit", &over, test_over_limit);
  ADD ("/server/stripe-rate/lock-timeout", &plain, test_lock_timeout);
  ADD ("/server/stripe-rate/told-to-wait", &slow, test_told_to_wait);
#undef ADD
  return g_test_run ();
}
