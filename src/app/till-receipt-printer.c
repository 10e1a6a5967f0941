/* till-receipt-printer.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Every receipt is the text core writes (till_receipt_format_full()): on an ESC/POS printer in
 * its code pages with a QR code (the receipt page's address, else the order number) and a cut,
 * on A4 in a monospace font, with the receipt page's QR code and address under the text when
 * the server has a public address.
 * Nothing here blocks the main loop: the network is asynchronous and a USB device is written
 * from a worker thread, with a deadline, because the kernel's lp driver waits for as long as
 * the printer does (out of paper, lid open).
 */
#include "config.h"

#include <errno.h>
#include <arpa/inet.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <glib/gi18n.h>
#include <poll.h>
#include <qrencode.h>
#include <unistd.h>

#include "till-money-label.h"
#include "till-receipt-printer.h"

#define SEND_TIMEOUT_S 10      /* connecting, and each write */
#define STATUS_TIMEOUT_MS 1500 /* printers that never answer a status request still print */

/**
 * till_receipt_printer_format:
 * @note: (nullable): the cart's note, when it is still known
 * @width: characters per line
 *
 * Returns: (transfer full): the receipt of @order as text, with the store's details.
 */
char *
till_receipt_printer_format (const TillOrder       *order,
                             const TillStoreConfig *config,
                             const char            *note,
                             int                    width)
{
  TillReceiptOptions options = {
    .store_name = config ? config->store_name : NULL,
    .store_address = config ? config->store_address : NULL,
    .store_tax_id = config ? config->store_tax_id : NULL,
    .prices_include_tax = config ? config->prices_include_tax : FALSE,
    .training = till_store_config_is_training (config),
    .note = note,
    .locale = till_money_label_locale (),
    .width = width,
  };

  g_return_val_if_fail (order != NULL, NULL);

  return till_receipt_format_full (order, &options);
}

/**
 * till_receipt_printer_job:
 * @paper_mm: 58 or 80
 *
 * Returns: (transfer full): @order's receipt as an ESC/POS job: the text, a QR code of its
 *   receipt page's address (or, when the server has no public address, its number), and a
 *   cut.
 */
GBytes *
till_receipt_printer_job (const TillOrder *order, const TillStoreConfig *config, int paper_mm)
{
  g_autofree char *text =
      till_receipt_printer_format (order, config, NULL, till_escpos_columns (paper_mm));

  return till_escpos_encode (text, order->receipt_url != NULL ? order->receipt_url : order->number,
                             TRUE);
}

/**
 * till_receipt_printer_test_page:
 *
 * Returns: (transfer full): a short ESC/POS job that shows the paper's width, the letters
 *   of the code pages and a QR code.
 */
GBytes *
till_receipt_printer_test_page (int paper_mm)
{
  int              columns = till_escpos_columns (paper_mm);
  g_autofree char *rule = g_strnfill (columns, '-');
  /* Translators: on a receipt printer's test page; %d is 58 or 80. */
  g_autofree char *paper = g_strdup_printf (_ ("Paper: %d mm"), paper_mm);
  g_autofree char *text = NULL;

  text = g_strdup_printf ("%s\n%s\n%s\n%s\n%s\n",
                          /* Translators: the first line of a receipt printer's test page. */
                          _ ("Till: printer test page"), rule, paper, "ÇĞİÖŞÜ çğıöşü ÄÖÜ äöüß € ×",
                          rule);
  return till_escpos_encode (text, "Till", TRUE);
}

/* A4: the text in a monospace font, as many pages as it takes, then the link's QR code and
 * its address as text (on a page of their own when the last one has no room). */

#define A4_QR_MODULE 3.0 /* points: 1 mm, what a phone reads from arm's length */
#define A4_QR_QUIET 4    /* modules of white around the code, as the standard asks */

typedef struct
{
  char  **lines;
  int     lines_per_page;
  double  line_height;
  char   *link;
  QRcode *qr;
  int     qr_page;
  double  qr_y;
} ReceiptPages;

static void
receipt_pages_free (gpointer data)
{
  ReceiptPages *pages = data;

  g_strfreev (pages->lines);
  g_free (pages->link);
  g_clear_pointer (&pages->qr, QRcode_free);
  g_free (pages);
}

