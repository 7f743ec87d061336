"""Sign in with Apple: the ``identity_token`` is a JWT signed RS256 by one of Apple's keys
(``https://appleid.apple.com/auth/keys``). It must name Apple as ``iss``, one of the app's
``client_ids`` as ``aud``, not be expired (by verikit's clock), and its ``sub`` is the user
id: it must equal ``uid`` when the client sends one (the SDK does). Apple's keys are cached
for an hour per process (keys, not verification results).

``VERIKIT_APPLE_JWKS_URL`` overrides the key set's URL (tests use a local fake)."""
from __future__ import annotations

import os
import threading
import time

from ..core.authdata import AuthDataInvalid, AuthDataUnavailable

ISSUER = "https://appleid.apple.com"
TIMEOUT = 3
_clients: dict = {}
_lock = threading.Lock()


def jwks_url() -> str:
    return os.environ.get("VERIKIT_APPLE_JWKS_URL") or "https://appleid.apple.com/auth/keys"


def _client(url: str):
    import jwt  # PyJWT, only when someone signs in with Apple

    with _lock:
        if url not in _clients:
            _clients[url] = jwt.PyJWKClient(url, cache_keys=True, lifespan=3600, timeout=TIMEOUT)
        return _clients[url]


class AppleVerifier:
    def __init__(self, clock=None):
        self.clock = clock

    def verify(self, app_id: str, platform: str, data: dict, config) -> dict:
        import jwt

        token = data.get("identity_token")
        if not isinstance(token, str) or not 20 <= len(token) <= 8192:
            raise AuthDataInvalid(f"authData.{platform} needs identity_token (Apple's JWT)")
        try:
            key = _client(jwks_url()).get_signing_key_from_jwt(token).key
        except jwt.PyJWKClientConnectionError:
            raise AuthDataUnavailable("Apple's keys could not be fetched; try again") from None
        except (jwt.PyJWKClientError, jwt.InvalidTokenError):
            raise AuthDataInvalid("the identity token is not signed by a key of Apple's") from None
        try:
            claims = jwt.decode(token, key, algorithms=["RS256"], audience=list(config["client_ids"]),
                                issuer=ISSUER, options={"require": ["iss", "aud", "exp", "sub"], "verify_exp": False})
        except jwt.InvalidTokenError as e:
            raise AuthDataInvalid(f"the identity token is not valid ({type(e).__name__})") from None
        now = self.clock.now() if self.clock is not None else time.time()
        if not isinstance(claims.get("exp"), (int, float)) or claims["exp"] <= now:
            raise AuthDataInvalid("the identity token has expired")
        sub = claims.get("sub")
        if not isinstance(sub, str) or not sub:
            raise AuthDataInvalid("the identity token names no user (sub)")
        if data.get("uid") not in (None, "", sub):
            raise AuthDataInvalid("the identity token belongs to another uid")
        return {**data, "uid": sub}
