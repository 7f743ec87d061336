"""LeanEngine hooks, called as LeanCloud's server called them.

An app's cloud code keeps running unchanged on its own server (the official SDKs'
``leancloud.Engine`` WSGI app, the Node ``leanengine`` middleware): verikit POSTs to
``<leanengine_url>/1.1/functions/<hook>`` with

- ``X-LC-Id`` (the app id) and ``X-LC-Sign: md5(timestamp + master key),timestamp,master``
  (the SDKs' authorization check wants the app's identity; the master key never travels);
- ``X-LC-Hook-Key`` (``VERIKIT_HOOK_KEY``: the SDKs answer 401 to any hook call without it);
- the body the SDK's dispatcher reads: ``{"object": <the user as LeanCloud shows it, no
  secrets>}`` (with ``_updatedKeys`` for beforeUpdate/afterUpdate), ``{"authData": ...}``
  for onAuthData.

Before-hooks (onLogin, beforeSave, beforeUpdate, beforeDelete, onAuthData) run inside the
request: an error answer (``{"code", "error"}``) refuses it with that code and message, as
LeanCloud relayed them; no answer in ``hook_timeout_seconds``, or one that is not JSON, also
refuses it (fail closed) and is logged. beforeSave/beforeUpdate answer the object to store.
After-hooks and onVerified are queued (``hooks/queue.py``) and retried; they never block.

Which hooks exist is asked once a minute (``_ops/metadatas``, as LeanCloud's console did), so
an app without a beforeSave pays no call for it; if the engine does not say, every hook is
called and "not registered" answers (404/406) mean "no hook".
"""
from __future__ import annotations

import hashlib
import json
import logging
import threading
import time

from .. import log
from ..core.events import AUTH_DATA, CREATE, DELETE, LOGIN, UPDATE, USER_VERIFIED, HookRefused
from . import http

# core before-kind -> (path under /1.1/functions/, the name the SDK registers it under)
BEFORE = {
    LOGIN: ("_User/onLogin", "__on_login__User"),
    CREATE: ("_User/beforeSave", "__before_save_for__User"),
    UPDATE: ("_User/beforeUpdate", "__before_update_for__User"),
    DELETE: ("_User/beforeDelete", "__before_delete_for__User"),
    AUTH_DATA: ("_User/onAuthData", "__on_authdata__User"),
}
# core after-kind -> the same (onVerified: by channel)
AFTER = {
    "user.created": ("_User/afterSave", "__after_save_for__User"),
    "user.updated": ("_User/afterUpdate", "__after_update_for__User"),
    "user.deleted": ("_User/afterDelete", "__after_delete_for__User"),
}
VERIFIED = {"sms": ("onVerified/sms", "__on_verified_sms"), "email": ("onVerified/email", "__on_verified_email")}
NOT_REGISTERED = (404, 406)  # the SDKs' answers for a hook nobody registered
METADATA_SECONDS = 60
# LeanCloud's codes for a hook that could not run
TIMEOUT_CODE, FAILED_CODE = 124, 141

# user fields never sent to cloud code
SECRET_FIELDS = ("password", "salt", "sessionToken", "_hashed_password", "bcryptPassword")


def public_user(user: dict) -> dict:
    return {k: v for k, v in (user or {}).items() if k not in SECRET_FIELDS}


