"""The console's server side (chalice test client on moto): the static files and their
headers, the user admin routes, the settings schema and per-field validation, and the
template preview."""
import json

import pytest

from chalicelib import wiring
from conftest import KEYS, ROOT, last_code

MASTER = {"X-LC-Id": KEYS["VERIKIT_APP_ID"], "X-LC-Key": KEYS["VERIKIT_MASTER_KEY"] + ",master",
          "Content-Type": "application/json"}
APP = {"X-LC-Id": KEYS["VERIKIT_APP_ID"], "X-LC-Key": KEYS["VERIKIT_APP_KEY"], "Content-Type": "application/json"}
PHONE = "+8613800138000"


def call(lc, method, path, body=None, headers=None):
    r = lc.client.http.request(method, path, headers=headers or MASTER,
                               body=json.dumps(body).encode() if body is not None else b"")
    return r.status_code, (json.loads(r.body) if r.body else None), r.headers


def signup(lc, username="alice", password="s3cret-pass", phone=PHONE, email="Alice@Example.com"):
    status, body = lc.post("/1.1/users", {"username": username, "password": password,
                                          "mobilePhoneNumber": phone, "email": email})
    assert status == 201, body
    return body


# ---- static files ------------------------------------------------------------------------

def test_console_page_and_assets_are_served_with_strict_headers(lc):
    r = lc.client.http.get("/console")
    assert r.status_code == 200 and r.headers["Content-Type"].startswith("text/html")
    html = r.body.decode()
    assert '<script type="module" src="console/app.js">' in html
    csp = r.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp and "unsafe-inline" not in csp
    assert "default-src 'none'" in csp
    assert r.headers["X-Frame-Options"] == "DENY" and r.headers["X-Content-Type-Options"] == "nosniff"
    assert r.headers["Referrer-Policy"] == "no-referrer"
    for name, ctype in (("app.js", "text/javascript"), ("style.css", "text/css"), ("i18n.js", "text/javascript")):
        a = lc.client.http.get(f"/console/{name}")
        assert a.status_code == 200 and a.headers["Content-Type"].startswith(ctype), name
        assert a.headers["Content-Security-Policy"] == csp and a.headers["ETag"]
        again = lc.client.http.get(f"/console/{name}", headers={"If-None-Match": a.headers["ETag"]})
        assert again.status_code == 304 and not again.body


@pytest.mark.parametrize("name", ["..%2Fapp.py", "nope.js", "app.py", "APP.JS", ".hidden.js", "index.html.bak"])
def test_console_serves_only_its_own_files(lc, name):
    r = lc.client.http.get(f"/console/{name}")
    assert r.status_code == 404 and b"import" not in r.body


def test_console_has_no_inline_script_and_no_remote_resource():
    import re
    for path in (ROOT / "chalicelib" / "console").iterdir():
        text = path.read_text()
        assert not re.search(r"https?://(?!www\.w3\.org/2000/svg)", text), path.name
        if path.suffix == ".html":
            assert re.findall(r"<script[^>]*>", text) == ['<script type="module" src="console/app.js">']
            assert not re.search(r"\son[a-z]+\s*=", text)  # no onclick= handlers
            assert "style=" not in text


def test_admin_answers_are_never_cached(lc):
    status, _, headers = call(lc, "GET", "/admin/v1/settings")
    assert status == 200 and headers["Cache-Control"] == "no-store"
    status, _, headers = call(lc, "GET", "/admin/v1/settings", headers=APP)
    assert status == 403 and headers["Cache-Control"] == "no-store"


# ---- users --------------------------------------------------------------------------------

def test_find_a_user_by_each_field_without_secrets(lc):
    user = signup(lc)
    for query in (f"phone=%2B8613800138000", "phone=13800138000", "email=alice%40example.com",
                  "email=ALICE%40EXAMPLE.COM", "username=alice", f"objectId={user['objectId']}"):
        status, body, _ = call(lc, "GET", f"/admin/v1/users?{query}")
        assert status == 200 and len(body["results"]) == 1, query
        found = body["results"][0]
        assert found["objectId"] == user["objectId"] and found["mobilePhoneNumber"] == PHONE
        assert found["email"] == "Alice@example.com" and found["hasPassword"] is True
        text = json.dumps(found)
        assert "argon2" not in text and "sessionToken" not in text and user["sessionToken"] not in text
        assert found["lockout"] == {"failures": 0, "max_failures": 5, "locked": False, "retry_after": 0}
    for query in ("username=bob", "phone=%2B8613900139000", "email=bob%40example.com", "objectId=ffff"):
        assert call(lc, "GET", f"/admin/v1/users?{query}")[:2] == (200, {"results": []}), query


