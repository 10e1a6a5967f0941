#!/bin/sh
# bench/orders/figures.sh DATABASE [ROUNDS] [BUILD]: till-server --training on DATABASE (filled
# by till-bench-orders) and till-bench-figures against it under Xvfb (bench/README.md).
set -eu
db=$1 rounds=${2:-15} build=${3:-_build}
token=$("$build/src/server/till-server" --db "$db" terminal add bench-figures --role admin | tail -n 1)
out=$(mktemp)
"$build/src/server/till-server" --training --db "$db" --listen 127.0.0.1:0 > "$out" 2>/dev/null &
server=$!
trap 'kill $server; rm -f "$out"' EXIT
until grep -q listening "$out"; do sleep 0.1; done
url=$(sed -n '1s/.* listening on \([^ ]*\).*/\1/p' "$out")
GSETTINGS_BACKEND=memory GSETTINGS_SCHEMA_DIR="$build/data" \
  xvfb-run -a "$build/bench/orders/till-bench-figures" "$url" "$token" "$rounds"
