"""The user system does not tell who is registered (answers, round trips and work alike for
known and unknown numbers), a squatted number or email goes to whoever proves it, and no
argon2 hash is computed before the cheaper checks (code, username) have passed; through
chalice.test.Client."""
import contextlib
import json
import re

import pytest

from chalicelib import wiring
from chalicelib.store.base import connection
from conftest import last_code

ALICE, BOB, NOBODY = "+8613800138001", "+8613800138002", "+8613800138009"
CB_HEADERS = {"Content-Type": "text/plain;charset=UTF-8"}


@pytest.fixture(autouse=True)
def no_cooldown(settings):
    settings(cooldown_seconds=0, email_cooldown_seconds=0)


def sess(token):
    return {"X-LC-Session": token}


def signup(lc, username="alice", phone=ALICE, **extra):
    body = {"username": username, "password": "secret-123", **extra}
    if phone:
        body["mobilePhoneNumber"] = phone
    status, user = lc.post("/1.1/users", body)
    assert status == 201, user
    return user


def verified(lc, phone=ALICE):
    lc.request_code(phone)
    status, user = lc.post("/1.1/usersByMobilePhone", {"mobilePhoneNumber": phone, "smsCode": last_code(phone),
                                                       "password": "secret-123"})
    assert status == 201, user
    return user


def cb_post(lc, path, body):
    r = lc.client.http.post(f"/auth/v1/{path}?client_id=env-1", body=json.dumps(body), headers=CB_HEADERS)
    return r.status_code, json.loads(r.body)


@contextlib.contextmanager
def dynamodb_calls():
    calls = []
    events = connection().client.meta.events

    def hook(model, **kw):
        calls.append(model.name)

    events.register("before-call.dynamodb", hook)
    try:
        yield calls
    finally:
        events.unregister("before-call.dynamodb", hook)


@contextlib.contextmanager
def argon2_calls():
    """How many times argon2 runs (hash or verify) while inside."""
    hasher = wiring.accounts().hasher
    hasher.verify(None, "warm-up")  # the dummy hash is made once per process
    counts = {"hash": 0, "verify": 0}
    real = hasher._h()

    class Counting:
        def hash(self, *a, **kw):
            counts["hash"] += 1
            return real.hash(*a, **kw)

        def verify(self, *a, **kw):
            counts["verify"] += 1
            return real.verify(*a, **kw)

    hasher._hasher = Counting()
    try:
        yield counts
    finally:
        hasher._hasher = real


# ---- 4: enumeration ------------------------------------------------------------------------

def test_password_login_answers_and_works_alike_for_known_and_unknown_numbers(lc):
    verified(lc)
    answers, work = [], []
    for phone in (ALICE, NOBODY):
        with dynamodb_calls() as calls, argon2_calls() as argon2:
            answers.append(lc.post("/1.1/login", {"mobilePhoneNumber": phone, "password": "wrong-pass"}))
        work.append((calls, argon2))
    assert answers[0] == answers[1] == (400, {"code": 210, "error": "The username and password mismatch."})
    assert work[0] == work[1], work    # the same round trips, one argon2 check each
    assert work[0][1] == {"hash": 0, "verify": 1}


def test_unknown_numbers_lock_out_like_users(lc, settings):
    settings(cooldown_seconds=0, login_max_failures=3)
    verified(lc)
    for phone in (ALICE, NOBODY):
        codes = [lc.post("/1.1/login", {"mobilePhoneNumber": phone, "password": "wrong-pass"})[1]["code"]
                 for _ in range(4)]
        assert codes == [210, 210, 210, 219], (phone, codes)
        # an SMS login does not consult the password lockout, for a user as for nobody: a
        # code nobody sent is a wrong code (the code's own attempts bound the guesses)
        codes = [lc.post("/1.1/login", {"mobilePhoneNumber": phone, "smsCode": "123456"})[1]["code"]]
        assert codes == [603], (phone, codes)


def test_sms_login_answers_alike_for_unknown_unverified_and_verified_numbers(lc):
    signup(lc)                  # ALICE: a real user, number not verified
    verified(lc, BOB)           # BOB: verified
    answers = set()
    for phone in (ALICE, BOB, NOBODY):
        with dynamodb_calls() as calls:
            status, body = lc.post("/1.1/login", {"mobilePhoneNumber": phone, "smsCode": "123456"})
        answers.add((status, json.dumps(body), tuple(calls)))
    assert len(answers) == 1, answers
    assert next(iter(answers))[:2] == (400, json.dumps({"code": 603, "error": "invalid verification code"}))


