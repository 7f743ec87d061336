"""Every flow's AWS calls: DynamoDB round trips, write and read units, the other services'
calls, and the time spent outside AWS, each request through the Chalice test client on the
embedded moto (bench/meter.py does the counting).

``run(keys)`` needs moto running with the tables created and ``VERIKIT_LOCAL`` set (the
benchmark's ``shared_moto``, or tests/conftest.py). The README's table "Round trips and
units per flow" carries the figure of every flow by its key here; ``readme_round_trips``
reads it back, and tests/test_round_trips.py fails when a flow takes more round trips
than the README says.
"""
from __future__ import annotations

import contextlib
import io
import json
import logging
import os
import re
import tempfile
import time
from pathlib import Path

import meter

ROOT = Path(__file__).resolve().parent.parent
# the fraud guard records (reads and writes everything as when it blocks, refuses nothing):
# the benchmark's own traffic is hundreds of unverified codes on a few number ranges
FAST = {"cooldown_seconds": 0, "per_number_daily": 1000, "per_ip_hourly": 100000,
        "per_app_daily": 10_000_000, "allowed_regions": ["*"], "fraud_guard": "record"}


def readme_round_trips(path: Path = ROOT / "README.md") -> dict:
    """``{flow key: round trips}`` from the README's table: the rows whose first cell names
    a key in backticks, e.g. ``| send, warm (`send`) | 3 | ...``; the first number of the
    second cell is the figure."""
    out = {}
    text = path.read_text()
    if "### Round trips and units per flow" not in text:
        return {}
    start = text.index("### Round trips and units per flow")
    for line in text[start:].splitlines()[1:]:
        if line.startswith("#"):
            break
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        m = re.search(r"\(`([a-z0-9_]+)`\)", cells[0]) if len(cells) > 2 else None
        n = re.match(r"\**(\d+)", cells[1]) if m else None
        if m and n:
            out[m.group(1)] = int(n.group(1))
    return out


def export_jsonl(n: int, start: int = 0) -> str:
    """A LeanCloud _User export of n users, as the console exports it (JSONL)."""
    from chalicelib.core.passwords import leancloud_digest
    digest = leancloud_digest("benchsalt", "bench-password")
    return "\n".join(json.dumps({
        "objectId": f"{i:024x}", "username": f"lcuser{i}", "createdAt": "2025-01-01T00:00:00.000Z",
        "updatedAt": "2025-06-01T00:00:00.000Z", "mobilePhoneNumber": f"+86137{i:08d}", "mobilePhoneVerified": True,
        "email": f"user{i}@example.com", "password": digest, "salt": "benchsalt",
        "sessionToken": f"benchtoken{i:016d}", "nickname": f"n{i}"}) for i in range(start, start + n))


def _figures(m) -> dict:
    out = m.summary()
    out["aws_ms"] = round(m.seconds() * 1000, 1)
    out["local_ms"] = round(max(0.0, m.wall - m.seconds()) * 1000, 1)  # our code, outside AWS
    out["calls"] = m.by_service()
    return out


def run(keys: dict, imports: bool = True) -> dict:
    """{flow key: figures} of every flow, in order (see the README table). ``imports``: also
    a LeanCloud import of 500 users and its re-import (slower)."""
    os.environ["VERIKIT_SETTINGS"] = json.dumps(FAST)
    # as deployed stages count verified codes: off the request path, by the codes table's
    # stream consumer (flow ``count_verified``)
    counts, os.environ["VERIKIT_VERIFIED_COUNTS"] = os.environ.get("VERIKIT_VERIFIED_COUNTS"), "stream"
    # a warm instance reads the app's config once per 10 s, nothing per request: on a slow
    # machine a flow could straddle a refresh and count its Query
    cache, os.environ["VERIKIT_CONFIG_CACHE_SECONDS"] = os.environ.get("VERIKIT_CONFIG_CACHE_SECONDS"), "3600"
    try:
        return _run(keys, imports)
    finally:
        if counts is None:
            os.environ.pop("VERIKIT_VERIFIED_COUNTS", None)
        else:
            os.environ["VERIKIT_VERIFIED_COUNTS"] = counts
        if cache is None:
            os.environ.pop("VERIKIT_CONFIG_CACHE_SECONDS", None)
        else:
            os.environ["VERIKIT_CONFIG_CACHE_SECONDS"] = cache


