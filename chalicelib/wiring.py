"""Builds the service once per process from the store, channels and settings.

Everything here is lazy: a cold start imports nothing of pynamodb or botocore until
the first request that needs them.
"""
from __future__ import annotations

import os
import threading

from . import runtime

_lock = threading.Lock()
_service = None
_accounts = None
_outbox = None
_clock = None


def clock():
    """The one clock of the process (``core.clock.SharedClock``): the service, the user
    system, the CAPTCHA and the routes that read the time all hold it. Tests set it with
    ``clock().use(FakeClock(...))``; ``reset()`` puts the system clock back."""
    global _clock
    if _clock is None:
        from .core.clock import SharedClock
        _clock = SharedClock()
    return _clock


def outbox():
    """The dev outbox (local mode only)."""
    global _outbox
    if _outbox is None:
        from .channels.outbox import Outbox
        _outbox = Outbox()
    return _outbox


def service():
    global _service
    if _service is None:
        with _lock:
            if _service is None:
                _service = _build()
    return _service


def accounts():
    """The user system, over the same OTP service."""
    global _accounts
    if _accounts is None:
        otp = service()
        with _lock:
            if _accounts is None:
                from . import log
                from .core.accounts import AccountService
                from .core.passwords import Argon2Hasher
                from .store.counters import DynamoLimiter
                from .store.users import DynamoUserStore

                _accounts = AccountService(
                    users=DynamoUserStore(), otp=otp, limiter=DynamoLimiter(), hasher=Argon2Hasher(),
                    config=otp.config, secret=otp.secret, clock=otp.clock,
                    on_error=lambda what, exc: log.event(event=what, outcome=getattr(exc, "kind", "error")),
                    verifiers=auth_verifiers(otp.clock), events=_Events())
    return _accounts


def auth_verifiers(clock):
    """How each kind of ``auth_platforms`` entry is verified (core.authdata.Verifiers).
    The adapters are imported on first use only (an authData login)."""
    from .core.authdata import AnonymousVerifier, TrustVerifier, Verifiers

    class Lazy:
        def __init__(self, build):
            self.build, self.built = build, None

        def verify(self, *args):
            if self.built is None:
                self.built = self.build()
            return self.built.verify(*args)

    def weixin():
        from .authproviders.weixin import WeixinVerifier
        return WeixinVerifier()

    def apple():
        from .authproviders.apple import AppleVerifier
        return AppleVerifier(clock)

    return Verifiers({"anonymous": AnonymousVerifier(), "trust": TrustVerifier(), "weixin": Lazy(weixin),
                      "apple": Lazy(apple), "hook": Lazy(auth_hook)})


def auth_hook():
    """The ``hook`` verifier of ``auth_platforms`` (the ``core.authdata.Verifier`` port:
    ``verify(app_id, platform, data, config) -> dict``, the authData to store): the app's
    LeanEngine ``onAuthData`` (``hooks/authdata.py``). A refusal raises ``HookRefused`` with
    the hook's own code and message; no LeanEngine set up refuses with a clear message."""
    from .hooks.authdata import verifier
    return verifier()


def tickets():
    """CloudBase-style verification tickets over the user system."""
    from .core.tickets import VerificationService
    return VerificationService(accounts())


def config():
    """The app's config provider (settings, templates, test numbers), cached briefly."""
    return service().config


def captcha():
    return service().captcha


def send_log():
    return service().log


def stats():
    """The fraud guard's counters and the admin stats."""
    return service().stats


