"""``POST /1.1/requestSmsCode`` and ``POST /1.1/verifySmsCode/<code>``."""
from __future__ import annotations

from chalice import Blueprint

from ... import wiring
from ...core import errors as E
from ...core.service import SendRequest
from ..http import client_ip, json_object
from .common import ROUTE, lc_view, ok, optional_int, optional_str, required_phone

bp = Blueprint(__name__)

# request fields with a meaning of their own; anything else is a template variable
RESERVED = {"mobilePhoneNumber", "smsType", "ttl", "name", "op", "template", "sign",
            "validate_token", "idd"}


@bp.route("/1.1/requestSmsCode", methods=["POST"], **ROUTE)
@lc_view(bp, "requestSmsCode")
def request_sms_code(request, role):
    body = json_object(request)
    phone = required_phone(body)
    sms_type = body.get("smsType") or "sms"
    if sms_type not in ("sms", "voice"):
        raise E.InvalidRequest("smsType must be 'sms' or 'voice'")
    variables = {k: v for k, v in body.items() if k not in RESERVED}
    if len(variables) > 20 or any(not isinstance(v, (str, int, float)) or isinstance(v, bool)
                                  for v in variables.values()):
        raise E.InvalidRequest("template variables must be at most 20 strings or numbers")
    wiring.service().send(SendRequest(
        app_id=wiring.app_id(), phone=phone, channel=sms_type,
        ttl_minutes=optional_int(body, "ttl"), name=optional_str(body, "name", 40),
        op=optional_str(body, "op", 60), client_ip=client_ip(request),
        template=optional_str(body, "template", 100) or None, variables=variables,
        sign=optional_str(body, "sign", 40), validate_token=optional_str(body, "validate_token", 100)))
    return ok()


@bp.route("/1.1/verifySmsCode/{code}", methods=["POST"], **ROUTE)
@lc_view(bp, "verifySmsCode")
def verify_sms_code(request, role, code):
    body = json_object(request)
    phone = required_phone(body)
    wiring.service().verify(wiring.app_id(), phone, code, retry_ok=True)  # a lost answer may be retried
    return ok()
