/* test-orders-touch.c: the orders page by touch, against the real till-server --training.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * GTK draws on gtk4-broadwayd, and the test is its browser (till-test-touch.h): every tap and
 * swipe is a touch event with its sequence, through GDK to the widgets' gestures, as a
 * touchscreen's. A finger taps an order open and goes back, swipes the list up until the
 * next page loads, and taps Refund on a paid order.
 */
#include "config.h"

#include <string.h>
#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/lsan_interface.h>
#endif

#include "till-core.h"
#include "till-figures-page-private.h"
#include "till-orders-page-private.h"
#include "till-test-gtk.h"
#include "till-test-touch.h"
#include "pay-training-server.h"

#define N_PENDING 55 /* more than a page (50) */

static TillTestTouch     *touch;
static PayTrainingServer *server;
static char              *admin_token;
static gint64             paid_id;

typedef struct
{
  TillClient     *client;
  GtkWindow      *window;
  TillOrdersPage *page;
} Fixture;

static JsonObject *
api (const char *method, const char *path, guint expected_status)
{
  g_autoptr (GError) error = NULL;
  guint       status = 0;
  JsonObject *object = pay_training_server_request (server, method, path, NULL, &status, &error);

  g_assert_no_error (error);
  g_assert_cmpuint (status, ==, expected_status);
  return object;
}

static gint64
sell (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) reply = pay_training_server_checkout (server, &error);

  g_assert_no_error (error);
  return json_object_get_int_member (json_object_get_object_member (reply, "order"), "id");
}

/* One paid order (the oldest), then more waiting orders than a page holds. */
static void
seed (void)
{
  g_autofree char *binary =
      g_test_build_filename (G_TEST_BUILT, "..", "src", "server", "till-server", NULL);
  g_autoptr (GError) error = NULL;
  g_autofree char *out = NULL;
  g_auto (GStrv) lines = NULL;

  server = pay_training_server_start (binary, &error);
  g_assert_no_error (error);
  {
    const char *argv[] = { binary,        "--db",   server->db, "terminal", "add",
                           "touch-admin", "--role", "admin",    NULL };

    out = till_test_run_program (argv, &error);
    g_assert_no_error (error);
  }
  lines = g_strsplit (g_strstrip (out), "\n", -1);
  admin_token = g_strdup (lines[g_strv_length (lines) - 1]);

  {
    g_autoptr (JsonObject) reply = pay_training_server_checkout (server, &error);
    JsonObject     *payment = json_object_get_object_member (reply, "payment");
    TillStoreConfig config = {
      .publishable_key = server->publishable_key,
      .stripe_js_url = g_strconcat (server->js_origin, "/v3/", NULL),
    };
    TillCheckoutResponse response = {
      .payment_intent = (char *) json_object_get_string_member (payment, "payment_intent"),
      .client_secret = (char *) json_object_get_string_member (payment, "client_secret"),
    };
    g_autofree char *path = NULL;
    g_autoptr (JsonObject) order = NULL;

    g_assert_no_error (error);
    paid_id = json_object_get_int_member (json_object_get_object_member (reply, "order"), "id");
    till_test_confirm_at_stripe (&config, &response);
    g_free (config.stripe_js_url);
    path = g_strdup_printf ("/api/v1/orders/%" G_GINT64_FORMAT "/sync", paid_id);
    order = api ("POST", path, 200);
    g_assert_cmpstr (json_object_get_string_member (order, "status"), ==, "paid");
  }
  for (guint i = 0; i < N_PENDING; i++)
    sell ();
}

static void
wait_idle (Fixture *f)
{
  gint64 deadline = g_get_monotonic_time () + TILL_TEST_DEADLINE_MS * 1000;

  while (g_main_context_iteration (NULL, FALSE))
    ;
  while (till_orders_page_is_busy (f->page))
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_main_context_iteration (NULL, TRUE);
    }
}

static gboolean
window_drawn (gpointer data)
{
  Fixture *f = data;

  return gtk_widget_get_mapped (GTK_WIDGET (f->window)) &&
         gtk_widget_get_width (GTK_WIDGET (f->window)) > 0 && !till_orders_page_is_busy (f->page);
}

