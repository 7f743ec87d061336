"""verikit benchmark (a script, not a test): prints the figures quoted in the README.

1. DynamoDB round trips per send and per verify, counted with a botocore event hook on
   every client the store uses (moto behind them; the count is what matters).
2. Cold-start import time of `app` as a ratio to importing chalice + boto3 alone.
3. The zipped Lambda package size from `chalice package`.
4. p50/p99 latency of send and verify through the local server (`make run`), 127.0.0.1.
5. The LeanCloud import rate (users/s) through `make import-leancloud`'s client.

Run with `make bench`.
"""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
PY = sys.executable
KEYS = {"VERIKIT_APP_ID": "benchapp", "VERIKIT_APP_KEY": "bench-key",
        "VERIKIT_MASTER_KEY": "bench-master", "VERIKIT_CODE_SECRET": "bench-secret"}
# the fraud guard records (reads and writes everything as when it blocks, refuses nothing):
# the benchmark's own traffic is hundreds of unverified codes on a few number ranges
FAST = json.dumps({"cooldown_seconds": 0, "per_number_daily": 1000, "per_ip_hourly": 100000,
                   "per_app_daily": 10_000_000, "allowed_regions": ["*"], "fraud_guard": "record"})


_moto = []


def shared_moto():
    """One embedded moto for the whole benchmark (the DynamoDB client is made once per
    process, so a second server would not be reached); fresh tables each time."""
    from devserver.local import start_moto
    if not _moto:
        _moto.append(start_moto())
    else:
        import urllib.request as u
        u.urlopen(u.Request(f"{_moto[0].url}/moto-api/reset", method="POST")).read()
    return _moto[0]


