"""The one parser of integers that come in from requests (query strings, headers, JSON).

``str.isdigit()`` accepts ``²`` and ``١`` and ``int()`` accepts ``١`` but not ``²``: a value
checked one way and converted the other raised a 500. Everything that reads an integer
from a request goes through here: ASCII digits only, a bounded length, a bounded range,
and a dialect-neutral ``InvalidRequest`` (each dialect renders it as its own 4xx).
"""
from __future__ import annotations

from typing import Optional

from .errors import InvalidRequest

MAX_DIGITS = 19  # epoch milliseconds have 13; nothing we read needs more


def is_ascii_digits(value: object, max_digits: int = MAX_DIGITS) -> bool:
    """True for a non-empty string of ASCII digits ``0-9`` only (no sign, no space)."""
    return (isinstance(value, str) and 0 < len(value) <= max_digits and value.isascii()
            and value.isdigit())


def parse_int(value: object, name: str, lo: int, hi: int, default: Optional[int] = None) -> int:
    """``value`` (an int, or a string of ASCII digits, surrounding spaces allowed) as an int
    in ``[lo, hi]``; ``default`` when it is missing (None or ""). Anything else, including
    booleans, floats, signs and non-ASCII digits, raises ``InvalidRequest`` naming ``name``."""
    if value is None or value == "":
        if default is None:
            raise InvalidRequest(f"{name} is required")
        return default
    n: Optional[int] = None
    if isinstance(value, int) and not isinstance(value, bool):
        n = value
    elif isinstance(value, str) and is_ascii_digits(value.strip()):
        n = int(value.strip())
    if n is None or not lo <= n <= hi:
        raise InvalidRequest(f"{name} must be an integer between {lo} and {hi}")
    return n
