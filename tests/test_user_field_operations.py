"""LeanCloud's field operations on a user's own fields (PUT /1.1/users/<id> and
/1.1/classes/_User/<id>): Increment, Decrement, Add, AddUnique, Remove, Delete, atomic under
concurrency; and updatedAt moves on every update."""
from chalicelib import wiring
from chalicelib.core.fieldops import Op
from conftest import KEYS
from test_concurrency import run_threads

APP = KEYS["VERIKIT_APP_ID"]
MASTER = {"X-LC-Key": KEYS["VERIKIT_MASTER_KEY"] + ",master"}


def user(lc, **fields):
    status, u = lc.post("/1.1/users", {"username": "ann", "password": "secret-123", **fields})
    assert status == 201, u
    return u


def me(lc, u):
    return lc.get("/1.1/users/me", headers={"X-LC-Session": u["sessionToken"]})[1]


def test_operations(lc):
    u = user(lc, score=10, tags=["a", {"x": 1}], nick="n")
    h = {"X-LC-Session": u["sessionToken"]}
    status, out = lc.put(f"/1.1/users/{u['objectId']}", {
        "score": {"__op": "Increment", "amount": 5}, "tags": {"__op": "Add", "objects": ["b", "a"]},
        "level": {"__op": "Increment", "amount": 2}, "nick": {"__op": "Delete"}}, headers=h)
    assert status == 200 and set(out) == {"objectId", "updatedAt"}
    got = me(lc, u)
    assert got["score"] == 15 and got["level"] == 2 and got["tags"] == ["a", {"x": 1}, "b", "a"] and "nick" not in got
    assert lc.put(f"/1.1/classes/_User/{u['objectId']}", {
        "score": {"__op": "Decrement", "amount": 20}, "tags": {"__op": "AddUnique", "objects": [{"x": 1}, "c"]},
        "list": {"__op": "AddUnique", "objects": [1, 1]}}, headers=h)[0] == 200
    got = me(lc, u)
    assert got["score"] == -5 and got["tags"] == ["a", {"x": 1}, "b", "a", "c"] and got["list"] == [1]
    assert lc.put(f"/1.1/users/{u['objectId']}", {"tags": {"__op": "Remove", "objects": ["a", {"x": 1}]}},
                  headers=MASTER)[0] == 200
    assert me(lc, u)["tags"] == ["b", "c"]


def test_bad_operations_are_400(lc):
    u = user(lc, nick="n", tags=[])
    h = {"X-LC-Session": u["sessionToken"]}
    for body in ({"nick": {"__op": "Increment", "amount": 1}}, {"tags": {"__op": "Increment", "amount": "x"}},
                 {"nick": {"__op": "Add", "objects": ["x"]}}, {"tags": {"__op": "Add", "objects": "x"}},
                 {"tags": {"__op": "BitOr", "value": 1}}, {"username": {"__op": "Increment", "amount": 1}},
                 {"score": {"__op": "Increment", "amount": True}}):
        status, err = lc.put(f"/1.1/users/{u['objectId']}", body, headers=h)
        assert status == 400 and err["code"] == 1, (body, err)
    assert me(lc, u)["nick"] == "n"        # nothing half-written
    assert lc.post("/1.1/users", {"username": "bob", "password": "secret-123",
                                  "score": {"__op": "Increment", "amount": 1}})[0] == 400


def test_racing_increments_all_count(lc):
    u = user(lc, score=0, tags=[])
    acc = wiring.accounts()

    def bump(i):
        return acc.update_user(APP, u["objectId"], {"custom": {"score": Op("Increment", 1),
                                                               "tags": Op("AddUnique", [i % 3])}}, None, None,
                               master=True)

    results = run_threads(bump, 8)
    assert all(kind == "ok" for kind, _ in results), results
    got = me(lc, u)
    assert got["score"] == 8 and sorted(got["tags"]) == [0, 1, 2]


def test_an_update_to_the_same_value_still_moves_updated_at(lc):
    u = user(lc, nick="n")
    acc = wiring.accounts()
    from chalicelib.core.clock import FakeClock
    acc.clock = FakeClock(acc.clock.now() + 5)
    status, out = lc.put(f"/1.1/users/{u['objectId']}", {"nick": "n"}, headers={"X-LC-Session": u["sessionToken"]})
    assert status == 200 and out["updatedAt"] > u["createdAt"]
    assert me(lc, u)["updatedAt"] == out["updatedAt"]
