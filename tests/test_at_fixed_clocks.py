"""Tests pass at any hour and date (issue 19): the time-sensitive tests (limits, lockouts, the
guard's windows, stats, the send log, session expiry) run again with the service's one clock
(``wiring.clock()``) starting at fixed instants: just after midnight, 10:29, and just before
midnight on the last day of a month (the hour, the day and the month all turn mid-test). A test that reads the wall clock beside the service's clock, or
that assumes an hour or a day does not end while it runs, fails here whatever the hour of
``make test``."""
import os
import subprocess
import sys

import pytest

from conftest import ROOT

# 23:59:50 on the last day of a month: the hour, the day and the month turn mid-test at once
CLOCKS = ["2027-03-15T00:00:30Z", "2027-03-15T10:29:00Z", "2027-02-28T23:59:50Z"]
FILES = ["test_fraud_guard.py", "test_users_api.py", "test_leancloud_api.py", "test_admin.py",
         "test_abuse_limits_and_input_hardening.py", "test_enumeration_squatting_and_hashing_cost.py", "test_cloudbase_api.py", "test_guesses.py",
         "test_console_api.py", "test_master_routes_never_500.py"]
SELECT = ("(lockout or limit or hourly or daily or cooldown or retry_after or stats or messages or send_log "
          "or window or guard or refus or expire or blocked) and not make_run and not pump and not concurren")


@pytest.mark.skipif(bool(os.environ.get("VERIKIT_TEST_CLOCKS")), reason="already inside the check")
def test_time_sensitive_tests_pass_at_fixed_clocks():
    env = {**os.environ, "VERIKIT_TEST_CLOCKS": ",".join(CLOCKS)}
    for k in ("AWS_ENDPOINT_URL", "VERIKIT_LOCAL", "VERIKIT_SETTINGS"):
        env.pop(k, None)  # the run starts its own moto, as make test does
    proc = subprocess.run([sys.executable, "-m", "pytest", *[f"tests/{f}" for f in FILES], "-k", SELECT, "-q",
                           "-p", "no:cacheprovider", "-x"], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=1500)
    tail = "\n".join(proc.stdout.splitlines()[-40:])
    assert proc.returncode == 0, tail
    assert " passed" in tail and " deselected" in tail, tail
