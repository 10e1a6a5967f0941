/* test-stripe-sim.c: the Stripe simulator's API over real HTTP on loopback.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include "sim-test-util.h"
#include "till-stripe-sim-idempotency-private.h"
#include "till-stripe-sim-private.h"

typedef struct
{
  TillStripeSim *sim;
  SoupSession   *session;
  const char    *base;
} Fixture;

#define CARD(number)                                                                               \
  "payment_method_data[type]=card&payment_method_data[card][number]=" number                       \
  "&payment_method_data[card][exp_month]=12&payment_method_data[card][exp_year]=2034"              \
  "&payment_method_data[card][cvc]=123"

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
  g_assert_true (g_str_has_prefix (f->base, "http://127.0.0.1:"));
  f->session = soup_session_new_with_options ("max-conns", 64, "max-conns-per-host", 32, NULL);
}

static void
fixture_tear_down (Fixture *f, gconstpointer data)
{
  g_clear_object (&f->session);
  g_clear_object (&f->sim);
}

static char *
url (Fixture *f, const char *path)
{
  return g_strconcat (f->base, path + 1, NULL);
}

/* POST or GET with the test key; extra headers as NULL-terminated name/value pairs. */
static SimResponse *
api (Fixture *f, const char *method, const char *path, const char *form)
{
  g_autofree char *uri = url (f, path);

  return sim_request (f->session, method, uri, SIM_TEST_KEY, form, NULL);
}

static SimResponse *
api_with (Fixture    *f,
          const char *method,
          const char *path,
          const char *form,
          const char *header,
          const char *value)
{
  g_autofree char *uri = url (f, path);

  return sim_request (f->session, method, uri, SIM_TEST_KEY, form, header, value, NULL);
}

static void
assert_error (SimResponse *r, guint status, const char *type, const char *code, const char *param)
{
  g_assert_no_error (r->error);
  if (r->status != status)
    g_printerr ("unexpected answer %u: %.*s\n", r->status, (int) g_bytes_get_size (r->body),
                (const char *) g_bytes_get_data (r->body, NULL));
  g_assert_cmpuint (r->status, ==, status);
  g_assert_nonnull (r->json);
  g_assert_cmpstr (sim_json_string (r->json, "error.type"), ==, type);
  g_assert_nonnull (sim_json_string (r->json, "error.message"));
  if (code != NULL)
    g_assert_cmpstr (sim_json_string (r->json, "error.code"), ==, code);
  if (param != NULL)
    g_assert_cmpstr (sim_json_string (r->json, "error.param"), ==, param);
}

static void
assert_ok (SimResponse *r)
{
  g_assert_no_error (r->error);
  if (r->status != 200)
    g_printerr ("unexpected answer %u: %.*s\n", r->status, (int) g_bytes_get_size (r->body),
                (const char *) g_bytes_get_data (r->body, NULL));
  g_assert_cmpuint (r->status, ==, 200);
  g_assert_nonnull (r->json);
}

static char *
create_intent (Fixture *f, const char *extra)
{
  g_autofree char *form = g_strconcat ("amount=1250&currency=usd", extra ? "&" : "", extra, NULL);
  g_autoptr (SimResponse) r = api (f, "POST", "/v1/payment_intents", form);

  assert_ok (r);
  return g_strdup (sim_json_string (r->json, "id"));
}

static SimResponse *
confirm (Fixture *f, const char *id, const char *form)
{
  g_autofree char *path = g_strdup_printf ("/v1/payment_intents/%s/confirm", id);

  return api (f, "POST", path, form);
}

static SimResponse *
retrieve (Fixture *f, const char *id, const char *query)
{
  g_autofree char *path =
      g_strdup_printf ("/v1/payment_intents/%s%s%s", id, query ? "?" : "", query ? query : "");

  return api (f, "GET", path, NULL);
}

/* Counts events of @type about object @object_id (NULL: any). */
static guint
count_events (Fixture *f, const char *type, const char *object_id)
{
  g_autofree char *path = g_strdup_printf ("/v1/events?limit=100&type=%s", type);
  g_autoptr (SimResponse) r = api (f, "GET", path, NULL);
  JsonArray *data;
  guint      count = 0;

  assert_ok (r);
  data = json_node_get_array (sim_json_path (r->json, "data"));
  for (guint i = 0; i < json_array_get_length (data); i++)
    if (object_id == NULL ||
        g_strcmp0 (sim_json_string (json_array_get_element (data, i), "data.object.id"),
                   object_id) == 0)
      count++;
  return count;
}

/* --- keys and auth -------------------------------------------------------------------- */

static void
test_live_keys_refused (void)
{
  const char *live[] = { "sk_live_fake_key_for_tests", "rk_live_fake_key_for_tests",
                         "pk_live_fake_key_for_tests" };
  g_autoptr (GError) error = NULL;
  g_autoptr (TillStripeSim) sim = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (live); i++)
    {
      TillStripeSim *refused = till_stripe_sim_new (live[i], &error);

      g_assert_null (refused);
      g_assert_error (error, TILL_STRIPE_SIM_ERROR, TILL_STRIPE_SIM_ERROR_LIVE_KEY);
      /* The message never repeats the key. */
      g_assert_null (strstr (error->message, live[i]));
      g_clear_error (&error);

      g_assert_false (till_stripe_sim_check_key (live[i], &error));
      g_assert_error (error, TILL_STRIPE_SIM_ERROR, TILL_STRIPE_SIM_ERROR_LIVE_KEY);
      g_clear_error (&error);
    }

  g_assert_null (till_stripe_sim_new ("not-a-key", &error));
  g_assert_error (error, TILL_STRIPE_SIM_ERROR, TILL_STRIPE_SIM_ERROR_INVALID_KEY);
  g_clear_error (&error);
  g_assert_null (till_stripe_sim_new ("pk_test_abcdef", &error));
  g_assert_error (error, TILL_STRIPE_SIM_ERROR, TILL_STRIPE_SIM_ERROR_INVALID_KEY);
  g_clear_error (&error);

  sim = till_stripe_sim_new ("sk_test_abcdef", &error);
  g_assert_no_error (error);
  g_assert_nonnull (sim);
  g_assert_true (till_stripe_sim_check_key ("sk_test_abcdef", NULL));
}

static void
test_auth (Fixture *f, gconstpointer data)
{
  g_autofree char *uri = url (f, "/v1/payment_intents");
  struct
  {
    const char *authorization;
    guint       status;
  } cases[] = {
    { NULL, 401 },
    { "Bearer ", 401 },
    { "Bearer sk_test_", 401 },
    { "Bearer sk_live_fake_key_for_tests", 401 },
    { "Bearer rk_live_fake_key_for_tests", 401 },
    { "Bearer pk_live_0123456789abcdef", 401 },
    { "Bearer xk_test_0123456789abcdef", 401 },
    { "Token sk_test_0123456789abcdef", 401 },
    { "Bearer pk_test_0123456789abcdef", 401 }, /* publishable keys cannot create */
    { "Bearer sk_test_0123456789abcdef", 200 },
    { "Basic c2tfdGVzdF8wMTIzNDU2Nzg5YWJjZGVmOg==", 200 }, /* sk_test_0123456789abcdef: */
    { "Basic c2tfbGl2ZV9mYWtlX2tleV9mb3JfdGVzdHM6", 401 }, /* sk_live_fake_key_for_tests: */
    { "Basic //5fYWL//vr7Og==", 401 },                     /* bytes that are not UTF-8 */
    { "Bearer sk_test_abc def", 401 },
    { "Bearer sk_test_abc\"}", 401 },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (SimResponse) r = sim_request (
          f->session, "POST", uri, NULL, "amount=1250&currency=usd",
          cases[i].authorization ? "Authorization" : NULL, cases[i].authorization, NULL);

      g_test_message ("case %u: %s", i, cases[i].authorization);
      g_assert_no_error (r->error);
      /* Whatever the key, the answer is JSON, in UTF-8. */
      g_assert_nonnull (r->json);
      g_assert_true (
          g_utf8_validate (g_bytes_get_data (r->body, NULL), g_bytes_get_size (r->body), NULL));
      g_assert_cmpuint (r->status, ==, cases[i].status);
      g_assert_true (
          g_str_has_prefix (soup_message_headers_get_one (r->headers, "Request-Id"), "req_"));
      if (cases[i].status == 401)
        {
          g_assert_cmpstr (sim_json_string (r->json, "error.type"), ==, "invalid_request_error");
          /* A refused key is never echoed back whole. */
          if (cases[i].authorization != NULL && strlen (cases[i].authorization) > 20)
            {
              const char      *auth = cases[i].authorization;
              g_autofree char *body =
                  g_strndup (g_bytes_get_data (r->body, NULL), g_bytes_get_size (r->body));

              /* Its last 8 characters stand for the whole (Stripe shows at most 4). */
              g_assert_null (strstr (body, auth + strlen (auth) - 8));
            }
        }
      else
        g_assert_cmpstr (sim_json_string (r->json, "object"), ==, "payment_intent");
    }

  /* A simulator pinned to one key accepts that key only. */
  {
    g_autoptr (GError) error = NULL;
    g_autoptr (TillStripeSim) pinned = till_stripe_sim_new ("sk_test_pinned123", &error);
    g_autofree char *pinned_uri = NULL;
    g_autoptr (SimResponse) wrong = NULL;
    g_autoptr (SimResponse) right = NULL;

    g_assert_no_error (error);
    till_stripe_sim_listen (pinned, "127.0.0.1", 0, &error);
    g_assert_no_error (error);
    pinned_uri = g_strconcat (till_stripe_sim_get_base_uri (pinned), "v1/events", NULL);
    wrong = sim_request (f->session, "GET", pinned_uri, "sk_test_other1234", NULL, NULL);
    g_assert_cmpuint (wrong->status, ==, 401);
    right = sim_request (f->session, "GET", pinned_uri, "sk_test_pinned123", NULL, NULL);
    g_assert_cmpuint (right->status, ==, 200);
  }
}

