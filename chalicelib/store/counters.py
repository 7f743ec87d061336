"""The counters table: rate-limit counters and cooldowns, each expiring by TTL."""
from __future__ import annotations

import dataclasses
import random
import time
from datetime import datetime, timezone

from pynamodb.attributes import NumberAttribute, TTLAttribute, UnicodeAttribute
from pynamodb.models import Model

from .base import BaseMeta, Cancelled, SharedConnection, connection, table_name, transact, update_kwargs

# counters outlive their window a little so that a late read still sees them
TTL_SLACK = 3600


class CounterModel(SharedConnection, Model):
    class Meta(BaseMeta):
        kind = "counters"  # deploy/tables.py names the table and its VERIKIT_<KIND>_TABLE by this
        table_name = table_name("counters")

    pk = UnicodeAttribute(hash_key=True)
    n = NumberAttribute(null=True)        # sends in the window (fixed-window counters: the app's budgets)
    # sliding counters (the per-key limits) hold n<k> / t<k> per window k instead: store/windows.py
    until = NumberAttribute(null=True)    # epoch seconds the cooldown ends (cooldowns)
    ttl = TTLAttribute(null=True)


def refused(charge, now: int, old_item: dict | None):
    """The RateLimited of a charge whose condition failed, with the real wait: a cooldown
    reports when the stored one ends, not a full new cooldown."""
    from ..core.errors import RateLimited

    if charge.window and not charge.cooldown:  # a sliding counter: when its estimate has room
        from .windows import seen
        charge = dataclasses.replace(charge, seen=seen(old_item))
    retry = charge.retry_after(now)
    if charge.cooldown and old_item and "until" in old_item:
        retry = max(1, int(old_item["until"]["N"]) - now)
    return RateLimited(f"rate limit reached: {charge.name}", charge.name, retry)


def charge_update(charge, now: int):
    """(actions, condition) that charge ``charge`` atomically, or fail its condition.

    A (fixed-window) counter is ``ADD n 1`` only while ``n < limit``; a cooldown is ``SET
    until`` only once the previous one has passed. Neither is ever read first. (Sliding
    counters: ``store/windows.py``.)
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
    a refused one reports the item as it was (when its cooldown ends). A sharded counter
    is charged on one of its shards (see ``Sharded``)."""
    ops, lane = [], next_lane()
    for i, c in enumerate(charges):
        a = sharded(c)
        ops += _ops_of(i, a, a.pick(lane), now)
    return ops


def _ops_of(i: int, a, shard: int, now: int) -> list:
    """A charge's write, and the ``ConditionCheck`` that may come with it (the fraud guard
    asserts what it assumed of an item it does not write: store/guard_items.py)."""
    a.last_shard = shard
    out = [(i, "Update", a.op(shard, now))]
    extra = getattr(a, "companion", None)
    check = extra() if extra is not None else None
    if check is not None:
        out.append((("check", i), "ConditionCheck", check))
    return out


def _replace(ops: list, i: int, new: list) -> list:
    kept = [op for op in ops if op[0] != i and op[0] != ("check", i)]
    return kept + new


def commit(ops: list, charges: list, now: int, retries: int = 4) -> None:
    """Run ``ops`` (which include ``charge_ops(charges)``) as one write. A refused charge
    raises RateLimited; another failed condition re-raises ``Cancelled`` for the caller;
    a transaction conflict is retried with a little backoff. A refused shard of a sharded
    counter is not a refusal yet: the send reads every shard once and moves to one with
    room, and is refused only when none has any (so the limit holds exactly, and nobody is
    refused while the counter as a whole has room, unless racing sends take it first)."""
    from ..core.errors import Conflict

    attempt = rounds = 0
    while True:
        try:
            transact(ops)
            STATS["commits"] += 1
            return
        except Cancelled as e:
            learnt = _learn(e, ops, charges, now)
            if learnt is not None:
                ops = learnt
                continue
            hit = sorted(t for t in e.failed if isinstance(t, int))
            if hit:
                i = hit[0]
                a = sharded(charges[i])
                if a.shards > 1 and rounds < SHARD_ROUNDS:
                    rounds += 1
                    STATS["shard_moves"] += 1
                    shard = reroute(a)
                    if shard is not None:
                        ops = _replace(ops, i, _ops_of(i, a, shard, now))
                        continue
                raise a.refused(now, e.items.get(i)) from None
            if e.failed:
                raise
            STATS["conflicts"] += 1
            attempt += 1
            if attempt >= retries:
                raise Conflict("too many concurrent requests; try again")
            time.sleep(random.uniform(0.01, 0.05) * attempt)


