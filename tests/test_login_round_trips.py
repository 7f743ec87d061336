"""A login in three round trips (the claim; the user and its lockout counter in one read; one
write), with the lockout as strict as when every attempt was charged before its check: a
locked-out user is refused from the read, a failure is charged only under the limit, and a
session is written only while the counter is under it."""
import contextlib
import dataclasses

import pytest

from chalicelib.core import limits
from chalicelib.core.errors import BadCredentials, InvalidSession, LockedOut
from chalicelib.store.base import connection
from test_concurrency_users import ALICE, accounts, code_in


@contextlib.contextmanager
def dynamodb_calls():
    calls = []
    events = connection().client.meta.events
    hook = lambda model, **kw: calls.append(model.name)  # noqa: E731
    events.register("before-call.dynamodb", hook)
    try:
        yield calls
    finally:
        events.unregister("before-call.dynamodb", hook)


def test_a_password_login_is_three_round_trips_right_or_wrong():
    acc, _ = accounts()
    acc.signup("app", "alice", "secret-123", ALICE)
    with dynamodb_calls() as calls:
        acc.login_password("app", "username", "alice", "secret-123")
    assert calls == ["GetItem", "BatchGetItem", "TransactWriteItems"]
    with dynamodb_calls() as calls, pytest.raises(BadCredentials):
        acc.login_password("app", "username", "alice", "wrong-pass")
    assert calls == ["GetItem", "BatchGetItem", "UpdateItem"]  # the failure charged
    with dynamodb_calls() as calls, pytest.raises(BadCredentials):  # nobody's: the same calls
        acc.login_password("app", "username", "nobody", "wrong-pass")
    assert calls == ["GetItem", "BatchGetItem", "UpdateItem"]


def test_a_locked_out_user_is_refused_from_the_read_and_a_success_clears_the_counter():
    acc, _ = accounts(login_max_failures=3)
    acc.signup("app", "alice", "secret-123", ALICE)
    acc.login_password("app", "username", "alice", "secret-123")
    for _ in range(2):
        with pytest.raises(BadCredentials):
            acc.login_password("app", "username", "alice", "wrong-pass")
    acc.login_password("app", "username", "alice", "secret-123")  # clears the 2 failures
    for _ in range(3):
        with pytest.raises(BadCredentials):
            acc.login_password("app", "username", "alice", "wrong-pass")
    with dynamodb_calls() as calls, pytest.raises(LockedOut) as e:
        acc.login_password("app", "username", "alice", "secret-123")
    assert calls == ["GetItem", "BatchGetItem"] and e.value.retry_after > 0  # no write, no session


def test_no_session_when_racing_failures_filled_the_counter_after_the_read():
    acc, _ = accounts(login_max_failures=3)
    alice, _ = acc.signup("app", "alice", "secret-123", ALICE)
    user, charge, used = acc._login_lookup("app", "username", "alice")
    assert used == 0
    for _ in range(3):  # three failures land between this login's read and its write
        acc.limiter.charge([charge], int(acc.clock.now()))
    with pytest.raises(LockedOut):
        acc._login(user, clear=charge)
    assert acc.limiter.peek(charge) == 3  # the counter stays; no session was written
    with pytest.raises(LockedOut):
        acc.login_password("app", "username", "alice", "secret-123")


def test_an_sms_login_clears_the_counter_in_its_session_write():
    acc, outbox = accounts(login_max_failures=3)
    acc.signup("app", "alice", "secret-123", ALICE)
    user = acc.users.find("app", "phone", ALICE)
    acc._update(user, lambda u: dataclasses.replace(u, phone_verified=True))  # SMS login needs it verified
    with pytest.raises(BadCredentials):
        acc.login_password("app", "username", "alice", "wrong-pass")
    acc.request_login_code("app", ALICE)
    acc.login_sms("app", ALICE, code_in(outbox, ALICE))
    s = acc._settings("app")
    assert acc.limiter.peek(limits.login_failures("app", user.object_id, s, int(acc.clock.now()))) == 0


# ---- SMS login in three round trips (issue 18) ----------------------------------------------
# measured with the verify's count off the request path (VERIKIT_VERIFIED_COUNTS=stream), as
# deployed stages count it: counted inline, each adds the one write of that count

def _stream_counts(monkeypatch):
    from chalicelib import wiring
    monkeypatch.setenv("VERIKIT_VERIFIED_COUNTS", "stream")
    wiring.reset()
    assert wiring.service().counts == "stream"


