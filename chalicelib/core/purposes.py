"""Purposes are first-class: each kind of code carries its own policy.

A code issued for one purpose never verifies another. The user-system routes add their
purposes here; the engine treats them all alike.
"""
from __future__ import annotations

from typing import Optional

from .errors import InvalidRequest
from .record import Record


class Purpose(Record, frozen=True):
    name: str
    # message id in the catalogue (core/messages.py)
    message: str = "generic"
    # lifetime when the request gives none; None means settings.default_ttl_minutes
    default_ttl_minutes: Optional[int] = None
    # the code alone must identify its target (LeanCloud's JS SDK sends no number for
    # verifyMobilePhone and resetPasswordBySmsCode): index codes by their keyed hash
    lookup_by_code: bool = False
    # may use complex codes and carry a verification link (settings.code_format)
    link_capable: bool = False
    # always a complex code in a link, whatever code_format says; lives default_ttl_minutes
    link_only: bool = False


GENERIC = Purpose("sms")
LOGIN = Purpose("login", message="login")
SIGNUP = Purpose("signup", message="signup")
VERIFY_PHONE = Purpose("verify_phone", message="verify_phone", lookup_by_code=True, link_capable=True)
CHANGE_PHONE = Purpose("change_phone", message="change_phone", default_ttl_minutes=6)
RESET_PASSWORD = Purpose("reset_password", message="reset_password", lookup_by_code=True)
VERIFY_EMAIL = Purpose("verify_email", message="verify_email", lookup_by_code=True, link_capable=True)
# LeanCloud's requestPasswordReset: an email with a link to verikit's reset page, 30 minutes
RESET_EMAIL = Purpose("reset_email", message="reset_email", default_ttl_minutes=30, lookup_by_code=True,
                      link_capable=True, link_only=True)
# CloudBase /auth/v1/verification: bound to its verification_id, 10 minutes as the seed says
VERIFICATION = Purpose("verification", default_ttl_minutes=10)

PURPOSES = {p.name: p for p in (GENERIC, LOGIN, SIGNUP, VERIFY_PHONE, CHANGE_PHONE, RESET_PASSWORD,
                                VERIFY_EMAIL, VERIFICATION, RESET_EMAIL)}


def get(name: str) -> Purpose:
    try:
        return PURPOSES[name]
    except KeyError:
        raise InvalidRequest(f"unknown purpose: {name}") from None
