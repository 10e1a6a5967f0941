/* till-json-reader.h: strict JSON (RFC 8259) into json-glib nodes, without JsonParser.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* Reads the JSON text @data (@length bytes, not necessarily NUL-terminated), which must be
 * UTF-8, and returns its root object. Stricter than JsonParser (no comments, no NUL in
 * strings, no lone surrogates, no integer beyond gint64, no member twice in an object,
 * nesting limited to 128 levels) and several times faster.
 * Errors are TILL_JSON_ERROR_SYNTAX (not JSON: the message says where) and
 * TILL_JSON_ERROR_TYPE (the root is not an object). */
JsonObject *till_json_read_object (const char  *data,
                                   gsize        length,
                                   GError     **error);

/* The same, but of the root object only @members (NULL-terminated) are read; the others
 * are checked as strictly, and left out (except that in them, and among them, a member
 * may appear twice: nothing of them is read). */
JsonObject *till_json_read_object_members (const char         *data,
                                           gsize               length,
                                           const char * const *members,
                                           GError            **error);

G_END_DECLS
