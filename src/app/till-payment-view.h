/* till-payment-view.h: the locked-down WebKit view that shows the payment page.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>
#include <webkit/webkit.h>

#include "till-pay-message.h"

G_BEGIN_DECLS

#define TILL_TYPE_PAYMENT_VIEW (till_payment_view_get_type ())
G_DECLARE_FINAL_TYPE (TillPaymentView, till_payment_view, TILL, PAYMENT_VIEW, AdwBin)

typedef struct
{
  const char *payment_intent; /* NULL for a form prepared before the checkout answers */
  const char *client_secret;  /* kept in memory only while the payment is in progress */
  const char *publishable_key;
  const char *amount_label;  /* formatted by core: "₺1.234,50" */
  gint64      stripe_amount; /* in Stripe's encoding (till_money_to_stripe ()) */
  const char *currency;      /* ISO 4217, as the order has it */
  gboolean    dark;
  gboolean    kiosk;
  gboolean    moto; /* the card is made a PaymentMethod for the server to confirm (MOTO) */
} TillPaymentArgs;

TillPaymentView *till_payment_view_new (const char *page_uri, const char *const *extra_origins);
void           till_payment_view_set_pinned_certificate (TillPaymentView *self, const char *sha256);
gboolean       till_payment_view_get_loaded (TillPaymentView *self);
void           till_payment_view_start (TillPaymentView *self, const TillPaymentArgs *args);
void           till_payment_view_prepare (TillPaymentView *self, const TillPaymentArgs *args);
const char    *till_payment_view_get_locale (void);
void           till_payment_view_reset (TillPaymentView *self);
const char    *till_payment_view_get_payment_intent (TillPaymentView *self);
void           till_payment_view_set_training (TillPaymentView *self, gboolean training);
gboolean       till_payment_view_allows_page_uri (TillPaymentView *self, const char *uri);
gboolean       till_payment_view_allows_frame_uri (TillPaymentView *self, const char *uri);
WebKitWebView *till_payment_view_get_web_view (TillPaymentView *self);

G_END_DECLS
