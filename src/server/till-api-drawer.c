/* till-api-drawer.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The cash drawer of the asking terminal: GET /api/v1/drawer, POST /api/v1/drawer/open,
 * /movements and /close; and its X and Z reports (/api/v1/reports/x, /reports/z). Each write is one
 * transaction on the main thread; the checkouts waiting for their batch are stored first, so that
 * the sales rung up before a close are in the session it closes.
 */
#include "config.h"

#include <glib/gi18n.h>

#include "till-api-private.h"
#include "till-core.h"
#include "till-drawer.h"
#include "till-server-error.h"
#include "till-zreports.h"

#define REASON_MAX 200

static void
send_session (SoupServerMessage *msg, guint status, const TillDrawerSession *session)
{
  GString       *text = g_string_sized_new (512);
  TillJsonWriter writer;

  till_json_writer_init (&writer, text);
  till_drawer_session_write_json (session, &writer);
  till_api_send_written (msg, status, text);
}

/* @member (an amount) or `counts` (denomination in minor units → how many), exactly one of
 * them: the drawer's cash. */
static gboolean
read_cash (TillApi *self, JsonObject *object, const char *member, gint64 *out, GError **error)
{
  const TillCurrency *currency = till_currency_lookup (self->config->currency);
  JsonObject         *counts = NULL;
  gboolean            has_amount = json_object_has_member (object, member);
  g_autoptr (GArray) values = g_array_new (FALSE, FALSE, sizeof (gint64));
  g_autoptr (GArray) quantities = g_array_new (FALSE, FALSE, sizeof (gint64));
  g_autoptr (GList) names = NULL;

  if (!till_json_get_object (object, NULL, "counts", FALSE, &counts, error))
    return FALSE;
  if (has_amount == (counts != NULL))
    {
      g_set_error (error, TILL_JSON_ERROR,
                   has_amount ? TILL_JSON_ERROR_INVALID : TILL_JSON_ERROR_MISSING,
                   _ ("%s or counts: exactly one of them is needed"), member);
      return FALSE;
    }
  if (has_amount)
    return till_json_get_int (object, NULL, member, TRUE, 0, TILL_AMOUNT_MAX, out, error);

  names = json_object_get_members (counts);
  for (GList *l = names; l != NULL; l = l->next)
    {
      const char      *name = l->data;
      g_autofree char *path = g_strdup_printf ("counts.%s", name);
      gint64           value, quantity;

      if (!g_ascii_string_to_signed (name, 10, 1, TILL_AMOUNT_MAX, &value, NULL))
        {
          g_set_error (error, TILL_JSON_ERROR, TILL_JSON_ERROR_INVALID,
                       _ ("%s: not a note or coin value in minor units"), path);
          return FALSE;
        }
      if (!till_json_get_int (counts, "counts", name, TRUE, 0, TILL_CASH_QUANTITY_MAX, &quantity,
                              error))
        return FALSE;
      g_array_append_val (values, value);
      g_array_append_val (quantities, quantity);
    }
  return till_cash_count_total (currency, (gint64 *) values->data, (gint64 *) quantities->data,
                                values->len, out, error);
}

static void
handle_open (TillApi *self, SoupServerMessage *msg, TillTerminal *terminal)
{
  static const char *members[] = { "float", "counts", NULL };
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) object = till_api_read_json_body (msg, &error);
  g_autoptr (TillDrawerSession) session = NULL;
  gint64 float_amount = 0;

  if (object == NULL || !till_json_check_members (object, NULL, members, &error) ||
      !read_cash (self, object, "float", &float_amount, &error) ||
      (session = till_drawer_open (self->db, terminal->id, float_amount, &error)) == NULL)
    {
      till_api_send_error (msg, error);
      return;
    }
  g_debug ("Drawer session %" G_GINT64_FORMAT " opened on terminal %" G_GINT64_FORMAT, session->id,
           terminal->id);
  send_session (msg, SOUP_STATUS_CREATED, session);
}

