"""A +86 code requested through the official LeanCloud Python SDK (`leancloud` in .venv-sdk)
with `template` and `sign`, carried by Alibaba Cloud SMS (the official SDK against the local
fake, tests/fakes/aliyun.py) under `make run`, then verified through the SDK."""
import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.request

import pytest

from conftest import KEYS, ROOT, free_port
from fakes.aliyun import AliyunSms as FakeAliyun

SDK_PYTHON = ROOT / ".venv-sdk" / "bin" / "python"
SETTINGS = {"allowed_regions": ["CN", "US"], "sms_routes": {"CN": ["aliyun"], "*": ["sns"]},
            "provider_templates": {"aliyun": {"generic": "SMS_150000001", "Order_Code": "SMS_150000003"}},
            "signatures": ["MyShop"]}

SDK_SCRIPT = """
import json, os, sys, urllib.request
url, app_id, app_key, master, step, code = sys.argv[1:7]
os.environ["LEANCLOUD_API_SERVER"] = url
import leancloud
from leancloud import cloud
leancloud.init(app_id, app_key)
out = {}
try:
    if step == "request":
        req = urllib.request.Request(url + "/admin/v1/templates/Order_Code", method="PUT",
            data=json.dumps({"channel": "sms", "body": "Order {{order}}: your code is {{code}}"}).encode(),
            headers={"X-LC-Id": app_id, "X-LC-Key": master + ",master", "Content-Type": "application/json"})
        urllib.request.urlopen(req).read()
        out["ok"] = cloud.request_sms_code("13600136010", template="Order_Code", sign="MyShop",
                                           params={"order": "A-1"})
    else:
        out["ok"] = cloud.verify_sms_code("+8613600136010", code)
except leancloud.LeanCloudError as e:
    out = {"code": e.code, "error": e.error}
print(json.dumps(out))
"""


@pytest.fixture(scope="module")
def china_server():
    """`make run` with +86 routed to Alibaba Cloud SMS on a local fake endpoint."""
    fake = FakeAliyun("LTAI5tSdkKey", "sdk-aliyun-secret")
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("AWS_ENDPOINT_URL", "VERIKIT_LOCAL")}
    env.update(KEYS, PORT=str(port), PYTHONUNBUFFERED="1", VERIKIT_SETTINGS=json.dumps(SETTINGS),
               VERIKIT_ALIYUN_ENDPOINT=fake.url, VERIKIT_ALIYUN_ACCESS_KEY_ID=fake.key_id,
               VERIKIT_ALIYUN_ACCESS_KEY_SECRET=fake.secret)
    logfile = tempfile.TemporaryFile(mode="w+")
    proc = subprocess.Popen([sys.executable, "-m", "devserver"], cwd=ROOT, env=env, stdout=logfile,
                            stderr=subprocess.STDOUT, text=True)
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 30
    while True:
        try:
            urllib.request.urlopen(url + "/dev/outbox", timeout=1).read()
            break
        except Exception:
            if proc.poll() is not None or time.time() > deadline:
                proc.kill()
                logfile.seek(0)
                raise RuntimeError("local server did not start:\n" + logfile.read())
            time.sleep(0.2)
    yield url, fake
    proc.terminate()
    proc.wait(10)
    logfile.close()
    fake.close()


def sdk(url, step, code=""):
    assert SDK_PYTHON.exists(), "run `make test`: it installs the LeanCloud SDK into .venv-sdk"
    proc = subprocess.run([str(SDK_PYTHON), "-c", SDK_SCRIPT, url, KEYS["VERIKIT_APP_ID"], KEYS["VERIKIT_APP_KEY"],
                           KEYS["VERIKIT_MASTER_KEY"], step, code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_a_plus86_code_with_template_and_sign_goes_through_aliyun_and_verifies(china_server):
    url, fake = china_server
    assert "ok" in sdk(url, "request")
    [got] = fake.received
    code = got["TemplateParam"]["code"]
    assert got["signed"] and got["PhoneNumbers"] == "13600136010" and got["SignName"] == "MyShop"
    assert got["TemplateCode"] == "SMS_150000003"
    assert got["TemplateParam"] == {"code": code, "ttl": "10", "order": "A-1"}
    outbox = json.loads(urllib.request.urlopen(url + "/dev/outbox?to=%2B8613600136010").read())
    assert outbox[-1]["provider"] == "aliyun" and outbox[-1]["template_id"] == "SMS_150000003"
    wrong = "000000" if code != "000000" else "111111"
    assert sdk(url, "verify", wrong)["code"] == 603
    assert "ok" in sdk(url, "verify", code)
