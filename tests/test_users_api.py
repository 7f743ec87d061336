"""The LeanCloud user system through chalice.test.Client, on moto: every route, the
account settings in both positions, enumeration protection, lockout and sessions."""
import pytest

from chalicelib import wiring
from conftest import KEYS, last_code

ALICE = "+8613800138001"
BOB = "+8613800138002"
NEW = "+8613800138003"
MASTER = {"X-LC-Key": KEYS["VERIKIT_MASTER_KEY"] + ",master"}


@pytest.fixture(autouse=True)
def no_cooldown(settings):
    """Flows send several codes to one number; the cooldown has tests of its own."""
    settings(cooldown_seconds=0)


def sess(token):
    return {"X-LC-Session": token}


def sent_to(phone):
    return wiring.outbox().list(phone)


def signup(lc, username="alice", password="secret-123", phone=ALICE, **extra):
    body = {"username": username, "password": password, **extra}
    if phone:
        body["mobilePhoneNumber"] = phone
    status, user = lc.post("/1.1/users", body)
    assert status == 201, user
    return user


def verified(lc, phone=ALICE, **kw):
    """A user whose phone is verified (signed up by SMS code), with a password."""
    lc.request_code(phone)
    status, user = lc.post("/1.1/usersByMobilePhone", {"mobilePhoneNumber": phone, "smsCode": last_code(phone),
                                                       "password": "secret-123", **kw})
    assert status == 201, user
    return user


# ---- sign-up ---------------------------------------------------------------------------------

def test_signup_returns_201_with_session_and_never_the_password(lc):
    user = signup(lc, nickname="Al", age=30)
    assert len(user["objectId"]) == 24 and user["sessionToken"]
    assert user["createdAt"].endswith("Z") and user["createdAt"][19] == "."
    assert user["username"] == "alice" and user["mobilePhoneNumber"] == ALICE
    assert user["mobilePhoneVerified"] is False and user["emailVerified"] is False
    assert user["nickname"] == "Al" and user["age"] == 30
    assert "password" not in user and not any("hash" in k for k in user)


def test_signup_through_classes_user_and_become_by_header_or_query(lc):
    status, user = lc.post("/1.1/classes/_User?fetchWhenSave=false", {"username": "carol", "password": "secret-123"})
    assert status == 201
    token = user["sessionToken"]
    status, me = lc.get("/1.1/users/me", headers=sess(token))
    assert status == 200 and me["objectId"] == user["objectId"] and me["sessionToken"] == token
    status, me = lc.get(f"/1.1/users/me?session_token={token}")
    assert status == 200 and me["username"] == "carol"


@pytest.mark.parametrize("body,code", [
    ({"password": "secret-123"}, 200),
    ({"username": "", "password": "secret-123"}, 200),
    ({"username": "dave"}, 201),
    ({"username": "dave", "password": "123"}, 1),          # shorter than password_min_length
    ({"username": 5, "password": "secret-123"}, 1),
    ({"username": "dave", "password": "secret-123", "email": "not-an-email"}, 125),
    ({"username": "dave", "password": "secret-123", "mobilePhoneNumber": "12345"}, 127),
    ({"username": "dave", "password": "secret-123", "mobilePhoneVerified": True}, 1),
    ({"username": "dave", "password": "secret-123", "_private": 1}, 1),
    ({"username": "dave", "password": "secret-123", "authData": {"weixin": {}}}, 1),
])
def test_signup_errors(lc, body, code):
    status, resp = lc.post("/1.1/users", body)
    assert status == 400 and resp["code"] == code, resp


def test_username_email_and_phone_are_unique(lc):
    signup(lc, email="Alice@Example.com")
    assert lc.post("/1.1/users", {"username": "alice", "password": "secret-123"})[1]["code"] == 202
    status, resp = lc.post("/1.1/users", {"username": "al2", "password": "secret-123", "email": "alice@EXAMPLE.com"})
    assert (status, resp["code"]) == (400, 203)
    # the same number written without the country code is the same number
    status, resp = lc.post("/1.1/users", {"username": "al3", "password": "secret-123",
                                          "mobilePhoneNumber": ALICE[3:]})
    assert (status, resp["code"]) == (400, 214)
    # nothing half-written: the refused sign-ups left no claims behind
    assert lc.post("/1.1/users", {"username": "al2", "password": "secret-123"})[0] == 201


# ---- login -----------------------------------------------------------------------------------

def test_login_by_username_phone_and_email(lc):
    user = signup(lc, email="alice@example.com")
    for body in ({"username": "alice"}, {"mobilePhoneNumber": ALICE}, {"mobilePhoneNumber": ALICE[3:]},
                 {"email": "ALICE@example.com"}):
        status, resp = lc.post("/1.1/login", {**body, "password": "secret-123"})
        assert status == 200, (body, resp)
        assert resp["objectId"] == user["objectId"] and resp["sessionToken"] != user["sessionToken"]