static void
handle_movement (TillApi *self, SoupServerMessage *msg, TillTerminal *terminal)
{
  static const char *members[] = { "type", "amount", "reason", NULL };
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) object = till_api_read_json_body (msg, &error);
  g_autoptr (TillDrawerMovement) movement = NULL;
  g_autofree char *type = NULL;
  g_autofree char *reason = NULL;
  const char    *key = soup_message_headers_get_one (soup_server_message_get_request_headers (msg),
                                                     "Idempotency-Key");
  gint64         amount = 0;
  gboolean       no_sale, existing = FALSE;
  GString       *text;
  TillJsonWriter writer;

  if (object == NULL || !till_json_check_members (object, NULL, members, &error) ||
      !till_json_get_string (object, NULL, "type", TRUE, 16, &type, &error) ||
      !till_json_get_int (object, NULL, "amount", TRUE, 0, TILL_AMOUNT_MAX, &amount, &error) ||
      !till_json_get_string (object, NULL, "reason", FALSE, 4 * REASON_MAX, &reason, &error))
    {
      till_api_send_error (msg, error);
      return;
    }
  no_sale = g_str_equal (type, "no_sale");
  if (!no_sale && !g_str_equal (type, "pay_in") && !g_str_equal (type, "pay_out"))
    g_set_error (&error, TILL_JSON_ERROR, TILL_JSON_ERROR_INVALID,
                 _ ("type: must be “pay_in”, “pay_out” or “no_sale”"));
  else if (no_sale && amount != 0)
    g_set_error (&error, TILL_JSON_ERROR, TILL_JSON_ERROR_INVALID,
                 _ ("amount: a no-sale takes no money, so it is 0"));
  else if (!no_sale && amount == 0)
    g_set_error (&error, TILL_JSON_ERROR, TILL_JSON_ERROR_INVALID,
                 _ ("amount: a pay-in or pay-out must be more than zero"));
  else if (!no_sale && (reason == NULL || *g_strstrip (reason) == '\0' ||
                        g_utf8_strlen (reason, -1) > REASON_MAX))
    g_set_error (&error, TILL_JSON_ERROR, TILL_JSON_ERROR_INVALID,
                 _ ("reason: a pay-in or pay-out needs one, of 1 to %d characters"), REASON_MAX);
  else if (reason != NULL && g_utf8_strlen (reason, -1) > REASON_MAX)
    g_set_error (&error, TILL_JSON_ERROR, TILL_JSON_ERROR_INVALID,
                 _ ("reason: at most %d characters"), REASON_MAX);
  else if (key != NULL && (*key == '\0' || strlen (key) > 200))
    g_set_error (&error, TILL_API_ERROR, TILL_API_ERROR_INVALID_REQUEST,
                 _ ("Idempotency-Key: must have 1 to 200 characters"));
  if (error != NULL)
    {
      till_api_send_error (msg, error);
      return;
    }
  movement = till_drawer_add_movement (self->db, terminal->id, type, amount, reason, key, &existing,
                                       &error);
  if (movement == NULL)
    {
      till_api_send_error (msg, error);
      return;
    }
  g_debug ("Drawer movement %" G_GINT64_FORMAT " (%s) on terminal %" G_GINT64_FORMAT, movement->id,
           movement->type, terminal->id);
  text = g_string_sized_new (256);
  till_json_writer_init (&writer, text);
  till_json_writer_begin_object (&writer);
  till_json_writer_name (&writer, "movement");
  till_drawer_movement_write_json (movement, &writer);
  till_json_writer_end_object (&writer);
  till_api_send_written (msg, existing ? SOUP_STATUS_OK : SOUP_STATUS_CREATED, text);
}

