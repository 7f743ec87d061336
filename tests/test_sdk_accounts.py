"""Third-party login (authData), master-key user queries, field operations, LeanCloud's
password answers and reset by email, through the official LeanCloud SDKs (Python in
.venv-sdk, JS leancloud-storage) against a local server whose WeChat and Apple verifiers
point at local fakes (tests/fakes/)."""
import json
import shutil
import subprocess
import time

import pytest

from conftest import KEYS, ROOT, serve
from fakes.apple import FakeApple
from fakes.weixin import FakeWeixin

SDK_PYTHON = ROOT / ".venv-sdk" / "bin" / "python"
JS = ROOT / "tests" / "sdk" / "js"
PLATFORMS = {"weixin": {"verify": "weixin"}, "lc_apple": {"verify": "apple", "client_ids": ["com.example.app"]},
             "anonymous": {"verify": "anonymous"}, "lc_weapp": {"verify": "trust"}}


@pytest.fixture(scope="module")
def fakes():
    weixin, apple = FakeWeixin(), FakeApple()
    yield weixin, apple
    weixin.close()
    apple.close()


@pytest.fixture(scope="module")
def server(fakes):
    weixin, apple = fakes
    with serve({"VERIKIT_WEIXIN_API": weixin.url, "VERIKIT_APPLE_JWKS_URL": apple.url}) as url:
        yield url


def run(cmd, timeout=300):
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    assert "crash" not in out, out["crash"]
    return out


@pytest.fixture(scope="module")
def python_sdk(server, fakes):
    weixin, apple = fakes
    facts = {"platforms": PLATFORMS, "weixin": weixin.grant("oPy", "py-1"), "weixin_again": weixin.grant("oPy", "py-2"),
             "apple": {"uid": "000111.py", "identity_token": apple.token("000111.py", now=time.time()), "code": "c"}}
    return run([str(SDK_PYTHON), str(ROOT / "tests/sdk/lc_python_accounts.py"), server, KEYS["VERIKIT_APP_ID"],
                KEYS["VERIKIT_APP_KEY"], KEYS["VERIKIT_MASTER_KEY"], json.dumps(facts)])


@pytest.fixture(scope="module")
def js_sdk(server, fakes, python_sdk):
    weixin, _ = fakes
    facts = {"platforms": PLATFORMS, "weixin": weixin.grant("oJs", "js-1"), "weixin_again": weixin.grant("oJs", "js-2"),
             "weixin_union": weixin.grant("oJsU", "js-u"), "weixin_union2": weixin.grant("oJsU2", "js-u2")}
    assert shutil.which("node"), "the JS SDK tests need node (20+)"
    return run([shutil.which("node"), str(JS / "lc_js_accounts.js"), server, KEYS["VERIKIT_APP_ID"],
                KEYS["VERIKIT_APP_KEY"], KEYS["VERIKIT_MASTER_KEY"], json.dumps(facts)])


# ---- Python SDK -------------------------------------------------------------------------------

def test_python_login_with_platforms(python_sdk, fakes):
    first = python_sdk["weixin_first"]["ok"]
    assert first["session"] and len(first["username"]) == 25
    assert python_sdk["weixin_again"]["ok"]["objectId"] == first["objectId"]
    assert python_sdk["weixin_forged"]["code"] == 251
    assert python_sdk["apple"]["ok"]["session"]
    assert python_sdk["anonymous"]["ok"]["session"]
    assert python_sdk["unlisted"]["code"] == 1
    assert any(r["path"] == "/sns/auth" for r in fakes[0].requests)
    assert any(r["path"] == "/auth/keys" for r in fakes[1].requests)


def test_python_link_is_linked_unlink(python_sdk):
    assert python_sdk["link_unlink"]["ok"] == {"linked": True, "login_finds_it": True, "unlinked": True,
                                               "after_unlink_new_user": True}


def test_python_update_password_and_refresh_give_new_tokens(python_sdk):
    assert python_sdk["passwords"]["ok"] == {"update_new": True, "refresh_new": True, "old_ones": [211, 211],
                                             "current_works": True}


def test_python_field_operations(python_sdk):
    assert python_sdk["field_ops"]["ok"] == {"score": 4, "tags": ["b"]}


def test_python_reset_by_email(python_sdk):
    assert python_sdk["reset_by_email"]["ok"] == {"page": 200, "login": True}
    assert python_sdk["reset_unknown"] == {"ok": None}     # enumeration protection: as for a user


def test_python_master_queries(python_sdk):
    assert python_sdk["query_all_count"]["ok"] >= 8
    assert python_sdk["query_custom"]["ok"] == ["py_ops"]
    assert python_sdk["query_ops"]["ok"] == ["py_linker", "py_ops", "py_reset"]
    assert python_sdk["query_order"]["ok"] == ["py_reset", "py_pw"]
    [auth] = python_sdk["query_auth"]["ok"]
    assert auth == {"weixin": {"openid": "oPy", "expires_in": 7200}}     # no access_token
    assert python_sdk["scan"]["ok"] == ["py_linker", "py_ops", "py_pw", "py_reset"]
    assert python_sdk["query_as_client"]["code"] == 119


# ---- JS SDK -----------------------------------------------------------------------------------

def test_js_login_with_auth_data_fail_on_not_exist_and_union_id(js_sdk):
    assert js_sdk["fail_on_not_exist"]["code"] == 211
    assert js_sdk["weixin"]["ok"]["session"] and js_sdk["weixin_again"]["ok"] is True
    assert js_sdk["union_main"]["ok"]["session"]
    assert js_sdk["union_other_platform"]["ok"] == {"same": True, "platforms": ["lc_weapp", "weixin"]}


def test_js_associate_and_dissociate(js_sdk):
    assert js_sdk["associate"]["ok"] == {"linked": True, "found": True, "taken": 208, "unlinked": True, "gone": 211}


def test_js_anonymous_becomes_a_normal_user(js_sdk):
    got = js_sdk["anonymous"]["ok"]
    assert got["was"]["anonymous"] is True and got["same"] is True and got["anonymous_now"] is False


def test_js_update_password_and_refresh(js_sdk):
    assert js_sdk["passwords"]["ok"] == {"update_new": True, "refresh_new": True, "old": [211, 211], "current": True}


def test_js_field_operations(js_sdk):
    assert js_sdk["field_ops"]["ok"] == {"score": 14, "tags": ["b", "c"], "nick": True}


def test_js_reset_by_email(js_sdk):
    assert js_sdk["reset_by_email"]["ok"] == {"page": 200, "csp": True, "post": 200, "reuse": 400, "login": True}


def test_js_master_queries(js_sdk):
    assert js_sdk["query_all"]["ok"] >= 10 and js_sdk["query_count"]["ok"] == js_sdk["query_all"]["ok"]
    assert sorted(js_sdk["query_ops"]["ok"]) == ["js_ops"]
    assert js_sdk["query_order"]["ok"] == ["js_reset", "js_pw"]     # js_was_anon skipped
    assert js_sdk["query_or"]["ok"] == ["js_ops", "js_pw"]
    assert js_sdk["query_in"]["ok"] == ["js_ops", "js_pw"]
    assert sorted(js_sdk["query_exists"]["ok"]) == ["js_ops", "py_ops"]
    assert js_sdk["scan"]["ok"] == ["js_linker", "js_ops", "js_other", "js_pw", "js_reset", "js_was_anon"]
    assert js_sdk["query_as_client"]["code"] == 119
