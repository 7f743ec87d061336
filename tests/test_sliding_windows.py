"""The per-key limits are sliding windows (issue 19): no burst of twice a limit around a
window's end, the room coming back as the old window's weight decays, exact under racing
writes (one conditional write, no read), the login lockout on the same rule, a give-back to
the window that was charged, and a Retry-After that says when there is room again. The
app's budget stays per UTC day (a spend budget)."""
import random
from calendar import timegm
from time import strptime

import pytest

from chalicelib import wiring
from chalicelib.channels.outbox import Outbox, RecordOnly
from chalicelib.core import limits, sliding
from chalicelib.core.accounts import AccountService
from chalicelib.core.clock import FakeClock
from chalicelib.core.config import AppConfig, StaticConfig
from chalicelib.core.errors import BadCredentials, LockedOut, RateLimited, SendFailed
from chalicelib.core.passwords import Argon2Hasher
from chalicelib.core.service import OTPService, SendRequest
from chalicelib.core.settings import Settings
from chalicelib.store import windows
from chalicelib.store.base import connection
from chalicelib.store.codes import DynamoCodeStore
from chalicelib.store.counters import CounterModel, DynamoLimiter
from chalicelib.store.release import release
from chalicelib.store.users import DynamoUserStore
from test_concurrency import run_threads

PHONE = "+8613800138000"
DAY, HOUR = 86400, 3600


def at(text: str) -> int:
    return timegm(strptime(text, "%Y-%m-%dT%H:%M:%S"))


def clock(text: str) -> FakeClock:
    """The service's one clock, stopped at ``text`` (UTC)."""
    c = FakeClock(at(text))
    wiring.clock().use(c)
    return c


def service(**overrides):
    outbox = Outbox()
    cfg = StaticConfig(AppConfig(settings=Settings.from_mapping({"cooldown_seconds": 0, **overrides})))
    return OTPService(DynamoCodeStore(), {"sms": RecordOnly(outbox)}, cfg, b"secret", wiring.clock()), outbox


def send(svc, phone=PHONE, ip=None):
    try:
        svc.send(SendRequest(app_id="app", phone=phone, client_ip=ip))
        return "sent"
    except RateLimited as e:
        return e.limit


def item(key: str):
    return connection().client.get_item(TableName=CounterModel.Meta.table_name, Key={"pk": {"S": key}},
                                        ConsistentRead=True).get("Item")


# ---- a day's end ------------------------------------------------------------------------------

def test_ten_sends_at_23_59_50_leave_no_room_at_00_00_10(lc, settings):
    settings(per_number_daily=10, cooldown_seconds=0)
    c = clock("2027-03-14T23:59:50")
    assert [lc.request_code(PHONE)[0] for _ in range(10)] == [200] * 10
    c.t = at("2027-03-15T00:00:10")  # a new UTC day: fixed windows would allow 10 more here
    r = lc.client.http.post("/1.1/requestSmsCode", headers=lc.headers, body='{"mobilePhoneNumber": "%s"}' % PHONE)
    assert r.status_code == 429 and "number_daily" in r.body.decode()
    # the old day's 10 weigh ceil(10 * (1 - elapsed/24h)): 9 once 10% of the day is gone
    assert int(r.headers["Retry-After"]) == at("2027-03-15T02:24:00") - c.t
    c.t = at("2027-03-15T02:24:00")
    assert lc.request_code(PHONE)[0] == 200
    assert lc.request_code(PHONE)[0] == 429


def test_half_a_day_later_half_the_room_is_back():
    svc, outbox = service(per_number_daily=10)
    c = clock("2027-03-14T23:59:50")
    assert [send(svc) for _ in range(10)] == ["sent"] * 10
    c.t = at("2027-03-15T12:00:00")
    assert [send(svc) for _ in range(6)] == ["sent"] * 5 + ["number_daily"]
    # and a full day after the last of them, the old day no longer counts at all
    c.t = at("2027-03-15T23:59:50")
    assert [send(svc) for _ in range(6)] == ["sent"] * 5 + ["number_daily"]  # today's 5 + 5
    assert len(outbox.list(PHONE)) == 20


def test_a_send_a_day_at_the_same_hour_passes_with_a_limit_of_one():
    """The previous window's last send known to be a full window ago weighs nothing (the
    weighted estimate alone would refuse the next day's send at 10:00)."""
    svc, _ = service(per_number_daily=1)
    c = clock("2027-03-14T10:00:00")
    assert send(svc) == "sent"
    c.t = at("2027-03-15T09:59:59")
    assert send(svc) == "number_daily"
    c.t = at("2027-03-15T10:00:00")
    assert send(svc) == "sent"