@pytest.mark.parametrize("query", ["", "username=a&phone=1", "phone=abc", "email=not-an-email", "nickname=x"])
def test_bad_user_queries_are_400(lc, query):
    status, body, _ = call(lc, "GET", f"/admin/v1/users?{query}")
    assert status == 400 and body["code"] == 1 and body["error"]


def test_a_too_long_user_query_says_so(lc):
    for query in ("phone=" + "9" * 300, "username=" + "a" * 257):
        status, body, _ = call(lc, "GET", f"/admin/v1/users?{query}")
        assert (status, body["code"]) == (400, 1) and "at most 256 characters" in body["error"], body


def test_user_routes_need_the_master_key(lc):
    user = signup(lc)
    uid = user["objectId"]
    for method, path in (("GET", "/admin/v1/users?username=alice"), ("GET", f"/admin/v1/users/{uid}"),
                         ("POST", f"/admin/v1/users/{uid}/revokeSessions"),
                         ("DELETE", f"/admin/v1/users/{uid}/lockout"), ("DELETE", f"/admin/v1/users/{uid}")):
        status, body, _ = call(lc, method, path, headers=APP)
        assert (status, body["code"]) == (403, 119), path
        status, body, _ = call(lc, method, path, headers={**MASTER, "X-LC-Key": "wrong,master"})
        assert (status, body["code"]) == (401, 401), path
    assert lc.get("/1.1/users/me", headers={"X-LC-Session": user["sessionToken"]})[0] == 200


def test_revoke_sessions_ends_every_session_and_token(lc):
    user = signup(lc)
    status, other = lc.post("/1.1/login", {"username": "alice", "password": "s3cret-pass"})
    assert status == 200
    status, body, _ = call(lc, "POST", f"/admin/v1/users/{user['objectId']}/revokeSessions")
    assert status == 200 and body["objectId"] == user["objectId"]
    for token in (user["sessionToken"], other["sessionToken"]):
        assert lc.get("/1.1/users/me", headers={"X-LC-Session": token}) == (
            400, {"code": 211, "error": "Could not find user."})   # LeanCloud's answer to a dead token
    status, fresh = lc.post("/1.1/login", {"username": "alice", "password": "s3cret-pass"})
    assert status == 200 and lc.get("/1.1/users/me", headers={"X-LC-Session": fresh["sessionToken"]})[0] == 200


def test_revoke_sessions_ends_cloudbase_tokens(lc):
    user = signup(lc, username="carol", phone="+8613700137000", email="carol@example.com")
    r = lc.client.http.post("/auth/v1/signin", headers={"Content-Type": "application/json"},
                            body=json.dumps({"username": "carol", "password": "s3cret-pass"}))
    creds = json.loads(r.body)
    assert r.status_code == 200, creds
    call(lc, "POST", f"/admin/v1/users/{user['objectId']}/revokeSessions")
    me = lc.client.http.get("/auth/v1/user/me", headers={"Authorization": f"Bearer {creds['access_token']}"})
    assert me.status_code == 401
    r = lc.client.http.post("/auth/v1/token", headers={"Content-Type": "application/json"},
                            body=json.dumps({"grant_type": "refresh_token", "refresh_token": creds["refresh_token"]}))
    assert r.status_code == 400 and json.loads(r.body)["error"] == "invalid_grant"


def test_lockout_is_shown_and_lifted(lc):
    user = signup(lc)
    for _ in range(5):
        assert lc.post("/1.1/login", {"username": "alice", "password": "wrong-pass"})[0] == 400
    assert lc.post("/1.1/login", {"username": "alice", "password": "s3cret-pass"})[1]["code"] == 219
    status, body, _ = call(lc, "GET", f"/admin/v1/users/{user['objectId']}")
    assert body["lockout"]["locked"] is True and body["lockout"]["failures"] == 5
    assert body["lockout"]["retry_after"] > 0
    status, body, _ = call(lc, "DELETE", f"/admin/v1/users/{user['objectId']}/lockout")
    assert status == 200 and body["lockout"] == {"failures": 0, "max_failures": 5, "locked": False, "retry_after": 0}
    assert lc.post("/1.1/login", {"username": "alice", "password": "s3cret-pass"})[0] == 200


