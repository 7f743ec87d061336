"""Opaque paging cursors: a store's continuation key, signed and bound to one query.

The admin API hands ``next`` back as a string; a caller passes it as ``cursor`` to get the
next page. It is the store's key (JSON, base64url) with a keyed hash over it and the query
it belongs to, so a cursor edited by hand, or taken from another query, is a clear 400
rather than a DynamoDB validation error."""
from __future__ import annotations

import base64
import json

from . import codes
from .errors import InvalidRequest


def encode(secret: bytes, scope: str, key: dict) -> str:
    body = base64.urlsafe_b64encode(json.dumps(key, separators=(",", ":"), sort_keys=True).encode()).decode()
    return f"{body}.{codes.keyed_hash(secret, 'cursor', scope, body)[:32]}"


def decode(secret: bytes, scope: str, cursor: object) -> dict:
    if not isinstance(cursor, str) or len(cursor) > 2000 or "." not in cursor:
        raise InvalidRequest("cursor is not one this query returned")
    body, _, mac = cursor.rpartition(".")
    if not mac.isascii() or not codes.same(mac, codes.keyed_hash(secret, "cursor", scope, body)[:32]):
        raise InvalidRequest("cursor is not one this query returned")
    try:
        key = json.loads(base64.urlsafe_b64decode(body.encode()))
    except ValueError:
        raise InvalidRequest("cursor is not one this query returned") from None
    if not isinstance(key, dict):
        raise InvalidRequest("cursor is not one this query returned")
    return key
