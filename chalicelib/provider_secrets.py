"""Credentials of the SMS providers beyond SNS, read once per instance.

In AWS each provider's credentials are one Secrets Manager secret per stage, a JSON object,
named ``<VERIKIT_SMS_SECRETS_PREFIX><provider>`` (``verikit/<stage>/sms/aliyun``...), created by
``make provision`` (``deploy/provision.py``); the function's role may read exactly those.
Locally (and wherever they are set) the environment variables below take precedence.
Values are never logged or printed; ``repr`` of a credentials object hides them.
"""
from __future__ import annotations

import json
import os
import threading

# provider -> field -> environment variable
ENV = {
    "aliyun": {"access_key_id": "VERIKIT_ALIYUN_ACCESS_KEY_ID", "access_key_secret": "VERIKIT_ALIYUN_ACCESS_KEY_SECRET"},
    "tencent": {"secret_id": "VERIKIT_TENCENT_SECRET_ID", "secret_key": "VERIKIT_TENCENT_SECRET_KEY",
                "sms_app_id": "VERIKIT_TENCENT_SMS_APP_ID"},
    "twilio": {"account_sid": "VERIKIT_TWILIO_ACCOUNT_SID", "auth_token": "VERIKIT_TWILIO_AUTH_TOKEN",
               "from": "VERIKIT_TWILIO_FROM"},
    "vonage": {"api_key": "VERIKIT_VONAGE_API_KEY", "api_secret": "VERIKIT_VONAGE_API_SECRET",
               "from": "VERIKIT_VONAGE_FROM"},
    "hook": {"url": "VERIKIT_SEND_HOOK_URL", "secret": "VERIKIT_SEND_HOOK_SECRET"},
}
# the providers' API endpoints (host[:port] or a URL): regional endpoints, local fakes
ENDPOINT = {"aliyun": "VERIKIT_ALIYUN_ENDPOINT", "tencent": "VERIKIT_TENCENT_ENDPOINT",
            "twilio": "VERIKIT_TWILIO_ENDPOINT", "vonage": "VERIKIT_VONAGE_ENDPOINT", "hook": "VERIKIT_SEND_HOOK_URL"}
PREFIX_ENV = "VERIKIT_SMS_SECRETS_PREFIX"


class Credentials(dict):
    def __repr__(self) -> str:  # never print secrets by accident
        return f"Credentials({sorted(self)})"

    __str__ = __repr__


_cache: dict = {}
_lock = threading.Lock()


def endpoint(provider: str) -> str:
    return os.environ.get(ENDPOINT.get(provider, ""), "").strip()


def secret_name(provider: str) -> str:
    prefix = os.environ.get(PREFIX_ENV, "")
    return prefix + provider if prefix else ""


def get(provider: str) -> Credentials:
    """The provider's credentials (cached for the life of the instance); a missing field is a
    clear configuration error, never a 500."""
    got = _cache.get(provider)
    if got is None:
        with _lock:
            got = _cache.get(provider) or _load(provider)
            _cache[provider] = got
    return got


def _load(provider: str) -> Credentials:
    from .core.errors import FeatureDisabled

    fields = ENV[provider]
    values = {f: os.environ.get(env, "") for f, env in fields.items()}
    name = secret_name(provider)
    if not all(values.values()) and name:
        from . import aws
        try:
            raw = aws.client("secretsmanager").get_secret_value(SecretId=name)["SecretString"]
            stored = json.loads(raw)
        except Exception as e:  # noqa: BLE001 - not found, denied, unreadable: a config error
            code = (getattr(e, "response", None) or {}).get("Error", {}).get("Code", type(e).__name__)
            raise FeatureDisabled(f"the {provider} SMS credentials could not be read from Secrets Manager "
                                  f"secret {name} ({code}): run `make provision` with them") from None
        values = {f: values[f] or str(stored.get(f) or "") for f in fields}
    missing = [fields[f] for f, v in values.items() if not v]
    if missing:
        where = f" (or the JSON fields of secret {name})" if name else ""
        raise FeatureDisabled(f"the {provider} SMS provider is not configured: {', '.join(missing)}{where}")
    return Credentials(values)


def reset() -> None:
    """Forget cached credentials (tests)."""
    _cache.clear()


def split_endpoint(value: str, default_scheme: str = "https") -> tuple:
    """``host[:port]`` or a URL -> (scheme, host[:port], path)."""
    if "://" in value:
        from urllib.parse import urlsplit
        u = urlsplit(value)
        return u.scheme, u.netloc, u.path.rstrip("/")
    return default_scheme, value.strip("/"), ""
