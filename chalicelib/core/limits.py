"""Rate-limit plans: which counters a send must charge, and their bounds.

This module only decides *what* to charge. The store charges every counter and writes
the code in one DynamoDB transaction, each counter behind a condition, so a limit holds
under any concurrency and a refused send changes nothing.

The per-key limits (per number or address per day, per IP per hour, login failures per
user) are sliding windows (``core/sliding.py``): one item per key, the window is not in the
key. The app's budgets (``app_daily``, ``code_only_app_hourly``) stay on fixed UTC days and
hours: they are a spend budget per UTC day (hour), sharded, and may be cut mid-day.
"""
from __future__ import annotations

import time
from typing import Optional, Protocol

from .record import Record
from .settings import Settings

DAY = 86400
HOUR = 3600


class Charge(Record, frozen=True):
    name: str          # which limit, reported when it refuses: cooldown, number_daily, ...
    key: str           # counter item key
    limit: int         # counters: most sends in the window; cooldowns: 1
    window_end: int    # epoch seconds when the window (or the cooldown) ends
    cooldown: bool = False
    # a counter every send of an app writes (the app budget, the code-only guess cap) is
    # split over ``shards`` items, each holding its share of ``limit`` (see ``share``)
    shards: int = 1
    # a sharded counter whose limit may be cut mid-window: once this item exists (the admin
    # lowered the limit), the whole counter is this one item, holding the shards' sum
    cut_key: str = ""
    # a sliding window of this many seconds (``core/sliding.py``); 0: a fixed window (or a
    # cooldown) ending at ``window_end``. A sliding charge's ``window_end`` is the end of the
    # window ``now // window`` it was planned in (the one a give-back takes from).
    window: int = 0
    # a sliding counter as read: ((window index, charges, time of the last or None), ...)
    seen: tuple = ()

    def counts(self) -> dict:
        return {k: (n, last) for k, n, last in self.seen}

    def used(self, now: int) -> int:
        """How much of the limit is used at ``now``, as ``seen`` (sliding counters)."""
        from . import sliding
        return sliding.used(self.limit, self.window, now, self.counts())

    def retry_after(self, now: int) -> int:
        if self.window and not self.cooldown:
            from . import sliding
            return sliding.retry_after(self.limit, self.window, now, self.counts())
        return max(1, self.window_end - now)


def sliding_charge(name: str, key: str, limit: int, window: int, now: int) -> Charge:
    """A per-key counter over a sliding ``window`` (seconds): at most ``limit`` charges in
    any window as estimated by ``core/sliding.py``."""
    return Charge(name, key, limit, now - now % window + window, window=window)


# counters shared by every send of an app are split over this many items, taken in turn: no
# item takes more than ~1.6% of a busy app's sends (DynamoDB allows ~1000 writes/s per item)
SHARDS = 64


