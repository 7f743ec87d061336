"""Moving an app from LeanCloud: importing its ``_User`` export, its users' old passwords and
session tokens, and the master-key user queries and deletion its servers keep calling.

An import is idempotent and batched. Each record becomes a *unit*: the user, its claims on
username / phone / email and its imported session, written atomically (many units share one
``TransactWriteItems``, see ``store.user_batches``). A record whose ``updatedAt`` is not newer
than the stored user changes nothing; a newer one updates the user and moves its claims in
the same transaction. Nothing is merged: a value another user holds fails the record.
"""
from __future__ import annotations

import dataclasses
import re
import secrets
from typing import Any, Iterable, Optional

from .. import codes, emails, passwords, phone
from ..errors import InvalidEmail, InvalidPhoneNumber, InvalidRequest, SessionRequired
from ..passwords import leancloud_hash
from .lc_export import OBJECT_ID, ImportResult, Unit, _flag, _object_id, parse_date, plain  # noqa: F401 (re-exported)
from .model import CUSTOM_KEY, Session, Stale, User, _merge_custom, _plausible_id

MAX_RECORDS = 1000               # per request; `make import-leancloud` sends batches of 500
TOKEN = re.compile(r"^[A-Za-z0-9_\-]{10,200}$")
# REST fields with a meaning of their own; everything else is a custom field
KNOWN = {"objectId", "_id", "createdAt", "updatedAt", "username", "password", "salt", "email", "emailVerified",
         "mobilePhoneNumber", "mobilePhoneVerified", "sessionToken", "authData", "ACL", "className", "__type"}
KEPT = ("authData", "ACL")       # kept as they came, not interpreted
QUERY_FIELDS = {"objectId": None, "username": "username", "email": "email", "mobilePhoneNumber": "phone"}
ORDER_FIELDS = {"createdAt": "created_at", "updatedAt": "updated_at", "objectId": "object_id",
                "username": "username"}
CLAIM_WIRE = {"username": "username", "phone": "mobilePhoneNumber", "email": "email"}
TOKEN_TAKEN = "sessionToken belongs to another user"


