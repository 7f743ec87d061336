"""The user system over phone numbers: sign-up, login, sessions, verify and change phone,
reset password. Pure domain: it sits on a ``UserStore``, the OTP service, a ``Limiter``
and a password hasher, and knows nothing of DynamoDB or of any wire format.

Rules that must hold under concurrency are conditions on writes in the store:
- username, phone and email are unique per app through claim items written in the same
  transaction as the user (two sign-ups with one phone cannot both win);
- every user update is conditional on the version read, so none is lost;
- a session is valid only while its epoch equals the user's ``session_epoch``: a password
  reset bumps the epoch and so revokes every session at once;
- login attempts are charged against a per-user counter before the password or code is
  checked (``limits.login_failures``), so lockout holds however many requests race.
"""
from __future__ import annotations

import dataclasses
import random
import re
import secrets
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping, Optional, Protocol

from . import codes, emails, limits, phone, purposes
from .clock import SystemClock
from .config import ConfigProvider
from .errors import (BadCredentials, Conflict, FeatureDisabled, InvalidCode, InvalidRequest, InvalidSession,
                     LockedOut, MissingField, NotVerified, PhoneNotFound, PhoneNotVerified, RateLimited,
                     SessionRequired, Taken, UserNotFound, VerikitError)
from .passwords import MAX_LENGTH as PASSWORD_MAX
from .service import OTPService, SendRequest

# which purposes' codes each way in accepts (a code of one purpose never verifies another):
# `login` with smsCode takes login codes only; usersByMobilePhone, which signs up as well,
# also takes codes from the generic requestSmsCode, as LeanCloud's SDK flows expect
LOGIN_CODES = (purposes.LOGIN.name,)
SIGNUP_OR_LOGIN_CODES = (purposes.GENERIC.name, purposes.LOGIN.name)

DELETE = object()  # a custom field (or email / phone) to remove
CUSTOM_KEY = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,63}$")
E164_LIKE = re.compile(r"^\+?\d{6,15}$")
MAX_CUSTOM_BYTES = 16 * 1024


@dataclass(frozen=True)
class User:
    app_id: str
    object_id: str
    username: str
    created_at: int                   # epoch milliseconds
    updated_at: int
    password_hash: Optional[str] = None
    phone: Optional[str] = None       # E.164
    phone_verified: bool = False
    email: Optional[str] = None
    email_verified: bool = False
    custom: Mapping[str, Any] = field(default_factory=dict)
    version: int = 0
    session_epoch: int = 0

    def claims(self) -> dict:
        """The unique values this user holds, by field."""
        out = {"username": self.username}
        if self.phone:
            out["phone"] = self.phone
        if self.email:
            out["email"] = self.email.lower()
        return out


@dataclass(frozen=True)
class Session:
    token_hash: str
    app_id: str
    user_id: str
    epoch: int
    created_at: int                   # epoch seconds
    expires_at: Optional[int] = None  # epoch seconds; None: until revoked
    kind: str = "session"             # session (also an access token) | refresh
    peer: Optional[str] = None        # the other token of an access/refresh pair (its hash)
    used: bool = False                # refresh tokens: spent by a rotation
    next: Optional[str] = None        # refresh tokens: the one the rotation issued (its hash)


class Stale(Exception):
    """The user changed since it was read: read again and retry."""


