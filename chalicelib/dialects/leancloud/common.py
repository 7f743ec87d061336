"""LeanCloud wire plumbing: client authentication, errors, and the route decorator."""
from __future__ import annotations

import hashlib
import hmac
import logging

from chalice import CORSConfig, Response

from ... import log, runtime
from ...core import errors as E
from ...core.captcha import CaptchaInvalid, CaptchaRequired
from ...core.authdata import AuthDataInvalid, AuthDataUnavailable
from ...core.events import HookRefused
from ...core.guard import FraudBlocked
from ...core.numbers import is_ascii_digits, parse_int
from ..http import LONE_SURROGATE, BadBody, logged

# how far an X-LC-Sign timestamp may be from our clock (phones drift)
SIGN_MAX_SKEW_MS = 15 * 60 * 1000

CORS = CORSConfig(
    allow_origin="*",
    allow_headers=["X-LC-Id", "X-LC-Key", "X-LC-Sign", "X-LC-Session", "X-LC-Prod", "X-LC-UA",
                   "X-LC-Hook-Key", "Content-Type", "Accept", "X-Requested-With"],
    max_age=86400,
)
ROUTE = {"cors": CORS, "content_types": ["*/*"]}


class LCError(Exception):
    def __init__(self, status: int, code: int, message: str, headers: dict | None = None):
        super().__init__(message)
        self.status, self.code, self.message, self.headers = status, code, message, headers or {}


UNAUTHORIZED = (401, 401, "Unauthorized.")
# a send refused by the SMS-pumping guard (README "Fraud guard")
FRAUD_BLOCKED = 609

# domain error kind -> (HTTP status, LeanCloud code)
_KINDS = {
    E.InvalidRequest: (400, 1),
    E.InvalidPhoneNumber: (400, 127),
    E.RateLimited: (429, 601),
    E.InvalidCode: (400, 603),
    E.FeatureDisabled: (403, 1),
    E.SendFailed: (502, 1),
    E.Conflict: (503, 1),
    CaptchaRequired: (403, 1),
    CaptchaInvalid: (400, 1),
    E.UserNotFound: (400, 211),
    E.PhoneNotFound: (400, 213),
    E.BadCredentials: (400, 210),
    E.PhoneNotVerified: (400, 215),
    E.LockedOut: (429, 219),
    E.SessionRequired: (403, 206),
    E.InvalidSession: (401, 211),
    E.InvalidEmail: (400, 125),
    E.NotVerified: (403, 1),
    AuthDataInvalid: (400, 251),       # LeanCloud's "invalid linked session" (a bad platform token)
    AuthDataUnavailable: (503, 1),
}

# fields of MissingField / Taken -> LeanCloud code
_MISSING = {"username": 200, "password": 201, "phone": 212, "email": 204}
_TAKEN = {"username": 202, "email": 203, "phone": 214, "authData": 208}  # 208: account already linked
_LIMIT_MESSAGES = {"code_only_ip_hourly": "Too many verification attempts from this address",
                   "code_only_app_hourly": "Too many verification attempts; try again later",
                   "login_failures": "Too many failed logins",
                   "captcha_ip_hourly": "Too many CAPTCHAs requested from this address",
                   "anonymous_ip_hourly": "Too many anonymous sign-ups from this address"}


def error_response(exc: Exception) -> Response:
    if isinstance(exc, LCError):
        return _resp(exc.status, exc.code, exc.message, exc.headers)
    if isinstance(exc, BadBody):
        if str(exc) == LONE_SURROGATE:
            return _resp(400, 107, f"Malformed json object: {exc}.")
        return _resp(400, 107, f"Malformed json object. A json dictionary is expected ({exc}).")
    if isinstance(exc, HookRefused):  # a LeanEngine hook's own code and message, as LeanCloud relayed them
        return _resp(exc.status if 400 <= exc.status < 600 else 400, exc.code, exc.message)
    if isinstance(exc, E.MissingField):
        return _resp(400, _MISSING.get(exc.field, 1), exc.message)
    if isinstance(exc, E.Taken):
        return _resp(400, _TAKEN.get(exc.field, 1), exc.message)
    if isinstance(exc, FraudBlocked):  # before RateLimited, whose subclass it is
        return _resp(429, FRAUD_BLOCKED, f"{exc.message}; retry in {exc.retry_after} s.",
                     {"Retry-After": str(exc.retry_after)})
    for cls, (status, code) in _KINDS.items():
        if isinstance(exc, cls):
            headers = {}
            if isinstance(exc, E.RateLimited):
                headers["Retry-After"] = str(exc.retry_after)
                what = _LIMIT_MESSAGES.get(exc.limit, "SMS sent too frequently")
                return _resp(status, code, f"{what} ({exc.limit}); retry in {exc.retry_after} s.", headers)
            if isinstance(exc, E.LockedOut):
                headers["Retry-After"] = str(exc.retry_after)
            if isinstance(exc, (E.Conflict, E.SendFailed)) and retry_after(exc):
                headers["Retry-After"] = str(retry_after(exc))  # "try again" (busy, throttled, timed out)
            return _resp(status, code, exc.message, headers)
    log.event(logging.ERROR, error="unhandled", type=type(exc).__name__)
    logging.getLogger("verikit").exception("unhandled error")
    return _resp(500, 1, "Internal server error.")


