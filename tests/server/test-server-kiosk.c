/* test-server-kiosk.c: kiosk terminals and their policy: the configuration a kiosk reads,
 * PATCH /api/v1/terminals/{id}/policy, the command line, and no MOTO at a kiosk whatever
 * the app says.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "till-kiosk-policies.h"
#include "till-pin.h"
#include "till-stripe-sim.h"
#include "till-terminals.h"
#include "till-test-fixture.h"

typedef struct
{
  Fixture base;
  char   *kiosk_token;
  gint64  kiosk_id;
} KioskFixture;

static void
kiosk_setup (KioskFixture *fixture, gconstpointer data)
{
  g_autoptr (GError) error = NULL;

  fixture_setup (&fixture->base, data);
  fixture->kiosk_token = till_terminals_add (fixture->base.server->api->db, "Kiosk 2",
                                             TILL_ROLE_KIOSK, &fixture->kiosk_id, &error);
  g_assert_no_error (error);
}

static void
kiosk_teardown (KioskFixture *fixture, gconstpointer data)
{
  g_free (fixture->kiosk_token);
  fixture_teardown (&fixture->base, data);
}

static TillTestResponse *
request (KioskFixture *fixture,
         const char   *method,
         const char   *path,
         const char   *token,
         const char   *body)
{
  return till_test_request (fixture->base.server, method, path, token, body);
}

static TillTestResponse *
patch_policy (KioskFixture *fixture, gint64 id, const char *token, const char *body)
{
  g_autofree char *path = g_strdup_printf ("/api/v1/terminals/%" G_GINT64_FORMAT "/policy", id);

  return request (fixture, "PATCH", path, token, body);
}

static JsonObject *
kiosk_config (KioskFixture *fixture, TillTestResponse **out_response)
{
  *out_response = request (fixture, "GET", "/api/v1/config", fixture->kiosk_token, NULL);
  g_assert_cmpuint ((*out_response)->status, ==, 200);
  g_assert_cmpstr (json_object_get_string_member ((*out_response)->json, "role"), ==, "kiosk");
  return json_object_get_object_member ((*out_response)->json, "kiosk");
}

static GBytes *
base64_member (JsonObject *object, const char *member)
{
  gsize   length = 0;
  guchar *data = g_base64_decode (json_object_get_string_member (object, member), &length);

  return g_bytes_new_take (data, length);
}

/* Whether the PIN in @kiosk (the configuration's "kiosk") is @pin. */
static gboolean
pin_is (JsonObject *kiosk, const char *pin)
{
  JsonObject *hashed = json_object_get_object_member (kiosk, "pin");
  g_autoptr (GBytes) salt = base64_member (hashed, "salt");
  g_autoptr (GBytes) hash = base64_member (hashed, "hash");

  g_assert_cmpstr (json_object_get_string_member (hashed, "algorithm"), ==, "pbkdf2-sha256");
  return till_pin_verify (pin, g_bytes_get_data (salt, NULL), g_bytes_get_size (salt),
                          json_object_get_int_member (hashed, "iterations"),
                          g_bytes_get_data (hash, NULL), g_bytes_get_size (hash));
}

/* A cashier's till is no kiosk: "kiosk" is null. */
static void
test_config_cashier (KioskFixture *fixture, gconstpointer data)
{
  g_autoptr (TillTestResponse) config =
      request (fixture, "GET", "/api/v1/config", fixture->base.server->cashier_token, NULL);

  g_assert_cmpuint (config->status, ==, 200);
  g_assert_cmpstr (json_object_get_string_member (config->json, "role"), ==, "cashier");
  g_assert_true (json_object_has_member (config->json, "kiosk"));
  g_assert_true (json_object_get_null_member (config->json, "kiosk"));
}

/* A kiosk nobody set a policy for: the defaults, card only, no PIN. */
static void
test_config_defaults (KioskFixture *fixture, gconstpointer data)
{
  g_autoptr (TillTestResponse) response = NULL;
  JsonObject *kiosk = kiosk_config (fixture, &response);
  JsonArray  *tenders = json_object_get_array_member (kiosk, "tenders");

  g_assert_cmpint (json_object_get_int_member (kiosk, "idle_timeout"), ==, 60);
  g_assert_cmpint (json_object_get_int_member (kiosk, "countdown"), ==, 20);
  g_assert_cmpuint (json_array_get_length (tenders), ==, 1);
  g_assert_cmpstr (json_array_get_string_element (tenders, 0), ==, "card");
  g_assert_true (json_object_get_null_member (kiosk, "pin"));
}

