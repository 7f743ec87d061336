"""The OTP service: issue and verify codes over small store and channel interfaces
(``core/ports.py``).

Round trips: a send is one DynamoDB ``TransactWriteItems`` (every rate-limit counter and
the fraud guard's prefix and IP items charged under their conditions, the code and the
send-log entry written) and one provider call; a provider failure adds one compensating
write. A wrong guess is one conditional ``UpdateItem`` (charged and judged in the same
write, so simultaneous guesses cannot escape ``max_attempts``); a right one adds the write
that counts the verification for the guard and the stats.
"""
from __future__ import annotations

import dataclasses
import random
import time
from dataclasses import dataclass, field
from typing import Callable, Mapping, Optional

from . import brand, codes, emails, guard, limits, messages, phone, purposes
from .clock import SystemClock
from .codes import CodeRecord, StoredCode
from .config import ConfigProvider
from .errors import Conflict, FeatureDisabled, InvalidCode, InvalidRequest, RateLimited, SendFailed
from .refusals import RefusalLog
from .settings import Settings


# the ports live in core/ports.py; imported here too for the modules that import them from here
from .ports import MISSING, Channel, CodeStore, LogEntry, NoLog, OutgoingMessage, SendLog  # noqa: F401


class Pace:
    """How long provider calls take, per channel (a moving average in process memory: a
    cache, not a rule), so that a send suppressed by enumeration protection takes about as
    long as a real one and its latency does not tell an unknown number from a known one."""

    CAP = 2.0
    # before an instance has timed a real send of a channel, a suppressed one waits about
    # what a provider call usually takes (not zero, which told unknown numbers apart)
    PRIOR = {"sms": 0.12, "voice": 0.15, "email": 0.1}

    def __init__(self, sleep=None):
        self._avg: dict = {}
        self._sleep = sleep or time.sleep

    def observe(self, channel: str, seconds: float) -> None:
        old = self._avg.get(channel)
        self._avg[channel] = seconds if old is None else 0.8 * old + 0.2 * seconds

    def wait_like_a_send(self, channel: str) -> float:
        avg = self._avg.get(channel) or self.PRIOR.get(channel, 0.1)
        delay = min(self.CAP, avg * random.uniform(0.7, 1.3))
        self._sleep(delay)
        return delay


# ---- requests and results ---------------------------------------------------------------

@dataclass(frozen=True)
class SendRequest:
    app_id: str
    phone: object
    purpose: str = "sms"
    channel: str = "sms"
    ttl_minutes: Optional[int] = None
    name: Optional[str] = None
    op: Optional[str] = None
    client_ip: Optional[str] = None
    locale: Optional[str] = None
    template: Optional[str] = None
    variables: Mapping[str, object] = field(default_factory=dict)
    sign: Optional[str] = None
    validate_token: Optional[str] = None
    # change_phone: the code is bound to this user as well as to the number
    subject: Optional[str] = None
    # False: validate and charge the limits like a send, but send nothing and issue no code
    # (enumeration protection answers unknown numbers this way)
    deliver: bool = True
    # channel "email": the address (``phone`` is accepted there too)
    email: Optional[str] = None
    # verification links: the message carries <link_base>/<code> (purposes that allow it)
    link_base: Optional[str] = None
    # called once the CAPTCHA is redeemed and the limits are charged, before anything is
    # sent: a check that may tell something about users (CloudBase's target USER/NOT_USER)
    # runs only for callers who paid. What it raises ends the send (the code is discarded).
    gate: Optional[Callable[[], None]] = field(default=None, compare=False)


@dataclass(frozen=True)
class SendResult:
    to: str
    expires_at: Optional[int]  # None for notifications, which issue no code
    message_id: str
    ttl_seconds: int = 0       # the code's lifetime (0 when no code was issued)


