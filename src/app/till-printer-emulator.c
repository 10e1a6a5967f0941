/* till-printer-emulator.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Like a real printer it answers a status request (DLE EOT) at once, while the job is still
 * arriving, and prints a job when its sender closes the connection. Out of paper, it says so
 * and prints nothing. A drawer pulse (ESC p) is counted and announced apart from the paper: it
 * opens the drawer even out of paper, and a pulse alone ("No sale") prints nothing.
 */
#include "config.h"

#include <pango/pangocairo.h>
#include <qrencode.h>

#include "till-core.h"
#include "till-printer-emulator.h"

#define DOTS_PER_MM 8 /* 203 dpi */
#define MARGIN 16
#define QR_MODULE 6

struct _TillPrinterEmulator
{
  GObject         parent_instance;
  GSocketService *service;
  GPtrArray      *jobs; /* of GPtrArray of TillEscposRow */
  guint           n_pulses;
  gboolean        paper_out;
};

G_DEFINE_FINAL_TYPE (TillPrinterEmulator, till_printer_emulator, G_TYPE_OBJECT)

enum
{
  PRINTED,
  DRAWER_KICKED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

typedef struct
{
  TillPrinterEmulator *self;
  GSocketConnection   *connection;
  GByteArray          *received;
  gsize                scanned; /* status requests looked for up to here */
  guint8               chunk[4096];
  guint8               status;
} Connection;

static void
connection_free (Connection *conn)
{
  g_object_unref (conn->self);
  g_object_unref (conn->connection);
  g_byte_array_unref (conn->received);
  g_free (conn);
}

static void read_more (Connection *conn);

static void
on_status_written (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GError) error = NULL;

  if (!g_output_stream_write_all_finish (G_OUTPUT_STREAM (source), result, NULL, &error))
    g_debug ("printer emulator: status not sent: %s", error->message);
}

static void
unreadable_row_free (gpointer data)
{
  TillEscposRow *row = data;

  g_free (row->text);
  g_free (row);
}

/* The job as the paper would show it; one it cannot read is a line that says why. */
static void
print_job (Connection *conn)
{
  TillPrinterEmulator *self = conn->self;
  g_autoptr (GBytes) job = g_bytes_new (conn->received->data, conn->received->len);
  g_autoptr (GError) error = NULL;
  GPtrArray *rows = till_escpos_decode (job, &error);
  gboolean   printable = FALSE;

  if (rows == NULL)
    {
      TillEscposRow *row = g_new0 (TillEscposRow, 1);

      g_warning ("printer emulator: %s", error->message);
      rows = g_ptr_array_new_with_free_func (unreadable_row_free);
      row->text = g_strdup_printf ("[unreadable: %s]", error->message);
      g_ptr_array_add (rows, row);
    }
  for (guint i = 0; i < rows->len; i++)
    {
      const TillEscposRow *row = g_ptr_array_index (rows, i);

      if (row->kind == TILL_ESCPOS_ROW_PULSE)
        {
          self->n_pulses++;
          g_signal_emit (self, signals[DRAWER_KICKED], 0, self->n_pulses);
        }
      else
        printable |= row->kind != TILL_ESCPOS_ROW_TEXT || *row->text != '\0';
    }
  if (!printable || self->paper_out)
    {
      /* A status probe alone, or no paper: nothing comes out. */
      g_ptr_array_unref (rows);
      return;
    }
  g_ptr_array_add (self->jobs, rows);
  g_signal_emit (self, signals[PRINTED], 0, self->jobs->len - 1);
}

