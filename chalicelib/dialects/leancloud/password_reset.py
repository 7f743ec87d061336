"""LeanCloud's ``POST /1.1/requestPasswordReset {"email"}``: an email with a link to verikit's
reset page (``dialects/reset_page.py``). Answers as LeanCloud: ``{}``; ``204`` without an
email, ``125`` for an invalid one, ``205`` for an address no user has (with enumeration
protection off; on, ``{}`` after the same work)."""
from __future__ import annotations

from chalice import Blueprint

from ... import wiring
from ..http import client_ip, json_object, public_url
from .common import LCError, ROUTE, lc_view, ok, optional_str

bp = Blueprint(__name__)


@bp.route("/1.1/requestPasswordReset", methods=["POST"], **ROUTE)
@lc_view(bp, "requestPasswordReset")
def request_password_reset(request, role):
    from ...core.accounts.resetmail import EmailNotFound

    body = json_object(request)
    try:
        wiring.accounts().request_password_reset_email(
            wiring.app_id(), body.get("email"), client_ip(request), optional_str(body, "validate_token", 100),
            link_base=public_url(request) + "/resetPassword")
    except EmailNotFound:
        raise LCError(400, 205, "Could not find user with this email.") from None
    return ok()
