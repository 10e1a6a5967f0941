/* till-http-listener.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Accepts connections for a SoupServer, so that a server holds what it should and no more:
 *
 * - every connection goes to libsoup through soup_server_accept_iostream () inside a
 *   TillHttpConnection, which makes libsoup 3.2 close connections whose peer has gone
 *   (till-http-connection.c says how and why);
 * - time limits per phase of a request (TillHttpLimits): a connection that sends nothing,
 *   half a header or half a body, or stays idle after an answer, is ended when its phase's
 *   time is up. The phases follow libsoup's signals; a request being handled (waiting for
 *   Stripe, say) has no limit here;
 * - caps on connections open at once, in all (below the process's descriptor limit) and from
 *   one address: beyond them a connection is answered 503 with Retry-After and closed
 *   before libsoup sees it (a TLS one is only closed: an answer would need a handshake).
 *
 * libsoup keeps a connection alive after an answer only while its server has a listener of
 * its own (request_finished () in soup-server.c). So the server is given one that nobody can
 * reach: one end of a socket pair whose other end we hold and never write to.
 */
#include "config.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include "till-http-private.h"

#define CONNECTION_KEY "till-http-tracked"
/* Descriptors kept for the rest of the process: the database, its WAL, Stripe's
 * connections, log files. */
#define RESERVED_DESCRIPTORS 64
#define ACCEPT_BACKOFF_MS 100
#define LISTEN_BACKLOG 256

typedef struct
{
  TillHttpListener   *listener; /* NULL once the listener is gone */
  TillHttpConnection *connection;
  char               *peer; /* the address, as text */
  TillHttpPhase       phase;
  gint64              deadline; /* monotonic µs; 0: none */
  GList               link;
} Tracked;

struct _TillHttpListener
{
  GObject parent_instance;

  SoupServer      *server;
  TillHttpLimits   limits;
  char            *busy_body;
  GTlsCertificate *certificate;
  GMainContext    *context;
  GSocket         *socket;
  GSource         *accept_source;
  GSource         *backoff_source;
  GSource         *sweep_source;
  GSocket         *keepalive_pair[2];
  GQueue           tracked;  /* Tracked *, oldest first */
  GHashTable      *per_peer; /* address → count */
  guint16          port;
  gint64           last_refusal_logged;
  gint64           last_accept_error_logged;
  gulong           signal_ids[4];
};

G_DEFINE_FINAL_TYPE (TillHttpListener, till_http_listener, G_TYPE_OBJECT)

static void
tracked_free (Tracked *tracked)
{
  g_free (tracked->peer);
  g_free (tracked);
}

static Tracked *
tracked_for_message (SoupServerMessage *msg)
{
  GSocketAddress *remote = soup_server_message_get_remote_address (msg);
  GObject        *connection =
      remote != NULL ? g_object_get_data (G_OBJECT (remote), CONNECTION_KEY) : NULL;

  return connection != NULL ? g_object_get_data (connection, CONNECTION_KEY) : NULL;
}

GSocket *
till_http_message_get_socket (SoupServerMessage *msg)
{
  Tracked *tracked = tracked_for_message (msg);

  if (tracked != NULL)
    return till_http_connection_get_socket (tracked->connection);
  return soup_server_message_get_socket (msg);
}

/* ---------------------------------------------------------------------------------------- */
/* Phases and their time limits */

static void
set_phase (Tracked *tracked, TillHttpPhase phase)
{
  TillHttpListener *self = tracked->listener;
  guint             timeout_ms = 0;

  tracked->phase = phase;
  if (self == NULL)
    return;
  switch (phase)
    {
      case TILL_HTTP_PHASE_NEW:
      case TILL_HTTP_PHASE_HEADERS:
        timeout_ms = self->limits.header_timeout_ms;
        break;
      case TILL_HTTP_PHASE_BODY:
        timeout_ms = self->limits.body_timeout_ms;
        break;
      case TILL_HTTP_PHASE_IDLE:
        timeout_ms = self->limits.idle_timeout_ms;
        break;
      case TILL_HTTP_PHASE_HANDLING:
      default:
        break;
    }
  tracked->deadline = timeout_ms > 0 ? g_get_monotonic_time () + (gint64) timeout_ms * 1000 : 0;
}

