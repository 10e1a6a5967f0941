/* till-test-util.h: what every part's tests share: waiting for an event with a deadline,
 * temporary directories, and programs started as child processes.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Waiting means iterating the thread-default main context until a condition holds or a
 * deadline passes; nothing here sleeps.
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* Far above what any test waits for: a hang fails instead of blocking. */
#define TILL_TEST_DEADLINE_MS 20000

typedef gboolean (*TillTestCheck) (gpointer data);

/* Iterates the default main context until @check (@data) returns TRUE or @timeout_ms passed;
 * the last answer of @check. It also looks every 10 ms, for conditions that another thread
 * or process changes without waking the main loop. */
gboolean till_test_wait_until (TillTestCheck check, gpointer data, guint timeout_ms);
/* Until *@flag is TRUE. */
gboolean till_test_wait_for (gboolean *flag, guint timeout_ms);
/* A TillTestCheck for a gboolean. */
gboolean till_test_flag_is_set (gpointer flag);
/* A TillTestCheck: the monotonic clock has reached the gint64 (microseconds) at @deadline,
 * for a test in which time passing is the point (a window ends, a client pauses). */
gboolean till_test_time_passed (gpointer deadline);
/* Until @source's async call has ended: its result, or NULL at the deadline. */
GAsyncResult *till_test_wait_result (GAsyncResult **result, guint timeout_ms);
/* A GAsyncReadyCallback storing a reference to the result in the GAsyncResult ** given as
 * @user_data, for till_test_wait_result(). */
void till_test_store_result (GObject *source, GAsyncResult *result, gpointer user_data);

/* http://127.0.0.1:PORT with a port nobody listens on (bound, then closed). */
char *till_test_closed_port_url (void);

/* A fresh temporary directory named after @prefix ("till-cli-test"); remove it with
 * till_test_remove_tree(). */
char *till_test_make_tmpdir (const char *prefix);
/* Removes @path and everything below it. */
void till_test_remove_tree (const char *path);

/* A loopback port nothing listens on, below the kernel's range of ephemeral ports: a test
 * that stops a server and starts one again on its port does not race an outgoing connection
 * of another test taking that port as its own. */
guint16 till_test_reusable_port (void);
/* A launcher whose children are sent SIGTERM when the thread that started them ends, so a
 * test that aborts leaves no server behind holding a port or the test runner's pipes. A
 * caller that sets its own child setup calls till_test_child_dies_with_parent () in it. */
GSubprocessLauncher *till_test_launcher_new (GSubprocessFlags flags);
/* For a child setup function: asks the kernel to end this child with its parent. */
void till_test_child_dies_with_parent (void);
/* Sets each NAME=VALUE of @env (NULL-terminated, or NULL) in @launcher's environment. */
void till_test_launcher_set_env (GSubprocessLauncher *launcher, const char *const *env);

/* Starts @argv with @launcher (made with G_SUBPROCESS_FLAGS_STDOUT_PIPE) and reads the first
 * line it prints (till-server's "… listening on URL (… mode)", the simulator's URL): *@out_url
 * is the http:// or https:// address in it, up to the first space, or NULL when the program
 * printed none (it ended, or said something else) before the deadline. With @out_url NULL no
 * line is read (a program that prints no address). @out_stdout (or NULL) gets the stream the
 * line was read from, to read on. */
GSubprocess *till_test_spawn (GSubprocessLauncher *launcher,
                              const char *const   *argv,
                              char               **out_url,
                              GDataInputStream   **out_stdout,
                              GError             **error);
/* As till_test_spawn(); *@out_line (or NULL) is the whole first line, or NULL. */
GSubprocess *till_test_spawn_full (GSubprocessLauncher *launcher,
                                   const char *const   *argv,
                                   char               **out_line,
                                   char               **out_url,
                                   GDataInputStream   **out_stdout,
                                   GError             **error);
/* Sends @signum to @process (unless it has ended) and waits for it to end: its exit status,
 * or -1 if a signal ended it; it is killed when it outlives the deadline, and the test fails. */
int till_test_stop_process (GSubprocess *process, int signum);
/* Runs @argv to its end: what it printed, or NULL (and @error) when it could not start or
 * did not succeed. */
char *till_test_run_program (const char *const *argv, GError **error);
/* Runs @argv with @launcher to its end: *@out_stdout and *@out_stderr (or NULL) get what it
 * printed where @launcher pipes it; its exit status, or -1 if a signal ended it. A program
 * that cannot start, or is still running at the deadline (then it is killed), fails the
 * test. */
int till_test_run_launcher (GSubprocessLauncher *launcher,
                            const char *const   *argv,
                            char               **out_stdout,
                            char               **out_stderr);

G_END_DECLS
