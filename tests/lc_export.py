"""A realistic LeanCloud `_User` export of 200 users, as an app in China accumulates them: national
and E.164 numbers (one number twice, once in each form), unverified phones, a landline, Hong
Kong and Taiwan numbers, emails that differ only in case, File and Pointer fields (in the form
older SDKs stored them), WeChat-only users (authData alone), a custom field the LeanCloud
dialect computes itself. Deterministic: the same records every run."""
from __future__ import annotations

import random

from chalicelib.core.passwords import leancloud_digest

CREATED = "2023-05-0{d}T08:00:00.000Z"
UPDATED = "2025-07-02T07:58:53.087Z"
FILE_URL = "http://lc-abcd1234.cn-n1.lcfile.com/8Upn3VarPAkm5JMWuJFIhoFQjv5L7q3R.png"

# lines (1-based) of the special records, for the tests
LANDLINE, DUP_NATIONAL, DUP_E164, HONG_KONG, TAIWAN, EMAIL_LOWER, EMAIL_UPPER, WECHAT_ONLY, SHADOW = \
    11, 21, 22, 31, 32, 41, 42, 51, 61
FILE_USER, POINTER_USER = 71, 72


def oid(n: int) -> str:
    return f"{0x5f0000000000000000000000 + n:024x}"


def records() -> list:
    rnd = random.Random(20)
    out = []
    for n in range(1, 201):
        phone = f"13{rnd.randrange(0, 10)}{n:08d}"
        r = {"objectId": oid(n), "createdAt": CREATED.format(d=1 + n % 9), "updatedAt": UPDATED,
             "username": f"user{n}", "mobilePhoneNumber": phone if n % 2 else "+86" + phone,
             "mobilePhoneVerified": n % 5 != 0, "emailVerified": False,
             "ACL": {"*": {"read": True}, oid(n): {"write": True}}, "nickname": f"U{n}"}
        if n % 3 == 0:
            r.update(email=f"user{n}@example.com", emailVerified=n % 6 == 0)
        if n % 4 == 0:
            r.update(leancloud_digest_pair(f"pass-{n}", f"salt{n:04d}xxxxxxxx"))
        out.append(r)
    out[LANDLINE - 1].update(mobilePhoneNumber="01065529988")                    # a Beijing landline
    out[DUP_NATIONAL - 1].update(mobilePhoneNumber="19912719972", mobilePhoneVerified=False)
    out[DUP_E164 - 1].update(mobilePhoneNumber="+8619912719972", mobilePhoneVerified=True)
    out[HONG_KONG - 1].update(mobilePhoneNumber="+85251234567")
    out[TAIWAN - 1].update(mobilePhoneNumber="+886912345678")
    out[EMAIL_LOWER - 1].update(email="li.wei@example.com", emailVerified=True)
    out[EMAIL_UPPER - 1].update(email="Li.Wei@Example.com", emailVerified=False)
    wechat = out[WECHAT_ONLY - 1]
    for k in ("mobilePhoneNumber", "mobilePhoneVerified", "email", "password", "salt"):
        wechat.pop(k, None)
    wechat.update(username="wx_o6zAJs3", authData={"lc_weapp": {"openid": "o6zAJs3oh85Qat", "uid": "o6zAJs3"}})
    out[SHADOW - 1].update(is_verified=True)
    out[FILE_USER - 1].update(avatar={"__type": "File", "id": "567d642500b0cff56c29cd79", "name": "me.png",
                                      "url": FILE_URL})
    out[POINTER_USER - 1].update(team={"__type": "Pointer", "className": "Team", "objectId": "5f1111111111111111111111"})
    return out


def leancloud_digest_pair(password: str, salt: str) -> dict:
    return {"password": leancloud_digest(salt, password), "salt": salt}
