"""`make import-leancloud KEEP_ACCOUNT=1` against `make run`: the realistic 200-user export
(tests/lc_export.py) imports whole, the dry run lists the same dropped fields and its
warnings, a phone moved across batches still lands, and the progress bar prints once."""
import io
import json
import re
import urllib.request

import pytest

from conftest import KEYS
from lc_export import DUP_NATIONAL, EMAIL_UPPER, HONG_KONG, LANDLINE, TAIWAN, records
from test_sdk_import import make_import


def admin(url, method, path, body=None):
    req = urllib.request.Request(url + path, method=method, data=json.dumps(body).encode() if body else None,
                                 headers={"X-LC-Id": KEYS["VERIKIT_APP_ID"], "Content-Type": "application/json",
                                          "X-LC-Key": KEYS["VERIKIT_MASTER_KEY"] + ",master"})
    with urllib.request.urlopen(req, timeout=30) as r:
        return json.loads(r.read())


@pytest.fixture(scope="module")
def runs(local_server, tmp_path_factory):
    admin(local_server, "PATCH", "/admin/v1/settings", {"allowed_regions": ["CN", "US", "CA"]})
    f = tmp_path_factory.mktemp("keep") / "_User.jsonl"
    f.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in records()) + "\n")
    out = {"plain_dry": make_import(local_server, f, "DRY_RUN=1"),
           "dry": make_import(local_server, f, "DRY_RUN=1", "KEEP_ACCOUNT=1"),
           "real": make_import(local_server, f, "KEEP_ACCOUNT=1"),
           "again": make_import(local_server, f, "KEEP_ACCOUNT=1")}
    admin(local_server, "PATCH", "/admin/v1/settings", {"allowed_regions": ["*"]})
    return out


def test_without_keep_account_three_users_would_be_lost(runs):
    plain = runs["plain_dry"]
    assert plain.returncode != 0 and "197 would be created, 0 would be updated, 0 unchanged, 3 failed" in plain.stdout


def test_keep_account_imports_every_user_and_lists_what_was_dropped(runs):
    real = runs["real"]
    assert real.returncode == 0, real.stdout + real.stderr
    assert "200 created, 0 updated, 0 unchanged, 0 failed; 3 kept without a field" in real.stdout
    for line, what in ((LANDLINE, 'mobilePhoneNumber "01065529988": not a mobile phone number'),
                       (DUP_NATIONAL, "also claimed, verified, by line 22"), (EMAIL_UPPER, "email ")):
        assert any(l.startswith(f"  line {line}: ") and what in l for l in real.stdout.splitlines()), (line, real.stdout)
    assert KEYS["VERIKIT_MASTER_KEY"] not in real.stdout + real.stderr
    assert "0 created, 0 updated, 200 unchanged, 0 failed" in runs["again"].stdout


def test_the_dry_run_shows_the_same_drops_and_warns(runs):
    dry, real = runs["dry"].stdout, runs["real"].stdout
    assert "200 would be created, 0 would be updated, 0 unchanged, 0 failed; 3 would be kept without a field" in dry
    dropped = lambda text: [l for l in text.splitlines() if l.startswith("  line ")]  # noqa: E731
    assert dropped(dry) == dropped(real)
    assert "warnings (what will not work as on LeanCloud after the switch):" in dry and "warnings" not in real
    region = next(l for l in dry.splitlines() if l.startswith("  phone_region: 2 users"))
    assert "is outside allowed_regions" in region
    assert f"lines {HONG_KONG}, {TAIWAN}" in dry
    assert "phone_unverified: 40 users" in dry and "imported_unverified_claims" in dry
    assert "authdata_only: 1 user" in dry and "leancloud_file: 1 user" in dry and "dialect_field: 1 user" in dry


def test_the_progress_bar_prints_once(runs):
    """In a log (not a terminal) a line every 5 s and the final one, never the same count twice:
    a small file printed its 100% line twice."""
    for run in runs.values():
        bars = [l for l in run.stderr.splitlines() if l.startswith("[")]
        counts = [re.search(r"([\d,]+) records", b).group(1) for b in bars]
        assert bars and "100.0%" in bars[-1] and len(counts) == len(set(counts)), run.stderr
    # the summary is last: nothing of the bar after it
    assert runs["real"].stdout.splitlines()[0].startswith("200 created")


def test_a_phone_moved_across_batches_still_lands_when_keeping_accounts(local_server, tmp_path):
    from deploy.import_leancloud import Client, run
    client = Client(local_server, KEYS["VERIKIT_APP_ID"], KEYS["VERIKIT_MASTER_KEY"], False, keep_account=True)
    first = tmp_path / "full.jsonl"
    rows = lambda pairs, day: "\n".join(json.dumps({"objectId": oid, "username": name, "mobilePhoneNumber": phone,  # noqa: E731
                                                     "updatedAt": f"2025-0{day}-01T00:00:00Z"})
                                         for oid, name, phone in pairs)
    first.write_text(rows((("c1" * 12, "keep_a", "+8613900139201"), ("d2" * 12, "keep_b", "+8613900139202")), 1))
    assert run(str(first), client, out=io.StringIO(), err=io.StringIO()) == 0
    delta = tmp_path / "delta.jsonl"
    delta.write_text(rows((("c1" * 12, "keep_a", "+8613900139202"), ("d2" * 12, "keep_b", "+8613900139203")), 2))
    out = io.StringIO()
    assert run(str(delta), client, batch=1, parallel=1, out=out, err=io.StringIO()) == 0, out.getvalue()
    assert "0 created, 2 updated, 0 unchanged, 0 failed" in out.getvalue() and "kept without" not in out.getvalue()
    found = admin(local_server, "GET", "/1.1/users?where=" + urllib.request.quote(
        json.dumps({"mobilePhoneNumber": "+8613900139202"})))["results"]
    assert [u["objectId"] for u in found] == ["c1" * 12]


def test_a_terminal_bar_fits_the_terminal_and_ends_once(tmp_path, monkeypatch):
    """On a terminal the bar is rewritten in place (\\r), cut to the terminal's width so that a
    narrow window does not wrap it into copies, and ends with one newline."""
    from deploy.import_leancloud import Progress, Source

    f = tmp_path / "x.jsonl"
    f.write_text("{}\n")

    class Tty(io.StringIO):
        def isatty(self):
            return True

    monkeypatch.setenv("COLUMNS", "40")
    out = Tty()
    p = Progress(Source(str(f), 10), out)
    p.update(1, 0)
    p.update(0, 0, final=True)
    text = out.getvalue()
    assert text.count("\n") == 1 and text.endswith("\n")
    assert all(len(part) <= 39 for part in text.strip("\n").split("\r") if part)
