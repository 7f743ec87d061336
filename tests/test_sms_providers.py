"""Each SMS provider channel, through its official SDK, against a local fake of the provider
(tests/fakes/) that checks what arrives: Alibaba Cloud and Tencent Cloud (signed template
sends), Twilio and Vonage (free text), and the send hook (Standard Webhooks signature)."""
import time

import pytest

from chalicelib.core.errors import SendFailed
from chalicelib.core.service import OutgoingMessage
from fakes.aliyun import AliyunSms as FakeAliyun
from fakes.sendhook import SendHookReceiver
from fakes.tencent import TencentSms as FakeTencent
from fakes.twilio import TwilioApi
from fakes.vonage import VonageSms as FakeVonage

ALIYUN = {"access_key_id": "LTAI5tFakeKeyId", "access_key_secret": "fake-aliyun-secret"}
TENCENT = {"secret_id": "AKIDfakeSecretId", "secret_key": "fake-tencent-key", "sms_app_id": "1400000001"}
HOOK_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"


def message(**kw):
    base = dict(channel="sms", to="+8613800138000", body="【MyApp】Your code is 123456.", purpose="sms",
                route=("aliyun",), template="generic", template_ids={"aliyun": "SMS_150000001", "tencent": "1100001"},
                sign="MyApp", code="123456", ttl_minutes=10)
    return OutgoingMessage(**{**base, **kw})


@pytest.fixture
def fake():
    made = []

    def start(cls, *args, **kw):
        f = cls(*args, **kw)
        made.append(f)
        return f

    yield start
    for f in made:
        f.close()


# ---- Alibaba Cloud SMS ---------------------------------------------------------------------------

def test_aliyun_sends_the_template_with_the_code_in_a_signed_request(fake):
    from chalicelib.channels.aliyun import AliyunSms

    f = fake(FakeAliyun, **ALIYUN)
    provider = AliyunSms(lambda: ALIYUN, f.url)
    biz_id = provider.send(message(variables={"app": "Shop"}))
    assert biz_id.endswith("^0")
    [got] = f.received
    assert got == {"action": "SendSms", "version": "2017-05-25", "signed": True, "PhoneNumbers": "13800138000",
                   "SignName": "MyApp", "TemplateCode": "SMS_150000001",
                   "TemplateParam": {"code": "123456", "ttl": "10", "app": "Shop"}}
    provider.send(message(to="+85291234567"))  # outside the mainland: country code and number
    assert f.received[-1]["PhoneNumbers"] == "85291234567"


def test_aliyun_wrong_secret_is_refused_by_the_signature_check(fake):
    from chalicelib.channels.aliyun import AliyunSms

    f = fake(FakeAliyun, **ALIYUN)
    with pytest.raises(SendFailed) as e:
        AliyunSms(lambda: {**ALIYUN, "access_key_secret": "wrong"}, f.url).send(message())
    assert e.value.details["provider_error"] == "IncompleteSignature" and not e.value.details.get("number_error")
    assert f.received == []


@pytest.mark.parametrize("mode, number_error", [("number", True), ("balance", False), ("down", False)])
def test_aliyun_errors_say_whether_another_provider_may_deliver(fake, mode, number_error):
    from chalicelib.channels.aliyun import AliyunSms

    f = fake(FakeAliyun, **ALIYUN)
    f.mode = mode
    with pytest.raises(SendFailed) as e:
        AliyunSms(lambda: ALIYUN, f.url).send(message())
    assert bool(e.value.details.get("number_error")) is number_error
    assert "123456" not in e.value.message  # no code in errors (they reach logs)


# ---- Tencent Cloud SMS ---------------------------------------------------------------------------

def test_tencent_sends_the_template_params_in_template_order_signed_tc3(fake):
    from chalicelib.channels.tencent import TencentSms

    f = fake(FakeTencent, TENCENT["secret_id"], TENCENT["secret_key"])
    provider = TencentSms(lambda: TENCENT, f.url)
    serial = provider.send(message(route=("tencent",), variables={"b": "second", "a": "first"},
                                   variable_order=("a", "b")))
    assert serial.startswith("5000:")
    [got] = f.received
    assert got == {"action": "SendSms", "version": "2021-01-11", "signed": True, "PhoneNumberSet": ["+8613800138000"],
                   "SmsSdkAppId": "1400000001", "SignName": "MyApp", "TemplateId": "1100001",
                   "TemplateParamSet": ["123456", "10", "first", "second"]}


