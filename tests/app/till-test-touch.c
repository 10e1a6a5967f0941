/* till-test-touch.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The browser's side of GTK 4.8's Broadway protocol, as gtk4-broadwayd's own broadway.js
 * speaks it over the websocket at /socket (subprotocol "broadway"):
 * - the daemon sends binary messages of operations, each a byte (the op), a 32-bit serial
 *   and its arguments, little-endian; this reads them all, to know each surface's id,
 *   position and size, and answers a roundtrip (op 16) with ROUNDTRIP_NOTIFY, as GDK waits
 *   for it;
 * - the browser sends each event as big-endian 32-bit integers: the event, the last serial
 *   seen, a time in ms, then its arguments. A touch (event 5) is: 0 begin, 1 update or 2 end;
 *   the surface; the sequence; whether it is the first finger (which GDK lets emulate the
 *   pointer); root x, y; surface x, y; the modifiers.
 */
#include "config.h"

#include <gio/gunixsocketaddress.h>
#include <glib/gstdio.h>
#include <libsoup/soup.h>
#include <signal.h>
#include <string.h>

#include "till-test-touch.h"
#include "till-test-util.h"

enum
{
  OP_GRAB_POINTER = 0,
  OP_UNGRAB_POINTER = 1,
  OP_NEW_SURFACE = 2,
  OP_SHOW_SURFACE = 3,
  OP_HIDE_SURFACE = 4,
  OP_RAISE_SURFACE = 5,
  OP_LOWER_SURFACE = 6,
  OP_DESTROY_SURFACE = 7,
  OP_MOVE_RESIZE = 8,
  OP_SET_TRANSIENT_FOR = 9,
  OP_DISCONNECTED = 10,
  OP_SET_SHOW_KEYBOARD = 12,
  OP_UPLOAD_TEXTURE = 13,
  OP_RELEASE_TEXTURE = 14,
  OP_SET_NODES = 15,
  OP_ROUNDTRIP = 16,
};

enum
{
  EVENT_ENTER = 0,
  EVENT_TOUCH = 5,
  EVENT_SCREEN_SIZE_CHANGED = 12,
  EVENT_ROUNDTRIP_NOTIFY = 14,
};

enum
{
  TOUCH_BEGIN = 0,
  TOUCH_UPDATE = 1,
  TOUCH_END = 2,
};

typedef struct
{
  guint    id;
  int      x, y, width, height;
  gboolean visible;
} Surface;

struct _TillTestTouch
{
  GSubprocess             *daemon;
  char                    *socket_path; /* GDK's, removed at the end */
  guint16                  port;
  SoupSession             *session;
  SoupWebsocketConnection *ws;
  GError                  *connect_error;
  gboolean                 connect_done;
  GHashTable              *surfaces; /* id → Surface */
  guint32                  serial;   /* the last the daemon sent */
  guint                    entered;  /* the surface the first finger is over */
  guint                    fingers;  /* sequences down: the first emulates the pointer */
  guint                    first_sequence;
  gint64                   start_us;
};

/* Whether GDK can connect to the daemon's socket now. */
static gboolean
socket_answers (const char *path)
{
  g_autoptr (GSocketClient) client = g_socket_client_new ();
  g_autoptr (GSocketAddress) address = g_unix_socket_address_new (path);
  g_autoptr (GSocketConnection) connection =
      g_socket_client_connect (client, G_SOCKET_CONNECTABLE (address), NULL, NULL);

  return connection != NULL;
}

/* One try at a daemon on a display and a port of their own: FALSE (and @error) when it did
 * not start or is gone already (its port taken meanwhile, say). */
