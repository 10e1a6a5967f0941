/* till-stripe-sim.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "till-stripe-sim.h"

const char *
till_stripe_sim_get_api_version (void)
{
  return "2020-08-27";
}
