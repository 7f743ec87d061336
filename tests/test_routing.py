"""SMS routing per country with failover (sms_routes, provider_templates), through the app:
the official provider SDKs against local fakes (tests/fakes/), one code per send, every
attempt in the send log and the provider stats, nothing of the number's limits burnt when
no provider carried the message, and configuration errors refused before any code."""
import json
import subprocess
import sys

import pytest

from conftest import KEYS, ROOT, last_code
from fakes.aliyun import AliyunSms as FakeAliyun
from fakes.tencent import TencentSms as FakeTencent
from fakes.twilio import TwilioApi

MASTER = {"X-LC-Key": KEYS["VERIKIT_MASTER_KEY"] + ",master"}
CN = "+8613800138000"
ROUTES = {"CN": ["aliyun", "tencent"], "US": ["twilio"], "*": ["sns"]}
TEMPLATES = {"aliyun": {"generic": "SMS_150000001", "login": "SMS_150000002", "Order_Code": "SMS_150000003"},
             "tencent": {"generic": "1100001", "Order_Code": "1100003"}}


@pytest.fixture
def providers(monkeypatch):
    """Fake Alibaba Cloud, Tencent Cloud and Twilio endpoints, with the app's env pointing at them."""
    aliyun = FakeAliyun("LTAI5tRouteKey", "route-aliyun-secret")
    tencent = FakeTencent("AKIDrouteSecretId", "route-tencent-key")
    twilio = TwilioApi("AC" + "2" * 32, "route-twilio-token")
    env = {"VERIKIT_ALIYUN_ENDPOINT": aliyun.url, "VERIKIT_ALIYUN_ACCESS_KEY_ID": aliyun.key_id,
           "VERIKIT_ALIYUN_ACCESS_KEY_SECRET": aliyun.secret,
           "VERIKIT_TENCENT_ENDPOINT": tencent.url, "VERIKIT_TENCENT_SECRET_ID": tencent.secret_id,
           "VERIKIT_TENCENT_SECRET_KEY": tencent.secret_key, "VERIKIT_TENCENT_SMS_APP_ID": "1400000009",
           "VERIKIT_TWILIO_ENDPOINT": twilio.host, "VERIKIT_TWILIO_ACCOUNT_SID": twilio.sid,
           "VERIKIT_TWILIO_AUTH_TOKEN": twilio.token, "VERIKIT_TWILIO_FROM": "+15005550006"}
    env["VERIKIT_TWILIO_ENDPOINT"] = twilio.url
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    yield {"aliyun": aliyun, "tencent": tencent, "twilio": twilio}
    for f in (aliyun, tencent, twilio):
        f.close()


@pytest.fixture
def routed(settings, providers):
    settings(sms_routes=ROUTES, provider_templates=TEMPLATES, signatures=["MyApp", "OtherApp"],
             allowed_regions=["CN", "US", "GB"])
    return providers


def log(lc, number):
    from urllib.parse import quote
    r = lc.client.http.get(f"/admin/v1/messages?to={quote(number)}", headers={**lc.headers, **MASTER})
    return json.loads(r.body)["results"]


def provider_stats(lc):
    r = lc.client.http.get("/admin/v1/stats?group=provider", headers={**lc.headers, **MASTER})
    assert r.status_code == 200, r.body
    return {row["key"]: (row["sent"], row["failed"]) for row in json.loads(r.body)["rows"]}


def provider_verified(lc):
    """{provider: (codes verified, conversion)}: which provider's messages arrived and were used."""
    r = lc.client.http.get("/admin/v1/stats?group=provider", headers={**lc.headers, **MASTER})
    return {row["key"]: (row["verified"], row["conversion"]) for row in json.loads(r.body)["rows"]}


