/* till-escpos.c: receipts as ESC/POS (Epson's command set, which nearly every thermal
 * receipt printer speaks) and ESC/POS read back into what the paper would show.
 *
 * Text goes out in the printer's code pages: PC858 (Western European with €, German
 * letters) and PC857 (Turkish), switched with ESC t wherever a character needs the other one;
 * characters in neither are written as their nearest ASCII ("₺" as "TL", "—" as "-").
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <gio/gio.h>

#include "till-escpos.h"

#define ESC 0x1B
#define GS 0x1D
#define DLE 0x10
#define EOT 0x04
#define LF 0x0A

/* The upper halves of the code pages, as Unicode (0: not used). */
static const gunichar pc437[128] = {
  0x00C7, 0x00FC, 0x00E9, 0x00E2, 0x00E4, 0x00E0, 0x00E5, 0x00E7, 0x00EA, 0x00EB, 0x00E8, 0x00EF,
  0x00EE, 0x00EC, 0x00C4, 0x00C5, 0x00C9, 0x00E6, 0x00C6, 0x00F4, 0x00F6, 0x00F2, 0x00FB, 0x00F9,
  0x00FF, 0x00D6, 0x00DC, 0x00A2, 0x00A3, 0x00A5, 0x20A7, 0x0192, 0x00E1, 0x00ED, 0x00F3, 0x00FA,
  0x00F1, 0x00D1, 0x00AA, 0x00BA, 0x00BF, 0x2310, 0x00AC, 0x00BD, 0x00BC, 0x00A1, 0x00AB, 0x00BB,
  0x2591, 0x2592, 0x2593, 0x2502, 0x2524, 0x2561, 0x2562, 0x2556, 0x2555, 0x2563, 0x2551, 0x2557,
  0x255D, 0x255C, 0x255B, 0x2510, 0x2514, 0x2534, 0x252C, 0x251C, 0x2500, 0x253C, 0x255E, 0x255F,
  0x255A, 0x2554, 0x2569, 0x2566, 0x2560, 0x2550, 0x256C, 0x2567, 0x2568, 0x2564, 0x2565, 0x2559,
  0x2558, 0x2552, 0x2553, 0x256B, 0x256A, 0x2518, 0x250C, 0x2588, 0x2584, 0x258C, 0x2590, 0x2580,
  0x03B1, 0x00DF, 0x0393, 0x03C0, 0x03A3, 0x03C3, 0x00B5, 0x03C4, 0x03A6, 0x0398, 0x03A9, 0x03B4,
  0x221E, 0x03C6, 0x03B5, 0x2229, 0x2261, 0x00B1, 0x2265, 0x2264, 0x2320, 0x2321, 0x00F7, 0x2248,
  0x00B0, 0x2219, 0x00B7, 0x221A, 0x207F, 0x00B2, 0x25A0, 0x00A0,
};
static const gunichar pc858[128] = {
  0x00C7, 0x00FC, 0x00E9, 0x00E2, 0x00E4, 0x00E0, 0x00E5, 0x00E7, 0x00EA, 0x00EB, 0x00E8, 0x00EF,
  0x00EE, 0x00EC, 0x00C4, 0x00C5, 0x00C9, 0x00E6, 0x00C6, 0x00F4, 0x00F6, 0x00F2, 0x00FB, 0x00F9,
  0x00FF, 0x00D6, 0x00DC, 0x00F8, 0x00A3, 0x00D8, 0x00D7, 0x0192, 0x00E1, 0x00ED, 0x00F3, 0x00FA,
  0x00F1, 0x00D1, 0x00AA, 0x00BA, 0x00BF, 0x00AE, 0x00AC, 0x00BD, 0x00BC, 0x00A1, 0x00AB, 0x00BB,
  0x2591, 0x2592, 0x2593, 0x2502, 0x2524, 0x00C1, 0x00C2, 0x00C0, 0x00A9, 0x2563, 0x2551, 0x2557,
  0x255D, 0x00A2, 0x00A5, 0x2510, 0x2514, 0x2534, 0x252C, 0x251C, 0x2500, 0x253C, 0x00E3, 0x00C3,
  0x255A, 0x2554, 0x2569, 0x2566, 0x2560, 0x2550, 0x256C, 0x00A4, 0x00F0, 0x00D0, 0x00CA, 0x00CB,
  0x00C8, 0x20AC, 0x00CD, 0x00CE, 0x00CF, 0x2518, 0x250C, 0x2588, 0x2584, 0x00A6, 0x00CC, 0x2580,
  0x00D3, 0x00DF, 0x00D4, 0x00D2, 0x00F5, 0x00D5, 0x00B5, 0x00FE, 0x00DE, 0x00DA, 0x00DB, 0x00D9,
  0x00FD, 0x00DD, 0x00AF, 0x00B4, 0x00AD, 0x00B1, 0x2017, 0x00BE, 0x00B6, 0x00A7, 0x00F7, 0x00B8,
  0x00B0, 0x00A8, 0x00B7, 0x00B9, 0x00B3, 0x00B2, 0x25A0, 0x00A0,
};
static const gunichar pc857[128] = {
  0x00C7, 0x00FC, 0x00E9, 0x00E2, 0x00E4, 0x00E0, 0x00E5, 0x00E7, 0x00EA, 0x00EB, 0x00E8, 0x00EF,
  0x00EE, 0x0131, 0x00C4, 0x00C5, 0x00C9, 0x00E6, 0x00C6, 0x00F4, 0x00F6, 0x00F2, 0x00FB, 0x00F9,
  0x0130, 0x00D6, 0x00DC, 0x00F8, 0x00A3, 0x00D8, 0x015E, 0x015F, 0x00E1, 0x00ED, 0x00F3, 0x00FA,
  0x00F1, 0x00D1, 0x011E, 0x011F, 0x00BF, 0x00AE, 0x00AC, 0x00BD, 0x00BC, 0x00A1, 0x00AB, 0x00BB,
  0x2591, 0x2592, 0x2593, 0x2502, 0x2524, 0x00C1, 0x00C2, 0x00C0, 0x00A9, 0x2563, 0x2551, 0x2557,
  0x255D, 0x00A2, 0x00A5, 0x2510, 0x2514, 0x2534, 0x252C, 0x251C, 0x2500, 0x253C, 0x00E3, 0x00C3,
  0x255A, 0x2554, 0x2569, 0x2566, 0x2560, 0x2550, 0x256C, 0x00A4, 0x00BA, 0x00AA, 0x00CA, 0x00CB,
  0x00C8, 0x0000, 0x00CD, 0x00CE, 0x00CF, 0x2518, 0x250C, 0x2588, 0x2584, 0x00A6, 0x00CC, 0x2580,
  0x00D3, 0x00DF, 0x00D4, 0x00D2, 0x00F5, 0x00D5, 0x00B5, 0x0000, 0x00D7, 0x00DA, 0x00DB, 0x00D9,
  0x00EC, 0x00FF, 0x00AF, 0x00B4, 0x00AD, 0x00B1, 0x0000, 0x00BE, 0x00B6, 0x00A7, 0x00F7, 0x00B8,
  0x00B0, 0x00A8, 0x00B7, 0x00B9, 0x00B3, 0x00B2, 0x25A0, 0x00A0,
};

