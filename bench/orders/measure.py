#!/usr/bin/env python3
# bench/orders/measure.py: till-server's answers on a database filled by till-bench-orders
# (bench/README.md). Starts `till-server --training` on DATABASE (a copy is not made: the
# server migrates it), adds an admin terminal, and times each request ROUNDS times over one
# keep-alive connection on loopback: the client's wall time from the request's first byte to
# the answer's last, an upper bound of the server's. Prints the median and the maximum.
# Usage: measure.py TILL_SERVER DATABASE [ROUNDS]
import datetime
import http.client
import json
import statistics
import subprocess
import sys
import time
import urllib.parse

server, db = sys.argv[1], sys.argv[2]
rounds = int(sys.argv[3]) if len(sys.argv) > 3 else 20

out = subprocess.run([server, "--db", db, "terminal", "add", "bench-admin", "--role", "admin"],
                     check=True, capture_output=True, text=True).stdout
token = out.strip().splitlines()[-1]
proc = subprocess.Popen([server, "--training", "--db", db, "--listen", "127.0.0.1:0"],
                        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
try:
    line = proc.stdout.readline()
    url = urllib.parse.urlparse(line.split(" listening on ")[1].split()[0])
    conn = http.client.HTTPConnection(url.hostname, url.port)
    headers = {"Authorization": "Bearer " + token}

    def get(path):
        start = time.perf_counter()
        conn.request("GET", path, headers=headers)
        response = conn.getresponse()
        body = response.read()
        elapsed = (time.perf_counter() - start) * 1000
        if response.status != 200:
            sys.exit(f"{path}: {response.status} {body[:200]!r}")
        return elapsed, body

    def measure(name, path):
        times = []
        body = b""
        for _ in range(rounds):
            elapsed, body = get(path)
            times.append(elapsed)
        print(f"{name:<44} median {statistics.median(times):7.2f} ms  max {max(times):7.2f} ms"
              f"  ({len(body):,} bytes)")
        return body

    yesterday = (datetime.date.today() - datetime.timedelta(days=1)).isoformat()
    first = json.loads(measure("orders page (GET /api/v1/orders)", "/api/v1/orders"))
    cursor = urllib.parse.quote(first["next_cursor"])
    measure("next page (cursor)", "/api/v1/orders?cursor=" + cursor)
    page = json.loads(get("/api/v1/orders?status=refunded")[1])
    last4 = None
    for order in first["orders"]:
        if order.get("payment") and order["payment"].get("card_last4"):
            last4 = order["payment"]["card_last4"]
            break
    measure(f"search by last 4 (q={last4})", "/api/v1/orders?q=" + last4)
    measure("search by number (q=T-0999)", "/api/v1/orders?q=T-0999")
    total = first["orders"][0]["total"]
    amount = f"{total // 100}.{total % 100:02d}"
    measure(f"search by a total (q={amount})", "/api/v1/orders?q=" + amount)
    measure("filter: refunded", "/api/v1/orders?status=refunded")
    measure(f"filter: {yesterday}",
            f"/api/v1/orders?from={yesterday}T00:00:00&to={yesterday}T23:59:59")
    report = json.loads(measure(f"day's report ({yesterday})",
                                "/api/v1/reports/daily?date=" + yesterday))
    measure("7 days (GET /api/v1/reports/days)", "/api/v1/reports/days?days=7")
    measure("30 days", "/api/v1/reports/days?days=30")
    measure(f"orders.csv of {yesterday}",
            f"/api/v1/orders.csv?from={yesterday}T00:00:00&to={yesterday}T23:59:59")
    print(f"the day: {report['count']} sales, {report['by_status']}")
    print(f"token for the app's measure: {token}")
    print(f"url: {line.split(' listening on ')[1].split()[0]}")
    if len(sys.argv) > 4:
        input("server kept running; Enter stops it ")
finally:
    proc.terminate()
    proc.wait()