static void
handle_close (TillApi *self, SoupServerMessage *msg, TillTerminal *terminal)
{
  static const char *members[] = { "counted", "counts", NULL };
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) object = till_api_read_json_body (msg, &error);
  g_autoptr (TillDrawerSession) session = NULL;
  const char *key = soup_message_headers_get_one (soup_server_message_get_request_headers (msg),
                                                  "Idempotency-Key");
  gint64      counted = 0, closed;

  if (object == NULL || !till_json_check_members (object, NULL, members, &error) ||
      !read_cash (self, object, "counted", &counted, &error))
    {
      till_api_send_error (msg, error);
      return;
    }
  if (key != NULL && (*key == '\0' || strlen (key) > 200))
    {
      till_api_send_new_error (msg, TILL_API_ERROR_INVALID_REQUEST,
                               _ ("Idempotency-Key: must have 1 to 200 characters"));
      return;
    }
  /* Closed with this key before (its answer was lost): that session, as it was closed. */
  closed = key != NULL ? till_drawer_find_closed (self->db, terminal->id, key, &error) : 0;
  if (closed != 0)
    {
      if (closed > 0 && (session = till_drawer_get (self->db, closed, &error)) != NULL)
        send_session (msg, SOUP_STATUS_OK, session);
      else
        till_api_send_error (msg, error);
      return;
    }
  session = till_drawer_close (self->db, terminal->id, counted, key, &error);
  if (session == NULL)
    {
      till_api_send_error (msg, error);
      return;
    }
  g_debug ("Drawer session %" G_GINT64_FORMAT " closed on terminal %" G_GINT64_FORMAT, session->id,
           terminal->id);
  send_session (msg, SOUP_STATUS_OK, session);
}

void
till_api_handle_drawer (TillApi           *self,
                        SoupServerMessage *msg,
                        const char        *method,
                        const char        *action,
                        TillTerminal      *terminal)
{
  g_autoptr (GError) error = NULL;

  if (action == NULL)
    {
      g_autoptr (TillDrawerSession) session = NULL;
      gint64 id = till_drawer_find_open (self->db, terminal->id, &error);

      if (id == 0)
        till_api_send_new_error (msg, TILL_API_ERROR_NOT_FOUND,
                                 _ ("This terminal has no drawer session open"));
      else if (id < 0 || (session = till_drawer_get (self->db, id, &error)) == NULL)
        till_api_send_error (msg, error);
      else
        send_session (msg, SOUP_STATUS_OK, session);
      return;
    }

  /* The sales waiting for their batch go into the session first. */
  till_api_flush_checkouts (self);
  if (g_str_equal (action, "open"))
    handle_open (self, msg, terminal);
  else if (g_str_equal (action, "movements"))
    handle_movement (self, msg, terminal);
  else
    handle_close (self, msg, terminal);
}

/* Takes @json. */
static void
send_text_json (SoupServerMessage *msg, guint status, char *json)
{
  GString *text = g_string_new (json);

  g_free (json);
  till_api_send_written (msg, status, text);
}

