"""SMS through any other provider: a signed POST to the operator's URL (a "send SMS hook").

The body is JSON: ``{"type": "sms.send", "to", "text", "code", "channel", "locale",
"purpose", "template", "variables", "sign", "ttl_minutes"}``, signed per Standard Webhooks
(``chalicelib/signing.py``: ``webhook-id``, ``webhook-timestamp``, ``webhook-signature``) with
the ``whsec_`` secret. A 2xx answer means sent (its JSON ``message_id``, if any, is logged);
anything else, or no answer within the timeout, is a failed attempt (the next routed
provider is tried). URL and secret: ``VERIKIT_SEND_HOOK_URL`` / ``VERIKIT_SEND_HOOK_SECRET``
(or the ``hook`` secret in Secrets Manager).
"""
from __future__ import annotations

import json

from ..core.errors import SendFailed

TIMEOUT = 4.0  # seconds, connect + read
LOOPBACK = ("127.0.0.1", "localhost", "::1")


def payload(message) -> dict:
    return {"type": "sms.send", "to": message.to, "text": message.body, "code": message.code,
            "channel": message.channel, "locale": message.locale, "purpose": message.purpose,
            "template": message.template, "variables": dict(message.variables), "sign": message.sign,
            "ttl_minutes": message.ttl_minutes}


def check_url(url: str) -> None:
    """The hook carries codes: HTTPS only (plain HTTP to this machine, for local receivers)."""
    from urllib.parse import urlsplit

    from ..core.errors import FeatureDisabled

    u = urlsplit(url)
    if not u.hostname or not (u.scheme == "https" or (u.scheme == "http" and u.hostname in LOOPBACK)):
        raise FeatureDisabled("the send hook URL (VERIKIT_SEND_HOOK_URL) must be https:// (http:// only to "
                              "127.0.0.1 or localhost)")


class SendHook:
    name = "hook"

    def __init__(self, credentials, timeout: float = TIMEOUT):
        self._credentials = credentials
        self._timeout = timeout

    def send(self, message) -> str:
        import urllib.error
        import urllib.request

        from .. import deadline, signing

        creds = self._credentials()
        check_url(creds["url"])
        body = json.dumps(payload(message), ensure_ascii=False, separators=(",", ":"))
        headers = {"Content-Type": "application/json", "User-Agent": "verikit-send-hook",
                   **signing.headers(creds["secret"], body)}
        timeout = deadline.bounded(self._timeout)
        req = urllib.request.Request(creds["url"], data=body.encode("utf-8"), headers=headers, method="POST")
        try:
            with urllib.request.urlopen(req, timeout=timeout) as resp:
                answer = resp.read(4096)
                status = resp.status
        except urllib.error.HTTPError as e:
            raise SendFailed(f"SMS not sent: the send hook answered HTTP {e.code}", provider_error=f"http-{e.code}",
                             retry_after=5) from None
        except Exception as e:  # noqa: BLE001 - timeouts, refused connections, bad URLs
            raise SendFailed(f"SMS not sent: the send hook did not answer ({type(e).__name__})",
                             provider_error=type(e).__name__, retry_after=5) from None
        if not 200 <= status < 300:
            raise SendFailed(f"SMS not sent: the send hook answered HTTP {status}", provider_error=f"http-{status}")
        try:
            message_id = json.loads(answer or b"{}").get("message_id") or ""
        except (ValueError, AttributeError):
            message_id = ""
        return str(message_id)[:200] or headers["webhook-id"]
