"""The move from LeanCloud end to end, against `make run`: a gzip'd BSON dump (the sunset
export's format) through `make import-leancloud`, a re-import, a delta, then the official
LeanCloud Python and JS SDKs against the imported users: old passwords (the spec's test
vector), old session tokens, custom fields, master-key queries and deletion."""
import gzip
import json
import os
import shutil
import subprocess
import urllib.request
from datetime import datetime, timezone

import bson
import pytest

from conftest import KEYS, ROOT

SDK_PYTHON = ROOT / ".venv-sdk" / "bin" / "python"
JS = ROOT / "tests" / "sdk" / "js"
SALT = "h60d8x797d3oa0naxybxxv9bn7xpt2yiowz68mpiwou7gwr2"
HASHED = "tA7BLW+NK0UeARng0693gCaVnljkglCB9snqlpCSUKjx2RgYp8VZZOQt0S5iUtlDrkJXfT3gknS4rRqjYsd/Ug=="

FACTS = {"vector_phone": "+8613900139001", "vector_token": "vectortoken0123456789abcd",
         "py_phone": "+8613900139002", "py_token": "pytoken0123456789abcdefgh",
         "js_phone": "+8613900139003", "js_token": "jstoken0123456789abcdefgh",
         "py_delete_token": "pydeletetoken0123456789ab", "js_delete_token": "jsdeletetoken0123456789ab",
         "moved_from": "+8613900139006", "moved_to": "+8613900139016"}
CREATED = datetime(2024, 3, 1, 8, 30, 15, 123000, tzinfo=timezone.utc)
UPDATED = datetime(2025, 7, 2, 7, 58, 53, 87000, tzinfo=timezone.utc)


def legacy(password, salt):
    from chalicelib.core.passwords import leancloud_digest
    return {"password": leancloud_digest(salt, password), "salt": salt}


def dump_records():
    """Records as a LeanCloud MongoDB dump holds them: `_id` ObjectIds, BSON datetimes."""
    def user(oid, username, phone, token, **extra):
        return {"_id": bson.ObjectId(oid), "username": username, "mobilePhoneNumber": phone[3:],
                "mobilePhoneVerified": True, "createdAt": CREATED, "updatedAt": UPDATED,
                "sessionToken": token, "ACL": {"*": {"read": True}}, **extra}

    return [
        user("5f0000000000000000000001", "lc_vector", FACTS["vector_phone"], FACTS["vector_token"],
             password=HASHED, salt=SALT, email="vector@example.com", emailVerified=True, nickname="Vec", level=3,
             lastSeen=datetime(2025, 6, 1, tzinfo=timezone.utc)),
        user("5f0000000000000000000002", "lc_py", FACTS["py_phone"], FACTS["py_token"], nickname="Py",
             **legacy("py-pass-123", "saltpy0123456789"),
             ACL={"5f0000000000000000000002": {"read": True, "write": True}}),  # owner only
        user("5f0000000000000000000003", "lc_js", FACTS["js_phone"], FACTS["js_token"], nickname="Js",
             **legacy("js-pass-123", "saltjs0123456789")),
        user("5f0000000000000000000004", "lc_py_delete", "+8613900139004", FACTS["py_delete_token"]),
        user("5f0000000000000000000005", "lc_js_delete", "+8613900139005", FACTS["js_delete_token"]),
        user("5f0000000000000000000006", "lc_mover", FACTS["moved_from"], "movertoken0123456789abcd",
             **legacy("mover-pass", "saltmover012345")),
    ]


def make_import(local_server, path, *extra):
    env = {**os.environ, "MASTER_KEY": KEYS["VERIKIT_MASTER_KEY"]}
    return subprocess.run(["make", "-s", "import-leancloud", f"FILE={path}", f"URL={local_server}",
                           f"APP_ID={KEYS['VERIKIT_APP_ID']}", *extra], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300, stdin=subprocess.DEVNULL)


@pytest.fixture(scope="module")
def imported(local_server, tmp_path_factory):
    d = tmp_path_factory.mktemp("export")
    dump = d / "_User.0a1b2c.bson.gz"
    with gzip.open(dump, "wb") as f:
        for r in dump_records():
            f.write(bson.encode(r))
    runs = {"first": make_import(local_server, dump), "again": make_import(local_server, dump),
            "dry": make_import(local_server, dump, "DRY_RUN=1")}
    delta = d / "delta.jsonl"
    delta.write_text(json.dumps({"objectId": "5f0000000000000000000006", "username": "lc_mover",
                                 "mobilePhoneNumber": FACTS["moved_to"], "mobilePhoneVerified": True,
                                 "updatedAt": {"__type": "Date", "iso": "2025-08-01T00:00:00.000Z"},
                                 "createdAt": "2024-03-01T08:30:15.123Z",
                                 **legacy("mover-pass", "saltmover012345")}) + "\n"
                     + "{broken\n")
    runs["delta"] = make_import(local_server, delta)
    return runs