def test_tencent_wrong_key_and_number_errors(fake):
    from chalicelib.channels.tencent import TencentSms

    f = fake(FakeTencent, TENCENT["secret_id"], TENCENT["secret_key"])
    with pytest.raises(SendFailed) as e:
        TencentSms(lambda: {**TENCENT, "secret_key": "wrong"}, f.url).send(message(route=("tencent",)))
    assert e.value.details["provider_error"] == "AuthFailure.SignatureFailure"
    assert not e.value.details.get("number_error")
    f.mode = "number"
    with pytest.raises(SendFailed) as e:
        TencentSms(lambda: TENCENT, f.url).send(message(route=("tencent",)))
    assert e.value.details["number_error"] is True
    f.mode = "down"
    with pytest.raises(SendFailed) as e:
        TencentSms(lambda: TENCENT, f.url).send(message(route=("tencent",)))
    assert e.value.details["provider_error"] == "InternalError.Timeout" and not e.value.details.get("number_error")


# ---- Twilio ------------------------------------------------------------------------------------

@pytest.mark.parametrize("sender, field", [("+15005550006", "From"), ("MG0123456789abcdef0123456789abcdef",
                                                                        "MessagingServiceSid")])
def test_twilio_sends_to_from_and_body_with_basic_auth(fake, sender, field):
    from chalicelib.channels.twilio import TwilioSms

    creds = {"account_sid": "AC" + "0" * 32, "auth_token": "fake-token", "from": sender}
    f = fake(TwilioApi, creds["account_sid"], creds["auth_token"])
    sid = TwilioSms(lambda: creds, f.url).send(message(to="+14155550123", body="Your code is 123456."))
    assert sid.startswith("SM")
    [got] = f.received
    assert got["To"] == "+14155550123" and got[field] == sender and got["Body"] == "Your code is 123456."
    assert got["basic_auth"] is True


def test_twilio_errors(fake):
    from chalicelib.channels.twilio import TwilioSms

    creds = {"account_sid": "AC" + "1" * 32, "auth_token": "fake-token", "from": "+15005550006"}
    f = fake(TwilioApi, creds["account_sid"], creds["auth_token"])
    f.mode = "number"
    with pytest.raises(SendFailed) as e:
        TwilioSms(lambda: creds, f.url).send(message(to="+14155550123"))
    assert e.value.details == {"provider_error": "21211", "number_error": True}
    f.mode = "down"
    with pytest.raises(SendFailed) as e:
        TwilioSms(lambda: creds, f.url).send(message(to="+14155550123"))
    assert not e.value.details.get("number_error")
    with pytest.raises(SendFailed):  # a wrong token: refused, may fail over
        TwilioSms(lambda: {**creds, "auth_token": "wrong"}, f.url).send(message(to="+14155550123"))


# ---- Vonage ------------------------------------------------------------------------------------

def test_vonage_sends_to_from_and_text(fake, monkeypatch):
    from chalicelib.channels.vonage import VonageSms

    creds = {"api_key": "abcd1234", "api_secret": "fake-secret", "from": "MyApp"}
    f = fake(FakeVonage, creds["api_key"], creds["api_secret"])
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", f.cert[0])  # the fake's throwaway certificate
    provider = VonageSms(lambda: creds, f.host)
    assert provider.send(message(to="+447700900123", body="Your code is 123456."))
    [got] = f.received
    assert got == {"to": "447700900123", "from": "MyApp", "text": "Your code is 123456.", "basic_auth": True,
                   "path": "/sms/json"}
    f.mode = "number"
    with pytest.raises(SendFailed) as e:
        provider.send(message(to="+447700900123"))
    assert e.value.details["number_error"] is True
    f.mode = "down"
    with pytest.raises(SendFailed) as e:
        provider.send(message(to="+447700900123"))
    assert e.value.details["provider_error"] == "vonage-5" and not e.value.details.get("number_error")


