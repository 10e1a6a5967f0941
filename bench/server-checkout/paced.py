#!/usr/bin/env python3
"""bench/server-checkout/paced.py: an open-loop client at a fixed offered rate.

Request i is due at start + i / RATE, whatever happened to the ones before (no coordinated
omission): WORKERS threads, each with one keep-alive connection, take the next due request,
wait for its time and send it. A request's latency runs from its due time to the end of the
answer, so a client that falls behind counts the wait too. Prints the offered rate, the rate
achieved (answers / time from the first due time to the last answer), p50/p90/p99/max in ms
and the answers that were not 2xx.

Usage: paced.py checkout URL TOKEN RATE SECONDS [WORKERS]   (till-server, 3-line cart)
       paced.py sim URL SECRET_KEY RATE SECONDS [WORKERS]    (the simulator's create intent)
"""
import base64
import http.client
import os
import sys
import threading
import time
import urllib.parse
import uuid


def checkout_request(token, i):
    # A UUID version 7 as the app makes them: the time in milliseconds in front.
    ms = int(time.time() * 1000)
    rand = int.from_bytes(os.urandom(10), "big")
    value = (ms << 80) | (0x7 << 76) | ((rand >> 68) & 0xFFF) << 64 | (0b10 << 62) | (rand & ((1 << 62) - 1))
    body = ('{"client_reference": "%s", "currency": "EUR", "lines": ['
            '{"product_id": 1, "quantity": 2}, {"product_id": 11, "quantity": 1},'
            ' {"product_id": 19, "quantity": 3}]}' % uuid.UUID(int=value))
    return ("POST", "/api/v1/checkouts", body,
            {"Authorization": "Bearer " + token, "Content-Type": "application/json"})


def sim_request(key, instance, i):
    # What till-server sends for the bench cart (sim-create.lua).
    number = "T-%06d" % i
    body = ("amount=1039&currency=eur&automatic_payment_methods[enabled]=true"
            "&metadata[till_order_id]=%d&metadata[till_order_number]=%s"
            "&metadata[till_instance]=%s&description=Bench%%20%s" % (i, number, instance, number))
    basic = base64.b64encode((key + ":").encode()).decode()
    return ("POST", "/v1/payment_intents", body,
            {"Authorization": "Basic " + basic, "User-Agent": "till-server/0.1.0",
             "Stripe-Version": "2020-08-27", "Accept": "application/json",
             "Idempotency-Key": "till-%s-order-%d-payment-intent" % (instance, i),
             "Content-Type": "application/x-www-form-urlencoded"})


def percentile(sorted_values, p):
    if not sorted_values:
        return float("nan")
    k = max(0, min(len(sorted_values) - 1, int(round(p / 100.0 * len(sorted_values) + 0.5)) - 1))
    return sorted_values[k]


def main():
    if len(sys.argv) < 6 or sys.argv[1] not in ("checkout", "sim"):
        sys.exit(__doc__)
    mode, url, secret = sys.argv[1], urllib.parse.urlsplit(sys.argv[2]), sys.argv[3]
    rate, seconds = float(sys.argv[4]), float(sys.argv[5])
    workers = int(sys.argv[6]) if len(sys.argv) > 6 else 10
    total = int(rate * seconds)
    instance = str(uuid.uuid4())
    make = ((lambda i: checkout_request(secret, i)) if mode == "checkout"
            else (lambda i: sim_request(secret, instance, i)))

    lock = threading.Lock()
    next_index = [0]
    results = []          # (latency ms, status)
    first_failure = []    # the body of the first answer that was not 200
    start = time.monotonic() + 0.5
    last_end = [start]

    def worker():
        conn = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
        while True:
            with lock:
                i = next_index[0]
                if i >= total:
                    break
                next_index[0] += 1
            due = start + i / rate
            method, path, body, headers = make(i)
            delay = due - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            try:
                conn.request(method, path, body=body.encode(), headers=headers)
                response = conn.getresponse()
                answer = response.read()
                status = response.status
                if not 200 <= status < 300 and not first_failure:
                    first_failure.append("%d %s" % (status, answer[:300].decode(errors="replace")))
            except (OSError, http.client.HTTPException):
                conn.close()
                conn = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
                status = 0
            end = time.monotonic()
            with lock:
                results.append(((end - due) * 1000.0, status))
                last_end[0] = max(last_end[0], end)
        conn.close()

    threads = [threading.Thread(target=worker) for _ in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    if first_failure:
        print("first answer that was not 2xx: " + first_failure[0], file=sys.stderr)
    latencies = sorted(r[0] for r in results)
    failed = sum(1 for r in results if not 200 <= r[1] < 300)
    achieved = len(results) / (last_end[0] - start) if last_end[0] > start else float("nan")
    print("offered %.1f/s, achieved %.1f/s over %d requests (%d workers); latency ms: "
          "p50 %.2f p90 %.2f p99 %.2f max %.2f; not 2xx: %d"
          % (rate, achieved, len(results), workers, percentile(latencies, 50),
             percentile(latencies, 90), percentile(latencies, 99), latencies[-1], failed))


if __name__ == "__main__":
    main()
