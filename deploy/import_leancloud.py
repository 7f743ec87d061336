"""``make import-leancloud FILE=<export> URL=<base url>``: a LeanCloud ``_User`` export into verikit.

    python -m deploy.import_leancloud FILE --url URL [--app-id ID] [--dry-run] [--keep-account]
                                           [--batch 500] [--parallel 4]

FILE is JSONL (one record a line, ``.jsonl``/``.ndjson``/anything else, gzip'd if it ends in
``.gz``), a JSON document (``.json``: an array or ``{"results": [...]}``), or a MongoDB dump
(``.bson``, ``.bson.gz``, read with pymongo's ``bson``: the sunset export's format). It is read
as a stream and sent in batches to ``POST /admin/v1/import/leancloud-users``; failed records
are reported with their line in the file (for JSON and BSON: their position, 1-based).
``--keep-account`` imports a record whose phone, email (or another field) cannot be taken
without that field, and lists what was dropped per line; a dry run also prints its warnings
(what will not work as on LeanCloud after the switch), grouped by kind.

The app id comes from ``--app-id``, ``APP_ID`` or ``VERIKIT_APP_ID``; the master key from
``MASTER_KEY`` or ``VERIKIT_MASTER_KEY`` in the environment, else it is asked for (not echoed).
It never goes on the command line. Exit status: 0 if every record was imported (or unchanged),
1 if any failed, 2 on a usage or connection error.
"""
from __future__ import annotations

import argparse
import getpass
import json
import os
import sys
import threading
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor

from .lc_export import MAX_BATCH_BYTES, ImportError_, Source, _json_default  # noqa: F401  (importable from here)

ROUTE = "/admin/v1/import/leancloud-users"
RETRIES = 4
# requests in flight: each is a batch of 500 users that one Lambda writes in 25 transactions
# of 100 items, 4 at a time; 4 in flight reach the ~4000 write units/s (~400 users/s) a new
# on-demand table starts with (README "Moving from LeanCloud" has the arithmetic)
DEFAULT_PARALLEL = 4


# ---- sending ----------------------------------------------------------------------------------

def check_url(url: str) -> str:
    """The base URL the master key may go to: https://, or http:// to this machine only
    (``make run``). Raises ImportError_ otherwise."""
    import ipaddress
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    if parts.scheme == "https" and parts.hostname:
        return url
    if parts.scheme == "http" and parts.hostname:
        host = parts.hostname
        try:
            loopback = host == "localhost" or ipaddress.ip_address(host).is_loopback
        except ValueError:
            loopback = False
        if loopback:
            return url
        raise ImportError_(f"{url}: plain http:// sends the master key in the clear; use https:// "
                           "(http:// only to 127.0.0.1, ::1 or localhost)")
    raise ImportError_(f"{url}: the URL must start with https:// (or http:// to this machine)")


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A redirect would re-send the master key to another URL (urllib copies the headers) and
    report that host's answer as the import's: never followed."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        raise ImportError_(f"{req.full_url} redirected ({code}) to {newurl}: not followed, the master key "
                           "goes to the URL given only; pass the final URL with --url")


_OPENER = urllib.request.build_opener(_NoRedirects)


class Client:
    def __init__(self, url: str, app_id: str, master_key: str, dry_run: bool, keep_account: bool = False,
                 revive_deleted: bool = False):
        self.url, self.dry_run, self.keep_account = check_url(url).rstrip("/"), dry_run, keep_account
        self.revive_deleted = revive_deleted
        self.headers = {"X-LC-Id": app_id, "X-LC-Key": master_key + ",master",
                        "Content-Type": "application/x-ndjson; charset=utf-8"}

    def send(self, offset: int, body: str, final: bool = False) -> dict:
        """One batch. Keeping accounts, a phone or email another user holds fails the record
        on the first pass (a later record of the file may release it: the tool sends it again
        at the end) and is dropped on the ``final`` one."""
        query = f"?line_offset={offset}" + ("&dry_run=true" if self.dry_run else "") \
            + ("&revive_deleted=true" if self.revive_deleted else "")
        if self.keep_account:
            query += "&drop_invalid_fields=true" + ("" if final else "&retry_taken=true")
        data = body.encode("utf-8")
        for attempt in range(RETRIES + 1):
            req = urllib.request.Request(self.url + ROUTE + query, data=data, method="POST", headers=self.headers)
            try:
                with _OPENER.open(req, timeout=120) as r:
                    return json.loads(r.read())
            except urllib.error.HTTPError as e:
                text = e.read().decode("utf-8", "replace")
                if e.code in (401, 403):
                    raise ImportError_(f"{self.url} refused the master key ({e.code} {text.strip()}): check "
                                       "the app id and MASTER_KEY") from None
                if e.code < 500 and e.code != 429:
                    raise ImportError_(f"{self.url} answered {e.code}: {text.strip()}") from None
                error = f"{e.code} {text.strip()[:200]}"
            except (urllib.error.URLError, TimeoutError, ConnectionError) as e:
                error = str(getattr(e, "reason", e))
            if attempt == RETRIES:
                raise ImportError_(f"{self.url} failed {RETRIES + 1} times: {error}")
            time.sleep(min(2 ** attempt, 20))  # re-sending a batch is safe: imports are idempotent


