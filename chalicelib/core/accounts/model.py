"""The user system's data: users, sessions, the store they live in, custom fields."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Mapping, Optional, Protocol

from .. import purposes
from ..authdata import claims_of
from ..errors import InvalidRequest

# which purposes' codes each way in accepts (a code of one purpose never verifies another):
# `login` with smsCode takes login codes only; usersByMobilePhone, which signs up as well,
# also takes codes from the generic requestSmsCode, as LeanCloud's SDK flows expect
LOGIN_CODES = (purposes.LOGIN.name,)
SIGNUP_OR_LOGIN_CODES = (purposes.GENERIC.name, purposes.LOGIN.name)

DELETE = object()  # a custom field (or email / phone) to remove
CUSTOM_KEY = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,63}$")
E164_LIKE = re.compile(r"^\+?\d{6,15}$")
MAX_CUSTOM_BYTES = 16 * 1024
LEANCLOUD, CLOUDBASE = "leancloud", "cloudbase"   # Session.dialect


@dataclass(frozen=True)
class User:
    app_id: str
    object_id: str
    username: str
    created_at: int                   # epoch milliseconds
    updated_at: int
    password_hash: Optional[str] = None
    phone: Optional[str] = None       # E.164: the claim, lookups and sends use it
    phone_verified: bool = False
    # the number as the app wrote it when that is not the E.164 form (``18752169780``):
    # LeanCloud answers mobilePhoneNumber as stored; None answers the E.164 form
    phone_given: Optional[str] = None
    email: Optional[str] = None
    email_verified: bool = False
    custom: Mapping[str, Any] = field(default_factory=dict)
    version: int = 0
    session_epoch: int = 0
    # imported from LeanCloud: authData and ACL, kept as they came (not interpreted); the
    # keyed hash of the imported sessionToken and a keyed mark of the imported password hash,
    # so that a delta import neither revives an ended session nor undoes a rehash
    kept: Mapping[str, Any] = field(default_factory=dict)
    import_session: Optional[str] = None
    import_password: Optional[str] = None
    # a phone or email was proven without the account's session (a link, a code alone)
    # while its password and sessions already existed: they were never attested by that
    # proof, so the first login by proof ends them (see AccountBase._login_by_proof)
    unproven: bool = False
    # imported from LeanCloud (``imported``), and which of its phone / email came unverified
    # from the import and are still as imported (``imported_unverified``): the setting
    # ``imported_unverified_claims`` decides what a proof of them does (see _login_by_proof)
    imported: bool = False
    imported_unverified: tuple = ()

    @property
    def phone_shown(self) -> Optional[str]:
        """``mobilePhoneNumber`` as LeanCloud answers it: as the app wrote it, if that is still
        this number (a stale form left by a change of number is never shown), else E.164."""
        given = self.phone_given
        if self.phone and given and self.phone.endswith(given.lstrip("+").lstrip("0") or "-"):
            return given
        return self.phone

    def claims(self) -> dict:
        """The unique values this user holds, by field (``auth:<platform>``: a linked platform's
        uid, ``union:<platform>``: a main account's unionid; see core.authdata)."""
        out = {"username": self.username}
        if self.phone:
            out["phone"] = self.phone
        if self.email:
            out["email"] = self.email.lower()
        out.update(claims_of(self.kept.get("authData")))  # a platform uid belongs to one user
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
    # the dialect that issued it, and the only one that accepts it: a CloudBase access token
    # is no X-LC-Session (it would outlive access_token_ttl_seconds through
    # refreshSessionToken), a LeanCloud session no CloudBase Bearer token
    dialect: str = LEANCLOUD


def given_phone(raw: Any, e164: Optional[str]) -> Optional[str]:
    """The number as the app wrote it (``18752169780``), kept beside its E.164 claim when it
    differs: LeanCloud answers ``mobilePhoneNumber`` as stored. None when it is the E.164 form
    or not plainly digits (spaces, dashes: answered in E.164)."""
    if not e164 or not isinstance(raw, str):
        return None
    text = raw.strip()
    return text if text != e164 and re.fullmatch(r"\+?[0-9]{5,20}", text) else None


class Stale(Exception):
    """The user changed since it was read: read again and retry."""


class UserStore(Protocol):
    def create(self, user: User, sessions) -> None:
        """Write the user, its claims and its first session(s) (a Session, a tuple of them,
        or None) in one transaction, or raise Taken(field)."""

    def get(self, app_id: str, object_id: str) -> Optional[User]: ...

    def claimed(self, app_id: str, claims: dict) -> Optional[str]:
        """The first field of ``claims`` ({field: value}) someone already holds, or None
        (one read, before a sign-up pays for its password hash)."""

    def find(self, app_id: str, field: str, value: str) -> Optional[User]:
        """The user holding ``value`` of ``field`` (username, phone, email)."""

    def save(self, before: User, after: User, sessions: tuple = (), clear: Optional[tuple] = None) -> None:
        """Write ``after`` if the user is still at ``before.version``, moving claims whose
        value changed and putting ``sessions`` (and deleting the counter ``clear`` names, as
        ``add_sessions`` does), in one transaction. Raises Taken, Stale or LockedOut."""

    def add_sessions(self, sessions: tuple, clear: Optional[tuple] = None) -> None:
        """Write sessions (one, or an access and a refresh token) at once; with ``clear``
        (login-failure charge, now, retry after), also delete that counter, on the condition
        that it is under its limit at ``now`` (else raise LockedOut and write nothing); with
        ``now`` None, whatever it holds."""

    def phone_holder(self, app_id: str, e164: str) -> tuple:
        """(object id or None, phone verified or None if unknown), from the phone's claim."""

    def owner(self, app_id: str, field: str, value: str) -> Optional[str]:
        """The object id holding ``value`` of ``field``, from its claim alone."""

    def get_with_claim(self, app_id: str, object_id: str, field: str, value: str) -> tuple:
        """(user or None, the object id the claim on ``value`` of ``field`` names or None), in one read."""

    def get_with_count(self, app_id: str, object_id: str, counter_key: str) -> tuple:
        """(user or None, the counter ``counter_key`` as read: ((window index, count, time of
        the last), ...) for ``Charge.seen``), in one read."""

    def rotate(self, old: Session, sessions: tuple) -> None:
        """Mark ``old`` used (pointing at its successor), end its access token and write
        ``sessions``, atomically; raise InvalidSession if ``old`` was already used or revoked."""

    def revoke(self, token_hash: str, dialect: Optional[str] = None) -> Optional[str]:
        """Delete the session or refresh token with this hash, and its peer, if any (with
        ``dialect``: only if that dialect issued it); the objectId whose token this call
        ended (None: there was none)."""

    def revoke_chain(self, refresh_hash: Optional[str]) -> None:
        """Delete the refresh token with this hash, its access token, and their successors."""

    def get_session_and_user(self, app_id: str, token_hash: str, object_id: str,
                             kind: str = "session") -> tuple:
        """(session or None, user or None), read together in one round trip."""


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
