"""SMS through Tencent Cloud SMS (2021-01-11 ``SendSms``), with the official
``tencentcloud-sdk-python-sms`` SDK (imported on the first send through it).

A template provider: a message is (SmsSdkAppId, sign name, template id,
``TemplateParamSet``), where ``TemplateParamSet`` is ``[code, ttl]`` followed by the
request's variables in the order the template declares them. Requests are signed
TC3-HMAC-SHA256 by the SDK. Endpoint: ``VERIKIT_TENCENT_ENDPOINT`` (host[:port] or URL;
default sms.tencentcloudapi.com), region ``VERIKIT_TENCENT_REGION`` (default ap-guangzhou).
"""
from __future__ import annotations

import os

from ..core.errors import SendFailed

DEFAULT_ENDPOINT = "sms.tencentcloudapi.com"
TIMEOUT = 4  # seconds
# codes that say the number is wrong (or refuses SMS): no other provider would deliver it
NUMBER_ERRORS = {"InvalidParameterValue.IncorrectPhoneNumber", "FailedOperation.PhoneNumberInBlacklist",
                 "FailedOperation.PhoneNumberOnBlacklist", "UnsupportedOperation.UnsupportedRegion"}
_HINTS = {"LimitExceeded.PhoneNumberDailyLimit": "the provider's daily limit for this number is reached",
          "LimitExceeded.PhoneNumberThirtySecondLimit": "the provider is throttling this number",
          "LimitExceeded.PhoneNumberOneHourLimit": "the provider is throttling this number",
          "FailedOperation.InsufficientBalanceInSmsPackage": "the account's SMS package is used up",
          "FailedOperation.SignatureIncorrectOrUnapproved": "the sign name is not approved for this account",
          "FailedOperation.TemplateIncorrectOrUnapproved": "the template id is not approved for this account",
          "AuthFailure.SignatureFailure": "the credentials were refused",
          "AuthFailure.SecretIdNotFound": "the credentials were refused"}


def template_params(message) -> list:
    return [message.code, str(message.ttl_minutes)] + [str(message.variables.get(v, "")) for v in message.variable_order]


class TencentSms:
    name = "tencent"

    def __init__(self, credentials, endpoint: str = ""):
        self._credentials = credentials
        self._endpoint = endpoint
        self._client = None
        self._app_id = ""

    def request(self, message) -> dict:
        return {"sign": message.sign, "template_id": message.template_ids.get(self.name, ""),
                "params": template_params(message)}

    def client(self):
        if self._client is None:
            from tencentcloud.common.credential import Credential
            from tencentcloud.common.profile.client_profile import ClientProfile
            from tencentcloud.common.profile.http_profile import HttpProfile
            from tencentcloud.sms.v20210111.sms_client import SmsClient

            from ..provider_secrets import split_endpoint

            creds = self._credentials()
            scheme, host, _ = split_endpoint(self._endpoint or DEFAULT_ENDPOINT)
            profile = ClientProfile(httpProfile=HttpProfile(protocol=scheme, endpoint=host, reqTimeout=TIMEOUT))
            self._app_id = creds["sms_app_id"]
            self._client = SmsClient(Credential(creds["secret_id"], creds["secret_key"]),
                                     os.environ.get("VERIKIT_TENCENT_REGION") or "ap-guangzhou", profile)
        return self._client

    def send(self, message) -> str:
        from tencentcloud.sms.v20210111.models import SendSmsRequest

        from ..deadline import bounded

        client = self.client()
        client.request.conn.timeout = bounded(TIMEOUT)  # the SDK's socket timeout, within the request's budget
        req = self.request(message)
        sms = SendSmsRequest()
        sms.PhoneNumberSet = [message.to]
        sms.SmsSdkAppId = self._app_id
        sms.SignName = req["sign"]
        sms.TemplateId = req["template_id"]
        sms.TemplateParamSet = req["params"]
        try:
            resp = client.SendSms(sms)
        except Exception as e:  # noqa: BLE001 - TencentCloudSDKException, network errors
            code = str(getattr(e, "code", None) or type(e).__name__)
            if code in NUMBER_ERRORS:
                raise SendFailed(f"SMS not sent: Tencent Cloud SMS refused the phone number ({code})",
                                 provider_error=code, number_error=True) from None
            hint = _HINTS.get(code, "the provider failed or did not answer")
            raise SendFailed(f"SMS not sent: Tencent Cloud SMS: {hint} ({code})", provider_error=code,
                             retry_after=5) from None
        status = (resp.SendStatusSet or [None])[0]
        code = getattr(status, "Code", None) or "no answer"
        if code != "Ok":
            if code in NUMBER_ERRORS:
                raise SendFailed(f"SMS not sent: Tencent Cloud SMS refused the phone number ({code})",
                                 provider_error=code, number_error=True)
            hint = _HINTS.get(code, "the provider did not accept the message")
            raise SendFailed(f"SMS not sent: Tencent Cloud SMS: {hint} ({code})", provider_error=code)
        return status.SerialNo or resp.RequestId or ""