static PangoLayout *
receipt_layout (GtkPrintContext *context)
{
  PangoLayout *layout = gtk_print_context_create_pango_layout (context);
  g_autoptr (PangoFontDescription) font = pango_font_description_from_string ("Monospace 9");

  pango_layout_set_font_description (layout, font);
  return layout;
}

/* The link under its QR code, wrapped at the page's width. */
static PangoLayout *
link_layout (GtkPrintContext *context, ReceiptPages *pages)
{
  PangoLayout *layout = receipt_layout (context);

  pango_layout_set_width (layout, (int) (gtk_print_context_get_width (context) * PANGO_SCALE));
  pango_layout_set_wrap (layout, PANGO_WRAP_CHAR);
  pango_layout_set_text (layout, pages->link, -1);
  return layout;
}

static double
qr_size (ReceiptPages *pages)
{
  return (pages->qr->width + 2 * A4_QR_QUIET) * A4_QR_MODULE;
}

static void
on_begin_print (GtkPrintOperation *operation, GtkPrintContext *context, ReceiptPages *pages)
{
  g_autoptr (PangoLayout) layout = receipt_layout (context);
  int    line_height;
  guint  n_lines = g_strv_length (pages->lines);
  int    n_pages;
  double height = gtk_print_context_get_height (context);

  pango_layout_set_text (layout, "X", -1);
  pango_layout_get_pixel_size (layout, NULL, &line_height);
  pages->line_height = MAX (line_height, 1);
  pages->lines_per_page = MAX (1, (int) (height / pages->line_height));
  n_pages = MAX (1, (n_lines + pages->lines_per_page - 1) / pages->lines_per_page);

  if (pages->qr != NULL)
    {
      g_autoptr (PangoLayout) link = link_layout (context, pages);
      int    link_height;
      double needed;

      pango_layout_get_pixel_size (link, NULL, &link_height);
      needed = qr_size (pages) + link_height;
      pages->qr_page = n_pages - 1;
      pages->qr_y = (n_lines - (n_pages - 1) * pages->lines_per_page) * pages->line_height;
      if (pages->qr_y + needed > height)
        {
          pages->qr_page = n_pages++;
          pages->qr_y = 0;
        }
    }
  gtk_print_operation_set_n_pages (operation, n_pages);
}

/* The dark modules as rectangles, each run of a row as one, without antialiasing: no seams
 * between modules, sharp edges at any resolution. */
static void
draw_qr (cairo_t *cr, GtkPrintContext *context, ReceiptPages *pages)
{
  const QRcode *qr = pages->qr;
  double        size = qr_size (pages);
  double        x0 = A4_QR_QUIET * A4_QR_MODULE;
  double        y0 = pages->qr_y + A4_QR_QUIET * A4_QR_MODULE;
  g_autoptr (PangoLayout) link = link_layout (context, pages);

  cairo_save (cr);
  cairo_set_antialias (cr, CAIRO_ANTIALIAS_NONE);
  cairo_set_source_rgb (cr, 1, 1, 1);
  cairo_rectangle (cr, 0, pages->qr_y, size, size);
  cairo_fill (cr);
  cairo_set_source_rgb (cr, 0, 0, 0);
  for (int y = 0; y < qr->width; y++)
    for (int x = 0; x < qr->width; x++)
      if (qr->data[y * qr->width + x] & 1)
        {
          int run = x;

          while (run + 1 < qr->width && (qr->data[y * qr->width + run + 1] & 1))
            run++;
          cairo_rectangle (cr, x0 + x * A4_QR_MODULE, y0 + y * A4_QR_MODULE,
                           (run - x + 1) * A4_QR_MODULE, A4_QR_MODULE);
          x = run;
        }
  cairo_fill (cr);
  cairo_restore (cr);

  cairo_move_to (cr, 0, pages->qr_y + size);
  pango_cairo_show_layout (cr, link);
}

