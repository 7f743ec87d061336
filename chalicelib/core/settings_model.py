"""The pydantic model of a settings write (``PATCH /admin/v1/settings``).

Generated from the fields of ``core.settings.Settings`` (types, bounds, choices, lengths),
so the defaults and limits live in one place. Only the admin route imports this module:
pydantic costs about 66 ms of import, which no code-sending request should pay at a cold
start. ``Settings.from_mapping`` then applies the rules a schema cannot express (region
codes that phonenumbers knows, http(s) URLs) and merges over the stored document.
"""
from __future__ import annotations

import dataclasses
from typing import Annotated, Any, Literal, Optional

from pydantic import ConfigDict, Field, StrictBool, StrictInt, StrictStr, ValidationError, create_model

from .errors import InvalidRequest
from .settings import Settings


def _annotation(f: dataclasses.Field):
    default, md = f.default, f.metadata
    if "check" in md:  # checked by Settings.from_mapping (e.g. the fraud guard's objects)
        return Any
    if isinstance(default, bool):
        return StrictBool
    if isinstance(default, int):
        return Annotated[StrictInt, Field(ge=md["min"], le=md["max"])]
    if isinstance(default, tuple):
        if "items" in md:
            return Annotated[list[Literal[md["items"]]], Field(min_length=1)]
        return Annotated[list[StrictStr], Field(max_length=300)]
    if "choices" in md:
        return Literal[md["choices"]]
    return Annotated[StrictStr, Field(max_length=md.get("maxlen", 100))]


SettingsPatch = create_model(
    "SettingsPatch",
    __config__=ConfigDict(extra="forbid"),
    **{f.name: (Optional[_annotation(f)], None) for f in dataclasses.fields(Settings)},
)


def validate_patch(data: Any) -> dict:
    """The fields of a valid partial update, or InvalidRequest naming the first problem."""
    if not isinstance(data, dict):
        raise InvalidRequest("settings must be a JSON object")
    try:
        model = SettingsPatch.model_validate(data)
    except ValidationError as e:
        err = e.errors()[0]
        where = ".".join(str(p) for p in err["loc"]) or "settings"
        if err["type"] == "extra_forbidden":
            raise InvalidRequest(f"unknown setting: {where}") from None
        raise InvalidRequest(f"setting {where}: {err['msg']}") from None
    patch = model.model_dump(exclude_unset=True)
    nulls = sorted(k for k, v in patch.items() if v is None)
    if nulls:
        raise InvalidRequest(f"setting {nulls[0]} cannot be null")
    return patch