def share(limit: int, shards: int, i: int) -> int:
    """Shard ``i``'s part of ``limit``: the parts differ by at most one and add up to
    ``limit`` exactly, so the shards together never allow more than the limit. A part
    never shrinks when the limit grows, so writers that computed different limits at
    once still stay within the largest of them."""
    return max(0, (limit - i + shards - 1) // shards)


# the charges given back when a send's message did not go out (the provider refused it)
RELEASED_WHEN_NOT_SENT = ("cooldown", "number_daily", "email_daily")


def _day(now: int) -> str:
    return time.strftime("%Y%m%d", time.gmtime(now))


def _hour(now: int) -> str:
    return time.strftime("%Y%m%d%H", time.gmtime(now))


def plan_send(app_id: str, target: str, client_ip: Optional[str], s: Settings, now: int,
              email: bool = False, purpose: str = "") -> list:
    """The charges of one send to ``target`` (a number, or an email address when
    ``email``). A limit set to 0 is off.

    - cooldown: one send per target per ``cooldown_seconds`` / ``email_cooldown_seconds``
      (a sliding gap, not a window)
    - number_daily / email_daily: at most ``per_number_daily`` / ``per_email_daily`` per
      target in any 24 hours (a sliding window)
    - ip_hourly: at most ``per_ip_hourly`` per client IP in any hour (sliding)
    - app_daily: at most ``per_app_daily`` per app per UTC day (the spend budget, fixed)
    """
    cooldown, daily = (s.email_cooldown_seconds, s.per_email_daily) if email else (s.cooldown_seconds, s.per_number_daily)
    plan = []
    if cooldown:
        plan.append(Charge("cooldown", f"cd#{app_id}#{target}", 1, now + cooldown, True))
    if daily:
        name = "email_daily" if email else "number_daily"
        plan.append(sliding_charge(name, f"nd#{app_id}#{target}", daily, DAY, now))
    if s.per_ip_hourly and client_ip:
        plan.append(sliding_charge("ip_hourly", f"ih#{app_id}#{client_ip}", s.per_ip_hourly, HOUR, now))
    if purpose == "verification" and s.verification_per_ip_hourly and client_ip:
        plan.append(sliding_charge("verification_ip_hourly", f"vh#{app_id}#{client_ip}", s.verification_per_ip_hourly,
                            HOUR, now))
    if s.per_app_daily:
        plan.append(app_daily(app_id, s.per_app_daily, now))
    return plan


def app_daily(app_id: str, limit: int, now: int) -> Charge:
    """The app's daily budget: 64 shards, each holding its share; lowering the limit mid-day
    merges them into one item (``cut_key``) that holds their sum (``store/counters.py``)."""
    day = _day(now)
    return Charge("app_daily", f"ad#{app_id}#{day}", limit, now - now % DAY + DAY, shards=SHARDS,
                  cut_key=f"ad#{app_id}#{day}#cut")


def login_failures(app_id: str, user_id: str, s: Settings, now: int) -> Charge:
    """Every login attempt for a user is charged *before* its password or code is checked
    and the counter is cleared on success, so at most ``login_max_failures`` wrong tries fit
    in any ``login_lockout_minutes`` (a sliding window) however many run at once."""
    return sliding_charge("login_failures", f"lf#{app_id}#{user_id}", s.login_max_failures,
                          s.login_lockout_minutes * 60, now)


def code_only_attempts(app_id: str, client_ip: Optional[str], s: Settings, now: int) -> list:
    """Attempts to verify a code by the code alone: per client IP and hour, and per app and
    hour (many IPs cannot multiply the guesses beyond the app's cap; it fails closed). The
    IP's is a sliding hour; the app's, a budget per UTC hour (sharded)."""
    hour_end = now - now % HOUR + HOUR
    plan = [Charge("code_only_app_hourly", f"ca#{app_id}#{_hour(now)}", s.code_only_per_app_hourly, hour_end,
                   shards=SHARDS)]
    if client_ip:
        plan.insert(0, sliding_charge("code_only_ip_hourly", f"co#{app_id}#{client_ip}", s.code_only_per_ip_hourly,
                                      HOUR, now))
    return plan


def captcha_creation(app_id: str, client_ip: Optional[str], per_ip_hourly: int, now: int) -> list:
    """Creating a CAPTCHA needs no key and stores an item: at most ``per_ip_hourly`` per
    client IP in any hour (sliding; 0: off)."""
    if not (per_ip_hourly and client_ip):
        return []
    return [sliding_charge("captcha_ip_hourly", f"cp#{app_id}#{client_ip}", per_ip_hourly, HOUR, now)]


def anonymous_signup(app_id: str, client_ip: Optional[str], per_ip_hourly: int, now: int) -> list:
    """A new anonymous user needs no proof and stores a user: at most ``per_ip_hourly`` per
    client IP in any hour (sliding; 0: off)."""
    if not (per_ip_hourly and client_ip):
        return []
    return [sliding_charge("anonymous_ip_hourly", f"an#{app_id}#{client_ip}", per_ip_hourly, HOUR, now)]


class Limiter(Protocol):
    def charge(self, charges: list, now: int) -> None:
        """Charge every counter atomically, or raise RateLimited naming the one that refused."""

    def clear(self, charge: Charge) -> None:
        """Forget a counter (a successful login clears the user's failures)."""

    def look(self, charge: Charge) -> Charge:
        """``charge`` with its counter as it is now (``seen``: a read, for admin views)."""
