"""The settings as the console needs them: each field's type, default and bounds (from
``core.settings.Settings``, the one place they live), and per-field validation by the
same rules as ``PATCH /admin/v1/settings`` (the pydantic model, then ``from_mapping``)."""
from __future__ import annotations

import dataclasses
from typing import Any

from .errors import InvalidRequest
from .settings import Settings


def _type(default: Any) -> str:
    if isinstance(default, bool):
        return "boolean"
    if isinstance(default, int):
        return "integer"
    if isinstance(default, tuple):
        return "list"
    if isinstance(default, dict):
        return "object"  # a JSON object (the fraud guard's thresholds and overrides)
    return "string"


def schema() -> list:
    """One entry per setting, in the order ``Settings`` declares them."""
    defaults = Settings().to_dict()
    out = []
    for f in dataclasses.fields(Settings):
        entry = {"name": f.name, "type": _type(getattr(Settings(), f.name)), "default": defaults[f.name]}
        for key in ("min", "max", "maxlen"):
            if key in f.metadata:
                entry[key] = f.metadata[key]
        for key in ("choices", "items"):
            if key in f.metadata:
                entry[key] = list(f.metadata[key])
        out.append(entry)
    return out


def field_errors(data: Any, base: Settings) -> dict:
    """``{setting: message}`` for every value of ``data`` the settings write would refuse."""
    from .settings_model import validate_patch

    if not isinstance(data, dict):
        raise InvalidRequest("send a JSON object of settings to check")
    errors = {}
    for name, value in data.items():
        try:
            Settings.from_mapping(validate_patch({name: value}), base)
        except InvalidRequest as e:
            errors[name] = e.message
    return errors
