"""Email through SES (moto), Skygear-style verification of phone and email by code or by
link, is_verified and only_verified_users, through chalice.test.Client."""
import json
import re

import pytest

from chalicelib import wiring
from conftest import KEYS, last_code

ALICE = "+8613800138001"
MASTER = {"X-LC-Key": KEYS["VERIKIT_MASTER_KEY"] + ",master"}


@pytest.fixture(autouse=True)
def no_cooldown(settings):
    settings(cooldown_seconds=0, email_cooldown_seconds=0)


def sess(token):
    return {"X-LC-Session": token}


def emails_to(address):
    return [m for m in wiring.outbox().list(address) if m["channel"] == "email"]


def signup(lc, **extra):
    status, user = lc.post("/1.1/users", {"username": "alice", "password": "secret-123", **extra})
    assert status == 201, user
    return user


def admin(lc, method, path, body=None):
    r = getattr(lc.client.http, method)(path, headers={**lc.headers, **MASTER}, body=json.dumps(body or {}))
    return r.status_code, json.loads(r.body) if r.body else None


def link_code(message):
    return re.search(r"/verify/([A-Za-z0-9]+)", message["body"]).group(1)


# ---- email ----------------------------------------------------------------------------------

def test_request_email_verify_sends_an_email_through_ses(lc):
    signup(lc, email="Alice@Example.COM")
    assert lc.post("/1.1/requestEmailVerify", {"email": " alice@example.com "}) == (200, {})
    [mail] = emails_to("alice@example.com")
    assert mail["to"] == "Alice@example.com"              # domain lower-cased, local part kept
    assert mail["subject"] == "Verify your email address"
    assert mail["message_id"] and not mail["message_id"].startswith("local-")   # SES (moto) accepted it
    assert re.search(r"is (\d{6})", mail["body"])
    # a 6-digit code never goes into a link (it could be guessed by value): links need
    # code_format "complex"
    assert "/verify/" not in mail["body"] and "/verify/" not in mail["html"]


def test_email_errors_and_enumeration(lc, settings):
    assert lc.post("/1.1/requestEmailVerify", {})[1]["code"] == 204
    assert lc.post("/1.1/requestEmailVerify", {"email": "not an email"})[1]["code"] == 125
    assert lc.post("/1.1/requestEmailVerify", {"email": "nobody@example.com"}) == (200, {})
    assert emails_to("nobody@example.com") == []
    settings(cooldown_seconds=0, email_cooldown_seconds=0, enumeration_protection=False)
    assert lc.post("/1.1/requestEmailVerify", {"email": "nobody@example.com"})[1]["code"] == 211


def test_email_has_its_own_rate_limits(lc, settings):
    signup(lc, email="alice@example.com")
    settings(cooldown_seconds=0, email_cooldown_seconds=0, per_email_daily=2)
    for _ in range(2):
        assert lc.post("/1.1/requestEmailVerify", {"email": "alice@example.com"})[0] == 200
    status, resp = lc.post("/1.1/requestEmailVerify", {"email": "ALICE@example.com"})
    assert (status, resp["code"]) == (429, 601) and "email_daily" in resp["error"]


def test_email_template_with_subject_and_escaped_html(lc):
    assert admin(lc, "put", "/admin/v1/templates/Welcome", {
        "channel": "email", "subject": "Hi {{name}}", "body": "Code {{code}} for {{name}}",
        "html": "<p>Code <b>{{code}}</b> for {{name}}</p>"})[0] == 200
    svc = wiring.service()
    from chalicelib.core.service import SendRequest
    svc.send(SendRequest(app_id=KEYS["VERIKIT_APP_ID"], phone=None, email="bob@example.com", channel="email",
                         template="Welcome", name="<script>x</script>"))
    [mail] = emails_to("bob@example.com")
    assert mail["subject"].startswith("Hi ") and "<script>" not in mail["html"]
    assert "&lt;script&gt;" in mail["html"]


# ---- Skygear-style verification -------------------------------------------------------------

