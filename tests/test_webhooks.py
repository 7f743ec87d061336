"""Event webhooks: endpoints managed by the admin API, events queued on SQS (moto) and
delivered signed (Standard Webhooks, checked by a receiver using the reference library),
retried with exponential backoff for a day, then the dead-letter queue and a replay."""
from __future__ import annotations

import json
import time

import pytest

from chalicelib import wiring
from chalicelib.core.clock import FakeClock
from chalicelib.hooks import queue as q
from conftest import KEYS
from fakes.webhook_receiver import Receiver

MASTER = {"X-LC-Key": KEYS["VERIKIT_MASTER_KEY"] + ",master"}
EVENT = {"to": "+8613800138000", "channel": "sms", "purpose": "sms"}


def create(lc, url, events=("code.sent",), **extra):
    status, body = lc.post("/admin/v1/webhooks", {"url": url, "events": list(events), **extra}, headers=MASTER)
    assert status == 201, body
    assert body["secret"].startswith("whsec_") and body["id"].startswith("wh_")
    return body


def worker(clock):
    # one clock for the service (rotations, admin routes) and the worker (retries); SQS's own
    # delay is 0 here: when a retry is due is the injected clock's business
    wiring.service().clock = clock
    return wiring.worker(clock=clock, max_sqs_delay=0)


def dead_letters() -> int:
    """How many messages the dead-letter queue holds (as an operator sees it)."""
    import boto3
    sqs = boto3.client("sqs", region_name="us-east-1")
    url = sqs.get_queue_url(QueueName=q.queue_name(dead=True))["QueueUrl"]
    attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"])["Attributes"]
    return int(attrs["ApproximateNumberOfMessages"])


def drain(w, limit=10) -> list:
    out = []
    for _ in range(limit):
        got = w.run_once()
        if not got:
            break
        if set(got) == {"due-later"}:  # only retries waiting for the clock: SQS would hold them
            out += [] if "due-later" in out else got
            break
        out += got
    return out


def test_an_event_reaches_each_subscribed_endpoint_signed(lc):
    with Receiver() as r, Receiver() as other:
        e = create(lc, r.url, events=["code.sent", "code.verified"])
        r.secrets = [e["secret"]]
        create(lc, other.url, events=["user.created"])  # not subscribed to code.sent
        wiring.events().after("code.sent", EVENT)
        clock = FakeClock()  # retries' timing; the signature carries the real time (receivers check it)
        assert drain(worker(clock)) == ["delivered"]
        assert [ev["type"] for ev in r.events] == ["code.sent"] and other.received == []
        event = r.events[0]
        assert event["data"] == EVENT and event["timestamp"].endswith("Z")
        msg_id = r.received[0]["headers"]["webhook-id"]
        status, deliveries = lc.get(f"/admin/v1/webhooks/{e['id']}/deliveries", headers=MASTER)
        assert status == 200
        [d] = deliveries["results"]
        assert d["id"] == msg_id and d["status"] == "delivered" and d["event"] == "code.sent"
        assert [a["status"] for a in d["log"]] == [200] and d["log"][0]["latencyMs"] >= 0


def test_nothing_is_queued_when_no_enabled_endpoint_wants_the_event(lc):
    with Receiver() as r:
        e = create(lc, r.url, events=["user.created"])
        create(lc, r.url, events=["code.sent"], enabled=False)
        wiring.events().after("code.sent", EVENT)
        assert wiring.event_queue().receive() == []
        r2 = lc.client.http.patch(f"/admin/v1/webhooks/{e['id']}", headers={**lc.headers, **MASTER},
                                  body=json.dumps({"events": ["code.sent"]}))
        assert r2.status_code == 200, r2.body
        wiring.endpoint_cache().forget()  # another instance sees it within the cache time
        wiring.events().after("code.sent", EVENT)
        assert len(wiring.event_queue().receive()) == 1


