/* till-api-reports.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The reports' routes: the daily report, and the export of the orders as CSV, streamed from
 * a worker thread.
 */
#include "config.h"

#include <glib/gi18n.h>

#include "till-api-private.h"
#include "till-core.h"
#include "till-server-error.h"

void
till_api_handle_report (TillApi *self, SoupServerMessage *msg, GHashTable *query)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonNode) report = till_reports_daily (self->db, self->config->currency, self->tz,
                                                    till_api_query_get (query, "date"), &error);

  if (report == NULL)
    till_api_send_error (msg, error);
  else
    till_api_send_json (msg, SOUP_STATUS_OK, report);
}

void
till_api_handle_report_days (TillApi *self, SoupServerMessage *msg, GHashTable *query)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonNode) report = NULL;
  const char *days_text = till_api_query_get (query, "days");
  guint64     days = 7;

  if (days_text != NULL && !g_ascii_string_to_unsigned (days_text, 10, 1, 31, &days, NULL))
    {
      till_api_send_new_error (msg, TILL_API_ERROR_INVALID_REQUEST,
                               _ ("days: must be a number from 1 to 31"));
      return;
    }
  report = till_reports_days (self->db, self->config->currency, self->tz,
                              till_api_query_get (query, "date"), (guint) days, &error);
  if (report == NULL)
    till_api_send_error (msg, error);
  else
    till_api_send_json (msg, SOUP_STATUS_OK, report);
}

/* The orders CSV is written on a worker thread with a worker connection and sent as it comes,
 * in chunks, at most EXPORT_CHUNKS_AHEAD of them ahead of what the client has taken (the
 * thread waits for wrote-chunk): a year of orders is neither read on the main loop, which
 * goes on serving, nor held in memory. Its one SELECT is one read transaction: the export
 * is of one moment (and the WAL cannot be checkpointed past it until it is done). */
#define EXPORT_CHUNK_SIZE (64 * 1024)
#define EXPORT_CHUNKS_AHEAD 4
/* Each holds a thread, a connection and a read transaction. */
#define EXPORTS_MAX 2

static gint exports_running; /* threads, for tests (till_api_get_running_exports ()) */

typedef struct
{
  gatomicrefcount refs;
  GMainContext   *context; /* the server's */
  TillDatabase   *db;      /* the server's: lends a worker connection */
  char           *status;
  gint64          range[2];
  GTimeZone      *tz;
  GMutex          lock;
  GCond           written;
  guint           ahead; /* chunks handed to the loop and not written yet */
  gint64          stall_us;
  gboolean        gone;    /* the client is gone, or the answer is done: stop */
  gboolean        stalled; /* the client took nothing for stall_us */
  /* The main loop's */
  SoupServerMessage *msg; /* until it is finished */
  gulong             wrote_chunk_id;
  gulong             finished_id;
  gboolean           started; /* status and headers are set: an error can only cut it short */
} Export;

typedef struct
{
  Export *export;
  GBytes *chunk; /* or NULL for the end */
  GError *error; /* at the end: why it stopped */
} ExportStep;

static Export *
export_ref (Export *export)
{
  g_atomic_ref_count_inc (&export->refs);
  return export;
}

static void
export_unref (Export *export)
{
  if (!g_atomic_ref_count_dec (&export->refs))
    return;
  g_assert (export->msg == NULL);
  g_main_context_unref (export->context);
  g_object_unref (export->db);
  g_free (export->status);
  g_time_zone_unref (export->tz);
  g_mutex_clear (&export->lock);
  g_cond_clear (&export->written);
  g_free (export);
}

static void
export_step_free (ExportStep *step)
{
  export_unref (step->export);
  g_clear_pointer (&step->chunk, g_bytes_unref);
  g_clear_error (&step->error);
  g_free (step);
}

/* The thread stops at its next chunk. */
static void
export_stop (Export *export)
{
  g_mutex_lock (&export->lock);
  export->gone = TRUE;
  g_cond_signal (&export->written);
  g_mutex_unlock (&export->lock);
}

static void
on_export_wrote_chunk (SoupServerMessage *msg, gpointer user_data)
{
  Export *export = user_data;

  g_mutex_lock (&export->lock);
  export->ahead--;
  g_cond_signal (&export->written);
  g_mutex_unlock (&export->lock);
}