static void
test_policy_patch (KioskFixture *fixture, gconstpointer data)
{
  const char *admin = fixture->base.server->admin_token;

  {
    g_autoptr (TillTestResponse) changed = patch_policy (
        fixture, fixture->kiosk_id, admin,
        "{\"idle_timeout\": 90, \"countdown\": 10, \"pin\": \"2468\", \"tenders\": [\"card\"]}");

    g_assert_cmpuint (changed->status, ==, 200);
    g_assert_cmpint (json_object_get_int_member (changed->json, "id"), ==, fixture->kiosk_id);
    g_assert_cmpstr (json_object_get_string_member (changed->json, "name"), ==, "Kiosk 2");
    g_assert_cmpint (json_object_get_int_member (changed->json, "idle_timeout"), ==, 90);
    g_assert_true (json_object_get_boolean_member (changed->json, "pin_set"));
    /* The admin's answer never carries the PIN or its hash. */
    g_assert_false (json_object_has_member (changed->json, "pin"));
  }
  {
    g_autoptr (TillTestResponse) response = NULL;
    JsonObject *kiosk = kiosk_config (fixture, &response);

    g_assert_cmpint (json_object_get_int_member (kiosk, "idle_timeout"), ==, 90);
    g_assert_cmpint (json_object_get_int_member (kiosk, "countdown"), ==, 10);
    g_assert_true (pin_is (kiosk, "2468"));
    g_assert_false (pin_is (kiosk, "2469"));
  }
  /* Only what is sent changes; "pin": null takes the PIN away. */
  {
    g_autoptr (TillTestResponse) changed =
        patch_policy (fixture, fixture->kiosk_id, admin, "{\"countdown\": 30}");
    g_autoptr (TillTestResponse) response = NULL;
    JsonObject *kiosk;

    g_assert_cmpuint (changed->status, ==, 200);
    kiosk = kiosk_config (fixture, &response);
    g_assert_cmpint (json_object_get_int_member (kiosk, "idle_timeout"), ==, 90);
    g_assert_cmpint (json_object_get_int_member (kiosk, "countdown"), ==, 30);
    g_assert_true (pin_is (kiosk, "2468"));
  }
  {
    g_autoptr (TillTestResponse) changed =
        patch_policy (fixture, fixture->kiosk_id, admin, "{\"pin\": null}");
    g_autoptr (TillTestResponse) response = NULL;

    g_assert_cmpuint (changed->status, ==, 200);
    g_assert_false (json_object_get_boolean_member (changed->json, "pin_set"));
    g_assert_true (json_object_get_null_member (kiosk_config (fixture, &response), "pin"));
  }
  /* An admin reads it back the same way. */
  {
    g_autofree char *path =
        g_strdup_printf ("/api/v1/terminals/%" G_GINT64_FORMAT "/policy", fixture->kiosk_id);
    g_autoptr (TillTestResponse) read = request (fixture, "GET", path, admin, NULL);

    g_assert_cmpuint (read->status, ==, 200);
    g_assert_cmpint (json_object_get_int_member (read->json, "countdown"), ==, 30);
  }
}

/* Bad changes are refused with what is wrong, and change nothing. */
static void
test_policy_refused (KioskFixture *fixture, gconstpointer data)
{
  static const struct
  {
    const char *body;
    const char *code;
  } bad[] = {
    { "{\"idle_timeout\": 5}", "invalid_field" },
    { "{\"idle_timeout\": 3601}", "invalid_field" },
    { "{\"countdown\": 1}", "invalid_field" },
    { "{\"pin\": \"123\"}", "invalid_request" },
    { "{\"pin\": \"12ab\"}", "invalid_request" },
    { "{\"pin\": 2468}", "invalid_field" },
    { "{\"tenders\": []}", "invalid_request" },
    { "{\"tenders\": [\"cheque\"]}", "invalid_request" },
    { "{\"tenders\": [\"card\", \"card\"]}", "invalid_request" },
    { "{\"tenders\": [1]}", "invalid_request" },
    { "{\"role\": \"cashier\"}", "unknown_field" },
    { "[]", "invalid_field" },
  };
  const char *admin = fixture->base.server->admin_token;

  {
    g_autoptr (TillTestResponse) set =
        patch_policy (fixture, fixture->kiosk_id, admin, "{\"idle_timeout\": 45}");
    g_assert_cmpuint (set->status, ==, 200);
  }
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr (TillTestResponse) refused =
          patch_policy (fixture, fixture->kiosk_id, admin, bad[i].body);

      g_test_message ("%s", bad[i].body);
      assert_json_error (refused, 400, bad[i].code);
    }
  /* Only an admin, never the kiosk itself nor a cashier. */
  {
    g_autoptr (TillTestResponse) by_kiosk =
        patch_policy (fixture, fixture->kiosk_id, fixture->kiosk_token, "{\"idle_timeout\": 900}");
    g_autoptr (TillTestResponse) by_cashier = patch_policy (
        fixture, fixture->kiosk_id, fixture->base.server->cashier_token, "{\"idle_timeout\": 900}");

    assert_json_error (by_kiosk, 403, "forbidden");
    assert_json_error (by_cashier, 403, "forbidden");
  }
  /* A terminal that is no kiosk has no policy, nor does one that does not exist. */
  {
    g_autoptr (TillTestResponse) not_kiosk = patch_policy (fixture, 1, admin, "{}");
    g_autoptr (TillTestResponse) none = patch_policy (fixture, 999, admin, "{}");
    g_autoptr (TillTestResponse) not_id =
        request (fixture, "PATCH", "/api/v1/terminals/me/policy", admin, "{}");

    assert_json_error (not_kiosk, 404, "not_found");
    assert_json_error (none, 404, "not_found");
    assert_json_error (not_id, 404, "not_found");
  }
  {
    g_autoptr (TillTestResponse) response = NULL;
    JsonObject *kiosk = kiosk_config (fixture, &response);

    g_assert_cmpint (json_object_get_int_member (kiosk, "idle_timeout"), ==, 45);
    g_assert_cmpint (json_object_get_int_member (kiosk, "countdown"), ==, 20);
    g_assert_true (json_object_get_null_member (kiosk, "pin"));
  }
}

