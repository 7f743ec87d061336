"""What a new user tripped on: start-up checks, readable JSON, messages that say what to do."""
from __future__ import annotations

import json
import os
import socket
import subprocess
import sys

from conftest import KEYS, ROOT, free_port


def _devserver(env_extra: dict, timeout: int = 60):
    env = {**os.environ, **KEYS, **env_extra}
    env.pop("VERIKIT_LOCAL", None)
    return subprocess.run([sys.executable, "-m", "devserver"], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=timeout)


def test_an_unknown_setting_stops_make_run_at_once_with_a_clear_message():
    out = _devserver({"VERIKIT_SETTINGS": json.dumps({"per_ip_hourli": 0}), "PORT": str(free_port())})
    assert out.returncode == 2
    assert "VERIKIT_SETTINGS is invalid: unknown setting(s): per_ip_hourli" in out.stderr
    assert "Traceback" not in out.stderr + out.stdout


def test_an_unknown_setting_stops_the_cold_start_too():
    env = {**os.environ, "VERIKIT_SETTINGS": json.dumps({"code_length": 99})}
    out = subprocess.run([sys.executable, "-c", "import app"], cwd=ROOT, env=env, capture_output=True, text=True)
    assert out.returncode != 0 and "VERIKIT_SETTINGS is invalid: setting code_length must be between 4 and 10" in out.stderr


def test_make_deploy_refuses_a_stage_with_bad_settings(tmp_path):
    import pytest

    from deploy.__main__ import DeployError, check_stage_settings

    (tmp_path / ".chalice").mkdir()
    cfg = {"stages": {"dev": {"environment_variables": {"VERIKIT_SETTINGS": '{"cooldown": 5}'}}}}
    (tmp_path / ".chalice" / "config.json").write_text(json.dumps(cfg))
    with pytest.raises(DeployError, match="unknown setting"):
        check_stage_settings("dev", tmp_path)
    cfg["stages"]["dev"]["environment_variables"]["VERIKIT_SETTINGS"] = '{"cooldown_seconds": 5}'
    (tmp_path / ".chalice" / "config.json").write_text(json.dumps(cfg))
    check_stage_settings("dev", tmp_path)


def test_a_busy_port_is_one_clear_line_not_a_traceback():
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        out = _devserver({"PORT": str(port)})
    assert out.returncode == 1
    assert f"port {port} on 127.0.0.1 is in use" in out.stderr and f"try PORT={port + 1} make run" in out.stderr
    assert "Traceback" not in out.stderr


def test_the_banner_states_the_limits_as_configured():
    from chalicelib.core.settings import Settings
    from devserver.__main__ import limits_line

    default = limits_line(Settings())
    assert "30 sends per IP per hour" in default and "CloudBase verification 10 per IP per hour" in default
    off = limits_line(Settings.from_mapping({"per_ip_hourly": 0}))
    assert "per IP per hour" in off and "30 sends" not in off
    none = limits_line(Settings.from_mapping({"per_ip_hourly": 0, "verification_per_ip_hourly": 0,
                                              "cooldown_seconds": 0, "per_number_daily": 0}))
    assert "all the send limits are off" in none


def test_json_is_readable_utf8(lc, settings):
    settings(signature="MyApp")
    assert lc.request_code("+8613800138000")[0] == 200
    r = lc.client.http.get("/dev/outbox?to=%2B8613800138000")
    assert "【MyApp】".encode() in r.body and b"\\u3010" not in r.body
    assert json.loads(r.body)[0]["body"].startswith("【MyApp】")
    r = lc.client.http.post("/1.1/requestSmsCode", headers=lc.headers, body=json.dumps({"mobilePhoneNumber": "x"}))
    assert r.headers["Content-Type"] == "application/json; charset=utf-8"


def test_make_vendor_does_nothing_when_the_requirements_did_not_change():
    out = subprocess.run(["make", "-q", "vendor"], cwd=ROOT, capture_output=True, text=True)
    assert out.returncode == 0, "make vendor would reinstall vendor/ although requirements-vendor.txt is unchanged"
