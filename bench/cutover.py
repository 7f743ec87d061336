"""A simulated cutover on a fresh stage (issue 18): real users arrive to one country at a
realistic conversion while a pump hits one number range; the fraud guard with the deployed
defaults must block no real user and cut the pump within its floor.

Also measures, on this single-country traffic, the DynamoDB round trips of each flow and
the hottest item's share of the flows (the country's sharded stats rows, the app budget).

Run alone (``python bench/cutover.py [users]``) or from ``bench/bench.py``. Everything
runs in-process against moto with one injected clock (no wall-clock time is simulated).
"""
from __future__ import annotations

import json
import os
import random
import re
import sys
import time
from collections import Counter
from pathlib import Path
from types import SimpleNamespace

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

APP = "benchapp"
KEYS = {"VERIKIT_APP_ID": APP, "VERIKIT_APP_KEY": "bench-key", "VERIKIT_MASTER_KEY": "bench-master",
        "VERIKIT_CODE_SECRET": "bench-secret"}
# a fixed hour (the simulation's clock): 2026-03-02 09:00 UTC
START = 1772442000


MOBILE = ["13%d" % i for i in range(10)] + ["15%d" % i for i in (0, 1, 2, 3, 5, 6, 7, 8, 9)] + \
    ["18%d" % i for i in range(10)]


def cn_number(rnd: random.Random) -> str:
    """A random mainland mobile number (+86 13x/15x/18x xxxx xxxx)."""
    return "+86" + rnd.choice(MOBILE) + "".join(rnd.choice("0123456789") for _ in range(8))


