/* The 3-D Secure challenge page: inside the Stripe.js stand-in's modal it answers with
 * fetch and tells the page through postMessage; opened on its own, its forms post and the
 * simulator redirects to the return_url.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
(function () {
  'use strict';

  var embedded = new URLSearchParams(window.location.search).get('embedded') === '1' &&
    window.parent !== window;
  if (!embedded) {
    return;
  }

  Array.prototype.forEach.call(document.querySelectorAll('form'), function (form) {
    form.addEventListener('submit', function (event) {
      event.preventDefault();
      Array.prototype.forEach.call(document.querySelectorAll('button'), function (button) {
        button.disabled = true;
      });
      fetch(form.action, {
        method: 'POST',
        headers: { 'Accept': 'application/json' },
        credentials: 'omit',
        cache: 'no-store'
      }).then(function (response) {
        return response.json();
      }).then(function (body) {
        window.parent.postMessage({
          source: 'till-sim-3ds',
          type: 'done',
          status: body.status || null
        }, '*');
      }, function () {
        window.parent.postMessage({ source: 'till-sim-3ds', type: 'done', status: null }, '*');
      });
    });
  });
})();