static void
fixture_set_up (Fixture *f, gconstpointer data)
{
  f->client = till_client_new ();
  till_client_set_server (f->client, server->base, admin_token);
  f->page = till_orders_page_new (f->client);
  f->window = GTK_WINDOW (gtk_window_new ());
  gtk_window_set_default_size (f->window, 800, 600);
  gtk_window_set_child (f->window, GTK_WIDGET (f->page));
  gtk_window_present (f->window);
  till_orders_page_reload (f->page);
  g_assert_true (till_test_wait_until (window_drawn, f, TILL_TEST_DEADLINE_MS));
  wait_idle (f);
}

static void
fixture_tear_down (Fixture *f, gconstpointer data)
{
  gtk_window_destroy (f->window);
  g_clear_object (&f->client);
}

/* The button of @root's tree whose tooltip is @tooltip, mapped. */
static GtkWidget *
find_button (GtkWidget *root, const char *tooltip)
{
  if (GTK_IS_BUTTON (root) && gtk_widget_get_mapped (root) &&
      g_strcmp0 (gtk_widget_get_tooltip_text (root), tooltip) == 0)
    return root;
  for (GtkWidget *child = gtk_widget_get_first_child (root); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = find_button (child, tooltip);

      if (found != NULL)
        return found;
    }
  return NULL;
}

/* The page's stack has ended its slide: what a finger sees is where it stays. */
static gboolean
settled (Fixture *f)
{
  GtkWidget *stack =
      gtk_widget_get_ancestor (GTK_WIDGET (till_orders_page_get_list (f->page)), GTK_TYPE_STACK);

  return !gtk_stack_get_transition_running (GTK_STACK (stack));
}

static gboolean
detail_shown (gpointer data)
{
  Fixture *f = data;

  return till_orders_page_get_detail (f->page, NULL) != NULL &&
         !till_orders_page_is_busy (f->page) &&
         find_button (GTK_WIDGET (f->page), "Back to Orders") != NULL && settled (f);
}

static gboolean
list_shown (gpointer data)
{
  Fixture *f = data;

  return gtk_widget_get_mapped (GTK_WIDGET (till_orders_page_get_list (f->page))) &&
         find_button (GTK_WIDGET (f->page), "Back to Orders") == NULL && settled (f);
}

/* A tap on the first row opens its order; a tap on the back arrow goes back to the list. */
static void
test_tap (Fixture *f, gconstpointer data)
{
  GtkListBoxRow *row = gtk_list_box_get_row_at_index (till_orders_page_get_list (f->page), 0);
  GtkWidget     *back;

  g_assert_null (till_orders_page_get_detail (f->page, NULL));
  till_test_touch_tap (touch, GTK_WIDGET (row));
  g_assert_true (till_test_wait_until (detail_shown, f, TILL_TEST_DEADLINE_MS));
  g_assert_cmpint (till_orders_page_get_detail (f->page, NULL)->id, ==,
                   till_orders_page_get_order (f->page, 0)->id);

  back = find_button (GTK_WIDGET (f->page), "Back to Orders");
  g_assert_nonnull (back);
  till_test_touch_tap (touch, back);
  g_assert_true (till_test_wait_until (list_shown, f, TILL_TEST_DEADLINE_MS));
}

static gboolean
more_loaded (gpointer data)
{
  Fixture *f = data;

  return till_orders_page_get_n_orders (f->page) > 50;
}

/* A finger swiping the list up scrolls it (kinetic scrolling, as on a touchscreen), and at
 * its end the next page comes. */
