"""Password reset by email (LeanCloud's ``requestPasswordReset``): an email with a link to
verikit's reset page; the page's form sets the new password.

The link carries a complex (~186-bit), single-use code of its own purpose (``reset_email``,
30 minutes), spent by a conditional write when the form is sent: two submissions of one link
cannot both set a password. Opening the link spends nothing (mail scanners prefetch links).
The new password is checked as at sign-up before the code is spent; once it is set, every
session of the user ends and the address counts as verified (its owner just proved it).
"""
from __future__ import annotations

import dataclasses
from typing import Any, Optional

from .. import emails, purposes
from ..errors import MissingField, UserNotFound
from ..service import SendRequest
from .model import User


class EmailNotFound(UserNotFound):
    """No user has this email (said only with enumeration protection off)."""

    kind = "email_not_found"


class EmailReset:
    """Password reset by email, part of ``AccountService``."""

    def request_password_reset_email(self, app_id: str, raw_email: Any, client_ip=None, validate_token=None,
                                     link_base: Optional[str] = None) -> None:
        s = self._settings(app_id)
        if raw_email in (None, ""):
            raise MissingField("An email is required.", "email")
        address = emails.normalise(raw_email)
        user = self.users.find(app_id, "email", emails.key(address))
        if user is None and not s.enumeration_protection:
            raise EmailNotFound("No user with this email.")
        if user is None:
            self._read_like_a_user(app_id)  # the same reads, limits and time as a real send
        self.otp.send(SendRequest(app_id=app_id, phone=None, email=user.email if user else address, channel="email",
                                  purpose=purposes.RESET_EMAIL.name, client_ip=client_ip,
                                  validate_token=validate_token, link_base=link_base, deliver=user is not None))

    def reset_password_by_link(self, app_id: str, code: Any, password: Any, client_ip=None) -> User:
        """Spend the link's code and set ``password``; every session of the user ends."""
        s = self._settings(app_id)
        if password in (None, ""):
            raise MissingField("Password is required.", "password")
        self._password(password, s)  # checked before the code is spent
        target = self.otp.verify_by_code(app_id, code, purposes.RESET_EMAIL.name, client_ip)
        user = self.users.find(app_id, "email", emails.key(target))
        if user is None:
            raise UserNotFound("Could not find user.")
        new_hash = self.hasher.hash(password)

        def reset(u: User) -> User:
            if emails.key(u.email or "") != emails.key(target):  # the address changed since
                raise UserNotFound("Could not find user.")
            return dataclasses.replace(u, password_hash=new_hash, email_verified=True,
                                       session_epoch=u.session_epoch + 1, unproven=False)

        user = self._update(user, reset)
        self._clear_lockout(user)
        return user
