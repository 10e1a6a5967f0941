/* till-server-config.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <errno.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <sys/stat.h>

#include "till-core.h"
#include "till-server-config.h"

/* The quark's name, dashes and all, becomes a string. */
/* clang-format off */
G_DEFINE_QUARK (till-config-error-quark, till_config_error)
/* clang-format on */

#define DEFAULT_API_BASE "https://api.stripe.com"
#define DEFAULT_JS_URL "https://js.stripe.com/v3/"

TillServerConfig *
till_server_config_new (void)
{
  TillServerConfig *config = g_new0 (TillServerConfig, 1);

  config->store_name = g_strdup (_ ("Till"));
  config->currency = g_strdup ("USD");
  config->prices_include_tax = FALSE;
  config->number_prefix = g_strdup ("T-");
  config->offline_cash = TRUE;
  config->listen = g_strdup ("127.0.0.1:8787");
  config->max_body = 1024 * 1024;
  config->payment_method_types = g_strsplit ("card", ";", -1);
  config->checkout_rate_per_minute = 120;
  config->header_timeout = 10;
  config->body_timeout = 30;
  config->idle_timeout = 60;
  config->max_connections = 0;
  config->max_connections_per_peer = -1; /* derived: 64, or none behind a proxy */
  config->reconcile_interval = 60;
  config->reconcile_sync_after = 120;
  config->reconcile_cancel_after = 30 * 60;
  config->stripe_timeout = 30;
  config->stripe_connect_timeout = 10;
  config->stripe_max_retries = 3;
  config->stripe_rate_limit = 0;
  config->stripe_rate_wait = 10;
  /* Training keeps a day, as Stripe keeps idempotency keys, and within that two busy lanes'
   * day of checkouts (each an intent, a charge, a payment method, three events and a key):
   * bounded memory however long it runs (bench/README.md). The reconciler needs an intent
   * only until cancel-after; one forgotten before (a load test) ends canceled. */
  config->training_max_age = 24 * 60 * 60;
  config->training_max_intents = 2000;
  config->training_max_events = 6000;
  config->training_max_idempotency_keys = 2000;
  return config;
}

void
till_server_config_free (TillServerConfig *config)
{
  if (config == NULL)
    return;
  g_free (config->store_name);
  g_free (config->currency);
  g_free (config->store_address);
  g_free (config->store_tax_id);
  g_free (config->timezone);
  g_free (config->number_prefix);
  g_free (config->listen);
  g_free (config->database);
  g_free (config->tls_certificate);
  g_free (config->tls_key);
  g_free (config->public_url);
  g_free (config->api_base);
  g_free (config->js_url);
  if (config->secret_key != NULL)
    memset (config->secret_key, 0, strlen (config->secret_key));
  g_free (config->secret_key);
  g_free (config->publishable_key);
  if (config->webhook_secret != NULL)
    memset (config->webhook_secret, 0, strlen (config->webhook_secret));
  g_free (config->webhook_secret);
  g_strfreev (config->payment_method_types);
  g_free (config);
}

static gboolean
take_string (GKeyFile *file, const char *group, const char *key, char **field, GError **error)
{
  g_autoptr (GError) local = NULL;
  char *value = g_key_file_get_string (file, group, key, &local);

  if (value == NULL)
    {
      if (g_error_matches (local, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_KEY_NOT_FOUND) ||
          g_error_matches (local, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_GROUP_NOT_FOUND))
        return TRUE;
      g_propagate_prefixed_error (error, g_steal_pointer (&local), "[%s] %s: ", group, key);
      return FALSE;
    }
  g_strstrip (value);
  g_free (*field);
  *field = value;
  return TRUE;
}