static void
test_request_id (Fixture *f, gconstpointer data)
{
  const char *paths[] = { "/v1/payment_intents/pi_missing", "/v1/nothing", "/elsewhere",
                          "/v1/events" };
  g_autoptr (GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

  for (guint i = 0; i < G_N_ELEMENTS (paths); i++)
    {
      g_autoptr (SimResponse) r = api (f, "GET", paths[i], NULL);
      const char *id = soup_message_headers_get_one (r->headers, "Request-Id");

      g_assert_nonnull (id);
      g_assert_true (g_str_has_prefix (id, "req_"));
      g_assert_true (g_hash_table_add (seen, g_strdup (id)));
    }
  {
    g_autoptr (SimResponse) r = api (f, "GET", "/v1/nothing", NULL);

    assert_error (r, 404, "invalid_request_error", NULL, NULL);
    g_assert_nonnull (
        strstr (sim_json_string (r->json, "error.message"), "Unrecognized request URL"));
  }
}

/* --- PaymentIntents ----------------------------------------------------------------- */

static void
test_create (Fixture *f, gconstpointer data)
{
  g_autoptr (SimResponse) r =
      api (f, "POST", "/v1/payment_intents",
           "amount=1250&currency=USD&metadata[till_order_id]=42&metadata[note]=a%20b%2Bc"
           "&payment_method_types[]=card&description=Order+42&receipt_email=a%40example.org"
           "&statement_descriptor_suffix=TILL");
  g_autoptr (SimResponse) r2 = NULL;
  g_autofree char *prefix = NULL;
  const char      *id, *secret;

  assert_ok (r);
  id = sim_json_string (r->json, "id");
  g_assert_true (g_str_has_prefix (id, "pi_"));
  g_assert_cmpstr (sim_json_string (r->json, "object"), ==, "payment_intent");
  g_assert_cmpint (sim_json_int (r->json, "amount"), ==, 1250);
  g_assert_cmpstr (sim_json_string (r->json, "currency"), ==, "usd");
  g_assert_cmpstr (sim_json_string (r->json, "status"), ==, "requires_payment_method");
  g_assert_false (sim_json_bool (r->json, "livemode"));
  g_assert_cmpint (sim_json_int (r->json, "created"), >, 1600000000);
  g_assert_cmpstr (sim_json_string (r->json, "metadata.till_order_id"), ==, "42");
  g_assert_cmpstr (sim_json_string (r->json, "metadata.note"), ==, "a b+c");
  g_assert_cmpstr (sim_json_string (r->json, "payment_method_types.0"), ==, "card");
  g_assert_cmpstr (sim_json_string (r->json, "description"), ==, "Order 42");
  g_assert_cmpstr (sim_json_string (r->json, "receipt_email"), ==, "a@example.org");
  g_assert_cmpstr (sim_json_string (r->json, "capture_method"), ==, "automatic");
  g_assert_cmpint (sim_json_int (r->json, "amount_received"), ==, 0);
  g_assert_true (sim_json_is_null (r->json, "latest_charge"));
  g_assert_true (sim_json_is_null (r->json, "last_payment_error"));
  g_assert_true (sim_json_is_null (r->json, "next_action"));
  secret = sim_json_string (r->json, "client_secret");
  prefix = g_strconcat (id, "_secret_", NULL);
  g_assert_true (g_str_has_prefix (secret, prefix));
  g_assert_cmpuint (strlen (secret), >, strlen (prefix) + 10);
  g_assert_cmpstr (soup_message_headers_get_one (r->headers, "Stripe-Version"), ==,
                   till_stripe_sim_get_api_version ());

  r2 = api (f, "POST", "/v1/payment_intents",
            "amount=5000&currency=jpy&automatic_payment_methods[enabled]=true");
  assert_ok (r2);
  g_assert_true (sim_json_bool (r2->json, "automatic_payment_methods.enabled"));
  g_assert_cmpstr (sim_json_string (r2->json, "currency"), ==, "jpy");
}

static void
test_validation (Fixture *f, gconstpointer data)
{
  g_autofree char *long_description = g_strnfill (1001, 'x');
  g_autofree char *long_form =
      g_strdup_printf ("amount=1250&currency=usd&description=%s", long_description);
  g_autofree char *long_key = g_strnfill (41, 'k');
  g_autofree char *long_key_form =
      g_strdup_printf ("amount=1250&currency=usd&metadata[%s]=1", long_key);
  g_autofree char *long_key_param = g_strdup_printf ("metadata[%s]", long_key);
  struct
  {
    const char *form;
    const char *param;
    const char *code;
  } cases[] = {
    { "amount=1250", "currency", "parameter_missing" },
    { "currency=usd", "amount", "parameter_missing" },
    { "amount=12.50&currency=usd", "amount", "parameter_invalid_integer" },
    { "amount=abc&currency=usd", "amount", "parameter_invalid_integer" },
    { "amount=0&currency=usd", "amount", NULL },
    { "amount=-5&currency=usd", "amount", NULL },
    { "amount=100000000&currency=usd", "amount", "amount_too_large" },
    { "amount=49&currency=usd", "amount", "amount_too_small" },
    { "amount=29&currency=gbp", "amount", "amount_too_small" },
    { "amount=5125&currency=kwd", "amount", NULL },
    { "amount=49&currency=jpy", "amount", "amount_too_small" },
    { "amount=500&currency=isk", "amount", "amount_too_small" },
    { "amount=1250&currency=xyz", "currency", NULL },
    { "amount=1250&currency=usd&colour=red", "colour", "parameter_unknown" },
    { "amount=1250&currency=usd&automatic_payment_methods[enabled]=yes",
      "automatic_payment_methods[enabled]", NULL },
    { "amount=1250&currency=usd&automatic_payment_methods[enabled]=true"
      "&automatic_payment_methods[x]=1",
      "automatic_payment_methods[x]", "parameter_unknown" },
    { "amount=1250&currency=usd&automatic_payment_methods[foo]=1", NULL, NULL },
    { "amount=1250&currency=usd&capture_method=later", "capture_method", NULL },
    { "amount=1250&currency=usd&payment_method_types=card", "payment_method_types", NULL },
    { "amount=1250&currency=usd&metadata=x", "metadata", NULL },
    { "amount=1250&currency=usd&metadata[a][b]=1", "metadata[a]", NULL },
    { "amount=1250&currency=usd&confirm=maybe", "confirm", NULL },
    { "amount=1250&currency=usd&receipt_email=nobody", "receipt_email", NULL },
    { long_form, "description", NULL },
    { long_key_form, long_key_param, NULL },
    { "amount=1250&currency=usd&amount[x]=1", "amount", NULL },
    { "amount=1250&currency=usd&a]b=1", NULL, NULL },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (SimResponse) r = api (f, "POST", "/v1/payment_intents", cases[i].form);

      g_test_message ("case %u: %.60s", i, cases[i].form);
      assert_error (r, 400, "invalid_request_error", cases[i].code, cases[i].param);
      if (cases[i].param != NULL)
        g_assert_nonnull (sim_json_string (r->json, "error.param"));
    }

  /* Metadata: at most 50 keys, values of at most 500 characters. */
  {
    g_autoptr (GString) many = g_string_new ("amount=1250&currency=usd");
    g_autofree char *long_value = g_strnfill (501, 'v');
    g_autofree char *value_form =
        g_strdup_printf ("amount=1250&currency=usd&metadata[k]=%s", long_value);
    g_autoptr (SimResponse) too_many = NULL;
    g_autoptr (SimResponse) too_long = NULL;

    for (guint i = 0; i < 51; i++)
      g_string_append_printf (many, "&metadata[k%u]=v", i);
    too_many = api (f, "POST", "/v1/payment_intents", many->str);
    assert_error (too_many, 400, "invalid_request_error", NULL, "metadata");
    too_long = api (f, "POST", "/v1/payment_intents", value_form);
    assert_error (too_long, 400, "invalid_request_error", NULL, "metadata[k]");
  }

  /* Nothing was created by any of them. */
  g_assert_cmpuint (count_events (f, "payment_intent.created", NULL), ==, 0);

  /* Amounts at the limits are fine, three-decimal amounts ending in 0 too. */
  {
    g_autoptr (SimResponse) a =
        api (f, "POST", "/v1/payment_intents", "amount=99999999&currency=usd");
    g_autoptr (SimResponse) b = api (f, "POST", "/v1/payment_intents", "amount=50&currency=usd");
    g_autoptr (SimResponse) c = api (f, "POST", "/v1/payment_intents", "amount=5120&currency=kwd");
    g_autoptr (SimResponse) d = api (f, "POST", "/v1/payment_intents",
                                     "amount=1250&currency=usd&payment_method_types[0]=card");
    /* ISK goes to Stripe with two decimals: ISK 100 is 10000. */
    g_autoptr (SimResponse) e = api (f, "POST", "/v1/payment_intents", "amount=10000&currency=isk");
    g_autoptr (SimResponse) g = api (f, "POST", "/v1/payment_intents", "amount=50&currency=JPY");

    assert_ok (a);
    assert_ok (b);
    assert_ok (c);
    assert_ok (d);
    assert_ok (e);
    g_assert_cmpstr (sim_json_string (e->json, "currency"), ==, "isk");
    assert_ok (g);
    g_assert_cmpstr (sim_json_string (g->json, "currency"), ==, "jpy");
  }
}

static void
test_json_body_refused (Fixture *f, gconstpointer data)
{
  g_autofree char *uri = url (f, "/v1/payment_intents");
  SimCall         *call;
  g_autoptr (SimResponse) r = NULL;
  const char *headers[] = { "Content-Type", "application/json", NULL };

  /* Stripe takes form bodies only. */
  call = sim_call_start (f->session, "POST", uri, SIM_TEST_KEY,
                         "{\"amount\": 1250, \"currency\": \"usd\"}", headers);
  r = sim_call_wait (call);
  assert_error (r, 400, "invalid_request_error", NULL, NULL);
  g_assert_nonnull (strstr (sim_json_string (r->json, "error.message"), "Content-Type"));
  g_assert_cmpuint (count_events (f, "payment_intent.created", NULL), ==, 0);
}

static void
test_retrieve (Fixture *f, gconstpointer data)
{
  g_autofree char *id = create_intent (f, "metadata[k]=v");
  g_autoptr (SimResponse) r = retrieve (f, id, NULL);
  g_autoptr (SimResponse) missing = retrieve (f, "pi_doesnotexist", NULL);
  g_autoptr (SimResponse) bad_expand = retrieve (f, id, "expand[]=nothing");
  g_autoptr (SimResponse) unknown = retrieve (f, id, "colour=red");

  assert_ok (r);
  g_assert_cmpstr (sim_json_string (r->json, "id"), ==, id);
  g_assert_cmpstr (sim_json_string (r->json, "metadata.k"), ==, "v");
  assert_error (missing, 404, "invalid_request_error", "resource_missing", "intent");
  assert_error (bad_expand, 400, "invalid_request_error", NULL, NULL);
  assert_error (unknown, 400, "invalid_request_error", "parameter_unknown", "colour");
}

static void
test_update (Fixture *f, gconstpointer data)
{
  g_autofree char *id = create_intent (f, "metadata[a]=1&metadata[b]=2");
  g_autofree char *path = g_strdup_printf ("/v1/payment_intents/%s", id);
  g_autoptr (SimResponse) r = NULL;
  g_autoptr (SimResponse) bad = NULL;
  g_autoptr (SimResponse) done = NULL;
  g_autoptr (SimResponse) late = NULL;
  g_autoptr (SimResponse) late_meta = NULL;

  r = api (f, "POST", path,
           "amount=2000&metadata[a]=&metadata[c]=3&description=New&receipt_email=b%40example.org");
  assert_ok (r);
  g_assert_cmpint (sim_json_int (r->json, "amount"), ==, 2000);
  g_assert_null (sim_json_path (r->json, "metadata.a"));
  g_assert_cmpstr (sim_json_string (r->json, "metadata.b"), ==, "2");
  g_assert_cmpstr (sim_json_string (r->json, "metadata.c"), ==, "3");
  g_assert_cmpstr (sim_json_string (r->json, "description"), ==, "New");
  g_assert_cmpstr (sim_json_string (r->json, "receipt_email"), ==, "b@example.org");

  bad = api (f, "POST", path, "amount=10");
  assert_error (bad, 400, "invalid_request_error", "amount_too_small", "amount");

  done = confirm (f, id, "payment_method=pm_card_visa");
  assert_ok (done);
  g_assert_cmpstr (sim_json_string (done->json, "status"), ==, "succeeded");
  g_assert_cmpint (sim_json_int (done->json, "amount_received"), ==, 2000);

  /* Final: the amount cannot change, metadata can. */
  late = api (f, "POST", path, "amount=3000");
  assert_error (late, 400, "invalid_request_error", "payment_intent_unexpected_state", NULL);
  late_meta = api (f, "POST", path, "metadata[refund_note]=x&metadata=");
  assert_error (late_meta, 400, "invalid_request_error", NULL, NULL);
  {
    g_autoptr (SimResponse) clear = api (f, "POST", path, "metadata=");

    assert_ok (clear);
    g_assert_cmpuint (
        json_object_get_size (json_node_get_object (sim_json_path (clear->json, "metadata"))), ==,
        0);
  }
}

typedef struct
{
  const char *form;
  guint       status;
  const char *intent_status;
  const char *code;
  const char *decline_code;
  const char *brand;
  const char *last4;
} CardCase;

static const CardCase card_cases[] = {
  { CARD ("4242424242424242"), 200, "succeeded", NULL, NULL, "visa", "4242" },
  { CARD ("4242+4242+4242+4242"), 200, "succeeded", NULL, NULL, "visa", "4242" },
  { CARD ("5555555555554444"), 200, "succeeded", NULL, NULL, "mastercard", "4444" },
  { CARD ("4000000000000002"), 402, "requires_payment_method", "card_declined", "generic_decline",
    NULL, NULL },
  { CARD ("4000000000009995"), 402, "requires_payment_method", "card_declined",
    "insufficient_funds", NULL, NULL },
  { CARD ("4000002500003155"), 200, "requires_action", NULL, NULL, NULL, NULL },
  { CARD ("4000002760003184"), 200, "requires_action", NULL, NULL, NULL, NULL },
  { "payment_method=pm_card_visa", 200, "succeeded", NULL, NULL, "visa", "4242" },
  { "payment_method=pm_card_mastercard", 200, "succeeded", NULL, NULL, "mastercard", "4444" },
  { "payment_method=pm_card_chargeDeclined", 402, "requires_payment_method", "card_declined",
    "generic_decline", NULL, NULL },
  { "payment_method=pm_card_chargeDeclinedInsufficientFunds", 402, "requires_payment_method",
    "card_declined", "insufficient_funds", NULL, NULL },
  { "payment_method=pm_card_authenticationRequiredOnSetup", 200, "requires_action", NULL, NULL,
    NULL, NULL },
  { "payment_method=pm_card_authenticationRequired", 200, "requires_action", NULL, NULL, NULL,
    NULL },
  /* The rest of https://docs.stripe.com/testing: each number and alias with its exact code and
   * decline code (none for an expired card, a wrong CVC or a processing error). */
  { CARD ("4000000000009987"), 402, "requires_payment_method", "card_declined", "lost_card", NULL,
    NULL },
  { CARD ("4000000000009979"), 402, "requires_payment_method", "card_declined", "stolen_card", NULL,
    NULL },
  { CARD ("4000000000000069"), 402, "requires_payment_method", "expired_card", NULL, NULL, NULL },
  { CARD ("4000000000000127"), 402, "requires_payment_method", "incorrect_cvc", NULL, NULL, NULL },
  { CARD ("4000000000000119"), 402, "requires_payment_method", "processing_error", NULL, NULL,
    NULL },
  { CARD ("4000000000006975"), 402, "requires_payment_method", "card_declined",
    "card_velocity_exceeded", NULL, NULL },
  { CARD ("4100000000000019"), 402, "requires_payment_method", "card_declined", "fraudulent", NULL,
    NULL },
  { CARD ("4000000000003220"), 200, "requires_action", NULL, NULL, NULL, NULL },
  { "payment_method=pm_card_visa_chargeDeclined", 402, "requires_payment_method", "card_declined",
    "generic_decline", NULL, NULL },
  { "payment_method=pm_card_visa_chargeDeclinedInsufficientFunds", 402, "requires_payment_method",
    "card_declined", "insufficient_funds", NULL, NULL },
  { "payment_method=pm_card_visa_chargeDeclinedLostCard", 402, "requires_payment_method",
    "card_declined", "lost_card", NULL, NULL },
  { "payment_method=pm_card_visa_chargeDeclinedStolenCard", 402, "requires_payment_method",
    "card_declined", "stolen_card", NULL, NULL },
  { "payment_method=pm_card_chargeDeclinedExpiredCard", 402, "requires_payment_method",
    "expired_card", NULL, NULL, NULL },
  { "payment_method=pm_card_chargeDeclinedIncorrectCvc", 402, "requires_payment_method",
    "incorrect_cvc", NULL, NULL, NULL },
  { "payment_method=pm_card_chargeDeclinedProcessingError", 402, "requires_payment_method",
    "processing_error", NULL, NULL, NULL },
  { "payment_method=pm_card_visa_chargeDeclinedVelocityLimitExceeded", 402,
    "requires_payment_method", "card_declined", "card_velocity_exceeded", NULL, NULL },
  { "payment_method=pm_card_radarBlock", 402, "requires_payment_method", "card_declined",
    "fraudulent", NULL, NULL },
  { "payment_method=pm_card_threeDSecure2Required", 200, "requires_action", NULL, NULL, NULL,
    NULL },
};

static void
test_cards (Fixture *f, gconstpointer data)
{
  for (guint i = 0; i < G_N_ELEMENTS (card_cases); i++)
    {
      const CardCase  *c = &card_cases[i];
      g_autofree char *id = create_intent (f, NULL);
      g_autoptr (SimResponse) r = NULL;
      g_autoptr (SimResponse) again = NULL;
      JsonNode *intent;

      g_test_message ("card case %u: %s", i, c->form);
      r = confirm (f, id, c->form);
      g_assert_no_error (r->error);
      g_assert_cmpuint (r->status, ==, c->status);

      if (c->status == 402)
        {
          assert_error (r, 402, "card_error", c->code, NULL);
          g_assert_cmpstr (sim_json_string (r->json, "error.decline_code"), ==, c->decline_code);
          g_assert_true (g_str_has_prefix (sim_json_string (r->json, "error.charge"), "ch_"));
          intent = sim_json_path (r->json, "error.payment_intent");
          g_assert_cmpstr (sim_json_string (intent, "id"), ==, id);
          g_assert_cmpstr (sim_json_string (intent, "last_payment_error.decline_code"), ==,
                           c->decline_code);
          g_assert_cmpstr (sim_json_string (intent, "last_payment_error.type"), ==, "card_error");
          g_assert_cmpstr (sim_json_string (intent, "last_payment_error.code"), ==, c->code);
          {
            /* The failed charge says why, and whether Radar or the bank refused. */
            g_autofree char *charge_path =
                g_strdup_printf ("/v1/charges/%s", sim_json_string (r->json, "error.charge"));
            g_autoptr (SimResponse) charge = api (f, "GET", charge_path, NULL);
            gboolean blocked = g_strcmp0 (c->decline_code, "fraudulent") == 0;

            assert_ok (charge);
            g_assert_cmpstr (sim_json_string (charge->json, "status"), ==, "failed");
            g_assert_cmpstr (sim_json_string (charge->json, "failure_code"), ==, c->code);
            g_assert_cmpstr (sim_json_string (charge->json, "outcome.type"), ==,
                             blocked ? "blocked" : "issuer_declined");
            g_assert_cmpstr (sim_json_string (charge->json, "outcome.network_status"), ==,
                             blocked ? "not_sent_to_network" : "declined_by_network");
          }
          g_assert_true (sim_json_is_null (intent, "payment_method"));
          g_assert_cmpuint (count_events (f, "payment_intent.payment_failed", id), ==, 1);
          g_assert_cmpuint (count_events (f, "charge.failed", NULL), >=, 1);
        }
      else
        intent = r->json;

      g_assert_cmpstr (sim_json_string (intent, "status"), ==, c->intent_status);

      /* The stored intent agrees with the answer. */
      again = retrieve (f, id, "expand[]=latest_charge");
      assert_ok (again);
      g_assert_cmpstr (sim_json_string (again->json, "status"), ==, c->intent_status);

      if (g_str_equal (c->intent_status, "succeeded"))
        {
          g_assert_cmpint (sim_json_int (again->json, "amount_received"), ==, 1250);
          g_assert_cmpstr (sim_json_string (again->json, "latest_charge.object"), ==, "charge");
          g_assert_cmpstr (sim_json_string (again->json, "latest_charge.status"), ==, "succeeded");
          g_assert_cmpstr (sim_json_string (again->json, "latest_charge.payment_intent"), ==, id);
          g_assert_true (sim_json_bool (again->json, "latest_charge.paid"));
          g_assert_cmpstr (
              sim_json_string (again->json, "latest_charge.payment_method_details.card.brand"), ==,
              c->brand);
          g_assert_cmpstr (
              sim_json_string (again->json, "latest_charge.payment_method_details.card.last4"), ==,
              c->last4);
          g_assert_true (g_str_has_prefix (sim_json_string (again->json, "payment_method"), "pm_"));
          g_assert_cmpuint (count_events (f, "payment_intent.succeeded", id), ==, 1);
          /* Unexpanded, latest_charge is the id, and the charge can be fetched by it. */
          {
            g_autoptr (SimResponse) plain = retrieve (f, id, NULL);
            const char      *charge_id = sim_json_string (plain->json, "latest_charge");
            g_autofree char *charge_path = NULL;
            g_autoptr (SimResponse) charge = NULL;

            g_assert_true (g_str_has_prefix (charge_id, "ch_"));
            g_assert_cmpint (sim_json_int (plain->json, "charges.total_count"), ==, 1);
            charge_path = g_strdup_printf ("/v1/charges/%s?expand[]=payment_intent", charge_id);
            charge = api (f, "GET", charge_path, NULL);
            assert_ok (charge);
            g_assert_cmpstr (sim_json_string (charge->json, "payment_method_details.card.last4"),
                             ==, c->last4);
            g_assert_cmpstr (sim_json_string (charge->json, "payment_intent.id"), ==, id);
          }
        }
      else if (g_str_equal (c->intent_status, "requires_action"))
        {
          g_autofree char *prefix = g_strconcat (f->base, "sim/3ds/", id, "/", NULL);

          g_assert_cmpstr (sim_json_string (again->json, "next_action.type"), ==,
                           "redirect_to_url");
          g_assert_true (g_str_has_prefix (
              sim_json_string (again->json, "next_action.redirect_to_url.url"), prefix));
          g_assert_true (sim_json_is_null (again->json, "latest_charge"));
        }
      else
        {
          /* A declined intent can be retried with another card. */
          g_autoptr (SimResponse) retry = confirm (f, id, "payment_method=pm_card_visa");

          assert_ok (retry);
          g_assert_cmpstr (sim_json_string (retry->json, "status"), ==, "succeeded");
          g_assert_true (sim_json_is_null (retry->json, "last_payment_error"));
          g_assert_cmpint (sim_json_int (retry->json, "charges.total_count"), ==, 2);
        }
    }
}

static void
test_card_errors (Fixture *f, gconstpointer data)
{
  struct
  {
    const char *form;
    const char *code;
    const char *param;
  } cases[] = {
    { CARD ("4111111111111111"), "incorrect_number", "payment_method_data[card][number]" },
    { CARD ("4242424242424241"), "incorrect_number", "payment_method_data[card][number]" },
    { CARD ("1234"), "incorrect_number", "payment_method_data[card][number]" },
    { CARD ("42424242x4242424"), "incorrect_number", "payment_method_data[card][number]" },
    { "payment_method_data[type]=card&payment_method_data[card][number]=4242424242424242"
      "&payment_method_data[card][exp_month]=13&payment_method_data[card][exp_year]=2034",
      "invalid_expiry_month", "payment_method_data[card][exp_month]" },
    { "payment_method_data[type]=card&payment_method_data[card][number]=4242424242424242"
      "&payment_method_data[card][exp_month]=12&payment_method_data[card][exp_year]=2001",
      "invalid_expiry_year", "payment_method_data[card][exp_year]" },
    { "payment_method_data[type]=card&payment_method_data[card][number]=4242424242424242"
      "&payment_method_data[card][exp_month]=12&payment_method_data[card][exp_year]=2034"
      "&payment_method_data[card][cvc]=12a",
      "invalid_cvc", "payment_method_data[card][cvc]" },
  };
  g_autofree char *id = create_intent (f, NULL);

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (SimResponse) r = confirm (f, id, cases[i].form);

      g_test_message ("case %u", i);
      assert_error (r, 402, "card_error", cases[i].code, cases[i].param);
    }

  {
    g_autoptr (SimResponse) missing =
        confirm (f, id,
                 "payment_method_data[type]=card"
                 "&payment_method_data[card][number]=4242424242424242");
    g_autoptr (SimResponse) unknown_pm = confirm (f, id, "payment_method=pm_nothing");
    g_autoptr (SimResponse) no_pm = confirm (f, id, NULL);
    g_autoptr (SimResponse) unknown =
        confirm (f, id, CARD ("4242424242424242") "&payment_method_data[card][pin]=1234");

    assert_error (missing, 400, "invalid_request_error", "parameter_missing",
                  "payment_method_data[card][exp_month]");
    assert_error (unknown_pm, 400, "invalid_request_error", "resource_missing", "payment_method");
    assert_error (no_pm, 400, "invalid_request_error", "payment_intent_unexpected_state", NULL);
    assert_error (unknown, 400, "invalid_request_error", "parameter_unknown",
                  "payment_method_data[card][pin]");
  }

  /* Still untouched. */
  {
    g_autoptr (SimResponse) r = retrieve (f, id, NULL);

    g_assert_cmpstr (sim_json_string (r->json, "status"), ==, "requires_payment_method");
  }
}

static void
test_create_and_confirm (Fixture *f, gconstpointer data)
{
  g_autoptr (SimResponse) r = api (
      f, "POST", "/v1/payment_intents",
      "amount=1250&currency=eur&confirm=true&payment_method=pm_card_visa&expand[]=latest_charge");
  g_autoptr (SimResponse) declined =
      api (f, "POST", "/v1/payment_intents",
           "amount=1250&currency=eur&confirm=true&payment_method=pm_card_chargeDeclined");
  g_autoptr (SimResponse) pending = api (f, "POST", "/v1/payment_intents",
                                         "amount=1250&currency=eur&payment_method=pm_card_visa");

  assert_ok (r);
  g_assert_cmpstr (sim_json_string (r->json, "status"), ==, "succeeded");
  g_assert_cmpstr (sim_json_string (r->json, "latest_charge.payment_method_details.card.last4"), ==,
                   "4242");
  assert_error (declined, 402, "card_error", "card_declined", NULL);
  assert_ok (pending);
  g_assert_cmpstr (sim_json_string (pending->json, "status"), ==, "requires_confirmation");
}

static SimResponse *
post_challenge (Fixture *f, const char *challenge_url, const char *action, gboolean json)
{
  g_autofree char *uri = g_strconcat (challenge_url, "/", action, NULL);

  return sim_request (f->session, "POST", uri, NULL, "", json ? "Accept" : NULL, "application/json",
                      NULL);
}

