"""The deliveries table: one item per event sent to an endpoint, with its attempts.

Keyed by endpoint and message id (``msg_<epoch ms, 13 digits><random>``: newest first in a
Query). Holds the signed body as it was sent (a replay sends the same bytes under the same
``webhook-id``), the status (``pending`` -> ``delivered`` | ``failed`` (will retry) |
``dead`` (retries exhausted: in the dead-letter queue)), and the last attempts (time, HTTP
status, latency, error). Items expire after ``RETENTION_DAYS`` (DynamoDB TTL).
"""
from __future__ import annotations

import secrets as _secrets

from pynamodb.attributes import (JSONAttribute, ListAttribute, MapAttribute, NumberAttribute, TTLAttribute,
                                 UnicodeAttribute)
from pynamodb.models import Model

from .base import BaseMeta, SharedConnection, table_name

RETENTION_DAYS = 30
KEEP_ATTEMPTS = 20  # the last attempts shown per delivery


class Attempt(MapAttribute):
    at = NumberAttribute()
    status = NumberAttribute(null=True)       # HTTP status; none when the request failed
    latency_ms = NumberAttribute()
    error = UnicodeAttribute(null=True)


class DeliveryModel(SharedConnection, Model):
    class Meta(BaseMeta):
        kind = "deliveries"  # deploy/tables.py names the table and its VERIKIT_<KIND>_TABLE by this
        table_name = table_name("deliveries")

    endpoint = UnicodeAttribute(hash_key=True)   # a webhook id, or "leanengine"
    id = UnicodeAttribute(range_key=True)        # the message id
    app_id = UnicodeAttribute()
    event = UnicodeAttribute()
    target = UnicodeAttribute()                  # the URL (a LeanEngine hook's path)
    body = UnicodeAttribute()
    status = UnicodeAttribute()
    attempts = NumberAttribute(default=0)
    log = ListAttribute(of=Attempt, null=True)
    created_at = NumberAttribute()
    updated_at = NumberAttribute()
    extra = JSONAttribute(null=True)
    ttl = TTLAttribute(null=True)


def new_message_id(now: float) -> str:
    return f"msg_{int(now * 1000):013d}{_secrets.token_hex(6)}"


def _out(item: DeliveryModel) -> dict:
    return {"id": item.id, "endpoint": item.endpoint, "event": item.event, "target": item.target,
            "status": item.status, "attempts": int(item.attempts or 0), "createdAt": float(item.created_at),
            "updatedAt": float(item.updated_at),
            "log": [{"at": float(a.at), "status": int(a.status) if a.status is not None else None,
                     "latencyMs": int(a.latency_ms), "error": a.error} for a in (item.log or [])]}


class DynamoDeliveries:
    def started(self, app_id: str, endpoint: str, msg_id: str, event: str, target: str, body: str,
                now: float, extra: dict | None = None) -> None:
        """The delivery exists (pending) before its first attempt; a second call keeps it."""
        from datetime import datetime, timezone

        item = DeliveryModel(endpoint, msg_id, app_id=app_id, event=event, target=target, body=body,
                             status="pending", attempts=0, log=[], created_at=int(now), updated_at=int(now),
                             extra=extra, ttl=datetime.fromtimestamp(now + RETENTION_DAYS * 86400, tz=timezone.utc))
        from pynamodb.exceptions import PutError
        try:
            item.save(condition=DeliveryModel.id.does_not_exist())
        except PutError:
            pass

    def attempted(self, endpoint: str, msg_id: str, now: float, status: str, http_status: int | None,
                  latency_ms: int, error: str | None) -> None:
        attempt = Attempt(at=int(now), status=http_status, latency_ms=int(latency_ms), error=(error or None) and error[:300])
        item = DeliveryModel(endpoint, msg_id)
        item.update(actions=[DeliveryModel.status.set(status), DeliveryModel.attempts.add(1),
                             DeliveryModel.log.set((DeliveryModel.log | []).append([attempt])),
                             DeliveryModel.updated_at.set(int(now))])
        if item.log and len(item.log) > KEEP_ATTEMPTS:  # trim the oldest (rare: a day of retries)
            item.update(actions=[DeliveryModel.log.set(list(item.log)[-KEEP_ATTEMPTS:])])

    def set_status(self, endpoint: str, msg_id: str, status: str, now: float) -> None:
        DeliveryModel(endpoint, msg_id).update(actions=[DeliveryModel.status.set(status),
                                                        DeliveryModel.updated_at.set(int(now))])

    def get(self, endpoint: str, msg_id: str) -> dict | None:
        try:
            item = DeliveryModel.get(endpoint, msg_id)
        except DeliveryModel.DoesNotExist:
            return None
        return {**_out(item), "body": item.body, "app_id": item.app_id, "extra": item.extra}

    def list(self, endpoint: str, limit: int = 50) -> list:
        return [_out(i) for i in DeliveryModel.query(endpoint, scan_index_forward=False, limit=limit)]