def test_make_import_leancloud_reads_a_gzipped_bson_dump(imported):
    first = imported["first"]
    assert first.returncode == 0, first.stdout + first.stderr
    assert "6 created, 0 updated, 0 unchanged, 0 failed" in first.stdout
    assert "records" in first.stderr and "#" in first.stderr          # the progress bar
    assert KEYS["VERIKIT_MASTER_KEY"] not in first.stdout + first.stderr
    again = imported["again"]
    assert again.returncode == 0 and "0 created, 0 updated, 6 unchanged, 0 failed" in again.stdout
    assert "0 would be created, 0 would be updated, 6 unchanged" in imported["dry"].stdout


def test_a_delta_import_reports_bad_lines_and_exits_non_zero(imported):
    delta = imported["delta"]
    assert delta.returncode != 0  # the tool exits 1; make reports a failed recipe as 2
    assert "0 created, 1 updated, 0 unchanged, 1 failed" in delta.stdout
    assert "line 2: -: not a JSON object" in delta.stdout


def test_the_tool_refuses_a_wrong_master_key_and_asks_for_a_missing_one(local_server, tmp_path):
    f = tmp_path / "one.jsonl"
    f.write_text(json.dumps({"objectId": "a" * 24, "username": "x", "updatedAt": "2025-01-01T00:00:00Z"}))
    env = {k: v for k, v in os.environ.items() if k not in ("MASTER_KEY", "VERIKIT_MASTER_KEY")}
    cmd = ["make", "-s", "import-leancloud", f"FILE={f}", f"URL={local_server}", f"APP_ID={KEYS['VERIKIT_APP_ID']}"]
    proc = subprocess.run(cmd, cwd=ROOT, env={**env, "MASTER_KEY": "wrong"}, capture_output=True, text=True,
                          timeout=120, stdin=subprocess.DEVNULL)
    assert proc.returncode != 0 and "refused the master key" in proc.stderr
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
                          stdin=subprocess.DEVNULL)
    assert proc.returncode != 0 and "MASTER_KEY" in proc.stderr


def test_json_documents_stream_in_batches(local_server, tmp_path):
    from deploy.import_leancloud import Client, run
    import io
    f = tmp_path / "export.json"
    f.write_text(json.dumps({"results": [{"objectId": f"{i:024x}", "username": f"json{i}",
                                          "updatedAt": "2025-01-01T00:00:00Z"} for i in range(1, 26)]
                                        + [{"objectId": "bad id"}]}))
    out, err = io.StringIO(), io.StringIO()
    code = run(str(f), Client(local_server, KEYS["VERIKIT_APP_ID"], KEYS["VERIKIT_MASTER_KEY"], False),
               batch=10, parallel=2, out=out, err=err)
    assert code == 1
    assert "25 created, 0 updated, 0 unchanged, 1 failed" in out.getvalue()
    assert "line 26: -:" in out.getvalue() or "line 26: bad id:" in out.getvalue()


# ---- the official SDKs after the import ------------------------------------------------------

@pytest.fixture(scope="module")
def python_sdk(imported, local_server):
    assert SDK_PYTHON.exists(), "run `make test`: it installs the LeanCloud SDK into .venv-sdk"
    proc = subprocess.run([str(SDK_PYTHON), str(ROOT / "tests/sdk/lc_python_import.py"), local_server,
                           KEYS["VERIKIT_APP_ID"], KEYS["VERIKIT_APP_KEY"], KEYS["VERIKIT_MASTER_KEY"],
                           json.dumps(FACTS)], capture_output=True, text=True, timeout=180)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_python_sdk_logs_in_with_old_passwords(python_sdk):
    v = python_sdk["login_vector"]["ok"]
    assert v["objectId"] == "5f0000000000000000000001" and v["nickname"] == "Vec" and v["level"] == 3
    assert v["phone"] == FACTS["vector_phone"][3:] and v["email"] == "vector@example.com"
    assert v["createdAt"].startswith("2024-03-01T08:30:15.123")
    assert python_sdk["login_vector_again"]["ok"]["objectId"] == v["objectId"]   # after the rehash
    assert python_sdk["login_vector_wrong"]["code"] == 210
    assert python_sdk["login_py_phone"]["ok"]["username"] == "lc_py"
    # a username login with an address: no user by that name, answered as a wrong password
    # (enumeration protection is on by default)
    assert python_sdk["login_vector_email"]["code"] == 210


def test_python_sdk_becomes_old_session_tokens(python_sdk):
    assert python_sdk["become_vector"]["ok"]["username"] == "lc_vector"
    assert python_sdk["become_vector"]["ok"]["session"] == FACTS["vector_token"]
    assert python_sdk["become_py"]["ok"]["nickname"] == "Py"
    assert python_sdk["become_unknown"]["code"] == 211
    assert python_sdk["refresh_py"] == {"ok": {"changed": True}}
    assert python_sdk["become_py_after_refresh"]["code"] == 211


