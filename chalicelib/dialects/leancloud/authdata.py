"""LeanCloud third-party login on the wire: ``POST /1.1/users`` (or ``/1.1/classes/_User``)
with ``authData`` logs in or signs up (``?failOnNotExist=true``: 211 instead of signing up),
and ``authData`` / ``authData.<platform>`` in a ``PUT`` link and unlink platforms. The rules
are in ``core.authdata`` and ``core.accounts.authlogin``."""
from __future__ import annotations

from ... import wiring
from ...core import errors as E
from .common import ok

# body fields of an authData login that are not the app's own fields
NOT_CUSTOM = {"authData", "objectId", "createdAt", "updatedAt", "sessionToken", "ACL", "className", "__type",
              "username", "password", "mobilePhoneNumber", "email", "mobilePhoneVerified", "emailVerified"}


def auth_login(request, body: dict):
    from .users import user_json

    q = request.query_params or {}
    custom = {k: v for k, v in body.items() if k not in NOT_CUSTOM}
    if any(isinstance(v, dict) and "__op" in v for v in custom.values()):
        raise E.InvalidRequest("no field operations at sign-up")
    if any(k in body for k in ("username", "password", "mobilePhoneNumber", "email")):
        raise E.InvalidRequest("log in with authData alone; set username, password, phone or email afterwards")
    user, token, created = wiring.accounts().login_with_auth_data(
        wiring.app_id(), body["authData"], fail_on_not_exist=q.get("failOnNotExist") == "true", custom=custom)
    return ok(user_json(user, token), status=201 if created else 200)


def auth_changes(key: str, value) -> dict:
    """{platform: data or None (unlink)} of one PUT body field."""
    if key == "authData":
        if isinstance(value, dict) and value.get("__op") == "Delete":
            raise E.InvalidRequest("unlink platforms one by one (authData.<platform>)")
        if not isinstance(value, dict):
            raise E.InvalidRequest("authData must be an object {platform: data}")
        return {p: None if d is None or (isinstance(d, dict) and d.get("__op") == "Delete") else d
                for p, d in value.items()}
    platform = key[len("authData."):]
    if isinstance(value, dict) and "__op" in value:
        if value.get("__op") != "Delete":
            raise E.InvalidRequest(f"{key}: only Delete is supported")
        return {platform: None}
    return {platform: value}