/* A kiosk's confirm is never MOTO, even when the app says it is no kiosk. */
static void
test_kiosk_no_moto (KioskFixture *fixture, gconstpointer data)
{
  g_autofree char *reference = till_test_new_reference ();
  g_autofree char *body = cart_body (&fixture->base, reference);
  g_autoptr (TillTestResponse) created = NULL;
  g_autoptr (TillTestResponse) refused = NULL;
  gint64 order_id;

  /* [stripe] moto on, at an account Stripe approved for MOTO. */
  fixture->base.server->api->config->moto = TRUE;
  till_stripe_sim_set_moto_enabled (TILL_STRIPE_SIM (fixture->base.sim->sim), TRUE);
  created = request (fixture, "POST", "/api/v1/checkouts", fixture->kiosk_token, body);
  g_assert_cmpuint (created->status, ==, 201);
  order_id = json_object_get_int_member (order_of (created), "id");
  refused = post_order (&fixture->base, order_id, "confirm", fixture->kiosk_token,
                        "{\"payment_method\": \"pm_card_visa\", \"kiosk\": false}");
  assert_json_error (refused, 409, "moto_not_allowed");
}

/* A kiosk's tenders are its policy's, on the server: cash from a card-only kiosk is refused
 * and leaves nothing, whatever the app sends; once the policy lists cash, the sale goes on to
 * the drawer's rules like any till's. */
static void
test_kiosk_tenders (KioskFixture *fixture, gconstpointer data)
{
  g_autofree char *reference = till_test_new_reference ();
  g_autofree char *cart = cart_body (&fixture->base, reference);
  g_autofree char *cash =
      g_strconcat ("{\"tender\": \"cash\", \"cash\": {\"tendered\": 100000000},", cart + 1, NULL);
  g_autofree char *split = g_strconcat (
      "{\"tender\": \"split\", \"cash\": {\"amount\": 1, \"tendered\": 1},", cart + 1, NULL);

  {
    g_autoptr (TillTestResponse) refused =
        request (fixture, "POST", "/api/v1/checkouts", fixture->kiosk_token, cash);
    g_autoptr (TillTestResponse) refused_split =
        request (fixture, "POST", "/api/v1/checkouts", fixture->kiosk_token, split);

    assert_json_error (refused, 403, "tender_not_allowed");
    assert_json_error (refused_split, 403, "tender_not_allowed");
  }
  {
    g_autoptr (TillTestResponse) changed =
        patch_policy (fixture, fixture->kiosk_id, fixture->base.server->admin_token,
                      "{\"tenders\": [\"card\", \"cash\"]}");
    g_autoptr (TillTestResponse) drawer = NULL;

    g_assert_cmpuint (changed->status, ==, 200);
    drawer = request (fixture, "POST", "/api/v1/checkouts", fixture->kiosk_token, cash);
    assert_json_error (drawer, 409, "no_drawer_session");
  }
  {
    /* Nothing was recorded under the reference: the card checkout makes the order. */
    g_autoptr (TillTestResponse) created =
        request (fixture, "POST", "/api/v1/checkouts", fixture->kiosk_token, cart);

    g_assert_cmpuint (created->status, ==, 201);
  }
}