static void
on_read (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Connection *conn = user_data;
  g_autoptr (GError) error = NULL;
  gssize n = g_input_stream_read_finish (G_INPUT_STREAM (source), result, &error);

  if (n < 0)
    {
      g_debug ("printer emulator: %s", error->message);
      connection_free (conn);
      return;
    }
  if (n == 0)
    {
      print_job (conn);
      g_io_stream_close (G_IO_STREAM (conn->connection), NULL, NULL);
      connection_free (conn);
      return;
    }
  g_byte_array_append (conn->received, conn->chunk, n);
  /* DLE EOT n: answered at once. Bit 1 and 4 are always set; bits 5 and 6 are the paper
   * roll's end sensor. */
  for (; conn->scanned + 3 <= conn->received->len; conn->scanned++)
    if (conn->received->data[conn->scanned] == 0x10 &&
        conn->received->data[conn->scanned + 1] == 0x04)
      {
        GOutputStream *out = g_io_stream_get_output_stream (G_IO_STREAM (conn->connection));

        conn->status = 0x12 | (conn->self->paper_out ? 0x60 : 0);
        g_output_stream_write_all_async (out, &conn->status, 1, G_PRIORITY_DEFAULT, NULL,
                                         on_status_written, NULL);
        conn->scanned += 2;
      }
  read_more (conn);
}

static void
read_more (Connection *conn)
{
  GInputStream *in = g_io_stream_get_input_stream (G_IO_STREAM (conn->connection));

  g_input_stream_read_async (in, conn->chunk, sizeof conn->chunk, G_PRIORITY_DEFAULT, NULL, on_read,
                             conn);
}

static gboolean
on_incoming (GSocketService      *service,
             GSocketConnection   *connection,
             GObject             *source,
             TillPrinterEmulator *self)
{
  Connection *conn = g_new0 (Connection, 1);

  conn->self = g_object_ref (self);
  conn->connection = g_object_ref (connection);
  conn->received = g_byte_array_new ();
  read_more (conn);
  return TRUE;
}

static void
till_printer_emulator_finalize (GObject *object)
{
  TillPrinterEmulator *self = TILL_PRINTER_EMULATOR (object);

  till_printer_emulator_stop (self);
  g_ptr_array_unref (self->jobs);
  G_OBJECT_CLASS (till_printer_emulator_parent_class)->finalize (object);
}

static void
till_printer_emulator_class_init (TillPrinterEmulatorClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = till_printer_emulator_finalize;

  /**
   * TillPrinterEmulator::printed:
   * @index: the job's index, for till_printer_emulator_get_job()
   *
   * A job came out on the paper.
   */
  signals[PRINTED] = g_signal_new ("printed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL,
                                   NULL, NULL, G_TYPE_NONE, 1, G_TYPE_UINT);

  /**
   * TillPrinterEmulator::drawer-kicked:
   * @n_pulses: how many pulses the drawer has had so far
   *
   * A drawer pulse (ESC p) came in.
   */
  signals[DRAWER_KICKED] =
      g_signal_new ("drawer-kicked", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                    NULL, G_TYPE_NONE, 1, G_TYPE_UINT);
}

static void
till_printer_emulator_init (TillPrinterEmulator *self)
{
  self->jobs = g_ptr_array_new_with_free_func ((GDestroyNotify) g_ptr_array_unref);
}

TillPrinterEmulator *
till_printer_emulator_new (void)
{
  return g_object_new (TILL_TYPE_PRINTER_EMULATOR, NULL);
}

/**
 * till_printer_emulator_listen:
 * @host: the address to listen on ("127.0.0.1")
 * @port: the port, or 0 for any free one
 *
 * Returns: the port it listens on, or 0 and @error.
 */
guint16
till_printer_emulator_listen (TillPrinterEmulator *self,
                              const char          *host,
                              guint16              port,
                              GError             **error)
{
  g_autoptr (GInetAddress) inet = NULL;
  g_autoptr (GSocketAddress) address = NULL;
  g_autoptr (GSocketAddress) effective = NULL;

  g_return_val_if_fail (TILL_IS_PRINTER_EMULATOR (self), 0);
  g_return_val_if_fail (self->service == NULL, 0);

  inet = g_inet_address_new_from_string (host);
  if (inet == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "“%s” is not an IP address",
                   host);
      return 0;
    }
  address = g_inet_socket_address_new (inet, port);
  self->service = g_socket_service_new ();
  if (!g_socket_listener_add_address (G_SOCKET_LISTENER (self->service), address,
                                      G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, NULL, &effective,
                                      error))
    {
      g_clear_object (&self->service);
      return 0;
    }
  g_signal_connect (self->service, "incoming", G_CALLBACK (on_incoming), self);
  g_socket_service_start (self->service);
  return g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (effective));
}

