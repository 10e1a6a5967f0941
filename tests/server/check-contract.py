#!/usr/bin/env python3
# docs/contract.md holds for till-server: starts `till-server --training` on a temporary
# database and a free port, reads the routes (the `###` headings of "Routes"), the JSON
# objects, the error codes and the common rules from the document, and calls every route
# as the document describes it. Each route needs a recipe below (how to call it); what it
# must answer (status, members, error codes, headers) comes from the document. A route the
# document names that the server does not serve, an answer whose members differ from the
# document's, or a status and code documented for a route that no call gets, fails.
# Usage: check-contract.py TILL_SERVER CONTRACT_MD
import base64
import hashlib
import hmac
import http.client
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse

server_path, contract_path = sys.argv[1], sys.argv[2]
with open(contract_path, encoding="utf-8") as f:
    contract = f.read()

failures = []


def fail(message):
    failures.append(message)
    print("FAIL: " + message, flush=True)


# --- the document ---------------------------------------------------------------------

def section(title):
    match = re.search(r"^## " + re.escape(title) + r"\n(.*?)(?=^## )", contract, re.M | re.S)
    if match is None:
        sys.exit(f"{contract_path}: no section “{title}”")
    return match.group(1)


def bullet(name):
    match = re.search(r"^- \*\*" + re.escape(name) + r"\.?\*\*(.*?)(?=^- |\Z)",
                      section("Common rules"), re.M | re.S)
    if match is None:
        sys.exit(f"{contract_path}: no rule “{name}” in “Common rules”")
    return " ".join(match.group(1).split())


# Error codes and their statuses: "`invalid_json`/`unknown_field` 400, `unauthorized` 401".
ERROR_STATUS = {}
for codes, status in re.findall(r"((?:`[a-z_]+`/?)+) (\d{3})", bullet("Errors")):
    for code in re.findall(r"`([a-z_]+)`", codes):
        ERROR_STATUS[code] = int(status)
# Every answer's headers: "`Name: value`".
COMMON_HEADERS = dict(re.findall(r"`([A-Za-z-]+): ([^`]+)`", bullet("Headers")))
# What the common rules say, but for the list of codes (which names them all).
COMMON_TEXT = " ".join(bullet(name) for name in ("Auth", "Bodies", "Methods", "Paging"))
AUTH = bullet("Auth")
NO_TOKEN_ROUTES = re.findall(r"`([A-Z]+ /[^`]*)`", AUTH.split("needs")[0])
WWW_AUTHENTICATE = re.search(r"`WWW-Authenticate: ([^`]+)`", AUTH).group(1)
AUTH_LIMIT = int(re.search(r"From the (\d+)(?:st|nd|rd|th) failed", AUTH).group(1))


def tokenize(text):
    return re.findall(r'[{}\[\]:,]|"[^"]*"|[A-Za-z_][A-Za-z0-9_]*|[^\s{}\[\]:,"A-Za-z_]+', text)


def parse_value(tokens, i):
    """A shape: ('object', {name: shape}), ('list', shape), ('named', Name), ('literal', v)
    or None (anything), and the index after it."""
    token = tokens[i]
    if token == "{":
        members = {}
        i += 1
        while i < len(tokens) and tokens[i] != "}":
            name = tokens[i].strip('"')
            i += 1
            shape = None
            if i < len(tokens) and tokens[i] == ":":
                shape, i = parse_value(tokens, i + 1)
            while i < len(tokens) and tokens[i] not in (",", "}"):
                i += 1
            if i < len(tokens) and tokens[i] == ",":
                i += 1
            if re.fullmatch(r"[a-z_][a-z0-9_]*", name):
                members[name] = shape
        return ("object", members), i + 1
    if token == "[":
        element = None
        i += 1
        while tokens[i] != "]":
            if element is None and (tokens[i] == "{" or tokens[i] in OBJECTS):
                element, i = parse_value(tokens, i)
            else:
                i += 1
        return ("list", element), i + 1
    if token in OBJECTS or token[:1].isupper():
        return ("named", token), i + 1
    if token.startswith('"') and token != '"…"':
        return ("literal", token.strip('"')), i + 1
    if token in ("true", "false"):
        return ("literal", token == "true"), i + 1
    return None, i + 1


OBJECTS = {}
for name, body in re.findall(r"^\*\*([A-Z][a-z]+)\*\*: `(\{[^`]*\})`", section("JSON objects"),
                             re.M):
    OBJECTS[name] = None
for name, body in re.findall(r"^\*\*([A-Z][a-z]+)\*\*: `(\{[^`]*\})`", section("JSON objects"),
                             re.M):
    OBJECTS[name] = parse_value(tokenize(body), 0)[0]
for name in ("Product", "Order", "Refund"):
    if name not in OBJECTS:
        sys.exit(f"{contract_path}: “JSON objects” does not define {name}")
# "in lists an order has neither `refunds` nor `lines`"
LIST_OMITS = set(re.findall(r"`([a-z_]+)`", re.search(
    r"in lists an order has ([^.]*)\.", " ".join(section("JSON objects").split())).group(1)))

# "### `GET|HEAD /healthz`", "### `POST /api/v1/products` (admin)", and the text below each.
ROUTES = {}
for heading, rest, text in re.findall(r"^### `([^`]+)`([^\n]*)\n(.*?)(?=^##)", section("Routes") +
                                      "## end", re.M | re.S):
    methods, target = heading.split(" ", 1)
    ROUTES[heading.split("?")[0]] = {
        "methods": methods.split("|"),
        "path": target.split("?")[0],
        "admin": "(admin)" in rest,
        "text": " ".join(text.split()),
        "calls": set(),
        "happy": False,
    }


