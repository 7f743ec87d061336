"""The SMS-pumping guard: refuse sends by verification conversion (pure; no boto3).

Pumping bots request codes to number ranges whose operator shares the revenue and never
verify them. Per dimension in force (the destination **country**, the number **prefix**
= the number without its last 3 digits, Twilio's "1k prefix", and the client **ip**) the
store keeps sent / verified counts in day items with hourly attributes. A send counts as
unverified until its code verifies. For a sliding 1-hour and 24-hour window the guard
refuses a send when the unverified sends would exceed

    threshold = max(floor, ratio x verified)          (per window)

and, for the hour, at least a sixth of the day's threshold (as Authgear does, so one busy
hour of a normal day is not cut off). Windows are summed at hour resolution: the 24-hour
window is today so far plus yesterday's later hours (the current hour of yesterday
weighted by the part still inside the window); the 1-hour window is the current hour
plus the previous one weighted the same way.

Every number here is exact under concurrency because the store turns the verdict into
conditions on the items it writes (``cap_day`` / ``cap_hour``, split over shards with
``limits.share``): racing sends cannot push a dimension past its threshold.
"""
from __future__ import annotations

import contextvars
import math
from dataclasses import field
from typing import Mapping, Optional

from .errors import InvalidRequest, RateLimited
from .record import Record

DIMENSIONS = ("country", "prefix", "ip", "app")
# in force by default: the number range and the client IP are judged inside the send's own
# transaction (no read); "country" and the app-wide "app" dimension sum sharded items and
# read them first (one BatchGetItem more per send), so they are opt-in
DEFAULT_BY = ("prefix", "ip")
MODES = ("block", "record", "off")
FIELDS = ("floor_day", "floor_hour", "ratio_day", "ratio_hour")
# the country buckets are written by every send to that country and every verification:
# split over this many items, taken in turn (each ~2% of a single-country app's flows);
# the opt-in country dimension reads them in one BatchGetItem of 100 keys
COUNTRY_SHARDS = 100

# per dimension: floors (unverified sends always allowed per window) and ratios
# (unverified allowed per verified in the window)
DEFAULTS: Mapping[str, Mapping[str, float]] = {
    "country": {"floor_day": 20, "floor_hour": 3, "ratio_day": 0.3, "ratio_hour": 0.2},
    "prefix": {"floor_day": 5, "floor_hour": 3, "ratio_day": 0.3, "ratio_hour": 0.2},
    "ip": {"floor_day": 10, "floor_hour": 5, "ratio_day": 0.2, "ratio_hour": 0.2},
    # app-wide (a pump spread over countries and IPs): opt-in, and a high floor
    "app": {"floor_day": 2000, "floor_hour": 500, "ratio_day": 0.5, "ratio_hour": 0.5},
}

# the client IP of the request being served, for crediting a verification to the IP it
# came from (set by the HTTP layer; None outside a request)
CLIENT_IP: contextvars.ContextVar = contextvars.ContextVar("verikit_client_ip", default=None)


class FraudBlocked(RateLimited):
    """A send refused by the SMS-pumping guard: nothing sent, no code, counted as blocked."""

    kind = "fraud_blocked"

    def __init__(self, dimension: str, window: str, retry_after: int = 3600):
        super().__init__(f"blocked by fraud protection: too many unverified codes for this {_WHAT[dimension]} "
                         f"in the last {'hour' if window == 'hour' else '24 hours'}", "fraud_guard", retry_after)
        self.dimension, self.window = dimension, window


_WHAT = {"country": "country", "prefix": "number range", "ip": "address", "app": "app"}


class Thresholds(Record, frozen=True):
    floor_day: float
    floor_hour: float
    ratio_day: float
    ratio_hour: float


class Dim(Record, frozen=True):
    name: str         # country | prefix | ip
    value: str        # GB | +4479460001 | 203.0.113.7
    limits: Thresholds
    shards: int = 1


def prefix_of(e164: str) -> str:
    """Twilio's "1k prefix": the number without its last 3 digits."""
    return e164[:-3]


