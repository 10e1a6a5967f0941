/* test-app-killed.c: the till program killed (SIGKILL) at each step of a card payment, and
 * started again.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The real till-server --training runs as a process, and so does the app: `till --server
 * URL` under Xvfb, with its carts, cache and settings in a temporary directory. The test is
 * the cashier and the customer at the X keyboard (xdotool): a barcode, F12 (Charge), the card
 * typed into the card form. It reads the app's debug log for what the window shows, and
 * asks the server and its Stripe simulator what is true. The app is killed right after the
 * checkout was made, while the card is being typed, and once the card was confirmed
 * (before or while the order is synced); each time the app started again has the cart or
 * the order back, shows the true outcome, and no card is charged twice.
 */
#include "config.h"

#include <gdk/x11/gdkx.h>
#include <glib/gstdio.h>
#include <libsoup/soup.h>
#include <signal.h>
#include <string.h>

#include "till-core.h"
#include "pay-training-server.h"
#include "till-test-util.h"

#define DEADLINE_MS 40000
/* "İstanbul Simidi" in data/demo-catalog.csv. */
#define BARCODE "8691234000014"

typedef struct
{
  PayTrainingServer *server;
  char              *home; /* the app's XDG directories */
  GSubprocess       *app;
  GDataInputStream  *log;  /* the app's debug log */
  GString           *seen; /* every line of it, for the failure message */
  char              *line; /* a line read, not yet looked at */
  gboolean           reading;
  gboolean           eof;
} Fixture;

static void
on_line (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Fixture *f = user_data;
  g_autoptr (GError) error = NULL;
  char *line = g_data_input_stream_read_line_finish_utf8 (G_DATA_INPUT_STREAM (source), result,
                                                          NULL, &error);

  f->reading = FALSE;
  if (line == NULL)
    {
      f->eof = TRUE;
      return;
    }
  g_string_append_printf (f->seen, "%s\n", line);
  f->line = line;
}

/* Reads the app's log on: the next line is read while the one read is looked at. */
static void
read_on (Fixture *f)
{
  if (!f->reading && !f->eof)
    {
      f->reading = TRUE;
      g_data_input_stream_read_line_async (f->log, G_PRIORITY_DEFAULT, NULL, on_line, f);
    }
}

typedef struct
{
  Fixture           *f;
  const char *const *needles;
  gboolean          *seen;
  guint              left;
} LogWait;

static gboolean
logged_all (gpointer user_data)
{
  LogWait         *wait = user_data;
  g_autofree char *line = g_steal_pointer (&wait->f->line);

  for (guint i = 0; line != NULL && wait->needles[i] != NULL; i++)
    if (!wait->seen[i] && strstr (line, wait->needles[i]) != NULL)
      {
        wait->seen[i] = TRUE;
        wait->left--;
      }
  if (wait->left == 0)
    return TRUE;
  read_on (wait->f);
  /* The log ended: nothing more will come. */
  return wait->f->eof;
}

/* Iterates the main loop until the app's log has had a line with each of @needles (in
 * lines written from now on, in any order), or fails the test. */
static void
wait_for_logs (Fixture *f, const char *const *needles)
{
  guint                n = g_strv_length ((char **) needles);
  g_autofree gboolean *seen = g_new0 (gboolean, n);
  LogWait              wait = { f, needles, seen, n };

  if (!till_test_wait_until (logged_all, &wait, DEADLINE_MS) || wait.left > 0)
    {
      g_autofree char *wanted = g_strjoinv ("”, “", (char **) needles);

      g_error ("the app never logged “%s”; its log:\n%s", wanted, f->seen->str);
    }
}

static void
wait_for_log (Fixture *f, const char *needle)
{
  wait_for_logs (f, (const char *[]){ needle, NULL });
}

