"""moto on 127.0.0.1, made faithful where verikit's correctness depends on it.

moto's in-memory DynamoDB does not serialise concurrent requests: with threads, two
conditional writes can both pass their condition, and transactions can lose updates
(measured: 14 of 50 concurrent TransactWriteItems succeeded against a counter capped at
10). Real DynamoDB applies each write and each transaction atomically. We restore that
by running DynamoDB requests one at a time; everything else stays concurrent.
"""
from __future__ import annotations

import logging
import threading

from werkzeug.serving import make_server


class SerialisedDynamoDB:
    """WSGI middleware: one DynamoDB request at a time (per-item atomicity, serialisable
    transactions), as the real service guarantees."""

    def __init__(self, app):
        self.app = app
        self.lock = threading.Lock()

    def __call__(self, environ, start_response):
        target = environ.get("HTTP_X_AMZ_TARGET", "")
        if target.startswith("DynamoDB_"):
            with self.lock:
                # materialise the response inside the lock
                return list(self.app(environ, start_response))
        return self.app(environ, start_response)


def cheap_transaction_rollback() -> None:
    """moto 5.2.5 backs up a whole table (``copy.deepcopy``) for every item of every
    ``TransactWriteItems``, so a transaction costs time proportional to the table: 2 users/s
    for an import once a few hundred users exist, and read timeouts beyond. Back up only the
    items the transaction touches instead, and put them back if it is cancelled: the same
    all-or-nothing outcome (DynamoDB requests run one at a time here, see above)."""
    import copy

    import moto.dynamodb.models as models
    from moto.dynamodb.models.table import Table

    if getattr(models.DynamoDBBackend.transact_write_items, "_verikit", False):
        return
    original = models.DynamoDBBackend.transact_write_items
    state = {"in_transaction": False}

    class _Copy:
        """moto's ``copy`` module inside a transaction: tables are not copied."""

        def __getattr__(self, name):
            return getattr(copy, name)

        @staticmethod
        def deepcopy(value, *args, **kwargs):
            if state["in_transaction"] and isinstance(value, Table):
                return value
            return copy.deepcopy(value, *args, **kwargs)

    models.copy = _Copy()

    def transact_write_items(self, transact_items):
        saved = []
        for entry in transact_items:
            try:
                _, op = next(iter(entry.items()))
                table = self.tables.get(op.get("TableName"))
                if table is None:
                    continue
                attrs = op.get("Item") or op.get("Key") or {}
                key = {table.hash_key_attr: attrs[table.hash_key_attr]}
                if table.range_key_attr is not None:
                    key[table.range_key_attr] = attrs[table.range_key_attr]
                current = self.get_item(op["TableName"], key)
                saved.append((op["TableName"], key, copy.deepcopy(current.to_json()["Attributes"])
                              if current is not None else None))
            except Exception:  # malformed: the original raises its own error before writing
                continue
        state["in_transaction"] = True
        try:
            return original(self, transact_items)
        except Exception:
            for table_name, key, attrs in reversed(saved):
                table = self.get_table(table_name)
                hash_key, range_key = self.get_keys_value(table, key)
                table.delete_item(hash_key, range_key)
                if attrs is not None:
                    table.put_item(attrs)
            raise
        finally:
            state["in_transaction"] = False

    transact_write_items._verikit = True
    models.DynamoDBBackend.transact_write_items = transact_write_items


class MotoServer:
    def __init__(self, host: str = "127.0.0.1", port: int = 0):
        from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

        cheap_transaction_rollback()

        logging.getLogger("werkzeug").setLevel(logging.ERROR)
        app = SerialisedDynamoDB(DomainDispatcherApplication(create_backend_app))
        self._server = make_server(host, port, app, threaded=True)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> "MotoServer":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
