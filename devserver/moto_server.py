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


class MotoServer:
    def __init__(self, host: str = "127.0.0.1", port: int = 0):
        from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

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
