/* till-payment-view.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * One WebKitWebView with its own ephemeral network session, created at start-up with the
 * payment page loaded, so Charge shows a ready form at once. The page talks to us through
 * the "till" script message handler; every message goes through till_pay_message_parse().
 * The main frame shows the payment page only; frames inside it may load any HTTPS origin
 * (see "The navigation policy" below); new windows, downloads, the context menu, the
 * inspector, file choosers, permissions, printing and zoom are refused. A web process that dies is
 * noticed and the page reloaded; a payment in progress is handed to the new page again, so the
 * order is never lost.
 */
#undef G_LOG_DOMAIN
#define G_LOG_DOMAIN "till-pay"

#include "config.h"

#include <glib/gi18n.h>
#include <string.h>

#include <json-glib/json-glib.h>

#include "till-decline-words.h"
#include "till-payment-view.h"

struct _TillPaymentView
{
  AdwBin parent_instance;

  WebKitNetworkSession *session;
  WebKitWebView        *web_view;
  GCancellable         *cancellable;

  char      *page_uri;
  GUri      *page_origin;
  GPtrArray *extra_origins; /* GUri */
  char      *pinned_sha256; /* lowercase hex, no colons */
  gboolean   training;      /* frames may also load http: from loopback addresses */

  gboolean loaded;        /* the page's script said "loaded" */
  guint    generation;    /* bumped each time the web process ends */
  gboolean start_pending; /* start() again once loaded */

  /* The payment in progress. */
  char    *payment_intent;
  char    *client_secret;
  char    *publishable_key;
  char    *amount_label;
  gint64   stripe_amount;
  char    *currency; /* lowercase, as Stripe.js takes it */
  gboolean dark;
  gboolean kiosk;
  gboolean moto;
};

G_DEFINE_FINAL_TYPE (TillPaymentView, till_payment_view, ADW_TYPE_BIN)

