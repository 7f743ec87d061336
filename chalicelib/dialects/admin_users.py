"""Admin API for users (the console's Users page), master key only, LeanCloud error format.

| route | what |
|---|---|
| ``GET /admin/v1/users?phone=|email=|username=|objectId=`` | ``{"results": [user]}`` (0 or 1) |
| ``GET /admin/v1/users/{objectId}`` | the user |
| ``POST /admin/v1/users/{objectId}/revokeSessions`` | ends every session and token; the user |
| ``DELETE /admin/v1/users/{objectId}/lockout`` | lifts a login lockout; the user |
| ``DELETE /admin/v1/users/{objectId}`` | deletes the user, frees its username, phone, email |

A user here is never its password hash or a token: ``hasPassword`` says whether it has one.
"""
from __future__ import annotations

from urllib.parse import unquote

from chalice import Blueprint

from .. import wiring
from ..core.errors import InvalidRequest
from .http import iso
from .leancloud.common import ROUTE, LCError, lc_view, ok

bp = Blueprint(__name__)


def user_admin():
    """Built per request (a few plain objects) over the process's service and config."""
    from ..core.user_admin import UserAdmin
    from ..store.counters import DynamoLimiter
    from ..store.users import DynamoUserStore

    svc = wiring.service()
    return UserAdmin(users=DynamoUserStore(), limiter=DynamoLimiter(), config=svc.config, clock=svc.clock,
                     events=wiring._Events())


def _found(action, object_id: str):
    """Run ``action(app_id, object_id)``; an unknown user is the admin dialect's 404."""
    from ..core.errors import UserNotFound

    try:
        return action(wiring.app_id(), unquote(object_id))
    except UserNotFound:
        raise LCError(404, 101, "user not found") from None


def record(user) -> dict:
    return {"objectId": user.object_id, "username": user.username,
            "mobilePhoneNumber": user.phone, "mobilePhoneVerified": user.phone_verified,
            "email": user.email, "emailVerified": user.email_verified,
            "is_verified": wiring.accounts().is_verified(user), "hasPassword": bool(user.password_hash),
            "createdAt": iso(user.created_at), "updatedAt": iso(user.updated_at),
            "custom": dict(user.custom), "lockout": user_admin().lockout(user)}


@bp.route("/admin/v1/users", methods=["GET"], **ROUTE)
@lc_view(bp, "admin.findUsers", master=True)
def find_users(request, role):
    from ..core.user_admin import FIELDS

    q = request.query_params or {}
    given = [f for f in FIELDS if q.get(f) not in (None, "")]
    if len(given) != 1:
        raise InvalidRequest(f"give exactly one of {', '.join(FIELDS)}")
    user = user_admin().find(wiring.app_id(), given[0], q[given[0]])
    return ok({"results": [record(user)] if user is not None else []})


@bp.route("/admin/v1/users/{object_id}", methods=["GET"], **ROUTE)
@lc_view(bp, "admin.getUser", master=True)
def admin_get_user(request, role, object_id):  # not get_user: the OpenAPI operationId comes from the name
    return ok(record(_found(user_admin().get, object_id)))


@bp.route("/admin/v1/users/{object_id}/revokeSessions", methods=["POST"], **ROUTE)
@lc_view(bp, "admin.revokeSessions", master=True)
def revoke_sessions(request, role, object_id):
    return ok(record(_found(user_admin().revoke_sessions, object_id)))


@bp.route("/admin/v1/users/{object_id}/lockout", methods=["DELETE"], **ROUTE)
@lc_view(bp, "admin.liftLockout", master=True)
def lift_lockout(request, role, object_id):
    return ok(record(_found(user_admin().lift_lockout, object_id)))


@bp.route("/admin/v1/users/{object_id}", methods=["DELETE"], **ROUTE)
@lc_view(bp, "admin.deleteUser", master=True)
def admin_delete_user(request, role, object_id):  # not delete_user (LeanCloud's DELETE /1.1/users/<id>)
    _found(user_admin().delete, object_id)
    return ok()
