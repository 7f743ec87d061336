"""The SMS-pumping guard (core/guard.py, store/stats.py), the stats route, the sharded
counters and the EMF metrics."""
from __future__ import annotations

import json
import re
import threading
import time
import urllib.request
from types import SimpleNamespace

import pytest

from chalicelib import wiring
from chalicelib.core import guard, limits
from chalicelib.core.errors import InvalidRequest, RateLimited
from chalicelib.core.service import SendRequest
from chalicelib.core.settings import Settings
from conftest import KEYS, last_code

# a fixed clock half past the previous hour: no hour boundary in the middle of a test, and
# never in the future of the admin routes' wall clock (the send log lists up to now)
NOW = int(time.time()) - int(time.time()) % 3600 - 1800
MASTER = {"X-LC-Key": KEYS["VERIKIT_MASTER_KEY"] + ",master"}


# ---- the rule, pure ----------------------------------------------------------------------

def dim(name="country", shards=1, **t):
    limits_ = {**guard.DEFAULTS[name], **t}
    return guard.Dim(name, "GB", guard.Thresholds(**limits_), shards)


def reading(today_u=None, today_v=None, yest_u=None, yest_v=None, shards=1):
    r = guard.Reading(day_shards=[0] * shards, hour_shards=[0] * shards)
    for attr, v in (("today_u", today_u), ("today_v", today_v), ("yest_u", yest_u), ("yest_v", yest_v)):
        for h, n in (v or {}).items():
            getattr(r, attr)[h] += n
    r.day_shards[0] = sum((today_u or {}).values())
    return r


def test_floor_then_ratio_of_verified():
    d = dim(floor_day=20, floor_hour=3, ratio_day=0.3, ratio_hour=0.2)
    # no history: the hour floor (3) binds
    assert guard.evaluate(d, reading(today_u={10: 2}), 10, 0.5).allowed
    r = reading(today_u={10: 3})
    r.hour_shards[0] = 3
    v = guard.evaluate(d, r, 10, 0.5)
    assert not v.allowed and v.window == "hour" and v.cap_hour == 3
    # 100 verified this hour: 0.2 x 100 = 20 unverified allowed in the hour
    r = reading(today_u={10: 19}, today_v={10: 100})
    r.hour_shards[0] = 19
    assert guard.evaluate(d, r, 10, 0.5).allowed
    r.hour_shards[0] = r.day_shards[0] = 20
    r.today_u[10] = 20
    assert not guard.evaluate(d, r, 10, 0.5).allowed


def test_sliding_windows_weight_the_edges():
    d = dim(floor_day=20, floor_hour=3, ratio_day=0.0, ratio_hour=0.0)
    # 18 unverified yesterday at 11:00-11:59 are still in the 24 h window at 10:30 today
    v = guard.evaluate(d, reading(yest_u={11: 18}), 10, 0.5)
    assert v.cap_day == 2 and v.unverified_day == 18
    # yesterday's 10:00 hour is half inside the window at 10:30
    v = guard.evaluate(d, reading(yest_u={10: 10}), 10, 0.5)
    assert v.cap_day == 15
    # the previous hour counts by the part of it still inside the last 60 minutes
    v = guard.evaluate(d, reading(today_u={9: 4}), 10, 0.75)
    assert v.cap_hour == 2  # floor(max(3, 20/6) - 0.25 * 4)
    assert guard.evaluate(d, reading(today_u={9: 4}), 10, 0.0).cap_hour == -1


def test_shares_add_up_and_never_shrink():
    for limit in range(0, 130):
        parts = [limits.share(limit, 48, i) for i in range(48)]
        assert sum(parts) == limit and max(parts) - min(parts) <= 1
        if limit:
            assert all(a >= b for a, b in zip(parts, [limits.share(limit - 1, 48, i) for i in range(48)]))


