"""LeanEngine hooks seen from the official LeanCloud Python SDK (in .venv-sdk), unmodified:
a client signs up, saves, logs in and verifies a phone against verikit, whose hooks are
answered by the app's own engine (tests/sdk/lc_engine.py).

Usage: python lc_python_hooks.py <server url> <app id> <app key> <master key>. Prints one
JSON object with what each step returned (or the SDK's error code and message).
"""
import json
import os
import re
import sys
import urllib.parse
import urllib.request

url, app_id, app_key, master_key = sys.argv[1:5]
os.environ["LEANCLOUD_API_SERVER"] = url

import leancloud  # noqa: E402
from leancloud import User  # noqa: E402

leancloud.init(app_id, app_key)
out = {}


def step(name, fn):
    try:
        out[name] = {"ok": fn()}
    except leancloud.LeanCloudError as e:
        out[name] = {"code": e.code, "error": e.error}


def last_code(phone):
    sent = json.loads(urllib.request.urlopen(f"{url}/dev/outbox?to={urllib.parse.quote(phone)}").read())
    return re.search(r"((?:\d, ){3,9}\d|\d{4,10})", sent[-1]["body"]).group(1).replace(", ", "")


def sign_up(name, nickname, phone=None):
    u = User()
    u.set("nickname", nickname)
    if phone:
        u.set_mobile_phone_number(phone)
    u.sign_up(name, "secret-123")
    return {"objectId": u.id, "token": u.get_session_token()}


def login(name):
    u = User()
    u.login(name, "secret-123")
    return {"objectId": u.id, "level": u.get("level"), "nickname": u.get("nickname")}


step("signup", lambda: sign_up("hook_alice", "Ally", "+8613603000001"))
step("signup_refused", lambda: sign_up("hook_bob", "a badword here"))
step("signup_banned", lambda: sign_up("banned", "Mallory"))
step("login", lambda: login("hook_alice"))
step("login_refused", lambda: login("banned"))
step("login_unknown_refused_first", lambda: login("hook_bob"))  # never created


def save(nickname):
    u = User.become(out["signup"]["ok"]["token"])
    u.set("nickname", nickname)
    u.save()
    return User.become(out["signup"]["ok"]["token"]).get("nickname")


step("update", lambda: save("Alice"))
step("update_refused", lambda: save("badword again"))
step("verify_request", lambda: User.request_mobile_phone_verify("+8613603000001"))
step("verify_phone", lambda: User.verify_mobile_phone_number(last_code("+8613603000001"), "+8613603000001"))


def login_with(token):
    u = User.login_with("myplatform", {"uid": "mp-" + token, "token": token})
    return {"objectId": u.id, "session": bool(u.get_session_token())}


step("auth_data", lambda: login_with("good"))
step("auth_data_refused", lambda: login_with("forged"))
print(json.dumps(out))
