/* test-app-printing.c: receipts on paper. A sale paid in the real till-server --training (a
 * child process), its receipt printed through the ESC/POS printer emulator (TCP), a USB
 * device (a file here) and A4 (a PDF), each read back; and printers that are off, out of
 * paper, or not an address at all.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <libsoup/soup.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "till-checkout.h"
#include "till-client.h"
#include "till-cash-drawer.h"
#include "till-printer-emulator.h"
#include "till-printer-page-private.h"
#include "till-receipt-printer.h"
#include "till-test-gtk.h"

typedef struct
{
  char                *tmpdir;
  char                *db;
  GSubprocess         *server;
  char                *url;
  TillClient          *client;
  TillOrder           *order; /* paid, with a Turkish name and two tax rates */
  TillPrinterEmulator *printer;
  char                *address; /* the emulator's */
  GSettings           *settings;
} Fixture;

static char *
run_server_command (Fixture *f, const char *const *args)
{
  g_autofree char *server =
      g_test_build_filename (G_TEST_BUILT, "..", "src", "server", "till-server", NULL);
  g_autoptr (GPtrArray) argv = g_ptr_array_new ();
  g_autoptr (GSubprocessLauncher) launcher =
      till_test_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE);
  g_autofree char *out = NULL;
  g_auto (GStrv) lines = NULL;

  g_ptr_array_add (argv, server);
  g_ptr_array_add (argv, (char *) "--db");
  g_ptr_array_add (argv, f->db);
  for (guint i = 0; args[i] != NULL; i++)
    g_ptr_array_add (argv, (char *) args[i]);
  g_ptr_array_add (argv, NULL);
  g_subprocess_launcher_setenv (launcher, "XDG_STATE_HOME", f->tmpdir, TRUE);
  g_assert_cmpint (till_test_run_launcher (launcher, (const char *const *) argv->pdata, &out, NULL),
                   ==, 0);
  lines = g_strsplit (g_strstrip (out), "\n", -1);
  return g_strdup (lines[g_strv_length (lines) - 1]);
}

static gboolean
client_online (gpointer data)
{
  return till_client_get_state (TILL_CLIENT (data)) == TILL_CONNECTION_ONLINE;
}

static TillProduct *
find_product (GPtrArray *products, const char *name)
{
  for (guint i = 0; i < products->len; i++)
    if (g_strcmp0 (till_product_get_name (g_ptr_array_index (products, i)), name) == 0)
      return g_ptr_array_index (products, i);
  g_error ("no product %s in the training catalog", name);
}

/* Pays @response's PaymentIntent in the simulator as Stripe.js would (docs/contract.md,
 * "Paying in training mode"), then syncs the order. */