def documented_answer(text, status):
    """The shape written after STATUS in a route's text: a `{…}` in backticks or an object's
    name; (False, None) when the status is not in the text."""
    for match in re.finditer(r"(?<![\w-])\**" + str(status) + r"\**(?![\w-])", text):
        after = text[match.end():].lstrip(" *")
        after = re.sub(r"^(with the |with )", "", after)
        if after.startswith("`{"):
            return True, parse_value(tokenize(after[1:after.index("`", 1)]), 0)[0]
        word = re.match(r"[A-Z][a-z]+", after)
        if word and word.group(0) in OBJECTS:
            return True, ("named", word.group(0))
        if after.startswith("`") and "/" in after.split("`")[1]:
            return True, ("content-type", after.split("`")[1])
    found = re.search(r"(?<![\w-])" + str(status) + r"(?![\w-])", text) is not None
    return found, None


def check_shape(where, value, shape, single=True):
    if shape is None:
        return
    kind, detail = shape
    if kind == "named":
        members = dict(OBJECTS[detail][1])
        if detail == "Order":
            members["refunds"] = ("list", ("named", "Refund"))
            members["lines"] = ("list", ("named", "Line"))
            members["payment"] = ("named", "Payment")
            members["tenders"] = ("list", ("named", "Tender"))
            if not single:
                for name in LIST_OMITS:
                    members.pop(name, None)
        shape = ("object", members)
        kind, detail = shape
    if value is None:
        return
    if kind == "object":
        if not isinstance(value, dict):
            fail(f"{where}: not an object: {value!r:.80}")
            return
        if set(value) != set(detail):
            fail(f"{where}: members {sorted(value)}, the contract says {sorted(detail)}")
        for name, sub in detail.items():
            if name in value:
                check_shape(f"{where}.{name}", value[name], sub, single)
    elif kind == "list":
        if not isinstance(value, list):
            fail(f"{where}: not a list")
            return
        for i, element in enumerate(value[:3]):
            check_shape(f"{where}[{i}]", element, detail, single=False)
    elif kind == "literal" and value != detail:
        fail(f"{where}: {value!r}, the contract says {detail!r}")


# --- the server -----------------------------------------------------------------------

tmp = tempfile.TemporaryDirectory(prefix="check-contract-")
db = os.path.join(tmp.name, "till.db")
WEBHOOK_SECRET = "whsec_" + os.urandom(12).hex()
config = os.path.join(tmp.name, "till.conf")
with open(os.open(config, os.O_WRONLY | os.O_CREAT, 0o600), "w") as f:
    # A time zone with an offset, for the times of the CSV export; dollars, as the amounts
    # below (a configured currency wins over training's euros); MOTO, which the training
    # simulator takes as an approved account; a public address, for orders' receipt_url.
    f.write(f"[stripe]\nwebhook-secret={WEBHOOK_SECRET}\nmoto=true\n[store]\n"
            "timezone=Europe/Istanbul\ncurrency=USD\n[training]\nmoto-approved=true\n"
            "[server]\npublic-url=https://shop.example\n")


def add_terminal(name, role):
    out = subprocess.run([server_path, "--db", db, "terminal", "add", name, "--role", role],
                         check=True, capture_output=True, text=True).stdout
    return out.strip().splitlines()[-1]


TOKENS = {"admin": add_terminal("admin", "admin"), "cashier": add_terminal("cashier", "cashier")}
TOKENS["kiosk"] = add_terminal("kiosk", "kiosk")
KIOSK_ID = next(int(line.split("\t")[0]) for line in subprocess.run(
    [server_path, "--db", db, "terminal", "list"], check=True, capture_output=True,
    text=True).stdout.splitlines() if line.split("\t")[2] == "kiosk")
log_dir = os.path.join(os.environ.get("G_TEST_BUILDDIR", tmp.name), "logs")
os.makedirs(log_dir, exist_ok=True)
log = open(os.path.join(log_dir, "check-contract.log"), "w")
env = dict(os.environ, G_MESSAGES_DEBUG="till-server")
server = subprocess.Popen([server_path, "--training", "--config", config, "--db", db,
                           "--listen", "127.0.0.1:0"], stdout=subprocess.PIPE, stderr=log,
                          env=env, text=True)
first = server.stdout.readline()
match = re.match(r"till-server listening on http://([\d.]+):(\d+) \(training mode\)", first)
if match is None:
    server.kill()
    sys.exit(f"till-server's first line: {first!r}")
HOST, PORT = match.group(1), int(match.group(2))


class Answer:
    def __init__(self, status, headers, body, reason=None):
        self.status, self.headers, self.body, self.reason = status, headers, body, reason
        try:
            self.json = json.loads(body) if body else None
        except ValueError:
            self.json = None

    def header(self, name):
        return self.headers.get(name.lower())


def request(method, path, body=None, headers=None, token=None, source="127.0.0.1"):
    # Failed authentications are counted per address: a check of them sends from its own.
    connection = http.client.HTTPConnection(HOST, PORT, timeout=30, source_address=(source, 0))
    headers = dict(headers or {})
    if token is not None:
        headers["Authorization"] = "Bearer " + token
    if isinstance(body, (dict, list)):
        body = json.dumps(body)
        headers.setdefault("Content-Type", "application/json")
    connection.request(method, path, body=body, headers=headers)
    response = connection.getresponse()
    data = response.read() if method != "HEAD" else b""
    answer = Answer(response.status, {k.lower(): v for k, v in response.getheaders()}, data,
                    response.reason)
    connection.close()
    return answer


def check_headers(where, answer, early=False):
    for name, value in COMMON_HEADERS.items():
        if early and name not in ("X-Content-Type-Options", "Cache-Control"):
            continue
        if name == "Cache-Control" and answer.header(name) in ("no-cache",):
            continue
        if answer.header(name) != value:
            fail(f"{where}: {name}: {answer.header(name)!r}, the contract says {value!r}")


