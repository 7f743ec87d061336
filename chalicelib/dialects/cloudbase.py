"""Tencent CloudBase v2 auth (``/auth/v1``), as the seeds describe it and the official
``@cloudbase/js-sdk`` speaks it (see ``shared/specs/cloudbase.md``). The same engine and users
as the LeanCloud dialect underneath.

Errors are ``{"error", "error_code", "error_description"}`` (+ ``retry_after``): the seed's
pairs where it has them, gRPC-style codes otherwise; a success body never has a ``code``.
"""
from __future__ import annotations

import base64
import logging
import re
import time

from chalice import Blueprint, CORSConfig, Response

from .. import log, wiring
from ..core import errors as E
from ..core.captcha import CaptchaInvalid, CaptchaRequired, image_params, render_png
from ..core.events import HookRefused
from ..core.guard import FraudBlocked
from .http import BadBody, client_ip, json_object, logged
from .leancloud.common import retry_after

bp = Blueprint(__name__)

CORS = CORSConfig(allow_origin="*", max_age=86400, allow_headers=[
    "Authorization", "Content-Type", "x-request-id", "x-device-id", "x-sdk-version", "accept-language",
    "x-client-timestamp", "x-tcb-region", "x-tcb-source", "x-captcha-token"])
ROUTE = {"cors": CORS, "content_types": ["*/*"]}
# patterns compiled on first use (re's cache), not at every cold start
PASSWORD = r"^(?=.*[A-Za-z])(?=.*\d).{8,32}$"
JSON = {"Content-Type": "application/json; charset=utf-8"}


class CBError(Exception):
    def __init__(self, status: int, error: str, code: int, description: str):
        super().__init__(description)
        self.status, self.error, self.code, self.description = status, error, code, description


# domain error -> (HTTP status, error, error_code)
_KINDS = [
    (E.InvalidPhoneNumber, (400, "invalid_phone_number", 4001)),
    (E.UserNotFound, (404, "user_not_found", 4004)),
    (E.PhoneNotFound, (404, "user_not_found", 4004)),
    (CaptchaRequired, (403, "captcha_required", 4028)),
    (CaptchaInvalid, (400, "captcha_invalid", 4027)),
    (FraudBlocked, (429, "resource_exhausted", 8)),   # the fraud guard (README "Fraud guard")
    (E.RateLimited, (429, "rate_limit_exceeded", 4029)),
    (E.LockedOut, (429, "rate_limit_exceeded", 4029)),
    (E.InvalidCode, (400, "invalid_argument", 3)),
    (E.InvalidEmail, (400, "invalid_argument", 3)),
    (E.InvalidRequest, (400, "invalid_argument", 3)),
    (E.MissingField, (400, "invalid_argument", 3)),
    (E.Taken, (409, "already_exists", 6)),
    (E.BadCredentials, (400, "invalid_password", 4003)),
    (E.PhoneNotVerified, (403, "permission_denied", 7)),
    (E.NotVerified, (403, "permission_denied", 7)),
    (E.FeatureDisabled, (403, "permission_denied", 7)),
    (E.SessionRequired, (401, "unauthenticated", 16)),
    (E.InvalidSession, (401, "unauthenticated", 16)),
    (E.SendFailed, (502, "unavailable", 14)),
    (E.Conflict, (503, "unavailable", 14)),
]


def error_response(exc: Exception) -> Response:
    if isinstance(exc, CBError):
        return _err(exc.status, exc.error, exc.code, exc.description)
    if isinstance(exc, BadBody):
        return _err(400, "invalid_argument", 3, f"the body must be a JSON object ({exc})")
    if isinstance(exc, HookRefused):  # the app's LeanEngine hook said no (or could not be asked)
        return _err(503, "unavailable", 14, exc.message) if exc.failed else \
            _err(403, "permission_denied", 7, exc.message, {"hook_code": exc.code})
    for cls, (status, error, code) in _KINDS:
        if isinstance(exc, cls):
            extra = {}
            if isinstance(exc, (E.RateLimited, E.LockedOut)):
                extra["retry_after"] = exc.retry_after
            if isinstance(exc, (E.Conflict, E.SendFailed)) and retry_after(exc):
                extra["retry_after"] = retry_after(exc)  # "try again" (busy, throttled, timed out)
            return _err(status, error, code, exc.message, extra)
    log.event(logging.ERROR, error="unhandled", type=type(exc).__name__)
    logging.getLogger("verikit").exception("unhandled error")
    return _err(500, "internal", 13, "internal server error")


def _err(status: int, error: str, code: int, description: str, extra: dict | None = None) -> Response:
    headers = dict(JSON)
    if extra and "retry_after" in extra:
        headers["Retry-After"] = str(extra["retry_after"])
    return Response(body={"error": error, "error_code": code, "error_description": description, **(extra or {})},
                    status_code=status, headers=headers)


