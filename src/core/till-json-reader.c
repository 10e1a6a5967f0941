/* till-json-reader.c: the one JSON reader of Till, behind till_json_parse_object () and
 * till_json_parse_object_members (): the app's answers and cart files, the server's requests,
 * webhooks and Stripe's answers.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A recursive-descent reader of RFC 8259 JSON that builds the same json-glib trees as
 * JsonParser would for the texts it accepts, faster (JsonParser scans with GScanner, one
 * character at a time through several layers) and stricter. It accepts:
 *
 * - text: @length bytes of UTF-8 (g_utf8_validate (): no overlong forms, no encoded
 *   surrogates), no NUL byte anywhere in them, no byte order mark; nothing (0 bytes) is
 *   "The request body is empty";
 * - exactly one value, with only space, tab, LF and CR around it ("{} {}", "{}x" refused);
 *   the root must be an object, else TILL_JSON_ERROR_TYPE; every other refusal is
 *   TILL_JSON_ERROR_SYNTAX, and says what and at which byte;
 * - strings in double quotes, without raw control characters (below U+0020), with only the
 *   escapes \" \\ \/ \b \f \n \r \t and \uXXXX; a \u surrogate only as a high one followed
 *   by a low one; no \u0000 (GLib's strings end at a NUL: it would cut the string short);
 * - numbers as RFC 8259 writes them: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?, at most 63
 *   characters (no "01", "+1", ".5", "1.", "0x10", NaN or Infinity). Without a fraction or an
 *   exponent, an integer (gint64: beyond it refused; "-0" is 0); with one, a double ("1.0e5" is
 *   100000.0, which till_json_get_int () refuses as not an integer), refused when beyond a
 *   double's range ("1e400"), 0 when below it ("1e-400");
 * - true, false and null in lower case;
 * - members named by strings, each name at most once in an object (compared unescaped:
 *   "a" and "\u0061" are the same), refused naming it;
 * - at most 128 objects and arrays nested;
 * - no comments, trailing commas, single quotes or unquoted names.
 * till_json_parse_object_members () is as strict, but for a name twice in a member it leaves
 * out (it builds nothing of those).
 */
#include "config.h"

#include <errno.h>
#include <glib/gi18n-lib.h>
#include <math.h>
#include <string.h>

#include "till-json.h"

#define MAX_DEPTH 128

typedef struct
{
  const char        *start;
  const char        *p;
  const char        *end;
  guint              depth;
  const char *const *keep; /* the root's members to read, or NULL for all */
  GError           **error;
} Reader;

static JsonNode *read_value (Reader *r);

static void
fail (Reader *r, const char *what)
{
  g_set_error (r->error, TILL_JSON_ERROR, TILL_JSON_ERROR_SYNTAX,
               /* Translators: the first %s says what is wrong, the number is a byte offset */
               _ ("Malformed JSON: %s at byte %lu"), what, (gulong) (r->p - r->start));
}

static inline void
skip_space (Reader *r)
{
  while (r->p < r->end && (*r->p == ' ' || *r->p == '\n' || *r->p == '\r' || *r->p == '\t'))
    r->p++;
}

static gboolean
read_literal (Reader *r, const char *word)
{
  gsize n = strlen (word);

  if ((gsize) (r->end - r->p) < n || memcmp (r->p, word, n) != 0)
    {
      fail (r, _ ("unexpected character"));
      return FALSE;
    }
  r->p += n;
  return TRUE;
}

