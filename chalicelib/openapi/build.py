"""Builds the OpenAPI 3.1 document from chalice's own route table.

What comes from the code itself:
- paths, methods and path parameters: ``app.routes`` (every route the app serves, so the
  local-only ``/dev`` routes appear only where they are registered);
- authentication: the ``verikit_auth`` mark ``lc_view`` puts on every LeanCloud and admin
  view (``app`` key or ``master`` key);
- error responses: the HTTP statuses of each dialect's error table (``_KINDS`` in
  ``dialects/leancloud/common.py`` and ``dialects/cloudbase.py``) with the dialect's error
  schema, and ``Retry-After`` where a status carries it;
- the settings schema: the ``Settings`` dataclass.

What is written by hand, one entry per route in ``operations.py``: the summary, the
request body, query parameters, session needs and the success responses.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Optional

from . import schemas as S

VERSION = "1.0.0"


@dataclass(frozen=True)
class Op:
    """The hand-written part of one operation (see ``operations.py``)."""

    summary: str
    body: Optional[dict] = None            # JSON Schema of the JSON request body (None: no body)
    body_required: bool = False
    query: dict = field(default_factory=dict)   # name -> schema (all optional)
    ok: dict = field(default_factory=lambda: {200: S.EMPTY})  # status -> JSON schema
    media: Optional[dict] = None            # status -> {content type: schema}, for non-JSON answers
    body_media: Optional[dict] = None       # {content type: schema} of a request body that is not only JSON
    session: str = ""                       # LeanCloud X-LC-Session: "", "required" or "optional"
    bearer: bool = False                    # CloudBase Authorization: Bearer <access_token>
    description: str = ""


def dialect_of(path: str) -> str:
    if path.startswith("/auth/"):
        return "cloudbase"
    if path.startswith(("/1.1/", "/admin/")):
        return "leancloud"
    if path.startswith("/verify/"):
        return "link"
    if path.startswith("/dev/"):
        return "dev"
    return "meta"


def error_statuses(dialect: str) -> list:
    """Every HTTP status a dialect's error translation can answer."""
    if dialect == "leancloud":
        from ..dialects.leancloud.common import _KINDS, NOT_FOR_CLIENTS, UNAUTHORIZED
        # 400: malformed body and missing/taken fields; 404: no such user/template
        return sorted({s for s, _ in _KINDS.values()} | {400, UNAUTHORIZED[0], NOT_FOR_CLIENTS[0], 404})
    if dialect == "cloudbase":
        from ..dialects.cloudbase import _KINDS
        return sorted({s for _, (s, _, _) in _KINDS} | {400})
    if dialect == "dev":
        from ..dialects.leancloud.common import _KINDS
        return sorted({s for s, _ in _KINDS.values()} | {400})
    return []


RETRY_AFTER = {"Retry-After": {"description": "seconds to wait before trying again",
                               "schema": {"type": "string", "pattern": "^[0-9]+$"}}}


def _error_responses(dialect: str) -> dict:
    schema = S.ref("CloudBaseError" if dialect == "cloudbase" else "LeanCloudError")
    out = {}
    for status in error_statuses(dialect):
        r = {"description": _ERROR_TEXT.get(status, "error"), "content": {"application/json": {"schema": schema}}}
        if status in (429, 503):
            r["headers"] = RETRY_AFTER
        out[str(status)] = r
    return out


_ERROR_TEXT = {400: "bad request (the dialect's error body says which)", 401: "not authenticated",
               403: "refused by a policy, a missing session or key", 404: "no such object",
               409: "already exists", 429: "a rate limit or lockout; Retry-After says when",
               502: "the SMS/voice/email provider refused or did not answer; nothing was charged to the number",
               503: "a dependency (DynamoDB) is busy or slow; try again after Retry-After"}


def _security(role: str, session: str) -> list:
    keys = [{"lcId": [], "lcKey": []}, {"lcId": [], "lcSign": []}]
    if session == "required":
        return [{**k, "lcSession": []} for k in keys]
    if session == "optional":
        return [{**k, "lcSession": []} for k in keys] + keys
    return keys


def _param_names(path: str) -> list:
    return re.findall(r"{([^}]+)}", path)


