"""A login in three round trips (the claim; the user and its lockout counter in one read; one
write), with the lockout as strict as when every attempt was charged before its check: a
locked-out user is refused from the read, a failure is charged only under the limit, and a
session is written only while the counter is under it."""
import contextlib
import dataclasses

import pytest

from chalicelib.core import limits
from chalicelib.core.errors import BadCredentials, LockedOut
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