static TillOrder *
pay (Fixture *f, TillCheckoutResponse *response)
{
  const TillStoreConfig *config = till_client_get_config (f->client);
  g_autofree char       *base = g_strndup (config->stripe_js_url,
                                           strstr (config->stripe_js_url, "v3/") - config->stripe_js_url);
  g_autofree char       *uri =
      g_strdup_printf ("%sv1/payment_intents/%s/confirm", base, response->payment_intent);
  g_autofree char *form =
      g_strdup_printf ("client_secret=%s&payment_method=pm_card_visa", response->client_secret);
  g_autofree char *credentials = g_strdup_printf ("%s:", config->publishable_key);
  g_autofree char *basic = g_base64_encode ((const guchar *) credentials, strlen (credentials));
  g_autofree char *authorization = g_strdup_printf ("Basic %s", basic);
  g_autoptr (SoupSession) session = soup_session_new ();
  g_autoptr (SoupMessage) msg = soup_message_new ("POST", uri);
  g_autoptr (GBytes) body = g_bytes_new (form, strlen (form));
  g_autoptr (GBytes) reply = NULL;
  g_autoptr (GError) error = NULL;
  GAsyncResult *result = NULL;
  TillOrder    *order;

  soup_message_headers_replace (soup_message_get_request_headers (msg), "Authorization",
                                authorization);
  soup_message_set_request_body_from_bytes (msg, "application/x-www-form-urlencoded", body);
  reply = soup_session_send_and_read (session, msg, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (soup_message_get_status (msg), ==, 200);

  till_client_sync_order_async (f->client, response->order->id, NULL, till_test_store_result,
                                &result);
  g_assert_true (till_test_wait_result (&result, 20000) != NULL);
  order = till_client_order_action_finish (f->client, result, &error);
  g_assert_no_error (error);
  g_clear_object (&result);
  g_assert_cmpint (order->status, ==, TILL_ORDER_PAID);
  return order;
}

static void
setup (Fixture *f, gconstpointer data)
{
  g_autofree char *server =
      g_test_build_filename (G_TEST_BUILT, "..", "src", "server", "till-server", NULL);
  g_autoptr (GSubprocessLauncher) launcher =
      till_test_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE);
  g_autofree char *token = NULL;
  g_autoptr (GPtrArray) products = NULL;
  g_autoptr (TillCartModel) cart = NULL;
  g_autoptr (TillCheckoutResult) checkout = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *etag = NULL;
  g_autofree char *config = NULL;
  g_autofree char *contents = NULL;
  GAsyncResult    *result = NULL;
  guint16          port;

  f->tmpdir = till_test_make_tmpdir ("till-printing-test");
  f->db = g_build_filename (f->tmpdir, "till.db", NULL);
  token = run_server_command (f, (const char *[]){ "terminal", "add", "printing", NULL });
  g_subprocess_launcher_setenv (launcher, "XDG_STATE_HOME", f->tmpdir, TRUE);
  /* @data: the server's [server] public-url, or NULL for none. */
  config = g_build_filename (f->tmpdir, "till.conf", NULL);
  contents = g_strdup_printf ("[server]\n%s%s\n", data != NULL ? "public-url=" : "",
                              data != NULL ? (const char *) data : "");
  g_assert_true (g_file_set_contents (config, contents, -1, NULL));
  f->server = till_test_spawn (launcher,
                               (const char *[]){ server, "--config", config, "--listen",
                                                 "127.0.0.1:0", "--db", f->db, "--training", NULL },
                               &f->url, NULL, &error);
  g_assert_no_error (error);

  f->client = till_client_new ();
  till_client_set_server (f->client, f->url, token);
  g_assert_true (till_test_wait_until (client_online, f->client, 20000));
  till_client_fetch_products_async (f->client, NULL, NULL, till_test_store_result, &result);
  g_assert_true (till_test_wait_result (&result, 20000) != NULL);
  g_assert_true (till_client_fetch_products_finish (f->client, result, &products, &etag, &error));
  g_clear_object (&result);

  /* A sale of a Turkish name at 7 % and a drink at 19 %, paid by card. */
  cart = till_cart_model_new (till_client_get_config (f->client)->currency,
                              till_client_get_config (f->client)->prices_include_tax);
  till_cart_model_add_product (cart, find_product (products, "İstanbul Simidi"), 2, &error);
  g_assert_no_error (error);
  till_cart_model_add_product (cart, find_product (products, "Türk Kahvesi"), 1, &error);
  g_assert_no_error (error);
  till_checkout_start_async (f->client, cart, NULL, till_test_store_result, &result);
  g_assert_true (till_test_wait_result (&result, 20000) != NULL);
  checkout = till_checkout_start_finish (result, &error);
  g_assert_no_error (error);
  g_clear_object (&result);
  f->order = pay (f, checkout->response);

  f->printer = till_printer_emulator_new ();
  port = till_printer_emulator_listen (f->printer, "127.0.0.1", 0, &error);
  g_assert_no_error (error);
  f->address = g_strdup_printf ("127.0.0.1:%u", port);
  f->settings = g_settings_new (TILL_APP_ID);
  g_settings_set_string (f->settings, "receipt-printer", f->address);
  g_settings_set_uint (f->settings, "receipt-paper-width", 80);
}

static void
teardown (Fixture *f, gconstpointer data)
{
  g_settings_reset (f->settings, "receipt-printer");
  g_settings_reset (f->settings, "receipt-paper-width");
  g_clear_object (&f->settings);
  g_clear_object (&f->printer);
  g_clear_object (&f->client);
  g_clear_pointer (&f->order, till_order_free);
  till_test_stop_process (f->server, SIGTERM);
  g_clear_object (&f->server);
  till_test_remove_tree (f->tmpdir);
  g_free (f->tmpdir);
  g_free (f->db);
  g_free (f->url);
  g_free (f->address);
}

/* till_receipt_print_async() of the fixture's order; its error, if any. */
static GError *
print_order (Fixture *f)
{
  GAsyncResult *result = NULL;
  GError       *error = NULL;

  till_receipt_print_async (f->client, f->order, NULL, NULL, till_test_store_result, &result);
  g_assert_true (till_test_wait_result (&result, 20000) != NULL);
  if (till_receipt_print_finish (result, &error))
    g_assert_no_error (error);
  g_clear_object (&result);
  return error;
}

static gboolean
has_jobs (gpointer data)
{
  Fixture *f = data;

  return till_printer_emulator_get_n_jobs (f->printer) > 0;
}

