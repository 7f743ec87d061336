"""Shared pynamodb configuration: table names per stage, endpoint, timeouts."""
from __future__ import annotations

import os

from pynamodb.connection import Connection

from .. import deadline


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
    # botocore standard retry mode, 3 attempts in all; every attempt must also fit what is
    # left of the request's time budget (chalicelib/deadline.py)
    connect_timeout_seconds, read_timeout_seconds, _attempts = deadline.DYNAMODB
    max_retry_attempts = _attempts - 1
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
        deadline.install(_conn.client, deadline.DYNAMODB)
    return _conn


class Cancelled(Exception):
    """A transaction was cancelled: ``failed`` holds the tags of the operations whose
    condition failed; ``conflict`` is true when another transaction got in the way."""

    def __init__(self, failed: set, conflict: bool, items: dict | None = None):
        super().__init__(f"transaction cancelled: failed={sorted(failed, key=str)} conflict={conflict}")
        self.failed, self.conflict = failed, conflict
        self.items = items or {}  # tag -> the item as it was (for writes that asked for it)


class SharedConnection:
    """Model mixin: every model talks through the one process-wide botocore client.

    pynamodb gives each model class its own botocore session and client; creating one
    costs 50-130 ms of a cold start (it loads the DynamoDB service model each time)."""

    @classmethod
    def _get_connection(cls):
        conn = super()._get_connection()
        shared = connection()
        if conn.connection is not shared:
            if conn.table_name not in shared._tables:
                shared.add_meta_table(conn.get_meta_table())
            conn.connection = shared
        return conn


_SINGLE = {"Put": "put_item", "Update": "update_item", "Delete": "delete_item"}


def transact(ops: list) -> None:
    """One ``TransactWriteItems`` of ``(tag, kind, kwargs)`` in the given order, where kind
    is Put, Update, Delete or ConditionCheck and kwargs come from pynamodb's
    ``get_*_kwargs`` helpers. Cancellation reasons are mapped back to the tags.

    A single write needs no transaction: it goes as a plain conditional write (half the
    write capacity, one less coordinator hop), with the same ``Cancelled`` on failure."""
    client = connection().client
    if len(ops) == 1 and ops[0][1] in _SINGLE:
        tag, kind, kwargs = ops[0]
        try:
            getattr(client, _SINGLE[kind])(**kwargs)
        except client.exceptions.ConditionalCheckFailedException as e:
            item = e.response.get("Item")
            raise Cancelled({tag}, False, {tag: item} if item else {}) from None
        return
    items = [{kind: kwargs} for _, kind, kwargs in ops]
    try:
        client.transact_write_items(TransactItems=items)
    except client.exceptions.TransactionCanceledException as e:
        reasons = e.response.get("CancellationReasons") or []
        failed = {tag for (tag, _, _), r in zip(ops, reasons) if r.get("Code") == "ConditionalCheckFailed"}
        conflict = any(r.get("Code") == "TransactionConflict" for r in reasons)
        if not failed and not conflict:
            raise
        items = {tag: r["Item"] for (tag, _, _), r in zip(ops, reasons) if r.get("Item")}
        raise Cancelled(failed, conflict, items) from None


def put_kwargs(item, condition=None) -> dict:
    return item.get_save_kwargs_from_instance(condition=condition)


def update_kwargs(item, actions, condition=None, return_old: bool = False) -> dict:
    """``return_old``: a failed condition reports the item as it was (e.g. when a cooldown
    ends), at no extra round trip."""
    return item.get_update_kwargs_from_instance(
        actions=actions, condition=condition, return_values_on_condition_failure="ALL_OLD" if return_old else None)


def delete_kwargs(item, condition=None) -> dict:
    return item.get_delete_kwargs_from_instance(condition=condition)