def test_request_verification_and_verify_user_with_code(lc, settings):
    settings(cooldown_seconds=0, email_cooldown_seconds=0, skygear_is_verified=True)  # Skygear's verification policy on
    user = signup(lc, email="alice@example.com", mobilePhoneNumber=ALICE)
    h = sess(user["sessionToken"])
    assert user["is_verified"] is False
    assert lc.post("/1.1/requestVerification", {"field": "email"}, headers=h) == (200, {})
    code = re.search(r"is (\d{6})", emails_to("alice@example.com")[-1]["body"]).group(1)
    status, me = lc.post("/1.1/verifyUserWithCode", {"code": code}, headers=h)
    assert status == 200 and me["emailVerified"] is True
    assert me["is_verified"] is False                  # verified_fields defaults to ["phone"]
    assert lc.post("/1.1/requestVerification", {"field": "phone"}, headers=h) == (200, {})
    status, me = lc.post("/1.1/verifyUserWithCode", {"code": last_code(ALICE)}, headers=h)
    assert status == 200 and me["mobilePhoneVerified"] is True and me["is_verified"] is True


def test_verify_user_with_code_errors(lc):
    user = signup(lc, email="alice@example.com")
    h = sess(user["sessionToken"])
    assert lc.post("/1.1/requestVerification", {"field": "phone"}, headers=h)[1]["code"] == 1   # no phone
    assert lc.post("/1.1/requestVerification", {"field": "fax"}, headers=h)[1]["code"] == 1
    assert lc.post("/1.1/requestVerification", {"field": "email"})[1]["code"] == 206
    lc.post("/1.1/requestVerification", {"field": "email"}, headers=h)
    code = re.search(r"is (\d{6})", emails_to("alice@example.com")[-1]["body"]).group(1)
    # another user's session cannot spend alice's code
    other = lc.post("/1.1/users", {"username": "bob", "password": "secret-123"})[1]
    assert lc.post("/1.1/verifyUserWithCode", {"code": code}, headers=sess(other["sessionToken"]))[1]["code"] == 603
    assert lc.post("/1.1/verifyUserWithCode", {"code": "12"}, headers=h)[1]["code"] == 603


def test_verified_rule_all(lc, settings):
    settings(cooldown_seconds=0, email_cooldown_seconds=0, verified_fields=["phone", "email"], verified_rule="all",
             skygear_is_verified=True)
    user = signup(lc, email="alice@example.com", mobilePhoneNumber=ALICE)
    h = sess(user["sessionToken"])
    lc.post("/1.1/requestVerification", {"field": "phone"}, headers=h)
    assert lc.post("/1.1/verifyUserWithCode", {"code": last_code(ALICE)}, headers=h)[1]["is_verified"] is False
    settings(cooldown_seconds=0, verified_fields=["phone", "email"], verified_rule="any", skygear_is_verified=True)
    assert lc.get("/1.1/users/me", headers=h)[1]["is_verified"] is True


def test_only_verified_users_may_call_user_routes(lc, settings):
    user = signup(lc, mobilePhoneNumber=ALICE)
    h = sess(user["sessionToken"])
    path = f"/1.1/users/{user['objectId']}"
    assert lc.put(path, {"nick": "a"}, headers=h)[0] == 200
    settings(cooldown_seconds=0, only_verified_users=True)
    status, resp = lc.put(path, {"nick": "b"}, headers=h)
    assert (status, resp["code"]) == (403, 1)
    assert lc.get("/1.1/users/me", headers=h)[0] == 200                     # reading oneself is fine
    assert lc.post("/1.1/requestVerification", {"field": "phone"}, headers=h) == (200, {})
    lc.post("/1.1/verifyUserWithCode", {"code": last_code(ALICE)}, headers=h)
    assert lc.put(path, {"nick": "c"}, headers=h)[0] == 200