static void
test_three_d_secure (Fixture *f, gconstpointer data)
{
  const char *cards[] = { "pm_card_authenticationRequiredOnSetup",
                          "pm_card_authenticationRequired" };

  for (guint i = 0; i < G_N_ELEMENTS (cards); i++)
    {
      g_autofree char *ok_id = create_intent (f, NULL);
      g_autofree char *fail_id = create_intent (f, NULL);
      g_autofree char *form = g_strdup_printf ("payment_method=%s", cards[i]);
      g_autoptr (SimResponse) a = confirm (f, ok_id, form);
      g_autoptr (SimResponse) b = confirm (f, fail_id, form);
      const char *ok_url = sim_json_string (a->json, "next_action.redirect_to_url.url");
      const char *fail_url = sim_json_string (b->json, "next_action.redirect_to_url.url");
      g_autoptr (SimResponse) page = NULL;
      g_autoptr (SimResponse) done = NULL;
      g_autoptr (SimResponse) failed = NULL;
      g_autoptr (SimResponse) twice = NULL;
      g_autoptr (SimResponse) ok_intent = NULL;
      g_autoptr (SimResponse) fail_intent = NULL;
      g_autoptr (SimResponse) forged = NULL;
      g_autofree char *forged_url = NULL;

      /* Stripe's frame names the issuer's method page and challenge, on the issuer's own
       * origin; the challenge answers to Stripe's. */
      page = sim_request (f->session, "GET", ok_url, NULL, NULL, NULL);
      g_assert_cmpuint (page->status, ==, 200);
      g_assert_true (g_str_has_prefix (soup_message_headers_get_content_type (page->headers, NULL),
                                       "text/html"));
      {
        const char      *issuer = till_stripe_sim_get_issuer_origin (f->sim);
        const char      *nonce = strrchr (ok_url, '/') + 1;
        g_autofree char *method_url = g_strdup_printf ("%s/acs/%s/%s/method", issuer, ok_id, nonce);
        g_autofree char *acs_url = g_strdup_printf ("%s/acs/%s/%s", issuer, ok_id, nonce);
        g_autofree char *method_attr = g_strdup_printf ("data-method=\"%s\"", method_url);
        g_autofree char *answer =
            g_strdup_printf ("action=\"%ssim/3ds/%s/%s/complete\"", f->base, ok_id, nonce);
        g_autoptr (SimResponse) method = NULL;
        g_autoptr (SimResponse) acs = NULL;
        g_autoptr (SimResponse) stale = NULL;
        g_autofree char *stale_url = g_strdup_printf ("%s/acs/%s/forged", issuer, ok_id);

        g_assert_false (g_str_has_prefix (issuer, f->base));
        g_assert_false (g_str_has_prefix (till_stripe_sim_get_signals_origin (f->sim), f->base));
        g_assert_cmpstr (issuer, !=, till_stripe_sim_get_signals_origin (f->sim));
        g_assert_nonnull (g_strstr_len (g_bytes_get_data (page->body, NULL),
                                        g_bytes_get_size (page->body), method_attr));
        g_assert_null (g_strstr_len (g_bytes_get_data (page->body, NULL),
                                     g_bytes_get_size (page->body), "id=\"complete\""));

        method = sim_request (f->session, "GET", method_url, NULL, NULL, NULL);
        g_assert_cmpuint (method->status, ==, 200);
        acs = sim_request (f->session, "GET", acs_url, NULL, NULL, NULL);
        g_assert_cmpuint (acs->status, ==, 200);
        g_assert_nonnull (g_strstr_len (g_bytes_get_data (acs->body, NULL),
                                        g_bytes_get_size (acs->body), "id=\"complete\""));
        g_assert_nonnull (g_strstr_len (g_bytes_get_data (acs->body, NULL),
                                        g_bytes_get_size (acs->body), "id=\"fail\""));
        g_assert_nonnull (g_strstr_len (g_bytes_get_data (acs->body, NULL),
                                        g_bytes_get_size (acs->body), "12.50 USD"));
        g_assert_nonnull (g_strstr_len (g_bytes_get_data (acs->body, NULL),
                                        g_bytes_get_size (acs->body), answer));
        stale = sim_request (f->session, "GET", stale_url, NULL, NULL, NULL);
        g_assert_cmpuint (stale->status, ==, 404);
      }

      /* A wrong nonce is not a challenge. */
      forged_url = g_strdup_printf ("%ssim/3ds/%s/forged", f->base, ok_id);
      forged = post_challenge (f, forged_url, "complete", TRUE);
      g_assert_cmpuint (forged->status, ==, 404);

      done = post_challenge (f, ok_url, "complete", TRUE);
      g_assert_cmpuint (done->status, ==, 200);
      g_assert_cmpstr (sim_json_string (done->json, "status"), ==, "succeeded");
      twice = post_challenge (f, ok_url, "complete", TRUE);
      g_assert_cmpuint (twice->status, ==, 404);

      failed = post_challenge (f, fail_url, "fail", TRUE);
      g_assert_cmpuint (failed->status, ==, 200);
      g_assert_cmpstr (sim_json_string (failed->json, "status"), ==, "requires_payment_method");

      ok_intent = retrieve (f, ok_id, "expand[]=latest_charge");
      g_assert_cmpstr (sim_json_string (ok_intent->json, "status"), ==, "succeeded");
      g_assert_true (sim_json_is_null (ok_intent->json, "next_action"));
      g_assert_cmpstr (
          sim_json_string (ok_intent->json, "latest_charge.payment_method_details.card.last4"), ==,
          i == 0 ? "3155" : "3184");

      fail_intent = retrieve (f, fail_id, NULL);
      g_assert_cmpstr (sim_json_string (fail_intent->json, "status"), ==,
                       "requires_payment_method");
      g_assert_cmpstr (sim_json_string (fail_intent->json, "last_payment_error.code"), ==,
                       "payment_intent_authentication_failure");
      g_assert_cmpstr (sim_json_string (fail_intent->json, "last_payment_error.type"), ==,
                       "card_error");
      g_assert_cmpuint (count_events (f, "payment_intent.payment_failed", fail_id), ==, 1);
      g_assert_cmpuint (count_events (f, "payment_intent.succeeded", ok_id), ==, 1);
    }

  /* With a return_url and no JSON, the page sends the browser back, as Stripe does. */
  {
    g_autofree char *id = create_intent (f, NULL);
    g_autoptr (SimResponse) r = confirm (f, id,
                                         "payment_method=pm_card_authenticationRequired"
                                         "&return_url=http%3A%2F%2F127.0.0.1%3A9%2Fdone%3Fx%3D1");
    g_autofree char *uri = g_strconcat (
        sim_json_string (r->json, "next_action.redirect_to_url.url"), "/complete", NULL);
    g_autoptr (SimResponse) redirect = NULL;
    const char *location;

    g_assert_cmpstr (sim_json_string (r->json, "next_action.redirect_to_url.return_url"), ==,
                     "http://127.0.0.1:9/done?x=1");
    redirect = sim_request_no_redirect (f->session, "POST", uri, "");
    g_assert_no_error (redirect->error);
    g_assert_cmpuint (redirect->status, ==, 303);
    location = soup_message_headers_get_one (redirect->headers, "Location");
    g_assert_true (g_str_has_prefix (location, "http://127.0.0.1:9/done?x=1&payment_intent="));
    g_assert_nonnull (strstr (location, "&redirect_status=succeeded"));
    g_assert_nonnull (strstr (location, "&payment_intent_client_secret="));
  }
}

static void
test_cancel (Fixture *f, gconstpointer data)
{
  g_autofree char *id = create_intent (f, NULL);
  g_autofree char *path = g_strdup_printf ("/v1/payment_intents/%s/cancel", id);
  g_autoptr (SimResponse) r = api (f, "POST", path, "cancellation_reason=requested_by_customer");
  g_autoptr (SimResponse) again = api (f, "POST", path, NULL);
  g_autoptr (SimResponse) confirm_canceled = confirm (f, id, "payment_method=pm_card_visa");
  g_autoptr (SimResponse) bad_reason = NULL;
  g_autoptr (SimResponse) missing = api (f, "POST", "/v1/payment_intents/pi_nope/cancel", NULL);

  assert_ok (r);
  g_assert_cmpstr (sim_json_string (r->json, "status"), ==, "canceled");
  g_assert_cmpstr (sim_json_string (r->json, "cancellation_reason"), ==, "requested_by_customer");
  g_assert_cmpint (sim_json_int (r->json, "canceled_at"), >, 0);
  assert_error (again, 400, "invalid_request_error", "payment_intent_unexpected_state", NULL);
  assert_error (confirm_canceled, 400, "invalid_request_error", "payment_intent_unexpected_state",
                NULL);
  assert_error (missing, 404, "invalid_request_error", "resource_missing", NULL);
  g_assert_cmpuint (count_events (f, "payment_intent.canceled", id), ==, 1);
  {
    g_autofree char *update_path = g_strdup_printf ("/v1/payment_intents/%s", id);
    g_autoptr (SimResponse) update = api (f, "POST", update_path, "metadata[x]=1");

    assert_error (update, 400, "invalid_request_error", "payment_intent_unexpected_state", NULL);
  }

  {
    g_autofree char *id2 = create_intent (f, NULL);
    g_autofree char *path2 = g_strdup_printf ("/v1/payment_intents/%s/cancel", id2);

    bad_reason = api (f, "POST", path2, "cancellation_reason=bored");
    assert_error (bad_reason, 400, "invalid_request_error", NULL, "cancellation_reason");
  }

  /* A succeeded intent cannot be canceled; one waiting for 3-D Secure can. */
  {
    g_autofree char *paid = create_intent (f, NULL);
    g_autofree char *paid_path = g_strdup_printf ("/v1/payment_intents/%s/cancel", paid);
    g_autofree char *action = create_intent (f, NULL);
    g_autofree char *action_path = g_strdup_printf ("/v1/payment_intents/%s/cancel", action);
    g_autoptr (SimResponse) c1 G_GNUC_UNUSED = confirm (f, paid, "payment_method=pm_card_visa");
    g_autoptr (SimResponse) c2 G_GNUC_UNUSED =
        confirm (f, action, "payment_method=pm_card_authenticationRequired");
    g_autoptr (SimResponse) x1 = api (f, "POST", paid_path, NULL);
    g_autoptr (SimResponse) x2 = api (f, "POST", action_path, NULL);

    assert_error (x1, 400, "invalid_request_error", "payment_intent_unexpected_state", NULL);
    assert_ok (x2);
    g_assert_cmpstr (sim_json_string (x2->json, "status"), ==, "canceled");
    g_assert_true (sim_json_is_null (x2->json, "next_action"));
  }
}

static void
test_capture (Fixture *f, gconstpointer data)
{
  g_autofree char *id = create_intent (f, "capture_method=manual");
  g_autofree char *path = g_strdup_printf ("/v1/payment_intents/%s/capture", id);
  g_autoptr (SimResponse) early = api (f, "POST", path, NULL);
  g_autoptr (SimResponse) c = confirm (f, id, "payment_method=pm_card_visa");
  g_autoptr (SimResponse) too_much = api (f, "POST", path, "amount_to_capture=5000");
  g_autoptr (SimResponse) r =
      api (f, "POST", path, "amount_to_capture=1000&expand[]=latest_charge");

  assert_error (early, 400, "invalid_request_error", "payment_intent_unexpected_state", NULL);
  assert_ok (c);
  g_assert_cmpstr (sim_json_string (c->json, "status"), ==, "requires_capture");
  g_assert_cmpint (sim_json_int (c->json, "amount_capturable"), ==, 1250);
  assert_error (too_much, 400, "invalid_request_error", NULL, "amount_to_capture");
  assert_ok (r);
  g_assert_cmpstr (sim_json_string (r->json, "status"), ==, "succeeded");
  g_assert_cmpint (sim_json_int (r->json, "amount_received"), ==, 1000);
  g_assert_cmpint (sim_json_int (r->json, "latest_charge.amount_captured"), ==, 1000);
  /* The 250 not captured were released (shown as refunded); 1000 can be refunded. */
  g_assert_cmpint (sim_json_int (r->json, "latest_charge.amount_refunded"), ==, 250);
  {
    g_autofree char *form = g_strdup_printf ("payment_intent=%s", id);
    g_autoptr (SimResponse) refund = api (f, "POST", "/v1/refunds", form);
    g_autoptr (SimResponse) after = retrieve (f, id, "expand[]=latest_charge");

    assert_ok (refund);
    g_assert_cmpint (sim_json_int (refund->json, "amount"), ==, 1000);
    g_assert_cmpint (sim_json_int (after->json, "latest_charge.amount_refunded"), ==, 1250);
    g_assert_true (sim_json_bool (after->json, "latest_charge.refunded"));
  }
}

static guint
list_length (SimResponse *r)
{
  return json_array_get_length (json_node_get_array (sim_json_path (r->json, "data")));
}

static void
test_list_intents (Fixture *f, gconstpointer data)
{
  g_autofree char           *a = create_intent (f, NULL);
  g_autofree char           *b = create_intent (f, NULL);
  g_autofree char           *c = create_intent (f, NULL);
  g_autoptr (SimResponse) cb G_GNUC_UNUSED = confirm (f, c, "payment_method=pm_card_visa");
  g_autoptr (SimResponse) all = api (f, "GET", "/v1/payment_intents", NULL);
  g_autoptr (SimResponse) two =
      api (f, "GET", "/v1/payment_intents?limit=2&expand[]=data.latest_charge", NULL);
  g_autoptr (SimResponse) customer = api (f, "GET", "/v1/payment_intents?customer=cus_x", NULL);
  g_autoptr (SimResponse) future =
      api (f, "GET", "/v1/payment_intents?created[gt]=4102444800", NULL);
  g_autoptr (SimResponse) past =
      api (f, "GET", "/v1/payment_intents?created[gte]=1600000000&created[lte]=4102444800", NULL);
  g_autoptr (SimResponse) bad_expand =
      api (f, "GET", "/v1/payment_intents?expand[]=latest_charge", NULL);
  g_autoptr (SimResponse) bad_cursor =
      api (f, "GET", "/v1/payment_intents?starting_after=pi_none", NULL);
  g_autofree char *after_path = g_strdup_printf ("/v1/payment_intents?starting_after=%s", b);
  g_autofree char *before_path =
      g_strdup_printf ("/v1/payment_intents?ending_before=%s&limit=1", a);
  g_autoptr (SimResponse) after = api (f, "GET", after_path, NULL);
  g_autoptr (SimResponse) before = api (f, "GET", before_path, NULL);

  assert_ok (all);
  g_assert_cmpstr (sim_json_string (all->json, "object"), ==, "list");
  g_assert_cmpstr (sim_json_string (all->json, "url"), ==, "/v1/payment_intents");
  g_assert_cmpuint (list_length (all), ==, 3);
  g_assert_cmpstr (sim_json_string (all->json, "data.0.id"), ==, c);
  g_assert_cmpstr (sim_json_string (all->json, "data.2.id"), ==, a);
  g_assert_cmpuint (list_length (two), ==, 2);
  g_assert_true (sim_json_bool (two->json, "has_more"));
  g_assert_cmpstr (sim_json_string (two->json, "data.0.latest_charge.object"), ==, "charge");
  g_assert_cmpuint (list_length (customer), ==, 0);
  g_assert_cmpuint (list_length (future), ==, 0);
  g_assert_cmpuint (list_length (past), ==, 3);
  assert_error (bad_expand, 400, "invalid_request_error", NULL, "expand[0]");
  assert_error (bad_cursor, 404, "invalid_request_error", "resource_missing", "starting_after");
  g_assert_cmpuint (list_length (after), ==, 1);
  g_assert_cmpstr (sim_json_string (after->json, "data.0.id"), ==, a);
  g_assert_cmpuint (list_length (before), ==, 1);
  g_assert_cmpstr (sim_json_string (before->json, "data.0.id"), ==, b);
  g_assert_true (sim_json_bool (before->json, "has_more"));
}

/* --- refunds ------------------------------------------------------------------------ */

static void
test_refunds (Fixture *f, gconstpointer data)
{
  g_autofree char *id = create_intent (f, NULL);
  g_autofree char *unpaid = create_intent (f, NULL);
  g_autofree char *form_partial = g_strdup_printf (
      "payment_intent=%s&amount=500&reason=requested_by_customer&metadata[why]=dent", id);
  g_autofree char *form_too_much = g_strdup_printf ("payment_intent=%s&amount=751", id);
  g_autofree char *form_rest = g_strdup_printf ("payment_intent=%s&expand[]=charge", id);
  g_autofree char *form_unpaid = g_strdup_printf ("payment_intent=%s", unpaid);
  g_autofree char *form_zero = g_strdup_printf ("payment_intent=%s&amount=0", id);
  g_autofree char *refund_path = NULL;
  g_autoptr (SimResponse) c = confirm (f, id, "payment_method=pm_card_visa");
  g_autoptr (SimResponse) partial = api (f, "POST", "/v1/refunds", form_partial);
  g_autoptr (SimResponse) zero = api (f, "POST", "/v1/refunds", form_zero);
  g_autoptr (SimResponse) too_much = api (f, "POST", "/v1/refunds", form_too_much);
  g_autoptr (SimResponse) rest = api (f, "POST", "/v1/refunds", form_rest);
  g_autoptr (SimResponse) more = api (f, "POST", "/v1/refunds", form_rest);
  g_autoptr (SimResponse) not_paid = api (f, "POST", "/v1/refunds", form_unpaid);
  g_autoptr (SimResponse) nothing = api (f, "POST", "/v1/refunds", "reason=duplicate");
  g_autoptr (SimResponse) bad_reason =
      api (f, "POST", "/v1/refunds", "payment_intent=pi_x&reason=oops");
  g_autoptr (SimResponse) intent = NULL;
  g_autoptr (SimResponse) fetched = NULL;
  g_autoptr (SimResponse) missing = api (f, "GET", "/v1/refunds/re_nothing", NULL);

  assert_ok (c);
  assert_ok (partial);
  g_assert_true (g_str_has_prefix (sim_json_string (partial->json, "id"), "re_"));
  g_assert_cmpstr (sim_json_string (partial->json, "object"), ==, "refund");
  g_assert_cmpint (sim_json_int (partial->json, "amount"), ==, 500);
  g_assert_cmpstr (sim_json_string (partial->json, "status"), ==, "succeeded");
  g_assert_cmpstr (sim_json_string (partial->json, "payment_intent"), ==, id);
  g_assert_cmpstr (sim_json_string (partial->json, "reason"), ==, "requested_by_customer");
  g_assert_cmpstr (sim_json_string (partial->json, "metadata.why"), ==, "dent");
  g_assert_cmpstr (sim_json_string (partial->json, "currency"), ==, "usd");

  assert_error (zero, 400, "invalid_request_error", NULL, "amount");
  assert_error (too_much, 400, "invalid_request_error", "amount_too_large", "amount");

  assert_ok (rest);
  g_assert_cmpint (sim_json_int (rest->json, "amount"), ==, 750);
  g_assert_cmpint (sim_json_int (rest->json, "charge.amount_refunded"), ==, 1250);
  g_assert_true (sim_json_bool (rest->json, "charge.refunded"));
  assert_error (more, 400, "invalid_request_error", "charge_already_refunded", NULL);
  assert_error (not_paid, 400, "invalid_request_error", "charge_not_refundable", NULL);
  assert_error (nothing, 400, "invalid_request_error", "parameter_missing", NULL);
  assert_error (bad_reason, 400, "invalid_request_error", NULL, "reason");

  intent = retrieve (f, id, "expand[]=latest_charge");
  g_assert_cmpint (sim_json_int (intent->json, "latest_charge.amount_refunded"), ==, 1250);
  g_assert_cmpint (sim_json_int (intent->json, "latest_charge.refunds.total_count"), ==, 2);
  g_assert_cmpstr (sim_json_string (intent->json, "status"), ==, "succeeded");

  refund_path = g_strdup_printf ("/v1/refunds/%s?expand[]=payment_intent",
                                 sim_json_string (partial->json, "id"));
  fetched = api (f, "GET", refund_path, NULL);
  assert_ok (fetched);
  g_assert_cmpint (sim_json_int (fetched->json, "amount"), ==, 500);
  g_assert_cmpstr (sim_json_string (fetched->json, "payment_intent.id"), ==, id);
  assert_error (missing, 404, "invalid_request_error", "resource_missing", NULL);

  g_assert_cmpuint (count_events (f, "charge.refunded", NULL), ==, 2);

  /* Listed newest first, filtered by intent. */
  {
    g_autofree char *list_path = g_strdup_printf ("/v1/refunds?payment_intent=%s", id);
    g_autoptr (SimResponse) list = api (f, "GET", list_path, NULL);
    g_autoptr (SimResponse) none = api (f, "GET", "/v1/refunds?payment_intent=pi_other", NULL);

    assert_ok (list);
    g_assert_cmpuint (
        json_array_get_length (json_node_get_array (sim_json_path (list->json, "data"))), ==, 2);
    g_assert_cmpint (sim_json_int (list->json, "data.0.amount"), ==, 750);
    g_assert_cmpint (sim_json_int (list->json, "data.1.amount"), ==, 500);
    g_assert_cmpuint (
        json_array_get_length (json_node_get_array (sim_json_path (none->json, "data"))), ==, 0);
  }

  /* By charge id too. */
  {
    g_autofree char *id2 = create_intent (f, NULL);
    g_autoptr (SimResponse) c2 = confirm (f, id2, "payment_method=pm_card_mastercard");
    g_autofree char *form =
        g_strdup_printf ("charge=%s&amount=250", sim_json_string (c2->json, "latest_charge"));
    g_autoptr (SimResponse) r = api (f, "POST", "/v1/refunds", form);

    assert_ok (r);
    g_assert_cmpstr (sim_json_string (r->json, "payment_intent"), ==, id2);
  }
}

