"""Reading one record of a LeanCloud ``_User`` export (``core.accounts.migration`` imports
them): its dates (ISO strings, LeanCloud and Extended JSON dates, BSON datetimes), its custom
fields as plain JSON, its objectId and flags, and the whole record as a validated ``User``.
"""
from __future__ import annotations

import re
from datetime import datetime, timezone
from typing import Any

from .. import codes, emails, passwords, phone
from ..errors import InvalidRequest
from ..passwords import leancloud_hash
from .model import CUSTOM_KEY, User, _merge_custom

TOKEN = re.compile(r"^[A-Za-z0-9_\-]{10,200}$")
# REST fields with a meaning of their own; everything else is a custom field
KNOWN = {"objectId", "_id", "createdAt", "updatedAt", "username", "password", "salt", "email", "emailVerified",
         "mobilePhoneNumber", "mobilePhoneVerified", "sessionToken", "authData", "ACL", "className", "__type"}
KEPT = ("authData", "ACL")       # kept as they came, not interpreted


MAX_MS = 253402300799999          # 9999-12-31T23:59:59.999Z: the last date ISO 8601 writes
OBJECT_ID = re.compile(r"^[A-Za-z0-9]{1,64}$")


def parse_date(value: Any, name: str) -> int:
    """Epoch milliseconds (1970 to 9999) from an ISO string, ``{"__type": "Date", "iso": ...}``,
    ``{"$date": ISO | ms | {"$numberLong": ms}}`` or a datetime (BSON)."""
    ms = _parse_date(value, name)
    if not 0 <= ms <= MAX_MS:
        raise InvalidRequest(f"{name} is out of range (1970 to 9999)")
    return ms


def _parse_date(value: Any, name: str, nested: bool = False) -> int:
    """``nested``: inside a ``{"__type": "Date"}`` or ``{"$date"}`` already, where only a
    string or a number may come (no recursion a record could nest thousands deep)."""
    if isinstance(value, datetime):
        dt = value if value.tzinfo else value.replace(tzinfo=timezone.utc)
        return int(dt.timestamp() * 1000)
    if isinstance(value, dict) and not nested:
        if value.get("__type") == "Date" and "iso" in value:
            return _parse_date(value["iso"], name, nested=True)
        if "$date" in value:
            inner = value["$date"]
            if isinstance(inner, dict) and "$numberLong" in inner:
                inner = inner["$numberLong"]
                if isinstance(inner, str) and re.fullmatch(r"-?\d{1,16}", inner):
                    return int(inner)
            if isinstance(inner, int) and not isinstance(inner, bool):
                return inner
            return _parse_date(inner, name, nested=True)
    if isinstance(value, str) and len(value) <= 40:
        try:
            dt = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            pass
        else:
            if dt.tzinfo is None:
                dt = dt.replace(tzinfo=timezone.utc)
            return int(dt.timestamp() * 1000)
    raise InvalidRequest(f"{name} is not a date (ISO 8601, {{\"__type\": \"Date\", \"iso\": ...}} or {{\"$date\": ...}})")


def plain(value: Any, depth: int = 0) -> Any:
    """A custom field's value as JSON: Extended JSON dates become LeanCloud dates, ObjectIds
    and 64-bit numbers plain values."""
    if depth > 32:
        raise InvalidRequest("custom fields are nested too deeply")
    if isinstance(value, datetime):
        ms = parse_date(value, "date")
        return {"__type": "Date", "iso": _iso(ms)}
    if isinstance(value, dict):
        if set(value) == {"$date"}:
            return {"__type": "Date", "iso": _iso(parse_date(value, "date"))}
        if set(value) == {"$oid"} and isinstance(value["$oid"], str):
            return value["$oid"]
        if set(value) == {"$numberLong"} and isinstance(value["$numberLong"], str) \
                and re.fullmatch(r"-?\d{1,19}", value["$numberLong"]):
            return int(value["$numberLong"])
        return {str(k): plain(v, depth + 1) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v, depth + 1) for v in value]
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)  # anything else a BSON decoder may hand over (ObjectId, Decimal128...)


def _iso(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}Z"


def _object_id(rec: dict) -> Any:
    oid = rec.get("objectId", rec.get("_id"))
    if isinstance(oid, dict) and isinstance(oid.get("$oid"), str):
        oid = oid["$oid"]
    return oid if isinstance(oid, str) else (str(oid) if oid is not None and not isinstance(oid, (dict, list)) else oid)


def _raise(message: str):
    raise InvalidRequest(message)


