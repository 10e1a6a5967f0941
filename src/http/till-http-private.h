/* till-http-private.h: the connection stream between a TillHttpListener and libsoup
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "till-http-listener.h"

G_BEGIN_DECLS

typedef enum
{
  TILL_HTTP_PHASE_NEW,      /* accepted, no byte yet */
  TILL_HTTP_PHASE_HEADERS,  /* a request's first byte read, not all its headers */
  TILL_HTTP_PHASE_BODY,     /* its headers read, not all its body */
  TILL_HTTP_PHASE_HANDLING, /* read: the handler and the answer (no limit here) */
  TILL_HTTP_PHASE_IDLE,     /* answered, kept alive, no byte of the next request yet */
} TillHttpPhase;

#define TILL_TYPE_HTTP_CONNECTION (till_http_connection_get_type ())
G_DECLARE_FINAL_TYPE (TillHttpConnection, till_http_connection, TILL, HTTP_CONNECTION, GIOStream)

typedef void (*TillHttpConnectionFunc) (TillHttpConnection *connection, gpointer user_data);

/* @base is the socket's stream, or the TLS connection over it. @on_closed is called once,
 * when the stream is closed (by libsoup, or by whoever stole it from libsoup). */
TillHttpConnection *till_http_connection_new (GIOStream             *base,
                                              GSocket               *socket,
                                              TillHttpConnectionFunc on_closed,
                                              gpointer               user_data);
GSocket            *till_http_connection_get_socket (TillHttpConnection *self);
/* Where a request starts: what is read from here on is a new request's. */
void till_http_connection_mark_boundary (TillHttpConnection *self);
/* Ends the connection from our side: the peer is told (shutdown), and libsoup, reading, finds
 * the end as if the peer had gone. */
void till_http_connection_abort (TillHttpConnection *self);

G_END_DECLS
