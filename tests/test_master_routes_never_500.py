"""Master-key routes answer bad input with a 4xx, never a 500 (issue 19, finding 8): a deeply
nested ``{"__type": "Date"}`` fails its import record (the batch goes on), stats for year 1.
(A template body with a lone surrogate: tests/test_lone_surrogates.py.)"""
import json

import pytest

from test_leancloud_import import MASTER, do_import, jsonl, rec, stored


@pytest.mark.parametrize("field", ["createdAt", "updatedAt"])
@pytest.mark.parametrize("wrap", ['{"__type": "Date", "iso": %s}', '{"$date": %s}'])
def test_a_deeply_nested_date_fails_its_record_and_the_batch_goes_on(lc, field, wrap):
    deep = '"2025-01-01T00:00:00Z"'
    for _ in range(700):
        deep = wrap % deep
    bad = json.dumps(rec("a" * 24, "first")) + "\n" + \
        json.dumps(rec("b" * 24, "nested")).replace(f'"{field}": ', f'"{field}": {deep}, "x{field}": ') + "\n" + \
        json.dumps(rec("c" * 24, "last"))
    out = do_import(lc, bad)
    assert out["created"] == 2 and [f["line"] for f in out["failed"]] == [2], out
    assert stored("a" * 24) is not None and stored("c" * 24) is not None


def test_a_date_nested_once_too_often_is_a_bad_date(lc):
    out = do_import(lc, jsonl(rec("a" * 24, "u", updatedAt={"__type": "Date", "iso": {"__type": "Date",
                                                                                        "iso": "2025-01-01T00:00:00Z"}})))
    assert out["created"] == 0 and "not a date" in out["failed"][0]["error"], out
    out = do_import(lc, jsonl(rec("b" * 24, "v", updatedAt={"$date": {"$date": "2025-01-01T00:00:00Z"}})))
    assert out["created"] == 0 and "not a date" in out["failed"][0]["error"], out
    # the forms the exports use still read
    out = do_import(lc, jsonl(rec("c" * 24, "w", updatedAt={"$date": {"$numberLong": "1735689600000"}}),
                              rec("d" * 24, "x", updatedAt={"__type": "Date", "iso": "2025-01-01T00:00:00Z"})))
    assert out["created"] == 2, out


@pytest.mark.parametrize("query", ["since=0001-01-01&until=0001-01-05", "until=0001-01-01", "since=0001-01-01",
                                   "since=1969-12-31&until=1970-01-02", "since=10000-01-01"])
def test_stats_for_dates_out_of_range_are_a_400(lc, query):
    r = lc.client.http.get(f"/admin/v1/stats?{query}", headers={**lc.headers, **MASTER})
    assert r.status_code == 400 and json.loads(r.body)["code"] == 1, r.body


def test_stats_at_the_ends_of_the_range_answer(lc):
    for query in ("since=9999-12-25&until=9999-12-31", "since=1970-01-01&until=1970-01-03"):
        r = lc.client.http.get(f"/admin/v1/stats?{query}", headers={**lc.headers, **MASTER})
        assert r.status_code == 200, r.body
