"""The CloudBase /auth/v1 dialect through chalice.test.Client, on moto: every route and
error, the seed's phone flow and an email flow, captcha_required, token rotation."""
import json
import re

import pytest

from chalicelib import wiring
from conftest import KEYS, last_code
from test_concurrency import run_threads

PHONE, CB_PHONE = "+8613800138001", "+86 13800138001"
MASTER = {"X-LC-Id": KEYS["VERIKIT_APP_ID"], "X-LC-Key": KEYS["VERIKIT_MASTER_KEY"] + ",master"}


class CB:
    def __init__(self, client):
        self.client = client

    def post(self, path, body=None, headers=None, query="?client_id=env-1"):
        # the SDK sends JSON as text/plain
        r = self.client.http.post(f"/auth/v1/{path}{query}", body=json.dumps(body or {}),
                                  headers={"Content-Type": "text/plain;charset=UTF-8", **(headers or {})})
        return r.status_code, json.loads(r.body)

    def me(self, access):
        r = self.client.http.get("/auth/v1/user/me", headers={"Authorization": f"Bearer {access}"})
        return r.status_code, json.loads(r.body)

    def verification(self, phone_number=CB_PHONE, email=None, target=None, headers=None, query="?client_id=env-1"):
        body = {"email": email} if email else {"phone_number": phone_number}
        if target:
            body["target"] = target
        return self.post("verification", body, headers, query)

    def token_for(self, to=PHONE, **kw):
        status, started = self.verification(**kw)
        assert status == 200, started
        code = re.search(r"(\d{6})", wiring.outbox().list(to)[-1]["body"]).group(1)
        status, verified = self.post("verification/verify", {"verification_id": started["verification_id"],
                                                             "verification_code": code})
        assert status == 200, verified
        return started, verified


@pytest.fixture
def cb(lc, settings):
    settings(cooldown_seconds=0, email_cooldown_seconds=0)
    return CB(lc.client)


def test_seed_phone_flow_sign_up_then_sign_in_with_a_code(cb):
    started, verified = cb.token_for()
    assert started["expires_in"] == 600 and started["is_user"] is False
    assert "code" not in started and verified["expires_in"] > 0
    status, creds = cb.post("signup", {"phone_number": CB_PHONE, "verification_token": verified["verification_token"],
                                       "name": "Al", "password": "abc12345", "username": "al_cb"})
    assert status == 200 and creds["token_type"] == "Bearer" and creds["expires_in"] == 7200
    assert {"access_token", "refresh_token", "sub"} <= set(creds)
    status, me = cb.me(creds["access_token"])
    assert status == 200 and me["sub"] == creds["sub"] and me["phone_number"] == CB_PHONE
    assert me["username"] == "al_cb" and me["name"] == "Al" and me["has_password"] is True
    # the next time: is_user, and sign in with a verification token
    started, verified = cb.token_for()
    assert started["is_user"] is True
    status, again = cb.post("signin", {"username": CB_PHONE, "verification_token": verified["verification_token"]})
    assert status == 200 and again["sub"] == creds["sub"]


def test_sign_in_by_username_phone_or_email_with_password(cb):
    _, v = cb.token_for()
    sub = cb.post("signup", {"phone_number": "+8613800138001", "verification_token": v["verification_token"],
                             "password": "abc12345", "username": "al_cb"})[1]["sub"]
    for username in ("al_cb", CB_PHONE, "13800138001"):
        status, creds = cb.post("signin", {"username": username, "password": "abc12345"})
        assert status == 200 and creds["sub"] == sub, username
    status, err = cb.post("signin", {"username": "al_cb", "password": "wrong1234"})
    assert (status, err["error"]) == (400, "invalid_password")
    # enumeration protection (the default): an unknown user answers as a wrong password
    status, err = cb.post("signin", {"username": "nobody", "password": "abc12345"})
    assert (status, err["error"], err["error_code"]) == (400, "invalid_password", 4003)
    status, err = cb.post("signin", {"username": "+86 13800138009", "password": "abc12345"})
    assert (status, err["error"], err["error_code"]) == (400, "invalid_password", 4003)


def test_sign_in_of_an_unknown_user_without_protection(cb, settings):
    settings(cooldown_seconds=0, email_cooldown_seconds=0, enumeration_protection=False)
    status, err = cb.post("signin", {"username": "nobody", "password": "abc12345"})
    assert (status, err["error"], err["error_code"]) == (404, "user_not_found", 4004)


