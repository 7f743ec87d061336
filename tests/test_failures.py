"""What clients see, and what is left stored, when DynamoDB or a message provider fails
(injected at botocore's transport: tests/faults.py)."""
from __future__ import annotations

import json
import time

import pytest

from chalicelib import aws, deadline, wiring
from chalicelib.core.errors import InvalidCode, SendFailed
from chalicelib.store.base import connection
from chalicelib.store.codes import CodeModel
from chalicelib.store.counters import CounterModel
from conftest import last_code
from faults import (connect_timeout, dynamodb_error, inject, query_error, read_timeout,
                    rest_json_error)

PHONE = "+8613800138000"


def counted(prefix: str) -> list:
    """Each sliding counter whose key starts with ``prefix``: its charges, summed over the
    windows on its item (``store/windows.py``)."""
    from chalicelib.store.windows import seen
    items = ddb().scan(TableName=CounterModel.Meta.table_name, ConsistentRead=True)["Items"]
    return [sum(n for _, n, _ in seen(i)) for i in items if i["pk"]["S"].startswith(prefix)]


def ddb():
    return connection().client


def nothing_stored():
    return CodeModel.count() == 0 and CounterModel.count() == 0


# ---- DynamoDB ----------------------------------------------------------------------------------

def test_a_throttled_write_is_retried_and_the_send_goes_through(lc):
    with inject(ddb(), "TransactWriteItems", dynamodb_error("ProvisionedThroughputExceededException"),
                times=1) as fault:
        status, body = lc.request_code(PHONE)
    assert status == 200, body
    assert fault.attempts == 1 and len(wiring.outbox().list(PHONE)) == 1


@pytest.mark.parametrize("fault", [dynamodb_error("ProvisionedThroughputExceededException"),
                                   dynamodb_error("ThrottlingException"), read_timeout, connect_timeout],
                         ids=["throughput", "throttling", "read-timeout", "connect-timeout"])
def test_dynamodb_failing_ends_in_try_again_with_nothing_written(lc, fault):
    with inject(ddb(), "TransactWriteItems", fault) as injected:
        status, body = lc.request_code(PHONE)
    r = lc.client.http.post("/1.1/requestSmsCode", headers=lc.headers,
                            body=json.dumps({"mobilePhoneNumber": PHONE}))
    assert r.status_code == 200  # no cooldown was left behind by the failed attempt
    assert status == 503 and body["code"] == 1 and "try again" in body["error"], body
    assert injected.attempts == deadline.DYNAMODB[2]  # botocore standard mode: bounded attempts
    assert len(wiring.outbox().list(PHONE)) == 1      # only the second request sent anything


def test_try_again_carries_retry_after_in_both_dialects(lc):
    with inject(ddb(), "TransactWriteItems", dynamodb_error("ThrottlingException")):
        r = lc.client.http.post("/1.1/requestSmsCode", headers=lc.headers,
                                body=json.dumps({"mobilePhoneNumber": PHONE}))
        cb = lc.client.http.post("/auth/v1/verification", headers={"Content-Type": "application/json"},
                                 body=json.dumps({"phone_number": "+86 13800138001"}))
    assert r.status_code == 503 and r.headers["Retry-After"] == "1"
    assert cb.status_code == 503 and cb.headers["Retry-After"] == "1"
    assert json.loads(cb.body) == {"error": "unavailable", "error_code": 14, "retry_after": 1,
                                   "error_description": "the service is busy; try again shortly"}
    assert nothing_stored()


def test_transaction_conflicts_are_retried_then_try_again(lc):
    conflict = dynamodb_error("TransactionCanceledException", CancellationReasons=[
        {"Code": "TransactionConflict", "Message": "Transaction is ongoing for the item"}])
    with inject(ddb(), "TransactWriteItems", conflict) as injected:
        status, body = lc.request_code(PHONE)
    assert status == 503 and body["code"] == 1, body
    from chalicelib.store.codes import TXN_RETRIES
    assert injected.attempts == TXN_RETRIES
    assert nothing_stored()
    with inject(ddb(), "TransactWriteItems", conflict, times=2) as injected:
        assert lc.request_code(PHONE)[0] == 200  # two conflicts, then it commits
    assert injected.attempts == 2


def test_a_failing_read_is_try_again_too(lc):
    status, body = lc.post("/1.1/users", {"username": "ann", "password": "secret-1"})
    assert status == 201
    with inject(ddb(), "BatchGetItem", dynamodb_error("InternalServerError")):
        status, body = lc.get("/1.1/users/me", headers={"X-LC-Session": body["sessionToken"]})
    assert status == 503 and body["code"] == 1


