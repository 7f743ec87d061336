"""The fraud guard's single-item dimensions (number prefix, client IP) charged inside the
send's own transaction: the verdict is the write's condition, so a send reads nothing first.

Each dimension value has one item per UTC day in the stats table (``p#<prefix>``,
``i#<ip>``) with ``u`` / ``v`` / ``s`` and per hour ``uHH`` / ``vHH``, plus the headroom
attributes ``rd`` and ``rHH`` (``core.guard.Terms``). The window's closed parts (yesterday's
hours, the previous hour) do not change any more: they come from a per-process cache and
the write *asserts* them (a ``ConditionCheck`` on yesterday's item, the previous hour's
attributes in today's condition), so a stale or cold cache cannot let a send through: it
fails the condition, the cancellation returns the items as they are (``ALL_OLD``), the
cache learns them and the write is tried again. A cold cache assumes "no history", which
is right for most prefixes; a busy one costs one extra round trip per instance and hour.

In ``record`` mode (and while a country is learning) a send whose verdict fails is
written again without the condition and counted as would-block (``w``).
"""
from __future__ import annotations

import threading
from typing import Optional

from ..core import guard

DAY = 86400
_lock = threading.Lock()
# (pk, sk) of a closed day -> its hourly u/v and totals, or None when it has no item
_closed: dict = {}
# (pk, sk, HH) -> (u, v) of a closed hour of today's item; (pk, sk) -> today's v seen
_prev: dict = {}
_today_v: dict = {}
CACHE_MAX = 50000


def _n(item: Optional[dict], attr: str) -> float:
    return float(item[attr]["N"]) if item and attr in item else 0.0


def _remember(table: dict, key, value) -> None:
    with _lock:
        if len(table) > CACHE_MAX:
            table.clear()
        table[key] = value


def slim(item: Optional[dict]) -> Optional[dict]:
    """What the guard keeps of a closed day: hourly u/v and the u/v/s totals it asserts."""
    if not item:
        return None
    return {k: v for k, v in item.items() if k in ("u", "v", "s") or (len(k) == 3 and k[0] in "uv" and k[1:].isdigit())}


