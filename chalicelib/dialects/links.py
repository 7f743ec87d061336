"""Verification links (Skygear style): ``GET /verify/<complex code>`` verifies the phone or
email the code was sent to, then shows a page or redirects.

The page is the config template ``verify_success_page`` / ``verify_error_page`` (channel
``page``; variables ``{{result}}``, ``{{field}}``, ``{{error}}``, all HTML-escaped), or a
built-in one; with ``verify_success_url`` / ``verify_error_url`` set, the browser is
redirected there with ``?result=success|error&field=...&error=...`` instead. No credentials:
the link is opened from a message; the code itself is the (single-use, expiring,
~186-bit) secret, so it is never logged and the page sends no referrer.
"""
from __future__ import annotations

import html
from urllib.parse import urlencode

from chalice import Blueprint, Response

from .. import wiring
from ..core.errors import VerikitError
from ..core.templates import Template
from .http import client_ip, logged

bp = Blueprint(__name__)

DEFAULT_PAGES = {
    "success": "<!doctype html><html><head><meta charset=\"utf-8\"><title>Verified</title></head>"
               "<body><h1>Thank you</h1><p>Your {{field}} is verified.</p></body></html>",
    "error": "<!doctype html><html><head><meta charset=\"utf-8\"><title>Verification failed</title></head>"
             "<body><h1>This link does not work</h1><p>It may have expired or been used already. "
             "Request a new one from the app.</p></body></html>",
}
HEADERS = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer", "X-Content-Type-Options": "nosniff",
           "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; img-src https: data:"}
FIELD_NAMES = {"phone": "phone number", "email": "email address"}


def _land(result: str, field: str = "", error: str = "") -> Response:
    s = wiring.config().get(wiring.app_id()).settings
    url = s.verify_success_url if result == "success" else s.verify_error_url
    if url:
        query = urlencode({k: v for k, v in (("result", result), ("field", field), ("error", error)) if v})
        return Response(body=b"", status_code=302,
                        headers={**HEADERS, "Location": url + ("&" if "?" in url else "?") + query})
    template = wiring.config().get(wiring.app_id()).template(f"verify_{result}_page")
    if template is None or template.channel != "page":
        template = Template(f"verify_{result}_page", "page", DEFAULT_PAGES[result])
    page = template.render_page({"result": result, "field": FIELD_NAMES.get(field, field), "error": error})
    return Response(body=page.encode("utf-8"), status_code=200 if result == "success" else 400,
                    headers={**HEADERS, "Content-Type": "text/html; charset=utf-8"})


def _error_page(exc: Exception) -> Response:
    try:
        return _land("error", error=getattr(exc, "kind", "error") if isinstance(exc, VerikitError) else "error")
    except Exception:  # noqa: BLE001 - the error page itself must never fail
        return Response(body=html.escape("Verification failed.").encode(), status_code=400,
                        headers={**HEADERS, "Content-Type": "text/plain; charset=utf-8"})


@bp.route("/verify/{code}", methods=["GET"])
@logged("verifyLink", lambda: bp.current_request, _error_page)
def verify_link(code):
    field, _ = wiring.accounts().verify_with_code(wiring.app_id(), code, client_ip(bp.current_request))
    return _land("success", field=field)
