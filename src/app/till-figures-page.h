/* till-figures-page.h: the day's figures, as the server counts them.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

#include "till-client.h"

G_BEGIN_DECLS

#define TILL_TYPE_FIGURES_PAGE (till_figures_page_get_type ())
G_DECLARE_FINAL_TYPE (TillFiguresPage, till_figures_page, TILL, FIGURES_PAGE, AdwBin)

TillFiguresPage *till_figures_page_new (TillClient *client);
/* Shows @date's figures (NULL: today), asking the server again. */
void till_figures_page_show_day (TillFiguresPage *self, GDate *date);
/* Asks the server again for the day shown. */
void till_figures_page_reload (TillFiguresPage *self);

G_END_DECLS
