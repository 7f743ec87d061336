"""A LeanEngine app as a team moves it off LeanCloud: the official Python SDK's
``leancloud.Engine`` (a WSGI app), unmodified, on a local port, with the hooks the tests
check. What the hooks saw is served at ``GET /records`` (outside the engine's paths).

Usage: python lc_engine.py <port> <app id> <app key> <master key> <hook key> <verikit url>
"""
import json
import os
import sys
import threading
import time

port, app_id, app_key, master_key, hook_key, api = sys.argv[1:7]
# the SDK reads its keys from the environment at import, as on LeanEngine
os.environ.update({"LEANCLOUD_APP_ID": app_id, "LEANCLOUD_APP_KEY": app_key, "LEANCLOUD_APP_MASTER_KEY": master_key,
                   "LEANCLOUD_APP_HOOK_KEY": hook_key, "LEANCLOUD_API_SERVER": api})

import leancloud  # noqa: E402
from leancloud import LeanEngineError  # noqa: E402
from werkzeug.serving import run_simple  # noqa: E402

leancloud.init(app_id, app_key=app_key, master_key=master_key, hook_key=hook_key)
engine = leancloud.Engine()
records = []
lock = threading.Lock()


def record(kind, obj):
    with lock:
        records.append({"hook": kind, "object": obj})


@engine.on_login
def on_login(user):
    record("onLogin", user.dump())
    if user.get("username") == "banned":
        raise LeanEngineError(1001, "This account is banned.")
    if user.get("username") == "slowpoke":
        time.sleep(3)


@engine.on_verified("sms")
def on_verified_sms(user):
    record("onVerified.sms", user.dump())


@engine.on_auth_data
def on_auth_data(auth_data):
    record("onAuthData", auth_data)
    for platform, data in auth_data.items():
        if data.get("token") == "forged":
            raise LeanEngineError(1002, "Invalid token.")
        data["checked"] = True
    return auth_data


@engine.before_save("_User")
def before_user_save(user):
    record("beforeSave", user.dump())
    if "badword" in (user.get("nickname") or ""):
        raise LeanEngineError(400, "That nickname is not allowed.")
    user.set("level", 1)  # every new user starts at level 1


@engine.before_update("_User")
def before_user_update(user):
    record("beforeUpdate", {**user.dump(), "updatedKeys": list(user.updated_keys or [])})
    if "badword" in (user.get("nickname") or ""):
        raise LeanEngineError(400, "That nickname is not allowed.")


@engine.after_save("_User")
def after_user_save(user):
    record("afterSave", user.dump())


def app(environ, start_response):
    if environ.get("PATH_INFO") == "/records":
        body = json.dumps(records).encode()
        start_response("200 OK", [("Content-Type", "application/json")])
        return [body]
    start_response("404 Not Found", [("Content-Type", "text/plain")])
    return [b"not found"]


run_simple("127.0.0.1", int(port), engine.wrap(app), threaded=True)
