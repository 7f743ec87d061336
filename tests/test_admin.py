"""Config table, admin API, templates, CAPTCHA, send log and test numbers (chalice.test)."""
import json

import pytest

from chalicelib import wiring
from chalicelib.store.codes import CodeModel
from chalicelib.store.counters import CounterModel
from conftest import KEYS, last_code

PHONE = "+8613800138000"
MASTER = {"X-LC-Id": KEYS["VERIKIT_APP_ID"], "X-LC-Key": KEYS["VERIKIT_MASTER_KEY"] + ",master",
          "Content-Type": "application/json"}


class Admin:
    def __init__(self, client):
        self.client = client

    def call(self, method, path, body=None, headers=None):
        r = self.client.http.request(method, path, headers=headers or MASTER,
                                     body=json.dumps(body).encode() if body is not None else b"")
        return r.status_code, json.loads(r.body) if r.body else None


@pytest.fixture
def admin(lc):
    return Admin(lc.client)


ORDER = {"channel": "sms", "body": "Your package for the order {{order_id}} will be delivered by the end of today."}


def test_admin_needs_the_master_key(admin, lc):
    status, body = admin.call("GET", "/admin/v1/settings", headers=lc.headers)
    assert (status, body["code"]) == (403, 119)
    status, body = admin.call("GET", "/admin/v1/settings", headers={"X-LC-Id": KEYS["VERIKIT_APP_ID"]})
    assert (status, body) == (401, {"code": 401, "error": "Unauthorized."})
    assert admin.call("PATCH", "/admin/v1/settings", {"code_length": 8}, headers=lc.headers)[0] == 403
    assert admin.call("GET", "/admin/v1/settings")[1]["code_length"] == 6


def test_settings_read_and_merge(admin):
    status, s = admin.call("GET", "/admin/v1/settings")
    assert status == 200 and s["require_captcha"] is False and s["code_length"] == 6
    assert s["allowed_regions"] == ["CN", "US", "CA"]
    admin.call("PATCH", "/admin/v1/settings", {"code_length": 8})
    status, s = admin.call("PATCH", "/admin/v1/settings", {"allowed_regions": ["cn", "gb"]})
    assert status == 200 and s["code_length"] == 8 and s["allowed_regions"] == ["CN", "GB"]
    assert admin.call("GET", "/admin/v1/settings")[1] == s


@pytest.mark.parametrize("patch", [{"code_length": 11}, {"code_length": "6"}, {"no_such": 1},
                                   {"require_captcha": "yes"}, {"allowed_regions": "CN"}, {}])
def test_bad_settings_are_refused_and_never_stored(admin, patch):
    before = admin.call("GET", "/admin/v1/settings")[1]
    status, body = admin.call("PATCH", "/admin/v1/settings", {**patch, "cooldown_seconds": 5} if patch else patch)
    assert status == 400 and body["code"] == 1 and body["error"]
    assert admin.call("GET", "/admin/v1/settings")[1] == before


def test_settings_take_effect(admin, lc):
    admin.call("PATCH", "/admin/v1/settings", {"cooldown_seconds": 0, "code_length": 4})
    assert lc.request_code()[0] == 200 and lc.request_code()[0] == 200
    assert len(last_code(PHONE)) == 4
    admin.call("PATCH", "/admin/v1/settings", {"sms_enabled": False})
    assert lc.request_code()[0] == 403


def test_config_cache_other_instances_see_changes_within_the_cache_time():
    from chalicelib.store.config import DynamoConfig
    writer, other = DynamoConfig(cache_seconds=60), DynamoConfig(cache_seconds=60)
    app = KEYS["VERIKIT_APP_ID"]
    assert other.get(app).settings.code_length == 6
    writer.patch_settings(app, {"code_length": 7})
    assert writer.get(app).settings.code_length == 7   # the writer at once
    assert other.get(app).settings.code_length == 6    # others: cached...
    expired = DynamoConfig(cache_seconds=0)
    assert expired.get(app).settings.code_length == 7  # ...until the cache time passes


def test_template_crud(admin):
    status, t = admin.call("PUT", "/admin/v1/templates/Order_Notice", ORDER)
    assert status == 200 and t["name"] == "Order_Notice" and t["variables"] == ["order_id"]
    assert t["issues_code"] is False and t["version"] == 1
    assert admin.call("PUT", "/admin/v1/templates/Order_Notice", ORDER)[1]["version"] == 2
    assert admin.call("GET", "/admin/v1/templates/Order_Notice")[1]["body"] == ORDER["body"]
    assert [x["name"] for x in admin.call("GET", "/admin/v1/templates")[1]["results"]] == ["Order_Notice"]
    assert admin.call("DELETE", "/admin/v1/templates/Order_Notice") == (200, {})
    status, body = admin.call("GET", "/admin/v1/templates/Order_Notice")
    assert (status, body["code"]) == (404, 101)
    assert admin.call("DELETE", "/admin/v1/templates/Order_Notice")[0] == 404


