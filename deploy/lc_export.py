"""Reading a LeanCloud ``_User`` export for ``deploy.import_leancloud``: JSONL (gzip'd or not),
a JSON document (an array or ``{"results": [...]}``) or a MongoDB dump (BSON), as a stream of
batches of JSONL bodies with their position in the file.
"""
from __future__ import annotations

import gzip
import io
import json
import os
from datetime import datetime, timezone

MAX_BATCH_BYTES = 5 * 1024 * 1024   # API Gateway takes 10 MB a request


class ImportError_(RuntimeError):
    pass



class Source:
    """A file read as a stream of batches ``(first line - 1, JSONL body, records)``, with how
    far into the file it is (bytes of the file on disk, for the progress bar)."""

    def __init__(self, path: str, batch: int):
        self.path, self.batch = path, batch
        self.size = os.path.getsize(path)
        self._raw = open(path, "rb")
        name = path.lower()
        self.kind = "bson" if name.endswith((".bson", ".bson.gz")) else \
            "json" if name.endswith((".json", ".json.gz")) else "jsonl"
        self._file = gzip.GzipFile(fileobj=self._raw) if name.endswith(".gz") else self._raw

    def done_bytes(self) -> int:
        try:
            return self._raw.tell()
        except ValueError:  # closed: all read
            return self.size

    def close(self) -> None:
        self._file.close()
        self._raw.close()

    def batches(self):
        if self.kind == "jsonl":
            yield from self._jsonl()
        else:
            records = self._bson() if self.kind == "bson" else self._json()
            yield from self._records(records)

    def _jsonl(self):
        """Consecutive lines of the file as they are (blank and broken lines included), so
        the server's line numbers are the file's."""
        first, lines, count, size = 0, [], 0, 0
        text = self._text = io.TextIOWrapper(self._file, encoding="utf-8-sig", errors="replace", newline="\n")
        for n, line in enumerate(text):
            line = line.rstrip("\r\n")
            if not lines:
                first = n
            lines.append(line)
            size += len(line) + 1
            if line.strip():
                count += 1
            if count >= self.batch or size >= MAX_BATCH_BYTES:
                yield first, "\n".join(lines), count
                lines, count, size = [], 0, 0
        if count:
            yield first, "\n".join(lines), count

    def _records(self, records):
        first, out, size, n = 0, [], 0, 0
        for n, rec in enumerate(records):
            line = json.dumps(rec, ensure_ascii=False, default=_json_default)
            out.append(line)
            size += len(line) + 1
            if len(out) >= self.batch or size >= MAX_BATCH_BYTES:
                yield first, "\n".join(out), len(out)
                first, out, size = n + 1, [], 0
        if out:
            yield first, "\n".join(out), len(out)

    def _bson(self):
        try:
            import bson
            from bson.codec_options import CodecOptions
        except ImportError:
            raise ImportError_("reading .bson needs pymongo's bson (in requirements-serve.txt: make it with "
                               "`make .venv/.serve`)") from None
        from bson.codec_options import DatetimeConversion

        # DATETIME_AUTO: a date outside Python's years 1-9999 comes as DatetimeMS (milliseconds)
        # instead of aborting the whole file; the server fails that record alone (out of range)
        options = CodecOptions(tz_aware=True, tzinfo=timezone.utc, datetime_conversion=DatetimeConversion.DATETIME_AUTO)
        try:
            yield from bson.decode_file_iter(self._file, options)
        except bson.errors.InvalidBSON as e:
            raise ImportError_(f"{self.path} is not a BSON dump ({e})") from None

    def _json(self):
        """The records of a JSON array or ``{"results": [...]}``, decoded one at a time."""
        decoder = json.JSONDecoder()
        text = self._text = io.TextIOWrapper(self._file, encoding="utf-8-sig")
        buf, pos, started = "", 0, False

        def fill():
            nonlocal buf, pos
            chunk = text.read(1 << 20)
            buf = buf[pos:] + chunk
            pos = 0
            return bool(chunk)

        def skip(chars):
            nonlocal pos
            while True:
                while pos < len(buf) and buf[pos] in chars:
                    pos += 1
                if pos < len(buf) or not fill():
                    return

        skip(" \t\r\n")
        head = buf[pos:pos + 1]
        if head == "{":  # {"results": [ ... ]}: find the array
            while '"results"' not in buf and fill():
                pass
            at = buf.find('"results"')
            if at < 0:
                raise ImportError_(f"{self.path}: a JSON object without \"results\"")
            pos = buf.index("[", at) + 1
            started = True
        elif head == "[":
            pos += 1
            started = True
        if not started:
            raise ImportError_(f"{self.path}: not a JSON array or {{\"results\": [...]}} (JSONL? name it .jsonl)")
        while True:
            skip(" \t\r\n,")
            if pos >= len(buf):
                raise ImportError_(f"{self.path}: the JSON array is not closed")
            if buf[pos] == "]":
                return
            while True:
                try:
                    rec, end = decoder.raw_decode(buf, pos)
                    break
                except json.JSONDecodeError:
                    if not fill():
                        raise ImportError_(f"{self.path}: malformed JSON near character {pos}") from None
            pos = end
            yield rec


def _json_default(value):
    """BSON values JSON lacks: dates as Extended JSON, ObjectIds and the rest as strings."""
    if isinstance(value, datetime):
        dt = value if value.tzinfo else value.replace(tzinfo=timezone.utc)
        return {"$date": dt.astimezone(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")}
    if type(value).__name__ == "DatetimeMS":  # bson's out-of-range date: its milliseconds as they are
        return {"$date": {"$numberLong": str(int(value))}}
    if isinstance(value, bytes):
        import base64
        return {"__type": "Bytes", "base64": base64.b64encode(value).decode("ascii")}
    return str(value)