enum
{
  SIGNAL_LOADED,
  SIGNAL_READY,
  SIGNAL_RESULT,
  SIGNAL_PAYMENT_METHOD,
  SIGNAL_LOAD_ERROR,
  SIGNAL_CRASHED,
  SIGNAL_BLOCKED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

/* The navigation policy, and why.
 *
 * The main frame shows the payment page and nothing else: the view has no address bar and
 * no back button, so a page that left it would strand the customer. That includes
 * payment methods that send the whole page to a bank or wallet (Stripe.js does so with
 * `redirect: 'if_required'` for redirect-based methods): such a navigation is refused and
 * the page says so in plain words, and the customer pays by card in the same form. The
 * server asks Stripe for cards only by default for this reason (`payment-method-types`).
 *
 * Frames inside the page may load any HTTPS origin. Stripe.js nests frames from its own
 * hosts, and live 3-D Secure shows the card issuer's challenge (its ACS, on any HTTPS host
 * of the bank's) in frames nested inside Stripe's, often after a hidden "3DS method" frame
 * from the issuer; Stripe.js also nests fraud-signal and captcha frames from other hosts
 * (stripe.com/docs/payments/3d-secure, stripe.com/docs/security/guide#content-security-policy).
 * No list of hosts names every bank in the world, so a list would block most European cards
 * in live mode. Frames stay as safe as in any browser: the same-origin policy keeps them out
 * of the page, the page's Content-Security-Policy governs its own frames, and whatever the
 * bridge hears is a hint the server checks with Stripe. Never http: (a bank's page on plain
 * HTTP could be changed on the way), file:, data:, blob: or other schemes; in training the
 * simulator's origins are http: on a loopback address, so those are let through there only.
 *
 * New windows (pop-up payment methods), downloads and everything else stay refused.
 *
 * WebKitGTK does not say which frame a navigation is for before it starts, so a main frame
 * leaving the page is refused when its answer arrives, before anything of it is shown. */

static gboolean
is_loopback_host (const char *host)
{
  g_autoptr (GInetAddress) address = NULL;

  if (g_ascii_strcasecmp (host, "localhost") == 0)
    return TRUE;
  if (host[0] == '[')
    {
      g_autofree char *inner = g_strndup (host + 1, strlen (host) - 2);
      address = g_inet_address_new_from_string (inner);
    }
  else
    address = g_inet_address_new_from_string (host);
  return address != NULL && g_inet_address_get_is_loopback (address);
}

static int
effective_port (GUri *uri)
{
  int port = g_uri_get_port (uri);

  if (port > 0)
    return port;
  return g_strcmp0 (g_uri_get_scheme (uri), "https") == 0 ? 443 : 80;
}

static gboolean
same_origin (GUri *a, GUri *b)
{
  return g_ascii_strcasecmp (g_uri_get_scheme (a), g_uri_get_scheme (b)) == 0 &&
         g_ascii_strcasecmp (g_uri_get_host (a) ? g_uri_get_host (a) : "",
                             g_uri_get_host (b) ? g_uri_get_host (b) : "") == 0 &&
         effective_port (a) == effective_port (b);
}

/* The payment page's directory: "/pay/" for "https://till.example:8787/pay/". */
static gboolean
under_page_path (TillPaymentView *self, GUri *uri)
{
  const char      *page_path = g_uri_get_path (self->page_origin);
  const char      *slash = strrchr (page_path, '/');
  g_autofree char *directory = g_strndup (page_path, slash ? slash - page_path + 1 : 0);

  return g_str_has_prefix (g_uri_get_path (uri), directory) &&
         strstr (g_uri_get_path (uri), "..") == NULL;
}

/**
 * till_payment_view_allows_page_uri:
 *
 * Whether the main frame may show @uri: the payment page and the files beside it on the
 * server (the return address Stripe.js is given is the page itself). Nothing else.
 */
gboolean
till_payment_view_allows_page_uri (TillPaymentView *self, const char *uri)
{
  g_autoptr (GUri) parsed = NULL;

  g_return_val_if_fail (TILL_IS_PAYMENT_VIEW (self), FALSE);

  if (uri == NULL)
    return FALSE;
  parsed = g_uri_parse (uri, G_URI_FLAGS_NONE, NULL);
  return parsed != NULL && g_uri_get_host (parsed) != NULL &&
         same_origin (parsed, self->page_origin) && under_page_path (self, parsed);
}

/**
 * till_payment_view_allows_frame_uri:
 *
 * Whether a frame may load @uri: the server's origin, any HTTPS origin, the extra origins
 * the view was given, the blank documents frames start with, and in training http: on a
 * loopback address (the simulator's origins). Main-frame navigations are further held to
 * till_payment_view_allows_page_uri().
 */
gboolean
till_payment_view_allows_frame_uri (TillPaymentView *self, const char *uri)
{
  g_autoptr (GUri) parsed = NULL;
  const char *scheme;

  g_return_val_if_fail (TILL_IS_PAYMENT_VIEW (self), FALSE);

  if (uri == NULL)
    return FALSE;
  if (g_str_equal (uri, "about:blank") || g_str_equal (uri, "about:srcdoc"))
    return TRUE;

  parsed = g_uri_parse (uri, G_URI_FLAGS_NONE, NULL);
  if (parsed == NULL || g_uri_get_host (parsed) == NULL || g_uri_get_host (parsed)[0] == '\0')
    return FALSE;

  if (same_origin (parsed, self->page_origin))
    return TRUE;
  for (guint i = 0; i < self->extra_origins->len; i++)
    if (same_origin (parsed, g_ptr_array_index (self->extra_origins, i)))
      return TRUE;
  scheme = g_uri_get_scheme (parsed);
  if (g_ascii_strcasecmp (scheme, "https") == 0)
    return TRUE;
  return self->training && g_ascii_strcasecmp (scheme, "http") == 0 &&
         is_loopback_host (g_uri_get_host (parsed));
}

/* For logs: scheme and host only. Paths and queries may hold a client secret. */
static char *
describe_uri (const char *uri)
{
  g_autoptr (GUri) parsed = uri ? g_uri_parse (uri, G_URI_FLAGS_NONE, NULL) : NULL;

  if (parsed == NULL)
    return g_strdup ("(unparsable address)");
  return g_strdup_printf ("%s://%s", g_uri_get_scheme (parsed),
                          g_uri_get_host (parsed) ? g_uri_get_host (parsed) : "");
}

static void
block (TillPaymentView *self, const char *what, const char *uri)
{
  g_autofree char *where = describe_uri (uri);

  g_message ("Refused %s to %s", what, where);
  g_signal_emit (self, signals[SIGNAL_BLOCKED], 0, what);
}

/* A payment method that would leave the page (a redirect to a bank, a pop-up) was refused
 * during a payment: the page says so in plain words and lets the customer pay by card. */
static void
tell_page_leaving_refused (TillPaymentView *self)
{
  g_auto (GVariantBuilder) arguments = G_VARIANT_BUILDER_INIT (G_VARIANT_TYPE_VARDICT);

  if (!self->loaded || self->payment_intent == NULL)
    return;
  g_variant_builder_add (&arguments, "{sv}", "text",
                         g_variant_new_string (_ ("This payment method would leave this screen, "
                                                  "so it cannot be used here. Please pay by "
                                                  "card.")));
  webkit_web_view_call_async_javascript_function (self->web_view, "window.tillPay.refused(text);",
                                                  -1, g_variant_builder_end (&arguments), NULL,
                                                  NULL, self->cancellable, NULL, NULL);
}

static gboolean
on_decide_policy (WebKitWebView           *web_view,
                  WebKitPolicyDecision    *decision,
                  WebKitPolicyDecisionType type,
                  TillPaymentView         *self)
{
  switch (type)
    {
      case WEBKIT_POLICY_DECISION_TYPE_NAVIGATION_ACTION:
        {
          WebKitNavigationAction *action = webkit_navigation_policy_decision_get_navigation_action (
              WEBKIT_NAVIGATION_POLICY_DECISION (decision));
          const char *uri =
              webkit_uri_request_get_uri (webkit_navigation_action_get_request (action));

          if (till_payment_view_allows_frame_uri (self, uri))
            webkit_policy_decision_use (decision);
          else
            {
              block (self, "navigation", uri);
              webkit_policy_decision_ignore (decision);
            }
          return TRUE;
        }

      case WEBKIT_POLICY_DECISION_TYPE_NEW_WINDOW_ACTION:
        {
          WebKitNavigationAction *action = webkit_navigation_policy_decision_get_navigation_action (
              WEBKIT_NAVIGATION_POLICY_DECISION (decision));

          block (self, "new-window",
                 webkit_uri_request_get_uri (webkit_navigation_action_get_request (action)));
          webkit_policy_decision_ignore (decision);
          tell_page_leaving_refused (self);
          return TRUE;
        }

      case WEBKIT_POLICY_DECISION_TYPE_RESPONSE:
        {
          WebKitResponsePolicyDecision *response = WEBKIT_RESPONSE_POLICY_DECISION (decision);
          const char                   *uri =
              webkit_uri_request_get_uri (webkit_response_policy_decision_get_request (response));

          /* The main frame leaving the page (see the navigation policy above). */
          if (webkit_response_policy_decision_is_main_frame_main_resource (response) &&
              !till_payment_view_allows_page_uri (self, uri))
            {
              block (self, "navigation", uri);
              webkit_policy_decision_ignore (decision);
              tell_page_leaving_refused (self);
              return TRUE;
            }

          /* Anything WebKit cannot show would become a download. */
          if (!webkit_response_policy_decision_is_mime_type_supported (response))
            {
              block (self, "download",
                     webkit_uri_request_get_uri (
                         webkit_response_policy_decision_get_request (response)));
              webkit_policy_decision_ignore (decision);
              return TRUE;
            }
          webkit_policy_decision_use (decision);
          return TRUE;
        }

      default:
        webkit_policy_decision_ignore (decision);
        return TRUE;
    }
}

static void
on_download_started (WebKitNetworkSession *session, WebKitDownload *download, TillPaymentView *self)
{
  WebKitURIRequest *request = webkit_download_get_request (download);

  webkit_download_cancel (download);
  block (self, "download", request ? webkit_uri_request_get_uri (request) : NULL);
}

static GtkWidget *
on_create (WebKitWebView *web_view, WebKitNavigationAction *action, TillPaymentView *self)
{
  block (self, "new-window",
         webkit_uri_request_get_uri (webkit_navigation_action_get_request (action)));
  tell_page_leaving_refused (self);
  return NULL;
}

static gboolean
on_refuse (WebKitWebView *web_view, gpointer whatever, TillPaymentView *self)
{
  return TRUE;
}

static gboolean
on_permission_request (WebKitWebView           *web_view,
                       WebKitPermissionRequest *request,
                       TillPaymentView         *self)
{
  webkit_permission_request_deny (request);
  return TRUE;
}

static void
on_zoom_level_changed (WebKitWebView *web_view, GParamSpec *pspec, TillPaymentView *self)
{
  if (webkit_web_view_get_zoom_level (web_view) != 1.0)
    webkit_web_view_set_zoom_level (web_view, 1.0);
}

static gboolean
on_scroll (GtkEventControllerScroll *controller, double dx, double dy, TillPaymentView *self)
{
  GdkModifierType state =
      gtk_event_controller_get_current_event_state (GTK_EVENT_CONTROLLER (controller));

  /* Ctrl+scroll would zoom: swallow it. */
  return (state & GDK_CONTROL_MASK) != 0;
}

static void
clear_payment (TillPaymentView *self)
{
  if (self->client_secret != NULL)
    {
      /* Do not leave the secret lying in freed memory. */
      memset (self->client_secret, 0, strlen (self->client_secret));
      g_clear_pointer (&self->client_secret, g_free);
    }
  g_clear_pointer (&self->payment_intent, g_free);
  g_clear_pointer (&self->publishable_key, g_free);
  g_clear_pointer (&self->amount_label, g_free);
  g_clear_pointer (&self->currency, g_free);
  self->stripe_amount = 0;
  self->moto = FALSE;
  self->start_pending = FALSE;
}

typedef struct
{
  TillPaymentView *self;
  guint            generation;
  gboolean         prepare; /* prepare (), not start () */
} StartCall;

static void
on_start_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autofree StartCall *call = user_data;
  g_autoptr (TillPaymentView) self = call->self;
  g_autoptr (GError) error = NULL;
  g_autoptr (JSCValue) value = NULL;

