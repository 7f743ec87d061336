"""Domain errors. Dialects translate these into their own wire format."""
from __future__ import annotations


class VerikitError(Exception):
    """Base class. ``kind`` is a stable symbolic name dialects map to their codes."""

    kind = "error"

    def __init__(self, message: str, **details):
        super().__init__(message)
        self.message = message
        self.details = details


class InvalidRequest(VerikitError):
    """A parameter is missing, has the wrong type or is out of range."""

    kind = "invalid_request"


class InvalidPhoneNumber(VerikitError):
    """Unparseable, impossible, not a mobile number, or a region we do not serve."""

    kind = "invalid_phone_number"


class RateLimited(VerikitError):
    """A send was refused by a rate limit; nothing was sent and no code changed."""

    kind = "rate_limited"

    def __init__(self, message: str, limit: str, retry_after: int):
        super().__init__(message, limit=limit, retry_after=retry_after)
        self.limit = limit
        self.retry_after = retry_after


class InvalidCode(VerikitError):
    """The code is wrong, expired, already used or dead after too many attempts.

    Deliberately one error for all four: telling them apart helps an attacker.
    """

    kind = "invalid_code"


class FeatureDisabled(VerikitError):
    kind = "disabled"


class SendFailed(VerikitError):
    """The provider refused or failed to deliver the message."""

    kind = "send_failed"


class Conflict(VerikitError):
    """Too much contention on one item; the caller may retry."""

    kind = "conflict"
