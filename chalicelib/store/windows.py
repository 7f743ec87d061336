"""Sliding-window counters on the counters table (the rule: ``core/sliding.py``).

One item per key (``nd#app#number``, ``ih#app#ip``, ``lf#app#user``, ...), holding per
window index ``k``: ``n<k>`` (charges) and ``t<k>`` (epoch seconds of the last). A charge
is one conditional ``UpdateItem`` (or one operation of the send's transaction), never a read:

    ADD n<k> 1  SET t<k> = now, ttl = ...  REMOVE n<k-2>, t<k-2>

under the staircase of ``sliding.steps`` written out, e.g. for a limit of 3:

    ((attribute_not_exists(n<k-1>) OR n<k-1> <= 0 OR t<k-1> <= now-W)
        AND (attribute_not_exists(n<k>) OR n<k> < 3))
    OR (n<k-1> <= p1 AND (attribute_not_exists(n<k>) OR n<k> < 2))
    OR (n<k-1> <= p2 AND (attribute_not_exists(n<k>) OR n<k> < 1))

At most ``sliding.MAX_STEPS`` steps whatever the limit: ~1.3 KB of expression at most.
"""
from __future__ import annotations

import re


def _names(k: int) -> dict:
    return {"#c": f"n{k}", "#p": f"n{k - 1}", "#tp": f"t{k - 1}"}


def condition(limit: int, window: int, now: int) -> tuple:
    """(ConditionExpression, names, values): the counter has room at ``now``."""
    from ..core import sliding

    k = now // window
    values = {":cut": {"N": str(now - window)}}
    parts = []
    for i, (p, r) in enumerate(sliding.steps(limit, window, now)):
        values[f":p{i}"], values[f":r{i}"] = {"N": str(p)}, {"N": str(r)}
        prev = f"(attribute_not_exists(#p) OR #p <= :p{i} OR #tp <= :cut)" if i == 0 else f"#p <= :p{i}"
        parts.append(f"({prev} AND (attribute_not_exists(#c) OR #c < :r{i}))")
    if not parts:  # a limit of 0 or less: never room (every name and value used, as DynamoDB asks)
        never = "attribute_exists(#c) AND attribute_not_exists(#c) AND (#p <= :cut OR #tp <= :cut)"
        return never, _names(k), values
    return " OR ".join(parts), _names(k), values


def charge_kwargs(table: str, charge, now: int, ttl_slack: int) -> dict:
    """The ``UpdateItem`` (or transaction ``Update``) charging ``charge`` at ``now``; a
    refusal returns the item as it was (its counts, for Retry-After)."""
    window = charge.window
    k = now // window
    expr, names, values = condition(charge.limit, window, now)
    names = {**names, "#tc": f"t{k}", "#o": f"n{k - 2}", "#ot": f"t{k - 2}", "#ttl": "ttl"}
    values = {**values, ":one": {"N": "1"}, ":now": {"N": str(now)},
              ":ttl": {"N": str((k + 2) * window + ttl_slack)}}  # n<k> counts until window k+1 ends
    return {"TableName": table, "Key": {"pk": {"S": charge.key}},
            "UpdateExpression": "ADD #c :one SET #tc = :now, #ttl = :ttl REMOVE #o, #ot",
            "ConditionExpression": expr, "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": values, "ReturnValuesOnConditionCheckFailure": "ALL_OLD"}


def clear_kwargs(table: str, charge, now: int) -> dict:
    """The ``Delete`` of the counter, on the condition that it still has room at ``now`` (a
    login's session write clears the user's failures only while they allow the login)."""
    expr, names, values = condition(charge.limit, charge.window, now)
    return {"TableName": table, "Key": {"pk": {"S": charge.key}}, "ConditionExpression": expr,
            "ExpressionAttributeNames": names, "ExpressionAttributeValues": values}


def giveback_kwargs(table: str, charge) -> dict:
    """The ``Update`` giving back one charge of ``charge`` to the window it was taken in
    (a send whose message did not go out), if that window is still on the item."""
    k = charge.window_end // charge.window - 1
    return {"TableName": table, "Key": {"pk": {"S": charge.key}},
            "UpdateExpression": "ADD #c :minus", "ConditionExpression": "#c > :zero",
            "ExpressionAttributeNames": {"#c": f"n{k}"},
            "ExpressionAttributeValues": {":minus": {"N": "-1"}, ":zero": {"N": "0"}}}


_ATTR = re.compile(r"([nt])(\d+)$")


def seen(item) -> tuple:
    """A raw counter item as ((window index, charges, time of the last or None), ...)."""
    found: dict = {}
    for name, value in (item or {}).items():
        m = _ATTR.match(name)
        if m and "N" in value:
            slot = found.setdefault(int(m.group(2)), [0, None])
            if m.group(1) == "n":
                slot[0] = int(value["N"])
            else:
                slot[1] = int(value["N"])
    return tuple((k, n, last) for k, (n, last) in sorted(found.items()))
