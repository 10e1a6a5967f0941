/* test-orders-e2e.c: the orders page and refunds against the real till-server --training.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The server runs as a child process with its embedded simulator; the test sells orders
 * over its API and pays them as Stripe.js would (docs/contract.md, "Paying in training
 * mode"), then drives TillOrdersPage as a person would: the filters, the search box, a
 * scroll to the end of the list, a row, Refund and its dialog, Reprint Receipt (to the ESC/POS
 * printer emulator). The cases share the one
 * server and run in order. Screenshots go to _build/tests/pay/orders-*.png.
 */
#include "config.h"

#include <libsoup/soup.h>
#include <locale.h>
#include <string.h>

#include "till-core.h"
#include "till-application.h"
#include "till-orders-page-private.h"
#include "till-printer-emulator.h"
#include "till-window-private.h"
#include "pay-training-server.h"
#include "till-test-util.h"

#define DEADLINE_US (30 * G_USEC_PER_SEC)
#define N_PAID 52 /* more than a page (50) */

static PayTrainingServer *server;
static char              *admin_token;
static GArray            *paid_ids;   /* gint64, oldest first */
static gint64             pending_id; /* checked out, never paid */
static gint64             canceled_id;
static char              *searched_number;
static gint64             total_of_all; /* every order is of the same two products */

static char *
server_binary (void)
{
  return g_test_build_filename (G_TEST_BUILT, "..", "src", "server", "till-server", NULL);
}

static JsonObject *
api (const char *method, const char *path, const char *body, guint expected_status)
{
  g_autoptr (GError) error = NULL;
  guint       status = 0;
  JsonObject *object = pay_training_server_request (server, method, path, body, &status, &error);

  g_assert_no_error (error);
  g_assert_cmpuint (status, ==, expected_status);
  return object;
}

/* Confirms the intent with a test card at the simulator, as Stripe.js does. */
static void
pay_intent (const char *payment_intent, const char *client_secret)
{
  g_autofree char *uri =
      g_strdup_printf ("%s/v1/payment_intents/%s/confirm", server->js_origin, payment_intent);
  g_autofree char *form =
      g_strdup_printf ("client_secret=%s&payment_method=pm_card_visa", client_secret);
  g_autofree char *basic = g_strconcat (server->publishable_key, ":", NULL);
  g_autofree char *b64 = g_base64_encode ((const guchar *) basic, strlen (basic));
  g_autofree char *auth = g_strconcat ("Basic ", b64, NULL);
  g_autoptr (GBytes) body = g_bytes_new (form, strlen (form));
  g_autoptr (GBytes) reply = NULL;
  g_autoptr (GError) error = NULL;

  /* Seeding pays faster than Stripe's test mode allows (25 requests a second): a 429 says to
   * try again a little later (Stripe-Should-Retry), as Stripe.js would. */
  for (guint attempt = 0; attempt < 20; attempt++)
    {
      g_autoptr (SoupMessage) msg = soup_message_new ("POST", uri);
      gint64 later = g_get_monotonic_time () + 250 * G_TIME_SPAN_MILLISECOND;

      soup_message_headers_replace (soup_message_get_request_headers (msg), "Authorization", auth);
      soup_message_set_request_body_from_bytes (msg, "application/x-www-form-urlencoded", body);
      g_clear_pointer (&reply, g_bytes_unref);
      reply = soup_session_send_and_read (server->session, msg, NULL, &error);
      g_assert_no_error (error);
      if (soup_message_get_status (msg) != 429)
        {
          g_assert_cmpuint (soup_message_get_status (msg), ==, 200);
          return;
        }
      g_assert_cmpstr (soup_message_headers_get_one (soup_message_get_response_headers (msg),
                                                     "Stripe-Should-Retry"),
                       ==, "true");
      till_test_wait_until (till_test_time_passed, &later, 1000);
    }
  g_assert_not_reached ();
}

/* A checkout of two demo products; paid (and synced) when @pay. Returns its id. */
static gint64
sell (gboolean pay)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) reply = pay_training_server_checkout (server, &error);
  JsonObject *payment;
  gint64      id;

  g_assert_no_error (error);
  id = json_object_get_int_member (json_object_get_object_member (reply, "order"), "id");
  payment = json_object_get_object_member (reply, "payment");
  if (pay)
    {
      g_autofree char *path = g_strdup_printf ("/api/v1/orders/%" G_GINT64_FORMAT "/sync", id);
      g_autoptr (JsonObject) order = NULL;

      pay_intent (json_object_get_string_member (payment, "payment_intent"),
                  json_object_get_string_member (payment, "client_secret"));
      order = api ("POST", path, NULL, 200);
      g_assert_cmpstr (json_object_get_string_member (order, "status"), ==, "paid");
    }
  return id;
}

