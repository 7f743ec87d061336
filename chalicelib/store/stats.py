"""The stats table: sent / verified / blocked counters per day, for the fraud guard and for
``GET /admin/v1/stats``, written with atomic ``ADD`` (never read first) and kept by TTL.

Items live under ``pk = <app>#<YYYYMMDD>``; the sort key says what they count:

- ``c#<country>#<shard>``  a destination country (100 shards, taken in turn: every send to
  it writes one and every verification another, so none takes more than ~2% of a
  single-country app's flows; the opt-in country dimension reads them all in one
  ``BatchGetItem`` of 100 keys)
- ``a#<shard>``            the app-wide dimension (opt-in), the same way
- ``p#<prefix>``           a number prefix (the number without its last 3 digits)
- ``i#<ip>``               a client IP (IPv6 by /64; only while the guard uses it)
- ``n#<channel>#<shard>``, ``o#<purpose>#<shard>`` stats rows every send writes (sharded)

Attributes: ``s`` sent, ``v`` verified, ``u`` unverified (sent minus verified; a
verification counts in the window it happens in), ``b`` blocked by the guard, ``w`` would
have been blocked (``record`` mode), and per hour ``uHH`` / ``vHH``. The admin stats read
one partition per day with a ``Query`` (no scans); the guard reads the items of a send's
dimensions with one ``BatchGetItem`` and charges them in the send's own transaction,
under conditions that keep every dimension within its threshold.
"""
from __future__ import annotations

import threading
import time
from datetime import datetime, timezone
from typing import Optional

from pynamodb.attributes import TTLAttribute, UnicodeAttribute
from pynamodb.models import Model

from ..core import guard, limits
from .base import BaseMeta, Cancelled, SharedConnection, connection, table_name
from .counters import pick, read_items
from .guard_items import _num
from .stats_base import _region, _write
from .stats_rows import EMAIL, GROUPS, day_of, rows  # noqa: F401 (GROUPS: the admin route's groups)

DAY = 86400
STATS_KEEP_DAYS = 400   # country rows (country, channel, purpose: no number digits): a year of stats
# number-prefix rows hold 10 of a number's 13 digits: kept as long as the send log keeps its
# entries (send_log_retention_days), and at least the guard's window


def prefix_keep(s, now: int) -> int:
    return now - now % DAY + max(GUARD_KEEP_DAYS, s.send_log_retention_days) * DAY
GUARD_KEEP_DAYS = 3     # hour shards and IP rows: only the guard's windows need them
SHARDS = guard.COUNTRY_SHARDS


class StatsModel(SharedConnection, Model):
    class Meta(BaseMeta):
        kind = "stats"  # deploy/tables.py names the table and its VERIKIT_<KIND>_TABLE by this
        table_name = table_name("stats")

    pk = UnicodeAttribute(hash_key=True)   # <app>#<YYYYMMDD>
    sk = UnicodeAttribute(range_key=True)  # what is counted (see the module doc)
    ttl = TTLAttribute(null=True)


def _table() -> str:
    return StatsModel.Meta.table_name


def _n(item: Optional[dict], attr: str) -> float:
    return float(item[attr]["N"]) if item and attr in item else 0


