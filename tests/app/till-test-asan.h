/* till-test-asan.h: included once by a test's main file that needs full leak stacks.
 *
 * libglib has no frame pointers, so leak reports stop at g_malloc() unless stacks are
 * unwound the slow way; tests/lsan.supp's `_dl_init` entry needs full stacks. Only the
 * tests that load GTK's and WebKit's modules need it: it makes every allocation slower.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#if defined(__SANITIZE_ADDRESS__)
const char *__asan_default_options (void);

const char *
__asan_default_options (void)
{
  return "fast_unwind_on_malloc=0:malloc_context_size=15";
}
#endif
