"""Test harness: one embedded moto server for the session (DynamoDB serialised as the
real service is, see devserver/moto_server.py), fresh tables for every test."""
from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import awscalls  # noqa: E402  records every AWS call; tests/test_zz_policy.py checks them against the IAM policies
from awscalls import pytest_collection_modifyitems, pytest_terminal_summary  # noqa: E402,F401

awscalls.install()

KEYS = {"VERIKIT_APP_ID": "testapp", "VERIKIT_APP_KEY": "test-app-key",
        "VERIKIT_MASTER_KEY": "test-master-key", "VERIKIT_CODE_SECRET": "test-code-secret",
        "VERIKIT_HOOK_KEY": "test-hook-key"}
os.environ.update(KEYS)
os.environ["VERIKIT_STAGE"] = "test"
os.environ.pop("VERIKIT_SETTINGS", None)

from devserver.local import create_tables, start_moto  # noqa: E402

MOTO = start_moto()
create_tables()

from chalicelib import runtime, wiring  # noqa: E402


# the fraud guard records instead of blocking in tests that are not about it (it still reads
# and counts every send); tests/test_fraud_guard.py asks for "block"
GUARD = {"fraud_guard": "record"}

# VERIKIT_TEST_CLOCKS=2027-02-28T23:59:50Z,...: every test runs once per instant, the
# service's one clock (wiring.clock()) starting there and running on (tests/test_at_fixed_clocks.py)
TEST_CLOCKS = [c.strip() for c in os.environ.get("VERIKIT_TEST_CLOCKS", "").split(",") if c.strip()]


def _fresh(at):
    urllib.request.urlopen(urllib.request.Request(f"{MOTO.url}/moto-api/reset", method="POST")).read()
    create_tables()
    os.environ["VERIKIT_SETTINGS"] = json.dumps(GUARD)
    runtime.reset()
    if at:
        from datetime import datetime

        from chalicelib.core.clock import RunningClock
        wiring.clock().default = RunningClock(datetime.fromisoformat(at.replace("Z", "+00:00")).timestamp())
    wiring.reset()
    from chalicelib.store import stats
    stats.reset()
    yield
    os.environ.pop("VERIKIT_SETTINGS", None)
    wiring.reset()


if TEST_CLOCKS:
    @pytest.fixture(autouse=True, params=TEST_CLOCKS)
    def fresh_state(request):
        yield from _fresh(request.param)
else:
    @pytest.fixture(autouse=True)
    def fresh_state():
        yield from _fresh(None)


@pytest.fixture
def settings():
    """settings(cooldown_seconds=0, ...) applies overrides to the service."""

    def apply(**overrides):
        os.environ["VERIKIT_SETTINGS"] = json.dumps({**GUARD, **overrides})
        wiring.reset()

    return apply


@pytest.fixture(scope="session")
def app():
    from app import app as chalice_app
    return chalice_app


class LC:
    """A tiny LeanCloud REST client over chalice.test.Client."""

    def __init__(self, client):
        self.client = client
        self.headers = {"X-LC-Id": KEYS["VERIKIT_APP_ID"], "X-LC-Key": KEYS["VERIKIT_APP_KEY"],
                        "Content-Type": "application/json"}

    def post(self, path, body=None, headers=None, raw=None):
        h = {**self.headers, **(headers or {})}
        data = raw if raw is not None else json.dumps(body or {})
        r = self.client.http.post(path, headers=h, body=data)
        return r.status_code, json.loads(r.body) if r.body else None

    def get(self, path, headers=None):
        r = self.client.http.get(path, headers={**self.headers, **(headers or {})})
        return r.status_code, json.loads(r.body) if r.body else None

    def put(self, path, body=None, headers=None):
        r = self.client.http.put(path, headers={**self.headers, **(headers or {})}, body=json.dumps(body or {}))
        return r.status_code, json.loads(r.body) if r.body else None

    def request_code(self, phone="+8613800138000", **extra):
        return self.post("/1.1/requestSmsCode", {"mobilePhoneNumber": phone, **extra})

    def verify(self, code, phone="+8613800138000"):
        return self.post(f"/1.1/verifySmsCode/{code}", {"mobilePhoneNumber": phone})


@pytest.fixture
def lc(app, tmp_path):
    from chalice.test import Client
    with Client(app, project_dir=str(tmp_path)) as client:
        yield LC(client)


def last_code(to: str) -> str:
    import re
    sent = wiring.outbox().list(to)
    assert sent, f"nothing was sent to {to}"
    return re.search(r"(\d(?:, )?){4,10}", sent[-1]["body"]).group(0).replace(", ", "")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def serve(extra_env: dict | None = None):
    """verikit as `make run` starts it, in a subprocess on a free port (``extra_env``: more
    environment, e.g. the endpoints of local fakes). Yields its URL."""
    port = free_port()
    env = {**os.environ, **KEYS, "PORT": str(port), "PYTHONUNBUFFERED": "1"}
    for k in ("AWS_ENDPOINT_URL", "VERIKIT_LOCAL", "VERIKIT_SETTINGS"):
        env.pop(k, None)
    env["VERIKIT_SETTINGS"] = json.dumps({"allowed_regions": ["*"]})
    env.update(extra_env or {})
    # its log goes to a file: an unread pipe fills up (64 KB of JSON lines) and blocks the server
    logfile = tempfile.TemporaryFile(mode="w+")
    proc = subprocess.Popen([sys.executable, "-m", "devserver"], cwd=ROOT, env=env,
                            stdout=logfile, stderr=subprocess.STDOUT, text=True)
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 30
    while time.time() < deadline:
        try:
            urllib.request.urlopen(url + "/dev/outbox", timeout=1).read()
            break
        except Exception:
            if proc.poll() is not None:
                logfile.seek(0)
                raise RuntimeError("local server died:\n" + logfile.read())
            time.sleep(0.2)
    else:
        proc.kill()
        raise RuntimeError("local server did not start")
    try:
        yield url
    finally:
        proc.terminate()
        proc.wait(10)
        logfile.close()


@pytest.fixture(scope="module")
def local_server():
    """verikit as `make run` starts it, in a subprocess on a free port."""
    with serve() as url:
        yield url