static void
on_export_finished (SoupServerMessage *msg, gpointer user_data)
{
  Export *export = user_data;

  export_stop (export);
  g_signal_handler_disconnect (msg, export->wrote_chunk_id);
  g_signal_handler_disconnect (msg, export->finished_id);
  g_clear_object (&export->msg);
  export_unref (export);
}

/* In the main loop: a chunk for the client, or the end. */
static gboolean
export_step (gpointer user_data)
{
  ExportStep *step = user_data;
  Export *export = step->export;
  SoupServerMessage *msg = export->msg;
  SoupMessageBody   *body;

  if (msg == NULL)
    return G_SOURCE_REMOVE;
  body = soup_server_message_get_response_body (msg);
  if (!export->started && step->error != NULL)
    {
      till_api_send_error (msg, step->error);
      soup_server_message_unpause (msg);
      return G_SOURCE_REMOVE;
    }
  if (!export->started)
    {
      SoupMessageHeaders *headers = soup_server_message_get_response_headers (msg);

      till_api_add_common_headers (msg);
      /* Sent as it comes: not held back for the rest. */
      till_api_set_corked (msg, FALSE);
      soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
      soup_message_headers_replace (headers, "Content-Type", "text/csv; charset=utf-8");
      soup_message_headers_replace (headers, "Content-Disposition",
                                    "attachment; filename=\"orders.csv\"");
      soup_message_headers_set_encoding (headers, SOUP_ENCODING_CHUNKED);
      soup_message_body_set_accumulate (body, FALSE);
      export->started = TRUE;
    }
  if (step->chunk != NULL)
    soup_message_body_append_bytes (body, step->chunk);
  else if (step->error == NULL)
    soup_message_body_complete (body);
  else
    {
      /* Cut short: without the last chunk, the client cannot take it for the whole. */
      g_autoptr (GIOStream) stream = NULL;

      /* A client that stalled is the client's problem, not ours. */
      if (g_error_matches (step->error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT))
        g_message ("The orders export stopped: %s", step->error->message);
      else
        g_warning ("The orders export stopped: %s", step->error->message);
      stream = soup_server_message_steal_connection (msg);
      if (stream != NULL)
        g_io_stream_close (stream, NULL, NULL);
      /* No finished signal comes for a stolen connection. */
      on_export_finished (msg, export);
      return G_SOURCE_REMOVE;
    }
  soup_server_message_unpause (msg);
  return G_SOURCE_REMOVE;
}

static void
export_hand_over (Export *export, GBytes *chunk, GError *error)
{
  ExportStep *step = g_new0 (ExportStep, 1);

  step->export = export_ref (export);
  step->chunk = chunk;
  step->error = error;
  g_main_context_invoke_full (export->context, G_PRIORITY_DEFAULT, export_step, step,
                              (GDestroyNotify) export_step_free);
}

static gboolean
export_flush (GString *out, gpointer user_data)
{
  Export *export = user_data;
  gboolean gone;

  gint64 deadline = g_get_monotonic_time () + export->stall_us;

  g_mutex_lock (&export->lock);
  while (export->ahead >= EXPORT_CHUNKS_AHEAD && !export->gone)
    if (!g_cond_wait_until (&export->written, &export->lock, deadline) &&
        export->ahead >= EXPORT_CHUNKS_AHEAD && !export->gone)
      export->gone = export->stalled = TRUE;
  gone = export->gone;
  if (!gone)
    export->ahead++;
  g_mutex_unlock (&export->lock);
  if (gone)
    return FALSE;
  export_hand_over (export, g_bytes_new (out->str, out->len), NULL);
  g_string_truncate (out, 0);
  return TRUE;
}

static void
export_thread (GTask *task, gpointer source_object, gpointer task_data, GCancellable *cancellable)
{
  Export *export = task_data;
  g_autoptr (GError) error = NULL;
  TillDatabase *db = till_database_take_worker (export->db, &error);

  if (db != NULL)
    {
      till_reports_write_orders_csv (db, export->status, export->range[0], export->range[1],
                                     export->tz, EXPORT_CHUNK_SIZE, export_flush, export, &error);
      till_database_give_back (export->db, db);
    }
  g_atomic_int_dec_and_test (&exports_running);
  /* The end, also when the client has gone (then the loop has nothing left to do). */
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    g_clear_error (&error);
  if (export->stalled)
    {
      g_clear_error (&error);
      g_set_error (&error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
                   "the client took nothing for %" G_GINT64_FORMAT " ms", export->stall_us / 1000);
    }
  export_hand_over (export, NULL, g_steal_pointer (&error));
  g_task_return_boolean (task, TRUE);
}

