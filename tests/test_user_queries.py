"""Master-key user queries in LeanCloud's query language (GET /1.1/users, /1.1/classes/_User):
operators, order, skip, limit, count, keys; key lookups vs a bounded scan; no secrets."""
import json
from urllib.parse import urlencode

import pytest

from chalicelib import wiring
from chalicelib.core import userquery
from conftest import KEYS

MASTER = {"X-LC-Key": KEYS["VERIKIT_MASTER_KEY"] + ",master"}
APP = KEYS["VERIKIT_APP_ID"]


def query(lc, path="/1.1/users", headers=MASTER, **params):
    q = {k: json.dumps(v) if k == "where" else v for k, v in params.items()}
    return lc.get(f"{path}?{urlencode(q)}" if q else path, headers=headers)


@pytest.fixture
def people(lc, settings):
    settings(auth_platforms={"lc_weapp": {"verify": "trust"}})
    made = []
    for i, (name, gender, age, tags) in enumerate([("ann", "female", 31, ["a", "b"]), ("bob", "male", 25, ["b"]),
                                                    ("cat", "female", 19, []), ("dan", None, 40, ["c"])]):
        body = {"username": name, "password": "secret-123", "age": age, "tags": tags}
        if gender:
            body["gender"] = gender
        status, user = lc.post("/1.1/users", body)
        assert status == 201, user
        made.append(user)
    lc.put(f"/1.1/users/{made[0]['objectId']}", {"authData": {"lc_weapp": {"openid": "oA", "session_key": "SECRET"}}},
           headers={"X-LC-Session": made[0]["sessionToken"]})
    return made


def names(out):
    return [u["username"] for u in out["results"]]


def test_every_user_newest_first_and_count(lc, people):
    status, out = query(lc, order="-createdAt", count="1")
    assert status == 200 and out["count"] == 4 and set(names(out)) == {"ann", "bob", "cat", "dan"}
    for path in ("/1.1/users", "/1.1/classes/_User"):
        assert names(query(lc, path, where={"gender": "female"}, order="username")[1]) == ["ann", "cat"]


@pytest.mark.parametrize("where,expected", [
    ({"gender": {"$ne": "female"}}, ["bob", "dan"]),
    ({"gender": {"$in": ["male", "x"]}}, ["bob"]),
    ({"gender": {"$nin": ["male"]}}, ["ann", "cat", "dan"]),
    ({"age": {"$gt": 25, "$lte": 40}}, ["ann", "dan"]),
    ({"age": {"$gte": 25, "$lt": 31}}, ["bob"]),
    ({"gender": {"$exists": False}}, ["dan"]),
    ({"username": {"$regex": "^[ab]"}}, ["ann", "bob"]),
    ({"username": {"$regex": "AN", "$options": "i"}}, ["ann", "dan"]),
    ({"$or": [{"age": 19}, {"gender": "male"}]}, ["bob", "cat"]),
    ({"$and": [{"age": {"$gt": 20}}, {"tags": "b"}]}, ["ann", "bob"]),
    ({"tags": "c"}, ["dan"]),
    ({"authData.lc_weapp.openid": "oA"}, ["ann"]),
    ({"username": {"$in": ["bob", "cat", "zed"]}}, ["bob", "cat"]),
])
def test_operators(lc, people, where, expected):
    status, out = query(lc, where=where, order="username")
    assert status == 200 and names(out) == expected, out


def test_order_skip_limit_keys(lc, people):
    out = query(lc, order="-age,username", skip="1", limit="2")[1]
    assert names(out) == ["ann", "bob"]
    out = query(lc, where={"gender": "female"}, order="-age", keys="age")[1]
    assert out["results"][0].keys() == {"objectId", "createdAt", "updatedAt", "age"}
    assert query(lc, order="username", limit="0", count="1")[1] == {"results": [], "count": 4}


def test_no_secrets_in_results(lc, people):
    out = query(lc, where={"username": "ann"})[1]
    [ann] = out["results"]
    assert ann["authData"] == {"lc_weapp": {"openid": "oA"}}
    text = json.dumps(out)
    for secret in ("SECRET", "argon2", "sessionToken", "password", "session_epoch"):
        assert secret not in text


def test_bad_queries_are_clear_400s(lc, people):
    for params in ({"where": {"age": {"$where": "1"}}}, {"where": {"username": {"$regex": "("}}},
                   {"where": {"$or": []}}, {"order": "bad name"}, {"limit": "1001"}, {"keys": "a b"},
                   {"where": {"tags": {"$in": "x"}}}, {"where": {"age": {"$exists": 1}}}):
        status, err = query(lc, **params)
        assert status == 400 and err["code"] in (1, 107), (params, err)
    assert query(lc, headers={}, where={"gender": "female"})[1]["code"] == 119


def test_keyed_queries_read_no_table(lc, people, monkeypatch):
    acc = wiring.accounts()
    monkeypatch.setattr(type(acc.users), "scan_users", lambda *a, **k: (_ for _ in ()).throw(AssertionError("scan")))
    assert names(query(lc, where={"username": "bob", "age": 25})[1]) == ["bob"]
    assert names(query(lc, where={"objectId": {"$in": [people[2]["objectId"]]}})[1]) == ["cat"]


def test_a_scan_reads_in_pages_and_stops_early_without_order(lc, people):
    acc = wiring.accounts()
    pages = []

    def source(start):
        users, nxt = acc.users.scan_users(APP, start, page_size=1)
        pages.append(len(users))
        return users, nxt

    q = userquery.parse({}, None, 1, 0, False, None)
    users, _ = userquery.run(q, source, 5.0)
    assert len(users) == 1 and sum(pages) == 1 and pages[-1] == 1   # stopped at the first match
    q = userquery.parse({"age": {"$gt": 0}}, "age", 100, 0, True, None)
    users, total = userquery.run(q, source, 5.0)
    assert total == 4 and [u.custom["age"] for u in users] == [19, 25, 31, 40]


def test_a_scan_that_needs_everything_stops_at_its_budget(lc, people):
    acc = wiring.accounts()
    ticks = iter(range(100))
    q = userquery.parse({}, "username", 10, 0, True, None)
    with pytest.raises(userquery.BudgetExceeded):
        userquery.run(q, lambda s: acc.users.scan_users(APP, s, page_size=1), 2.5, clock=lambda: next(ticks))


def test_scan_with_a_cursor_reads_every_match_once(lc, people, monkeypatch):
    store = type(wiring.accounts().users)
    real = store.scan_users
    monkeypatch.setattr(store, "scan_users", lambda self, app, start=None, page_size=3: real(self, app, start, 3))
    seen, cursor, calls = [], None, 0
    while True:
        params = {"limit": "1", "where": {"age": {"$gte": 19}}, "keys": "username"}
        if cursor:
            params["cursor"] = cursor
        status, out = query(lc, "/1.1/scan/classes/_User", **params)
        assert status == 200, out
        calls += 1
        seen += [u["username"] for u in out["results"]]
        cursor = out["cursor"]
        if cursor is None:
            break
    assert sorted(seen) == ["ann", "bob", "cat", "dan"] and calls >= 2
    assert query(lc, "/1.1/scan/classes/_User", cursor="forged.cursor")[0] == 400
    assert query(lc, "/1.1/scan/classes/_User", headers={})[1]["code"] == 119
