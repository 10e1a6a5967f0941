/* till-figures-page-private.h: for tests.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "till-figures-page.h"

G_BEGIN_DECLS

typedef enum
{
  TILL_FIGURE_GROSS,
  TILL_FIGURE_REFUNDS,
  TILL_FIGURE_NET,
  TILL_FIGURE_COUNT,
  TILL_FIGURE_AVERAGE,
  TILL_FIGURE_N,
} TillFigure;

/* Both answers are in and shown. */
gboolean till_figures_page_is_loaded (TillFiguresPage *self);
/* The day's figures are shown (the trend's answer may still be on its way). */
gboolean    till_figures_page_is_report_shown (TillFiguresPage *self);
gboolean    till_figures_page_is_exporting (TillFiguresPage *self);
JsonObject *till_figures_page_get_report (TillFiguresPage *self);
JsonObject *till_figures_page_get_trend (TillFiguresPage *self);
/* The summary's text of @figure, as shown. */
const char *till_figures_page_get_figure (TillFiguresPage *self, TillFigure figure);
const char *till_figures_page_get_last_message (TillFiguresPage *self);
/* The error shown instead of the figures, or NULL. */
const char *till_figures_page_get_error_title (TillFiguresPage *self);
/* The rows by payment method, or by tax rate. */
GtkListBox *till_figures_page_get_list (TillFiguresPage *self, gboolean rates);
void        till_figures_page_set_trend_days (TillFiguresPage *self, guint days);
/* What the file chooser's Export does. */
void till_figures_page_export_to (TillFiguresPage *self, GFile *file);

G_END_DECLS