def test_auto_send_on_signup_and_on_email_change(lc, settings):
    settings(cooldown_seconds=0, email_cooldown_seconds=0, send_verification_on_signup=True,
             send_verification_on_email_change=True)
    user = signup(lc, email="alice@example.com", mobilePhoneNumber=ALICE)
    assert len(emails_to("alice@example.com")) == 1
    assert [m["purpose"] for m in wiring.outbox().list(ALICE)] == ["verify_phone"]
    lc.put(f"/1.1/users/{user['objectId']}", {"email": "new@example.com"}, headers=sess(user["sessionToken"]))
    assert [m["purpose"] for m in emails_to("new@example.com")] == ["verify_email"]


# ---- links ----------------------------------------------------------------------------------

def test_complex_code_link_verifies_and_lands_on_the_default_page(lc, settings):
    settings(cooldown_seconds=0, email_cooldown_seconds=0, code_format="complex", link_expiry_hours=48)
    user = signup(lc, email="alice@example.com")
    lc.post("/1.1/requestVerification", {"field": "email"}, headers=sess(user["sessionToken"]))
    mail = emails_to("alice@example.com")[-1]
    code = link_code(mail)
    assert len(code) == 32 and "48" not in code[:0]
    assert "2880 minutes" in mail["body"]                       # 48 hours
    r = lc.client.http.get(f"/verify/{code}")
    assert r.status_code == 200 and r.headers["Content-Type"].startswith("text/html")
    assert b"email address is verified" in r.body
    assert r.headers["Referrer-Policy"] == "no-referrer" and r.headers["Cache-Control"] == "no-store"
    assert lc.get("/1.1/users/me", headers=sess(user["sessionToken"]))[1]["emailVerified"] is True
    again = lc.client.http.get(f"/verify/{code}")                 # single use
    assert again.status_code == 400 and b"does not work" in again.body


def test_links_use_configured_pages_escaped(lc, settings):
    settings(cooldown_seconds=0, email_cooldown_seconds=0, code_format="complex")
    assert admin(lc, "put", "/admin/v1/templates/verify_error_page",
                 {"channel": "page", "body": "<p>Failed: {{error}}</p>"})[0] == 200
    r = lc.client.http.get("/verify/" + "A" * 32)
    assert r.status_code == 400 and r.body == b"<p>Failed: invalid_code</p>"
    r = lc.client.http.get("/verify/<script>alert(1)</script>")
    assert b"<script>" not in r.body


def test_links_redirect_when_urls_are_configured(lc, settings):
    settings(cooldown_seconds=0, email_cooldown_seconds=0, code_format="complex",
             verify_success_url="https://app.example.com/verified?src=mail",
             verify_error_url="https://app.example.com/oops")
    user = signup(lc, mobilePhoneNumber=ALICE)
    lc.post("/1.1/requestVerification", {"field": "phone"}, headers=sess(user["sessionToken"]))
    code = link_code(wiring.outbox().list(ALICE)[-1])
    r = lc.client.http.get(f"/verify/{code}")
    assert r.status_code == 302
    assert r.headers["Location"] == "https://app.example.com/verified?src=mail&result=success&field=phone"
    r = lc.client.http.get(f"/verify/{code}")
    assert r.status_code == 302 and r.headers["Location"] == "https://app.example.com/oops?result=error&error=invalid_code"


def test_redirect_urls_must_be_http(lc):
    status, resp = admin(lc, "patch", "/admin/v1/settings", {"verify_success_url": "javascript:alert(1)"})
    assert status == 400


def test_the_send_log_finds_emails(lc):
    signup(lc, email="alice@example.com")
    lc.post("/1.1/requestEmailVerify", {"email": "alice@example.com"})
    status, log = admin(lc, "get", "/admin/v1/messages?to=ALICE%40example.com")
    assert status == 200, log
    entries = log["results"]
    assert len(entries) == 1 and entries[0]["channel"] == "email" and entries[0]["outcome"] == "sent"
    assert "alice@example.com" not in json.dumps(entries)            # masked, never the address


