"""After an import: the official `leancloud` Python SDK (in .venv-sdk), unmodified, reads an
imported user's File, Pointer and Date fields and its phone as the app wrote it; an SMS
sign-up with a national number keeps that form. Usage: python lc_python_cutover.py <url>
<app id> <app key> <json of the facts>. Prints one JSON object: each step's result or error."""
import json
import os
import sys
import time
import urllib.parse
import urllib.request

url, app_id, app_key, facts = sys.argv[1:5]
facts = json.loads(facts)
os.environ["LEANCLOUD_API_SERVER"] = url

import leancloud  # noqa: E402
from leancloud import User, cloud  # noqa: E402

leancloud.init(app_id, app_key=app_key)
out = {}


def step(name, fn):
    try:
        out[name] = {"ok": fn()}
    except leancloud.LeanCloudError as e:
        out[name] = {"code": e.code, "error": e.error}
    except Exception as e:  # KeyError: 'objectId' is what an unparseable File raised
        out[name] = {"crash": f"{type(e).__name__}: {e}"}


def fields(user):
    avatar, team, photos = user.get("avatar"), user.get("team"), user.get("photos") or []
    return {"phone": user.get_mobile_phone_number(), "username": user.get_username(),
            "avatar": {"type": type(avatar).__name__, "id": avatar.id, "url": avatar.url, "name": avatar.name},
            "photos": [type(p).__name__ + ":" + str(p.id) for p in photos],
            "team": {"type": type(team).__name__, "id": team.id, "className": team._class_name},
            "born": user.get("born").year if user.get("born") else None}


def login():
    u = User()
    u.login(facts["username"], facts["password"])
    return fields(u)


def code_for(phone):
    for _ in range(50):
        q = urllib.parse.urlencode({"to": phone})
        sent = json.loads(urllib.request.urlopen(f"{url}/dev/outbox?{q}", timeout=10).read())
        if sent:
            import re
            return re.search(r"\d{6}", sent[-1]["body"]).group(0)
        time.sleep(0.1)
    raise RuntimeError("no code")


def sms_signup():
    cloud.request_sms_code(facts["sms_phone"])
    u = User.signup_or_login_with_mobile_phone(facts["sms_phone"], code_for(facts["sms_phone"]))
    return {"username": u.get_username(), "phone": u.get_mobile_phone_number()}


step("login", login)
step("become", lambda: fields(User.become(facts["token"])))
step("sms_signup", sms_signup)
print(json.dumps(out))