@pytest.mark.parametrize("name,body", [
    ("bad name", ORDER), ("Order", {"channel": "fax", "body": "x"}), ("Order", {"body": ""}),
    ("Order", {"body": "x" * 601}), ("Order", {"body": "x", "extra": 1}), ("Order", {"body": "【A】x"}),
    ("Order", ["not", "an", "object"]),
])
def test_bad_templates_are_refused(admin, name, body):
    status, reply = admin.call("PUT", f"/admin/v1/templates/{name}", body)
    assert status == 400 and reply["code"] in (1, 107)
    assert admin.call("GET", "/admin/v1/templates")[1]["results"] == []


def test_notification_template_sends_with_signature_and_issues_no_code(admin, lc):
    admin.call("PUT", "/admin/v1/templates/Order_Notice", ORDER)
    status, _ = lc.request_code(template="Order_Notice", order_id="7623432424540", sign="BuyBuyBuy")
    assert status == 200
    [sent] = wiring.outbox().list(PHONE)
    assert sent["body"] == "【BuyBuyBuy】Your package for the order 7623432424540 will be delivered by the end of today."
    assert CodeModel.count() == 0


def test_code_template_issues_a_verifiable_code(admin, lc):
    admin.call("PUT", "/admin/v1/templates/Login", {"body": "{{name}} login code {{code}}, valid {{ttl}} min"})
    assert lc.request_code(template="Login", name="Shop")[0] == 200
    body = wiring.outbox().list(PHONE)[0]["body"]
    assert body.startswith("Shop login code ") and body.endswith("valid 10 min")
    assert lc.verify(last_code(PHONE)) == (200, {})


def test_template_errors_send_nothing(admin, lc):
    admin.call("PUT", "/admin/v1/templates/Order_Notice", ORDER)
    status, body = lc.request_code(template="Order_Notice")
    assert status == 400 and "order_id" in body["error"]
    status, body = lc.request_code(template="Nope")
    assert (status, body["code"]) == (400, 1) and "Nope" in body["error"]
    assert wiring.outbox().list() == [] and CounterModel.count() == 0


def test_variables_cannot_inject_templates_or_signatures(admin, lc):
    admin.call("PUT", "/admin/v1/templates/Login", {"body": "code {{code}} for {{who}}"})
    lc.request_code(template="Login", who="{{code}}】【Bank" + "x" * 100)
    body = wiring.outbox().list(PHONE)[0]["body"]
    assert "for {{code}}Bank" in body and "【" not in body and len(body) < 100


def test_captcha_required_flow(admin, lc):
    admin.call("PATCH", "/admin/v1/settings", {"require_captcha": True})
    status, body = lc.request_code()
    assert status == 403 and "CAPTCHA" in body["error"]
    r = lc.client.http.get("/1.1/requestCaptcha?size=5&width=100&height=40", headers=lc.headers)
    cap = json.loads(r.body)
    assert r.status_code == 200 and cap["captcha_token"] and "/1.1/captchaImage/" in cap["captcha_url"]
    answer = wiring.captcha().answer(KEYS["VERIKIT_APP_ID"], cap["captcha_token"])
    assert len(answer) == 5
    status, reply = lc.post("/1.1/verifyCaptcha", {"captcha_token": cap["captcha_token"], "captcha_code": answer.lower()})
    assert status == 200
    token = reply["validate_token"]
    assert lc.request_code(validate_token=token) == (200, {})
    status, body = lc.request_code(phone="+8613800138001", validate_token=token)  # single use
    assert status == 403


def test_a_captcha_allows_one_attempt(admin, lc):
    cap = json.loads(lc.client.http.get("/1.1/requestCaptcha", headers=lc.headers).body)
    answer = wiring.captcha().answer(KEYS["VERIKIT_APP_ID"], cap["captcha_token"])
    assert lc.post("/1.1/verifyCaptcha", {"captcha_token": cap["captcha_token"], "captcha_code": "ZZZZ"})[0] == 400
    assert lc.post("/1.1/verifyCaptcha", {"captcha_token": cap["captcha_token"], "captcha_code": answer})[0] == 400
    assert lc.post("/1.1/verifyCaptcha", {"captcha_token": "4nope", "captcha_code": answer})[0] == 400
    assert lc.post("/1.1/verifyCaptcha", {})[0] == 400


def test_validate_token_is_spent_even_when_the_send_is_rate_limited(admin, lc):
    lc.request_code()
    admin.call("PATCH", "/admin/v1/settings", {"require_captcha": True})

    def token():
        cap = json.loads(lc.client.http.get("/1.1/requestCaptcha", headers=lc.headers).body)
        ans = wiring.captcha().answer(KEYS["VERIKIT_APP_ID"], cap["captcha_token"])
        return lc.post("/1.1/verifyCaptcha", {"captcha_token": cap["captcha_token"], "captcha_code": ans})[1]["validate_token"]

    t = token()
    assert lc.request_code(validate_token=t)[1]["code"] == 601   # cooldown
    assert lc.request_code(phone="+8613800138001", validate_token=t)[0] == 403