def call(route, method, path, status, code=None, token="cashier", body=None, headers=None,
         shape=True):
    """Calls ROUTE's METHOD PATH and checks the answer against the contract: STATUS (and
    CODE for an error) must be documented for the route, and answered."""
    spec = ROUTES.get(route)
    where = f"{method} {path}"
    if spec is None:
        fail(f"check-contract.py calls “{route}”, which docs/contract.md does not document")
        return None
    answer = request(method, path, body, headers, TOKENS.get(token, token))
    check_headers(where, answer)
    documented, answer_shape = documented_answer(spec["text"], status)
    if code is not None and f"`{code}`" in COMMON_TEXT:
        documented = True
    if not documented:
        fail(f"{route}: the test expects {status}, which the contract does not say")
    if answer.status != status:
        fail(f"{where}: {answer.status} {answer.body[:160]!r}, the contract says {status}"
             + (f" {code}" if code else ""))
        return answer
    if code is None:
        spec["happy"] = True
        if shape and answer_shape is not None and answer_shape[0] == "content-type":
            if answer.header("Content-Type") != answer_shape[1]:
                fail(f"{where}: Content-Type {answer.header('Content-Type')!r}, the contract "
                     f"says {answer_shape[1]!r}")
        elif shape and answer_shape is not None:
            if answer.json is None:
                fail(f"{where}: not JSON: {answer.body[:80]!r}")
            check_shape(where, answer.json, answer_shape)
        return answer
    # The route names the code, or a common rule does, or the route gives the bare status
    # and names no code with it ("404 for none": the code is the list's).
    named = f"`{code}`" in spec["text"] or f"`{code}`" in COMMON_TEXT
    bare = re.search(r"(?<![\w-])" + str(status) + r"(?![\w-])(?! `)", spec["text"]) and not \
        re.search(str(status) + r" `[a-z_]+`", spec["text"])
    if not (named or bare):
        fail(f"{route}: {status} {code} is not documented")
    got = (answer.json or {}).get("error", {}) if isinstance(answer.json, dict) else {}
    if set(answer.json or {}) != {"error"} or set(got) != {"code", "message"}:
        fail(f"{where}: the error is not {{\"error\": {{code, message}}}}: {answer.body!r:.120}")
    if got.get("code") != code:
        fail(f"{where}: code {got.get('code')!r}, the contract says {code!r}")
    if ERROR_STATUS.get(code) != status:
        fail(f"{where}: {code} is {ERROR_STATUS.get(code)} in the list of codes, not {status}")
    if status in (400, 413) and answer.header("Connection") != "close":
        fail(f"{where}: a {status} without Connection: close")
    spec["calls"].add((status, code))
    return answer


def raw(data, ended=None):
    """Sends DATA on a new connection and reads the answer (the connection may stay open:
    the server waits for a body). With ENDED, whether the server then ended the connection
    (rather than 10 s passing) is put in ENDED[0]."""
    with socket.create_connection((HOST, PORT), timeout=10) as s:
        s.sendall(data)
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = s.recv(4096)
            if not chunk:
                break
            head += chunk
        head, _, rest = head.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        headers = {k.lower(): v.strip() for k, v in (l.split(":", 1) for l in lines[1:])}
        length = int(headers.get("content-length", "0"))
        while len(rest) < length:
            rest += s.recv(4096)
        if ended is not None:
            try:
                while s.recv(4096):
                    pass
                ended.append(True)
            except (socket.timeout, ConnectionResetError) as e:
                ended.append(isinstance(e, ConnectionResetError))
        return Answer(int(lines[0].split()[1]), headers, rest[:length])


def concrete(path):
    return path.replace("{id}", "1").replace("{code}", "8691234000014").replace("…", "")


# --- the recipes: how to call each route (what it answers comes from the contract) -------

STATE = {}
P = "/api/v1/products"


def checkout(reference, token="cashier", product=1, quantity=2):
    return request("POST", "/api/v1/checkouts", {
        "client_reference": reference, "currency": "USD",
        "lines": [{"product_id": product, "quantity": quantity}]}, token=TOKENS[token]).json


def pay(answer, payment_method="pm_card_visa"):
    """Pays a checkout as docs/contract.md's "Paying in training mode" says."""
    config = request("GET", "/api/v1/config", token=TOKENS["cashier"]).json
    base = urllib.parse.urlsplit(config["stripe_js_url"].removesuffix("v3/"))
    connection = http.client.HTTPConnection(base.hostname, base.port, timeout=30)
    form = urllib.parse.urlencode({"client_secret": answer["payment"]["client_secret"],
                                   "payment_method": payment_method})
    basic = base64.b64encode((config["publishable_key"] + ":").encode()).decode()
    connection.request("POST", base.path + "v1/payment_intents/%s/confirm"
                       % answer["payment"]["payment_intent"], body=form,
                       headers={"Authorization": "Basic " + basic,
                                "Content-Type": "application/x-www-form-urlencoded"})
    status = connection.getresponse().status
    connection.close()
    return status


def r_healthz(route):
    call(route, "GET", "/healthz", 200, token=None)
    call(route, "HEAD", "/healthz", 200, token=None, shape=False)
    call(route, "POST", "/healthz", 405, "method_not_allowed", token=None)


def r_config(route):
    call(route, "GET", "/api/v1/config", 200)
    kiosk = call(route, "GET", "/api/v1/config", 200, token="kiosk").json
    if kiosk["role"] != "kiosk" or set(kiosk["kiosk"] or {}) != \
       {"idle_timeout", "countdown", "tenders", "pin"}:
        fail(f"GET /api/v1/config as a kiosk: {kiosk.get('role')}, {kiosk.get('kiosk')}")
    call(route, "GET", "/api/v1/config", 401, "unauthorized", token="till_not_a_token")