static void
assert_receipt (const char *text, const TillOrder *order)
{
  g_autofree char *qr = g_strdup_printf ("[QR: %s]", order->number);
  g_autofree char *number = g_strdup_printf ("Order %s", order->number);

  g_test_message ("%s", text);
  g_assert_nonnull (strstr (text, "*** TRAINING - NOT A RECEIPT ***")); /* "—" in ASCII */
  g_assert_nonnull (strstr (text, number));
  g_assert_nonnull (strstr (text, "2 × İstanbul Simidi"));
  g_assert_nonnull (strstr (text, "1 × Türk Kahvesi"));
  g_assert_nonnull (strstr (text, "tax 7 % on"));
  g_assert_nonnull (strstr (text, "tax 19 % on"));
  g_assert_nonnull (strstr (text, "Subtotal"));
  g_assert_nonnull (strstr (text, "TOTAL"));
  g_assert_nonnull (strstr (text, "**** 4242")); /* "••••" has no code page: ASCII */
  g_assert_nonnull (strstr (text, qr));
  g_assert_true (g_str_has_suffix (text, "[cut]\n"));
}

/* The header is the store's: its name centred on the first line after the training mark. */
static void
assert_header (const char *text, TillClient *client)
{
  const char *name = till_client_get_config (client)->store_name;

  g_assert_nonnull (name);
  g_assert_nonnull (strstr (text, name));
}

static void
test_escpos_80 (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = print_order (f);
  g_autofree char *text = NULL;
  g_autofree char *png = g_test_build_filename (G_TEST_BUILT, "receipt-80mm-escpos.png", NULL);
  g_auto (GStrv) lines = NULL;

  g_assert_no_error (error);
  g_assert_true (till_test_wait_until (has_jobs, f, 10000));
  g_assert_cmpuint (till_printer_emulator_get_n_jobs (f->printer), ==, 1);
  text = till_printer_emulator_get_text (f->printer, 0);
  assert_receipt (text, f->order);
  assert_header (text, f->client);
  /* 42 columns on 80 mm: the total's line is full. */
  lines = g_strsplit (text, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    if (g_str_has_prefix (lines[i], "TOTAL"))
      g_assert_cmpint (g_utf8_strlen (lines[i], -1), ==, 42);

  /* The source of data/screenshots/receipt-80mm-escpos.png. */
  g_assert_true (till_printer_emulator_render_png (till_printer_emulator_get_job (f->printer, 0),
                                                   80, png, &error));
  g_assert_no_error (error);
  g_assert_true (g_file_test (png, G_FILE_TEST_IS_REGULAR));
}

/* With a public address, the QR code holds the order's receipt page, which the server
 * answers; without one (the other cases), the order number. */
static void
test_escpos_receipt_url (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = print_order (f);
  g_autoptr (SoupSession) session = soup_session_new ();
  g_autoptr (SoupMessage) msg = NULL;
  g_autoptr (GBytes) page = NULL;
  g_autofree char *text = NULL;
  g_autofree char *qr = NULL;
  g_autofree char *number_qr = g_strdup_printf ("[QR: %s]", f->order->number);
  g_autofree char *page_url = NULL;
  const char      *url = f->order->receipt_url;

  g_assert_no_error (error);
  g_assert_nonnull (url);
  g_assert_true (g_str_has_prefix (url, (const char *) data));
  g_assert_true (till_test_wait_until (has_jobs, f, 10000));
  text = till_printer_emulator_get_text (f->printer, 0);
  g_test_message ("%s", text);
  qr = g_strdup_printf ("[QR: %s]", url);
  g_assert_nonnull (strstr (text, qr));
  g_assert_null (strstr (text, number_qr));

  /* The same page on the server's own address. */
  page_url = g_strconcat (f->url, url + strlen ((const char *) data), NULL);
  msg = soup_message_new ("GET", page_url);
  page = soup_session_send_and_read (session, msg, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (soup_message_get_status (msg), ==, 200);
  g_assert_nonnull (
      g_strstr_len (g_bytes_get_data (page, NULL), g_bytes_get_size (page), "İstanbul Simidi"));
}

static void
test_escpos_58 (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *text = NULL;
  g_autofree char *png = g_test_build_filename (G_TEST_BUILT, "receipt-58mm-escpos.png", NULL);
  g_auto (GStrv) lines = NULL;

  g_settings_set_uint (f->settings, "receipt-paper-width", 58);
  error = print_order (f);
  g_assert_no_error (error);
  g_assert_true (till_test_wait_until (has_jobs, f, 10000));
  text = till_printer_emulator_get_text (f->printer, 0);
  assert_receipt (text, f->order);
  lines = g_strsplit (text, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    if (g_str_has_prefix (lines[i], "TOTAL"))
      g_assert_cmpint (g_utf8_strlen (lines[i], -1), ==, 32);
  g_assert_true (till_printer_emulator_render_png (till_printer_emulator_get_job (f->printer, 0),
                                                   58, png, &error));
  g_assert_no_error (error);
}

/* A USB printer is a device written to; here a file, read back as the printer would. */
static void
test_usb (Fixture *f, gconstpointer data)
{
  g_autofree char *device = g_build_filename (f->tmpdir, "lp0", NULL);
  g_autofree char *missing = g_build_filename (f->tmpdir, "lp9", NULL);
  g_autoptr (GError) error = NULL;
  g_autofree char *contents = NULL;
  g_autoptr (GBytes) job = NULL;
  g_autoptr (GPtrArray) rows = NULL;
  g_autofree char *text = NULL;
  gsize            length;

  g_assert_true (g_file_set_contents (device, "", 0, NULL));
  g_settings_set_string (f->settings, "receipt-printer", device);
  error = print_order (f);
  g_assert_no_error (error);
  g_assert_true (g_file_get_contents (device, &contents, &length, NULL));
  job = g_bytes_new (contents, length);
  rows = till_escpos_decode (job, &error);
  g_assert_no_error (error);
  text = till_escpos_rows_to_text (rows);
  assert_receipt (text, f->order);

  /* Unplugged: the device is not there. */
  g_settings_set_string (f->settings, "receipt-printer", missing);
  g_clear_error (&error);
  error = print_order (f);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
  g_assert_nonnull (strstr (error->message, "cannot be opened"));
  g_assert_nonnull (strstr (error->message, missing));
}

/* A printer that is off (nothing listens): a clear message, nothing lost, and printing
 * again once it is on works. */
static void
test_printer_off (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GError) again = NULL;
  g_autofree char *expected = g_strdup_printf ("The receipt printer at %s does not answer. Is "
                                               "it on and connected?",
                                               f->address);
  guint16          port;

  till_printer_emulator_stop (f->printer);
  error = print_order (f);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CONNECTION_REFUSED);
  g_assert_true (g_str_has_prefix (error->message, expected));

  /* Switched on again, on the same port: Reprint prints. */
  port = (guint16) atoi (strrchr (f->address, ':') + 1);
  g_assert_cmpuint (till_printer_emulator_listen (f->printer, "127.0.0.1", port, NULL), ==, port);
  again = print_order (f);
  g_assert_no_error (again);
  g_assert_true (till_test_wait_until (has_jobs, f, 10000));
}

static void
test_paper_out (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *expected =
      g_strdup_printf ("The receipt printer at %s is out of paper.", f->address);

  till_printer_emulator_set_paper_out (f->printer, TRUE);
  error = print_order (f);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NO_SPACE);
  g_assert_cmpstr (error->message, ==, expected);
  g_assert_cmpuint (till_printer_emulator_get_n_jobs (f->printer), ==, 0);

  till_printer_emulator_set_paper_out (f->printer, FALSE);
  g_clear_error (&error);
  error = print_order (f);
  g_assert_no_error (error);
  g_assert_true (till_test_wait_until (has_jobs, f, 10000));
}

