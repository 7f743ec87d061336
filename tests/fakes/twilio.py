"""A fake Twilio REST API: ``POST /2010-04-01/Accounts/{sid}/Messages.json`` with basic
auth (account SID, auth token) and a form body. Records To, From / MessagingServiceSid and
Body. ``mode``: ``ok``; ``number`` (21211, invalid To); ``down`` (HTTP 503)."""
from __future__ import annotations

import base64
import uuid
from urllib.parse import parse_qsl

from .base import Fake


class TwilioApi(Fake):
    def __init__(self, account_sid: str, auth_token: str):
        self.sid, self.token = account_sid, auth_token
        super().__init__()

    def handle(self, method, path, headers, body):
        lower = {k.lower(): v for k, v in headers.items()}
        expected = "Basic " + base64.b64encode(f"{self.sid}:{self.token}".encode()).decode()
        if lower.get("authorization") != expected:
            return 401, {}, {"code": 20003, "message": "Authenticate", "status": 401}
        if method != "POST" or path != f"/2010-04-01/Accounts/{self.sid}/Messages.json":
            return 404, {}, {"code": 20404, "message": "The requested resource was not found", "status": 404}
        form = dict(parse_qsl(body.decode()))
        self.record({"To": form.get("To"), "From": form.get("From"), "MessagingServiceSid": form.get("MessagingServiceSid"),
                     "Body": form.get("Body"), "basic_auth": True})
        if self.mode == "down":
            return 503, {}, {"code": 20503, "message": "Service unavailable", "status": 503}
        if self.mode == "number":
            return 400, {}, {"code": 21211, "message": f"The 'To' number {form.get('To')} is not a valid phone number.",
                             "more_info": "https://www.twilio.com/docs/errors/21211", "status": 400}
        sid = "SM" + uuid.uuid4().hex
        return 201, {}, {"sid": sid, "account_sid": self.sid, "to": form.get("To"), "from": form.get("From"),
                         "messaging_service_sid": form.get("MessagingServiceSid"), "body": form.get("Body"),
                         "status": "queued", "num_segments": "1", "direction": "outbound-api",
                         "api_version": "2010-04-01", "uri": f"/2010-04-01/Accounts/{self.sid}/Messages/{sid}.json"}
