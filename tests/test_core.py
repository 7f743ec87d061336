"""The pure domain core: no AWS at all."""
import pytest

from chalicelib.core import codes, limits, messages, phone
from chalicelib.core.errors import InvalidPhoneNumber, InvalidRequest
from chalicelib.core.config import settings_from_env
from chalicelib.core.settings import Settings


def test_codes_are_numeric_of_the_configured_length_and_keep_leading_zeros():
    for n in (4, 6, 10):
        drawn = {codes.generate(n) for _ in range(300)}
        assert all(len(c) == n and c.isdigit() for c in drawn)
        assert len(drawn) > 250  # random, not a constant
    assert any(c.startswith("0") for c in (codes.generate(4) for _ in range(2000)))
    with pytest.raises(ValueError):
        codes.generate(3)


def test_keyed_hash_binds_secret_purpose_and_target():
    h = codes.keyed_hash(b"k", "code", "app", "sms", "+8613800138000", "123456")
    assert h != codes.keyed_hash(b"other", "code", "app", "sms", "+8613800138000", "123456")
    assert h != codes.keyed_hash(b"k", "code", "app", "login", "+8613800138000", "123456")
    assert h != codes.keyed_hash(b"k", "code", "app", "sms", "+8613800138001", "123456")
    assert "123456" not in h and len(h) == 64
    assert codes.same(h, h) and not codes.same(h, "0" * 64)


def test_settings_validate_updates():
    s = Settings.from_mapping({"code_length": 8, "allowed_regions": ["cn", "us"]})
    assert s.code_length == 8 and s.allowed_regions == ("CN", "US")
    for bad in ({"code_length": 3}, {"code_length": 11}, {"code_length": "6"},
                {"nope": 1}, {"sms_enabled": "yes"}, {"allowed_regions": ["China"]},
                {"default_region": "XYZ"}, {"signature": "x" * 41}):
        with pytest.raises(InvalidRequest):
            Settings.from_mapping(bad)


def test_settings_from_env():
    assert settings_from_env({}) == Settings()
    assert settings_from_env({"VERIKIT_SETTINGS": '{"cooldown_seconds": 5}'}).cooldown_seconds == 5
    with pytest.raises(InvalidRequest):
        settings_from_env({"VERIKIT_SETTINGS": "{bad"})


def test_plan_send_charges_every_limit_and_skips_disabled_ones():
    now = 1_800_000_000
    plan = limits.plan_send("app", "+1", "1.2.3.4", Settings(), now)
    assert [c.name for c in plan] == ["cooldown", "number_daily", "ip_hourly", "app_daily"]
    cd = plan[0]
    assert cd.cooldown and cd.window_end == now + 60 and cd.retry_after(now) == 60
    assert plan[1].limit == 10 and plan[1].window_end % 86400 == 0 and plan[1].window_end > now
    assert plan[2].limit == 30 and plan[2].window_end % 3600 == 0
    off = Settings(cooldown_seconds=0, per_ip_hourly=0)
    assert [c.name for c in limits.plan_send("app", "+1", "1.2.3.4", off, now)] == ["number_daily", "app_daily"]
    assert "ip_hourly" not in [c.name for c in limits.plan_send("app", "+1", None, Settings(), now)]


ALL = ("*",)


@pytest.mark.parametrize("raw,region,expected", [
    ("+8613800138000", "CN", "+8613800138000"),
    ("13800138000", "CN", "+8613800138000"),        # bare number: default region
    (" +1 (201) 555-0123 ", "CN", "+12015550123"),  # US: fixed-line-or-mobile is accepted
    ("2015550123", "US", "+12015550123"),
])
def test_phone_numbers_normalise_to_e164(raw, region, expected):
    assert phone.normalise(raw, region, ALL).e164 == expected


@pytest.mark.parametrize("raw", ["", None, 13800138000, "12345", "+86123", "not a number",
                                 "+861012345678",   # Beijing landline: no SMS
                                 "+448712345678"])  # UK premium/shared-cost range
def test_invalid_or_non_mobile_numbers_are_refused(raw):
    with pytest.raises(InvalidPhoneNumber):
        phone.normalise(raw, "CN", ALL)


def test_region_allowlist():
    assert phone.normalise("+8613800138000", "CN", ("CN",)).region == "CN"
    with pytest.raises(InvalidPhoneNumber, match="region GB"):
        phone.normalise("+447400123456", "CN", ("CN", "US"))


def test_mask_hides_the_middle_of_a_number():
    assert phone.mask("+8613800138000") == "+86138****8000"


def test_sms_text_has_signature_code_op_and_lifetime():
    text = messages.sms_text("generic", "123456", 10, name="BuyBuyBuy", op="payment")
    assert text == "【BuyBuyBuy】Your verification code for payment is 123456. It expires in 10 minutes."
    zh = messages.sms_text("generic", "123456", 5, locale="zh-CN")
    assert "123456" in zh and "5分钟" in zh and not zh.startswith("【")


def test_message_variables_cannot_inject_brackets_or_line_breaks():
    text = messages.sms_text("generic", "123456", 10, name="A】【Bank\n", op="x\r\ny" + "z" * 200)
    assert text.startswith("【ABank】") and "\n" not in text and "\r" not in text
    assert len(text) < 200


def test_voice_text_reads_digits_one_by_one():
    assert "1, 2, 0, 4, 5, 6" in messages.voice_text("120456")
    assert "123456" not in messages.voice_text("123456")
