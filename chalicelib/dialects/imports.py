"""``POST /admin/v1/import/leancloud-users``: a LeanCloud ``_User`` export, imported.

The body is JSONL (one record a line), a JSON array, or ``{"results": [...]}``, whatever the
Content-Type. Master key only. ``?dry_run=true`` checks everything and writes nothing;
``?line_offset=N`` adds N to the reported line numbers (``make import-leancloud`` sends a big
file in batches and reports lines of the file). ``?drop_invalid_fields=true`` keeps every
account it can: a phone, email (or other field) that cannot be taken is left out and listed
under ``dropped``; with it, ``?retry_taken=true`` still fails a record whose phone or email
another stored user holds (the tool sends those again after the whole file, when a later
record may have released it). ``?revive_deleted=true`` imports users deleted here again (their
tombstones otherwise fail their records). The rules live in ``core.accounts.migration`` and
``core.accounts.import_checks``.
"""
from __future__ import annotations

import json

from chalice import Blueprint

from .. import wiring
from ..core.errors import InvalidRequest
from ..core.numbers import is_ascii_digits
from .http import BadBody
from .leancloud.common import ROUTE, lc_view, ok

bp = Blueprint(__name__)

MAX_BODY = 10 * 1024 * 1024  # API Gateway's own limit on a request


def _no_constants(name: str):
    raise ValueError(f"{name} is not JSON")


def _loads(text: str):
    return json.loads(text, parse_constant=_no_constants)


def records(raw) -> tuple:
    """([(line, record or None)], [(line, error)]) of an export body."""
    if isinstance(raw, bytes):
        try:
            raw = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise BadBody("the body is not UTF-8") from None
    text = (raw or "").strip()
    if not text:
        raise InvalidRequest("the body is empty: send the records of a LeanCloud _User export "
                             "(JSONL, a JSON array or {\"results\": [...]})")
    if text[0] in "[{":
        try:
            whole = _loads(text)
        except (ValueError, RecursionError):
            whole = None
        if isinstance(whole, list):
            return [(i + 1, r) for i, r in enumerate(whole)], []
        if isinstance(whole, dict) and isinstance(whole.get("results"), list) and "objectId" not in whole:
            return [(i + 1, r) for i, r in enumerate(whole["results"])], []
        if text[0] == "[":
            raise BadBody("malformed JSON array")
    out, bad = [], []
    for n, line in enumerate(text.split("\n"), start=1):
        line = line.strip()
        if not line:
            continue
        try:
            out.append((n, _loads(line)))
        except (ValueError, RecursionError):
            bad.append((n, "not a JSON object (JSONL: one record a line)"))
    return out, bad


def _flag(value, name: str = "dry_run") -> bool:
    if value in (None, "", "false", "0"):
        return False
    if value in ("true", "1"):
        return True
    raise InvalidRequest(f"{name} must be true or false")


@bp.route("/admin/v1/import/leancloud-users", methods=["POST"], **ROUTE)
@lc_view(bp, "admin.importLeanCloudUsers", master=True)
def import_leancloud_users(request, role):
    q = request.query_params or {}
    dry_run = _flag(q.get("dry_run"))
    revive = _flag(q.get("revive_deleted"), "revive_deleted")  # users deleted here come back only so
    offset = q.get("line_offset", "0")
    if not is_ascii_digits(offset, 12):  # not str.isdigit(): "²".isdigit(), and int("²") fails
        raise InvalidRequest("line_offset must be a non-negative integer")
    offset = int(offset)
    raw = request.raw_body or b""
    if len(raw) > MAX_BODY:
        raise InvalidRequest("the body is over 10 MB: send the export in batches (make import-leancloud does)")
    from ..core.accounts.migration import MAX_RECORDS

    found, bad = records(raw)
    if len(found) + len(bad) > MAX_RECORDS:
        raise InvalidRequest(f"at most {MAX_RECORDS} records per request: send the export in batches "
                             "(make import-leancloud does)")
    keep = _flag(q.get("drop_invalid_fields"), "drop_invalid_fields")
    retry_taken = _flag(q.get("retry_taken"), "retry_taken")
    result = wiring.accounts().import_leancloud(wiring.app_id(), [(n + offset, r) for n, r in found],
                                                dry_run=dry_run, drop_invalid_fields=keep, drop_taken=not retry_taken,
                                                revive_deleted=revive)
    for n, error in bad:
        result.fail(n + offset, None, error)
    return ok(result.to_dict())
