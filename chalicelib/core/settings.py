"""Per-app settings with their defaults, in one place.

Every limit and knob of the engine is read from a ``Settings`` object, never from a
constant elsewhere. Where the settings come from (defaults, the environment, the
admin-edited config table) is the job of a ``core.config.ConfigProvider``.

Writes (``PATCH /admin/v1/settings``) are validated by a pydantic model generated from
these fields (``core/settings_model.py``). Reading stored settings back runs the plain
Python checks below instead: they run at cold start on the hot path, and this module must
stay cheap to import (no pydantic here). Both take their bounds from the same field metadata.
"""
from __future__ import annotations

import dataclasses
from dataclasses import field, fields
from typing import Any, Mapping

from . import authdata, guard, routing
from .errors import InvalidRequest
from .record import Record


def _rng(lo: int, hi: int) -> dict:
    return {"min": lo, "max": hi}


class Settings(Record, frozen=True):
    # "Enable SMS verification code": off refuses requestSmsCode and verifySmsCode.
    sms_enabled: bool = True
    # codes
    code_length: int = field(default=6, metadata=_rng(4, 10))
    default_ttl_minutes: int = field(default=10, metadata=_rng(1, 60))
    max_ttl_minutes: int = field(default=60, metadata=_rng(1, 1440))
    max_attempts: int = field(default=5, metadata=_rng(1, 20))
    # rate limits; 0 switches a limit off (the cooldown included). The per-number, per-address
    # and per-IP limits are sliding windows (core/sliding.py); per_app_daily is per UTC day
    cooldown_seconds: int = field(default=60, metadata=_rng(0, 3600))
    per_number_daily: int = field(default=10, metadata=_rng(0, 1000))
    per_ip_hourly: int = field(default=30, metadata=_rng(0, 100000))
    per_app_daily: int = field(default=10000, metadata=_rng(0, 100_000_000))
    # CloudBase /auth/v1/verification: sends per client IP per hour (the seed's ten)
    verification_per_ip_hourly: int = field(default=10, metadata=_rng(0, 100000))
    # email has its own per-address limits (the IP and app limits are shared)
    email_cooldown_seconds: int = field(default=60, metadata=_rng(0, 3600))
    per_email_daily: int = field(default=10, metadata=_rng(0, 1000))
    # phone numbers: default region for numbers without "+", and the country allowlist
    # (ISO 3166 alpha-2 codes; ["*"] allows every region, which invites SMS pumping)
    default_region: str = "CN"
    allowed_regions: tuple = ("CN", "US", "CA")
    # message text
    signature: str = field(default="", metadata={"maxlen": 40})
    # the signatures a request's name/sign may pick; once any is configured (this or
    # ``signature``), other names are refused (core/brand.py)
    signatures: tuple = field(default=(), metadata={"strings": 40})
    # ``op``: free text (LeanCloud), or off: only ``allowed_ops`` (empty: no op at all)
    free_op: bool = True
    allowed_ops: tuple = field(default=(), metadata={"strings": 60})
    sender_id: str = field(default="", metadata={"maxlen": 11})
    locale: str = "en"
    # CAPTCHA: every code-sending route needs a validate_token from verifyCaptcha
    require_captcha: bool = False
    validate_token_ttl_seconds: int = field(default=300, metadata=_rng(30, 3600))
    # CAPTCHAs created per client IP per hour (keyless routes: each one is a stored item)
    captcha_per_ip_hourly: int = field(default=60, metadata=_rng(0, 100000))
    # new anonymous users (authData.anonymous, CloudBase anonymous sign-in) per client IP per
    # hour: each one is a stored user; an existing anonymous id logging in again is not counted
    anonymous_per_ip_hourly: int = field(default=100, metadata=_rng(0, 100000))
    # the send log keeps entries this long (DynamoDB TTL)
    send_log_retention_days: int = field(default=30, metadata=_rng(1, 365))
    # account policies (LeanCloud's "Account" settings), used by the user system
    send_verification_on_signup: bool = False
    block_login_if_phone_unverified: bool = False
    allow_reset_password_if_phone_unverified: bool = False
    allow_sms_login: bool = True
    # request routes answer alike whether or not a user has the number
    enumeration_protection: bool = True
    # logins: wrong passwords (and usersByMobilePhone's wrong codes) for one user, then 219
    # until they slide out of the lockout window (an SMS login is bounded by its code's max_attempts)
    login_max_failures: int = field(default=5, metadata=_rng(1, 100))
    login_lockout_minutes: int = field(default=15, metadata=_rng(1, 1440))
    # codes verified by the code alone (verifyMobilePhone, resetPasswordBySmsCode without a
    # number) cannot count guesses against one code: cap such attempts per client IP (any
    # hour, sliding) and per app (per UTC hour)
    code_only_per_ip_hourly: int = field(default=30, metadata=_rng(1, 100000))
    code_only_per_app_hourly: int = field(default=1000, metadata=_rng(1, 10_000_000))
    # sessions: 0 keeps them until revoked (LeanCloud's behaviour)
    session_ttl_days: int = field(default=0, metadata=_rng(0, 3650))
    password_min_length: int = field(default=6, metadata=_rng(1, 128))
    # OAuth-style tokens (CloudBase /auth/v1): access tokens are sessions that expire;
    # refresh tokens rotate on every use; verification tokens are single use
    access_token_ttl_seconds: int = field(default=7200, metadata=_rng(60, 86400))
    refresh_token_ttl_days: int = field(default=30, metadata=_rng(1, 365))
    verification_token_ttl_seconds: int = field(default=600, metadata=_rng(60, 3600))
    # Skygear-style verification: code format for phone/email verification ("numeric": the
    # code_length digits; "complex": a 32-character random string, for links), how long
    # complex codes (links) live, what makes a user verified, and who may call user routes
    code_format: str = field(default="numeric", metadata={"choices": ("numeric", "complex")})
    # users imported from LeanCloud with an unverified phone or email (as imported): "keep"
    # (LeanCloud's behaviour: a code proof logs into that user and marks the field verified,
    # password and sessions kept) or "yield" (verikit's squatting rule: the unverified claim
    # yields to the proof, its password and sessions end)
    imported_unverified_claims: str = field(default="keep", metadata={"choices": ("keep", "yield")})
    link_expiry_hours: int = field(default=24, metadata=_rng(1, 720))
    verified_fields: tuple = field(default=("phone",), metadata={"items": ("phone", "email")})
    verified_rule: str = field(default="any", metadata={"choices": ("any", "all")})
    only_verified_users: bool = False
    send_verification_on_email_change: bool = False
    # where a verification link lands: a page from the templates verify_success_page /
    # verify_error_page (defaults built in), or a redirect to these URLs with ?result=
    verify_success_url: str = field(default="", metadata={"maxlen": 500})
    verify_error_url: str = field(default="", metadata={"maxlen": 500})
    # the SMS-pumping guard (core/guard.py): "block" refuses sends whose country, number
    # prefix or client IP has too many unverified codes, "record" only counts them
    fraud_guard: str = field(default="block", metadata={"choices": guard.MODES})
    fraud_guard_by: tuple = field(default=guard.DEFAULT_BY, metadata={"items": guard.DIMENSIONS})
    # calibration: a stage learns a country (the guard's country dimension only records)
    # until it has seen this many verified codes of it, or fraud_learn_days of its traffic
    # (0: no learning); then ratios not set in fraud_thresholds follow the country's own
    # conversion: cut below fraud_baseline_percent % of it (0: the fixed ratios)
    fraud_learn_verifications: int = field(default=1000, metadata=_rng(0, 10_000_000))
    fraud_learn_days: int = field(default=7, metadata=_rng(1, 14))
    fraud_baseline_percent: int = field(default=50, metadata=_rng(0, 100))
    # {"country": {"floor_day": 20, "floor_hour": 3, "ratio_day": 0.3, "ratio_hour": 0.2}, ...}
    # over guard.DEFAULTS; per-country thresholds in fraud_country_overrides {"NG": {...}}
    fraud_thresholds: dict = field(default_factory=dict, metadata={"check": guard.check_thresholds})
    fraud_country_overrides: dict = field(default_factory=dict, metadata={"check": guard.check_overrides})
    # numbers and prefixes ("+4479460") the guard never blocks
    fraud_safe_list: tuple = field(default=(), metadata={"check": guard.check_safe_list})
    # SMS providers per destination country, tried in order ({"CN": ["aliyun", "tencent"], "*": ["sns"]}),
    # and the template providers' template ids per purpose or template name (core/routing.py)
    sms_routes: dict = field(default_factory=lambda: {"*": ["sns"]}, metadata={"check": routing.check_routes})
    provider_templates: dict = field(default_factory=dict, metadata={"check": routing.check_templates})
    # LeanEngine hooks (README "Hooks and events"): the base URL of the app's engine, which
    # gets onLogin, onVerified, onAuthData and the _User hooks (empty: no hooks); and how long
    # a before-hook may take before the request is refused (fail closed)
    leanengine_url: str = field(default="", metadata={"maxlen": 500})
    hook_timeout_seconds: int = field(default=5, metadata=_rng(1, 30))

    # third-party login (LeanCloud authData): the platforms accepted and how each is verified,
    # {"weixin": {"verify": "weixin"}, "lc_apple": {"verify": "apple", "client_ids": [...]},
    #  "anonymous": {"verify": "anonymous"}, ...}; an unlisted platform is refused
    auth_platforms: dict = field(default_factory=dict, metadata={"check": authdata.check_platforms})
    # LeanCloud user objects carry Skygear's derived is_verified (verified_fields / verified_rule);
    # on by itself with only_verified_users
    skygear_is_verified: bool = False

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any], base: "Settings | None" = None) -> "Settings":
        """Validate ``data`` (a partial update) over ``base`` and return new settings.

        Unknown keys, wrong types and out-of-range values raise ``InvalidRequest``.
        """
        base = base or cls()
        known = {f.name: f for f in fields(cls)}
        unknown = sorted(set(data) - set(known))
        if unknown:
            raise InvalidRequest(f"unknown setting(s): {', '.join(unknown)}")
        changes = {name: _coerce(known[name], base, value) for name, value in data.items()}
        return dataclasses.replace(base, **changes)

    def to_dict(self) -> dict:
        d = dataclasses.asdict(self)
        d["allowed_regions"] = list(self.allowed_regions)
        d["verified_fields"] = list(self.verified_fields)
        d["signatures"], d["allowed_ops"] = list(self.signatures), list(self.allowed_ops)
        d["fraud_guard_by"] = list(self.fraud_guard_by)
        d["fraud_safe_list"] = list(self.fraud_safe_list)
        return d


