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
        """Constant-time check; a user without a password never matches."""
        from argon2.exceptions import InvalidHashError, VerificationError

        if not stored:
            # spend the time of a real check, so a missing password is not visible in latency
            self._burn(password)
            return False
        try:
            return self._h().verify(stored, password)
        except (VerificationError, InvalidHashError):
            return False

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