def _run(keys: dict, imports: bool) -> dict:
    from chalice.test import Client

    from app import app
    from chalicelib import runtime, wiring

    runtime.reset()
    wiring.reset()  # a cold instance: the first send reads the config
    h = {"X-LC-Id": keys["VERIKIT_APP_ID"], "X-LC-Key": keys["VERIKIT_APP_KEY"]}
    mh = {**h, "X-LC-Key": keys["VERIKIT_MASTER_KEY"] + ",master"}
    out: dict = {}

    def flow(label, fn):
        logged = io.StringIO()  # the request's log lines (CloudWatch Logs bills their bytes)
        handlers = [h for h in logging.getLogger("verikit").handlers if isinstance(h, logging.StreamHandler)]
        streams = [h.setStream(logged) for h in handlers]  # the request log line, bound to stdout at import
        moto, cpu = meter.moto_cpu(), time.process_time()  # the process's CPU less moto's own
        try:
            with meter.measure() as m, contextlib.redirect_stdout(logged):
                result = fn()
        finally:
            for h, stream in zip(handlers, streams):
                h.setStream(stream)
        cpu = time.process_time() - cpu - (meter.moto_cpu() - moto)
        out[label] = {**_figures(m), "cpu_ms": round(cpu * 1000, 1),
                      "log_bytes": len(logged.getvalue().encode())}
        consume()  # the stream consumer counts what the flow verified (not measured: its own Lambda)
        return result

    seen: set = set()

    def consume(target=None):
        from app import count_verified
        records = [r for r in _spent_records(target) if r["dynamodb"]["SequenceNumber"] not in seen]
        seen.update(r["dynamodb"]["SequenceNumber"] for r in records)
        if records:
            with contextlib.redirect_stdout(io.StringIO()):
                count_verified({"Records": records}, None)

    with Client(app, project_dir=tempfile.mkdtemp()) as c:
        def call(method, path, body=None, headers=None, status=None):
            r = getattr(c.http, method)(path, headers={**h, **(headers or {})},
                                        body=body if isinstance(body, (str, bytes)) else json.dumps(body or {}))
            ok = r.status_code == status if status else 200 <= r.status_code < 300
            assert ok, (path, r.status_code, r.body)
            return json.loads(r.body) if r.body else {}

        def send(phone):
            return call("post", "/1.1/requestSmsCode", {"mobilePhoneNumber": phone})

        def code(phone):
            body = wiring.outbox().list(phone)[-1]["body"]
            return re.search(r"is (\d+)", body).group(1)

        def verify(phone, code_, status=None):
            return call("post", f"/1.1/verifySmsCode/{code_}", {"mobilePhoneNumber": phone}, status=status)

        flow("send_cold", lambda: send("+8613000000000"))  # config not cached yet
        # a send the fraud guard refuses (block mode, a prefix with no room left)
        call("patch", "/admin/v1/settings", {"fraud_guard": "block", "fraud_thresholds": {
            "prefix": {"floor_hour": 0, "floor_day": 0}}}, headers=mh)
        flow("send_blocked", lambda: call("post", "/1.1/requestSmsCode", {"mobilePhoneNumber": "+8613100000000"},
                                          status=429))
        call("patch", "/admin/v1/settings", {"fraud_guard": "record", "fraud_thresholds": {}}, headers=mh)
        flow("send", lambda: send("+8613000000001"))
        flow("verify_ok", lambda: verify("+8613000000001", code("+8613000000001")))
        # what the stream consumer did for that verified code (a Lambda of its own), measured
        # on a second code: flow() has counted the first one already
        send("+8613000000011")
        verify("+8613000000011", code("+8613000000011"))
        from app import count_verified
        event = {"Records": [r for r in _spent_records("+8613000000011") if r["dynamodb"]["SequenceNumber"] not in seen]}
        seen.update(r["dynamodb"]["SequenceNumber"] for r in event["Records"])
        flow("count_verified", lambda: count_verified(event, None))
        send("+8613000000002")
        wrong = "000000" if code("+8613000000002") != "000000" else "111111"
        flow("verify_wrong", lambda: verify("+8613000000002", wrong, status=400))

        # the user system
        phone = "+8613000000003"
        user = flow("signup", lambda: call("post", "/1.1/users", {
            "username": "bench", "password": "secret-123", "mobilePhoneNumber": phone}))
        token = {"X-LC-Session": user["sessionToken"]}
        flow("users_me", lambda: call("get", "/1.1/users/me", headers=token))
        flow("login_password", lambda: call("post", "/1.1/login", {"username": "bench", "password": "secret-123"}))
        flow("request_verify", lambda: call("post", "/1.1/requestMobilePhoneVerify", {"mobilePhoneNumber": phone}))
        # with the session, as the SDKs send it for a logged-in user (a proof without it
        # would leave the password unattested: the SMS login below would then end it)
        flow("verify_phone_by_code", lambda: call("post", f"/1.1/verifyMobilePhone/{code(phone)}", headers=token))
        flow("request_login_code", lambda: call("post", "/1.1/requestLoginSmsCode", {"mobilePhoneNumber": phone}))
        flow("login_sms", lambda: call("post", "/1.1/login", {"mobilePhoneNumber": phone, "smsCode": code(phone)}))
        flow("update_user", lambda: call("put", f"/1.1/users/{user['objectId']}", {"nick": "b"}, headers=token))
        send("+8613000000004")
        flow("signup_by_phone", lambda: call("post", "/1.1/usersByMobilePhone", {
            "mobilePhoneNumber": "+8613000000004", "smsCode": code("+8613000000004")}))

        # CloudBase /auth/v1
        def cb(path, body):
            r = c.http.post(f"/auth/v1/{path}", headers={"Content-Type": "text/plain"}, body=json.dumps(body))
            assert r.status_code == 200, (path, r.body)
            return json.loads(r.body)

        started = flow("cb_verification", lambda: cb("verification", {"phone_number": "+86 13000000005"}))
        verified = flow("cb_verify", lambda: cb("verification/verify", {
            "verification_id": started["verification_id"], "verification_code": code("+8613000000005")}))
        creds = flow("cb_signup", lambda: cb("signup", {"phone_number": "+86 13000000005",
                                                        "verification_token": verified["verification_token"]}))
        creds = flow("cb_refresh", lambda: cb("token", {"grant_type": "refresh_token",
                                                        "refresh_token": creds["refresh_token"]}))
        flow("cb_user_me", lambda: call("get", "/auth/v1/user/me", headers={
            "Authorization": "Bearer " + creds["access_token"]}))

        if imports:  # one batch of 500 users (each with phone, email, session, password)
            body = export_jsonl(500)
            r = flow("import_500_users", lambda: call("post", "/admin/v1/import/leancloud-users", body, headers=mh))
            assert r["created"] == 500, r
            r = flow("reimport_500_unchanged", lambda: call("post", "/admin/v1/import/leancloud-users", body,
                                                            headers=mh))
            assert r["unchanged"] == 500, r
    return out


def _spent_records(target=None) -> list:
    """The codes table's stream records that spent ``target``'s code (any code's: None), as
    Lambda delivers them."""
    from chalicelib import aws
    from chalicelib.store.codes import CodeModel, spent_image

    arn = aws.client("dynamodb").describe_table(TableName=CodeModel.Meta.table_name)["Table"]["LatestStreamArn"]
    streams, out = aws.client("dynamodbstreams"), []
    for shard in streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]:
        it = streams.get_shard_iterator(StreamArn=arn, ShardId=shard["ShardId"],
                                        ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
        for r in streams.get_records(ShardIterator=it)["Records"]:
            image = r["dynamodb"].get("NewImage") or {}
            if target in (None, image.get("target", {}).get("S")) and spent_image(image):
                r["dynamodb"]["ApproximateCreationDateTime"] = int(r["dynamodb"]["ApproximateCreationDateTime"].timestamp())
                out.append({**r, "eventSourceARN": arn})
    return out
