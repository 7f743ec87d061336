"""LeanCloud's master-key user administration, as apps' own servers call it:
``GET /1.1/users`` and ``GET /1.1/classes/_User`` (``where``, ``order``, ``limit``, ``skip``,
``count``, ``keys``) and ``DELETE /1.1/users/<objectId>``. Queries take LeanCloud's query language
(``core.userquery``): a unique key in ``where`` is a key lookup, anything else a filtered scan
of the app's users inside the request's time budget. App-key queries are refused (403, 119)."""
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
    from ... import deadline
    from ...core import userquery

    q = request.query_params or {}
    where = loads(q["where"]) if q.get("where") not in (None, "") else {}  # BadBody if not JSON
    if not isinstance(where, dict):
        raise BadBody("where must be a JSON object")
    query = userquery.parse(where, q.get("order"), _int(q, "limit", 100, 0, MAX_LIMIT),
                            _int(q, "skip", 0, 0, 10_000_000), q.get("count") in ("1", "true"), q.get("keys"))
    left = deadline.remaining()
    budget = max(1.0, (left if left is not None else 8.0) - 2.0)  # room to answer after the last page
    try:
        users, total = wiring.accounts().query_users(wiring.app_id(), query, budget)
    except userquery.BudgetExceeded:
        raise LCError(503, 1, "This query reads every user and did not finish in time: narrow it with where on "
                              "objectId, username, email or mobilePhoneNumber, or drop order and count.",
                      {"Retry-After": "1"}) from None
    out = {"results": _answers(users, query)}
    if query.count:
        out["count"] = total
    return ok(out)


@bp.route("/1.1/scan/classes/_User", methods=["GET"], **ROUTE)
@lc_view(bp, "scanUsers", master=True)
def scan_users(request, role):
    """LeanCloud's scan (``AV.Query#scan``, Python ``Query.scan``): every matching user, a batch
    per call, in table order (``scan_key`` is not honoured), with ``cursor`` to go on."""
    from ... import deadline
    from ...core import userquery

    q = request.query_params or {}
    where = loads(q["where"]) if q.get("where") not in (None, "") else {}  # BadBody if not JSON
    if not isinstance(where, dict):
        raise BadBody("where must be a JSON object")
    query = userquery.parse(where, None, _int(q, "limit", 100, 1, MAX_LIMIT), 0, False, q.get("keys"))
    left = deadline.remaining()
    users, cursor = wiring.accounts().scan_users(wiring.app_id(), query, q.get("cursor"),
                                                 max(1.0, (left if left is not None else 8.0) - 2.0))
    return ok({"results": _answers(users, query), "cursor": cursor})


def _answers(users: list, query) -> list:
    """Users as LeanCloud answers them to the master key, without authData's secrets."""
    from ...core.userquery import project
    return [project(user_json(u, secrets=False), query.keys) for u in users]


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