def ip_key(ip: Optional[str]) -> Optional[str]:
    """The key of a client address for limits and the guard: an IPv4 address as it is, an
    IPv6 address by its /64 (one subscriber's whole prefix; a host may pick any of 2^64)."""
    if not ip or ":" not in ip:
        return ip
    import ipaddress
    try:
        return str(ipaddress.IPv6Network(f"{ip.split('%')[0]}/64", strict=False).network_address) + "/64"
    except ValueError:
        return ip


def thresholds(s, name: str, country: str = "", base=None) -> Thresholds:
    """The thresholds of dimension ``name``: defaults, the app's ``fraud_thresholds``, and
    for the country dimension the app's ``fraud_country_overrides`` of that country.

    Ratios the app does not set follow the country's own baseline conversion once it is
    learned (``base``: a ``Baseline``, see ``calibrated_ratio``)."""
    t = dict(DEFAULTS[name])
    own = dict((s.fraud_thresholds or {}).get(name, {}))
    if name == "country":
        own.update((s.fraud_country_overrides or {}).get(country, {}))
    ratio = calibrated_ratio(s, base)
    if ratio is not None:
        t["ratio_day"] = t["ratio_hour"] = ratio
    t.update(own)
    return Thresholds(**{k: t[k] for k in FIELDS})


# ---- calibration: the app's own baseline conversion per country ---------------------------

# a baseline is worth the name from this many verified codes; before it (and while the
# country is learning) the ratios assume this conversion: cut below 25% with the default 50%
BASELINE_MIN_VERIFIED = 50
PRIOR_CONVERSION = 0.5


class Baseline(Record, frozen=True):
    """A country's sends and verified codes over the last ``fraud_learn_days`` days (the
    stats rows), and whether the stage has rows of that country from that long ago."""

    sent: int = 0
    verified: int = 0
    week_old: bool = False

    @property
    def conversion(self) -> float:
        return min(1.0, self.verified / self.sent) if self.sent else 0.0


def learned(s, base: Optional[Baseline]) -> bool:
    """Has the stage seen enough of this country to block on it? ``fraud_learn_verifications``
    verified codes, or ``fraud_learn_days`` of traffic (0: learning off)."""
    if not s.fraud_learn_verifications:
        return True
    if base is None:
        return False
    return base.verified >= s.fraud_learn_verifications or base.week_old


def calibrated_ratio(s, base: Optional[Baseline]) -> Optional[float]:
    """Unverified codes allowed per verified one, from the country's baseline conversion
    ``c``: a number range, address or country is cut when its conversion falls below
    ``fraud_baseline_percent`` % of ``c``, i.e. unverified / verified > 1 / (factor x c) - 1
    (``PRIOR_CONVERSION`` until the country is learned). None (the fixed ratios of
    ``DEFAULTS``) when the percentage is 0."""
    f = s.fraud_baseline_percent / 100
    if not f:
        return None
    known = base is not None and base.verified >= BASELINE_MIN_VERIFIED and learned(s, base)
    c = max(0.05, base.conversion) if known else PRIOR_CONVERSION
    return round(min(20.0, max(0.05, 1.0 / (f * c) - 1.0)), 4)


def safe(s, e164: str) -> bool:
    """True when the number or one of its prefixes is on the app's safe list."""
    return any(e164.startswith(p) for p in (s.fraud_safe_list or ()))


def dimensions(s, e164: str, country: str, client_ip: Optional[str], base: Optional["Baseline"] = None) -> list:
    """The guard's dimensions of a send (empty when the guard is off or the number safe)."""
    if s.fraud_guard == "off" or safe(s, e164):
        return []
    dims = []
    for name in s.fraud_guard_by:
        if name == "country" and country:
            dims.append(Dim("country", country, thresholds(s, "country", country, base), COUNTRY_SHARDS))
        elif name == "prefix":
            dims.append(Dim("prefix", prefix_of(e164), thresholds(s, "prefix", country, base)))
        elif name == "ip" and client_ip:
            dims.append(Dim("ip", ip_key(client_ip), thresholds(s, "ip", country, base)))
        elif name == "app":
            dims.append(Dim("app", "*", thresholds(s, "app", country, base), COUNTRY_SHARDS))
    return dims


