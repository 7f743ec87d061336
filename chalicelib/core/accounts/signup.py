"""Sign-up and login: with a password, by phone and SMS code, after a proven phone or email."""
from __future__ import annotations

from typing import Any, Mapping, Optional

from .. import emails
from ..errors import (BadCredentials, FeatureDisabled, InvalidCode, InvalidRequest, MissingField, PhoneNotFound,
                      PhoneNotVerified, Taken, UserNotFound)
from ..passwords import MAX_LENGTH as PASSWORD_MAX
from .model import LOGIN_CODES, SIGNUP_OR_LOGIN_CODES, User, _merge_custom


class SignupLogin:
    """Sign-up and login, part of ``AccountService``."""

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