/* --- events ------------------------------------------------------------------------- */

static void
test_events (Fixture *f, gconstpointer data)
{
  g_autofree char          *a = create_intent (f, NULL);
  g_autofree char          *b = create_intent (f, NULL);
  g_autoptr (SimResponse) c G_GNUC_UNUSED = confirm (f, b, "payment_method=pm_card_visa");
  g_autoptr (SimResponse) all = api (f, "GET", "/v1/events", NULL);
  g_autoptr (SimResponse) two = api (f, "GET", "/v1/events?limit=2", NULL);
  g_autoptr (SimResponse) created = api (f, "GET", "/v1/events?type=payment_intent.created", NULL);
  g_autoptr (SimResponse) wildcard = api (f, "GET", "/v1/events?type=payment_intent.*", NULL);
  g_autoptr (SimResponse) types =
      api (f, "GET", "/v1/events?types[]=charge.succeeded&types[]=payment_intent.succeeded", NULL);
  g_autoptr (SimResponse) bad_limit = api (f, "GET", "/v1/events?limit=1000", NULL);
  g_autoptr (SimResponse) unknown = api (f, "GET", "/v1/events?colour=red", NULL);
  g_autoptr (SimResponse) page2 = NULL;
  g_autoptr (SimResponse) one = NULL;
  g_autofree char *after = NULL;
  g_autofree char *event_path = NULL;

  assert_ok (all);
  g_assert_cmpstr (sim_json_string (all->json, "object"), ==, "list");
  g_assert_cmpstr (sim_json_string (all->json, "url"), ==, "/v1/events");
  g_assert_false (sim_json_bool (all->json, "has_more"));
  g_assert_cmpuint (json_array_get_length (json_node_get_array (sim_json_path (all->json, "data"))),
                    ==, 4);
  /* Newest first. */
  g_assert_cmpstr (sim_json_string (all->json, "data.0.type"), ==, "payment_intent.succeeded");
  g_assert_cmpstr (sim_json_string (all->json, "data.1.type"), ==, "charge.succeeded");
  g_assert_cmpstr (sim_json_string (all->json, "data.2.type"), ==, "payment_intent.created");
  g_assert_cmpstr (sim_json_string (all->json, "data.2.data.object.id"), ==, b);
  g_assert_cmpstr (sim_json_string (all->json, "data.3.data.object.id"), ==, a);
  g_assert_cmpstr (sim_json_string (all->json, "data.0.object"), ==, "event");
  g_assert_true (g_str_has_prefix (sim_json_string (all->json, "data.0.id"), "evt_"));
  g_assert_cmpstr (sim_json_string (all->json, "data.0.api_version"), ==, "2020-08-27");
  g_assert_false (sim_json_bool (all->json, "data.0.livemode"));
  g_assert_true (g_str_has_prefix (sim_json_string (all->json, "data.0.request.id"), "req_"));
  g_assert_cmpstr (sim_json_string (all->json, "data.0.data.object.status"), ==, "succeeded");
  /* The snapshot of the creation event still says what the intent was then. */
  g_assert_cmpstr (sim_json_string (all->json, "data.2.data.object.status"), ==,
                   "requires_payment_method");

  g_assert_cmpuint (json_array_get_length (json_node_get_array (sim_json_path (two->json, "data"))),
                    ==, 2);
  g_assert_true (sim_json_bool (two->json, "has_more"));
  after = g_strdup_printf ("/v1/events?limit=2&starting_after=%s",
                           sim_json_string (two->json, "data.1.id"));
  page2 = api (f, "GET", after, NULL);
  g_assert_cmpstr (sim_json_string (page2->json, "data.0.id"), ==,
                   sim_json_string (all->json, "data.2.id"));
  g_assert_false (sim_json_bool (page2->json, "has_more"));

  g_assert_cmpuint (
      json_array_get_length (json_node_get_array (sim_json_path (created->json, "data"))), ==, 2);
  g_assert_cmpuint (
      json_array_get_length (json_node_get_array (sim_json_path (wildcard->json, "data"))), ==, 3);
  g_assert_cmpuint (
      json_array_get_length (json_node_get_array (sim_json_path (types->json, "data"))), ==, 2);
  assert_error (bad_limit, 400, "invalid_request_error", NULL, "limit");
  assert_error (unknown, 400, "invalid_request_error", "parameter_unknown", "colour");

  event_path = g_strdup_printf ("/v1/events/%s", sim_json_string (all->json, "data.0.id"));
  one = api (f, "GET", event_path, NULL);
  assert_ok (one);
  g_assert_cmpstr (sim_json_string (one->json, "type"), ==, "payment_intent.succeeded");
}

/* --- idempotency -------------------------------------------------------------------- */

static void
test_idempotency_replay (Fixture *f, gconstpointer data)
{
  g_autoptr (SimResponse) first = api_with (f, "POST", "/v1/payment_intents",
                                            "amount=1250&currency=usd&metadata[a]=1&metadata[b]=2",
                                            "Idempotency-Key", "order-1");
  /* The same parameters in another order are the same request. */
  g_autoptr (SimResponse) again = api_with (f, "POST", "/v1/payment_intents",
                                            "metadata[b]=2&currency=usd&metadata[a]=1&amount=1250",
                                            "Idempotency-Key", "order-1");
  g_autoptr (SimResponse) other = api_with (f, "POST", "/v1/payment_intents",
                                            "amount=1251&currency=usd&metadata[a]=1&metadata[b]=2",
                                            "Idempotency-Key", "order-1");
  g_autoptr (SimResponse) other_key = api_with (
      f, "POST", "/v1/payment_intents", "amount=1250&currency=usd&metadata[a]=1&metadata[b]=2",
      "Idempotency-Key", "order-2");

  assert_ok (first);
  assert_ok (again);
  g_assert_true (g_bytes_equal (first->body, again->body));
  g_assert_cmpstr (soup_message_headers_get_one (again->headers, "Idempotent-Replayed"), ==,
                   "true");
  g_assert_cmpstr (soup_message_headers_get_one (again->headers, "Original-Request"), ==,
                   soup_message_headers_get_one (first->headers, "Request-Id"));
  g_assert_null (soup_message_headers_get_one (first->headers, "Idempotent-Replayed"));
  assert_error (other, 400, "idempotency_error", NULL, NULL);
  g_assert_cmpstr (soup_message_headers_get_one (other->headers, "Stripe-Should-Retry"), ==,
                   "false");
  assert_ok (other_key);
  g_assert_cmpstr (sim_json_string (other_key->json, "id"), !=,
                   sim_json_string (first->json, "id"));
  g_assert_cmpuint (count_events (f, "payment_intent.created", NULL), ==, 2);

  /* Validation errors are not kept: the corrected request with the same key runs. */
  {
    g_autoptr (SimResponse) invalid = api_with (
        f, "POST", "/v1/payment_intents", "amount=1&currency=usd", "Idempotency-Key", "order-3");
    g_autoptr (SimResponse) invalid_again = api_with (
        f, "POST", "/v1/payment_intents", "amount=1&currency=usd", "Idempotency-Key", "order-3");
    g_autoptr (SimResponse) fixed = NULL;

    assert_error (invalid, 400, "invalid_request_error", "amount_too_small", NULL);
    g_assert_null (soup_message_headers_get_one (invalid_again->headers, "Idempotent-Replayed"));
    /* A different request with this key is not a mismatch either: nothing was saved. */
    fixed = api_with (f, "POST", "/v1/payment_intents", "amount=100&currency=usd",
                      "Idempotency-Key", "order-3");
    assert_ok (fixed);
  }

  /* A decline ran: it is kept and replayed, 402 and all. */
  {
    g_autofree char *id = create_intent (f, NULL);
    g_autofree char *path = g_strdup_printf ("/v1/payment_intents/%s/confirm", id);
    g_autoptr (SimResponse) d1 = api_with (f, "POST", path, "payment_method=pm_card_chargeDeclined",
                                           "Idempotency-Key", "confirm-1");
    g_autoptr (SimResponse) d2 = api_with (f, "POST", path, "payment_method=pm_card_chargeDeclined",
                                           "Idempotency-Key", "confirm-1");

    g_assert_cmpuint (d1->status, ==, 402);
    g_assert_cmpuint (d2->status, ==, 402);
    g_assert_true (g_bytes_equal (d1->body, d2->body));
    g_assert_cmpuint (count_events (f, "payment_intent.payment_failed", id), ==, 1);
  }

  /* Keys longer than 255 characters are refused. */
  {
    g_autofree char *long_key = g_strnfill (256, 'k');
    g_autoptr (SimResponse) r = api_with (f, "POST", "/v1/payment_intents",
                                          "amount=100&currency=usd", "Idempotency-Key", long_key);

    assert_error (r, 400, "invalid_request_error", NULL, NULL);
  }
}

static void
test_idempotency_in_flight (Fixture *f, gconstpointer data)
{
  g_autofree char *uri = url (f, "/v1/payment_intents");
  const char *slow_headers[] = { "Idempotency-Key", "slow-1", "Till-Sim-Fault", "delay=400", NULL };
  const char *headers[] = { "Idempotency-Key", "slow-1", NULL };
  SimCall *slow = sim_call_start (f->session, "POST", uri, SIM_TEST_KEY, "amount=1250&currency=usd",
                                  slow_headers);
  g_autoptr (SimResponse) busy = NULL;
  g_autoptr (SimResponse) first = NULL;
  g_autoptr (SimResponse) replay = NULL;

  /* Once the simulator holds the slow request (the control endpoint counts it), a retry with
   * its key gets 409. */
  for (;;)
    {
      g_autoptr (SimResponse) state = api (f, "GET", "/_sim/faults", NULL);

      assert_ok (state);
      if (sim_json_int (state->json, "delayed_requests") == 1)
        break;
    }
  busy = sim_call_wait (
      sim_call_start (f->session, "POST", uri, SIM_TEST_KEY, "amount=1250&currency=usd", headers));
  assert_error (busy, 409, "idempotency_error", "idempotency_key_in_use", NULL);
  g_assert_cmpstr (soup_message_headers_get_one (busy->headers, "Stripe-Should-Retry"), ==, "true");
  first = sim_call_wait (slow);
  assert_ok (first);
  g_assert_cmpint (first->elapsed_us, >=, 400 * 1000);
  replay = sim_call_wait (
      sim_call_start (f->session, "POST", uri, SIM_TEST_KEY, "amount=1250&currency=usd", headers));
  assert_ok (replay);
  g_assert_cmpstr (sim_json_string (replay->json, "id"), ==, sim_json_string (first->json, "id"));
  g_assert_cmpuint (count_events (f, "payment_intent.created", NULL), ==, 1);
}

/* Keys are forgotten after their time to live (a day in the simulator; none here), and a
 * forgotten key makes a new request, as FACTS.md says. The table on its own, in process. */
static void
test_idempotency_pruned (void)
{
  TillSimIdempotency *table = till_sim_idempotency_new (0);
  g_autoptr (TillSimReply) reply = till_sim_reply_new_text (200, "{}");
  TillSimReply *saved = NULL;
  char         *original = NULL;
  gint64        finished;

  g_assert_cmpint (till_sim_idempotency_begin (table, SIM_TEST_KEY, "k", "f1", &saved, &original),
                   ==, TILL_SIM_IDEMPOTENCY_NEW);
  g_assert_cmpint (till_sim_idempotency_begin (table, SIM_TEST_KEY, "k", "f1", &saved, &original),
                   ==, TILL_SIM_IDEMPOTENCY_IN_FLIGHT);
  /* Another API key is another account: its keys never meet this one's. */
  g_assert_cmpint (
      till_sim_idempotency_begin (table, "sk_test_other", "k", "f2", &saved, &original), ==,
      TILL_SIM_IDEMPOTENCY_NEW);
  till_sim_idempotency_end (table, SIM_TEST_KEY, "k", reply, "req_1");
  finished = g_get_monotonic_time ();
  /* Let the monotonic clock move past the zero time to live. */
  while (g_get_monotonic_time () == finished)
    ;
  g_assert_cmpint (till_sim_idempotency_begin (table, SIM_TEST_KEY, "k", "f2", &saved, &original),
                   ==, TILL_SIM_IDEMPOTENCY_NEW);
  g_assert_null (saved);
  g_assert_null (original);
  till_sim_idempotency_free (table);
}

/* --- retention ------------------------------------------------------------------------ */

static TillStripeSimCounts
counts (Fixture *f)
{
  TillStripeSimCounts c;

  till_stripe_sim_get_counts (f->sim, &c);
  return c;
}

static SimResponse *
get_object (Fixture *f, const char *collection, const char *id)
{
  g_autofree char *path = g_strdup_printf ("/v1/%s/%s", collection, id);

  return api (f, "GET", path, NULL);
}

static void
assert_missing (Fixture *f, const char *collection, const char *id)
{
  g_autoptr (SimResponse) r = get_object (f, collection, id);

  assert_error (r, 404, "invalid_request_error", "resource_missing", NULL);
  g_assert_nonnull (strstr (sim_json_string (r->json, "error.message"), id));
}

/* The ids of a list's data, newest first, as one string: "a b c". */
static char *
list_ids (Fixture *f, const char *path)
{
  g_autoptr (SimResponse) r = api (f, "GET", path, NULL);
  g_autoptr (GString) ids = g_string_new (NULL);
  JsonArray *data;

  assert_ok (r);
  data = json_node_get_array (sim_json_path (r->json, "data"));
  for (guint i = 0; i < json_array_get_length (data); i++)
    g_string_append_printf (ids, "%s%s", i > 0 ? " " : "",
                            sim_json_string (json_array_get_element (data, i), "id"));
  return g_string_free (g_steal_pointer (&ids), FALSE);
}

/* A paid intent with a partial refund; its charge, refund and a 3-D Secure challenge of
 * another intent are what must go with the oldest intents. */
typedef struct
{
  char *intent;
  char *charge;
  char *refund;
} Paid;

static void
paid_clear (Paid *paid)
{
  g_free (paid->intent);
  g_free (paid->charge);
  g_free (paid->refund);
}

static void
make_paid (Fixture *f, Paid *paid)
{
  g_autoptr (SimResponse) confirmed = NULL;
  g_autoptr (SimResponse) refund = NULL;
  g_autofree char *form = NULL;

  paid->intent = create_intent (f, NULL);
  confirmed = confirm (f, paid->intent, "payment_method=pm_card_visa");
  assert_ok (confirmed);
  paid->charge = g_strdup (sim_json_string (confirmed->json, "latest_charge"));
  form = g_strdup_printf ("payment_intent=%s&amount=100", paid->intent);
  refund = api (f, "POST", "/v1/refunds", form);
  assert_ok (refund);
  paid->refund = g_strdup (sim_json_string (refund->json, "id"));
}

/* Beyond the count, the oldest intents go with their charges, refunds and payment methods:
 * unknown ids to every endpoint, gone from the lists, nothing left pointing to them. */
