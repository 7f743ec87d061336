"""The send log's by_app index is split over partitions (store/sendlog.py): a busy app's log
writes are not capped by one partition, and the admin route still pages newest first with
its cursor, with no empty page after the last entry."""
from __future__ import annotations

import json

from chalicelib.store.sendlog import LOG_SHARDS, SendLogModel
from conftest import KEYS

MASTER = {"X-LC-Key": KEYS["VERIKIT_MASTER_KEY"] + ",master"}


def test_entries_spread_over_partitions_and_page_in_time_order(lc, settings):
    settings(cooldown_seconds=0, per_ip_hourly=0)
    for i in range(12):
        assert lc.request_code(f"+86138001381{i:02d}")[0] == 200
    items = list(SendLogModel.scan())
    assert len(items) == 12 and len({i.app_id for i in items}) > 1
    assert all(i.app_id.rsplit("#", 1)[1].isdigit() and int(i.app_id.rsplit("#", 1)[1]) < LOG_SHARDS for i in items)
    # an entry written before the split (by_app key = the bare app id) is still listed
    old = items[0]
    SendLogModel(f"{old.pk}x", f"{int((old.at - 1) * 1000):013d}#legacy", app_id=KEYS["VERIKIT_APP_ID"], to=old.to, channel="sms",
                 purpose="sms", outcome="sent", at=old.at - 1).save()
    seen, cursor, pages = [], None, 0
    while True:
        q = "/admin/v1/messages?limit=5&since=2000-01-01T00:00:00Z" + (f"&cursor={cursor}" if cursor else "")
        r = lc.client.http.get(q, headers={**lc.headers, **MASTER})
        body = json.loads(r.body)
        assert r.status_code == 200 and body["results"], body  # never an empty page
        seen += [e["sent_at"] + e["to"] for e in body["results"]]
        pages += 1
        cursor = body["next"]
        if cursor is None:
            break
    assert pages == 3 and len(seen) == 13 and len(set(seen)) == 13
    times = [x[:24] for x in seen]
    assert times == sorted(times, reverse=True)