static void
seed (void)
{
  g_autofree char *binary = server_binary ();
  g_autoptr (GError) error = NULL;
  g_autofree char *out = NULL;
  g_auto (GStrv) lines = NULL;

  server = pay_training_server_start (binary, &error);
  g_assert_no_error (error);
  {
    const char *argv[] = { binary,         "--db",   server->db, "terminal", "add",
                           "orders-admin", "--role", "admin",    NULL };
    out = till_test_run_program (argv, &error);
    g_assert_no_error (error);
  }
  lines = g_strsplit (g_strstrip (out), "\n", -1);
  admin_token = g_strdup (lines[g_strv_length (lines) - 1]);

  paid_ids = g_array_new (FALSE, FALSE, sizeof (gint64));
  canceled_id = sell (FALSE);
  {
    g_autofree char *path =
        g_strdup_printf ("/api/v1/orders/%" G_GINT64_FORMAT "/cancel", canceled_id);
    g_autoptr (JsonObject) order = api ("POST", path, NULL, 200);

    g_assert_cmpstr (json_object_get_string_member (order, "status"), ==, "canceled");
  }
  for (guint i = 0; i < N_PAID; i++)
    {
      gint64 id = sell (TRUE);

      g_array_append_val (paid_ids, id);
    }
  pending_id = sell (FALSE);
  {
    g_autofree char *path =
        g_strdup_printf ("/api/v1/orders/%" G_GINT64_FORMAT, g_array_index (paid_ids, gint64, 10));
    g_autoptr (JsonObject) order = api ("GET", path, NULL, 200);

    searched_number = g_strdup (json_object_get_string_member (order, "number"));
    total_of_all = json_object_get_int_member (order, "total");
  }
}

/* The page in a window of 800×600, with a client of the terminal of @token. */
typedef struct
{
  TillClient     *client;
  GtkWindow      *window;
  TillOrdersPage *page;
} Fixture;

static void
wait_idle (Fixture *f)
{
  gint64 deadline = g_get_monotonic_time () + DEADLINE_US;

  while (g_main_context_iteration (NULL, FALSE))
    ;
  while (till_orders_page_is_busy (f->page))
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_main_context_iteration (NULL, TRUE);
    }
  while (g_main_context_iteration (NULL, FALSE))
    ;
}

static void
fixture_set_up (Fixture *f, gconstpointer data)
{
  const char *token = data != NULL ? admin_token : server->token;
  gint64      deadline = g_get_monotonic_time () + DEADLINE_US;

  f->client = till_client_new ();
  till_client_set_server (f->client, server->base, token);
  while (till_client_get_state (f->client) != TILL_CONNECTION_ONLINE ||
         till_client_get_config (f->client) == NULL)
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_main_context_iteration (NULL, TRUE);
    }
  f->page = till_orders_page_new (f->client);
  f->window = GTK_WINDOW (gtk_window_new ());
  gtk_window_set_default_size (f->window, 800, 600);
  gtk_window_set_child (f->window, GTK_WIDGET (f->page));
  gtk_window_present (f->window);
  till_orders_page_reload (f->page);
  wait_idle (f);
}

static void
fixture_tear_down (Fixture *f, gconstpointer data)
{
  gtk_window_destroy (f->window);
  g_clear_object (&f->client);
}

static gboolean
on_tick (GtkWidget *widget, GdkFrameClock *clock, gpointer data)
{
  (*(guint *) data)++;
  return G_SOURCE_CONTINUE;
}

/* Saves @window as drawn to _build/tests/pay/NAME.png (the source of data/screenshots/),
 * once it has drawn a few frames (transitions over). */
static void
save_window (GtkWindow *window, const char *name)
{
  g_autoptr (GdkPaintable) paintable = gtk_widget_paintable_new (GTK_WIDGET (window));
  g_autoptr (GtkSnapshot) snapshot = gtk_snapshot_new ();
  g_autoptr (GskRenderNode) node = NULL;
  g_autoptr (GdkTexture) texture = NULL;
  g_autofree char *file = g_strconcat (name, ".png", NULL);
  g_autofree char *path = g_test_build_filename (G_TEST_BUILT, "pay", file, NULL);
  gint64           deadline = g_get_monotonic_time () + DEADLINE_US;
  guint            frames = 0;
  guint            tick;
  int              width, height;

  tick = gtk_widget_add_tick_callback (GTK_WIDGET (window), on_tick, &frames, NULL);
  while (frames < 30)
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      gtk_widget_queue_draw (GTK_WIDGET (window));
      g_main_context_iteration (NULL, TRUE);
    }
  gtk_widget_remove_tick_callback (GTK_WIDGET (window), tick);
  width = gtk_widget_get_width (GTK_WIDGET (window));
  height = gtk_widget_get_height (GTK_WIDGET (window));
  gdk_paintable_snapshot (paintable, snapshot, width, height);
  node = gtk_snapshot_free_to_node (g_steal_pointer (&snapshot));
  g_assert_nonnull (node);
  texture = gsk_renderer_render_texture (gtk_native_get_renderer (GTK_NATIVE (window)), node,
                                         &GRAPHENE_RECT_INIT (0, 0, width, height));
  g_assert_true (gdk_texture_save_to_png (texture, path));
}

