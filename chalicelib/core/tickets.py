"""Verification tickets (CloudBase's ``/auth/v1/verification`` flow), dialect-free:

1. ``start``: send a 6-digit code to a phone or email and return a ``verification_id``
   the code is bound to (a new id for each send; the code verifies only with its id);
2. ``confirm``: the id and the code give a ``verification_token`` (the code is spent);
3. ``redeem``: sign-up or sign-in spends the token, once, for the same target.

Ids and tokens carry their target (base64) so that no lookup is needed to find it; they
are bound to it by keyed hashes, so a forged target never verifies.
"""
from __future__ import annotations

import base64
import secrets
from dataclasses import dataclass
from typing import Any, Optional

from . import codes, emails, phone, purposes
from .codes import CodeRecord
from .errors import InvalidCode, InvalidEmail, InvalidPhoneNumber, InvalidRequest, Taken, UserNotFound
from .service import SendRequest

TOKEN_PURPOSE = "verification_token"


def _pack(target: str) -> str:
    return base64.urlsafe_b64encode(target.encode()).decode().rstrip("=") + "." + secrets.token_urlsafe(24)


def _unpack(value: Any) -> Optional[str]:
    if not isinstance(value, str) or len(value) > 400 or "." not in value:
        return None
    head = value.split(".", 1)[0]
    try:
        return base64.urlsafe_b64decode(head + "=" * (-len(head) % 4)).decode()
    except (ValueError, UnicodeDecodeError):
        return None


@dataclass(frozen=True)
class Started:
    verification_id: str
    expires_in: int
    is_user: bool


@dataclass
class VerificationService:
    accounts: Any      # core.accounts.AccountService (its users, otp, clock, secret)

    def target_of(self, app_id: str, phone_number: Any, email: Any) -> str:
        """Exactly one of a phone number (``+86 138...``, space optional) or an email."""
        if (phone_number in (None, "")) == (email in (None, "")):
            raise InvalidRequest("give exactly one of phone_number and email")
        s = self.accounts.config.get(app_id).settings
        if phone_number not in (None, ""):
            return phone.normalise(phone_number, s.default_region, s.allowed_regions).e164
        return emails.normalise(email)

    def user_of(self, app_id: str, target: str):
        if emails.is_email(target):
            return self.accounts.users.find(app_id, "email", emails.key(target))
        return self.accounts.users.find(app_id, "phone", target)

    def start(self, app_id: str, target: str, mode: str = "ANY", client_ip=None, captcha_token=None) -> Started:
        if mode not in ("ANY", "USER", "NOT_USER"):
            raise InvalidRequest("target must be ANY, USER or NOT_USER")
        found = {}

        def gate():
            # only once the CAPTCHA is spent and the limits are charged: an answer that
            # says whether a user exists is never free
            user = found["user"] = self.user_of(app_id, target)
            if mode == "USER" and user is None:
                raise UserNotFound("User does not exist")
            if mode == "NOT_USER" and user is not None:
                raise Taken("User already exists", "email" if emails.is_email(target) else "phone")

        vid = _pack(target)
        is_email = emails.is_email(target)
        result = self.accounts.otp.send(SendRequest(
            app_id=app_id, phone=None if is_email else target, email=target if is_email else None,
            channel="email" if is_email else "sms", purpose=purposes.VERIFICATION.name,
            client_ip=client_ip, validate_token=captcha_token, subject=vid, gate=gate))
        return Started(verification_id=vid, expires_in=result.ttl_seconds, is_user=found["user"] is not None)

    def confirm(self, app_id: str, verification_id: Any, code: Any) -> tuple:
        """(verification_token, expires_in) for a right code; the code is spent."""
        target = _unpack(verification_id)
        if target is None:
            raise InvalidCode("invalid verification_id")
        try:
            self.accounts.otp.verify(app_id, target, code, purposes.VERIFICATION.name, subject=verification_id)
        except (InvalidPhoneNumber, InvalidEmail):  # a forged id: not a target at all
            raise InvalidCode("invalid verification_id") from None
        s = self.accounts.config.get(app_id).settings
        token = _pack(self._key(target))
        now = int(self.accounts.clock.now())
        h = self._hash(app_id, token)
        self.accounts.otp.store.issue(CodeRecord(
            key=codes.code_key(app_id, TOKEN_PURPOSE, h[:32]), app_id=app_id, purpose=TOKEN_PURPOSE,
            target=self._key(target), channel="token", code_hash=h, created_at=now,
            expires_at=now + s.verification_token_ttl_seconds, max_attempts=1), [], now)
        return token, s.verification_token_ttl_seconds

    def check(self, app_id: str, token: Any, expected: Optional[str] = None) -> str:
        """The target of a live, unused token, without spending it (so that callers can
        refuse a request before they look anything up, and spend the token last)."""
        target = self._target(token, expected)
        h = self._hash(app_id, token)
        state = self.accounts.otp.store.peek(codes.code_key(app_id, TOKEN_PURPOSE, h[:32]))
        now = int(self.accounts.clock.now())
        if state.consumed or state.expires_at <= now or not codes.same(state.code_hash or "-", h):
            raise InvalidCode("invalid or expired verification_token")
        return target

    def redeem(self, app_id: str, token: Any, expected: Optional[str] = None) -> str:
        """Spend a verification token; return its target (E.164 or lower-cased email). With
        ``expected``, the token must be for that target. Single use: one conditional write
        (it checks the hash, the expiry and that the token is unused)."""
        target = self._target(token, expected)
        h = self._hash(app_id, token)
        now = int(self.accounts.clock.now())
        if self.accounts.otp.store.guess(codes.code_key(app_id, TOKEN_PURPOSE, h[:32]), h, now) is not None:
            raise InvalidCode("invalid or expired verification_token")
        return target

    def _target(self, token: Any, expected: Optional[str]) -> str:
        target = _unpack(token)
        if target is None:
            raise InvalidCode("invalid verification_token")
        if expected is not None and self._key(expected) != target:
            raise InvalidCode("the verification_token is for another phone number or email")
        return target

    def _hash(self, app_id: str, token: str) -> str:
        return codes.keyed_hash(self.accounts.secret, TOKEN_PURPOSE, app_id, token)

    @staticmethod
    def _key(target: str) -> str:
        return emails.key(target) if emails.is_email(target) else target
