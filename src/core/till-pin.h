/* till-pin.h: an attendant's PIN and its salted hash (PBKDF2-HMAC-SHA256).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define TILL_PIN_SALT_BYTES 16
#define TILL_PIN_HASH_BYTES 32
/* What till-server hashes a new PIN with; a stored hash says its own count. */
#define TILL_PIN_ITERATIONS 100000
/* The most a stored hash may ask for, so that a bad policy cannot stall whoever checks. */
#define TILL_PIN_ITERATIONS_MAX 2000000

/* PBKDF2 (RFC 8018) with HMAC-SHA256: @out_length bytes derived from @password and @salt. */
void till_pin_pbkdf2_sha256 (const guint8 *password,
                             gsize         password_length,
                             const guint8 *salt,
                             gsize         salt_length,
                             guint         iterations,
                             guint8       *out,
                             gsize         out_length);

/* 4 to 12 ASCII digits. */
gboolean till_pin_is_valid (const char *pin);

/* TILL_PIN_HASH_BYTES of @pin's hash with @salt. */
void till_pin_hash (const char   *pin,
                    const guint8 *salt,
                    gsize         salt_length,
                    guint         iterations,
                    guint8        out[TILL_PIN_HASH_BYTES]);

/* Whether @pin hashes to @hash (compared in constant time). */
gboolean till_pin_verify (const char   *pin,
                          const guint8 *salt,
                          gsize         salt_length,
                          guint         iterations,
                          const guint8 *hash,
                          gsize         hash_length);

G_END_DECLS
