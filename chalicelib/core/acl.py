"""LeanCloud's ACL on ``_User`` objects, as imported (``User.kept["ACL"]``).

An ACL maps ``"*"`` (the public), a user's objectId or ``"role:<name>"`` to
``{"read": bool, "write": bool}``. verikit enforces it on every route that returns a user:

- the master key and the user itself may always read it;
- anyone else (the public app key, another user's session) only where the ACL grants
  ``"*"`` read, or read to that other user's objectId;
- **role entries grant nothing**: verikit has no ``_Role`` class (roles do not move here);
- a user without an ACL (created here, or imported without one) has LeanCloud's default
  ``_User`` ACL: public read, write by the user itself;
- an ACL that is not an object of such entries grants nothing beyond the user and the master.

Writes to a user (``PUT``, ``refreshSessionToken``, ``DELETE``) are the user's own session or
the master key, whatever the ACL says (LeanCloud's rule for ``_User``: 206 otherwise).
A user someone may not read is answered exactly as a user that does not exist.

Pure functions, no I/O: any dialect (queries, hooks) calls them on the users it returns.
"""
from __future__ import annotations

from typing import Any, Optional

PUBLIC = "*"


def _grants(acl: dict, who: str, what: str) -> bool:
    entry = acl.get(who)
    return isinstance(entry, dict) and entry.get(what) is True


def acl_of(user: Any) -> Optional[Any]:
    """The user's imported ACL, or None (LeanCloud's default _User ACL applies)."""
    kept = getattr(user, "kept", None) or {}
    return kept.get("ACL")


def can_read(user: Any, viewer_id: Optional[str] = None, master: bool = False) -> bool:
    """Whether the master key (``master``) or the user ``viewer_id`` (None: the public app
    key) may read ``user``."""
    if master or (viewer_id is not None and viewer_id == user.object_id):
        return True
    acl = acl_of(user)
    if acl is None:
        return True
    if not isinstance(acl, dict):
        return False
    return _grants(acl, PUBLIC, "read") or (viewer_id is not None and _grants(acl, viewer_id, "read"))


def can_write(user: Any, viewer_id: Optional[str] = None, master: bool = False) -> bool:
    """Whether ``viewer_id`` (or the master key) may change or delete ``user``: only itself."""
    return master or (viewer_id is not None and viewer_id == user.object_id)


def readable(users, viewer_id: Optional[str] = None, master: bool = False) -> list:
    """The users of ``users`` the viewer may read (for queries)."""
    return [u for u in users if can_read(u, viewer_id, master)]
