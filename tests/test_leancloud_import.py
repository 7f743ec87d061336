"""Moving a LeanCloud app: `_User` import, old passwords and session tokens, master-key
queries and deletion (through the LeanCloud REST dialect, on moto)."""
import json

import pytest

from chalicelib import wiring
from chalicelib.core.passwords import Argon2Hasher, leancloud_digest, leancloud_hash
from conftest import KEYS
from test_concurrency import run_threads

MASTER = {"X-LC-Key": KEYS["VERIKIT_MASTER_KEY"] + ",master"}
ROUTE = "/admin/v1/import/leancloud-users"
# LeanCloud's own test vector (shared/specs/leancloud-migration.md)
SALT = "h60d8x797d3oa0naxybxxv9bn7xpt2yiowz68mpiwou7gwr2"
HASHED = "tA7BLW+NK0UeARng0693gCaVnljkglCB9snqlpCSUKjx2RgYp8VZZOQt0S5iUtlDrkJXfT3gknS4rRqjYsd/Ug=="
OID = "6666e6b6b6666666bb66b66b"


def rec(oid=OID, username="testuser", updated="2025-07-02T07:58:53.087Z", **extra):
    return {"objectId": oid, "createdAt": "2025-07-02T07:58:45.609Z", "updatedAt": updated,
            "username": username, **extra}


def legacy(password, salt="s4lt-" + "x" * 20):
    return {"password": leancloud_digest(salt, password), "salt": salt}


def jsonl(*records):
    return "\n".join(json.dumps(r) for r in records)


def do_import(lc, body, query="", status=200):
    raw = body if isinstance(body, str) else json.dumps(body)
    code, out = lc.post(ROUTE + query, headers={**MASTER, "Content-Type": "application/x-ndjson"}, raw=raw)
    assert code == status, out
    return out


def stored(oid=OID):
    return wiring.accounts().users.get(KEYS["VERIKIT_APP_ID"], oid)


def login(lc, **body):
    return lc.post("/1.1/login", body)


# ---- passwords ---------------------------------------------------------------------------------

def test_leancloud_hash_matches_the_documented_test_vector():
    assert leancloud_digest(SALT, "password") == HASHED
    hasher = Argon2Hasher()
    assert hasher.verify(leancloud_hash(SALT, HASHED), "password")
    assert not hasher.verify(leancloud_hash(SALT, HASHED), "Password")
    assert hasher.needs_rehash(leancloud_hash(SALT, HASHED)) and not hasher.needs_rehash(hasher.hash("x"))


def test_the_spec_test_vector_logs_in_and_is_replaced_by_argon2id_once(lc):
    out = do_import(lc, jsonl(rec(password=HASHED, salt=SALT, mobilePhoneNumber="13800138000",
                                  email="user@example.com", nickname="T")))
    assert out == {"created": 1, "updated": 0, "unchanged": 0, "failed": []}
    assert stored().password_hash.startswith("lc-sha512x512$")
    status, user = login(lc, username="testuser", password="password")
    assert status == 200, user
    assert user["objectId"] == OID and user["nickname"] == "T" and user["sessionToken"]
    after = stored()
    assert after.password_hash.startswith("$argon2id$") and "lc-sha512" not in after.password_hash
    assert after.updated_at == before_ms("2025-07-02T07:58:53.087Z")  # a rehash is no user change
    # by phone (LeanCloud kept numbers without +86) and by email, with the same password
    assert login(lc, mobilePhoneNumber="+8613800138000", password="password")[0] == 200
    assert login(lc, email="USER@example.com", password="password")[0] == 200
    status, err = login(lc, username="testuser", password="wrong-password")
    assert (status, err["code"]) == (400, 210)
    # re-importing the same export does not bring the fast hash back
    assert do_import(lc, jsonl(rec(password=HASHED, salt=SALT, mobilePhoneNumber="13800138000",
                                   email="user@example.com", nickname="T")))["unchanged"] == 1
    assert stored().password_hash.startswith("$argon2id$")


def before_ms(iso):
    from datetime import datetime
    return int(datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp() * 1000)


def test_wrong_legacy_passwords_count_toward_the_lockout(lc, settings):
    settings(login_max_failures=3)
    do_import(lc, jsonl(rec(**legacy("right-one"))))
    for _ in range(3):
        status, err = login(lc, username="testuser", password="wrong")
        assert err["code"] == 210
    status, err = login(lc, username="testuser", password="right-one")
    assert (status, err["code"]) == (429, 219)
    assert stored().password_hash.startswith("lc-sha512x512$")  # no rehash without a success


