"""A LeanCloud ``_User`` export's records as values: reading dates, custom fields and flags of
a record, and the units and report of an import (``migration`` does the import itself)."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Optional

from ..errors import InvalidRequest
from .model import User


@dataclass
class Unit:
    """One record's writes: ``before`` is None for a new user."""
    line: int
    before: Optional[User]
    after: User
    sessions: tuple = ()
    revoke: tuple = ()           # hashes of sessions to end (a replaced imported token)
    # the imported token carried into a new epoch (a password changed on LeanCloud) only if it
    # still lives at this epoch: a token the user ended here is never revived
    carry_from: Optional[int] = None
    revive: bool = False         # a user deleted here, imported again on the operator's word

    def added_claims(self) -> dict:
        old = self.before.claims() if self.before else {}
        return {k: v for k, v in self.after.claims().items() if old.get(k) != v}

    def released_claims(self) -> dict:
        new = self.after.claims()
        return {k: v for k, v in (self.before.claims() if self.before else {}).items() if new.get(k) != v}


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    failed: list = field(default_factory=list)
    dropped: list = field(default_factory=list)    # fields left out to keep an account (per line)
    warnings: list = field(default_factory=list)   # what will not work as on LeanCloud (per line)

    def fail(self, line: int, object_id: Any, error: str) -> None:
        self.failed.append({"line": line, "objectId": object_id if isinstance(object_id, str) else None,
                            "error": error})

    def to_dict(self) -> dict:
        out = {"created": self.created, "updated": self.updated, "unchanged": self.unchanged,
               "failed": sorted(self.failed, key=lambda f: f["line"])}
        for name in ("dropped", "warnings"):  # only when there are any (keeping accounts; a dry run)
            if getattr(self, name):
                out[name] = sorted(getattr(self, name), key=lambda f: f["line"])
        return out


# ---- reading an export record ------------------------------------------------------------------

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


def _proven(user: User, name: str) -> bool:
    return user.phone_verified if name == "phone" else user.email_verified


def _raise(message: str):
    raise InvalidRequest(message)


def _flag(rec: dict, name: str) -> bool:
    value = rec.get(name, False)
    if value is None:
        return False
    if not isinstance(value, bool):
        raise InvalidRequest(f"{name} must be true or false")
    return value