class DimCharge:
    """One unsharded guard dimension of a send, as ``store.counters.commit`` charges it."""

    name = "fraud_guard"
    shards = 1

    def __init__(self, table, dim: guard.Dim, pk: str, ypk: str, now: int, adds: dict, keep_until: int,
                 mode: str):
        short = {"prefix": "p", "ip": "i"}[dim.name]
        self.table, self.dim, self.pk, self.ypk = table, dim, pk, ypk
        self.sk = f"{short}#{dim.value}"
        self.hour, self.frac = int(now % DAY) // 3600, (now % 3600) / 3600
        self.hh = f"{self.hour:02d}"
        self.adds = {**adds, "rd": -1, "r" + self.hh: -1}
        self.keep_until, self.mode = keep_until, mode
        self.would = False     # record mode: the verdict failed, written without it
        self.rounds = 0
        self.row = None        # the send's country stats row: counts the would-block

    # -- the commit protocol (store/counters.py) --
    def key(self, shard: int = 0) -> dict:
        return {"pk": {"S": self.pk}, "sk": {"S": self.sk}}

    def pick(self, lane=None) -> int:
        return 0

    def _conditional(self) -> bool:
        return self.mode in ("block", "record") and not self.would

    def _terms(self) -> guard.Terms:
        y = _closed.get((self.ypk, self.sk))
        yu = [_n(y, f"u{h:02d}") for h in range(24)]
        yv = [_n(y, f"v{h:02d}") for h in range(24)]
        if self.hour:
            pu, pv = _prev.get((self.pk, self.sk, f"{self.hour - 1:02d}"), (0.0, 0.0))
        else:
            pu, pv = yu[23], yv[23]
        return guard.terms(self.dim, yu, yv, pu, pv, self.hour, self.frac, _today_v.get((self.pk, self.sk), 0.0))

    def op(self, shard: int, now: int) -> dict:
        names, values, adds = {"#t": "ttl"}, {":t": {"N": str(self.keep_until)}}, []
        a = dict(self.adds)
        for n, (attr, by) in enumerate(sorted(a.items())):
            names[f"#a{n}"], values[f":a{n}"] = attr, {"N": _num(by)}
            adds.append(f"#a{n} :a{n}")
        kw = {"TableName": self.table.Meta.table_name, "Key": self.key(),
              "UpdateExpression": "ADD " + ", ".join(adds) + " SET #t = :t"}
        if self._conditional():
            t = self._terms()
            names.update({"#u": "u", "#rd": "rd", "#uh": "u" + self.hh, "#rh": "r" + self.hh})
            values.update({":cd": {"N": str(t.cap_day)}, ":kd": {"N": _num(t.k_day)},
                           ":ch": {"N": str(t.cap_hour)}, ":kh": {"N": _num(t.k_hour)}})
            # an absent attribute is 0: it passes where 0 would
            day = " OR ".join(["#u < :cd", "#rd >= :kd"] + (["attribute_not_exists(#u)"] if t.cap_day > 0 else [])
                              + (["attribute_not_exists(#rd)"] if t.k_day <= 0 else []))
            hour = " OR ".join(["#uh < :ch", "#rh >= :kh"] + (["attribute_not_exists(#uh)"] if t.cap_hour > 0 else [])
                               + (["attribute_not_exists(#rh)"] if t.k_hour <= 0 else []))
            cond = f"({day}) AND ({hour})"
            if self.hour:  # the previous hour is asserted as the cache has it
                pp = f"{self.hour - 1:02d}"
                pu, pv = _prev.get((self.pk, self.sk, pp), (0.0, 0.0))
                names.update({"#pu": "u" + pp, "#pv": "v" + pp})
                values.update({":pu": {"N": _num(pu)}, ":pv": {"N": _num(pv)}})
                cond += (" AND (#pu = :pu" + (" OR attribute_not_exists(#pu))" if not pu else ")")
                         + " AND (#pv = :pv" + (" OR attribute_not_exists(#pv))" if not pv else ")"))
            kw["ConditionExpression"] = cond
            kw["ReturnValuesOnConditionCheckFailure"] = "ALL_OLD"
        kw["ExpressionAttributeNames"], kw["ExpressionAttributeValues"] = names, values
        return kw

    def companion(self) -> Optional[dict]:
        """A ``ConditionCheck`` asserting yesterday's item as the cache has it."""
        if not self._conditional():
            return None
        y = _closed.get((self.ypk, self.sk))
        kw = {"TableName": self.table.Meta.table_name, "Key": {"pk": {"S": self.ypk}, "sk": {"S": self.sk}},
              "ReturnValuesOnConditionCheckFailure": "ALL_OLD"}
        if y is None:
            kw["ConditionExpression"] = "attribute_not_exists(pk)"
        else:
            names, values, parts = {}, {}, []
            for n, attr in enumerate(("u", "v", "s")):
                names[f"#y{n}"] = attr
                if attr in y:
                    values[f":y{n}"] = y[attr]
                    parts.append(f"#y{n} = :y{n}")
                else:
                    parts.append(f"attribute_not_exists(#y{n})")
            kw["ConditionExpression"] = " AND ".join(parts)
            kw["ExpressionAttributeNames"] = names
            if values:
                kw["ExpressionAttributeValues"] = values
        return kw

    def learn(self, which: str, item: Optional[dict]) -> bool:
        """A condition of this charge failed with ``item`` as it was (``which``: "today" or
        "yesterday"). True when the cache was wrong (learned now: write again); False when
        the verdict itself refuses."""
        self.rounds += 1
        if which == "yesterday":
            _remember(_closed, (self.ypk, self.sk), slim(item))
            return True
        if self.hour:
            pp = f"{self.hour - 1:02d}"
            real = (_n(item, "u" + pp), _n(item, "v" + pp))
            stale = _prev.get((self.pk, self.sk, pp), (0.0, 0.0)) != real
            _remember(_prev, (self.pk, self.sk, pp), real)
        else:
            stale = False
        _remember(_today_v, (self.pk, self.sk), _n(item, "v"))
        if stale:
            return True
        t = self._terms()
        if t.passes(_n(item, "u"), _n(item, "rd"), _n(item, "u" + self.hh), _n(item, "r" + self.hh)):
            return self.rounds < 4  # raced: the item moved between our terms and the write
        if self.mode == "record":
            self.would = True
            if self.row is not None and "w" not in self.row.adds:
                self.row.adds = {**self.row.adds, "w": 1}
                self.row.dirty = True
            return True
        return False

    def has_room(self, shard: int, item) -> bool:  # never rerouted (one item)
        return False

    def refused(self, now: int, old_item):
        t = self._terms()
        window = "day" if not (_n(old_item, "u") < t.cap_day or _n(old_item, "rd") >= t.k_day - 1e-9) else "hour"
        return guard.FraudBlocked(self.dim.name, window, 3600 - now % 3600)

    # -- after the send --
    def giveback_op(self) -> dict:
        """The message did not go out: its unverified count (and sent) go back."""
        back = {"u": -1, "u" + self.hh: -1, "s": -1, "rd": 1, "r" + self.hh: 1}
        names = {f"#a{n}": a for n, a in enumerate(sorted(back))}
        values = {f":a{n}": {"N": str(back[a])} for n, a in enumerate(sorted(back))}
        return {"TableName": self.table.Meta.table_name, "Key": self.key(),
                "UpdateExpression": "ADD " + ", ".join(f"#a{n} :a{n}" for n in range(len(back))),
                "ExpressionAttributeNames": names, "ExpressionAttributeValues": values}


def _num(x: float) -> str:
    """A DynamoDB number from a float, without binary noise (ratios are 4-digit decimals)."""
    if float(x).is_integer():
        return str(int(x))
    return f"{x:.6f}".rstrip("0")
