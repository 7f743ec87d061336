"""The config table: per app one settings document, one item per template and one per
test number, each with a version. Read as one Query and cached in-process briefly."""
from __future__ import annotations

import os
import threading
import time
from typing import Optional

from pynamodb.attributes import JSONAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import PutError
from pynamodb.models import Model

from ..core.config import SETTINGS, TEMPLATE, TEST_NUMBER, WEBHOOKS, AppConfig, settings_from_env
from ..core.errors import Conflict
from ..core.settings import Settings
from ..core.templates import Template
from .base import SharedConnection, BaseMeta, table_name



class ConfigModel(SharedConnection, Model):
    class Meta(BaseMeta):
        kind = "config"  # deploy/tables.py names the table and its VERIKIT_<KIND>_TABLE by this
        table_name = table_name("config")

    app_id = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    doc = JSONAttribute(null=True)
    version = NumberAttribute(default=0)
    updated_at = NumberAttribute(null=True)


def template_of(name: str, doc: dict, version: int) -> Template:
    return Template(name, doc.get("channel", "sms"), doc.get("body", ""), doc.get("locales") or {}, version,
                    subject=doc.get("subject", ""), html=doc.get("html", ""))


class DynamoConfig:
    """``ConfigProvider`` over the config table, plus the writes the admin API makes.

    The snapshot is cached for ``VERIKIT_CONFIG_CACHE_SECONDS`` (default 10): a warm Lambda
    does not read config on every request. The instance that writes refreshes at once;
    others see a change within the cache time.
    """

    def __init__(self, cache_seconds: Optional[float] = None, environ=os.environ):
        self.cache_seconds = float(cache_seconds if cache_seconds is not None
                                   else environ.get("VERIKIT_CONFIG_CACHE_SECONDS", "10"))
        # deploy-time defaults: VERIKIT_SETTINGS over the built-in defaults
        self.base = settings_from_env(environ)
        self._cache: dict = {}
        self._lock = threading.Lock()

    # -- reads --
    def get(self, app_id: str) -> AppConfig:
        hit = self._cache.get(app_id)
        if hit is not None and hit[0] > time.monotonic():
            return hit[1]
        return self.refresh(app_id)

    def refresh(self, app_id: str) -> AppConfig:
        settings, templates, tests, webhook_events = self.base, {}, {}, frozenset()
        for item in ConfigModel.query(app_id, consistent_read=True):
            if item.sk == SETTINGS:
                # validated on write; re-validated here so a bad hand edit cannot crash sends
                settings = Settings.from_mapping(item.doc or {}, self.base)
            elif item.sk.startswith(TEMPLATE):
                name = item.sk[len(TEMPLATE):]
                d = item.doc or {}
                templates[name] = template_of(name, d, int(item.version))
            elif item.sk.startswith(TEST_NUMBER):
                tests[item.sk[len(TEST_NUMBER):]] = (item.doc or {}).get("code_hash", "")
            elif item.sk == WEBHOOKS:
                webhook_events = frozenset((item.doc or {}).get("events") or ())
        config = AppConfig(settings=settings, templates=templates, test_numbers=tests, webhook_events=webhook_events)
        with self._lock:
            self._cache[app_id] = (time.monotonic() + self.cache_seconds, config)
        return config

    def settings_doc(self, app_id: str) -> tuple:
        try:
            item = ConfigModel.get(app_id, SETTINGS, consistent_read=True)
            return dict(item.doc or {}), int(item.version)
        except ConfigModel.DoesNotExist:
            return {}, 0

    # -- writes (admin) --
    def patch_settings(self, app_id: str, patch: dict) -> Settings:
        """Merge ``patch`` into the stored overrides, validate, and write only if nobody
        else wrote in between (version check). Unknown keys or bad values store nothing."""
        for _ in range(3):
            doc, version = self.settings_doc(app_id)
            merged = {**doc, **patch}
            settings = Settings.from_mapping(merged, self.base)
            stored = {k: v for k, v in settings.to_dict().items() if k in merged}
            item = ConfigModel(app_id, SETTINGS, doc=stored, version=version + 1, updated_at=int(time.time()))
            cond = ConfigModel.version.does_not_exist() if version == 0 else ConfigModel.version == version
            try:
                item.save(condition=cond)
            except PutError as e:
                if e.cause_response_code == "ConditionalCheckFailedException":
                    continue
                raise
            self.refresh(app_id)
            return settings
        raise Conflict("settings are being changed concurrently; try again")

    def put(self, app_id: str, sk: str, doc: dict) -> int:
        """Create or replace an item, bumping its version atomically."""
        item = ConfigModel(app_id, sk)
        item.update(actions=[ConfigModel.doc.set(doc), ConfigModel.version.add(1),
                             ConfigModel.updated_at.set(int(time.time()))])
        self.refresh(app_id)
        return int(item.version)

    def delete(self, app_id: str, sk: str) -> bool:
        from pynamodb.exceptions import DeleteError
        try:
            ConfigModel(app_id, sk).delete(condition=ConfigModel.sk.exists())
        except DeleteError as e:
            if e.cause_response_code == "ConditionalCheckFailedException":
                return False
            raise
        self.refresh(app_id)
        return True

    def items(self, app_id: str, prefix: str) -> list:
        return list(ConfigModel.query(app_id, ConfigModel.sk.startswith(prefix), consistent_read=True))