class StatCharge:
    """One counter item written by a send, as the counters store's ``commit`` expects a
    charge: ``ADD`` of ``adds`` on one of ``shards`` items, under caps when the guard
    blocks (``caps``: attribute -> the cap of the whole counter, split over the shards)."""

    name = "fraud_guard"

    def __init__(self, pk: str, sk: str, adds: dict, keep_until: int, shards: int = 1,
                 caps: Optional[dict] = None, room: Optional[tuple] = None, dim: str = "", window: str = ""):
        self.pk, self.sk, self.adds, self.keep_until = pk, sk, adds, keep_until
        self.shards, self.caps = shards, caps or {}
        self.limits = {a: [limits.share(c, shards, i) for i in range(shards)] for a, c in self.caps.items()}
        self.live = list(room) if room else list(range(shards))
        self.dim, self.window = dim, window
        self.table = StatsModel

    def key(self, shard: int) -> dict:
        sk = self.sk if self.shards == 1 else f"{self.sk}#{shard}"
        return {"pk": {"S": self.pk}, "sk": {"S": sk}}

    def pick(self, lane: Optional[int] = None) -> int:
        return self.live[0] if len(self.live) == 1 else pick(self.live, lane)

    def op(self, shard: int, now: int) -> dict:
        names, values, adds = {"#t": "ttl"}, {":t": {"N": str(self.keep_until)}}, []
        for n, (attr, by) in enumerate(sorted(self.adds.items())):
            names[f"#a{n}"], values[f":a{n}"] = attr, {"N": _num(by)}
            adds.append(f"#a{n} :a{n}")
        kw = {"TableName": _table(), "Key": self.key(shard),
              "UpdateExpression": "ADD " + ", ".join(adds) + " SET #t = :t"}
        conds = []
        for n, attr in enumerate(sorted(self.caps)):
            names[f"#c{n}"], values[f":c{n}"] = attr, {"N": str(self.limits[attr][shard])}
            conds.append(f"(attribute_not_exists(#c{n}) OR #c{n} < :c{n})")
        if conds:
            kw["ConditionExpression"] = " AND ".join(conds)
        kw["ExpressionAttributeNames"], kw["ExpressionAttributeValues"] = names, values
        return kw

    def has_room(self, shard: int, item: Optional[dict]) -> bool:
        return all(_n(item, a) < lim[shard] for a, lim in self.limits.items())

    def refused(self, now: int, old_item):
        return guard.FraudBlocked(self.dim or "country", self.window or "day")


class SendPlan:
    """What the guard decided for one send, and the counters the send writes."""

    def __init__(self, mode: str, verdicts: list, charges: list, blocked_ops: list, labels: dict):
        self.mode, self.verdicts, self.charges, self.blocked_ops, self.labels = mode, verdicts, charges, blocked_ops, labels

    @property
    def refusal(self):
        """The first verdict read before the send that refuses, if any (sharded dimensions:
        country, app; the others refuse inside the send's transaction)."""
        return next((v for v in self.verdicts if not v.allowed), None)

    @property
    def would_block(self) -> bool:
        return self.refusal is not None or any(getattr(c, "would", False) for c in self.charges)

    def giveback_ops(self) -> list:
        """The message did not go out: the unverified counts it added go back."""
        return [c.giveback_op() for c in self.charges if hasattr(c, "giveback_op")]


# yesterday's items no longer change once the day is a few minutes old: keep them
_yesterday: dict = {}
YESTERDAY_SETTLED = 300
BASELINE_SECONDS = 3600      # how long an instance keeps a country's baseline
BLOCKED_FLUSH_SECONDS = 60   # blocked sends are counted in memory, written at most this often
# blocked sends not yet written, per process: (pk, sk) -> {attr: n}
_PENDING: dict = {"rows": {}, "since": None, "now": 0}
_LOCK = threading.Lock()


def reset() -> None:
    """Forget blocked counts not yet written and the caches of items (tests that recreate
    the tables)."""
    from . import counters, guard_items
    with _LOCK:
        _PENDING.update(rows={}, since=None, now=0)
    counters._cuts.clear()
    for cache in (guard_items._closed, guard_items._prev, guard_items._today_v, _yesterday):
        cache.clear()


