#!/usr/bin/env bash
# bench/server-checkout/instructions.sh: instructions per checkout of till-server, counted by
# callgrind, for comparing two versions of the code where timings on a shared VM are too noisy.
# Usage: bench/server-checkout/instructions.sh [CHECKOUTS, default 300] [BUILD DIR, default _build]
# till-server runs under valgrind --tool=callgrind against the simulator (in its own
# process, not counted); after 100 checkouts of warm-up, CHECKOUTS checkouts of the bench
# cart are sent one after the other (curl), so each has a transaction of its own and the
# count repeats to within 0.3 % from run to run. It counts instructions in user space only
# (not the kernel's TCP and file writes, nor time spent waiting) and a checkout alone (not
# batched with others, as under load). It prints the count per checkout and the functions
# of ours that take the most, inclusive. With a BUILD DIR it measures that build as it is.
set -euo pipefail
# shellcheck source=tools/common.sh
source "$(dirname "$0")/../../tools/common.sh"
# shellcheck source=bench/server-checkout/common.sh
source "$(dirname "$0")/common.sh"
cd "$TILL_TOP"

checkouts=${1:-300}
bench_use_build "${2:-}"
command -v valgrind >/dev/null || { echo "valgrind is needed (apt install valgrind)"; exit 1; }
key=sk_test_bench_0123456789
work=$(mktemp -d)
sim_pid='' server_pid=''
cleanup () {
  bench_stop "$server_pid" "$sim_pid"
  rm -rf "$work"
}
trap cleanup EXIT

bench_start_sim "$work" 127.0.0.1:0
token=$(bench_prepare_till "$work" "$sim" "$key" "$build")
bench_start_till "$work" valgrind --tool=callgrind --callgrind-out-file="$work/callgrind.out"
url=$server/api/v1/checkouts

# send PREFIX N: N checkouts of the bench cart (checkout.lua's), one after the other.
send () {
  local failed=0
  for i in $(seq 1 "$2"); do
    status=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $token" \
      -H 'Content-Type: application/json' \
      -d "{\"client_reference\": \"instructions-$1-$i\", \"currency\": \"EUR\", \"lines\": [{\"product_id\": 1, \"quantity\": 2}, {\"product_id\": 11, \"quantity\": 1}, {\"product_id\": 19, \"quantity\": 3}]}" \
      "$url")
    [ "$status" = 201 ] || failed=$((failed + 1))
  done
  [ $failed = 0 ] || { echo "$failed of $2 checkouts failed"; exit 1; }
}
till_say "Warming up: 100 checkouts (not counted)"
send warm 100
callgrind_control -z "$server_pid" >/dev/null 2>&1
till_say "Counting $checkouts checkouts, one after the other"
send counted "$checkouts"
callgrind_control -d "$server_pid" >/dev/null 2>&1
for _ in $(seq 1 100); do [ -s "$work/callgrind.out.1" ] && break; sleep 0.1; done
total=$(awk '/^summary:/ {print $2}' "$work/callgrind.out.1")
echo "instructions per checkout: $(( total / checkouts ))"
echo "ours, inclusive, per checkout:"
callgrind_annotate --inclusive=yes --auto=no --threshold=100 "$work/callgrind.out.1" 2>/dev/null |
  awk -v n="$checkouts" '/src\/(server|core)\/.*\[/ && !/cli_run|main \[|below main/ {
                           gsub (",", "", $1); name = $0;
                           sub (/ \[.*/, "", name); sub (/.*:/, "", name);
                           if (shown++ < 15) printf "%10d  %s\n", $1 / n, name }'