def test_the_ip_hour_slides_too():
    svc, _ = service(per_ip_hourly=4, per_number_daily=0)
    c = clock("2027-03-15T10:59:30")
    assert [send(svc, f"+86138001380{i:02d}", "203.0.113.9") for i in range(4)] == ["sent"] * 4
    c.t = at("2027-03-15T11:00:30")
    assert send(svc, "+8613800138099", "203.0.113.9") == "ip_hourly"
    c.t = at("2027-03-15T11:15:00")  # a quarter of the old hour's weight gone: ceil(4 * 0.75) = 3
    assert [send(svc, f"+86138001381{i:02d}", "203.0.113.9") for i in range(2)] == ["sent", "ip_hourly"]


def test_the_app_budget_stays_per_utc_day():
    svc, _ = service(per_app_daily=3, per_number_daily=0)
    c = clock("2027-03-14T23:59:50")
    assert [send(svc, f"+86138001380{i:02d}") for i in range(4)] == ["sent"] * 3 + ["app_daily"]
    c.t = at("2027-03-15T00:00:10")
    assert send(svc, "+8613800138050") == "sent"  # a new UTC day, a new budget


# ---- exact under racing writes ----------------------------------------------------------------

def test_racing_sends_take_exactly_the_room_the_estimate_leaves():
    svc, outbox = service(per_number_daily=10)
    c = clock("2027-03-14T20:00:00")
    assert [send(svc) for _ in range(8)] == ["sent"] * 8
    c.t = at("2027-03-15T06:00:00")  # 8 from yesterday weigh ceil(8 * 0.75) = 6: room for 4
    results = run_threads(lambda i: send(svc), n=30)
    assert [r[1] for r in results].count("sent") == 4, results
    assert [r[1] for r in results].count("number_daily") == 26
    charge = limits.sliding_charge("number_daily", f"nd#app#{PHONE}", 10, DAY, c.t)
    assert DynamoLimiter().peek(charge, c.t) == 10 and len(outbox.list(PHONE)) == 12


def test_racing_sends_in_a_fresh_window_take_exactly_the_limit():
    svc, outbox = service(per_number_daily=7)
    clock("2027-03-15T00:00:00")
    results = run_threads(lambda i: send(svc), n=25)
    assert [r[1] for r in results].count("sent") == 7 and len(outbox.list(PHONE)) == 7


