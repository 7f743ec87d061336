"""SMS login (``POST /1.1/login`` with smsCode): who a login code logs in, what bounds its
guesses, and what it answers for numbers nobody holds. The code's spending write names the
user it was sent for (recorded by requestLoginSmsCode from the phone's claim)."""
import dataclasses

import pytest

from chalicelib.core import limits
from chalicelib.core.service import SendRequest
from chalicelib.core.errors import BadCredentials, InvalidCode, LockedOut, PhoneNotFound
from test_concurrency import run_threads
from test_concurrency_users import ALICE, BOB, accounts, code_in
from test_login_round_trips import dynamodb_calls

NOBODY = "+8613800138009"


def verified_user(acc, username, number):
    user, _ = acc.signup("app", username, "secret-123", number)
    return acc._update(user, lambda u: dataclasses.replace(u, phone_verified=True))


def sessions_of(acc, object_id):
    from chalicelib.store.user_items import UserModel
    return [i for i in UserModel.scan(UserModel.kind == "session", consistent_read=True) if i.uid == object_id]


def test_a_user_locked_out_by_wrong_passwords_logs_in_by_sms_and_that_clears_the_lockout():
    acc, outbox = accounts(login_max_failures=3)
    alice = verified_user(acc, "alice", ALICE)
    for _ in range(3):
        with pytest.raises(BadCredentials):
            acc.login_password("app", "username", "alice", "wrong-pass")
    with pytest.raises(LockedOut):
        acc.login_password("app", "username", "alice", "secret-123")
    acc.request_login_code("app", ALICE)
    user, token = acc.login_sms("app", ALICE, code_in(outbox, ALICE))  # the way out
    assert user.object_id == alice.object_id and acc.resolve("app", token)[0].object_id == alice.object_id
    charge = limits.login_failures("app", alice.object_id, acc._settings("app"), int(acc.clock.now()))
    assert acc.limiter.peek(charge) == 0
    acc.login_password("app", "username", "alice", "secret-123")  # the lockout is cleared


def test_wrong_sms_codes_do_not_charge_the_password_lockout_the_code_bounds_them():
    acc, outbox = accounts(login_max_failures=2, max_attempts=3)
    alice = verified_user(acc, "alice", ALICE)
    acc.request_login_code("app", ALICE)
    code = code_in(outbox, ALICE)
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(3):
        with pytest.raises(InvalidCode):
            acc.login_sms("app", ALICE, wrong)
    with pytest.raises(InvalidCode):  # the code's attempts are used up: even the right code fails
        acc.login_sms("app", ALICE, code)
    charge = limits.login_failures("app", alice.object_id, acc._settings("app"), int(acc.clock.now()))
    assert acc.limiter.peek(charge) == 0
    acc.login_password("app", "username", "alice", "secret-123")


def test_concurrent_sms_logins_with_one_code_open_exactly_one_session():
    acc, outbox = accounts()
    alice = verified_user(acc, "alice", ALICE)
    acc.request_login_code("app", ALICE)
    code = code_in(outbox, ALICE)
    before = len(sessions_of(acc, alice.object_id))
    results = run_threads(lambda i: acc.login_sms("app", ALICE, code), n=10)
    wins = [r[1] for r in results if r[0] == "ok"]
    assert len(wins) == 1, results
    assert all(isinstance(r[1], InvalidCode) for r in results if r[0] == "err"), results
    assert len(sessions_of(acc, alice.object_id)) == before + 1
    assert acc.resolve("app", wins[0][1])[0].object_id == alice.object_id


def test_a_code_whose_number_moved_to_another_user_logs_nobody_in():
    """A login code logs in the user it was sent for, while that user holds the number: a
    code sent to Alice's old number does not open the account of whoever holds it now (the
    number's new holder asks for a code of their own)."""
    acc, outbox = accounts()
    alice = verified_user(acc, "alice", ALICE)
    acc.request_login_code("app", ALICE)
    stale = code_in(outbox, ALICE)
    acc._update(alice, lambda u: dataclasses.replace(u, phone=BOB))  # Alice moves to another number
    bob = verified_user(acc, "bob", ALICE)                             # and Bob takes hers
    before = len(sessions_of(acc, bob.object_id)), len(sessions_of(acc, alice.object_id))
    with pytest.raises(InvalidCode):
        acc.login_sms("app", ALICE, stale)
    with pytest.raises(InvalidCode):  # spent: it is not tried again for anyone
        acc.login_sms("app", ALICE, stale)
    assert (len(sessions_of(acc, bob.object_id)), len(sessions_of(acc, alice.object_id))) == before
    before = before[0]
    acc.request_login_code("app", ALICE)
    user, _ = acc.login_sms("app", ALICE, code_in(outbox, ALICE))
    assert user.object_id == bob.object_id
    assert len(sessions_of(acc, bob.object_id)) == before + 1


