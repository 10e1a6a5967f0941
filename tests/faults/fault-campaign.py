#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""A shop's day with Stripe misbehaving and till-server crashing.

till-server runs in test mode against the standalone till-stripe-sim (a separate process,
as Stripe is: a kill -9 of till-server leaves "Stripe" and its memory alone). The simulator
gives a share of the requests a random fault (dropped after processing, 500, 503, 429, a
delay past till-server's Stripe timeout, duplicated, reordered and lost webhooks). Client
threads sell like the app: each checkout has a client_reference (a UUID v7) made once and
sent again with every retry after a timeout, a connection error or a 5xx, with a doubling
backoff; the customer confirms the PaymentIntent at "Stripe" with the publishable key and
the client secret (some cards are declined), and the app syncs the order, cancels the sale,
or is gone (the order is left to the webhooks and the reconciler). Meanwhile till-server is
killed with SIGKILL at random moments and started again.

Then, once the reconciler has had its time, with till-server stopped and its database opened
read-only, and every intent listed from the simulator:
  - one order per client_reference, and every reference a client was answered is there;
  - at most one intent per order at Stripe, and no intent on two orders;
  - every succeeded intent's order is paid with that intent and its amount ("lost" if not);
  - no paid order without a succeeded intent; canceled intents on canceled orders;
  - PRAGMA integrity_check is ok, no foreign key is broken.
It prints the counts (checkouts, outcomes, retries, faults per kind, crashes, duplicates,
lost) and exits 1 when an assertion fails (0 otherwise). Python's standard library only.

The quick version (tests/faults/meson.build) and the long one (bench/faults/run.sh) are
this program with other sizes.
"""

import argparse
import base64
import http.client
import json
import os
import random
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import uuid

SECRET_KEY = "sk_test_till_fault_campaign_0123"
PUBLISHABLE_KEY = "pk_test_till_fault_campaign_0123"
WEBHOOK_SECRET = "whsec_till_fault_campaign_0123456789"
FAULT_KINDS = ("drop-after,500,503,429,delay={delay},duplicate-webhook,reorder-webhooks,"
               "lose-webhook")
# till-server's Stripe timeout in this campaign; the delay fault is longer.
STRIPE_TIMEOUT_MS = 1000
DELAY_MS = 1500

# The app's policy (src/app/till-client.c: 15 s timeout, a retry backoff doubling from 1 s to
# 30 s), scaled down so that a campaign fits in a test's time.
CLIENT_TIMEOUT_S = 10
RETRY_INITIAL_S = 0.05
RETRY_MAX_S = 1.0

PRODUCTS = [(f"P{i:02d}", f"Product {i}", 100 + 37 * i) for i in range(1, 21)]


def uuid7():
    """A UUID version 7 (time-ordered), as the app makes its client references."""
    ms = time.time_ns() // 1_000_000
    rand = int.from_bytes(os.urandom(10), "big")
    value = (ms & ((1 << 48) - 1)) << 80
    value |= 0x7 << 76
    value |= (rand >> 68) << 64 & (0xFFF << 64)
    value |= 0b10 << 62
    value |= rand & ((1 << 62) - 1)
    return str(uuid.UUID(int=value))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Counters:
    def __init__(self):
        self.lock = threading.Lock()
        self.values = {}

    def add(self, name, n=1):
        with self.lock:
            self.values[name] = self.values.get(name, 0) + n

    def get(self, name):
        with self.lock:
            return self.values.get(name, 0)


class Transient(Exception):
    """Worth a retry: a timeout, a connection error, a 5xx (and 429/409 at Stripe)."""


def request(host, port, method, path, headers=None, body=None, timeout=CLIENT_TIMEOUT_S):
    conn = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        data = response.read()
    except (OSError, http.client.HTTPException) as e:
        raise Transient(f"{method} {path.split('?')[0]}: {type(e).__name__}") from None
    finally:
        conn.close()
    try:
        parsed = json.loads(data) if data else None
    except ValueError:
        parsed = None
    return response.status, parsed


class Campaign:
    def __init__(self, args):
        self.args = args
        self.rng = random.Random(args.seed)
        self.counters = Counters()
        self.failures = []
        self.fail_lock = threading.Lock()
        self.server = None
        self.server_lock = threading.Lock()
        self.port = free_port()
        self.next_checkout = 0
        self.next_lock = threading.Lock()
        self.results = {}           # client_reference -> dict
        self.results_lock = threading.Lock()
        self.crashes = 0
        self.stop_crashing = threading.Event()

    # --- helpers -----------------------------------------------------------------------

    def fail(self, message):
        with self.fail_lock:
            self.failures.append(message)
        print(f"FAIL: {message}", flush=True)

    def log(self, message):
        print(f"[{time.monotonic() - self.started:7.2f}] {message}", flush=True)

    def run_cli(self, *argv):
        out = subprocess.run([self.args.server, "--config", self.config, *argv],
                             capture_output=True, text=True, timeout=120)
        if out.returncode != 0:
            raise RuntimeError(f"till-server {argv[0]} {argv[1]}: {out.stderr.strip()}")
        return out.stdout

    # --- processes ---------------------------------------------------------------------

    def start_sim(self):
        env = dict(os.environ, TILL_STRIPE_SIM_SECRET_KEY=SECRET_KEY)
        argv = [self.args.sim, "--listen", "127.0.0.1:0",
                "--webhook-url", f"http://127.0.0.1:{self.port}/stripe/webhook",
                "--webhook-secret", WEBHOOK_SECRET,
                "--fault-rate", str(self.args.fault_rate),
                "--fault-kinds", FAULT_KINDS.format(delay=DELAY_MS),
                "--fault-seed", str(self.args.seed)]
        self.sim_log = open(os.path.join(self.dir, "till-stripe-sim.log"), "ab")
        self.sim = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=self.sim_log)
        line = self.sim.stdout.readline().decode().strip()
        if not line.startswith("http://"):
            raise RuntimeError(f"till-stripe-sim did not start: {line!r}")
        self.sim_url = line
        parsed = urllib.parse.urlsplit(line)
        self.sim_host, self.sim_port = parsed.hostname, parsed.port

    def write_config(self):
        self.db = os.path.join(self.dir, "till.db")
        self.config = os.path.join(self.dir, "till.conf")
        with open(self.config, "w") as f:
            f.write(f"""[store]
currency=USD
[server]
listen=127.0.0.1:{self.port}
database={self.db}
checkout-rate-per-minute=1000000
[reconciler]
interval=1
sync-after=2
cancel-after={self.args.cancel_after}
[stripe]
api-base={self.sim_url}
secret-key={SECRET_KEY}
publishable-key={PUBLISHABLE_KEY}
webhook-secret={WEBHOOK_SECRET}
""")
        os.chmod(self.config, 0o600)

    def start_server(self):
        env = dict(os.environ, TILL_STRIPE_RETRY_BASE_MS="20",
                   TILL_STRIPE_TIMEOUT_MS=str(STRIPE_TIMEOUT_MS))
        for name in ("TILL_STRIPE_SECRET_KEY", "TILL_STRIPE_API_BASE", "G_MESSAGES_DEBUG"):
            env.pop(name, None)
        process = subprocess.Popen([self.args.server, "--config", self.config], env=env,
                                   stdout=subprocess.PIPE, stderr=self.server_log)
        line = process.stdout.readline().decode()
        if "listening on" not in line:
            process.kill()
            process.wait()
            raise RuntimeError(f"till-server did not start: {line!r}")
        with self.server_lock:
            self.server = process

    def crash_server(self):
        with self.server_lock:
            process = self.server
        process.send_signal(signal.SIGKILL)
        process.wait()
        process.stdout.close()
        self.crashes += 1
        self.log(f"till-server killed (crash {self.crashes})")
        self.start_server()

    def stop_server(self):
        with self.server_lock:
            process = self.server
        process.send_signal(signal.SIGTERM)
        try:
            status = process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            status = process.wait()
        process.stdout.close()
        if status != 0:
            self.fail(f"till-server exited with {status} on SIGTERM")

    def stop_sim(self):
        self.sim.send_signal(signal.SIGTERM)
        try:
            status = self.sim.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.sim.kill()
            status = self.sim.wait()
        self.sim.stdout.close()
        if status != 0:
            self.fail(f"till-stripe-sim exited with {status} on SIGTERM")

    # --- the app's side ----------------------------------------------------------------

    def backoff(self, attempt):
        return min(RETRY_INITIAL_S * (2 ** attempt), RETRY_MAX_S)

    def till(self, token, method, path, body=None, what="request"):
        """A till-server request, retried like the app on timeouts, connection errors and
        5xx; returns (status, json) of the first other answer."""
        headers = {"Authorization": f"Bearer {token}"}
        data = None
        if body is not None:
            headers["Content-Type"] = "application/json"
            data = json.dumps(body)
        deadline = time.monotonic() + self.args.give_up
        attempt = 0
        while True:
            try:
                status, answer = request("127.0.0.1", self.port, method, path, headers, data)
                if status < 500:
                    return status, answer
                cause = f"{status}"
            except Transient:
                cause = "connection"
            self.counters.add(f"retries.{what}.{cause}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"{what} {path}: no answer in {self.args.give_up} s")
            time.sleep(self.backoff(attempt))
            attempt += 1

    def stripe_js(self, method, path, form=None):
        """What Stripe.js does for the customer: the publishable key and the client secret."""
        headers = {"Authorization": f"Bearer {PUBLISHABLE_KEY}"}
        body = None
        if form is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            body = urllib.parse.urlencode(form)
        return request(self.sim_host, self.sim_port, method, path, headers, body)

    def pay(self, intent, secret, card):
        """The customer confirms; returns the intent's status afterwards ('succeeded',
        'requires_payment_method' after a decline, 'canceled')."""
        deadline = time.monotonic() + self.args.give_up
        attempt = 0
        confirm = True
        while time.monotonic() < deadline:
            try:
                if confirm:
                    status, answer = self.stripe_js(
                        "POST", f"/v1/payment_intents/{intent}/confirm",
                        {"payment_method": card, "client_secret": secret})
                    if status == 200:
                        return answer["status"]
                    if status == 402:
                        return "requires_payment_method"
                    if status == 400:
                        # Confirmed before (an answer that was dropped): look.
                        confirm = False
                        continue
                else:
                    status, answer = self.stripe_js(
                        "GET", f"/v1/payment_intents/{intent}?client_secret={secret}")
                    if status == 200:
                        if answer["status"] in ("succeeded", "canceled"):
                            return answer["status"]
                        # A declined card is the first one tried on an intent, so an error
                        # is its decline; after it, a good card's confirm did not run.
                        if card != "pm_card_visa" and answer.get("last_payment_error"):
                            return "requires_payment_method"
                        confirm = True
                        continue
                if status not in (409, 429) and status < 500:
                    raise RuntimeError(f"Stripe answered {status} to the customer: {answer}")
                cause = str(status)
            except Transient:
                cause = "connection"
            self.counters.add(f"retries.confirm.{cause}")
            # Was it done anyway? Look before confirming again.
            confirm = False
            time.sleep(self.backoff(attempt))
            attempt += 1
        raise RuntimeError(f"confirming {intent}: no answer in {self.args.give_up} s")

    def sync(self, token, order_id, want):
        """Check Again until the server says @want (or its deadline passes)."""
        deadline = time.monotonic() + self.args.give_up
        attempt = 0
        while True:
            status, order = self.till(token, "POST", f"/api/v1/orders/{order_id}/sync",
                                      what="sync")
            if status != 200:
                raise RuntimeError(f"sync of order {order_id}: {status} {order}")
            if order["status"] == want:
                return True
            self.counters.add("retries.sync.not-yet")
            if time.monotonic() > deadline:
                return False
            time.sleep(self.backoff(attempt))
            attempt += 1

    def cancel(self, token, order_id):
        status, order = self.till(token, "POST", f"/api/v1/orders/{order_id}/cancel",
                                  what="cancel")
        if status != 200 or order["status"] != "canceled":
            raise RuntimeError(f"cancel of order {order_id}: {status} {order}")

    def checkout_once(self, token, rng, index):
        reference = uuid7()
        lines = [{"product_id": pid, "quantity": rng.randint(1, 3)}
                 for pid in rng.sample(range(1, len(PRODUCTS) + 1), rng.randint(1, 3))]
        body = {"client_reference": reference, "currency": "USD", "lines": lines}
        result = {"orders": set(), "intents": set()}
        with self.results_lock:
            self.results[reference] = result

        # Charge, and again with the same reference until the server answers.
        status, answer = self.till(token, "POST", "/api/v1/checkouts", body, what="checkout")
        if status not in (200, 201):
            raise RuntimeError(f"checkout {reference}: {status} {answer}")
        if status == 200:
            self.counters.add("checkouts.answered-again")
        # A retry is a second request: ask once more now and then, as a double tap would.
        if rng.random() < 0.05:
            again_status, again = self.till(token, "POST", "/api/v1/checkouts", body,
                                            what="checkout")
            if again_status != 200:
                raise RuntimeError(f"checkout {reference} again: {again_status} {again}")
            result["orders"].add(again["order"]["id"])
            result["intents"].add(again["payment"]["payment_intent"])
        order_id = answer["order"]["id"]
        intent = answer["payment"]["payment_intent"]
        secret = answer["payment"]["client_secret"]
        result["orders"].add(order_id)
        result["intents"].add(intent)
        result["order"] = order_id
        result["total"] = answer["order"]["total"]

        if rng.random() < self.args.walk_away:
            result["expect"] = "pending_payment-or-canceled"
            self.counters.add("outcome.walked-away")
            return
        plan = rng.random()
        if plan < 0.07:
            result["expect"] = "canceled"
            self.cancel(token, order_id)
            self.counters.add("outcome.canceled-before-paying")
            return
        if plan < 0.25:
            got = self.pay(intent, secret, "pm_card_chargeDeclined")
            if got != "requires_payment_method":
                raise RuntimeError(f"declined card on {intent}: {got}")
            self.counters.add("payments.declined")
            if plan < 0.16:
                result["expect"] = "canceled"
                self.cancel(token, order_id)
                self.counters.add("outcome.canceled-after-decline")
                return
        got = self.pay(intent, secret, "pm_card_visa")
        if got != "succeeded":
            raise RuntimeError(f"paying {intent}: {got}")
        result["expect"] = "paid"
        self.counters.add("outcome.paid")
        if rng.random() < 0.15:
            # The app was killed after the card went through: webhooks and the reconciler.
            self.counters.add("outcome.paid-not-synced")
            return
        if not self.sync(token, order_id, "paid"):
            self.counters.add("outcome.paid-sync-gave-up")

    def client(self, number, token):
        rng = random.Random(self.args.seed * 1000 + number)
        while True:
            with self.next_lock:
                if self.next_checkout >= self.args.checkouts or self.failures:
                    return
                index = self.next_checkout
                self.next_checkout += 1
            try:
                self.checkout_once(token, rng, index)
                self.counters.add("checkouts")
            except Exception as e:  # noqa: BLE001: every failure is reported
                self.fail(f"client {number}, checkout {index}: {e}")
                return

    def crasher(self):
        rng = random.Random(self.args.seed + 7)
        targets = sorted(rng.uniform(0.05, 0.95) * self.args.checkouts
                         for _ in range(self.args.crashes))
        for target in targets:
            while self.counters.get("checkouts") < target:
                if self.stop_crashing.wait(0.01):
                    return
            # A random moment: the next few milliseconds of whatever is going on.
            if self.stop_crashing.wait(rng.uniform(0, 0.3)):
                return
            self.crash_server()

    # --- reconciliation and checks -----------------------------------------------------

    def sim_get(self, path):
        headers = {"Authorization": f"Bearer {SECRET_KEY}", "Till-Sim-Fault": "none"}
        status, answer = request(self.sim_host, self.sim_port, "GET", path, headers)
        if status != 200:
            raise RuntimeError(f"simulator GET {path}: {status} {answer}")
        return answer

    def list_intents(self):
        intents = []
        after = None
        while True:
            path = "/v1/payment_intents?limit=100"
            if after is not None:
                path += f"&starting_after={after}"
            page = self.sim_get(path)
            intents.extend(page["data"])
            if not page["has_more"]:
                return intents
            after = page["data"][-1]["id"]

    def read_db(self):
        db = sqlite3.connect(f"file:{self.db}?mode=ro", uri=True, timeout=30)
        try:
            orders = {row[0]: {"reference": row[1], "status": row[2], "total": row[3],
                               "intent": row[4], "amount": row[5]}
                      for row in db.execute(
                          "SELECT o.id, o.client_reference, o.status, o.total,"
                          " p.payment_intent, p.amount"
                          " FROM orders o LEFT JOIN payments p ON p.order_id = o.id")}
            instance = db.execute("SELECT value FROM meta WHERE key = 'instance'").fetchone()
            integrity = None
            foreign = None
            if self.server is None:
                integrity = [r[0] for r in db.execute("PRAGMA integrity_check")]
                foreign = db.execute("PRAGMA foreign_key_check").fetchall()
        finally:
            db.close()
        return orders, instance[0] if instance else None, integrity, foreign

    def settled(self, orders, instance, intents):
        """What still differs between Stripe and the database."""
        differ = []
        for intent in intents:
            meta = intent.get("metadata") or {}
            if meta.get("till_instance") != instance:
                continue
            order = orders.get(int(meta.get("till_order_id", "0")))
            if order is None:
                differ.append(f"{intent['id']}: no order {meta.get('till_order_id')}")
            elif intent["status"] == "succeeded" and order["status"] != "paid":
                differ.append(f"{intent['id']} succeeded, order {meta['till_order_id']}"
                              f" {order['status']}")
            elif intent["status"] == "canceled" and order["status"] != "canceled":
                differ.append(f"{intent['id']} canceled, order {meta['till_order_id']}"
                              f" {order['status']}")
        return differ

    def wait_for_reconciliation(self):
        deadline = time.monotonic() + self.args.reconcile_wait
        shown = None
        while True:
            intents = self.list_intents()
            orders, instance, _, _ = self.read_db()
            differ = self.settled(orders, instance, intents)
            if not differ or time.monotonic() > deadline:
                return differ
            if len(differ) != shown:
                shown = len(differ)
                self.log(f"{shown} intents differ from their orders, e.g. {differ[0]}")
            time.sleep(0.5)

    def check(self):
        intents = self.list_intents()
        orders, instance, integrity, foreign = self.read_db()
        duplicates = 0
        lost = 0

        if integrity != ["ok"]:
            self.fail(f"integrity_check: {integrity[:5]}")
        if foreign:
            self.fail(f"foreign_key_check: {foreign[:5]}")

        # One order per reference, and every reference answered is there once.
        by_reference = {}
        for order_id, order in orders.items():
            by_reference.setdefault(order["reference"], []).append(order_id)
        for reference, ids in by_reference.items():
            if len(ids) > 1:
                duplicates += len(ids) - 1
                self.fail(f"client_reference {reference}: orders {ids}")
        for reference, result in self.results.items():
            if "order" not in result:
                continue
            if len(result["orders"]) != 1 or len(result["intents"]) != 1:
                duplicates += 1
                self.fail(f"client_reference {reference} was answered orders"
                          f" {sorted(result['orders'])}, intents {sorted(result['intents'])}")
            if by_reference.get(reference) != [result["order"]]:
                self.fail(f"client_reference {reference}: order {result['order']} answered,"
                          f" {by_reference.get(reference)} stored")

        # At most one intent per order at Stripe; none on two orders in the database.
        per_order = {}
        ours = []
        for intent in intents:
            meta = intent.get("metadata") or {}
            if meta.get("till_instance") != instance:
                self.fail(f"{intent['id']} is not this till's")
                continue
            ours.append(intent)
            per_order.setdefault(int(meta["till_order_id"]), []).append(intent["id"])
        for order_id, ids in per_order.items():
            if len(ids) > 1:
                duplicates += len(ids) - 1
                self.fail(f"order {order_id} has {len(ids)} intents at Stripe: {ids}")
        recorded = {}
        for order_id, order in orders.items():
            if order["intent"] is not None:
                recorded.setdefault(order["intent"], []).append(order_id)
        for intent_id, ids in recorded.items():
            if len(ids) > 1:
                duplicates += len(ids) - 1
                self.fail(f"{intent_id} is recorded on orders {ids}")

        # Every succeeded intent pays its order, with that intent and amount.
        by_id = {intent["id"]: intent for intent in ours}
        for intent in ours:
            order_id = int(intent["metadata"]["till_order_id"])
            order = orders.get(order_id)
            if order is None:
                self.fail(f"{intent['id']}: its order {order_id} is not in the database")
                continue
            if intent["amount"] != order["total"]:
                self.fail(f"{intent['id']}: {intent['amount']} for order {order_id}"
                          f" of {order['total']}")
            if intent["status"] == "succeeded":
                if order["status"] != "paid" or order["intent"] != intent["id"]:
                    lost += 1
                    self.fail(f"{intent['id']} succeeded; order {order_id} is"
                              f" {order['status']} with intent {order['intent']}")
            elif intent["status"] == "canceled" and order["status"] != "canceled":
                self.fail(f"{intent['id']} canceled; order {order_id} is {order['status']}")
        for order_id, order in orders.items():
            if order["status"] == "paid":
                intent = by_id.get(order["intent"])
                if intent is None or intent["status"] != "succeeded":
                    self.fail(f"order {order_id} paid without a succeeded intent"
                              f" ({order['intent']}:"
                              f" {intent['status'] if intent else 'not at Stripe'})")

        # What the clients were told.
        for reference, result in self.results.items():
            expect = result.get("expect")
            order = orders.get(result.get("order"))
            if expect is None or order is None:
                continue
            if expect == "paid" and order["status"] != "paid":
                lost += 1
                self.fail(f"order {result['order']} was paid by its customer;"
                          f" it is {order['status']}")
            elif expect == "canceled" and order["status"] != "canceled":
                self.fail(f"order {result['order']} was canceled; it is {order['status']}")
            elif (expect == "pending_payment-or-canceled"
                  and order["status"] not in ("pending_payment", "canceled")):
                self.fail(f"order {result['order']} was left unpaid; it is {order['status']}")

        statuses = {}
        for order in orders.values():
            statuses[order["status"]] = statuses.get(order["status"], 0) + 1
        return {"orders": len(orders), "intents": len(ours), "order_statuses": statuses,
                "intent_statuses": _count(i["status"] for i in ours),
                "duplicates": duplicates, "lost": lost}

    # --- the whole ---------------------------------------------------------------------

    def run(self):
        self.started = time.monotonic()
        keep = self.args.workdir is not None
        self.dir = self.args.workdir or tempfile.mkdtemp(prefix="till-faults-")
        os.makedirs(self.dir, exist_ok=True)
        log_dir = self.args.log_dir or self.dir
        os.makedirs(log_dir, exist_ok=True)
        self.server_log = open(os.path.join(log_dir, "fault-campaign-till-server.log"), "wb")
        summary = {}
        try:
            self.start_sim()
            self.write_config()
            with open(os.path.join(self.dir, "catalog.csv"), "w") as f:
                f.write("sku,barcode,name,price,currency,tax_rate,category\n")
                for sku, name, cents in PRODUCTS:
                    f.write(f"{sku},,{name},{cents // 100}.{cents % 100:02d},USD,8,Things\n")
            self.run_cli("catalog", "import", os.path.join(self.dir, "catalog.csv"))
            tokens = [self.run_cli("terminal", "add", f"Till {i}", "--role", "cashier")
                      .strip().splitlines()[-1] for i in range(self.args.clients)]
            self.start_server()
            self.log(f"{self.args.checkouts} checkouts, {self.args.clients} clients,"
                     f" {self.args.crashes} crashes, fault rate {self.args.fault_rate},"
                     f" seed {self.args.seed}")

            threads = [threading.Thread(target=self.client, args=(i, tokens[i]))
                       for i in range(self.args.clients)]
            crasher = threading.Thread(target=self.crasher)
            for t in threads:
                t.start()
            crasher.start()
            for t in threads:
                t.join()
            self.stop_crashing.set()
            crasher.join()
            self.log(f"sales done: {self.counters.get('checkouts')} checkouts,"
                     f" {self.crashes} crashes")
            if self.crashes < self.args.crashes and not self.failures:
                self.fail(f"only {self.crashes} of {self.args.crashes} crashes happened")

            differ = self.wait_for_reconciliation()
            self.log(f"reconciled ({len(differ)} still differ)")
            faults = self.sim_get_faults()
            self.stop_server()
            self.server = None
            summary = self.check()
            self.stop_sim()
            summary.update({
                "checkouts": self.counters.get("checkouts"),
                "clients": self.args.clients,
                "crashes": self.crashes,
                "faults": faults,
                "seconds": round(time.monotonic() - self.started, 1),
                "counters": dict(sorted(self.counters.values.items())),
            })
        except Exception as e:  # noqa: BLE001
            self.fail(f"campaign: {e}")
        finally:
            for process in (self.server, getattr(self, "sim", None)):
                if process is not None and process.poll() is None:
                    process.kill()
                    process.wait()
            self.server_log.close()
            if hasattr(self, "sim_log"):
                self.sim_log.close()
        print(json.dumps(summary, indent=2, sort_keys=True))
        if self.failures:
            print(f"{len(self.failures)} failures; till-server's log:"
                  f" {self.server_log.name}; files in {self.dir}", flush=True)
            return 1
        if not keep:
            for name in os.listdir(self.dir):
                os.unlink(os.path.join(self.dir, name))
            os.rmdir(self.dir)
        print(f"ok: {summary['checkouts']} checkouts, {self.crashes} crashes,"
              f" {sum(faults.values())} faults, duplicates: {summary['duplicates']},"
              f" lost: {summary['lost']}")
        return 0

    def sim_get_faults(self):
        headers = {"Authorization": f"Bearer {SECRET_KEY}"}
        status, answer = request(self.sim_host, self.sim_port, "GET", "/_sim/faults", headers)
        if status != 200:
            raise RuntimeError(f"simulator /_sim/faults: {status}")
        return answer["injected"]


def _count(values):
    counts = {}
    for value in values:
        counts[value] = counts.get(value, 0) + 1
    return counts


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--server", required=True, help="the till-server program")
    parser.add_argument("--sim", required=True, help="the till-stripe-sim program")
    parser.add_argument("--checkouts", type=int, default=300)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--crashes", type=int, default=3)
    parser.add_argument("--fault-rate", type=float, default=0.15)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--give-up", type=float, default=60,
                        help="seconds a client keeps retrying one request")
    parser.add_argument("--reconcile-wait", type=float, default=60,
                        help="seconds to wait for Stripe and the database to agree")
    parser.add_argument("--walk-away", type=float, default=0.2,
                        help="share of the customers who leave without paying (the order stays"
                        " pending: more than a reconciler round takes)")
    parser.add_argument("--cancel-after", type=int, default=86400,
                        help="till-server's [reconciler] cancel-after: unpaid orders are"
                        " canceled at Stripe after this many seconds")
    parser.add_argument("--workdir", help="kept afterwards (default: a temporary directory)")
    parser.add_argument("--log-dir", help="where till-server's log goes")
    args = parser.parse_args()
    return Campaign(args).run()


if __name__ == "__main__":
    sys.exit(main())
