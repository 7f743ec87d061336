"""Who a code message claims to come from, and what it says the code is for.

Any holder of the app key (every shipped client) can ask for a code. LeanCloud let the
request name the sender (``name``, or ``sign`` for template messages: the 【signature】)
and the operation (``op``), so that key could send "【DHL Express】... reply to the
courier" to any number. Here:

- once the operator has configured a signature (``signature`` and/or ``signatures``), a
  request's ``name`` / ``sign`` must be one of them (absent: the default ``signature``);
- ``op`` is free text while ``free_op`` is on (LeanCloud's behaviour); off, it must be one
  of ``allowed_ops`` (empty: no ``op`` at all).
"""
from __future__ import annotations

from typing import Optional

from .errors import InvalidRequest
from .settings import Settings


def signatures(s: Settings) -> set:
    return {x for x in (s.signature, *s.signatures) if x}


def check(name: Optional[str], sign: Optional[str], op: Optional[str], s: Settings) -> None:
    allowed = signatures(s)
    if allowed:
        for field, value in (("name", name), ("sign", sign)):
            if value not in (None, "") and value.strip() not in allowed:
                raise InvalidRequest(f"{field} must be one of the app's configured signatures")
    if op not in (None, "") and not s.free_op and op.strip() not in s.allowed_ops:
        raise InvalidRequest("op must be one of the app's allowed operations" if s.allowed_ops
                             else "op is not accepted by this app")