def test_dimensions_safe_list_and_overrides():
    s = Settings.from_mapping({"fraud_safe_list": ["+4479460"], "fraud_country_overrides": {"gb": {"floor_day": 50}},
                               "fraud_thresholds": {"ip": {"floor_hour": 1}}})
    assert guard.dimensions(s, "+447946000123", "GB", "1.2.3.4") == []
    assert [d.name for d in guard.dimensions(s, "+447400100123", "GB", "1.2.3.4")] == ["prefix", "ip"]  # default
    s = Settings.from_mapping({"fraud_guard_by": ["country", "prefix", "ip"]}, s)
    dims = {d.name: d for d in guard.dimensions(s, "+447400100123", "GB", "1.2.3.4")}
    assert dims["country"].limits.floor_day == 50 and dims["country"].shards == guard.COUNTRY_SHARDS
    assert dims["prefix"].value == "+447400100" and dims["ip"].limits.floor_hour == 1
    assert guard.dimensions(Settings.from_mapping({"fraud_guard": "off"}), "+447400100123", "GB", None) == []
    only = Settings.from_mapping({"fraud_guard_by": ["prefix"]})
    assert [d.name for d in guard.dimensions(only, "+447400100123", "GB", "1.2.3.4")] == ["prefix"]


@pytest.mark.parametrize("patch", [
    {"fraud_guard": "deny"}, {"fraud_guard_by": ["asn"]}, {"fraud_thresholds": {"city": {}}},
    {"fraud_thresholds": {"country": {"floor_day": -1}}}, {"fraud_thresholds": {"country": {"floor_day": 1.5}}},
    {"fraud_thresholds": {"ip": {"ratio_day": "0.3"}}}, {"fraud_thresholds": {"ip": {"ratio_day": float("nan")}}},
    {"fraud_thresholds": {"ip": {"burst": 1}}}, {"fraud_country_overrides": {"XX": {"floor_day": 1}}},
    {"fraud_country_overrides": ["GB"]}, {"fraud_safe_list": ["447700900123"]}, {"fraud_safe_list": ["+44７"]},
    {"fraud_safe_list": "+44"},
])
def test_bad_guard_settings_are_refused(patch):
    with pytest.raises(InvalidRequest):
        Settings.from_mapping(patch)


def test_guard_settings_through_the_admin_api(lc):
    status, body = lc.client.http.patch("/admin/v1/settings", headers={**lc.headers, **MASTER}, body=json.dumps(
        {"fraud_guard": "record", "fraud_thresholds": {"prefix": {"floor_hour": 2}},
         "fraud_country_overrides": {"ng": {"ratio_day": 0.1}}, "fraud_safe_list": ["+4479460"]})).status_code, None
    assert status == 200
    r = lc.client.http.get("/admin/v1/settings", headers={**lc.headers, **MASTER})
    got = json.loads(r.body)
    assert got["fraud_guard"] == "record" and got["fraud_country_overrides"] == {"NG": {"ratio_day": 0.1}}
    assert got["fraud_thresholds"] == {"prefix": {"floor_hour": 2}} and got["fraud_safe_list"] == ["+4479460"]
    r = lc.client.http.patch("/admin/v1/settings", headers={**lc.headers, **MASTER},
                             body=json.dumps({"fraud_thresholds": {"prefix": {"floor_hour": "2"}}}))
    assert r.status_code == 400 and json.loads(r.body)["code"] == 1


# ---- the simulated pump (moto) -------------------------------------------------------------

@pytest.fixture
def svc(settings):
    def make(**overrides):
        # the rule's figures: every dimension, no learning period, the fixed ratios
        settings(**{"cooldown_seconds": 0, "per_ip_hourly": 0, "allowed_regions": ["GB", "FR"], "fraud_guard": "block",
                    "fraud_guard_by": ["country", "prefix", "ip"], "fraud_learn_verifications": 0,
                    "fraud_baseline_percent": 0, **overrides})
        s = wiring.service()
        wiring.clock().use(SimpleNamespace(now=lambda: NOW))  # the one clock: service and admin routes
        return s
    return make


def send(s, number, ip="198.51.100.1", channel="sms"):
    return s.send(SendRequest(app_id=KEYS["VERIKIT_APP_ID"], phone=number, client_ip=ip, channel=channel))