/* The ids the page shows, newest first. */
static void
assert_newest_first (Fixture *f)
{
  for (guint i = 1; i < till_orders_page_get_n_orders (f->page); i++)
    g_assert_cmpint (till_orders_page_get_order (f->page, i - 1)->id, >,
                     till_orders_page_get_order (f->page, i)->id);
}

static void
test_paging (Fixture *f, gconstpointer data)
{
  guint total = N_PAID + 2;

  g_assert_null (till_orders_page_get_message (f->page));

  g_assert_cmpuint (till_orders_page_get_n_orders (f->page), ==, 50);
  g_assert_cmpint (till_orders_page_get_order (f->page, 0)->id, ==, pending_id);
  g_assert_true (till_orders_page_has_more (f->page));
  save_window (f->window, "orders-list");
  /* What scrolling to the end does. */
  g_assert_true (till_orders_page_load_more (f->page));
  wait_idle (f);
  g_assert_cmpuint (till_orders_page_get_n_orders (f->page), ==, total);
  g_assert_false (till_orders_page_has_more (f->page));
  g_assert_false (till_orders_page_load_more (f->page));
  assert_newest_first (f);
  g_assert_cmpint (till_orders_page_get_order (f->page, total - 1)->id, ==, canceled_id);
  g_assert_cmpuint (gtk_widget_get_first_child (GTK_WIDGET (till_orders_page_get_list (f->page))) !=
                        NULL,
                    ==, TRUE);
}

/* By scrolling itself: the scrolled window's end loads the next page. */
static void
test_scroll (Fixture *f, gconstpointer data)
{
  GtkWidget *scrolled = gtk_widget_get_ancestor (GTK_WIDGET (till_orders_page_get_list (f->page)),
                                                 GTK_TYPE_SCROLLED_WINDOW);
  GtkAdjustment *adjustment = gtk_scrolled_window_get_vadjustment (GTK_SCROLLED_WINDOW (scrolled));
  gint64         deadline = g_get_monotonic_time () + DEADLINE_US;
  gboolean       scrolled_to_end = FALSE;

  g_assert_cmpuint (till_orders_page_get_n_orders (f->page), ==, 50);
  while (gtk_adjustment_get_upper (adjustment) <= gtk_adjustment_get_page_size (adjustment))
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_main_context_iteration (NULL, TRUE);
    }
  g_signal_emit_by_name (scrolled, "scroll-child", GTK_SCROLL_END, FALSE, &scrolled_to_end);
  g_assert_true (scrolled_to_end);
  /* The scroll is animated: the next page is asked for on the way. */
  while (till_orders_page_get_n_orders (f->page) < N_PAID + 2)
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_main_context_iteration (NULL, TRUE);
    }
  wait_idle (f);
  g_assert_cmpuint (till_orders_page_get_n_orders (f->page), ==, N_PAID + 2);
}

static void
test_filters (Fixture *f, gconstpointer data)
{
  g_autoptr (GDateTime) now = g_date_time_new_now_local ();
  g_autoptr (GDateTime) yesterday = g_date_time_add_days (now, -1);
  g_autofree char *today = g_date_time_format (now, "%Y-%m-%d");
  g_autofree char *before = g_date_time_format (yesterday, "%Y-%m-%d");

  /* Status: 2 waiting for payment, 5 abandoned. */
  gtk_drop_down_set_selected (till_orders_page_get_status (f->page), 1);
  wait_idle (f);
  g_assert_cmpuint (till_orders_page_get_n_orders (f->page), ==, 1);
  g_assert_cmpint (till_orders_page_get_order (f->page, 0)->id, ==, pending_id);
  gtk_drop_down_set_selected (till_orders_page_get_status (f->page), 5);
  wait_idle (f);
  g_assert_cmpuint (till_orders_page_get_n_orders (f->page), ==, 1);
  g_assert_cmpint (till_orders_page_get_order (f->page, 0)->id, ==, canceled_id);
  gtk_drop_down_set_selected (till_orders_page_get_status (f->page), 2);
  wait_idle (f);
  g_assert_cmpuint (till_orders_page_get_n_orders (f->page), ==, 50);
  g_assert_cmpint (till_orders_page_get_order (f->page, 0)->status, ==, TILL_ORDER_PAID);
  gtk_drop_down_set_selected (till_orders_page_get_status (f->page), 0);

  /* Today: all of them. */
  gtk_drop_down_set_selected (till_orders_page_get_period (f->page), 1);
  wait_idle (f);
  g_assert_cmpuint (till_orders_page_get_n_orders (f->page), ==, 50);

  /* A range: up to yesterday, none; from today, all; a bad date says how to type one. */
  gtk_drop_down_set_selected (till_orders_page_get_period (f->page), 2);
  gtk_editable_set_text (till_orders_page_get_to_entry (f->page), before);
  g_signal_emit_by_name (till_orders_page_get_to_entry (f->page), "activate");
  wait_idle (f);
  g_assert_cmpuint (till_orders_page_get_n_orders (f->page), ==, 0);
  g_assert_cmpstr (till_orders_page_get_message (f->page), ==, "No orders match.");
  gtk_editable_set_text (till_orders_page_get_to_entry (f->page), "");
  gtk_editable_set_text (till_orders_page_get_from_entry (f->page), today);
  g_signal_emit_by_name (till_orders_page_get_from_entry (f->page), "activate");
  wait_idle (f);
  g_assert_cmpuint (till_orders_page_get_n_orders (f->page), ==, 50);
  gtk_editable_set_text (till_orders_page_get_from_entry (f->page), "2026-13-45");
  g_signal_emit_by_name (till_orders_page_get_from_entry (f->page), "activate");
  wait_idle (f);
  g_assert_nonnull (strstr (till_orders_page_get_message (f->page), "YYYY-MM-DD"));
  g_assert_cmpstr (gtk_editable_get_text (till_orders_page_get_from_entry (f->page)), ==,
                   "2026-13-45");
  g_assert_true (
      gtk_widget_has_css_class (GTK_WIDGET (till_orders_page_get_from_entry (f->page)), "error"));
}