def test_a_receiver_that_fails_twice_gets_the_event_on_the_third_try(lc):
    clock = FakeClock()
    with Receiver(fail=2) as r:
        e = create(lc, r.url)
        r.secrets = [e["secret"]]
        wiring.events().after("code.sent", EVENT)
        w = worker(clock)
        assert w.run_once() == ["retry"]                   # 1st try: 500
        assert w.run_once() == ["due-later"]               # not yet: backoff 30 s
        clock.advance(q.backoff(1))
        assert w.run_once() == ["retry"]                   # 2nd try: 500
        clock.advance(q.backoff(2) - 1)
        assert w.run_once() == ["due-later"]               # 60 s backoff, a second short
        clock.advance(1)
        assert w.run_once() == ["delivered"]               # 3rd try
        assert [x["answered"] for x in r.received] == [500, 500, 200]
        assert all(x["verified"] for x in r.received)
        assert len({x["headers"]["webhook-id"] for x in r.received}) == 1   # one message, retried
        [d] = lc.get(f"/admin/v1/webhooks/{e['id']}/deliveries", headers=MASTER)[1]["results"]
        assert d["status"] == "delivered" and d["attempts"] == 3
        assert [a["status"] for a in d["log"]] == [500, 500, 200]


def test_backoff_doubles_and_gives_up_after_a_day():
    waits = [q.backoff(n) for n in range(1, 16)]
    assert waits[:4] == [30, 60, 120, 240] and max(waits) == q.BACKOFF_CAP
    assert sum(waits[:13]) < q.GIVE_UP_SECONDS < sum(waits)


def test_an_endpoint_that_always_fails_lands_in_the_dlq_and_is_replayed(lc):
    clock = FakeClock()
    with Receiver(always_fail=True) as r:
        e = create(lc, r.url)
        r.secrets = [e["secret"]]
        wiring.events().after("code.sent", EVENT)
        w = worker(clock)
        outcomes, attempt = [], 0
        while not outcomes or outcomes[-1] not in ("dead", "error"):
            got = w.run_once()
            assert got, outcomes
            outcomes += got
            if got[-1] == "retry":
                attempt += 1
                clock.advance(q.backoff(attempt))
        assert outcomes[-1] == "dead"
        tries = len(r.received)
        assert 10 <= tries <= 20, tries
        assert dead_letters() == 1
        [d] = lc.get(f"/admin/v1/webhooks/{e['id']}/deliveries", headers=MASTER)[1]["results"]
        assert d["status"] == "dead" and d["attempts"] == tries

        r.always_fail = False  # the receiver is fixed; an admin replays the delivery
        status, body = lc.post(f"/admin/v1/webhooks/{e['id']}/deliveries/{d['id']}/replay", headers=MASTER)
        assert status == 202 and body == {"id": d["id"], "status": "pending"}
        assert drain(worker(FakeClock())) == ["delivered"]
        assert r.events and r.events[-1]["type"] == "code.sent"
        assert r.received[-1]["headers"]["webhook-id"] == d["id"]
        [d] = lc.get(f"/admin/v1/webhooks/{e['id']}/deliveries", headers=MASTER)[1]["results"]
        assert d["status"] == "delivered"


def test_a_rotated_secret_signs_alongside_the_old_one_for_a_day(lc):
    with Receiver() as r:
        clock = FakeClock()
        w = worker(clock)
        e = create(lc, r.url)
        status, rotated = lc.post(f"/admin/v1/webhooks/{e['id']}/rotate-secret", headers=MASTER)
        assert status == 200 and rotated["secret"] != e["secret"]
        assert rotated["previousSecretUntil"] == clock.now() + 86400
        r.secrets = [e["secret"]]          # a receiver that has not switched yet
        wiring.events().after("code.sent", EVENT)
        assert drain(w) == ["delivered"]
        r.secrets = [rotated["secret"]]    # one that has
        wiring.events().after("code.sent", EVENT)
        assert drain(w) == ["delivered"]
        assert len(r.received[-1]["headers"]["webhook-signature"].split(" ")) == 2
        endpoint = wiring.webhooks().get(KEYS["VERIKIT_APP_ID"], e["id"])
        assert endpoint.signing_secrets(clock.now() + 86400) == [rotated["secret"]]


