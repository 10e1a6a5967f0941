#!/bin/sh
# till-server selftest against real Stripe (api.stripe.com), with a test key from
# TILL_SMOKE_STRIPE_KEY or the file TILL_SMOKE_STRIPE_KEY_FILE (never the command line).
# The webhook is checked when TILL_SMOKE_WEBHOOK_SECRET (the test-mode endpoint's whsec_…)
# and TILL_SMOKE_WEBHOOK_URL (a till-server that endpoint delivers to) are given.
# Skipped (77) without a key: Stripe cannot be reached from the build machines.
set -eu
server=$1

key=${TILL_SMOKE_STRIPE_KEY:-}
if [ -z "$key" ] && [ -n "${TILL_SMOKE_STRIPE_KEY_FILE:-}" ]; then
  key=$(head -n 1 "$TILL_SMOKE_STRIPE_KEY_FILE")
fi
if [ -z "$key" ]; then
  echo "no Stripe test key (TILL_SMOKE_STRIPE_KEY or TILL_SMOKE_STRIPE_KEY_FILE): skipped"
  exit 77
fi

unset TILL_STRIPE_API_BASE TILL_STRIPE_WEBHOOK_SECRET TILL_STRIPE_PUBLISHABLE_KEY
TILL_STRIPE_SECRET_KEY=$key
export TILL_STRIPE_SECRET_KEY
db=$(mktemp -d)/till.db
if [ -n "${TILL_SMOKE_WEBHOOK_SECRET:-}" ] && [ -n "${TILL_SMOKE_WEBHOOK_URL:-}" ]; then
  TILL_STRIPE_WEBHOOK_SECRET=$TILL_SMOKE_WEBHOOK_SECRET
  export TILL_STRIPE_WEBHOOK_SECRET
  exec "$server" --db "$db" selftest --webhook-url "$TILL_SMOKE_WEBHOOK_URL"
fi
exec "$server" --db "$db" selftest --skip-webhook
