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
