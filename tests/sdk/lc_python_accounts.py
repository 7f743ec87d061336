"""Third-party login, user queries, field operations, password answers and reset by email
through the official `leancloud` Python SDK (in .venv-sdk), unmodified.

Usage: python lc_python_accounts.py <url> <app id> <app key> <master key> <json of facts>
(the facts: authData the fakes accept). Prints one JSON object: each step's result or the
SDK's error code."""
import json
import os
import re
import sys
import urllib.parse
import urllib.request

url, app_id, app_key, master_key, facts = sys.argv[1:6]
facts = json.loads(facts)
os.environ["LEANCLOUD_API_SERVER"] = url

import leancloud  # noqa: E402
from leancloud import Query, User  # noqa: E402

leancloud.init(app_id, app_key=app_key, master_key=master_key)
leancloud.use_master_key(False)
out = {}


def step(name, fn):
    try:
        out[name] = {"ok": fn()}
    except leancloud.LeanCloudError as e:
        out[name] = {"code": e.code, "error": e.error}


def admin(method, path, body=None):
    req = urllib.request.Request(url + path, method=method, data=json.dumps(body).encode() if body else None,
                                 headers={"X-LC-Id": app_id, "X-LC-Key": master_key + ",master",
                                          "Content-Type": "application/json"})
    return json.loads(urllib.request.urlopen(req).read())


def logged(user):
    return {"objectId": user.id, "session": bool(user.get_session_token()), "username": user.get_username()}


previous = admin("GET", "/admin/v1/settings")
admin("PATCH", "/admin/v1/settings", {"auth_platforms": facts["platforms"], "email_cooldown_seconds": 0})
try:
    # ---- authData: login_with, link_with, is_linked, unlink_from ----------------------------
    step("weixin_first", lambda: logged(User.login_with("weixin", facts["weixin"])))
    step("weixin_again", lambda: logged(User.login_with("weixin", facts["weixin_again"])))
    step("weixin_forged", lambda: logged(User.login_with("weixin", {"openid": "oPy", "access_token": "forged"})))
    step("apple", lambda: logged(User.login_with("lc_apple", facts["apple"])))
    step("anonymous", lambda: logged(User.login_with("anonymous", {"id": "py-anon-0123456789abcdef"})))
    step("unlisted", lambda: logged(User.login_with("weibo", {"uid": "1", "access_token": "x"})))

    def link_unlink():
        u = User()
        u.sign_up("py_linker", "secret-123")
        u.link_with("lc_weapp", {"openid": "oPyMini", "session_key": "k"})
        linked = u.is_linked("lc_weapp")
        again = User.login_with("lc_weapp", {"openid": "oPyMini", "session_key": "k2"}).id == u.id
        u = User.become(u.get_session_token())
        u.unlink_from("lc_weapp")
        fresh = User.login_with("lc_weapp", {"openid": "oPyMini", "session_key": "k3"})
        return {"linked": linked, "login_finds_it": again, "unlinked": not u.is_linked("lc_weapp"),
                "after_unlink_new_user": fresh.id != u.id}

    step("link_unlink", link_unlink)

    # ---- updatePassword and refreshSessionToken: a new token, the old one ends ------------
    def passwords():
        u = User()
        u.sign_up("py_pw", "secret-123")
        old = u.get_session_token()
        u.update_password("secret-123", "secret-456")
        after_update = u.get_session_token()
        u.refresh_session_token()
        after_refresh = u.get_session_token()
        dead = []
        for token in (old, after_update):
            try:
                User.become(token)
                dead.append(False)
            except leancloud.LeanCloudError as e:
                dead.append(e.code)
        return {"update_new": after_update not in (None, old), "refresh_new": after_refresh not in (None, after_update),
                "old_ones": dead, "current_works": User.become(after_refresh).id == u.id}

    step("passwords", passwords)

    # ---- field operations on own fields --------------------------------------------------
    def field_ops():
        u = User()
        u.set("score", 1)
        u.set("tags", ["a"])
        u.sign_up("py_ops", "secret-123")
        u.increment("score", 5)
        u.add("tags", "b")
        u.save()
        u.add_unique("tags", "a")   # already there: unchanged
        u.save()
        u.remove("tags", "a")
        u.unset("nick")
        u.increment("score", -2)
        u.save()
        me = User.become(u.get_session_token())
        return {"score": me.get("score"), "tags": me.get("tags")}

    step("field_ops", field_ops)

    # ---- reset by email ------------------------------------------------------------------
    def reset_by_email():
        u = User()
        u.set_email("py-reset@example.com")
        u.sign_up("py_reset", "secret-123")
        User.request_password_reset("py-reset@example.com")
        sent = json.loads(urllib.request.urlopen(f"{url}/dev/outbox?to={urllib.parse.quote('py-reset@example.com')}").read())
        link = re.search(r"https?://\S+/resetPassword/[A-Za-z0-9]+", sent[-1]["body"]).group(0)
        form = urllib.parse.urlencode({"password": "reset-789", "password2": "reset-789"}).encode()
        status = urllib.request.urlopen(urllib.request.Request(link, data=form, method="POST")).status
        v = User()
        v.login("py_reset", "reset-789")
        return {"page": status, "login": v.id == u.id}

    step("reset_by_email", reset_by_email)
    step("reset_unknown", lambda: User.request_password_reset("nobody-py@example.com"))

    # ---- master-key queries --------------------------------------------------------------
    if User.get_current():
        User.get_current().logout()
    leancloud.use_master_key(True)
    step("query_all_count", lambda: Query(User).count())
    step("query_custom", lambda: [u.get_username() for u in Query(User).equal_to("score", 4).find()])
    step("query_ops", lambda: sorted(u.get_username() for u in Query(User).startswith("username", "py_")
                                      .not_equal_to("username", "py_pw").find()))
    step("query_order", lambda: [u.get_username() for u in Query(User).startswith("username", "py_")
                                 .descending("username").limit(2).find()])
    step("query_auth", lambda: [u.get("authData") for u in Query(User).equal_to("authData.weixin.openid",
                                                                               facts["weixin"]["openid"]).find()])
    step("scan", lambda: sorted(u.get_username() for u in Query(User).startswith("username", "py_").scan(batch_size=2)))
    leancloud.use_master_key(False)
    step("query_as_client", lambda: Query(User).count())
finally:
    admin("PATCH", "/admin/v1/settings", {"auth_platforms": previous.get("auth_platforms", {}),
                                          "email_cooldown_seconds": previous["email_cooldown_seconds"]})
print(json.dumps(out))
