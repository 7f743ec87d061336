"""The local dev outbox: what verikit "sent", readable at ``GET /dev/outbox``.

Local mode only. SMS still go through the real SNS code path (into moto); voice cannot,
because moto does not implement pinpoint-sms-voice-v2, so voice is recorded here only.
"""
from __future__ import annotations

import threading
import time
import uuid
from datetime import datetime, timezone

from ..core.service import OutgoingMessage


class Outbox:
    def __init__(self):
        self._lock = threading.Lock()
        self._items: list = []

    def record(self, message: OutgoingMessage, message_id: str, extra: dict | None = None) -> None:
        sent_at = datetime.fromtimestamp(time.time(), tz=timezone.utc)
        entry = {"channel": message.channel, "to": message.to, "body": message.body,
                 "sent_at": sent_at.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
                 "message_id": message_id, "purpose": message.purpose}
        if message.channel == "email":
            entry.update(subject=message.subject, html=message.html)
        if extra:  # a routed SMS: the provider, and a template provider's sign, template id, parameters
            entry.update(extra)
        with self._lock:
            self._items.append(entry)

    def list(self, to: str | None = None) -> list:
        to = to.lower() if to and "@" in to else to
        with self._lock:
            return [dict(e) for e in self._items
                    if to is None or e["to"] == to or ("@" in e["to"] and e["to"].lower() == to)]

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


class Recording:
    """Wraps a channel: records each message it sent successfully. ``delay`` (seconds) makes
    every send take that much longer, as a slow provider would (``VERIKIT_DEV_PROVIDER_DELAY_MS``
    under ``make run``, for benchmarks)."""

    def __init__(self, inner, outbox: Outbox, delay: float = 0.0, provider: str = ""):
        self._inner, self._outbox, self._delay, self._provider = inner, outbox, delay, provider

    def send(self, message: OutgoingMessage) -> str:
        if self._delay:
            time.sleep(self._delay)
        message_id = self._inner.send(message)
        extra = {"provider": self._provider} if self._provider else None
        if extra is not None and hasattr(self._inner, "request"):
            extra.update(self._inner.request(message))
        self._outbox.record(message, message_id, extra)
        return message_id


class RecordOnly:
    """A channel with no provider behind it locally (voice): recording is the send."""

    def __init__(self, outbox: Outbox, delay: float = 0.0):
        self._outbox, self._delay = outbox, delay

    def send(self, message: OutgoingMessage) -> str:
        if self._delay:
            time.sleep(self._delay)
        message_id = f"local-{uuid.uuid4()}"
        self._outbox.record(message, message_id)
        return message_id