static gboolean
start_daemon (TillTestTouch *touch, const char *daemon, char **out_display, GError **error)
{
  g_autoptr (GSubprocessLauncher) launcher = NULL;
  g_autofree char *display = NULL;
  g_autofree char *port = NULL;
  int              number = 0;

  g_clear_pointer (&touch->socket_path, g_free);
  /* A display nobody else's tests use: GDK finds the daemon at broadway(N+1).socket. */
  for (guint attempt = 0; attempt < 100 && touch->socket_path == NULL; attempt++)
    {
      g_autofree char *name = NULL;
      g_autofree char *path = NULL;

      number = g_random_int_range (100, 30000);
      name = g_strdup_printf ("broadway%d.socket", number + 1);
      path = g_build_filename (g_get_user_runtime_dir (), name, NULL);
      if (!g_file_test (path, G_FILE_TEST_EXISTS))
        touch->socket_path = g_steal_pointer (&path);
    }
  g_assert_nonnull (touch->socket_path);
  display = g_strdup_printf (":%d", number);
  /* Below the ephemeral range: no outgoing connection takes it before the daemon binds it. */
  touch->port = till_test_reusable_port ();
  port = g_strdup_printf ("%u", touch->port);
  /* A test that aborts takes its display with it (till_test_launcher_new). */
  launcher = till_test_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_SILENCE);
  touch->daemon = g_subprocess_launcher_spawnv (
      launcher,
      (const char *const[]){ daemon, "--address", "127.0.0.1", "--port", port, display, NULL },
      error);
  if (touch->daemon == NULL)
    return FALSE;
  /* Ready once GDK's socket is there and answers. */
  for (gint64 deadline = g_get_monotonic_time () + TILL_TEST_DEADLINE_MS * 1000;
       !g_file_test (touch->socket_path, G_FILE_TEST_EXISTS) ||
       !socket_answers (touch->socket_path);)
    {
      gint64 soon = g_get_monotonic_time () + 10 * G_TIME_SPAN_MILLISECOND;

      if (g_get_monotonic_time () > deadline || g_subprocess_get_identifier (touch->daemon) == NULL)
        {
          g_subprocess_force_exit (touch->daemon);
          g_clear_object (&touch->daemon);
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT, "gtk4-broadwayd %s did not start",
                       display);
          return FALSE;
        }
      till_test_wait_until (till_test_time_passed, &soon, 1000);
    }
  *out_display = g_steal_pointer (&display);
  return TRUE;
}

TillTestTouch *
till_test_touch_start (GError **error)
{
  g_autoptr (TillTestTouch) touch = g_new0 (TillTestTouch, 1);
  g_autofree char *daemon = g_find_program_in_path ("gtk4-broadwayd");
  g_autofree char *display = NULL;

  if (daemon == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                   "gtk4-broadwayd (libgtk-4-bin) is not installed");
      return NULL;
    }
  touch->surfaces = g_hash_table_new_full (NULL, NULL, NULL, g_free);
  touch->start_us = g_get_monotonic_time ();
  for (guint attempt = 0; display == NULL; attempt++)
    {
      g_autoptr (GError) local = NULL;

      if (!start_daemon (touch, daemon, &display, &local) && attempt == 2)
        {
          g_propagate_error (error, g_steal_pointer (&local));
          return NULL;
        }
    }
  g_setenv ("GDK_BACKEND", "broadway", TRUE);
  g_setenv ("BROADWAY_DISPLAY", display, TRUE);
  return g_steal_pointer (&touch);
}

void
till_test_touch_free (TillTestTouch *touch)
{
  if (touch == NULL)
    return;
  if (touch->ws != NULL &&
      soup_websocket_connection_get_state (touch->ws) == SOUP_WEBSOCKET_STATE_OPEN)
    soup_websocket_connection_close (touch->ws, SOUP_WEBSOCKET_CLOSE_NORMAL, NULL);
  g_clear_object (&touch->ws);
  g_clear_object (&touch->session);
  /* The daemon is left to end with this process (PR_SET_PDEATHSIG): GDK, still connected to it,
   * would exit at once if it went first. */
  g_clear_object (&touch->daemon);
  if (touch->socket_path != NULL)
    g_unlink (touch->socket_path);
  g_free (touch->socket_path);
  g_clear_pointer (&touch->surfaces, g_hash_table_unref);
  g_clear_error (&touch->connect_error);
  g_free (touch);
}

