#!/usr/bin/env python3
# sim-rss.py: the resident memory of till-stripe-sim after N checkouts.
#
# SPDX-License-Identifier: GPL-3.0-or-later
#
# bench/stripe-sim/sim-rss.py PROGRAM N [SIMULATOR OPTIONS…]
#
# Starts the simulator with the options given (e.g. --max-intents 10000), then makes N
# checkouts as till-server and the payment page do: a POST /v1/payment_intents with an
# Idempotency-Key and metadata, then a confirm with a test card (a charge, a PaymentMethod,
# three events). Prints VmRSS and VmHWM of the simulator at the end, in MiB.
import base64
import http.client
import json
import subprocess
import sys
import urllib.parse

program, count, options = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
sim = subprocess.Popen([program, "--listen", "127.0.0.1:0"] + options,
                       stdout=subprocess.PIPE, text=True)
url = urllib.parse.urlsplit(sim.stdout.readline().strip())
connection = http.client.HTTPConnection(url.hostname, url.port)
auth = "Basic " + base64.b64encode(b"sk_test_bench:").decode()


def post(path, form, key=None):
    headers = {"Authorization": auth, "Content-Type": "application/x-www-form-urlencoded"}
    if key is not None:
        headers["Idempotency-Key"] = key
    connection.request("POST", path, urllib.parse.urlencode(form), headers)
    response = connection.getresponse()
    body = response.read()
    if response.status != 200:
        sim.terminate()
        sys.exit(f"{path}: {response.status} {body[:200]!r}")
    return body


for i in range(count):
    body = post("/v1/payment_intents",
                {"amount": "1250", "currency": "usd",
                 "automatic_payment_methods[enabled]": "true",
                 "metadata[till_order_id]": str(i + 1),
                 "metadata[till_instance]": "bench"},
                key=f"bench-{i}-payment-intent")
    intent = json.loads(body)["id"]
    post(f"/v1/payment_intents/{intent}/confirm", {"payment_method": "pm_card_visa"})

status = dict(line.split(":", 1) for line in open(f"/proc/{sim.pid}/status"))
print(f"{count} checkouts, {' '.join(options) or 'no limits'}: "
      f"VmRSS {int(status['VmRSS'].split()[0]) / 1024:.0f} MiB, "
      f"VmHWM {int(status['VmHWM'].split()[0]) / 1024:.0f} MiB")
sim.terminate()
sim.wait()