def test_a_cn_code_goes_through_aliyun_and_verifies(lc, routed, caplog):
    caplog.set_level("INFO", logger="verikit")
    assert lc.request_code(CN) == (200, {})
    [got] = routed["aliyun"].received
    code = got["TemplateParam"]["code"]
    assert got["signed"] and got["PhoneNumbers"] == "13800138000" and got["SignName"] == "MyApp"
    assert got["TemplateCode"] == "SMS_150000001" and got["TemplateParam"] == {"code": code, "ttl": "10"}
    assert routed["tencent"].received == []
    assert last_code(CN) == code  # the dev outbox records it too
    assert lc.verify(code, CN) == (200, {})
    [entry] = log(lc, CN)
    # the entry is written in the send's own transaction, before Alibaba answers: its BizId is
    # on the request's log line, not written back (README "Send log")
    assert entry["provider"] == "aliyun" and entry["outcome"] == "sent" and not entry.get("provider_message_id")
    [line] = [json.loads(r.getMessage()) for r in caplog.records
              if r.name == "verikit" and '"route": "requestSmsCode"' in r.getMessage()]
    assert line["provider"] == "aliyun" and line["provider_message_id"].endswith("^0")
    assert provider_stats(lc) == {"aliyun": (1, 0)}
    assert provider_verified(lc) == {"aliyun": (1, 1.0)}
    assert lc.request_code("+8613800138001")[0] == 200  # a second code, never used: half of aliyun's verified
    assert provider_verified(lc) == {"aliyun": (1, 0.5)}


def test_a_purpose_uses_its_own_template_and_the_request_sign(lc, routed, settings):
    settings(sms_routes=ROUTES, provider_templates=TEMPLATES, signatures=["MyApp", "OtherApp"], cooldown_seconds=0)
    assert lc.request_code(CN, sign="OtherApp") == (200, {})
    generic = routed["aliyun"].received[-1]
    assert generic["SignName"] == "OtherApp" and generic["TemplateCode"] == "SMS_150000001"
    status, user = lc.post("/1.1/usersByMobilePhone", {"mobilePhoneNumber": CN, "smsCode": last_code(CN)})
    assert status in (200, 201), user
    assert lc.post("/1.1/requestLoginSmsCode", {"mobilePhoneNumber": CN})[0] == 200
    login = routed["aliyun"].received[-1]
    assert login["TemplateCode"] == "SMS_150000002" and login["SignName"] == "MyApp"
    assert lc.request_code("+8613800138002", sign="NotMine")[0] == 400  # checked against signatures as before


def test_failover_to_the_next_provider_one_code_every_attempt_logged(lc, routed):
    routed["aliyun"].mode = "down"
    assert lc.request_code(CN) == (200, {})
    [failed] = routed["aliyun"].received
    [got] = routed["tencent"].received
    code = got["TemplateParamSet"][0]
    assert failed["TemplateParam"]["code"] == code  # one code, whichever provider carries it
    assert got["PhoneNumberSet"] == [CN] and got["SmsSdkAppId"] == "1400000009" and got["TemplateId"] == "1100001"
    assert got["TemplateParamSet"] == [code, "10"] and got["SignName"] == "MyApp" and got["signed"]
    assert lc.verify(code, CN) == (200, {})
    entries = log(lc, CN)  # newest first
    assert [(e["provider"], e["outcome"]) for e in entries] == [("tencent", "sent"), ("aliyun", "failed")]
    assert entries[1]["error"] == "ServiceUnavailable" and entries[0]["provider_message_id"].startswith("5000:")
    assert provider_stats(lc) == {"tencent": (1, 0), "aliyun": (0, 1)}
    # the code Tencent carried counts for Tencent, not for the route's first provider
    assert provider_verified(lc) == {"tencent": (1, 1.0), "aliyun": (0, 0.0)}


def test_a_number_error_does_not_fail_over_and_burns_no_limit(lc, routed):
    routed["aliyun"].mode = "number"
    status, body = lc.request_code(CN)
    assert status == 502 and "phone number" in body["error"]
    assert routed["tencent"].received == []
    assert [(e["provider"], e["outcome"], e["error"]) for e in log(lc, CN)] == [
        ("aliyun", "failed", "isv.MOBILE_NUMBER_ILLEGAL")]
    routed["aliyun"].mode = "ok"
    assert lc.request_code(CN) == (200, {})  # no cooldown: the failed send was not counted


def test_when_every_provider_fails_the_caller_gets_a_clear_error_and_no_cooldown(lc, routed):
    routed["aliyun"].mode = routed["tencent"].mode = "down"
    status, body = lc.request_code(CN)
    assert status == 502 and "every provider failed (aliyun, tencent)" in body["error"]
    assert [(e["provider"], e["outcome"]) for e in log(lc, CN)] == [("tencent", "failed"), ("aliyun", "failed")]
    code = routed["aliyun"].received[0]["TemplateParam"]["code"]
    assert lc.verify(code, CN)[1]["code"] == 603  # the code of an undelivered send does not verify
    routed["aliyun"].mode = "ok"
    assert lc.request_code(CN) == (200, {})
    assert provider_stats(lc) == {"aliyun": (1, 1), "tencent": (0, 1)}