static void
test_retention_count (Fixture *f, gconstpointer data)
{
  Paid             paid[5] = { { 0 } };
  g_autofree char *challenged = create_intent (f, NULL);
  g_autoptr (SimResponse) action =
      confirm (f, challenged, "payment_method=pm_card_authenticationRequired");
  g_autofree char *challenge_url =
      g_strdup (sim_json_string (action->json, "next_action.redirect_to_url.url"));
  g_autofree char    *expected = NULL;
  g_autofree char    *intents = NULL;
  g_autofree char    *refunds = NULL;
  g_autofree char    *of_first = NULL;
  TillStripeSimCounts c;

  assert_ok (action);
  g_assert_nonnull (challenge_url);
  till_stripe_sim_set_retention (f->sim, 0, 3, 0, 0);
  /* Nothing over the count yet: the challenged intent stays. */
  g_assert_cmpuint (counts (f).intents, ==, 1);

  for (guint i = 0; i < G_N_ELEMENTS (paid); i++)
    make_paid (f, &paid[i]);

  c = counts (f);
  g_assert_cmpuint (c.intents, ==, 3);
  g_assert_cmpuint (c.charges, ==, 3);
  g_assert_cmpuint (c.refunds, ==, 3);
  g_assert_cmpuint (c.payment_methods, ==, 3);

  /* The challenged intent and the two oldest paid ones are unknown now. */
  assert_missing (f, "payment_intents", challenged);
  for (guint i = 0; i < 2; i++)
    {
      assert_missing (f, "payment_intents", paid[i].intent);
      assert_missing (f, "charges", paid[i].charge);
      assert_missing (f, "refunds", paid[i].refund);
    }
  {
    g_autoptr (SimResponse) challenge = post_challenge (f, challenge_url, "complete", TRUE);
    g_autofree char *path = g_strdup_printf ("/v1/payment_intents/%s/cancel", paid[0].intent);
    g_autoptr (SimResponse) cancel = api (f, "POST", path, NULL);
    g_autofree char *refund_form = g_strdup_printf ("payment_intent=%s", paid[1].intent);
    g_autoptr (SimResponse) refund = api (f, "POST", "/v1/refunds", refund_form);
    g_autofree char *after =
        g_strdup_printf ("/v1/payment_intents?starting_after=%s", paid[0].intent);
    g_autoptr (SimResponse) page = api (f, "GET", after, NULL);

    g_assert_cmpuint (challenge->status, ==, 404);
    assert_error (cancel, 404, "invalid_request_error", "resource_missing", NULL);
    assert_error (refund, 404, "invalid_request_error", "resource_missing", "payment_intent");
    assert_error (page, 404, "invalid_request_error", "resource_missing", "starting_after");
  }

  /* The lists hold the newest three, newest first. */
  intents = list_ids (f, "/v1/payment_intents?limit=100");
  expected = g_strdup_printf ("%s %s %s", paid[4].intent, paid[3].intent, paid[2].intent);
  g_assert_cmpstr (intents, ==, expected);
  g_clear_pointer (&expected, g_free);
  refunds = list_ids (f, "/v1/refunds?limit=100");
  expected = g_strdup_printf ("%s %s %s", paid[4].refund, paid[3].refund, paid[2].refund);
  g_assert_cmpstr (refunds, ==, expected);
  {
    g_autofree char *path = g_strdup_printf ("/v1/refunds?payment_intent=%s", paid[0].intent);

    of_first = list_ids (f, path);
    g_assert_cmpstr (of_first, ==, "");
  }

  /* What is kept renders whole: its charge, refunds and payment method are all there. */
  {
    g_autofree char *path = g_strdup_printf ("/v1/payment_intents/%s?expand[]=latest_charge"
                                             "&expand[]=payment_method",
                                             paid[2].intent);
    g_autoptr (SimResponse) kept = api (f, "GET", path, NULL);

    assert_ok (kept);
    g_assert_cmpstr (sim_json_string (kept->json, "latest_charge.id"), ==, paid[2].charge);
    g_assert_cmpstr (sim_json_string (kept->json, "latest_charge.refunds.data.0.id"), ==,
                     paid[2].refund);
    g_assert_cmpstr (sim_json_string (kept->json, "payment_method.card.last4"), ==, "4242");
  }

  for (guint i = 0; i < G_N_ELEMENTS (paid); i++)
    paid_clear (&paid[i]);
}

static gboolean
sim_forgot_everything (gpointer data)
{
  TillStripeSimCounts c;

  till_stripe_sim_get_counts (data, &c);
  return c.intents == 0 && c.events == 0 && c.idempotency_keys == 0;
}

/* Past the age, intents, events and idempotency keys are forgotten: at the next request,
 * and by the timer while no request comes. The clock is the simulator's, moved on. */
static void
test_retention_age (Fixture *f, gconstpointer data)
{
  g_autoptr (SimResponse) old = NULL;
  g_autoptr (SimResponse) young = NULL;
  g_autoptr (SimResponse) old_again = NULL;
  g_autoptr (SimResponse) young_again = NULL;
  g_autoptr (SimResponse) events = NULL;
  g_autofree char *old_event = NULL;
  const char      *form = "amount=700&currency=usd";

  till_stripe_sim_set_retention (f->sim, 3600, 0, 0, 0);
  old = api_with (f, "POST", "/v1/payment_intents", form, "Idempotency-Key", "age-old");
  assert_ok (old);
  events = api (f, "GET", "/v1/events?limit=1", NULL);
  assert_ok (events);
  old_event = g_strdup (sim_json_string (events->json, "data.0.id"));
  g_assert_cmpstr (sim_json_string (events->json, "data.0.data.object.id"), ==,
                   sim_json_string (old->json, "id"));

  till_stripe_sim_advance_clock (f->sim, 1800);
  young = api_with (f, "POST", "/v1/payment_intents", form, "Idempotency-Key", "age-young");
  assert_ok (young);
  till_stripe_sim_advance_clock (f->sim, 1801);

  /* The first request after that already finds the old intent gone. */
  assert_missing (f, "payment_intents", sim_json_string (old->json, "id"));
  assert_missing (f, "events", old_event);
  {
    g_autoptr (SimResponse) kept =
        get_object (f, "payment_intents", sim_json_string (young->json, "id"));

    assert_ok (kept);
  }
  g_assert_cmpuint (counts (f).intents, ==, 1);
  g_assert_cmpuint (counts (f).events, ==, 1);

  /* The old key is forgotten: the same request makes a new intent; the young one replays. */
  old_again = api_with (f, "POST", "/v1/payment_intents", form, "Idempotency-Key", "age-old");
  assert_ok (old_again);
  g_assert_cmpstr (sim_json_string (old_again->json, "id"), !=, sim_json_string (old->json, "id"));
  g_assert_null (soup_message_headers_get_one (old_again->headers, "Idempotent-Replayed"));
  young_again = api_with (f, "POST", "/v1/payment_intents", form, "Idempotency-Key", "age-young");
  assert_ok (young_again);
  g_assert_cmpstr (sim_json_string (young_again->json, "id"), ==,
                   sim_json_string (young->json, "id"));
  g_assert_cmpstr (soup_message_headers_get_one (young_again->headers, "Idempotent-Replayed"), ==,
                   "true");

  /* With no request at all, the timer forgets the rest once it is old. */
  till_stripe_sim_set_prune_interval (f->sim, 10);
  till_stripe_sim_advance_clock (f->sim, 3601);
  g_assert_true (till_test_wait_until (sim_forgot_everything, f->sim, SIM_TEST_DEADLINE_MS));
}

/* Beyond the count of idempotency keys the oldest saved answer goes first. */
static void
test_retention_idempotency_keys (Fixture *f, gconstpointer data)
{
  const char *keys[] = { "count-1", "count-2", "count-3" };
  char       *ids[G_N_ELEMENTS (keys)] = { NULL };
  const char *form = "amount=900&currency=eur";

  till_stripe_sim_set_retention (f->sim, 0, 0, 0, 2);
  for (guint i = 0; i < G_N_ELEMENTS (keys); i++)
    {
      g_autoptr (SimResponse) r =
          api_with (f, "POST", "/v1/payment_intents", form, "Idempotency-Key", keys[i]);

      assert_ok (r);
      ids[i] = g_strdup (sim_json_string (r->json, "id"));
      g_assert_cmpuint (counts (f).idempotency_keys, <=, 2);
    }

  {
    g_autoptr (SimResponse) newest =
        api_with (f, "POST", "/v1/payment_intents", form, "Idempotency-Key", keys[2]);
    g_autoptr (SimResponse) oldest = NULL;

    assert_ok (newest);
    g_assert_cmpstr (sim_json_string (newest->json, "id"), ==, ids[2]);
    g_assert_cmpstr (soup_message_headers_get_one (newest->headers, "Idempotent-Replayed"), ==,
                     "true");
    oldest = api_with (f, "POST", "/v1/payment_intents", form, "Idempotency-Key", keys[0]);
    assert_ok (oldest);
    g_assert_cmpstr (sim_json_string (oldest->json, "id"), !=, ids[0]);
    g_assert_null (soup_message_headers_get_one (oldest->headers, "Idempotent-Replayed"));
  }
  g_assert_cmpuint (counts (f).idempotency_keys, ==, 2);
  for (guint i = 0; i < G_N_ELEMENTS (keys); i++)
    g_free (ids[i]);
}

/* Many more payments than the caps: what the simulator holds stays within them. */
static void
test_retention_bounded (Fixture *f, gconstpointer data)
{
  const guint max_intents = 20, max_events = 40, max_keys = 20;

  till_stripe_sim_set_retention (f->sim, 0, max_intents, max_events, max_keys);
  for (guint i = 0; i < 300; i++)
    {
      g_autofree char *key = g_strdup_printf ("bounded-%u", i);
      const char      *card = i % 5 == 4 ? "pm_card_chargeDeclined" : "pm_card_visa";
      g_autofree char *form = g_strdup_printf ("amount=1250&currency=usd&confirm=true"
                                               "&payment_method=%s",
                                               card);
      g_autoptr (SimResponse) r =
          api_with (f, "POST", "/v1/payment_intents", form, "Idempotency-Key", key);
      TillStripeSimCounts c;

      if (i % 5 == 4)
        assert_error (r, 402, "card_error", "card_declined", NULL);
      else
        assert_ok (r);
      if (i % 3 == 0 && i % 5 != 4)
        {
          g_autofree char *refund_form =
              g_strdup_printf ("payment_intent=%s", sim_json_string (r->json, "id"));
          g_autoptr (SimResponse) refund = api (f, "POST", "/v1/refunds", refund_form);

          assert_ok (refund);
        }

      c = counts (f);
      g_assert_cmpuint (c.intents, <=, max_intents);
      g_assert_cmpuint (c.charges, <=, max_intents);
      g_assert_cmpuint (c.refunds, <=, max_intents);
      g_assert_cmpuint (c.payment_methods, <=, max_intents);
      g_assert_cmpuint (c.events, <=, max_events);
      g_assert_cmpuint (c.idempotency_keys, <=, max_keys);
    }
  g_assert_cmpuint (counts (f).intents, ==, max_intents);
  g_assert_cmpuint (counts (f).events, ==, max_events);
}

/* The defaults keep every intent and key (and 10,000 events), as before. */
static void
test_retention_default (Fixture *f, gconstpointer data)
{
  for (guint i = 0; i < 30; i++)
    {
      g_autofree char *key = g_strdup_printf ("default-%u", i);
      g_autoptr (SimResponse) r = api_with (f, "POST", "/v1/payment_intents",
                                            "amount=100&currency=usd", "Idempotency-Key", key);

      assert_ok (r);
    }
  till_stripe_sim_advance_clock (f->sim, 30 * 24 * 3600);
  {
    g_autoptr (SimResponse) any = api (f, "GET", "/v1/payment_intents?limit=1", NULL);

    assert_ok (any);
  }
  g_assert_cmpuint (counts (f).intents, ==, 30);
  g_assert_cmpuint (counts (f).events, ==, 30);
  /* Keys alone have Stripe's day. */
  g_assert_cmpuint (counts (f).idempotency_keys, ==, 0);
}

static void
test_object_lock (Fixture *f, gconstpointer data)
{
  g_autofree char *id = create_intent (f, NULL);
  g_autofree char *confirm_uri = g_strdup_printf ("%sv1/payment_intents/%s/confirm", f->base, id);
  g_autofree char *cancel_path = g_strdup_printf ("/v1/payment_intents/%s/cancel", id);
  const char      *slow_headers[] = { "Till-Sim-Fault", "delay=300", NULL };
  SimCall         *slow = sim_call_start (f->session, "POST", confirm_uri, SIM_TEST_KEY,
                                          "payment_method=pm_card_visa", slow_headers);
  g_autoptr (SimResponse) locked = NULL;
  g_autoptr (SimResponse) read = NULL;
  g_autoptr (SimResponse) confirmed = NULL;
  g_autoptr (SimResponse) late = NULL;

  for (;;)
    {
      g_autoptr (SimResponse) state = api (f, "GET", "/_sim/faults", NULL);

      if (sim_json_int (state->json, "delayed_requests") == 1)
        break;
    }
  /* Changing the intent meanwhile is refused; reading it is fine. */
  locked = api_with (f, "POST", cancel_path, NULL, "Idempotency-Key", "cancel-1");
  assert_error (locked, 409, "invalid_request_error", "lock_timeout", NULL);
  g_assert_cmpstr (soup_message_headers_get_one (locked->headers, "Stripe-Should-Retry"), ==,
                   "true");
  read = retrieve (f, id, NULL);
  assert_ok (read);
  g_assert_cmpstr (sim_json_string (read->json, "status"), ==, "requires_payment_method");

  confirmed = sim_call_wait (slow);
  assert_ok (confirmed);
  g_assert_cmpstr (sim_json_string (confirmed->json, "status"), ==, "succeeded");
  /* The lock is gone, and the 409 was not kept: the retry runs (and meets a paid intent). */
  late = api_with (f, "POST", cancel_path, NULL, "Idempotency-Key", "cancel-1");
  assert_error (late, 400, "invalid_request_error", "payment_intent_unexpected_state", NULL);
}

static void
test_idempotency_concurrent (Fixture *f, gconstpointer data)
{
  g_autofree char *uri = url (f, "/v1/payment_intents");
  const char      *headers[] = { "Idempotency-Key", "burst-1", NULL };
  const char      *slow_headers[] = { "Idempotency-Key", "burst-2", "Till-Sim-Fault", "delay=100",
                                      NULL };
  SimCall         *calls[24];
  const char      *id = NULL;
  guint            ok = 0, conflicts = 0;
  g_autoptr (GPtrArray) responses =
      g_ptr_array_new_with_free_func ((GDestroyNotify) sim_response_free);

  /* 12 at once with one key, and 12 at once with another whose requests take a while, over
   * 24 connections: exactly one PaymentIntent each, every 200 carries it, the rest are 409s. */
  for (guint i = 0; i < G_N_ELEMENTS (calls); i++)
    calls[i] = sim_call_start (f->session, "POST", uri, SIM_TEST_KEY, "amount=1250&currency=usd",
                               i % 2 ? slow_headers : headers);
  for (guint i = 0; i < G_N_ELEMENTS (calls); i++)
    g_ptr_array_add (responses, sim_call_wait (calls[i]));

  for (guint parity = 0; parity < 2; parity++)
    {
      id = NULL;
      for (guint i = parity; i < responses->len; i += 2)
        {
          SimResponse *r = g_ptr_array_index (responses, i);

          g_assert_no_error (r->error);
          if (r->status == 200)
            {
              ok++;
              if (id == NULL)
                id = sim_json_string (r->json, "id");
              g_assert_cmpstr (sim_json_string (r->json, "id"), ==, id);
            }
          else
            {
              assert_error (r, 409, "idempotency_error", NULL, NULL);
              conflicts++;
            }
        }
      g_assert_nonnull (id);
    }
  g_assert_cmpuint (ok + conflicts, ==, G_N_ELEMENTS (calls));
  /* Only the delayed key can be in flight when a retry comes; the other key's first request
   * runs at once, so its retries are replays. */
  g_assert_cmpuint (conflicts, <=, 11);
  g_assert_cmpuint (count_events (f, "payment_intent.created", NULL), ==, 2);
}

/* --- faults -------------------------------------------------------------------------- */

static void
test_faults_disabled (Fixture *f, gconstpointer data)
{
  g_autoptr (SimResponse) r = api_with (f, "POST", "/v1/payment_intents",
                                        "amount=1250&currency=usd", "Till-Sim-Fault", "500");
  g_autoptr (SimResponse) control = api (f, "POST", "/_sim/faults", "fault=500");
  g_autoptr (SimResponse) forget = api (f, "DELETE", "/_sim/idempotency", NULL);

  g_assert_false (till_stripe_sim_get_faults_enabled (f->sim));
  assert_ok (r);
  assert_error (control, 404, "invalid_request_error", NULL, NULL);
  assert_error (forget, 404, "invalid_request_error", NULL, NULL);
}

static void
test_faults_status (Fixture *f, gconstpointer data)
{
  const char *statuses[] = { "500", "502", "503" };

  for (guint i = 0; i < G_N_ELEMENTS (statuses); i++)
    {
      g_autofree char *key = g_strdup_printf ("fault-%s", statuses[i]);
      g_autoptr (SimResponse) r = NULL;
      g_autoptr (SimResponse) retry = NULL;
      g_autofree char *uri = url (f, "/v1/payment_intents");

      r = sim_request (f->session, "POST", uri, SIM_TEST_KEY, "amount=1250&currency=usd",
                       "Till-Sim-Fault", statuses[i], "Idempotency-Key", key, NULL);
      assert_error (r, g_ascii_strtoull (statuses[i], NULL, 10), "api_error", NULL, NULL);
      g_assert_cmpstr (soup_message_headers_get_one (r->headers, "Stripe-Should-Retry"), ==,
                       "true");
      g_assert_nonnull (soup_message_headers_get_one (r->headers, "Request-Id"));
      /* Nothing ran and nothing was kept: the retry runs. */
      retry = sim_request (f->session, "POST", uri, SIM_TEST_KEY, "amount=1250&currency=usd",
                           "Idempotency-Key", key, NULL);
      assert_ok (retry);
      g_assert_null (soup_message_headers_get_one (retry->headers, "Idempotent-Replayed"));
    }
  g_assert_cmpuint (count_events (f, "payment_intent.created", NULL), ==, 3);

  {
    g_autoptr (SimResponse) r = api_with (f, "POST", "/v1/payment_intents",
                                          "amount=1250&currency=usd", "Till-Sim-Fault", "429");
    g_autoptr (SimResponse) bad = api_with (
        f, "POST", "/v1/payment_intents", "amount=1250&currency=usd", "Till-Sim-Fault", "explode");

    g_autoptr (SimResponse) not_utf8 = api_with (
        f, "POST", "/v1/payment_intents", "amount=1250&currency=usd", "Till-Sim-Fault", "\xff\xfe");

    assert_error (r, 429, "invalid_request_error", "rate_limit", NULL);
    g_assert_cmpstr (soup_message_headers_get_one (r->headers, "Stripe-Should-Retry"), ==, "true");
    assert_error (bad, 400, "invalid_request_error", NULL, NULL);
    /* The error quotes the header, but stays UTF-8 JSON. */
    assert_error (not_utf8, 400, "invalid_request_error", NULL, NULL);
    g_assert_true (g_utf8_validate (g_bytes_get_data (not_utf8->body, NULL),
                                    g_bytes_get_size (not_utf8->body), NULL));
    g_assert_cmpuint (count_events (f, "payment_intent.created", NULL), ==, 3);
  }
}

static void
test_faults_drop_after (Fixture *f, gconstpointer data)
{
  g_autofree char *uri = url (f, "/v1/payment_intents");
  g_autoptr (SimResponse) dropped = NULL;
  g_autoptr (SimResponse) retry = NULL;
  g_autoptr (SimResponse) events = NULL;

  dropped = sim_request (f->session, "POST", uri, SIM_TEST_KEY, "amount=1250&currency=usd",
                         "Till-Sim-Fault", "drop-after", "Idempotency-Key", "drop-1", NULL);
  /* No answer reached the client… */
  g_assert_nonnull (dropped->error);
  g_assert_cmpuint (dropped->status, ==, 0);
  /* …but the intent exists, and the retry with the same key gets it. */
  g_assert_cmpuint (count_events (f, "payment_intent.created", NULL), ==, 1);
  retry = sim_request (f->session, "POST", uri, SIM_TEST_KEY, "amount=1250&currency=usd",
                       "Idempotency-Key", "drop-1", NULL);
  assert_ok (retry);
  g_assert_cmpstr (soup_message_headers_get_one (retry->headers, "Idempotent-Replayed"), ==,
                   "true");
  events = api (f, "GET", "/v1/events", NULL);
  g_assert_cmpstr (sim_json_string (events->json, "data.0.data.object.id"), ==,
                   sim_json_string (retry->json, "id"));
  g_assert_cmpuint (count_events (f, "payment_intent.created", NULL), ==, 1);
}

