"""One DynamoDB round trip per send: the fraud guard's verdict, the counters, the code and
the send-log entry in one TransactWriteItems (core/service.py, store/guard_items.py)."""
from __future__ import annotations

import time
from types import SimpleNamespace

import pytest

from chalicelib import wiring
from chalicelib.core import guard
from chalicelib.core.errors import InvalidCode, SendFailed
from chalicelib.core.service import SendRequest
from conftest import KEYS, last_code

NOW = int(time.time()) - int(time.time()) % 3600 - 1800
APP = KEYS["VERIKIT_APP_ID"]


@pytest.fixture
def svc(settings):
    def make(**overrides):
        settings(**{"cooldown_seconds": 0, "per_ip_hourly": 0, "allowed_regions": ["GB", "CN"], "fraud_guard": "block",
                    **overrides})
        s = wiring.service()
        s.clock = SimpleNamespace(now=lambda: NOW)
        return s
    return make


@pytest.fixture
def calls():
    from chalicelib.store.base import connection
    seen: list = []
    handler = lambda model, **kw: seen.append(model.name)  # noqa: E731
    events = connection().client.meta.events
    events.register("before-call.dynamodb", handler)
    yield seen
    events.unregister("before-call.dynamodb", handler)


def send(s, number, ip="198.51.100.1"):
    return s.send(SendRequest(app_id=APP, phone=number, client_ip=ip))


def test_a_warm_send_is_one_transaction_with_its_log_entry(svc, calls):
    s = svc()
    send(s, "+447400100001")  # cold: settings and the country's baseline are read once
    calls.clear()
    send(s, "+447400200002", ip="198.51.100.2")
    assert calls == ["TransactWriteItems"], calls
    from chalicelib.store.sendlog import SendLogModel
    assert sorted(i.outcome for i in SendLogModel.scan()) == ["sent", "sent"]


def test_a_blocked_send_is_one_round_trip_and_a_wrong_guess_one(svc, calls):
    s = svc(fraud_thresholds={"prefix": {"floor_hour": 1}})
    send(s, "+447400300001")
    calls.clear()
    with pytest.raises(guard.FraudBlocked) as e:
        send(s, "+447400300002", ip="198.51.100.9")
    assert e.value.dimension == "prefix" and calls == ["TransactWriteItems"], calls
    calls.clear()
    with pytest.raises(InvalidCode):
        s.verify(APP, "+447400300001", "000000" if last_code("+447400300001") != "000000" else "111111")
    assert calls == ["UpdateItem"]
    calls.clear()
    s.verify(APP, "+447400300001", last_code("+447400300001"))
    assert calls == ["UpdateItem", "TransactWriteItems"], calls  # the spend, then the counts


def test_the_cache_of_closed_hours_is_asserted_not_trusted(svc, calls):
    """Sends in the previous hour count (weighted) in this hour's window: an instance that
    has not seen them assumes none, the write's condition fails, it learns and retries."""
    s = svc(fraud_thresholds={"prefix": {"floor_hour": 3, "floor_day": 10}})
    from chalicelib.store import guard_items
    s.clock = SimpleNamespace(now=lambda: NOW - 3600 + 600)  # the previous hour
    for i in range(3):
        send(s, f"+44740040000{i}", ip=f"198.51.100.{i}")
    guard_items._prev.clear()
    s.clock = SimpleNamespace(now=lambda: NOW - 1800 + 60)  # 1 minute into this hour: ~3 still count
    calls.clear()
    with pytest.raises(guard.FraudBlocked):
        send(s, "+447400400009", ip="198.51.100.50")
    assert calls.count("TransactWriteItems") == 2, calls  # learned, then refused


def test_a_failed_send_gives_back_the_guard_count_cooldown_and_daily_cap(svc, monkeypatch):
    s = svc(cooldown_seconds=60, fraud_thresholds={"prefix": {"floor_hour": 1}})

    class Down:
        def send(self, message):
            raise SendFailed("provider down", provider_error="Throttled")

    real = s.channels["sms"]
    monkeypatch.setitem(s.channels, "sms", Down())
    with pytest.raises(SendFailed):
        send(s, "+447400500001")
    monkeypatch.setitem(s.channels, "sms", real)
    send(s, "+447400500001")  # no cooldown held, and the prefix's one unverified slot is free
    from chalicelib.store.sendlog import SendLogModel
    assert sorted(i.outcome for i in SendLogModel.scan()) == ["failed", "sent"]


def test_a_verification_credits_the_ip_that_requested_the_code(svc):
    s = svc(fraud_guard_by=["ip"], fraud_thresholds={"ip": {"floor_hour": 1, "ratio_hour": 1, "ratio_day": 1}})
    send(s, "+447400600001", ip="198.51.100.7")
    token = guard.CLIENT_IP.set("203.0.113.99")  # verified from elsewhere (another network)
    try:
        s.verify(APP, "+447400600001", last_code("+447400600001"))
    finally:
        guard.CLIENT_IP.reset(token)
    send(s, "+447400700001", ip="198.51.100.7")  # credited: the requester's slot came back
    with pytest.raises(guard.FraudBlocked):
        send(s, "+447400700002", ip="198.51.100.7")  # max(floor 1, ratio 1 x 1 verified) = 1