/* Events */

static void
send_event (TillTestTouch *touch, int event, const int *args, guint n_args)
{
  g_autofree guint32 *words = g_new (guint32, n_args + 3);
  g_autoptr (GBytes) bytes = NULL;

  words[0] = GUINT32_TO_BE ((guint32) event);
  words[1] = GUINT32_TO_BE (touch->serial);
  words[2] = GUINT32_TO_BE ((guint32) ((g_get_monotonic_time () - touch->start_us) / 1000 + 1));
  for (guint i = 0; i < n_args; i++)
    words[i + 3] = GUINT32_TO_BE ((guint32) args[i]);
  bytes = g_bytes_new (words, (n_args + 3) * sizeof (guint32));
  soup_websocket_connection_send_message (touch->ws, SOUP_WEBSOCKET_DATA_BINARY, bytes);
}

/* Reads the operations of one message from the daemon. */
static void
read_operations (TillTestTouch *touch, const guint8 *data, gsize size)
{
  gsize pos = 0;

#define NEED(n)                                                                                    \
  G_STMT_START                                                                                     \
  {                                                                                                \
    if (pos + (n) > size)                                                                          \
      g_error ("Broadway: a message cut short at %" G_GSIZE_FORMAT, pos);                          \
  }                                                                                                \
  G_STMT_END
#define U16() (pos += 2, (guint) data[pos - 2] | (guint) data[pos - 1] << 8)
#define S16() ((int) (gint16) U16 ())
#define U32()                                                                                      \
  (pos += 4, (guint32) data[pos - 4] | (guint32) data[pos - 3] << 8 |                              \
                 (guint32) data[pos - 2] << 16 | (guint32) data[pos - 1] << 24)

  while (pos < size)
    {
      guint    op;
      Surface *surface;
      guint    id;

      NEED (5);
      op = data[pos++];
      touch->serial = U32 ();
      switch (op)
        {
          case OP_GRAB_POINTER:
            NEED (3);
            pos += 3;
            break;
          case OP_UNGRAB_POINTER:
          case OP_DISCONNECTED:
            break;
          case OP_NEW_SURFACE:
            NEED (10);
            surface = g_new0 (Surface, 1);
            surface->id = U16 ();
            surface->x = S16 ();
            surface->y = S16 ();
            surface->width = U16 ();
            surface->height = U16 ();
            g_hash_table_replace (touch->surfaces, GUINT_TO_POINTER (surface->id), surface);
            break;
          case OP_SHOW_SURFACE:
          case OP_HIDE_SURFACE:
            NEED (2);
            id = U16 ();
            surface = g_hash_table_lookup (touch->surfaces, GUINT_TO_POINTER (id));
            if (surface != NULL)
              surface->visible = op == OP_SHOW_SURFACE;
            break;
          case OP_DESTROY_SURFACE:
            NEED (2);
            id = U16 ();
            g_hash_table_remove (touch->surfaces, GUINT_TO_POINTER (id));
            break;
          case OP_RAISE_SURFACE:
          case OP_LOWER_SURFACE:
          case OP_SET_SHOW_KEYBOARD:
            NEED (2);
            pos += 2;
            break;
          case OP_SET_TRANSIENT_FOR:
            NEED (4);
            pos += 4;
            break;
          case OP_MOVE_RESIZE:
            {
              guint flags;
              int   x, y, width, height;

              NEED (3);
              id = U16 ();
              flags = data[pos++];
              surface = g_hash_table_lookup (touch->surfaces, GUINT_TO_POINTER (id));
              if (flags & 1)
                {
                  NEED (4);
                  x = S16 ();
                  y = S16 ();
                  if (surface != NULL)
                    surface->x = x, surface->y = y;
                }
              if (flags & 2)
                {
                  NEED (4);
                  width = U16 ();
                  height = U16 ();
                  if (surface != NULL)
                    surface->width = width, surface->height = height;
                }
              break;
            }
          case OP_UPLOAD_TEXTURE:
            {
              guint32 length;

              NEED (8);
              pos += 4;
              length = U32 ();
              NEED (length);
              pos += length;
              break;
            }
          case OP_RELEASE_TEXTURE:
            NEED (4);
            pos += 4;
            break;
          case OP_SET_NODES:
            {
              guint32 words;

              NEED (6);
              pos += 2;
              words = U32 ();
              NEED ((gsize) words * 4);
              pos += (gsize) words * 4;
              break;
            }
          case OP_ROUNDTRIP:
            {
              int args[2];

              NEED (6);
              args[0] = (int) U16 ();
              args[1] = (int) U32 ();
              send_event (touch, EVENT_ROUNDTRIP_NOTIFY, args, 2);
              break;
            }
          default:
            g_error ("Broadway: unknown operation %u", op);
        }
    }
#undef NEED
#undef U16
#undef S16
#undef U32
}

