#!/usr/bin/env bash
# bench/server-checkout/ab.sh: two builds of till-server compared under the checkout load,
# in interleaved pairs, for changes smaller than the drift of a shared VM between two full
# runs of run.sh.
# Usage: bench/server-checkout/ab.sh BUILD_A BUILD_B [PAIRS, default 4] [SECONDS, default 8]
# Each pair runs A, then B: a fresh simulator and a fresh till-server (test mode, its own
# database), 2 s of warm-up (not counted), then SECONDS of POST /api/v1/checkouts through
# it (checkout.lua, 10 connections, as in run.sh). Both builds are measured as they are
# (build them first, e.g. a `git worktree` of the other version with the same options).
# One line per run: p99, requests per second, till-server's CPU per checkout and the
# simulator's per intent (the VM's speed: compare A and B of the same pair), and
# till-server's peak RSS; then the medians of each build.
set -euo pipefail
# shellcheck source=tools/common.sh
source "$(dirname "$0")/../../tools/common.sh"
# shellcheck source=bench/server-checkout/common.sh
source "$(dirname "$0")/common.sh"
cd "$TILL_TOP"

[ $# -ge 2 ] || till_die "usage: $0 BUILD_A BUILD_B [PAIRS] [SECONDS]"
builds=("$(cd "$1" && pwd)" "$(cd "$2" && pwd)")
pairs=${3:-4}
seconds=${4:-8}
for b in "${builds[@]}"; do
  [ -x "$b/src/server/till-server" ] && [ -x "$b/src/stripe-sim/till-stripe-sim" ] ||
    till_die "$b has no till-server or till-stripe-sim: build it first"
done
key=sk_test_bench_0123456789
work='' sim_pid='' server_pid=''
results=$(mktemp -d)
cleanup () {
  bench_stop "$server_pid" "$sim_pid"
  [ -z "$work" ] || rm -rf "$work"
  rm -rf "$results"
}
trap cleanup EXIT

ticks () { awk '{print $14 + $15}' "/proc/$1/stat"; }
hz=$(getconf CLK_TCK)
# wrk prints "99%    1.65ms" (or us, s): in ms.
p99 () { awk '$1 == "99%" { v = $2; u = v; sub (/[0-9.]+/, "", u); sub (/[a-z]+$/, "", v);
                            printf "%.2f", v * (u == "us" ? 0.001 : u == "s" ? 1000 : 1) }' "$1"; }

# run NAME BUILD: one measured run of BUILD; appends its figures to $results/NAME.
run () {
  local name=$1 t0 s0 t1 s1 n
  build=$2
  work=$(mktemp -d)
  bench_start_sim "$work" 127.0.0.1:0
  token=$(bench_prepare_till "$work" "$sim" "$key" "$build")
  bench_start_till "$work"
  wrk -t2 -c10 -d2s -s bench/server-checkout/checkout.lua "$server" -- "$token" warm >/dev/null
  t0=$(ticks "$server_pid") s0=$(ticks "$sim_pid")
  wrk -t2 -c10 -d"${seconds}s" --latency -s bench/server-checkout/checkout.lua "$server" -- \
    "$token" measured > "$work/wrk.txt"
  t1=$(ticks "$server_pid") s1=$(ticks "$sim_pid")
  n=$(awk '/requests in/ {print $1}' "$work/wrk.txt")
  awk '/Non-2xx|Socket errors/' "$work/wrk.txt"
  printf '%s %s %s %s %s\n' "$(p99 "$work/wrk.txt")" \
    "$(awk '/Requests\/sec/ {printf "%.0f", $2}' "$work/wrk.txt")" \
    $(( (t1 - t0) * 1000000 / hz / n )) $(( (s1 - s0) * 1000000 / hz / n )) \
    "$(awk '/^VmHWM/ {print $2}' "/proc/$server_pid/status")" | tee -a "$results/$name" |
    awk -v b="$name" '{ printf "%-2s %9s ms %8s/s %7s µs %7s µs %8s kB\n",
                               b, $1, $2, $3, $4, $5 }'
  bench_stop "$server_pid" "$sim_pid"
  server_pid='' sim_pid=''
  rm -rf "$work"
  work=''
}

echo "A: ${builds[0]}"
echo "B: ${builds[1]}"
printf '%-2s %12s %10s %10s %10s %11s\n' "" p99 req/s "till CPU" "sim CPU" "peak RSS"
for _ in $(seq 1 "$pairs"); do
  run A "${builds[0]}"
  run B "${builds[1]}"
done
# median COLUMN FORMAT FILE
median () { awk -v c="$1" '{print $c}' "$3" | sort -g |
            awk -v f="$2" '{ v[NR] = $1 }
                           END { h = int ((NR + 1) / 2);
                                 printf f, NR % 2 ? v[h] : (v[h] + v[h + 1]) / 2 }'; }
for name in A B; do
  f=$results/$name
  printf 'medians %s: p99 %s ms, %s/s, till-server %s µs and simulator %s µs per checkout, ' \
    "$name" "$(median 1 %.2f "$f")" "$(median 2 %.0f "$f")" "$(median 3 %.0f "$f")" \
    "$(median 4 %.0f "$f")"
  printf 'peak RSS %s kB\n' "$(median 5 %.0f "$f")"
done
