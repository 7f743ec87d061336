"""Password hashing: argon2id (RFC 9106 low-memory profile, argon2-cffi's default).

argon2 is imported on first use, not at cold start: only login and sign-up routes pay
for it.
"""
from __future__ import annotations

MAX_LENGTH = 128  # argon2 takes any length; a cap keeps a request from buying CPU time

# checked when there is no real hash (no user, no password), so that such a check costs one
# argon2 verify like a real one, even the first in a process (no hash is made for it).
# Made with argon2-cffi's defaults; if they change, a dummy with the new ones is made once.
DUMMY_HASH = "$argon2id$v=19$m=65536,t=3,p=4$qc0W0EgrHTTTNWzPnwBiKw$QcxJ3idRpk1Typ25XajolCx2fudRvEqNGWaKfIdcMBE"

# LeanCloud's exported ``_User`` hash: base64(SHA-512(salt + password), then SHA-512 512
# more times), stored here as ``LEANCLOUD_PREFIX + salt + "$" + base64`` until the user's first
# successful login replaces it with argon2id
LEANCLOUD_PREFIX = "lc-sha512x512$"


def encodable(text: str) -> bool:
    """True for text UTF-8 can carry: JSON's "\\ud800" decodes to a lone surrogate that
    Python's str accepts and every hash refuses to encode."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def leancloud_digest(salt: str, password: str) -> str:
    import base64
    import hashlib

    h = hashlib.sha512((salt + password).encode("utf-8")).digest()
    for _ in range(512):
        h = hashlib.sha512(h).digest()
    return base64.b64encode(h).decode("ascii")


def leancloud_hash(salt: str, stored_password: str) -> str:
    """The stored form of an imported LeanCloud ``password`` + ``salt``."""
    return f"{LEANCLOUD_PREFIX}{salt}${stored_password}"


def is_legacy(stored: str | None) -> bool:
    return bool(stored) and stored.startswith(LEANCLOUD_PREFIX)


class Argon2Hasher:
    def __init__(self):
        self._hasher = None

    def _h(self):
        if self._hasher is None:
            from argon2 import PasswordHasher

            self._hasher = PasswordHasher()
        return self._hasher

    def hash(self, password: str) -> str:
        return self._h().hash(password)

    def verify(self, stored: str | None, password: str) -> bool:
        """Constant-time check; a user without a password never matches, nor does a password
        that is not text (a lone surrogate from JSON's \\ud800 cannot be UTF-8 encoded)."""
        from argon2.exceptions import InvalidHashError, VerificationError

        if not encodable(password):
            self._burn("not-utf-8")  # the same work as a wrong password
            return False
        if not stored:
            # spend the time of a real check, so a missing password is not visible in latency
            self._burn(password)
            return False
        if is_legacy(stored):
            # an imported LeanCloud hash: SHA-512 takes well under a millisecond, argon2id
            # about 100: burn an argon2id check as well, so that latency does not tell
            # imported users (or their wrong passwords) from the others
            import hmac

            salt, _, digest = stored[len(LEANCLOUD_PREFIX):].rpartition("$")
            ok = hmac.compare_digest(leancloud_digest(salt, password).encode(), digest.encode())
            self._burn(password)
            return ok
        try:
            return self._h().verify(stored, password)
        except (VerificationError, InvalidHashError):
            return False

    def needs_rehash(self, stored: str | None) -> bool:
        """An imported (fast) hash, to be replaced by argon2id after a successful login."""
        return is_legacy(stored)

    def _burn(self, password: str) -> None:
        from argon2.exceptions import VerificationError

        if not hasattr(self, "_dummy_hash"):
            from argon2 import extract_parameters

            h, p = self._h(), extract_parameters(DUMMY_HASH)
            same = (p.time_cost, p.memory_cost, p.parallelism, p.hash_len, p.salt_len, p.type) == \
                (h.time_cost, h.memory_cost, h.parallelism, h.hash_len, h.salt_len, h.type)
            self._dummy_hash = DUMMY_HASH if same else self.hash("verikit-dummy-password")
        try:
            self._h().verify(self._dummy_hash, password)
        except VerificationError:
            pass
