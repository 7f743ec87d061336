"""Sign-up and login: with a password, by phone and SMS code, after a proven phone or email."""
from __future__ import annotations

import dataclasses
from typing import Any, Mapping, Optional

from .. import emails
from ..errors import (BadCredentials, FeatureDisabled, InvalidCode, InvalidPhoneNumber, InvalidRequest, MissingField,
                      PhoneNotFound, PhoneNotVerified, Taken, UserNotFound)
from ..passwords import MAX_LENGTH as PASSWORD_MAX
from .model import LOGIN_CODES, SIGNUP_OR_LOGIN_CODES, User, _merge_custom, given_phone

TAKEN = {"username": "Username has already been taken.", "phone": "Mobile phone number has already been taken.",
         "email": "Email has already been taken."}


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
        given = given_phone(raw_phone, e164)
        user = User(app_id=app_id, object_id=self._new_id(),
                    username=self._username(username, e164, address, s.default_region, own_given=given),
                    phone=e164, phone_given=given,
                    email=address,
                    custom=_merge_custom({}, custom or {}), created_at=now_ms, updated_at=now_ms)
        self._password(password, s)
        # a taken username (or phone, email) is refused before argon2 runs: a sign-up that
        # cannot succeed must not buy ~100 ms of CPU. The create stays conditional (races).
        taken = self.users.claimed(app_id, user.claims())
        if taken is not None:
            raise Taken(TAKEN[taken], taken)
        user = self._before_create(user)  # events: LeanEngine beforeSave may change or refuse
        user = dataclasses.replace(user, password_hash=self.hasher.hash(password))
        token, session = self._new_session(user)
        self.users.create(user, session)
        self._created(user)  # events: user.created, afterSave
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
        # what can be checked without knowing whether the number is registered is checked for
        # both: a malformed password or username is refused alike before any code is judged
        given = given_phone(raw_phone, e164)
        name = self._verified_name(app_id, username, e164, given)
        if password not in (None, ""):
            self._password(password, s)
        existing = self.users.find(app_id, "phone", e164)
        if existing is not None:
            # an SMS login. With enumeration protection off, LeanCloud's answers: 215 for an
            # unverified number. On, the code is checked first and nothing tells a known
            # number from an unknown one; a right code on an unverified claim takes it over
            # (``_login_by_proof``): the prover never shares the account with its creator.
            protect = s.enumeration_protection
            if not protect and not s.allow_sms_login:
                raise FeatureDisabled("Logging in with an SMS code is disabled for this app.")
            if not protect and not existing.phone_verified:
                raise PhoneNotVerified("The mobile phone number is not verified.")
            # as ``login_sms``: a wrong code is charged to the code's own max_attempts, not to
            # the password lockout, and the login clears the lockout
            self.otp.verify_any(app_id, e164, code, SIGNUP_OR_LOGIN_CODES)
            if not s.allow_sms_login:
                raise FeatureDisabled("Logging in with an SMS code is disabled for this app.")
            return (*self._sms_session(existing), False)
        # As on LeanCloud, the username defaults to the number as the app sent it (18752169780).
        # Whether it is taken is read now (one read, as a registered number's user read) and
        # answered only after the code: a taken username must not tell that this number is
        # not registered (a registered number's login ignores the username). The password is
        # hashed only after the code.
        holder_id = self.users.owner(app_id, "username", name)
        user = dataclasses.replace(self._verified_user(app_id, e164, name, None, custom, s), phone_given=given)
        # the code's own max_attempts bounds the guesses, as for a user's login
        self.otp.verify_any(app_id, e164, code, SIGNUP_OR_LOGIN_CODES)
        if holder_id is not None:
            holder = self.users.get(app_id, holder_id)
            if holder is not None and not self._holder_yields(holder, name):
                raise Taken("Username has already been taken.", "username")
        if password not in (None, ""):
            user = dataclasses.replace(user, password_hash=self.hasher.hash(password))
        user = self._before_create(user)  # events: LeanEngine beforeSave may change or refuse
        token, session = self._new_session(user)
        try:
            self._create_after_proof(user, session)
        except Taken as e:
            if e.field != "phone":
                raise
            # another request signed this number up in between: log that user in instead
            other = self.users.find(app_id, "phone", e164)
            if other is None:
                raise
            other = self._login_by_proof(other, "phone")
            other = self._on_login(other, "sms")  # events: LeanEngine onLogin may refuse
            return other, self._login(other), False
        self._created(user)  # events: user.created, afterSave, onVerified('sms')
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
        protect = s.enumeration_protection
        # three round trips: the claim; the user and its lockout counter; one write (the
        # session and the counter cleared, or the failure charged)
        if by in ("phone", "phone_or_username"):
            try:
                key = self._phone(value, s)
                user, charge, used = self._login_lookup(app_id, "phone", key)
            except InvalidPhoneNumber:
                if by == "phone":
                    raise
                user = None
            if user is None and by == "phone_or_username":  # CloudBase: a username that looks like one
                key = value
                user, charge, used = self._login_lookup(app_id, "username", value)
            if user is None and not protect:
                raise PhoneNotFound("No user with this mobile phone number.") if by == "phone" \
                    else UserNotFound("Could not find user.")
        else:
            if not isinstance(value, str) or not value:
                raise MissingField("Username is required.", "username")
            if len(value) > 254:  # longer than any username or address: no lookup, nobody's
                raise BadCredentials("The username and password mismatch.") if protect \
                    else UserNotFound("Could not find user.")
            key = emails.key(value.strip()) if by == "email" else value
            user, charge, used = self._login_lookup(app_id, by, key)
            if user is None and not protect:
                raise UserNotFound("Could not find user.")
        if user is None:
            # enumeration protection: an unknown user answers 210 like a wrong password, after
            # the same work (the reads, an argon2 check, a lockout charge) and with the same
            # lockout, on a counter of its own
            self._judge(charge, used, lambda: self._wrong_password(password))
            raise BadCredentials("The username and password mismatch.")  # _wrong_password raised; in case
        if by == "phone" and not protect and s.block_login_if_phone_unverified and not user.phone_verified:
            raise PhoneNotVerified("The mobile phone number is not verified.")

        def check():
            if len(password) > PASSWORD_MAX or not self.hasher.verify(user.password_hash, password):
                raise BadCredentials("The username and password mismatch.")

        self._judge(charge, used, check)
        if by == "phone" and protect and s.block_login_if_phone_unverified and not user.phone_verified:
            raise PhoneNotVerified("The mobile phone number is not verified.")  # told only with the password
        user = self._upgrade_password(user, password)  # an imported LeanCloud hash becomes argon2id
        user = self._on_login(user, "password")  # events: LeanEngine onLogin may refuse
        if not open_session:
            self.limiter.clear(charge)  # the caller issues its own tokens
            return user, None
        return user, self._login(user, clear=charge)

    def login_sms(self, app_id: str, raw_phone: Any, code: Any) -> tuple:
        """Log in with phone + SMS code (a verified phone: 215; the setting on), in three round
        trips: (1) the code spent, one conditional write (a wrong code is charged to the
        code's own ``max_attempts``, not to the password lockout: an SMS login is how a user
        whose password is being guessed gets in); (2) the user the code was sent for (its
        spending write names it) with the phone's claim, one read; (3) one write: the session,
        the lockout cleared and, when the squatting rule changes the user, that change.

        A code that names no user (sent before codes named one) finds the user by the claim
        first: four. A code whose number another user (or nobody) holds now logs nobody in
        (603): it was sent to log in the user that held the number then. Under enumeration
        protection a number nobody holds has no code: one write, then 603, as a wrong code."""
        s = self._settings(app_id)
        if not s.allow_sms_login:
            raise FeatureDisabled("Logging in with an SMS code is disabled for this app.")
        e164 = self._phone(raw_phone, s)
        protect = s.enumeration_protection
        told: dict = {}
        try:
            self.otp.verify_any(app_id, e164, code, LOGIN_CODES, told=told)
        except InvalidCode:
            if not protect:  # LeanCloud's 213 and 215 (a read more, after the failed guess)
                uid, verified = self._holder(app_id, e164)
                if uid is None:
                    raise PhoneNotFound("No user with this mobile phone number.") from None
                if not verified:
                    raise PhoneNotVerified("The mobile phone number is not verified.") from None
            raise
        user, holder = self._sms_login_user(app_id, e164, told.get("user"))
        if user is None:
            if not protect and holder is None:
                raise PhoneNotFound("No user with this mobile phone number.")
            raise InvalidCode("invalid verification code")  # a code, but no user to log in
        if not protect and not user.phone_verified:
            raise PhoneNotVerified("The mobile phone number is not verified.")  # LeanCloud's 215
        return self._sms_session(user)

    def _sms_login_user(self, app_id: str, e164: str, uid: Optional[str]) -> tuple:
        """(the user a spent login code logs in or None, the id the phone's claim names)."""
        if uid is None:  # a code that names no user: the claim, then its user
            holder = self.users.owner(app_id, "phone", e164)
            user = self.users.get(app_id, holder) if holder is not None else None
        else:  # the code's user and the claim together: the number is still that user's
            user, holder = self.users.get_with_claim(app_id, uid, "phone", e164)
        if user is None or user.object_id != holder or user.phone != e164:
            return None, holder
        return user, holder

    def _sms_session(self, user: User) -> tuple:
        """(user, token): the session and the lockout cleared (whatever it holds) in one
        write, with the squatting rule's change of the user (conditional on its version)."""
        clear = self._lockout(user.app_id, user.object_id)
        change = self._proof_change(user, "phone")
        if change is None:
            user = self._on_login(user, "sms")  # events: LeanEngine onLogin may refuse
            return user, self._login(user, clear=clear, whatever=True)
        self._on_login(change(user), "sms")  # events: onLogin sees the user as it will be; may refuse
        minted: dict = {}

        def sessions(after: User) -> tuple:
            minted["token"], session = self._new_session(after)
            return (session,)

        after = self._update(user, change, sessions=sessions, clear=self._clearing(clear, whatever=True))
        if "token" not in minted:  # another request made the change first: nothing left to change
            return after, self._login(after, clear=clear, whatever=True)
        return after, minted["token"]

    def check_new_username(self, app_id: str, username: Any, target: str, given: Optional[str] = None) -> str:
        """The username a sign-up that proved ``target`` takes (the one asked for, else the
        target itself, as the app wrote it: ``given``), refused before anything is spent if
        malformed, squatting or taken (an account holding it unbacked yields it once the proof
        is made: usernames.py)."""
        name = self._verified_name(app_id, username, target, given)
        holder = self.users.find(app_id, "username", name)
        if holder is not None and not self._holder_yields(holder, name):
            raise Taken("Username has already been taken.", "username")
        return name

    def _create_after_proof(self, user: User, sessions) -> None:
        """Create a user who just proved its phone or email: a username an account holds
        unbacked (the number or address itself) is taken from it first (a proof wins)."""
        try:
            self.users.create(user, sessions)
        except Taken as e:
            if e.field != "username":
                raise
            self._yield_username(user.app_id, user.username)
            self.users.create(user, sessions)

    def signup_verified(self, app_id: str, target: str, username: Any = None, password: Any = None,
                        custom: Optional[Mapping] = None) -> tuple:
        """A user whose phone or email was just proven (a spent verification token), with
        its first access and refresh tokens. Returns (user, access, refresh, expires_in)."""
        s = self._settings(app_id)
        user = self._verified_user(app_id, target, self._verified_name(app_id, username, target), password, custom, s)
        user = self._before_create(user)  # events: LeanEngine beforeSave may change or refuse
        access, refresh, sessions = self._token_pair(user)
        self._create_after_proof(user, sessions)  # the user, its claims and its first tokens at once
        self._created(user)  # events: user.created, afterSave, onVerified
        return user, access, refresh, s.access_token_ttl_seconds

    def _verified_name(self, app_id: str, username: Any, target: str, given: Optional[str] = None) -> str:
        if username in (None, ""):
            return given or target
        is_email = emails.is_email(target)
        return self._username(username, None if is_email else target, target if is_email else None,
                              self._settings(app_id).default_region, own_given=given)

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
