"""Password hashing: argon2id (RFC 9106 low-memory profile, argon2-cffi's default).

argon2 is imported on first use, not at cold start: only login and sign-up routes pay
for it.
"""
from __future__ import annotations

MAX_LENGTH = 128  # argon2 takes any length; a cap keeps a request from buying CPU time


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
            self._dummy_hash = self.hash("verikit-dummy-password")
        try:
            self._h().verify(self._dummy_hash, password)
        except VerificationError:
            pass
