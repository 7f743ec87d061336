"""Shared pynamodb configuration: table names per stage, endpoint, timeouts."""
from __future__ import annotations

import os

from pynamodb.connection import Connection


def stage() -> str:
    return os.environ.get("VERIKIT_STAGE", "dev")


def table_name(kind: str) -> str:
    """``VERIKIT_<KIND>_TABLE`` if set (chalice config sets it per stage), else a default."""
    return os.environ.get(f"VERIKIT_{kind.upper()}_TABLE") or f"verikit-{stage()}-{kind}"


def region() -> str:
    return os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"


def endpoint() -> str | None:
    return os.environ.get("AWS_ENDPOINT_URL_DYNAMODB") or os.environ.get("AWS_ENDPOINT_URL") or None


class BaseMeta:
    region = region()
    host = endpoint()
    billing_mode = "PAY_PER_REQUEST"
    connect_timeout_seconds = 2
    read_timeout_seconds = 3
    max_retry_attempts = 2
    max_pool_connections = 50


_conn: Connection | None = None


def connection() -> Connection:
    """The connection transactions go through (one botocore client per process)."""
    global _conn
    if _conn is None:
        _conn = Connection(region=BaseMeta.region, host=BaseMeta.host,
                           connect_timeout_seconds=BaseMeta.connect_timeout_seconds,
                           read_timeout_seconds=BaseMeta.read_timeout_seconds,
                           max_retry_attempts=BaseMeta.max_retry_attempts,
                           max_pool_connections=BaseMeta.max_pool_connections)
    return _conn
