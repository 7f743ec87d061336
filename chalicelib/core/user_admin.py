"""What an operator does to users from the console (``/admin/v1/users...``): find one by
phone, email, username or objectId; see the record without secrets; end every session;
lift a login lockout; delete the user.

Pure domain over the same ``UserStore`` and ``Limiter`` as the user system (plus the
store's ``delete`` and the limiter's ``look``). Every write is conditional, as elsewhere:
ending the sessions bumps the user's ``session_epoch`` under a condition on the version
read, and a deletion removes the user and its uniqueness claims in one transaction.
"""
from __future__ import annotations

import dataclasses
import random
import re
import time
from dataclasses import dataclass, field
from typing import Any, Optional

from . import emails, limits, phone
from .config import ConfigProvider
from .errors import Conflict, InvalidEmail, InvalidPhoneNumber, InvalidRequest, UserNotFound
from .events import DELETE, NoEvents

FIELDS = ("phone", "email", "username", "objectId")
OBJECT_ID = re.compile(r"^[A-Za-z0-9]{1,64}$")


@dataclass
class UserAdmin:
    users: Any          # core.accounts.UserStore with delete(user)
    limiter: Any        # core.limits.Limiter with look(charge)
    config: ConfigProvider
    clock: Any
    events: Any = field(default_factory=NoEvents)  # core/events.py
    def find(self, app_id: str, by: str, value: Any) -> Optional[Any]:
        """The user whose ``by`` (phone, email, username, objectId) is ``value``, or None."""
        if by not in FIELDS:
            raise InvalidRequest(f"find users by one of {', '.join(FIELDS)}")
        if not isinstance(value, str) or not value.strip() or len(value) > 256:
            raise InvalidRequest(f"{by} must be a non-empty string of at most 256 characters")
        s = self.config.get(app_id).settings
        if by == "objectId":
            value = value.strip()
            return self.users.get(app_id, value) if OBJECT_ID.match(value) else None
        if by == "phone":
            try:
                return self.users.find(app_id, "phone", phone.lenient(value, s.default_region))
            except InvalidPhoneNumber:
                raise InvalidRequest(f"not a phone number: {value.strip()!r}") from None
        if by == "email":
            try:
                return self.users.find(app_id, "email", emails.key(emails.normalise(value)))
            except InvalidEmail:
                raise InvalidRequest(f"not an email address: {value.strip()!r}") from None
        return self.users.find(app_id, "username", value)

    def get(self, app_id: str, object_id: Any) -> Any:
        user = self.users.get(app_id, object_id) if isinstance(object_id, str) and OBJECT_ID.match(object_id) else None
        if user is None:
            raise UserNotFound("Could not find user.")
        return user

    def lockout(self, user) -> dict:
        """The user's login failures (the sliding window's estimate), and whether they lock it out."""
        s = self.config.get(user.app_id).settings
        now = int(self.clock.now())
        charge = self.limiter.look(limits.login_failures(user.app_id, user.object_id, s, now))
        failures = charge.used(now)  # the sliding window's estimate (core/sliding.py)
        return {"failures": failures, "max_failures": charge.limit, "locked": failures >= charge.limit,
                "retry_after": charge.retry_after(now) if failures >= charge.limit else 0}

    def lift_lockout(self, app_id: str, object_id: Any) -> Any:
        user = self.get(app_id, object_id)
        s = self.config.get(app_id).settings
        self.limiter.clear(limits.login_failures(app_id, user.object_id, s, int(self.clock.now())))
        return user

    def revoke_sessions(self, app_id: str, object_id: Any) -> Any:
        """End every session, access and refresh token of the user (they carry the epoch)."""
        from .accounts import Stale

        user = self.get(app_id, object_id)
        for attempt in range(8):
            after = dataclasses.replace(user, session_epoch=user.session_epoch + 1, version=user.version + 1,
                                        updated_at=int(self.clock.now() * 1000))
            try:
                self.users.save(user, after)
                self.events.after("session.revoked", {"userId": user.object_id, "reason": "revoked"})  # events:
                return after
            except Stale:
                time.sleep(random.uniform(0.005, 0.02) * (attempt + 1))
                user = self.get(app_id, object_id)
        raise Conflict("the user is being changed by other requests; try again")

    def delete(self, app_id: str, object_id: Any) -> None:
        """Delete the user and free its username, phone and email, or change nothing."""
        from .accounts import Stale

        user = self.get(app_id, object_id)
        self.events.before(DELETE, user)  # events: LeanEngine beforeDelete may refuse
        for attempt in range(8):
            try:
                self.users.delete(user)
                self.events.after("user.deleted", {"user": user})  # events: user.deleted, afterDelete
                return
            except Stale:
                time.sleep(random.uniform(0.005, 0.02) * (attempt + 1))
                user = self.get(app_id, object_id)  # gone meanwhile: UserNotFound
        raise Conflict("the user is being changed by other requests; try again")

