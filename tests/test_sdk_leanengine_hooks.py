"""A LeanEngine app moved off LeanCloud, unchanged: the official Python SDK's
``leancloud.Engine`` (tests/sdk/lc_engine.py) answers verikit's hook calls, and LeanCloud
SDK clients (tests/sdk/lc_python_hooks.py) see each hook take effect against `make run`."""
import json
import shutil
import subprocess
import time
import urllib.request

import pytest

from conftest import KEYS, ROOT
from test_leanengine_hooks import SDK_PYTHON, records, start_engine


def admin(url, method, path, body=None):
    req = urllib.request.Request(url + path, method=method, data=json.dumps(body).encode() if body else None,
                                 headers={"X-LC-Id": KEYS["VERIKIT_APP_ID"], "Content-Type": "application/json",
                                          "X-LC-Key": KEYS["VERIKIT_MASTER_KEY"] + ",master"})
    return json.loads(urllib.request.urlopen(req, timeout=10).read())


@pytest.fixture(scope="module")
def flow(local_server):
    proc, engine = start_engine(api_url=local_server)
    previous = admin(local_server, "GET", "/admin/v1/settings")
    admin(local_server, "PATCH", "/admin/v1/settings", {"leanengine_url": engine, "cooldown_seconds": 0,
                                                         "auth_platforms": {"myplatform": {"verify": "hook"}}})
    try:
        run = subprocess.run([str(SDK_PYTHON), str(ROOT / "tests/sdk/lc_python_hooks.py"), local_server,
                              KEYS["VERIKIT_APP_ID"], KEYS["VERIKIT_APP_KEY"], KEYS["VERIKIT_MASTER_KEY"]],
                             capture_output=True, text=True, timeout=180)
        assert run.returncode == 0, run.stderr
        out = json.loads(run.stdout.strip().splitlines()[-1])
        node = shutil.which("node")
        assert node, "the JS SDK tests need node (20+)"
        js = subprocess.run([node, str(ROOT / "tests/sdk/js/lc_js_hooks.js"), local_server, KEYS["VERIKIT_APP_ID"],
                             KEYS["VERIKIT_APP_KEY"]], capture_output=True, text=True, timeout=120)
        assert js.returncode == 0, js.stderr
        out["js"] = json.loads(js.stdout.strip().splitlines()[-1])
        deadline = time.time() + 20  # after-hooks arrive through the queue (the local worker)
        while time.time() < deadline:
            seen = records(engine)
            if {"afterSave", "onVerified.sms"} <= {r["hook"] for r in seen}:
                break
            time.sleep(0.3)
        yield out, seen, local_server
    finally:
        admin(local_server, "PATCH", "/admin/v1/settings", {"leanengine_url": previous["leanengine_url"],
                                                             "cooldown_seconds": previous["cooldown_seconds"],
                                                             "auth_platforms": previous["auth_platforms"]})
        proc.terminate()
        proc.wait(10)


def test_before_save_changes_the_stored_user_and_refuses_a_bad_nickname(flow):
    out, seen, _ = flow
    assert "ok" in out["signup"], out["signup"]
    assert out["login"]["ok"]["level"] == 1 and out["login"]["ok"]["nickname"] == "Ally"   # set by beforeSave
    assert out["signup_refused"] == {"code": 400, "error": "That nickname is not allowed."}
    assert out["login_unknown_refused_first"]["code"] == 210  # the refused sign-up created nobody


def test_on_login_refuses_one_user_with_the_hooks_code_and_message(flow):
    out, seen, _ = flow
    assert "ok" in out["signup_banned"]
    assert out["login_refused"] == {"code": 1001, "error": "This account is banned."}
    logins = [r["object"]["username"] for r in seen if r["hook"] == "onLogin"]
    assert "hook_alice" in logins and "banned" in logins


def test_before_update_sees_the_updated_keys_and_may_refuse(flow):
    out, seen, _ = flow
    assert out["update"] == {"ok": "Alice"}
    assert out["update_refused"] == {"code": 400, "error": "That nickname is not allowed."}
    updates = [r["object"] for r in seen if r["hook"] == "beforeUpdate"]
    assert updates and updates[0]["updatedKeys"] == ["nickname"]


def test_after_save_and_on_verified_arrive_through_the_queue(flow):
    out, seen, url = flow
    saved = [r["object"] for r in seen if r["hook"] == "afterSave"]
    assert any(o["objectId"] == out["signup"]["ok"]["objectId"] and o.get("level") == 1 for o in saved)
    assert all("sessionToken" not in o and "password" not in o for o in saved)
    verified = [r["object"] for r in seen if r["hook"] == "onVerified.sms"]
    assert verified and verified[0]["mobilePhoneNumber"] == "+8613603000001"
    listed = json.loads(urllib.request.urlopen(f"{url}/dev/webhooks", timeout=5).read())["results"]
    leanengine = next(e for e in listed if e["id"] == "leanengine")
    assert {"_User/afterSave", "onVerified/sms"} <= {d["target"] for d in leanengine["deliveries"]
                                                     if d["status"] == "delivered"}


def test_the_js_sdk_sees_the_same_hooks(flow):
    js = flow[0]["js"]
    assert "ok" in js["signup"], js
    assert js["login"] == {"ok": {"level": 1}}                       # beforeSave's field, stored
    assert js["signup_refused"] == {"code": 400, "error": "That nickname is not allowed."}
    assert js["login_refused"] == {"code": 1001, "error": "This account is banned."}


def test_on_auth_data_checks_a_platform_set_to_verify_by_hook(flow):
    out, seen, _ = flow
    assert out["auth_data"]["ok"]["session"], out["auth_data"]
    assert out["auth_data_refused"] == {"code": 1002, "error": "Invalid token."}
    checked = [r["object"] for r in seen if r["hook"] == "onAuthData"]
    assert [c["myplatform"]["uid"] for c in checked] == ["mp-good", "mp-forged"]