static gboolean
take_int (GKeyFile   *file,
          const char *group,
          const char *key,
          int         min,
          int         max,
          int        *field,
          GError    **error)
{
  g_autoptr (GError) local = NULL;
  int value;

  if (!g_key_file_has_key (file, group, key, NULL))
    return TRUE;
  value = g_key_file_get_integer (file, group, key, &local);
  if (local != NULL)
    {
      g_propagate_prefixed_error (error, g_steal_pointer (&local), "[%s] %s: ", group, key);
      return FALSE;
    }
  if (value < min || value > max)
    {
      g_set_error (error, TILL_CONFIG_ERROR, TILL_CONFIG_ERROR_INVALID,
                   _ ("[%s] %s must be between %d and %d"), group, key, min, max);
      return FALSE;
    }
  *field = value;
  return TRUE;
}

static gboolean
take_boolean (GKeyFile *file, const char *group, const char *key, gboolean *field, GError **error)
{
  g_autoptr (GError) local = NULL;
  gboolean value;

  if (!g_key_file_has_key (file, group, key, NULL))
    return TRUE;
  value = g_key_file_get_boolean (file, group, key, &local);
  if (local != NULL)
    {
      g_propagate_prefixed_error (error, g_steal_pointer (&local), "[%s] %s: ", group, key);
      return FALSE;
    }
  *field = value;
  return TRUE;
}

/* [stripe] payment-method-types: Stripe's names ("card", the default), or "automatic" alone
 * for automatic_payment_methods. Only methods that complete inside the card form work at a
 * till (see till-payment-view.c); Stripe refuses names it does not know when a payment
 * starts, so a typing mistake is caught here, at start-up. */
static gboolean
read_payment_method_types (TillServerConfig *config, GKeyFile *file, GError **error)
{
  g_auto (GStrv) types =
      g_key_file_get_string_list (file, "stripe", "payment-method-types", NULL, NULL);
  guint n = types ? g_strv_length (types) : 0;

  for (guint i = 0; i < n; i++)
    {
      gboolean valid = types[i][0] != '\0';

      for (const char *p = types[i]; *p != '\0'; p++)
        if (!(g_ascii_islower (*p) || g_ascii_isdigit (*p) || *p == '_'))
          valid = FALSE;
      if (!valid || (g_str_equal (types[i], "automatic") && n > 1))
        {
          g_set_error (error, TILL_CONFIG_ERROR, TILL_CONFIG_ERROR_INVALID,
                       _ ("[stripe] payment-method-types: “%s” is not a payment method type; "
                          "use Stripe's names such as “card”, or “automatic” alone"),
                       types[i]);
          return FALSE;
        }
    }
  if (n == 0)
    {
      g_set_error_literal (error, TILL_CONFIG_ERROR, TILL_CONFIG_ERROR_INVALID,
                           _ ("[stripe] payment-method-types is empty; use “card”, or "
                              "“automatic” for Stripe's automatic payment methods"));
      return FALSE;
    }
  g_strfreev (config->payment_method_types);
  config->payment_method_types = NULL;
  if (!g_str_equal (types[0], "automatic"))
    config->payment_method_types = g_steal_pointer (&types);
  return TRUE;
}

static gboolean
normalize_currency (TillServerConfig *config, GError **error)
{
  const TillCurrency *currency;

  if (config->currency == NULL || (currency = till_currency_lookup (config->currency)) == NULL)
    {
      g_set_error (error, TILL_CONFIG_ERROR, TILL_CONFIG_ERROR_INVALID,
                   _ ("[store] currency: “%s” is not a currency Till knows"),
                   config->currency != NULL ? config->currency : "");
      return FALSE;
    }
  g_free (config->currency);
  config->currency = g_strdup (till_currency_get_code (currency));
  return TRUE;
}

/* [store] cash-rounding and offline-cash (issue 25). */
static gboolean
load_cash_settings (TillServerConfig *config, GKeyFile *file, GError **error)
{
  if (!take_int (file, "store", "cash-rounding", 0, 100, &config->cash_rounding, error) ||
      !take_boolean (file, "store", "offline-cash", &config->offline_cash, error))
    return FALSE;
  if (!till_cash_rounding_is_valid (config->cash_rounding))
    {
      g_set_error (error, TILL_CONFIG_ERROR, TILL_CONFIG_ERROR_INVALID,
                   _ ("[store] cash-rounding must be 0, 5, 10, 50 or 100 (minor units), not %d"),
                   config->cash_rounding);
      return FALSE;
    }
  return TRUE;
}

