#!/usr/bin/env bash
# bench/server-checkout: the simulator's POST /v1/payment_intents directly, and
# POST /api/v1/checkouts through till-server to the same simulator (3-line cart, 10
# connections), in alternating rounds; then till-server's RSS as it goes on past 20,000
# checkouts. Each round also measures the bare proxy (bare-proxy.c: libsoup and
# till-server's Stripe client, no database, no cart) against the same simulator: the
# floor of a checkout on till-server's stack, so that the gap to it is till-server's own.
# Usage: bench/server-checkout/run.sh [SECONDS per phase, default 10] [ROUNDS, default 5]
#                                     [BUILD DIR: another build as it is, default _build rebuilt]
# Each round runs a direct phase, a bare-proxy phase and a phase through till-server; the ratios of a
# round compare two phases a few seconds apart, and the medians over the rounds are the
# figures to report (a VM's speed drifts by more than the effects being measured).
# TILL_BENCH_PIN=1 runs the simulator on CPU 0 and wrk on CPU 1 (taskset) in both phases;
# till-server is never pinned.
set -euo pipefail
# shellcheck source=tools/common.sh
source "$(dirname "$0")/../../tools/common.sh"
# shellcheck source=bench/server-checkout/common.sh
source "$(dirname "$0")/common.sh"
cd "$TILL_TOP"

seconds=${1:-10}
rounds=${2:-5}
connections=10
threads=2
key=sk_test_bench_0123456789
# What till-server sends to Stripe for the bench cart: the direct phase sends the same.
basic=$(printf '%s:' "$key" | base64)
amount=1039
run_id=$(date +%s)

bench_use_build "${3:-}"
[ -x "$build/bench/server-checkout/bare-proxy" ] || till_die "$build has no bare-proxy: build it first"
pin_sim=() pin_wrk=()
if [ -n "${TILL_BENCH_PIN:-}" ]; then
  pin_sim=(taskset -c 0) pin_wrk=(taskset -c 1)
fi
echo "load before: $(uptime)"
work=$(mktemp -d)
sim_pid='' server_pid='' bare_pid=''
cleanup () {
  bench_stop "$server_pid" "$bare_pid" "$sim_pid"
  rm -rf "$work"
}
trap cleanup EXIT

# start_sim ADDRESS: the simulator, alone in its process. It keeps every intent it made
# (5–6 kB each), and its CPU per intent grows with them: each round starts a fresh one
# on the same address, so that every round measures the same simulator.
start_sim () {
  bench_stop "$sim_pid"
  bench_start_sim "$work" "$1" "${pin_sim[@]}"
}
start_sim 127.0.0.1:0
till_say "Simulator at $sim"

# CPU time of a process in clock ticks (utime + stime): per request it stays meaningful when
# other work shares the machine, unlike req/s.
ticks () { awk '{print $14 + $15}' "/proc/$1/stat"; }
hz=$(getconf CLK_TCK)

# till-server in test mode against the same simulator.
token=$(bench_prepare_till "$work" "$sim" "$key" "$build")
bench_start_till "$work"
till_say "till-server at $server (pid $server_pid)"
"$build/bench/server-checkout/bare-proxy" "$sim" > "$work/bare.out" 2>"$work/bare.err" &
bare_pid=$!
for _ in $(seq 1 100); do grep -q listening "$work/bare.out" && break; sleep 0.05; done
bare=$(sed -n 's/.*listening on \([^ ]*\) now.*/\1/p' "$work/bare.out")
till_say "bare proxy at $bare (pid $bare_pid)"

rss () { awk '/^VmRSS/ {print $2}' "/proc/$server_pid/status"; }
hwm () { awk '/^VmHWM/ {print $2}' "/proc/$server_pid/status"; }
orders () { sqlite3 "$work/till.db" 'SELECT count(*) FROM orders'; }
echo "till-server RSS at start: $(rss) kB"

# direct PHASE / through PHASE: one wrk run; its output in $work/PHASE.txt.
direct () {
  # A fresh instance id (same length) per phase, so every Idempotency-Key is new.
  "${pin_wrk[@]}" wrk -t$threads -c$connections -d"$2" --latency \
    -s bench/server-checkout/sim-create.lua "$sim" -- \
    "$basic" "$(cat /proc/sys/kernel/random/uuid)" "$amount" > "$work/$1.txt"
}
through () {
  "${pin_wrk[@]}" wrk -t$threads -c$connections -d"$2" --latency \
    -s bench/server-checkout/checkout.lua "$server" -- "$token" "$run_id-$1" > "$work/$1.txt"
}
bare () {
  "${pin_wrk[@]}" wrk -t$threads -c$connections -d"$2" --latency \
    -s bench/server-checkout/checkout.lua "$bare" -- "$token" "$run_id-$1" > "$work/$1.txt"
}
requests () { awk '/requests in/ {print $1}' "$work/$1.txt"; }
rate () { awk '/Requests\/sec/ {printf "%.0f", $2}' "$work/$1.txt"; }
# wrk prints "99%    1.65ms" (or us, s): in ms.
pct () { awk -v k="$2" '$1 == k { v = $2; u = v; sub (/[0-9.]+/, "", u); sub (/[a-z]+$/, "", v);
                                  printf "%.2f", v * (u == "us" ? 0.001 : u == "s" ? 1000 : 1) }' \
           "$work/$1.txt"; }
