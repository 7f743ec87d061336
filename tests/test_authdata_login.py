"""Third-party login (LeanCloud authData) through the REST dialect, on moto, against local
fakes of WeChat's sns/auth and Apple's key set: login or sign-up, failOnNotExist, unionId,
link / unlink, anonymous users, one user per platform uid under concurrency, imports."""
import json

import pytest

from chalicelib import wiring
from conftest import KEYS
from fakes.apple import FakeApple
from fakes.weixin import FakeWeixin
from test_concurrency import run_threads

APP = KEYS["VERIKIT_APP_ID"]
MASTER = {"X-LC-Key": KEYS["VERIKIT_MASTER_KEY"] + ",master"}
PLATFORMS = {"weixin": {"verify": "weixin"}, "lc_apple": {"verify": "apple", "client_ids": ["com.example.app"]},
             "anonymous": {"verify": "anonymous"}, "lc_weapp": {"verify": "trust"}, "myapp": {"verify": "hook"}}
ANON = "0123456789abcdef0123456789abcdef"


@pytest.fixture(scope="module")
def weixin():
    fake = FakeWeixin()
    yield fake
    fake.close()


@pytest.fixture(scope="module")
def apple():
    fake = FakeApple()
    yield fake
    fake.close()


@pytest.fixture(autouse=True)
def platforms(settings, monkeypatch, weixin, apple):
    monkeypatch.setenv("VERIKIT_WEIXIN_API", weixin.url)
    monkeypatch.setenv("VERIKIT_APPLE_JWKS_URL", apple.url)
    settings(auth_platforms=PLATFORMS)


def sess(token):
    return {"X-LC-Session": token}


def login(lc, platform, data, query=""):
    return lc.post("/1.1/users" + query, {"authData": {platform: data}})


def now():
    return wiring.service().clock.now()


# ---- login or sign-up --------------------------------------------------------------------------

def test_weixin_login_signs_up_then_logs_in_the_same_user(lc, weixin):
    data = weixin.grant("oWx-1", "tok-1")
    status, user = login(lc, "weixin", data)
    assert status == 201, user
    assert user["sessionToken"] and len(user["username"]) == 25 and user["authData"]["weixin"]["openid"] == "oWx-1"
    assert weixin.requests[-1]["query"] == {"access_token": "tok-1", "openid": "oWx-1"}
    status, again = login(lc, "weixin", weixin.grant("oWx-1", "tok-2"))   # a new token: checked again
    assert status == 200 and again["objectId"] == user["objectId"] and again["sessionToken"] != user["sessionToken"]
    assert again["authData"]["weixin"]["access_token"] == "tok-2"
    assert lc.get("/1.1/users/me", headers=sess(user["sessionToken"]))[0] == 200


def test_a_token_wechat_refuses_is_251_and_nothing_is_created(lc, weixin):
    status, err = login(lc, "weixin", {"openid": "oWx-2", "access_token": "forged"})
    assert (status, err["code"]) == (400, 251)
    weixin.grant("oWx-2", "good")
    assert login(lc, "weixin", {"openid": "oWx-2", "access_token": "good"})[0] == 201


def test_fail_on_not_exist_answers_211(lc, weixin):
    data = weixin.grant("oWx-3", "t3")
    assert login(lc, "weixin", data, "?failOnNotExist=true") == (400, {"code": 211, "error": "Could not find user."})
    assert login(lc, "weixin", data)[0] == 201
    assert login(lc, "weixin", data, "?failOnNotExist=true")[0] == 200


def test_unlisted_platform_and_default_settings_refuse(lc, settings):
    status, err = login(lc, "weibo", {"uid": "1", "access_token": "x"})
    assert status == 400 and err["code"] == 1 and "not enabled" in err["error"]
    settings()  # auth_platforms defaults to none at all
    status, err = login(lc, "anonymous", {"id": ANON})
    assert status == 400 and "auth_platforms" in err["error"]


def test_hook_platform_says_it_is_not_configured(lc):
    status, err = login(lc, "myapp", {"uid": "u1", "token": "t"})
    assert status == 400 and err["code"] == 251 and "not configured" in err["error"]


def test_bad_auth_data_is_a_clear_400(lc):
    for body in ({"authData": "x"}, {"authData": {"anonymous": {"id": ANON}, "weixin": {"openid": "o"}}},
                 {"authData": {"anonymous": {"id": "short"}}}, {"authData": {"bad name": {"id": ANON}}},
                 {"authData": {"weixin": {"access_token": "t"}}}):
        status, err = lc.post("/1.1/users", body)
        assert status == 400 and err["code"] in (1, 251), (body, err)


