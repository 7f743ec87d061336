"""A fake of WeChat's Open Platform ``GET /sns/auth?access_token=&openid=``: valid pairs are
registered with ``grant``; anything else answers errcode 40003 as WeChat does."""
from __future__ import annotations

from .jsonhttp import FakeServer


class FakeWeixin:
    def __init__(self):
        self.valid = set()
        self.server = FakeServer(self._handle)
        self.url, self.requests = self.server.url, self.server.requests

    def grant(self, openid: str, access_token: str) -> dict:
        """A token WeChat would accept for ``openid``; returns the authData an SDK sends."""
        self.valid.add((access_token, openid))
        return {"openid": openid, "access_token": access_token, "expires_in": 7200}

    def _handle(self, method, path, query, body):
        if method != "GET" or path != "/sns/auth":
            return 404, {"errcode": -1, "errmsg": "not found"}
        if (query.get("access_token"), query.get("openid")) in self.valid:
            return 200, {"errcode": 0, "errmsg": "ok"}
        return 200, {"errcode": 40003, "errmsg": "invalid openid"}

    def close(self):
        self.server.close()
