"""A webhook receiver on 127.0.0.1 that checks each request as a real one would: the
Standard Webhooks signature, verified with the reference library (``standardwebhooks``),
against the endpoint's secret. It records what arrived and answers as told: ``fail`` the
first N requests with a 500, ``always_fail``, or ``delay`` seconds before answering."""
from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from standardwebhooks.webhooks import Webhook, WebhookVerificationError


class Receiver:
    def __init__(self, fail: int = 0, always_fail: bool = False, delay: float = 0.0):
        self.secrets: list = []
        self.fail, self.always_fail, self.delay = fail, always_fail, delay
        self.received: list = []     # every request: {"headers", "body", "verified", "answered"}
        self.events: list = []       # the verified events (parsed)
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                headers = {k.lower(): v for k, v in self.headers.items()}
                event = receiver._verify(body, headers)
                with receiver._lock:
                    n = len(receiver.received)
                    failing = receiver.always_fail or n < receiver.fail
                    status = 500 if failing else (200 if event is not None else 401)
                    receiver.received.append({"headers": headers, "body": body.decode(), "verified": event is not None,
                                              "answered": status})
                    if event is not None and not failing:
                        receiver.events.append(event)
                if receiver.delay:
                    time.sleep(receiver.delay)
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(json.dumps({"ok": status == 200}).encode())

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def _verify(self, body: bytes, headers: dict):
        for secret in self.secrets:
            try:
                return Webhook(secret).verify(body, headers)
            except WebhookVerificationError:
                continue
        return None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hooks/verikit"

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()