@dataclass
class OTPService:
    store: CodeStore
    channels: Mapping[str, Channel]
    config: ConfigProvider
    secret: bytes
    clock: object = field(default_factory=SystemClock)
    log: SendLog = field(default_factory=NoLog)
    captcha: object = None  # core.captcha.CaptchaService, when CAPTCHA is in use
    stats: object = None    # store.stats.DynamoStats: the fraud guard's counters and the stats
    metrics: object = None  # metrics.emit(name, channel, country): CloudWatch EMF, when wired
    _pace: "Pace" = field(default_factory=lambda: Pace(), repr=False)
    # refused sends are counted, not written one by one (core/refusals.py)
    _refusals: object = field(default_factory=lambda: RefusalLog(), repr=False)

    # -- issue --
    def send(self, req: SendRequest) -> SendResult:
        cfg = self.config.get(req.app_id)
        s = cfg.settings
        if req.channel not in ("sms", "voice", "email"):
            raise InvalidRequest("smsType must be 'sms' or 'voice'")
        if not s.sms_enabled and req.purpose == purposes.GENERIC.name and req.channel != "email":
            # LeanCloud's switch covers requestSmsCode/verifySmsCode, not the user system
            raise FeatureDisabled("SMS verification codes are disabled for this app")
        purpose = purposes.get(req.purpose)
        brand.check(req.name, req.sign, req.op, s)  # no free 【brand】 or op text once configured
        complex_code = purpose.link_capable and s.code_format == "complex"
        ttl = s.link_expiry_hours * 60 if complex_code else self._ttl(req.ttl_minutes, purpose, s)
        template = None
        if req.template:
            template = cfg.template(req.template)
            if template is None:
                raise InvalidRequest(f"SMS template {req.template!r} does not exist")
            if template.channel != req.channel:
                raise InvalidRequest(f"template {req.template!r} is for {template.channel}, not {req.channel}")
        elif purpose.name != purposes.GENERIC.name:
            # a template named after the purpose (e.g. verify_email, channel email) replaces
            # the built-in text of that purpose's messages on its channel
            own = cfg.template(purpose.name)
            if own is not None and own.channel == req.channel:
                template = own
        if req.channel == "email":
            target = emails.normalise(req.email if req.email is not None else req.phone)
            masked, limit_key = emails.mask(target), emails.key(target)
            region = ""
        else:
            to = phone.normalise(req.phone, s.default_region, s.allowed_regions)
            target, masked, limit_key = to.e164, to.masked(), to.e164
            region = to.region
        if s.require_captcha:
            if self.captcha is None:
                raise FeatureDisabled("CAPTCHA is required but not configured")
            self.captcha.redeem(req.app_id, req.validate_token)
        channel = self.channels.get(req.channel)
        if channel is None:
            raise FeatureDisabled(f"the {req.channel} channel is not configured")
        now = int(self.clock.now())
        locale = req.locale or s.locale
        # a notification template (no {{code}}) issues no code; a purpose's own always does
        issues_code = template.issues_code if (template is not None and req.template) else True
        draw = codes.generate_complex if complex_code else (lambda: codes.generate(s.code_length))
        code = draw() if issues_code else ""
        # rendered before anything is charged: a missing template variable changes nothing
        message = self._message(req, template, code, ttl, locale, s, target, purpose)
        entry = dict(app_id=req.app_id, to_key=self._log_key(req.app_id, limit_key), to_masked=masked,
                     channel=req.channel, purpose=purpose.name, template=req.template or "",
                     retention_days=s.send_log_retention_days)

        # QA / app review numbers: the operator's fixed code is issued and nothing is sent, but
        # the send is charged and the code guessed like any other (no visible exemption)
        fixed = cfg.test_numbers.get(target) if req.channel != "email" else None
        # an email's limits are the mailbox's: plus tags and ignored dots do not escape them
        rate_key = emails.rate_key(target) if req.channel == "email" else limit_key
        charges = limits.plan_send(req.app_id, rate_key, guard.ip_key(req.client_ip), s, now,
                                   email=req.channel == "email", purpose=purpose.name)
        # the fraud guard: its counters join the charges (a test number bypasses it); a
        # send suppressed by enumeration protection is charged exactly like a real one
        plan = self._guard(req, s, purpose.name, target, region, now, test_number=fixed is not None)
        if plan is not None:
            charges = charges + plan.charges
        if not req.deliver:
            return self._suppressed(req, charges, plan, entry, target, now)
        key = codes.code_key(req.app_id, purpose.name, limit_key, req.subject)
        outcome = "test_number" if fixed is not None else "sent"
        record, message, log_key = self._issue(req, s, key, purpose, limit_key, fixed, issues_code, draw, code,
                                               message, template, ttl, locale, target, charges, plan, entry,
                                               outcome, now)
        if req.gate is not None:
            try:
                req.gate()
            except Exception:
                self._withdraw(key, record, log_key, now)
                raise
        result = SendResult(to=target, expires_at=record.expires_at if record else None, message_id="",
                            ttl_seconds=ttl * 60 if record else 0)
        if fixed is not None:
            self._pace.wait_like_a_send(req.channel)
            return result
        message_id = self._deliver(channel, message, key, record, charges, plan, log_key, entry, now)
        self._metric("Sent", plan)
        return dataclasses.replace(result, message_id=message_id)

    # -- the steps of a send --
    def _issue(self, req, s, key, purpose, limit_key, fixed, issues_code, draw, code, message, template, ttl,
               locale, target, charges, plan, entry, outcome, now):
        """The one write of a send: every counter and the guard's items under their
        conditions, the code, and the send-log entry (``outcome``). Returns (the code
        record, the message, the log entry's key)."""
        record = None
        for _ in range(8):  # re-draw when a code found by value alone collides (rare)
            if issues_code:
                record = CodeRecord(
                    key=key, app_id=req.app_id, purpose=purpose.name, target=limit_key,
                    channel=req.channel, code_hash=fixed or self._hash(req.app_id, purpose.name, limit_key, code, req.subject),
                    created_at=now, expires_at=now + ttl * 60, max_attempts=s.max_attempts,
                    lookup_key=codes.lookup_key(req.app_id, purpose.name, self._lookup_hash(req.app_id, purpose.name, code))
                    if purpose.lookup_by_code and not fixed else None,
                    client_ip=guard.ip_key(req.client_ip),
                )
            op, log_key = self._staged(LogEntry(**entry, outcome=outcome, at=self.clock.now()))
            try:
                self.store.issue(record, charges, now, (op,) if op is not None else ())
                break
            except codes.Collision:
                code = draw()
                message = self._message(req, template, code, ttl, locale, s, target, purpose)
            except guard.FraudBlocked:  # the guard's condition refused (or racing sends took the room)
                self._blocked(plan, now)
                raise
            except RateLimited as e:
                self._refusals.record(self.log, LogEntry(**entry, outcome="rate_limited", error=e.limit, at=self.clock.now()))
                raise
        else:
            raise Conflict("could not draw a unique code; try again")
        if op is None:  # a send log that cannot join the transaction writes after it
            self.log.record(LogEntry(**entry, outcome=outcome, at=self.clock.now()))
        return record, message, log_key

    def _staged(self, entry: LogEntry) -> tuple:
        stage = getattr(self.log, "stage", None)
        return stage(entry) if stage is not None else (None, None)

    def _suppressed(self, req, charges, plan, entry, target, now) -> "SendResult":
        """Enumeration protection: charge the limits and the guard as a real send would,
        log it (same transaction), send nothing."""
        op, _ = self._staged(LogEntry(**entry, outcome="suppressed", at=self.clock.now()))
        try:
            self.store.issue(None, charges, now, (op,) if op is not None else ())
        except guard.FraudBlocked:
            self._blocked(plan, now)
            raise
        except RateLimited as e:
            self._refusals.record(self.log, LogEntry(**entry, outcome="rate_limited", error=e.limit, at=self.clock.now()))
            raise
        if op is None:
            self.log.record(LogEntry(**entry, outcome="suppressed", at=self.clock.now()))
        if req.gate is not None:
            req.gate()
        self._pace.wait_like_a_send(req.channel)
        return SendResult(to=target, expires_at=None, message_id="")

    def _deliver(self, channel, message, key, record, charges, plan, log_key, entry, now) -> str:
        """The provider call. The staged send-log entry already says ``sent``; the provider's
        message id is not written back (one write per send): it goes to the structured
        log line. A failure undoes the send in one compensating write."""
        try:
            started = time.perf_counter()
            message_id = channel.send(message)
            self._pace.observe(message.channel, time.perf_counter() - started)
        except SendFailed as e:
            error = e.details.get("provider_error", e.message)
            self._undo_send(key, record, charges, plan, log_key, error, now)
            if log_key is None:
                self.log.record(LogEntry(**entry, outcome="failed", error=error, at=self.clock.now()))
            raise
        if message_id:
            from .. import log
            log.event(event="code.sent", provider_message_id=message_id, channel=message.channel)
        return message_id

    def _withdraw(self, key: str, record: Optional[CodeRecord], log_key, now: int) -> None:
        """The gate refused after the write: the code and its send-log entry go, the charges
        stay (the caller paid for the answer)."""
        drop = getattr(self.log, "discard_op", None)
        also = (drop(log_key),) if (log_key is not None and drop is not None) else ()
        release = getattr(self.store, "release", None)
        if release is not None:
            release(key if record else None, record.code_hash if record else None, [], now, also)
        elif record is not None:
            self.store.discard(key, record.code_hash)

    def _undo_send(self, key: str, record: Optional[CodeRecord], charges: list, plan=None, log_key=None,
                   error: str = "", now: int = 0) -> None:
        """The message did not go out: its code must not verify, and the number's cooldown and
        daily cap and the guard's unverified counts must not count it; the send-log entry
        says ``failed`` (one compensating transaction, ``store.release``). The per-IP and
        per-app charges stay, so a failing provider cannot lift those limits."""
        mine = [c for c in charges if getattr(c, "name", "") in limits.RELEASED_WHEN_NOT_SENT]
        also = [(("gb", n), "Update", op) for n, op in enumerate(plan.giveback_ops())] if plan is not None else []
        failed_op = getattr(self.log, "failed_op", None)
        if log_key is not None and failed_op is not None:
            also.append(failed_op(log_key, error))
        release = getattr(self.store, "release", None)
        if release is not None:
            release(key if record else None, record.code_hash if record else None, mine, now, tuple(also))
        elif record is not None:
            self.store.discard(key, record.code_hash)

    def _message(self, req: SendRequest, template, code: str, ttl: int, locale: str, s: Settings,
                 target: str, purpose) -> OutgoingMessage:
        # links carry complex codes only: a 6-digit code in a URL could be guessed by value
        complex_code = bool(code) and not code.isdigit()
        link = f"{req.link_base.rstrip('/')}/{code}" if req.link_base and complex_code and purpose.link_capable else ""
        name = req.name if req.name is not None else (req.sign if req.sign is not None else s.signature)
        values = {**req.variables, "code": code, "ttl": ttl, "name": name or "", "op": req.op or "", "link": link}
        if req.channel == "email":
            if template is not None:
                subject, text, page = template.render_email(values, locale)
                subject = subject or messages.email_message(purpose.message, code, ttl, name=name, locale=locale)[0]
            else:
                subject, text, page = messages.email_message(purpose.message, code, ttl, name=name, op=req.op or "",
                                                             locale=locale, link=link)
            return OutgoingMessage(channel="email", to=target, body=text, purpose=purpose.name,
                                   locale=locale, subject=subject, html=page)
        if template is not None:
            text = template.render(values, locale)
            sign = messages.clean(req.sign if req.sign is not None else s.signature, 40)
            body = f"【{sign}】{text}" if sign and req.channel == "sms" else text
        else:
            body = (messages.voice_text(code, name=name, locale=locale) if req.channel == "voice" else
                    messages.sms_text(purpose.message, code, ttl, name=name, op=req.op or "", locale=locale))
            if link:
                body = f"{body} {link}"
        return OutgoingMessage(channel=req.channel, to=target, body=body, purpose=purpose.name,
                               sender_id=s.sender_id, locale=locale)

    def preview(self, req: SendRequest, template) -> OutgoingMessage:
        """What ``req`` would send with ``template`` (saved or not), with a sample code in
        place of a real one: the console's live preview goes through the same rendering
        as a send. Nothing is charged, stored or sent."""
        s = self.config.get(req.app_id).settings
        purpose = purposes.get(req.purpose)
        code = "".join(str((i + 1) % 10) for i in range(s.code_length)) if template.issues_code else ""
        return self._message(req, template, code, self._ttl(req.ttl_minutes, purpose, s), req.locale or s.locale,
                             s, "", purpose)

    # -- verify --
    def verify(self, app_id: str, raw_phone: object, code: object, purpose: str = "sms",
               subject: Optional[str] = None, retry_ok: bool = False) -> str:
        """Consume ``code`` for ``raw_phone``; return the E.164 number or raise InvalidCode.

        ``retry_ok``: a repeat of the right code that spent it, within ``RETRY_SECONDS`` and
        the code's life, gets the same answer (a client whose answer was lost retries);
        only for callers whose answer grants nothing (``verifySmsCode``). Flows that log in
        or create a user keep a code single-use."""
        return self.verify_any(app_id, raw_phone, code, (purpose,), subject, retry_ok)

    def verify_any(self, app_id: str, raw_phone: object, code: object, accepted: tuple,
                   subject: Optional[str] = None, retry_ok: bool = False) -> str:
        """Consume ``code`` if it is the live code of one of the ``accepted`` purposes for
        the number (tried in order; a wrong guess counts against the first live code)."""
        cfg = self.config.get(app_id)
        s = cfg.settings
        if not s.sms_enabled and purposes.GENERIC.name in accepted and len(accepted) == 1:
            raise FeatureDisabled("SMS verification codes are disabled for this app")
        ps = [purposes.get(p) for p in accepted]
        # verification is not sending: a number whose region left the allowlist can still
        # spend a code it already has
        target = self.target_key(raw_phone, s)
        if not codes.looks_like_code(code):
            raise InvalidCode("invalid verification code")
        test_number = target in cfg.test_numbers  # its code was issued with the fixed code's hash
        now = int(self.clock.now())
        for p in ps:
            key = codes.code_key(app_id, p.name, target, subject)
            presented = (self.test_code_hash(app_id, target, code) if test_number
                         else self._hash(app_id, p.name, target, code, subject))
            spent: dict = {"retry_ok": retry_ok, "at": self.clock.now()}
            if self._attempt(key, presented, now, spent) == "ok":
                if not test_number and not spent.get("again"):  # test numbers bypass the guard's counts
                    self._verified(app_id, s, key, p.name, target, now, spent)
                return target
        raise InvalidCode("invalid verification code")

    @staticmethod
    def target_key(raw: object, s: Settings) -> str:
        """The canonical form codes are kept under: E.164, or a lower-cased email address."""
        if emails.is_email(raw):
            return emails.key(emails.normalise(raw))
        return phone.normalise(raw, s.default_region, ("*",)).e164

    def verify_by_code(self, app_id: str, code: object, purpose: str, client_ip: Optional[str]) -> str:
        """Consume a code of a ``lookup_by_code`` purpose found by its value alone; return
        its target. Such guesses cannot count against one code, so they are capped per IP
        and per app."""
        return self.verify_by_code_any(app_id, code, (purpose,), client_ip)[1]

    def verify_by_code_any(self, app_id: str, code: object, accepted: tuple, client_ip: Optional[str]) -> tuple:
        """(purpose, target) of the live code with this value among ``accepted`` purposes."""
        s = self.config.get(app_id).settings
        ps = [purposes.get(p) for p in accepted]
        if not all(p.lookup_by_code for p in ps):
            raise InvalidRequest("these codes need the phone number")
        now = int(self.clock.now())
        if not codes.looks_like_code(code):  # garbage costs nothing and charges nothing
            raise InvalidCode("invalid verification code")
        if code.isdigit():
            # a short numeric code can be guessed across every user: cap such guesses per IP
            # and per app. A complex (~186-bit) code cannot, and is never capped, so nobody
            # can block the real links by spending the cap.
            self.store.issue(None, limits.code_only_attempts(app_id, client_ip, s, now), now)
        for p in ps:
            found = self.store.find(codes.lookup_key(app_id, p.name, self._lookup_hash(app_id, p.name, code)), now)
            if found is None:
                continue
            key, target = found
            spent: dict = {}
            if self._attempt(key, self._hash(app_id, p.name, target, code), now, spent) != "ok":
                raise InvalidCode("invalid verification code")
            if not spent.get("again"):
                self._verified(app_id, s, key, p.name, target, now, spent)
            return p.name, target
        raise InvalidCode("invalid verification code")

    def _attempt(self, key: str, presented: str, now: int, spent: Optional[dict] = None) -> str:
        """Guess the code under ``key`` (one write, charged and judged together): "ok",
        "missing", or "refused" (wrong, used, expired or out of attempts)."""
        state = self.store.guess(key, presented, now, spent)
        if state is None:
            return "ok"
        return "missing" if state is MISSING else "refused"

    # -- the fraud guard (core/guard.py; counters in store/stats.py, store/guard_items.py) --
    def _guard(self, req: SendRequest, s: Settings, purpose: str, target: str, region: str, now: int,
               test_number: bool = False):
        """The send's guard charges. The prefix and IP verdicts are conditions of the send's
        own write (a refusal there raises ``FraudBlocked`` from the store); the opt-in
        sharded dimensions (country, app) are read and judged here. A refusal is counted
        (no send-log item, no provider call); ``record`` lets it through, counted as
        would-block. A test number bypasses the guard (never refused, never counted)."""
        if self.stats is None or test_number:
            return None
        getattr(self.metrics, "warm", lambda: None)()  # the metrics library loads meanwhile
        e164 = None if req.channel == "email" else target
        plan = self.stats.plan(req.app_id, s, req.channel, purpose, e164, region, req.client_ip, now)
        v = plan.refusal
        if v is not None and plan.mode == "block":
            self._blocked(plan, now)
            raise guard.FraudBlocked(v.dim.name, v.window, 3600 - now % 3600)
        if v is not None:
            self._metric("WouldBlock", plan)
        return plan

    def _blocked(self, plan, now: int) -> None:
        self.stats.count_blocked(plan, now)
        self._metric("Blocked", plan)

    def _metric(self, name: str, plan, country: str = "") -> None:
        if self.metrics is not None:
            labels = plan.labels if plan is not None else {"channel": "none", "country": country or "none"}
            self.metrics(name, labels["channel"], labels["country"])

    def _verified(self, app_id: str, s: Settings, key: str, purpose: str, target: str, now: int,
                  spent: Optional[dict] = None) -> None:
        """Count a verification for the guard and the stats, on the IP that requested the
        code (the code is spent whatever happens here: a failure to count is not the
        caller's failure)."""
        if self.stats is None:
            return
        spent = spent or {}
        try:
            channel, country = self.stats.credit(app_id, s, key, purpose, target, now, spent.get("channel"),
                                                 spent.get("ip"))
        except Exception as e:  # noqa: BLE001
            import logging
            logging.getLogger("verikit").warning("could not count a verification: %s", type(e).__name__)
            return
        if self.metrics is not None:
            self.metrics("Verified", channel, country or "none")

    def test_code_hash(self, app_id: str, e164: str, code: str) -> str:
        return codes.keyed_hash(self.secret, "test", app_id, e164, code)

    def log_key(self, app_id: str, raw_target: object) -> str:
        """The send-log key of a number or an email address, for admin queries."""
        return self._log_key(app_id, self.target_key(raw_target, self.config.get(app_id).settings))

    def _log_key(self, app_id: str, e164: str) -> str:
        return codes.keyed_hash(self.secret, "log", app_id, e164)[:32]

    # -- helpers --
    def _hash(self, app_id: str, purpose: str, target: str, code: str, subject: Optional[str] = None) -> str:
        if subject:
            return codes.keyed_hash(self.secret, "code", app_id, purpose, subject, target, code)
        return codes.keyed_hash(self.secret, "code", app_id, purpose, target, code)

    def _lookup_hash(self, app_id: str, purpose: str, code: str) -> str:
        return codes.keyed_hash(self.secret, "lookup", app_id, purpose, code)

    @staticmethod
    def _ttl(requested: object, purpose: purposes.Purpose, s: Settings) -> int:
        if requested is None:
            return purpose.default_ttl_minutes or s.default_ttl_minutes
        if isinstance(requested, bool) or not isinstance(requested, int):
            raise InvalidRequest("ttl must be an integer number of minutes")
        if not 1 <= requested <= s.max_ttl_minutes:
            raise InvalidRequest(f"ttl must be between 1 and {s.max_ttl_minutes} minutes")
        return requested
