"""The steps of a send, as ``OTPService`` runs them (a mixin of core/service.py): the one
write (counters, the fraud guard's items, the code, the send-log entry), the provider call,
and the compensating write when the message did not go out. The fraud guard's part is here
too (core/guard.py decides, store/stats.py and store/guard_items.py count)."""
from __future__ import annotations

import time
from typing import Optional

from . import codes, delivery, guard, limits
from .codes import CodeRecord
from .errors import Conflict, RateLimited, SendFailed
from .ports import LogEntry, SendResult
from .settings import Settings


# provider refusals that are about the recipient, not the service: under enumeration
# protection they answer like a send (see SendRequest.quiet)
RECIPIENT_REFUSALS = ("OptedOut", "OptedOutException")


class SendSteps:
    # -- the steps of a send --
    def _issue(self, req, s, key, purpose, limit_key, fixed, issues_code, draw, code, message, template, ttl,
               locale, target, charges, plan, entry, outcome, now, region=None):
        """The one write of a send: every counter and the guard's items under their
        conditions, the code, the send-log entry (``outcome``, naming the route's first
        provider, known before the call) and that provider's count. Returns (the code
        record, the message, the log entry's key)."""
        record = None
        first = self._first_provider(message) if outcome == "sent" else ""
        for _ in range(8):  # re-draw when a code found by value alone collides (rare)
            if issues_code:
                record = CodeRecord(
                    key=key, app_id=req.app_id, purpose=purpose.name, target=limit_key,
                    channel=req.channel, code_hash=fixed or self._hash(req.app_id, purpose.name, limit_key, code, req.subject),
                    created_at=now, expires_at=now + ttl * 60, max_attempts=s.max_attempts,
                    lookup_key=codes.lookup_key(req.app_id, purpose.name, self._lookup_hash(req.app_id, purpose.name, code))
                    if purpose.lookup_by_code and not fixed else None,
                    client_ip=guard.ip_key(req.client_ip), user_id=req.user_id,
                    provider=first if first and req.channel != "email" else None,
                    test=fixed is not None,
                )
            op, log_key = self._staged(LogEntry(**entry, outcome=outcome, at=self.clock.now(), provider=first))
            count = getattr(self.stats, "staged_attempt_op", None)
            counted = op is not None and count is not None and bool(first)
            also = (op, count(req.app_id, first, now)) if counted else ((op,) if op is not None else ())
            try:
                self.store.issue(record, charges, now, also)
                break
            except codes.Collision:
                code = draw()
                message = self._message(req, template, code, ttl, locale, s, target, purpose, region)
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

    @staticmethod
    def _first_provider(message) -> str:
        return message.route[0] if message.route else delivery.DEFAULT_PROVIDER.get(message.channel, message.channel)

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

    def _deliver(self, channel, message, key, record, charges, plan, log_key, entry, now, quiet=False) -> str:
        """The provider call. The staged send-log entry already says ``sent`` by the route's
        first provider (and counted it): when that is what happened nothing more is
        written. The provider's message id is not written back (one write per send): it
        goes to the structured log line (``code.sent``). A failover writes after the call
        (the first attempt's entry becomes ``failed``, the later attempts are logged and
        counted); a failure undoes the send in one compensating write."""
        first = self._first_provider(message)
        try:
            started = time.perf_counter()
            sent = delivery.delivered(channel.send(message), message.channel)
            self._pace.observe(message.channel, time.perf_counter() - started)
        except SendFailed as e:
            attempts = delivery.failed_attempts(e, message.channel)
            error = attempts[0].error or e.details.get("provider_error", e.message)
            self._undo_send(key, record, charges, plan, log_key, error, now)
            self._after(entry, attempts, plan, first, log_key, now)
            if quiet and e.details.get("provider_error") in RECIPIENT_REFUSALS:
                return ""  # answered like an unknown number's suppressed send
            raise
        if sent.attempts and (len(sent.attempts) > 1 or sent.provider != first):  # a failover
            if log_key is not None:
                fail = getattr(self.log, "failed_op", None)
                release = getattr(self.store, "release", None)
                carried = getattr(self.store, "carried_op", None)
                if fail is not None and release is not None:
                    # the code's verification counts for the provider that carried it
                    moved = (carried(key, record.code_hash, sent.provider),) \
                        if carried is not None and record is not None and sent.provider else ()
                    release(None, None, [], now, (fail(log_key, sent.attempts[0].error),) + moved)
            self._after(entry, sent.attempts, plan, first, log_key, now)
        elif log_key is None:
            self._after(entry, sent.attempts, plan, first, None, now)
        self._metric("Sent", plan, provider=sent.provider)
        self.events.after("code.sent", {"to": message.to, "channel": message.channel,  # events:
                                        "purpose": message.purpose})
        if sent.message_id:  # the request's log line carries it (dialects/http.py)
            delivery.SENT.set({"provider": sent.provider, "provider_message_id": sent.message_id})
        return sent.message_id

    def _after(self, entry: dict, attempts: tuple, plan, first: str, log_key, now: int) -> None:
        """The attempts the send's transaction did not record: all of them when the entry
        could not be staged, else those after the first (whose staged ``sent`` count on the
        first provider becomes a failure)."""
        labels = plan.labels if plan is not None else {}

        def entry_of(a, at: float) -> LogEntry:
            return LogEntry(**entry, outcome=a.outcome, at=at, provider=a.provider, provider_id=a.message_id,
                            error=a.error)

        if log_key is None:
            delivery.record(self.log, self.stats, self.metrics, entry_of, entry["app_id"], attempts, labels, self.clock)
            return
        rest = attempts[1:]
        delivery.record(self.log, None, self.metrics, entry_of, entry["app_id"], rest, labels, self.clock)
        if self.metrics is not None and attempts and attempts[0].outcome == "failed":
            self.metrics("ProviderFailed", labels.get("channel", "none"), labels.get("country", "none"), first)
        count = getattr(self.stats, "count_attempts", None)
        if count is not None and getattr(self.stats, "staged_attempt_op", None) is not None:
            try:
                count(entry["app_id"], rest, now, {f"s_{first}": -1, f"f_{first}": 1})
            except Exception as e:  # noqa: BLE001 - a failure to count is not the caller's failure
                import logging
                logging.getLogger("verikit").warning("could not count provider attempts: %s", type(e).__name__)

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

    # -- the fraud guard (core/guard.py; counters in store/stats.py, store/guard_items.py) --
    def _guard(self, req, s: Settings, purpose: str, target: str, region: str, now: int,
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

    def _metric(self, name: str, plan, country: str = "", provider: str = "") -> None:
        if self.metrics is not None:
            labels = plan.labels if plan is not None else {"channel": "none", "country": country or "none"}
            if provider:
                self.metrics(name, labels["channel"], labels["country"], provider)
            else:
                self.metrics(name, labels["channel"], labels["country"])
