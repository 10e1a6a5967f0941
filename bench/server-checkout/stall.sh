#!/usr/bin/env bash
# bench/server-checkout/stall.sh: does long database work stall till-server's other requests?
# Usage: bench/server-checkout/stall.sh [ORDERS, default 300000] [BUILD DIR, default _build]
# Reads of the catalog (GET /api/v1/products, wrk with one connection) run throughout, on a
# database holding ORDERS orders of three lines (written with sqlite3 before the server
# starts), while
#   1. the admin exports every order as CSV (GET /api/v1/orders.csv),
#   2. the admin searches the orders seven times (GET /api/v1/orders?q=…, ?status=…, a
#      from/to far back),
#   3. the admin deletes five products never sold, one after the other (each is first
#      created through the API), and
#   4. `till-server catalog import` of 50,000 products runs in another process, and
#   5. the cashier searches those 50,060 products five times for a name none has.
# It prints the export's, each search's and each deletion's time as curl saw it,
# till-server's peak RSS after the export and its RSS at the end, the import's time, and the
# reads' latency (p50,
# p99, max) during each part: a stall of the server's loop shows as a max of the reads as
# long as the work that stalled it.
set -euo pipefail
# shellcheck source=tools/common.sh
source "$(dirname "$0")/../../tools/common.sh"
# shellcheck source=bench/server-checkout/common.sh
source "$(dirname "$0")/common.sh"
cd "$TILL_TOP"

orders=${1:-300000}
bench_use_build "${2:-}"
for tool in wrk sqlite3 curl; do
  command -v $tool >/dev/null || { echo "$tool is needed (apt install $tool)"; exit 1; }
done
key=sk_test_bench_0123456789
work=$(mktemp -d)
sim_pid='' server_pid='' reads_pid=''
cleanup () {
  bench_stop "$reads_pid" "$server_pid" "$sim_pid"
  rm -rf "$work"
}
trap cleanup EXIT

bench_start_sim "$work" 127.0.0.1:0
token=$(bench_prepare_till "$work" "$sim" "$key" "$build")
admin=$("$build/src/server/till-server" --config "$work/till.conf" terminal add bench-admin \
          --role admin | tail -1)

till_say "Writing $orders orders of three lines of the demo catalog"
sqlite3 "$work/till.db" <<SQL
WITH RECURSIVE n (i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $orders)
INSERT INTO orders (id, number, client_reference, status, currency, subtotal, discount, tax,
                    rounding, total, created_at, paid_at, updated_at)
  SELECT i, 'B-' || i, 'bench-' || i, 'paid', 'EUR', 990, 0, 81, 0, 1071,
         1700000000 + i, 1700000000 + i, 1700000000 + i FROM n;
INSERT INTO order_lines (order_id, position, product_id, name, quantity, unit_amount, tax_rate,
                         discount, tax, total)
  SELECT o.id, p.position, (SELECT min (id) FROM products) + (o.id * 3 + p.position) % 60,
         'Bench line', 1, 330, 800, 0, 27, 357
    FROM orders o, (SELECT 0 AS position UNION ALL SELECT 1 UNION ALL SELECT 2) p;
SQL

{
  echo "sku,barcode,name,price,currency,tax_rate,category"
  for i in $(seq 1 50000); do echo "STALL-$i,,Stall product $i,1.00,EUR,8,Bench"; done
} > "$work/big.csv"

bench_start_till "$work"
url=$server

cat > "$work/reads.lua" <<'LUA'
function init (args) token = args[1] end
function request ()
  return wrk.format ("GET", "/api/v1/products?limit=20", { ["Authorization"] = "Bearer " .. token })
end
LUA
# reads PHASE SECONDS: wrk in the background, its output in $work/PHASE.txt.
reads () {
  wrk -t1 -c1 -d"$2" --latency -s "$work/reads.lua" "$url" -- "$token" > "$work/$1.txt" 2>&1 &
  reads_pid=$!
  sleep 1
}
# report PHASE WHAT: waits for the reads of PHASE and prints their latency during WHAT.
report () {
  wait "$reads_pid"; reads_pid=''
  awk -v phase="$2" '/^ +50%/ {p50 = $2} /^ +99%/ {p99 = $2} /Latency +[0-9]/ {max = $4}
                     /requests in/ {n = $1}
                     END {printf "reads during %s: %s requests, p50 %s, p99 %s, max %s\n",
                          phase, n, p50, p99, max}' "$work/$1.txt"
}

reads idle 4
report idle "nothing else"

reads export 5
curl -s -o /dev/null -H "Authorization: Bearer $admin" \
  -w "orders.csv: %{http_code}, %{size_download} bytes in %{time_total} s\n" \
  "$url/api/v1/orders.csv"
report export "the export"
peak=$(awk '/VmHWM/ {print $2}' "/proc/$server_pid/status")
echo "till-server's peak RSS (VmHWM) after the export: $peak kB"

reads searches 4
# The orders were made 1,700 s after the epoch plus their id in µs: the range is the oldest
# 100,000 of them.
for q in "q=pi_3NotAnIntent0000000000" "q=B-150000" "q=b-2999" "q=150000" "status=refunded" \
         "status=paid&from=1970-01-01T00:28:20Z&to=1970-01-01T00:28:20.1Z" \
         "from=1970-01-01T00:28:20Z&to=1970-01-01T00:28:20.1Z"; do
  curl -s -o /dev/null -H "Authorization: Bearer $admin" \
    -w "orders?$q: %{http_code} in %{time_total} s\n" "$url/api/v1/orders?$q"
  sleep 0.3
done
report searches "the searches"

reads deletions 6
for i in 1 2 3 4 5; do
  id=$(curl -s -H "Authorization: Bearer $admin" -H 'Content-Type: application/json' \
         -d "{\"name\": \"Never sold $i\", \"unit_amount\": 100, \"tax_rate\": 800}" \
         "$url/api/v1/products" | sed -n 's/^{"id":\([0-9]*\).*/\1/p')
  curl -s -o /dev/null -w "delete of a product never sold: %{http_code} in %{time_total} s\n" \
    -X DELETE -H "Authorization: Bearer $admin" "$url/api/v1/products/$id"
  sleep 0.5
done
report deletions "the deletions"

reads import 8
/usr/bin/time -f "catalog import of 50,000 products (another process): %e s" \
  "$build/src/server/till-server" --config "$work/till.conf" catalog import "$work/big.csv" \
  2>&1 >/dev/null | tail -1
report import "the import"

reads catalog-searches 4
for _ in 1 2 3 4 5; do
  curl -s -o /dev/null -H "Authorization: Bearer $token" \
    -w "products?q=none-has-it: %{http_code} in %{time_total} s\n" \
    "$url/api/v1/products?q=none-has-it"
  sleep 0.3
done
report catalog-searches "the catalog searches"
echo "till-server's RSS after the searches: $(awk '/VmRSS/ {print $2}' "/proc/$server_pid/status") kB, peak $(awk '/VmHWM/ {print $2}' "/proc/$server_pid/status") kB"
