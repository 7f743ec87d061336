"""The LeanCloud import (`make import-leancloud`): its rate through a local server, and the
CPU it costs per user, DynamoDB's time excluded.

- ``rate``: users/s of ``deploy.import_leancloud.run`` (the tool) against a local server
  (moto behind it, DynamoDB requests run one at a time), a full import and then the same
  file again (all unchanged); with the tool's own CPU per user (this process: reading the
  export, building batches, HTTP), the server being another process.
- ``server_cpu``: the import route's CPU per user in this process (what a Lambda spends on
  it), with moto's CPU (its request threads, measured per request) taken out, i.e. the
  CPU per user with DynamoDB's time excluded.
"""
from __future__ import annotations

import io
import json
import tempfile
import time
from pathlib import Path

import meter

def server_cpu(keys: dict, users: int = 1000) -> dict:
    """The import route's CPU per user, moto's excluded (needs moto in this process)."""
    from chalice.test import Client

    from app import app
    from flows import export_jsonl

    mh = {"X-LC-Id": keys["VERIKIT_APP_ID"], "X-LC-Key": keys["VERIKIT_MASTER_KEY"] + ",master"}
    out = {"users": users}
    with Client(app, project_dir=tempfile.mkdtemp()) as c:
        for label, start in (("import", 10_000_000), ("reimport", 10_000_000)):
            cpu, wall, moto = 0.0, 0.0, 0.0
            for first in range(start, start + users, 500):
                body = export_jsonl(min(500, start + users - first), first)  # outside the measurement
                m0, t0, w0 = meter.moto_cpu(), time.process_time(), time.perf_counter()
                r = c.http.post("/admin/v1/import/leancloud-users", headers=mh, body=body)
                cpu += time.process_time() - t0
                wall += time.perf_counter() - w0
                moto += meter.moto_cpu() - m0
                assert r.status_code == 200, r.body
            out[f"{label}_cpu_ms_per_user"] = round((cpu - moto) * 1000 / users, 3)
            out[f"{label}_moto_cpu_ms_per_user"] = round(moto * 1000 / users, 3)
    return out


def rate(keys: dict, settings: dict, n: int = 5000, parallel: int | None = None) -> dict:
    """Users/s and the tool's CPU per user through `make import-leancloud`'s client."""
    from load import start_server

    from deploy.import_leancloud import DEFAULT_PARALLEL, Client, run
    from flows import export_jsonl

    parallel = parallel or DEFAULT_PARALLEL
    url, proc = start_server(settings, keys=keys)
    path = Path(tempfile.mkdtemp()) / "_User.jsonl"
    path.write_text(export_jsonl(n) + "\n")
    out = {"users": n, "parallel": parallel}
    try:
        client = Client(url, keys["VERIKIT_APP_ID"], keys["VERIKIT_MASTER_KEY"], False)
        for label in ("import", "reimport"):
            sink = io.StringIO()
            t, cpu = time.perf_counter(), time.process_time()
            code = run(str(path), client, batch=500, parallel=parallel, out=sink, err=io.StringIO())
            cpu = time.process_time() - cpu
            elapsed = time.perf_counter() - t
            assert code == 0, sink.getvalue()
            out[f"{label}_s"] = round(elapsed, 1)
            out[f"{label}_users_per_s"] = round(n / elapsed)
            out[f"{label}_tool_cpu_ms_per_user"] = round(cpu * 1000 / n, 3)
    finally:
        proc.terminate()
        proc.wait(10)
    return out


def million(flows: dict, server: dict, tool: dict, transaction_ms: float = 30, workers: int = 4) -> str:
    """The README's "a million users" estimate, with its arithmetic (``transaction_ms``: an
    assumed DynamoDB latency of one 100-item transaction; ``workers``: the route's threads)."""
    import math

    wru = flows["import_500_users"]["wru"] / 500
    transactions = flows["import_500_users"]["ops"].count("TransactWriteItems")
    table_wru_s = 4000  # a new on-demand table's initial write throughput
    users_s = table_wru_s / wru
    cpu = server["import_cpu_ms_per_user"]
    share = 512 / 1769  # a 512 MB Lambda gets this share of a vCPU
    request_s = 500 * cpu / share / 1000 + math.ceil(transactions / workers) * transaction_ms / 1000
    per_request = 500 / request_s
    tool_cpu = tool["import_tool_cpu_ms_per_user"]
    return (f"a million users: {wru:g} WRU per user (measured) -> a new on-demand table's {table_wru_s} WRU/s "
            f"/ {wru:g} = {users_s:.0f} users/s -> 1e6 / {users_s:.0f} = {1e6 / users_s:.0f} s = "
            f"{1e6 / users_s / 60:.0f} min. A request of 500 users: 500 x {cpu:g} ms CPU / {share:.2f} vCPU "
            f"+ {math.ceil(transactions / workers)} x {transaction_ms:g} ms of transactions ({transactions}, "
            f"{workers} at a time) = {request_s:.1f} s -> {per_request:.0f} users/s per request in flight: "
            f"{math.ceil(users_s / per_request)} in flight reach the table's limit (default --parallel 4). "
            f"The tool's own CPU: {tool_cpu:g} ms per user, {3.6 / max(tool_cpu, 1e-6):.0f}x under the 3.6 ms "
            f"a million users in an hour allow")
