/* till-cash-journal.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The journal is one append-only file of records, one a line:
 *
 *     <16 hex digits: the start of the SHA-256 of the JSON> <JSON object>\n
 *
 * {"type":"sale","client_reference":…,"request":{…}} is a cash sale as the app made it;
 * {"type":"uploaded","client_reference":…,"order":"…"} says the server has it. A sale is
 * pending until an "uploaded" record names it. Nothing is ever rewritten: each record is
 * written whole with one write() and fsync()ed before the call returns (and the directory
 * too when the file is made), so a sale the cashier was told is kept survives SIGKILL and a
 * power cut. A power cut in the middle of a write leaves a last line without its newline or
 * whose checksum does not match: it is a sale the cashier was never told was kept, and it is
 * cut off when the journal is opened, never uploaded half. A damaged line anywhere else
 * (the disk, not us) stops the opening with an error rather than losing what follows it.
 *
 * The server takes each sale exactly once by its client_reference: an app killed after the
 * server recorded a sale but before "uploaded" was written sends it again, and the server
 * answers with the same order.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <unistd.h>

#include "till-cash-journal.h"
#include "till-core.h"

#define CHECKSUM_LENGTH 16

struct _TillCashJournal
{
  GObject     parent_instance;
  char       *path;
  int         fd;
  GPtrArray  *sales;    /* of TillCashJournalSale, in the order they were made */
  GHashTable *uploaded; /* client references */
};

G_DEFINE_FINAL_TYPE (TillCashJournal, till_cash_journal, G_TYPE_OBJECT)

void
till_cash_journal_sale_free (TillCashJournalSale *sale)
{
  if (sale == NULL)
    return;
  g_free (sale->client_reference);
  g_clear_pointer (&sale->request, json_node_unref);
  g_free (sale);
}

static void
till_cash_journal_finalize (GObject *object)
{
  TillCashJournal *self = TILL_CASH_JOURNAL (object);

  if (self->fd >= 0)
    close (self->fd);
  g_free (self->path);
  g_ptr_array_unref (self->sales);
  g_hash_table_unref (self->uploaded);
  G_OBJECT_CLASS (till_cash_journal_parent_class)->finalize (object);
}

static void
till_cash_journal_class_init (TillCashJournalClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = till_cash_journal_finalize;
}

static void
till_cash_journal_init (TillCashJournal *self)
{
  self->fd = -1;
  self->sales = g_ptr_array_new_with_free_func ((GDestroyNotify) till_cash_journal_sale_free);
  self->uploaded = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
}

/* Returns: (transfer full): $XDG_DATA_HOME/till/cash-journal. */
char *
till_cash_journal_default_path (void)
{
  return g_build_filename (g_get_user_data_dir (), "till", "cash-journal", NULL);
}

static char *
checksum (const char *json, gsize length)
{
  g_autofree char *sha =
      g_compute_checksum_for_data (G_CHECKSUM_SHA256, (const guchar *) json, length);

  return g_strndup (sha, CHECKSUM_LENGTH);
}

static gboolean
io_error (GError **error, int errsv, const char *what, const char *path)
{
  g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errsv), "%s %s: %s", what, path,
               g_strerror (errsv));
  return FALSE;
}

