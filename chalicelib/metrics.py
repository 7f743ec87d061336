"""CloudWatch metrics without API calls: one embedded-metric-format (EMF) line per event on
stdout, which CloudWatch Logs turns into metrics.

Namespace ``verikit``; metrics ``Sent``, ``Verified``, ``Blocked`` (refused by the fraud
guard) and ``WouldBlock`` (``fraud_guard: "record"``), each a Count with two dimension
sets: ``service`` alone (what the CloudFormation alarms watch) and
``service, channel, country``. ``Sent`` and ``ProviderFailed`` (one provider attempt that
failed; a routed send may then go on to the next provider) also carry ``service, provider``.
``VERIKIT_METRICS=0`` turns them off.

The line is written here rather than through aws-lambda-powertools ``Metrics``: it is the
same JSON (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html),
and importing powertools (and typing_extensions under it) cost a cold instance's first
send ~15-35 ms of CPU.
"""
from __future__ import annotations

import json
import os
import sys
import threading
import time

NAMESPACE = "verikit"
SERVICE = "verikit"
DIMENSIONS = [["service"], ["service", "channel", "country"]]
_lock = threading.Lock()  # one line at a time: the local server has threads


def line(name: str, channel: str, country: str, now_ms: int, provider: str = "") -> str:
    """The EMF line counting ``name`` once (``now_ms``: the event's wall-clock time)."""
    dimensions = DIMENSIONS + ([["service", "provider"]] if provider else [])
    doc = {"_aws": {"Timestamp": now_ms, "CloudWatchMetrics": [
        {"Namespace": NAMESPACE, "Dimensions": dimensions, "Metrics": [{"Name": name, "Unit": "Count"}]}]},
        "service": SERVICE, "channel": channel or "none", "country": country or "none"}
    if provider:
        doc["provider"] = provider
    doc[name] = [1.0]
    return json.dumps(doc, separators=(",", ":"))


def emit(name: str, channel: str, country: str, provider: str = "") -> None:
    """Print one EMF line counting ``name`` (CloudWatch Logs turns it into metrics)."""
    if os.environ.get("VERIKIT_METRICS", "1") == "0":
        return
    # CloudWatch's own timestamp for the data point: the wall clock, not the service's clock
    text = line(name, channel, country, int(time.time() * 1000), provider)
    with _lock:
        sys.stdout.write(text + "\n")
        sys.stdout.flush()


emit.warm = lambda: None  # the service calls it as a send starts; nothing to load any more
