"""The users table (LeanCloud's ``_User``): users, uniqueness claims and sessions.

One table, three kinds of item, all under the hash key ``pk``:

- ``U#<app>#<objectId>``: the user, with a ``version`` every write is conditional on;
- ``C#<app>#<field>#<value>``: a claim on a unique username, phone or email, naming its
  owner; written and deleted in the same transaction as the user, under conditions;
- ``S#<keyed hash of the token>``: a session, valid while its ``epoch`` equals the
  user's ``session_epoch``;
- ``T#<app>#<objectId>``: the tombstone of a deleted user (its objectId and when), written
  with the deletion: a re-import of the same export does not bring the user back.
"""
from __future__ import annotations

import random
import time
from typing import Optional

from pynamodb.exceptions import DeleteError

from ..core.accounts import Session, Stale, User
from ..core.errors import Conflict, InvalidSession, Taken
from .base import Cancelled, delete_kwargs, put_kwargs, transact, update_kwargs
from .user_items import (UserModel, _claim_item, _claim_ops, _dialect, _item, _phone_flag_op,
                         _session, _session_item, _user, claim_key, session_key, tombstone_key, user_key)


FIELD_NAMES = {"username": "Username has already been taken.",
               "phone": "Mobile phone number has already been taken.",
               "email": "Email has already been taken."}


def _lockout_op(clear: tuple) -> tuple:
    """The deletion of a login-failure counter, (charge, now, retry after): while it has room
    at ``now``, or whatever it holds when ``now`` is None."""
    from .counters import CounterModel
    from .windows import clear_kwargs

    charge, now, _ = clear
    table = CounterModel.Meta.table_name
    if now is None:
        return ("lockout", "Delete", {"TableName": table, "Key": {"pk": {"S": charge.key}}})
    return ("lockout", "Delete", clear_kwargs(table, charge, now))


def _locked_out(e: Cancelled, clear: Optional[tuple]) -> None:
    if clear is not None and "lockout" in e.failed:
        from ..core.errors import LockedOut
        raise LockedOut("Too many failed attempts; try again later or reset the password.", clear[2]) from None


def _taken(failed: set) -> Optional[Taken]:
    for name, message in FIELD_NAMES.items():
        if f"claim:{name}" in failed:
            return Taken(message, name)
    if any(str(tag).startswith(("claim:auth:", "claim:union:")) for tag in failed):
        return Taken("This authData is already linked to another user.", "authData")
    return None


