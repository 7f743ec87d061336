"""Runs under .venv-sdk with the official `leancloud` SDK, unmodified, as an app would.

Usage: python lc_python_flow.py <server url> <app id> <app key>. Prints one JSON object
with what each step returned (or the SDK's error code) for the test to assert on.
"""
import json
import os
import re
import sys
import urllib.request

url, app_id, app_key = sys.argv[1:4]
os.environ["LEANCLOUD_API_SERVER"] = url

import leancloud  # noqa: E402
from leancloud import cloud  # noqa: E402

leancloud.init(app_id, app_key)
out = {}


def step(name, fn):
    try:
        out[name] = {"ok": fn()}
    except leancloud.LeanCloudError as e:
        out[name] = {"code": e.code, "error": e.error}


def last_code(phone):
    q = urllib.parse.quote(phone)
    sent = json.loads(urllib.request.urlopen(f"{url}/dev/outbox?to={q}").read())
    m = re.search(r"((?:\d, ){3,9}\d|\d{4,10})", sent[-1]["body"])
    return m.group(1).replace(", ", ""), sent[-1]["channel"], len(sent)


phone = "+8613600136000"
step("request", lambda: cloud.request_sms_code("13600136000", params={"ttl": 5, "name": "SDKApp", "op": "login"}))
code, channel, _ = last_code(phone)
wrong = "000000" if code != "000000" else "111111"
step("verify_wrong", lambda: cloud.verify_sms_code(phone, wrong))
step("verify", lambda: cloud.verify_sms_code(phone, code))
step("verify_reuse", lambda: cloud.verify_sms_code(phone, code))
step("cooldown", lambda: cloud.request_sms_code("13600136000"))
step("invalid_number", lambda: cloud.request_sms_code("12345"))

voice = "+8613600136001"
step("voice_request", lambda: cloud.request_sms_code("13600136001", sms_type="voice"))
vcode, vchannel, _ = last_code(voice)
out["voice_channel"] = vchannel
step("voice_verify", lambda: cloud.verify_sms_code(voice, vcode))

leancloud.init(app_id, "wrong-key")
step("bad_key", lambda: cloud.request_sms_code("13600136002"))
print(json.dumps(out))
