"""What a request costs in AWS calls: every botocore call of this process is timed and
counted by service and operation, and every DynamoDB call is priced in capacity units.

moto 5.2.5 does not price calls faithfully (``ReturnConsumedCapacity``: a flat 1.0 for any
``PutItem``, 0.5 for ``GetItem``/``UpdateItem``, ``len(keys)`` for ``BatchGetItem``, nothing
for ``TransactWriteItems``, whatever the item sizes), so the units are computed here, as
DynamoDB bills them on demand, from the sizes of the items each call touches (read from
the in-process moto before and after the call):

- a write (``PutItem``, ``UpdateItem``, ``DeleteItem``, each ``BatchWriteItem`` request):
  1 WRU per KB (rounded up) of the larger of the item before and after; a write whose
  condition fails still costs that;
- ``TransactWriteItems``: 2 WRU per KB of each item it writes or condition-checks;
- a write to a table with a global secondary index also writes the index: 1 WRU per KB of
  the projected item, 2 when the item's index key changes (delete + put);
- ``GetItem`` / each key of ``BatchGetItem``: 1 RRU per 4 KB strongly consistent, 0.5
  eventually consistent, even for an item that is not there; ``Query``: the items read,
  summed, then rounded up to 4 KB; ``TransactGetItems``: 2 RRU per 4 KB.

Item size as DynamoDB counts it: attribute names plus values (strings and binaries by
their bytes, numbers ~1 byte per 2 significant digits + 1, 1 byte for booleans and nulls,
3 bytes + 1 per element for lists and maps).
"""
from __future__ import annotations

import base64
import json
import math
import os
import threading
import time
from collections import Counter
from contextlib import contextmanager

_meters: list = []  # the open measurements (any thread's calls count: the import route has a pool)
_lock = threading.Lock()


def value_size(v: dict) -> int:
    (t, x), = v.items()
    if t == "S":
        return len(x.encode())
    if t == "N":
        digits = x.lstrip("-").replace(".", "").split("e")[0].split("E")[0].strip("0") or "0"
        return (len(digits) + 1) // 2 + 1
    if t == "B":
        return len(base64.b64decode(x)) if isinstance(x, str) else len(x)
    if t in ("BOOL", "NULL"):
        return 1
    if t == "SS":
        return sum(len(s.encode()) for s in x)
    if t == "NS":
        return sum(value_size({"N": n}) for n in x)
    if t == "BS":
        return sum(value_size({"B": b}) for b in x)
    if t == "L":
        return 3 + sum(value_size(e) + 1 for e in x)
    if t == "M":
        return 3 + sum(len(k.encode()) + value_size(e) + 1 for k, e in x.items())
    return 0


def item_size(attrs: dict | None) -> int:
    return sum(len(k.encode()) + value_size(v) for k, v in (attrs or {}).items())


def _wru(size: int) -> int:
    return max(1, math.ceil(size / 1024))


def _rru(size: int, consistent: bool) -> float:
    units = max(1, math.ceil(size / 4096))
    return float(units) if consistent else units / 2


class Meter:
    """Totals of one stretch of work (see ``measure``)."""

    def __init__(self):
        self.calls: list = []  # (service, operation, seconds)
        self.wru = 0.0
        self.rru = 0.0

    def ops(self, service: str = "dynamodb") -> list:
        return [op for s, op, _ in self.calls if s == service]

    def seconds(self, service: str | None = None) -> float:
        return sum(t for s, _, t in self.calls if service is None or s == service)

    def by_service(self) -> dict:
        return dict(Counter(s for s, _, _ in self.calls))

    def summary(self) -> dict:
        return {"round_trips": len(self.ops()), "wru": self.wru, "rru": self.rru, "ops": self.ops()}


def _backend():
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.dynamodb.models import dynamodb_backends

    return dynamodb_backends[DEFAULT_ACCOUNT_ID][os.environ.get("AWS_REGION", "us-east-1")]


def _current(table: str, key: dict) -> dict | None:
    try:
        b = _backend()
        t = b.get_table(table)
        key = {t.hash_key_attr: key[t.hash_key_attr],
               **({t.range_key_attr: key[t.range_key_attr]} if t.range_key_attr else {})}
        item = b.get_item(table, key)
    except Exception:  # noqa: BLE001 - a table or key moto does not know: nothing there
        return None
    return item.to_json()["Attributes"] if item is not None else None


def _indexes(table: str) -> list:
    try:
        t = _backend().get_table(table)
    except Exception:  # noqa: BLE001
        return []
    return [(i.schema_key_attrs, i.projection or {}, t.table_key_attrs) for i in t.global_indexes]


def _projected(attrs: dict | None, keys: list, projection: dict, table_keys: list) -> dict | None:
    if not attrs or not all(k in attrs for k in keys):
        return None
    kind = projection.get("ProjectionType", "ALL")
    if kind == "ALL":
        return attrs
    keep = set(keys) | set(table_keys) | set(projection.get("NonKeyAttributes", []) if kind == "INCLUDE" else [])
    return {k: v for k, v in attrs.items() if k in keep}


