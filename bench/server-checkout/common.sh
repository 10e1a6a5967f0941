# shellcheck shell=bash
# What run.sh, instructions.sh and stall.sh share (sourced, from the top of the tree). The
# functions below that start a process set globals for the script (sim_pid, sim,
# server_pid, server, build).
# shellcheck disable=SC2034

# bench_prepare_till WORK SIMULATOR KEY BUILD: WORK/till.conf for till-server in test mode
# against SIMULATOR, with its database in WORK and no limit on checkouts; imports the demo
# catalog and prints the token of a new terminal.
bench_prepare_till () {
  local work=$1 sim=$2 key=$3 build=$4
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
# The server's own cost is measured, not Stripe's test-mode limit (20 a second by default).
rate-limit=100000
CONF
  chmod 600 "$work/till.conf"
  "$build/src/server/till-server" --config "$work/till.conf" catalog import data/demo-catalog.csv >/dev/null
  "$build/src/server/till-server" --config "$work/till.conf" terminal add bench | tail -1
}

# bench_use_build [BUILD DIR]: sets build to that build as it is, or builds _build and uses it.
bench_use_build () {
  if [ -n "${1:-}" ]; then
    build=$(cd "$1" && pwd)
  else
    build=$TILL_TOP/_build
    local main_options
    mapfile -t main_options < <(till_main_build_options)
    till_build _build "${main_options[@]}"
  fi
}

# bench_start_sim WORK ADDRESS [PREFIX...]: the simulator alone in its process, listening on
# ADDRESS (run under PREFIX, e.g. taskset); sets sim_pid and sim (its base URL).
bench_start_sim () {
  local work=$1 address=$2
  shift 2
  : > "$work/sim.out"
  "$@" "$build/src/stripe-sim/till-stripe-sim" --listen "$address" > "$work/sim.out" \
    2>>"$work/sim.err" &
  sim_pid=$!
  for _ in $(seq 1 100); do [ -s "$work/sim.out" ] && break; sleep 0.05; done
  sim=$(head -1 "$work/sim.out"); sim=${sim%/}
}

# bench_start_till WORK [PREFIX...]: till-server with WORK/till.conf (run under PREFIX, e.g.
# valgrind), waiting up to 30 s for it to listen; sets server_pid and server (its base URL).
bench_start_till () {
  local work=$1
  shift
  "$@" "$build/src/server/till-server" --config "$work/till.conf" > "$work/server.out" \
    2>"$work/server.err" &
  server_pid=$!
  for _ in $(seq 1 600); do grep -q listening "$work/server.out" && break; sleep 0.05; done
  server=$(sed -n 's/.*listening on \([^ ]*\) .*/\1/p' "$work/server.out"); server=${server%/}
}

# bench_stop PID...: stops the processes whose PIDs are not empty, and waits for them. A
# process killed by the signal makes `wait` fail: under `set -e` that must not end the
# caller's cleanup before the other processes are stopped.
bench_stop () {
  local pid
  for pid in "$@"; do
    if [ -n "$pid" ] && kill "$pid" 2>/dev/null; then
      wait "$pid" 2>/dev/null || true
    fi
  done
  return 0
}
