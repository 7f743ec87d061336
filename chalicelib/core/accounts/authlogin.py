"""Third-party login (LeanCloud's ``authData``): log in or sign up with a platform, unionId
login, link and unlink a platform, and an anonymous user becoming a normal one.

The rules of which platforms are accepted and how they are verified are in
``core.authdata``; here they meet the user system. A linked platform is a claim on its uid
(``User.claims``), so every write below is the usual conditional save or create: a uid
cannot end up with two users however many requests race.
"""
from __future__ import annotations

import dataclasses
import secrets
import string
from typing import Any, Mapping, Optional

from .. import authdata
from ..errors import InvalidRequest, Taken, UserNotFound
from .model import DELETE, User, _merge_custom

USERNAME_CHARS = string.ascii_lowercase + string.digits


class AuthDataLogin:
    """Third-party login, part of ``AccountService`` (``verifiers``: a core.authdata.Verifiers)."""

    def login_with_auth_data(self, app_id: str, auth_data: Any, fail_on_not_exist: bool = False,
                             custom: Optional[Mapping] = None) -> tuple:
        """``POST /1.1/users`` with ``authData``. Returns (user, session token, created)."""
        if not isinstance(auth_data, dict):
            raise InvalidRequest("authData must be an object {platform: data}")
        given = {p: d for p, d in auth_data.items() if d is not None}
        if len(given) != 1:
            raise InvalidRequest("authData must name exactly one platform to log in with")
        (platform, raw), = given.items()
        data = self._verified_auth(app_id, platform, raw)
        uid = authdata.uid_of(platform, data)
        for attempt in range(3):
            user = self.users.find(app_id, f"auth:{platform}", uid)
            if user is None:
                union = authdata.union_of(data)
                user = self.users.find(app_id, f"union:{union[0]}", union[1]) if union else None
            if user is not None:
                try:
                    user = self._update(user, lambda u: self._with_platform(u, platform, data))
                except Taken as e:
                    if e.field != "authData":
                        raise
                    if data.get("main_account") is True:  # another user is this unionid's main account
                        data = {**data, "main_account": False}
                    continue  # or the uid went to another user meanwhile: find it again
                return user, self._login(user), False
            if fail_on_not_exist:
                raise UserNotFound("Could not find user.")
            now_ms = self._now_ms()
            user = User(app_id=app_id, object_id=self._new_id(), username=self._random_username(),
                        custom=_merge_custom({}, custom or {}), created_at=now_ms, updated_at=now_ms,
                        kept={"authData": {platform: data}})
            token, session = self._new_session(user)
            try:
                self.users.create(user, session)
            except Taken as e:
                if e.field not in ("authData", "username"):
                    raise
                continue  # another request linked this uid first (or a username collided): log in there
            return user, token, True
        raise InvalidRequest("authData: the platform account is being linked by other requests; try again")

    def _verified_auth(self, app_id: str, platform: Any, data: Any) -> dict:
        platforms = self._settings(app_id).auth_platforms
        if self.verifiers is None:
            raise InvalidRequest("third-party login (authData) is not set up")
        return self.verifiers.verify(app_id, platforms, platform, data)

    @staticmethod
    def _with_platform(user: User, platform: str, data: Optional[dict]) -> User:
        """``user`` with ``platform`` linked to ``data`` (None: unlinked)."""
        current = dict(user.kept.get("authData") or {})
        if data is None:
            current.pop(platform, None)
        else:
            current[platform] = data
        kept = {k: v for k, v in user.kept.items() if k != "authData"}
        if current:
            kept["authData"] = current
        return dataclasses.replace(user, kept=kept)

    def auth_data_changes(self, app_id: str, user: User, changes: Mapping[str, Any]) -> dict:
        """{platform: checked data or None (unlink)} of a ``PUT`` on the user. A platform sent
        exactly as stored (the Python SDK sends the whole authData back) is no change and
        is not verified again."""
        if not isinstance(changes, dict):
            raise InvalidRequest("authData must be an object {platform: data}")
        stored = user.kept.get("authData") or {}
        out = {}
        for platform, data in changes.items():
            if data is None or data is DELETE:
                out[platform] = None
            elif stored.get(platform) == data:
                continue
            else:
                out[platform] = self._verified_auth(app_id, platform, data)
        return out

    @staticmethod
    def apply_auth_data(user: User, platforms: Mapping[str, Optional[dict]], new_password: bool) -> User:
        """Link and unlink ``platforms``; an anonymous user given a password is a normal
        user from then on (its ``anonymous`` link ends, as LeanCloud's signUp does)."""
        for platform, data in platforms.items():
            user = AuthDataLogin._with_platform(user, platform, data)
        if new_password and "anonymous" in (user.kept.get("authData") or {}):
            user = AuthDataLogin._with_platform(user, "anonymous", None)
        return user

    @staticmethod
    def _random_username() -> str:
        """25 random lowercase letters and digits, as LeanCloud names authData users."""
        return "".join(secrets.choice(USERNAME_CHARS) for _ in range(25))
