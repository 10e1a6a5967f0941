/* till-http-connection.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The stream libsoup reads a connection through: the socket's (or the TLS connection's)
 * streams, passed on as they are, with two exceptions that make an ended connection end in
 * libsoup too.
 *
 * libsoup 3.2 (Debian 12's; fixed in 3.3 by its commit d20c6601) keeps a kept-alive
 * connection for ever when it reaches its end before the first byte of the next request:
 * the new request was never started, so nothing calls its completion, and nothing closes
 * the connection (soup_server_message_io_http1_finished ()). Its descriptor stays in
 * CLOSE-WAIT, and after about a thousand such connections the server can accept no more.
 * libsoup has no public call that closes one connection. So when the end (or a failed
 * read) comes where a request would start, this stream hands libsoup one stray byte first:
 * libsoup then starts a request, finds "X" no request line, and closes the connection
 * itself. From then on, reads give the end and writes go nowhere (libsoup's 400 for the
 * stray byte is never sent). A request that had begun is unaffected: libsoup ends those
 * itself.
 *
 * "Where a request would start" is: no byte read since the last answer (see
 * till_http_connection_mark_boundary ()). A client that pipelines could have the next
 * request read with the previous one; none of Till's clients do, and then the stray byte
 * can only spoil a request that was cut short anyway ("X" completes no header block).
 *
 * Ending a connection from our side (a time limit) shuts the socket down, so that libsoup,
 * waiting to read, wakes up; a request that had begun then reads a timeout error.
 */
#include "config.h"

#include <sys/socket.h>

#include "till-http-private.h"

#define STRAY_BYTE 'X'

#define TILL_TYPE_HTTP_INPUT (till_http_input_get_type ())
G_DECLARE_FINAL_TYPE (TillHttpInput, till_http_input, TILL, HTTP_INPUT, GInputStream)
#define TILL_TYPE_HTTP_OUTPUT (till_http_output_get_type ())
G_DECLARE_FINAL_TYPE (TillHttpOutput, till_http_output, TILL, HTTP_OUTPUT, GOutputStream)

struct _TillHttpConnection
{
  GIOStream parent_instance;

  GIOStream             *base;
  GSocket               *socket;
  GInputStream          *input;
  GOutputStream         *output;
  TillHttpConnectionFunc on_closed;
  gpointer               user_data;
  guint64                read_since_boundary; /* bytes read since an answer was finished */
  gboolean               ended;               /* the peer has gone, or we ended it */
  gboolean               aborted;             /* we ended it */
  gboolean               stray_given;
  gboolean               closed;
};

struct _TillHttpInput
{
  GInputStream        parent_instance;
  TillHttpConnection *connection; /* not a reference: it owns us */
  GInputStream       *base;
};

struct _TillHttpOutput
{
  GOutputStream       parent_instance;
  TillHttpConnection *connection;
  GOutputStream      *base;
};