typedef struct
{
  guint8          number; /* ESC t n */
  const gunichar *high;
} CodePage;

/* The ones text is written in, in the order they are tried. */
static const CodePage code_pages[] = {
  { 19, pc858 },
  { 13, pc857 },
};

static const gunichar *
code_page_table (guint8 number)
{
  if (number == 0)
    return pc437;
  for (guint i = 0; i < G_N_ELEMENTS (code_pages); i++)
    if (code_pages[i].number == number)
      return code_pages[i].high;
  return NULL;
}

static gboolean
code_page_lookup (const gunichar *high, gunichar c, guint8 *byte)
{
  for (guint i = 0; i < 128; i++)
    if (high[i] == c)
      {
        *byte = (guint8) (128 + i);
        return TRUE;
      }
  return FALSE;
}

/* The nearest ASCII of a character no code page has. */
static const char *
fallback (gunichar c)
{
  switch (c)
    {
      case 0x2010: /* hyphens and dashes */
      case 0x2011:
      case 0x2012:
      case 0x2013:
      case 0x2014:
      case 0x2212:
        return "-";
      case 0x2022: /* bullets, as in "•••• 4242" */
      case 0x2219:
      case 0x25CF:
        return "*";
      case 0x20BA: /* Turkish lira sign */
        return "TL";
      case 0x2026:
        return "...";
      case 0x2018:
      case 0x2019:
      case 0x201A:
        return "'";
      case 0x201C:
      case 0x201D:
      case 0x201E:
        return "\"";
      case 0x2007: /* the spaces ICU puts in amounts */
      case 0x2009:
      case 0x202F:
        return " ";
      default:
        return "?";
    }
}

