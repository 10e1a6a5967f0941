/* till-receipt-printer.h: receipts on paper: ESC/POS thermal printers over the network
 * (raw TCP, port 9100) or USB (/dev/usb/lp*), and A4 through GtkPrintOperation.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

#include "till-client.h"
#include "till-core.h"

G_BEGIN_DECLS

char *till_receipt_printer_format (const TillOrder       *order,
                                   const TillStoreConfig *config,
                                   const char            *note,
                                   int                    width);
GBytes *
till_receipt_printer_job (const TillOrder *order, const TillStoreConfig *config, int paper_mm);
GtkPrintOperation *
till_receipt_printer_new_operation (const char *text, const char *job_name, const char *link);

gboolean till_receipt_printer_address_is_valid (const char *address, GError **error);
void     till_receipt_printer_send_async (const char         *address,
                                          GBytes             *job,
                                          GCancellable       *cancellable,
                                          GAsyncReadyCallback callback,
                                          gpointer            user_data);
gboolean till_receipt_printer_send_finish (GAsyncResult *result, GError **error);
GBytes  *till_receipt_printer_test_page (int paper_mm);

GStrv till_receipt_printer_local_hosts (void);
void  till_receipt_printer_discover_async (const char *const  *hosts,
                                           guint16             port,
                                           GCancellable       *cancellable,
                                           GAsyncReadyCallback callback,
                                           gpointer            user_data);
GStrv till_receipt_printer_discover_finish (GAsyncResult *result, GError **error);

void     till_receipt_print_async (TillClient         *client,
                                   const TillOrder    *order,
                                   GtkWindow          *parent,
                                   GCancellable       *cancellable,
                                   GAsyncReadyCallback callback,
                                   gpointer            user_data);
gboolean till_receipt_print_finish (GAsyncResult *result, GError **error);

G_END_DECLS