static void
test_bad_address (Fixture *f, gconstpointer data)
{
  const char *bad[] = { "not an address", "printer:99999", "" };

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr (GError) error = NULL;
      GAsyncResult *result = NULL;
      g_autoptr (GBytes) job = till_receipt_printer_test_page (80);

      till_receipt_printer_send_async (bad[i], job, NULL, till_test_store_result, &result);
      g_assert_true (till_test_wait_result (&result, 5000) != NULL);
      g_assert_false (till_receipt_printer_send_finish (result, &error));
      g_clear_object (&result);
      g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
      g_assert_nonnull (strstr (error->message, "is not a printer address"));
    }
}

static void
test_test_page (Fixture *f, gconstpointer data)
{
  g_autoptr (GBytes) job = till_receipt_printer_test_page (58);
  g_autoptr (GError) error = NULL;
  GAsyncResult    *result = NULL;
  g_autofree char *text = NULL;

  till_receipt_printer_send_async (f->address, job, NULL, till_test_store_result, &result);
  g_assert_true (till_test_wait_result (&result, 10000) != NULL);
  g_assert_true (till_receipt_printer_send_finish (result, &error));
  g_assert_no_error (error);
  g_clear_object (&result);
  g_assert_true (till_test_wait_until (has_jobs, f, 10000));
  text = till_printer_emulator_get_text (f->printer, 0);
  g_assert_nonnull (strstr (text, "Paper: 58 mm"));
  g_assert_nonnull (strstr (text, "ÇĞİÖŞÜ çğıöşü ÄÖÜ äöüß € ×"));
}