@pytest.mark.parametrize("body, message", [
    ({"url": "ftp://example.com/x", "events": ["code.sent"]}, "https"),
    ({"url": "http://example.com/x", "events": ["code.sent"]}, "https"),
    ({"url": "https://example.com/x", "events": []}, "events"),
    ({"url": "https://example.com/x", "events": ["code.nope"]}, "unknown event"),
    ({"url": "https://example.com/x", "events": ["code.sent"], "enabled": "yes"}, "enabled"),
])
def test_bad_endpoints_are_refused_clearly(lc, body, message):
    status, answer = lc.post("/admin/v1/webhooks", body, headers=MASTER)
    assert status == 400 and message in answer["error"], answer


def test_deployed_stages_take_https_only(lc, monkeypatch):
    monkeypatch.setenv("VERIKIT_LOCAL", "0")
    status, answer = lc.post("/admin/v1/webhooks", {"url": "http://127.0.0.1:9/x", "events": ["*"]}, headers=MASTER)
    assert status == 400 and "https" in answer["error"]
    assert lc.post("/admin/v1/webhooks", {"url": "https://hooks.example.com/x", "events": ["*"]},
                   headers=MASTER)[0] == 201


def test_webhook_routes_need_the_master_key_and_know_their_ids(lc):
    assert lc.get("/admin/v1/webhooks")[1]["code"] == 119
    assert lc.post("/admin/v1/webhooks/wh_nope/rotate-secret", headers=MASTER)[0] == 404
    assert lc.get("/admin/v1/webhooks/wh_nope/deliveries", headers=MASTER)[0] == 404
    assert lc.post("/admin/v1/webhooks/wh_nope/deliveries/msg_x/replay", headers=MASTER)[0] == 404
    r = lc.client.http.delete("/admin/v1/webhooks/wh_nope", headers={**lc.headers, **MASTER})
    assert r.status_code == 404
    status, listed = lc.get("/admin/v1/webhooks", headers=MASTER)
    assert status == 200 and listed == {"results": []}


def test_the_openapi_document_describes_every_event(lc):
    from chalicelib.core.events import AFTER_KINDS
    r = lc.client.http.get("/openapi.json")
    doc = json.loads(r.body)
    assert sorted(doc["webhooks"]) == sorted(AFTER_KINDS)
    post = doc["webhooks"]["user.updated"]["post"]
    assert {p["name"] for p in post["parameters"]} == {"webhook-id", "webhook-timestamp", "webhook-signature"}
    body = post["requestBody"]["content"]["application/json"]["schema"]
    assert body["properties"]["type"] == {"const": "user.updated"} and "updatedKeys" in body["properties"]["data"][
        "properties"]


def test_a_retry_after_a_successful_replay_is_not_sent_again(lc):
    clock = FakeClock()
    with Receiver(fail=1) as r:
        e = create(lc, r.url)
        r.secrets = [e["secret"]]
        wiring.events().after("code.sent", EVENT)
        w = worker(clock)
        assert w.run_once() == ["retry"]
        [d] = lc.get(f"/admin/v1/webhooks/{e['id']}/deliveries", headers=MASTER)[1]["results"]
        assert lc.post(f"/admin/v1/webhooks/{e['id']}/deliveries/{d['id']}/replay", headers=MASTER)[0] == 202
        assert sorted(drain(w)) == ["delivered", "due-later"]
        clock.advance(q.backoff(1))
        assert drain(w) == ["already-delivered"]
        assert [x["answered"] for x in r.received] == [500, 200]


def test_the_sqs_function_delivers_what_the_queue_hands_it(lc):
    """app.py's on_sqs_message function, invoked as Lambda's SQS trigger invokes it."""
    with Receiver() as r:
        e = create(lc, r.url)
        r.secrets = [e["secret"]]
        wiring.events().after("code.sent", EVENT)
        [(message, receipt)] = wiring.event_queue().receive()
        client = lc.client
        event = client.events.generate_sqs_event(message_bodies=[json.dumps(message)], queue_name=q.queue_name())
        client.lambda_.invoke("deliver_events", event)
        assert [ev["type"] for ev in r.events] == ["code.sent"]
