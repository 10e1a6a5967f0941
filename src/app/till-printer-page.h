/* till-printer-page.h: the receipt printer's preferences: where it is (found on the network
 * or typed), its paper, and a test page.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

#define TILL_TYPE_PRINTER_PAGE (till_printer_page_get_type ())
G_DECLARE_FINAL_TYPE (TillPrinterPage, till_printer_page, TILL, PRINTER_PAGE, AdwPreferencesPage)

GtkWidget *till_printer_page_new (void);

G_END_DECLS