@pytest.mark.parametrize("protect", [True, False])
@pytest.mark.parametrize("body,code,unprotected", [
    ({"username": "alice", "password": "wrong-pass"}, 210, 210),
    ({"username": "nobody", "password": "secret-123"}, 210, 211),
    ({"mobilePhoneNumber": "+8613900139000", "password": "secret-123"}, 210, 213),
    ({"username": "alice"}, 201, 201),
    ({"password": "secret-123"}, 200, 200),
])
def test_login_errors(lc, settings, body, code, unprotected, protect):
    """With enumeration protection (the default) an unknown user answers as a wrong
    password does; off, LeanCloud's 211 and 213 come back."""
    settings(enumeration_protection=protect)
    signup(lc)
    status, resp = lc.post("/1.1/login", body)
    assert status == 400 and resp["code"] == (code if protect else unprotected), resp


def test_user_signed_up_by_phone_alone_cannot_log_in_by_password(lc):
    lc.request_code(BOB)
    status, user = lc.post("/1.1/usersByMobilePhone", {"mobilePhoneNumber": BOB, "smsCode": last_code(BOB)})
    assert status == 201 and user["username"] == BOB
    for pw in ("", "anything-1"):
        assert lc.post("/1.1/login", {"username": BOB, "password": pw})[1]["code"] in (201, 210)


def test_wrong_passwords_lock_the_user_out_with_219(lc):
    signup(lc)
    for _ in range(5):
        assert lc.post("/1.1/login", {"username": "alice", "password": "wrong-pass"})[1]["code"] == 210
    r = lc.client.http.post("/1.1/login", headers=lc.headers, body='{"username":"alice","password":"secret-123"}')
    assert r.status_code == 429 and b'"code":219' in r.body and int(r.headers["Retry-After"]) > 0
    # another user is not affected
    signup(lc, username="bob", phone=BOB)
    assert lc.post("/1.1/login", {"username": "bob", "password": "secret-123"})[0] == 200


def test_successful_login_clears_earlier_failures(lc):
    signup(lc)
    for _ in range(4):
        lc.post("/1.1/login", {"username": "alice", "password": "wrong-pass"})
    assert lc.post("/1.1/login", {"username": "alice", "password": "secret-123"})[0] == 200
    for _ in range(4):
        assert lc.post("/1.1/login", {"username": "alice", "password": "wrong-pass"})[1]["code"] == 210


def test_wrong_sms_codes_are_bounded_by_the_code_not_the_password_lockout(lc):
    """A wrong SMS code counts against the code's own attempts (max_attempts, 5): the sixth
    guess is refused even when right, and a new code is needed. The password lockout is
    neither charged nor consulted by an SMS login: a user locked out by wrong passwords
    logs in by SMS, and that clears the lockout."""
    verified(lc)
    lc.post("/1.1/requestLoginSmsCode", {"mobilePhoneNumber": ALICE})
    code = last_code(ALICE)
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(5):
        assert lc.post("/1.1/login", {"mobilePhoneNumber": ALICE, "smsCode": wrong})[1]["code"] == 603
    assert lc.post("/1.1/login", {"mobilePhoneNumber": ALICE, "smsCode": code})[1]["code"] == 603  # used up
    assert lc.post("/1.1/login", {"username": ALICE, "password": "secret-123"})[0] == 200  # not locked out
    for _ in range(5):
        assert lc.post("/1.1/login", {"username": ALICE, "password": "wrong-pass"})[1]["code"] == 210
    assert lc.post("/1.1/login", {"username": ALICE, "password": "secret-123"})[1]["code"] == 219
    lc.post("/1.1/requestLoginSmsCode", {"mobilePhoneNumber": ALICE})
    status, user = lc.post("/1.1/login", {"mobilePhoneNumber": ALICE, "smsCode": last_code(ALICE)})
    assert status == 200 and user["sessionToken"]
    assert lc.post("/1.1/login", {"username": ALICE, "password": "secret-123"})[0] == 200  # cleared


# ---- sign up or log in by phone --------------------------------------------------------------

def test_users_by_mobile_phone_signs_up_then_logs_in(lc):
    lc.request_code(ALICE)
    status, user = lc.post("/1.1/usersByMobilePhone", {"mobilePhoneNumber": ALICE[3:], "smsCode": last_code(ALICE),
                                                       "nickname": "A"})
    assert status == 201
    # as on LeanCloud: the username is the number as the app sent it, and so is the phone
    # answered (the claim, lookups and sends use E.164)
    assert user["username"] == ALICE[3:] and user["mobilePhoneNumber"] == ALICE[3:]
    assert user["mobilePhoneVerified"] is True and user["nickname"] == "A" and user["sessionToken"]
    # a login code works the second time; the same user comes back
    lc.post("/1.1/requestLoginSmsCode", {"mobilePhoneNumber": ALICE})
    status, again = lc.post("/1.1/usersByMobilePhone", {"mobilePhoneNumber": ALICE, "smsCode": last_code(ALICE)})
    assert status == 200 and again["objectId"] == user["objectId"] and again["mobilePhoneNumber"] == ALICE[3:]