static void
on_got_headers (SoupServerMessage *msg, gpointer user_data)
{
  Tracked *tracked = tracked_for_message (msg);

  if (tracked != NULL && tracked->phase != TILL_HTTP_PHASE_HANDLING)
    set_phase (tracked, TILL_HTTP_PHASE_BODY);
}

static void
on_request_started (SoupServer *server, SoupServerMessage *msg, gpointer user_data)
{
  Tracked *tracked = tracked_for_message (msg);

  if (tracked == NULL)
    return;
  /* A new connection's first request starts when it is accepted (its limit runs since). */
  if (tracked->phase == TILL_HTTP_PHASE_IDLE)
    set_phase (tracked, TILL_HTTP_PHASE_HEADERS);
  g_signal_connect (msg, "got-headers", G_CALLBACK (on_got_headers), NULL);
}

static void
on_request_read (SoupServer *server, SoupServerMessage *msg, gpointer user_data)
{
  Tracked *tracked = tracked_for_message (msg);

  if (tracked != NULL)
    set_phase (tracked, TILL_HTTP_PHASE_HANDLING);
}

static void
on_request_done (SoupServer *server, SoupServerMessage *msg, gpointer user_data)
{
  Tracked *tracked = tracked_for_message (msg);

  if (tracked == NULL)
    return;
  till_http_connection_mark_boundary (tracked->connection);
  set_phase (tracked, TILL_HTTP_PHASE_IDLE);
}

static gboolean
on_sweep (gpointer user_data)
{
  TillHttpListener *self = user_data;
  gint64            now = g_get_monotonic_time ();
  GList            *l = self->tracked.head;

  while (l != NULL)
    {
      Tracked *tracked = l->data;

      l = l->next;
      if (tracked->deadline != 0 && now >= tracked->deadline)
        {
          g_debug ("Closing a connection from %s: its time is up (phase %d)", tracked->peer,
                   tracked->phase);
          tracked->deadline = 0;
          till_http_connection_abort (tracked->connection);
        }
    }
  return G_SOURCE_CONTINUE;
}

static guint
sweep_interval_ms (const TillHttpLimits *limits)
{
  guint shortest = G_MAXUINT;
  guint timeouts[] = { limits->header_timeout_ms, limits->body_timeout_ms,
                       limits->idle_timeout_ms };

  for (guint i = 0; i < G_N_ELEMENTS (timeouts); i++)
    if (timeouts[i] > 0)
      shortest = MIN (shortest, timeouts[i]);
  return shortest == G_MAXUINT ? 0 : CLAMP (shortest / 4, 20, 1000);
}

/* ---------------------------------------------------------------------------------------- */
/* Accepting */

static void
on_connection_closed (TillHttpConnection *connection, gpointer user_data)
{
  Tracked          *tracked = user_data;
  TillHttpListener *self = tracked->listener;
  guint             count;

  if (self == NULL)
    return;
  tracked->listener = NULL;
  g_queue_unlink (&self->tracked, &tracked->link);
  count = GPOINTER_TO_UINT (g_hash_table_lookup (self->per_peer, tracked->peer));
  if (count <= 1)
    g_hash_table_remove (self->per_peer, tracked->peer);
  else
    g_hash_table_insert (self->per_peer, g_strdup (tracked->peer), GUINT_TO_POINTER (count - 1));
  if (self->tracked.length == 0 && self->sweep_source != NULL)
    {
      g_source_destroy (self->sweep_source);
      g_clear_pointer (&self->sweep_source, g_source_unref);
    }
}

