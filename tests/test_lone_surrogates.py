"""A lone UTF-16 surrogate (``"\\ud800"`` in JSON) is refused once, where JSON bodies are read:
a 400 in each dialect's format, never a 500 from wherever the string is first encoded (keyed
hashes, DynamoDB, answers). Issue 19, finding 5 and the template part of finding 8."""
import json

import pytest

from conftest import KEYS

MASTER = {"X-LC-Key": KEYS["VERIKIT_MASTER_KEY"] + ",master"}
LONE = '"x\\ud800y"'   # JSON text: a string holding a lone high surrogate


def lc_raw(lc, method, path, raw, headers=None):
    r = getattr(lc.client.http, method)(path, headers={**lc.headers, **(headers or {})}, body=raw)
    return r.status_code, json.loads(r.body)


def cb_raw(lc, path, raw, headers=None):
    r = lc.client.http.post(f"/auth/v1/{path}?client_id=env-1", body=raw,
                            headers={"Content-Type": "text/plain;charset=UTF-8", **(headers or {})})
    return r.status_code, json.loads(r.body)


@pytest.mark.parametrize("path,raw", [
    ("/1.1/login", '{"username": %s, "password": "secret123"}' % LONE),
    ("/1.1/login", '{"email": "a%s@example.com", "password": "secret123"}' % LONE[1:-1]),
    ("/1.1/verifyCaptcha", '{"captcha_token": %s, "captcha_code": "abcd"}' % LONE),
    ("/1.1/requestSmsCode", '{"mobilePhoneNumber": "+8613800138000", "validate_token": %s}' % LONE),
    ("/1.1/users", '{"username": "bob", "password": "secret123", "nick": {"deep": [%s]}}' % LONE),
    ("/1.1/users", '{%s: 1}' % LONE),
])
def test_leancloud_routes_refuse_lone_surrogates_with_107(lc, settings, path, raw):
    settings(require_captcha=True)
    status, body = lc_raw(lc, "post", path, raw)
    assert (status, body["code"]) == (400, 107), body
    assert "surrogate" in body["error"]


@pytest.mark.parametrize("path,raw", [
    ("token", '{"grant_type": "refresh_token", "refresh_token": %s}' % LONE),
    ("revoke", '{"token": "abcdefghijkl\\udc00"}'),
    ("captcha/data/verify", '{"token": %s, "key": "abcd"}' % LONE),
    ("signin", '{"username": %s, "password": "abc12345"}' % LONE),
    ("signin", '{"username": "a\\ud800@example.com", "password": "abc12345"}'),
])
def test_cloudbase_routes_refuse_lone_surrogates_with_invalid_argument(lc, path, raw):
    status, body = cb_raw(lc, path, raw)
    assert (status, body["error"]) == (400, "invalid_argument"), body
    assert "surrogate" in body["error_description"]


def test_surrogate_pairs_are_text_and_pass(lc):
    # an emoji written as a pair of escapes is one character: a valid username
    status, body = lc_raw(lc, "post", "/1.1/users", '{"username": "bob\\ud83d\\ude00", "password": "secret123"}')
    assert status == 201, body
    assert body["username"] == "bob\U0001F600"


def test_a_template_body_with_a_lone_surrogate_is_refused_at_write(lc):
    status, body = lc_raw(lc, "put", "/admin/v1/templates/t1",
                          '{"body": "code {{code}} \\ud800", "channel": "sms"}', MASTER)
    assert (status, body["code"]) == (400, 107), body
    # nothing was stored: the list still answers
    status, body = lc_raw(lc, "get", "/admin/v1/templates", None, MASTER)
    assert status == 200 and all(t.get("name") != "t1" for t in body.get("results", body.get("templates", []))), body


def test_master_where_with_a_lone_surrogate_is_400(lc):
    r = lc.client.http.get('/1.1/users?where={"username":"a\\ud800"}', headers={**lc.headers, **MASTER})
    assert r.status_code == 400, r.body