/* Stops listening (a printer switched off): connections are refused from now on. */
void
till_printer_emulator_stop (TillPrinterEmulator *self)
{
  g_return_if_fail (TILL_IS_PRINTER_EMULATOR (self));

  if (self->service == NULL)
    return;
  g_socket_service_stop (self->service);
  g_socket_listener_close (G_SOCKET_LISTENER (self->service));
  g_signal_handlers_disconnect_by_data (self->service, self);
  g_clear_object (&self->service);
}

void
till_printer_emulator_set_paper_out (TillPrinterEmulator *self, gboolean paper_out)
{
  g_return_if_fail (TILL_IS_PRINTER_EMULATOR (self));

  self->paper_out = paper_out;
}

guint
till_printer_emulator_get_n_jobs (TillPrinterEmulator *self)
{
  g_return_val_if_fail (TILL_IS_PRINTER_EMULATOR (self), 0);

  return self->jobs->len;
}

/* How many drawer pulses came in, with a receipt or alone. */
guint
till_printer_emulator_get_n_pulses (TillPrinterEmulator *self)
{
  g_return_val_if_fail (TILL_IS_PRINTER_EMULATOR (self), 0);

  return self->n_pulses;
}

/**
 * till_printer_emulator_get_job:
 *
 * Returns: (transfer none) (element-type TillEscposRow): the rows of job @index.
 */
GPtrArray *
till_printer_emulator_get_job (TillPrinterEmulator *self, guint index)
{
  g_return_val_if_fail (TILL_IS_PRINTER_EMULATOR (self), NULL);
  g_return_val_if_fail (index < self->jobs->len, NULL);

  return g_ptr_array_index (self->jobs, index);
}

/* Returns: (transfer full): job @index as text (till_escpos_rows_to_text()). */
char *
till_printer_emulator_get_text (TillPrinterEmulator *self, guint index)
{
  return till_escpos_rows_to_text (till_printer_emulator_get_job (self, index));
}

/* Draws @rows from @y down, or only measures them with @cr NULL; returns where they end. */
static int
draw_rows (cairo_t *cr, PangoLayout *layout, GPtrArray *rows, int width, int line_height)
{
  PangoFontDescription *font =
      pango_font_description_copy (pango_layout_get_font_description (layout));
  int y = MARGIN;

  for (guint i = 0; i < rows->len; i++)
    {
      const TillEscposRow *row = g_ptr_array_index (rows, i);

      if (row->kind == TILL_ESCPOS_ROW_TEXT)
        {
          int text_width;

          pango_font_description_set_weight (font,
                                             row->bold ? PANGO_WEIGHT_BOLD : PANGO_WEIGHT_NORMAL);
          pango_layout_set_font_description (layout, font);
          pango_layout_set_text (layout, row->text, -1);
          pango_layout_get_pixel_size (layout, &text_width, NULL);
          if (cr != NULL)
            {
              int x = MARGIN;

              if (row->align == 1)
                x = MARGIN + (width - text_width) / 2;
              else if (row->align == 2)
                x = MARGIN + width - text_width;
              cairo_move_to (cr, x, y);
              pango_cairo_show_layout (cr, layout);
            }
          y += line_height;
        }
      else if (row->kind == TILL_ESCPOS_ROW_QR)
        {
          QRcode *qr = QRcode_encodeString8bit (row->text, 0, QR_ECLEVEL_M);
          int     size;
          int     x0;

          if (qr == NULL)
            continue;
          size = qr->width * QR_MODULE;
          x0 = row->align == 1 ? MARGIN + (width - size) / 2 : MARGIN;
          if (cr != NULL)
            for (int my = 0; my < qr->width; my++)
              for (int mx = 0; mx < qr->width; mx++)
                if (qr->data[my * qr->width + mx] & 1)
                  {
                    cairo_rectangle (cr, x0 + mx * QR_MODULE, y + my * QR_MODULE, QR_MODULE,
                                     QR_MODULE);
                    cairo_fill (cr);
                  }
          y += size + line_height / 2;
          QRcode_free (qr);
        }
      else if (row->kind == TILL_ESCPOS_ROW_CUT)
        {
          if (cr != NULL)
            {
              const double dash[] = { 6, 4 };

              cairo_save (cr);
              cairo_set_line_width (cr, 1);
              cairo_set_dash (cr, dash, 2, 0);
              cairo_move_to (cr, 0, y + line_height / 2 + 0.5);
              cairo_line_to (cr, width + 2 * MARGIN, y + line_height / 2 + 0.5);
              cairo_stroke (cr);
              cairo_restore (cr);
            }
          y += line_height;
        }
    }
  pango_font_description_free (font);
  return y + MARGIN;
}

