"""The fraud guard's baseline per app: each country's sends and verified codes over the
last ``fraud_learn_days`` days, in one item of the stats table (``<app>#base`` / ``base``),
recomputed from the country rows at most once an hour (a conditional write: one instance
does it; the others read the item)."""
from __future__ import annotations

import json

from .base import connection
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
