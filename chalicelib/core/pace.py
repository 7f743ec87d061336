"""How long provider calls take, so that a send that sends nothing takes as long."""
from __future__ import annotations

import random
import time


class Pace:
    """How long provider calls take, per channel (a moving average in process memory: a
    cache, not a rule), so that a send suppressed by enumeration protection takes about as
    long as a real one and its latency does not tell an unknown number from a known one."""

    CAP = 2.0
    # before an instance has timed a real send of a channel, a suppressed one waits about
    # what a provider call usually takes (not zero, which told unknown numbers apart)
    PRIOR = {"sms": 0.12, "voice": 0.15, "email": 0.1}

    def __init__(self, sleep=None):
        self._avg: dict = {}
        self._sleep = sleep or time.sleep

    def observe(self, channel: str, seconds: float) -> None:
        old = self._avg.get(channel)
        self._avg[channel] = seconds if old is None else 0.8 * old + 0.2 * seconds

    def wait_like_a_send(self, channel: str) -> float:
        avg = self._avg.get(channel) or self.PRIOR.get(channel, 0.1)
        delay = min(self.CAP, avg * random.uniform(0.7, 1.3))
        self._sleep(delay)
        return delay
