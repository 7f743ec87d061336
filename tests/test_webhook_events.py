"""Every event of the catalogue, raised by the real flows (LeanCloud dialect, admin routes),
delivered signed to a subscribed endpoint; and a slow receiver never slows the request."""
from __future__ import annotations

import json
import time
import urllib.request

from chalicelib import wiring
from chalicelib.core.clock import FakeClock
from conftest import KEYS, last_code
from fakes.webhook_receiver import Receiver

MASTER = {"X-LC-Key": KEYS["VERIKIT_MASTER_KEY"] + ",master"}
PHONE = "+8613800138123"


def endpoint(lc, url, events=("*",)):
    status, body = lc.post("/admin/v1/webhooks", {"url": url, "events": list(events)}, headers=MASTER)
    assert status == 201, body
    return body


def delivered(receiver) -> dict:
    w = wiring.worker(clock=FakeClock(), max_sqs_delay=0)
    for _ in range(20):
        if not w.run_once():
            break
    out = {}
    for e in receiver.events:
        out.setdefault(e["type"], []).append(e["data"])
    return out


def test_the_flows_raise_every_user_and_code_event(lc, settings):
    settings(cooldown_seconds=0, max_attempts=2)
    with Receiver() as r:
        r.secrets = [endpoint(lc, r.url)["secret"]]
        assert lc.request_code(PHONE) == (200, {})
        assert lc.verify(last_code(PHONE), PHONE) == (200, {})
        assert lc.request_code(PHONE) == (200, {})
        assert lc.verify("000000", PHONE)[0] == 400
        assert lc.verify("000001", PHONE)[0] == 400                  # the 2nd wrong guess: exhausted
        status, user = lc.post("/1.1/users", {"username": "evt_alice", "password": "secret-123", "plan": "pro"})
        assert status == 201
        session = {"X-LC-Session": user["sessionToken"]}
        assert lc.post("/1.1/login", {"username": "evt_alice", "password": "secret-123"})[0] == 200
        assert lc.put(f"/1.1/users/{user['objectId']}", {"plan": "team"}, headers=session)[0] == 200
        assert lc.put(f"/1.1/users/{user['objectId']}/updatePassword",
                      {"old_password": "secret-123", "new_password": "secret-456"}, headers=session)[0] == 200
        r2 = lc.client.http.delete(f"/1.1/users/{user['objectId']}", headers={**lc.headers, **MASTER})
        assert r2.status_code == 200, r2.body
        got = delivered(r)
    assert all(x["verified"] for x in r.received)
    assert got["code.sent"][0] == {"to": PHONE, "channel": "sms", "purpose": "sms"}
    assert got["code.verified"] == [{"to": PHONE, "channel": "sms", "purpose": "sms"}]
    assert got["code.exhausted"] == [{"to": PHONE, "channel": "sms", "purpose": "sms"}]
    [created] = got["user.created"]
    assert created["user"]["username"] == "evt_alice" and created["user"]["plan"] == "pro"
    assert "sessionToken" not in created["user"] and "password" not in created["user"]
    assert got["user.login"][0]["method"] == "password"
    [updated] = [u for u in got["user.updated"] if "plan" in u["updatedKeys"]]
    assert updated["user"]["plan"] == "team"
    assert got["user.password_changed"][0]["user"]["objectId"] == user["objectId"]
    assert {"userId": user["objectId"], "reason": "password_changed"} in got["session.revoked"]
    assert got["user.deleted"][0]["user"]["objectId"] == user["objectId"]


def test_a_fraud_guard_block_and_an_import_raise_their_events(lc, settings):
    settings(cooldown_seconds=0, per_ip_hourly=0, allowed_regions=["GB"], fraud_guard="block",
             fraud_guard_by=["prefix"])
    with Receiver() as r:
        r.secrets = [endpoint(lc, r.url, ["send.blocked", "import.finished"])["secret"]]
        answers = [lc.request_code(f"+4475110000{i:02d}")[1] for i in range(12)]
        assert any(a.get("code") == 609 for a in answers)
        body = json.dumps([{"objectId": "5f0000000000000000000001", "username": "imported_bob",
                            "createdAt": "2024-01-01T00:00:00.000Z", "updatedAt": "2024-01-01T00:00:00.000Z"}])
        res = lc.client.http.post("/admin/v1/import/leancloud-users",
                                  headers={**lc.headers, **MASTER}, body=body)
        assert res.status_code == 200, res.body
        got = delivered(r)
    blocked = got["send.blocked"][0]
    assert blocked["reason"] == "prefix" and blocked["country"] == "GB" and blocked["to"].startswith("+447511")
    assert got["import.finished"] == [{"imported": 1, "failed": 0}]


def test_nothing_is_read_or_queued_for_a_send_when_no_webhook_is_configured(lc):
    from test_enumeration_squatting_and_hashing_cost import dynamodb_calls
    lc.request_code(PHONE)  # warm: settings and config cached
    with dynamodb_calls() as calls:
        assert lc.request_code("+8613800138124") == (200, {})
    assert "Query" not in calls, calls  # neither the config (cached) nor the endpoints are read
    assert wiring.event_queue().receive() == []