def r_products(route):
    first = call(route, "GET", P + "?limit=2", 200)
    cursor = first.json["next_cursor"]
    second = call(route, "GET", P + "?limit=2&cursor=" + urllib.parse.quote(cursor), 200)
    if [p["id"] for p in second.json["products"]] <= [p["id"] for p in first.json["products"]]:
        fail(f"{P}: the cursor's page does not follow the first")
    tag = first.header("ETag")
    again = request("GET", P + "?limit=2", headers={"If-None-Match": tag},
                    token=TOKENS["cashier"])
    if tag is None or again.status != 304 or again.body:
        fail(f"{P}: If-None-Match with its ETag: {again.status}, not 304 without a body")
    if "304" not in ROUTES[route]["text"]:
        fail(f"{route}: the 304 is not documented")
    call(route, "GET", P + "?q=%C4%B1stanbul", 200)
    call(route, "GET", P + "?limit=0", 400, "invalid_request")
    call(route, "GET", P + "?cursor=not-a-cursor", 400, "invalid_request")
    call(route, "GET", P + "?include_inactive=true", 403, "forbidden")
    call(route, "GET", P + "?include_inactive=true", 200, token="admin")


def r_by_barcode(route):
    call(route, "GET", P + "/by-barcode/8691234000014", 200)
    call(route, "GET", P + "/by-barcode/8691234000015", 404, "not_found")


def r_product(route):
    call(route, "GET", P + "/2", 200)
    call(route, "GET", P + "/999999", 404, "not_found")


def r_products_post(route):
    body = {"name": "Contract item", "unit_amount": 250, "tax_rate": 800, "sku": "CONTRACT-1",
            "barcode": "12345670", "category": "Test", "currency": "usd", "active": True}
    answer = call(route, "POST", P, 201, token="admin", body=body)
    STATE["product"] = answer.json["id"]
    call(route, "POST", P, 409, "conflict", token="admin", body=dict(body, barcode=None))
    call(route, "POST", P, 403, "forbidden", body=body)
    short = {"name": "x", "unit_amount": 1, "tax_rate": 1}
    call(route, "POST", P, 400, "invalid_json", token="admin", body='{"name": "x", "name": "y"}',
         headers={"Content-Type": "application/json"})
    call(route, "POST", P, 400, "unknown_field", token="admin", body=dict(short, colour="red"))
    call(route, "POST", P, 400, "missing_field", token="admin", body={"name": "x"})
    call(route, "POST", P, 400, "invalid_field", token="admin", body=dict(short, tax_rate="1"))
    call(route, "POST", P, 415, "unsupported_media_type", token="admin", body=json.dumps(short),
         headers={"Content-Type": "text/plain"})
    # The body rules answered before the body is read.
    head = (f"POST {P} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {TOKENS['admin']}\r\n"
            "Content-Type: application/json\r\n")
    for extra, status, code in (("Transfer-Encoding: chunked\r\n", 411, "length_required"),
                                ("Content-Length: 99999999\r\n", 413, "body_too_large"),
                                ("Content-Length: 2\r\nContent-Length: 2\r\n", 400,
                                 "invalid_request")):
        ended = []
        answer = raw((head + extra + "\r\n").encode(), ended)
        where = f"POST {P} with {extra.strip()!r}"
        if ended != [True]:
            fail(f"{where}: the server did not end the connection after its answer")
        check_headers(where, answer, early=True)
        got = (answer.json or {}).get("error", {}).get("code")
        if (answer.status, got) != (status, code) or ERROR_STATUS.get(code) != status:
            fail(f"{where}: {answer.status} {got}, the contract says {status} {code}")
        if answer.header("Connection") != "close":
            fail(f"{where}: no Connection: close")
        if f"{status} `{code}`" not in bullet("Bodies"):
            fail(f"“Bodies” does not document {status} {code}")


def r_products_patch(route):
    call(route, "PATCH", f"{P}/{STATE['product']}", 200, token="admin",
         body={"name": "Contract item 2", "sku": None})
    call(route, "PATCH", f"{P}/999999", 404, "not_found", token="admin", body={"name": "x"})
    call(route, "PATCH", f"{P}/{STATE['product']}", 400, "invalid_field", token="admin",
         body={"name": None})
    if request("GET", f"{P}/{STATE['product']}", token=TOKENS["admin"]).json["name"] != \
       "Contract item 2":
        fail(f"PATCH {P}/{{id}} with a refused body changed the product")


def r_products_delete(route):
    call(route, "DELETE", f"{P}/{STATE['product']}", 204, token="admin")
    # A product an order refers to stays, inactive.
    answer = call(route, "DELETE", f"{P}/{STATE['ordered_product']}", 200, token="admin")
    if answer.json and answer.json.get("active") is not False:
        fail(f"DELETE a product with orders: {answer.json!r:.100}, not inactive")
    call(route, "PUT", f"{P}/2", 405, "method_not_allowed", token="admin", body={})


def r_categories(route):
    call(route, "GET", "/api/v1/categories", 200)
    call(route, "GET", "/api/v1/categories", 401, "unauthorized", token="")


