"""LeanCloud's query language on ``_User`` (master key): ``where`` with equality, ``$ne``,
``$in``, ``$nin``, ``$gt/$gte/$lt/$lte``, ``$exists``, ``$regex`` (``$options``), ``$or`` and
``$and``, on any user field (custom ones and dotted paths included); ``order`` (several
keys, ``-`` for descending), ``limit`` (at most 1000), ``skip``, ``count`` and ``keys``.

Pure. A query whose ``where`` pins objectId, username, email, mobilePhoneNumber or an
``authData.<platform>.<uid field>`` (equality or ``$in``) runs as key lookups
(``keyed``); anything else reads the app's users page by page (``run`` over a
``source(start_key) -> (users, next_key)``), filtering as it goes, inside a time budget.
Users are matched as ``doc`` shows them (never a password hash, a session or authData's
secrets); the dialect answers each in its own format and ``project``s it on ``keys``.
"""
from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Callable, Optional

from . import authdata
from .errors import InvalidRequest

MAX_LIMIT = 1000
MAX_CONDITIONS = 100
MAX_REGEX = 200
COMPARE = ("$gt", "$gte", "$lt", "$lte")
OPERATORS = ("$ne", "$in", "$nin", "$exists", "$regex", "$options", "$eq") + COMPARE
KEYED = ("objectId", "username", "email", "mobilePhoneNumber")
ALWAYS = ("objectId", "createdAt", "updatedAt")  # kept by ``keys``, as LeanCloud does


class BudgetExceeded(Exception):
    """A scan ran out of its time budget before it could answer (order / count / skip)."""


@dataclass
class Query:
    where: dict = field(default_factory=dict)
    order: list = field(default_factory=list)     # [(field, descending)]
    limit: int = 100
    skip: int = 0
    count: bool = False
    keys: Optional[list] = None


def _iso(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}Z"


def doc(user) -> dict:
    """The user as ``where`` and ``order`` see it (dates as LeanCloud's ISO strings)."""
    out = dict(user.custom)
    out.update(objectId=user.object_id, username=user.username, createdAt=_iso(user.created_at),
               updatedAt=_iso(user.updated_at), mobilePhoneVerified=user.phone_verified,
               emailVerified=user.email_verified)
    if user.phone:
        out["mobilePhoneNumber"] = user.phone
    if user.email:
        out["email"] = user.email
    for key, value in user.kept.items():
        out[key] = authdata.public(value) if key == "authData" else value
    return out


# ---- parsing ----------------------------------------------------------------------------------

def parse(where: Any, order: Optional[str], limit: int, skip: int, count: bool, keys: Optional[str]) -> Query:
    if where is None:
        where = {}
    if not isinstance(where, dict):
        raise InvalidRequest("where must be a JSON object")
    _check(where, [0])
    if not 0 <= limit <= MAX_LIMIT:
        raise InvalidRequest(f"limit must be 0-{MAX_LIMIT}")
    orders = []
    for part in (order or "").split(","):
        part = part.strip()
        if not part:
            continue
        name = part.lstrip("-")
        _field_name(name)
        orders.append((name, part.startswith("-")))
    fields = None
    if keys not in (None, ""):
        fields = [k.strip() for k in keys.split(",") if k.strip()]
        for k in fields:
            _field_name(k.lstrip("-"))
    return Query(where=where, order=orders, limit=limit, skip=skip, count=count, keys=fields)


def _field_name(name: str) -> None:
    if not isinstance(name, str) or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]{0,63}(\.[A-Za-z0-9_]{1,64}){0,4}", name):
        raise InvalidRequest(f"not a field name: {name!r}")


