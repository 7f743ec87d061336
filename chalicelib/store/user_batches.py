"""Many atomic units in few ``TransactWriteItems``: the LeanCloud import's batch writes.

A unit (one imported user: the user, its claims, its session) must be written whole or not
at all, and its conditions (claims free, user unchanged) must hold. DynamoDB takes up to 100
items per transaction, so units are packed together; when a transaction is cancelled, the
cancellation reasons say which items failed, the units they belong to are reported and the
rest go again (a cancelled transaction wrote nothing). Independent transactions run on a few
threads: a million-user import is bound by round trips, not by DynamoDB.
"""
from __future__ import annotations

import random
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

from .base import connection

MAX_ITEMS = 100      # DynamoDB's limit per TransactWriteItems
WORKERS = 4
CONFLICT_RETRIES = 6


def pack(units: list) -> list:
    """Groups of (index, ops) of at most MAX_ITEMS items, no item twice in one group."""
    groups, group, keys, size = [], [], set(), 0
    for i, ops in enumerate(units):
        unit_keys = {op[3] for op in ops}
        if group and (size + len(ops) > MAX_ITEMS or unit_keys & keys):
            groups.append(group)
            group, keys, size = [], set(), 0
        group.append((i, ops))
        keys |= unit_keys
        size += len(ops)
    if group:
        groups.append(group)
    return groups


def commit(group: list) -> dict:
    """Write the group's units; {index: failed tags} for those whose conditions failed."""
    client = connection().client
    failures, conflicts = {}, 0
    while group:
        items = [{kind: kwargs} for _, ops in group for _, kind, kwargs, _ in ops]
        try:
            # the token makes botocore's own retry of a transaction that did go through (a
            # read timeout) a no-op on DynamoDB instead of a cancellation
            client.transact_write_items(TransactItems=items, ClientRequestToken=str(uuid.uuid4()))
            return failures
        except client.exceptions.TransactionCanceledException as e:
            reasons = e.response.get("CancellationReasons") or []
            failed, n = {}, 0
            for i, ops in group:
                for tag, *_ in ops:
                    if n < len(reasons) and reasons[n].get("Code") == "ConditionalCheckFailed":
                        failed.setdefault(i, set()).add(tag)
                    n += 1
            if failed:
                failures.update(failed)
                group = [(i, ops) for i, ops in group if i not in failed]
                continue
            if not any(r.get("Code") == "TransactionConflict" for r in reasons):
                raise
            conflicts += 1
            if conflicts > CONFLICT_RETRIES:
                failures.update({i: {"conflict"} for i, _ in group})
                return failures
            time.sleep(random.uniform(0.01, 0.05) * conflicts)
    return failures


def apply(units: list) -> dict:
    """Write every unit (a list of (tag, kind, kwargs, key)); {index: failed tags}."""
    groups = pack([u for u in units])
    failures: dict = {}
    if len(groups) <= 1:
        for g in groups:
            failures.update(commit(g))
        return failures
    with ThreadPoolExecutor(max_workers=min(WORKERS, len(groups))) as pool:
        for result in pool.map(commit, groups):
            failures.update(result)
    return failures
