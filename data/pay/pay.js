// The payment page's script. It mounts Stripe's Payment Element at Charge, before the
// PaymentIntent exists (deferred intent), takes the intent's client secret when the app hands
// it over, confirms it, and tells the app the outcome. It never sees card data (the
// card form lives in Stripe's iframe) and never posts anything but
// {type, status, payment_intent, error: {code, decline_code, message}}, and payment_method
// (a PaymentMethod id) in a "payment_method" message: with moto, a card the cashier typed is
// made a PaymentMethod and the server confirms it as a mail or telephone order.
// The app treats every message as a hint: the server asks Stripe for the truth.
'use strict';

(function () {
  const bridge = window.webkit && window.webkit.messageHandlers &&
    window.webkit.messageHandlers.till;

  function post(message) {
    if (bridge) {
      bridge.postMessage(message);
    }
  }

  const form = document.getElementById('payment-form');
  const button = document.getElementById('submit');
  const amount = document.getElementById('amount');
  const message = document.getElementById('message');
  const explanation = document.getElementById('explanation');
  const main = document.getElementById('pay');

  let stripe = null;
  let elements = null;
  let payment = null;   // {payment_intent, labels}
  let busy = false;

  function showMessage(text) {
    message.textContent = text || '';
    message.hidden = !text;
  }

  // Under Stripe's own words ("Your card was declined."), what they mean and what to do,
  // in the app's language: by the decline code, else the error code, else the generic words.
  function showExplanation(error) {
    let text = '';
    const declines = payment && payment.declines;
    if (error && declines && typeof declines === 'object') {
      const codes = declines.codes || {};
      const own = function (code) {
        return typeof code === 'string' && Object.prototype.hasOwnProperty.call(codes, code) ?
          codes[code] : null;
      };
      text = own(error.decline_code) || own(error.code) || declines.generic || '';
    }
    explanation.textContent = text;
    explanation.hidden = !text;
  }

  function setBusy(value) {
    busy = value;
    button.disabled = value || payment === null || !payment.client_secret;
    button.textContent = payment ? (value ? payment.labels.processing : payment.labels.pay) : '';
    main.setAttribute('aria-busy', value ? 'true' : 'false');
  }

  function appearance(args) {
    return {
      theme: args.dark ? 'night' : 'stripe',
      variables: {
        fontSizeBase: args.kiosk ? '22px' : '16px',
        spacingUnit: args.kiosk ? '6px' : '4px',
        borderRadius: '10px',
      },
    };
  }

  function errorFields(error) {
    return {
      code: typeof error.code === 'string' ? error.code : null,
      decline_code: typeof error.decline_code === 'string' ? error.decline_code : null,
      message: typeof error.message === 'string' ? error.message.slice(0, 500) : null,
    };
  }

  // The form is made before the PaymentIntent exists, as Stripe's deferred-intent Elements
  // allow: prepare(args) at Charge, with the cart's amount and currency, while the checkout
  // makes the intent; start(args) hands over the intent's client secret when it answers.
  // prepared: what the mounted form was made with; formReady: its `ready` has come.
  let prepared = null;
  let formReady = false;

  function sameForm(args) {
    return prepared !== null && prepared.deferred && prepared.publishable_key === args.publishable_key &&
      prepared.currency === args.currency && prepared.dark === !!args.dark &&
      prepared.kiosk === !!args.kiosk && prepared.locale === (args.locale || 'auto');
  }

  function postReady() {
    if (formReady && payment && payment.payment_intent && !payment.readySent) {
      payment.readySent = true;
      setBusy(false);
      post({type: 'ready', status: null, payment_intent: payment.payment_intent, error: null});
    }
  }

  // Called by the app: prepare(args) mounts the form for an amount, before any intent.
  // args: {publishable_key, amount_minor (Stripe's integer), currency (lowercase), amount
  //        (as shown), dark, kiosk, moto, locale, labels: {pay, processing},
  //        declines: {codes: {CODE: words}, generic}}
  function prepare(args) {
    reset();
    if (typeof window.Stripe !== 'function') {
      // Said with the intent, when start() has one; a form prepared without one says nothing.
      if (args.payment_intent) {
        post({type: 'load_error', status: null, payment_intent: args.payment_intent,
              error: {code: 'stripe_js_unavailable', decline_code: null,
                      message: 'Stripe.js did not load'}});
      }
      return false;
    }

    document.documentElement.classList.toggle('dark', !!args.dark);
    document.documentElement.classList.toggle('kiosk', !!args.kiosk);
    payment = {payment_intent: null, client_secret: null, labels: args.labels,
               declines: args.declines, moto: !!args.moto && !args.kiosk, readySent: false};
    // An app older than this page sends no amount_minor or currency, only the intent: its form
    // is mounted for the intent as before (intent first), so a till not yet updated still
    // takes cards from an updated server.
    const deferred = typeof args.currency === 'string' && Number.isInteger(args.amount_minor);
    prepared = {publishable_key: args.publishable_key, currency: args.currency,
                amount_minor: args.amount_minor, dark: !!args.dark, kiosk: !!args.kiosk,
                locale: args.locale || 'auto', used: false, deferred: deferred};
    amount.textContent = args.amount;

    stripe = window.Stripe(args.publishable_key);
    if (deferred) {
      // Cards, as the server asks by default; the intent's own types replace them in start().
      elements = stripe.elements({mode: 'payment', amount: args.amount_minor,
                                  currency: args.currency, paymentMethodTypes: ['card'],
                                  locale: prepared.locale, appearance: appearance(args)});
    } else if (args.client_secret) {
      elements = stripe.elements({clientSecret: args.client_secret, locale: prepared.locale,
                                  appearance: appearance(args)});
    } else {
      return false;
    }
    const element = elements.create('payment', {layout: 'tabs'});
    element.on('ready', function () {
      formReady = true;
      // The card number has the focus, so the cashier or the customer types at once; the
      // amount above it is still read out (aria-live).
      element.focus();
      postReady();
    });
    element.on('change', function () {
      showMessage('');
      showExplanation(null);
    });
    element.mount('#payment-element');
    setBusy(true);
    button.textContent = args.labels.pay;
    return true;
  }

  // Called by the app: start(args) is prepare()'s args with the PaymentIntent's id and client
  // secret. A form prepared for this sale and not used yet takes them at once (its amount
  // follows the intent's if the server priced the cart differently); anything else is
  // prepared again first.
  function start(args) {
    if (!sameForm(args) || prepared.used || !elements) {
      if (!prepare(args)) {
        return false;
      }
    } else {
      payment.labels = args.labels;
      payment.declines = args.declines;
      payment.moto = !!args.moto && !args.kiosk;
      amount.textContent = args.amount;
      button.textContent = busy ? args.labels.processing : args.labels.pay;
    }
    payment.payment_intent = args.payment_intent;
    payment.client_secret = args.client_secret;
    if (!prepared.deferred) {
      postReady();
      return true;
    }
    if (prepared.amount_minor !== args.amount_minor) {
      prepared.amount_minor = args.amount_minor;
      elements.update({amount: args.amount_minor});
    }
    // The methods the intent allows (the server's payment-method-types) become the form's:
    // asked of Stripe beside the form, never waited for.
    const forElements = elements;
    stripe.retrievePaymentIntent(args.client_secret).then(function (result) {
      const types = result.paymentIntent && result.paymentIntent.payment_method_types;
      if (elements === forElements && Array.isArray(types) && types.join(' ') !== 'card') {
        elements.update({paymentMethodTypes: types});
      }
    }, function () {});
    postReady();
    return true;
  }

  function reset() {
    if (elements) {
      const element = elements.getElement && elements.getElement('payment');
      if (element && element.destroy) {
        element.destroy();
      }
    }
    stripe = null;
    elements = null;
    payment = null;
    prepared = null;
    formReady = false;
    busy = false;
    amount.textContent = '';
    showMessage('');
    showExplanation(null);
    document.getElementById('payment-element').replaceChildren();
    setBusy(false);
  }

  // MOTO: the card becomes a PaymentMethod and the app has the server confirm it; the form
  // stays busy until the app shows the outcome (or tells the page, with refused()).
  async function createPaymentMethod() {
    const paymentIntent = payment.payment_intent;
    let result;
    try {
      prepared.used = true;
      result = await elements.submit();
      if (!result.error) {
        result = await stripe.createPaymentMethod({elements: elements});
      }
    } catch (e) {
      result = {error: {type: 'api_connection_error', code: 'network_error',
                        message: String(e && e.message || e)}};
    }
    if (!payment || payment.payment_intent !== paymentIntent) {
      return;
    }
    if (result.error) {
      // Nothing was charged: the form says what to fix, and takes the card again.
      showMessage(result.error.message);
      if (result.error.type === 'card_error') {
        showExplanation(result.error);
      }
      setBusy(false);
      return;
    }
    post({type: 'payment_method', status: null, payment_intent: paymentIntent, error: null,
          payment_method: result.paymentMethod.id});
  }

  async function confirm(event) {
    event.preventDefault();
    if (busy || !payment || !payment.client_secret || !stripe) {
      return;
    }
    if (payment.moto) {
      setBusy(true);
      showMessage('');
      showExplanation(null);
      await createPaymentMethod();
      return;
    }
    setBusy(true);
    showMessage('');
    showExplanation(null);
    const paymentIntent = payment.payment_intent;
    let result;
    try {
      // Deferred intents: elements.submit() first, at once in the customer's gesture, then
      // the confirmation with the client secret.
      prepared.used = true;
      result = await elements.submit();
      if (!result.error) {
        const options = {
          elements: elements,
          redirect: 'if_required',
          confirmParams: {return_url: window.location.origin + '/pay/'},
        };
        if (prepared.deferred) {
          options.clientSecret = payment.client_secret;
        }
        result = await stripe.confirmPayment(options);
      }
    } catch (e) {
      result = {error: {type: 'api_connection_error', code: 'network_error',
                        message: String(e && e.message || e)}};
    }

    if (result.error) {
      const status = result.error.payment_intent && result.error.payment_intent.status;
      showMessage(result.error.message);
      setBusy(false);
      // Incomplete or wrong fields (an empty card number, say): nothing went to Stripe, and
      // the form says what to fix. The customer goes on typing; the app hears nothing.
      if (result.error.type === 'validation_error') {
        return;
      }
      if (result.error.type === 'card_error') {
        showExplanation(result.error);
      }
      post({type: 'result', status: typeof status === 'string' ? status : 'requires_payment_method',
            payment_intent: paymentIntent, error: errorFields(result.error)});
      return;
    }

    post({type: 'result', status: result.paymentIntent.status, payment_intent: paymentIntent,
          error: null});
  }

  // Called by the app when it refused to let a payment method leave the page (a redirect to
  // a bank, a pop-up): the customer reads why, and the form takes a card again.
  function refused(text) {
    showMessage(text);
    setBusy(false);
  }

  form.addEventListener('submit', confirm);
  window.tillPay = {prepare: prepare, start: start, reset: reset, refused: refused,
                   isReady: function () { return formReady; }};
  post({type: 'loaded', status: null, payment_intent: null, error: null});
})();
