#!/bin/sh
# The long fault campaign: tests/faults/fault-campaign.py with 10,000 checkouts from 8
# clients, 20 kill -9 of till-server and 15 % of Stripe's requests faulted (see
# bench/README.md, "Fault campaign"). Runs at low priority: it keeps both cores busy.
# Usage: bench/faults/run.sh [BUILD_DIR [SEED [extra arguments of fault-campaign.py]]]
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-$top/_build}
seed=${2:-1}
[ $# -gt 0 ] && shift
[ $# -gt 0 ] && shift
ninja -C "$build" src/server/till-server src/stripe-sim/till-stripe-sim >/dev/null
exec nice -n 10 python3 "$top/tests/faults/fault-campaign.py" \
  --server "$build/src/server/till-server" --sim "$build/src/stripe-sim/till-stripe-sim" \
  --checkouts 10000 --clients 8 --crashes 20 --fault-rate 0.15 --seed "$seed" \
  --reconcile-wait 180 "$@"
