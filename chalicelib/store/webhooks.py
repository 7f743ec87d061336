"""The webhooks table: an app's event endpoints (URL, events, secret), one item each.

All of an app's endpoints share its partition, so listing them is one Query (there are a
handful). The signing secret is kept so that deliveries can be signed; the API shows it
once, when it is created or rotated. After a rotation the previous secret keeps signing
alongside the new one until ``old_until`` (a day), so receivers can switch without a gap.
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


def _endpoint(item: WebhookModel) -> Endpoint:
    return Endpoint(id=item.id, url=item.url, events=tuple(item.events or ()), enabled=bool(item.enabled),
                    secret=item.secret, old_secret=item.old_secret,
                    old_until=float(item.old_until) if item.old_until else None,
                    description=item.description or "", created_at=float(item.created_at),
                    updated_at=float(item.updated_at))


class NotFound(Exception):
    pass


class DynamoWebhooks:
    def list(self, app_id: str) -> list:
        return [_endpoint(i) for i in WebhookModel.query(app_id, limit=200)]

    def get(self, app_id: str, endpoint_id: str) -> Endpoint:
        try:
            return _endpoint(WebhookModel.get(app_id, endpoint_id))
        except WebhookModel.DoesNotExist:
            raise NotFound(endpoint_id) from None

    def create(self, app_id: str, url: str, events: list, enabled: bool, secret: str, now: float,
               description: str = "") -> Endpoint:
        item = WebhookModel(app_id, "wh_" + _secrets.token_urlsafe(12).replace("-", "x").replace("_", "y"),
                            url=url, events=list(events), enabled=enabled, secret=secret,
                            description=description or None, created_at=int(now), updated_at=int(now))
        try:
            item.save(condition=WebhookModel.id.does_not_exist())
        except PutError as e:  # an id collision (never in practice): the caller retries
            raise RuntimeError("webhook id collision") from e
        return _endpoint(item)

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
        return _endpoint(item)

    def rotate(self, app_id: str, endpoint_id: str, new_secret: str, now: float) -> Endpoint:
        """The new secret signs from now on; the current one keeps signing for a day."""
        current = self.get(app_id, endpoint_id)
        item = WebhookModel(app_id, endpoint_id)
        try:
            item.update(actions=[WebhookModel.secret.set(new_secret), WebhookModel.old_secret.set(current.secret),
                                 WebhookModel.old_until.set(int(now) + ROTATION_OVERLAP_SECONDS),
                                 WebhookModel.updated_at.set(int(now))],
                        condition=WebhookModel.secret == current.secret)  # two rotations at once: one wins
        except UpdateError:
            raise NotFound(endpoint_id) from None
        return _endpoint(item)

    def delete(self, app_id: str, endpoint_id: str) -> None:
        try:
            WebhookModel(app_id, endpoint_id).delete(condition=WebhookModel.id.exists())
        except DeleteError:
            raise NotFound(endpoint_id) from None