def _learn(e, ops: list, charges: list, now: int):
    """Charges that assumed something (the guard's cached closed buckets) learn from the
    items the cancellation returned; the ops to try again, or None when a verdict refused."""
    failed = [(t, "today") if isinstance(t, int) else (t[1], "yesterday")
              for t in e.failed if isinstance(t, int) or (isinstance(t, tuple) and t[0] == "check")]
    learners = [(i, which) for i, which in failed if hasattr(sharded(charges[i]), "learn")]
    if not learners or len(learners) != len(failed):
        return None
    for i, which in learners:
        tag = i if which == "today" else ("check", i)
        if not sharded(charges[i]).learn(which, e.items.get(tag)):
            return None
    for i in {i for i, _ in learners}:
        a = sharded(charges[i])
        ops = _replace(ops, i, _ops_of(i, a, a.pick(next_lane()), now))
    for i, c in enumerate(charges):  # a charge a learner changed (the would-block count)
        if getattr(c, "dirty", False):
            c.dirty = False
            ops = _replace(ops, i, _ops_of(i, sharded(c), getattr(c, "last_shard", 0), now))
    STATS["guard_relearn"] += 1
    return ops


# process-wide tallies the benchmark reads (transactions, conflict retries, shard moves)
STATS = {"commits": 0, "conflicts": 0, "shard_moves": 0, "guard_relearn": 0}
# how many times one write may move to another shard before it is refused
SHARD_ROUNDS = 3


class Sharded:
    """A charge as written to DynamoDB: on its one item, or on one of ``shards`` items
    that each hold a share of the limit. Guard charges (``store.stats``) implement the
    same methods."""

    table = None  # the pynamodb model whose table holds the items

    def __init__(self, charge):
        from ..core.limits import share

        self.charge, self.shards = charge, max(1, charge.shards)
        self.cut = bool(charge.cut_key) and charge.cut_key in _cuts
        if self.cut:  # the limit was cut: one item holds the whole counter
            self.shards = 1
        self.limits = [share(charge.limit, self.shards, i) for i in range(self.shards)] if self.shards > 1 \
            else [charge.limit]
        self.live = [i for i, n in enumerate(self.limits) if n > 0] or [0]
        self.table = CounterModel

    def key(self, shard: int) -> dict:
        if self.cut:
            return {"pk": {"S": self.charge.cut_key}}
        pk = self.charge.key if self.shards == 1 else f"{self.charge.key}#{shard}"
        return {"pk": {"S": pk}}

    def companion(self):
        """A sharded counter that can be cut asserts that it has not been (a ``ConditionCheck``
        on the cut item; no read, no round trip)."""
        if not self.charge.cut_key or self.cut:
            return None
        return {"TableName": CounterModel.Meta.table_name, "Key": {"pk": {"S": self.charge.cut_key}},
                "ConditionExpression": "attribute_not_exists(pk)"}

    def learn(self, which: str, item) -> bool:
        if which == "yesterday" and self.charge.cut_key:  # the cut item exists: it is the counter now
            _cuts.add(self.charge.cut_key)
            return True
        return False

    def pick(self, lane: int | None = None) -> int:
        if self.cut:
            return 0
        return self.live[0] if len(self.live) == 1 else pick(self.live, lane)

    def op(self, shard: int, now: int) -> dict:
        limit = self.charge.limit if self.cut else self.limits[shard]
        c = dataclasses.replace(self.charge, key=self.key(shard)["pk"]["S"], limit=limit, shards=1)
        if c.window and not c.cooldown:
            from .windows import charge_kwargs
            return charge_kwargs(CounterModel.Meta.table_name, c, now, TTL_SLACK)
        return update_kwargs(CounterModel(c.key), *charge_update(c, now), return_old=True)

    def has_room(self, shard: int, item: dict | None) -> bool:
        n = int(item["n"]["N"]) if item and "n" in item else 0
        return n < self.limits[shard]

    def refused(self, now: int, old_item: dict | None):
        return refused(self.charge, now, old_item)


def sharded(charge):
    return charge if hasattr(charge, "has_room") else Sharded(charge)


# cut items known to exist (a fact for the rest of their day: a cache, the condition rules)
_cuts: set = set()
CUT_HOLD = 10 ** 12


