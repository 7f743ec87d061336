"""LeanEngine hooks as LeanCloud called them, answered by the official Python SDK's
``leancloud.Engine`` (tests/sdk/lc_engine.py, in .venv-sdk, on a local port)."""
from __future__ import annotations

import json
import os
import subprocess
import time
import urllib.request

import pytest

from chalicelib import wiring
from chalicelib.core.clock import FakeClock, SystemClock
from chalicelib.core.events import CREATE, DELETE, LOGIN, UPDATE, HookRefused
from chalicelib.hooks import leanengine
from chalicelib.hooks.leanengine import LeanEngine
from conftest import KEYS, ROOT, free_port

SDK_PYTHON = ROOT / ".venv-sdk" / "bin" / "python"
HOOK_KEY = KEYS["VERIKIT_HOOK_KEY"]


def start_engine(api_url: str = "http://127.0.0.1:9"):
    port = free_port()
    proc = subprocess.Popen([str(SDK_PYTHON), str(ROOT / "tests/sdk/lc_engine.py"), str(port), KEYS["VERIKIT_APP_ID"],
                             KEYS["VERIKIT_APP_KEY"], KEYS["VERIKIT_MASTER_KEY"], HOOK_KEY, api_url],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 30
    while True:
        try:
            urllib.request.urlopen(url + "/records", timeout=1).read()
            return proc, url
        except Exception:
            if proc.poll() is not None or time.time() > deadline:
                proc.kill()
                raise RuntimeError("the LeanEngine app did not start")
            time.sleep(0.1)


@pytest.fixture(scope="module")
def engine_url():
    proc, url = start_engine()
    yield url
    proc.terminate()
    proc.wait(10)


@pytest.fixture(autouse=True)
def fresh_metadata():
    leanengine.forget_metadata()
    yield
    leanengine.forget_metadata()


def records(url) -> list:
    return json.loads(urllib.request.urlopen(url + "/records", timeout=5).read())


def client(url, hook_key=HOOK_KEY, timeout=5.0) -> LeanEngine:
    return LeanEngine(url, KEYS["VERIKIT_APP_ID"], KEYS["VERIKIT_MASTER_KEY"], hook_key, timeout, SystemClock())


USER = {"objectId": "5f0c1a2b3c4d5e6f7a8b9c0d", "username": "alice", "mobilePhoneNumber": "+8613800138000",
        "createdAt": "2026-01-01T00:00:00.000Z", "updatedAt": "2026-01-01T00:00:00.000Z"}


def test_on_login_refuses_with_the_hooks_code_and_message(engine_url):
    assert client(engine_url).before(LOGIN, USER) == USER
    with pytest.raises(HookRefused) as e:
        client(engine_url).before(LOGIN, {**USER, "username": "banned", "password": "never-sent"})
    assert (e.value.code, e.value.message, e.value.status, e.value.failed) == (1001, "This account is banned.", 400,
                                                                                False)
    seen = [r for r in records(engine_url) if r["hook"] == "onLogin"]
    assert seen[-1]["object"]["username"] == "banned" and "password" not in seen[-1]["object"]


def test_before_save_changes_the_user_or_refuses_it(engine_url):
    stored = client(engine_url).before(CREATE, {**USER, "nickname": "ally"})
    assert stored["level"] == 1 and stored["nickname"] == "ally" and stored["username"] == "alice"
    with pytest.raises(HookRefused) as e:
        client(engine_url).before(CREATE, {**USER, "nickname": "a badword"})
    assert (e.value.code, e.value.message) == (400, "That nickname is not allowed.")


def test_before_update_gets_the_updated_keys(engine_url):
    client(engine_url).before(UPDATE, {**USER, "nickname": "al"}, updated_keys=["nickname"])
    seen = [r for r in records(engine_url) if r["hook"] == "beforeUpdate"]
    assert seen[-1]["object"]["updatedKeys"] == ["nickname"]


def test_a_hook_nobody_registered_is_not_called(engine_url):
    before = len(records(engine_url))
    assert client(engine_url).before(DELETE, USER) == USER        # no beforeDelete in this app
    assert len(records(engine_url)) == before


def test_a_wrong_hook_key_is_refused_by_the_sdk(engine_url):
    with pytest.raises(HookRefused) as e:
        client(engine_url, hook_key="not-the-hook-key").before(LOGIN, USER)
    assert (e.value.code, e.value.message, e.value.status) == (401, "Unauthorized.", 401)


def test_a_hook_that_does_not_answer_in_time_fails_closed(engine_url):
    start = time.monotonic()
    with pytest.raises(HookRefused) as e:
        client(engine_url, timeout=1.0).before(LOGIN, {**USER, "username": "slowpoke"})
    assert time.monotonic() - start < 2.5
    assert e.value.failed and e.value.code == leanengine.TIMEOUT_CODE and "1 s" in e.value.message


def test_an_engine_that_is_down_fails_closed():
    down = f"http://127.0.0.1:{free_port()}"
    with pytest.raises(HookRefused) as e:
        client(down).before(LOGIN, USER)
    assert e.value.failed and e.value.code == leanengine.FAILED_CODE and "_User/onLogin" in e.value.message


def test_after_save_and_on_verified_are_queued_and_delivered(engine_url, settings):
    settings(leanengine_url=engine_url)
    events = wiring.events()
    events.after("user.created", {"user": {**USER, "sessionToken": "never-sent"}})
    events.after("user.verified", {"user": USER, "channel": "sms"})
    events.after("user.verified", {"user": USER, "channel": "email"})  # no onVerified('email'): not called
    worker = wiring.worker(clock=FakeClock(), max_sqs_delay=0)
    outcomes = []
    for _ in range(5):
        got = worker.run_once()
        outcomes += got
        if not got:
            break
    seen = {r["hook"]: r["object"] for r in records(engine_url) if r["hook"] in ("afterSave", "onVerified.sms")}
    assert seen["afterSave"]["username"] == "alice" and "sessionToken" not in seen["afterSave"]
    assert seen["onVerified.sms"]["mobilePhoneNumber"] == USER["mobilePhoneNumber"]
    assert sorted(outcomes) == ["delivered", "delivered", "dropped"]
    logged = wiring.deliveries().list("leanengine")
    assert sorted((d["target"], d["status"]) for d in logged) == [
        ("_User/afterSave", "delivered"), ("onVerified/email", "dropped"), ("onVerified/sms", "delivered")]


def test_on_auth_data_checks_and_rewrites_authdata(engine_url, settings):
    from chalicelib.hooks.authdata import verifier
    settings(leanengine_url=engine_url)
    checked = verifier().verify(KEYS["VERIKIT_APP_ID"], "myplatform", {"uid": "u-1", "token": "good"}, {})
    assert checked == {"uid": "u-1", "token": "good", "checked": True}
    with pytest.raises(HookRefused) as e:
        verifier().verify(KEYS["VERIKIT_APP_ID"], "myplatform", {"uid": "u-2", "token": "forged"}, {})
    assert (e.value.code, e.value.message) == (1002, "Invalid token.")
    settings(leanengine_url="")
    from chalicelib.core.authdata import AuthDataInvalid
    with pytest.raises(AuthDataInvalid) as e2:
        verifier().verify(KEYS["VERIKIT_APP_ID"], "myplatform", {"uid": "u-1"}, {})
    assert "not configured" in e2.value.message


def test_make_run_makes_and_keeps_a_hook_key(tmp_path, monkeypatch):
    from devserver.local import dev_keys
    monkeypatch.delenv("VERIKIT_HOOK_KEY", raising=False)
    path = tmp_path / "dev-keys.json"
    first = dev_keys(path)
    assert len(first["VERIKIT_HOOK_KEY"]) == 24 and json.loads(path.read_text())["VERIKIT_HOOK_KEY"] == \
        first["VERIKIT_HOOK_KEY"]
    assert dev_keys(path)["VERIKIT_HOOK_KEY"] == first["VERIKIT_HOOK_KEY"]  # kept across restarts
