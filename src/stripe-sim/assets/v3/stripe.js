/* Stripe.js stand-in served by the Till Stripe simulator at /v3/ (training mode and tests).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Implements what a Payment Element page uses: Stripe(pk_test_…), stripe.elements(),
 * elements.create('payment'), element.mount()/on()/off()/unmount()/destroy(),
 * elements.submit(), stripe.confirmPayment(), stripe.createPaymentMethod() and
 * stripe.retrievePaymentIntent(), with an intent first ({clientSecret}) or deferred
 * ({mode: 'payment', amount, currency}: the form before the intent, the client secret at
 * confirmPayment(), after elements.submit(), with Stripe.js's IntegrationErrors when misused).
 * The card form lives in an iframe served by the simulator,
 * so the page never sees card numbers (as with Stripe); the iframe confirms the
 * PaymentIntent, or makes the PaymentMethod, itself and hands back only the API's answer.
 * 3-D Secure opens as a modal inside the page, in a frame of Stripe's that nests the card
 * issuer's pages (another origin). The intent's payment_method_types choose the tabs the
 * form shows (a bank redirect, iDEAL, beside the card for euros with automatic payment
 * methods); confirming with a redirect sends the whole page to the bank, as Stripe.js does
 * even with redirect: 'if_required'. Results resolve as Stripe.js's do:
 * {paymentIntent} or {error: {type, code, decline_code, message, …}}.
 */
