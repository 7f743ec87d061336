"""verikit benchmark (a script, not a test): prints the figures quoted in the README.

1. Every flow's DynamoDB round trips and write/read units, other AWS calls, and time spent
   outside AWS (bench/flows.py, counted by bench/meter.py), checked against the README's
   table "Round trips and units per flow" (a flow above its figure is reported, and fails
   tests/test_round_trips.py); what a verification, a sign-up and a login cost
   (bench/cost.py).
2. The cold start: everything a new instance's first send imports, against
   ``import chalice, boto3`` (bench/coldstart.py), and the ten most expensive imports.
3. The zipped Lambda package and layer sizes from `chalice package`.
4. p50/p99 latency of send and verify through the local server (`make run`), 127.0.0.1.
5. The LeanCloud import: users/s through `make import-leancloud`'s client, and CPU per user
   (bench/importer.py).

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
import urllib.request
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
PY = sys.executable
KEYS = {"VERIKIT_APP_ID": "benchapp", "VERIKIT_APP_KEY": "bench-key",
        "VERIKIT_MASTER_KEY": "bench-master", "VERIKIT_CODE_SECRET": "bench-secret"}
from flows import FAST as _FAST  # noqa: E402

FAST = json.dumps(_FAST)


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


def package_size() -> dict:
    from deploy.__main__ import fresh_bytecode
    from deploy.layer import with_bytecode_all

    fresh_bytecode(ROOT)
    with_bytecode_all(ROOT)  # as make package does
    out = Path(tempfile.mkdtemp()) / "pkg"
    subprocess.run([str(Path(PY).parent / "chalice"), "package", "--stage", "dev", str(out)],
                   cwd=ROOT, check=True, capture_output=True)
    z, layer = out / "deployment.zip", out / "layer-deployment.zip"
    with zipfile.ZipFile(z) as zf:
        has_botocore = any(n.startswith("botocore/") for n in zf.namelist())
    return {"dir": str(out), "function_zip_bytes": z.stat().st_size, "function_zip_kb": round(z.stat().st_size / 1024, 1),
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


def flow_table(keys: dict) -> dict:
    """bench/flows.py on a fresh moto, printed beside the README's figures."""
    import cost
    import flows

    os.environ.update(keys)
    from devserver.local import create_tables
    shared_moto()
    create_tables()
    out = flows.run(keys)
    readme = flows.readme_round_trips()
    print("DynamoDB round trips and units per flow (send_cold: first request of an instance; others warm;"
          " README: the figure in README \"Round trips and units per flow\"):")
    print(f"  {'flow':24s} {'trips':>5s} {'README':>6s} {'WRU':>7s} {'RRU':>7s} {'CPU ms':>8s}  calls")
    for k, v in out.items():
        mark = "" if k not in readme else " ABOVE THE README" if v["round_trips"] > readme[k] else \
            " (README says more: update it)" if v["round_trips"] < readme[k] else ""
        print(f"  {k:24s} {v['round_trips']:5d} {readme.get(k, '-')!s:>6s} {v['wru']:7g} {v['rru']:7g} "
              f"{v['cpu_ms']:8.1f}  {' '.join(v['ops'])}{mark}")
    print(cost.report(out))
    return out


if __name__ == "__main__":
    import coldstart
    import importer

    fl = flow_table(KEYS)
    package = package_size()
    print("Lambda package:", json.dumps(package))
    cold = coldstart.measure(KEYS, Path(package["dir"]))
    print(coldstart.report(cold))
    print("Mixed workload:", json.dumps(mixed_workload()))
    print("Latency via local server:", json.dumps(latency()))
    os.environ["VERIKIT_SETTINGS"] = FAST
    shared_moto()
    from devserver.local import create_tables
    create_tables()
    server = importer.server_cpu(KEYS)
    print("LeanCloud import, the route's CPU per user (moto's excluded):", json.dumps(server))
    tool = importer.rate(KEYS, json.loads(FAST))
    print("LeanCloud import via `make import-leancloud` on a local server:", json.dumps(tool))
    print("  " + importer.million(fl, server, tool))
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