  value = webkit_web_view_call_async_javascript_function_finish (WEBKIT_WEB_VIEW (source), result,
                                                                 &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  /* The web process ended meanwhile: the new page gets the payment again. */
  if (call->generation != self->generation)
    return;
  /* A form not prepared is mounted when the checkout answers, by start (). */
  if (value == NULL && call->prepare)
    {
      g_message ("The payment page could not prepare the card form: %s", error->message);
      return;
    }
  if (value == NULL)
    {
      g_warning ("The payment page could not start the payment: %s", error->message);
      g_signal_emit (self, signals[SIGNAL_LOAD_ERROR], 0, _ ("The card form could not be shown."));
      return;
    }
  /* start() returns false when Stripe.js is missing; the page has said so with load_error. */
  if (!jsc_value_is_boolean (value) || !jsc_value_to_boolean (value))
    g_debug ("The payment page refused to start the payment");
}

static void
send_start (TillPaymentView *self)
{
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  g_autoptr (JsonNode) root = NULL;
  g_autofree char *pay_label = NULL;
  g_autofree char *json = NULL;
  g_auto (GVariantBuilder) arguments = G_VARIANT_BUILDER_INIT (G_VARIANT_TYPE_VARDICT);
  StartCall *call;

  /* Translators: the button that confirms the card payment; %s is the amount. */
  pay_label = g_strdup_printf (_ ("Pay %s"), self->amount_label);

  json_builder_begin_object (builder);
  if (self->payment_intent != NULL)
    {
      json_builder_set_member_name (builder, "payment_intent");
      json_builder_add_string_value (builder, self->payment_intent);
      json_builder_set_member_name (builder, "client_secret");
      json_builder_add_string_value (builder, self->client_secret);
    }
  json_builder_set_member_name (builder, "amount_minor");
  json_builder_add_int_value (builder, self->stripe_amount);
  json_builder_set_member_name (builder, "currency");
  json_builder_add_string_value (builder, self->currency);
  json_builder_set_member_name (builder, "locale");
  json_builder_add_string_value (builder, till_payment_view_get_locale ());
  json_builder_set_member_name (builder, "publishable_key");
  json_builder_add_string_value (builder, self->publishable_key);
  json_builder_set_member_name (builder, "amount");
  json_builder_add_string_value (builder, self->amount_label);
  json_builder_set_member_name (builder, "dark");
  json_builder_add_boolean_value (builder, self->dark);
  json_builder_set_member_name (builder, "kiosk");
  json_builder_add_boolean_value (builder, self->kiosk);
  json_builder_set_member_name (builder, "moto");
  json_builder_add_boolean_value (builder, self->moto);
  json_builder_set_member_name (builder, "labels");
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "pay");
  json_builder_add_string_value (builder, pay_label);
  json_builder_set_member_name (builder, "processing");
  json_builder_add_string_value (builder, _ ("Processing…"));
  json_builder_end_object (builder);
  /* What the form says under Stripe's own message when a card is declined. */
  json_builder_set_member_name (builder, "declines");
  till_decline_words_add_json (builder);
  json_builder_end_object (builder);
  root = json_builder_get_root (builder);
  json = json_to_string (root, FALSE);

