/* till-printer-page-private.h: what tests reach of TillPrinterPage.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "till-printer-page.h"

G_BEGIN_DECLS

/* Where Search looks, instead of port 9100 of the local networks. */
void till_printer_page_set_probe (TillPrinterPage *self, const char *const *hosts, guint16 port);
AdwEntryRow *till_printer_page_get_address_row (TillPrinterPage *self);
AdwComboRow *till_printer_page_get_paper_row (TillPrinterPage *self);
GtkButton   *till_printer_page_get_search_button (TillPrinterPage *self);
GtkButton   *till_printer_page_get_test_button (TillPrinterPage *self);
/* The "Use" buttons of the printers Search found, in order. */
GPtrArray *till_printer_page_get_found_buttons (TillPrinterPage *self);
/* What the page says last (an error, a search's or a test page's outcome); NULL when
 * nothing. */
const char *till_printer_page_get_message (TillPrinterPage *self);
gboolean    till_printer_page_is_busy (TillPrinterPage *self);

G_END_DECLS