def retry_after(exc) -> int:
    """Seconds to wait before trying again, for errors that say "try again" (else 0)."""
    if isinstance(exc, E.Conflict):
        return int(exc.details.get("retry_after") or 1)
    return int(exc.details.get("retry_after") or 0)


def _resp(status: int, code: int, message: str, headers: dict | None = None) -> Response:
    return Response(body={"code": code, "error": message}, status_code=status,
                    headers={"Content-Type": "application/json; charset=utf-8", **(headers or {})})


def ok(body: dict | None = None, status: int = 200) -> Response:
    return Response(body=body if body is not None else {}, status_code=status,
                    headers={"Content-Type": "application/json; charset=utf-8"})


def authenticate(headers, now_ms: int | None = None) -> str:
    """Check X-LC-Id with X-LC-Key or X-LC-Sign. Returns "master" or "app"; raises 401."""
    s = runtime.secrets()
    app_id = headers.get("x-lc-id") or headers.get("x-avoscloud-application-id")
    if not app_id or not hmac.compare_digest(app_id.encode(), s.app_id.encode()):
        raise LCError(*UNAUTHORIZED)
    sign = headers.get("x-lc-sign")
    if sign:
        parts = [p.strip() for p in sign.split(",")]
        if len(parts) not in (2, 3) or (len(parts) == 3 and parts[2] != "master"):
            raise LCError(*UNAUTHORIZED)
        digest, ts = parts[0], parts[1]
        if not is_ascii_digits(ts):
            raise LCError(*UNAUTHORIZED)
        if now_ms is None:
            from ... import wiring
            now_ms = int(wiring.clock().now() * 1000)
        if abs(now_ms - int(ts)) > SIGN_MAX_SKEW_MS:
            raise LCError(401, 401, "Unauthorized. Request timestamp is too old or in the future.")
        role, key = ("master", s.master_key) if len(parts) == 3 else ("app", s.app_key)
        expected = hashlib.md5((ts + key).encode("utf-8")).hexdigest()
        if not hmac.compare_digest(digest.lower().encode(), expected.encode()):
            raise LCError(*UNAUTHORIZED)
        return role
    key = headers.get("x-lc-key") or headers.get("x-avoscloud-application-key")
    if not key:
        raise LCError(*UNAUTHORIZED)
    if key.endswith(",master"):
        if hmac.compare_digest(key[: -len(",master")].encode(), s.master_key.encode()):
            return "master"
        raise LCError(*UNAUTHORIZED)
    if hmac.compare_digest(key.encode(), s.app_key.encode()):
        return "app"
    raise LCError(*UNAUTHORIZED)


NOT_FOR_CLIENTS = (403, 119, "The operation isn't allowed for clients (it needs the master key).")


def lc_view(bp, name: str, master: bool = False):
    """Route decorator body: authenticate (the master key if ``master``), run, translate
    errors, log."""

    def deco(view):
        def authed(*args, **kwargs):
            request = bp.current_request
            role = authenticate(request.headers)
            if master and role != "master":
                raise LCError(*NOT_FOR_CLIENTS)
            return view(request, role, *args, **kwargs)

        authed.__name__ = view.__name__
        authed.verikit_auth = "master" if master else "app"  # read by the OpenAPI document
        return logged(name, lambda: bp.current_request, error_response)(authed)

    return deco


def required_phone(body: dict) -> object:
    value = body.get("mobilePhoneNumber")
    if value is None or value == "":
        raise LCError(400, 212, "A mobile phone number is required (mobilePhoneNumber).")
    return value


def optional_int(body: dict, key: str):
    value = body.get(key)
    if value is None or value == "":
        return None
    return parse_int(value, key, 0, 10**12)  # the caller checks its own range


def optional_str(body: dict, key: str, maxlen: int = 200):
    value = body.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise E.InvalidRequest(f"{key} must be a string")
    if len(value) > maxlen:
        raise E.InvalidRequest(f"{key} must be at most {maxlen} characters")
    return value
