#!/bin/sh
# The simulator's layers: the state returns objects (TillSimResult) and the request pipeline
# renders them. till-stripe-sim-state.c includes no render header and calls no rendering
# or reply function, so that -render.c depends on the state and never the other way round.
set -eu
top=$1
state="$top/src/stripe-sim/till-stripe-sim-state.c"
header="$top/src/stripe-sim/till-stripe-sim-state-private.h"
status=0

[ -f "$state" ] && [ -f "$header" ] || { echo "missing $state or $header"; exit 1; }

if grep -n '#[[:space:]]*include[[:space:]]*"till-stripe-sim-render' "$state" "$header"; then
  echo "the state includes the render header"
  status=1
fi
# Comments aside (one-line ones, and the lines inside longer ones), no call to
# till_sim_render_* or till_sim_reply_* in the state.
code_of() {
  sed -e 's|/\*.*\*/||g' -e 's|^[[:space:]]*\*.*||' "$1"
}
if code_of "$state" | grep -nE '\btill_sim_(render|reply)_[a-z_]+[[:space:]]*\('; then
  echo "till-stripe-sim-state.c calls a rendering or reply function: return a TillSimResult"
  status=1
fi
# Terminal's objects live beside the state's, on the same side of the line.
terminal="$top/src/stripe-sim/till-stripe-sim-terminal.c"
if [ -f "$terminal" ] && { grep -n '#[[:space:]]*include[[:space:]]*"till-stripe-sim-render' "$terminal" ||
  code_of "$terminal" | grep -nE '\btill_sim_(render|reply)_[a-z_]+[[:space:]]*\('; }; then
  echo "till-stripe-sim-terminal.c renders or replies: return a TillSimResult"
  status=1
fi
if code_of "$header" | grep -nE '\btill_sim_render_[a-z_]+[[:space:]]*\('; then
  echo "till-stripe-sim-state-private.h declares rendering: it belongs in the render header"
  status=1
fi
# The pipeline (till-stripe-sim.c) is the top: no file below it calls its API back, so the
# simulator's files form no circle.
for file in "$top"/src/stripe-sim/till-stripe-sim-*.c; do
  case $file in *-main.c) continue ;; esac
  if code_of "$file" | grep -nE '\btill_stripe_sim_[a-z_]+[[:space:]]*\('; then
    echo "$(basename "$file") calls the pipeline's API (till_stripe_sim_*): pass what it needs down"
    status=1
  fi
done
exit $status
