"""The user system through the official `leancloud` Python SDK (in .venv-sdk), unmodified.

Usage: python lc_python_users.py <server url> <app id> <app key> <master key>. Prints one
JSON object with what each step returned (or the SDK's error code).
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
from leancloud import User, cloud  # noqa: E402

leancloud.init(app_id, app_key)
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


def last_code(phone):
    sent = json.loads(urllib.request.urlopen(f"{url}/dev/outbox?to={urllib.parse.quote(phone)}").read())
    return re.search(r"((?:\d, ){3,9}\d|\d{4,10})", sent[-1]["body"]).group(1).replace(", ", "")


def summary(user):
    return {"objectId": user.id, "username": user.get_username(), "phone": user.get_mobile_phone_number(),
            "verified": user.get("mobilePhoneVerified"), "session": bool(user.get_session_token())}


previous = admin("GET", "/admin/v1/settings")
admin("PATCH", "/admin/v1/settings", {"cooldown_seconds": 0})
try:
    P1, P2, P3 = "+8613602000001", "+8613602000002", "+8613602000003"

    # sign up by phone with a code from requestSmsCode, then log in by an SMS login code
    cloud.request_sms_code(P1)
    step("signup_by_phone", lambda: summary(User.signup_or_login_with_mobile_phone(P1, last_code(P1))))
    step("login_sms_request", lambda: User.request_login_sms_code(P1))
    step("login_sms", lambda: summary(User.signup_or_login_with_mobile_phone(P1, last_code(P1))))
    step("login_sms_wrong", lambda: summary(User.signup_or_login_with_mobile_phone(P1, "000000")))

    # username + password sign-up (POST /1.1/classes/_User), logins, errors
    def sign_up():
        u = User()
        u.set_mobile_phone_number(P2)
        u.set("nickname", "Py")
        u.sign_up("py_alice", "secret-123")
        return summary(u)

    step("signup", sign_up)
    step("signup_taken", lambda: User().sign_up("py_alice", "other-secret"))

    def login(name, pw):
        u = User()
        u.login(name, pw)
        return {**summary(u), "nickname": u.get("nickname"), "token": u.get_session_token()}

    step("login_password", lambda: login("py_alice", "secret-123"))
    step("login_wrong", lambda: login("py_alice", "wrong-pass"))
    step("login_unknown", lambda: login("py_nobody", "secret-123"))
    step("login_phone_password", lambda: summary(User.login_with_mobile_phone(P2, "secret-123")))
    step("login_phone_unknown", lambda: summary(User.login_with_mobile_phone("+8613602000099", "secret-123")))
    token = out["login_password"]["ok"]["token"]

    # verify the phone (Python sends the number along), then become
    step("verify_request", lambda: User.request_mobile_phone_verify(P2))
    step("verify_phone", lambda: User.verify_mobile_phone_number(last_code(P2), P2))
    step("become", lambda: summary(User.become(token)))

    # save a change on the logged-in user (PUT /1.1/classes/_User/<id> with X-LC-Session)
    def save():
        u = User.become(token)
        u.set("nickname", "Python")
        u.save()
        return User.become(token).get("nickname")

    step("save", save)

    # change phone (needs the session: become makes the user current)
    def change_phone():
        User.become(token)
        User.request_change_phone_number(P3, ttl=5)
        User.change_phone_number(last_code(P3), P3)
        return summary(User.become(token))

    step("change_phone", change_phone)

    def change_phone_taken():
        User.become(token)
        User.request_change_phone_number(P1)

    step("change_phone_taken", change_phone_taken)

    # reset password by SMS: the old session dies, the new password works
    step("reset_request", lambda: User.request_password_reset_by_sms_code(P3))
    step("reset", lambda: User.reset_password_by_sms_code(last_code(P3), "new-secret-456", P3))
    step("old_session", lambda: summary(User.become(token)))
    step("login_old_password", lambda: login("py_alice", "secret-123"))
    step("login_new_password", lambda: login("py_alice", "new-secret-456"))
    token = out["login_new_password"]["ok"]["token"]

    def update_password():
        u = User.become(token)
        u.update_password("new-secret-456", "third-secret-789")
        return bool(u.get_session_token())

    step("update_password", update_password)
    step("login_after_update", lambda: login("py_alice", "third-secret-789"))

    def refresh():
        u = User.become(out["login_after_update"]["ok"]["token"])
        old = u.get_session_token()
        u.refresh_session_token()
        return {"changed": u.get_session_token() != old, "new_works": User.become(u.get_session_token()).id == u.id}

    step("refresh", refresh)

    # lockout after repeated wrong passwords
    for i in range(5):
        step(f"wrong_{i}", lambda: login("py_alice", "wrong-pass"))
    step("locked", lambda: login("py_alice", "third-secret-789"))

    step("request_unknown", lambda: User.request_password_reset_by_sms_code("+8613602000098"))

    # the squatting bypass (issue 19): sign up with someone's number as username and phone,
    # move the phone away; the username goes with it and the number's owner signs up by SMS
    VICTIM, ELSEWHERE = "+8613602000077", "+8613602000078"

    def squat():
        u = User()
        u.set_username(VICTIM)
        u.set_password("squat-pass-1")
        u.set_mobile_phone_number(VICTIM)
        u.sign_up()
        u.set_mobile_phone_number(ELSEWHERE)
        u.save()
        u.fetch()
        return u.get_username()

    step("squat_moves_username", squat)
    if User.get_current():
        User.get_current().logout()
    cloud.request_sms_code(VICTIM)
    step("victim_signs_up", lambda: summary(User.signup_or_login_with_mobile_phone(VICTIM, last_code(VICTIM))))
    step("squatter_login_by_victim_number", lambda: summary(User().login(VICTIM, "squat-pass-1")))
finally:
    admin("PATCH", "/admin/v1/settings", {"cooldown_seconds": previous["cooldown_seconds"]})
print(json.dumps(out))
