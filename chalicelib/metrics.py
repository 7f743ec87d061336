"""CloudWatch metrics without API calls: one embedded-metric-format (EMF) line per event
through aws-lambda-powertools ``Metrics``, imported on the first event (routes that never
send or verify never import it).

Namespace ``verikit``; metrics ``Sent``, ``Verified``, ``Blocked`` (refused by the fraud
guard) and ``WouldBlock`` (``fraud_guard: "record"``), each a Count with two dimension
sets: ``service`` alone (what the CloudFormation alarms watch) and
``service, channel, country``. ``Sent`` and ``ProviderFailed`` (one provider attempt that
failed; a routed send may then go on to the next provider) also carry ``service, provider``. ``VERIKIT_METRICS=0`` turns them off.
"""
from __future__ import annotations

import os
import threading

NAMESPACE = "verikit"
SERVICE = "verikit"
_lock = threading.Lock()
_metrics = None


def _get():
    global _metrics
    if _metrics is None:
        if _warming is not None:
            _warming.join()
        from aws_lambda_powertools.metrics import Metrics  # ~20-60 ms: only on the first event

        _metrics = Metrics(namespace=NAMESPACE, service=SERVICE)
    return _metrics


_warming = None


def warm() -> None:
    """Start importing powertools in a thread (once): a cold instance's first send waits
    on DynamoDB and the provider meanwhile, so the import costs it little wall time."""
    global _warming
    if _warming is None and _metrics is None and os.environ.get("VERIKIT_METRICS", "1") != "0":
        import importlib

        _warming = threading.Thread(target=importlib.import_module, args=("aws_lambda_powertools.metrics",),
                                    daemon=True)
        _warming.start()


def emit(name: str, channel: str, country: str, provider: str = "") -> None:
    """Print one EMF line counting ``name`` (CloudWatch Logs turns it into metrics)."""
    if os.environ.get("VERIKIT_METRICS", "1") == "0":
        return
    from aws_lambda_powertools.metrics import MetricUnit

    with _lock:  # powertools keeps one metric set per process; the local server has threads
        m = _get()
        m.add_metric(name=name, unit=MetricUnit.Count, value=1)
        m.add_dimensions(service=SERVICE, channel=channel or "none", country=country or "none")
        if provider:
            m.add_dimensions(service=SERVICE, provider=provider)
        m.flush_metrics()


emit.warm = warm  # the service calls it as a send starts
