"""The master-key user administration an app's own servers keep calling after the move from
LeanCloud, and the console's Users page: queries in LeanCloud's query language (``GET
/1.1/users``, ``/1.1/classes/_User``, the scan), as key lookups when the query pins a unique
key, else a filtered scan of the app's users inside a time budget (``core.userquery``); and
deletion. Part of ``AccountService`` (through ``Migration``)."""
from __future__ import annotations

from typing import Optional

from .. import emails, phone, userquery
from ..errors import InvalidEmail, InvalidPhoneNumber, SessionRequired
from .model import User, _plausible_id


class UserQueries:
    """User queries and deletion, part of ``AccountService``."""

    def query_users(self, app_id: str, q: "userquery.Query", budget_s: float = 5.0) -> tuple:
        """(page of users, total): see ``core.userquery``. BudgetExceeded if a scan that
        must read every user (order, count) runs out of time."""
        lookups = userquery.keyed(q.where)
        if lookups is not None:
            s = self._settings(app_id)
            field = lookups[0][0]
            rest = {k: v for k, v in q.where.items() if k != field}  # matched by the lookup (normalised)
            found = {}
            for key, value in lookups:
                user = self._lookup(app_id, key, value, s)
                if user is not None:
                    found[user.object_id] = user
            return userquery.page(userquery.matching(list(found.values()), rest), q)
        return userquery.run(q, lambda start: self.users.scan_users(app_id, start), budget_s)

    def scan_users(self, app_id: str, q: "userquery.Query", cursor: Optional[str], budget_s: float = 5.0) -> tuple:
        """``GET /1.1/scan/classes/_User``: (users, cursor or None). The cursor is the store's
        continuation key, signed and bound to this app (``core.cursors``)."""
        from .. import cursors

        scope = f"user-scan:{app_id}"
        start = cursors.decode(self.secret, scope, cursor) if cursor not in (None, "") else None
        users, key = userquery.scan_page(q, lambda s: self.users.scan_users(app_id, s), start, budget_s)
        return users, cursors.encode(self.secret, scope, key) if key else None

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
        return self.users.find(app_id, key, value)  # username, auth:<platform>

    def delete_user(self, app_id: str, object_id: str, actor: Optional[User], master: bool = False) -> None:
        """Delete the user (the master key, or its own session): its claims are freed and its
        sessions end with it, in one transaction. The same deletion as the console's
        (``DELETE /admin/v1/users/<id>``): one mechanism, ``UserAdmin.delete``."""
        if not master and (actor is None or actor.object_id != object_id):
            raise SessionRequired("The user cannot be deleted by a client without the session.")
        from ..user_admin import UserAdmin

        UserAdmin(users=self.users, limiter=self.limiter, config=self.config, clock=self.clock).delete(app_id, object_id)
