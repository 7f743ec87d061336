"""Email addresses: validated and normalised (trimmed, domain lower-cased), masked for logs.

The local part is kept as written (it may be case-sensitive); uniqueness and rate limits
use the fully lower-cased form, ``key()``.
"""
from __future__ import annotations

import re

from .errors import InvalidEmail

# a practical address check: one @, no spaces, a dotted domain of letters, digits and -
# patterns compiled on first use (re's cache), not at every cold start
_LOCAL = r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~.\-]{1,64}$"
_DOMAIN = r"^(?=.{1,253}$)([A-Za-z0-9](?:[A-Za-z0-9\-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}$"


def normalise(value: object) -> str:
    """The address, trimmed, with its domain lower-cased; or InvalidEmail."""
    if not isinstance(value, str):
        raise InvalidEmail("email must be a string")
    value = value.strip()
    local, at, domain = value.rpartition("@")
    if not at or len(value) > 254 or not re.match(_LOCAL, local) or ".." in local \
            or local.startswith(".") or local.endswith(".") or not re.match(_DOMAIN, domain):
        raise InvalidEmail("invalid email address")
    return f"{local}@{domain.lower()}"


def key(address: str) -> str:
    """The case-insensitive identity of a normalised address (claims, limits)."""
    return address.lower()


# providers that deliver ``j.doe@`` and ``jdoe@`` to one mailbox, and their canonical domain
DOTS_IGNORED = {"gmail.com": "gmail.com", "googlemail.com": "gmail.com"}


def rate_key(address: str) -> str:
    """The mailbox an address reaches, as far as we can tell, for per-address rate limits:
    lower-cased, without a ``+tag``, and for providers that ignore dots (Gmail,
    ``googlemail.com`` being Gmail too) without dots. ``victim+1@`` and ``v.ictim@`` share
    ``victim@``'s limits. Only limits use it: the address itself, its code and its user
    claim stay as written (``key``)."""
    local, _, domain = key(address).rpartition("@")
    local = local.split("+", 1)[0] or local
    if domain in DOTS_IGNORED:
        local, domain = local.replace(".", "") or local, DOTS_IGNORED[domain]
    return f"{local}@{domain}"


def is_email(value: object) -> bool:
    return isinstance(value, str) and "@" in value


def mask(address: str) -> str:
    local, _, domain = address.partition("@")
    return f"{local[:1]}***@{domain}"
