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
                           KEYS["VERIKIT_APP_ID"], KEYS["VERIKIT_APP_KEY"]],
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