def r_checkouts(route):
    body = {"client_reference": "contract-1", "currency": "USD", "note": "n",
            "discount": {"type": "amount", "amount": 10},
            "lines": [{"product_id": 5, "quantity": 2, "note": "x",
                       "discount": {"type": "percent", "basis_points": 1000},
                       "name": "echoed", "unit_amount": 1, "tax": 1, "total": 1}],
            "subtotal": 1, "total": 1}
    first = call(route, "POST", "/api/v1/checkouts", 201, body=body)
    STATE["ordered_product"] = 5
    STATE["paid"] = first.json
    call(route, "POST", "/api/v1/checkouts", 200, body=body, shape=False)
    call(route, "POST", "/api/v1/checkouts", 409, "client_reference_conflict", token="admin",
         body=body)
    call(route, "POST", "/api/v1/checkouts", 400, "invalid_field",
         body=dict(body, client_reference="contract-2", currency="XQZ"))
    call(route, "POST", "/api/v1/checkouts", 422, "invalid_cart",
         body=dict(body, client_reference="contract-2", lines=[{"product_id": 99999,
                                                                "quantity": 1}]))
    STATE["canceled"] = checkout("contract-3")
    request("POST", f"/api/v1/orders/{STATE['canceled']['order']['id']}/cancel",
            token=TOKENS["cashier"])
    call(route, "POST", "/api/v1/checkouts", 409, "order_canceled",
         body={"client_reference": "contract-3", "currency": "USD",
               "lines": [{"product_id": 1, "quantity": 2}]})
    # Cash: the answer has `cash` beside the order, and `payment` null.
    cash_body = {"client_reference": "contract-cash", "currency": "USD", "tender": "cash",
                 "cash": {"tendered": 100000}, "lines": [{"product_id": 1, "quantity": 1}]}
    call(route, "POST", "/api/v1/checkouts", 409, "no_drawer_session", body=cash_body)
    # A kiosk's policy takes cards only unless it says otherwise.
    call(route, "POST", "/api/v1/checkouts", 403, "tender_not_allowed", token="kiosk",
         body=dict(cash_body, client_reference="contract-kiosk-cash"))
    request("POST", "/api/v1/drawer/open", {"float": 0}, token=TOKENS["cashier"])
    cash = call(route, "POST", "/api/v1/checkouts", 201, body=cash_body, shape=False)
    if cash is not None and cash.json is not None:
        if set(cash.json) != {"order", "payment", "cash"} or cash.json["payment"] is not None:
            fail(f"a cash checkout answered {sorted(cash.json)}")
        elif set(cash.json["cash"]) != {"amount", "rounding", "tendered", "change"}:
            fail(f"a cash checkout's cash: {sorted(cash.json['cash'])}")
        else:
            check_shape("cash checkout", cash.json["order"], ("named", "Order"))
            STATE["cash"] = cash.json["order"]["id"]
    call(route, "POST", "/api/v1/checkouts", 422, "invalid_amount",
         body=dict(cash_body, client_reference="contract-cash-2", cash={"tendered": 1}))
    split = call(route, "POST", "/api/v1/checkouts", 201,
                 body={"client_reference": "contract-split", "currency": "USD",
                       "tender": "split", "cash": {"amount": 100, "tendered": 100},
                       "lines": [{"product_id": 5, "quantity": 3}]})
    if split is not None and split.json is not None and \
            split.json["order"]["status"] != "partially_paid":
        fail("a split checkout's order is not partially_paid")
    offline = dict(cash_body, client_reference="contract-offline", prices_include_tax=False,
                   offline={"sold_at": "2026-01-02T10:00:00+03:00"},
                   lines=[{"product_id": 1, "quantity": 1, "name": "Simit", "unit_amount": 80,
                           "tax_rate": 700}])
    sold = call(route, "POST", "/api/v1/checkouts", 201, body=offline, shape=False)
    if sold is not None and sold.json is not None and not sold.json["order"]["offline"]:
        fail("an offline cash sale is not flagged offline")
    call(route, "POST", "/api/v1/checkouts", 422, "invalid_cart",
         body=dict(offline, client_reference="contract-offline-2", total=1))
    if pay(STATE["paid"]) != 200:
        fail("paying as “Paying in training mode” says did not succeed")


def r_drawer(route):
    call(route, "GET", "/api/v1/drawer", 200)
    call(route, "GET", "/api/v1/drawer", 404, "not_found", token="admin")


def r_drawer_open(route):
    call(route, "POST", "/api/v1/drawer/open", 201, token="admin",
         body={"counts": {"2000": 1, "25": 4}})
    call(route, "POST", "/api/v1/drawer/open", 409, "invalid_state", token="admin",
         body={"float": 0})
    call(route, "POST", "/api/v1/drawer/open", 422, "invalid_amount", token="admin",
         body={"counts": {"3": 1}})


def r_drawer_movements(route):
    call(route, "POST", "/api/v1/drawer/movements", 201, token="admin",
         body={"type": "pay_out", "amount": 100, "reason": "Stamps"})
    call(route, "POST", "/api/v1/drawer/movements", 201, token="admin",
         body={"type": "no_sale", "amount": 0}, headers={"Idempotency-Key": "contract-ns"})
    call(route, "POST", "/api/v1/drawer/movements", 200, token="admin",
         body={"type": "no_sale", "amount": 0}, headers={"Idempotency-Key": "contract-ns"})
    call(route, "POST", "/api/v1/drawer/movements", 409, "no_drawer_session",
         token=add_terminal("no drawer", "cashier"), body={"type": "no_sale", "amount": 0})


def r_drawer_close(route):
    call(route, "POST", "/api/v1/drawer/close", 200, token="admin", body={"counted": 1900})
    call(route, "POST", "/api/v1/drawer/close", 409, "no_drawer_session", token="admin",
         body={"counted": 0})


def r_report_x(route):
    call(route, "GET", "/api/v1/reports/x", 200)
    call(route, "GET", "/api/v1/reports/x", 401, "unauthorized", token="till_not_a_token")


def r_report_z(route):
    # The cashier's drawer is open (the checkouts' recipe opened it).
    call(route, "POST", "/api/v1/reports/z", 409, "invalid_state", body={})
    call(route, "POST", "/api/v1/reports/z", 201, body={"counted": 0},
         headers={"Idempotency-Key": "contract-z"})
    call(route, "POST", "/api/v1/reports/z", 200, body={"counted": 0},
         headers={"Idempotency-Key": "contract-z"})
    call(route, "POST", "/api/v1/reports/z", 201, token="admin", body={})
    request("POST", "/api/v1/drawer/open", {"float": 0}, token=TOKENS["cashier"])


def r_reports_z(route):
    call(route, "GET", "/api/v1/reports/z", 200)
    call(route, "GET", "/api/v1/reports/z", 200, token="admin")
    call(route, "GET", "/api/v1/reports/z?cursor=nonsense", 400, "invalid_request")


def r_report_z_one(route):
    call(route, "GET", "/api/v1/reports/z/Z-0001", 200)
    call(route, "GET", "/api/v1/reports/z/Z-0002", 404, "not_found")
    call(route, "GET", "/api/v1/reports/z/Z-0002", 200, token="admin")