static int
hex_value (char c)
{
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

static gboolean
read_hex4 (Reader *r, gunichar *out)
{
  gunichar value = 0;

  if (r->end - r->p < 4)
    {
      fail (r, _ ("bad \\u escape"));
      return FALSE;
    }
  for (int i = 0; i < 4; i++)
    {
      int digit = hex_value (r->p[i]);

      if (digit < 0)
        {
          fail (r, _ ("bad \\u escape"));
          return FALSE;
        }
      value = value * 16 + (gunichar) digit;
    }
  r->p += 4;
  *out = value;
  return TRUE;
}

static char skipped[] = "";

/* From @p, the end of the bytes a string holds as they are (no quote, escape or control
 * character): most strings are that run and their closing quote. */
static inline const char *
plain_run_end (const char *p, const char *end)
{
  while (p < end && *p != '"' && *p != '\\' && (guchar) *p >= 0x20)
    p++;
  return p;
}

/* At the opening quote. Returns a newly allocated UTF-8 string; with @keep FALSE only checks
 * it and returns a placeholder that is not to be freed. */
static char *
read_string (Reader *r, gboolean keep)
{
  const char *begin;
  GString    *text;

  r->p++;
  begin = r->p;
  /* The common case: no escapes, copied at once. */
  r->p = plain_run_end (r->p, r->end);
  if (r->p < r->end && *r->p == '"')
    {
      char *copy = keep ? g_strndup (begin, r->p - begin) : skipped;

      r->p++;
      return copy;
    }

  text = g_string_new_len (begin, r->p - begin);
  while (r->p < r->end)
    {
      char c = *r->p;

      if (c == '"')
        {
          r->p++;
          if (!keep)
            {
              g_string_free (text, TRUE);
              return skipped;
            }
          return g_string_free (text, FALSE);
        }
      if ((guchar) c < 0x20)
        {
          fail (r, _ ("control character in a string"));
          break;
        }
      if (c != '\\')
        {
          g_string_append_c (text, c);
          r->p++;
          continue;
        }
      r->p++;
      if (r->p >= r->end)
        break;
      c = *r->p++;
      switch (c)
        {
          case '"':
            g_string_append_c (text, '"');
            break;
          case '\\':
            g_string_append_c (text, '\\');
            break;
          case '/':
            g_string_append_c (text, '/');
            break;
          case 'b':
            g_string_append_c (text, '\b');
            break;
          case 'f':
            g_string_append_c (text, '\f');
            break;
          case 'n':
            g_string_append_c (text, '\n');
            break;
          case 'r':
            g_string_append_c (text, '\r');
            break;
          case 't':
            g_string_append_c (text, '\t');
            break;
          case 'u':
            {
              gunichar unit, low;

              if (!read_hex4 (r, &unit))
                goto failed;
              if (unit >= 0xd800 && unit <= 0xdbff)
                {
                  if (r->end - r->p < 2 || r->p[0] != '\\' || r->p[1] != 'u')
                    {
                      fail (r, _ ("lone surrogate in a \\u escape"));
                      goto failed;
                    }
                  r->p += 2;
                  if (!read_hex4 (r, &low))
                    goto failed;
                  if (low < 0xdc00 || low > 0xdfff)
                    {
                      fail (r, _ ("lone surrogate in a \\u escape"));
                      goto failed;
                    }
                  unit = 0x10000 + ((unit - 0xd800) << 10) + (low - 0xdc00);
                }
              else if (unit >= 0xdc00 && unit <= 0xdfff)
                {
                  fail (r, _ ("lone surrogate in a \\u escape"));
                  goto failed;
                }
              if (unit == 0)
                {
                  fail (r, _ ("NUL character in a string"));
                  goto failed;
                }
              g_string_append_unichar (text, unit);
              break;
            }
          default:
            r->p--;
            fail (r, _ ("bad escape in a string"));
            goto failed;
        }
    }
  if (r->error == NULL || *r->error == NULL)
    fail (r, _ ("unterminated string"));
failed:
  g_string_free (text, TRUE);
  return NULL;
}

static gboolean
is_digit (const Reader *r)
{
  return r->p < r->end && *r->p >= '0' && *r->p <= '9';
}

/* Checks the number at r->p and copies it into @buffer. */
static gboolean
scan_number (Reader *r, char buffer[64], gboolean *out_integer)
{
  const char *begin = r->p;
  gboolean    integer = TRUE;
  gsize       length;

  if (*r->p == '-')
    r->p++;
  if (!is_digit (r))
    {
      fail (r, _ ("bad number"));
      return FALSE;
    }
  if (*r->p == '0')
    r->p++;
  else
    while (is_digit (r))
      r->p++;
  if (r->p < r->end && *r->p == '.')
    {
      integer = FALSE;
      r->p++;
      if (!is_digit (r))
        {
          fail (r, _ ("bad number"));
          return FALSE;
        }
      while (is_digit (r))
        r->p++;
    }
  if (r->p < r->end && (*r->p == 'e' || *r->p == 'E'))
    {
      integer = FALSE;
      r->p++;
      if (r->p < r->end && (*r->p == '+' || *r->p == '-'))
        r->p++;
      if (!is_digit (r))
        {
          fail (r, _ ("bad number"));
          return FALSE;
        }
      while (is_digit (r))
        r->p++;
    }
  length = r->p - begin;
  if (length >= 64)
    {
      fail (r, _ ("number too long"));
      return FALSE;
    }
  memcpy (buffer, begin, length);
  buffer[length] = '\0';
  *out_integer = integer;
  return TRUE;
}

static JsonNode *
read_number (Reader *r)
{
  const char *begin = r->p;
  char        buffer[64];
  gboolean    integer;
  JsonNode   *node;

  if (!scan_number (r, buffer, &integer))
    return NULL;
  if (integer)
    {
      gint64 value;

      errno = 0;
      value = g_ascii_strtoll (buffer, NULL, 10);
      if (errno != 0)
        {
          /* JsonParser makes it -1, silently. */
          r->p = begin;
          fail (r, _ ("integer out of range"));
          return NULL;
        }
      node = json_node_init_int (json_node_alloc (), value);
    }
  else
    {
      double value = g_ascii_strtod (buffer, NULL);

      if (!isfinite (value))
        {
          /* JsonParser makes it infinite, which JsonGenerator writes as no JSON at all. */
          r->p = begin;
          fail (r, _ ("number out of range"));
          return NULL;
        }
      node = json_node_init_double (json_node_alloc (), value);
    }
  return node;
}

/* Like read_number (), as strict, but builds nothing. */
static gboolean
skip_number (Reader *r)
{
  const char *begin = r->p;
  char        buffer[64];
  gboolean    integer;
  gsize       digits;

  if (!scan_number (r, buffer, &integer))
    return FALSE;
  digits = strlen (buffer) - (buffer[0] == '-');
  /* Only an integer of 19 digits or more, or a double with an exponent, can be out of range. */
  if ((integer && digits >= 19) || (!integer && strpbrk (buffer, "eE") != NULL))
    {
      g_autoptr (JsonNode) node = NULL;

      r->p = begin;
      node = read_number (r);
      return node != NULL;
    }
  return TRUE;
}

static gboolean skip_value (Reader *r);

/* Whether the member named @length bytes at @name (as written, without escapes) is read. */
static gboolean
is_kept (const Reader *r, const char *name, gsize length)
{
  if (r->keep == NULL || r->depth != 1)
    return TRUE;
  for (guint i = 0; r->keep[i] != NULL; i++)
    if ((length == 0 || r->keep[i][0] == name[0]) && strncmp (r->keep[i], name, length) == 0 &&
        r->keep[i][length] == '\0')
      return TRUE;
  return FALSE;
}

/* At a member name's opening quote: the name's bytes if it has no escapes (most names),
 * without copying them. */
static gboolean
peek_plain_name (const Reader *r, const char **out_name, gsize *out_length)
{
  const char *p = plain_run_end (r->p + 1, r->end);

  if (p >= r->end || *p != '"')
    return FALSE;
  *out_name = r->p + 1;
  *out_length = p - (r->p + 1);
  return TRUE;
}

static JsonNode *
read_object (Reader *r)
{
  g_autoptr (JsonObject) object = json_object_new ();

  r->p++;
  skip_space (r);
  if (r->p < r->end && *r->p == '}')
    {
      r->p++;
      return json_node_init_object (json_node_alloc (), object);
    }
  for (;;)
    {
      g_autofree char *name = NULL;
      const char      *plain;
      const char      *name_start;
      gsize            plain_length;
      gboolean         kept;
      JsonNode        *value;

      skip_space (r);
      if (r->p >= r->end || *r->p != '"')
        {
          fail (r, _ ("expected a member name"));
          return NULL;
        }
      name_start = r->p;
      if (peek_plain_name (r, &plain, &plain_length))
        {
          kept = is_kept (r, plain, plain_length);
          if (kept)
            name = g_strndup (plain, plain_length);
          r->p = plain + plain_length + 1;
        }
      else
        {
          if ((name = read_string (r, TRUE)) == NULL)
            return NULL;
          kept = is_kept (r, name, strlen (name));
        }
      skip_space (r);
      if (r->p >= r->end || *r->p != ':')
        {
          fail (r, _ ("expected ‘:’"));
          return NULL;
        }
      r->p++;
      /* JsonParser keeps the last one silently: {"quantity": 1, "quantity": 9999} would be
       * read as what one reader of it sees and not another. */
      if (kept && json_object_has_member (object, name))
        {
          g_autofree char *what = g_strdup_printf (_ ("duplicate member “%s”"), name);

          r->p = name_start;
          fail (r, what);
          return NULL;
        }
      if (!kept)
        {
          if (!skip_value (r))
            return NULL;
        }
      else if ((value = read_value (r)) == NULL)
        return NULL;
      else
        json_object_set_member (object, name, value);
      skip_space (r);
      if (r->p < r->end && *r->p == ',')
        {
          r->p++;
          continue;
        }
      if (r->p < r->end && *r->p == '}')
        {
          r->p++;
          return json_node_init_object (json_node_alloc (), object);
        }
      fail (r, _ ("expected ‘,’ or ‘}’"));
      return NULL;
    }
}

static JsonNode *
read_array (Reader *r)
{
  g_autoptr (JsonArray) array = json_array_new ();

  r->p++;
  skip_space (r);
  if (r->p < r->end && *r->p == ']')
    {
      r->p++;
      return json_node_init_array (json_node_alloc (), array);
    }
  for (;;)
    {
      JsonNode *value = read_value (r);

      if (value == NULL)
        return NULL;
      json_array_add_element (array, value);
      skip_space (r);
      if (r->p < r->end && *r->p == ',')
        {
          r->p++;
          continue;
        }
      if (r->p < r->end && *r->p == ']')
        {
          r->p++;
          return json_node_init_array (json_node_alloc (), array);
        }
      fail (r, _ ("expected ‘,’ or ‘]’"));
      return NULL;
    }
}

static JsonNode *
read_value (Reader *r)
{
  JsonNode *node = NULL;

  skip_space (r);
  if (r->p >= r->end)
    {
      fail (r, _ ("unexpected end"));
      return NULL;
    }
  switch (*r->p)
    {
      case '{':
      case '[':
        if (++r->depth > MAX_DEPTH)
          {
            fail (r, _ ("nested too deeply"));
            return NULL;
          }
        node = *r->p == '{' ? read_object (r) : read_array (r);
        r->depth--;
        return node;
      case '"':
        {
          char *text = read_string (r, TRUE);

          if (text == NULL)
            return NULL;
          node = json_node_init_string (json_node_alloc (), text);
          g_free (text);
          return node;
        }
      case 't':
        return read_literal (r, "true") ? json_node_init_boolean (json_node_alloc (), TRUE) : NULL;
      case 'f':
        return read_literal (r, "false") ? json_node_init_boolean (json_node_alloc (), FALSE)
                                         : NULL;
      case 'n':
        return read_literal (r, "null") ? json_node_init_null (json_node_alloc ()) : NULL;
      default:
        if (*r->p == '-' || (*r->p >= '0' && *r->p <= '9'))
          return read_number (r);
        fail (r, _ ("unexpected character"));
        return NULL;
    }
}

/* Like read_value (), as strict, but builds nothing. */
static gboolean
skip_value (Reader *r)
{
  gboolean object;
  char     close;

  skip_space (r);
  if (r->p >= r->end)
    {
      fail (r, _ ("unexpected end"));
      return FALSE;
    }
  switch (*r->p)
    {
      case '"':
        return read_string (r, FALSE) != NULL;
      case 't':
        return read_literal (r, "true");
      case 'f':
        return read_literal (r, "false");
      case 'n':
        return read_literal (r, "null");
      case '{':
      case '[':
        break;
      default:
        if (*r->p == '-' || (*r->p >= '0' && *r->p <= '9'))
          return skip_number (r);
        fail (r, _ ("unexpected character"));
        return FALSE;
    }

  object = *r->p == '{';
  close = object ? '}' : ']';
  if (++r->depth > MAX_DEPTH)
    {
      fail (r, _ ("nested too deeply"));
      return FALSE;
    }
  r->p++;
  skip_space (r);
  if (r->p < r->end && *r->p == close)
    {
      r->p++;
      r->depth--;
      return TRUE;
    }
  for (;;)
    {
      if (object)
        {
          skip_space (r);
          if (r->p >= r->end || *r->p != '"')
            {
              fail (r, _ ("expected a member name"));
              return FALSE;
            }
          if (read_string (r, FALSE) == NULL)
            return FALSE;
          skip_space (r);
          if (r->p >= r->end || *r->p != ':')
            {
              fail (r, _ ("expected ‘:’"));
              return FALSE;
            }
          r->p++;
        }
      if (!skip_value (r))
        return FALSE;
      skip_space (r);
      if (r->p < r->end && *r->p == ',')
        {
          r->p++;
          continue;
        }
      if (r->p < r->end && *r->p == close)
        {
          r->p++;
          r->depth--;
          return TRUE;
        }
      fail (r, object ? _ ("expected ‘,’ or ‘}’") : _ ("expected ‘,’ or ‘]’"));
      return FALSE;
    }
}

/* Whether @data has only ASCII characters other than NUL, which is valid UTF-8: most bodies,
 * checked eight bytes at a time (g_utf8_validate () takes one byte at a time). */
static gboolean
is_ascii_text (const char *data, gsize length)
{
  const guint64 ones = G_GUINT64_CONSTANT (0x0101010101010101);
  const guint64 highs = G_GUINT64_CONSTANT (0x8080808080808080);
  gsize         i = 0;

  for (; i + 8 <= length; i += 8)
    {
      guint64 word;

      memcpy (&word, data + i, 8);
      /* A byte ≥ 0x80, or a zero byte. */
      if ((word & highs) != 0 || ((word - ones) & ~word & highs) != 0)
        return FALSE;
    }
  for (; i < length; i++)
    if ((guchar) data[i] >= 0x80 || data[i] == '\0')
      return FALSE;
  return TRUE;
}

static JsonObject *
read_root (const char *data, gsize length, const char *const *keep, GError **error)
{
  Reader r = { data, data, data + length, 0, keep, error };
  g_autoptr (JsonNode) root = NULL;

  g_return_val_if_fail (data != NULL || length == 0, NULL);

  if (length == 0)
    {
      g_set_error (error, TILL_JSON_ERROR, TILL_JSON_ERROR_SYNTAX, _ ("The request body is empty"));
      return NULL;
    }
  if (!is_ascii_text (data, length) && !g_utf8_validate (data, length, NULL))
    {
      g_set_error (error, TILL_JSON_ERROR, TILL_JSON_ERROR_SYNTAX,
                   _ ("The request body is not UTF-8 text"));
      return NULL;
    }
  if (length >= 3 && memcmp (data, "\xef\xbb\xbf", 3) == 0)
    {
      fail (&r, _ ("byte order mark"));
      return NULL;
    }
  if ((root = read_value (&r)) == NULL)
    return NULL;
  skip_space (&r);
  if (r.p != r.end)
    {
      fail (&r, _ ("text after the end"));
      return NULL;
    }
  if (!JSON_NODE_HOLDS_OBJECT (root))
    {
      g_set_error (error, TILL_JSON_ERROR, TILL_JSON_ERROR_TYPE, _ ("Expected a JSON object"));
      return NULL;
    }
  return json_object_ref (json_node_get_object (root));
}

/**
 * till_json_parse_object:
 * @data: JSON text, not necessarily NUL-terminated
 * @length: its length, or -1 if it is NUL-terminated
 *
 * Returns: (transfer full): the root object.
 */
JsonObject *
till_json_parse_object (const char *data, gssize length, GError **error)
{
  if (length < 0)
    length = data != NULL ? (gssize) strlen (data) : 0;
  return read_root (data, length, NULL, error);
}

JsonObject *
till_json_parse_object_members (const char        *data,
                                gssize             length,
                                const char *const *members,
                                GError           **error)
{
  if (length < 0)
    length = data != NULL ? (gssize) strlen (data) : 0;
  return read_root (data, length, members, error);
}
