"""The users table's items (``store.users`` writes them): the model, the keys of its four
kinds of item, and a user, session or claim as an item and back.
"""
from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Optional

from pynamodb.attributes import BooleanAttribute, NumberAttribute, TTLAttribute, UnicodeAttribute
from pynamodb.models import Model

from ..core.accounts import Session, User
from .base import SharedConnection, BaseMeta, put_kwargs, table_name, update_kwargs


class UserModel(SharedConnection, Model):
    class Meta(BaseMeta):
        kind = "users"  # deploy/tables.py names the table and its VERIKIT_<KIND>_TABLE by this
        table_name = table_name("users")

    pk = UnicodeAttribute(hash_key=True)
    kind = UnicodeAttribute()                       # user | claim | session
    app_id = UnicodeAttribute(null=True)
    uid = UnicodeAttribute(null=True)               # the user's objectId (all kinds)
    # users
    username = UnicodeAttribute(null=True)
    password_hash = UnicodeAttribute(null=True)
    phone = UnicodeAttribute(null=True)
    phone_verified = BooleanAttribute(null=True)
    phone_given = UnicodeAttribute(null=True)       # the number as the app wrote it, if not E.164
    email = UnicodeAttribute(null=True)
    email_verified = BooleanAttribute(null=True)
    custom = UnicodeAttribute(null=True)            # JSON object of the app's own fields
    created_at = NumberAttribute(null=True)
    updated_at = NumberAttribute(null=True)
    version = NumberAttribute(null=True)
    session_epoch = NumberAttribute(null=True)
    kept = UnicodeAttribute(null=True)              # JSON: authData, ACL of imported users
    import_session = UnicodeAttribute(null=True)    # imported users: hash of the imported sessionToken
    import_password = UnicodeAttribute(null=True)   # imported users: mark of the imported password
    unproven = BooleanAttribute(null=True)          # see core.accounts.User.unproven
    imported = BooleanAttribute(null=True)          # imported from LeanCloud
    imported_unverified = UnicodeAttribute(null=True)  # "phone,email": unverified as imported
    # sessions
    epoch = NumberAttribute(null=True)
    expires_at = NumberAttribute(null=True)
    peer = UnicodeAttribute(null=True)              # the other token of an access/refresh pair
    used_at = NumberAttribute(null=True)            # refresh tokens: when a rotation spent it
    next = UnicodeAttribute(null=True)              # refresh tokens: the successor's hash
    dialect = UnicodeAttribute(null=True)           # sessions: the dialect that issued it
    ttl = TTLAttribute(null=True)


def user_key(app_id: str, object_id: str) -> str:
    return f"U#{app_id}#{object_id}"


def claim_key(app_id: str, field: str, value: str) -> str:
    return f"C#{app_id}#{field}#{value}"


def tombstone_key(app_id: str, object_id: str) -> str:
    return f"T#{app_id}#{object_id}"


def session_key(token_hash: str, kind: str = "session") -> str:
    return f"{'R' if kind == 'refresh' else 'S'}#{token_hash}"


def _item(user: User) -> UserModel:
    return UserModel(user_key(user.app_id, user.object_id), kind="user", app_id=user.app_id,
                     uid=user.object_id, username=user.username, password_hash=user.password_hash,
                     phone=user.phone, phone_verified=user.phone_verified, phone_given=user.phone_given,
                     email=user.email,
                     email_verified=user.email_verified,
                     custom=json.dumps(dict(user.custom), ensure_ascii=False, separators=(",", ":")),
                     created_at=user.created_at, updated_at=user.updated_at, version=user.version,
                     session_epoch=user.session_epoch,
                     kept=json.dumps(dict(user.kept), ensure_ascii=False, separators=(",", ":")) if user.kept else None,
                     import_session=user.import_session, import_password=user.import_password,
                     unproven=True if user.unproven else None, imported=True if user.imported else None,
                     imported_unverified=",".join(user.imported_unverified) or None)


def _user(item: UserModel) -> User:
    return User(app_id=item.app_id, object_id=item.uid, username=item.username,
                password_hash=item.password_hash, phone=item.phone, phone_verified=bool(item.phone_verified),
                phone_given=item.phone_given,
                email=item.email, email_verified=bool(item.email_verified),
                custom=json.loads(item.custom or "{}"), created_at=int(item.created_at),
                updated_at=int(item.updated_at), version=int(item.version or 0),
                session_epoch=int(item.session_epoch or 0), kept=json.loads(item.kept or "{}"),
                import_session=item.import_session, import_password=item.import_password,
                unproven=bool(item.unproven),
                # users imported before the mark: they carry an imported token, password or ACL
                imported=bool(item.imported or item.import_session or item.import_password or item.kept),
                imported_unverified=tuple(f for f in (item.imported_unverified or "").split(",") if f))


def _session_item(s: Session) -> UserModel:
    ttl = datetime.fromtimestamp(s.expires_at, tz=timezone.utc) if s.expires_at else None
    return UserModel(session_key(s.token_hash, s.kind), kind=s.kind, app_id=s.app_id, uid=s.user_id,
                     epoch=s.epoch, created_at=s.created_at, expires_at=s.expires_at, ttl=ttl, peer=s.peer,
                     dialect=s.dialect)


def _claim_item(app_id: str, object_id: str, name: str, value: str, phone_verified) -> UserModel:
    """A claim; the phone's carries whether the user's phone is verified, so that sending a
    code to a user's number needs the claim alone (``phone_holder``)."""
    return UserModel(claim_key(app_id, name, value), kind="claim", app_id=app_id, uid=object_id,
                     phone_verified=bool(phone_verified) if name == "phone" else None)


def _claim_ops(app_id: str, object_id: str, claims: dict, phone_verified=None) -> list:
    return [(f"claim:{name}", "Put",
             put_kwargs(_claim_item(app_id, object_id, name, value, phone_verified),
                        UserModel.pk.does_not_exist() | (UserModel.uid == object_id)))
            for name, value in claims.items()]


def _phone_flag_op(before: User, after: User):
    """The phone claim's verified flag, when the number stays and its verification changes."""
    if after.phone and after.phone == before.phone and bool(after.phone_verified) != bool(before.phone_verified):
        key = claim_key(after.app_id, "phone", after.phone)
        return ("flag:phone", "Update", update_kwargs(
            UserModel(key), [UserModel.phone_verified.set(bool(after.phone_verified))],
            UserModel.uid == after.object_id)), key
    return None


def _session(token_hash: str, item: UserModel, kind: str = "session") -> Optional[Session]:
    if item.kind != kind:
        return None
    return Session(token_hash=token_hash, app_id=item.app_id, user_id=item.uid, epoch=int(item.epoch),
                   created_at=int(item.created_at),
                   expires_at=int(item.expires_at) if item.expires_at is not None else None, kind=kind,
                   peer=item.peer, used=item.used_at is not None, next=item.next, dialect=_dialect(item))


def _dialect(item: UserModel) -> str:
    """Items written before sessions were tagged: a CloudBase token always has a peer (its
    access or refresh token), a LeanCloud session (imported ones too) never."""
    return item.dialect or ("cloudbase" if item.peer or item.kind == "refresh" else "leancloud")
