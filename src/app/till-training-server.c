/* till-training-server.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The server is a child process: GSubprocess, stdout read for its first line ("till-server
 * listening on URL (training mode)"), stderr shared with the app (its log). It never outlives
 * the app: stopped when the app quits, and killed by the kernel (PR_SET_PDEATHSIG) when the
 * app dies without quitting.
 */
#include "config.h"

#include <errno.h>
#include <glib/gi18n.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "till-training-server.h"

/* How long till-server may take to say where it listens (a first start creates and fills
 * its database). */
#define START_TIMEOUT_S 30
#define STOP_TIMEOUT_MS 5000

struct _TillTrainingServer
{
  GObject parent_instance;

  char             *program;
  char             *database;
  GSubprocess      *process;
  GDataInputStream *out;
  char             *url;
  GPtrArray        *waiting; /* GTasks of start_async () while it starts */
  guint             timeout_id;
  gboolean          exited;
};

G_DEFINE_FINAL_TYPE (TillTrainingServer, till_training_server, G_TYPE_OBJECT)

static void
child_setup (gpointer user_data)
{
  pid_t parent = GPOINTER_TO_INT (user_data);

  /* Killed with the app, even by SIGKILL; and if the app died before this line, now. */
  prctl (PR_SET_PDEATHSIG, SIGTERM);
  if (getppid () != parent)
    _exit (1);
}

static void
finish_waiting (TillTrainingServer *self, const GError *error)
{
  g_autoptr (GPtrArray) waiting = g_steal_pointer (&self->waiting);

  g_clear_handle_id (&self->timeout_id, g_source_remove);
  for (guint i = 0; waiting != NULL && i < waiting->len; i++)
    {
      GTask *task = waiting->pdata[i];

      if (error != NULL)
        g_task_return_error (task, g_error_copy (error));
      else
        g_task_return_pointer (task, g_strdup (self->url), g_free);
    }
}

static void
forget_process (TillTrainingServer *self)
{
  g_clear_object (&self->out);
  g_clear_object (&self->process);
  g_clear_pointer (&self->url, g_free);
}

static void
on_exited (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (TillTrainingServer) self = user_data;

  g_subprocess_wait_finish (G_SUBPROCESS (source), result, NULL);
  if ((GSubprocess *) source != self->process)
    return;
  self->exited = TRUE;
  if (self->url != NULL)
    g_message ("The training server stopped");
  forget_process (self);
  if (self->waiting != NULL)
    {
      g_autoptr (GError) error = g_error_new (G_IO_ERROR, G_IO_ERROR_FAILED,
                                              _ ("The training server stopped as it started"));
      finish_waiting (self, error);
    }
}

static void
on_first_line (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (TillTrainingServer) self = user_data;
  g_autoptr (GError) error = NULL;
  g_autofree char *line = NULL;
  const char      *start, *end;

  line = g_data_input_stream_read_line_finish_utf8 (G_DATA_INPUT_STREAM (source), result, NULL,
                                                    &error);
  if ((GDataInputStream *) source != self->out || self->waiting == NULL)
    return;
  start = line != NULL ? strstr (line, " listening on ") : NULL;
  end = start != NULL ? strchr (start + strlen (" listening on "), ' ') : NULL;
  if (end == NULL)
    {
      g_autoptr (GError) failed =
          g_error_new (G_IO_ERROR, G_IO_ERROR_FAILED, _ ("The training server did not start: %s"),
                       error != NULL ? error->message : _ ("see its log"));
      if (self->process != NULL)
        g_subprocess_force_exit (self->process);
      finish_waiting (self, failed);
      return;
    }
  start += strlen (" listening on ");
  self->url = g_strndup (start, end - start);
  g_debug ("The app's training server listens on %s", self->url);
  finish_waiting (self, NULL);
}

static gboolean
on_start_timeout (gpointer user_data)
{
  TillTrainingServer *self = user_data;
  g_autoptr (GError) error = g_error_new (G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
                                          _ ("The training server did not start in time"));

  self->timeout_id = 0;
  if (self->process != NULL)
    g_subprocess_force_exit (self->process);
  finish_waiting (self, error);
  return G_SOURCE_REMOVE;
}

void
till_training_server_start_async (TillTrainingServer *self,
                                  GCancellable       *cancellable,
                                  GAsyncReadyCallback callback,
                                  gpointer            user_data)
{
  g_autoptr (GTask) task = NULL;
  g_autoptr (GSubprocessLauncher) launcher = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *dir = NULL;
  const char      *argv[] = { self->program, "--training",   "--listen", "127.0.0.1:0",
                              "--db",        self->database, NULL };

  g_return_if_fail (TILL_IS_TRAINING_SERVER (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, till_training_server_start_async);
  if (self->url != NULL)
    {
      g_task_return_pointer (task, g_strdup (self->url), g_free);
      return;
    }
  if (self->waiting != NULL)
    {
      g_ptr_array_add (self->waiting, g_steal_pointer (&task));
      return;
    }

  dir = g_path_get_dirname (self->database);
  if (g_mkdir_with_parents (dir, 0700) != 0)
    {
      int saved = errno;
      g_task_return_new_error (task, G_IO_ERROR, g_io_error_from_errno (saved),
                               _ ("Cannot create %s: %s"), dir, g_strerror (saved));
      return;
    }

  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE);
  /* Training needs no keys: none of the app's environment goes to it. */
  g_subprocess_launcher_unsetenv (launcher, "TILL_STRIPE_SECRET_KEY");
  g_subprocess_launcher_unsetenv (launcher, "TILL_STRIPE_PUBLISHABLE_KEY");
  g_subprocess_launcher_unsetenv (launcher, "TILL_STRIPE_WEBHOOK_SECRET");
  g_subprocess_launcher_unsetenv (launcher, "TILL_STRIPE_API_BASE");
  g_subprocess_launcher_unsetenv (launcher, "TILL_STRIPE_JS_URL");
  g_subprocess_launcher_unsetenv (launcher, "CREDENTIALS_DIRECTORY");
  g_subprocess_launcher_set_child_setup (launcher, child_setup, GINT_TO_POINTER (getpid ()), NULL);
  self->process = g_subprocess_launcher_spawnv (launcher, argv, &error);
  if (self->process == NULL)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_FAILED,
                               _ ("Cannot start the training server: %s"), error->message);
      return;
    }
  self->exited = FALSE;
  self->waiting = g_ptr_array_new_with_free_func (g_object_unref);
  g_ptr_array_add (self->waiting, g_steal_pointer (&task));
  self->out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (self->process));
  g_subprocess_wait_async (self->process, NULL, on_exited, g_object_ref (self));
  g_data_input_stream_read_line_async (self->out, G_PRIORITY_DEFAULT, NULL, on_first_line,
                                       g_object_ref (self));
  self->timeout_id = g_timeout_add_seconds (START_TIMEOUT_S, on_start_timeout, self);
}

