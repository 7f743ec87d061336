"""One small HTTP POST for hooks and webhooks (urllib: nothing to package; no redirects)."""
from __future__ import annotations

import json
import time
import urllib.error
import urllib.request

from ..core.record import Record


class Answer(Record, frozen=True):
    status: int | None        # None: no HTTP answer (refused, timed out, DNS...)
    body: bytes
    latency_ms: int
    error: str | None = None  # why there was no answer, or a short reason for a bad one

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300

    def json(self):
        try:
            return json.loads(self.body.decode("utf-8")) if self.body else None
        except (ValueError, UnicodeDecodeError):
            return None


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):  # a redirect is an answer, not followed
        return None


_opener = urllib.request.build_opener(_NoRedirect)
MAX_BODY = 64 * 1024


def post(url: str, body: str, headers: dict, timeout: float) -> Answer:
    req = urllib.request.Request(url, data=body.encode("utf-8"), method="POST",
                                 headers={"Content-Type": "application/json", "User-Agent": "verikit-hooks/1",
                                          **headers})
    start = time.monotonic()
    try:
        with _opener.open(req, timeout=timeout) as resp:
            data = resp.read(MAX_BODY)
            return Answer(resp.status, data, _ms(start))
    except urllib.error.HTTPError as e:
        data = e.read(MAX_BODY) if e.fp else b""
        return Answer(e.code, data, _ms(start), f"HTTP {e.code}")
    except (TimeoutError, OSError, urllib.error.URLError, ValueError) as e:
        reason = getattr(e, "reason", e)
        kind = "timeout" if isinstance(reason, TimeoutError) or "timed out" in str(reason) else type(reason).__name__
        return Answer(None, b"", _ms(start), f"{kind}: {str(reason)[:200]}")


def _ms(start: float) -> int:
    return int((time.monotonic() - start) * 1000)