def ok(body: dict, status: int = 200) -> Response:
    return Response(body=body, status_code=status, headers=JSON)


def cb_view(name: str):
    def deco(view):
        def run(*args, **kwargs):
            return view(bp.current_request, *args, **kwargs)

        run.__name__ = view.__name__
        return logged(f"cloudbase.{name}", lambda: bp.current_request, error_response)(run)

    return deco


def captcha_token(request) -> str | None:
    """The SDK retries with ``?captcha_token=``; the HTTP doc names ``x-captcha-token``."""
    return request.headers.get("x-captcha-token") or (request.query_params or {}).get("captcha_token")


def bearer(request) -> str:
    auth = request.headers.get("authorization", "")
    if not auth.lower().startswith("bearer ") or not auth[7:].strip():
        raise E.SessionRequired("a Bearer access token is required")
    return auth[7:].strip()


def cloudbase_phone(e164: str | None) -> str | None:
    """``+8613800000000`` -> ``+86 13800000000``, as CloudBase writes numbers."""
    if not e164:
        return None
    import phonenumbers

    n = phonenumbers.parse(e164)
    return f"+{n.country_code} {phonenumbers.national_significant_number(n)}"


def credentials(user, access: str, refresh: str, expires_in: int) -> dict:
    anonymous = "anonymous" in (user.kept.get("authData") or {})  # the SDK signs in again on a failed refresh
    return {"token_type": "Bearer", "access_token": access, "refresh_token": refresh, "expires_in": expires_in,
            "scope": "anonymous" if anonymous else "user", "sub": user.object_id, "groups": []}


def _password(value) -> str:
    if not isinstance(value, str) or not re.match(PASSWORD, value):
        raise CBError(400, "invalid_password", 4003,
                      "the password must be 8-32 characters with both letters and digits")
    return value


# ---- verification ----------------------------------------------------------------------------

@bp.route("/auth/v1/verification", methods=["POST"], **ROUTE)
@cb_view("verification")
def verification(request):
    body = json_object(request)
    tickets = wiring.tickets()
    target = tickets.target_of(wiring.app_id(), body.get("phone_number"), body.get("email"))
    started = tickets.start(wiring.app_id(), target, (body.get("target") or "ANY"), client_ip(request),
                            captcha_token(request))
    return ok({"verification_id": started.verification_id, "expires_in": started.expires_in,
               "is_user": started.is_user})


@bp.route("/auth/v1/verification/verify", methods=["POST"], **ROUTE)
@cb_view("verification.verify")
def verification_verify(request):
    body = json_object(request)
    token, expires_in = wiring.tickets().confirm(wiring.app_id(), body.get("verification_id"),
                                                 body.get("verification_code"))
    return ok({"verification_token": token, "expires_in": expires_in})


# ---- sign-up, sign-in, tokens ----------------------------------------------------------------

@bp.route("/auth/v1/signup", methods=["POST"], **ROUTE)
@cb_view("signup")
def signup(request):
    body = json_object(request)
    app_id, tickets, accounts = wiring.app_id(), wiring.tickets(), wiring.accounts()
    target = tickets.target_of(app_id, body.get("phone_number"), body.get("email"))
    if body.get("verification_token") in (None, ""):
        raise CBError(400, "invalid_argument", 3, "verification_token is required")
    password = _password(body["password"]) if body.get("password") not in (None, "") else None
    custom = {"name": body["name"]} if isinstance(body.get("name"), str) and body.get("name") else {}
    # the token first (without spending it): nothing about users is said to a caller
    # who has not proven the phone or email
    tickets.check(app_id, body["verification_token"], expected=target)
    if tickets.user_of(app_id, target) is not None:
        raise E.Taken("User already exists", "email" if "@" in target else "phone")
    accounts.check_new_username(app_id, body.get("username"), target)   # before the token is spent
    if body.get("anonymous_token") not in (None, ""):  # an anonymous user signs up: it keeps its id
        anonymous = accounts.anonymous_user(app_id, body["anonymous_token"])
        tickets.redeem(app_id, body["verification_token"], expected=target)
        return ok(credentials(*accounts.upgrade_anonymous(anonymous, target, body.get("username"), password, custom)))
    tickets.redeem(app_id, body["verification_token"], expected=target)
    return ok(credentials(*accounts.signup_verified(app_id, target, body.get("username"), password, custom)))


@bp.route("/auth/v1/signin/anonymously", methods=["POST"], **ROUTE)
@cb_view("signin.anonymously")
def signin_anonymously(request):
    """``auth.signInAnonymously()``: a new anonymous user (``auth_platforms.anonymous`` on)."""
    return ok(credentials(*wiring.accounts().signin_anonymously(wiring.app_id())))


