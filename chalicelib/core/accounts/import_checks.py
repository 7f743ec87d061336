"""What a LeanCloud import keeps, drops and warns about (``core.accounts.migration`` calls it).

- **Keeping accounts** (``drop_invalid_fields``): a record whose phone, email, password,
  session token or a custom field cannot be taken is imported *without* that field, and the
  field is listed per line, instead of the whole user being lost. A value another record of
  the import or another stored user holds is dropped the same way (the username excepted: a
  user needs one). Without the option, such a record fails whole, as before.
- **Warnings**: what will bite after the switch although the record imports cleanly (numbers
  outside ``allowed_regions``, unverified phones, users reachable only by a third-party
  login, custom fields the LeanCloud dialect writes itself, files hosted by LeanCloud).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Optional

from .. import phone as phones
from .model import given_phone  # noqa: F401  (migration reads it from here)

# fields of a user answer the LeanCloud dialect computes or reads itself: a custom field of
# that name is shadowed in every answer, or cannot be written by clients
DIALECT_FIELDS = {"is_verified": "kept as the app's own field; Skygear's derived is_verified (skygear_is_verified) "
                                 "is then never added to this user's answers",
                  "smsCode": "read as the SMS code by usersByMobilePhone, never stored from a request",
                  "sessionToken": "the session of the answer", "className": "LeanCloud's own",
                  "__type": "LeanCloud's own"}
# file hosts of LeanCloud: they stop serving on 2027-01-12 with everything else
LEANCLOUD_FILE_HOSTS = re.compile(r"(^|\.)(lcfile\.com|lncld\.net|lncldapi\.com|lncldglobal\.com|clouddn\.com|"
                                  r"leancloud\.cn|avoscloud\.com|lcfile\.cn)$", re.I)
DROPPABLE_CLAIMS = {"phone": "mobilePhoneNumber", "email": "email"}


@dataclass
class Keeper:
    """One import's keep-the-account policy and its report of dropped fields."""
    enabled: bool = False
    drop_taken: bool = True          # False: a value another stored user holds fails the record
    dropped: dict = field(default_factory=dict)  # line -> [{"field", "value", "reason"}]

    def for_line(self, line: int):
        """The ``drop(field, value, reason)`` callback of one record, or None (fail whole)."""
        if not self.enabled:
            return None

        def drop(name: str, value: Any, reason: str) -> None:
            self.dropped.setdefault(line, []).append({"field": name, "value": _shown(value), "reason": reason})
        return drop

    def report(self, line: int, object_id: str) -> list:
        return [{"line": line, "objectId": object_id, **d} for d in self.dropped.get(line, ())]

    def drop_claim(self, unit, name: str, reason: str) -> None:
        """``unit`` (a ``migration.Unit``) goes on without its ``name`` (phone, email) claim."""
        value = (unit.after.phone_given or unit.after.phone) if name == "phone" else unit.after.email
        self.for_line(unit.line)(DROPPABLE_CLAIMS[name], value, reason)
        unit.after = without_claim(unit.after, unit.before, name)


def or_drop(drop, name: str, value: Any, read):
    """``read()``, or with ``drop`` (keeping the account) None after reporting why it failed."""
    from ..errors import InvalidEmail, InvalidPhoneNumber, InvalidRequest

    try:
        return read()
    except (InvalidRequest, InvalidEmail, InvalidPhoneNumber) as e:
        if drop is None:
            raise
        drop(name, value, e.message)
        return None


def _shown(value: Any) -> Any:
    """The dropped value as the report shows it (short; never a password or token)."""
    if isinstance(value, str):
        return value if len(value) <= 80 else value[:77] + "..."
    if value is None or isinstance(value, (bool, int, float)):
        return value
    return f"<{type(value).__name__}>"


def without_claim(user, before, name: str):
    """``user`` without its claim on ``name`` (phone or email): the value verikit already holds
    for an existing user stays, a new user gets none."""
    import dataclasses

    if name == "phone":
        keep = before.phone if before else None
        return dataclasses.replace(user, phone=keep, phone_verified=bool(before and before.phone_verified and keep),
                                   phone_given=before.phone_given if before else None)
    keep = before.email if before else None
    return dataclasses.replace(user, email=keep, email_verified=bool(before and before.email_verified and keep))


# ---- warnings -------------------------------------------------------------------------------------

def warnings_of(rec: dict, user, s) -> list:
    """[(kind, message)] about an importable record: what will not work as on LeanCloud."""
    out = []
    if user.phone:
        region = _region(user.phone)
        allowed = tuple(s.allowed_regions)
        if "*" not in allowed and region not in allowed:
            out.append(("phone_region", f"{region or 'unknown'} is outside allowed_regions: the user is imported "
                                        "but cannot receive codes (SMS login, reset) until the region is allowed"))
        if not user.phone_verified:
            mode = getattr(s, "imported_unverified_claims", "keep")
            what = ("a code proof by this number logs into this user and verifies the phone; password and "
                    "sessions stay (LeanCloud's behaviour)") if mode == "keep" else \
                   ("a code login or sign-up by this number takes the account over: its password and "
                    "sessions end (the squatting rule)")
            out.append(("phone_unverified", f"mobilePhoneVerified is false: with imported_unverified_claims="
                                            f"{mode!r}, {what}"))
    auth = rec.get("authData")
    if not user.password_hash and not user.phone and not user.email:
        if isinstance(auth, dict) and auth:
            out.append(("authdata_only", f"no password, phone or email: only a third-party login "
                                         f"({', '.join(sorted(map(str, auth))[:3])}) reaches this user"))
        else:
            out.append(("unreachable", "no password, phone, email or authData: nobody can log into this user "
                                       "(its sessionToken, if any, still works until it ends)"))
    for key in sorted(set(rec) & set(DIALECT_FIELDS) - {"sessionToken", "className", "__type"}):
        out.append(("dialect_field", f"custom field {key!r}: {DIALECT_FIELDS[key]}"))
    hosts = sorted({h for h in _file_hosts(user.custom) if h})
    if hosts:
        out.append(("leancloud_file", f"File fields point at LeanCloud's file hosting ({', '.join(hosts[:3])}), "
                                      "which ends on 2027-01-12: copy the files and rewrite their url"))
    return out


def _region(e164: str) -> str:
    try:
        return phones.normalise(e164, "ZZ", ("*",)).region
    except Exception:  # stored numbers are valid; a parser change must not fail an import
        return ""


def _file_hosts(value: Any, depth: int = 0):
    if depth > 8:
        return
    if isinstance(value, dict):
        if value.get("__type") == "File":
            url = value.get("url")
            host = re.sub(r"^[a-z][a-z0-9+.-]*://", "", url, flags=re.I).split("/")[0].split(":")[0] \
                if isinstance(url, str) else ""
            if host and LEANCLOUD_FILE_HOSTS.search(host):
                yield host
            return
        for v in value.values():
            yield from _file_hosts(v, depth + 1)
    elif isinstance(value, list):
        for v in value:
            yield from _file_hosts(v, depth + 1)