/* The fixture's order on A4 through GtkPrintOperation, exported as a PDF; its text read back
 * with pdftotext, and every QR code on its pages, rasterised by pdftoppm, read by zbarimg (one
 * a line). FALSE when those programs are not installed. */
static gboolean
export_pdf (Fixture *f, char **out_text, char **out_qr)
{
  g_autofree char *text = till_receipt_printer_format (f->order, till_client_get_config (f->client),
                                                       NULL, TILL_RECEIPT_WIDTH);
  g_autoptr (GtkPrintOperation) operation =
      till_receipt_printer_new_operation (text, f->order->number, f->order->receipt_url);
  g_autofree char *pdf = g_build_filename (f->tmpdir, "receipt.pdf", NULL);
  g_autofree char *prefix = g_build_filename (f->tmpdir, "receipt-page", NULL);
  g_autofree char *pdftotext = g_find_program_in_path ("pdftotext");
  g_autofree char *pdftoppm = g_find_program_in_path ("pdftoppm");
  g_autofree char *zbarimg = g_find_program_in_path ("zbarimg");
  g_autoptr (GError) error = NULL;
  g_autoptr (GDir) dir = NULL;
  g_autoptr (GString) codes = g_string_new (NULL);
  g_autofree char *out = NULL;
  const char      *name;

  gtk_print_operation_set_export_filename (operation, pdf);
  g_assert_cmpint (
      gtk_print_operation_run (operation, GTK_PRINT_OPERATION_ACTION_EXPORT, NULL, &error), ==,
      GTK_PRINT_OPERATION_RESULT_APPLY);
  g_assert_no_error (error);
  if (pdftotext == NULL || pdftoppm == NULL || zbarimg == NULL)
    {
      g_test_skip ("pdftotext, pdftoppm (poppler-utils) or zbarimg (zbar-tools) is not installed");
      return FALSE;
    }
  *out_text =
      till_test_run_program ((const char *[]){ pdftotext, "-layout", pdf, "-", NULL }, &error);
  g_assert_no_error (error);
  /* 150 dpi: a QR module of 1 mm is 6 pixels, as a phone's camera sees it, roughly. */
  g_free (till_test_run_program (
      (const char *[]){ pdftoppm, "-r", "150", "-png", pdf, prefix, NULL }, &error));
  g_assert_no_error (error);
  dir = g_dir_open (f->tmpdir, 0, &error);
  g_assert_no_error (error);
  while ((name = g_dir_read_name (dir)) != NULL)
    if (g_str_has_prefix (name, "receipt-page") && g_str_has_suffix (name, ".png"))
      {
        g_autofree char *png = g_build_filename (f->tmpdir, name, NULL);
        g_autoptr (GSubprocessLauncher) launcher = till_test_launcher_new (
            G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_SILENCE);
        g_autofree char *found = NULL;
        /* zbarimg exits with 4 when the page has no code. */
        int status = till_test_run_launcher (
            launcher, (const char *[]){ zbarimg, "--quiet", "--raw", png, NULL }, &found, NULL);

        g_assert_true (status == 0 || status == 4);
        g_string_append (codes, found);
      }
  *out_qr = g_string_free (g_steal_pointer (&codes), FALSE);
  return TRUE;
}

/* A4 through GtkPrintOperation, exported as a PDF: the receipt's text; with no public address,
 * no QR code. */
static void
test_pdf (Fixture *f, gconstpointer data)
{
  g_autofree char *out = NULL;
  g_autofree char *qr = NULL;

  if (!export_pdf (f, &out, &qr))
    return;
  g_test_message ("%s", out);
  g_assert_nonnull (strstr (out, "TRAINING"));
  g_assert_nonnull (strstr (out, "İstanbul Simidi"));
  g_assert_nonnull (strstr (out, "tax 7 % on"));
  g_assert_nonnull (strstr (out, "tax 19 % on"));
  g_assert_nonnull (strstr (out, "TOTAL"));
  g_assert_nonnull (strstr (out, "•••• 4242"));
  assert_header (out, f->client);
  g_assert_null (f->order->receipt_url);
  g_assert_cmpstr (qr, ==, "");
  g_assert_null (strstr (out, "/r/"));
}

/* With a public address, the A4 receipt ends with the receipt page's QR code, which a reader
 * decodes from the rasterised page, and its address as text. */