def verify(s, number, ip="198.51.100.1"):
    token = guard.CLIENT_IP.set(ip)
    try:
        return s.verify(KEYS["VERIKIT_APP_ID"], number, last_code(number))
    finally:
        guard.CLIENT_IP.reset(token)


def real_user(s, n: int) -> None:
    """A real user of GB: own number, own IP, gets a code and types it in."""
    number = f"+4474001{n:05d}"
    send(s, number, ip=f"203.0.113.{n % 250}")
    verify(s, number, ip=f"203.0.113.{n % 250}")


def test_prefix_pump_is_cut_within_the_floor_while_real_users_get_codes(svc):
    s = svc()
    for n in range(30):
        real_user(s, n)
    pumped = blocked = 0
    for i in range(40):  # consecutive numbers of one 1k range, a fresh IP for each
        try:
            send(s, f"+44751100{i:04d}"[:13], ip=f"192.0.2.{i}")
            pumped += 1
        except guard.FraudBlocked as e:
            assert e.dimension == "prefix"
            blocked += 1
        if i % 4 == 0:  # the country's real users keep coming, and keep getting codes
            real_user(s, 100 + i)
    assert pumped == guard.DEFAULTS["prefix"]["floor_hour"] and blocked == 40 - pumped
    # nothing was sent for the blocked ones
    assert len([m for m in wiring.outbox().list() if m["to"].startswith("+447511000")]) == pumped
    rows = {r["key"]: r for r in s.stats.rows(KEYS["VERIKIT_APP_ID"], "prefix", *[time.strftime("%Y%m%d", time.gmtime(NOW))] * 2)["rows"]}
    assert rows["+447511000"]["sent"] == pumped and rows["+447511000"]["blocked"] == blocked
    assert rows["+447511000"]["verified"] == 0 and rows["+447511000"]["conversion"] == 0.0
    assert rows["+447400100"]["conversion"] == 1.0


def test_country_pump_is_cut_at_the_country_threshold(svc):
    s = svc()
    for n in range(40):
        real_user(s, n)
    # 40 verified: day threshold max(20, 0.3*40=12) = 20, hour max(3, 0.2*40=8, 20/6) = 8
    pumped = 0
    for i in range(60):  # one number in each of 60 ranges: the prefix floor never binds
        try:
            send(s, f"+44752{i:03d}0000"[:13], ip=f"192.0.2.{i}")
            pumped += 1
        except guard.FraudBlocked as e:
            assert e.dimension == "country" and e.window == "hour"
    assert pumped == 8
    with pytest.raises(guard.FraudBlocked):  # the country is closed to unverified traffic now...
        real_user(s, 500)
    send(s, "+33612345678", ip="203.0.113.9")  # ...other countries are not
    # verifications open it again: each one raises the threshold and lowers the count
    verify(s, "+447520010000"[:13], ip="192.0.2.1")
    send(s, "+447400155555", ip="203.0.113.77")


def test_ip_pump_and_record_mode(svc):
    s = svc(fraud_guard_by=["ip"])
    ok = 0
    for i in range(12):
        try:
            send(s, f"+44753{i:03d}0000"[:13], ip="192.0.2.66")
            ok += 1
        except guard.FraudBlocked as e:
            assert e.dimension == "ip"
    assert ok == 5  # the IP's hour floor
    s = svc(fraud_guard="record", fraud_guard_by=["ip"])
    for i in range(12, 20):
        send(s, f"+44753{i:03d}0000"[:13], ip="192.0.2.66")  # counted as would-block, not refused
    day = time.strftime("%Y%m%d", time.gmtime(NOW))
    out = s.stats.rows(KEYS["VERIKIT_APP_ID"], "country", day, day)
    assert out["would_block"] == 8 and out["rows"][0]["blocked"] == 7