  /* The arguments travel as one JSON string: never in the page's address. */
  g_variant_builder_add (&arguments, "{sv}", "args",
                         g_variant_new_take_string (g_steal_pointer (&json)));

  call = g_new0 (StartCall, 1);
  call->self = g_object_ref (self);
  call->generation = self->generation;
  call->prepare = self->payment_intent == NULL;
  self->start_pending = FALSE;
  webkit_web_view_call_async_javascript_function (
      self->web_view,
      self->payment_intent != NULL ? "return window.tillPay.start(JSON.parse(args));"
                                   /* A page older than prepare () (an older server's)
                                    * mounts its form at start (). */
                                   : "return typeof window.tillPay.prepare === 'function' && "
                                     "window.tillPay.prepare(JSON.parse(args));",
      -1, g_variant_builder_end (&arguments), NULL, NULL, self->cancellable, on_start_done, call);
}

static void
on_script_message (WebKitUserContentManager *manager, JSCValue *value, TillPaymentView *self)
{
  g_autofree char *json = jsc_value_to_json (value, 0);
  g_autoptr (GError) error = NULL;
  g_autoptr (TillPayMessage) message = till_pay_message_parse (json, self->payment_intent, &error);

  if (message == NULL &&
      g_error_matches (error, TILL_PAY_MESSAGE_ERROR, TILL_PAY_MESSAGE_ERROR_OTHER_INTENT))
    {
      /* Most often the page of a sale already over has one more word (a late result, a last
       * resize), so no warning; refused all the same, as a forgery would be. */
      g_message ("Dropped a message from the payment page: %s", error->message);
      g_signal_emit (self, signals[SIGNAL_BLOCKED], 0, "message");
      return;
    }
  if (message == NULL)
    {
      /* Never log the message itself: a hostile page could make it carry anything. */
      g_warning ("Dropped a message from the payment page: %s", error->message);
      g_signal_emit (self, signals[SIGNAL_BLOCKED], 0, "message");
      return;
    }

  /* Only a payment the app handed over as MOTO may come back as a PaymentMethod. */
  if (message->type == TILL_PAY_MESSAGE_PAYMENT_METHOD && !self->moto)
    {
      g_warning ("Dropped a message from the payment page: a PaymentMethod outside MOTO");
      g_signal_emit (self, signals[SIGNAL_BLOCKED], 0, "message");
      return;
    }

  switch (message->type)
    {
      case TILL_PAY_MESSAGE_LOADED:
        self->loaded = TRUE;
        g_signal_emit (self, signals[SIGNAL_LOADED], 0);
        if (self->start_pending && self->publishable_key != NULL)
          send_start (self);
        break;
      case TILL_PAY_MESSAGE_READY:
        g_debug ("The card form is ready");
        g_signal_emit (self, signals[SIGNAL_READY], 0);
        break;
      case TILL_PAY_MESSAGE_RESULT:
        g_debug ("Payment page result: %s", message->status);
        g_signal_emit (self, signals[SIGNAL_RESULT], 0, message);
        break;
      case TILL_PAY_MESSAGE_PAYMENT_METHOD:
        g_debug ("The payment page made a PaymentMethod");
        g_signal_emit (self, signals[SIGNAL_PAYMENT_METHOD], 0, message);
        break;
      case TILL_PAY_MESSAGE_LOAD_ERROR:
        g_signal_emit (self, signals[SIGNAL_LOAD_ERROR], 0,
                       _ ("Stripe could not be reached, so the card form cannot be shown."));
        break;
      default:
        g_assert_not_reached ();
    }
}