def test_a_legacy_check_costs_what_an_argon2id_check_costs():
    """No timing oracle: checking an imported hash (SHA-512 x513, ~0.3 ms) also spends one
    argon2id verification, as a native user's check does, right or wrong. (Counted rather than
    timed: the figures are in `make bench`'s latency, timings flake on a loaded machine.)"""
    hasher = Argon2Hasher()
    native, imported = hasher.hash("native-password"), leancloud_hash(SALT, HASHED)
    argon2 = hasher._h()
    counted = []

    class Counting:  # argon2-cffi's PasswordHasher, counting its verifications
        def __getattr__(self, name):  # its parameters (time_cost, memory_cost...)
            return getattr(argon2, name)

        def hash(self, password):
            return argon2.hash(password)

        def verify(self, stored_hash, password):
            counted.append(stored_hash)
            return argon2.verify(stored_hash, password)

        def __getattr__(self, name):  # its parameters (time_cost, ...) are the real hasher's
            return getattr(argon2, name)

    hasher._hasher = Counting()
    for stored_hash, password in ((native, "wrong"), (native, "native-password"), (imported, "wrong"),
                                  (imported, "password")):
        counted.clear()
        ok = hasher.verify(stored_hash, password)
        assert ok == (password in ("native-password", "password"))
        assert len(counted) == 1, (stored_hash, counted)
        assert counted[0].startswith("$argon2id$")


def test_concurrent_first_logins_all_succeed_and_rehash_once(lc):
    do_import(lc, jsonl(rec(**legacy("pw-123456"))))
    results = run_threads(lambda i: wiring.accounts().login_password(KEYS["VERIKIT_APP_ID"], "username",
                                                                     "testuser", "pw-123456"), n=4)
    assert all(kind == "ok" for kind, _ in results), results
    user = stored()
    assert user.password_hash.startswith("$argon2id$") and user.version == 1
    assert login(lc, username="testuser", password="pw-123456")[0] == 200


# ---- the import route --------------------------------------------------------------------------

def test_import_needs_the_master_key(lc):
    status, err = lc.post(ROUTE, raw=jsonl(rec()))
    assert (status, err["code"]) == (403, 119)
    assert stored() is None


def test_bad_records_are_reported_by_line_and_never_stop_the_others(lc):
    body = "\n".join([
        json.dumps(rec("a" * 24, "u1")),
        "{not json",
        json.dumps(rec("b" * 24, "u2", email="not-an-email")),
        "",
        json.dumps({"username": "no-id", "updatedAt": "2025-01-01T00:00:00Z"}),
        json.dumps(rec("c" * 24, "u3", mobilePhoneNumber="12")),
        json.dumps(rec("d" * 24, "u4", password="short", salt="x")),
        json.dumps(rec("e" * 24, "u5", updatedAt=None, createdAt=None)),
        json.dumps(rec("f" * 24, "u6", **{"bad-field": 1})),
        json.dumps(rec("a" * 24, "u1-again")),
        json.dumps(rec("9" * 24, "u9", sessionToken="short")),
        json.dumps(rec("8" * 24, "u8")),
    ])
    out = do_import(lc, body)
    assert out["created"] == 2 and out["updated"] == 0 and out["unchanged"] == 0
    failed = {f["line"]: f for f in out["failed"]}
    assert sorted(failed) == [2, 3, 5, 6, 7, 8, 9, 10, 11]
    assert failed[2]["objectId"] is None and "JSON" in failed[2]["error"]
    assert failed[3]["objectId"] == "b" * 24 and "email" in failed[3]["error"]
    assert "objectId" in failed[5]["error"]
    assert "password" in failed[7]["error"] and "updatedAt" in failed[8]["error"]
    assert "bad-field" in failed[9]["error"] and "line 1" in failed[10]["error"]
    assert "sessionToken" in failed[11]["error"]
    assert stored("a" * 24).username == "u1" and stored("8" * 24) is not None


