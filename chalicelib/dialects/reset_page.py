"""The password reset page an emailed link opens (``requestPasswordReset``):
``GET /resetPassword/<code>`` shows a small form, ``POST`` (form-encoded ``password``,
``password2``) sets the new password and ends every session.

No script, no outside resources: a strict Content-Security-Policy (``form-action 'self'``),
no referrer (the code is in the URL), never cached, never framed. Opening the page spends
nothing; the code is spent, once, by the POST (``core.accounts.resetmail``). A password the
sign-up rules refuse shows the form again with the reason, the code unspent.
"""
from __future__ import annotations

import html
import re
from urllib.parse import parse_qs

from chalice import Blueprint, Response

from .. import wiring
from ..core.errors import InvalidCode, InvalidRequest, MissingField, VerikitError
from .http import client_ip, logged

bp = Blueprint(__name__)

HEADERS = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer", "X-Content-Type-Options": "nosniff",
           "X-Frame-Options": "DENY",
           "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; "
                                      "frame-ancestors 'none'; base-uri 'none'"}
# patterns compiled on first use (re's cache), not at every cold start
CODE = r"^[A-Za-z0-9]{16,64}$"
STYLE = "body{font-family:system-ui,sans-serif;max-width:26rem;margin:3rem auto;padding:0 1rem}" \
        "input{display:block;width:100%;margin:.3rem 0 1rem;padding:.5rem}.err{color:#b00}"


def _page(title: str, body: str, status: int = 200) -> Response:
    doc = (f"<!doctype html><html><head><meta charset=\"utf-8\"><meta name=\"viewport\" "
           f"content=\"width=device-width\"><title>{html.escape(title)}</title><style>{STYLE}</style></head>"
           f"<body><h1>{html.escape(title)}</h1>{body}</body></html>")
    return Response(body=doc.encode("utf-8"), status_code=status,
                    headers={**HEADERS, "Content-Type": "text/html; charset=utf-8"})


def _form(error: str = "", status: int = 200) -> Response:
    s = wiring.config().get(wiring.app_id()).settings
    err = f"<p class=\"err\">{html.escape(error)}</p>" if error else ""
    return _page("Choose a new password", err + (
        "<form method=\"post\" autocomplete=\"off\">"
        f"<label>New password<input type=\"password\" name=\"password\" minlength=\"{s.password_min_length}\" "
        "maxlength=\"128\" required autocomplete=\"new-password\"></label>"
        "<label>Repeat it<input type=\"password\" name=\"password2\" maxlength=\"128\" required "
        "autocomplete=\"new-password\"></label><button type=\"submit\">Set password</button></form>"), status)


def _dead(exc: Exception = None) -> Response:
    return _page("This link does not work", "<p>It may have expired or been used already. "
                 "Ask the app for a new password reset email.</p>", 400)


@bp.route("/resetPassword/{code}", methods=["GET"])
@logged("resetPasswordPage", lambda: bp.current_request, _dead)
def reset_page(code):
    if not re.match(CODE, code or ""):
        return _dead()
    return _form()


@bp.route("/resetPassword/{code}", methods=["POST"], content_types=["application/x-www-form-urlencoded"])
@logged("resetPasswordSubmit", lambda: bp.current_request, _dead)
def reset_submit(code):
    request = bp.current_request
    if not re.match(CODE, code or ""):
        return _dead()
    raw = request.raw_body or b""
    if len(raw) > 4096:
        return _form("The form is too large.", 400)
    try:
        fields = parse_qs(raw.decode("utf-8"), max_num_fields=5)
    except (UnicodeDecodeError, ValueError):
        return _form("The form could not be read.", 400)
    password = (fields.get("password") or [""])[0]
    if password != (fields.get("password2") or [""])[0]:
        return _form("The two passwords differ.", 400)
    try:
        wiring.accounts().reset_password_by_link(wiring.app_id(), code, password, client_ip(request))
    except (MissingField, InvalidRequest) as e:
        return _form(e.message, 400)
    except InvalidCode:
        return _dead()
    except VerikitError:
        return _dead()
    return _page("Password changed", "<p>Your password is changed and every session is signed out. "
                                     "Log in to the app with the new password.</p>")