static void
test_search (Fixture *f, gconstpointer data)
{
  g_autofree char *lower = g_ascii_strdown (searched_number, -1);
  g_autofree char *id = g_strdup_printf ("%" G_GINT64_FORMAT, pending_id);

  gtk_editable_set_text (till_orders_page_get_search_entry (f->page), lower);
  wait_idle (f);
  g_assert_cmpuint (till_orders_page_get_n_orders (f->page), ==, 1);
  g_assert_cmpstr (till_orders_page_get_order (f->page, 0)->number, ==, searched_number);
  gtk_editable_set_text (till_orders_page_get_search_entry (f->page), id);
  wait_idle (f);
  g_assert_cmpuint (till_orders_page_get_n_orders (f->page), ==, 1);
  g_assert_cmpint (till_orders_page_get_order (f->page, 0)->id, ==, pending_id);
  /* A card's last 4 digits: the paid orders (all with the test card 4242), not the others. */
  gtk_editable_set_text (till_orders_page_get_search_entry (f->page), "4242");
  wait_idle (f);
  g_assert_cmpuint (till_orders_page_get_n_orders (f->page), ==, 50);
  g_assert_true (till_orders_page_load_more (f->page));
  wait_idle (f);
  g_assert_cmpuint (till_orders_page_get_n_orders (f->page), ==, N_PAID);
  for (guint i = 0; i < N_PAID; i++)
    g_assert_cmpstr (till_orders_page_get_order (f->page, i)->card_last4, ==, "4242");
  /* An amount, as typed: every order of the test costs the same. */
  {
    g_autofree char *amount = g_strdup_printf ("%" G_GINT64_FORMAT ",%02" G_GINT64_FORMAT,
                                               total_of_all / 100, total_of_all % 100);

    gtk_editable_set_text (till_orders_page_get_search_entry (f->page), amount);
    wait_idle (f);
    g_assert_cmpuint (till_orders_page_get_n_orders (f->page), ==, 50);
    g_assert_cmpint (till_orders_page_get_order (f->page, 0)->total, ==, total_of_all);
  }
  gtk_editable_set_text (till_orders_page_get_search_entry (f->page), "9999.99");
  wait_idle (f);
  g_assert_cmpuint (till_orders_page_get_n_orders (f->page), ==, 0);
  gtk_editable_set_text (till_orders_page_get_search_entry (f->page), "no-such-order");
  wait_idle (f);
  g_assert_cmpuint (till_orders_page_get_n_orders (f->page), ==, 0);
  g_assert_cmpstr (till_orders_page_get_message (f->page), ==, "No orders match.");
}

/* Opens the order of @id through its row, as a click or Enter would. */
static void
open_row (Fixture *f, gint64 id)
{
  for (guint i = 0; i < till_orders_page_get_n_orders (f->page); i++)
    if (till_orders_page_get_order (f->page, i)->id == id)
      {
        GtkListBoxRow *row = gtk_list_box_get_row_at_index (till_orders_page_get_list (f->page), i);

        g_signal_emit_by_name (row, "activate");
        wait_idle (f);
        g_assert_nonnull (till_orders_page_get_detail (f->page, NULL));
        g_assert_cmpint (till_orders_page_get_detail (f->page, NULL)->id, ==, id);
        return;
      }
  g_error ("order %" G_GINT64_FORMAT " is not in the list", id);
}