def test_no_attempt_starts_that_could_outlive_the_request_budget(lc, monkeypatch):
    """Each DynamoDB attempt may take its connect + read timeouts: with half a second more
    budget than that, a first attempt that fails after 1 s leaves too little for a retry,
    which is not started; the client hears 503 well inside the budget."""
    connect, read, _ = deadline.DYNAMODB
    monkeypatch.setattr(deadline, "BUDGET", connect + read + 0.5)
    with inject(ddb(), "TransactWriteItems", read_timeout, delay=1.0) as injected:
        started = time.monotonic()
        status, body = lc.request_code(PHONE)
        elapsed = time.monotonic() - started
    assert status == 503 and body["code"] == 1
    assert injected.attempts == 1 and elapsed < connect + read + 0.5
    assert nothing_stored()


def test_deployed_timeouts_fit_the_lambda_timeout():
    """Deployed (not local): every AWS attempt's connect + read timeouts fit in the budget,
    and the budget leaves room inside the Lambda timeout of .chalice/config.json."""
    import subprocess
    import sys

    from conftest import ROOT
    env = {k: v for k, v in __import__("os").environ.items() if k != "VERIKIT_LOCAL"}
    out = subprocess.run([sys.executable, "-c", "import json; from chalicelib import deadline as d; "
                          "print(json.dumps([d.BUDGET, d.DYNAMODB, d.PROVIDER, d.OTHER]))"],
                         cwd=ROOT, env=env, capture_output=True, text=True, check=True).stdout
    budget, dynamodb, provider, other = json.loads(out)
    lambda_timeout = json.loads((ROOT / ".chalice" / "config.json").read_text())["lambda_timeout"]
    assert budget + 1 <= lambda_timeout
    assert dynamodb == [1.0, 2.0, 3]  # DynamoDB answers in milliseconds: three tries fit
    for connect, read, attempts in (dynamodb, provider, other):
        assert connect + read <= budget and attempts <= 3


# ---- message providers -------------------------------------------------------------------------

PROVIDER_FAULTS = [
    ("Throttling", query_error("Throttling"), "throttling", True),
    ("OptedOut", query_error("OptedOut"), "opted out", False),
    ("InvalidParameter", query_error("InvalidParameter"), "refused the message parameters", False),
    ("InvalidParameter", query_error("InvalidParameter", message="Invalid parameter: PhoneNumber Reason: +86130 is not valid"),
     "refused the phone number as invalid", False),
    ("AuthorizationError", query_error("AuthorizationError", 403), "sandbox", False),
    ("ReadTimeoutError", read_timeout, "did not answer in time", True),
]


@pytest.mark.parametrize("name,fault,hint,try_again", PROVIDER_FAULTS, ids=[f[2] for f in PROVIDER_FAULTS])
def test_sms_provider_refusing_is_a_clear_error_and_holds_nothing(lc, name, fault, hint, try_again):
    with inject(aws.client("sns"), "Publish", fault):
        status, body = lc.request_code(PHONE)
        r = lc.client.http.post("/1.1/requestSmsCode", headers=lc.headers,
                                body=json.dumps({"mobilePhoneNumber": PHONE}))
    assert status == 502 and body["code"] == 1 and hint in body["error"] and name in body["error"], body
    assert (r.headers.get("Retry-After") == "5") == try_again
    # the failed send held neither the cooldown nor a code; the number's daily count is 0
    assert CodeModel.count() == 0
    assert counted("nd#") == [0]
    assert lc.request_code(PHONE)[0] == 200  # at once: no 60 s cooldown
    log = wiring.send_log().query("testapp", None, 0, time.time() + 60, 10)
    assert [e["outcome"] for e in log] == ["sent", "failed", "failed"]
    assert log[1]["error"] == name


def test_failed_sends_do_not_count_against_the_daily_cap(lc, settings):
    settings(per_number_daily=2, cooldown_seconds=0)
    with inject(aws.client("sns"), "Publish", query_error("OptedOut")):
        for _ in range(5):
            assert lc.request_code(PHONE)[0] == 502
    assert lc.request_code(PHONE)[0] == 200
    assert lc.request_code(PHONE)[0] == 200
    status, body = lc.request_code(PHONE)
    assert status == 429 and "number_daily" in body["error"]


def test_the_ip_and_app_limits_still_count_failed_sends(lc, settings):
    """A failing provider cannot be used to lift the per-IP hourly cap."""
    settings(per_ip_hourly=3, cooldown_seconds=0)
    with inject(aws.client("sns"), "Publish", query_error("OptedOut")):
        statuses = [lc.request_code(f"+861380013800{i}")[0]
                    for i in range(3)]
    assert statuses == [502, 502, 502] and counted("ih#") == [3]


