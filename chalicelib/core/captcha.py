"""Image CAPTCHA as LeanCloud serves it: requestCaptcha -> image -> verifyCaptcha ->
validate_token -> a code-sending request.

The answer is never stored: it is derived from the captcha token with the server secret
(so the image route needs no read), and the store keeps only its keyed hash. A captcha
allows one verification attempt; its validate_token is single use and short lived. Both
live in the codes table and are spent with the same conditional write as codes.
"""
from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import Optional

from . import codes, limits
from .codes import CodeRecord
from .errors import InvalidRequest, VerikitError
from .numbers import is_ascii_digits, parse_int
from .record import Record

# no 0/O, 1/I/L: people should not fail on glyphs
ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CAPTCHA = "captcha"
VALIDATE = "validate_token"


class CaptchaRequired(VerikitError):
    kind = "captcha_required"


class CaptchaInvalid(VerikitError):
    kind = "captcha_invalid"


MIN_SIZE, MAX_SIZE = 3, 6


def size_of(token: object) -> Optional[int]:
    """How many characters the captcha of ``token`` shows (its first character), or None
    for anything that is not a token we issue."""
    if not isinstance(token, str) or not 4 <= len(token) <= 64 or not is_ascii_digits(token[:1]):
        return None
    size = int(token[0])
    return size if MIN_SIZE <= size <= MAX_SIZE else None


class Issued(Record, frozen=True):
    token: str
    size: int
    expires_at: int


def image_params(width=None, height=None):
    return parse_int(width, "width", 60, 400, 85), parse_int(height, "height", 25, 200, 30)


class CaptchaService(Record):
    store: object  # core.service.CodeStore
    secret: bytes
    clock: object

    def answer(self, app_id: str, token: str) -> str:
        """The characters the image shows; the token's first character says how many.
        A token that cannot be one of ours (its size digit out of range) is refused."""
        size = size_of(token)
        if size is None:
            raise InvalidRequest("unknown captcha token")
        digest = hmac.new(self.secret, f"captcha\x1f{app_id}\x1f{token}".encode(), hashlib.sha256).digest()
        return "".join(ALPHABET[b % len(ALPHABET)] for b in digest[:size])

    def issue(self, app_id: str, size=None, ttl=None, client_ip=None, per_ip_hourly: int = 0) -> Issued:
        """A new captcha; charged to the client IP's hourly cap in the same write."""
        size = parse_int(size, "size", MIN_SIZE, MAX_SIZE, 4)
        ttl = parse_int(ttl, "ttl", 10, 180, 60)
        token = f"{size}{secrets.token_urlsafe(15)}"
        now = int(self.clock.now())
        self.store.issue(self._record(app_id, CAPTCHA, token, self._hash(app_id, token, self.answer(app_id, token)),
                                      now, now + ttl), limits.captcha_creation(app_id, client_ip, per_ip_hourly, now),
                         now)
        return Issued(token, size, now + ttl)

    def verify(self, app_id: str, token: object, answer: object, validate_ttl: int) -> str:
        """Spend the captcha (one attempt, right or wrong); return a new validate_token."""
        if not isinstance(token, str) or not token or len(token) > 64:
            raise InvalidRequest("captcha_token is required")
        if not isinstance(answer, str) or not answer.strip() or len(answer) > 16:
            raise InvalidRequest("captcha_code is required")
        now = int(self.clock.now())
        key = codes.code_key(app_id, CAPTCHA, token)
        presented = self._hash(app_id, token, answer.strip().upper())
        if self.store.guess(key, presented, now) is not None:  # one write: charged and judged
            raise CaptchaInvalid("wrong or expired captcha; request a new one")
        validate = secrets.token_urlsafe(24)
        vhash = codes.keyed_hash(self.secret, VALIDATE, app_id, validate)
        self.store.issue(self._record(app_id, VALIDATE, vhash[:32], vhash, now, now + validate_ttl), [], now)
        return validate

    def redeem(self, app_id: str, validate_token: object) -> None:
        """Spend a validate_token, or raise CaptchaRequired. Happens before the send, so a
        send then refused by a rate limit has spent the token all the same."""
        if not isinstance(validate_token, str) or not validate_token or len(validate_token) > 100:
            raise CaptchaRequired("a CAPTCHA is required: solve one and pass its token (LeanCloud: validate_token; CloudBase: captcha_token)")
        vhash = codes.keyed_hash(self.secret, VALIDATE, app_id, validate_token)
        state = self.store.guess(codes.code_key(app_id, VALIDATE, vhash[:32]), vhash, int(self.clock.now()))
        if state is not None:
            raise CaptchaRequired("the validate_token is invalid, expired or already used")

    def _hash(self, app_id: str, token: str, answer: str) -> str:
        return codes.keyed_hash(self.secret, CAPTCHA, app_id, token, answer)

    @staticmethod
    def _record(app_id, purpose, key_part, code_hash, now, expires_at) -> CodeRecord:
        return CodeRecord(key=codes.code_key(app_id, purpose, key_part), app_id=app_id, purpose=purpose,
                          target=key_part, channel="captcha", code_hash=code_hash, created_at=now,
                          expires_at=expires_at, max_attempts=1)


def render_png(answer: str, width: int, height: int) -> bytes:
    """The image, drawn by the ``captcha`` package (imported only here: Pillow is heavy)."""
    from captcha.image import ImageCaptcha

    font_size = max(14, int(height * 0.8))
    image = ImageCaptcha(width=width, height=height, font_sizes=(font_size,))
    return image.generate(answer, format="png").getvalue()
