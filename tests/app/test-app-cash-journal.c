/* test-app-cash-journal.c: the offline cash journal on disk: what was added survives a
 * process killed with SIGKILL, a torn last record is cut off and never read as a sale, and
 * a damaged record before the last is an error, not a loss.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gstdio.h>
#include <signal.h>

#include "till-cash-journal.h"
#include "till-test-util.h"

static JsonNode *
sale_request (const char *reference, gint64 tendered)
{
  g_autoptr (JsonBuilder) builder = json_builder_new ();

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "client_reference");
  json_builder_add_string_value (builder, reference);
  json_builder_set_member_name (builder, "tender");
  json_builder_add_string_value (builder, "cash");
  json_builder_set_member_name (builder, "cash");
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "tendered");
  json_builder_add_int_value (builder, tendered);
  json_builder_end_object (builder);
  json_builder_end_object (builder);
  return json_builder_get_root (builder);
}

/* The child: adds sales ref-0, ref-1, … to the journal at argv[2] for ever, saying "added N"
 * after each is on the disk, until it is killed. */
static int
run_child (const char *path)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (TillCashJournal) journal = till_cash_journal_open (path, &error);

  if (journal == NULL)
    {
      g_printerr ("%s\n", error->message);
      return 1;
    }
  g_print ("ready\n");
  for (guint i = 0;; i++)
    {
      g_autofree char *reference = g_strdup_printf ("ref-%u", i);
      g_autoptr (JsonNode) request = sale_request (reference, 1000 + i);

      if (!till_cash_journal_add_sale (journal, reference, request, &error))
        {
          g_printerr ("%s\n", error->message);
          return 1;
        }
      g_print ("added %u\n", i + 1);
    }
}

static guint
read_added (GDataInputStream *lines)
{
  g_autofree char *line = g_data_input_stream_read_line_utf8 (lines, NULL, NULL, NULL);

  g_assert_nonnull (line);
  g_assert_true (g_str_has_prefix (line, "added "));
  return (guint) g_ascii_strtoull (line + 6, NULL, 10);
}

/* A child adding sales as fast as it can is killed with SIGKILL: every sale it said was added
 * is there, in order, whole; none is there twice. */
static void
test_survives_sigkill (void)
{
  g_autofree char *dir = till_test_make_tmpdir ("till-cash-journal");
  g_autofree char *path = g_build_filename (dir, "data", "till", "cash-journal", NULL);
  g_autofree char *self =
      g_test_build_filename (G_TEST_BUILT, "app", "test-app-cash-journal", NULL);
  g_autoptr (GSubprocessLauncher) launcher =
      till_test_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE);
  g_autoptr (GDataInputStream) lines = NULL;
  g_autoptr (GSubprocess) child = NULL;
  g_autoptr (TillCashJournal) journal = NULL;
  g_autoptr (GPtrArray) pending = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *first = NULL;
  guint            added = 0;

  child = till_test_spawn_full (launcher, (const char *[]){ self, "--child", path, NULL }, &first,
                                NULL, &lines, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (first, ==, "ready");
  while (added < 50)
    added = read_added (lines);
  g_assert_cmpint (till_test_stop_process (child, SIGKILL), ==, -1);

  journal = till_cash_journal_open (path, &error);
  g_assert_no_error (error);
  pending = till_cash_journal_get_pending (journal);
  g_assert_cmpuint (pending->len, >=, added);
  for (guint i = 0; i < pending->len; i++)
    {
      TillCashJournalSale *sale = g_ptr_array_index (pending, i);
      g_autofree char     *reference = g_strdup_printf ("ref-%u", i);
      JsonObject          *cash =
          json_object_get_object_member (json_node_get_object (sale->request), "cash");

      g_assert_cmpstr (sale->client_reference, ==, reference);
      g_assert_cmpint (json_object_get_int_member (cash, "tendered"), ==, 1000 + i);
    }
  till_test_remove_tree (dir);
}

static void
append_text (const char *path, const char *text)
{
  FILE *file = fopen (path, "a");

  g_assert_nonnull (file);
  g_assert_cmpint (fputs (text, file), >=, 0);
  g_assert_cmpint (fclose (file), ==, 0);
}

/* A power cut in the middle of a record: the torn last line is cut off (never a sale), and
 * what comes after it is read; uploaded sales are no longer pending, also after reopening. */
