"""A fake receiver of verikit's send hook: checks each POST's Standard Webhooks signature
with the ``standardwebhooks`` library and records the payload. ``mode``: ``ok`` (200 with a
message id); ``down`` (HTTP 500); ``slow`` (answers after ``delay`` seconds)."""
from __future__ import annotations

import json
import time

from .base import Fake


class SendHookReceiver(Fake):
    def __init__(self, secret: str, delay: float = 0.0):
        self.secret, self.delay = secret, delay
        super().__init__()

    def handle(self, method, path, headers, body):
        from standardwebhooks.webhooks import Webhook, WebhookVerificationError

        try:
            payload = Webhook(self.secret).verify(body, headers)
        except WebhookVerificationError as e:
            self.record({"verified": False, "error": str(e)})
            return 401, {}, {"error": "bad signature"}
        self.record({"verified": True, "payload": payload, "webhook-id": headers.get("webhook-id")})
        if self.mode == "slow":
            time.sleep(self.delay)
        if self.mode == "down":
            return 500, {}, {"error": "down"}
        return 200, {}, json.dumps({"message_id": "hook-" + str(len(self.received))}).encode()
