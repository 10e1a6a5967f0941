/* till-pin.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A kiosk's attendant PIN is stored by till-server as a salted, slow hash, and checked by
 * the kiosk itself (so that an attendant can leave kiosk mode while the server is out of
 * reach). PBKDF2-HMAC-SHA256 because neither part links a KDF library: GLib has HMAC-SHA256
 * (GHmac) but no PBKDF2, and libcurl's TLS library is not ours to call. A PIN has few
 * digits, so the hash only slows down whoever has it (a kiosk's token, or the database);
 * the kiosk's lockout after wrong PINs is what protects the PIN pad.
 */
#include "config.h"

#include <string.h>

#include "till-pin.h"

#define SHA256_BYTES 32

void
till_pin_pbkdf2_sha256 (const guint8 *password,
                        gsize         password_length,
                        const guint8 *salt,
                        gsize         salt_length,
                        guint         iterations,
                        guint8       *out,
                        gsize         out_length)
{
  g_autoptr (GHmac) keyed = g_hmac_new (G_CHECKSUM_SHA256, password, password_length);
  guint32 block = 0;

  g_return_if_fail (iterations > 0);

  for (gsize done = 0; done < out_length; done += SHA256_BYTES)
    {
      guint8 u[SHA256_BYTES], t[SHA256_BYTES];
      guint8 index[4];
      gsize  length = SHA256_BYTES;
      GHmac *hmac = g_hmac_copy (keyed);

      block++;
      index[0] = block >> 24;
      index[1] = block >> 16;
      index[2] = block >> 8;
      index[3] = block;
      g_hmac_update (hmac, salt, salt_length);
      g_hmac_update (hmac, index, sizeof index);
      g_hmac_get_digest (hmac, u, &length);
      g_hmac_unref (hmac);
      memcpy (t, u, sizeof t);
      for (guint i = 1; i < iterations; i++)
        {
          hmac = g_hmac_copy (keyed);
          g_hmac_update (hmac, u, sizeof u);
          length = SHA256_BYTES;
          g_hmac_get_digest (hmac, u, &length);
          g_hmac_unref (hmac);
          for (guint j = 0; j < SHA256_BYTES; j++)
            t[j] ^= u[j];
        }
      memcpy (out + done, t, MIN (SHA256_BYTES, out_length - done));
    }
}

gboolean
till_pin_is_valid (const char *pin)
{
  gsize length;

  if (pin == NULL)
    return FALSE;
  length = strlen (pin);
  if (length < 4 || length > 12)
    return FALSE;
  for (const char *p = pin; *p; p++)
    if (!g_ascii_isdigit (*p))
      return FALSE;
  return TRUE;
}

void
till_pin_hash (const char   *pin,
               const guint8 *salt,
               gsize         salt_length,
               guint         iterations,
               guint8        out[TILL_PIN_HASH_BYTES])
{
  till_pin_pbkdf2_sha256 ((const guint8 *) pin, strlen (pin), salt, salt_length, iterations, out,
                          TILL_PIN_HASH_BYTES);
}

gboolean
till_pin_verify (const char   *pin,
                 const guint8 *salt,
                 gsize         salt_length,
                 guint         iterations,
                 const guint8 *hash,
                 gsize         hash_length)
{
  guint8          derived[TILL_PIN_HASH_BYTES];
  volatile guint8 diff = 0;

  if (!till_pin_is_valid (pin) || hash_length != TILL_PIN_HASH_BYTES || iterations == 0 ||
      iterations > TILL_PIN_ITERATIONS_MAX)
    return FALSE;
  till_pin_hash (pin, salt, salt_length, iterations, derived);
  for (gsize i = 0; i < TILL_PIN_HASH_BYTES; i++)
    diff |= derived[i] ^ hash[i];
  return diff == 0;
}