static void
reload_page (TillPaymentView *self)
{
  self->loaded = FALSE;
  webkit_web_view_load_uri (self->web_view, self->page_uri);
}

static void
on_web_process_terminated (WebKitWebView                    *web_view,
                           WebKitWebProcessTerminationReason reason,
                           TillPaymentView                  *self)
{
  g_warning ("The payment page's web process ended (reason %d); reloading it", reason);
  self->generation++;
  self->start_pending = self->publishable_key != NULL;
  g_signal_emit (self, signals[SIGNAL_CRASHED], 0);
  reload_page (self);
}

static char *
certificate_sha256 (GTlsCertificate *certificate)
{
  g_autoptr (GByteArray) der = NULL;

  g_object_get (certificate, "certificate", &der, NULL);
  if (der == NULL)
    return NULL;
  return g_compute_checksum_for_data (G_CHECKSUM_SHA256, der->data, der->len);
}

static gboolean
on_load_failed_with_tls_errors (WebKitWebView       *web_view,
                                const char          *failing_uri,
                                GTlsCertificate     *certificate,
                                GTlsCertificateFlags errors,
                                TillPaymentView     *self)
{
  g_autoptr (GUri) uri = g_uri_parse (failing_uri, G_URI_FLAGS_NONE, NULL);
  g_autofree char *fingerprint = certificate_sha256 (certificate);

  /* A pinned certificate is trusted for the server's own host, and nothing else is. */
  if (self->pinned_sha256 != NULL && fingerprint != NULL && uri != NULL &&
      same_origin (uri, self->page_origin) && g_str_equal (fingerprint, self->pinned_sha256))
    {
      webkit_network_session_allow_tls_certificate_for_host (self->session, certificate,
                                                             g_uri_get_host (uri));
      reload_page (self);
      return TRUE;
    }

  g_warning ("The payment page's certificate is not trusted (errors 0x%x)", errors);
  g_signal_emit (self, signals[SIGNAL_LOAD_ERROR], 0,
                 _ ("The server's certificate is not trusted. Ask an administrator to check "
                    "the server address and its certificate fingerprint."));
  return TRUE;
}