def test_users_by_mobile_phone_with_username_and_password(lc):
    lc.request_code(ALICE)
    status, user = lc.post("/1.1/usersByMobilePhone", {"mobilePhoneNumber": ALICE, "smsCode": last_code(ALICE),
                                                       "username": "alice", "password": "secret-123"})
    assert status == 201 and user["username"] == "alice"
    assert lc.post("/1.1/login", {"username": "alice", "password": "secret-123"})[0] == 200


def test_users_by_mobile_phone_refuses_an_unverified_claim_without_protection(lc, settings):
    """Enumeration protection off: LeanCloud's 215 for a number claimed unverified."""
    settings(cooldown_seconds=0, enumeration_protection=False)
    squatter = signup(lc)
    lc.request_code(ALICE)
    status, resp = lc.post("/1.1/usersByMobilePhone", {"mobilePhoneNumber": ALICE, "smsCode": last_code(ALICE)})
    assert (status, resp["code"]) == (400, 215)
    assert lc.get("/1.1/users/me", headers=sess(squatter["sessionToken"]))[1]["mobilePhoneVerified"] is False


def test_usernames_shaped_like_phone_numbers_cannot_squat_a_number(lc):
    status, resp = lc.post("/1.1/users", {"username": ALICE, "password": "secret-123"})
    assert (status, resp["code"]) == (400, 1)
    assert lc.post("/1.1/users", {"username": ALICE, "password": "secret-123", "mobilePhoneNumber": ALICE})[0] == 201


def test_revoked_session_cannot_write_after_a_password_reset(lc):
    user = verified(lc)
    token = user["sessionToken"]
    lc.post("/1.1/requestPasswordResetBySmsCode", {"mobilePhoneNumber": ALICE})
    lc.put(f"/1.1/resetPasswordBySmsCode/{last_code(ALICE)}", {"password": "new-secret"})
    path = f"/1.1/users/{user['objectId']}"
    assert lc.put(path, {"nickname": "x"}, headers=sess(token))[0] == 401
    assert lc.put(path + "/updatePassword", {"old_password": "secret-123", "new_password": "mine-again"},
                  headers=sess(token))[0] == 401
    assert lc.post("/1.1/login", {"username": ALICE, "password": "new-secret"})[0] == 200


def test_a_session_revoked_while_its_write_is_in_flight_cannot_land(lc):
    """The service re-reads the user when a write races another; a reset in between must
    make the old session's write fail, not re-apply it under the new epoch."""
    user = verified(lc)
    acc = wiring.accounts()
    app_id = KEYS["VERIKIT_APP_ID"]
    me, session = acc.resolve(app_id, user["sessionToken"])          # the request reads...
    lc.post("/1.1/requestPasswordResetBySmsCode", {"mobilePhoneNumber": ALICE})
    lc.put(f"/1.1/resetPasswordBySmsCode/{last_code(ALICE)}", {"password": "new-secret"})   # ...a reset lands...
    from chalicelib.core.errors import InvalidSession
    with pytest.raises(InvalidSession):                               # ...then it writes
        acc.update_password(app_id, me, session, "secret-123", "attacker-pw")
    assert lc.post("/1.1/login", {"username": ALICE, "password": "new-secret"})[0] == 200


@pytest.mark.parametrize("raw", ['{"username": "n", "password": "secret-123", "x": NaN}',
                                 '{"username": "n", "password": "secret-123", "x": Infinity}',
                                 '{"username": "n", "password": "secret-123", "x": ' + "[" * 5000 + "]" * 5000 + "}"])
def test_non_json_numbers_and_deep_nesting_are_107(lc, raw):
    status, resp = lc.post("/1.1/users", raw=raw)
    assert (status, resp["code"]) == (400, 107)


def test_huge_numbers_in_custom_fields_are_refused(lc):
    status, resp = lc.post("/1.1/users", raw='{"username": "n", "password": "secret-123", "x": 1e400}')
    assert (status, resp["code"]) == (400, 1)


def test_unknown_methods_answer_leancloud_json(lc):
    r = lc.client.http.delete("/1.1/users/me", headers=lc.headers)
    assert r.status_code == 405
    import json
    assert json.loads(r.body)["code"] == 405 and "error" in json.loads(r.body)


def test_sms_switch_off_leaves_the_user_system_working(lc, settings):
    verified(lc)
    settings(cooldown_seconds=0, sms_enabled=False)
    assert lc.request_code(BOB)[0] == 403
    assert lc.post("/1.1/requestLoginSmsCode", {"mobilePhoneNumber": ALICE}) == (200, {})
    assert lc.post("/1.1/login", {"mobilePhoneNumber": ALICE, "smsCode": last_code(ALICE)})[0] == 200