class Migration:
    """LeanCloud import and master-key user administration, part of ``AccountService``."""

    # ---- import ----------------------------------------------------------------------------

    def import_leancloud(self, app_id: str, records: Iterable[tuple], dry_run: bool = False,
                         revive_deleted: bool = False) -> ImportResult:
        """Import ``(line, record)`` pairs of a LeanCloud ``_User`` export. A user deleted here
        left a tombstone: its record fails unless ``revive_deleted`` (the operator's word)."""
        s = self._settings(app_id)
        result = ImportResult()
        now_ms = self._now_ms()
        parsed, lines_of = [], {}
        for line, rec in records:
            try:
                if not isinstance(rec, dict):
                    raise InvalidRequest("a record must be a JSON object")
                user, token = self._lc_record(app_id, rec, s, now_ms)
            except (InvalidRequest, InvalidEmail, InvalidPhoneNumber) as e:
                result.fail(line, _object_id(rec) if isinstance(rec, dict) else None, e.message)
                continue
            except RecursionError:  # a bad record never stops the others
                result.fail(line, _object_id(rec) if isinstance(rec, dict) else None, "the record is nested too deeply")
                continue
            if user.object_id in lines_of:
                result.fail(line, user.object_id, f"objectId also on line {lines_of[user.object_id]} of this import")
                continue
            lines_of[user.object_id] = line
            parsed.append((line, user, token))

        existing = self.users.get_many(app_id, [u.object_id for _, u, _ in parsed]) if parsed else {}
        missing = [u.object_id for _, u, _ in parsed if u.object_id not in existing]
        deleted = self.users.deleted(app_id, missing) if missing else set()
        units = []
        for line, user, token in parsed:
            if user.object_id in deleted and not revive_deleted:
                result.fail(line, user.object_id, "this user was deleted here: it is not imported again unless "
                                                  "the import says so (revive_deleted=true, --revive-deleted)")
                continue
            unit = self._lc_unit(line, existing.get(user.object_id), user, token, s)
            if unit is None:
                result.unchanged += 1
            else:
                units.append(dataclasses.replace(unit, revive=user.object_id in deleted))
        units = self._alive_carries(units)

        # two records of one import claiming one value (or one sessionToken): the first wins,
        # unless the other gives it up in the same import (a delta moving a phone)
        first, dropped = {}, set()
        for i, unit in enumerate(units):
            for name, value in unit.added_claims().items():
                other = first.setdefault((name, value), i)
                if other != i:
                    result.fail(unit.line, unit.after.object_id,
                                f"{CLAIM_WIRE[name]} is also claimed by line {units[other].line} of this import")
                    dropped.add(i)
                    break
            else:
                for sess in unit.sessions:
                    other = first.setdefault(("session", sess.token_hash), i)
                    if other != i:
                        result.fail(unit.line, unit.after.object_id,
                                    f"sessionToken is also on line {units[other].line} of this import")
                        dropped.add(i)
        units = [u for i, u in enumerate(units) if i not in dropped]

        if dry_run:
            released = {(n, v): u.after.object_id for u in units for n, v in u.released_claims().items()}
            wanted = [(n, v) for u in units for n, v in u.added_claims().items()]
            owners = self.users.claim_owners(app_id, wanted) if wanted else {}
            tokens = [s.token_hash for u in units for s in u.sessions]
            holders = {h: sess.user_id for h, sess in self.users.get_sessions(tokens).items()} if tokens else {}
            for unit in units:
                error = next((f"{CLAIM_WIRE[n]} belongs to another user" for n, v in unit.added_claims().items()
                              if owners.get((n, v)) not in (None, unit.after.object_id) and (n, v) not in released),
                             None)
                if error is None and any(holders.get(x.token_hash) not in (None, unit.after.object_id)
                                         for x in unit.sessions):
                    error = TOKEN_TAKEN
                if error:
                    result.fail(unit.line, unit.after.object_id, error)
                elif unit.before is None:
                    result.created += 1
                else:
                    result.updated += 1
            return result

        pending = units
        for attempt in range(2):  # a second pass for claims another unit of the batch released first
            failures = self.users.apply_units(pending)
            replayed = [i for i, f in failures.items() if "user" in f and f <= {"user", "session"}]
            if replayed:
                # a transaction that went through but was retried (a timeout) fails its own
                # conditions the second time: a user stored exactly as planned was written
                now = self.users.get_many(app_id, [pending[i].after.object_id for i in replayed])
                for i in replayed:
                    if now.get(pending[i].after.object_id) == pending[i].after:
                        del failures[i]
            retry = []
            for i, unit in enumerate(pending):
                failed = failures.get(i)
                if failed is None:
                    if unit.before is None:
                        result.created += 1
                    else:
                        result.updated += 1
                    continue
                taken = sorted(t.split(":", 1)[1] for t in failed if t.startswith("claim:"))
                if "session" in failed and "user" not in failed:
                    result.fail(unit.line, unit.after.object_id, TOKEN_TAKEN)
                elif taken and attempt == 0 and not failed - {f"claim:{t}" for t in taken}:
                    retry.append(unit)
                elif taken:
                    result.fail(unit.line, unit.after.object_id,
                                f"{CLAIM_WIRE[taken[0]]} belongs to another user")
                elif unit.before is None:
                    result.fail(unit.line, unit.after.object_id, "a user with this objectId was created meanwhile; "
                                                                 "import the record again")
                else:
                    result.fail(unit.line, unit.after.object_id, "the user changed during the import; "
                                                                 "import the record again")
            if not retry:
                break
            pending = retry
        return result

    def _lc_record(self, app_id: str, rec: dict, s, now_ms: int) -> tuple:
        """(User, sessionToken or None) of an export record, validated; InvalidRequest if not."""
        oid = _object_id(rec)
        if not isinstance(oid, str) or not OBJECT_ID.match(oid):
            raise InvalidRequest("objectId is missing or not 1-64 letters and digits")
        created = parse_date(rec["createdAt"], "createdAt") if rec.get("createdAt") is not None else None
        updated = parse_date(rec["updatedAt"], "updatedAt") if rec.get("updatedAt") is not None else None
        if created is None and updated is None:
            raise InvalidRequest("createdAt or updatedAt is required (a re-import compares updatedAt)")
        created, updated = created if created is not None else updated, updated if updated is not None else created

        raw_phone = rec.get("mobilePhoneNumber")
        e164 = None
        if raw_phone not in (None, ""):
            if not isinstance(raw_phone, str):
                raise InvalidRequest("mobilePhoneNumber must be a string")
            e164 = phone.normalise(raw_phone, s.default_region, ("*",)).e164
        address = emails.normalise(rec["email"]) if rec.get("email") not in (None, "") else None
        username = rec.get("username")
        if username in (None, ""):
            username = e164 or address
        if not isinstance(username, str) or not 1 <= len(username) <= 128 or not username.isprintable():
            raise InvalidRequest("username is missing or not 1-128 printable characters")

        password, salt = rec.get("password"), rec.get("salt")
        password_hash = mark = None
        if password not in (None, ""):
            if not isinstance(password, str) or not isinstance(salt, str) or not 1 <= len(salt) <= 200 or "$" in salt \
                    or not passwords.encodable(salt) or not re.fullmatch(r"[A-Za-z0-9+/]{86}==", password):
                raise InvalidRequest("password must be LeanCloud's base64 SHA-512 hash with its salt")
            password_hash = leancloud_hash(salt, password)
            mark = codes.keyed_hash(self.secret, "lc-password", app_id, oid, password_hash)[:32]

        token = rec.get("sessionToken")
        if token in (None, ""):
            token = None
        elif not isinstance(token, str) or not TOKEN.match(token):
            raise InvalidRequest("sessionToken must be 10-200 letters, digits, - or _")

        custom = {}
        for key, value in rec.items():
            if key in KNOWN or key.startswith("_"):  # _-prefixed: storage internals of a dump
                continue
            if not CUSTOM_KEY.match(key):
                raise InvalidRequest(f"invalid field name: {key!r}")
            custom[key] = plain(value)
        kept = {k: plain(rec[k]) for k in KEPT if rec.get(k) is not None}
        if kept:
            _merge_custom({}, {f"k{k}": v for k, v in kept.items()})  # JSON and size-capped
        return User(app_id=app_id, object_id=oid, username=username, created_at=created, updated_at=updated,
                    password_hash=password_hash, phone=e164, phone_verified=_flag(rec, "mobilePhoneVerified"),
                    email=address, email_verified=_flag(rec, "emailVerified"), custom=_merge_custom({}, custom),
                    kept=kept, import_password=mark, imported=True,
                    imported_unverified=tuple(f for f, v, ok in (("phone", e164, _flag(rec, "mobilePhoneVerified")),
                                                                 ("email", address, _flag(rec, "emailVerified")))
                                              if v and not ok)), token

    def _lc_unit(self, line: int, before: Optional[User], user: User, token: Optional[str], s) -> Optional[Unit]:
        token_hash = self._token_hash(token) if token else None
        now = int(self.clock.now())
        days = s.session_ttl_days

        def session(epoch: int) -> tuple:
            if token_hash is None:
                return ()
            return (Session(token_hash=token_hash, app_id=user.app_id, user_id=user.object_id, epoch=epoch,
                            created_at=now, expires_at=now + days * 86400 if days else None),)

        if before is None:
            # a random first epoch: sessions of an earlier user with this objectId (deleted,
            # then imported again) stay dead
            epoch = secrets.randbelow(2 ** 31)
            after = dataclasses.replace(user, session_epoch=epoch, import_session=token_hash)
            return Unit(line, None, after, session(epoch))
        if user.updated_at <= before.updated_at:
            return None  # already imported, or changed here since: unchanged
        after = dataclasses.replace(
            before, username=user.username, phone=user.phone, phone_verified=user.phone_verified, email=user.email,
            email_verified=user.email_verified, custom=user.custom, kept=user.kept, created_at=user.created_at,
            updated_at=user.updated_at, version=before.version + 1, imported=True,
            imported_unverified=user.imported_unverified)
        new_password = bool(user.import_password and user.import_password != before.import_password)
        if new_password:
            # the password changed on LeanCloud since the last import (an unchanged one leaves
            # the argon2id hash of a user who has logged in here alone); as a password change
            # here, it ends every session (a new epoch), those opened on verikit included
            after = dataclasses.replace(after, password_hash=user.password_hash, import_password=user.import_password,
                                        session_epoch=before.session_epoch + 1)
        sessions, revoke, carry = (), (), None
        if token_hash and (token_hash != before.import_session or new_password):
            sessions = session(after.session_epoch)  # the export's token lives on in the new epoch
            revoke = (before.import_session,) if before.import_session and before.import_session != token_hash else ()
            after = dataclasses.replace(after, import_session=token_hash)
            if token_hash == before.import_session:
                carry = before.session_epoch  # ... if it still lives (see _alive_carries)
        return Unit(line, before, after, sessions, revoke, carry_from=carry)

    def _alive_carries(self, units: list) -> list:
        """Units carrying an imported token into a new epoch keep it only if it still lives
        (its session is at the user's epoch as read): a token the user ended here (a refresh,
        a password change or reset, revoked sessions) is never revived by a delta import."""
        carried = [u.sessions[0].token_hash for u in units if u.carry_from is not None and u.sessions]
        if not carried:
            return units
        alive = self.users.get_sessions(carried)
        out = []
        for u in units:
            if u.carry_from is not None and u.sessions:
                held = alive.get(u.sessions[0].token_hash)
                if held is None or held.user_id != u.after.object_id or held.epoch != u.carry_from:
                    u = dataclasses.replace(u, sessions=(), carry_from=None)
            out.append(u)
        return out

    def _upgrade_password(self, user: User, password: str) -> User:
        """After a successful login with an imported LeanCloud hash: replace it by argon2id,
        in one write conditional on the version read. A concurrent change wins; the next
        login tries again."""
        if not self.hasher.needs_rehash(user.password_hash):
            return user
        after = dataclasses.replace(user, password_hash=self.hasher.hash(password), version=user.version + 1)
        try:
            self.users.save(user, after)
        except Stale:
            return user
        return after

    # ---- master-key administration ------------------------------------------------------------

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
