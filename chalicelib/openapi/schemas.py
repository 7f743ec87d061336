"""Reusable JSON Schemas of the OpenAPI document (``components/schemas``).

The error shapes are the dialects' own (``{"code", "error"}`` for LeanCloud,
``{"error", "error_code", "error_description"}`` for CloudBase); the settings schema is
generated from the ``Settings`` dataclass, the same field metadata the validators use.
"""
from __future__ import annotations

import dataclasses

STR = {"type": "string"}
INT = {"type": "integer"}
BOOL = {"type": "boolean"}
EMPTY = {"type": "object", "maxProperties": 0}
ANY_OBJECT = {"type": "object"}


def ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def obj(required: tuple = (), extra: bool = True, **props) -> dict:
    out = {"type": "object", "properties": props}
    if required:
        out["required"] = list(required)
    if not extra:
        out["additionalProperties"] = False
    return out


def nullable(schema: dict) -> dict:
    return {"anyOf": [schema, {"type": "null"}]}


def settings_schema(partial: bool) -> dict:
    """The settings object, from ``core.settings.Settings``: types, bounds, choices."""
    from ..core.settings import Settings

    props = {}
    for f in dataclasses.fields(Settings):
        meta = f.metadata
        default = f.default_factory() if f.default_factory is not dataclasses.MISSING else f.default
        if isinstance(default, bool):
            s = {"type": "boolean"}
        elif isinstance(default, int):
            s = {"type": "integer"}
            if "min" in meta:
                s.update(minimum=meta["min"], maximum=meta["max"])
        elif isinstance(default, dict):
            s = {"type": "object"}  # checked by the setting's own rule (meta["check"])
        elif isinstance(default, (tuple, list)):
            items = {"enum": list(meta["items"])} if "items" in meta else {"type": "string"}
            s = {"type": "array", "items": items}
            if "items" in meta:
                s["minItems"] = 1
        else:
            s = {"type": "string"}
            if "choices" in meta:
                s["enum"] = list(meta["choices"])
            if "maxlen" in meta:
                s["maxLength"] = meta["maxlen"]
        default_value = list(default) if isinstance(default, (tuple, list)) else default
        s["default"] = default_value
        props[f.name] = s
    out = {"type": "object", "properties": props, "additionalProperties": False}
    if partial:
        out["minProperties"] = 1
    else:
        out["required"] = sorted(props)
    return out


LC_USER = obj(
    ("objectId", "username", "createdAt", "updatedAt"),
    objectId=STR, username=STR, createdAt=STR, updatedAt=STR,
    mobilePhoneNumber=STR, mobilePhoneVerified=BOOL, email=STR, emailVerified=BOOL,
    is_verified=BOOL, sessionToken=STR)

CB_CREDENTIALS = obj(
    ("token_type", "access_token", "refresh_token", "expires_in", "sub"),
    token_type={"const": "Bearer"}, access_token=STR, refresh_token=STR, expires_in=INT,
    scope=STR, sub=STR, groups={"type": "array"})

TEMPLATE = obj(
    ("name", "channel", "body", "locales", "version", "variables", "issues_code"),
    name=STR, channel={"enum": ["sms", "voice", "email", "page"]}, body=STR,
    locales={"type": "object", "additionalProperties": STR}, version=INT,
    variables={"type": "array", "items": STR}, issues_code=BOOL, subject=STR, html=STR)

COMPONENTS = {
    # LeanCloud's error body: every /1.1 and /admin route, and /dev
    "LeanCloudError": obj(("code", "error"), extra=False, code=INT, error=STR),
    # CloudBase's error body: every /auth/v1 route (retry_after on 429)
    "CloudBaseError": obj(("error", "error_code", "error_description"), extra=False,
                          error=STR, error_code=INT, error_description=STR, retry_after=INT),
    "LeanCloudUser": LC_USER,
    "CloudBaseCredentials": CB_CREDENTIALS,
    "Template": TEMPLATE,
}


def components() -> dict:
    return {**COMPONENTS, "Settings": settings_schema(partial=False),
            "SettingsPatch": settings_schema(partial=True)}