def test_json_array_results_document_and_every_date_form(lc):
    out = do_import(lc, [rec("a" * 24, "u1"),
                         {"objectId": "b" * 24, "username": "u2",
                          "createdAt": {"__type": "Date", "iso": "2024-01-02T03:04:05.678Z"},
                          "updatedAt": {"$date": "2024-02-02T03:04:05.678Z"}}])
    assert out["created"] == 2, out
    out = do_import(lc, {"results": [{"_id": {"$oid": "c" * 24}, "username": "u3",
                                      "createdAt": {"$date": {"$numberLong": "1700000000123"}},
                                      "updatedAt": {"$date": 1700000000456},
                                      "birthday": {"$date": "2000-01-01T00:00:00Z"}}]})
    assert out["created"] == 1, out
    c = stored("c" * 24)
    assert (c.created_at, c.updated_at) == (1700000000123, 1700000000456)
    assert c.custom["birthday"] == {"__type": "Date", "iso": "2000-01-01T00:00:00.000Z"}
    b = stored("b" * 24)
    assert b.created_at == before_ms("2024-01-02T03:04:05.678Z")


def test_dry_run_checks_everything_and_writes_nothing(lc):
    do_import(lc, jsonl(rec("a" * 24, "taken-name")))
    out = do_import(lc, jsonl(rec("a" * 24, "taken-name"), rec("b" * 24, "taken-name"), rec("c" * 24, "new"),
                              rec("d" * 24, "x", email="bad")), query="?dry_run=true")
    assert (out["created"], out["unchanged"]) == (1, 1)
    assert {(f["line"], f["objectId"]) for f in out["failed"]} == {(2, "b" * 24), (4, "d" * 24)}
    assert stored("c" * 24) is None


def test_fields_come_back_as_for_users_created_here(lc):
    token = "0123456789abcdefghijklmno"
    do_import(lc, jsonl(rec(email="User@Example.com", emailVerified=True, mobilePhoneNumber="+8613800138000",
                            mobilePhoneVerified=True, sessionToken=token, nickname="Nick", level=7,
                            tags=["a", "b"], authData={"weixin": {"openid": "o1"}},
                            ACL={"*": {"read": True}}, **legacy("secret-123"))))
    status, me = lc.get("/1.1/users/me", headers={"X-LC-Session": token})
    assert status == 200, me
    assert me["objectId"] == OID and me["username"] == "testuser" and me["sessionToken"] == token
    assert me["createdAt"] == "2025-07-02T07:58:45.609Z" and me["updatedAt"] == "2025-07-02T07:58:53.087Z"
    assert me["email"] == "User@example.com" and me["emailVerified"] is True
    assert me["mobilePhoneNumber"] == "+8613800138000" and me["mobilePhoneVerified"] is True
    assert me["nickname"] == "Nick" and me["level"] == 7 and me["tags"] == ["a", "b"]
    assert me["authData"] == {"weixin": {"openid": "o1"}} and me["ACL"] == {"*": {"read": True}}
    assert "password" not in me and "salt" not in me
    status, public = lc.get(f"/1.1/users/{OID}")
    assert "authData" not in public and "mobilePhoneNumber" not in public and public["nickname"] == "Nick"
    status, logged = login(lc, username="testuser", password="secret-123")
    assert logged["level"] == 7 and logged["sessionToken"] != token


# ---- uniqueness, idempotence, deltas -----------------------------------------------------------

def test_a_value_of_another_user_fails_the_record_and_is_never_merged(lc):
    status, native = lc.post("/1.1/users", {"username": "native", "password": "secret-123",
                                            "mobilePhoneNumber": "+8613800138001", "email": "n@example.com"})
    assert status == 201
    out = do_import(lc, jsonl(rec("a" * 24, "native"), rec("b" * 24, "u2", mobilePhoneNumber="13800138001"),
                              rec("c" * 24, "u3", email="N@EXAMPLE.com"), rec("d" * 24, "u4")))
    assert out["created"] == 1
    errors = {f["line"]: f["error"] for f in out["failed"]}
    assert "username" in errors[1] and "mobilePhoneNumber" in errors[2] and "email" in errors[3]
    assert all(stored(c * 24) is None for c in "abc")
    status, me = lc.get("/1.1/users/me", headers={"X-LC-Session": native["sessionToken"]})
    assert me["username"] == "native" and me["mobilePhoneNumber"] == "+8613800138001"