def r_orders(route):
    for i in range(51 - len(request("GET", "/api/v1/orders",
                                    token=TOKENS["cashier"]).json["orders"])):
        checkout(f"contract-page-{i}")
    first = call(route, "GET", "/api/v1/orders", 200)
    cursor = first.json["next_cursor"]
    if cursor is None:
        fail("GET /api/v1/orders: 51 orders but no next_cursor")
    else:
        call(route, "GET", "/api/v1/orders?cursor=" + urllib.parse.quote(cursor), 200)
    call(route, "GET", "/api/v1/orders?status=paid&q=" + STATE["paid"]["order"]["number"], 200)
    call(route, "GET", "/api/v1/orders?status=unpaid", 400, "invalid_request")


def order_path(key, action=""):
    return f"/api/v1/orders/{STATE[key]['order']['id']}" + action


def r_order(route):
    call(route, "GET", order_path("paid"), 200)
    call(route, "GET", "/api/v1/orders/999999", 404, "not_found")
    call(route, "DELETE", order_path("paid"), 405, "method_not_allowed")


def r_sync(route):
    answer = call(route, "POST", order_path("paid", "/sync"), 200)
    if answer.json and answer.json.get("status") != "paid":
        fail(f"a paid and synced order is {answer.json.get('status')}")
    call(route, "POST", "/api/v1/orders/999999/sync", 404, "not_found")


def r_confirm(route):
    STATE["moto"] = checkout("contract-moto")
    call(route, "POST", order_path("moto", "/confirm"), 409, "moto_not_allowed",
         body={"payment_method": "pm_card_visa", "kiosk": True})
    call(route, "POST", order_path("moto", "/confirm"), 400, "invalid_field",
         body={"payment_method": "pi_1_secret_2", "kiosk": False})
    answer = call(route, "POST", order_path("moto", "/confirm"), 200,
                  body={"payment_method": "pm_card_visa", "kiosk": False})
    if answer.json and answer.json.get("status") != "paid":
        fail(f"an order confirmed as MOTO with pm_card_visa is {answer.json.get('status')}")
    STATE["canceled"] = checkout("contract-moto-canceled")
    request("POST", order_path("canceled", "/cancel"), token=TOKENS["cashier"])
    call(route, "POST", order_path("canceled", "/confirm"), 409, "invalid_state",
         body={"payment_method": "pm_card_visa", "kiosk": False})


def r_cancel(route):
    STATE["pending"] = checkout("contract-cancel")
    answer = call(route, "POST", order_path("pending", "/cancel"), 200)
    if answer.json and (answer.json.get("status") != "canceled"
                        or not answer.json.get("canceled_at")):
        fail(f"a canceled order has status {answer.json.get('status')}"
             f" and canceled_at {answer.json.get('canceled_at')}")
    call(route, "POST", order_path("paid", "/cancel"), 409, "invalid_state")


def r_refunds(route):
    path = order_path("paid", "/refunds")
    key = {"Idempotency-Key": "contract-refund-1"}
    call(route, "POST", path, 201, token="admin", body={"amount": 50}, headers=key)
    call(route, "POST", path, 200, token="admin", body={"amount": 50}, headers=key, shape=False)
    call(route, "POST", order_path("pending", "/refunds"), 409, "conflict", token="admin",
         body={}, headers=key)
    call(route, "POST", path, 409, "invalid_state", token="admin", body={"amount": 10 ** 12})
    answer = call(route, "POST", path, 400, "invalid_field", token="admin",
                  body={"reason": "bored"})
    if answer and "reason" not in answer.json["error"]["message"]:
        fail(f"{path} with a bad reason: the message does not name `reason`")
    call(route, "POST", path, 403, "forbidden", body={})
    # A cash order's refund comes from the refunding terminal's drawer.
    cash = f"/api/v1/orders/{STATE.get('cash')}/refunds"
    call(route, "POST", cash, 409, "no_drawer_session", token="admin", body={"amount": 10})
    request("POST", "/api/v1/drawer/open", {"float": 1000}, token=TOKENS["admin"])
    call(route, "POST", cash, 201, token="admin", body={"amount": 10})


def r_receipt(route):
    call(route, "POST", order_path("paid", "/receipt"), 200, body={"email": "a@example.com"})
    call(route, "POST", order_path("pending", "/receipt"), 409, "invalid_state",
         body={"email": "a@example.com"})
    answer = call(route, "POST", order_path("paid", "/receipt"), 400, "invalid_field",
                  body={"email": "not an address"})
    if answer and "email" not in answer.json["error"]["message"]:
        fail("a receipt to a bad address: the message does not name `email`")


def r_daily(route):
    answer = call(route, "GET", "/api/v1/reports/daily", 200)
    if answer.json and len(answer.json.get("by_hour", [])) != 24:
        fail("GET /api/v1/reports/daily: by_hour has not 24 hours")
    call(route, "GET", "/api/v1/reports/daily?date=2026-02-30", 400, "invalid_request")


def r_days(route):
    answer = call(route, "GET", "/api/v1/reports/days?days=30", 200)
    if answer.json and len(answer.json.get("days", [])) != 30:
        fail("GET /api/v1/reports/days: not 30 days")
    call(route, "GET", "/api/v1/reports/days?days=0", 400, "invalid_request")


def r_csv(route):
    answer = call(route, "GET", "/api/v1/orders.csv", 200, token="admin")
    columns = re.search(r"Columns `([^`]+)`", ROUTES[route]["text"]).group(1).replace(" ", "")
    lines = answer.body.decode().split("\r\n")
    if lines[0] != columns:
        fail(f"orders.csv: columns {lines[0]!r}, the contract says {columns!r}")
    if answer.body and not answer.body.endswith(b"\r\n") or len(lines) < 3:
        fail("orders.csv: not CRLF lines, or no orders")
    # "Times are RFC 3339", the export's too.
    rfc3339 = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)"
    for line in lines[1:-1]:
        created = line.split(",")[1]
        if not re.fullmatch(rfc3339, created) or not created.endswith("+03:00"):
            fail(f"orders.csv: created_at {created!r} is not RFC 3339 in the store's time zone")
            break
    example = re.search(r"`created_at` in.*?\(`([^`]+)`", ROUTES[route]["text"])
    if example is None or not re.fullmatch(rfc3339, example.group(1)):
        fail("orders.csv: the contract's example of created_at is not RFC 3339")
    disposition = re.search(r"`Content-Disposition: ([^`]+)`", ROUTES[route]["text"]).group(1)
    if answer.header("Content-Disposition") != disposition:
        fail(f"orders.csv: Content-Disposition {answer.header('Content-Disposition')!r}")
    call(route, "GET", "/api/v1/orders.csv", 403, "forbidden")