class UserStore(Protocol):
    def create(self, user: User, sessions) -> None:
        """Write the user, its claims and its first session(s) (a Session, a tuple of them,
        or None) in one transaction, or raise Taken(field)."""

    def get(self, app_id: str, object_id: str) -> Optional[User]: ...

    def find(self, app_id: str, field: str, value: str) -> Optional[User]:
        """The user holding ``value`` of ``field`` (username, phone, email)."""

    def save(self, before: User, after: User, sessions: tuple = ()) -> None:
        """Write ``after`` if the user is still at ``before.version``, moving claims whose
        value changed and putting ``sessions``, in one transaction. Raises Taken or Stale."""

    def add_sessions(self, sessions: tuple) -> None:
        """Write sessions (one, or an access and a refresh token) at once."""

    def rotate(self, old: Session, sessions: tuple) -> None:
        """Mark ``old`` used (pointing at its successor), end its access token and write
        ``sessions``, atomically; raise InvalidSession if ``old`` was already used or revoked."""

    def revoke(self, token_hash: str) -> None:
        """Delete the session or refresh token with this hash, and its peer, if any."""

    def revoke_chain(self, refresh_hash: Optional[str]) -> None:
        """Delete the refresh token with this hash, its access token, and their successors."""

    def get_session_and_user(self, app_id: str, token_hash: str, object_id: str,
                             kind: str = "session") -> tuple:
        """(session or None, user or None), read together in one round trip."""