def round_trips() -> dict:
    os.environ.update(KEYS)
    os.environ["VERIKIT_SETTINGS"] = FAST
    from devserver.local import create_tables
    moto = shared_moto()
    create_tables()
    from chalice.test import Client

    from app import app
    from chalicelib import wiring
    from chalicelib.store.base import connection

    calls: list = []

    def hook(model, **kwargs):
        calls.append(model.name)

    def watch(client):
        client.meta.events.register("before-call.dynamodb", hook)

    h = {"X-LC-Id": KEYS["VERIKIT_APP_ID"], "X-LC-Key": KEYS["VERIKIT_APP_KEY"]}
    out = {}
    with Client(app, project_dir=tempfile.mkdtemp()) as c:
        def send(phone):
            r = c.http.post("/1.1/requestSmsCode", headers=h, body=json.dumps({"mobilePhoneNumber": phone}))
            assert r.status_code == 200, r.body

        def code(phone):
            body = wiring.outbox().list(phone)[-1]["body"]
            return re.search(r"is (\d+)", body).group(1)

        def verify(phone, code_):
            return c.http.post(f"/1.1/verifySmsCode/{code_}", headers=h,
                               body=json.dumps({"mobilePhoneNumber": phone})).status_code

        from chalicelib.store import all_models
        clients = {id(connection().client): connection().client}
        for model in all_models():  # one shared client, unless a model has its own
            c_ = model._get_connection().connection.client
            clients[id(c_)] = c_
        for c_ in clients.values():
            watch(c_)
        calls.clear()
        send("+8613000000000")  # the first send of a cold instance: config not cached yet
        out["send_cold"] = list(calls)
        # a send the fraud guard refuses (block mode, a prefix with no room left)
        mh = {**h, "X-LC-Key": KEYS["VERIKIT_MASTER_KEY"] + ",master"}
        c.http.patch("/admin/v1/settings", headers=mh, body=json.dumps(
            {"fraud_guard": "block", "fraud_thresholds": {"prefix": {"floor_hour": 0, "floor_day": 0}}}))
        calls.clear()
        r = c.http.post("/1.1/requestSmsCode", headers=h, body=json.dumps({"mobilePhoneNumber": "+8613100000000"}))
        assert r.status_code == 429, r.body
        out["send_blocked"] = list(calls)
        c.http.patch("/admin/v1/settings", headers=mh, body=json.dumps({"fraud_guard": "record", "fraud_thresholds": {}}))
        for label, fn in (("send", lambda: send("+8613000000001")),
                          ("verify_ok", lambda: verify("+8613000000001", code("+8613000000001"))),
                          ("verify_wrong", lambda: (send("+8613000000002"), calls.clear(),
                                                    verify("+8613000000002", "000000" if code("+8613000000002") != "000000" else "111111")))):
            calls.clear()
            fn()
            out[label] = list(calls)

        def lc(method, path, body=None, headers=None):
            r = getattr(c.http, method)(path, headers={**h, **(headers or {})}, body=json.dumps(body or {}))
            assert r.status_code < 300, (path, r.body)
            return json.loads(r.body)

        # the user system
        phone = "+8613000000003"
        calls.clear()
        user = lc("post", "/1.1/users", {"username": "bench", "password": "secret-123", "mobilePhoneNumber": phone})
        out["signup"] = list(calls)
        token = {"X-LC-Session": user["sessionToken"]}
        steps = [
            ("users_me", lambda: lc("get", "/1.1/users/me", headers=token)),
            ("login_password", lambda: lc("post", "/1.1/login", {"username": "bench", "password": "secret-123"})),
            ("request_verify", lambda: lc("post", "/1.1/requestMobilePhoneVerify", {"mobilePhoneNumber": phone})),
            # with the session, as the SDKs send it for a logged-in user (a proof without it
            # would leave the password unattested: the SMS login below would then end it)
            ("verify_phone_by_code", lambda: lc("post", f"/1.1/verifyMobilePhone/{code(phone)}", headers=token)),
            ("request_login_code", lambda: lc("post", "/1.1/requestLoginSmsCode", {"mobilePhoneNumber": phone})),
            ("login_sms", lambda: lc("post", "/1.1/login", {"mobilePhoneNumber": phone, "smsCode": code(phone)})),
            ("update_user", lambda: lc("put", f"/1.1/users/{user['objectId']}", {"nick": "b"}, headers=token)),
        ]
        for label, fn in steps:
            calls.clear()
            fn()
            out[label] = list(calls)
        send("+8613000000004")
        calls.clear()
        lc("post", "/1.1/usersByMobilePhone", {"mobilePhoneNumber": "+8613000000004", "smsCode": code("+8613000000004")})
        out["signup_by_phone"] = list(calls)

        # CloudBase /auth/v1
        def cb(path, body):
            r = c.http.post(f"/auth/v1/{path}", headers={"Content-Type": "text/plain"}, body=json.dumps(body))
            assert r.status_code == 200, (path, r.body)
            return json.loads(r.body)

        calls.clear()
        started = cb("verification", {"phone_number": "+86 13000000005"})
        out["cb_verification"] = list(calls)
        calls.clear()
        verified = cb("verification/verify", {"verification_id": started["verification_id"],
                                              "verification_code": code("+8613000000005")})
        out["cb_verify"] = list(calls)
        calls.clear()
        creds = cb("signup", {"phone_number": "+86 13000000005", "verification_token": verified["verification_token"]})
        out["cb_signup"] = list(calls)
        calls.clear()
        creds = cb("token", {"grant_type": "refresh_token", "refresh_token": creds["refresh_token"]})
        out["cb_refresh"] = list(calls)
        calls.clear()
        r = c.http.get("/auth/v1/user/me", headers={"Authorization": "Bearer " + creds["access_token"]})
        assert r.status_code == 200
        out["cb_user_me"] = list(calls)

        # a LeanCloud import: one batch of 500 users (each with phone, email, session, password)
        master = {**h, "X-LC-Key": KEYS["VERIKIT_MASTER_KEY"] + ",master"}
        calls.clear()
        r = c.http.post("/admin/v1/import/leancloud-users", headers=master, body=export_jsonl(500))
        assert r.status_code == 200 and json.loads(r.body)["created"] == 500, r.body
        out["import_500_users"] = list(calls)
        calls.clear()
        r = c.http.post("/admin/v1/import/leancloud-users", headers=master, body=export_jsonl(500))
        assert json.loads(r.body)["unchanged"] == 500, r.body
        out["reimport_500_unchanged"] = list(calls)
    return out