def test_a_template_provider_without_a_template_id_is_refused_before_any_code(lc, settings, providers):
    settings(sms_routes={"CN": ["aliyun"], "*": ["sns"]}, provider_templates={"aliyun": {"login": "SMS_1"}},
             signature="MyApp")
    status, body = lc.request_code(CN)
    assert status == 403 and "provider_templates has no aliyun template id" in body["error"]
    assert providers["aliyun"].received == [] and log(lc, CN) == []
    settings(sms_routes={"CN": ["aliyun"], "*": ["sns"]}, provider_templates={"aliyun": {"generic": "SMS_1"}})
    status, body = lc.request_code(CN)
    assert status == 403 and "sign name" in body["error"]  # no signature to send
    settings(sms_routes={"CN": ["aliyun"], "*": ["sns"]}, provider_templates={"aliyun": {"generic": "SMS_1"}},
             signature="MyApp")
    assert lc.request_code(CN) == (200, {})  # nothing of the limits was charged before


def test_a_named_template_maps_to_its_own_ids_with_its_variables_in_order(lc, routed, monkeypatch):
    from test_admin import Admin
    admin = Admin(lc.client)
    assert admin.call("PUT", "/admin/v1/templates/Order_Code",
                      {"channel": "sms", "body": "Order {{order}} for {{user}}: code {{code}}"})[0] == 200
    assert admin.call("PUT", "/admin/v1/templates/Unmapped", {"channel": "sms", "body": "Hi {{code}}"})[0] == 200
    routed["aliyun"].mode = "down"
    assert lc.request_code(CN, template="Order_Code", user="Ann", order="A-1") == (200, {})
    a, t = routed["aliyun"].received[0], routed["tencent"].received[0]
    code = t["TemplateParamSet"][0]
    assert a["TemplateCode"] == "SMS_150000003" and a["TemplateParam"] == {"code": code, "ttl": "10", "user": "Ann",
                                                                           "order": "A-1"}
    assert t["TemplateId"] == "1100003" and t["TemplateParamSet"] == [code, "10", "A-1", "Ann"]
    status, body = lc.request_code("+8613800138009", template="Unmapped")  # no generic fallback for a template
    assert status == 403 and "template 'Unmapped'" in body["error"]


def test_other_countries_stay_on_sns_and_a_route_puts_one_on_twilio(lc, routed):
    assert lc.request_code("+447400123456") == (200, {})
    assert [(e["provider"], e["outcome"]) for e in log(lc, "+447400123456")] == [("sns", "sent")]
    assert lc.request_code("+12015550123") == (200, {})
    [got] = routed["twilio"].received
    assert got["To"] == "+12015550123" and got["From"] == "+15005550006" and got["basic_auth"]
    assert lc.verify(last_code("+12015550123"), "+12015550123") == (200, {})
    assert last_code("+12015550123") in got["Body"]
    assert [e["provider"] for e in log(lc, "+12015550123")] == ["twilio"]


def test_a_provider_without_credentials_fails_over(lc, routed, monkeypatch):
    monkeypatch.delenv("VERIKIT_ALIYUN_ACCESS_KEY_SECRET")
    assert lc.request_code(CN) == (200, {})
    assert routed["aliyun"].received == [] and len(routed["tencent"].received) == 1
    assert [(e["provider"], e["error"]) for e in log(lc, CN)] == [("tencent", None), ("aliyun", "not_configured")]


@pytest.mark.parametrize("patch, message", [
    ({"sms_routes": {"CN": ["aliyun"]}}, "needs a \"*\" entry"),
    ({"sms_routes": {"CN": ["smsbao"], "*": ["sns"]}}, "unknown provider 'smsbao'"),
    ({"sms_routes": {"XX": ["sns"], "*": ["sns"]}}, "'XX' is not an ISO 3166"),
    ({"sms_routes": {"*": ["sns", "sns"]}}, "names a provider twice"),
    ({"sms_routes": {"*": []}}, "non-empty list"),
    ({"provider_templates": {"twilio": {"generic": "x"}}}, "sends no templates"),
    ({"provider_templates": {"aliyun": {"generic": 5}}}, "template id"),
])
def test_bad_routing_settings_are_refused(lc, patch, message):
    r = lc.client.http.patch("/admin/v1/settings", headers={**lc.headers, **MASTER}, body=json.dumps(patch))
    assert r.status_code == 400 and message in json.loads(r.body)["error"], r.body