static void
test_swipe (Fixture *f, gconstpointer data)
{
  GtkWidget     *list = GTK_WIDGET (till_orders_page_get_list (f->page));
  GtkWidget     *scrolled = gtk_widget_get_ancestor (list, GTK_TYPE_SCROLLED_WINDOW);
  GtkAdjustment *adjustment = gtk_scrolled_window_get_vadjustment (GTK_SCROLLED_WINDOW (scrolled));
  double         height = gtk_widget_get_height (scrolled);
  double         x = gtk_widget_get_width (scrolled) / 2.0;
  gint64         deadline = g_get_monotonic_time () + TILL_TEST_DEADLINE_MS * 1000;

  g_assert_cmpuint (till_orders_page_get_n_orders (f->page), ==, 50);
  g_assert_cmpfloat (gtk_adjustment_get_value (adjustment), ==, 0);
  /* The rows are laid out at a frame to come. */
  while (gtk_adjustment_get_upper (adjustment) <= gtk_adjustment_get_page_size (adjustment))
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_main_context_iteration (NULL, TRUE);
    }
  till_test_touch_drag (touch, scrolled, x, height * 0.8, 0, -height * 0.6, 10);
  /* It moved with the finger, and no row was opened by it. */
  while (gtk_adjustment_get_value (adjustment) <= 0)
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_main_context_iteration (NULL, TRUE);
    }
  g_assert_null (till_orders_page_get_detail (f->page, NULL));
  while (!more_loaded (f))
    {
      till_test_touch_drag (touch, scrolled, x, height * 0.8, 0, -height * 0.6, 6);
      gint64 later = g_get_monotonic_time () + 100 * G_TIME_SPAN_MILLISECOND;

      till_test_wait_until (till_test_time_passed, &later, 1000);
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
    }
  wait_idle (f);
  g_assert_cmpuint (till_orders_page_get_n_orders (f->page), ==, N_PENDING + 1);
  g_assert_null (till_orders_page_get_detail (f->page, NULL));
}

/* @data (a row) is wholly inside its scrolled window, as laid out. */
static gboolean
row_in_view (gpointer data)
{
  GtkWidget      *row = data;
  GtkWidget      *scrolled = gtk_widget_get_ancestor (row, GTK_TYPE_SCROLLED_WINDOW);
  GtkAdjustment  *adjustment = gtk_scrolled_window_get_vadjustment (GTK_SCROLLED_WINDOW (scrolled));
  graphene_rect_t bounds;

  /* Rows just added are laid out at the next frame: scrolled to the end until it is there. */
  if (gtk_widget_get_height (row) == 0 || !gtk_widget_compute_bounds (row, scrolled, &bounds))
    return FALSE;
  if (bounds.origin.y >= 0 &&
      bounds.origin.y + bounds.size.height <= gtk_widget_get_height (scrolled))
    return TRUE;
  gtk_adjustment_set_value (adjustment, gtk_adjustment_get_upper (adjustment) -
                                            gtk_adjustment_get_page_size (adjustment));
  return FALSE;
}

static gboolean
refund_dialog_shown (gpointer data)
{
  Fixture          *f = data;
  AdwMessageDialog *dialog = till_orders_page_get_refund_dialog (f->page);

  return dialog != NULL && gtk_widget_get_mapped (GTK_WIDGET (dialog));
}

/* The paid order, opened by a tap; Refund tapped opens its dialog. */
static void
test_refund (Fixture *f, gconstpointer data)
{
  GtkWidget        *refund = till_orders_page_get_refund_button (f->page);
  AdwMessageDialog *dialog;

  g_assert_true (till_orders_page_load_more (f->page));
  wait_idle (f);
  for (guint i = 0; i < till_orders_page_get_n_orders (f->page); i++)
    if (till_orders_page_get_order (f->page, i)->id == paid_id)
      {
        GtkListBoxRow *row = gtk_list_box_get_row_at_index (till_orders_page_get_list (f->page), i);
        GtkWidget *scrolled = gtk_widget_get_ancestor (GTK_WIDGET (row), GTK_TYPE_SCROLLED_WINDOW);
        GtkAdjustment *adjustment =
            gtk_scrolled_window_get_vadjustment (GTK_SCROLLED_WINDOW (scrolled));

        /* Brought into view (the last row), as a finger would have, then tapped. */
        gtk_adjustment_set_value (adjustment, gtk_adjustment_get_upper (adjustment));
        g_assert_true (till_test_wait_until (row_in_view, row, TILL_TEST_DEADLINE_MS));
        till_test_touch_tap (touch, GTK_WIDGET (row));
        break;
      }
  g_assert_true (till_test_wait_until (detail_shown, f, TILL_TEST_DEADLINE_MS));
  g_assert_cmpint (till_orders_page_get_detail (f->page, NULL)->id, ==, paid_id);
  g_assert_true (gtk_widget_get_mapped (refund));
  till_test_touch_tap (touch, refund);
  g_assert_true (till_test_wait_until (refund_dialog_shown, f, TILL_TEST_DEADLINE_MS));
  /* Closed as its Cancel would. */
  dialog = till_orders_page_get_refund_dialog (f->page);
  adw_message_dialog_response (dialog, "cancel");
  gtk_window_destroy (GTK_WINDOW (dialog));
  wait_idle (f);
}