@pytest.mark.parametrize("limit", [1, 3, 10, 40])
def test_the_written_condition_is_the_estimate(limit):
    """Random charges over three windows: each is allowed exactly when the estimate read
    before it is under the limit (the staircase written to DynamoDB and ``sliding.used``
    agree, grouped or not), the estimate after it never exceeds the limit, a refusal's
    Retry-After is the first second with room, and no fixed window ever holds more."""
    rng = random.Random(limit)
    limiter, window, key = DynamoLimiter(), 600, f"k#{limit}"
    now = at("2027-03-15T10:00:00")
    for _ in range(120):
        now += rng.choice([0, 1, 3, 20, 60, 150])
        charge = limits.sliding_charge("x", key, limit, window, now)
        before = limiter.look(charge)
        try:
            limiter.charge([charge], now)
            assert before.used(now) < limit
            after = limiter.look(charge)
            assert after.used(now) <= limit
            counts, k = after.counts(), now // window
            c, (p, last) = counts[k][0], counts.get(k - 1, (0, None))
            assert c <= limit  # no fixed window holds more
            if last is None or last > now - window:  # the exact (ungrouped) estimate, rounded up
                assert c + -(-p * (window - now % window) // window) <= limit
        except RateLimited as e:
            assert before.used(now) >= limit
            assert 1 <= e.retry_after <= window
            wait = e.retry_after
            assert before.used(now + wait) < limit
            assert wait == 1 or before.used(now + wait - 1) >= limit


def test_a_large_limit_is_a_short_condition_and_never_allows_more():
    now = at("2027-03-15T10:00:00") + 1234
    expr, names, values = windows.condition(100000, HOUR, now)
    assert len(sliding.steps(100000, HOUR, now)) <= sliding.MAX_STEPS and len(expr) < 1500
    for p in range(0, 100001, 997):  # the grouped room is never more than the exact one
        exact = 100000 - -(-p * (HOUR - now % HOUR) // HOUR)
        assert 100000 - sliding.prior(100000, HOUR, now, p, None) <= max(0, exact)
    charge = limits.sliding_charge("ip_hourly", "ih#app#203.0.113.9", 100000, HOUR, now)
    DynamoLimiter().charge([charge], now)  # DynamoDB (moto) takes it
    assert DynamoLimiter().peek(charge, now) == 1


# ---- the login lockout ------------------------------------------------------------------------

def accounts(**overrides):
    outbox = Outbox()
    cfg = StaticConfig(AppConfig(settings=Settings.from_mapping({"cooldown_seconds": 0, **overrides})))
    otp = OTPService(DynamoCodeStore(), {"sms": RecordOnly(outbox)}, cfg, b"secret", wiring.clock())
    return AccountService(users=DynamoUserStore(), otp=otp, limiter=DynamoLimiter(), hasher=Argon2Hasher(),
                          config=cfg, secret=b"secret", clock=wiring.clock())


def login(acc, password):
    try:
        acc.login_password("app", "username", "alice", password)
        return "ok"
    except BadCredentials:
        return "wrong"
    except LockedOut as e:
        return f"locked {e.retry_after}"


def test_the_lockout_holds_across_a_window_boundary():
    c = clock("2027-03-15T10:14:50")
    acc = accounts(login_max_failures=5, login_lockout_minutes=15)
    acc.signup("app", "alice", "secret-123")
    assert [login(acc, "wrong-pass") for _ in range(5)] == ["wrong"] * 5
    c.t = at("2027-03-15T10:15:10")  # a new 15-minute window: fixed windows would allow 5 more
    # the 5 weigh ceil(5 * (1 - elapsed/15 min)): 4 once 3 minutes are gone, at 10:18:00
    assert login(acc, "wrong-pass") == "locked 170"
    assert login(acc, "secret-123") == "locked 170"  # the right password too
    c.t = at("2027-03-15T10:18:00")
    assert [login(acc, "wrong-pass") for _ in range(2)] == ["wrong", "locked 180"]
    c.t = at("2027-03-15T10:21:00")
    assert login(acc, "secret-123") == "ok"  # room again: the login clears the counter
    assert item("lf#app#" + acc.users.find("app", "username", "alice").object_id) is None
    # full again at 10:21:00: room at 10:33:00, when the weight of these 5 is down to 4
    assert [login(acc, "wrong-pass") for _ in range(6)] == ["wrong"] * 5 + ["locked 720"]


def test_the_admin_lockout_view_reports_the_estimate():
    from chalicelib.core.user_admin import UserAdmin
    c = clock("2027-03-15T10:14:00")
    acc = accounts(login_max_failures=3, login_lockout_minutes=10)
    acc.signup("app", "alice", "secret-123")
    assert [login(acc, "wrong-pass") for _ in range(3)] == ["wrong"] * 3
    admin = UserAdmin(users=acc.users, limiter=acc.limiter, config=acc.config, clock=wiring.clock())
    user = acc.users.find("app", "username", "alice")
    c.t = at("2027-03-15T10:20:30")  # 30 s into the next window: the 3 weigh 3 still
    view = admin.lockout(user)
    assert view["failures"] == 3 and view["locked"] and view["retry_after"] == 200 - 30
    c.t = at("2027-03-15T10:23:20")  # a third of it gone: ceil(3 * 2/3) = 2
    assert admin.lockout(user) == {"failures": 2, "max_failures": 3, "locked": False, "retry_after": 0}


# ---- give-backs -------------------------------------------------------------------------------

def test_a_failed_send_gives_its_charge_back():
    class Failing:
        def send(self, message):
            raise SendFailed("SMS not sent: provider down")

    svc, _ = service(per_number_daily=2)
    clock("2027-03-15T10:00:00")
    good = svc.channels
    svc.channels = {"sms": Failing()}
    for _ in range(4):
        with pytest.raises(SendFailed):
            svc.send(SendRequest(app_id="app", phone=PHONE))
    svc.channels = good
    assert [send(svc) for _ in range(3)] == ["sent", "sent", "number_daily"]


def test_a_give_back_after_midnight_goes_to_the_window_charged():
    limiter, now = DynamoLimiter(), at("2027-03-14T23:59:59")
    first = limits.sliding_charge("number_daily", f"nd#app#{PHONE}", 2, DAY, now)
    limiter.charge([first], now)
    limiter.charge([limits.sliding_charge("number_daily", f"nd#app#{PHONE}", 2, DAY, now)], now)
    later = at("2027-03-15T00:00:01")
    with pytest.raises(RateLimited):
        limiter.charge([limits.sliding_charge("number_daily", f"nd#app#{PHONE}", 2, DAY, later)], later)
    release(None, None, [first], later)  # the provider refused the 23:59:59 send
    assert windows.seen(item(f"nd#app#{PHONE}")) == ((now // DAY, 1, now),)
    limiter.charge([limits.sliding_charge("number_daily", f"nd#app#{PHONE}", 2, DAY, later)], later)
    with pytest.raises(RateLimited):
        limiter.charge([limits.sliding_charge("number_daily", f"nd#app#{PHONE}", 2, DAY, later)], later)


def test_the_item_keeps_two_windows_and_expires_after_the_next():
    limiter = DynamoLimiter()
    for day in ("2027-03-13", "2027-03-14", "2027-03-15"):
        now = at(f"{day}T12:00:00")
        limiter.charge([limits.sliding_charge("number_daily", "nd#app#x", 10, DAY, now)], now)
    raw = item("nd#app#x")
    k = now // DAY
    assert sorted(a for a in raw if a not in ("pk", "ttl")) == sorted([f"n{k}", f"t{k}", f"n{k - 1}", f"t{k - 1}"])
    assert int(raw["ttl"]["N"]) >= (k + 2) * DAY