def _build():
    from . import aws
    from .channels.sns import SnsSms
    from .channels.voice import EndUserVoice
    from .core.captcha import CaptchaService
    from .core.service import OTPService
    from .store.codes import DynamoCodeStore
    from .store.config import DynamoConfig
    from .store.sendlog import DynamoSendLog
    from .store.stats import DynamoStats
    from . import metrics

    from .channels.ses import SesEmail
    from .channels.providers import routed_sms  # other SMS providers: each SDK imported on its first send

    sms = SnsSms(lambda: aws.client("sns"), os.environ.get("VERIKIT_SMS_MAX_PRICE", ""))
    email = SesEmail(lambda: aws.client("sesv2"), runtime.email_from(),
                     os.environ.get("VERIKIT_SES_CONFIGURATION_SET", ""))
    if runtime.local_mode():
        from .channels.outbox import Recording, RecordOnly
        # SMS and email go through the real SNS and SES code paths (into moto), then the outbox
        delay = float(os.environ.get("VERIKIT_DEV_PROVIDER_DELAY_MS") or 0) / 1000  # a slow provider, for benchmarks
        channels = {"sms": routed_sms(Recording(sms, outbox(), delay, provider="sns"), outbox(), delay),
                    "voice": RecordOnly(outbox(), delay),
                    "email": Recording(email, outbox(), delay)}
    else:
        voice = EndUserVoice(lambda: aws.client("pinpoint-sms-voice-v2"),
                             os.environ.get("VERIKIT_VOICE_ORIGINATION", ""),
                             os.environ.get("VERIKIT_VOICE_CONFIGURATION_SET", ""))
        channels = {"sms": routed_sms(sms), "voice": voice, "email": email}
    store, secret = DynamoCodeStore(), runtime.secrets().code_secret
    return OTPService(store=store, channels=channels, config=DynamoConfig(), secret=secret,
                      clock=clock(), log=DynamoSendLog(), stats=DynamoStats(), metrics=metrics.emit,
                      captcha=CaptchaService(store=store, secret=secret, clock=clock()), events=_Events(),
                      counts=os.environ.get("VERIKIT_VERIFIED_COUNTS", "inline"))


# ---- hooks and events (chalicelib/hooks) ------------------------------------------------------
_hooks: dict = {}
_hooks_lock = threading.RLock()  # parts are built from parts


def _hook_part(name: str, build):
    part = _hooks.get(name)
    if part is None:
        with _hooks_lock:
            part = _hooks.get(name)
            if part is None:
                part = _hooks[name] = build()
    return part


def webhooks():
    """The webhook endpoints' store."""
    from .store.webhooks import DynamoWebhooks
    return _hook_part("webhooks", DynamoWebhooks)


def deliveries():
    from .store.deliveries import DynamoDeliveries
    return _hook_part("deliveries", DynamoDeliveries)


def event_queue():
    from .hooks.queue import SqsQueue
    return _hook_part("queue", SqsQueue)


def endpoint_cache():
    from .hooks.webhooks import EndpointCache
    return _hook_part("endpoints", lambda: EndpointCache(webhooks()))


class _Events:
    """The events port as the services hold it: built on first use (the dispatcher needs the
    built service, so it cannot be made while the service is)."""

    def before(self, kind, user, **details):
        return events().before(kind, user, **details)

    def after(self, kind, payload):
        return events().after(kind, payload)


class _Endpoints:
    """The endpoint cache as the dispatcher holds it: built (with the webhooks' store) when an
    event is wanted, not with the dispatcher that every send's ``code.sent`` builds."""

    def targets(self, app_id, kind):
        return endpoint_cache().targets(app_id, kind)


def events():
    """The core's events port: LeanEngine hooks and webhooks (``core/events.py``)."""
    def build():
        from .hooks.dispatch import Dispatcher
        return Dispatcher(app_id(), config(), event_queue(), _Endpoints(), runtime.secrets, service().clock)
    return _hook_part("events", build)


def worker(clock=None, max_sqs_delay=None):
    """The delivery worker (``app.py``'s ``on_sqs_message`` function, the local thread, tests)."""
    from .hooks.dispatch import Targets
    from .hooks.queue import SQS_MAX_DELAY, Worker
    clock = clock or service().clock
    return Worker(event_queue(), deliveries(), Targets(webhooks(), config(), runtime.secrets, clock), clock,
                  SQS_MAX_DELAY if max_sqs_delay is None else max_sqs_delay)


def reset() -> None:
    """Drop the built service (tests that change the environment)."""
    global _service, _accounts, _outbox
    _service = None
    _accounts = None
    _outbox = None
    _hooks.clear()
    clock().use(None)  # the system clock again
    from . import provider_secrets
    provider_secrets.reset()


def app_id() -> str:
    return runtime.secrets().app_id
