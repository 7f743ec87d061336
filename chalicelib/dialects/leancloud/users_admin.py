"""LeanCloud's master-key user administration, as apps' own servers call it:
``GET /1.1/users`` and ``GET /1.1/classes/_User`` (``where`` equality on objectId, username,
email or mobilePhoneNumber; ``limit``, ``skip``, ``order``, ``count``) and
``DELETE /1.1/users/<objectId>``. Queries run as key lookups only: anything that would need a
table scan is refused (400, code 1) rather than scanned."""
from __future__ import annotations

from chalice import Blueprint

from ... import wiring
from ...core import errors as E
from ...core.numbers import is_ascii_digits
from ..http import BadBody, loads
from .common import LCError, ROUTE, lc_view, ok
from .users import current, user_json

bp = Blueprint(__name__)

MAX_LIMIT = 1000


def _int(q: dict, name: str, default: int, low: int, high: int) -> int:
    raw = q.get(name)
    if raw in (None, ""):
        return default
    if not is_ascii_digits(raw.strip(), 12) or not low <= int(raw) <= high:  # "²".isdigit(), int("²") fails
        raise E.InvalidRequest(f"{name} must be an integer from {low} to {high}")
    return int(raw)


def _query(request):
    q = request.query_params or {}
    where = loads(q["where"]) if q.get("where") not in (None, "") else {}  # BadBody if not JSON
    if not isinstance(where, dict):
        raise BadBody("where must be a JSON object")
    limit = _int(q, "limit", 100, 0, MAX_LIMIT)
    skip = _int(q, "skip", 0, 0, 10_000_000)
    count = q.get("count") in ("1", "true")
    users, total = wiring.accounts().query_users(wiring.app_id(), where, limit, skip, q.get("order"))
    out = {"results": [user_json(u) for u in users]}
    if count:
        out["count"] = total
    return ok(out)


@bp.route("/1.1/users", methods=["GET"], **ROUTE)
@lc_view(bp, "queryUsers", master=True)
def query_users(request, role):
    return _query(request)


@bp.route("/1.1/classes/_User", methods=["GET"], **ROUTE)
@lc_view(bp, "queryUsers", master=True)
def query_users_class(request, role):
    return _query(request)


def _delete(request, role, object_id):
    master = role == "master"
    me = None
    if not master:
        me, _ = current(request, verified=False)
    try:
        wiring.accounts().delete_user(wiring.app_id(), object_id, me, master=master)
    except E.UserNotFound:
        raise LCError(404, 211, "Could not find user.") from None
    return ok()


@bp.route("/1.1/users/{object_id}", methods=["DELETE"], **ROUTE)
@lc_view(bp, "deleteUser")
def delete_user(request, role, object_id):
    return _delete(request, role, object_id)


@bp.route("/1.1/classes/_User/{object_id}", methods=["DELETE"], **ROUTE)
@lc_view(bp, "deleteUser")
def delete_user_class(request, role, object_id):
    return _delete(request, role, object_id)
