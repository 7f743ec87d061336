"""The LeanCloud dialect through chalice.test.Client, on moto."""
import hashlib
import json
import time

import pytest

from conftest import KEYS, last_code

PHONE = "+8613800138000"


def test_request_and_verify(lc):
    assert lc.request_code(name="BuyBuyBuy", op="payment") == (200, {})
    from chalicelib import wiring
    sent = wiring.outbox().list(PHONE)
    assert len(sent) == 1 and sent[0]["channel"] == "sms"
    assert sent[0]["body"].startswith("【BuyBuyBuy】Your verification code for payment is ")
    assert lc.verify(last_code(PHONE)) == (200, {})


def test_wrong_code_reused_code_and_garbage_code_are_603(lc):
    lc.request_code()
    code = last_code(PHONE)
    wrong = "000000" if code != "000000" else "111111"
    status, body = lc.verify(wrong)
    assert status == 400 and body["code"] == 603 and body["error"]
    assert lc.verify(code) == (200, {})
    assert lc.verify(code)[1]["code"] == 603
    assert lc.verify("abc")[1]["code"] == 603


def test_bare_number_uses_default_region(lc):
    assert lc.request_code(phone="13800138000")[0] == 200
    assert lc.verify(last_code(PHONE), phone="13800138000") == (200, {})


def test_cooldown_is_601_with_retry_after(lc):
    lc.request_code()
    r = lc.client.http.post("/1.1/requestSmsCode", headers=lc.headers,
                            body=json.dumps({"mobilePhoneNumber": PHONE}))
    assert r.status_code == 429
    assert json.loads(r.body)["code"] == 601
    assert 1 <= int(r.headers["Retry-After"]) <= 60


@pytest.mark.parametrize("body,code", [
    ({}, 212),
    ({"mobilePhoneNumber": ""}, 212),
    ({"mobilePhoneNumber": "12345"}, 127),
    ({"mobilePhoneNumber": "+861012345678"}, 127),  # landline
    ({"mobilePhoneNumber": "+447400123456"}, 127),  # region not in the allowlist
    ({"mobilePhoneNumber": 13800138000}, 127),
    ({"mobilePhoneNumber": PHONE, "smsType": "fax"}, 1),
    ({"mobilePhoneNumber": PHONE, "ttl": 0}, 1),
    ({"mobilePhoneNumber": PHONE, "ttl": 61}, 1),
    ({"mobilePhoneNumber": PHONE, "ttl": "ten"}, 1),
    ({"mobilePhoneNumber": PHONE, "name": 5}, 1),
    ({"mobilePhoneNumber": PHONE, "template": "Nope"}, 1),
])
def test_bad_requests_get_leancloud_errors(lc, body, code):
    status, reply = lc.request_code(**body) if "mobilePhoneNumber" in body and False else lc.post("/1.1/requestSmsCode", body)
    assert status == 400, reply
    assert reply["code"] == code and isinstance(reply["error"], str) and reply["error"]
    from chalicelib import wiring
    assert wiring.outbox().list() == []


@pytest.mark.parametrize("raw", ["{", "[1, 2]", '"text"', "\xff"])
def test_malformed_json_is_107(lc, raw):
    status, reply = lc.post("/1.1/requestSmsCode", raw=raw)
    assert (status, reply["code"]) == (400, 107)


def test_body_is_json_whatever_the_content_type(lc):
    r = lc.client.http.post("/1.1/requestSmsCode",
                            headers={**lc.headers, "Content-Type": "text/plain;charset=UTF-8"},
                            body=json.dumps({"mobilePhoneNumber": PHONE, "ttl": "5"}))
    assert r.status_code == 200


def test_voice_code(lc):
    assert lc.request_code(smsType="voice") == (200, {})
    from chalicelib import wiring
    [call] = wiring.outbox().list(PHONE)
    assert call["channel"] == "voice"
    code = last_code(PHONE)
    assert ", ".join(code) in call["body"]
    assert lc.verify(code) == (200, {})


