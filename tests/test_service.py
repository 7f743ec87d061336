"""The OTP service over its real DynamoDB store (on moto), with a fake clock."""
import re

import pytest

from chalicelib.channels.outbox import Outbox, RecordOnly
from chalicelib.core.clock import FakeClock
from chalicelib.core.errors import FeatureDisabled, InvalidCode, RateLimited, SendFailed
from chalicelib.core.service import OTPService, SendRequest
from chalicelib.core.config import AppConfig, StaticConfig
from chalicelib.core.settings import Settings
from chalicelib.store.codes import CodeModel, DynamoCodeStore
from chalicelib.store.counters import CounterModel

PHONE = "+8613800138000"


class Env:
    def __init__(self, **overrides):
        self.clock = FakeClock()
        self.outbox = Outbox()
        ch = RecordOnly(self.outbox)
        self.svc = OTPService(DynamoCodeStore(), {"sms": ch, "voice": ch},
                              StaticConfig(AppConfig(settings=Settings.from_mapping(overrides))), b"secret", self.clock)

    def send(self, phone=PHONE, **kw):
        return self.svc.send(SendRequest(app_id="app", phone=phone, **kw))

    def code(self, phone=PHONE):
        body = self.outbox.list(phone)[-1]["body"]
        return re.search(r"is (\d+)", body).group(1)

    def verify(self, code, phone=PHONE, purpose="sms"):
        return self.svc.verify("app", phone, code, purpose)


def test_send_then_verify_once():
    env = Env()
    res = env.send()
    assert res.to == PHONE and res.expires_at == int(env.clock.now()) + 600
    code = env.code()
    assert len(code) == 6
    assert env.verify(code) == PHONE
    with pytest.raises(InvalidCode):
        env.verify(code)


def test_code_is_stored_only_as_a_keyed_hash():
    env = Env()
    env.send()
    code = env.code()
    items = [i.attribute_values for i in CodeModel.scan()]
    assert len(items) == 1
    assert all(code not in str(v) for v in items[0].values())
    assert len(items[0]["code_hash"]) == 64


def test_expired_code_is_refused_even_though_dynamodb_still_has_it():
    env = Env()
    env.send(ttl_minutes=1)
    code = env.code()
    env.clock.advance(61)
    assert CodeModel.count() == 1  # TTL deletion is late; the read must check expiry
    with pytest.raises(InvalidCode):
        env.verify(code)


def test_code_length_setting_and_ttl_bounds():
    env = Env(code_length=8, max_ttl_minutes=30)
    env.send(ttl_minutes=30)
    assert len(env.code()) == 8
    from chalicelib.core.errors import InvalidRequest
    for bad in (0, 31, "5", True):
        with pytest.raises(InvalidRequest):
            env.send(ttl_minutes=bad)


def test_five_wrong_guesses_kill_the_code():
    env = Env(cooldown_seconds=0)
    env.send()
    code = env.code()
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(5):
        with pytest.raises(InvalidCode):
            env.verify(wrong)
    assert CodeModel.get(f"app#sms#{PHONE}").attempts == 5
    with pytest.raises(InvalidCode):
        env.verify(code)  # the right code is dead now


def test_malformed_guesses_are_refused_without_touching_the_store():
    env = Env()
    env.send()
    for bad in ("12a456", "", "1" * 11, None, 123456):
        with pytest.raises(InvalidCode):
            env.verify(bad)
    assert CodeModel.get(f"app#sms#{PHONE}").attempts == 0


def test_a_new_code_replaces_the_old_one():
    env = Env(cooldown_seconds=0)
    env.send()
    old = env.code()
    env.send()
    new = env.code()
    if old != new:
        with pytest.raises(InvalidCode):
            env.verify(old)
    assert env.verify(new) == PHONE


def test_codes_of_one_purpose_do_not_verify_another():
    env = Env()
    env.send(purpose="login")
    code = env.code()
    with pytest.raises(InvalidCode):
        env.verify(code, purpose="sms")
    assert env.verify(code, purpose="login") == PHONE


