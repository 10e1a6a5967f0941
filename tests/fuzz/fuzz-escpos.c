/* fuzz-escpos.c: libFuzzer target for the ESC/POS reader (what the printer emulator gets
 * from the network) and the writer.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Whatever the bytes, reading them must not crash and must give rows or an error; and any
 * text, written as ESC/POS, must read back without an error, as many text lines as it has.
 */
#include "config.h"

#include <gio/gio.h>

#include "till-core.h"

int LLVMFuzzerTestOneInput (const guint8 *data, size_t size);

int
LLVMFuzzerTestOneInput (const guint8 *data, size_t size)
{
  g_autoptr (GBytes) input = g_bytes_new (data, size);
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) rows = till_escpos_decode (input, &error);
  g_autofree char *text = g_utf8_make_valid ((const char *) data, size);

  if (rows == NULL)
    g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
  else
    g_free (till_escpos_rows_to_text (rows));

  /* Written and read back: no NUL inside (the writer takes a C string). */
  for (char *p = text; *p != '\0'; p++)
    if (*p == '\n' && p[1] == '\0')
      *p = ' ';
  {
    g_autoptr (GBytes) job = till_escpos_encode (text, size % 2 ? text : NULL, size % 3 == 0);
    g_autoptr (GError) back_error = NULL;
    g_autoptr (GPtrArray) back = till_escpos_decode (job, &back_error);
    g_auto (GStrv) lines = g_strsplit (text, "\n", -1);
    guint n_text = 0;

    g_assert_no_error (back_error);
    for (guint i = 0; i < back->len; i++)
      n_text += ((TillEscposRow *) g_ptr_array_index (back, i))->kind == TILL_ESCPOS_ROW_TEXT;
    /* The text's lines (none for no text), the blank lines around a QR code and the feed of
     * 4 before the end. */
    g_assert_cmpuint (n_text, ==,
                      (*text ? g_strv_length (lines) : 0) + (size % 2 && *text ? 2 : 0) + 4);
  }
  return 0;
}
