"""Schema fuzzing (schemathesis) of every operation in the served ``/openapi.json``,
against ``make run`` on 127.0.0.1, with and without valid keys and sessions: never a 5xx,
never a trace, every response as documented (status, content type, headers, body schema).

``make test`` runs a few examples per operation (``FUZZ_EXAMPLES``, default 3);
``make fuzz`` runs many more.
"""
from __future__ import annotations

import json
import os
import urllib.request

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, settings
from schemathesis import checks
from schemathesis.generation import GenerationMode

from conftest import KEYS

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "3"))
CHECKS = [checks.not_a_server_error, checks.status_code_conformance, checks.content_type_conformance,
          checks.response_headers_conformance, checks.response_schema_conformance]


def _post(url: str, body: dict, headers: dict) -> dict:
    req = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST",
                                 headers={"Content-Type": "application/json", **headers})
    with urllib.request.urlopen(req, timeout=10) as r:
        return json.loads(r.read())


def _document() -> dict:
    from app import app  # local mode (conftest): the same routes as make run serves
    from chalicelib.openapi.build import document
    return document(app.routes)


def test_the_fuzzed_document_is_the_served_one(local_server):
    with urllib.request.urlopen(local_server + "/openapi.json", timeout=10) as r:
        served = json.loads(r.read())
    served.pop("servers")
    assert served == _document()


@pytest.fixture(scope="module")
def identities(local_server):
    """Valid credentials: the app and master keys, a LeanCloud session, a CloudBase token."""
    lc = {"X-LC-Id": KEYS["VERIKIT_APP_ID"], "X-LC-Key": KEYS["VERIKIT_APP_KEY"]}
    user = _post(local_server + "/1.1/users", {"username": "fuzzer", "password": "fuzz-pass-1"}, lc)
    cb = _post(local_server + "/auth/v1/signin", {"username": "fuzzer", "password": "fuzz-pass-1"}, {})
    return {"app": {**lc, "X-LC-Session": user["sessionToken"]},
            "master": {"X-LC-Id": KEYS["VERIKIT_APP_ID"], "X-LC-Key": KEYS["VERIKIT_MASTER_KEY"] + ",master",
                       "X-LC-Session": user["sessionToken"]},
            "bearer": {"Authorization": "Bearer " + cb["access_token"]}}


def _no_trace(response) -> None:
    raw = response.content or b""  # bytes: a CAPTCHA image is not text
    assert b"Traceback" not in raw and b'File "' not in raw, raw[:500]
    if response.status_code >= 500:
        raise AssertionError(f"{response.status_code}: {raw[:500]!r}")


@schemathesis.serializer("application/x-ndjson")
def _jsonl(ctx, value) -> bytes:
    """JSONL bodies (the LeanCloud import): a generated string goes on the wire as it is."""
    if isinstance(value, bytes):
        return value
    return (value if isinstance(value, str) else json.dumps(value)).encode("utf-8")


schema = schemathesis.openapi.from_dict(_document())
schema.config.generation.update(modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE])


@schema.parametrize()
@settings(max_examples=EXAMPLES, deadline=None, derandomize=os.environ.get("FUZZ_RANDOM") != "1",
          suppress_health_check=list(HealthCheck), phases=[Phase.explicit, Phase.generate])
def test_every_operation_answers_as_documented(case, local_server, identities):
    op = case.operation.definition.raw
    if op.get("x-verikit-key"):
        valid = identities["master" if op["x-verikit-key"] == "master" else "app"]
    elif op.get("security") == [{"cbBearer": []}]:
        valid = identities["bearer"]
    else:
        valid = {}
    for headers in (valid, {}):  # with valid keys and sessions, then with none at all
        response = case.call(base_url=local_server, headers=headers, timeout=10)
        _no_trace(response)
        case.validate_response(response, checks=CHECKS, headers=headers)
