"""``make load``: a bounded load run against ``make run`` (devserver) on 127.0.0.1.

Scenarios (sizes from LOAD_NUMBERS / LOAD_THREADS / LOAD_ROUNDS):
1. many numbers: a send, the code read from the dev outbox, a verify, and a second verify
   of the same code (must fail), from a pool of threads;
2. concurrent verifies of one code: exactly one may succeed;
3. concurrent sends past a cap (``per_number_daily`` 5, no cooldown): exactly 5 go out; and
   concurrent sends inside one cooldown: exactly 1 goes out;
4. concurrent sign-ups with one phone: exactly one user gets it (``POST /1.1/users``), and
   concurrent ``usersByMobilePhone`` with one code: exactly one succeeds.

Reports throughput, p50/p99 per kind of request, the 5xx count (must be 0) and every limit
or single-use rule broken (must be none); exits 1 otherwise.
"""
from __future__ import annotations

import json
import os
import re
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
KEYS = {"VERIKIT_APP_ID": "loadapp", "VERIKIT_APP_KEY": "load-key",
        "VERIKIT_MASTER_KEY": "load-master", "VERIKIT_CODE_SECRET": "load-secret"}
H = {"X-LC-Id": KEYS["VERIKIT_APP_ID"], "X-LC-Key": KEYS["VERIKIT_APP_KEY"], "Content-Type": "application/json"}
MASTER = {**H, "X-LC-Key": KEYS["VERIKIT_MASTER_KEY"] + ",master"}
NUMBERS = int(os.environ.get("LOAD_NUMBERS", "300"))
THREADS = int(os.environ.get("LOAD_THREADS", "16"))
ROUNDS = int(os.environ.get("LOAD_ROUNDS", "8"))


