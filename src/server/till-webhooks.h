/* till-webhooks.h: Stripe webhook signatures and events.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <json-glib/json-glib.h>

#include "till-database.h"

G_BEGIN_DECLS

#define TILL_WEBHOOK_TOLERANCE_SECONDS 300

/* Checks a Stripe-Signature header over the raw body: t=…, one or more v1=… (others
 * ignored), HMAC-SHA256 of "t.body" with @secret, compared in constant time, and a
 * timestamp within @tolerance seconds of @now. */
gboolean till_webhook_verify (const char   *header,
                              const guint8 *body,
                              gsize         length,
                              const char   *secret,
                              gint64        now,
                              gint64        tolerance,
                              GError      **error);
/* The header value Stripe would send (for tests and the simulator stand-in). */
char *till_webhook_sign (const guint8 *body, gsize length, const char *secret, gint64 timestamp);

/* Applies a verified event. *out_duplicate when its id was seen before (nothing done). */
gboolean till_webhook_handle_event (TillDatabase *db,
                                    JsonObject   *event,
                                    gboolean     *out_duplicate,
                                    GError      **error);

/* The id of the Charge to fetch before @event can be applied with its card, or NULL: an
 * intent that succeeded, for a pending order of this database, in an event not seen before,
 * whose `latest_charge` is only an id and which has no `charges` list (the shape of API
 * version 2022-11-15 and later, in which Stripe sends events to an endpoint set to it). */
const char *till_webhook_charge_to_fetch (TillDatabase *db, JsonObject *event);
/* Puts @charge, as fetched, in the place of the id in @event's intent. */
void till_webhook_attach_charge (JsonObject *event, JsonObject *charge);

/* Events are remembered, for duplicates, this long: Stripe retries a delivery for up to 3
 * days, and keeps an event 30 days, during which it can be sent again by hand. */
#define TILL_WEBHOOK_EVENTS_KEPT_DAYS 30

/* Forgets the events received before @received_before (µs since the epoch), among the
 * @limit oldest, in the transaction begun; how many, or -1 with @error. An event delivered
 * again after that is handled again, which moves no order backwards. */
gint
till_webhook_forget_events (TillDatabase *db, gint64 received_before, guint limit, GError **error);

G_END_DECLS
