"""LeanCloud's typed values (``{"__type": "File" | "Pointer", ...}``) in the exact form the
official SDKs parse, whatever form an export or an older client wrote them in.

- **File.** LeanCloud stored a file field as a reference to its ``_File`` row and its SDKs
  wrote it as ``{"__type": "File", "id": ..., "name": ..., "url": ...}`` (the Python SDK's
  ``encode`` still does; exports of older apps hold that form); its REST API answers the file
  expanded, with ``objectId``. The Python SDK's ``utils.decode`` reads ``value["objectId"]``,
  ``value["name"]`` and ``value["url"]`` (a missing one is ``KeyError`` on every login of that
  user); the JS SDK's ``AV._decode`` builds ``new AV.File(value.name)`` and takes ``objectId``
  as the file's id. So a File is answered with ``objectId`` (from ``id`` when that is all
  there is), ``name`` and ``url`` always present, and the rest (``mime_type``, ``metaData``,
  ``bucket``, ``key``, ``provider``, dates) as it came.
- **Pointer.** Both SDKs read a pointer with more than ``__type``, ``className`` and
  ``objectId`` as a whole fetched object (Python: one with ``createdAt``; JS: more than three
  keys), so a pointer is answered with exactly those three; ``id`` or an Extended-JSON
  ``{"$oid": ...}`` becomes ``objectId``.
"""
from __future__ import annotations

from typing import Any

FILE_KEYS = ("mime_type", "metaData", "bucket", "key", "provider", "createdAt", "updatedAt")


def canonical(value: Any, depth: int = 0) -> Any:
    """``value`` with every File and Pointer inside it in the SDKs' form (other values as they are)."""
    if depth > 32:
        return value
    if isinstance(value, list):
        return [canonical(v, depth + 1) for v in value] if any(isinstance(v, (dict, list)) for v in value) else value
    if not isinstance(value, dict):
        return value
    kind = value.get("__type")
    if kind == "File":
        return _file(value)
    if kind == "Pointer":
        return {"__type": "Pointer", "className": value.get("className"), "objectId": _id(value)}
    if kind is not None:
        return value  # Date, GeoPoint, Object, Relation, Bytes: already what the SDKs read
    return {k: canonical(v, depth + 1) for k, v in value.items()}


def _id(value: dict) -> Any:
    oid = value.get("objectId", value.get("id"))
    if isinstance(oid, dict) and isinstance(oid.get("$oid"), str):
        return oid["$oid"]
    return oid if isinstance(oid, str) else None


def _file(value: dict) -> dict:
    url = value.get("url") if isinstance(value.get("url"), str) else None
    name = value.get("name")
    if not isinstance(name, str):
        name = url.rsplit("/", 1)[-1].split("?")[0] if url else ""
    out = {"__type": "File", "objectId": _id(value), "name": name, "url": url}
    for key, v in value.items():
        if key not in out and key != "id":
            out[key] = v
    return out


def canonical_fields(fields: dict) -> dict:
    """A user's custom fields for an answer: only typed values are rebuilt."""
    return {k: canonical(v) if isinstance(v, (dict, list)) else v for k, v in fields.items()}