/* The button of @root's tree labeled @label (with its mnemonic), mapped. */
static GtkWidget *
find_labeled (GtkWidget *root, const char *label)
{
  if (GTK_IS_BUTTON (root) && gtk_widget_get_mapped (root) &&
      g_strcmp0 (gtk_button_get_label (GTK_BUTTON (root)), label) == 0)
    return root;
  for (GtkWidget *child = gtk_widget_get_first_child (root); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = find_labeled (child, label);

      if (found != NULL)
        return found;
    }
  return NULL;
}

static gboolean
figures_loaded (gpointer data)
{
  return till_figures_page_is_loaded (TILL_FIGURES_PAGE (data));
}

static gboolean
thirty_days (gpointer data)
{
  JsonObject *trend = till_figures_page_get_trend (TILL_FIGURES_PAGE (data));

  return till_figures_page_is_loaded (TILL_FIGURES_PAGE (data)) && trend != NULL &&
         json_array_get_length (json_object_get_array_member (trend, "days")) == 30;
}

static void
on_done (gboolean *done)
{
  *done = TRUE;
}

/* The day's figures by touch: the 30 days tab tapped brings the longer trend, and Back to
 * Sale tapped says the page is done. */
static void
test_figures (Fixture *f, gconstpointer data)
{
  TillFiguresPage *page = till_figures_page_new (f->client);
  gboolean         done = FALSE;
  GtkWidget       *month;
  GtkWidget       *back;

  gtk_window_set_child (f->window, GTK_WIDGET (page));
  g_signal_connect_swapped (page, "done", G_CALLBACK (on_done), &done);
  till_figures_page_show_day (page, NULL);
  g_assert_true (till_test_wait_until (figures_loaded, page, TILL_TEST_DEADLINE_MS));
  g_assert_cmpuint (json_array_get_length (
                        json_object_get_array_member (till_figures_page_get_trend (page), "days")),
                    ==, 7);
  month = find_labeled (GTK_WIDGET (page), "_30 Days");
  g_assert_nonnull (month);
  till_test_touch_tap (touch, month);
  g_assert_true (till_test_wait_until (thirty_days, page, TILL_TEST_DEADLINE_MS));

  back = find_labeled (GTK_WIDGET (page), "_Back to Sale");
  g_assert_nonnull (back);
  till_test_touch_tap (touch, back);
  g_assert_true (till_test_wait_for (&done, TILL_TEST_DEADLINE_MS));
}

static void
test_skip (gconstpointer data)
{
  g_test_skip (data);
}

int
main (int argc, char **argv)
{
  g_autoptr (GError) error = NULL;
  int status;

  touch = till_test_touch_start (&error);
  if (touch == NULL)
    {
      g_test_init (&argc, &argv, NULL);
      g_test_add_data_func ("/orders/touch", error->message, test_skip);
      return g_test_run ();
    }
#if defined(__SANITIZE_ADDRESS__)
  /* GTK 4.8's Broadway renderer keeps about 3 MB of cairo and pixman surfaces that only its
   * own (unsymbolised) frames hold: no narrow suppression can name them, and a broad one
   * would hide ours. AddressSanitizer still checks every access here; the leaks of the same
   * orders page are checked on X11 by test-orders-e2e. */
  __lsan_disable ();
#endif
  gtk_test_init (&argc, &argv, NULL);
  adw_init ();
  g_assert_cmpstr (G_OBJECT_TYPE_NAME (gdk_display_get_default ()), ==, "GdkBroadwayDisplay");
  till_test_touch_connect (touch, 800, 600, &error);
  g_assert_no_error (error);
  seed ();

  g_test_add ("/orders/touch/tap", Fixture, NULL, fixture_set_up, test_tap, fixture_tear_down);
  g_test_add ("/orders/touch/swipe", Fixture, NULL, fixture_set_up, test_swipe, fixture_tear_down);
  g_test_add ("/orders/touch/refund", Fixture, NULL, fixture_set_up, test_refund,
              fixture_tear_down);
  g_test_add ("/orders/touch/figures", Fixture, NULL, fixture_set_up, test_figures,
              fixture_tear_down);
  status = g_test_run ();
  pay_training_server_stop (server);
  g_free (admin_token);
  till_test_touch_free (touch);
  return status;
}
