"""Standard Webhooks signing (https://www.standardwebhooks.com), shared by every outgoing
signed request: the SMS send hook (``channels/sendhook.py``) and event webhooks.

``headers(secret, body)`` gives the ``webhook-id``, ``webhook-timestamp`` and
``webhook-signature`` headers of one request, signed with the ``standardwebhooks`` library
(``v1,`` + base64 HMAC-SHA256 of ``id.timestamp.body``). The secret is the receiver's
``whsec_``-prefixed base64 key. The timestamp is the real time: receivers check it against
their clock (5 minutes' tolerance), so it is never an injected or fixed one.
"""
from __future__ import annotations

import secrets as _secrets
import time
from datetime import datetime, timezone


def new_secret() -> str:
    """A fresh ``whsec_`` secret (24 random bytes), as receivers expect one."""
    import base64

    return "whsec_" + base64.b64encode(_secrets.token_bytes(24)).decode()


def headers(secret: str, body: str, msg_id: str | None = None, now: float | None = None) -> dict:
    """The three Standard Webhooks headers of a request with ``body`` (the exact text sent)."""
    from standardwebhooks.webhooks import Webhook

    msg_id = msg_id or "msg_" + _secrets.token_hex(12)
    ts = int(time.time() if now is None else now)
    signature = Webhook(secret).sign(msg_id, datetime.fromtimestamp(ts, tz=timezone.utc), body)
    return {"webhook-id": msg_id, "webhook-timestamp": str(ts), "webhook-signature": signature}