def test_users_by_mobile_phone_does_not_tell_an_unverified_user(lc):
    signup(lc)
    a = lc.post("/1.1/usersByMobilePhone", {"mobilePhoneNumber": ALICE, "smsCode": "123456"})
    b = lc.post("/1.1/usersByMobilePhone", {"mobilePhoneNumber": NOBODY, "smsCode": "123456"})
    assert a == b == (400, {"code": 603, "error": "invalid verification code"})


@pytest.mark.parametrize("path", ["/1.1/requestLoginSmsCode", "/1.1/requestMobilePhoneVerify",
                                  "/1.1/requestPasswordResetBySmsCode"])
def test_protected_request_routes_do_the_same_dynamodb_work(lc, path):
    verified(lc)
    work = []
    for phone in (ALICE, NOBODY):
        with dynamodb_calls() as calls:
            assert lc.post(path, {"mobilePhoneNumber": phone}) == (200, {})
        work.append(calls)
    assert work[0] == work[1], work


def test_a_suppressed_send_is_paced_before_the_first_real_send():
    from chalicelib.core.service import Pace
    slept = []
    pace = Pace(sleep=slept.append)
    assert pace.wait_like_a_send("sms") > 0 and slept     # no real send yet: a prior, not zero
    pace.observe("sms", 0.02)
    assert 0.013 <= pace.wait_like_a_send("sms") <= 0.027  # then what real sends take


def test_signin_by_cloudbase_answers_alike(lc):
    verified(lc)
    a = cb_post(lc, "signin", {"username": "+86 13800138001", "password": "wrong123x"})
    b = cb_post(lc, "signin", {"username": "+86 13800138009", "password": "wrong123x"})
    assert a == b and a[1]["error"] == "invalid_password"


# ---- 5: squatting --------------------------------------------------------------------------

def test_the_owner_proving_a_squatted_number_takes_the_account_and_the_squatter_is_out(lc):
    squatter = signup(lc)                                   # typed in someone else's number
    lc.request_code(ALICE)                                  # the number's owner
    status, owner = lc.post("/1.1/usersByMobilePhone", {"mobilePhoneNumber": ALICE, "smsCode": last_code(ALICE)})
    assert status == 200 and owner["objectId"] == squatter["objectId"] and owner["mobilePhoneVerified"] is True
    assert lc.get("/1.1/users/me", headers=sess(squatter["sessionToken"]))[0] == 400
    assert lc.post("/1.1/login", {"username": "alice", "password": "secret-123"})[1]["code"] == 210
    assert lc.get("/1.1/users/me", headers=sess(owner["sessionToken"]))[0] == 200


def test_a_proof_without_the_session_does_not_vouch_for_the_squatters_password(lc):
    squatter = signup(lc)
    assert lc.post("/1.1/requestMobilePhoneVerify", {"mobilePhoneNumber": ALICE}) == (200, {})
    # the owner, tricked or not, verifies the number with the code alone (no session)
    assert lc.post(f"/1.1/verifyMobilePhone/{last_code(ALICE)}", {}) == (200, {})
    # then logs in by SMS: they must not land in an account the squatter can still enter
    assert lc.post("/1.1/requestLoginSmsCode", {"mobilePhoneNumber": ALICE}) == (200, {})
    status, owner = lc.post("/1.1/login", {"mobilePhoneNumber": ALICE, "smsCode": last_code(ALICE)})
    assert status == 200 and owner["objectId"] == squatter["objectId"]
    assert lc.get("/1.1/users/me", headers=sess(squatter["sessionToken"]))[0] == 400
    assert lc.post("/1.1/login", {"username": "alice", "password": "secret-123"})[1]["code"] == 210


def test_a_user_who_verifies_with_their_own_session_keeps_their_password(lc):
    me = signup(lc)
    assert lc.post("/1.1/requestMobilePhoneVerify", {"mobilePhoneNumber": ALICE}) == (200, {})
    assert lc.post(f"/1.1/verifyMobilePhone/{last_code(ALICE)}", {}, headers=sess(me["sessionToken"])) == (200, {})
    assert lc.post("/1.1/requestLoginSmsCode", {"mobilePhoneNumber": ALICE}) == (200, {})
    assert lc.post("/1.1/login", {"mobilePhoneNumber": ALICE, "smsCode": last_code(ALICE)})[0] == 200
    assert lc.get("/1.1/users/me", headers=sess(me["sessionToken"]))[0] == 200
    assert lc.post("/1.1/login", {"username": "alice", "password": "secret-123"})[0] == 200


