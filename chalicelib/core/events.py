"""The events port: how the core announces what happened, and asks before some of it.

The core calls two things and knows nothing of who listens:

- ``before(kind, user, **details) -> user``: a user is about to be logged in, created,
  changed or deleted (``BEFORE_KINDS``). An adapter may answer the user to use instead
  (a changed copy), or refuse by raising :class:`HookRefused` (the request fails with the
  hook's own code and message). ``details`` carry what the kind needs: ``updated_keys``
  for an update.
- ``after(kind, payload)``: something happened (``AFTER_KINDS``). Never raises and never
  waits on a listener: adapters queue it (``chalicelib/hooks``).

``NoEvents`` (the default) does nothing, so the core and its tests stay pure. The LeanEngine
hooks and the signed webhooks are adapters beside the dialects (``chalicelib/hooks``).
"""
from __future__ import annotations

from typing import Any, Protocol

# before-kinds: the user as it would be stored (or as found, for login/delete)
LOGIN = "login"              # credentials checked, no session issued yet (LeanEngine onLogin)
CREATE = "create"            # a new user (beforeSave)
UPDATE = "update"            # a changed user, with updated_keys (beforeUpdate)
DELETE = "delete"            # a user about to be deleted (beforeDelete)
AUTH_DATA = "auth_data"      # third-party authData about to be used (onAuthData); "user" is the authData
BEFORE_KINDS = (LOGIN, CREATE, UPDATE, DELETE, AUTH_DATA)

# after-kinds: the webhook event catalogue (README "Hooks and events"), plus "user.verified"
# (a phone or email just verified: LeanEngine's onVerified; not a webhook event of its own)
AFTER_KINDS = ("code.sent", "code.verified", "code.exhausted", "send.blocked", "user.created", "user.login",
               "user.updated", "user.deleted", "user.password_changed", "session.revoked", "import.finished")
USER_VERIFIED = "user.verified"


class HookRefused(Exception):
    """A before-hook said no (or could not be asked: ``failed``). ``code``/``message`` are
    what the client gets; ``status`` the HTTP status the hook answered with."""

    def __init__(self, code: int, message: str, status: int = 400, failed: bool = False):
        super().__init__(message)
        self.code, self.message, self.status, self.failed = code, message, status, failed


class Events(Protocol):
    def before(self, kind: str, user: dict, **details: Any) -> dict: ...

    def after(self, kind: str, payload: dict) -> None: ...


class NoEvents:
    """Nobody listens: ``before`` answers the user unchanged, ``after`` does nothing."""

    def before(self, kind: str, user: dict, **details: Any) -> dict:
        return user

    def after(self, kind: str, payload: dict) -> None:
        return None


class Recorder(NoEvents):
    """Keeps what was announced (core tests)."""

    def __init__(self):
        self.seen: list = []

    def before(self, kind: str, user: dict, **details: Any) -> dict:
        self.seen.append((kind, user, details))
        return user

    def after(self, kind: str, payload: dict) -> None:
        self.seen.append((kind, payload))


NONE = NoEvents()