gboolean
till_server_config_load_file (TillServerConfig *config, const char *path, GError **error)
{
  g_autoptr (GKeyFile) file = g_key_file_new ();
  g_autofree char *secret = NULL;
  g_autofree char *webhook_secret = NULL;
  int              max_body_kib = (int) (config->max_body / 1024);
  GStatBuf         st;

  if (!g_key_file_load_from_file (file, path, G_KEY_FILE_NONE, error))
    {
      g_prefix_error (error, "%s: ", path);
      return FALSE;
    }

  if (!take_string (file, "store", "name", &config->store_name, error) ||
      !take_string (file, "store", "currency", &config->currency, error) ||
      !take_boolean (file, "store", "prices-include-tax", &config->prices_include_tax, error) ||
      !take_string (file, "store", "address", &config->store_address, error) ||
      !take_string (file, "store", "tax-id", &config->store_tax_id, error) ||
      !take_string (file, "store", "timezone", &config->timezone, error) ||
      !take_string (file, "store", "order-number-prefix", &config->number_prefix, error) ||
      !take_string (file, "server", "listen", &config->listen, error) ||
      !take_string (file, "server", "database", &config->database, error) ||
      !take_string (file, "server", "tls-certificate", &config->tls_certificate, error) ||
      !take_string (file, "server", "tls-key", &config->tls_key, error) ||
      !take_boolean (file, "server", "behind-proxy", &config->behind_proxy, error) ||
      !take_string (file, "server", "public-url", &config->public_url, error) ||
      !take_int (file, "server", "max-body-kib", 1, 64 * 1024, &max_body_kib, error) ||
      !take_int (file, "server", "checkout-rate-per-minute", 1, 1000000,
                 &config->checkout_rate_per_minute, error) ||
      !take_int (file, "server", "header-timeout", 1, 3600, &config->header_timeout, error) ||
      !take_int (file, "server", "body-timeout", 1, 3600, &config->body_timeout, error) ||
      !take_int (file, "server", "idle-timeout", 1, 86400, &config->idle_timeout, error) ||
      !take_int (file, "server", "max-connections", 0, 1000000, &config->max_connections, error) ||
      !take_int (file, "server", "max-connections-per-peer", 0, 1000000,
                 &config->max_connections_per_peer, error) ||
      !take_int (file, "reconciler", "interval", 1, 86400, &config->reconcile_interval, error) ||
      !take_int (file, "reconciler", "sync-after", 1, 86400 * 7, &config->reconcile_sync_after,
                 error) ||
      !take_int (file, "reconciler", "cancel-after", 60, 86400 * 7, &config->reconcile_cancel_after,
                 error) ||
      !take_string (file, "stripe", "api-base", &config->api_base, error) ||
      !take_string (file, "stripe", "js-url", &config->js_url, error) ||
      !take_string (file, "stripe", "publishable-key", &config->publishable_key, error) ||
      !take_string (file, "stripe", "secret-key", &secret, error) ||
      !take_string (file, "stripe", "webhook-secret", &webhook_secret, error) ||
      !take_int (file, "stripe", "timeout", 1, 600, &config->stripe_timeout, error) ||
      !take_int (file, "stripe", "connect-timeout", 1, 600, &config->stripe_connect_timeout,
                 error) ||
      !take_int (file, "stripe", "max-retries", 0, 10, &config->stripe_max_retries, error) ||
      !take_int (file, "stripe", "rate-limit", 1, 100000, &config->stripe_rate_limit, error) ||
      !take_int (file, "stripe", "rate-limit-wait", 1, 600, &config->stripe_rate_wait, error) ||
      !take_boolean (file, "stripe", "moto", &config->moto, error) ||
      !take_int (file, "training", "max-age", 0, G_MAXINT, &config->training_max_age, error) ||
      !take_int (file, "training", "max-intents", 0, G_MAXINT, &config->training_max_intents,
                 error) ||
      !take_int (file, "training", "max-events", 0, G_MAXINT, &config->training_max_events,
                 error) ||
      !take_int (file, "training", "max-idempotency-keys", 0, G_MAXINT,
                 &config->training_max_idempotency_keys, error) ||
      !take_boolean (file, "training", "moto-approved", &config->training_moto_approved, error))
    {
      g_prefix_error (error, "%s: ", path);
      return FALSE;
    }
  if (!load_cash_settings (config, file, error))
    {
      g_prefix_error (error, "%s: ", path);
      return FALSE;
    }
  config->max_body = (gsize) max_body_kib * 1024;
  config->currency_configured |= g_key_file_has_key (file, "store", "currency", NULL);
  config->prices_include_tax_configured |=
      g_key_file_has_key (file, "store", "prices-include-tax", NULL);

  /* "usd" is USD: every command (serving, catalog import) then compares codes as written
   * by Till. An unknown code is refused here, before any command reads it. */
  if (!normalize_currency (config, error))
    {
      g_prefix_error (error, "%s: ", path);
      return FALSE;
    }

  if (g_key_file_has_key (file, "stripe", "payment-method-types", NULL) &&
      !read_payment_method_types (config, file, error))
    {
      g_prefix_error (error, "%s: ", path);
      return FALSE;
    }

  if (secret != NULL || webhook_secret != NULL)
    {
      /* A file with secrets must be readable by its owner only. */
      if (g_stat (path, &st) != 0)
        {
          int saved = errno;
          g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved), "%s: %s", path,
                       g_strerror (saved));
          return FALSE;
        }
      if ((st.st_mode & (S_IRWXG | S_IRWXO)) != 0)
        {
          g_set_error (error, TILL_CONFIG_ERROR, TILL_CONFIG_ERROR_INSECURE,
                       _ ("%s holds secrets but other users can read it; run chmod 600 %s"), path,
                       path);
          return FALSE;
        }
      if (secret != NULL)
        {
          g_free (config->secret_key);
          config->secret_key = g_steal_pointer (&secret);
        }
      if (webhook_secret != NULL)
        {
          g_free (config->webhook_secret);
          config->webhook_secret = g_steal_pointer (&webhook_secret);
        }
    }
  return TRUE;
}