def test_email_flow(cb):
    started, verified = cb.token_for(to="cb@example.com", email="CB@Example.com")
    mail = wiring.outbox().list("cb@example.com")[-1]
    assert mail["channel"] == "email" and mail["subject"]
    status, creds = cb.post("signup", {"email": "cb@example.com", "verification_token": verified["verification_token"],
                                       "password": "abc12345"})
    assert status == 200
    me = cb.me(creds["access_token"])[1]
    assert me["email"] == "cb@example.com" and me["email_verified"] is True and me["phone_number"] is None
    assert cb.post("signin", {"username": "cb@example.com", "password": "abc12345"})[1]["sub"] == creds["sub"]


@pytest.mark.parametrize("body,error,code,status", [
    ({"phone_number": "+86 12345"}, "invalid_phone_number", 4001, 400),
    ({}, "invalid_argument", 3, 400),
    ({"phone_number": CB_PHONE, "email": "a@example.com"}, "invalid_argument", 3, 400),
    ({"email": "not-an-email"}, "invalid_argument", 3, 400),
    ({"phone_number": CB_PHONE, "target": "USER"}, "user_not_found", 4004, 404),
    ({"phone_number": CB_PHONE, "target": "SOMEONE"}, "invalid_argument", 3, 400),
])
def test_verification_errors(cb, body, error, code, status):
    got_status, err = cb.post("verification", body)
    assert (got_status, err["error"], err["error_code"]) == (status, error, code), err
    assert err["error_description"]


def test_rate_limits_are_4029_with_retry_after(cb, settings):
    settings(cooldown_seconds=60)
    assert cb.verification()[0] == 200
    status, err = cb.verification()
    assert (status, err["error"], err["error_code"]) == (429, "rate_limit_exceeded", 4029) and err["retry_after"] > 0


def test_ten_sends_per_ip_per_hour(cb, settings):
    settings(cooldown_seconds=0, verification_per_ip_hourly=3)
    statuses = [cb.verification(phone_number=f"+86 1380013800{i}")[0] for i in range(4)]
    assert statuses == [200, 200, 200, 429]


def test_wrong_code_and_single_use_token(cb):
    started, _ = cb.verification(), None
    vid = started[1]["verification_id"]
    status, err = cb.post("verification/verify", {"verification_id": vid, "verification_code": "000000"
                                                  if last_code(PHONE) != "000000" else "111111"})
    assert (status, err["error"]) == (400, "invalid_argument")
    status, v = cb.post("verification/verify", {"verification_id": vid, "verification_code": last_code(PHONE)})
    assert status == 200
    # the code is spent, and a forged id cannot verify it
    assert cb.post("verification/verify", {"verification_id": vid, "verification_code": last_code(PHONE)})[0] == 400
    assert cb.post("verification/verify", {"verification_id": "garbage", "verification_code": "123456"})[0] == 400
    body = {"phone_number": CB_PHONE, "verification_token": v["verification_token"], "password": "abc12345"}
    assert cb.post("signup", body)[0] == 200
    assert cb.post("signup", body)[1]["error"] in ("already_exists", "invalid_argument")


def test_a_token_is_for_its_own_number(cb):
    _, v = cb.token_for()
    status, err = cb.post("signup", {"phone_number": "+86 13800138002", "verification_token": v["verification_token"]})
    assert (status, err["error"]) == (400, "invalid_argument")


def test_signup_errors(cb):
    _, v = cb.token_for()
    token = v["verification_token"]
    for pw in ("short1", "lettersonly", "12345678", "a1" * 17):
        status, err = cb.post("signup", {"phone_number": CB_PHONE, "verification_token": token, "password": pw})
        assert (status, err["error"]) == (400, "invalid_password"), pw
    assert cb.post("signup", {"phone_number": CB_PHONE})[1]["error"] == "invalid_argument"
    assert cb.post("signup", {"phone_number": CB_PHONE, "verification_token": token})[0] == 200
    _, v2 = cb.token_for()
    status, err = cb.post("signup", {"phone_number": CB_PHONE, "verification_token": v2["verification_token"]})
    assert (status, err["error"], err["error_code"]) == (409, "already_exists", 6)


