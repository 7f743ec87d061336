"""What every dialect needs from a request: a JSON body, the client IP, a request log."""
from __future__ import annotations

import json
import logging
import re
import time
from functools import wraps

from chalice.app import CaseInsensitiveMapping

from .. import deadline, log
from ..core.errors import Unavailable
from ..core.guard import CLIENT_IP
from ..core.delivery import SENT

# Every body passes through API Gateway as base64 both ways (binaryMediaTypes "*/*"),
# which chalice decodes and encodes for us. That is what lets the CAPTCHA PNG load from
# plain curl and <img> tags, whatever Accept header they send.
BINARY_TYPES = ["*/*"]


def accept_anything(event, get_response):
    """HTTP middleware: chalice refuses (400) a binary response to a request without an
    Accept header; with every type binary, treat a missing Accept as ``*/*``."""
    if not event.headers.get("accept"):
        event.headers = CaseInsensitiveMapping({**dict(event.headers), "accept": "*/*"})
    return get_response(event)


def method_not_allowed(event, get_response):
    """HTTP middleware: chalice answers a known path with an unknown method by its own
    ``{"Code": "MethodNotAllowedError"}``, which LeanCloud SDKs do not read as an error."""
    response = get_response(event)
    if response.status_code == 405 and isinstance(response.body, dict) and "Code" in response.body:
        from chalice import Response

        from . import not_found
        status, body = not_found(event.method, event.path, status=405)
        return Response(body=body, status_code=status, headers={"Content-Type": "application/json; charset=utf-8"})
    return response


def readable_json(event, get_response):
    """HTTP middleware: JSON bodies as readable UTF-8 (``【MyApp】``, not ``\\u3010MyApp\\u3011``);
    chalice's own serialisation escapes every non-ASCII character."""
    response = get_response(event)
    if isinstance(getattr(response, "body", None), (dict, list)):
        response.body = json.dumps(response.body, ensure_ascii=False, separators=(",", ":"),
                                   default=str).encode("utf-8")
        if not any(k.lower() == "content-type" for k in response.headers):
            response.headers["Content-Type"] = "application/json"
    return response


def iso(ms: int) -> str:
    """Epoch milliseconds as LeanCloud writes dates: ISO 8601 UTC with milliseconds."""
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ms // 1000)) + f".{ms % 1000:03d}Z"


class BadBody(Exception):
    pass


def _no_constants(name: str):
    raise ValueError(f"{name} is not JSON")  # NaN, Infinity: Python accepts them, JSON does not


# a \uD800-\uDFFF escape: the only way a lone UTF-16 surrogate gets into decoded JSON (UTF-8
# text cannot hold one); a pair (an emoji) is joined by the decoder into one character
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")
LONE_SURROGATE = "a string holds a lone UTF-16 surrogate (\\ud800-\\udfff), which is not text"


def has_lone_surrogate(value) -> bool:
    """Whether any string (key or value) of a decoded JSON value holds a lone surrogate
    (iterative: a deeply nested value must not overflow the stack)."""
    stack = [value]
    while stack:
        v = stack.pop()
        if isinstance(v, str):
            if any("\ud800" <= ch <= "\udfff" for ch in v):
                return True
        elif isinstance(v, dict):
            stack.extend(v.keys())
            stack.extend(v.values())
        elif isinstance(v, list):
            stack.extend(v)
    return False


def loads(raw: str):
    """JSON text as read from a client: no NaN or Infinity, no lone UTF-16 surrogates (every
    string reaches keyed hashes, DynamoDB and answers as UTF-8: refused once, here, rather than
    failing as a 500 wherever one is encoded). Raises BadBody."""
    try:
        value = json.loads(raw, parse_constant=_no_constants)
    except (ValueError, RecursionError):
        raise BadBody("malformed JSON") from None
    if _SURROGATE_ESCAPE.search(raw) and has_lone_surrogate(value):
        raise BadBody(LONE_SURROGATE)
    return value


def json_object(request) -> dict:
    """The body as a JSON object, whatever the content type says (SDKs vary). Empty = {}."""
    raw = request.raw_body or b""
    if isinstance(raw, bytes):
        try:
            raw = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise BadBody("the body is not UTF-8") from None
    if not raw.strip():
        return {}
    body = loads(raw)
    if body is None:  # the JS SDK sends `null` for calls without data (verifyMobilePhone)
        return {}
    if not isinstance(body, dict):
        raise BadBody("a JSON object is expected")
    return body


def client_ip(request) -> str | None:
    return ((request.context or {}).get("identity") or {}).get("sourceIp")


def request_id(request) -> str:
    return (request.context or {}).get("requestId", "")


def try_again(exc: Exception) -> Exception:
    """AWS throttling, transaction conflicts, timeouts and the request's time budget become
    the domain's ``Unavailable`` (each dialect's "try again" with ``Retry-After``)."""
    from ..core.errors import VerikitError

    if isinstance(exc, VerikitError):
        return exc
    from ..aws import transient

    if transient(exc):
        log.event(logging.WARNING, error="transient", type=type(exc).__name__)
        return Unavailable("the service is busy; try again shortly", retry_after=1)
    return exc


def logged(route_name: str, get_request, translate):
    """Decorator: run the view, translate any exception with ``translate(exc) -> Response``
    and log one JSON line with the outcome and latency."""

    def deco(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            start = time.perf_counter()
            outcome = "ok"
            deadline.start()
            CLIENT_IP.set(client_ip(get_request()))  # a verification counts for the IP it comes from
            SENT.set(None)
            try:
                response = view(*args, **kwargs)
            except Exception as exc:  # every failure becomes a dialect error, never a trace
                exc = try_again(exc)
                response = translate(exc)
                outcome = getattr(exc, "kind", None) or type(exc).__name__
            finally:
                deadline.clear()
            req = get_request()
            log.event(route=route_name, method=req.method, status=response.status_code,
                      outcome=outcome, latency_ms=round((time.perf_counter() - start) * 1000, 1),
                      request_id=request_id(req), **(SENT.get() or {}))
            return response

        return wrapper

    return deco


def public_url(request) -> str:
    """The base URL clients reach this API at, for links in messages: ``VERIKIT_PUBLIC_URL``
    if set; deployed, API Gateway's own domain name and stage (never the Host header, which
    a caller could set to phish with a genuine message); locally, the local server."""
    import os
    import re

    configured = os.environ.get("VERIKIT_PUBLIC_URL", "").rstrip("/")
    if configured.startswith(("https://", "http://")):
        return configured
    from .. import runtime

    context = request.context or {}
    if runtime.local_mode():
        host = request.headers.get("host", "")
        if not re.fullmatch(r"(localhost|127\.0\.0\.1|\[::1\])(:\d{1,5})?", host):
            host = "127.0.0.1"
        return f"http://{host}"
    domain = context.get("domainName", "")
    if not re.fullmatch(r"[A-Za-z0-9.\-]{1,253}", domain or ""):
        raise RuntimeError("set VERIKIT_PUBLIC_URL: the request carries no usable domain name")
    stage = context.get("stage", "")
    prefix = f"/{stage}" if stage and domain.endswith(".amazonaws.com") else ""
    return f"https://{domain}{prefix}"