static void
test_torn_record (void)
{
  g_autofree char *dir = till_test_make_tmpdir ("till-cash-journal");
  g_autofree char *path = g_build_filename (dir, "cash-journal", NULL);
  g_autoptr (TillCashJournal) journal = till_cash_journal_open (path, NULL);
  g_autoptr (JsonNode) one = sale_request ("one", 500);
  g_autoptr (JsonNode) two = sale_request ("two", 700);
  g_autoptr (JsonNode) three = sale_request ("three", 900);
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) pending = NULL;
  g_autofree char *contents = NULL;
  g_autofree char *torn = NULL;
  gsize            length;

  g_assert_nonnull (journal);
  g_assert_true (till_cash_journal_add_sale (journal, "one", one, &error));
  g_assert_true (till_cash_journal_add_sale (journal, "two", two, &error));
  g_assert_true (till_cash_journal_mark_uploaded (journal, "one", "T-0001", &error));
  g_assert_no_error (error);
  g_clear_object (&journal);

  /* The next record cut short: half of a line, no newline. */
  g_assert_true (g_file_get_contents (path, &contents, &length, NULL));
  torn = g_strndup (contents, strchr (contents, '\n') - contents);
  torn[strlen (torn) / 2] = '\0';
  append_text (path, torn);

  journal = till_cash_journal_open (path, &error);
  g_assert_no_error (error);
  pending = till_cash_journal_get_pending (journal);
  g_assert_cmpuint (pending->len, ==, 1);
  g_assert_cmpstr (((TillCashJournalSale *) g_ptr_array_index (pending, 0))->client_reference, ==,
                   "two");
  g_clear_pointer (&pending, g_ptr_array_unref);
  g_assert_true (till_cash_journal_add_sale (journal, "three", three, &error));
  g_clear_object (&journal);

  journal = till_cash_journal_open (path, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (till_cash_journal_get_n_pending (journal), ==, 2);
  g_clear_object (&journal);

  /* A whole line with a wrong checksum, last: torn as well. */
  append_text (path, "0000000000000000 {\"type\":\"sale\",\"client_reference\":\"x\","
                     "\"request\":{}}\n");
  journal = till_cash_journal_open (path, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (till_cash_journal_get_n_pending (journal), ==, 2);
  g_clear_object (&journal);
  till_test_remove_tree (dir);
}

/* A damaged record with good ones after it is the disk's fault, not a torn write: the journal
 * does not open (nothing is cut off or uploaded), and says where. */
static void
test_damaged_record (void)
{
  g_autofree char *dir = till_test_make_tmpdir ("till-cash-journal");
  g_autofree char *path = g_build_filename (dir, "cash-journal", NULL);
  g_autoptr (TillCashJournal) journal = till_cash_journal_open (path, NULL);
  g_autoptr (JsonNode) one = sale_request ("one", 500);
  g_autoptr (JsonNode) two = sale_request ("two", 700);
  g_autoptr (GError) error = NULL;
  g_autofree char *contents = NULL;
  g_autofree char *after = NULL;
  gsize            length;

  g_assert_true (till_cash_journal_add_sale (journal, "one", one, NULL));
  g_assert_true (till_cash_journal_add_sale (journal, "two", two, NULL));
  g_clear_object (&journal);
  g_assert_true (g_file_get_contents (path, &contents, &length, NULL));
  contents[20] ^= 1;
  g_assert_true (g_file_set_contents (path, contents, (gssize) length, NULL));

  journal = till_cash_journal_open (path, &error);
  g_assert_null (journal);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
  g_assert_nonnull (strstr (error->message, "at byte 0"));
  g_assert_true (g_file_get_contents (path, &after, NULL, NULL));
  g_assert_cmpstr (after, ==, contents);
  till_test_remove_tree (dir);
}

int
main (int argc, char **argv)
{
  if (argc == 3 && g_str_equal (argv[1], "--child"))
    return run_child (argv[2]);
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/app/cash-journal/survives-sigkill", test_survives_sigkill);
  g_test_add_func ("/app/cash-journal/torn-record", test_torn_record);
  g_test_add_func ("/app/cash-journal/damaged-record", test_damaged_record);
  return g_test_run ();
}