def test_python_sdk_fetches_users_as_their_acl_allows(python_sdk):
    """Issue 19, finding 2: an owner-only imported ACL hides the user from other clients."""
    assert python_sdk["fetch_vector_public"]["ok"]["nickname"] == "Vec"       # "*" read
    assert python_sdk["fetch_py_public"]["code"] == 211                       # owner only: as no user
    assert python_sdk["fetch_py_by_vector"]["code"] == 211                    # another user's session
    assert python_sdk["fetch_py_self"]["ok"]["nickname"] == "Py"


def test_python_sdk_sees_the_delta_moved_phone(python_sdk):
    assert python_sdk["login_moved_new_phone"]["ok"]["username"] == "lc_mover"
    # the old number is nobody's now: a wrong password as far as the client can tell
    # (enumeration protection is on by default), never a login into the mover's account
    assert python_sdk["login_moved_old_phone"]["code"] == 210


def test_python_sdk_master_queries_and_delete(python_sdk):
    [found] = python_sdk["query_phone"]["ok"]
    assert found["username"] == "lc_vector" and found["phone"] == FACTS["vector_phone"][3:]
    assert python_sdk["query_username"]["ok"] == ["5f0000000000000000000002"]
    assert python_sdk["count_email"]["ok"] == 1
    assert python_sdk["query_scan"]["ok"] == ["lc_vector"]      # a custom field: a filtered scan
    assert python_sdk["query_all"]["ok"] >= 3
    assert python_sdk["delete"]["ok"] == 0
    assert python_sdk["become_deleted"]["code"] == 211
    assert python_sdk["query_as_client"]["code"] == 119


@pytest.fixture(scope="module")
def js_sdk(imported, local_server):
    node = shutil.which("node")
    assert node, "the JS SDK tests need node (20+)"
    assert (JS / "node_modules" / "leancloud-storage").exists(), "run `make test`: it runs npm ci in tests/sdk/js"
    proc = subprocess.run([node, str(JS / "lc_js_import.js"), local_server, KEYS["VERIKIT_APP_ID"],
                           KEYS["VERIKIT_APP_KEY"], KEYS["VERIKIT_MASTER_KEY"], json.dumps(FACTS)],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    assert "crash" not in out, out["crash"]
    return out


def test_js_sdk_logs_in_and_becomes_old_sessions(js_sdk):
    assert js_sdk["login_vector"]["ok"]["objectId"] == "5f0000000000000000000001", js_sdk["login_vector"]
    assert js_sdk["login_vector"]["ok"]["level"] == 3
    assert js_sdk["login_vector_wrong"]["code"] == 210
    assert js_sdk["login_js_phone"]["ok"]["username"] == "lc_js"
    assert js_sdk["become_vector"]["ok"]["createdAt"] == "2024-03-01T08:30:15.123Z"
    assert js_sdk["become_js"]["ok"]["session"] == FACTS["js_token"]
    assert js_sdk["current_after_become"]["ok"]["username"] == "lc_js"
    assert js_sdk["save_js"] == {"ok": "JS-after-move"}
    assert js_sdk["login_moved_new_phone"]["ok"]["username"] == "lc_mover"


def test_js_sdk_master_queries_and_delete(js_sdk):
    [found] = js_sdk["query_phone"]["ok"]
    assert found["username"] == "lc_vector" and found["phone"] == FACTS["vector_phone"][3:]
    assert js_sdk["query_email"]["ok"] == ["5f0000000000000000000001"]
    assert js_sdk["count_username"]["ok"] == 1
    assert js_sdk["query_scan"]["ok"] == ["lc_vector"]
    assert js_sdk["query_as_client"]["code"] == 119
    assert js_sdk["delete"]["ok"] == 0
    assert js_sdk["become_deleted"]["code"] == 211


def test_a_move_across_batches_succeeds_on_the_retry_pass(local_server, tmp_path):
    """Record 1 takes the phone record 2 gives up, each in its own batch (and request): the
    first try of record 1 fails, the tool tries it once more at the end, and it lands."""
    from deploy.import_leancloud import Client, run
    import io
    client = Client(local_server, KEYS["VERIKIT_APP_ID"], KEYS["VERIKIT_MASTER_KEY"], False)
    first = tmp_path / "full.jsonl"
    first.write_text("\n".join(json.dumps({"objectId": oid, "username": name, "mobilePhoneNumber": phone,
                                           "updatedAt": "2025-01-01T00:00:00Z"})
                               for oid, name, phone in (("a1" * 12, "retry_a", "+8613900139101"),
                                                        ("b2" * 12, "retry_b", "+8613900139102"))))
    assert run(str(first), client, out=io.StringIO(), err=io.StringIO()) == 0
    delta = tmp_path / "delta.jsonl"
    delta.write_text("\n".join(json.dumps({"objectId": oid, "username": name, "mobilePhoneNumber": phone,
                                           "updatedAt": "2025-02-01T00:00:00Z"})
                               for oid, name, phone in (("a1" * 12, "retry_a", "+8613900139102"),
                                                        ("b2" * 12, "retry_b", "+8613900139103"))))
    out = io.StringIO()
    assert run(str(delta), client, batch=1, parallel=1, out=out, err=io.StringIO()) == 0, out.getvalue()
    assert "0 created, 2 updated, 0 unchanged, 0 failed" in out.getvalue()