def operation_for(method: str, path: str, entry, op: Optional[Op]) -> dict:
    dialect = dialect_of(path)
    role = getattr(entry.view_function, "verikit_auth", "")
    if op is None:
        op = Op(summary=f"{method} {path} (undocumented: add it to chalicelib/openapi/operations.py)")
    out: dict = {"operationId": f"{entry.view_name}_{method.lower()}", "summary": op.summary,
                 "tags": [dialect]}
    if op.description:
        out["description"] = op.description
    params = [{"name": n, "in": "path", "required": True,
               "schema": {"type": "string", "minLength": 1, "pattern": "^[^/]+$"}} for n in _param_names(path)]
    params += [{"name": n, "in": "query", "required": False, "schema": s} for n, s in op.query.items()]
    if op.bearer:
        out["security"] = [{"cbBearer": []}]
    if role:
        out["security"] = _security(role, op.session)
        out["x-verikit-key"] = role  # "master": the master key (X-LC-Key: <master key>,master)
    if params:
        out["parameters"] = params
    if op.body is not None or op.body_media:
        content = {"application/json": {"schema": op.body}} if op.body is not None else {}
        content.update({t: {"schema": s} for t, s in (op.body_media or {}).items()})
        out["requestBody"] = {"required": op.body_required, "content": content}
    responses = {}
    for status, schema in op.ok.items():
        responses[str(status)] = {"description": "success",
                                  "content": {"application/json": {"schema": schema}}}
    for status, content in (op.media or {}).items():
        responses[str(status)] = {"description": "success" if int(status) < 300 else "error",
                                  **({"content": {t: {"schema": s} for t, s in content.items()}} if content else {})}
    for status, r in _error_responses(dialect).items():
        responses.setdefault(status, r)
    out["responses"] = responses
    return out


SECURITY_SCHEMES = {
    "lcId": {"type": "apiKey", "in": "header", "name": "X-LC-Id", "description": "the app id"},
    "lcKey": {"type": "apiKey", "in": "header", "name": "X-LC-Key",
              "description": "the app key, or `<master key>,master` (admin routes need the master key)"},
    "lcSign": {"type": "apiKey", "in": "header", "name": "X-LC-Sign",
               "description": "`md5(timestamp + key),timestamp[,master]`, timestamp in ms, within 15 minutes"},
    "lcSession": {"type": "apiKey", "in": "header", "name": "X-LC-Session",
                  "description": "a user's session token (`sessionToken`)"},
    "cbBearer": {"type": "http", "scheme": "bearer", "description": "a CloudBase access token"},
}


def document(routes: dict, server_url: str = "") -> dict:
    """The OpenAPI 3.1 document of ``routes`` (a chalice ``app.routes``)."""
    from .operations import OPERATIONS

    paths: dict = {}
    ids: set = set()
    for path in sorted(routes):
        for method, entry in sorted(routes[path].items()):
            op = operation_for(method, path, entry, OPERATIONS.get((method, path)))
            if op["operationId"] in ids:  # two views of one name in different dialects
                op["operationId"] += "_" + "_".join(re.findall(r"[A-Za-z0-9]+", path))
            ids.add(op["operationId"])
            paths.setdefault(path, {})[method.lower()] = op
    doc = {
        "openapi": "3.1.0",
        "info": {"title": "verikit", "version": VERSION,
                 "description": "Verification codes, LeanCloud REST 1.1 and CloudBase /auth/v1 dialects, "
                                "verification links and the admin API. Generated from the route table."},
        "paths": paths,
        "components": {"schemas": S.components(), "securitySchemes": SECURITY_SCHEMES},
    }
    if server_url:
        doc["servers"] = [{"url": server_url}]
    from .events import webhooks
    doc["webhooks"] = webhooks()  # what event webhook endpoints receive (README "Hooks and events")
    return doc


def missing(routes: dict) -> list:
    """(method, path) of every served route without an entry in ``OPERATIONS``."""
    from .operations import OPERATIONS
    return [(m, p) for p in sorted(routes) for m in sorted(routes[p]) if (m, p) not in OPERATIONS]


def stale(routes: dict) -> list:
    """Entries in ``OPERATIONS`` for routes the app does not serve (``/dev`` excepted when
    not local)."""
    from .operations import OPERATIONS
    served = {(m, p) for p in routes for m in routes[p]}
    return sorted(k for k in OPERATIONS if k not in served and not k[1].startswith("/dev/"))
