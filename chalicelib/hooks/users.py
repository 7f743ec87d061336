"""Users between the core and the hooks: the core hands its ``User``; LeanEngine and the
webhooks see the user as LeanCloud's REST API shows it (``user_json``, without the session
token; webhooks also without third-party ``authData``, which holds access tokens); a
before-hook's answer comes back as the user's own (custom) fields."""
from __future__ import annotations

import dataclasses

# fields of the LeanCloud user that are not the app's own: a hook's answer cannot set them here
FIXED = {"objectId", "username", "password", "createdAt", "updatedAt", "mobilePhoneNumber", "email",
         "mobilePhoneVerified", "emailVerified", "is_verified", "sessionToken", "ACL", "authData", "className",
         "__type", "salt"}


def is_user(value) -> bool:
    from ..core.accounts.model import User
    return isinstance(value, User)


def to_wire(user, webhook: bool = False) -> dict:
    from ..dialects.leancloud.users import user_json
    out = user_json(user)
    out.pop("sessionToken", None)
    if webhook:
        out.pop("authData", None)
    return out


def wire_payload(payload: dict, webhook: bool = False) -> dict:
    """An event's payload with every core ``User`` in it as LeanCloud JSON."""
    out = {k: to_wire(v, webhook) if is_user(v) else v for k, v in payload.items()}
    if "updated_keys" in out:  # the core's name; the wire's is updatedKeys (already wire field names)
        out["updatedKeys"] = list(out.pop("updated_keys"))
    return out


def from_answer(user, answer: dict):
    """The user a beforeSave/beforeUpdate answered: its own fields are the answer's (a field
    the hook unset is gone); the rest (username, phone, email...) stays as verikit has it."""
    from ..core.accounts.model import _merge_custom
    custom = {k: v for k, v in answer.items() if k not in FIXED and not k.startswith("_")}
    return dataclasses.replace(user, custom=_merge_custom({}, custom))