def cut(charge, now: int) -> None:
    """Lower a sharded counter's limit mid-window exactly: the counter becomes one item
    holding the shards' sum. (1) the cut item is created full, so every send is refused for
    the moment this takes (each send asserts that it does not exist, and now charges it);
    (2) the shards are read consistently: no send can change them any more; (3) the cut
    item is set to their sum. The new limit then holds on the sum."""
    from .base import Cancelled, transact

    expire = int(charge.window_end + TTL_SLACK)
    key = {"pk": {"S": charge.cut_key}}
    table = CounterModel.Meta.table_name
    try:
        transact([("cut", "Put", {"TableName": table, "Item": {**key, "n": {"N": str(CUT_HOLD)}, "ttl": {"N": str(expire)}},
                                  "ConditionExpression": "attribute_not_exists(pk)"})])
    except Cancelled:
        return  # cut already today: the one item counts everything, under the new limit
    a = Sharded(dataclasses.replace(charge, cut_key=""))
    total = sum(int(i["n"]["N"]) for i in read_items(table, [a.key(s) for s in range(a.shards)]) if i and "n" in i)
    connection().client.update_item(TableName=table, Key=key, UpdateExpression="SET n = :n",
                                    ConditionExpression="n = :hold",
                                    ExpressionAttributeValues={":n": {"N": str(total)}, ":hold": {"N": str(CUT_HOLD)}})
    _cuts.add(charge.cut_key)


_turn = [random.randrange(1 << 30)]


def next_lane() -> int:
    """The next lane in turn: every sharded item one write touches takes the shard of its
    lane, so two writes share a sharded item only when they share a lane (~1 in 50), not
    once per sharded counter. Each process starts at a random place, so thousands of
    instances together spread their writes evenly (a cache of where we are, not a rule)."""
    _turn[0] += 1
    return _turn[0]


def pick(shards: list, lane: int | None = None) -> int:
    """The shard of ``lane`` among ``shards`` (those with room), the next lane if none."""
    lane = next_lane() if lane is None else lane
    return shards[lane % len(shards)]


def read_items(table: str, keys: list, consistent: bool = True) -> list:
    """Reads of ``keys`` (raw DynamoDB keys) in as few ``BatchGetItem`` calls as fit (100
    keys each); items in the order of ``keys`` (None where absent)."""
    client = connection().client
    found: dict = {}
    todo = [k for k in keys]
    for start in range(0, len(todo), 100):
        request = {table: {"Keys": todo[start:start + 100], "ConsistentRead": consistent}}
        for _ in range(5):
            resp = client.batch_get_item(RequestItems=request)
            for item in resp.get("Responses", {}).get(table, []):
                found[_key_id(item)] = item
            request = resp.get("UnprocessedKeys") or {}
            if not request:
                break
    return [found.get(_key_id(k)) for k in keys]


def _key_id(item: dict) -> tuple:
    return (item["pk"]["S"], item.get("sk", {}).get("S", ""))


def reroute(a) -> int | None:
    """A shard of ``a`` that has room now (one consistent read of every shard), if any."""
    keys = [a.key(i) for i in a.live]
    items = read_items(a.table.Meta.table_name, keys)
    room = [i for i, item in zip(a.live, items) if a.has_room(i, item)]
    return random.choice(room) if room else None


class DynamoLimiter:
    """``core.limits.Limiter`` over the counters table: one conditional write per charge
    (a transaction when there are several), never a read."""

    def charge(self, charges: list, now: int) -> None:
        if charges:
            commit(charge_ops(charges, now), charges, now)

    def clear(self, charge) -> None:
        CounterModel(charge.key).delete()

    def look(self, charge):
        """``charge`` with its counter as it is (``seen``; a consistent read; sliding counters)."""
        from .windows import seen
        item = connection().client.get_item(TableName=CounterModel.Meta.table_name, Key={"pk": {"S": charge.key}},
                                            ConsistentRead=True).get("Item")
        return dataclasses.replace(charge, seen=seen(item))

    def peek(self, charge, now: int | None = None) -> int:
        """How much of ``charge`` is used at ``now`` (a consistent read; admin views and
        tests). A sliding counter at ``now`` (by default, the start of its window)."""
        if charge.window:
            return self.look(charge).used(charge.window_end - charge.window if now is None else now)
        try:
            return int(CounterModel.get(charge.key, consistent_read=True).n or 0)
        except CounterModel.DoesNotExist:
            return 0