static void
test_pdf_receipt_url (Fixture *f, gconstpointer data)
{
  g_autofree char *out = NULL;
  g_autofree char *qr = NULL;
  g_autofree char *expected = NULL;
  const char      *url = f->order->receipt_url;

  g_assert_nonnull (url);
  g_assert_true (g_str_has_prefix (url, (const char *) data));
  if (!export_pdf (f, &out, &qr))
    return;
  g_test_message ("%s", out);
  g_assert_nonnull (strstr (out, "TOTAL"));
  g_assert_nonnull (strstr (out, url));
  g_assert_cmpuint (strstr (out, url) - out, >, strstr (out, "TOTAL") - out);
  expected = g_strdup_printf ("%s\n", url);
  g_assert_cmpstr (qr, ==, expected);

  /* The page, for data/screenshots/. */
  {
    g_autofree char *page = g_build_filename (f->tmpdir, "receipt-page-1.png", NULL);
    g_autofree char *shot = g_test_build_filename (G_TEST_BUILT, "receipt-a4-qr.png", NULL);
    g_autoptr (GFile) from = g_file_new_for_path (page);
    g_autoptr (GFile) to = g_file_new_for_path (shot);
    g_autoptr (GError) error = NULL;

    g_file_copy (from, to, G_FILE_COPY_OVERWRITE, NULL, NULL, NULL, &error);
    g_assert_no_error (error);
  }
}

static gboolean
page_idle (gpointer data)
{
  return !till_printer_page_is_busy (TILL_PRINTER_PAGE (data));
}

static gboolean
window_drawn (gpointer data)
{
  return gtk_widget_get_mapped (GTK_WIDGET (data)) && gtk_widget_get_width (GTK_WIDGET (data)) > 0;
}

static gboolean
count_frame (GtkWidget *widget, GdkFrameClock *clock, gpointer data)
{
  (*(guint *) data)++;
  return G_SOURCE_CONTINUE;
}

static gboolean
enough_frames (gpointer data)
{
  return *(guint *) data >= 5;
}

static void
save_window (GtkWidget *window, const char *name)
{
  g_autoptr (GdkPaintable) paintable = gtk_widget_paintable_new (window);
  g_autoptr (GtkSnapshot) snapshot = gtk_snapshot_new ();
  g_autoptr (GskRenderNode) node = NULL;
  g_autoptr (GdkTexture) texture = NULL;
  g_autofree char *file = g_strconcat (name, ".png", NULL);
  g_autofree char *path = g_test_build_filename (G_TEST_BUILT, file, NULL);
  int              width = gtk_widget_get_width (window);
  int              height = gtk_widget_get_height (window);
  guint            frames = 0;
  guint            tick = gtk_widget_add_tick_callback (window, count_frame, &frames, NULL);

  /* A few frames for the layout to settle. */
  gtk_widget_queue_draw (window);
  g_assert_true (till_test_wait_until (enough_frames, &frames, 10000));
  gtk_widget_remove_tick_callback (window, tick);
  gdk_paintable_snapshot (paintable, snapshot, width, height);
  node = gtk_snapshot_to_node (snapshot);
  g_assert_nonnull (node);
  texture = gsk_renderer_render_texture (gtk_native_get_renderer (GTK_NATIVE (window)), node,
                                         &GRAPHENE_RECT_INIT (0, 0, width, height));
  g_assert_true (gdk_texture_save_to_png (texture, path));
}

/* The preferences page: Search finds the emulator (and not a closed port), Use saves it, the
 * test page prints there, a wrong address is refused and keeps the saved one, paper width. */