/**
 * till_escpos_columns:
 * @paper_mm: the roll's width: 58 or 80
 *
 * Returns: the characters of a line in the printer's usual font (font A): 32 on 58 mm,
 *   42 on 80 mm, as TILL_RECEIPT_WIDTH.
 */
int
till_escpos_columns (int paper_mm)
{
  return paper_mm <= 58 ? 32 : 42;
}

static void
append (GByteArray *out, const guint8 *bytes, guint len)
{
  g_byte_array_append (out, bytes, len);
}

/* Appends one line of UTF-8 text in the code pages, switching page as characters need. */
static void
encode_text (GByteArray *out, const char *text, guint8 *page)
{
  for (const char *p = text; *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char_validated (p, -1);
      guint8   byte;
      gboolean found = FALSE;

      if (c == (gunichar) -1 || c == (gunichar) -2)
        {
          append (out, (const guint8 *) "?", 1);
          break; /* not UTF-8: the rest cannot be read either */
        }
      if (c < 0x80)
        {
          byte = c < 0x20 ? ' ' : (guint8) c;
          append (out, &byte, 1);
          continue;
        }
      if (code_page_lookup (code_page_table (*page), c, &byte))
        found = TRUE;
      for (guint i = 0; !found && i < G_N_ELEMENTS (code_pages); i++)
        if (code_page_lookup (code_pages[i].high, c, &byte))
          {
            guint8 select[] = { ESC, 't', code_pages[i].number };

            append (out, select, sizeof select);
            *page = code_pages[i].number;
            found = TRUE;
          }
      if (found)
        append (out, &byte, 1);
      else
        append (out, (const guint8 *) fallback (c), strlen (fallback (c)));
    }
}

/**
 * till_escpos_encode:
 * @text: the receipt, one line per "\n" (as till_receipt_format_full() writes it)
 * @qr_data: (nullable): what a QR code under the text holds (ASCII, at most 7,000 bytes)
 * @cut: whether to cut the paper at the end
 *
 * Returns: (transfer full): the print job.
 */
GBytes *
till_escpos_encode (const char *text, const char *qr_data, gboolean cut)
{
  g_autoptr (GByteArray) out = g_byte_array_new ();
  g_auto (GStrv) lines = NULL;
  guint8 page = code_pages[0].number;
  guint  n_lines;

  g_return_val_if_fail (text != NULL, NULL);

  {
    guint8 start[] = { ESC, '@', ESC, 't', page };
    append (out, start, sizeof start);
  }
  lines = g_strsplit (text, "\n", -1);
  n_lines = g_strv_length (lines);
  if (n_lines > 0 && *lines[n_lines - 1] == '\0')
    n_lines--; /* the text's last "\n" ends a line, it does not start one */
  for (guint i = 0; i < n_lines; i++)
    {
      guint8 lf = LF;

      encode_text (out, lines[i], &page);
      append (out, &lf, 1);
    }
  if (qr_data != NULL && *qr_data != '\0')
    {
      gsize  len = MIN (strlen (qr_data), 7000) + 3;
      guint8 center[] = { LF, ESC, 'a', 1 };
      guint8 model[] = { GS, '(', 'k', 4, 0, 49, 65, 50, 0 };
      guint8 size[] = { GS, '(', 'k', 3, 0, 49, 67, 6 };
      guint8 level[] = { GS, '(', 'k', 3, 0, 49, 69, 49 };
      guint8 store[] = { GS, '(', 'k', len & 0xFF, len >> 8, 49, 80, 48 };
      guint8 print[] = { GS, '(', 'k', 3, 0, 49, 81, 48, LF };
      guint8 left[] = { ESC, 'a', 0 };

      append (out, center, sizeof center);
      append (out, model, sizeof model);
      append (out, size, sizeof size);
      append (out, level, sizeof level);
      append (out, store, sizeof store);
      append (out, (const guint8 *) qr_data, len - 3);
      append (out, print, sizeof print);
      append (out, left, sizeof left);
    }
  {
    guint8 feed[] = { ESC, 'd', 4 };
    append (out, feed, sizeof feed);
  }
  if (cut)
    {
      guint8 partial_cut[] = { GS, 'V', 1 };
      append (out, partial_cut, sizeof partial_cut);
    }
  return g_byte_array_free_to_bytes (g_steal_pointer (&out));
}