def test_an_sms_login_is_three_round_trips_through_the_api(lc, monkeypatch, settings):
    from conftest import last_code
    settings(cooldown_seconds=0)
    _stream_counts(monkeypatch)
    lc.request_code(ALICE)
    status, user = lc.post("/1.1/usersByMobilePhone", {"mobilePhoneNumber": ALICE, "smsCode": last_code(ALICE)})
    assert status == 201
    assert lc.post("/1.1/requestLoginSmsCode", {"mobilePhoneNumber": ALICE}) == (200, {})
    with dynamodb_calls() as calls:
        status, body = lc.post("/1.1/login", {"mobilePhoneNumber": ALICE, "smsCode": last_code(ALICE)})
    assert status == 200 and body["objectId"] == user["objectId"]
    # the code spent (its answer names the user), the user with the phone's claim, the session
    # with the lockout cleared
    assert calls == ["UpdateItem", "BatchGetItem", "TransactWriteItems"], calls
    assert lc.get("/1.1/users/me", {"X-LC-Session": body["sessionToken"]})[0] == 200


def test_verify_phone_by_code_with_a_session_is_three_round_trips(lc, monkeypatch, settings):
    from conftest import last_code
    settings(cooldown_seconds=0)
    _stream_counts(monkeypatch)
    status, user = lc.post("/1.1/users", {"username": "alice", "password": "secret-123", "mobilePhoneNumber": ALICE})
    assert status == 201
    assert lc.post("/1.1/requestMobilePhoneVerify", {"mobilePhoneNumber": ALICE}) == (200, {})
    with dynamodb_calls() as calls:
        status, _ = lc.post(f"/1.1/verifyMobilePhone/{last_code(ALICE)}", {},
                            headers={"X-LC-Session": user["sessionToken"]})
    assert status == 200
    # session and user; the guess at the session's own number's code; the user saved
    assert calls == ["BatchGetItem", "UpdateItem", "TransactWriteItems"], calls
    assert lc.get("/1.1/users/me", {"X-LC-Session": user["sessionToken"]})[1]["mobilePhoneVerified"] is True


def _verified_alice(acc, outbox):
    user, _ = acc.signup("app", "alice", "secret-123", ALICE)
    return acc._update(user, lambda u: dataclasses.replace(u, phone_verified=True))


def test_an_sms_login_that_takes_over_a_squatted_number_is_still_three_round_trips():
    """The squatting rule's change of the user (an unverified claim: password removed,
    sessions revoked, phone verified) is in the session's own write, conditional on the
    user's version."""
    acc, outbox = accounts()
    squatter, old_token = acc.signup("app", "squatter", "secret-123", ALICE)  # never proved ALICE
    acc.request_login_code("app", ALICE)  # enumeration protection: sent only to a verified number...
    assert outbox.list(ALICE) == []
    acc._update(squatter, lambda u: dataclasses.replace(u, unproven=True, phone_verified=True))
    acc.request_login_code("app", ALICE)  # ...or one whose password and sessions predate the proof
    with dynamodb_calls() as calls:
        user, token = acc.login_sms("app", ALICE, code_in(outbox, ALICE))
    assert calls == ["UpdateItem", "BatchGetItem", "TransactWriteItems"], calls
    assert user.object_id == squatter.object_id and user.password_hash is None and not user.unproven
    assert acc.resolve("app", token)[0].object_id == user.object_id
    with pytest.raises(InvalidSession):
        acc.resolve("app", old_token)  # the squatter's session ended with the takeover
    assert acc.users.get("app", user.object_id).version == user.version


def test_a_login_code_that_names_no_user_finds_it_by_the_claim_in_four():
    """Codes sent before login codes named their user (or by a send that did not name it)
    log in through the phone's claim: one read more."""
    from chalicelib.core.service import SendRequest
    acc, outbox = accounts()
    alice = _verified_alice(acc, outbox)
    acc.otp.send(SendRequest(app_id="app", phone=ALICE, purpose="login"))  # no user_id on the code
    with dynamodb_calls() as calls:
        user, _ = acc.login_sms("app", ALICE, code_in(outbox, ALICE))
    assert user.object_id == alice.object_id
    assert calls == ["UpdateItem", "GetItem", "GetItem", "TransactWriteItems"], calls
