/* till-payment-page.h: taking a card payment for one order, and showing the outcome.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

#include "till-cart-model.h"
#include "till-client.h"
#include "till-payment-view.h"

G_BEGIN_DECLS

#define TILL_TYPE_PAYMENT_PAGE (till_payment_page_get_type ())
G_DECLARE_FINAL_TYPE (TillPaymentPage, till_payment_page, TILL, PAYMENT_PAGE, AdwBin)

TillPaymentPage *till_payment_page_new (TillClient *client);
gboolean         till_payment_page_prepare (TillPaymentPage *self);
void             till_payment_page_prepare_sale (TillPaymentPage *self, TillCartModel *cart);
void             till_payment_page_begin (TillPaymentPage            *self,
                                          TillCartModel              *cart,
                                          const TillCheckoutResponse *response);
const char      *till_payment_page_get_state (TillPaymentPage *self);
const char      *till_payment_page_get_receipt_status (TillPaymentPage *self);
const char      *till_payment_page_get_print_status (TillPaymentPage *self);
void             till_payment_page_set_kiosk (TillPaymentPage *self, gboolean kiosk);
void             till_payment_page_send_receipt (TillPaymentPage *self, const char *email);
gboolean
till_payment_page_print_receipt (TillPaymentPage *self, const char *export_pdf, GError **error);
TillPaymentView *till_payment_page_get_view (TillPaymentPage *self);
/* The receipt of a paid @order as core formats it, with the store's details from @config
 * and the cart's @note. */
char    *till_payment_page_format_receipt (const TillOrder       *order,
                                           const TillStoreConfig *config,
                                           const char            *note);
gboolean till_payment_page_email_is_valid (const char *email);
char    *till_payment_page_describe_decline (const char *decline_code, const char *server_message);

G_END_DECLS