def test_a_code_whose_number_nobody_holds_now_is_refused_213_without_protection():
    acc, outbox = accounts(enumeration_protection=False)
    alice = verified_user(acc, "alice", ALICE)
    acc.request_login_code("app", ALICE)
    stale = code_in(outbox, ALICE)
    acc._update(alice, lambda u: dataclasses.replace(u, phone=BOB))
    with pytest.raises(PhoneNotFound):
        acc.login_sms("app", ALICE, stale)


def test_wrong_and_missing_codes_answer_alike_for_known_and_unknown_numbers():
    """Enumeration protection: a number nobody holds has no code (its send was suppressed);
    a user's number with no code, a wrong code or a used-up code: each is one write, then 603."""
    acc, outbox = accounts(max_attempts=1)
    verified_user(acc, "alice", ALICE)
    verified_user(acc, "bob", BOB)
    acc.request_login_code("app", NOBODY)
    acc.request_login_code("app", BOB)
    code = code_in(outbox, BOB)
    wrong = "000000" if code != "000000" else "111111"
    answers = []
    for number in (NOBODY, ALICE, BOB, BOB):  # nobody's; no code; a wrong code; a used-up code
        with dynamodb_calls() as calls, pytest.raises(InvalidCode) as e:
            acc.login_sms("app", number, wrong)
        answers.append((type(e.value), str(e.value), tuple(calls)))
    assert len(set(answers)) == 1, answers
    assert answers[0][2] == ("UpdateItem",)


def test_users_by_mobile_phone_follows_the_same_rules_as_sms_login():
    """``usersByMobilePhone`` (the SDKs' signUpOrlogInWithMobilePhone) for a user locked out
    by wrong passwords logs in and clears the lockout; its wrong codes are bounded by the
    code's own attempts, not charged to the password lockout."""
    acc, outbox = accounts(login_max_failures=2, max_attempts=3)
    alice = verified_user(acc, "alice", ALICE)
    for _ in range(2):
        with pytest.raises(BadCredentials):
            acc.login_password("app", "username", "alice", "wrong-pass")
    with pytest.raises(LockedOut):
        acc.login_password("app", "username", "alice", "secret-123")
    acc.otp.send(SendRequest(app_id="app", phone=ALICE))
    code = code_in(outbox, ALICE)
    wrong = "000000" if code != "000000" else "111111"
    with pytest.raises(InvalidCode):
        acc.signup_or_login_by_phone("app", ALICE, wrong)  # not LockedOut: the code decides
    user, token, created = acc.signup_or_login_by_phone("app", ALICE, code)
    assert (user.object_id, created) == (alice.object_id, False)
    charge = limits.login_failures("app", alice.object_id, acc._settings("app"), int(acc.clock.now()))
    assert acc.limiter.peek(charge) == 0
    acc.login_password("app", "username", "alice", "secret-123")  # the lockout is cleared


def _answer(acc, number, **kw):
    with dynamodb_calls() as calls:
        try:
            acc.signup_or_login_by_phone("app", number, "000000", **kw)
            out = "ok"
        except Exception as e:  # noqa: BLE001
            out = (type(e).__name__, str(e))
    return out, tuple(calls)


@pytest.mark.parametrize("kw", [{"password": "x"}, {"username": "alice"}, {"username": "bob"}, {}])
def test_users_by_mobile_phone_wrong_code_answers_alike_for_registered_and_unregistered(kw):
    """A malformed password or a taken username, with a wrong code: the same answer and the
    same DynamoDB calls for a registered number (whose login ignores them) and a free one."""
    acc, outbox = accounts(enumeration_protection=True)
    verified_user(acc, "alice", ALICE)
    for n in (ALICE, NOBODY):
        acc.otp.send(SendRequest(app_id="app", phone=n))  # each has a live code
        if code_in(outbox, n) == "000000":
            pytest.skip("drew 000000")
    registered, free = _answer(acc, ALICE, **kw), _answer(acc, NOBODY, **kw)
    assert registered[0] == free[0]
    assert registered[1] == free[1]
