"""``python -m devserver``: what ``make run`` starts."""
from __future__ import annotations

import os
import sys

from .local import create_tables, dev_keys, probe_port, serve_app, start_moto, start_worker


def check_settings() -> "object | None":
    """VERIKIT_SETTINGS, validated before anything starts (None, with a message, if bad)."""
    from chalicelib.core.config import settings_from_env
    from chalicelib.core.errors import InvalidRequest

    try:
        return settings_from_env(os.environ)
    except InvalidRequest as e:
        print(f"verikit cannot start: VERIKIT_SETTINGS is invalid: {e.message}\n"
              "  (the settings and their ranges are in README.md, section Settings)", file=sys.stderr)
        return None


def limits_line(s) -> str:
    """What the local limits are, as configured (not as defaulted)."""
    parts = []
    if s.per_ip_hourly:
        parts.append(f"{s.per_ip_hourly} sends per IP per hour")
    if s.cooldown_seconds:
        parts.append(f"one send per number per {s.cooldown_seconds} s")
    if s.per_number_daily:
        parts.append(f"{s.per_number_daily} per number per day")
    if s.verification_per_ip_hourly:
        parts.append(f"CloudBase verification {s.verification_per_ip_hourly} per IP per hour")
    if not parts:
        return "Limits apply locally as deployed; all the send limits are off in this run."
    tip = (" VERIKIT_SETTINGS='{\"per_ip_hourly\": 0, \"verification_per_ip_hourly\": 0}' make run"
           " switches the per-IP ones off." if s.per_ip_hourly or s.verification_per_ip_hourly else "")
    return "Limits apply locally as deployed: " + ", ".join(parts) + "." + tip


def main() -> int:
    host = os.environ.get("HOST", "127.0.0.1")
    port = int(os.environ.get("PORT", "8000"))
    settings = check_settings()
    if settings is None:
        return 2
    keys = dev_keys()
    os.environ.update(keys)
    os.environ.setdefault("VERIKIT_STAGE", "local")
    guard = local_guard_mode()
    try:
        probe_port(host, port)
    except OSError as e:
        print(f"verikit cannot start: port {port} on {host} is in use ({e.strerror}); "
              f"try PORT={port + 1} make run", file=sys.stderr)
        return 1
    moto = start_moto()
    create_tables()
    worker = start_worker()
    try:
        server = serve_app(host, port)
    except OSError as e:
        moto.stop()
        print(f"verikit cannot start: port {port} on {host} is in use ({e.strerror}); "
              f"try PORT={port + 1} make run", file=sys.stderr)
        return 1
    actual = server.server.server_address[1]
    url = f"http://{host}:{actual}"
    print(f"""
verikit is running locally (moto at {moto.url}; nothing leaves this machine)

  URL         {url}
  App ID      {keys['VERIKIT_APP_ID']}
  App Key     {keys['VERIKIT_APP_KEY']}
  Master Key  {keys['VERIKIT_MASTER_KEY']}
  Hook Key    {keys['VERIKIT_HOOK_KEY']}  (LEANCLOUD_APP_HOOK_KEY of your LeanEngine app)
  Dev outbox  {url}/dev/outbox?to=%2B8613800138000
  Webhooks    {url}/dev/webhooks (what the event webhooks and LeanEngine after-hooks were sent)
  Console     {url}/console (sign in with the App ID and the Master Key)

  Python SDK: LEANCLOUD_API_SERVER={url}  then leancloud.init(app_id, app_key)
  JS SDK:     AV.init({{appId, appKey, serverURL: '{url}'}})
  CloudBase:  app = cloudbase.init({{env: 'local'}}); app.registerHost('{host}:{actual}', 'http')

For the README's curl examples, in another shell:
  export VERIKIT_URL={url} APP_ID={keys['VERIKIT_APP_ID']} APP_KEY={keys['VERIKIT_APP_KEY']} MASTER_KEY={keys['VERIKIT_MASTER_KEY']}

Local data (users, codes, settings) lives in memory and is gone when this stops; the keys
are kept in .local/dev-keys.json. {limits_line(settings)}
The fraud guard runs in "{guard}" mode here (codes you never verify would soon block your own
number range): VERIKIT_SETTINGS='{{"fraud_guard": "block"}}' make run tries it as deployed.
Logs: one JSON line per request, below.
""", flush=True)
    try:
        server.server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        worker.stop()
        moto.stop()
    return 0


def local_guard_mode() -> str:
    """Locally the fraud guard records instead of blocking unless VERIKIT_SETTINGS says."""
    import json

    raw = os.environ.get("VERIKIT_SETTINGS", "").strip()
    try:
        settings = json.loads(raw) if raw else {}
    except ValueError:
        return "block"  # verikit reports the bad JSON itself
    if isinstance(settings, dict) and "fraud_guard" not in settings:
        settings["fraud_guard"] = "record"
        os.environ["VERIKIT_SETTINGS"] = json.dumps(settings)
    return settings.get("fraud_guard", "block") if isinstance(settings, dict) else "block"


if __name__ == "__main__":
    sys.exit(main())