class DynamoUserStore:
    """``core.accounts.UserStore`` over DynamoDB."""

    def create(self, user: User, sessions) -> None:
        ops = [("user", "Put", put_kwargs(_item(user), UserModel.pk.does_not_exist()))]
        ops += _claim_ops(user.app_id, user.object_id, user.claims(), user.phone_verified)
        for i, session in enumerate(sessions if isinstance(sessions, tuple) else (sessions,)):
            if session is not None:
                ops.append((f"session:{i}", "Put", put_kwargs(_session_item(session))))
        for attempt in range(4):
            try:
                transact(ops)
                return
            except Cancelled as e:
                taken = _taken(e.failed)
                if taken is not None:
                    raise taken from None
                if not e.conflict:
                    raise Conflict("the user already exists") from None
                time.sleep(random.uniform(0.01, 0.05) * (attempt + 1))
        raise Conflict("the sign-up collided with other requests; try again")

    def get(self, app_id: str, object_id: str) -> Optional[User]:
        try:
            item = UserModel.get(user_key(app_id, object_id), consistent_read=True)
        except UserModel.DoesNotExist:
            return None
        return _user(item) if item.kind == "user" else None

    def claimed(self, app_id: str, claims: dict) -> Optional[str]:
        keys = {claim_key(app_id, name, value): name for name, value in claims.items()}
        held = {item.pk for item in UserModel.batch_get(list(keys), consistent_read=True)}
        return next((name for key, name in keys.items() if key in held), None)

    def owner(self, app_id: str, field: str, value: str) -> Optional[str]:
        """The object id holding ``value`` of ``field`` (its claim), or None: one ``GetItem``."""
        try:
            return UserModel.get(claim_key(app_id, field, value), consistent_read=True).uid
        except UserModel.DoesNotExist:
            return None

    def phone_holder(self, app_id: str, e164: str) -> tuple:
        """(object id or None, phone verified: True, False, or None when the claim predates
        the flag): the phone's claim alone, one ``GetItem``."""
        try:
            claim = UserModel.get(claim_key(app_id, "phone", e164), consistent_read=True)
        except UserModel.DoesNotExist:
            return None, None
        return claim.uid, claim.phone_verified

    def get_with_count(self, app_id: str, object_id: str, counter_key: str) -> tuple:
        """(the user or None, the counter ``counter_key`` as read: its windows' counts, see
        ``store/windows.py``): the user and its login-failure counter in one ``BatchGetItem``
        over both tables."""
        from .base import connection
        from .counters import CounterModel

        users, counters = UserModel.Meta.table_name, CounterModel.Meta.table_name
        request = {users: {"Keys": [{"pk": {"S": user_key(app_id, object_id)}}], "ConsistentRead": True},
                   counters: {"Keys": [{"pk": {"S": counter_key}}], "ConsistentRead": True}}
        found: dict = {users: [], counters: []}
        for _ in range(8):  # unprocessed keys (throttling) are asked for again
            out = connection().client.batch_get_item(RequestItems=request)
            for table, items in out.get("Responses", {}).items():
                found[table] += items
            request = out.get("UnprocessedKeys") or {}
            if not request:
                break
            time.sleep(0.01)
        item = UserModel.from_raw_data(found[users][0]) if found[users] else None
        from .windows import seen
        counts = seen(found[counters][0] if found[counters] else None)
        return (_user(item) if item is not None and item.kind == "user" else None), counts

    def find(self, app_id: str, field: str, value: str) -> Optional[User]:
        try:
            claim = UserModel.get(claim_key(app_id, field, value), consistent_read=True)
        except UserModel.DoesNotExist:
            return None
        user = self.get(app_id, claim.uid)
        # a claim is written with its user, so this holds; check anyway
        if user is None or user.claims().get(field) != value:
            return None
        return user

    def save(self, before: User, after: User, sessions: tuple = (), clear: Optional[tuple] = None) -> None:
        """``clear``: a login-failure counter deleted in the same transaction (``add_sessions``)."""
        ops = [("user", "Put", put_kwargs(_item(after), UserModel.version == before.version))]
        old, new = before.claims(), after.claims()
        added = {k: v for k, v in new.items() if old.get(k) != v}
        ops += _claim_ops(after.app_id, after.object_id, added, after.phone_verified)
        flag = _phone_flag_op(before, after)
        if flag is not None:
            ops.append(flag[0])
        for name, value in old.items():
            if new.get(name) != value:
                ops.append((f"release:{name}", "Delete",
                            delete_kwargs(UserModel(claim_key(before.app_id, name, value)),
                                          UserModel.uid == before.object_id)))
        ops += [("session", "Put", put_kwargs(_session_item(s))) for s in sessions]
        if clear is not None:
            ops.append(_lockout_op(clear))
        try:
            transact(ops)
        except Cancelled as e:
            _locked_out(e, clear)
            taken = _taken(e.failed)
            if taken is not None:
                raise taken from None
            raise Stale() from None

    def get_with_claim(self, app_id: str, object_id: str, field: str, value: str) -> tuple:
        """(the user or None, the object id the claim on ``value`` of ``field`` names, or
        None): both in one ``BatchGetItem``."""
        keys = [user_key(app_id, object_id), claim_key(app_id, field, value)]
        found = {item.pk: item for item in UserModel.batch_get(keys, consistent_read=True)}
        u, c = found.get(keys[0]), found.get(keys[1])
        return (_user(u) if u is not None and u.kind == "user" else None), (c.uid if c is not None else None)

    def get_session_and_user(self, app_id: str, token_hash: str, object_id: str, kind: str = "session") -> tuple:
        keys = [session_key(token_hash, kind), user_key(app_id, object_id)]
        found = {item.pk: item for item in UserModel.batch_get(keys, consistent_read=True)}
        s, u = found.get(keys[0]), found.get(keys[1])
        return (_session(token_hash, s, kind) if s is not None else None,
                _user(u) if u is not None and u.kind == "user" else None)

    def add_sessions(self, sessions: tuple, clear: Optional[tuple] = None) -> None:
        """``clear``: (login-failure charge, now, retry after) of a counter to delete in the
        same transaction, on the condition that it is still under its limit at ``now`` (else
        LockedOut, and no session is written); ``now`` None: whatever it holds (a login the
        counter does not guard clears it: an SMS login)."""
        ops = [(i, "Put", put_kwargs(_session_item(s))) for i, s in enumerate(sessions)]
        if clear is not None:
            ops.append(_lockout_op(clear))
        try:
            transact(ops)
        except Cancelled as e:
            _locked_out(e, clear)
            raise

    def rotate(self, old: Session, sessions: tuple) -> None:
        new_refresh = next((x.token_hash for x in sessions if x.kind == "refresh"), None)
        ops = [("old", "Update", update_kwargs(
            UserModel(session_key(old.token_hash, old.kind)),
            [UserModel.used_at.set(int(time.time())), UserModel.next.set(new_refresh)],
            UserModel.pk.exists() & UserModel.used_at.does_not_exist()))]
        if old.peer:  # the access token issued with it ends too
            ops.append(("peer", "Delete", delete_kwargs(
                UserModel(session_key(old.peer, "session" if old.kind == "refresh" else "refresh")))))
        ops += [(i, "Put", put_kwargs(_session_item(s))) for i, s in enumerate(sessions)]
        try:
            transact(ops)
        except Cancelled:  # already rotated (a replay) or revoked
            raise InvalidSession("The refresh token was already used or revoked.") from None

    def revoke_chain(self, refresh_hash: Optional[str]) -> None:
        seen = 0
        while refresh_hash and seen < 50:  # a chain is as long as the rotations since the copy
            seen += 1
            try:
                item = UserModel.get(session_key(refresh_hash, "refresh"), consistent_read=True)
            except UserModel.DoesNotExist:
                return
            if item.peer:
                UserModel(session_key(item.peer, "session")).delete()
            UserModel(session_key(refresh_hash, "refresh")).delete()
            refresh_hash = item.next

    def revoke(self, token_hash: str, dialect: Optional[str] = None) -> Optional[str]:
        """End the token and its peer; with ``dialect``, only a token that dialect issued.
        The objectId whose token this call ended, None when there was none to end."""
        keys = [session_key(token_hash, "session"), session_key(token_hash, "refresh")]
        doomed, owner = {}, None
        for item in UserModel.batch_get(keys, consistent_read=True):
            if dialect is not None and _dialect(item) != dialect:
                continue
            doomed[item.pk] = item.kind
            if item.peer:
                peer = "refresh" if item.kind == "session" else "session"
                doomed[session_key(item.peer, peer)] = peer
            owner = item.uid
        # the pair is announced by whoever deletes its refresh item (its access item when it
        # has none): one delete succeeds, so sign-outs racing with either token announce once.
        # The refresh item outlives its access token, so a valid token always finds it.
        herald = "refresh" if "refresh" in doomed.values() else "session"
        ended = None
        for key, kind in sorted(doomed.items(), key=lambda kv: kv[1] != herald):
            try:
                UserModel(key).delete(condition=UserModel.pk.exists())
                if kind == herald:
                    ended = owner
            except DeleteError as e:
                if e.cause_response_code != "ConditionalCheckFailedException":
                    raise
        return ended

    # ---- LeanCloud import and master-key administration (core.accounts.migration) ----------

    def get_many(self, app_id: str, object_ids: list) -> dict:
        """objectId -> User for those that exist (BatchGetItem, 100 keys a call)."""
        keys = list(dict.fromkeys(user_key(app_id, oid) for oid in object_ids))
        return {item.uid: _user(item) for item in UserModel.batch_get(keys, consistent_read=True)
                if item.kind == "user"}

    def claim_owners(self, app_id: str, claims: list) -> dict:
        """(field, value) -> the objectId holding it, for the claims that exist."""
        keys = {claim_key(app_id, f, v): (f, v) for f, v in claims}
        return {keys[item.pk]: item.uid for item in UserModel.batch_get(list(keys), consistent_read=True)
                if item.pk in keys}

    def apply_units(self, units: list) -> dict:
        """Write each ``core.accounts.migration.Unit`` atomically, packing many into one
        ``TransactWriteItems``. Returns {index: tags of the failed conditions} for the units
        that were not written (``user``: it exists / changed; ``claim:<field>``: taken)."""
        from .user_batches import apply
        return apply([_unit_ops(u) for u in units])

    def deleted(self, app_id: str, object_ids: list) -> set:
        """The objectIds among these whose users were deleted here (a tombstone)."""
        keys = list(dict.fromkeys(tombstone_key(app_id, oid) for oid in object_ids))
        return {item.uid for item in UserModel.batch_get(keys, consistent_read=True) if item.kind == "tombstone"}

    def get_sessions(self, token_hashes: list) -> dict:
        """token hash -> Session for the (LeanCloud) sessions that exist."""
        keys = {session_key(h): h for h in token_hashes}
        return {keys[item.pk]: _session(keys[item.pk], item) for item in
                UserModel.batch_get(list(keys), consistent_read=True) if item.kind == "session"}

    def scan_users(self, app_id: str, start_key: Optional[dict] = None, page_size: int = 1000) -> tuple:
        """One page of the app's users in table order: (users, the key to resume from or None).
        A Scan reads (and bills) every item of the table, sessions and claims included:
        for master-key queries and the console only (README, "User queries")."""
        from .base import connection
        client = connection().client
        # eventually consistent: half the read units; a user written in the last second may be missed
        kwargs = {"TableName": UserModel.Meta.table_name, "Limit": page_size, "ConsistentRead": False,
                  "FilterExpression": "#k = :user AND #a = :app",
                  "ExpressionAttributeNames": {"#k": "kind", "#a": "app_id"},
                  "ExpressionAttributeValues": {":user": {"S": "user"}, ":app": {"S": app_id}}}
        if start_key:
            kwargs["ExclusiveStartKey"] = start_key
        answer = client.scan(**kwargs)
        users = [_user(UserModel.from_raw_data(item)) for item in answer.get("Items", [])]
        return users, answer.get("LastEvaluatedKey") or None

    def get_session_and_user_by_hash(self, app_id: str, token_hash: str, kind: str = "session") -> tuple:
        """For tokens without a user id (imported from LeanCloud): the session, then its user."""
        try:
            item = UserModel.get(session_key(token_hash, kind), consistent_read=True)
        except UserModel.DoesNotExist:
            return None, None
        session = _session(token_hash, item, kind)
        if session is None or session.app_id != app_id:
            return None, None
        return session, self.get(app_id, session.user_id)

    def delete(self, user: User) -> None:
        """The user and its claims, if it is still at the version read (else Stale); its
        imported session with it. Other sessions die with the user they name."""
        ops = [("user", "Delete", delete_kwargs(UserModel(user_key(user.app_id, user.object_id)),
                                                UserModel.version == user.version))]
        for name, value in user.claims().items():
            ops.append((f"release:{name}", "Delete", delete_kwargs(UserModel(claim_key(user.app_id, name, value)),
                                                                   UserModel.uid == user.object_id)))
        if user.import_session:
            ops.append(("session", "Delete", delete_kwargs(UserModel(session_key(user.import_session)))))
        ops.append(("tombstone", "Put", put_kwargs(UserModel(
            tombstone_key(user.app_id, user.object_id), kind="tombstone", app_id=user.app_id, uid=user.object_id))))
        try:
            transact(ops)
        except Cancelled:
            raise Stale() from None


