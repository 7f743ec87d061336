"""botocore clients, created lazily and once per process.

Plain botocore rather than boto3: boto3's import drags in its S3 transfer machinery,
which a Lambda would pay for at every cold start and never use.
"""
from __future__ import annotations

import os
import threading

_clients: dict = {}
_lock = threading.Lock()
_session = None


def session():
    global _session
    if _session is None:
        import botocore.session
        _session = botocore.session.get_session()
    return _session


def client(service: str):
    """A shared client for ``service`` (endpoint from ``AWS_ENDPOINT_URL`` when set)."""
    c = _clients.get(service)
    if c is None:
        with _lock:
            c = _clients.get(service)
            if c is None:
                from botocore.config import Config

                from . import deadline
                region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"
                timeouts = deadline.OTHER if service in ("ssm", "secretsmanager") else deadline.PROVIDER
                connect, read, attempts = timeouts
                c = session().create_client(
                    service, region_name=region,
                    config=Config(connect_timeout=connect, read_timeout=read,
                                  retries={"total_max_attempts": attempts, "mode": "standard"}))
                deadline.install(c, timeouts)
                _clients[service] = c
    return c


# DynamoDB errors that mean "busy or slow, try again" rather than a bug
_TRANSIENT_CODES = {"ProvisionedThroughputExceededException", "ThrottlingException", "RequestLimitExceeded",
                    "InternalServerError", "ServiceUnavailable", "TransactionInProgressException",
                    "TransactionConflictException", "LimitExceededException"}
_TRANSIENT_REASONS = {"TransactionConflict", "ThrottlingError", "ProvisionedThroughputExceeded",
                      "RequestLimitExceeded"}


def transient(exc: BaseException) -> bool:
    """True if ``exc`` (or what caused it) is AWS being busy, throttling or slow: timeouts,
    throttling, transaction conflicts, the request's time budget. The caller answers
    "try again" (503 with Retry-After); nothing else about the request is known."""
    from . import deadline

    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if isinstance(exc, deadline.DeadlineExceeded):
            return True
        name = type(exc).__name__
        if name in ("ConnectTimeoutError", "ReadTimeoutError", "EndpointConnectionError", "ConnectionClosedError"):
            return True
        response = getattr(exc, "response", None)
        if isinstance(response, dict):
            code = (response.get("Error") or {}).get("Code", "")
            if code in _TRANSIENT_CODES:
                return True
            reasons = {r.get("Code") for r in response.get("CancellationReasons") or [] if isinstance(r, dict)}
            if code == "TransactionCanceledException" and reasons & _TRANSIENT_REASONS:
                return True
        exc = getattr(exc, "cause", None) or exc.__cause__ or exc.__context__
    return False
