"""Admin API under ``/admin/v1``: settings, templates, the send log, test numbers.

Master key only (``X-LC-Key: <master>,master`` or a master ``X-LC-Sign``); the app key
gets 403 with LeanCloud's 119. Errors use the LeanCloud format.
"""
from __future__ import annotations

from datetime import datetime, timezone
from urllib.parse import unquote

from chalice import Blueprint

from .. import wiring
from ..core import codes, cursors, phone, templates
from ..core.errors import InvalidRequest
from ..core.numbers import is_ascii_digits, parse_int
from ..core.config import TEMPLATE, TEST_NUMBER
from .http import iso, json_object
from .leancloud.common import ROUTE, LCError, lc_view, ok

bp = Blueprint(__name__)


def _app():
    return wiring.app_id()


def _not_found(what: str):
    return LCError(404, 101, f"{what} not found")


# ---- settings ---------------------------------------------------------------------------

@bp.route("/admin/v1/settings", methods=["GET"], **ROUTE)
@lc_view(bp, "admin.getSettings", master=True)
def get_settings(request, role):
    return ok(wiring.config().refresh(_app()).settings.to_dict())


@bp.route("/admin/v1/settings", methods=["PATCH"], **ROUTE)
@lc_view(bp, "admin.patchSettings", master=True)
def patch_settings(request, role):
    body = json_object(request)
    if not body:
        raise InvalidRequest("send a JSON object with the settings to change")
    from ..core.settings_model import validate_patch  # pydantic: the admin path only

    before = wiring.config().get(_app()).settings.per_app_daily
    settings = wiring.config().patch_settings(_app(), validate_patch(body))
    if 0 < settings.per_app_daily < before:  # an emergency cut holds on today's sum (store/counters.py)
        from ..core.limits import app_daily
        from ..store.counters import cut
        now = int(wiring.service().clock.now())
        cut(app_daily(_app(), settings.per_app_daily, now), now)
    return ok(settings.to_dict())


# ---- templates --------------------------------------------------------------------------

def _template_out(item) -> dict:
    from ..store.config import template_of
    return template_of(item.sk[len(TEMPLATE):], item.doc or {}, int(item.version)).to_dict()


@bp.route("/admin/v1/templates", methods=["GET"], **ROUTE)
@lc_view(bp, "admin.listTemplates", master=True)
def list_templates(request, role):
    return ok({"results": [_template_out(i) for i in wiring.config().items(_app(), TEMPLATE)]})


@bp.route("/admin/v1/templates/{name}", methods=["GET"], **ROUTE)
@lc_view(bp, "admin.getTemplate", master=True)
def get_template(request, role, name):
    t = wiring.config().refresh(_app()).template(unquote(name))
    if t is None:
        raise _not_found(f"template {unquote(name)!r}")
    return ok(t.to_dict())


@bp.route("/admin/v1/templates/{name}", methods=["PUT"], **ROUTE)
@lc_view(bp, "admin.putTemplate", master=True)
def put_template(request, role, name):
    name = unquote(name)
    t = templates.validate(name, json_object(request))
    cfg = wiring.config()
    doc = {"channel": t.channel, "body": t.body, "locales": dict(t.locales)}
    if t.channel == "email":
        doc.update(subject=t.subject, html=t.html)
    cfg.put(_app(), TEMPLATE + name, doc)
    return ok(cfg.get(_app()).template(name).to_dict())


@bp.route("/admin/v1/templates/{name}", methods=["DELETE"], **ROUTE)
@lc_view(bp, "admin.deleteTemplate", master=True)
def delete_template(request, role, name):
    if not wiring.config().delete(_app(), TEMPLATE + unquote(name)):
        raise _not_found(f"template {unquote(name)!r}")
    return ok()


# ---- send log ---------------------------------------------------------------------------

def _when(value, default: float) -> float:
    if value in (None, ""):
        return default
    v = value.strip()
    if is_ascii_digits(v):
        n = parse_int(v, "time", 0, 10**14)
        return n / 1000 if n > 10**11 else float(n)  # epoch ms or s
    try:
        return datetime.fromisoformat(v.replace("Z", "+00:00")).timestamp()
    except ValueError:
        raise InvalidRequest(f"bad time {value!r}: use ISO 8601 or epoch seconds") from None


def _number(raw: str, email_ok: bool = False) -> str:
    raw = unquote(raw or "")
    if email_ok and "@" in raw:  # the send log also has emails: the service normalises them
        return raw.strip()
    return phone.lenient(raw, wiring.config().get(_app()).settings.default_region)