static void till_http_input_pollable_init (GPollableInputStreamInterface *iface);
static void till_http_output_pollable_init (GPollableOutputStreamInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (TillHttpInput,
                               till_http_input,
                               G_TYPE_INPUT_STREAM,
                               G_IMPLEMENT_INTERFACE (G_TYPE_POLLABLE_INPUT_STREAM,
                                                      till_http_input_pollable_init))
G_DEFINE_FINAL_TYPE_WITH_CODE (TillHttpOutput,
                               till_http_output,
                               G_TYPE_OUTPUT_STREAM,
                               G_IMPLEMENT_INTERFACE (G_TYPE_POLLABLE_OUTPUT_STREAM,
                                                      till_http_output_pollable_init))
G_DEFINE_FINAL_TYPE (TillHttpConnection, till_http_connection, G_TYPE_IO_STREAM)

/* ---------------------------------------------------------------------------------------- */
/* Reading */

/* What a read of the base stream that gave @n (and @error) gives libsoup. */
static gssize
after_read (TillHttpConnection *connection, gssize n, void *buffer, gsize count, GError **error)
{
  if (n > 0)
    {
      connection->read_since_boundary += n;
      return n;
    }
  if (n < 0 && g_error_matches (*error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
    return n;
  if (connection->read_since_boundary == 0 && count > 0)
    {
      g_clear_error (error);
      connection->ended = TRUE;
      connection->stray_given = TRUE;
      *(char *) buffer = STRAY_BYTE;
      return 1;
    }
  return n;
}

/* Reads once ended: the stray byte where a request would start, then the end (or, for a
 * request we cut short, a timeout). */
static gssize
read_ended (TillHttpConnection *connection, void *buffer, gsize count, GError **error)
{
  if (!connection->stray_given && connection->read_since_boundary == 0 && count > 0)
    {
      connection->stray_given = TRUE;
      *(char *) buffer = STRAY_BYTE;
      return 1;
    }
  if (connection->aborted && !connection->stray_given)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT, "The connection took too long");
      return -1;
    }
  return 0;
}

static gssize
till_http_input_read (
    GInputStream *stream, void *buffer, gsize count, GCancellable *cancellable, GError **error)
{
  TillHttpInput *self = TILL_HTTP_INPUT (stream);
  gssize         n;

  if (self->connection->ended)
    return read_ended (self->connection, buffer, count, error);
  n = g_input_stream_read (self->base, buffer, count, cancellable, error);
  return after_read (self->connection, n, buffer, count, error);
}

static gssize
till_http_input_read_nonblocking (GPollableInputStream *stream,
                                  void                 *buffer,
                                  gsize                 count,
                                  GError              **error)
{
  TillHttpInput *self = TILL_HTTP_INPUT (stream);
  gssize         n;

  if (self->connection->ended)
    return read_ended (self->connection, buffer, count, error);
  n = g_pollable_input_stream_read_nonblocking (G_POLLABLE_INPUT_STREAM (self->base), buffer, count,
                                                NULL, error);
  return after_read (self->connection, n, buffer, count, error);
}

static gboolean
till_http_input_is_readable (GPollableInputStream *stream)
{
  TillHttpInput *self = TILL_HTTP_INPUT (stream);

  return self->connection->ended ||
         g_pollable_input_stream_is_readable (G_POLLABLE_INPUT_STREAM (self->base));
}

static GSource *
till_http_input_create_source (GPollableInputStream *stream, GCancellable *cancellable)
{
  TillHttpInput *self = TILL_HTTP_INPUT (stream);
  g_autoptr (GSource) base_source = NULL;

  if (self->connection->ended)
    {
      GSource *source = g_pollable_source_new (G_OBJECT (stream));

      g_source_set_ready_time (source, 0);
      return source;
    }
  base_source = g_pollable_input_stream_create_source (G_POLLABLE_INPUT_STREAM (self->base), NULL);
  return g_pollable_source_new_full (stream, base_source, cancellable);
}

static gboolean
till_http_input_close (GInputStream *stream, GCancellable *cancellable, GError **error)
{
  /* The base streams close with the connection (till_http_connection_close ()). */
  return TRUE;
}

static void
till_http_input_pollable_init (GPollableInputStreamInterface *iface)
{
  iface->is_readable = till_http_input_is_readable;
  iface->create_source = till_http_input_create_source;
  iface->read_nonblocking = till_http_input_read_nonblocking;
}

static void
till_http_input_finalize (GObject *object)
{
  TillHttpInput *self = TILL_HTTP_INPUT (object);

  g_clear_object (&self->base);
  G_OBJECT_CLASS (till_http_input_parent_class)->finalize (object);
}

static void
till_http_input_class_init (TillHttpInputClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = till_http_input_finalize;
  G_INPUT_STREAM_CLASS (klass)->read_fn = till_http_input_read;
  G_INPUT_STREAM_CLASS (klass)->close_fn = till_http_input_close;
}

static void
till_http_input_init (TillHttpInput *self)
{
}

/* ---------------------------------------------------------------------------------------- */
/* Writing: passed on, or, once the connection has ended, taken and dropped. */

static gssize
till_http_output_write (GOutputStream *stream,
                        const void    *buffer,
                        gsize          count,
                        GCancellable  *cancellable,
                        GError       **error)
{
  TillHttpOutput *self = TILL_HTTP_OUTPUT (stream);

  if (self->connection->ended)
    return count;
  return g_output_stream_write (self->base, buffer, count, cancellable, error);
}

static gssize
till_http_output_write_nonblocking (GPollableOutputStream *stream,
                                    const void            *buffer,
                                    gsize                  count,
                                    GError               **error)
{
  TillHttpOutput *self = TILL_HTTP_OUTPUT (stream);

  if (self->connection->ended)
    return count;
  return g_pollable_output_stream_write_nonblocking (G_POLLABLE_OUTPUT_STREAM (self->base), buffer,
                                                     count, NULL, error);
}

static gboolean
till_http_output_flush (GOutputStream *stream, GCancellable *cancellable, GError **error)
{
  TillHttpOutput *self = TILL_HTTP_OUTPUT (stream);

  if (self->connection->ended)
    return TRUE;
  return g_output_stream_flush (self->base, cancellable, error);
}

static gboolean
till_http_output_is_writable (GPollableOutputStream *stream)
{
  TillHttpOutput *self = TILL_HTTP_OUTPUT (stream);

  return self->connection->ended ||
         g_pollable_output_stream_is_writable (G_POLLABLE_OUTPUT_STREAM (self->base));
}

static GSource *
till_http_output_create_source (GPollableOutputStream *stream, GCancellable *cancellable)
{
  TillHttpOutput *self = TILL_HTTP_OUTPUT (stream);
  g_autoptr (GSource) base_source = NULL;

  if (self->connection->ended)
    {
      GSource *source = g_pollable_source_new (G_OBJECT (stream));

      g_source_set_ready_time (source, 0);
      return source;
    }
  base_source =
      g_pollable_output_stream_create_source (G_POLLABLE_OUTPUT_STREAM (self->base), NULL);
  return g_pollable_source_new_full (stream, base_source, cancellable);
}

static gboolean
till_http_output_close (GOutputStream *stream, GCancellable *cancellable, GError **error)
{
  return TRUE;
}

static void
till_http_output_pollable_init (GPollableOutputStreamInterface *iface)
{
  iface->is_writable = till_http_output_is_writable;
  iface->create_source = till_http_output_create_source;
  iface->write_nonblocking = till_http_output_write_nonblocking;
}

static void
till_http_output_finalize (GObject *object)
{
  TillHttpOutput *self = TILL_HTTP_OUTPUT (object);

  g_clear_object (&self->base);
  G_OBJECT_CLASS (till_http_output_parent_class)->finalize (object);
}

static void
till_http_output_class_init (TillHttpOutputClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = till_http_output_finalize;
  G_OUTPUT_STREAM_CLASS (klass)->write_fn = till_http_output_write;
  G_OUTPUT_STREAM_CLASS (klass)->flush = till_http_output_flush;
  G_OUTPUT_STREAM_CLASS (klass)->close_fn = till_http_output_close;
}

static void
till_http_output_init (TillHttpOutput *self)
{
}

/* ---------------------------------------------------------------------------------------- */
/* The connection */

static GInputStream *
till_http_connection_get_input_stream (GIOStream *stream)
{
  return TILL_HTTP_CONNECTION (stream)->input;
}

static GOutputStream *
till_http_connection_get_output_stream (GIOStream *stream)
{
  return TILL_HTTP_CONNECTION (stream)->output;
}

static gboolean
till_http_connection_close (GIOStream *stream, GCancellable *cancellable, GError **error)
{
  TillHttpConnection *self = TILL_HTTP_CONNECTION (stream);
  gboolean            ok;

  if (self->closed)
    return TRUE;
  self->closed = TRUE;
  self->ended = TRUE;
  ok = g_io_stream_close (self->base, cancellable, error);
  if (self->on_closed != NULL)
    self->on_closed (self, self->user_data);
  return ok;
}

/* GIOStream would close on a worker thread; the listener's bookkeeping is the main
 * context's, and closing a socket does not block. */
static void
till_http_connection_close_async (GIOStream          *stream,
                                  int                 io_priority,
                                  GCancellable       *cancellable,
                                  GAsyncReadyCallback callback,
                                  gpointer            user_data)
{
  g_autoptr (GTask) task = g_task_new (stream, cancellable, callback, user_data);
  GError *error = NULL;

  g_task_set_source_tag (task, till_http_connection_close_async);
  if (till_http_connection_close (stream, cancellable, &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

static gboolean
till_http_connection_close_finish (GIOStream *stream, GAsyncResult *result, GError **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
till_http_connection_finalize (GObject *object)
{
  TillHttpConnection *self = TILL_HTTP_CONNECTION (object);

  g_clear_object (&self->input);
  g_clear_object (&self->output);
  g_clear_object (&self->base);
  g_clear_object (&self->socket);
  G_OBJECT_CLASS (till_http_connection_parent_class)->finalize (object);
}

static void
till_http_connection_class_init (TillHttpConnectionClass *klass)
{
  GIOStreamClass *stream_class = G_IO_STREAM_CLASS (klass);

  G_OBJECT_CLASS (klass)->finalize = till_http_connection_finalize;
  stream_class->get_input_stream = till_http_connection_get_input_stream;
  stream_class->get_output_stream = till_http_connection_get_output_stream;
  stream_class->close_fn = till_http_connection_close;
  stream_class->close_async = till_http_connection_close_async;
  stream_class->close_finish = till_http_connection_close_finish;
}

static void
till_http_connection_init (TillHttpConnection *self)
{
}

TillHttpConnection *
till_http_connection_new (GIOStream             *base,
                          GSocket               *socket,
                          TillHttpConnectionFunc on_closed,
                          gpointer               user_data)
{
  TillHttpConnection *self = g_object_new (TILL_TYPE_HTTP_CONNECTION, NULL);
  TillHttpInput      *input = g_object_new (TILL_TYPE_HTTP_INPUT, NULL);
  TillHttpOutput     *output = g_object_new (TILL_TYPE_HTTP_OUTPUT, NULL);

  self->base = g_object_ref (base);
  self->socket = g_object_ref (socket);
  self->on_closed = on_closed;
  self->user_data = user_data;
  input->connection = self;
  input->base = g_object_ref (g_io_stream_get_input_stream (base));
  output->connection = self;
  output->base = g_object_ref (g_io_stream_get_output_stream (base));
  self->input = G_INPUT_STREAM (input);
  self->output = G_OUTPUT_STREAM (output);
  return self;
}

GSocket *
till_http_connection_get_socket (TillHttpConnection *self)
{
  return self->socket;
}

void
till_http_connection_mark_boundary (TillHttpConnection *self)
{
  self->read_since_boundary = 0;
}

void
till_http_connection_abort (TillHttpConnection *self)
{
  if (self->closed || self->ended)
    return;
  self->ended = TRUE;
  self->aborted = TRUE;
  /* Wakes up whoever waits to read or write it. */
  g_socket_shutdown (self->socket, TRUE, TRUE, NULL);
}
