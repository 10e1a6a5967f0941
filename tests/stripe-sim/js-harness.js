/* Injected by test-stripe-sim-js into every frame (never shipped): inside the simulator's
 * card iframe and 3-D Secure challenge it does what a person would, when the test page asks.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
(function () {
  if (window === window.top) return;
  var received = {}; /* the stand-in's messages from the page, by type */
  window.addEventListener('message', function (event) {
    var d = event.data || {};
    if (d.source === 'till-sim') received[d.type] = (received[d.type] || 0) + 1;
    if (d.tillTest === 'count') {
      window.parent.postMessage({ tillTestReceived: received }, '*');
    } else if (d.tillTest === 'type') {
      Object.keys(d.fields).forEach(function (id) {
        var input = document.getElementById(id);
        input.focus();
        for (var ch of d.fields[id]) {
          input.value += ch;
          input.dispatchEvent(new InputEvent('input', { bubbles: true, inputType: 'insertText', data: ch }));
        }
        input.blur();
      });
      window.parent.postMessage({ tillTestTyped: true }, '*');
    } else if (d.tillTest === 'click') {
      document.getElementById(d.id).click();
    }
  });
  if (document.getElementById('number')) window.parent.postMessage({ tillTestFrame: 'card' }, '*');
  if (document.getElementById('complete')) window.top.postMessage({ tillTestFrame: 'challenge' }, '*');
})();