# ---- Apple ---------------------------------------------------------------------------------------

def test_apple_identity_token_checked_against_the_jwks(lc, apple):
    token = apple.token("001234.apple-user", now=now())
    status, user = login(lc, "lc_apple", {"uid": "001234.apple-user", "identity_token": token, "code": "c"})
    assert status == 201, user
    assert login(lc, "lc_apple", {"identity_token": apple.token("001234.apple-user", now=now())})[1]["objectId"] \
        == user["objectId"]
    bad = [apple.token("x", aud="com.other.app", now=now()),                     # not our client id
           apple.token("x", iss="https://evil.example", now=now()),              # not Apple
           apple.token("x", exp=now() - 1, now=now() - 700),                     # expired
           apple.token("x", key=apple.other, now=now())]                         # not Apple's key
    for t in bad:
        status, err = login(lc, "lc_apple", {"uid": "x", "identity_token": t})
        assert (status, err["code"]) == (400, 251), err
    status, err = login(lc, "lc_apple", {"uid": "someone-else", "identity_token": apple.token("x", now=now())})
    assert (status, err["code"]) == (400, 251) and "another uid" in err["error"]


# ---- unionId ---------------------------------------------------------------------------------------

def test_union_id_logs_other_platforms_into_the_main_account(lc, weixin):
    main = {**weixin.grant("oWx-app", "t"), "unionid": "U-1", "platform": "weixin", "main_account": True}
    status, user = login(lc, "weixin", main)
    assert status == 201
    mini = {"openid": "oMini-1", "session_key": "k", "unionid": "U-1", "platform": "weixin", "main_account": False}
    status, same = login(lc, "lc_weapp", mini)
    assert status == 200 and same["objectId"] == user["objectId"]
    assert set(same["authData"]) == {"weixin", "lc_weapp"}
    # another unionid is another user
    status, other = login(lc, "lc_weapp", {**mini, "openid": "oMini-2", "unionid": "U-2"})
    assert status == 201 and other["objectId"] != user["objectId"]


# ---- link, unlink, anonymous --------------------------------------------------------------------

def test_link_unlink_and_one_user_per_uid(lc, weixin):
    a = lc.post("/1.1/users", {"username": "alice", "password": "secret-123"})[1]
    b = lc.post("/1.1/users", {"username": "bob", "password": "secret-123"})[1]
    data = weixin.grant("oWx-link", "t")
    status, out = lc.put(f"/1.1/users/{a['objectId']}", {"authData": {"weixin": data}}, headers=sess(a["sessionToken"]))
    assert status == 200, out
    assert login(lc, "weixin", data)[1]["objectId"] == a["objectId"]
    status, err = lc.put(f"/1.1/users/{b['objectId']}", {"authData": {"weixin": data}}, headers=sess(b["sessionToken"]))
    assert (status, err["code"]) == (400, 208)
    # the Python SDK's unlink: the whole authData with the platform null
    assert lc.put(f"/1.1/classes/_User/{a['objectId']}", {"authData": {"weixin": None}},
                  headers=sess(a["sessionToken"]))[0] == 200
    me = lc.get("/1.1/users/me", headers=sess(a["sessionToken"]))[1]
    assert "weixin" not in (me.get("authData") or {})
    # freed: bob links it now (the JS SDK's way to unlink is authData.<platform> Delete)
    assert lc.put(f"/1.1/users/{b['objectId']}", {"authData": {"weixin": data}}, headers=sess(b["sessionToken"]))[0] == 200
    assert lc.put(f"/1.1/users/{b['objectId']}", {"authData.weixin": {"__op": "Delete"}},
                  headers=sess(b["sessionToken"]))[0] == 200
    assert login(lc, "weixin", data, "?failOnNotExist=true")[1]["code"] == 211
    # linking needs the user's own session
    assert lc.put(f"/1.1/users/{b['objectId']}", {"authData": {"weixin": data}},
                  headers=sess(a["sessionToken"]))[1]["code"] == 206


def test_anonymous_user_becomes_a_normal_one_by_signing_up(lc):
    status, anon = login(lc, "anonymous", {"id": ANON})
    assert status == 201 and anon["authData"] == {"anonymous": {"id": ANON}}
    status, _ = lc.put(f"/1.1/users/{anon['objectId']}", {"username": "carol", "password": "secret-123"},
                       headers=sess(anon["sessionToken"]))
    assert status == 200
    status, me = lc.post("/1.1/login", {"username": "carol", "password": "secret-123"})
    assert status == 200 and me["objectId"] == anon["objectId"] and "anonymous" not in (me.get("authData") or {})
    assert login(lc, "anonymous", {"id": ANON})[0] == 201  # the old anonymous id opens a new account