def _coerce(f: dataclasses.Field, base: Settings, value: Any) -> Any:
    name, default = f.name, getattr(base, f.name)
    if "check" in f.metadata:
        return f.metadata["check"](name, value)
    if isinstance(default, bool):
        if not isinstance(value, bool):
            raise InvalidRequest(f"setting {name} must be true or false")
        return value
    if isinstance(default, int):
        if isinstance(value, bool) or not isinstance(value, int):
            raise InvalidRequest(f"setting {name} must be an integer")
        lo, hi = f.metadata.get("min"), f.metadata.get("max")
        if lo is not None and not lo <= value <= hi:
            raise InvalidRequest(f"setting {name} must be between {lo} and {hi}")
        return value
    if isinstance(default, tuple) and "items" in f.metadata:
        if not isinstance(value, (list, tuple)) or not value or not all(v in f.metadata["items"] for v in value):
            raise InvalidRequest(f"setting {name} must be a non-empty list of {', '.join(f.metadata['items'])}")
        return tuple(dict.fromkeys(value))
    if isinstance(default, tuple) and "strings" in f.metadata:
        maxlen = f.metadata["strings"]
        if not isinstance(value, (list, tuple)) or len(value) > 50 or not all(
                isinstance(v, str) and v.strip() and len(v.strip()) <= maxlen and "【" not in v and "】" not in v
                for v in value):
            raise InvalidRequest(f"setting {name} must be a list of at most 50 non-empty strings of at most "
                                 f"{maxlen} characters (no 【】)")
        return tuple(dict.fromkeys(v.strip() for v in value))
    if isinstance(default, tuple):
        if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
            raise InvalidRequest(f"setting {name} must be a list of strings")
        regions = tuple(v.strip().upper() for v in value)
        for r in regions:
            if r != "*" and not _known_region(r):
                raise InvalidRequest(f"setting {name}: {r!r} is not an ISO 3166 alpha-2 region code with phone numbers")
        return regions
    if not isinstance(value, str):
        raise InvalidRequest(f"setting {name} must be a string")
    if name == "default_region":
        value = value.strip().upper()
        if not _known_region(value):
            raise InvalidRequest("setting default_region must be an ISO 3166 alpha-2 region code with phone numbers")
    if "choices" in f.metadata and value not in f.metadata["choices"]:
        raise InvalidRequest(f"setting {name} must be one of {', '.join(f.metadata['choices'])}")
    if name in ("verify_success_url", "verify_error_url", "leanengine_url") and value and not value.startswith(("https://", "http://")):
        raise InvalidRequest(f"setting {name} must be an http(s) URL")
    maxlen = f.metadata.get("maxlen")
    if maxlen is not None and len(value) > maxlen:
        raise InvalidRequest(f"setting {name} must be at most {maxlen} characters")
    return value


def _known_region(code: str) -> bool:
    """A region phonenumbers knows (imported only when settings are validated)."""
    if not (len(code) == 2 and code.isalpha()):
        return False
    import phonenumbers

    return code in phonenumbers.SUPPORTED_REGIONS
