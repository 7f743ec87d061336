"""POST /1.1/requestPasswordReset and the reset page its email links to: LeanCloud's answers,
enumeration protection, a strict page, single use under concurrency, sessions ended."""
import re
from urllib.parse import urlencode

import pytest

from chalicelib import wiring
from conftest import KEYS
from test_concurrency import run_threads

APP = KEYS["VERIKIT_APP_ID"]


@pytest.fixture(autouse=True)
def no_cooldown(settings):
    settings(email_cooldown_seconds=0, cooldown_seconds=0)


def mails(address):
    return [m for m in wiring.outbox().list(address) if m["channel"] == "email"]


def link_code(address):
    return re.search(r"/resetPassword/([A-Za-z0-9]+)", mails(address)[-1]["body"]).group(1)


def form(lc, code, password, again=None):
    r = lc.client.http.post(f"/resetPassword/{code}", headers={"Content-Type": "application/x-www-form-urlencoded"},
                            body=urlencode({"password": password, "password2": password if again is None else again}))
    return r.status_code, r.body.decode()


def test_reset_by_email_link(lc):
    status, user = lc.post("/1.1/users", {"username": "alice", "password": "secret-123", "email": "Alice@Example.com"})
    assert status == 201
    assert lc.post("/1.1/requestPasswordReset", {"email": "alice@example.com"}) == (200, {})
    [mail] = mails("Alice@example.com")
    assert mail["subject"] == "Reset your password" and "/resetPassword/" in mail["body"]
    code = link_code("Alice@example.com")
    assert len(code) >= 24 and not code.isdigit()
    page = lc.client.http.get(f"/resetPassword/{code}")
    assert page.status_code == 200 and b"<form method=\"post\"" in page.body and b"<script" not in page.body
    assert "form-action 'self'" in page.headers["Content-Security-Policy"]
    assert page.headers["Referrer-Policy"] == "no-referrer" and page.headers["Cache-Control"] == "no-store"
    # opening the page spent nothing; a password sign-up would refuse is refused here, the code unspent
    assert form(lc, code, "abc")[0] == 400
    assert form(lc, code, "new-secret-1", "other")[0] == 400
    status, body = form(lc, code, "new-secret-1")
    assert status == 200 and "Password changed" in body
    assert form(lc, code, "new-secret-2")[0] == 400                          # single use
    assert lc.get("/1.1/users/me", headers={"X-LC-Session": user["sessionToken"]})[0] == 400   # sessions ended
    assert lc.post("/1.1/login", {"username": "alice", "password": "secret-123"})[1]["code"] == 210
    status, me = lc.post("/1.1/login", {"username": "alice", "password": "new-secret-1"})
    assert status == 200 and me["emailVerified"] is True


def test_answers_and_enumeration_protection(lc, settings):
    assert lc.post("/1.1/requestPasswordReset", {})[1]["code"] == 204
    assert lc.post("/1.1/requestPasswordReset", {"email": "not-an-email"})[1]["code"] == 125
    assert lc.post("/1.1/requestPasswordReset", {"email": "nobody@example.com"}) == (200, {})
    assert mails("nobody@example.com") == []
    settings(email_cooldown_seconds=0, enumeration_protection=False)
    status, err = lc.post("/1.1/requestPasswordReset", {"email": "nobody@example.com"})
    assert (status, err["code"]) == (400, 205)
    assert lc.client.http.get("/resetPassword/short").status_code == 400


def test_racing_submissions_of_one_link_set_one_password(lc):
    lc.post("/1.1/users", {"username": "bob", "password": "secret-123", "email": "bob@example.com"})
    lc.post("/1.1/requestPasswordReset", {"email": "bob@example.com"})
    code = link_code("bob@example.com")
    acc = wiring.accounts()
    results = run_threads(lambda i: acc.reset_password_by_link(APP, code, f"racer-pass-{i}"), 6)
    assert [kind for kind, _ in results].count("ok") == 1, results