static void
on_draw_page (GtkPrintOperation *operation,
              GtkPrintContext   *context,
              int                page_nr,
              ReceiptPages      *pages)
{
  cairo_t *cr = gtk_print_context_get_cairo_context (context);
  g_autoptr (PangoLayout) layout = receipt_layout (context);
  guint first = page_nr * pages->lines_per_page;
  guint n_lines = g_strv_length (pages->lines);
  g_autoptr (GString) text = g_string_new (NULL);

  for (guint i = first; i < n_lines && i < first + pages->lines_per_page; i++)
    g_string_append_printf (text, "%s\n", pages->lines[i]);
  pango_layout_set_text (layout, text->str, -1);
  cairo_move_to (cr, 0, 0);
  pango_cairo_show_layout (cr, layout);

  if (pages->qr != NULL && page_nr == pages->qr_page)
    draw_qr (cr, context, pages);
}

/**
 * till_receipt_printer_new_operation:
 * @text: the receipt
 * @job_name: the job's name in the printer's queue (the order number)
 * @link: (nullable): the order's receipt page (`receipt_url`), printed as a QR code and as
 *   text under the receipt; %NULL for none
 *
 * Returns: (transfer full): a print operation that prints @text; run it with the print dialog
 *   (its "Print to File" writes a PDF) or export it to a file.
 */
GtkPrintOperation *
till_receipt_printer_new_operation (const char *text, const char *job_name, const char *link)
{
  GtkPrintOperation *operation = gtk_print_operation_new ();
  ReceiptPages      *pages = g_new0 (ReceiptPages, 1);

  pages->lines = g_strsplit (text, "\n", -1);
  if (link != NULL && *link != '\0')
    {
      pages->qr = QRcode_encodeString8bit (link, 0, QR_ECLEVEL_M);
      /* Only a link longer than a QR code holds (thousands of bytes) has none. */
      if (pages->qr != NULL)
        pages->link = g_strdup (link);
    }
  gtk_print_operation_set_job_name (operation, job_name);
  gtk_print_operation_set_unit (operation, GTK_UNIT_POINTS);
  g_object_set_data_full (G_OBJECT (operation), "till-receipt", pages, receipt_pages_free);
  g_signal_connect (operation, "begin-print", G_CALLBACK (on_begin_print), pages);
  g_signal_connect (operation, "draw-page", G_CALLBACK (on_draw_page), pages);
  return operation;
}

/* Sending a job. */

/**
 * till_receipt_printer_address_is_valid:
 * @address: "host", "host:port" (9100 when left out), or a device ("/dev/usb/lp0")
 *
 * Returns: whether @address names a printer; otherwise @error says what to type.
 */
gboolean
till_receipt_printer_address_is_valid (const char *address, GError **error)
{
  g_autoptr (GSocketConnectable) connectable = NULL;

  if (address != NULL && address[0] == '/' && address[1] != '\0')
    return TRUE;
  if (address != NULL && *address != '\0' && strchr (address, ' ') == NULL)
    connectable = g_network_address_parse (address, TILL_ESCPOS_PORT, NULL);
  if (connectable == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   /* Translators: %s is what was typed as the receipt printer's address. */
                   _ ("“%s” is not a printer address: type a host name or an IP address (with "
                      ":port when it is not 9100), or a device such as /dev/usb/lp0."),
                   address ? address : "");
      return FALSE;
    }
  return TRUE;
}

typedef struct
{
  char              *address;
  GBytes            *job;
  GSocketConnection *connection;
  GCancellable      *status_cancellable;
  guint              status_timeout;
  guint8             status;
} SendData;

static void
send_data_free (gpointer data)
{
  SendData *send = data;

  g_clear_handle_id (&send->status_timeout, g_source_remove);
  g_free (send->address);
  g_bytes_unref (send->job);
  g_clear_object (&send->connection);
  g_clear_object (&send->status_cancellable);
  g_free (send);
}

static void
return_error (GTask *task, GError *error, const char *format)
{
  SendData *send = g_task_get_task_data (task);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    g_task_return_error (task, error);
  else
    {
      g_task_return_new_error (task, G_IO_ERROR, error->code, format, send->address,
                               error->message);
      g_error_free (error);
    }
}

static void
on_closed (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GTask) task = user_data;
  GError *error = NULL;

  if (!g_io_stream_close_finish (G_IO_STREAM (source), result, &error))
    /* Translators: %s is the printer's address, then what went wrong. */
    return_error (task, error, _ ("The receipt printer at %s did not take the whole receipt: %s"));
  else
    g_task_return_boolean (task, TRUE);
}

