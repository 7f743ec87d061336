"""The user system under concurrency: unique claims, single-use codes found by value,
the login lockout and atomic phone changes, with real threads on the serialised moto."""
import re

from chalicelib.channels.outbox import Outbox, RecordOnly
from chalicelib.core.accounts import AccountService
from chalicelib.core.config import AppConfig, StaticConfig
from chalicelib.core.errors import InvalidCode, LockedOut, Taken
from chalicelib.core.passwords import Argon2Hasher
from chalicelib.core.service import OTPService
from chalicelib.core.settings import Settings
from chalicelib.store.codes import DynamoCodeStore
from chalicelib.store.counters import DynamoLimiter
from chalicelib.store.users import DynamoUserStore
from test_concurrency import run_threads

ALICE, BOB, NEW = "+8613800138001", "+8613800138002", "+8613800138003"
N = 20


def accounts(**overrides):
    outbox = Outbox()
    cfg = StaticConfig(AppConfig(settings=Settings.from_mapping({"cooldown_seconds": 0, **overrides})))
    otp = OTPService(DynamoCodeStore(), {"sms": RecordOnly(outbox)}, cfg, b"secret")
    return AccountService(users=DynamoUserStore(), otp=otp, limiter=DynamoLimiter(), hasher=Argon2Hasher(),
                          config=cfg, secret=b"secret"), outbox


def code_in(outbox, to):
    return re.search(r"(\d{6})", outbox.list(to)[-1]["body"]).group(1)


def test_concurrent_sign_ups_with_one_phone_number_one_wins():
    acc, _ = accounts()
    results = run_threads(lambda i: acc.signup("app", f"user{i}", "secret-123", ALICE), n=N)
    wins = [r for r in results if r[0] == "ok"]
    assert len(wins) == 1
    assert all(isinstance(r[1], Taken) and r[1].field == "phone" for r in results if r[0] == "err")
    assert acc.users.find("app", "phone", ALICE).object_id == wins[0][1][0].object_id
    # the losers left no username claims behind
    assert all(acc.users.find("app", "username", f"user{i}") is None
               for i in range(N) if results[i][0] == "err")


def test_concurrent_sign_ups_with_one_username_one_wins():
    acc, _ = accounts()
    results = run_threads(lambda i: acc.signup("app", "same", "secret-123", f"+86138001380{i:02d}"), n=N)
    assert sum(r[0] == "ok" for r in results) == 1
    assert all(isinstance(r[1], Taken) and r[1].field == "username" for r in results if r[0] == "err")


def test_a_code_found_by_value_alone_verifies_once():
    acc, outbox = accounts()
    acc.signup("app", "alice", "secret-123", ALICE)
    acc.request_phone_verify("app", ALICE)
    code = code_in(outbox, ALICE)
    results = run_threads(lambda i: acc.verify_phone("app", code), n=N)
    assert sum(r[0] == "ok" for r in results) == 1
    assert all(isinstance(r[1], InvalidCode) for r in results if r[0] == "err")
    assert acc.users.find("app", "phone", ALICE).phone_verified is True


def test_concurrent_password_resets_with_one_code_one_wins():
    acc, outbox = accounts(allow_reset_password_if_phone_unverified=True)
    acc.signup("app", "alice", "secret-123", ALICE)
    acc.request_password_reset("app", ALICE)
    code = code_in(outbox, ALICE)
    results = run_threads(lambda i: acc.reset_password("app", code, f"new-secret-{i}"), n=10)
    winners = [i for i, r in enumerate(results) if r[0] == "ok"]
    assert len(winners) == 1
    user, _ = acc.login_password("app", "username", "alice", f"new-secret-{winners[0]}")
    assert user.username == "alice"


def test_concurrent_wrong_passwords_never_exceed_the_lockout():
    acc, _ = accounts(login_max_failures=5)
    acc.signup("app", "alice", "secret-123")
    results = run_threads(lambda i: acc.login_password("app", "username", "alice", "wrong-pass"), n=N)
    kinds = [type(r[1]).__name__ for r in results]
    assert kinds.count("BadCredentials") == 5 and kinds.count("LockedOut") == N - 5, kinds
    try:
        acc.login_password("app", "username", "alice", "secret-123")
        raise AssertionError("the right password got through a lockout")
    except LockedOut:
        pass


def test_two_users_racing_for_one_new_number_one_wins_and_nothing_is_half_written():
    acc, outbox = accounts()
    alice, _ = acc.signup("app", "alice", "secret-123", ALICE)
    bob, _ = acc.signup("app", "bob", "secret-123", BOB)
    acc.request_change_phone("app", alice, NEW)
    code_a = code_in(outbox, NEW)
    acc.request_change_phone("app", bob, NEW)
    code_b = code_in(outbox, NEW)
    plans = [(alice, code_a), (bob, code_b)]
    results = run_threads(lambda i: acc.change_phone("app", plans[i][0], NEW, plans[i][1]), n=2)
    assert sum(r[0] == "ok" for r in results) == 1
    loser = next(i for i, r in enumerate(results) if r[0] == "err")
    assert isinstance(results[loser][1], Taken)
    winner = plans[1 - loser][0]
    assert acc.users.find("app", "phone", NEW).object_id == winner.object_id
    # the winner's old number is free, the loser still holds his
    old_winner, old_loser = (ALICE, BOB) if winner is alice else (BOB, ALICE)
    assert acc.users.find("app", "phone", old_winner) is None
    assert acc.users.find("app", "phone", old_loser).object_id == plans[loser][0].object_id


def test_concurrent_updates_to_one_user_are_not_lost():
    acc, _ = accounts()
    alice, _ = acc.signup("app", "alice", "secret-123")
    results = run_threads(lambda i: acc.update_user("app", alice.object_id, {"custom": {f"f{i}": i}}, alice, None),
                          n=10)
    assert all(r[0] == "ok" for r in results), results
    custom = acc.get_user("app", alice.object_id).custom
    assert custom == {f"f{i}": i for i in range(10)}