class Progress:
    """One line on stderr: a bar by bytes of the file read, records done, rate."""

    def __init__(self, source: Source, stream=sys.stderr):
        self.source, self.stream, self.start = source, stream, time.monotonic()
        self.records, self.failed = 0, 0
        self.live = stream.isatty()
        # a log (not a terminal) gets a line every 5 s, not one at the first batch: a small
        # file printed its bar twice, the same 100% line again with the final one
        self._last, self._shown = (0.0 if self.live else self.start), None

    def update(self, records: int, failed: int, final: bool = False) -> None:
        self.records += records
        self.failed += failed
        now = time.monotonic()
        if not final and now - self._last < (0.2 if self.live else 5):
            return
        if final and not self.live and self._shown == (self.records, self.failed):
            return  # that line is in the log already
        self._last, self._shown = now, (self.records, self.failed)
        frac = min(self.source.done_bytes() / self.source.size, 1.0) if self.source.size else 1.0
        if final:
            frac = 1.0
        bar = "#" * int(frac * 30) + "." * (30 - int(frac * 30))
        rate = self.records / max(now - self.start, 1e-6)
        line = f"[{bar}] {frac:6.1%}  {self.records:,} records  {self.failed:,} failed  {rate:,.0f}/s"
        if self.live:  # wider than the terminal, \r would leave the wrapped part behind
            import shutil
            line = line[:max(20, shutil.get_terminal_size().columns - 1)]
        self.stream.write(("\r" + line) if self.live else (line + "\n"))
        if final and self.live:
            self.stream.write("\n")
        self.stream.flush()


def run(path: str, client: Client, batch: int = 500, parallel: int = DEFAULT_PARALLEL, out=sys.stdout, err=sys.stderr) -> int:
    source = Source(path, batch)
    progress = Progress(source, err)
    totals = {"created": 0, "updated": 0, "unchanged": 0}
    failed, retry, dropped, warnings = [], [], [], []
    lock = threading.Lock()

    def one(item):
        offset, body, count = item
        result = client.send(offset, body)
        lines = body.split("\n")
        with lock:
            for k in totals:
                totals[k] += result.get(k, 0)
            dropped.extend(result.get("dropped", []))
            warnings.extend(result.get("warnings", []))
            for f in result.get("failed", []):
                # a value another record of the file releases later on: try once more at the end
                if "belongs to another user" in f.get("error", "") and 0 < f["line"] - offset <= len(lines):
                    retry.append((f["line"], lines[f["line"] - offset - 1], f))
                else:
                    failed.append(f)
            progress.update(count, len(result.get("failed", [])))

    try:
        with ThreadPoolExecutor(max_workers=max(1, parallel)) as pool:
            pending = []
            for item in source.batches():
                pending.append(pool.submit(one, item))
                if len(pending) >= parallel * 2:
                    pending.pop(0).result()
            for p in pending:
                p.result()
        for line, text, first_failure in sorted(retry):
            result = client.send(line - 1, text, final=True)
            for k in totals:
                totals[k] += result.get(k, 0)
            failed.extend(result.get("failed", []))
            dropped.extend(result.get("dropped", []))
            warnings.extend(result.get("warnings", []))
        progress.failed = len(failed)
        progress.update(0, 0, final=True)
        err.flush()  # the bar is done before the summary starts
    finally:
        source.close()
    report(totals, failed, dropped, warnings, client.dry_run, out)
    return 1 if failed else 0