static void
test_faults_delay (Fixture *f, gconstpointer data)
{
  g_autoptr (SimResponse) fast = api (f, "POST", "/v1/payment_intents", "amount=1250&currency=usd");
  g_autoptr (SimResponse) slow = api_with (
      f, "POST", "/v1/payment_intents", "amount=1250&currency=usd", "Till-Sim-Fault", "delay=250");

  assert_ok (fast);
  assert_ok (slow);
  g_assert_cmpint (slow->elapsed_us, >=, 250 * 1000);
  g_assert_cmpint (fast->elapsed_us, <, 250 * 1000);
}

static void
test_faults_control (Fixture *f, gconstpointer data)
{
  g_autoptr (SimResponse) queued = api (f, "POST", "/_sim/faults", "fault=503&count=2");
  g_autoptr (SimResponse) r1 = api (f, "GET", "/v1/events", NULL);
  g_autoptr (SimResponse) r2 = api (f, "POST", "/v1/payment_intents", "amount=1250&currency=usd");
  g_autoptr (SimResponse) r3 = api (f, "GET", "/v1/events", NULL);
  g_autoptr (SimResponse) again = api (f, "POST", "/_sim/faults", "fault=429&count=5");
  g_autoptr (SimResponse) cleared = api (f, "DELETE", "/_sim/faults", NULL);
  g_autoptr (SimResponse) r4 = api (f, "GET", "/v1/events", NULL);
  g_autoptr (SimResponse) bad = api (f, "POST", "/_sim/faults", "fault=nope");
  g_autoptr (SimResponse) unauthenticated = NULL;

  assert_ok (queued);
  g_assert_cmpint (sim_json_int (queued->json, "queued"), ==, 2);
  assert_error (r1, 503, "api_error", NULL, NULL);
  assert_error (r2, 503, "api_error", NULL, NULL);
  assert_ok (r3);
  g_assert_cmpint (sim_json_int (again->json, "queued"), ==, 5);
  g_assert_cmpint (sim_json_int (cleared->json, "queued"), ==, 0);
  assert_ok (r4);
  assert_error (bad, 400, "invalid_request_error", NULL, "fault");
  {
    g_autofree char *uri = url (f, "/_sim/faults");

    unauthenticated = sim_request (f->session, "POST", uri, NULL, "fault=500", NULL);
    g_assert_cmpuint (unauthenticated->status, ==, 401);
  }
}

/* DELETE /_sim/idempotency: what Stripe may do a day after a key's first use, at once. */
static void
test_idempotency_forget (Fixture *f, gconstpointer data)
{
  const char *form = "amount=1250&currency=usd";
  g_autoptr (SimResponse) first =
      api_with (f, "POST", "/v1/payment_intents", form, "Idempotency-Key", "forget-1");
  g_autoptr (SimResponse) replayed =
      api_with (f, "POST", "/v1/payment_intents", form, "Idempotency-Key", "forget-1");
  g_autoptr (SimResponse) forgotten = api (f, "DELETE", "/_sim/idempotency", NULL);
  g_autoptr (SimResponse) made_again =
      api_with (f, "POST", "/v1/payment_intents", form, "Idempotency-Key", "forget-1");
  g_autoptr (SimResponse) nothing_left = api (f, "DELETE", "/_sim/idempotency", NULL);
  g_autoptr (SimResponse) wrong_method = api (f, "POST", "/_sim/idempotency", NULL);
  g_autoptr (SimResponse) unauthenticated = NULL;

  assert_ok (first);
  assert_ok (replayed);
  g_assert_cmpstr (sim_json_string (replayed->json, "id"), ==, sim_json_string (first->json, "id"));
  assert_ok (forgotten);
  g_assert_cmpint (sim_json_int (forgotten->json, "forgotten"), ==, 1);
  /* The key is new again: a second intent, not the first one replayed. */
  assert_ok (made_again);
  g_assert_null (soup_message_headers_get_one (made_again->headers, "Idempotent-Replayed"));
  g_assert_cmpstr (sim_json_string (made_again->json, "id"), !=,
                   sim_json_string (first->json, "id"));
  g_assert_cmpint (sim_json_int (nothing_left->json, "forgotten"), ==, 1);
  assert_error (wrong_method, 405, "invalid_request_error", NULL, NULL);
  {
    g_autofree char *uri = url (f, "/_sim/idempotency");

    unauthenticated = sim_request (f->session, "DELETE", uri, NULL, NULL, NULL);
    g_assert_cmpuint (unauthenticated->status, ==, 401);
  }
}

/* --- webhooks ----------------------------------------------------------------------- */

/* HMAC-SHA256 written out from its definition (RFC 2104) over GChecksum: an implementation
 * independent of the simulator's. */
static char *
independent_hmac_sha256_hex (const char *key, const char *data, gsize length)
{
  guchar block[64] = { 0 };
  guchar inner_digest[32];
  gsize  digest_length = sizeof inner_digest;
  g_autoptr (GChecksum) inner = g_checksum_new (G_CHECKSUM_SHA256);
  g_autoptr (GChecksum) outer = g_checksum_new (G_CHECKSUM_SHA256);
  guchar pad[64];

  if (strlen (key) > 64)
    {
      g_autoptr (GChecksum) hashed = g_checksum_new (G_CHECKSUM_SHA256);
      gsize n = 32;

      g_checksum_update (hashed, (const guchar *) key, -1);
      g_checksum_get_digest (hashed, block, &n);
    }
  else
    memcpy (block, key, strlen (key));

  for (guint i = 0; i < 64; i++)
    pad[i] = block[i] ^ 0x36;
  g_checksum_update (inner, pad, 64);
  g_checksum_update (inner, (const guchar *) data, length);
  g_checksum_get_digest (inner, inner_digest, &digest_length);

  for (guint i = 0; i < 64; i++)
    pad[i] = block[i] ^ 0x5c;
  g_checksum_update (outer, pad, 64);
  g_checksum_update (outer, inner_digest, digest_length);
  return g_strdup (g_checksum_get_string (outer));
}

/* Verifies a delivery as a receiver must: parse the header, recompute over "t.body". */
static void
assert_signed (const char *header, GBytes *body, const char *secret)
{
  g_auto (GStrv) items = g_strsplit (header, ",", -1);
  const char *t = NULL;
  g_autoptr (GPtrArray) v1 = g_ptr_array_new ();
  g_autoptr (GString) payload = g_string_new (NULL);
  g_autofree char *expected = NULL;
  gboolean         matched = FALSE;
  gint64           now = g_get_real_time () / G_USEC_PER_SEC;

  for (guint i = 0; items[i] != NULL; i++)
    {
      if (g_str_has_prefix (items[i], "t="))
        t = items[i] + 2;
      else if (g_str_has_prefix (items[i], "v1="))
        g_ptr_array_add (v1, items[i] + 3);
    }
  g_assert_nonnull (t);
  g_assert_cmpuint (v1->len, >=, 1);
  g_assert_cmpint (llabs (now - g_ascii_strtoll (t, NULL, 10)), <=, 300);

  g_string_append_printf (payload, "%s.", t);
  g_string_append_len (payload, g_bytes_get_data (body, NULL), g_bytes_get_size (body));
  expected = independent_hmac_sha256_hex (secret, payload->str, payload->len);
  for (guint i = 0; i < v1->len; i++)
    matched |= g_str_equal (g_ptr_array_index (v1, i), expected);
  g_assert_true (matched);

  /* And a wrong secret does not match. */
  {
    g_autofree char *wrong =
        independent_hmac_sha256_hex ("whsec_wrong", payload->str, payload->len);

    for (guint i = 0; i < v1->len; i++)
      g_assert_cmpstr (g_ptr_array_index (v1, i), !=, wrong);
  }
}

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

typedef struct
{
  SimReceiver *receiver;
  guint        count;
} ReceiverWait;

static gboolean
received_enough (gpointer data)
{
  ReceiverWait *wait = data;

  return wait->receiver->bodies->len >= wait->count;
}

static void
wait_for_deliveries (SimReceiver *receiver, guint count)
{
  ReceiverWait wait = { receiver, count };

  g_assert_true (till_test_wait_until (received_enough, &wait, SIM_TEST_DEADLINE_MS));
}

static gboolean
sim_idle (gpointer data)
{
  return till_stripe_sim_get_pending_webhooks (data) == 0;
}

static char **
received_types (SimReceiver *receiver)
{
  GStrvBuilder *builder = g_strv_builder_new ();
  char        **types;

  for (guint i = 0; i < receiver->bodies->len; i++)
    {
      g_autoptr (JsonNode) event = parse_body (g_ptr_array_index (receiver->bodies, i));

      g_strv_builder_add (builder, sim_json_string (event, "type"));
    }
  types = g_strv_builder_end (builder);
  g_strv_builder_unref (builder);
  return types;
}

#define WEBHOOK_SECRET "whsec_test_0123456789abcdefghij"

static void
test_webhooks_signed (Fixture *f, gconstpointer data)
{
  g_autoptr (SimReceiver) receiver = sim_receiver_new ();
  g_autoptr (GError) error = NULL;
  g_autofree char *paid = NULL;
  g_autofree char *declined = NULL;
  g_autofree char *canceled = NULL;
  g_autofree char *refund_form = NULL;
  g_auto (GStrv) types = NULL;

  g_assert_false (till_stripe_sim_set_webhook (f->sim, "ftp://x", WEBHOOK_SECRET, &error));
  g_assert_error (error, TILL_STRIPE_SIM_ERROR, TILL_STRIPE_SIM_ERROR_INVALID_WEBHOOK);
  g_clear_error (&error);
  g_assert_false (till_stripe_sim_set_webhook (f->sim, receiver->url, "secret", &error));
  g_assert_error (error, TILL_STRIPE_SIM_ERROR, TILL_STRIPE_SIM_ERROR_INVALID_WEBHOOK);
  g_clear_error (&error);
  g_assert_true (till_stripe_sim_set_webhook (f->sim, receiver->url, WEBHOOK_SECRET, &error));
  g_assert_no_error (error);

  paid = create_intent (f, NULL);
  declined = create_intent (f, NULL);
  canceled = create_intent (f, NULL);
  {
    g_autoptr (SimResponse) a G_GNUC_UNUSED = confirm (f, paid, "payment_method=pm_card_visa");
    g_autoptr (SimResponse) b G_GNUC_UNUSED =
        confirm (f, declined, "payment_method=pm_card_chargeDeclined");
    g_autofree char          *path = g_strdup_printf ("/v1/payment_intents/%s/cancel", canceled);
    g_autoptr (SimResponse) c G_GNUC_UNUSED = api (f, "POST", path, NULL);

    refund_form = g_strdup_printf ("payment_intent=%s&amount=100", paid);
    {
      g_autoptr (SimResponse) d = api (f, "POST", "/v1/refunds", refund_form);

      assert_ok (d);
    }
  }

  /* created ×3, charge.succeeded, payment_intent.succeeded, charge.failed,
   * payment_intent.payment_failed, payment_intent.canceled, charge.refunded, refund.created */
  wait_for_deliveries (receiver, 10);
  g_assert_true (till_test_wait_until (sim_idle, f->sim, SIM_TEST_DEADLINE_MS));

  for (guint i = 0; i < receiver->bodies->len; i++)
    assert_signed (g_ptr_array_index (receiver->signatures, i),
                   g_ptr_array_index (receiver->bodies, i), WEBHOOK_SECRET);

  types = received_types (receiver);
  g_assert_true (g_strv_contains ((const char *const *) types, "payment_intent.succeeded"));
  g_assert_true (g_strv_contains ((const char *const *) types, "payment_intent.payment_failed"));
  g_assert_true (g_strv_contains ((const char *const *) types, "payment_intent.canceled"));
  g_assert_true (g_strv_contains ((const char *const *) types, "charge.refunded"));
  g_assert_cmpuint (g_strv_length (types), ==, 10);

  /* Delivered: nothing pending any more. */
  {
    g_autoptr (SimResponse) done =
        api (f, "GET", "/v1/events?limit=100&delivery_success=true", NULL);
    g_autoptr (SimResponse) failed = api (f, "GET", "/v1/events?delivery_success=false", NULL);
    g_autoptr (SimResponse) recent =
        api (f, "GET", "/v1/events?limit=100&created[gte]=1600000000", NULL);
    g_autoptr (SimResponse) future = api (f, "GET", "/v1/events?created[gt]=4102444800", NULL);

    g_assert_cmpuint (
        json_array_get_length (json_node_get_array (sim_json_path (done->json, "data"))), ==, 10);
    g_assert_cmpint (sim_json_int (done->json, "data.0.pending_webhooks"), ==, 0);
    g_assert_cmpuint (
        json_array_get_length (json_node_get_array (sim_json_path (failed->json, "data"))), ==, 0);
    g_assert_cmpuint (
        json_array_get_length (json_node_get_array (sim_json_path (recent->json, "data"))), ==, 10);
    g_assert_cmpuint (
        json_array_get_length (json_node_get_array (sim_json_path (future->json, "data"))), ==, 0);
  }

  /* Every delivery is an event /v1/events also lists. */
  for (guint i = 0; i < receiver->bodies->len; i++)
    {
      g_autoptr (JsonNode) event = parse_body (g_ptr_array_index (receiver->bodies, i));
      g_autofree char *path = g_strdup_printf ("/v1/events/%s", sim_json_string (event, "id"));
      g_autoptr (SimResponse) listed = api (f, "GET", path, NULL);

      assert_ok (listed);
      g_assert_cmpstr (sim_json_string (listed->json, "type"), ==, sim_json_string (event, "type"));
      if (g_str_equal (sim_json_string (event, "type"), "charge.refunded"))
        g_assert_cmpint (sim_json_int (event, "data.object.amount_refunded"), ==, 100);
    }
}

/* The first delivered event of @type about @object_id (data.object.id or its
 * payment_intent), or NULL. */
static JsonNode *
find_delivery (SimReceiver *receiver, const char *type, const char *intent_id)
{
  for (guint i = 0; i < receiver->bodies->len; i++)
    {
      g_autoptr (JsonNode) event = parse_body (g_ptr_array_index (receiver->bodies, i));
      const char *id = sim_json_string (event, "data.object.id");
      const char *of = sim_json_string (event, "data.object.payment_intent");

      if (g_str_equal (sim_json_string (event, "type"), type) &&
          (g_strcmp0 (id, intent_id) == 0 || g_strcmp0 (of, intent_id) == 0))
        return g_steal_pointer (&event);
    }
  return NULL;
}

/* Pays an intent, refunds part of it and waits for its events to be delivered. */
static char *
pay_and_refund (Fixture *f, SimReceiver *receiver)
{
  char            *id = create_intent (f, NULL);
  g_autofree char *refund_form = g_strdup_printf ("payment_intent=%s&amount=100", id);
  g_autoptr (SimResponse) paid = confirm (f, id, "payment_method=pm_card_visa");
  g_autoptr (SimResponse) refund = api (f, "POST", "/v1/refunds", refund_form);

  assert_ok (paid);
  assert_ok (refund);
  g_assert_true (till_test_wait_until (sim_idle, f->sim, SIM_TEST_DEADLINE_MS));
  return id;
}

/* Events go out in the endpoint's API version, whatever the request's Stripe-Version: a current
 * one by default, where a PaymentIntent has no charges list and latest_charge is an id; in
 * 2020-08-27 the charges list carries the card. */
static void
test_webhooks_api_version (Fixture *f, gconstpointer data)
{
  g_autoptr (SimReceiver) receiver = sim_receiver_new ();
  static const char *const refused[] = { "2019-12-03",  "latest", "2024-13", "2024-06-20.Acacia",
                                         "2024-06-20x", "",       NULL };
  g_autofree char         *current = NULL;
  g_autofree char         *old = NULL;

  g_assert_true (till_stripe_sim_set_webhook (f->sim, receiver->url, WEBHOOK_SECRET, NULL));
  for (guint i = 0; refused[i] != NULL; i++)
    {
      g_autoptr (GError) error = NULL;

      g_assert_false (till_stripe_sim_set_webhook_api_version (f->sim, refused[i], &error));
      g_assert_error (error, TILL_STRIPE_SIM_ERROR, TILL_STRIPE_SIM_ERROR_INVALID_WEBHOOK);
    }
  g_assert_false (till_stripe_sim_set_webhook_api_version (f->sim, NULL, NULL));

  /* The default: a current version. */
  current = pay_and_refund (f, receiver);
  {
    g_autoptr (JsonNode) succeeded = find_delivery (receiver, "payment_intent.succeeded", current);
    g_autoptr (JsonNode) refunded = find_delivery (receiver, "charge.refunded", current);

    g_assert_nonnull (succeeded);
    g_assert_cmpstr (sim_json_string (succeeded, "api_version"), >=, "2022-11-15");
    g_assert_null (sim_json_path (succeeded, "data.object.charges"));
    g_assert_true (
        g_str_has_prefix (sim_json_string (succeeded, "data.object.latest_charge"), "ch_"));
    g_assert_nonnull (refunded);
    g_assert_null (sim_json_path (refunded, "data.object.refunds"));
    g_assert_cmpint (sim_json_int (refunded, "data.object.amount_refunded"), ==, 100);
  }

  /* An endpoint pinned to 2020-08-27. */
  g_assert_true (till_stripe_sim_set_webhook_api_version (f->sim, "2020-08-27", NULL));
  old = pay_and_refund (f, receiver);
  {
    g_autoptr (JsonNode) succeeded = find_delivery (receiver, "payment_intent.succeeded", old);
    g_autoptr (JsonNode) refunded = find_delivery (receiver, "charge.refunded", old);

    g_assert_nonnull (succeeded);
    g_assert_cmpstr (sim_json_string (succeeded, "api_version"), ==, "2020-08-27");
    g_assert_cmpstr (
        sim_json_string (succeeded, "data.object.charges.data.0.payment_method_details.card.last4"),
        ==, "4242");
    g_assert_nonnull (refunded);
    g_assert_cmpint (sim_json_int (refunded, "data.object.refunds.total_count"), ==, 1);
  }

  /* A named release is taken too; the API's own events stay in the account's version. */
  g_assert_true (till_stripe_sim_set_webhook_api_version (f->sim, "2024-09-30.acacia", NULL));
  {
    g_autoptr (SimResponse) listed = api (f, "GET", "/v1/events?limit=1", NULL);

    assert_ok (listed);
    g_assert_cmpstr (sim_json_string (listed->json, "data.0.api_version"), ==,
                     till_stripe_sim_get_api_version ());
  }
}

