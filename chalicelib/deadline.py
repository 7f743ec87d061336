"""A time budget per request, so that every route answers inside the Lambda timeout (10 s).

Every AWS client (the shared DynamoDB client, SNS, SES, End User Messaging, SSM) retries in
botocore's *standard* mode with explicit connect and read timeouts. On top of that, a
``before-send`` hook refuses to start an attempt (the first one or a retry) that could not
finish before the request's deadline, given that client's connect + read timeouts. So a
request never outlives ``BUDGET`` plus its own CPU time, whatever AWS does: a slow or
throttling dependency ends in the dialect's "try again" error (503 with ``Retry-After``).

The deadline lives in a thread-local set by ``dialects.http.logged`` for each request.
"""
from __future__ import annotations

import os
import threading
import time

# make run and the tests (VERIKIT_LOCAL=1) talk to an embedded moto that runs DynamoDB
# requests one at a time: under load a request waits its turn for seconds, which a deployed
# DynamoDB never makes it do. Locally the DynamoDB read timeout and the budget are longer.
_LOCAL = os.environ.get("VERIKIT_LOCAL") == "1"

# seconds a request may spend; the Lambda timeout (.chalice/config.json) is 10 s
BUDGET = float(os.environ.get("VERIKIT_REQUEST_BUDGET_SECONDS") or (30 if _LOCAL else 8.5))

# botocore client settings: (connect timeout, read timeout, total attempts), standard retries
DYNAMODB = (1.0, 10.0, 3) if _LOCAL else (1.0, 2.0, 3)
PROVIDER = (1.0, 4.0, 2)     # SNS, SES, End User Messaging: one retry at most
OTHER = (1.0, 3.0, 2)        # SSM (secrets at cold start)

_local = threading.local()


class DeadlineExceeded(Exception):
    """An AWS call could not finish inside the request's time budget (not attempted)."""


def start(budget: float | None = None) -> None:
    _local.deadline = time.monotonic() + (BUDGET if budget is None else budget)


def clear() -> None:
    _local.deadline = None


def remaining() -> float | None:
    deadline = getattr(_local, "deadline", None)
    return None if deadline is None else deadline - time.monotonic()


def guard(worst: float):
    """A botocore ``before-send`` handler: refuse an attempt that could take longer than
    what is left of the budget (``worst`` = the client's connect + read timeouts)."""

    def before_send(request=None, **kwargs):
        left = remaining()
        if left is not None and left < worst:
            raise DeadlineExceeded(f"{left:.1f} s left of the request budget, an attempt may take {worst:.1f} s")
        return None

    return before_send


def install(client, timeouts: tuple) -> None:
    connect, read, _ = timeouts
    client.meta.events.register_first("before-send", guard(connect + read), unique_id="verikit-deadline")


def bounded(default: float, reserve: float = 0.5) -> float:
    """A provider call's timeout (seconds): ``default``, cut to what is left of the request's
    budget less ``reserve`` (to log and answer), so that failing over to another SMS provider
    never outlives the Lambda timeout. ``DeadlineExceeded`` when too little is left to try."""
    left = remaining()
    if left is None:
        return default
    if left - reserve < 0.3:
        raise DeadlineExceeded(f"{left:.1f} s left of the request budget: no time for another provider")
    return min(default, left - reserve)
