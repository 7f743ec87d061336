"""SMS through Alibaba Cloud SMS (Dysmsapi 2017-05-25 ``SendSms``), with the official
``alibabacloud-dysmsapi20170525`` SDK (imported on the first send through it).

A template provider: a message is (sign name, template code, ``TemplateParam``), where
``TemplateParam`` is ``{"code": ..., "ttl": <minutes>, ...the request's variables}``.
Endpoint: ``VERIKIT_ALIYUN_ENDPOINT`` (host[:port] or URL; default dysmsapi.aliyuncs.com).
"""
from __future__ import annotations

import json

from ..core.errors import SendFailed

DEFAULT_ENDPOINT = "dysmsapi.aliyuncs.com"
CONNECT_MS, READ_MS = 1000, 4000
# SendSms codes that say the number is wrong: no other provider would deliver it either
NUMBER_ERRORS = {"isv.MOBILE_NUMBER_ILLEGAL", "isv.MOBILE_COUNT_OVER_LIMIT", "isv.PHONE_NUMBER_ILLEGAL"}
_HINTS = {"isv.BUSINESS_LIMIT_CONTROL": "the provider is throttling this number",
          "isv.DAY_LIMIT_CONTROL": "the provider's daily limit for this number is reached",
          "isv.AMOUNT_NOT_ENOUGH": "the account balance is too low",
          "isv.OUT_OF_SERVICE": "the account is out of service",
          "isv.SMS_TEMPLATE_ILLEGAL": "the template code is not approved for this account",
          "isv.SMS_SIGNATURE_ILLEGAL": "the sign name is not approved for this account",
          "isv.TEMPLATE_MISSING_PARAMETERS": "the template needs parameters that were not sent"}


def phone_number(e164: str) -> str:
    """Mainland numbers as 11 digits, others as country code + number (no "+")."""
    return e164[3:] if e164.startswith("+86") else e164.lstrip("+")


def template_param(message) -> dict:
    return {"code": message.code, "ttl": str(message.ttl_minutes),
            **{k: str(v) for k, v in message.variables.items()}}


class AliyunSms:
    name = "aliyun"

    def __init__(self, credentials, endpoint: str = ""):
        self._credentials = credentials  # a callable: read once, on the first send
        self._endpoint = endpoint
        self._client = None

    def request(self, message) -> dict:
        """What SendSms carries (for the dev outbox too): never the credentials."""
        return {"sign": message.sign, "template_id": message.template_ids.get(self.name, ""),
                "params": template_param(message)}

    def client(self):
        if self._client is None:
            from alibabacloud_dysmsapi20170525.client import Client
            from alibabacloud_tea_openapi.utils_models import Config

            from ..provider_secrets import split_endpoint

            creds = self._credentials()
            scheme, host, _ = split_endpoint(self._endpoint or DEFAULT_ENDPOINT)
            self._client = Client(Config(access_key_id=creds["access_key_id"],
                                         access_key_secret=creds["access_key_secret"],
                                         endpoint=host, protocol=scheme,
                                         connect_timeout=CONNECT_MS, read_timeout=READ_MS))
        return self._client

    def send(self, message) -> str:
        from alibabacloud_dysmsapi20170525.models import SendSmsRequest
        from darabonba.runtime import RuntimeOptions

        from ..deadline import bounded

        client = self.client()  # a missing credential is a configuration error, not a provider failure
        read_ms = int(bounded(READ_MS / 1000) * 1000)
        req = self.request(message)
        sms = SendSmsRequest(phone_numbers=phone_number(message.to), sign_name=req["sign"],
                             template_code=req["template_id"],
                             template_param=json.dumps(req["params"], ensure_ascii=False, separators=(",", ":")))
        try:
            resp = client.send_sms_with_options(sms, RuntimeOptions(connect_timeout=min(CONNECT_MS, read_ms),
                                                                           read_timeout=read_ms, autoretry=False))
        except Exception as e:  # noqa: BLE001 - the SDK raises its own and the transport's errors
            code = str(getattr(e, "code", "") or type(e).__name__)
            status = getattr(e, "status_code", None)
            raise SendFailed(f"SMS not sent: Alibaba Cloud SMS failed ({code}{f', HTTP {status}' if status else ''})",
                             provider_error=code, retry_after=5) from None
        body = resp.body
        if body is None or body.code != "OK":
            code = getattr(body, "code", None) or "no answer"
            if code in NUMBER_ERRORS:
                raise SendFailed(f"SMS not sent: Alibaba Cloud SMS refused the phone number ({code})",
                                 provider_error=code, number_error=True)
            hint = _HINTS.get(code, "the provider did not accept the message")
            raise SendFailed(f"SMS not sent: Alibaba Cloud SMS: {hint} ({code})", provider_error=code)
        return body.biz_id or body.request_id or ""