def test_numeric_codes_are_refused_on_links_and_garbage_never_blocks_real_links(lc, settings):
    settings(cooldown_seconds=0, email_cooldown_seconds=0, code_format="complex", code_only_per_app_hourly=1,
             code_only_per_ip_hourly=1)
    for junk in ("!!garbage", "x" * 5000, "short"):
        assert lc.client.http.get(f"/verify/{junk}").status_code == 400
    for _ in range(3):                                    # complex guesses are never capped
        assert lc.client.http.get("/verify/" + "B" * 32).status_code == 400
    user = signup(lc, email="alice@example.com")
    lc.post("/1.1/requestVerification", {"field": "email"}, headers=sess(user["sessionToken"]))
    assert lc.client.http.get(f"/verify/{link_code(emails_to('alice@example.com')[-1])}").status_code == 200


def test_another_users_session_cannot_burn_a_code(lc):
    alice = signup(lc, email="alice@example.com")
    bob = lc.post("/1.1/users", {"username": "bob", "password": "secret-123", "email": "bob@example.com"})[1]
    lc.post("/1.1/requestVerification", {"field": "email"}, headers=sess(alice["sessionToken"]))
    code = re.search(r"is (\d{6})", emails_to("alice@example.com")[-1]["body"]).group(1)
    assert lc.post("/1.1/verifyUserWithCode", {"code": code}, headers=sess(bob["sessionToken"]))[1]["code"] == 603
    assert lc.post("/1.1/verifyUserWithCode", {"code": code}, headers=sess(alice["sessionToken"]))[0] == 200


def test_links_never_come_from_the_host_header(lc, settings):
    settings(cooldown_seconds=0, email_cooldown_seconds=0, code_format="complex")
    user = signup(lc, email="alice@example.com")
    lc.post("/1.1/requestVerification", {"field": "email"},
            headers={**sess(user["sessionToken"]), "Host": "evil.example", "X-Forwarded-Proto": "javascript:x//"})
    mail = emails_to("alice@example.com")[-1]
    assert "evil.example" not in mail["body"] and "javascript" not in mail["html"]
    assert re.search(r"http://127\.0\.0\.1(:\d+)?/verify/", mail["body"])


def test_a_template_named_after_the_purpose_shapes_its_emails(lc, settings):
    settings(cooldown_seconds=0, email_cooldown_seconds=0, code_format="complex")
    assert admin(lc, "put", "/admin/v1/templates/verify_email", {
        "channel": "email", "subject": "Confirm your address", "body": "Open {{link}} ({{ttl}} minutes)",
        "html": "<a href=\"{{link}}\">Confirm</a>"})[0] == 200
    user = signup(lc, email="alice@example.com")
    lc.post("/1.1/requestVerification", {"field": "email"}, headers=sess(user["sessionToken"]))
    mail = emails_to("alice@example.com")[-1]
    assert mail["subject"] == "Confirm your address"
    code = link_code(mail)
    assert len(code) == 32 and 'href="http://' in mail["html"] and code in mail["html"]


def test_is_verified_only_with_the_policy_on_and_never_over_an_own_field(lc, settings):
    user = signup(lc, mobilePhoneNumber=ALICE, is_verified=False)   # an app's own field (a real-name check)
    assert "is_verified" in user and user["is_verified"] is False
    plain = signup(lc, username="plain")
    assert "is_verified" not in plain                               # LeanCloud objects carry no such key
    settings(cooldown_seconds=0, skygear_is_verified=True)
    me = lc.get("/1.1/users/me", headers=sess(plain["sessionToken"]))[1]
    assert me["is_verified"] is False
    lc.post("/1.1/requestMobilePhoneVerify", {"mobilePhoneNumber": ALICE})
    lc.post(f"/1.1/verifyMobilePhone/{last_code(ALICE)}", {"mobilePhoneNumber": ALICE})
    own = lc.get("/1.1/users/me", headers=sess(user["sessionToken"]))[1]
    assert own["mobilePhoneVerified"] is True and own["is_verified"] is False   # the stored field wins
