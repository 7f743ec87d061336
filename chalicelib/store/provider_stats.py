"""Provider attempts per day in the stats table: which SMS provider carried what, and how
often each failed (``GET /admin/v1/stats?group=provider``).

Items ``pk = <app>#<YYYYMMDD>``, ``sk = r#<shard>`` (128 shards taken in turn: every send writes one
and every verification another, so no item gets hot), attributes ``s_<provider>`` (messages it carried) and ``f_<provider>``
(attempts that failed, whether or not a later provider then carried the message) and
``v_<provider>`` (codes it carried that were verified, counted with the verification). The
route's first provider is counted in the send's own transaction (``count_op``); a failover
adds one ``UpdateItem`` after the call (``count_attempts``); never read first; kept as long
as the other stats rows.
"""
from __future__ import annotations

import itertools
import random
from datetime import datetime, timezone

SHARDS = 128  # taken in turn: each ~1.3% of a busy single-country app's send+verify flows
# each instance starts at a random shard (a cache of where it is, not a rule)
_turn = itertools.count(random.randrange(SHARDS))
PREFIX = "r#"


def count_attempts(app_id: str, attempts, now: int, less: dict | None = None) -> None:
    """One write: each attempt counted on its provider (sent or failed); ``less``: other
    adds (a send's transaction counted its first provider as sent: a failover corrects it)."""
    from .base import connection

    adds: dict = dict(less or {})
    for a in attempts:
        name = ("s_" if a.outcome == "sent" else "f_") + a.provider
        adds[name] = adds.get(name, 0) + 1
    adds = {k: v for k, v in adds.items() if v}
    if adds:
        connection().client.update_item(**count_op(app_id, adds, now))


def count_op(app_id: str, adds: dict, now: int) -> dict:
    """The ``UpdateItem`` (or transaction ``Update``) adding ``adds`` on one shard."""
    from .stats import DAY, STATS_KEEP_DAYS, _table, day_of

    names = {f"#a{i}": k for i, k in enumerate(adds)}
    values = {f":a{i}": {"N": str(v)} for i, v in enumerate(adds.values())}
    values[":ttl"] = {"N": str(now - now % DAY + STATS_KEEP_DAYS * DAY)}
    return dict(
        TableName=_table(),
        Key={"pk": {"S": f"{app_id}#{day_of(now)}"}, "sk": {"S": f"{PREFIX}{next(_turn) % SHARDS}"}},
        UpdateExpression="ADD " + ", ".join(f"#a{i} :a{i}" for i in range(len(adds))) + " SET #ttl = :ttl",
        ExpressionAttributeNames={**names, "#ttl": "ttl"}, ExpressionAttributeValues=values)


def rows(app_id: str, since: str, until: str) -> dict:
    """Per provider: messages sent, attempts failed, the failure rate, codes verified and
    the conversion (verified / sent: how many of its messages arrived and were used), over the days
    ``since`` to ``until`` (``YYYYMMDD``, inclusive): one ``Query`` per day."""
    from .base import connection
    from .stats import DAY, _table, day_of

    client = connection().client
    acc: dict = {}
    day = datetime.strptime(since, "%Y%m%d").replace(tzinfo=timezone.utc).timestamp()
    last = datetime.strptime(until, "%Y%m%d").replace(tzinfo=timezone.utc).timestamp()
    while day <= last:
        kw = {"TableName": _table(), "KeyConditionExpression": "pk = :pk AND begins_with(sk, :g)",
              "ExpressionAttributeValues": {":pk": {"S": f"{app_id}#{day_of(day)}"}, ":g": {"S": PREFIX}}}
        while True:
            resp = client.query(**kw)
            for item in resp.get("Items", []):
                for attr, val in item.items():
                    kind, _, provider = attr.partition("_")
                    if provider and kind in ("s", "f", "v"):
                        row = acc.setdefault(provider, [0, 0, 0])
                        row["sfv".index(kind)] += int(float(val["N"]))
            if "LastEvaluatedKey" not in resp:
                break
            kw["ExclusiveStartKey"] = resp["LastEvaluatedKey"]
        day += DAY
    out = [{"key": p, "sent": s, "failed": f, "failure_rate": round(f / (s + f), 4) if s + f else 0.0,
            "verified": v, "conversion": round(min(1.0, v / s), 4) if s else 0.0}
           for p, (s, f, v) in acc.items()]
    out.sort(key=lambda r: (-r["sent"], -r["failed"], r["key"]))
    return {"rows": out}
