"""The counters table: rate-limit counters and cooldowns, each expiring by TTL."""
from __future__ import annotations

import random
import time
from datetime import datetime, timezone

from pynamodb.attributes import NumberAttribute, TTLAttribute, UnicodeAttribute
from pynamodb.models import Model

from .base import BaseMeta, Cancelled, SharedConnection, table_name, transact, update_kwargs

# counters outlive their window a little so that a late read still sees them
TTL_SLACK = 3600


class CounterModel(SharedConnection, Model):
    class Meta(BaseMeta):
        table_name = table_name("counters")

    pk = UnicodeAttribute(hash_key=True)
    n = NumberAttribute(null=True)        # sends in the window (counters)
    until = NumberAttribute(null=True)    # epoch seconds the cooldown ends (cooldowns)
    ttl = TTLAttribute(null=True)


def refused(charge, now: int, old_item: dict | None):
    """The RateLimited of a charge whose condition failed, with the real wait: a cooldown
    reports when the stored one ends, not a full new cooldown."""
    from ..core.errors import RateLimited

    retry = charge.retry_after(now)
    if charge.cooldown and old_item and "until" in old_item:
        retry = max(1, int(old_item["until"]["N"]) - now)
    return RateLimited(f"rate limit reached: {charge.name}", charge.name, retry)


def charge_update(charge, now: int):
    """(actions, condition) that charge ``charge`` atomically, or fail its condition.

    A counter is ``ADD n 1`` only while ``n < limit``; a cooldown is ``SET until`` only
    once the previous one has passed. Neither is ever read first.
    """
    expire = datetime.fromtimestamp(charge.window_end + TTL_SLACK, tz=timezone.utc)
    if charge.cooldown:
        actions = [CounterModel.until.set(charge.window_end), CounterModel.ttl.set(expire)]
        condition = CounterModel.until.does_not_exist() | (CounterModel.until <= now)
    else:
        actions = [CounterModel.n.add(1), CounterModel.ttl.set(expire)]
        condition = CounterModel.n.does_not_exist() | (CounterModel.n < charge.limit)
    return actions, condition


def charge_ops(charges: list, now: int) -> list:
    """Transaction operations charging each counter, tagged by its index in ``charges``;
    a refused one reports the item as it was (when its cooldown ends)."""
    return [(i, "Update", update_kwargs(CounterModel(c.key), *charge_update(c, now), return_old=True))
            for i, c in enumerate(charges)]


def commit(ops: list, charges: list, now: int, retries: int = 4) -> None:
    """Run ``ops`` (which include ``charge_ops(charges)``) as one write. A refused charge
    raises RateLimited; another failed condition re-raises ``Cancelled`` for the caller;
    a transaction conflict is retried with a little backoff."""
    from ..core.errors import Conflict

    for attempt in range(retries):
        try:
            transact(ops)
            return
        except Cancelled as e:
            hit = sorted(t for t in e.failed if isinstance(t, int))
            if hit:
                raise refused(charges[hit[0]], now, e.items.get(hit[0])) from None
            if e.failed:
                raise
            time.sleep(random.uniform(0.01, 0.05) * (attempt + 1))
    raise Conflict("too many concurrent requests; try again")


class DynamoLimiter:
    """``core.limits.Limiter`` over the counters table: one conditional write per charge
    (a transaction when there are several), never a read."""

    def charge(self, charges: list, now: int) -> None:
        if charges:
            commit(charge_ops(charges, now), charges, now)

    def clear(self, charge) -> None:
        CounterModel(charge.key).delete()

    def peek(self, charge) -> int:
        """How much of ``charge`` is used (a consistent read; admin views only)."""
        try:
            return int(CounterModel.get(charge.key, consistent_read=True).n or 0)
        except CounterModel.DoesNotExist:
            return 0
