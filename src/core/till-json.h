/* till-json.h: strict reading of JSON objects, with errors that name the field.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

#define TILL_JSON_ERROR (till_json_error_quark ())

typedef enum
{
  TILL_JSON_ERROR_SYNTAX,        /* not JSON at all */
  TILL_JSON_ERROR_TYPE,          /* a field of the wrong type */
  TILL_JSON_ERROR_MISSING,       /* a required field is absent */
  TILL_JSON_ERROR_UNKNOWN_FIELD, /* a field the schema does not have */
  TILL_JSON_ERROR_RANGE,         /* a value out of its range */
  TILL_JSON_ERROR_INVALID,       /* a value that does not mean anything (bad currency, …) */
} TillJsonError;

GQuark till_json_error_quark (void);

/* Reads the JSON text @data (@length bytes, or up to a NUL if @length is -1) and returns its
 * root, which must be an object. The one JSON reader of Till (till-json-reader.c says what
 * it accepts): strict RFC 8259; a member given twice in an object, like anything else it
 * refuses, is a TILL_JSON_ERROR_SYNTAX that names it; a root that is not an object is a
 * TILL_JSON_ERROR_TYPE. */
JsonObject *till_json_parse_object (const char *data, gssize length, GError **error);
/* The same, but of the root object only @members (NULL-terminated) are kept; the others are
 * checked as strictly and left out (a member left out may appear twice: nothing of it is
 * kept). */
JsonObject *till_json_parse_object_members (const char        *data,
                                            gssize             length,
                                            const char *const *members,
                                            GError           **error);
/* Fails with UNKNOWN_FIELD naming the first member of @object not in @allowed. */
gboolean till_json_check_members (JsonObject  *object,
                                  const char  *path,
                                  const char **allowed,
                                  GError     **error);
/* Each getter: absent and !required → TRUE with *out untouched; null counts as absent. */
gboolean till_json_get_int (JsonObject *object,
                            const char *path,
                            const char *member,
                            gboolean    required,
                            gint64      min,
                            gint64      max,
                            gint64     *out,
                            GError    **error);
gboolean till_json_get_string (JsonObject *object,
                               const char *path,
                               const char *member,
                               gboolean    required,
                               gsize       max_length,
                               char      **out,
                               GError    **error);
gboolean till_json_get_boolean (JsonObject *object,
                                const char *path,
                                const char *member,
                                gboolean    required,
                                gboolean   *out,
                                GError    **error);
gboolean till_json_get_object (JsonObject  *object,
                               const char  *path,
                               const char  *member,
                               gboolean     required,
                               JsonObject **out,
                               GError     **error);
gboolean till_json_get_array (JsonObject *object,
                              const char *path,
                              const char *member,
                              gboolean    required,
                              JsonArray **out,
                              GError    **error);
char    *till_json_to_string (JsonNode *node, gboolean pretty);

G_END_DECLS