def _check(where: dict, seen: list, depth: int = 0) -> None:
    if depth > 8:
        raise InvalidRequest("where is nested too deeply")
    for key, cond in where.items():
        seen[0] += 1
        if seen[0] > MAX_CONDITIONS:
            raise InvalidRequest(f"where has more than {MAX_CONDITIONS} conditions")
        if key in ("$or", "$and"):
            if not isinstance(cond, list) or not cond or not all(isinstance(c, dict) for c in cond):
                raise InvalidRequest(f"{key} needs a non-empty list of conditions")
            for c in cond:
                _check(c, seen, depth + 1)
            continue
        _field_name(key)
        if isinstance(cond, dict) and any(k.startswith("$") for k in cond):
            for op, arg in cond.items():
                if op not in OPERATORS:
                    raise InvalidRequest(f"{key}: operator {op!r} is not supported on _User "
                                         f"(supported: {', '.join(OPERATORS)})")
                if op in ("$in", "$nin") and (not isinstance(arg, list) or len(arg) > MAX_LIMIT):
                    raise InvalidRequest(f"{key}: {op} needs a list of at most {MAX_LIMIT} values")
                if op == "$exists" and not isinstance(arg, bool):
                    raise InvalidRequest(f"{key}: $exists needs true or false")
                if op == "$regex":
                    if not isinstance(arg, str) or len(arg) > MAX_REGEX:
                        raise InvalidRequest(f"{key}: $regex needs a pattern of at most {MAX_REGEX} characters")
                    try:
                        re.compile(pattern(arg))
                    except re.error:
                        raise InvalidRequest(f"{key}: $regex is not a valid pattern") from None
                if op == "$options" and (not isinstance(arg, str) or set(arg) - set("imsx")):
                    raise InvalidRequest(f"{key}: $options may hold i, m, s, x")


# ---- matching ---------------------------------------------------------------------------------

def pattern(regex: str) -> str:
    """A LeanCloud (PCRE) pattern for Python's re: ``\\Q...\\E`` quoting, which the SDKs'
    ``startsWith`` / ``endsWith`` / ``contains`` send, becomes escaped text."""
    return re.sub(r"\\Q(.*?)(?:\\E|$)", lambda m: re.escape(m.group(1)), regex, flags=re.S)


_MISSING = object()


def _get(d: dict, path: str) -> Any:
    value: Any = d
    for part in path.split("."):
        if not isinstance(value, dict) or part not in value:
            return _MISSING
        value = value[part]
    return value


def _plain(value: Any) -> Any:
    """Dates compare as their ISO strings; pointers by objectId."""
    if isinstance(value, dict) and value.get("__type") == "Date" and isinstance(value.get("iso"), str):
        return value["iso"]
    if isinstance(value, dict) and value.get("__type") == "Pointer":
        return value.get("objectId")
    return value


def _eq(have: Any, want: Any) -> bool:
    have, want = _plain(have), _plain(want)
    if isinstance(have, list) and not isinstance(want, list):
        return any(_plain(x) == want for x in have)  # an array field matches any element
    return have == want


def _cmp(have: Any, want: Any, op: str) -> bool:
    have, want = _plain(have), _plain(want)
    numbers = (int, float)
    if isinstance(have, bool) or isinstance(want, bool):
        return False
    if not ((isinstance(have, numbers) and isinstance(want, numbers)) or (isinstance(have, str) and isinstance(want, str))):
        return False
    return {"$gt": have > want, "$gte": have >= want, "$lt": have < want, "$lte": have <= want}[op]


def matches(d: dict, where: dict) -> bool:
    for key, cond in where.items():
        if key == "$or":
            if not any(matches(d, c) for c in cond):
                return False
            continue
        if key == "$and":
            if not all(matches(d, c) for c in cond):
                return False
            continue
        have = _get(d, key)
        if isinstance(cond, dict) and any(k.startswith("$") for k in cond):
            if not _ops(have, cond):
                return False
        elif have is _MISSING or not _eq(have, cond):
            return False
    return True


