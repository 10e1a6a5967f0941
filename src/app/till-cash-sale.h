/* till-cash-sale.h: a cart paid in cash: the keypad, the sale recorded on the server (or, with
 * the server unreachable, in the offline journal), the drawer opened and the receipt printed.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

#include "till-cart-model.h"
#include "till-cash-journal.h"
#include "till-client.h"

G_BEGIN_DECLS

typedef struct
{
  gboolean offline; /* kept in the journal, waiting to upload */
  gint64   change;
  char    *currency;
  char    *order_number; /* nullable: none yet offline */
} TillCashSaleResult;

void till_cash_sale_result_free (TillCashSaleResult *result);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (TillCashSaleResult, till_cash_sale_result_free)

gboolean  till_cash_sale_offline_allowed (const TillStoreConfig *config);
gint64    till_cash_sale_rounding (const TillStoreConfig *config);
JsonNode *till_cash_sale_body (const TillCart *cart, gint64 tendered, GDateTime *offline_sold_at);

void                till_cash_sale_run_async (GtkWindow          *parent,
                                              TillClient         *client,
                                              TillCashJournal    *journal,
                                              TillCartModel      *cart,
                                              GCancellable       *cancellable,
                                              GAsyncReadyCallback callback,
                                              gpointer            user_data);
TillCashSaleResult *till_cash_sale_run_finish (GAsyncResult *result, GError **error);

void                  till_cash_sale_split_async (GtkWindow          *parent,
                                                  TillClient         *client,
                                                  TillCartModel      *cart,
                                                  GCancellable       *cancellable,
                                                  GAsyncReadyCallback callback,
                                                  gpointer            user_data);
TillCheckoutResponse *till_cash_sale_split_finish (GAsyncResult *result, GError **error);

void     till_cash_sale_upload_async (TillCashJournal    *journal,
                                      TillClient         *client,
                                      GCancellable       *cancellable,
                                      GAsyncReadyCallback callback,
                                      gpointer            user_data);
gboolean till_cash_sale_upload_finish (GAsyncResult *result, guint *out_uploaded, GError **error);

G_END_DECLS