def _flag(rec: dict, name: str) -> bool:
    value = rec.get(name, False)
    if value is None:
        return False
    if not isinstance(value, bool):
        raise InvalidRequest(f"{name} must be true or false")
    return value


def read_record(secret, app_id: str, rec: dict, s, drop=None) -> tuple:
    """(User, sessionToken or None) of an export record, validated; InvalidRequest if not.
    With ``drop`` (``import_checks.Keeper``), a field that cannot be taken is left out and
    reported through it instead."""
    from .import_checks import given_phone, or_drop
    from .lc_types import canonical

    oid = _object_id(rec)
    if not isinstance(oid, str) or not OBJECT_ID.match(oid):
        raise InvalidRequest("objectId is missing or not 1-64 letters and digits")
    created = parse_date(rec["createdAt"], "createdAt") if rec.get("createdAt") is not None else None
    updated = parse_date(rec["updatedAt"], "updatedAt") if rec.get("updatedAt") is not None else None
    if created is None and updated is None:
        raise InvalidRequest("createdAt or updatedAt is required (a re-import compares updatedAt)")
    created, updated = created if created is not None else updated, updated if updated is not None else created

    raw_phone = rec.get("mobilePhoneNumber")
    e164 = None
    if raw_phone not in (None, ""):
        def read_phone():
            if not isinstance(raw_phone, str):
                raise InvalidRequest("mobilePhoneNumber must be a string")
            return phone.normalise(raw_phone, s.default_region, ("*",)).e164
        e164 = or_drop(drop, "mobilePhoneNumber", raw_phone, read_phone)
    address = or_drop(drop, "email", rec["email"], lambda: emails.normalise(rec["email"])) \
        if rec.get("email") not in (None, "") else None
    username = rec.get("username")
    if username in (None, ""):
        username = given_phone(raw_phone, e164) or e164 or address  # as an SMS sign-up names it
    if not isinstance(username, str) or not 1 <= len(username) <= 128 or not username.isprintable():
        raise InvalidRequest("username is missing or not 1-128 printable characters")

    password, salt = rec.get("password"), rec.get("salt")
    password_hash = mark = None
    if password not in (None, ""):
        def read_password():
            if not isinstance(password, str) or not isinstance(salt, str) or not 1 <= len(salt) <= 200 \
                    or "$" in salt or not passwords.encodable(salt) \
                    or not re.fullmatch(r"[A-Za-z0-9+/]{86}==", password):
                raise InvalidRequest("password must be LeanCloud's base64 SHA-512 hash with its salt")
            return leancloud_hash(salt, password)
        password_hash = or_drop(drop, "password", "<hidden>", read_password)
        if password_hash:
            mark = codes.keyed_hash(secret, "lc-password", app_id, oid, password_hash)[:32]

    token = rec.get("sessionToken")
    if token in (None, ""):
        token = None
    elif not isinstance(token, str) or not TOKEN.match(token):
        token = or_drop(drop, "sessionToken", "<hidden>",
                        lambda: _raise("sessionToken must be 10-200 letters, digits, - or _"))

    custom = {}
    for key, value in rec.items():
        if key in KNOWN or key.startswith("_"):  # _-prefixed: storage internals of a dump
            continue
        if not CUSTOM_KEY.match(key):
            or_drop(drop, key, value, lambda: _raise(f"invalid field name: {key!r}"))
            continue
        custom[key] = canonical(plain(value))
    kept = {k: plain(rec[k]) for k in KEPT if rec.get(k) is not None}
    if kept:
        if or_drop(drop, "/".join(kept), None, lambda: _merge_custom({}, {f"k{k}": v for k, v in kept.items()})) \
                is None:  # JSON and size-capped
            kept = {}
    phone_ok = or_drop(drop, "mobilePhoneVerified", rec.get("mobilePhoneVerified"),
                       lambda: _flag(rec, "mobilePhoneVerified"))
    email_ok = or_drop(drop, "emailVerified", rec.get("emailVerified"), lambda: _flag(rec, "emailVerified"))
    return User(app_id=app_id, object_id=oid, username=username, created_at=created, updated_at=updated,
                password_hash=password_hash, phone=e164, phone_verified=bool(e164 and phone_ok),
                phone_given=given_phone(raw_phone, e164), email=address,
                email_verified=bool(address and email_ok), custom=_merge_custom({}, custom),
                kept=kept, import_password=mark, imported=True,
                imported_unverified=tuple(f for f, v, ok in (("phone", e164, phone_ok), ("email", address, email_ok))
                                          if v and not ok)), token
