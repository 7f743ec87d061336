"""The local server as `make run` starts it: routing edges, CORS, and dev-only routes."""
import json
import os
import subprocess
import sys
import urllib.error
import urllib.request

from conftest import KEYS, ROOT


def call(url, method="GET", headers=None, body=None):
    req = urllib.request.Request(url, method=method, headers=headers or {},
                                 data=body.encode() if body is not None else None)
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, dict(r.headers), r.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read()


def test_unknown_routes_get_a_json_404(local_server):
    for method, path in (("GET", "/1.1/nothing"), ("POST", "/nope/at/all"), ("GET", "/")):
        status, headers, body = call(local_server + path, method, body="{}" if method == "POST" else None)
        assert status == 404, path
        assert json.loads(body)["code"] == 404


def test_cors_preflight_allows_the_sdk_headers(local_server):
    status, headers, _ = call(local_server + "/1.1/requestSmsCode", "OPTIONS", headers={
        "Origin": "http://localhost:3000", "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "x-lc-id,x-lc-sign,content-type"})
    assert status == 200
    allowed = headers["Access-Control-Allow-Headers"].lower()
    assert {"x-lc-id", "x-lc-sign", "x-lc-key", "x-lc-session", "content-type"} <= set(allowed.split(","))
    assert headers["Access-Control-Allow-Origin"] == "*"


def test_outbox_lists_oldest_first_with_exact_fields(local_server):
    h = {"X-LC-Id": KEYS["VERIKIT_APP_ID"], "X-LC-Key": KEYS["VERIKIT_APP_KEY"]}
    for phone, kind in (("+8613700137000", "sms"), ("+8613700137001", "voice")):
        status, _, body = call(local_server + "/1.1/requestSmsCode", "POST", h,
                               json.dumps({"mobilePhoneNumber": phone, "smsType": kind}))
        assert status == 200, body
    status, _, body = call(local_server + "/dev/outbox?to=+8613700137001")
    [entry] = json.loads(body)
    assert {"channel", "to", "body", "sent_at"} <= set(entry)
    assert entry["channel"] == "voice" and entry["to"] == "+8613700137001"
    assert entry["sent_at"].endswith("Z")


def test_dev_routes_do_not_exist_outside_local_mode():
    env = {k: v for k, v in os.environ.items() if k != "VERIKIT_LOCAL"}
    out = subprocess.run([sys.executable, "-c", "from app import app; print(sorted(app.routes))"],
                         cwd=ROOT, env=env, capture_output=True, text=True, check=True).stdout
    assert "/1.1/requestSmsCode" in out and "/dev/outbox" not in out
