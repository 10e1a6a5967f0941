/* till-json-writer.c: compact JSON written straight into a GString.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "till-json-writer.h"

#include <string.h>

void
till_json_writer_init (TillJsonWriter *writer, GString *out)
{
  writer->out = out;
  writer->depth = 0;
  writer->not_first = 0;
  writer->after_name = FALSE;
}

/* Before any value: the comma between elements of an array (members get theirs in _name). */
static void
begin_value (TillJsonWriter *writer)
{
  guint64 bit;

  if (writer->after_name)
    {
      writer->after_name = FALSE;
      return;
    }
  if (writer->depth == 0)
    return;
  bit = G_GUINT64_CONSTANT (1) << (writer->depth - 1);
  if (writer->not_first & bit)
    g_string_append_c (writer->out, ',');
  writer->not_first |= bit;
}

static void
begin_container (TillJsonWriter *writer, char open)
{
  begin_value (writer);
  g_return_if_fail (writer->depth < TILL_JSON_WRITER_MAX_DEPTH);
  g_string_append_c (writer->out, open);
  writer->depth++;
  writer->not_first &= ~(G_GUINT64_CONSTANT (1) << (writer->depth - 1));
}

static void
end_container (TillJsonWriter *writer, char close)
{
  g_return_if_fail (writer->depth > 0 && !writer->after_name);
  writer->depth--;
  g_string_append_c (writer->out, close);
}

void
till_json_writer_begin_object (TillJsonWriter *writer)
{
  begin_container (writer, '{');
}

void
till_json_writer_end_object (TillJsonWriter *writer)
{
  end_container (writer, '}');
}

void
till_json_writer_begin_array (TillJsonWriter *writer)
{
  begin_container (writer, '[');
}

void
till_json_writer_end_array (TillJsonWriter *writer)
{
  end_container (writer, ']');
}

static void
append_quoted (GString *out, const char *text)
{
  static const char hex[] = "0123456789abcdef";
  const char       *end = text + strlen (text);
  const char       *p = text;

  g_string_append_c (out, '"');
  while (p < end)
    {
      const char *run = p;
      gunichar    c;

      /* Copy the longest stretch of printable ASCII at once. */
      while (p < end && (guchar) *p >= 0x20 && (guchar) *p < 0x80 && *p != '"' && *p != '\\')
        p++;
      g_string_append_len (out, run, p - run);
      if (p == end)
        break;
      if ((guchar) *p >= 0x80)
        {
          c = g_utf8_get_char_validated (p, end - p);
          if (c == (gunichar) -1 || c == (gunichar) -2)
            {
              g_string_append (out, "\xef\xbf\xbd"); /* U+FFFD for a byte that is not UTF-8 */
              p++;
            }
          else
            {
              const char *next = g_utf8_next_char (p);

              g_string_append_len (out, p, next - p);
              p = next;
            }
          continue;
        }
      switch (*p)
        {
          case '"':
            g_string_append (out, "\\\"");
            break;
          case '\\':
            g_string_append (out, "\\\\");
            break;
          case '\n':
            g_string_append (out, "\\n");
            break;
          case '\r':
            g_string_append (out, "\\r");
            break;
          case '\t':
            g_string_append (out, "\\t");
            break;
          case '\b':
            g_string_append (out, "\\b");
            break;
          case '\f':
            g_string_append (out, "\\f");
            break;
          default:
            g_string_append (out, "\\u00");
            g_string_append_c (out, hex[(guchar) *p >> 4]);
            g_string_append_c (out, hex[(guchar) *p & 0xf]);
            break;
        }
      p++;
    }
  g_string_append_c (out, '"');
}

void
till_json_writer_name (TillJsonWriter *writer, const char *name)
{
  g_return_if_fail (!writer->after_name);
  begin_value (writer);
  append_quoted (writer->out, name);
  g_string_append_c (writer->out, ':');
  writer->after_name = TRUE;
}

void
till_json_writer_string (TillJsonWriter *writer, const char *value)
{
  if (value == NULL)
    {
      till_json_writer_null (writer);
      return;
    }
  begin_value (writer);
  append_quoted (writer->out, value);
}

void
till_json_writer_int (TillJsonWriter *writer, gint64 value)
{
  char    digits[24];
  char   *p = digits + sizeof digits;
  guint64 magnitude = value < 0 ? -(guint64) value : (guint64) value;

  begin_value (writer);
  do
    {
      *--p = '0' + magnitude % 10;
      magnitude /= 10;
    }
  while (magnitude != 0);
  if (value < 0)
    *--p = '-';
  g_string_append_len (writer->out, p, digits + sizeof digits - p);
}

void
till_json_writer_boolean (TillJsonWriter *writer, gboolean value)
{
  begin_value (writer);
  g_string_append (writer->out, value ? "true" : "false");
}

void
till_json_writer_null (TillJsonWriter *writer)
{
  begin_value (writer);
  g_string_append (writer->out, "null");
}

void
till_json_writer_time (TillJsonWriter *writer, GDateTime *time)
{
  g_autoptr (GDateTime) utc = NULL;
  int year, month, day;

  if (time == NULL)
    {
      till_json_writer_null (writer);
      return;
    }
  utc = g_date_time_to_utc (time);
  g_date_time_get_ymd (utc, &year, &month, &day);
  begin_value (writer);
  g_string_append_printf (writer->out, "\"%04d-%02d-%02dT%02d:%02d:%02dZ\"", year, month, day,
                          g_date_time_get_hour (utc), g_date_time_get_minute (utc),
                          g_date_time_get_second (utc));
}

void
till_json_writer_member_string (TillJsonWriter *writer, const char *name, const char *value)
{
  till_json_writer_name (writer, name);
  till_json_writer_string (writer, value);
}

void
till_json_writer_member_int (TillJsonWriter *writer, const char *name, gint64 value)
{
  till_json_writer_name (writer, name);
  till_json_writer_int (writer, value);
}