guint
till_api_get_running_exports (void)
{
  return (guint) g_atomic_int_get (&exports_running);
}

void
till_api_set_export_stall_timeout (TillApi *self, guint timeout_ms)
{
  self->export_stall_ms = timeout_ms;
}

void
till_api_handle_orders_csv (TillApi *self, SoupServerMessage *msg, GHashTable *query)
{
  gint64          range[2] = { 0, 0 };
  const char     *status = till_api_query_get (query, "status");
  TillOrderStatus parsed;
  Export *export;
  g_autoptr (GTask) task = NULL;

  if (status != NULL && !till_order_status_from_string (status, &parsed))
    {
      till_api_send_new_error (msg, TILL_API_ERROR_INVALID_REQUEST,
                               _ ("status: not an order status"));
      return;
    }
  for (guint i = 0; i < 2; i++)
    {
      const char *value = till_api_query_get (query, i == 0 ? "from" : "to");
      g_autoptr (GDateTime) dt = NULL;

      if (value == NULL)
        continue;
      dt = g_date_time_new_from_iso8601 (value, self->tz);
      if (dt == NULL)
        {
          till_api_send_new_error (msg, TILL_API_ERROR_INVALID_REQUEST,
                                   i == 0 ? _ ("from: not an RFC 3339 time")
                                          : _ ("to: not an RFC 3339 time"));
          return;
        }
      range[i] = g_date_time_to_unix (dt) * G_USEC_PER_SEC + g_date_time_get_microsecond (dt);
    }
  if (g_str_equal (soup_server_message_get_method (msg), "HEAD"))
    {
      /* A GET's headers, without reading the orders for a body nobody is sent. */
      SoupMessageHeaders *headers = soup_server_message_get_response_headers (msg);

      till_api_add_common_headers (msg);
      soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
      soup_message_headers_replace (headers, "Content-Type", "text/csv; charset=utf-8");
      soup_message_headers_replace (headers, "Content-Disposition",
                                    "attachment; filename=\"orders.csv\"");
      soup_message_headers_set_encoding (headers, SOUP_ENCODING_CHUNKED);
      soup_message_body_complete (soup_server_message_get_response_body (msg));
      return;
    }
  if (g_atomic_int_get (&exports_running) >= EXPORTS_MAX)
    {
      soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Retry-After",
                                    "10");
      till_api_send_new_error (
          msg, TILL_API_ERROR_RATE_LIMITED,
          _ ("Two exports of the orders are running already; try again when one "
             "is done"));
      return;
    }

  export = g_new0 (Export, 1);
  g_atomic_ref_count_init (&export->refs);
  export->context = g_main_context_ref_thread_default ();
  export->db = g_object_ref (self->db);
  export->status = g_strdup (status);
  export->range[0] = range[0];
  export->range[1] = range[1];
  export->tz = g_time_zone_ref (self->tz);
  export->stall_us = (gint64) self->export_stall_ms * 1000;
  g_mutex_init (&export->lock);
  g_cond_init (&export->written);
  export->msg = g_object_ref (msg);
  export->wrote_chunk_id =
      g_signal_connect (msg, "wrote-chunk", G_CALLBACK (on_export_wrote_chunk), export);
  /* The loop's reference, given back when the answer is finished. */
  export->finished_id = g_signal_connect (msg, "finished", G_CALLBACK (on_export_finished), export);
  soup_server_message_pause (msg);
  g_atomic_int_inc (&exports_running);
  /* A worker job like the others (till-database.h): it may wait on a slow client, but at most
   * EXPORT_STALL_MS, and at most EXPORTS_MAX of them hold a thread of the pool. */
  task = g_task_new (NULL, NULL, NULL, NULL);
  g_task_set_task_data (task, export_ref (export), (GDestroyNotify) export_unref);
  g_task_run_in_thread (task, export_thread);
}