static void
test_detail (Fixture *f, gconstpointer data)
{
  gint64           id = g_array_index (paid_ids, gint64, N_PAID - 1);
  g_autofree char *text = NULL;
  const TillOrder *order;

  open_row (f, id);
  order = till_orders_page_get_detail (f->page, NULL);
  text = till_orders_page_get_detail_text (f->page);
  g_assert_nonnull (strstr (text, order->number));
  g_assert_nonnull (strstr (text, "Paid"));
  g_assert_nonnull (strstr (text, ((TillOrderLine *) order->lines->pdata[0])->name));
  g_assert_nonnull (strstr (text, "2 × "));
  g_assert_nonnull (strstr (text, "Tax "));
  g_assert_nonnull (strstr (text, "Visa •••• 4242"));
  g_assert_nonnull (strstr (text, "Order made"));
  g_assert_false (gtk_widget_get_visible (till_orders_page_get_sync_button (f->page)));
  g_assert_true (gtk_widget_get_visible (till_orders_page_get_refund_button (f->page)));
  save_window (f->window, "orders-detail");

  /* Escape goes back to the list. */
  {
    GtkEventController *key = NULL;
    GListModel         *controllers = gtk_widget_observe_controllers (GTK_WIDGET (f->page));
    gboolean            handled = FALSE;

    for (guint i = 0; i < g_list_model_get_n_items (controllers); i++)
      {
        g_autoptr (GObject) controller = g_list_model_get_item (controllers, i);

        if (GTK_IS_EVENT_CONTROLLER_KEY (controller))
          key = GTK_EVENT_CONTROLLER (controller);
      }
    g_assert_nonnull (key);
    g_signal_emit_by_name (key, "key-pressed", GDK_KEY_Escape, 0, 0, &handled);
    g_assert_true (handled);
    g_object_unref (controllers);
  }
  g_assert_null (till_orders_page_get_message (f->page));
  open_row (f, pending_id);
  g_assert_true (gtk_widget_get_visible (till_orders_page_get_sync_button (f->page)));
  g_assert_false (gtk_widget_get_visible (till_orders_page_get_refund_button (f->page)));
  g_signal_emit_by_name (till_orders_page_get_sync_button (f->page), "clicked");
  wait_idle (f);
  g_assert_cmpint (till_orders_page_get_detail (f->page, NULL)->id, ==, pending_id);
  g_assert_cmpint (till_orders_page_get_detail (f->page, NULL)->status, ==,
                   TILL_ORDER_PENDING_PAYMENT);
}

static void
test_abandoned (Fixture *f, gconstpointer data)
{
  g_autofree char *text = NULL;
  g_autofree char *canceled = NULL;
  g_autoptr (GDateTime) local = NULL;
  const TillOrder *order;

  g_assert_true (till_orders_page_load_more (f->page));
  wait_idle (f);
  open_row (f, canceled_id);
  text = till_orders_page_get_detail_text (f->page);
  g_assert_nonnull (strstr (text, "abandoned"));
  /* The history says when it was canceled, after it was made. */
  order = till_orders_page_get_detail (f->page, NULL);
  g_assert_nonnull (order->canceled_at);
  g_assert_cmpint (g_date_time_compare (order->canceled_at, order->created_at), >=, 0);
  local = g_date_time_to_local (order->canceled_at);
  canceled = g_date_time_format (local, "Canceled\n%x %H:%M\n");
  g_assert_nonnull (strstr (text, canceled));
  g_assert_cmpuint (strstr (text, canceled) - text, >, strstr (text, "Order made") - text);
  g_assert_false (gtk_widget_get_visible (till_orders_page_get_sync_button (f->page)));
  g_assert_false (gtk_widget_get_visible (till_orders_page_get_refund_button (f->page)));
  g_assert_false (gtk_widget_get_visible (till_orders_page_get_print_button (f->page)));
}

static AdwMessageDialog *
open_refund (Fixture *f)
{
  g_signal_emit_by_name (till_orders_page_get_refund_button (f->page), "clicked");
  return till_orders_page_get_refund_dialog (f->page);
}

static void
answer (Fixture *f, AdwMessageDialog *dialog, const char *response)
{
  adw_message_dialog_response (dialog, response);
  gtk_window_destroy (GTK_WINDOW (dialog));
  wait_idle (f);
}

static gint64
server_refunded (gint64 id, char **status)
{
  g_autofree char *path = g_strdup_printf ("/api/v1/orders/%" G_GINT64_FORMAT, id);
  g_autoptr (JsonObject) order = api ("GET", path, NULL, 200);

  *status = g_strdup (json_object_get_string_member (order, "status"));
  return json_object_get_int_member (order, "refunded");
}