@bp.route("/auth/v1/signin", methods=["POST"], **ROUTE)
@cb_view("signin")
def signin(request):
    body = json_object(request)
    app_id, accounts = wiring.app_id(), wiring.accounts()
    username = body.get("username")
    if not isinstance(username, str) or not username.strip():
        raise CBError(400, "invalid_argument", 3, "username is required")
    username = username.strip()
    if body.get("verification_token") not in (None, ""):
        tickets = wiring.tickets()
        target = tickets.target_of(app_id, None if "@" in username else username,
                                   username if "@" in username else None)
        tickets.check(app_id, body["verification_token"], expected=target)
        user = tickets.user_of(app_id, target)
        if user is None:
            raise E.UserNotFound("User does not exist")
        if "@" not in username and not wiring.config().get(app_id).settings.allow_sms_login:
            raise E.FeatureDisabled("signing in with an SMS code is disabled for this app")
        tickets.redeem(app_id, body["verification_token"], expected=target)
        # the squatting rule: an account that held this number or address unverified (or
        # whose password predates an unattested proof) loses its password and sessions to
        # the prover, who never shares the account with whoever typed it in
        user = accounts.login_by_proof(user, "email" if "@" in username else "phone")
    else:
        if body.get("password") in (None, ""):
            raise CBError(400, "invalid_argument", 3, "password or verification_token is required")
        by = "email" if "@" in username else "phone_or_username" if _looks_like_phone(username) else "username"
        user, _ = accounts.login_password(app_id, by, username, body["password"], open_session=False)
    return ok(credentials(user, *accounts.issue_tokens(user)))


def _looks_like_phone(value: str) -> bool:
    return bool(re.match(r"^\+?[\d\s\-]{6,20}$", value))


@bp.route("/auth/v1/token", methods=["POST"], **ROUTE)
@cb_view("token")
def token(request):
    body = json_object(request)
    if body.get("grant_type", "refresh_token") != "refresh_token":
        raise CBError(400, "unsupported_grant_type", 3, "only grant_type=refresh_token is supported")
    try:
        user, access, refresh, expires_in = wiring.accounts().refresh_tokens(wiring.app_id(), body.get("refresh_token"))
    except E.InvalidSession:
        raise CBError(400, "invalid_grant", 3, "the refresh token is invalid, expired, used or revoked") from None
    return ok(credentials(user, access, refresh, expires_in))


@bp.route("/auth/v1/revoke", methods=["POST"], **ROUTE)
@cb_view("revoke")
def revoke(request):
    body = json_object(request)
    token_ = body.get("token")
    if token_ in (None, ""):
        auth = request.headers.get("authorization", "")
        token_ = auth[7:].strip() if auth.lower().startswith("bearer ") else None
    wiring.accounts().revoke(wiring.app_id(), token_)
    return ok({})


@bp.route("/auth/v1/user/me", methods=["GET"], **ROUTE)
@cb_view("user.me")
def user_me(request):
    accounts = wiring.accounts()
    user, _ = accounts.resolve(wiring.app_id(), bearer(request), dialect="cloudbase")  # no LeanCloud session
    accounts.require_verified(user)
    created = user.created_at
    anonymous = accounts.is_anonymous(user)
    return ok({"sub": user.object_id, "username": user.username,
               "name": "anonymous" if anonymous else user.custom.get("name", ""),  # the SDK's is_anonymous
               "phone_number": cloudbase_phone(user.phone), "email": user.email or "",
               "picture": user.custom.get("picture", ""), "gender": user.custom.get("gender", ""),
               "groups": [], "providers": [], "created_from": "verikit",
               "created_at": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(created // 1000)) + "Z",
               "has_password": bool(user.password_hash),
               "phone_verified": user.phone_verified, "email_verified": user.email_verified,
               "is_verified": accounts.is_verified(user)})


# ---- image captcha ---------------------------------------------------------------------------

@bp.route("/auth/v1/captcha/data", methods=["POST"], **ROUTE)
@cb_view("captcha.data")
def captcha_data(request):
    json_object(request)  # {"state", "redirect_uri"}: accepted, not needed
    s = wiring.config().get(wiring.app_id()).settings
    issued = wiring.captcha().issue(wiring.app_id(), client_ip=client_ip(request), per_ip_hourly=s.captcha_per_ip_hourly)
    width, height = image_params()
    png = render_png(wiring.captcha().answer(wiring.app_id(), issued.token), width, height)
    return ok({"token": issued.token, "data": "data:image/png;base64," + base64.b64encode(png).decode(),
               "type": "image", "expires_in": max(1, issued.expires_at - int(wiring.clock().now()))})


@bp.route("/auth/v1/captcha/data/verify", methods=["POST"], **ROUTE)
@cb_view("captcha.verify")
def captcha_verify(request):
    body = json_object(request)
    s = wiring.config().get(wiring.app_id()).settings
    validate = wiring.captcha().verify(wiring.app_id(), body.get("token"), body.get("key"),
                                       s.validate_token_ttl_seconds)
    return ok({"captcha_token": validate, "expires_in": s.validate_token_ttl_seconds})
