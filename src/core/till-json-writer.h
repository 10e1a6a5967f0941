/* till-json-writer.h: compact JSON written straight into a GString.
 *
 * For answers on hot paths (an order, a checkout) where building a JsonNode tree and then
 * generating it costs more than the rest of the request. Strings must be UTF-8; invalid
 * sequences are written as U+FFFD, so the output is always valid JSON.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define TILL_JSON_WRITER_MAX_DEPTH 64

typedef struct
{
  GString *out;
  guint    depth;
  /* Bit d: the container at depth d has a member or element already (needs a comma). */
  guint64  not_first;
  gboolean after_name;
} TillJsonWriter;

void till_json_writer_init (TillJsonWriter *writer, GString *out);
void till_json_writer_begin_object (TillJsonWriter *writer);
void till_json_writer_end_object (TillJsonWriter *writer);
void till_json_writer_begin_array (TillJsonWriter *writer);
void till_json_writer_end_array (TillJsonWriter *writer);
/* The name of the next member of the current object. */
void till_json_writer_name (TillJsonWriter *writer, const char *name);
/* NULL writes null. */
void till_json_writer_string (TillJsonWriter *writer, const char *value);
void till_json_writer_int (TillJsonWriter *writer, gint64 value);
void till_json_writer_boolean (TillJsonWriter *writer, gboolean value);
void till_json_writer_null (TillJsonWriter *writer);
/* UTC as RFC 3339 with seconds ("2026-11-26T09:05:00Z"); NULL writes null. */
void till_json_writer_time (TillJsonWriter *writer, GDateTime *time);

/* Shorthands: a member and its value. */
void till_json_writer_member_string (TillJsonWriter *writer, const char *name, const char *value);
void till_json_writer_member_int (TillJsonWriter *writer, const char *name, gint64 value);

G_END_DECLS