# ---- exact under concurrency ------------------------------------------------------------------

def test_racing_first_logins_of_one_uid_make_one_user(weixin, settings):
    settings(auth_platforms=PLATFORMS)
    data = weixin.grant("oWx-race", "t")
    acc = wiring.accounts()
    results = run_threads(lambda i: acc.login_with_auth_data(APP, {"weixin": data}), 8)
    assert all(kind == "ok" for kind, _ in results), results
    users = {r[0].object_id for _, r in results}
    created = [r for _, r in results if r[2]]
    assert len(users) == 1 and len(created) == 1, results
    assert acc.users.find(APP, "auth:weixin", "oWx-race").object_id in users


def test_racing_links_of_one_uid_leave_it_with_one_user(settings):
    settings(auth_platforms=PLATFORMS)
    acc = wiring.accounts()
    users = [acc.signup(APP, f"user{i}", "secret-123")[0] for i in range(6)]
    data = {"openid": "oMini-race", "session_key": "k"}

    def link(i):
        return acc.update_user(APP, users[i].object_id, {"auth_data": {"lc_weapp": data}}, users[i], None)

    results = run_threads(link, 6)
    winners = [r for kind, r in results if kind == "ok"]
    assert len(winners) == 1, results
    assert all(getattr(r, "field", None) == "authData" for kind, r in results if kind == "err")
    assert acc.users.find(APP, "auth:lc_weapp", "oMini-race").object_id == winners[0].object_id


# ---- imported users ----------------------------------------------------------------------------

def test_imported_users_log_in_with_their_auth_data(lc, weixin):
    rec = {"objectId": "5f0000000000000000000001", "createdAt": "2025-07-02T07:58:45.609Z",
           "updatedAt": "2025-07-02T07:58:53.087Z", "username": "wx_only",
           "authData": {"weixin": {"openid": "oWx-imported", "access_token": "old", "expires_in": 7200},
                        "lc_apple": {"uid": "000999.apple"}}}
    route = "/admin/v1/import/leancloud-users"
    headers = {**MASTER, "Content-Type": "application/x-ndjson"}
    assert lc.post(route, headers=headers, raw=json.dumps(rec))[1]["created"] == 1
    assert lc.post(route, headers=headers, raw=json.dumps(rec))[1]["unchanged"] == 1   # idempotent
    status, user = login(lc, "weixin", weixin.grant("oWx-imported", "fresh"))
    assert status == 200 and user["objectId"] == rec["objectId"] and user["username"] == "wx_only"
    # a second record claiming the same openid fails, alone
    twin = {**rec, "objectId": "5f0000000000000000000002", "username": "twin"}
    out = lc.post(route, headers=headers, raw=json.dumps(twin))[1]
    assert out["created"] == 0 and out["failed"][0]["error"].startswith("authData.")


# ---- the setting and the rules ----------------------------------------------------------------

@pytest.mark.parametrize("value", [
    {"weixin": {}}, {"weixin": {"verify": "nope"}}, {"bad name": {"verify": "trust"}},
    {"lc_apple": {"verify": "apple"}}, {"lc_apple": {"verify": "apple", "client_ids": []}},
    {"weixin": {"verify": "weixin", "client_ids": ["x"]}}, {"weixin": {"verify": "weixin", "secret": "x"}}, [],
])
def test_bad_auth_platforms_are_refused_by_the_settings_api(lc, value):
    status, err = lc.client.http.patch("/admin/v1/settings", headers={**lc.headers, **MASTER},
                                       body=json.dumps({"auth_platforms": value})).status_code, None
    assert status == 400


def test_claims_and_public_view_of_auth_data():
    from chalicelib.core import authdata
    data = {"weixin": {"openid": "o1", "access_token": "SECRET", "unionid": "U", "main_account": True},
            "lc_weapp": {"openid": "o2", "session_key": "SECRET", "unionid": "U", "platform": "weixin"},
            "anonymous": {"id": "a" * 20}, "broken": "x", "lc_apple": {"uid": "has#hash"}}
    assert authdata.claims_of(data) == {"auth:weixin": "o1", "union:weixin": "U", "auth:lc_weapp": "o2",
                                        "auth:anonymous": "a" * 20}
    assert "SECRET" not in json.dumps(authdata.public(data))