static void
test_webhooks_retry (Fixture *f, gconstpointer data)
{
  g_autoptr (SimReceiver) receiver = sim_receiver_new ();
  g_autofree char *id = NULL;
  gint64           gap1, gap2;

  receiver->fail_first = 3;
  g_assert_true (till_stripe_sim_set_webhook (f->sim, receiver->url, WEBHOOK_SECRET, NULL));
  till_stripe_sim_set_webhook_retry (f->sim, 60, 6);

  id = create_intent (f, NULL);
  wait_for_deliveries (receiver, 1);
  g_assert_cmpuint (receiver->attempts, ==, 4);
  /* Backoff: each wait at least the last doubled. */
  gap1 = g_array_index (receiver->times, gint64, 2) - g_array_index (receiver->times, gint64, 1);
  gap2 = g_array_index (receiver->times, gint64, 3) - g_array_index (receiver->times, gint64, 2);
  g_assert_cmpint (g_array_index (receiver->times, gint64, 1) -
                       g_array_index (receiver->times, gint64, 0),
                   >=, 60 * 1000);
  g_assert_cmpint (gap1, >=, 120 * 1000);
  g_assert_cmpint (gap2, >=, 240 * 1000);
  assert_signed (g_ptr_array_index (receiver->signatures, 0),
                 g_ptr_array_index (receiver->bodies, 0), WEBHOOK_SECRET);

  /* A dead endpoint is given up on after max attempts. */
  {
    g_autoptr (SimReceiver) dead = sim_receiver_new ();

    dead->fail_first = 1000;
    till_stripe_sim_set_webhook (f->sim, dead->url, WEBHOOK_SECRET, NULL);
    till_stripe_sim_set_webhook_retry (f->sim, 5, 3);
    g_free (create_intent (f, NULL));
    g_assert_true (till_test_wait_until (sim_idle, f->sim, SIM_TEST_DEADLINE_MS));
    g_assert_cmpuint (dead->attempts, ==, 3);
    {
      g_autoptr (SimResponse) failed = api (f, "GET", "/v1/events?delivery_success=false", NULL);

      g_assert_cmpuint (
          json_array_get_length (json_node_get_array (sim_json_path (failed->json, "data"))), ==,
          1);
      /* Never delivered, so still counted as Stripe counts it. */
      g_assert_cmpint (sim_json_int (failed->json, "data.0.pending_webhooks"), ==, 1);
    }
    till_stripe_sim_set_webhook (f->sim, NULL, NULL, NULL);
  }
}

static void
test_webhooks_out_of_order (Fixture *f, gconstpointer data)
{
  g_autoptr (SimReceiver) receiver = sim_receiver_new ();
  g_autofree char *a = NULL;
  g_autofree char *b = NULL;
  g_autofree char *path_a = NULL;
  g_autofree char *path_b = NULL;
  g_auto (GStrv) types = NULL;

  g_assert_true (till_stripe_sim_set_webhook (f->sim, receiver->url, WEBHOOK_SECRET, NULL));
  a = create_intent (f, NULL);
  b = create_intent (f, NULL);
  wait_for_deliveries (receiver, 2);
  g_ptr_array_set_size (receiver->bodies, 0);
  g_ptr_array_set_size (receiver->signatures, 0);

  path_a = g_strdup_printf ("/v1/payment_intents/%s/confirm", a);
  path_b = g_strdup_printf ("/v1/payment_intents/%s/confirm", b);
  {
    g_autoptr (SimResponse) normal = api (f, "POST", path_a, "payment_method=pm_card_visa");

    assert_ok (normal);
  }
  wait_for_deliveries (receiver, 2);
  types = received_types (receiver);
  g_assert_cmpstr (types[0], ==, "charge.succeeded");
  g_assert_cmpstr (types[1], ==, "payment_intent.succeeded");
  g_clear_pointer (&types, g_strfreev);
  g_ptr_array_set_size (receiver->bodies, 0);
  g_ptr_array_set_size (receiver->signatures, 0);

  {
    g_autoptr (SimResponse) reordered = api_with (f, "POST", path_b, "payment_method=pm_card_visa",
                                                  "Till-Sim-Fault", "reorder-webhooks");

    assert_ok (reordered);
  }
  wait_for_deliveries (receiver, 2);
  types = received_types (receiver);
  g_assert_cmpstr (types[0], ==, "payment_intent.succeeded");
  g_assert_cmpstr (types[1], ==, "charge.succeeded");
}

static void
test_webhooks_duplicate (Fixture *f, gconstpointer data)
{
  g_autoptr (SimReceiver) receiver = sim_receiver_new ();
  g_autoptr (SimResponse) r = NULL;

  g_assert_true (till_stripe_sim_set_webhook (f->sim, receiver->url, WEBHOOK_SECRET, NULL));
  r = api_with (f, "POST", "/v1/payment_intents",
                "amount=1250&currency=usd&confirm=true&payment_method=pm_card_visa",
                "Till-Sim-Fault", "duplicate-webhook");
  assert_ok (r);
  wait_for_deliveries (receiver, 6);
  g_assert_true (till_test_wait_until (sim_idle, f->sim, SIM_TEST_DEADLINE_MS));
  g_assert_cmpuint (receiver->bodies->len, ==, 6);

  /* Each of the three events came twice, with the same id. */
  {
    g_autoptr (GHashTable) counts = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

    for (guint i = 0; i < receiver->bodies->len; i++)
      {
        g_autoptr (JsonNode) event = parse_body (g_ptr_array_index (receiver->bodies, i));
        const char *id = sim_json_string (event, "id");
        guint       n = GPOINTER_TO_UINT (g_hash_table_lookup (counts, id));

        assert_signed (g_ptr_array_index (receiver->signatures, i),
                       g_ptr_array_index (receiver->bodies, i), WEBHOOK_SECRET);
        g_hash_table_replace (counts, g_strdup (id), GUINT_TO_POINTER (n + 1));
      }
    g_assert_cmpuint (g_hash_table_size (counts), ==, 3);
    {
      GHashTableIter iter;
      gpointer       value;

      g_hash_table_iter_init (&iter, counts);
      while (g_hash_table_iter_next (&iter, NULL, &value))
        g_assert_cmpuint (GPOINTER_TO_UINT (value), ==, 2);
    }
  }
}

/* lose-webhook: the request runs and its events exist, but no delivery of them is sent;
 * /v1/events lists them as not delivered. */
static void
test_webhooks_lost (Fixture *f, gconstpointer data)
{
  g_autoptr (SimReceiver) receiver = sim_receiver_new ();
  g_autoptr (SimResponse) lost = NULL;
  g_autoptr (SimResponse) kept = NULL;
  g_autoptr (SimResponse) undelivered = NULL;

  g_assert_true (till_stripe_sim_set_webhook (f->sim, receiver->url, WEBHOOK_SECRET, NULL));
  lost = api_with (f, "POST", "/v1/payment_intents", "amount=1250&currency=usd", "Till-Sim-Fault",
                   "lose-webhook");
  assert_ok (lost);
  kept = api (f, "POST", "/v1/payment_intents", "amount=1250&currency=usd");
  assert_ok (kept);
  wait_for_deliveries (receiver, 1);
  g_assert_true (till_test_wait_until (sim_idle, f->sim, SIM_TEST_DEADLINE_MS));

  /* Only the second intent's event came. */
  g_assert_cmpuint (receiver->bodies->len, ==, 1);
  {
    g_autoptr (JsonNode) event = parse_body (g_ptr_array_index (receiver->bodies, 0));

    g_assert_cmpstr (sim_json_string (event, "data.object.id"), ==,
                     sim_json_string (kept->json, "id"));
  }
  g_assert_cmpuint (count_events (f, "payment_intent.created", sim_json_string (lost->json, "id")),
                    ==, 1);
  undelivered = api (f, "GET", "/v1/events?delivery_success=false", NULL);
  assert_ok (undelivered);
  g_assert_cmpuint (
      json_array_get_length (json_node_get_array (sim_json_path (undelivered->json, "data"))), ==,
      1);
  g_assert_cmpstr (sim_json_string (undelivered->json, "data.0.data.object.id"), ==,
                   sim_json_string (lost->json, "id"));
}

/* Random faults: a share of the requests that name no fault of their own, from a list of
 * kinds, seeded, and counted per kind. */