def test_probing_numbers_through_change_phone_costs_a_send(lc, settings):
    alice = verified(lc)
    verified(lc, phone=BOB)
    settings(cooldown_seconds=60)
    h = sess(alice["sessionToken"])
    assert lc.post("/1.1/requestChangePhoneNumber", {"mobilePhoneNumber": BOB}, headers=h)[1]["code"] == 214
    assert lc.post("/1.1/requestChangePhoneNumber", {"mobilePhoneNumber": BOB}, headers=h)[1]["code"] == 601


def test_users_by_mobile_phone_errors(lc, settings):
    settings(cooldown_seconds=0)
    lc.request_code(ALICE)
    code = last_code(ALICE)
    wrong = "000000" if code != "000000" else "111111"
    assert lc.post("/1.1/usersByMobilePhone", {"mobilePhoneNumber": ALICE, "smsCode": wrong})[1]["code"] == 603
    assert lc.post("/1.1/usersByMobilePhone", {"smsCode": code})[1]["code"] == 212
    assert lc.post("/1.1/usersByMobilePhone", {"mobilePhoneNumber": ALICE})[1]["code"] == 1    # no smsCode
    # a username someone else holds: refused once the code is checked (refused before, it would
    # tell that the number is not registered: a registered number's login ignores the
    # username); the code is spent, the next sign-up needs a new one
    signup(lc, username="taken", phone=None)
    assert lc.post("/1.1/usersByMobilePhone", {"mobilePhoneNumber": ALICE, "smsCode": code,
                                               "username": "taken"})[1]["code"] == 202
    assert lc.post("/1.1/usersByMobilePhone", {"mobilePhoneNumber": ALICE, "smsCode": code})[1]["code"] == 603
    lc.request_code(ALICE)
    assert lc.post("/1.1/usersByMobilePhone", {"mobilePhoneNumber": ALICE, "smsCode": last_code(ALICE)})[0] == 201


# ---- codes are bound to their purpose --------------------------------------------------------

def test_codes_of_one_purpose_do_not_verify_another(lc):
    verified(lc)
    lc.post("/1.1/requestLoginSmsCode", {"mobilePhoneNumber": ALICE})
    login_code = last_code(ALICE)
    assert lc.verify(login_code, ALICE)[1]["code"] == 603                       # not a generic code
    assert lc.post(f"/1.1/verifyMobilePhone/{login_code}", {})[1]["code"] == 603
    assert lc.put(f"/1.1/resetPasswordBySmsCode/{login_code}", {"password": "new-secret"})[1]["code"] == 603
    lc.post("/1.1/requestPasswordResetBySmsCode", {"mobilePhoneNumber": ALICE})
    reset_code = last_code(ALICE)
    assert lc.post("/1.1/login", {"mobilePhoneNumber": ALICE, "smsCode": reset_code})[1]["code"] == 603
    lc.request_code(ALICE)                        # a generic code does not log in either
    assert lc.post("/1.1/login", {"mobilePhoneNumber": ALICE, "smsCode": last_code(ALICE)})[1]["code"] == 603
    assert lc.post("/1.1/login", {"mobilePhoneNumber": ALICE, "smsCode": login_code})[0] == 200


# ---- SMS login -------------------------------------------------------------------------------

def test_sms_login_for_a_verified_phone(lc):
    user = verified(lc)
    assert lc.post("/1.1/requestLoginSmsCode", {"mobilePhoneNumber": ALICE}) == (200, {})
    assert sent_to(ALICE)[-1]["purpose"] == "login"
    status, resp = lc.post("/1.1/login", {"mobilePhoneNumber": ALICE, "smsCode": last_code(ALICE)})
    assert status == 200 and resp["objectId"] == user["objectId"]


def test_sms_login_needs_a_verified_phone_215(lc, settings):
    signup(lc)                                           # phone not verified
    settings(cooldown_seconds=0, enumeration_protection=False)
    assert lc.post("/1.1/requestLoginSmsCode", {"mobilePhoneNumber": ALICE})[1]["code"] == 215
    lc.request_code(ALICE)                               # even a valid generic code
    assert lc.post("/1.1/login", {"mobilePhoneNumber": ALICE, "smsCode": last_code(ALICE)})[1]["code"] == 215


def test_allow_sms_login_off_refuses_sms_login(lc, settings):
    verified(lc)
    settings(cooldown_seconds=0, allow_sms_login=False)
    status, resp = lc.post("/1.1/requestLoginSmsCode", {"mobilePhoneNumber": ALICE})
    assert status == 403 and resp["code"] == 1
    lc.request_code(ALICE)
    assert lc.post("/1.1/login", {"mobilePhoneNumber": ALICE, "smsCode": last_code(ALICE)})[0] == 403
    assert lc.post("/1.1/login", {"mobilePhoneNumber": ALICE, "password": "secret-123"})[0] == 200