(function () {
  'use strict';

  if (window.Stripe && window.Stripe.tillSimulator) {
    return;
  }

  var script = document.currentScript;
  var scriptUrl = script && script.src ? script.src : window.location.href;
  var BASE = new URL('../', new URL(scriptUrl, window.location.href)).href;
  var SIM_ORIGIN = new URL(BASE).origin;
  var frameCounter = 0;

  function IntegrationError(message) {
    var error = new Error(message);
    error.name = 'IntegrationError';
    return error;
  }

  function intentIdFromSecret(clientSecret) {
    var match = /^(pi_[A-Za-z0-9]+)_secret_[A-Za-z0-9]+$/.exec(clientSecret || '');
    return match ? match[1] : null;
  }

  /* Stripe.js's words when a deferred-mode confirmation comes without elements.submit(). */
  function submitFirst(what) {
    return 'elements.submit() must be called before ' + what + '. Call elements.submit() as soon as your customer presses pay, prior to any asynchronous work. Integration guide: https://stripe.com/docs/payments/accept-a-payment-deferred';
  }

  function connectionError(message) {
    return {
      type: 'api_connection_error',
      message: message || 'A network error has occurred, and you have not been charged. Please try again.'
    };
  }

  /* Errors the API returns carry the PaymentIntent; Stripe.js passes them on as they are. */
  function errorResult(apiError) {
    var error = {};
    Object.keys(apiError).forEach(function (key) { error[key] = apiError[key]; });
    return { error: error };
  }

  function apiRequest(key, method, path, form) {
    var init = {
      method: method,
      headers: { 'Authorization': 'Bearer ' + key },
      credentials: 'omit',
      cache: 'no-store'
    };
    if (form) {
      init.headers['Content-Type'] = 'application/x-www-form-urlencoded';
      init.body = form;
    }
    return fetch(BASE + path.replace(/^\//, ''), init).then(function (response) {
      return response.json();
    });
  }

  function retrieveIntent(key, clientSecret) {
    var id = intentIdFromSecret(clientSecret);
    if (!id) {
      return Promise.reject(IntegrationError('Invalid value for clientSecret: it should look like pi_…_secret_…'));
    }
    return apiRequest(key, 'GET', 'v1/payment_intents/' + encodeURIComponent(id) +
                      '?client_secret=' + encodeURIComponent(clientSecret));
  }

  function withParams(url, params) {
    var target = new URL(url, window.location.href);
    Object.keys(params).forEach(function (name) { target.searchParams.set(name, params[name]); });
    return target.href;
  }

  /* --- 3-D Secure modal ---------------------------------------------------------------- */

  function openChallenge(url) {
    return new Promise(function (resolve) {
      var overlay = document.createElement('div');
      overlay.className = '__TillSimChallengeOverlay';
      overlay.setAttribute('role', 'dialog');
      overlay.setAttribute('aria-modal', 'true');
      overlay.setAttribute('aria-label', 'Simulated 3-D Secure — training');
      overlay.style.cssText = 'position:fixed;inset:0;z-index:2147483647;display:flex;' +
        'align-items:center;justify-content:center;background:rgba(20,24,32,0.55);';
      var box = document.createElement('div');
      box.style.cssText = 'background:#fff;border-radius:12px;box-shadow:0 12px 40px rgba(0,0,0,0.35);' +
        'width:420px;max-width:92vw;height:440px;max-height:90vh;overflow:hidden;';
      var frame = document.createElement('iframe');
      frame.name = '__tillSimChallengeFrame';
      frame.title = '3D Secure authentication (simulated)';
      frame.setAttribute('allowtransparency', 'true');
      frame.style.cssText = 'border:0;width:100%;height:100%;display:block;';
      frame.src = withParams(url, { embedded: '1' });
      box.appendChild(frame);
      overlay.appendChild(box);

      function onMessage(event) {
        if (event.source !== frame.contentWindow || event.origin !== SIM_ORIGIN) {
          return;
        }
        var data = event.data || {};
        if (data.source !== 'till-sim-3ds' || data.type !== 'done') {
          return;
        }
        window.removeEventListener('message', onMessage);
        overlay.remove();
        resolve(data);
      }
      window.addEventListener('message', onMessage);
      document.body.appendChild(overlay);
    });
  }

  /* --- the card iframe ----------------------------------------------------------------- */

  function CardFrame(elements, options) {
    this.elements = elements;
    this.options = options || {};
    this.iframe = null;
    this.ready = false;
    this.handlers = {};
    this.pending = {};
    this.nextRequest = 1;
    this.lastChange = { complete: false, empty: true };
    this.onMessage = this.onMessage.bind(this);
  }

  CardFrame.prototype.post = function (message) {
    if (this.iframe && this.iframe.contentWindow) {
      this.iframe.contentWindow.postMessage(message, SIM_ORIGIN);
    }
  };

  CardFrame.prototype.request = function (type, payload) {
    var self = this;
    if (!this.iframe) {
      return Promise.reject(IntegrationError('The Payment Element is not mounted.'));
    }
    return new Promise(function (resolve) {
      var id = self.nextRequest++;
      self.pending[id] = resolve;
      var message = { source: 'till-sim', type: type, id: id };
      Object.keys(payload || {}).forEach(function (key) { message[key] = payload[key]; });
      if (self.ready) {
        self.post(message);
      } else {
        self.queued = self.queued || [];
        self.queued.push(message);
      }
    });
  };

  CardFrame.prototype.emit = function (name, event) {
    (this.handlers[name] || []).slice().forEach(function (handler) {
      try {
        handler(event);
      } catch (e) {
        window.setTimeout(function () { throw e; });
      }
    });
  };

  CardFrame.prototype.onMessage = function (event) {
    if (!this.iframe || event.source !== this.iframe.contentWindow || event.origin !== SIM_ORIGIN) {
      return;
    }
    var data = event.data || {};
    if (data.source !== 'till-sim-card') {
      return;
    }
    switch (data.type) {
      case 'ready':
        this.ready = true;
        (this.queued || []).forEach(this.post, this);
        this.queued = [];
        this.emit('ready', { elementType: 'payment' });
        break;
      case 'methods':
        /* The tabs the form shows, for whoever inspects the element (tests do). */
        if (this.iframe) {
          this.iframe.setAttribute('data-payment-methods', (data.shown || []).join(' '));
        }
        break;
      case 'change':
        this.lastChange = data;
        var change = {
          elementType: 'payment',
          complete: !!data.complete,
          empty: !!data.empty,
          collapsed: false,
          value: { type: data.methodType || 'card' }
        };
        if (data.error) {
          change.error = data.error;
        }
        this.emit('change', change);
        break;
      case 'focus':
      case 'blur':
        this.emit(data.type, { elementType: 'payment' });
        break;
      case 'resize':
        if (this.iframe && data.height > 0) {
          this.iframe.style.height = Math.ceil(data.height) + 'px';
        }
        break;
      case 'reply':
        var resolve = this.pending[data.id];
        delete this.pending[data.id];
        if (resolve) {
          resolve(data);
        }
        break;
    }
  };

  CardFrame.prototype.mount = function (target) {
    var container = typeof target === 'string' ? document.querySelector(target) : target;
    if (!container || !container.appendChild) {
      throw IntegrationError('The selector you specified (' + target + ') applies to no DOM elements that are currently on the page.');
    }
    if (this.iframe) {
      throw IntegrationError('This Element is already mounted. Use `unmount()` first.');
    }
    var config = {
      origin: window.location.origin,
      key: this.elements.stripe.key,
      appearance: this.elements.appearance || {},
      locale: this.elements.locale || this.elements.stripe.options.locale || 'auto',
      language: navigator.language || 'en',
      n: ++frameCounter
    };
    var iframe = document.createElement('iframe');
    iframe.name = '__privateStripeFrame' + config.n;
    iframe.title = 'Secure payment input frame';
    iframe.setAttribute('frameborder', '0');
    iframe.setAttribute('allowtransparency', 'true');
    iframe.setAttribute('scrolling', 'no');
    iframe.setAttribute('role', 'presentation');
    iframe.style.cssText = 'border:none;margin:0;padding:0;width:100%;min-width:100%;display:block;height:230px;overflow:hidden;';
    iframe.src = BASE + 'v3/frame/card.html#' + encodeURIComponent(JSON.stringify(config));
    window.addEventListener('message', this.onMessage);
    this.iframe = iframe;
    this.container = container;
    container.appendChild(iframe);
    this.offerMethods();
  };

  /* The payment methods the intent allows become the form's tabs (cards alone: no tabs). */
  CardFrame.prototype.offerMethods = function () {
    var self = this;
    var types = (this.options && this.options.paymentMethodTypes) ||
      this.elements.paymentMethodTypes || null;
    function offer(list) {
      var message = { source: 'till-sim', type: 'methods', types: list };
      if (self.ready) {
        self.post(message);
      } else {
        self.queued = self.queued || [];
        self.queued.push(message);
      }
    }
    if (!this.elements.clientSecret) {
      offer(types || ['card']);
      return;
    }
    retrieveIntent(this.elements.stripe.key, this.elements.clientSecret).then(function (intent) {
      offer(intent && intent.payment_method_types ? intent.payment_method_types : ['card']);
    }, function () {
      offer(['card']);
    });
  };

  /* The page gives its iframe the focus (a frame cannot take it from the page by itself),
   * then asks the frame to put it on the card number. */
  CardFrame.prototype.focus = function () {
    if (!this.iframe) {
      return;
    }
    this.iframe.focus();
    this.post({ source: 'till-sim', type: 'focus' });
  };

  CardFrame.prototype.unmount = function () {
    window.removeEventListener('message', this.onMessage);
    if (this.iframe) {
      this.iframe.remove();
    }
    this.iframe = null;
    this.ready = false;
  };

  function PaymentElement(frame) {
    this._frame = frame;
  }
  PaymentElement.prototype.mount = function (target) { this._frame.mount(target); return this; };
  PaymentElement.prototype.unmount = function () { this._frame.unmount(); return this; };
  PaymentElement.prototype.destroy = function () {
    this._frame.unmount();
    this._frame.elements.element = null;
  };
  PaymentElement.prototype.on = function (name, handler) {
    (this._frame.handlers[name] = this._frame.handlers[name] || []).push(handler);
    if (name === 'ready' && this._frame.ready) {
      handler({ elementType: 'payment' });
    }
    return this;
  };
  PaymentElement.prototype.once = function (name, handler) {
    var self = this;
    function wrapper(event) { self.off(name, wrapper); handler(event); }
    return this.on(name, wrapper);
  };
  PaymentElement.prototype.off = function (name, handler) {
    var list = this._frame.handlers[name] || [];
    this._frame.handlers[name] = handler ? list.filter(function (h) { return h !== handler; }) : [];
    return this;
  };
  PaymentElement.prototype.focus = function () { this._frame.focus(); };
  PaymentElement.prototype.blur = function () { this._frame.post({ source: 'till-sim', type: 'blur' }); };
  PaymentElement.prototype.clear = function () { this._frame.post({ source: 'till-sim', type: 'clear' }); };
  PaymentElement.prototype.update = function () { return this; };
  PaymentElement.prototype.collapse = function () { return this; };

  /* stripe.elements({clientSecret}) for an intent made first, or the deferred-intent mode
   * ({mode: 'payment', amount, currency}): the form before the intent exists, whose
   * confirmPayment() then takes the client secret, after elements.submit(). */
  function Elements(stripe, options) {
    options = options || {};
    if (!options.clientSecret && options.mode === undefined) {
      throw IntegrationError('In order to create a payment element, you must pass a clientSecret or mode when creating the Elements group.');
    }
    if (options.clientSecret && options.mode !== undefined) {
      throw IntegrationError('Invalid value for elements(): pass either clientSecret or mode, not both.');
    }
    if (options.clientSecret && !intentIdFromSecret(options.clientSecret)) {
      throw IntegrationError('Invalid value for elements(): clientSecret should be a client secret of the form ${id}_secret_${secret}.');
    }
    this.mode = null;
    if (options.mode !== undefined) {
      if (options.mode !== 'payment') {
        throw IntegrationError('Invalid value for elements(): mode should be one of the following strings: payment. You specified: ' + options.mode + '.');
      }
      this.mode = options.mode;
      checkCurrency('elements()', options.currency, true);
      checkAmount('elements()', options.amount, true);
      this.amount = options.amount;
      this.currency = options.currency;
    }
    this.stripe = stripe;
    this.clientSecret = options.clientSecret || null;
    this.appearance = options.appearance || {};
    this.locale = options.locale || null;
    this.paymentMethodTypes = options.paymentMethodTypes || null;
    this.element = null;
    this.submitted = false;
  }

  function checkAmount(where, amount, required) {
    if (amount === undefined && !required) {
      return;
    }
    if (amount === undefined) {
      throw IntegrationError('Missing value for ' + where + ': amount should be a positive integer when mode is payment.');
    }
    if (typeof amount !== 'number' || !Number.isInteger(amount) || amount <= 0) {
      throw IntegrationError('Invalid value for ' + where + ': amount should be a positive integer. You specified: ' + amount + '.');
    }
  }

  function checkCurrency(where, currency, required) {
    if (currency === undefined && !required) {
      return;
    }
    if (currency === undefined) {
      throw IntegrationError('Missing value for ' + where + ': currency should be a string.');
    }
    if (typeof currency !== 'string' || !/^[a-z]{3}$/.test(currency)) {
      throw IntegrationError('Invalid value for ' + where + ': currency should be a three-letter ISO currency code in lowercase. You specified: ' + currency + '.');
    }
  }

  Elements.prototype.create = function (type, options) {
    if (type !== 'payment' && type !== 'card') {
      throw IntegrationError('The Till Stripe simulator implements the "payment" Element only, not "' + type + '".');
    }
    if (this.element) {
      throw IntegrationError('Can only create one Element of type ' + type + '.');
    }
    this.element = new PaymentElement(new CardFrame(this, options));
    return this.element;
  };

  Elements.prototype.getElement = function (type) {
    return type === 'payment' || type === 'card' ? this.element : null;
  };

  /* amount and currency only in deferred mode (the intent's are fixed otherwise); a new
   * amount or currency wants a new elements.submit() before the confirmation. */
  Elements.prototype.update = function (options) {
    options = options || {};
    if ((options.amount !== undefined || options.currency !== undefined) && !this.mode) {
      throw IntegrationError('elements.update(): amount and currency can only be updated when Elements was created with a mode.');
    }
    checkAmount('elements.update()', options.amount, false);
    checkCurrency('elements.update()', options.currency, false);
    if (options.amount !== undefined) {
      this.amount = options.amount;
      this.submitted = false;
    }
    if (options.currency !== undefined) {
      this.currency = options.currency;
      this.submitted = false;
    }
    if (options.paymentMethodTypes !== undefined) {
      if (!this.mode) {
        throw IntegrationError('elements.update(): paymentMethodTypes can only be updated when Elements was created with a mode.');
      }
      if (!Array.isArray(options.paymentMethodTypes) || options.paymentMethodTypes.length === 0) {
        throw IntegrationError('Invalid value for elements.update(): paymentMethodTypes should be a non-empty array of strings.');
      }
      this.paymentMethodTypes = options.paymentMethodTypes.slice();
      this.submitted = false;
      if (this.element) {
        this.element._frame.offerMethods();
      }
    }
    if (options.appearance) {
      this.appearance = options.appearance;
    }
    if (options.locale) {
      this.locale = options.locale;
    }
  };

  Elements.prototype.fetchUpdates = function () {
    return Promise.resolve({});
  };

  /* Validates what the customer typed; resolves {} or {error}. In deferred mode a confirmation
   * needs it first, each time. */
  Elements.prototype.submit = function () {
    var self = this;
    this.submitted = false;
    if (!this.element) {
      return Promise.resolve({ error: { type: 'validation_error', code: 'incomplete', message: 'No Element is mounted.' } });
    }
    return this.element._frame.request('validate').then(function (reply) {
      if (reply.error) {
        return { error: reply.error };
      }
      self.submitted = true;
      return {};
    });
  };

  function StripeSim(key, options) {
    if (!(this instanceof StripeSim)) {
      return new StripeSim(key, options);
    }
    if (typeof key !== 'string' || key === '') {
      throw IntegrationError('Please call Stripe() with your publishable key. You used an empty string.');
    }
    if (/^(pk|sk|rk)_live_/.test(key)) {
      throw IntegrationError('The Till Stripe simulator refuses live keys: use a test publishable key (pk_test_…).');
    }
    if (!/^pk_test_[A-Za-z0-9_]+$/.test(key)) {
      throw IntegrationError('Invalid API Key provided: the Till Stripe simulator takes test publishable keys (pk_test_…) only.');
    }
    this.key = key;
    this.options = options || {};
    mountSignalsFrame();
  }

  /* Stripe.js loads a hidden frame of its own that nests a fraud-signals frame from another
   * origin (m.stripe.network); so does the stand-in, once per page. */
  var signalsFrame = null;
  function mountSignalsFrame() {
    if (signalsFrame) {
      return;
    }
    signalsFrame = document.createElement('iframe');
    signalsFrame.name = '__privateStripeMetricsController';
    signalsFrame.title = '';
    signalsFrame.tabIndex = -1;
    signalsFrame.setAttribute('aria-hidden', 'true');
    signalsFrame.style.cssText = 'border:none;width:1px;height:1px;position:fixed;visibility:hidden;';
    signalsFrame.src = BASE + 'v3/frame/m-outer.html';
    if (document.body) {
      document.body.appendChild(signalsFrame);
    } else {
      document.addEventListener('DOMContentLoaded', function () {
        document.body.appendChild(signalsFrame);
      });
    }
  }

  StripeSim.prototype.elements = function (options) {
    return new Elements(this, options);
  };

  StripeSim.prototype.retrievePaymentIntent = function (clientSecret) {
    return retrieveIntent(this.key, clientSecret).then(function (body) {
      return body.error ? errorResult(body.error) : { paymentIntent: body };
    }, function (e) {
      if (e && e.name === 'IntegrationError') {
        throw e;
      }
      return { error: connectionError() };
    });
  };

  /* After a confirmation or a challenge: resolve, or leave for return_url as Stripe.js does. */
  function settle(intent, redirect, returnUrl) {
    if (intent.error) {
      return errorResult(intent.error);
    }
    if (intent.status === 'requires_payment_method' && intent.last_payment_error) {
      var result = errorResult(intent.last_payment_error);
      result.error.payment_intent = intent;
      return result;
    }
    if (redirect !== 'if_required' && returnUrl) {
      window.location.assign(withParams(returnUrl, {
        payment_intent: intent.id,
        payment_intent_client_secret: intent.client_secret,
        redirect_status: intent.status === 'succeeded' ? 'succeeded' : intent.status
      }));
      return new Promise(function () {});
    }
    return { paymentIntent: intent };
  }

  StripeSim.prototype.confirmPayment = function (options) {
    var stripe = this;
    options = options || {};
    var elements = options.elements;
    var confirmParams = options.confirmParams || {};
    var redirect = options.redirect || 'always';
    var clientSecret = options.clientSecret || (elements && elements.clientSecret);

    if (!elements || !elements.element || !elements.element._frame.iframe) {
      return Promise.reject(IntegrationError('stripe.confirmPayment(): expected `elements` with a mounted Payment Element.'));
    }
    if (redirect !== 'always' && redirect !== 'if_required') {
      return Promise.reject(IntegrationError('stripe.confirmPayment(): redirect must be "always" or "if_required".'));
    }
    if (redirect === 'always' && !confirmParams.return_url) {
      return Promise.reject(IntegrationError('stripe.confirmPayment(): the `confirmParams.return_url` argument is required unless passing `redirect: \'if_required\'`'));
    }
    if (elements.mode && !options.clientSecret) {
      return Promise.reject(IntegrationError('stripe.confirmPayment(): the `clientSecret` argument is required when Elements was created with a mode (collecting payment details before creating an Intent).'));
    }
    if (!intentIdFromSecret(clientSecret)) {
      return Promise.reject(IntegrationError('Invalid value for stripe.confirmPayment(): clientSecret should be a client secret of the form ${id}_secret_${secret}.'));
    }
    if (elements.mode && !elements.submitted) {
      return Promise.reject(IntegrationError(submitFirst('stripe.confirmPayment()')));
    }
    /* One submit, one confirmation. */
    elements.submitted = false;

    /* One message to the frame: it validates what was typed before it calls the API, and
     * answers a validation error without calling it, so a separate round of validation first
     * would only add a hop between Pay and the confirmation. */
    var frame = elements.element._frame;
    return frame.request('confirm', {
      clientSecret: clientSecret,
      returnUrl: confirmParams.return_url || null,
      receiptEmail: confirmParams.receipt_email || null
    }).then(function (confirmed) {
      if (confirmed.networkError) {
        return { error: connectionError() };
      }
      var body = confirmed.body || {};
      if (body.error) {
        return errorResult(body.error);
      }
      /* A bank redirect leaves the page, whatever `redirect` says; the promise never
       * settles, as the page is gone. */
      if (body.status === 'requires_action' && body.next_action &&
          body.next_action.type === 'redirect_to_url' && confirmed.methodType &&
          confirmed.methodType !== 'card') {
        window.location.assign(body.next_action.redirect_to_url.url);
        return new Promise(function () {});
      }
      if (body.status === 'requires_action' && body.next_action &&
          body.next_action.type === 'redirect_to_url') {
        return openChallenge(body.next_action.redirect_to_url.url).then(function () {
          return retrieveIntent(stripe.key, clientSecret);
        }).then(function (intent) {
          return settle(intent, redirect, confirmParams.return_url);
        });
      }
      return settle(body, redirect, confirmParams.return_url);
    }).catch(function (e) {
      if (e && e.name === 'IntegrationError') {
        throw e;
      }
      return { error: connectionError() };
    });
  };

  /* stripe.createPaymentMethod({elements}) (after elements.submit()): the card frame makes
   * the PaymentMethod; resolves {paymentMethod} or {error} as Stripe.js does. */
  StripeSim.prototype.createPaymentMethod = function (options) {
    options = options || {};
    var elements = options.elements;
    if (!elements || !elements.element || !elements.element._frame.iframe) {
      return Promise.reject(IntegrationError('stripe.createPaymentMethod(): expected `elements` with a mounted Payment Element.'));
    }
    if (elements.mode && !elements.submitted) {
      return Promise.reject(IntegrationError(submitFirst('createPaymentMethod()')));
    }
    elements.submitted = false;
    return elements.element._frame.request('createPaymentMethod').then(function (reply) {
      if (reply.networkError) {
        return { error: connectionError() };
      }
      var body = reply.body || {};
      if (body.error) {
        return errorResult(body.error);
      }
      return { paymentMethod: body };
    }).catch(function (e) {
      if (e && e.name === 'IntegrationError') {
        throw e;
      }
      return { error: connectionError() };
    });
  };

  /* The older card-confirmation call, for pages that still use it. */
  StripeSim.prototype.confirmCardPayment = function (clientSecret, data, options) {
    var elements = data && data.payment_method && data.payment_method.card &&
      data.payment_method.card._frame ? data.payment_method.card._frame.elements : null;
    return this.confirmPayment({ elements: elements, clientSecret: clientSecret, redirect: 'if_required' });
  };

  StripeSim.version = 3;
  StripeSim.tillSimulator = true;
  window.Stripe = StripeSim;
})();
