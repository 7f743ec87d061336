"""A fake Tencent Cloud SMS endpoint (2021-01-11 ``SendSms``): a JSON POST signed
TC3-HMAC-SHA256. Checks the signature with the secret key, records PhoneNumberSet,
SmsSdkAppId, SignName, TemplateId and TemplateParamSet, and answers like the service.

``mode``: ``ok``; ``number`` (InvalidParameterValue.IncorrectPhoneNumber in the send
status); ``down`` (InternalError.Timeout)."""
from __future__ import annotations

import hashlib
import hmac
import json
import uuid
from datetime import datetime, timezone

from .base import Fake


def _hmac(key: bytes, msg: str) -> bytes:
    return hmac.new(key, msg.encode(), hashlib.sha256).digest()


class TencentSms(Fake):
    def __init__(self, secret_id: str, secret_key: str):
        self.secret_id, self.secret_key = secret_id, secret_key
        super().__init__()

    def signature_ok(self, method: str, path: str, headers: dict, body: bytes) -> bool:
        lower = {k.lower(): v for k, v in headers.items()}
        auth = lower.get("authorization", "")
        algo, _, rest = auth.partition(" ")
        parts = dict(p.strip().split("=", 1) for p in rest.split(",") if "=" in p)
        scope = parts.get("Credential", "").split("/")
        if algo != "TC3-HMAC-SHA256" or len(scope) != 4 or scope[0] != self.secret_id or scope[2:] != ["sms", "tc3_request"]:
            return False
        timestamp = lower.get("x-tc-timestamp", "")
        date = datetime.fromtimestamp(int(timestamp), tz=timezone.utc).strftime("%Y-%m-%d")
        if scope[1] != date or parts.get("SignedHeaders") != "content-type;host":
            return False
        canonical = "\n".join([method, path, "", f"content-type:{lower.get('content-type')}\nhost:{lower.get('host')}\n",
                               "content-type;host", hashlib.sha256(body).hexdigest()])
        to_sign = "\n".join(["TC3-HMAC-SHA256", timestamp, f"{date}/sms/tc3_request",
                             hashlib.sha256(canonical.encode()).hexdigest()])
        key = _hmac(_hmac(_hmac(("TC3" + self.secret_key).encode(), date), "sms"), "tc3_request")
        expected = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
        return hmac.compare_digest(expected, parts.get("Signature", ""))

    def handle(self, method, path, headers, body):
        request_id = str(uuid.uuid4())
        lower = {k.lower(): v for k, v in headers.items()}
        if not self.signature_ok(method, path, headers, body):
            return 200, {}, {"Response": {"Error": {"Code": "AuthFailure.SignatureFailure",
                                                    "Message": "The provided credentials could not be validated."},
                                          "RequestId": request_id}}
        req = json.loads(body or b"{}")
        self.record({"action": lower.get("x-tc-action"), "version": lower.get("x-tc-version"), "signed": True,
                     **{k: req.get(k) for k in ("PhoneNumberSet", "SmsSdkAppId", "SignName", "TemplateId",
                                                "TemplateParamSet")}})
        if self.mode == "down":
            return 200, {}, {"Response": {"Error": {"Code": "InternalError.Timeout", "Message": "请求下发短信超时"},
                                          "RequestId": request_id}}
        statuses = [{"SerialNo": f"5000:{uuid.uuid4().int % 10**20}", "PhoneNumber": n, "Fee": 1,
                     "SessionContext": "", "Code": "Ok", "Message": "send success", "IsoCode": "CN"}
                    for n in req.get("PhoneNumberSet") or []]
        if self.mode == "number":
            for s in statuses:
                s.update(SerialNo="", Fee=0, Code="InvalidParameterValue.IncorrectPhoneNumber",
                         Message="手机号格式错误")
        return 200, {}, {"Response": {"SendStatusSet": statuses, "RequestId": request_id}}