static void
on_job_written (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GTask) task = user_data;
  SendData *send = g_task_get_task_data (task);
  GError   *error = NULL;

  if (!g_output_stream_write_all_finish (G_OUTPUT_STREAM (source), result, NULL, &error))
    {
      return_error (task, error,
                    _ ("The receipt printer at %s did not take the whole receipt: %s"));
      return;
    }
  g_io_stream_close_async (G_IO_STREAM (send->connection), G_PRIORITY_DEFAULT,
                           g_task_get_cancellable (task), on_closed, g_object_ref (task));
}

static void
write_job (GTask *task)
{
  SendData      *send = g_task_get_task_data (task);
  GOutputStream *out = g_io_stream_get_output_stream (G_IO_STREAM (send->connection));
  gsize          len;
  const guint8  *data = g_bytes_get_data (send->job, &len);

  g_output_stream_write_all_async (out, data, len, G_PRIORITY_DEFAULT,
                                   g_task_get_cancellable (task), on_job_written,
                                   g_object_ref (task));
}

static gboolean
on_status_timeout (gpointer user_data)
{
  SendData *send = user_data;

  send->status_timeout = 0;
  g_cancellable_cancel (send->status_cancellable);
  return G_SOURCE_REMOVE;
}

static void
on_status_read (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GTask) task = user_data;
  SendData *send = g_task_get_task_data (task);
  GError   *error = NULL;
  gssize    n = g_input_stream_read_finish (G_INPUT_STREAM (source), result, &error);

  g_clear_handle_id (&send->status_timeout, g_source_remove);
  if (n < 0 && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) &&
      !g_cancellable_is_cancelled (g_task_get_cancellable (task)))
    g_clear_error (&error); /* no answer in time: a printer without status, it still prints */
  if (error != NULL)
    {
      return_error (task, error, _ ("The receipt printer at %s does not answer: %s"));
      return;
    }
  if (n == 1 && till_escpos_status_paper_out (send->status))
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_NO_SPACE,
                               /* Translators: %s is the printer's address. */
                               _ ("The receipt printer at %s is out of paper."), send->address);
      return;
    }
  write_job (task);
}

static void
on_status_asked (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GTask) task = user_data;
  SendData     *send = g_task_get_task_data (task);
  GInputStream *in = g_io_stream_get_input_stream (G_IO_STREAM (send->connection));
  GError       *error = NULL;

  if (!g_output_stream_write_all_finish (G_OUTPUT_STREAM (source), result, NULL, &error))
    {
      return_error (task, error, _ ("The receipt printer at %s does not answer: %s"));
      return;
    }
  send->status_cancellable = g_cancellable_new ();
  if (g_task_get_cancellable (task) != NULL)
    g_cancellable_connect (g_task_get_cancellable (task), G_CALLBACK (g_cancellable_cancel),
                           g_object_ref (send->status_cancellable), g_object_unref);
  send->status_timeout = g_timeout_add (STATUS_TIMEOUT_MS, on_status_timeout, send);
  g_input_stream_read_async (in, &send->status, 1, G_PRIORITY_DEFAULT, send->status_cancellable,
                             on_status_read, g_object_ref (task));
}

static void
on_connected (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GTask) task = user_data;
  SendData *send = g_task_get_task_data (task);
  GError   *error = NULL;
  g_autoptr (GBytes) request = till_escpos_status_request ();
  GOutputStream *out;

  send->connection =
      g_socket_client_connect_to_host_finish (G_SOCKET_CLIENT (source), result, &error);
  if (send->connection == NULL)
    {
      /* Translators: %s is the printer's address, then what went wrong. */
      return_error (task, error,
                    _ ("The receipt printer at %s does not answer. Is it on and connected? (%s)"));
      return;
    }
  /* Its paper first: a printer out of paper takes a job and prints nothing. */
  out = g_io_stream_get_output_stream (G_IO_STREAM (send->connection));
  g_output_stream_write_all_async (
      out, g_bytes_get_data (request, NULL), g_bytes_get_size (request), G_PRIORITY_DEFAULT,
      g_task_get_cancellable (task), on_status_asked, g_object_ref (task));
}

