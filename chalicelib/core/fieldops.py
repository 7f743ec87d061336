"""LeanCloud's field operations on an object's own fields (``{"__op": ...}`` in a PUT):
``Increment`` / ``Decrement``, ``Add``, ``AddUnique``, ``Remove`` and ``Delete``, as the
SDKs' ``increment``, ``add``, ``addUnique``, ``remove`` and ``unset`` send them.

Pure: ``parse`` reads one wire value, ``resolve`` turns operations into the values to
store against the fields as they are now. The caller applies them inside a write that is
conditional on the version read (and re-resolves on a conflict), so two increments racing
both count.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Mapping

from .errors import InvalidRequest

OPS = ("Increment", "Decrement", "Add", "AddUnique", "Remove", "Delete")
MAX_ITEMS = 1000


@dataclass(frozen=True)
class Op:
    kind: str          # Increment | Add | AddUnique | Remove (Decrement is a negative Increment)
    value: Any         # the amount, or the list of objects


def _number(value: Any, name: str):
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value != value or value in (
            float("inf"), float("-inf")):
        raise InvalidRequest(f"{name}: amount must be a number")
    return value


def parse(value: Any, delete: Any, name: str = "field") -> Any:
    """A wire value: a plain value, ``delete`` (the caller's marker) or an ``Op``."""
    if not (isinstance(value, dict) and "__op" in value):
        return value
    kind = value.get("__op")
    if kind not in OPS:
        raise InvalidRequest(f"{name}: operation {kind!r} is not supported (only {', '.join(OPS)})")
    if kind == "Delete":
        return delete
    if kind in ("Increment", "Decrement"):
        amount = _number(value.get("amount", 1), name)
        return Op("Increment", amount if kind == "Increment" else -amount)
    objects = value.get("objects")
    if not isinstance(objects, list) or len(objects) > MAX_ITEMS:
        raise InvalidRequest(f"{name}: {kind} needs objects, a list of at most {MAX_ITEMS}")
    return Op(kind, objects)


def _same(a: Any, b: Any) -> bool:
    return json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)


def resolve(current: Mapping[str, Any], changes: Mapping[str, Any]) -> dict:
    """``changes`` with every ``Op`` replaced by the value it gives against ``current``."""
    out = {}
    for key, change in changes.items():
        if not isinstance(change, Op):
            out[key] = change
            continue
        now = current.get(key)
        if change.kind == "Increment":
            if now is None:
                now = 0
            if isinstance(now, bool) or not isinstance(now, (int, float)):
                raise InvalidRequest(f"{key}: cannot increment a field that is not a number")
            out[key] = now + change.value
            continue
        if now is None:
            now = []
        if not isinstance(now, list):
            raise InvalidRequest(f"{key}: {change.kind} needs an array field")
        if change.kind == "Add":
            out[key] = now + list(change.value)
        elif change.kind == "AddUnique":
            added = list(now)
            for item in change.value:
                if not any(_same(item, x) for x in added):
                    added.append(item)
            out[key] = added
        else:  # Remove: every occurrence
            out[key] = [x for x in now if not any(_same(x, item) for item in change.value)]
    return out
