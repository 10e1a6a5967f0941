/* The card issuer's hidden "3DS method" page (EMV 3-D Secure): a real issuer gathers browser
 * details here before deciding on a challenge. Ours only tells the 3DS server (Stripe's
 * frame, whose origin the page names) that it is done.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
(function () {
  'use strict';

  var notify = document.documentElement.dataset.notify;
  if (notify && window.parent !== window) {
    window.parent.postMessage({ source: 'till-sim-acs', type: 'method-done' }, notify);
  }
})();
