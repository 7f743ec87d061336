"""A replaceable clock so that tests can move time without sleeping."""
from __future__ import annotations

import time


class SystemClock:
    def now(self) -> float:
        return time.time()


class SharedClock:
    """The process's one clock (``wiring.clock()``): every part of the service, and the
    routes that read the time themselves (admin pages, signatures), hold this object; tests
    point it at a ``FakeClock`` with ``use`` so that nothing reads the wall clock beside it."""

    def __init__(self, inner=None):
        self.default = SystemClock()   # what ``use(None)`` goes back to
        self.inner = inner or self.default

    def now(self) -> float:
        return self.inner.now()

    def use(self, inner=None) -> None:
        self.inner = inner or self.default


class RunningClock:
    """Time that starts at ``start`` (epoch seconds) and runs at the wall clock's pace: the
    service at a chosen instant (tests at fixed hours: tests/test_at_fixed_clocks.py)."""

    def __init__(self, start: float):
        self.offset = start - time.time()

    def now(self) -> float:
        return time.time() + self.offset


class FakeClock:
    def __init__(self, start: float = 1_800_000_000.0):
        self.t = start

    def now(self) -> float:
        return self.t

    def advance(self, seconds: float) -> None:
        self.t += seconds
