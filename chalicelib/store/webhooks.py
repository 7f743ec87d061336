"""The webhooks table: an app's event endpoints (URL, events, secret), one item each.

All of an app's endpoints share its partition, so listing them is one Query (there are a
handful). The signing secret is kept so that deliveries can be signed; the API shows it
once, when it is created or rotated. After a rotation the previous secret keeps signing
alongside the new one until ``old_until`` (a day), so receivers can switch without a gap.

Secrets are stored encrypted (AES-256-GCM, ``v1:`` + base64 of nonce and ciphertext), under
a key derived from the stage's code secret (an SSM SecureString, never in DynamoDB) and bound
to their endpoint (app and id as associated data): whoever can read the table, or a backup
or export of it, cannot sign as verikit, nor move a secret to another endpoint. Secrets
stored in the clear by earlier versions are read as they are and encrypted when rotated.
"""
from __future__ import annotations

import secrets as _secrets
from dataclasses import field

from pynamodb.attributes import BooleanAttribute, ListAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import DeleteError, PutError, UpdateError
from pynamodb.models import Model

from ..core.record import Record
from .base import BaseMeta, SharedConnection, table_name

ROTATION_OVERLAP_SECONDS = 86400
SEALED = "v1:"


def _key(code_secret: bytes) -> bytes:
    import hashlib
    import hmac
    return hmac.new(code_secret, b"verikit webhook secrets v1", hashlib.sha256).digest()


def seal(key: bytes, app_id: str, endpoint_id: str, secret: str) -> str:
    """``secret`` as stored: encrypted under ``key``, bound to the endpoint."""
    import base64
    import os

    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    nonce = os.urandom(12)
    sealed = AESGCM(key).encrypt(nonce, secret.encode(), f"{app_id}/{endpoint_id}".encode())
    return SEALED + base64.b64encode(nonce + sealed).decode()


def unseal(key: bytes, app_id: str, endpoint_id: str, stored: str | None) -> str | None:
    """The secret of a stored value (one stored in the clear by an earlier version: itself)."""
    if not stored or not stored.startswith(SEALED):
        return stored
    import base64

    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    raw = base64.b64decode(stored[len(SEALED):])
    return AESGCM(key).decrypt(raw[:12], raw[12:], f"{app_id}/{endpoint_id}".encode()).decode()


class WebhookModel(SharedConnection, Model):
    class Meta(BaseMeta):
        kind = "webhooks"  # deploy/tables.py names the table and its VERIKIT_<KIND>_TABLE by this
        table_name = table_name("webhooks")

    app_id = UnicodeAttribute(hash_key=True)
    id = UnicodeAttribute(range_key=True)        # wh_<random>
    url = UnicodeAttribute()
    events = ListAttribute(of=UnicodeAttribute)
    enabled = BooleanAttribute(default=True)
    secret = UnicodeAttribute()
    old_secret = UnicodeAttribute(null=True)
    old_until = NumberAttribute(null=True)
    description = UnicodeAttribute(null=True)
    created_at = NumberAttribute()
    updated_at = NumberAttribute()


class Endpoint(Record, frozen=True):
    id: str
    url: str
    events: tuple
    enabled: bool
    secret: str = field(repr=False)
    old_secret: str | None = field(default=None, repr=False)
    old_until: float | None = None
    description: str = ""
    created_at: float = 0
    updated_at: float = 0

    def wants(self, kind: str) -> bool:
        return self.enabled and (kind in self.events or "*" in self.events)

    def signing_secrets(self, now: float) -> list:
        """The current secret, and the previous one while its day of overlap lasts."""
        keep_old = self.old_secret and self.old_until and now < self.old_until
        return [self.secret] + ([self.old_secret] if keep_old else [])

    def to_public(self) -> dict:
        """What the admin API shows (never the secret)."""
        out = {"id": self.id, "url": self.url, "events": list(self.events), "enabled": self.enabled,
               "description": self.description, "createdAt": self.created_at, "updatedAt": self.updated_at}
        if self.old_until:
            out["previousSecretUntil"] = self.old_until
        return out


