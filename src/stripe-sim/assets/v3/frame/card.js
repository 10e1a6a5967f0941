/* The simulator's card form (runs inside the iframe, on the simulator's origin).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Validates as the customer types, with Stripe.js's messages and codes; talks to the page
 * only through postMessage to the origin named in the URL fragment; confirms the
 * PaymentIntent itself (same origin as the API) so card details never leave this frame.
 */
(function () {
  'use strict';

  var config = {};
  try {
    config = JSON.parse(decodeURIComponent(window.location.hash.slice(1)));
  } catch (e) {
    config = {};
  }
  var parentOrigin = config.origin || '*';
  var number = document.getElementById('number');
  var expiry = document.getElementById('expiry');
  var cvc = document.getElementById('cvc');
  var errorBox = document.getElementById('error');
  var brandBox = document.getElementById('brand');
  var touched = { number: false, expiry: false, cvc: false };
  var lastState = null;
  var tabs = document.getElementById('tabs');
  var tabButtons = Array.prototype.slice.call(tabs.querySelectorAll('[role="tab"]'));
  var method = 'card'; /* the tab shown: "card" or "ideal" */

  /* The form's words, in the languages Till ships (Stripe.js's `locale` option; "auto"
   * follows the browser). */
  var TEXT = {
    en: {
      label: 'Simulated card form — training',
      number: 'Card number',
      expiry: 'Expiration',
      cvc: 'CVC',
      expiryPlaceholder: 'MM / YY',
      hint: 'Test cards only. Nothing typed here is charged.',
      tabCard: 'Card',
      idealNote: 'After you press Pay, you will be sent to your bank to authorize the payment.',
      incomplete_number: 'Your card number is incomplete.',
      invalid_number: 'Your card number is invalid.',
      incomplete_expiry: "Your card's expiration date is incomplete.",
      invalid_expiry_month: "Your card's expiration date is invalid.",
      invalid_expiry_year_past: "Your card's expiration year is in the past.",
      invalid_expiry_month_past: "Your card's expiration date is in the past.",
      invalid_expiry_year: "Your card's expiration year is invalid.",
      incomplete_cvc: "Your card's security code is incomplete."
    },
    tr: {
      label: 'Benzetimli kart formu — eğitim',
      number: 'Kart numarası',
      expiry: 'Son kullanma tarihi',
      cvc: 'CVC',
      expiryPlaceholder: 'AA / YY',
      hint: 'Yalnızca test kartları. Buraya yazılanlardan ücret alınmaz.',
      tabCard: 'Kart',
      idealNote: 'Öde düğmesine bastıktan sonra ödemeyi onaylamak için bankanıza yönlendirileceksiniz.',
      incomplete_number: 'Kart numaranız eksik.',
      invalid_number: 'Kart numaranız geçersiz.',
      incomplete_expiry: 'Kartınızın son kullanma tarihi eksik.',
      invalid_expiry_month: 'Kartınızın son kullanma tarihi geçersiz.',
      invalid_expiry_year_past: 'Kartınızın son kullanma yılı geçmişte.',
      invalid_expiry_month_past: 'Kartınızın son kullanma tarihi geçmişte.',
      invalid_expiry_year: 'Kartınızın son kullanma yılı geçersiz.',
      incomplete_cvc: 'Kartınızın güvenlik kodu eksik.'
    }
  };
  var language = String(config.locale || 'auto');
  if (language === 'auto') {
    language = config.language || navigator.language || 'en';
  }
  language = language.toLowerCase().split('-')[0];
  var text = TEXT[language] || TEXT.en;
  document.documentElement.lang = TEXT[language] ? language : 'en';
  document.getElementById('training-label').textContent = text.label;
  document.getElementById('number-label').textContent = text.number;
  document.getElementById('expiry-label').textContent = text.expiry;
  document.getElementById('cvc-label').textContent = text.cvc;
  document.getElementById('hint').textContent = text.hint;
  document.getElementById('tab-card').textContent = text.tabCard;
  document.getElementById('ideal-note').textContent = text.idealNote;
  expiry.placeholder = text.expiryPlaceholder;

  /* The Appearance API, as far as this form needs it: theme 'night' and a few variables. */
  var appearance = config.appearance || {};
  if (appearance.theme === 'night') {
    document.documentElement.classList.add('night');
  }
  if (appearance.variables) {
    var vars = appearance.variables;
    var root = document.documentElement.style;
    if (vars.colorPrimary) { root.setProperty('--primary', vars.colorPrimary); }
    if (vars.colorDanger) { root.setProperty('--danger', vars.colorDanger); }
    if (vars.colorText) { root.setProperty('--text', vars.colorText); }
    if (vars.colorBackground) { root.setProperty('--input-bg', vars.colorBackground); }
    if (vars.borderRadius) { root.setProperty('--radius', vars.borderRadius); }
    if (vars.spacingUnit) { root.setProperty('--space', vars.spacingUnit); }
    if (vars.fontSizeBase) { root.fontSize = vars.fontSizeBase; }
    if (vars.fontFamily) { root.fontFamily = vars.fontFamily; }
  }

  function post(message) {
    message.source = 'till-sim-card';
    window.parent.postMessage(message, parentOrigin);
  }

  function digits(text) {
    return (text || '').replace(/\D/g, '');
  }

  function brandOf(cardNumber) {
    if (/^4/.test(cardNumber)) { return 'visa'; }
    if (/^(5[1-5]|2(2[2-9]|[3-6]\d|7[01]|720))/.test(cardNumber)) { return 'mastercard'; }
    if (/^3[47]/.test(cardNumber)) { return 'amex'; }
    return cardNumber ? 'unknown' : '';
  }

  function luhn(cardNumber) {
    var sum = 0;
    for (var i = 0; i < cardNumber.length; i++) {
      var digit = cardNumber.charCodeAt(cardNumber.length - 1 - i) - 48;
      if (i % 2 === 1) {
        digit *= 2;
        if (digit > 9) { digit -= 9; }
      }
      sum += digit;
    }
    return sum % 10 === 0;
  }

  function numberLength(brand) {
    return brand === 'amex' ? 15 : 16;
  }

  function cvcLength(brand) {
    return brand === 'amex' ? 4 : 3;
  }

  function error(code) {
    return { type: 'validation_error', code: code, message: text[code] };
  }

  /* Every field's state: complete, empty, and the error to show (if any). final: as on
   * submit, where incomplete fields are errors too. */
  function check(final) {
    if (method !== 'card') {
      return { number: null, expiry: null, cvc: null, complete: true, empty: false, error: null, brand: '' };
    }
    var n = digits(number.value);
    var brand = brandOf(n);
    var e = digits(expiry.value);
    var c = digits(cvc.value);
    var now = new Date();
    var result = { number: null, expiry: null, cvc: null };

    if (n.length === 0) {
      result.number = final ? error('incomplete_number') : null;
    } else if (n.length < numberLength(brand)) {
      result.number = final || touched.number ? error('incomplete_number') : null;
    } else if (!luhn(n)) {
      result.number = error('invalid_number');
    }

    if (e.length < 4) {
      result.expiry = final || (touched.expiry && e.length > 0) ? error('incomplete_expiry') : null;
    } else {
      var month = parseInt(e.slice(0, 2), 10);
      var year = 2000 + parseInt(e.slice(2, 4), 10);
      if (month < 1 || month > 12) {
        result.expiry = error('invalid_expiry_month');
      } else if (year < now.getFullYear()) {
        result.expiry = error('invalid_expiry_year_past');
      } else if (year === now.getFullYear() && month < now.getMonth() + 1) {
        result.expiry = error('invalid_expiry_month_past');
      } else if (year > now.getFullYear() + 50) {
        result.expiry = error('invalid_expiry_year');
      }
    }

    if (c.length < cvcLength(brand)) {
      result.cvc = final || (touched.cvc && c.length > 0) ? error('incomplete_cvc') : null;
    }

    result.complete = n.length === numberLength(brand) && luhn(n) && e.length === 4 &&
      !result.expiry && c.length === cvcLength(brand);
    result.empty = n.length === 0 && e.length === 0 && c.length === 0;
    result.error = result.number || result.expiry || result.cvc;
    result.brand = brand;
    return result;
  }

  /* The tabs, as the Payment Element shows them: one per payment method the intent allows,
   * none for cards alone. Arrow keys move between them (WAI-ARIA tabs). */
  function offerMethods(types) {
    var shown = tabButtons.filter(function (button) {
      return types.indexOf(button.getAttribute('data-method')) >= 0;
    });
    tabButtons.forEach(function (button) { button.hidden = shown.indexOf(button) < 0; });
    tabs.hidden = shown.length < 2;
    if (shown.length > 0 && shown.every(function (b) { return b.getAttribute('data-method') !== method; })) {
      selectMethod(shown[0].getAttribute('data-method'), false);
    }
    post({ type: 'methods', shown: tabs.hidden ? ['card'] : shown.map(function (b) { return b.getAttribute('data-method'); }) });
    resize();
  }

  function selectMethod(name, focus) {
    method = name;
    tabButtons.forEach(function (button) {
      var selected = button.getAttribute('data-method') === name;
      button.setAttribute('aria-selected', selected ? 'true' : 'false');
      button.tabIndex = selected ? 0 : -1;
      if (selected && focus) { button.focus(); }
    });
    document.getElementById('card-pane').hidden = name !== 'card';
    document.getElementById('ideal-pane').hidden = name !== 'ideal';
    lastState = null;
    update();
  }

  tabButtons.forEach(function (button) {
    button.addEventListener('click', function () {
      selectMethod(button.getAttribute('data-method'), true);
    });
    button.addEventListener('keydown', function (event) {
      var visible = tabButtons.filter(function (b) { return !b.hidden; });
      var at = visible.indexOf(button);
      var next = null;
      if (event.key === 'ArrowRight' || event.key === 'ArrowDown') { next = visible[(at + 1) % visible.length]; }
      if (event.key === 'ArrowLeft' || event.key === 'ArrowUp') { next = visible[(at + visible.length - 1) % visible.length]; }
      if (event.key === 'Home') { next = visible[0]; }
      if (event.key === 'End') { next = visible[visible.length - 1]; }
      if (next) {
        event.preventDefault();
        selectMethod(next.getAttribute('data-method'), true);
      }
    });
    button.addEventListener('focus', function () { post({ type: 'focus' }); });
  });

  function render(state) {
    number.classList.toggle('invalid', !!state.number);
    expiry.classList.toggle('invalid', !!state.expiry);
    cvc.classList.toggle('invalid', !!state.cvc);
    errorBox.textContent = state.error ? state.error.message : '';
    brandBox.textContent = state.brand && state.brand !== 'unknown' ? state.brand : '';
  }

  function update() {
    var state = check(false);
    render(state);
    var summary = JSON.stringify([method, state.complete, state.empty, state.error && state.error.code]);
    if (summary !== lastState) {
      lastState = summary;
      var message = { type: 'change', complete: state.complete, empty: state.empty, methodType: method };
      if (state.error) { message.error = state.error; }
      post(message);
    }
    resize();
  }

  function formatNumber() {
    var n = digits(number.value).slice(0, 19);
    var groups = brandOf(n) === 'amex' ? [4, 6, 5] : [4, 4, 4, 4, 3];
    var parts = [];
    var at = 0;
    for (var i = 0; i < groups.length && at < n.length; i++) {
      parts.push(n.slice(at, at + groups[i]));
      at += groups[i];
    }
    number.value = parts.join(' ');
    if (n.length === numberLength(brandOf(n)) && luhn(n) && document.activeElement === number) {
      expiry.focus();
    }
  }

  function formatExpiry(event) {
    var e = digits(expiry.value).slice(0, 4);
    if (e.length === 1 && e > '1') { e = '0' + e; }
    var deleting = event && event.inputType && event.inputType.indexOf('delete') === 0;
    if (e.length >= 2 && !(deleting && e.length === 2)) {
      expiry.value = e.slice(0, 2) + ' / ' + e.slice(2);
    } else {
      expiry.value = e;
    }
    if (e.length === 4 && document.activeElement === expiry) {
      cvc.focus();
    }
  }

  number.addEventListener('input', function () { formatNumber(); update(); });
  expiry.addEventListener('input', function (event) { formatExpiry(event); update(); });
  cvc.addEventListener('input', function () {
    cvc.value = digits(cvc.value).slice(0, 4);
    update();
  });
  [number, expiry, cvc].forEach(function (input) {
    input.addEventListener('blur', function () {
      touched[input.id] = true;
      update();
      post({ type: 'blur' });
    });
    input.addEventListener('focus', function () { post({ type: 'focus' }); });
  });
  /* element.focus(): the page gives this frame the focus, then asks for the card number's.
   * WebKit refuses a cross-origin frame's scripted focus until someone has interacted with
   * it, so the card number may not get it yet: the first character typed into the frame (an
   * interaction) then goes to the card number instead of nowhere. Tab keeps its meaning. */
  document.addEventListener('keydown', function (event) {
    if (method === 'card' && (!document.activeElement || document.activeElement === document.body) &&
        event.key.length === 1 && !event.ctrlKey && !event.altKey && !event.metaKey) {
      number.focus();
    }
  }, true);
  document.getElementById('card-form').addEventListener('submit', function (event) {
    event.preventDefault();
  });

  /* Only when the height changes: the page lays itself out again for each one, and most
   * keystrokes change nothing. */
  var lastHeight = -1;
  function resize() {
    var height = document.documentElement.scrollHeight;
    if (height !== lastHeight) {
      lastHeight = height;
      post({ type: 'resize', height: height });
    }
  }

  function validate() {
    touched = { number: true, expiry: true, cvc: true };
    var state = check(true);
    render(state);
    return state;
  }

  function confirm(message) {
    var state = validate();
    if (state.error) {
      post({ type: 'reply', id: message.id, body: { error: state.error } });
      return;
    }
    var match = /^(pi_[A-Za-z0-9]+)_secret_/.exec(message.clientSecret || '');
    if (!match) {
      post({ type: 'reply', id: message.id, body: { error: { type: 'invalid_request_error', message: 'Invalid client secret.' } } });
      return;
    }
    var e = digits(expiry.value);
    var form = new URLSearchParams();
    var methodType = method;
    form.set('client_secret', message.clientSecret);
    form.set('payment_method_data[type]', methodType);
    if (methodType === 'card') {
      form.set('payment_method_data[card][number]', digits(number.value));
      form.set('payment_method_data[card][exp_month]', String(parseInt(e.slice(0, 2), 10)));
      form.set('payment_method_data[card][exp_year]', String(2000 + parseInt(e.slice(2, 4), 10)));
      form.set('payment_method_data[card][cvc]', digits(cvc.value));
    }
    if (message.returnUrl) { form.set('return_url', message.returnUrl); }
    if (message.receiptEmail) { form.set('receipt_email', message.receiptEmail); }

    fetch('/v1/payment_intents/' + encodeURIComponent(match[1]) + '/confirm', {
      method: 'POST',
      headers: {
        'Authorization': 'Bearer ' + config.key,
        'Content-Type': 'application/x-www-form-urlencoded'
      },
      body: form.toString(),
      credentials: 'omit',
      cache: 'no-store'
    }).then(function (response) {
      return response.json();
    }).then(function (body) {
      post({ type: 'reply', id: message.id, body: body, methodType: methodType });
    }, function () {
      post({ type: 'reply', id: message.id, networkError: true });
    });
  }

  /* stripe.createPaymentMethod({elements}): the typed card becomes a PaymentMethod, made with
   * the publishable key as Stripe.js does; the page gets back only the API's answer (the
   * PaymentMethod shows the last four digits, never the number). */
  function createPaymentMethod(message) {
    var state = validate();
    if (state.error) {
      post({ type: 'reply', id: message.id, body: { error: state.error } });
      return;
    }
    var e = digits(expiry.value);
    var form = new URLSearchParams();
    form.set('type', 'card');
    form.set('card[number]', digits(number.value));
    form.set('card[exp_month]', String(parseInt(e.slice(0, 2), 10)));
    form.set('card[exp_year]', String(2000 + parseInt(e.slice(2, 4), 10)));
    form.set('card[cvc]', digits(cvc.value));

    fetch('/v1/payment_methods', {
      method: 'POST',
      headers: {
        'Authorization': 'Bearer ' + config.key,
        'Content-Type': 'application/x-www-form-urlencoded'
      },
      body: form.toString(),
      credentials: 'omit',
      cache: 'no-store'
    }).then(function (response) {
      return response.json();
    }).then(function (body) {
      post({ type: 'reply', id: message.id, body: body });
    }, function () {
      post({ type: 'reply', id: message.id, networkError: true });
    });
  }

  window.addEventListener('message', function (event) {
    if (event.source !== window.parent || (parentOrigin !== '*' && event.origin !== parentOrigin)) {
      return;
    }
    var data = event.data || {};
    if (data.source !== 'till-sim') {
      return;
    }
    switch (data.type) {
      case 'validate':
        var state = validate();
        post({ type: 'reply', id: data.id, error: state.error || null });
        break;
      case 'confirm':
        confirm(data);
        break;
      case 'methods':
        offerMethods(Array.isArray(data.types) ? data.types : ['card']);
        break;
      case 'createPaymentMethod':
        createPaymentMethod(data);
        break;
      case 'focus':
        if (method === 'card') {
          number.focus();
        } else {
          tabButtons.filter(function (b) { return b.getAttribute('data-method') === method; })[0].focus();
        }
        break;
      case 'blur':
        document.activeElement.blur();
        break;
      case 'clear':
        number.value = expiry.value = cvc.value = '';
        touched = { number: false, expiry: false, cvc: false };
        update();
        break;
    }
  });

  post({ type: 'ready' });
  update();
})();