def mixed_workload(sends: int = 1000, threads: int = 8, verify_share: float = 0.8) -> dict:
    """Many numbers in several countries, many client IPs, 80% of codes verified, sent from
    ``threads`` threads. Records every item each DynamoDB write touches and reports the
    hottest item's share of the sends (and of the verifications) that wrote it, how often
    two sends share any written item (what a transaction conflict needs), and the
    transaction-conflict retries seen. moto runs DynamoDB requests one at a time and
    never reports a TransactionConflict, so there the retry rate is 0 by construction; the
    pair overlap is the figure that carries over to DynamoDB."""
    import random
    import threading
    from collections import Counter

    os.environ.update(KEYS)
    # the guard blocks (its conditions ride on every send) with the floors of an app that
    # has launched in these countries (a cold app would refuse this burst: no history yet)
    os.environ["VERIKIT_SETTINGS"] = json.dumps({
        **json.loads(FAST), "fraud_guard": "block", "allowed_regions": ["CN", "US", "GB", "DE", "IN", "BR"],
        "fraud_thresholds": {"country": {"floor_day": 100000, "floor_hour": 100000},
                             "prefix": {"floor_day": 1000, "floor_hour": 1000}}})
    from devserver.local import create_tables
    moto = shared_moto()
    create_tables()
    from chalicelib import wiring
    from chalicelib.core import guard
    from chalicelib.core.service import SendRequest
    from chalicelib.store import counters
    from chalicelib.store.base import connection

    wiring.reset()
    svc = wiring.service()
    client = connection().client
    local = threading.local()
    lock = threading.Lock()

    def keys_of(name, params):
        def k(table, key):
            return table.rsplit("-", 1)[-1] + ":" + "|".join(v.get("S", v.get("N", "")) for v in key.values())
        if name == "TransactWriteItems":
            for t in params["TransactItems"]:
                op = next(iter(t.values()))
                yield k(op["TableName"], op.get("Key") or {a: op["Item"][a] for a in ("pk", "sk") if a in op["Item"]})
        elif name in ("UpdateItem", "DeleteItem"):
            yield k(params["TableName"], params["Key"])
        elif name == "PutItem":
            yield k(params["TableName"], {a: params["Item"][a] for a in ("pk", "sk") if a in params["Item"]})

    def hook(model, params, **kwargs):
        if getattr(local, "items", None) is not None:
            local.items.update(keys_of(model.name, params))

    client.meta.events.register("before-parameter-build.dynamodb", hook)
    import phonenumbers
    rnd = random.Random(7)
    weights = {"CN": 50, "US": 20, "GB": 10, "DE": 8, "IN": 7, "BR": 5}
    examples = {c: phonenumbers.format_number(phonenumbers.example_number_for_type(c, phonenumbers.PhoneNumberType.MOBILE),
                                              phonenumbers.PhoneNumberFormat.E164) for c in weights}

    def number_in(country):
        while True:  # the example mobile number with its last 6 digits drawn at random
            n = examples[country][:-6] + "".join(rnd.choice("0123456789") for _ in range(6))
            if phonenumbers.is_valid_number(phonenumbers.parse(n)):
                return n

    plan = []
    for n in range(sends):
        country = rnd.choices(list(weights), list(weights.values()))[0]
        plan.append((number_in(country), f"10.{rnd.randrange(256)}.{rnd.randrange(256)}.{rnd.randrange(1, 255)}",
                     rnd.random() < verify_share))
    per_send, per_verify = [], []
    refused = Counter()
    before = dict(counters.STATS)
    todo = list(enumerate(plan))

    def worker():
        while True:
            with lock:
                if not todo:
                    return
                _, (number, ip, verifies) = todo.pop()
            local.items = set()
            try:
                svc.send(SendRequest(app_id=KEYS["VERIKIT_APP_ID"], phone=number, client_ip=ip))
            except Exception as e:  # noqa: BLE001 - counted, reported
                with lock:
                    refused[getattr(e, "limit", type(e).__name__)] += 1
                local.items = None
                continue
            sent_items, local.items = local.items, set()
            if verifies:
                body = wiring.outbox().list(number)[-1]["body"] if wiring.outbox().list(number) else ""
                import re as _re
                m = _re.search(r"is (\d+)", body)
                token = guard.CLIENT_IP.set(ip)
                try:
                    if m:
                        svc.verify(KEYS["VERIKIT_APP_ID"], number, m.group(1))
                except Exception as e:  # noqa: BLE001 - e.g. two draws of one number racing
                    with lock:
                        refused["verify_" + type(e).__name__] += 1
                finally:
                    guard.CLIENT_IP.reset(token)
            with lock:
                per_send.append(sent_items)
                if verifies:
                    per_verify.append(local.items)
            local.items = None

    started = time.perf_counter()
    pool = [threading.Thread(target=worker) for _ in range(threads)]
    [t.start() for t in pool]
    [t.join() for t in pool]
    elapsed = time.perf_counter() - started
    client.meta.events.unregister("before-parameter-build.dynamodb", hook)

    def hottest(groups):
        counts = Counter(i for g in groups for i in g)
        item, n = counts.most_common(1)[0]
        return {"item": item.split(":", 1)[0] + ":" + item.split(":", 1)[1].split("|")[-1], "writes": n,
                "share": round(n / len(groups), 4)}

    pairs = 20000
    overlap = sum(1 for _ in range(pairs) if rnd.choice(per_send) & rnd.choice(per_send)) / pairs
    done = {k: counters.STATS[k] - before[k] for k in before}
    return {"sends": len(per_send), "refused": dict(refused), "verified": len(per_verify), "threads": threads,
            "seconds": round(elapsed, 1), "items_per_send": round(sum(map(len, per_send)) / len(per_send), 1),
            "hottest_item_of_sends": hottest(per_send), "hottest_item_of_verifies": hottest(per_verify),
            "pairs_of_sends_sharing_an_item": round(overlap, 4),
            "transactions": done["commits"], "conflict_retries": done["conflicts"],
            "conflict_retry_rate": round(done["conflicts"] / max(1, done["commits"]), 4),
            "shard_moves": done["shard_moves"]}