/* One systemd credential (LoadCredential=NAME:PATH puts a copy, readable by the service only,
 * in $CREDENTIALS_DIRECTORY): absent is not an error; empty or unreadable is. A final
 * newline is not part of the value. */
static gboolean
take_credential (const char *directory, const char *name, char **field, GError **error)
{
  g_autofree char *path = g_build_filename (directory, name, NULL);
  g_autofree char *contents = NULL;
  g_autoptr (GError) local = NULL;
  gsize length = 0;

  if (!g_file_get_contents (path, &contents, &length, &local))
    {
      if (g_error_matches (local, G_FILE_ERROR, G_FILE_ERROR_NOENT))
        return TRUE;
      g_propagate_error (error, g_steal_pointer (&local));
      return FALSE;
    }
  while (length > 0 && (contents[length - 1] == '\n' || contents[length - 1] == '\r'))
    contents[--length] = '\0';
  if (length == 0 || strlen (contents) != length || !g_utf8_validate (contents, length, NULL))
    {
      memset (contents, 0, length);
      g_set_error (error, TILL_CONFIG_ERROR, TILL_CONFIG_ERROR_INVALID,
                   _ ("The credential %s is empty or not one line of text"), path);
      return FALSE;
    }
  if (*field != NULL)
    memset (*field, 0, strlen (*field));
  g_free (*field);
  *field = g_steal_pointer (&contents);
  return TRUE;
}

gboolean
till_server_config_load_credentials (TillServerConfig *config, GError **error)
{
  const char *directory = g_getenv ("CREDENTIALS_DIRECTORY");

  if (directory == NULL || *directory == '\0')
    return TRUE;
  return take_credential (directory, "stripe-secret-key", &config->secret_key, error) &&
         take_credential (directory, "stripe-webhook-secret", &config->webhook_secret, error);
}

