/* till-demo.h: a small demo shop (products and a filled cart) for window tests and
 * screenshots.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "till-test-app-server.h"

G_BEGIN_DECLS

/* Adds the demo products (USD, tax-exclusive) to @server. */
void till_demo_fill_server (TillTestAppServer *server);

G_END_DECLS
