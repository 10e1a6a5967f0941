#!/usr/bin/env bash
# bench/server-checkout/floor.sh: the performance floor of till-server's checkouts against
# the simulator (issue "one clear shape", point 4). A benchmark, not a test: it prints
# figures and whether they clear the floor, and never fails on them.
#   1. Throughput: wrk, 10 connections, SECONDS per phase (checkout.lua, a 3-line cart),
#      three phases; checkouts/s of each, and till-server's RSS after each and at its peak.
#   2. Latency at an offered 100 checkouts/s (Stripe's live limit of API operations a
#      second), open loop (paced.py: each request due at its time, latency from that time):
#      p50/p99 through till-server, then the simulator's own create-intent measured the
#      same way, so that "p99 ≤ 20 ms plus the simulator's" can be checked.
# Floor: ≥ 1,000 checkouts/s; p99 at 100/s ≤ 20 ms + the simulator's p99; RSS ≤ 30 MB, flat.
# Usage: bench/server-checkout/floor.sh [SECONDS per wrk phase, default 10]
#                                       [SECONDS of each paced run, default 30]
#                                       [BUILD DIR: another build as it is, default _build rebuilt]
set -euo pipefail
# shellcheck source=tools/common.sh
source "$(dirname "$0")/../../tools/common.sh"
# shellcheck source=bench/server-checkout/common.sh
source "$(dirname "$0")/common.sh"
cd "$TILL_TOP"

seconds=${1:-10}
paced_seconds=${2:-30}
rate=100
key=sk_test_bench_0123456789
run_id=$(date +%s)

bench_use_build "${3:-}"
echo "load before: $(uptime)"
work=$(mktemp -d)
sim_pid='' server_pid=''
cleanup () {
  bench_stop "$server_pid" "$sim_pid"
  rm -rf "$work"
}
trap cleanup EXIT

bench_start_sim "$work" 127.0.0.1:0
till_say "Simulator at $sim"
token=$(bench_prepare_till "$work" "$sim" "$key" "$build")
bench_start_till "$work"
till_say "till-server at $server (pid $server_pid)"

rss () { awk '/^VmRSS/ {print $2}' "/proc/$server_pid/status"; }
hwm () { awk '/^VmHWM/ {print $2}' "/proc/$server_pid/status"; }
orders () { sqlite3 "$work/till.db" 'SELECT count(*) FROM orders'; }
through () {
  wrk -t2 -c10 -d"$2" --latency -s bench/server-checkout/checkout.lua "$server" -- \
    "$token" "$run_id-$1" > "$work/$1.txt"
}
# CPU time of a process in clock ticks (utime + stime): per checkout it means something even
# when other work shares the machine, unlike checkouts/s.
ticks () { awk '{print $14 + $15}' "/proc/$1/stat"; }
hz=$(getconf CLK_TCK)
requests () { awk '/requests in/ {print $1}' "$work/$1.txt"; }
rate_of () { awk '/Requests\/sec/ {printf "%.0f", $2}' "$work/$1.txt"; }
failures () { awk '/Non-2xx|Socket errors/' "$work/$1.txt"; }

# What one commit costs at least with synchronous=FULL: an fdatasync() where the database is.
sync_ms=$(python3 -c 'import os, sys, time
fd = os.open (sys.argv[1], os.O_WRONLY | os.O_CREAT, 0o600)
t = time.monotonic ()
for _ in range (100):
    os.write (fd, b"x" * 4096); os.fdatasync (fd)
print ("%.2f" % ((time.monotonic () - t) * 10))' "$work/sync-probe")
echo "fdatasync() of 4 kB in $work: $sync_ms ms (mean of 100)"
echo "till-server RSS at start: $(rss) kB"
till_say "Warming up for 2 s (not counted)"
through warm 2s
echo "after warm-up, $(orders) orders: RSS $(rss) kB"

till_say "Throughput: 3 phases of ${seconds}s, wrk, 10 connections"
for phase in 1 2 3; do
  t0=$(ticks "$server_pid")
  through "t$phase" "${seconds}s"
  t1=$(ticks "$server_pid")
  failures "t$phase"
  echo "phase $phase: $(rate_of "t$phase") checkouts/s," \
    "till-server CPU $(( (t1 - t0) * 1000000 / hz / $(requests "t$phase") )) µs a checkout;" \
    "after $(orders) orders: RSS $(rss) kB"
  echo "$(rate_of "t$phase")" >> "$work/rates.txt"
done
echo "peak RSS (VmHWM): $(hwm) kB"
median=$(sort -n "$work/rates.txt" | sed -n 2p)

till_say "Latency at an offered $rate/s for ${paced_seconds}s each, open loop, 10 connections"
till_line=$(python3 bench/server-checkout/paced.py checkout "$server" "$token" "$rate" \
              "$paced_seconds" 10)
echo "through till-server: $till_line"
sim_line=$(python3 bench/server-checkout/paced.py sim "$sim" "$key" "$rate" "$paced_seconds" 10)
echo "simulator alone:     $sim_line"
echo "after $(orders) orders: RSS $(rss) kB; peak RSS (VmHWM) $(hwm) kB"
echo "server warnings: $(grep -c "WARNING\|CRITICAL" "$work/server.err" || true)"

p99 () { sed -n 's/.* p99 \([0-9.]*\) .*/\1/p' <<< "$1"; }
till_p99=$(p99 "$till_line") sim_p99=$(p99 "$sim_line")
awk -v r="$median" -v t="$till_p99" -v s="$sim_p99" -v h="$(hwm)" 'BEGIN {
  ok_rate = (r >= 1000) ? "yes" : "NO"; ok_p99 = (t <= 20 + s) ? "yes" : "NO"
  ok_rss = (h <= 30 * 1024) ? "yes" : "NO"
  printf "floor: median %d checkouts/s (≥ 1000: %s); p99 at 100/s %.2f ms ≤ 20 + %.2f ms: %s;" \
         " peak RSS %.1f MB (≤ 30: %s)\n", r, ok_rate, t, s, ok_p99, h / 1024, ok_rss }'
echo "load after: $(uptime)"