def r_terminal_policy(route):
    path = f"/api/v1/terminals/{KIOSK_ID}/policy"
    call(route, "PATCH", path, 200, token="admin", body={"idle_timeout": 90, "pin": "2468"})
    call(route, "GET", path, 200, token="admin")
    call(route, "PATCH", path, 400, "invalid_field", token="admin", body={"countdown": 1})
    call(route, "PATCH", path, 400, "invalid_request", token="admin", body={"pin": "12"})
    call(route, "PATCH", path, 403, "forbidden", token="kiosk", body={"idle_timeout": 900})
    call(route, "PATCH", "/api/v1/terminals/1/policy", 404, "not_found", token="admin", body={})
    policy = request("GET", "/api/v1/config", token=TOKENS["kiosk"]).json["kiosk"]
    if policy["idle_timeout"] != 90 or policy["countdown"] != 20 or policy["pin"] is None:
        fail(f"{path}: a refused PATCH changed the policy, or a good one did not: {policy}")


def r_training(route):
    call(route, "POST", "/api/v1/training/terminals", 201, token=None, body={})
    call(route, "POST", "/api/v1/training/terminals", 400, "unknown_field", token=None,
         body={"name": "x"})


def sign(payload, timestamp=None):
    timestamp = int(time.time()) if timestamp is None else timestamp
    mac = hmac.new(WEBHOOK_SECRET.encode(), f"{timestamp}.".encode() + payload, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


def r_webhook(route):
    event = json.dumps({"id": "evt_contract_1", "object": "event", "type":
                        "payment_intent.succeeded", "created": int(time.time()),
                        "data": {"object": {"id": "pi_another_till", "object": "payment_intent",
                                            "status": "succeeded", "metadata": {}}}}).encode()
    headers = {"Content-Type": "application/json"}
    answer = call(route, "POST", "/stripe/webhook", 200, token=None, body=event,
                  headers=dict(headers, **{"Stripe-Signature": sign(event)}))
    again = call(route, "POST", "/stripe/webhook", 200, token=None, body=event,
                 headers=dict(headers, **{"Stripe-Signature": sign(event)}))
    if (answer.json, again.json) != ({"received": True, "duplicate": False},
                                     {"received": True, "duplicate": True}):
        fail(f"webhook sent twice: {answer.json}, then {again.json}")
    call(route, "POST", "/stripe/webhook", 400, "invalid_request", token=None, body=event,
         headers=dict(headers, **{"Stripe-Signature": sign(event + b" ")}))
    call(route, "POST", "/stripe/webhook", 400, "invalid_request", token=None, body=event,
         headers=dict(headers, **{"Stripe-Signature": sign(event, int(time.time()) - 3600)}))


def r_pay(route):
    answer = call(route, "GET", "/pay/", 200, token=None, shape=False)
    for name in ("Content-Security-Policy", "Permissions-Policy"):
        if name in ROUTES[route]["text"] and not answer.header(name):
            fail(f"GET /pay/: no {name}")
    call(route, "HEAD", "/pay/pay.js", 200, token=None, shape=False)
    redirect = request("GET", "/pay", token=None)
    if redirect.status != 301 or not (redirect.header("Location") or "").endswith("/pay/"):
        fail(f"GET /pay: {redirect.status} to {redirect.header('Location')}, not 301 to /pay/")
    call(route, "GET", "/pay/no-such-file.js", 404, "not_found", token=None)


def r_receipt_page(route):
    url = STATE["paid"]["order"]["receipt_url"]
    if not url.startswith("https://shop.example/r/"):
        fail(f"receipt_url {url!r} is not under [server] public-url")
    path = urllib.parse.urlparse(url).path
    answer = call(route, "GET", path, 200, token=None)
    if "default-src 'none'" not in (answer.header("Content-Security-Policy") or ""):
        fail(f"GET {path}: Content-Security-Policy {answer.header('Content-Security-Policy')!r}")
    if STATE["paid"]["order"]["number"] not in answer.body.decode():
        fail(f"GET {path}: the page does not show the order's number")
    call(route, "HEAD", path, 200, token=None)
    call(route, "GET", "/r/" + "A" * 22, 404, "not_found", token=None)


RECIPES = {
    "GET|HEAD /healthz": r_healthz,
    "GET /api/v1/config": r_config,
    "GET /api/v1/products": r_products,
    "GET /api/v1/products/by-barcode/{code}": r_by_barcode,
    "GET /api/v1/products/{id}": r_product,
    "POST /api/v1/products": r_products_post,
    "PATCH /api/v1/products/{id}": r_products_patch,
    "GET /api/v1/categories": r_categories,
    "POST /api/v1/checkouts": r_checkouts,
    "GET /api/v1/drawer": r_drawer,
    "POST /api/v1/drawer/open": r_drawer_open,
    "POST /api/v1/drawer/movements": r_drawer_movements,
    "POST /api/v1/drawer/close": r_drawer_close,
    "GET /api/v1/reports/x": r_report_x,
    "POST /api/v1/reports/z": r_report_z,
    "GET /api/v1/reports/z": r_reports_z,
    "GET /api/v1/reports/z/{number}": r_report_z_one,
    "DELETE /api/v1/products/{id}": r_products_delete,
    "GET /api/v1/orders": r_orders,
    "GET /api/v1/orders/{id}": r_order,
    "POST /api/v1/orders/{id}/sync": r_sync,
    "POST /api/v1/orders/{id}/confirm": r_confirm,
    "POST /api/v1/orders/{id}/cancel": r_cancel,
    "POST /api/v1/orders/{id}/refunds": r_refunds,
    "POST /api/v1/orders/{id}/receipt": r_receipt,
    "GET /api/v1/reports/daily": r_daily,
    "GET /api/v1/reports/days": r_days,
    "GET /api/v1/orders.csv": r_csv,
    "POST /api/v1/training/terminals": r_training,
    "GET|PATCH /api/v1/terminals/{id}/policy": r_terminal_policy,
    "POST /stripe/webhook": r_webhook,
    "GET|HEAD /pay/…": r_pay,
    "GET|HEAD /r/{token}": r_receipt_page,
}

# Documented answers a training server on loopback cannot be made to give: the C tests
# (tests/server/, tests/faults/) drive them with the simulator's injected faults, a second
# process holding the database, or a clock.
ELSEWHERE = {
    (402, "card_declined"), (502, "payment_provider_error"),
    (503, "payment_provider_unavailable"), (429, "rate_limited"),
    (409, "offline_cash_forbidden"),
}

try:
    for route in ROUTES:
        if route not in RECIPES:
            fail(f"docs/contract.md documents “{route}”; check-contract.py has no "
                 "recipe for it")
    for route, recipe in RECIPES.items():
        if route not in ROUTES:
            fail(f"check-contract.py has a recipe for “{route}”, not in docs/contract.md")
            continue
        recipe(route)

    # Common rules, for every route the contract lists.
    for n, (route, spec) in enumerate(ROUTES.items()):
        path = concrete(spec["path"])
        if path.startswith("/api/v1/") and route not in NO_TOKEN_ROUTES:
            for token in (None, "till_" + "A" * 43):
                answer = request(spec["methods"][0], path, token=token, source=f"127.0.1.{n}")
                got = (answer.json or {}).get("error", {}).get("code")
                if (answer.status, got) != (401, "unauthorized"):
                    fail(f"{route} without a valid token: {answer.status} {got}, not 401")
                elif answer.header("WWW-Authenticate") != WWW_AUTHENTICATE:
                    fail(f"{route}: WWW-Authenticate {answer.header('WWW-Authenticate')!r}")
        if spec["admin"]:
            method = spec["methods"][0]
            answer = request(method, path, body={} if method in ("POST", "PATCH") else None,
                             token=TOKENS["cashier"])
            if answer.status != 403:
                fail(f"{route} (admin) from a cashier: {answer.status}, not 403")
        if not spec["happy"]:
            fail(f"{route}: no call got its documented answer")
        if not spec["calls"]:
            fail(f"{route}: no call got one of its documented errors")
        for status, code in re.findall(r"(\d{3}) `([a-z_]+)`", spec["text"]):
            if ERROR_STATUS.get(code) != int(status):
                continue  # Stripe's code (404 `resource_missing`), not the server's
            if (int(status), code) not in spec["calls"] | ELSEWHERE:
                fail(f"{route}: the contract says {status} {code}; no call got it")
    # Another method on a route's path: 405 with Allow naming the path's methods (HEAD where
    # GET); HEAD answers as GET does, without a body.
    path_methods = {}
    for spec in ROUTES.values():
        path_methods.setdefault(concrete(spec["path"]), set()).update(spec["methods"])
    for path, methods in path_methods.items():
        if "GET" in methods:
            methods.add("HEAD")
        other = next(m for m in ("PUT", "POST", "DELETE") if m not in methods)
        answer = request(other, path, token=TOKENS["admin"])
        got = (answer.json or {}).get("error", {}).get("code")
        allow = set(m.strip() for m in (answer.header("Allow") or "").split(",") if m.strip())
        if (answer.status, got) != (405, "method_not_allowed") or allow != methods:
            fail(f"{other} {path}: {answer.status} {got} (Allow: {answer.header('Allow')}), "
                 f"the contract says 405 method_not_allowed with Allow: {sorted(methods)}")
        if "HEAD" in methods and path != "/pay/":
            got_head = request("HEAD", path, token=TOKENS["admin"])
            got_get = request("GET", path, token=TOKENS["admin"])
            if (got_head.status, got_head.header("Content-Type")) != \
               (got_get.status, got_get.header("Content-Type")):
                fail(f"HEAD {path}: {got_head.status} {got_head.header('Content-Type')}, "
                     f"GET: {got_get.status} {got_get.header('Content-Type')}")
    if "`Allow`" not in bullet("Methods"):
        fail("“Methods” does not say that a 405 has Allow")

    unknown = request("GET", "/api/v1/no-such-route", token=TOKENS["cashier"])
    if (unknown.status, (unknown.json or {}).get("error", {}).get("code")) != (404, "not_found"):
        fail(f"an unknown path: {unknown.status}, not 404 not_found")

    # The limit of failed authentications, from an address of its own.
    statuses = [request("GET", "/api/v1/config", token="till_wrong_%d" % i,
                        source="127.0.2.1").status for i in range(AUTH_LIMIT)]
    limited = request("GET", "/api/v1/config", token=TOKENS["cashier"], source="127.0.2.1")
    if statuses != [401] * (AUTH_LIMIT - 1) + [429] or limited.status != 429 or \
       not limited.header("Retry-After"):
        fail(f"{AUTH_LIMIT} failed authentications: {statuses}, then a valid token "
             f"{limited.status} (Retry-After {limited.header('Retry-After')}); the contract "
             f"says 429 from the {AUTH_LIMIT}th")
    phrase = re.search(r"429 \(`([^`]+)`\)", bullet("Errors"))
    if phrase is None or limited.reason != phrase.group(1):
        fail(f"429's reason phrase: {limited.reason!r}, the contract says "
             f"{phrase and phrase.group(1)!r}")
finally:
    server.terminate()
    server.wait(timeout=30)
    log.close()

if failures:
    print(f"{len(failures)} differences between docs/contract.md and till-server")
    sys.exit(1)
print(f"docs/contract.md holds: {len(ROUTES)} routes")