def test_reimport_is_unchanged_and_a_newer_record_moves_claims_atomically(lc):
    a = rec("a" * 24, "alice", mobilePhoneNumber="+8613800138001", email="a@example.com", **legacy("pw-alice"))
    b = rec("b" * 24, "bob", mobilePhoneNumber="+8613800138002")
    assert do_import(lc, jsonl(a, b))["created"] == 2
    assert do_import(lc, jsonl(a, b)) == {"created": 0, "updated": 0, "unchanged": 2, "failed": []}
    # the delta: bob takes alice's number (listed first: alice releases it in the same import)
    b2 = {**b, "mobilePhoneNumber": "+8613800138001", "updatedAt": "2025-08-01T00:00:00.000Z"}
    a2 = {**a, "mobilePhoneNumber": "+8613800138009", "updatedAt": "2025-08-01T00:00:00.000Z", "nickname": "A"}
    out = do_import(lc, jsonl(b2, a2))
    assert out == {"created": 0, "updated": 2, "unchanged": 0, "failed": []}, out
    assert stored("a" * 24).phone == "+8613800138009" and stored("a" * 24).custom == {"nickname": "A"}
    assert stored("b" * 24).phone == "+8613800138001"
    assert login(lc, mobilePhoneNumber="+8613800138001", password="pw-alice")[1]["code"] == 210
    assert login(lc, mobilePhoneNumber="+8613800138009", password="pw-alice")[0] == 200
    # bob's old number is free: a sign-up may take it
    assert lc.post("/1.1/users", {"username": "carol", "password": "secret-123",
                                  "mobilePhoneNumber": "+8613800138002"})[0] == 201
    # an older record than what is stored changes nothing
    assert do_import(lc, jsonl(a))["unchanged"] == 1
    assert stored("a" * 24).phone == "+8613800138009"


def test_a_delta_moving_a_value_to_a_user_that_keeps_it_fails_without_writing(lc):
    do_import(lc, jsonl(rec("a" * 24, "alice", mobilePhoneNumber="+8613800138001"),
                        rec("b" * 24, "bob", mobilePhoneNumber="+8613800138002", nickname="B")))
    out = do_import(lc, jsonl(rec("b" * 24, "bob", mobilePhoneNumber="+8613800138001", nickname="B2",
                                  updated="2025-09-01T00:00:00Z")))
    assert out["updated"] == 0 and "mobilePhoneNumber" in out["failed"][0]["error"]
    b = stored("b" * 24)
    assert b.phone == "+8613800138002" and b.custom == {"nickname": "B"}  # nothing half-written


def test_a_delta_password_replaces_the_old_one_and_an_unchanged_one_keeps_the_rehash(lc):
    first = rec(**legacy("old-password"))
    do_import(lc, jsonl(first))
    assert login(lc, username="testuser", password="old-password")[0] == 200   # now argon2id
    same = {**first, "updatedAt": "2025-08-01T00:00:00Z", "nickname": "N"}
    assert do_import(lc, jsonl(same))["updated"] == 1
    assert stored().password_hash.startswith("$argon2id$")
    changed = {**same, **legacy("new-password"), "updatedAt": "2025-09-01T00:00:00Z"}
    assert do_import(lc, jsonl(changed))["updated"] == 1
    assert login(lc, username="testuser", password="old-password")[1]["code"] == 210
    assert login(lc, username="testuser", password="new-password")[0] == 200


def test_concurrent_imports_of_one_export_create_each_user_once(lc):
    records = [rec(f"{i:024x}", f"user{i}", mobilePhoneNumber=f"+86138001{i:05d}") for i in range(30)]
    # through the domain, not chalice's test client: its per-request os.environ swap is not
    # thread-safe (concurrent requests leave a copy in place of os.environ)
    results = run_threads(lambda i: wiring.accounts().import_leancloud(
        KEYS["VERIKIT_APP_ID"], list(enumerate(records, start=1))).to_dict(), n=4)
    outs = [r for kind, r in results]
    assert all(kind == "ok" for kind, _ in results), results
    assert sum(o["created"] for o in outs) == 30
    assert all(o["created"] + o["unchanged"] + len(o["failed"]) == 30 for o in outs)
    assert all("meanwhile" in f["error"] for o in outs for f in o["failed"])
    assert do_import(lc, jsonl(*records))["unchanged"] == 30


