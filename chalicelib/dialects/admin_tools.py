"""Admin routes the console needs besides the plain CRUD of ``admin.py``, master key only:

- ``GET /admin/v1/settings/schema``: every setting's type, default and bounds;
- ``POST /admin/v1/settings/validate``: ``{"errors": {setting: message}}`` for a partial
  update, by the rules of ``PATCH /admin/v1/settings``, field by field; nothing is stored;
- ``POST /admin/v1/template-preview``: ``{"template": {...}, "values": {...}, "sign",
  "locale"}`` -> the message exactly as a send renders it (a sample code in place of the
  code); the template is validated as ``PUT /admin/v1/templates/<name>`` does.
"""
from __future__ import annotations

from chalice import Blueprint

from .. import wiring
from ..core.errors import InvalidRequest
from .http import json_object
from .leancloud.common import ROUTE, lc_view, ok

bp = Blueprint(__name__)


@bp.route("/admin/v1/settings/schema", methods=["GET"], **ROUTE)
@lc_view(bp, "admin.settingsSchema", master=True)
def settings_schema(request, role):
    from ..core.settings_schema import schema

    return ok({"fields": schema()})


@bp.route("/admin/v1/settings/validate", methods=["POST"], **ROUTE)
@lc_view(bp, "admin.validateSettings", master=True)
def validate_settings(request, role):
    from ..core.settings_schema import field_errors

    current = wiring.config().refresh(wiring.app_id()).settings
    return ok({"errors": field_errors(json_object(request), current)})


def _str(body: dict, key: str, maxlen: int = 100):
    value = body.get(key)
    if value is None:
        return None
    if not isinstance(value, str) or len(value) > maxlen:
        raise InvalidRequest(f"{key} must be a string of at most {maxlen} characters")
    return value


@bp.route("/admin/v1/template-preview", methods=["POST"], **ROUTE)
@lc_view(bp, "admin.previewTemplate", master=True)
def preview_template(request, role):
    from ..core import templates
    from ..core.service import SendRequest

    body = json_object(request)
    name = _str(body, "name") or "preview"
    t = templates.validate(name, body.get("template"))
    values = body.get("values") or {}
    if not isinstance(values, dict) or len(values) > 20 or not all(
            isinstance(v, (str, int, float)) and not isinstance(v, bool) for v in values.values()):
        raise InvalidRequest("values must be an object of at most 20 strings or numbers")
    if t.channel == "page":
        return ok({"channel": "page", "body": t.render_page(values)})
    from ..core.purposes import PURPOSES

    # a template named after a purpose (login, verify_email...) renders as that purpose's
    # messages do (its own lifetime); any other name as a requestSmsCode template
    purpose = name if name in PURPOSES else "sms"
    req = SendRequest(app_id=wiring.app_id(), phone="", channel=t.channel, template=name, purpose=purpose,
                      variables={k: v for k, v in values.items() if k not in ("code", "ttl", "link", "name", "op")},
                      name=str(values["name"]) if values.get("name") not in (None, "") else None,
                      op=str(values["op"]) if values.get("op") not in (None, "") else None,
                      sign=_str(body, "sign", 40), locale=_str(body, "locale", 10))
    message = wiring.service().preview(req, t)
    out = {"channel": t.channel, "body": message.body, "issues_code": t.issues_code}
    if t.channel == "email":
        out.update(subject=message.subject, html=message.html)
    return ok(out)
