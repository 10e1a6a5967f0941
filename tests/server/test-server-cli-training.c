/* test-server-cli-training.c: till-server --training: the embedded simulator, terminals
 * handed to "Try It in Training Mode", a whole sale, and what the simulator remembers.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "till-test-cli.h"

static void
test_training (CliFixture *fixture, gconstpointer data)
{
  g_autofree char *token = cli_add_terminal (fixture, "kiosk", "cashier");
  const char      *argv[] = { "--db", fixture->db, "--training", "--listen", "127.0.0.1:0", NULL };
  TillTestCli     *running = cli_start (argv, NULL);
  g_autoptr (SoupSession) session = soup_session_new ();
  g_autofree char *authorization = g_strconcat ("Bearer ", token, NULL);
  const char      *headers[] = { "Authorization", authorization, NULL };

  g_assert_nonnull (strstr (running->first_line, "(training mode)"));
  {
    g_autofree char *url = g_strconcat (running->base, "/healthz", NULL);
    g_autoptr (TillTestResponse) health =
        till_test_request_full (session, "GET", url, NULL, NULL, NULL, 0);
    g_assert_cmpuint (health->status, ==, 200);
  }
  {
    g_autofree char *url = g_strconcat (running->base, "/api/v1/config", NULL);
    g_autoptr (TillTestResponse) config =
        till_test_request_full (session, "GET", url, headers, NULL, NULL, 0);
    g_assert_cmpstr (json_object_get_string_member (config->json, "mode"), ==, "training");
    /* The demo catalog's own currency and prices, tax included, as its shops write them:
     * not its euro figures shown as dollars. */
    g_assert_cmpstr (json_object_get_string_member (config->json, "currency"), ==, "EUR");
    g_assert_true (json_object_get_boolean_member (config->json, "prices_include_tax"));
    g_assert_true (g_str_has_prefix (json_object_get_string_member (config->json, "stripe_js_url"),
                                     "http://127.0.0.1:"));
  }
  {
    g_autofree char *url = g_strconcat (running->base, "/api/v1/products?q=simid", NULL);
    g_autoptr (TillTestResponse) products =
        till_test_request_full (session, "GET", url, headers, NULL, NULL, 0);
    JsonArray  *list = json_object_get_array_member (products->json, "products");
    JsonObject *simit;

    g_assert_cmpuint (json_array_get_length (list), ==, 1);
    /* "İstanbul Simidi,0.90,EUR" in data/demo-catalog.csv. */
    simit = json_array_get_object_element (list, 0);
    g_assert_cmpstr (json_object_get_string_member (simit, "currency"), ==, "EUR");
    g_assert_cmpint (json_object_get_int_member (simit, "unit_amount"), ==, 90);
  }
  {
    /* "Try It in Training Mode": a cashier terminal for this computer, only for a JSON body
     * (a browser page cannot send one without a preflight). */
    g_autofree char *url = g_strconcat (running->base, "/api/v1/training/terminals", NULL);
    g_autoptr (TillTestResponse) plain =
        till_test_request_full (session, "POST", url, NULL, "text/plain", "{}", -1);
    g_autoptr (TillTestResponse) extra = till_test_request_full (
        session, "POST", url, NULL, "application/json", "{\"role\": \"admin\"}", -1);
    g_autoptr (TillTestResponse) handed =
        till_test_request_full (session, "POST", url, NULL, "application/json", "{}", -1);
    g_autofree char *products_url = g_strconcat (running->base, "/api/v1/products", NULL);
    g_autofree char *bearer = NULL;
    const char      *token;

    g_assert_cmpuint (plain->status, ==, 415);
    g_assert_cmpuint (extra->status, ==, 400);
    g_assert_cmpuint (handed->status, ==, 201);
    g_assert_cmpstr (json_object_get_string_member (handed->json, "role"), ==, "cashier");
    token = json_object_get_string_member (handed->json, "token");
    g_assert_nonnull (token);
    bearer = g_strconcat ("Bearer ", token, NULL);
    {
      const char *with_token[] = { "Authorization", bearer, NULL };
      g_autoptr (TillTestResponse) products =
          till_test_request_full (session, "GET", products_url, with_token, NULL, NULL, 0);
      g_autoptr (TillTestResponse) create = till_test_request_full (
          session, "POST", products_url, with_token, "application/json",
          "{\"name\": \"Ayran\", \"unit_amount\": 100, \"tax_rate\": 800}", -1);

      g_assert_cmpuint (products->status, ==, 200);
      /* A cashier: it sells, it does not edit the catalog. */
      g_assert_cmpuint (create->status, ==, 403);
    }
    {
      /* Every "Try It" adds a terminal; only the 8 newest stay valid. */
      const char      *with_token[] = { "Authorization", bearer, NULL };
      g_autofree char *newest = NULL;
      g_autofree char *newest_bearer = NULL;

      for (guint i = 0; i < 8; i++)
        {
          g_autoptr (TillTestResponse) again =
              till_test_request_full (session, "POST", url, NULL, "application/json", "{}", -1);
          g_assert_cmpuint (again->status, ==, 201);
          g_free (newest);
          newest = g_strdup (json_object_get_string_member (again->json, "token"));
        }
      newest_bearer = g_strconcat ("Bearer ", newest, NULL);
      {
        const char *with_newest[] = { "Authorization", newest_bearer, NULL };
        g_autoptr (TillTestResponse) oldest =
            till_test_request_full (session, "GET", products_url, with_token, NULL, NULL, 0);
        g_autoptr (TillTestResponse) latest =
            till_test_request_full (session, "GET", products_url, with_newest, NULL, NULL, 0);
        g_autoptr (TillTestResponse) kiosk =
            till_test_request_full (session, "GET", products_url, headers, NULL, NULL, 0);

        g_assert_cmpuint (oldest->status, ==, 401);
        g_assert_cmpuint (latest->status, ==, 200);
        /* Terminals added by an admin are not touched. */
        g_assert_cmpuint (kiosk->status, ==, 200);
      }
    }
  }
  {
    /* A whole sale against the embedded simulator, paid through its webhook. */
    g_autofree char *url = g_strconcat (running->base, "/api/v1/checkouts", NULL);
    g_autoptr (TillTestResponse) created =
        till_test_request_full (session, "POST", url, headers, "application/json",
                                "{\"client_reference\": \"training-1\", \"currency\": \"EUR\","
                                " \"lines\": [{\"product_id\": 1, \"quantity\": 2}]}",
                                -1);
    JsonObject *payment;

    g_assert_cmpuint (created->status, ==, 201);
    payment = json_object_get_object_member (created->json, "payment");
    g_assert_true (
        g_str_has_prefix (json_object_get_string_member (payment, "payment_intent"), "pi_"));
    g_assert_nonnull (json_object_get_string_member (payment, "client_secret"));
  }
  cli_stop (running, FALSE);

  /* A second start keeps the catalog as it is. */
  running = cli_start (argv, NULL);
  {
    g_autofree char *url = g_strconcat (running->base, "/api/v1/orders", NULL);
    g_autoptr (TillTestResponse) orders =
        till_test_request_full (session, "GET", url, headers, NULL, NULL, 0);
    g_assert_cmpuint (json_array_get_length (json_object_get_array_member (orders->json, "orders")),
                      ==, 1);
  }
  cli_stop (running, FALSE);
  g_assert_cmpuint (cli_count_products (fixture), ==, 60);
}