failures () { awk '/Non-2xx|Socket errors/' "$work/$1.txt"; }
div () { awk -v a="$1" -v b="$2" -v f="$3" 'BEGIN {printf f, a / b}'; }
# median FORMAT: of the numbers on stdin, one per line.
median () { sort -g | awk -v f="$1" '{ v[NR] = $1 }
                                     END { printf f, NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

till_say "Warming up all three for 2 s each (not counted)"
direct warm-direct 2s
bare warm-bare 2s
through warm-through 2s

till_say "$rounds rounds of ${seconds}s each: direct (POST /v1/payment_intents), bare proxy and through till-server (POST /api/v1/checkouts), $connections connections"
printf '%-5s %21s %13s %20s %11s %11s %16s\n' round "req/s direct/bare/till" \
  "ratio bare/till" "p99 ms direct/bare/till" "p99 × b/t" "µs bare/till" "sim µs (d, t)"
for round in $(seq 1 "$rounds"); do
  if [ "$round" -gt 1 ]; then
    start_sim "${sim#http://}"
    # Not counted: the fresh simulator's first requests, and the proxies' connections to it
    # (those to the previous one are dead).
    direct "warm-d$round" 1s
    bare "warm-b$round" 1s
    through "warm-t$round" 1s
  fi
  sim_t0=$(ticks $sim_pid)
  direct "d$round" "${seconds}s"
  sim_t1=$(ticks $sim_pid)
  bare_t0=$(ticks $bare_pid)
  bare "b$round" "${seconds}s"
  bare_t1=$(ticks $bare_pid)
  sim_t2=$(ticks $sim_pid)
  server_t0=$(ticks $server_pid)
  through "t$round" "${seconds}s"
  server_t1=$(ticks $server_pid)
  sim_t3=$(ticks $sim_pid)
  failures "d$round"; failures "b$round"; failures "t$round"
  d=$(rate "d$round") b=$(rate "b$round") t=$(rate "t$round")
  ratio=$(div "$(( t * 100 ))" "$d" %.1f)
  bare_ratio=$(div "$(( b * 100 ))" "$d" %.1f)
  p99x=$(div "$(pct "t$round" 99%)" "$(pct "d$round" 99%)" %.2f)
  bare_p99x=$(div "$(pct "b$round" 99%)" "$(pct "d$round" 99%)" %.2f)
  till_us=$(( (server_t1 - server_t0) * 1000000 / hz / $(requests "t$round") ))
  bare_us=$(( (bare_t1 - bare_t0) * 1000000 / hz / $(requests "b$round") ))
  sim_d=$(( (sim_t1 - sim_t0) * 1000000 / hz / $(requests "d$round") ))
  sim_t=$(( (sim_t3 - sim_t2) * 1000000 / hz / $(requests "t$round") ))
  printf '%-5s %21s %13s %20s %11s %11s %16s\n' "$round" "$d/$b/$t" \
    "$bare_ratio/$ratio %" "$(pct "d$round" 99%)/$(pct "b$round" 99%)/$(pct "t$round" 99%)" \
    "$bare_p99x/$p99x" "$bare_us/$till_us" "$sim_d, $sim_t"
  echo "$d $t $ratio $p99x $till_us $(pct "d$round" 99%) $(pct "t$round" 99%)" \
    "$b $bare_ratio $bare_p99x $bare_us $(pct "b$round" 99%)" >> "$work/figures.txt"
done
median_of () { awk -v c="$1" '{print $c}' "$work/figures.txt" | median "$2"; }
echo "after $(orders) orders: RSS $(rss) kB"

# Keep going until at least 20,000 checkouts and three more phases, watching the RSS.
phase=0
while { [ "$(orders)" -lt 20000 ] || [ $phase -lt 3 ]; } && [ $phase -lt 20 ]; do
  phase=$((phase + 1))
  through "rss$phase" "${seconds}s"
  echo "after $(orders) orders: RSS $(rss) kB"
done
echo "peak RSS (VmHWM) after $(orders) orders: $(hwm) kB"
amounts=$(sqlite3 "$work/till.db" 'SELECT group_concat (DISTINCT amount) FROM payments')
[ "$amounts" = "$amount" ] || echo "WARNING: till-server asked for $amounts, the direct phase for $amount"
echo "server warnings: $(grep -c "WARNING\|CRITICAL" "$work/server.err" || true)"

# The ratios are each round's (two phases seconds apart), then their median.
echo "medians of $rounds rounds: direct $(median_of 1 %.0f)/s, through till-server $(median_of 2 %.0f)/s," \
  "throughput ratio $(median_of 3 %.1f) %; p99 direct $(median_of 6 %.2f) ms," \
  "through $(median_of 7 %.2f) ms, p99 ratio $(median_of 4 %.2f) ×;" \
  "till-server CPU per checkout $(median_of 5 %.0f) µs"
echo "medians of the bare proxy: $(median_of 8 %.0f)/s, throughput ratio $(median_of 9 %.1f) %," \
  "p99 $(median_of 12 %.2f) ms, p99 ratio $(median_of 10 %.2f) ×, CPU per checkout" \
  "$(median_of 11 %.0f) µs"
echo "load after: $(uptime)"
