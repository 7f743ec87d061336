"""The user system over phone numbers: sign-up, login, sessions, verify and change phone,
reset password. Pure domain: it sits on a ``UserStore``, the OTP service, a ``Limiter``
and a password hasher, and knows nothing of DynamoDB or of any wire format.

Rules that must hold under concurrency are conditions on writes in the store:
- username, phone and email are unique per app through claim items written in the same
  transaction as the user (two sign-ups with one phone cannot both win);
- every user update is conditional on the version read, so none is lost;
- a session is valid only while its epoch equals the user's ``session_epoch``: a password
  reset bumps the epoch and so revokes every session at once;
- password login attempts count on a per-user counter (``limits.login_failures``, a sliding
  window: ``core/sliding.py``), read with the user: a failure is charged under the condition
  that the counter is under its limit, and a success writes its session under the same
  condition (``AccountBase._judge``), so lockout holds however many requests race. An SMS
  login (``login_sms``) is bounded by its code's own attempts (one conditional write) and
  clears the counter with its session.

The service is one class assembled from one module per concern: ``model`` (User, Session,
the store protocol, custom fields), ``signup`` (sign-up and login), ``sessions`` (sessions
and tokens), ``verification`` (codes for users, verifying phones and emails), ``profile``
(the user's record, phone and password changes), ``authlogin`` (third-party login,
authData), ``migration`` (LeanCloud import, legacy
passwords and tokens, master-key deletion), ``user_queries`` (master-key user queries and deletion, through ``Migration``),
``resetmail`` (password reset by an emailed link) and ``base`` (shared helpers).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

from .. import limits
from ..clock import SystemClock
from ..events import NoEvents
from ..config import ConfigProvider
from ..service import OTPService
from .announce import Announce
from .authlogin import AuthDataLogin
from .base import AccountBase
from .migration import Migration
from .model import (CUSTOM_KEY, DELETE, E164_LIKE, LOGIN_CODES, MAX_CUSTOM_BYTES, SIGNUP_OR_LOGIN_CODES, Session,
                    Stale, User, UserStore, _merge_custom, _plausible_id)
from .profile import Profile
from .resetmail import EmailReset
from .sessions import Sessions
from .signup import SignupLogin
from .usernames import Usernames
from .verification import Verification

__all__ = ["AccountService", "User", "Session", "Stale", "UserStore", "DELETE", "CUSTOM_KEY", "E164_LIKE",
           "MAX_CUSTOM_BYTES", "LOGIN_CODES", "SIGNUP_OR_LOGIN_CODES", "_merge_custom", "_plausible_id"]


@dataclass
class AccountService(SignupLogin, Sessions, Verification, Profile, Migration, AuthDataLogin, EmailReset, Usernames,
                     Announce, AccountBase):
    users: UserStore
    otp: OTPService
    limiter: limits.Limiter
    hasher: Any                       # core.passwords.Argon2Hasher
    config: ConfigProvider
    secret: bytes
    clock: Any = field(default_factory=SystemClock)
    on_error: Callable[[str, Exception], None] = lambda what, exc: None
    verifiers: Any = None             # core.authdata.Verifiers (third-party login); None: refused
    events: Any = field(default_factory=NoEvents)  # core/events.py: LeanEngine hooks, webhooks