def test_batches_larger_than_one_transaction(lc):
    records = [rec(f"{i:024x}", f"user{i}", mobilePhoneNumber=f"+86138002{i:05d}", email=f"u{i}@example.com",
                   sessionToken=f"token-{i:020d}") for i in range(120)]
    records.append(rec("f" * 24, "user7"))  # taken within the batch
    out = do_import(lc, jsonl(*records))
    assert out["created"] == 120 and [f["line"] for f in out["failed"]] == [121]
    status, me = lc.get("/1.1/users/me", headers={"X-LC-Session": "token-" + "0" * 17 + "119"})
    assert me["username"] == "user119"


def test_limits_of_one_request(lc):
    status, err = lc.post(ROUTE, headers=MASTER, raw=jsonl(*[rec(f"{i:024x}", f"u{i}") for i in range(1001)]))
    assert (status, err["code"]) == (400, 1) and "1000" in err["error"]
    status, err = lc.post(ROUTE, headers=MASTER, raw="")
    assert status == 400
    status, err = lc.post(ROUTE + "?dry_run=maybe", headers=MASTER, raw=jsonl(rec()))
    assert status == 400
    out = do_import(lc, jsonl(rec(), "[1]"), query="?line_offset=500")
    assert [f["line"] for f in out["failed"]] == [502] and out["created"] == 1


# ---- imported sessions -------------------------------------------------------------------------

TOKEN = "abcdefghijklmnopqrstuvwxy"


def test_an_imported_session_token_is_a_live_session_until_ended(lc):
    do_import(lc, jsonl(rec(sessionToken=TOKEN, **legacy("secret-123"))))
    status, me = lc.get("/1.1/users/me", headers={"X-LC-Session": TOKEN})
    assert status == 200 and me["objectId"] == OID
    assert lc.get("/1.1/users/me", headers={"X-LC-Session": TOKEN[:-1] + "z"})[1]["code"] == 211
    status, fresh = lc.put(f"/1.1/users/{OID}/refreshSessionToken", headers={"X-LC-Session": TOKEN})
    assert status == 200 and fresh["sessionToken"] != TOKEN
    assert lc.get("/1.1/users/me", headers={"X-LC-Session": TOKEN})[1]["code"] == 211
    # importing the same record (or a newer one with the same token) does not revive it
    do_import(lc, jsonl(rec(sessionToken=TOKEN, **legacy("secret-123"))))
    do_import(lc, jsonl(rec(sessionToken=TOKEN, updated="2026-01-01T00:00:00Z", **legacy("secret-123"))))
    assert lc.get("/1.1/users/me", headers={"X-LC-Session": TOKEN})[1]["code"] == 211
    assert lc.get("/1.1/users/me", headers={"X-LC-Session": fresh["sessionToken"]})[0] == 200


def test_a_password_change_ends_the_imported_session(lc):
    do_import(lc, jsonl(rec(sessionToken=TOKEN, **legacy("secret-123"))))
    status, _ = lc.put(f"/1.1/users/{OID}", {"password": "another-456"}, headers={"X-LC-Session": TOKEN})
    assert status == 200
    # PUT with a new password keeps the caller's session
    assert lc.get("/1.1/users/me", headers={"X-LC-Session": TOKEN})[0] == 200
    _, logged = login(lc, username="testuser", password="another-456")
    status, _ = lc.put(f"/1.1/users/{OID}/updatePassword", {"old_password": "another-456",
                                                            "new_password": "third-789"},
                       headers={"X-LC-Session": logged["sessionToken"]})
    assert status == 200
    assert lc.get("/1.1/users/me", headers={"X-LC-Session": TOKEN})[1]["code"] == 211


def test_a_delta_with_a_new_token_replaces_the_old_one(lc):
    do_import(lc, jsonl(rec(sessionToken=TOKEN)))
    do_import(lc, jsonl(rec(sessionToken="new-token-0123456789", updated="2026-01-01T00:00:00Z")))
    assert lc.get("/1.1/users/me", headers={"X-LC-Session": TOKEN})[1]["code"] == 211
    assert lc.get("/1.1/users/me", headers={"X-LC-Session": "new-token-0123456789"})[0] == 200


# ---- master-key queries and deletion -----------------------------------------------------------

def query(lc, path="/1.1/users", headers=MASTER, **params):
    from urllib.parse import urlencode
    q = {k: json.dumps(v) if k == "where" else v for k, v in params.items()}
    return lc.get(f"{path}?{urlencode(q)}" if q else path, headers=headers)


