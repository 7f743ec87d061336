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
import statistics
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
FAST = json.dumps({"cooldown_seconds": 0, "per_number_daily": 1000, "per_ip_hourly": 100000,
                   "per_app_daily": 10_000_000, "allowed_regions": ["*"]})


def round_trips() -> dict:
    os.environ.update(KEYS)
    os.environ["VERIKIT_SETTINGS"] = FAST
    from devserver.local import create_tables, start_moto
    moto = start_moto()
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
    moto.stop()
    return out


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
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**{k: v for k, v in os.environ.items() if k not in ("AWS_ENDPOINT_URL", "VERIKIT_LOCAL")},
           **KEYS, "PORT": str(port), "VERIKIT_SETTINGS": FAST}
    proc = subprocess.Popen([PY, "-m", "devserver"], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    path = Path(tempfile.mkdtemp()) / "_User.jsonl"
    path.write_text(export_jsonl(n) + "\n")
    import io
    from deploy.import_leancloud import Client, run
    out = {"users": n}
    try:
        for _ in range(150):
            try:
                urllib.request.urlopen(url + "/dev/outbox", timeout=1).read()
                break
            except Exception:
                time.sleep(0.2)
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
        return statistics.median(times)

    empty = median("pass")
    base = median("import chalice, boto3") - empty
    app = median("import app") - empty
    # what the first send on a cold instance imports on top (store, SNS channel, numbers)
    hot = median("import app, botocore.session, phonenumbers; import chalicelib.store.codes, "
                 "chalicelib.channels.sns, chalicelib.wiring") - empty
    # a login: the user store and argon2 on top of that
    login = median("import app, botocore.session, phonenumbers, argon2; import chalicelib.store.users, "
                   "chalicelib.store.codes, chalicelib.store.counters, chalicelib.channels.sns, chalicelib.wiring") - empty
    return {"chalice+boto3_ms": round(base * 1000, 1), "app_ms": round(app * 1000, 1),
            "ratio": round(app / base, 2), "app_plus_send_path_ms": round(hot * 1000, 1),
            "send_path_ratio": round(hot / base, 2), "app_plus_login_path_ms": round(login * 1000, 1),
            "login_path_ratio": round(login / base, 2)}


def package_size() -> dict:
    out = Path(tempfile.mkdtemp()) / "pkg"
    subprocess.run([str(Path(PY).parent / "chalice"), "package", "--stage", "dev", str(out)],
                   cwd=ROOT, check=True, capture_output=True)
    z = out / "deployment.zip"
    with zipfile.ZipFile(z) as zf:
        has_botocore = any(n.startswith("botocore/") for n in zf.namelist())
        has_pynamodb = any(n.startswith("pynamodb/") for n in zf.namelist())
    return {"zip_bytes": z.stat().st_size, "zip_mb": round(z.stat().st_size / 1e6, 2),
            "contains_botocore": has_botocore, "contains_pynamodb": has_pynamodb}


def latency(n: int = 300) -> dict:
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**{k: v for k, v in os.environ.items() if k not in ("AWS_ENDPOINT_URL", "VERIKIT_LOCAL")},
           **KEYS, "PORT": str(port), "VERIKIT_SETTINGS": FAST}
    proc = subprocess.Popen([PY, "-m", "devserver"], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(150):
            try:
                urllib.request.urlopen(url + "/dev/outbox", timeout=1).read()
                break
            except Exception:
                time.sleep(0.2)
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
    from devserver.local import create_tables, start_moto
    moto = start_moto()
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
    moto.stop()
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
    print("Cold-start imports:", json.dumps(import_ratio()))
    print("Lambda package:", json.dumps(package_size()))
    print("Latency via local server:", json.dumps(latency()))
    print("LeanCloud import via local server:", json.dumps(import_rate()))
    cf = console_figures()
    print("Console: DynamoDB round trips of the user admin routes (warm):")
    for k in ("find_by_phone", "get_user", "revoke_sessions", "lift_lockout", "delete_user"):
        print(f"  {k:21s} {len(cf[k])}  {cf[k]}")
    print(f"Console static files: {cf['files']} files, {cf['raw_bytes']} bytes, {cf['zipped_bytes']} bytes zipped")
    print("Send with a provider taking 1 s:", json.dumps(slow_provider()))