static void
on_message (SoupWebsocketConnection *ws, int type, GBytes *message, TillTestTouch *touch)
{
  gsize         size;
  const guint8 *data = g_bytes_get_data (message, &size);

  if (type == SOUP_WEBSOCKET_DATA_BINARY)
    read_operations (touch, data, size);
}

static void
on_connected (GObject *source, GAsyncResult *result, gpointer user_data)
{
  TillTestTouch *touch = user_data;

  touch->ws =
      soup_session_websocket_connect_finish (SOUP_SESSION (source), result, &touch->connect_error);
  touch->connect_done = TRUE;
}

gboolean
till_test_touch_connect (TillTestTouch *touch, int width, int height, GError **error)
{
  g_autofree char *uri = g_strdup_printf ("http://127.0.0.1:%u/socket", touch->port);
  g_autoptr (SoupMessage) msg = soup_message_new ("GET", uri);
  const char *protocols[] = { "broadway", NULL };

  touch->session = soup_session_new ();
  soup_session_websocket_connect_async (touch->session, msg, NULL, (char **) protocols,
                                        G_PRIORITY_DEFAULT, NULL, on_connected, touch);
  if (!till_test_wait_for (&touch->connect_done, TILL_TEST_DEADLINE_MS))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT, "no websocket from gtk4-broadwayd");
      return FALSE;
    }
  if (touch->ws == NULL)
    {
      g_propagate_error (error, g_steal_pointer (&touch->connect_error));
      return FALSE;
    }
  /* Messages can be large: a window's textures. */
  soup_websocket_connection_set_max_incoming_payload_size (touch->ws, 0);
  g_signal_connect (touch->ws, "message", G_CALLBACK (on_message), touch);
  send_event (touch, EVENT_SCREEN_SIZE_CHANGED, (const int[]){ width, height, 1 }, 3);
  return TRUE;
}

/* A widget just shown is laid out at the next frame: where it is is known only then. */
static void
wait_laid_out (GtkWidget *widget)
{
  gint64 deadline = g_get_monotonic_time () + TILL_TEST_DEADLINE_MS * 1000;

  while (gtk_widget_get_width (widget) == 0 || gtk_widget_get_height (widget) == 0)
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_main_context_iteration (NULL, TRUE);
    }
}