def sign(key, ts=None, master=False):
    ts = str(ts if ts is not None else int(time.time() * 1000))
    s = f"{hashlib.md5((ts + key).encode()).hexdigest()},{ts}"
    return s + ",master" if master else s


@pytest.mark.parametrize("headers,ok", [
    ({"X-LC-Key": KEYS["VERIKIT_APP_KEY"]}, True),
    ({"X-LC-Key": KEYS["VERIKIT_MASTER_KEY"] + ",master"}, True),
    ({"X-LC-Sign": sign(KEYS["VERIKIT_APP_KEY"])}, True),
    ({"X-LC-Sign": sign(KEYS["VERIKIT_MASTER_KEY"], master=True)}, True),
    ({"X-LC-Key": "wrong"}, False),
    ({"X-LC-Key": KEYS["VERIKIT_APP_KEY"] + ",master"}, False),
    ({"X-LC-Key": KEYS["VERIKIT_MASTER_KEY"]}, False),
    ({"X-LC-Sign": sign(KEYS["VERIKIT_APP_KEY"], master=True)}, False),
    ({"X-LC-Sign": sign(KEYS["VERIKIT_APP_KEY"], ts=int(time.time() * 1000) - 3600_000)}, False),
    ({"X-LC-Sign": "abc"}, False),
    ({"X-LC-Sign": "abc,notatime"}, False),
    ({"X-LC-Id": "someone-else"}, False),
    ({"X-LC-Id": ""}, False),
])
def test_client_authentication(lc, headers, ok):
    base = {"X-LC-Id": KEYS["VERIKIT_APP_ID"], "Content-Type": "application/json"}
    r = lc.client.http.post("/1.1/requestSmsCode", headers={**base, **headers},
                            body=json.dumps({"mobilePhoneNumber": PHONE}))
    if ok:
        assert r.status_code == 200, r.body
    else:
        assert r.status_code == 401 and json.loads(r.body) == {"code": 401, "error": "Unauthorized."} \
            or json.loads(r.body)["code"] == 401


def test_no_credentials_is_401_and_sends_nothing(lc):
    r = lc.client.http.post("/1.1/requestSmsCode", headers={"Content-Type": "application/json"},
                            body=json.dumps({"mobilePhoneNumber": PHONE}))
    assert r.status_code == 401 and json.loads(r.body) == {"code": 401, "error": "Unauthorized."}
    from chalicelib import wiring
    assert wiring.outbox().list() == []


def test_sms_switched_off(lc, settings):
    settings(sms_enabled=False)
    status, reply = lc.request_code()
    assert status == 403 and reply["code"] == 1 and "disabled" in reply["error"]
    status, reply = lc.verify("123456")
    assert status == 403


def test_errors_and_successes_carry_cors_and_json(lc):
    r = lc.client.http.post("/1.1/verifySmsCode/123456", headers=lc.headers, body="{}")
    assert r.headers["Access-Control-Allow-Origin"] == "*"
    assert r.headers["Content-Type"].startswith("application/json")
    assert json.loads(r.body)["code"] == 212


def test_request_log_never_contains_codes_or_numbers(lc, caplog):
    caplog.set_level("INFO", logger="verikit")
    lc.request_code()
    code = last_code(PHONE)
    lc.verify(code)
    out = "\n".join(r.getMessage() for r in caplog.records)
    lines = [json.loads(x) for x in out.splitlines() if x.startswith("{")]
    assert {x["route"] for x in lines} >= {"requestSmsCode", "verifySmsCode"}
    assert code not in out and "13800138000" not in out


def test_retry_after_is_what_is_left_of_the_cooldown(lc):
    """The cooldown's end is read back from the refused write itself (no extra read)."""
    from chalicelib import wiring
    from chalicelib.core.clock import FakeClock
    import time as _time

    clock = FakeClock(_time.time())
    wiring.clock().use(clock)
    lc.request_code()
    clock.advance(20)
    r = lc.client.http.post("/1.1/requestSmsCode", headers=lc.headers, body=json.dumps({"mobilePhoneNumber": PHONE}))
    assert r.status_code == 429 and 39 <= int(r.headers["Retry-After"]) <= 41