def _write_units(table: str, key: dict, before: dict | None, after: dict | None, factor: int) -> float:
    units = factor * _wru(max(item_size(before), item_size(after)))
    if before == after:
        return units  # nothing changed (a failed condition, a no-op): no index write
    for keys, projection, table_keys in _indexes(table):
        b, a = (_projected(x, keys, projection, table_keys) for x in (before, after))
        if b is None and a is None:
            continue
        same_key = b is not None and a is not None and all(before[k] == after[k] for k in keys)
        units += (_wru(item_size(a)) if same_key else
                  (_wru(item_size(b)) if b is not None else 0) + (_wru(item_size(a)) if a is not None else 0))
    return units


def _keys_of(op: str, params: dict) -> list:
    """(table, key, transactional factor) of every item a write touches."""
    if op in ("PutItem", "UpdateItem", "DeleteItem"):
        return [(params["TableName"], params.get("Key") or params.get("Item"), 1)]
    if op == "TransactWriteItems":
        out = []
        for t in params["TransactItems"]:
            (_, o), = t.items()
            out.append((o["TableName"], o.get("Key") or o.get("Item"), 2))
        return out
    if op == "BatchWriteItem":
        return [(table, (r.get("PutRequest") or {}).get("Item") or r["DeleteRequest"]["Key"], 1)
                for table, reqs in params["RequestItems"].items() for r in reqs]
    return []


def _read_units(op: str, params: dict, parsed: dict) -> float:
    if op == "GetItem":
        return _rru(item_size(parsed.get("Item")), bool(params.get("ConsistentRead")))
    if op == "BatchGetItem":
        units = 0.0
        for table, spec in params["RequestItems"].items():
            for key in spec["Keys"]:
                units += _rru(item_size(_current(table, key)), bool(spec.get("ConsistentRead")))
        return units
    if op in ("Query", "Scan"):
        items = parsed.get("Items", [])
        size = sum(item_size(i) for i in items)
        scanned = parsed.get("ScannedCount", len(items))
        if scanned > len(items) and items:  # filtered out: assume items of the same size
            size = size * scanned // len(items)
        consistent = bool(params.get("ConsistentRead")) and not params.get("IndexName")
        return _rru(size, consistent)
    if op == "TransactGetItems":
        return sum(2 * _rru(item_size(_current(g["Get"]["TableName"], g["Get"]["Key"])), True)
                   for g in params["TransactItems"])
    return 0.0


def _wrapped(original):
    def make_request(self, operation_model, request_dict):
        meters = list(_meters)
        if not meters:
            return original(self, operation_model, request_dict)
        service = operation_model.service_model.service_name
        op = operation_model.name
        params, touched = {}, []
        if service == "dynamodb":
            params = json.loads(request_dict.get("body") or b"{}")
            touched = [(t, k, f, _current(t, k)) for t, k, f in _keys_of(op, params)]
        started = time.perf_counter()
        try:
            result = original(self, operation_model, request_dict)
        finally:
            elapsed = time.perf_counter() - started
            with _lock:
                for m in meters:
                    m.calls.append((service, op, elapsed))
        if service == "dynamodb":
            parsed = result[1] if isinstance(result, tuple) else {}
            wru = sum(_write_units(t, k, before, _current(t, k), f) for t, k, f, before in touched)
            rru = _read_units(op, params, parsed or {})
            with _lock:
                for m in meters:
                    m.wru += wru
                    m.rru += rru
        return result
    make_request._meter = True
    return make_request


def install() -> None:
    """Wrap botocore's ``Endpoint.make_request`` once (every client of the process)."""
    from botocore.endpoint import Endpoint

    if not getattr(Endpoint.make_request, "_meter", False):
        Endpoint.make_request = _wrapped(Endpoint.make_request)


@contextmanager
def measure():
    """``with measure() as m:`` — the AWS calls the process makes inside the block."""
    install()
    m = Meter()
    with _lock:
        _meters.append(m)
    started = time.perf_counter()
    try:
        yield m
    finally:
        m.wall = time.perf_counter() - started
        with _lock:
            _meters.remove(m)


_moto_cpu = [0.0]


def moto_cpu() -> float:
    """CPU seconds the in-process moto has spent serving requests so far (its request
    threads, per request), so that a measurement can take it out of the process's CPU."""
    from devserver.moto_server import SerialisedDynamoDB

    if not getattr(SerialisedDynamoDB.__call__, "_timed", False):
        original = SerialisedDynamoDB.__call__

        def __call__(self, environ, start_response):
            t = time.thread_time()
            try:
                return original(self, environ, start_response)
            finally:
                with _lock:
                    _moto_cpu[0] += time.thread_time() - t

        __call__._timed = True
        SerialisedDynamoDB.__call__ = __call__
    return _moto_cpu[0]
