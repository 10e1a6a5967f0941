#!/usr/bin/env python3
"""Drives simulated tills against a running till-server and samples what the server holds.

Each till loops over a sale as the app makes it: a checkout, the card confirmed at the
Stripe simulator with the publishable key and the client secret (as Stripe.js does), the
order synced, the order list read; one sale in ten is abandoned and canceled instead. Half
the tills keep one connection alive, the other half open a new connection per request. The
simulator's webhooks reach the server on their own.

Every --every seconds it prints, for each watched process: open descriptors, RSS, threads
and (for till-server) the WAL's size. At the end: requests, errors, and the first and last
samples after the warm-up, with their ratio. Exit status 1 on any error or if descriptors
or RSS grew by more than 10 % after the warm-up (medians of the first and last
quarter of the samples).

Python's standard library only; run it through run.sh, which starts the server.
"""
import argparse
import http.client
import json
import os
import random
import statistics
import sys
import threading
import time
import urllib.parse
import uuid


class Till:
    def __init__(self, index, server, token, sim, publishable_key, products, currency,
                 keep_alive, stop, stats):
        self.index = index
        self.server = server
        self.token = token
        self.sim = sim
        self.publishable_key = publishable_key
        self.products = products
        self.currency = currency
        self.keep_alive = keep_alive
        self.stop = stop
        self.stats = stats
        self.connections = {}
        self.random = random.Random(index)

    def connection(self, netloc):
        if self.keep_alive and netloc in self.connections:
            return self.connections[netloc]
        host, port = netloc.rsplit(':', 1)
        conn = http.client.HTTPConnection(host, int(port), timeout=60)
        if self.keep_alive:
            self.connections[netloc] = conn
        return conn

    def request(self, netloc, method, path, body=None, headers=None, expect=(200, 201)):
        headers = dict(headers or {})
        if not self.keep_alive:
            headers['Connection'] = 'close'
        for attempt in range(3):
            conn = self.connection(netloc)
            try:
                conn.request(method, path, body=body, headers=headers)
                response = conn.getresponse()
                data = response.read()
            except (http.client.HTTPException, OSError) as error:
                # A kept-alive connection the server closed (its idle limit): a new one, as
                # any HTTP client does.
                conn.close()
                self.connections.pop(netloc, None)
                if self.keep_alive and attempt == 0:
                    continue
                self.stats.error(f'{method} {path}: {error}')
                return None
            finally:
                if not self.keep_alive:
                    conn.close()
            self.stats.count()
            if response.status in (429, 503) and response.getheader('Retry-After') and attempt < 2:
                # Told to wait (a rate limit, a full server): as the app does.
                self.stats.waited()
                self.stop.wait(float(response.getheader('Retry-After')))
                continue
            if response.status == 429 and netloc == self.sim and attempt < 2:
                # Stripe's own rate limit (no Retry-After): the customer presses Pay again a
                # moment later.
                self.stats.waited()
                self.stop.wait(1.0 + self.random.random())
                continue
            if response.status not in expect:
                self.stats.error(f'{method} {path}: HTTP {response.status} {data[:200]!r}')
                return None
            return json.loads(data) if data else {}
        return None

    def api(self, method, path, body=None):
        headers = {'Authorization': f'Bearer {self.token}'}
        if body is not None:
            headers['Content-Type'] = 'application/json'
            body = json.dumps(body)
        return self.request(self.server, method, path, body, headers)

    def sale(self):
        lines = [{'product_id': p, 'quantity': self.random.randint(1, 3)}
                 for p in self.random.sample(self.products, self.random.randint(1, 3))]
        reference = str(uuid.uuid4())
        checkout = self.api('POST', '/api/v1/checkouts',
                            {'client_reference': reference, 'currency': self.currency,
                             'lines': lines})
        if checkout is None:
            return
        order = checkout['order']['id']
        payment = checkout['payment']
        if self.random.random() < 0.1:
            self.api('POST', f'/api/v1/orders/{order}/cancel', {})
            return
        form = urllib.parse.urlencode({'client_secret': payment['client_secret'],
                                       'payment_method': 'pm_card_visa'})
        self.request(self.sim, 'POST',
                     f'/v1/payment_intents/{payment["payment_intent"]}/confirm', form,
                     {'Authorization': f'Bearer {self.publishable_key}',
                      'Content-Type': 'application/x-www-form-urlencoded'})
        synced = self.api('POST', f'/api/v1/orders/{order}/sync', {})
        if synced is not None and synced.get('status') != 'paid':
            self.stats.error(f'order {order} is {synced.get("status")} after paying')
        self.api('GET', '/api/v1/orders?limit=20')

    def run(self, pause):
        while not self.stop.is_set():
            self.sale()
            self.stop.wait(pause)


class Stats:
    def __init__(self):
        self.lock = threading.Lock()
        self.requests = 0
        self.waits = 0
        self.errors = []

    def count(self):
        with self.lock:
            self.requests += 1

    def waited(self):
        with self.lock:
            self.waits += 1

    def error(self, text):
        with self.lock:
            self.errors.append(text)
            if len(self.errors) <= 20:
                print(f'error: {text}', file=sys.stderr, flush=True)


