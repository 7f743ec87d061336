"""LeanCloud's ACL on imported ``_User`` objects (issue 19, finding 2): a user whose ACL does
not grant public read is not returned to the public app key or to other users (answered as no
such user), only to itself, to users the ACL names, and to the master key; role entries grant
nothing. Users without an ACL keep LeanCloud's default (public read of the public fields)."""
import json

import pytest

from conftest import KEYS

MASTER = {"X-LC-Key": KEYS["VERIKIT_MASTER_KEY"] + ",master"}
OWNER, READER, OTHER = "5f00000000000000000000d1", "5f00000000000000000000d2", "5f00000000000000000000d3"
NOT_FOUND = (404, {"code": 211, "error": "Could not find user."})


def record(oid, username, acl=None, **extra):
    rec = {"objectId": oid, "username": username, "createdAt": "2024-01-01T00:00:00Z",
           "updatedAt": "2024-01-01T00:00:00Z", "sessionToken": f"token{oid}", **extra}
    if acl is not None:
        rec["ACL"] = acl
    return rec


def load(lc, *records):
    r = lc.client.http.post("/admin/v1/import/leancloud-users", headers={**lc.headers, **MASTER},
                            body="\n".join(json.dumps(x) for x in records))
    assert r.status_code == 200 and not json.loads(r.body)["failed"], r.body


def get(lc, oid, token=None, headers=None, path="/1.1/users/"):
    h = dict(headers or {})
    if token:
        h["X-LC-Session"] = token
    return lc.get(path + oid, headers=h)


@pytest.fixture
def users(lc):
    owner_only = {OWNER: {"read": True, "write": True}, "role:Admin": {"read": True}}
    load(lc, record(OWNER, "owner", owner_only, idCardNumber="110101199003074477"),
         record(READER, "reader", {"*": {"read": True}, READER: {"read": True, "write": True}}),
         record(OTHER, "other", {"*": {"read": False}, READER: {"read": True}}, nickname="o"))
    return lc


@pytest.mark.parametrize("path", ["/1.1/users/", "/1.1/classes/_User/"])
def test_an_owner_only_user_is_not_returned_to_the_public_or_other_users(users, path):
    assert get(users, OWNER, path=path) == NOT_FOUND
    assert get(users, OWNER, token=f"token{READER}", path=path) == NOT_FOUND   # another user's session
    # as a user that does not exist
    assert get(users, "5f00000000000000000000ff", path=path) == NOT_FOUND


def test_the_user_itself_and_the_master_key_read_it_whole(users):
    status, me = get(users, OWNER, token=f"token{OWNER}")
    assert status == 200 and me["idCardNumber"] == "110101199003074477" and me["ACL"][OWNER]["read"] is True
    status, body = get(users, OWNER, headers=MASTER)
    assert status == 200 and body["idCardNumber"] == "110101199003074477"


def test_public_read_where_star_grants_it_and_named_users(users):
    status, body = get(users, READER)
    assert status == 200 and body["username"] == "reader" and "ACL" not in body
    # OTHER: "*" read false, READER named: READER reads it, the public does not
    assert get(users, OTHER) == NOT_FOUND
    status, body = get(users, OTHER, token=f"token{READER}")
    assert status == 200 and body["nickname"] == "o" and "ACL" not in body


def test_role_entries_grant_nothing(lc):
    load(lc, record(OWNER, "owner", {"role:Everyone": {"read": True}}))
    assert get(lc, OWNER) == NOT_FOUND


def test_a_malformed_acl_grants_only_the_user_and_the_master(lc):
    load(lc, record(OWNER, "owner", ["*"]))
    assert get(lc, OWNER) == NOT_FOUND
    assert get(lc, OWNER, token=f"token{OWNER}")[0] == 200


def test_users_without_an_acl_keep_leancloud_default_public_read(lc):
    status, user = lc.post("/1.1/users", {"username": "plain", "password": "secret123", "nick": "p"})
    status, body = get(lc, user["objectId"])
    assert status == 200 and body["nick"] == "p" and "mobilePhoneNumber" not in body
    load(lc, record(OWNER, "owner"))
    assert get(lc, OWNER)[0] == 200


def test_writes_stay_the_users_own_whatever_the_acl(users):
    # public write in the ACL does not let others change a _User (LeanCloud's 206)
    load(users, record("5f00000000000000000000d4", "open", {"*": {"read": True, "write": True}}))
    status, err = users.put("/1.1/users/5f00000000000000000000d4", {"nick": "x"},
                            headers={"X-LC-Session": f"token{READER}"})
    assert (status, err["code"]) == (403, 206)
    assert users.put(f"/1.1/users/{OWNER}", {"nick": "x"}, headers={"X-LC-Session": f"token{OWNER}"})[0] == 200
    assert users.put(f"/1.1/users/{OWNER}", {"nick": "y"}, headers=MASTER)[0] == 200


def test_the_acl_functions():
    from types import SimpleNamespace

    from chalicelib.core import acl

    u = SimpleNamespace(object_id="u1", kept={"ACL": {"*": {"read": "yes"}, "u2": {"read": True}}})
    assert not acl.can_read(u) and acl.can_read(u, "u2") and acl.can_read(u, "u1") and acl.can_read(u, master=True)
    assert not acl.can_write(u, "u2") and acl.can_write(u, "u1")
    assert [x.object_id for x in acl.readable([u, SimpleNamespace(object_id="u3", kept={})])] == ["u3"]
