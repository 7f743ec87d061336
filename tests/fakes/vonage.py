"""A fake Vonage (Nexmo) SMS API over HTTPS (the SDK speaks nothing else; the certificate is
a throwaway one the client trusts through REQUESTS_CA_BUNDLE): ``POST /sms/json`` with basic
auth (api key, api secret) and a form body. Records to, from and text. ``mode``: ``ok``;
``number`` (status 6, unroutable); ``down`` (status 5, internal error)."""
from __future__ import annotations

import base64
import uuid
from urllib.parse import parse_qsl

from .base import Fake


class VonageSms(Fake):
    def __init__(self, api_key: str, api_secret: str):
        self.key, self.secret = api_key, api_secret
        super().__init__(tls=True)

    def handle(self, method, path, headers, body):
        lower = {k.lower(): v for k, v in headers.items()}
        expected = "Basic " + base64.b64encode(f"{self.key}:{self.secret}".encode()).decode()
        if lower.get("authorization") != expected:
            return 401, {}, {"type": "https://developer.nexmo.com/api-errors#unauthorized", "title": "Unauthorized"}
        form = dict(parse_qsl(body.decode()))
        self.record({"to": form.get("to"), "from": form.get("from"), "text": form.get("text"), "basic_auth": True,
                     "path": path})
        status, error = {"down": ("5", "Internal Error"), "number": ("6", "Unroutable message - rejected")}.get(
            self.mode, ("0", ""))
        msg = {"to": form.get("to"), "status": status}
        if status == "0":
            msg.update({"message-id": uuid.uuid4().hex.upper()[:16], "remaining-balance": "10.00",
                        "message-price": "0.03", "network": "23410"})
        else:
            msg["error-text"] = error
        return 200, {}, {"message-count": "1", "messages": [msg]}
