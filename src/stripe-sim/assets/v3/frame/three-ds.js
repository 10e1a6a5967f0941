/* Stripe's frame around the card issuer's 3-D Secure challenge (the part Stripe serves from
 * its own hosts). As Stripe.js does for 3-D Secure 2, it first loads the issuer's "3DS
 * method" page in a hidden frame and, once that is done (or after 10 seconds, as EMV 3-D
 * Secure allows), the issuer's challenge in a frame of its own. The challenge answers to
 * Stripe in that frame; the answer's page (same origin as this one) tells this frame, which
 * tells the page around it.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
(function () {
  'use strict';

  var main = document.getElementById('three-ds');

  /* The answer's page, inside the challenge frame. */
  if (main.dataset.status !== undefined) {
    if (window.parent !== window) {
      window.parent.postMessage({ source: 'till-sim-3ds-notify', status: main.dataset.status },
                                window.location.origin);
    }
    return;
  }

  var issuer = main.dataset.issuer;
  var embedded = main.dataset.embedded === '1' && window.parent !== window;
  var waiting = main.querySelector('.waiting');
  var method = null;
  var challenge = null;

  function showChallenge() {
    if (challenge) {
      return;
    }
    challenge = document.createElement('iframe');
    challenge.name = '__tillSimAcsChallenge';
    challenge.title = '3D Secure challenge (simulated card issuer)';
    challenge.className = 'acs';
    challenge.src = main.dataset.challenge;
    waiting.hidden = true;
    main.appendChild(challenge);
  }

  window.addEventListener('message', function (event) {
    var data = event.data || {};
    if (method && event.source === method.contentWindow && event.origin === issuer &&
        data.source === 'till-sim-acs' && data.type === 'method-done') {
      showChallenge();
    } else if (challenge && event.source === challenge.contentWindow &&
               event.origin === window.location.origin && data.source === 'till-sim-3ds-notify') {
      if (embedded) {
        window.parent.postMessage({ source: 'till-sim-3ds', type: 'done', status: data.status || null }, '*');
      }
    }
  });

  method = document.createElement('iframe');
  method.name = '__tillSimAcsMethod';
  method.className = 'method';
  method.setAttribute('aria-hidden', 'true');
  method.tabIndex = -1;
  method.src = main.dataset.method;
  main.appendChild(method);
  window.setTimeout(showChallenge, 10000);
})();
