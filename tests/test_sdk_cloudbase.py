"""The official CloudBase JS SDK (npm `@cloudbase/js-sdk` 3.7.0, installed by `make test` into
tests/sdk/cloudbase) driven by node against `make run`, unmodified: the seed's flow
(getVerification -> verify -> signUp / signIn), email, refresh, sign-out and the SDK's own
captcha flow."""
import json
import shutil
import subprocess

import pytest

from conftest import KEYS, ROOT

CB = ROOT / "tests" / "sdk" / "cloudbase"


@pytest.fixture(scope="module")
def flow(local_server):
    node = shutil.which("node")
    assert node, "the CloudBase SDK tests need node (20+)"
    assert (CB / "node_modules" / "@cloudbase" / "js-sdk").exists(), \
        "run `make test`: it runs npm ci in tests/sdk/cloudbase"
    proc = subprocess.run([node, str(CB / "cb_flow.js"), local_server, KEYS["VERIKIT_APP_ID"],
                           KEYS["VERIKIT_MASTER_KEY"]], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_seed_phone_flow_sign_up_then_sign_in(flow):
    up = flow["phone_signup"]["ok"]
    assert up["is_user"] is False and up["phone_number"] == "+86 13602000001"
    assert up["username"] == "cb_user" and up["name"] == "Cb"
    again = flow["phone_signin_code"]["ok"]
    assert again["is_user"] is True and again["same_user"] is True
    assert flow["verify_reuse"]["error_name"] == "invalid_argument"
    assert flow["token_reuse"]["error_name"] == "invalid_argument"


def test_password_sign_in(flow):
    assert flow["password_signin"]["ok"]["same_user"] is True
    assert flow["password_signin_phone"]["ok"]["same_user"] is True
    assert flow["password_signin_wrong"]["error_name"] == "invalid_password"


def test_email_flow_and_wrong_code(flow):
    email = flow["email_flow"]["ok"]
    assert email["email"] == "cb@example.com" and email["other_than_phone_user"] is True
    assert flow["wrong_code"]["error_name"] == "invalid_argument"


def test_refresh_and_sign_out(flow):
    assert flow["refresh"]["ok"]["new_access_token"] and flow["refresh"]["ok"]["same_user"]
    assert flow["refresh_reuse_http"]["ok"]["error"] == "invalid_grant"
    out = flow["sign_out"]["ok"]
    assert out["user_info"] is None and out["old_access_token"]["status"] == 401
    assert out["old_refresh_token"]["status"] == 400          # signing out ends the refresh token too


def test_sdk_captcha_flow(flow):
    assert flow["captcha"]["ok"]["sent"] and flow["captcha"]["ok"]["callback_calls"] >= 1
    assert flow["captcha_wrong_answer"]["error_name"] == "captcha_invalid"
    http = flow["captcha_http"]["ok"]
    assert http["first"]["error"] == "captcha_required" and http["retry"]["status"] == 200
    assert flow["captcha_http_header"]["ok"]["status"] == 200


@pytest.fixture(scope="module")
def anonymous(local_server):
    proc = subprocess.run([shutil.which("node"), str(CB / "cb_anonymous.js"), local_server, KEYS["VERIKIT_APP_ID"],
                           KEYS["VERIKIT_MASTER_KEY"]], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    assert "crash" not in out, out["crash"]
    return out


def test_anonymous_sign_in_and_upgrade(anonymous):
    first = anonymous["anonymous"]["ok"]
    assert first["name"] == "anonymous" and first["scope"] == "anonymous" and first["has_token"], first
    assert anonymous["another_anonymous"] == {"ok": True}
    up = anonymous["upgrade"]["ok"]
    assert up == {"same_sub": True, "name": "", "phone_number": "+86 13602000009", "scope": "user"}, anonymous
    assert anonymous["password_login_after_upgrade"] == {"ok": True}