/* A training database made when training sold in dollars goes on selling in dollars, so
 * that its catalog is not refused by its own store; a new one sells in euros (test_training). */
static void
test_training_old_database (CliFixture *fixture, gconstpointer data)
{
  g_autofree char *csv = cli_write_file (fixture, "dollars.csv",
                                         "sku,barcode,name,price,currency,tax_rate,category\n"
                                         "S-1,,Simit,0.90,USD,7,Bakery\n",
                                         0644);
  g_autofree char *dollars =
      cli_write_file (fixture, "dollars.conf", "[store]\ncurrency=USD\n", 0644);
  g_autofree char *token = cli_add_terminal (fixture, "kiosk", "cashier");
  g_autofree char *authorization = g_strconcat ("Bearer ", token, NULL);
  const char      *headers[] = { "Authorization", authorization, NULL };
  const char      *serve[] = { "--db", fixture->db, "--training", "--listen", "127.0.0.1:0", NULL };
  g_autoptr (SoupSession) session = soup_session_new ();
  TillTestCli *running;

  {
    const char *argv[] = {
      "--config", dollars, "--db", fixture->db, "catalog", "import", csv, NULL
    };
    g_assert_cmpint (cli_run (argv, NULL, NULL, NULL), ==, 0);
  }
  running = cli_start (serve, NULL);
  {
    g_autofree char *url = g_strconcat (running->base, "/api/v1/config", NULL);
    g_autoptr (TillTestResponse) config =
        till_test_request_full (session, "GET", url, headers, NULL, NULL, 0);

    g_assert_cmpstr (json_object_get_string_member (config->json, "currency"), ==, "USD");
    g_assert_false (json_object_get_boolean_member (config->json, "prices_include_tax"));
  }
  {
    g_autofree char *url = g_strconcat (running->base, "/api/v1/checkouts", NULL);
    g_autoptr (TillTestResponse) created =
        till_test_request_full (session, "POST", url, headers, "application/json",
                                "{\"client_reference\": \"old-1\", \"currency\": \"USD\","
                                " \"lines\": [{\"product_id\": 1, \"quantity\": 1}]}",
                                -1);

    g_assert_cmpuint (created->status, ==, 201);
  }
  cli_stop (running, FALSE);
}

