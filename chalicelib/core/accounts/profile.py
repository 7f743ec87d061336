"""Profile changes: the user's own record, its phone, its password (change and reset)."""
from __future__ import annotations

import dataclasses
from typing import Any, Mapping, Optional

from .. import fieldops, phone, purposes
from ..errors import (BadCredentials, InvalidCode, InvalidRequest, InvalidSession, MissingField, PhoneNotFound,
                      PhoneNotVerified, SessionRequired, Taken, UserNotFound)
from ..passwords import MAX_LENGTH as PASSWORD_MAX
from ..service import SendRequest
from .model import DELETE, Session, User, _merge_custom, _plausible_id, given_phone


class Profile:
    """Profile changes, part of ``AccountService``."""

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
        if user is None:
            # LeanCloud checks the code before the session. A phone-change code is bound to the
            # user who asked for it, so without a session no code can match: 603 (else 206)
            self.otp.verify(app_id, e164, code, purposes.CHANGE_PHONE.name, subject=None)
            raise SessionRequired("A session token is required (X-LC-Session).")
        self.otp.verify(app_id, e164, code, purposes.CHANGE_PHONE.name, subject=user.object_id)
        given = given_phone(raw_phone, e164)
        return self._update(user, lambda u: dataclasses.replace(u, phone=e164, phone_given=given, phone_verified=True,
                                                                unproven=False))

    def reset_password(self, app_id: str, code: Any, password: Any, raw_phone: Any = None,
                       client_ip=None) -> User:
        """Set a new password with a reset_password code; every session of the user ends."""
        s = self._settings(app_id)
        if password is None or password == "":
            raise MissingField("Password is required.", "password")
        self._password(password, s)  # validated before the code is spent; hashed only after it
        if raw_phone not in (None, ""):
            e164 = self.otp.verify(app_id, raw_phone, code, purposes.RESET_PASSWORD.name)
        else:
            e164 = self.otp.verify_by_code(app_id, code, purposes.RESET_PASSWORD.name, client_ip)
        user = self.users.find(app_id, "phone", e164)
        if user is None:
            raise PhoneNotFound("No user with this mobile phone number.")
        if not user.phone_verified and not s.allow_reset_password_if_phone_unverified:
            raise PhoneNotVerified("The mobile phone number is not verified.")
        new_hash = self.hasher.hash(password)  # the code is right: now argon2 may run

        def reset(u: User) -> User:
            if u.phone != e164:  # the user changed number since the code was sent
                raise PhoneNotFound("No user with this mobile phone number.")
            # the prover sets the only password and every other session ends
            return dataclasses.replace(u, password_hash=new_hash, phone_verified=True,
                                       session_epoch=u.session_epoch + 1, unproven=False)

        user = self._update(user, reset)
        self._clear_lockout(user)
        return user

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
        if changes.get("username") == target.username:  # sent back unchanged: it follows the phone / email
            changes = {k: v for k, v in changes.items() if k != "username"}
        if "username" in changes:
            if changes["username"] in (None, "", DELETE):
                raise MissingField("Username is required.", "username")
            raw = changes.get("phone")
            phone_after = (self._phone(raw, s) if raw else None) if isinstance(raw, str) else target.phone
            email_after = changes.get("email") if isinstance(changes.get("email"), str) else target.email
            new["username"] = self._username(changes["username"], phone_after, email_after, s.default_region,
                                             own_given=given_phone(raw, phone_after) if isinstance(raw, str)
                                             else target.phone_shown)
        if "password" in changes:
            if changes["password"] in (None, "", DELETE):
                raise MissingField("Password is required.", "password")
            new["password_hash"] = self.hasher.hash(self._password(changes["password"], s))
        if "phone" in changes:
            value = changes["phone"]
            new["phone"] = None if value in (None, "", DELETE) else self._phone(value, s)
            new["phone_given"] = given_phone(value, new["phone"])
        if "email" in changes:
            value = changes["email"]
            new["email"] = None if value in (None, "", DELETE) else self._email(value)
        for flag in ("phone_verified", "email_verified"):
            if flag in changes:
                if not isinstance(changes[flag], bool):
                    raise InvalidRequest(f"{flag} must be true or false")
                new[flag] = changes[flag]
        custom = changes.get("custom") or {}
        _merge_custom(target.custom, fieldops.resolve(target.custom, custom))  # validate before any write
        platforms = self.auth_data_changes(app_id, target, changes["auth_data"]) if "auth_data" in changes else {}

        def apply(u: User) -> User:
            # field operations (Increment, Add...) resolve against the freshest copy, inside
            # the write conditional on its version; updatedAt moves even if nothing changed
            out = dataclasses.replace(u, **new, custom=_merge_custom(u.custom, fieldops.resolve(u.custom, custom)),
                                      updated_at=self._now_ms())
            out = self.apply_auth_data(out, platforms, "password_hash" in new)
            if "phone" in new and new["phone"] != u.phone and "phone_verified" not in new:
                out = dataclasses.replace(out, phone_verified=False)
            if "email" in new and (new["email"] or "").lower() != (u.email or "").lower() and "email_verified" not in new:
                out = dataclasses.replace(out, email_verified=False)
            if "password_hash" in new:
                out = dataclasses.replace(out, session_epoch=u.session_epoch + 1)
            if "username" in new and out.username != u.username:  # again on the fresh copy: backed by the
                # phone / email it will have (an unchanged one follows them: usernames.follow)
                self._username(out.username, out.phone, out.email, s.default_region, own_given=out.phone_given)
            return out

        keep = session if (session is not None and session.user_id == object_id) else None
        user = self._update(target, apply, keep_session=keep)
        if "phone" in new and user.phone and user.phone != target.phone and s.send_verification_on_signup:
            self._auto_verify(app_id, user.phone, client_ip)
        if "email" in new and user.email and (user.email or "").lower() != (target.email or "").lower() \
                and s.send_verification_on_email_change:
            self._auto_verify(app_id, user.email, client_ip, link_base=link_base)
        return user

    def update_password(self, app_id: str, user: User, session: Session, old: Any, new: Any) -> tuple:
        """Change the password knowing the old one (counted towards the lockout). Every
        session ends, the caller's too, and the caller gets a new one, as on LeanCloud.
        Returns (user, new session token)."""
        s = self._settings(app_id)
        if old in (None, "") or new in (None, ""):
            raise MissingField("old_password and new_password are required.", "password")
        if not isinstance(old, str):
            raise InvalidRequest("old_password must be a string")
        self._password(new, s)

        def check():
            if len(old) > PASSWORD_MAX or not self.hasher.verify(user.password_hash, old):
                raise BadCredentials("The old password is wrong.")

        self._guarded(user, check)
        new_hash = self.hasher.hash(new)  # only once the old password was right
        holder = {}

        def sessions(after: User) -> tuple:
            holder["token"], fresh = self._new_session(after)
            return (fresh,)

        def change(u: User) -> User:
            if u.session_epoch != session.epoch:  # the caller's session ended meanwhile
                raise InvalidSession("Invalid or expired session token.")
            return dataclasses.replace(u, password_hash=new_hash, session_epoch=u.session_epoch + 1)

        user = self._update(user, change, sessions=sessions)
        return user, holder["token"]