static gboolean
on_load_failed (WebKitWebView   *web_view,
                WebKitLoadEvent  event,
                const char      *failing_uri,
                GError          *error,
                TillPaymentView *self)
{
  /* Navigations we refused end here too; only the page itself failing matters. */
  if (g_error_matches (error, WEBKIT_POLICY_ERROR,
                       WEBKIT_POLICY_ERROR_FRAME_LOAD_INTERRUPTED_BY_POLICY_CHANGE) ||
      g_error_matches (error, WEBKIT_NETWORK_ERROR, WEBKIT_NETWORK_ERROR_CANCELLED))
    return TRUE;

  /* The server stopping or restarting while the page loads is part of a shop's day, and the
   * load-error signal tells the cashier: a message, not a warning. */
  g_message ("The payment page did not load: %s", error->message);
  g_signal_emit (self, signals[SIGNAL_LOAD_ERROR], 0,
                 _ ("The payment page could not be loaded. Check the connection to the server."));
  return TRUE;
}

/* Drops of files or links would navigate the page: refuse them in the top frame. */
static const char no_drop_script[] =
    "document.addEventListener('dragover', function (e) { e.preventDefault(); }, true);"
    "document.addEventListener('drop', function (e) { e.preventDefault(); e.stopPropagation(); }, "
    "true);";

static void
setup_web_view (TillPaymentView *self)
{
  g_autoptr (WebKitUserContentManager) manager = webkit_user_content_manager_new ();
  g_autoptr (WebKitUserScript) script = NULL;
  WebKitSettings     *settings;
  GtkEventController *scroll;

  webkit_user_content_manager_register_script_message_handler (manager, "till", NULL);
  g_signal_connect_object (manager, "script-message-received::till", G_CALLBACK (on_script_message),
                           self, 0);
  script = webkit_user_script_new (no_drop_script, WEBKIT_USER_CONTENT_INJECT_TOP_FRAME,
                                   WEBKIT_USER_SCRIPT_INJECT_AT_DOCUMENT_START, NULL, NULL);
  webkit_user_content_manager_add_script (manager, script);

  self->session = webkit_network_session_new_ephemeral ();
  webkit_network_session_set_tls_errors_policy (self->session, WEBKIT_TLS_ERRORS_POLICY_FAIL);
  g_signal_connect_object (self->session, "download-started", G_CALLBACK (on_download_started),
                           self, 0);

  settings = webkit_settings_new_with_settings (
      "enable-developer-extras", FALSE, "javascript-can-open-windows-automatically", FALSE,
      "enable-back-forward-navigation-gestures", FALSE, "enable-page-cache", FALSE, "enable-webgl",
      FALSE, "enable-webaudio", FALSE, "enable-write-console-messages-to-stdout", FALSE,
      "allow-file-access-from-file-urls", FALSE, "allow-universal-access-from-file-urls", FALSE,
      "hardware-acceleration-policy", WEBKIT_HARDWARE_ACCELERATION_POLICY_NEVER, NULL);

  self->web_view =
      g_object_new (WEBKIT_TYPE_WEB_VIEW, "network-session", self->session, "user-content-manager",
                    manager, "settings", settings, "vexpand", TRUE, "hexpand", TRUE, NULL);
  g_object_unref (settings);

  g_signal_connect_object (self->web_view, "decide-policy", G_CALLBACK (on_decide_policy), self, 0);
  g_signal_connect_object (self->web_view, "create", G_CALLBACK (on_create), self, 0);
  g_signal_connect_object (self->web_view, "context-menu", G_CALLBACK (on_refuse), self, 0);
  g_signal_connect_object (self->web_view, "run-file-chooser", G_CALLBACK (on_refuse), self, 0);
  g_signal_connect_object (self->web_view, "print", G_CALLBACK (on_refuse), self, 0);
  g_signal_connect_object (self->web_view, "show-notification", G_CALLBACK (on_refuse), self, 0);
  g_signal_connect_object (self->web_view, "permission-request", G_CALLBACK (on_permission_request),
                           self, 0);
  g_signal_connect_object (self->web_view, "notify::zoom-level", G_CALLBACK (on_zoom_level_changed),
                           self, 0);
  g_signal_connect_object (self->web_view, "web-process-terminated",
                           G_CALLBACK (on_web_process_terminated), self, 0);
  g_signal_connect_object (self->web_view, "load-failed-with-tls-errors",
                           G_CALLBACK (on_load_failed_with_tls_errors), self, 0);
  g_signal_connect_object (self->web_view, "load-failed", G_CALLBACK (on_load_failed), self, 0);

  scroll = gtk_event_controller_scroll_new (GTK_EVENT_CONTROLLER_SCROLL_BOTH_AXES);
  gtk_event_controller_set_propagation_phase (scroll, GTK_PHASE_CAPTURE);
  g_signal_connect_object (scroll, "scroll", G_CALLBACK (on_scroll), self, 0);
  gtk_widget_add_controller (GTK_WIDGET (self->web_view), scroll);

  adw_bin_set_child (ADW_BIN (self), GTK_WIDGET (self->web_view));
}