@pytest.mark.parametrize("accept", [None, "application/json", "*/*", "image/png"])
def test_captcha_image_is_a_png_whatever_the_accept_header(lc, accept):
    cap = json.loads(lc.client.http.get("/1.1/requestCaptcha", headers=lc.headers).body)
    path = cap["captcha_url"].split("127.0.0.1", 1)[-1]
    path = path[path.index("/1.1/"):]
    r = lc.client.http.get(path, headers={"Accept": accept} if accept else {})
    assert r.status_code == 200 and r.headers["Content-Type"] == "image/png"
    assert r.body[:8] == b"\x89PNG\r\n\x1a\n"


def test_send_log(admin, lc):
    lc.request_code(op="payment")
    code = last_code(PHONE)
    lc.request_code()  # refused by the cooldown
    lc.request_code(phone="+8613800138001")
    status, body = admin.call("GET", "/admin/v1/messages?to=%2B8613800138000")
    assert status == 200
    entries = body["results"]
    assert [e["outcome"] for e in entries] == ["rate_limited", "sent"]  # newest first
    # the entry is written with the code, before the provider answers: no message id (README "Send log")
    assert entries[1]["to"] == "+86138****8000" and entries[1]["provider_message_id"] is None
    assert entries[1]["channel"] == "sms" and entries[1]["sent_at"].endswith("Z")
    assert code not in json.dumps(body) and "13800138000" not in json.dumps(body)
    assert len(admin.call("GET", "/admin/v1/messages")[1]["results"]) == 3
    assert admin.call("GET", "/admin/v1/messages?since=2999-01-01T00:00:00Z")[1]["results"] == []
    assert admin.call("GET", "/admin/v1/messages?since=yesterday")[0] == 400


def test_test_numbers_send_nothing_and_accept_their_fixed_code_once_per_send(admin, lc):
    status, body = admin.call("PUT", "/admin/v1/test-numbers/+8613000000000", {"code": "123456"})
    assert (status, body) == (200, {"number": "+8613000000000"})
    assert lc.request_code(phone="+8613000000000") == (200, {})
    assert lc.request_code(phone="+8613000000000")[1]["code"] == 601   # limits like any number
    assert wiring.outbox().list() == [] and CounterModel.count() > 0
    assert lc.verify("654321", phone="+8613000000000")[1]["code"] == 603
    assert lc.verify("123456", phone="+8613000000000") == (200, {})
    assert lc.verify("123456", phone="+8613000000000")[1]["code"] == 603   # single use
    assert [x["number"] for x in admin.call("GET", "/admin/v1/test-numbers")[1]["results"]] == ["+8613000000000"]
    assert "123456" not in json.dumps(admin.call("GET", "/admin/v1/test-numbers")[1])
    assert admin.call("PUT", "/admin/v1/test-numbers/+8613000000000", {"code": "12"})[0] == 400
    assert admin.call("PUT", "/admin/v1/test-numbers/garbage", {"code": "123456"})[1]["code"] == 127
    assert admin.call("DELETE", "/admin/v1/test-numbers/%2B8613000000000") == (200, {})
    assert lc.verify("123456", phone="+8613000000000")[1]["code"] == 603


@pytest.mark.parametrize("patch", [{"allowed_regions": ["XX"]}, {"default_region": "ZZ"}, {"allowed_regions": ["USA"]}])
def test_unknown_regions_are_refused(lc, patch):
    r = lc.client.http.patch("/admin/v1/settings", headers={**lc.headers, **MASTER}, body=json.dumps(patch))
    assert r.status_code == 400 and json.loads(r.body)["code"] == 1


@pytest.mark.parametrize("patch,message", [
    ({"code_length": 3}, "code_length"), ({"code_length": "6"}, "code_length"), ({"nope": 1}, "unknown setting"),
    ({"require_captcha": "yes"}, "require_captcha"), ({"code_format": "emoji"}, "code_format"),
    ({"verified_fields": []}, "verified_fields"), ({"signature": "x" * 41}, "signature"),
    ({"cooldown_seconds": None}, "cannot be null"),
])
def test_settings_writes_are_validated_by_the_pydantic_model(lc, patch, message):
    r = lc.client.http.patch("/admin/v1/settings", headers={**lc.headers, **MASTER}, body=json.dumps(patch))
    body = json.loads(r.body)
    assert r.status_code == 400 and body["code"] == 1 and message in body["error"], body


def test_the_cold_start_imports_no_pydantic():
    import subprocess
    import sys
    from conftest import ROOT
    out = subprocess.run([sys.executable, "-c", "import app, sys; print('pydantic' in sys.modules)"], cwd=ROOT,
                         capture_output=True, text=True, env={**__import__("os").environ, "VERIKIT_LOCAL": "0"})
    assert out.stdout.strip() == "False", out.stderr