# ---- enumeration protection ------------------------------------------------------------------

@pytest.mark.parametrize("path", ["/1.1/requestLoginSmsCode", "/1.1/requestPasswordResetBySmsCode",
                                  "/1.1/requestMobilePhoneVerify"])
def test_request_routes_do_not_reveal_unknown_numbers(lc, settings, path):
    verified(lc)
    wiring.outbox().clear()
    assert lc.post(path, {"mobilePhoneNumber": ALICE}) == (200, {})
    assert lc.post(path, {"mobilePhoneNumber": BOB}) == (200, {})
    assert len(sent_to(ALICE)) == 1 and sent_to(BOB) == []
    # an unknown number is rate-limited exactly like a real one
    settings(cooldown_seconds=60)
    assert lc.post(path, {"mobilePhoneNumber": BOB})[0] == 200
    assert lc.post(path, {"mobilePhoneNumber": BOB})[1]["code"] == 601
    settings(cooldown_seconds=0, enumeration_protection=False)
    assert lc.post(path, {"mobilePhoneNumber": "+8613800138009"})[1]["code"] == 213


def test_sms_login_with_unknown_number_is_a_wrong_code_under_protection(lc, settings):
    assert lc.post("/1.1/login", {"mobilePhoneNumber": BOB, "smsCode": "123456"})[1]["code"] == 603
    settings(enumeration_protection=False)
    assert lc.post("/1.1/login", {"mobilePhoneNumber": BOB, "smsCode": "123456"})[1]["code"] == 213


# ---- verify phone ----------------------------------------------------------------------------

def test_verify_mobile_phone_by_code_alone_and_with_number(lc):
    user = signup(lc)
    signup(lc, username="bob", phone=BOB)
    assert lc.post("/1.1/requestMobilePhoneVerify", {"mobilePhoneNumber": ALICE}) == (200, {})
    # the JS SDK sends the code alone, with the JSON body `null`
    assert lc.post(f"/1.1/verifyMobilePhone/{last_code(ALICE)}", raw="null") == (200, {})
    me = lc.get("/1.1/users/me", headers=sess(user["sessionToken"]))[1]
    assert me["mobilePhoneVerified"] is True
    lc.post("/1.1/requestMobilePhoneVerify", {"mobilePhoneNumber": BOB})
    code = last_code(BOB)
    assert lc.post(f"/1.1/verifyMobilePhone/{code}", {"mobilePhoneNumber": BOB}) == (200, {})
    assert lc.post(f"/1.1/verifyMobilePhone/{code}", None)[1]["code"] == 603           # used


def test_verify_by_code_alone_is_capped_per_app(lc, settings):
    settings(cooldown_seconds=0, code_only_per_app_hourly=2)
    for _ in range(2):
        assert lc.post("/1.1/verifyMobilePhone/123456", None)[1]["code"] == 603
    assert lc.post("/1.1/verifyMobilePhone/123456", None)[0] == 429


def test_verify_by_code_alone_is_capped_per_ip(lc, settings):
    settings(cooldown_seconds=0, code_only_per_ip_hourly=3)
    for _ in range(3):
        assert lc.post("/1.1/verifyMobilePhone/123456", None)[1]["code"] == 603
    status, resp = lc.post("/1.1/verifyMobilePhone/123456", None)
    assert status == 429 and "verification attempts" in resp["error"]


# ---- change phone ----------------------------------------------------------------------------

def test_change_phone_number(lc):
    user = verified(lc)
    token = user["sessionToken"]
    assert lc.post("/1.1/requestChangePhoneNumber", {"mobilePhoneNumber": NEW, "ttl": 5}, headers=sess(token)) == (200, {})
    assert sent_to(NEW)[-1]["purpose"] == "change_phone"
    code = last_code(NEW)
    assert lc.post("/1.1/changePhoneNumber", {"mobilePhoneNumber": NEW, "code": code}, headers=sess(token)) == (200, {})
    me = lc.get("/1.1/users/me", headers=sess(token))[1]
    assert me["mobilePhoneNumber"] == NEW and me["mobilePhoneVerified"] is True
    assert lc.post("/1.1/login", {"mobilePhoneNumber": NEW, "password": "secret-123"})[0] == 200
    # the old number was released in the same transaction: someone else can take it
    signup(lc, username="other", phone=ALICE)


