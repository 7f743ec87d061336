"""Tokens stay in the dialect that issued them (issue 19, finding 3): a CloudBase access token
is no ``X-LC-Session`` (else a 60-second access token minted a non-expiring LeanCloud session
through ``refreshSessionToken``), and a LeanCloud session, imported ones too, no CloudBase
Bearer token."""
import json

from conftest import KEYS, last_code

MASTER = {"X-LC-Key": KEYS["VERIKIT_MASTER_KEY"] + ",master"}
PHONE = "+8613800138011"


def cb(lc, method, path, body=None, token=None):
    headers = {"Content-Type": "text/plain;charset=UTF-8"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    r = getattr(lc.client.http, method)(f"/auth/v1/{path}?client_id=env-1", headers=headers,
                                        body=json.dumps(body) if body is not None else None)
    return r.status_code, json.loads(r.body)


def cloudbase_user(lc, settings):
    settings(access_token_ttl_seconds=60, cooldown_seconds=0)
    status, started = cb(lc, "post", "verification", {"phone_number": "+86 13800138011"})
    assert status == 200, started
    status, v = cb(lc, "post", "verification/verify", {"verification_id": started["verification_id"],
                                                        "verification_code": last_code(PHONE)})
    status, creds = cb(lc, "post", "signup", {"phone_number": "+86 13800138011", "password": "abc12345",
                                              "verification_token": v["verification_token"]})
    assert status == 200, creds
    return creds


def test_an_access_token_is_no_leancloud_session(lc, settings):
    creds = cloudbase_user(lc, settings)
    sess = {"X-LC-Session": creds["access_token"]}
    assert lc.get("/1.1/users/me", headers=sess)[1]["code"] == 211  # LeanCloud's answer for a token it does not know
    # the escalation the review found: refreshSessionToken turned it into a non-expiring session
    status, body = lc.put(f"/1.1/users/{creds['sub']}/refreshSessionToken", headers=sess)
    assert status in (401, 403) and "sessionToken" not in body, body
    status, body = lc.put(f"/1.1/users/{creds['sub']}", {"nick": "x"}, headers=sess)
    assert status in (401, 403), body
    # nor is a refresh token
    assert lc.get("/1.1/users/me", headers={"X-LC-Session": creds["refresh_token"]})[1]["code"] == 211
    # in its own dialect it works
    assert cb(lc, "get", "user/me", token=creds["access_token"])[0] == 200


def test_a_leancloud_session_is_no_cloudbase_bearer_token(lc):
    status, user = lc.post("/1.1/users", {"username": "ann", "password": "secret123"})
    assert status == 201
    status, body = cb(lc, "get", "user/me", token=user["sessionToken"])
    assert (status, body["error"]) == (401, "unauthenticated"), body
    status, body = cb(lc, "post", "token", {"grant_type": "refresh_token", "refresh_token": user["sessionToken"]})
    assert (status, body["error"]) == (400, "invalid_grant"), body
    # CloudBase sign-out leaves a LeanCloud session alone
    assert cb(lc, "post", "revoke", {"token": user["sessionToken"]})[0] == 200
    assert lc.get("/1.1/users/me", headers={"X-LC-Session": user["sessionToken"]})[0] == 200


def test_an_imported_leancloud_session_is_no_cloudbase_bearer_token(lc):
    rec = {"objectId": "imp1", "username": "imp", "createdAt": "2024-01-01T00:00:00.000Z",
           "updatedAt": "2024-01-01T00:00:00.000Z", "sessionToken": "lcsessiontoken0123456789"}
    r = lc.client.http.post("/admin/v1/import/leancloud-users", headers={**lc.headers, **MASTER},
                            body=json.dumps(rec))
    assert r.status_code == 200 and json.loads(r.body)["created"] == 1, r.body
    assert lc.get("/1.1/users/me", headers={"X-LC-Session": rec["sessionToken"]})[0] == 200
    assert cb(lc, "get", "user/me", token=rec["sessionToken"])[0] == 401


def test_untagged_items_are_told_apart_by_their_peer(lc, settings):
    """Sessions written before the tag: an access token has a peer, a LeanCloud session not."""
    from chalicelib.store.users import UserModel

    creds = cloudbase_user(lc, settings)
    status, user = lc.post("/1.1/users", {"username": "ben", "password": "secret123"})
    for item in UserModel.scan():
        if item.kind in ("session", "refresh") and item.dialect:
            item.update(actions=[UserModel.dialect.remove()])
    assert all(i.dialect is None for i in UserModel.scan() if i.kind in ("session", "refresh"))
    assert lc.get("/1.1/users/me", headers={"X-LC-Session": user["sessionToken"]})[0] == 200
    assert lc.get("/1.1/users/me", headers={"X-LC-Session": creds["access_token"]})[1]["code"] == 211
    assert cb(lc, "get", "user/me", token=creds["access_token"])[0] == 200
    assert cb(lc, "get", "user/me", token=user["sessionToken"])[0] == 401