def test_a_squatted_email_verified_by_link_then_proven_at_sign_in(lc, settings):
    settings(cooldown_seconds=0, email_cooldown_seconds=0, code_format="complex")
    squatter = signup(lc, phone=None, email="victim@example.com")
    assert lc.post("/1.1/requestEmailVerify", {"email": "victim@example.com"}) == (200, {})
    link = re.search(r"/verify/([A-Za-z0-9]+)", wiring.outbox().list("victim@example.com")[-1]["body"]).group(1)
    assert lc.client.http.get(f"/verify/{link}").status_code == 200        # clicked in a browser
    status, started = cb_post(lc, "verification", {"email": "victim@example.com"})
    assert status == 200 and started["is_user"] is True
    code = re.search(r"(\d{6})", wiring.outbox().list("victim@example.com")[-1]["body"]).group(1)
    status, v = cb_post(lc, "verification/verify", {"verification_id": started["verification_id"],
                                                    "verification_code": code})
    status, creds = cb_post(lc, "signin", {"username": "victim@example.com",
                                           "verification_token": v["verification_token"]})
    assert status == 200 and creds["sub"] == squatter["objectId"]
    assert lc.get("/1.1/users/me", headers=sess(squatter["sessionToken"]))[0] == 400
    assert lc.post("/1.1/login", {"username": "alice", "password": "secret-123"})[1]["code"] == 210


# ---- 10: no argon2 before the code (or the username) is checked ----------------------------

def test_reset_password_with_a_wrong_code_runs_no_argon2(lc):
    verified(lc)
    lc.post("/1.1/requestPasswordResetBySmsCode", {"mobilePhoneNumber": ALICE})
    code = last_code(ALICE)
    wrong = "000000" if code != "000000" else "111111"
    with argon2_calls() as argon2:
        assert lc.put(f"/1.1/resetPasswordBySmsCode/{wrong}", {"password": "new-secret"})[1]["code"] == 603
        assert lc.put(f"/1.1/resetPasswordBySmsCode/{wrong}", {"password": "new-secret",
                                                               "mobilePhoneNumber": ALICE})[1]["code"] == 603
    assert argon2 == {"hash": 0, "verify": 0}
    with argon2_calls() as argon2:
        assert lc.put(f"/1.1/resetPasswordBySmsCode/{code}", {"password": "new-secret"}) == (200, {})
    assert argon2["hash"] == 1


def test_sign_up_with_a_taken_username_runs_no_argon2(lc):
    signup(lc)
    with argon2_calls() as argon2:
        status, body = lc.post("/1.1/users", {"username": "alice", "password": "secret-123"})
        assert (status, body["code"]) == (400, 202)
        status, body = lc.post("/1.1/users", {"username": "bob", "password": "secret-123", "mobilePhoneNumber": ALICE})
        assert (status, body["code"]) == (400, 214)
    assert argon2 == {"hash": 0, "verify": 0}


def test_a_wrong_old_password_hashes_no_new_one(lc):
    me = verified(lc)
    with argon2_calls() as argon2:
        status, body = lc.put(f"/1.1/users/{me['objectId']}/updatePassword",
                              {"old_password": "wrong-pass", "new_password": "another-1"},
                              headers=sess(me["sessionToken"]))
        assert status == 400
    assert argon2 == {"hash": 0, "verify": 1}


def test_the_dummy_check_costs_one_verify_even_the_first_time():
    from chalicelib.core.passwords import Argon2Hasher
    hasher = Argon2Hasher()
    real = hasher._h()
    counts = {"hash": 0, "verify": 0}

    class Counting:
        time_cost, memory_cost, parallelism = real.time_cost, real.memory_cost, real.parallelism
        hash_len, salt_len, type = real.hash_len, real.salt_len, real.type

        def hash(self, *a, **kw):
            counts["hash"] += 1
            return real.hash(*a, **kw)

        def verify(self, *a, **kw):
            counts["verify"] += 1
            return real.verify(*a, **kw)

    hasher._hasher = Counting()
    assert hasher.verify(None, "secret-123") is False
    assert counts == {"hash": 0, "verify": 1}
