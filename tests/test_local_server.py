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


def test_captcha_image_loads_with_plain_curl_requests(local_server):
    h = {"X-LC-Id": KEYS["VERIKIT_APP_ID"], "X-LC-Key": KEYS["VERIKIT_APP_KEY"]}
    _, _, body = call(local_server + "/1.1/requestCaptcha", headers=h)
    url = json.loads(body)["captcha_url"]
    assert url.startswith(local_server + "/1.1/captchaImage/")
    for accept in (None, "application/json", "*/*", "image/avif,image/webp,image/*,*/*;q=0.8"):
        import http.client
        from urllib.parse import urlsplit
        u = urlsplit(url)
        conn = http.client.HTTPConnection(u.hostname, u.port, timeout=10)
        conn.putrequest("GET", f"{u.path}?{u.query}", skip_accept_encoding=True)
        if accept:
            conn.putheader("Accept", accept)
        conn.endheaders()
        r = conn.getresponse()
        data = r.read()
        assert r.status == 200, (accept, data[:200])
        assert r.getheader("Content-Type") == "image/png" and data[:8] == b"\x89PNG\r\n\x1a\n"


def test_json_replies_without_an_accept_header(local_server):
    import http.client
    port = int(local_server.rsplit(":", 1)[1])
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.putrequest("POST", "/1.1/verifySmsCode/123456", skip_accept_encoding=True)
    for k, v in (("X-LC-Id", KEYS["VERIKIT_APP_ID"]), ("X-LC-Key", KEYS["VERIKIT_APP_KEY"]),
                 ("Content-Type", "application/json"), ("Content-Length", "2")):
        conn.putheader(k, v)
    conn.endheaders(b"{}")
    r = conn.getresponse()
    assert r.status == 400 and json.loads(r.read())["code"] == 212
