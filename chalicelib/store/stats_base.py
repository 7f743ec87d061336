"""The fraud guard's baseline per app: each country's sends and verified codes over the
last ``fraud_learn_days`` days, in one item of the stats table (``<app>#base`` / ``base``),
recomputed from the country rows at most once an hour (a conditional write: one instance
does it; the others read the item). Also the counting transaction the stats' writers share
(``_write``) and the country of a stored number (``_region``)."""
from __future__ import annotations

import json
import random
import time

from .base import connection, transact
from .stats_rows import DAY, _n, day_of


def load(table: str, app_id: str, days: int, now: int, max_age: int) -> dict:
    """The baseline document ``{"at", "days", "c": {country: [sent, verified, week_old]}}``."""
    client = connection().client
    key = {"pk": {"S": f"{app_id}#base"}, "sk": {"S": "base"}}
    item = client.get_item(TableName=table, Key=key, ConsistentRead=False).get("Item")
    doc = json.loads(item["doc"]["S"]) if item and "doc" in item else {}
    if doc.get("at", 0) + max_age > now and doc.get("days") == days:
        return doc
    fresh = {"at": now, "days": days, "c": compute(table, app_id, days, now)}
    try:
        client.put_item(TableName=table, Item={**key, "doc": {"S": json.dumps(fresh)}, "at": {"N": str(now)}},
                        ConditionExpression="attribute_not_exists(pk) OR #at = :old",
                        ExpressionAttributeNames={"#at": "at"},
                        ExpressionAttributeValues={":old": item["at"] if item and "at" in item else {"N": "-1"}})
    except client.exceptions.ConditionalCheckFailedException:
        pass  # another instance recomputed it meanwhile: ours is as good
    except Exception as e:  # noqa: BLE001 - best effort: the next instance writes it
        import logging
        from .. import aws, log
        if not aws.transient(e):
            raise
        log.event(logging.WARNING, error="baseline_not_written", type=type(e).__name__)
    return fresh


def compute(table: str, app_id: str, days: int, now: int) -> dict:
    """{country: [sent, verified, has rows ``days`` days ago]} from the country rows."""
    client = connection().client
    out: dict = {}
    for back in range(days + 1):
        kw = {"TableName": table, "KeyConditionExpression": "pk = :pk AND begins_with(sk, :g)",
              "ExpressionAttributeValues": {":pk": {"S": f"{app_id}#{day_of(now - back * DAY)}"},
                                            ":g": {"S": "c#"}},
              "ProjectionExpression": "sk, s, v"}
        while True:
            resp = client.query(**kw)
            for item in resp.get("Items", []):
                country = item["sk"]["S"].split("#")[1]
                row = out.setdefault(country, [0, 0, False])
                row[0] += _n(item, "s")
                row[1] += _n(item, "v")
                row[2] = row[2] or back == days
            if "LastEvaluatedKey" not in resp:
                break
            kw["ExclusiveStartKey"] = resp["LastEvaluatedKey"]
    return out


def _write(charges: list, now: int, also: tuple = (), tries: int = 4) -> None:
    """Unconditional counts in one transaction, retried (on another lane) when another
    transaction holds one of the items. The first try takes the next lane in turn (as
    sends do), so the country's shards share the writes evenly."""
    from .base import Cancelled
    from .counters import STATS, next_lane

    for attempt in range(tries):
        lane = next_lane() if attempt == 0 else random.randrange(1 << 30)
        try:
            transact([(n, "Update", c.op(c.pick(lane), now)) for n, c in enumerate(charges)] + list(also))
            return
        except Cancelled as e:
            if e.failed or not e.conflict or attempt == tries - 1:
                raise
            STATS["conflicts"] += 1
            time.sleep(random.uniform(0.01, 0.05) * (attempt + 1))


def _region(e164: str) -> str:
    from ..core import phone
    try:
        return phone.normalise(e164, "US", ("*",)).region
    except Exception:  # noqa: BLE001 - an odd stored target: no country row
        return ""