def test_the_code_of_a_send_that_did_not_go_out_cannot_be_verified(lc):
    """A wrapper channel sees the message (and its code), then the provider refuses it."""
    seen = []

    class Refusing:
        def send(self, message):
            seen.append(message.body)
            raise SendFailed("SMS not sent: the recipient has opted out (OptedOut)", provider_error="OptedOut")

    svc = wiring.service()
    svc.channels = {**svc.channels, "sms": Refusing()}
    status, _ = lc.request_code(PHONE)
    assert status == 502
    import re
    code = re.search(r"is (\d+)", seen[0]).group(1)
    with pytest.raises(InvalidCode):
        svc.verify("testapp", PHONE, code)
    status, body = lc.verify(code, PHONE)
    assert status == 400 and body["code"] == 603


def test_a_release_never_touches_a_newer_code_or_cooldown(lc, settings):
    """Release conditions: the code must still be the failed send's, the cooldown its own."""
    from chalicelib.core.limits import Charge
    from chalicelib.store.release import release

    assert lc.request_code(PHONE)[0] == 200
    code = last_code(PHONE)
    [item] = list(CodeModel.scan())
    [cooldown] = [c for c in CounterModel.scan() if c.pk.startswith("cd#")]
    now = int(time.time())
    stale = Charge("cooldown", cooldown.pk, 1, int(cooldown.until) - 5, True)
    release(item.pk, "another-hash", [stale], now)
    assert CodeModel.count() == 1
    assert int(CounterModel.get(cooldown.pk).until) == int(cooldown.until)
    assert lc.verify(code, PHONE)[0] == 200


def test_email_provider_refusing_is_a_clear_cloudbase_error(lc):
    with inject(aws.client("sesv2"), "SendEmail", rest_json_error("MessageRejected")):
        r = lc.client.http.post("/auth/v1/verification", headers={"Content-Type": "application/json"},
                                body=json.dumps({"email": "ann@example.com"}))
    body = json.loads(r.body)
    assert r.status_code == 502 and body["error"] == "unavailable" and "SES sandbox" in body["error_description"]
    assert CodeModel.count() == 0
    ok = lc.client.http.post("/auth/v1/verification", headers={"Content-Type": "application/json"},
                             body=json.dumps({"email": "ann@example.com"}))
    assert ok.status_code == 200, ok.body  # no cooldown held by the failed send


def test_the_send_log_entry_joins_the_send_and_a_failing_refusal_log_does_not_fail_the_answer(lc):
    from chalicelib.store.sendlog import SendLogModel

    assert lc.request_code("+8613800138077")[0] == 200  # a warm instance (the guard's baseline read)
    with inject(ddb(), "PutItem", dynamodb_error("ProvisionedThroughputExceededException")) as injected:
        status, body = lc.request_code(PHONE)
        assert status == 200, body  # the entry was written with the code: no write after the send
        assert injected.attempts == 0 and len(wiring.outbox().list(PHONE)) == 1
        status, body = lc.request_code(PHONE)  # the cooldown refuses; its log write (after) fails
    assert status == 429 and body["code"] == 601, body
    assert injected.attempts == deadline.DYNAMODB[2]
    assert [i.outcome for i in SendLogModel.scan()] == ["sent", "sent"]


def test_the_daily_cap_holds_when_concurrent_sends_fail_and_give_back_their_charge():
    """30 concurrent sends to one number, every other provider call refused: the number
    gets at most its cap, and its counter ends equal to what was delivered."""
    import threading
    from concurrent.futures import ThreadPoolExecutor

    from chalicelib.channels.outbox import Outbox, RecordOnly
    from chalicelib.core.config import AppConfig, StaticConfig
    from chalicelib.core.errors import RateLimited
    from chalicelib.core.service import OTPService, SendRequest
    from chalicelib.core.settings import Settings
    from chalicelib.store.codes import DynamoCodeStore

    outbox, lock, calls = Outbox(), threading.Lock(), []
    delivered = RecordOnly(outbox)

    class Flaky:
        def send(self, message):
            with lock:
                calls.append(1)
                fail = len(calls) % 2 == 1
            if fail:
                raise SendFailed("SMS not sent: the provider is throttling (Throttling)", provider_error="Throttling")
            return delivered.send(message)

    settings = Settings.from_mapping({"per_number_daily": 3, "cooldown_seconds": 0})
    svc = OTPService(DynamoCodeStore(), {"sms": Flaky()}, StaticConfig(AppConfig(settings=settings)), b"secret")
    barrier = threading.Barrier(30)

    def one(_):
        barrier.wait()
        try:
            svc.send(SendRequest(app_id="app", phone=PHONE))
            return "sent"
        except SendFailed:
            return "failed"
        except RateLimited:
            return "limited"

    with ThreadPoolExecutor(30) as pool:
        results = list(pool.map(one, range(30)))
    sent = len(outbox.list(PHONE))
    assert results.count("sent") == sent and 1 <= sent <= 3, results
    assert counted("nd#") == [sent]