class Reading(Record):
    """One dimension's counters as read: per hour of today and of yesterday (summed over
    shards), and today's unverified count per day shard and per current-hour shard."""

    today_u: list = field(default_factory=lambda: [0] * 24)
    today_v: list = field(default_factory=lambda: [0] * 24)
    yest_u: list = field(default_factory=lambda: [0] * 24)
    yest_v: list = field(default_factory=lambda: [0] * 24)
    day_shards: list = field(default_factory=lambda: [0])
    hour_shards: list = field(default_factory=lambda: [0])


class Verdict(Record, frozen=True):
    dim: Dim
    allowed: bool
    window: str            # "" | "day" | "hour": the window that refused
    cap_day: int           # most unverified sends today's items may hold
    cap_hour: int          # most unverified sends the current hour may hold
    day_room: tuple        # day shards with room
    hour_room: tuple       # hour shards with room
    unverified_day: float
    verified_day: float
    unverified_hour: float
    verified_hour: float


def evaluate(dim: Dim, r: Reading, hour: int, frac: float) -> Verdict:
    """Would one more unverified send stay within ``dim``'s thresholds? ``hour`` is the
    UTC hour of now, ``frac`` how far into it (0..1)."""
    from .limits import share

    rest = 1.0 - frac
    today_u, today_v = sum(r.today_u[:hour + 1]), sum(r.today_v[:hour + 1])
    tail_u = sum(r.yest_u[hour + 1:]) + rest * r.yest_u[hour]
    tail_v = sum(r.yest_v[hour + 1:]) + rest * r.yest_v[hour]
    u24, v24 = today_u + tail_u, today_v + tail_v
    prev_u = r.today_u[hour - 1] if hour else r.yest_u[23]
    prev_v = r.today_v[hour - 1] if hour else r.yest_v[23]
    u1, v1 = r.today_u[hour] + rest * prev_u, r.today_v[hour] + rest * prev_v
    t = dim.limits
    t24 = max(t.floor_day, t.ratio_day * v24)
    t1 = max(t.floor_hour, t.ratio_hour * v1, t24 / 6)
    # today's items may hold what the window allows minus what yesterday still adds
    cap_day = math.floor(t24 - tail_u + 1e-9)
    cap_hour = math.floor(t1 - rest * prev_u + 1e-9)
    n_day, n_hour = len(r.day_shards), len(r.hour_shards)
    day_room = tuple(i for i, u in enumerate(r.day_shards) if u < share(cap_day, n_day, i))
    hour_room = tuple(i for i, u in enumerate(r.hour_shards) if u < share(cap_hour, n_hour, i))
    # the totals too: in record mode (or while learning) sends are not held to their shards'
    # shares, so a shard may have room while the dimension as a whole has none
    if sum(r.day_shards) >= cap_day:
        day_room = ()
    if sum(r.hour_shards) >= cap_hour:
        hour_room = ()
    window = "" if day_room and hour_room else ("day" if not day_room else "hour")
    return Verdict(dim, not window, window, cap_day, cap_hour, day_room, hour_room, u24, v24, u1, v1)


# ---- the verdict as a condition of the send's own write (single-item dimensions) ---------

class Terms(Record, frozen=True):
    """The verdict of ``evaluate`` for one unsharded dimension, split into what is already
    known (yesterday's hours, the previous hour: closed buckets) and what the write's
    condition compares on today's item, so no read is needed. Today's item keeps ``u``,
    ``v`` and per hour ``uHH`` / ``vHH`` plus two *headroom* attributes maintained by ADD:
    ``rd`` = ratio_day x verified - unverified today and ``rHH`` = ratio_hour x vHH - uHH.
    One more unverified send is allowed when

        (u < cap_day  OR  rd >= k_day)  AND  (uHH < cap_hour  OR  rHH >= k_hour)

    which is ``evaluate``'s rule: u24 + 1 <= max(floor_day, ratio_day x v24) and
    u1 + 1 <= max(floor_hour, ratio_hour x v1, t24 / 6) (the last term with the part of
    today's verified codes already known, so it can only be stricter)."""

    cap_day: int
    k_day: float
    cap_hour: int
    k_hour: float

    def passes(self, u: float, rd: float, u_hour: float, r_hour: float) -> bool:
        return (u < self.cap_day or rd >= self.k_day - 1e-9) and (u_hour < self.cap_hour or r_hour >= self.k_hour - 1e-9)