def test_delete_frees_username_phone_and_email(lc):
    user = signup(lc)
    uid = user["objectId"]
    assert call(lc, "DELETE", f"/admin/v1/users/{uid}")[:2] == (200, {})
    assert call(lc, "GET", f"/admin/v1/users/{uid}")[:2] == (404, {"code": 101, "error": "user not found"})
    assert call(lc, "DELETE", f"/admin/v1/users/{uid}")[0] == 404
    assert call(lc, "POST", f"/admin/v1/users/{uid}/revokeSessions")[0] == 404
    assert lc.get("/1.1/users/me", headers={"X-LC-Session": user["sessionToken"]})[0] == 400
    assert call(lc, "GET", "/admin/v1/users?username=alice")[1] == {"results": []}
    again = signup(lc)  # the same username, phone and email are free again
    assert again["objectId"] != uid


@pytest.mark.parametrize("route", ["admin", "leancloud"])
def test_both_deletions_end_every_session_and_free_every_claim_alike(lc, route, monkeypatch):
    """DELETE /admin/v1/users/<id> (the console) and DELETE /1.1/users/<id> (the LeanCloud
    dialect, master key) are one mechanism (UserAdmin.delete): an imported user with its
    imported session and a session of its own login is gone with both sessions, and its
    username, phone and email are free again."""
    from chalicelib.core import user_admin
    oid, token = "6666e6b6b6666666bb66b66b", "abcdefghijklmnopqrstuvwxy"
    record = {"objectId": oid, "username": "moved", "mobilePhoneNumber": "+8613800138011", "email": "moved@example.com",
              "createdAt": "2024-01-02T03:04:05.678Z", "updatedAt": "2024-01-02T03:04:05.678Z", "sessionToken": token}
    status, out, _ = call(lc, "POST", "/admin/v1/import/leancloud-users", record)
    assert status == 200 and out["created"] == 1, out
    status, user = lc.post("/1.1/users", {"username": "moved2", "password": "s3cret-pass"})
    assert status == 201
    uid2 = user["objectId"]
    sessions = {oid: [token], uid2: [user["sessionToken"]]}
    calls = []
    real = user_admin.UserAdmin.delete
    monkeypatch.setattr(user_admin.UserAdmin, "delete", lambda self, *a: calls.append(a) or real(self, *a))
    for uid in (oid, uid2):
        path = f"/admin/v1/users/{uid}" if route == "admin" else f"/1.1/users/{uid}"
        assert call(lc, "DELETE", path)[:2] == (200, {})
        for t in sessions[uid]:
            assert lc.get("/1.1/users/me", headers={"X-LC-Session": t})[0] in (400, 401, 404), t
        assert call(lc, "GET", f"/admin/v1/users/{uid}")[0] == 404
        assert call(lc, "DELETE", path)[0] == 404
    assert [a[1] for a in calls] == [oid, oid, uid2, uid2]
    for by, value in (("username", "moved"), ("phone", "%2B8613800138011"), ("email", "moved%40example.com")):
        assert call(lc, "GET", f"/admin/v1/users?{by}={value}")[1] == {"results": []}
    assert lc.post("/1.1/users", {"username": "moved", "password": "s3cret-pass", "mobilePhoneNumber": "+8613800138011",
                                  "email": "moved@example.com"})[0] == 201


def test_an_imported_user_shows_its_fields_and_dates_without_secrets(lc):
    """The Users page's record of an imported user: its own fields, the createdAt and
    updatedAt of the export, and nothing of its password, salt, authData, ACL or session."""
    from chalicelib.core.passwords import leancloud_digest
    legacy = {"salt": "s4lt-xxxxxxxxxxxxxxxxxxxx", "password": leancloud_digest("s4lt-xxxxxxxxxxxxxxxxxxxx", "pw-123456")}
    record = {"objectId": "5f1e2d3c4b5a69788796a5b4", "username": "imported", "mobilePhoneNumber": "+8613800138012",
              "mobilePhoneVerified": True, "createdAt": "2023-05-06T07:08:09.123Z", "updatedAt": "2024-01-02T03:04:05.678Z",
              **legacy, "sessionToken": "tokentokentokentokentoken",
              "authData": {"weixin": {"openid": "oWx-secret-openid", "access_token": "wx-secret-access"}},
              "ACL": {"*": {"read": True}}, "nickname": "Imp", "level": 3, "tags": ["a", "b"]}
    status, out, _ = call(lc, "POST", "/admin/v1/import/leancloud-users", record)
    assert status == 200 and out["created"] == 1, out
    status, body, _ = call(lc, "GET", "/admin/v1/users?phone=%2B8613800138012")
    assert status == 200 and len(body["results"]) == 1
    user = body["results"][0]
    assert user["createdAt"] == "2023-05-06T07:08:09.123Z" and user["updatedAt"] == "2024-01-02T03:04:05.678Z"
    assert user["mobilePhoneVerified"] is True and user["hasPassword"] is True
    assert user["custom"] == {"nickname": "Imp", "level": 3, "tags": ["a", "b"]}
    text = json.dumps(body)
    for secret in ("s4lt-", legacy["password"][:16], "tokentoken", "oWx-secret", "wx-secret", "authData", "ACL", "argon2"):
        assert secret not in text, secret


