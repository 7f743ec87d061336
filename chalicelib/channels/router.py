"""A channel made of channels: SMS routed per destination country with failover.

``RoutedChannel(providers)`` is the core's one SMS ``Channel``. A message carries its
route (``OutgoingMessage.route``, planned by ``core/routing.py`` from ``sms_routes`` before
anything is charged); the providers are tried in that order:

- a failure on the provider's side (timeout, 5xx, throttling, account, balance, a
  provider not configured, a template or sign it refused) moves on to the next provider;
- a failure that says the number is wrong (``SendFailed`` with ``number_error``) stops:
  no other provider would deliver it either.

It returns a ``core.delivery.Delivery`` (the provider that carried it, its message id,
every attempt); when every provider failed it raises the last ``SendFailed`` with
``attempts`` on it, so the service logs each attempt and undoes the send.

Providers are built on first use (``providers`` maps a name to a factory), so an instance
that only ever sends through SNS never imports another provider's SDK.
"""
from __future__ import annotations

import threading

from ..core.delivery import Attempt, Delivery
from ..core.errors import SendFailed, VerikitError
from ..deadline import DeadlineExceeded
from ..core.routing import first_provider, providers_for  # noqa: F401  (re-exported for the send pipeline)


class RoutedChannel:
    def __init__(self, providers: dict, default: tuple = ("sns",)):
        self._factories = dict(providers)
        self._built: dict = {}
        self._lock = threading.Lock()
        self._default = default

    def provider(self, name: str):
        p = self._built.get(name)
        if p is None:
            with self._lock:
                p = self._built.get(name)
                if p is None:
                    factory = self._factories.get(name)
                    if factory is None:
                        return None
                    p = self._built[name] = factory()
        return p

    def send(self, message) -> Delivery:
        attempts: list = []
        last = None
        for name in message.route or self._default:
            try:
                provider = self.provider(name)
                if provider is None:
                    raise SendFailed(f"SMS not sent: the provider {name} is not available", provider_error="not_configured")
                message_id = provider.send(message)
            except SendFailed as e:
                last = e
                attempts.append(Attempt(name, "failed", "", str(e.details.get("provider_error") or e.message)))
                if e.details.get("number_error"):
                    break
                continue
            except VerikitError as e:  # not configured (credentials...): the next provider may be
                last = SendFailed(f"SMS not sent: {e.message}", provider_error="not_configured")
                attempts.append(Attempt(name, "failed", "", "not_configured"))
                continue
            except DeadlineExceeded:  # no time left in the request's budget for this provider
                last = SendFailed("SMS not sent: no time was left to call the provider; try again shortly",
                                  provider_error="DeadlineExceeded", retry_after=5)
                attempts.append(Attempt(name, "failed", "", "DeadlineExceeded"))
                break
            attempts.append(Attempt(name, "sent", message_id))
            return Delivery(name, message_id, tuple(attempts))
        err = last or SendFailed("SMS not sent: no provider is routed for this number", provider_error="no_route")
        if len(attempts) > 1 and not err.details.get("number_error"):
            err = SendFailed(f"SMS not sent: every provider failed ({', '.join(a.provider for a in attempts)}); "
                             f"the last said: {err.message}", **err.details)
        err.attempts = tuple(attempts)
        raise err


class DevProvider:
    """``make run``: a routed provider with no endpoint configured. Records in the dev outbox
    what it would have sent (provider, sign, template id and parameters) and sends nothing."""

    def __init__(self, name: str, outbox, request=None):
        self._name, self._outbox, self._request = name, outbox, request

    def send(self, message) -> str:
        import uuid

        message_id = f"local-{self._name}-{uuid.uuid4()}"
        extra = {"provider": self._name}
        if self._request is not None:
            extra.update(self._request(message))
        self._outbox.record(message, message_id, extra)
        return message_id
