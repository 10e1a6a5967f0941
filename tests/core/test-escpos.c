/* test-escpos.c: receipts as ESC/POS and back, in the code pages Turkish and German need.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <gio/gio.h>

#include "till-core.h"

static gboolean
contains (GBytes *bytes, const guint8 *needle, gsize len)
{
  gsize         size;
  const guint8 *data = g_bytes_get_data (bytes, &size);

  for (gsize i = 0; i + len <= size; i++)
    if (memcmp (data + i, needle, len) == 0)
      return TRUE;
  return FALSE;
}

static char *
round_trip (GBytes *job)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) rows = till_escpos_decode (job, &error);

  g_assert_no_error (error);
  g_assert_nonnull (rows);
  return till_escpos_rows_to_text (rows);
}

/* Turkish and German letters print: each in a code page that has it, switched with ESC t. */
static void
test_code_pages (void)
{
  const char *text = "Çay büyük — ığüşöç İĞŞ\nGrüße aus Köln: 2,50 € × 3\n";
  g_autoptr (GBytes) job = till_escpos_encode (text, NULL, FALSE);
  g_autofree char *back = round_trip (job);

  g_assert_cmpstr (back, ==,
                   "Çay büyük - ığüşöç İĞŞ\nGrüße aus Köln: 2,50 € × 3\n"
                   "\n\n\n\n"); /* the feed before the cut */
  /* ESC @, then PC858 (19); "ı" in PC857 (13) is 0x8D; "ß" is 0xE1 in both; "€", back in
   * PC858, is 0xD5. */
  g_assert_true (contains (job, (const guint8[]){ 0x1B, '@', 0x1B, 't', 19 }, 5));
  g_assert_true (contains (job, (const guint8[]){ 0x1B, 't', 13, 0x8D }, 4));
  g_assert_true (contains (job, (const guint8[]){ 'G', 'r', 0x81, 0xE1, 'e' }, 5));
  g_assert_true (contains (job, (const guint8[]){ 0x1B, 't', 19, 0xD5 }, 4));
  /* No byte of UTF-8's multi-byte forms goes to the printer. */
  g_assert_false (contains (job, (const guint8 *) "\xC4\xB1", 2));
}

/* What no code page has comes out as its nearest ASCII, never as UTF-8 bytes. */
static void
test_fallbacks (void)
{
  g_autoptr (GBytes) job = till_escpos_encode ("₺1.234,50 Visa •••• 4242 “ok”…\n", NULL, FALSE);
  g_autofree char *back = round_trip (job);

  g_assert_true (g_str_has_prefix (back, "TL1.234,50 Visa **** 4242 \"ok\"...\n"));
}

static void
test_qr_and_cut (void)
{
  g_autoptr (GBytes) job = till_escpos_encode ("A\n", "https://till.example/r/42", TRUE);
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) rows = till_escpos_decode (job, &error);
  g_autofree char     *text = NULL;
  const TillEscposRow *last;

  g_assert_no_error (error);
  text = till_escpos_rows_to_text (rows);
  g_assert_nonnull (strstr (text, "A\n\n[QR: https://till.example/r/42]\n"));
  last = g_ptr_array_index (rows, rows->len - 1);
  g_assert_cmpint (last->kind, ==, TILL_ESCPOS_ROW_CUT);
  for (guint i = 0; i < rows->len; i++)
    {
      const TillEscposRow *row = g_ptr_array_index (rows, i);

      if (row->kind == TILL_ESCPOS_ROW_QR)
        g_assert_cmpint (row->align, ==, 1); /* centred */
    }

  /* Without cut, no cut. */
  {
    g_autoptr (GBytes) plain = till_escpos_encode ("A\n", NULL, FALSE);
    g_autofree char *plain_text = round_trip (plain);

    g_assert_null (strstr (plain_text, "[cut]"));
    g_assert_null (strstr (plain_text, "[QR"));
  }
}

