"""The send log: every message attempt, kept ``send_log_retention_days`` (TTL).

Entries hold a masked number and a keyed hash of it (so an admin can query by number
without the log storing numbers), never the code.
"""
from __future__ import annotations

import logging

import secrets
from datetime import datetime, timezone

from pynamodb.attributes import NumberAttribute, TTLAttribute, UnicodeAttribute
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

from ..core.ports import LogEntry
from .base import SharedConnection, BaseMeta, table_name


class ByApp(GlobalSecondaryIndex):
    class Meta:
        index_name = "by_app"
        projection = AllProjection()

    app_id = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)


class SendLogModel(SharedConnection, Model):
    class Meta(BaseMeta):
        kind = "sendlog"  # deploy/tables.py names the table and its VERIKIT_<KIND>_TABLE by this
        table_name = table_name("sendlog")

    pk = UnicodeAttribute(hash_key=True)      # app#<keyed hash of the number>
    sk = UnicodeAttribute(range_key=True)     # <epoch ms, 13 digits>#<random>
    app_id = UnicodeAttribute()
    to = UnicodeAttribute()                   # masked
    channel = UnicodeAttribute()
    purpose = UnicodeAttribute()
    template = UnicodeAttribute(null=True)
    outcome = UnicodeAttribute()
    provider_id = UnicodeAttribute(null=True)
    provider = UnicodeAttribute(null=True)    # who carried the attempt: sns, aliyun, tencent, ...
    error = UnicodeAttribute(null=True)
    at = NumberAttribute()
    count = NumberAttribute(null=True)        # refused sends this entry stands for (>1 only)
    ttl = TTLAttribute(null=True)
    by_app = ByApp()


def _sk(ms: int) -> str:
    return f"{ms:013d}"


class DynamoSendLog:
    def record(self, e: LogEntry) -> None:
        """Best effort: the message is already sent (or refused) when this runs, so a send log
        write that DynamoDB throttles or times out is logged, never turned into an error that
        would make the client send again."""
        try:
            self._put(e)
        except Exception as exc:  # noqa: BLE001
            from .. import aws, log
            if not aws.transient(exc):
                raise
            log.event(logging.WARNING, error="send_log_not_written", type=type(exc).__name__)

    def stage(self, e: LogEntry) -> tuple:
        """(the entry's ``Put`` for the send's own transaction, its key): the entry is
        written with the code and the counters, in the same round trip."""
        from .base import put_kwargs
        m = self._model(e)
        return ("log", "Put", put_kwargs(m)), (m.pk, m.sk)

    def failed_op(self, key: tuple, error: str) -> tuple:
        """The staged entry's outcome becomes ``failed`` (the provider refused the message):
        joins the compensating write of the send."""
        from .base import update_kwargs
        m = SendLogModel(*key)
        return ("log", "Update", update_kwargs(m, [SendLogModel.outcome.set("failed"),
                                                  SendLogModel.error.set(error[:500] or "failed")]))

    def discard_op(self, key: tuple) -> tuple:
        """The staged entry goes (nothing was sent: a check after the write refused)."""
        from .base import delete_kwargs
        return ("log", "Delete", delete_kwargs(SendLogModel(*key)))

    def _put(self, e: LogEntry) -> None:
        self._model(e).save()

    def _model(self, e: LogEntry) -> "SendLogModel":
        ms = int(e.at * 1000)
        return SendLogModel(
            f"{e.app_id}#{e.to_key}", f"{_sk(ms)}#{secrets.token_hex(4)}",
            app_id=f"{e.app_id}#{secrets.randbelow(LOG_SHARDS)}",
            to=e.to_masked, channel=e.channel, purpose=e.purpose, template=e.template or None,
            outcome=e.outcome, provider_id=e.provider_id or None, provider=e.provider or None, error=e.error or None, at=e.at,
            count=e.count if e.count > 1 else None,
            ttl=datetime.fromtimestamp(e.at + e.retention_days * 86400, tz=timezone.utc),
        )

    def query(self, app_id: str, to_key: str | None, since: float, until: float, limit: int) -> list:
        return self.page(app_id, to_key, since, until, limit)[0]

    def page(self, app_id: str, to_key: str | None, since: float, until: float, limit: int,
             start: dict | None = None) -> tuple:
        """(entries, newest first; the key to continue after the last one, or None when no
        entry follows: a page ending exactly at the last entry has no empty page after it)."""
        lo, hi = _sk(int(since * 1000)), _sk(int(until * 1000)) + "~"
        before = start.get("before") if isinstance(start, dict) else None
        if isinstance(before, str) and before[:13].isdigit():
            hi = min(hi, before)
        if to_key:
            parts = [(SendLogModel.query, f"{app_id}#{to_key}")]
        else:  # the app's partitions of the by_app index, merged by time
            parts = [(SendLogModel.by_app.query, p) for p in partitions(app_id)]
        found = []
        for query, key in parts:
            for m in query(key, SendLogModel.sk.between(lo, hi), scan_index_forward=False, limit=limit + 1):
                if m.sk != before:
                    found.append(m)
        found.sort(key=lambda m: m.sk, reverse=True)
        more = len(found) > limit
        found = found[:limit]
        out = [{"to": m.to, "channel": m.channel, "purpose": m.purpose, "template": m.template,
                "outcome": m.outcome, "provider": m.provider, "provider_message_id": m.provider_id, "error": m.error,
                "count": int(m.count or 1),
                "sent_at": datetime.fromtimestamp(m.at, tz=timezone.utc)
                .isoformat(timespec="milliseconds").replace("+00:00", "Z")} for m in found]
        return out, ({"before": found[-1].sk} if more else None)


# the by_app index's partition key of an app is split over this many values (``<app>#<n>``,
# one drawn per entry), so a busy app's log writes are not capped at one partition's ~1000
# writes/s; reads merge them by time (entries written before the split: ``<app>``)
LOG_SHARDS = 8


def partitions(app_id: str) -> list:
    return [app_id] + [f"{app_id}#{n}" for n in range(LOG_SHARDS)]
