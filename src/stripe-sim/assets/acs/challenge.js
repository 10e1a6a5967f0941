/* The card issuer's 3-D Secure challenge page (served from the issuer's own origin). Its
 * forms post the answer to Stripe's notification address, inside the challenge frame (or,
 * opened on its own, in the whole window, which Stripe then sends to the return_url). A
 * second press is not sent twice.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
(function () {
  'use strict';

  Array.prototype.forEach.call(document.querySelectorAll('form'), function (form) {
    form.addEventListener('submit', function (event) {
      if (form.dataset.sent === '1' || document.body.dataset.sent === '1') {
        event.preventDefault();
        return;
      }
      document.body.dataset.sent = '1';
      form.dataset.sent = '1';
      window.setTimeout(function () {
        Array.prototype.forEach.call(document.querySelectorAll('button'), function (button) {
          button.disabled = true;
        });
      });
    });
  });
})();