static void
test_faults_random (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (SimResponse) counts = NULL;
  GString *statuses[2] = { g_string_new (NULL), g_string_new (NULL) };
  guint    faulted = 0;

  /* Bad input changes nothing. */
  g_assert_false (till_stripe_sim_set_random_faults (f->sim, 1.5, "503", 1, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  g_assert_false (till_stripe_sim_set_random_faults (f->sim, 0.5, "503,explode", 1, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  g_assert_false (till_stripe_sim_set_random_faults (f->sim, 0.5, " , ", 1, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  {
    g_autoptr (SimResponse) r = api (f, "GET", "/v1/events", NULL);

    assert_ok (r);
  }

  /* Every request, then none that says "none". */
  g_assert_true (till_stripe_sim_set_random_faults (f->sim, 1.0, "503", 7, &error));
  g_assert_no_error (error);
  for (guint i = 0; i < 3; i++)
    {
      g_autoptr (SimResponse) r =
          api (f, "POST", "/v1/payment_intents", "amount=1250&currency=usd");
      g_autoptr (SimResponse) spared =
          api_with (f, "GET", "/v1/events", NULL, "Till-Sim-Fault", "none");

      assert_error (r, 503, "api_error", NULL, NULL);
      assert_ok (spared);
    }
  counts = api_with (f, "GET", "/_sim/faults", NULL, "Till-Sim-Fault", "none");
  assert_ok (counts);
  g_assert_cmpint (sim_json_int (counts->json, "injected.503"), ==, 3);

  /* The same seed makes the same choices again. */
  for (guint round = 0; round < 2; round++)
    {
      g_assert_true (till_stripe_sim_set_random_faults (f->sim, 0.5, "429, 500", 42, &error));
      g_assert_no_error (error);
      for (guint i = 0; i < 40; i++)
        {
          g_autoptr (SimResponse) r = api (f, "GET", "/v1/events", NULL);

          g_string_append_printf (statuses[round], "%u ", r->status);
          faulted += r->status != 200;
        }
    }
  g_assert_cmpstr (statuses[0]->str, ==, statuses[1]->str);
  g_assert_nonnull (strstr (statuses[0]->str, "429"));
  g_assert_nonnull (strstr (statuses[0]->str, "500"));
  g_assert_nonnull (strstr (statuses[0]->str, "200"));
  {
    g_autoptr (SimResponse) r = api_with (f, "GET", "/_sim/faults", NULL, "Till-Sim-Fault", "none");

    g_assert_cmpint (sim_json_int (r->json, "injected.429") +
                         sim_json_int (r->json, "injected.500"),
                     ==, faulted / 2);
  }
  g_string_free (statuses[0], TRUE);
  g_string_free (statuses[1], TRUE);

  /* A rate of 0: no more faults. */
  g_assert_true (till_stripe_sim_set_random_faults (f->sim, 0, "503", 1, &error));
  {
    g_autoptr (SimResponse) r = api (f, "GET", "/v1/events", NULL);

    assert_ok (r);
  }
}

/* --- the rest ------------------------------------------------------------------------ */

static void
test_stripe_js_assets (Fixture *f, gconstpointer data)
{
  g_autofree char *js = url (f, "/v3/");
  g_autofree char *frame = url (f, "/v3/frame/card.html");
  g_autofree char *missing = url (f, "/v3/../till-stripe-sim.c");
  g_autoptr (SimResponse) a = sim_request (f->session, "GET", js, NULL, NULL, NULL);
  g_autoptr (SimResponse) b = sim_request (f->session, "GET", frame, NULL, NULL, NULL);
  g_autoptr (SimResponse) c = sim_request (f->session, "GET", missing, NULL, NULL, NULL);
  g_autofree char *js_uri = till_stripe_sim_dup_js_uri (f->sim);

  g_assert_cmpstr (js_uri, ==, js);
  g_assert_cmpuint (a->status, ==, 200);
  g_assert_true (g_str_has_prefix (soup_message_headers_get_content_type (a->headers, NULL),
                                   "application/javascript"));
  g_assert_nonnull (g_strstr_len (g_bytes_get_data (a->body, NULL), g_bytes_get_size (a->body),
                                  "confirmPayment"));
  g_assert_cmpuint (b->status, ==, 200);
  g_assert_nonnull (g_strstr_len (g_bytes_get_data (b->body, NULL), g_bytes_get_size (b->body),
                                  "Simulated card form — training"));
  g_assert_cmpuint (c->status, ==, 404);
}

static void
test_form_brackets (Fixture *f, gconstpointer data)
{
  g_autoptr (SimResponse) clash =
      api (f, "POST", "/v1/payment_intents", "amount=1250&currency=usd&metadata=x&metadata[a]=b");
  g_autoptr (SimResponse) gap = api (f, "POST", "/v1/payment_intents",
                                     "amount=1250&currency=usd&payment_method_types[3]=card");
  g_autoptr (SimResponse) empty_name =
      api (f, "POST", "/v1/payment_intents", "amount=1250&currency=usd&[x]=1");
  g_autoptr (SimResponse) unterminated =
      api (f, "POST", "/v1/payment_intents", "amount=1250&currency=usd&metadata[x=1");
  g_autoptr (SimResponse) escaped =
      api (f, "POST", "/v1/payment_intents", "amount=1250&currency=usd&metadata%5Bk%5D=%E2%82%AC");

  assert_error (clash, 400, "invalid_request_error", NULL, "metadata");
  assert_error (gap, 400, "invalid_request_error", NULL, NULL);
  assert_error (empty_name, 400, "invalid_request_error", NULL, NULL);
  assert_error (unterminated, 400, "invalid_request_error", NULL, NULL);
  assert_ok (escaped);
  g_assert_cmpstr (sim_json_string (escaped->json, "metadata.k"), ==, "€");
}

static void
test_body_limit (Fixture *f, gconstpointer data)
{
  g_autofree char *big = g_strnfill (2 * 1024 * 1024, 'a');
  g_autoptr (SimResponse) r = api (f, "POST", "/v1/payment_intents", big);

  g_assert_no_error (r->error);
  g_assert_cmpuint (r->status, ==, 413);
}

static void
test_publishable_key (Fixture *f, gconstpointer data)
{
  g_autofree char *id = create_intent (f, NULL);
  g_autoptr (SimResponse) intent = retrieve (f, id, NULL);
  const char      *secret = sim_json_string (intent->json, "client_secret");
  g_autofree char *get_ok =
      g_strdup_printf ("%sv1/payment_intents/%s?client_secret=%s", f->base, id, secret);
  g_autofree char *get_bad =
      g_strdup_printf ("%sv1/payment_intents/%s?client_secret=%s_x", f->base, id, id);
  g_autofree char *get_none = g_strdup_printf ("%sv1/payment_intents/%s", f->base, id);
  g_autofree char *confirm_uri = g_strdup_printf ("%sv1/payment_intents/%s/confirm", f->base, id);
  g_autofree char *form = g_strdup_printf ("client_secret=%s&" CARD ("4242424242424242"), secret);
  g_autoptr (SimResponse) a = sim_request (f->session, "GET", get_ok, "pk_test_abc123", NULL, NULL);
  g_autoptr (SimResponse) b =
      sim_request (f->session, "GET", get_bad, "pk_test_abc123", NULL, NULL);
  g_autoptr (SimResponse) c =
      sim_request (f->session, "GET", get_none, "pk_test_abc123", NULL, NULL);
  g_autoptr (SimResponse) d =
      sim_request (f->session, "POST", confirm_uri, "pk_test_abc123", form, NULL);
  g_autoptr (SimResponse) e = sim_request (f->session, "GET", get_ok, "pk_live_abc123", NULL, NULL);

  assert_ok (a);
  assert_error (b, 400, "invalid_request_error", NULL, "client_secret");
  assert_error (c, 400, "invalid_request_error", "parameter_missing", "client_secret");
  assert_ok (d);
  g_assert_cmpstr (sim_json_string (d->json, "status"), ==, "succeeded");
  g_assert_cmpuint (e->status, ==, 401);
}

/* till-server may run the simulator on a thread of its own, with its own main context:
 * everything it schedules (here the delay of a fault) must happen there. This thread never
 * iterates the default main context, and uses a blocking client. */
typedef struct
{
  GMutex     lock;
  GCond      cond;
  char      *base;
  GMainLoop *loop;
} SimThread;

static gpointer
sim_thread (gpointer data)
{
  SimThread *thread = data;
  g_autoptr (GMainContext) context = g_main_context_new ();
  g_autoptr (TillStripeSim) sim = NULL;
  g_autoptr (GError) error = NULL;

  g_main_context_push_thread_default (context);
  sim = till_stripe_sim_new (NULL, &error);
  g_assert_no_error (error);
  till_stripe_sim_set_faults_enabled (sim, TRUE);
  till_stripe_sim_listen (sim, "127.0.0.1", 0, &error);
  g_assert_no_error (error);

  g_mutex_lock (&thread->lock);
  thread->loop = g_main_loop_new (context, FALSE);
  thread->base = g_strdup (till_stripe_sim_get_base_uri (sim));
  g_cond_signal (&thread->cond);
  g_mutex_unlock (&thread->lock);

  g_main_loop_run (thread->loop);
  g_clear_object (&sim);
  g_main_context_pop_thread_default (context);
  return NULL;
}

static void
test_own_thread (void)
{
  SimThread thread = { 0 };
  /* A timeout instead of a hang if the delay were scheduled in the wrong context. */
  g_autoptr (SoupSession) session = soup_session_new_with_options ("timeout", 10, NULL);
  g_autoptr (SoupMessage) msg = NULL;
  g_autoptr (GBytes) body = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *uri = NULL;
  GThread         *worker;
  gint64           start;

  g_mutex_init (&thread.lock);
  g_cond_init (&thread.cond);
  worker = g_thread_new ("sim", sim_thread, &thread);
  g_mutex_lock (&thread.lock);
  while (thread.base == NULL)
    g_cond_wait (&thread.cond, &thread.lock);
  g_mutex_unlock (&thread.lock);

  uri = g_strconcat (thread.base, "v1/payment_intents", NULL);
  msg = soup_message_new ("POST", uri);
  soup_message_headers_replace (soup_message_get_request_headers (msg), "Authorization",
                                "Bearer " SIM_TEST_KEY);
  soup_message_headers_replace (soup_message_get_request_headers (msg), "Till-Sim-Fault",
                                "delay=50");
  {
    g_autoptr (GBytes) form = g_bytes_new_static ("amount=1250&currency=usd", 24);

    soup_message_set_request_body_from_bytes (msg, "application/x-www-form-urlencoded", form);
  }
  start = g_get_monotonic_time ();
  body = soup_session_send_and_read (session, msg, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (soup_message_get_status (msg), ==, 200);
  g_assert_cmpint (g_get_monotonic_time () - start, >=, 50 * 1000);

  g_main_loop_quit (thread.loop);
  g_thread_join (worker);
  g_main_loop_unref (thread.loop);
  g_free (thread.base);
  g_mutex_clear (&thread.lock);
  g_cond_clear (&thread.cond);
}

/* A webhook endpoint that holds its first delivery until told, and records the others. */
typedef struct
{
  SoupServer        *server;
  char              *url;
  SoupServerMessage *held;
  GPtrArray         *bodies; /* GBytes, the held one first once released */
  GBytes            *held_body;
} HoldingReceiver;

static void
on_holding_webhook (SoupServer        *server,
                    SoupServerMessage *msg,
                    const char        *path,
                    GHashTable        *query,
                    gpointer           user_data)
{
  HoldingReceiver *receiver = user_data;
  GBytes          *body = soup_message_body_flatten (soup_server_message_get_request_body (msg));

  soup_server_message_set_status (msg, 200, NULL);
  if (receiver->held == NULL && receiver->held_body == NULL)
    {
      receiver->held = g_object_ref (msg);
      receiver->held_body = body;
      soup_server_message_pause (msg);
      return;
    }
  g_ptr_array_add (receiver->bodies, body);
}

static gboolean
holding_receiver_holds (gpointer data)
{
  return ((HoldingReceiver *) data)->held != NULL;
}

static gboolean
delivered_three (gpointer data)
{
  HoldingReceiver *receiver = data;

  return receiver->bodies->len >= 2 && receiver->held == NULL;
}

/* A delivery carries its own copy of the event: it still goes out once the event is
 * forgotten. At most max_events deliveries wait; past that the oldest is given up on. */
static void
test_retention_webhooks (Fixture *f, gconstpointer data)
{
  HoldingReceiver receiver = { 0 };
  g_autoptr (GError) error = NULL;
  char            *ids[4] = { NULL };
  g_autofree char *first_event = NULL;
  GSList          *uris;

  receiver.server = soup_server_new (NULL, NULL);
  receiver.bodies = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  soup_server_add_handler (receiver.server, "/hook", on_holding_webhook, &receiver, NULL);
  soup_server_listen_local (receiver.server, 0, SOUP_SERVER_LISTEN_IPV4_ONLY, &error);
  g_assert_no_error (error);
  uris = soup_server_get_uris (receiver.server);
  receiver.url = g_strdup_printf ("http://127.0.0.1:%d/hook", g_uri_get_port (uris->data));
  g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);

  g_assert_true (till_stripe_sim_set_webhook (f->sim, receiver.url, WEBHOOK_SECRET, &error));
  till_stripe_sim_set_retention (f->sim, 0, 0, 2, 0);

  /* The first event's delivery is held at the endpoint; the next ones wait behind it. */
  ids[0] = create_intent (f, NULL);
  g_assert_true (till_test_wait_until (holding_receiver_holds, &receiver, SIM_TEST_DEADLINE_MS));
  {
    g_autoptr (JsonNode) held = parse_body (receiver.held_body);

    first_event = g_strdup (sim_json_string (held, "id"));
  }
  for (guint i = 1; i < G_N_ELEMENTS (ids); i++)
    {
      ids[i] = create_intent (f, NULL);
      /* Two waiting at most, and the one in flight. */
      g_assert_cmpuint (counts (f).webhooks, <=, 3);
    }
  g_assert_cmpuint (counts (f).webhooks, ==, 3);
  g_assert_cmpuint (counts (f).events, ==, 2);
  assert_missing (f, "events", first_event);

  /* Released: the forgotten event's delivery ends well, then the two newest go out; the
   * second intent's was given up on. */
  soup_server_message_unpause (receiver.held);
  g_clear_object (&receiver.held);
  g_assert_true (till_test_wait_until (delivered_three, &receiver, SIM_TEST_DEADLINE_MS));
  g_assert_true (till_test_wait_until (sim_idle, f->sim, SIM_TEST_DEADLINE_MS));
  {
    g_autoptr (JsonNode) held = parse_body (receiver.held_body);

    g_assert_cmpstr (sim_json_string (held, "type"), ==, "payment_intent.created");
    g_assert_cmpstr (sim_json_string (held, "data.object.id"), ==, ids[0]);
    g_assert_cmpuint (sim_json_int (held, "data.object.amount"), ==, 1250);
  }
  g_assert_cmpuint (receiver.bodies->len, ==, 2);
  for (guint i = 0; i < receiver.bodies->len; i++)
    {
      g_autoptr (JsonNode) event = parse_body (g_ptr_array_index (receiver.bodies, i));

      g_assert_cmpstr (sim_json_string (event, "data.object.id"), ==, ids[2 + i]);
    }

  soup_server_disconnect (receiver.server);
  g_object_unref (receiver.server);
  g_ptr_array_unref (receiver.bodies);
  g_bytes_unref (receiver.held_body);
  g_free (receiver.url);
  for (guint i = 0; i < G_N_ELEMENTS (ids); i++)
    g_free (ids[i]);
}

#define MOTO "payment_method_options[card][moto]=true"

/* MOTO: only on confirmation, only with the secret key, only for an approved account; and
 * then no 3-D Secure. */
static void
test_moto (Fixture *f, gconstpointer data)
{
  g_autofree char *id = create_intent (f, NULL);
  g_autofree char *other = NULL;
  g_autofree char *confirm_path = g_strdup_printf ("/v1/payment_intents/%s/confirm", id);
  g_autofree char *confirm_url = url (f, confirm_path);

  /* Not an approved account: Stripe's refusal, and the intent is untouched. */
  {
    g_autoptr (SimResponse) r =
        confirm (f, id, "payment_method=pm_card_authenticationRequired&" MOTO);
    g_autoptr (SimResponse) after = retrieve (f, id, NULL);

    assert_error (r, 400, "invalid_request_error", "parameter_unknown",
                  "payment_method_options[card][moto]");
    assert_ok (after);
    g_assert_cmpstr (sim_json_string (after->json, "status"), ==, "requires_payment_method");
  }

  till_stripe_sim_set_moto_enabled (f->sim, TRUE);

  /* Never on creation or update: it can only be provided during confirmation. */
  {
    g_autoptr (SimResponse) created =
        api (f, "POST", "/v1/payment_intents", "amount=1250&currency=usd&" MOTO);
    g_autofree char *path = g_strdup_printf ("/v1/payment_intents/%s", id);
    g_autoptr (SimResponse) updated = api (f, "POST", path, MOTO);

    assert_error (created, 400, "invalid_request_error", "parameter_unknown",
                  "payment_method_options[card][moto]");
    assert_error (updated, 400, "invalid_request_error", "parameter_unknown",
                  "payment_method_options[card][moto]");
  }

  /* Never from the browser, with the publishable key. */
  {
    g_autoptr (SimResponse) r = NULL;
    g_autofree char *form = NULL;
    g_autoptr (SimResponse) intent = retrieve (f, id, NULL);

    assert_ok (intent);
    form = g_strdup_printf ("client_secret=%s&payment_method=pm_card_visa&" MOTO,
                            sim_json_string (intent->json, "client_secret"));
    r = sim_request (f->session, "POST", confirm_url, "pk_test_abc123", form, NULL);
    assert_error (r, 400, "invalid_request_error", "parameter_unknown",
                  "payment_method_options[card][moto]");
  }

  /* With the secret key: a card that always asks for 3-D Secure is charged at once. */
  {
    g_autoptr (SimResponse) r =
        confirm (f, id, "payment_method=pm_card_authenticationRequired&" MOTO);

    assert_ok (r);
    g_assert_cmpstr (sim_json_string (r->json, "status"), ==, "succeeded");
    g_assert_true (sim_json_is_null (r->json, "next_action"));
  }

  /* The same card without the flag still meets its bank's challenge. */
  other = create_intent (f, NULL);
  {
    g_autoptr (SimResponse) r = confirm (f, other, "payment_method=pm_card_authenticationRequired");

    assert_ok (r);
    g_assert_cmpstr (sim_json_string (r->json, "status"), ==, "requires_action");
  }
}

#define NEW_CARD(number)                                                                           \
  "type=card&card[number]=" number "&card[exp_month]=12&card[exp_year]=2034&card[cvc]=123"

/* POST /v1/payment_methods with the publishable key, as Stripe.js's createPaymentMethod(). */
static SimResponse *
create_pm (Fixture *f, const char *form)
{
  g_autofree char *uri = url (f, "/v1/payment_methods");

  return sim_request (f->session, "POST", uri, "pk_test_abc123", form, NULL);
}

/* A card typed into the card frame becomes a PaymentMethod (the publishable key may make
 * one); an intent confirmed with it is charged to that card. Bad details get Stripe's error
 * and make nothing. */
static void
test_payment_methods (Fixture *f, gconstpointer data)
{
  g_autoptr (SimResponse) made = create_pm (f, NEW_CARD ("4000002500003155"));
  g_autofree char *id = create_intent (f, NULL);
  g_autofree char *form = NULL;
  g_autoptr (SimResponse) confirmed = NULL;
  g_autoptr (SimResponse) live = NULL;
  g_autofree char *live_uri = url (f, "/v1/payment_methods");
  guint            before;

  assert_ok (made);
  g_assert_true (g_str_has_prefix (sim_json_string (made->json, "id"), "pm_"));
  g_assert_cmpstr (sim_json_string (made->json, "object"), ==, "payment_method");
  g_assert_cmpstr (sim_json_string (made->json, "type"), ==, "card");
  g_assert_cmpstr (sim_json_string (made->json, "card.brand"), ==, "visa");
  g_assert_cmpstr (sim_json_string (made->json, "card.last4"), ==, "3155");
  g_assert_cmpint (sim_json_int (made->json, "card.exp_month"), ==, 12);
  g_assert_cmpint (sim_json_int (made->json, "card.exp_year"), ==, 2034);
  {
    gsize            size = 0;
    const char      *bytes = g_bytes_get_data (made->body, &size);
    g_autofree char *text = g_strndup (bytes, size);

    /* Only the last four digits come back. */
    g_assert_null (strstr (text, "4000002500003155"));
  }

  /* The secret key may make one too. */
  {
    g_autoptr (SimResponse) r =
        api (f, "POST", "/v1/payment_methods", NEW_CARD ("4242424242424242"));

    assert_ok (r);
    g_assert_cmpstr (sim_json_string (r->json, "card.last4"), ==, "4242");
  }

  /* Confirmed by the server with it: this card asks for 3-D Secure, unless MOTO. */
  till_stripe_sim_set_moto_enabled (f->sim, TRUE);
  form = g_strdup_printf ("payment_method=%s&" MOTO, sim_json_string (made->json, "id"));
  confirmed = confirm (f, id, form);
  assert_ok (confirmed);
  g_assert_cmpstr (sim_json_string (confirmed->json, "status"), ==, "succeeded");
  g_assert_cmpstr (sim_json_string (confirmed->json, "payment_method"), ==,
                   sim_json_string (made->json, "id"));

  before = counts (f).payment_methods;
  {
    g_autoptr (SimResponse) r = create_pm (f, NEW_CARD ("4242424242424241"));

    assert_error (r, 402, "card_error", "incorrect_number", "card[number]");
  }
  {
    g_autoptr (SimResponse) r =
        create_pm (f, "type=card&card[number]=4242424242424242&card[exp_month]=13"
                      "&card[exp_year]=2034&card[cvc]=123");

    assert_error (r, 402, "card_error", "invalid_expiry_month", "card[exp_month]");
  }
  {
    g_autoptr (SimResponse) r =
        create_pm (f, "type=card&card[number]=4242424242424242&card[exp_month]=12"
                      "&card[exp_year]=2034&card[cvc]=12x");

    assert_error (r, 402, "card_error", "invalid_cvc", "card[cvc]");
  }
  {
    g_autoptr (SimResponse) r = create_pm (f, "type=card");

    assert_error (r, 400, "invalid_request_error", "parameter_missing", "card");
  }
  {
    g_autoptr (SimResponse) r =
        create_pm (f, "card[number]=4242424242424242&card[exp_month]=12&card[exp_year]=2034");

    assert_error (r, 400, "invalid_request_error", "parameter_missing", "type");
  }
  {
    g_autoptr (SimResponse) r = create_pm (f, "type=sepa_debit");

    assert_error (r, 400, "invalid_request_error", NULL, "type");
  }
  live = sim_request (f->session, "POST", live_uri, "pk_live_abc123", NEW_CARD ("4242424242424242"),
                      NULL);
  g_assert_cmpuint (live->status, ==, 401);
  g_assert_cmpuint (counts (f).payment_methods, ==, before);
}

/* A PaymentMethod no intent takes is forgotten by the intents' limits, count and age; one an
 * intent took lives as long as the intent. */
static void
test_retention_payment_methods (Fixture *f, gconstpointer data)
{
  char            *ids[4] = { NULL };
  g_autofree char *used = NULL;
  g_autofree char *intent = NULL;

  till_stripe_sim_set_retention (f->sim, 3600, 2, 0, 0);
  for (guint i = 0; i < G_N_ELEMENTS (ids); i++)
    {
      g_autoptr (SimResponse) r = create_pm (f, NEW_CARD ("4242424242424242"));

      assert_ok (r);
      ids[i] = g_strdup (sim_json_string (r->json, "id"));
    }
  {
    g_autoptr (SimResponse) r = create_pm (f, NEW_CARD ("4242424242424242"));

    assert_ok (r);
    used = g_strdup (sim_json_string (r->json, "id"));
  }
  /* Only the newest two are left. */
  g_assert_cmpuint (counts (f).payment_methods, ==, 2);
  for (guint i = 0; i < 3; i++)
    {
      g_autofree char *other = create_intent (f, NULL);
      g_autofree char *form = g_strdup_printf ("payment_method=%s", ids[i]);
      g_autoptr (SimResponse) r = confirm (f, other, form);

      assert_error (r, 400, "invalid_request_error", "resource_missing", "payment_method");
    }

  /* An intent takes one: it lives as long as the intent, past the age of the other. */
  till_stripe_sim_set_retention (f->sim, 3600, 0, 0, 0);
  till_stripe_sim_advance_clock (f->sim, 1800);
  intent = create_intent (f, NULL);
  {
    g_autofree char *form = g_strdup_printf ("payment_method=%s", used);
    g_autoptr (SimResponse) r = confirm (f, intent, form);

    assert_ok (r);
    g_assert_cmpstr (sim_json_string (r->json, "status"), ==, "succeeded");
  }
  till_stripe_sim_advance_clock (f->sim, 1801);
  {
    g_autoptr (SimResponse) r = retrieve (f, intent, "expand[]=payment_method");

    assert_ok (r);
    g_assert_cmpstr (sim_json_string (r->json, "payment_method.id"), ==, used);
  }
  g_assert_cmpuint (counts (f).payment_methods, ==, 1);
  {
    g_autofree char *other = create_intent (f, NULL);
    g_autofree char *form = g_strdup_printf ("payment_method=%s", ids[3]);
    g_autoptr (SimResponse) r = confirm (f, other, form);

    assert_error (r, 400, "invalid_request_error", "resource_missing", "payment_method");
  }
  for (guint i = 0; i < G_N_ELEMENTS (ids); i++)
    g_free (ids[i]);
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

  g_test_add_func ("/sim/keys/live-refused", test_live_keys_refused);
  g_test_add_func ("/sim/own-thread", test_own_thread);
  g_test_add_func ("/sim/idempotency/pruned", test_idempotency_pruned);
  add ("/sim/auth", FALSE, test_auth);
  add ("/sim/auth/publishable", FALSE, test_publishable_key);
  add ("/sim/payment-methods", FALSE, test_payment_methods);
  add ("/sim/retention/payment-methods", FALSE, test_retention_payment_methods);
  add ("/sim/request-id", FALSE, test_request_id);
  add ("/sim/form/brackets", FALSE, test_form_brackets);
  add ("/sim/form/body-limit", FALSE, test_body_limit);
  add ("/sim/form/content-type", FALSE, test_json_body_refused);
  add ("/sim/payment-intents/create", FALSE, test_create);
  add ("/sim/payment-intents/validation", FALSE, test_validation);
  add ("/sim/payment-intents/retrieve", FALSE, test_retrieve);
  add ("/sim/payment-intents/list", FALSE, test_list_intents);
  add ("/sim/payment-intents/update", FALSE, test_update);
  add ("/sim/payment-intents/cards", FALSE, test_cards);
  add ("/sim/payment-intents/moto", FALSE, test_moto);
  add ("/sim/payment-intents/card-errors", FALSE, test_card_errors);
  add ("/sim/payment-intents/create-and-confirm", FALSE, test_create_and_confirm);
  add ("/sim/payment-intents/3ds", FALSE, test_three_d_secure);
  add ("/sim/payment-intents/cancel", FALSE, test_cancel);
  add ("/sim/payment-intents/capture", FALSE, test_capture);
  add ("/sim/refunds", FALSE, test_refunds);
  add ("/sim/events", FALSE, test_events);
  add ("/sim/idempotency/replay", FALSE, test_idempotency_replay);
  add ("/sim/idempotency/in-flight", TRUE, test_idempotency_in_flight);
  add ("/sim/idempotency/concurrent", TRUE, test_idempotency_concurrent);
  add ("/sim/idempotency/forget", TRUE, test_idempotency_forget);
  add ("/sim/faults/object-lock", TRUE, test_object_lock);
  add ("/sim/faults/disabled", FALSE, test_faults_disabled);
  add ("/sim/faults/status", TRUE, test_faults_status);
  add ("/sim/faults/drop-after", TRUE, test_faults_drop_after);
  add ("/sim/faults/delay", TRUE, test_faults_delay);
  add ("/sim/faults/control", TRUE, test_faults_control);
  add ("/sim/faults/random", FALSE, test_faults_random);
  add ("/sim/webhooks/signed", FALSE, test_webhooks_signed);
  add ("/sim/webhooks/api-version", FALSE, test_webhooks_api_version);
  add ("/sim/webhooks/retry", FALSE, test_webhooks_retry);
  add ("/sim/webhooks/out-of-order", TRUE, test_webhooks_out_of_order);
  add ("/sim/webhooks/duplicate", TRUE, test_webhooks_duplicate);
  add ("/sim/webhooks/lost", TRUE, test_webhooks_lost);
  add ("/sim/stripe-js/assets", FALSE, test_stripe_js_assets);
  add ("/sim/retention/count", FALSE, test_retention_count);
  add ("/sim/retention/age", FALSE, test_retention_age);
  add ("/sim/retention/idempotency-keys", FALSE, test_retention_idempotency_keys);
  add ("/sim/retention/bounded", FALSE, test_retention_bounded);
  add ("/sim/retention/default", FALSE, test_retention_default);
  add ("/sim/retention/webhooks", FALSE, test_retention_webhooks);

  return g_test_run ();
}