def test_routing_settings_through_the_admin_api(lc):
    patch = {"sms_routes": {"cn": ["tencent", "aliyun"], "*": ["sns"]}, "provider_templates": TEMPLATES}
    r = lc.client.http.patch("/admin/v1/settings", headers={**lc.headers, **MASTER}, body=json.dumps(patch))
    assert r.status_code == 200, r.body
    r = lc.client.http.get("/admin/v1/settings", headers={**lc.headers, **MASTER})
    body = json.loads(r.body)
    got = body.get("settings", body)
    assert got["sms_routes"] == {"CN": ["tencent", "aliyun"], "*": ["sns"]} and got["provider_templates"] == TEMPLATES


def test_under_make_run_a_provider_without_endpoint_writes_to_the_outbox(lc, settings):
    from chalicelib import wiring
    settings(sms_routes={"CN": ["tencent"], "*": ["sns"]}, provider_templates={"tencent": {"generic": "1100001"}},
             signature="MyApp")
    assert lc.request_code(CN) == (200, {})
    [sent] = wiring.outbox().list(CN)
    code = last_code(CN)
    assert sent["provider"] == "tencent" and sent["sign"] == "MyApp" and sent["template_id"] == "1100001"
    assert sent["params"] == [code, "10"] and sent["message_id"].startswith("local-tencent-")
    assert lc.verify(code, CN) == (200, {})


def test_the_sns_path_imports_no_other_provider_sdk():
    """Cold start: a send through SNS (the default route) loads none of the other SDKs."""
    script = """
import sys
from chalicelib.channels.providers import routed_sms
from chalicelib.core.service import OutgoingMessage
class Sns:
    def send(self, m): return "sns-1"
d = routed_sms(Sns()).send(OutgoingMessage(channel="sms", to="+447400123456", body="x", purpose="sms", route=("sns",)))
assert d.provider == "sns" and d.message_id == "sns-1"
import app  # the handler module as Lambda loads it
bad = sorted(m for m in sys.modules if m.split(".")[0] in (
    "alibabacloud_dysmsapi20170525", "alibabacloud_tea_openapi", "darabonba", "Tea", "tencentcloud", "twilio",
    "vonage", "vonage_sms", "vonage_http_client"))
print(bad)
"""
    out = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


def test_a_route_puts_a_country_on_vonage_and_another_on_the_send_hook(lc, settings, monkeypatch):
    from fakes.sendhook import SendHookReceiver
    from fakes.vonage import VonageSms as FakeVonage

    vonage = FakeVonage("abcd1234", "route-vonage-secret")
    secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    hook = SendHookReceiver(secret)
    try:
        for k, v in {"VERIKIT_VONAGE_ENDPOINT": vonage.host, "VERIKIT_VONAGE_API_KEY": vonage.key,
                     "VERIKIT_VONAGE_API_SECRET": vonage.secret, "VERIKIT_VONAGE_FROM": "MyApp",
                     "REQUESTS_CA_BUNDLE": vonage.cert[0],
                     "VERIKIT_SEND_HOOK_URL": hook.url + "/sms", "VERIKIT_SEND_HOOK_SECRET": secret}.items():
            monkeypatch.setenv(k, v)
        settings(allowed_regions=["GB", "FR"], sms_routes={"GB": ["vonage"], "FR": ["hook"], "*": ["sns"]})
        assert lc.request_code("+447400123456") == (200, {})
        [got] = vonage.received
        assert got["to"] == "447400123456" and got["from"] == "MyApp" and last_code("+447400123456") in got["text"]
        assert lc.request_code("+33612345678") == (200, {})
        [call] = hook.received
        assert call["verified"] and call["payload"]["to"] == "+33612345678"
        assert lc.verify(call["payload"]["code"], "+33612345678") == (200, {})
        assert [e["provider"] for e in log(lc, "+447400123456")] == ["vonage"]
        assert [e["provider"] for e in log(lc, "+33612345678")] == ["hook"]
    finally:
        vonage.close()
        hook.close()
