/* till-server-config.h: till-server's settings from the key file, environment and options.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define TILL_CONFIG_ERROR (till_config_error_quark ())

typedef enum
{
  TILL_CONFIG_ERROR_INVALID,
  TILL_CONFIG_ERROR_INSECURE, /* a key file with secrets readable by others */
  TILL_CONFIG_ERROR_NO_KEY,
  TILL_CONFIG_ERROR_WRONG_KEY, /* a live key in training, a publishable key as secret, … */
  TILL_CONFIG_ERROR_NEEDS_TLS,
} TillConfigError;

typedef enum
{
  TILL_SERVER_MODE_TRAINING,
  TILL_SERVER_MODE_TEST,
  TILL_SERVER_MODE_LIVE,
} TillServerMode;

typedef struct
{
  /* [store] */
  char    *store_name;
  char    *currency; /* ISO 4217, upper case */
  gboolean prices_include_tax;
  gboolean currency_configured; /* set by the configuration file, not the default */
  gboolean prices_include_tax_configured;
  char    *store_address; /* nullable; lines separated by "\n", printed on receipts */
  char    *store_tax_id;  /* nullable; the store's tax (VAT) number, on receipts */
  char    *timezone;      /* IANA name; NULL: the machine's */
  char    *number_prefix; /* order numbers: "T-000042" */
  /* [server] */
  char    *listen; /* HOST:PORT */
  char    *database;
  char    *tls_certificate;
  char    *tls_key;
  gboolean behind_proxy;
  gsize    max_body;                 /* bytes */
  int      checkout_rate_per_minute; /* per terminal token */
  int      header_timeout;  /* seconds: the accept or a request's first byte → its headers */
  int      body_timeout;    /* seconds: the headers → the body's last byte */
  int      idle_timeout;    /* seconds: an answer → the next request on that connection */
  int      max_connections; /* open at once; 0: as many as the descriptors allow */
  int      max_connections_per_peer; /* from one address; 0: no cap (the default behind a proxy) */
  int      reconcile_interval;       /* seconds between reconciler runs */
  int      reconcile_sync_after;     /* seconds before a pending order is synced */
  int      reconcile_cancel_after;   /* seconds before an abandoned intent is canceled */
  char    *public_url; /* nullable: "https://shop.example", no trailing slash; receipt pages */
  /* [stripe] */
  char  *api_base;
  char  *js_url;
  char  *secret_key;
  char  *publishable_key;
  char  *webhook_secret;
  char **payment_method_types;   /* default "card"; NULL: automatic_payment_methods */
  int    stripe_timeout;         /* seconds, total per attempt */
  int    stripe_connect_timeout; /* seconds */
  int    stripe_max_retries;
  int    stripe_rate_limit; /* tries a second; 0 until validated: by mode */
  int    stripe_rate_wait;  /* seconds a request may wait for its turns and retries */
  /* [training]: what the embedded simulator remembers (0: no limit) */
  int training_max_age; /* seconds */
  int training_max_intents;
  int training_max_events;
  int training_max_idempotency_keys;
  /* [stripe] moto: cards a cashier types are mail or telephone orders (MOTO);
   * [training] moto-approved: the simulator acts as an account Stripe approved for them */
  gboolean moto;
  gboolean training_moto_approved;
  /* [store] cash: the rounding of a sale's cash part (0, 5, 10, 50, 100 minor units; 0
   * none), and whether cash sales made while the server was unreachable may be uploaded */
  int      cash_rounding;
  gboolean offline_cash;
  /* derived */
  gboolean       training;
  TillServerMode mode;
} TillServerConfig;

GQuark till_config_error_quark (void);

TillServerConfig *till_server_config_new (void);
void              till_server_config_free (TillServerConfig *config);

gboolean till_server_config_load_file (TillServerConfig *config, const char *path, GError **error);
/* TILL_STRIPE_SECRET_KEY, TILL_STRIPE_PUBLISHABLE_KEY, TILL_STRIPE_WEBHOOK_SECRET,
 * TILL_STRIPE_API_BASE, TILL_STRIPE_JS_URL. */
/* The Stripe secret key and webhook secret from the files stripe-secret-key and
 * stripe-webhook-secret in $CREDENTIALS_DIRECTORY (systemd's LoadCredential=), when set. */
gboolean till_server_config_load_credentials (TillServerConfig *config, GError **error);
void     till_server_config_apply_environment (TillServerConfig *config);
/* Validates and derives the mode. In training mode the Stripe settings are filled in by
 * whoever starts the simulator. */
gboolean till_server_config_validate (TillServerConfig *config, GError **error);

const char *till_server_mode_to_string (TillServerMode mode);
/* Splits "HOST:PORT" ("[::1]:8787" for IPv6). */
gboolean
till_server_parse_listen (const char *listen, char **out_host, guint16 *out_port, GError **error);
char *till_server_default_database (void);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TillServerConfig, till_server_config_free)

G_END_DECLS
