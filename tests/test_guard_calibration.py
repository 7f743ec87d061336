"""The calibrated fraud guard: a fresh stage learns a country before the country dimension
blocks, ratios follow the country's own conversion, and a simulated cutover (real users at
65% conversion plus a pump on one number range) blocks no real user (bench/cutover.py)."""
from __future__ import annotations

import sys
import time
from pathlib import Path
from types import SimpleNamespace

import pytest

from chalicelib import wiring
from chalicelib.core import guard
from chalicelib.core.service import SendRequest
from chalicelib.core.settings import Settings
from conftest import KEYS, last_code

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))
NOW = int(time.time()) - int(time.time()) % 3600 - 1800
APP = KEYS["VERIKIT_APP_ID"]


def test_ratios_follow_the_country_baseline_once_learned():
    s = Settings.from_mapping({"fraud_learn_verifications": 500})
    learning = guard.Baseline(sent=400, verified=260)
    assert not guard.learned(s, learning)
    assert guard.calibrated_ratio(s, learning) == 3.0  # the 50% prior: cut below 25%
    known = guard.Baseline(sent=1000, verified=650)
    assert guard.learned(s, known)
    # cut below half of 65%: unverified / verified > 1 / 0.325 - 1
    assert guard.calibrated_ratio(s, known) == round(1 / 0.325 - 1, 4)
    assert guard.thresholds(s, "prefix", "CN", known).ratio_hour == round(1 / 0.325 - 1, 4)
    assert guard.learned(s, guard.Baseline(sent=10, verified=5, week_old=True))  # a week of traffic
    # explicit ratios win; a percentage of 0 keeps the fixed ratios
    pinned = Settings.from_mapping({"fraud_thresholds": {"ip": {"ratio_hour": 0.2}}})
    assert guard.thresholds(pinned, "ip", "CN", known).ratio_hour == 0.2
    assert guard.thresholds(Settings.from_mapping({"fraud_baseline_percent": 0}), "ip", "CN", known).ratio_day == 0.2
    assert not guard.learned(Settings(), None) and guard.learned(Settings.from_mapping({"fraud_learn_verifications": 0}), None)


@pytest.mark.parametrize("patch", [{"fraud_learn_verifications": -1}, {"fraud_learn_days": 0},
                                   {"fraud_baseline_percent": 101}, {"fraud_guard_by": ["city"]}])
def test_bad_calibration_settings_are_refused(patch):
    from chalicelib.core.errors import InvalidRequest
    with pytest.raises(InvalidRequest):
        Settings.from_mapping(patch)


def test_a_learning_country_records_then_blocks(settings):
    settings(cooldown_seconds=0, per_ip_hourly=0, allowed_regions=["GB"], fraud_guard="block",
             fraud_guard_by=["country"], fraud_learn_verifications=3, fraud_baseline_percent=0,
             fraud_country_overrides={"GB": {"floor_hour": 2, "floor_day": 2}})
    s = wiring.service()
    s.clock = SimpleNamespace(now=lambda: NOW)
    for i in range(6):  # learning: past the floor, nothing refused, counted as would-block
        s.send(SendRequest(app_id=APP, phone=f"+4474001{i:05d}", client_ip="198.51.100.1"))
    day = time.strftime("%Y%m%d", time.gmtime(NOW))
    assert s.stats.rows(APP, "country", day, day)["would_block"] >= 4
    for i in range(3):
        s.verify(APP, f"+4474001{i:05d}", last_code(f"+4474001{i:05d}"))
    wiring.reset()  # an hour later the baseline is recomputed: 3 verified, learned
    s = wiring.service()
    s.clock = SimpleNamespace(now=lambda: NOW + 3600)
    with pytest.raises(guard.FraudBlocked) as e:
        s.send(SendRequest(app_id=APP, phone="+447400200001", client_ip="198.51.100.1"))
    assert e.value.dimension == "country"


def test_a_small_cutover_blocks_no_real_user_and_cuts_the_pump():
    import cutover
    from conftest import MOTO

    fig = cutover.simulate(users=60, conversion=0.65, pump=40, moto=MOTO, app=APP, fresh=False,
                           settings={"fraud_guard": "block"})
    assert fig["real_users_blocked"] == 0 and fig["real_users_sent"] == 60, fig
    # as deployed, every verification was counted by the codes table's stream consumer
    assert fig["counted_by_stream"] == fig["real_users_verified"] > 0, fig
    assert fig["pump_sent"] <= fig["pump_floor_day"] and fig["pump_blocked"] == 40 - fig["pump_sent"], fig
    assert set(fig["blocked_by"]) == {"pump:prefix"}
    assert max(fig["round_trips"]["send_blocked"]) <= 2
