"""The official LeanCloud JS SDK (npm `leancloud-storage` 4.15.2, installed by `make test`
into tests/sdk/js) driven by node against `make run`, unmodified."""
import json
import shutil
import subprocess

import pytest

from conftest import KEYS, ROOT

JS = ROOT / "tests" / "sdk" / "js"


@pytest.fixture(scope="module")
def flow(local_server):
    node = shutil.which("node")
    assert node, "the JS SDK tests need node (20+)"
    assert (JS / "node_modules" / "leancloud-storage").exists(), "run `make test`: it runs npm ci in tests/sdk/js"
    proc = subprocess.run([node, str(JS / "lc_js_flow.js"), local_server, KEYS["VERIKIT_APP_ID"],
                           KEYS["VERIKIT_APP_KEY"], KEYS["VERIKIT_MASTER_KEY"]],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    assert "ok" in out["setup"], out["setup"]
    return out


def test_js_sms_codes(flow):
    assert "ok" in flow["sms_request"], flow["sms_request"]
    assert "ok" in flow["sms_verify"], flow["sms_verify"]
    assert flow["sms_verify_reuse"]["code"] == 603


def test_js_sign_up_and_log_in_by_sms(flow):
    first = flow["signup_by_phone"]["ok"]
    assert first["username"] == "+8613601000002" and first["mobilePhoneVerified"] is True and first["hasSession"]
    assert "ok" in flow["login_sms_request"]
    assert flow["login_sms"]["ok"]["sameUser"] is True
    assert flow["login_sms_wrong"]["code"] == 603


def test_js_sign_up_and_password_logins(flow):
    assert flow["signup_password"]["ok"]["hasSession"]
    assert flow["signup_taken"]["code"] == 202
    assert flow["login_password"]["ok"]["nickname"] == "Alice"
    assert flow["login_wrong_password"]["code"] == 210
    assert flow["login_unknown"]["code"] == 210      # enumeration protection: as a wrong password
    assert flow["login_phone_password"]["ok"]["objectId"] == flow["signup_password"]["ok"]["objectId"]


def test_js_verify_phone_by_code_alone(flow):
    assert "ok" in flow["verify_phone"], flow["verify_phone"]
    assert flow["become_after_verify"] == {"ok": {"mobilePhoneVerified": True}}


def test_js_change_phone(flow):
    assert "ok" in flow["change_phone"], flow["change_phone"]
    assert flow["change_phone_check"] == {"ok": {"mobilePhoneNumber": "+8613601000004", "mobilePhoneVerified": True}}
    assert flow["change_phone_taken"]["code"] == 214


def test_js_reset_password_by_code_alone(flow):
    assert "ok" in flow["reset_password"], flow["reset_password"]
    assert "ok" in flow["login_new_password"]
    assert flow["login_old_password"]["code"] == 210
    assert flow["old_session_dead"]["code"] == 211


def test_js_become_save_and_update_password(flow):
    assert flow["become"]["ok"]["username"] == "js_alice"
    assert flow["update_user"] == {"ok": {"nickname": "Alicia"}}
    assert flow["update_password"] == {"ok": {"hasSession": True}}
    assert "ok" in flow["login_after_update"]
    assert "ok" in flow["request_unknown"]
