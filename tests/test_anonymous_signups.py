"""New anonymous users are capped per client IP (``anonymous_per_ip_hourly``, sliding hour):
each one is a stored user created without any proof, so a script could otherwise fill the
users table. An anonymous id that logs in again, and other addresses, are not held back;
the cap holds under concurrent sign-ups."""
import chalice.local
import pytest

from chalicelib import wiring
from chalicelib.core import guard
from chalicelib.core.errors import RateLimited
from test_concurrency import run_threads

PLATFORMS = {"anonymous": {"verify": "anonymous"}}


def anon(i: int) -> str:
    return f"{i:032x}"


@pytest.fixture(autouse=True)
def platforms(settings):
    settings(auth_platforms=PLATFORMS, anonymous_per_ip_hourly=3)


def from_ip(monkeypatch, ip):
    monkeypatch.setattr(chalice.local.LambdaEventConverter, "LOCAL_SOURCE_IP", ip)


def sign_up(lc, i):
    return lc.post("/1.1/users", {"authData": {"anonymous": {"id": anon(i)}}})


def test_the_fourth_new_anonymous_user_from_one_address_waits(lc, monkeypatch):
    from_ip(monkeypatch, "203.0.113.7")
    assert [sign_up(lc, i)[0] for i in range(3)] == [201, 201, 201]
    status, body = sign_up(lc, 3)
    assert status == 429 and body["code"] == 601 and "anonymous" in body["error"]
    assert sign_up(lc, 0)[0] == 200       # an anonymous id coming back is a login: not counted
    from_ip(monkeypatch, "198.51.100.9")  # another address has its own hour
    assert sign_up(lc, 3)[0] == 201


def test_cloudbase_anonymous_sign_in_counts_the_same(lc, monkeypatch):
    import json
    from_ip(monkeypatch, "203.0.113.8")

    def cb_anonymous():
        r = lc.client.http.post("/auth/v1/signin/anonymously", headers={"Content-Type": "text/plain"},
                                body=json.dumps({}))
        return r.status_code, json.loads(r.body)
    assert sign_up(lc, 10)[0] == 201
    assert [cb_anonymous()[0] for _ in range(2)] == [200, 200]
    status, body = cb_anonymous()
    assert status == 429 and body["error"] == "rate_limit_exceeded", body


def test_zero_turns_the_cap_off(lc, settings, monkeypatch):
    settings(auth_platforms=PLATFORMS, anonymous_per_ip_hourly=0)
    from_ip(monkeypatch, "203.0.113.9")
    assert {sign_up(lc, 100 + i)[0] for i in range(5)} == {201}


def test_racing_sign_ups_from_one_address_create_exactly_the_cap():
    accounts = wiring.accounts()

    def one(i):
        guard.CLIENT_IP.set("203.0.113.10")
        return accounts.login_with_auth_data(wiring.app_id(), {"anonymous": {"id": anon(1000 + i)}})

    results = run_threads(one, 12)
    created = [r for kind, r in results if kind == "ok"]
    refused = [r for kind, r in results if kind == "err"]
    assert len(created) == 3 and all(c[2] for c in created)
    assert len(refused) == 9 and all(isinstance(e, RateLimited) for e in refused)


def test_an_anonymous_kind_platform_under_another_name_is_capped_too(lc, settings, monkeypatch):
    settings(auth_platforms={"guest": {"verify": "anonymous"}}, anonymous_per_ip_hourly=3)
    from_ip(monkeypatch, "203.0.113.77")
    got = [lc.post("/1.1/users", {"authData": {"guest": {"id": anon(500 + i)}}})[0] for i in range(5)]
    assert got == [201, 201, 201, 429, 429]