def _post(url, path, body, master=False):
    headers = {"X-LC-Id": KEYS["VERIKIT_APP_ID"], "Content-Type": "application/json",
               "X-LC-Key": KEYS["VERIKIT_MASTER_KEY"] + ",master" if master else KEYS["VERIKIT_APP_KEY"]}
    req = urllib.request.Request(url + path, data=json.dumps(body).encode(), headers=headers, method="POST")
    with urllib.request.urlopen(req, timeout=10) as resp:
        return json.loads(resp.read())


def test_a_slow_receiver_does_not_slow_the_request(local_server):
    with Receiver(delay=3.0) as r:
        created = _post(local_server, "/admin/v1/webhooks", {"url": r.url, "events": ["code.sent"]}, master=True)
        r.secrets = [created["secret"]]
        took = []
        for i in range(3):
            start = time.monotonic()
            _post(local_server, "/1.1/requestSmsCode", {"mobilePhoneNumber": f"+861380013{8200 + i}"})
            took.append(time.monotonic() - start)
        assert max(took) < 1.5, took          # the receiver takes 3 s per delivery
        deadline = time.monotonic() + 30
        while len(r.events) < 3 and time.monotonic() < deadline:
            time.sleep(0.2)
        assert len(r.events) == 3 and all(x["verified"] for x in r.received)
        urllib.request.urlopen(urllib.request.Request(
            f"{local_server}/admin/v1/webhooks/{created['id']}", method="DELETE",
            headers={"X-LC-Id": KEYS["VERIKIT_APP_ID"], "X-LC-Key": KEYS["VERIKIT_MASTER_KEY"] + ",master"}),
            timeout=10).read()


def cb_signed_up(cb) -> dict:
    """A CloudBase user signed up by phone (verification token): its credentials."""
    from test_cloudbase_api import CB_PHONE

    _, verified = cb.token_for()
    status, creds = cb.post("signup", {"phone_number": CB_PHONE, "password": "abc12345",
                                       "verification_token": verified["verification_token"]})
    assert status == 200, creds
    return creds


def test_a_cloudbase_sign_in_by_verification_token_is_a_login(lc, settings):
    """CloudBase's sign-in with a verification token is a login like any other: user.login
    (method sms) is raised, as LeanEngine's onLogin is called for it."""
    from test_cloudbase_api import CB, CB_PHONE

    settings(cooldown_seconds=0)
    cb = CB(lc.client)
    with Receiver() as r:
        r.secrets = [endpoint(lc, r.url, ["user.login"])["secret"]]
        creds = cb_signed_up(cb)
        _, verified = cb.token_for()
        status, again = cb.post("signin", {"username": CB_PHONE, "verification_token": verified["verification_token"]})
        assert status == 200 and again["sub"] == creds["sub"]
        got = delivered(r)
    assert [e["method"] for e in got["user.login"]] == ["sms"]
    assert got["user.login"][0]["user"]["objectId"] == creds["sub"]


def test_a_cloudbase_sign_out_raises_session_revoked_once(lc, settings):
    """Signing out (``/auth/v1/revoke``) ends that token pair and says so; revoking it again,
    or a token nobody issued, raises nothing."""
    from test_cloudbase_api import CB

    settings(cooldown_seconds=0)
    cb = CB(lc.client)
    with Receiver() as r:
        r.secrets = [endpoint(lc, r.url, ["session.revoked"])["secret"]]
        creds = cb_signed_up(cb)
        assert cb.post("revoke", {"token": creds["access_token"]}) == (200, {})
        assert cb.post("revoke", {"token": creds["access_token"]}) == (200, {})   # again: nothing left to end
        assert cb.post("revoke", {"token": creds["refresh_token"]}) == (200, {})  # its peer went with it
        assert cb.post("revoke", {"token": "x" * 40}) == (200, {})
        got = delivered(r)
    assert got["session.revoked"] == [{"userId": creds["sub"], "reason": "signed_out"}]


def test_racing_sign_outs_with_both_tokens_of_one_pair_announce_it_once():
    """One tab signs out with the access token while another uses the refresh token: the
    pair ends once and is announced once (the delete of its refresh item tells)."""
    import collections

    from chalicelib.core.accounts.sessions import CLOUDBASE
    from test_concurrency import run_threads
    from test_concurrency_users import accounts

    acc, _ = accounts()
    user, _ = acc.signup("app", "alice", "secret-123")
    seen = collections.Counter()
    for _ in range(20):
        access, refresh, _ = acc.issue_tokens(user)
        tokens = [access, refresh]
        results = run_threads(lambda i: acc.users.revoke(acc._token_hash(tokens[i]), dialect=CLOUDBASE), 2)
        assert all(kind == "ok" for kind, _ in results), results
        seen[sum(r is not None for _, r in results)] += 1
    assert set(seen) == {1}, dict(seen)