/* till-server with @args, @input on its standard input: its exit status and output. */
static int
run_cli (const char *const *args, const char *input, char **out_stdout, char **out_stderr)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GSubprocessLauncher) launcher =
      till_test_launcher_new (G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                              G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_autoptr (GPtrArray) argv = g_ptr_array_new ();
  g_autoptr (GSubprocess) process = NULL;

  g_ptr_array_add (argv, (char *) TILL_SERVER_PATH);
  for (guint i = 0; args[i] != NULL; i++)
    g_ptr_array_add (argv, (char *) args[i]);
  g_ptr_array_add (argv, NULL);
  g_subprocess_launcher_unsetenv (launcher, "TILL_STRIPE_SECRET_KEY");
  process = g_subprocess_launcher_spawnv (launcher, (const char *const *) argv->pdata, &error);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8 (process, input, NULL, out_stdout, out_stderr, &error);
  g_assert_no_error (error);
  return g_subprocess_get_exit_status (process);
}

/* terminal add --role kiosk and terminal policy; the PIN only from standard input. */
static void
test_cli (void)
{
  g_autofree char *dir = till_test_make_tmpdir ("till-kiosk-cli");
  g_autofree char *db_path = g_build_filename (dir, "till.db", NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (TillDatabase) db = NULL;
  g_autoptr (TillTerminal) terminal = NULL;
  g_autoptr (TillKioskPolicy) policy = NULL;
  int status;

  {
    g_autofree char *out = NULL, *err = NULL;
    const char      *args[] = { "--db",  db_path,          "terminal", "add",   "Kiosk 1", "--role",
                                "kiosk", "--idle-timeout", "120",      "--pin", NULL };

    status = run_cli (args, "97531\n", &out, &err);
    g_assert_cmpint (status, ==, 0);
    g_assert_true (g_str_has_prefix (strrchr (g_strchomp (out), '\n') + 1, "till_"));
    g_assert_null (strstr (out, "97531"));
  }
  {
    g_autofree char *out = NULL, *err = NULL;
    const char      *args[] = { "--db",    db_path,       "terminal", "policy",
                                "Kiosk 1", "--countdown", "15",       NULL };

    status = run_cli (args, NULL, &out, &err);
    g_assert_cmpint (status, ==, 0);
    g_assert_nonnull (strstr (out, "idle timeout 120 s, countdown 15 s, tenders card"));
  }
  /* Refused: a bad PIN, a number out of range, a policy for a cashier. Nothing changes. */
  {
    g_autofree char *out = NULL, *err = NULL;
    const char      *args[] = { "--db", db_path, "terminal", "policy", "Kiosk 1", "--pin", NULL };

    status = run_cli (args, "12\n", &out, &err);
    g_assert_cmpint (status, ==, 1);
    g_assert_nonnull (strstr (err, "4 to 12 digits"));
  }
  {
    g_autofree char *out = NULL, *err = NULL;
    const char      *args[] = {
           "--db", db_path, "terminal", "policy", "1", "--idle-timeout", "2", NULL
    };

    status = run_cli (args, NULL, &out, &err);
    g_assert_cmpint (status, ==, 1);
    g_assert_nonnull (strstr (err, "15 to 3600"));
  }
  {
    g_autofree char *out = NULL, *err = NULL;
    const char *args[] = { "--db", db_path, "terminal", "add", "Till 1", "--countdown", "9", NULL };

    status = run_cli (args, NULL, &out, &err);
    g_assert_cmpint (status, ==, 2);
    g_assert_nonnull (strstr (err, "--role kiosk"));
  }

  db = till_database_open (db_path, &error);
  g_assert_no_error (error);
  terminal = till_terminals_find (db, "Kiosk 1", &error);
  g_assert_no_error (error);
  g_assert_cmpint (terminal->role, ==, TILL_ROLE_KIOSK);
  policy = till_kiosk_policy_load (db, terminal->id, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (policy->idle_timeout, ==, 120);
  g_assert_cmpuint (policy->countdown, ==, 15);
  g_assert_true (till_pin_verify ("97531", g_bytes_get_data (policy->pin_salt, NULL),
                                  g_bytes_get_size (policy->pin_salt), policy->pin_iterations,
                                  g_bytes_get_data (policy->pin_hash, NULL),
                                  g_bytes_get_size (policy->pin_hash)));
  g_clear_object (&db);
  till_test_remove_tree (dir);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  till_test_capture_logs ("test-server-kiosk");

#define ADD(path, func) g_test_add (path, KioskFixture, NULL, kiosk_setup, func, kiosk_teardown)
  ADD ("/server/kiosk/config/cashier", test_config_cashier);
  ADD ("/server/kiosk/config/defaults", test_config_defaults);
  ADD ("/server/kiosk/policy/patch", test_policy_patch);
  ADD ("/server/kiosk/policy/refused", test_policy_refused);
  ADD ("/server/kiosk/no-moto", test_kiosk_no_moto);
  ADD ("/server/kiosk/tenders", test_kiosk_tenders);
#undef ADD
  g_test_add_func ("/server/kiosk/cli", test_cli);

  return g_test_run ();
}
