"""Through the running local server (`make run`): an email read back from the dev outbox, a
verification link opened from it, and the CloudBase flow over plain HTTP."""
import json
import re
import urllib.error
import urllib.parse
import urllib.request

from conftest import KEYS

LC = {"X-LC-Id": KEYS["VERIKIT_APP_ID"], "X-LC-Key": KEYS["VERIKIT_APP_KEY"], "Content-Type": "application/json"}
MASTER = {**LC, "X-LC-Key": KEYS["VERIKIT_MASTER_KEY"] + ",master"}


def call(url, method="GET", body=None, headers=None):
    req = urllib.request.Request(url, method=method, headers=headers or {},
                                 data=json.dumps(body).encode() if body is not None else None)
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, r.read(), dict(r.headers)
    except urllib.error.HTTPError as e:
        return e.code, e.read(), dict(e.headers)


def outbox(base, to):
    return json.loads(call(f"{base}/dev/outbox?to={urllib.parse.quote(to)}")[1])


def test_email_verification_link_opened_from_the_email(local_server):
    base = local_server
    call(f"{base}/admin/v1/settings", "PATCH", {"code_format": "complex", "email_cooldown_seconds": 0}, MASTER)
    try:
        status, raw, _ = call(f"{base}/1.1/users", "POST",
                              {"username": "linky", "password": "secret-123", "email": "Linky@Example.com"}, LC)
        assert status == 201, raw
        token = json.loads(raw)["sessionToken"]
        assert call(f"{base}/1.1/requestEmailVerify", "POST", {"email": "linky@example.com"}, LC)[0] == 200
        mail = outbox(base, "linky@example.com")[-1]
        assert mail["channel"] == "email" and mail["to"] == "Linky@example.com"
        link = re.search(r'href="([^"]+)"', mail["html"]).group(1)
        assert link.startswith(base + "/verify/")                 # the link points at this server
        status, page, headers = call(link)                         # what a browser does
        assert status == 200 and headers["Content-Type"].startswith("text/html")
        assert b"verified" in page
        me = json.loads(call(f"{base}/1.1/users/me", headers={**LC, "X-LC-Session": token})[1])
        assert me["emailVerified"] is True
        assert call(link)[0] == 400                                # single use
    finally:
        call(f"{base}/admin/v1/settings", "PATCH", {"code_format": "numeric", "email_cooldown_seconds": 60}, MASTER)


def test_cloudbase_email_flow_over_http(local_server):
    base = f"{local_server}/auth/v1"
    plain = {"Content-Type": "text/plain;charset=UTF-8"}
    status, raw, _ = call(f"{base}/verification?client_id=env", "POST", {"email": "cbhttp@example.com", "target": "ANY"}, plain)
    assert status == 200, raw
    started = json.loads(raw)
    code = re.search(r"(\d{6})", outbox(local_server, "cbhttp@example.com")[-1]["body"]).group(1)
    status, raw, _ = call(f"{base}/verification/verify?client_id=env", "POST",
                          {"verification_id": started["verification_id"], "verification_code": code}, plain)
    token = json.loads(raw)["verification_token"]
    status, raw, _ = call(f"{base}/signup?client_id=env", "POST",
                          {"email": "cbhttp@example.com", "verification_token": token, "password": "abc12345"}, plain)
    assert status == 200, raw
    creds = json.loads(raw)
    status, raw, _ = call(f"{base}/user/me", headers={"Authorization": f"Bearer {creds['access_token']}"})
    assert status == 200 and json.loads(raw)["email"] == "cbhttp@example.com"
    status, raw, _ = call(f"{base}/nope", "POST", {}, plain)
    assert status == 404 and json.loads(raw)["error"] == "not_found"