def export_jsonl(n: int, start: int = 0) -> str:
    """A LeanCloud _User export of n users, as the console exports it (JSONL)."""
    from chalicelib.core.passwords import leancloud_digest
    digest = leancloud_digest("benchsalt", "bench-password")
    return "\n".join(json.dumps({
        "objectId": f"{i:024x}", "username": f"lcuser{i}", "createdAt": "2025-01-01T00:00:00.000Z",
        "updatedAt": "2025-06-01T00:00:00.000Z", "mobilePhoneNumber": f"+86137{i:08d}", "mobilePhoneVerified": True,
        "email": f"user{i}@example.com", "password": digest, "salt": "benchsalt",
        "sessionToken": f"benchtoken{i:016d}", "nickname": f"n{i}"}) for i in range(start, start + n))


def import_rate(n: int = 5000) -> dict:
    """Users/s through `make import-leancloud`'s client against the local server (moto behind
    it, DynamoDB requests serialised): a full import, then the same file again (unchanged)."""
    from load import start_server
    url, proc = start_server(json.loads(FAST), keys=KEYS)
    path = Path(tempfile.mkdtemp()) / "_User.jsonl"
    path.write_text(export_jsonl(n) + "\n")
    import io
    from deploy.import_leancloud import Client, run
    out = {"users": n}
    try:
        client = Client(url, KEYS["VERIKIT_APP_ID"], KEYS["VERIKIT_MASTER_KEY"], False)
        for label in ("import", "reimport"):
            sink = io.StringIO()
            t = time.perf_counter()
            code = run(str(path), client, batch=500, parallel=4, out=sink, err=io.StringIO())
            elapsed = time.perf_counter() - t
            assert code == 0, sink.getvalue()
            out[f"{label}_s"] = round(elapsed, 1)
            out[f"{label}_users_per_s"] = round(n / elapsed)
    finally:
        proc.terminate()
        proc.wait(10)
    return out