def terms(dim: Dim, yest_u: list, yest_v: list, prev_u: float, prev_v: float, hour: int, frac: float,
          today_v: float = 0) -> Terms:
    """``prev_u`` / ``prev_v``: the previous hour (yesterday's 23:00 at hour 0); ``today_v``:
    a lower bound of today's verified codes (0 when unknown)."""
    rest = 1.0 - frac
    tail_u = sum(yest_u[hour + 1:]) + rest * yest_u[hour]
    tail_v = sum(yest_v[hour + 1:]) + rest * yest_v[hour]
    t = dim.limits
    t24_low = max(t.floor_day, t.ratio_day * (today_v + tail_v))
    return Terms(cap_day=math.floor(t.floor_day - tail_u + 1e-9),
                 k_day=1 + tail_u - t.ratio_day * tail_v,
                 cap_hour=math.floor(max(t.floor_hour, t24_low / 6) - rest * prev_u + 1e-9),
                 k_hour=1 + rest * prev_u - t.ratio_hour * rest * prev_v)


# ---- settings validation (called by core.settings for the fraud_* settings) ------------

def _number(name: str, key: str, v) -> float:
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
        raise InvalidRequest(f"setting {name}: {key} must be a number")
    if key.startswith("floor") and not (isinstance(v, int) or float(v).is_integer()) or not 0 <= v <= 1_000_000:
        raise InvalidRequest(f"setting {name}: {key} must be a whole number from 0 to 1000000"
                             if key.startswith("floor") else f"setting {name}: {key} must be from 0 to 1000000")
    return int(v) if key.startswith("floor") else float(v)


def _limits(name: str, value) -> dict:
    if not isinstance(value, dict):
        raise InvalidRequest(f"setting {name} must be an object of {', '.join(FIELDS)}")
    unknown = sorted(set(value) - set(FIELDS))
    if unknown:
        raise InvalidRequest(f"setting {name}: unknown field(s) {', '.join(map(str, unknown))}; "
                             f"use {', '.join(FIELDS)}")
    return {k: _number(name, k, v) for k, v in value.items()}


def check_thresholds(name: str, value) -> dict:
    """``{"country": {"floor_day": 50, ...}, "prefix": {...}, "ip": {...}}`` (partial)."""
    if not isinstance(value, dict):
        raise InvalidRequest(f"setting {name} must be an object keyed by {', '.join(DIMENSIONS)}")
    bad = sorted(set(value) - set(DIMENSIONS))
    if bad:
        raise InvalidRequest(f"setting {name}: unknown dimension(s) {', '.join(map(str, bad))}")
    return {d: _limits(f"{name}.{d}", v) for d, v in value.items()}


def check_overrides(name: str, value) -> dict:
    """``{"NG": {"floor_day": 5, "ratio_day": 0.1}, ...}``: the country thresholds of
    single countries."""
    from .settings import _known_region

    if not isinstance(value, dict) or len(value) > 300:
        raise InvalidRequest(f"setting {name} must be an object keyed by region codes")
    out = {}
    for region, limits_ in value.items():
        code = region.strip().upper() if isinstance(region, str) else ""
        if not _known_region(code):
            raise InvalidRequest(f"setting {name}: {region!r} is not an ISO 3166 alpha-2 region code")
        out[code] = _limits(f"{name}.{code}", limits_)
    return out


def check_safe_list(name: str, value) -> tuple:
    """E.164 numbers or number prefixes ("+44", "+4479460") that bypass the guard."""
    if not isinstance(value, (list, tuple)) or len(value) > 1000:
        raise InvalidRequest(f"setting {name} must be a list of up to 1000 numbers or prefixes")
    out = []
    for v in value:
        if not isinstance(v, str) or not (v.startswith("+") and v[1:].isascii() and v[1:].isdigit()
                                          and 1 <= len(v) - 1 <= 15):
            raise InvalidRequest(f"setting {name}: {v!r} is not a number or prefix in E.164 form (+ and 1-15 digits)")
        out.append(v)
    return tuple(dict.fromkeys(out))