def plan_traffic(users: int, conversion: float, pump: int, nat_share: float = 0.15, seed: int = 18) -> list:
    """(time, kind, number, ip) events over one hour: real users (own IP, or one of a few
    carrier-NAT addresses shared by many) send, then most type the code in 15-90 s later;
    the pump sends to consecutive numbers of one 1k range from rotating addresses."""
    rnd = random.Random(seed)
    nat = [f"100.64.{i}.1" for i in range(max(1, users // 100))]
    events = []
    for n in range(users):
        t = START + rnd.uniform(0, 3500)
        ip = rnd.choice(nat) if rnd.random() < nat_share else f"10.{rnd.randrange(256)}.{rnd.randrange(256)}.{n % 250 + 1}"
        number = cn_number(rnd)
        events.append((t, "send", number, ip, True))
        if rnd.random() < conversion:
            events.append((t + rnd.uniform(15, 90), "verify", number, ip, True))
    for i in range(pump):
        events.append((START + rnd.uniform(0, 3500), "send", f"+8613900000{i % 1000:03d}", f"198.18.{i % 256}.{i // 256 + 1}",
                       False))
    events.sort(key=lambda e: e[0])
    return events


def simulate(users: int = 2000, conversion: float = 0.65, pump: int = 300, settings: dict | None = None,
             moto=None, app: str = APP, fresh: bool = True) -> dict:
    """Run the cutover hour through the service; the figures as a dict. ``moto``: a running
    one (else one is started); ``fresh``: create the tables (tests have them already)."""
    if fresh:
        os.environ.update(KEYS)
    # the deployed defaults (fraud_guard "block", learning, prefix + IP), CN allowed
    os.environ["VERIKIT_SETTINGS"] = json.dumps({"allowed_regions": ["CN"], **(settings or {})})
    from devserver.local import create_tables, start_moto
    own = None
    if moto is None:
        own = moto = start_moto()
    if fresh:
        create_tables()
    from chalicelib import wiring
    from chalicelib.core import guard
    from chalicelib.core.errors import RateLimited
    from chalicelib.core.service import SendRequest
    from chalicelib.store import stats
    from chalicelib.store.base import connection

    # as deployed: verified codes are counted by the codes table's stream consumer, here run
    # on the stream's new records once per simulated second (Lambda reads it within ~1 s)
    counts, os.environ["VERIKIT_VERIFIED_COUNTS"] = os.environ.get("VERIKIT_VERIFIED_COUNTS"), "stream"
    wiring.reset()
    stats.reset()
    svc = wiring.service()
    consumer = _Consumer()
    clock = SimpleNamespace(t=START)
    svc.clock = SimpleNamespace(now=lambda: clock.t)
    svc._pace = SimpleNamespace(observe=lambda *a: None, wait_like_a_send=lambda *a: 0)
    client = connection().client
    calls: list = []
    items: list = []

    def count(model, **kw):
        calls.append(model.name)

    def written(model, params, **kw):
        if model.name == "TransactWriteItems":
            for t in params["TransactItems"]:
                kind, op = next(iter(t.items()))
                if kind != "ConditionCheck":
                    items.append(_item(op))
        elif model.name in ("UpdateItem", "PutItem", "DeleteItem"):
            items.append(_item(params))

    client.meta.events.register("before-call.dynamodb", count)
    client.meta.events.register("before-parameter-build.dynamodb", written)
    out = {"real": Counter(), "pump": Counter(), "blocked_by": Counter()}
    trips = {"send": Counter(), "send_blocked": Counter(), "verify": Counter()}
    codes: dict = {}
    kept: list = []   # the items real users' flows wrote (for the hottest item's share)
    flows = 0
    try:
        for t, kind, number, ip, real in plan_traffic(users, conversion, pump):
            if t - consumer.at >= 1:  # the consumer's writes: real users' verifications (no pump verifies)
                mark = len(items)
                consumer.run()
                consumer.at = t
                kept.extend(items[mark:])
            clock.t = t
            who = "real" if real else "pump"
            calls.clear()
            mark = len(items)
            if kind == "send":
                try:
                    svc.send(SendRequest(app_id=app, phone=number, client_ip=ip))
                    kept.extend(items[mark:] if real else ())
                    out[who]["sent"] += 1
                    trips["send"][len(calls)] += 1
                    body = wiring.outbox().list(number)[-1]["body"]
                    codes[number] = re.search(r"is (\d+)", body).group(1)
                    flows += real
                except guard.FraudBlocked as e:
                    out[who]["blocked"] += 1
                    out["blocked_by"][f"{who}:{e.dimension}"] += 1
                    trips["send_blocked"][len(calls)] += 1
                except RateLimited as e:
                    out[who]["rate_limited:" + e.limit] += 1
            elif number in codes:
                token = guard.CLIENT_IP.set(ip)
                try:
                    svc.verify(app, number, codes[number])
                    kept.extend(items[mark:])
                    out[who]["verified"] += 1
                    trips["verify"][len(calls)] += 1
                finally:
                    guard.CLIENT_IP.reset(token)
        consumer.run()  # the last second's verifications
    finally:
        if counts is None:
            os.environ.pop("VERIKIT_VERIFIED_COUNTS", None)
        else:
            os.environ["VERIKIT_VERIFIED_COUNTS"] = counts
        client.meta.events.unregister("before-call.dynamodb", count)
        client.meta.events.unregister("before-parameter-build.dynamodb", written)
        if own is not None:
            own.stop()
    writes = Counter(kept)
    guard_rows = {k: n for k, n in writes.items() if k.startswith("stats:") and "|c#" in k}
    hottest = writes.most_common(1)[0]
    hot_row = max(guard_rows.items(), key=lambda kv: kv[1])
    by_group = Counter()
    for k, n in writes.items():
        by_group[re.sub(r"#\d+$", "#<shard>", k.split("|", 1)[-1])] = max(by_group[re.sub(r"#\d+$", "#<shard>", k.split("|", 1)[-1])], n)
    s = svc.config.get(app).settings
    return {
        "users": users, "conversion": conversion, "pump_attempts": pump,
        "real_users_sent": out["real"]["sent"], "real_users_blocked": out["real"]["blocked"],
        "real_users_verified": out["real"]["verified"], "counted_by_stream": consumer.counted,
        "real_other_refusals": {k: v for k, v in out["real"].items() if k.startswith("rate_limited")},
        "pump_sent": out["pump"]["sent"], "pump_blocked": out["pump"]["blocked"],
        "pump_floor_day": guard.thresholds(s, "prefix").floor_day,
        "blocked_by": dict(out["blocked_by"]),
        "round_trips": {k: dict(sorted(v.items())) for k, v in trips.items()},
        "flows": flows,
        "hottest_country_row": {"item": hot_row[0].split("|")[-1], "writes": hot_row[1],
                                "share_of_flows": round(hot_row[1] / max(1, flows), 4)},
        "hottest_item": {"item": hottest[0], "writes": hottest[1], "share_of_flows": round(hottest[1] / max(1, flows), 4)},
        "hottest_per_kind": {k: round(n / max(1, flows), 4) for k, n in by_group.most_common(4)},
    }


class _Consumer:
    """The ``count_verified`` function reading the codes table's stream from where it left."""

    def __init__(self):
        from chalicelib import aws
        from chalicelib.store.codes import CodeModel

        self.streams, self.at, self.counted = aws.client("dynamodbstreams"), 0.0, 0
        arn = aws.client("dynamodb").describe_table(TableName=CodeModel.Meta.table_name)["Table"]["LatestStreamArn"]
        self.arn, self.iterators = arn, {}
        for shard in self.streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]:
            self.iterators[shard["ShardId"]] = self.streams.get_shard_iterator(
                StreamArn=arn, ShardId=shard["ShardId"], ShardIteratorType="LATEST")["ShardIterator"]

    def run(self) -> None:
        from chalicelib.hooks.verified_counts import handle

        for shard, it in list(self.iterators.items()):
            resp = self.streams.get_records(ShardIterator=it)
            self.iterators[shard] = resp.get("NextShardIterator") or it
            if resp["Records"]:
                self.counted += handle([{"dynamodb": r["dynamodb"]} for r in resp["Records"]])


def _item(op: dict) -> str:
    table = op["TableName"].rsplit("-", 1)[-1]
    key = op.get("Key") or {a: op["Item"][a] for a in ("pk", "sk") if a in op.get("Item", {})}
    return table + ":" + "|".join(v.get("S", v.get("N", "")) for v in key.values())


def report(moto=None, users: int = 2000) -> dict:
    started = time.perf_counter()
    fig = simulate(users=users, moto=moto)
    fig["seconds"] = round(time.perf_counter() - started, 1)
    return fig


if __name__ == "__main__":
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    print("Cutover simulation (fresh stage, deployed defaults):", json.dumps(report(users=n)))