static void
take_env (const char *name, char **field)
{
  const char *value = g_getenv (name);

  if (value != NULL && *value != '\0')
    {
      g_free (*field);
      *field = g_strdup (value);
    }
}

void
till_server_config_apply_environment (TillServerConfig *config)
{
  take_env ("TILL_STRIPE_SECRET_KEY", &config->secret_key);
  take_env ("TILL_STRIPE_PUBLISHABLE_KEY", &config->publishable_key);
  take_env ("TILL_STRIPE_WEBHOOK_SECRET", &config->webhook_secret);
  take_env ("TILL_STRIPE_API_BASE", &config->api_base);
  take_env ("TILL_STRIPE_JS_URL", &config->js_url);
}

static gboolean
is_live_key (const char *key)
{
  return key != NULL && (g_str_has_prefix (key, "sk_live_") || g_str_has_prefix (key, "rk_live_") ||
                         g_str_has_prefix (key, "pk_live_"));
}

/* A text printed on receipts: UTF-8, at most @max_chars characters on @max_lines lines;
 * empty is none. */
static gboolean
check_receipt_text (const char *key, char **text, glong max_chars, guint max_lines, GError **error)
{
  guint lines = 1;

  if (*text == NULL)
    return TRUE;
  if (**text == '\0')
    {
      g_clear_pointer (text, g_free);
      return TRUE;
    }
  if (!g_utf8_validate (*text, -1, NULL))
    {
      g_set_error (error, TILL_CONFIG_ERROR, TILL_CONFIG_ERROR_INVALID,
                   _ ("[store] %s is not valid UTF-8"), key);
      return FALSE;
    }
  for (const char *p = *text; *p != '\0'; p++)
    if (*p == '\n')
      lines++;
  if (g_utf8_strlen (*text, -1) > max_chars || lines > max_lines)
    {
      if (max_lines == 1)
        g_set_error (error, TILL_CONFIG_ERROR, TILL_CONFIG_ERROR_INVALID,
                     _ ("[store] %s must be one line of at most %ld characters"), key, max_chars);
      else
        g_set_error (error, TILL_CONFIG_ERROR, TILL_CONFIG_ERROR_INVALID,
                     _ ("[store] %s must have at most %u lines (written \\n) and %ld "
                        "characters"),
                     key, max_lines, max_chars);
      return FALSE;
    }
  return TRUE;
}

/* Stripe allows an account 100 requests a second in live mode and 25 in test mode
 * (docs.stripe.com/rate-limits); till-server keeps below, leaving the rest to the
 * Dashboard, webhooks' follow-ups and whatever else shares the account. */
static void
derive_rate_limit (TillServerConfig *config)
{
  if (config->stripe_rate_limit <= 0)
    config->stripe_rate_limit = config->mode == TILL_SERVER_MODE_LIVE ? 80 : 20;
}

/* [server] public-url: where customers reach this server, for the receipt pages' links.
 * https, or http only on the machine itself or in training: a receipt's link must not send
 * a customer's order in clear over a network. Only scheme, host and port. */
