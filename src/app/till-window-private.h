/* till-window-private.h: TillWindow's insides, for tests and tools (screenshots, bench).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "till-cart-view.h"
#include "till-cash-journal.h"
#include "till-catalog-view.h"
#include "till-figures-page.h"
#include "till-orders-page.h"
#include "till-payment-page.h"
#include "till-scan-detector.h"
#include "till-window.h"

G_BEGIN_DECLS

TillCatalogView *till_window_get_catalog_view (TillWindow *self);
/* Kiosk lockdown (till-kiosk.c). */
void              till_window_set_locked (TillWindow *self, gboolean locked);
TillCartView     *till_window_get_cart_view (TillWindow *self);
TillScanDetector *till_window_get_scan_detector (TillWindow *self);
/* What the capture-phase key controller does with a key press; TRUE = stop the event. */
gboolean
till_window_handle_key (TillWindow *self, guint keyval, GdkModifierType state, guint32 time_ms);
/* A scanned or typed barcode, as if it came from the scanner. */
void        till_window_handle_barcode (TillWindow *self, const char *code);
const char *till_window_get_last_toast (TillWindow *self);
/* The toast shown (or queued) and not dismissed yet, or NULL. */
AdwToast   *till_window_get_toast (TillWindow *self);
gboolean    till_window_get_training_shown (TillWindow *self);
const char *till_window_get_connection_text (TillWindow *self);
gboolean    till_window_get_banner_shown (TillWindow *self);
/* Beside the cart button while the cart is folded away: "3 items, $4.50". */
const char *till_window_get_cart_summary (TillWindow *self);
/* Set when a dialog (price changed, error, no payment step) is up; NULL otherwise. */
AdwMessageDialog *till_window_get_dialog (TillWindow *self);
gboolean          till_window_is_charging (TillWindow *self);
TillPaymentPage  *till_window_get_payment_page (TillWindow *self);
/* The main stack's page: "sell", "pay", "orders" or "figures". */
const char      *till_window_get_mode (TillWindow *self);
TillFiguresPage *till_window_get_figures_page (TillWindow *self);
/* NULL until win.show-orders first shows it. */
TillOrdersPage  *till_window_get_orders_page (TillWindow *self);
TillCashJournal *till_window_get_cash_journal (TillWindow *self);

G_END_DECLS
