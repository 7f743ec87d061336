"""Codes: drawn with ``secrets``, stored only as keyed hashes, compared in constant time."""
from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import Optional

from .record import Record


def generate(length: int) -> str:
    """A uniformly random numeric code of exactly ``length`` digits (leading zeros kept)."""
    if not 4 <= length <= 10:
        raise ValueError("code length must be between 4 and 10")
    return str(secrets.randbelow(10**length)).zfill(length)


COMPLEX_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789"


def generate_complex(length: int = 32) -> str:
    """A random string for verification links: 32 characters of a 57-letter alphabet
    (no 0/O/1/l/I), about 186 bits."""
    return "".join(secrets.choice(COMPLEX_ALPHABET) for _ in range(length))


def keyed_hash(secret: bytes, *parts: str) -> str:
    """HMAC-SHA256 over the parts, unambiguously joined. Hex digest."""
    msg = "\x1f".join(parts).encode("utf-8")
    return hmac.new(secret, msg, hashlib.sha256).hexdigest()


def same(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode("ascii"), b.encode("ascii"))


def looks_like_code(code: object) -> bool:
    """A numeric code (4-10 digits) or a complex one (letters and digits, up to 64)."""
    if not isinstance(code, str) or not code.isascii() or not code.isalnum():
        return False
    return 4 <= len(code) <= 10 if code.isdigit() else 16 <= len(code) <= 64


def code_key(app_id: str, purpose: str, target: str, subject: Optional[str] = None) -> str:
    """One live code per (app, purpose, target): a new one replaces the old. A code bound
    to a subject (change_phone: the user) lives under the subject too, so it verifies only
    for that user and that number."""
    return f"{app_id}#{purpose}#{subject}/{target}" if subject else f"{app_id}#{purpose}#{target}"


def lookup_key(app_id: str, purpose: str, lookup_hash: str) -> str:
    """Where a code found by the code alone is indexed: unique per app and purpose."""
    return f"@lookup#{app_id}#{purpose}#{lookup_hash}"


class Collision(Exception):
    """A live code of the same purpose already has this value: draw another."""


class CodeRecord(Record, frozen=True):
    """What the store keeps of an issued code. Never the code itself."""

    key: str
    app_id: str
    purpose: str
    target: str
    channel: str
    code_hash: str
    created_at: int
    expires_at: int
    max_attempts: int
    lookup_key: Optional[str] = None  # set for purposes found by the code alone
    # the requester's address (guard key: IPv6 by /64): its verification is credited there
    client_ip: Optional[str] = None
    # the SMS/voice provider that carried it (the route's first; a failover rewrites it): its
    # verification counts for that provider (``GET /admin/v1/stats?group=provider``)
    provider: Optional[str] = None
    # a test number's fixed code (QA / app review): never counted for the guard or the stats
    test: bool = False
    # a login code (requestLoginSmsCode): the user it was sent to log in, as the send read it
    # from the phone's claim; the spending write gives it back (no read of the claim then)
    user_id: Optional[str] = None


class StoredCode(Record, frozen=True):
    """The state of a code as the store read it back (a guess returns it)."""

    code_hash: str
    expires_at: int
    attempts: int
    max_attempts: int
    consumed: bool  # spent: its recorded guess equals its hash (see store/codes.py)
