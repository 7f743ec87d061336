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
import secrets
from dataclasses import dataclass, field
from typing import Any, Iterable, Optional

from ..errors import InvalidEmail, InvalidPhoneNumber, InvalidRequest, SessionRequired
from .lc_records import _object_id, read_record
from .model import Session, Stale, User
from .user_queries import UserQueries

MAX_RECORDS = 1000               # per request; `make import-leancloud` sends batches of 500
CLAIM_WIRE = {"username": "username", "phone": "mobilePhoneNumber", "email": "email"}
TOKEN_TAKEN = "sessionToken belongs to another user"


# claims "keep every account" may drop (a username or a platform's uid is never dropped)
DROPPABLE = {"phone", "email"}


def _wire(claim: str) -> str:
    """A claim's name as the export spells it (``auth:weixin`` -> ``authData.weixin``)."""
    kind, _, platform = claim.partition(":")
    return CLAIM_WIRE.get(claim) or (f"authData.{platform}" if kind == "auth" else f"the unionid of {platform}")


@dataclass
class Unit:
    """One record's writes: ``before`` is None for a new user."""
    line: int
    before: Optional[User]
    after: User
    sessions: tuple = ()
    revoke: tuple = ()           # hashes of sessions to end (a replaced imported token)
    # the imported token carried into a new epoch (a password changed on LeanCloud) only if it
    # still lives at this epoch: a token the user ended here is never revived
    carry_from: Optional[int] = None
    revive: bool = False         # a user deleted here, imported again on the operator's word

    def added_claims(self) -> dict:
        old = self.before.claims() if self.before else {}
        return {k: v for k, v in self.after.claims().items() if old.get(k) != v}

    def released_claims(self) -> dict:
        new = self.after.claims()
        return {k: v for k, v in (self.before.claims() if self.before else {}).items() if new.get(k) != v}


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    failed: list = field(default_factory=list)
    dropped: list = field(default_factory=list)    # fields left out to keep an account (per line)
    warnings: list = field(default_factory=list)   # what will not work as on LeanCloud (per line)

    def fail(self, line: int, object_id: Any, error: str) -> None:
        self.failed.append({"line": line, "objectId": object_id if isinstance(object_id, str) else None,
                            "error": error})

    def to_dict(self) -> dict:
        out = {"created": self.created, "updated": self.updated, "unchanged": self.unchanged,
               "failed": sorted(self.failed, key=lambda f: f["line"])}
        for name in ("dropped", "warnings"):  # only when there are any (keeping accounts; a dry run)
            if getattr(self, name):
                out[name] = sorted(getattr(self, name), key=lambda f: f["line"])
        return out


def _proven(user: User, name: str) -> bool:
    return user.phone_verified if name == "phone" else user.email_verified


