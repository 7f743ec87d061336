"""Imported File and Pointer fields, and phones as the app wrote them, through both official
LeanCloud SDKs against `make run`. The Python SDK's decode reads a File's `objectId`, `name`
and `url` (an export's `{"__type": "File", "id": ...}` raised `KeyError: 'objectId'` on every
login of such a user); the JS SDK takes a Pointer with more than three keys for a whole object."""
import json
import shutil
import subprocess
import urllib.request

import pytest

from conftest import KEYS, ROOT
from test_sdk_import import HASHED, SALT

SDK_PYTHON = ROOT / ".venv-sdk" / "bin" / "python"
JS = ROOT / "tests" / "sdk" / "js"
FACTS = {"username": "lc_files", "password": "password", "token": "filestoken0123456789abcd",
         "sms_phone": "13700137123", "js_sms_phone": "13700137124"}
RECORD = {
    "objectId": "5f00000000000000000000f1", "username": "lc_files", "password": HASHED, "salt": SALT,
    "mobilePhoneNumber": "18752169780", "mobilePhoneVerified": True, "sessionToken": FACTS["token"],
    "createdAt": "2024-03-01T08:30:15.123Z", "updatedAt": "2025-07-02T07:58:53.087Z",
    # as older SDKs wrote them (LeanCloud kept that form): `id`, not `objectId`
    "avatar": {"__type": "File", "id": "567d642500b0cff56c29cd79", "name": "me.png",
               "url": "http://lc-abcd1234.cn-n1.lcfile.com/8Upn3VarPAkm5JMW.png"},
    "photos": [{"__type": "File", "id": "567d642500b0cff56c29cd7a", "url": "https://files.example.com/a.jpg"}],
    "team": {"__type": "Pointer", "className": "Team", "objectId": "5f1111111111111111111111",
             "createdAt": "2024-01-01T00:00:00.000Z"},
    "born": {"__type": "Date", "iso": "1990-05-04T00:00:00.000Z"},
}


@pytest.fixture(scope="module")
def imported(local_server):
    req = urllib.request.Request(local_server + "/admin/v1/import/leancloud-users", method="POST",
                                 data=json.dumps(RECORD).encode(),
                                 headers={"X-LC-Id": KEYS["VERIKIT_APP_ID"],
                                          "X-LC-Key": KEYS["VERIKIT_MASTER_KEY"] + ",master"})
    out = json.loads(urllib.request.urlopen(req, timeout=30).read())
    assert out["created"] == 1, out
    return local_server


@pytest.fixture(scope="module")
def python_sdk(imported):
    assert SDK_PYTHON.exists(), "run `make test`: it installs the LeanCloud SDK into .venv-sdk"
    proc = subprocess.run([str(SDK_PYTHON), str(ROOT / "tests/sdk/lc_python_cutover.py"), imported,
                           KEYS["VERIKIT_APP_ID"], KEYS["VERIKIT_APP_KEY"], json.dumps(FACTS)],
                          capture_output=True, text=True, timeout=180)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def js_sdk(imported):
    node = shutil.which("node")
    assert node, "the JS SDK tests need node (20+)"
    proc = subprocess.run([node, str(JS / "lc_js_cutover.js"), imported, KEYS["VERIKIT_APP_ID"],
                           KEYS["VERIKIT_APP_KEY"], json.dumps(FACTS)], capture_output=True, text=True, timeout=180)
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    assert "crash" not in out, out["crash"]
    return out


def test_python_sdk_reads_imported_files_pointers_and_dates(python_sdk):
    for name in ("login", "become"):
        got = python_sdk[name]["ok"]
        assert got["avatar"] == {"type": "File", "id": "567d642500b0cff56c29cd79", "name": "me.png",
                                 "url": RECORD["avatar"]["url"]}, python_sdk
        assert got["photos"] == ["File:567d642500b0cff56c29cd7a"]
        assert got["team"] == {"type": "Team", "id": "5f1111111111111111111111", "className": "Team"}
        assert got["born"] == 1990


def test_js_sdk_reads_imported_files_pointers_and_dates(js_sdk):
    for name in ("login", "become"):
        got = js_sdk[name]["ok"]
        assert got["avatar"] == {"isFile": True, "id": "567d642500b0cff56c29cd79", "name": "me.png",
                                 "url": RECORD["avatar"]["url"]}, js_sdk
        assert got["photos"] == ["true:567d642500b0cff56c29cd7a"]
        assert got["team"] == {"isObject": True, "id": "5f1111111111111111111111", "className": "Team"}
        assert got["born"] == 1990


def test_both_sdks_see_the_phone_as_the_app_wrote_it(python_sdk, js_sdk):
    assert python_sdk["login"]["ok"]["phone"] == js_sdk["become"]["ok"]["phone"] == "18752169780"


def test_an_sms_sign_up_with_a_national_number_keeps_that_form_as_leancloud_did(python_sdk, js_sdk):
    assert python_sdk["sms_signup"]["ok"] == {"username": "13700137123", "phone": "13700137123"}, python_sdk
    assert js_sdk["sms_signup"]["ok"] == {"username": "13700137124", "phone": "13700137124"}, js_sdk
