"""Refused sends are aggregated, not written one by one.

A send refused by a rate limit used to write a send-log item each (kept 30 days), so an
unauthenticated caller could grow the table one item per request. Now each instance writes
at most one entry per (app, limit) per ``INTERVAL`` seconds: the first refusal after a quiet
interval is written at once, with ``count`` = itself plus the refusals of that limit this
instance left unwritten since its previous entry. The tally lives in process memory: it is
a statistic, never a limit (the limits themselves are conditional writes), and what an
instance had not written when it is recycled is lost (at most one interval's worth).
"""
from __future__ import annotations

import dataclasses
import threading

INTERVAL = 60.0


class RefusalLog:
    def __init__(self, interval: float = INTERVAL):
        self.interval = interval
        self._lock = threading.Lock()
        self._state: dict = {}  # (app_id, limit) -> [last written at, refusals not written]

    def record(self, log, entry) -> bool:
        """Write ``entry`` (a ``service.LogEntry``, outcome rate_limited) to ``log`` if this
        (app, limit) has had no entry for ``interval`` seconds; otherwise only count it.
        Returns whether it was written."""
        key = (entry.app_id, entry.error)
        with self._lock:
            state = self._state.get(key)
            if state is not None and entry.at - state[0] < self.interval:
                state[1] += 1
                return False
            pending = state[1] if state is not None else 0
            self._state[key] = [entry.at, 0]
        log.record(dataclasses.replace(entry, count=pending + 1))
        return True