class Migration(UserQueries):
    """LeanCloud import (and, from ``user_queries``, master-key user administration), part of
    ``AccountService``."""

    # ---- import ----------------------------------------------------------------------------

    def import_leancloud(self, app_id: str, records: Iterable[tuple], dry_run: bool = False,
                         drop_invalid_fields: bool = False, drop_taken: bool = True,
                         revive_deleted: bool = False) -> ImportResult:
        """Import ``(line, record)`` pairs of a LeanCloud ``_User`` export. With
        ``drop_invalid_fields`` a record keeps its account without the fields that cannot be
        taken (``import_checks``); ``drop_taken=False`` still fails a record whose phone or
        email another stored user holds (the tool tries those again after the whole file).
        A user deleted here left a tombstone: its record fails unless ``revive_deleted``."""
        from .import_checks import Keeper, warnings_of

        s = self._settings(app_id)
        result = ImportResult()
        keeper = Keeper(enabled=drop_invalid_fields, drop_taken=drop_taken)
        now_ms = self._now_ms()
        parsed, lines_of, raw = [], {}, {}
        for line, rec in records:
            try:
                if not isinstance(rec, dict):
                    raise InvalidRequest("a record must be a JSON object")
                user, token = self._lc_record(app_id, rec, s, now_ms, keeper.for_line(line))
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
            raw[line] = rec
            parsed.append((line, user, token))

        def landed(unit: Unit) -> None:
            """A unit written (or, dry, that would be): its drops and warnings are reported."""
            if unit.before is None:
                result.created += 1
            else:
                result.updated += 1
            oid = unit.after.object_id
            result.dropped.extend(keeper.report(unit.line, oid))
            if dry_run:  # what will bite after the switch, told before it
                result.warnings.extend({"line": unit.line, "objectId": oid, "kind": k, "warning": w}
                                       for k, w in warnings_of(raw[unit.line], unit.after, s))

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

        # two records of one import claiming one value: the first wins, unless the other
        # gives it up in the same import (a delta moving a phone from one user to another);
        # keeping accounts, the later record is imported without that phone or email
        first, dropped = {}, set()
        for i, unit in enumerate(units):
            for name, value in unit.added_claims().items():
                other = first.setdefault((name, value), i)
                if other != i:
                    why = f"{_wire(name)} is also claimed by line {units[other].line} of this import"
                    if keeper.enabled and name in DROPPABLE:
                        loser = unit
                        if _proven(unit.after, name) and not _proven(units[other].after, name):
                            # the verified holder keeps it (it can prove the number or address)
                            first[(name, value)] = i
                            loser, why = units[other], f"{_wire(name)} is also claimed, verified, by line " \
                                                       f"{unit.line} of this import"
                        keeper.drop_claim(loser, name, why)
                        continue
                    result.fail(unit.line, unit.after.object_id, why)
                    dropped.add(i)
                    break
            else:  # one sessionToken, one user: the first record keeps it
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
            tokens = [x.token_hash for u in units for x in u.sessions]
            holders = {h: x.user_id for h, x in self.users.get_sessions(tokens).items()} if tokens else {}
            for unit in units:
                if any(holders.get(x.token_hash) not in (None, unit.after.object_id) for x in unit.sessions):
                    result.fail(unit.line, unit.after.object_id, TOKEN_TAKEN)
                    continue
                taken = [n for n, v in unit.added_claims().items()
                         if owners.get((n, v)) not in (None, unit.after.object_id) and (n, v) not in released]
                if taken and keeper.enabled and keeper.drop_taken and set(taken) <= DROPPABLE:
                    for name in taken:
                        keeper.drop_claim(unit, name, f"{_wire(name)} belongs to another user")
                    taken = []
                if taken:
                    result.fail(unit.line, unit.after.object_id, f"{_wire(taken[0])} belongs to another user")
                else:
                    landed(unit)
            return result

        pending = units
        for attempt in range(3):  # a second pass for claims another unit of the batch released first,
            # a third (keeping accounts) without the phones and emails still taken
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
                    landed(unit)
                    continue
                taken = sorted(t.split(":", 1)[1] for t in failed if t.startswith("claim:"))
                only_claims = not failed - {f"claim:{t}" for t in taken}
                if "session" in failed and "user" not in failed:
                    result.fail(unit.line, unit.after.object_id, TOKEN_TAKEN)
                elif taken and attempt == 0 and only_claims:
                    retry.append(unit)
                elif taken and attempt == 1 and only_claims and keeper.enabled and keeper.drop_taken \
                        and set(taken) <= DROPPABLE:
                    for name in taken:
                        keeper.drop_claim(unit, name, f"{_wire(name)} belongs to another user")
                    retry.append(unit)
                elif taken:
                    result.fail(unit.line, unit.after.object_id,
                                f"{_wire(taken[0])} belongs to another user")
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

    def _lc_record(self, app_id: str, rec: dict, s, now_ms: int, drop=None) -> tuple:
        """(User, sessionToken or None) of an export record, validated; InvalidRequest if not
        (``lc_records.read_record``)."""
        return read_record(self.secret, app_id, rec, s, drop)

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
            before, username=user.username, phone=user.phone, phone_verified=user.phone_verified,
            phone_given=user.phone_given, email=user.email,
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
