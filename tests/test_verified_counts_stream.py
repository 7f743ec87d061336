"""Deployed stages count a verified code off the request path: the verify is one write (the
code's attempt charged and its guess judged together) and the codes table's stream consumer
(``app.count_verified``, chalicelib/hooks/verified_counts.py) counts it for the fraud guard
and the stats, exactly once however often a record is delivered. Driven here with moto's
own DynamoDB stream of the codes table, as Lambda reads it."""
import json
import threading
from datetime import datetime, timezone

import pytest

from conftest import KEYS, MOTO, last_code
from chalicelib import wiring

MASTER = {"X-LC-Key": KEYS["VERIKIT_MASTER_KEY"] + ",master"}
PHONE = "+8613800138000"


@pytest.fixture
def stream_mode(monkeypatch):
    monkeypatch.setenv("VERIKIT_VERIFIED_COUNTS", "stream")
    wiring.reset()
    yield
    wiring.reset()


def stream_records() -> list:
    """Every record of the codes table's stream so far, as Lambda hands them over."""
    import boto3
    from chalicelib.store.codes import CodeModel

    ddb = boto3.client("dynamodb", endpoint_url=MOTO.url, region_name="us-east-1")
    streams = boto3.client("dynamodbstreams", endpoint_url=MOTO.url, region_name="us-east-1")
    arn = ddb.describe_table(TableName=CodeModel.Meta.table_name)["Table"]["LatestStreamArn"]
    out = []
    for shard in streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]:
        it = streams.get_shard_iterator(StreamArn=arn, ShardId=shard["ShardId"],
                                        ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
        resp = streams.get_records(ShardIterator=it)
        out += [{**r, "eventSourceARN": arn} for r in resp["Records"]]  # Lambda adds the stream's ARN
    return out


def lambda_event(records: list) -> dict:
    """The event Lambda gives the function (the stream records, JSON-safe)."""
    def plain(v):  # boto3 parses ApproximateCreationDateTime; Lambda sends epoch seconds
        return int(v.timestamp()) if isinstance(v, datetime) else str(v)
    return json.loads(json.dumps({"Records": records}, default=plain))


def deliver(app, records=None) -> None:
    """Run the deployed handler (``app.count_verified``, as chalice wraps it for Lambda) on
    the stream's records."""
    from app import count_verified

    count_verified(lambda_event(stream_records() if records is None else records), None)


def verified(lc) -> dict:
    r = lc.client.http.get("/admin/v1/stats?group=country", headers={**lc.headers, **MASTER})
    assert r.status_code == 200, r.body
    return {row["key"]: row for row in json.loads(r.body)["rows"]}


def counted_marks() -> int:
    """The consumer's marks (one item per counted code)."""
    from chalicelib.store.codes import CodeModel
    return sum(1 for i in CodeModel.scan(consistent_read=True) if i.pk.startswith("@counted#"))


def test_the_verify_counts_nothing_and_the_stream_counts_it_once(lc, app, stream_mode):
    assert lc.request_code(PHONE)[0] == 200
    assert lc.verify(last_code(PHONE), PHONE)[0] == 200
    assert verified(lc)["CN"]["verified"] == 0  # the request did not count it
    deliver(app)
    assert verified(lc)["CN"]["verified"] == 1
    assert counted_marks() == 1
    deliver(app)  # the whole stream again, as a retried batch would be: nothing counts twice
    deliver(app)
    row = verified(lc)["CN"]
    assert row["verified"] == 1 and row["sent"] == 1
    r = lc.client.http.get("/admin/v1/stats?group=provider", headers={**lc.headers, **MASTER})
    assert [(p["key"], p["sent"], p["verified"]) for p in json.loads(r.body)["rows"]] == [("sns", 1, 1)]


def test_records_delivered_to_concurrent_consumers_count_once(lc, app, stream_mode):
    for i in range(3):
        phone = f"+861380013800{i}"
        assert lc.request_code(phone)[0] == 200
        assert lc.verify(last_code(phone), phone)[0] == 200
    records = stream_records()
    barrier = threading.Barrier(6)
    errors = []

    def consume():
        barrier.wait()
        try:
            deliver(app, records)
        except Exception as e:  # noqa: BLE001
            errors.append(e)

    threads = [threading.Thread(target=consume) for _ in range(6)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert not errors
    assert verified(lc)["CN"]["verified"] == 3


def test_wrong_guesses_and_unspent_codes_are_not_counted(lc, app, stream_mode):
    assert lc.request_code(PHONE)[0] == 200
    code = last_code(PHONE)
    wrong = "000000" if code != "000000" else "111111"
    assert lc.verify(wrong, PHONE)[0] != 200
    deliver(app)
    assert verified(lc)["CN"]["verified"] == 0
    assert counted_marks() == 0


def test_the_count_lands_in_the_window_the_code_was_spent_in(lc, app, stream_mode):
    from chalicelib.core.clock import FakeClock

    clock = FakeClock(datetime(2026, 12, 2, 23, 59, 40, tzinfo=timezone.utc).timestamp())
    wiring.clock().use(clock)
    try:
        assert lc.request_code(PHONE)[0] == 200
        assert lc.verify(last_code(PHONE), PHONE)[0] == 200
        clock.advance(60)  # the record is read after midnight
        deliver(app)

        def day(d):
            r = lc.client.http.get(f"/admin/v1/stats?group=country&since={d}&until={d}",
                                   headers={**lc.headers, **MASTER})
            assert r.status_code == 200, r.body
            return {row["key"]: row for row in json.loads(r.body)["rows"]}
        assert day("2026-12-02")["CN"]["verified"] == 1  # with its send, on the day it was spent
        assert day("2026-12-03").get("CN", {"verified": 0})["verified"] == 0
    finally:
        wiring.clock().use(None)


def test_a_newer_code_sent_before_the_record_is_read_loses_no_count(lc, app, settings, stream_mode):
    """The consumer lags (a failed batch, a backlog) and the number gets a new code meanwhile:
    the new code replaces the code item, and every verification still counts once."""
    settings(cooldown_seconds=0)
    assert lc.request_code(PHONE)[0] == 200
    assert lc.verify(last_code(PHONE), PHONE)[0] == 200   # code A spent
    assert lc.request_code(PHONE)[0] == 200               # code B replaces the item
    deliver(app)
    assert verified(lc)["CN"]["verified"] == 1
    assert lc.verify(last_code(PHONE), PHONE)[0] == 200   # B spent too
    assert lc.request_code(PHONE)[0] == 200
    assert lc.verify(last_code(PHONE), PHONE)[0] == 200   # and C, all read late
    deliver(app)
    deliver(app)
    assert verified(lc)["CN"]["verified"] == 3


def test_test_numbers_are_not_counted_as_in_the_request(lc, app, stream_mode):
    r = lc.client.http.put("/admin/v1/test-numbers/+8613000000000", headers={**lc.headers, **MASTER},
                           body=json.dumps({"code": "123456"}))
    assert r.status_code == 200, r.body
    assert lc.request_code("+8613000000000")[0] == 200
    assert lc.verify("123456", "+8613000000000") == (200, {})
    # removed before the record is read: its code was a test number's when it was verified
    r = lc.client.http.delete("/admin/v1/test-numbers/%2B8613000000000", headers={**lc.headers, **MASTER})
    assert r.status_code == 200, r.body
    deliver(app)
    assert verified(lc).get("CN", {"verified": 0})["verified"] == 0


def test_inline_stages_count_in_the_request_and_the_consumer_stays_out(lc, app):
    assert lc.request_code(PHONE)[0] == 200
    assert lc.verify(last_code(PHONE), PHONE)[0] == 200
    assert verified(lc)["CN"]["verified"] == 1  # counted by the request
    deliver(app)
    assert verified(lc)["CN"]["verified"] == 1
    assert counted_marks() == 0


def test_a_record_that_is_not_a_code_of_ours_is_skipped(app, stream_mode):
    odd = [{"eventName": "MODIFY", "dynamodb": {"NewImage": {"pk": {"S": "x"}, "guess": {"S": "\u00e9"},
                                                             "code_hash": {"S": "\u00e9"}}}},
           {"eventName": "REMOVE", "dynamodb": {"OldImage": {"pk": {"S": "y"}}}}]
    from chalicelib.hooks.verified_counts import handle
    assert handle(odd) == 0
