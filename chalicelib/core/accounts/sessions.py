"""Sessions and tokens: resolving, opening, refreshing and revoking them (LeanCloud session
tokens and CloudBase's access/refresh pairs)."""
from __future__ import annotations

import dataclasses
import secrets
from typing import Any, Optional

from .. import codes
from ..errors import InvalidSession, SessionRequired
from .model import CLOUDBASE, LEANCLOUD, Session, User, _plausible_id


class Sessions:
    """Sessions and tokens, part of ``AccountService``."""

    # ---- sessions and the user's own record ----------------------------------------------

    def resolve(self, app_id: str, token: Any, kind: str = "session", dialect: str = LEANCLOUD) -> tuple:
        """(user, session) of a session token (or a refresh token) that ``dialect`` issued,
        or raise InvalidSession (a token of the other dialect is no session here)."""
        if not isinstance(token, str) or not 10 <= len(token) <= 200:
            raise InvalidSession("Invalid or expired session token.")
        # tokens carry their user's id, so the session and the user are read together
        object_id = token.partition(".")[0]
        if "." not in token:  # a sessionToken imported from LeanCloud: the session names its user
            session, user = self.users.get_session_and_user_by_hash(app_id, self._token_hash(token), kind)
            object_id = session.user_id if session is not None else ""
        elif not _plausible_id(object_id):
            raise InvalidSession("Invalid or expired session token.")
        else:
            session, user = self.users.get_session_and_user(app_id, self._token_hash(token), object_id, kind)
        now = int(self.clock.now())
        if session is None or session.app_id != app_id or session.user_id != object_id \
                or (session.expires_at and session.expires_at <= now) or session.dialect != dialect:
            raise InvalidSession("Invalid or expired session token.")
        if user is None or user.session_epoch != session.epoch:
            raise InvalidSession("Invalid or expired session token.")
        return user, session

    def refresh_session(self, app_id: str, object_id: str, actor: Optional[User], master: bool = False) -> tuple:
        """End every session of the user and open a new one. Returns (user, token)."""
        if not master and (actor is None or actor.object_id != object_id):
            raise SessionRequired("The user cannot be altered by a client without the session.")
        target = self.get_user(app_id, object_id)
        holder = {}

        def bump(u: User) -> User:
            return dataclasses.replace(u, session_epoch=u.session_epoch + 1)

        def sessions(after: User) -> tuple:
            holder["token"], sess = self._new_session(after)
            return (sess,)

        user = self._update(target, bump, sessions=sessions)
        return user, holder["token"]

    # ---- OAuth-style tokens (CloudBase /auth/v1) -----------------------------------------

    def issue_tokens(self, user: User) -> tuple:
        """(access token, refresh token, expires_in): an expiring session and a rotating
        refresh token, both revoked with the user's other sessions by a password reset."""
        access, refresh, sessions = self._token_pair(user)
        self.users.add_sessions(sessions)
        return access, refresh, self._settings(user.app_id).access_token_ttl_seconds

    def refresh_tokens(self, app_id: str, refresh_token: Any) -> tuple:
        """Spend a refresh token for a new pair. Returns (user, access, refresh, expires_in)."""
        user, old = self.resolve(app_id, refresh_token, kind="refresh", dialect=CLOUDBASE)
        if old.used:
            # a spent refresh token came back: it was copied. End the tokens it led to, so
            # that whoever holds them (thief or owner) must sign in again.
            self.users.revoke_chain(old.next)
            raise InvalidSession("The refresh token was already used; its successors are revoked.")
        access, refresh, sessions = self._token_pair(user)
        self.users.rotate(old, sessions)
        return user, access, refresh, self._settings(app_id).access_token_ttl_seconds

    def revoke(self, app_id: str, token: Any) -> None:
        """CloudBase sign-out: the access (or refresh) token and its pair stop working.
        Unknown tokens (and LeanCloud sessions) are fine and left alone."""
        if isinstance(token, str) and 10 <= len(token) <= 200:
            uid = self.users.revoke(self._token_hash(token), dialect=CLOUDBASE)
            if uid is not None:  # events: session.revoked (signed out)
                self.events.after("session.revoked", {"userId": uid, "reason": "signed_out"})

    def _token_pair(self, user: User) -> tuple:
        """(access, refresh, sessions): each token knows its peer, so signing out ends both."""
        s = self._settings(user.app_id)
        access, a = self._mint(user, s.access_token_ttl_seconds)
        refresh, r = self._mint(user, s.refresh_token_ttl_days * 86400, kind="refresh")
        return access, refresh, (dataclasses.replace(a, peer=r.token_hash, dialect=CLOUDBASE),
                                 dataclasses.replace(r, peer=a.token_hash, dialect=CLOUDBASE))

    def _login(self, user: User, clear=None, whatever: bool = False) -> str:
        """A new session for ``user``; ``clear``: the login-failure charge its check passed
        (``_judge``), cleared in the same write, which fails if racing failures filled it
        (``whatever``: cleared whatever it holds, for a login the counter does not guard)."""
        token, session = self._new_session(user)
        self.users.add_sessions((session,), self._clearing(clear, whatever))
        return token

    def _clearing(self, clear, whatever: bool = False) -> Optional[tuple]:
        """A login-failure charge as ``UserStore.add_sessions`` and ``save`` delete it."""
        if clear is None:
            return None
        now = int(self.clock.now())
        return clear, None if whatever else now, clear.retry_after(now)

    def _new_session(self, user: User) -> tuple:
        days = self._settings(user.app_id).session_ttl_days
        return self._mint(user, days * 86400 if days else None)

    def _mint(self, user: User, lifetime: Optional[int], kind: str = "session") -> tuple:
        """(token, Session): 256 random bits after the user's (public) id; only the keyed
        hash is stored. ``lifetime`` in seconds, None for until revoked."""
        token = f"{user.object_id}.{secrets.token_urlsafe(32)}"
        now = int(self.clock.now())
        return token, Session(token_hash=self._token_hash(token), app_id=user.app_id, user_id=user.object_id,
                              epoch=user.session_epoch, created_at=now,
                              expires_at=now + lifetime if lifetime else None, kind=kind)

    def _token_hash(self, token: str) -> str:
        return codes.keyed_hash(self.secret, "session", token)
