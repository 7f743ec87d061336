"""A fake Alibaba Cloud SMS endpoint (Dysmsapi 2017-05-25): ``SendSms`` as an RPC-style
POST whose parameters are in the query string, signed ACS3-HMAC-SHA256 (the SDK's default).
Checks the signature with the access key secret, records PhoneNumbers, SignName,
TemplateCode and TemplateParam, and answers like the service.

``mode``: ``ok``; ``number`` (isv.MOBILE_NUMBER_ILLEGAL); ``balance``
(isv.AMOUNT_NOT_ENOUGH); ``down`` (HTTP 503)."""
from __future__ import annotations

import hashlib
import hmac
import json
import uuid
from urllib.parse import parse_qsl, quote, urlsplit

from .base import Fake


class AliyunSms(Fake):
    def __init__(self, access_key_id: str, access_key_secret: str):
        self.key_id, self.secret = access_key_id, access_key_secret
        super().__init__()

    def signature_ok(self, method: str, path: str, headers: dict, body: bytes) -> bool:
        auth = headers.get("Authorization") or headers.get("authorization") or ""
        algo, _, rest = auth.partition(" ")
        parts = dict(p.split("=", 1) for p in rest.split(",") if "=" in p)
        if algo != "ACS3-HMAC-SHA256" or parts.get("Credential") != self.key_id:
            return False
        lower = {k.lower(): v for k, v in headers.items()}
        if lower.get("x-acs-content-sha256") != hashlib.sha256(body).hexdigest():
            return False
        signed = parts.get("SignedHeaders", "").split(";")
        url = urlsplit(path)
        query = sorted(parse_qsl(url.query, keep_blank_values=True))
        canonical_query = "&".join(f"{k}={quote(v, safe='~')}" for k, v in query)
        canonical_headers = "".join(f"{h}:{lower.get(h, '').strip()}\n" for h in signed)
        canonical = "\n".join([method, url.path or "/", canonical_query, canonical_headers, ";".join(signed),
                               hashlib.sha256(body).hexdigest()])
        to_sign = "ACS3-HMAC-SHA256\n" + hashlib.sha256(canonical.encode()).hexdigest()
        expected = hmac.new(self.secret.encode(), to_sign.encode(), hashlib.sha256).hexdigest()
        return hmac.compare_digest(expected, parts.get("Signature", ""))

    def handle(self, method, path, headers, body):
        request_id = str(uuid.uuid4()).upper()
        lower = {k.lower(): v for k, v in headers.items()}
        if not self.signature_ok(method, path, headers, body):
            return 400, {}, {"Code": "IncompleteSignature", "Message": "The request signature does not conform "
                             "to Aliyun standards.", "RequestId": request_id}
        q = dict(parse_qsl(urlsplit(path).query, keep_blank_values=True))
        self.record({"action": lower.get("x-acs-action"), "version": lower.get("x-acs-version"), "signed": True,
                     "PhoneNumbers": q.get("PhoneNumbers"), "SignName": q.get("SignName"),
                     "TemplateCode": q.get("TemplateCode"),
                     "TemplateParam": json.loads(q["TemplateParam"]) if q.get("TemplateParam") else None})
        if self.mode == "down":
            return 503, {}, {"Code": "ServiceUnavailable", "Message": "The request has failed due to a temporary "
                             "failure of the server.", "RequestId": request_id}
        if self.mode == "number":
            return 200, {}, {"Code": "isv.MOBILE_NUMBER_ILLEGAL", "Message": "非法手机号", "RequestId": request_id}
        if self.mode == "balance":
            return 200, {}, {"Code": "isv.AMOUNT_NOT_ENOUGH", "Message": "账户余额不足", "RequestId": request_id}
        return 200, {}, {"Code": "OK", "Message": "OK", "BizId": f"{uuid.uuid4().int % 10**18}^0",
                         "RequestId": request_id}