/* [training] bounds what the embedded simulator remembers: past max-intents the oldest
 * intent is unknown to it. */
static void
test_training_retention (CliFixture *fixture, gconstpointer data)
{
  g_autofree char *token = cli_add_terminal (fixture, "kiosk", "cashier");
  g_autofree char *contents = g_strdup_printf (
      "[server]\nlisten=127.0.0.1:0\ndatabase=%s\n"
      "[training]\nmax-age=3600\nmax-intents=1\nmax-events=10\nmax-idempotency-keys=10\n",
      fixture->db);
  g_autofree char *config = cli_write_file (fixture, "training.conf", contents, 0644);
  const char      *argv[] = { "--config", config, "--training", NULL };
  TillTestCli     *running = cli_start (argv, NULL);
  g_autoptr (SoupSession) session = soup_session_new ();
  g_autofree char *authorization = g_strconcat ("Bearer ", token, NULL);
  const char      *headers[] = { "Authorization", authorization, NULL };
  const char      *sim_headers[] = { "Authorization", "Bearer sk_test_till_training_mode", NULL };
  g_autofree char *config_url = g_strconcat (running->base, "/api/v1/config", NULL);
  g_autoptr (TillTestResponse) answer =
      till_test_request_full (session, "GET", config_url, headers, NULL, NULL, 0);
  g_autofree char *sim_base =
      g_strdup (json_object_get_string_member (answer->json, "stripe_js_url"));
  char *intents[2] = { NULL };

  /* http://127.0.0.1:PORT/v3/ */
  g_assert_true (g_str_has_suffix (sim_base, "/v3/"));
  sim_base[strlen (sim_base) - strlen ("v3/")] = '\0';
  for (guint i = 0; i < G_N_ELEMENTS (intents); i++)
    {
      g_autofree char *url = g_strconcat (running->base, "/api/v1/checkouts", NULL);
      g_autofree char *body =
          g_strdup_printf ("{\"client_reference\": \"retention-%u\", \"currency\": \"EUR\","
                           " \"lines\": [{\"product_id\": 1, \"quantity\": 1}]}",
                           i);
      g_autoptr (TillTestResponse) created =
          till_test_request_full (session, "POST", url, headers, "application/json", body, -1);

      g_assert_cmpuint (created->status, ==, 201);
      intents[i] = g_strdup (json_object_get_string_member (
          json_object_get_object_member (created->json, "payment"), "payment_intent"));
    }
  for (guint i = 0; i < G_N_ELEMENTS (intents); i++)
    {
      g_autofree char *url = g_strconcat (sim_base, "v1/payment_intents/", intents[i], NULL);
      g_autoptr (TillTestResponse) intent =
          till_test_request_full (session, "GET", url, sim_headers, NULL, NULL, 0);

      g_assert_cmpuint (intent->status, ==, i == 0 ? 404 : 200);
      g_free (intents[i]);
    }
  cli_stop (running, FALSE);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  till_test_capture_logs ("test-server-cli-training");

#define ADD(path, func)                                                                            \
  g_test_add (path, CliFixture, NULL, cli_fixture_setup, func, cli_fixture_teardown)
  ADD ("/server/cli/training", test_training);
  ADD ("/server/cli/training-retention", test_training_retention);
  ADD ("/server/cli/training-old-database", test_training_old_database);
#undef ADD

  return g_test_run ();
}
