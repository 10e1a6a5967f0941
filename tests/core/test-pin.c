/* test-pin.c: PBKDF2-HMAC-SHA256 against RFC 7914's vectors, and PINs.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include "till-pin.h"

static char *
hex (const guint8 *bytes, gsize length)
{
  GString *text = g_string_new (NULL);

  for (gsize i = 0; i < length; i++)
    g_string_append_printf (text, "%02x", bytes[i]);
  return g_string_free (text, FALSE);
}

/* RFC 7914, section 11: PBKDF2-HMAC-SHA256 test vectors. */
static void
test_pbkdf2_rfc7914 (void)
{
  static const struct
  {
    const char *password, *salt;
    guint       iterations;
    const char *expected;
  } vectors[] = {
    { "passwd", "salt", 1,
      "55ac046e56e3089fec1691c22544b605f94185216dde0465e68b9d57c20dacbc"
      "49ca9cccf179b645991664b39d77ef317c71b845b1e30bd509112041d3a19783" },
    { "Password", "NaCl", 80000,
      "4ddcd8f60b98be21830cee5ef22701f9641a4418d04c0414aeff08876b34ab56"
      "a1d425a1225833549adb841b51c9b3176a272bdebba1d078478f62b397f33c8d" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (vectors); i++)
    {
      guint8           out[64];
      g_autofree char *text = NULL;

      till_pin_pbkdf2_sha256 ((const guint8 *) vectors[i].password, strlen (vectors[i].password),
                              (const guint8 *) vectors[i].salt, strlen (vectors[i].salt),
                              vectors[i].iterations, out, sizeof out);
      text = hex (out, sizeof out);
      g_assert_cmpstr (text, ==, vectors[i].expected);
    }
}

/* A length that is not a whole number of blocks. */
static void
test_pbkdf2_short (void)
{
  guint8           out[20];
  g_autofree char *text = NULL;

  till_pin_pbkdf2_sha256 ((const guint8 *) "passwd", 6, (const guint8 *) "salt", 4, 1, out,
                          sizeof out);
  text = hex (out, sizeof out);
  g_assert_cmpstr (text, ==, "55ac046e56e3089fec1691c22544b605f9418521");
}

static void
test_pin_valid (void)
{
  g_assert_true (till_pin_is_valid ("1234"));
  g_assert_true (till_pin_is_valid ("000000000000"));
  g_assert_false (till_pin_is_valid (NULL));
  g_assert_false (till_pin_is_valid (""));
  g_assert_false (till_pin_is_valid ("123"));
  g_assert_false (till_pin_is_valid ("1234567890123"));
  g_assert_false (till_pin_is_valid ("12a4"));
  g_assert_false (till_pin_is_valid ("12 34"));
  g_assert_false (till_pin_is_valid ("١٢٣٤")); /* Arabic-Indic digits are not ASCII */
}

static void
test_pin_verify (void)
{
  static const guint8 salt[TILL_PIN_SALT_BYTES] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14 };
  guint8              hash[TILL_PIN_HASH_BYTES];

  till_pin_hash ("2468", salt, sizeof salt, 1000, hash);
  g_assert_true (till_pin_verify ("2468", salt, sizeof salt, 1000, hash, sizeof hash));
  g_assert_false (till_pin_verify ("2469", salt, sizeof salt, 1000, hash, sizeof hash));
  g_assert_false (till_pin_verify ("2468", salt, sizeof salt, 1001, hash, sizeof hash));
  g_assert_false (till_pin_verify ("2468", salt, sizeof salt - 1, 1000, hash, sizeof hash));
  g_assert_false (till_pin_verify ("2468", salt, sizeof salt, 1000, hash, sizeof hash - 1));
  g_assert_false (till_pin_verify ("2468", salt, sizeof salt, 0, hash, sizeof hash));
  g_assert_false (
      till_pin_verify ("2468", salt, sizeof salt, TILL_PIN_ITERATIONS_MAX + 1, hash, sizeof hash));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/core/pin/pbkdf2/rfc7914", test_pbkdf2_rfc7914);
  g_test_add_func ("/core/pin/pbkdf2/short", test_pbkdf2_short);
  g_test_add_func ("/core/pin/valid", test_pin_valid);
  g_test_add_func ("/core/pin/verify", test_pin_verify);
  return g_test_run ();
}
