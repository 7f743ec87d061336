"""The master-key user administration an app's own servers keep calling after the move from
LeanCloud: ``GET /1.1/users`` by key lookups, and deletion. Part of ``AccountService`` (through
``Migration``)."""
from __future__ import annotations

from typing import Any, Optional

from .. import emails, phone
from ..errors import InvalidEmail, InvalidPhoneNumber, InvalidRequest, SessionRequired
from .model import User, _plausible_id

QUERY_FIELDS = {"objectId": None, "username": "username", "email": "email", "mobilePhoneNumber": "phone"}
ORDER_FIELDS = {"createdAt": "created_at", "updatedAt": "updated_at", "objectId": "object_id",
                "username": "username"}


class UserQueries:
    def query_users(self, app_id: str, where: Any, limit: int = 100, skip: int = 0,
                    order: Optional[str] = None) -> tuple:
        """LeanCloud's ``GET /1.1/users`` for the master key, by key lookups only: equality on
        objectId, username, email or mobilePhoneNumber. Returns (page of users, total count)."""
        if not isinstance(where, dict) or not where:
            raise InvalidRequest("listing every user needs a table scan, which verikit does not do: query with "
                                 "where equality on objectId, username, email or mobilePhoneNumber")
        for key, value in where.items():
            if key not in QUERY_FIELDS:
                raise InvalidRequest(f"where on {key!r} needs a table scan, which verikit does not do: query by "
                                     "objectId, username, email or mobilePhoneNumber")
            if not isinstance(value, str):
                raise InvalidRequest(f"where on {key} must be an equality with a string (no operators)")
        s = self._settings(app_id)
        key = next(k for k in ("objectId", "username", "mobilePhoneNumber", "email") if k in where)
        found = self._lookup(app_id, key, where[key], s)
        users = [found] if found is not None and all(self._matches(found, k, v, s) for k, v in where.items()) else []
        if order:
            for part in reversed([p.strip() for p in order.split(",") if p.strip()]):
                name = part.lstrip("-")
                if name not in ORDER_FIELDS:
                    raise InvalidRequest(f"cannot order by {name!r}")
                users.sort(key=lambda u: getattr(u, ORDER_FIELDS[name]), reverse=part.startswith("-"))
        return users[skip:skip + limit], len(users)

    def _lookup(self, app_id: str, key: str, value: str, s) -> Optional[User]:
        if key == "objectId":
            return self.users.get(app_id, value) if _plausible_id(value) else None
        if len(value) > 254:
            return None
        if key == "email":
            try:
                return self.users.find(app_id, "email", emails.key(emails.normalise(value)))
            except InvalidEmail:
                return None
        if key == "mobilePhoneNumber":
            try:
                return self.users.find(app_id, "phone", phone.normalise(value, s.default_region, ("*",)).e164)
            except InvalidPhoneNumber:
                return None
        return self.users.find(app_id, "username", value)

    @staticmethod
    def _matches(user: User, key: str, value: str, s) -> bool:
        if key == "objectId":
            return user.object_id == value
        if key == "username":
            return user.username == value
        if key == "email":
            try:
                return bool(user.email) and emails.key(user.email) == emails.key(emails.normalise(value))
            except InvalidEmail:
                return False
        try:
            return user.phone == phone.normalise(value, s.default_region, ("*",)).e164
        except InvalidPhoneNumber:
            return False

    def delete_user(self, app_id: str, object_id: str, actor: Optional[User], master: bool = False) -> None:
        """Delete the user (the master key, or its own session): its claims are freed and its
        sessions end with it, in one transaction. The same deletion as the console's
        (``DELETE /admin/v1/users/<id>``): one mechanism, ``UserAdmin.delete``."""
        if not master and (actor is None or actor.object_id != object_id):
            raise SessionRequired("The user cannot be deleted by a client without the session.")
        from ..user_admin import UserAdmin

        UserAdmin(users=self.users, limiter=self.limiter, config=self.config, clock=self.clock).delete(app_id, object_id)
