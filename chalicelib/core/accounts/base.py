"""Helpers every part of the user system shares: settings, conditional updates, the
login-failure guard, input checks."""
from __future__ import annotations

import dataclasses
import random
import secrets
import time
from typing import Any, Callable, Optional

from .. import codes, emails, limits, passwords, phone
from ..errors import (BadCredentials, Conflict, InvalidRequest, InvalidSession, LockedOut, RateLimited,
                      UserNotFound)
from ..passwords import MAX_LENGTH as PASSWORD_MAX
from .model import Session, Stale, User
from .usernames import backed, follow, phone_shaped


class AccountBase:
    """The shared helpers of ``AccountService`` (its fields are declared there)."""

    # ---- helpers -------------------------------------------------------------------------

    def _settings(self, app_id: str):
        return self.config.get(app_id).settings

    def _update(self, user: User, change: Callable[[User], User], keep_session: Optional[Session] = None,
                sessions: Optional[Callable[[User], tuple]] = None, clear: Optional[tuple] = None) -> User:
        """Apply ``change`` to the freshest copy of the user and save it conditionally on
        its version; re-read and re-apply when another writer got there first. ``sessions``
        and ``clear`` (a login-failure counter, as ``UserStore.add_sessions`` takes it) join
        the same write."""
        for attempt in range(8):
            if keep_session is not None and user.session_epoch != keep_session.epoch:
                # the caller's session was revoked (a password reset) since it was checked
                raise InvalidSession("Invalid or expired session token.")
            after = change(user)
            if after == user:
                return user
            after = self._settled(user, after)
            after = dataclasses.replace(after, version=user.version + 1, updated_at=self._now_ms())
            extra = sessions(after) if sessions else ()
            if keep_session is not None and after.session_epoch != user.session_epoch:
                extra += (dataclasses.replace(keep_session, epoch=after.session_epoch),)
            try:
                self.users.save(user, after, extra, clear=clear)
                return after
            except Stale:
                time.sleep(random.uniform(0.005, 0.02) * (attempt + 1))  # let the other writer finish
                fresh = self.users.get(user.app_id, user.object_id)
                if fresh is None:
                    raise UserNotFound("Could not find user.") from None
                user = fresh
        raise Conflict("the user is being changed by other requests; try again")

    def _settled(self, before: User, after: User) -> User:
        """What every change implies: a phone- or email-shaped username moves with the value it
        stood for (``usernames.follow``), and an imported unverified claim that was changed or
        verified here is no longer the import's (``imported_unverified``)."""
        after = follow(before, after, self._settings(after.app_id).default_region)
        if after.imported_unverified:
            left = tuple(f for f in after.imported_unverified
                         if not getattr(after, f"{f}_verified") and getattr(after, f) == getattr(before, f))
            if left != after.imported_unverified:
                after = dataclasses.replace(after, imported_unverified=left)
        return after

    def _guarded(self, user: User, check: Callable[[], Any]) -> None:
        """Run a password or code check behind the user's login-failure counter."""
        self._guard(user.app_id, user.object_id, check)

    def _as_if_a_user(self, app_id: str, field: str, value: str, check: Callable[[], Any],
                      read: bool = True) -> None:
        """Enumeration protection, for a login to a ``value`` no user holds: the same work
        and the same answers as a wrong password or code for a real user. The attempt is
        charged to a failure counter of its own (so it locks out after
        ``login_max_failures`` like a user does), and ``check`` does the real check's work
        (a dummy password hash, a code guess) and raises its error."""
        if read:  # ``read=False``: the caller already read as much as finding a user does
            self._read_like_a_user(app_id)
        self._guard(app_id, self._nobody_key(app_id, field, value), check)
        raise BadCredentials("The username and password mismatch.")  # check always raises; in case

    def _read_like_a_user(self, app_id: str) -> None:
        """Enumeration protection: finding a user reads its claim and then the user; finding
        nobody reads the claim only. Read a user too, so the round trips are the same."""
        self.users.get(app_id, self._new_id())

    def _nobody_key(self, app_id: str, field: str, value: str) -> str:
        """The login-failure subject of a ``value`` no user holds (never a user's id)."""
        return "~" + codes.keyed_hash(self.secret, "nobody", app_id, field, value)[:24]

    def _wrong_password(self, password: Any) -> None:
        """What checking a password against a user costs (argon2), for nobody's: raises."""
        if isinstance(password, str) and len(password) <= PASSWORD_MAX:
            self.hasher.verify(None, password)  # a user without a password: a dummy hash is checked
        raise BadCredentials("The username and password mismatch.")

    def login_by_proof(self, user: User, field: str) -> User:
        """A sign-in by a proof of ``field`` (CloudBase's verification token): the squatting
        rule, then LeanEngine onLogin (which may refuse) and ``user.login``."""
        user = self._login_by_proof(user, field)
        return self._on_login(user, "sms" if field == "phone" else "email")  # events: onLogin may refuse

    def _login_by_proof(self, user: User, field: str) -> User:
        """The squatting rule. Someone just proved ``field`` (phone or email) of ``user``
        without its session (an SMS login, a verification token) and is about to be let in.
        If the account held that field unverified, or its password and sessions predate a
        proof they never attested (``unproven``), whoever set them may not be the prover:
        they end (password removed, every session revoked) and the field is marked
        verified, so the prover never lands in an account someone else can still enter.
        Otherwise the user is returned as is."""
        change = self._proof_change(user, field)
        return user if change is None else self._update(user, change)

    def _proof_change(self, user: User, field: str) -> Optional[Callable[[User], User]]:
        """What the squatting rule (``_login_by_proof``) changes in ``user``, or None."""
        verified = user.phone_verified if field == "phone" else user.email_verified
        if verified and not user.unproven:
            return None
        if field in user.imported_unverified and self._keeps_imported(user):
            # LeanCloud's behaviour for a claim it let stand unverified: the proof logs into
            # that user and verifies the field; password and sessions are kept
            return lambda u: dataclasses.replace(u, **{f"{field}_verified": True})

        def take(u: User) -> User:
            held = u.phone if field == "phone" else u.email
            if not held:
                raise InvalidSession("Invalid or expired session token.")  # changed meanwhile
            return dataclasses.replace(u, password_hash=None, session_epoch=u.session_epoch + 1, unproven=False,
                                       **{f"{field}_verified": True})

        return take

    def _guard(self, app_id: str, subject: str, check: Callable[[], Any]) -> None:
        s = self._settings(app_id)
        now = int(self.clock.now())
        charge = limits.login_failures(app_id, subject, s, now)
        try:
            self.limiter.charge([charge], now)
        except RateLimited as e:
            raise LockedOut("Too many failed attempts; try again later or reset the password.",
                            e.retry_after) from None
        check()  # raises on a wrong password or code: the charge stays
        self.limiter.clear(charge)

    # ---- logins in three round trips: claim, then user + lockout, then one write ----------

    def _lockout(self, app_id: str, subject: str):
        return limits.login_failures(app_id, subject, self._settings(app_id), int(self.clock.now()))

    def _login_lookup(self, app_id: str, field: str, value: str) -> tuple:
        """(user or None, its login-failure charge, how much of it is used): the claim, then
        the user and its counter in one read. Nobody's: a user read all the same (as much
        work as finding one) and the counter of ``_nobody_key``."""
        uid = self.users.owner(app_id, field, value)
        charge = self._lockout(app_id, uid if uid is not None else self._nobody_key(app_id, field, value))
        user, seen = self.users.get_with_count(app_id, uid or self._new_id(), charge.key)
        if user is not None and user.claims().get(field) != value:  # written together: holds; check anyway
            user = None
        if uid is not None and user is None:  # nobody after all: nobody's counter
            return user, self._lockout(app_id, self._nobody_key(app_id, field, value)), 0
        charge = dataclasses.replace(charge, seen=seen)  # the sliding estimate, and its Retry-After
        return user, charge, charge.used(int(self.clock.now()))

    def _judge(self, charge, used: int, check: Callable[[], Any]) -> None:
        """The login-failure guard with the counter already read: refused at the limit; a
        failed ``check`` is charged (``n < limit``, else LockedOut) before its error is
        answered, and a passed one is cleared by the caller's session write under the same
        condition (``_login(user, clear=charge)``). So however many attempts race, at most
        ``login_max_failures`` get an answer other than LockedOut in a window, as when each
        was charged before its check, and a right password after them is locked out too."""
        now = int(self.clock.now())
        if used >= charge.limit:
            raise LockedOut("Too many failed attempts; try again later or reset the password.",
                            charge.retry_after(now))
        try:
            check()
        except Exception:
            try:
                self.limiter.charge([charge], now)
            except RateLimited as e:
                raise LockedOut("Too many failed attempts; try again later or reset the password.",
                                e.retry_after) from None
            raise

    def _clear_lockout(self, user: User) -> None:
        s = self._settings(user.app_id)
        now = int(self.clock.now())
        self.limiter.clear(limits.login_failures(user.app_id, user.object_id, s, now))

    def _now_ms(self) -> int:
        return int(self.clock.now() * 1000)

    @staticmethod
    def _new_id() -> str:
        return secrets.token_hex(12)  # 24 hex characters, like LeanCloud's objectIds

    def _keeps_imported(self, user: User) -> bool:
        """``imported_unverified_claims: keep``: an imported user's unverified claim is kept
        (LeanCloud's behaviour) rather than yielding to a proof."""
        return user.imported and self._settings(user.app_id).imported_unverified_claims == "keep"

    @staticmethod
    def _username(value: Any, own_phone: Optional[str] = None, own_email: Optional[str] = None,
                  region: str = "CN", own_given: Optional[str] = None) -> str:
        if not isinstance(value, str):
            raise InvalidRequest("username must be a string")
        if not 1 <= len(value) <= 128 or not value.isprintable() or value != value.strip():
            raise InvalidRequest("username must be 1-128 printable characters without surrounding spaces")
        # sign-ups by phone or email default the username to it, and sign-in takes a phone or
        # an email as username: nobody may squat another's number or address (usernames.py)
        if not backed(value, own_phone, own_email, region) and not (own_given and value == own_given):
            if phone_shaped(value):
                raise InvalidRequest("a username that looks like a phone number must be the user's own number")
            raise InvalidRequest("a username with @ must be the user's own email address")
        return value

    @staticmethod
    def _password(value: Any, s) -> str:
        if not isinstance(value, str):
            raise InvalidRequest("password must be a string")
        if not s.password_min_length <= len(value) <= PASSWORD_MAX:
            raise InvalidRequest(f"password must be {s.password_min_length}-{PASSWORD_MAX} characters")
        if not passwords.encodable(value):
            raise InvalidRequest("password must be text (it holds a lone UTF-16 surrogate)")
        return value

    @staticmethod
    def _phone(value: Any, s) -> str:
        # storing a number is not sending to it: the region allowlist applies when sending
        return phone.normalise(value, s.default_region, ("*",)).e164

    @staticmethod
    def _email(value: Any) -> str:
        return emails.normalise(value)
