/* till-printer-emulator.h: an ESC/POS receipt printer on a TCP port, for training and tests:
 * it decodes what it receives into what the paper would show, as text and as a PNG.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define TILL_TYPE_PRINTER_EMULATOR (till_printer_emulator_get_type ())
G_DECLARE_FINAL_TYPE (TillPrinterEmulator, till_printer_emulator, TILL, PRINTER_EMULATOR, GObject)

TillPrinterEmulator *till_printer_emulator_new (void);
guint16              till_printer_emulator_listen (TillPrinterEmulator *self,
                                                   const char          *host,
                                                   guint16              port,
                                                   GError             **error);
void                 till_printer_emulator_stop (TillPrinterEmulator *self);
void       till_printer_emulator_set_paper_out (TillPrinterEmulator *self, gboolean paper_out);
guint      till_printer_emulator_get_n_jobs (TillPrinterEmulator *self);
guint      till_printer_emulator_get_n_pulses (TillPrinterEmulator *self);
GPtrArray *till_printer_emulator_get_job (TillPrinterEmulator *self, guint index);
char      *till_printer_emulator_get_text (TillPrinterEmulator *self, guint index);
gboolean
till_printer_emulator_render_png (GPtrArray *rows, int paper_mm, const char *path, GError **error);

G_END_DECLS