def test_change_phone_errors(lc):
    alice = verified(lc)
    bob = verified(lc, phone=BOB)
    assert lc.post("/1.1/requestChangePhoneNumber", {"mobilePhoneNumber": NEW})[1]["code"] == 206
    status, resp = lc.post("/1.1/requestChangePhoneNumber", {"mobilePhoneNumber": BOB},
                           headers=sess(alice["sessionToken"]))
    assert (status, resp["code"]) == (400, 214)
    lc.post("/1.1/requestChangePhoneNumber", {"mobilePhoneNumber": NEW}, headers=sess(alice["sessionToken"]))
    code = last_code(NEW)
    # the code is bound to alice: bob cannot use it for himself
    assert lc.post("/1.1/changePhoneNumber", {"mobilePhoneNumber": NEW, "code": code},
                   headers=sess(bob["sessionToken"]))[1]["code"] == 603
    # LeanCloud checks the code before the session: 603, not 206 / 211 (a code is bound to its user)
    assert lc.post("/1.1/changePhoneNumber", {"mobilePhoneNumber": NEW, "code": code},
                   headers=sess("not-a-real-session-token"))[1]["code"] == 603
    assert lc.post("/1.1/changePhoneNumber", {"mobilePhoneNumber": NEW, "code": "000000"})[1]["code"] == 603
    assert lc.post("/1.1/changePhoneNumber", {"mobilePhoneNumber": NEW, "code": code},
                   headers=sess(alice["sessionToken"]))[0] == 200


def test_change_phone_refuses_a_number_taken_after_the_code_was_sent(lc):
    alice = verified(lc)
    lc.post("/1.1/requestChangePhoneNumber", {"mobilePhoneNumber": NEW}, headers=sess(alice["sessionToken"]))
    code = last_code(NEW)
    signup(lc, username="late", phone=NEW)
    status, resp = lc.post("/1.1/changePhoneNumber", {"mobilePhoneNumber": NEW, "code": code},
                           headers=sess(alice["sessionToken"]))
    assert (status, resp["code"]) == (400, 214)
    me = lc.get("/1.1/users/me", headers=sess(alice["sessionToken"]))[1]
    assert me["mobilePhoneNumber"] == ALICE and me["mobilePhoneVerified"] is True   # nothing changed


# ---- reset password --------------------------------------------------------------------------

def test_reset_password_by_sms_code_ends_every_session(lc):
    user = verified(lc)
    old_token = user["sessionToken"]
    other = lc.post("/1.1/login", {"username": ALICE, "password": "secret-123"})[1]["sessionToken"]
    assert lc.post("/1.1/requestPasswordResetBySmsCode", {"mobilePhoneNumber": ALICE}) == (200, {})
    assert lc.put(f"/1.1/resetPasswordBySmsCode/{last_code(ALICE)}", {"password": "new-secret"}) == (200, {})
    for token in (old_token, other):
        status, resp = lc.get("/1.1/users/me", headers=sess(token))
        assert (status, resp["code"]) == (400, 211)
    assert lc.post("/1.1/login", {"username": ALICE, "password": "secret-123"})[1]["code"] == 210
    assert lc.post("/1.1/login", {"username": ALICE, "password": "new-secret"})[0] == 200


def test_reset_password_with_number_and_errors(lc):
    verified(lc)
    lc.post("/1.1/requestPasswordResetBySmsCode", {"mobilePhoneNumber": ALICE})
    code = last_code(ALICE)
    assert lc.put(f"/1.1/resetPasswordBySmsCode/{code}", {})[1]["code"] == 201
    assert lc.put(f"/1.1/resetPasswordBySmsCode/{code}", {"password": "abc"})[1]["code"] == 1
    assert lc.put(f"/1.1/resetPasswordBySmsCode/{code}", {"password": "new-secret", "mobilePhoneNumber": ALICE}) == (200, {})
    assert lc.put(f"/1.1/resetPasswordBySmsCode/{code}", {"password": "new-secret"})[1]["code"] == 603


def test_reset_password_clears_the_lockout(lc):
    verified(lc)
    for _ in range(5):
        lc.post("/1.1/login", {"username": ALICE, "password": "wrong-pass"})
    assert lc.post("/1.1/login", {"username": ALICE, "password": "secret-123"})[1]["code"] == 219
    lc.post("/1.1/requestPasswordResetBySmsCode", {"mobilePhoneNumber": ALICE})
    lc.put(f"/1.1/resetPasswordBySmsCode/{last_code(ALICE)}", {"password": "new-secret"})
    assert lc.post("/1.1/login", {"username": ALICE, "password": "new-secret"})[0] == 200


# ---- the user record -------------------------------------------------------------------------

def test_get_user_hides_phone_and_email_from_others(lc):
    alice = signup(lc, email="alice@example.com")
    bob = signup(lc, username="bob", phone=BOB)
    path = f"/1.1/users/{alice['objectId']}"
    public = lc.get(path, headers=sess(bob["sessionToken"]))[1]
    assert public["username"] == "alice" and "mobilePhoneNumber" not in public and "email" not in public
    own = lc.get(f"/1.1/classes/_User/{alice['objectId']}", headers=sess(alice["sessionToken"]))[1]
    assert own["mobilePhoneNumber"] == ALICE and own["email"] == "alice@example.com"
    assert lc.get(path, headers=MASTER)[1]["email"] == "alice@example.com"
    status, resp = lc.get("/1.1/users/000000000000000000000000")
    assert (status, resp["code"]) == (404, 211)