def import_ratio(runs: int = 15) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VERIKIT_LOCAL", "AWS_ENDPOINT"))}

    def median(stmt):
        times = []
        for _ in range(runs):
            t = time.perf_counter()
            subprocess.run([PY, "-c", stmt], cwd=ROOT, env=env, check=True)
            times.append(time.perf_counter() - t)
        # the fastest run: on a shared machine the others measure the neighbours' load
        return min(times)

    empty = median("pass")
    base = median("import chalice, boto3") - empty
    app = median("import app") - empty
    # what the first send on a cold instance imports on top (store, SNS channel, numbers)
    hot = median("import app, botocore.session, phonenumbers; import chalicelib.store.codes, "
                 "chalicelib.store.stats, chalicelib.channels.sns, chalicelib.wiring, chalicelib.metrics, "
                 "aws_lambda_powertools.metrics") - empty
    # a login: the user store and argon2 on top of that
    login = median("import app, botocore.session, phonenumbers, argon2; import chalicelib.store.users, "
                   "chalicelib.store.codes, chalicelib.store.counters, chalicelib.channels.sns, chalicelib.wiring") - empty
    return {"chalice+boto3_ms": round(base * 1000, 1), "app_ms": round(app * 1000, 1),
            "ratio": round(app / base, 2), "app_plus_send_path_ms": round(hot * 1000, 1),
            "send_path_ratio": round(hot / base, 2), "app_plus_login_path_ms": round(login * 1000, 1),
            "login_path_ratio": round(login / base, 2)}


def first_send(runs: int = 7) -> dict:
    """Cold start as a new Lambda instance pays it: ``import app`` plus the first send
    (config read, code written, SMS into moto), in a fresh interpreter, against moto; as a
    ratio to ``import chalice, boto3``."""
    from devserver.local import create_tables
    moto = shared_moto()
    os.environ["AWS_ENDPOINT_URL"] = moto.url
    create_tables()
    env = {**os.environ, **KEYS, "VERIKIT_LOCAL": "", "VERIKIT_SETTINGS": FAST, "VERIKIT_METRICS": "1"}
    script = (
        "import time, json, sys, io; t = time.perf_counter()\n"
        "from app import app\n"
        "from chalice.test import Client\n"
        "t1 = time.perf_counter()\n"
        "c = Client(app, project_dir='/tmp')\n"
        "out, sys.stdout = sys.stdout, io.StringIO()\n"
        "r = c.http.post('/1.1/requestSmsCode', headers={'X-LC-Id': 'benchapp', 'X-LC-Key': 'bench-key'},"
        " body=json.dumps({'mobilePhoneNumber': '+86137%08d' % int(sys.argv[1])}))\n"
        "sys.stdout = out\n"
        "assert r.status_code == 200, r.body\n"
        "print(json.dumps([t1 - t, time.perf_counter() - t1]))\n")
    imports, sends, base = [], [], []
    for i in range(runs):
        p = subprocess.run([PY, "-c", script, str(i)], cwd=ROOT, env=env, check=True, capture_output=True, text=True)
        a, b = json.loads(p.stdout.strip().splitlines()[-1])
        imports.append(a)
        sends.append(b)
        p = subprocess.run([PY, "-c", "import time; t = time.perf_counter(); import chalice, boto3; "
                            "print(time.perf_counter() - t)"], cwd=ROOT, env=env, check=True,
                           capture_output=True, text=True)
        base.append(float(p.stdout.strip()))
    imp, snd, b = min(imports), min(sends), min(base)  # fastest runs (a shared machine)
    return {"import_app_ms": round(imp * 1000, 1), "first_send_ms": round(snd * 1000, 1),
            "chalice+boto3_ms": round(b * 1000, 1), "import_plus_first_send_ratio": round((imp + snd) / b, 2)}


