"""Usernames that look like a phone number or an email address (the squatting rule).

Sign-ups by phone or email default the username to it, and logins and CloudBase sign-in take
a phone or an address as the username: such a username is a claim on the number or address.
It must be *backed* by the user's own phone (the same number, in any spelling the default
region reads: ``13800138000`` for ``+8613800138000``) or own email (case-insensitively):

- checked whenever a username is set (sign-up, ``PUT``);
- when the phone or email it stands for moves (``PUT``, ``{"__op": "Delete"}``,
  ``changePhoneNumber``), the username moves with it: to the new value, or to the user's
  objectId when the value is removed. A username never stays behind on a number its user
  gave up;
- a proof wins: whoever proves a number or address by code signs up with it even if an
  account holds it as an *unbacked* username (one left from before this rule): that account
  is renamed to its objectId (``_yield_username``). Users imported from LeanCloud keep such a
  username unless ``imported_unverified_claims`` is ``yield``.
"""
from __future__ import annotations

import dataclasses
import re
from typing import Optional

from .. import phone
from ..errors import InvalidPhoneNumber, Taken
from .model import E164_LIKE, User


def phone_shaped(value: str) -> bool:
    return bool(E164_LIKE.match(re.sub(r"[\s\-()]", "", value)))


def number_of(value: str, region: str) -> Optional[str]:
    """The E.164 number a phone-shaped username stands for, or None if it is none."""
    try:
        return phone.normalise(value, region, ("*",)).e164
    except InvalidPhoneNumber:
        return None


def backed(name: str, own_phone: Optional[str], own_email: Optional[str], region: str) -> bool:
    """Whether ``name`` may be the username of a user with this phone and email."""
    if phone_shaped(name):
        return own_phone is not None and (name == own_phone or number_of(name, region) == own_phone)
    if "@" in name:
        return own_email is not None and name.lower() == own_email.lower()
    return True


def follow(before: User, after: User, region: str) -> User:
    """``after`` with its username moved along with the phone or email it stood for (to the
    new value, or to the objectId when the value is gone)."""
    name = after.username
    if name != before.username:
        return after  # set in the same change: checked against the new values by the caller
    if phone_shaped(name) and before.phone and after.phone != before.phone and \
            backed(name, before.phone, None, region):
        # the number as the app wrote it, where it was given (as an SMS sign-up names it)
        return dataclasses.replace(after, username=after.phone_given or after.phone or after.object_id)
    if "@" in name and before.email and (after.email or "").lower() != before.email.lower() and \
            backed(name, None, before.email, region):
        return dataclasses.replace(after, username=after.email or after.object_id)
    return after


class Usernames:
    """The username side of the squatting rule, part of ``AccountService``."""

    def _holder_yields(self, holder: User, name: str) -> bool:
        """Whether ``holder`` gives up its username ``name`` to someone who proved the number
        or address it looks like: only an unbacked one, and an imported user's only when
        ``imported_unverified_claims`` is ``yield``."""
        s = self._settings(holder.app_id)
        if not (phone_shaped(name) or "@" in name) or backed(name, holder.phone, holder.email, s.default_region):
            return False
        return not holder.imported or s.imported_unverified_claims == "yield"

    def _yield_username(self, app_id: str, name: str) -> None:
        """After a proof of the number or address ``name`` stands for: the account holding
        it as an unbacked username is renamed to its objectId (one conditional write), so the
        prover can take it. Raises Taken if the holder keeps it."""
        holder = self.users.find(app_id, "username", name)
        if holder is None:
            return
        if not self._holder_yields(holder, name):
            raise Taken("Username has already been taken.", "username")

        def rename(u: User) -> User:
            if u.username != name or not self._holder_yields(u, name):
                return u
            return dataclasses.replace(u, username=u.object_id)

        self._update(holder, rename)
