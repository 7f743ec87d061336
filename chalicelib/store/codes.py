"""The codes table: one live code per (app, purpose, target), stored as a keyed hash."""
from __future__ import annotations

import random
import time
from datetime import datetime, timezone
from typing import Optional

from pynamodb.attributes import NumberAttribute, TTLAttribute, UnicodeAttribute
from pynamodb.exceptions import DeleteError, TransactWriteError, UpdateError
from pynamodb.indexes import GlobalSecondaryIndex, KeysOnlyProjection
from pynamodb.models import Model
from pynamodb.transactions import TransactWrite

from ..core.codes import CodeRecord, StoredCode
from ..core.errors import Conflict, RateLimited
from ..core.service import MISSING
from .base import BaseMeta, connection, table_name
from .counters import CounterModel, charge_update

# a consumed or dead code is kept a while for audit, then DynamoDB removes it
KEEP_AFTER_EXPIRY = 24 * 3600
TXN_RETRIES = 4


class LookupIndex(GlobalSecondaryIndex):
    """Finds a live code by its keyed hash, for purposes verified by the code alone."""

    class Meta:
        index_name = "by_lookup"
        projection = KeysOnlyProjection()

    lookup = UnicodeAttribute(hash_key=True)


class CodeModel(Model):
    class Meta(BaseMeta):
        table_name = table_name("codes")

    pk = UnicodeAttribute(hash_key=True)
    app_id = UnicodeAttribute()
    purpose = UnicodeAttribute()
    target = UnicodeAttribute()
    channel = UnicodeAttribute()
    code_hash = UnicodeAttribute()
    lookup = UnicodeAttribute(null=True)
    created_at = NumberAttribute()
    expires_at = NumberAttribute()
    attempts = NumberAttribute(default=0)
    max_attempts = NumberAttribute()
    consumed_at = NumberAttribute(null=True)
    ttl = TTLAttribute(null=True)
    by_lookup = LookupIndex()


def _state(raw: Optional[dict]) -> StoredCode:
    if not raw:
        return MISSING
    item = CodeModel.from_raw_data(raw)
    return StoredCode(code_hash=item.code_hash, expires_at=int(item.expires_at),
                      attempts=int(item.attempts or 0), max_attempts=int(item.max_attempts),
                      consumed=item.consumed_at is not None)


class DynamoCodeStore:
    """``CodeStore`` over DynamoDB. Every rule is a condition on a write."""

    def issue(self, record: Optional[CodeRecord], charges: list, now: int) -> None:
        item = None if record is None else CodeModel(
            record.key, app_id=record.app_id, purpose=record.purpose, target=record.target,
            channel=record.channel, code_hash=record.code_hash, lookup=record.lookup_hash,
            created_at=record.created_at, expires_at=record.expires_at, attempts=0,
            max_attempts=record.max_attempts,
            ttl=datetime.fromtimestamp(record.expires_at + KEEP_AFTER_EXPIRY, tz=timezone.utc),
        )
        if item is None and not charges:
            return
        for attempt in range(TXN_RETRIES):
            try:
                with TransactWrite(connection=connection()) as tx:
                    if item is not None:
                        tx.save(item)  # replaces the previous code for this key (attempts reset)
                    for charge in charges:
                        actions, condition = charge_update(charge, now)
                        tx.update(CounterModel(charge.key), actions=actions, condition=condition)
                return
            except TransactWriteError as e:
                # pynamodb sends puts before updates: the code first, then the charges
                reasons = (e.cancellation_reasons or [])[1 if item is not None else 0:]
                for charge, reason in zip(charges, reasons):
                    if reason is not None and reason.code == "ConditionalCheckFailed":
                        raise RateLimited(f"rate limit reached: {charge.name}", charge.name,
                                          charge.retry_after(now)) from None
                if any(r is not None and r.code == "TransactionConflict" for r in e.cancellation_reasons or []):
                    time.sleep(random.uniform(0.01, 0.05) * (attempt + 1))
                    continue
                raise
        raise Conflict("too many concurrent requests for this number; try again")

    def consume(self, key: str, code_hash: str, now: int) -> Optional[StoredCode]:
        conn = CodeModel._get_connection()
        condition = ((CodeModel.code_hash == code_hash) & (CodeModel.expires_at > now)
                     & CodeModel.consumed_at.does_not_exist()
                     & (CodeModel.attempts < CodeModel.max_attempts))
        kwargs = conn.get_operation_kwargs(
            key, actions=[CodeModel.consumed_at.set(now)], condition=condition,
            return_values_on_condition_failure="ALL_OLD")
        client = conn.connection.client
        try:
            client.update_item(**kwargs)
            return None
        except client.exceptions.ConditionalCheckFailedException as e:
            return _state(e.response.get("Item"))

    def count_failure(self, key: str, code_hash: str) -> None:
        try:
            CodeModel(key).update(
                actions=[CodeModel.attempts.add(1)],
                condition=(CodeModel.code_hash == code_hash) & CodeModel.consumed_at.does_not_exist()
                & (CodeModel.attempts < CodeModel.max_attempts))
        except UpdateError as e:  # replaced, used or dead meanwhile: nothing left to count
            if e.cause_response_code != "ConditionalCheckFailedException":
                raise

    def discard(self, key: str, code_hash: str) -> None:
        try:
            CodeModel(key).delete(condition=CodeModel.code_hash == code_hash)
        except DeleteError as e:
            if e.cause_response_code != "ConditionalCheckFailedException":
                raise