/**
 * till_escpos_status_request:
 *
 * Returns: (transfer full): DLE EOT 4, which asks for the paper roll sensor's status: the
 *   printer answers one byte at once, before it prints anything (see
 *   till_escpos_status_paper_out()).
 */
GBytes *
till_escpos_status_request (void)
{
  static const guint8 request[] = { DLE, EOT, 4 };

  return g_bytes_new_static (request, sizeof request);
}

/**
 * till_escpos_drawer_pulse:
 *
 * Returns: (transfer full): ESC p 0 t1 t2, which opens the cash drawer plugged into the
 *   printer's drawer port (pin 2): on for 50 ms (t1 = 25, in 2 ms steps), then off for
 *   500 ms (t2 = 250), which drawers' solenoids need before the next pulse.
 */
GBytes *
till_escpos_drawer_pulse (void)
{
  static const guint8 pulse[] = { ESC, 'p', 0, 25, 250 };

  return g_bytes_new_static (pulse, sizeof pulse);
}

/* Whether the answer to till_escpos_status_request() says the roll has run out. */
gboolean
till_escpos_status_paper_out (guint8 status)
{
  return (status & 0x60) == 0x60;
}

static void
row_free (gpointer data)
{
  TillEscposRow *row = data;

  g_free (row->text);
  g_free (row);
}

static void
add_row (GPtrArray *rows, TillEscposRowKind kind, const char *text, gboolean bold, int align)
{
  TillEscposRow *row = g_new0 (TillEscposRow, 1);

  row->kind = kind;
  row->text = g_strdup (text ? text : "");
  row->bold = bold;
  row->align = align;
  g_ptr_array_add (rows, row);
}

/**
 * till_escpos_decode:
 * @job: what a printer received
 *
 * Reads the commands till_escpos_encode() writes and the common ones around them (styles,
 * fonts, margins and sizes are read and not shown).
 *
 * Returns: (transfer container) (element-type TillEscposRow): the rows of the paper, or
 *   %NULL and @error for a command it does not know or a job that ends inside one.
 */
