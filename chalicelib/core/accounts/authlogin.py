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
from ..errors import FeatureDisabled, InvalidRequest, Taken, UserNotFound
from .model import DELETE, User, _merge_custom

USERNAME_CHARS = string.ascii_lowercase + string.digits


class AuthDataLogin:
    """Third-party login, part of ``AccountService`` (``verifiers``: a core.authdata.Verifiers)."""

    def login_with_auth_data(self, app_id: str, auth_data: Any, fail_on_not_exist: bool = False,
                             custom: Optional[Mapping] = None, session: bool = True) -> tuple:
        """``POST /1.1/users`` with ``authData``. Returns (user, session token, created);
        ``session=False``: no LeanCloud session (the caller issues its own tokens), token None."""
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
                user = self._on_login(user, "authData")  # events: LeanEngine onLogin may refuse
                return user, self._login(user) if session else None, False
            if fail_on_not_exist:
                raise UserNotFound("Could not find user.")
            if self._anonymous_kind(app_id, platform) and attempt == 0:  # a new anonymous user: capped per client IP
                self._charge_anonymous(app_id)
            now_ms = self._now_ms()
            user = User(app_id=app_id, object_id=self._new_id(), username=self._random_username(),
                        custom=_merge_custom({}, custom or {}), created_at=now_ms, updated_at=now_ms,
                        kept={"authData": {platform: data}})
            user = self._before_create(user)  # events: LeanEngine beforeSave may change or refuse
            token, first = self._new_session(user) if session else (None, None)
            try:
                self.users.create(user, first)
            except Taken as e:
                if e.field not in ("authData", "username"):
                    raise
                continue  # another request linked this uid first (or a username collided): log in there
            self._created(user)  # events: user.created, afterSave
            return user, token, True
        raise InvalidRequest("authData: the platform account is being linked by other requests; try again")

    def _anonymous_kind(self, app_id: str, platform: str) -> bool:
        """A platform verified as ``anonymous`` (whatever the app named it: the SDK's
        ``anonymous``, or ``guest``...): it needs no proof, so its new users are capped."""
        return (self._settings(app_id).auth_platforms.get(platform) or {}).get("verify") == "anonymous"

    def _charge_anonymous(self, app_id: str) -> None:
        from .. import guard, limits

        now = int(self.clock.now())
        charges = limits.anonymous_signup(app_id, guard.ip_key(guard.CLIENT_IP.get()),
                                          self._settings(app_id).anonymous_per_ip_hourly, now)
        if charges:
            self.limiter.charge(charges, now)  # RateLimited: 429

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

    # ---- CloudBase: anonymous sign-in and its upgrade --------------------------------------

    def signin_anonymously(self, app_id: str) -> tuple:
        """A new anonymous user (the ``anonymous`` platform must be enabled) with its first
        access and refresh tokens: (user, access, refresh, expires_in)."""
        if "anonymous" not in self._settings(app_id).auth_platforms:
            raise FeatureDisabled("anonymous sign-in is not enabled (setting auth_platforms.anonymous)")
        user, _, _ = self.login_with_auth_data(app_id, {"anonymous": {"id": secrets.token_urlsafe(24)}},
                                               session=False)
        return (user,) + self.issue_tokens(user)

    @staticmethod
    def is_anonymous(user: User) -> bool:
        return "anonymous" in (user.kept.get("authData") or {})

    def anonymous_user(self, app_id: str, token: Any) -> User:
        """The anonymous user an access token belongs to, or InvalidRequest."""
        user, _ = self.resolve(app_id, token, dialect="cloudbase")  # a CloudBase access token only
        if not self.is_anonymous(user):
            raise InvalidRequest("anonymous_token is not an anonymous user's access token")
        return user

    def upgrade_anonymous(self, user: User, target: str, username: Any = None, password: Any = None,
                          custom: Optional[Mapping] = None) -> tuple:
        """The anonymous ``user`` becomes a normal one holding the proven ``target`` (phone
        or email), keeping its id; its anonymous link and old tokens end. Returns
        (user, access, refresh, expires_in)."""
        s = self._settings(user.app_id)
        name = self._verified_name(user.app_id, username, target)
        new_hash = self.hasher.hash(self._password(password, s)) if password not in (None, "") else None
        is_email = "@" in target

        def up(u: User) -> User:
            if not self.is_anonymous(u):
                raise InvalidRequest("the user is not anonymous any more")
            out = self._with_platform(u, "anonymous", None)
            return dataclasses.replace(out, username=name, password_hash=new_hash or u.password_hash,
                                       custom=_merge_custom(u.custom, custom or {}),
                                       session_epoch=u.session_epoch + 1,
                                       **({"email": target, "email_verified": True} if is_email
                                          else {"phone": target, "phone_verified": True}))

        user = self._update(user, up)
        return (user,) + self.issue_tokens(user)

    @staticmethod
    def _random_username() -> str:
        """25 random lowercase letters and digits, as LeanCloud names authData users."""
        return "".join(secrets.choice(USERNAME_CHARS) for _ in range(25))