def test_delete_racing_updates_and_revocations_is_all_or_nothing():
    """A delete racing profile updates and session revocations (real threads on the
    serialised moto): the user ends up gone with every claim, never half deleted."""
    from chalicelib.core.errors import Conflict, UserNotFound
    from chalicelib.core.user_admin import UserAdmin
    from chalicelib.store.counters import DynamoLimiter
    from chalicelib.store.users import UserModel, claim_key
    from test_concurrency import run_threads
    from test_concurrency_users import accounts

    acc, _ = accounts()
    user, _token = acc.signup("app", "alice", "secret-123", PHONE, "alice@example.com")
    admin = UserAdmin(users=acc.users, limiter=DynamoLimiter(), config=acc.config, clock=acc.clock)

    def act(i):
        if i == 0:
            return admin.delete("app", user.object_id)
        if i % 2:
            return acc.update_user("app", user.object_id, {"custom": {"nick": f"n{i}"}}, actor=None, session=None,
                                   master=True)
        return admin.revoke_sessions("app", user.object_id)

    results = run_threads(act, n=12)
    assert results[0][0] == "ok", results[0]
    assert all(r[0] == "ok" or isinstance(r[1], (UserNotFound, Conflict)) for r in results), results
    assert acc.users.get("app", user.object_id) is None
    for field, value in (("username", "alice"), ("phone", PHONE), ("email", "alice@example.com")):
        with pytest.raises(UserModel.DoesNotExist):
            UserModel.get(claim_key("app", field, value), consistent_read=True)


# ---- settings schema and validation ----------------------------------------------------------

def test_settings_schema_has_every_setting_with_default_and_bounds(lc):
    from chalicelib.core.settings import Settings
    status, body, _ = call(lc, "GET", "/admin/v1/settings/schema")
    assert status == 200
    fields = {f["name"]: f for f in body["fields"]}
    assert set(fields) == set(Settings().to_dict())
    assert fields["code_length"] == {"name": "code_length", "type": "integer", "default": 6, "min": 4, "max": 10}
    assert fields["allowed_regions"]["default"] == ["CN", "US", "CA"] and fields["allowed_regions"]["type"] == "list"
    assert fields["code_format"]["choices"] == ["numeric", "complex"]
    assert fields["verified_fields"]["items"] == ["phone", "email"]
    assert fields["require_captcha"] == {"name": "require_captcha", "type": "boolean", "default": False}
    # an object setting is an object (the console edits it as JSON), not a string
    assert fields["fraud_thresholds"] == {"name": "fraud_thresholds", "type": "object", "default": {}}


def test_settings_validate_reports_each_field_like_patch(lc):
    body = {"code_length": 11, "allowed_regions": ["CN", "ZZ"], "verify_success_url": "ftp://x",
            "cooldown_seconds": 30, "nope": 1, "sms_enabled": "yes"}
    status, out, _ = call(lc, "POST", "/admin/v1/settings/validate", body)
    assert status == 200
    errors = out["errors"]
    assert set(errors) == {"code_length", "allowed_regions", "verify_success_url", "nope", "sms_enabled"}
    # each message is the one PATCH gives for that field alone
    for name in errors:
        status, patched, _ = call(lc, "PATCH", "/admin/v1/settings", {name: body[name]})
        assert status == 400 and patched["error"] == errors[name]
    assert call(lc, "GET", "/admin/v1/settings")[1]["cooldown_seconds"] == 60  # validate stores nothing


# ---- template preview ----------------------------------------------------------------------

