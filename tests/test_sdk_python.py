"""The official LeanCloud Python SDK (PyPI `leancloud`, in .venv-sdk) against `make run`."""
import json
import subprocess

import pytest

from conftest import KEYS, ROOT

SDK_PYTHON = ROOT / ".venv-sdk" / "bin" / "python"


@pytest.fixture(scope="module")
def flow(local_server):
    assert SDK_PYTHON.exists(), "run `make test`: it installs the LeanCloud SDK into .venv-sdk"
    proc = subprocess.run([str(SDK_PYTHON), str(ROOT / "tests/sdk/lc_python_flow.py"), local_server,
                           KEYS["VERIKIT_APP_ID"], KEYS["VERIKIT_APP_KEY"], KEYS["VERIKIT_MASTER_KEY"]],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_sdk_requests_and_verifies_a_code(flow):
    assert "ok" in flow["request"], flow["request"]
    assert flow["verify"] == {"ok": True}


def test_sdk_sees_leancloud_error_codes(flow):
    assert flow["verify_wrong"]["code"] == 603
    assert flow["verify_reuse"]["code"] == 603
    assert flow["cooldown"]["code"] == 601
    assert flow["invalid_number"]["code"] == 127
    assert flow["bad_key"]["code"] == 401


def test_sdk_voice_code(flow):
    assert "ok" in flow["voice_request"]
    assert flow["voice_channel"] == "voice"
    assert flow["voice_verify"] == {"ok": True}


def test_sdk_template_send_with_params(flow):
    assert "ok" in flow["template"], flow["template"]
    assert flow["template_body"] == ("【BuyBuyBuy】Your package for the order 7623432424540 "
                                     "will be delivered by the end of today.")


def test_sdk_captcha_flow(flow):
    assert flow["no_captcha"]["code"] == 1 and "CAPTCHA" in flow["no_captcha"]["error"]
    assert flow["captcha_png"] is True
    assert "ok" in flow["with_captcha"], flow["with_captcha"]
    assert "error" in flow["captcha_reuse"] or "code" in flow["captcha_reuse"]


# ---- the user system ---------------------------------------------------------------------

@pytest.fixture(scope="module")
def users(local_server):
    proc = subprocess.run([str(SDK_PYTHON), str(ROOT / "tests/sdk/lc_python_users.py"), local_server,
                           KEYS["VERIKIT_APP_ID"], KEYS["VERIKIT_APP_KEY"], KEYS["VERIKIT_MASTER_KEY"]],
                          capture_output=True, text=True, timeout=180)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_sdk_a_username_moves_with_the_phone_and_the_number_owner_signs_up(users):
    """Issue 19, finding 1, through the official SDK: sign_up + save moving the phone."""
    assert users["squat_moves_username"] == {"ok": "+8613602000078"}, users["squat_moves_username"]
    victim = users["victim_signs_up"]["ok"]
    assert victim["username"] == "+8613602000077" and victim["verified"] is True
    assert users["squatter_login_by_victim_number"]["code"] == 210


def test_sdk_signs_up_and_logs_in_by_sms(users):
    first = users["signup_by_phone"]["ok"]
    assert first["username"] == "+8613602000001" and first["verified"] is True and first["session"]
    assert users["login_sms_request"] == {"ok": None}
    assert users["login_sms"]["ok"]["objectId"] == first["objectId"]
    assert users["login_sms_wrong"]["code"] == 603


def test_sdk_sign_up_and_password_logins(users):
    assert users["signup"]["ok"]["session"] and users["signup"]["ok"]["phone"] == "+8613602000002"
    assert users["signup_taken"]["code"] == 202
    assert users["login_password"]["ok"]["nickname"] == "Py"
    assert users["login_wrong"]["code"] == 210
    assert users["login_unknown"]["code"] == 210        # enumeration protection: as a wrong password
    assert users["login_phone_password"]["ok"]["objectId"] == users["signup"]["ok"]["objectId"]
    assert users["login_phone_unknown"]["code"] == 210


def test_sdk_verify_phone_become_and_save(users):
    assert users["verify_phone"] == {"ok": None}
    assert users["become"]["ok"]["verified"] is True
    assert users["save"] == {"ok": "Python"}


def test_sdk_change_phone(users):
    changed = users["change_phone"]["ok"]
    assert changed["phone"] == "+8613602000003" and changed["verified"] is True
    assert users["change_phone_taken"]["code"] == 214


def test_sdk_reset_password_ends_sessions(users):
    assert users["reset"] == {"ok": None}
    assert users["old_session"]["code"] == 211
    assert users["login_old_password"]["code"] == 210
    assert users["login_new_password"]["ok"]["session"]


def test_sdk_update_password_refresh_and_lockout(users):
    assert users["update_password"] == {"ok": True}
    assert "ok" in users["login_after_update"]
    assert users["refresh"] == {"ok": {"changed": True, "new_works": True}}
    assert [users[f"wrong_{i}"]["code"] for i in range(5)] == [210] * 5
    assert users["locked"]["code"] == 219
    assert users["request_unknown"] == {"ok": None}
