"""Process environment: stage, local mode and secrets (read once per cold start).

Secrets never live in the repo. In AWS they are SSM SecureString parameters under
``VERIKIT_SSM_PREFIX`` (``app-id``, ``app-key``, ``master-key``, ``code-secret``);
``VERIKIT_APP_ID``, ``VERIKIT_APP_KEY``, ``VERIKIT_MASTER_KEY`` and
``VERIKIT_CODE_SECRET`` in the environment take precedence (``make run`` sets them).
The LeanEngine hook key (``hook-key`` / ``VERIKIT_HOOK_KEY``) is optional: a stage
provisioned before hooks existed runs without it (hooks stay off until it is created).
"""
from __future__ import annotations

import os

from .core.record import Record

SSM_NAMES = {"app_id": "app-id", "app_key": "app-key", "master_key": "master-key",
             "code_secret": "code-secret"}
ENV_NAMES = {"app_id": "VERIKIT_APP_ID", "app_key": "VERIKIT_APP_KEY",
             "master_key": "VERIKIT_MASTER_KEY", "code_secret": "VERIKIT_CODE_SECRET"}
# optional secrets: read with the others, empty when missing
OPTIONAL_SSM_NAMES = {"hook_key": "hook-key"}
OPTIONAL_ENV_NAMES = {"hook_key": "VERIKIT_HOOK_KEY"}


def check_settings() -> None:
    """Validate ``VERIKIT_SETTINGS`` at start-up (``app.py`` calls this at import): a bad
    value stops the process with a clear message instead of a 500 on every request."""
    raw = os.environ.get("VERIKIT_SETTINGS", "").strip()
    if not raw:
        return
    from .core.config import settings_from_env
    from .core.errors import InvalidRequest
    try:
        settings_from_env(os.environ)
    except InvalidRequest as e:
        raise RuntimeError(f"VERIKIT_SETTINGS is invalid: {e.message}") from None


def local_mode() -> bool:
    """True only under ``make run`` and the tests: enables the /dev routes and the outbox."""
    return os.environ.get("VERIKIT_LOCAL") == "1"


LOCAL_EMAIL_FROM = "no-reply@verikit.local"


def email_from() -> str:
    """The SES identity emails are sent from (``VERIKIT_EMAIL_FROM``; a local default)."""
    value = os.environ.get("VERIKIT_EMAIL_FROM", "")
    return value or (LOCAL_EMAIL_FROM if local_mode() else "")


class Secrets(Record, frozen=True):
    app_id: str
    app_key: str
    master_key: str
    code_secret: bytes
    hook_key: str = ""  # LeanEngine's X-LC-Hook-Key (optional)

    def __repr__(self) -> str:  # never print secrets by accident
        return f"Secrets(app_id={self.app_id!r}, ...)"


_secrets: Secrets | None = None


def secrets() -> Secrets:
    global _secrets
    if _secrets is None:
        _secrets = _load()
    return _secrets


def _load() -> Secrets:
    values = {k: os.environ.get(v, "") for k, v in ENV_NAMES.items()}
    optional = {k: os.environ.get(v, "") for k, v in OPTIONAL_ENV_NAMES.items()}
    missing = [k for k, v in values.items() if not v]
    prefix = os.environ.get("VERIKIT_SSM_PREFIX", "")
    if missing and prefix:
        from . import aws
        names = {prefix + SSM_NAMES[k]: k for k in missing}
        names.update({prefix + OPTIONAL_SSM_NAMES[k]: k for k, v in optional.items() if not v})
        resp = aws.client("ssm").get_parameters(Names=list(names), WithDecryption=True)
        for p in resp.get("Parameters", []):
            key = names[p["Name"]]
            (values if key in values else optional)[key] = p["Value"]
        missing = [k for k, v in values.items() if not v]
    if missing:
        raise RuntimeError("verikit is missing secrets: " + ", ".join(
            f"{ENV_NAMES[k]} (or SSM {prefix or '<VERIKIT_SSM_PREFIX>'}{SSM_NAMES[k]})" for k in missing))
    return Secrets(values["app_id"], values["app_key"], values["master_key"],
                   values["code_secret"].encode("utf-8"), optional["hook_key"])


def reset() -> None:
    """Forget cached secrets (tests)."""
    global _secrets
    _secrets = None