def test_master_queries_by_key_fields_only(lc):
    do_import(lc, jsonl(rec("a" * 24, "alice", mobilePhoneNumber="13800138001", email="a@example.com", n=1),
                        rec("b" * 24, "bob", mobilePhoneNumber="+8613800138002")))
    for path in ("/1.1/users", "/1.1/classes/_User"):
        status, out = query(lc, path, where={"mobilePhoneNumber": "13800138001"})
        assert status == 200 and [u["objectId"] for u in out["results"]] == ["a" * 24], out
        assert out["results"][0]["mobilePhoneNumber"] == "13800138001" and "count" not in out  # as exported
    assert query(lc, where={"email": "A@example.com"})[1]["results"][0]["username"] == "alice"
    assert query(lc, where={"username": "bob"})[1]["results"][0]["objectId"] == "b" * 24
    assert query(lc, where={"objectId": "b" * 24, "username": "bob"})[1]["results"][0]["username"] == "bob"
    assert query(lc, where={"objectId": "b" * 24, "username": "alice"})[1]["results"] == []
    assert query(lc, where={"username": "nobody"}, count="1")[1] == {"results": [], "count": 0}
    assert query(lc, where={"username": "bob"}, count="1", limit="0")[1] == {"results": [], "count": 1}
    assert query(lc, where={"username": "bob"}, skip="1", order="-createdAt")[1] == {"results": []}


def test_bad_queries_are_400_and_app_key_queries_119(lc):
    """The query language itself: tests/test_user_queries.py."""
    assert query(lc, where={"username": "a"}, limit="1001")[0] == 400
    assert query(lc, where={"username": {"$where": "1"}})[1]["code"] == 1
    status, err = lc.get("/1.1/users?where=%7Bbad")
    assert status in (400, 403)
    status, err = query(lc, headers={}, where={"username": "a"})
    assert (status, err["code"]) == (403, 119)


def test_delete_frees_claims_and_ends_sessions(lc):
    do_import(lc, jsonl(rec(sessionToken=TOKEN, mobilePhoneNumber="+8613800138001", **legacy("secret-123"))))
    _, logged = login(lc, username="testuser", password="secret-123")
    status, err = lc.client.http.delete(f"/1.1/users/{OID}", headers=lc.headers).status_code, None
    assert status == 403
    r = lc.client.http.delete(f"/1.1/users/{OID}", headers={**lc.headers, **MASTER})
    assert r.status_code == 200 and json.loads(r.body) == {}
    for token in (TOKEN, logged["sessionToken"]):
        assert lc.get("/1.1/users/me", headers={"X-LC-Session": token})[1]["code"] == 211
    assert lc.client.http.delete(f"/1.1/users/{OID}", headers={**lc.headers, **MASTER}).status_code == 404
    assert lc.post("/1.1/users", {"username": "testuser", "password": "secret-123",
                                  "mobilePhoneNumber": "+8613800138001"})[0] == 201
    # importing the deleted user again (on the operator's word: it left a tombstone) does
    # not revive its old sessions
    do_import(lc, jsonl(rec("a" * 24, "other", sessionToken="x" * 20)))
    out = do_import(lc, jsonl(rec(username="testuser2")), query="?revive_deleted=true")
    assert out["created"] == 1
    assert lc.get("/1.1/users/me", headers={"X-LC-Session": logged["sessionToken"]})[1]["code"] == 211


def test_a_user_deletes_itself_with_its_session_but_not_others(lc):
    do_import(lc, jsonl(rec(sessionToken=TOKEN), rec("b" * 24, "bob")))
    r = lc.client.http.delete(f"/1.1/classes/_User/{'b' * 24}", headers={**lc.headers, "X-LC-Session": TOKEN})
    assert r.status_code == 403 and json.loads(r.body)["code"] == 206
    r = lc.client.http.delete(f"/1.1/users/{OID}", headers={**lc.headers, "X-LC-Session": TOKEN})
    assert r.status_code == 200 and stored() is None and stored("b" * 24) is not None