def report(totals: dict, failed: list, dropped: list, warnings: list, dry_run: bool, out, shown: int = 50) -> None:
    """The summary: totals, every failed record, every dropped field, warnings by kind."""
    word = "would be " if dry_run else ""
    kept = len({d["line"] for d in dropped})
    print(f"{totals['created']:,} {word}created, {totals['updated']:,} {word}updated, "
          f"{totals['unchanged']:,} unchanged, {len(failed):,} failed"
          + (f"; {kept:,} {word}kept without a field" if kept else ""), file=out)
    for f in sorted(failed, key=lambda f: f["line"]):
        print(f"  line {f['line']}: {f.get('objectId') or '-'}: {f['error']}", file=out)
    if dropped:
        print(f"dropped fields ({word}imported without them):", file=out)
    for d in sorted(dropped, key=lambda d: d["line"]):
        value = f" {json.dumps(d['value'], ensure_ascii=False)}" if d.get("value") is not None else ""
        print(f"  line {d['line']}: {d['objectId']}: {d['field']}{value}: {d['reason']}", file=out)
    kinds = {}
    for w in sorted(warnings, key=lambda w: w["line"]):
        kinds.setdefault(w["kind"], []).append(w)
    if kinds:
        print("warnings (what will not work as on LeanCloud after the switch):", file=out)
    for kind, ws in sorted(kinds.items()):
        lines = ", ".join(str(w["line"]) for w in ws[:shown]) + (f" and {len(ws) - shown:,} more" if len(ws) > shown
                                                                  else "")
        print(f"  {kind}: {len(ws):,} user{'s' if len(ws) != 1 else ''}, e.g. line {ws[0]['line']}: "
              f"{ws[0]['warning']}\n    lines {lines}", file=out)
    out.flush()


def _secret(env_names: tuple, prompt: str, required_what: str) -> str:
    for name in env_names:
        if os.environ.get(name):
            return os.environ[name]
    if sys.stdin.isatty():
        value = getpass.getpass(prompt)
        if value:
            return value
    raise ImportError_(f"{required_what}: set {' or '.join(env_names)} in the environment (or run in a terminal "
                       "to be asked)")


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m deploy.import_leancloud", description=__doc__.split("\n\n")[0],
                                epilog="The master key is read from MASTER_KEY / VERIKIT_MASTER_KEY, or asked for.")
    p.add_argument("file", help="the export: .jsonl, .json, .bson or .bson.gz (also .jsonl.gz)")
    p.add_argument("--url", required=True, help="verikit's base URL (make run's URL, or the stage's API URL)")
    p.add_argument("--app-id", help="the app id (default: APP_ID or VERIKIT_APP_ID)")
    p.add_argument("--dry-run", action="store_true", help="check every record, write nothing; print the warnings")
    p.add_argument("--keep-account", action="store_true",
                   help="import a record whose phone, email or other field cannot be taken without that field "
                        "(listed per line) rather than failing it")
    p.add_argument("--revive-deleted", action="store_true",
                   help="import users deleted on verikit again (by default their tombstones fail their records)")
    p.add_argument("--batch", type=int, default=500, help="records per request (1-1000, default 500)")
    p.add_argument("--parallel", type=int, default=DEFAULT_PARALLEL,
                   help=f"parallel writers: requests in flight (default {DEFAULT_PARALLEL}, sized for a new "
                        "on-demand table; raise it with the table's warm throughput)")
    a = p.parse_args(argv)
    if not 1 <= a.batch <= 1000:
        p.error("--batch must be 1-1000")
    try:
        check_url(a.url)
    except ImportError_ as e:
        p.error(str(e))
    try:
        if not os.path.isfile(a.file):
            raise ImportError_(f"no such file: {a.file}")
        app_id = a.app_id or os.environ.get("APP_ID") or os.environ.get("VERIKIT_APP_ID")
        if not app_id:
            raise ImportError_("the app id: pass --app-id (APP_ID=... with make) or set APP_ID")
        master = _secret(("MASTER_KEY", "VERIKIT_MASTER_KEY"), "master key: ", "the master key")
        return run(a.file, Client(a.url, app_id, master, a.dry_run, a.keep_account, a.revive_deleted),
                   a.batch, a.parallel)
    except ImportError_ as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("\ninterrupted: run the same command again, records already imported come back unchanged",
              file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