def test_cooldown_refuses_and_changes_nothing():
    env = Env()
    env.send()
    code = env.code()
    with pytest.raises(RateLimited) as e:
        env.send()
    assert e.value.limit == "cooldown" and 1 <= e.value.retry_after <= 60
    assert len(env.outbox.list()) == 1
    assert env.verify(code) == PHONE  # the refused send did not replace the code
    env.clock.advance(60)
    env.send()
    assert len(env.outbox.list()) == 2


def test_daily_cap_per_number():
    env = Env(cooldown_seconds=0, per_number_daily=3)
    for _ in range(3):
        env.send()
    with pytest.raises(RateLimited) as e:
        env.send()
    assert e.value.limit == "number_daily"
    env.send(phone="+8613800138001")  # another number is not affected


def test_hourly_cap_per_ip():
    env = Env(cooldown_seconds=0, per_ip_hourly=2)
    env.send(phone="+8613800138001", client_ip="1.1.1.1")
    env.send(phone="+8613800138002", client_ip="1.1.1.1")
    with pytest.raises(RateLimited) as e:
        env.send(phone="+8613800138003", client_ip="1.1.1.1")
    assert e.value.limit == "ip_hourly"
    env.send(phone="+8613800138003", client_ip="2.2.2.2")
    env.clock.advance(3600)
    env.send(phone="+8613800138004", client_ip="1.1.1.1")


def test_app_daily_budget():
    budget = Env(cooldown_seconds=0, per_app_daily=2)
    budget.send(phone="+8613800138005")
    budget.send(phone="+8613800138006")
    with pytest.raises(RateLimited) as e:
        budget.send(phone="+8613800138007")
    assert e.value.limit == "app_daily"


def test_counters_expire_by_ttl():
    env = Env()
    env.send(client_ip="1.1.1.1")
    ttls = [c.ttl for c in CounterModel.scan()]
    assert len(ttls) == 4 and all(t is not None for t in ttls)


def test_sms_switch_off_refuses_send_and_verify():
    env = Env(sms_enabled=False)
    with pytest.raises(FeatureDisabled):
        env.send()
    with pytest.raises(FeatureDisabled):
        env.verify("123456")


def test_failed_delivery_leaves_no_live_code():
    class Failing:
        def send(self, message):
            raise SendFailed("SMS not sent: provider down")

    env = Env()
    env.svc.channels = {"sms": Failing()}
    with pytest.raises(SendFailed):
        env.send()
    assert CodeModel.count() == 0


def test_suppressed_sends_take_about_as_long_as_real_ones():
    """Enumeration protection: a send to an unknown number waits like a provider call."""
    from chalicelib.core.service import Pace

    slept = []
    pace = Pace(sleep=slept.append)
    first = pace.wait_like_a_send("sms")     # nothing observed yet: a prior, never zero
    assert 0.7 * Pace.PRIOR["sms"] <= first <= 1.3 * Pace.PRIOR["sms"] and slept == [first]
    for _ in range(10):
        pace.observe("sms", 0.2)
    delay = pace.wait_like_a_send("sms")
    assert 0.13 <= delay <= 0.27 and slept == [first, delay]
    pace.observe("email", 30.0)
    assert pace.wait_like_a_send("email") == Pace.CAP


def test_a_suppressed_send_waits_like_the_observed_provider_calls():
    import time
    from chalicelib.core.service import Pace

    class Slow(RecordOnly):
        def send(self, message):
            time.sleep(0.05)
            return super().send(message)

    env = Env(cooldown_seconds=0)
    env.svc.channels = {"sms": Slow(env.outbox)}
    slept = []
    env.svc._pace = Pace(sleep=slept.append)
    env.send()
    result = env.svc.send(SendRequest(app_id="app", phone="+8613800138009", deliver=False))
    assert result.message_id == "" and env.outbox.list("+8613800138009") == []
    assert len(slept) == 1 and 0.035 <= slept[0] <= 0.2
