"""Standard Webhooks signing (https://www.standardwebhooks.com), with the reference library.

Shared by everything verikit sends to someone else's server that must prove it came from
verikit: the event webhooks (``chalicelib/hooks``) and a signed send hook. Headers:
``webhook-id`` (the message id, the same on every retry: receivers de-duplicate on it),
``webhook-timestamp`` (unix seconds of this attempt) and ``webhook-signature``
(``v1,<base64 HMAC-SHA256 of "id.timestamp.body">``, space-separated when more than one
secret signs, as during a rotation).
"""
from __future__ import annotations

import base64
import secrets as _secrets
from datetime import datetime, timezone

PREFIX = "whsec_"


def new_secret() -> str:
    """A fresh ``whsec_`` secret: 32 random bytes, base64 (what the libraries accept)."""
    return PREFIX + base64.b64encode(_secrets.token_bytes(32)).decode()


def valid_secret(value: str) -> bool:
    if not isinstance(value, str) or not value.startswith(PREFIX):
        return False
    try:
        return len(base64.b64decode(value[len(PREFIX):], validate=True)) >= 24
    except ValueError:
        return False


def sign(msg_id: str, timestamp: float, body: str, secrets: list) -> dict:
    """The three Standard Webhooks headers for ``body`` sent at ``timestamp``, signed by
    each of ``secrets`` (the current one first)."""
    from standardwebhooks.webhooks import Webhook

    when = datetime.fromtimestamp(int(timestamp), tz=timezone.utc)
    signatures = " ".join(Webhook(s).sign(msg_id=msg_id, timestamp=when, data=body) for s in secrets if s)
    return {"webhook-id": msg_id, "webhook-timestamp": str(int(timestamp)), "webhook-signature": signatures}
