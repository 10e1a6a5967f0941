/* test-server-connections.c: what till-server and till-stripe-sim hold after a day of
 * connections: peers that leave (the CLOSE-WAIT leak of libsoup 3.2), time limits per phase
 * of a request, caps per peer and in all, and requests that take long being left alone.
 *
 * The programs run as processes with a low descriptor limit (as under systemd, only lower),
 * and are counted from /proc.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <glib/gstdio.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "till-stripe-sim.h"
#include "till-test-server.h"

/* Far above anything a test waits for, so a hang fails instead of blocking. */
#define RECEIVE_TIMEOUT_S 10

typedef struct
{
  GSubprocess *process;
  char        *dir;
  char        *host;
  guint16      port;
} Program;

static void
limit_descriptors (gpointer user_data)
{
  struct rlimit limit = { GPOINTER_TO_UINT (user_data), GPOINTER_TO_UINT (user_data) };

  till_test_child_dies_with_parent ();
  setrlimit (RLIMIT_NOFILE, &limit);
}

/* Starts @argv (till-server or till-stripe-sim) with at most @nofile descriptors, and reads
 * the address it prints first. */
static Program *
program_start (const char *const *argv, const char *const *env, guint nofile)
{
  g_autoptr (GSubprocessLauncher) launcher =
      till_test_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE);
  g_autoptr (GError) error = NULL;
  g_autofree char *url = NULL;
  g_autofree char *log = NULL;
  Program         *program = g_new0 (Program, 1);
  static guint     started;
  const char      *colon;

  program->dir = till_test_make_tmpdir ("till-connections");
  log = g_strdup_printf ("%s/connections-process-%u.log", till_test_log_dir (), ++started);
  g_subprocess_launcher_set_stderr_file_path (launcher, log);
  g_subprocess_launcher_set_cwd (launcher, program->dir);
  g_subprocess_launcher_unsetenv (launcher, "TILL_STRIPE_SECRET_KEY");
  till_test_launcher_set_env (launcher, env);
  g_subprocess_launcher_set_child_setup (launcher, limit_descriptors, GUINT_TO_POINTER (nofile),
                                         NULL);
  /* Both print their address on the first line of stdout. */
  program->process = till_test_spawn (launcher, argv, &url, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (url);
  g_assert_true (g_str_has_prefix (url, "http://"));
  colon = strchr (url + strlen ("http://"), ':');
  g_assert_nonnull (colon);
  program->host = g_strndup (url + strlen ("http://"), colon - (url + strlen ("http://")));
  program->port = (guint16) g_ascii_strtoull (colon + 1, NULL, 10);
  g_assert_cmpuint (program->port, >, 0);
  return program;
}

static void
program_stop (Program *program)
{
  till_test_stop_process (program->process, SIGTERM);
  g_object_unref (program->process);
  till_test_remove_tree (program->dir);
  g_free (program->dir);
  g_free (program->host);
  g_free (program);
}

static const char *
program_pid (Program *program)
{
  return g_subprocess_get_identifier (program->process);
}

static guint
count_descriptors (Program *program)
{
  g_autofree char *path = g_strdup_printf ("/proc/%s/fd", program_pid (program));
  g_autoptr (GDir) dir = g_dir_open (path, 0, NULL);
  guint n = 0;

  g_assert_nonnull (dir);
  while (g_dir_read_name (dir) != NULL)
    n++;
  return n;
}

/* ---------------------------------------------------------------------------------------- */
/* A client on plain blocking sockets: the programs run in processes of their own. */