static char *
xdotool_output (const char *const *args)
{
  g_autoptr (GPtrArray) argv = g_ptr_array_new ();
  g_autoptr (GError) error = NULL;
  g_autofree char *out = NULL;

  g_ptr_array_add (argv, (gpointer) "xdotool");
  for (guint i = 0; args[i] != NULL; i++)
    g_ptr_array_add (argv, (gpointer) args[i]);
  g_ptr_array_add (argv, NULL);
  out = till_test_run_program ((const char *const *) argv->pdata, &error);
  g_assert_no_error (error);
  return g_strdup (g_strstrip (out));
}

static void
xdotool (const char *const *args)
{
  g_autoptr (GError) error = NULL;

  pay_xdotool (args, &error);
  g_assert_no_error (error);
}

/* The app, connected to the training server, its window found and given the keyboard. */
static void
start_app (Fixture *f)
{
  g_autofree char *till = g_test_build_filename (G_TEST_BUILT, "..", "src", "app", "till", NULL);
  g_autofree char *schemas = g_test_build_filename (G_TEST_BUILT, "..", "data", NULL);
  g_autoptr (GSubprocessLauncher) launcher =
      till_test_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE);
  const char *argv[] = { till, "--server", f->server->base, NULL };
  const char *dirs[] = { "XDG_DATA_HOME", "XDG_CACHE_HOME", "XDG_CONFIG_HOME", "XDG_STATE_HOME" };
  g_autoptr (GError) error = NULL;
  g_autofree char *windows = NULL;
  g_auto (GStrv) ids = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (dirs); i++)
    {
      g_autofree char *dir = g_build_filename (f->home, dirs[i], NULL);

      g_assert_cmpint (g_mkdir_with_parents (dir, 0700), ==, 0);
      g_subprocess_launcher_setenv (launcher, dirs[i], dir, TRUE);
    }
  g_subprocess_launcher_setenv (launcher, "GSETTINGS_SCHEMA_DIR", schemas, TRUE);
  g_subprocess_launcher_setenv (launcher, "GSETTINGS_BACKEND", "memory", TRUE);
  g_subprocess_launcher_setenv (launcher, "GDK_BACKEND", "x11", TRUE);
  g_subprocess_launcher_setenv (launcher, "G_MESSAGES_DEBUG", "till-app till-pay", TRUE);
  g_subprocess_launcher_setenv (launcher, "TILL_TERMINAL_TOKEN", f->server->token, TRUE);
  /* GLib writes debug messages to stdout: the app's log is read from there. */
  f->app = till_test_spawn (launcher, argv, NULL, &f->log, &error);
  g_assert_no_error (error);
  f->eof = FALSE;

  /* Online (CONNECTING → ONLINE) with the catalog shown (all 60 demo products: a scan finds
   * its product), its window on screen and focused as on a till. */
  wait_for_logs (f, (const char *[]){ "Connection state 1 → 2", " 60 matches", NULL });
  windows = xdotool_output (
      (const char *[]){ "search", "--sync", "--onlyvisible", "--name", "Till", NULL });
  ids = g_strsplit (windows, "\n", -1);
  g_assert_nonnull (ids[0]);
  xdotool ((const char *[]){ "windowfocus", "--sync", ids[0], NULL });
}

static gboolean
log_idle (gpointer user_data)
{
  return !((Fixture *) user_data)->reading;
}

static void
stop_app (Fixture *f, gboolean kill)
{
  if (f->app == NULL)
    return;
  till_test_stop_process (f->app, kill ? SIGKILL : SIGTERM);
  /* The read under way ends too (the log's end, or a last line). */
  g_assert_true (till_test_wait_until (log_idle, f, DEADLINE_MS));
  g_clear_pointer (&f->line, g_free);
  g_clear_object (&f->log);
  g_clear_object (&f->app);
}

/* The barcode typed by hand into the search (which has the focus; slower than a scanner,
 * which xdotool on a loaded machine cannot always be), Return, then F12: Charge. */
static void
scan_and_charge (Fixture *f)
{
  xdotool ((const char *[]){ "type", "--delay", "120", BARCODE, NULL });
  xdotool ((const char *[]){ "key", "Return", NULL });
  xdotool ((const char *[]){ "key", "F12", NULL });
}

