"""A fake of Apple's key set (``GET /auth/keys``, a JWKS) with a test RSA key, and a signer
of identity tokens as Sign in with Apple issues them (RS256, iss https://appleid.apple.com)."""
from __future__ import annotations

import json
import time

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa

from .jsonhttp import FakeServer

ISSUER = "https://appleid.apple.com"


class FakeApple:
    def __init__(self):
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.other = rsa.generate_private_key(public_exponent=65537, key_size=2048)  # not published
        jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(self.key.public_key()))
        self.jwks = {"keys": [{**jwk, "kid": "test-kid", "use": "sig", "alg": "RS256"}]}
        self.server = FakeServer(self._handle)
        self.url, self.requests = self.server.url + "/auth/keys", self.server.requests

    def token(self, sub: str, aud: str = "com.example.app", exp: float | None = None, iss: str = ISSUER,
              key=None, kid: str = "test-kid", now: float | None = None) -> str:
        now = now if now is not None else time.time()
        claims = {"iss": iss, "aud": aud, "sub": sub, "iat": int(now), "exp": int(exp if exp is not None else now + 600)}
        return jwt.encode(claims, key or self.key, algorithm="RS256", headers={"kid": kid})

    def _handle(self, method, path, query, body):
        if method == "GET" and path == "/auth/keys":
            return 200, self.jwks
        return 404, {"error": "not found"}

    def close(self):
        self.server.close()
