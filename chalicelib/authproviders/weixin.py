"""WeChat login: the client's ``access_token`` and ``openid`` are checked with WeChat's
``GET /sns/auth?access_token=&openid=`` (``{"errcode": 0, "errmsg": "ok"}`` when the token is
valid for that openid). Nothing is cached: every login asks.

``VERIKIT_WEIXIN_API`` overrides the base URL (default ``https://api.weixin.qq.com``)."""
from __future__ import annotations

import json
import os
import urllib.error
import urllib.parse
import urllib.request

from ..core.authdata import AuthDataInvalid, AuthDataUnavailable

TIMEOUT = 3.0


def base_url() -> str:
    return (os.environ.get("VERIKIT_WEIXIN_API") or "https://api.weixin.qq.com").rstrip("/")


class WeixinVerifier:
    def verify(self, app_id: str, platform: str, data: dict, config) -> dict:
        token, openid = data.get("access_token"), data.get("openid")
        if not isinstance(token, str) or not token or not isinstance(openid, str) or not openid:
            raise AuthDataInvalid(f"authData.{platform} needs openid and access_token")
        if len(token) > 512 or len(openid) > 256:
            raise AuthDataInvalid(f"authData.{platform}: openid or access_token is too long")
        query = urllib.parse.urlencode({"access_token": token, "openid": openid})
        try:
            with urllib.request.urlopen(f"{base_url()}/sns/auth?{query}", timeout=TIMEOUT) as resp:
                answer = json.loads(resp.read(65536) or b"{}")
        except (urllib.error.URLError, OSError, ValueError):
            raise AuthDataUnavailable("WeChat did not answer the login check; try again") from None
        if not isinstance(answer, dict) or answer.get("errcode") != 0:
            raise AuthDataInvalid(f"WeChat refused the access_token for this openid "
                                  f"(errcode {answer.get('errcode') if isinstance(answer, dict) else '?'})")
        return data