static JsonArray *
orders (Fixture *f, JsonObject **out_reply)
{
  g_autoptr (GError) error = NULL;
  guint status = 0;

  *out_reply =
      pay_training_server_request (f->server, "GET", "/api/v1/orders", NULL, &status, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (status, ==, 200);
  return json_object_get_array_member (*out_reply, "orders");
}

static gboolean
order_made (gpointer user_data)
{
  Fixture *f = user_data;
  g_autoptr (JsonObject) reply = NULL;

  /* The app's log is read on meanwhile, for a failure message. */
  g_clear_pointer (&f->line, g_free);
  read_on (f);
  return json_array_get_length (orders (f, &reply)) > 0;
}

/* The order the app's checkout made, once the server has it. */
static gint64
wait_for_order (Fixture *f)
{
  g_autoptr (JsonObject) reply = NULL;
  JsonArray *list;

  if (!till_test_wait_until (order_made, f, DEADLINE_MS))
    g_error ("no order made; the app's log:\n%s", f->seen->str);
  list = orders (f, &reply);
  g_assert_cmpuint (json_array_get_length (list), ==, 1);
  return json_object_get_int_member (json_array_get_object_element (list, 0), "id");
}

/* The one order there is, and its status at the server. */
static char *
the_order_status (Fixture *f, gint64 id)
{
  g_autoptr (JsonObject) reply = NULL;
  JsonArray  *list = orders (f, &reply);
  JsonObject *order;

  g_assert_cmpuint (json_array_get_length (list), ==, 1);
  order = json_array_get_object_element (list, 0);
  g_assert_cmpint (json_object_get_int_member (order, "id"), ==, id);
  return g_strdup (json_object_get_string_member (order, "status"));
}

/* The simulator's PaymentIntents for order @id: how many, and how many succeeded. */
static void
count_intents (Fixture *f, gint64 id, guint *out_intents, guint *out_succeeded)
{
  g_autofree char *uri = g_strconcat (f->server->js_origin, "/v1/payment_intents?limit=100", NULL);
  g_autofree char *wanted = g_strdup_printf ("%" G_GINT64_FORMAT, id);
  g_autoptr (SoupMessage) msg = soup_message_new ("GET", uri);
  g_autoptr (GBytes) body = NULL;
  g_autoptr (JsonObject) list = NULL;
  g_autoptr (GError) error = NULL;
  JsonArray *data;

  soup_message_headers_replace (soup_message_get_request_headers (msg), "Authorization",
                                "Bearer sk_test_till_training_mode");
  body = soup_session_send_and_read (f->server->session, msg, NULL, &error);
  g_assert_no_error (error);
  list = till_json_parse_object (g_bytes_get_data (body, NULL), g_bytes_get_size (body), &error);
  g_assert_no_error (error);
  data = json_object_get_array_member (list, "data");
  *out_intents = *out_succeeded = 0;
  for (guint i = 0; i < json_array_get_length (data); i++)
    {
      JsonObject *intent = json_array_get_object_element (data, i);
      JsonObject *metadata = json_object_get_object_member (intent, "metadata");

      if (g_strcmp0 (json_object_get_string_member_with_default (metadata, "till_order_id", ""),
                     wanted) != 0)
        continue;
      (*out_intents)++;
      if (g_str_equal (json_object_get_string_member (intent, "status"), "succeeded"))
        (*out_succeeded)++;
    }
}

/* The form is on screen: the card typed, and Pay. */
static void
pay_with_card (Fixture *f)
{
  g_autoptr (GError) error = NULL;

  g_assert_true (pay_type_card_fields ("4242424242424242", 30, &error));
  g_assert_no_error (error);
  g_assert_true (pay_press_pay (&error));
  g_assert_no_error (error);
}

/* After the restart: the order is paid once, by one PaymentIntent, and the app says Paid. */
static void
assert_paid_once (Fixture *f, gint64 id)
{
  g_autofree char *status = the_order_status (f, id);
  guint            intents, succeeded;

  g_assert_cmpstr (status, ==, "paid");
  count_intents (f, id, &intents, &succeeded);
  g_assert_cmpuint (intents, ==, 1);
  g_assert_cmpuint (succeeded, ==, 1);
}

/* The cart is back after the restart: Charge gives the same order (the cart kept its client
 * reference), whose card form then takes the card. */
static void
charge_again_and_pay (Fixture *f, gint64 id)
{
  g_autofree char *status = NULL;

  status = the_order_status (f, id);
  g_assert_cmpstr (status, ==, "pending_payment");
  xdotool ((const char *[]){ "key", "F12", NULL });
  wait_for_log (f, "The card form is ready");
  pay_with_card (f);
  wait_for_log (f, "The payment page shows paid");
  assert_paid_once (f, id);
}

static void
fixture_set_up (Fixture *f, gconstpointer data)
{
  g_autofree char *binary =
      g_test_build_filename (G_TEST_BUILT, "..", "src", "server", "till-server", NULL);
  g_autoptr (GError) error = NULL;

  f->server = pay_training_server_start (binary, &error);
  g_assert_no_error (error);
  f->home = g_build_filename (f->server->dir, "app", NULL);
  f->seen = g_string_new (NULL);
}

static void
fixture_tear_down (Fixture *f, gconstpointer data)
{
  stop_app (f, FALSE);
  pay_training_server_stop (f->server);
  g_free (f->home);
  g_string_free (f->seen, TRUE);
}

/* Killed as soon as the server has the order: the cart comes back with its reference. */
static void
test_killed_after_checkout (Fixture *f, gconstpointer data)
{
  gint64 id;

  start_app (f);
  scan_and_charge (f);
  id = wait_for_order (f);
  stop_app (f, TRUE);

  start_app (f);
  charge_again_and_pay (f, id);
}

/* Killed while the customer types the card: nothing was sent to Stripe; the cart is back. */
static void
test_killed_in_card_form (Fixture *f, gconstpointer data)
{
  gint64 id;

  start_app (f);
  scan_and_charge (f);
  wait_for_log (f, "The card form is ready");
  id = wait_for_order (f);
  xdotool ((const char *[]){ "type", "--delay", "30", "42424242", NULL });
  stop_app (f, TRUE);

  start_app (f);
  charge_again_and_pay (f, id);
}

/* Killed once the card form said the card was confirmed, as the app asks the server to
 * sync: at the restart the app finds the order paid and says so; the card is not asked for
 * (nor charged) again. */
static void
test_killed_after_confirmation (Fixture *f, gconstpointer data)
{
  gint64 id;

  start_app (f);
  scan_and_charge (f);
  wait_for_log (f, "The card form is ready");
  id = wait_for_order (f);
  pay_with_card (f);
  wait_for_log (f, "Payment page result: succeeded");
  stop_app (f, TRUE);

  start_app (f);
  wait_for_log (f, "The payment page shows paid");
  assert_paid_once (f, id);
}

int
main (int argc, char **argv)
{
  g_autofree char *xdotool_path = NULL;

  gtk_test_init (&argc, &argv, NULL);

  xdotool_path = g_find_program_in_path ("xdotool");
  if (!GDK_IS_X11_DISPLAY (gdk_display_get_default ()) || xdotool_path == NULL)
    {
      g_test_skip ("needs an X display (Xvfb) and xdotool");
      return g_test_run ();
    }

#define ADD(path, fn)                                                                              \
  g_test_add ("/pay/killed/" path, Fixture, NULL, fixture_set_up, fn, fixture_tear_down)
  ADD ("after-checkout", test_killed_after_checkout);
  ADD ("in-card-form", test_killed_in_card_form);
  ADD ("after-confirmation", test_killed_after_confirmation);
#undef ADD

  return g_test_run ();
}