def _unit_ops(unit) -> list:
    """(tag, kind, kwargs, key) of one imported record's writes."""
    before, after = unit.before, unit.after
    ukey = user_key(after.app_id, after.object_id)
    condition = UserModel.pk.does_not_exist() if before is None else UserModel.version == before.version
    ops = [("user", "Put", put_kwargs(_item(after), condition), ukey)]
    for name, value in unit.added_claims().items():
        key = claim_key(after.app_id, name, value)
        ops.append((f"claim:{name}", "Put", put_kwargs(
            _claim_item(after.app_id, after.object_id, name, value, after.phone_verified),
            UserModel.pk.does_not_exist() | (UserModel.uid == after.object_id)), key))
    flag = _phone_flag_op(before, after) if before is not None else None
    if flag is not None:
        ops.append((*flag[0], flag[1]))
    for name, value in unit.released_claims().items():
        key = claim_key(after.app_id, name, value)
        ops.append((f"release:{name}", "Delete", delete_kwargs(UserModel(key), UserModel.uid == after.object_id), key))
    for s in unit.sessions:
        # an imported token is never handed from one user to another, nor revived: a new one
        # must be free; one carried into a new epoch must still live at the epoch read
        carry = getattr(unit, "carry_from", None)
        condition = UserModel.pk.does_not_exist() if carry is None else \
            (UserModel.uid == after.object_id) & (UserModel.epoch == carry)
        ops.append(("session", "Put", put_kwargs(_session_item(s), condition), session_key(s.token_hash, s.kind)))
    if getattr(unit, "revive", False):
        key = tombstone_key(after.app_id, after.object_id)
        ops.append(("tombstone", "Delete", delete_kwargs(UserModel(key)), key))
    for token_hash in unit.revoke:
        key = session_key(token_hash)
        ops.append(("revoke", "Delete", delete_kwargs(UserModel(key)), key))
    return ops