def test_update_own_user(lc):
    alice = signup(lc, nickname="Al", tmp=1)
    path = f"/1.1/classes/_User/{alice['objectId']}?fetchWhenSave=false"
    status, resp = lc.put(path, {"nickname": "Alicia", "tmp": {"__op": "Delete"}, "username": "alicia"},
                          headers=sess(alice["sessionToken"]))
    assert status == 200 and resp["objectId"] == alice["objectId"] and resp["updatedAt"] > alice["updatedAt"]
    me = lc.get("/1.1/users/me", headers=sess(alice["sessionToken"]))[1]
    assert me["nickname"] == "Alicia" and "tmp" not in me and me["username"] == "alicia"
    signup(lc, username="alice", phone=None)        # the old username was released


def test_update_needs_the_users_own_session_206(lc):
    alice = signup(lc)
    bob = signup(lc, username="bob", phone=BOB)
    path = f"/1.1/users/{alice['objectId']}"
    for headers in ({}, sess(bob["sessionToken"])):
        status, resp = lc.put(path, {"nickname": "hacked"}, headers=headers)
        assert (status, resp["code"]) == (403, 206)
    assert lc.put(path, {"mobilePhoneVerified": True}, headers=sess(alice["sessionToken"]))[1]["code"] == 1
    assert lc.put(path, {"username": "bob"}, headers=sess(alice["sessionToken"]))[1]["code"] == 202
    # the master key may change anyone, verification flags included
    assert lc.put(path, {"nickname": "set-by-admin", "mobilePhoneVerified": True}, headers=MASTER)[0] == 200
    me = lc.get("/1.1/users/me", headers=sess(alice["sessionToken"]))[1]
    assert me["nickname"] == "set-by-admin" and me["mobilePhoneVerified"] is True


def test_changing_phone_by_update_unverifies_it(lc):
    alice = verified(lc)
    lc.put(f"/1.1/users/{alice['objectId']}", {"mobilePhoneNumber": NEW}, headers=sess(alice["sessionToken"]))
    me = lc.get("/1.1/users/me", headers=sess(alice["sessionToken"]))[1]
    assert me["mobilePhoneNumber"] == NEW and me["mobilePhoneVerified"] is False


def test_update_password_answers_a_new_token_and_ends_every_old_session(lc):
    alice = signup(lc)
    other = lc.post("/1.1/login", {"username": "alice", "password": "secret-123"})[1]["sessionToken"]
    path = f"/1.1/users/{alice['objectId']}/updatePassword"
    h = sess(alice["sessionToken"])
    status, resp = lc.put(path, {"old_password": "wrong-pass", "new_password": "next-secret"}, headers=h)
    assert (status, resp["code"]) == (400, 210)
    status, resp = lc.put(path, {"old_password": "secret-123", "new_password": "next-secret"}, headers=h)
    # LeanCloud's answer: {objectId, updatedAt, sessionToken} with a new token
    assert status == 200 and set(resp) == {"objectId", "updatedAt", "sessionToken"}, resp
    assert resp["sessionToken"] != alice["sessionToken"] and resp["updatedAt"] != alice["createdAt"]
    assert lc.get("/1.1/users/me", headers=sess(resp["sessionToken"]))[0] == 200
    assert lc.get("/1.1/users/me", headers=h)[0] == 400
    assert lc.get("/1.1/users/me", headers=sess(other))[0] == 400
    assert lc.post("/1.1/login", {"username": "alice", "password": "next-secret"})[0] == 200


def test_refresh_session_token(lc):
    alice = signup(lc)
    path = f"/1.1/users/{alice['objectId']}/refreshSessionToken"
    assert lc.put(path)[1]["code"] == 206
    status, resp = lc.put(path, headers=sess(alice["sessionToken"]))
    assert status == 200 and resp["sessionToken"] != alice["sessionToken"]
    assert set(resp) == {"objectId", "updatedAt", "sessionToken"}, resp
    assert lc.get("/1.1/users/me", headers=sess(alice["sessionToken"]))[0] == 400
    assert lc.get("/1.1/users/me", headers=sess(resp["sessionToken"]))[1]["objectId"] == alice["objectId"]


def test_users_me_errors(lc):
    assert lc.get("/1.1/users/me")[1]["code"] == 206
    status, resp = lc.get("/1.1/users/me", headers=sess("x" * 43))
    assert (status, resp) == (400, {"code": 211, "error": "Could not find user."})  # LeanCloud's answer