/* Takes one record (a line without its newline) into the journal's state. */
static gboolean
take_record (TillCashJournal *self, const char *line, gsize length, GError **error)
{
  g_autofree char *sum = NULL;
  g_autoptr (JsonObject) record = NULL;
  const char *json = line + CHECKSUM_LENGTH + 1;
  gsize       json_length = length - CHECKSUM_LENGTH - 1;
  const char *type, *reference;

  if (length <= CHECKSUM_LENGTH + 1 || line[CHECKSUM_LENGTH] != ' ')
    return FALSE;
  sum = checksum (json, json_length);
  if (memcmp (sum, line, CHECKSUM_LENGTH) != 0)
    return FALSE;
  record = till_json_parse_object (json, (gssize) json_length, error);
  if (record == NULL)
    return FALSE;
  type = json_object_get_string_member_with_default (record, "type", "");
  reference = json_object_get_string_member_with_default (record, "client_reference", "");
  if (*reference == '\0')
    return FALSE;
  if (g_str_equal (type, "sale") && json_object_has_member (record, "request") &&
      JSON_NODE_HOLDS_OBJECT (json_object_get_member (record, "request")))
    {
      TillCashJournalSale *sale = g_new0 (TillCashJournalSale, 1);

      sale->client_reference = g_strdup (reference);
      sale->request = json_node_copy (json_object_get_member (record, "request"));
      g_ptr_array_add (self->sales, sale);
    }
  else if (g_str_equal (type, "uploaded"))
    g_hash_table_add (self->uploaded, g_strdup (reference));
  else
    return FALSE;
  return TRUE;
}

static gboolean
sync_directory (const char *path, GError **error)
{
  g_autofree char *dir = g_path_get_dirname (path);
  int              fd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

  if (fd < 0)
    return io_error (error, errno, "Could not open", dir);
  if (fsync (fd) != 0)
    {
      int errsv = errno;

      close (fd);
      return io_error (error, errsv, "Could not sync", dir);
    }
  close (fd);
  return TRUE;
}

/**
 * till_cash_journal_open:
 * @path: the journal's file (till_cash_journal_default_path()); it and its directory are made
 *   when missing
 *
 * Reads the journal and opens it for appending. A torn last record (a write cut short) is
 * cut off; a damaged record before the last one is an error.
 *
 * Returns: (transfer full): the journal, or %NULL and @error.
 */
TillCashJournal *
till_cash_journal_open (const char *path, GError **error)
{
  g_autoptr (TillCashJournal) self = g_object_new (TILL_TYPE_CASH_JOURNAL, NULL);
  g_autofree char *dir = g_path_get_dirname (path);
  g_autofree char *contents = NULL;
  g_autoptr (GError) local_error = NULL;
  gsize    length = 0, start = 0, good_end = 0;
  gboolean created;

  g_return_val_if_fail (path != NULL, NULL);

  self->path = g_strdup (path);
  if (g_mkdir_with_parents (dir, 0700) != 0)
    {
      io_error (error, errno, "Could not make", dir);
      return NULL;
    }
  created = !g_file_test (path, G_FILE_TEST_EXISTS);
  self->fd = open (path, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (self->fd < 0)
    {
      io_error (error, errno, "Could not open", path);
      return NULL;
    }
  if (created && (fsync (self->fd) != 0 || !sync_directory (path, error)))
    {
      if (error != NULL && *error == NULL)
        io_error (error, errno, "Could not sync", path);
      return NULL;
    }
  if (!g_file_get_contents (path, &contents, &length, error))
    return NULL;

  while (start < length)
    {
      const char *newline = memchr (contents + start, '\n', length - start);
      gsize       end = newline != NULL ? (gsize) (newline - contents) : length;
      g_autoptr (GError) record_error = NULL;

      if (newline == NULL || !take_record (self, contents + start, end - start, &record_error))
        {
          if (newline != NULL && memchr (contents + end + 1, '\n', length - end - 1) != NULL)
            {
              g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                           "%s: record at byte %" G_GSIZE_FORMAT " is damaged%s%s", path, start,
                           record_error != NULL ? ": " : "",
                           record_error != NULL ? record_error->message : "");
              return NULL;
            }
          break; /* the last record, torn */
        }
      start = end + 1;
      good_end = start;
    }
  if (good_end < length)
    {
      g_message ("cash journal %s: cutting off a torn last record (%" G_GSIZE_FORMAT " bytes)",
                 path, length - good_end);
      if (ftruncate (self->fd, (off_t) good_end) != 0 || fsync (self->fd) != 0)
        {
          io_error (error, errno, "Could not cut off the torn end of", path);
          return NULL;
        }
    }
  return g_steal_pointer (&self);
}

const char *
till_cash_journal_get_path (TillCashJournal *self)
{
  g_return_val_if_fail (TILL_IS_CASH_JOURNAL (self), NULL);

  return self->path;
}