def sample(pid, wal):
    try:
        fds = len(os.listdir(f'/proc/{pid}/fd'))
        status = open(f'/proc/{pid}/status').read()
    except OSError:
        return None
    fields = dict(line.split(':', 1) for line in status.splitlines() if ':' in line)
    rss_kb = int(fields['VmRSS'].split()[0])
    threads = int(fields['Threads'])
    wal_kb = os.path.getsize(wal) // 1024 if wal and os.path.exists(wal) else 0
    return fds, rss_kb, threads, wal_kb


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--server', required=True, help='till-server, http://HOST:PORT')
    parser.add_argument('--tokens', required=True, help='a file with one terminal token a line')
    parser.add_argument('--pid', action='append', default=[], metavar='NAME=PID',
                        help='a process to watch (repeatable)')
    parser.add_argument('--wal', help="till-server's -wal file")
    parser.add_argument('--minutes', type=float, default=30)
    parser.add_argument('--tills', type=int, default=20)
    parser.add_argument('--pause', type=float, default=3.0,
                        help="seconds between a till's sales (3: 20 tills make about 20 "
                             "Stripe calls a second, under the 25 a second Stripe allows in "
                             "test mode and the training simulator enforces)")
    parser.add_argument('--every', type=float, default=30, help='seconds between samples')
    parser.add_argument('--warmup', type=float, default=120, help='seconds before the baseline')
    args = parser.parse_args()

    server = urllib.parse.urlsplit(args.server).netloc
    tokens = [t.strip() for t in open(args.tokens) if t.strip()]
    conn = http.client.HTTPConnection(*server.rsplit(':', 1))
    headers = {'Authorization': f'Bearer {tokens[0]}'}
    conn.request('GET', '/api/v1/config', headers=headers)
    config = json.loads(conn.getresponse().read())
    conn.request('GET', '/api/v1/products?limit=100', headers=headers)
    # Products dear enough that any cart of them is above Stripe's smallest charge.
    listed = json.loads(conn.getresponse().read())['products']
    products = [p['id'] for p in listed if p['unit_amount'] >= 100] or [p['id'] for p in listed]
    conn.close()
    sim = urllib.parse.urlsplit(config['stripe_js_url']).netloc

    stop = threading.Event()
    stats = Stats()
    tills = [Till(i, server, tokens[i % len(tokens)], sim, config['publishable_key'], products,
                  config['currency'], i % 2 == 0, stop, stats) for i in range(args.tills)]
    threads = [threading.Thread(target=t.run, args=(args.pause,), daemon=True) for t in tills]
    for t in threads:
        t.start()

    watched = [p.split('=', 1) for p in args.pid]
    print('minute  ' + '  '.join(f'{name + " fds":>12} {name + " RSS MB":>14} {"threads":>8}'
                                 for name, _ in watched) + '   WAL KB  requests  errors',
          flush=True)
    started = time.monotonic()
    samples = []
    end = started + args.minutes * 60
    while time.monotonic() < end:
        time.sleep(min(args.every, max(0.0, end - time.monotonic())))
        now = (time.monotonic() - started) / 60
        row = []
        for name, pid in watched:
            s = sample(pid, args.wal if name == 'till-server' else None)
            if s is None:
                stats.error(f'{name} ({pid}) is gone')
                s = (0, 0, 0, 0)
            row.append(s)
        samples.append((now, row))
        wal_kb = row[0][3] if row else 0
        print(f'{now:6.1f}  ' + '  '.join(f'{fds:12d} {rss / 1024:14.1f} {threads:8d}'
                                          for fds, rss, threads, _ in row) +
              f'  {wal_kb:7d}  {stats.requests:8d}  {len(stats.errors):6d}', flush=True)
    stop.set()
    for t in threads:
        t.join(timeout=70)

    failed = bool(stats.errors)
    after = [s for s in samples if s[0] * 60 >= args.warmup] or samples[-1:]
    print(f'\n{stats.requests} requests by {args.tills} tills in {args.minutes:g} min, '
          f'{len(stats.errors)} errors, {stats.waits} waits (Retry-After, or Stripe\'s 429)')
    # The trend, not the noise: what is open at a sampling moment varies with the requests in
    # flight, so the medians of the first and the last quarter after the warm-up are compared.
    quarter = max(1, len(after) // 4)
    for i, (name, _) in enumerate(watched):
        fds = [row[i][0] for _, row in after]
        rss = [row[i][1] for _, row in after]
        fd_growth = statistics.median(fds[-quarter:]) / max(1, statistics.median(fds[:quarter]))
        rss_growth = statistics.median(rss[-quarter:]) / max(1, statistics.median(rss[:quarter]))
        print(f'{name}: descriptors {min(fds)}–{max(fds)}, RSS {min(rss) / 1024:.1f}–'
              f'{max(rss) / 1024:.1f} MB after the first {args.warmup:g} s; last quarter over '
              f'first: descriptors ×{fd_growth:.2f}, RSS ×{rss_growth:.2f}')
        if fd_growth > 1.10 or rss_growth > 1.10:
            failed = True
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