def test_a_stale_session_header_does_not_break_calls_that_need_none(lc):
    status, _ = lc.post("/1.1/requestSmsCode", {"mobilePhoneNumber": ALICE}, headers=sess("stale-token-" * 3))
    assert status == 200


def test_sessions_expire_when_configured(lc, settings):
    settings(cooldown_seconds=0, session_ttl_days=1)
    alice = signup(lc)
    from chalicelib.core.clock import FakeClock
    wiring.clock().use(FakeClock(wiring.clock().now() + 86400 + 5))
    assert lc.get("/1.1/users/me", headers=sess(alice["sessionToken"]))[0] == 400


# ---- account settings, both positions --------------------------------------------------------

def test_send_verification_on_signup(lc, settings):
    signup(lc)
    assert sent_to(ALICE) == []
    settings(cooldown_seconds=0, send_verification_on_signup=True)
    bob = signup(lc, username="bob", phone=BOB)
    assert [m["purpose"] for m in sent_to(BOB)] == ["verify_phone"]
    assert lc.post(f"/1.1/verifyMobilePhone/{last_code(BOB)}", None) == (200, {})
    # and on a phone change from the client
    lc.put(f"/1.1/users/{bob['objectId']}", {"mobilePhoneNumber": NEW}, headers=sess(bob["sessionToken"]))
    assert [m["purpose"] for m in sent_to(NEW)] == ["verify_phone"]


def test_block_login_if_phone_unverified(lc, settings):
    signup(lc)
    lc.request_code(ALICE)
    generic = last_code(ALICE)
    assert lc.post("/1.1/login", {"mobilePhoneNumber": ALICE, "password": "secret-123"})[0] == 200
    settings(cooldown_seconds=0, block_login_if_phone_unverified=True)
    assert lc.post("/1.1/login", {"mobilePhoneNumber": ALICE, "password": "secret-123"})[1]["code"] == 215
    # 215 only with the right password, and the generic code is no login code: 603
    assert lc.post("/1.1/login", {"mobilePhoneNumber": ALICE, "password": "wrong-pass"})[1]["code"] == 210
    assert lc.post("/1.1/login", {"mobilePhoneNumber": ALICE, "smsCode": generic})[1]["code"] == 603
    assert lc.post("/1.1/login", {"username": "alice", "password": "secret-123"})[0] == 200
    settings(cooldown_seconds=0, block_login_if_phone_unverified=True, enumeration_protection=False)
    assert lc.post("/1.1/login", {"mobilePhoneNumber": ALICE, "password": "wrong-pass"})[1]["code"] == 215
    assert lc.post("/1.1/login", {"mobilePhoneNumber": ALICE, "smsCode": generic})[1]["code"] == 215


def test_allow_reset_password_if_phone_unverified(lc, settings):
    signup(lc)
    settings(cooldown_seconds=0, enumeration_protection=False)
    assert lc.post("/1.1/requestPasswordResetBySmsCode", {"mobilePhoneNumber": ALICE})[1]["code"] == 215
    assert sent_to(ALICE) == []
    settings(cooldown_seconds=0, enumeration_protection=True)          # silent, still nothing sent
    assert lc.post("/1.1/requestPasswordResetBySmsCode", {"mobilePhoneNumber": ALICE}) == (200, {})
    assert sent_to(ALICE) == []
    settings(cooldown_seconds=0, allow_reset_password_if_phone_unverified=True)
    assert lc.post("/1.1/requestPasswordResetBySmsCode", {"mobilePhoneNumber": ALICE}) == (200, {})
    assert lc.put(f"/1.1/resetPasswordBySmsCode/{last_code(ALICE)}", {"password": "new-secret"}) == (200, {})
    assert lc.post("/1.1/login", {"username": "alice", "password": "new-secret"})[0] == 200


def test_account_settings_are_editable_through_the_admin_api(lc):
    signup(lc)
    status, _ = lc.client.http.patch("/admin/v1/settings", headers={**lc.headers, **MASTER},
                                     body='{"block_login_if_phone_unverified": true}').status_code, None
    assert status == 200
    assert lc.post("/1.1/login", {"mobilePhoneNumber": ALICE, "password": "secret-123"})[1]["code"] == 215


def test_a_sign_up_may_name_itself_by_its_own_number_as_written(lc):
    """LeanCloud apps sign up with username = mobilePhoneNumber = "138..." (no +86): that is the
    user's own number, and comes back as written; another's number stays refused."""
    status, user = lc.post("/1.1/users", {"username": "13800138055", "mobilePhoneNumber": "13800138055",
                                          "password": "secret-123"})
    assert status == 201, user
    status, me = lc.get("/1.1/users/me", headers=sess(user["sessionToken"]))
    assert me["username"] == "13800138055" and me["mobilePhoneNumber"] == "13800138055"
    status, resp = lc.post("/1.1/users", {"username": "13800138066", "mobilePhoneNumber": "13800138077",
                                          "password": "secret-123"})
    assert status == 400
