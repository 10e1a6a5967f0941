/* till-cart-store.h: the open carts, saved on every change and restored after a crash.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * One file per cart, <id>.json in the store's directory, replaced atomically
 * (g_file_replace_contents: write to a temporary file, fsync, rename) after every change.
 * Writes of one cart are queued so an older state can never land after a newer one.
 */
#pragma once

#include <gio/gio.h>

#include "till-cart-model.h"

G_BEGIN_DECLS

#define TILL_TYPE_CART_STORE (till_cart_store_get_type ())
G_DECLARE_FINAL_TYPE (TillCartStore, till_cart_store, TILL, CART_STORE, GObject)

TillCartStore *till_cart_store_new (GFile *directory);
/* $XDG_DATA_HOME/till/carts */
GFile *till_cart_store_get_default_directory (void);
GFile *till_cart_store_get_directory (TillCartStore *self);
/* A GListModel of TillCartModel, in the order they were opened. */
GListModel *till_cart_store_get_carts (TillCartStore *self);

/* Reads every saved cart (on a worker thread) and adds them. Damaged files are renamed to
 * <name>.damaged and reported by a warning, never deleted. */
void     till_cart_store_load_async (TillCartStore      *self,
                                     GCancellable       *cancellable,
                                     GAsyncReadyCallback callback,
                                     gpointer            user_data);
gboolean till_cart_store_load_finish (TillCartStore *self, GAsyncResult *result, GError **error);

/* A new empty cart, titled "Cart N", added and saved. */
TillCartModel *
till_cart_store_new_cart (TillCartStore *self, const char *currency, gboolean prices_include_tax);
/* Adds a cart (e.g. restored) and starts saving it. */
void till_cart_store_add (TillCartStore *self, TillCartModel *cart);
/* Forgets the cart and deletes its file (after a sale or when the cashier closes it). */
void till_cart_store_remove (TillCartStore *self, TillCartModel *cart);
/* TRUE while a write or delete is under way: tests iterate the main loop until FALSE. */
gboolean till_cart_store_is_busy (TillCartStore *self);

G_END_DECLS
