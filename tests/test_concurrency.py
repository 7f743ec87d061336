"""Single use and rate limits under concurrency, on DynamoDB semantics.

moto alone does not serialise concurrent writes (see devserver/moto_server.py); these
tests run against the serialised moto that the harness and `make run` use, which behaves
as DynamoDB does.
"""
import json
import re
import threading
import urllib.error
import urllib.request

from chalicelib.channels.outbox import Outbox, RecordOnly
from chalicelib.core.errors import InvalidCode, RateLimited
from chalicelib.core.service import OTPService, SendRequest
from chalicelib.core.config import AppConfig, StaticConfig
from chalicelib.core.settings import Settings
from chalicelib.store.codes import DynamoCodeStore
from conftest import KEYS

PHONE = "+8613800138000"
N = 50


def run_threads(fn, n=N):
    barrier = threading.Barrier(n)
    results = [None] * n

    def worker(i):
        barrier.wait()
        try:
            results[i] = ("ok", fn(i))
        except Exception as e:  # noqa: BLE001 - we count outcomes
            results[i] = ("err", e)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def service(**overrides):
    outbox = Outbox()
    ch = RecordOnly(outbox)
    return OTPService(DynamoCodeStore(), {"sms": ch}, StaticConfig(AppConfig(settings=Settings.from_mapping(overrides))),
                      b"secret"), outbox


def test_fifty_concurrent_verifies_of_one_code_succeed_exactly_once():
    svc, outbox = service()
    svc.send(SendRequest(app_id="app", phone=PHONE))
    code = re.search(r"is (\d+)", outbox.list()[0]["body"]).group(1)
    results = run_threads(lambda i: svc.verify("app", PHONE, code))
    oks = [r for r in results if r[0] == "ok"]
    assert len(oks) == 1
    assert all(isinstance(r[1], InvalidCode) for r in results if r[0] == "err")


def test_fifty_concurrent_sends_to_one_number_never_exceed_the_daily_cap():
    svc, outbox = service(cooldown_seconds=0, per_number_daily=10)
    results = run_threads(lambda i: svc.send(SendRequest(app_id="app", phone=PHONE)))
    assert len(outbox.list()) == 10
    assert sum(r[0] == "ok" for r in results) == 10
    assert all(isinstance(r[1], RateLimited) for r in results if r[0] == "err")


def test_fifty_concurrent_sends_pass_the_cooldown_once():
    svc, outbox = service()
    results = run_threads(lambda i: svc.send(SendRequest(app_id="app", phone=PHONE)))
    assert sum(r[0] == "ok" for r in results) == 1 and len(outbox.list()) == 1


def test_concurrent_sends_from_one_ip_never_exceed_its_hourly_cap():
    svc, outbox = service(cooldown_seconds=0, per_ip_hourly=7)
    results = run_threads(lambda i: svc.send(SendRequest(
        app_id="app", phone=f"+86138001380{i:02d}", client_ip="9.9.9.9")))
    assert sum(r[0] == "ok" for r in results) == 7 and len(outbox.list()) == 7


def post(url, path, body):
    req = urllib.request.Request(url + path, data=json.dumps(body).encode(), method="POST", headers={
        "X-LC-Id": KEYS["VERIKIT_APP_ID"], "X-LC-Key": KEYS["VERIKIT_APP_KEY"],
        "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


def test_fifty_concurrent_http_verifies_through_the_local_server(local_server):
    phone = "+8613900139000"
    assert post(local_server, "/1.1/requestSmsCode", {"mobilePhoneNumber": phone})[0] == 200
    sent = json.loads(urllib.request.urlopen(f"{local_server}/dev/outbox?to=%2B8613900139000").read())
    code = re.search(r"is (\d+)", sent[-1]["body"]).group(1)
    results = run_threads(lambda i: post(local_server, f"/1.1/verifySmsCode/{code}", {"mobilePhoneNumber": phone}))
    statuses = sorted(r[1][0] for r in results)
    assert statuses.count(200) == 1, statuses
    assert all(r[1] == (400, {"code": 603, "error": "invalid verification code"})
               for r in results if r[1][0] != 200)