static void
test_printer_page (void)
{
  g_autoptr (TillPrinterEmulator) printer = till_printer_emulator_new ();
  g_autoptr (GSettings) settings = g_settings_new (TILL_APP_ID);
  g_autoptr (GError) error = NULL;
  guint16          port = till_printer_emulator_listen (printer, "127.0.0.1", 0, &error);
  g_autofree char *expected = g_strdup_printf ("127.0.0.1:%u", port);
  g_autofree char *saved = NULL;
  g_autofree char *text = NULL;
  GtkWidget       *window = adw_preferences_window_new ();
  GtkWidget       *page = till_printer_page_new ();
  TillPrinterPage *self = TILL_PRINTER_PAGE (page);
  GPtrArray       *found;

  g_assert_no_error (error);
  /* The picture without a transition half done. */
  g_object_set (gtk_settings_get_default (), "gtk-enable-animations", FALSE, NULL);
  g_settings_reset (settings, "receipt-printer");
  g_settings_reset (settings, "receipt-paper-width");
  till_printer_page_set_probe (self, (const char *[]){ "127.0.0.1", "127.0.0.2", NULL }, port);
  adw_preferences_window_add (ADW_PREFERENCES_WINDOW (window), ADW_PREFERENCES_PAGE (page));
  gtk_window_set_default_size (GTK_WINDOW (window), 800, 600);
  gtk_window_present (GTK_WINDOW (window));
  g_assert_true (till_test_wait_until (window_drawn, window, 10000));

  /* No printer yet: the test page says to choose one. */
  g_signal_emit_by_name (till_printer_page_get_test_button (self), "clicked");
  g_assert_nonnull (strstr (till_printer_page_get_message (self), "Choose a receipt printer"));

  g_signal_emit_by_name (till_printer_page_get_search_button (self), "clicked");
  g_assert_true (till_test_wait_until (page_idle, self, 20000));
  found = till_printer_page_get_found_buttons (self);
  g_assert_cmpuint (found->len, ==, 1);
  g_signal_emit_by_name (g_ptr_array_index (found, 0), "clicked");
  saved = g_settings_get_string (settings, "receipt-printer");
  g_assert_cmpstr (saved, ==, expected);
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (till_printer_page_get_address_row (self))),
                   ==, expected);

  adw_combo_row_set_selected (till_printer_page_get_paper_row (self), 0);
  g_assert_cmpuint (g_settings_get_uint (settings, "receipt-paper-width"), ==, 58);
  g_signal_emit_by_name (till_printer_page_get_test_button (self), "clicked");
  g_assert_true (till_test_wait_until (page_idle, self, 20000));
  g_assert_cmpstr (till_printer_page_get_message (self), ==, "The test page was printed.");
  g_assert_cmpuint (till_printer_emulator_get_n_jobs (printer), ==, 1);
  text = till_printer_emulator_get_text (printer, 0);
  g_assert_nonnull (strstr (text, "Paper: 58 mm"));
  save_window (window, "preferences-printer");

  /* A wrong address: said, and the saved one is kept. */
  gtk_editable_set_text (GTK_EDITABLE (till_printer_page_get_address_row (self)), "not a printer");
  g_signal_emit_by_name (till_printer_page_get_address_row (self), "apply");
  g_assert_nonnull (strstr (till_printer_page_get_message (self), "is not a printer address"));
  g_free (saved);
  saved = g_settings_get_string (settings, "receipt-printer");
  g_assert_cmpstr (saved, ==, expected);

  /* The printer switched off: the test page says so. */
  till_printer_emulator_stop (printer);
  g_signal_emit_by_name (till_printer_page_get_test_button (self), "clicked");
  g_assert_true (till_test_wait_until (page_idle, self, 20000));
  g_assert_nonnull (strstr (till_printer_page_get_message (self), "does not answer"));

  gtk_window_destroy (GTK_WINDOW (window));
  g_settings_reset (settings, "receipt-printer");
  g_settings_reset (settings, "receipt-paper-width");
}

static char *
read_line (GDataInputStream *lines)
{
  GAsyncResult *result = NULL;
  char         *line;

  g_data_input_stream_read_line_async (lines, G_PRIORITY_DEFAULT, NULL, till_test_store_result,
                                       &result);
  g_assert_true (till_test_wait_result (&result, 20000) != NULL);
  line = g_data_input_stream_read_line_finish_utf8 (lines, result, NULL, NULL);
  g_object_unref (result);
  g_assert_nonnull (line);
  return line;
}

/* The emulator as a program, for training: a receipt sent to it comes out on its standard
 * output, and as a PNG. */
static void
test_emulator_program (void)
{
  g_autofree char *program =
      g_test_build_filename (G_TEST_BUILT, "..", "src", "app", "till-printer-emulator", NULL);
  g_autofree char *dir = till_test_make_tmpdir ("till-printer-emulator");
  g_autofree char *png = g_build_filename (dir, "receipt-1.png", NULL);
  g_autoptr (GSubprocessLauncher) launcher =
      till_test_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE);
  g_autoptr (GDataInputStream) lines = NULL;
  g_autoptr (GSubprocess) process = NULL;
  g_autoptr (GBytes) job = till_receipt_printer_test_page (58);
  g_autoptr (GError) error = NULL;
  g_autofree char *first = NULL;
  g_autofree char *address = NULL;
  g_autoptr (GString) receipt = g_string_new (NULL);
  GAsyncResult *result = NULL;
  const char   *prefix = "ESC/POS printer emulator listening on ";

  process = till_test_spawn_full (
      launcher,
      (const char *[]){ program, "--listen", "127.0.0.1:0", "--paper", "58", "--out", dir, NULL },
      &first, NULL, &lines, &error);
  g_assert_no_error (error);
  g_assert_true (g_str_has_prefix (first, prefix));
  address = g_strndup (first + strlen (prefix), strcspn (first + strlen (prefix), " "));

  till_receipt_printer_send_async (address, job, NULL, till_test_store_result, &result);
  g_assert_true (till_test_wait_result (&result, 20000) != NULL);
  g_assert_true (till_receipt_printer_send_finish (result, &error));
  g_assert_no_error (error);
  g_clear_object (&result);

  {
    g_autofree char *header = read_line (lines);
    g_assert_cmpstr (header, ==, "--- receipt 1 ---");
  }
  for (;;)
    {
      g_autofree char *line = read_line (lines);

      if (g_str_equal (line, "--- end of receipt 1 ---"))
        break;
      g_string_append_printf (receipt, "%s\n", line);
    }
  g_assert_nonnull (strstr (receipt->str, "Paper: 58 mm"));
  g_assert_nonnull (strstr (receipt->str, "[QR: Till]"));
  {
    g_autofree char *written = read_line (lines);
    g_assert_cmpstr (written, ==, png);
  }
  g_assert_true (g_file_test (png, G_FILE_TEST_IS_REGULAR));
  g_assert_cmpint (till_test_stop_process (process, SIGTERM), ==, 0);
  till_test_remove_tree (dir);
}