char *
till_training_server_start_finish (TillTrainingServer *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

const char *
till_training_server_get_url (TillTrainingServer *self)
{
  g_return_val_if_fail (TILL_IS_TRAINING_SERVER (self), NULL);

  return self->url;
}

const char *
till_training_server_get_identifier (TillTrainingServer *self)
{
  g_return_val_if_fail (TILL_IS_TRAINING_SERVER (self), NULL);

  return self->process != NULL ? g_subprocess_get_identifier (self->process) : NULL;
}

static gboolean
on_stop_timeout (gpointer user_data)
{
  *(gboolean *) user_data = TRUE;
  return G_SOURCE_REMOVE;
}

void
till_training_server_stop (TillTrainingServer *self)
{
  g_autoptr (GSubprocess) process = NULL;
  gboolean timed_out = FALSE;
  guint    timeout;

  g_return_if_fail (TILL_IS_TRAINING_SERVER (self));

  if (self->process == NULL)
    return;
  process = g_object_ref (self->process);
  if (self->waiting != NULL)
    {
      g_autoptr (GError) error =
          g_error_new (G_IO_ERROR, G_IO_ERROR_CANCELLED, _ ("The training server was stopped"));
      finish_waiting (self, error);
    }
  g_subprocess_send_signal (process, SIGTERM);
  timeout = g_timeout_add (STOP_TIMEOUT_MS, on_stop_timeout, &timed_out);
  while (!self->exited && !timed_out)
    g_main_context_iteration (NULL, TRUE);
  if (!timed_out)
    g_source_remove (timeout);
  else
    {
      g_warning ("The training server did not stop in time: killed");
      g_subprocess_force_exit (process);
    }
  forget_process (self);
}

static void
till_training_server_dispose (GObject *object)
{
  TillTrainingServer *self = TILL_TRAINING_SERVER (object);

  if (self->process != NULL)
    g_subprocess_force_exit (self->process);
  forget_process (self);
  g_clear_handle_id (&self->timeout_id, g_source_remove);

  G_OBJECT_CLASS (till_training_server_parent_class)->dispose (object);
}

static void
till_training_server_finalize (GObject *object)
{
  TillTrainingServer *self = TILL_TRAINING_SERVER (object);

  g_free (self->program);
  g_free (self->database);

  G_OBJECT_CLASS (till_training_server_parent_class)->finalize (object);
}

static void
till_training_server_class_init (TillTrainingServerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = till_training_server_dispose;
  object_class->finalize = till_training_server_finalize;
}

static void
till_training_server_init (TillTrainingServer *self)
{
}

TillTrainingServer *
till_training_server_new (const char *program, const char *database)
{
  TillTrainingServer *self;

  g_return_val_if_fail (program != NULL, NULL);
  g_return_val_if_fail (database != NULL, NULL);

  self = g_object_new (TILL_TYPE_TRAINING_SERVER, NULL);
  self->program = g_strdup (program);
  self->database = g_strdup (database);
  return self;
}

char *
till_training_server_find_program (void)
{
  g_autofree char *self_path = g_file_read_link ("/proc/self/exe", NULL);
  g_autofree char *self_dir = self_path != NULL ? g_path_get_dirname (self_path) : NULL;
  g_autofree char *beside =
      self_dir != NULL ? g_build_filename (self_dir, "till-server", NULL) : NULL;
  g_autofree char *installed = g_build_filename (TILL_BINDIR, "till-server", NULL);

  if (beside != NULL && g_file_test (beside, G_FILE_TEST_IS_EXECUTABLE))
    return g_steal_pointer (&beside);
  if (g_file_test (installed, G_FILE_TEST_IS_EXECUTABLE))
    return g_steal_pointer (&installed);
  /* A program of the build tree (the app, a test) uses the build tree's server. */
  if (self_path != NULL && g_str_has_prefix (self_path, TILL_BUILD_ROOT "/") &&
      g_file_test (TILL_BUILD_SERVER, G_FILE_TEST_IS_EXECUTABLE))
    return g_strdup (TILL_BUILD_SERVER);
  return NULL;
}

char *
till_training_server_default_database (void)
{
  return g_build_filename (g_get_user_state_dir (), "till", "training.db", NULL);
}