/**
 * till_printer_emulator_render_png:
 * @rows: (element-type TillEscposRow): a job, from till_printer_emulator_get_job()
 * @paper_mm: 58 or 80: the printable width is 48 or 72 mm at 203 dpi (384 or 576 dots)
 * @path: where the PNG goes
 *
 * Draws the paper as the printer would, in its font A's columns
 * (till_escpos_columns()) across the printable width.
 */
gboolean
till_printer_emulator_render_png (GPtrArray *rows, int paper_mm, const char *path, GError **error)
{
  int width = (paper_mm <= 58 ? 48 : 72) * DOTS_PER_MM;
  g_autoptr (PangoFontDescription) font = pango_font_description_from_string ("Monospace");
  PangoFontMap *map = pango_cairo_font_map_get_default ();
  g_autoptr (GObject) context_object = G_OBJECT (pango_font_map_create_context (map));
  PangoContext *context = PANGO_CONTEXT (context_object);
  g_autoptr (PangoLayout) layout = NULL;
  g_autofree char *columns = g_strnfill (till_escpos_columns (paper_mm), 'M');
  cairo_surface_t *surface;
  cairo_t         *cr;
  cairo_status_t   status;
  int              probe_width, probe_height, line_height, height;

  g_return_val_if_fail (rows != NULL, FALSE);

  /* The font size that puts the printer's columns across its printable width. */
  pango_cairo_context_set_resolution (context, 96);
  pango_font_description_set_absolute_size (font, 20 * PANGO_SCALE);
  layout = pango_layout_new (context);
  pango_layout_set_font_description (layout, font);
  pango_layout_set_text (layout, columns, -1);
  pango_layout_get_pixel_size (layout, &probe_width, &probe_height);
  pango_font_description_set_absolute_size (font, 20.0 * PANGO_SCALE * width / probe_width);
  pango_layout_set_font_description (layout, font);
  line_height = (int) (probe_height * (double) width / probe_width) + 2;

  height = draw_rows (NULL, layout, rows, width, line_height);
  surface = cairo_image_surface_create (CAIRO_FORMAT_RGB24, width + 2 * MARGIN, height);
  cr = cairo_create (surface);
  cairo_set_source_rgb (cr, 1, 1, 1);
  cairo_paint (cr);
  cairo_set_source_rgb (cr, 0, 0, 0);
  draw_rows (cr, layout, rows, width, line_height);
  cairo_destroy (cr);
  status = cairo_surface_write_to_png (surface, path);
  cairo_surface_destroy (surface);
  if (status != CAIRO_STATUS_SUCCESS)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "%s: %s", path,
                   cairo_status_to_string (status));
      return FALSE;
    }
  return TRUE;
}
