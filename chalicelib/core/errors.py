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


class InvalidEmail(VerikitError):
    """Not an email address we can send to."""

    kind = "invalid_email"


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


# ---- the user system ---------------------------------------------------------------------

class MissingField(VerikitError):
    """A required field is absent: ``field`` is username, password or phone."""

    kind = "missing_field"

    def __init__(self, message: str, field: str):
        super().__init__(message, field=field)
        self.field = field


class Taken(VerikitError):
    """A unique field (username, phone, email) already belongs to another user."""

    kind = "taken"

    def __init__(self, message: str, field: str):
        super().__init__(message, field=field)
        self.field = field


class UserNotFound(VerikitError):
    """No user has this username, id or email."""

    kind = "user_not_found"


class PhoneNotFound(VerikitError):
    """No user has this phone number (only said where the app allows saying it)."""

    kind = "phone_not_found"


class BadCredentials(VerikitError):
    """Username (or phone, or email) and password do not match."""

    kind = "bad_credentials"


class PhoneNotVerified(VerikitError):
    kind = "phone_not_verified"


class LockedOut(VerikitError):
    """Too many failed logins for this user; try again after ``retry_after`` seconds."""

    kind = "locked_out"

    def __init__(self, message: str, retry_after: int):
        super().__init__(message, retry_after=retry_after)
        self.retry_after = retry_after


class SessionRequired(VerikitError):
    """The call needs the user's own session (or the master key)."""

    kind = "session_required"


class InvalidSession(VerikitError):
    """The session token is unknown, expired or revoked."""

    kind = "invalid_session"


class NotVerified(VerikitError):
    """``only_verified_users`` is on and this user is not verified."""

    kind = "not_verified"


class Unavailable(Conflict):
    """A dependency (DynamoDB) is throttling, conflicting or too slow for the request's time
    budget: nothing was changed that the caller must know of; try again after ``retry_after``."""

    kind = "unavailable"

    def __init__(self, message: str, retry_after: int = 1):
        super().__init__(message, retry_after=retry_after)
        self.retry_after = retry_after