static gboolean
drawer_kicked (gpointer data)
{
  return till_printer_emulator_get_n_pulses (data) > 0;
}

/* The drawer opens through the ESC/POS printer: one pulse, and no paper comes out; with no
 * ESC/POS printer chosen, it says so. */
static void
test_drawer_kick (void)
{
  g_autoptr (TillPrinterEmulator) printer = till_printer_emulator_new ();
  g_autoptr (GSettings) settings = g_settings_new (TILL_APP_ID);
  g_autoptr (GError) error = NULL;
  g_autofree char *address = NULL;
  GAsyncResult    *result = NULL;
  guint16          port = till_printer_emulator_listen (printer, "127.0.0.1", 0, &error);

  g_assert_no_error (error);
  address = g_strdup_printf ("127.0.0.1:%u", port);
  g_settings_set_string (settings, "receipt-printer", address);
  till_cash_drawer_kick_async (NULL, till_test_store_result, &result);
  g_assert_true (till_test_wait_result (&result, 20000) != NULL);
  g_assert_true (till_cash_drawer_kick_finish (result, &error));
  g_assert_no_error (error);
  g_clear_object (&result);
  g_assert_true (till_test_wait_until (drawer_kicked, printer, 20000));
  g_assert_cmpuint (till_printer_emulator_get_n_pulses (printer), ==, 1);
  g_assert_cmpuint (till_printer_emulator_get_n_jobs (printer), ==, 0);

  g_settings_reset (settings, "receipt-printer");
  till_cash_drawer_kick_async (NULL, till_test_store_result, &result);
  g_assert_true (till_test_wait_result (&result, 20000) != NULL);
  g_assert_false (till_cash_drawer_kick_finish (result, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
  g_clear_object (&result);
  g_assert_cmpuint (till_printer_emulator_get_n_pulses (printer), ==, 1);
  till_printer_emulator_stop (printer);
}

int
main (int argc, char **argv)
{
  till_test_init_gtk (&argc, &argv);
  g_test_add ("/app/printing/escpos-80mm", Fixture, NULL, setup, test_escpos_80, teardown);
  g_test_add ("/app/printing/escpos-58mm", Fixture, NULL, setup, test_escpos_58, teardown);
  g_test_add ("/app/printing/escpos-receipt-url", Fixture, "https://shop.example", setup,
              test_escpos_receipt_url, teardown);
  g_test_add ("/app/printing/usb", Fixture, NULL, setup, test_usb, teardown);
  g_test_add ("/app/printing/printer-off", Fixture, NULL, setup, test_printer_off, teardown);
  g_test_add ("/app/printing/paper-out", Fixture, NULL, setup, test_paper_out, teardown);
  g_test_add ("/app/printing/bad-address", Fixture, NULL, setup, test_bad_address, teardown);
  g_test_add ("/app/printing/test-page", Fixture, NULL, setup, test_test_page, teardown);
  g_test_add_func ("/app/printing/preferences-page", test_printer_page);
  g_test_add_func ("/app/printing/emulator-program", test_emulator_program);
  g_test_add ("/app/printing/pdf", Fixture, NULL, setup, test_pdf, teardown);
  g_test_add ("/app/printing/pdf-receipt-url", Fixture, "https://shop.example", setup,
              test_pdf_receipt_url, teardown);
  g_test_add_func ("/app/printing/drawer-kick", test_drawer_kick);
  return g_test_run ();
}