static void
test_refunds (Fixture *f, gconstpointer data)
{
  gint64            id = g_array_index (paid_ids, gint64, N_PAID - 2);
  const TillOrder  *order;
  AdwMessageDialog *dialog;
  GPtrArray        *refunds = NULL;
  g_autofree char  *status = NULL;
  g_autofree char  *too_much = NULL;
  g_autofree char  *key = NULL;
  gint64            total, line_share;

  open_row (f, id);
  order = till_orders_page_get_detail (f->page, NULL);
  total = order->total;
  g_assert_cmpint (order->lines->len, ==, 2);

  /* A dialog canceled (or a refund never answered) and opened again: the same key, so that
   * the same refund sent again is never made twice. */
  dialog = open_refund (f);
  g_assert_nonnull (dialog);
  key = g_strdup (till_orders_page_get_refund_key (f->page));
  answer (f, dialog, "cancel");
  g_assert_cmpstr (till_orders_page_get_detail (f->page, NULL)->number, ==, order->number);

  /* By amount: more than is left is refused before the server is asked. */
  dialog = open_refund (f);
  g_assert_nonnull (dialog);
  g_assert_cmpstr (till_orders_page_get_refund_key (f->page), ==, key);
  gtk_drop_down_set_selected (till_orders_page_get_refund_kind (f->page), 1);
  too_much = g_strdup_printf ("%" G_GINT64_FORMAT ".%02" G_GINT64_FORMAT, (total + 1) / 100,
                              (total + 1) % 100);
  gtk_editable_set_text (till_orders_page_get_refund_amount (f->page), too_much);
  g_assert_nonnull (strstr (till_orders_page_get_refund_problem (f->page), "more than is left"));
  g_assert_false (adw_message_dialog_get_response_enabled (dialog, "refund"));
  gtk_editable_set_text (till_orders_page_get_refund_amount (f->page), "abc");
  g_assert_nonnull (till_orders_page_get_refund_problem (f->page));
  gtk_editable_set_text (till_orders_page_get_refund_amount (f->page), "1.00");
  g_assert_null (till_orders_page_get_refund_problem (f->page));
  g_assert_cmpint (till_orders_page_get_refund_total (f->page), ==, 100);
  g_assert_true (adw_message_dialog_get_response_enabled (dialog, "refund"));
  gtk_drop_down_set_selected (till_orders_page_get_refund_reason (f->page), 1);
  answer (f, dialog, "refund");
  order = till_orders_page_get_detail (f->page, &refunds);
  g_assert_cmpint (order->refunded, ==, 100);
  g_assert_cmpint (order->status, ==, TILL_ORDER_PARTIALLY_REFUNDED);
  g_assert_cmpuint (refunds->len, ==, 1);
  g_assert_cmpstr (((TillOrderRefund *) refunds->pdata[0])->reason, ==, "requested_by_customer");
  g_assert_cmpint (server_refunded (id, &status), ==, 100);
  g_assert_cmpstr (status, ==, "partially_refunded");
  {
    g_autofree char *text = till_orders_page_get_detail_text (f->page);

    g_assert_nonnull (strstr (text, "Partially Refunded"));
  }
  g_assert_true (gtk_widget_get_visible (till_orders_page_get_print_button (f->page)));

  /* By items: one of the first line's two; a new refund, a new key. */
  dialog = open_refund (f);
  g_assert_cmpstr (till_orders_page_get_refund_key (f->page), !=, key);
  gtk_drop_down_set_selected (till_orders_page_get_refund_kind (f->page), 2);
  g_assert_cmpint (till_orders_page_get_refund_total (f->page), ==, 0);
  g_assert_nonnull (till_orders_page_get_refund_problem (f->page));
  gtk_spin_button_set_value (till_orders_page_get_refund_line (f->page, 0), 1);
  {
    const TillOrderLine *line = order->lines->pdata[0];

    g_assert_cmpint (line->quantity, ==, 2);
    line_share = (line->total * 2 + 2) / 4;
  }
  g_assert_cmpint (till_orders_page_get_refund_total (f->page), ==, line_share);
  save_window (GTK_WINDOW (dialog), "orders-refund");
  answer (f, dialog, "refund");
  order = till_orders_page_get_detail (f->page, &refunds);
  g_assert_cmpint (order->refunded, ==, 100 + line_share);
  g_assert_cmpuint (refunds->len, ==, 2);

  /* Everything left; then there is nothing to refund. */
  dialog = open_refund (f);
  g_assert_cmpint (till_orders_page_get_refund_total (f->page), ==, total - 100 - line_share);
  answer (f, dialog, "refund");
  order = till_orders_page_get_detail (f->page, &refunds);
  g_assert_cmpint (order->refunded, ==, total);
  g_assert_cmpint (order->status, ==, TILL_ORDER_REFUNDED);
  g_assert_cmpuint (refunds->len, ==, 3);
  g_assert_false (gtk_widget_get_visible (till_orders_page_get_refund_button (f->page)));
  g_clear_pointer (&status, g_free);
  g_assert_cmpint (server_refunded (id, &status), ==, total);
  g_assert_cmpstr (status, ==, "refunded");
  g_assert_true (gtk_widget_get_visible (till_orders_page_get_print_button (f->page)));
  save_window (f->window, "orders-refunded");
}

/* Another terminal refunded meanwhile: the server's 409 is said in plain words and nothing
 * is lost. */
static void
test_refund_conflict (Fixture *f, gconstpointer data)
{
  gint64            id = g_array_index (paid_ids, gint64, N_PAID - 3);
  AdwMessageDialog *dialog;
  const TillOrder  *order;
  g_autofree char  *path = g_strdup_printf ("/api/v1/orders/%" G_GINT64_FORMAT "/refunds", id);
  g_autofree char  *auth = g_strconcat ("Bearer ", admin_token, NULL);

  open_row (f, id);
  order = till_orders_page_get_detail (f->page, NULL);
  dialog = open_refund (f);
  g_assert_cmpint (till_orders_page_get_refund_total (f->page), ==, order->total);
  {
    /* The whole order, by the admin terminal, behind the page's back. */
    g_autofree char *uri = g_strconcat (server->base, path, NULL);
    g_autoptr (SoupMessage) msg = soup_message_new ("POST", uri);
    g_autoptr (GBytes) body = g_bytes_new_static ("{}", 2);
    g_autoptr (GBytes) reply = NULL;

    soup_message_headers_replace (soup_message_get_request_headers (msg), "Authorization", auth);
    soup_message_set_request_body_from_bytes (msg, "application/json", body);
    reply = soup_session_send_and_read (server->session, msg, NULL, NULL);
    g_assert_cmpuint (soup_message_get_status (msg), ==, 201);
  }
  answer (f, dialog, "refund");
  g_assert_nonnull (strstr (till_orders_page_get_message (f->page), "Nothing was refunded"));
  /* And the order as it is now. */
  order = till_orders_page_get_detail (f->page, NULL);
  g_assert_cmpint (order->status, ==, TILL_ORDER_REFUNDED);
  g_assert_false (gtk_widget_get_visible (till_orders_page_get_refund_button (f->page)));
}

