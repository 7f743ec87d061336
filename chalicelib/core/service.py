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
from dataclasses import field
from typing import Callable, Mapping, Optional

from . import brand, codes, compose, emails, guard, limits, phone, purposes
from .sending import SendSteps
from .clock import SystemClock
from .config import ConfigProvider
from .errors import FeatureDisabled, InvalidCode, InvalidRequest
from .events import NoEvents
from .record import Record
from .refusals import RefusalLog
from .settings import Settings


# the ports live in core/ports.py; imported here too for the modules that import them from here
from .ports import MISSING, Channel, CodeStore, LogEntry, NoLog, OutgoingMessage, SendLog, SendResult  # noqa: F401
from .pace import Pace  # noqa: F401,E402


# ---- requests and results ---------------------------------------------------------------

class SendRequest(Record, frozen=True):
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
    # requestLoginSmsCode: the user the code logs in (from the phone's claim the send read),
    # recorded on the code and given back by the write that spends it
    user_id: Optional[str] = None
    # False: validate and charge the limits like a send, but send nothing and issue no code
    # (enumeration protection answers unknown numbers this way)
    deliver: bool = True
    # channel "email": the address (``phone`` is accepted there too)
    email: Optional[str] = None
    # verification links: the message carries <link_base>/<code> (purposes that allow it)
    link_base: Optional[str] = None
    # enumeration protection: a refusal that is about the recipient (opted out) answers like
    # a sent message, as an unknown number's suppressed send does (the send log says failed)
    quiet: bool = False
    # called once the CAPTCHA is redeemed and the limits are charged, before anything is
    # sent: a check that may tell something about users (CloudBase's target USER/NOT_USER)
    # runs only for callers who paid. What it raises ends the send (the code is discarded).
    gate: Optional[Callable[[], None]] = field(default=None, compare=False)


class OTPService(SendSteps, Record):
    store: CodeStore
    channels: Mapping[str, Channel]
    config: ConfigProvider
    secret: bytes
    clock: object = field(default_factory=SystemClock)
    log: SendLog = field(default_factory=NoLog)
    captcha: object = None  # core.captcha.CaptchaService, when CAPTCHA is in use
    stats: object = None    # store.stats.DynamoStats: the fraud guard's counters and the stats
    metrics: object = None  # metrics.emit(name, channel, country): CloudWatch EMF, when wired
    events: object = field(default_factory=NoEvents)  # core/events.py: code.sent, code.verified... (webhooks)
    # where a verified code is counted for the guard and the stats: "inline" (a write after the
    # spending one, in the request) or "stream" (the codes table's stream consumer counts it
    # off the request path: hooks/verified_counts.py; deployed stages)
    counts: str = "inline"
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
        complex_code = purpose.link_capable and (s.code_format == "complex" or purpose.link_only)
        ttl = s.link_expiry_hours * 60 if complex_code and not purpose.link_only else \
            self._ttl(req.ttl_minutes, purpose, s)
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
        message = self._message(req, template, code, ttl, locale, s, target, purpose, region)
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
        blocked = {"to": target, "channel": req.channel, "purpose": purpose.name, "country": region}
        try:  # events: send.blocked (the guard refuses in its read or in the send's own write)
            plan = self._guard(req, s, purpose.name, target, region, now, test_number=fixed is not None)
            if plan is not None:
                charges = charges + plan.charges
            if not req.deliver:
                return self._suppressed(req, charges, plan, entry, target, now)
            key = codes.code_key(req.app_id, purpose.name, limit_key, req.subject)
            outcome = "test_number" if fixed is not None else "sent"
            record, message, log_key = self._issue(req, s, key, purpose, limit_key, fixed, issues_code, draw, code,
                                                   message, template, ttl, locale, target, charges, plan, entry,
                                                   outcome, now, region)
        except guard.FraudBlocked as e:
            self.events.after("send.blocked", {**blocked, "reason": e.dimension})
            raise
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
        message_id = self._deliver(channel, message, key, record, charges, plan, log_key, entry, now, req.quiet)
        return dataclasses.replace(result, message_id=message_id)

    def _message(self, req: "SendRequest", template, code: str, ttl: int, locale: str, s: Settings,
                 target: str, purpose, region: Optional[str] = None) -> OutgoingMessage:
        return compose.message(req, template, code, ttl, locale, s, target, purpose, region)

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
                   subject: Optional[str] = None, retry_ok: bool = False, told: Optional[dict] = None) -> str:
        """Consume ``code`` if it is the live code of one of the ``accepted`` purposes for
        the number (tried in order; a wrong guess counts against the first live code).
        ``told``: filled with what the spending write answered of the code (``user``: the
        user a login code was sent for, when recorded)."""
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
                self.events.after("code.verified",  # events:
                                  {"to": target, "channel": spent.get("channel"), "purpose": p.name})
                if told is not None:
                    told.update(purpose=p.name, user=spent.get("user"))
                return target
            if spent.get("exhausted"):  # events: this guess used up the code's attempts
                self.events.after("code.exhausted", {"to": target, "channel": spent.get("channel"),
                                                     "purpose": p.name})
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
            self.store.issue(None, limits.code_only_attempts(app_id, guard.ip_key(client_ip), s, now), now)
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

    def _verified(self, app_id: str, s: Settings, key: str, purpose: str, target: str, now: int,
                  spent: Optional[dict] = None) -> None:
        """Count a verification for the guard and the stats, on the IP that requested the
        code (the code is spent whatever happens here: a failure to count is not the
        caller's failure)."""
        if self.stats is None or self.counts == "stream":
            return
        spent = spent or {}
        try:
            channel, country = self.stats.credit(app_id, s, key, purpose, target, now, spent.get("channel"),
                                                 spent.get("ip"), provider=spent.get("provider"))
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
