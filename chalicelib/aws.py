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
                region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"
                c = session().create_client(
                    service, region_name=region,
                    config=Config(connect_timeout=2, read_timeout=5,
                                  retries={"max_attempts": 2, "mode": "standard"}))
                _clients[service] = c
    return c