def package_size() -> dict:
    out = Path(tempfile.mkdtemp()) / "pkg"
    subprocess.run([str(Path(PY).parent / "chalice"), "package", "--stage", "dev", str(out)],
                   cwd=ROOT, check=True, capture_output=True)
    z, layer = out / "deployment.zip", out / "layer-deployment.zip"
    with zipfile.ZipFile(z) as zf:
        has_botocore = any(n.startswith("botocore/") for n in zf.namelist())
    return {"function_zip_bytes": z.stat().st_size, "function_zip_kb": round(z.stat().st_size / 1024, 1),
            "layer_zip_bytes": layer.stat().st_size if layer.exists() else 0,
            "layer_zip_mb": round(layer.stat().st_size / 1e6, 2) if layer.exists() else 0,
            "contains_botocore": has_botocore}


def latency(n: int = 300) -> dict:
    from load import start_server
    url, proc = start_server(json.loads(FAST), keys=KEYS)
    try:
        h = {"X-LC-Id": KEYS["VERIKIT_APP_ID"], "X-LC-Key": KEYS["VERIKIT_APP_KEY"],
             "Content-Type": "application/json"}

        def post(path, body):
            t = time.perf_counter()
            req = urllib.request.Request(url + path, json.dumps(body).encode(), h, method="POST")
            with urllib.request.urlopen(req, timeout=10) as r:
                r.read()
            return (time.perf_counter() - t) * 1000

        sends, verifies = [], []
        for i in range(n):
            phone = f"+86139{i:08d}"
            sends.append(post("/1.1/requestSmsCode", {"mobilePhoneNumber": phone}))
        outbox = json.loads(urllib.request.urlopen(url + "/dev/outbox").read())
        codes = {e["to"]: re.search(r"is (\d+)", e["body"]).group(1) for e in outbox}
        for phone, code in codes.items():
            verifies.append(post(f"/1.1/verifySmsCode/{code}", {"mobilePhoneNumber": phone}))
        post("/1.1/users", {"username": "lat", "password": "secret-123"})
        logins = [post("/1.1/login", {"username": "lat", "password": "secret-123"}) for _ in range(min(n, 50))]
    finally:
        proc.terminate()
        proc.wait(10)

    def pct(xs, p):
        xs = sorted(xs)
        return round(xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))], 1)

    return {"requests_each": n, "send_p50_ms": pct(sends, 50), "send_p99_ms": pct(sends, 99),
            "verify_p50_ms": pct(verifies, 50), "verify_p99_ms": pct(verifies, 99),
            "login_password_p50_ms": pct(logins, 50), "login_password_p99_ms": pct(logins, 99),
            "logins": len(logins)}


