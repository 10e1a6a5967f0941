#!/bin/sh
# A second tools/run while one runs refuses at once and clearly, before it touches the
# training database (where it would revoke the first app's terminal) or starts anything.
# Usage: tools-run-single.sh SOURCE_ROOT
set -eu
top=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export XDG_STATE_HOME="$tmp/state"
# No session bus: nothing to bring to the front, so it must refuse.
export DBUS_SESSION_BUS_ADDRESS="unix:path=$tmp/no-bus"
mkdir -p "$XDG_STATE_HOME/till"

# The first tools/run, as far as the lock goes.
exec 9>"$XDG_STATE_HOME/till/tools-run.lock"
flock -n 9

if "$top/tools/run" --listen 127.0.0.1:9 >"$tmp/out" 2>&1; then
  echo "a second tools/run went on:"; cat "$tmp/out"; exit 1
fi
if ! grep -q "another tools/run is already running Till" "$tmp/out"; then
  echo "unexpected message:"; cat "$tmp/out"; exit 1
fi
if [ -e "$XDG_STATE_HOME/till/training.db" ]; then
  echo "the training database was touched"; exit 1
fi
echo "refused: $(cat "$tmp/out")"