/* A USB printer, from a worker thread: written without blocking, with a deadline. */
static void
send_to_device (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  SendData     *send = task_data;
  gsize         len;
  const guint8 *data = g_bytes_get_data (send->job, &len);
  gint64        deadline = g_get_monotonic_time () + SEND_TIMEOUT_S * G_USEC_PER_SEC;
  gsize         done = 0;
  int           fd = open (send->address, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
  int           saved;

  if (fd < 0)
    {
      saved = errno;
      g_task_return_new_error (
          task, G_IO_ERROR, g_io_error_from_errno (saved),
          /* Translators: %s is the printer's device, then what went wrong. */
          _ ("The receipt printer %s cannot be opened: %s. Is it on and plugged in?"),
          send->address, g_strerror (saved));
      return;
    }
  while (done < len)
    {
      struct pollfd pfd = { fd, POLLOUT, 0 };
      gint64        left = deadline - g_get_monotonic_time ();
      ssize_t       n;

      if (left <= 0 || g_cancellable_is_cancelled (cancellable))
        {
          close (fd);
          if (g_task_return_error_if_cancelled (task))
            return;
          g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
                                   /* Translators: %s is the printer's device. */
                                   _ ("The receipt printer %s stopped taking the receipt. Is "
                                      "it out of paper or open?"),
                                   send->address);
          return;
        }
      if (poll (&pfd, 1, (int) MIN (left / 1000 + 1, 250)) < 0 && errno != EINTR)
        break;
      n = write (fd, data + done, len - done);
      if (n > 0)
        done += n;
      else if (n < 0 && errno != EAGAIN && errno != EINTR)
        break;
    }
  saved = errno;
  close (fd);
  if (done < len)
    g_task_return_new_error (task, G_IO_ERROR, g_io_error_from_errno (saved),
                             _ ("The receipt printer at %s did not take the whole receipt: %s"),
                             send->address, g_strerror (saved));
  else
    g_task_return_boolean (task, TRUE);
}

/**
 * till_receipt_printer_send_async:
 * @address: see till_receipt_printer_address_is_valid()
 * @job: ESC/POS, from till_receipt_printer_job()
 *
 * Sends @job to the printer. Over the network it first asks the printer whether it has
 * paper (DLE EOT 4) and fails with G_IO_ERROR_NO_SPACE when it has none. Every error's message
 * is for the cashier: it names the printer and what to check.
 */
void
till_receipt_printer_send_async (const char         *address,
                                 GBytes             *job,
                                 GCancellable       *cancellable,
                                 GAsyncReadyCallback callback,
                                 gpointer            user_data)
{
  g_autoptr (GTask) task = g_task_new (NULL, cancellable, callback, user_data);
  g_autoptr (GSocketClient) client = NULL;
  SendData *send;
  GError   *error = NULL;

  g_return_if_fail (job != NULL);

  g_task_set_source_tag (task, till_receipt_printer_send_async);
  if (!till_receipt_printer_address_is_valid (address, &error))
    {
      g_task_return_error (task, error);
      return;
    }
  send = g_new0 (SendData, 1);
  send->address = g_strdup (address);
  send->job = g_bytes_ref (job);
  g_task_set_task_data (task, send, send_data_free);

  if (address[0] == '/')
    {
      g_task_run_in_thread (task, send_to_device);
      return;
    }
  client = g_socket_client_new ();
  g_socket_client_set_timeout (client, SEND_TIMEOUT_S);
  g_socket_client_connect_to_host_async (client, address, TILL_ESCPOS_PORT, cancellable,
                                         on_connected, g_object_ref (task));
}