static void
till_payment_view_dispose (GObject *object)
{
  TillPaymentView *self = TILL_PAYMENT_VIEW (object);

  g_cancellable_cancel (self->cancellable);
  clear_payment (self);
  adw_bin_set_child (ADW_BIN (self), NULL);
  self->web_view = NULL;
  g_clear_object (&self->session);
  g_clear_object (&self->cancellable);

  G_OBJECT_CLASS (till_payment_view_parent_class)->dispose (object);
}

static void
till_payment_view_finalize (GObject *object)
{
  TillPaymentView *self = TILL_PAYMENT_VIEW (object);

  g_free (self->page_uri);
  g_clear_pointer (&self->page_origin, g_uri_unref);
  g_clear_pointer (&self->extra_origins, g_ptr_array_unref);
  g_free (self->pinned_sha256);

  G_OBJECT_CLASS (till_payment_view_parent_class)->finalize (object);
}

static void
till_payment_view_class_init (TillPaymentViewClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = till_payment_view_dispose;
  object_class->finalize = till_payment_view_finalize;

  /* The page's script runs and can take a payment. */
  signals[SIGNAL_LOADED] = g_signal_new ("loaded", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                                         NULL, NULL, NULL, G_TYPE_NONE, 0);
  /* The card form is mounted for the payment in progress. */
  signals[SIGNAL_READY] = g_signal_new ("ready", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                                        NULL, NULL, NULL, G_TYPE_NONE, 0);
  /* A valid result message (a TillPayMessage): a hint, to be checked with the server. */
  signals[SIGNAL_RESULT] = g_signal_new ("result", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                                         NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_POINTER);
  /* A valid "payment_method" message (a TillPayMessage), only when the payment was started
   * with moto: the server is to confirm the payment with it. */
  signals[SIGNAL_PAYMENT_METHOD] =
      g_signal_new ("payment-method", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                    NULL, G_TYPE_NONE, 1, G_TYPE_POINTER);
  /* The page or Stripe.js could not load; the argument says so in plain words. */
  signals[SIGNAL_LOAD_ERROR] =
      g_signal_new ("load-error", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                    G_TYPE_NONE, 1, G_TYPE_STRING);
  /* The web process died; the page is being reloaded and the payment handed over again. */
  signals[SIGNAL_CRASHED] = g_signal_new ("crashed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                          0, NULL, NULL, NULL, G_TYPE_NONE, 0);
  /* Something was refused: "navigation", "new-window", "download" or "message". */
  signals[SIGNAL_BLOCKED] = g_signal_new ("blocked", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                          0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
}

static void
till_payment_view_init (TillPaymentView *self)
{
  self->cancellable = g_cancellable_new ();
  self->extra_origins = g_ptr_array_new_with_free_func ((GDestroyNotify) g_uri_unref);
}

/**
 * till_payment_view_new:
 * @page_uri: the payment page, "https://till.example:8787/pay/"
 * @extra_origins: (nullable) (array zero-terminated=1): origins frames may also load besides
 *   HTTPS ones, such as the simulator's in training ("http://127.0.0.1:12111")
 *
 * Creates the view and starts loading the page at once.
 */
TillPaymentView *
till_payment_view_new (const char *page_uri, const char *const *extra_origins)
{
  TillPaymentView *self = g_object_new (TILL_TYPE_PAYMENT_VIEW, NULL);

  self->page_uri = g_strdup (page_uri);
  self->page_origin = g_uri_parse (page_uri, G_URI_FLAGS_NONE, NULL);
  g_return_val_if_fail (self->page_origin != NULL, self);

  for (guint i = 0; extra_origins != NULL && extra_origins[i] != NULL; i++)
    {
      GUri *origin = g_uri_parse (extra_origins[i], G_URI_FLAGS_NONE, NULL);
      if (origin != NULL)
        g_ptr_array_add (self->extra_origins, origin);
    }

  setup_web_view (self);
  reload_page (self);
  return self;
}

/**
 * till_payment_view_set_training:
 *
 * In training, the simulator's origins (http: on a loopback address) may load in frames
 * too; nothing else changes.
 */
void
till_payment_view_set_training (TillPaymentView *self, gboolean training)
{
  g_return_if_fail (TILL_IS_PAYMENT_VIEW (self));

  self->training = training;
}

/**
 * till_payment_view_set_pinned_certificate:
 * @sha256: (nullable): the server certificate's SHA-256 fingerprint, hex, with or without
 *   colons
 */
void
till_payment_view_set_pinned_certificate (TillPaymentView *self, const char *sha256)
{
  GString *clean;

  g_return_if_fail (TILL_IS_PAYMENT_VIEW (self));

  g_clear_pointer (&self->pinned_sha256, g_free);
  if (sha256 == NULL)
    return;
  clean = g_string_new (NULL);
  for (const char *p = sha256; *p != '\0'; p++)
    if (g_ascii_isxdigit (*p))
      g_string_append_c (clean, g_ascii_tolower (*p));
  self->pinned_sha256 = g_string_free (clean, FALSE);
}

gboolean
till_payment_view_get_loaded (TillPaymentView *self)
{
  g_return_val_if_fail (TILL_IS_PAYMENT_VIEW (self), FALSE);

  return self->loaded;
}

/**
 * till_payment_view_start:
 *
 * Shows the card form for one PaymentIntent (the one prepared for it, if any). If the page is
 * still loading (or being reloaded after a crash), the form appears as soon as it can.
 */
static void
take_args (TillPaymentView *self, const TillPaymentArgs *args)
{
  clear_payment (self);
  self->payment_intent = g_strdup (args->payment_intent);
  self->client_secret = g_strdup (args->client_secret);
  self->publishable_key = g_strdup (args->publishable_key);
  self->amount_label = g_strdup (args->amount_label);
  self->stripe_amount = args->stripe_amount;
  self->currency = g_ascii_strdown (args->currency, -1);
  self->dark = args->dark;
  self->kiosk = args->kiosk;
  self->moto = args->moto && !args->kiosk;

  if (self->loaded)
    send_start (self);
  else
    self->start_pending = TRUE;
}

void
till_payment_view_start (TillPaymentView *self, const TillPaymentArgs *args)
{
  g_return_if_fail (TILL_IS_PAYMENT_VIEW (self));
  g_return_if_fail (args != NULL && args->payment_intent != NULL && args->client_secret != NULL);
  g_return_if_fail (args->currency != NULL && args->stripe_amount > 0);

  take_args (self, args);
}

/**
 * till_payment_view_prepare:
 *
 * Mounts the card form for an amount before its PaymentIntent exists (Stripe's deferred
 * intent), so that it is ready when the checkout answers; till_payment_view_start () with the
 * same amount, currency and look then only hands the intent over. The "ready" signal waits
 * for the intent.
 */
void
till_payment_view_prepare (TillPaymentView *self, const TillPaymentArgs *args)
{
  g_return_if_fail (TILL_IS_PAYMENT_VIEW (self));
  g_return_if_fail (args != NULL && args->payment_intent == NULL && args->client_secret == NULL);
  g_return_if_fail (args->currency != NULL && args->stripe_amount > 0);

  take_args (self, args);
}

/**
 * till_payment_view_get_locale:
 *
 * Returns: the language of the card form: Stripe Elements' `locale`, the app's own language
 *   (as its translation says), so a Turkish till shows a Turkish card form whatever WebKit's
 *   language is.
 */
const char *
till_payment_view_get_locale (void)
{
  /* Translators: the language of Stripe's card form, one of the locales Stripe.js supports
   * (https://docs.stripe.com/js/appendix/supported_locales): "tr" for Turkish, "de" for
   * German. */
  return C_ ("Stripe locale", "en");
}

/* Forgets the payment in progress (and its client secret) and clears the form. */
void
till_payment_view_reset (TillPaymentView *self)
{
  g_return_if_fail (TILL_IS_PAYMENT_VIEW (self));

  clear_payment (self);
  if (self->loaded)
    webkit_web_view_evaluate_javascript (self->web_view, "window.tillPay.reset();", -1, NULL, NULL,
                                         NULL, NULL, NULL);
}

const char *
till_payment_view_get_payment_intent (TillPaymentView *self)
{
  g_return_val_if_fail (TILL_IS_PAYMENT_VIEW (self), NULL);

  return self->payment_intent;
}

WebKitWebView *
till_payment_view_get_web_view (TillPaymentView *self)
{
  g_return_val_if_fail (TILL_IS_PAYMENT_VIEW (self), NULL);

  return self->web_view;
}
