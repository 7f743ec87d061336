"""LeanCloud CAPTCHA: ``GET /1.1/requestCaptcha``, the image, ``POST /1.1/verifyCaptcha``."""
from __future__ import annotations

from chalice import Blueprint, Response

from ... import wiring
from ...core.captcha import image_params, render_png, size_of
from ...core.errors import InvalidRequest
from ..http import client_ip, json_object, logged, public_url
from .common import ROUTE, error_response, lc_view, ok

bp = Blueprint(__name__)


@bp.route("/1.1/requestCaptcha", methods=["GET"], **ROUTE)
@lc_view(bp, "requestCaptcha")
def request_captcha(request, role):
    q = request.query_params or {}
    width, height = image_params(q.get("width"), q.get("height"))
    s = wiring.config().get(wiring.app_id()).settings
    issued = wiring.captcha().issue(wiring.app_id(), size=q.get("size"), ttl=q.get("ttl"),
                                    client_ip=client_ip(request), per_ip_hourly=s.captcha_per_ip_hourly)
    # built like the links in messages (VERIKIT_PUBLIC_URL or API Gateway's own domain),
    # never from Host / X-Forwarded-Proto, which a caller sets
    url = f"{public_url(request)}/1.1/captchaImage/{issued.token}?width={width}&height={height}"
    return ok({"captcha_token": issued.token, "captcha_url": url})


@bp.route("/1.1/captchaImage/{token}", methods=["GET"], cors=ROUTE["cors"])
@logged("captchaImage", lambda: bp.current_request, error_response)
def captcha_image(token):
    # no credentials: an <img> tag cannot send headers; the token is the capability
    if size_of(token) is None:
        raise InvalidRequest("unknown captcha token")
    q = bp.current_request.query_params or {}
    width, height = image_params(q.get("width"), q.get("height"))
    png = render_png(wiring.captcha().answer(wiring.app_id(), token), width, height)
    return Response(body=png, status_code=200,
                    headers={"Content-Type": "image/png", "Cache-Control": "no-store"})


@bp.route("/1.1/verifyCaptcha", methods=["POST"], **ROUTE)
@lc_view(bp, "verifyCaptcha")
def verify_captcha(request, role):
    body = json_object(request)
    settings = wiring.config().get(wiring.app_id()).settings
    token = wiring.captcha().verify(wiring.app_id(), body.get("captcha_token"), body.get("captcha_code"),
                                    settings.validate_token_ttl_seconds)
    return ok({"validate_token": token})