static int
connect_from (Program *program, const char *from)
{
  struct sockaddr_in address = { .sin_family = AF_INET, .sin_port = htons (program->port) };
  struct timeval     timeout = { .tv_sec = RECEIVE_TIMEOUT_S };
  int                fd = socket (AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

  g_assert_cmpint (fd, >=, 0);
  setsockopt (fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  if (from != NULL)
    {
      struct sockaddr_in local = { .sin_family = AF_INET };

      g_assert_cmpint (inet_pton (AF_INET, from, &local.sin_addr), ==, 1);
      g_assert_cmpint (bind (fd, (struct sockaddr *) &local, sizeof local), ==, 0);
    }
  g_assert_cmpint (inet_pton (AF_INET, program->host, &address.sin_addr), ==, 1);
  g_assert_cmpint (connect (fd, (struct sockaddr *) &address, sizeof address), ==, 0);
  return fd;
}

static int
connect_to (Program *program)
{
  return connect_from (program, NULL);
}

static void
send_text (int fd, const char *text)
{
  g_assert_cmpint (send (fd, text, strlen (text), MSG_NOSIGNAL), ==, (gssize) strlen (text));
}

/* Reads one answer (headers, and a body of Content-Length bytes); NULL if the connection
 * ended first. */
static char *
read_answer (int fd)
{
  GString *text = g_string_new (NULL);
  char     buffer[4096];

  for (;;)
    {
      const char *end = strstr (text->str, "\r\n\r\n");

      if (end != NULL)
        {
          const char *length = strstr (text->str, "Content-Length: ");
          gsize       body = length != NULL && length < end
                                 ? g_ascii_strtoull (length + strlen ("Content-Length: "), NULL, 10)
                                 : 0;

          if (text->len >= (gsize) (end - text->str) + 4 + body)
            return g_string_free (text, FALSE);
        }
      {
        gssize n = recv (fd, buffer, sizeof buffer, 0);

        g_assert_cmpint (n, >=, 0); /* not a timeout */
        if (n == 0)
          {
            g_string_free (text, TRUE);
            return NULL;
          }
        g_string_append_len (text, buffer, n);
      }
    }
}

/* Whether the other side ends the connection (rather than RECEIVE_TIMEOUT_S passing). */
static gboolean
ended_by_peer (int fd)
{
  char   buffer[4096];
  gssize n;

  while ((n = recv (fd, buffer, sizeof buffer, 0)) > 0)
    ;
  return n == 0 || errno == ECONNRESET;
}

static void
assert_status (const char *answer, const char *status)
{
  g_assert_nonnull (answer);
  g_assert_true (g_str_has_prefix (answer, status));
}

typedef struct
{
  Program *program;
  guint    expected;
} Descriptors;

static gboolean
at_most_expected (gpointer data)
{
  Descriptors *descriptors = data;

  return count_descriptors (descriptors->program) <= descriptors->expected;
}

static gboolean
descriptors_back (Program *program, guint expected)
{
  Descriptors descriptors = { program, expected };

  /* The program closes what it has seen end as soon as its loop runs: another process, so
   * the wait looks at /proc again every few milliseconds. */
  return till_test_wait_until (at_most_expected, &descriptors, 10000);
}

typedef struct
{
  Program *program;
  guint    count;
  gint64   since;
} Settling;

/* The count has held still for 100 ms. */
static gboolean
held_still (gpointer data)
{
  Settling *settling = data;
  guint     now = count_descriptors (settling->program);

  if (now != settling->count)
    {
      settling->count = now;
      settling->since = g_get_monotonic_time ();
      return FALSE;
    }
  return g_get_monotonic_time () - settling->since >= 100 * 1000;
}

/* A few connections first, so that what the program opens once (database, threads' pipes)
 * is open before counting; then the count once it holds still. */
static guint
settled_descriptors (Program *program, const char *request)
{
  Settling settling = { program, 0, g_get_monotonic_time () };

  for (guint i = 0; i < 10; i++)
    {
      int              fd = connect_to (program);
      g_autofree char *answer = NULL;

      send_text (fd, request);
      answer = read_answer (fd);
      g_assert_nonnull (answer);
      close (fd);
    }
  till_test_wait_until (held_still, &settling, 10000);
  return settling.count;
}

typedef struct
{
  Program    *program;
  const char *request;
  char       *answer;
  gint64      last;
} Answered;

/* Asks again at most every 100 ms: the answer is not 503 (busy), which says Retry-After. */
static gboolean
answered_not_busy (gpointer data)
{
  Answered *answered = data;
  int       fd;

  if (answered->answer != NULL && g_get_monotonic_time () - answered->last < 100 * 1000)
    return FALSE;
  fd = connect_to (answered->program);
  send_text (fd, answered->request);
  g_free (answered->answer);
  answered->answer = read_answer (fd);
  answered->last = g_get_monotonic_time ();
  close (fd);
  g_assert_nonnull (answered->answer);
  if (strstr (answered->answer, " 503 ") == NULL)
    return TRUE;
  g_assert_nonnull (strstr (answered->answer, "\r\nRetry-After: "));
  return FALSE;
}

/* 5,000 connections that end in each of the ways a day's clients end them, from a program
 * allowed 256 descriptors: afterwards it still answers, and holds what it held before. */
static void
churn (Program *program, const char *request)
{
  g_autofree char *two = g_strconcat (request, request, NULL);
  guint            before = settled_descriptors (program, request);
  int              fd;

  for (guint i = 0; i < 5000; i++)
    {
      fd = connect_to (program);
      switch (i % 5)
        {
          case 0:
          case 1:
            /* An answer, kept alive, and the client leaves (a browser, a webhook sender). */
            send_text (fd, request);
            g_free (read_answer (fd));
            break;
          case 2:
            /* Two answers on one connection, then the client leaves. */
            send_text (fd, two);
            g_free (read_answer (fd));
            break;
          case 3:
            /* Connects and leaves without a word (a health check's port probe). */
            break;
          case 4:
            /* Half a request line, then gone. */
            send_text (fd, "GET /hea");
            break;
        }
      close (fd);
    }

  /* It still answers: at once, or, if it has not yet seen the last of those leave (on a busy
   * machine), after what it says with 503 and Retry-After. */
  {
    Answered answered = { program, request, NULL, 0 };

    till_test_wait_until (answered_not_busy, &answered, 10000);
    g_assert_nonnull (answered.answer);
    g_assert_null (strstr (answered.answer, " 503 "));
    g_free (answered.answer);
  }
  g_assert_true (descriptors_back (program, before));
}

static void
test_server_churn (void)
{
  const char *argv[] = { TILL_SERVER_PATH, "--training",  "--db", "till.db",
                         "--listen",       "127.0.0.1:0", NULL };
  Program    *program = program_start (argv, NULL, 256);

  churn (program, "GET /healthz HTTP/1.1\r\nHost: till\r\n\r\n");
  program_stop (program);
}

static void
test_sim_churn (void)
{
  const char *argv[] = { TILL_STRIPE_SIM_PATH, "--listen", "127.0.0.1:0", NULL };
  Program    *program = program_start (argv, NULL, 256);

  churn (program, "GET /v3/ HTTP/1.1\r\nHost: sim\r\n\r\n");
  program_stop (program);
}

/* ---------------------------------------------------------------------------------------- */
/* Time limits */

static void
test_server_timeouts (void)
{
  const char *argv[] = { TILL_SERVER_PATH, "--training",  "--db", "till.db",
                         "--listen",       "127.0.0.1:0", NULL };
  const char *env[] = { "TILL_HTTP_TIMEOUTS_MS=300,600,900", NULL };
  Program    *program = program_start (argv, env, 256);
  guint       before = settled_descriptors (program, "GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n");
  int         silent, half_header, half_body, idle, busy;
  g_autofree char *answer = NULL;

  /* Each ends by the server's doing, well before the client's receive timeout. */
  silent = connect_to (program);
  half_header = connect_to (program);
  send_text (half_header, "GET /healthz HTTP/1.1\r\nHost: t\r\nX-Long: ");
  half_body = connect_to (program);
  send_text (half_body, "POST /api/v1/checkouts HTTP/1.1\r\nHost: t\r\n"
                        "Content-Type: application/json\r\nContent-Length: 40\r\n\r\n{\"cli");
  idle = connect_to (program);
  send_text (idle, "GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n");
  answer = read_answer (idle);
  assert_status (answer, "HTTP/1.1 200");
  g_assert_true (ended_by_peer (silent));
  g_assert_true (ended_by_peer (half_header));
  g_assert_true (ended_by_peer (half_body));
  g_assert_true (ended_by_peer (idle));

  /* A client that keeps talking is never cut off. */
  busy = connect_to (program);
  for (guint i = 0; i < 5; i++)
    {
      g_autofree char *again = NULL;
      gint64           until = g_get_monotonic_time () + 200 * 1000;

      /* Less than the idle limit between requests, 1 s in all. */
      g_assert_true (till_test_wait_until (till_test_time_passed, &until, 1000));
      send_text (busy, "GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n");
      again = read_answer (busy);
      assert_status (again, "HTTP/1.1 200");
    }

  close (silent);
  close (half_header);
  close (half_body);
  close (idle);
  close (busy);
  g_assert_true (descriptors_back (program, before));
  program_stop (program);
}

/* A request being handled has no time limit: a Stripe call slower than every limit still
 * gets its answer on its connection. */
static void
test_handling_not_cut (void)
{
  TillTestSim    *sim = till_test_sim_new ();
  TillTestServer *server;
  g_autoptr (TillTestResponse) response = NULL;
  g_autoptr (GError) error = NULL;

  g_setenv ("TILL_HTTP_TIMEOUTS_MS", "100,100,100", TRUE);
  server = till_test_server_new (sim->base, NULL, NULL);
  g_unsetenv ("TILL_HTTP_TIMEOUTS_MS");

  /* Retrieving an intent that does not exist goes to Stripe, which takes 600 ms. */
  till_test_sim_fault (sim, "delay=600", 1);
  response = till_test_request (server, "GET", "/api/v1/orders?q=pi_0000000000000000000000000",
                                server->cashier_token, NULL);
  g_assert_cmpuint (response->status, ==, 200);

  till_test_server_free (server);
  till_test_sim_free (sim);
}

/* ---------------------------------------------------------------------------------------- */
/* Caps */

static void
test_server_caps (void)
{
  g_autofree char *dir = g_dir_make_tmp ("till-caps-XXXXXX", NULL);
  g_autofree char *conf = g_build_filename (dir, "till.conf", NULL);
  const char      *argv[] = { TILL_SERVER_PATH, "--training", "--db", "till.db", "--listen",
                              "127.0.0.1:0",    "--config",   conf,   NULL };
  Program         *program;
  int              held[6];
  int              fd;
  g_autofree char *refused = NULL;
  g_autofree char *other = NULL;
  g_autofree char *after = NULL;

  g_assert_true (g_file_set_contents (conf,
                                      "[server]\nmax-connections = 6\n"
                                      "max-connections-per-peer = 4\n",
                                      -1, NULL));
  program = program_start (argv, NULL, 256);

  /* Four from 127.0.0.1, kept open (idle); the fifth is refused with 503 and Retry-After. */
  for (guint i = 0; i < 4; i++)
    {
      held[i] = connect_to (program);
      send_text (held[i], "GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n");
      g_free (read_answer (held[i]));
    }
  fd = connect_to (program);
  refused = read_answer (fd);
  assert_status (refused, "HTTP/1.1 503");
  g_assert_nonnull (strstr (refused, "\r\nRetry-After: "));
  g_assert_nonnull (strstr (refused, "\"server_busy\""));
  g_assert_true (ended_by_peer (fd));
  close (fd);

  /* Another address still gets in, until there are six in all. */
  for (guint i = 4; i < 6; i++)
    {
      held[i] = connect_from (program, "127.0.0.2");
      send_text (held[i], "GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n");
      g_free (other);
      other = read_answer (held[i]);
      assert_status (other, "HTTP/1.1 200");
    }
  fd = connect_from (program, "127.0.0.3");
  g_free (other);
  other = read_answer (fd);
  assert_status (other, "HTTP/1.1 503");
  close (fd);

  /* One leaves: there is room again. */
  close (held[0]);
  {
    gint64 deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;

    for (;;)
      {
        fd = connect_to (program);
        send_text (fd, "GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n");
        g_free (after);
        after = read_answer (fd);
        close (fd);
        if (g_str_has_prefix (after, "HTTP/1.1 200") || g_get_monotonic_time () > deadline)
          break;
      }
  }
  assert_status (after, "HTTP/1.1 200");

  for (guint i = 1; i < 6; i++)
    close (held[i]);
  program_stop (program);
  g_unlink (conf);
  g_rmdir (dir);
}

/* A 400 ends its connection: whatever the client sends after it is not read as a request. */
static void
test_bad_request_closes (void)
{
  const char      *argv[] = { TILL_SERVER_PATH, "--training",  "--db", "till.db",
                              "--listen",       "127.0.0.1:0", NULL };
  Program         *program = program_start (argv, NULL, 256);
  int              fd = connect_to (program);
  g_autofree char *answer = NULL;
  const char      *body = "{not json";
  g_autofree char *request = g_strdup_printf ("POST /api/v1/training/terminals HTTP/1.1\r\n"
                                              "Host: t\r\nContent-Type: application/json\r\n"
                                              "Content-Length: %zu\r\n\r\n%s"
                                              "GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n",
                                              strlen (body), body);

  send_text (fd, request);
  answer = read_answer (fd);
  assert_status (answer, "HTTP/1.1 400");
  g_assert_nonnull (strstr (answer, "Connection: close"));
  /* The request sent behind it is not answered. */
  g_assert_true (ended_by_peer (fd));
  close (fd);
  program_stop (program);
}

/* A 400, 411 or 413 sent before the body is read ends its connection at once, whether the
 * body was sent whole or not at all: the client sees the end without waiting for a time
 * limit, and the server holds nothing of it afterwards. */
static void
test_early_answer_closes (void)
{
  g_autofree char *dir = g_dir_make_tmp ("till-early-XXXXXX", NULL);
  g_autofree char *conf = g_build_filename (dir, "till.conf", NULL);
  const char      *argv[] = { TILL_SERVER_PATH, "--training", "--db", "till.db", "--listen",
                              "127.0.0.1:0",    "--config",   conf,   NULL };
  /* A body's time limit far beyond RECEIVE_TIMEOUT_S: only the server's own end counts. */
  const char      *env[] = { "TILL_HTTP_TIMEOUTS_MS=60000,60000,60000", NULL };
  g_autofree char *large = g_strnfill (2048, 'x');
  g_autofree char *too_large = g_strdup_printf ("Content-Length: 2048\r\n\r\n%s", large);
  const struct
  {
    const char *rest;
    const char *status;
  } requests[] = {
    { "Transfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n", "HTTP/1.1 411" },
    { "Transfer-Encoding: chunked\r\n\r\n", "HTTP/1.1 411" },
    { too_large, "HTTP/1.1 413" },
    { "Content-Length: 2\r\nContent-Length: 2\r\n\r\n{}", "HTTP/1.1 400" },
  };
  Program *program;
  guint    before;

  g_assert_true (g_file_set_contents (conf, "[server]\nmax-body-kib = 1\n", -1, NULL));
  program = program_start (argv, env, 256);
  before = settled_descriptors (program, "GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n");

  for (guint i = 0; i < G_N_ELEMENTS (requests); i++)
    {
      g_autofree char *request = g_strconcat ("POST /api/v1/training/terminals HTTP/1.1\r\n"
                                              "Host: t\r\nContent-Type: application/json\r\n",
                                              requests[i].rest, NULL);
      g_autofree char *answer = NULL;
      int              fd = connect_to (program);

      send_text (fd, request);
      answer = read_answer (fd);
      assert_status (answer, requests[i].status);
      g_assert_nonnull (strstr (answer, "\r\nConnection: close\r\n"));
      g_assert_true (ended_by_peer (fd));
      /* The server lets the connection go even while a client keeps its end open (the
       * first); the others close theirs, as clients do when they see the end. */
      if (i > 0)
        close (fd);
      g_assert_true (descriptors_back (program, before));
      if (i == 0)
        close (fd);
    }

  program_stop (program);
  g_unlink (conf);
  g_rmdir (dir);
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  till_test_capture_logs ("test-server-connections");

  g_test_add_func ("/server/connections/churn", test_server_churn);
  g_test_add_func ("/server/connections/sim-churn", test_sim_churn);
  g_test_add_func ("/server/connections/timeouts", test_server_timeouts);
  g_test_add_func ("/server/connections/handling-not-cut", test_handling_not_cut);
  g_test_add_func ("/server/connections/caps", test_server_caps);
  g_test_add_func ("/server/connections/bad-request-closes", test_bad_request_closes);
  g_test_add_func ("/server/connections/early-answer-closes", test_early_answer_closes);

  return g_test_run ();
}