def test_refresh_tokens_rotate_and_revoke(cb):
    _, v = cb.token_for()
    creds = cb.post("signup", {"phone_number": CB_PHONE, "verification_token": v["verification_token"]})[1]
    body = {"client_id": "env-1", "client_secret": "", "grant_type": "refresh_token",
            "refresh_token": creds["refresh_token"]}
    status, new = cb.post("token", body)
    assert status == 200 and new["refresh_token"] != creds["refresh_token"] and new["sub"] == creds["sub"]
    assert cb.me(new["access_token"])[0] == 200
    assert cb.me(creds["access_token"])[0] == 401                 # the old access token ended
    assert cb.post("revoke", {"token": new["access_token"]}) == (200, {})
    status, err = cb.me(new["access_token"])
    assert (status, err["error"], err["error_code"]) == (401, "unauthenticated", 16)
    # signing out ends the pair: the refresh token is dead too
    status, err = cb.post("token", {**body, "refresh_token": new["refresh_token"]})
    assert (status, err["error"]) == (400, "invalid_grant")
    assert cb.me("garbage")[0] == 401
    assert cb.client.http.get("/auth/v1/user/me").status_code == 401


def test_concurrent_refreshes_of_one_token_one_wins(cb):
    _, v = cb.token_for()
    creds = cb.post("signup", {"phone_number": CB_PHONE, "verification_token": v["verification_token"]})[1]
    accounts = wiring.accounts()
    results = run_threads(lambda i: accounts.refresh_tokens(KEYS["VERIKIT_APP_ID"], creds["refresh_token"]), n=10)
    assert sum(r[0] == "ok" for r in results) == 1


def test_concurrent_uses_of_one_verification_token_one_wins(cb):
    _, v = cb.token_for()
    tickets = wiring.tickets()
    results = run_threads(lambda i: tickets.redeem(KEYS["VERIKIT_APP_ID"], v["verification_token"]), n=10)
    assert sum(r[0] == "ok" for r in results) == 1


def test_one_user_system_but_tokens_stay_in_their_dialect(cb, lc):
    """One user system underneath: a CloudBase user logs in through the LeanCloud dialect too,
    but an access token is no LeanCloud session (see tests/test_token_scope.py)."""
    _, v = cb.token_for()
    creds = cb.post("signup", {"phone_number": CB_PHONE, "verification_token": v["verification_token"],
                               "password": "abc12345"})[1]
    assert lc.get("/1.1/users/me", headers={"X-LC-Session": creds["access_token"]})[1]["code"] == 211
    status, me = lc.post("/1.1/login", {"mobilePhoneNumber": PHONE, "password": "abc12345"})
    assert status == 200 and me["objectId"] == creds["sub"] and me["mobilePhoneNumber"] == PHONE


def test_captcha_required_until_a_valid_captcha_token(cb, lc):
    lc.client.http.patch("/admin/v1/settings", headers=MASTER, body='{"require_captcha": true}')
    status, err = cb.verification()
    assert (status, err["error"], err["error_code"]) == (403, "captcha_required", 4028)
    status, captcha = cb.post("captcha/data", {"state": "POST:/v1/verification", "redirect_uri": ""})
    assert status == 200 and captcha["type"] == "image" and captcha["data"].startswith("data:image/png;base64,")
    answer = wiring.captcha().answer(KEYS["VERIKIT_APP_ID"], captcha["token"])
    status, wrong = cb.post("captcha/data/verify", {"token": captcha["token"], "key": "zzzz"})
    assert (status, wrong["error"]) == (400, "captcha_invalid")
    status, captcha = cb.post("captcha/data", {})
    answer = wiring.captcha().answer(KEYS["VERIKIT_APP_ID"], captcha["token"])
    status, ok = cb.post("captcha/data/verify", {"token": captcha["token"], "key": answer})
    assert status == 200 and ok["captcha_token"]
    # the SDK retries with ?captcha_token=; the HTTP doc names the x-captcha-token header
    assert cb.verification(query=f"?client_id=env-1&captcha_token={ok['captcha_token']}")[0] == 200
    # spent: the SDK answers captcha_required by showing a new image
    assert cb.verification(headers={"x-captcha-token": ok["captcha_token"]})[1]["error"] == "captcha_required"


def test_unknown_auth_routes_answer_in_cloudbase_format(cb):
    r = cb.client.http.get("/auth/v1/verification")
    body = json.loads(r.body)
    assert r.status_code == 405 and body["error"] == "not_found" and "code" not in body


