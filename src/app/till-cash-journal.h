/* till-cash-journal.h: cash sales made while the server was unreachable, kept on disk until
 * the server has each of them.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

#define TILL_TYPE_CASH_JOURNAL (till_cash_journal_get_type ())
G_DECLARE_FINAL_TYPE (TillCashJournal, till_cash_journal, TILL, CASH_JOURNAL, GObject)

typedef struct
{
  char     *client_reference;
  JsonNode *request; /* the body of its POST /api/v1/checkouts */
} TillCashJournalSale;

void till_cash_journal_sale_free (TillCashJournalSale *sale);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (TillCashJournalSale, till_cash_journal_sale_free)

char            *till_cash_journal_default_path (void);
TillCashJournal *till_cash_journal_open (const char *path, GError **error);
const char      *till_cash_journal_get_path (TillCashJournal *self);
guint            till_cash_journal_get_n_pending (TillCashJournal *self);
GPtrArray       *till_cash_journal_get_pending (TillCashJournal *self);
gboolean         till_cash_journal_add_sale (TillCashJournal *self,
                                             const char      *client_reference,
                                             JsonNode        *request,
                                             GError         **error);
gboolean         till_cash_journal_mark_uploaded (TillCashJournal *self,
                                                  const char      *client_reference,
                                                  const char      *order_number,
                                                  GError         **error);

G_END_DECLS
