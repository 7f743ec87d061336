"""The ``Events`` implementation (``core/events.py``) over LeanEngine, webhooks and the queue.

``before`` asks the app's LeanEngine (when ``leanengine_url`` is set) and nobody else.
``after`` turns an event into queue messages: one per enabled endpoint that subscribes to it,
and one for the LeanEngine after-hook it maps to. It never raises: an event that cannot be
queued is logged and the request goes on (delivery must not fail the request).

A send raises ``code.sent`` on every cold instance: what only a wanted event needs (LeanEngine,
the webhook bodies and signatures, the deliveries' ids) is imported when it is needed.
"""
from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from .. import log
from ..core.events import AFTER_KINDS, CREATE, UPDATE

if TYPE_CHECKING:
    from . import leanengine, webhooks

LEANENGINE = "leanengine"  # the deliveries' "endpoint" of LeanEngine after-hooks


class Dispatcher:
    def __init__(self, app_id: str, config, queue, endpoints: webhooks.EndpointCache, secrets, clock):
        self.app_id, self.config, self.queue, self.endpoints = app_id, config, queue, endpoints
        self.secrets, self.clock = secrets, clock

    def engine(self) -> leanengine.LeanEngine | None:
        return engine_for(self.app_id, self.config, self.secrets, self.clock)

    def before(self, kind: str, user, **details: Any):
        """``user`` is a core ``User`` (or, for onAuthData, the authData); the answer too."""
        engine = self.engine()
        if engine is None:
            return user
        from . import users
        if not users.is_user(user):
            return engine.before(kind, user, details.get("updated_keys"))
        answer = engine.before(kind, users.to_wire(user), details.get("updated_keys"))
        return users.from_answer(user, answer) if kind in (CREATE, UPDATE) else user

    def after(self, kind: str, payload: dict) -> None:
        try:
            messages = self.messages(kind, payload)
            if messages:
                self.queue.send(messages)
        except Exception as e:  # noqa: BLE001 - never fail the request that raised the event
            log.event(logging.ERROR, event="event_not_queued", kind=kind, type=type(e).__name__)

    def messages(self, kind: str, payload: dict) -> list:
        now = self.clock.now()
        out = []
        wanted = self.config.get(self.app_id).webhook_events  # cached config: no read when nobody wants it
        if kind in AFTER_KINDS and (kind in wanted or "*" in wanted):
            targets = self.endpoints.targets(self.app_id, kind)
            if targets:
                from ..store.deliveries import new_message_id
                from . import users, webhooks
                body = webhooks.event_body(kind, now, users.wire_payload(payload, webhook=True))
                msg_id = new_message_id(now)
                out += [{"t": "webhook", "app": self.app_id, "endpoint": e.id, "msg": msg_id, "event": kind,
                         "target": e.url, "body": body, "attempt": 0, "due": 0} for e in targets]
        engine = self.engine()
        if engine is not None:
            from . import users
            call = engine.after_call(kind, users.wire_payload(payload))
            if call is not None:
                import json

                from ..store.deliveries import new_message_id
                path, body = call
                out.append({"t": "leanengine", "app": self.app_id, "endpoint": LEANENGINE,
                            "msg": new_message_id(now), "event": kind, "target": path,
                            "body": json.dumps(body, ensure_ascii=False), "attempt": 0, "due": 0})
        return out


def engine_for(app_id: str, config, secrets, clock) -> leanengine.LeanEngine | None:
    s = config.get(app_id).settings
    if not s.leanengine_url:
        return None
    from . import leanengine
    keys = secrets()
    if not keys.hook_key:  # the engine will refuse every hook (401): before-hooks fail closed
        log.event(logging.WARNING, event="hook_key_missing")
    return leanengine.LeanEngine(s.leanengine_url, keys.app_id, keys.master_key, keys.hook_key,
                                 float(s.hook_timeout_seconds), clock)


class Targets:
    """One delivery attempt of a queued message (the worker's ``deliver``)."""

    def __init__(self, store, config, secrets, clock, post=None):
        from . import http
        self.store, self.config, self.secrets, self.clock = store, config, secrets, clock
        self.post = post or http.post

    def __call__(self, message: dict, now: float):
        from . import webhooks
        if message.get("t") == "leanengine":
            engine = engine_for(message["app"], self.config, self.secrets, self.clock)
            if engine is None or not engine.registered_path(message["target"]):
                return None  # hooks switched off, or the engine has no such hook
            answer = self.post(engine.endpoint(message["target"]), message["body"], engine.headers(),
                               webhooks.DELIVERY_TIMEOUT)
            if answer.status == 406:  # no such hook registered (any more)
                return None
            return answer
        from ..store.webhooks import NotFound
        try:
            endpoint = self.store.get(message["app"], message["endpoint"])
        except NotFound:
            return None
        if not endpoint.enabled:
            return None
        return webhooks.attempt(endpoint, message["msg"], message["body"], now, post=self.post)
