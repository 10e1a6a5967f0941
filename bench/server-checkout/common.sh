# shellcheck shell=bash
# What run.sh and instructions.sh share (sourced, from the top of the tree).

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
CONF
  chmod 600 "$work/till.conf"
  "$build/src/server/till-server" --config "$work/till.conf" catalog import data/demo-catalog.csv >/dev/null
  "$build/src/server/till-server" --config "$work/till.conf" terminal add bench | tail -1
}
