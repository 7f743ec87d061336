"""Verification: sending codes to users, verifying phones and emails by code or link."""
from __future__ import annotations

import dataclasses
from typing import Any, Optional

from .. import emails, phone, purposes
from ..errors import (FeatureDisabled, InvalidCode, InvalidRequest, NotVerified, PhoneNotFound, PhoneNotVerified,
                      UserNotFound, VerikitError)
from ..service import SendRequest
from .model import User


class Verification:
    """Codes for users and verification, part of ``AccountService``."""

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
        uid, verified = self._holder(app_id, e164, require_verified)
        refusal = None
        if uid is None:
            refusal = PhoneNotFound("No user with this mobile phone number.")
        elif require_verified and not verified:
            refusal = PhoneNotVerified("The mobile phone number is not verified.")
        if refusal is not None and not s.enumeration_protection:
            raise refusal
        # a login code names the user it logs in: the login then needs no read of the claim
        # to find the user (``login_sms``)
        self.otp.send(SendRequest(app_id=app_id, phone=e164, purpose=purpose, client_ip=client_ip,
                                  validate_token=validate_token, deliver=refusal is None,
                                  quiet=s.enumeration_protection,
                                  user_id=uid if refusal is None and purpose == purposes.LOGIN.name else None))

    def _holder(self, app_id: str, e164: str, need_verified: bool = True) -> tuple:
        """(object id or None, verified): the phone's claim alone says who holds the number
        and whether it is verified (one read, for a user as for nobody); a claim older than
        its verified flag: the user too, when ``need_verified``."""
        uid, verified = self.users.phone_holder(app_id, e164)
        if uid is not None and need_verified and verified is None:
            user = self.users.get(app_id, uid)
            uid, verified = (None, None) if user is None or user.phone != e164 else (uid, user.phone_verified)
        return uid, verified

    # ---- verify phone, change phone, reset password --------------------------------------

    def verify_phone(self, app_id: str, code: Any, raw_phone: Any = None, client_ip=None,
                     actor: Optional[User] = None) -> User:
        """``verifyMobilePhone/<code>``: with the number (Python SDK) or by the code alone (JS).
        ``actor``: the request's session user, if any (a proof made with the account's own
        session attests its password and sessions; see ``_verified``)."""
        e164 = None
        if raw_phone not in (None, ""):
            e164 = self.otp.verify(app_id, raw_phone, code, purposes.VERIFY_PHONE.name)
        elif actor is not None and actor.phone:
            # the code alone with a session (the JS SDK): first the session's own number, one
            # guess at its code (no search by code, no code-only charges); another number's
            # code is still found by the code alone below
            try:
                e164 = self.otp.verify(app_id, actor.phone, code, purposes.VERIFY_PHONE.name)
            except InvalidCode:
                e164 = None
        if e164 is None:
            e164 = self.otp.verify_by_code(app_id, code, purposes.VERIFY_PHONE.name, client_ip)
        # the session's user was read with its session just now: no second read (a stale
        # copy is re-read by ``_update``, whose write is conditional on the version)
        user = actor if actor is not None and actor.phone == e164 else self.users.find(app_id, "phone", e164)
        if user is None:  # the user changed number since the code was sent
            raise PhoneNotFound("No user with this mobile phone number.")
        attested = actor is not None and actor.object_id == user.object_id
        after = self._update(user, lambda u: self._verified(u, "phone", attested) if u.phone == e164 else u)
        self._verified_now(user, after)  # events: LeanEngine onVerified('sms')
        return after

    def _verified(self, u: User, field: str, attested: bool) -> User:
        """``u`` with ``field`` verified. A proof made without the account's session
        (``attested`` false: a link, a code alone) of a field that was not verified does not
        vouch for the password and sessions someone set before it: they are marked
        ``unproven``, and the first login by proof ends them (``_login_by_proof``). A proof
        made with the session clears that mark (the session holder has the phone or email)."""
        was = u.phone_verified if field == "phone" else u.email_verified
        if field in u.imported_unverified and self._keeps_imported(u):
            attested = True  # imported_unverified_claims: keep (LeanCloud's behaviour)
        unproven = False if attested else (u.unproven or not was)
        return dataclasses.replace(u, unproven=unproven, **{f"{field}_verified": True})

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
        if user is None:
            self._read_like_a_user(app_id)
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
                return name, self._mark(user, name, target, attested=True)
            raise InvalidCode("invalid verification code")
        purpose, target = self.otp.verify_by_code_any(
            app_id, code, (purposes.VERIFY_PHONE.name, purposes.VERIFY_EMAIL.name), client_ip)
        field = "email" if purpose == purposes.VERIFY_EMAIL.name else "phone"
        owner = self.users.find(app_id, field, target)
        if owner is None:
            raise InvalidCode("invalid verification code")
        return field, self._mark(owner, field, target)

    def _mark(self, owner: User, field: str, target: str, attested: bool = False) -> User:
        def mark(u: User) -> User:
            if field == "phone" and u.phone == target:
                return self._verified(u, "phone", attested)
            if field == "email" and u.email and emails.key(u.email) == target:
                return self._verified(u, "email", attested)
            raise InvalidCode("invalid verification code")  # changed since the code was sent

        after = self._update(owner, mark)
        self._verified_now(owner, after)  # events: LeanEngine onVerified('sms' | 'email')
        return after
