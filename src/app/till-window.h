/* till-window.h: the main window — catalog, carts, connection state, Charge.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

#include "till-cart-store.h"
#include "till-catalog.h"
#include "till-cash-journal.h"
#include "till-client.h"

G_BEGIN_DECLS

#define TILL_TYPE_WINDOW (till_window_get_type ())
G_DECLARE_FINAL_TYPE (TillWindow, till_window, TILL, WINDOW, AdwApplicationWindow)

/* @application may be NULL (tests). The window shows and sells what it is given. */
TillWindow *till_window_new (GtkApplication *application,
                             TillCatalog    *catalog,
                             TillCartStore  *store,
                             TillClient     *client);

/* Shows a toast with @title (and logs nothing secret). */
void till_window_show_toast (TillWindow *self, const char *title);
void till_window_set_cash_journal (TillWindow *self, TillCashJournal *journal);

/**
 * TillWindow::payment-requested:
 * @cart: the TillCartModel being paid
 * @response: (type TillCheckoutResponse): the order and the client secret
 *
 * The hand-off to the payment step: emitted after POST /api/v1/checkouts succeeded (and a
 * changed total, if any, was accepted). The payment step owns what happens next; when the
 * order is paid it removes the cart with till_cart_store_remove(). Without a handler the
 * window shows its own payment page; tests connect one to take the step over.
 */

G_END_DECLS
