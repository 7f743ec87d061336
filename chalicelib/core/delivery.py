"""What a delivery did: the provider that carried a message, its message id, and every
attempt on the way (a routed SMS may try several providers, ``channels/router.py``).

A channel's ``send`` returns a provider message id (a ``str``) or a ``Delivery``; a
``SendFailed`` it raises may carry the failed attempts in ``attempts``. The service logs
one send-log entry per attempt and counts each on its provider (``record``).
"""
from __future__ import annotations

import contextvars

from .record import Record

# the provider and message id of the request's delivered message, for its log line
# (dialects/http.py): the send log does not wait for them, its entry is written before the
# provider answers (core/sending.py)
SENT: contextvars.ContextVar = contextvars.ContextVar("verikit_sent", default=None)

# the provider of a channel that is not routed
DEFAULT_PROVIDER = {"sms": "sns", "voice": "sms-voice", "email": "ses"}


class Attempt(Record, frozen=True):
    provider: str
    outcome: str          # sent | failed
    message_id: str = ""
    error: str = ""       # the provider's error code (failed attempts)


class Delivery(Record, frozen=True):
    provider: str
    message_id: str
    attempts: tuple = ()  # every Attempt, the successful one last


def delivered(result, channel: str) -> Delivery:
    """A channel's answer as a Delivery (a plain message id: one attempt on the channel's provider)."""
    if isinstance(result, Delivery):
        return result
    provider = DEFAULT_PROVIDER.get(channel, channel)
    return Delivery(provider, result, (Attempt(provider, "sent", result),))


def failed_attempts(error, channel: str) -> tuple:
    """The attempts of a failed send (a SendFailed from a routed channel carries them)."""
    attempts = getattr(error, "attempts", None)
    if attempts:
        return tuple(attempts)
    code = error.details.get("provider_error", error.message) if hasattr(error, "details") else str(error)
    return (Attempt(DEFAULT_PROVIDER.get(channel, channel), "failed", "", code),)


def record(log, stats, metrics, entry_of, app_id: str, attempts: tuple, labels: dict, clock) -> None:
    """One send-log entry per attempt (``entry_of(attempt, at)`` makes it); each attempt
    counted on its provider (stats rows, best effort: the message went out or failed
    already) and each failed one as a metric."""
    at = clock.now()
    for i, a in enumerate(attempts):  # a millisecond apart: the log lists them in the order they were made
        log.record(entry_of(a, at + i / 1000))
    count = getattr(stats, "count_attempts", None)
    if count is not None and attempts:
        try:
            count(app_id, attempts, int(clock.now()))
        except Exception as e:  # noqa: BLE001 - a failure to count is not the caller's failure
            import logging
            logging.getLogger("verikit").warning("could not count provider attempts: %s", type(e).__name__)
    if metrics is not None:
        for a in attempts:
            if a.outcome == "failed":
                metrics("ProviderFailed", labels.get("channel", "none"), labels.get("country", "none"), a.provider)
