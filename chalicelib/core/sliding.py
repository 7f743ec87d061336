"""Sliding windows for the per-key rate limits: two buckets, weighted (issue 19).

A per-key counter of ``W``-second windows keeps, on its one item, the charges of window
``k = now // W`` and of window ``k - 1``, and the time of each window's last charge. The
charges of the last ``W`` seconds are estimated as

    used = n[k] + ceil(n[k-1] * (W - elapsed) / W)        elapsed = now - k * W

(the previous window's charges taken as spread evenly over it: Cloudflare's estimate), or
exactly ``n[k]`` once the previous window's *last* charge is ``W`` or more seconds ago (then
none of them is in the last ``W`` seconds). A charge is allowed while ``used < limit``; the
rounding is up, so the estimate after a charge never exceeds the limit. No burst of twice
the limit around a window's end: 10 sends at 23:59:50 leave no room at 00:00:10, and the
room comes back as the old window's weight decays (half of it by noon).

DynamoDB conditions have no arithmetic, so the store writes the rule as a staircase
(``steps``): allowed when ``n[k-1] <= p`` and ``n[k] < r`` for one of the steps ``(p, r)``.
With a limit of at most ``MAX_STEPS`` the staircase is the rule exactly; above it, it keeps
``MAX_STEPS`` of the room values (the largest, the smallest and evenly between), each step
taking the least room of the previous counts it covers: it never allows more, and
``used`` below is the estimate that staircase implies, so what is read and what is
written agree. Pure arithmetic: the store (``store/windows.py``) builds the expressions.
"""
from __future__ import annotations

MAX_STEPS = 16


def steps(limit: int, window: int, now: int) -> list:
    """[(p, r), ...]: at ``now``, a charge is allowed when the previous window holds at most
    ``p`` charges and the current one fewer than ``r``, for some step (``p`` rising, ``r``
    falling). Empty when the limit is 0 or less."""
    if limit <= 0:
        return []
    left = window - now % window  # 1..W seconds of the current window to go
    if limit <= MAX_STEPS:
        rooms = list(range(limit, 0, -1))
    else:
        rooms = sorted({limit - j * (limit - 1) // (MAX_STEPS - 1) for j in range(MAX_STEPS)}, reverse=True)
    out: list = []
    for r in rooms:
        # ceil(p * left / W) <= limit - r  <=>  p <= (limit - r) * W / left
        p = (limit - r) * window // left
        if out and out[-1][0] == p:
            continue  # the same previous counts: the larger room (already there) holds
        out.append((p, r))
    return out


def prior(limit: int, window: int, now: int, p: int, last) -> int:
    """The weight of the previous window's ``p`` charges at ``now`` (its last at ``last``)."""
    if p <= 0 or (last is not None and last <= now - window):
        return 0
    room = max((r for q, r in steps(limit, window, now) if p <= q), default=0)
    return limit - room


def used(limit: int, window: int, now: int, counts: dict) -> int:
    """The estimate at ``now`` of a counter read as ``counts`` ({window index: (charges,
    time of the last or None)})."""
    k = now // window
    c = counts.get(k, (0, None))[0]
    p, last = counts.get(k - 1, (0, None))
    return max(0, c) + prior(limit, window, now, p, last)


def retry_after(limit: int, window: int, now: int, counts: dict) -> int:
    """Seconds until a counter read as ``counts`` has room again if nothing else is charged:
    the first instant the estimate is under the limit (within this window, or in the next
    as this window's weight decays), at most ``W``: by then this window's last charge is
    ``W`` ago. A counter that had room as read was filled by racing charges meanwhile: it is
    taken as full now."""
    counts = dict(counts)
    k = now // window
    if used(limit, window, now, counts) < limit:
        c = counts.get(k, (0, None))[0]
        counts[k] = (c + limit - used(limit, window, now, counts), now)

    def ok(t: int) -> bool:
        return used(limit, window, t, counts) < limit

    end = (k + 1) * window  # the next window starts: the estimate is monotone on each side
    if end - 1 > now and ok(end - 1):
        lo, hi = now, end - 1
    elif ok(now + window):
        lo, hi = max(now, end - 1), now + window
    else:
        return window
    while hi - lo > 1:  # the first t in (lo, hi] with room
        mid = (lo + hi) // 2
        if ok(mid):
            hi = mid
        else:
            lo = mid
    return max(1, hi - now)