/* The daemon's surface that shows @widget's, and where @widget's (@x, @y) is on it. */
static Surface *
find_surface (TillTestTouch *touch, GtkWidget *widget, double x, double y, int *out_x, int *out_y)
{
  GtkNative       *native = gtk_widget_get_native (widget);
  GdkSurface      *gdk_surface;
  graphene_point_t point;
  double           dx, dy;
  Surface         *found = NULL;
  GHashTableIter   iter;
  gpointer         value;
  gint64           deadline = g_get_monotonic_time () + TILL_TEST_DEADLINE_MS * 1000;

  g_assert_nonnull (native);
  wait_laid_out (widget);
  gdk_surface = gtk_native_get_surface (native);
  g_assert_nonnull (gdk_surface);
  g_assert_true (gtk_widget_compute_point (widget, GTK_WIDGET (native),
                                           &GRAPHENE_POINT_INIT ((float) x, (float) y), &point));
  gtk_native_get_surface_transform (native, &dx, &dy);
  *out_x = (int) (point.x + dx);
  *out_y = (int) (point.y + dy);

  /* GDK's surfaces have no public id: the one the daemon shows at the same size, the newest
   * when there are several. The daemon may not have been told yet. */
  while (found == NULL)
    {
      g_hash_table_iter_init (&iter, touch->surfaces);
      while (g_hash_table_iter_next (&iter, NULL, &value))
        {
          Surface *surface = value;

          if (surface->visible && surface->width == gdk_surface_get_width (gdk_surface) &&
              surface->height == gdk_surface_get_height (gdk_surface) &&
              (found == NULL || surface->id > found->id))
            found = surface;
        }
      if (found == NULL)
        {
          g_assert_cmpint (g_get_monotonic_time (), <, deadline);
          g_main_context_iteration (NULL, TRUE);
        }
    }
  return found;
}

static void
send_touch (TillTestTouch *touch, int kind, GtkWidget *widget, double x, double y, guint sequence)
{
  int      win_x, win_y;
  Surface *surface = find_surface (touch, widget, x, y, &win_x, &win_y);
  gboolean first;

  if (kind == TOUCH_BEGIN && touch->fingers++ == 0)
    touch->first_sequence = sequence;
  first = touch->fingers > 0 && touch->first_sequence == sequence;
  /* As broadway.js: the first finger enters the surface it touches. */
  if (kind == TOUCH_BEGIN && first && touch->entered != surface->id)
    {
      touch->entered = surface->id;
      send_event (touch, EVENT_ENTER,
                  (const int[]){ surface->id, surface->id, surface->x + win_x, surface->y + win_y,
                                 win_x, win_y, 0, 0 },
                  8);
    }
  g_debug ("touch %d, sequence %u, on surface %u (%d, %d %d×%d) at %d, %d", kind, sequence,
           surface->id, surface->x, surface->y, surface->width, surface->height, win_x, win_y);
  send_event (touch, EVENT_TOUCH,
              (const int[]){ kind, surface->id, sequence, first, surface->x + win_x,
                             surface->y + win_y, win_x, win_y, 0 },
              9);
  if (kind == TOUCH_END && touch->fingers > 0)
    touch->fingers--;
}

void
till_test_touch_begin (TillTestTouch *touch, GtkWidget *widget, double x, double y, guint sequence)
{
  send_touch (touch, TOUCH_BEGIN, widget, x, y, sequence);
}

void
till_test_touch_update (TillTestTouch *touch, GtkWidget *widget, double x, double y, guint sequence)
{
  send_touch (touch, TOUCH_UPDATE, widget, x, y, sequence);
}

void
till_test_touch_end (TillTestTouch *touch, GtkWidget *widget, double x, double y, guint sequence)
{
  send_touch (touch, TOUCH_END, widget, x, y, sequence);
}

void
till_test_touch_tap (TillTestTouch *touch, GtkWidget *widget)
{
  double x, y;

  wait_laid_out (widget);
  x = gtk_widget_get_width (widget) / 2.0;
  y = gtk_widget_get_height (widget) / 2.0;
  till_test_touch_begin (touch, widget, x, y, 1);
  till_test_touch_end (touch, widget, x, y, 1);
}

void
till_test_touch_drag (
    TillTestTouch *touch, GtkWidget *widget, double x, double y, double dx, double dy, guint steps)
{
  till_test_touch_begin (touch, widget, x, y, 1);
  for (guint i = 1; i <= steps; i++)
    {
      gint64 next = g_get_monotonic_time () + 16 * G_TIME_SPAN_MILLISECOND;

      till_test_wait_until (till_test_time_passed, &next, 1000);
      till_test_touch_update (touch, widget, x + dx * i / steps, y + dy * i / steps, 1);
    }
  till_test_touch_end (touch, widget, x + dx, y + dy, 1);
}