# ---- the send hook -----------------------------------------------------------------------------

def test_send_hook_posts_a_standard_webhooks_signed_request(fake):
    from chalicelib.channels.sendhook import SendHook

    f = fake(SendHookReceiver, HOOK_SECRET)
    hook = SendHook(lambda: {"url": f.url + "/sms", "secret": HOOK_SECRET})
    msg = message(route=("hook",), template="Order_Notice", variables={"order_id": "42"}, locale="zh-CN")
    assert hook.send(msg) == "hook-1"
    [got] = f.received
    assert got["verified"] is True  # the standardwebhooks library checked the signature
    assert got["payload"] == {"type": "sms.send", "to": "+8613800138000", "text": msg.body, "code": "123456",
                              "channel": "sms", "locale": "zh-CN", "purpose": "sms", "template": "Order_Notice",
                              "variables": {"order_id": "42"}, "sign": "MyApp", "ttl_minutes": 10}


def test_send_hook_with_another_secret_fails_verification(fake):
    from chalicelib import signing
    from chalicelib.channels.sendhook import SendHook

    f = fake(SendHookReceiver, HOOK_SECRET)
    with pytest.raises(SendFailed) as e:
        SendHook(lambda: {"url": f.url, "secret": signing.new_secret()}).send(message(route=("hook",)))
    assert e.value.details["provider_error"] == "http-401"
    assert f.received == [{"verified": False, "error": "No matching signature found"}]


def test_send_hook_failures_and_timeout_are_bounded(fake):
    from chalicelib.channels.sendhook import SendHook

    f = fake(SendHookReceiver, HOOK_SECRET, delay=3.0)
    f.mode = "down"
    with pytest.raises(SendFailed) as e:
        SendHook(lambda: {"url": f.url, "secret": HOOK_SECRET}).send(message(route=("hook",)))
    assert e.value.details["provider_error"] == "http-500"
    f.mode = "slow"
    started = time.monotonic()
    with pytest.raises(SendFailed) as e:
        SendHook(lambda: {"url": f.url, "secret": HOOK_SECRET}, timeout=0.5).send(message(route=("hook",)))
    assert time.monotonic() - started < 2.0
    assert e.value.details["provider_error"] in ("TimeoutError", "URLError", "timeout")


# ---- the router's time budget ---------------------------------------------------------------------

def test_failover_stops_when_the_request_budget_is_spent(fake):
    from chalicelib import deadline
    from chalicelib.channels.aliyun import AliyunSms
    from chalicelib.channels.router import RoutedChannel
    from chalicelib.channels.tencent import TencentSms

    a = fake(FakeAliyun, **ALIYUN)
    t = fake(FakeTencent, TENCENT["secret_id"], TENCENT["secret_key"])
    a.mode = "down"
    router = RoutedChannel({"aliyun": lambda: AliyunSms(lambda: ALIYUN, a.url),
                            "tencent": lambda: TencentSms(lambda: TENCENT, t.url)})
    deadline.start(30)
    try:
        sent = router.send(message(route=("aliyun", "tencent")))
        assert sent.provider == "tencent" and [x.outcome for x in sent.attempts] == ["failed", "sent"]
        deadline.start(0.6)  # too little left for any provider call
        with pytest.raises(SendFailed) as e:
            router.send(message(route=("aliyun", "tencent")))
    finally:
        deadline.clear()
    assert e.value.details["provider_error"] == "DeadlineExceeded"
    assert [(x.provider, x.error) for x in e.value.attempts] == [("aliyun", "DeadlineExceeded")]
    assert len(a.received) == 1 and len(t.received) == 1  # the second send called nobody


def test_send_hook_refuses_plain_http_to_another_host():
    from chalicelib.channels.sendhook import SendHook
    from chalicelib.core.errors import FeatureDisabled

    with pytest.raises(FeatureDisabled) as e:
        SendHook(lambda: {"url": "http://hooks.example.com/sms", "secret": HOOK_SECRET}).send(message(route=("hook",)))
    assert "https://" in e.value.message
