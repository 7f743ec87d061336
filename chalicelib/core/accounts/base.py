"""Helpers every part of the user system shares: settings, conditional updates, the
login-failure guard, input checks."""
from __future__ import annotations

import dataclasses
import random
import re
import secrets
import time
from typing import Any, Callable, Optional

from .. import emails, limits, phone
from ..errors import Conflict, InvalidRequest, InvalidSession, LockedOut, RateLimited, UserNotFound
from ..passwords import MAX_LENGTH as PASSWORD_MAX
from .model import E164_LIKE, Session, Stale, User


class AccountBase:
    """The shared helpers of ``AccountService`` (its fields are declared there)."""

    # ---- helpers -------------------------------------------------------------------------

    def _settings(self, app_id: str):
        return self.config.get(app_id).settings

    def _update(self, user: User, change: Callable[[User], User], keep_session: Optional[Session] = None,
                sessions: Optional[Callable[[User], tuple]] = None) -> User:
        """Apply ``change`` to the freshest copy of the user and save it conditionally on
        its version; re-read and re-apply when another writer got there first."""
        for attempt in range(8):
            if keep_session is not None and user.session_epoch != keep_session.epoch:
                # the caller's session was revoked (a password reset) since it was checked
                raise InvalidSession("Invalid or expired session token.")
            after = change(user)
            if after == user:
                return user
            after = dataclasses.replace(after, version=user.version + 1, updated_at=self._now_ms())
            extra = sessions(after) if sessions else ()
            if keep_session is not None and after.session_epoch != user.session_epoch:
                extra += (dataclasses.replace(keep_session, epoch=after.session_epoch),)
            try:
                self.users.save(user, after, extra)
                return after
            except Stale:
                time.sleep(random.uniform(0.005, 0.02) * (attempt + 1))  # let the other writer finish
                fresh = self.users.get(user.app_id, user.object_id)
                if fresh is None:
                    raise UserNotFound("Could not find user.") from None
                user = fresh
        raise Conflict("the user is being changed by other requests; try again")

    def _guarded(self, user: User, check: Callable[[], Any]) -> None:
        """Run a password or code check behind the user's login-failure counter."""
        s = self._settings(user.app_id)
        now = int(self.clock.now())
        charge = limits.login_failures(user.app_id, user.object_id, s, now)
        try:
            self.limiter.charge([charge], now)
        except RateLimited as e:
            raise LockedOut("Too many failed attempts; try again later or reset the password.",
                            e.retry_after) from None
        check()  # raises on a wrong password or code: the charge stays
        self.limiter.clear(charge)

    def _clear_lockout(self, user: User) -> None:
        s = self._settings(user.app_id)
        now = int(self.clock.now())
        self.limiter.clear(limits.login_failures(user.app_id, user.object_id, s, now))

    def _now_ms(self) -> int:
        return int(self.clock.now() * 1000)

    @staticmethod
    def _new_id() -> str:
        return secrets.token_hex(12)  # 24 hex characters, like LeanCloud's objectIds

    @staticmethod
    def _username(value: Any, own_phone: Optional[str] = None, own_email: Optional[str] = None) -> str:
        if not isinstance(value, str):
            raise InvalidRequest("username must be a string")
        if not 1 <= len(value) <= 128 or not value.isprintable() or value != value.strip():
            raise InvalidRequest("username must be 1-128 printable characters without surrounding spaces")
        # sign-ups by phone or email default the username to it, and sign-in takes a phone or
        # an email as username: nobody may squat another's number or address
        if E164_LIKE.match(re.sub(r"[\s\-()]", "", value)) and value != own_phone:
            raise InvalidRequest("a username that looks like a phone number must be the user's own number")
        if "@" in value and (own_email is None or value.lower() != own_email.lower()):
            raise InvalidRequest("a username with @ must be the user's own email address")
        return value

    @staticmethod
    def _password(value: Any, s) -> str:
        if not isinstance(value, str):
            raise InvalidRequest("password must be a string")
        if not s.password_min_length <= len(value) <= PASSWORD_MAX:
            raise InvalidRequest(f"password must be {s.password_min_length}-{PASSWORD_MAX} characters")
        return value

    @staticmethod
    def _phone(value: Any, s) -> str:
        # storing a number is not sending to it: the region allowlist applies when sending
        return phone.normalise(value, s.default_region, ("*",)).e164

    @staticmethod
    def _email(value: Any) -> str:
        return emails.normalise(value)
