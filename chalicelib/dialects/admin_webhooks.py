"""Event webhooks under ``/admin/v1/webhooks`` (master key; LeanCloud-format errors).

``POST`` creates an endpoint and answers its signing secret once; ``rotate-secret`` answers a
new one (the old one keeps signing alongside for a day); ``deliveries`` lists what was sent
to an endpoint (``leanengine`` as the id lists LeanEngine after-hook calls), and ``replay``
sends one again. README "Hooks and events".
"""
from __future__ import annotations

from chalice import Blueprint

from .. import runtime, wiring
from ..core.errors import InvalidRequest
from .http import json_object
from .leancloud.common import ROUTE, LCError, lc_view, ok

bp = Blueprint(__name__)

LEANENGINE = "leanengine"


def _now() -> float:
    return wiring.service().clock.now()


def _not_found(what: str):
    return LCError(404, 101, f"{what} not found")


def _events(value) -> list:
    from ..core.events import AFTER_KINDS
    if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
        raise InvalidRequest(f"events must be a non-empty list of event types: {', '.join(AFTER_KINDS)} (or \"*\")")
    unknown = [v for v in value if v not in AFTER_KINDS and v != "*"]
    if unknown:
        raise InvalidRequest(f"unknown event type(s): {', '.join(unknown)}; known: {', '.join(AFTER_KINDS)}")
    return list(dict.fromkeys(value))


def _url(value) -> str:
    from ..hooks.webhooks import check_url
    problem = check_url(value, deployed=not runtime.local_mode())
    if problem:
        raise InvalidRequest(problem)
    return value


def _bool(body: dict, key: str, default=None):
    value = body.get(key, default)
    if value is not None and not isinstance(value, bool):
        raise InvalidRequest(f"{key} must be true or false")
    return value


def _description(body: dict):
    value = body.get("description")
    if value is not None and (not isinstance(value, str) or len(value) > 200):
        raise InvalidRequest("description must be a string of at most 200 characters")
    return value


def _changed() -> None:
    """After any endpoint write: the union of the enabled endpoints' events goes into the
    config (``webhooks`` item), which every instance reads with its settings; this
    instance's endpoint cache is dropped."""
    from ..core.config import WEBHOOKS
    wanted = sorted({k for e in wiring.webhooks().list(wiring.app_id()) if e.enabled for k in e.events})
    wiring.config().put(wiring.app_id(), WEBHOOKS, {"events": wanted})
    wiring.endpoint_cache().forget()


def _endpoint(endpoint_id: str):
    from ..store.webhooks import NotFound
    try:
        return wiring.webhooks().get(wiring.app_id(), endpoint_id)
    except NotFound:
        raise _not_found(f"webhook {endpoint_id!r}") from None


@bp.route("/admin/v1/webhooks", methods=["POST"], **ROUTE)
@lc_view(bp, "admin.createWebhook", master=True)
def create_webhook(request, role):
    from .. import signing
    body = json_object(request)
    url, events = _url(body.get("url")), _events(body.get("events"))
    enabled = _bool(body, "enabled", True)
    secret = signing.new_secret()
    e = wiring.webhooks().create(wiring.app_id(), url, events, enabled, secret, _now(), _description(body) or "")
    _changed()
    return ok({**e.to_public(), "secret": secret}, status=201)


@bp.route("/admin/v1/webhooks", methods=["GET"], **ROUTE)
@lc_view(bp, "admin.listWebhooks", master=True)
def list_webhooks(request, role):
    return ok({"results": [e.to_public() for e in wiring.webhooks().list(wiring.app_id())]})


@bp.route("/admin/v1/webhooks/{endpoint_id}", methods=["PATCH"], **ROUTE)
@lc_view(bp, "admin.updateWebhook", master=True)
def update_webhook(request, role, endpoint_id):
    from ..store.webhooks import NotFound
    body = json_object(request)
    unknown = sorted(set(body) - {"url", "events", "enabled", "description"})
    if unknown or not body:
        raise InvalidRequest("send a JSON object with url, events, enabled or description"
                             + (f" (unknown: {', '.join(unknown)})" if unknown else ""))
    changes = {"url": _url(body["url"]) if "url" in body else None,
               "events": _events(body["events"]) if "events" in body else None,
               "enabled": _bool(body, "enabled"), "description": _description(body)}
    try:
        e = wiring.webhooks().update(wiring.app_id(), endpoint_id, _now(), **changes)
    except NotFound:
        raise _not_found(f"webhook {endpoint_id!r}") from None
    _changed()
    return ok(e.to_public())


@bp.route("/admin/v1/webhooks/{endpoint_id}", methods=["DELETE"], **ROUTE)
@lc_view(bp, "admin.deleteWebhook", master=True)
def delete_webhook(request, role, endpoint_id):
    from ..store.webhooks import NotFound
    try:
        wiring.webhooks().delete(wiring.app_id(), endpoint_id)
    except NotFound:
        raise _not_found(f"webhook {endpoint_id!r}") from None
    _changed()
    return ok({})


@bp.route("/admin/v1/webhooks/{endpoint_id}/rotate-secret", methods=["POST"], **ROUTE)
@lc_view(bp, "admin.rotateWebhookSecret", master=True)
def rotate_webhook_secret(request, role, endpoint_id):
    from .. import signing
    from ..store.webhooks import NotFound
    secret = signing.new_secret()
    try:
        e = wiring.webhooks().rotate(wiring.app_id(), endpoint_id, secret, _now())
    except NotFound:
        raise _not_found(f"webhook {endpoint_id!r}") from None
    return ok({"id": e.id, "secret": secret, "previousSecretUntil": e.old_until})


@bp.route("/admin/v1/webhooks/{endpoint_id}/deliveries", methods=["GET"], **ROUTE)
@lc_view(bp, "admin.listWebhookDeliveries", master=True)
def list_deliveries(request, role, endpoint_id):
    if endpoint_id != LEANENGINE:
        _endpoint(endpoint_id)
    return ok({"results": wiring.deliveries().list(endpoint_id)})


@bp.route("/admin/v1/webhooks/{endpoint_id}/deliveries/{delivery_id}/replay", methods=["POST"], **ROUTE)
@lc_view(bp, "admin.replayWebhookDelivery", master=True)
def replay_delivery(request, role, endpoint_id, delivery_id):
    d = wiring.deliveries().get(endpoint_id, delivery_id)
    if d is None or d["app_id"] != wiring.app_id():
        raise _not_found(f"delivery {delivery_id!r}")
    if endpoint_id != LEANENGINE:
        _endpoint(endpoint_id)
    now = _now()
    kind = "leanengine" if endpoint_id == LEANENGINE else "webhook"
    wiring.event_queue().send([{"t": kind, "app": d["app_id"], "endpoint": endpoint_id, "msg": d["id"],
                                "event": d["event"], "target": d["target"], "body": d["body"], "attempt": 0,
                                "replay": True, "due": 0}])
    wiring.deliveries().set_status(endpoint_id, delivery_id, "pending", now)
    return ok({"id": d["id"], "status": "pending"}, status=202)