static void
test_cashier_refused (Fixture *f, gconstpointer data)
{
  gint64           id = g_array_index (paid_ids, gint64, N_PAID - 4);
  g_autofree char *status = NULL;

  open_row (f, id);
  g_assert_null (open_refund (f));
  g_assert_nonnull (strstr (till_orders_page_get_message (f->page), "Only an admin terminal"));
  g_assert_cmpint (server_refunded (id, &status), ==, 0);
  g_assert_cmpstr (status, ==, "paid");
}

static gboolean
has_jobs (gpointer data)
{
  return till_printer_emulator_get_n_jobs (data) > 0;
}

/* Reprint Receipt of a past paid order: its receipt on the printer of the preferences (the
 * emulator), "Printed." under the bar; a printer that is off says so and the button stays to
 * try again; a pending order has no receipt to reprint. */
static void
test_reprint (Fixture *f, gconstpointer data)
{
  gint64 id = g_array_index (paid_ids, gint64, N_PAID - 5);
  g_autoptr (TillPrinterEmulator) printer = till_printer_emulator_new ();
  g_autoptr (GSettings) settings = g_settings_new (TILL_APP_ID);
  g_autoptr (GError) error = NULL;
  guint16          port = till_printer_emulator_listen (printer, "127.0.0.1", 0, &error);
  g_autofree char *address = g_strdup_printf ("127.0.0.1:%u", port);
  g_autofree char *off = g_strdup_printf ("The receipt printer at %s does not answer.", address);
  g_autofree char *text = NULL;
  g_autofree char *number = NULL;
  GtkWidget       *button;

  g_assert_no_error (error);
  g_settings_set_string (settings, "receipt-printer", address);
  g_settings_set_uint (settings, "receipt-paper-width", 80);
  open_row (f, id);
  number = g_strdup (till_orders_page_get_detail (f->page, NULL)->number);
  button = till_orders_page_get_print_button (f->page);
  g_assert_true (gtk_widget_get_visible (button));
  g_assert_null (till_orders_page_get_print_message (f->page));
  /* Alt+P: Refund… has Alt+R in the same bar. */
  g_assert_cmpuint (
      gtk_label_get_mnemonic_keyval (GTK_LABEL (
          gtk_button_get_child (GTK_BUTTON (till_orders_page_get_refund_button (f->page))))),
      !=, gtk_label_get_mnemonic_keyval (GTK_LABEL (gtk_button_get_child (GTK_BUTTON (button)))));

  g_signal_emit_by_name (button, "clicked");
  g_assert_false (gtk_widget_get_sensitive (button)); /* not twice at once */
  wait_idle (f);
  g_assert_cmpstr (till_orders_page_get_print_message (f->page), ==, "Printed.");
  g_assert_true (till_test_wait_until (has_jobs, printer, 10000));
  g_assert_cmpuint (till_printer_emulator_get_n_jobs (printer), ==, 1);
  text = till_printer_emulator_get_text (printer, 0);
  g_assert_nonnull (strstr (text, number));
  g_assert_nonnull (strstr (text, "**** 4242"));
  g_assert_true (gtk_widget_get_visible (button));
  g_assert_true (gtk_widget_get_sensitive (button));

  /* Switched off: the reason in the cashier's words, the order still shown, the button there. */
  till_printer_emulator_stop (printer);
  g_signal_emit_by_name (button, "clicked");
  wait_idle (f);
  g_assert_true (g_str_has_prefix (till_orders_page_get_print_message (f->page), off));
  g_assert_cmpint (till_orders_page_get_detail (f->page, NULL)->id, ==, id);
  g_assert_true (gtk_widget_get_visible (button));
  g_assert_true (gtk_widget_get_sensitive (button));
  save_window (f->window, "orders-reprint-failed");
  g_assert_cmpuint (till_printer_emulator_get_n_jobs (printer), ==, 1);

  /* Another order: no message of the last one; a pending order has no Reprint. */
  open_row (f, pending_id);
  g_assert_false (gtk_widget_get_visible (button));
  g_assert_null (till_orders_page_get_print_message (f->page));

  g_settings_reset (settings, "receipt-printer");
  g_settings_reset (settings, "receipt-paper-width");
}

