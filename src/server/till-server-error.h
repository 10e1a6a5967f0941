/* till-server-error.h: errors the API answers with, as HTTP status and a stable code.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define TILL_API_ERROR (till_api_error_quark ())

typedef enum
{
  TILL_API_ERROR_INVALID_REQUEST,        /* 400 invalid_request */
  TILL_API_ERROR_UNAUTHORIZED,           /* 401 unauthorized */
  TILL_API_ERROR_CARD_DECLINED,          /* 402 card_declined */
  TILL_API_ERROR_FORBIDDEN,              /* 403 forbidden */
  TILL_API_ERROR_NOT_FOUND,              /* 404 not_found */
  TILL_API_ERROR_METHOD,                 /* 405 method_not_allowed */
  TILL_API_ERROR_CONFLICT,               /* 409 conflict */
  TILL_API_ERROR_INVALID_STATE,          /* 409 invalid_state */
  TILL_API_ERROR_LENGTH_REQUIRED,        /* 411 length_required */
  TILL_API_ERROR_TOO_LARGE,              /* 413 body_too_large */
  TILL_API_ERROR_MEDIA_TYPE,             /* 415 unsupported_media_type */
  TILL_API_ERROR_UNPROCESSABLE,          /* 422 invalid_cart */
  TILL_API_ERROR_RATE_LIMITED,           /* 429 rate_limited */
  TILL_API_ERROR_INTERNAL,               /* 500 internal */
  TILL_API_ERROR_PAYMENT_PROVIDER,       /* 502 payment_provider_error */
  TILL_API_ERROR_UNAVAILABLE,            /* 503 payment_provider_unavailable */
  TILL_API_ERROR_SERVER_BUSY,            /* 503 server_busy: too many connections */
  TILL_API_ERROR_REFERENCE_CONFLICT,     /* 409 client_reference_conflict */
  TILL_API_ERROR_ORDER_CANCELED,         /* 409 order_canceled: check out with a new reference */
  TILL_API_ERROR_MOTO_NOT_ALLOWED,       /* 409 moto_not_allowed: [stripe] moto off, or a kiosk */
  TILL_API_ERROR_NO_DRAWER_SESSION,      /* 409 no_drawer_session: cash with the drawer closed */
  TILL_API_ERROR_OFFLINE_CASH_FORBIDDEN, /* 409 offline_cash_forbidden: [store] offline-cash */
  TILL_API_ERROR_TENDER_NOT_ALLOWED,     /* 403 tender_not_allowed: not in a kiosk's policy */
} TillApiError;

GQuark till_api_error_quark (void);
/* The HTTP status and code an error of any domain is answered with. */
guint       till_api_error_get_status (const GError *error);
const char *till_api_error_get_code (const GError *error);

G_END_DECLS
