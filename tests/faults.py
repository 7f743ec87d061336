"""Failure injection at botocore's transport: a ``before-send`` handler that answers an
attempt with an AWS error response, or raises a timeout, instead of sending it to moto.
Everything else (retries, parsing, the store and the service) runs as in production; calls
that are not matched go to moto as usual."""
from __future__ import annotations

import json
import threading
import time
from contextlib import contextmanager

from botocore.awsrequest import AWSResponse
from botocore.exceptions import ConnectTimeoutError, ReadTimeoutError


class _Raw:
    def __init__(self, body: bytes):
        self._body = body

    def stream(self, **_):
        yield self._body


def dynamodb_error(code: str, **extra) -> AWSResponse:
    body = {"__type": f"com.amazonaws.dynamodb.v20120810#{code}", "message": f"injected {code}", **extra}
    return AWSResponse("https://dynamodb", 400, {"x-amzn-RequestId": "injected"}, _Raw(json.dumps(body).encode()))


def query_error(code: str, status: int = 400, message: str = "") -> AWSResponse:
    """An error of a query-protocol service (SNS)."""
    body = (f"<ErrorResponse><Error><Type>Sender</Type><Code>{code}</Code><Message>{message or 'injected ' + code}</Message>"
            f"</Error><RequestId>injected</RequestId></ErrorResponse>").encode()
    return AWSResponse("https://sns", status, {"x-amzn-RequestId": "injected"}, _Raw(body))


def rest_json_error(code: str, status: int = 400) -> AWSResponse:
    """An error of a rest-json service (SES v2)."""
    return AWSResponse("https://email", status, {"x-amzn-ErrorType": code},
                       _Raw(json.dumps({"message": f"injected {code}"}).encode()))


def read_timeout():
    raise ReadTimeoutError(endpoint_url="https://injected")


def connect_timeout():
    raise ConnectTimeoutError(endpoint_url="https://injected")


class Injection:
    def __init__(self):
        self.attempts = 0
        self.lock = threading.Lock()


@contextmanager
def inject(client, operation: str, fault, times: int | None = None, delay: float = 0.0):
    """Make the next ``times`` attempts (all if None) of ``operation`` on ``client`` fail
    with ``fault``: an AWSResponse, or a callable that raises (e.g. ``read_timeout``)."""
    state = Injection()

    def handler(request=None, event_name="", **kwargs):
        if event_name != event:
            return None
        with state.lock:
            if times is not None and state.attempts >= times:
                return None
            state.attempts += 1
        if delay:
            time.sleep(delay)
        if callable(fault):
            return fault()
        return fault

    service = client.meta.service_model.service_id.hyphenize()
    event = f"before-send.{service}.{operation}"
    # on "before-send" itself (botocore runs more specific handlers first): after the
    # request-budget guard, as a real slow or failing attempt would be
    client.meta.events.register("before-send", handler, unique_id=f"fault-{id(state)}")
    try:
        yield state
    finally:
        client.meta.events.unregister("before-send", unique_id=f"fault-{id(state)}")
