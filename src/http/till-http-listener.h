/* till-http-listener.h: accepting HTTP connections for a SoupServer, with time limits and caps
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <libsoup/soup.h>

G_BEGIN_DECLS

/* What a server lets one connection, one peer and everyone hold. A timeout of 0 is none. */
typedef struct
{
  guint header_timeout_ms; /* from the accept, or the request's first byte, to its last header */
  guint body_timeout_ms;   /* from the last header to the body's last byte */
  guint idle_timeout_ms;   /* from an answer to the next request's first byte (keep-alive) */
  guint max_connections;   /* open at once, in all; 0: as many as the descriptors allow */
  guint max_per_peer;      /* open at once from one address; 0: no cap of its own */
  guint retry_after_s;     /* the Retry-After of the 503 beyond a cap */
} TillHttpLimits;

#define TILL_HTTP_LIMITS_INIT                                                                      \
  {                                                                                                \
    10000, 30000, 60000, 0, 64, 2                                                                  \
  }

#define TILL_TYPE_HTTP_LISTENER (till_http_listener_get_type ())
G_DECLARE_FINAL_TYPE (TillHttpListener, till_http_listener, TILL, HTTP_LISTENER, GObject)

/* @busy_body is the JSON body of the 503 beyond a cap (in the server's own error shape). */
TillHttpListener *
till_http_listener_new (SoupServer *server, const TillHttpLimits *limits, const char *busy_body);
void till_http_listener_set_tls_certificate (TillHttpListener *self, GTlsCertificate *certificate);
/* Listens on @address (port 0: any free one) in the thread-default main context. */
gboolean
        till_http_listener_listen (TillHttpListener *self, GSocketAddress *address, GError **error);
guint16 till_http_listener_get_port (TillHttpListener *self);
/* Stops listening and closes every connection. */
void                  till_http_listener_disconnect (TillHttpListener *self);
guint                 till_http_listener_get_n_connections (TillHttpListener *self);
const TillHttpLimits *till_http_listener_get_limits (TillHttpListener *self);

/* The socket under @msg's connection, when it was accepted by a TillHttpListener. */
GSocket *till_http_message_get_socket (SoupServerMessage *msg);

G_END_DECLS
