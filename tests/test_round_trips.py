"""Every flow's DynamoDB round trips stay at or under the figure the README states (its
table "Round trips and units per flow", read by bench/flows.py: the one source both the
benchmark and this test read), and the capacity units are counted as DynamoDB bills them."""
import sys

from conftest import KEYS, ROOT

sys.path.insert(0, str(ROOT / "bench"))

import flows  # noqa: E402
import meter  # noqa: E402


def test_no_flow_takes_more_round_trips_than_the_readme_says():
    readme = flows.readme_round_trips()
    out = flows.run(KEYS, imports=True)
    assert set(readme) == set(out), "the README table and bench/flows.py name the same flows"
    above = {k: (v["round_trips"], readme[k]) for k, v in out.items() if v["round_trips"] > readme[k]}
    assert not above, f"(measured, README) round trips: {above}"
    # units were counted for every flow that touched DynamoDB
    assert all(v["wru"] + v["rru"] > 0 for v in out.values() if v["round_trips"])
    # a warm send writes (the code and its counters, transactionally) and a wrong guess is one write
    assert out["send"]["wru"] >= 2 and out["verify_wrong"]["wru"] >= 1
    assert out["import_500_users"]["wru"] >= 500 * 2 * 5  # 5 items per user, transactional


def test_readme_table_parses():
    figures = flows.readme_round_trips()
    assert figures["send"] >= 1 and figures["users_me"] == 1
    assert {"send_cold", "verify_ok", "login_password", "login_sms", "verify_phone_by_code",
            "request_login_code"} <= set(figures)


def test_item_sizes_and_units_follow_dynamodb_rules():
    assert meter.item_size({"pk": {"S": "ab"}, "n": {"N": "12345"}}) == 2 + 2 + 1 + 4
    assert meter.item_size({"flag": {"BOOL": True}, "l": {"L": [{"S": "x"}, {"NULL": True}]}}) == 4 + 1 + 1 + 3 + 2 + 2
    assert meter.item_size({"b": {"B": "AAEC"}}) == 1 + 3  # base64 of 3 bytes
    assert meter._wru(1) == 1 and meter._wru(1024) == 1 and meter._wru(1025) == 2
    assert meter._rru(4096, True) == 1 and meter._rru(4097, True) == 2 and meter._rru(10, False) == 0.5
