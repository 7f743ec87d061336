"""The import and the users' own decisions (issue 19, findings 4 and 10): an imported
sessionToken is never handed to a second user nor revived once ended here, and a user deleted
here is not re-created by a re-import of the same export unless the operator says so."""


from test_leancloud_import import MASTER, OID, do_import, jsonl, legacy, login, rec, stored

TOKEN = "sharedtoken0123456789"
OTHER = "b" * 24


def me(lc, token):
    return lc.get("/1.1/users/me", headers={"X-LC-Session": token})


def test_a_duplicate_session_token_in_one_import_fails_the_second_record(lc):
    out = do_import(lc, jsonl(rec(sessionToken=TOKEN), rec(OTHER, "bob", sessionToken=TOKEN)))
    assert out["created"] == 1 and [(f["line"], f["objectId"]) for f in out["failed"]] == [(2, OTHER)], out
    assert "sessionToken" in out["failed"][0]["error"]
    assert me(lc, TOKEN)[1]["objectId"] == OID and stored(OTHER) is None


def test_a_session_token_of_another_user_fails_the_record_in_a_later_import(lc):
    do_import(lc, jsonl(rec(sessionToken=TOKEN)))
    dry = do_import(lc, jsonl(rec(OTHER, "bob", sessionToken=TOKEN)), query="?dry_run=true")
    assert dry["created"] == 0 and dry["failed"][0]["error"] == "sessionToken belongs to another user", dry
    out = do_import(lc, jsonl(rec(OTHER, "bob", sessionToken=TOKEN)))
    assert out["created"] == 0 and out["failed"][0]["error"] == "sessionToken belongs to another user", out
    assert me(lc, TOKEN)[1]["objectId"] == OID   # still the first user's
    assert stored(OTHER) is None                  # nothing half-written
    # a delta of an existing user bringing another user's token fails the same way
    do_import(lc, jsonl(rec(OTHER, "bob")))
    out = do_import(lc, jsonl(rec(OTHER, "bob", updated="2026-01-01T00:00:00Z", sessionToken=TOKEN)))
    assert out["updated"] == 0 and out["failed"][0]["error"] == "sessionToken belongs to another user", out
    assert me(lc, TOKEN)[1]["objectId"] == OID


def test_a_delta_with_a_new_password_never_revives_a_token_the_user_ended(lc):
    do_import(lc, jsonl(rec(sessionToken=TOKEN, **legacy("oldpass1", "s1"))))
    status, fresh = lc.put(f"/1.1/users/{OID}/refreshSessionToken", headers={"X-LC-Session": TOKEN})
    assert status == 200 and me(lc, TOKEN)[1]["code"] == 211
    out = do_import(lc, jsonl(rec(updated="2031-01-01T00:00:00Z", sessionToken=TOKEN, **legacy("newpass2", "s2"))))
    assert out["updated"] == 1, out
    assert me(lc, TOKEN)[1]["code"] == 211                                 # still ended
    assert login(lc, username="testuser", password="newpass2")[0] == 200


def test_a_delta_with_a_new_password_keeps_a_token_that_still_lives(lc):
    do_import(lc, jsonl(rec(sessionToken=TOKEN, **legacy("oldpass1", "s1"))))
    out = do_import(lc, jsonl(rec(updated="2031-01-01T00:00:00Z", sessionToken=TOKEN, **legacy("newpass2", "s2"))))
    assert out["updated"] == 1 and me(lc, TOKEN)[0] == 200, out


def test_a_user_deleted_here_is_not_recreated_by_a_reimport(lc):
    export = jsonl(rec(sessionToken=TOKEN, mobilePhoneNumber="+8613800138001"), rec(OTHER, "bob"))
    assert do_import(lc, export)["created"] == 2
    r = lc.client.http.delete(f"/1.1/users/{OID}", headers={**lc.headers, **MASTER})
    assert r.status_code == 200
    for query in ("", "?dry_run=true"):
        out = do_import(lc, export, query=query)
        assert out["created"] == 0 and out["unchanged"] == 1, out
        assert [f["objectId"] for f in out["failed"]] == [OID] and "deleted" in out["failed"][0]["error"]
    assert stored() is None and me(lc, TOKEN)[1]["code"] == 211
    # the operator's word brings it back (and the tombstone goes)
    out = do_import(lc, export, query="?revive_deleted=true")
    assert out["created"] == 1 and out["failed"] == [], out
    assert stored().phone == "+8613800138001"
    assert do_import(lc, export) == {"created": 0, "updated": 0, "unchanged": 2, "failed": []}


def test_a_user_deleted_from_the_console_or_by_itself_leaves_a_tombstone_too(lc):
    do_import(lc, jsonl(rec(sessionToken=TOKEN), rec(OTHER, "bob")))
    r = lc.client.http.delete(f"/admin/v1/users/{OTHER}", headers={**lc.headers, **MASTER})
    assert r.status_code == 200, r.body
    r = lc.client.http.delete(f"/1.1/users/{OID}", headers={**lc.headers, "X-LC-Session": TOKEN})
    assert r.status_code == 200
    out = do_import(lc, jsonl(rec(sessionToken=TOKEN), rec(OTHER, "bob")))
    assert out["created"] == 0 and len(out["failed"]) == 2, out


def test_signing_up_again_after_a_deletion_is_not_blocked(lc):
    status, user = lc.post("/1.1/users", {"username": "carol", "password": "secret123"})
    r = lc.client.http.delete(f"/1.1/users/{user['objectId']}",
                              headers={**lc.headers, "X-LC-Session": user["sessionToken"]})
    assert r.status_code == 200
    assert lc.post("/1.1/users", {"username": "carol", "password": "secret123"})[0] == 201


def test_concurrent_imports_hand_one_token_to_one_user_only(lc):
    """Eight imports race, each a different user carrying the same sessionToken: one wins."""
    from chalicelib import wiring
    from conftest import KEYS
    from test_concurrency import run_threads

    acc = wiring.accounts()

    def one(i):
        return acc.import_leancloud(KEYS["VERIKIT_APP_ID"], [(1, rec(f"{i:024x}", f"user{i}", sessionToken=TOKEN))])

    results = run_threads(one, n=8)
    assert all(r[0] == "ok" for r in results), results
    assert sum(r[1].created for r in results) == 1
    winner = next(f"{i:024x}" for i, r in enumerate(results) if r[1].created)
    assert me(lc, TOKEN)[1]["objectId"] == winner
    assert [stored(f"{i:024x}") is not None for i in range(8)].count(True) == 1  # nothing half-written
