"""Start verikit locally: moto + tables + the Chalice app on one port."""
from __future__ import annotations

import json
import os
import secrets
from pathlib import Path

from .moto_server import MotoServer

KEYS_FILE = Path(__file__).resolve().parent.parent / ".local" / "dev-keys.json"


def dev_keys(path: Path = KEYS_FILE) -> dict:
    """The dev app id and keys: from the environment if set, else generated once and kept
    in .local/dev-keys.json (git-ignored) so SDK configs survive restarts."""
    keys = {}
    if path.exists():
        keys = json.loads(path.read_text())
    changed = False
    for env, length in (("VERIKIT_APP_ID", 12), ("VERIKIT_APP_KEY", 24),
                        ("VERIKIT_MASTER_KEY", 24), ("VERIKIT_CODE_SECRET", 32), ("VERIKIT_HOOK_KEY", 24)):
        if os.environ.get(env):
            keys[env] = os.environ[env]
        elif not keys.get(env):
            keys[env] = ("dev" if env == "VERIKIT_APP_ID" else "") + secrets.token_urlsafe(length)[:length]
            changed = True
    if changed:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps({k: v for k, v in keys.items()}, indent=2))
        path.chmod(0o600)
    return keys


def start_moto(environ=os.environ) -> MotoServer:
    """Start moto and point every AWS client of this process at it."""
    moto = MotoServer().start()
    environ.update({
        "AWS_ENDPOINT_URL": moto.url,
        "AWS_ACCESS_KEY_ID": "local", "AWS_SECRET_ACCESS_KEY": "local",
        "AWS_REGION": environ.get("AWS_REGION", "us-east-1"),
        "AWS_DEFAULT_REGION": environ.get("AWS_REGION", "us-east-1"),
        "VERIKIT_LOCAL": "1",
    })
    environ.pop("AWS_PROFILE", None)
    environ.pop("AWS_SESSION_TOKEN", None)
    return moto


def create_tables() -> None:
    """Local provisioning on moto: every table from the models, and the SES identity that
    emails are sent from (SES refuses unverified senders; moto too)."""
    from chalicelib.store import all_models

    for model in all_models():
        if not model.exists():
            model.create_table(wait=True)
    verify_email_identity()
    create_queues()


def create_queues() -> None:
    """The events queue and its dead-letter queue (webhooks, LeanEngine after-hooks), as the
    deploy template makes them."""
    import json as _json

    from chalicelib import aws
    from chalicelib.hooks.queue import MAX_RECEIVES, VISIBILITY_SECONDS, queue_name

    sqs = aws.client("sqs")
    dlq = sqs.create_queue(QueueName=queue_name(dead=True))["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sqs.create_queue(QueueName=queue_name(), Attributes={
        "VisibilityTimeout": str(VISIBILITY_SECONDS),
        "RedrivePolicy": _json.dumps({"deadLetterTargetArn": arn, "maxReceiveCount": MAX_RECEIVES})})


def start_worker():
    """The in-process delivery worker of ``make run`` (Lambda's SQS trigger in AWS)."""
    from chalicelib import wiring
    from chalicelib.hooks.queue import LocalWorker

    worker = LocalWorker(wiring.worker)
    worker.start()
    return worker


def verify_email_identity() -> None:
    from chalicelib import aws, runtime

    ses = aws.client("sesv2")
    try:
        ses.create_email_identity(EmailIdentity=runtime.email_from() or runtime.LOCAL_EMAIL_FROM)
    except ses.exceptions.AlreadyExistsException:
        pass


def probe_port(host: str, port: int) -> None:
    """Raise OSError (EADDRINUSE) if ``port`` cannot be bound, before anything is started."""
    import socket

    if port == 0:
        return
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the HTTP server binds
        s.bind((host, port))


def serve_app(host: str, port: int):
    """A chalice local server for app.py whose unknown routes answer JSON 404s."""
    from chalice.config import Config
    from chalice.local import (ChaliceRequestHandler, CustomLocalChalice, ForbiddenError,
                               LocalChalice, LocalDevServer, ThreadedHTTPServer)

    from app import app
    from chalicelib.dialects import not_found

    class Handler(ChaliceRequestHandler):
        def _send_error_response(self, error):
            if isinstance(error, ForbiddenError) and b"Missing Authentication Token" in (error.body or b""):
                status, body = not_found(self.command, self.path)
                self._send_http_response(status, {"Content-Type": "application/json; charset=utf-8",
                                                  "Access-Control-Allow-Origin": "*"},
                                         json.dumps(body).encode())
                return
            super()._send_error_response(error)

        def send_error(self, code, message=None, explain=None):
            if code == 501:  # a method the HTTP server has no handler for (TRACE, ...): JSON 405
                status, body = not_found(self.command, self.path, status=405)
                self._send_http_response(status, {"Content-Type": "application/json; charset=utf-8",
                                                  "Access-Control-Allow-Origin": "*"},
                                         json.dumps(body).encode())
                return
            super().send_error(code, message, explain)

        def log_message(self, format, *args):  # the app logs JSON lines itself
            pass

    class Server(ThreadedHTTPServer):
        request_queue_size = 256  # the default backlog of 5 resets bursts of clients

    CustomLocalChalice.__bases__ = (LocalChalice, app.__class__)
    app.__class__ = CustomLocalChalice
    return LocalDevServer(app, Config.create(app_name="verikit"), host, port, handler_cls=Handler,
                          server_cls=Server)
