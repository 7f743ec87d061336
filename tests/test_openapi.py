"""GET /openapi.json: a valid OpenAPI 3.1 document equal to chalice's own route table."""
from __future__ import annotations

import json
import os
import subprocess
import sys

from conftest import ROOT

HOW_TO_ADD = """
{n} route(s) are served but not documented in the OpenAPI document:
{rows}
Add one entry per route to OPERATIONS in chalicelib/openapi/operations.py (next to the
entries of the same dialect), for example:

{examples}

Op(summary, body=<JSON Schema of the JSON body>, body_required=True|False,
query={{"name": STR, ...}}, ok={{status: <JSON Schema of the success body>}},
session="required"|"optional" (X-LC-Session), bearer=True (CloudBase access token),
media={{200: {{"text/html": STR}}}} with ok={{}} for a page that is not JSON). Helpers are in
chalicelib/openapi/schemas.py: obj(("required", ...), name=STR, n=INT, ...), ref("LeanCloudUser"),
EMPTY for {{}}, ANY_OBJECT only where the body is really open. Keys (app or master, from
lc_view), path parameters and the dialect's error responses come from the route table; see
chalicelib/openapi/build.py. The schema fuzz (tests/test_fuzz.py) then checks the route
against what you wrote.
"""


def _example(method: str, path: str) -> str:
    body = ' body_required=True, body=obj(("field",), field=STR),' if method in ("POST", "PUT", "PATCH") else ""
    return f'    ("{method}", "{path}"): Op("<what it does>",{body} ok={{200: obj(("result",), result=STR)}}),'


def _routes(app):
    return {(m, p) for p, methods in app.routes.items() for m in methods}


def test_the_document_covers_exactly_the_route_table(app):
    from chalicelib.openapi.build import document, missing, stale

    gaps = missing(app.routes)
    assert not gaps, HOW_TO_ADD.format(
        n=len(gaps), rows="\n".join(f"  {m} {p}" for m, p in gaps),
        examples="\n".join(_example(m, p) for m, p in gaps))
    assert not stale(app.routes), (
        f"chalicelib/openapi/operations.py documents routes the app does not serve: {stale(app.routes)}; "
        "remove those entries (or fix their method/path to match @bp.route)")
    doc = document(app.routes)
    documented = {(m.upper(), p) for p, ops in doc["paths"].items() for m in ops}
    assert documented == _routes(app)


def test_the_document_is_valid_openapi_3_1(app):
    from openapi_spec_validator import validate

    from chalicelib.openapi.build import document

    doc = document(app.routes, "http://127.0.0.1:8000")
    assert doc["openapi"] == "3.1.0"
    validate(doc)


def test_served_without_a_key_with_keys_errors_and_settings_from_the_code(lc):
    r = lc.client.http.get("/openapi.json")  # no X-LC-* headers at all
    assert r.status_code == 200, r.body
    doc = json.loads(r.body)
    send = doc["paths"]["/1.1/requestSmsCode"]["post"]
    # the app key (X-LC-Id with X-LC-Key or X-LC-Sign), from lc_view
    assert {"lcId": [], "lcKey": []} in send["security"] and send["x-verikit-key"] == "app"
    assert doc["paths"]["/admin/v1/settings"]["patch"]["x-verikit-key"] == "master"
    assert "security" not in doc["paths"]["/auth/v1/verification"]["post"]
    assert doc["paths"]["/auth/v1/user/me"]["get"]["security"] == [{"cbBearer": []}]
    # each dialect's error shape and Retry-After where a status carries it
    assert send["responses"]["429"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/LeanCloudError"}
    assert "Retry-After" in send["responses"]["429"]["headers"]
    assert "Retry-After" in send["responses"]["503"]["headers"]
    cb = doc["paths"]["/auth/v1/verification"]["post"]["responses"]
    assert cb["429"]["content"]["application/json"]["schema"]["$ref"].endswith("/CloudBaseError")
    # path parameters from the route template
    assert [p["name"] for p in doc["paths"]["/1.1/verifySmsCode/{code}"]["post"]["parameters"]] == ["code"]
    # the settings schema is the Settings dataclass
    from chalicelib.core.settings import Settings
    settings = doc["components"]["schemas"]["Settings"]["properties"]
    assert set(settings) == set(Settings().to_dict())
    assert settings["code_length"]["minimum"] == 4 and settings["code_length"]["maximum"] == 10
    assert settings["code_format"]["enum"] == ["numeric", "complex"]


def test_every_documented_error_status_is_one_the_dialect_answers():
    from chalicelib.dialects.cloudbase import _KINDS as CB
    from chalicelib.dialects.leancloud.common import _KINDS as LC
    from chalicelib.openapi.build import error_statuses

    assert {s for s, _ in LC.values()} <= set(error_statuses("leancloud"))
    assert {s for _, (s, _, _) in CB} <= set(error_statuses("cloudbase"))


def test_dev_routes_are_documented_only_when_served():
    env = {k: v for k, v in os.environ.items() if k != "VERIKIT_LOCAL"}
    code = ("import json; from app import app; from chalicelib.openapi.build import document; "
            "print(json.dumps(sorted(document(app.routes)['paths'])))")
    paths = json.loads(subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True,
                                      text=True, check=True).stdout)
    assert "/1.1/requestSmsCode" in paths and "/openapi.json" in paths
    assert not [p for p in paths if p.startswith("/dev/")]


def test_the_failure_message_says_what_to_add(app):
    """A new route without an entry fails with the exact entry to add and the file."""
    from chalice import Chalice

    from chalicelib.openapi.build import missing

    extra = Chalice(app_name="probe")
    extra.routes.update(app.routes)

    @extra.route("/admin/v1/undocumented-probe", methods=["GET"])
    def stats():
        return {}

    gaps = missing(extra.routes)
    assert gaps == [("GET", "/admin/v1/undocumented-probe")]
    text = HOW_TO_ADD.format(n=1, rows="  GET /admin/v1/undocumented-probe", examples=_example(*gaps[0]))
    assert "chalicelib/openapi/operations.py" in text and '("GET", "/admin/v1/undocumented-probe"): Op(' in text
    # the example is valid Python that builds an Op
    from chalicelib.openapi import build, schemas
    entry = eval("{" + _example("POST", "/1.1/x") + "}", {**vars(schemas), "Op": build.Op})  # noqa: S307
    assert entry[("POST", "/1.1/x")].body_required