class LeanEngine:
    def __init__(self, url: str, app_id: str, master_key: str, hook_key: str, timeout: float, clock,
                 post=http.post):
        self.url, self.app_id, self.master_key, self.hook_key = url.rstrip("/"), app_id, master_key, hook_key
        self.timeout, self.clock, self.post = timeout, clock, post

    # -- wire --
    def headers(self) -> dict:
        ts = str(int(self.clock.now() * 1000))
        sign = hashlib.md5((ts + self.master_key).encode("utf-8")).hexdigest()
        return {"X-LC-Id": self.app_id, "X-LC-Sign": f"{sign},{ts},master", "X-LC-Hook-Key": self.hook_key}

    def endpoint(self, path: str) -> str:
        return f"{self.url}/1.1/functions/{path}"

    def call(self, path: str, body: dict, timeout: float | None = None) -> http.Answer:
        return self.post(self.endpoint(path), json.dumps(body, ensure_ascii=False), self.headers(),
                         timeout or self.timeout)

    # -- which hooks exist --
    def registered(self, name: str) -> bool:
        names = _metadata(self)
        return names is None or name in names

    def registered_path(self, path: str) -> bool:
        """Whether the hook at ``path`` (``_User/afterSave``) is one the engine has."""
        names = {p: n for p, n in [*BEFORE.values(), *AFTER.values(), *VERIFIED.values()]}
        return path not in names or self.registered(names[path])

    # -- before-hooks: synchronous, fail closed --
    def before(self, kind: str, user: dict, updated_keys=None) -> dict:
        path, name = BEFORE[kind]
        if not self.registered(name):
            return user
        if kind == AUTH_DATA:
            body = {"authData": user}
        else:
            obj = public_user(user)
            if updated_keys is not None:
                obj["_updatedKeys"] = list(updated_keys)
            body = {"object": obj}
        answer = self.call(path, body)
        data = answer.json()
        coded = isinstance(data, dict) and "code" in data
        if answer.status in NOT_REGISTERED and not coded and _metadata(self) is None:
            return user  # the engine did not list its hooks, and has none of this name
        if answer.ok and isinstance(data, dict):
            return _result(kind, user, data)
        if answer.status is not None and coded:
            log.event(event="hook_refused", hook=path, status=answer.status, code=data.get("code"))
            raise HookRefused(int(data["code"]) if isinstance(data["code"], int) else FAILED_CODE,
                              str(data.get("error") or "Refused by a LeanEngine hook."), answer.status)
        # no answer, or not one the SDKs give: fail closed
        log.event(logging.WARNING, event="hook_failed", hook=path, status=answer.status, error=answer.error,
                  latency_ms=answer.latency_ms)
        if answer.error and answer.error.startswith("timeout"):
            raise HookRefused(TIMEOUT_CODE, f"The LeanEngine hook {path} did not answer within "
                                            f"{self.timeout:g} s.", 503, failed=True)
        raise HookRefused(FAILED_CODE, f"The LeanEngine hook {path} failed ({answer.error or 'a bad answer'}).",
                          503, failed=True)

    # -- after-hooks: what to queue --
    def after_call(self, kind: str, payload: dict):
        """(path, body) of the hook an after-event calls, or None."""
        if kind == USER_VERIFIED:
            path, name = VERIFIED.get(payload.get("channel"), (None, None))
        else:
            path, name = AFTER.get(kind, (None, None))
        known = _cache.get(self.url)  # only what is already known: never a call on the request path
        if not path or (known is not None and known[1] is not None and name not in known[1]):
            return None
        obj = public_user(payload.get("user") or {})
        if payload.get("updatedKeys") is not None:
            obj["_updatedKeys"] = list(payload["updatedKeys"])
        return path, {"object": obj}


def _result(kind: str, user: dict, data: dict) -> dict:
    """What a before-hook's 2xx answer means for the user."""
    if kind in (CREATE, UPDATE):
        # the answer is the object to store (the SDK's obj.dump()); fields starting with "_"
        # (``_updatedKeys``) are the hook protocol's, not the user's
        return {k: v for k, v in data.items() if not k.startswith("_")}
    if kind == AUTH_DATA:
        result = data.get("result")
        return result if isinstance(result, dict) else user
    return user


_cache: dict = {}
_cache_lock = threading.Lock()


def _metadata(engine: LeanEngine):
    """The names of the engine's registered functions and hooks (cached a minute per engine
    URL), or None when it does not say."""
    hit = _cache.get(engine.url)
    if hit is not None and hit[0] > time.monotonic():
        return hit[1]
    answer = engine.call("_ops/metadatas", {}, timeout=min(engine.timeout, 2.0))
    data = answer.json()
    names = set(data["result"]) if answer.ok and isinstance(data, dict) and isinstance(data.get("result"), list) else None
    with _cache_lock:
        _cache[engine.url] = (time.monotonic() + (METADATA_SECONDS if names is not None else 5), names)
    return names


def forget_metadata() -> None:
    _cache.clear()