/* Beyond a cap: a short answer and the end, before libsoup or TLS sees the connection. */
static void
refuse (TillHttpListener *self, GSocket *socket, const char *peer)
{
  gint64 now = g_get_monotonic_time ();

  if (now - self->last_refusal_logged > 10 * G_USEC_PER_SEC)
    {
      self->last_refusal_logged = now;
      g_message ("Refusing connections (from %s and perhaps others): %u open, %u from it", peer,
                 self->tracked.length,
                 GPOINTER_TO_UINT (g_hash_table_lookup (self->per_peer, peer)));
    }
  if (self->certificate == NULL)
    {
      g_autofree char *answer =
          g_strdup_printf ("HTTP/1.1 503 Service Unavailable\r\n"
                           "Retry-After: %u\r\n"
                           "Content-Type: application/json\r\n"
                           "Content-Length: %zu\r\n"
                           "Cache-Control: no-store\r\n"
                           "Connection: close\r\n"
                           "\r\n%s",
                           self->limits.retry_after_s, strlen (self->busy_body), self->busy_body);
      char sink[4096];

      /* A few hundred bytes fit the new socket's buffer. What the peer already sent is read
       * first, so that closing sends it an end rather than a reset that could lose this. */
      while (g_socket_receive_with_blocking (socket, sink, sizeof sink, FALSE, NULL, NULL) > 0)
        ;
      g_socket_send_with_blocking (socket, answer, strlen (answer), FALSE, NULL, NULL);
      g_socket_shutdown (socket, FALSE, TRUE, NULL);
    }
  g_socket_close (socket, NULL);
}

static void
take (TillHttpListener *self, GSocket *socket)
{
  g_autoptr (GSocketAddress) remote = NULL;
  g_autoptr (GSocketAddress) local = NULL;
  g_autoptr (GIOStream) base = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char    *peer = NULL;
  TillHttpConnection *connection;
  Tracked            *tracked;
  guint               from_peer;

  remote = g_socket_get_remote_address (socket, NULL);
  local = g_socket_get_local_address (socket, NULL);
  if (remote == NULL || local == NULL)
    {
      g_socket_close (socket, NULL); /* gone already */
      return;
    }
  if (G_IS_INET_SOCKET_ADDRESS (remote))
    peer = g_inet_address_to_string (
        g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS (remote)));
  else
    peer = g_strdup ("local");

  from_peer = GPOINTER_TO_UINT (g_hash_table_lookup (self->per_peer, peer));
  if ((self->limits.max_connections > 0 && self->tracked.length >= self->limits.max_connections) ||
      (self->limits.max_per_peer > 0 && from_peer >= self->limits.max_per_peer))
    {
      refuse (self, socket, peer);
      return;
    }

  g_socket_set_option (socket, IPPROTO_TCP, TCP_NODELAY, TRUE, NULL);
  base = G_IO_STREAM (g_socket_connection_factory_create_connection (socket));
  if (self->certificate != NULL)
    {
      GIOStream *tls = g_tls_server_connection_new (base, self->certificate, &error);

      if (tls == NULL)
        {
          g_warning ("Cannot start TLS on a connection: %s", error->message);
          g_io_stream_close (base, NULL, NULL);
          return;
        }
      g_object_unref (base);
      base = tls;
    }

  tracked = g_new0 (Tracked, 1);
  tracked->listener = self;
  tracked->peer = g_steal_pointer (&peer);
  tracked->link.data = tracked;
  connection = till_http_connection_new (base, socket, on_connection_closed, tracked);
  tracked->connection = connection;
  g_queue_push_tail_link (&self->tracked, &tracked->link);
  g_hash_table_insert (self->per_peer, g_strdup (tracked->peer), GUINT_TO_POINTER (from_peer + 1));
  set_phase (tracked, TILL_HTTP_PHASE_NEW);

  /* The bookkeeping lives as long as the stream (which a handler may take over from
   * libsoup), and the stream at least as long as libsoup's connection, which holds the
   * address: that is how a message finds them. */
  g_object_set_data_full (G_OBJECT (connection), CONNECTION_KEY, tracked,
                          (GDestroyNotify) tracked_free);
  g_object_set_data_full (G_OBJECT (remote), CONNECTION_KEY, connection, g_object_unref);

  if (self->sweep_source == NULL && sweep_interval_ms (&self->limits) > 0)
    {
      self->sweep_source = g_timeout_source_new (sweep_interval_ms (&self->limits));
      g_source_set_callback (self->sweep_source, on_sweep, self, NULL);
      g_source_set_static_name (self->sweep_source, "[till] connection time limits");
      g_source_attach (self->sweep_source, self->context);
    }

  if (!soup_server_accept_iostream (self->server, G_IO_STREAM (connection), local, remote, &error))
    {
      g_warning ("Cannot serve a connection: %s", error->message);
      g_io_stream_close (G_IO_STREAM (connection), NULL, NULL);
    }
}