def test_test_numbers_and_safe_list_bypass_the_guard(svc, lc):
    s = svc(fraud_safe_list=["+4475400"], fraud_thresholds={"prefix": {"floor_hour": 0, "floor_day": 0}})
    for i in range(10):
        send(s, f"+4475400{i:05d}")  # safe prefix
    with pytest.raises(guard.FraudBlocked):
        send(s, "+447541000000")
    r = lc.client.http.put("/admin/v1/test-numbers/%2B447542000000", headers={**lc.headers, **MASTER},
                           body=json.dumps({"code": "123456"}))
    assert r.status_code == 200
    s = wiring.service()
    wiring.clock().use(SimpleNamespace(now=lambda: NOW))
    for _ in range(3):
        send(s, "+447542000000")


def test_concurrent_pump_never_passes_the_cap(svc):
    s = svc(fraud_guard_by=["prefix"])
    results, lock = [], threading.Lock()

    def go(i):
        try:
            send(s, f"+447555000{i:03d}", ip=f"192.0.2.{i}")
            r = "sent"
        except guard.FraudBlocked:
            r = "blocked"
        with lock:
            results.append(r)

    threads = [threading.Thread(target=go, args=(i,)) for i in range(24)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert results.count("sent") == 3 and results.count("blocked") == 21


def test_country_cap_holds_over_shards_under_concurrency(svc):
    s = svc(fraud_guard_by=["country"], fraud_country_overrides={"GB": {"floor_hour": 12, "floor_day": 12}})
    results, lock = [], threading.Lock()

    def go(i):
        try:
            send(s, f"+44756{i:03d}0000"[:13], ip=f"192.0.2.{i}")
            r = "sent"
        except guard.FraudBlocked:
            r = "blocked"
        with lock:
            results.append(r)

    threads = [threading.Thread(target=go, args=(i,)) for i in range(30)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert results.count("sent") == 12 and results.count("blocked") == 18


def test_blocked_sends_are_counted_not_logged(svc, lc):
    s = svc(fraud_guard_by=["prefix"])
    for i in range(6):
        try:
            send(s, f"+447557000{i:03d}")
        except guard.FraudBlocked:
            pass
    r = lc.client.http.get("/admin/v1/messages?limit=100", headers={**lc.headers, **MASTER})
    outcomes = [m["outcome"] for m in json.loads(r.body)["results"]]
    assert outcomes.count("sent") == 3 and len(outcomes) == 3


# ---- the dialects ----------------------------------------------------------------------------

def test_blocked_send_in_each_dialect(lc, settings):
    settings(cooldown_seconds=0, allowed_regions=["GB"], fraud_guard="block", fraud_guard_by=["prefix"],
             fraud_thresholds={"prefix": {"floor_hour": 1}})
    assert lc.request_code("+447558000001")[0] == 200
    status, body = lc.request_code("+447558000002")
    assert status == 429 and body["code"] == 609 and "fraud" in body["error"]
    r = lc.client.http.post("/auth/v1/verification", headers={"Content-Type": "application/json"},
                            body=json.dumps({"phone_number": "+44 7558000003"}))
    body = json.loads(r.body)
    assert r.status_code == 429 and body["error"] == "resource_exhausted" and body["error_code"] == 8
    assert int(r.headers["Retry-After"]) > 0
    assert len([m for m in wiring.outbox().list() if m["to"].startswith("+447558")]) == 1


# ---- the stats route ---------------------------------------------------------------------------

def test_stats_route(lc, settings):
    settings(cooldown_seconds=0, allowed_regions=["GB", "FR"], fraud_guard="block", fraud_guard_by=["prefix"],
             fraud_thresholds={"prefix": {"floor_hour": 2}}, fraud_baseline_percent=0)  # the fixed ratios
    from chalicelib.core.clock import FakeClock
    clock = FakeClock(wiring.clock().now())  # whatever the hour, it does not pass midnight mid-test
    wiring.clock().use(clock)
    for n in ("+447400100001", "+447400100002", "+33612345678"):
        assert lc.request_code(n)[0] == 200
    assert lc.verify(last_code("+447400100001"), "+447400100001")[0] == 200
    lc.request_code("+447400100003")
    assert lc.request_code("+447400100004")[0] == 429
    lc.request_code("+447400100005", smsType="voice")

    def get(query, headers=MASTER):
        r = lc.client.http.get("/admin/v1/stats" + query, headers={**lc.headers, **headers})
        return r.status_code, json.loads(r.body)

    status, body = get("?group=country")
    assert status == 200
    rows = {r["key"]: r for r in body["rows"]}
    assert rows["GB"] == {"key": "GB", "sent": 3, "verified": 1, "blocked": 2, "conversion": round(1 / 3, 4)}
    assert rows["FR"]["sent"] == 1 and rows["FR"]["conversion"] == 0.0
    assert set(body["rows"][0]) == {"key", "sent", "verified", "blocked", "conversion"}
    rows = {r["key"]: r for r in get("?group=channel")[1]["rows"]}
    assert rows["sms"] == {"key": "sms", "sent": 4, "verified": 1, "blocked": 1, "conversion": 0.25}
    assert rows["voice"] == {"key": "voice", "sent": 0, "verified": 0, "blocked": 1, "conversion": 0.0}
    assert {r["key"] for r in get("?group=purpose")[1]["rows"]} == {"sms"}
    today = time.strftime("%Y-%m-%d", time.gmtime(clock.now()))
    rows = get(f"?group=day&since={today}&until={today}")[1]["rows"]
    assert rows == [{"key": today, "sent": 4, "verified": 1, "blocked": 2, "conversion": 0.25}]
    assert get("?group=prefix")[1]["rows"][0]["key"] == "+447400100"
    assert get("?group=day&since=2020-01-01&until=2020-01-02")[1] == {"rows": [], "would_block": 0}
    for bad in ("?group=city", "?since=yesterday", "?since=2026-02-30", "?since=2026-01-05&until=2026-01-01",
                "?since=2020-01-01&until=2026-01-01"):
        status, body = get(bad)
        assert status == 400 and body["code"] == 1, bad
    assert get("?group=country", headers={})[0] == 403


def test_stats_through_make_run(local_server):
    def call(method, path, body=None, master=False):
        h = {"X-LC-Id": KEYS["VERIKIT_APP_ID"], "Content-Type": "application/json",
             "X-LC-Key": KEYS["VERIKIT_MASTER_KEY"] + ",master" if master else KEYS["VERIKIT_APP_KEY"]}
        req = urllib.request.Request(local_server + path, json.dumps(body).encode() if body else None, h, method=method)
        with urllib.request.urlopen(req, timeout=10) as r:
            return json.loads(r.read())

    call("POST", "/1.1/requestSmsCode", {"mobilePhoneNumber": "+447400100777"})
    out = json.loads(urllib.request.urlopen(local_server + "/dev/outbox?to=%2B447400100777").read())
    assert out, out
    code = re.search(r"is (\d+)", out[-1]["body"]).group(1)
    call("POST", f"/1.1/verifySmsCode/{code}", {"mobilePhoneNumber": "+447400100777"})
    rows = {r["key"]: r for r in call("GET", "/admin/v1/stats?group=country", master=True)["rows"]}
    assert rows["GB"]["sent"] >= 1 and rows["GB"]["verified"] >= 1


# ---- sharded counters ---------------------------------------------------------------------------

def test_app_budget_is_sharded_and_exact_under_concurrency(svc):
    s = svc(per_app_daily=7, fraud_guard="off")
    results, lock = [], threading.Lock()

    def go(i):
        try:
            send(s, f"+44757{i:03d}0000"[:13])
            r = "sent"
        except RateLimited as e:
            r = e.limit
        with lock:
            results.append(r)

    threads = [threading.Thread(target=go, args=(i,)) for i in range(20)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert results.count("sent") == 7 and results.count("app_daily") == 13
    from chalicelib.store.counters import CounterModel
    day = time.strftime("%Y%m%d", time.gmtime(NOW))
    items = [i for i in CounterModel.scan() if i.pk.startswith(f"ad#{KEYS['VERIKIT_APP_ID']}#{day}#")]
    assert len(items) == 7 and all(int(i.n) == 1 for i in items)  # no shard over its share of 1


def test_budget_moves_to_another_shard_before_refusing(svc):
    s = svc(per_app_daily=100, fraud_guard="off")
    from chalicelib.store import counters
    day = time.strftime("%Y%m%d", time.gmtime(NOW))
    full = limits.share(100, limits.SHARDS, 0)
    counters.CounterModel(f"ad#{KEYS['VERIKIT_APP_ID']}#{day}#0", n=full).save()  # shard 0 is full
    counters._turn[0] = -1  # the next pick is shard 0
    before = counters.STATS["shard_moves"]
    send(s, "+447580000000")
    assert counters.STATS["shard_moves"] == before + 1


# ---- metrics -------------------------------------------------------------------------------------

def test_metrics_are_emf_lines(capsys):
    from chalicelib import metrics
    metrics.emit("Blocked", "sms", "GB")
    line = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    meta = line["_aws"]["CloudWatchMetrics"][0]
    assert meta["Namespace"] == "verikit" and meta["Metrics"][0]["Name"] == "Blocked"
    assert ["service"] in meta["Dimensions"] and ["service", "channel", "country"] in meta["Dimensions"]
    assert line["Blocked"] == [1.0] or line["Blocked"] == 1.0
    assert line["country"] == "GB" and line["channel"] == "sms"


def test_template_alarms_watch_the_metrics_verikit_emits():
    from chalicelib import metrics
    from deploy.template import build

    res = build("prod")["Resources"]
    blocked = res["FraudBlockedAlarm"]["Properties"]
    assert (blocked["Namespace"], blocked["MetricName"]) == (metrics.NAMESPACE, "Blocked")
    assert blocked["Dimensions"] == [{"Name": "service", "Value": metrics.SERVICE}]
    assert blocked["AlarmActions"] == [{"Ref": "AlarmTopic"}] and res["AlarmTopic"]["Type"] == "AWS::SNS::Topic"
    drop = res["ConversionDropAlarm"]["Properties"]
    stats = {m["Id"]: m["MetricStat"]["Metric"]["MetricName"] for m in drop["Metrics"] if "MetricStat" in m}
    assert stats == {"sent": "Sent", "verified": "Verified"}
    assert drop["ComparisonOperator"] == "LessThanThreshold" and 0 < drop["Threshold"] < 1


def test_a_blocked_range_answers_alike_for_unknown_numbers(lc, settings):
    """Enumeration protection: the guard refuses a login code to a number nobody has as it
    refuses one to a user's number, or the refusal would tell them apart."""
    settings(cooldown_seconds=0, allowed_regions=["GB"], fraud_guard="block", fraud_guard_by=["prefix"],
             fraud_thresholds={"prefix": {"floor_hour": 1}})
    assert lc.request_code("+447559000001")[0] == 200  # the range has no room left now
    status, body = lc.post("/1.1/requestLoginSmsCode", {"mobilePhoneNumber": "+447559000002"})
    assert status == 429 and body["code"] == 609
    assert lc.post("/1.1/requestLoginSmsCode", {"mobilePhoneNumber": "+447560000002"})[0] == 200


def test_a_counted_verify_is_two_round_trips_and_keeps_its_channel(svc, lc):
    """The spending UpdateItem answers with the code's channel, so counting the verification
    is the only other write: no read of the code item after it."""
    from chalicelib.store.base import connection

    s = svc(fraud_guard_by=["prefix"])
    assert send(s, "+447400100011", channel="voice")
    calls = []
    connection().client.meta.events.register("before-call.dynamodb", lambda model, **kw: calls.append(model.name))
    assert verify(s, "+447400100011") == "+447400100011"
    assert "GetItem" not in calls and len(calls) == 2, calls
    r = lc.client.http.get("/admin/v1/stats?group=channel", headers={**lc.headers, **MASTER})
    rows = {row["key"]: row for row in json.loads(r.body)["rows"]}
    assert rows["voice"]["verified"] == 1 and "sms" not in rows
