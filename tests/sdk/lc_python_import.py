"""After `make import-leancloud`: the official `leancloud` Python SDK (in .venv-sdk), unmodified,
against the imported users. Usage: python lc_python_import.py <url> <app id> <app key> <master key>
<json of the fixture's facts>. Prints one JSON object with what each step returned (or the
SDK's error code)."""
import json
import os
import sys

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


def summary(user):
    return {"objectId": user.id, "username": user.get_username(), "phone": user.get_mobile_phone_number(),
            "nickname": user.get("nickname"), "level": user.get("level"), "email": user.get_email(),
            "createdAt": user.created_at.isoformat() if user.created_at else None,
            "session": user.get_session_token()}


def login(name, password):
    u = User()
    u.login(name, password)
    return summary(u)


# old passwords (the spec's test vector, and one hashed like it), by username, phone and email
step("login_vector", lambda: login("lc_vector", "password"))
step("login_vector_again", lambda: login("lc_vector", "password"))
step("login_vector_wrong", lambda: login("lc_vector", "Password"))
step("login_py_phone", lambda: summary(User.login_with_mobile_phone(facts["py_phone"], "py-pass-123")))
step("login_vector_email", lambda: login("vector@example.com", "password"))
# old session tokens
step("become_vector", lambda: summary(User.become(facts["vector_token"])))
step("become_py", lambda: summary(User.become(facts["py_token"])))
step("become_unknown", lambda: summary(User.become("no-such-token-000000")))
# the imported ACL (issue 19): lc_py is owner only, lc_vector public read
def fetch(oid, token=None):
    if token:
        User.become(token)
    elif User.get_current():
        User.get_current().logout()
    u = User.create_without_data(oid)
    u.fetch()
    return {"objectId": u.id, "nickname": u.get("nickname")}


step("fetch_vector_public", lambda: fetch("5f0000000000000000000001"))
step("fetch_py_public", lambda: fetch("5f0000000000000000000002"))
step("fetch_py_by_vector", lambda: fetch("5f0000000000000000000002", facts["vector_token"]))
step("fetch_py_self", lambda: fetch("5f0000000000000000000002", facts["py_token"]))

# the delta moved the mover's phone
step("login_moved_new_phone", lambda: summary(User.login_with_mobile_phone(facts["moved_to"], "mover-pass")))
step("login_moved_old_phone", lambda: summary(User.login_with_mobile_phone(facts["moved_from"], "mover-pass")))

# a refresh of an imported session ends the old token
def refresh():
    u = User.become(facts["py_token"])
    u.refresh_session_token()
    return {"changed": u.get_session_token() != facts["py_token"]}


step("refresh_py", refresh)
step("become_py_after_refresh", lambda: summary(User.become(facts["py_token"])))

# master key: query, count, delete
if User.get_current():
    User.get_current().logout()
leancloud.use_master_key(True)
step("query_phone", lambda: [summary(u) for u in Query(User).equal_to("mobilePhoneNumber", facts["vector_phone"]).find()])
step("query_username", lambda: [u.id for u in Query(User).equal_to("username", "lc_py").find()])
step("count_email", lambda: Query(User).equal_to("email", "vector@example.com").count())
step("query_scan", lambda: [u.get_username() for u in Query(User).equal_to("nickname", "Vec").find()])
step("query_all", lambda: len(Query(User).find()))


def delete():
    victim = Query(User).equal_to("username", "lc_py_delete").first()
    victim.destroy()
    return Query(User).equal_to("username", "lc_py_delete").count()


step("delete", delete)
leancloud.use_master_key(False)
step("become_deleted", lambda: summary(User.become(facts["py_delete_token"])))
step("query_as_client", lambda: Query(User).equal_to("username", "lc_py").find())
print(json.dumps(out))
