"""An app's configuration as the engine sees it: settings, templates, test numbers.

Providers return an immutable ``AppConfig`` snapshot; the DynamoDB provider caches it
in-process for a short time (a cache, never a source of truth for a limit).
"""
from __future__ import annotations

import json
from dataclasses import field
from typing import Mapping, Optional, Protocol

from .errors import InvalidRequest
from .record import Record
from .settings import Settings
from .templates import Template


# sort keys of the config table's items, per app
SETTINGS = "settings"
TEMPLATE = "template#"
TEST_NUMBER = "testnumber#"
WEBHOOKS = "webhooks"  # the event types some enabled webhook endpoint wants (admin_webhooks keeps it)


class AppConfig(Record, frozen=True):
    settings: Settings = field(default_factory=Settings)
    templates: Mapping[str, Template] = field(default_factory=dict)
    # E.164 -> keyed hash of the fixed code
    test_numbers: Mapping[str, str] = field(default_factory=dict)
    # event types an enabled webhook endpoint subscribes to ("*": all): read with the rest of
    # the config, so an event nobody wants costs no read at all (hooks/dispatch.py)
    webhook_events: frozenset = frozenset()

    def template(self, name: str) -> Optional[Template]:
        return self.templates.get(name)


class ConfigProvider(Protocol):
    def get(self, app_id: str) -> AppConfig: ...


class StaticConfig:
    """Fixed for the life of the process: defaults plus ``VERIKIT_SETTINGS`` (JSON)."""

    def __init__(self, config: AppConfig | None = None):
        self._config = config or AppConfig()

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> "StaticConfig":
        return cls(AppConfig(settings=settings_from_env(environ)))

    def get(self, app_id: str) -> AppConfig:
        return self._config


def settings_from_env(environ: Mapping[str, str], base: Settings | None = None) -> Settings:
    raw = environ.get("VERIKIT_SETTINGS", "").strip()
    if not raw:
        return base or Settings()
    try:
        overrides = json.loads(raw)
    except ValueError as e:
        raise InvalidRequest(f"VERIKIT_SETTINGS is not valid JSON: {e}") from None
    if not isinstance(overrides, dict):
        raise InvalidRequest("VERIKIT_SETTINGS must be a JSON object")
    return Settings.from_mapping(overrides, base)
