/* till-server-error.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "till-core.h"
#include "till-database.h"
#include "till-server-error.h"

/* The quark's name, dashes and all, becomes a string. */
/* clang-format off */
G_DEFINE_QUARK (till-api-error-quark, till_api_error)
/* clang-format on */

static const struct
{
  guint       status;
  const char *code;
} api_errors[] = {
  [TILL_API_ERROR_INVALID_REQUEST] = { 400, "invalid_request" },
  [TILL_API_ERROR_UNAUTHORIZED] = { 401, "unauthorized" },
  [TILL_API_ERROR_CARD_DECLINED] = { 402, "card_declined" },
  [TILL_API_ERROR_FORBIDDEN] = { 403, "forbidden" },
  [TILL_API_ERROR_NOT_FOUND] = { 404, "not_found" },
  [TILL_API_ERROR_METHOD] = { 405, "method_not_allowed" },
  [TILL_API_ERROR_CONFLICT] = { 409, "conflict" },
  [TILL_API_ERROR_INVALID_STATE] = { 409, "invalid_state" },
  [TILL_API_ERROR_LENGTH_REQUIRED] = { 411, "length_required" },
  [TILL_API_ERROR_TOO_LARGE] = { 413, "body_too_large" },
  [TILL_API_ERROR_MEDIA_TYPE] = { 415, "unsupported_media_type" },
  [TILL_API_ERROR_UNPROCESSABLE] = { 422, "invalid_cart" },
  [TILL_API_ERROR_RATE_LIMITED] = { 429, "rate_limited" },
  [TILL_API_ERROR_INTERNAL] = { 500, "internal" },
  [TILL_API_ERROR_PAYMENT_PROVIDER] = { 502, "payment_provider_error" },
  [TILL_API_ERROR_UNAVAILABLE] = { 503, "payment_provider_unavailable" },
  [TILL_API_ERROR_SERVER_BUSY] = { 503, "server_busy" },
  [TILL_API_ERROR_REFERENCE_CONFLICT] = { 409, "client_reference_conflict" },
  [TILL_API_ERROR_ORDER_CANCELED] = { 409, "order_canceled" },
  [TILL_API_ERROR_MOTO_NOT_ALLOWED] = { 409, "moto_not_allowed" },
  [TILL_API_ERROR_NO_DRAWER_SESSION] = { 409, "no_drawer_session" },
  [TILL_API_ERROR_OFFLINE_CASH_FORBIDDEN] = { 409, "offline_cash_forbidden" },
  [TILL_API_ERROR_TENDER_NOT_ALLOWED] = { 403, "tender_not_allowed" },
};

guint
till_api_error_get_status (const GError *error)
{
  if (error->domain == TILL_API_ERROR && error->code >= 0 &&
      error->code < (int) G_N_ELEMENTS (api_errors))
    return api_errors[error->code].status;
  if (error->domain == TILL_JSON_ERROR)
    return 400;
  if (error->domain == TILL_MONEY_ERROR || error->domain == TILL_CASH_ERROR)
    return 422;
  if (error->domain == TILL_DATABASE_ERROR)
    {
      if (error->code == TILL_DATABASE_ERROR_CONSTRAINT)
        return 409;
      if (error->code == TILL_DATABASE_ERROR_BUSY)
        return 503;
      /* RFC 4918's Insufficient Storage: nothing was stored, and it is not the request's
       * fault. */
      if (error->code == TILL_DATABASE_ERROR_FULL)
        return 507;
    }
  /* Work the server stopped when it was told to stop. */
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return 503;
  return 500;
}

const char *
till_api_error_get_code (const GError *error)
{
  if (error->domain == TILL_API_ERROR && error->code >= 0 &&
      error->code < (int) G_N_ELEMENTS (api_errors))
    return api_errors[error->code].code;
  if (error->domain == TILL_JSON_ERROR)
    {
      switch (error->code)
        {
          case TILL_JSON_ERROR_SYNTAX:
            return "invalid_json";
          case TILL_JSON_ERROR_UNKNOWN_FIELD:
            return "unknown_field";
          case TILL_JSON_ERROR_MISSING:
            return "missing_field";
          default:
            return "invalid_field";
        }
    }
  if (error->domain == TILL_MONEY_ERROR || error->domain == TILL_CASH_ERROR)
    return "invalid_amount";
  if (error->domain == TILL_DATABASE_ERROR)
    {
      if (error->code == TILL_DATABASE_ERROR_CONSTRAINT)
        return "conflict";
      if (error->code == TILL_DATABASE_ERROR_BUSY)
        return "busy";
      if (error->code == TILL_DATABASE_ERROR_FULL)
        return "storage_full";
    }
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return "stopping";
  return "internal";
}