def _ops(have: Any, cond: dict) -> bool:
    for op, arg in cond.items():
        if op == "$exists":
            if (have is not _MISSING and have is not None) != arg:
                return False
        elif op == "$eq":
            if have is _MISSING or not _eq(have, arg):
                return False
        elif op == "$ne":
            if have is not _MISSING and _eq(have, arg):
                return False
        elif op == "$in":
            if have is _MISSING or not any(_eq(have, a) for a in arg):
                return False
        elif op == "$nin":
            if have is not _MISSING and any(_eq(have, a) for a in arg):
                return False
        elif op in COMPARE:
            if have is _MISSING or not _cmp(have, arg, op):
                return False
        elif op == "$regex":
            flags = sum({"i": re.I, "m": re.M, "s": re.S, "x": re.X}[c] for c in set(cond.get("$options", "")))
            if not isinstance(have, str) or re.search(pattern(arg), have, flags) is None:
                return False
    return True


# ---- planning and running ---------------------------------------------------------------------

def keyed(where: dict) -> Optional[list]:
    """[(claim field, value)] to look up when ``where`` pins the user by a unique key
    (equality or ``$in`` at the top level), else None (a scan)."""
    for key in KEYED:
        cond = where.get(key)
        values = [cond] if isinstance(cond, str) else (
            cond.get("$in") if isinstance(cond, dict) and set(cond) == {"$in"} else None)
        if values is not None and all(isinstance(v, str) for v in values):
            return [(key, v) for v in values]
    for key, cond in where.items():
        m = re.fullmatch(r"authData\.([A-Za-z][A-Za-z0-9_]{0,31})\.(openid|uid|id)", key)
        if m and isinstance(cond, str) and authdata.UID_FIELDS.get(m.group(1), m.group(2)) == m.group(2):
            return [(f"auth:{m.group(1)}", cond)]
    return None


def _sort_key(value: Any):
    value = _plain(value)
    if value is _MISSING or value is None:
        return (0, 0)
    if isinstance(value, bool):
        return (1, int(value))
    if isinstance(value, (int, float)):
        return (2, value)
    if isinstance(value, str):
        return (3, value)
    return (4, str(value))


def page(found: list, q: Query) -> tuple:
    """(page of users, total) of the matching ``found`` [(doc, user)]: ordered, skipped,
    limited. The dialect answers each user in its own format, then ``project``s it."""
    for name, desc in reversed(q.order):
        found.sort(key=lambda pair: _sort_key(_get(pair[0], name)), reverse=desc)
    return [user for _, user in found[q.skip:q.skip + q.limit]], len(found)


def project(answer: dict, keys: Optional[list]) -> dict:
    """``keys``: only those fields of an answered user (objectId and the dates always)."""
    if keys is None:
        return answer
    wanted = set(keys) | set(ALWAYS)
    return {k: v for k, v in answer.items() if k in wanted or k.split(".")[0] in wanted}


def matching(users: list, where: dict) -> list:
    """[(doc, user)] of the users ``where`` matches."""
    return [(d, u) for d, u in ((doc(u), u) for u in users) if matches(d, where)]


def run(q: Query, source: Callable, budget_s: float, clock: Callable[[], float] = time.monotonic) -> tuple:
    """Scan: (page of users, total) from ``source(start_key) -> (users, next_key)``. Without
    an order or a count the scan stops once ``skip + limit`` users matched; otherwise it
    must read every user of the app. BudgetExceeded if that takes longer than ``budget_s``."""
    need_all = bool(q.order) or q.count
    wanted = q.skip + q.limit
    found, start, deadline = [], None, clock() + budget_s
    while True:
        users, start = source(start)
        found.extend(matching(users, q.where))
        if start is None or (not need_all and len(found) >= wanted):
            break
        if clock() > deadline:
            raise BudgetExceeded("the query reads every user and ran out of time")
    return page(found, q)


def scan_page(q: Query, source: Callable, start: Optional[dict], budget_s: float,
              clock: Callable[[], float] = time.monotonic) -> tuple:
    """LeanCloud's ``scan`` (a cursor over every user): (users, the key to resume from or
    None at the end). Reads store pages from ``start`` until ``q.limit`` users matched, the
    table ends or the budget is spent (then possibly fewer, with a key to go on)."""
    found, deadline = [], clock() + budget_s
    while True:
        users, start = source(start)
        found.extend(matching(users, q.where))
        if start is None or len(found) >= max(1, q.limit) or clock() > deadline:
            break
    return [user for _, user in found], start

