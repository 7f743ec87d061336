"""The import tool (``deploy/import_leancloud.py``) and the master key (issue 19, finding 9):
redirects are never followed (urllib would re-send ``X-LC-Key: <master>,master`` to the new
host and report its JSON as the import's), plain ``http://`` only to this machine. And one
out-of-range BSON date fails its record, not the file (finding 10)."""
import http.server
import json
import threading

import bson
import pytest

from conftest import KEYS
from deploy.import_leancloud import Client, ImportError_, Source, check_url, main

MASTER = {"X-LC-Key": KEYS["VERIKIT_MASTER_KEY"] + ",master"}


class Recorder(http.server.BaseHTTPRequestHandler):
    """A fake host on 127.0.0.1: ``/go`` redirects to its peer, anything else records the
    request and answers an import result."""
    seen: list = []
    location = ""

    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if self.path.startswith("/go"):
            self.send_response(302 if "302" in self.path else 301)
            self.send_header("Location", self.location)
            self.end_headers()
            return
        Recorder.seen.append(dict(self.headers))
        body = json.dumps({"created": 99, "updated": 0, "unchanged": 0, "failed": []}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def fake_host():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}"
    Recorder.seen, Recorder.location = [], url + "/elsewhere/admin/v1/import/leancloud-users"
    yield url
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize("hop", ["go301", "go302"])
def test_a_redirect_is_refused_and_the_master_key_goes_nowhere_else(fake_host, hop):
    client = Client(f"{fake_host}/{hop}", KEYS["VERIKIT_APP_ID"], KEYS["VERIKIT_MASTER_KEY"], False)
    with pytest.raises(ImportError_, match="redirected"):
        client.send(0, '{"objectId": "a1", "username": "x", "updatedAt": "2025-01-01T00:00:00Z"}')
    assert Recorder.seen == []  # the redirect target never saw the master key


@pytest.mark.parametrize("url", ["http://example.com", "http://10.0.0.5:8000", "http://[2001:db8::1]/api",
                                 "ftp://127.0.0.1", "https://", "example.com"])
def test_plain_http_is_refused_except_to_this_machine(url):
    with pytest.raises(ImportError_):
        check_url(url)


@pytest.mark.parametrize("url", ["http://127.0.0.1:8000", "http://localhost:8000", "http://[::1]:8000",
                                 "http://127.0.0.2", "https://abc.execute-api.us-east-1.amazonaws.com/api"])
def test_https_and_loopback_http_are_accepted(url):
    assert check_url(url) == url


def test_the_command_line_refuses_plain_http_to_another_host(tmp_path, capsys, monkeypatch):
    f = tmp_path / "one.jsonl"
    f.write_text("{}\n")
    monkeypatch.setenv("MASTER_KEY", "m")
    with pytest.raises(SystemExit) as e:
        main([str(f), "--url", "http://example.com", "--app-id", "a"])
    assert e.value.code == 2 and "http://" in capsys.readouterr().err


def test_an_out_of_range_bson_date_fails_its_record_not_the_file(lc, tmp_path):
    from bson.datetime_ms import DatetimeMS
    from datetime import datetime, timezone

    dump = tmp_path / "_User.bson"
    ok = {"createdAt": datetime(2024, 1, 1, tzinfo=timezone.utc), "updatedAt": datetime(2024, 1, 2, tzinfo=timezone.utc)}
    with open(dump, "wb") as out:
        out.write(bson.encode({"_id": bson.ObjectId("5f00000000000000000000a1"), "username": "before", **ok}))
        out.write(bson.encode({"_id": bson.ObjectId("5f00000000000000000000a2"), "username": "bad",
                               "createdAt": DatetimeMS(-(10 ** 15)), "updatedAt": ok["updatedAt"]}))
        out.write(bson.encode({"_id": bson.ObjectId("5f00000000000000000000a3"), "username": "custom",
                               "birthday": DatetimeMS(300_000_000_000_000), **ok}))
        out.write(bson.encode({"_id": bson.ObjectId("5f00000000000000000000a4"), "username": "after", **ok}))
    source = Source(str(dump), 500)
    try:
        batches = list(source.batches())
    finally:
        source.close()
    assert len(batches) == 1 and batches[0][2] == 4
    r = lc.client.http.post("/admin/v1/import/leancloud-users", headers={**lc.headers, **MASTER}, body=batches[0][1])
    result = json.loads(r.body)
    assert r.status_code == 200, result
    assert result["created"] == 2
    assert [(f["line"], f["objectId"]) for f in result["failed"]] == [(2, "5f00000000000000000000a2"),
                                                                       (3, "5f00000000000000000000a3")]
    assert all("out of range" in f["error"] for f in result["failed"]), result