def test_ipv6_clients_are_keyed_by_their_64(svc):
    assert guard.ip_key("2001:db8:1:2:aaaa::1") == guard.ip_key("2001:db8:1:2:ffff::2") == "2001:db8:1:2::/64"
    assert guard.ip_key("203.0.113.5") == "203.0.113.5" and guard.ip_key("not an ip:") == "not an ip:"
    s = svc(fraud_guard_by=["ip"], fraud_thresholds={"ip": {"floor_hour": 2}})
    send(s, "+447400800001", ip="2001:db8:1:2::1")
    send(s, "+447400800002", ip="2001:db8:1:2::2")
    with pytest.raises(guard.FraudBlocked):
        send(s, "+447400800003", ip="2001:db8:1:2:9999::3")  # same /64, another host
    send(s, "+447400800004", ip="2001:db8:1:3::1")


def test_a_retried_right_code_gets_the_first_answer_once_the_first_has_passed(lc):
    assert lc.request_code("+8613800138000")[0] == 200
    code = last_code("+8613800138000")
    assert lc.verify(code)[0] == 200
    assert lc.verify(code)[0] == 400  # at once: the same code twice is not a retry
    from chalicelib.store import codes
    item = [i for i in codes.CodeModel.scan() if i.purpose == "sms"][0]
    item.update(actions=[codes.CodeModel.guessed_at.set(float(item.guessed_at) - 5)])  # 5 s ago
    assert lc.verify(code) == (200, {})
    assert lc.verify("000000" if code != "000000" else "111111")[0] == 400


def test_an_opted_out_user_number_answers_like_an_unknown_number(lc, settings):
    """Enumeration protection: requestPasswordResetBySmsCode to a registered number whose
    owner opted out of SMS answers {} as it does for a number nobody has (it used to
    answer 502, telling the two apart)."""
    from chalicelib import aws
    from faults import inject, query_error

    settings(allow_reset_password_if_phone_unverified=True)
    assert lc.post("/1.1/users", {"username": "ann", "password": "secret-123",
                                  "mobilePhoneNumber": "+8613800138009"})[0] == 201
    with inject(aws.client("sns"), "Publish", query_error("OptedOut")):
        known = lc.post("/1.1/requestPasswordResetBySmsCode", {"mobilePhoneNumber": "+8613800138009"})
    unknown = lc.post("/1.1/requestPasswordResetBySmsCode", {"mobilePhoneNumber": "+8613800138019"})
    assert known == unknown == (200, {}), (known, unknown)
    from chalicelib.store.sendlog import SendLogModel
    assert sorted(i.outcome for i in SendLogModel.scan()) == ["failed", "suppressed"]


def test_lowering_the_app_budget_mid_day_holds_on_the_sum(svc, lc):
    """20 sends under 10 000 spread over the budget's shards, then an emergency cut to 25:
    exactly 5 more go out (the shards' excess over their new shares is not lost)."""
    import json as _json
    from conftest import KEYS as _K

    s = svc(per_app_daily=10000, fraud_guard="off")
    for i in range(20):
        send(s, f"+4474009{i:05d}")
    r = lc.client.http.patch("/admin/v1/settings", headers={**lc.headers, "X-LC-Key": _K["VERIKIT_MASTER_KEY"] + ",master"},
                             body=_json.dumps({"per_app_daily": 25}))
    assert r.status_code == 200, r.body
    s = wiring.service()
    s.clock = SimpleNamespace(now=lambda: NOW)
    sent = refused = 0
    for i in range(20, 40):
        try:
            send(s, f"+4474009{i:05d}")
            sent += 1
        except Exception as e:  # noqa: BLE001
            assert getattr(e, "limit", "") == "app_daily", e
            refused += 1
    assert (sent, refused) == (5, 15)


def test_suppressed_sends_charge_the_guard_like_real_ones(lc, settings):
    """Enumeration protection: codes requested for numbers nobody has count as unverified
    for the guard exactly as a registered number's would, so the range's 609 comes at the
    same count whoever owns the numbers."""
    settings(cooldown_seconds=0, allowed_regions=["GB"], fraud_guard="block", fraud_guard_by=["prefix"],
             fraud_thresholds={"prefix": {"floor_hour": 2}})
    for n in ("+447561000001", "+447561000002"):  # nobody has these numbers
        assert lc.post("/1.1/requestLoginSmsCode", {"mobilePhoneNumber": n}) == (200, {})
    status, body = lc.request_code("+447561000003")
    assert status == 429 and body["code"] == 609, body