static void
test_bad_jobs (void)
{
  static const guint8 truncated[] = { 0x1B, '@', 'A', 0x1D, '(', 'k', 10, 0, 49, 80 };
  static const guint8 unknown[] = { 0x1B, '@', 0x1B, 0x7F, 'A' };
  static const guint8 bad_page[] = { 0x1B, 't', 99, 'A' };
  struct
  {
    const guint8 *data;
    gsize         len;
    const char   *says;
  } cases[] = {
    { truncated, sizeof truncated, "ends inside a command" },
    { unknown, sizeof unknown, "unknown command ESC 0x7F" },
    { bad_page, sizeof bad_page, "code page 99" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (GBytes) job = g_bytes_new_static (cases[i].data, cases[i].len);
      g_autoptr (GError) error = NULL;
      g_autoptr (GPtrArray) rows = till_escpos_decode (job, &error);

      g_assert_null (rows);
      g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
      g_assert_nonnull (strstr (error->message, cases[i].says));
    }
}

static void
test_status_and_columns (void)
{
  g_autoptr (GBytes) request = till_escpos_status_request ();

  g_assert_cmpmem (g_bytes_get_data (request, NULL), g_bytes_get_size (request),
                   ((const guint8[]){ 0x10, 0x04, 4 }), 3);
  g_assert_false (till_escpos_status_paper_out (0x12)); /* paper present */
  g_assert_false (till_escpos_status_paper_out (0x1E)); /* near its end: still prints */
  g_assert_true (till_escpos_status_paper_out (0x72));
  g_assert_cmpint (till_escpos_columns (58), ==, 32);
  g_assert_cmpint (till_escpos_columns (80), ==, TILL_RECEIPT_WIDTH);
}

/* The drawer kick: ESC p 0 t1 t2, read back as a pulse on pin 2 (not as paper), also within
 * a receipt; a job that ends inside it is an error. */
static void
test_drawer_pulse (void)
{
  g_autoptr (GBytes) pulse = till_escpos_drawer_pulse ();
  g_autoptr (GBytes) receipt = till_escpos_encode ("A\n", NULL, TRUE);
  g_autoptr (GByteArray) both = g_byte_array_new ();
  g_autoptr (GBytes) job = NULL;
  g_autofree char    *alone = round_trip (pulse);
  g_autofree char    *text = NULL;
  static const guint8 truncated[] = { 0x1B, 'p', 0, 25 };
  g_autoptr (GBytes) bad = g_bytes_new_static (truncated, sizeof truncated);
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) rows = NULL;

  g_assert_cmpmem (g_bytes_get_data (pulse, NULL), g_bytes_get_size (pulse),
                   ((const guint8[]){ 0x1B, 'p', 0, 25, 250 }), 5);
  g_assert_cmpstr (alone, ==, "[drawer]\n");
  g_byte_array_append (both, g_bytes_get_data (pulse, NULL), g_bytes_get_size (pulse));
  g_byte_array_append (both, g_bytes_get_data (receipt, NULL), g_bytes_get_size (receipt));
  job = g_byte_array_free_to_bytes (g_steal_pointer (&both));
  text = round_trip (job);
  g_assert_cmpstr (text, ==, "[drawer]\nA\n\n\n\n\n[cut]\n");
  rows = till_escpos_decode (bad, &error);
  g_assert_null (rows);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/core/escpos/code-pages", test_code_pages);
  g_test_add_func ("/core/escpos/fallbacks", test_fallbacks);
  g_test_add_func ("/core/escpos/qr-and-cut", test_qr_and_cut);
  g_test_add_func ("/core/escpos/bad-jobs", test_bad_jobs);
  g_test_add_func ("/core/escpos/status-and-columns", test_status_and_columns);
  g_test_add_func ("/core/escpos/drawer-pulse", test_drawer_pulse);
  return g_test_run ();
}
