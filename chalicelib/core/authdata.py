"""Third-party login (LeanCloud's ``authData``): which platforms an app accepts, how each is
verified, which field of a platform's data is its user id, and the uniqueness claims a
linked platform holds.

Pure rules. The verifiers that call out (WeChat, Apple, the app's own LeanEngine hook) sit
behind the ``Verifier`` port and are built in ``wiring``; ``anonymous`` and ``trust`` live here.

A platform uid belongs to one user: a linked platform is a claim ``auth:<platform>`` on its
uid (and a main account's unionid a claim ``union:<unionIdPlatform>``), written in the same
transaction as the user like usernames, phones and emails (``User.claims``).
"""
from __future__ import annotations

import json
import re
from typing import Any, Mapping, Optional, Protocol

from .errors import InvalidRequest, VerikitError

# patterns compiled on first use (re's cache), not at every cold start
PLATFORM = r"^[A-Za-z][A-Za-z0-9_]{0,31}$"
KINDS = ("weixin", "apple", "anonymous", "hook", "trust")
MAX_DATA_BYTES = 4096
MAX_UID = 256
# the field that is the user id on each platform, as LeanCloud's REST docs give them
UID_FIELDS = {"weixin": "openid", "lc_weapp": "openid", "qq": "openid", "lc_qqapp": "openid",
              "weibo": "uid", "lc_apple": "uid", "anonymous": "id"}
# identifiers that may be shown to the master key; everything else of a platform's data
# (access tokens, session keys, identity tokens, codes) is a secret
PUBLIC_FIELDS = ("openid", "uid", "id", "unionid", "platform", "main_account", "expires_in", "expiration_in")


class AuthDataInvalid(VerikitError):
    """The platform refused the credentials (a wrong or expired token, a bad signature)."""

    kind = "authdata_invalid"


class AuthDataUnavailable(VerikitError):
    """The platform's verification endpoint did not answer in time; try again."""

    kind = "unavailable"

    def __init__(self, message: str, retry_after: int = 1):
        super().__init__(message, retry_after=retry_after)
        self.retry_after = retry_after


class Verifier(Protocol):
    def verify(self, app_id: str, platform: str, data: dict, config: Mapping[str, Any]) -> dict:
        """The platform data to store once checked (the hook may rewrite it), or raise
        AuthDataInvalid. ``config`` is the platform's entry in ``auth_platforms``."""


# ---- the setting ----------------------------------------------------------------------------

def check_platforms(name: str, value: Any) -> dict:
    """``auth_platforms``: {platform: {"verify": kind, ...}} (settings validation)."""
    if not isinstance(value, dict) or len(value) > 50:
        raise InvalidRequest(f"setting {name} must be an object of at most 50 platforms")
    out = {}
    for platform, conf in value.items():
        if not isinstance(platform, str) or not re.match(PLATFORM, platform):
            raise InvalidRequest(f"setting {name}: {platform!r} is not a platform name (letters, digits, _)")
        if not isinstance(conf, dict) or conf.get("verify") not in KINDS:
            raise InvalidRequest(f"setting {name}.{platform} must be {{\"verify\": one of {', '.join(KINDS)}}}")
        extra = set(conf) - {"verify", "client_ids"}
        if extra:
            raise InvalidRequest(f"setting {name}.{platform}: unknown key {sorted(extra)[0]!r}")
        entry = {"verify": conf["verify"]}
        if conf["verify"] == "apple":
            ids = conf.get("client_ids")
            if not isinstance(ids, list) or not ids or len(ids) > 20 or not all(
                    isinstance(i, str) and 0 < len(i) <= 200 for i in ids):
                raise InvalidRequest(f"setting {name}.{platform}: apple needs client_ids, a list of your "
                                     "bundle / services ids (the identity token's aud)")
            entry["client_ids"] = list(ids)
        elif "client_ids" in conf:
            raise InvalidRequest(f"setting {name}.{platform}: client_ids is for verify: apple only")
        out[platform] = entry
    return out


# ---- platform data ---------------------------------------------------------------------------

def uid_of(platform: str, data: Mapping[str, Any]) -> str:
    """The platform's user id in ``data`` (openid for WeChat and QQ, uid or id otherwise)."""
    field = UID_FIELDS.get(platform)
    candidates = (field,) if field else ("uid", "id", "openid")
    for name in candidates:
        value = data.get(name)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            value = str(value)
        if isinstance(value, str) and value:
            if len(value) > MAX_UID or not value.isprintable() or "#" in value:
                raise InvalidRequest(f"authData.{platform}.{name} must be at most {MAX_UID} printable characters")
            return value
    raise InvalidRequest(f"authData.{platform} needs {' or '.join(candidates)} (the platform's user id)")