def start_server(settings: dict, delay_ms: int = 0, keys: dict = KEYS):
    """``python -m devserver`` on a free port of 127.0.0.1 with these keys and settings, once
    it answers: (url, process)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**{k: v for k, v in os.environ.items() if k not in ("AWS_ENDPOINT_URL", "VERIKIT_LOCAL")},
           **keys, "PORT": str(port), "VERIKIT_SETTINGS": json.dumps(settings),
           "VERIKIT_DEV_PROVIDER_DELAY_MS": str(delay_ms)}
    proc = subprocess.Popen([PY, "-m", "devserver"], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            urllib.request.urlopen(url + "/openapi.json", timeout=1).read()
            return url, proc
        except Exception:
            if proc.poll() is not None:
                raise SystemExit("the local server did not start")
            time.sleep(0.1)
    proc.kill()
    raise SystemExit("the local server did not start")


class Recorder:
    def __init__(self, url: str):
        self.url = url
        self.lock = threading.Lock()
        self.samples: list = []   # (kind, status, ms)
        self.broken: list = []

    def call(self, kind: str, method: str, path: str, body=None, headers=None):
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.url + path, data, headers or H, method=method)
        t = time.perf_counter()
        try:
            with urllib.request.urlopen(req, timeout=30) as r:
                status, raw = r.status, r.read()
        except urllib.error.HTTPError as e:
            status, raw = e.code, e.read()
        ms = (time.perf_counter() - t) * 1000
        with self.lock:
            self.samples.append((kind, status, ms))
        try:
            return status, json.loads(raw) if raw else None
        except ValueError:
            return status, raw

    def rule(self, ok: bool, what: str) -> None:
        if not ok:
            with self.lock:
                self.broken.append(what)

    def code(self, phone: str) -> str:
        _, sent = self.call("outbox", "GET", "/dev/outbox?to=" + urllib.request.quote(phone))
        return re.search(r"is (\d+)", sent[-1]["body"]).group(1)


def together(n: int, fn) -> list:
    """Run ``fn(i)`` for i in range(n) at the same moment (a barrier), return the results."""
    barrier = threading.Barrier(n)

    def run(i):
        barrier.wait()
        return fn(i)

    with ThreadPoolExecutor(n) as pool:
        return list(pool.map(run, range(n)))


def many_numbers(r: Recorder) -> None:
    def one(i):
        phone = f"+86130{i:08d}"
        status, body = r.call("send", "POST", "/1.1/requestSmsCode", {"mobilePhoneNumber": phone})
        r.rule(status == 200, f"send to {phone}: {status} {body}")
        if status != 200:
            return
        code = r.code(phone)
        status, body = r.call("verify", "POST", f"/1.1/verifySmsCode/{code}", {"mobilePhoneNumber": phone})
        r.rule(status == 200, f"verify {phone}: {status} {body}")
        status, _ = r.call("verify", "POST", f"/1.1/verifySmsCode/{code}", {"mobilePhoneNumber": phone})
        r.rule(status == 400, f"a code verified twice ({phone})")

    with ThreadPoolExecutor(THREADS) as pool:
        list(pool.map(one, range(NUMBERS)))


def one_code_many_verifies(r: Recorder) -> None:
    for k in range(ROUNDS):
        phone = f"+86135{k:08d}"
        r.call("send", "POST", "/1.1/requestSmsCode", {"mobilePhoneNumber": phone})
        code = r.code(phone)
        results = together(THREADS, lambda i: r.call("verify", "POST", f"/1.1/verifySmsCode/{code}",
                                                     {"mobilePhoneNumber": phone})[0])
        r.rule(results.count(200) == 1, f"one code, {THREADS} concurrent verifies: {results.count(200)} succeeded")


def sends_past_a_cap(r: Recorder) -> None:
    status, _ = r.call("admin", "PATCH", "/admin/v1/settings", {"cooldown_seconds": 0, "per_number_daily": 5}, MASTER)
    assert status == 200
    for k in range(ROUNDS):
        phone = f"+86136{k:08d}"
        results = together(THREADS + 8, lambda i: r.call("send", "POST", "/1.1/requestSmsCode",
                                                         {"mobilePhoneNumber": phone})[0])
        r.rule(results.count(200) == 5 and results.count(429) == len(results) - 5,
               f"daily cap 5, {len(results)} concurrent sends: {results.count(200)} went out")
    status, _ = r.call("admin", "PATCH", "/admin/v1/settings", {"cooldown_seconds": 60, "per_number_daily": 10}, MASTER)
    assert status == 200
    for k in range(ROUNDS):
        phone = f"+86137{k:08d}"
        results = together(THREADS, lambda i: r.call("send", "POST", "/1.1/requestSmsCode",
                                                     {"mobilePhoneNumber": phone})[0])
        r.rule(results.count(200) == 1, f"cooldown, {THREADS} concurrent sends: {results.count(200)} went out")


def signups_with_one_phone(r: Recorder) -> None:
    n = max(2, THREADS // 2)  # argon2 hashing makes sign-ups CPU-bound
    for k in range(ROUNDS):
        phone = f"+86138{k:08d}"
        results = together(n, lambda i: r.call("signup", "POST", "/1.1/users", {
            "username": f"load{k}x{i}", "password": "load-pass-1", "mobilePhoneNumber": phone}))
        won = [s for s, _ in results if s == 201]
        r.rule(len(won) == 1 and all(b.get("code") == 214 for s, b in results if s != 201),
               f"{n} concurrent sign-ups with {phone}: {len(won)} got it")
        phone = f"+86139{k:08d}"
        r.call("send", "POST", "/1.1/requestSmsCode", {"mobilePhoneNumber": phone})
        code = r.code(phone)
        results = together(n, lambda i: r.call("signup", "POST", "/1.1/usersByMobilePhone",
                                               {"mobilePhoneNumber": phone, "smsCode": code})[0])
        r.rule(results.count(201) == 1 and results.count(200) == 0,
               f"{n} concurrent usersByMobilePhone with one code: {results.count(201)} created")


def pct(xs: list, p: float) -> float:
    xs = sorted(xs)
    return round(xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))], 1) if xs else 0.0


def main() -> int:
    url, proc = start_server({"allowed_regions": ["*"], "per_ip_hourly": 0, "verification_per_ip_hourly": 0,
                              "per_app_daily": 0})
    r = Recorder(url)
    started = time.perf_counter()
    try:
        for label, scenario in (("many numbers", many_numbers), ("one code, many verifies", one_code_many_verifies),
                                ("sends past a cap", sends_past_a_cap),
                                ("sign-ups with one phone", signups_with_one_phone)):
            t = time.perf_counter()
            n = len(r.samples)
            scenario(r)
            print(f"  {label:26s} {len(r.samples) - n:5d} requests in {time.perf_counter() - t:5.1f} s", flush=True)
    finally:
        proc.terminate()
        proc.wait(10)
    elapsed = time.perf_counter() - started
    statuses = [s for _, s, _ in r.samples]
    fives = sum(1 for s in statuses if s >= 500)
    print(f"load: {len(r.samples)} requests in {elapsed:.1f} s = {len(r.samples) / elapsed:.0f} req/s "
          f"({THREADS} threads, {NUMBERS} numbers, {ROUNDS} rounds per race)")
    for kind in ("send", "verify", "signup", "outbox"):
        ms = [m for k, _, m in r.samples if k == kind]
        if ms:
            print(f"  {kind:7s} n={len(ms):5d}  p50 {pct(ms, 50):7.1f} ms  p99 {pct(ms, 99):7.1f} ms  "
                  f"max {max(ms):7.1f} ms")
    print(f"  5xx: {fives}")
    print(f"  rules broken: {len(r.broken)}")
    for b in r.broken[:20]:
        print(f"    {b}")
    print(json.dumps({"requests": len(r.samples), "seconds": round(elapsed, 1),
                      "throughput_rps": round(len(r.samples) / elapsed), "5xx": fives,
                      "broken": len(r.broken),
                      **{f"{k}_p50_ms": pct([m for kk, _, m in r.samples if kk == k], 50) for k in ("send", "verify", "signup")},
                      **{f"{k}_p99_ms": pct([m for kk, _, m in r.samples if kk == k], 99) for k in ("send", "verify", "signup")},
                      "median_ms": round(statistics.median(m for _, _, m in r.samples), 1)}))
    return 1 if fives or r.broken else 0


if __name__ == "__main__":
    sys.exit(main())