static gboolean on_incoming (GSocket *socket, GIOCondition condition, gpointer user_data);

static void
watch_incoming (TillHttpListener *self)
{
  self->accept_source = g_socket_create_source (self->socket, G_IO_IN, NULL);
  g_source_set_callback (self->accept_source, G_SOURCE_FUNC (on_incoming), self, NULL);
  g_source_set_static_name (self->accept_source, "[till] accept");
  g_source_attach (self->accept_source, self->context);
}

static gboolean
on_backoff_over (gpointer user_data)
{
  TillHttpListener *self = user_data;

  g_clear_pointer (&self->backoff_source, g_source_unref);
  watch_incoming (self);
  return G_SOURCE_REMOVE;
}

static gboolean
on_incoming (GSocket *listening, GIOCondition condition, gpointer user_data)
{
  TillHttpListener *self = user_data;

  for (;;)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (GSocket) socket = g_socket_accept (self->socket, NULL, &error);

      if (socket != NULL)
        {
          take (self, socket);
          continue;
        }
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
        return G_SOURCE_CONTINUE;

      /* Out of descriptors (EMFILE) or memory: what waits in the backlog waits a little,
       * instead of waking us up again at once, for ever. Said once in a while. */
      if (g_get_monotonic_time () - self->last_accept_error_logged > 10 * G_USEC_PER_SEC)
        {
          self->last_accept_error_logged = g_get_monotonic_time ();
          g_warning ("Cannot accept a connection: %s", error->message);
        }
      g_clear_pointer (&self->accept_source, g_source_unref);
      self->backoff_source = g_timeout_source_new (ACCEPT_BACKOFF_MS);
      g_source_set_callback (self->backoff_source, on_backoff_over, self, NULL);
      g_source_attach (self->backoff_source, self->context);
      return G_SOURCE_REMOVE;
    }
}

/* ---------------------------------------------------------------------------------------- */

static void
till_http_listener_dispose (GObject *object)
{
  TillHttpListener *self = TILL_HTTP_LISTENER (object);

  till_http_listener_disconnect (self);
  if (self->server != NULL)
    {
      for (guint i = 0; i < G_N_ELEMENTS (self->signal_ids); i++)
        g_clear_signal_handler (&self->signal_ids[i], self->server);
      g_clear_object (&self->server);
    }
  G_OBJECT_CLASS (till_http_listener_parent_class)->dispose (object);
}

static void
till_http_listener_finalize (GObject *object)
{
  TillHttpListener *self = TILL_HTTP_LISTENER (object);

  g_clear_pointer (&self->per_peer, g_hash_table_unref);
  g_clear_object (&self->certificate);
  g_clear_pointer (&self->context, g_main_context_unref);
  g_free (self->busy_body);
  G_OBJECT_CLASS (till_http_listener_parent_class)->finalize (object);
}

static void
till_http_listener_class_init (TillHttpListenerClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = till_http_listener_dispose;
  G_OBJECT_CLASS (klass)->finalize = till_http_listener_finalize;
}

static void
till_http_listener_init (TillHttpListener *self)
{
  self->per_peer = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
}