/* The window's way in (the main menu's Orders, Ctrl+Shift+O) and out. */
static void
test_window (Fixture *f, gconstpointer data)
{
  g_autoptr (TillCatalog) catalog = till_catalog_new ();
  g_autofree char *dir = till_test_make_tmpdir ("till-orders-carts");
  g_autoptr (GFile) directory = g_file_new_for_path (dir);
  g_autoptr (TillCartStore) store = till_cart_store_new (directory);
  TillWindow *window = till_window_new (NULL, catalog, store, f->client);
  gint64      deadline = g_get_monotonic_time () + DEADLINE_US;

  gtk_window_set_default_size (GTK_WINDOW (window), 800, 600);
  gtk_window_present (GTK_WINDOW (window));
  g_assert_cmpstr (till_window_get_mode (window), ==, "sell");
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.show-orders", NULL));
  g_assert_cmpstr (till_window_get_mode (window), ==, "orders");
  while (till_orders_page_get_n_orders (till_window_get_orders_page (window)) == 0 ||
         till_orders_page_is_busy (till_window_get_orders_page (window)))
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_main_context_iteration (NULL, TRUE);
    }
  g_assert_cmpuint (till_orders_page_get_n_orders (till_window_get_orders_page (window)), ==, 50);
  save_window (GTK_WINDOW (window), "orders-window");
  /* Ctrl+F searches the orders here, not the catalog. */
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.focus-search", NULL));
  g_assert_true (gtk_widget_is_ancestor (
      gtk_window_get_focus (GTK_WINDOW (window)),
      GTK_WIDGET (till_orders_page_get_search_entry (till_window_get_orders_page (window)))));
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.show-sell", NULL));
  g_assert_cmpstr (till_window_get_mode (window), ==, "sell");
  gtk_window_destroy (GTK_WINDOW (window));
  till_test_remove_tree (dir);
}

/* Last, as it changes the process's language: Turkish in a small window. */
static void
test_turkish (Fixture *f, gconstpointer data)
{
  g_autofree char *po = g_test_build_filename (G_TEST_BUILT, "..", "po", NULL);
  g_autofree char *text = NULL;
  TillOrdersPage  *page;

  g_setenv ("TILL_LOCALEDIR", po, TRUE);
  g_setenv ("LANGUAGE", "tr", TRUE);
  setlocale (LC_ALL, ""); /* C.UTF-8 in the tests: LANGUAGE counts (not under plain C) */
  till_application_bind_textdomain ();
  /* A page made in Turkish. */
  page = till_orders_page_new (f->client);
  gtk_window_set_child (f->window, GTK_WIDGET (page));
  f->page = page;
  till_orders_page_reload (page);
  wait_idle (f);
  g_assert_cmpuint (till_orders_page_get_n_orders (page), ==, 50);
  save_window (f->window, "orders-list-tr");
  g_assert_true (till_orders_page_load_more (page));
  wait_idle (f);
  open_row (f, g_array_index (paid_ids, gint64, N_PAID - 2));
  text = till_orders_page_get_detail_text (page);
  g_assert_nonnull (strstr (text, "Ürünler"));
  g_assert_nonnull (strstr (text, "İade edilen"));
  g_assert_nonnull (strstr (text, "İstanbul Simidi"));
  save_window (f->window, "orders-detail-tr");
}

int
main (int argc, char **argv)
{
  int status;

  gtk_test_init (&argc, &argv, NULL);
  adw_init ();
  seed ();

  g_test_add ("/orders/paging", Fixture, NULL, fixture_set_up, test_paging, fixture_tear_down);
  g_test_add ("/orders/scroll", Fixture, NULL, fixture_set_up, test_scroll, fixture_tear_down);
  g_test_add ("/orders/filters", Fixture, NULL, fixture_set_up, test_filters, fixture_tear_down);
  g_test_add ("/orders/search", Fixture, NULL, fixture_set_up, test_search, fixture_tear_down);
  g_test_add ("/orders/detail", Fixture, NULL, fixture_set_up, test_detail, fixture_tear_down);
  g_test_add ("/orders/abandoned", Fixture, NULL, fixture_set_up, test_abandoned,
              fixture_tear_down);
  g_test_add ("/orders/refunds", Fixture, "admin", fixture_set_up, test_refunds, fixture_tear_down);
  g_test_add ("/orders/refund-conflict", Fixture, "admin", fixture_set_up, test_refund_conflict,
              fixture_tear_down);
  g_test_add ("/orders/cashier-refused", Fixture, NULL, fixture_set_up, test_cashier_refused,
              fixture_tear_down);
  g_test_add ("/orders/reprint", Fixture, NULL, fixture_set_up, test_reprint, fixture_tear_down);
  g_test_add ("/orders/window", Fixture, NULL, fixture_set_up, test_window, fixture_tear_down);
  g_test_add ("/orders/turkish", Fixture, NULL, fixture_set_up, test_turkish, fixture_tear_down);
  status = g_test_run ();
  pay_training_server_stop (server);
  g_free (admin_token);
  g_free (searched_number);
  g_array_unref (paid_ids);
  return status;
}