def _endpoint(item: WebhookModel, key: bytes) -> Endpoint:
    return Endpoint(id=item.id, url=item.url, events=tuple(item.events or ()), enabled=bool(item.enabled),
                    secret=unseal(key, item.app_id, item.id, item.secret),
                    old_secret=unseal(key, item.app_id, item.id, item.old_secret),
                    old_until=float(item.old_until) if item.old_until else None,
                    description=item.description or "", created_at=float(item.created_at),
                    updated_at=float(item.updated_at))


class NotFound(Exception):
    pass


class DynamoWebhooks:
    def __init__(self, code_secret: bytes | None = None):
        if code_secret is None:
            from .. import runtime
            code_secret = runtime.secrets().code_secret
        self._key = _key(code_secret)

    def list(self, app_id: str) -> list:
        return [_endpoint(i, self._key) for i in WebhookModel.query(app_id, limit=200)]

    def get(self, app_id: str, endpoint_id: str) -> Endpoint:
        try:
            return _endpoint(WebhookModel.get(app_id, endpoint_id), self._key)
        except WebhookModel.DoesNotExist:
            raise NotFound(endpoint_id) from None

    def create(self, app_id: str, url: str, events: list, enabled: bool, secret: str, now: float,
               description: str = "") -> Endpoint:
        endpoint_id = "wh_" + _secrets.token_urlsafe(12).replace("-", "x").replace("_", "y")
        item = WebhookModel(app_id, endpoint_id, url=url, events=list(events), enabled=enabled,
                            secret=seal(self._key, app_id, endpoint_id, secret),
                            description=description or None, created_at=int(now), updated_at=int(now))
        try:
            item.save(condition=WebhookModel.id.does_not_exist())
        except PutError as e:  # an id collision (never in practice): the caller retries
            raise RuntimeError("webhook id collision") from e
        return _endpoint(item, self._key)

    def update(self, app_id: str, endpoint_id: str, now: float, **changes) -> Endpoint:
        item = WebhookModel(app_id, endpoint_id)
        attrs = {"url": WebhookModel.url, "events": WebhookModel.events, "enabled": WebhookModel.enabled,
                 "description": WebhookModel.description}
        actions = [attrs[k].set(v) for k, v in changes.items() if k in attrs and v is not None]
        actions.append(WebhookModel.updated_at.set(int(now)))
        try:
            item.update(actions=actions, condition=WebhookModel.id.exists())
        except UpdateError:
            raise NotFound(endpoint_id) from None
        return _endpoint(item, self._key)

    def rotate(self, app_id: str, endpoint_id: str, new_secret: str, now: float) -> Endpoint:
        """The new secret signs from now on; the current one keeps signing for a day."""
        try:
            stored = WebhookModel.get(app_id, endpoint_id, consistent_read=True).secret
        except WebhookModel.DoesNotExist:
            raise NotFound(endpoint_id) from None
        current = unseal(self._key, app_id, endpoint_id, stored)
        item = WebhookModel(app_id, endpoint_id)
        try:
            item.update(actions=[WebhookModel.secret.set(seal(self._key, app_id, endpoint_id, new_secret)),
                                 WebhookModel.old_secret.set(seal(self._key, app_id, endpoint_id, current)),
                                 WebhookModel.old_until.set(int(now) + ROTATION_OVERLAP_SECONDS),
                                 WebhookModel.updated_at.set(int(now))],
                        condition=WebhookModel.secret == stored)  # two rotations at once: one wins
        except UpdateError:
            raise NotFound(endpoint_id) from None
        return _endpoint(item, self._key)

    def delete(self, app_id: str, endpoint_id: str) -> None:
        try:
            WebhookModel(app_id, endpoint_id).delete(condition=WebhookModel.id.exists())
        except DeleteError:
            raise NotFound(endpoint_id) from None