/* The total cap: as asked, but never more than the descriptors the process may open. */
static guint
descriptor_cap (guint asked)
{
  struct rlimit limit;
  guint         cap = asked;

  if (getrlimit (RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur != RLIM_INFINITY)
    {
      guint fit = limit.rlim_cur > 2 * RESERVED_DESCRIPTORS
                      ? (guint) (limit.rlim_cur - RESERVED_DESCRIPTORS)
                      : (guint) (limit.rlim_cur / 2);

      if (cap == 0 || cap > fit)
        cap = fit;
    }
  return cap;
}

TillHttpListener *
till_http_listener_new (SoupServer *server, const TillHttpLimits *limits, const char *busy_body)
{
  TillHttpListener *self = g_object_new (TILL_TYPE_HTTP_LISTENER, NULL);

  self->server = g_object_ref (server);
  self->limits = *limits;
  self->limits.max_connections = descriptor_cap (limits->max_connections);
  self->busy_body = g_strdup (busy_body);
  self->signal_ids[0] =
      g_signal_connect (server, "request-started", G_CALLBACK (on_request_started), self);
  self->signal_ids[1] =
      g_signal_connect (server, "request-read", G_CALLBACK (on_request_read), self);
  self->signal_ids[2] =
      g_signal_connect (server, "request-finished", G_CALLBACK (on_request_done), self);
  self->signal_ids[3] =
      g_signal_connect (server, "request-aborted", G_CALLBACK (on_request_done), self);
  return self;
}

void
till_http_listener_set_tls_certificate (TillHttpListener *self, GTlsCertificate *certificate)
{
  g_set_object (&self->certificate, certificate);
}

/* See the top of this file. */
static gboolean
give_keepalive_listener (TillHttpListener *self, GError **error)
{
  int fds[2];

  if (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0)
    {
      int saved = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved), "socketpair: %s",
                   g_strerror (saved));
      return FALSE;
    }
  self->keepalive_pair[0] = g_socket_new_from_fd (fds[0], error);
  if (self->keepalive_pair[0] == NULL)
    {
      close (fds[0]);
      close (fds[1]);
      return FALSE;
    }
  self->keepalive_pair[1] = g_socket_new_from_fd (fds[1], error);
  if (self->keepalive_pair[1] == NULL)
    {
      close (fds[1]);
      return FALSE;
    }
  return soup_server_listen_socket (self->server, self->keepalive_pair[0], 0, error);
}

gboolean
till_http_listener_listen (TillHttpListener *self, GSocketAddress *address, GError **error)
{
  g_autoptr (GSocket) socket = NULL;
  g_autoptr (GSocketAddress) bound = NULL;

  g_return_val_if_fail (self->socket == NULL, FALSE);

  socket = g_socket_new (g_socket_address_get_family (address), G_SOCKET_TYPE_STREAM,
                         G_SOCKET_PROTOCOL_TCP, error);
  if (socket == NULL)
    return FALSE;
  g_socket_set_blocking (socket, FALSE);
  g_socket_set_listen_backlog (socket, LISTEN_BACKLOG);
  if (!g_socket_bind (socket, address, TRUE, error) || !g_socket_listen (socket, error))
    return FALSE;
  bound = g_socket_get_local_address (socket, error);
  if (bound == NULL)
    return FALSE;
  if (self->keepalive_pair[0] == NULL && !give_keepalive_listener (self, error))
    return FALSE;

  self->port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
  self->socket = g_steal_pointer (&socket);
  self->context = g_main_context_ref_thread_default ();
  watch_incoming (self);
  return TRUE;
}

guint16
till_http_listener_get_port (TillHttpListener *self)
{
  return self->port;
}

guint
till_http_listener_get_n_connections (TillHttpListener *self)
{
  return self->tracked.length;
}

const TillHttpLimits *
till_http_listener_get_limits (TillHttpListener *self)
{
  return &self->limits;
}

void
till_http_listener_disconnect (TillHttpListener *self)
{
  GList *l;

  if (self->accept_source != NULL)
    {
      g_source_destroy (self->accept_source);
      g_clear_pointer (&self->accept_source, g_source_unref);
    }
  if (self->backoff_source != NULL)
    {
      g_source_destroy (self->backoff_source);
      g_clear_pointer (&self->backoff_source, g_source_unref);
    }
  if (self->sweep_source != NULL)
    {
      g_source_destroy (self->sweep_source);
      g_clear_pointer (&self->sweep_source, g_source_unref);
    }
  if (self->socket != NULL)
    {
      g_socket_close (self->socket, NULL);
      g_clear_object (&self->socket);
    }
  if (self->server != NULL)
    soup_server_disconnect (self->server);
  /* What libsoup no longer holds (streams taken over by a handler) is only forgotten here:
   * whoever took it closes it. */
  while ((l = g_queue_pop_head_link (&self->tracked)) != NULL)
    ((Tracked *) l->data)->listener = NULL;
  g_hash_table_remove_all (self->per_peer);
  for (guint i = 0; i < G_N_ELEMENTS (self->keepalive_pair); i++)
    if (self->keepalive_pair[i] != NULL)
      {
        g_socket_close (self->keepalive_pair[i], NULL);
        g_clear_object (&self->keepalive_pair[i]);
      }
}