def test_odd_values_fail_their_record_and_never_break_reads(lc):
    out = do_import(lc, jsonl(rec("a" * 24, "u1", updatedAt={"$date": 10 ** 30}),
                              rec("b" * 24, "u2", createdAt="0001-01-01T00:00:00Z"),
                              rec("é" * 24, "u3"),
                              rec("c" * 24, "u4", birthday={"$date": -(10 ** 20)}),
                              rec("d" * 24, "u5", mobilePhoneNumber="１３８００１３８０００"),
                              rec("e" * 24, "u6", blob="x" * 20000)))
    failed = {f["line"]: f["error"] for f in out["failed"]}
    assert set(failed) == {1, 2, 3, 4, 6}, out
    assert "range" in failed[1] and "range" in failed[2] and "objectId" in failed[3] and "16384" in failed[6]
    # full-width digits are a number like any other
    assert stored("d" * 24).phone == "+8613800138000"
    status, got = query(lc, where={"objectId": "d" * 24})
    assert status == 200 and got["results"][0]["createdAt"] == "2025-07-02T07:58:45.609Z"


def test_non_ascii_digits_in_numeric_query_parameters_are_a_400_not_a_500(lc):
    """``"²".isdigit()`` is true but ``int("²")`` raises: limit, skip and line_offset take
    ASCII digits only (found by the schema fuzz)."""
    for params in ({"limit": "²"}, {"skip": "³"}, {"limit": "١"}, {"limit": "9" * 40}):
        status, err = query(lc, where={"username": "a"}, **params)
        assert (status, err["code"]) == (400, 1) and "integer" in err["error"], params
    assert query(lc, where={"username": "a"}, limit="5", skip="0")[0] == 200
    for offset in ("²", "١", "-1", "1e3"):
        status, err = lc.post(ROUTE + "?line_offset=" + offset, headers=MASTER, raw=jsonl(rec()))
        assert (status, err["code"]) == (400, 1) and "line_offset" in err["error"], offset
    assert stored() is None


# ---- review findings (lone surrogates, a password changed on LeanCloud) --------------------------

def test_a_password_changed_on_leancloud_ends_the_sessions_opened_here(lc):
    do_import(lc, jsonl(rec(sessionToken="tokAAAAAAAAAA1", **legacy("oldpass1", "s1"))))
    status, here = login(lc, username="testuser", password="oldpass1")
    assert status == 200
    do_import(lc, jsonl(rec(updated="2031-01-01T00:00:00Z", sessionToken="tokBBBBBBBBBB2", **legacy("newpass2", "s2"))))
    assert lc.get("/1.1/users/me", headers={"X-LC-Session": here["sessionToken"]})[0] == 400
    assert lc.get("/1.1/users/me", headers={"X-LC-Session": "tokAAAAAAAAAA1"})[0] == 400
    assert lc.get("/1.1/users/me", headers={"X-LC-Session": "tokBBBBBBBBBB2"})[0] == 200  # the export's own
    assert login(lc, username="testuser", password="oldpass1")[1]["code"] == 210
    assert login(lc, username="testuser", password="newpass2")[0] == 200


def test_a_password_changed_on_leancloud_with_the_same_token_keeps_that_token(lc):
    do_import(lc, jsonl(rec(sessionToken="tokAAAAAAAAAA1", **legacy("oldpass1", "s1"))))
    do_import(lc, jsonl(rec(updated="2031-01-01T00:00:00Z", sessionToken="tokAAAAAAAAAA1", **legacy("newpass2", "s2"))))
    assert lc.get("/1.1/users/me", headers={"X-LC-Session": "tokAAAAAAAAAA1"})[0] == 200


def test_a_lone_surrogate_password_is_refused_not_a_500(lc):
    # refused where the body is read (issue 19; tests/test_lone_surrogates.py), for a user
    # and for nobody alike
    do_import(lc, jsonl(rec(**legacy("pw-123456"))))
    body = '{"username": "testuser", "password": "ab\\ud800cd"}'
    for username in ("testuser", "nobody-here"):
        status, out = lc.post("/1.1/login", raw=body.replace("testuser", username))
        assert (status, out["code"]) == (400, 107), out
    status, out = lc.post("/1.1/users", raw='{"username": "new1", "password": "ab\\ud800cdefgh"}')
    assert status == 400 and "surrogate" in out["error"]


def test_a_lone_surrogate_salt_fails_its_record_only(lc):
    bad = rec("5" * 24, "s5", password=HASHED, salt="\ud800")
    out = do_import(lc, json.dumps([bad, rec()]), status=200)
    assert out["created"] == 1 and [f["line"] for f in out["failed"]] == [1]
