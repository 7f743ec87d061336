"""The admin stats (``GET /admin/v1/stats``): sent / verified / blocked per country, number
prefix, channel, purpose or day, summed from the stats table's day rows (one ``Query`` per
day, no scans)."""
from __future__ import annotations

import time
from datetime import datetime, timezone
from typing import Optional

from .base import connection

DAY = 86400
GROUPS = {"country": "c#", "prefix": "p#", "channel": "c#", "purpose": "c#", "day": "c#"}
EMAIL = "@"  # the pseudo-country of email sends in the country rows


def day_of(now: float) -> str:
    return time.strftime("%Y%m%d", time.gmtime(now))


def _n(item: Optional[dict], attr: str) -> int:
    return int(float(item[attr]["N"])) if item and attr in item else 0


def rows(table: str, app_id: str, group: str, since: str, until: str) -> dict:
    """Sent / verified / blocked per key of ``group`` over the days ``since`` to
    ``until`` (``YYYYMMDD``, inclusive): one ``Query`` per day."""
    prefix = GROUPS[group]
    client = connection().client
    acc: dict = {}
    would = 0
    day = datetime.strptime(since, "%Y%m%d").replace(tzinfo=timezone.utc).timestamp()
    last = datetime.strptime(until, "%Y%m%d").replace(tzinfo=timezone.utc).timestamp()
    split = {"channel": "_ch_", "purpose": "_pu_"}.get(group)

    def add(key, s_, v, b):
        row = acc.setdefault(key, [0, 0, 0])
        row[0] += s_
        row[1] += v
        row[2] += b

    while day <= last:
        d = day_of(day)
        kw = {"TableName": table, "KeyConditionExpression": "pk = :pk AND begins_with(sk, :g)",
              "ExpressionAttributeValues": {":pk": {"S": f"{app_id}#{d}"}, ":g": {"S": prefix}}}
        while True:
            resp = client.query(**kw)
            for item in resp.get("Items", []):
                sk = item["sk"]["S"][len(prefix):]
                would += _n(item, "w")
                if split:
                    for attr, val in item.items():
                        kind, _, key = attr.partition(split)
                        if key and kind in ("s", "v", "b"):
                            n = int(val["N"])
                            add(key, n if kind == "s" else 0, n if kind == "v" else 0, n if kind == "b" else 0)
                    continue
                if group == "day":
                    key = f"{d[:4]}-{d[4:6]}-{d[6:]}"
                elif group == "prefix":
                    key = sk
                else:
                    key = sk.rsplit("#", 1)[0]
                    if key == EMAIL:
                        continue
                add(key, _n(item, "s"), _n(item, "v"), _n(item, "b"))
            if "LastEvaluatedKey" not in resp:
                break
            kw["ExclusiveStartKey"] = resp["LastEvaluatedKey"]
        day += DAY
    out = [{"key": k, "sent": s_, "verified": v, "blocked": b,
            "conversion": round(min(1.0, v / s_), 4) if s_ else 0.0}
           for k, (s_, v, b) in acc.items()]
    out.sort(key=lambda r: (r["key"]) if group == "day" else (-r["sent"], -r["blocked"], r["key"]))
    return {"rows": out, "would_block": would}