static gboolean
check_public_url (TillServerConfig *config, GError **error)
{
  g_autoptr (GUri) uri = NULL;
  const char *scheme;
  const char *host;
  gboolean    loopback;
  gsize       length;

  if (config->public_url == NULL)
    return TRUE;
  length = strlen (config->public_url);
  while (length > 0 && config->public_url[length - 1] == '/')
    config->public_url[--length] = '\0';
  /* ASCII: it goes into QR codes as it is (a name in another script in its xn-- form). */
  if (g_str_is_ascii (config->public_url))
    uri = g_uri_parse (config->public_url, G_URI_FLAGS_NONE, NULL);
  if (uri == NULL || g_uri_get_host (uri) == NULL || *g_uri_get_host (uri) == '\0' ||
      *g_uri_get_path (uri) != '\0' || g_uri_get_query (uri) != NULL ||
      g_uri_get_fragment (uri) != NULL || g_uri_get_userinfo (uri) != NULL)
    {
      g_set_error (error, TILL_CONFIG_ERROR, TILL_CONFIG_ERROR_INVALID,
                   _ ("[server] public-url: “%s” is not an address such as https://shop.example"),
                   config->public_url);
      return FALSE;
    }
  scheme = g_uri_get_scheme (uri);
  host = g_uri_get_host (uri);
  loopback = g_str_equal (host, "localhost") || g_str_equal (host, "::1") ||
             g_str_has_prefix (host, "127.");
  if (g_ascii_strcasecmp (scheme, "https") != 0 &&
      !(g_ascii_strcasecmp (scheme, "http") == 0 && (loopback || config->training)))
    {
      g_set_error (error, TILL_CONFIG_ERROR, TILL_CONFIG_ERROR_NEEDS_TLS,
                   _ ("[server] public-url must start with https:// (http:// only for this "
                      "machine or in training)"));
      return FALSE;
    }
  return TRUE;
}

gboolean
till_server_config_validate (TillServerConfig *config, GError **error)
{
  g_autofree char *host = NULL;
  guint16          port;

  /* Training sells the demo catalog as it is written, in euros with the tax included in
   * the prices, as European shops price (not its figures relabelled as dollars); a
   * [store] currency configured still wins. */
  if (config->training && !config->currency_configured)
    {
      g_free (config->currency);
      config->currency = g_strdup ("EUR");
      if (!config->prices_include_tax_configured)
        config->prices_include_tax = TRUE;
    }
  if (!normalize_currency (config, error))
    return FALSE;

  if (config->store_name == NULL || *config->store_name == '\0' ||
      !g_utf8_validate (config->store_name, -1, NULL))
    {
      g_set_error (error, TILL_CONFIG_ERROR, TILL_CONFIG_ERROR_INVALID,
                   _ ("[store] name must not be empty"));
      return FALSE;
    }
  if (!check_receipt_text ("address", &config->store_address, 200, 4, error) ||
      !check_receipt_text ("tax-id", &config->store_tax_id, 40, 1, error))
    return FALSE;
  if (config->timezone != NULL)
    {
      GTimeZone *tz = g_time_zone_new_identifier (config->timezone);

      if (tz == NULL)
        {
          g_set_error (error, TILL_CONFIG_ERROR, TILL_CONFIG_ERROR_INVALID,
                       _ ("[store] timezone: “%s” is not a time zone"), config->timezone);
          return FALSE;
        }
      g_time_zone_unref (tz);
    }
  if (!till_server_parse_listen (config->listen, &host, &port, error))
    return FALSE;
  if ((config->tls_certificate == NULL) != (config->tls_key == NULL))
    {
      g_set_error (error, TILL_CONFIG_ERROR, TILL_CONFIG_ERROR_INVALID,
                   _ ("TLS needs both a certificate and a key"));
      return FALSE;
    }
  if (config->database == NULL)
    config->database = till_server_default_database ();
  if (!check_public_url (config, error))
    return FALSE;

  if (config->training)
    {
      if (is_live_key (config->secret_key) || is_live_key (config->publishable_key))
        {
          g_set_error (error, TILL_CONFIG_ERROR, TILL_CONFIG_ERROR_WRONG_KEY,
                       _ ("Training mode refuses to start with a live Stripe key"));
          return FALSE;
        }
      config->mode = TILL_SERVER_MODE_TRAINING;
      derive_rate_limit (config);
      return TRUE;
    }

  if (config->secret_key == NULL)
    {
      g_set_error (error, TILL_CONFIG_ERROR, TILL_CONFIG_ERROR_NO_KEY,
                   _ ("No Stripe secret key: set TILL_STRIPE_SECRET_KEY, put secret-key in the "
                      "[stripe] group of the configuration file, or start with --training"));
      return FALSE;
    }
  if (g_str_has_prefix (config->secret_key, "sk_test_") ||
      g_str_has_prefix (config->secret_key, "rk_test_"))
    config->mode = TILL_SERVER_MODE_TEST;
  else if (g_str_has_prefix (config->secret_key, "sk_live_") ||
           g_str_has_prefix (config->secret_key, "rk_live_"))
    config->mode = TILL_SERVER_MODE_LIVE;
  else
    {
      g_set_error (error, TILL_CONFIG_ERROR, TILL_CONFIG_ERROR_WRONG_KEY,
                   _ ("The Stripe secret key must start with sk_test_ or sk_live_"));
      return FALSE;
    }

  if (config->publishable_key != NULL)
    {
      gboolean pk_live = g_str_has_prefix (config->publishable_key, "pk_live_");
      gboolean pk_test = g_str_has_prefix (config->publishable_key, "pk_test_");

      if (!pk_live && !pk_test)
        {
          g_set_error (error, TILL_CONFIG_ERROR, TILL_CONFIG_ERROR_WRONG_KEY,
                       _ ("The Stripe publishable key must start with pk_test_ or pk_live_"));
          return FALSE;
        }
      if (pk_live != (config->mode == TILL_SERVER_MODE_LIVE))
        {
          g_set_error (error, TILL_CONFIG_ERROR, TILL_CONFIG_ERROR_WRONG_KEY,
                       _ ("The publishable key and the secret key are not both test or both "
                          "live keys"));
          return FALSE;
        }
    }

  if (config->mode == TILL_SERVER_MODE_LIVE)
    {
      if (config->tls_certificate == NULL && !config->behind_proxy)
        {
          g_set_error (error, TILL_CONFIG_ERROR, TILL_CONFIG_ERROR_NEEDS_TLS,
                       _ ("Live mode needs HTTPS: give --tls-certificate and --tls-key, or "
                          "--behind-proxy when a TLS proxy stands in front of till-server"));
          return FALSE;
        }
      if (config->api_base != NULL && !g_str_has_prefix (config->api_base, "https://"))
        {
          g_set_error (error, TILL_CONFIG_ERROR, TILL_CONFIG_ERROR_NEEDS_TLS,
                       _ ("Live mode talks to Stripe over HTTPS only"));
          return FALSE;
        }
    }

  if (config->api_base == NULL)
    config->api_base = g_strdup (DEFAULT_API_BASE);
  if (config->js_url == NULL)
    config->js_url = g_strdup (DEFAULT_JS_URL);
  derive_rate_limit (config);
  return TRUE;
}