def console_figures() -> dict:
    """The operator console: DynamoDB round trips of its user admin routes (a moto of its
    own), and the size of its static files, raw and zipped (they ship in the package)."""
    import io
    os.environ.update(KEYS)
    os.environ["VERIKIT_SETTINGS"] = FAST
    from devserver.local import create_tables
    shared_moto()  # the process's one DynamoDB client talks to it
    create_tables()
    from chalice.test import Client

    from app import app
    from chalicelib import wiring
    from chalicelib.store.base import connection

    wiring.reset()
    calls: list = []
    connection().client.meta.events.register("before-call.dynamodb", lambda model, **kw: calls.append(model.name))
    h = {"X-LC-Id": KEYS["VERIKIT_APP_ID"], "X-LC-Key": KEYS["VERIKIT_APP_KEY"]}
    m = {"X-LC-Id": KEYS["VERIKIT_APP_ID"], "X-LC-Key": KEYS["VERIKIT_MASTER_KEY"] + ",master"}
    out = {}
    with Client(app, project_dir=tempfile.mkdtemp()) as c:
        r = c.http.post("/1.1/users", headers=h, body=json.dumps(
            {"username": "ops", "password": "secret-123", "mobilePhoneNumber": "+8613000000009"}))
        uid = json.loads(r.body)["objectId"]
        c.http.get("/admin/v1/settings", headers=m)  # config cached, as in a warm instance
        for label, method, path in (("find_by_phone", "GET", "/admin/v1/users?phone=%2B8613000000009"),
                                    ("get_user", "GET", f"/admin/v1/users/{uid}"),
                                    ("revoke_sessions", "POST", f"/admin/v1/users/{uid}/revokeSessions"),
                                    ("lift_lockout", "DELETE", f"/admin/v1/users/{uid}/lockout"),
                                    ("delete_user", "DELETE", f"/admin/v1/users/{uid}")):
            calls.clear()
            r = c.http.request(method, path, headers=m, body=b"")
            assert r.status_code == 200, (path, r.body)
            out[label] = list(calls)
    files = sorted((ROOT / "chalicelib" / "console").iterdir())
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for f in files:
            zf.write(f, f.name)
    out["files"] = len(files)
    out["raw_bytes"] = sum(f.stat().st_size for f in files)
    out["zipped_bytes"] = len(buf.getvalue())
    return out


def slow_provider(n: int = 48, threads: int = 8) -> dict:
    """p50/p99 of a send when the provider takes 1 s (``VERIKIT_DEV_PROVIDER_DELAY_MS=1000``
    on a local server), sends from ``threads`` threads to distinct numbers."""
    from concurrent.futures import ThreadPoolExecutor

    from load import Recorder, pct, start_server
    url, proc = start_server(json.loads(FAST), delay_ms=1000)
    try:
        r = Recorder(url)
        with ThreadPoolExecutor(threads) as pool:
            statuses = list(pool.map(lambda i: r.call("send", "POST", "/1.1/requestSmsCode",
                                                       {"mobilePhoneNumber": f"+86137{i:08d}"})[0], range(n)))
    finally:
        proc.terminate()
        proc.wait(10)
    ms = [m for _, _, m in r.samples]
    return {"sends": n, "threads": threads, "ok": statuses.count(200), "send_p50_ms": pct(ms, 50),
            "send_p99_ms": pct(ms, 99), "max_ms": round(max(ms), 1)}


if __name__ == "__main__":
    rt = round_trips()
    print("DynamoDB round trips (send_cold: first request of an instance; others warm):")
    for k, v in rt.items():
        print(f"  {k:21s} {len(v)}  {v}")
    print("Mixed workload:", json.dumps(mixed_workload()))
    print("Cold-start imports:", json.dumps(import_ratio()))
    print("Cold start, import + first send:", json.dumps(first_send()))
    print("Lambda package:", json.dumps(package_size()))
    print("Latency via local server:", json.dumps(latency()))
    print("LeanCloud import via local server:", json.dumps(import_rate()))
    cf = console_figures()
    print("Console: DynamoDB round trips of the user admin routes (warm):")
    for k in ("find_by_phone", "get_user", "revoke_sessions", "lift_lockout", "delete_user"):
        print(f"  {k:21s} {len(cf[k])}  {cf[k]}")
    print(f"Console static files: {cf['files']} files, {cf['raw_bytes']} bytes, {cf['zipped_bytes']} bytes zipped")
    print("Send with a provider taking 1 s:", json.dumps(slow_provider()))
    import cutover  # bench/cutover.py: the simulated cutover and the single-country hot items
    print("Cutover simulation (fresh stage, deployed defaults):", json.dumps(cutover.report(moto=shared_moto())))
    if _moto:
        _moto[0].stop()