class DynamoStats:
    """The guard's counters and the admin stats over the stats table."""

    def __init__(self):
        self._base: dict = {}       # app -> (until, the baseline document)
        self._lock = _LOCK

    # -- calibration --
    def baseline(self, app_id: str, s, country: str, now: int) -> Optional[guard.Baseline]:
        """The country's sends and verified codes over the last ``fraud_learn_days`` days.

        Kept in one item per app (``<app>#base`` / ``base``: a map of countries), recomputed
        from the stats rows (one ``Query`` per day) by the first instance that finds it
        older than an hour (a conditional write, so one instance an hour does it); every
        instance reads it once an hour (one ``GetItem``, on its first send)."""
        if not country or not (s.fraud_learn_verifications or s.fraud_baseline_percent):
            return None
        hit = self._base.get(app_id)
        if hit is None or hit[0] <= now:
            from .stats_base import load
            hit = (now + BASELINE_SECONDS, load(_table(), app_id, s.fraud_learn_days, now, BASELINE_SECONDS))
            with self._lock:
                self._base[app_id] = hit
        row = hit[1].get("c", {}).get(country)  # a country first seen since: learning
        return guard.Baseline(int(row[0]), int(row[1]), bool(row[2])) if row else guard.Baseline()

    # -- sends --
    def plan(self, app_id: str, s, channel: str, purpose: str, e164: Optional[str], country: str,
             client_ip: Optional[str], now: int) -> SendPlan:
        """The charges that count the send and, for the guard's dimensions in force, judge
        it: the number prefix and client IP by conditions of the send's own write (no
        read: store/guard_items.py); the sharded country and app dimensions (opt-in) by
        one ``BatchGetItem`` first and caps on their shards. A country the stage is still
        learning is only recorded (``fraud_learn_*``)."""
        from .guard_items import DimCharge

        day, yday = day_of(now), day_of(now - DAY)
        pk, ypk = f"{app_id}#{day}", f"{app_id}#{yday}"
        hour, frac = int(now % DAY) // 3600, (now % 3600) / 3600
        hh = f"{hour:02d}"
        keep_stats, keep_guard = now - now % DAY + STATS_KEEP_DAYS * DAY, now - now % DAY + GUARD_KEEP_DAYS * DAY
        base = self.baseline(app_id, s, country, now) if (e164 and s.fraud_guard != "off") else None
        dims = guard.dimensions(s, e164, country, client_ip, base) if e164 else []
        mode = s.fraud_guard if dims else "off"
        learning = not guard.learned(s, base)
        sharded = [d for d in dims if d.shards > 1]
        verdicts = self._evaluate(sharded, pk, ypk, hh, hour, frac, now) if sharded else []
        by = {v.dim.name: v for v in verdicts}
        block_country = mode == "block" and not learning
        would = any(not v.allowed for v in verdicts)
        sent = {"s": 1, "u": 1, "u" + hh: 1}
        place = (country or "ZZ") if e164 else EMAIL
        row = {**sent, f"s_ch_{channel}": 1, f"s_pu_{purpose}": 1}
        if would and (mode == "record" or not block_country):
            row["w"] = 1
        v = by.get("country")
        capped = v is not None and block_country
        charges = [StatCharge(pk, f"c#{place}", row, keep_stats, SHARDS,
                              {"u": v.cap_day, "u" + hh: v.cap_hour} if capped else None,
                              _rooms(v) if capped else None, "country", v.window if v else "day")]
        blocked = [(pk, f"c#{place}", {"b": 1, f"b_ch_{channel}": 1, f"b_pu_{purpose}": 1}, keep_stats)]
        v = by.get("app")
        if v:
            capped = mode == "block"
            charges.append(StatCharge(pk, "a#", sent, keep_guard, SHARDS,
                                      {"u": v.cap_day, "u" + hh: v.cap_hour} if capped else None,
                                      _rooms(v) if capped else None, "app", v.window))
        for d in dims:
            if d.shards == 1:
                charges.append(DimCharge(StatsModel, d, pk, ypk, now, sent,
                                         prefix_keep(s, now) if d.name == "prefix" else keep_guard, mode))
                charges[-1].row = charges[0]
        if e164:
            if not any(d.name == "prefix" for d in dims):  # the prefix stats row, unguarded
                charges.append(StatCharge(pk, f"p#{guard.prefix_of(e164)}", sent, prefix_keep(s, now), 1))
            blocked.append((pk, f"p#{guard.prefix_of(e164)}", {"b": 1}, prefix_keep(s, now)))
        # the country dimension refuses before the write only when it has been learned
        verdicts = [v for v in verdicts if v.dim.name != "country" or block_country]
        return SendPlan(mode, verdicts, charges, blocked, {"channel": channel, "country": country or "none"})

    def _evaluate(self, dims: list, pk: str, ypk: str, hh: str, hour: int, frac: float, now: int) -> list:
        keys, where = [], []   # where: (dim index, what, shard)
        settled = now % DAY >= YESTERDAY_SETTLED
        cached: dict = {}
        for d, dim in enumerate(dims):
            short = {"country": "c", "app": "a"}[dim.name]
            base = f"{short}#{dim.value}" if dim.name == "country" else "a#"
            for i in range(dim.shards):
                sk = f"{base}#{i}"
                keys.append({"pk": {"S": pk}, "sk": {"S": sk}})
                where.append((d, "today", i))
                ykey = (ypk, sk)
                if settled and ykey in _yesterday:
                    cached[(d, "yest", i)] = _yesterday[ykey]
                else:
                    keys.append({"pk": {"S": ypk}, "sk": {"S": sk}})
                    where.append((d, "yest", i))
        items = read_items(_table(), keys, consistent=False)
        got = dict(cached)
        for (d, what, i), key, item in zip(where, keys, items):
            got[(d, what, i)] = item
            if what == "yest" and settled:
                if len(_yesterday) > 20000:
                    _yesterday.clear()
                _yesterday[(key["pk"]["S"], key["sk"]["S"])] = _slim(item)
        verdicts = []
        for d, dim in enumerate(dims):
            r = guard.Reading(day_shards=[0] * dim.shards, hour_shards=[0] * dim.shards)
            for i in range(dim.shards):
                today, yest = got.get((d, "today", i)), got.get((d, "yest", i))
                r.day_shards[i] = _n(today, "u")
                for h in range(24):
                    k = f"{h:02d}"
                    r.today_u[h] += _n(today, "u" + k)
                    r.today_v[h] += _n(today, "v" + k)
                    r.yest_u[h] += _n(yest, "u" + k)
                    r.yest_v[h] += _n(yest, "v" + k)
                r.hour_shards[i] = _n(today, "u" + hh)
            verdicts.append(guard.evaluate(dim, r, hour, frac))
        return verdicts

    def count_blocked(self, plan: SendPlan, now: int) -> None:
        """Count a blocked send on its country (channel, purpose) and prefix rows: in memory,
        written once ``BLOCKED_FLUSH_SECONDS`` after the first one not yet written (so a
        blocked send is one round trip, a pump one write a minute per instance). A
        statistic, never a limit: what an instance had not written when it is recycled is
        lost. ``rows`` writes this instance's first."""
        with self._lock:
            for pk, sk, adds, keep in plan.blocked_ops:
                row = _PENDING["rows"].setdefault((pk, sk, keep), {})
                for attr, by in adds.items():
                    row[attr] = row.get(attr, 0) + by
            if _PENDING["since"] is None:
                _PENDING["since"] = time.monotonic()
            _PENDING["now"] = now
            due = time.monotonic() - _PENDING["since"] >= BLOCKED_FLUSH_SECONDS
        if due:
            self.flush_blocked(now)

    def flush_blocked(self, now: int) -> None:
        with self._lock:
            pending = _PENDING["rows"]
            _PENDING.update(rows={}, since=None)
        if not pending:
            return
        charges = [StatCharge(pk, sk, adds, keep, 1 if sk.startswith("p#") else SHARDS)
                   for (pk, sk, keep), adds in pending.items()]
        for start in range(0, len(charges), 25):
            _write(charges[start:start + 25], now)

    # -- verifications --
    def credit(self, app_id: str, s, code_key: str, purpose: str, target: str, now: int,
               channel: Optional[str] = None, requester_ip: Optional[str] = None,
               mark: Optional[dict] = None, provider: Optional[str] = None) -> Optional[tuple]:
        """Count a verified code: on its country, prefix and the IP that *requested* it
        (stored with the code; its unverified count drops), with the channel it was sent on
        and its purpose. The headroom attributes of the prefix and IP items grow by 1 + the
        ratio in force; and on the provider that carried it (``group=provider``). ``mark``: a
        conditional write that joins the transaction (the stream
        consumer marks the code counted); None is returned when its condition failed (the
        code was counted already)."""
        if channel is None:  # codes written before the spending write returned it
            channel = "email" if "@" in target else "sms"
        pk = f"{app_id}#{day_of(now)}"
        hh = f"{int(now % DAY) // 3600:02d}"
        keep_stats, keep_guard = now - now % DAY + STATS_KEEP_DAYS * DAY, now - now % DAY + GUARD_KEEP_DAYS * DAY
        done = {"v": 1, "u": -1, "v" + hh: 1, "u" + hh: -1}
        phone_ = channel != "email" and target.startswith("+")
        country = _region(target) if phone_ else ""
        place = (country or "ZZ") if phone_ else EMAIL
        in_force = set(s.fraud_guard_by) if s.fraud_guard != "off" else set()
        charges = [StatCharge(pk, f"c#{place}", {**done, f"v_ch_{channel}": 1, f"v_pu_{purpose}": 1}, keep_stats,
                              SHARDS)]
        if phone_:
            base = self.baseline(app_id, s, country, now) if app_id in self._base else None
            if "app" in in_force:
                charges.append(StatCharge(pk, "a#", done, keep_guard, SHARDS))
            t = guard.thresholds(s, "prefix", country, base)
            charges.append(StatCharge(pk, f"p#{guard.prefix_of(target)}",
                                      {**done, "rd": 1 + t.ratio_day, "r" + hh: 1 + t.ratio_hour}, prefix_keep(s, now)))
            ip = guard.ip_key(requester_ip if requester_ip is not None else guard.CLIENT_IP.get())
            if ip and "ip" in in_force:
                t = guard.thresholds(s, "ip", country, base)
                charges.append(StatCharge(pk, f"i#{ip}", {**done, "rd": 1 + t.ratio_day, "r" + hh: 1 + t.ratio_hour},
                                          keep_guard))
        also = [("mark", "Put", mark)] if mark is not None else []
        if provider:
            from .provider_stats import count_op
            also.append(("provider", "Update", count_op(app_id, {f"v_{provider}": 1}, now)))
        try:
            _write(charges, now, also)
        except Cancelled as e:
            if mark is not None and "mark" in e.failed:
                return None
            raise
        return channel, country

    # -- provider attempts (store/provider_stats.py: GET /admin/v1/stats?group=provider) --
    @staticmethod
    def count_attempts(app_id: str, attempts, now: int, less: dict | None = None) -> None:
        from .provider_stats import count_attempts
        count_attempts(app_id, attempts, now, less)

    @staticmethod
    def staged_attempt_op(app_id: str, provider: str, now: int) -> tuple:
        """The first provider's ``sent`` count, joining the send's transaction."""
        from .provider_stats import count_op
        return ("provider", "Update", count_op(app_id, {f"s_{provider}": 1}, now))

    # -- the admin stats (store/stats_rows.py) --
    def rows(self, app_id: str, group: str, since: str, until: str) -> dict:
        """Sent / verified / blocked per key of ``group`` over the days ``since`` to
        ``until`` (``YYYYMMDD``, inclusive): one ``Query`` per day. Blocked sends this
        instance has not written yet are written first."""
        self.flush_blocked(_PENDING["now"])
        return rows(_table(), app_id, group, since, until)


def _rooms(v) -> tuple:
    """Shards with room in both windows (the verdict's day and hour rooms)."""
    return tuple(sorted(set(v.day_room) & set(v.hour_room))) or (v.day_room or v.hour_room)


def _slim(item: Optional[dict]) -> Optional[dict]:
    """What the guard needs of yesterday's item (the hourly u and v), to keep the cache small."""
    if not item:
        return item
    return {k: v for k, v in item.items() if len(k) == 3 and k[0] in "uv" and k[1:].isdigit()}
