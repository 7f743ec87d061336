"""The interfaces the OTP service sits on (``Protocol`` ports), and the small values that
cross them. ``core/service.py`` holds the service alone; ``store/`` and ``channels/``
implement these."""
from __future__ import annotations

from dataclasses import field
from typing import Mapping, Optional, Protocol

from .codes import CodeRecord, StoredCode
from .record import Record


class CodeStore(Protocol):
    def issue(self, record: Optional[CodeRecord], charges: list, now: int, also: tuple = ()) -> None:
        """Charge every counter, write the code (if any) and the ``also`` operations (the
        send-log entry) atomically, or raise RateLimited naming the limit that refused."""

    def guess(self, key: str, presented: str, now: int, spent: Optional[dict] = None) -> Optional[StoredCode]:
        """Charge one attempt against the code under ``key`` and judge ``presented`` in one
        conditional write (live, under its attempt limit, unspent); the code is spent
        exactly when the guess is right.

        Returns None when this guess spent the code (or when it repeats the guess that
        spent it: ``spent["again"]``); otherwise the code's state (``MISSING`` when there
        is no code)."""

    def find(self, lookup_key: str, now: int) -> Optional[tuple]:
        """(code key, target) of the live code indexed under ``lookup_key``, if any."""

    def peek(self, key: str) -> StoredCode:
        """The state of the code under ``key`` (``MISSING`` if none), changing nothing."""

    def discard(self, key: str, code_hash: str) -> None:
        """Delete the code if it is still the one with ``code_hash``."""


MISSING = StoredCode(code_hash="", expires_at=0, attempts=0, max_attempts=0, consumed=False)


class OutgoingMessage(Record, frozen=True):
    channel: str      # "sms" | "voice" | "email"
    to: str           # E.164, or an email address
    body: str         # exactly what the person reads or hears (an email's text part)
    purpose: str
    sender_id: str = ""
    locale: str = "en"
    subject: str = ""  # email only
    html: str = ""     # email only
    # routed SMS (core/routing.py): the providers to try, and what template providers send
    route: tuple = ()            # provider names, in order (empty: the channel's own provider)
    template: str = ""           # the purpose or template name the template ids were looked up by
    template_ids: Mapping[str, str] = field(default_factory=dict)  # provider -> its template id
    sign: str = ""               # the sign name template providers send
    code: str = ""
    ttl_minutes: int = 0
    variables: Mapping[str, object] = field(default_factory=dict)  # the request's variables
    variable_order: tuple = ()   # their order in the template (Tencent's TemplateParamSet)


class Channel(Protocol):
    def send(self, message: OutgoingMessage) -> str:
        """Deliver, return the provider's message id, or raise SendFailed."""


class LogEntry(Record, frozen=True):
    app_id: str
    to_key: str        # keyed hash of the number: queryable, not readable
    to_masked: str
    channel: str
    purpose: str
    template: str
    outcome: str       # sent | failed | rate_limited | test_number | suppressed
    at: float
    retention_days: int
    provider_id: str = ""
    error: str = ""
    count: int = 1     # refused sends: how many this entry stands for (core/refusals.py)
    provider: str = ""  # who carried (or failed) this attempt: sns, aliyun, ... (core/delivery.py)


class SendLog(Protocol):
    def record(self, entry: LogEntry) -> None: ...


class NoLog:
    def record(self, entry: LogEntry) -> None:
        pass


class SendResult(Record, frozen=True):
    to: str
    expires_at: Optional[int]  # None for notifications, which issue no code
    message_id: str
    ttl_seconds: int = 0       # the code's lifetime (0 when no code was issued)
