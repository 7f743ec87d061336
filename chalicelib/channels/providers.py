"""The SMS providers a ``RoutedChannel`` can route to, each built on its first send.

In AWS a provider reads its credentials once (``provider_secrets``). Under ``make run``
(``outbox`` given) a provider whose endpoint is not configured records what it would have
sent in the dev outbox (``DevProvider``), so routes can be tried without accounts; one with
an endpoint (a local fake, or the real API) sends and is recorded as well.
"""
from __future__ import annotations

from .. import provider_secrets
from .router import DevProvider, RoutedChannel

CLASSES = {"aliyun": ("aliyun", "AliyunSms"), "tencent": ("tencent", "TencentSms"),
           "twilio": ("twilio", "TwilioSms"), "vonage": ("vonage", "VonageSms"), "hook": ("sendhook", "SendHook")}


def _make(name: str):
    import importlib

    module, cls = CLASSES[name]
    klass = getattr(importlib.import_module(f"{__package__}.{module}"), cls)
    creds = lambda: provider_secrets.get(name)  # noqa: E731 - read on the first send
    if name == "hook":
        return klass(creds)
    return klass(creds, provider_secrets.endpoint(name))


def _dev(name: str, outbox, delay: float):
    from .outbox import Recording

    if provider_secrets.endpoint(name):
        return Recording(_make(name), outbox, delay, provider=name)
    request = None
    if name in ("aliyun", "tencent"):
        request = _make(name).request  # the sign, template id and parameters it would send
    return DevProvider(name, outbox, request)


def routed_sms(sns, outbox=None, delay: float = 0.0) -> RoutedChannel:
    """The SMS channel: SNS (``sns``, already wrapped for the outbox locally) and the others."""
    providers = {"sns": lambda: sns}
    for name in CLASSES:
        if outbox is not None:
            providers[name] = (lambda n: lambda: _dev(n, outbox, delay))(name)
        else:
            providers[name] = (lambda n: lambda: _make(n))(name)
    return RoutedChannel(providers)
