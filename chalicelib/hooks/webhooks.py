"""Signed event webhooks (Standard Webhooks): which endpoints want an event, and one attempt.

Body: ``{"type": "<event>", "timestamp": "<ISO 8601>", "data": {...}}`` (the shapes are in
``/openapi.json``'s ``webhooks``), signed per attempt with ``chalicelib/signing.py`` under the
same ``webhook-id`` on every retry and replay.

Endpoint lists are cached per instance for ``CACHE_SECONDS``: an event that no enabled
endpoint wants costs nothing (no read, no queue message) once the cache is warm, and a
send with no webhook configured pays one Query per instance per half minute.
"""
from __future__ import annotations

import threading
import time
from datetime import datetime, timezone
from urllib.parse import urlsplit

from .. import signing
from . import http

CACHE_SECONDS = 30
DELIVERY_TIMEOUT = 15  # seconds an endpoint has to answer


class EndpointCache:
    def __init__(self, store, seconds: float = CACHE_SECONDS):
        self.store, self.seconds = store, seconds
        self._cache: dict = {}
        self._lock = threading.Lock()

    def endpoints(self, app_id: str) -> list:
        hit = self._cache.get(app_id)
        if hit is not None and hit[0] > time.monotonic():
            return hit[1]
        found = self.store.list(app_id)
        with self._lock:
            self._cache[app_id] = (time.monotonic() + self.seconds, found)
        return found

    def targets(self, app_id: str, kind: str) -> list:
        return [e for e in self.endpoints(app_id) if e.wants(kind)]

    def forget(self, app_id: str | None = None) -> None:
        with self._lock:
            if app_id is None:
                self._cache.clear()
            else:
                self._cache.pop(app_id, None)


def event_body(kind: str, now: float, data: dict) -> str:
    import json

    when = datetime.fromtimestamp(now, tz=timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    return json.dumps({"type": kind, "timestamp": when, "data": data}, ensure_ascii=False, separators=(",", ":"))


def attempt(endpoint, msg_id: str, body: str, now: float, post=http.post) -> http.Answer:
    """One signed POST. ``now`` (the worker's clock) decides which secrets sign; the signature's
    timestamp is the real time, which receivers check against theirs (``signing.headers``)."""
    headers = signing.sign(msg_id, body, endpoint.signing_secrets(now))
    return post(endpoint.url, body, headers, DELIVERY_TIMEOUT)


def check_url(url, deployed: bool) -> str | None:
    """Why ``url`` cannot be an endpoint (None if it can): https in a deployed stage; plain
    http only to this machine under ``make run``."""
    if not isinstance(url, str) or not url or len(url) > 2000:
        return "url must be a string of at most 2000 characters"
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        return "url must be an absolute https URL"
    if parts.username or parts.password:
        return "url must not carry credentials"
    if parts.scheme == "http":
        loopback = parts.hostname in ("127.0.0.1", "localhost", "::1")
        if deployed or not loopback:
            return "url must be https (plain http only to 127.0.0.1/localhost under make run)"
    return None