def union_of(data: Mapping[str, Any]) -> Optional[tuple]:
    """(unionIdPlatform, unionid) if ``data`` carries a unionid, else None."""
    unionid = data.get("unionid")
    if unionid in (None, ""):
        return None
    platform = data.get("platform") or "weixin"
    if not isinstance(unionid, str) or len(unionid) > MAX_UID or "#" in unionid or not unionid.isprintable():
        raise InvalidRequest("unionid must be at most 256 printable characters")
    if not isinstance(platform, str) or not re.match(PLATFORM, platform):
        raise InvalidRequest("platform (the unionId platform) must be a platform name")
    return platform, unionid


def check_data(platform: Any, data: Any) -> dict:
    """One platform's data as sent: a JSON object of bounded size."""
    if not isinstance(platform, str) or not re.match(PLATFORM, platform):
        raise InvalidRequest(f"authData platform {platform!r} is not a platform name (letters, digits, _)")
    if not isinstance(data, dict) or not data:
        raise InvalidRequest(f"authData.{platform} must be a non-empty object")
    try:
        size = len(json.dumps(data, ensure_ascii=False, allow_nan=False).encode("utf-8"))
    except (TypeError, ValueError, RecursionError):
        raise InvalidRequest(f"authData.{platform} must be JSON") from None
    if size > MAX_DATA_BYTES:
        raise InvalidRequest(f"authData.{platform} is limited to {MAX_DATA_BYTES} bytes")
    return data


def claims_of(auth_data: Any) -> dict:
    """The claims a user's authData holds: ``auth:<platform>`` -> uid for every platform,
    ``union:<unionIdPlatform>`` -> unionid for a main account. Malformed entries (an import
    kept as it came) hold none."""
    out = {}
    if not isinstance(auth_data, dict):
        return out
    for platform, data in auth_data.items():
        if not isinstance(data, dict) or not isinstance(platform, str) or not re.match(PLATFORM, platform):
            continue
        try:
            out[f"auth:{platform}"] = uid_of(platform, data)
            union = union_of(data) if data.get("main_account") is True else None
        except InvalidRequest:
            continue
        if union:
            out[f"union:{union[0]}"] = union[1]
    return out


def public(auth_data: Any) -> Any:
    """authData without its secrets: the identifiers of each platform only (queries)."""
    if not isinstance(auth_data, dict):
        return auth_data
    return {p: {k: v for k, v in d.items() if k in PUBLIC_FIELDS} if isinstance(d, dict) else d
            for p, d in auth_data.items()}


def is_claim_field(field: str) -> bool:
    return field.startswith(("auth:", "union:"))


# ---- the verifiers that need nobody ---------------------------------------------------------

class AnonymousVerifier:
    """``loginAnonymously``: a client-made random id; the account it opens is only as safe
    as that id is secret (as on LeanCloud)."""

    def verify(self, app_id: str, platform: str, data: dict, config: Mapping[str, Any]) -> dict:
        value = data.get("id")
        if not isinstance(value, str) or not 16 <= len(value) <= 128:
            raise AuthDataInvalid("authData.anonymous.id must be a random id of 16-128 characters")
        return {"id": value}


class TrustVerifier:
    """``trust``: the app verified the platform's credentials in its own code (opt-in)."""

    def verify(self, app_id: str, platform: str, data: dict, config: Mapping[str, Any]) -> dict:
        return data


class NotConfigured:
    """A kind whose adapter is not wired (``hook`` until LeanEngine hooks are set up)."""

    def __init__(self, kind: str, how: str):
        self.kind, self.how = kind, how

    def verify(self, app_id: str, platform: str, data: dict, config: Mapping[str, Any]) -> dict:
        raise AuthDataInvalid(f"authData.{platform} is verified by {self.kind!r}, which is not configured: {self.how}")


class Verifiers:
    """The verifier of each kind, and the rules that pick one for a platform."""

    def __init__(self, kinds: Mapping[str, Verifier]):
        self.kinds = dict(kinds)

    def verify(self, app_id: str, platforms: Mapping[str, Any], platform: str, data: Any) -> dict:
        """The checked data of ``platform`` (its unionid fields kept), or raise."""
        data = check_data(platform, data)
        conf = platforms.get(platform)
        if conf is None:
            raise InvalidRequest(f"authData platform {platform!r} is not enabled for this app "
                                 "(setting auth_platforms)")
        verifier = self.kinds.get(conf["verify"])
        if verifier is None:
            raise AuthDataInvalid(f"authData.{platform}: no verifier {conf['verify']!r}")
        checked = verifier.verify(app_id, platform, dict(data), conf)
        checked = check_data(platform, checked)
        union = {k: data[k] for k in ("unionid", "platform", "main_account") if k in data and k not in checked}
        return {**checked, **union}