@bp.route("/admin/v1/messages", methods=["GET"], **ROUTE)
@lc_view(bp, "admin.messages", master=True)
def messages(request, role):
    q = request.query_params or {}
    now = wiring.clock().now()  # the service's clock: the times it logged with
    since = _when(q.get("since"), now - 30 * 86400)
    until = _when(q.get("until"), now + 60)
    limit = parse_int(q.get("limit"), "limit", 1, 1000, 100)
    to_key = None
    if q.get("to"):
        to_key = wiring.service().log_key(_app(), _number(q["to"], email_ok=True))
    # paging: ``next`` (null on the last page) goes back as ``cursor`` for the next page
    secret, scope = wiring.service().secret, f"messages#{_app()}#{to_key or ''}"
    start = cursors.decode(secret, scope, q["cursor"]) if q.get("cursor") else None
    results, after = wiring.send_log().page(_app(), to_key, since, until, limit, start)
    return ok({"results": results, "next": cursors.encode(secret, scope, after) if after else None})


# ---- test numbers -----------------------------------------------------------------------

@bp.route("/admin/v1/test-numbers", methods=["GET"], **ROUTE)
@lc_view(bp, "admin.listTestNumbers", master=True)
def list_test_numbers(request, role):
    items = wiring.config().items(_app(), TEST_NUMBER)
    return ok({"results": [{"number": i.sk[len(TEST_NUMBER):], "version": int(i.version),
                            "updated_at": iso(int(i.updated_at or 0) * 1000)} for i in items]})


@bp.route("/admin/v1/test-numbers/{number}", methods=["PUT"], **ROUTE)
@lc_view(bp, "admin.putTestNumber", master=True)
def put_test_number(request, role, number):
    e164 = _number(number)
    code = json_object(request).get("code")
    if not codes.looks_like_code(code):
        raise InvalidRequest("code must be a string of 4 to 10 digits")
    code_hash = wiring.service().test_code_hash(_app(), e164, code)
    wiring.config().put(_app(), TEST_NUMBER + e164, {"code_hash": code_hash})
    return ok({"number": e164})


@bp.route("/admin/v1/test-numbers/{number}", methods=["DELETE"], **ROUTE)
@lc_view(bp, "admin.deleteTestNumber", master=True)
def delete_test_number(request, role, number):
    e164 = _number(number)
    if not wiring.config().delete(_app(), TEST_NUMBER + e164):
        raise _not_found(f"test number {e164}")
    return ok()


# ---- stats (the fraud guard's counters: no scans of the send log) -----------------------

def _day(value, default: str) -> str:
    if value in (None, ""):
        return default
    v = value.strip()
    try:
        d = datetime.strptime(v[:10], "%Y-%m-%d") if len(v) >= 10 else datetime.strptime(v, "%Y%m%d")
    except ValueError:
        raise InvalidRequest(f"bad date {value!r}: use YYYY-MM-DD") from None
    if not 1970 <= d.year <= 9999:  # strftime would write year 1 as "1", not "0001"
        raise InvalidRequest(f"bad date {value!r}: from 1970-01-01 to 9999-12-31")
    return f"{d.year:04d}{d.month:02d}{d.day:02d}"


@bp.route("/admin/v1/stats", methods=["GET"], **ROUTE)
@lc_view(bp, "admin.stats", master=True)
def stats(request, role):
    """Sent / verified / blocked and conversion per country, prefix, channel, purpose or
    day (``group=provider``: messages sent and attempts failed per SMS provider), from ``since`` to ``until`` (UTC dates, inclusive; the last 7 days by default)."""
    from ..store.stats import GROUPS, day_of

    q = request.query_params or {}
    group = q.get("group", "country")
    if group not in GROUPS and group != "provider":
        raise InvalidRequest(f"group must be one of {', '.join(GROUPS)}, provider")
    now = wiring.clock().now()
    until = _day(q.get("until"), day_of(now))
    since = _day(q.get("since"), day_of(datetime.strptime(until, "%Y%m%d").replace(tzinfo=timezone.utc).timestamp()
                                        - 6 * 86400))
    first, last = (datetime.strptime(d, "%Y%m%d") for d in (since, until))
    if first > last:
        raise InvalidRequest("since must not be after until")
    if (last - first).days > 366:
        raise InvalidRequest("at most 367 days at a time")
    if group == "provider":  # attempts per SMS provider (store/provider_stats.py)
        from ..store import provider_stats
        return ok(provider_stats.rows(_app(), since, until))
    return ok(wiring.stats().rows(_app(), group, since, until))