def test_malformed_bodies(cb):
    r = cb.client.http.post("/auth/v1/verification", body="not json", headers={"Content-Type": "text/plain"})
    assert r.status_code == 400 and json.loads(r.body)["error"] == "invalid_argument"


def test_a_verification_token_takes_over_an_account_that_claimed_the_number_unverified(cb, lc):
    """The squatting rule: the prover gets the account, and whoever typed the number in
    loses its password and sessions."""
    squatter = lc.post("/1.1/users", {"username": "squat", "password": "secret-123", "mobilePhoneNumber": PHONE})[1]
    started, v = cb.token_for()
    assert started["is_user"] is True
    status, creds = cb.post("signin", {"username": CB_PHONE, "verification_token": v["verification_token"]})
    assert status == 200 and creds["sub"] == squatter["objectId"]
    assert cb.me(creds["access_token"])[1]["phone_verified"] is True
    assert lc.get("/1.1/users/me", headers={"X-LC-Session": squatter["sessionToken"]})[0] == 400
    assert lc.post("/1.1/login", {"username": "squat", "password": "secret-123"})[1]["code"] == 210


def test_a_bad_token_says_nothing_about_users(cb, lc):
    lc.post("/1.1/users", {"username": "known", "password": "secret-123", "mobilePhoneNumber": PHONE})
    for phone_number in (CB_PHONE, "+86 13800138009"):
        status, err = cb.post("signup", {"phone_number": phone_number, "verification_token": "x.y"})
        assert (status, err["error"]) == (400, "invalid_argument")
        status, err = cb.post("signin", {"username": phone_number, "verification_token": "x.y"})
        assert (status, err["error"]) == (400, "invalid_argument")


def test_a_refused_username_does_not_spend_the_token(cb, lc):
    lc.post("/1.1/users", {"username": "taken_name", "password": "secret-123"})
    _, v = cb.token_for()
    body = {"phone_number": CB_PHONE, "verification_token": v["verification_token"]}
    for username, error in (("taken_name", "already_exists"), ("someone@example.com", "invalid_argument"),
                            ("+86 139 0013 9000", "invalid_argument")):
        assert cb.post("signup", {**body, "username": username})[1]["error"] == error, username
    assert cb.post("signup", {**body, "username": "fresh_name"})[0] == 200


def test_rotating_ends_the_old_access_token(cb):
    _, v = cb.token_for()
    creds = cb.post("signup", {"phone_number": CB_PHONE, "verification_token": v["verification_token"]})[1]
    assert cb.post("token", {"grant_type": "refresh_token", "refresh_token": creds["refresh_token"]})[0] == 200
    assert cb.me(creds["access_token"])[0] == 401


def test_a_forged_verification_id_is_invalid_argument(cb):
    import base64
    forged = base64.urlsafe_b64encode(b"not a number").decode().rstrip("=") + ".abc"
    status, err = cb.post("verification/verify", {"verification_id": forged, "verification_code": "123456"})
    assert (status, err["error"]) == (400, "invalid_argument")


def test_sms_sign_in_by_code_follows_allow_sms_login(cb, lc, settings):
    _, v = cb.token_for()
    cb.post("signup", {"phone_number": CB_PHONE, "verification_token": v["verification_token"]})
    settings(cooldown_seconds=0, allow_sms_login=False)
    _, v = cb.token_for()
    status, err = cb.post("signin", {"username": CB_PHONE, "verification_token": v["verification_token"]})
    assert (status, err["error"]) == (403, "permission_denied")


def test_a_replayed_refresh_token_revokes_what_it_led_to(cb):
    """Refresh-token rotation with reuse detection: a copied refresh token, used after the
    owner already rotated it, ends the owner's newer tokens too (one of them is a thief)."""
    _, v = cb.token_for()
    first = cb.post("signup", {"phone_number": CB_PHONE, "verification_token": v["verification_token"]})[1]
    refresh = lambda token: cb.post("token", {"grant_type": "refresh_token", "refresh_token": token})
    second = refresh(first["refresh_token"])[1]
    third = refresh(second["refresh_token"])[1]
    assert cb.me(third["access_token"])[0] == 200
    status, err = refresh(first["refresh_token"])                     # the copy comes back
    assert (status, err["error"]) == (400, "invalid_grant")
    assert cb.me(third["access_token"])[0] == 401
    assert refresh(third["refresh_token"])[1]["error"] == "invalid_grant"