@dataclass
class AccountService:
    users: UserStore
    otp: OTPService
    limiter: limits.Limiter
    hasher: Any                       # core.passwords.Argon2Hasher
    config: ConfigProvider
    secret: bytes
    clock: Any = field(default_factory=SystemClock)
    on_error: Callable[[str, Exception], None] = lambda what, exc: None

    # ---- sign-up -------------------------------------------------------------------------

    def signup(self, app_id: str, username: Any, password: Any, raw_phone: Any = None, email: Any = None,
               custom: Optional[Mapping] = None, client_ip: Optional[str] = None,
               link_base: Optional[str] = None) -> tuple:
        """A new user with a password. Returns (user, session token)."""
        s = self._settings(app_id)
        if username is None or username == "":
            raise MissingField("Username is required.", "username")
        if password is None or password == "":
            raise MissingField("Password is required.", "password")
        now_ms = self._now_ms()
        e164 = self._phone(raw_phone, s) if raw_phone not in (None, "") else None
        address = self._email(email) if email not in (None, "") else None
        user = User(app_id=app_id, object_id=self._new_id(), username=self._username(username, e164, address),
                    password_hash=self.hasher.hash(self._password(password, s)),
                    phone=e164,
                    email=address,
                    custom=_merge_custom({}, custom or {}), created_at=now_ms, updated_at=now_ms)
        token, session = self._new_session(user)
        self.users.create(user, session)
        if s.send_verification_on_signup:
            if user.phone:
                self._auto_verify(app_id, user.phone, client_ip)
            if user.email:
                self._auto_verify(app_id, user.email, client_ip, link_base=link_base)
        return user, token

    def signup_or_login_by_phone(self, app_id: str, raw_phone: Any, code: Any, username: Any = None,
                                 password: Any = None, custom: Optional[Mapping] = None,
                                 client_ip: Optional[str] = None) -> tuple:
        """``usersByMobilePhone``: log in the user with this number, or sign one up with the
        phone verified. Returns (user, session token, created)."""
        s = self._settings(app_id)
        e164 = self._phone(raw_phone, s)
        if code is None or code == "":
            raise InvalidRequest("an SMS code is required (smsCode)")
        existing = self.users.find(app_id, "phone", e164)
        if existing is not None:
            # an SMS login: it needs a verified phone. Logging in to an account that someone
            # claimed with this number unverified would hand the caller that account (and
            # leave its creator's password and sessions working): refuse instead.
            if not s.allow_sms_login:
                raise FeatureDisabled("Logging in with an SMS code is disabled for this app.")
            if not existing.phone_verified:
                raise PhoneNotVerified("The mobile phone number is not verified.")
            self._guarded(existing, lambda: self.otp.verify_any(app_id, e164, code, SIGNUP_OR_LOGIN_CODES))
            return existing, self._login(existing), False
        # validate everything before the code is spent
        user = self._verified_user(app_id, e164, self.check_new_username(app_id, username, e164), password,
                                   custom, s)
        self.otp.verify_any(app_id, e164, code, SIGNUP_OR_LOGIN_CODES)
        token, session = self._new_session(user)
        try:
            self.users.create(user, session)
        except Taken as e:
            if e.field != "phone":
                raise
            # another request signed this number up in between: log that user in instead
            other = self.users.find(app_id, "phone", e164)
            if other is None:
                raise
            return other, self._login(other), False
        return user, token, True

    # ---- login ---------------------------------------------------------------------------

    def login_password(self, app_id: str, by: str, value: Any, password: Any, open_session: bool = True) -> tuple:
        """Log in by username, phone or email with a password. Returns (user, session token
        or None when ``open_session`` is False: the caller issues its own tokens)."""
        s = self._settings(app_id)
        if password is None or password == "":
            raise MissingField("Password is required.", "password")
        if not isinstance(password, str):
            raise InvalidRequest("password must be a string")
        if by == "phone":
            user = self.users.find(app_id, "phone", self._phone(value, s))
            if user is None:
                raise PhoneNotFound("No user with this mobile phone number.")
            if s.block_login_if_phone_unverified and not user.phone_verified:
                raise PhoneNotVerified("The mobile phone number is not verified.")
        else:
            if not isinstance(value, str) or not value:
                raise MissingField("Username is required.", "username")
            if len(value) > 254:  # longer than any username or address: no lookup
                raise UserNotFound("Could not find user.")
            user = self.users.find(app_id, by, emails.key(value.strip()) if by == "email" else value)
            if user is None:
                raise UserNotFound("Could not find user.")

        def check():
            if len(password) > PASSWORD_MAX or not self.hasher.verify(user.password_hash, password):
                raise BadCredentials("The username and password mismatch.")

        self._guarded(user, check)
        return user, self._login(user) if open_session else None

    def login_sms(self, app_id: str, raw_phone: Any, code: Any) -> tuple:
        """Log in with phone + SMS code: needs a verified phone (215) and the setting on."""
        s = self._settings(app_id)
        if not s.allow_sms_login:
            raise FeatureDisabled("Logging in with an SMS code is disabled for this app.")
        e164 = self._phone(raw_phone, s)
        user = self.users.find(app_id, "phone", e164)
        if user is None:
            if s.enumeration_protection:  # answer as a wrong code for a real user would
                raise InvalidCode("invalid verification code")
            raise PhoneNotFound("No user with this mobile phone number.")
        if not user.phone_verified:
            raise PhoneNotVerified("The mobile phone number is not verified.")
        self._guarded(user, lambda: self.otp.verify_any(app_id, e164, code, LOGIN_CODES))
        return user, self._login(user)

    # ---- sending codes for users ---------------------------------------------------------

    def request_login_code(self, app_id: str, raw_phone: Any, client_ip=None, validate_token=None) -> None:
        s = self._settings(app_id)
        if not s.allow_sms_login:
            raise FeatureDisabled("Logging in with an SMS code is disabled for this app.")
        self._send_to_user(app_id, raw_phone, purposes.LOGIN.name, client_ip, validate_token,
                           require_verified=True)

    def request_phone_verify(self, app_id: str, raw_phone: Any, client_ip=None, validate_token=None) -> None:
        self._send_to_user(app_id, raw_phone, purposes.VERIFY_PHONE.name, client_ip, validate_token)

    def request_password_reset(self, app_id: str, raw_phone: Any, client_ip=None, validate_token=None) -> None:
        s = self._settings(app_id)
        self._send_to_user(app_id, raw_phone, purposes.RESET_PASSWORD.name, client_ip, validate_token,
                           require_verified=not s.allow_reset_password_if_phone_unverified)

    def _send_to_user(self, app_id, raw_phone, purpose, client_ip, validate_token, require_verified=False):
        """Send a code of ``purpose`` to the user who has this number. With enumeration
        protection on, an unknown (or unverified, where that is refused) number gets the
        same answer, the same validation and the same rate limits, and nothing is sent."""
        s = self._settings(app_id)
        e164 = phone.normalise(raw_phone, s.default_region, s.allowed_regions).e164
        user = self.users.find(app_id, "phone", e164)
        refusal = None
        if user is None:
            refusal = PhoneNotFound("No user with this mobile phone number.")
        elif require_verified and not user.phone_verified:
            refusal = PhoneNotVerified("The mobile phone number is not verified.")
        if refusal is not None and not s.enumeration_protection:
            raise refusal
        self.otp.send(SendRequest(app_id=app_id, phone=e164, purpose=purpose, client_ip=client_ip,
                                  validate_token=validate_token, deliver=refusal is None))

    # ---- verify phone, change phone, reset password --------------------------------------

    def verify_phone(self, app_id: str, code: Any, raw_phone: Any = None, client_ip=None) -> User:
        """``verifyMobilePhone/<code>``: with the number (Python SDK) or by the code alone (JS)."""
        if raw_phone not in (None, ""):
            e164 = self.otp.verify(app_id, raw_phone, code, purposes.VERIFY_PHONE.name)
        else:
            e164 = self.otp.verify_by_code(app_id, code, purposes.VERIFY_PHONE.name, client_ip)
        user = self.users.find(app_id, "phone", e164)
        if user is None:  # the user changed number since the code was sent
            raise PhoneNotFound("No user with this mobile phone number.")
        if user.phone_verified:
            return user
        return self._update(user, lambda u: dataclasses.replace(u, phone_verified=True) if u.phone == e164 else u)

    def request_change_phone(self, app_id: str, user: User, raw_phone: Any, ttl: Optional[int] = None,
                             client_ip=None, validate_token=None) -> None:
        """Send a change_phone code to the new number, bound to this user."""
        s = self._settings(app_id)
        e164 = phone.normalise(raw_phone, s.default_region, s.allowed_regions).e164
        owner = self.users.find(app_id, "phone", e164)
        taken = owner is not None and owner.object_id != user.object_id
        # a taken number is charged to the same limits as a send, so probing numbers through
        # this route costs what sending to them would
        self.otp.send(SendRequest(app_id=app_id, phone=e164, purpose=purposes.CHANGE_PHONE.name,
                                  ttl_minutes=ttl, client_ip=client_ip, validate_token=validate_token,
                                  subject=user.object_id, deliver=not taken))
        if taken:
            raise Taken("Mobile phone number has already been taken.", "phone")

    def change_phone(self, app_id: str, user: User, raw_phone: Any, code: Any) -> User:
        """Claim the new number, release the old one and update the user, atomically."""
        s = self._settings(app_id)
        e164 = self._phone(raw_phone, s)
        if code is None or code == "":
            raise InvalidCode("a verification code is required (code)")
        self.otp.verify(app_id, e164, code, purposes.CHANGE_PHONE.name, subject=user.object_id)
        return self._update(user, lambda u: dataclasses.replace(u, phone=e164, phone_verified=True))

    def reset_password(self, app_id: str, code: Any, password: Any, raw_phone: Any = None,
                       client_ip=None) -> User:
        """Set a new password with a reset_password code; every session of the user ends."""
        s = self._settings(app_id)
        if password is None or password == "":
            raise MissingField("Password is required.", "password")
        new_hash = self.hasher.hash(self._password(password, s))
        if raw_phone not in (None, ""):
            e164 = self.otp.verify(app_id, raw_phone, code, purposes.RESET_PASSWORD.name)
        else:
            e164 = self.otp.verify_by_code(app_id, code, purposes.RESET_PASSWORD.name, client_ip)
        user = self.users.find(app_id, "phone", e164)
        if user is None:
            raise PhoneNotFound("No user with this mobile phone number.")
        if not user.phone_verified and not s.allow_reset_password_if_phone_unverified:
            raise PhoneNotVerified("The mobile phone number is not verified.")
        def reset(u: User) -> User:
            if u.phone != e164:  # the user changed number since the code was sent
                raise PhoneNotFound("No user with this mobile phone number.")
            return dataclasses.replace(u, password_hash=new_hash, phone_verified=True,
                                       session_epoch=u.session_epoch + 1)

        user = self._update(user, reset)
        self._clear_lockout(user)
        return user

    # ---- sessions and the user's own record ----------------------------------------------

    def resolve(self, app_id: str, token: Any, kind: str = "session") -> tuple:
        """(user, session) of a session token (or a refresh token), or raise InvalidSession."""
        if not isinstance(token, str) or not 10 <= len(token) <= 200:
            raise InvalidSession("Invalid or expired session token.")
        # tokens carry their user's id, so the session and the user are read together
        object_id = token.partition(".")[0]
        if not _plausible_id(object_id):
            raise InvalidSession("Invalid or expired session token.")
        session, user = self.users.get_session_and_user(app_id, self._token_hash(token), object_id, kind)
        now = int(self.clock.now())
        if session is None or session.app_id != app_id or session.user_id != object_id \
                or (session.expires_at and session.expires_at <= now):
            raise InvalidSession("Invalid or expired session token.")
        if user is None or user.session_epoch != session.epoch:
            raise InvalidSession("Invalid or expired session token.")
        return user, session

    def get_user(self, app_id: str, object_id: str) -> User:
        user = self.users.get(app_id, object_id) if _plausible_id(object_id) else None
        if user is None:
            raise UserNotFound("Could not find user.")
        return user

    def update_user(self, app_id: str, object_id: str, changes: Mapping[str, Any], actor: Optional[User],
                    session: Optional[Session], master: bool = False, client_ip=None,
                    link_base: Optional[str] = None) -> User:
        """Apply ``changes`` (username, password, phone, email, phone_verified,
        email_verified, custom: {name: value or DELETE}) to the user ``object_id``: its own
        session or the master key only. A new password ends the user's other sessions."""
        if not master and (actor is None or actor.object_id != object_id):
            raise SessionRequired("The user cannot be altered by a client without the session.")
        if actor is not None and actor.object_id == object_id:
            target = actor  # just read with the session; the write is conditional on its version
        else:
            target = self.get_user(app_id, object_id)
        s = self._settings(app_id)
        if not master and ({"phone_verified", "email_verified"} & set(changes)):
            raise InvalidRequest("mobilePhoneVerified and emailVerified can only be set with the master key")
        new = {}
        if "username" in changes:
            if changes["username"] in (None, "", DELETE):
                raise MissingField("Username is required.", "username")
            raw = changes.get("phone")
            phone_after = (self._phone(raw, s) if raw else None) if isinstance(raw, str) else target.phone
            email_after = changes.get("email") if isinstance(changes.get("email"), str) else target.email
            new["username"] = self._username(changes["username"], phone_after, email_after)
        if "password" in changes:
            if changes["password"] in (None, "", DELETE):
                raise MissingField("Password is required.", "password")
            new["password_hash"] = self.hasher.hash(self._password(changes["password"], s))
        if "phone" in changes:
            value = changes["phone"]
            new["phone"] = None if value in (None, "", DELETE) else self._phone(value, s)
        if "email" in changes:
            value = changes["email"]
            new["email"] = None if value in (None, "", DELETE) else self._email(value)
        for flag in ("phone_verified", "email_verified"):
            if flag in changes:
                if not isinstance(changes[flag], bool):
                    raise InvalidRequest(f"{flag} must be true or false")
                new[flag] = changes[flag]
        custom = changes.get("custom") or {}
        _merge_custom(target.custom, custom)  # validate before any write

        def apply(u: User) -> User:
            out = dataclasses.replace(u, **new, custom=_merge_custom(u.custom, custom))
            if "phone" in new and new["phone"] != u.phone and "phone_verified" not in new:
                out = dataclasses.replace(out, phone_verified=False)
            if "email" in new and (new["email"] or "").lower() != (u.email or "").lower() and "email_verified" not in new:
                out = dataclasses.replace(out, email_verified=False)
            if "password_hash" in new:
                out = dataclasses.replace(out, session_epoch=u.session_epoch + 1)
            return out

        keep = session if (session is not None and session.user_id == object_id) else None
        user = self._update(target, apply, keep_session=keep)
        if "phone" in new and user.phone and user.phone != target.phone and s.send_verification_on_signup:
            self._auto_verify(app_id, user.phone, client_ip)
        if "email" in new and user.email and (user.email or "").lower() != (target.email or "").lower() \
                and s.send_verification_on_email_change:
            self._auto_verify(app_id, user.email, client_ip, link_base=link_base)
        return user

    def update_password(self, app_id: str, user: User, session: Session, old: Any, new: Any) -> User:
        """Change the password knowing the old one (counted towards the lockout). The
        caller's session stays valid; every other session ends."""
        s = self._settings(app_id)
        if old in (None, "") or new in (None, ""):
            raise MissingField("old_password and new_password are required.", "password")
        if not isinstance(old, str):
            raise InvalidRequest("old_password must be a string")
        new_hash = self.hasher.hash(self._password(new, s))

        def check():
            if len(old) > PASSWORD_MAX or not self.hasher.verify(user.password_hash, old):
                raise BadCredentials("The old password is wrong.")

        self._guarded(user, check)
        return self._update(user, lambda u: dataclasses.replace(
            u, password_hash=new_hash, session_epoch=u.session_epoch + 1), keep_session=session)

    def refresh_session(self, app_id: str, object_id: str, actor: Optional[User], master: bool = False) -> tuple:
        """End every session of the user and open a new one. Returns (user, token)."""
        if not master and (actor is None or actor.object_id != object_id):
            raise SessionRequired("The user cannot be altered by a client without the session.")
        target = self.get_user(app_id, object_id)
        holder = {}

        def bump(u: User) -> User:
            return dataclasses.replace(u, session_epoch=u.session_epoch + 1)

        def sessions(after: User) -> tuple:
            holder["token"], sess = self._new_session(after)
            return (sess,)

        user = self._update(target, bump, sessions=sessions)
        return user, holder["token"]

    # ---- OAuth-style tokens (CloudBase /auth/v1) -----------------------------------------

    def issue_tokens(self, user: User) -> tuple:
        """(access token, refresh token, expires_in): an expiring session and a rotating
        refresh token, both revoked with the user's other sessions by a password reset."""
        access, refresh, sessions = self._token_pair(user)
        self.users.add_sessions(sessions)
        return access, refresh, self._settings(user.app_id).access_token_ttl_seconds

    def refresh_tokens(self, app_id: str, refresh_token: Any) -> tuple:
        """Spend a refresh token for a new pair. Returns (user, access, refresh, expires_in)."""
        user, old = self.resolve(app_id, refresh_token, kind="refresh")
        if old.used:
            # a spent refresh token came back: it was copied. End the tokens it led to, so
            # that whoever holds them (thief or owner) must sign in again.
            self.users.revoke_chain(old.next)
            raise InvalidSession("The refresh token was already used; its successors are revoked.")
        access, refresh, sessions = self._token_pair(user)
        self.users.rotate(old, sessions)
        return user, access, refresh, self._settings(app_id).access_token_ttl_seconds

    def revoke(self, app_id: str, token: Any) -> None:
        """Sign out: the access (or refresh) token and its pair stop working. Unknown
        tokens are fine."""
        if isinstance(token, str) and 10 <= len(token) <= 200:
            self.users.revoke(self._token_hash(token))

    def check_new_username(self, app_id: str, username: Any, target: str) -> str:
        """The username a sign-up that proved ``target`` takes (the one asked for, else the
        target itself), refused before anything is spent if malformed, squatting or taken."""
        name = self._verified_name(username, target)
        if self.users.find(app_id, "username", name) is not None:
            raise Taken("Username has already been taken.", "username")
        return name

    def signup_verified(self, app_id: str, target: str, username: Any = None, password: Any = None,
                        custom: Optional[Mapping] = None) -> tuple:
        """A user whose phone or email was just proven (a spent verification token), with
        its first access and refresh tokens. Returns (user, access, refresh, expires_in)."""
        s = self._settings(app_id)
        user = self._verified_user(app_id, target, self._verified_name(username, target), password, custom, s)
        access, refresh, sessions = self._token_pair(user)
        self.users.create(user, sessions)  # the user, its claims and its first tokens at once
        return user, access, refresh, s.access_token_ttl_seconds

    def _verified_name(self, username: Any, target: str) -> str:
        if username in (None, ""):
            return target
        is_email = emails.is_email(target)
        return self._username(username, None if is_email else target, target if is_email else None)

    def _verified_user(self, app_id: str, target: str, name: str, password: Any, custom: Optional[Mapping],
                       s) -> User:
        """A new user holding ``target`` (a phone or an email), already verified."""
        is_email = emails.is_email(target)
        now_ms = self._now_ms()
        return User(app_id=app_id, object_id=self._new_id(), username=name,
                    password_hash=self.hasher.hash(self._password(password, s)) if password not in (None, "") else None,
                    phone=None if is_email else target, phone_verified=not is_email,
                    email=target if is_email else None, email_verified=is_email,
                    custom=_merge_custom({}, custom or {}), created_at=now_ms, updated_at=now_ms)

    def _token_pair(self, user: User) -> tuple:
        """(access, refresh, sessions): each token knows its peer, so signing out ends both."""
        s = self._settings(user.app_id)
        access, a = self._mint(user, s.access_token_ttl_seconds)
        refresh, r = self._mint(user, s.refresh_token_ttl_days * 86400, kind="refresh")
        return access, refresh, (dataclasses.replace(a, peer=r.token_hash), dataclasses.replace(r, peer=a.token_hash))

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

    def _login(self, user: User) -> str:
        token, session = self._new_session(user)
        self.users.add_sessions((session,))
        return token

    def _new_session(self, user: User) -> tuple:
        days = self._settings(user.app_id).session_ttl_days
        return self._mint(user, days * 86400 if days else None)

    def _mint(self, user: User, lifetime: Optional[int], kind: str = "session") -> tuple:
        """(token, Session): 256 random bits after the user's (public) id; only the keyed
        hash is stored. ``lifetime`` in seconds, None for until revoked."""
        token = f"{user.object_id}.{secrets.token_urlsafe(32)}"
        now = int(self.clock.now())
        return token, Session(token_hash=self._token_hash(token), app_id=user.app_id, user_id=user.object_id,
                              epoch=user.session_epoch, created_at=now,
                              expires_at=now + lifetime if lifetime else None, kind=kind)

    def _token_hash(self, token: str) -> str:
        return codes.keyed_hash(self.secret, "session", token)

    def _auto_verify(self, app_id: str, target: str, client_ip, link_base: Optional[str] = None) -> None:
        """The "send verification on sign-up / on change" policies. A refused send (rate
        limit, region) does not undo the sign-up; it is logged."""
        try:
            self._send_verification(app_id, target, client_ip, link_base=link_base)
        except VerikitError as e:
            self.on_error("auto_verify", e)

    def _send_verification(self, app_id: str, target: str, client_ip, validate_token=None,
                           link_base: Optional[str] = None, deliver: bool = True) -> None:
        if emails.is_email(target):
            req = SendRequest(app_id=app_id, phone=None, email=target, channel="email",
                              purpose=purposes.VERIFY_EMAIL.name, client_ip=client_ip,
                              validate_token=validate_token, link_base=link_base, deliver=deliver)
        else:
            req = SendRequest(app_id=app_id, phone=target, purpose=purposes.VERIFY_PHONE.name,
                              client_ip=client_ip, validate_token=validate_token, link_base=link_base,
                              deliver=deliver)
        self.otp.send(req)

    # ---- Skygear-style verification: phone and email, by code or by link ----------------

    def is_verified(self, user: User) -> bool:
        """The derived ``is_verified``: any / all (``verified_rule``) of the
        ``verified_fields`` are verified."""
        s = self._settings(user.app_id)
        flags = [user.phone_verified if f == "phone" else user.email_verified for f in s.verified_fields]
        return all(flags) if s.verified_rule == "all" else any(flags)

    def require_verified(self, user: User) -> None:
        """``only_verified_users``: routes that need a logged-in user refuse unverified ones."""
        if self._settings(user.app_id).only_verified_users and not self.is_verified(user):
            raise NotVerified("Only verified users may do this; verify your phone or email first.")

    def request_verification(self, app_id: str, user: User, field: str, client_ip=None,
                             validate_token=None, link_base: Optional[str] = None) -> None:
        """Send the current user a code (or link) to verify their ``phone`` or ``email``."""
        if field not in ("phone", "email"):
            raise InvalidRequest("field must be 'phone' or 'email'")
        target = user.phone if field == "phone" else user.email
        if not target:
            raise InvalidRequest(f"the user has no {field}")
        self._send_verification(app_id, target, client_ip, validate_token, link_base)

    def request_email_verify(self, app_id: str, raw_email: Any, client_ip=None, validate_token=None,
                             link_base: Optional[str] = None) -> None:
        """LeanCloud's ``requestEmailVerify``: a verification link (and code) to the user with
        this email; under enumeration protection an unknown address is answered alike."""
        s = self._settings(app_id)
        address = emails.normalise(raw_email)
        user = self.users.find(app_id, "email", emails.key(address))
        if user is None and not s.enumeration_protection:
            raise UserNotFound("No user with this email.")
        self._send_verification(app_id, user.email if user is not None else address, client_ip, validate_token,
                                link_base, deliver=user is not None)

    def verify_with_code(self, app_id: str, code: Any, client_ip=None, user: Optional[User] = None) -> tuple:
        """Verify a phone or email with a code (or the complex code of a link) alone.
        Returns (field, user). With ``user`` (a session), the code is checked against that
        user's own phone and email only, each code's own guess limit applying; another
        user's code is never touched."""
        if user is not None:
            for name, target, purpose in (("email", emails.key(user.email) if user.email else None,
                                            purposes.VERIFY_EMAIL.name),
                                           ("phone", user.phone, purposes.VERIFY_PHONE.name)):
                if not target:
                    continue
                try:
                    self.otp.verify(app_id, target, code, purpose)
                except InvalidCode:
                    continue
                return name, self._mark(user, name, target)
            raise InvalidCode("invalid verification code")
        purpose, target = self.otp.verify_by_code_any(
            app_id, code, (purposes.VERIFY_PHONE.name, purposes.VERIFY_EMAIL.name), client_ip)
        field = "email" if purpose == purposes.VERIFY_EMAIL.name else "phone"
        owner = self.users.find(app_id, field, target)
        if owner is None:
            raise InvalidCode("invalid verification code")
        return field, self._mark(owner, field, target)

    def _mark(self, owner: User, field: str, target: str) -> User:
        def mark(u: User) -> User:
            if field == "phone" and u.phone == target:
                return dataclasses.replace(u, phone_verified=True)
            if field == "email" and u.email and emails.key(u.email) == target:
                return dataclasses.replace(u, email_verified=True)
            raise InvalidCode("invalid verification code")  # changed since the code was sent

        return self._update(owner, mark)

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


def _plausible_id(object_id: Any) -> bool:
    return isinstance(object_id, str) and 1 <= len(object_id) <= 64 and object_id.isalnum()


def _merge_custom(current: Mapping[str, Any], changes: Mapping[str, Any]) -> dict:
    """Custom fields after ``changes`` (DELETE removes one); validated and size-capped."""
    import json

    out = dict(current)
    for key, value in changes.items():
        if not isinstance(key, str) or not CUSTOM_KEY.match(key):
            raise InvalidRequest(f"invalid field name: {key!r}")
        if value is DELETE:
            out.pop(key, None)
        else:
            out[key] = value
    try:
        size = len(json.dumps(out, ensure_ascii=False, allow_nan=False).encode("utf-8"))
    except (TypeError, ValueError, RecursionError):
        raise InvalidRequest("custom fields must be JSON values (no NaN or Infinity)") from None
    if size > MAX_CUSTOM_BYTES:
        raise InvalidRequest(f"custom fields are limited to {MAX_CUSTOM_BYTES} bytes")
    return out
