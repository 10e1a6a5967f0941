#!/usr/bin/env bash
# bench/server-checkout: the simulator's POST /v1/payment_intents directly, then
# POST /api/v1/checkouts through till-server to the same simulator (3-line cart, 10
# connections), and till-server's RSS while it takes 20,000+ checkouts.
# Usage: bench/server-checkout/run.sh [SECONDS per phase, default 10]
# TILL_BENCH_PIN=1 runs the simulator on CPU 0 and wrk on CPU 1 (taskset) in both phases;
# till-server is never pinned.
set -euo pipefail
source "$(dirname "$0")/../../tools/common.sh"
cd "$TILL_TOP"

seconds=${1:-10}
connections=10
threads=2
build=$TILL_TOP/_build
key=sk_test_bench_0123456789
# What till-server sends to Stripe for the bench cart: the direct phase sends the same.
basic=$(printf '%s:' "$key" | base64)
instance=$(cat /proc/sys/kernel/random/uuid)
amount=1039
run_id=$(date +%s)

till_build _build -Dbuildtype=debugoptimized
pin_sim=() pin_wrk=()
if [ -n "${TILL_BENCH_PIN:-}" ]; then
  pin_sim=(taskset -c 0) pin_wrk=(taskset -c 1)
fi
echo "load before: $(uptime)"
work=$(mktemp -d)
sim_pid= server_pid=
cleanup () {
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null
  [ -n "$sim_pid" ] && kill "$sim_pid" 2>/dev/null && wait "$sim_pid" 2>/dev/null
  rm -rf "$work"
  return 0
}
trap cleanup EXIT

# The simulator, alone in its process.
"${pin_sim[@]}" "$build/src/stripe-sim/till-stripe-sim" --listen 127.0.0.1:0 > "$work/sim.out" 2>"$work/sim.err" &
sim_pid=$!
for _ in $(seq 1 100); do [ -s "$work/sim.out" ] && break; sleep 0.05; done
sim=$(head -1 "$work/sim.out"); sim=${sim%/}
till_say "Simulator at $sim"

# CPU time of a process in clock ticks (utime + stime): per request it stays meaningful when
# other work shares the machine, unlike req/s.
ticks () { awk '{print $14 + $15}' "/proc/$1/stat"; }
hz=$(getconf CLK_TCK)

till_say "Direct: POST /v1/payment_intents, $connections connections, ${seconds}s"
sim_t0=$(ticks $sim_pid)
"${pin_wrk[@]}" wrk -t$threads -c$connections -d${seconds}s --latency -s bench/server-checkout/sim-create.lua \
  "$sim" -- "$basic" "$instance" "$amount" | tee "$work/direct.txt"
sim_t1=$(ticks $sim_pid)
direct_requests=$(awk '/requests in/ {print $1}' "$work/direct.txt")
echo "simulator CPU per intent: $(( (sim_t1 - sim_t0) * 1000000 / hz / direct_requests )) µs"

# till-server in test mode against the same simulator.
cat > "$work/till.conf" <<CONF
[store]
name=Bench
currency=EUR
[server]
listen=127.0.0.1:0
database=$work/till.db
checkout-rate-per-minute=1000000
[reconciler]
interval=3600
[stripe]
api-base=$sim
secret-key=$key
CONF
chmod 600 "$work/till.conf"
"$build/src/server/till-server" --config "$work/till.conf" catalog import data/demo-catalog.csv >/dev/null
token=$("$build/src/server/till-server" --config "$work/till.conf" terminal add bench | tail -1)
"$build/src/server/till-server" --config "$work/till.conf" > "$work/server.out" 2>"$work/server.err" &
server_pid=$!
for _ in $(seq 1 100); do [ -s "$work/server.out" ] && break; sleep 0.05; done
server=$(sed -n 's/.*listening on \([^ ]*\) .*/\1/p' "$work/server.out")
till_say "till-server at $server (pid $server_pid)"

rss () { awk '/^VmRSS/ {print $2}' "/proc/$server_pid/status"; }
hwm () { awk '/^VmHWM/ {print $2}' "/proc/$server_pid/status"; }
orders () { sqlite3 "$work/till.db" 'SELECT count(*) FROM orders'; }

till_say "Through till-server: POST /api/v1/checkouts, $connections connections, ${seconds}s"
echo "RSS at start: $(rss) kB"
server_t0=$(ticks $server_pid)
sim_t0=$(ticks $sim_pid)
"${pin_wrk[@]}" wrk -t$threads -c$connections -d${seconds}s --latency -s bench/server-checkout/checkout.lua \
  "$server" -- "$token" "$run_id-a" | tee "$work/server.txt"
server_t1=$(ticks $server_pid)
sim_t1=$(ticks $sim_pid)
checkouts=$(awk '/requests in/ {print $1}' "$work/server.txt")
echo "till-server CPU per checkout: $(( (server_t1 - server_t0) * 1000000 / hz / checkouts )) µs" \
  "(simulator: $(( (sim_t1 - sim_t0) * 1000000 / hz / checkouts )) µs)"
echo "after $(orders) orders: RSS $(rss) kB"

# Keep going until at least 20,000 checkouts and three more phases, watching the RSS.
phase=0
while { [ "$(orders)" -lt 20000 ] || [ $phase -lt 3 ]; } && [ $phase -lt 20 ]; do
  phase=$((phase + 1))
  "${pin_wrk[@]}" wrk -t$threads -c$connections -d${seconds}s -s bench/server-checkout/checkout.lua \
    "$server" -- "$token" "$run_id-$phase" > /dev/null
  echo "after $(orders) orders: RSS $(rss) kB"
done
echo "peak RSS (VmHWM) after $(orders) orders: $(hwm) kB"
amounts=$(sqlite3 "$work/till.db" 'SELECT group_concat (DISTINCT amount) FROM payments')
[ "$amounts" = "$amount" ] || echo "WARNING: till-server asked for $amounts, the direct phase for $amount"
paid_errors=$(grep -c "WARNING\|CRITICAL" "$work/server.err" || true)
echo "server warnings: $paid_errors"

direct=$(awk '/Requests\/sec/ {print $2}' "$work/direct.txt")
through=$(awk '/Requests\/sec/ {print $2}' "$work/server.txt")
echo "throughput: direct $direct/s, through till-server $through/s, ratio $(awk -v a="$through" -v b="$direct" 'BEGIN {printf "%.0f %%", 100 * a / b}')"
# wrk prints "99%    1.65ms" (or us, s): in ms.
p99 () { awk '$1 == "99%" { v = $2; u = v; sub (/[0-9.]+/, "", u); sub (/[a-z]+$/, "", v);
                            printf "%.2f", v * (u == "us" ? 0.001 : u == "s" ? 1000 : 1) }' "$1"; }
echo "p99: direct $(p99 "$work/direct.txt") ms, through till-server $(p99 "$work/server.txt") ms," \
  "ratio $(awk -v a="$(p99 "$work/server.txt")" -v b="$(p99 "$work/direct.txt")" 'BEGIN {printf "%.1f", a / b}') ×"
echo "load after: $(uptime)"
