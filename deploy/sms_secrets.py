"""The SMS providers' credentials of a stage as Secrets Manager secrets (``make provision``).

One secret per provider, a JSON object, named ``<VERIKIT_SMS_SECRETS_PREFIX><provider>``
(``verikit/<stage>/sms/aliyun``...), which the function reads once per instance
(``chalicelib/provider_secrets.py``) and its role may read exactly. Values come from the
environment (the same variables as ``make run``: ``VERIKIT_ALIYUN_ACCESS_KEY_ID``...) or,
for the providers named in ``SMS_PROVIDERS`` (``--sms-providers``), are asked for without
echo. A secret is created when missing, updated when the given values differ (read back
only to compare), and kept otherwise; no value is ever printed.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

from .provision import Change, _import_path, client
from .tables import ROOT, stage_env


def prefix(stage: str, project_dir: Path = ROOT) -> str:
    value = stage_env(stage, project_dir).get("VERIKIT_SMS_SECRETS_PREFIX") or f"verikit/{stage}/sms/"
    return value if value.endswith("/") else value + "/"


def fields() -> dict:
    _import_path()
    from chalicelib.provider_secrets import ENV
    return ENV


def given(environ, ask: tuple = (), prompt=None) -> dict:
    """provider -> {field: value} for every provider whose credentials are all given (from
    ``environ``; asked for with ``prompt`` for the providers in ``ask``)."""
    out = {}
    for provider, spec in fields().items():
        values = {f: (environ.get(env) or "").strip() for f, env in spec.items()}
        if provider in ask:
            if prompt is None:
                if not sys.stdin.isatty():
                    missing = [spec[f] for f, v in values.items() if not v]
                    if missing:
                        raise SystemExit(f"error: {provider} needs {', '.join(missing)} (no terminal to ask on)")
                import getpass
                prompt = getpass.getpass
            for f, v in values.items():
                if not v:
                    values[f] = prompt(f"{provider} {f} ({spec[f]}): ").strip()
        if all(values.values()):
            out[provider] = values
        elif any(values.values()) and provider in ask:
            raise SystemExit(f"error: {provider}: every one of {', '.join(spec.values())} is needed")
    return out


def provision(stage: str, values: dict, sm=None, kms_key_id: str | None = None, project_dir: Path = ROOT) -> list:
    sm = sm or client("secretsmanager")
    base = prefix(stage, project_dir)
    changes = []
    for provider in fields():
        name = base + provider
        want = values.get(provider)
        try:
            current = sm.describe_secret(SecretId=name)
        except sm.exceptions.ResourceNotFoundException:
            current = None
        if want is None:
            if current is not None:
                changes.append(Change("secret", name, "unchanged", "kept"))
            continue
        body = json.dumps(want, sort_keys=True)
        if current is None:
            kw = {"Name": name, "SecretString": body, "Description": f"verikit {stage} {provider} SMS credentials",
                  "Tags": [{"Key": "verikit:stage", "Value": stage}]}
            if kms_key_id:
                kw["KmsKeyId"] = kms_key_id
            sm.create_secret(**kw)
            changes.append(Change("secret", name, "created", "Secrets Manager, from the environment"))
            continue
        old = sm.get_secret_value(SecretId=name).get("SecretString") or "{}"
        if json.loads(old) == want:
            changes.append(Change("secret", name, "unchanged", "same values"))
        else:
            sm.put_secret_value(SecretId=name, SecretString=body)
            changes.append(Change("secret", name, "updated", "new values from the environment"))
    return changes


def delete(stage: str, sm=None, project_dir: Path = ROOT) -> list:
    sm = sm or client("secretsmanager")
    changes = []
    for provider in fields():
        name = prefix(stage, project_dir) + provider
        try:
            sm.delete_secret(SecretId=name, RecoveryWindowInDays=7)
            changes.append(Change("secret", name, "deleted", "recoverable for 7 days"))
        except sm.exceptions.ResourceNotFoundException:
            pass
    return changes