const char *
till_server_mode_to_string (TillServerMode mode)
{
  switch (mode)
    {
      case TILL_SERVER_MODE_TRAINING:
        return "training";
      case TILL_SERVER_MODE_TEST:
        return "test";
      case TILL_SERVER_MODE_LIVE:
        return "live";
      default:
        g_return_val_if_reached ("training");
    }
}

gboolean
till_server_parse_listen (const char *listen, char **out_host, guint16 *out_port, GError **error)
{
  const char      *colon;
  g_autofree char *host = NULL;
  guint64          port;

  if (listen == NULL || (colon = strrchr (listen, ':')) == NULL || colon == listen)
    goto bad;
  if (listen[0] == '[')
    {
      if (colon[-1] != ']' || colon - listen < 3)
        goto bad;
      host = g_strndup (listen + 1, colon - listen - 2);
    }
  else
    host = g_strndup (listen, colon - listen);
  if (!g_ascii_string_to_unsigned (colon + 1, 10, 0, 65535, &port, NULL))
    goto bad;

  *out_host = g_steal_pointer (&host);
  *out_port = (guint16) port;
  return TRUE;

bad:
  g_set_error (error, TILL_CONFIG_ERROR, TILL_CONFIG_ERROR_INVALID, _ ("“%s” is not HOST:PORT"),
               listen != NULL ? listen : "");
  return FALSE;
}

char *
till_server_default_database (void)
{
  return g_build_filename (g_get_user_state_dir (), "till", "till.db", NULL);
}