gboolean
till_receipt_printer_send_finish (GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/* Finding printers: whatever answers on port 9100 nearby is taken for one. */

#define PROBE_TIMEOUT_S 1
#define PROBES_AT_ONCE 64

/**
 * till_receipt_printer_local_hosts:
 *
 * Returns: (transfer full): the other addresses of the /24 networks of this computer's IPv4
 *   interfaces (loopback aside), where a shop's printer usually is.
 */
GStrv
till_receipt_printer_local_hosts (void)
{
  g_autoptr (GStrvBuilder) builder = g_strv_builder_new ();
  g_autoptr (GHashTable) seen = g_hash_table_new (g_direct_hash, g_direct_equal);
  struct ifaddrs *interfaces = NULL;

  if (getifaddrs (&interfaces) != 0)
    return g_strv_builder_end (builder);
  for (struct ifaddrs *i = interfaces; i != NULL; i = i->ifa_next)
    {
      guint32 own, network;

      if (i->ifa_addr == NULL || i->ifa_addr->sa_family != AF_INET)
        continue;
      own = ntohl (((struct sockaddr_in *) i->ifa_addr)->sin_addr.s_addr);
      network = own & 0xFFFFFF00u;
      if ((own >> 24) == 127 || g_hash_table_contains (seen, GUINT_TO_POINTER (network)))
        continue;
      g_hash_table_add (seen, GUINT_TO_POINTER (network));
      for (guint32 host = 1; host < 255; host++)
        if ((network | host) != own)
          {
            g_autofree char *text = g_strdup_printf (
                "%u.%u.%u.%u", network >> 24, (network >> 16) & 0xFF, (network >> 8) & 0xFF, host);
            g_strv_builder_add (builder, text);
          }
    }
  freeifaddrs (interfaces);
  return g_strv_builder_end (builder);
}

typedef struct
{
  GStrv          hosts;
  guint16        port;
  guint          next;
  guint          pending;
  gboolean      *answered;
  GSocketClient *client;
} DiscoverData;

static void
discover_data_free (gpointer data)
{
  DiscoverData *discover = data;

  g_strfreev (discover->hosts);
  g_free (discover->answered);
  g_object_unref (discover->client);
  g_free (discover);
}

typedef struct
{
  GTask *task;
  guint  index;
} Probe;

static void probe_next (GTask *task);

static void
on_probed (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Probe *probe = user_data;
  g_autoptr (GTask) task = probe->task;
  DiscoverData *discover = g_task_get_task_data (task);
  g_autoptr (GSocketConnection) connection =
      g_socket_client_connect_to_host_finish (G_SOCKET_CLIENT (source), result, NULL);

  discover->pending--;
  if (connection != NULL)
    {
      discover->answered[probe->index] = TRUE;
      g_io_stream_close (G_IO_STREAM (connection), NULL, NULL);
    }
  g_free (probe);
  probe_next (task);
}

static void
probe_next (GTask *task)
{
  DiscoverData *discover = g_task_get_task_data (task);
  g_autoptr (GStrvBuilder) found = NULL;

  while (discover->hosts[discover->next] != NULL && discover->pending < PROBES_AT_ONCE &&
         !g_cancellable_is_cancelled (g_task_get_cancellable (task)))
    {
      Probe *probe = g_new0 (Probe, 1);

      probe->task = g_object_ref (task);
      probe->index = discover->next++;
      discover->pending++;
      g_socket_client_connect_to_host_async (discover->client, discover->hosts[probe->index],
                                             discover->port, g_task_get_cancellable (task),
                                             on_probed, probe);
    }
  if (discover->pending > 0)
    return;
  if (g_task_return_error_if_cancelled (task))
    return;
  found = g_strv_builder_new ();
  for (guint i = 0; discover->hosts[i] != NULL; i++)
    if (discover->answered[i])
      {
        g_autofree char *address =
            discover->port == TILL_ESCPOS_PORT
                ? g_strdup (discover->hosts[i])
                : g_strdup_printf ("%s:%u", discover->hosts[i], discover->port);
        g_strv_builder_add (found, address);
      }
  g_task_return_pointer (task, g_strv_builder_end (found), (GDestroyNotify) g_strfreev);
}

/**
 * till_receipt_printer_discover_async:
 * @hosts: the addresses to try (till_receipt_printer_local_hosts())
 * @port: TILL_ESCPOS_PORT
 *
 * Tries @port on every host, many at once, each for a second at most.
 */
void
till_receipt_printer_discover_async (const char *const  *hosts,
                                     guint16             port,
                                     GCancellable       *cancellable,
                                     GAsyncReadyCallback callback,
                                     gpointer            user_data)
{
  g_autoptr (GTask) task = g_task_new (NULL, cancellable, callback, user_data);
  DiscoverData *discover = g_new0 (DiscoverData, 1);

  g_task_set_source_tag (task, till_receipt_printer_discover_async);
  discover->hosts = g_strdupv ((char **) hosts);
  discover->port = port;
  discover->answered = g_new0 (gboolean, g_strv_length (discover->hosts) + 1);
  discover->client = g_socket_client_new ();
  g_socket_client_set_timeout (discover->client, PROBE_TIMEOUT_S);
  g_task_set_task_data (task, discover, discover_data_free);
  probe_next (task);
}

/* Returns: (transfer full): the addresses that answered, as the preferences keep them. */
GStrv
till_receipt_printer_discover_finish (GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/* Printing an order's receipt where the preferences say. */

static void
on_sent (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GTask) task = user_data;
  GError *error = NULL;

  if (till_receipt_printer_send_finish (result, &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

static void
on_operation_done (GtkPrintOperation *operation, GtkPrintOperationResult result, GTask *task)
{
  GError *error = NULL;

  if (g_object_get_data (G_OBJECT (task), "till-returned") != NULL)
    return;
  g_object_set_data (G_OBJECT (task), "till-returned", GINT_TO_POINTER (TRUE));
  if (result == GTK_PRINT_OPERATION_RESULT_ERROR)
    {
      gtk_print_operation_get_error (operation, &error);
      g_task_return_error (task, error);
    }
  else if (result == GTK_PRINT_OPERATION_RESULT_CANCEL)
    g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_CANCELLED,
                             _ ("The receipt was not printed."));
  else
    g_task_return_boolean (task, TRUE);
}

static void
unref_task (gpointer data, GClosure *closure)
{
  g_object_unref (data);
}

/**
 * till_receipt_print_async:
 * @client: the client that knows the store (its name, address and tax number)
 * @order: the order as the server recorded it (a past one for a reprint)
 * @parent: (nullable): the window a print dialog belongs to
 *
 * Prints @order's receipt on the printer chosen in the preferences (GSettings
 * `receipt-printer` and `receipt-paper-width`): an ESC/POS printer, or with none chosen the
 * print dialog (A4, and "Print to File" for a PDF). It never blocks: the result comes to
 * @callback, and an error's message is meant to be shown with a way to print again.
 */
void
till_receipt_print_async (TillClient         *client,
                          const TillOrder    *order,
                          GtkWindow          *parent,
                          GCancellable       *cancellable,
                          GAsyncReadyCallback callback,
                          gpointer            user_data)
{
  g_autoptr (GTask) task = g_task_new (NULL, cancellable, callback, user_data);
  g_autoptr (GSettings) settings = g_settings_new (TILL_APP_ID);
  g_autofree char       *address = g_settings_get_string (settings, "receipt-printer");
  const TillStoreConfig *config = till_client_get_config (client);

  g_return_if_fail (TILL_IS_CLIENT (client));
  g_return_if_fail (order != NULL);

  g_task_set_source_tag (task, till_receipt_print_async);
  if (*g_strstrip (address) != '\0')
    {
      g_autoptr (GBytes) job = till_receipt_printer_job (
          order, config, g_settings_get_uint (settings, "receipt-paper-width"));

      till_receipt_printer_send_async (address, job, cancellable, on_sent, g_object_ref (task));
    }
  else
    {
      g_autofree char *text = till_receipt_printer_format (order, config, NULL, TILL_RECEIPT_WIDTH);
      g_autoptr (GtkPrintOperation) operation =
          till_receipt_printer_new_operation (text, order->number, order->receipt_url);
      GError *error = NULL;

      gtk_print_operation_set_allow_async (operation, TRUE);
      g_signal_connect_data (operation, "done", G_CALLBACK (on_operation_done), g_object_ref (task),
                             unref_task, 0);
      if (gtk_print_operation_run (operation, GTK_PRINT_OPERATION_ACTION_PRINT_DIALOG, parent,
                                   &error) == GTK_PRINT_OPERATION_RESULT_ERROR &&
          g_object_get_data (G_OBJECT (task), "till-returned") == NULL)
        {
          g_object_set_data (G_OBJECT (task), "till-returned", GINT_TO_POINTER (TRUE));
          if (error == NULL)
            g_set_error (&error, G_IO_ERROR, G_IO_ERROR_FAILED, _ ("The receipt was not printed."));
          g_task_return_error (task, error);
        }
      else
        g_clear_error (&error);
    }
}

gboolean
till_receipt_print_finish (GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}
