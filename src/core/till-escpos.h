/* till-escpos.h: receipts as ESC/POS, the commands of thermal receipt printers, and back.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define TILL_ESCPOS_PORT 9100 /* raw TCP printing ("JetDirect") */

/* What the paper shows, in the order it comes out. */
typedef enum
{
  TILL_ESCPOS_ROW_TEXT,
  TILL_ESCPOS_ROW_QR,
  TILL_ESCPOS_ROW_CUT,
  TILL_ESCPOS_ROW_PULSE, /* a cash drawer kick (ESC p): nothing on the paper */
} TillEscposRowKind;

typedef struct
{
  TillEscposRowKind kind;
  char             *text; /* a line of text (UTF-8), or what the QR code holds */
  gboolean          bold;
  int               align; /* 0 left, 1 centre, 2 right */
} TillEscposRow;

int      till_escpos_columns (int paper_mm);
GBytes  *till_escpos_encode (const char *text, const char *qr_data, gboolean cut);
GBytes  *till_escpos_status_request (void);
GBytes  *till_escpos_drawer_pulse (void);
gboolean till_escpos_status_paper_out (guint8 status);

GPtrArray *till_escpos_decode (GBytes *job, GError **error);
char      *till_escpos_rows_to_text (GPtrArray *rows);

G_END_DECLS
