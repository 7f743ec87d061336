"""Local-mode helpers. ``app.py`` registers this blueprint only when VERIKIT_LOCAL=1,
so these routes do not exist in a deployed stage."""
from __future__ import annotations

from chalice import Blueprint, Response

from .. import runtime, wiring
from .http import logged

bp = Blueprint(__name__)


def _error(exc: Exception) -> Response:
    from .leancloud.common import error_response
    return error_response(exc)


def dev_view(name: str):
    """Errors in LeanCloud's format (never a 500 page), one log line per request."""
    def deco(view):
        def run(*args, **kwargs):
            out = view(*args, **kwargs)
            return out if isinstance(out, Response) else Response(body=out, status_code=200)

        run.__name__ = view.__name__
        return logged(f"dev.{name}", lambda: bp.current_request, _error)(run)

    return deco


def _to(raw: str | None) -> str | None:
    """A number (E.164, national in the default region, or with its "+" lost) or an email."""
    if not raw or not raw.strip():
        return None
    if "@" in raw:
        return raw.strip()
    from ..core.errors import InvalidPhoneNumber
    from ..core.phone import lenient

    try:
        return lenient(raw, wiring.config().get(wiring.app_id()).settings.default_region)
    except InvalidPhoneNumber:
        return raw.strip()  # matches nothing: an empty list


@bp.route("/dev/outbox", methods=["GET"], cors=True)
@dev_view("outbox")
def outbox():
    if not runtime.local_mode():
        return Response({"code": 404, "error": "Not found"}, status_code=404)
    q = bp.current_request.query_params or {}
    return wiring.outbox().list(_to(q.get("to")))


@bp.route("/dev/outbox", methods=["DELETE"], cors=True)
@dev_view("clearOutbox")
def clear_outbox():
    if not runtime.local_mode():
        return Response({"code": 404, "error": "Not found"}, status_code=404)
    wiring.outbox().clear()
    return {}


@bp.route("/dev/captchas/{token}", methods=["GET"], cors=True)
@dev_view("captchaAnswer")
def captcha_answer(token):
    """The answer a CAPTCHA image shows, so that scripts can pass it (local mode only)."""
    if not runtime.local_mode():
        return Response({"code": 404, "error": "Not found"}, status_code=404)
    return {"answer": wiring.captcha().answer(wiring.app_id(), token)}


@bp.route("/dev/webhooks", methods=["GET"], cors=True)
@dev_view("webhooks")
def webhook_deliveries():
    """What was delivered (or tried) to each webhook endpoint and to LeanEngine (local mode only)."""
    if not runtime.local_mode():
        return Response({"code": 404, "error": "Not found"}, status_code=404)
    endpoints = wiring.webhooks().list(wiring.app_id())
    out = [{**e.to_public(), "deliveries": wiring.deliveries().list(e.id)} for e in endpoints]
    out.append({"id": "leanengine", "url": wiring.config().get(wiring.app_id()).settings.leanengine_url,
                "deliveries": wiring.deliveries().list("leanengine")})
    return {"results": out}
