// The payment page's script. It mounts Stripe's Payment Element for the PaymentIntent the
// app hands over, confirms it, and tells the app the outcome. It never sees card data (the
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
    button.disabled = value || payment === null;
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

  // Called by the app: start(args) mounts the form for one PaymentIntent.
  // args: {publishable_key, client_secret, payment_intent, amount, dark, kiosk, moto,
  //        labels: {pay, processing}, declines: {codes: {CODE: words}, generic}}
  function start(args) {
    reset();
    if (typeof window.Stripe !== 'function') {
      post({type: 'load_error', status: null, payment_intent: args.payment_intent,
            error: {code: 'stripe_js_unavailable', decline_code: null,
                    message: 'Stripe.js did not load'}});
      return false;
    }

    document.documentElement.classList.toggle('dark', !!args.dark);
    document.documentElement.classList.toggle('kiosk', !!args.kiosk);
    payment = {payment_intent: args.payment_intent, labels: args.labels,
               declines: args.declines, moto: !!args.moto && !args.kiosk};
    amount.textContent = args.amount;

    stripe = window.Stripe(args.publishable_key);
    elements = stripe.elements({clientSecret: args.client_secret, appearance: appearance(args)});
    const element = elements.create('payment', {layout: 'tabs'});
    element.on('ready', function () {
      setBusy(false);
      // The card number has the focus, so the cashier or the customer types at once; the
      // amount above it is still read out (aria-live).
      element.focus();
      post({type: 'ready', status: null, payment_intent: payment.payment_intent, error: null});
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
    if (busy || !payment || !stripe) {
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
      result = await stripe.confirmPayment({
        elements: elements,
        redirect: 'if_required',
        confirmParams: {return_url: window.location.origin + '/pay/'},
      });
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
  window.tillPay = {start: start, reset: reset, refused: refused};
  post({type: 'loaded', status: null, payment_intent: null, error: null});
})();
