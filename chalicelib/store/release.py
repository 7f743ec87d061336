"""Undoing a send whose message did not go out (the provider refused it or timed out).

One compensating ``TransactWriteItems``: the code is deleted (if it is still the one that
was written), the number's cooldown is lifted (if it is still the one this send set) and
its daily counter is given back one send. Each under a condition, so a later send's code
or cooldown is never touched. If the write cannot be made (DynamoDB failing too), the
charges stay: the number waits out its cooldown, which is the safe side.
"""
from __future__ import annotations

import logging
import random
import time

from .. import log
from .base import Cancelled, delete_kwargs, transact, update_kwargs
from .codes import CodeModel
from .counters import CounterModel
from .windows import giveback_kwargs

ATTEMPTS = 3


def ops_for(key, code_hash, charges: list) -> list:
    ops = []
    if key and code_hash:
        ops.append(("code", "Delete", delete_kwargs(CodeModel(key), CodeModel.code_hash == code_hash)))
    for i, c in enumerate(charges):
        if c.cooldown:
            ops.append((i, "Update", update_kwargs(CounterModel(c.key), [CounterModel.until.remove()],
                                                   CounterModel.until == c.window_end)))
        elif c.window:  # a sliding counter: back to the window it was charged in
            ops.append((i, "Update", giveback_kwargs(CounterModel.Meta.table_name, c)))
        else:
            ops.append((i, "Update", update_kwargs(CounterModel(c.key), [CounterModel.n.add(-1)],
                                                   CounterModel.n > 0)))
    return ops


def release(key, code_hash, charges: list, now: int, also: tuple = ()) -> None:
    """``also``: unconditional operations of the same undo (the fraud guard's unverified
    counts given back, the send-log entry marked failed)."""
    ops = ops_for(key, code_hash, charges) + [op for op in also if op is not None]
    for attempt in range(ATTEMPTS):
        if not ops:
            return
        try:
            transact(ops)
            return
        except Cancelled as e:
            # a condition no longer holds (a newer code or cooldown): leave that item alone
            ops = [op for op in ops if op[0] not in e.failed]
            if not e.failed:
                time.sleep(random.uniform(0.01, 0.05) * (attempt + 1))
        except Exception as e:  # noqa: BLE001 - DynamoDB failing too: keep the charges (safe side)
            log.event(logging.WARNING, error="release_failed", type=type(e).__name__)
            return