/* Writes @record as one line with one write(), then fsync()s: when it returns TRUE the record
 * is on the disk. */
static gboolean
append_record (TillCashJournal *self, JsonObject *record, GError **error)
{
  g_autoptr (JsonNode) node = json_node_init_object (json_node_alloc (), record);
  g_autofree char *json = till_json_to_string (node, FALSE);
  g_autofree char *sum = checksum (json, strlen (json));
  g_autofree char *line = g_strdup_printf ("%s %s\n", sum, json);
  gsize            length = strlen (line), written = 0;

  while (written < length)
    {
      ssize_t n = write (self->fd, line + written, length - written);

      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        return io_error (error, errno, "Could not write to", self->path);
      written += (gsize) n;
    }
  if (fsync (self->fd) != 0)
    return io_error (error, errno, "Could not sync", self->path);
  return TRUE;
}

/**
 * till_cash_journal_add_sale:
 * @client_reference: the sale's reference, by which the server takes it exactly once
 * @request: the body of its POST /api/v1/checkouts (tender cash, offline, lines as sold)
 *
 * Returns: whether the sale is on the disk; only then may the cashier be told it is kept.
 */
gboolean
till_cash_journal_add_sale (TillCashJournal *self,
                            const char      *client_reference,
                            JsonNode        *request,
                            GError         **error)
{
  g_autoptr (JsonObject) record = json_object_new ();
  TillCashJournalSale *sale;

  g_return_val_if_fail (TILL_IS_CASH_JOURNAL (self), FALSE);
  g_return_val_if_fail (client_reference != NULL && *client_reference != '\0', FALSE);
  g_return_val_if_fail (request != NULL && JSON_NODE_HOLDS_OBJECT (request), FALSE);

  json_object_set_string_member (record, "type", "sale");
  json_object_set_string_member (record, "client_reference", client_reference);
  json_object_set_member (record, "request", json_node_copy (request));
  if (!append_record (self, record, error))
    return FALSE;
  sale = g_new0 (TillCashJournalSale, 1);
  sale->client_reference = g_strdup (client_reference);
  sale->request = json_node_copy (request);
  g_ptr_array_add (self->sales, sale);
  return TRUE;
}

/* Records that the server has the sale @client_reference, as order @order_number. */
gboolean
till_cash_journal_mark_uploaded (TillCashJournal *self,
                                 const char      *client_reference,
                                 const char      *order_number,
                                 GError         **error)
{
  g_autoptr (JsonObject) record = json_object_new ();

  g_return_val_if_fail (TILL_IS_CASH_JOURNAL (self), FALSE);
  g_return_val_if_fail (client_reference != NULL, FALSE);

  json_object_set_string_member (record, "type", "uploaded");
  json_object_set_string_member (record, "client_reference", client_reference);
  json_object_set_string_member (record, "order", order_number != NULL ? order_number : "");
  if (!append_record (self, record, error))
    return FALSE;
  g_hash_table_add (self->uploaded, g_strdup (client_reference));
  return TRUE;
}

/**
 * till_cash_journal_get_pending:
 *
 * Returns: (transfer container) (element-type TillCashJournalSale): the sales the server
 *   does not have yet, oldest first (owned by the journal).
 */
GPtrArray *
till_cash_journal_get_pending (TillCashJournal *self)
{
  GPtrArray *pending = g_ptr_array_new ();

  g_return_val_if_fail (TILL_IS_CASH_JOURNAL (self), pending);

  for (guint i = 0; i < self->sales->len; i++)
    {
      TillCashJournalSale *sale = g_ptr_array_index (self->sales, i);

      if (!g_hash_table_contains (self->uploaded, sale->client_reference))
        g_ptr_array_add (pending, sale);
    }
  return pending;
}

guint
till_cash_journal_get_n_pending (TillCashJournal *self)
{
  g_autoptr (GPtrArray) pending = till_cash_journal_get_pending (self);

  return pending->len;
}
