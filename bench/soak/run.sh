#!/usr/bin/env bash
# The soak: till-server --training under systemd's default descriptor limit (1,024), driven by
# 20 simulated tills for MINUTES, with its descriptors, RSS, threads and WAL printed over time.
# Usage: bench/soak/run.sh [MINUTES (30)] [BUILD_DIR (_build)] [more soak.py options]
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
minutes=${1:-30}
build=${2:-$top/_build}
shift $(( $# > 2 ? 2 : $# ))
server=$build/src/server/till-server
[ -x "$server" ] || { echo "no $server: build first (tools/test or ninja -C $build)" >&2; exit 1; }

work=$(mktemp -d)
trap 'kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; rm -rf "$work"' EXIT
db=$work/till.db
for i in $(seq 1 20); do
  "$server" --db "$db" terminal add "Till $i" | tail -n 1 >>"$work/tokens"
done

ulimit -n 1024
"$server" --training --db "$db" --listen 127.0.0.1:0 >"$work/out" 2>"$work/server.log" &
pid=$!
for _ in $(seq 1 100); do
  grep -q 'listening on' "$work/out" 2>/dev/null && break
  sleep 0.1
done
base=$(sed -n 's/.*listening on \([^ ]*\) .*/\1/p' "$work/out")
[ -n "$base" ] || { cat "$work/server.log" >&2; exit 1; }
echo "till-server (pid $pid) on $base, ulimit -n $(ulimit -n), $minutes min"

python3 "$top/bench/soak/soak.py" --server "$base" --tokens "$work/tokens" \
  --pid "till-server=$pid" --wal "$db-wal" --minutes "$minutes" "$@"