def test_preview_is_exactly_what_is_sent(lc, settings):
    settings(cooldown_seconds=0)
    tpl = {"channel": "sms", "body": "Order {{order_id}}: your code is {{code}}, valid {{ttl}} min."}
    status, preview, _ = call(lc, "POST", "/admin/v1/template-preview",
                              {"name": "Order", "template": tpl, "values": {"order_id": "A-17"}, "sign": "Shop"})
    assert status == 200 and preview["issues_code"] is True
    assert preview["body"] == "【Shop】Order A-17: your code is 123456, valid 10 min."
    assert call(lc, "PUT", "/admin/v1/templates/Order", tpl)[0] == 200
    assert lc.request_code(template="Order", order_id="A-17", sign="Shop")[0] == 200
    sent = wiring.outbox().list(PHONE)[-1]["body"]
    assert sent == preview["body"].replace("123456", last_code(PHONE))


def test_preview_voice_email_and_errors(lc):
    status, out, _ = call(lc, "POST", "/admin/v1/template-preview",
                          {"template": {"channel": "email", "subject": "Hi {{who}}", "body": "Code {{code}}",
                                        "html": "<b>{{who}}</b> {{code}}"}, "values": {"who": "<Ann>"}})
    assert status == 200 and out["subject"] == "Hi <Ann>" and out["html"] == "<b>&lt;Ann&gt;</b> 123456"
    status, out, _ = call(lc, "POST", "/admin/v1/template-preview",
                          {"template": {"channel": "sms", "body": "Hello {{who}}"}, "values": {}})
    assert status == 400 and "who" in out["error"]
    status, out, _ = call(lc, "POST", "/admin/v1/template-preview",
                          {"template": {"channel": "fax", "body": "x"}})
    assert status == 400 and "channel" in out["error"]
    status, out, _ = call(lc, "POST", "/admin/v1/template-preview",
                          {"template": {"channel": "sms", "body": "【X】hi"}})
    assert status == 400 and "signature" in out["error"]
    assert call(lc, "POST", "/admin/v1/template-preview", {"template": {"body": "x"}}, headers=APP)[0] == 403


def test_the_consoles_calling_codes_match_phonenumbers():
    import re
    from phonenumbers.data import _COUNTRY_CODE_TO_REGION_CODE as codes
    text = (ROOT / "chalicelib" / "console" / "callingcodes.js").read_text()
    table = dict(re.findall(r'"(\d+)":"([^"]+)"', text))
    assert set(table) == {str(c) for c in codes}
    for code, regions in codes.items():
        assert table[str(code)].split(" ")[0] in (*regions, f"+{code}")
    assert (table["86"], table["44"], table["1"]) == ("CN", "GB +44", "US +1")


def test_every_setting_has_a_group_and_help_in_both_languages():
    """A new setting shows in the console under "Other" without help text: give it a
    group and help in chalicelib/console/settings-meta.js."""
    import re
    from chalicelib.core.settings import Settings
    text = (ROOT / "chalicelib" / "console" / "settings-meta.js").read_text()
    groups_part, help_part = text.split("export const HELP")
    grouped = re.findall(r"'([a-z_]+)'", groups_part.split("export const GROUPS", 1)[1])
    helped = set(re.findall(r"\n  ([a-z_]+): \['", help_part))
    names = set(Settings().to_dict())
    assert names <= set(grouped) and names == helped, sorted(names ^ helped)
    for name in names:  # [English, Chinese]
        entry = help_part.split(f"\n  {name}: [", 1)[1].split("],\n", 1)[0]
        english, chinese = re.findall(r"'((?:[^'\\]|\\.)*)'", entry)
        assert english and re.search(r"[\u4e00-\u9fff]", chinese), name
    # every group (and "Other") has a title in both languages
    groups = re.findall(r"\n  \['([a-z_]+)', \[", groups_part)
    titles = dict(re.findall(r"\n  ([a-z_]+): \['[^']+', '([^']+)'\]", groups_part.split("export const TITLES", 1)[1]))
    assert groups and set(groups) | {"other"} == set(titles), (groups, titles)
    assert all(re.search(r"[\u4e00-\u9fff]", zh) for zh in titles.values()), titles


def test_preview_of_a_purpose_template_uses_that_purposes_lifetime(lc):
    status, out, _ = call(lc, "POST", "/admin/v1/template-preview", {
        "name": "change_phone", "template": {"channel": "sms", "body": "Code {{code}}, {{ttl}} min"}})
    assert status == 200 and out["body"] == "Code 123456, 6 min"  # change_phone codes live 6 minutes
    status, out, _ = call(lc, "POST", "/admin/v1/template-preview", {
        "name": "Promo", "template": {"channel": "sms", "body": "Sale today at {{shop}}"}, "values": {"shop": "A"}})
    assert status == 200 and out["body"] == "Sale today at A" and out["issues_code"] is False
