"""What the user system tells the events port (``core/events.py``), part of ``AccountService``.

Each call site in the other modules is one line marked ``# events:``; the rules live here:
onLogin after the credentials check and before a session is issued (a refusal raises
``HookRefused``), beforeSave/beforeUpdate answer the user to store, and the after-events
(``user.created``, ``user.login``, ``user.updated``, ``user.password_changed``,
``session.revoked``, ``user.verified`` for LeanEngine's onVerified) are only queued.
"""
from __future__ import annotations

from typing import Iterable

from ..events import CREATE, LOGIN, UPDATE, USER_VERIFIED
from .model import User

# core field names as the wire (LeanCloud) names them, for _updatedKeys / updatedKeys
WIRE = {"phone": "mobilePhoneNumber", "phone_verified": "mobilePhoneVerified", "email_verified": "emailVerified"}


class Announce:
    def _on_login(self, user: User, method: str) -> User:
        """LeanEngine onLogin may refuse (raises); then ``user.login`` is queued."""
        self.events.before(LOGIN, user)
        self.events.after("user.login", {"user": user, "method": method})
        return user

    def _before_create(self, user: User) -> User:
        return self.events.before(CREATE, user)

    def _created(self, user: User) -> None:
        self.events.after("user.created", {"user": user})
        self._verified_now(None, user)

    def _before_update(self, user: User, keys: Iterable[str]) -> User:
        return self.events.before(UPDATE, user, updated_keys=wire_keys(keys))

    def _updated(self, before: User, after: User, keys: Iterable[str]) -> None:
        if after is before:
            return
        self.events.after("user.updated", {"user": after, "updated_keys": wire_keys(keys)})
        self._password_changed(before, after, "password_changed")
        self._verified_now(before, after)

    def _password_changed(self, before: User, after: User, reason: str) -> None:
        if after.password_hash != before.password_hash:
            self.events.after("user.password_changed", {"user": after})
        if after.session_epoch != before.session_epoch:
            self.events.after("session.revoked", {"userId": after.object_id, "reason": reason})

    def _verified_now(self, before, after: User) -> None:
        """LeanEngine's onVerified('sms' | 'email') for a phone or email that just became verified."""
        if after.phone_verified and not (before and before.phone_verified and before.phone == after.phone):
            self.events.after(USER_VERIFIED, {"user": after, "channel": "sms"})
        if after.email_verified and not (before and before.email_verified and before.email == after.email):
            self.events.after(USER_VERIFIED, {"user": after, "channel": "email"})


def wire_keys(keys: Iterable[str]) -> list:
    out = []
    for k in keys:
        k = "password" if k == "password_hash" else WIRE.get(k, k)
        if k not in out:
            out.append(k)
    return out
