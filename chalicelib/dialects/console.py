"""The operator console: static files from ``chalicelib/console/`` at ``/console``.

``GET /console`` is the page; ``GET /console/<file>`` its scripts (ES modules), styles and
icon. The files ship in the package (chalice bundles ``chalicelib/``): no CDN, nothing
fetched at run time. Every answer carries a strict Content-Security-Policy (scripts and
styles from this origin only, no inline script, no framing), ``X-Frame-Options: DENY``
and an ETag; the page talks to ``/admin/v1`` with the master key the operator typed,
which stays in the browser's ``sessionStorage``.

``no_store_admin`` (HTTP middleware) marks every ``/admin/`` answer ``Cache-Control:
no-store``: API answers are never cached by the browser or a proxy.
"""
from __future__ import annotations

import hashlib
import os
import re

from chalice import Blueprint, Response

bp = Blueprint(__name__)

ROOT = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "console")
# patterns compiled on first use (re's cache), not at every cold start
NAME = r"^[a-z0-9][a-z0-9_-]{0,63}\.(html|js|css|svg)$"
TYPES = {"html": "text/html; charset=utf-8", "js": "text/javascript; charset=utf-8",
         "css": "text/css; charset=utf-8", "svg": "image/svg+xml"}
CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "connect-src 'self'; font-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
SECURITY = {"Content-Security-Policy": CSP, "X-Frame-Options": "DENY", "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "no-referrer", "Cross-Origin-Opener-Policy": "same-origin",
            "Permissions-Policy": "camera=(), microphone=(), geolocation=()"}
_files: dict = {}  # name -> (bytes, etag): a cache of files that never change in a process


def _load(name: str):
    if name not in _files:
        if not re.match(NAME, name) or name not in os.listdir(ROOT):
            return None
        with open(os.path.join(ROOT, name), "rb") as fh:
            data = fh.read()
        _files[name] = (data, '"' + hashlib.sha256(data).hexdigest()[:32] + '"')
    return _files[name]


def _serve(name: str) -> Response:
    found = _load(name)
    if found is None:
        return Response(body=b"Not found", status_code=404,
                        headers={**SECURITY, "Content-Type": "text/plain; charset=utf-8"})
    data, etag = found
    # revalidate every time (an ETag makes that a 304): a deploy shows at once
    headers = {**SECURITY, "Content-Type": TYPES[name.rsplit(".", 1)[1]], "ETag": etag, "Cache-Control": "no-cache"}
    if (bp.current_request.headers or {}).get("if-none-match") == etag:
        return Response(body=b"", status_code=304, headers=headers)
    return Response(body=data, status_code=200, headers=headers)


@bp.route("/console", methods=["GET"])
def index():
    return _serve("index.html")


@bp.route("/console/{name}", methods=["GET"])
def asset(name):
    return _serve(name)


def no_store_admin(event, get_response):
    """HTTP middleware: admin answers are never cached."""
    response = get_response(event)
    if (event.path or "").startswith("/admin/"):
        response.headers["Cache-Control"] = "no-store"
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
    return response