static void
handle_z_make (TillApi *self, SoupServerMessage *msg, TillTerminal *terminal)
{
  static const char *members[] = { "counted", "counts", NULL };
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) object = till_api_read_json_body_full (msg, TRUE, &error);
  const char *key = soup_message_headers_get_one (soup_server_message_get_request_headers (msg),
                                                  "Idempotency-Key");
  gboolean    count_given, existing = FALSE;
  gint64      open_id, counted = 0;
  char       *body;

  if (error == NULL && object != NULL && !till_json_check_members (object, NULL, members, &error))
    {
      till_api_send_error (msg, error);
      return;
    }
  if (error != NULL)
    {
      till_api_send_error (msg, error);
      return;
    }
  if (key != NULL && (*key == '\0' || strlen (key) > 200))
    {
      till_api_send_new_error (msg, TILL_API_ERROR_INVALID_REQUEST,
                               _ ("Idempotency-Key: must have 1 to 200 characters"));
      return;
    }
  count_given = object != NULL && (json_object_has_member (object, "counted") ||
                                   json_object_has_member (object, "counts"));
  if (count_given && !read_cash (self, object, "counted", &counted, &error))
    {
      till_api_send_error (msg, error);
      return;
    }

  /* A retry of a Z made already is answered as it was, whatever the drawer is now. */
  if (key != NULL &&
      (body = till_zreports_get_by_key (self->db, terminal->id, key, &error)) != NULL)
    {
      send_text_json (msg, SOUP_STATUS_OK, body);
      return;
    }
  if (error != NULL)
    {
      till_api_send_error (msg, error);
      return;
    }

  /* The day closes with the drawer: counted now, or before. */
  till_api_flush_checkouts (self);
  open_id = till_drawer_find_open (self->db, terminal->id, &error);
  if (open_id < 0)
    {
      till_api_send_error (msg, error);
      return;
    }
  if (open_id > 0 && !count_given)
    {
      till_api_send_new_error (msg, TILL_API_ERROR_INVALID_STATE,
                               _ ("The drawer is open: close it with its count first, or send "
                                  "the count with the Z report"));
      return;
    }
  if (open_id > 0)
    {
      g_autoptr (TillDrawerSession) session =
          till_drawer_close (self->db, terminal->id, counted, NULL, &error);

      if (session == NULL)
        {
          till_api_send_error (msg, error);
          return;
        }
    }
  else if (count_given)
    {
      till_api_send_new_error (msg, TILL_API_ERROR_INVALID_STATE,
                               _ ("The drawer is closed already: send the Z report without a "
                                  "count"));
      return;
    }

  body =
      till_zreports_make (self->db, terminal->id, self->config->currency, key, &existing, &error);
  if (body == NULL)
    {
      till_api_send_error (msg, error);
      return;
    }
  g_debug ("Z report made for terminal %" G_GINT64_FORMAT, terminal->id);
  send_text_json (msg, existing ? SOUP_STATUS_OK : SOUP_STATUS_CREATED, body);
}

static void
handle_z_list (TillApi *self, SoupServerMessage *msg, GHashTable *query, TillTerminal *terminal)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) bodies = NULL;
  g_autofree char *next_cursor = NULL;
  const char      *cursor = till_api_query_get (query, "cursor");
  gint64           before = 0, next = 0;
  GString         *text;

  if (cursor != NULL && !till_api_cursor_decode (cursor, &before, &error))
    {
      till_api_send_error (msg, error);
      return;
    }
  bodies = till_zreports_list (self->db, terminal->role == TILL_ROLE_ADMIN ? 0 : terminal->id,
                               before, 50, &next, &error);
  if (bodies == NULL)
    {
      till_api_send_error (msg, error);
      return;
    }
  text = g_string_new ("{\"reports\":[");
  for (guint i = 0; i < bodies->len; i++)
    {
      if (i > 0)
        g_string_append_c (text, ',');
      g_string_append (text, bodies->pdata[i]);
    }
  g_string_append (text, "],\"next_cursor\":");
  if (next > 0)
    {
      next_cursor = till_api_cursor_encode (next);
      g_string_append_printf (text, "\"%s\"}", next_cursor);
    }
  else
    g_string_append (text, "null}");
  till_api_send_written (msg, SOUP_STATUS_OK, text);
}

void
till_api_handle_shift_report (TillApi           *self,
                              SoupServerMessage *msg,
                              const char        *method,
                              const char        *kind,
                              const char        *number,
                              GHashTable        *query,
                              TillTerminal      *terminal)
{
  g_autoptr (GError) error = NULL;
  char *body;

  if (g_str_equal (kind, "x"))
    body = till_zreports_current (self->db, terminal->id, self->config->currency, &error);
  else if (number != NULL)
    body = till_zreports_get (self->db, number,
                              terminal->role == TILL_ROLE_ADMIN ? 0 : terminal->id, &error);
  else if (g_str_equal (method, "POST"))
    {
      handle_z_make (self, msg, terminal);
      return;
    }
  else
    {
      handle_z_list (self, msg, query, terminal);
      return;
    }
  if (body == NULL)
    till_api_send_error (msg, error);
  else
    send_text_json (msg, SOUP_STATUS_OK, body);
}