GPtrArray *
till_escpos_decode (GBytes *job, GError **error)
{
  gsize         len;
  const guint8 *data = g_bytes_get_data (job, &len);
  g_autoptr (GPtrArray) rows = g_ptr_array_new_with_free_func (row_free);
  g_autoptr (GString) line = g_string_new (NULL);
  g_autofree char *qr = NULL;
  const gunichar  *page = pc437;
  gboolean         bold = FALSE;
  int              align = 0;
  gsize            i = 0;

#define NEED(n)                                                                                    \
  G_STMT_START                                                                                     \
  {                                                                                                \
    if (len - i < (n))                                                                             \
      goto truncated;                                                                              \
  }                                                                                                \
  G_STMT_END

  while (i < len)
    {
      guint8 b = data[i++];

      if (b == LF)
        {
          add_row (rows, TILL_ESCPOS_ROW_TEXT, line->str, bold, align);
          g_string_truncate (line, 0);
        }
      else if (b == ESC)
        {
          guint8 command;

          NEED (1);
          command = data[i++];
          switch (command)
            {
              case '@':
                page = pc437;
                bold = FALSE;
                align = 0;
                break;
              case '2':
                break;
              case 't':
                NEED (1);
                page = code_page_table (data[i]);
                if (page == NULL)
                  {
                    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                                 "code page %u is not known", data[i]);
                    return NULL;
                  }
                i++;
                break;
              case 'a':
                NEED (1);
                align = data[i++] % 48; /* 0..2 or '0'..'2' */
                if (align > 2)
                  align = 0;
                break;
              case 'E':
                NEED (1);
                bold = data[i++] & 1;
                break;
              case 'd':
                NEED (1);
                if (line->len > 0)
                  {
                    add_row (rows, TILL_ESCPOS_ROW_TEXT, line->str, bold, align);
                    g_string_truncate (line, 0);
                  }
                for (guint n = 0; n < data[i]; n++)
                  add_row (rows, TILL_ESCPOS_ROW_TEXT, "", FALSE, 0);
                i++;
                break;
              case '!':
              case '-':
              case '3':
              case 'J':
              case 'M':
                NEED (1);
                i++;
                break;
              case 'p':
                /* ESC p m t1 t2: a pulse on drawer pin m (0/48: pin 2, 1/49: pin 5). */
                NEED (3);
                add_row (rows, TILL_ESCPOS_ROW_PULSE, data[i] % 48 == 0 ? "0" : "1", FALSE, 0);
                i += 3;
                break;
              default:
                g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                             "unknown command ESC 0x%02X at byte %" G_GSIZE_FORMAT, command, i - 2);
                return NULL;
            }
        }
      else if (b == GS)
        {
          guint8 command;

          NEED (1);
          command = data[i++];
          switch (command)
            {
              case 'V':
                NEED (1);
                if (data[i] == 65 || data[i] == 66)
                  {
                    NEED (2);
                    i++;
                  }
                i++;
                if (line->len > 0)
                  {
                    add_row (rows, TILL_ESCPOS_ROW_TEXT, line->str, bold, align);
                    g_string_truncate (line, 0);
                  }
                add_row (rows, TILL_ESCPOS_ROW_CUT, NULL, FALSE, 0);
                break;
              case '(':
                {
                  gsize size;

                  NEED (3);
                  if (data[i] != 'k')
                    {
                      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                                   "unknown command GS ( 0x%02X", data[i]);
                      return NULL;
                    }
                  size = data[i + 1] | (data[i + 2] << 8);
                  i += 3;
                  NEED (size);
                  /* cn 49 is the QR code; fn 80 stores its data (after m), fn 81 prints it. */
                  if (size >= 3 && data[i] == 49 && data[i + 1] == 80)
                    {
                      g_free (qr);
                      qr = g_strndup ((const char *) data + i + 3, size - 3);
                    }
                  else if (size >= 2 && data[i] == 49 && data[i + 1] == 81 && qr != NULL)
                    add_row (rows, TILL_ESCPOS_ROW_QR, qr, FALSE, align);
                  i += size;
                  break;
                }
              case '!':
              case 'B':
                NEED (1);
                i++;
                break;
              case 'L':
              case 'W':
                NEED (2);
                i += 2;
                break;
              default:
                g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                             "unknown command GS 0x%02X at byte %" G_GSIZE_FORMAT, command, i - 2);
                return NULL;
            }
        }
      else if (b == DLE)
        {
          NEED (2); /* DLE EOT n: a status request, answered by the printer, not printed */
          i += 2;
        }
      else if (b >= 0x80)
        {
          gunichar c = page[b - 128];

          g_string_append_unichar (line, c != 0 ? c : 0xFFFD);
        }
      else if (b >= 0x20)
        g_string_append_c (line, (char) b);
      else if (b == '\t')
        g_string_append_c (line, ' ');
    }
#undef NEED
  if (line->len > 0)
    add_row (rows, TILL_ESCPOS_ROW_TEXT, line->str, bold, align);
  return g_steal_pointer (&rows);

truncated:
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
               "the print job ends inside a command (%" G_GSIZE_FORMAT " bytes)", len);
  return NULL;
}

/**
 * till_escpos_rows_to_text:
 * @rows: (element-type TillEscposRow): from till_escpos_decode()
 *
 * Returns: (transfer full): the paper as text: its lines, a QR code as "[QR: data]", a
 *   cut as "[cut]" and a drawer pulse as "[drawer]", each on a line of its own.
 */
char *
till_escpos_rows_to_text (GPtrArray *rows)
{
  GString *out = g_string_new (NULL);

  for (guint i = 0; i < rows->len; i++)
    {
      const TillEscposRow *row = g_ptr_array_index (rows, i);

      if (row->kind == TILL_ESCPOS_ROW_TEXT)
        g_string_append_printf (out, "%s\n", row->text);
      else if (row->kind == TILL_ESCPOS_ROW_QR)
        g_string_append_printf (out, "[QR: %s]\n", row->text);
      else if (row->kind == TILL_ESCPOS_ROW_PULSE)
        g_string_append (out, "[drawer]\n");
      else
        g_string_append (out, "[cut]\n");
    }
  return g_string_free (out, FALSE);
}
